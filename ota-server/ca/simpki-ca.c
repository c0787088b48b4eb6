/* simpki-ca: the certificate authority daemon (ca.h, docs/ca.md), and its set-up commands (ca_init.h). main() in
 * the Osmocom order: talloc, logging, VTY, the config file, the CA's certificate and key (OSSL_STORE), the trusted
 * RAs, the records, the first CRL, the CMP and status HTTP servers, telnet VTY and CTRL, then the select loop until
 * SIGTERM or SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <osmocom/core/application.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/ctrl/control_cmd.h>
#include <osmocom/ctrl/control_if.h>
#include <osmocom/ctrl/control_vty.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/stats.h>
#include <osmocom/vty/telnet_interface.h>

#include "ca.h"
#include "ca_cmp.h"
#include "ca_http.h"
#include "ca_init.h"
#include "ca_key.h"
#include "ca_publish.h"

static struct vty_app_info vty_info = {
	.name = "simpki-ca",
	.version = "0.1",
	.copyright = "simpki-ca: the simpki certificate authority. License: see the simpki source.\r\n",
};

/* after a revocation, the next CRL waits until the last one's building is at most this share (1/N) of the time since
 * it was written: CRLs after revocations cost at most about a tenth of the CA's time, however long the list */
#define CA_CRL_COST_FACTOR 10

static struct osmo_timer_list crl_timer;
static struct osmo_timer_list crl_soon;	   /* the CRL of revocations that came too soon after the last CRL */
static double crl_last_end, crl_last_cost; /* monotonic seconds: when the last CRL was written, what it took */
static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	quit = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: simpki-ca [-c FILE] [-h]\n"
		"       simpki-ca init --dir DIR --subject SUBJECT [...]     (simpki-ca init --help)\n"
		"       simpki-ca install-cert --dir DIR --cert FILE [...]   (simpki-ca install-cert --help)\n"
		"\n"
		"The simpki certificate authority: CMP (RFC 4210, RFC 9483) for trusted RAs on 127.0.0.1:8490/pkix/,\n"
		"CRLs, OCSP and the CA certificate on 127.0.0.1:8491, its records in SQLite. Runs in the foreground;\n"
		"SIGTERM or SIGINT stop it cleanly.\n"
		"\n"
		"  -c, --config-file FILE   the configuration, in VTY syntax (default simpki-ca.cfg), as 'simpki-ca "
		"init'\n"
		"                           writes it; relative paths in it are relative to its directory\n"
		"  -h, --help               this text\n"
		"\n"
		"The CA key's passphrase: 'passphrase-file' in the configuration, else %s in the environment.\n"
		"Telnet VTY on 127.0.0.1:%d (show certificates, show certificate SERIAL, revoke SERIAL reason R,\n"
		"crl publish, show cmp, show ca, show rate-counters), CTRL on 127.0.0.1:%d. See docs/ca.md.\n"
		"Exit codes: 0 stopped by a signal, 1 could not start (the message says why), 2 usage error.\n",
		CA_PASSPHRASE_ENV, CA_VTY_PORT, CA_CTRL_PORT);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void publish(void)
{
	double t0 = mono();
	char err[300];

	osmo_timer_del(&crl_soon);
	if (ca_crl_publish(g_ca, err, sizeof(err)))
		LOGP(DSTATUS, LOGL_ERROR, "%s\n", err);
	crl_last_end = mono();
	crl_last_cost = crl_last_end - t0;
}

static void crl_soon_cb(void *data)
{
	publish();
}

static void crl_timer_cb(void *data)
{
	publish();
	osmo_timer_schedule(&crl_timer, g_ca->cfg.crl_interval, 0);
}

static void on_revoked(struct ca *ca, const char *serial)
{
	double wait;
	uint8_t b[CA_SERIAL_BYTES_MAX];
	size_t n = strlen(serial) / 2;

	for (size_t i = 0; i < n && i < sizeof(b); i++)
		sscanf(serial + 2 * i, "%2hhx", &b[i]);
	if (ca->ocsp_cache && n <= sizeof(b))
		ca_ocsp_cache_forget(ca->ocsp_cache, b, n);
	/* A new CRL at once, unless the last one's building took more than a tenth of the time since: then as soon as
	 * it no longer does, for every revocation since (a CRL of 100,000 entries takes about half a second: a burst
	 * of revocations shares one CRL every few seconds instead of rebuilding it for each). */
	if (osmo_timer_pending(&crl_soon))
		return;
	wait = CA_CRL_COST_FACTOR * crl_last_cost - (mono() - crl_last_end);
	if (wait <= 0) {
		publish();
		return;
	}
	osmo_timer_schedule(&crl_soon, (long)wait, (long)((wait - (long)wait) * 1e6));
}

/* A key's OSSL_STORE URI with a relative file: path made absolute against the configuration's directory. */
static char *key_uri(void *ctx, const char *uri)
{
	if (!strncmp(uri, "file:", 5) && uri[5] != '/')
		return talloc_asprintf(ctx, "file:%s", ca_path(ctx, uri + 5));
	if (!strchr(uri, ':'))
		return ca_path(ctx, uri);
	return talloc_strdup(ctx, uri);
}

/* What start() loads, freed at the end or after a refusal at start (each may be missing). */
static void release(void)
{
	if (g_ca->db)
		ca_db_close(g_ca->db);
	ca_ocsp_cache_free(g_ca->ocsp_cache);
	EVP_PKEY_free(g_ca->key);
	EVP_PKEY_free(g_ca->ocsp_key);
	X509_free(g_ca->cert);
	X509_free(g_ca->ocsp_cert);
	sk_X509_pop_free(g_ca->ra_certs, X509_free);
}

static int load_ca(void)
{
	char pass[CA_PASSPHRASE_MAX], err[400], *p;
	int rc;

	p = ca_path(g_ca, g_ca->cfg.ca_cert);
	rc = ca_cert_load(p, &g_ca->cert, err, sizeof(err));
	if (rc) {
		LOGP(DCA, LOGL_FATAL, "the CA certificate: %s\n", err);
		return rc;
	}
	rc = ca_passphrase_get(g_ca->cfg.passphrase_file ? ca_path(g_ca, g_ca->cfg.passphrase_file) : NULL, pass,
			       sizeof(pass), err, sizeof(err));
	if (rc < 0) {
		LOGP(DCA, LOGL_FATAL, "the CA key's passphrase: %s\n", err);
		return rc;
	}
	ca_passphrase_forget_env();
	rc = ca_key_load(key_uri(g_ca, g_ca->cfg.ca_key), pass, &g_ca->key, err, sizeof(err));
	OPENSSL_cleanse(pass, sizeof(pass));
	if (rc) {
		LOGP(DCA, LOGL_FATAL, "the CA key: %s\n", err);
		return rc;
	}
	if (X509_check_private_key(g_ca->cert, g_ca->key) != 1) {
		ERR_clear_error();
		LOGP(DCA, LOGL_FATAL, "the CA key %s is not the key of %s\n", g_ca->cfg.ca_key, p);
		return -EINVAL;
	}
	return 0;
}

static int load_trust(void)
{
	char err[400];
	int rc;

	g_ca->ra_certs = sk_X509_new_null();
	for (unsigned i = 0; i < g_ca->cfg.n_ra; i++) {
		rc = ca_certs_load(ca_path(g_ca, g_ca->cfg.ra_trust[i]), g_ca->ra_certs, err, sizeof(err));
		if (rc < 0) {
			LOGP(DCA, LOGL_FATAL, "ra-trust: %s\n", err);
			return rc;
		}
	}
	if (!sk_X509_num(g_ca->ra_certs))
		LOGP(DCA, LOGL_ERROR, "no 'ra-trust': every CMP request will be refused\n");
	if (!g_ca->cfg.ocsp_delegated)
		return 0;
	rc = ca_cert_load(ca_path(g_ca, g_ca->cfg.ocsp_cert), &g_ca->ocsp_cert, err, sizeof(err));
	if (!rc)
		rc = ca_key_load(key_uri(g_ca, g_ca->cfg.ocsp_key), NULL, &g_ca->ocsp_key, err, sizeof(err));
	if (!rc && (X509_check_private_key(g_ca->ocsp_cert, g_ca->ocsp_key) != 1 ||
		    X509_check_issued(g_ca->cert, g_ca->ocsp_cert) != X509_V_OK)) {
		snprintf(err, sizeof(err), "%s is not the CA's OCSP signer for the key %s", g_ca->cfg.ocsp_cert,
			 g_ca->cfg.ocsp_key);
		rc = -EINVAL;
	}
	ERR_clear_error();
	if (rc)
		LOGP(DCA, LOGL_FATAL, "ocsp-signer delegated: %s\n", err);
	return rc;
}

CTRL_CMD_DEFINE_RO(certificates, "certificates");
static int get_certificates(struct ctrl_cmd *cmd, void *data)
{
	int64_t revoked = 0, n = ca_db_cert_count(g_ca->db, &revoked);

	if (n < 0) {
		cmd->reply = "the records cannot be read";
		return CTRL_CMD_ERROR;
	}
	cmd->reply = talloc_asprintf(cmd, "%lld,%lld", (long long)n, (long long)revoked);
	return CTRL_CMD_REPLY;
}

static int start(const char *cfg_file)
{
	struct ctrl_handle *ctrl;
	char err[400], *copy, *dir;
	int rc;

	copy = talloc_strdup(g_ca, cfg_file);
	dir = realpath(dirname(copy), NULL); /* absolute: OSSL_STORE's file: URIs must be */
	if (!dir) {
		fprintf(stderr, "simpki-ca: %s: %s\n", cfg_file, strerror(errno));
		return -ENOENT;
	}
	g_ca->cfg_dir = talloc_strdup(g_ca, dir);
	free(dir);
	if (vty_read_config_file(cfg_file, NULL) < 0) {
		fprintf(stderr, "simpki-ca: cannot read the configuration file %s\n", cfg_file);
		return -EINVAL;
	}
	if (!ca_profile_find(g_ca, g_ca->cfg.default_profile)) {
		LOGP(DCA, LOGL_FATAL, "default-profile %s: no such profile\n", g_ca->cfg.default_profile);
		return -EINVAL;
	}
	rc = load_ca();
	if (!rc)
		rc = load_trust();
	if (rc)
		return rc;
	rc = ca_db_open(g_ca, ca_path(g_ca, g_ca->cfg.database), &g_ca->db, err, sizeof(err));
	if (rc) {
		LOGP(DCA, LOGL_FATAL, "the records: %s\n", err);
		return rc;
	}
	g_ca->ocsp_cache = ca_ocsp_cache_new(4096);
	ca_revoked_hook = on_revoked;
	dir = ca_path(g_ca, g_ca->cfg.crl_dir);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		LOGP(DCA, LOGL_FATAL, "crl-dir %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	crl_last_cost = mono();
	rc = ca_crl_publish(g_ca, err, sizeof(err));
	if (rc) {
		LOGP(DCA, LOGL_FATAL, "%s\n", err);
		return rc;
	}
	crl_last_end = mono();
	crl_last_cost = crl_last_end - crl_last_cost;
	osmo_timer_setup(&crl_timer, crl_timer_cb, NULL);
	osmo_timer_setup(&crl_soon, crl_soon_cb, NULL);
	osmo_timer_schedule(&crl_timer, g_ca->cfg.crl_interval, 0);
	rc = ca_http_start(err, sizeof(err));
	if (rc) {
		LOGP(DCA, LOGL_FATAL, "%s\n", err);
		return rc;
	}
	rc = telnet_init_default(g_ca, NULL, CA_VTY_PORT);
	if (rc < 0) {
		LOGP(DCA, LOGL_FATAL, "cannot open the telnet VTY on port %d: %s\n", CA_VTY_PORT, strerror(-rc));
		return rc;
	}
	ctrl = ctrl_interface_setup_dynip2(NULL, ctrl_vty_get_bind_addr(), CA_CTRL_PORT, NULL, 0);
	if (!ctrl) {
		LOGP(DCA, LOGL_FATAL, "cannot open the CTRL interface on port %d\n", CA_CTRL_PORT);
		return -EADDRINUSE;
	}
	ctrl_cmd_install(CTRL_NODE_ROOT, &cmd_certificates);
	LOGP(DCA, LOGL_NOTICE, "simpki-ca ready: %lld certificates in %s\n",
	     (long long)ca_db_cert_count(g_ca->db, NULL), g_ca->cfg.database);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config-file", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg_file = "simpki-ca.cfg";
	void *ctx;
	int c, rc;

	if (argc > 1 && !strcmp(argv[1], "init"))
		return ca_init_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "install-cert"))
		return ca_install_cert_main(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "simpki-ca: unexpected argument: %s\n", argv[optind]);
		return 2;
	}

	umask(077); /* the records and logs are for this daemon's user only; CRLs are made 0644 explicitly */
	ctx = talloc_named_const(NULL, 1, "simpki-ca");
	msgb_talloc_ctx_init(ctx, 0);
	g_ca = ca_alloc(ctx);
	osmo_init_logging2(ctx, &ca_log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	g_ca->ctrs = rate_ctr_group_alloc(ctx, &ca_ctrg_desc, 0);
	vty_info.tall_ctx = ctx;
	vty_init(&vty_info);
	ctrl_vty_init(ctx);
	logging_vty_add_cmds();
	osmo_talloc_vty_add_cmds();
	osmo_stats_vty_add_cmds();
	ca_vty_init();

	rc = start(cfg_file);
	if (rc) {
		release();
		talloc_free(ctx);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!quit)
		osmo_select_main_ctx(0);
	LOGP(DCA, LOGL_NOTICE, "%s: stopping\n", strsignal(quit));
	ca_http_stop();
	osmo_timer_del(&crl_timer);
	osmo_timer_del(&crl_soon);
	release();
	telnet_exit();
	talloc_free(ctx);
	return 0;
}
