/* OCSP responder (RFC 6960, RFC 5019 profile) on OpenSSL 3.0's OCSP API, and its response cache.
 *
 * ca_ocsp_answer, in order: bounds on the DER (1..CA_OCSP_REQ_MAX bytes, nothing after the request), the parse, the
 * count of single requests (1..CA_OCSP_MAX_IDS), the nonce (at most one; its extnValue an OCTET STRING of
 * 1..CA_OCSP_NONCE_MAX bytes, RFC 8954); any failure so far is malformedRequest. Then, per CertID: a hash algorithm
 * other than SHA-1 or SHA-256, or an issuer name hash / key hash that are not s->ca's, is "unknown" without a lookup;
 * so is a serial longer than CA_SERIAL_MAX; otherwise the lookup decides. A lookup that fails makes the whole
 * answer internalError (never a partial "good"); so does a signature that fails (an HSM gone).
 *
 * The cache holds whole DER responses to single, nonce-less requests for certificates we issued (good or revoked,
 * never unknown: a serial unknown now may be issued a minute later), keyed by the CertID's DER as the request had it
 * (so the hash algorithm, with or without NULL parameters, and the issuer are part of the key), with the state they
 * say. The lookup still runs for every request, and an entry serves only while the records give the same state
 * and thisUpdate <= now < nextUpdate - refresh_s: what the cache saves is the signature, and a revocation the
 * daemon forgot to tell the cache about (another process writing the records) is still answered right. A full
 * cache drops its oldest entry. Lookup is a linear scan:
 * the cache is for the hot set (hundreds to a few thousand certificates), not the whole CA. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "ca_status.h"
#include "status_int.h"

#define CERTID_DER_MAX 160 /* SHA-256 hashes and a 20-byte serial take 107 bytes */
#define B64_MAX (4 * ((CA_OCSP_REQ_MAX + 2) / 3))
#define DEFAULT_VALIDITY_S 3600
#define DEFAULT_REFRESH_S 600

struct cache_entry {
	uint8_t id[CERTID_DER_MAX]; /* the CertID's DER, the key */
	size_t id_len;		    /* 0: a free slot */
	uint8_t serial[CA_SERIAL_MAX];
	size_t serial_len;
	struct ca_cert_state st; /* what the response says */
	int64_t this_update;
	int64_t next_update;
	uint64_t age; /* insertion order: the smallest is the oldest */
	uint8_t *der; /* the OCSPResponse (OPENSSL_malloc) */
	size_t len;
};

struct ca_ocsp_cache {
	unsigned max;	/* entries[] has max slots */
	uint64_t ticks; /* the next entry's age */
	struct cache_entry *entries;
};

struct ca_ocsp_cache *ca_ocsp_cache_new(unsigned max_entries)
{
	struct ca_ocsp_cache *c;

	if (!max_entries)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->entries = calloc(max_entries, sizeof(*c->entries));
	if (!c->entries) {
		free(c);
		return NULL;
	}
	c->max = max_entries;
	return c;
}

static void entry_clear(struct cache_entry *e)
{
	OPENSSL_free(e->der);
	memset(e, 0, sizeof(*e));
}

void ca_ocsp_cache_free(struct ca_ocsp_cache *c)
{
	if (!c)
		return;
	ca_ocsp_cache_forget(c, NULL, 0);
	free(c->entries);
	free(c);
}

void ca_ocsp_cache_forget(struct ca_ocsp_cache *c, const uint8_t *s, size_t len)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->max; i++) {
		struct cache_entry *e = &c->entries[i];

		if (e->id_len && (!s || (e->serial_len == len && !memcmp(e->serial, s, len))))
			entry_clear(e);
	}
}

static struct cache_entry *cache_find(struct ca_ocsp_cache *c, const uint8_t *id, size_t id_len)
{
	for (unsigned i = 0; i < c->max; i++)
		if (c->entries[i].id_len == id_len && !memcmp(c->entries[i].id, id, id_len))
			return &c->entries[i];
	return NULL;
}

/* The cache's key for cid: its DER, into id. \returns its length, 0 when it does not fit. */
static size_t cache_key(OCSP_CERTID *cid, uint8_t id[CERTID_DER_MAX])
{
	int n = i2d_OCSP_CERTID(cid, NULL);

	if (n <= 0 || n > CERTID_DER_MAX || i2d_OCSP_CERTID(cid, &id) != n)
		return 0;
	return (size_t)n;
}

static bool same_state(const struct ca_cert_state *a, const struct ca_cert_state *b)
{
	return a->status == b->status &&
	       (a->status != CA_CERT_REVOKED || (a->revoked_at == b->revoked_at && a->reason == b->reason));
}

/* A cached answer for this CertID saying state st, with thisUpdate <= now < nextUpdate - refresh: a copy in *der.
 * \returns 1 (a hit), 0 (none), -ENOMEM. */
static int cache_get(struct ca_ocsp_cache *c, const uint8_t *id, size_t id_len, const struct ca_cert_state *st,
		     int64_t now, uint32_t refresh, uint8_t **der, size_t *len)
{
	struct cache_entry *e = cache_find(c, id, id_len);

	if (!e || !same_state(&e->st, st) || now < e->this_update || now >= e->next_update - (int64_t)refresh)
		return 0;
	*der = OPENSSL_memdup(e->der, e->len);
	if (!*der)
		return -ENOMEM;
	*len = e->len;
	return 1;
}

/* Keep a copy of der for this CertID, in its old slot, a free one or the oldest's. */
static void cache_put(struct ca_ocsp_cache *c, const uint8_t *id, size_t id_len, const uint8_t *serial,
		      size_t serial_len, const struct ca_cert_state *st, int64_t this_update, int64_t next_update,
		      const uint8_t *der, size_t len)
{
	struct cache_entry *e = cache_find(c, id, id_len);
	uint8_t *copy = OPENSSL_memdup(der, len);

	if (!copy)
		return; /* a cache that misses is still correct */
	for (unsigned i = 0; !e && i < c->max; i++)
		if (!c->entries[i].id_len)
			e = &c->entries[i];
	if (!e) {
		e = &c->entries[0];
		for (unsigned i = 1; i < c->max; i++)
			if (c->entries[i].age < e->age)
				e = &c->entries[i];
	}
	entry_clear(e);
	memcpy(e->id, id, id_len);
	e->id_len = id_len;
	memcpy(e->serial, serial, serial_len);
	e->serial_len = serial_len;
	e->st = *st;
	e->this_update = this_update;
	e->next_update = next_update;
	e->age = c->ticks++;
	e->der = copy;
	e->len = len;
}

/* ---- GET: percent-decoding, then strict base64 (RFC 4648 §4: padded, canonical) ---- */

static int hex_val(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int b64_val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Percent-decode path into b64[B64_MAX]. \returns its length, or -EINVAL (a bad escape, too long). */
static int percent_decode(const char *path, char b64[B64_MAX])
{
	size_t n = 0;

	for (const char *p = path; *p; p++) {
		int hi, lo;

		if (n == B64_MAX)
			return -EINVAL;
		if (*p != '%') {
			b64[n++] = *p;
			continue;
		}
		hi = hex_val(p[1]);
		lo = hi < 0 ? -1 : hex_val(p[2]);
		if (lo < 0)
			return -EINVAL;
		b64[n++] = (char)(hi << 4 | lo);
		p += 2;
	}
	return (int)n;
}

int ca_ocsp_get_decode(const char *path, uint8_t **der, size_t *len)
{
	char b64[B64_MAX];
	uint8_t *out;
	size_t out_len, pad = 0, o = 0;
	int n;

	if (!path || !der || !len)
		return -EINVAL;
	n = percent_decode(path, b64);
	if (n <= 0 || n % 4)
		return -EINVAL;
	if (b64[n - 1] == '=')
		pad = b64[n - 2] == '=' ? 2 : 1;
	out_len = (size_t)n / 4 * 3 - pad;
	if (!out_len || out_len > CA_OCSP_REQ_MAX)
		return -EINVAL;
	out = OPENSSL_malloc(out_len);
	if (!out)
		return -ENOMEM;
	for (int i = 0; i < n; i += 4) {
		int v[4];
		uint32_t w = 0;

		for (int j = 0; j < 4; j++) {
			/* '=' only as the last one or two characters */
			v[j] = i + j >= n - (int)pad ? 0 : b64_val(b64[i + j]);
			if (v[j] < 0)
				goto bad;
			w = w << 6 | (uint32_t)v[j];
		}
		/* canonical: the bits the padding leaves over are zero */
		if (i + 4 == n && ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff))))
			goto bad;
		for (int j = 0; j < 3 && o < out_len; j++)
			out[o++] = (uint8_t)(w >> (16 - 8 * j));
	}
	*der = out;
	*len = out_len;
	return 0;
bad:
	OPENSSL_free(out);
	return -EINVAL;
}

/* ---- the answer ---- */

/* Serialise an OCSPResponse into *der. \returns 0, -ENOMEM. */
static int response_der(OCSP_RESPONSE *resp, uint8_t **der, size_t *len)
{
	uint8_t *out = NULL;
	int n = resp ? i2d_OCSP_RESPONSE(resp, &out) : -1;

	if (n <= 0)
		return -ENOMEM;
	*der = out;
	*len = (size_t)n;
	return 0;
}

/* An error OCSPResponse (no responseBytes). \returns 0, -ENOMEM. */
static int error_response(int status, uint8_t **der, size_t *len)
{
	OCSP_RESPONSE *resp = OCSP_response_create(status, NULL);
	int rc = response_der(resp, der, len);

	OCSP_RESPONSE_free(resp);
	return rc;
}

/* The request's nonce is absent, or one extension whose extnValue is an OCTET STRING of 1..CA_OCSP_NONCE_MAX
 * bytes. \returns 0 (none), 1 (one, well-formed), -EINVAL. */
static int check_nonce(OCSP_REQUEST *r)
{
	int i = OCSP_REQUEST_get_ext_by_NID(r, NID_id_pkix_OCSP_Nonce, -1);
	const ASN1_OCTET_STRING *v;
	ASN1_OCTET_STRING *inner;
	const uint8_t *p;
	int n;

	if (i < 0)
		return 0;
	if (OCSP_REQUEST_get_ext_by_NID(r, NID_id_pkix_OCSP_Nonce, i) >= 0)
		return -EINVAL;
	v = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(r, i));
	p = ASN1_STRING_get0_data(v);
	inner = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(v));
	n = inner && p == ASN1_STRING_get0_data(v) + ASN1_STRING_length(v) ? ASN1_STRING_length(inner) : -1;
	ASN1_OCTET_STRING_free(inner);
	return n >= 1 && n <= CA_OCSP_NONCE_MAX ? 1 : -EINVAL;
}

/* The CA's own CertIDs (its name and key hashed) for SHA-1 and SHA-256, made when first needed. */
struct issuer_ids {
	OCSP_CERTID *sha1, *sha256;
};

/* Is cid about a certificate issued by s->ca (same hash algorithm, name hash and key hash)? */
static bool ours(const struct ca_status_signer *s, struct issuer_ids *ids, OCSP_CERTID *cid)
{
	ASN1_OBJECT *alg = NULL;
	OCSP_CERTID **mine;
	const EVP_MD *md;

	if (!OCSP_id_get0_info(NULL, &alg, NULL, NULL, cid))
		return false;
	switch (OBJ_obj2nid(alg)) {
	case NID_sha1:
		mine = &ids->sha1;
		md = EVP_sha1();
		break;
	case NID_sha256:
		mine = &ids->sha256;
		md = EVP_sha256();
		break;
	default:
		return false;
	}
	if (!*mine)
		*mine = OCSP_cert_to_id(md, NULL, s->ca);
	return *mine && !OCSP_id_issuer_cmp(*mine, cid);
}

/* What one CertID gets. */
struct one_answer {
	struct ca_cert_state st;
	uint8_t serial[CA_SERIAL_MAX];
	int serial_len; /* < 0: not ours, or not a serial we could have issued */
};

/* Decide one CertID into *a. \returns 0; -EIO (the lookup failed). */
static int answer_one(const struct ca_status_signer *s, struct issuer_ids *ids, OCSP_CERTID *cid,
		      ca_status_lookup_fn lookup, void *priv, struct one_answer *a)
{
	ASN1_INTEGER *serial = NULL;

	a->st = (struct ca_cert_state){ .status = CA_CERT_UNKNOWN, .reason = -1 };
	a->serial_len = -1;
	if (!ours(s, ids, cid) || !OCSP_id_get0_info(NULL, NULL, NULL, &serial, cid))
		return 0;
	a->serial_len = ca_status_serial_from_asn1(serial, a->serial);
	if (a->serial_len < 0)
		return 0;
	if (lookup(a->serial, (size_t)a->serial_len, &a->st, priv))
		return -EIO;
	if (a->st.status != CA_CERT_GOOD && a->st.status != CA_CERT_REVOKED)
		a->st = (struct ca_cert_state){ .status = CA_CERT_UNKNOWN, .reason = -1 };
	if (a->st.status == CA_CERT_REVOKED && !(a->st.reason >= 0 && a->st.reason <= 10 && a->st.reason != 7))
		a->st.reason = -1;
	return 0;
}

static int add_status(OCSP_BASICRESP *bs, OCSP_CERTID *cid, const struct one_answer *a, ASN1_TIME *this_upd,
		      ASN1_TIME *next_upd)
{
	static const int map[] = {
		[CA_CERT_GOOD] = V_OCSP_CERTSTATUS_GOOD,
		[CA_CERT_REVOKED] = V_OCSP_CERTSTATUS_REVOKED,
		[CA_CERT_UNKNOWN] = V_OCSP_CERTSTATUS_UNKNOWN,
	};
	ASN1_TIME *rev = NULL;
	int ok;

	if (a->st.status == CA_CERT_REVOKED && !(rev = ASN1_TIME_set(NULL, (time_t)a->st.revoked_at)))
		return -ENOMEM;
	ok = OCSP_basic_add1_status(bs, cid, map[a->st.status], a->st.reason, rev, this_upd, next_upd) != NULL;
	ASN1_TIME_free(rev);
	return ok ? 0 : -ENOMEM;
}

/* Sign bs as s: responderID by key hash, producedAt = now, s->cert included when it is a delegated signer. */
static int sign(const struct ca_status_signer *s, OCSP_BASICRESP *bs, int64_t now)
{
	unsigned long flags = OCSP_RESPID_KEY | OCSP_NOTIME;

	/* OCSP_NOTIME leaves producedAt to us, so that it is the caller's clock like thisUpdate (the object is bs's
	 * own, the const only says the getter does not copy). */
	if (!ASN1_GENERALIZEDTIME_set((ASN1_GENERALIZEDTIME *)OCSP_resp_get0_produced_at(bs), (time_t)now))
		return -ENOMEM;
	if (!X509_cmp(s->cert, s->ca))
		flags |= OCSP_NOCERTS;
	return OCSP_basic_sign(bs, s->cert, s->key, ca_status_md(s), NULL, flags) == 1 ? 0 : -EIO;
}

/* The answer to a parsed request: the single responses, signed (or taken from the cache). \returns 0 with *der;
 * -EIO (a lookup or the signature failed), -ENOMEM (or another failure inside OpenSSL). A fresh answer to a
 * cacheable request is also kept in the cache. */
static int answer(const struct ca_status_signer *s, const struct ca_ocsp_params *p, OCSP_REQUEST *r, bool nonce,
		  ca_status_lookup_fn lookup, void *priv, uint8_t **der, size_t *len)
{
	uint32_t validity = p->validity_s ? p->validity_s : DEFAULT_VALIDITY_S;
	uint32_t refresh = p->refresh_s ? p->refresh_s : DEFAULT_REFRESH_S;
	int n = OCSP_request_onereq_count(r), rc = -ENOMEM;
	bool cacheable = p->cache && n == 1 && !nonce;
	struct issuer_ids ids = { 0 };
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	ASN1_TIME *this_upd = ASN1_TIME_set(NULL, (time_t)p->now);
	ASN1_TIME *next_upd = ASN1_TIME_set(NULL, (time_t)(p->now + validity));
	OCSP_RESPONSE *resp = NULL;
	uint8_t id[CERTID_DER_MAX];
	size_t id_len = 0;
	struct one_answer a;

	if (!bs || !this_upd || !next_upd)
		goto out;
	for (int i = 0; i < n; i++) {
		OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(r, i));

		if ((rc = answer_one(s, &ids, cid, lookup, priv, &a)))
			goto out;
		if (cacheable) {
			id_len = cache_key(cid, id);
			cacheable = id_len && a.st.status != CA_CERT_UNKNOWN;
		}
		if (cacheable && (rc = cache_get(p->cache, id, id_len, &a.st, p->now, refresh, der, len))) {
			rc = rc < 0 ? rc : 0;
			goto out;
		}
		if ((rc = add_status(bs, cid, &a, this_upd, next_upd)))
			goto out;
	}
	rc = -ENOMEM;
	if (nonce && OCSP_copy_nonce(bs, r) != 1)
		goto out;
	if ((rc = sign(s, bs, p->now)))
		goto out;
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	if ((rc = response_der(resp, der, len)))
		goto out;
	if (cacheable)
		cache_put(p->cache, id, id_len, a.serial, (size_t)a.serial_len, &a.st, p->now, p->now + validity, *der,
			  *len);
out:
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	ASN1_TIME_free(this_upd);
	ASN1_TIME_free(next_upd);
	OCSP_CERTID_free(ids.sha1);
	OCSP_CERTID_free(ids.sha256);
	return rc;
}

int ca_ocsp_answer(const struct ca_status_signer *s, const struct ca_ocsp_params *p, const uint8_t *req, size_t len,
		   ca_status_lookup_fn lookup, void *priv, uint8_t **der, size_t *out_len)
{
	const uint8_t *q = req;
	OCSP_REQUEST *r = NULL;
	int n, nonce, rc;

	if (!s || !s->ca || !s->cert || !s->key || !p || !lookup || !der || !out_len)
		return -EINVAL;
	if (!req || !len || len > CA_OCSP_REQ_MAX)
		return error_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, der, out_len);
	/* A request that does not parse is the client's problem, answered: its errors leave OpenSSL's queue. */
	ERR_set_mark();
	r = d2i_OCSP_REQUEST(NULL, &q, (long)len);
	n = r ? OCSP_request_onereq_count(r) : 0;
	nonce = r ? check_nonce(r) : -EINVAL;
	if (!r || q != req + len || n < 1 || n > CA_OCSP_MAX_IDS || nonce < 0) {
		OCSP_REQUEST_free(r);
		ERR_pop_to_mark();
		return error_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, der, out_len);
	}
	ERR_clear_last_mark();
	rc = answer(s, p, r, nonce == 1, lookup, priv, der, out_len);
	OCSP_REQUEST_free(r);
	/* Whatever failed on our side (the records, the key, OpenSSL) is internalError; only a failure to say even
	 * that is -ENOMEM. */
	if (rc)
		rc = error_response(OCSP_RESPONSE_STATUS_INTERNALERROR, der, out_len);
	return rc;
}
