/* The card's PKCS#15 objects through the PKI applet; contract in token.h, layout in pkcs15.h. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include <simpki/card_sw.h>
#include <simpki/pki_applet.h>
#include <simpki/tlv.h>

#include "token.h"

#define FILE_MAX 4096
/* Directory files: room for the card's 16 keys with labels up to about 80 bytes (32 characters of plain Latin
 * or most Vietnamese); OpenSC makes them 512 bytes. */
#define DF_SIZE 2048

static const uint8_t acl_df[8] = { 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x90 }; /* delete needs the PIN */
static const uint8_t acl_free[8] = { 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
static const uint8_t acl_pin_write[8] = { 0xff, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x00 }; /* read free */
static const uint8_t acl_object[8] = { 0xff, 0x90, 0xff, 0xff, 0xff, 0xff, 0x90, 0x00 };    /* keys, certificates */

/* A path as stored (3F00 5015 ...) without its leading 3F00, for SELECT by path. */
static int select_stored_path(struct token *t, const struct p15_path *p, uint32_t *size)
{
	const uint8_t *b = p->b;
	size_t len = p->len;

	if (len >= 2 && b[0] == 0x3f && b[1] == 0x00) {
		b += 2;
		len -= 2;
	}
	if (!len || len % 2)
		return -EBADMSG;
	return pki_select_path(&t->card, b, len, size);
}

static int select_app(struct token *t)
{
	static const uint8_t path[] = { P15_FID_APP >> 8, P15_FID_APP & 0xff };
	uint32_t size;

	return pki_select_path(&t->card, path, sizeof(path), &size);
}

static int read_stored(struct token *t, const struct p15_path *p, uint8_t *buf, size_t max, uint32_t *len)
{
	int rc = select_stored_path(t, p, len);

	if (!rc)
		rc = pki_read_current(&t->card, *len, buf, max);
	return rc;
}

static struct p15_path app_path(uint16_t fid)
{
	struct p15_path p = {
		.b = { 0x3f, 0x00, P15_FID_APP >> 8, P15_FID_APP & 0xff, (uint8_t)(fid >> 8), (uint8_t)fid }, .len = 6
	};

	return p;
}

static int load_df(struct token *t, const struct p15_path *p, struct p15_object *out, size_t *n)
{
	static uint8_t buf[FILE_MAX];
	uint32_t len;
	int rc;

	*n = 0;
	if (!p->len)
		return 0;
	rc = read_stored(t, p, buf, sizeof(buf), &len);
	if (rc)
		return rc;
	return p15_parse_df(buf, len, out, P15_MAX_OBJECTS, n);
}

int token_load(struct token *t)
{
	struct p15_path odf = app_path(P15_FID_ODF);
	uint8_t buf[FILE_MAX];
	uint32_t len;
	int rc = read_stored(t, &odf, buf, sizeof(buf), &len);

	t->enrolled = false;
	if (rc == SW_FILE_NOT_FOUND)
		return -ENODATA;
	if (!rc)
		rc = p15_parse_odf(buf, len, &t->odf);
	t->enrolled = !rc;
	if (!rc)
		rc = load_df(t, &t->odf.prkdf, t->prkeys, &t->n_prkeys);
	if (!rc)
		rc = load_df(t, &t->odf.pukdf, t->pubkeys, &t->n_pubkeys);
	if (!rc)
		rc = load_df(t, &t->odf.cdf, t->certs, &t->n_certs);
	return rc;
}

/* CREATE an EF under the current DF and write its content (the new EF is current after CREATE). */
static int create_ef(struct token *t, uint16_t fid, const uint8_t *acl, uint16_t size, const uint8_t *data, size_t len)
{
	int rc = pki_create(&t->card, fid, size, false, acl);

	if (!rc && len)
		rc = pki_update_current(&t->card, 0, data, len);
	return rc;
}

/* SELECT a file of DF.PKCS15 (or the MF's EF.DIR); if it is not there, CREATE it with its content. The current
 * DF must be its parent. */
static int ensure_ef(struct token *t, uint16_t fid, const uint8_t *acl, uint16_t size, const uint8_t *data, size_t len)
{
	const uint8_t path[4] = { P15_FID_APP >> 8, P15_FID_APP & 0xff, (uint8_t)(fid >> 8), (uint8_t)fid };
	uint32_t got;
	int rc = fid == P15_FID_DIR ? pki_select_path(&t->card, path + 2, 2, &got) :
				      pki_select_path(&t->card, path, sizeof(path), &got);

	if (rc != SW_FILE_NOT_FOUND)
		return rc;
	rc = fid == P15_FID_DIR ? pki_cmd(&t->card, PKI_INS_SELECT, 0x00, 0x0c, NULL, 0, false, NULL, NULL) :
				  select_app(t);
	if (!rc)
		rc = create_ef(t, fid, acl, size, data, len);
	return rc;
}

int token_init(struct token *t, const char *puk, const char *pin, bool set_pin, const char *label)
{
	uint8_t buf[512], serial[8];
	char now[16];
	time_t tt = time(NULL);
	struct tm tm;
	int n, rc;

	gmtime_r(&tt, &tm);
	strftime(now, sizeof(now), "%Y%m%d%H%M%SZ", &tm);
	rc = pki_random(&t->card, serial, sizeof(serial));
	/* the MF, then DF.PKCS15 with the PUK and PIN, as pkcs15-init --create-pkcs15 does */
	if (!rc)
		rc = select_app(t);
	if (rc == SW_FILE_NOT_FOUND) {
		rc = pki_cmd(&t->card, PKI_INS_SELECT, 0x00, 0x0c, NULL, 0, false, NULL, NULL);
		if (!rc)
			rc = pki_create(&t->card, P15_FID_APP, 5000, true, acl_df);
	}
	if (!rc && set_pin)
		rc = puk ? pki_set_puk_and_pin(&t->card, puk, pin) :
			   pki_cmd(&t->card, PKI_INS_CHANGE_REFERENCE_DATA, 0x01, PKI_PIN_REF, (const uint8_t *)pin,
				   strlen(pin), false, NULL, NULL);
	if (!rc)
		rc = pki_verify(&t->card, pin);
	/* every file is created only if it is missing, so an interrupted enrolment can be finished */
	if (!rc && (n = p15_encode_aodf(buf, sizeof(buf))) > 0)
		rc = ensure_ef(t, P15_FID_AODF, acl_pin_write, 256, buf, (size_t)n);
	if (!rc)
		rc = ensure_ef(t, P15_FID_PRKDF, acl_pin_write, DF_SIZE, NULL, 0);
	if (!rc)
		rc = ensure_ef(t, P15_FID_PUKDF, acl_pin_write, DF_SIZE, NULL, 0);
	if (!rc)
		rc = ensure_ef(t, P15_FID_CDF, acl_pin_write, DF_SIZE, NULL, 0);
	if (!rc && (n = p15_encode_tokeninfo(serial, sizeof(serial), label, now, buf, sizeof(buf))) > 0)
		rc = ensure_ef(t, P15_FID_TOKENINFO, acl_free, (uint16_t)n, buf, (size_t)n);
	if (!rc && (n = p15_encode_opensc_info(buf, sizeof(buf))) > 0)
		rc = ensure_ef(t, P15_FID_OPENSC_INFO, acl_pin_write, 128, buf, (size_t)n);
	if (!rc && (n = p15_encode_dir(label, buf, sizeof(buf))) > 0)
		rc = ensure_ef(t, P15_FID_DIR, acl_free, 128, buf, (size_t)n);
	/* the ODF last: with it, the card counts as enrolled */
	if (!rc && (n = p15_encode_odf(buf, sizeof(buf))) > 0)
		rc = ensure_ef(t, P15_FID_ODF, acl_free, 256, buf, (size_t)n);
	if (!rc)
		rc = token_load(t);
	return rc;
}

static const struct p15_object *find(const struct p15_object *v, size_t n, uint8_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].id_len == 1 && v[i].id[0] == id)
			return &v[i];
	}
	return NULL;
}

const struct p15_object *token_private_key(const struct token *t, uint8_t id)
{
	return find(t->prkeys, t->n_prkeys, id);
}

const struct p15_object *token_public_key(const struct token *t, uint8_t id)
{
	return find(t->pubkeys, t->n_pubkeys, id);
}

const struct p15_object *token_certificate(const struct token *t, uint8_t id)
{
	return find(t->certs, t->n_certs, id);
}

/* Room left at the end of a directory file; the file stays selected. \returns 0 and sets *used, *size */
static int df_room(struct token *t, const struct p15_path *df, uint32_t *used, uint32_t *size)
{
	static uint8_t buf[FILE_MAX];
	int rc = read_stored(t, df, buf, sizeof(buf), size);

	if (!rc)
		*used = (uint32_t)p15_used(buf, *size);
	return rc;
}

/* Append one entry to a directory file, after the entries already there. */
static int append_entry(struct token *t, const struct p15_path *df, const uint8_t *entry, size_t len)
{
	uint32_t size, used;
	int rc = df_room(t, df, &used, &size);

	if (rc)
		return rc;
	if (used + len > size)
		return -ENOSPC;
	return pki_update_current(&t->card, used, entry, len);
}

/* Whether both directory files have room for these entries; nothing on the card changes. */
static int check_room(struct token *t, const struct p15_path *a, size_t alen, const struct p15_path *b, size_t blen)
{
	uint32_t size, used;
	int rc = df_room(t, a, &used, &size);

	if (!rc && used + alen > size)
		rc = -ENOSPC;
	if (!rc)
		rc = df_room(t, b, &used, &size);
	if (!rc && used + blen > size)
		rc = -ENOSPC;
	return rc;
}

/* CREATE an object file at the first FID from \a fid that is free on the card (one left by an interrupted
 * operation is skipped), and write it. \returns 0 and the FID used in *fid */
static int create_object_file(struct token *t, uint16_t *fid, const uint8_t *data, size_t len)
{
	int rc;

	for (unsigned tries = 0; tries < 16; tries++, (*fid)++) {
		rc = select_app(t);
		if (!rc)
			rc = create_ef(t, *fid, acl_object, (uint16_t)len, data, len);
		if (rc != SW_DATA_INVALID) /* 6984: the FID exists */
			return rc;
	}
	return -ENOSPC;
}

/* The lowest FID from \a first that no object of \a v uses (the last two bytes of its path). */
static uint16_t free_fid(const struct p15_object *v, size_t n, uint16_t first)
{
	for (uint16_t fid = first; fid < first + 0x100; fid++) {
		bool used = false;

		for (size_t i = 0; i < n && !used; i++) {
			const struct p15_path *p = &v[i].path;

			used = p->len >= 2 && (uint16_t)(p->b[p->len - 2] << 8 | p->b[p->len - 1]) == fid;
		}
		if (!used)
			return fid;
	}
	return 0;
}

/* Make sure the ODF lists a directory file \a fid (ODF tag \a tag), creating the file if it is missing: a card
 * enrolled by pkcs15-init gets its PrKDF, PuKDF and CDF only with its first key or certificate. */
static int ensure_df(struct token *t, struct p15_path *listed, uint8_t tag, uint16_t fid)
{
	const struct p15_path odf = app_path(P15_FID_ODF);
	struct p15_path p = app_path(fid);
	uint8_t entry[16] = { tag, 0x0a, 0x30, 0x08, 0x04, 0x06 };
	uint32_t size;
	int rc;

	if (listed->len)
		return 0;
	rc = select_stored_path(t, &p, &size);
	if (rc == SW_FILE_NOT_FOUND) {
		rc = select_app(t);
		if (!rc)
			rc = create_ef(t, fid, acl_pin_write, DF_SIZE, NULL, 0);
	}
	memcpy(entry + 6, p.b, p.len);
	if (!rc)
		rc = append_entry(t, &odf, entry, 6 + p.len);
	if (!rc)
		*listed = p;
	return rc;
}

int token_keygen(struct token *t, uint8_t id, enum p15_keytype type, const char *label)
{
	struct p15_object k = { .type = type, .id = { id }, .id_len = 1, .bits = type == P15_RSA ? 2048 : 256 };
	struct p15_object pub;
	uint8_t entry[512], entry2[512], *der = NULL;
	EVP_PKEY *pk = NULL;
	uint16_t fid;
	int n, m, len, rc;

	if (!t->enrolled)
		return -ENODATA;
	if (token_private_key(t, id) || token_public_key(t, id))
		return -EEXIST;
	rc = ensure_df(t, &t->odf.prkdf, 0xa0, P15_FID_PRKDF);
	if (!rc)
		rc = ensure_df(t, &t->odf.pukdf, 0xa1, P15_FID_PUKDF);
	if (rc)
		return rc;
	for (k.key_ref = 0; k.key_ref < 16; k.key_ref++) {
		bool used = false;

		for (size_t i = 0; i < t->n_prkeys; i++)
			used |= t->prkeys[i].key_ref == k.key_ref;
		if (!used)
			break;
	}
	fid = free_fid(t->pubkeys, t->n_pubkeys, P15_FID_PUBKEY_FIRST);
	if (k.key_ref == 16 || !fid)
		return -ENOSPC;
	snprintf(k.label, sizeof(k.label), "%s", label);
	k.path = app_path(P15_FID_APP);
	k.path.len = 4;
	pub = k;
	pub.path = app_path(fid);
	/* the entries must fit before anything is generated (their sizes do not depend on the key itself) */
	n = p15_encode_private_key(&k, entry, sizeof(entry));
	m = p15_encode_public_key(&pub, entry2, sizeof(entry2));
	if (n < 0 || m < 0)
		return -E2BIG;
	rc = check_room(t, &t->odf.prkdf, (size_t)n, &t->odf.pukdf, (size_t)m);
	if (rc)
		return rc;

	rc = pki_generate(&t->card, (uint8_t)k.key_ref, type == P15_RSA ? PKI_KEY_RSA2048 : PKI_KEY_P256, &pk);
	if (rc)
		return rc;
	len = type == P15_RSA ? i2d_PublicKey(pk, &der) : i2d_PUBKEY(pk, &der);
	EVP_PKEY_free(pk);
	if (len <= 0)
		return -ENOMEM;
	rc = create_object_file(t, &fid, der, (size_t)len);
	OPENSSL_free(der);
	if (!rc && fid != (uint16_t)(pub.path.b[4] << 8 | pub.path.b[5])) {
		pub.path = app_path(fid);
		m = p15_encode_public_key(&pub, entry2, sizeof(entry2));
	}
	/* the key becomes visible with its PrKDF entry, its public key with the PuKDF entry */
	if (!rc)
		rc = append_entry(t, &t->odf.prkdf, entry, (size_t)n);
	if (!rc)
		rc = m < 0 ? m : append_entry(t, &t->odf.pukdf, entry2, (size_t)m);
	if (!rc)
		rc = token_load(t);
	return rc;
}

int token_read_public_key(struct token *t, uint8_t id, EVP_PKEY **out)
{
	const struct p15_object *k = token_public_key(t, id);
	static uint8_t buf[FILE_MAX];
	const uint8_t *p = buf;
	uint32_t len;
	int rc;

	if (!k)
		return -ENOENT;
	rc = read_stored(t, &k->path, buf, sizeof(buf), &len);
	if (rc)
		return rc;
	*out = k->type == P15_RSA ? d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len) : d2i_PUBKEY(NULL, &p, len);
	return *out ? 0 : -EBADMSG;
}

/* Offset and length of the entry with id \a id in a directory file's bytes. \returns 0; -ENOENT */
static int find_entry(const uint8_t *b, size_t len, uint8_t id, size_t *off, size_t *elen)
{
	for (size_t pos = 0; pos < len && b[pos];) {
		struct p15_object o;
		struct tlv e;
		size_t n;

		if (ber_tlv_parse(b + pos, len - pos, &e) || p15_parse_df(b + pos, e.total, &o, 1, &n) || n != 1)
			return -ENOENT;
		if (o.id_len == 1 && o.id[0] == id) {
			*off = pos;
			*elen = e.total;
			return 0;
		}
		pos += e.total;
	}
	return -ENOENT;
}

int token_store_certificate(struct token *t, uint8_t id, X509 *cert, const char *label)
{
	const struct p15_object *old = token_certificate(t, id);
	struct p15_object c = { .id = { id }, .id_len = 1, .key_ref = -1 };
	static uint8_t dfbuf[FILE_MAX];
	uint8_t entry[512], *der = NULL;
	uint32_t size, used;
	uint16_t fid, old_fid = 0;
	size_t off = 0, elen = 0;
	int n = i2d_X509(cert, &der), m, rc;

	if (n <= 0)
		return -EINVAL;
	rc = t->enrolled ? ensure_df(t, &t->odf.cdf, 0xa4, P15_FID_CDF) : -ENODATA;
	if (rc) {
		OPENSSL_free(der);
		return rc;
	}
	if (old) {
		/* replaced without a moment where the entry points nowhere: the new file first, under a new FID, then the
		 * entry's path (same length: the entry is rewritten in place, with its label), then the old file goes */
		c = *old;
		old_fid = (uint16_t)(old->path.b[old->path.len - 2] << 8 | old->path.b[old->path.len - 1]);
	} else {
		snprintf(c.label, sizeof(c.label), "%s", label);
	}
	fid = free_fid(t->certs, t->n_certs, P15_FID_CERT_FIRST);
	c.path = app_path(fid);
	m = p15_encode_certificate(&c, entry, sizeof(entry));
	rc = m < 0 ? -E2BIG : read_stored(t, &t->odf.cdf, dfbuf, sizeof(dfbuf), &size);
	if (!rc) {
		used = (uint32_t)p15_used(dfbuf, size);
		if (old)
			rc = find_entry(dfbuf, size, id, &off, &elen) ? -EBADMSG : elen != (size_t)m ? -ENOSPC : 0;
		else if (used + (uint32_t)m > size)
			rc = -ENOSPC;
	}
	if (!rc)
		rc = create_object_file(t, &fid, der, (size_t)n);
	if (!rc && fid != (uint16_t)(c.path.b[4] << 8 | c.path.b[5])) {
		c.path = app_path(fid);
		m = p15_encode_certificate(&c, entry, sizeof(entry));
	}
	if (!rc && old) {
		uint32_t s2;

		rc = select_stored_path(t, &t->odf.cdf, &s2);
		if (!rc)
			rc = pki_update_current(&t->card, (uint32_t)off, entry, (size_t)m);
		if (!rc)
			rc = select_app(t);
		if (!rc)
			rc = pki_delete(&t->card, old_fid);
	} else if (!rc) {
		rc = append_entry(t, &t->odf.cdf, entry, (size_t)m);
	}
	OPENSSL_free(der);
	if (!rc)
		rc = token_load(t);
	return rc;
}

int token_read_certificate(struct token *t, uint8_t id, X509 **out)
{
	const struct p15_object *c = token_certificate(t, id);
	static uint8_t buf[FILE_MAX];
	const uint8_t *p = buf;
	uint32_t len;
	int rc;

	if (!c)
		return -ENOENT;
	rc = read_stored(t, &c->path, buf, sizeof(buf), &len);
	if (rc)
		return rc;
	*out = d2i_X509(NULL, &p, len);
	return *out ? 0 : -EBADMSG;
}

int token_build_csr(struct token *t, uint8_t id, const uint8_t *subject, size_t len, uint8_t *out, size_t *out_len)
{
	const struct p15_object *k = token_private_key(t, id);

	if (!k || k->key_ref < 0)
		return -ENOENT;
	return pki_build_csr(&t->card, (uint8_t)k->key_ref, subject, len, out, out_len);
}

int token_sign_hash(struct token *t, uint8_t id, const uint8_t hash[32], uint8_t *sig, size_t *sig_len)
{
	const struct p15_object *k = token_private_key(t, id);

	if (!k || k->key_ref < 0)
		return -ENOENT;
	return pki_sign_sha256(&t->card, (uint8_t)k->key_ref, k->type == P15_RSA ? PKI_KEY_RSA2048 : PKI_KEY_P256, hash,
			       sig, sig_len);
}
