/* Unit tests for lib/tlv.c: ber_tlv_parse() on 1-, 2- and 3-byte tags (0x86, 0x7F49, 0x5F2D, 0x9F8101) with short
 * lengths and the long forms 81, 82 and 83 (including values of 128, 256 and 65536 bytes), and on malformed input
 * (empty, one byte, indefinite length 80, long forms 84 and up, a length or length field past the buffer, a tag
 * running past the buffer, 4-byte tags); tlv_check() on sequences; tlv_find() finding the first match, -ENOENT,
 * and -EINVAL when an object before the match is malformed; tlv_put_header() encodings, header/parse round trips
 * for every tag size and length form, -E2BIG (without writing past the buffer) and -EINVAL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/tlv.h>

#include "unit.h"

struct good_case {
	const char *name;
	const uint8_t *buf;
	size_t len;
	uint32_t tag;
	size_t vlen;
	size_t voff; /* where the value starts; ignored when vlen == 0 */
};

static const struct good_case good[] = {
	{ "parse ok: 1-byte tag 86", BYTES(0x86, 0x02, 0xaa, 0xbb), 0x86, 2, 2 },
	{ "parse ok: empty value", BYTES(0x86, 0x00), 0x86, 0, 0 },
	{ "parse ok: tag 00 length 00", BYTES(0x00, 0x00), 0x00, 0, 0 },
	{ "parse ok: short length 7F", BYTES(0x04, 0x7f, [2 ... 128] = 0x5a), 0x04, 127, 2 },
	{ "parse ok: 2-byte tag 7F49", BYTES(0x7f, 0x49, 0x03, 0x81, 0x01, 0x00), 0x7f49, 3, 3 },
	{ "parse ok: 2-byte tag 5F2D", BYTES(0x5f, 0x2d, 0x02, 'e', 'n'), 0x5f2d, 2, 3 },
	{ "parse ok: 2-byte tag 9F7F", BYTES(0x9f, 0x7f, 0x01, 0x00), 0x9f7f, 1, 3 },
	{ "parse ok: 3-byte tag 9F8101", BYTES(0x9f, 0x81, 0x01, 0x01, 0xaa), 0x9f8101, 1, 4 },
	{ "parse ok: 3-byte tag BFFF7F", BYTES(0xbf, 0xff, 0x7f, 0x00), 0xbfff7f, 0, 0 },
	{ "parse ok: 3-byte tag, empty value", BYTES(0x9f, 0x81, 0x01, 0x00), 0x9f8101, 0, 0 },
	{ "parse ok: length 81 80", BYTES(0x04, 0x81, 0x80, [3 ... 130] = 0x5a), 0x04, 128, 3 },
	{ "parse ok: length 81 02 (not minimal)", BYTES(0x04, 0x81, 0x02, 0xaa, 0xbb), 0x04, 2, 3 },
	{ "parse ok: length 81 00", BYTES(0x04, 0x81, 0x00), 0x04, 0, 0 },
	{ "parse ok: length 82 00 02", BYTES(0x04, 0x82, 0x00, 0x02, 0xaa, 0xbb), 0x04, 2, 4 },
	{ "parse ok: length 83 00 00 01", BYTES(0x04, 0x83, 0x00, 0x00, 0x01, 0xaa), 0x04, 1, 5 },
	{ "parse ok: 2-byte tag and length 82", BYTES(0x7f, 0x49, 0x82, 0x00, 0x01, 0xcc), 0x7f49, 1, 5 },
	{ "parse ok: 3-byte tag and length 83", BYTES(0x9f, 0x81, 0x01, 0x83, 0x00, 0x00, 0x02, 0xaa, 0xbb), 0x9f8101,
	  2, 7 },
};

struct bad_case {
	const char *name;
	const uint8_t *buf;
	size_t len;
};

static const struct bad_case bad[] = {
	{ "parse bad: empty", NO_BYTES },
	{ "parse bad: 1 byte", BYTES(0x86) },
	{ "parse bad: indefinite length 80", BYTES(0x30, 0x80, 0x86, 0x00, 0x00, 0x00) },
	{ "parse bad: length form 84", BYTES(0x04, 0x84, 0x00, 0x00, 0x00, 0x01, 0xaa) },
	{ "parse bad: length form 85", BYTES(0x04, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0xaa) },
	{ "parse bad: length form FF", BYTES(0x04, 0xff, 0x00, 0x00) },
	{ "parse bad: length past the buffer", BYTES(0x86, 0x03, 0xaa, 0xbb) },
	{ "parse bad: length 01 with no value", BYTES(0x86, 0x01) },
	{ "parse bad: length 81 past the buffer", BYTES(0x04, 0x81, 0x02, 0xaa) },
	{ "parse bad: length 82 past the buffer", BYTES(0x04, 0x82, 0x01, 0x00, 0xaa) },
	{ "parse bad: length 83 past the buffer", BYTES(0x04, 0x83, 0x01, 0x00, 0x00, 0xaa) },
	{ "parse bad: length 81 missing its byte", BYTES(0x04, 0x81) },
	{ "parse bad: length 82 missing a byte", BYTES(0x04, 0x82, 0x00) },
	{ "parse bad: length 83 missing a byte", BYTES(0x04, 0x83, 0x00, 0x00) },
	{ "parse bad: 2-byte tag, no length", BYTES(0x7f, 0x49) },
	{ "parse bad: 2-byte tag, only first tag byte", BYTES(0x5f) },
	{ "parse bad: 3-byte tag, no length", BYTES(0x9f, 0x81, 0x01) },
	{ "parse bad: 3-byte tag running past the buffer", BYTES(0x9f, 0x81) },
	{ "parse bad: tag continuation bytes only", BYTES(0x9f, 0x81, 0x81) },
	{ "parse bad: 4-byte tag", BYTES(0x9f, 0x81, 0x81, 0x01, 0x01, 0xaa) },
	{ "parse bad: 4-byte tag, empty value", BYTES(0xbf, 0x81, 0x82, 0x03, 0x00) },
	{ "parse bad: 5-byte tag", BYTES(0xbf, 0x81, 0x82, 0x83, 0x04, 0x00) },
};

static void test_parse_good(void **state)
{
	const struct good_case *c = *state;
	struct tlv t;

	assert_int_equal(ber_tlv_parse(c->buf, c->len, &t), 0);
	assert_int_equal(t.tag, c->tag);
	assert_int_equal(t.len, c->vlen);
	if (c->vlen)
		assert_ptr_equal(t.value, c->buf + c->voff);
	else
		assert_null(t.value);
	assert_int_equal(t.total, c->len);

	/* a following sibling does not change the result */
	{
		uint8_t *b = malloc(c->len + 3);

		assert_non_null(b);
		memcpy(b, c->buf, c->len);
		b[c->len] = 0x86;
		b[c->len + 1] = 0x01;
		b[c->len + 2] = 0xee;
		assert_int_equal(ber_tlv_parse(b, c->len + 3, &t), 0);
		assert_int_equal(t.tag, c->tag);
		assert_int_equal(t.len, c->vlen);
		assert_int_equal(t.total, c->len);
		assert_int_equal(tlv_check(b, c->len + 3), 0);
		free(b);
	}
	/* the buffer cut anywhere is malformed */
	for (size_t n = 0; n < c->len; n++)
		assert_int_equal(ber_tlv_parse(c->buf, n, &t), -EINVAL);
}

static void test_parse_bad(void **state)
{
	const struct bad_case *c = *state;
	struct tlv t;

	assert_int_equal(ber_tlv_parse(c->buf, c->len, &t), -EINVAL);
	assert_int_equal(tlv_check(c->buf, c->len), c->len ? -EINVAL : 0); /* an empty buffer is an empty sequence */
}

static void test_parse_null(void **state)
{
	struct tlv t;

	assert_int_equal(ber_tlv_parse(NULL, 0, &t), -EINVAL);
	assert_int_equal(ber_tlv_parse(NULL, 4, &t), -EINVAL);
}

/* Values of 256 (82 01 00), 65535 (82 FF FF), 65536 (83 01 00 00) and 65537 bytes, and one byte short of each. */
static void test_parse_long_values(void **state)
{
	static const size_t lens[] = { 256, 65535, 65536, 65537 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t vlen = lens[i], hl = vlen > 0xffff ? 5 : 4;
		uint8_t *b = calloc(1, hl + vlen);
		struct tlv t;

		assert_non_null(b);
		b[0] = 0x53;
		if (hl == 5) {
			b[1] = 0x83;
			b[2] = (uint8_t)(vlen >> 16);
			b[3] = (uint8_t)(vlen >> 8);
			b[4] = (uint8_t)vlen;
		} else {
			b[1] = 0x82;
			b[2] = (uint8_t)(vlen >> 8);
			b[3] = (uint8_t)vlen;
		}
		assert_int_equal(ber_tlv_parse(b, hl + vlen, &t), 0);
		assert_int_equal(t.tag, 0x53);
		assert_int_equal(t.len, vlen);
		assert_ptr_equal(t.value, b + hl);
		assert_int_equal(t.total, hl + vlen);
		assert_int_equal(ber_tlv_parse(b, hl + vlen - 1, &t), -EINVAL);
		free(b);
	}
}

/* 83 FF FF FF in a small buffer: the length is checked against the buffer, not trusted. */
static void test_parse_huge_length(void **state)
{
	static const uint8_t b[] = { 0x04, 0x83, 0xff, 0xff, 0xff, 0x00, 0x00 };
	struct tlv t;

	assert_int_equal(ber_tlv_parse(b, sizeof(b), &t), -EINVAL);
}

static const uint8_t seq[] = {
	0x86, 0x01, 0xaa,		    /* 86 */
	0x7f, 0x49, 0x03, 0x81, 0x01, 0x00, /* 7F49 containing 81 */
	0x5f, 0x2d, 0x02, 'e',	0x6e,	    /* 5F2D */
	0x9f, 0x81, 0x01, 0x00,		    /* 9F8101, empty */
	0x86, 0x01, 0xbb,		    /* a second 86 */
};

static void test_check(void **state)
{
	static const uint8_t trailing_byte[] = { 0x86, 0x01, 0xaa, 0x00 };
	static const uint8_t last_overruns[] = { 0x86, 0x01, 0xaa, 0x87, 0x02, 0xbb };
	static const uint8_t middle_bad[] = { 0x86, 0x01, 0xaa, 0x30, 0x80, 0x87, 0x01, 0xbb };

	assert_int_equal(tlv_check(seq, sizeof(seq)), 0);
	assert_int_equal(tlv_check(seq, 0), 0);
	assert_int_equal(tlv_check(NULL, 0), 0);
	assert_int_equal(tlv_check(seq, 3), 0);
	assert_int_equal(tlv_check(seq, 4), -EINVAL);
	assert_int_equal(tlv_check(seq, sizeof(seq) - 1), -EINVAL);
	assert_int_equal(tlv_check(trailing_byte, sizeof(trailing_byte)), -EINVAL);
	assert_int_equal(tlv_check(last_overruns, sizeof(last_overruns)), -EINVAL);
	assert_int_equal(tlv_check(middle_bad, sizeof(middle_bad)), -EINVAL);
}

static void test_find(void **state)
{
	struct tlv t;

	assert_int_equal(tlv_find(seq, sizeof(seq), 0x86, &t), 0);
	assert_int_equal(t.tag, 0x86);
	assert_ptr_equal(t.value, seq + 2); /* the first of two */
	assert_int_equal(t.len, 1);

	assert_int_equal(tlv_find(seq, sizeof(seq), 0x7f49, &t), 0);
	assert_ptr_equal(t.value, seq + 6);
	assert_int_equal(t.len, 3);
	assert_int_equal(t.total, 6);

	assert_int_equal(tlv_find(seq, sizeof(seq), 0x5f2d, &t), 0);
	assert_ptr_equal(t.value, seq + 12);
	assert_memory_equal(t.value, "en", 2);

	assert_int_equal(tlv_find(seq, sizeof(seq), 0x9f8101, &t), 0);
	assert_int_equal(t.len, 0);
	assert_null(t.value);
	assert_int_equal(t.total, 4);
}

static void test_find_enoent(void **state)
{
	struct tlv t;

	assert_int_equal(tlv_find(seq, sizeof(seq), 0x87, &t), -ENOENT);
	/* only siblings are searched: 81 is inside 7F49 */
	assert_int_equal(tlv_find(seq, sizeof(seq), 0x81, &t), -ENOENT);
	/* the low bytes of a longer tag are not that tag */
	assert_int_equal(tlv_find(seq, sizeof(seq), 0x49, &t), -ENOENT);
	assert_int_equal(tlv_find(seq, sizeof(seq), 0x2d, &t), -ENOENT);
	assert_int_equal(tlv_find(seq, 0, 0x86, &t), -ENOENT);
	assert_int_equal(tlv_find(NULL, 0, 0x86, &t), -ENOENT);
}

static void test_find_malformed(void **state)
{
	static const uint8_t first_bad[] = { 0x86, 0x05, 0xaa, 0x87, 0x01, 0xbb };
	static const uint8_t middle_bad[] = { 0x86, 0x01, 0xaa, 0x30, 0x80, 0x87, 0x01, 0xbb };
	static const uint8_t after_bad[] = { 0x86, 0x01, 0xaa, 0x30, 0x84, 0x00 };
	static const uint8_t four_byte_tag[] = { 0x9f, 0x81, 0x81, 0x01, 0x00, 0x87, 0x00 };
	struct tlv t;

	assert_int_equal(tlv_find(first_bad, sizeof(first_bad), 0x87, &t), -EINVAL);
	assert_int_equal(tlv_find(middle_bad, sizeof(middle_bad), 0x87, &t), -EINVAL);
	assert_int_equal(tlv_find(four_byte_tag, sizeof(four_byte_tag), 0x87, &t), -EINVAL);
	/* malformed after the match does not matter */
	assert_int_equal(tlv_find(middle_bad, sizeof(middle_bad), 0x86, &t), 0);
	assert_ptr_equal(t.value, middle_bad + 2);
	/* but searching past it for an absent tag does */
	assert_int_equal(tlv_find(after_bad, sizeof(after_bad), 0x87, &t), -EINVAL);
	/* a truncated last object */
	assert_int_equal(tlv_find(seq, sizeof(seq) - 1, 0x87, &t), -EINVAL);
}

struct hdr_case {
	const char *name;
	uint32_t tag;
	size_t vlen;
	const uint8_t *buf; /* expected header */
	size_t len;
};

static const struct hdr_case hdr[] = {
	{ "put_header: 86 len 0", 0x86, 0, BYTES(0x86, 0x00) },
	{ "put_header: 86 len 7F", 0x86, 0x7f, BYTES(0x86, 0x7f) },
	{ "put_header: 86 len 80", 0x86, 0x80, BYTES(0x86, 0x81, 0x80) },
	{ "put_header: 86 len FF", 0x86, 0xff, BYTES(0x86, 0x81, 0xff) },
	{ "put_header: 7F49 len 100", 0x7f49, 0x100, BYTES(0x7f, 0x49, 0x82, 0x01, 0x00) },
	{ "put_header: 5F2D len FFFF", 0x5f2d, 0xffff, BYTES(0x5f, 0x2d, 0x82, 0xff, 0xff) },
	{ "put_header: 9F8101 len 10000", 0x9f8101, 0x10000, BYTES(0x9f, 0x81, 0x01, 0x83, 0x01, 0x00, 0x00) },
	{ "put_header: 9F8101 len FFFFFF", 0x9f8101, 0xffffff, BYTES(0x9f, 0x81, 0x01, 0x83, 0xff, 0xff, 0xff) },
	{ "put_header: 9F8101 len 2", 0x9f8101, 2, BYTES(0x9f, 0x81, 0x01, 0x02) },
	{ "put_header: 7F49 len 0", 0x7f49, 0, BYTES(0x7f, 0x49, 0x00) },
};

/* The expected bytes; then a header plus that many value bytes parses back to the same tag and length. */
static void test_put_header(void **state)
{
	const struct hdr_case *c = *state;
	uint8_t out[16];
	uint8_t *b;
	struct tlv t;
	int n;

	memset(out, 0xa5, sizeof(out));
	n = tlv_put_header(out, sizeof(out), c->tag, c->vlen);
	assert_int_equal(n, (int)c->len);
	assert_memory_equal(out, c->buf, c->len);
	assert_int_equal(out[c->len], 0xa5);
	assert_int_equal(tlv_put_header(out, c->len, c->tag, c->vlen), (int)c->len); /* exact fit */

	b = calloc(1, c->len + c->vlen);
	assert_non_null(b);
	assert_int_equal(tlv_put_header(b, c->len + c->vlen, c->tag, c->vlen), (int)c->len);
	assert_int_equal(ber_tlv_parse(b, c->len + c->vlen, &t), 0);
	assert_int_equal(t.tag, c->tag);
	assert_int_equal(t.len, c->vlen);
	assert_int_equal(t.total, c->len + c->vlen);
	if (c->vlen)
		assert_ptr_equal(t.value, b + c->len);
	free(b);
}

static void test_put_header_e2big(void **state)
{
	for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
		for (size_t max = 0; max < hdr[i].len; max++) {
			uint8_t out[16];

			memset(out, 0xa5, sizeof(out));
			assert_int_equal(tlv_put_header(out, max, hdr[i].tag, hdr[i].vlen), -E2BIG);
			for (size_t k = 0; k < sizeof(out); k++)
				assert_int_equal(out[k], 0xa5); /* nothing written at all */
		}
	}
}

static void test_put_header_einval(void **state)
{
	uint8_t out[16];

	assert_int_equal(tlv_put_header(out, sizeof(out), 0x86, 0x1000000), -EINVAL);
	assert_int_equal(tlv_put_header(out, sizeof(out), 0x9f8101, (size_t)-1), -EINVAL);
	assert_int_equal(tlv_put_header(out, 0, 0x86, 0x1000000), -EINVAL);
	/* tags ber_tlv_parse() would not read back */
	assert_int_equal(tlv_put_header(out, sizeof(out), 0x01020304, 0), -EINVAL); /* 4 bytes */
	assert_int_equal(tlv_put_header(out, sizeof(out), 0x9f, 0), -EINVAL);	    /* says more bytes follow */
	assert_int_equal(tlv_put_header(out, sizeof(out), 0x0186, 0), -EINVAL);	    /* first byte not 1F-form */
	assert_int_equal(tlv_put_header(out, sizeof(out), 0x7f81, 0), -EINVAL);	    /* last byte has bit 8 set */
	assert_int_equal(tlv_put_header(out, sizeof(out), 0x9f0101, 0), -EINVAL);   /* middle byte lacks bit 8 */
}

/* Every 2- and 3-byte tag parses back from the header tlv_put_header() writes for it. */
static void test_put_header_all_tags(void **state)
{
	uint8_t b[8];
	struct tlv t;

	for (uint32_t hi = 0x1f; hi <= 0xff; hi += 0x20) {
		for (uint32_t lo = 0; lo < 0x80; lo++) {
			uint32_t tag = hi << 8 | lo;

			assert_int_equal(tlv_put_header(b, sizeof(b), tag, 0), 3);
			assert_int_equal(ber_tlv_parse(b, 3, &t), 0);
			assert_int_equal(t.tag, tag);
			tag = hi << 16 | (0x80 | lo) << 8 | lo;
			assert_int_equal(tlv_put_header(b, sizeof(b), tag, 1), 4);
			assert_int_equal(ber_tlv_parse(b, 5, &t), 0);
			assert_int_equal(t.tag, tag);
			assert_int_equal(t.total, 5);
		}
	}
}

int main(void)
{
	static struct unit_list l;

	UNIT_ADD_TABLE(&l, good, test_parse_good);
	UNIT_ADD(&l, test_parse_long_values);
	UNIT_ADD_TABLE(&l, bad, test_parse_bad);
	UNIT_ADD(&l, test_parse_null);
	UNIT_ADD(&l, test_parse_huge_length);
	UNIT_ADD(&l, test_check);
	UNIT_ADD(&l, test_find);
	UNIT_ADD(&l, test_find_enoent);
	UNIT_ADD(&l, test_find_malformed);
	UNIT_ADD_TABLE(&l, hdr, test_put_header);
	UNIT_ADD(&l, test_put_header_e2big);
	UNIT_ADD(&l, test_put_header_einval);
	UNIT_ADD(&l, test_put_header_all_tags);
	return unit_run("tlv", &l);
}
