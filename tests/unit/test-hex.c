/* Unit tests for lib/hex.c: hex_decode() on upper, lower and mixed case, spaces and tabs between digit pairs
 * (leading, trailing, repeated), a space or tab inside a pair (-EINVAL), an odd digit count, non-hex characters
 * ("0x", '-', newline, 'g'), -E2BIG at every too-small output size without writing past it; hex_decode_n()
 * stopping after n characters or at the NUL; hex_encode() upper case output, the empty input, a buffer too small
 * (-E2BIG, empty string when there is room for one, nothing written when outsz is 0); and encode/decode round trips
 * of all 256 byte values.
 */
#include <errno.h>
#include <string.h>

#include <simpki/hex.h>

#include "unit.h"

struct dec_case {
	const char *name;
	const char *text;
	int rc;		    /* expected return */
	const uint8_t *buf; /* expected bytes when rc >= 0 */
	size_t len;
};

static const struct dec_case dec[] = {
	{ "decode: empty", "", 0, NO_BYTES },
	{ "decode: only spaces", "  \t ", 0, NO_BYTES },
	{ "decode: upper case", "0123456789ABCDEF", 8, BYTES(0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef) },
	{ "decode: lower case", "0123456789abcdef", 8, BYTES(0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef) },
	{ "decode: mixed case", "aBcDeF", 3, BYTES(0xab, 0xcd, 0xef) },
	{ "decode: one byte", "00", 1, BYTES(0x00) },
	{ "decode: FF", "ff", 1, BYTES(0xff) },
	{ "decode: spaces between pairs", "3B 80 80 01 01", 5, BYTES(0x3b, 0x80, 0x80, 0x01, 0x01) },
	{ "decode: tabs between pairs", "3B\t80\t\t01", 3, BYTES(0x3b, 0x80, 0x01) },
	{ "decode: leading and trailing spaces", "  3B80  ", 2, BYTES(0x3b, 0x80) },
	{ "decode: many spaces", "3B    80 \t 01", 3, BYTES(0x3b, 0x80, 0x01) },
	{ "decode bad: space inside a pair", "3 B", -EINVAL, NO_BYTES },
	{ "decode bad: tab inside a pair", "3B 8\t0", -EINVAL, NO_BYTES },
	{ "decode bad: odd count", "3B8", -EINVAL, NO_BYTES },
	{ "decode bad: odd count, trailing space", "3B 8 ", -EINVAL, NO_BYTES },
	{ "decode bad: one digit", "A", -EINVAL, NO_BYTES },
	{ "decode bad: g", "3g", -EINVAL, NO_BYTES },
	{ "decode bad: G", "G3", -EINVAL, NO_BYTES },
	{ "decode bad: 0x prefix", "0x3B", -EINVAL, NO_BYTES },
	{ "decode bad: dash", "3B-80", -EINVAL, NO_BYTES },
	{ "decode bad: colon", "3B:80", -EINVAL, NO_BYTES },
	{ "decode bad: newline", "3B80\n", -EINVAL, NO_BYTES },
	{ "decode bad: carriage return", "3B\r80", -EINVAL, NO_BYTES },
	{ "decode bad: high-bit byte", "3B\xc3\xa9", -EINVAL, NO_BYTES },
};

static void test_decode(void **state)
{
	const struct dec_case *c = *state;
	uint8_t out[32];

	memset(out, 0xa5, sizeof(out));
	assert_int_equal(hex_decode(c->text, out, sizeof(out)), c->rc);
	if (c->rc >= 0) {
		assert_memory_equal(out, c->buf, c->len);
		assert_int_equal(out[c->len], 0xa5);
		/* an output of exactly the right size is enough */
		assert_int_equal(hex_decode(c->text, out, c->len), c->rc);
		/* hex_decode_n() over the whole string, and over more than the string */
		assert_int_equal(hex_decode_n(c->text, strlen(c->text), out, sizeof(out)), c->rc);
		assert_int_equal(hex_decode_n(c->text, strlen(c->text) + 10, out, sizeof(out)), c->rc);
	}
}

/* -E2BIG for every output size below the byte count, writing at most that many bytes. */
static void test_decode_e2big(void **state)
{
	static const char text[] = "01 02 03 04 05";

	for (size_t max = 0; max < 5; max++) {
		uint8_t out[8];

		memset(out, 0xa5, sizeof(out));
		assert_int_equal(hex_decode(text, out, max), -E2BIG);
		for (size_t k = max; k < sizeof(out); k++)
			assert_int_equal(out[k], 0xa5);
	}
	{
		uint8_t out[5];

		assert_int_equal(hex_decode(text, out, sizeof(out)), 5);
	}
	/* an empty string fits in nothing */
	assert_int_equal(hex_decode("", NULL, 0), 0);
	assert_int_equal(hex_decode(" ", NULL, 0), 0);
}

static void test_decode_n(void **state)
{
	uint8_t out[8];

	assert_int_equal(hex_decode_n("3B80FF", 4, out, sizeof(out)), 2);
	assert_int_equal(out[0], 0x3b);
	assert_int_equal(out[1], 0x80);
	assert_int_equal(hex_decode_n("3B80FF", 3, out, sizeof(out)), -EINVAL); /* odd within n */
	assert_int_equal(hex_decode_n("3B80FF", 0, out, sizeof(out)), 0);
	assert_int_equal(hex_decode_n("3B 80", 3, out, sizeof(out)), 1);
	assert_int_equal(hex_decode_n("3B80zz", 4, out, sizeof(out)), 2); /* the bad part is past n */
	assert_int_equal(hex_decode_n("3B80zz", 5, out, sizeof(out)), -EINVAL);
	assert_int_equal(hex_decode_n("AB", 100, out, sizeof(out)), 1); /* stops at the NUL */
	assert_int_equal(hex_decode_n("3B80FF", 6, out, 2), -E2BIG);
	assert_int_equal(hex_decode_n("3B80FF", 4, out, 2), 2);
	/* not NUL-terminated within n */
	{
		static const char unterminated[4] = { '1', '2', '3', '4' };

		assert_int_equal(hex_decode_n(unterminated, sizeof(unterminated), out, sizeof(out)), 2);
		assert_int_equal(out[0], 0x12);
		assert_int_equal(out[1], 0x34);
	}
}

static void test_encode(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff };
	char out[16];

	assert_int_equal(hex_encode(in, sizeof(in), out, sizeof(out)), 12);
	assert_string_equal(out, "0001ABCDEFFF");
	assert_int_equal(hex_encode(in, sizeof(in), out, 13), 12); /* exactly 2 * len + 1 */
	assert_string_equal(out, "0001ABCDEFFF");
	assert_int_equal(hex_encode(in, 1, out, sizeof(out)), 2);
	assert_string_equal(out, "00");
}

static void test_encode_empty(void **state)
{
	char out[4] = "xyz";

	assert_int_equal(hex_encode(NULL, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	out[0] = 'x';
	assert_int_equal(hex_encode(NULL, 0, out, 1), 0);
	assert_string_equal(out, "");
}

static void test_encode_too_small(void **state)
{
	static const uint8_t in[] = { 0x12, 0x34, 0x56 };
	char out[16];

	for (size_t outsz = 1; outsz < 2 * sizeof(in) + 1; outsz++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(hex_encode(in, sizeof(in), out, outsz), -E2BIG);
		assert_int_equal(out[0], '\0'); /* always NUL-terminated when outsz > 0 */
		for (size_t k = 1; k < sizeof(out); k++)
			assert_int_equal(out[k], 'x');
	}
	memset(out, 'x', sizeof(out));
	assert_int_equal(hex_encode(in, sizeof(in), out, 0), -E2BIG);
	assert_int_equal(out[0], 'x');
	assert_int_equal(hex_encode(in, 1, NULL, 0), -E2BIG);
}

static void test_roundtrip(void **state)
{
	uint8_t in[256], back[256];
	char text[2 * 256 + 1];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	assert_int_equal(hex_encode(in, sizeof(in), text, sizeof(text)), 512);
	assert_int_equal(strlen(text), 512);
	assert_int_equal(hex_decode(text, back, sizeof(back)), 256);
	assert_memory_equal(back, in, sizeof(in));
	/* lower case decodes the same */
	for (size_t i = 0; text[i]; i++) {
		if (text[i] >= 'A' && text[i] <= 'F')
			text[i] = (char)(text[i] - 'A' + 'a');
	}
	memset(back, 0, sizeof(back));
	assert_int_equal(hex_decode(text, back, sizeof(back)), 256);
	assert_memory_equal(back, in, sizeof(in));
}

int main(void)
{
	static struct unit_list l;

	UNIT_ADD_TABLE(&l, dec, test_decode);
	UNIT_ADD(&l, test_decode_e2big);
	UNIT_ADD(&l, test_decode_n);
	UNIT_ADD(&l, test_encode);
	UNIT_ADD(&l, test_encode_empty);
	UNIT_ADD(&l, test_encode_too_small);
	UNIT_ADD(&l, test_roundtrip);
	return unit_run("hex", &l);
}
