/* Running a remote APDU script (TS 102 226) for the receiving entity: against the UICC file system (RFM) or an
 * applet in a session of its own, opened for the script and closed after it (the terminal's session with the
 * applet, if any, is not disturbed).
 *
 * Execution stops after the first command whose SW is not 9000, 61xx, 62xx, 63xx or 91xx. Response data of a
 * command without Le (case 1 or 3) is kept for a GET RESPONSE in the script and the command answers 61xx, as it
 * would over T=0; so does data beyond Le, or beyond what the PoR can still carry. A compact C-TPDU that cannot be
 * delimited counts as executed with 6700 (P3 past the end) or 6D00 (instruction unknown), and ends the script.
 * A malformed expanded script gets the response AB { 80 01 00, 90 01 02 } (bad format: wrong length).
 */
#include <errno.h>
#include <string.h>

#include <simpki/bytes.h>
#include <simpki/rapdu.h>

#include "heap.h"
#include "os_internal.h"
#include "ota_re.h"

/* What the PoR can carry of the script's response: the packet less its header, CC and padding. */
#define RESP_BUDGET (OTA_MAX_PACKET - 64)

struct session {
	struct card_os *os;
	const struct ota_target *t;
	struct uicc_fs_session fs;
	card_obj_t fs_obj;
};

static bool is_get_response(const struct apdu_cmd *cmd)
{
	return cmd->ins == 0xc0 && (cmd->cla == 0x00 || cmd->cla == 0xa0);
}

static bool has_le(const struct apdu_cmd *cmd)
{
	return cmd->kase == APDU_CASE_2 || cmd->kase == APDU_CASE_4;
}

/* Hand out up to \a n bytes of the kept response data; \returns 9000 or 61xx for what is left. */
static uint16_t take_kept(struct ota_re *re, size_t n, uint8_t *out, size_t *out_len)
{
	if (n > re->last_len)
		n = re->last_len;
	memcpy(out, re->last, n);
	memmove(re->last, re->last + n, re->last_len - n);
	re->last_len -= n;
	*out_len = n;
	return re->last_len ? (uint16_t)SW_BYTES_REMAINING(re->last_len > 255 ? 0 : re->last_len) : SW_OK;
}

/* One command; its response data (at most \a room bytes) to \a out. */
static int exec_one(struct session *s, const struct apdu_cmd *cmd, uint8_t *out, size_t room, size_t *out_len)
{
	struct card_os *os = s->os;
	struct ota_re *re = os->ota;
	const uint8_t *d;
	uint32_t n32;
	size_t n = 0, limit;
	uint16_t sw;

	*out_len = 0;
	if (is_get_response(cmd)) {
		if (cmd->p1 || cmd->p2)
			return SW_INCORRECT_P1P2;
		if (!re->last_len)
			return SW_CONDITIONS_NOT_SATISFIED;
		return take_kept(re, cmd->ne < room ? cmd->ne : room, out, out_len);
	}
	re->last_len = 0;
	if (s->t->rfm) {
		sw = uicc_fs_command(os->nvm, s->fs_obj, &s->fs, cmd, re->last, &n);
	} else {
		sw = card_ota_session_command(os, s->t->applet, cmd, &d, &n32);
		n = n32;
		if (n)
			memcpy(re->last, d, n);
	}
	if (nvm_store_dead(os->store))
		return -EIO;
	re->last_len = n;
	if (!n)
		return sw;
	if (!has_le(cmd)) {
		if (sw != SW_OK)
			re->last_len = 0; /* data with a warning or an error: nothing to fetch */
		return sw == SW_OK ? (uint16_t)SW_BYTES_REMAINING(n > 255 ? 0 : n) : sw;
	}
	limit = cmd->ne < room ? cmd->ne : room;
	if (n <= limit) {
		memcpy(out, re->last, n);
		*out_len = n;
		re->last_len = 0;
		return sw;
	}
	take_kept(re, limit, out, out_len);
	return SW_BYTES_REMAINING(re->last_len > 255 ? 0 : re->last_len);
}

static int run_compact(struct session *s, const uint8_t *script, size_t len)
{
	struct ota_re *re = s->os->ota;
	struct apdu_cmd cmd;
	size_t pos = 0, out_len = 0;
	uint8_t count = 0;
	int sw = SW_OK, r;

	for (;;) {
		r = rapdu_compact_next(script, len, &pos, uicc_fs_case, &cmd); /* only RFM TARs take compact scripts */
		if (r == 0)
			break;
		count++;
		if (r < 0) {
			sw = r == -ENOTSUP ? SW_INS_NOT_SUPPORTED : SW_WRONG_LENGTH;
			out_len = 0;
			break;
		}
		sw = exec_one(s, &cmd, re->rdata, RESP_BUDGET - 3, &out_len);
		if (sw < 0)
			return sw;
		if (!rapdu_sw_continues((uint16_t)sw) || count == 255)
			break;
	}
	if (!count) {
		re->data[0] = 0;
		return 1;
	}
	return rapdu_compact_response(count, (uint16_t)sw, re->rdata, out_len, re->data, sizeof(re->data));
}

static int run_expanded(struct session *s, const uint8_t *script, size_t len)
{
	static const uint8_t bad_format[] = { 0xab, 0x06, 0x80, 0x01, 0x00, 0x90, 0x01, 0x02 };
	struct ota_re *re = s->os->ota;
	struct apdu_cmd cmds[RAPDU_MAX_COMMANDS];
	struct rapdu_result res[RAPDU_MAX_COMMANDS];
	size_t n, used = 8, pos = 0, out_len;
	unsigned done = 0;
	int sw;

	if (rapdu_expanded_parse(script, len, cmds, RAPDU_MAX_COMMANDS, &n)) {
		memcpy(re->data, bad_format, sizeof(bad_format));
		return sizeof(bad_format);
	}
	for (size_t i = 0; i < n; i++) {
		size_t room = used + 8 < RESP_BUDGET ? RESP_BUDGET - used - 8 : 0;

		sw = exec_one(s, &cmds[i], re->rdata + pos, room, &out_len);
		if (sw < 0)
			return sw;
		res[done++] = (struct rapdu_result){ .sw = (uint16_t)sw, .data = re->rdata + pos, .len = out_len };
		pos += out_len;
		used += out_len + 8;
		if (!rapdu_sw_continues((uint16_t)sw))
			break;
	}
	return rapdu_expanded_response(res, done, re->data, sizeof(re->data));
}

int ota_exec_script(struct card_os *os, const struct ota_target *t, const uint8_t *script, size_t len)
{
	struct session s = { .os = os, .t = t };
	int rc;

	os->ota->last_len = 0;
	if (t->rfm) {
		s.fs_obj = get_le16(nvm_data(os->nvm) + HEAP_OS_FS);
		uicc_fs_session_start(&s.fs);
	} else {
		card_ota_session_begin(os, t->applet);
	}
	rc = t->expanded ? run_expanded(&s, script, len) : run_compact(&s, script, len);
	if (!t->rfm)
		card_ota_session_end(os, t->applet);
	os->ota->last_len = 0;
	return rc;
}
