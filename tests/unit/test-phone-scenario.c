/* Unit tests of simulator/phone/phone_scenario.c: the defaults, every key, defaults that phones named after them
 * inherit, lists of PINs (the last repeating) and the timeout, BIP on/off/drop-send, and bad scenarios, each an
 * error naming its line. */
#include <errno.h>
#include <string.h>

#include "phone_scenario.h"

#include "unit.h"

static struct phone_scenario s;

static void test_defaults(void **state)
{
	const struct phone_user *u;
	char err[128];

	(void)state;
	assert_int_equal(phone_scenario_parse("# nothing\n\n", &s, err, sizeof(err)), 0);
	u = phone_scenario_user(&s, "001010000000001");
	assert_int_equal(u->answer, PHONE_ANSWER_APPROVE);
	assert_string_equal(u->pin[0], "1234");
	assert_int_equal(u->npins, 1);
	assert_int_equal(u->delay_ms, 1000);
	assert_int_equal(u->timeout_ms, 60000);
	assert_false(u->has_off);
	assert_false(u->bip_off);
	assert_int_equal(u->bip_drop_send, 0);
}

/* BIP: on, off, drop-send N; a phone's own value replaces the default's. */
static void test_bip(void **state)
{
	const char *text = "default bip drop-send 3 delay 0\n"
			   "phone 001010000000001 bip off\n"
			   "phone 001010000000002 bip on answer reject\n"
			   "phone 001010000000003 bip drop-send 65535 pin 1\n";
	const struct phone_user *u;
	char err[128] = "";

	(void)state;
	assert_int_equal(phone_scenario_parse(text, &s, err, sizeof(err)), 0);
	u = phone_scenario_user(&s, "999999999999999");
	assert_false(u->bip_off);
	assert_int_equal(u->bip_drop_send, 3);
	assert_int_equal(u->delay_ms, 0);
	u = phone_scenario_user(&s, "001010000000001");
	assert_true(u->bip_off);
	assert_int_equal(u->bip_drop_send, 0);
	u = phone_scenario_user(&s, "001010000000002");
	assert_false(u->bip_off);
	assert_int_equal(u->bip_drop_send, 0);
	assert_int_equal(u->answer, PHONE_ANSWER_REJECT);
	u = phone_scenario_user(&s, "001010000000003");
	assert_int_equal(u->bip_drop_send, 65535);
	assert_string_equal(u->pin[0], "1");
}

static void test_keys(void **state)
{
	const char *text = "default answer approve pin 0000 delay 0.25\n"
			   "phone 001010000000001 answer reject\n"
			   "phone 001010000000002\tpin 9999 delay 2.5 off 10 30.5\r\n"
			   "phone 001010000000003 answer none delay 0\n";
	const struct phone_user *u;
	char err[128] = "";

	(void)state;
	assert_int_equal(phone_scenario_parse(text, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 3);
	u = phone_scenario_user(&s, "001010000000001");
	assert_int_equal(u->answer, PHONE_ANSWER_REJECT);
	assert_string_equal(u->pin[0], "0000");
	assert_int_equal(u->delay_ms, 250);
	u = phone_scenario_user(&s, "001010000000002");
	assert_int_equal(u->answer, PHONE_ANSWER_APPROVE);
	assert_string_equal(u->pin[0], "9999");
	assert_int_equal(u->delay_ms, 2500);
	assert_true(u->has_off);
	assert_int_equal(u->off_at_ms, 10000);
	assert_int_equal(u->off_for_ms, 30500);
	u = phone_scenario_user(&s, "001010000000003");
	assert_int_equal(u->answer, PHONE_ANSWER_NONE);
	assert_int_equal(u->delay_ms, 0);
	u = phone_scenario_user(&s, "999999999999999");
	assert_string_equal(u->pin[0], "0000");
}

/* A list of PINs: wrong then right, the last repeating; and the timeout. */
static void test_pins_timeout(void **state)
{
	const char *text = "default pin 0000,1234 timeout 2.5\n"
			   "phone 001010000000001 pin 0000\n"
			   "phone 001010000000002 pin 1,22,333,4444,55555,666666,7777777,88888888 timeout 3600\n"
			   "phone 001010000000003 pin ,1234\n";
	const struct phone_user *u;
	char err[128] = "";

	(void)state;
	assert_int_equal(phone_scenario_parse(text, &s, err, sizeof(err)), 0);
	u = phone_scenario_user(&s, "999999999999999");
	assert_int_equal(u->npins, 2);
	assert_string_equal(phone_user_pin(u, 0), "0000");
	assert_string_equal(phone_user_pin(u, 1), "1234");
	assert_string_equal(phone_user_pin(u, 2), "1234");
	assert_string_equal(phone_user_pin(u, 100), "1234");
	assert_int_equal(u->timeout_ms, 2500);
	u = phone_scenario_user(&s, "001010000000001");
	assert_int_equal(u->npins, 1);
	assert_string_equal(phone_user_pin(u, 0), "0000");
	assert_string_equal(phone_user_pin(u, 3), "0000");
	assert_int_equal(u->timeout_ms, 2500); /* inherited from default */
	u = phone_scenario_user(&s, "001010000000002");
	assert_int_equal(u->npins, 8);
	assert_string_equal(phone_user_pin(u, 7), "88888888");
	assert_string_equal(phone_user_pin(u, 8), "88888888");
	assert_int_equal(u->timeout_ms, 3600000);
	u = phone_scenario_user(&s, "001010000000003");
	assert_int_equal(u->npins, 2);
	assert_string_equal(phone_user_pin(u, 0), ""); /* an empty entry */
	assert_string_equal(phone_user_pin(u, 1), "1234");
}

static void expect(const char *text, const char *want)
{
	char err[128] = "";

	assert_int_equal(phone_scenario_parse(text, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
}

static void test_bad(void **state)
{
	char big[400];

	(void)state;
	expect("phone 12345 answer approve\n", "scenario line 1: phone needs an IMSI of 6 to 15 digits");
	expect("phone\n", "scenario line 1: phone needs an IMSI of 6 to 15 digits");
	expect("\nphone 001010000000001 answer maybe\n", "scenario line 2: answer is approve, reject or none");
	expect("phone 001010000000001 answer\n", "scenario line 1: 'answer' needs a value");
	expect("phone 001010000000001 pin 12a4\n",
	       "scenario line 1: pin is up to 8 PINs separated by commas, each up to 16 characters of 0-9 * # +");
	expect("phone 001010000000001 pin 12345678901234567\n",
	       "scenario line 1: pin is up to 8 PINs separated by commas, each up to 16 characters of 0-9 * # +");
	expect("phone 001010000000001 pin 1,2,3,4,5,6,7,8,9\n",
	       "scenario line 1: pin is up to 8 PINs separated by commas, each up to 16 characters of 0-9 * # +");
	expect("phone 001010000000001 pin 1234,12x4\n",
	       "scenario line 1: pin is up to 8 PINs separated by commas, each up to 16 characters of 0-9 * # +");
	expect("phone 001010000000001 timeout 0\n",
	       "scenario line 1: timeout is seconds, above 0 up to 3600, up to 3 decimals");
	expect("phone 001010000000001 timeout 3601\n",
	       "scenario line 1: timeout is seconds, above 0 up to 3600, up to 3 decimals");
	expect("phone 001010000000001 timeout 1 timeout 2\n", "scenario line 1: 'timeout' given twice");
	expect("phone 001010000000001 delay -1\n", "scenario line 1: delay is seconds, 0 to 3600, up to 3 decimals");
	expect("phone 001010000000001 delay 3600.001\n",
	       "scenario line 1: delay is seconds, 0 to 3600, up to 3 decimals");
	expect("phone 001010000000001 delay 1.2345\n",
	       "scenario line 1: delay is seconds, 0 to 3600, up to 3 decimals");
	expect("phone 001010000000001 delay 1.\n", "scenario line 1: delay is seconds, 0 to 3600, up to 3 decimals");
	expect("phone 001010000000001 off 5\n", "scenario line 1: 'off' needs a value");
	expect("phone 001010000000001 off 5 0\n", "scenario line 1: off takes AT and FOR seconds (FOR above 0)");
	expect("phone 001010000000001 colour red\n", "scenario line 1: unknown key 'colour'");
	expect("phone 001010000000001 pin 1 pin 2\n", "scenario line 1: 'pin' given twice");
	expect("phone 001010000000001\nphone 001010000000001\n", "scenario line 2: phone 001010000000001 given twice");
	expect("default pin 1\ndefault pin 2\n", "scenario line 2: default given twice");
	expect("phone 001010000000001 bip\n", "scenario line 1: 'bip' needs a value");
	expect("phone 001010000000001 bip maybe\n", "scenario line 1: bip is on, off or drop-send N (1 to 65535)");
	expect("phone 001010000000001 bip drop-send\n", "scenario line 1: bip is on, off or drop-send N (1 to 65535)");
	expect("phone 001010000000001 bip drop-send 0\n",
	       "scenario line 1: bip is on, off or drop-send N (1 to 65535)");
	expect("phone 001010000000001 bip drop-send 65536\n",
	       "scenario line 1: bip is on, off or drop-send N (1 to 65535)");
	expect("phone 001010000000001 bip drop-send -1\n",
	       "scenario line 1: bip is on, off or drop-send N (1 to 65535)");
	expect("phone 001010000000001 bip drop-send 2x\n",
	       "scenario line 1: bip is on, off or drop-send N (1 to 65535)");
	expect("phone 001010000000001 bip off bip on\n", "scenario line 1: 'bip' given twice");
	expect("phones 001010000000001\n", "scenario line 1: unknown directive 'phones'");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect(big, "scenario line 1: longer than 256 characters");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_keys), cmocka_unit_test(test_bip),
		cmocka_unit_test(test_pins_timeout), cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
