/* Proactive SEND SHORT MESSAGE for PoRs (TS 102 223 §6.4.10, TS 31.115 §4.2): the queue of commands, FETCH and
 * TERMINAL RESPONSE.
 *
 * A PoR that fits one SMS (140 octets of user data, UDH 02 71 00 included) goes as one SMS-SUBMIT; a longer one is
 * concatenated: part 1 has the UDH 07 | 00 03 ref n 1 | 71 00 and 132 octets of the response packet, the others
 * 05 | 00 03 ref n i and 134 octets. Each part is one command:
 *   D0 L { 81 03 nn 13 00 (command details: number, SEND SHORT MESSAGE, packing not required) |
 *          82 02 81 83 (UICC to network) | 8B L SMS-SUBMIT (MR 00, DA = the command's sender, PID 7F, DCS F6) }
 * The terminal learns of a waiting command from 91xx (xx its length), takes it with FETCH (a shorter Le gets 6Cxx
 * and the command stays), and answers with TERMINAL RESPONSE { 81 03 (the same details) | 82 02 82 81 | 83 result }.
 * After a result of 20 or more (not performed) the remaining parts of that PoR are dropped.
 *
 * The queue holds either a PoR's commands or one command of an applet's toolkit session (DISPLAY TEXT, GET INPUT,
 * MORE TIME: proactive_queue_applet(), toolkit.c). A TERMINAL RESPONSE is taken only when a fetched command waits and
 * it is well formed (BER-TLV, each simple TLV once at most), its command details (81) are those of that command
 * (number, type, qualifier), its device identities (82, when present) are 2 bytes, it has a result (83) with a
 * general result, and a text string (8D) that is present has a DCS: else 6A80, or 6985 when none waits, and nothing
 * changes. An accepted answer to an applet's command goes to the applet (tk_terminal_response()).
 *
 * Besides the queue, the admin agent (admin_agent.h) has one command slot of its own: its command is reported and
 * fetched only when the queue is empty (a PoR's SEND SHORT MESSAGE commands and an applet's command go first), and
 * its TERMINAL RESPONSE, checked as above, goes to the agent.
 */
#include <errno.h>
#include <string.h>

#include <simpki/card_sw.h>
#include <simpki/tlv.h>

#include "admin_agent.h"
#include "os_internal.h"
#include "ota_re.h"

#define PART1_ROOM (SMS_MAX_UD - 8)
#define PART_ROOM (SMS_MAX_UD - 6)
#define TYPE_SEND_SHORT_MESSAGE 0x13

static int build_command(struct ota_re *re, unsigned i, const struct sms_addr *da, const uint8_t *ud, size_t udl)
{
	struct sms_tpdu t = {
		.submit = true,
		.udhi = true,
		.addr = *da,
		.pid = SMS_PID_SIM_DATA_DOWNLOAD,
		.dcs = SMS_DCS_8BIT_CLASS2,
		.ud = ud,
		.udl = udl,
	};
	uint8_t tpdu[SMS_MAX_TPDU], body[OTA_RE_PROACTIVE_MAX];
	size_t n = 0;
	int len, h;

	len = sms_tpdu_encode(&t, tpdu, sizeof(tpdu));
	if (len < 0)
		return len;
	re->pro_num[i] = proactive_next_number(re);
	re->pro_type[i] = TYPE_SEND_SHORT_MESSAGE;
	re->pro_qual[i] = 0x00;
	memcpy(body,
	       (const uint8_t[]){ 0x81, 0x03, re->cmd_number, TYPE_SEND_SHORT_MESSAGE, 0x00, 0x82, 0x02, 0x81, 0x83 },
	       9);
	n = 9;
	h = tlv_put_header(body + n, sizeof(body) - n, 0x8b, (size_t)len);
	if (h < 0 || n + (size_t)h + (size_t)len > sizeof(body))
		return -E2BIG;
	n += (size_t)h;
	memcpy(body + n, tpdu, (size_t)len);
	n += (size_t)len;
	h = tlv_put_header(re->pro[i], OTA_RE_PROACTIVE_MAX, 0xd0, n);
	if (h < 0 || (size_t)h + n > OTA_RE_PROACTIVE_MAX)
		return -E2BIG;
	memcpy(re->pro[i] + h, body, n);
	re->pro_len[i] = (uint8_t)(h + n);
	return 0;
}

int proactive_queue_por(struct ota_re *re, const struct sms_addr *da, const uint8_t *ud, size_t len)
{
	const uint8_t *p = ud + 3; /* the response packet, after 02 71 00 */
	size_t left = len - 3, parts, take;
	uint8_t part[SMS_MAX_UD];
	int rc;

	if (len < 3)
		return -EINVAL;
	re->pro_applet = false;
	if (len <= SMS_MAX_UD) {
		rc = build_command(re, 0, da, ud, len);
		if (rc)
			return rc;
		re->pro_n = 1;
		re->pro_next = 0;
		re->pro_fetched = false;
		return 0;
	}
	parts = 1 + (left - PART1_ROOM + PART_ROOM - 1) / PART_ROOM;
	if (parts > OTA_RE_MAX_PARTS)
		return -E2BIG;
	re->msg_ref++;
	for (unsigned i = 0; i < parts; i++) {
		size_t h;

		if (i == 0) {
			memcpy(part, (const uint8_t[]){ 0x07, 0x00, 0x03, re->msg_ref, (uint8_t)parts, 1, 0x71, 0x00 },
			       8);
			h = 8;
		} else {
			memcpy(part,
			       (const uint8_t[]){ 0x05, 0x00, 0x03, re->msg_ref, (uint8_t)parts, (uint8_t)(i + 1) }, 6);
			h = 6;
		}
		take = left < SMS_MAX_UD - h ? left : SMS_MAX_UD - h;
		memcpy(part + h, p, take);
		rc = build_command(re, i, da, part, h + take);
		if (rc)
			return rc;
		p += take;
		left -= take;
	}
	re->pro_n = (unsigned)parts;
	re->pro_next = 0;
	re->pro_fetched = false;
	return 0;
}

int proactive_queue_applet(struct ota_re *re, uint8_t type, uint8_t qualifier, uint8_t dest, const uint8_t *body,
			   size_t len)
{
	uint8_t *p = re->pro[0];
	size_t n = 9;
	int h;

	if (9 + len > OTA_RE_PROACTIVE_MAX)
		return -E2BIG;
	h = tlv_put_header(p, OTA_RE_PROACTIVE_MAX, 0xd0, 9 + len);
	if (h < 0 || (size_t)h + 9 + len > OTA_RE_PROACTIVE_MAX)
		return -E2BIG;
	proactive_next_number(re);
	memcpy(p + h, (const uint8_t[]){ 0x81, 0x03, re->cmd_number, type, qualifier, 0x82, 0x02, 0x81, dest }, n);
	if (len) /* MORE TIME has no body (NULL) */
		memcpy(p + h + n, body, len);
	re->pro_len[0] = (uint8_t)(h + n + len);
	re->pro_num[0] = re->cmd_number;
	re->pro_type[0] = type;
	re->pro_qual[0] = qualifier;
	re->pro_applet = true;
	re->pro_n = 1;
	re->pro_next = 0;
	re->pro_fetched = false;
	return 0;
}

uint8_t proactive_next_number(struct ota_re *re)
{
	re->cmd_number = re->cmd_number == 0xfe ? 1 : re->cmd_number + 1;
	return re->cmd_number;
}

bool proactive_queue_busy(const struct ota_re *re)
{
	return re->pro_next < re->pro_n;
}

/* The agent's command, when the queue is empty. */
static const uint8_t *agent_cmd(const struct ota_re *re, size_t *len, uint8_t *num, uint8_t *type, uint8_t *qual)
{
	return proactive_queue_busy(re) ? NULL : admin_agent_command(re->agent, len, num, type, qual);
}

bool proactive_busy(const struct ota_re *re)
{
	size_t len;
	uint8_t n, t, q;

	return proactive_queue_busy(re) || agent_cmd(re, &len, &n, &t, &q);
}

uint16_t proactive_status(const struct ota_re *re, uint16_t sw)
{
	size_t len;
	uint8_t n, t, q;

	if (sw != SW_OK)
		return sw;
	if (proactive_queue_busy(re))
		return (uint16_t)(0x9100 | re->pro_len[re->pro_next]);
	if (agent_cmd(re, &len, &n, &t, &q))
		return (uint16_t)(0x9100 | len);
	return sw;
}

uint16_t proactive_fetch(struct ota_re *re, uint32_t ne, uint8_t *out, size_t *out_len)
{
	unsigned i = re->pro_next;
	const uint8_t *c;
	size_t len;
	uint8_t n, t, q;

	*out_len = 0;
	c = agent_cmd(re, &len, &n, &t, &q);
	if (c) {
		if (ne < len)
			return (uint16_t)SW_CORRECT_LENGTH(len);
		memcpy(out, c, len);
		*out_len = len;
		admin_agent_set_fetched(re->agent);
		return SW_OK;
	}
	if (!proactive_queue_busy(re))
		return SW_CONDITIONS_NOT_SATISFIED;
	if (ne < re->pro_len[i])
		return (uint16_t)SW_CORRECT_LENGTH(re->pro_len[i]);
	memcpy(out, re->pro[i], re->pro_len[i]);
	*out_len = re->pro_len[i];
	re->pro_fetched = true;
	return SW_OK;
}

uint16_t proactive_terminal_response(struct card_os *os, const uint8_t *d, size_t len)
{
	struct ota_re *re = os->ota;
	struct card_tk_result res = { 0 };
	const uint8_t *all = d;
	size_t all_len = len;
	unsigned i = re->pro_next, seen = 0;
	struct tlv t;
	size_t alen;
	uint8_t num, type, qual;
	bool agent = false;

	if (proactive_queue_busy(re) && re->pro_fetched) {
		num = re->pro_num[i];
		type = re->pro_type[i];
		qual = re->pro_qual[i];
	} else if (agent_cmd(re, &alen, &num, &type, &qual) && admin_agent_fetched(re->agent)) {
		agent = true;
	} else {
		return SW_CONDITIONS_NOT_SATISFIED;
	}
	while (len) {
		unsigned bit;

		if (ber_tlv_parse(d, len, &t) || t.tag > 0xff)
			return SW_WRONG_DATA;
		bit = 1u << (t.tag & 0x1f);
		switch (t.tag & 0x7f) {
		case 0x01: /* command details */
			if (t.len != 3 || t.value[0] != num || t.value[1] != type || t.value[2] != qual)
				return SW_WRONG_DATA;
			break;
		case 0x02: /* device identities */
			if (t.len != 2)
				return SW_WRONG_DATA;
			break;
		case 0x03: /* result */
			if (t.len < 1)
				return SW_WRONG_DATA;
			res.general = t.value[0];
			res.info = t.value + 1;
			res.info_len = (uint32_t)t.len - 1;
			break;
		case 0x0d: /* text string */
			if (t.len < 1)
				return SW_WRONG_DATA;
			res.has_text = true;
			res.dcs = t.value[0];
			res.text = t.value + 1;
			res.text_len = (uint32_t)t.len - 1;
			break;
		default:
			bit = 0;
			break;
		}
		if (seen & bit)
			return SW_WRONG_DATA; /* a simple TLV given twice */
		seen |= bit;
		d += t.total;
		len -= t.total;
	}
	if (!(seen & (1u << 0x01)) || !(seen & (1u << 0x03)))
		return SW_WRONG_DATA; /* not the answer to the command that was fetched: it stays outstanding */
	if (agent) {
		res.type = type;
		res.qualifier = qual;
		admin_agent_terminal_response(os, &res, all, all_len);
		return proactive_status(re, SW_OK);
	}
	re->pro_fetched = false;
	if (re->pro_applet) {
		res.type = re->pro_type[i];
		res.qualifier = re->pro_qual[i];
		re->pro_n = re->pro_next = 0;
		re->pro_applet = false;
		tk_terminal_response(os, &res, all, all_len);
		return proactive_status(re, SW_OK);
	}
	re->pro_next = res.general < 0x20 ? re->pro_next + 1 : re->pro_n;
	if (!proactive_busy(re))
		re->pro_n = re->pro_next = 0;
	return proactive_status(re, SW_OK);
}
