/* Certificates issued per second through CMP (an RA's p10cr to simpki-ca over HTTP on the loopback: RA-signed
 * protection, the CA's checks, profile, serial, storage, its signed answer, certConf), against OpenSSL signing the
 * same certificates directly with the same CA key (no protocol, no storage), measured side by side in the same run:
 * short rounds of each alternate until each has had its share of time, so machine noise hits both.
 *
 * The requests: P-256 PKCS#10 requests made before timing, one per certificate, each with its own key and subject.
 * The direct side builds what the CA's signing profile builds (subject, key, random 16-byte serial, validity, key
 * usage, basic constraints, SKI/AKI) and signs it with X509_sign.
 *
 * Usage: ca-cmp --url http://127.0.0.1:8490/pkix/ --ra-cert F --ra-key F --ca-cert F --ca-key F [--seconds S]
 *        (the CA key's passphrase in SIMPKI_CA_PASSPHRASE)
 * Output: "name: value" lines; cmp_issue_ratio is CMP / direct (the share of the time that is signing).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define N_REQ 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "ca-cmp: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static X509 *load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	if (!x)
		die(path);
	return x;
}

static EVP_PKEY *load_key(const char *path)
{
	const char *pass = getenv("SIMPKI_CA_PASSPHRASE");
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, (void *)(pass ? pass : "")) : NULL;

	if (f)
		fclose(f);
	if (!k)
		die(path);
	return k;
}

static X509_REQ *make_req(int i)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	char cn[64], sn[32];

	snprintf(cn, sizeof(cn), "Nguyễn Văn Bench %d", i);
	snprintf(sn, sizeof(sn), "BENCH%06d", i);
	if (!k || !r || !n ||
	    !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"VN", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_ASC, (const unsigned char *)sn, -1, -1, 0) ||
	    !X509_REQ_set_subject_name(r, n) || !X509_REQ_set_pubkey(r, k) || !X509_REQ_sign(r, k, EVP_sha256()))
		die("cannot make a request");
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	return r;
}

/* What the CA's signing profile makes, signed directly. */
static X509 *direct(X509_REQ *req, X509 *ca, EVP_PKEY *ca_key)
{
	X509 *x = X509_new();
	EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
	unsigned char serial[16];
	BIGNUM *bn;
	X509V3_CTX v3;
	X509_EXTENSION *e;
	static const char *const exts[][2] = {
		{ "basicConstraints", "critical,CA:FALSE" },
		{ "keyUsage", "critical,digitalSignature,nonRepudiation" },
		{ "subjectKeyIdentifier", "hash" },
		{ "authorityKeyIdentifier", "keyid" },
	};

	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!x || !bn || !X509_set_version(x, 2) || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)) ||
	    !X509_set_subject_name(x, X509_REQ_get_subject_name(req)) || !X509_set_pubkey(x, pub) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) || !X509_gmtime_adj(X509_getm_notAfter(x), 3L * 365 * 86400))
		die("cannot build a certificate");
	BN_free(bn);
	X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		e = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);
		if (!e || !X509_add_ext(x, e, -1))
			die("cannot add an extension");
		X509_EXTENSION_free(e);
	}
	if (!X509_sign(x, ca_key, EVP_sha256()))
		die("cannot sign");
	return x;
}

static X509 *via_cmp(const char *url, X509_REQ *req, X509 *ra, EVP_PKEY *ra_key, X509_STORE *trust)
{
	OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
	X509 *x;

	if (!ctx)
		die("CMP context");
	{
		char host[64], path[128];
		int port = 80;

		if (sscanf(url, "http://%63[^:/]:%d/%127s", host, &port, path) != 3)
			die("--url must be http://HOST:PORT/PATH");
		if (!OSSL_CMP_CTX_set1_server(ctx, host) || !OSSL_CMP_CTX_set_serverPort(ctx, port) ||
		    !OSSL_CMP_CTX_set1_serverPath(ctx, path))
			die("CMP server");
	}
	X509_STORE_up_ref(trust);
	if (!OSSL_CMP_CTX_set0_trustedStore(ctx, trust) || !OSSL_CMP_CTX_set1_cert(ctx, ra) ||
	    !OSSL_CMP_CTX_set1_pkey(ctx, ra_key) || !OSSL_CMP_CTX_set1_p10CSR(ctx, req))
		die("CMP settings");
	OSSL_CMP_CTX_set_log_verbosity(ctx, OSSL_CMP_LOG_ERR);
	x = OSSL_CMP_exec_certreq(ctx, OSSL_CMP_P10CR, NULL); /* the context's: keep a reference of our own */
	if (!x || !X509_up_ref(x))
		die("the CA issued nothing");
	OSSL_CMP_CTX_free(ctx);
	return x;
}

int main(int argc, char **argv)
{
	const char *url = NULL, *ra_cert = NULL, *ra_key_path = NULL, *ca_cert = NULL, *ca_key_path = NULL;
	double seconds = 3, t_cmp = 0, t_direct = 0, t0;
	unsigned long n_cmp = 0, n_direct = 0;
	X509_REQ *reqs[N_REQ];
	X509_STORE *trust;
	X509 *ca, *ra, *x;
	EVP_PKEY *ra_key, *ca_key;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--url"))
			url = argv[i + 1];
		else if (!strcmp(argv[i], "--ra-cert"))
			ra_cert = argv[i + 1];
		else if (!strcmp(argv[i], "--ra-key"))
			ra_key_path = argv[i + 1];
		else if (!strcmp(argv[i], "--ca-cert"))
			ca_cert = argv[i + 1];
		else if (!strcmp(argv[i], "--ca-key"))
			ca_key_path = argv[i + 1];
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
	}
	if (!url || !ra_cert || !ra_key_path || !ca_cert || !ca_key_path) {
		fprintf(stderr,
			"usage: ca-cmp --url URL --ra-cert F --ra-key F --ca-cert F --ca-key F [--seconds S]\n");
		return 2;
	}
	ca = load_cert(ca_cert);
	ra = load_cert(ra_cert);
	ra_key = load_key(ra_key_path);
	ca_key = load_key(ca_key_path);
	trust = X509_STORE_new();
	if (!trust || !X509_STORE_add_cert(trust, ca))
		die("trust store");
	for (int i = 0; i < N_REQ; i++)
		reqs[i] = make_req(i);
	/* rounds of 0.2 s each side in turn, until each had its time */
	while (t_cmp < seconds || t_direct < seconds) {
		for (t0 = now(); now() - t0 < 0.2; n_cmp++) {
			x = via_cmp(url, reqs[n_cmp % N_REQ], ra, ra_key, trust);
			if (X509_verify(x, X509_get0_pubkey(ca)) != 1)
				die("a certificate from the CA does not verify");
			X509_free(x);
		}
		t_cmp += now() - t0;
		for (t0 = now(); now() - t0 < 0.2; n_direct++)
			X509_free(direct(reqs[n_direct % N_REQ], ca, ca_key));
		t_direct += now() - t0;
	}
	printf("cmp_issued_per_s: %.1f\n", (double)n_cmp / t_cmp);
	printf("direct_signed_per_s: %.1f\n", (double)n_direct / t_direct);
	printf("cmp_issue_ratio: %.4f\n", ((double)n_cmp / t_cmp) / ((double)n_direct / t_direct));
	for (int i = 0; i < N_REQ; i++)
		X509_REQ_free(reqs[i]);
	X509_STORE_free(trust);
	X509_free(ca);
	X509_free(ra);
	EVP_PKEY_free(ra_key);
	EVP_PKEY_free(ca_key);
	return 0;
}
