/* The PKI applet's BUILD CERTIFICATE REQUEST (simpki, INS 4C): the card builds a PKCS#10 request for one of its
 * keys around a subject the host sends, signs it and returns the whole CertificationRequest.
 *
 * The only bytes signed are the CertificationRequestInfo built here,
 *   SEQUENCE { INTEGER 0, subject, SubjectPublicKeyInfo of the key, [0] {} }
 * with the subject checked to be one DER Name. Those are four elements, INTEGER 0 first and A0 00 last, so they
 * can never be read as a TBSCertificate (at least six elements), a TBSCertList or anything else the key signs.
 *
 * The card issuer's authority over the air (no PIN) holds only while no certificate for the key is stored on the
 * card: an EF whose content starts with a DER Certificate (SEQUENCE { tbsCertificate SEQUENCE { [0] version
 * (optional), serialNumber INTEGER, signature SEQUENCE, issuer SEQUENCE, validity SEQUENCE, subject SEQUENCE,
 * subjectPublicKeyInfo SEQUENCE { algorithm SEQUENCE, BIT STRING } ... } ... }) whose subject public key is the
 * key's: the same EC point (uncompressed, or compressed with the same x and y parity), or the same RSA modulus and
 * exponent, whatever the algorithm identifier says. Every length is checked against its container; nothing is
 * kept between commands, so deleting the file gives the authority back.
 *
 * The request is built in the response buffer the card OS gives every command (at most 1,024 + 600 bytes of the
 * 4,096), as GENERATE builds its public key template there: the applet's RAM budget only pays the OS's working
 * memory of the signature.
 */
#include <errno.h>
#include <string.h>

#include "pki.h"

#define CSR_SUBJECT_MAX 1024

#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CTX0 0xa0 /* [0] constructed: a certificate's version, a request's attributes */
#define DER_ANY (-1)

static const uint8_t ec_alg[] = {
	0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, /* id-ecPublicKey */
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,	  /* prime256v1 */
};
static const uint8_t rsa_alg[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, /* rsaEncryption */
};
static const uint8_t ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t rsa_sha256[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, /* sha256WithRSA */
};
static const uint8_t sha256_digestinfo[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
					     0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };

/* One DER element: a tag of one byte (low tag numbers only), a definite length in its shortest form. */
struct der {
	uint8_t tag;
	const uint8_t *value;
	uint32_t len;
	uint32_t total; /* header + value */
};

/* Parse the element at \a p, which must lie within \a avail bytes and have \a tag (DER_ANY: any). \returns 0;
 * -EINVAL */
static int der_get(const uint8_t *p, uint32_t avail, int tag, struct der *d)
{
	uint32_t h = 2, len;

	if (avail < 2 || (tag != DER_ANY && p[0] != tag) || (p[0] & 0x1f) == 0x1f)
		return -EINVAL;
	len = p[1];
	if (len == 0x81) {
		if (avail < 3 || p[2] < 0x80)
			return -EINVAL;
		len = p[2];
		h = 3;
	} else if (len == 0x82) {
		if (avail < 4 || p[2] == 0)
			return -EINVAL;
		len = (uint32_t)(p[2] << 8 | p[3]);
		h = 4;
	} else if (len >= 0x80) {
		return -EINVAL; /* indefinite, or longer than any file on the card */
	}
	if (len > avail - h)
		return -EINVAL;
	d->tag = p[0];
	d->value = p + h;
	d->len = len;
	d->total = h + len;
	return 0;
}

/* Step over the element at *p (of \a tag) within *left bytes. \returns 0; -EINVAL */
static int der_skip(const uint8_t **p, uint32_t *left, int tag)
{
	struct der d;

	if (der_get(*p, *left, tag, &d))
		return -EINVAL;
	*p += d.total;
	*left -= d.total;
	return 0;
}

/* Whether \a p is one DER Name: SEQUENCE OF non-empty SET OF SEQUENCE { OID, one value } spanning \a len bytes. */
static bool name_ok(const uint8_t *p, uint32_t len)
{
	struct der name, rdn, atv, oid, val;
	const uint8_t *q, *r;
	uint32_t ql, rl;

	if (der_get(p, len, DER_SEQUENCE, &name) || name.total != len)
		return false;
	for (q = name.value, ql = name.len; ql; q += rdn.total, ql -= rdn.total) {
		if (der_get(q, ql, DER_SET, &rdn) || !rdn.len)
			return false;
		for (r = rdn.value, rl = rdn.len; rl; r += atv.total, rl -= atv.total) {
			if (der_get(r, rl, DER_SEQUENCE, &atv) || der_get(atv.value, atv.len, DER_OID, &oid) ||
			    !oid.len || der_get(atv.value + oid.total, atv.len - oid.total, DER_ANY, &val) ||
			    oid.total + val.total != atv.len)
				return false;
		}
	}
	return true;
}

/* Unsigned big-endian integers equal, leading zero bytes aside. */
static bool uint_eq(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	while (alen && !a[0]) {
		a++;
		alen--;
	}
	while (blen && !b[0]) {
		b++;
		blen--;
	}
	return alen == blen && !memcmp(a, b, alen);
}

/* Whether the SubjectPublicKeyInfo's value \a p carries the public key \a pk. */
static bool spki_has_key(const uint8_t *p, uint32_t len, const struct card_pubkey *pk)
{
	struct der bits, rsa, n, e;
	const uint8_t *k;
	uint32_t klen;

	if (der_skip(&p, &len, DER_SEQUENCE) || der_get(p, len, DER_BIT_STRING, &bits) || bits.len < 1 ||
	    bits.value[0] != 0)
		return false;
	k = bits.value + 1;
	klen = bits.len - 1;
	if (pk->type == CARD_KEY_EC_P256) {
		if (klen == sizeof(pk->q) && k[0] == 0x04)
			return !memcmp(k, pk->q, sizeof(pk->q));
		return klen == 33 && (k[0] == 0x02 || k[0] == 0x03) && (k[0] & 1) == (pk->q[64] & 1) &&
		       !memcmp(k + 1, pk->q + 1, 32);
	}
	if (der_get(k, klen, DER_SEQUENCE, &rsa) || der_get(rsa.value, rsa.len, DER_INTEGER, &n) ||
	    der_get(rsa.value + n.total, rsa.len - n.total, DER_INTEGER, &e))
		return false;
	return uint_eq(n.value, n.len, pk->n, sizeof(pk->n)) && uint_eq(e.value, e.len, pk->e, pk->e_len);
}

/* Whether the content of an EF starts with a DER Certificate for \a pk (the walk in the opening comment). */
static bool cert_has_key(const uint8_t *p, uint32_t len, const struct card_pubkey *pk)
{
	static const uint8_t before_spki[] = { DER_INTEGER, DER_SEQUENCE, DER_SEQUENCE, DER_SEQUENCE, DER_SEQUENCE };
	struct der cert, tbs, spki;
	const uint8_t *q;
	uint32_t left;

	if (der_get(p, len, DER_SEQUENCE, &cert) || der_get(cert.value, cert.len, DER_SEQUENCE, &tbs))
		return false;
	q = tbs.value;
	left = tbs.len;
	if (left && q[0] == DER_CTX0 && der_skip(&q, &left, DER_CTX0))
		return false;
	for (unsigned i = 0; i < sizeof(before_spki); i++) {
		if (der_skip(&q, &left, before_spki[i]))
			return false;
	}
	return !der_get(q, left, DER_SEQUENCE, &spki) && spki_has_key(spki.value, spki.len, pk);
}

/* Whether some EF on the card holds a certificate for \a pk. */
static bool cert_stored(struct card_ctx *c, const struct card_pubkey *pk)
{
	for (unsigned i = 0; i < PKI_FILES; i++) {
		uint32_t len;
		const uint8_t *content = pki_fs_ef_content(c, i, &len);

		if (content && cert_has_key(content, len, pk))
			return true;
	}
	return false;
}

/* ---- building ---- */

static uint32_t der_hdr_size(uint32_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
}

static uint32_t der_size(uint32_t len)
{
	return der_hdr_size(len) + len;
}

/* Write a header; \returns its size. */
static uint32_t der_hdr(uint8_t *out, uint8_t tag, uint32_t len)
{
	out[0] = tag;
	if (len < 0x80) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len < 0x100) {
		out[1] = 0x81;
		out[2] = (uint8_t)len;
		return 3;
	}
	out[1] = 0x82;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	return 4;
}

/* An unsigned big-endian integer as a DER INTEGER's value: its length (leading zeros dropped, a 00 added before a
 * high bit), and where its significant bytes start. */
static uint32_t uint_len(const uint8_t *v, uint32_t len, uint32_t *skip)
{
	*skip = 0;
	while (*skip + 1 < len && !v[*skip])
		(*skip)++;
	return len - *skip + (v[*skip] & 0x80 ? 1 : 0);
}

static uint32_t put_uint(uint8_t *out, const uint8_t *v, uint32_t len)
{
	uint32_t skip, n = uint_len(v, len, &skip), h = der_hdr(out, DER_INTEGER, n);

	if (n > len - skip)
		out[h++] = 0x00;
	memcpy(out + h, v + skip, len - skip);
	return h + len - skip;
}

/* Size of the SubjectPublicKeyInfo of \a pk; with \a out, write it there. */
static uint32_t spki(const struct card_pubkey *pk, uint8_t *out)
{
	uint32_t skip, nl, el, rsa, bits, body, n = 0;

	if (pk->type == CARD_KEY_EC_P256) {
		bits = 1 + sizeof(pk->q);
		body = sizeof(ec_alg) + der_size(bits);
		if (out) {
			n = der_hdr(out, DER_SEQUENCE, body);
			memcpy(out + n, ec_alg, sizeof(ec_alg));
			n += sizeof(ec_alg);
			n += der_hdr(out + n, DER_BIT_STRING, bits);
			out[n++] = 0x00;
			memcpy(out + n, pk->q, sizeof(pk->q));
		}
		return der_size(body);
	}
	nl = uint_len(pk->n, sizeof(pk->n), &skip);
	el = uint_len(pk->e, pk->e_len, &skip);
	rsa = der_size(nl) + der_size(el);
	bits = 1 + der_size(rsa);
	body = sizeof(rsa_alg) + der_size(bits);
	if (out) {
		n = der_hdr(out, DER_SEQUENCE, body);
		memcpy(out + n, rsa_alg, sizeof(rsa_alg));
		n += sizeof(rsa_alg);
		n += der_hdr(out + n, DER_BIT_STRING, bits);
		out[n++] = 0x00;
		n += der_hdr(out + n, DER_SEQUENCE, rsa);
		n += put_uint(out + n, pk->n, sizeof(pk->n));
		put_uint(out + n, pk->e, pk->e_len);
	}
	return der_size(body);
}

/* Build the CertificationRequestInfo at \a a->resp + 4 (room for the outer header), sign it with \a key, and
 * finish the CertificationRequest at \a a->resp. \returns a SW */
static int build(struct card_ctx *c, struct card_apdu *a, card_obj_t key, const struct card_pubkey *pk)
{
	bool ec = pk->type == CARD_KEY_EC_P256;
	const uint8_t *alg = ec ? ecdsa_sha256 : rsa_sha256;
	uint32_t alg_len = ec ? sizeof(ecdsa_sha256) : sizeof(rsa_sha256);
	uint32_t cri_body = 3 + a->lc + spki(pk, NULL) + 2, cri = der_size(cri_body);
	uint32_t bits_hdr = ec ? 2 : 4; /* an ECDSA signature is at most 72 bytes, an RSA one 256 */
	uint8_t *p = a->resp + 4, in[sizeof(sha256_digestinfo) + 32];
	uint32_t n, body;
	size_t sig_len;
	int rc;

	if (4 + cri + alg_len + bits_hdr + 1 + CARD_SIG_MAX > a->resp_max)
		return SW_UNKNOWN; /* cannot happen with CSR_SUBJECT_MAX */
	n = der_hdr(p, DER_SEQUENCE, cri_body);
	memcpy(p + n, "\x02\x01\x00", 3);
	n += 3;
	memcpy(p + n, a->data, a->lc);
	n += a->lc;
	n += spki(pk, p + n);
	memcpy(p + n, "\xa0\x00", 2);
	n += 2;

	memcpy(in, sha256_digestinfo, sizeof(sha256_digestinfo));
	if (card_digest(CARD_HASH_SHA256, p, n, in + sizeof(sha256_digestinfo)) != 32)
		return SW_UNKNOWN;
	memcpy(p + n, alg, alg_len);
	n += alg_len;
	sig_len = CARD_SIG_MAX;
	if (ec)
		rc = card_key_sign(c, key, CARD_SIG_ECDSA_HASH, in + sizeof(sha256_digestinfo), 32,
				   p + n + bits_hdr + 1, &sig_len);
	else
		rc = card_key_sign(c, key, CARD_SIG_RSA_PKCS1, in, sizeof(in), p + n + bits_hdr + 1, &sig_len);
	if (rc)
		return pki_sw_from_errno(rc);
	if (der_hdr_size(1 + (uint32_t)sig_len) != bits_hdr)
		return SW_UNKNOWN;
	n += der_hdr(p + n, DER_BIT_STRING, 1 + (uint32_t)sig_len);
	p[n++] = 0x00;
	body = n + (uint32_t)sig_len;

	n = der_hdr_size(body);
	memmove(a->resp + n, p, body);
	der_hdr(a->resp, DER_SEQUENCE, body);
	a->resp_len = n + body;
	return SW_OK;
}

int pki_build_csr(struct card_ctx *c, struct card_apdu *a)
{
	struct pki_ram *r = card_transient(c);
	struct card_pubkey pk;
	card_obj_t key;

	if (!r->pin_validated && !r->issuer)
		return SW_SECURITY_NOT_SATISFIED;
	if (a->p1 || a->p2 >= PKI_KEY_SLOTS)
		return SW_INCORRECT_P1P2;
	if (!a->lc || a->lc > CSR_SUBJECT_MAX)
		return SW_WRONG_LENGTH;
	if (!name_ok(a->data, a->lc))
		return SW_WRONG_DATA;
	key = pki_key_obj(c, a->p2);
	if (card_key_type(c, key) == CARD_KEY_NONE || card_key_public(c, key, &pk))
		return SW_DATA_NOT_FOUND;
	/* the issuer's authority, without the holder's PIN, ends once the key has a certificate on the card */
	if (!r->pin_validated && cert_stored(c, &pk))
		return SW_CONDITIONS_NOT_SATISFIED;
	return build(c, a, key, &pk);
}
