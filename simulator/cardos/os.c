/* The card OS: installation, power, and APDU dispatch (parsing, logical channel, chaining, SELECT by AID,
 * GET RESPONSE). Host contract in cardos.h; the applets' side in include/simpki/card*.h.
 *
 * Dispatch order for one command, chosen so that a command the OS refuses changes nothing:
 *   1. parse (malformed: 6700)   2. CLA (FF: 6E00; logical channel other than 0: 6881)
 *   3. GET RESPONSE (00 C0) serves pending response data; any other command that got this far drops it
 *   4. chaining: a block with CLA bit 0x10 is kept (9000) if the selected applet accepts chaining for it;
 *      a different command in the middle of a chain ends the chain with 6900, except a SELECT of an installed
 *      applet, which ends the chain and runs
 *   5. SELECT by AID (00 A4 04 xx) of an installed applet selects it; an unknown AID goes to the selected
 *      applet, or gets 6A82 when none is selected
 *   6. the selected applet's process(); a transaction it left open is aborted
 *   7. response data longer than Ne (256 in short form) leaves in pieces through 61xx and GET RESPONSE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include <simpki/apdu.h>
#include <simpki/bytes.h>
#include <simpki/ident.h>

#include "admin_agent.h"
#include "applets.h"
#include "cardos_debug.h"
#include "os_internal.h"
#include "ota_re.h"

#define INS_GET_RESPONSE 0xc0
#define INS_SELECT 0xa4
#define INS_MANAGE_CHANNEL 0x70

/* ---- identity ------------------------------------------------------------------------------------------------ */

int card_identity_check(const struct card_identity *id, char *err, size_t errlen)
{
	int rc = ident_iccid_check(id->iccid, err, errlen);

	if (rc)
		return rc;
	if (id->imsi[0] && !ident_digits(id->imsi, 6, 15)) {
		snprintf(err, errlen, "IMSI must be 6 to 15 digits");
		return -EINVAL;
	}
	if (id->msisdn[0] && !ident_digits(id->msisdn, 1, 15)) {
		snprintf(err, errlen, "MSISDN must be 1 to 15 digits (international number, no '+')");
		return -EINVAL;
	}
	return 0;
}

/* ---- installation -------------------------------------------------------------------------------------------- */

/* Write a length-prefixed field of the OS block (heap.h) at offset \a off of \a blk. */
static void put_field(uint8_t *blk, size_t off, const void *v, size_t len)
{
	blk[off] = (uint8_t)len;
	memcpy(blk + off + 1, v, len);
}

static int write_os_info(struct nvm *n, const struct manifest *m, const struct card_identity *id)
{
	uint8_t blk[107]; /* OS block bytes 0..106; the first 20 are heap_format()'s */

	memcpy(blk, nvm_data(n) + HEAP_OS_BLOCK, 20);
	memset(blk + 20, 0, sizeof(blk) - 20);
	put_field(blk, 20, m->atr, m->atr_len);
	put_field(blk, 54, id->iccid, strlen(id->iccid));
	put_field(blk, 75, id->imsi, strlen(id->imsi));
	put_field(blk, 91, id->msisdn, strlen(id->msisdn));
	return nvm_write(n, HEAP_OS_BLOCK + 20, blk + 20, sizeof(blk) - 20);
}

static uint32_t applet_entry(unsigned idx)
{
	return HEAP_APPLET_TABLE + idx * HEAP_APPLET_ENTRY;
}

static void applet_entry_decode(const uint8_t *e, struct manifest_applet *a, card_obj_t *root)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->name, e, MANIFEST_NAME_MAX);
	a->aid_len = e[16] <= 16 ? e[16] : 0;
	memcpy(a->aid, e + 17, a->aid_len);
	a->has_tar = e[33];
	memcpy(a->tar, e + 34, 3);
	a->msl = e[37];
	a->has_tk_tar = e[52];
	memcpy(a->tk_tar, e + 53, 3);
	a->tk_msl = e[56];
	a->ram = get_le32(e + 40);
	a->nvm = get_le32(e + 44);
	*root = get_le16(e + 48);
}

static int write_applet_entry(struct nvm *n, unsigned idx, const struct manifest_applet *a, card_obj_t root)
{
	uint8_t e[HEAP_APPLET_ENTRY] = { 0 };

	memcpy(e, a->name, strlen(a->name));
	e[16] = a->aid_len;
	memcpy(e + 17, a->aid, a->aid_len);
	e[33] = a->has_tar;
	memcpy(e + 34, a->tar, 3);
	e[37] = a->msl;
	e[52] = a->has_tk_tar;
	memcpy(e + 53, a->tk_tar, 3);
	e[56] = a->tk_msl;
	put_le32(e + 40, a->ram);
	put_le32(e + 44, a->nvm);
	put_le16(e + 48, root);
	return nvm_write(n, applet_entry(idx), e, sizeof(e));
}

static int install_applet(struct card_os *os, unsigned idx, const struct manifest_applet *a, char *err, size_t errlen)
{
	const struct card_applet *app = os->applets[idx];
	card_obj_t root;
	int rc;

	rc = heap_alloc(os->nvm, (uint8_t)(idx + 1), HEAP_KIND_DATA, app->root_size ? app->root_size : 4, a->nvm,
			&root);
	if (!rc)
		rc = write_applet_entry(os->nvm, idx, a, root);
	if (!rc && app->install)
		rc = app->install(&os->ctx[idx]);
	if (rc)
		snprintf(err, errlen, "installing applet %s failed: %s", a->name,
			 rc == -ENOSPC ? "its NVM budget is too small" : strerror(-rc));
	return rc;
}

/* Check that every applet the manifest names is linked and fits its RAM budget. */
static int check_applets(const struct manifest *m, char *err, size_t errlen)
{
	for (unsigned i = 0; i < m->napplets; i++) {
		const struct card_applet *app = card_applet_lookup(m->applets[i].name);

		if (!app) {
			snprintf(err, errlen, "the manifest names applet '%s', which is not linked into this card",
				 m->applets[i].name);
			return -EINVAL;
		}
		if (app->ram_size > m->applets[i].ram) {
			snprintf(err, errlen, "applet %s needs %u bytes of RAM; the manifest gives it %u", app->name,
				 app->ram_size, m->applets[i].ram);
			return -EINVAL;
		}
	}
	return 0;
}

int card_os_build(const char *manifest_text, const struct card_identity *id, struct nvm_store **out, char *err,
		  size_t errlen)
{
	struct manifest m;
	struct nvm_store *s = NULL;
	struct nvm *n = NULL;
	struct card_os *os = NULL;
	int rc;

	rc = manifest_parse(manifest_text ? manifest_text : manifest_default, &m, err, errlen);
	if (rc)
		return rc;
	rc = card_identity_check(id, err, errlen);
	if (!rc)
		rc = check_applets(&m, err, errlen);
	if (!rc)
		rc = nvm_store_new(CARD_JOURNAL_SIZE, m.nvm_size, &s);
	if (!rc)
		rc = nvm_open(s, &n);
	if (!rc)
		rc = heap_format(n);
	if (!rc)
		rc = write_os_info(n, &m, id);
	for (unsigned i = 0; i < m.napplets && !rc; i++)
		rc = write_applet_entry(n, i, &m.applets[i], 0);
	if (!rc)
		rc = ota_config_install(n, &m, id);
	OPENSSL_cleanse(m.keys, sizeof(m.keys)); /* the OTA keys are in the image now, and only there */
	OPENSSL_cleanse(m.psks, sizeof(m.psks));
	nvm_close(n);
	if (!rc)
		rc = card_os_open(s, &os);
	for (unsigned i = 0; i < m.napplets && !rc; i++)
		rc = install_applet(os, i, &m.applets[i], err, errlen);
	card_os_close(os);
	if (rc) {
		if (err && errlen && !err[0])
			snprintf(err, errlen, "cannot build the card: %s", strerror(-rc));
		nvm_store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

static int image_path(const char *dir, char *path, size_t len)
{
	if ((size_t)snprintf(path, len, "%s/%s", dir, CARD_IMAGE_FILE) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* mkdir -p: \a dir and every missing parent (mode 0700). \returns 0; -errno */
static int mkdir_parents(const char *dir)
{
	char p[4096];
	size_t len = strlen(dir);

	if (len >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, len + 1);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int card_os_save_dir(struct nvm_store *s, const char *dir, bool force)
{
	char path[4096];
	int rc;

	rc = image_path(dir, path, sizeof(path));
	if (!rc)
		rc = mkdir_parents(dir);
	if (!rc)
		rc = nvm_store_save(s, path, force);
	return rc;
}

int card_os_create_dir(const char *dir, const char *manifest_text, const struct card_identity *id, bool force,
		       char *err, size_t errlen)
{
	char path[4096];
	struct nvm_store *s;
	int rc;

	if (errlen)
		err[0] = '\0';
	rc = image_path(dir, path, sizeof(path));
	if (rc)
		return rc;
	rc = card_os_build(manifest_text, id, &s, err, errlen);
	if (rc)
		return rc;
	rc = card_os_save_dir(s, dir, force);
	nvm_store_free(s);
	return rc;
}

/* ---- open, close, power -------------------------------------------------------------------------------------- */

int card_os_open(struct nvm_store *store, struct card_os **out)
{
	struct card_os *os;
	uint32_t ram_max = 0;
	int rc;

	os = calloc(1, sizeof(*os));
	if (!os)
		return -ENOMEM;
	os->store = store;
	os->selected = -1;
	os->proto = CARD_PROTO_T1;
	os->baud = CARD_BAUD_DEFAULT;
	os->ota = ota_re_new();
	if (!os->ota) {
		free(os);
		return -ENOMEM;
	}
	rc = nvm_open(store, &os->nvm);
	if (!rc)
		rc = heap_check(os->nvm);
	for (unsigned i = 0; i < HEAP_APPLETS && !rc; i++) {
		struct manifest_applet a;
		const struct card_applet *app;
		card_obj_t root;

		applet_entry_decode(nvm_data(os->nvm) + applet_entry(i), &a, &root);
		if (!a.name[0])
			break;
		app = card_applet_lookup(a.name);
		if (!app || !a.aid_len) {
			rc = -EBADMSG;
			break;
		}
		os->applets[i] = app;
		os->ctx[i] = (struct card_ctx){ .os = os, .idx = (uint8_t)i };
		os->ram[i] = calloc(1, app->ram_size ? app->ram_size : 1);
		/* installation checked that the budget holds ram_size */
		os->arena_size[i] = a.ram > app->ram_size ? a.ram - app->ram_size : 0;
		os->arena[i] = calloc(1, os->arena_size[i] ? os->arena_size[i] : 1);
		if (!os->ram[i] || !os->arena[i])
			rc = -ENOMEM;
		os->napplets = i + 1;
		if (app->ram_size > ram_max)
			ram_max = app->ram_size;
	}
	if (!rc) {
		os->ram_saved = calloc(1, ram_max ? ram_max : 1);
		if (!os->ram_saved)
			rc = -ENOMEM;
	}
	if (rc) {
		card_os_close(os);
		return rc;
	}
	*out = os;
	return 0;
}

int card_os_open_dir(const char *dir, struct card_os **out)
{
	char path[4096];
	struct nvm_store *s;
	int rc;

	rc = image_path(dir, path, sizeof(path));
	if (!rc)
		rc = nvm_store_load(path, &s);
	if (rc)
		return rc;
	rc = card_os_open(s, out);
	if (rc) {
		nvm_store_free(s);
		return rc;
	}
	(*out)->own_store = true;
	return 0;
}

void card_os_close(struct card_os *os)
{
	if (!os)
		return;
	card_key_cache_clear(os);
	for (unsigned i = 0; i < HEAP_APPLETS; i++) {
		free(os->ram[i]);
		if (os->arena[i])
			explicit_bzero(os->arena[i], os->arena_size[i]);
		free(os->arena[i]);
	}
	free(os->ram_saved);
	ota_re_free(os->ota);
	nvm_close(os->nvm);
	if (os->own_store)
		nvm_store_free(os->store);
	free(os);
}

struct nvm_store *card_os_store(struct card_os *os)
{
	return os->store;
}

uint64_t card_os_pin_compares(const struct card_os *os)
{
	return os->pin_compares;
}

static void deselect(struct card_os *os)
{
	int i = os->selected;

	if (i < 0)
		return;
	if (os->applets[i]->deselect)
		os->applets[i]->deselect(&os->ctx[i]);
	memset(os->ram[i], 0, os->applets[i]->ram_size);
	card_arena_release(os, i, 0);
	os->selected = -1;
}

void card_arena_release(struct card_os *os, int idx, uint32_t mark)
{
	if (os->arena_used[idx] > mark)
		explicit_bzero(os->arena[idx] + mark, os->arena_used[idx] - mark);
	os->arena_used[idx] = mark;
}

/* Reset: what power-on, warm reset and power-off have in common. */
static void reset_transient(struct card_os *os)
{
	deselect(os);
	for (unsigned i = 0; i < os->napplets; i++)
		card_arena_release(os, (int)i, 0); /* also what an applet took while not selected (events) */
	if (nvm_tx_open(os->nvm)) {
		nvm_tx_abort(os->nvm);
		card_key_cache_clear(os);
	}
	os->chain_active = false;
	os->chain_len = 0;
	os->pend_len = 0;
	os->pend_off = 0;
	ota_re_reset(os->ota);
}

int card_os_atr(const struct card_os *os, uint8_t *atr, size_t max)
{
	const uint8_t *b = nvm_data(os->nvm) + HEAP_OS_BLOCK + 20;
	size_t len = b[0] <= 33 ? b[0] : 33;

	if (len > max)
		return -E2BIG;
	memcpy(atr, b + 1, len);
	return (int)len;
}

int card_os_power_on(struct card_os *os, uint8_t *atr, size_t max)
{
	reset_transient(os);
	os->powered = true;
	return card_os_atr(os, atr, max);
}

void card_os_power_off(struct card_os *os)
{
	reset_transient(os);
	os->powered = false;
}

/* ---- dispatch ------------------------------------------------------------------------------------------------ */

int card_os_find_applet(const struct card_os *os, const uint8_t *aid, uint32_t len)
{
	for (unsigned i = 0; i < os->napplets; i++) {
		const uint8_t *e = nvm_data(os->nvm) + applet_entry(i);

		if (e[16] == len && !memcmp(e + 17, aid, len))
			return (int)i;
	}
	return -1;
}

static bool is_select_aid(const struct apdu_cmd *cmd)
{
	return cmd->ins == INS_SELECT && cmd->p1 == 0x04 && !(cmd->cla & 0x80);
}

/* Answer from the pending response data: up to \a ne bytes, then 61xx or the applet's final SW. */
static uint16_t serve_pending(struct card_os *os, uint32_t ne, uint8_t *out, size_t *out_len)
{
	uint32_t n = os->pend_len < ne ? os->pend_len : ne;

	memcpy(out, os->resp_buf + os->pend_off, n);
	*out_len = n;
	os->pend_off += n;
	os->pend_len -= n;
	if (os->pend_len)
		return (uint16_t)SW_BYTES_REMAINING(os->pend_len > 255 ? 0 : os->pend_len);
	return os->pend_sw;
}

static uint32_t response_limit(const struct apdu_cmd *cmd)
{
	if (cmd->extended)
		return cmd->ne ? cmd->ne : APDU_EXT_MAX_NE;
	return cmd->ne ? cmd->ne : APDU_SHORT_MAX_NE;
}

static uint16_t get_response(struct card_os *os, const struct apdu_cmd *cmd, uint8_t *out, size_t *out_len)
{
	uint32_t ne;

	if (cmd->p1 || cmd->p2)
		return SW_INCORRECT_P1P2;
	if (cmd->lc)
		return SW_WRONG_LENGTH;
	if (!os->pend_len)
		return SW_CONDITIONS_NOT_SATISFIED;
	ne = response_limit(cmd);
	if (!cmd->extended && ne > APDU_SHORT_MAX_NE)
		ne = APDU_SHORT_MAX_NE;
	return serve_pending(os, ne, out, out_len);
}

static uint16_t run_applet(struct card_os *os, int idx, struct card_apdu *a, bool is_select)
{
	const struct card_applet *app = os->applets[idx];
	struct card_ctx *c = &os->ctx[idx];
	int sw;

	a->resp = os->resp_buf;
	a->resp_max = CARD_RESP_MAX;
	a->resp_len = 0;
	if (is_select)
		sw = app->select ? app->select(c, a) : SW_OK;
	else
		sw = app->process(c, a);
	if (nvm_tx_open(os->nvm)) {
		nvm_tx_abort(os->nvm);
		card_key_cache_clear(os);
	}
	if (sw < 0x6000 || sw > 0x9fff || a->resp_len > CARD_RESP_MAX) {
		a->resp_len = 0;
		return SW_UNKNOWN;
	}
	return (uint16_t)sw;
}

static uint16_t select_applet(struct card_os *os, int idx, struct card_apdu *a)
{
	uint16_t sw;

	deselect(os);
	os->selected = idx;
	sw = run_applet(os, idx, a, true);
	if (sw != SW_OK && (sw >> 8) != 0x61 && (sw >> 8) != 0x62 && (sw >> 8) != 0x63)
		deselect(os); /* the applet refused selection: anything but 9000, 61xx or a 62xx/63xx warning */
	return sw;
}

/* Steps 4-7 of the dispatch order for a parsed command with a valid CLA. */
static uint16_t dispatch(struct card_os *os, const struct apdu_cmd *cmd, bool chain_bit, uint8_t *out, size_t *out_len)
{
	struct card_apdu a = {
		.cla = cmd->cla & (uint8_t)~0x10,
		.ins = cmd->ins,
		.p1 = cmd->p1,
		.p2 = cmd->p2,
		.has_le = cmd->kase == APDU_CASE_2 || cmd->kase == APDU_CASE_4,
		.extended = cmd->extended,
		.origin = CARD_ORIGIN_IFD,
		.data = cmd->data,
		.lc = cmd->lc,
		.ne = response_limit(cmd),
	};
	int idx = os->selected;
	uint16_t sw;

	if (os->chain_active && is_select_aid(cmd) && !chain_bit && card_os_find_applet(os, cmd->data, cmd->lc) >= 0) {
		os->chain_active = false; /* selecting an applet starts afresh, as a reset would */
	} else if (os->chain_active &&
		   (cmd->ins != os->chain_ins || cmd->p1 != os->chain_p1 || cmd->p2 != os->chain_p2)) {
		os->chain_active = false;
		return SW_COMMAND_NOT_ALLOWED;
	}
	if (cmd->lc > CARD_CMD_MAX || (os->chain_active && os->chain_len + cmd->lc > CARD_CMD_MAX)) {
		os->chain_active = false;
		return SW_WRONG_LENGTH;
	}
	if (chain_bit) {
		if (!os->chain_active) {
			int ok = idx >= 0 && os->applets[idx]->chain_ok ?
					 os->applets[idx]->chain_ok(&os->ctx[idx], cmd->ins, cmd->p1, cmd->p2) :
					 SW_CHAINING_NOT_SUPPORTED;

			if (ok)
				return (uint16_t)ok;
			os->chain_active = true;
			os->chain_ins = cmd->ins;
			os->chain_p1 = cmd->p1;
			os->chain_p2 = cmd->p2;
			os->chain_len = 0;
		}
		if (cmd->lc)
			memcpy(os->chain_buf + os->chain_len, cmd->data, cmd->lc);
		os->chain_len += cmd->lc;
		return SW_OK;
	}
	if (os->chain_active) {
		if (cmd->lc)
			memcpy(os->chain_buf + os->chain_len, cmd->data, cmd->lc);
		os->chain_len += cmd->lc;
		os->chain_active = false;
		a.data = os->chain_buf;
		a.lc = os->chain_len;
		a.chained = true;
	}

	if (is_select_aid(cmd) && !a.chained) {
		int found = card_os_find_applet(os, cmd->data, cmd->lc);

		if (found >= 0)
			sw = select_applet(os, found, &a);
		else if (idx >= 0)
			sw = run_applet(os, idx, &a, false);
		else
			sw = SW_FILE_NOT_FOUND;
	} else if (idx >= 0) {
		sw = run_applet(os, idx, &a, false);
	} else {
		sw = cmd->ins == INS_SELECT ? SW_FILE_NOT_FOUND : SW_INS_NOT_SUPPORTED;
	}
	if (nvm_store_dead(os->store))
		return SW_MEMORY_FAILURE;

	os->pend_off = 0;
	os->pend_len = a.resp_len;
	os->pend_sw = sw;
	return serve_pending(os, a.ne, out, out_len);
}

/* ---- toolkit: TERMINAL PROFILE, ENVELOPE, FETCH, TERMINAL RESPONSE (TS 102 221 §10.1, TS 102 223) ------------- */

#define INS_TERMINAL_PROFILE 0x10
#define INS_FETCH 0x12
#define INS_TERMINAL_RESPONSE 0x14
#define INS_ENVELOPE 0xc2

static bool is_toolkit(uint8_t ins)
{
	return ins == INS_TERMINAL_PROFILE || ins == INS_FETCH || ins == INS_TERMINAL_RESPONSE || ins == INS_ENVELOPE;
}

/* Toolkit commands belong to the card, not to the selected applet; they leave the terminal's session alone. */
static uint16_t toolkit(struct card_os *os, const struct apdu_cmd *cmd, uint8_t *out, size_t *out_len)
{
	size_t len = 0;
	int sw;

	if (cmd->p1 || cmd->p2)
		return SW_INCORRECT_P1P2;
	switch (cmd->ins) {
	case INS_TERMINAL_PROFILE:
		return proactive_status(os->ota, SW_OK);
	case INS_FETCH:
		if (cmd->lc)
			return SW_WRONG_LENGTH;
		return proactive_fetch(os->ota, response_limit(cmd), out, out_len);
	case INS_TERMINAL_RESPONSE:
		return proactive_terminal_response(os, cmd->data, cmd->lc);
	default:
		if (!cmd->lc)
			return SW_WRONG_LENGTH;
		if (cmd->data[0] == 0xd6 || cmd->data[0] == 0xd7) /* BIP events and timers: taken at any time */
			return proactive_status(os->ota, admin_agent_envelope(os, cmd->data, cmd->lc));
		if (proactive_busy(os->ota) || tk_active(os->ota))
			return SW_TOOLKIT_BUSY; /* a proactive command waits, or an applet's toolkit session lasts */
		sw = ota_re_envelope(os, cmd->data, cmd->lc, os->resp_buf, &len);
		if (sw < 0)
			return SW_MEMORY_FAILURE; /* power lost: the caller sees -EIO */
		os->pend_off = 0;
		os->pend_len = (uint32_t)len;
		os->pend_sw = proactive_status(os->ota, (uint16_t)sw);
		return serve_pending(os, response_limit(cmd), out, out_len);
	}
}

/* ---- OTA sessions of applets (os_internal.h) ------------------------------------------------------------------ */

void card_ota_session_begin(struct card_os *os, int idx)
{
	const struct card_applet *app = os->applets[idx];
	const uint8_t *e = nvm_data(os->nvm) + applet_entry((unsigned)idx);
	struct card_apdu a = { .ins = INS_SELECT, .p1 = 0x04, .origin = CARD_ORIGIN_OTA, .data = e + 17, .lc = e[16] };

	memcpy(os->ram_saved, os->ram[idx], app->ram_size);
	memset(os->ram[idx], 0, app->ram_size);
	os->arena_mark = os->arena_used[idx];
	a.ne = APDU_SHORT_MAX_NE;
	run_applet(os, idx, &a, true);
}

uint16_t card_ota_session_command(struct card_os *os, int idx, const struct apdu_cmd *cmd, const uint8_t **data,
				  uint32_t *len)
{
	struct card_apdu a = {
		.cla = cmd->cla,
		.ins = cmd->ins,
		.p1 = cmd->p1,
		.p2 = cmd->p2,
		.has_le = cmd->kase == APDU_CASE_2 || cmd->kase == APDU_CASE_4,
		.extended = cmd->extended,
		.origin = CARD_ORIGIN_OTA,
		.data = cmd->data,
		.lc = cmd->lc,
		.ne = response_limit(cmd),
	};
	uint16_t sw;

	*data = os->resp_buf;
	*len = 0;
	if (!(cmd->cla & 0x80) && (cmd->cla & 0x10))
		return SW_CHAINING_NOT_SUPPORTED; /* a script carries whole commands */
	if (cmd->lc > CARD_CMD_MAX)
		return SW_WRONG_LENGTH;
	sw = run_applet(os, idx, &a, false);
	*len = a.resp_len;
	return sw;
}

void card_ota_session_end(struct card_os *os, int idx)
{
	const struct card_applet *app = os->applets[idx];

	if (app->deselect)
		app->deselect(&os->ctx[idx]);
	memcpy(os->ram[idx], os->ram_saved, app->ram_size);
	memset(os->ram_saved, 0, app->ram_size);
	card_arena_release(os, idx, os->arena_mark);
}

static int transmit(struct card_os *os, const uint8_t *cmd, size_t len, uint8_t *resp, size_t max, size_t *resp_len)
{
	struct apdu_cmd c;
	size_t out_len = 0;
	uint16_t sw;
	bool chain_bit = false;

	if (!os->powered)
		return -ENODEV;
	if (max < CARD_RESP_MAX + 2)
		return -EINVAL;
	if (nvm_store_dead(os->store))
		return -EIO;

	if (apdu_parse(cmd, len, &c)) {
		sw = SW_WRONG_LENGTH;
	} else if (c.cla == 0xff) {
		sw = SW_CLA_NOT_SUPPORTED;
	} else if (!(c.cla & 0x80) && ((c.cla & 0x40) || (c.cla & 0x03))) {
		sw = SW_LOGICAL_CHANNEL_NOT_SUPPORTED; /* channels 1..19; only the basic channel 0 exists */
	} else if (c.ins == INS_MANAGE_CHANNEL && !(c.cla & 0x80)) {
		sw = SW_LOGICAL_CHANNEL_NOT_SUPPORTED;
	} else if (c.cla == 0x80 && is_toolkit(c.ins)) {
		os->pend_len = 0;
		sw = toolkit(os, &c, resp, &out_len);
	} else if (c.ins == INS_GET_RESPONSE && !(c.cla & 0x90) && !os->chain_active) {
		sw = get_response(os, &c, resp, &out_len);
	} else {
		os->pend_len = 0;
		chain_bit = !(c.cla & 0x80) && (c.cla & 0x10);
		sw = dispatch(os, &c, chain_bit, resp, &out_len);
	}
	if (nvm_store_dead(os->store))
		return -EIO;
	put_be16(resp + out_len, sw);
	*resp_len = out_len + 2;
	return 0;
}

int card_os_transmit(struct card_os *os, const uint8_t *cmd, size_t len, uint8_t *resp, size_t max, size_t *resp_len)
{
	uint64_t pages = nvm_store_pages_written(os->store);
	int rc = transmit(os, cmd, len, resp, max, resp_len);

	if (!rc)
		card_timing_command(os, len, *resp_len, nvm_store_pages_written(os->store) - pages);
	return rc;
}

/* ---- information --------------------------------------------------------------------------------------------- */

static void copy_field(char *dst, size_t dstsz, const uint8_t *src, size_t maxlen)
{
	size_t len = src[0] <= maxlen ? src[0] : 0;

	if (len >= dstsz)
		len = dstsz - 1;
	memcpy(dst, src + 1, len);
	dst[len] = '\0';
}

void card_os_identity(const struct card_os *os, struct card_identity *id)
{
	const uint8_t *b = nvm_data(os->nvm) + HEAP_OS_BLOCK;
	card_obj_t fs = get_le16(b + HEAP_OS_FS);

	copy_field(id->iccid, sizeof(id->iccid), b + 54, 20);
	copy_field(id->imsi, sizeof(id->imsi), b + 75, 15);
	copy_field(id->msisdn, sizeof(id->msisdn), b + 91, 15);
	if (fs) {
		struct card_identity files;

		/* the SIM's files, as remote file management may have changed them */
		uicc_fs_identity(os->nvm, fs, &files);
		if (files.iccid[0])
			memcpy(id->iccid, files.iccid, sizeof(id->iccid));
		memcpy(id->imsi, files.imsi, sizeof(id->imsi));
		memcpy(id->msisdn, files.msisdn, sizeof(id->msisdn));
	}
}

unsigned card_os_applets(const struct card_os *os, struct card_applet_info *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < os->napplets && n < max; i++, n++) {
		card_obj_t root;

		applet_entry_decode(nvm_data(os->nvm) + applet_entry(i), &out[n].m, &root);
		out[n].nvm_used = heap_used(os->nvm, (uint8_t)(i + 1));
	}
	return n;
}

void card_os_nvm_stats(const struct card_os *os, uint32_t *size, uint32_t *used, uint32_t *largest_free)
{
	uint32_t sum = 0;

	for (unsigned i = 1; i <= HEAP_APPLETS; i++)
		sum += heap_used(os->nvm, (uint8_t)i);
	*size = nvm_data_size(os->nvm);
	*used = sum + heap_used(os->nvm, HEAP_OWNER_OS);
	*largest_free = heap_free_bytes(os->nvm);
}

uint32_t card_os_key_generations(const struct card_os *os)
{
	return get_le32(nvm_data(os->nvm) + HEAP_OS_BLOCK + HEAP_OS_KEYGENS);
}

struct card_ctx *card_os_debug_ctx(struct card_os *os, unsigned idx)
{
	return idx < os->napplets ? &os->ctx[idx] : NULL;
}
