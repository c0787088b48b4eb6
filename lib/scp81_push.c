/* SCP81 push: the administration session triggering parameters (81 { 83 { 84 85 86 89 } }); the layout and the
 * bounds are in include/simpki/scp81.h. Decoding refuses a push outside them whole (-EBADMSG) and leaves *p zeroed.
 * Choices beyond the header:
 *  - 81 holds exactly one 83 (nothing else); 81 00 is "use the stored defaults"; no byte may follow the 81 TLV.
 *  - 84 holds COMPREHENSION-TLVs (TS 102 223 §8: one tag byte, bit 8 = comprehension required; length 00..7F or
 *    81 80..FF). 35 (bearer, first byte 01..FF, further bearer parameters not kept), 39 02 (buffer size 1..65535),
 *    3C 03 02 port (TCP client remote, port 1..65535), 3E 05 21 IPv4; 3C and 3E required. An unknown tag is
 *    skipped unless its comprehension bit is set (then refused).
 *  - 85: n (1..SCP81_PSK_ID_MAX) PSK-ID(n, printable 21..7E) 02 KVN KID [SHA type]: KVN and KID 01..7F.
 *  - 86: counter(2, BE) then Timer Value 25/A5 03 hh mm ss (binary, hh < 24, mm and ss < 60), then report bytes
 *    (ignored).
 *  - 89: 8A host (21..7E), 8B agent id (no control character, no space at either end), 8C URI ("/" then 21..7E);
 *    an empty one is "not given".
 * Encoding writes the minimal length forms, 35 01 bearer and 86 without report bytes, so decode(encode(p)) == p.
 */
#include <errno.h>
#include <string.h>

#include <simpki/scp81.h>
#include <simpki/tlv.h>

#define TAG_PUSH 0x81
#define TAG_PARAMS 0x83
#define TAG_CONN 0x84
#define TAG_SECURITY 0x85
#define TAG_RETRY 0x86
#define TAG_HTTP 0x89
#define TAG_HOST 0x8a
#define TAG_AGENT 0x8b
#define TAG_URI 0x8c

/* COMPREHENSION-TLV tags, without the comprehension-required bit */
#define CT_BEARER 0x35
#define CT_BUFFER 0x39
#define CT_TRANSPORT 0x3c
#define CT_ADDRESS 0x3e
#define CT_TIMER 0x25
#define CT_CR 0x80

#define TRANSPORT_TCP_CLIENT 0x02
#define ADDRESS_IPV4 0x21
#define KEY_ID_LEN 0x02

#define RETRY_WAIT_MAX (23 * 3600 + 59 * 60 + 59)

bool scp81_psk_id_ok(const char *s)
{
	size_t n;

	if (!s)
		return false;
	for (n = 0; s[n]; n++)
		if (n == SCP81_PSK_ID_MAX || s[n] < 0x21 || s[n] > 0x7e)
			return false;
	return n > 0;
}

/* ---- the value checks both directions share ---- */

static bool printable_ok(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] < 0x21 || b[i] > 0x7e)
			return false;
	return true;
}

static bool host_ok(const uint8_t *b, size_t len)
{
	return len <= SCP81_HOST_MAX && printable_ok(b, len);
}

static bool agent_ok(const uint8_t *b, size_t len)
{
	if (len > SCP81_AGENT_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (b[i] < 0x20 || b[i] == 0x7f)
			return false;
	return !len || (b[0] != ' ' && b[len - 1] != ' ');
}

static bool uri_ok(const uint8_t *b, size_t len)
{
	return !len || (len <= SCP81_URI_MAX && b[0] == '/' && printable_ok(b, len));
}

static bool key_ok(uint8_t k)
{
	return k >= 0x01 && k <= 0x7f;
}

/* ---- decoding ---- */

/* The value of \a t, whose length the caller has bounded, as a C string in \a s (zeroed beforehand). */
static void copy_str(char *s, const struct tlv *t)
{
	if (t->len)
		memcpy(s, t->value, t->len);
}

/* One COMPREHENSION-TLV at the start of \a b. \returns 0; -EBADMSG */
static int ctlv_parse(const uint8_t *b, size_t len, struct tlv *t)
{
	size_t pos = 2, vlen;

	if (len < 2 || b[0] == 0x00 || b[0] == 0xff || (b[0] & 0x7f) == 0x7f)
		return -EBADMSG;
	vlen = b[1];
	if (vlen == 0x81) {
		if (len < 3 || b[2] < 0x80)
			return -EBADMSG;
		vlen = b[2];
		pos = 3;
	} else if (vlen > 0x7f) {
		return -EBADMSG;
	}
	if (vlen > len - pos)
		return -EBADMSG;
	t->tag = b[0];
	t->len = vlen;
	t->value = b + pos;
	t->total = pos + vlen;
	return 0;
}

static int decode_conn(const uint8_t *b, size_t len, struct scp81_push *p)
{
	bool seen_bearer = false, seen_buffer = false, seen_transport = false, seen_address = false;
	struct tlv t;

	while (len) {
		if (ctlv_parse(b, len, &t))
			return -EBADMSG;
		switch (t.tag & 0x7f) {
		case CT_BEARER:
			if (seen_bearer || t.len < 1 || t.value[0] == 0)
				return -EBADMSG;
			seen_bearer = true;
			p->bearer = t.value[0];
			break;
		case CT_BUFFER:
			if (seen_buffer || t.len != 2)
				return -EBADMSG;
			seen_buffer = true;
			p->buffer_size = (uint16_t)(t.value[0] << 8 | t.value[1]);
			if (!p->buffer_size)
				return -EBADMSG;
			break;
		case CT_TRANSPORT:
			if (seen_transport || t.len != 3 || t.value[0] != TRANSPORT_TCP_CLIENT)
				return -EBADMSG;
			seen_transport = true;
			p->port = (uint16_t)(t.value[1] << 8 | t.value[2]);
			if (!p->port)
				return -EBADMSG;
			break;
		case CT_ADDRESS:
			if (seen_address || t.len != 5 || t.value[0] != ADDRESS_IPV4)
				return -EBADMSG;
			seen_address = true;
			memcpy(p->ip, t.value + 1, 4);
			break;
		default:
			if (t.tag & CT_CR)
				return -EBADMSG;
			break;
		}
		b += t.total;
		len -= t.total;
	}
	if (!seen_transport || !seen_address)
		return -EBADMSG;
	p->has_conn = true;
	return 0;
}

static int decode_security(const uint8_t *b, size_t len, struct scp81_push *p)
{
	size_t n;

	if (len < 1)
		return -EBADMSG;
	n = b[0];
	if (n < 1 || n > SCP81_PSK_ID_MAX || len < 1 + n + 3 || len > 1 + n + 4)
		return -EBADMSG;
	if (!printable_ok(b + 1, n) || b[1 + n] != KEY_ID_LEN || !key_ok(b[2 + n]) || !key_ok(b[3 + n]))
		return -EBADMSG;
	memcpy(p->psk_id, b + 1, n);
	p->psk_id[n] = '\0';
	p->kvn = b[2 + n];
	p->kid = b[3 + n];
	p->has_security = true;
	return 0;
}

static int decode_retry(const uint8_t *b, size_t len, struct scp81_push *p)
{
	if (len < 7 || (b[2] & 0x7f) != CT_TIMER || b[3] != 3)
		return -EBADMSG;
	if (b[4] > 23 || b[5] > 59 || b[6] > 59)
		return -EBADMSG;
	p->retries = (uint16_t)(b[0] << 8 | b[1]);
	p->retry_wait_s = (uint32_t)b[4] * 3600 + (uint32_t)b[5] * 60 + b[6];
	p->has_retry = true;
	return 0;
}

static int decode_http(const uint8_t *b, size_t len, struct scp81_push *p)
{
	bool seen_host = false, seen_agent = false, seen_uri = false;
	struct tlv t;

	while (len) {
		if (ber_tlv_parse(b, len, &t))
			return -EBADMSG;
		switch (t.tag) {
		case TAG_HOST:
			if (seen_host || !host_ok(t.value, t.len))
				return -EBADMSG;
			seen_host = true;
			copy_str(p->host, &t);
			break;
		case TAG_AGENT:
			if (seen_agent || !agent_ok(t.value, t.len))
				return -EBADMSG;
			seen_agent = true;
			copy_str(p->agent_id, &t);
			break;
		case TAG_URI:
			if (seen_uri || !uri_ok(t.value, t.len))
				return -EBADMSG;
			seen_uri = true;
			copy_str(p->uri, &t);
			break;
		}
		b += t.total;
		len -= t.total;
	}
	p->has_http = true;
	return 0;
}

static int decode_params(const uint8_t *b, size_t len, struct scp81_push *p)
{
	struct tlv t;
	int rc;

	while (len) {
		if (ber_tlv_parse(b, len, &t))
			return -EBADMSG;
		switch (t.tag) {
		case TAG_CONN:
			rc = p->has_conn ? -EBADMSG : decode_conn(t.value, t.len, p);
			break;
		case TAG_SECURITY:
			rc = p->has_security ? -EBADMSG : decode_security(t.value, t.len, p);
			break;
		case TAG_RETRY:
			rc = p->has_retry ? -EBADMSG : decode_retry(t.value, t.len, p);
			break;
		case TAG_HTTP:
			rc = p->has_http ? -EBADMSG : decode_http(t.value, t.len, p);
			break;
		default:
			rc = 0;
			break;
		}
		if (rc)
			return rc;
		b += t.total;
		len -= t.total;
	}
	return 0;
}

int scp81_push_decode(const uint8_t *b, size_t len, struct scp81_push *p)
{
	struct tlv push, params;
	int rc;

	memset(p, 0, sizeof(*p));
	if (ber_tlv_parse(b, len, &push) || push.tag != TAG_PUSH || push.total != len)
		return -EBADMSG;
	if (!push.len) {
		p->use_defaults = true;
		return 0;
	}
	if (ber_tlv_parse(push.value, push.len, &params) || params.tag != TAG_PARAMS || params.total != push.len)
		return -EBADMSG;
	rc = decode_params(params.value, params.len, p);
	if (rc)
		memset(p, 0, sizeof(*p));
	return rc;
}

/* ---- encoding ---- */

struct wbuf {
	uint8_t *b;
	size_t len, max;
};

static int put(struct wbuf *w, const void *d, size_t n)
{
	if (n > w->max - w->len)
		return -E2BIG;
	if (!n)
		return 0;
	memcpy(w->b + w->len, d, n);
	w->len += n;
	return 0;
}

static int put_tlv(struct wbuf *w, uint32_t tag, const void *d, size_t n)
{
	int h = tlv_put_header(w->b + w->len, w->max - w->len, tag, n);

	if (h < 0)
		return h;
	w->len += (size_t)h;
	return put(w, d, n);
}

static int put_str(struct wbuf *w, uint32_t tag, const char *s, size_t max, bool (*ok)(const uint8_t *, size_t))
{
	size_t n = strnlen(s, max + 1);

	if (n > max || !ok((const uint8_t *)s, n))
		return -EINVAL;
	return n ? put_tlv(w, tag, s, n) : 0;
}

static int encode_conn(const struct scp81_push *p, struct wbuf *w)
{
	uint8_t v[32];
	size_t n = 0;

	if (!p->port)
		return -EINVAL;
	if (p->bearer) {
		v[n++] = CT_BEARER;
		v[n++] = 1;
		v[n++] = p->bearer;
	}
	if (p->buffer_size) {
		v[n++] = CT_BUFFER;
		v[n++] = 2;
		v[n++] = (uint8_t)(p->buffer_size >> 8);
		v[n++] = (uint8_t)p->buffer_size;
	}
	v[n++] = CT_TRANSPORT;
	v[n++] = 3;
	v[n++] = TRANSPORT_TCP_CLIENT;
	v[n++] = (uint8_t)(p->port >> 8);
	v[n++] = (uint8_t)p->port;
	v[n++] = CT_ADDRESS;
	v[n++] = 5;
	v[n++] = ADDRESS_IPV4;
	memcpy(v + n, p->ip, 4);
	n += 4;
	return put_tlv(w, TAG_CONN, v, n);
}

static int encode_security(const struct scp81_push *p, struct wbuf *w)
{
	uint8_t v[1 + SCP81_PSK_ID_MAX + 3];
	size_t n;

	if (!scp81_psk_id_ok(p->psk_id) || !key_ok(p->kvn) || !key_ok(p->kid))
		return -EINVAL;
	n = strlen(p->psk_id);
	v[0] = (uint8_t)n;
	memcpy(v + 1, p->psk_id, n);
	v[1 + n] = KEY_ID_LEN;
	v[2 + n] = p->kvn;
	v[3 + n] = p->kid;
	return put_tlv(w, TAG_SECURITY, v, n + 4);
}

static int encode_retry(const struct scp81_push *p, struct wbuf *w)
{
	uint8_t v[7];

	if (p->retry_wait_s > RETRY_WAIT_MAX)
		return -EINVAL;
	v[0] = (uint8_t)(p->retries >> 8);
	v[1] = (uint8_t)p->retries;
	v[2] = CT_TIMER | CT_CR;
	v[3] = 3;
	v[4] = (uint8_t)(p->retry_wait_s / 3600);
	v[5] = (uint8_t)(p->retry_wait_s / 60 % 60);
	v[6] = (uint8_t)(p->retry_wait_s % 60);
	return put_tlv(w, TAG_RETRY, v, sizeof(v));
}

static int encode_http(const struct scp81_push *p, struct wbuf *w)
{
	uint8_t v[3 * 4 + SCP81_HOST_MAX + SCP81_AGENT_MAX + SCP81_URI_MAX];
	struct wbuf in = { .b = v, .max = sizeof(v) };
	int rc;

	rc = put_str(&in, TAG_HOST, p->host, SCP81_HOST_MAX, host_ok);
	if (!rc)
		rc = put_str(&in, TAG_AGENT, p->agent_id, SCP81_AGENT_MAX, agent_ok);
	if (!rc)
		rc = put_str(&in, TAG_URI, p->uri, SCP81_URI_MAX, uri_ok);
	if (!rc)
		rc = put_tlv(w, TAG_HTTP, v, in.len);
	return rc;
}

int scp81_push_encode(const struct scp81_push *p, uint8_t *out, size_t max)
{
	uint8_t v[512], params[520];
	struct wbuf in = { .b = v, .max = sizeof(v) }, mid = { .b = params, .max = sizeof(params) };
	struct wbuf w = { .b = out, .max = max };
	int rc = 0;

	if (p->use_defaults) {
		if (p->has_conn || p->has_security || p->has_retry || p->has_http)
			return -EINVAL;
		rc = put_tlv(&w, TAG_PUSH, NULL, 0);
		return rc ? rc : (int)w.len;
	}
	if (p->has_conn)
		rc = encode_conn(p, &in);
	if (!rc && p->has_security)
		rc = encode_security(p, &in);
	if (!rc && p->has_retry)
		rc = encode_retry(p, &in);
	if (!rc && p->has_http)
		rc = encode_http(p, &in);
	if (!rc)
		rc = put_tlv(&mid, TAG_PARAMS, v, in.len);
	if (!rc)
		rc = put_tlv(&w, TAG_PUSH, params, mid.len);
	return rc ? rc : (int)w.len;
}
