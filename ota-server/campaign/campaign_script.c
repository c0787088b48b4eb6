/* A campaign's over-the-air scripts and their responses; formats in campaign_script.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <simpki/apdu.h>
#include <simpki/pki_applet.h>
#include <simpki/rapdu.h>

#include "campaign_script.h"

#define N_READ 4      /* the enrolment's read script's commands, at the end of check */
#define DF_SIZE 2048  /* PrKDF, PuKDF and CDF, as simpki-tool makes them */
#define APP_SIZE 5000 /* DF.PKCS15 */

/* Access conditions as simpki-tool sets them (docs/applet.md section 4): read, update, ... delete. */
static const uint8_t acl_df[8] = { 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x90 };
static const uint8_t acl_free[8] = { 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
static const uint8_t acl_pin_write[8] = { 0xff, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x00 };

/* The structure's files in the order personalise creates them (the ODF last). */
static const struct p15_file {
	uint16_t fid;
	bool df, under_mf;
	uint16_t size; /* 0: the content's length */
	const uint8_t *acl;
} files[CAMPAIGN_P15_FILES] = {
	{ P15_FID_APP, true, false, APP_SIZE, acl_df },
	{ P15_FID_AODF, false, false, 256, acl_pin_write },
	{ P15_FID_PRKDF, false, false, DF_SIZE, acl_pin_write },
	{ P15_FID_PUKDF, false, false, DF_SIZE, acl_pin_write },
	{ P15_FID_CDF, false, false, DF_SIZE, acl_pin_write },
	{ P15_FID_TOKENINFO, false, false, 0, acl_free },
	{ P15_FID_OPENSC_INFO, false, false, 128, acl_pin_write },
	{ P15_FID_DIR, false, true, 128, acl_free },
	{ P15_FID_ODF, false, false, 256, acl_free },
};

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

static int encode(const struct apdu_cmd *c, size_t n, uint8_t *out, size_t max)
{
	int rc = rapdu_expanded_encode(c, n, out, max);

	return rc == -EINVAL ? -EINVAL : rc < 0 ? -E2BIG : rc;
}

/* The FIDs as the commands carry them (SELECT by FID anywhere on the card, P1 00 P2 0C). */
static const uint8_t fid_bytes[CAMPAIGN_P15_FILES][2] = {
	{ 0x50, 0x15 }, { 0x44, 0x01 }, { 0x44, 0x02 }, { 0x44, 0x03 }, { 0x44, 0x04 },
	{ 0x50, 0x32 }, { 0x49, 0x46 }, { 0x2f, 0x00 }, { 0x50, 0x31 },
};
static const uint8_t prkdf_fid[2] = { P15_FID_PRKDF >> 8, P15_FID_PRKDF & 0xff };
static const uint8_t cdf_fid[2] = { P15_FID_CDF >> 8, P15_FID_CDF & 0xff };

int campaign_script_check(uint8_t *out, size_t max)
{
	struct apdu_cmd c[CAMPAIGN_P15_FILES + N_READ];
	size_t n = 0;

	for (unsigned i = 0; i < CAMPAIGN_P15_FILES; i++)
		c[n++] = cmd(PKI_INS_SELECT, 0x00, 0x0c, fid_bytes[i], 2, 0);
	c[n++] = cmd(PKI_INS_SELECT, 0x00, 0x0c, prkdf_fid, 2, 0);
	c[n++] = cmd(PKI_INS_READ_BINARY, 0, 0, NULL, 0, 256);
	c[n++] = cmd(PKI_INS_SELECT, 0x00, 0x0c, cdf_fid, 2, 0);
	c[n++] = cmd(PKI_INS_READ_BINARY, 0, 0, NULL, 0, 256);
	return encode(c, n, out, max);
}

int campaign_check_parse(const uint8_t *rsp, size_t len, uint8_t key_id, struct campaign_view *v, char *why,
			 size_t whylen)
{
	struct rapdu_result r[CAMPAIGN_P15_FILES + N_READ];
	size_t n;
	int rc;

	memset(v, 0, sizeof(*v));
	if (rapdu_expanded_results(rsp, len, r, CAMPAIGN_P15_FILES + N_READ, &n) || !n) {
		snprintf(why, whylen, "the PoR's script response does not parse");
		return -EBADMSG;
	}
	while (v->files < n && v->files < CAMPAIGN_P15_FILES && r[v->files].sw == 0x9000)
		v->files++;
	if (v->files < CAMPAIGN_P15_FILES) {
		if (v->files + 1 != n || r[v->files].sw != 0x6a82) {
			snprintf(why, whylen, "selecting file %04X of the PKCS#15 structure answered %04X",
				 files[v->files < n ? v->files : n - 1].fid, r[n - 1].sw);
			return -EBADMSG;
		}
		return 0;
	}
	rc = enrol_read_results(r + CAMPAIGN_P15_FILES, n - CAMPAIGN_P15_FILES, key_id, &v->ev, why, whylen);
	if (rc == -ENOENT)
		return 0;
	if (rc == -ENOSPC) {
		/* the key is there and every certificate FID is taken: the enrolment will say so */
		v->has_key = true;
		return 0;
	}
	if (rc)
		return rc;
	v->has_key = true;
	return 0;
}

/* A file's content: its bytes into \a buf. \returns its length (0: an empty file); -E2BIG */
static int content(unsigned i, const char *label, const uint8_t serial[8], uint8_t *buf, size_t max)
{
	char now[16];
	time_t t = time(NULL);
	struct tm tm;

	switch (files[i].fid) {
	case P15_FID_AODF:
		return p15_encode_aodf(buf, max);
	case P15_FID_TOKENINFO:
		gmtime_r(&t, &tm);
		strftime(now, sizeof(now), "%Y%m%d%H%M%SZ", &tm);
		return p15_encode_tokeninfo(serial, 8, label, now, buf, max);
	case P15_FID_OPENSC_INFO:
		return p15_encode_opensc_info(buf, max);
	case P15_FID_DIR:
		return p15_encode_dir(label, buf, max);
	case P15_FID_ODF:
		return p15_encode_odf(buf, max);
	default:
		return 0;
	}
}

/* CREATE FILE's FCP, as simpki-tool's pki_create() sends it: 23 bytes into \a fci. */
static void fcp(const struct p15_file *f, uint16_t size, uint8_t fci[23])
{
	const uint8_t head[15] = { 0x6f,
				   0x15,
				   0x81,
				   0x02,
				   (uint8_t)(size >> 8),
				   (uint8_t)size,
				   0x82,
				   0x01,
				   f->df ? 0x38 : 0x01,
				   0x83,
				   0x02,
				   (uint8_t)(f->fid >> 8),
				   (uint8_t)f->fid,
				   0x86,
				   0x08 };

	memcpy(fci, head, sizeof(head));
	memcpy(fci + sizeof(head), f->acl, 8);
}

/* The commands of the personalise script from file \a from: 2 or 3 per file (SELECT of the parent, CREATE, and
 * UPDATE BINARY of the content when there is one). */
static size_t personalise_commands(unsigned from, const char *label, const uint8_t serial[8], struct apdu_cmd *c,
				   uint8_t (*fci)[23], uint8_t (*data)[256], int *lens)
{
	size_t n = 0;

	for (unsigned i = from; i < CAMPAIGN_P15_FILES; i++) {
		int len = content(i, label, serial, data[i], 256);
		uint16_t size = files[i].size ? files[i].size : (uint16_t)(len > 0 ? len : 1);

		lens[i] = len;
		if (len < 0)
			return 0;
		fcp(&files[i], size, fci[i]);
		if (files[i].under_mf || files[i].fid == P15_FID_APP)
			c[n++] = cmd(PKI_INS_SELECT, 0x00, 0x0c, NULL, 0, 0); /* the MF */
		else
			c[n++] = cmd(PKI_INS_SELECT, 0x00, 0x0c, fid_bytes[0], 2, 0);
		c[n++] = cmd(PKI_INS_CREATE_FILE, 0, 0, fci[i], 23, 0);
		if (len > 0)
			c[n++] = cmd(PKI_INS_UPDATE_BINARY, 0, 0, data[i], (size_t)len, 0);
	}
	return n;
}

int campaign_script_personalise(unsigned from, const char *label, const uint8_t serial[8], uint8_t *out, size_t max)
{
	struct apdu_cmd c[3 * CAMPAIGN_P15_FILES];
	uint8_t fci[CAMPAIGN_P15_FILES][23], data[CAMPAIGN_P15_FILES][256];
	int lens[CAMPAIGN_P15_FILES];
	size_t n;

	if (from >= CAMPAIGN_P15_FILES || !label)
		return -EINVAL;
	n = personalise_commands(from, label, serial, c, fci, data, lens);
	if (!n)
		return -E2BIG;
	return encode(c, n, out, max);
}

int campaign_personalise_parse(const uint8_t *rsp, size_t len, unsigned from, char *why, size_t whylen)
{
	struct rapdu_result r[3 * CAMPAIGN_P15_FILES];
	size_t n, want = 0;

	if (from >= CAMPAIGN_P15_FILES)
		return -EINVAL;
	for (unsigned i = from; i < CAMPAIGN_P15_FILES; i++)
		want += files[i].df || files[i].fid == P15_FID_PRKDF || files[i].fid == P15_FID_PUKDF ||
					files[i].fid == P15_FID_CDF ?
				2 :
				3; /* SELECT, CREATE and, but for the DF and the empty directory files, UPDATE */
	if (rapdu_expanded_results(rsp, len, r, 3 * CAMPAIGN_P15_FILES, &n) || !n) {
		snprintf(why, whylen, "the PoR's script response does not parse");
		return -EIO;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].sw != 0x9000) {
			snprintf(why, whylen, "command %zu of the personalise script answered %04X%s", i + 1, r[i].sw,
				 r[i].sw == 0x6a84 ? " (the card's memory is full)" :
				 r[i].sw == 0x6984 ? " (a file of the structure exists already)" :
				 r[i].sw == 0x6982 ? " (the issuer's authority is not enough for this card)" :
						     "");
			return r[i].sw == 0x6a84 ? -ENOSPC : -EIO;
		}
	}
	if (n != want) {
		snprintf(why, whylen, "%zu of the personalise script's %zu commands ran", n, want);
		return -EIO;
	}
	return 0;
}

int campaign_script_keygen(enum campaign_alg alg, uint8_t key_ref, uint8_t key_id, const char *label,
			   uint32_t prkdf_used, uint8_t *out, size_t max)
{
	struct p15_object k = { .type = alg == CAMPAIGN_ALG_RSA2048 ? P15_RSA : P15_EC,
				.id = { key_id },
				.id_len = 1,
				.key_ref = key_ref,
				.bits = alg == CAMPAIGN_ALG_RSA2048 ? 2048 : 256,
				.path = { .b = { 0x3f, 0x00, P15_FID_APP >> 8, P15_FID_APP & 0xff }, .len = 4 } };
	uint8_t mse[6] = { 0x80, 0x01, alg == CAMPAIGN_ALG_RSA2048 ? PKI_ALG_GEN_RSA_2048 : PKI_ALG_GEN_EC,
			   0x84, 0x01, key_ref };
	uint8_t entry[256];
	struct apdu_cmd c[4];
	int m;

	if (key_ref > 0x0f || !key_id || prkdf_used > DF_SIZE)
		return -EINVAL;
	snprintf(k.label, sizeof(k.label), "%s", label ? label : "");
	m = p15_encode_private_key(&k, entry, sizeof(entry));
	if (m < 0 || prkdf_used + (uint32_t)m > DF_SIZE)
		return -EINVAL;
	c[0] = cmd(PKI_INS_MSE, 0x41, 0x00, mse, sizeof(mse), 0);
	if (alg == CAMPAIGN_ALG_RSA2048)
		c[1] = cmd(PKI_INS_GENERATE, 0x42, 0x00, NULL, 0, 4096);
	else
		c[1] = cmd(PKI_INS_GENERATE, 0x00, 0x00, pki_p256_params, sizeof(pki_p256_params), 4096);
	c[1].extended = true; /* the public key (up to ~270 bytes) in one answer */
	c[2] = cmd(PKI_INS_SELECT, 0x00, 0x0c, prkdf_fid, 2, 0);
	c[3] = cmd(PKI_INS_UPDATE_BINARY, (uint8_t)(prkdf_used >> 8), (uint8_t)prkdf_used, entry, (size_t)m, 0);
	return encode(c, 4, out, max);
}

int campaign_keygen_parse(const uint8_t *rsp, size_t len, char *why, size_t whylen)
{
	static const char *const what[4] = { "MANAGE SECURITY ENVIRONMENT", "GENERATE ASYMMETRIC KEY PAIR",
					     "SELECT PrKDF", "UPDATE BINARY PrKDF" };
	struct rapdu_result r[4];
	size_t n;

	if (rapdu_expanded_results(rsp, len, r, 4, &n) || !n) {
		snprintf(why, whylen, "the PoR's script response does not parse");
		return -EIO;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].sw == 0x9000)
			continue;
		if (r[i].sw == 0x6a84) {
			snprintf(why, whylen, "the SIM has no room for the key (%s answered 6A84: memory full)",
				 what[i]);
			return -ENOSPC;
		}
		snprintf(why, whylen, "%s answered %04X%s", what[i], r[i].sw,
			 r[i].sw == 0x6a81 || r[i].sw == 0x6a80 ? " (the SIM does not support that key)" :
			 r[i].sw == 0x6982			? " (the issuer's authority is not accepted)" :
								  "");
		return -EIO;
	}
	if (n != 4 || r[1].len < 4 || r[1].data[0] != 0x7f || r[1].data[1] != 0x49) {
		snprintf(why, whylen, "%zu of the keygen script's 4 commands ran, or no public key came back", n);
		return -EIO;
	}
	return 0;
}
