/* The UICC basic file system for remote file management; tree, layout and commands in uicc_fs.h. */
#include <errno.h>
#include <string.h>

#include <simpki/card_sw.h>

#include "heap.h"
#include "uicc_fs.h"

#define SW_RECORD_NOT_FOUND 0x6a83

enum ftype {
	F_MF,
	F_DF,
	F_TRANSPARENT,
	F_LINEAR,
};

struct file {
	uint16_t fid;
	uint8_t parent; /* index; the MF is its own parent */
	uint8_t type;
	uint8_t size;	 /* transparent: bytes; linear fixed: record length */
	uint8_t records; /* linear fixed */
	uint8_t off;	 /* in the content object */
};

enum {
	I_MF,
	I_ICCID,
	I_TELECOM,
	I_MSISDN,
	I_GSM,
	I_IMSI,
	I_AD,
	I_COUNT,
};

#define MSISDN_REC 28
#define MSISDN_ALPHA 14

static const struct file files[I_COUNT] = {
	[I_MF] = { 0x3f00, I_MF, F_MF, 0, 0, 0 },
	[I_ICCID] = { 0x2fe2, I_MF, F_TRANSPARENT, 10, 0, 0 },
	[I_TELECOM] = { 0x7f10, I_MF, F_DF, 0, 0, 0 },
	[I_MSISDN] = { 0x6f40, I_TELECOM, F_LINEAR, MSISDN_REC, 2, 10 },
	[I_GSM] = { 0x7f20, I_MF, F_DF, 0, 0, 0 },
	[I_IMSI] = { 0x6f07, I_GSM, F_TRANSPARENT, 9, 0, 66 },
	[I_AD] = { 0x6fad, I_GSM, F_TRANSPARENT, 4, 0, 75 },
};

static bool is_df(unsigned i)
{
	return files[i].type == F_MF || files[i].type == F_DF;
}

static unsigned ef_bytes(unsigned i)
{
	return files[i].type == F_LINEAR ? (unsigned)files[i].size * files[i].records : files[i].size;
}

/* ---- encodings ------------------------------------------------------------------------------------------------ */

/* Digits into swapped BCD, F-padded to \a len bytes. */
static void bcd_put(uint8_t *out, size_t len, const char *digits)
{
	size_t n = strlen(digits);

	memset(out, 0xff, len);
	for (size_t i = 0; i < n && i / 2 < len; i++) {
		uint8_t d = (uint8_t)(digits[i] - '0');

		out[i / 2] = (i % 2) ? (uint8_t)((out[i / 2] & 0x0f) | d << 4) : (uint8_t)(0xf0 | d);
	}
}

/* Swapped BCD into digits, stopping at the first F; \returns false for a nibble that is not a digit. */
static bool bcd_get(const uint8_t *in, size_t len, size_t skip_first, char *out, size_t max)
{
	size_t k = 0;

	for (size_t i = skip_first; i < 2 * len; i++) {
		uint8_t d = (i % 2) ? in[i / 2] >> 4 : in[i / 2] & 0x0f;

		if (d == 0xf)
			break;
		if (d > 9 || k + 1 >= max)
			return false;
		out[k++] = (char)('0' + d);
	}
	out[k] = '\0';
	return true;
}

static void imsi_put(uint8_t out[9], const char *imsi)
{
	size_t n = strlen(imsi);
	char shifted[17];

	memset(out, 0xff, 9);
	if (!n)
		return;
	/* digit 1 shares the second byte with the parity nibble: encode "P" + digits with P the parity/type */
	shifted[0] = '0';
	memcpy(shifted + 1, imsi, n + 1);
	out[0] = (uint8_t)((n + 2) / 2);
	bcd_put(out + 1, 8, shifted);
	out[1] = (uint8_t)((out[1] & 0xf0) | (n % 2 ? 0x9 : 0x1));
}

static void msisdn_put(uint8_t rec[MSISDN_REC], const char *msisdn)
{
	size_t n = strlen(msisdn);

	memset(rec, 0xff, MSISDN_REC);
	if (!n)
		return;
	rec[MSISDN_ALPHA] = (uint8_t)(1 + (n + 1) / 2);
	rec[MSISDN_ALPHA + 1] = 0x91; /* international number, ISDN numbering plan */
	bcd_put(rec + MSISDN_ALPHA + 2, 10, msisdn);
}

int uicc_fs_format(struct nvm *n, const struct card_identity *id, card_obj_t *out)
{
	uint8_t c[UICC_FS_CONTENT_SIZE];
	card_obj_t h;
	struct heap_obj o;
	int rc;

	memset(c, 0xff, sizeof(c));
	bcd_put(c + files[I_ICCID].off, 10, id->iccid);
	msisdn_put(c + files[I_MSISDN].off, id->msisdn);
	imsi_put(c + files[I_IMSI].off, id->imsi);
	memcpy(c + files[I_AD].off, "\x00\x00\x00\x02", 4);
	rc = heap_alloc(n, HEAP_OWNER_OS, HEAP_KIND_DATA, sizeof(c), 0, &h);
	if (!rc)
		rc = heap_get(n, h, &o);
	if (!rc)
		rc = nvm_write(n, o.off, c, sizeof(c));
	if (!rc)
		*out = h;
	return rc;
}

static const uint8_t *content(const struct nvm *n, card_obj_t obj)
{
	struct heap_obj o;

	if (heap_get(n, obj, &o) || o.owner != HEAP_OWNER_OS || o.size < UICC_FS_CONTENT_SIZE)
		return NULL;
	return nvm_data(n) + o.off;
}

void uicc_fs_identity(const struct nvm *n, card_obj_t obj, struct card_identity *id)
{
	const uint8_t *c = content(n, obj);
	const uint8_t *imsi, *rec;

	memset(id, 0, sizeof(*id));
	if (!c)
		return;
	if (!bcd_get(c + files[I_ICCID].off, 10, 0, id->iccid, sizeof(id->iccid)))
		id->iccid[0] = '\0';
	imsi = c + files[I_IMSI].off;
	if (imsi[0] >= 1 && imsi[0] <= 8 && !bcd_get(imsi + 1, imsi[0], 1, id->imsi, sizeof(id->imsi)))
		id->imsi[0] = '\0';
	rec = c + files[I_MSISDN].off + MSISDN_ALPHA;
	if (rec[0] >= 2 && rec[0] <= 11 && !bcd_get(rec + 2, rec[0] - 1u, 0, id->msisdn, sizeof(id->msisdn)))
		id->msisdn[0] = '\0';
}

/* ---- commands ------------------------------------------------------------------------------------------------- */

void uicc_fs_session_start(struct uicc_fs_session *s)
{
	s->df = I_MF;
	s->ef = 0xff;
	s->rec = 0;
}

int uicc_fs_case(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2)
{
	(void)p1, (void)p2;
	if (cla != 0x00 && cla != 0xa0)
		return 0;
	switch (ins) {
	case 0xb0: /* READ BINARY */
	case 0xb2: /* READ RECORD */
	case 0xc0: /* GET RESPONSE */
		return 2;
	case 0xa4: /* SELECT */
	case 0xd6: /* UPDATE BINARY */
	case 0xdc: /* UPDATE RECORD */
		return 3;
	}
	return 0;
}

static int find_child(unsigned parent, uint16_t fid)
{
	for (unsigned i = 1; i < I_COUNT; i++) {
		if (files[i].parent == parent && files[i].fid == fid)
			return (int)i;
	}
	return -1;
}

/* SELECT by FID from the current DF: the MF, the DF itself, a child, the parent, or a DF under the MF. */
static int find_fid(unsigned df, uint16_t fid)
{
	int i;

	if (fid == 0x3f00)
		return I_MF;
	if (fid == files[df].fid)
		return (int)df;
	i = find_child(df, fid);
	if (i >= 0)
		return i;
	if (fid == files[files[df].parent].fid)
		return files[df].parent;
	i = find_child(I_MF, fid);
	return i >= 0 && is_df((unsigned)i) ? i : -1;
}

static size_t fcp(unsigned i, uint8_t *out)
{
	const struct file *f = &files[i];
	size_t n = 2;

	out[0] = 0x62;
	out[n++] = 0x82;
	if (f->type == F_LINEAR) {
		memcpy(out + n, (const uint8_t[]){ 0x05, 0x42, 0x21, 0x00, f->size, f->records }, 6);
		n += 6;
	} else {
		out[n++] = 0x02;
		out[n++] = is_df(i) ? 0x78 : 0x41;
		out[n++] = 0x21;
	}
	memcpy(out + n, (const uint8_t[]){ 0x83, 0x02, (uint8_t)(f->fid >> 8), (uint8_t)f->fid, 0x8a, 0x01, 0x05 }, 7);
	n += 7;
	if (!is_df(i)) {
		memcpy(out + n, (const uint8_t[]){ 0x80, 0x02, 0x00, (uint8_t)ef_bytes(i) }, 4);
		n += 4;
	}
	out[1] = (uint8_t)(n - 2);
	return n;
}

static uint16_t do_select(struct uicc_fs_session *s, const struct apdu_cmd *cmd, uint8_t *resp, size_t *resp_len)
{
	int i = -1;
	unsigned at;

	if (cmd->p2 != 0x04 && cmd->p2 != 0x0c && cmd->p2 != 0x00)
		return SW_INCORRECT_P1P2;
	if (!cmd->lc || cmd->lc % 2)
		return SW_WRONG_LENGTH;
	if (cmd->p1 == 0x00) {
		if (cmd->lc != 2)
			return SW_WRONG_LENGTH;
		i = find_fid(s->df, (uint16_t)(cmd->data[0] << 8 | cmd->data[1]));
	} else if (cmd->p1 == 0x08 || cmd->p1 == 0x09) {
		at = cmd->p1 == 0x08 ? I_MF : s->df;
		for (uint32_t k = 0; k < cmd->lc; k += 2) {
			uint16_t fid = (uint16_t)(cmd->data[k] << 8 | cmd->data[k + 1]);

			if (!is_df(at)) {
				i = -1;
				break;
			}
			i = (k == 0 && cmd->p1 == 0x08 && fid == 0x3f00) ? I_MF : find_child(at, fid);
			if (i < 0)
				break;
			at = (unsigned)i;
		}
	} else {
		return SW_INCORRECT_P1P2;
	}
	if (i < 0)
		return SW_FILE_NOT_FOUND;
	if (is_df((unsigned)i)) {
		s->df = (uint8_t)i;
		s->ef = 0xff;
	} else {
		s->df = files[i].parent;
		s->ef = (uint8_t)i;
	}
	s->rec = 0;
	if (cmd->p2 == 0x04)
		*resp_len = fcp((unsigned)i, resp);
	return SW_OK;
}

static uint16_t do_binary(struct nvm *n, card_obj_t obj, struct uicc_fs_session *s, const struct apdu_cmd *cmd,
			  uint8_t *resp, size_t *resp_len)
{
	const uint8_t *c = content(n, obj);
	const struct file *f;
	struct heap_obj o;
	uint32_t off = (uint32_t)(cmd->p1 << 8 | cmd->p2);

	if (cmd->p1 & 0x80)
		return SW_INCORRECT_P1P2; /* short file identifiers are not supported */
	if (s->ef == 0xff)
		return SW_COMMAND_NOT_ALLOWED_NO_EF;
	f = &files[s->ef];
	if (f->type != F_TRANSPARENT)
		return SW_FILE_INCOMPATIBLE;
	if (off >= f->size)
		return SW_WRONG_P1P2;
	if (!c || heap_get(n, obj, &o))
		return SW_UNKNOWN;
	if (cmd->ins == 0xb0) {
		if (cmd->lc || !cmd->ne)
			return SW_WRONG_LENGTH;
		if (cmd->ne > f->size - off)
			return (uint16_t)SW_CORRECT_LENGTH(f->size - off);
		memcpy(resp, c + f->off + off, cmd->ne);
		*resp_len = cmd->ne;
		return SW_OK;
	}
	if (!cmd->lc || cmd->ne || cmd->lc > f->size - off)
		return SW_WRONG_LENGTH;
	return nvm_write(n, o.off + f->off + off, cmd->data, cmd->lc) ? SW_MEMORY_FAILURE : SW_OK;
}

static uint16_t do_record(struct nvm *n, card_obj_t obj, struct uicc_fs_session *s, const struct apdu_cmd *cmd,
			  uint8_t *resp, size_t *resp_len)
{
	const uint8_t *c = content(n, obj);
	const struct file *f;
	struct heap_obj o;
	unsigned rec;

	if (s->ef == 0xff)
		return SW_COMMAND_NOT_ALLOWED_NO_EF;
	f = &files[s->ef];
	if (f->type != F_LINEAR)
		return SW_FILE_INCOMPATIBLE;
	if (cmd->p2 != 0x04)
		return SW_INCORRECT_P1P2; /* absolute or current record only */
	rec = cmd->p1 ? cmd->p1 : s->rec;
	if (!rec || rec > f->records)
		return SW_RECORD_NOT_FOUND;
	if (!c || heap_get(n, obj, &o))
		return SW_UNKNOWN;
	if (cmd->ins == 0xb2) {
		if (cmd->lc || !cmd->ne)
			return SW_WRONG_LENGTH;
		if (cmd->ne != f->size)
			return (uint16_t)SW_CORRECT_LENGTH(f->size);
		memcpy(resp, c + f->off + (rec - 1) * f->size, f->size);
		*resp_len = f->size;
		s->rec = (uint8_t)rec;
		return SW_OK;
	}
	if (cmd->lc != f->size || cmd->ne)
		return SW_WRONG_LENGTH;
	if (nvm_write(n, o.off + f->off + (rec - 1) * f->size, cmd->data, cmd->lc))
		return SW_MEMORY_FAILURE;
	s->rec = (uint8_t)rec;
	return SW_OK;
}

uint16_t uicc_fs_command(struct nvm *n, card_obj_t obj, struct uicc_fs_session *s, const struct apdu_cmd *cmd,
			 uint8_t *resp, size_t *resp_len)
{
	*resp_len = 0;
	if (cmd->cla != 0x00 && cmd->cla != 0xa0)
		return SW_CLA_NOT_SUPPORTED;
	switch (cmd->ins) {
	case 0xa4:
		return do_select(s, cmd, resp, resp_len);
	case 0xb0:
	case 0xd6:
		return do_binary(n, obj, s, cmd, resp, resp_len);
	case 0xb2:
	case 0xdc:
		return do_record(n, obj, s, cmd, resp, resp_len);
	default:
		return SW_INS_NOT_SUPPORTED;
	}
}
