/* OCSP responses per second through ca_ocsp_answer() (ota-server/ca/status), against OpenSSL alone signing the same
 * BasicOCSPResponse, measured side by side in the same run: short rounds of each side alternate until each has had
 * its share of time, so machine noise hits all of them.
 *
 * A throwaway CA (tests/support/ca-fixture.h) with a delegated OCSP signer, for two key types (P-256 and RSA-2048,
 * ECDSA and RSA PKCS#1 v1.5 with SHA-256); the records are one in-memory lookup (serial 0x0123: good).
 *   fresh:   ca_ocsp_answer() of a request for one SHA-1 CertID with a 16-byte nonce: parse, bounds, issuer check,
 *            lookup, one SingleResponse, the nonce copied, signed, DER out. Never from the cache.
 *   cached:  the same request without a nonce, with a cache: after the first, the lookup and a copy of the DER.
 *   openssl: what a minimal responder does with OpenSSL directly for the same answer, without reading a request:
 *            OCSP_BASICRESP_new, OCSP_basic_add1_status (a CertID made once), OCSP_basic_sign (responderID by key,
 *            the signer's certificate included), OCSP_response_create, i2d.
 * Every round's last answer is parsed and checked outside the timing (successful, good, the nonce echoed, the
 * signature verifies with the CA as the trust anchor).
 *
 * Usage: ocsp-answer [--seconds S]   (S of measuring per key type and side; default 3)
 * Output: "name: value" lines; ocsp_*_fresh_ratio is fresh / openssl (1.0: parsing the request and the library's
 * checks add nothing to the signature; expect a little below), ocsp_*_cached_ratio is cached / openssl (the cache's
 * gain: no signature).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>

#include "ca_status.h"
#include "ca-fixture.h"

struct side {
	unsigned round; /* answers per round (about 10 ms) */
	double s;	/* seconds spent */
	unsigned long n;
};

static struct ca_fixture fx;
static struct ca_status_signer signer;
static struct ca_ocsp_cache *cache;
static struct ca_ocsp_params params;
static OCSP_REQUEST *req_nonce;
static uint8_t *req_der[2]; /* [0] no nonce, [1] with a nonce */
static size_t req_len[2];
static OCSP_CERTID *cid;
static uint8_t *last;
static size_t last_len;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "ocsp-answer: %s\n", what);
	exit(1);
}

static int lookup(const uint8_t *s, size_t len, struct ca_cert_state *st, void *priv)
{
	*st = (struct ca_cert_state){ .status = CA_CERT_UNKNOWN, .reason = -1 };
	if (len == 2 && s[0] == 0x01 && s[1] == 0x23)
		st->status = CA_CERT_GOOD;
	return 0;
}

static void keep(uint8_t *der, size_t len)
{
	OPENSSL_free(last);
	last = der;
	last_len = len;
}

static void answer_round(unsigned n, int nonce)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t *der;
		size_t len;

		if (ca_ocsp_answer(&signer, &params, req_der[nonce], req_len[nonce], lookup, NULL, &der, &len))
			die("ca_ocsp_answer failed");
		keep(der, len);
	}
}

static void fresh_round(unsigned n)
{
	answer_round(n, 1);
}

static void cached_round(unsigned n)
{
	answer_round(n, 0);
}

static void openssl_round(unsigned n)
{
	ASN1_TIME *this_upd = ASN1_TIME_set(NULL, (time_t)params.now),
		  *next_upd = ASN1_TIME_set(NULL, (time_t)params.now + 3600);

	for (unsigned i = 0; i < n; i++) {
		OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
		OCSP_RESPONSE *resp = NULL;
		uint8_t *der = NULL;
		int len = -1;

		if (bs && OCSP_basic_add1_status(bs, cid, V_OCSP_CERTSTATUS_GOOD, -1, NULL, this_upd, next_upd) &&
		    OCSP_basic_sign(bs, fx.signer, fx.signer_key, EVP_sha256(), NULL, OCSP_RESPID_KEY) == 1)
			resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
		if (resp)
			len = i2d_OCSP_RESPONSE(resp, &der);
		if (len <= 0)
			die("OpenSSL's own answer failed");
		keep(der, (size_t)len);
		OCSP_RESPONSE_free(resp);
		OCSP_BASICRESP_free(bs);
	}
	ASN1_TIME_free(this_upd);
	ASN1_TIME_free(next_upd);
}

/* The last answer: successful, one good SingleResponse, verifies; with_nonce: the request's nonce echoed. */
static void check_last(bool with_nonce)
{
	const uint8_t *q = last;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &q, (long)last_len);
	OCSP_BASICRESP *bs = resp ? OCSP_response_get1_basic(resp) : NULL;
	X509_STORE *st = X509_STORE_new();
	int status;

	if (!bs || !st || OCSP_resp_count(bs) != 1 || !X509_STORE_add_cert(st, fx.ca) ||
	    OCSP_basic_verify(bs, NULL, st, 0) != 1)
		die("an answer does not verify");
	status = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), NULL, NULL, NULL, NULL);
	if (status != V_OCSP_CERTSTATUS_GOOD || (with_nonce && OCSP_check_nonce(req_nonce, bs) != 1))
		die("an answer is wrong");
	X509_STORE_free(st);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
}

static void setup(bool rsa)
{
	static const uint8_t serial[] = { 0x01, 0x23 };

	ca_fixture_make(&fx, rsa, "simpki bench CA");
	signer = (struct ca_status_signer){ .ca = fx.ca, .cert = fx.signer, .key = fx.signer_key };
	cache = ca_ocsp_cache_new(64);
	params = (struct ca_ocsp_params){ .now = time(NULL), .cache = cache };
	cid = ca_fixture_id(EVP_sha1(), fx.ca, serial, sizeof(serial));
	for (int nonce = 0; nonce < 2; nonce++) {
		OCSP_REQUEST *r = OCSP_REQUEST_new();
		int n;

		if (!r || !OCSP_request_add0_id(r, OCSP_CERTID_dup(cid)) ||
		    (nonce && OCSP_request_add1_nonce(r, NULL, 16) != 1))
			die("request");
		req_der[nonce] = NULL;
		n = i2d_OCSP_REQUEST(r, &req_der[nonce]);
		if (n <= 0)
			die("request");
		req_len[nonce] = (size_t)n;
		if (nonce)
			req_nonce = r;
		else
			OCSP_REQUEST_free(r);
	}
}

static void teardown(void)
{
	OCSP_REQUEST_free(req_nonce);
	OPENSSL_free(req_der[0]);
	OPENSSL_free(req_der[1]);
	OCSP_CERTID_free(cid);
	ca_ocsp_cache_free(cache);
	ca_fixture_free(&fx);
	OPENSSL_free(last);
	last = NULL;
}

/* One round of side x, timed; a round is sized to take about 10 ms, so that the sides alternate evenly. */
static void run(struct side *x, void (*round)(unsigned), bool with_nonce)
{
	double t = now();

	round(x->round);
	x->s += now() - t;
	x->n += x->round;
	check_last(with_nonce);
}

static void size_round(struct side *x, void (*round)(unsigned))
{
	double t = now();

	round(10);
	t = (now() - t) / 10;
	x->round = t > 0.01 ? 1 : (unsigned)(0.01 / t);
}

static void measure(const char *name, bool rsa, double seconds)
{
	struct side fresh = { 0 }, cached = { 0 }, ossl = { 0 };

	setup(rsa);
	/* warm up (and the first cached answer), check each side once, size the rounds */
	size_round(&fresh, fresh_round);
	check_last(true);
	size_round(&cached, cached_round);
	check_last(false);
	size_round(&ossl, openssl_round);
	check_last(false);
	while (fresh.s < seconds || cached.s < seconds || ossl.s < seconds) {
		if (ossl.s < seconds)
			run(&ossl, openssl_round, false);
		if (fresh.s < seconds)
			run(&fresh, fresh_round, true);
		if (cached.s < seconds)
			run(&cached, cached_round, false);
	}
	printf("ocsp_%s_fresh_per_s: %.1f\n", name, (double)fresh.n / fresh.s);
	printf("ocsp_%s_cached_per_s: %.1f\n", name, (double)cached.n / cached.s);
	printf("openssl_%s_sign_per_s: %.1f\n", name, (double)ossl.n / ossl.s);
	printf("ocsp_%s_fresh_ratio: %.3f\n", name, (fresh.n / fresh.s) / (ossl.n / ossl.s));
	printf("ocsp_%s_cached_ratio: %.1f\n", name, (cached.n / cached.s) / (ossl.n / ossl.s));
	teardown();
}

int main(int argc, char **argv)
{
	double seconds = 3;

	if (argc == 3 && !strcmp(argv[1], "--seconds"))
		seconds = atof(argv[2]);
	else if (argc != 1) {
		fprintf(stderr, "usage: ocsp-answer [--seconds S]\n");
		return 2;
	}
	printf("seconds_per_side: %.2f\n", seconds);
	measure("p256", false, seconds);
	measure("rsa2048", true, seconds);
	return 0;
}
