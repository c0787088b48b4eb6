/* Unit tests of simulator/phone/phone_sim.c with a real card in a temporary directory: an SMS-PP download whose PoR comes
 * in the ENVELOPE response (RP-ACK with it as report data); one whose PoR the SIM sends as SEND SHORT MESSAGE
 * (ops->send_sms gets the SMS-SUBMIT; while it waits, the next download gets RP-ERROR 22; the TERMINAL RESPONSE
 * ends it); a download the SIM refuses (RP-ERROR, TP-FCS D5); APDU tracing; Text String decoding; TERMINAL PROFILE
 * with and without BIP; a BIP event ENVELOPE waiting for the TERMINAL RESPONSE that is due. Real timing, on
 * libosmocore's fake clock: the SIM stays busy for the modelled time of each exchange, the FETCH and the SEND SHORT
 * MESSAGE wait for it on a timer, and an RSA-2048 key generation over the air keeps it busy ~9 s.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include <simpki/apdu.h>
#include <simpki/hex.h>
#include <simpki/ota.h>
#include <simpki/rapdu.h>
#include <simpki/sms.h>

#include "phone_sim.h"

#include "unit.h"

#define KEYS "000102030405060708090A0B0C0D0E0F 101112131415161718191A1B1C1D1E1F"

static const char manifest[] = "applet pki aid F276A288BCFBA69D34F31001 ram 1024 nvm 131072 tar 504B49 msl 16\n"
			       "rfm tar B00010 msl 16\n"
			       "ota-key 1 aes " KEYS "\n";

struct world {
	char dir[64];
	struct phone_sim *sim;
	uint8_t submit[SMS_MAX_TPDU];
	size_t submit_len;
	unsigned submits, apdus;
	uint8_t first_cmd[64], last_cmd[300]; /* the first APDU (TERMINAL PROFILE) and the last, as traced */
	size_t first_len, last_len;
};

static void send_sms(void *priv, const uint8_t *tpdu, size_t len)
{
	struct world *w = priv;

	assert_true(len <= sizeof(w->submit));
	memcpy(w->submit, tpdu, len);
	w->submit_len = len;
	w->submits++;
}

static void trace(void *priv, const uint8_t *cmd, size_t cmd_len, const uint8_t *rsp, size_t rsp_len)
{
	struct world *w = priv;

	(void)rsp;
	assert_true(rsp_len >= 2);
	if (!w->apdus && cmd_len <= sizeof(w->first_cmd)) {
		memcpy(w->first_cmd, cmd, cmd_len);
		w->first_len = cmd_len;
	}
	if (cmd_len <= sizeof(w->last_cmd)) {
		memcpy(w->last_cmd, cmd, cmd_len);
		w->last_len = cmd_len;
	}
	w->apdus++;
}

static const struct phone_sim_ops ops = { .send_sms = send_sms, .trace = trace };

static int setup(void **state)
{
	static struct world w;
	struct card_identity id = { .iccid = "8988211000000430010", .imsi = "001010000000001" };
	char err[256];

	memset(&w, 0, sizeof(w));
	strcpy(w.dir, "/tmp/simpki-phone-sim.XXXXXX");
	assert_non_null(mkdtemp(w.dir));
	assert_int_equal(card_os_create_dir(w.dir, manifest, &id, true, err, sizeof(err)), 0);
	assert_int_equal(phone_sim_open(NULL, w.dir, &ops, &w, &w.sim), 0);
	assert_int_equal(w.apdus, 1); /* TERMINAL PROFILE */
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	char path[128];

	phone_sim_close(w->sim);
	snprintf(path, sizeof(path), "%s/card.img", w->dir);
	unlink(path);
	rmdir(w->dir);
	return 0;
}

/* An SMS-DELIVER for TAR \a tar with \a script, SPI2 \a spi2 and counter \a cntr. */
static size_t deliver_script(const uint8_t *tar, const uint8_t *script, size_t script_len, uint8_t spi2, uint64_t cntr,
			     uint8_t dcs, uint8_t *out)
{
	struct ota_keys k = { .kic_len = 16, .kid_len = 16 };
	struct ota_command c = { .kic = 0x12,
				 .kid = 0x12,
				 .tar = { tar[0], tar[1], tar[2] },
				 .cntr = cntr,
				 .data = script,
				 .data_len = script_len };
	uint8_t spi[2] = { 0x16, spi2 }, ud[SMS_MAX_UD];
	struct sms_tpdu t = { .udhi = true, .pid = 0x7f, .dcs = dcs, .ud = ud };
	int n;

	assert_int_equal(hex_decode("000102030405060708090A0B0C0D0E0F", k.kic, 16), 16);
	assert_int_equal(hex_decode("101112131415161718191A1B1C1D1E1F", k.kid, 16), 16);
	ota_spi_decode(spi, &c.spi);
	memcpy(ud, "\x02\x70\x00", 3);
	n = ota_command_encode_keys(&c, &k, ud + 3, sizeof(ud) - 3);
	assert_true(n > 0);
	t.udl = 3 + (size_t)n;
	strcpy(t.addr.digits, "1234");
	t.addr.ton_npi = 0x91;
	n = sms_tpdu_encode(&t, out, SMS_MAX_TPDU);
	assert_true(n > 0);
	return (size_t)n;
}

/* An SMS-DELIVER carrying an RFM read of EF.ICCID with SPI2 \a spi2 and counter \a cntr. */
static size_t deliver(uint8_t spi2, uint64_t cntr, uint8_t dcs, uint8_t *out)
{
	static const uint8_t script[] = { 0x00, 0xa4, 0x00, 0x0c, 0x02, 0x2f, 0xe2, 0x00, 0xb0, 0x00, 0x00, 0x0a };

	return deliver_script((const uint8_t *)"\xb0\x00\x10", script, sizeof(script), spi2, cntr, dcs, out);
}

static const uint8_t smsc[] = { 0x91, 0x21, 0x43 };

static void test_por_in_envelope_response(void **state)
{
	struct world *w = *state;
	struct phone_sim_rp rp;
	uint8_t tpdu[SMS_MAX_TPDU];
	size_t n = deliver(0x19, 1, 0xf6, tpdu);

	assert_int_equal(phone_sim_sms_pp(w->sim, smsc, sizeof(smsc), tpdu, n, &rp), 0);
	assert_true(rp.ack);
	assert_true(rp.ud_len > 16);
	assert_memory_equal(rp.ud, "\x02\x71\x00", 3);
	assert_int_equal(w->submits, 0);
	assert_false(phone_sim_busy(w->sim));
}

static void test_por_by_send_sms(void **state)
{
	struct world *w = *state;
	struct phone_sim_rp rp;
	struct sms_tpdu t;
	uint8_t tpdu[SMS_MAX_TPDU];
	size_t n = deliver(0x39, 1, 0xf6, tpdu);
	unsigned apdus;

	assert_int_equal(phone_sim_sms_pp(w->sim, smsc, sizeof(smsc), tpdu, n, &rp), 0);
	assert_true(rp.ack);
	assert_int_equal(rp.ud_len, 0);
	assert_int_equal(w->submits, 1);
	assert_true(phone_sim_busy(w->sim));
	assert_int_equal(sms_tpdu_decode(w->submit, w->submit_len, &t), 0);
	assert_true(t.submit);
	assert_string_equal(t.addr.digits, "1234");
	assert_memory_equal(t.ud, "\x02\x71\x00", 3);
	/* the SIM is busy until the TERMINAL RESPONSE: the next download is refused for now */
	n = deliver(0x39, 2, 0xf6, tpdu);
	assert_int_equal(phone_sim_sms_pp(w->sim, smsc, sizeof(smsc), tpdu, n, &rp), 0);
	assert_false(rp.ack);
	assert_int_equal(rp.cause, 22);
	apdus = w->apdus;
	phone_sim_sms_sent(w->sim, PHONE_SIM_OK);
	assert_int_equal(w->apdus, apdus + 1);
	assert_false(phone_sim_busy(w->sim));
	/* now it is taken */
	assert_int_equal(phone_sim_sms_pp(w->sim, smsc, sizeof(smsc), tpdu, n, &rp), 0);
	assert_true(rp.ack);
	assert_int_equal(w->submits, 2);
	phone_sim_sms_sent(w->sim, PHONE_SIM_SMS_RP_ERROR);
	assert_false(phone_sim_busy(w->sim));
}

/* TERMINAL PROFILE announces BIP (phone_bip.h); an ENVELOPE of a BIP event waits while the SIM's SEND SHORT MESSAGE
 * has no TERMINAL RESPONSE yet, and goes right after it. */
static void test_bip_profile_and_envelope_queue(void **state)
{
	static const uint8_t dropped[] = {
		0xd6, 0x0b, 0x99, 0x01, 0x0a, 0x82, 0x02, 0x82, 0x81, 0xb8, 0x02, 0x01, 0x05
	};
	struct world *w = *state;
	struct phone_sim_rp rp;
	uint8_t tpdu[SMS_MAX_TPDU];
	size_t n = deliver(0x39, 1, 0xf6, tpdu);
	unsigned apdus;

	assert_int_equal(w->first_len, 5 + 17);
	assert_memory_equal(w->first_cmd, "\x80\x10\x00\x00\x11", 5);
	assert_int_equal(w->first_cmd[5 + 11], 0x1f); /* byte 12: OPEN, CLOSE, RECEIVE, SEND, GET CHANNEL STATUS */
	assert_int_equal(phone_sim_sms_pp(w->sim, smsc, sizeof(smsc), tpdu, n, &rp), 0);
	assert_true(phone_sim_busy(w->sim));
	apdus = w->apdus;
	assert_int_equal(phone_sim_envelope(w->sim, dropped, sizeof(dropped)), 0);
	assert_int_equal(w->apdus, apdus); /* a TERMINAL RESPONSE is due: it waits */
	assert_int_equal(phone_sim_envelope_queued(w->sim), 1);
	phone_sim_sms_sent(w->sim, PHONE_SIM_OK);
	assert_int_equal(w->apdus, apdus + 2); /* the TERMINAL RESPONSE, then the ENVELOPE */
	assert_int_equal(phone_sim_envelope_queued(w->sim), 0);
	assert_int_equal(w->last_len, 5 + sizeof(dropped));
	assert_memory_equal(w->last_cmd, "\x80\xc2\x00\x00\x0d", 5);
	assert_memory_equal(w->last_cmd + 5, dropped, sizeof(dropped));
	assert_int_equal(phone_sim_envelope(w->sim, dropped, PHONE_BIP_ENV_MAX + 1), -EINVAL);
}

/* With BIP off, TERMINAL PROFILE does not announce it. */
static void test_bip_off_profile(void **state)
{
	struct world *w = *state;
	struct phone_bip_cfg cfg = { .off = true };

	phone_sim_close(w->sim);
	w->apdus = 0;
	assert_int_equal(phone_sim_open_bip(NULL, w->dir, &ops, w, &cfg, &w->sim), 0);
	assert_int_equal(w->first_len, 5 + 8);
	assert_memory_equal(w->first_cmd, "\x80\x10\x00\x00\x08", 5);
}

static void test_refused(void **state)
{
	struct world *w = *state;
	struct phone_sim_rp rp;
	uint8_t tpdu[SMS_MAX_TPDU];
	size_t n = deliver(0x19, 1, 0xf6, tpdu);

	tpdu[0] &= (uint8_t)~0x40; /* no UDHI: not a secured packet */
	assert_int_equal(phone_sim_sms_pp(w->sim, smsc, sizeof(smsc), tpdu, n, &rp), 0);
	assert_false(rp.ack);
	assert_int_equal(rp.fcs, 0xd5);
}

/* The fake clock: \a us later, and the timers that expired run. */
static void advance(uint64_t us)
{
	osmo_gettimeofday_override_add((time_t)(us / 1000000), (suseconds_t)(us % 1000000));
	osmo_timers_prepare();
	osmo_timers_update();
}

static void test_real_timing(void **state)
{
	struct world *w = *state;
	struct phone_sim_rp rp;
	uint8_t tpdu[SMS_MAX_TPDU], script[64];
	size_t n = deliver(0x39, 1, 0xf6, tpdu);
	uint64_t envelope_us, fetch_us;
	unsigned apdus;

	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){ .tv_sec = 1000 };
	assert_int_equal(phone_sim_set_timing(w->sim, true, 0), 0);
	assert_int_equal(phone_sim_wait_us(w->sim), 0);

	/* an RFM read, PoR by SMS: the ENVELOPE is done at once on the host, but the SIM is busy for its modelled time
	 * (at 9,600 bit/s, ~1.15 ms a byte: 100-odd bytes); the FETCH waits for it */
	apdus = w->apdus;
	assert_int_equal(phone_sim_sms_pp(w->sim, smsc, sizeof(smsc), tpdu, n, &rp), 0);
	assert_true(rp.ack);
	assert_int_equal(w->apdus, apdus + 1);
	envelope_us = phone_sim_wait_us(w->sim);
	assert_true(envelope_us > 100000 && envelope_us < 500000);
	assert_false(phone_sim_busy(w->sim));
	advance(envelope_us - 1);
	assert_int_equal(w->apdus, apdus + 1);
	advance(1);
	assert_int_equal(w->apdus, apdus + 2); /* FETCH */
	assert_true(phone_sim_busy(w->sim));
	assert_int_equal(w->submits, 0); /* the SMS goes once the FETCH is over */
	fetch_us = phone_sim_wait_us(w->sim);
	assert_true(fetch_us > 10000);
	advance(fetch_us);
	assert_int_equal(w->submits, 1);
	phone_sim_sms_sent(w->sim, PHONE_SIM_OK);
	assert_false(phone_sim_busy(w->sim));
	advance(phone_sim_wait_us(w->sim));

	/* MANAGE SECURITY ENVIRONMENT and GENERATE an RSA-2048 key pair, with the issuer's authority over the air:
	 * ~9 s of the SIM's time before the FETCH of its PoR */
	{
		static const uint8_t mse[] = { 0x80, 0x01, 0xf3, 0x84, 0x01, 0x00 };
		struct apdu_cmd c[2] = {
			{ .ins = 0x22, .p1 = 0x41, .kase = APDU_CASE_3, .lc = sizeof(mse), .data = mse },
			{ .ins = 0x46, .p1 = 0x42, .kase = APDU_CASE_2, .extended = true, .ne = 65536 },
		};
		int m = rapdu_expanded_encode(c, 2, script, sizeof(script));

		assert_true(m > 0);
		n = deliver_script((const uint8_t *)"\x50\x4b\x49", script, (size_t)m, 0x39, 2, 0xf6, tpdu);
	}
	apdus = w->apdus;
	assert_int_equal(phone_sim_sms_pp(w->sim, smsc, sizeof(smsc), tpdu, n, &rp), 0);
	assert_true(rp.ack);
	assert_true(phone_sim_wait_us(w->sim) > 9000000 && phone_sim_wait_us(w->sim) < 10000000);
	advance(8000000);
	assert_int_equal(w->apdus, apdus + 1);
	assert_int_equal(w->submits, 1);
	advance(phone_sim_wait_us(w->sim));
	assert_int_equal(w->apdus, apdus + 2);
	advance(phone_sim_wait_us(w->sim));
	assert_int_equal(w->submits, 2);

	/* real timing off: what waits goes on at once */
	phone_sim_sms_sent(w->sim, PHONE_SIM_OK); /* the PoR's next SMS: its FETCH waits */
	assert_true(phone_sim_wait_us(w->sim) > 0);
	assert_int_equal(phone_sim_set_timing(w->sim, false, 0), 0);
	assert_int_equal(phone_sim_wait_us(w->sim), 0);
	advance(0);
	assert_int_equal(w->submits, 3);
	osmo_gettimeofday_override = false;
}

static void test_text(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(phone_sim_text_decode((const uint8_t *)"\x04Hello", 6, out, sizeof(out)), 0);
	assert_string_equal(out, "Hello");
	/* "Việt" in UCS2 */
	assert_int_equal(phone_sim_text_decode((const uint8_t *)"\x08\x00V\x00i\x1e\xc7\x00t", 9, out, sizeof(out)), 0);
	assert_string_equal(out, "Vi\xe1\xbb\x87t");
	/* "hello" 7-bit packed */
	assert_int_equal(phone_sim_text_decode((const uint8_t *)"\x00\xe8\x32\x9b\xfd\x06", 6, out, sizeof(out)), 0);
	assert_string_equal(out, "hello");
	assert_int_equal(phone_sim_text_decode((const uint8_t *)"", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(phone_sim_text_decode((const uint8_t *)"\x08\x00", 2, out, sizeof(out)), -EINVAL);
	assert_int_equal(phone_sim_text_decode((const uint8_t *)"\x0c\x41", 2, out, sizeof(out)), -EINVAL);
	/* a small buffer is never overrun */
	assert_int_equal(phone_sim_text_decode((const uint8_t *)"\x04Hello", 6, out, 3), 0);
	assert_string_equal(out, "He");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_por_in_envelope_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_por_by_send_sms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bip_profile_and_envelope_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bip_off_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_timing, setup, teardown),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
