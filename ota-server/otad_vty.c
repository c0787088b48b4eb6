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
 *    api bind A.B.C.D PORT        where the operator API listens (default 127.0.0.1 8480)
 *    api rate N                   its requests per second at most (default 1000)
 *    api tls certificate PATH     HTTPS with this PEM certificate chain (needed beyond loopback)
 *    api tls key PATH             and its PEM private key (mode 0600)
 *    no api tls                   plain HTTP (loopback only)
 *    job delivery-mode MODE       store (store-and-forward, the default) or forward (transaction mode)
 *    job forward-part-gap MS      forward mode: the wait before the next SMS of a packet (default 0)
 *    tar TAR msl HEX              TAR's minimum security level, coded as SPI byte 1 (otad_sec.h); 'no tar TAR'
 *    smsc NAME                    an SMSC bind (node): remote-ip, remote-port, system-id, password, window, rate,
 *                                 response-timeout
 *
 *   show smpp                     each bind: state, queue, in flight
 *   show api                      where the operator API listens, TLS on or off
 *   job create ICCID TAR APDU...  a job: compact remote APDUs in hex (sent at most once unless they only read)
 *   show jobs                     jobs per state
 *   show job ID                   one job: state, counter, tries, PoR
 *   show cards                    how many cards
 *   show card ICCID               one card: identities, state, key sets and their counters
 *   import cards FILE [NAME]      import a vendor file (all or nothing) in the background: "import N started"; the
 *                                 file is read 64 KiB per select-loop step, so the daemon keeps answering
 *   show import N                 one import: progress; then its result and every rejected line with its kind
 *   show imports                  the 20 latest imports
 *   (holders, units, certificates and the 'ca' node: otad_vty_pki.c)
 *
 *   master-key rotate FILE        re-seal every key set under the master key in FILE (made if missing), all or
 *                                 nothing; the running configuration then names FILE ('write file' saves it)
 *   backup database PATH [overwrite]  a consistent copy of the database while it runs, marked as a copy
 *   show database                 schema version, the last backup, whether the counters need a floor
 *   card ICCID keyset KVN counter-floor N   raise a key set's counter to N (only raising)
 *   counter-floor raise-all by N  add N to every key set's counter
 *   counter-floor confirm         a restored copy's counters are raised: packets may be sent again
 * FILE and PATH of these are relative to the configuration file's directory, as in the configuration.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
#include "otad_perm.h"
#include "otad_sec.h"
#include "otad_vty.h"

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
	uint8_t spi[2];
	char err[160];

	if (strlen(argv[0]) != 4 || hex_decode(argv[0], spi, 2) != 2) {
		vty_out(vty, "%% the SPI is two bytes in hex, e.g. 1639%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (otad_spi_check(spi, NULL, err, sizeof(err))) {
		vty_out(vty, "%% %s%s", err, VTY_NEWLINE);
		return CMD_WARNING;
	}
	memcpy(otad_job_cfg.spi, spi, 2);
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

DEFUN(cfg_job_mode, cfg_job_mode_cmd, "job delivery-mode (store|forward)",
      "OTA jobs\n"
      "How the SMSC delivers the SMS of jobs that do not say\n"
      "Store-and-forward: kept for the validity period, delivered when the phone can take it\n"
      "Forward (transaction) mode: delivered at once or not at all, never stored\n")
{
	otad_job_cfg.mode = argv[0][0] == 'f' ? OTAD_JOB_MODE_FORWARD : OTAD_JOB_MODE_STORE;
	return CMD_SUCCESS;
}

DEFUN(cfg_job_part_gap, cfg_job_part_gap_cmd, "job forward-part-gap <0-10000>",
      "OTA jobs\n"
      "Forward mode, a packet of several SMS: the wait between a part the phone took and the next part\n"
      "Milliseconds (default 0; a network that loses an SMS paged during the release needs one)\n")
{
	otad_job_cfg.part_gap_ms = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

#define TAR_STR                                   \
	"A TAR (toolkit application reference)\n" \
	"3 bytes in hex, e.g. B00010\n"

DEFUN(cfg_tar_msl, cfg_tar_msl_cmd, "tar TAR msl HEX",
      TAR_STR "Its minimum security level: jobs through it with a lower SPI are refused\n"
	      "One byte coded as SPI byte 1: b2b1 RC/CC (1/2), b3 ciphered, b5b4 counter (1 set, 2 higher, 3 +1)\n")
{
	uint8_t tar[3], msl;
	int rc;

	if (hex_decode(argv[0], tar, 3) != 3) {
		vty_out(vty, "%% the TAR is 3 bytes in hex%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	rc = hex_decode(argv[1], &msl, 1) == 1 ? otad_tar_msl_set(tar, msl) : -EINVAL;
	if (rc) {
		vty_out(vty, "%% %s%s",
			rc == -ENOSPC ? "too many TARs" :
					"the MSL is one byte coded as SPI byte 1, without DS or reserved bits",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_no_tar, cfg_no_tar_cmd, "no tar TAR", NO_STR TAR_STR)
{
	uint8_t tar[3];

	if (hex_decode(argv[0], tar, 3) != 3 || otad_tar_msl_del(tar)) {
		vty_out(vty, "%% no such TAR configured%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
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

DEFUN(cfg_api_rate_anon, cfg_api_rate_anon_cmd, "api rate-anonymous <0-1000000>",
      "The operator API (HTTP/JSON)\n"
      "Requests per second at most per client address without a valid token, beyond: 429\n"
      "Count (0: no limit)\n")
{
	otad_api_cfg.rate_anonymous = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_api_json_limit, cfg_api_json_limit_cmd, "api body-limit json <1-1024>",
      "The operator API (HTTP/JSON)\n"
      "The largest request body\n"
      "A JSON body\n"
      "KiB\n")
{
	otad_api_cfg.json_max = (size_t)atoi(argv[0]) << 10;
	return CMD_SUCCESS;
}

DEFUN(cfg_api_import_limit, cfg_api_import_limit_cmd, "api body-limit import <1-4096>",
      "The operator API (HTTP/JSON)\n"
      "The largest request body\n"
      "A vendor file (POST /v1/cards/import)\n"
      "MiB\n")
{
	otad_api_cfg.import_max = (size_t)atoi(argv[0]) << 20;
	return CMD_SUCCESS;
}

DEFUN(cfg_api_tls_cert, cfg_api_tls_cert_cmd, "api tls certificate PATH",
      "The operator API (HTTP/JSON)\n"
      "HTTPS (needed when it listens beyond loopback)\n"
      "The server's certificate, then any intermediate CA certificates, in PEM\n"
      "Path (relative to the configuration file's directory)\n")
{
	osmo_talloc_replace_string(g_otad->ctx, &otad_api_cfg.tls_cert, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_api_tls_key, cfg_api_tls_key_cmd, "api tls key PATH",
      "The operator API (HTTP/JSON)\n"
      "HTTPS (needed when it listens beyond loopback)\n"
      "The certificate's private key in PEM, unencrypted; the file must be for its owner only (mode 0600)\n"
      "Path (relative to the configuration file's directory)\n")
{
	osmo_talloc_replace_string(g_otad->ctx, &otad_api_cfg.tls_key, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_api_tls, cfg_no_api_tls_cmd, "no api tls",
      NO_STR "The operator API (HTTP/JSON)\n"
	     "Plain HTTP (allowed on loopback only)\n")
{
	TALLOC_FREE(otad_api_cfg.tls_cert);
	TALLOC_FREE(otad_api_cfg.tls_key);
	return CMD_SUCCESS;
}

DEFUN(show_api, show_api_cmd, "show api", SHOW_STR "The operator API (HTTP/JSON)\n")
{
	const char *url = otad_api_url();

	if (!url) {
		vty_out(vty, "operator API not listening%s", VTY_NEWLINE);
		return CMD_SUCCESS;
	}
	if (!strncmp(url, "https:", 6))
		vty_out(vty, "operator API on %s, TLS on (certificate %s)", url, otad_api_cfg.tls_cert);
	else
		vty_out(vty, "operator API on %s, TLS off (plain HTTP, loopback only)", url);
	vty_out(vty,
		", rate %u/s per token, %u/s per client address without one; bodies up to %zu KiB (JSON), %zu MiB "
		"(vendor files)%s",
		otad_api_cfg.rate, otad_api_cfg.rate_anonymous, otad_api_cfg.json_max >> 10,
		otad_api_cfg.import_max >> 20, VTY_NEWLINE);
	return CMD_SUCCESS;
}

#define TOKEN_ROLES "(read-only|operator|admin|central-ra|unit-ra|counter|auditor)"
#define TOKEN_ROLES_HELP                                                                                \
	"It reads only\n"                                                                               \
	"It also imports cards, makes and cancels jobs and campaigns, sets card states (the default)\n" \
	"It may do everything, tokens and the database included\n"                                      \
	"Registration over the whole tree: holders, certificates, PIN resets, unit changes, requests\n" \
	"Registration inside its scope (needs one)\n"                                                   \
	"A counter: PIN resets, suspensions and requests inside its scope (needs one)\n"                \
	"Reads and verifies the audit trail, reads everything else\n"

static int token_create(struct vty *vty, const char *name, int role, const char *scope)
{
	char token[65], object[80];
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	if (!api_token_name_ok(name)) {
		vty_out(vty, "%% a name is 1 to 64 of A-Z a-z 0-9 . _ -%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	snprintf(object, sizeof(object), "token %s", name);
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_TOKEN_MANAGE], "%s", object))
		return CMD_WARNING;
	rc = otad_api_token_new(name, (enum otad_role)role, scope, token);
	if (rc) {
		vty_out(vty, "%% %s%s",
			rc == -EEXIST ? "a valid token has that name" :
			rc == -EINVAL ? "a unit-ra or counter token needs a scope (... scope CODE)" :
			rc == -ENXIO  ? "the scope is not a unit of the organisation tree" :
					"cannot make a token",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "token %s %s%s", name, token, VTY_NEWLINE);
	OPENSSL_cleanse(token, sizeof(token));
	return CMD_SUCCESS;
}

DEFUN(api_token_create, api_token_create_cmd, "api token create NAME [" TOKEN_ROLES "]",
      "The operator API\n"
      "Bearer tokens\n"
      "Make one (it is shown once; only its hash is kept)\n"
      "Its name\n" TOKEN_ROLES_HELP)
{
	return token_create(vty, argv[0], argc > 1 ? otad_role_of(argv[1]) : OTAD_ROLE_OPERATOR, NULL);
}

DEFUN(api_token_create_scope, api_token_create_scope_cmd, "api token create NAME " TOKEN_ROLES " scope CODE",
      "The operator API\n"
      "Bearer tokens\n"
      "Make one (it is shown once; only its hash is kept)\n"
      "Its name\n" TOKEN_ROLES_HELP "It acts on one unit of the organisation tree and everything under it\n"
      "The unit's code\n")
{
	return token_create(vty, argv[0], otad_role_of(argv[1]), argv[2]);
}

DEFUN(api_token_revoke, api_token_revoke_cmd, "api token revoke NAME",
      "The operator API\n"
      "Bearer tokens\n"
      "Revoke one: it stops working at once\n"
      "Its name\n")
{
	char object[80];
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	snprintf(object, sizeof(object), "token %s", argv[0]);
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_TOKEN_MANAGE], "%s", object))
		return CMD_WARNING;
	rc = otad_db_token_revoke(g_otad->db, argv[0]);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no valid token has that name" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	LOGP(DAPI, LOGL_NOTICE, "API token '%s' revoked in the VTY\n", argv[0]);
	return CMD_SUCCESS;
}

static void print_token(const struct otad_token *t, void *priv)
{
	struct vty *vty = priv;
	char when[32];
	time_t sec = (time_t)(t->revoked_ms ? t->revoked_ms : t->created_ms) / 1000;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", gmtime(&sec));
	vty_out(vty, "%-24s %-10s %-15s %s %s%s", t->name, otad_role_names[t->role], t->scope[0] ? t->scope : "-",
		t->revoked_ms ? "revoked" : "created", when, VTY_NEWLINE);
}

DEFUN(show_api_tokens, show_api_tokens_cmd, "show api tokens [all]",
      SHOW_STR "The operator API (HTTP/JSON)\n"
	       "Its bearer tokens (names and roles; the tokens themselves are never kept)\n"
	       "Revoked ones too\n")
{
	if (!db_ready(vty))
		return CMD_WARNING;
	vty_out(vty, "administrator token from SIMPKI_API_TOKEN: %s%s", otad_api_has_admin() ? "yes" : "no",
		VTY_NEWLINE);
	if (otad_db_tokens_list(g_otad->db, argc > 0, print_token, vty)) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
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
	vty_out(vty, " job delivery-mode %s%s", otad_job_mode_names[otad_job_cfg.mode], VTY_NEWLINE);
	vty_out(vty, " job forward-part-gap %u%s", otad_job_cfg.part_gap_ms, VTY_NEWLINE);
	for (unsigned i = 0; i < otad_n_tar_msls; i++)
		vty_out(vty, " tar %s msl %02x%s", osmo_hexdump_nospc(otad_tar_msls[i].tar, 3), otad_tar_msls[i].msl,
			VTY_NEWLINE);
	vty_out(vty, " api bind %s %u%s", otad_api_cfg.ip ? otad_api_cfg.ip : "127.0.0.1", otad_api_cfg.port,
		VTY_NEWLINE);
	vty_out(vty, " api rate %u%s", otad_api_cfg.rate, VTY_NEWLINE);
	vty_out(vty, " api rate-anonymous %u%s", otad_api_cfg.rate_anonymous, VTY_NEWLINE);
	vty_out(vty, " api body-limit json %zu%s", otad_api_cfg.json_max >> 10, VTY_NEWLINE);
	vty_out(vty, " api body-limit import %zu%s", otad_api_cfg.import_max >> 20, VTY_NEWLINE);
	if (otad_api_cfg.tls_cert)
		vty_out(vty, " api tls certificate %s%s", otad_api_cfg.tls_cert, VTY_NEWLINE);
	if (otad_api_cfg.tls_key)
		vty_out(vty, " api tls key %s%s", otad_api_cfg.tls_key, VTY_NEWLINE);
	otad_vty_pki_write(vty);
	otad_vty_bip_write(vty);
	otad_vty_campaign_write(vty);
	otad_vty_lifecycle_write(vty);
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
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_CARD_WRITE], "card %s", argv[0]))
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
	if (otad_job_create(argv[0], tar, script, len, reads, NULL, &id, err, sizeof(err))) {
		vty_out(vty, "%% %s%s", err, VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "job %lld%s", (long long)id, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static void print_job_line(const struct otad_job_row *j, void *priv)
{
	struct vty *vty = priv;
	char when[32];
	time_t sec = (time_t)(j->updated_ms / 1000);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&sec));
	vty_out(vty, "%8lld %-20s %02x%02x%02x %-10s %2u %s%s%s%s", (long long)j->id, j->iccid, j->tar[0], j->tar[1],
		j->tar[2], otad_job_state_names[j->state], j->attempts, when, j->error[0] ? "  " : "", j->error,
		VTY_NEWLINE);
}

static int list_jobs(struct vty *vty, const struct otad_job_filter *f)
{
	int n;

	vty_out(vty, "%8s %-20s %-6s %-10s %2s %s%s", "job", "card", "TAR", "state", "tr", "updated (UTC)",
		VTY_NEWLINE);
	n = otad_db_jobs_list(g_otad->db, f, print_job_line, vty);
	if (n < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if ((unsigned)n == f->limit)
		vty_out(vty, "(the newest %d; a larger LIMIT shows more)%s", n, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_jobs, show_jobs_cmd, "show jobs", SHOW_STR "OTA jobs: how many in each state, and the newest 20\n")
{
	struct otad_job_filter f = { .state = -1, .limit = 20 };
	int64_t n[OTAD_JOB_N_STATES];

	if (!db_ready(vty) || otad_db_job_counts(g_otad->db, n))
		return CMD_WARNING;
	for (int i = 0; i < OTAD_JOB_N_STATES; i++)
		vty_out(vty, "%s %lld%s", otad_job_state_names[i], (long long)n[i], VTY_NEWLINE);
	return list_jobs(vty, &f);
}

DEFUN(show_jobs_state, show_jobs_state_cmd,
      "show jobs state (queued|submitted|delivered|retrying|por-ok|por-error|timed-out|failed|unknown|cancelled) "
      "[<1-1000>]",
      SHOW_STR "OTA jobs, newest first\n"
	       "In one state\n"
	       "queued\nsubmitted\ndelivered\nretrying\npor-ok\npor-error\ntimed-out\nfailed\nunknown\ncancelled\n"
	       "How many at most (default 20)\n")
{
	struct otad_job_filter f = { .state = -1, .limit = argc > 1 ? (unsigned)atoi(argv[1]) : 20 };

	if (!db_ready(vty))
		return CMD_WARNING;
	for (int i = 0; i < OTAD_JOB_N_STATES; i++)
		if (!strcmp(argv[0], otad_job_state_names[i]))
			f.state = i;
	return list_jobs(vty, &f);
}

DEFUN(show_jobs_card, show_jobs_card_cmd, "show jobs card ICCID [<1-1000>]",
      SHOW_STR "OTA jobs, newest first\n"
	       "Of one card\n"
	       "Its ICCID\n"
	       "How many at most (default 20)\n")
{
	struct otad_job_filter f = { .iccid = argv[0], .state = -1, .limit = argc > 1 ? (unsigned)atoi(argv[1]) : 20 };

	if (!db_ready(vty))
		return CMD_WARNING;
	return list_jobs(vty, &f);
}

DEFUN(job_cancel, job_cancel_cmd, "job cancel <1-9223372036854775807>",
      "OTA jobs\n"
      "Cancel one whose SMS have not left for the SMSC yet\n"
      "Its id\n")
{
	char err[160];
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_CARD_WRITE], "job %s", argv[0]))
		return CMD_WARNING;
	rc = otad_job_cancel(atoll(argv[0]), err, sizeof(err));
	if (rc) {
		vty_out(vty, "%% %s%s",
			rc == -ENOENT ? "no such job" :
			rc == -EBUSY  ? err :
					"database error",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "job %s cancelled%s", argv[0], VTY_NEWLINE);
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
	vty_out(vty, " (%s) mode %s SPI %02x%02x KVN %u bearer %s via %s%s",
		j.idempotent ? "idempotent" : "at most once", otad_job_mode_names[j.mode], j.spi[0], j.spi[1], j.kvn,
		otad_job_bearer_names[j.bearer], otad_job_bearer_names[j.via], VTY_NEWLINE);
	return CMD_SUCCESS;
}

static bool db_ready(struct vty *vty)
{
	if (g_otad->db)
		return true;
	vty_out(vty, "%% the database is not open%s", VTY_NEWLINE);
	return false;
}

static void print_card_line(const struct otad_card *c, void *priv)
{
	struct vty *vty = priv;

	vty_out(vty, "%-20s %-15s %-15s %-9s %5lld %u%s", c->iccid, c->imsi, c->msisdn, c->state, (long long)c->batch,
		c->keysets, VTY_NEWLINE);
}

static int list_cards(struct vty *vty, const struct otad_card_filter *f)
{
	int n;

	vty_out(vty, "%-20s %-15s %-15s %-9s %5s %s%s", "ICCID", "IMSI", "MSISDN", "state", "batch", "key sets",
		VTY_NEWLINE);
	n = otad_db_cards_list(g_otad->db, f, print_card_line, vty);
	if (n < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if ((unsigned)n == f->limit)
		vty_out(vty, "(the first %d by ICCID; a larger LIMIT shows more)%s", n, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_cards, show_cards_cmd, "show cards",
      SHOW_STR "The SIM cards simpki-otad knows: how many, and the first 20\n")
{
	struct otad_card_filter f = { .limit = 20 };
	int64_t n;

	if (!db_ready(vty))
		return CMD_WARNING;
	n = otad_db_card_count(g_otad->db);
	if (n < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "%lld cards%s", (long long)n, VTY_NEWLINE);
	return n ? list_cards(vty, &f) : CMD_SUCCESS;
}

DEFUN(show_cards_state, show_cards_state_cmd, "show cards state (active|suspended|lost|retired) [<1-1000>]",
      SHOW_STR "SIM cards, by ICCID\n"
	       "In one state\n"
	       "active\nsuspended\nlost\nretired\n"
	       "How many at most (default 20)\n")
{
	struct otad_card_filter f = { .state = argv[0], .limit = argc > 1 ? (unsigned)atoi(argv[1]) : 20 };

	if (!db_ready(vty))
		return CMD_WARNING;
	return list_cards(vty, &f);
}

DEFUN(show_cards_batch, show_cards_batch_cmd, "show cards batch <1-9223372036854775807> [<1-1000>]",
      SHOW_STR "SIM cards, by ICCID\n"
	       "Of one import\n"
	       "The batch id\n"
	       "How many at most (default 20)\n")
{
	struct otad_card_filter f = { .batch = atoll(argv[0]), .limit = argc > 1 ? (unsigned)atoi(argv[1]) : 20 };

	if (!db_ready(vty))
		return CMD_WARNING;
	return list_cards(vty, &f);
}

/* One line per key set: algorithms, counter, and whether it opens with the master key (the keys are wiped at
 * once). */
struct show_keyset {
	struct vty *vty;
	const char *iccid;
};

static void print_keyset(const struct otad_keyset_info *ki, void *priv)
{
	struct show_keyset *sk = priv;
	struct vty *vty = sk->vty; /* VTY_NEWLINE reads it */
	struct otad_keyset ks;
	int rc = otad_db_keyset_get(g_otad->db, sk->iccid, ki->kvn, &ks);

	otad_keyset_wipe(&ks);
	vty_out(vty, " key set %u: counter %llu, %s; KIc %s %u bytes, KID %s %u bytes%s%s", ki->kvn,
		(unsigned long long)ki->counter,
		rc == 0	       ? "opens with the master key" :
		rc == -EBADMSG ? "does not open with the master key" :
				 "database error",
		ki->kic_algo, ki->kic_len, ki->kid_algo, ki->kid_len, ki->kik_len ? ", with KIK" : "", VTY_NEWLINE);
}

DEFUN(show_card, show_card_cmd, "show card ICCID",
      SHOW_STR "One SIM card: identities, state, key sets and their counters\n"
	       "Its ICCID\n")
{
	struct show_keyset sk;
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
	if (c.holder[0])
		vty_out(vty, " holder %s ('show holder %s'; certificates: 'show card %s certificates')%s", c.holder,
			c.holder, c.iccid, VTY_NEWLINE);
	sk.vty = vty;
	sk.iccid = c.iccid;
	if (otad_db_keysets_info(g_otad->db, c.iccid, print_keyset, &sk) < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(card_state, card_state_cmd, "card ICCID state (active|suspended|lost|retired)",
      "One SIM card\n"
      "Its ICCID\n"
      "Set its state (only active cards get jobs; a retired card stays retired)\n"
      "active\nsuspended\nlost\nretired\n")
{
	char old[16];
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_CARD_WRITE], "card %s", argv[0]))
		return CMD_WARNING;
	rc = otad_db_card_set_state(g_otad->db, argv[0], otad_card_state_of(argv[1]), old);
	if (rc) {
		vty_out(vty, "%% %s%s",
			rc == -ENOENT ? "no such card" :
			rc == -EPERM  ? "the card is retired: it stays retired" :
					"database error",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (strcmp(old, argv[1]))
		LOGP(DDB, LOGL_NOTICE, "card %s: %s -> %s (VTY)\n", argv[0], old, argv[1]);
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

/* Import \a id: its state line, then its result with every rejected line kept. \returns a CMD_ value */
static int print_import(struct vty *vty, int64_t id)
{
	struct otad_import_status st;
	int rc = otad_db_import_get(g_otad->db, id, &st);

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
	else if (st.state == OTAD_IMPORT_REFUSED || (st.state == OTAD_IMPORT_FINISHING && st.rejected))
		vty_out(vty, "%% refused, nothing imported: %u line%s rejected%s", st.rejected,
			st.rejected == 1 ? "" : "s", VTY_NEWLINE);
	if (st.rejected && otad_db_import_rejects(g_otad->db, st.id, print_reject, vty))
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
	return st.state == OTAD_IMPORT_DONE || st.state == OTAD_IMPORT_RECEIVING ? CMD_SUCCESS : CMD_WARNING;
}

DEFUN(import_cards, import_cards_cmd, "import cards FILE [NAME]",
      "Import\n"
      "A card vendor's file (CSV), all or nothing, read in the background ('show import ID')\n"
      "Its path\n"
      "A name for the batch (default: FILE)\n")
{
	struct otad_import_status st;
	struct vty_import *vi;
	int64_t id;
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_CARD_WRITE], "file %s", argv[0]))
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
	otad_import_on_end(vi->im, otad_import_over, NULL);
	osmo_timer_setup(&vi->step, vty_import_step, vi);
	/* the first piece at once: a file of one piece is over when the command returns, and its result shows */
	vty_import_step(vi);
	if (otad_db_import_get(g_otad->db, id, &st) || st.state == OTAD_IMPORT_RECEIVING) {
		vty_out(vty, "import %lld started ('show import %lld')%s", (long long)id, (long long)id, VTY_NEWLINE);
		return CMD_SUCCESS;
	}
	return print_import(vty, id);
}

DEFUN(show_import, show_import_cmd, "show import <1-2147483647>",
      SHOW_STR "One card import: its progress, then its result with every rejected line\n"
	       "Its id\n")
{
	if (!db_ready(vty))
		return CMD_WARNING;
	return print_import(vty, atoll(argv[0]));
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

/* ---- keys and restores ---- */

DEFUN(master_key_rotate, master_key_rotate_cmd, "master-key rotate FILE",
      "The master key that seals the OTA keys in the database\n"
      "Re-seal every key set under another master key, all or nothing; the old key opens nothing here any more\n"
      "The new key file (relative to the configuration file's directory): 64 hex digits, mode 0600; made if "
      "missing\n")
{
	void *tmp = talloc_named_const(g_otad->ctx, 0, "rotate");
	char err[512], *path, *old;
	uint8_t mk[KEYSTORE_KEY_LEN];
	bool existed;
	int64_t n;
	int rc;

	if (!db_ready(vty) || !otad_vty_audit(vty, otad_action_names[OTAD_ACT_DATABASE_MANAGE], "master key"))
		goto refused;
	path = otad_path(tmp, argv[0]);
	old = otad_path(tmp, g_otad->cfg.master_key);
	if (!strcmp(path, old)) {
		vty_out(vty, "%% %s is the current key file: name a new one%s", path, VTY_NEWLINE);
		goto refused;
	}
	existed = access(path, F_OK) == 0;
	rc = keystore_load(path, true, mk, err, sizeof(err));
	if (rc) {
		vty_out(vty, "%% %s%s", err, VTY_NEWLINE);
		goto refused;
	}
	n = otad_db_rekey(g_otad->db, mk);
	OPENSSL_cleanse(mk, sizeof(mk));
	if (n < 0) {
		if (!existed)
			unlink(path);
		vty_out(vty, "%% nothing changed: %s%s",
			n == -EINVAL  ? "that file holds the current master key" :
			n == -EBADMSG ? "a key set does not open with the current master key" :
					"database error",
			VTY_NEWLINE);
		goto refused;
	}
	LOGP(DDB, LOGL_NOTICE, "master key rotated: %lld key sets re-sealed under %s (was %s)\n", (long long)n, path,
	     old);
	osmo_talloc_replace_string(g_otad->ctx, &g_otad->cfg.master_key, argv[0]);
	g_otad->cfg.master_key_create = false;
	vty_out(vty, "master key rotated: %lld key sets re-sealed under %s%s", (long long)n, path, VTY_NEWLINE);
	vty_out(vty, "%s opens nothing in this database any more: keep it only with backups made before now%s", old,
		VTY_NEWLINE);
	vty_out(vty, "the running configuration names the new key file: 'write file' saves it%s", VTY_NEWLINE);
	talloc_free(tmp);
	return CMD_SUCCESS;
refused:
	talloc_free(tmp);
	return CMD_WARNING;
}

DEFUN(backup_database, backup_database_cmd, "backup database PATH [overwrite]",
      "Back up\n"
      "The database: a consistent copy while it runs (SQLite's online backup), marked as a copy\n"
      "The copy's path (relative to the configuration file's directory)\n"
      "Replace PATH if it exists\n")
{
	char err[512], *path;
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_DATABASE_MANAGE], "database"))
		return CMD_WARNING;
	path = otad_path(g_otad->ctx, argv[0]);
	rc = otad_db_backup(g_otad->db, path, argc > 1, err, sizeof(err));
	if (rc) {
		vty_out(vty, "%% no backup: %s%s", err, VTY_NEWLINE);
		talloc_free(path);
		return CMD_WARNING;
	}
	LOGP(DDB, LOGL_NOTICE, "database backed up to %s\n", path);
	vty_out(vty, "backed up to %s%s", path, VTY_NEWLINE);
	vty_out(vty, "a daemon started on this copy sends nothing until its counters are raised and confirmed%s",
		VTY_NEWLINE);
	talloc_free(path);
	return CMD_SUCCESS;
}

/* A meta value "UNIX-MS[ TEXT]" as "YYYY-MM-DD HH:MM:SS UTC[ TEXT]". */
static void meta_time(const char *v, char *out, size_t len)
{
	char *rest;
	time_t t = (time_t)(strtoll(v, &rest, 10) / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, len, "%s", v);
	else if (*rest == ' ')
		snprintf(out + strlen(out), len - strlen(out), " %s", rest + 1);
}

/* Print meta \a name as "LABEL: TIME[ TEXT]" when the database has it. */
static void show_meta(struct vty *vty, const char *label, const char *name)
{
	char v[PATH_MAX + 24], when[PATH_MAX + 48];

	if (otad_db_meta_get(g_otad->db, name, v, sizeof(v)))
		return;
	meta_time(v, when, sizeof(when));
	vty_out(vty, "%s: %s%s", label, when, VTY_NEWLINE);
}

DEFUN(show_database, show_database_cmd, "show database",
      SHOW_STR "The database: schema, backups, whether its counters need a floor\n")
{
	int floor;

	if (!db_ready(vty))
		return CMD_WARNING;
	vty_out(vty, "database %s, schema version %d%s", g_otad->cfg.database, otad_db_version(g_otad->db),
		VTY_NEWLINE);
	show_meta(vty, "last backup", "last_backup");
	show_meta(vty, "a copy of", "backup_of");
	floor = otad_db_needs_floor(g_otad->db);
	if (floor < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (floor) {
		vty_out(vty,
			"counters: NOT CONFIRMED: a restored copy; nothing is sent until every key set's counter is "
			"raised above what the original may have used since the backup ('counter-floor raise-all by "
			"N', "
			"'card ICCID keyset KVN counter-floor N'), then 'counter-floor confirm'%s",
			VTY_NEWLINE);
		return CMD_SUCCESS;
	}
	show_meta(vty, "counters confirmed after a restore", "floor_confirmed");
	vty_out(vty, "counters: in use%s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(card_counter_floor, card_counter_floor_cmd, "card ICCID keyset <1-15> counter-floor <1-1099511627775>",
      "One SIM card\n"
      "Its ICCID\n"
      "One of its key sets\n"
      "Its KVN\n"
      "Raise the key set's counter (only raising): the next packet uses a higher one\n"
      "The new counter: the next packet uses N + 1\n")
{
	uint64_t floor = strtoull(argv[2], NULL, 10);
	uint8_t kvn = (uint8_t)atoi(argv[1]);
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_DATABASE_MANAGE], "card %s", argv[0]))
		return CMD_WARNING;
	rc = otad_db_counter_floor(g_otad->db, argv[0], kvn, floor);
	if (rc) {
		vty_out(vty, "%% %s%s",
			rc == -ENOENT ? "no such card or key set" :
			rc == -ERANGE ? "the counter is already there or higher: a floor only raises it ('show card')" :
					"database error",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	LOGP(DDB, LOGL_NOTICE, "card %s key set %u: counter raised to %llu\n", argv[0], kvn, (unsigned long long)floor);
	vty_out(vty, "card %s key set %u: counter %llu%s", argv[0], kvn, (unsigned long long)floor, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(counter_floor_raise_all, counter_floor_raise_all_cmd, "counter-floor raise-all by <1-1099511627775>",
      "The counters of the key sets\n"
      "Raise every key set's counter, all or nothing\n"
      "By\n"
      "How much (more than the packets the original may have sent to any one key set since the backup)\n")
{
	uint64_t by = strtoull(argv[0], NULL, 10);
	int64_t n;

	if (!db_ready(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_DATABASE_MANAGE], "counter floors"))
		return CMD_WARNING;
	n = otad_db_counter_floor_raise_all(g_otad->db, by);
	if (n < 0) {
		vty_out(vty, "%% nothing changed: %s%s",
			n == -ERANGE ? "a counter would pass 40 bits" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	LOGP(DDB, LOGL_NOTICE, "every key set's counter raised by %llu (%lld key sets)\n", (unsigned long long)by,
	     (long long)n);
	vty_out(vty, "%lld key sets raised by %llu%s", (long long)n, (unsigned long long)by, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(counter_floor_confirm, counter_floor_confirm_cmd, "counter-floor confirm",
      "The counters of the key sets\n"
      "A restored copy's counters are raised: packets may be sent again\n")
{
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_DATABASE_MANAGE], "counter floors"))
		return CMD_WARNING;
	rc = otad_db_counter_floor_confirm(g_otad->db);
	if (rc) {
		vty_out(vty, "%% %s%s",
			rc == -EALREADY ? "no confirmation needed: the counters are in use" : "database error",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	LOGP(DDB, LOGL_NOTICE, "the restored database's counters are confirmed: packets are sent again\n");
	vty_out(vty, "counters confirmed: packets are sent again%s", VTY_NEWLINE);
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
	install_element(OTAD_NODE, &cfg_job_mode_cmd);
	install_element(OTAD_NODE, &cfg_job_part_gap_cmd);
	install_element(OTAD_NODE, &cfg_tar_msl_cmd);
	install_element(OTAD_NODE, &cfg_no_tar_cmd);
	install_element(OTAD_NODE, &cfg_api_bind_cmd);
	install_element(OTAD_NODE, &cfg_api_rate_cmd);
	install_element(OTAD_NODE, &cfg_api_rate_anon_cmd);
	install_element(OTAD_NODE, &cfg_api_json_limit_cmd);
	install_element(OTAD_NODE, &cfg_api_import_limit_cmd);
	install_element(OTAD_NODE, &cfg_api_tls_cert_cmd);
	install_element(OTAD_NODE, &cfg_api_tls_key_cmd);
	install_element(OTAD_NODE, &cfg_no_api_tls_cmd);
	install_element_ve(&show_api_cmd);
	install_element(ENABLE_NODE, &api_token_create_cmd);
	install_element(ENABLE_NODE, &api_token_create_scope_cmd);
	install_element(ENABLE_NODE, &api_token_revoke_cmd);
	install_element(ENABLE_NODE, &show_api_tokens_cmd);
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
	install_element_ve(&show_jobs_state_cmd);
	install_element_ve(&show_jobs_card_cmd);
	install_element(ENABLE_NODE, &job_cancel_cmd);
	install_element_ve(&show_job_cmd);
	install_element(ENABLE_NODE, &job_create_cmd);
	install_element_ve(&show_cards_cmd);
	install_element_ve(&show_cards_state_cmd);
	install_element_ve(&show_cards_batch_cmd);
	install_element(ENABLE_NODE, &card_state_cmd);
	install_element_ve(&show_card_cmd);
	install_element(ENABLE_NODE, &import_cards_cmd);
	install_element(ENABLE_NODE, &master_key_rotate_cmd);
	install_element(ENABLE_NODE, &backup_database_cmd);
	install_element_ve(&show_database_cmd);
	install_element(ENABLE_NODE, &card_counter_floor_cmd);
	install_element(ENABLE_NODE, &counter_floor_raise_all_cmd);
	install_element(ENABLE_NODE, &counter_floor_confirm_cmd);
	install_element_ve(&show_import_cmd);
	install_element_ve(&show_imports_cmd);
	otad_vty_pki_init();
	otad_vty_campaign_init();
	otad_vty_units_init();
	otad_vty_request_init(); /* requests */
	otad_vty_lifecycle_init();
	otad_vty_bip_init();
}
