/* Unit tests of lib/ota_sms.c: a packet that fits one SMS; one cut into 3 parts and joined back from any order;
 * parts missing, repeated, of another reference, or a part among non-parts refused; a bad UDH refused. */
#include <errno.h>
#include <string.h>

#include <simpki/ota_sms.h>

#include "unit.h"

static void test_one(void **state)
{
	struct ota_sms_part p[4];
	uint8_t pkt[100], out[400];
	const uint8_t *ud[1];
	size_t len[1], n;

	(void)state;
	memset(pkt, 0x33, sizeof(pkt));
	assert_int_equal(ota_sms_split(pkt, sizeof(pkt), 0x71, 0, p, 4), 1);
	assert_int_equal(p[0].len, 103);
	assert_memory_equal(p[0].ud, "\x02\x71\x00", 3);
	ud[0] = p[0].ud;
	len[0] = p[0].len;
	assert_int_equal(ota_sms_join(ud, len, 1, out, sizeof(out), &n), 0);
	assert_int_equal(n, 103);
	assert_memory_equal(out, p[0].ud, n);
	assert_int_equal(ota_sms_part(p[0].ud, p[0].len, &(struct sms_concat){ 0 }), 0);
	assert_int_equal(ota_sms_split(pkt, sizeof(pkt), 0x71, 0, p, 0), -E2BIG);
}

static void test_three(void **state)
{
	struct ota_sms_part p[4], q[4];
	uint8_t pkt[300], out[400];
	const uint8_t *ud[4];
	size_t len[4], n;
	struct sms_concat cc;

	(void)state;
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;
	assert_int_equal(ota_sms_split(pkt, sizeof(pkt), 0x70, 9, p, 4), 3);
	assert_memory_equal(p[0].ud, "\x07\x00\x03\x09\x03\x01\x70\x00", 8);
	assert_memory_equal(p[2].ud, "\x05\x00\x03\x09\x03\x03", 6);
	assert_int_equal(ota_sms_part(p[1].ud, p[1].len, &cc), 1);
	assert_int_equal(cc.seq, 2);
	/* joined in the order 3, 1, 2 */
	ud[0] = p[2].ud, len[0] = p[2].len;
	ud[1] = p[0].ud, len[1] = p[0].len;
	ud[2] = p[1].ud, len[2] = p[1].len;
	assert_int_equal(ota_sms_join(ud, len, 3, out, sizeof(out), &n), 0);
	assert_int_equal(n, 3 + sizeof(pkt));
	assert_memory_equal(out, "\x02\x70\x00", 3);
	assert_memory_equal(out + 3, pkt, sizeof(pkt));
	assert_int_equal(ota_sms_join(ud, len, 2, out, sizeof(out), &n), -EBADMSG); /* one missing */
	ud[2] = p[2].ud, len[2] = p[2].len;
	assert_int_equal(ota_sms_join(ud, len, 3, out, sizeof(out), &n), -EBADMSG); /* part 3 twice */
	assert_int_equal(ota_sms_split(pkt, sizeof(pkt), 0x70, 10, q, 4), 3);
	ud[2] = q[1].ud, len[2] = q[1].len;
	assert_int_equal(ota_sms_join(ud, len, 3, out, sizeof(out), &n), -EBADMSG); /* another reference */
	ud[2] = p[1].ud, len[2] = p[1].len;
	assert_int_equal(ota_sms_join(ud, len, 3, out, 100, &n), -E2BIG);
	assert_int_equal(ota_sms_split(pkt, sizeof(pkt), 0x70, 9, p, 2), -E2BIG);
}

static void test_bad(void **state)
{
	static const uint8_t no_packet[] = { 0x00, 0x01 }, bad_udhl[] = { 0x09, 0x70, 0x00 };
	const uint8_t *ud[2] = { no_packet, bad_udhl };
	size_t len[2] = { sizeof(no_packet), sizeof(bad_udhl) }, n;
	uint8_t out[64];

	(void)state;
	assert_int_equal(ota_sms_join(ud, len, 1, out, sizeof(out), &n), -EBADMSG);
	assert_int_equal(ota_sms_join(ud + 1, len + 1, 1, out, sizeof(out), &n), -EBADMSG);
	assert_int_equal(ota_sms_join(ud, len, 0, out, sizeof(out), &n), -EBADMSG);
	assert_int_equal(ota_sms_part(bad_udhl, sizeof(bad_udhl), &(struct sms_concat){ 0 }), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one),
		cmocka_unit_test(test_three),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
