/* The card's SCP81 admin agent (simulator/cardos/admin_agent.c) driven as a handset would: a push (secured packet to
 * the admin TAR 000000), then the test plays the terminal (FETCH, TERMINAL RESPONSE, ENVELOPE D6/D7 events) and, behind
 * the BIP channel, the RAS: an OpenSSL TLS-PSK server on a BIO pair with a small HTTP responder (scp81.h). Cases: a
 * full session running an RFM READ BINARY of EF.ICCID and ending with 204 (every BIP command's bytes checked); a wrong
 * PSK (the handshake fails, retries counted, TIMER MANAGEMENT and its expiration, the session ends); a link dropped
 * after a script ran and before its response was answered (the retry resumes with X-Admin-Resume and the kept
 * response; the script is not run twice); an unknown targeted application; malformed HTTP (the try fails, the card
 * still works and takes the next push); a refused OPEN CHANNEL (retries, no CLOSE CHANNEL); a bad push, a push during a
 * session (9300 while its command waits, PoR 07 while it waits for data) and a reset ending the session; malformed
 * D6/D7 envelopes (6A80).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <simpki/hex.h>
#include <simpki/ota.h>
#include <simpki/scp81.h>
#include <simpki/sms.h>
#include <simpki/tlv.h>

#include "admin_agent.h"
#include "cardos.h"
#include "os_internal.h"
#include "ota_re.h"

#include "unit.h"

#define KIC "000102030405060708090A0B0C0D0E0F"
#define KID "101112131415161718191A1B1C1D1E1F"
#define PSK "00112233445566778899AABBCCDDEEFF"
#define ICCID "8988211000000430010"
#define APPLET_AID "F276A288BCFBA69D34F31001"

static const char manifest[] = "applet pki aid " APPLET_AID " ram 1024 nvm 131072 tar 504B49 msl 16\n"
			       "rfm tar B00010 msl 16\n"
			       "admin tar 000000 msl 16 server 127.0.0.1:8443\n"
			       "ota-key 1 aes " KIC " " KID "\n"
			       "scp81-psk 64 1 " PSK "\n";

/* what the RAS does with request k (0: the first of a try) */
enum srv_act {
	ACT_SCRIPT,	/* 200 with the READ of EF.ICCID, for the RFM */
	ACT_SCRIPT_AID, /* 200 with a script for an AID the card does not have */
	ACT_END,	/* 204 */
	ACT_DROP,	/* no answer: the terminal reports the link dropped */
	ACT_MALFORMED,	/* bytes that are not HTTP */
};

struct world {
	struct nvm_store *store;
	struct card_os *os;
	uint64_t cntr;

	/* the terminal */
	bool link_up, announced, drop_pending, timer_running;
	uint8_t types[256]; /* proactive command types in order */
	unsigned ntypes;
	uint8_t open_cmd[64];
	size_t open_len;
	uint8_t timer_cmd[32];
	size_t timer_len;
	uint8_t to_card[65536]; /* RAS bytes not yet received by the card */
	size_t to_card_len;
	bool refuse_open;

	/* the RAS */
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *ext;
	bool wrong_psk;
	char identity[80];
	struct scp81_http_parser p;
	enum srv_act acts[8];
	unsigned nacts, at;
	struct scp81_http_msg reqs[8];
	unsigned nreqs;
	unsigned handshakes;
};

static struct world world;

static uint16_t apdu(struct world *w, const uint8_t *cmd, size_t len, uint8_t *out, size_t *out_len)
{
	uint8_t rsp[CARD_RESP_MAX + 2];
	size_t rlen;

	assert_int_equal(card_os_transmit(w->os, cmd, len, rsp, sizeof(rsp), &rlen), 0);
	if (out) {
		memcpy(out, rsp, rlen - 2);
		*out_len = rlen - 2;
	}
	return (uint16_t)(rsp[rlen - 2] << 8 | rsp[rlen - 1]);
}

static uint16_t apdu_hex(struct world *w, const char *hex, uint8_t *out, size_t *out_len)
{
	uint8_t cmd[600];
	int n = hex_decode(hex, cmd, sizeof(cmd));

	assert_true(n > 0);
	return apdu(w, cmd, (size_t)n, out, out_len);
}

/* toolkit command 80 INS 00 00 Lc data */
static uint16_t toolkit(struct world *w, uint8_t ins, const uint8_t *d, size_t len, uint8_t *out, size_t *out_len)
{
	uint8_t cmd[300];

	assert_true(len <= 255);
	memcpy(cmd, (const uint8_t[]){ 0x80, ins, 0x00, 0x00, (uint8_t)len }, 5);
	memcpy(cmd + 5, d, len);
	return apdu(w, cmd, 5 + len, out, out_len);
}

/* ---- the RAS ---- */

static unsigned srv_psk(SSL *ssl, const char *identity, unsigned char *psk, unsigned max)
{
	struct world *w = &world;

	(void)ssl;
	snprintf(w->identity, sizeof(w->identity), "%s", identity);
	assert_true(max >= 16);
	hex_decode(w->wrong_psk ? "FF112233445566778899AABBCCDDEEFF" : PSK, psk, 16);
	return 16;
}

static void srv_new(struct world *w)
{
	BIO *in;

	SSL_free(w->ssl);
	BIO_free(w->ext);
	w->ssl = SSL_new(w->ctx);
	assert_non_null(w->ssl);
	assert_int_equal(BIO_new_bio_pair(&in, 65536, &w->ext, 65536), 1);
	SSL_set_bio(w->ssl, in, in);
	SSL_set_accept_state(w->ssl);
	scp81_http_parser_init(&w->p, false);
}

static void srv_write(struct world *w, const void *d, size_t len)
{
	assert_int_equal(SSL_write(w->ssl, d, (int)len), (int)len);
}

/* AA { 22 SELECT EF.ICCID (2FE2) | 22 READ BINARY 10 bytes } */
static const uint8_t script[] = { 0xaa, 0x10, 0x22, 0x07, 0x00, 0xa4, 0x00, 0x0c, 0x02,
				  0x2f, 0xe2, 0x22, 0x05, 0x00, 0xb0, 0x00, 0x00, 0x0a };

static void srv_answer(struct world *w, const struct scp81_http_msg *req)
{
	static const uint8_t unknown_aid[] = { 0xa0, 0x00, 0x00, 0x00, 0x99, 0x01 };
	enum srv_act act = w->at < w->nacts ? w->acts[w->at] : ACT_END;
	struct scp81_reply r = { .status = 200, .next_uri = "/simpki/ras/next", .body_len = sizeof(script) };
	char head[1024];
	int n;

	w->at++;
	assert_true(w->nreqs < 8);
	memcpy(&w->reqs[w->nreqs++], req, sizeof(*req));
	switch (act) {
	case ACT_SCRIPT_AID:
		r.aid = unknown_aid;
		r.aid_len = sizeof(unknown_aid);
		/* fall through */
	case ACT_SCRIPT:
		n = scp81_http_reply_head(&r, head, sizeof(head));
		assert_true(n > 0);
		srv_write(w, head, (size_t)n);
		srv_write(w, script, sizeof(script));
		break;
	case ACT_END:
		r = (struct scp81_reply){ .status = 204 };
		n = scp81_http_reply_head(&r, head, sizeof(head));
		assert_true(n > 0);
		srv_write(w, head, (size_t)n);
		break;
	case ACT_DROP:
		w->drop_pending = true;
		break;
	case ACT_MALFORMED:
		srv_write(w, "HTTP/1.1 200 OK\nX: y\n\n", 22);
		break;
	}
}

/* Bytes from the card's SEND DATA into the RAS; what it answers into to_card. */
static void srv_input(struct world *w, const uint8_t *d, size_t len)
{
	uint8_t buf[4096];
	int r;

	if (len)
		assert_int_equal(BIO_write(w->ext, d, (int)len), (int)len);
	if (!SSL_is_init_finished(w->ssl)) {
		r = SSL_do_handshake(w->ssl);
		if (r == 1)
			w->handshakes++;
	}
	while (SSL_is_init_finished(w->ssl) && (r = SSL_read(w->ssl, buf, sizeof(buf))) > 0) {
		size_t off = 0, used;

		while (off < (size_t)r) {
			int rc = scp81_http_parse(&w->p, buf + off, (size_t)r - off, &used);

			assert_true(rc >= 0);
			off += used;
			if (rc == 1) {
				srv_answer(w, &w->p.msg);
				scp81_http_parser_init(&w->p, false);
			}
		}
	}
	ERR_clear_error();
	while ((r = BIO_read(w->ext, w->to_card + w->to_card_len, (int)(sizeof(w->to_card) - w->to_card_len))) > 0)
		w->to_card_len += (size_t)r;
}

/* ---- the terminal ---- */

static uint16_t terminal_response(struct world *w, const uint8_t *cmd_details, const uint8_t *extra, size_t len)
{
	uint8_t tr[300];

	memcpy(tr, "\x81\x03", 2);
	memcpy(tr + 2, cmd_details, 3);
	memcpy(tr + 5, "\x82\x02\x82\x81\x83\x01\x00", 7);
	memcpy(tr + 12, extra, len);
	if (w->refuse_open && cmd_details[1] == 0x40)
		tr[11] = 0x20; /* terminal currently unable to process the command */
	return toolkit(w, 0x14, tr, 12 + len, NULL, NULL);
}

/* FETCH the command of \a len bytes and answer it. \returns the TERMINAL RESPONSE's SW */
static uint16_t proactive(struct world *w, size_t len)
{
	uint8_t cmd[300], extra[260];
	size_t n, e = 0;
	struct tlv env, t;
	const uint8_t *details = NULL, *data = NULL;
	size_t data_len = 0;
	uint8_t asked = 0;
	char fetch[16];

	snprintf(fetch, sizeof(fetch), "80120000%02X", (unsigned)len);
	assert_int_equal(apdu_hex(w, fetch, cmd, &n), 0x9000);
	assert_int_equal(n, len);
	assert_int_equal(ber_tlv_parse(cmd, n, &env), 0);
	assert_int_equal(env.tag, 0xd0);
	for (const uint8_t *p = env.value; p < env.value + env.len; p += t.total) {
		assert_int_equal(ber_tlv_parse(p, (size_t)(env.value + env.len - p), &t), 0);
		if (t.tag == 0x81)
			details = t.value;
		if (t.tag == 0x36) {
			data = t.value;
			data_len = t.len;
		}
		if (t.tag == 0x37)
			asked = t.value[0];
	}
	assert_non_null(details);
	w->types[w->ntypes++] = details[1];
	switch (details[1]) {
	case 0x05:
		assert_int_equal(n, 15);
		assert_memory_equal(env.value + 3, "\x05\x00\x82\x02\x81\x82\x19\x02\x09\x0a", 10);
		break;
	case 0x40:
		memcpy(w->open_cmd, cmd, n);
		w->open_len = n;
		srv_new(w);
		w->link_up = !w->refuse_open;
		w->to_card_len = 0;
		w->announced = false;
		memcpy(extra, "\x38\x02\x81\x00\x39\x02\x05\x78", 8);
		e = 8;
		break;
	case 0x43:
		assert_memory_equal(env.value + 3, "\x43\x01\x82\x02\x81\x21", 6);
		assert_true(data_len <= 200 && data_len > 0);
		srv_input(w, data, data_len);
		memcpy(extra, "\x37\x01\xff", 3);
		e = 3;
		break;
	case 0x42: {
		size_t give = asked < w->to_card_len ? asked : w->to_card_len;
		size_t left = w->to_card_len - give;

		assert_memory_equal(env.value + 3, "\x42\x00\x82\x02\x81\x21\x37\x01", 8);
		assert_true(asked <= 200);
		extra[0] = 0x36;
		extra[1] = (uint8_t)give; /* at most 200: fits one length byte only under 128 */
		if (give > 127) {
			extra[1] = 0x81;
			extra[2] = (uint8_t)give;
			e = 3;
		} else {
			e = 2;
		}
		memcpy(extra + e, w->to_card, give);
		e += give;
		memmove(w->to_card, w->to_card + give, left);
		w->to_card_len = left;
		extra[e++] = 0x37;
		extra[e++] = 0x01;
		extra[e++] = (uint8_t)(left > 255 ? 255 : left);
		if (!left)
			w->announced = false;
		break;
	}
	case 0x41:
		assert_memory_equal(env.value + 3, "\x41\x00\x82\x02\x81\x21", 6);
		w->link_up = false;
		w->to_card_len = 0;
		break;
	case 0x27:
		memcpy(w->timer_cmd, cmd, n);
		w->timer_len = n;
		w->timer_running = true;
		break;
	default:
		fail_msg("unexpected proactive command %02X", details[1]);
	}
	return terminal_response(w, details, extra, e);
}

/* Run the terminal until the card has nothing to say and nothing is left to deliver. */
static void terminal(struct world *w, uint16_t sw)
{
	for (unsigned guard = 0; guard < 5000; guard++) {
		if ((sw >> 8) == 0x91) {
			sw = proactive(w, sw & 0xff);
			continue;
		}
		assert_int_equal(sw, 0x9000);
		if (w->drop_pending) {
			static const uint8_t drop[] = { 0xd6, 0x0b, 0x19, 0x01, 0x0a, 0x82, 0x02,
							0x82, 0x81, 0x38, 0x02, 0x01, 0x05 };

			w->drop_pending = false;
			w->link_up = false;
			w->to_card_len = 0;
			sw = toolkit(w, 0xc2, drop, sizeof(drop), NULL, NULL);
			continue;
		}
		if (w->timer_running) {
			static const uint8_t expired[] = { 0xd7, 0x0c, 0x82, 0x02, 0x82, 0x81, 0x24,
							   0x01, 0x01, 0x25, 0x03, 0x00, 0x00, 0x10 };

			w->timer_running = false;
			sw = toolkit(w, 0xc2, expired, sizeof(expired), NULL, NULL);
			continue;
		}
		if (w->link_up && w->to_card_len && !w->announced) {
			/* D6 { 99 01 09 | 82 02 82 81 | B8 02 81 00 | B7 01 n }: the comprehension-bit forms */
			uint8_t ev[] = { 0xd6, 0x0e, 0x99, 0x01, 0x09, 0x82, 0x02, 0x82,
					 0x81, 0xb8, 0x02, 0x81, 0x00, 0xb7, 0x01, 0x00 };

			ev[15] = (uint8_t)(w->to_card_len > 255 ? 255 : w->to_card_len);
			w->announced = true;
			sw = toolkit(w, 0xc2, ev, sizeof(ev), NULL, NULL);
			continue;
		}
		return;
	}
	fail_msg("the session does not end");
}

/* ---- the push ---- */

static struct ota_keys keys(void)
{
	struct ota_keys k = { .kic_len = 16, .kid_len = 16 };

	assert_int_equal(hex_decode(KIC, k.kic, 16), 16);
	assert_int_equal(hex_decode(KID, k.kid, 16), 16);
	return k;
}

/* A secured packet with \a data to the admin TAR; \returns the ENVELOPE's SW, *por_status the PoR's status. */
static uint16_t push_raw(struct world *w, const uint8_t *data, size_t len, int *por_status)
{
	static const uint8_t spi[2] = { 0x16, 0x01 }; /* CC, ciphered, counter higher; PoR always, in the clear */
	struct ota_keys k = keys();
	struct ota_command c = { .kic = 0x12, .kid = 0x12, .tar = { 0, 0, 0 } };
	uint8_t ud[SMS_MAX_UD], tpdu[SMS_MAX_TPDU], env[300], out[300];
	struct sms_tpdu t = { .udhi = true, .pid = 0x7f, .dcs = 0xf6, .ud = ud };
	size_t n;
	int m;
	uint16_t sw;

	c.cntr = ++w->cntr;
	ota_spi_decode(spi, &c.spi);
	c.data = data;
	c.data_len = len;
	memcpy(ud, "\x02\x70\x00", 3);
	m = ota_command_encode_keys(&c, &k, ud + 3, sizeof(ud) - 3);
	assert_true(m > 0);
	t.udl = 3 + (size_t)m;
	strcpy(t.addr.digits, "1234");
	t.addr.ton_npi = 0x91;
	m = sms_tpdu_encode(&t, tpdu, sizeof(tpdu));
	assert_true(m > 0 && m < 200);
	/* D1 L { 82 02 83 81 | 8B L tpdu } */
	n = 0;
	env[n++] = 0xd1;
	env[n++] = (uint8_t)(m + 2 + 4 + ((size_t)m > 127 ? 1 : 0));
	if (env[1] > 127) {
		env[1] = 0x81;
		env[2] = (uint8_t)(m + 2 + 4 + 1);
		n = 3;
	}
	memcpy(env + n, "\x82\x02\x83\x81\x8b", 5);
	n += 5;
	if (m > 127)
		env[n++] = 0x81;
	env[n++] = (uint8_t)m;
	memcpy(env + n, tpdu, (size_t)m);
	n += (size_t)m;
	sw = toolkit(w, 0xc2, env, n, out, &n);
	/* 02 71 00 | RPL(2) RHL TAR(3) CNTR(5) PCNTR status */
	*por_status = n > 15 ? out[15] : -1;
	return sw;
}

static uint16_t push(struct world *w, const struct scp81_push *p, int *por_status)
{
	uint8_t b[256];
	int n = scp81_push_encode(p, b, sizeof(b));

	assert_true(n > 0);
	return push_raw(w, b, (size_t)n, por_status);
}

static void stats(struct world *w, struct admin_agent_stats *s)
{
	admin_agent_stats(w->os->ota->agent, s);
}

/* ---- set-up ---- */

static int setup(void **state)
{
	struct world *w = &world;
	struct card_identity id = { .iccid = ICCID, .imsi = "001010000000001" };
	uint8_t atr[40];
	char err[256];

	memset(w, 0, sizeof(*w));
	assert_int_equal(card_os_build(manifest, &id, &w->store, err, sizeof(err)), 0);
	assert_int_equal(card_os_open(w->store, &w->os), 0);
	assert_true(card_os_power_on(w->os, atr, sizeof(atr)) > 0);
	assert_int_equal(apdu_hex(w, "80100000051FFFFFFFFF", NULL, NULL), 0x9000);
	w->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(w->ctx);
	SSL_CTX_set_min_proto_version(w->ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(w->ctx, TLS1_2_VERSION);
	assert_int_equal(SSL_CTX_set_cipher_list(w->ctx, "PSK-AES128-CBC-SHA256"), 1);
	SSL_CTX_set_options(w->ctx, SSL_OP_NO_ENCRYPT_THEN_MAC | SSL_OP_NO_TICKET);
	SSL_CTX_set_psk_server_callback(w->ctx, srv_psk);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	SSL_free(w->ssl);
	BIO_free(w->ext);
	SSL_CTX_free(w->ctx);
	card_os_close(w->os);
	nvm_store_free(w->store);
	return 0;
}

static void acts(struct world *w, unsigned n, const enum srv_act *a)
{
	if (n)
		memcpy(w->acts, a, n * sizeof(*a));
	w->nacts = n;
	w->at = 0;
	w->nreqs = 0;
}

/* ---- cases ---- */

static void test_full_session(void **state)
{
	struct world *w = *state;
	struct scp81_push p = { .use_defaults = true };
	struct admin_agent_stats s;
	int por;
	uint16_t sw;
	static const uint8_t open[] = { 0xd0, 0x1c, 0x81, 0x03, 0x00, 0x40, 0x01, 0x82, 0x02, 0x81,
					0x82, 0x35, 0x01, 0x03, 0x39, 0x02, 0x05, 0x78, 0x3c, 0x03,
					0x02, 0x20, 0xfb, 0x3e, 0x05, 0x21, 0x7f, 0x00, 0x00, 0x01 };
	static const uint8_t iccid_ef[] = { 0x98, 0x88, 0x12, 0x01, 0x00, 0x00, 0x40, 0x03, 0x10, 0xf0 };
	const struct scp81_http_msg *r;

	acts(w, 2, (const enum srv_act[]){ ACT_SCRIPT, ACT_END });
	sw = push(w, &p, &por);
	assert_int_equal(por, OTA_POR_OK);
	assert_int_equal(sw >> 8, 0x91);
	terminal(w, sw);

	/* OPEN CHANNEL's bytes, the command number aside */
	assert_int_equal(w->open_len, sizeof(open));
	assert_memory_equal(w->open_cmd, open, 4);
	assert_memory_equal(w->open_cmd + 5, open + 5, sizeof(open) - 5);
	assert_int_equal(w->types[0], 0x05);
	assert_int_equal(w->types[1], 0x40);
	assert_int_equal(w->types[w->ntypes - 1], 0x41);
	assert_string_equal(w->identity, ICCID);
	assert_int_equal(w->handshakes, 1);
	assert_int_equal(w->nreqs, 2);
	r = &w->reqs[0];
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->target, "/simpki/ras");
	assert_true(r->protocol_ok);
	assert_string_equal(r->from, ICCID);
	assert_false(r->resume);
	assert_int_equal(r->body_len, 0);
	r = &w->reqs[1];
	assert_string_equal(r->target, "/simpki/ras/next");
	assert_int_equal(r->script_status, SCP81_STATUS_OK);
	assert_true(r->body_len > 12);
	assert_int_equal(r->body[0], 0xab);
	assert_non_null(memmem(r->body, r->body_len, iccid_ef, sizeof(iccid_ef)));
	stats(w, &s);
	assert_false(s.active);
	assert_int_equal(s.sessions, 1);
	assert_int_equal(s.succeeded, 1);
	assert_int_equal(s.scripts, 1);
	assert_int_equal(s.tries, 1);
}

static void test_wrong_psk(void **state)
{
	struct world *w = *state;
	struct scp81_push p = { .has_retry = true, .retries = 1, .retry_wait_s = 1 };
	struct admin_agent_stats s;
	unsigned timers = 0, opens = 0;
	int por;

	w->wrong_psk = true;
	acts(w, 0, NULL);
	terminal(w, push(w, &p, &por));
	assert_int_equal(por, OTA_POR_OK);
	for (unsigned i = 0; i < w->ntypes; i++) {
		timers += w->types[i] == 0x27;
		opens += w->types[i] == 0x40;
	}
	assert_int_equal(opens, 2);
	assert_int_equal(timers, 1);
	/* TIMER MANAGEMENT: start timer 1 for 00:00:01 */
	assert_memory_equal(w->timer_cmd + 5, "\x27\x00\x82\x02\x81\x82\x24\x01\x01\x25\x03\x00\x00\x10", 14);
	assert_int_equal(w->nreqs, 0);
	stats(w, &s);
	assert_false(s.active);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.tries, 2);
	assert_int_equal(s.scripts, 0);
}

static void test_resume(void **state)
{
	struct world *w = *state;
	struct scp81_push p = { .has_retry = true, .retries = 2 };
	struct admin_agent_stats s;
	int por;

	/* try 1: the script, then the link drops before its response is answered; try 2: resumed, 204 */
	acts(w, 3, (const enum srv_act[]){ ACT_SCRIPT, ACT_DROP, ACT_END });
	terminal(w, push(w, &p, &por));
	assert_int_equal(por, OTA_POR_OK);
	assert_int_equal(w->nreqs, 3);
	assert_int_equal(w->reqs[1].script_status, SCP81_STATUS_OK);
	assert_false(w->reqs[1].resume);
	/* the retry's first POST: X-Admin-Resume and the kept response */
	assert_true(w->reqs[2].resume);
	assert_string_equal(w->reqs[2].target, "/simpki/ras");
	assert_int_equal(w->reqs[2].script_status, SCP81_STATUS_OK);
	assert_int_equal(w->reqs[2].body_len, w->reqs[1].body_len);
	assert_memory_equal(w->reqs[2].body, w->reqs[1].body, w->reqs[1].body_len);
	stats(w, &s);
	assert_int_equal(s.scripts, 1); /* never twice */
	assert_int_equal(s.tries, 2);
	assert_int_equal(s.succeeded, 1);
	assert_false(s.response_kept);
}

static void test_unknown_aid(void **state)
{
	struct world *w = *state;
	struct scp81_push p = { .use_defaults = true };
	struct admin_agent_stats s;
	int por;

	acts(w, 2, (const enum srv_act[]){ ACT_SCRIPT_AID, ACT_END });
	terminal(w, push(w, &p, &por));
	assert_int_equal(w->nreqs, 2);
	assert_int_equal(w->reqs[1].script_status, SCP81_STATUS_UNKNOWN_APPLICATION);
	assert_int_equal(w->reqs[1].body_len, 0);
	stats(w, &s);
	assert_int_equal(s.scripts, 0);
	assert_int_equal(s.succeeded, 1);
}

static void test_malformed_http(void **state)
{
	struct world *w = *state;
	struct scp81_push p = { .use_defaults = true };
	struct admin_agent_stats s;
	int por;

	/* no 86 in the push: 2 retries without a wait, each answered with bytes that are not HTTP */
	acts(w, 3, (const enum srv_act[]){ ACT_MALFORMED, ACT_MALFORMED, ACT_MALFORMED });
	terminal(w, push(w, &p, &por));
	assert_int_equal(w->types[w->ntypes - 1], 0x41);
	assert_int_equal(w->nreqs, 3);
	assert_true(w->reqs[1].resume); /* a retry's first POST */
	stats(w, &s);
	assert_false(s.active);
	assert_int_equal(s.tries, 3);
	assert_int_equal(s.failed, 1);
	/* the card is unharmed: the applet answers, and the next push runs a session */
	assert_int_equal(apdu_hex(w, "00A404000C" APPLET_AID, NULL, NULL) & 0xff00, 0x9000);
	acts(w, 1, (const enum srv_act[]){ ACT_END });
	terminal(w, push(w, &p, &por));
	stats(w, &s);
	assert_int_equal(s.succeeded, 1);
}

static void test_refused_open(void **state)
{
	struct world *w = *state;
	struct scp81_push p = { .has_retry = true, .retries = 2 };
	struct admin_agent_stats s;
	int por;

	w->refuse_open = true;
	terminal(w, push(w, &p, &por));
	stats(w, &s);
	assert_int_equal(s.tries, 3);
	assert_int_equal(s.failed, 1);
	for (unsigned i = 0; i < w->ntypes; i++)
		assert_int_not_equal(w->types[i], 0x41); /* no channel: nothing to close */
}

static void test_bad_push(void **state)
{
	struct world *w = *state;
	static const uint8_t bad[] = { 0x81, 0x03, 0x83, 0x01 };
	struct scp81_push p = { .use_defaults = true };
	struct admin_agent_stats s;
	int por;
	uint16_t sw;

	assert_int_equal(push_raw(w, bad, sizeof(bad), &por), 0x9000);
	assert_int_equal(por, OTA_POR_INSUFFICIENT_MEMORY);
	stats(w, &s);
	assert_int_equal(s.sessions, 0);
	/* a PSK the card does not hold */
	p = (struct scp81_push){ .has_security = true, .psk_id = "someone", .kvn = 0x41, .kid = 1 };
	assert_int_equal(push(w, &p, &por), 0x9000);
	assert_int_equal(por, OTA_POR_INSUFFICIENT_MEMORY);
	/* a push while a session runs: 9300 while its command waits, PoR 07 while it waits for data */
	p = (struct scp81_push){ .use_defaults = true };
	acts(w, 1, (const enum srv_act[]){ ACT_DROP });
	sw = push(w, &p, &por);
	assert_int_equal(sw >> 8, 0x91);
	sw = proactive(w, sw & 0xff); /* SET UP EVENT LIST */
	sw = proactive(w, sw & 0xff); /* OPEN CHANNEL */
	stats(w, &s);
	assert_true(s.active);
	assert_int_equal(sw >> 8, 0x91); /* the ClientHello waits */
	assert_int_equal(push(w, &p, &por), 0x9300);
	sw = proactive(w, sw & 0xff); /* SEND DATA: now the agent waits for the server */
	assert_int_equal(sw, 0x9000);
	assert_int_equal(push(w, &p, &por), 0x9000);
	assert_int_equal(por, OTA_POR_INSUFFICIENT_MEMORY);
	stats(w, &s);
	assert_true(s.active);
	assert_int_equal(s.sessions, 1);
	/* a reset ends the session: nothing is pending, the next push starts afresh */
	{
		uint8_t atr[40];

		assert_true(card_os_power_on(w->os, atr, sizeof(atr)) > 0);
	}
	assert_int_equal(apdu_hex(w, "8012000000", NULL, NULL), 0x6985);
	stats(w, &s);
	assert_false(s.active);
	w->to_card_len = 0;
	w->announced = false;
	acts(w, 1, (const enum srv_act[]){ ACT_END });
	terminal(w, push(w, &p, &por));
	stats(w, &s);
	assert_int_equal(s.succeeded, 1);
}

static void test_bad_envelopes(void **state)
{
	struct world *w = *state;
	static const char *const bad[] = {
		"80C2000005D603190109",				    /* no device identities */
		"80C2000004D6041901",				    /* truncated */
		"80C200000AD6081902090A82028281",		    /* two events */
		"80C2000009D60719010A82028281",			    /* channel status without 38 */
		"80C200000DD60B1901098202828138028100",		    /* data available without 37 */
		"80C200000ED60C19010A820282813803810005",	    /* 38 of 3 bytes */
		"80C2000010D60E1901038202828138028100370105",	    /* an event the agent does not take */
		"80C2000013D61119010982028281380281003701053701FF", /* 37 twice */
		"80C2000006D70482028281",			    /* timer without identifier */
		"80C2000009D70782028281240100",			    /* timer 0 */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(apdu_hex(w, bad[i], NULL, NULL), 0x6a80);
	/* well formed without a session: taken, nothing recorded */
	assert_int_equal(apdu_hex(w, "80C2000010D60E1901098202828138028100370105", NULL, NULL), 0x9000);
	assert_int_equal(apdu_hex(w, "80C200000DD60B19010A8202828138028105", NULL, NULL), 0x9000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_psk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_aid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_envelopes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
