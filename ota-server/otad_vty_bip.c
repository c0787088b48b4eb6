/* simpki-otad's VTY for jobs over BIP (otad_job.h "Bearers", otad_bip_cfg), inside 'otad':
 *    bip bearer sms|bip|auto        the bearer of jobs that do not say (default sms; campaigns say auto)
 *    bip push-tar TAR               the cards' admin agent TAR the push goes to (default 000000)
 *    bip server-address IP PORT     the SCP81 server as cards reach it, named in the push (default 127.0.0.1 8443)
 *    bip uri URI                    the URI of the card's first POST (default /simpki/ras)
 *    bip card-retries N             the push's retry policy: sessions the card tries again (default 2)
 *    bip wait S                     how long a card that took the push has to ask for its script (default 30)
 *    bip target TAR rfm|aid AID     what a TAR's scripts address over SCP81: the card's RFM (no targeted
 *                                   application) or the application AID; 'no bip target TAR'
 * The SCP81 server itself (listen, TLS) is the 'scp81' node (scp81/). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <osmocom/core/utils.h>

#include <simpki/hex.h>
#include <simpki/scp81.h>

#include "otad.h"
#include "otad_bip.h"
#include "otad_job.h"
#include "otad_vty.h"

#define BIP_STR "Jobs over BIP (SCP81, GlobalPlatform Amendment B)\n"

DEFUN(cfg_bip_bearer, cfg_bip_bearer_cmd, "bip bearer (sms|bip|auto)",
      BIP_STR "The bearer of jobs that do not say\n"
	      "The script in the secured SMS\n"
	      "A push SMS, then the script over the card's SCP81 session\n"
	      "BIP for large scripts and responses when the card has a PSK, else SMS\n")
{
	otad_bip_cfg.bearer = !strcmp(argv[0], "bip")  ? OTAD_JOB_BEARER_BIP :
			      !strcmp(argv[0], "auto") ? OTAD_JOB_BEARER_AUTO :
							 OTAD_JOB_BEARER_SMS;
	return CMD_SUCCESS;
}

DEFUN(cfg_bip_push_tar, cfg_bip_push_tar_cmd, "bip push-tar TAR",
      BIP_STR "The TAR of the cards' admin agent, where pushes go\n"
	      "3 bytes in hex (default 000000)\n")
{
	uint8_t tar[3];

	if (hex_decode(argv[0], tar, 3) != 3) {
		vty_out(vty, "%% the TAR is 3 bytes in hex%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	memcpy(otad_bip_cfg.push_tar, tar, 3);
	return CMD_SUCCESS;
}

DEFUN(cfg_bip_server, cfg_bip_server_cmd, "bip server-address A.B.C.D <1-65535>",
      BIP_STR "The SCP81 server as cards reach it, named in each push\n"
	      "IPv4 address\n"
	      "TCP port\n")
{
	struct in_addr a;

	if (inet_pton(AF_INET, argv[0], &a) != 1) {
		vty_out(vty, "%% not an IPv4 address%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	memcpy(otad_bip_cfg.ip, &a, 4);
	otad_bip_cfg.port = (uint16_t)atoi(argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_bip_uri, cfg_bip_uri_cmd, "bip uri URI",
      BIP_STR "The URI of a card's first POST, named in each push\n"
	      "A path: '/' then printable characters (default " SCP81_DEFAULT_URI ")\n")
{
	size_t n = strlen(argv[0]);

	if (argv[0][0] != '/' || n >= sizeof(otad_bip_cfg.uri) || n > SCP81_URI_MAX) {
		vty_out(vty, "%% a path of at most %d characters, starting with '/'%s", SCP81_URI_MAX, VTY_NEWLINE);
		return CMD_WARNING;
	}
	for (size_t i = 0; i < n; i++)
		if (argv[0][i] <= 0x20 || argv[0][i] > 0x7e) {
			vty_out(vty, "%% printable ASCII only%s", VTY_NEWLINE);
			return CMD_WARNING;
		}
	snprintf(otad_bip_cfg.uri, sizeof(otad_bip_cfg.uri), "%s", argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_bip_retries, cfg_bip_retries_cmd, "bip card-retries <0-10>",
      BIP_STR "The push's retry policy: how often the card tries a failed session again\n"
	      "Tries after the first (default 2)\n")
{
	otad_bip_cfg.card_retries = (uint16_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_bip_wait, cfg_bip_wait_cmd, "bip wait <1-3600>",
      BIP_STR "How long a card that took the push has to ask for its script\n"
	      "Seconds (default 30): then auto jobs go by SMS, bip jobs push again\n")
{
	otad_bip_cfg.wait_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

static struct otad_bip_target *target_slot(const uint8_t tar[3])
{
	struct otad_bip_target *t = (struct otad_bip_target *)otad_bip_target(tar);

	if (t || otad_bip_cfg.n_targets == OTAD_BIP_TARGETS_MAX)
		return t;
	t = &otad_bip_cfg.targets[otad_bip_cfg.n_targets++];
	memset(t, 0, sizeof(*t));
	memcpy(t->tar, tar, 3);
	return t;
}

DEFUN(cfg_bip_target, cfg_bip_target_cmd, "bip target TAR (rfm|aid) [AID]",
      BIP_STR "What a TAR's scripts address over SCP81\n"
	      "3 bytes in hex\n"
	      "The card's remote file management (no targeted application)\n"
	      "An application\n"
	      "Its AID, 5 to 16 bytes in hex\n")
{
	uint8_t tar[3], aid[16];
	struct otad_bip_target *t;
	int n = 0;

	if (hex_decode(argv[0], tar, 3) != 3) {
		vty_out(vty, "%% the TAR is 3 bytes in hex%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (!strcmp(argv[1], "aid")) {
		n = argc > 2 && strlen(argv[2]) <= 32 ? hex_decode(argv[2], aid, sizeof(aid)) : -EINVAL;
		if (n < 5) {
			vty_out(vty, "%% the AID is 5 to 16 bytes in hex%s", VTY_NEWLINE);
			return CMD_WARNING;
		}
	}
	t = target_slot(tar);
	if (!t) {
		vty_out(vty, "%% at most %d targets%s", OTAD_BIP_TARGETS_MAX, VTY_NEWLINE);
		return CMD_WARNING;
	}
	t->rfm = n == 0;
	memcpy(t->aid, aid, (size_t)n);
	t->aid_len = (uint8_t)n;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_bip_target, cfg_no_bip_target_cmd, "no bip target TAR",
      NO_STR BIP_STR "Forget a TAR's target: its jobs go by SMS only\n"
		     "3 bytes in hex\n")
{
	const struct otad_bip_target *t;
	uint8_t tar[3];
	size_t i;

	if (hex_decode(argv[0], tar, 3) != 3 || !(t = otad_bip_target(tar))) {
		vty_out(vty, "%% no such target%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	i = (size_t)(t - otad_bip_cfg.targets);
	memmove(&otad_bip_cfg.targets[i], &otad_bip_cfg.targets[i + 1],
		(otad_bip_cfg.n_targets - i - 1) * sizeof(otad_bip_cfg.targets[0]));
	otad_bip_cfg.n_targets--;
	return CMD_SUCCESS;
}

void otad_vty_bip_write(struct vty *vty)
{
	const struct otad_bip_cfg *c = &otad_bip_cfg;

	vty_out(vty, " bip bearer %s%s", otad_job_bearer_names[c->bearer], VTY_NEWLINE);
	vty_out(vty, " bip push-tar %s%s", osmo_hexdump_nospc(c->push_tar, 3), VTY_NEWLINE);
	vty_out(vty, " bip server-address %u.%u.%u.%u %u%s", c->ip[0], c->ip[1], c->ip[2], c->ip[3], c->port,
		VTY_NEWLINE);
	vty_out(vty, " bip uri %s%s", c->uri, VTY_NEWLINE);
	vty_out(vty, " bip card-retries %u%s", c->card_retries, VTY_NEWLINE);
	vty_out(vty, " bip wait %u%s", c->wait_s, VTY_NEWLINE);
	for (unsigned i = 0; i < c->n_targets; i++) {
		const struct otad_bip_target *t = &c->targets[i];

		vty_out(vty, " bip target %s", osmo_hexdump_nospc(t->tar, 3));
		if (t->rfm)
			vty_out(vty, " rfm%s", VTY_NEWLINE);
		else
			vty_out(vty, " aid %s%s", osmo_hexdump_nospc(t->aid, t->aid_len), VTY_NEWLINE);
	}
}

void otad_vty_bip_init(void)
{
	install_element(OTAD_NODE, &cfg_bip_bearer_cmd);
	install_element(OTAD_NODE, &cfg_bip_push_tar_cmd);
	install_element(OTAD_NODE, &cfg_bip_server_cmd);
	install_element(OTAD_NODE, &cfg_bip_uri_cmd);
	install_element(OTAD_NODE, &cfg_bip_retries_cmd);
	install_element(OTAD_NODE, &cfg_bip_wait_cmd);
	install_element(OTAD_NODE, &cfg_bip_target_cmd);
	install_element(OTAD_NODE, &cfg_no_bip_target_cmd);
}
