/* The OTA configuration in the OS block (layout in heap.h): RFM TARs, applet TAR MSLs, key sets and counters; and the
 * receiving entity's cache of the codec's key sets made from them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <simpki/bytes.h>
#include <simpki/ota.h>

#include "heap.h"
#include "os_internal.h"
#include "ota_re.h"

static uint32_t keyset_off(int idx)
{
	return HEAP_OS_KEYSETS + (uint32_t)idx * HEAP_OS_KEYSET;
}

/* Key set entry \a idx from \a k, its counter \a cntr: one NVM write, so a key change is atomic. The receiving
 * entity's key sets made from the old entry are made again at their next use (ota_config_keyset_get()). */
static int keyset_write(struct nvm *n, int idx, const struct manifest_ota_key *k, uint64_t cntr)
{
	uint8_t b[HEAP_OS_KEYSET] = { 0 };
	int rc;

	b[0] = k->kvn;
	b[1] = k->alg;
	b[2] = k->kic_len;
	b[3] = k->kid_len;
	for (int i = 0; i < 5; i++)
		b[8 + i] = (uint8_t)(cntr >> (8 * (4 - i)));
	memcpy(b + 16, k->kic, k->kic_len);
	memcpy(b + 48, k->kid, k->kid_len);
	rc = nvm_write(n, keyset_off(idx), b, sizeof(b));
	OPENSSL_cleanse(b, sizeof(b));
	return rc;
}

/* The admin agent's configuration object from the manifest (layout in heap.h). */
static int admin_install(struct nvm *n, const struct manifest *m)
{
	uint8_t b[HEAP_ADMIN_SIZE] = { 0 };
	const struct manifest_admin *a = &m->admin;
	card_obj_t h;
	struct heap_obj o;
	size_t ulen = strlen(a->uri);
	int rc;

	if (!a->present && !m->npsks)
		return 0;
	rc = heap_alloc(n, HEAP_OWNER_OS, HEAP_KIND_DATA, HEAP_ADMIN_SIZE, 0, &h);
	if (!rc)
		rc = heap_get(n, h, &o);
	if (rc)
		return rc;
	b[0] = a->present;
	memcpy(b + 1, a->tar, 3);
	b[4] = a->msl;
	b[5] = a->has_server;
	memcpy(b + 6, a->ip, 4);
	put_le16(b + 10, a->port);
	b[12] = (uint8_t)ulen;
	memcpy(b + 13, a->uri, ulen);
	for (unsigned i = 0; i < m->npsks && i < MANIFEST_MAX_PSK; i++) {
		uint8_t *e = b + HEAP_ADMIN_PSK + i * HEAP_ADMIN_PSK_ENTRY;

		e[0] = m->psks[i].kvn;
		e[1] = m->psks[i].kid;
		e[2] = m->psks[i].len;
		memcpy(e + 8, m->psks[i].psk, m->psks[i].len);
	}
	rc = nvm_write(n, o.off, b, sizeof(b));
	OPENSSL_cleanse(b, sizeof(b));
	if (!rc)
		rc = nvm_write(n, HEAP_OS_ADMIN, (const uint8_t[]){ (uint8_t)h, (uint8_t)(h >> 8) }, 2);
	return rc;
}

/* The admin object's bytes, or NULL. */
static const uint8_t *admin_obj(const struct nvm *n)
{
	struct heap_obj o;
	card_obj_t h = get_le16(nvm_data(n) + HEAP_OS_BLOCK + HEAP_OS_ADMIN);

	if (!h || heap_get(n, h, &o) || o.size < HEAP_ADMIN_SIZE || o.owner != HEAP_OWNER_OS)
		return NULL;
	return nvm_data(n) + o.off;
}

int ota_config_admin(const struct nvm *n, struct manifest_admin *a)
{
	const uint8_t *b = admin_obj(n);
	size_t ulen;

	memset(a, 0, sizeof(*a));
	if (!b || !b[0])
		return -ENOENT;
	a->present = true;
	memcpy(a->tar, b + 1, 3);
	a->msl = b[4];
	a->has_server = b[5];
	memcpy(a->ip, b + 6, 4);
	a->port = get_le16(b + 10);
	ulen = b[12] <= 128 ? b[12] : 0;
	memcpy(a->uri, b + 13, ulen);
	a->uri[ulen] = '\0';
	return 0;
}

int ota_config_psk(const struct nvm *n, uint8_t kvn, uint8_t kid, uint8_t *psk, size_t max)
{
	const uint8_t *b = admin_obj(n);

	for (unsigned i = 0; b && kvn && i < MANIFEST_MAX_PSK; i++) {
		const uint8_t *e = b + HEAP_ADMIN_PSK + i * HEAP_ADMIN_PSK_ENTRY;

		if (e[0] != kvn || e[1] != kid || (e[2] != 16 && e[2] != 32) || e[2] > max)
			continue;
		memcpy(psk, e + 8, e[2]);
		return e[2];
	}
	return -ENOENT;
}

unsigned card_os_scp81_keys(const struct card_os *os, struct card_scp81_key_info *out, unsigned max)
{
	const uint8_t *b = admin_obj(os->nvm);
	unsigned n = 0;

	for (unsigned i = 0; b && i < MANIFEST_MAX_PSK && n < max; i++) {
		const uint8_t *e = b + HEAP_ADMIN_PSK + i * HEAP_ADMIN_PSK_ENTRY;

		if (e[0])
			out[n++] = (struct card_scp81_key_info){ .kvn = e[0], .kid = e[1], .len = e[2] };
	}
	return n;
}

int ota_config_install(struct nvm *n, const struct manifest *m, const struct card_identity *id)
{
	card_obj_t fs;
	int rc;

	rc = uicc_fs_format(n, id, &fs);
	if (!rc)
		rc = nvm_write(n, HEAP_OS_FS, (const uint8_t[]){ (uint8_t)fs, (uint8_t)(fs >> 8) }, 2);
	if (!rc)
		rc = nvm_write(n, HEAP_OS_RFM_COUNT, (const uint8_t[]){ (uint8_t)m->nrfm }, 1);
	for (unsigned i = 0; i < m->nrfm && !rc; i++) {
		const struct manifest_rfm *r = &m->rfm[i];
		uint8_t e[HEAP_OS_RFM_ENTRY] = { r->tar[0], r->tar[1], r->tar[2], r->msl, r->expanded };

		rc = nvm_write(n, HEAP_OS_RFM + i * HEAP_OS_RFM_ENTRY, e, sizeof(e));
	}
	for (unsigned i = 0; i < m->nkeys && !rc; i++)
		rc = keyset_write(n, (int)i, &m->keys[i], 0);
	if (!rc)
		rc = admin_install(n, m);
	return rc;
}

int card_os_ota_key_set(struct card_os *os, const struct manifest_ota_key *k)
{
	int idx = ota_config_keyset(os->nvm, k->kvn), free_idx = -1;

	if ((k->alg != MANIFEST_OTA_3DES && k->alg != MANIFEST_OTA_AES) || !k->kvn || k->kvn > 15 || !k->kic_len ||
	    k->kic_len > 32 || !k->kid_len || k->kid_len > 32)
		return -EINVAL;
	if (idx >= 0) /* replaced: its counter carries on, so no counter value is ever accepted twice */
		return keyset_write(os->nvm, idx, k, ota_config_counter(os->nvm, idx));
	for (int i = 0; i < HEAP_OS_KEYSET_COUNT && free_idx < 0; i++) {
		if (!nvm_data(os->nvm)[keyset_off(i)]) /* KVN 0: unused */
			free_idx = i;
	}
	return free_idx < 0 ? -ENOSPC : keyset_write(os->nvm, free_idx, k, 0);
}

int ota_config_target(const struct nvm *n, const uint8_t tar[3], struct ota_target *t)
{
	const uint8_t *os = nvm_data(n) + HEAP_OS_BLOCK;
	unsigned nrfm = os[HEAP_OS_RFM_COUNT] <= 4 ? os[HEAP_OS_RFM_COUNT] : 4;

	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < nrfm; i++) {
		const uint8_t *e = os + HEAP_OS_RFM + i * HEAP_OS_RFM_ENTRY;

		if (!memcmp(e, tar, 3)) {
			t->rfm = true;
			t->applet = -1;
			t->msl = e[3];
			t->expanded = e[4] == 1;
			return 0;
		}
	}
	for (unsigned i = 0; i < HEAP_APPLETS; i++) {
		const uint8_t *e = os + HEAP_APPLET_TABLE + i * HEAP_APPLET_ENTRY;

		if (!e[0])
			break;
		if (e[33] && !memcmp(e + 34, tar, 3)) {
			t->applet = (int)i;
			t->msl = e[37];
			t->expanded = true;
			return 0;
		}
		if (e[52] && !memcmp(e + 53, tar, 3)) {
			t->applet = (int)i;
			t->msl = e[56];
			t->toolkit = true;
			return 0;
		}
	}
	{
		struct manifest_admin a;

		if (!ota_config_admin(n, &a) && !memcmp(a.tar, tar, 3)) {
			t->admin = true;
			t->applet = -1;
			t->msl = a.msl;
			return 0;
		}
	}
	return -ENOENT;
}

int ota_config_keyset(const struct nvm *n, uint8_t kvn)
{
	for (int i = 0; i < HEAP_OS_KEYSET_COUNT && kvn; i++) {
		if (nvm_data(n)[keyset_off(i)] == kvn)
			return i;
	}
	return -ENOENT;
}

uint8_t ota_config_alg(const struct nvm *n, int idx)
{
	return nvm_data(n)[keyset_off(idx) + 1];
}

/* The KIc/KID algorithm nibble of a key of family \a alg and \a len bytes (0: none fits). */
static uint8_t algo_nibble(uint8_t alg, uint8_t len)
{
	if (alg == MANIFEST_OTA_AES)
		return 0x2;
	if (alg == MANIFEST_OTA_3DES)
		return len == 16 ? 0x5 : 0x9;
	return 0;
}

struct ota_keyset *ota_config_keyset_make(const struct nvm *n, int kic_idx, int kid_idx, uint8_t cc_len)
{
	const uint8_t *c = nvm_data(n) + keyset_off(kic_idx), *d = nvm_data(n) + keyset_off(kid_idx);
	struct ota_keys k = { .kic_len = c[2], .kid_len = d[3], .cc_len = cc_len };
	struct ota_keyset *ks = NULL;

	if (k.kic_len > OTA_MAX_KEY || k.kid_len > OTA_MAX_KEY || !k.kic_len || !k.kid_len)
		return NULL;
	memcpy(k.kic, c + 16, k.kic_len);
	memcpy(k.kid, d + 48, k.kid_len);
	ota_keyset_new(algo_nibble(c[1], c[2]), algo_nibble(d[1], d[3]), &k, &ks);
	OPENSSL_cleanse(&k, sizeof(k));
	return ks;
}

/* Free the key sets made from NVM key set \a idx. */
static void keyset_drop(struct ota_re *re, int idx)
{
	struct ota_re_keyset *c = &re->keysets[idx];

	for (int i = 0; i < 2; i++) {
		ota_keyset_free(c->ks[i]);
		c->ks[i] = NULL;
	}
	OPENSSL_cleanse(c->made_from, sizeof(c->made_from));
}

struct ota_keyset *ota_config_keyset_get(struct ota_re *re, const struct nvm *n, int idx, uint8_t cc_len)
{
	const uint8_t *e = nvm_data(n) + keyset_off(idx);
	struct ota_re_keyset *c = &re->keysets[idx];
	struct ota_keyset **ks = &c->ks[cc_len == 4];

	/* everything but the counter (bytes 8..12), which changes with every packet and keys nothing */
	if ((c->ks[0] || c->ks[1]) &&
	    (CRYPTO_memcmp(c->made_from, e, 8) || CRYPTO_memcmp(c->made_from + 13, e + 13, HEAP_OS_KEYSET - 13)))
		keyset_drop(re, idx);
	if (!*ks) {
		*ks = ota_config_keyset_make(n, idx, idx, cc_len);
		if (*ks)
			memcpy(c->made_from, e, HEAP_OS_KEYSET);
	}
	return *ks;
}

void ota_config_keysets_drop(struct ota_re *re)
{
	for (int i = 0; i < HEAP_OS_KEYSET_COUNT; i++)
		keyset_drop(re, i);
}

uint64_t ota_config_counter(const struct nvm *n, int idx)
{
	const uint8_t *c = nvm_data(n) + keyset_off(idx) + 8;
	uint64_t v = 0;

	for (int i = 0; i < 5; i++)
		v = v << 8 | c[i];
	return v;
}

int ota_config_set_counter(struct nvm *n, int idx, uint64_t cntr)
{
	uint8_t c[5];

	for (int i = 4; i >= 0; i--, cntr >>= 8)
		c[i] = (uint8_t)cntr;
	return nvm_write(n, keyset_off(idx) + 8, c, sizeof(c));
}

bool ota_msl_met(uint8_t spi1, uint8_t msl)
{
	unsigned integrity = spi1 & 0x03, want_integrity = msl & 0x03;
	unsigned counter = (spi1 >> 3) & 0x03, want_counter = (msl >> 3) & 0x03;

	if (integrity < want_integrity)
		return false;
	if ((msl & 0x04) && !(spi1 & 0x04))
		return false;
	return counter >= want_counter;
}

unsigned card_os_ota_tars(const struct card_os *os, struct card_ota_tar_info *out, unsigned max)
{
	const uint8_t *b = nvm_data(os->nvm) + HEAP_OS_BLOCK;
	unsigned nrfm = b[HEAP_OS_RFM_COUNT] <= 4 ? b[HEAP_OS_RFM_COUNT] : 4, n = 0;

	for (unsigned i = 0; i < nrfm && n < max; i++, n++) {
		const uint8_t *e = b + HEAP_OS_RFM + i * HEAP_OS_RFM_ENTRY;

		out[n] = (struct card_ota_tar_info){ .msl = e[3], .expanded = e[4] == 1 };
		memcpy(out[n].tar, e, 3);
		strcpy(out[n].what, "rfm");
	}
	for (unsigned i = 0; i < os->napplets && n < max; i++) {
		const uint8_t *e = b + HEAP_APPLET_TABLE + i * HEAP_APPLET_ENTRY;

		if (e[33]) {
			out[n] = (struct card_ota_tar_info){ .msl = e[37], .expanded = true };
			memcpy(out[n].tar, e + 34, 3);
			snprintf(out[n].what, sizeof(out[n].what), "applet %.15s", (const char *)e);
			n++;
		}
		if (e[52] && n < max) {
			out[n] = (struct card_ota_tar_info){ .msl = e[56] };
			memcpy(out[n].tar, e + 53, 3);
			snprintf(out[n].what, sizeof(out[n].what), "toolkit %.15s", (const char *)e);
			n++;
		}
	}
	if (n < max) {
		struct manifest_admin a;

		if (!ota_config_admin(os->nvm, &a)) {
			out[n] = (struct card_ota_tar_info){ .msl = a.msl };
			memcpy(out[n].tar, a.tar, 3);
			strcpy(out[n].what, "admin");
			n++;
		}
	}
	return n;
}

unsigned card_os_ota_keys(const struct card_os *os, struct card_ota_key_info *out, unsigned max)
{
	unsigned n = 0;

	for (int i = 0; i < HEAP_OS_KEYSET_COUNT && n < max; i++) {
		const uint8_t *e = nvm_data(os->nvm) + keyset_off(i);

		if (!e[0])
			continue;
		out[n] = (struct card_ota_key_info){ .kvn = e[0],
						     .alg = e[1],
						     .kic_len = e[2],
						     .kid_len = e[3],
						     .counter = ota_config_counter(os->nvm, i) };
		n++;
	}
	return n;
}
