/* Unit tests of the SMS TPDU layer (lib/sms.c) with the vectors of ../shared/reference/ota-vectors.md: the
 * SMS-DELIVER carrying section A's command packet (with the correct TP-UDL), the DELIVER and SUBMIT that osmo-msc
 * produced (section F), and pySim's TPDU, UDH and address vectors (section G), each decoded and encoded again;
 * plus malformed TPDUs (truncated, UDL disagreeing, address too long, 7-bit data) and malformed UDHs.
 */
#include <errno.h>
#include <string.h>

#include <simpki/hex.h>
#include <simpki/sms.h>

#include "unit.h"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	int n = hex_decode(s, out, max);

	assert_true(n >= 0);
	return (size_t)n;
}

/* Decode \a hex, check it encodes back to the same bytes. */
static void round_trip(const char *hex, struct sms_tpdu *t)
{
	uint8_t b[SMS_MAX_TPDU], again[SMS_MAX_TPDU];
	size_t n = unhex(hex, b, sizeof(b));
	int m;

	assert_int_equal(sms_tpdu_decode(b, n, t), 0);
	m = sms_tpdu_encode(t, again, sizeof(again));
	assert_int_equal(m, (int)n);
	assert_memory_equal(again, b, n);
	/* t->ud pointed into b: keep the decoded values valid for the caller by decoding a static copy */
	static uint8_t keep[SMS_MAX_TPDU];
	memcpy(keep, b, n);
	assert_int_equal(sms_tpdu_decode(keep, n, t), 0);
}

static void test_deliver_section_a(void **state)
{
	struct sms_tpdu t;
	uint8_t ud[64];
	size_t n;

	round_trip(
		"400881214365877ff6227052000000002502700000201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41c"
		"f67f2f",
		&t);
	assert_false(t.submit);
	assert_true(t.udhi);
	assert_string_equal(t.addr.digits, "12345678");
	assert_int_equal(t.addr.ton_npi, 0x81);
	assert_int_equal(t.pid, SMS_PID_SIM_DATA_DOWNLOAD);
	assert_int_equal(t.dcs, SMS_DCS_8BIT_CLASS2);
	assert_int_equal(t.udl, 37);
	n = unhex("02700000201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f", ud, sizeof(ud));
	assert_memory_equal(t.ud, ud, n);
	/* pySim's own vector has TP-UDL 03 (caveat 1): the length disagrees with the data */
	uint8_t bad[SMS_MAX_TPDU];
	n = unhex("400881214365877ff6227052000000000302700000201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c4"
		  "1cf6"
		  "7f2f",
		  bad, sizeof(bad));
	assert_int_equal(sms_tpdu_decode(bad, n, &t), -EBADMSG);
}

static void test_osmo_msc_section_f(void **state)
{
	struct sms_tpdu t;

	round_trip("4004812143"
		   "7ff6"
		   "22705200000000"
		   "25"
		   "02700000201506093535b00011c49ac91ab8159ba5b83a54fb6385e0a5e"
		   "31694f8b215fafc",
		   &t);
	assert_string_equal(t.addr.digits, "1234");
	round_trip("41000481214"
		   "37ff613027100000e0ab0001100000000000000016132",
		   &t);
	assert_true(t.submit);
	assert_true(t.udhi);
	assert_int_equal(t.mr, 0);
	assert_string_equal(t.addr.digits, "1234");
	assert_int_equal(t.udl, 0x13);
}

static void test_pysim_section_g(void **state)
{
	struct sms_tpdu t;
	struct sms_tpdu s = {
		.submit = true, .addr = { .digits = "12345", .ton_npi = 0x91 }, .pid = 0x7f, .dcs = 0xf6
	};
	uint8_t b[SMS_MAX_TPDU];
	int n;

	/* SMS-DELIVER with an alphanumeric originator, no UDH */
	round_trip("0408D0E5759A0E7FF6907090307513000824010101BB400101", &t);
	assert_false(t.more_messages);
	assert_false(t.udhi);
	assert_int_equal(t.pid, 0x7f);
	assert_int_equal(t.dcs, 0xf6);
	assert_int_equal(t.udl, 8);
	/* AddressField('12345', international, isdn) -> 05 91 2143f5 */
	n = sms_tpdu_encode(&s, b, sizeof(b));
	assert_true(n > 0);
	assert_memory_equal(b + 2, "\x05\x91\x21\x43\xf5", 5);
	/* pySim's SMS-SUBMIT: MTI 1, RD 1, VPF relative, UDHI 1, MR 0d, DA 0b 91 1614261771f0, PID 00, DCS f5, VP a7
	 * (the reference gives only its start; here it ends with a 3-octet user data) */
	static const uint8_t sub[] = { 0x55, 0x0d, 0x0b, 0x91, 0x16, 0x14, 0x26, 0x17, 0x71,
				       0xf0, 0x00, 0xf5, 0xa7, 0x03, 0x02, 0x70, 0x00 };
	assert_int_equal(sms_tpdu_decode(sub, sizeof(sub), &t), 0);
	assert_true(t.submit);
	assert_true(t.udhi);
	assert_int_equal(t.mr, 0x0d);
	assert_string_equal(t.addr.digits, "61416271170");
	assert_int_equal(t.vpf, 2);
	assert_int_equal(t.vp[0], 0xa7);
	assert_int_equal(t.pid, 0x00);
	assert_int_equal(t.dcs, 0xf5);
	assert_int_equal(t.udl, 3);
}

static void test_udh(void **state)
{
	struct sms_ie ies[8];
	struct sms_concat c;
	uint8_t b[32];
	size_t n, hl, len;

	len = unhex("027100", b, sizeof(b));
	assert_int_equal(sms_udh_parse(b, len, ies, 8, &n, &hl), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ies[0].iei, 0x71);
	assert_int_equal(ies[0].len, 0);
	assert_int_equal(hl, 3);
	len = unhex("027100abcdef", b, sizeof(b));
	assert_int_equal(sms_udh_parse(b, len, ies, 8, &n, &hl), 0);
	assert_int_equal(hl, 3);
	assert_memory_equal(b + hl, "\xab\xcd\xef", 3);
	len = unhex("03710110", b, sizeof(b));
	assert_int_equal(sms_udh_parse(b, len, ies, 8, &n, &hl), 0);
	assert_int_equal(ies[0].len, 1);
	assert_int_equal(ies[0].data[0], 0x10);
	len = unhex("0571007001ffabcd", b, sizeof(b));
	assert_int_equal(sms_udh_parse(b, len, ies, 8, &n, &hl), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ies[1].iei, 0x70);
	assert_int_equal(ies[1].data[0], 0xff);
	assert_int_equal(hl, 6);
	/* concatenation, 8- and 16-bit references */
	len = unhex("0500034203027000", b, sizeof(b));
	assert_int_equal(sms_udh_parse(b, len, ies, 8, &n, &hl), 0);
	assert_true(sms_udh_concat(ies, n, &c));
	assert_int_equal(c.ref, 0x42);
	assert_int_equal(c.total, 3);
	assert_int_equal(c.seq, 2);
	len = unhex("06080412340201", b, sizeof(b));
	assert_int_equal(sms_udh_parse(b, len, ies, 8, &n, &hl), 0);
	assert_true(sms_udh_concat(ies, n, &c));
	assert_int_equal(c.ref, 0x1234);
	/* bad: seq 0, seq above total, IE running past the UDH, UDHL past the data */
	len = unhex("050003420300", b, sizeof(b));
	assert_int_equal(sms_udh_parse(b, len, ies, 8, &n, &hl), 0);
	assert_false(sms_udh_concat(ies, n, &c));
	len = unhex("050003420304", b, sizeof(b));
	assert_int_equal(sms_udh_parse(b, len, ies, 8, &n, &hl), 0);
	assert_false(sms_udh_concat(ies, n, &c));
	len = unhex("037105ff", b, sizeof(b));
	assert_int_equal(sms_udh_parse(b, len, ies, 8, &n, &hl), -EBADMSG);
	len = unhex("09710011", b, sizeof(b));
	assert_int_equal(sms_udh_parse(b, len, ies, 8, &n, &hl), -EBADMSG);
	assert_int_equal(sms_udh_parse(b, 0, ies, 8, &n, &hl), -EBADMSG);
	len = unhex("02710071", b, sizeof(b));
	assert_int_equal(sms_udh_parse(b, len, ies, 0, &n, &hl), -EBADMSG);
}

static void test_bad_tpdus(void **state)
{
	struct sms_tpdu t = { .addr = { .digits = "123456789012345678901", .ton_npi = 0x91 } };
	uint8_t b[SMS_MAX_TPDU];
	size_t n;

	assert_int_equal(sms_tpdu_encode(&t, b, sizeof(b)), -EINVAL); /* 21 digits */
	strcpy(t.addr.digits, "12a4");
	assert_int_equal(sms_tpdu_encode(&t, b, sizeof(b)), -EINVAL);
	strcpy(t.addr.digits, "1234");
	t.udl = 141;
	assert_int_equal(sms_tpdu_encode(&t, b, sizeof(b)), -E2BIG);
	t.udl = 0;
	assert_int_equal(sms_tpdu_encode(&t, b, 10), -E2BIG);
	n = unhex("4004812143"
		  "7ff6"
		  "22705200000000"
		  "03"
		  "027000",
		  b, sizeof(b));
	assert_int_equal(sms_tpdu_decode(b, n, &t), 0);
	for (size_t cut = 0; cut < n; cut++)
		assert_true(sms_tpdu_decode(b, cut, &t) < 0);
	b[6] = 0x00; /* DCS 00: 7-bit default alphabet */
	assert_int_equal(sms_tpdu_decode(b, n, &t), -ENOTSUP);
	b[6] = 0xf6;
	b[1] = 21; /* 21 digits */
	assert_int_equal(sms_tpdu_decode(b, n, &t), -EBADMSG);
	b[0] = 0x02; /* SMS-STATUS-REPORT */
	assert_int_equal(sms_tpdu_decode(b, n, &t), -ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deliver_section_a), cmocka_unit_test(test_osmo_msc_section_f),
		cmocka_unit_test(test_pysim_section_g),	  cmocka_unit_test(test_udh),
		cmocka_unit_test(test_bad_tpdus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
