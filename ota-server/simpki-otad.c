/* simpki-otad: the OTA server daemon (otad.h). main() in the Osmocom order: talloc, logging, VTY, the config file,
 * the master key and the database, telnet VTY and CTRL, then the select loop until SIGTERM or SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <osmocom/core/application.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/ctrl/control_if.h>
#include <osmocom/ctrl/control_vty.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/stats.h>
#include <osmocom/vty/telnet_interface.h>

#include "audit_daemon.h"
#include "audit_key.h"
#include "otad.h"
#include "otad_api.h"
#include "campaign.h"
#include "lifecycle/lifecycle_engine.h"
#include "enrol.h"
#include "request.h"
#include "otad_job.h"
#include "pinreset/pinreset.h"
#include "otad_units.h"
#include "ra_cmp.h"
#include "ra_ocsp.h"
#include "scp81_server.h"
#include "scp81_vty.h"
#include "sign.h"
#include "sign_api.h"
#include "sign_vty.h"

#define OTAD_VTY_PORT 4270
#define OTAD_CTRL_PORT 4271

struct otad *g_otad;

static struct vty_app_info vty_info = {
	.name = "simpki-otad",
	.version = "0.1",
	.copyright = "simpki-otad: the simpki OTA server. License: see the simpki source.\r\n",
};

char *otad_path(void *ctx, const char *path)
{
	if (path[0] == '/' || !g_otad->cfg_dir)
		return talloc_strdup(ctx, path);
	return talloc_asprintf(ctx, "%s/%s", g_otad->cfg_dir, path);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: simpki-otad [-c FILE] [--restored] [-h]\n"
		"\n"
		"The simpki OTA server: the SIM inventory, the OTA key store, secured packets to SIMs through an SMSC\n"
		"(SMPP) and their proofs of receipt. Runs in the foreground; SIGTERM or SIGINT stop it cleanly.\n"
		"\n"
		"  -c, --config-file FILE   the configuration, in VTY syntax (default simpki-otad.cfg); relative "
		"paths\n"
		"                           in it are relative to its directory\n"
		"      --restored           the database was restored from a copy not made by 'backup database' (a\n"
		"                           snapshot, a file copy): send nothing until its counters are raised and\n"
		"                           confirmed, as for a marked copy (docs/otad.md, the counter floor)\n"
		"  -h, --help               this text\n"
		"\n"
		"The operator API (HTTP/JSON) on 127.0.0.1:8480 by default: every request needs a bearer token, the\n"
		"one in SIMPKI_API_TOKEN when the daemon starts (the administrator's) or one made with\n"
		"'api token create NAME' in the VTY. Telnet VTY on 127.0.0.1:%d (show cards, import cards FILE,\n"
		"job create, show jobs, show smpp, show rate-counters; master-key rotate FILE, backup database PATH,\n"
		"show database, counter-floor, show audit), CTRL on 127.0.0.1:%d. See docs/otad.md.\n"
		"Exit codes: 0 stopped by a signal, 1 could not start (the message says why), 2 usage error.\n",
		OTAD_VTY_PORT, OTAD_CTRL_PORT);
}

/* The SCP81 RAS's callbacks: the job engine (otad_job.h, "Bearers"). A card's PSK identity is its ICCID; the test-only
 * 'test-psk' lines of the 'scp81' node come first. */
static int scp81_psk(const char *identity, uint8_t *psk, size_t max)
{
	int rc = scp81_test_psk(identity, psk, max);

	return rc > 0 ? rc : otad_job_bip_psk(identity, psk, max);
}

static int scp81_next(const char *identity, struct scp81_script *out)
{
	return otad_job_bip_next(identity, &out->job, out->aid, &out->aid_len, out->body, sizeof(out->body), &out->len);
}

static void scp81_result(const char *identity, int64_t job, enum scp81_script_status st, const uint8_t *resp,
			 size_t len)
{
	otad_job_bip_result(identity, job, (int)st, resp, len);
}

static void scp81_ended(const char *identity, int64_t job, int reason)
{
	otad_job_bip_ended(identity, job, reason);
}

static const struct scp81_ops scp81_ops = {
	.psk = scp81_psk,
	.next = scp81_next,
	.result = scp81_result,
	.ended = scp81_ended,
};

/* The SCP81 RAS, when the configuration has an 'scp81' node that listens. */
static int start_scp81(void)
{
	int rc;

	if (!scp81_cfg.enabled || !scp81_cfg.listen)
		return 0;
	if (scp81_test_psk_count())
		LOGP(DSCP81, LOGL_ERROR,
		     "THE CONFIGURATION HAS %u TEST-ONLY 'test-psk' LINES: THEIR IDENTITIES CONNECT WITH A KEY FROM "
		     "THE "
		     "CONFIGURATION FILE. FOR TESTS ONLY, NEVER IN PRODUCTION\n",
		     scp81_test_psk_count());
	rc = scp81_server_start(g_otad->ctx, &scp81_ops);
	if (rc) {
		LOGP(DSCP81, LOGL_FATAL, "cannot open the SCP81 RAS on %s:%u: %s\n", scp81_cfg.ip, scp81_cfg.port,
		     strerror(-rc));
		return rc;
	}
	LOGP(DSCP81, LOGL_NOTICE, "SCP81 RAS listening on %s:%d\n", scp81_cfg.ip, scp81_server_port());
	otad_bip_cfg.enabled = true; /* jobs may go by BIP */
	otad_bip_session_open = scp81_server_session_open;
	return 0;
}

static volatile sig_atomic_t quit;
static bool restored; /* --restored: mark the database as a restored copy */

static void on_signal(int sig)
{
	quit = sig;
}

/* The RA's CMP client, when the configuration has a 'ca' node with a cmp-url. */
static int start_ca(char *err, size_t errlen)
{
	struct ra_cmp_cfg cfg = {
		.url = g_otad->ca.cmp_url,
		.retry_min_s = g_otad->ca.retry_min_s,
		.retry_max_s = g_otad->ca.retry_max_s,
		.timeout_s = g_otad->ca.timeout_s,
	};

	if (!g_otad->ca.cmp_url)
		return 0;
	cfg.ra_cert = g_otad->ca.ra_cert ? otad_path(g_otad->ctx, g_otad->ca.ra_cert) : NULL;
	cfg.ra_key = g_otad->ca.ra_key ? otad_path(g_otad->ctx, g_otad->ca.ra_key) : NULL;
	cfg.ca_chain = g_otad->ca.ca_chain ? otad_path(g_otad->ctx, g_otad->ca.ca_chain) : NULL;
	cfg.trust_anchor = g_otad->ca.trust_anchor ? otad_path(g_otad->ctx, g_otad->ca.trust_anchor) : NULL;
	if (ra_cmp_alloc(g_otad->ctx, &cfg, &g_otad->ra, err, errlen))
		return -EINVAL;
	LOGP(DOTAD, LOGL_NOTICE, "CA: CMP at %s\n", g_otad->ca.cmp_url);
	return 0;
}

/* The RA's OCSP client, when the 'ca' node has an ocsp-url (the certificates it asks about are the CA's: its
 * trust-anchor and ca-chain). */
static int start_ocsp(char *err, size_t errlen)
{
	struct ra_ocsp_cfg cfg = {
		.url = g_otad->ca.ocsp_url,
		.timeout_s = g_otad->ca.ocsp_timeout_s,
		.cache_s = g_otad->ca.ocsp_cache_s,
	};

	if (!g_otad->ca.ocsp_url)
		return 0;
	cfg.issuers = g_otad->ca.trust_anchor ? otad_path(g_otad->ctx, g_otad->ca.trust_anchor) : NULL;
	cfg.issuers2 = g_otad->ca.ca_chain ? otad_path(g_otad->ctx, g_otad->ca.ca_chain) : NULL;
	if (ra_ocsp_alloc(g_otad->ctx, &cfg, &g_otad->ocsp, err, errlen))
		return -EINVAL;
	LOGP(DOTAD, LOGL_NOTICE, "CA: OCSP at %s (answers reused for %u s)\n", g_otad->ca.ocsp_url, cfg.cache_s);
	return 0;
}

static int start(const char *cfg_file)
{
	uint8_t mk[KEYSTORE_KEY_LEN];
	EVP_PKEY *audit_pkey = NULL;
	struct ctrl_handle *ctrl;
	char err[512], *path, *key_path, *copy;
	int rc;

	copy = talloc_strdup(g_otad->ctx, cfg_file);
	g_otad->cfg_dir = talloc_strdup(g_otad->ctx, dirname(copy));
	rc = vty_read_config_file(cfg_file, NULL);
	if (rc < 0) {
		fprintf(stderr, "simpki-otad: cannot read the configuration file %s\n", cfg_file);
		return -EINVAL;
	}
	key_path = otad_path(g_otad->ctx, g_otad->cfg.master_key);
	rc = keystore_load(key_path, g_otad->cfg.master_key_create, mk, err, sizeof(err));
	if (rc) {
		LOGP(DOTAD, LOGL_FATAL, "%s\n", err);
		return rc;
	}
	rc = audit_key_load(otad_path(g_otad->ctx, audit_cfg.key), audit_cfg.key_create, &audit_pkey, err, sizeof(err));
	if (rc) {
		OPENSSL_cleanse(mk, sizeof(mk));
		LOGP(DOTAD, LOGL_FATAL, "%s\n", err);
		return rc;
	}
	path = otad_path(g_otad->ctx, g_otad->cfg.database);
	rc = otad_db_open(g_otad->ctx, path, mk, &g_otad->db, err, sizeof(err));
	OPENSSL_cleanse(mk, sizeof(mk));
	if (rc) {
		LOGP(DOTAD, LOGL_FATAL, "database %s: %s%s%s\n", path, err, rc == -EBADMSG ? "; master key file " : "",
		     rc == -EBADMSG ? key_path : "");
		EVP_PKEY_free(audit_pkey);
		return rc;
	}
	if (audit_start(g_otad->ctx, g_otad->db, audit_pkey, g_otad->ctrs)) {
		LOGP(DOTAD, LOGL_FATAL, "database %s: cannot read the audit trail\n", path);
		EVP_PKEY_free(audit_pkey);
		return -EIO;
	}
	if (restored && otad_db_counter_floor_require(g_otad->db)) {
		LOGP(DOTAD, LOGL_FATAL, "database %s: cannot mark it as a restored copy\n", path);
		return -EIO;
	}
	if (otad_db_needs_floor(g_otad->db))
		LOGP(DOTAD, LOGL_ERROR,
		     "database %s is a restored copy: no OTA packet is sent until every key set's counter is raised "
		     "('counter-floor raise-all by N', 'card ICCID keyset KVN counter-floor N') and confirmed "
		     "('counter-floor confirm'); 'show database' says more\n",
		     path);
	rc = otad_units_load(g_otad->db, otad_path(g_otad->ctx, g_otad->units_dir), err, sizeof(err));
	if (rc < 0) {
		LOGP(DOTAD, LOGL_FATAL, "the organisation tree's units ('units-dir %s'): %s\n", g_otad->units_dir, err);
		return rc;
	}
	if (rc)
		LOGP(DOTAD, LOGL_NOTICE, "%d units of the organisation tree loaded from %s\n", rc, g_otad->units_dir);
	if (otad_unit_changes_start() < 0) {
		LOGP(DOTAD, LOGL_FATAL, "the organisation tree's unit changes: database error\n");
		return -EIO;
	}
	rc = start_ca(err, sizeof(err));
	if (rc) {
		LOGP(DOTAD, LOGL_FATAL, "the CA ('ca' node): %s\n", err);
		return rc;
	}
	rc = start_ocsp(err, sizeof(err));
	if (rc) {
		LOGP(DOTAD, LOGL_FATAL, "the CA's OCSP responder ('ca' node): %s\n", err);
		return rc;
	}
	rc = otad_smsc_start_all();
	if (rc) {
		LOGP(DOTAD, LOGL_FATAL, "cannot set up the SMSC binds\n");
		return rc;
	}
	rc = otad_job_resume_all();
	if (rc < 0) {
		LOGP(DOTAD, LOGL_FATAL, "cannot read the jobs from the database\n");
		return rc;
	}
	if (rc)
		LOGP(DOTAD, LOGL_NOTICE, "%d jobs resumed\n", rc);
	otad_enrol_init(g_otad->ra);
	rc = otad_enrol_resume_all();
	if (rc < 0) {
		LOGP(DOTAD, LOGL_FATAL, "cannot read the certificate enrolments from the database\n");
		return rc;
	}
	if (rc)
		LOGP(DOTAD, LOGL_NOTICE, "%d certificate enrolments resumed\n", rc);
	otad_campaign_init();
	rc = otad_campaign_resume_all();
	if (rc < 0) {
		LOGP(DOTAD, LOGL_FATAL, "cannot read the campaigns from the database\n");
		return rc;
	}
	otad_lc_init();
	rc = otad_lc_resume_all();
	if (rc < 0) {
		LOGP(DOTAD, LOGL_FATAL, "cannot read the lifecycle operations from the database\n");
		return rc;
	}
	/* requests: after the enrolments and campaigns (it chains their enrolment hook) */
	otad_request_init(g_otad->db);
	rc = otad_request_resume_all();
	if (rc < 0) {
		LOGP(DOTAD, LOGL_FATAL, "cannot read the requests from the database\n");
		return rc;
	}
	if (rc)
		LOGP(DOTAD, LOGL_NOTICE, "%d requests approved before the stop failed (never started)\n", rc);
	if (otad_sign_init(g_otad->ocsp)) {
		LOGP(DOTAD, LOGL_FATAL, "cannot read the signing sessions from the database\n");
		return -EIO;
	}
	if (otad_pin_reset_init()) {
		LOGP(DOTAD, LOGL_FATAL, "cannot read the PIN resets from the database\n");
		return -EIO;
	}
	if (otad_sign_cfg.enabled) {
		rc = otad_sign_api_start(err, sizeof(err));
		if (rc) {
			LOGP(DOTAD, LOGL_FATAL, "cannot open the relying-party API: %s\n", err);
			return rc;
		}
	}
	rc = start_scp81();
	if (rc)
		return rc;
	rc = otad_api_start(err, sizeof(err));
	if (rc) {
		LOGP(DOTAD, LOGL_FATAL, "cannot open the operator API: %s\n", err);
		return rc;
	}
	rc = telnet_init_default(g_otad->ctx, NULL, OTAD_VTY_PORT);
	if (rc < 0) {
		LOGP(DOTAD, LOGL_FATAL, "cannot open the telnet VTY on port %d: %s\n", OTAD_VTY_PORT, strerror(-rc));
		return rc;
	}
	ctrl = ctrl_interface_setup_dynip2(NULL, ctrl_vty_get_bind_addr(), OTAD_CTRL_PORT, NULL, 0);
	if (!ctrl) {
		LOGP(DOTAD, LOGL_FATAL, "cannot open the CTRL interface on port %d\n", OTAD_CTRL_PORT);
		return -EADDRINUSE;
	}
	LOGP(DOTAD, LOGL_NOTICE, "simpki-otad ready: %lld cards in %s\n", (long long)otad_db_card_count(g_otad->db),
	     path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config-file", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "restored", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg_file = "simpki-otad.cfg";
	void *ctx;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'r':
			restored = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "simpki-otad: unexpected argument: %s\n", argv[optind]);
		return 2;
	}

	umask(077); /* the database, the master key and logs are for this daemon's user only */
	ctx = talloc_named_const(NULL, 1, "simpki-otad");
	msgb_talloc_ctx_init(ctx, 0);
	g_otad = talloc_zero(ctx, struct otad);
	g_otad->ctx = ctx;
	g_otad->cfg.database = talloc_strdup(ctx, "otad.db");
	g_otad->cfg.master_key = talloc_strdup(ctx, "otad.key");
	g_otad->units_dir = talloc_strdup(ctx, OTAD_UNITS_DIR);
	audit_cfg.key = talloc_strdup(ctx, "audit.key");
	g_otad->ca.retry_min_s = 5;
	g_otad->ca.retry_max_s = 300;
	g_otad->ca.timeout_s = 30;
	g_otad->ca.ocsp_cache_s = 30;
	g_otad->ca.ocsp_timeout_s = 5;
	INIT_LLIST_HEAD(&g_otad->smscs);
	osmo_init_logging2(ctx, &otad_log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	g_otad->ctrs = rate_ctr_group_alloc(ctx, &otad_ctrg_desc, 0);
	vty_info.tall_ctx = ctx;
	vty_init(&vty_info);
	ctrl_vty_init(ctx);
	logging_vty_add_cmds();
	osmo_talloc_vty_add_cmds();
	osmo_stats_vty_add_cmds();
	otad_vty_init();
	otad_sign_vty_init();
	otad_pin_reset_vty_init();
	scp81_vty_init();
	audit_vty_init();

	rc = start(cfg_file);
	if (rc) {
		talloc_free(ctx);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!quit)
		osmo_select_main_ctx(0);
	LOGP(DOTAD, LOGL_NOTICE, "%s: stopping\n", strsignal(quit));
	otad_sign_api_stop();
	scp81_server_stop();
	otad_api_stop();
	otad_sign_stop_all();
	otad_lc_stop_all();
	otad_campaign_stop_all();
	otad_enrol_stop_all();
	if (g_otad->ra)
		ra_cmp_free(g_otad->ra);
	if (g_otad->ocsp)
		ra_ocsp_free(g_otad->ocsp);
	otad_job_stop_all();
	audit_stop();
	otad_db_close(g_otad->db);
	telnet_exit();
	talloc_free(ctx);
	return 0;
}
