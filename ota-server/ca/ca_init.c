/* simpki-ca init and install-cert (ca_init.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <osmocom/core/talloc.h>

#include "ca.h"
#include "ca_init.h"
#include "ca_issue.h"
#include "ca_key.h"

struct init_opts {
	const char *dir, *subject, *alg, *pass_file, *cert;
	int days;
	bool parent;
};

static void usage_init(FILE *f)
{
	fprintf(f,
		"Usage: simpki-ca init --dir DIR --subject SUBJECT [--alg p256|rsa3072] [--days N] [--parent-request]\n"
		"                      [--passphrase-file FILE]\n"
		"\n"
		"Make a new CA in DIR (created if missing): its key DIR/ca.key (PKCS#8, AES-256 under the "
		"passphrase),\n"
		"its self-signed certificate DIR/ca.pem (or, with --parent-request, DIR/ca.csr for a parent CA to "
		"sign;\n"
		"then 'simpki-ca install-cert'), the RA certificate and key for simpki-otad (DIR/ra.pem, DIR/ra.key),\n"
		"the delegated OCSP signer (DIR/ocsp.pem, DIR/ocsp.key), the records DIR/ca.db and a configuration\n"
		"DIR/simpki-ca.cfg that runs as is: simpki-ca -c DIR/simpki-ca.cfg. Nothing existing is overwritten.\n"
		"\n"
		"  --dir DIR               where everything goes\n"
		"  --subject SUBJECT       the CA's name, /CN=.../O=.../C=.. (UTF-8; '\\' escapes '/')\n"
		"  --alg p256|rsa3072      the CA key (default p256)\n"
		"  --days N                the CA certificate's validity (default 3650)\n"
		"  --parent-request        a CSR for a parent CA instead of a self-signed certificate\n"
		"  --passphrase-file FILE  the key's passphrase (its first line; the file must be mode 0600); without\n"
		"                          it, the environment's %s. At least %d characters.\n"
		"  -h, --help              this text\n",
		CA_PASSPHRASE_ENV, CA_PASSPHRASE_MIN);
}

static void usage_install(FILE *f)
{
	fprintf(f,
		"Usage: simpki-ca install-cert --dir DIR --cert FILE [--passphrase-file FILE]\n"
		"\n"
		"After 'simpki-ca init --parent-request': install the certificate the parent CA issued for DIR/ca.csr\n"
		"as DIR/ca.pem and make the RA and OCSP signer certificates. The passphrase as for init.\n"
		"  -h, --help  this text\n");
}

static int parse(int argc, char **argv, struct init_opts *o, bool install)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "subject", required_argument, NULL, 's' },
		{ "alg", required_argument, NULL, 'a' },
		{ "days", required_argument, NULL, 'n' },
		{ "parent-request", no_argument, NULL, 'p' },
		{ "passphrase-file", required_argument, NULL, 'f' },
		{ "cert", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->alg = "p256";
	o->days = 3650;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dir = optarg;
			break;
		case 's':
			o->subject = optarg;
			break;
		case 'a':
			o->alg = optarg;
			break;
		case 'n':
			o->days = (int)strtol(optarg, &end, 10);
			if (*end || o->days < 1 || o->days > 36500) {
				fprintf(stderr, "simpki-ca: --days: 1 to 36500\n");
				return 2;
			}
			break;
		case 'p':
			o->parent = true;
			break;
		case 'f':
			o->pass_file = optarg;
			break;
		case 'c':
			o->cert = optarg;
			break;
		case 'h':
			install ? usage_install(stdout) : usage_init(stdout);
			return 0;
		default:
			install ? usage_install(stderr) : usage_init(stderr);
			return 2;
		}
	}
	if (optind < argc || !o->dir || (!install && !o->subject) || (install && !o->cert)) {
		install ? usage_install(stderr) : usage_init(stderr);
		return 2;
	}
	if (strcmp(o->alg, "p256") && strcmp(o->alg, "rsa3072")) {
		fprintf(stderr, "simpki-ca: --alg: p256 or rsa3072\n");
		return 2;
	}
	return -1;
}

static char *path(void *ctx, const char *dir, const char *name)
{
	return talloc_asprintf(ctx, "%s/%s", dir, name);
}

static int passphrase(const struct init_opts *o, char *buf, size_t size)
{
	char err[300];
	int n = ca_passphrase_get(o->pass_file, buf, size, err, sizeof(err));

	ca_passphrase_forget_env();

	if (n < 0) {
		fprintf(stderr, "simpki-ca: %s\n", err);
		return n;
	}
	if (n < CA_PASSPHRASE_MIN) {
		fprintf(stderr, "simpki-ca: the passphrase is shorter than %d characters\n", CA_PASSPHRASE_MIN);
		OPENSSL_cleanse(buf, size);
		return -EINVAL;
	}
	return 0;
}

static int add_ext(X509 *x, X509_REQ *req, STACK_OF(X509_EXTENSION) * *sk, X509V3_CTX *v3, int nid, const char *v)
{
	X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, v3, nid, v);
	int ok = e && (x ? X509_add_ext(x, e, -1) : X509v3_add_ext(sk, e, -1) != NULL);

	X509_EXTENSION_free(e);
	return ok ? 0 : -EINVAL;
}

/* The self-signed CA certificate, or (\a csr) the request for a parent. \returns 0; -EIO */
static int make_ca(const struct init_opts *o, X509_NAME *name, EVP_PKEY *key, X509 **cert, X509_REQ **csr)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509V3_CTX v3;
	uint8_t b[16];
	BIGNUM *bn = NULL;
	X509 *x = NULL;
	X509_REQ *r = NULL;
	time_t now = time(NULL);
	int ok;

	if (o->parent) {
		r = X509_REQ_new();
		X509V3_set_ctx(&v3, NULL, NULL, r, NULL, 0);
		ok = r && X509_REQ_set_version(r, X509_REQ_VERSION_1) && X509_REQ_set_subject_name(r, name) &&
		     X509_REQ_set_pubkey(r, key) &&
		     !add_ext(NULL, r, &exts, &v3, NID_basic_constraints, "critical,CA:TRUE") &&
		     !add_ext(NULL, r, &exts, &v3, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign") &&
		     X509_REQ_add_extensions(r, exts) && X509_REQ_sign(r, key, EVP_sha256());
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		if (!ok) {
			X509_REQ_free(r);
			return -EIO;
		}
		*csr = r;
		return 0;
	}
	x = X509_new();
	ok = x && RAND_bytes(b, sizeof(b)) == 1;
	if (ok) {
		b[0] = (uint8_t)((b[0] & 0x7f) | 0x40);
		bn = BN_bin2bn(b, sizeof(b), NULL);
	}
	ok = ok && bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) && X509_set_version(x, X509_VERSION_3) &&
	     X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) && X509_set_pubkey(x, key) &&
	     X509_time_adj_ex(X509_getm_notBefore(x), 0, -60, &now) &&
	     X509_time_adj_ex(X509_getm_notAfter(x), o->days, 0, &now);
	BN_free(bn);
	if (ok) {
		X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
		ok = !add_ext(x, NULL, NULL, &v3, NID_basic_constraints, "critical,CA:TRUE") &&
		     !add_ext(x, NULL, NULL, &v3, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign") &&
		     !add_ext(x, NULL, NULL, &v3, NID_subject_key_identifier, "hash") &&
		     !add_ext(x, NULL, NULL, &v3, NID_authority_key_identifier, "keyid:always") &&
		     X509_sign(x, key, EVP_sha256());
	}
	if (!ok) {
		X509_free(x);
		return -EIO;
	}
	*cert = x;
	return 0;
}

/* The RA's and the OCSP signer's keys and certificates, and the records they are in. \returns 0; -errno */
static int make_services(void *ctx, const char *dir, X509 *cacert, EVP_PKEY *cakey)
{
	static const struct {
		enum ca_service kind;
		const char *cn, *pem, *key;
	} svc[] = {
		{ CA_SERVICE_RA, "simpki-otad RA", "ra.pem", "ra.key" },
		{ CA_SERVICE_OCSP, "simpki-ca OCSP responder", "ocsp.pem", "ocsp.key" },
	};
	struct ca *ca = ca_alloc(ctx);
	char err[300];
	int rc = 0;

	ca->cert = cacert;
	ca->key = cakey;
	rc = ca_db_open(ca, path(ca, dir, "ca.db"), &ca->db, err, sizeof(err));
	for (size_t i = 0; !rc && i < sizeof(svc) / sizeof(svc[0]); i++) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		X509_NAME *n = X509_NAME_new();
		int o_idx = X509_NAME_get_index_by_NID(X509_get_subject_name(cacert), NID_organizationName, -1);
		X509 *x = NULL;

		rc = k && n &&
				     X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
								(unsigned char *)svc[i].cn, -1, -1, 0) ?
			     0 :
			     -ENOMEM;
		if (!rc && o_idx >= 0 &&
		    !X509_NAME_add_entry(n, X509_NAME_get_entry(X509_get_subject_name(cacert), o_idx), -1, 0))
			rc = -ENOMEM;
		if (!rc)
			rc = ca_issue_service(ca, svc[i].kind, n, k, 825, &x, err, sizeof(err));
		if (!rc)
			rc = ca_key_write(path(ca, dir, svc[i].key), k, NULL, err, sizeof(err));
		if (!rc)
			rc = ca_pem_write(path(ca, dir, svc[i].pem), x, NULL, err, sizeof(err));
		X509_free(x);
		X509_NAME_free(n);
		EVP_PKEY_free(k);
	}
	if (rc)
		fprintf(stderr, "simpki-ca: %s\n", err[0] ? err : "cannot make the RA and OCSP certificates");
	ca->cert = NULL;
	ca->key = NULL;
	talloc_free(ca);
	return rc;
}

static int write_cfg(void *ctx, const struct init_opts *o)
{
	char *p = path(ctx, o->dir, "simpki-ca.cfg"), *crl = path(ctx, o->dir, "crl"), *pf = NULL;
	uint8_t rnd[12];
	char pw[25];
	FILE *f;
	int fd;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
	if (o->pass_file) {
		pf = realpath(o->pass_file, NULL);
		if (!pf)
			return -EIO;
	}
	if (mkdir(crl, 0755) && errno != EEXIST) {
		fprintf(stderr, "simpki-ca: cannot make %s: %s\n", crl, strerror(errno));
		free(pf);
		return -EIO;
	}
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		fprintf(stderr, "simpki-ca: cannot create %s: %s\n", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(pf);
		return -EIO;
	}
	fprintf(f,
		"! simpki-ca, made by 'simpki-ca init': runs as is (simpki-ca -c %s). Paths are relative to this "
		"file's\n"
		"! directory; everything listens on 127.0.0.1. The CA key's passphrase: %s. See docs/ca.md.\n"
		"log stderr\n logging filter all 1\n logging color 0\n logging print category 1\n"
		" logging print level 1\n logging timestamp 1\n logging level set-all notice\n!\n"
		"! 'enable' in the telnet VTY (127.0.0.1:%d) asks for this password (revoke, crl publish):\n"
		"enable password %s\nline vty\n bind 127.0.0.1\nctrl\n bind 127.0.0.1\n!\n"
		"ca\n database ca.db\n certificate ca.pem\n"
		" ! an HSM instead of the file: ca-key pkcs11:token=...;object=... (docs/ca.md, Keys)\n"
		" ca-key file:ca.key\n",
		p, pf ? "the passphrase-file below" : "SIMPKI_CA_PASSPHRASE in the environment", CA_VTY_PORT, pw);
	if (pf)
		fprintf(f, " passphrase-file %s\n", pf);
	fprintf(f, " ra-trust ra.pem\n default-profile signing\n"
		   "profile signing\n key-usage digital-signature non-repudiation\n validity-days 1825\n"
		   " same-key modification renewal\n"
		   "profile authentication\n key-usage digital-signature\n validity-days 1825\n"
		   " same-key modification renewal\n"
		   "cmp\n bind 127.0.0.1\n port 8490\n path /pkix/\n"
		   "status\n bind 127.0.0.1\n port 8491\n url http://127.0.0.1:8491\n crl-name ca\n crl-dir crl\n"
		   " crl interval 3600\n crl validity 0\n ocsp-signer delegated\n ocsp-certificate ocsp.pem\n"
		   " ocsp-key file:ocsp.key\n ocsp validity 3600\n");
	free(pf);
	if (fclose(f)) {
		unlink(p);
		return -EIO;
	}
	return 0;
}

int ca_init_main(int argc, char **argv)
{
	static const char *const made[] = { "ca.pem", "ca.key", "ca.csr", "simpki-ca.cfg", "ca.db" };
	void *ctx = talloc_named_const(NULL, 0, "simpki-ca init");
	char pass[CA_PASSPHRASE_MAX], err[300];
	struct init_opts o;
	X509_NAME *name = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	X509_REQ *csr = NULL;
	int rc = parse(argc, argv, &o, false);

	if (rc >= 0) {
		talloc_free(ctx);
		return rc;
	}
	rc = 1;
	name = ca_subject_parse(o.subject);
	if (!name) {
		fprintf(stderr, "simpki-ca: --subject: not /TYPE=VALUE/... with known types (CN, O, OU, C, ...): %s\n",
			o.subject);
		goto out;
	}
	if (mkdir(o.dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "simpki-ca: cannot make %s: %s\n", o.dir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		if (!access(path(ctx, o.dir, made[i]), F_OK)) {
			fprintf(stderr, "simpki-ca: %s/%s exists: refusing to overwrite a CA\n", o.dir, made[i]);
			goto out;
		}
	}
	if (passphrase(&o, pass, sizeof(pass)))
		goto out;
	key = !strcmp(o.alg, "p256") ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") :
				       EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	if (!key || make_ca(&o, name, key, &cert, &csr)) {
		fprintf(stderr, "simpki-ca: cannot make the CA key or certificate\n");
		goto out;
	}
	if (ca_key_write(path(ctx, o.dir, "ca.key"), key, pass, err, sizeof(err)) ||
	    ca_pem_write(path(ctx, o.dir, o.parent ? "ca.csr" : "ca.pem"), cert, csr, err, sizeof(err))) {
		fprintf(stderr, "simpki-ca: %s\n", err);
		goto out;
	}
	if (!o.parent && make_services(ctx, o.dir, cert, key))
		goto out;
	if (write_cfg(ctx, &o))
		goto out;
	if (o.parent)
		printf("%s/ca.key and %s/ca.csr made: have the parent CA sign ca.csr, then run\n"
		       "  simpki-ca install-cert --dir %s --cert SIGNED.pem\n",
		       o.dir, o.dir, o.dir);
	else
		printf("CA made in %s: ca.pem, ca.key (encrypted), ra.pem/ra.key (simpki-otad's RA), "
		       "ocsp.pem/ocsp.key,\n"
		       "ca.db, simpki-ca.cfg. Start it with: simpki-ca -c %s/simpki-ca.cfg\n",
		       o.dir, o.dir);
	rc = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_REQ_free(csr);
	ERR_clear_error();
	talloc_free(ctx);
	return rc;
}

int ca_install_cert_main(int argc, char **argv)
{
	void *ctx = talloc_named_const(NULL, 0, "simpki-ca install-cert");
	char pass[CA_PASSPHRASE_MAX], err[300], uri[4200];
	struct init_opts o;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc = parse(argc, argv, &o, true);

	if (rc >= 0) {
		talloc_free(ctx);
		return rc;
	}
	rc = 1;
	if (!access(path(ctx, o.dir, "ca.pem"), F_OK)) {
		fprintf(stderr, "simpki-ca: %s/ca.pem exists: refusing to overwrite a CA\n", o.dir);
		goto out;
	}
	if (ca_cert_load(o.cert, &cert, err, sizeof(err))) {
		fprintf(stderr, "simpki-ca: %s\n", err);
		goto out;
	}
	if (passphrase(&o, pass, sizeof(pass)))
		goto out;
	snprintf(uri, sizeof(uri), "%s/ca.key", o.dir);
	if (ca_key_load(uri, pass, &key, err, sizeof(err))) {
		fprintf(stderr, "simpki-ca: %s\n", err);
		goto out;
	}
	if (X509_check_private_key(cert, key) != 1 || X509_check_ca(cert) < 1) {
		fprintf(stderr, "simpki-ca: %s is not a CA certificate for %s/ca.key\n", o.cert, o.dir);
		goto out;
	}
	if (ca_pem_write(path(ctx, o.dir, "ca.pem"), cert, NULL, err, sizeof(err))) {
		fprintf(stderr, "simpki-ca: %s\n", err);
		goto out;
	}
	if (make_services(ctx, o.dir, cert, key))
		goto out;
	printf("%s/ca.pem installed; RA and OCSP signer certificates made\n", o.dir);
	rc = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	EVP_PKEY_free(key);
	X509_free(cert);
	ERR_clear_error();
	talloc_free(ctx);
	return rc;
}
