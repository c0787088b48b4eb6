/* Mobile-signature messages and handset text; formats and bounds in include/simpki/sign_msg.h. */
#include <errno.h>
#include <string.h>

#include <simpki/sign_msg.h>
#include <simpki/tlv.h>

#define TAG_REQ 0x70
#define TAG_RESP 0x71

size_t sign_hash_len(enum sign_hash alg)
{
	switch (alg) {
	case SIGN_HASH_SHA256:
		return 32;
	case SIGN_HASH_SHA384:
		return 48;
	case SIGN_HASH_SHA512:
		return 64;
	}
	return 0;
}

const char *sign_result_name(enum sign_result r)
{
	static const char *const names[SIGN_RESULT_N] = {
		[SIGN_OK] = "ok",
		[SIGN_USER_CANCELLED] = "user-cancelled",
		[SIGN_NO_RESPONSE] = "no-response",
		[SIGN_PIN_BLOCKED] = "pin-blocked",
		[SIGN_KEY_UNUSABLE] = "key-unusable",
		[SIGN_BAD_REQUEST] = "bad-request",
		[SIGN_TERMINAL_FAILED] = "terminal-failed",
	};

	return (unsigned)r < SIGN_RESULT_N ? names[r] : "?";
}

/* ---- encoding ----------------------------------------------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t n, max;
	int err;
};

static void put(struct wbuf *w, uint32_t tag, const void *v, size_t len)
{
	int h;

	if (w->err)
		return;
	h = tlv_put_header(w->p + w->n, w->max - w->n, tag, len);
	if (h < 0 || w->n + (size_t)h + len > w->max) {
		w->err = -E2BIG;
		return;
	}
	w->n += (size_t)h;
	memcpy(w->p + w->n, v, len);
	w->n += len;
}

/* Wrap what \a w holds into one object \a tag, in place. */
static int wrap(struct wbuf *w, uint32_t tag)
{
	uint8_t hdr[8];
	int h;

	if (w->err)
		return w->err;
	h = tlv_put_header(hdr, sizeof(hdr), tag, w->n);
	if (h < 0 || w->n + (size_t)h > w->max)
		return -E2BIG;
	memmove(w->p + h, w->p, w->n);
	memcpy(w->p, hdr, (size_t)h);
	return (int)(w->n + (size_t)h);
}

static bool code_ok(const char *code)
{
	for (int i = 0; i < 4; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	return code[4] == 0;
}

/* Whether text \a t of \a len bytes in \a dcs fits one DISPLAY TEXT with the code appended. */
static bool text_ok(uint8_t dcs, size_t len)
{
	if (dcs == SIGN_DCS_GSM)
		return len >= 1 && len + 4 <= SIGN_DISPLAY_MAX;
	if (dcs == SIGN_DCS_UCS2)
		return len >= 2 && !(len & 1) && len + 8 <= SIGN_DISPLAY_MAX;
	return false;
}

int sign_req_encode(const struct sign_req *r, uint8_t *out, size_t max)
{
	struct wbuf w = { .p = out, .max = max };
	uint8_t text[1 + SIGN_TEXT_MAX];
	uint8_t alg = (uint8_t)r->hash_alg;

	if (!r->id_len || r->id_len > SIGN_ID_MAX || !sign_hash_len(r->hash_alg) ||
	    r->hash_len != sign_hash_len(r->hash_alg) || r->key_ref > 15 || !text_ok(r->dcs, r->text_len) ||
	    !code_ok(r->code))
		return -EINVAL;
	text[0] = r->dcs;
	memcpy(text + 1, r->text, r->text_len);
	put(&w, 0x80, r->id, r->id_len);
	put(&w, 0x81, &alg, 1);
	put(&w, 0x82, r->hash, r->hash_len);
	put(&w, 0x83, &r->key_ref, 1);
	put(&w, 0x84, text, 1u + r->text_len);
	put(&w, 0x85, r->code, 4);
	return wrap(&w, TAG_REQ);
}

int sign_resp_encode(const struct sign_resp *r, uint8_t *out, size_t max)
{
	struct wbuf w = { .p = out, .max = max };
	uint8_t res = (uint8_t)r->result, tries = (uint8_t)r->tries_left;

	if (r->id_len > SIGN_ID_MAX || (unsigned)r->result >= SIGN_RESULT_N || r->tries_left < -1 ||
	    r->tries_left > 255 || r->sig_len > SIGN_SIG_MAX || (r->result == SIGN_OK) != (r->sig_len > 0))
		return -EINVAL;
	put(&w, 0x80, r->id, r->id_len);
	put(&w, 0x81, &res, 1);
	if (r->tries_left >= 0)
		put(&w, 0x82, &tries, 1);
	if (r->sig_len)
		put(&w, 0x83, r->sig, r->sig_len);
	return wrap(&w, TAG_RESP);
}

/* ---- decoding ----------------------------------------------------------------------------------------------- */

/* The children of the one object \a tag that \a in must be. */
static int outer(const uint8_t *in, size_t len, uint32_t tag, const uint8_t **v, size_t *vlen)
{
	struct tlv t;

	if (ber_tlv_parse(in, len, &t) || t.tag != tag || t.total != len || tlv_check(t.value, t.len))
		return -EBADMSG;
	*v = t.value;
	*vlen = t.len;
	return 0;
}

/* The next child; it must have tag \a tag (or, when \a optional, it may be absent: returns 1). */
static int child(const uint8_t **p, size_t *left, uint32_t tag, bool optional, struct tlv *t)
{
	if (!*left || ber_tlv_parse(*p, *left, t) || t->tag != tag)
		return optional ? 1 : -EBADMSG;
	*p += t->total;
	*left -= t->total;
	return 0;
}

/* Only the one encoding the encoder makes is taken (lengths in their shortest form): \returns 0; -EBADMSG */
static int canonical_req(const struct sign_req *r, const uint8_t *in, size_t len)
{
	uint8_t enc[SIGN_REQ_MAX];
	int n = sign_req_encode(r, enc, sizeof(enc));

	return n >= 0 && (size_t)n == len && !memcmp(enc, in, len) ? 0 : -EBADMSG;
}

static int canonical_resp(const struct sign_resp *r, const uint8_t *in, size_t len)
{
	uint8_t enc[SIGN_RESP_MAX];
	int n = sign_resp_encode(r, enc, sizeof(enc));

	return n >= 0 && (size_t)n == len && !memcmp(enc, in, len) ? 0 : -EBADMSG;
}

int sign_req_decode(const uint8_t *in, size_t len, struct sign_req *r)
{
	const uint8_t *p;
	size_t left;
	struct tlv t;

	memset(r, 0, sizeof(*r));
	if (outer(in, len, TAG_REQ, &p, &left))
		return -EBADMSG;
	if (child(&p, &left, 0x80, false, &t) || !t.len || t.len > SIGN_ID_MAX)
		return -EBADMSG;
	memcpy(r->id, t.value, t.len);
	r->id_len = (uint8_t)t.len;
	if (child(&p, &left, 0x81, false, &t) || t.len != 1 || !sign_hash_len((enum sign_hash)t.value[0]))
		return -EBADMSG;
	r->hash_alg = (enum sign_hash)t.value[0];
	if (child(&p, &left, 0x82, false, &t) || t.len != sign_hash_len(r->hash_alg))
		return -EBADMSG;
	memcpy(r->hash, t.value, t.len);
	r->hash_len = (uint8_t)t.len;
	if (child(&p, &left, 0x83, false, &t) || t.len != 1 || t.value[0] > 15)
		return -EBADMSG;
	r->key_ref = t.value[0];
	if (child(&p, &left, 0x84, false, &t) || t.len < 2 || !text_ok(t.value[0], t.len - 1))
		return -EBADMSG;
	r->dcs = t.value[0];
	memcpy(r->text, t.value + 1, t.len - 1);
	r->text_len = (uint8_t)(t.len - 1);
	if (child(&p, &left, 0x85, false, &t) || t.len != 4)
		return -EBADMSG;
	memcpy(r->code, t.value, 4);
	r->code[4] = 0;
	if (!code_ok(r->code) || left)
		return -EBADMSG;
	return canonical_req(r, in, len);
}

int sign_resp_decode(const uint8_t *in, size_t len, struct sign_resp *r)
{
	const uint8_t *p;
	size_t left;
	struct tlv t;
	int rc;

	memset(r, 0, sizeof(*r));
	r->tries_left = -1;
	if (outer(in, len, TAG_RESP, &p, &left))
		return -EBADMSG;
	if (child(&p, &left, 0x80, false, &t) || t.len > SIGN_ID_MAX)
		return -EBADMSG;
	if (t.len) /* an empty id: a request that could not be read (and an empty value may have no pointer) */
		memcpy(r->id, t.value, t.len);
	r->id_len = (uint8_t)t.len;
	if (child(&p, &left, 0x81, false, &t) || t.len != 1 || t.value[0] >= SIGN_RESULT_N)
		return -EBADMSG;
	r->result = (enum sign_result)t.value[0];
	rc = child(&p, &left, 0x82, true, &t);
	if (rc < 0 || (!rc && t.len != 1))
		return -EBADMSG;
	if (!rc)
		r->tries_left = t.value[0];
	rc = child(&p, &left, 0x83, true, &t);
	if (rc < 0 || (!rc && (!t.len || t.len > SIGN_SIG_MAX)))
		return -EBADMSG;
	if (!rc) {
		memcpy(r->sig, t.value, t.len);
		r->sig_len = (uint16_t)t.len;
	}
	if (left || (r->result == SIGN_OK) != (r->sig_len > 0))
		return -EBADMSG;
	return canonical_resp(r, in, len);
}

void sign_verification_code(const uint8_t *hash, size_t len, char out[5])
{
	unsigned vc = len ? ((unsigned)(hash[0] >> 2) << 7) | (hash[len - 1] & 0x7f) : 0;

	for (int i = 3; i >= 0; i--) {
		out[i] = (char)('0' + vc % 10);
		vc /= 10;
	}
	out[4] = 0;
}

/* ---- text --------------------------------------------------------------------------------------------------- */

/* The GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1) as Unicode code points; 0x1B is the escape. */
static const uint16_t gsm_basic[128] = {
	0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, 0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8,
	0x000d, 0x00c5, 0x00e5, 0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8, 0x03a3, 0x0398,
	0x039e, 0x001b, 0x00c6, 0x00e6, 0x00df, 0x00c9, 0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026,
	0x0027, 0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f, 0x0030, 0x0031, 0x0032, 0x0033,
	0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f, 0x00a1,
	0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, 0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d,
	0x004e, 0x004f, 0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005a,
	0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7, 0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074,
	0x0075, 0x0076, 0x0077, 0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};

/* The extension table (after 1B): code, character. */
static const struct {
	uint8_t code;
	uint16_t cp;
} gsm_ext[] = {
	{ 0x0a, 0x000c }, { 0x14, 0x005e }, { 0x28, 0x007b }, { 0x29, 0x007d }, { 0x2f, 0x005c },
	{ 0x3c, 0x005b }, { 0x3d, 0x007e }, { 0x3e, 0x005d }, { 0x40, 0x007c }, { 0x65, 0x20ac },
};

/* The next code point of UTF-8 \a s; advances *i. \returns it; -EILSEQ */
static long utf8_next(const char *s, size_t len, size_t *i)
{
	const uint8_t *p = (const uint8_t *)s + *i;
	size_t left = len - *i, n;
	long cp, min;

	if (p[0] < 0x80) {
		(*i)++;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, cp = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, cp = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return -EILSEQ;
	if (left < n)
		return -EILSEQ;
	for (size_t k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return -EILSEQ;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -EILSEQ;
	*i += n;
	return cp;
}

int sign_text_gsm(const char *s, size_t len, uint8_t *out, size_t max)
{
	size_t i = 0, n = 0;

	while (i < len) {
		long cp = utf8_next(s, len, &i);
		int code = -1, ext = -1;

		if (cp < 0)
			return -EILSEQ;
		for (int k = 0; k < 128 && code < 0; k++)
			if (gsm_basic[k] == cp && k != 0x1b)
				code = k;
		for (size_t k = 0; k < sizeof(gsm_ext) / sizeof(gsm_ext[0]) && code < 0 && ext < 0; k++)
			if (gsm_ext[k].cp == cp)
				ext = gsm_ext[k].code;
		if (code < 0 && ext < 0)
			return -EILSEQ;
		if (n + (ext >= 0 ? 2 : 1) > max)
			return -E2BIG;
		if (ext >= 0) {
			out[n++] = 0x1b;
			out[n++] = (uint8_t)ext;
		} else {
			out[n++] = (uint8_t)code;
		}
	}
	return (int)n;
}

int sign_text_ucs2(const char *s, size_t len, uint8_t *out, size_t max)
{
	size_t i = 0, n = 0;

	while (i < len) {
		long cp = utf8_next(s, len, &i);

		if (cp < 0 || cp > 0xffff)
			return -EILSEQ;
		if (n + 2 > max)
			return -E2BIG;
		out[n++] = (uint8_t)(cp >> 8);
		out[n++] = (uint8_t)cp;
	}
	return (int)n;
}

/* Append code point \a cp as UTF-8. \returns 0; -E2BIG (room is kept for the NUL) */
static int put_utf8(char *out, size_t max, size_t *n, unsigned cp)
{
	uint8_t b[3];
	size_t k;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | (cp >> 6));
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 2;
	} else {
		b[0] = (uint8_t)(0xe0 | (cp >> 12));
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 3;
	}
	if (*n + k + 1 > max)
		return -E2BIG;
	memcpy(out + *n, b, k);
	*n += k;
	return 0;
}

int sign_text_utf8(uint8_t dcs, const uint8_t *in, size_t len, char *out, size_t max)
{
	size_t n = 0;
	int rc = 0;

	if (!max)
		return -E2BIG;
	out[0] = 0;
	if (dcs == SIGN_DCS_UCS2) {
		if (len & 1)
			return -EILSEQ;
		for (size_t i = 0; i < len && !rc; i += 2) {
			unsigned cp = (unsigned)in[i] << 8 | in[i + 1];

			if (cp >= 0xd800 && cp <= 0xdfff)
				return -EILSEQ;
			rc = put_utf8(out, max, &n, cp);
		}
	} else if (dcs == SIGN_DCS_GSM) {
		for (size_t i = 0; i < len && !rc; i++) {
			unsigned cp = gsm_basic[in[i] & 0x7f];

			if ((in[i] & 0x7f) == 0x1b) {
				cp = 0x20; /* an escape at the end, or before a code without extension: a space */
				if (i + 1 < len) {
					uint8_t c = in[++i] & 0x7f;

					cp = gsm_basic[c];
					for (size_t k = 0; k < sizeof(gsm_ext) / sizeof(gsm_ext[0]); k++)
						if (gsm_ext[k].code == c)
							cp = gsm_ext[k].cp;
				}
			}
			rc = put_utf8(out, max, &n, cp);
		}
	} else {
		return -EILSEQ;
	}
	if (rc)
		return rc;
	out[n] = 0;
	return (int)n;
}
