/* Unit tests of ota-server/card_import.c: the header (with and without KIK, a byte-order mark, anything else
 * refused), good lines (3DES and AES, CRLF), and every kind of bad line, each with a reason naming its field and
 * never quoting a key. */
#include <errno.h>
#include <string.h>

#include "card_import.h"

#include "unit.h"

#define KIC "8C4A1F0B3E2D5A697788A9BACBDCEDFE"
#define KID "1E2D3C4B5A69788796A5B4C3D2E1F00F"

static void test_header(void **state)
{
	(void)state;
	assert_int_equal(card_import_header("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid", 47), 0);
	assert_int_equal(card_import_header("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid,kik", 51), 1);
	assert_int_equal(card_import_header("\xef\xbb\xbficcid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid", 50), 0);
	assert_int_equal(card_import_header("ICCID,IMSI,MSISDN,KVN,KIC_ALGO,KIC,KID_ALGO,KID", 47), -EINVAL);
	assert_int_equal(card_import_header("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo", 43), -EINVAL);
	assert_int_equal(card_import_header("", 0), -EINVAL);
}

static void test_lines(void **state)
{
	const char buf[] = "a\r\n\nbc\nd";
	const char *line;
	size_t off = 0, len;

	(void)state;
	assert_true(card_import_next_line(buf, strlen(buf), &off, &line, &len));
	assert_int_equal(len, 1);
	assert_true(card_import_next_line(buf, strlen(buf), &off, &line, &len));
	assert_int_equal(len, 0);
	assert_true(card_import_next_line(buf, strlen(buf), &off, &line, &len));
	assert_int_equal(len, 2);
	assert_true(card_import_next_line(buf, strlen(buf), &off, &line, &len));
	assert_int_equal(len, 1);
	assert_memory_equal(line, "d", 1);
	assert_false(card_import_next_line(buf, strlen(buf), &off, &line, &len));
}

static void test_good(void **state)
{
	struct card_import_row r;
	char why[CARD_IMPORT_REASON_MAX];
	const char *l = "8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID;

	(void)state;
	assert_int_equal(card_import_line(l, strlen(l), false, &r, why, sizeof(why)), 0);
	assert_string_equal(r.iccid, "8984010000000000005");
	assert_string_equal(r.imsi, "001010000000001");
	assert_string_equal(r.msisdn, "2001");
	assert_int_equal(r.kvn, 1);
	assert_int_equal(r.kic_algo, CARD_IMPORT_AES);
	assert_int_equal(r.kic_len, 16);
	assert_int_equal(r.kic[0], 0x8c);
	assert_int_equal(r.kid[15], 0x0f);
	assert_int_equal(r.kik_len, 0);
	l = "8984010000000000005,001010000000001,2001,15,3des," KIC "1E2D3C4B5A697887,3des," KID ",";
	assert_int_equal(card_import_line(l, strlen(l), true, &r, why, sizeof(why)), 0);
	assert_int_equal(r.kvn, 15);
	assert_int_equal(r.kic_len, 24);
	l = "8984010000000000005,001010000000001,2001,2,aes," KIC ",aes," KID "," KID;
	assert_int_equal(card_import_line(l, strlen(l), true, &r, why, sizeof(why)), 0);
	assert_int_equal(r.kik_len, 16);
}

static void expect_bad(const char *line, bool kik, const char *reason)
{
	struct card_import_row r;
	char why[CARD_IMPORT_REASON_MAX];

	if (card_import_line(line, strlen(line), kik, &r, why, sizeof(why)) != -EINVAL)
		fail_msg("line '%s' accepted", line);
	if (!strstr(why, reason))
		fail_msg("line '%s': reason '%s' lacks '%s'", line, why, reason);
	assert_null(strstr(why, KIC));
	assert_null(strstr(why, KID));
}

static void test_bad(void **state)
{
	char big[600];

	(void)state;
	expect_bad("8984010000000000004,001010000000001,2001,1,aes," KIC ",aes," KID, false, "check digit is wrong");
	expect_bad("898401000000000000,001010000000001,2001,1,aes," KIC ",aes," KID, false, "check digit");
	expect_bad("89840100000000000050,001010000000001,2001,1,aes," KIC ",aes," KID, false, "check digit");
	expect_bad("898401000000000000512,001010000000001,2001,1,aes," KIC ",aes," KID, false, "iccid: more than 20");
	expect_bad("8984010000000000005,00101000000000A,2001,1,aes," KIC ",aes," KID, false, "imsi");
	expect_bad("8984010000000000005,0010100000000011,2001,1,aes," KIC ",aes," KID, false, "imsi: more than 15");
	expect_bad("8984010000000000005,001010000000001,+2001,1,aes," KIC ",aes," KID, false, "msisdn");
	expect_bad("8984010000000000005,001010000000001,,1,aes," KIC ",aes," KID, false, "msisdn");
	expect_bad("8984010000000000005,001010000000001,2001,0,aes," KIC ",aes," KID, false, "kvn: 0 is not");
	expect_bad("8984010000000000005,001010000000001,2001,16,aes," KIC ",aes," KID, false, "kvn: 16 is not");
	expect_bad("8984010000000000005,001010000000001,2001,,aes," KIC ",aes," KID, false, "kvn");
	expect_bad("8984010000000000005,001010000000001,2001,1,des," KIC ",aes," KID, false, "kic_algo: 'des' is not");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",AES," KID, false, "kid_algo");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes,8C4A,aes," KID, false, "kic: 2 bytes, but aes keys");
	expect_bad("8984010000000000005,001010000000001,2001,1,3des," KIC KID KID ",aes," KID, false,
		   "kic: not 16, 24 or 32");
	expect_bad("8984010000000000005,001010000000001,2001,1,3des," KIC KID ",aes," KID, false,
		   "kic: 32 bytes, but 3des");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes,1E2D3C4B5A69788796A5B4C3D2E1F00", false,
		   "kid: not");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes,XX2D3C4B5A69788796A5B4C3D2E1F00F", false,
		   "kid: not hex");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID ",", false,
		   "9 fields instead of 8");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes", false, "7 fields instead of 8");
	expect_bad("\"8984010000000000005\",001010000000001,2001,1,aes," KIC ",aes," KID, false, "quoted");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID ",1234", true, "kik: 2 bytes");
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	expect_bad(big, false, "longer than 512");
	expect_bad("", false, "1 fields instead of 8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
