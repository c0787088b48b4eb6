/* ra-ocsp-try: certificates' status through the RA's OCSP client (ota-server/ra/ra_ocsp.h) on a libosmocore select
 * loop, as simpki-otad asks; one after another, each answer printed as one line "STATUS TEXT", then
 * "asked=N cached=M" (exchanges with the responder, answers from the cache).
 *
 * Usage: ra-ocsp-try URL ISSUERS.pem CACHE_S CERT.pem...
 * Exit status: 0 the answers were printed; 2 usage, or a certificate refused (the message says why). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "ra_ocsp.h"

static bool over;

static void on_answer(enum ra_ocsp_status st, const char *text, void *priv)
{
	printf("%s %s\n", ra_ocsp_status_names[st], text);
	over = true;
}

int main(int argc, char **argv)
{
	struct ra_ocsp_cfg cfg = { .timeout_s = 5 };
	struct ra_ocsp *o;
	unsigned long asked, cached;
	char err[256];
	void *ctx = talloc_named_const(NULL, 0, "ra-ocsp-try");

	if (argc < 5) {
		fprintf(stderr, "usage: ra-ocsp-try URL ISSUERS.pem CACHE_S CERT.pem...\n");
		return 2;
	}
	cfg.url = argv[1];
	cfg.issuers = argv[2];
	cfg.cache_s = (unsigned)atoi(argv[3]);
	if (ra_ocsp_alloc(ctx, &cfg, &o, err, sizeof(err))) {
		fprintf(stderr, "ra-ocsp-try: %s\n", err);
		return 2;
	}
	for (int i = 4; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
		unsigned char *der = NULL;
		int len = x ? i2d_X509(x, &der) : -1, rc;

		if (f)
			fclose(f);
		X509_free(x);
		if (len <= 0) {
			fprintf(stderr, "ra-ocsp-try: %s: not a PEM certificate\n", argv[i]);
			return 2;
		}
		over = false;
		rc = ra_ocsp_async(o, der, (size_t)len, on_answer, NULL);
		OPENSSL_free(der);
		if (rc) {
			fprintf(stderr, "ra-ocsp-try: %s: refused (%s)\n", argv[i], strerror(-rc));
			return 2;
		}
		while (!over)
			osmo_select_main_ctx(0);
	}
	ra_ocsp_stats(o, &asked, &cached);
	printf("asked=%lu cached=%lu\n", asked, cached);
	ra_ocsp_free(o);
	talloc_free(ctx);
	return 0;
}
