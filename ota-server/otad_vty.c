/* simpki-otad's VTY: the 'otad' configuration node and the operator's show and import commands.
 *
 *   otad                          (config node)
 *    database PATH                the SQLite database (default otad.db)
 *    master-key PATH [create]     the master key file (default otad.key); 'create' makes it on first start
 *
 *    job timeout SECONDS          how long a PoR may take per try (default 60)
 *    job retries N                tries after the first, for jobs that only read and for refusals (default 2)
 *    job validity-period SECONDS  how long the SMSC keeps each SMS (default 300; 0: the SMSC's default)
 *    job spi HEX                  the SPI of job packets (default 1639)
 *    job kvn N                    the key set used (default 1)
 *    smsc NAME                    an SMSC bind (node): remote-ip, remote-port, system-id, password, window, rate,
 *                                 response-timeout
 *
 *   show smpp                     each bind: state, queue, in flight
 *   job create ICCID TAR APDU...  a job: compact remote APDUs in hex (sent at most once unless they only read)
 *   show jobs                     jobs per state
 *   show job ID                   one job: state, counter, tries, PoR
 *   show cards                    how many cards
 *   show card ICCID               one card: identities, state, key sets and their counters
 *   import cards FILE [NAME]      import a vendor file (all or nothing) in the background: "import N started"; the
 *                                 file is read 64 KiB per select-loop step, so the daemon keeps answering
 *   show import N                 one import: progress; then its result and every rejected line with its kind
 *   show imports                  the 20 latest imports
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include <simpki/hex.h>

#include "api_parse.h"
#include "otad.h"
#include "otad_api.h"
#include "otad_import.h"
#include "otad_job.h"

enum otad_vty_node {
	OTAD_NODE = _LAST_OSMOVTY_NODE + 1,
	SMSC_NODE,
};

static struct cmd_node otad_node = { .node = OTAD_NODE, .prompt = "%s(config-otad)# ", .vtysh = 1 };
static struct cmd_node smsc_node = { .node = SMSC_NODE, .prompt = "%s(config-otad-smsc)# ", .vtysh = 1 };

static bool db_ready(struct vty *vty);

DEFUN(cfg_otad, cfg_otad_cmd, "otad", "Configure simpki-otad\n")
{
	vty->node = OTAD_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_database, cfg_database_cmd, "database PATH",
      "The SQLite database file\n"
      "Path (relative to the configuration file's directory)\n")
{
	osmo_talloc_replace_string(g_otad->ctx, &g_otad->cfg.database, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_master_key, cfg_master_key_cmd, "master-key PATH [create]",
      "The master key file that seals OTA keys in the database\n"
      "Path (relative to the configuration file's directory)\n"
      "Create it on first start if it does not exist\n")
{
	osmo_talloc_replace_string(g_otad->ctx, &g_otad->cfg.master_key, argv[0]);
	g_otad->cfg.master_key_create = argc > 1;
	return CMD_SUCCESS;
}

DEFUN(cfg_job_timeout, cfg_job_timeout_cmd, "job timeout <1-86400>",
      "OTA jobs\n"
      "How long a PoR may take, per try\n"
      "Seconds\n")
{
	otad_job_cfg.timeout_s = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_job_retries, cfg_job_retries_cmd, "job retries <0-10>",
      "OTA jobs\n"
      "Tries after the first\n"
      "Count\n")
{
	otad_job_cfg.retries = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_job_validity, cfg_job_validity_cmd, "job validity-period <0-86400>",
      "OTA jobs\n"
      "How long the SMSC keeps each SMS before it drops it (validity period)\n"
      "Seconds; 0: the SMSC's default\n")
{
	otad_job_cfg.validity_s = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_job_spi, cfg_job_spi_cmd, "job spi HEX",
      "OTA jobs\n"
      "The SPI of job packets\n"
      "Two bytes in hex\n")
{
	unsigned v;

	if (strlen(argv[0]) != 4 || sscanf(argv[0], "%4x", &v) != 1) {
		vty_out(vty, "%% the SPI is two bytes in hex, e.g. 1639%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	otad_job_cfg.spi[0] = (uint8_t)(v >> 8);
	otad_job_cfg.spi[1] = (uint8_t)v;
	return CMD_SUCCESS;
}

DEFUN(cfg_job_kvn, cfg_job_kvn_cmd, "job kvn <1-15>",
      "OTA jobs\n"
      "The key set used\n"
      "Key version number\n")
{
	otad_job_cfg.kvn = (uint8_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_api_bind, cfg_api_bind_cmd, "api bind A.B.C.D <1-65535>",
      "The operator API (HTTP/JSON)\n"
      "Where it listens\n"
      "IPv4 address\n"
      "Port\n")
{
	osmo_talloc_replace_string(g_otad->ctx, &otad_api_cfg.ip, argv[0]);
	otad_api_cfg.port = (uint16_t)atoi(argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_api_rate, cfg_api_rate_cmd, "api rate <0-1000000>",
      "The operator API (HTTP/JSON)\n"
      "Requests per second at most, beyond: 429\n"
      "Count (0: no limit)\n")
{
	otad_api_cfg.rate = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(api_token_create, api_token_create_cmd, "api token create NAME",
      "The operator API\n"
      "Bearer tokens\n"
      "Make one (it is shown once; only its hash is kept)\n"
      "Its name\n")
{
	char token[65];
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	if (strlen(argv[0]) > 64 ||
	    strspn(argv[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(argv[0])) {
		vty_out(vty, "%% a name is 1 to 64 of A-Z a-z 0-9 . _ -%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	rc = otad_api_token_new(argv[0], token);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -EEXIST ? "that name is taken" : "cannot make a token", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "token %s %s%s", argv[0], token, VTY_NEWLINE);
	memset(token, 0, sizeof(token));
	return CMD_SUCCESS;
}

DEFUN(cfg_smsc, cfg_smsc_cmd, "smsc NAME",
      "An SMSC to bind to (SMPP v3.4)\n"
      "A name for it\n")
{
	struct otad_smsc *smsc;

	llist_for_each_entry(smsc, &g_otad->smscs, list)
	{
		if (!strcmp(smsc->cfg.name, argv[0]))
			goto found;
	}
	smsc = talloc_zero(g_otad->ctx, struct otad_smsc);
	smsc->cfg.name = talloc_strdup(smsc, argv[0]);
	smsc->cfg.host = talloc_strdup(smsc, "127.0.0.1");
	smsc->cfg.port = 2775;
	smsc->cfg.system_id = talloc_strdup(smsc, "simpki");
	smsc->cfg.password = talloc_strdup(smsc, "simpki");
	smsc->cfg.source = talloc_strdup(smsc, "4242");
	smsc->cfg.window = 10;
	smsc->cfg.resp_timeout_s = 10;
	llist_add_tail(&smsc->list, &g_otad->smscs);
found:
	vty->index = smsc;
	vty->node = SMSC_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_smsc_ip, cfg_smsc_ip_cmd, "remote-ip A.B.C.D",
      "The SMSC's address\n"
      "IPv4 address\n")
{
	struct otad_smsc *smsc = vty->index;

	osmo_talloc_replace_string(smsc, &smsc->cfg.host, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_smsc_port, cfg_smsc_port_cmd, "remote-port <1-65535>",
      "The SMSC's SMPP port\n"
      "Port\n")
{
	struct otad_smsc *smsc = vty->index;

	smsc->cfg.port = (uint16_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_smsc_sysid, cfg_smsc_sysid_cmd, "system-id ID",
      "The ESME's system_id\n"
      "At most 15 characters\n")
{
	struct otad_smsc *smsc = vty->index;

	if (strlen(argv[0]) > 15) {
		vty_out(vty, "%% system-id is at most 15 characters%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(smsc, &smsc->cfg.system_id, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_smsc_password, cfg_smsc_password_cmd, "password PASSWORD",
      "The ESME's password\n"
      "At most 8 characters\n")
{
	struct otad_smsc *smsc = vty->index;

	if (strlen(argv[0]) > 8) {
		vty_out(vty, "%% password is at most 8 characters%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(smsc, &smsc->cfg.password, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_smsc_source, cfg_smsc_source_cmd, "source-addr NUMBER",
      "The originating address of the packets: SIMs send their PoRs to it\n"
      "Digits (at most 20)\n")
{
	struct otad_smsc *smsc = vty->index;

	if (strlen(argv[0]) > 20 || strspn(argv[0], "0123456789") != strlen(argv[0])) {
		vty_out(vty, "%% source-addr is 1 to 20 digits%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(smsc, &smsc->cfg.source, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_smsc_window, cfg_smsc_window_cmd, "window <1-1000>",
      "submit_sm awaiting their answer at once\n"
      "Count\n")
{
	struct otad_smsc *smsc = vty->index;

	smsc->cfg.window = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_smsc_resp_timeout, cfg_smsc_resp_timeout_cmd, "response-timeout <1-300>",
      "How long a submit_sm may wait for its answer before its window slot is free again and it is sent again\n"
      "Seconds\n")
{
	struct otad_smsc *smsc = vty->index;

	smsc->cfg.resp_timeout_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_smsc_rate, cfg_smsc_rate_cmd, "rate <0-100000>",
      "submit_sm per second at most\n"
      "Count (0: no limit)\n")
{
	struct otad_smsc *smsc = vty->index;

	smsc->cfg.rate = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

static int config_write_otad(struct vty *vty)
{
	struct otad_smsc *smsc;

	vty_out(vty, "otad%s", VTY_NEWLINE);
	vty_out(vty, " database %s%s", g_otad->cfg.database, VTY_NEWLINE);
	vty_out(vty, " master-key %s%s%s", g_otad->cfg.master_key, g_otad->cfg.master_key_create ? " create" : "",
		VTY_NEWLINE);
	vty_out(vty, " job timeout %u%s", otad_job_cfg.timeout_s, VTY_NEWLINE);
	vty_out(vty, " job retries %u%s", otad_job_cfg.retries, VTY_NEWLINE);
	vty_out(vty, " job validity-period %u%s", otad_job_cfg.validity_s, VTY_NEWLINE);
	vty_out(vty, " job spi %02x%02x%s", otad_job_cfg.spi[0], otad_job_cfg.spi[1], VTY_NEWLINE);
	vty_out(vty, " job kvn %u%s", otad_job_cfg.kvn, VTY_NEWLINE);
	vty_out(vty, " api bind %s %u%s", otad_api_cfg.ip ? otad_api_cfg.ip : "127.0.0.1", otad_api_cfg.port,
		VTY_NEWLINE);
	vty_out(vty, " api rate %u%s", otad_api_cfg.rate, VTY_NEWLINE);
	llist_for_each_entry(smsc, &g_otad->smscs, list)
	{
		vty_out(vty, " smsc %s%s", smsc->cfg.name, VTY_NEWLINE);
		vty_out(vty, "  remote-ip %s%s", smsc->cfg.host, VTY_NEWLINE);
		vty_out(vty, "  remote-port %u%s", smsc->cfg.port, VTY_NEWLINE);
		vty_out(vty, "  system-id %s%s", smsc->cfg.system_id, VTY_NEWLINE);
		vty_out(vty, "  password %s%s", smsc->cfg.password, VTY_NEWLINE);
		vty_out(vty, "  source-addr %s%s", smsc->cfg.source, VTY_NEWLINE);
		vty_out(vty, "  window %u%s", smsc->cfg.window, VTY_NEWLINE);
		vty_out(vty, "  rate %u%s", smsc->cfg.rate, VTY_NEWLINE);
		vty_out(vty, "  response-timeout %u%s", smsc->cfg.resp_timeout_s, VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

static int config_write_smsc(struct vty *vty)
{
	return CMD_SUCCESS; /* written inside 'otad' */
}

DEFUN(show_smpp, show_smpp_cmd, "show smpp", SHOW_STR "The SMSC binds\n")
{
	struct otad_smsc *smsc;
	unsigned q, f;

	llist_for_each_entry(smsc, &g_otad->smscs, list)
	{
		if (!smsc->esme)
			continue;
		smpp_esme_stats(smsc->esme, &q, &f);
		char rate[24] = "unlimited";

		if (smsc->cfg.rate)
			snprintf(rate, sizeof(rate), "%u/s", smsc->cfg.rate);
		vty_out(vty, "smsc %s %s:%u as %s: %s, %u queued, %u in flight (window %u, rate %s)%s", smsc->cfg.name,
			smsc->cfg.host, smsc->cfg.port, smsc->cfg.system_id, smpp_esme_state_name(smsc->esme), q, f,
			smsc->cfg.window, rate, VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

DEFUN(job_create, job_create_cmd, "job create ICCID TAR .APDU",
      "OTA jobs\n"
      "Send remote APDUs to a card\n"
      "The card's ICCID\n"
      "The TAR, 3 bytes in hex (B00010: RFM)\n"
      "Compact commands in hex: CLA INS P1 P2 P3 [data]\n")
{
	uint8_t tar[3], script[OTAD_JOB_SCRIPT_MAX];
	size_t len = 0;
	bool reads = true;
	char err[160];
	int64_t id;
	int n;

	if (!db_ready(vty))
		return CMD_WARNING;
	if (hex_decode(argv[1], tar, 3) != 3) {
		vty_out(vty, "%% the TAR is 3 bytes in hex%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	for (int i = 2; i < argc; i++) {
		n = hex_decode(argv[i], script + len, sizeof(script) - len);
		if (n < 5 || (n > 5 && script[len + 4] != n - 5)) {
			vty_out(vty, "%% APDU %d is not a compact command (CLA INS P1 P2 P3 [P3 bytes])%s", i - 1,
				VTY_NEWLINE);
			return CMD_WARNING;
		}
		reads &= api_apdu_reads(script + len, (size_t)n);
		len += (size_t)n;
	}
	/* a script that only reads may run twice; anything else is sent at most once */
	if (otad_job_create(argv[0], tar, script, len, reads, &id, err, sizeof(err))) {
		vty_out(vty, "%% %s%s", err, VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "job %lld%s", (long long)id, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_jobs, show_jobs_cmd, "show jobs", SHOW_STR "OTA jobs per state\n")
{
	int64_t n[OTAD_JOB_N_STATES];

	if (!db_ready(vty) || otad_db_job_counts(g_otad->db, n))
		return CMD_WARNING;
	for (int i = 0; i < OTAD_JOB_N_STATES; i++)
		vty_out(vty, "%s %lld%s", otad_job_state_names[i], (long long)n[i], VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_job, show_job_cmd, "show job <1-9223372036854775807>",
      SHOW_STR "One OTA job\n"
	       "Its id\n")
{
	static struct otad_job_row j;
	char tar[7];
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	rc = otad_db_job_get(g_otad->db, atoll(argv[0]), &j);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no such job" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	snprintf(tar, sizeof(tar), "%02x%02x%02x", j.tar[0], j.tar[1], j.tar[2]);
	vty_out(vty, "job %lld card %s TAR %s state %s counter %llu tries %u", (long long)j.id, j.iccid, tar,
		otad_job_state_names[j.state], (unsigned long long)j.counter, j.attempts);
	if (j.por_status >= 0)
		vty_out(vty, " PoR status %02x%s", j.por_status, j.por_authenticated == 1 ? "" : " not authenticated");
	if (j.por_commands >= 0)
		vty_out(vty, " commands %d last SW %04x last data %s", j.por_commands, j.por_last_sw,
			osmo_hexdump_nospc(j.por_last_data, j.por_last_len));
	if (j.error[0])
		vty_out(vty, " error: %s", j.error);
	vty_out(vty, " (%s)%s", j.idempotent ? "idempotent" : "at most once", VTY_NEWLINE);
	return CMD_SUCCESS;
}

static bool db_ready(struct vty *vty)
{
	if (g_otad->db)
		return true;
	vty_out(vty, "%% the database is not open%s", VTY_NEWLINE);
	return false;
}

DEFUN(show_cards, show_cards_cmd, "show cards", SHOW_STR "The SIM cards simpki-otad knows\n")
{
	int64_t n;

	if (!db_ready(vty))
		return CMD_WARNING;
	n = otad_db_card_count(g_otad->db);
	if (n < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "%lld cards%s", (long long)n, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_card, show_card_cmd, "show card ICCID",
      SHOW_STR "One SIM card\n"
	       "Its ICCID\n")
{
	struct otad_card c;
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	rc = otad_db_card_get(g_otad->db, argv[0], &c);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no such card" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "ICCID %s IMSI %s MSISDN %s state %s batch %lld, %u key set%s%s", c.iccid, c.imsi, c.msisdn,
		c.state, (long long)c.batch, c.keysets, c.keysets == 1 ? "" : "s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

/* ---- imports: a file read on the select loop, a piece per step ---- */

#define VTY_IMPORT_PIECE 65536

struct vty_import {
	FILE *f;
	struct otad_import *im;
	struct osmo_timer_list step;
	char buf[VTY_IMPORT_PIECE];
};

static void vty_import_over(const struct otad_import_status *st, void *priv)
{
	if (st->state == OTAD_IMPORT_DONE) {
		rate_ctr_add(rate_ctr_group_get_ctr(g_otad->ctrs, OTAD_CTR_CARDS_IMPORTED), st->cards);
		LOGP(DDB, LOGL_NOTICE, "import %lld: imported %u cards, %u key sets from %s (batch %lld)\n",
		     (long long)st->id, st->cards, st->keysets, st->name, (long long)st->batch);
	} else if (st->state == OTAD_IMPORT_REFUSED) {
		rate_ctr_inc(rate_ctr_group_get_ctr(g_otad->ctrs, OTAD_CTR_IMPORTS_REFUSED));
		LOGP(DDB, LOGL_NOTICE, "import %lld: refused %s: %u lines rejected\n", (long long)st->id, st->name,
		     st->rejected);
	} else {
		LOGP(DDB, LOGL_NOTICE, "import %lld: aborted %s: %s\n", (long long)st->id, st->name, st->error);
	}
}

static int vty_import_destructor(struct vty_import *vi)
{
	osmo_timer_del(&vi->step);
	if (vi->f)
		fclose(vi->f);
	OPENSSL_cleanse(vi->buf, sizeof(vi->buf)); /* it held keys */
	return 0;
}

static void vty_import_step(void *priv)
{
	struct vty_import *vi = priv;
	size_t n = fread(vi->buf, 1, sizeof(vi->buf), vi->f);
	int rc = n ? otad_import_feed(vi->im, vi->buf, n) : 0;

	OPENSSL_cleanse(vi->buf, n);
	if (!rc && n == sizeof(vi->buf)) {
		osmo_timer_schedule(&vi->step, 0, 0);
		return;
	}
	if (rc)
		otad_import_abort(vi->im, "database error");
	else if (ferror(vi->f))
		otad_import_abort(vi->im, "the file could not be read to its end");
	else
		otad_import_end(vi->im);
	talloc_free(vi);
}

DEFUN(import_cards, import_cards_cmd, "import cards FILE [NAME]",
      "Import\n"
      "A card vendor's file (CSV), all or nothing, read in the background ('show import ID')\n"
      "Its path\n"
      "A name for the batch (default: FILE)\n")
{
	struct vty_import *vi;
	int64_t id;
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	vi = talloc_zero(g_otad->ctx, struct vty_import);
	if (!vi)
		return CMD_WARNING;
	talloc_set_destructor(vi, vty_import_destructor);
	vi->f = fopen(argv[0], "rb");
	if (!vi->f) {
		vty_out(vty, "%% %s: %s%s", argv[0], strerror(errno), VTY_NEWLINE);
		talloc_free(vi);
		return CMD_WARNING;
	}
	rc = otad_import_begin(g_otad->db, argc > 1 ? argv[1] : argv[0], "vty", &vi->im, &id);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -EBUSY ? "another import is running ('show imports')" : "database error",
			VTY_NEWLINE);
		talloc_free(vi);
		return CMD_WARNING;
	}
	otad_import_on_end(vi->im, vty_import_over, NULL);
	osmo_timer_setup(&vi->step, vty_import_step, vi);
	osmo_timer_schedule(&vi->step, 0, 0);
	vty_out(vty, "import %lld started%s", (long long)id, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static void print_time(struct vty *vty, const char *what, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	if (!ms || !gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
		return;
	vty_out(vty, ", %s %s.%03d UTC", what, buf, (int)(ms % 1000));
}

static void print_import_line(const struct otad_import_status *st, void *priv)
{
	struct vty *vty = priv;

	vty_out(vty, "import %lld (%s, %s): %s, %u lines, %u cards, %u key sets, %u rejected", (long long)st->id,
		st->source, st->name, otad_import_state_names[st->state], st->lines, st->cards, st->keysets,
		st->rejected);
	print_time(vty, "started", st->started_ms);
	print_time(vty, "finished", st->finished_ms);
	vty_out(vty, "%s", VTY_NEWLINE);
}

static void print_reject(const struct otad_import_reject *r, void *priv)
{
	struct vty *vty = priv;

	vty_out(vty, "line %u: %s (%s)%s", r->line, r->reason, otad_reject_kind_names[r->kind], VTY_NEWLINE);
}

DEFUN(show_import, show_import_cmd, "show import <1-2147483647>",
      SHOW_STR "One card import: its progress, then its result with every rejected line\n"
	       "Its id\n")
{
	struct otad_import_status st;
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	rc = otad_db_import_get(g_otad->db, atoll(argv[0]), &st);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no such import" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	print_import_line(&st, vty);
	if (st.state == OTAD_IMPORT_DONE)
		vty_out(vty, "imported %u cards, %u key sets (batch %lld)%s", st.cards, st.keysets, (long long)st.batch,
			VTY_NEWLINE);
	else if (st.state == OTAD_IMPORT_ABORTED)
		vty_out(vty, "%% aborted, nothing imported: %s%s", st.error, VTY_NEWLINE);
	else if (st.state == OTAD_IMPORT_REFUSED)
		vty_out(vty, "%% refused, nothing imported: %u line%s rejected%s", st.rejected,
			st.rejected == 1 ? "" : "s", VTY_NEWLINE);
	if (st.rejected && otad_db_import_rejects(g_otad->db, st.id, print_reject, vty))
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_imports, show_imports_cmd, "show imports", SHOW_STR "The 20 latest card imports, newest first\n")
{
	if (!db_ready(vty))
		return CMD_WARNING;
	if (otad_db_imports_recent(g_otad->db, 20, print_import_line, vty)) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

void otad_vty_init(void)
{
	install_element(CONFIG_NODE, &cfg_otad_cmd);
	install_node(&otad_node, config_write_otad);
	install_element(OTAD_NODE, &cfg_database_cmd);
	install_element(OTAD_NODE, &cfg_master_key_cmd);
	install_element(OTAD_NODE, &cfg_job_timeout_cmd);
	install_element(OTAD_NODE, &cfg_job_retries_cmd);
	install_element(OTAD_NODE, &cfg_job_validity_cmd);
	install_element(OTAD_NODE, &cfg_job_spi_cmd);
	install_element(OTAD_NODE, &cfg_job_kvn_cmd);
	install_element(OTAD_NODE, &cfg_api_bind_cmd);
	install_element(OTAD_NODE, &cfg_api_rate_cmd);
	install_element(ENABLE_NODE, &api_token_create_cmd);
	install_element(OTAD_NODE, &cfg_smsc_cmd);
	install_node(&smsc_node, config_write_smsc);
	install_element(SMSC_NODE, &cfg_smsc_ip_cmd);
	install_element(SMSC_NODE, &cfg_smsc_port_cmd);
	install_element(SMSC_NODE, &cfg_smsc_sysid_cmd);
	install_element(SMSC_NODE, &cfg_smsc_password_cmd);
	install_element(SMSC_NODE, &cfg_smsc_source_cmd);
	install_element(SMSC_NODE, &cfg_smsc_window_cmd);
	install_element(SMSC_NODE, &cfg_smsc_rate_cmd);
	install_element(SMSC_NODE, &cfg_smsc_resp_timeout_cmd);
	install_element_ve(&show_smpp_cmd);
	install_element_ve(&show_jobs_cmd);
	install_element_ve(&show_job_cmd);
	install_element(ENABLE_NODE, &job_create_cmd);
	install_element_ve(&show_cards_cmd);
	install_element_ve(&show_card_cmd);
	install_element(ENABLE_NODE, &import_cards_cmd);
	install_element_ve(&show_import_cmd);
	install_element_ve(&show_imports_cmd);
}
