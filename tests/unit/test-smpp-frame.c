/* Unit tests of ota-server/smpp_frame.h: framing (a whole PDU, a partial one, lengths out of bounds), a deliver_sm
 * as osmo-msc sends a PoR, one with the payload in a message_payload TLV, and every truncation refused; the
 * message_id of a submit_sm_resp. */
#include <errno.h>
#include <string.h>

#include "smpp_frame.h"

#include "unit.h"

static size_t deliver(uint8_t *b, const uint8_t *sm, uint8_t sm_len, const uint8_t *tlv, size_t tlv_len)
{
	size_t n = 16;

	memcpy(b + n,
	       "\0\x01\x01"
	       "2001\0\x00\x01"
	       "4242\0\x40\x7f\x00\0\0\x00\x00\xf6\x00",
	       24);
	n += 24;
	b[n++] = sm_len;
	memcpy(b + n, sm, sm_len);
	n += sm_len;
	if (tlv_len)
		memcpy(b + n, tlv, tlv_len);
	n += tlv_len;
	memcpy(b, (uint8_t[]){ 0, 0, (uint8_t)(n >> 8), (uint8_t)n, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 9 }, 16);
	return n;
}

static void test_frame(void **state)
{
	uint8_t b[64] = { 0, 0, 0, 16, 0x80, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 7 };
	struct smpp_hdr h;

	(void)state;
	assert_int_equal(smpp_frame_next(b, 16, &h), 16);
	assert_int_equal(h.id, 0x80000015);
	assert_int_equal(h.seq, 7);
	assert_int_equal(smpp_frame_next(b, 15, &h), 0);
	assert_int_equal(smpp_frame_next(b, 3, &h), 0);
	b[3] = 15;
	assert_int_equal(smpp_frame_next(b, 16, &h), -EBADMSG);
	b[2] = 0x10;
	b[3] = 1; /* 4097 */
	assert_int_equal(smpp_frame_next(b, 16, &h), -EBADMSG);
}

static void test_deliver(void **state)
{
	static const uint8_t sm[] = { 0x02, 0x71, 0x00, 0x00, 0x0e };
	static const uint8_t tlv[] = { 0x04, 0x24, 0x00, 0x05, 0x02, 0x71, 0x00, 0x00, 0x0e };
	uint8_t b[128];
	struct smpp_deliver d;
	size_t n = deliver(b, sm, sizeof(sm), NULL, 0);

	(void)state;
	assert_int_equal(smpp_deliver_parse(b, n, &d), 0);
	assert_string_equal(d.source, "2001");
	assert_string_equal(d.dest, "4242");
	assert_int_equal(d.esm_class, 0x40);
	assert_int_equal(d.pid, 0x7f);
	assert_int_equal(d.dcs, 0xf6);
	assert_int_equal(d.sm_len, sizeof(sm));
	assert_memory_equal(d.sm, sm, sizeof(sm));
	for (size_t len = 0; len < n; len++)
		assert_int_equal(smpp_deliver_parse(b, len, &d), -EBADMSG);
	n = deliver(b, sm, 0, tlv, sizeof(tlv));
	assert_int_equal(smpp_deliver_parse(b, n, &d), 0);
	assert_int_equal(d.sm_len, 5);
	assert_int_equal(smpp_deliver_parse(b, n - 1, &d), -EBADMSG); /* the TLV cut */
	n = deliver(b, sm, sizeof(sm), NULL, 0);
	memset(b + 16 + 3, 'x', 30); /* a source address without its end */
	assert_int_equal(smpp_deliver_parse(b, n, &d), -EBADMSG);
}

static void test_resp_id(void **state)
{
	uint8_t b[40] = { 0 };
	char id[8];

	(void)state;
	memcpy(b + 16, "12345678901", 12);
	smpp_submit_resp_id(b, 28, id, sizeof(id));
	assert_string_equal(id, "1234567");
	smpp_submit_resp_id(b, 16, id, sizeof(id));
	assert_string_equal(id, "");
	smpp_submit_resp_id(b, 19, id, sizeof(id)); /* no NUL inside the PDU */
	assert_string_equal(id, "123");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_deliver),
		cmocka_unit_test(test_resp_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
