/* libFuzzer harness: the card's SCP81 admin agent (simulator/cardos/admin_agent.c) with a session up, fed what comes
 * over its BIP channel.
 *
 * Each input starts from a copy of one card image (admin TAR 000000, PSK 64/1): power on, TERMINAL PROFILE, a push
 * "81 00" (a secured packet, counter 1), SET UP EVENT LIST and OPEN CHANNEL answered 00 with channel 1 up. Then the
 * first input byte picks the mode: even, the input is the channel's raw bytes (what RECEIVE DATA hands the card's TLS
 * client); odd, an in-process TLS-PSK server (the RAS) takes what the card sends and the input is the server's
 * plaintext (HTTP answers, so the card's HTTP parser and script runner get the bytes). The rest is steps:
 *   while a proactive command is announced (91xx) it is FETCHed and answered: RECEIVE DATA with a chunk (raw mode: a
 *   length byte and that many input bytes, then a byte for 37 "remaining"; TLS mode: the server's bytes), SEND DATA
 *   00 { 37 01 FF } (TLS mode: the bytes go to the server, which answers its next plaintext chunk, a length byte and
 *   that many bytes, once a request has come), everything else 00;
 *   in TLS mode, bytes of the server not yet announced are announced (data available) without an input byte;
 *   otherwise one op byte: 0 data available (next byte: the count; TLS mode: what the server has), 1 channel status
 *   (two bytes), 2 a raw ENVELOPE (a length byte and that many bytes), 3 the timer's expiration.
 * Checked: card_os_transmit() never fails; FETCH returns what 91xx announced; a refused ENVELOPE (6A80) leaves the NVM
 * as it was; after a reset nothing is pending; the card opens again. A broken invariant abort()s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <simpki/hex.h>
#include <simpki/ota.h>
#include <simpki/sms.h>

#include "admin_agent.h"
#include "cardos.h"
#include "fuzz.h"
#include "os_internal.h"
#include "ota_re.h"

#define KIC "000102030405060708090A0B0C0D0E0F"
#define KID "101112131415161718191A1B1C1D1E1F"
#define PSK "00112233445566778899AABBCCDDEEFF"

static const char manifest[] = "applet pki aid F276A288BCFBA69D34F31001 ram 1024 nvm 131072 tar 504B49 msl 16\n"
			       "rfm tar B00010 msl 16\n"
			       "admin tar 000000 msl 16 server 127.0.0.1:8443\n"
			       "ota-key 1 aes " KIC " " KID "\n"
			       "scp81-psk 64 1 " PSK "\n";

static uint8_t *pristine;
static size_t pristine_len;
static SSL_CTX *srv_ctx;

struct run {
	struct card_os *os;
	struct nvm_store *s;
	const uint8_t *in;
	size_t size, pos;
	bool tls;
	SSL *ssl;
	BIO *ext;
	uint8_t to_card[65536];
	size_t to_card_len;
	bool announced; /* a data-available event told the card of to_card */
};

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-card-channel: %s\n", what);
	abort();
}

static uint16_t transmit(struct card_os *os, const uint8_t *cmd, size_t len, uint8_t *resp, size_t *resp_len)
{
	if (card_os_transmit(os, cmd, len, resp, CARD_RESP_MAX + 2, resp_len) || *resp_len < 2 ||
	    *resp_len > CARD_RESP_MAX + 2)
		die("card_os_transmit failed");
	return (uint16_t)(resp[*resp_len - 2] << 8 | resp[*resp_len - 1]);
}

static uint16_t toolkit(struct card_os *os, uint8_t ins, const uint8_t *d, size_t len)
{
	static uint8_t cmd[5 + 255], resp[CARD_RESP_MAX + 2];
	size_t n;

	if (len > 255)
		die("a command too long in the harness");
	memcpy(cmd, (const uint8_t[]){ 0x80, ins, 0x00, 0x00, (uint8_t)len }, 5);
	memcpy(cmd + 5, d, len);
	return transmit(os, cmd, 5 + len, resp, &n);
}

static unsigned srv_psk(SSL *ssl, const char *identity, unsigned char *psk, unsigned max)
{
	(void)ssl, (void)identity;
	return max >= 16 ? (unsigned)hex_decode(PSK, psk, 16) : 0;
}

static void init(void)
{
	static const struct card_identity id = { .iccid = "8988211000000430010", .imsi = "001010000000001" };
	char err[256] = "";
	struct nvm_store *s;
	const uint8_t *img;

	if (card_os_build(manifest, &id, &s, err, sizeof(err))) {
		fprintf(stderr, "fuzz-card-channel: %s\n", err);
		die("cannot build the card");
	}
	img = nvm_store_image(s, &pristine_len);
	pristine = malloc(pristine_len);
	if (!pristine)
		die("out of memory");
	memcpy(pristine, img, pristine_len);
	nvm_store_free(s);
	srv_ctx = SSL_CTX_new(TLS_server_method());
	if (!srv_ctx)
		die("no SSL_CTX");
	SSL_CTX_set_min_proto_version(srv_ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(srv_ctx, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(srv_ctx, "PSK-AES128-CBC-SHA256");
	SSL_CTX_set_options(srv_ctx, SSL_OP_NO_ENCRYPT_THEN_MAC | SSL_OP_NO_TICKET);
	SSL_CTX_set_psk_server_callback(srv_ctx, srv_psk);
}

/* The push "81 00" to the admin TAR. \returns the SW */
static uint16_t push(struct card_os *os)
{
	static const uint8_t data[] = { 0x81, 0x00 };
	struct ota_keys k = { .kic_len = 16, .kid_len = 16 };
	uint8_t spi[2] = { 0x16, 0x00 }, ud[SMS_MAX_UD], tpdu[SMS_MAX_TPDU], env[255];
	struct ota_command c = { .kic = 0x12, .kid = 0x12, .cntr = 1, .data = data, .data_len = sizeof(data) };
	struct sms_tpdu t = { .udhi = true, .pid = 0x7f, .dcs = 0xf6, .ud = ud };
	int m;

	hex_decode(KIC, k.kic, 16);
	hex_decode(KID, k.kid, 16);
	ota_spi_decode(spi, &c.spi);
	memcpy(ud, "\x02\x70\x00", 3);
	m = ota_command_encode_keys(&c, &k, ud + 3, sizeof(ud) - 3);
	if (m < 0)
		die("cannot secure the push");
	t.udl = 3 + (size_t)m;
	strcpy(t.addr.digits, "1234");
	t.addr.ton_npi = 0x91;
	m = sms_tpdu_encode(&t, tpdu, sizeof(tpdu));
	if (m < 0 || m + 8 > 127)
		die("cannot encode the push");
	env[0] = 0xd1;
	env[1] = (uint8_t)(m + 6);
	memcpy(env + 2, "\x82\x02\x83\x81\x8b", 5);
	env[7] = (uint8_t)m;
	memcpy(env + 8, tpdu, (size_t)m);
	return toolkit(os, 0xc2, env, 8 + (size_t)m);
}

static uint8_t next_byte(struct run *r)
{
	return r->pos < r->size ? r->in[r->pos++] : 0;
}

/* A length byte and up to that many input bytes. */
static const uint8_t *next_chunk(struct run *r, size_t *len)
{
	size_t n = next_byte(r);
	const uint8_t *p = r->in + r->pos;

	if (n > r->size - r->pos)
		n = r->size - r->pos;
	r->pos += n;
	*len = n;
	return p;
}

/* TLS mode: the card's bytes into the server; the server's answer (its next plaintext chunk, once a request came). */
static void server(struct run *r, const uint8_t *d, size_t len)
{
	uint8_t buf[2048];
	int n;

	if (len && BIO_write(r->ext, d, (int)len) != (int)len)
		die("the server's BIO is full");
	if (!SSL_is_init_finished(r->ssl))
		SSL_do_handshake(r->ssl);
	while (SSL_is_init_finished(r->ssl) && SSL_read(r->ssl, buf, sizeof(buf)) > 0) {
		size_t cl;
		const uint8_t *c = next_chunk(r, &cl);

		if (cl)
			SSL_write(r->ssl, c, (int)cl);
	}
	ERR_clear_error();
	while (r->to_card_len < sizeof(r->to_card) &&
	       (n = BIO_read(r->ext, r->to_card + r->to_card_len, (int)(sizeof(r->to_card) - r->to_card_len))) > 0)
		r->to_card_len += (size_t)n;
}

/* FETCH the announced command and answer it. \returns the TERMINAL RESPONSE's SW */
static uint16_t proactive(struct run *r, uint16_t sw)
{
	static uint8_t resp[CARD_RESP_MAX + 2], tr[255];
	uint8_t fetch[5] = { 0x80, 0x12, 0x00, 0x00, (uint8_t)sw };
	const uint8_t *cmd, *body, *data = NULL;
	size_t flen, off, n = 12, dlen = 0, asked = 0;

	if (transmit(r->os, fetch, 5, resp, &flen) != 0x9000 || flen != (size_t)(sw & 0xff) + 2 || resp[0] != 0xd0)
		die("FETCH did not return the announced proactive command");
	off = resp[1] == 0x81 ? 3 : 2;
	cmd = resp + off; /* 81 03 nn tt qq 82 02 81 dd ... */
	body = cmd + 9;
	for (const uint8_t *p = body; p + 2 <= resp + flen - 2;) {
		size_t h = p[1] == 0x81 ? 3 : 2, l = p[1] == 0x81 ? p[2] : p[1];

		if ((p[0] & 0x7f) == 0x36) {
			data = p + h;
			dlen = l;
		}
		if ((p[0] & 0x7f) == 0x37)
			asked = p[h];
		p += h + l;
	}
	memcpy(tr, (const uint8_t[]){ 0x81, 0x03, cmd[2], cmd[3], cmd[4], 0x82, 0x02, 0x82, 0x81, 0x83, 0x01, 0x00 },
	       12);
	switch (cmd[3]) {
	case 0x40:
		memcpy(tr + n, "\x38\x02\x81\x00\x39\x02\x05\x78", 8);
		n += 8;
		break;
	case 0x43:
		if (r->tls)
			server(r, data, dlen);
		memcpy(tr + n, "\x37\x01\xff", 3);
		n += 3;
		break;
	case 0x42: {
		size_t give;
		const uint8_t *p;
		uint8_t left;

		if (r->tls) {
			give = asked < r->to_card_len ? asked : r->to_card_len;
			p = r->to_card;
			left = (uint8_t)(r->to_card_len - give > 255 ? 255 : r->to_card_len - give);
		} else {
			p = next_chunk(r, &give);
			if (give > 220)
				give = 220;
			left = next_byte(r);
		}
		tr[n++] = 0x36;
		if (give > 127)
			tr[n++] = 0x81;
		tr[n++] = (uint8_t)give;
		memcpy(tr + n, p, give);
		n += give;
		tr[n++] = 0x37;
		tr[n++] = 0x01;
		tr[n++] = left;
		if (r->tls) {
			memmove(r->to_card, r->to_card + give, r->to_card_len - give);
			r->to_card_len -= give;
			r->announced = r->to_card_len > 0;
		}
		break;
	}
	default:
		break;
	}
	return toolkit(r->os, 0x14, tr, n);
}

static uint16_t op(struct run *r)
{
	uint8_t ev[255], *before;
	const uint8_t *p, *img;
	size_t len, ilen;
	uint16_t sw;

	switch (next_byte(r) & 3) {
	case 0:
		memcpy(ev, "\xd6\x0e\x19\x01\x09\x82\x02\x82\x81\x38\x02\x81\x00\x37\x01", 15);
		ev[15] = r->tls ? (uint8_t)(r->to_card_len > 255 ? 255 : r->to_card_len) : next_byte(r);
		return toolkit(r->os, 0xc2, ev, 16);
	case 1:
		memcpy(ev, "\xd6\x0b\x19\x01\x0a\x82\x02\x82\x81\x38\x02", 11);
		ev[11] = next_byte(r);
		ev[12] = next_byte(r);
		return toolkit(r->os, 0xc2, ev, 13);
	case 2:
		p = next_chunk(r, &len);
		if (!len)
			return 0x9000;
		img = nvm_store_image(r->s, &ilen);
		before = malloc(ilen);
		if (!before)
			die("out of memory");
		memcpy(before, img, ilen);
		ev[0] = 0xd6 | (p[0] & 1); /* D6 or D7 */
		memcpy(ev + 1, p + 1, len - 1);
		sw = toolkit(r->os, 0xc2, ev, len);
		img = nvm_store_image(r->s, &ilen);
		if (sw == 0x6a80 && memcmp(before, img, ilen))
			die("a refused ENVELOPE changed the NVM");
		free(before);
		return sw;
	default:
		return toolkit(r->os, 0xc2, (const uint8_t *)"\xd7\x0c\x82\x02\x82\x81\x24\x01\x01\x25\x03\x00\x00\x10",
			       14);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	uint8_t atr[33];
	uint16_t sw;
	unsigned rounds = 0;

	if (!pristine)
		init();
	if (!size)
		return 0;
	memset(&r, 0, sizeof(r));
	r.in = data;
	r.size = size;
	r.tls = data[r.pos++] & 1;
	if (nvm_store_from_image(pristine, pristine_len, &r.s) || card_os_open(r.s, &r.os))
		die("cannot open the pristine card");
	card_os_power_on(r.os, atr, sizeof(atr));
	if (toolkit(r.os, 0x10, (const uint8_t *)"\x1f\xff\xff\xff\xff", 5) != 0x9000)
		die("TERMINAL PROFILE refused");
	if (r.tls) {
		BIO *in;

		r.ssl = SSL_new(srv_ctx);
		if (!r.ssl || BIO_new_bio_pair(&in, 65536, &r.ext, 65536) != 1)
			die("no server");
		SSL_set_bio(r.ssl, in, in);
		SSL_set_accept_state(r.ssl);
	}
	sw = push(r.os);
	if ((sw >> 8) != 0x91)
		die("the push started no session");
	sw = proactive(&r, sw); /* SET UP EVENT LIST */
	sw = proactive(&r, sw); /* OPEN CHANNEL: the session is up */
	while (rounds++ < 400) {
		if ((sw >> 8) == 0x91) {
			sw = proactive(&r, sw);
			continue;
		}
		if (r.tls && r.to_card_len && !r.announced) {
			/* the server's bytes are announced without an op byte */
			uint8_t ev[16];

			memcpy(ev, "\xd6\x0e\x19\x01\x09\x82\x02\x82\x81\x38\x02\x81\x00\x37\x01", 15);
			ev[15] = (uint8_t)(r.to_card_len > 255 ? 255 : r.to_card_len);
			r.announced = true;
			sw = toolkit(r.os, 0xc2, ev, 16);
			continue;
		}
		if (r.pos >= r.size)
			break;
		sw = op(&r);
	}
	if (getenv("FUZZ_CHANNEL_DEBUG")) {
		struct admin_agent_stats st;

		admin_agent_stats(r.os->ota->agent, &st);
		fprintf(stderr, "active %d tries %u scripts %u succeeded %u failed %u\n", st.active, st.tries,
			st.scripts, st.succeeded, st.failed);
	}
	card_os_power_on(r.os, atr, sizeof(atr)); /* reset: nothing pending, the session is gone */
	{
		static uint8_t resp[CARD_RESP_MAX + 2];
		size_t n;

		if (transmit(r.os, (const uint8_t *)"\x80\x12\x00\x00\x00", 5, resp, &n) != 0x6985)
			die("a proactive command survived a reset");
	}
	card_os_close(r.os);
	if (card_os_open(r.s, &r.os))
		die("the card does not open again");
	card_os_close(r.os);
	nvm_store_free(r.s);
	SSL_free(r.ssl);
	BIO_free(r.ext);
	return 0;
}
