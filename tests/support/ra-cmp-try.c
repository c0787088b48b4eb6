/* ra-cmp-try: one request through the RA's CMP client (ota-server/ra/ra_cmp.h) on a libosmocore select loop, as
 * simpki-otad makes them; prints the outcome as one line:
 *
 *   STATUS attempts=N pki_status=S fail_info=0xX chain=N cert=BYTES text=TEXT
 *
 * Usage: ra-cmp-try [-c CA_CHAIN] [-r MIN MAX] [-t TIMEOUT] [-o OUT.der] [-x TXID] [-n COUNT] URL RA_CERT RA_KEY
 *        TRUST_ANCHOR REQUEST
 *   REQUEST: p10cr CSR.der PROFILE|- HOLDER|-    kur OLD.der SUBJECT|- PROFILE|- PURPOSE    revoke CERT.der REASON
 *            cacerts
 *   kur: same-key (ra_cmp_kur_same_key_async()); SUBJECT as "/CN=.../O=..." in UTF-8 ('-': the old one's)
 *   TXID: the p10cr's or kur's transactionID, 32 hex digits (RA_CMP_TXID_LEN bytes); without it, a random one per
 *   exchange
 *   COUNT (kur only, a throughput run): COUNT such requests, 2 * RA_CMP_WORKERS waiting or under way at a time,
 *   each with a random transactionID; prints one line instead:
 *   "count=N done=N rejected=N other=N seconds=S per_second=R" (and the first rejection's line before it)
 * Exit status: 0 the outcome was printed; 2 usage or a refused request (the message says why). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "ra_cmp.h"

static bool over;
static const char *out_path;
static unsigned count, asked, ended, n_status[RA_CMP_N_STATUS];
static bool said_rejection;

static void on_result(const struct ra_cmp_result *res, void *priv)
{
	if (count) {
		ended++;
		n_status[res->status]++;
		if (res->status != RA_CMP_DONE && !said_rejection) {
			said_rejection = true;
			printf("%s attempts=%u pki_status=%d fail_info=0x%lx text=%s\n",
			       ra_cmp_status_names[res->status], res->attempts, res->pki_status, res->fail_info,
			       res->text);
		}
		over = ended == count;
		return;
	}
	printf("%s attempts=%u pki_status=%d fail_info=0x%lx chain=%u cert=%zu text=%s\n",
	       ra_cmp_status_names[res->status], res->attempts, res->pki_status, res->fail_info, res->chain_n,
	       res->cert_len, res->text);
	if (out_path && res->cert_len) {
		FILE *f = fopen(out_path, "wb");

		if (!f || fwrite(res->cert, 1, res->cert_len, f) != res->cert_len || fclose(f))
			fprintf(stderr, "ra-cmp-try: cannot write %s\n", out_path);
	}
	over = true;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	static uint8_t buf[RA_CMP_CERT_MAX + 1];
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "/TYPE=value/..." (UTF-8) into a new X509_NAME; NULL: malformed. */
static X509_NAME *name_parse(const char *s)
{
	X509_NAME *n = X509_NAME_new();
	char buf[1024], *tok, *save = NULL, *eq;

	if (!n || s[0] != '/' || strlen(s) >= sizeof(buf))
		goto fail;
	snprintf(buf, sizeof(buf), "%s", s + 1);
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		eq = strchr(tok, '=');
		if (!eq || eq == tok || !eq[1])
			goto fail;
		*eq = 0;
		if (!X509_NAME_add_entry_by_txt(n, tok, MBSTRING_UTF8, (unsigned char *)eq + 1, -1, -1, 0))
			goto fail;
	}
	if (X509_NAME_entry_count(n) > 0)
		return n;
fail:
	X509_NAME_free(n);
	return NULL;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: ra-cmp-try [-c CA_CHAIN] [-r MIN MAX] [-t TIMEOUT] [-o OUT.der] [-x TXID] [-n COUNT] URL "
		"RA_CERT RA_KEY TRUST_ANCHOR (p10cr CSR.der PROFILE|- HOLDER|- | kur OLD.der SUBJECT|- PROFILE|- "
		"PURPOSE | revoke CERT.der REASON | cacerts)\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct ra_cmp_cfg cfg = { .retry_min_s = 0, .retry_max_s = 0, .timeout_s = 10 };
	void *ctx = talloc_named_const(NULL, 1, "ra-cmp-try");
	struct ra_cmp *ra;
	char err[256];
	uint8_t *data, txid[RA_CMP_TXID_LEN];
	bool has_txid = false;
	size_t len = 0;
	int c, rc;

	while ((c = getopt(argc, argv, "c:r:t:o:x:n:")) != -1) {
		switch (c) {
		case 'c':
			cfg.ca_chain = optarg;
			break;
		case 'r':
			if (optind >= argc)
				return usage();
			cfg.retry_min_s = (unsigned)atoi(optarg);
			cfg.retry_max_s = (unsigned)atoi(argv[optind++]);
			break;
		case 't':
			cfg.timeout_s = (unsigned)atoi(optarg);
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'n':
			count = (unsigned)atoi(optarg);
			if (!count)
				return usage();
			break;
		case 'x':
			if (strlen(optarg) != 2 * sizeof(txid) ||
			    strspn(optarg, "0123456789abcdefABCDEF") != strlen(optarg))
				return usage();
			for (size_t i = 0; i < sizeof(txid); i++) {
				unsigned v;

				if (sscanf(optarg + 2 * i, "%2x", &v) != 1)
					return usage();
				txid[i] = (uint8_t)v;
			}
			has_txid = true;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind < 5)
		return usage();
	cfg.url = argv[optind];
	cfg.ra_cert = argv[optind + 1];
	cfg.ra_key = argv[optind + 2];
	cfg.trust_anchor = argv[optind + 3];
	argv += optind + 4;
	argc -= optind + 4;
	rc = ra_cmp_alloc(ctx, &cfg, &ra, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ra-cmp-try: %s (%d)\n", err, rc);
		talloc_free(ctx);
		return 2;
	}
	if (!strcmp(argv[0], "p10cr") && argc == 4) {
		data = read_file(argv[1], &len);
		rc = data ? ra_cmp_p10cr_async(ra, data, len, strcmp(argv[2], "-") ? argv[2] : NULL,
					       strcmp(argv[3], "-") ? argv[3] : NULL, NULL, has_txid ? txid : NULL,
					       on_result, NULL) :
			    -ENOENT;
	} else if (!strcmp(argv[0], "kur") && argc == 5) {
		static uint8_t old[RA_CMP_CERT_MAX + 1];
		uint8_t *name_der = NULL;
		int name_len = 0;
		double t0 = now();

		data = read_file(argv[1], &len);
		if (data)
			memcpy(old, data, len);
		if (strcmp(argv[2], "-")) {
			X509_NAME *n = name_parse(argv[2]);

			name_len = n ? i2d_X509_NAME(n, &name_der) : -1;
			X509_NAME_free(n);
			if (name_len <= 0) {
				talloc_free(ctx);
				return usage();
			}
		}
		do {
			rc = data ? ra_cmp_kur_same_key_async(ra, old, len, name_der, (size_t)name_len,
							      strcmp(argv[3], "-") ? argv[3] : NULL, argv[4],
							      has_txid && !count ? txid : NULL, on_result, NULL) :
				    -ENOENT;
			asked++;
			/* a throughput run: keep 2 * RA_CMP_WORKERS waiting or under way */
			while (!rc && count && asked < count && asked - ended >= 2 * RA_CMP_WORKERS)
				osmo_select_main(0);
		} while (!rc && count && asked < count);
		OPENSSL_free(name_der);
		if (!rc && count) {
			while (!over)
				osmo_select_main(0);
			printf("count=%u done=%u rejected=%u other=%u seconds=%.2f per_second=%.1f\n", count,
			       n_status[RA_CMP_DONE], n_status[RA_CMP_REJECTED],
			       n_status[RA_CMP_UNREACHABLE] + n_status[RA_CMP_ERROR], now() - t0, count / (now() - t0));
			talloc_free(ctx);
			return 0;
		}
	} else if (!strcmp(argv[0], "revoke") && argc == 3) {
		data = read_file(argv[1], &len);
		rc = data ? ra_cmp_revoke_async(ra, data, len, atoi(argv[2]), on_result, NULL) : -ENOENT;
	} else if (!strcmp(argv[0], "cacerts") && argc == 1) {
		rc = ra_cmp_cacerts_async(ra, on_result, NULL);
	} else {
		talloc_free(ctx);
		return usage();
	}
	if (rc) {
		fprintf(stderr, "ra-cmp-try: the request was refused: %s\n", strerror(-rc));
		printf("refused %d\n", rc);
		talloc_free(ctx); /* ra with it */
		return 2;
	}
	while (!over)
		osmo_select_main(0);
	talloc_free(ctx); /* ra with it */
	return 0;
}
