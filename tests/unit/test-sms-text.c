/* Text SMS for handsets (lib/sms_text.c, simpki/sms_text.h): GSM 7-bit when every character is in the default
 * alphabet (an extension character as two septets, never cut apart), UCS2 for Vietnamese, one SMS up to 160 septets
 * or 140 octets, else parts of 153 septets or 134 octets each with a concatenation UDH 05 00 03 REF TOTAL SEQ;
 * septets packed as they go over the air; too many parts, characters outside the BMP and empty texts refused. */
#include <errno.h>
#include <string.h>

#include <simpki/sms_text.h>

#include "unit.h"

static struct sms_text_part p[SMS_TEXT_MAX_PARTS];

static void test_gsm_one(void **state)
{
	const char *t = "simpki: your PIN was reset at counter-01. One-time PIN: 123456. Change it before signing.";

	(void)state;
	assert_int_equal(sms_text_split(t, strlen(t), 7, p, SMS_TEXT_MAX_PARTS), 1);
	assert_int_equal(p[0].dcs, SMS_TEXT_DCS_GSM);
	assert_false(p[0].udhi);
	assert_int_equal(p[0].len, strlen(t)); /* ASCII letters and digits are their own septets */
	assert_memory_equal(p[0].ud, t, strlen(t));
	/* '@' is septet 00, '{' an extension: 1B 28 */
	assert_int_equal(sms_text_split("@{", 2, 0, p, 1), 1);
	assert_int_equal(p[0].len, 3);
	assert_memory_equal(p[0].ud, "\x00\x1b\x28", 3);
}

static void test_gsm_concat(void **state)
{
	char t[400];

	(void)state;
	memset(t, 'a', 160);
	assert_int_equal(sms_text_split(t, 160, 1, p, SMS_TEXT_MAX_PARTS), 1); /* 160: one SMS */
	memset(t, 'a', 161);
	assert_int_equal(sms_text_split(t, 161, 0x42, p, SMS_TEXT_MAX_PARTS), 2);
	assert_true(p[0].udhi);
	assert_memory_equal(p[0].ud, "\x05\x00\x03\x42\x02\x01", 6);
	assert_memory_equal(p[1].ud, "\x05\x00\x03\x42\x02\x02", 6);
	assert_int_equal(p[0].len, 6 + 153);
	assert_int_equal(p[1].len, 6 + 8);
	/* an escape across the boundary stays whole: 152 'a' then '{' (1B 28) */
	memset(t, 'a', 152);
	memcpy(t + 152, "{", 1);
	memset(t + 153, 'b', 20);
	assert_int_equal(sms_text_split(t, 173, 1, p, SMS_TEXT_MAX_PARTS), 2);
	assert_int_equal(p[0].len, 6 + 152);
	assert_memory_equal(p[1].ud + 6, "\x1b\x28", 2);
	/* too many parts */
	memset(t, 'a', 400);
	assert_int_equal(sms_text_split(t, 400, 1, p, 2), -E2BIG);
	assert_int_equal(sms_text_split(t, 400, 1, p, SMS_TEXT_MAX_PARTS), 3);
}

static void test_ucs2(void **state)
{
	const char *vi = "Mã PIN của bạn đã được đặt lại";
	const char *lng = "simpki: Mã PIN của bạn đã được đặt lại tại quầy 01. Mã PIN dùng một lần: 123456. Hãy đổi mã "
			  "trước khi ký. / Your PIN was reset at counter 01. One-time PIN: 123456. Change it before "
			  "signing.";

	(void)state;
	assert_int_equal(sms_text_split(vi, strlen(vi), 0, p, SMS_TEXT_MAX_PARTS), 1);
	assert_int_equal(p[0].dcs, SMS_TEXT_DCS_UCS2);
	assert_false(p[0].udhi);
	assert_int_equal(p[0].len, 2 * 30);
	assert_memory_equal(p[0].ud, "\x00\x4d\x00\xe3\x00\x20", 6);			 /* "Mã " */
	assert_int_equal(sms_text_split(lng, strlen(lng), 9, p, SMS_TEXT_MAX_PARTS), 3); /* 189 characters */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(p[i].dcs, SMS_TEXT_DCS_UCS2);
		assert_true(p[i].udhi);
		assert_int_equal(p[i].ud[4], 3);
		assert_int_equal(p[i].ud[5], i + 1);
		assert_int_equal((p[i].len - 6) % 2, 0);
	}
	assert_int_equal(p[0].len, 6 + 134);
	/* outside the BMP, not UTF-8, empty */
	assert_int_equal(sms_text_split("\xf0\x9f\x98\x80", 4, 0, p, 1), -EILSEQ);
	assert_int_equal(sms_text_split("\xc3", 1, 0, p, 1), -EILSEQ);
	assert_int_equal(sms_text_split("", 0, 0, p, 1), -EINVAL);
	sms_text_wipe(p, SMS_TEXT_MAX_PARTS);
	for (size_t i = 0; i < sizeof(p[0].ud); i++)
		assert_int_equal(p[0].ud[i], 0);
}

static void test_pack(void **state)
{
	uint8_t out[16];

	(void)state;
	/* "hello" packed (TS 23.038 §6.1.2.1.1): E8 32 9B FD 06 */
	assert_int_equal(sms_text_pack((const uint8_t *)"hello", 5, 0, out, sizeof(out)), 5);
	assert_memory_equal(out, "\xe8\x32\x9b\xfd\x06", 5);
	/* after a 6-octet UDH: 1 fill bit, so 'h' starts at bit 1 */
	assert_int_equal(sms_text_pack((const uint8_t *)"h", 1, 1, out, sizeof(out)), 1);
	assert_int_equal(out[0], 0x68 << 1);
	assert_int_equal(sms_text_pack((const uint8_t *)"hello", 5, 0, out, 4), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gsm_one),
		cmocka_unit_test(test_gsm_concat),
		cmocka_unit_test(test_ucs2),
		cmocka_unit_test(test_pack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
