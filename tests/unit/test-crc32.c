/* Unit tests for lib/crc32.c: crc32_update() against the standard check value ("123456789" -> 0xCBF43926) and
 * other published CRC-32 values, the empty input (0 from 0, and any CRC unchanged by zero more bytes), and
 * incremental computation (every split point, and byte by byte) giving the one-shot result.
 */
#include <string.h>

#include <simpki/crc32.h>

#include "unit.h"

static void test_check_value(void **state)
{
	assert_int_equal(crc32_update(0, "123456789", 9), 0xcbf43926u);
}

static void test_known_values(void **state)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	static const uint8_t zeros[32];
	static const uint8_t ff4[] = { 0xff, 0xff, 0xff, 0xff };

	assert_int_equal(crc32_update(0, "a", 1), 0xe8b7be43u);
	assert_int_equal(crc32_update(0, fox, strlen(fox)), 0x414fa339u);
	assert_int_equal(crc32_update(0, zeros, sizeof(zeros)), 0x190a55adu);
	assert_int_equal(crc32_update(0, ff4, sizeof(ff4)), 0xffffffffu);
}

static void test_empty(void **state)
{
	assert_int_equal(crc32_update(0, "", 0), 0);
	assert_int_equal(crc32_update(0, NULL, 0), 0);
	assert_int_equal(crc32_update(0xcbf43926u, NULL, 0), 0xcbf43926u);
	assert_int_equal(crc32_update(0x12345678u, "x", 0), 0x12345678u);
}

static void test_incremental(void **state)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	const size_t n = strlen(fox);
	const uint32_t whole = crc32_update(0, fox, n);
	uint32_t crc;

	for (size_t split = 0; split <= n; split++) {
		crc = crc32_update(0, fox, split);
		crc = crc32_update(crc, fox + split, n - split);
		assert_int_equal(crc, whole);
	}
	crc = 0;
	for (size_t i = 0; i < n; i++)
		crc = crc32_update(crc, fox + i, 1);
	assert_int_equal(crc, whole);

	crc = crc32_update(0, "1234", 4);
	crc = crc32_update(crc, "", 0);
	crc = crc32_update(crc, "56789", 5);
	assert_int_equal(crc, 0xcbf43926u);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_incremental),
	};

	return cmocka_run_group_tests_name("crc32", tests, NULL, NULL);
}
