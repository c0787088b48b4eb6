/* Reading CMP DER by hand where OpenSSL 3.0 has no accessor (ca_cmp_der.h). */
#include <errno.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca_cmp_der.h"

/* One TLV in [*p, end): its tag, class, content. \returns 0, advancing *p past it; -EBADMSG */
struct tlv {
	int tag, cls;
	bool constructed;
	const uint8_t *start, *content;
	long len;
};

static int next(const uint8_t **p, const uint8_t *end, struct tlv *t)
{
	const uint8_t *q = *p;
	int r;

	if (q >= end)
		return -EBADMSG;
	t->start = q;
	r = ASN1_get_object(&q, &t->len, &t->tag, &t->cls, end - q);
	if (r & 0x80 || r & 0x01) /* an error, or an indefinite length */
		return -EBADMSG;
	if (t->len > end - q)
		return -EBADMSG;
	t->constructed = r & V_ASN1_CONSTRUCTED;
	t->content = q;
	*p = q + t->len;
	return 0;
}

/* The OID in the TLV t, as dotted text. */
static int oid_text(const struct tlv *t, char *buf, size_t size)
{
	const unsigned char *q = t->start;
	ASN1_OBJECT *o = d2i_ASN1_OBJECT(NULL, &q, t->content + t->len - t->start);
	int n;

	if (!o)
		return -EBADMSG;
	n = OBJ_obj2txt(buf, (int)size, o, 1);
	ASN1_OBJECT_free(o);
	return n > 0 && (size_t)n < size ? 0 : -EBADMSG;
}

static void scan_profile(const struct tlv *value, struct ca_cmp_scan *s)
{
	const uint8_t *p = value->content, *end = value->content + value->len;
	struct tlv t;

	s->profile_bad = true;
	if (value->tag == V_ASN1_SEQUENCE && value->cls == V_ASN1_UNIVERSAL) {
		if (next(&p, end, &t))
			return;
	} else {
		t = *value;
	}
	if (t.tag != V_ASN1_UTF8STRING || t.cls != V_ASN1_UNIVERSAL || t.len < 1 || t.len > CA_PROFILE_NAME_MAX)
		return;
	memcpy(s->profile, t.content, (size_t)t.len);
	s->profile[t.len] = 0;
	s->profile_bad = false;
}

/* generalInfo: SEQUENCE OF InfoTypeAndValue { infoType OID, infoValue ANY OPTIONAL } */
static int scan_geninfo(const struct tlv *gi, struct ca_cmp_scan *s)
{
	const uint8_t *p = gi->content, *end = gi->content + gi->len, *q, *qend;
	struct tlv seq, itav, oid, value;
	char text[64];

	if (next(&p, end, &seq) || seq.tag != V_ASN1_SEQUENCE)
		return -EBADMSG;
	p = seq.content;
	end = seq.content + seq.len;
	while (p < end) {
		if (next(&p, end, &itav) || itav.tag != V_ASN1_SEQUENCE)
			return -EBADMSG;
		q = itav.content;
		qend = itav.content + itav.len;
		if (next(&q, qend, &oid) || oid.tag != V_ASN1_OBJECT || oid_text(&oid, text, sizeof(text)))
			return -EBADMSG;
		if (!strcmp(text, CA_OID_UTF8PAIRS)) {
			if (next(&q, qend, &value) || value.tag != V_ASN1_UTF8STRING || value.cls != V_ASN1_UNIVERSAL ||
			    value.len > CA_UTF8PAIRS_MAX || memchr(value.content, 0, (size_t)value.len))
				return -EBADMSG;
			memcpy(s->utf8pairs, value.content, (size_t)value.len);
			s->utf8pairs[value.len] = 0;
			continue;
		}
		if (strcmp(text, CA_OID_CERT_PROFILE))
			continue;
		if (next(&q, qend, &value)) {
			s->profile_bad = true;
			continue;
		}
		scan_profile(&value, s);
	}
	return 0;
}

/* body rr [11]: RevReqContent ::= SEQUENCE OF RevDetails { certDetails CertTemplate, crlEntryDetails Extensions
 * OPTIONAL } */
static void scan_rr(const struct tlv *body, struct ca_cmp_scan *s)
{
	const uint8_t *p = body->content, *end = body->content + body->len, *q;
	struct tlv seq, rd, tmpl, exts;
	STACK_OF(X509_EXTENSION) * sk;
	ASN1_ENUMERATED *e;
	int crit = -1;

	s->rr_reason = -2;
	if (next(&p, end, &seq) || seq.tag != V_ASN1_SEQUENCE)
		return;
	p = seq.content;
	if (next(&p, seq.content + seq.len, &rd) || rd.tag != V_ASN1_SEQUENCE)
		return;
	p = rd.content;
	end = rd.content + rd.len;
	if (next(&p, end, &tmpl))
		return;
	s->rr_reason = -1;
	if (p == end)
		return;
	s->rr_reason = -2;
	if (next(&p, end, &exts) || exts.tag != V_ASN1_SEQUENCE)
		return;
	q = exts.start;
	sk = d2i_X509_EXTENSIONS(NULL, &q, exts.content + exts.len - exts.start);
	if (!sk)
		return;
	e = X509V3_get_d2i(sk, NID_crl_reason, &crit, NULL);
	if (e) {
		long r = ASN1_ENUMERATED_get(e);

		s->rr_reason = r >= 0 && r <= 10 ? (int)r : -2;
		ASN1_ENUMERATED_free(e);
	} else {
		s->rr_reason = crit == -1 ? -1 : -2; /* absent; or there but not decodable */
	}
	sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
}

int ca_cmp_scan(const uint8_t *der, size_t len, struct ca_cmp_scan *s)
{
	const uint8_t *p = der, *end = der + len, *h, *hend;
	struct tlv msg, hdr, f, body;
	int idx = 0;

	memset(s, 0, sizeof(*s));
	s->rr_reason = -1;
	if (next(&p, end, &msg) || msg.tag != V_ASN1_SEQUENCE)
		return -EBADMSG;
	p = msg.content;
	end = msg.content + msg.len;
	if (next(&p, end, &hdr) || hdr.tag != V_ASN1_SEQUENCE)
		return -EBADMSG;
	h = hdr.content;
	hend = hdr.content + hdr.len;
	while (h < hend) {
		if (next(&h, hend, &f))
			goto bad;
		idx++;
		if (idx == 3 && f.cls == V_ASN1_CONTEXT_SPECIFIC && f.tag == 4) { /* recipient: directoryName */
			const unsigned char *q = f.content;

			s->recipient = d2i_X509_NAME(NULL, &q, f.len);
		} else if (idx > 3 && f.cls == V_ASN1_CONTEXT_SPECIFIC && f.tag == 1) { /* protectionAlg */
			const uint8_t *q = f.content;
			struct tlv alg, oid;
			char text[64];
			int nid, dig, pk;

			s->protected_ = true;
			if (next(&q, f.content + f.len, &alg) || alg.tag != V_ASN1_SEQUENCE)
				goto bad;
			q = alg.content;
			if (next(&q, alg.content + alg.len, &oid) || oid.tag != V_ASN1_OBJECT ||
			    oid_text(&oid, text, sizeof(text)))
				goto bad;
			nid = OBJ_txt2nid(text);
			s->signature = nid != NID_undef && OBJ_find_sigid_algs(nid, &dig, &pk);
		} else if (idx > 3 && f.cls == V_ASN1_CONTEXT_SPECIFIC && f.tag == 8) { /* generalInfo */
			if (scan_geninfo(&f, s))
				goto bad;
		}
	}
	if (idx < 3)
		goto bad;
	if (!next(&p, end, &body) && body.cls == V_ASN1_CONTEXT_SPECIFIC && body.tag == 11)
		scan_rr(&body, s);
	ERR_clear_error();
	return 0;
bad:
	ca_cmp_scan_free(s);
	ERR_clear_error();
	return -EBADMSG;
}

void ca_cmp_scan_free(struct ca_cmp_scan *s)
{
	X509_NAME_free(s->recipient);
	s->recipient = NULL;
}

EVP_PKEY *ca_crmf_pubkey(const OSSL_CRMF_CERTTEMPLATE *tmpl)
{
	unsigned char *der = NULL, *spki = NULL, *w;
	const unsigned char *q;
	const uint8_t *p, *end;
	EVP_PKEY *key = NULL;
	struct tlv seq, f;
	int n = i2d_OSSL_CRMF_CERTTEMPLATE(tmpl, &der);

	if (n <= 0)
		return NULL;
	p = der;
	end = der + n;
	if (next(&p, end, &seq))
		goto out;
	p = seq.content;
	end = seq.content + seq.len;
	while (p < end) {
		if (next(&p, end, &f))
			goto out;
		if (f.cls != V_ASN1_CONTEXT_SPECIFIC || f.tag != 6 || !f.constructed)
			continue;
		/* IMPLICIT [6]: the same content under a SEQUENCE tag */
		spki = OPENSSL_malloc((size_t)f.len + 8);
		if (!spki)
			goto out;
		w = spki;
		ASN1_put_object(&w, 1, f.len, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
		memcpy(w, f.content, (size_t)f.len);
		q = spki;
		key = d2i_PUBKEY(NULL, &q, (long)(w - spki) + f.len);
		break;
	}
out:
	OPENSSL_free(spki);
	OPENSSL_free(der);
	ERR_clear_error();
	return key;
}

int ca_crmf_utf8pairs(const OSSL_CRMF_MSG *crm, char *buf, size_t size)
{
	unsigned char *der = NULL;
	const uint8_t *p, *end, *q, *qend;
	struct tlv msg, f, atv, oid, value;
	char text[64];
	int n = i2d_OSSL_CRMF_MSG((OSSL_CRMF_MSG *)crm, &der), rc = 0;

	buf[0] = 0;
	if (n <= 0)
		return -EBADMSG;
	p = der;
	end = der + n;
	if (next(&p, end, &msg) || msg.tag != V_ASN1_SEQUENCE) {
		rc = -EBADMSG;
		goto out;
	}
	/* CertReqMsg ::= SEQUENCE { certReq CertRequest, popo [0..3] OPTIONAL, regInfo SEQUENCE OF ... OPTIONAL } */
	p = msg.content;
	end = msg.content + msg.len;
	if (next(&p, end, &f)) {
		rc = -EBADMSG;
		goto out;
	}
	while (p < end) {
		if (next(&p, end, &f)) {
			rc = -EBADMSG;
			goto out;
		}
		if (f.cls != V_ASN1_UNIVERSAL || f.tag != V_ASN1_SEQUENCE)
			continue;
		q = f.content;
		qend = f.content + f.len;
		while (q < qend) {
			const uint8_t *r;

			if (next(&q, qend, &atv) || atv.tag != V_ASN1_SEQUENCE) {
				rc = -EBADMSG;
				goto out;
			}
			r = atv.content;
			if (next(&r, atv.content + atv.len, &oid) || oid.tag != V_ASN1_OBJECT ||
			    oid_text(&oid, text, sizeof(text))) {
				rc = -EBADMSG;
				goto out;
			}
			if (strcmp(text, CA_OID_UTF8PAIRS))
				continue;
			if (next(&r, atv.content + atv.len, &value) || value.tag != V_ASN1_UTF8STRING ||
			    value.cls != V_ASN1_UNIVERSAL || value.len > CA_UTF8PAIRS_MAX ||
			    (size_t)value.len >= size || memchr(value.content, 0, (size_t)value.len)) {
				rc = -EBADMSG;
				goto out;
			}
			memcpy(buf, value.content, (size_t)value.len);
			buf[value.len] = 0;
			rc = (int)value.len;
			goto out;
		}
	}
out:
	OPENSSL_free(der);
	ERR_clear_error();
	return rc;
}
