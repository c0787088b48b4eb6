/* The enrolment's over-the-air scripts and their responses; formats in enrol_script.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <simpki/apdu.h>
#include <simpki/pki_applet.h>
#include <simpki/rapdu.h>

#include "enrol_script.h"

#define N_READ 4 /* the read script's commands */

/* The access conditions of simpki-tool's object files (certificates): read free, write and delete under the PIN
 * or the issuer's authority. */
static const uint8_t acl_object[8] = { 0xff, 0x90, 0xff, 0xff, 0xff, 0xff, 0x90, 0x00 };

static struct apdu_cmd cmd(uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc, uint32_t ne)
{
	return (struct apdu_cmd){ .ins = ins,
				  .p1 = p1,
				  .p2 = p2,
				  .data = lc ? data : NULL,
				  .lc = (uint32_t)lc,
				  .ne = ne,
				  .kase = lc ? (ne ? APDU_CASE_4 : APDU_CASE_3) : (ne ? APDU_CASE_2 : APDU_CASE_1) };
}

/* SELECT FILE by FID anywhere on the card, no answer asked (P1 00, P2 0C). \a fid is 2 bytes the caller keeps. */
static struct apdu_cmd select_fid(const uint8_t fid[2])
{
	return cmd(PKI_INS_SELECT, 0x00, 0x0c, fid, 2, 0);
}

static int encode(const struct apdu_cmd *c, size_t n, uint8_t *out, size_t max)
{
	int rc = rapdu_expanded_encode(c, n, out, max);

	return rc == -EINVAL ? -EINVAL : rc < 0 ? -E2BIG : rc;
}

int enrol_script_read(uint8_t *out, size_t max)
{
	static const uint8_t prkdf[2] = { P15_FID_PRKDF >> 8, P15_FID_PRKDF & 0xff };
	static const uint8_t cdf[2] = { P15_FID_CDF >> 8, P15_FID_CDF & 0xff };
	struct apdu_cmd c[N_READ];

	c[0] = select_fid(prkdf);
	c[1] = cmd(PKI_INS_READ_BINARY, 0, 0, NULL, 0, 256);
	c[2] = select_fid(cdf);
	c[3] = cmd(PKI_INS_READ_BINARY, 0, 0, NULL, 0, 256);
	return encode(c, N_READ, out, max);
}

int enrol_script_csr(uint8_t key_ref, const uint8_t *subject, size_t subject_len, uint8_t *out, size_t max)
{
	struct apdu_cmd c;

	if (key_ref > 0x0f || !subject_len || subject_len > ENROL_SUBJECT_MAX || subject[0] != 0x30)
		return -EINVAL;
	c = cmd(PKI_INS_BUILD_CSR, 0x00, key_ref, subject, subject_len, 4096);
	c.extended = true; /* the request (up to ~1,100 bytes for RSA-2048) comes back in one answer */
	return encode(&c, 1, out, max);
}

int enrol_csr_parse(const uint8_t *rsp, size_t len, const uint8_t **csr, size_t *csr_len, char *why, size_t whylen)
{
	struct rapdu_result r[1];
	size_t n;

	if (rapdu_expanded_results(rsp, len, r, 1, &n) || !n) {
		snprintf(why, whylen, "the PoR's script response does not parse");
		return -EBADMSG;
	}
	if (r[0].sw != 0x9000 || r[0].len < 4 || r[0].data[0] != 0x30) {
		snprintf(why, whylen, "the SIM did not build the certificate request (%04X%s)", r[0].sw,
			 r[0].sw == 0x6985 ? ": the key has a certificate on the card" :
			 r[0].sw == 0x6d00 ? ": the applet does not know the command" :
					     "");
		return -EPERM;
	}
	*csr = r[0].data;
	*csr_len = r[0].len;
	return 0;
}

/* The FID of a stored path (its last two bytes); 0 for a path too short. */
static uint16_t path_fid(const struct p15_path *p)
{
	return p->len >= 2 ? (uint16_t)(p->b[p->len - 2] << 8 | p->b[p->len - 1]) : 0;
}

/* Whether a directory file's first bytes hold all its entries: zero padding after them up to the end of what was
 * read (an entry cut by the read, or none padding at all, means there is more: never guess where it ends). */
static bool all_read(const uint8_t *b, size_t len)
{
	size_t used = p15_used(b, len);

	if (used >= len)
		return false;
	for (size_t i = used; i < len; i++)
		if (b[i])
			return false;
	return true;
}

int enrol_read_parse(const uint8_t *rsp, size_t len, uint8_t key_id, struct enrol_view *v, char *why, size_t whylen)
{
	struct rapdu_result r[N_READ];
	size_t n;

	memset(v, 0, sizeof(*v));
	if (rapdu_expanded_results(rsp, len, r, N_READ, &n)) {
		snprintf(why, whylen, "the PoR's script response does not parse");
		return -EBADMSG;
	}
	return enrol_read_results(r, n, key_id, v, why, whylen);
}

int enrol_read_results(const struct rapdu_result *r, size_t n, uint8_t key_id, struct enrol_view *v, char *why,
		       size_t whylen)
{
	static struct p15_object objs[P15_MAX_OBJECTS];
	size_t k, i;
	bool found = false;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < n; i++) {
		if (r[i].sw != 0x9000 && !(i == 1 || i == 3 ? (r[i].sw & 0xff00) == 0x6200 : false)) {
			snprintf(why, whylen, "command %zu of the read script answered %04X%s", i + 1, r[i].sw,
				 i == 0 || i == 2 ? " (no PKCS#15 structure, or no PKI applet)" : "");
			return -EBADMSG;
		}
	}
	if (n < N_READ) {
		snprintf(why, whylen, "only %zu of %d commands ran", n, N_READ);
		return -EBADMSG;
	}
	/* the PrKDF: the key with this iD (and where a new entry goes) */
	v->prkdf_used = (uint32_t)p15_used(r[1].data, r[1].len);
	if (!all_read(r[1].data, r[1].len) || !all_read(r[3].data, r[3].len)) {
		snprintf(why, whylen, "the card's PrKDF or CDF holds more than 256 bytes of entries");
		return -EFBIG;
	}
	if (p15_parse_df(r[1].data, p15_used(r[1].data, r[1].len), objs, P15_MAX_OBJECTS, &k) && !k) {
		snprintf(why, whylen, "the card's PrKDF does not parse");
		return -EBADMSG;
	}
	v->free_key_ref = -1;
	for (int ref = 0; ref < 16 && v->free_key_ref < 0; ref++) {
		bool used = false;

		for (i = 0; i < k && !used; i++)
			used = objs[i].key_ref == ref;
		if (!used)
			v->free_key_ref = ref;
	}
	for (i = 0; i < k && !found; i++) {
		if (objs[i].id_len == 1 && objs[i].id[0] == key_id && objs[i].key_ref >= 0 && objs[i].key_ref < 16) {
			v->key = objs[i];
			found = true;
		}
	}
	/* the CDF: where the entry goes, a free FID, and whether the key has a certificate listed already (known also
	 * when the key is not there yet: a key generated next gets its certificate there) */
	v->cdf_used = (uint32_t)p15_used(r[3].data, r[3].len);
	if (p15_parse_df(r[3].data, v->cdf_used, objs, P15_MAX_OBJECTS, &k) && k == 0 && v->cdf_used) {
		snprintf(why, whylen, "the card's CDF does not parse");
		return -EBADMSG;
	}
	for (uint16_t fid = P15_FID_CERT_FIRST; fid < P15_FID_CERT_FIRST + 0x100 && !v->cert_fid; fid++) {
		bool used = false;

		for (i = 0; i < k && !used; i++)
			used = path_fid(&objs[i].path) == fid;
		if (!used)
			v->cert_fid = fid;
	}
	for (i = 0; i < k; i++)
		v->key_certified |= objs[i].id_len == 1 && objs[i].id[0] == key_id;
	if (!found) {
		v->key_certified = false;
		snprintf(why, whylen, "the card has no private key with iD %02X", key_id);
		return -ENOENT;
	}
	if (!v->cert_fid) {
		snprintf(why, whylen, "no free certificate FID on the card");
		return -ENOSPC;
	}
	return 0;
}

int enrol_script_load(const struct p15_object *key, uint16_t fid, uint32_t cdf_used, const char *label,
		      const uint8_t *der, size_t len, uint8_t *out, size_t max)
{
	static const uint8_t app[2] = { P15_FID_APP >> 8, P15_FID_APP & 0xff };
	static const uint8_t cdf[2] = { P15_FID_CDF >> 8, P15_FID_CDF & 0xff };
	struct apdu_cmd c[RAPDU_MAX_COMMANDS];
	struct p15_object cert = { .key_ref = -1 };
	uint8_t fidb[2] = { (uint8_t)(fid >> 8), (uint8_t)fid }, fci[23], entry[256];
	size_t n = 0, off;
	int m;

	if (!len || len > ENROL_CERT_MAX || fid < P15_FID_CERT_FIRST || cdf_used > 0x7fff)
		return -EINVAL;
	memcpy(cert.id, key->id, key->id_len);
	cert.id_len = key->id_len;
	snprintf(cert.label, sizeof(cert.label), "%s", label ? label : "");
	cert.path = (struct p15_path){ .b = { 0x3f, 0x00, app[0], app[1], fidb[0], fidb[1] }, .len = 6 };
	m = p15_encode_certificate(&cert, entry, sizeof(entry));
	if (m < 0)
		return -EINVAL;
	memcpy(fci,
	       (const uint8_t[]){ 0x6f, 0x15, 0x81, 0x02, (uint8_t)(len >> 8), (uint8_t)len, 0x82, 0x01, 0x01, 0x83,
				  0x02, fidb[0], fidb[1], 0x86, 0x08 },
	       15);
	memcpy(fci + 15, acl_object, 8);
	c[n++] = select_fid(app);
	c[n++] = cmd(PKI_INS_CREATE_FILE, 0, 0, fci, sizeof(fci), 0);
	c[n++] = select_fid(fidb);
	for (off = 0; off < len; off += ENROL_CHUNK) {
		size_t k = len - off < ENROL_CHUNK ? len - off : ENROL_CHUNK;

		if (n + 3 > RAPDU_MAX_COMMANDS)
			return -E2BIG;
		c[n++] = cmd(PKI_INS_UPDATE_BINARY, (uint8_t)(off >> 8), (uint8_t)off, der + off, k, 0);
	}
	c[n++] = select_fid(cdf);
	c[n++] = cmd(PKI_INS_UPDATE_BINARY, (uint8_t)(cdf_used >> 8), (uint8_t)cdf_used, entry, (size_t)m, 0);
	/* the entry's bytes live in this frame: encode before returning */
	return encode(c, n, out, max);
}

size_t enrol_load_commands(size_t cert_len)
{
	return 5 + (cert_len + ENROL_CHUNK - 1) / ENROL_CHUNK;
}

int enrol_load_parse(const uint8_t *rsp, size_t len, size_t cert_len, char *why, size_t whylen)
{
	struct rapdu_result r[RAPDU_MAX_COMMANDS];
	size_t n;

	if (rapdu_expanded_results(rsp, len, r, RAPDU_MAX_COMMANDS, &n) || !n) {
		snprintf(why, whylen, "the PoR's script response does not parse");
		return -EIO;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].sw != 0x9000) {
			snprintf(why, whylen, "command %zu of the load script answered %04X%s", i + 1, r[i].sw,
				 i == 1 && r[i].sw == 0x6984 ? " (the certificate's FID exists already)" :
				 r[i].sw == 0x6a84	     ? " (the card's memory is full)" :
							       "");
			return -EIO;
		}
	}
	if (n != enrol_load_commands(cert_len)) {
		snprintf(why, whylen, "%zu of the load script's %zu commands ran", n, enrol_load_commands(cert_len));
		return -EIO;
	}
	return 0;
}

int enrol_script_verify(uint16_t fid, size_t len, uint8_t *out, size_t max)
{
	uint8_t fidb[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	struct apdu_cmd c[1 + ENROL_CERT_MAX / 256 + 1];
	size_t n = 0;

	if (!len || len > ENROL_CERT_MAX)
		return -EINVAL;
	c[n++] = select_fid(fidb);
	for (size_t off = 0; off < len; off += 256)
		c[n++] = cmd(PKI_INS_READ_BINARY, (uint8_t)(off >> 8), (uint8_t)off, NULL, 0,
			     len - off < 256 ? (uint32_t)(len - off) : 256);
	return encode(c, n, out, max);
}

int enrol_verify_parse(const uint8_t *rsp, size_t len, const uint8_t *der, size_t der_len, char *why, size_t whylen)
{
	struct rapdu_result r[1 + ENROL_CERT_MAX / 256 + 1];
	size_t n, off = 0;

	if (rapdu_expanded_results(rsp, len, r, sizeof(r) / sizeof(r[0]), &n) || n < 1) {
		snprintf(why, whylen, "the PoR's script response does not parse");
		return -EBADMSG;
	}
	if (r[0].sw == 0x6a82) {
		snprintf(why, whylen, "the certificate's file is not on the card");
		return -ENOENT;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].sw != 0x9000) {
			snprintf(why, whylen, "command %zu of the read-back answered %04X", i + 1, r[i].sw);
			return -EBADMSG;
		}
		if (i < 1)
			continue;
		if (off + r[i].len > der_len || memcmp(der + off, r[i].data, r[i].len)) {
			snprintf(why, whylen, "the certificate read back differs from the one issued at byte %zu", off);
			return -EBADMSG;
		}
		off += r[i].len;
	}
	if (off != der_len) {
		snprintf(why, whylen, "read back %zu of the certificate's %zu bytes", off, der_len);
		return -EBADMSG;
	}
	return 0;
}
