/* The real-SIM timing model (simulator/cardos/timing.c) as the card OS charges it, read back through
 * card_os_modelled_us() on a card in fast mode (nothing sleeps): the transport of each command at the configured
 * protocol and rate, 3 ms per 64-byte NVM page written, and the cryptography's delays. The expected figures are
 * worked out here from the model's definition (docs/card.md, section 8), not from its code.
 */
#include <errno.h>
#include <string.h>

#include <simpki/hex.h>

#include "cardos.h"
#include "pki_apdus.h"
#include "unit.h"

struct card {
	struct nvm_store *store;
	struct card_os *os;
};

static void card_new(struct card *k)
{
	struct card_identity id = { .iccid = "89445012345678901238" };
	uint8_t atr[33];
	char err[256];

	assert_int_equal(card_os_build(NULL, &id, &k->store, err, sizeof(err)), 0);
	assert_int_equal(card_os_open(k->store, &k->os), 0);
	card_os_power_on(k->os, atr, sizeof(atr));
}

static void card_free(struct card *k)
{
	card_os_close(k->os);
	nvm_store_free(k->store);
}

/* Send \a hex; \returns the modelled microseconds it took, and the NVM pages it wrote in *pages. */
static uint64_t send(struct card *k, const char *hex, uint64_t *pages, size_t *resp_len)
{
	uint8_t cmd[600], resp[CARD_RESP_MAX + 2];
	int n = hex_decode(hex, cmd, sizeof(cmd));
	uint64_t t0 = card_os_modelled_us(k->os), p0 = nvm_store_pages_written(k->store);
	size_t len;

	assert_true(n > 0);
	assert_int_equal(card_os_transmit(k->os, cmd, (size_t)n, resp, sizeof(resp), &len), 0);
	if (pages)
		*pages = nvm_store_pages_written(k->store) - p0;
	if (resp_len)
		*resp_len = len;
	return card_os_modelled_us(k->os) - t0;
}

static void test_transport_t1_9600(void **state)
{
	struct card k;
	uint64_t pages;
	size_t len;

	card_new(&k);
	/* SELECT by AID: 17 command bytes, 5 back (FCI 00 06 06, 90 00); one block each way, 4 bytes of framing each:
	 * 30 characters of 11 etu at 9,600 bit/s = 34,375 us; nothing written */
	assert_int_equal(send(&k, PKI_HEX_SELECT, &pages, &len), 34375);
	assert_int_equal(len, 5);
	assert_int_equal(pages, 0);
	card_free(&k);
}

static void test_nvm_pages(void **state)
{
	struct card k;
	uint64_t pages, us;

	card_new(&k);
	send(&k, PKI_HEX_SELECT, NULL, NULL);
	send(&k, "00E00000176F1581021388820138830250158608FF00000000000090", NULL, NULL);
	send(&k, PKI_HEX_PUK_SET, NULL, NULL);
	send(&k, PKI_HEX_PIN_SET, NULL, NULL);
	/* VERIFY: 21 bytes in, 2 out: (25 + 6) * 11 / 9600 s = 35,521 us (rounded up), plus 3 ms a page: the try
	 * counter is committed twice (down, then back up), each commit writing journal, header, data and clearing */
	us = send(&k, PKI_HEX_PIN_OK, &pages, NULL);
	assert_true(pages >= 8);
	assert_int_equal(us, 35521 + pages * 3000);
	card_free(&k);
}

static void test_transport_t0_115200(void **state)
{
	struct card k;
	size_t len;

	card_new(&k);
	assert_int_equal(card_os_set_transport(k.os, CARD_PROTO_T0, 115200), 0);
	assert_int_equal(card_os_set_transport(k.os, CARD_PROTO_T0, 100), -EINVAL);
	send(&k, PKI_HEX_SELECT, NULL, NULL);
	/* GET CHALLENGE of 8 bytes: header 5, procedure byte, SW (61 08); GET RESPONSE: header 5, procedure byte, 8
	 * bytes, SW: 24 characters of 12 etu at 115,200 bit/s = 2,500 us */
	assert_int_equal(send(&k, "0084000008", NULL, &len), 2500);
	assert_int_equal(len, 10);
	card_free(&k);
}

static void test_crypto_delay(void **state)
{
	struct card k;

	card_new(&k);
	send(&k, PKI_HEX_SELECT, NULL, NULL);
	send(&k, "00E00000176F1581021388820138830250158608FF00000000000090", NULL, NULL);
	send(&k, PKI_HEX_PUK_SET, NULL, NULL);
	send(&k, PKI_HEX_PIN_SET, NULL, NULL);
	send(&k, PKI_HEX_PIN_OK, NULL, NULL);
	send(&k, "00224100068001EC840101", NULL, NULL);
	/* a real SIM's P-256 key generation: 900 ms, on top of transport and NVM */
	assert_true(send(&k, PKI_HEX_GEN_EC, NULL, NULL) > 900000);
	card_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transport_t1_9600),
		cmocka_unit_test(test_nvm_pages),
		cmocka_unit_test(test_transport_t0_115200),
		cmocka_unit_test(test_crypto_delay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
