/* SCP81 jobs' push, script conversion and bearer choice (otad_bip.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <simpki/apdu.h>
#include <simpki/rapdu.h>
#include <simpki/scp81.h>

#include "otad_bip.h"
#include "otad_job.h"

#define LARGE_RESPONSE 200

struct otad_bip_cfg otad_bip_cfg = {
	.bearer = OTAD_JOB_BEARER_SMS,
	.push_tar = { 0x00, 0x00, 0x00 },
	.ip = { 127, 0, 0, 1 },
	.port = SCP81_DEFAULT_PORT,
	.uri = SCP81_DEFAULT_URI,
	.card_retries = 2,
	.wait_s = 30,
	.targets = {
		{ .tar = { 0x50, 0x4b, 0x49 },
		  .aid = { 0xf2, 0x76, 0xa2, 0x88, 0xbc, 0xfb, 0xa6, 0x9d, 0x34, 0xf3, 0x10, 0x01 },
		  .aid_len = 12 },
		{ .tar = { 0xb0, 0x00, 0x10 }, .rfm = true },
	},
	.n_targets = 2,
};

int otad_bip_push(const char *iccid, uint8_t *out, size_t max)
{
	struct scp81_push p = {
		.has_conn = true,
		.port = otad_bip_cfg.port,
		.buffer_size = 1400,
		.bearer = 0x03,
		.has_security = true,
		.kvn = OTAD_PSK_KVN,
		.kid = OTAD_PSK_KID,
		.has_retry = true,
		.retries = otad_bip_cfg.card_retries,
		.has_http = true,
	};

	memcpy(p.ip, otad_bip_cfg.ip, 4);
	snprintf(p.psk_id, sizeof(p.psk_id), "%s", iccid);
	snprintf(p.host, sizeof(p.host), "%u.%u.%u.%u", p.ip[0], p.ip[1], p.ip[2], p.ip[3]);
	snprintf(p.agent_id, sizeof(p.agent_id), "%s", iccid);
	snprintf(p.uri, sizeof(p.uri), "%s", otad_bip_cfg.uri);
	return scp81_push_encode(&p, out, max);
}

const struct otad_bip_target *otad_bip_target(const uint8_t tar[3])
{
	for (unsigned i = 0; i < otad_bip_cfg.n_targets; i++)
		if (!memcmp(otad_bip_cfg.targets[i].tar, tar, 3))
			return &otad_bip_cfg.targets[i];
	return NULL;
}

/* A compact command's case, from its instruction (the operator API's compact scripts, api_parse.c). */
static int compact_case(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2)
{
	(void)cla;
	(void)p1;
	(void)p2;
	switch (ins) {
	case 0xb0: /* READ BINARY */
	case 0xb2: /* READ RECORD */
	case 0xc0: /* GET RESPONSE */
	case 0xca: /* GET DATA */
	case 0xcb:
	case 0xf2: /* STATUS */
	case 0x84: /* GET CHALLENGE */
		return 2;
	default:
		return 3;
	}
}

/* \a row's commands. \returns how many; -EBADMSG; -E2BIG */
static int commands(const struct otad_job_row *row, struct apdu_cmd *cmds, size_t max)
{
	size_t n = 0, pos = 0;
	int r;

	if (rapdu_is_expanded(row->script, row->script_len)) {
		r = rapdu_expanded_parse(row->script, row->script_len, cmds, max, &n);
		return r ? r : (int)n;
	}
	while ((r = rapdu_compact_next(row->script, row->script_len, &pos, compact_case, &cmds[n])) == 1)
		if (++n == max && pos < row->script_len)
			return -E2BIG;
	return r < 0 ? -EBADMSG : (int)n;
}

int otad_bip_script(const struct otad_job_row *row, uint8_t *out, size_t max)
{
	struct apdu_cmd cmds[RAPDU_MAX_COMMANDS];
	int n;

	if (rapdu_is_expanded(row->script, row->script_len)) {
		if (row->script_len > max)
			return -E2BIG;
		memcpy(out, row->script, row->script_len);
		return (int)row->script_len;
	}
	n = commands(row, cmds, RAPDU_MAX_COMMANDS);
	if (n <= 0)
		return n < 0 ? n : -EBADMSG;
	return rapdu_expanded_encode(cmds, (size_t)n, out, max);
}

bool otad_bip_large(const struct otad_job_row *row, int sms)
{
	struct apdu_cmd cmds[RAPDU_MAX_COMMANDS];
	int n;

	if (sms > 1)
		return true;
	n = commands(row, cmds, RAPDU_MAX_COMMANDS);
	for (int i = 0; i < n; i++)
		if ((cmds[i].kase == APDU_CASE_2 || cmds[i].kase == APDU_CASE_4) &&
		    (cmds[i].ne == 0 || cmds[i].ne >= LARGE_RESPONSE))
			return true;
	return false;
}
