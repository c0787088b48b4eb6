/* Unit tests of the card's NVM (simulator/cardos/nvm.c) and object heap (simulator/cardos/heap.c): transactions commit all or
 * nothing and abort restores the view; a write committed "now" inside a transaction survives its abort; a full
 * journal is -ENOSPC and changes nothing; a journal left in the image is replayed when whole and dropped when its
 * checksums or records are wrong (a damaged image file never applies bytes outside the data area); image headers
 * are checked; the heap allocates zeroed objects, enforces budgets and a full table, wipes freed objects, and a
 * table entry pointing outside the heap makes the image invalid.
 */
#include <errno.h>
#include <string.h>

#include <simpki/bytes.h>
#include <simpki/crc32.h>

#include "heap.h"
#include "nvm.h"
#include "unit.h"

#define JSIZE (4 * 1024)
#define DSIZE (64 * 1024)
#define JOURNAL NVM_HEADER_SIZE
#define DATA (NVM_HEADER_SIZE + JSIZE)

static struct nvm_store *new_store(void)
{
	struct nvm_store *s;

	assert_int_equal(nvm_store_new(JSIZE, DSIZE, &s), 0);
	return s;
}

static struct nvm *power_on(struct nvm_store *s)
{
	struct nvm *n;

	assert_int_equal(nvm_open(s, &n), 0);
	return n;
}

static const uint8_t *medium(struct nvm_store *s)
{
	size_t len;

	return nvm_store_image(s, &len);
}

static void test_store_sizes(void **state)
{
	struct nvm_store *s;

	assert_int_equal(nvm_store_new(1024, DSIZE, &s), -EINVAL);
	assert_int_equal(nvm_store_new(JSIZE, 1024, &s), -EINVAL);
	assert_int_equal(nvm_store_new(2 * 1024 * 1024, DSIZE, &s), -EINVAL);
}

static void test_write_outside_tx_is_durable(void **state)
{
	struct nvm_store *s = new_store();
	struct nvm *n = power_on(s);

	assert_int_equal(nvm_write(n, 100, "abc", 3), 0);
	assert_memory_equal(nvm_data(n) + 100, "abc", 3);
	assert_memory_equal(medium(s) + DATA + 100, "abc", 3);
	assert_int_equal(nvm_write(n, DSIZE - 2, "abc", 3), -ERANGE);
	assert_int_equal(nvm_write(n, UINT32_MAX, "a", 1), -ERANGE);
	assert_int_equal(nvm_write(n, 0, NULL, 1), -EINVAL);
	nvm_close(n);
	nvm_store_free(s);
}

static void test_tx_commit_and_abort(void **state)
{
	struct nvm_store *s = new_store();
	struct nvm *n = power_on(s);

	assert_int_equal(nvm_tx_begin(n), 0);
	assert_int_equal(nvm_tx_begin(n), -EBUSY);
	assert_int_equal(nvm_write(n, 10, "one", 3), 0);
	assert_int_equal(nvm_write(n, 11, "XY", 2), 0);
	assert_memory_equal(nvm_data(n) + 10, "oXY", 3);	 /* the view sees the open transaction */
	assert_memory_equal(medium(s) + DATA + 10, "\0\0\0", 3); /* the medium does not */
	nvm_tx_abort(n);
	assert_memory_equal(nvm_data(n) + 10, "\0\0\0", 3);
	assert_false(nvm_tx_open(n));
	assert_int_equal(nvm_tx_commit(n), -EINVAL);

	assert_int_equal(nvm_tx_begin(n), 0);
	assert_int_equal(nvm_write(n, 10, "one", 3), 0);
	assert_int_equal(nvm_zero(n, 10, 1), 0);
	assert_int_equal(nvm_write(n, 20, "two", 3), 0);
	assert_int_equal(nvm_tx_commit(n), 0);
	assert_memory_equal(medium(s) + DATA + 10, "\0ne", 3);
	assert_memory_equal(medium(s) + DATA + 20, "two", 3);
	nvm_close(n);

	/* power on again: the same bytes */
	n = power_on(s);
	assert_memory_equal(nvm_data(n) + 10, "\0ne", 3);
	nvm_close(n);
	nvm_store_free(s);
}

static void test_write_now_survives_abort(void **state)
{
	struct nvm_store *s = new_store();
	struct nvm *n = power_on(s);

	assert_int_equal(nvm_tx_begin(n), 0);
	assert_int_equal(nvm_write(n, 10, "tx", 2), 0);
	assert_int_equal(nvm_write_now(n, 30, "now", 3), 0);
	assert_memory_equal(medium(s) + DATA + 30, "now", 3);
	nvm_tx_abort(n);
	assert_memory_equal(nvm_data(n) + 30, "now", 3);
	assert_memory_equal(nvm_data(n) + 10, "\0\0", 2);
	nvm_close(n);
	nvm_store_free(s);
}

static void test_journal_full(void **state)
{
	static uint8_t big[JSIZE];
	struct nvm_store *s = new_store();
	struct nvm *n = power_on(s);

	memset(big, 0x55, sizeof(big));
	assert_int_equal(nvm_write(n, 0, big, sizeof(big)), -ENOSPC); /* a single write larger than the journal */
	assert_int_equal(nvm_data(n)[0], 0);
	assert_int_equal(nvm_tx_begin(n), 0);
	assert_int_equal(nvm_write(n, 0, big, JSIZE / 2), 0);
	assert_int_equal(nvm_write(n, JSIZE, big, JSIZE / 2), -ENOSPC);
	assert_int_equal(nvm_data(n)[JSIZE], 0);       /* the refused write changed nothing */
	assert_int_equal(nvm_zero(n, 8192, 30000), 0); /* zeroing costs only a record header */
	assert_int_equal(nvm_tx_commit(n), 0);
	nvm_close(n);
	nvm_store_free(s);
}

/* Leave a committed but unapplied journal in the image: cut power right after the commit point. */
static struct nvm_store *store_with_pending_journal(void)
{
	struct nvm_store *s = new_store();
	struct nvm *n = power_on(s);

	nvm_store_arm_fault(s, 3, NVM_TEAR_NONE); /* writes: 1 body, 2 header, 3 first record */
	assert_int_equal(nvm_tx_begin(n), 0);
	assert_int_equal(nvm_write(n, 40, "journal", 7), 0);
	assert_int_equal(nvm_tx_commit(n), -EIO);
	assert_true(nvm_store_dead(s));
	assert_int_equal(nvm_write(n, 0, "x", 1), -EIO);
	nvm_close(n);
	nvm_store_revive(s);
	assert_memory_equal(medium(s) + DATA + 40, "\0\0\0\0\0\0\0", 7);
	return s;
}

static void test_recover_replays(void **state)
{
	struct nvm_store *s = store_with_pending_journal();
	struct nvm *n = power_on(s);

	assert_memory_equal(nvm_data(n) + 40, "journal", 7);
	assert_memory_equal(medium(s) + DATA + 40, "journal", 7);
	assert_int_equal(get_le32(medium(s) + JOURNAL), 0); /* cleared */
	nvm_close(n);
	nvm_store_free(s);
}

/* Damage the pending journal with \a damage, then power on: nothing is applied, and the journal is cleared. */
static void recover_drops(void (*damage)(uint8_t *img))
{
	struct nvm_store *s = store_with_pending_journal(), *t;
	size_t len;
	uint8_t *img = malloc(DATA + DSIZE);
	struct nvm *n;

	const uint8_t *src = nvm_store_image(s, &len);

	memcpy(img, src, len);
	damage(img);
	assert_int_equal(nvm_store_from_image(img, len, &t), 0);
	n = power_on(t);
	assert_memory_equal(nvm_data(n) + 40, "\0\0\0\0\0\0\0", 7);
	for (uint32_t i = 0; i < DSIZE; i++)
		assert_int_equal(nvm_data(n)[i], 0);
	assert_int_equal(get_le32(medium(t) + JOURNAL), 0);
	nvm_close(n);
	nvm_store_free(t);
	nvm_store_free(s);
	free(img);
}

static void damage_body(uint8_t *img)
{
	img[JOURNAL + NVM_JOURNAL_HEADER_SIZE + 9] ^= 1;
}

static void damage_header(uint8_t *img)
{
	img[JOURNAL + 4] ^= 1;
}

/* A record pointing past the data area, with both checksums made right: must not be applied. */
static void damage_record_offset(uint8_t *img)
{
	uint8_t *hdr = img + JOURNAL, *body = hdr + NVM_JOURNAL_HEADER_SIZE;

	put_le32(body, DSIZE - 2);
	put_le32(hdr + 16, crc32_update(0, body, get_le32(hdr + 12)));
	put_le32(hdr + 28, crc32_update(0, hdr, 28));
}

/* A body length beyond the journal area, checksums right. */
static void damage_body_length(uint8_t *img)
{
	uint8_t *hdr = img + JOURNAL;

	put_le32(hdr + 12, JSIZE);
	put_le32(hdr + 28, crc32_update(0, hdr, 28));
}

/* More records announced than the body holds. */
static void damage_record_count(uint8_t *img)
{
	uint8_t *hdr = img + JOURNAL;

	put_le32(hdr + 8, 2);
	put_le32(hdr + 28, crc32_update(0, hdr, 28));
}

static void test_recover_bad_body(void **state)
{
	recover_drops(damage_body);
}

static void test_recover_bad_header(void **state)
{
	recover_drops(damage_header);
}

static void test_recover_record_outside(void **state)
{
	recover_drops(damage_record_offset);
}

static void test_recover_body_length(void **state)
{
	recover_drops(damage_body_length);
}

static void test_recover_record_count(void **state)
{
	recover_drops(damage_record_count);
}

static void test_image_header_checked(void **state)
{
	struct nvm_store *s = new_store(), *t;
	size_t len;
	uint8_t *img = malloc(DATA + DSIZE);
	const uint8_t *src = nvm_store_image(s, &len);

	memcpy(img, src, len);
	assert_int_equal(nvm_store_from_image(img, len - 1, &t), -EBADMSG);
	assert_int_equal(nvm_store_from_image(img, 10, &t), -EBADMSG);
	img[20] ^= 1; /* data size, without fixing the header CRC */
	assert_int_equal(nvm_store_from_image(img, len, &t), -EBADMSG);
	img[20] ^= 1;
	img[0] = 'X';
	assert_int_equal(nvm_store_from_image(img, len, &t), -EBADMSG);
	free(img);
	nvm_store_free(s);
}

static void test_heap(void **state)
{
	struct nvm_store *s = new_store();
	struct nvm *n = power_on(s);
	struct heap_obj o;
	card_obj_t a, b, c;
	uint32_t off;

	assert_int_equal(heap_format(n), 0);
	assert_int_equal(heap_check(n), 0);
	assert_int_equal(heap_alloc(n, 1, HEAP_KIND_DATA, 100, 300, &a), 0);
	assert_int_equal(heap_alloc(n, 1, HEAP_KIND_DATA, 200, 300, &b), 0);
	assert_int_equal(heap_alloc(n, 1, HEAP_KIND_DATA, 1, 300, &c), -ENOSPC); /* budget */
	assert_int_equal(heap_alloc(n, 2, HEAP_KIND_DATA, 1, 300, &c), 0);	 /* another owner's budget */
	assert_int_equal(heap_used(n, 1), 300);
	assert_int_equal(heap_get(n, a, &o), 0);
	assert_int_equal(o.size, 100);
	assert_int_equal(nvm_write(n, o.off, "secret", 6), 0);
	off = o.off;
	assert_int_equal(heap_free(n, a), 0);
	assert_int_equal(heap_get(n, a, &o), -ENOENT);
	assert_memory_equal(nvm_data(n) + off, "\0\0\0\0\0\0", 6); /* wiped */
	assert_int_equal(heap_free(n, a), -ENOENT);
	assert_int_equal(heap_get(n, 0, &o), -ENOENT);
	assert_int_equal(heap_get(n, HEAP_OBJECTS + 1, &o), -ENOENT);
	/* the freed space is found again, zeroed */
	assert_int_equal(heap_alloc(n, 1, HEAP_KIND_DATA, 100, 300, &a), 0);
	assert_int_equal(heap_get(n, a, &o), 0);
	assert_memory_equal(nvm_data(n) + o.off, "\0\0\0\0\0\0", 6);
	assert_int_equal(heap_alloc(n, 3, HEAP_KIND_DATA, DSIZE, 0, &c), -ENOSPC); /* heap full */
	nvm_close(n);
	nvm_store_free(s);
}

static void test_heap_table_full(void **state)
{
	struct nvm_store *s;
	struct nvm *n;
	card_obj_t h;

	assert_int_equal(nvm_store_new(JSIZE, 256 * 1024, &s), 0);
	n = power_on(s);
	assert_int_equal(heap_format(n), 0);
	for (unsigned i = 0; i < HEAP_OBJECTS; i++)
		assert_int_equal(heap_alloc(n, 1, HEAP_KIND_DATA, 4, 0, &h), 0);
	assert_int_equal(heap_alloc(n, 1, HEAP_KIND_DATA, 4, 0, &h), -ENOSPC);
	nvm_close(n);
	nvm_store_free(s);
}

static void test_heap_check_rejects_bad_entry(void **state)
{
	struct nvm_store *s = new_store();
	struct nvm *n = power_on(s);
	uint8_t e[12] = { 0 };
	struct heap_obj o;
	card_obj_t h;

	assert_int_equal(heap_format(n), 0);
	assert_int_equal(heap_alloc(n, 1, HEAP_KIND_DATA, 16, 0, &h), 0);
	assert_int_equal(heap_check(n), 0);
	assert_int_equal(heap_get(n, h, &o), 0);
	/* damaged entries go into the table's second slot, next to the good object */
	e[8] = 1;
	e[9] = HEAP_KIND_DATA;
	put_le32(e, DSIZE - 8); /* runs past the end */
	put_le32(e + 4, 16);
	assert_int_equal(nvm_write(n, HEAP_TABLE + 12, e, sizeof(e)), 0);
	assert_int_equal(heap_check(n), -EBADMSG);
	put_le32(e, 8); /* inside the OS block */
	assert_int_equal(nvm_write(n, HEAP_TABLE + 12, e, sizeof(e)), 0);
	assert_int_equal(heap_check(n), -EBADMSG);
	put_le32(e, o.off + 4); /* overlaps the good object */
	assert_int_equal(nvm_write(n, HEAP_TABLE + 12, e, sizeof(e)), 0);
	assert_int_equal(heap_check(n), -EBADMSG);
	put_le32(e, o.off + 16); /* right after it: fine */
	assert_int_equal(nvm_write(n, HEAP_TABLE + 12, e, sizeof(e)), 0);
	assert_int_equal(heap_check(n), 0);
	e[9] = 7; /* no such kind */
	assert_int_equal(nvm_write(n, HEAP_TABLE + 12, e, sizeof(e)), 0);
	assert_int_equal(heap_check(n), -EBADMSG);
	e[9] = HEAP_KIND_DATA;
	e[8] = 9; /* no such owner */
	assert_int_equal(nvm_write(n, HEAP_TABLE + 12, e, sizeof(e)), 0);
	assert_int_equal(heap_check(n), -EBADMSG);
	nvm_close(n);
	nvm_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_sizes),
		cmocka_unit_test(test_write_outside_tx_is_durable),
		cmocka_unit_test(test_tx_commit_and_abort),
		cmocka_unit_test(test_write_now_survives_abort),
		cmocka_unit_test(test_journal_full),
		cmocka_unit_test(test_recover_replays),
		cmocka_unit_test(test_recover_bad_body),
		cmocka_unit_test(test_recover_bad_header),
		cmocka_unit_test(test_recover_record_outside),
		cmocka_unit_test(test_recover_body_length),
		cmocka_unit_test(test_recover_record_count),
		cmocka_unit_test(test_image_header_checked),
		cmocka_unit_test(test_heap),
		cmocka_unit_test(test_heap_table_full),
		cmocka_unit_test(test_heap_check_rejects_bad_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
