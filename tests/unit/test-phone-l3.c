/* Unit tests of simulator/phone/phone_l3.c: the IMSI of a PAGING as osmo-msc sends it, the TMSI of LOCATION UPDATING
 * ACCEPT (with and without one, after other IEs) and of TMSI REALLOCATION COMMAND; truncations and wrong identity
 * types refused. */
#include <errno.h>
#include <string.h>

#include "phone_l3.h"

#include "unit.h"

static void test_paging(void **state)
{
	uint8_t b[64];
	char imsi[16];
	size_t n = unit_hex("08080910100000000000090465f584131a03050017", b); /* captured from osmo-msc */

	(void)state;
	assert_int_equal(phone_l3_paging_imsi(b, n, imsi), 0);
	assert_string_equal(imsi, "001010000000000");
	assert_int_equal(phone_l3_paging_imsi(b, 5, imsi), -EBADMSG);		/* the IMSI cut */
	assert_int_equal(phone_l3_paging_imsi(b + 10, n - 10, imsi), -EBADMSG); /* no IMSI */
	assert_int_equal(phone_l3_paging_imsi(b, unit_hex("0805f4112233441a03050017", b), imsi), -EBADMSG); /* a TMSI */
	assert_int_equal(phone_l3_paging_imsi(b, 0, imsi), -EBADMSG);
}

static void test_lu_accept(void **state)
{
	uint8_t b[64];
	uint32_t tmsi = 0;

	(void)state;
	/* LAI 00f110 0017, mobile identity TMSI 82d77b56 */
	assert_int_equal(phone_l3_lu_accept_tmsi(b, unit_hex("00f11000171705f482d77b56", b), &tmsi), 1);
	assert_int_equal(tmsi, 0x82d77b56);
	/* follow-on proceed first, then an equivalent-PLMN list, then the TMSI */
	assert_int_equal(phone_l3_lu_accept_tmsi(b, unit_hex("00f1100017a14a0300f1101705f411223344", b), &tmsi), 1);
	assert_int_equal(tmsi, 0x11223344);
	assert_int_equal(phone_l3_lu_accept_tmsi(b, unit_hex("00f1100017", b), &tmsi), 0);
	assert_int_equal(phone_l3_lu_accept_tmsi(b, unit_hex("00f11000171708091010000000000000", b), &tmsi),
			 0); /* IMSI */
	assert_int_equal(phone_l3_lu_accept_tmsi(b, unit_hex("00f11000", b), &tmsi), -EBADMSG);
	assert_int_equal(phone_l3_lu_accept_tmsi(b, unit_hex("00f11000171705f482d77b", b), &tmsi), -EBADMSG);
	assert_int_equal(phone_l3_lu_accept_tmsi(b, unit_hex("00f110001717", b), &tmsi), -EBADMSG);
}

static void test_tmsi_realloc(void **state)
{
	uint8_t b[64];
	uint32_t tmsi = 0;

	(void)state;
	assert_int_equal(phone_l3_tmsi_realloc(b,
					       unit_hex("00f1100017"
							"05f4cafebabe",
							b),
					       &tmsi),
			 0);
	assert_int_equal(tmsi, 0xcafebabe);
	assert_int_equal(phone_l3_tmsi_realloc(b,
					       unit_hex("00f1100017"
							"05f4cafeba",
							b),
					       &tmsi),
			 -EBADMSG);
	assert_int_equal(phone_l3_tmsi_realloc(b, unit_hex("00f1100017", b), &tmsi), -EBADMSG);
	assert_int_equal(phone_l3_tmsi_realloc(b,
					       unit_hex("00f1100017"
							"08091010000000000000",
							b),
					       &tmsi),
			 -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_lu_accept),
		cmocka_unit_test(test_tmsi_realloc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
