/* simpki-otad's signing configuration and commands (sign.h, sign_api.h): the 'signing' node with its relying
 * parties, 'show signing', 'show signature SESSION'. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "otad.h"
#include "otad_vty.h"
#include "sign.h"
#include "sign_api.h"
#include "sign_vty.h"

static struct cmd_node sign_node = { .node = SIGN_NODE, .prompt = "%s(config-signing)# ", .vtysh = 1 };
static struct cmd_node rp_node = { .node = SIGN_RP_NODE, .prompt = "%s(config-signing-rp)# ", .vtysh = 1 };

DEFUN(cfg_signing, cfg_signing_cmd, "signing", "Signatures for relying parties (the relying-party API)\n")
{
	otad_sign_cfg.enabled = true;
	vty->node = SIGN_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_sign_listen, cfg_sign_listen_cmd, "listen A.B.C.D <1-65535>",
      "Where the relying-party API listens (default 127.0.0.1 8481)\nIPv4 address\nTCP port\n")
{
	osmo_talloc_replace_string(g_otad ? g_otad->ctx : NULL, &otad_sign_cfg.ip, argv[0]);
	otad_sign_cfg.port = (uint16_t)atoi(argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sign_tls_cert, cfg_sign_tls_cert_cmd, "tls certificate PATH",
      "HTTPS for the relying-party API (needed when it listens beyond loopback)\n"
      "The server's certificate, then any intermediate CA certificates, in PEM\n"
      "Path (relative to the configuration file's directory)\n")
{
	osmo_talloc_replace_string(g_otad ? g_otad->ctx : NULL, &otad_sign_cfg.tls_cert, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sign_tls_key, cfg_sign_tls_key_cmd, "tls key PATH",
      "HTTPS for the relying-party API (needed when it listens beyond loopback)\n"
      "The certificate's private key in PEM, unencrypted; the file must be for its owner only (mode 0600)\n"
      "Path (relative to the configuration file's directory)\n")
{
	osmo_talloc_replace_string(g_otad ? g_otad->ctx : NULL, &otad_sign_cfg.tls_key, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sign_tls_ca, cfg_sign_tls_ca_cmd, "tls client-ca PATH",
      "HTTPS for the relying-party API (needed when it listens beyond loopback)\n"
      "The CA certificates (PEM) that relying parties' client certificates are verified against\n"
      "Path (relative to the configuration file's directory)\n")
{
	osmo_talloc_replace_string(g_otad ? g_otad->ctx : NULL, &otad_sign_cfg.tls_client_ca, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sign_no_tls, cfg_sign_no_tls_cmd, "no tls", NO_STR "Plain HTTP (allowed on loopback only)\n")
{
	TALLOC_FREE(otad_sign_cfg.tls_cert);
	TALLOC_FREE(otad_sign_cfg.tls_key);
	TALLOC_FREE(otad_sign_cfg.tls_client_ca);
	return CMD_SUCCESS;
}

DEFUN(cfg_sign_tar, cfg_sign_tar_cmd, "tar HEX", "The signing applet's TAR (default 534947)\n6 hex digits\n")
{
	uint8_t tar[3];

	if (strlen(argv[0]) != 6 || osmo_hexparse(argv[0], tar, sizeof(tar)) != 3) {
		vty_out(vty, "%% tar: 6 hex digits%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	memcpy(otad_sign_cfg.tar, tar, 3);
	return CMD_SUCCESS;
}

DEFUN(cfg_sign_timeout, cfg_sign_timeout_cmd, "timeout <10-600>",
      "How long a session waits for the person (default 120)\nSeconds\n")
{
	otad_sign_cfg.timeout_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sign_max, cfg_sign_max_cmd, "max-sessions <1-1000000>",
      "Sessions running at once (default 10000; beyond: 503)\nSessions\n")
{
	otad_sign_cfg.max_sessions = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sign_retain, cfg_sign_retain_cmd, "retain <1-86400>",
      "How long a complete session stays in memory (default 300; then it is read from the database)\nSeconds\n")
{
	otad_sign_cfg.retain_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sign_rp, cfg_sign_rp_cmd, "relying-party NAME",
      "A relying party (created if new)\n1 to 64 of A-Z a-z 0-9 . _ -\n")
{
	struct otad_sign_rp *rp = otad_sign_rp_find(argv[0]);
	size_t n = strlen(argv[0]);

	if (!rp) {
		if (!n || n > OTAD_SIGN_RP_MAX ||
		    strspn(argv[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n) {
			vty_out(vty, "%% relying-party: 1 to %d of A-Z a-z 0-9 . _ -%s", OTAD_SIGN_RP_MAX, VTY_NEWLINE);
			return CMD_WARNING;
		}
		rp = talloc_zero(g_otad ? g_otad->ctx : NULL, struct otad_sign_rp);
		rp->name = talloc_strdup(rp, argv[0]);
		rp->rate = 50;
		llist_add_tail(&rp->list, &otad_sign_cfg.rps);
	}
	vty->index = rp;
	vty->node = SIGN_RP_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_sign_no_rp, cfg_sign_no_rp_cmd, "no relying-party NAME", NO_STR "Remove a relying party\nIts name\n")
{
	struct otad_sign_rp *rp = otad_sign_rp_find(argv[0]);

	if (!rp) {
		vty_out(vty, "%% no relying party %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (rp->running) {
		vty_out(vty, "%% relying party %s has %u sessions running%s", argv[0], rp->running, VTY_NEWLINE);
		return CMD_WARNING;
	}
	llist_del(&rp->list);
	talloc_free(rp);
	return CMD_SUCCESS;
}

DEFUN(cfg_rp_display, cfg_rp_display_cmd, "display-name .TEXT",
      "The name the phone shows first (UTF-8; default: the relying party's name)\nText\n")
{
	struct otad_sign_rp *rp = vty->index;
	char *s = argv_concat(argv, argc, 0);

	if (!s || !*s || strlen(s) > 128) {
		vty_out(vty, "%% display-name: 1 to 128 bytes%s", VTY_NEWLINE);
		talloc_free(s);
		return CMD_WARNING;
	}
	talloc_free(rp->display_name);
	rp->display_name = talloc_strdup(rp, s);
	talloc_free(s);
	return CMD_SUCCESS;
}

DEFUN(cfg_rp_token, cfg_rp_token_cmd, "token-sha256 HEX",
      "The SHA-256 of the relying party's bearer token (never the token itself)\n64 hex digits\n")
{
	struct otad_sign_rp *rp = vty->index;

	if (strlen(argv[0]) != 64 || osmo_hexparse(argv[0], rp->token_hash, sizeof(rp->token_hash)) != 32) {
		vty_out(vty, "%% token-sha256: 64 hex digits (sha256sum of the token)%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	rp->has_token = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_rp_cert, cfg_rp_cert_cmd, "client-certificate-sha256 HEX",
      "The SHA-256 of the relying party's TLS client certificate (DER), verified against 'tls client-ca'\n"
      "64 hex digits (openssl x509 -in rp.pem -outform DER | sha256sum)\n")
{
	struct otad_sign_rp *rp = vty->index;

	if (sign_fingerprint_parse(argv[0], rp->cert_hash)) {
		vty_out(vty,
			"%% client-certificate-sha256: 64 hex digits, or 32 pairs separated by ':' (the SHA-256 "
			"of the certificate's DER)%s",
			VTY_NEWLINE);
		rp->has_cert = false;
		return CMD_WARNING;
	}
	rp->has_cert = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_rp_no_cert, cfg_rp_no_cert_cmd, "no client-certificate-sha256",
      NO_STR "No TLS client certificate for this relying party\n")
{
	struct otad_sign_rp *rp = vty->index;

	rp->has_cert = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_rp_rate, cfg_rp_rate_cmd, "rate <0-100000>", "Requests per second at most (default 50; 0: no limit)\nN\n")
{
	struct otad_sign_rp *rp = vty->index;

	rp->rate = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

static int config_write_sign(struct vty *vty)
{
	struct otad_sign_rp *rp;

	if (!otad_sign_cfg.enabled)
		return CMD_SUCCESS;
	vty_out(vty, "signing%s", VTY_NEWLINE);
	vty_out(vty, " listen %s %u%s", otad_sign_cfg.ip ? otad_sign_cfg.ip : "127.0.0.1", otad_sign_cfg.port,
		VTY_NEWLINE);
	if (otad_sign_cfg.tls_cert)
		vty_out(vty, " tls certificate %s%s", otad_sign_cfg.tls_cert, VTY_NEWLINE);
	if (otad_sign_cfg.tls_key)
		vty_out(vty, " tls key %s%s", otad_sign_cfg.tls_key, VTY_NEWLINE);
	if (otad_sign_cfg.tls_client_ca)
		vty_out(vty, " tls client-ca %s%s", otad_sign_cfg.tls_client_ca, VTY_NEWLINE);
	vty_out(vty, " tar %s%s", osmo_hexdump_nospc(otad_sign_cfg.tar, 3), VTY_NEWLINE);
	vty_out(vty, " timeout %u%s", otad_sign_cfg.timeout_s, VTY_NEWLINE);
	vty_out(vty, " max-sessions %u%s", otad_sign_cfg.max_sessions, VTY_NEWLINE);
	vty_out(vty, " retain %u%s", otad_sign_cfg.retain_s, VTY_NEWLINE);
	llist_for_each_entry(rp, &otad_sign_cfg.rps, list)
	{
		vty_out(vty, " relying-party %s%s", rp->name, VTY_NEWLINE);
		if (rp->display_name)
			vty_out(vty, "  display-name %s%s", rp->display_name, VTY_NEWLINE);
		if (rp->has_token)
			vty_out(vty, "  token-sha256 %s%s", osmo_hexdump_nospc(rp->token_hash, 32), VTY_NEWLINE);
		if (rp->has_cert)
			vty_out(vty, "  client-certificate-sha256 %s%s", osmo_hexdump_nospc(rp->cert_hash, 32),
				VTY_NEWLINE);
		vty_out(vty, "  rate %u%s", rp->rate, VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

static int config_write_rp(struct vty *vty)
{
	return CMD_SUCCESS; /* written by config_write_sign() */
}

DEFUN(show_signing, show_signing_cmd, "show signing", SHOW_STR "Signing sessions and relying parties\n")
{
	struct otad_sign_rp *rp;

	vty_out(vty, "relying-party API: %s; TAR %s, timeout %u s; %u sessions running (at most %u)%s",
		otad_sign_api_url() ? otad_sign_api_url() : "not listening", osmo_hexdump_nospc(otad_sign_cfg.tar, 3),
		otad_sign_cfg.timeout_s, otad_sign_running(), otad_sign_cfg.max_sessions, VTY_NEWLINE);
	llist_for_each_entry(rp, &otad_sign_cfg.rps, list)
	{
		bool cert = rp->has_cert && otad_sign_cfg.tls_client_ca;

		vty_out(vty, "  %-20s running %u, requests %lu, ok %lu, other %lu; rate %u/s%s%s", rp->name,
			rp->running, rp->requests, rp->ok, rp->other, rp->rate,
			cert	      ? ", client certificate" :
			rp->has_token ? "" :
					", no token (cannot connect)",
			VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

static void show_row(struct vty *vty, const struct otad_sign_row *r)
{
	vty_out(vty, "session %s (relying party %s): %s%s%s%s", r->session, r->rp, r->state, r->result[0] ? ", " : "",
		r->result, VTY_NEWLINE);
	vty_out(vty, "  card %s, MSISDN %s, holder %s; certificate %s%s", r->iccid[0] ? r->iccid : "-",
		r->msisdn[0] ? r->msisdn : "-", r->holder[0] ? r->holder : "-", r->serial[0] ? r->serial : "-",
		VTY_NEWLINE);
	vty_out(vty, "  %s hash %s, code %s, text %u bytes (DCS %02x), job %lld%s", r->hash_alg,
		osmo_hexdump_nospc(r->hash, r->hash_len), r->code, r->text_len, r->text_dcs, (long long)r->job,
		VTY_NEWLINE);
	if (r->tries_left >= 0)
		vty_out(vty, "  PIN tries left %d%s", r->tries_left, VTY_NEWLINE);
	if (r->sig_len)
		vty_out(vty, "  signature %zu bytes%s", r->sig_len, VTY_NEWLINE);
	if (r->error[0])
		vty_out(vty, "  %s%s", r->error, VTY_NEWLINE);
}

DEFUN(show_signature, show_signature_cmd, "show signature SESSION", SHOW_STR "A signing session\nIts sessionID\n")
{
	static struct otad_sign_row row;
	struct otad_sign_session *s = otad_sign_find(argv[0]);

	if (s) {
		show_row(vty, &s->row);
		return CMD_SUCCESS;
	}
	if (!g_otad->db || otad_db_sign_get(g_otad->db, argv[0], &row)) {
		vty_out(vty, "%% no session %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	show_row(vty, &row);
	return CMD_SUCCESS;
}

void otad_sign_vty_init(void)
{
	install_element(CONFIG_NODE, &cfg_signing_cmd);
	install_node(&sign_node, config_write_sign);
	install_element(SIGN_NODE, &cfg_sign_listen_cmd);
	install_element(SIGN_NODE, &cfg_sign_tls_cert_cmd);
	install_element(SIGN_NODE, &cfg_sign_tls_key_cmd);
	install_element(SIGN_NODE, &cfg_sign_tls_ca_cmd);
	install_element(SIGN_NODE, &cfg_sign_no_tls_cmd);
	install_element(SIGN_NODE, &cfg_sign_tar_cmd);
	install_element(SIGN_NODE, &cfg_sign_timeout_cmd);
	install_element(SIGN_NODE, &cfg_sign_max_cmd);
	install_element(SIGN_NODE, &cfg_sign_retain_cmd);
	install_element(SIGN_NODE, &cfg_sign_rp_cmd);
	install_element(SIGN_NODE, &cfg_sign_no_rp_cmd);
	install_node(&rp_node, config_write_rp);
	install_element(SIGN_RP_NODE, &cfg_rp_display_cmd);
	install_element(SIGN_RP_NODE, &cfg_rp_token_cmd);
	install_element(SIGN_RP_NODE, &cfg_rp_cert_cmd);
	install_element(SIGN_RP_NODE, &cfg_rp_no_cert_cmd);
	install_element(SIGN_RP_NODE, &cfg_rp_rate_cmd);
	install_element_ve(&show_signing_cmd);
	install_element_ve(&show_signature_cmd);
}
