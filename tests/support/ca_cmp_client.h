/* OpenSSL's CMP client talking to simpki-ca's CMP server in the same process, for the CA's unit tests (cmocka:
 * unit.h) on the fixed test PKI (ca_fixture.h):
 * - ca_cmp_client_roundtrip(ca, req, name, width): the request DER-encoded, handed to ca_cmp_handle() (the function
 *   the HTTP layer calls); returns the decoded answer, NULL if there is none. With CA_CMP_DUMP_DIR set, every
 *   request is also written there as NAME-NNN.der (NNN: a counter of WIDTH digits; seeds for
 *   tests/fuzz/fuzz-cmp-server);
 * - ca_cmp_client_new(fx, transfer): a client context with the RA's certificate and key, trusting the test CA, its
 *   transfer callback TRANSFER (which calls ca_cmp_client_roundtrip()), quiet;
 * - ca_cmp_client_key(): a new P-256 key. */
#pragma once
#include <stdio.h>
#include <stdlib.h>

#include <openssl/cmp.h>

#include "ca_cmp.h"
#include "ca_fixture.h"
#include "unit.h"

static inline OSSL_CMP_MSG *ca_cmp_client_roundtrip(struct ca *ca, const OSSL_CMP_MSG *req, const char *name, int width)
{
	static unsigned seq;
	unsigned char *der = NULL;
	const unsigned char *p;
	uint8_t *out = NULL;
	size_t len = 0;
	OSSL_CMP_MSG *rsp = NULL;
	int n = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);

	if (n > 0 && getenv("CA_CMP_DUMP_DIR")) {
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s-%0*u.der", getenv("CA_CMP_DUMP_DIR"), name, width, seq++);
		f = fopen(path, "wb");
		if (f) {
			fwrite(der, 1, (size_t)n, f);
			fclose(f);
		}
	}
	if (n > 0 && !ca_cmp_handle(ca, der, (size_t)n, &out, &len)) {
		p = out;
		rsp = d2i_OSSL_CMP_MSG(NULL, &p, (long)len);
	}
	OPENSSL_free(der);
	OPENSSL_free(out);
	return rsp;
}

static inline OSSL_CMP_CTX *ca_cmp_client_new(const struct ca_fixture *fx, OSSL_CMP_transfer_cb_t transfer)
{
	OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
	X509_STORE *st = X509_STORE_new();

	assert_non_null(ctx);
	assert_non_null(st);
	assert_true(X509_STORE_add_cert(st, fx->ca->cert));
	assert_true(OSSL_CMP_CTX_set0_trustedStore(ctx, st));
	assert_true(OSSL_CMP_CTX_set1_cert(ctx, fx->ra_cert));
	assert_true(OSSL_CMP_CTX_set1_pkey(ctx, fx->ra_key));
	assert_true(OSSL_CMP_CTX_set_transfer_cb(ctx, transfer));
	OSSL_CMP_CTX_set_log_verbosity(ctx, OSSL_CMP_LOG_EMERG);
	return ctx;
}

static inline EVP_PKEY *ca_cmp_client_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(k);
	return k;
}
