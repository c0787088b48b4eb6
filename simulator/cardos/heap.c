/* Object table and first-fit heap in the NVM data area; the layout is in heap.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/bytes.h>

#include "heap.h"

#define OS_MAGIC "SPKICARD"
#define ENTRY_SIZE 12
#define ALIGN4(x) (((x) + 3u) & ~3u)

static const uint8_t *entry(const struct nvm *n, unsigned idx)
{
	return nvm_data(n) + HEAP_TABLE + idx * ENTRY_SIZE;
}

static void entry_decode(const uint8_t *e, struct heap_obj *o)
{
	o->off = get_le32(e);
	o->size = get_le32(e + 4);
	o->owner = e[8];
	o->kind = e[9];
}

int heap_format(struct nvm *n)
{
	uint8_t blk[20] = { 0 };

	if (nvm_data_size(n) < HEAP_START + 4096)
		return -EINVAL;
	memcpy(blk, OS_MAGIC, 8);
	put_le32(blk + 8, HEAP_LAYOUT_VERSION);
	put_le32(blk + 12, HEAP_OBJECTS);
	put_le32(blk + 16, HEAP_START);
	return nvm_write(n, HEAP_OS_BLOCK, blk, sizeof(blk));
}

static struct heap_obj *used_ranges(const struct nvm *n, unsigned *count);

int heap_check(const struct nvm *n)
{
	struct heap_obj *v;
	unsigned count;
	int rc = 0;

	const uint8_t *d = nvm_data(n);

	if (nvm_data_size(n) < HEAP_START + 4096 || memcmp(d, OS_MAGIC, 8) || get_le32(d + 8) != HEAP_LAYOUT_VERSION ||
	    get_le32(d + 12) != HEAP_OBJECTS || get_le32(d + 16) != HEAP_START)
		return -EBADMSG;
	for (unsigned i = 0; i < HEAP_OBJECTS; i++) {
		struct heap_obj o;

		entry_decode(entry(n, i), &o);
		if (o.owner == HEAP_OWNER_FREE)
			continue;
		if (o.off < HEAP_START || o.off % 4 || (uint64_t)o.off + o.size > nvm_data_size(n) ||
		    o.kind < HEAP_KIND_DATA || o.kind > HEAP_KIND_KEY ||
		    (o.owner > HEAP_APPLETS && o.owner != HEAP_OWNER_OS))
			return -EBADMSG;
	}
	v = used_ranges(n, &count);
	if (!v)
		return -ENOMEM;
	for (unsigned i = 1; i < count && !rc; i++) {
		if ((uint64_t)v[i - 1].off + v[i - 1].size > v[i].off)
			rc = -EBADMSG; /* two objects overlap */
	}
	free(v);
	return rc;
}

int heap_get(const struct nvm *n, card_obj_t h, struct heap_obj *o)
{
	if (h == 0 || h > HEAP_OBJECTS)
		return -ENOENT;
	entry_decode(entry(n, h - 1u), o);
	return o->owner == HEAP_OWNER_FREE ? -ENOENT : 0;
}

uint32_t heap_used(const struct nvm *n, uint8_t owner)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < HEAP_OBJECTS; i++) {
		struct heap_obj o;

		entry_decode(entry(n, i), &o);
		if (o.owner == owner)
			sum += o.size;
	}
	return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

static int cmp_off(const void *a, const void *b)
{
	const struct heap_obj *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Sorted list of the used ranges; the caller frees it. */
static struct heap_obj *used_ranges(const struct nvm *n, unsigned *count)
{
	struct heap_obj *v = malloc(HEAP_OBJECTS * sizeof(*v));
	unsigned k = 0;

	if (!v)
		return NULL;
	for (unsigned i = 0; i < HEAP_OBJECTS; i++) {
		entry_decode(entry(n, i), &v[k]);
		if (v[k].owner != HEAP_OWNER_FREE)
			k++;
	}
	qsort(v, k, sizeof(*v), cmp_off);
	*count = k;
	return v;
}

/* First gap of at least \a size bytes; 0 if none (0 is never a heap offset). */
static uint32_t find_gap(const struct nvm *n, uint32_t size, uint32_t *largest)
{
	unsigned count;
	struct heap_obj *v = used_ranges(n, &count);
	uint32_t pos = HEAP_START, found = 0;

	*largest = 0;
	if (!v)
		return 0;
	for (unsigned i = 0; i <= count; i++) {
		uint32_t end = i < count ? v[i].off : nvm_data_size(n);
		uint32_t gap = end > pos ? end - pos : 0;

		if (gap > *largest)
			*largest = gap;
		if (!found && gap >= size)
			found = pos;
		if (i < count && ALIGN4(v[i].off + v[i].size) > pos)
			pos = ALIGN4(v[i].off + v[i].size);
	}
	free(v);
	return found;
}

uint32_t heap_free_bytes(const struct nvm *n)
{
	uint32_t largest;

	find_gap(n, UINT32_MAX, &largest);
	return largest;
}

int heap_alloc(struct nvm *n, uint8_t owner, enum heap_kind kind, uint32_t size, uint32_t budget, card_obj_t *out)
{
	uint8_t e[ENTRY_SIZE] = { 0 };
	uint32_t off, largest;
	unsigned idx;
	bool own_tx;
	int rc;

	if (!size || size > nvm_data_size(n))
		return size ? -ENOSPC : -EINVAL;
	if (budget && (uint64_t)heap_used(n, owner) + size > budget)
		return -ENOSPC;
	for (idx = 0; idx < HEAP_OBJECTS; idx++) {
		if (entry(n, idx)[8] == HEAP_OWNER_FREE)
			break;
	}
	if (idx == HEAP_OBJECTS)
		return -ENOSPC;
	off = find_gap(n, size, &largest);
	if (!off)
		return -ENOSPC;
	put_le32(e, off);
	put_le32(e + 4, size);
	e[8] = owner;
	e[9] = (uint8_t)kind;

	own_tx = !nvm_tx_open(n);
	if (own_tx && (rc = nvm_tx_begin(n)))
		return rc;
	rc = nvm_zero(n, off, size);
	if (!rc)
		rc = nvm_write(n, HEAP_TABLE + idx * ENTRY_SIZE, e, sizeof(e));
	if (own_tx) {
		if (rc)
			nvm_tx_abort(n);
		else
			rc = nvm_tx_commit(n);
	}
	if (!rc)
		*out = (card_obj_t)(idx + 1);
	return rc;
}

int heap_free(struct nvm *n, card_obj_t h)
{
	struct heap_obj o;
	bool own_tx;
	int rc;

	if (heap_get(n, h, &o))
		return -ENOENT;
	own_tx = !nvm_tx_open(n);
	if (own_tx && (rc = nvm_tx_begin(n)))
		return rc;
	rc = nvm_zero(n, o.off, o.size);
	if (!rc)
		rc = nvm_zero(n, HEAP_TABLE + (h - 1u) * ENTRY_SIZE, ENTRY_SIZE);
	if (own_tx) {
		if (rc)
			nvm_tx_abort(n);
		else
			rc = nvm_tx_commit(n);
	}
	return rc;
}
