/* Unit tests of the remote APDU script layer (lib/rapdu.c): compact scripts walked with a case table (the SELECT of
 * ../shared/reference/ota-vectors.md section A, a READ BINARY, an UPDATE BINARY), expanded scripts in the definite
 * (AA) and indefinite (AE) forms, both kinds of response, and the bad cases: cut headers, P3 past the end, unknown
 * instructions, a template whose length disagrees, an empty or malformed C-APDU, too many commands.
 */
#include <errno.h>
#include <string.h>

#include <simpki/hex.h>
#include <simpki/rapdu.h>

#include "unit.h"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	int n = hex_decode(s, out, max);

	assert_true(n >= 0);
	return (size_t)n;
}

/* SELECT, UPDATE BINARY carry data; READ BINARY and GET RESPONSE expect it; the rest is unknown. */
static int case_of(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2)
{
	(void)cla, (void)p1, (void)p2;
	switch (ins) {
	case 0xa4:
	case 0xd6:
		return 3;
	case 0xb0:
	case 0xc0:
		return 2;
	}
	return 0;
}

static void test_compact(void **state)
{
	uint8_t b[64], again[64];
	struct apdu_cmd c[4];
	size_t n = unhex("00a40004023f00"
			 "00b0000010"
			 "00d6000003010203",
			 b, sizeof(b));
	size_t pos = 0, k = 0;
	int r;

	(void)state;
	while ((r = rapdu_compact_next(b, n, &pos, case_of, &c[k])) == 1)
		k++;
	assert_int_equal(r, 0);
	assert_int_equal(k, 3);
	assert_int_equal(c[0].kase, APDU_CASE_3);
	assert_int_equal(c[0].ins, 0xa4);
	assert_int_equal(c[0].p2, 0x04);
	assert_int_equal(c[0].lc, 2);
	assert_memory_equal(c[0].data, "\x3f\x00", 2);
	assert_int_equal(c[1].kase, APDU_CASE_2);
	assert_int_equal(c[1].ne, 16);
	assert_int_equal(c[2].lc, 3);
	assert_int_equal(rapdu_compact_encode(c, 3, again, sizeof(again)), (int)n);
	assert_memory_equal(again, b, n);
	assert_int_equal(rapdu_compact_encode(c, 3, again, n - 1), -E2BIG);

	/* READ BINARY with P3 00 expects 256 bytes, and encodes back to 00 */
	n = unhex("00b0000000", b, sizeof(b));
	pos = 0;
	assert_int_equal(rapdu_compact_next(b, n, &pos, case_of, &c[0]), 1);
	assert_int_equal(c[0].ne, 256);
	assert_int_equal(rapdu_compact_encode(c, 1, again, sizeof(again)), 5);
	assert_int_equal(again[4], 0);

	/* an empty script has no commands */
	pos = 0;
	assert_int_equal(rapdu_compact_next(b, 0, &pos, case_of, &c[0]), 0);
}

static void test_compact_bad(void **state)
{
	uint8_t b[64];
	struct apdu_cmd c;
	size_t n = unhex("00a40004023f00", b, sizeof(b));
	size_t pos;

	(void)state;
	/* every cut of the SELECT: a header cut short or data missing */
	for (size_t cut = 1; cut < n; cut++) {
		pos = 0;
		assert_int_equal(rapdu_compact_next(b, cut, &pos, case_of, &c), -EBADMSG);
		assert_int_equal(pos, 0);
	}
	/* trailing bytes after a whole command */
	n = unhex("00b000001000b0", b, sizeof(b));
	pos = 0;
	assert_int_equal(rapdu_compact_next(b, n, &pos, case_of, &c), 1);
	assert_int_equal(rapdu_compact_next(b, n, &pos, case_of, &c), -EBADMSG);
	/* an instruction whose case is unknown: the rest cannot be delimited */
	n = unhex("00e2000003010203", b, sizeof(b));
	pos = 0;
	assert_int_equal(rapdu_compact_next(b, n, &pos, case_of, &c), -ENOTSUP);
	/* a command with both data and Le has no compact form */
	c = (struct apdu_cmd){ .cla = 0, .ins = 0xa4, .kase = APDU_CASE_4, .lc = 1, .data = b, .ne = 16 };
	assert_int_equal(rapdu_compact_encode(&c, 1, b + 8, 32), -EINVAL);
}

static void test_expanded(void **state)
{
	uint8_t b[128], again[128];
	struct apdu_cmd c[4];
	size_t n = unhex("aa12"
			 "2207"
			 "00a40004023f00"
			 "2205"
			 "80ca9f7f00"
			 "8100",
			 b, sizeof(b));
	size_t k;

	(void)state;
	assert_true(rapdu_is_expanded(b, n));
	assert_int_equal(rapdu_expanded_parse(b, n, c, 4, &k), 0);
	assert_int_equal(k, 2);
	assert_int_equal(c[0].kase, APDU_CASE_3);
	assert_int_equal(c[1].kase, APDU_CASE_2);
	assert_int_equal(c[1].ne, 256);

	/* encoding the two again gives the template without the immediate action TLV */
	assert_int_equal(rapdu_expanded_encode(c, 2, again, sizeof(again)), 2 + 9 + 7);
	assert_memory_equal(again, "\xaa\x10", 2);
	assert_memory_equal(again + 2, b + 2, 16);
	assert_int_equal(rapdu_expanded_encode(c, 2, again, 10), -E2BIG);

	/* the same commands in the indefinite form */
	n = unhex("ae80"
		  "2207"
		  "00a40004023f00"
		  "0000",
		  b, sizeof(b));
	assert_int_equal(rapdu_expanded_parse(b, n, c, 4, &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(c[0].lc, 2);

	/* a script of 200-byte commands needs a two-byte template length */
	static uint8_t big[200];
	struct apdu_cmd upd[3];
	static uint8_t enc[1024];
	int len;

	for (size_t i = 0; i < 3; i++)
		upd[i] = (struct apdu_cmd){ .cla = 0x80, .ins = 0xd6, .kase = APDU_CASE_3, .lc = 200, .data = big };
	len = rapdu_expanded_encode(upd, 3, enc, sizeof(enc));
	assert_true(len > 600);
	assert_int_equal(enc[1], 0x82);
	assert_int_equal(rapdu_expanded_parse(enc, (size_t)len, c, 4, &k), 0);
	assert_int_equal(k, 3);
}

static void test_expanded_bad(void **state)
{
	static const char *const bad[] = {
		"",			    /* nothing */
		"ab03800100",		    /* a response template, not a script */
		"aa0822073f00",		    /* template longer than its data */
		"aa09220700a40004023f0000", /* template shorter than its data */
		"aa022200",		    /* an empty C-APDU */
		"aa08220600a400040201",	    /* a C-APDU whose Lc runs past its end */
		"aa0922087f00a40004023f",   /* a C-APDU TLV running past the template */
		"ae80220700a40004023f00",   /* indefinite form without its end mark */
		"ae80",			    /* indefinite form with nothing */
	};
	uint8_t b[64];
	struct apdu_cmd c[3];
	size_t n, k;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = unhex(bad[i], b, sizeof(b));
		assert_int_equal(rapdu_expanded_parse(b, n, c, 2, &k), -EBADMSG);
	}
	n = unhex("aa0f"
		  "220500b0000010"
		  "220500b0000010"
		  "220500b0000010",
		  b, sizeof(b));
	b[1] = 21;
	assert_int_equal(rapdu_expanded_parse(b, 2 + 21, c, 2, &k), -E2BIG);
	assert_int_equal(rapdu_expanded_parse(b, 2 + 21, c, 3, &k), 0);
	assert_int_equal(k, 3);
	assert_false(rapdu_is_expanded(b + 2, 5));
}

static void test_responses(void **state)
{
	uint8_t b[64];
	struct rapdu_summary s;
	struct rapdu_result r[2] = {
		{ .sw = 0x9000 },
		{ .sw = 0x9000, .data = (const uint8_t *)"\x01\x02\x03", .len = 3 },
	};
	size_t n;
	int len;

	(void)state;
	/* section A's response: one command, SW 6132, no data */
	n = unhex("016132", b, sizeof(b));
	assert_int_equal(rapdu_response_decode(b, n, &s), 0);
	assert_int_equal(s.commands, 1);
	assert_int_equal(s.last_sw, 0x6132);
	assert_int_equal(s.last_len, 0);
	assert_int_equal(rapdu_compact_response(1, 0x6132, NULL, 0, b, sizeof(b)), 3);
	assert_memory_equal(b, "\x01\x61\x32", 3);
	assert_int_equal(rapdu_compact_response(2, 0x9000, (const uint8_t *)"\xaa\xbb", 2, b, sizeof(b)), 5);
	assert_int_equal(rapdu_response_decode(b, 5, &s), 0);
	assert_int_equal(s.last_len, 2);
	assert_int_equal(rapdu_compact_response(2, 0x9000, (const uint8_t *)"\xaa\xbb", 2, b, 4), -E2BIG);

	len = rapdu_expanded_response(r, 2, b, sizeof(b));
	assert_int_equal(len, 2 + 3 + 4 + 7);
	assert_memory_equal(b, "\xab\x0e\x80\x01\x02\x23\x02\x90\x00\x23\x05\x01\x02\x03\x90\x00", 16);
	assert_int_equal(rapdu_response_decode(b, (size_t)len, &s), 0);
	assert_int_equal(s.commands, 2);
	assert_int_equal(s.last_sw, 0x9000);
	assert_int_equal(s.last_len, 3);
	assert_memory_equal(s.last_data, "\x01\x02\x03", 3);
	assert_int_equal(rapdu_expanded_response(r, 2, b, 10), -E2BIG);
	{
		struct rapdu_result all[2];
		size_t k;

		assert_int_equal(rapdu_expanded_results(b, (size_t)len, all, 2, &k), 0);
		assert_int_equal(k, 2);
		assert_int_equal(all[0].sw, 0x9000);
		assert_int_equal(all[0].len, 0);
		assert_int_equal(all[1].len, 3);
		assert_memory_equal(all[1].data, "\x01\x02\x03", 3);
		assert_int_equal(rapdu_expanded_results(b, (size_t)len, all, 1, &k), -E2BIG);
		assert_int_equal(rapdu_expanded_results(b, (size_t)len - 1, all, 2, &k), -EBADMSG);
		assert_int_equal(
			rapdu_expanded_results((const uint8_t *)"\xab\x06\x80\x01\x01\x23\x01\x90", 8, all, 2, &k),
			-EBADMSG);
		assert_int_equal(rapdu_expanded_results((const uint8_t *)"\x01\x90\x00", 3, all, 2, &k), -EBADMSG);
	}

	/* a lone count of zero: nothing ran */
	assert_int_equal(rapdu_response_decode((const uint8_t *)"\x00", 1, &s), 0);
	assert_int_equal(s.commands, 0);
	/* bad: two bytes, a cut template, an R-APDU without its SW, a count without results */
	assert_int_equal(rapdu_response_decode((const uint8_t *)"\x01\x90", 2, &s), -EBADMSG);
	assert_int_equal(rapdu_response_decode(b, (size_t)len - 1, &s), -EBADMSG);
	assert_int_equal(rapdu_response_decode((const uint8_t *)"\xab\x06\x80\x01\x01\x23\x01\x90", 8, &s), -EBADMSG);
	assert_int_equal(rapdu_response_decode((const uint8_t *)"\xab\x03\x80\x01\x01", 5, &s), -EBADMSG);
}

static void test_sw_continues(void **state)
{
	(void)state;
	assert_true(rapdu_sw_continues(0x9000));
	assert_true(rapdu_sw_continues(0x6132));
	assert_true(rapdu_sw_continues(0x6282));
	assert_true(rapdu_sw_continues(0x63c2));
	assert_true(rapdu_sw_continues(0x9110));
	assert_false(rapdu_sw_continues(0x6a82));
	assert_false(rapdu_sw_continues(0x6982));
	assert_false(rapdu_sw_continues(0x9001));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact),	  cmocka_unit_test(test_compact_bad),
		cmocka_unit_test(test_expanded),  cmocka_unit_test(test_expanded_bad),
		cmocka_unit_test(test_responses), cmocka_unit_test(test_sw_continues),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
