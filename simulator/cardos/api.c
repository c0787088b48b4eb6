/* The card API of include/simpki/card.h, implemented on the NVM heap: objects, transactions, transient RAM,
 * PIN objects and TLV helpers. Every function checks that the object belongs to the calling applet.
 *
 * PIN object layout (kind HEAP_KIND_PIN): u8 try limit | u8 tries left | u8 max length | u8 length (0 = unset) |
 * value (max length bytes, zero padded).
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include <simpki/bytes.h>
#include <simpki/card.h>
#include <simpki/tlv.h>

#include "os_internal.h"

#define PIN_HDR 4

static uint8_t owner_of(const struct card_ctx *c)
{
	return (uint8_t)(c->idx + 1);
}

/* The object \a h if it is the caller's and of \a kind. */
static int own_obj(struct card_ctx *c, card_obj_t h, enum heap_kind kind, struct heap_obj *o)
{
	if (heap_get(c->os->nvm, h, o) || o->owner != owner_of(c) || o->kind != kind)
		return -ENOENT;
	return 0;
}

static uint32_t budget_of(struct card_ctx *c)
{
	const uint8_t *e = nvm_data(c->os->nvm) + HEAP_APPLET_TABLE + c->idx * HEAP_APPLET_ENTRY;

	return get_le32(e + 44);
}

card_obj_t card_root(struct card_ctx *c)
{
	const uint8_t *e = nvm_data(c->os->nvm) + HEAP_APPLET_TABLE + c->idx * HEAP_APPLET_ENTRY;

	return get_le16(e + 48);
}

int card_alloc_kind(struct card_ctx *c, enum heap_kind kind, uint32_t size, card_obj_t *out)
{
	return heap_alloc(c->os->nvm, owner_of(c), kind, size, budget_of(c), out);
}

int card_obj_alloc(struct card_ctx *c, uint32_t size, card_obj_t *out)
{
	if (!size)
		return -EINVAL;
	return card_alloc_kind(c, HEAP_KIND_DATA, size, out);
}

int card_obj_free(struct card_ctx *c, card_obj_t h)
{
	struct heap_obj o;
	int rc;

	if (heap_get(c->os->nvm, h, &o) || o.owner != owner_of(c) || h == card_root(c))
		return -ENOENT;
	rc = heap_free(c->os->nvm, h);
	if (!rc)
		card_key_cache_drop(c->os, h);
	return rc;
}

int card_obj_size(struct card_ctx *c, card_obj_t h)
{
	struct heap_obj o;

	if (own_obj(c, h, HEAP_KIND_DATA, &o))
		return -ENOENT;
	return (int)o.size;
}

const uint8_t *card_obj_view(struct card_ctx *c, card_obj_t h, uint32_t *size)
{
	struct heap_obj o;

	if (own_obj(c, h, HEAP_KIND_DATA, &o))
		return NULL;
	if (size)
		*size = o.size;
	return nvm_data(c->os->nvm) + o.off;
}

int card_obj_write(struct card_ctx *c, card_obj_t h, uint32_t off, const void *buf, uint32_t len)
{
	struct heap_obj o;

	if (own_obj(c, h, HEAP_KIND_DATA, &o))
		return -ENOENT;
	if ((uint64_t)off + len > o.size)
		return -ERANGE;
	return nvm_write(c->os->nvm, o.off + off, buf, len);
}

int card_tx_begin(struct card_ctx *c)
{
	return nvm_tx_begin(c->os->nvm);
}

int card_tx_commit(struct card_ctx *c)
{
	int rc = nvm_tx_commit(c->os->nvm);

	if (rc && rc != -EINVAL)
		card_key_cache_clear(c->os); /* the transaction was rolled back */
	return rc;
}

void card_tx_abort(struct card_ctx *c)
{
	if (!nvm_tx_open(c->os->nvm))
		return;
	nvm_tx_abort(c->os->nvm);
	card_key_cache_clear(c->os);
}

void *card_transient(struct card_ctx *c)
{
	return c->os->ram[c->idx];
}

int card_transient_alloc(struct card_ctx *c, uint32_t size, void **out)
{
	struct card_os *os = c->os;
	uint32_t at = (os->arena_used[c->idx] + 7u) & ~7u;

	if (!size)
		return -EINVAL;
	if (at > os->arena_size[c->idx] || size > os->arena_size[c->idx] - at)
		return -ENOMEM;
	os->arena_used[c->idx] = at + size;
	*out = os->arena[c->idx] + at;
	return 0;
}

int card_ram_check(struct card_ctx *c, uint32_t work)
{
	struct card_os *os = c->os;

	return work > os->arena_size[c->idx] - os->arena_used[c->idx] ? -ENOMEM : 0;
}

/* ---- PIN objects ------------------------------------------------------------------------------------------- */

int card_pin_create(struct card_ctx *c, uint8_t try_limit, uint8_t max_len, card_obj_t *out)
{
	uint8_t hdr[PIN_HDR] = { try_limit, 0, max_len, 0 };
	struct heap_obj o;
	card_obj_t h;
	bool own_tx;
	int rc;

	if (try_limit < 1 || try_limit > 15 || max_len < 1 || max_len > CARD_PIN_MAX_LEN)
		return -EINVAL;
	own_tx = !nvm_tx_open(c->os->nvm);
	if (own_tx && (rc = nvm_tx_begin(c->os->nvm)))
		return rc;
	rc = card_alloc_kind(c, HEAP_KIND_PIN, PIN_HDR + max_len, &h);
	if (!rc)
		rc = heap_get(c->os->nvm, h, &o);
	if (!rc)
		rc = nvm_write(c->os->nvm, o.off, hdr, sizeof(hdr));
	if (own_tx) {
		if (rc)
			nvm_tx_abort(c->os->nvm);
		else
			rc = nvm_tx_commit(c->os->nvm);
	}
	if (!rc)
		*out = h;
	return rc;
}

int card_pin_set(struct card_ctx *c, card_obj_t pin, const uint8_t *value, size_t len)
{
	uint8_t buf[PIN_HDR + CARD_PIN_MAX_LEN] = { 0 };
	struct heap_obj o;
	const uint8_t *p;
	int rc;

	if (own_obj(c, pin, HEAP_KIND_PIN, &o))
		return -ENOENT;
	p = nvm_data(c->os->nvm) + o.off;
	if (len < 1 || len > p[2])
		return -EINVAL;
	buf[0] = p[0];
	buf[1] = p[0];
	buf[2] = p[2];
	buf[3] = (uint8_t)len;
	memcpy(buf + PIN_HDR, value, len);
	rc = nvm_write(c->os->nvm, o.off, buf, PIN_HDR + p[2]);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

int card_pin_check(struct card_ctx *c, card_obj_t pin, const uint8_t *value, size_t len)
{
	uint8_t cand[CARD_PIN_MAX_LEN] = { 0 };
	struct heap_obj o;
	const uint8_t *p;
	uint8_t tries, diff;
	int rc;

	if (own_obj(c, pin, HEAP_KIND_PIN, &o))
		return -ENOENT;
	p = nvm_data(c->os->nvm) + o.off;
	if (!p[3] || !p[1])
		return -EPERM;
	/* The decrement is durable before the comparison, so cutting power after it cannot save a try, and it is
	 * committed on its own, so aborting the applet's transaction cannot give the try back. A transaction that
	 * changed this PIN (set, reset) could: the check is refused (-EBUSY) before anything is written. */
	tries = (uint8_t)(p[1] - 1);
	rc = nvm_write_now(c->os->nvm, o.off + 1, &tries, 1);
	if (rc)
		return rc;
	memcpy(cand, value, len < sizeof(cand) ? len : sizeof(cand));
	c->os->pin_compares++;
	diff = (uint8_t)CRYPTO_memcmp(cand, p + PIN_HDR, p[2]);
	diff |= (uint8_t)(len != p[3]);
	OPENSSL_cleanse(cand, sizeof(cand));
	if (diff)
		return -EACCES;
	tries = p[0];
	return nvm_write_now(c->os->nvm, o.off + 1, &tries, 1);
}

int card_pin_tries_left(struct card_ctx *c, card_obj_t pin)
{
	struct heap_obj o;

	if (own_obj(c, pin, HEAP_KIND_PIN, &o))
		return -ENOENT;
	return nvm_data(c->os->nvm)[o.off + 1];
}

int card_pin_reset_tries(struct card_ctx *c, card_obj_t pin)
{
	struct heap_obj o;
	uint8_t limit;

	if (own_obj(c, pin, HEAP_KIND_PIN, &o))
		return -ENOENT;
	limit = nvm_data(c->os->nvm)[o.off];
	return nvm_write(c->os->nvm, o.off + 1, &limit, 1);
}

bool card_pin_is_set(struct card_ctx *c, card_obj_t pin)
{
	struct heap_obj o;

	if (own_obj(c, pin, HEAP_KIND_PIN, &o))
		return false;
	return nvm_data(c->os->nvm)[o.off + 3] != 0;
}

/* ---- TLV and comparison helpers -------------------------------------------------------------------------- */

static void tlv_to_card(const struct tlv *t, struct card_tlv *out)
{
	out->tag = t->tag;
	out->len = (uint32_t)t->len;
	out->value = t->value;
	out->total = (uint32_t)t->total;
}

int card_tlv_parse(const uint8_t *buf, uint32_t len, struct card_tlv *t)
{
	struct tlv x;
	int rc = ber_tlv_parse(buf, len, &x);

	if (!rc)
		tlv_to_card(&x, t);
	return rc;
}

int card_tlv_check(const uint8_t *buf, uint32_t len)
{
	return tlv_check(buf, len);
}

int card_tlv_find(const uint8_t *buf, uint32_t len, uint32_t tag, struct card_tlv *t)
{
	struct tlv x;
	int rc = tlv_find(buf, len, tag, &x);

	if (!rc)
		tlv_to_card(&x, t);
	return rc;
}

int card_tlv_put_header(uint8_t *out, uint32_t max, uint32_t tag, uint32_t len)
{
	return tlv_put_header(out, max, tag, len);
}

int card_memcmp_ct(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len);
}

void card_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}
