/* Unit tests of phone_sim.c's BIP path with a test double for the card: card_os_transmit() is wrapped at link time
 * (-Wl,--wrap=card_os_transmit) by a scripted SIM that holds a queue of proactive commands, answers 91xx while
 * one is queued, hands it out at FETCH, records every TERMINAL RESPONSE and ENVELOPE, and refuses a given number of
 * ENVELOPEs with 9300. The card directory is real (phone_sim_open() opens it); its OS never sees an APDU. Checked:
 * SET UP EVENT LIST and OPEN CHANNEL fetched and answered (the OPEN's TERMINAL RESPONSE once a TCP server of the
 * test's own on 127.0.0.1 accepted), the data available ENVELOPE refused with 9300 and sent again, its 91xx
 * bringing RECEIVE DATA and SEND DATA, the peer's close as the link dropped ENVELOPE, and phone_sim_close() closing
 * the socket; an ENVELOPE never goes while a TERMINAL RESPONSE is due.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <osmocom/core/select.h>

#include <simpki/hex.h>

#include "phone_sim.h"

#include "unit.h"

#define MAX_CMDS 8
#define MAX_LOG 32

/* The scripted SIM. */
static struct {
	uint8_t cmd[MAX_CMDS][128]; /* proactive commands to be fetched, in order */
	size_t cmd_len[MAX_CMDS];
	unsigned ncmd;
	bool tr_due;		   /* a command was fetched and not answered */
	unsigned refuse_envelopes; /* answer that many ENVELOPEs 9300 */
	uint8_t tr[MAX_LOG][300];  /* TERMINAL RESPONSE bodies */
	size_t tr_len[MAX_LOG];
	unsigned ntr;
	uint8_t env[MAX_LOG][64]; /* ENVELOPE bodies (not the SMS-PP download that starts a test) */
	size_t env_len[MAX_LOG];
	unsigned nenv, refused;
} sim;

int __wrap_card_os_transmit(struct card_os *os, const uint8_t *cmd, size_t len, uint8_t *resp, size_t max,
			    size_t *resp_len);

static size_t status(uint8_t *resp, size_t n)
{
	if (sim.ncmd) {
		resp[n++] = 0x91;
		resp[n++] = (uint8_t)sim.cmd_len[0];
	} else {
		resp[n++] = 0x90;
		resp[n++] = 0x00;
	}
	return n;
}

int __wrap_card_os_transmit(struct card_os *os, const uint8_t *cmd, size_t len, uint8_t *resp, size_t max,
			    size_t *resp_len)
{
	size_t lc = len > 5 ? cmd[4] : 0;

	(void)os;
	assert_true(max >= 260);
	assert_true(len >= 5 && len == (len > 5 ? 5 + lc : 5));
	switch (cmd[1]) {
	case 0x10: /* TERMINAL PROFILE */
		*resp_len = status(resp, 0);
		return 0;
	case 0xc2: /* ENVELOPE */
		assert_false(sim.tr_due);
		if (cmd[5] != 0xd1) {
			assert_true(sim.nenv < MAX_LOG && lc <= sizeof(sim.env[0]));
			memcpy(sim.env[sim.nenv], cmd + 5, lc);
			sim.env_len[sim.nenv++] = lc;
		}
		if (sim.refuse_envelopes) {
			sim.refuse_envelopes--;
			sim.refused++;
			memcpy(resp, "\x93\x00", 2);
			*resp_len = 2;
			return 0;
		}
		*resp_len = status(resp, 0);
		return 0;
	case 0x12: /* FETCH */
		assert_true(sim.ncmd > 0);
		assert_int_equal(cmd[4], sim.cmd_len[0]);
		memcpy(resp, sim.cmd[0], sim.cmd_len[0]);
		*resp_len = sim.cmd_len[0];
		sim.ncmd--;
		memmove(sim.cmd[0], sim.cmd[1], sim.ncmd * sizeof(sim.cmd[0]));
		memmove(sim.cmd_len, sim.cmd_len + 1, sim.ncmd * sizeof(sim.cmd_len[0]));
		sim.tr_due = true;
		resp[(*resp_len)++] = 0x90;
		resp[(*resp_len)++] = 0x00;
		return 0;
	case 0x14: /* TERMINAL RESPONSE */
		assert_true(sim.tr_due);
		sim.tr_due = false;
		assert_true(sim.ntr < MAX_LOG);
		memcpy(sim.tr[sim.ntr], cmd + 5, lc);
		sim.tr_len[sim.ntr++] = lc;
		*resp_len = status(resp, 0);
		return 0;
	default:
		fail_msg("unexpected APDU INS %02X", cmd[1]);
		return -EIO;
	}
}

/* Queue proactive command D0 { \a body } (hex, spaces allowed). */
static void queue(const char *body)
{
	uint8_t *c = sim.cmd[sim.ncmd];
	int n = hex_decode(body, c + 2, sizeof(sim.cmd[0]) - 2);

	assert_true(n > 0 && n < 128 && sim.ncmd < MAX_CMDS);
	c[0] = 0xd0;
	c[1] = (uint8_t)n;
	sim.cmd_len[sim.ncmd++] = (size_t)n + 2;
}

static void expect_bytes(const uint8_t *got, size_t got_len, const char *hex)
{
	uint8_t want[300];
	int n = hex_decode(hex, want, sizeof(want));
	char s[700];

	assert_true(n >= 0);
	hex_encode(got, got_len, s, sizeof(s));
	if (got_len != (size_t)n || memcmp(got, want, got_len))
		fail_msg("got %s, expected %s", s, hex);
}

static void loop_until(unsigned *counter, unsigned want)
{
	for (int i = 0; i < 2000 && *counter < want; i++) {
		osmo_select_main(1);
		if (*counter < want)
			usleep(1000);
	}
	assert_int_equal(*counter, want);
}

static const struct phone_sim_ops ops = { 0 };

static void test_bip_through_phone_sim(void **state)
{
	static const char manifest[] =
		"applet pki aid F276A288BCFBA69D34F31001 ram 1024 nvm 131072 tar 504B49 msl 16\n";
	struct card_identity id = { .iccid = "8988211000000430010", .imsi = "001010000000001" };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	char dir[64] = "/tmp/simpki-phone-sim-bip.XXXXXX", err[256], hex[256], path[128], got[8];
	struct phone_sim *ps;
	struct phone_sim_rp rp;
	struct phone_bip_status st;
	int lfd, peer;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	if (card_os_create_dir(dir, manifest, &id, true, err, sizeof(err)))
		fail_msg("%s", err);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);

	assert_int_equal(phone_sim_open(NULL, dir, &ops, NULL, &ps), 0);
	/* an SMS-PP download whose answer is 91xx: the SIM asks for events, then opens a channel */
	queue("810301050082028182 1902090A");
	snprintf(hex, sizeof(hex), "810301400182028182 350103 39020578 3C0302%04X 3E05217F000001", ntohs(sa.sin_port));
	queue(hex);
	assert_int_equal(phone_sim_sms_pp(ps, (const uint8_t *)"\x91\x21\x43", 3, (const uint8_t *)"\x04\x00", 2, &rp),
			 0);
	assert_int_equal(sim.ntr, 1);
	expect_bytes(sim.tr[0], sim.tr_len[0], "810301050082028281830100");
	assert_true(phone_sim_busy(ps)); /* OPEN CHANNEL connecting */
	loop_until(&sim.ntr, 2);
	expect_bytes(sim.tr[1], sim.tr_len[1], "810301400182028281830100380281003501033902 0578");
	assert_false(phone_sim_busy(ps));
	peer = accept(lfd, NULL, NULL);
	assert_true(peer >= 0);
	phone_sim_bip_status(ps, &st);
	assert_true(st.connected);

	/* the server speaks: data available, refused once (9300), sent again; its 91xx brings RECEIVE and SEND */
	sim.refuse_envelopes = 1;
	queue("810301420082028121 3701FF");
	queue("810301430182028121 3603 78797A");
	assert_int_equal(send(peer, "abc", 3, 0), 3);
	loop_until(&sim.nenv, 2);
	assert_int_equal(sim.refused, 1);
	expect_bytes(sim.env[0], sim.env_len[0], "D60E 990109 82028281 B8028100 B70103");
	expect_bytes(sim.env[1], sim.env_len[1], "D60E 990109 82028281 B8028100 B70103");
	assert_int_equal(sim.ntr, 4);
	expect_bytes(sim.tr[2], sim.tr_len[2], "810301420082028281830100 3603616263 370100");
	expect_bytes(sim.tr[3], sim.tr_len[3], "810301430182028281830100 3701FF");
	n = recv(peer, got, sizeof(got), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(got, "xyz", 3);

	/* the server closes: link dropped */
	close(peer);
	loop_until(&sim.nenv, 3);
	expect_bytes(sim.env[2], sim.env_len[2], "D60B 99010A 82028281 B8020105");

	/* a new channel, then the phone is switched off: the server sees it closed */
	queue("810301410082028121");
	queue(hex);
	assert_int_equal(phone_sim_sms_pp(ps, (const uint8_t *)"\x91\x21\x43", 3, (const uint8_t *)"\x04\x00", 2, &rp),
			 0);
	loop_until(&sim.ntr, 6); /* the CLOSE of the dropped channel, then the OPEN */
	expect_bytes(sim.tr[4], sim.tr_len[4], "810301410082028281830100");
	expect_bytes(sim.tr[5], sim.tr_len[5], "810301400182028281830100380281003501033902 0578");
	peer = accept(lfd, NULL, NULL);
	assert_true(peer >= 0);
	phone_sim_close(ps);
	assert_int_equal(recv(peer, got, sizeof(got), 0), 0);
	close(peer);
	close(lfd);
	snprintf(path, sizeof(path), "%s/card.img", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bip_through_phone_sim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
