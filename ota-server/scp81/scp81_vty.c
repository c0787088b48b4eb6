/* simpki-otad's SCP81 RAS configuration (scp81_server.h: struct scp81_cfg) and 'show scp81'. The node:
 *   scp81
 *    listen A.B.C.D <0-65535>        | no listen
 *    tls-version (1.2|1.3|any)
 *    cipher null (allowed|refused)
 *    http (chunked|content-length)
 *    max-sessions <1-1000000>
 *    timeout handshake <1-600>       | timeout post <1-3600>
 *    test-psk IDENTITY HEX           hidden, for tests only: a PSK known without the job engine
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "otad_vty.h"
#include "scp81_server.h"
#include "scp81_server_int.h"
#include "scp81_vty.h"

static struct cmd_node scp81_node = { .node = SCP81_NODE, .prompt = "%s(config-scp81)# ", .vtysh = 1 };

struct test_psk {
	struct llist_head list;
	char identity[SCP81_PSK_ID_MAX + 1];
	uint8_t psk[SCP81_PSK_MAX];
	size_t len;
};
static LLIST_HEAD(test_psks);
static unsigned n_test_psks;

DEFUN(cfg_scp81, cfg_scp81_cmd, "scp81", "The SCP81 remote administration server (HTTPS with TLS-PSK for SIMs)\n")
{
	scp81_cfg.enabled = true;
	vty->node = SCP81_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_listen, cfg_listen_cmd, "listen A.B.C.D <0-65535>",
      "Where the RAS listens (default 127.0.0.1 8443)\nIPv4 address\nTCP port (0: any free one)\n")
{
	osmo_strlcpy(scp81_cfg.ip, argv[0], sizeof(scp81_cfg.ip));
	scp81_cfg.port = (uint16_t)atoi(argv[1]);
	scp81_cfg.listen = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_listen, cfg_no_listen_cmd, "no listen", NO_STR "The RAS does not listen\n")
{
	scp81_cfg.listen = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_tls_version, cfg_tls_version_cmd, "tls-version (1.2|1.3|any)",
      "TLS versions the cards may use (default any: 1.2 and 1.3)\nTLS 1.2 only\nTLS 1.3 only\nTLS 1.2 and 1.3\n")
{
	scp81_cfg.tls = !strcmp(argv[0], "1.2") ? SCP81_TLS_12 : !strcmp(argv[0], "1.3") ? SCP81_TLS_13 : SCP81_TLS_ANY;
	return CMD_SUCCESS;
}

DEFUN(cfg_cipher_null, cfg_cipher_null_cmd, "cipher null (allowed|refused)",
      "TLS 1.2 cipher suites\nTLS_PSK_WITH_NULL_SHA256 (integrity only, no encryption; default refused)\n"
      "Offered after PSK-AES128-CBC-SHA256\nNot offered\n")
{
	scp81_cfg.null_cipher = !strcmp(argv[0], "allowed");
	return CMD_SUCCESS;
}

DEFUN(cfg_http, cfg_http_cmd, "http (chunked|content-length)",
      "How scripts are sent\nChunked transfer coding (1 KiB chunks)\nContent-Length (default)\n")
{
	scp81_cfg.chunked = !strcmp(argv[0], "chunked");
	return CMD_SUCCESS;
}

DEFUN(cfg_max, cfg_max_cmd, "max-sessions <1-1000000>",
      "Sessions open at once (default 1000; beyond: a new connection is closed at once)\nSessions\n")
{
	scp81_cfg.max_sessions = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_timeout_hs, cfg_timeout_hs_cmd, "timeout handshake <1-600>",
      "Time-outs\nThe TLS handshake (default 10)\nSeconds\n")
{
	scp81_cfg.handshake_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_timeout_post, cfg_timeout_post_cmd, "timeout post <1-3600>",
      "Time-outs\nWaiting for the card's next POST (default 30)\nSeconds\n")
{
	scp81_cfg.post_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN_HIDDEN(cfg_test_psk, cfg_test_psk_cmd, "test-psk IDENTITY HEX",
	     "For tests only: a PSK known without the job engine\nPSK identity\nPSK, 32 or 64 hex digits\n")
{
	struct test_psk *t;
	int n;

	if (!scp81_psk_id_ok(argv[0]) || (strlen(argv[1]) != 32 && strlen(argv[1]) != 64)) {
		vty_out(vty, "%% test-psk: a PSK identity (printable, no spaces) and 32 or 64 hex digits%s",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	t = talloc_zero(tall_vty_ctx, struct test_psk);
	n = osmo_hexparse(argv[1], t->psk, sizeof(t->psk));
	if (n != 16 && n != 32) {
		talloc_free(t);
		vty_out(vty, "%% test-psk: 32 or 64 hex digits%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	t->len = (size_t)n;
	osmo_strlcpy(t->identity, argv[0], sizeof(t->identity));
	llist_add_tail(&t->list, &test_psks);
	n_test_psks++;
	return CMD_SUCCESS;
}

int scp81_test_psk(const char *identity, uint8_t *psk, size_t max)
{
	struct test_psk *t;

	llist_for_each_entry(t, &test_psks, list)
	{
		if (strcmp(t->identity, identity) || t->len > max)
			continue;
		memcpy(psk, t->psk, t->len);
		return (int)t->len;
	}
	return -ENOENT;
}

unsigned scp81_test_psk_count(void)
{
	return n_test_psks;
}

static int config_write(struct vty *vty)
{
	static const char *const tls[] = { "any", "1.2", "1.3" };
	struct test_psk *t;

	if (!scp81_cfg.enabled)
		return CMD_SUCCESS;
	vty_out(vty, "scp81%s", VTY_NEWLINE);
	if (scp81_cfg.listen)
		vty_out(vty, " listen %s %u%s", scp81_cfg.ip, scp81_cfg.port, VTY_NEWLINE);
	else
		vty_out(vty, " no listen%s", VTY_NEWLINE);
	vty_out(vty, " tls-version %s%s", tls[scp81_cfg.tls], VTY_NEWLINE);
	vty_out(vty, " cipher null %s%s", scp81_cfg.null_cipher ? "allowed" : "refused", VTY_NEWLINE);
	vty_out(vty, " http %s%s", scp81_cfg.chunked ? "chunked" : "content-length", VTY_NEWLINE);
	vty_out(vty, " max-sessions %u%s", scp81_cfg.max_sessions, VTY_NEWLINE);
	vty_out(vty, " timeout handshake %u%s", scp81_cfg.handshake_s, VTY_NEWLINE);
	vty_out(vty, " timeout post %u%s", scp81_cfg.post_s, VTY_NEWLINE);
	/* test PSKs are written by identity only: a saved configuration never carries a key */
	llist_for_each_entry(t, &test_psks, list)
		vty_out(vty, " ! test-psk %s (key not written)%s", t->identity, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static void show_line(void *arg, const char *text)
{
	struct vty *vty = arg;

	vty_out(vty, "%s%s", text, VTY_NEWLINE);
}

DEFUN(show_scp81, show_scp81_cmd, "show scp81", SHOW_STR "The SCP81 remote administration server\n")
{
	static const char *const names[] = {
		[SCP81_CTR_ACCEPTED] = "accepted",
		[SCP81_CTR_REFUSED_FULL] = "refused (max-sessions)",
		[SCP81_CTR_HS_OK] = "handshakes",
		[SCP81_CTR_HS_UNKNOWN] = "handshakes failed: unknown identity",
		[SCP81_CTR_HS_FAILED] = "handshakes failed: other",
		[SCP81_CTR_REQ_400] = "requests refused 400",
		[SCP81_CTR_REQ_405] = "requests refused 405",
		[SCP81_CTR_REQ_413] = "requests refused 413",
		[SCP81_CTR_REQ_5XX] = "requests refused 5xx",
		[SCP81_CTR_SCRIPTS] = "scripts handed out",
		[SCP81_CTR_RESULTS] = "results",
		[SCP81_CTR_NO_MORE] = "sessions ended 204",
		[SCP81_CTR_ENDED_ABNORMALLY] = "sessions ended abnormally",
	};
	int port = scp81_server_port();
	unsigned i;

	if (port < 0)
		vty_out(vty, "SCP81 RAS: not listening%s", VTY_NEWLINE);
	else
		vty_out(vty, "SCP81 RAS on %s:%d: %u sessions (at most %u)%s", scp81_cfg.ip, port,
			scp81_server_sessions(), scp81_cfg.max_sessions, VTY_NEWLINE);
	for (i = 0; i < ARRAY_SIZE(names); i++)
		vty_out(vty, "  %-36s %llu%s", names[i], (unsigned long long)scp81_server_ctr(i), VTY_NEWLINE);
	scp81_server_show(show_line, vty);
	return CMD_SUCCESS;
}

void scp81_vty_init(void)
{
	install_element(CONFIG_NODE, &cfg_scp81_cmd);
	install_node(&scp81_node, config_write);
	install_element(SCP81_NODE, &cfg_listen_cmd);
	install_element(SCP81_NODE, &cfg_no_listen_cmd);
	install_element(SCP81_NODE, &cfg_tls_version_cmd);
	install_element(SCP81_NODE, &cfg_cipher_null_cmd);
	install_element(SCP81_NODE, &cfg_http_cmd);
	install_element(SCP81_NODE, &cfg_max_cmd);
	install_element(SCP81_NODE, &cfg_timeout_hs_cmd);
	install_element(SCP81_NODE, &cfg_timeout_post_cmd);
	install_element(SCP81_NODE, &cfg_test_psk_cmd);
	install_element_ve(&show_scp81_cmd);
}
