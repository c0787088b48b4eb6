/* Remote APDU scripts and responses (TS 102 226); formats in include/simpki/rapdu.h. */
#include <errno.h>
#include <string.h>

#include <simpki/rapdu.h>
#include <simpki/tlv.h>

#define TAG_SCRIPT 0xaa
#define TAG_SCRIPT_INDEF 0xae
#define TAG_RESPONSE 0xab
#define TAG_CAPDU 0x22
#define TAG_RAPDU 0x23
#define TAG_COUNT 0x80

bool rapdu_sw_continues(uint16_t sw)
{
	uint8_t sw1 = (uint8_t)(sw >> 8);

	return sw == 0x9000 || sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63 || sw1 == 0x91;
}

int rapdu_compact_next(const uint8_t *script, size_t len, size_t *pos, rapdu_case_fn case_of, struct apdu_cmd *cmd)
{
	const uint8_t *p;
	size_t left;
	int c;

	if (*pos >= len)
		return 0;
	p = script + *pos;
	left = len - *pos;
	if (left < 5)
		return -EBADMSG;
	memset(cmd, 0, sizeof(*cmd));
	cmd->cla = p[0];
	cmd->ins = p[1];
	cmd->p1 = p[2];
	cmd->p2 = p[3];
	c = case_of(p[0], p[1], p[2], p[3]);
	if (c == 2) {
		cmd->kase = APDU_CASE_2;
		cmd->ne = p[4] ? p[4] : 256;
		*pos += 5;
		return 1;
	}
	if (c != 3)
		return -ENOTSUP;
	if ((size_t)p[4] > left - 5)
		return -EBADMSG;
	cmd->kase = p[4] ? APDU_CASE_3 : APDU_CASE_1;
	cmd->lc = p[4];
	cmd->data = p[4] ? p + 5 : NULL;
	*pos += 5u + p[4];
	return 1;
}

bool rapdu_is_expanded(const uint8_t *script, size_t len)
{
	return len && (script[0] == TAG_SCRIPT || script[0] == TAG_SCRIPT_INDEF);
}

/* The TLVs inside an expanded template: definite AA L {...}, or indefinite AE 80 {...} 00 00. */
static int template_body(const uint8_t *b, size_t len, const uint8_t **body, size_t *blen)
{
	struct tlv t;

	if (len >= 2 && b[0] == TAG_SCRIPT_INDEF && b[1] == 0x80) {
		if (len < 4 || b[len - 1] || b[len - 2])
			return -EBADMSG;
		*body = b + 2;
		*blen = len - 4;
		return 0;
	}
	if (ber_tlv_parse(b, len, &t) || t.tag != TAG_SCRIPT || t.total != len)
		return -EBADMSG;
	*body = t.value;
	*blen = t.len;
	return 0;
}

int rapdu_expanded_parse(const uint8_t *script, size_t len, struct apdu_cmd *cmds, size_t max, size_t *n)
{
	const uint8_t *body;
	size_t blen;
	struct tlv t;

	*n = 0;
	if (template_body(script, len, &body, &blen))
		return -EBADMSG;
	while (blen) {
		if (ber_tlv_parse(body, blen, &t))
			return -EBADMSG;
		if (t.tag == TAG_CAPDU) {
			if (*n == max)
				return -E2BIG;
			if (!t.len || apdu_parse(t.value, t.len, &cmds[*n]))
				return -EBADMSG;
			(*n)++;
		}
		/* immediate action (81), error action (82) and script chaining (83) TLVs are accepted and not acted on */
		body += t.total;
		blen -= t.total;
	}
	return 0;
}

int rapdu_compact_encode(const struct apdu_cmd *cmds, size_t n, uint8_t *out, size_t max)
{
	size_t pos = 0;

	for (size_t i = 0; i < n; i++) {
		const struct apdu_cmd *c = &cmds[i];
		uint8_t p3;

		if (c->lc > 255 || c->ne > 256 || (c->lc && c->ne))
			return -EINVAL; /* compact C-TPDUs carry either data or Le, short form only */
		p3 = c->lc ? (uint8_t)c->lc : (uint8_t)c->ne; /* Le 256 is 00 */
		if (pos + 5 + c->lc > max)
			return -E2BIG;
		out[pos++] = c->cla;
		out[pos++] = c->ins;
		out[pos++] = c->p1;
		out[pos++] = c->p2;
		out[pos++] = p3;
		if (c->lc)
			memcpy(out + pos, c->data, c->lc);
		pos += c->lc;
	}
	return (int)pos;
}

int rapdu_expanded_encode(const struct apdu_cmd *cmds, size_t n, uint8_t *out, size_t max)
{
	uint8_t one[APDU_MAX_ENCODED > 4096 ? 4096 : APDU_MAX_ENCODED];
	size_t body = 0, pos;
	int h, len;

	/* the body's length first, to size the template's header */
	for (size_t i = 0; i < n; i++) {
		len = apdu_encode(&cmds[i], one, sizeof(one));
		if (len < 0)
			return len;
		h = tlv_put_header(one, sizeof(one), TAG_CAPDU, (size_t)len);
		body += (size_t)h + (size_t)len;
	}
	h = tlv_put_header(out, max, TAG_SCRIPT, body);
	if (h < 0 || (size_t)h + body > max)
		return -E2BIG;
	pos = (size_t)h;
	for (size_t i = 0; i < n; i++) {
		len = apdu_encode(&cmds[i], one, sizeof(one));
		h = tlv_put_header(out + pos, max - pos, TAG_CAPDU, (size_t)len);
		memcpy(out + pos + (size_t)h, one, (size_t)len);
		pos += (size_t)h + (size_t)len;
	}
	return (int)pos;
}

int rapdu_compact_response(uint8_t count, uint16_t last_sw, const uint8_t *data, size_t len, uint8_t *out, size_t max)
{
	if (3 + len > max)
		return -E2BIG;
	out[0] = count;
	out[1] = (uint8_t)(last_sw >> 8);
	out[2] = (uint8_t)last_sw;
	if (len)
		memcpy(out + 3, data, len);
	return (int)(3 + len);
}

int rapdu_expanded_response(const struct rapdu_result *r, size_t n, uint8_t *out, size_t max)
{
	size_t body = 3, pos;
	int h;

	if (n > 255)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		uint8_t hdr[8];

		h = tlv_put_header(hdr, sizeof(hdr), TAG_RAPDU, r[i].len + 2);
		if (h < 0)
			return h;
		body += (size_t)h + r[i].len + 2;
	}
	h = tlv_put_header(out, max, TAG_RESPONSE, body);
	if (h < 0 || (size_t)h + body > max)
		return -E2BIG;
	pos = (size_t)h;
	out[pos++] = TAG_COUNT;
	out[pos++] = 1;
	out[pos++] = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		h = tlv_put_header(out + pos, max - pos, TAG_RAPDU, r[i].len + 2);
		pos += (size_t)h;
		if (r[i].len)
			memcpy(out + pos, r[i].data, r[i].len);
		pos += r[i].len;
		out[pos++] = (uint8_t)(r[i].sw >> 8);
		out[pos++] = (uint8_t)r[i].sw;
	}
	return (int)pos;
}

int rapdu_expanded_results(const uint8_t *b, size_t len, struct rapdu_result *r, size_t max, size_t *n)
{
	struct tlv outer, t;
	const uint8_t *p;
	size_t left;

	*n = 0;
	if (!len || b[0] != TAG_RESPONSE || ber_tlv_parse(b, len, &outer) || outer.total != len)
		return -EBADMSG;
	for (p = outer.value, left = outer.len; left; p += t.total, left -= t.total) {
		if (ber_tlv_parse(p, left, &t))
			return -EBADMSG;
		if (t.tag != TAG_RAPDU)
			continue;
		if (t.len < 2)
			return -EBADMSG;
		if (*n == max)
			return -E2BIG;
		r[*n].sw = (uint16_t)(t.value[t.len - 2] << 8 | t.value[t.len - 1]);
		r[*n].data = t.value;
		r[*n].len = t.len - 2;
		(*n)++;
	}
	return 0;
}

int rapdu_response_decode(const uint8_t *b, size_t len, struct rapdu_summary *s)
{
	struct tlv outer, t;
	const uint8_t *p;
	size_t left;
	bool last = false;

	memset(s, 0, sizeof(*s));
	if (len && b[0] == TAG_RESPONSE) {
		if (ber_tlv_parse(b, len, &outer) || outer.total != len)
			return -EBADMSG;
		for (p = outer.value, left = outer.len; left; p += t.total, left -= t.total) {
			if (ber_tlv_parse(p, left, &t))
				return -EBADMSG;
			if (t.tag == TAG_COUNT && t.len == 1) {
				s->commands = t.value[0];
			} else if (t.tag == TAG_RAPDU) {
				if (t.len < 2)
					return -EBADMSG;
				s->last_sw = (uint16_t)(t.value[t.len - 2] << 8 | t.value[t.len - 1]);
				s->last_data = t.len > 2 ? t.value : NULL;
				s->last_len = t.len - 2;
				last = true;
			}
		}
		return last || s->commands == 0 ? 0 : -EBADMSG;
	}
	if (len < 3)
		return len == 1 ? (s->commands = b[0], 0) : -EBADMSG; /* a lone 00: nothing was executed */
	s->commands = b[0];
	s->last_sw = (uint16_t)(b[1] << 8 | b[2]);
	s->last_data = len > 3 ? b + 3 : NULL;
	s->last_len = len - 3;
	return 0;
}
