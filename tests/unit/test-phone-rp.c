/* Unit tests of simulator/phone/phone_rp.c: RP-DATA, RP-ACK and RP-ERROR as osmo-msc sends them, every truncation and
 * over-long field refused, the TP-PID of an SMS-DELIVER, and SMS-DELIVER-REPORTs for RP-ACK and RP-ERROR. */
#include <errno.h>
#include <string.h>

#include "phone_rp.h"

#include "unit.h"

static void test_rp_data(void **state)
{
	uint8_t b[512];
	struct phone_rp rp;
	/* RP-DATA MT ref 7, RP-OA +12345 (91 21 43 F5), RP-DA empty, RP-UD: an SMS-DELIVER with PID 7F */
	size_t n = unit_hex("0107049121435f00"
			    "0f"
			    "40048124247ff6000000000000000100",
			    b);

	(void)state;
	b[8] = (uint8_t)(n - 9);
	assert_int_equal(phone_rp_parse(b, n, &rp), 0);
	assert_int_equal(rp.type, 1);
	assert_int_equal(rp.ref, 7);
	assert_int_equal(rp.oa_len, 4);
	assert_int_equal(rp.oa[0], 0x91);
	assert_int_equal(rp.ud_len, n - 9);
	assert_int_equal(phone_rp_deliver_pid(rp.ud, rp.ud_len), 0x7f);
	/* every truncation is refused */
	for (size_t len = 0; len < n; len++)
		assert_int_equal(phone_rp_parse(b, len, &rp), -EBADMSG);
	/* trailing bytes, an RP-OA of 0 or 13 bytes, an RP-DA of 13, an empty RP-UD */
	assert_int_equal(phone_rp_parse(b, n + 1, &rp), -EBADMSG);
	b[2] = 0;
	assert_int_equal(phone_rp_parse(b, n, &rp), -EBADMSG);
	b[2] = 13;
	assert_int_equal(phone_rp_parse(b, n, &rp), -EBADMSG);
	b[2] = 4;
	b[7] = 13;
	assert_int_equal(phone_rp_parse(b, n, &rp), -EBADMSG);
	b[7] = 0;
	b[8] = 0;
	assert_int_equal(phone_rp_parse(b, 9, &rp), -EBADMSG);
}

static void test_rp_ack_error(void **state)
{
	uint8_t b[64];
	struct phone_rp rp;

	(void)state;
	assert_int_equal(phone_rp_parse(b, unit_hex("0309", b), &rp), 0);
	assert_int_equal(rp.type, 3);
	assert_int_equal(rp.ud_len, 0);
	assert_int_equal(phone_rp_parse(b, unit_hex("0309410200ff", b), &rp), 0);
	assert_int_equal(rp.ud_len, 2);
	assert_int_equal(phone_rp_parse(b, unit_hex("03094103", b), &rp), -EBADMSG);	   /* UD beyond the end */
	assert_int_equal(phone_rp_parse(b, unit_hex("03094203000000", b), &rp), -EBADMSG); /* not the UD IE */
	assert_int_equal(phone_rp_parse(b, unit_hex("05090116", b), &rp), 0);
	assert_int_equal(rp.type, 5);
	assert_int_equal(rp.cause, 22);
	assert_int_equal(phone_rp_parse(b, unit_hex("0509", b), &rp), -EBADMSG);
	assert_int_equal(phone_rp_parse(b, unit_hex("050900", b), &rp), -EBADMSG);	 /* cause of length 0 */
	assert_int_equal(phone_rp_parse(b, unit_hex("050903010203", b), &rp), -EBADMSG); /* cause of length 3 */
	assert_int_equal(phone_rp_parse(b, unit_hex("0009", b), &rp), -ENOTSUP);	 /* RP-DATA MS -> network */
	assert_int_equal(phone_rp_parse(b, unit_hex("01", b), &rp), -EBADMSG);
}

static void test_deliver_pid(void **state)
{
	uint8_t b[64];

	(void)state;
	assert_int_equal(phone_rp_deliver_pid(b, unit_hex("040b911234567890f100", b)), 0x00); /* 11 digits */
	assert_int_equal(phone_rp_deliver_pid(b, unit_hex("040b911234567890f1", b)), -EBADMSG);
	assert_int_equal(phone_rp_deliver_pid(b, unit_hex("0115911234567890f100", b)), -EBADMSG); /* SMS-SUBMIT... */
	assert_int_equal(phone_rp_deliver_pid(b, unit_hex("041591", b)), -EBADMSG);		  /* 21 digits */
	assert_int_equal(phone_rp_deliver_pid(b, unit_hex("04", b)), -EBADMSG);
}

static void test_report(void **state)
{
	uint8_t out[200], ud[160];
	int n;

	(void)state;
	memset(ud, 0xab, sizeof(ud));
	n = phone_rp_deliver_report(0, true, ud, 3, out, sizeof(out));
	assert_int_equal(n, 8);
	assert_memory_equal(out, "\x40\x07\x7f\xf6\x03\xab\xab\xab", 8);
	n = phone_rp_deliver_report(0xd5, false, NULL, 0, out, sizeof(out));
	assert_int_equal(n, 5);
	assert_memory_equal(out, "\x00\xd5\x03\x7f\xf6", 5);
	assert_int_equal(phone_rp_deliver_report(0, false, ud, 159, out, sizeof(out)), -E2BIG);
	assert_int_equal(phone_rp_deliver_report(0, false, ud, 20, out, 25), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rp_data),
		cmocka_unit_test(test_rp_ack_error),
		cmocka_unit_test(test_deliver_pid),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
