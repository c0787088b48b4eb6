/* Unit tests of simulator/phone/phone_bip.c, the handset's BIP side, against a real TCP server of the test's own on
 * 127.0.0.1 (a listening socket on port 0), in libosmocore's select loop: OPEN CHANNEL's TERMINAL RESPONSE once
 * connected (granted buffer, cut to 1400 with result 07); SEND DATA at once and stored then sent; data from the server
 * -> data available ENVELOPE -> RECEIVE DATA with the bytes left, again after the buffer was emptied; the peer
 * closing with bytes unread (the data first, then the link dropped ENVELOPE); connection refused; bad transport,
 * address type, malformed and incomplete commands; a second OPEN CHANNEL; BIP off; drop-send N; TIMER MANAGEMENT
 * on libosmocore's fake clock; the TERMINAL PROFILE with and without BIP.
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
#include <osmocom/core/timer.h>

#include <simpki/hex.h>

#include "phone_bip.h"

#include "unit.h"

struct world {
	int lfd, peer; /* the server's listening socket, its accepted connection */
	uint16_t port;
	struct phone_bip *b;
	uint8_t env[16][PHONE_BIP_ENV_MAX];
	size_t env_len[16];
	unsigned envs;
	uint8_t tr[PHONE_BIP_TR_MAX];
	size_t tr_len;
	unsigned trs, changes;
};

static void on_envelope(void *priv, const uint8_t *env, size_t len)
{
	struct world *w = priv;

	assert_true(len <= PHONE_BIP_ENV_MAX);
	assert_true(w->envs < 16);
	memcpy(w->env[w->envs], env, len);
	w->env_len[w->envs++] = len;
}

static void on_tr(void *priv, const uint8_t *tr, size_t len)
{
	struct world *w = priv;

	assert_true(len <= sizeof(w->tr));
	memcpy(w->tr, tr, len);
	w->tr_len = len;
	w->trs++;
}

static void on_changed(void *priv)
{
	((struct world *)priv)->changes++;
}

static const struct phone_bip_ops ops = { .envelope = on_envelope, .terminal_response = on_tr, .changed = on_changed };

static struct world *make(const struct phone_bip_cfg *cfg)
{
	static struct world w;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);

	memset(&w, 0, sizeof(w));
	w.peer = -1;
	w.lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(w.lfd >= 0);
	assert_int_equal(bind(w.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(w.lfd, 4), 0);
	assert_int_equal(getsockname(w.lfd, (struct sockaddr *)&sa, &sl), 0);
	w.port = ntohs(sa.sin_port);
	w.b = phone_bip_alloc(NULL, cfg, &ops, &w);
	assert_non_null(w.b);
	return &w;
}

static int setup(void **state)
{
	*state = make(NULL);
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	phone_bip_free(w->b);
	if (w->peer >= 0)
		close(w->peer);
	if (w->lfd >= 0)
		close(w->lfd);
	return 0;
}

/* Turn the select loop until *\a counter goes past \a before (2 s at most). */
static void loop_until(unsigned *counter, unsigned before)
{
	for (int i = 0; i < 2000 && *counter == before; i++) {
		osmo_select_main(1);
		if (*counter == before)
			usleep(1000);
	}
	assert_int_not_equal(*counter, before);
}

/* A few turns of the select loop, for what should not happen. */
static void spin(void)
{
	for (int i = 0; i < 50; i++) {
		osmo_select_main(1);
		usleep(1000);
	}
}

/* \a hex without its spaces into \a out. \returns the length */
static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	char s[700];
	size_t k = 0;
	int n;

	for (; *hex && k + 1 < sizeof(s); hex++) {
		if (*hex != ' ')
			s[k++] = *hex;
	}
	s[k] = '\0';
	n = hex_decode(s, out, max);
	assert_true(n >= 0);
	return (size_t)n;
}

/* Run proactive command \a hex as it is; \returns phone_bip_command()'s result with the TR in w->tr. */
static int run_raw(struct world *w, const char *hex)
{
	uint8_t cmd[300];
	size_t n = unhex(hex, cmd, sizeof(cmd));

	return phone_bip_command(w->b, cmd, n, w->tr, sizeof(w->tr), &w->tr_len);
}

/* Run the proactive command whose D0 body is \a hex. */
static int run(struct world *w, const char *hex)
{
	uint8_t cmd[300];
	size_t n = unhex(hex, cmd + 2, sizeof(cmd) - 2);

	assert_true(n < 128);
	cmd[0] = 0xd0;
	cmd[1] = (uint8_t)n;
	return phone_bip_command(w->b, cmd, n + 2, w->tr, sizeof(w->tr), &w->tr_len);
}

static void expect_tr(struct world *w, const char *hex)
{
	uint8_t want[300];
	size_t n = unhex(hex, want, sizeof(want));
	char got[2 * PHONE_BIP_TR_MAX + 1];

	hex_encode(w->tr, w->tr_len, got, sizeof(got));
	if (w->tr_len != n || memcmp(w->tr, want, w->tr_len))
		fail_msg("TR %s, expected %s", got, hex);
}

static void expect_env(struct world *w, unsigned i, const char *hex)
{
	uint8_t want[64];
	size_t n = unhex(hex, want, sizeof(want));
	char got[2 * PHONE_BIP_ENV_MAX + 1];

	assert_true(i < w->envs);
	hex_encode(w->env[i], w->env_len[i], got, sizeof(got));
	if (w->env_len[i] != n || memcmp(w->env[i], want, w->env_len[i]))
		fail_msg("ENVELOPE %s, expected %s", got, hex);
}

/* OPEN CHANNEL to 127.0.0.1:port with buffer size \a buf (4 hex digits). */
static int open_channel(struct world *w, uint16_t port, const char *buf)
{
	char hex[128];

	snprintf(hex, sizeof(hex), "810301400182028182350103B902%s3C0302%04X3E05217F000001", buf, port);
	return run(w, hex);
}

/* OPEN CHANNEL, the server accepts, the TR comes. */
static void connect_ok(struct world *w, const char *buf)
{
	unsigned trs = w->trs;

	assert_int_equal(open_channel(w, w->port, buf), 1);
	loop_until(&w->trs, trs);
	w->peer = accept(w->lfd, NULL, NULL);
	assert_true(w->peer >= 0);
}

static void server_expect(struct world *w, const char *text)
{
	char got[256];
	size_t n = 0, want = strlen(text);

	while (n < want) {
		ssize_t r;

		osmo_select_main(1);
		r = recv(w->peer, got + n, sizeof(got) - n, MSG_DONTWAIT);
		if (r > 0)
			n += (size_t)r;
		else
			usleep(1000);
	}
	assert_memory_equal(got, text, want);
}

static void test_open(void **state)
{
	struct world *w = *state;
	struct phone_bip_status st;

	connect_ok(w, "0578");
	expect_tr(w, "810301400182028281830100380281003501033902 0578");
	phone_bip_status(w->b, &st);
	assert_true(st.open && st.connected);
	assert_int_equal(w->changes, 1);
	assert_int_equal(st.ip, 0x7f000001);
	assert_int_equal(st.port, w->port);
	/* GET CHANNEL STATUS */
	assert_int_equal(run(w, "810301440082028182"), 0);
	expect_tr(w, "81030144008202828183010038028100");
	/* a second OPEN CHANNEL: no channel available */
	assert_int_equal(open_channel(w, w->port, "0578"), 0);
	expect_tr(w, "810301400182028281 83023A01");
	/* CLOSE CHANNEL, then the channel is gone */
	assert_int_equal(run(w, "810301410082028121"), 0);
	expect_tr(w, "810301410082028281830100");
	assert_int_equal(run(w, "8103014301820281213602 6869"), 0);
	expect_tr(w, "810301430182028281 83023A03");
	assert_int_equal(run(w, "810301440082028182"), 0);
	expect_tr(w, "810301440082028281830100");
	phone_bip_status(w->b, &st);
	assert_false(st.open);
	assert_false(st.failed);
	assert_int_equal(w->changes, 2);
}

static void test_open_big_buffer(void **state)
{
	struct world *w = *state;

	connect_ok(w, "07D0"); /* 2000: cut to 1400, performed with modification */
	expect_tr(w, "810301400182028281830107380281003501033902 0578");
}

static void test_send(void **state)
{
	struct world *w = *state;

	connect_ok(w, "0100");
	/* send now */
	assert_int_equal(run(w, "810301430182028121360568656C6C6F"), 0);
	expect_tr(w, "810301430182028281830100 3701FF");
	server_expect(w, "hello");
	/* store, then send with the stored bytes first */
	assert_int_equal(run(w, "81030143008202812136036162 63"), 0);
	expect_tr(w, "810301430082028281830100 3701FD");
	assert_int_equal(run(w, "81030143018202812136036465 66"), 0);
	expect_tr(w, "810301430182028281830100 3701FF");
	server_expect(w, "abcdef");
	/* to another channel */
	assert_int_equal(run(w, "81030143018202812236036465 66"), 0);
	expect_tr(w, "810301430182028281 83023A03");
}

static void test_receive(void **state)
{
	struct world *w = *state;

	assert_int_equal(run(w, "8103010500820281821902090A"), 0);
	expect_tr(w, "810301050082028281830100");
	connect_ok(w, "0578");
	assert_int_equal(w->envs, 0);
	assert_int_equal(send(w->peer, "0123456789", 10, 0), 10);
	loop_until(&w->envs, 0);
	expect_env(w, 0, "D60E 990109 82028281 B8028100 B7010A");
	/* 4 of them, 6 left */
	assert_int_equal(run(w, "810301420082028121370104"), 0);
	expect_tr(w, "810301420082028281830100 360430313233 370106");
	/* asking for 10, the 6 there */
	assert_int_equal(run(w, "81030142008202812137010A"), 0);
	expect_tr(w, "810301420082028281830100 3606343536373839 370100");
	/* nothing there */
	assert_int_equal(run(w, "81030142008202812137010A"), 0);
	expect_tr(w, "810301420082028281 83023A00");
	/* the buffer was emptied: new bytes bring the event again */
	assert_int_equal(send(w->peer, "xy", 2, 0), 2);
	loop_until(&w->envs, 1);
	expect_env(w, 1, "D60E 990109 82028281 B8028100 B70102");
	assert_int_equal(send(w->peer, "z", 1, 0), 1);
	spin();
	assert_int_equal(w->envs, 2); /* the buffer was not empty: no event */
	assert_int_equal(run(w, "8103014200820281213701FF"), 0);
	expect_tr(w, "810301420082028281830100 360378797A 370100");
}

static void test_receive_large(void **state)
{
	struct world *w = *state;
	static uint8_t data[1400];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	assert_int_equal(run(w, "81030105008202818219 0109"), 0);
	connect_ok(w, "0578");
	assert_int_equal(send(w->peer, data, sizeof(data), 0), (ssize_t)sizeof(data));
	loop_until(&w->envs, 0);
	spin(); /* the rest arrives */
	/* at most 237 bytes in one TR; 255 or more left: FF */
	assert_int_equal(run(w, "8103014200820281213701FF"), 0);
	assert_int_equal(w->tr_len, 12 + 3 + 237 + 3);
	assert_memory_equal(w->tr + 12, "\x36\x81\xed", 3);
	assert_memory_equal(w->tr + 15, data, 237);
	assert_memory_equal(w->tr + 15 + 237, "\x37\x01\xff", 3);
}

static void test_peer_close(void **state)
{
	struct world *w = *state;

	assert_int_equal(run(w, "8103010500820281821902090A"), 0);
	connect_ok(w, "0578");
	assert_int_equal(send(w->peer, "abc", 3, 0), 3);
	close(w->peer);
	w->peer = -1;
	loop_until(&w->envs, 0);
	spin();
	assert_int_equal(w->envs, 1); /* the data first */
	expect_env(w, 0, "D60E 990109 82028281 B8028100 B70103");
	assert_int_equal(run(w, "8103014200820281213701FF"), 0);
	expect_tr(w, "810301420082028281830100 3603616263 370100");
	assert_int_equal(w->envs, 2); /* then the link dropped */
	expect_env(w, 1, "D60B 99010A 82028281 B8020105");
	assert_int_equal(run(w, "810301440082028182"), 0);
	expect_tr(w, "81030144008202828183010038020105");
	assert_int_equal(run(w, "8103014301820281213602 6869"), 0);
	expect_tr(w, "810301430182028281 83023A02");
	assert_int_equal(run(w, "8103014200820281213701FF"), 0);
	expect_tr(w, "810301420082028281 83023A02");
	assert_int_equal(run(w, "810301410082028121"), 0);
	expect_tr(w, "810301410082028281830100");
	/* a new channel may be opened */
	connect_ok(w, "0578");
	expect_tr(w, "810301400182028281830100380281003501033902 0578");
}

static void test_peer_close_empty(void **state)
{
	struct world *w = *state;

	assert_int_equal(run(w, "81030105008202818219010A"), 0);
	connect_ok(w, "0578");
	close(w->peer);
	w->peer = -1;
	loop_until(&w->envs, 0);
	expect_env(w, 0, "D60B 99010A 82028281 B8020105");
}

static void test_no_events_unasked(void **state)
{
	struct world *w = *state;

	connect_ok(w, "0578");
	assert_int_equal(send(w->peer, "abc", 3, 0), 3);
	close(w->peer);
	w->peer = -1;
	spin();
	assert_int_equal(w->envs, 0);
}

static void test_refused(void **state)
{
	struct world *w = *state;
	struct phone_bip_status st;
	unsigned trs = w->trs;
	int rc;

	close(w->lfd); /* nobody listens there any more */
	w->lfd = -1;
	rc = open_channel(w, w->port, "0578");
	if (rc == 1)
		loop_until(&w->trs, trs);
	else
		assert_int_equal(rc, 0);
	expect_tr(w, "810301400182028281 83022100");
	phone_bip_status(w->b, &st);
	assert_true(st.failed && !st.open);
	assert_int_equal(w->changes, 1);
	/* the channel was not opened */
	assert_int_equal(run(w, "810301410082028121"), 0);
	expect_tr(w, "810301410082028281 83023A03");
}

static void test_bad_commands(void **state)
{
	struct world *w = *state;

	/* UDP */
	assert_int_equal(run(w, "810301400182028182350103390205783C0301 1F903E05217F000001"), 0);
	expect_tr(w, "810301400182028281 83023A06");
	/* IPv6 address type */
	assert_int_equal(run(w, "810301400182028182350103390205783C0302 1F903E05577F000001"), 0);
	expect_tr(w, "810301400182028281 83023A06");
	/* no address */
	assert_int_equal(run(w, "810301400182028182350103390205783C03021F90"), 0);
	expect_tr(w, "810301400182028281 830136");
	/* a length running past the command */
	assert_int_equal(run(w, "810301400182028182350103390205783C03021F903E09217F000001"), 0);
	expect_tr(w, "810301400182028281 830132");
	/* CSD bearer */
	assert_int_equal(run(w, "810301400182028182350101390205783C03021F903E05217F000001"), 0);
	expect_tr(w, "810301400182028281 830130");
	/* no command details: no TR possible */
	assert_int_equal(run_raw(w, "D00482028182"), -EINVAL);
	assert_int_equal(run_raw(w, "D10B8103014001820281820000"), -EINVAL);
	/* no device identities */
	assert_int_equal(run(w, "810301440000"), 0);
	expect_tr(w, "810301440082028281 830132");
	/* TIMER MANAGEMENT for timer 9 */
	assert_int_equal(run(w, "810301270082028182240109"), 0);
	expect_tr(w, "810301270082028281 830132");
}

static void test_bip_off(void **state)
{
	struct phone_bip_cfg cfg = { .off = true };
	struct world *w;
	uint8_t tp[32];

	teardown(state);
	w = make(&cfg);
	*state = w;
	assert_int_equal(open_channel(w, w->port, "0578"), 0);
	expect_tr(w, "810301400182028281 830130");
	assert_int_equal(run(w, "8103014200820281213701FF"), 0);
	expect_tr(w, "810301420082028281 830130");
	assert_int_equal(phone_bip_terminal_profile(false, tp, sizeof(tp)), 8);
	assert_int_equal(phone_bip_terminal_profile(true, tp, sizeof(tp)), 17);
	assert_int_equal(tp[5], 0x0c);	/* data available, channel status */
	assert_int_equal(tp[7], 0x03);	/* TIMER MANAGEMENT */
	assert_int_equal(tp[11], 0x1f); /* OPEN, CLOSE, RECEIVE, SEND, GET CHANNEL STATUS */
	assert_int_equal(tp[12], 0x22); /* GPRS, 1 channel */
	assert_int_equal(tp[16], 0x01); /* TCP client, remote */
	assert_int_equal(phone_bip_terminal_profile(true, tp, 16), 0);
}

static void test_drop_send(void **state)
{
	struct phone_bip_cfg cfg = { .drop_send = 2 };
	struct world *w;
	char c;

	teardown(state);
	w = make(&cfg);
	*state = w;
	assert_int_equal(run(w, "8103010500820281821902090A"), 0);
	connect_ok(w, "0578");
	assert_int_equal(run(w, "8103014301820281213602 6869"), 0);
	expect_tr(w, "810301430182028281830100 3701FF");
	server_expect(w, "hi");
	assert_int_equal(run(w, "8103014301820281213602 6869"), 0);
	expect_tr(w, "810301430182028281 83023A02");
	assert_int_equal(w->envs, 1);
	expect_env(w, 0, "D60B 99010A 82028281 B8020105");
	assert_int_equal(recv(w->peer, &c, 1, 0), 0); /* the server sees the connection closed */
	/* the next channel is not the first: its sends go through */
	assert_int_equal(run(w, "810301410082028121"), 0);
	close(w->peer);
	connect_ok(w, "0578");
	assert_int_equal(run(w, "8103014301820281213602 6869"), 0);
	assert_int_equal(run(w, "8103014301820281213602 6869"), 0);
	expect_tr(w, "810301430182028281830100 3701FF");
	server_expect(w, "hihi");
}

/* The fake clock: \a s seconds later, and the timers that expired run. */
static void clock_add(unsigned s)
{
	osmo_gettimeofday_override_add((time_t)s, 0);
	osmo_timers_prepare();
	osmo_timers_update();
}

static void test_timer(void **state)
{
	struct world *w = *state;

	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){ .tv_sec = 1000 };
	/* not running */
	assert_int_equal(run(w, "810301270282028182240101"), 0);
	expect_tr(w, "810301270282028281 830124");
	/* timer 1 for 1 min 5 s (semi-octets, the tens in the low nibble) */
	assert_int_equal(run(w, "810301270082028182240101250300 1050"), 0);
	expect_tr(w, "810301270082028281830100 240101");
	clock_add(60);
	assert_int_equal(w->envs, 0);
	assert_int_equal(run(w, "810301270282028182240101"), 0);
	expect_tr(w, "810301270282028281830100 240101 2503000050");
	clock_add(5);
	assert_int_equal(w->envs, 1);
	expect_env(w, 0, "D70C 82028281 240101 2503001050");
	/* timer 2 started and stopped */
	assert_int_equal(run(w, "810301270082028182240102250300 0030"), 0);
	assert_int_equal(run(w, "810301270182028182240102"), 0);
	expect_tr(w, "810301270182028281830100 240102 2503000030");
	clock_add(10);
	assert_int_equal(w->envs, 1);
	/* bad values: 60 minutes, a nibble over 9, zero */
	assert_int_equal(run(w, "810301270082028182240103250300 0600"), 0);
	expect_tr(w, "810301270082028281 830132");
	assert_int_equal(run(w, "810301270082028182240103250300 00A0"), 0);
	expect_tr(w, "810301270082028281 830132");
	assert_int_equal(run(w, "810301270082028182240103250300 0000"), 0);
	expect_tr(w, "810301270082028281 830132");
	osmo_gettimeofday_override = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_big_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_close_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_events_unasked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bip_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
