/* PKCS#15 directory files as OpenSC's isoApplet profile writes them; the layout is in pkcs15.h. */
#include <errno.h>
#include <string.h>

#include <simpki/tlv.h>

#include <simpki/pkcs15.h>

#define TAG_SEQ 0x30
#define TAG_INT 0x02
#define TAG_BITS 0x03
#define TAG_OCTETS 0x04
#define TAG_BOOL 0x01
#define TAG_UTF8 0x0c
#define TAG_CTX0 0xa0
#define TAG_CTX1 0xa1

/* ---- parsing -------------------------------------------------------------------------------------------------- */

static int parse_path(const struct tlv *seq, struct p15_path *p)
{
	struct tlv o;

	if (tlv_find(seq->value, seq->len, TAG_OCTETS, &o) || !o.len || o.len > sizeof(p->b))
		return -EBADMSG;
	memcpy(p->b, o.value, o.len);
	p->len = (uint8_t)o.len;
	return 0;
}

/* A non-negative DER INTEGER of up to 4 bytes; -1 for anything else. */
static int parse_int(const struct tlv *t)
{
	unsigned long v = 0;

	if (t->len < 1 || t->len > 4 || (t->value[0] & 0x80))
		return -1;
	for (size_t i = 0; i < t->len; i++)
		v = v << 8 | t->value[i];
	return v > 0x7fffffffUL ? -1 : (int)v;
}

int p15_parse_odf(const uint8_t *b, size_t len, struct p15_odf *odf)
{
	struct tlv e, seq;

	memset(odf, 0, sizeof(*odf));
	while (len && b[0] != 0x00) {
		struct p15_path *dst = NULL;

		if (ber_tlv_parse(b, len, &e) || ber_tlv_parse(e.value, e.len, &seq) || seq.tag != TAG_SEQ)
			return -EBADMSG;
		switch (e.tag) {
		case 0xa8:
			dst = &odf->aodf;
			break;
		case 0xa0:
			dst = &odf->prkdf;
			break;
		case 0xa1:
			dst = &odf->pukdf;
			break;
		case 0xa4:
			dst = &odf->cdf;
			break;
		}
		if (dst && parse_path(&seq, dst))
			return -EBADMSG;
		b += e.total;
		len -= e.total;
	}
	return 0;
}

/* One PrKDF/PuKDF/CDF entry. */
static int parse_object(const struct tlv *e, struct p15_object *o)
{
	const uint8_t *p = e->value;
	size_t left = e->len;
	struct tlv common, class, t;
	int n = 0;

	memset(o, 0, sizeof(*o));
	o->type = e->tag == TAG_CTX0 ? P15_EC : P15_RSA;
	o->key_ref = -1;
	if (ber_tlv_parse(p, left, &common) || common.tag != TAG_SEQ)
		return -EBADMSG;
	p += common.total;
	left -= common.total;
	if (!tlv_find(common.value, common.len, TAG_UTF8, &t)) {
		size_t l = t.len > P15_LABEL_MAX ? P15_LABEL_MAX : t.len;

		if (l) /* an empty value has no bytes to point at */
			memcpy(o->label, t.value, l);
		o->label[l] = '\0';
	}
	if (ber_tlv_parse(p, left, &class) || class.tag != TAG_SEQ)
		return -EBADMSG;
	p += class.total;
	left -= class.total;
	if (tlv_find(class.value, class.len, TAG_OCTETS, &t) || !t.len || t.len > sizeof(o->id))
		return -EBADMSG;
	memcpy(o->id, t.value, t.len);
	o->id_len = (uint8_t)t.len;
	if (!tlv_find(class.value, class.len, TAG_INT, &t)) {
		o->key_ref = parse_int(&t);
		if (o->key_ref > 0xff)
			o->key_ref = -1; /* not a key reference the card can have */
	}
	/* [0] subclass attributes (skipped), then [1] type attributes: { Path, [length] } */
	while (left) {
		if (ber_tlv_parse(p, left, &t))
			return -EBADMSG;
		if (t.tag == TAG_CTX1) {
			struct tlv attrs, path;

			if (ber_tlv_parse(t.value, t.len, &attrs) || attrs.tag != TAG_SEQ ||
			    ber_tlv_parse(attrs.value, attrs.len, &path) || path.tag != TAG_SEQ ||
			    parse_path(&path, &o->path))
				return -EBADMSG;
			if (path.total < attrs.len) {
				struct tlv bits;

				if (!ber_tlv_parse(attrs.value + path.total, attrs.len - path.total, &bits) &&
				    bits.tag == TAG_INT && (n = parse_int(&bits)) > 0)
					o->bits = n;
			}
		}
		p += t.total;
		left -= t.total;
	}
	return o->path.len ? 0 : -EBADMSG;
}

int p15_parse_df(const uint8_t *b, size_t len, struct p15_object *out, size_t max, size_t *n)
{
	struct tlv e;

	*n = 0;
	while (len && b[0] != 0x00) {
		if (ber_tlv_parse(b, len, &e) || (e.tag != TAG_SEQ && e.tag != TAG_CTX0))
			return -EBADMSG;
		if (*n == max)
			return -E2BIG;
		if (parse_object(&e, &out[*n]))
			return -EBADMSG;
		(*n)++;
		b += e.total;
		len -= e.total;
	}
	return 0;
}

size_t p15_used(const uint8_t *b, size_t len)
{
	size_t used = 0;
	struct tlv e;

	while (used < len && b[used] != 0x00 && !ber_tlv_parse(b + used, len - used, &e))
		used += e.total;
	return used;
}

/* ---- encoding -------------------------------------------------------------------------------------------------- */

/* A little DER writer: each call appends one TLV to w; an overflow is remembered and reported at the end. */
struct der {
	uint8_t *buf;
	size_t max, len;
	bool overflow;
};

static void put(struct der *w, uint32_t tag, const void *v, size_t len)
{
	int h;

	if (w->overflow)
		return;
	h = tlv_put_header(w->buf + w->len, w->max - w->len, tag, len);
	if (h < 0 || w->len + (size_t)h + len > w->max) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len + (size_t)h, v, len);
	w->len += (size_t)h + len;
}

static void put_int(struct der *w, int v)
{
	uint8_t b[4];
	size_t n = 0;

	if (v >= 0x800000)
		b[n++] = (uint8_t)(v >> 24);
	if (v >= 0x8000)
		b[n++] = (uint8_t)(v >> 16);
	if (v >= 0x80)
		b[n++] = (uint8_t)(v >> 8);
	b[n++] = (uint8_t)v;
	if (b[0] & 0x80) { /* keep it positive */
		memmove(b + 1, b, n);
		b[0] = 0;
		n++;
	}
	put(w, TAG_INT, b, n);
}

static int done(const struct der *w)
{
	return w->overflow ? -E2BIG : (int)w->len;
}

#define DER(name, size)           \
	uint8_t name##_buf[size]; \
	struct der name = { .buf = name##_buf, .max = sizeof(name##_buf) }

/* [1] { SEQUENCE { Path { OCTET STRING path } [, INTEGER bits] } } */
static void put_type_attrs(struct der *w, const struct p15_path *path, int bits)
{
	DER(p, 64);
	DER(attrs, 80);

	put(&p, TAG_OCTETS, path->b, path->len);
	put(&attrs, TAG_SEQ, p.buf, p.len);
	if (bits > 0)
		put_int(&attrs, bits);
	DER(seq, 96);
	put(&seq, TAG_SEQ, attrs.buf, attrs.len);
	if (p.overflow || attrs.overflow || seq.overflow)
		w->overflow = true;
	put(w, TAG_CTX1, seq.buf, seq.len);
}

static void put_common(struct der *w, const char *label, uint8_t flags, bool auth)
{
	static const uint8_t auth_id = P15_AUTH_ID;
	uint8_t f[2] = { 0x06, flags }; /* BIT STRING: 6 unused bits, private (0x80) and modifiable (0x40) */
	DER(c, 256);

	put(&c, TAG_UTF8, label, strlen(label));
	put(&c, TAG_BITS, f, sizeof(f));
	if (auth)
		put(&c, TAG_OCTETS, &auth_id, 1);
	if (c.overflow)
		w->overflow = true;
	put(w, TAG_SEQ, c.buf, c.len);
}

int p15_encode_private_key(const struct p15_object *k, uint8_t *out, size_t max)
{
	/* usage: RSA decrypt, sign, signRecover, unwrap; EC sign, signRecover. accessFlags: sensitive,
	 * alwaysSensitive, neverExtract, local. As OpenSC's pkcs15-init writes them. */
	static const uint8_t usage_rsa[] = { 0x02, 0x74 }, usage_ec[] = { 0x04, 0x30 }, access[] = { 0x03, 0xb8 };
	struct der w = { .buf = out, .max = max };
	DER(body, 512);
	DER(class, 64);

	put_common(&body, k->label, 0xc0, true);
	put(&class, TAG_OCTETS, k->id, k->id_len);
	put(&class, TAG_BITS, k->type == P15_RSA ? usage_rsa : usage_ec, 2);
	put(&class, TAG_BITS, access, sizeof(access));
	put_int(&class, k->key_ref < 0 ? 0 : k->key_ref);
	put(&body, TAG_SEQ, class.buf, class.len);
	put_type_attrs(&body, &k->path, k->bits);
	if (class.overflow || body.overflow)
		return -E2BIG;
	put(&w, k->type == P15_RSA ? TAG_SEQ : TAG_CTX0, body.buf, body.len);
	return done(&w);
}

int p15_encode_public_key(const struct p15_object *k, uint8_t *out, size_t max)
{
	/* usage: RSA encrypt, wrap, verify, verifyRecover; EC verify, verifyRecover */
	static const uint8_t usage_rsa[] = { 0x00, 0x8b }, usage_ec[] = { 0x00, 0x03 }, native = 0x00;
	struct der w = { .buf = out, .max = max };
	DER(body, 512);
	DER(class, 64);

	put_common(&body, k->label, 0x40, false);
	put(&class, TAG_OCTETS, k->id, k->id_len);
	put(&class, TAG_BITS, k->type == P15_RSA ? usage_rsa : usage_ec, 2);
	put(&class, TAG_BOOL, &native, 1);
	put_int(&class, 0);
	put(&body, TAG_SEQ, class.buf, class.len);
	put_type_attrs(&body, &k->path, k->type == P15_RSA ? k->bits : 0);
	if (class.overflow || body.overflow)
		return -E2BIG;
	put(&w, k->type == P15_RSA ? TAG_SEQ : TAG_CTX0, body.buf, body.len);
	return done(&w);
}

int p15_encode_certificate(const struct p15_object *c, uint8_t *out, size_t max)
{
	struct der w = { .buf = out, .max = max };
	DER(body, 512);
	DER(class, 64);

	put_common(&body, c->label, 0x40, false);
	put(&class, TAG_OCTETS, c->id, c->id_len);
	put(&body, TAG_SEQ, class.buf, class.len);
	put_type_attrs(&body, &c->path, 0);
	if (class.overflow || body.overflow)
		return -E2BIG;
	put(&w, TAG_SEQ, body.buf, body.len);
	return done(&w);
}

int p15_encode_odf(uint8_t *out, size_t max)
{
	static const struct {
		uint8_t tag;
		uint16_t fid;
	} dfs[] = { { 0xa8, P15_FID_AODF }, { 0xa0, P15_FID_PRKDF }, { 0xa1, P15_FID_PUKDF }, { 0xa4, P15_FID_CDF } };
	struct der w = { .buf = out, .max = max };

	for (size_t i = 0; i < sizeof(dfs) / sizeof(dfs[0]); i++) {
		uint8_t path[6] = { 0x3f,
				    0x00,
				    P15_FID_APP >> 8,
				    P15_FID_APP & 0xff,
				    (uint8_t)(dfs[i].fid >> 8),
				    (uint8_t)dfs[i].fid };
		DER(p, 16);
		DER(seq, 24);

		put(&p, TAG_OCTETS, path, sizeof(path));
		put(&seq, TAG_SEQ, p.buf, p.len);
		put(&w, dfs[i].tag, seq.buf, seq.len);
	}
	return done(&w);
}

int p15_encode_tokeninfo(const uint8_t *serial, size_t serial_len, const char *label, const char *utc_time,
			 uint8_t *out, size_t max)
{
	static const uint8_t flags[] = { 0x04, 0x10 }; /* as OpenSC writes: 4 unused bits, EID compliant */
	struct der w = { .buf = out, .max = max };
	DER(body, 512);
	DER(t, 32);

	put_int(&body, 0);
	put(&body, TAG_OCTETS, serial, serial_len);
	put(&body, TAG_UTF8, "simpki", 6);
	put(&body, 0x80, label, strlen(label));
	put(&body, TAG_BITS, flags, sizeof(flags));
	put(&t, 0x18, utc_time, strlen(utc_time)); /* GeneralizedTime */
	put(&body, 0xa5, t.buf, t.len);
	if (body.overflow || t.overflow)
		return -E2BIG;
	put(&w, TAG_SEQ, body.buf, body.len);
	return done(&w);
}

int p15_encode_dir(const char *label, uint8_t *out, size_t max)
{
	static const uint8_t aid[] = { 0xa0, 0x00, 0x00, 0x00, 0x63, 0x50, 0x4b, 0x43, 0x53, 0x2d, 0x31, 0x35 };
	static const uint8_t path[] = { 0x3f, 0x00, P15_FID_APP >> 8, P15_FID_APP & 0xff };
	struct der w = { .buf = out, .max = max };
	DER(body, 128);

	put(&body, 0x4f, aid, sizeof(aid));
	put(&body, 0x50, label, strlen(label));
	put(&body, 0x51, path, sizeof(path));
	if (body.overflow)
		return -E2BIG;
	put(&w, 0x61, body.buf, body.len);
	return done(&w);
}

int p15_encode_aodf(uint8_t *out, size_t max)
{
	/* "User PIN", private+modifiable, auth ID FF; PinAttributes: flags case-sensitive, initialized,
	 * needs-padding; ascii-numeric; min 4, stored 16, max 16; reference [0] 01; pad char 00. */
	static const uint8_t entry[] = { 0x30, 0x2f, 0x30, 0x0e, 0x0c, 0x08, 'U',  's',	 'e',  'r',  ' ',  'P',	 'I',
					 'N',  0x03, 0x02, 0x06, 0xc0, 0x30, 0x03, 0x04, 0x01, 0xff, 0xa1, 0x18, 0x30,
					 0x16, 0x03, 0x02, 0x02, 0x8c, 0x0a, 0x01, 0x01, 0x02, 0x01, 0x04, 0x02, 0x01,
					 0x10, 0x02, 0x01, 0x10, 0x80, 0x01, 0x01, 0x04, 0x01, 0x00 };

	if (max < sizeof(entry))
		return -E2BIG;
	memcpy(out, entry, sizeof(entry));
	return (int)sizeof(entry);
}

int p15_encode_opensc_info(uint8_t *out, size_t max)
{
	static const uint8_t info[] = { 0x01, 0x06, 'p', 'k', 'c', 's', '1', '5' };

	if (max < sizeof(info))
		return -E2BIG;
	memcpy(out, info, sizeof(info));
	return (int)sizeof(info);
}
