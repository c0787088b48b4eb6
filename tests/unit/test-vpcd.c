/* Unit tests of the card's side of the vpcd protocol (simulator/cardos/vpcd.c, vpcd_handle()): the ATR on request, no
 * answer to power and reset controls, a warm reset clearing the applet's session as a real reset does (the PIN
 * must be verified again), power-off then a command (the card powers itself), and frames that are neither a known
 * control nor an APDU (empty, an unknown control byte, a 2- or 3-byte frame) answered without harm.
 */
#include <errno.h>
#include <string.h>

#include <simpki/hex.h>

#include "cardos.h"
#include "unit.h"
#include "vpcd.h"

struct rig {
	struct nvm_store *store;
	struct card_os *os;
	uint8_t out[CARD_RESP_MAX + 2];
};

static int setup(void **state)
{
	static struct rig r;
	struct card_identity id = { .iccid = "89445012345678901238" };
	char err[128];

	assert_int_equal(card_os_build(NULL, &id, &r.store, err, sizeof(err)), 0);
	assert_int_equal(card_os_open(r.store, &r.os), 0);
	*state = &r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;

	card_os_close(r->os);
	nvm_store_free(r->store);
	return 0;
}

/* Send a frame given in hex; \returns the answer's length. */
static int frame(struct rig *r, const char *hex)
{
	uint8_t in[300];
	int n = hex_decode(hex, in, sizeof(in));

	assert_true(n >= 0);
	return vpcd_handle(r->os, in, (size_t)n, r->out, sizeof(r->out));
}

static unsigned sw(struct rig *r, int len)
{
	assert_true(len >= 2);
	return (unsigned)(r->out[len - 2] << 8 | r->out[len - 1]);
}

static void test_controls(void **state)
{
	struct rig *r = *state;
	static const uint8_t atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };

	assert_int_equal(frame(r, "01"), 0); /* power on: no answer */
	assert_int_equal(frame(r, "04"), sizeof(atr));
	assert_memory_equal(r->out, atr, sizeof(atr));
	assert_int_equal(frame(r, "02"), 0);	       /* reset */
	assert_int_equal(frame(r, "00"), 0);	       /* power off */
	assert_int_equal(frame(r, "04"), sizeof(atr)); /* the ATR is known even while off */
	assert_int_equal(frame(r, ""), 0);
	assert_int_equal(frame(r, "03"), 0);
	assert_int_equal(frame(r, "FF"), 0);
}

static void test_reset_clears_session(void **state)
{
	struct rig *r = *state;

	assert_int_equal(frame(r, "01"), 0);
	assert_int_equal(sw(r, frame(r, "00A404000CF276A288BCFBA69D34F31001")), 0x9000);
	assert_int_equal(sw(r, frame(r, "0024010106313233343536")), 0x9000);
	assert_int_equal(sw(r, frame(r, "002000011031323334353600000000000000000000")), 0x9000);
	assert_int_equal(sw(r, frame(r, "00224100068001EC840100")), 0x9000);
	assert_int_equal(frame(r, "02"), 0);
	/* after the reset no applet is selected, and once selected again the PIN is not verified */
	assert_int_equal(sw(r, frame(r, "00224100068001EC840100")), 0x6d00);
	assert_int_equal(sw(r, frame(r, "00A404000CF276A288BCFBA69D34F31001")), 0x9000);
	assert_int_equal(sw(r, frame(r, "00224100068001EC840100")), 0x6982);
}

static void test_command_while_off(void **state)
{
	struct rig *r = *state;

	assert_int_equal(frame(r, "00"), 0);
	assert_int_equal(sw(r, frame(r, "00A404000CF276A288BCFBA69D34F31001")), 0x9000);
}

static void test_short_frames(void **state)
{
	struct rig *r = *state;

	assert_int_equal(frame(r, "01"), 0);
	assert_int_equal(sw(r, frame(r, "00A4")), 0x6700);
	assert_int_equal(sw(r, frame(r, "00A404")), 0x6700);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_controls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_clears_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_while_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_frames, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
