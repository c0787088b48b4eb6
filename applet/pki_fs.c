/* The PKI applet's ISO 7816-4 file system: SELECT FILE, CREATE FILE, DELETE FILE, READ and UPDATE BINARY,
 * and the security attributes (FCI tag 86) that guard them.
 *
 * Files live in the root object's file table (pki.h). FIDs are unique across the whole card, and SELECT with
 * P1=00 or DELETE FILE find a FID anywhere, as IsoApplet does. A file's FCI is kept exactly as CREATE FILE
 * sent it and returned by SELECT. Tag 86 holds 8 bytes: sa[0] is FF, then one condition byte per operation
 * (ACL_* below): 00 always, 90 or (b & 0x9F) == 0x10 after PIN verification, anything else never.
 */
#include <errno.h>
#include <string.h>

#include "pki.h"

#define ACL_DELETE_SELF 1
#define ACL_CREATE_DF 5 /* DF */
#define ACL_CREATE_EF 6 /* DF */
#define ACL_UPDATE 6	/* EF */
#define ACL_READ 7	/* EF */

#define MF_FID 0x3f00
#define EF_MAX_SIZE 0x7fff
#define EF_DEFAULT_SIZE 128

static const uint8_t mf_fci[] = { 0x6f, 0x07, 0x82, 0x01, 0x38, 0x83, 0x02, 0x3f, 0x00 };

static struct pki_ram *ram(struct card_ctx *c)
{
	return card_transient(c);
}

static bool file_get(struct card_ctx *c, unsigned idx, struct pki_file *f)
{
	const uint8_t *e;

	if (idx >= PKI_FILES)
		return false;
	e = pki_root(c) + ROOT_FILES + idx * FILE_ENTRY;
	f->fid = pki_rd16(e);
	f->parent = e[2];
	f->flags = e[3];
	f->obj = pki_rd16(e + 4);
	return f->flags & PKI_F_USED;
}

static int file_put(struct card_ctx *c, unsigned idx, const struct pki_file *f)
{
	uint8_t e[FILE_ENTRY] = { 0 };

	if (f) {
		pki_wr16(e, f->fid);
		e[2] = f->parent;
		e[3] = f->flags;
		pki_wr16(e + 4, f->obj);
	}
	return card_obj_write(c, card_root(c), ROOT_FILES + idx * FILE_ENTRY, e, sizeof(e));
}

/* The stored FCI (with its 62/6F header) and the content of a file. */
static const uint8_t *file_fci(struct card_ctx *c, const struct pki_file *f, uint32_t *fci_len)
{
	uint32_t size;
	const uint8_t *p = card_obj_view(c, f->obj, &size);

	if (!p || !size || p[0] > size - 1) {
		*fci_len = 0;
		return NULL;
	}
	*fci_len = p[0];
	return p + 1;
}

static const uint8_t *file_content(struct card_ctx *c, const struct pki_file *f, uint32_t *len)
{
	uint32_t size;
	const uint8_t *p = card_obj_view(c, f->obj, &size);

	if (!p || !size || p[0] > size - 1) {
		*len = 0;
		return NULL;
	}
	*len = size - 1 - p[0];
	return p + 1 + p[0];
}

const uint8_t *pki_fs_ef_content(struct card_ctx *c, unsigned idx, uint32_t *len)
{
	struct pki_file f;

	*len = 0;
	if (!file_get(c, idx, &f) || (f.flags & PKI_F_DF))
		return NULL;
	return file_content(c, &f, len);
}

/* An inner tag of the FCI. */
static int fci_tag(struct card_ctx *c, const struct pki_file *f, uint32_t tag, struct card_tlv *t)
{
	uint32_t len;
	const uint8_t *fci = file_fci(c, f, &len);
	struct card_tlv outer;

	if (!fci || card_tlv_parse(fci, len, &outer))
		return -EINVAL;
	return card_tlv_find(outer.value, outer.len, tag, t);
}

/* 0 if the operation is allowed now, or the status word that refuses it. */
static int acl_check(struct card_ctx *c, const struct pki_file *f, unsigned op)
{
	struct card_tlv sa;
	uint8_t b;

	if (fci_tag(c, f, 0x86, &sa))
		return 0; /* no security attributes: everything allowed */
	if (sa.len != 8)
		return SW_SECURITY_NOT_SATISFIED;
	b = sa.value[op];
	if (b == 0x00)
		return 0;
	if ((b == 0x90 || (b & 0x9f) == 0x10) && (ram(c)->fs_user_auth || ram(c)->issuer))
		return 0;
	return SW_SECURITY_NOT_SATISFIED;
}

static int find_fid(struct card_ctx *c, uint16_t fid)
{
	struct pki_file f;

	for (unsigned i = 0; i < PKI_FILES; i++) {
		if (file_get(c, i, &f) && f.fid == fid)
			return (int)i;
	}
	return -1;
}

static int find_child(struct card_ctx *c, unsigned parent, uint16_t fid)
{
	struct pki_file f;

	for (unsigned i = 0; i < PKI_FILES; i++) {
		if (file_get(c, i, &f) && f.fid == fid && f.parent == parent && i != parent)
			return (int)i;
	}
	return -1;
}

static int find_df_name(struct card_ctx *c, const uint8_t *name, uint32_t len)
{
	struct pki_file f;
	struct card_tlv t;

	for (unsigned i = 0; i < PKI_FILES; i++) {
		if (file_get(c, i, &f) && (f.flags & PKI_F_DF) && !fci_tag(c, &f, 0x84, &t) && t.len == len &&
		    !memcmp(t.value, name, len))
			return (int)i;
	}
	return -1;
}

/* Make file \a idx current: a DF becomes the current DF, an EF the current EF under its parent. */
static void make_current(struct card_ctx *c, unsigned idx)
{
	struct pki_file f;

	file_get(c, idx, &f);
	if (f.flags & PKI_F_DF) {
		ram(c)->cur_df = (uint8_t)idx;
		ram(c)->cur_ef = PKI_NO_FILE;
	} else {
		ram(c)->cur_df = f.parent;
		ram(c)->cur_ef = (uint8_t)idx;
	}
}

int pki_fs_install(struct card_ctx *c)
{
	struct pki_file mf = { .fid = MF_FID, .parent = PKI_NO_FILE, .flags = PKI_F_USED | PKI_F_DF };
	uint8_t obj[1 + sizeof(mf_fci)];
	int rc;

	obj[0] = sizeof(mf_fci);
	memcpy(obj + 1, mf_fci, sizeof(mf_fci));
	rc = card_tx_begin(c);
	if (!rc)
		rc = card_obj_alloc(c, sizeof(obj), &mf.obj);
	if (!rc)
		rc = card_obj_write(c, mf.obj, 0, obj, sizeof(obj));
	if (!rc)
		rc = file_put(c, 0, &mf);
	if (rc) {
		card_tx_abort(c);
		return rc;
	}
	return card_tx_commit(c);
}

void pki_fs_reset(struct card_ctx *c)
{
	ram(c)->cur_df = 0;
	ram(c)->cur_ef = PKI_NO_FILE;
}

void pki_fs_describe(struct card_ctx *c, struct card_info *info)
{
	struct pki_file f, parent;
	uint32_t size;

	for (unsigned i = 0; i < PKI_FILES; i++) {
		if (!file_get(c, i, &f))
			continue;
		if (!file_get(c, f.parent, &parent))
			parent.fid = 0;
		if (f.flags & PKI_F_DF) {
			card_info_line(info, "file %04X: DF", f.fid);
		} else {
			file_content(c, &f, &size);
			card_info_line(info, "file %04X: EF under %04X, %u bytes", f.fid, parent.fid, size);
		}
	}
}

/* SELECT by path: FIDs from \a start, each a child of the one before (a leading 3F00 names the MF). */
static int select_path(struct card_ctx *c, unsigned start, const uint8_t *path, uint32_t len)
{
	int idx = (int)start;

	for (uint32_t i = 0; i + 1 < len && idx >= 0; i += 2) {
		uint16_t fid = (uint16_t)(path[i] << 8 | path[i + 1]);

		if (i == 0 && start == 0 && fid == MF_FID)
			continue;
		idx = find_child(c, (unsigned)idx, fid);
	}
	return idx;
}

int pki_select_file(struct card_ctx *c, struct card_apdu *a)
{
	struct pki_file f;
	uint32_t fci_len;
	const uint8_t *fci;
	int idx = -1;

	if ((a->p2 & 0xf3) || a->p2 == 0x08)
		return SW_INCORRECT_P1P2;
	switch (a->p1) {
	case 0x00:
		if (a->lc == 0)
			idx = 0;
		else if (a->lc == 2)
			idx = find_fid(c, (uint16_t)(a->data[0] << 8 | a->data[1]));
		else
			return SW_WRONG_LENGTH;
		break;
	case 0x01:
	case 0x02:
		if (a->lc != 2)
			return SW_WRONG_LENGTH;
		idx = find_child(c, ram(c)->cur_df, (uint16_t)(a->data[0] << 8 | a->data[1]));
		if (idx >= 0 && file_get(c, (unsigned)idx, &f) && !!(f.flags & PKI_F_DF) != (a->p1 == 0x01))
			idx = -1;
		break;
	case 0x03:
		if (a->lc)
			return SW_WRONG_LENGTH;
		file_get(c, ram(c)->cur_df, &f);
		idx = f.parent == PKI_NO_FILE ? -1 : f.parent;
		break;
	case 0x04:
		if (!a->lc)
			return SW_WRONG_LENGTH;
		idx = find_df_name(c, a->data, a->lc);
		break;
	case 0x08:
	case 0x09:
		if (!a->lc || a->lc % 2)
			return SW_WRONG_LENGTH;
		idx = select_path(c, a->p1 == 0x08 ? 0 : ram(c)->cur_df, a->data, a->lc);
		break;
	default:
		return SW_INCORRECT_P1P2;
	}
	if (idx < 0 || !file_get(c, (unsigned)idx, &f))
		return SW_FILE_NOT_FOUND;
	make_current(c, (unsigned)idx);
	if (a->p2 == 0x0c)
		return SW_OK;
	fci = file_fci(c, &f, &fci_len);
	if (fci) {
		memcpy(a->resp, fci, fci_len);
		a->resp_len = fci_len;
	}
	return SW_OK;
}

/* Kind of file from the file descriptor byte: 1 DF, 2 transparent EF, 3 record EF, 0 invalid. */
static int fdb_kind(uint8_t b)
{
	if ((b & 0x3f) == 0x38)
		return 1;
	if ((b & 0x30) == 0 && (b & 0x07) == 1)
		return 2;
	if ((b & 0x30) == 0 && (b & 0x07) >= 2)
		return 3;
	return 0;
}

/* Check CREATE FILE's FCI; fills the new file's FID and flags and its content size. \returns 0 or a SW */
static int parse_new_fci(struct card_ctx *c, const struct card_apdu *a, struct pki_file *nf, uint32_t *size)
{
	struct card_tlv outer, t;
	int kind;

	if (card_tlv_parse(a->data, a->lc, &outer) || outer.total != a->lc ||
	    (outer.tag != 0x62 && outer.tag != 0x6f) || card_tlv_check(outer.value, outer.len))
		return SW_DATA_INVALID;
	if (card_tlv_find(outer.value, outer.len, 0x83, &t) || t.len != 2)
		return SW_DATA_INVALID;
	nf->fid = (uint16_t)(t.value[0] << 8 | t.value[1]);
	if (card_tlv_find(outer.value, outer.len, 0x82, &t) || t.len < 1 || t.len > 6 || !(kind = fdb_kind(t.value[0])))
		return SW_DATA_INVALID;
	if (!card_tlv_find(outer.value, outer.len, 0x86, &t) && t.len != 8)
		return SW_DATA_INVALID;
	*size = EF_DEFAULT_SIZE;
	if (!card_tlv_find(outer.value, outer.len, 0x81, &t)) {
		if (t.len == 1)
			*size = t.value[0];
		else if (t.len == 2)
			*size = (uint32_t)(t.value[0] << 8 | t.value[1]);
		else
			return SW_DATA_INVALID;
	}
	if (kind == 1)
		*size = 0; /* a DF's size is nominal: it holds no content */
	else if (*size > EF_MAX_SIZE)
		return SW_DATA_INVALID;
	if (nf->fid == MF_FID || nf->fid == 0xffff || find_fid(c, nf->fid) >= 0)
		return SW_DATA_INVALID;
	nf->flags = PKI_F_USED | (kind == 1 ? PKI_F_DF : 0);
	return 0;
}

int pki_create_file(struct card_ctx *c, struct card_apdu *a)
{
	struct pki_file parent, nf;
	uint32_t size;
	unsigned slot;
	uint8_t len;
	int sw, rc;

	if (a->p1 || a->p2)
		return SW_INCORRECT_P1P2;
	if (!a->lc || a->lc > 255)
		return SW_WRONG_LENGTH;
	sw = parse_new_fci(c, a, &nf, &size);
	if (sw)
		return sw;
	file_get(c, ram(c)->cur_df, &parent);
	sw = acl_check(c, &parent, (nf.flags & PKI_F_DF) ? ACL_CREATE_DF : ACL_CREATE_EF);
	if (sw)
		return sw;
	for (slot = 1; slot < PKI_FILES; slot++) {
		struct pki_file f;

		if (!file_get(c, slot, &f))
			break;
	}
	if (slot == PKI_FILES)
		return SW_FILE_FULL;
	nf.parent = ram(c)->cur_df;

	len = (uint8_t)a->lc;
	rc = card_tx_begin(c);
	if (!rc)
		rc = card_obj_alloc(c, 1 + a->lc + size, &nf.obj);
	if (!rc)
		rc = card_obj_write(c, nf.obj, 0, &len, 1);
	if (!rc)
		rc = card_obj_write(c, nf.obj, 1, a->data, a->lc);
	if (!rc)
		rc = file_put(c, slot, &nf);
	if (!rc)
		rc = card_tx_commit(c);
	if (rc) {
		card_tx_abort(c);
		return pki_sw_from_errno(rc);
	}
	make_current(c, slot);
	return SW_OK;
}

int pki_delete_file(struct card_ctx *c, struct card_apdu *a)
{
	bool doomed[PKI_FILES] = { false };
	struct pki_file f;
	bool grew = true;
	int idx, sw, rc;

	if (a->p1 || a->p2)
		return SW_INCORRECT_P1P2;
	if (a->lc != 2)
		return SW_WRONG_LENGTH;
	idx = find_fid(c, (uint16_t)(a->data[0] << 8 | a->data[1]));
	if (idx < 0)
		return SW_FILE_NOT_FOUND;
	if (idx == 0)
		return SW_COMMAND_NOT_ALLOWED_NO_EF;
	file_get(c, (unsigned)idx, &f);
	sw = acl_check(c, &f, ACL_DELETE_SELF);
	if (sw)
		return sw;
	/* A DF goes with everything under it. */
	doomed[idx] = true;
	while (grew) {
		struct pki_file g;

		grew = false;
		for (unsigned i = 1; i < PKI_FILES; i++) {
			if (!doomed[i] && file_get(c, i, &g) && g.parent < PKI_FILES && doomed[g.parent])
				doomed[i] = grew = true;
		}
	}
	rc = card_tx_begin(c);
	for (unsigned i = 1; i < PKI_FILES && !rc; i++) {
		struct pki_file g;

		if (!doomed[i] || !file_get(c, i, &g))
			continue;
		rc = card_obj_free(c, g.obj);
		if (!rc)
			rc = file_put(c, i, NULL);
	}
	if (!rc)
		rc = card_tx_commit(c);
	if (rc) {
		card_tx_abort(c);
		return pki_sw_from_errno(rc);
	}
	ram(c)->cur_df = f.parent;
	ram(c)->cur_ef = PKI_NO_FILE;
	return SW_OK;
}

/* The current EF for READ/UPDATE BINARY, or the status word why there is none. */
static int current_ef(struct card_ctx *c, const struct card_apdu *a, struct pki_file *f, uint32_t *offset)
{
	struct card_tlv t;

	if (a->p1 & 0x80)
		return SW_FUNC_NOT_SUPPORTED; /* short EF identifier */
	*offset = (uint32_t)((a->p1 & 0x7f) << 8 | a->p2);
	if (ram(c)->cur_ef == PKI_NO_FILE || !file_get(c, ram(c)->cur_ef, f))
		return SW_COMMAND_NOT_ALLOWED_NO_EF;
	if (fci_tag(c, f, 0x82, &t) || t.len < 1 || fdb_kind(t.value[0]) != 2)
		return SW_FILE_INCOMPATIBLE;
	return 0;
}

int pki_read_binary(struct card_ctx *c, struct card_apdu *a)
{
	struct pki_file f;
	uint32_t off, size, n;
	const uint8_t *data;
	int sw;

	if (a->lc)
		return SW_WRONG_LENGTH;
	sw = current_ef(c, a, &f, &off);
	if (!sw)
		sw = acl_check(c, &f, ACL_READ);
	if (sw)
		return sw;
	data = file_content(c, &f, &size);
	if (off >= size)
		return SW_WRONG_P1P2;
	n = size - off < a->ne ? size - off : a->ne;
	if (n > a->resp_max)
		n = a->resp_max;
	memcpy(a->resp, data + off, n);
	a->resp_len = n;
	return SW_OK;
}

int pki_update_binary(struct card_ctx *c, struct card_apdu *a)
{
	struct pki_file f;
	uint32_t off, size, fci_len;
	int sw, rc;

	if (!a->lc)
		return SW_WRONG_LENGTH;
	sw = current_ef(c, a, &f, &off);
	if (!sw)
		sw = acl_check(c, &f, ACL_UPDATE);
	if (sw)
		return sw;
	file_content(c, &f, &size);
	if ((uint64_t)off + a->lc > size)
		return SW_WRONG_P1P2;
	file_fci(c, &f, &fci_len);
	rc = card_obj_write(c, f.obj, 1 + fci_len + off, a->data, a->lc);
	return rc ? pki_sw_from_errno(rc) : SW_OK;
}
