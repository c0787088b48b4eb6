/* The card's OTA receiving entity end to end, through card_os_transmit() as a handset would drive it: ENVELOPE
 * (SMS-PP download) with secured packets built by libsimpki-proto, PoRs in the envelope response or fetched as
 * proactive SEND SHORT MESSAGE, decoded and checked with the keys.
 *
 * Covered: RFM reads and updates of EF.ICCID, EF.IMSI, EF.MSISDN with AES and 3DES key sets (compact scripts) and
 * on an expanded-format TAR; the key sets the card keeps keyed between packets (CCs of 8 and 4 bytes, a packet naming
 * two key sets, a power cycle, an NVM entry changed and rolled back); pySim's section A command packet (../shared/reference/ota-vectors.md) accepted by the
 * card; every rejection (wrong CC, replayed, low, high and blocked counter, unknown TAR, too low a security level,
 * unknown key version, DS, a ciphertext that is not whole blocks, truncated and over-long packets, a packet of more
 * parts than the card takes) with its PoR status and the NVM image unchanged byte for byte; the counter committed
 * even when the script fails; concatenated packets of 2, 3 and 4 SMS in and out of order, with duplicates and an
 * interrupting message; a 1,200-byte certificate written to the PKI applet over the air and read back over the
 * terminal interface; PoRs of several SMS-SUBMITs; the issuer's authority over the air (key generation, PIN unblock
 * and PIN reset without the holder's PIN) and its limits (no signature without the PIN; the same commands refused
 * over the terminal interface); the terminal's session with the applet left as it was; malformed envelopes; BUILD
 * CERTIFICATE REQUEST over the air without the PIN while no certificate for the key is on the card (a certificate
 * for another key, or the key's public key file, does not count; one written with CREATE FILE and UPDATE BINARY
 * does, for an EC key with its point uncompressed or compressed and for an RSA key, until it is deleted), every
 * request checked by OpenSSL against the key GENERATE returned.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <simpki/hex.h>
#include <simpki/ota.h>
#include <simpki/pki_applet.h>
#include <simpki/rapdu.h>
#include <simpki/sms.h>
#include <simpki/tlv.h>

#include "cardos.h"
#include "nvm.h"
#include "ota_re.h" /* the receiving entity's key set cache, tested on its own below */
#include "pki_apdus.h"
#include "unit.h"

#define KIC1 "000102030405060708090A0B0C0D0E0F"
#define KID1 "101112131415161718191A1B1C1D1E1F"
#define KIC2 "202122232425262728292A2B2C2D2E2F"
#define KID2 "303132333435363738393A3B3C3D3E3F4041424344454647"
#define KIC3 "300102030405060708090a0b0c0d0e0f" /* section A's key set */
#define KID3 "301102030405060708090a0b0c0d0e0f"

static const char manifest[] = "applet pki aid " PKI_HEX_AID " ram 1024 nvm 131072 tar 504B49 msl 16\n"
			       "rfm tar B00010 msl 16\n"
			       "rfm tar B00011 msl 06\n"
			       "rfm tar B00012 msl 02 format expanded\n"
			       "ota-key 1 aes " KIC1 " " KID1 "\n"
			       "ota-key 2 3des " KIC2 " " KID2 "\n"
			       "ota-key 3 3des " KIC3 " " KID3 "\n";

#define ICCID "8988211000000430010"
#define IMSI "001010000000001"

static const uint8_t TAR_RFM[3] = { 0xb0, 0x00, 0x10 };
static const uint8_t TAR_RFM_EXP[3] = { 0xb0, 0x00, 0x12 };
static const uint8_t TAR_PKI[3] = { 'P', 'K', 'I' };

struct card {
	struct nvm_store *store;
	struct card_os *os;
	uint8_t *snap;
	size_t snap_len;
	uint64_t cntr;
};

struct answer {
	uint8_t b[CARD_RESP_MAX + 2];
	size_t len;
	uint16_t sw;
};

/* A secured packet to send: profile, script, counter. */
struct pkt {
	uint8_t spi1, spi2, kic, kid;
	const uint8_t *tar;
	uint64_t cntr;
	const uint8_t *script;
	size_t len;
	const struct ota_keys *keys;
};

/* What came back. */
struct por {
	uint16_t sw; /* of the envelope (or the last one) */
	bool any;
	uint8_t status;
	bool cc_ok;
	uint8_t ud[OTA_MAX_PACKET + 8];
	size_t ud_len;
	uint8_t data[OTA_MAX_PACKET];
	size_t data_len;
	unsigned submits; /* SMS-SUBMITs fetched */
};

static struct ota_keys keys_aes, keys_3des, keys_a;
static const char *sender = "1234"; /* TP-OA of the SMS envelope() sends */

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	int n = hex_decode(s, out, max);

	assert_true(n >= 0);
	return (size_t)n;
}

static void keys_init(void)
{
	keys_aes.kic_len = (uint8_t)unhex(KIC1, keys_aes.kic, OTA_MAX_KEY);
	keys_aes.kid_len = (uint8_t)unhex(KID1, keys_aes.kid, OTA_MAX_KEY);
	keys_3des.kic_len = (uint8_t)unhex(KIC2, keys_3des.kic, OTA_MAX_KEY);
	keys_3des.kid_len = (uint8_t)unhex(KID2, keys_3des.kid, OTA_MAX_KEY);
	keys_a.kic_len = (uint8_t)unhex(KIC3, keys_a.kic, OTA_MAX_KEY);
	keys_a.kid_len = (uint8_t)unhex(KID3, keys_a.kid, OTA_MAX_KEY);
}

static int setup(void **state)
{
	static struct card c;
	struct card_identity id = { .iccid = ICCID, .imsi = IMSI, .msisdn = "491727911918" };
	char err[256];
	uint8_t atr[33];

	memset(&c, 0, sizeof(c));
	assert_int_equal(card_os_build(manifest, &id, &c.store, err, sizeof(err)), 0);
	nvm_store_set_sync(c.store, false);
	assert_int_equal(card_os_open(c.store, &c.os), 0);
	assert_true(card_os_power_on(c.os, atr, sizeof(atr)) > 0);
	c.cntr = 1;
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct card *c = *state;

	card_os_close(c->os);
	nvm_store_free(c->store);
	free(c->snap);
	return 0;
}

static void tx(struct card *c, const uint8_t *cmd, size_t len, struct answer *a)
{
	assert_int_equal(card_os_transmit(c->os, cmd, len, a->b, sizeof(a->b), &a->len), 0);
	a->sw = (uint16_t)(a->b[a->len - 2] << 8 | a->b[a->len - 1]);
	a->len -= 2;
}

static uint16_t txh(struct card *c, const char *hex, struct answer *a)
{
	uint8_t cmd[600];

	tx(c, cmd, unhex(hex, cmd, sizeof(cmd)), a);
	return a->sw;
}

static void snapshot(struct card *c)
{
	size_t len;
	const uint8_t *img = nvm_store_image(c->store, &len);

	free(c->snap);
	c->snap = malloc(len);
	assert_non_null(c->snap);
	memcpy(c->snap, img, len);
	c->snap_len = len;
}

static void assert_unchanged(struct card *c)
{
	size_t len;
	const uint8_t *img = nvm_store_image(c->store, &len);

	assert_int_equal(len, c->snap_len);
	assert_memory_equal(img, c->snap, len);
}

/* ---- building envelopes ---- */

/* ENVELOPE D1 { 82 02 83 81 | 8B SMS-DELIVER from 1234 carrying \a ud }. */
static void envelope(struct card *c, const uint8_t *ud, size_t udl, struct answer *a)
{
	struct sms_tpdu t = {
		.udhi = true,
		.more_messages = false,
		.pid = SMS_PID_SIM_DATA_DOWNLOAD,
		.dcs = SMS_DCS_8BIT_CLASS2,
		.ud = ud,
		.udl = udl,
	};
	uint8_t tpdu[SMS_MAX_TPDU], cmd[300];
	size_t n = 0, body;
	int len;

	strcpy(t.addr.digits, sender);
	t.addr.ton_npi = 0x91;
	len = sms_tpdu_encode(&t, tpdu, sizeof(tpdu));
	assert_true(len > 0);
	body = 4 + 2 + (size_t)len + (len > 127 ? 1 : 0);
	memcpy(cmd, "\x80\xc2\x00\x00", 4);
	n = 5;
	cmd[n++] = 0xd1;
	if (body > 127)
		cmd[n++] = 0x81;
	cmd[n++] = (uint8_t)body;
	memcpy(cmd + n, "\x82\x02\x83\x81\x8b", 5);
	n += 5;
	if (len > 127)
		cmd[n++] = 0x81;
	cmd[n++] = (uint8_t)len;
	memcpy(cmd + n, tpdu, (size_t)len);
	n += (size_t)len;
	cmd[4] = (uint8_t)(n - 5);
	tx(c, cmd, n, a);
}

/* The command packet (without UDH) for \a p. */
static size_t packet(const struct pkt *p, uint8_t *out, size_t max)
{
	struct ota_command cmd = {
		.kic = p->kic, .kid = p->kid, .cntr = p->cntr, .data = p->script, .data_len = p->len
	};
	uint8_t spi[2] = { p->spi1, p->spi2 };
	int len;

	ota_spi_decode(spi, &cmd.spi);
	memcpy(cmd.tar, p->tar, 3);
	len = ota_command_encode_keys(&cmd, p->keys, out, max);
	assert_true(len > 0);
	return (size_t)len;
}

/* Fetch and acknowledge every waiting SEND SHORT MESSAGE; reassemble the PoR user data into r->ud. */
static void fetch_all(struct card *c, struct answer *a, struct por *r)
{
	uint8_t parts[32][SMS_MAX_UD];
	size_t plen[32], total = 0, nparts = 0;
	struct answer f;

	while ((a->sw >> 8) == 0x91) {
		uint8_t fetch[5] = { 0x80, 0x12, 0x00, 0x00, (uint8_t)a->sw };
		struct sms_tpdu t;
		struct sms_ie ies[8];
		struct sms_concat cc;
		size_t nie, hl, off;
		char tr[64];

		tx(c, fetch, sizeof(fetch), &f);
		assert_int_equal(f.sw, 0x9000);
		assert_int_equal(f.len, a->sw & 0xff);
		/* D0 L 81 03 nn 13 00 82 02 81 83 8B L TPDU */
		off = f.b[1] == 0x81 ? 3 : 2;
		assert_int_equal(f.b[0], 0xd0);
		assert_memory_equal(f.b + off, "\x81\x03", 2);
		assert_memory_equal(f.b + off + 3, "\x13\x00\x82\x02\x81\x83\x8b", 7);
		off += 10;
		off += f.b[off] == 0x81 ? 2 : 1;
		assert_int_equal(sms_tpdu_decode(f.b + off, f.len - off, &t), 0);
		assert_true(t.submit);
		assert_string_equal(t.addr.digits, "1234");
		assert_int_equal(t.pid, SMS_PID_SIM_DATA_DOWNLOAD);
		assert_int_equal(sms_udh_parse(t.ud, t.udl, ies, 8, &nie, &hl), 0);
		if (sms_udh_concat(ies, nie, &cc)) {
			assert_true(cc.seq <= 32);
			memcpy(parts[cc.seq - 1], t.ud + hl, t.udl - hl);
			plen[cc.seq - 1] = t.udl - hl;
			nparts = cc.total;
		} else {
			memcpy(r->ud, t.ud, t.udl);
			r->ud_len = t.udl;
		}
		r->submits++;
		/* the command number is the byte after 81 03 */
		snprintf(tr, sizeof(tr), "801400000C8103%02X130082028281830100", f.b[(f.b[1] == 0x81 ? 3 : 2) + 2]);
		txh(c, tr, a);
	}
	assert_int_equal(a->sw, 0x9000);
	if (nparts) {
		memcpy(r->ud, "\x02\x71\x00", 3);
		total = 3;
		for (size_t i = 0; i < nparts; i++) {
			memcpy(r->ud + total, parts[i], plen[i]);
			total += plen[i];
		}
		r->ud_len = total;
	}
}

/* Decode the PoR in r->ud for the command \a p. */
static void decode_por(const struct pkt *p, struct por *r)
{
	static uint8_t work[OTA_MAX_PACKET];
	struct ota_command cmd = { .kic = p->kic, .kid = p->kid };
	struct ota_response rsp;
	struct ota_keyset *ks;
	uint8_t spi[2] = { p->spi1, p->spi2 };

	ota_spi_decode(spi, &cmd.spi);
	assert_int_equal(ota_keyset_new(p->kic, p->kid, p->keys, &ks), 0);
	assert_int_equal(ota_response_decode(r->ud, r->ud_len, &cmd, ks, &rsp, &r->cc_ok, work), 0);
	ota_keyset_free(ks);
	assert_memory_equal(rsp.tar, p->tar, 3);
	r->status = rsp.status;
	memcpy(r->data, rsp.data, rsp.data_len);
	r->data_len = rsp.data_len;
	r->any = true;
}

static void finish(struct card *c, const struct pkt *p, struct answer *a, struct por *r)
{
	r->sw = a->sw;
	if (a->len) {
		memcpy(r->ud, a->b, a->len);
		r->ud_len = a->len;
		assert_int_equal(a->sw, 0x9000);
	}
	if ((a->sw >> 8) == 0x91)
		fetch_all(c, a, r);
	if (r->ud_len)
		decode_por(p, r);
}

/* Send \a p in one SMS (or raw packet bytes \a raw when given). */
static void send1(struct card *c, const struct pkt *p, const uint8_t *raw, size_t raw_len, struct por *r)
{
	uint8_t ud[SMS_MAX_UD];
	size_t n;
	struct answer a;

	memset(r, 0, sizeof(*r));
	memcpy(ud, "\x02\x70\x00", 3);
	if (raw) {
		memcpy(ud + 3, raw, raw_len);
		n = raw_len;
	} else {
		n = packet(p, ud + 3, sizeof(ud) - 3);
	}
	envelope(c, ud, 3 + n, &a);
	finish(c, p, &a, r);
}

/* Send \a p concatenated over SMS parts in the order \a order (1-based part numbers; 0 ends), TS 31.115 layout:
 * part 1 UDH 00 03 ref n 1 | 70 00, the others 00 03 ref n i. \returns the number of parts */
static unsigned send_concat(struct card *c, const struct pkt *p, uint8_t ref, const unsigned *order, struct por *r)
{
	static uint8_t pk[OTA_MAX_PACKET];
	size_t n = packet(p, pk, sizeof(pk)), off[40], len[40];
	unsigned parts = 0;
	struct answer a = { 0 };

	memset(r, 0, sizeof(*r));
	for (size_t pos = 0; pos < n; parts++) {
		size_t room = parts == 0 ? SMS_MAX_UD - 8 : SMS_MAX_UD - 6;

		off[parts] = pos;
		len[parts] = n - pos < room ? n - pos : room;
		pos += len[parts];
	}
	for (unsigned k = 0; order[k]; k++) {
		unsigned i = order[k] - 1;
		uint8_t ud[SMS_MAX_UD];
		size_t h;

		assert_true(i < parts);
		if (i == 0) {
			memcpy(ud, (const uint8_t[]){ 0x07, 0x00, 0x03, ref, (uint8_t)parts, 1, 0x70, 0x00 }, 8);
			h = 8;
		} else {
			memcpy(ud, (const uint8_t[]){ 0x05, 0x00, 0x03, ref, (uint8_t)parts, (uint8_t)(i + 1) }, 6);
			h = 6;
		}
		memcpy(ud + h, pk + off[i], len[i]);
		envelope(c, ud, h + len[i], &a);
		if (order[k + 1]) {
			assert_int_equal(a.sw, 0x9000); /* an intermediate part */
			assert_int_equal(a.len, 0);
		}
	}
	finish(c, p, &a, r);
	return parts;
}

/* A profile on key set 1 (AES): CC, ciphering, counter higher; PoR always, CC, ciphered, in the envelope. */
static struct pkt aes_pkt(struct card *c, const uint8_t *tar, const uint8_t *script, size_t len)
{
	return (struct pkt){ .spi1 = 0x16,
			     .spi2 = 0x19,
			     .kic = 0x12,
			     .kid = 0x12,
			     .tar = tar,
			     .cntr = c->cntr++,
			     .script = script,
			     .len = len,
			     .keys = &keys_aes };
}

static uint64_t counter_of(struct card *c, uint8_t kvn)
{
	struct card_ota_key_info k[4];
	unsigned n = card_os_ota_keys(c->os, k, 4);

	for (unsigned i = 0; i < n; i++) {
		if (k[i].kvn == kvn)
			return k[i].counter;
	}
	fail();
	return 0;
}

#define S(hex) (const uint8_t *)(hex), sizeof(hex) - 1

/* ---- RFM ---- */

static void test_rfm_read_aes(void **state)
{
	struct card *c = *state;
	struct pkt p = aes_pkt(c, TAR_RFM,
			       S("\x00\xa4\x00\x0c\x02\x3f\x00"
				 "\x00\xa4\x00\x0c\x02\x2f\xe2"
				 "\x00\xb0\x00\x00\x0a"));
	struct por r;

	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.sw, 0x9000);
	assert_true(r.any);
	assert_true(r.cc_ok);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.data_len, 13);
	assert_memory_equal(r.data, "\x03\x90\x00\x98\x88\x12\x01\x00\x00\x40\x03\x10\xf0", 13);
	assert_int_equal(counter_of(c, 1), p.cntr);
}

/* The receiving entity keeps each key set keyed from packet to packet: CCs of 8 and of 4 bytes on one key set, a
 * packet whose KIc and KID name two key sets (1 and 3: keyed for it alone, the counter kept in 3), and all of it
 * again after a power cycle, which drops what was kept. */
static void test_key_sets_kept(void **state)
{
	struct card *c = *state;
	static const uint8_t read_iccid[] = "\x00\xa4\x00\x0c\x02\x2f\xe2\x00\xb0\x00\x00\x0a";
	struct ota_keys short_cc = keys_aes, two_sets = keys_aes;
	uint8_t atr[33];
	struct pkt p;
	struct por r;

	short_cc.cc_len = 4;
	two_sets.kid_len = (uint8_t)unhex(KID3, two_sets.kid, OTA_MAX_KEY);
	for (int round = 0; round < 2; round++) {
		for (int k = 0; k < 3; k++) {
			p = aes_pkt(c, TAR_RFM, read_iccid, 12);
			if (k == 1)
				p.keys = &short_cc;
			if (k == 2) {
				p.kid = 0x35;
				p.keys = &two_sets;
			}
			send1(c, &p, NULL, 0, &r);
			assert_true(r.cc_ok);
			assert_int_equal(r.status, 0);
			assert_int_equal(r.ud[5], k == 1 ? 0x0e : 0x12); /* RHL: a CC of 4 or 8, as the packet's */
			assert_memory_equal(r.data, "\x02\x90\x00\x98\x88\x12\x01\x00\x00\x40\x03\x10\xf0", 13);
			assert_int_equal(counter_of(c, k == 2 ? 3 : 1), p.cntr);
		}
		card_os_power_off(c->os);
		assert_true(card_os_power_on(c->os, atr, sizeof(atr)) > 0);
	}
}

/* The kept key sets follow the NVM, whatever writes it: a key set's entry changed (in a transaction, as nothing on
 * the card does today) is keyed anew at its next use, and so is the entry rolled back; a new counter keys nothing.
 * The cache alone, on an NVM of its own holding key set 1. */
static void test_key_sets_follow_nvm(void **state)
{
	static uint8_t pkt[256], work[OTA_MAX_PACKET];
	struct ota_command cmd = { .spi = { .integrity = OTA_CC, .ciphered = true }, .kic = 0x12, .kid = 0x12 }, back;
	uint8_t e[HEAP_OS_KEYSET] = { 1, MANIFEST_OTA_AES, 16, 16 }, flip;
	struct nvm_store *s;
	struct nvm *n;
	struct ota_re *re = ota_re_new();
	int len;

	(void)state;
	assert_non_null(re);
	memcpy(e + 16, keys_aes.kic, 16);
	memcpy(e + 48, keys_aes.kid, 16);
	assert_int_equal(nvm_store_new(4096, 4096, &s), 0);
	assert_int_equal(nvm_open(s, &n), 0);
	assert_int_equal(nvm_write(n, HEAP_OS_KEYSETS, e, sizeof(e)), 0);
	len = ota_command_encode_keys(&cmd, &keys_aes, pkt, sizeof(pkt));
	assert_true(len > 0);
	for (int k = 0; k < 2; k++)
		assert_int_equal(ota_command_decode(pkt, (size_t)len, ota_config_keyset_get(re, n, 0, 8), &back, work),
				 OTA_POR_OK);
	assert_int_equal(ota_config_set_counter(n, 0, 77), 0);
	assert_int_equal(ota_command_decode(pkt, (size_t)len, ota_config_keyset_get(re, n, 0, 8), &back, work),
			 OTA_POR_OK);
	/* another KID, not committed: the kept key set is keyed anew with it, and the packet's CC no longer holds */
	assert_int_equal(nvm_tx_begin(n), 0);
	flip = e[48] ^ 0x01;
	assert_int_equal(nvm_write(n, HEAP_OS_KEYSETS + 48, &flip, 1), 0);
	assert_int_equal(ota_command_decode(pkt, (size_t)len, ota_config_keyset_get(re, n, 0, 8), &back, work),
			 OTA_POR_RC_CC_DS_FAILED);
	/* rolled back: the old key again */
	nvm_tx_abort(n);
	assert_int_equal(ota_command_decode(pkt, (size_t)len, ota_config_keyset_get(re, n, 0, 8), &back, work),
			 OTA_POR_OK);
	ota_re_free(re);
	nvm_close(n);
	nvm_store_free(s);
}

static void test_rfm_read_3des(void **state)
{
	struct card *c = *state;
	/* KIc 3DES two keys (25), KID 3DES three keys (29); SELECT by path from the MF */
	struct pkt p = {
		.spi1 = 0x16, .spi2 = 0x19, .kic = 0x25, .kid = 0x29, .tar = TAR_RFM, .cntr = 7, .keys = &keys_3des
	};
	struct por r;

	p.script = (const uint8_t *)"\x00\xa4\x08\x0c\x04\x7f\x20\x6f\x07\x00\xb0\x00\x00\x09";
	p.len = 14;
	send1(c, &p, NULL, 0, &r);
	assert_true(r.cc_ok);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.data_len, 12);
	assert_memory_equal(r.data, "\x02\x90\x00\x08\x09\x10\x10\x00\x00\x00\x00\x10", 12);
	assert_int_equal(counter_of(c, 2), 7);
	assert_int_equal(counter_of(c, 1), 0);
}

static void test_rfm_update(void **state)
{
	struct card *c = *state;
	struct pkt p = aes_pkt(c, TAR_RFM,
			       S("\x00\xa4\x00\x0c\x02\x7f\x20"
				 "\x00\xa4\x00\x0c\x02\x6f\x07"
				 "\x00\xd6\x00\x00\x09\x08\x29\x82\x60\x82\x00\x00\x20\x80"
				 "\x00\xa4\x00\x0c\x02\x7f\x10"
				 "\x00\xa4\x00\x0c\x02\x6f\x40"
				 "\x00\xb2\x01\x04\x1c"));
	struct card_identity id;
	struct por r;
	uint8_t rec[28];

	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.data[0], 6);
	assert_int_equal(r.data_len, 3 + 28);
	/* EF.MSISDN record 1: FF x 14 | 07 91 | 94 71 72 19 91 81 | FF ... */
	assert_memory_equal(r.data + 3 + 14, "\x07\x91\x94\x71\x72\x19\x91\x81\xff", 9);
	card_os_identity(c->os, &id);
	assert_string_equal(id.imsi, "228062800000208");
	assert_string_equal(id.msisdn, "491727911918");

	memset(rec, 0xff, sizeof(rec));
	memcpy(rec + 14, "\x04\x91\x21\x43\xf5", 5);
	{
		uint8_t script[64] = "\x00\xa4\x08\x0c\x04\x7f\x10\x6f\x40"
				     "\x00\xdc\x01\x04\x1c";

		memcpy(script + 14, rec, sizeof(rec));
		p = aes_pkt(c, TAR_RFM, script, 14 + sizeof(rec));
		send1(c, &p, NULL, 0, &r);
	}
	assert_int_equal(r.status, 0);
	assert_memory_equal(r.data, "\x02\x90\x00", 3);
	card_os_identity(c->os, &id);
	assert_string_equal(id.msisdn, "12345");
}

static void test_rfm_errors_in_script(void **state)
{
	struct card *c = *state;
	struct pkt p = aes_pkt(c, TAR_RFM,
			       S("\x00\xa4\x00\x0c\x02\x3f\x00"
				 "\x00\xa4\x00\x0c\x02\x6f\x99"
				 "\x00\xb0\x00\x00\x0a"));
	struct por r;

	/* a missing file stops the script; the counter is spent all the same */
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.status, 0);
	assert_memory_equal(r.data, "\x02\x6a\x82", 3);
	assert_int_equal(counter_of(c, 1), p.cntr);
	/* Le longer than the file: 6Cxx with the right length */
	p = aes_pkt(c, TAR_RFM, S("\x00\xa4\x00\x0c\x02\x2f\xe2\x00\xb0\x00\x00\x14"));
	send1(c, &p, NULL, 0, &r);
	assert_memory_equal(r.data, "\x02\x6c\x0a", 3);
	/* SELECT with FCP (no Le in a compact script): 61xx, and GET RESPONSE fetches it */
	p = aes_pkt(c, TAR_RFM, S("\x00\xa4\x00\x04\x02\x2f\xe2\x00\xc0\x00\x00\x00"));
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.data[0], 2);
	assert_memory_equal(r.data + 1, "\x90\x00\x62", 3);
	assert_memory_equal(r.data + 5, "\x82\x02\x41\x21\x83\x02\x2f\xe2", 8);
	/* an instruction the file system does not know ends the script; so does a command cut short */
	p = aes_pkt(c, TAR_RFM, S("\x00\xa4\x00\x0c\x02\x3f\x00\x00\xe2\x00\x00\x01\x00"));
	send1(c, &p, NULL, 0, &r);
	assert_memory_equal(r.data, "\x02\x6d\x00", 3);
	p = aes_pkt(c, TAR_RFM, S("\x00\xa4\x00\x0c\x02\x3f\x00\x00\xd6\x00\x00\x09\x01"));
	send1(c, &p, NULL, 0, &r);
	assert_memory_equal(r.data, "\x02\x67\x00", 3);
	/* an empty script: nothing executed */
	p = aes_pkt(c, TAR_RFM, NULL, 0);
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.data_len, 1);
	assert_int_equal(r.data[0], 0);
}

static void test_rfm_expanded(void **state)
{
	struct card *c = *state;
	/* CC only (the TAR's MSL 02), no counter; SELECT with Le returns the FCP in the R-APDU */
	struct pkt p = { .spi1 = 0x02,
			 .spi2 = 0x09,
			 .kic = 0x12,
			 .kid = 0x12,
			 .tar = TAR_RFM_EXP,
			 .script = S("\xaa\x1a"
				     "\x22\x08\x00\xa4\x00\x04\x02\x3f\x00\x00"
				     "\x22\x07\x00\xa4\x00\x0c\x02\x2f\xe2"
				     "\x22\x05\x00\xb0\x00\x00\x0a"),
			 .keys = &keys_aes };
	struct rapdu_summary s;
	struct por r;

	send1(c, &p, NULL, 0, &r);
	assert_true(r.cc_ok);
	assert_int_equal(r.status, 0);
	assert_int_equal(rapdu_response_decode(r.data, r.data_len, &s), 0);
	assert_int_equal(s.commands, 3);
	assert_int_equal(s.last_sw, 0x9000);
	assert_int_equal(s.last_len, 10);
	assert_memory_equal(r.data, "\xab", 1);
	assert_memory_equal(r.data + 2, "\x80\x01\x03\x23\x0f\x62\x0b", 7);
	/* CC only, but the PoR asked ciphered: ciphered with the KIc of the key version the KIc octet names */
	p.spi2 = 0x19;
	send1(c, &p, NULL, 0, &r);
	assert_true(r.cc_ok);
	assert_int_equal(r.status, 0);
	assert_int_equal(rapdu_response_decode(r.data, r.data_len, &s), 0);
	assert_int_equal(s.last_len, 10);
	/* ... and when that key version does not exist, nothing runs and the PoR says so, without data */
	p.kic = 0x52;
	snapshot(c);
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.status, OTA_POR_UNIDENTIFIED_SECURITY_ERROR);
	assert_int_equal(r.data_len, 0);
	assert_int_equal(r.ud[5], 0x0a);
	assert_unchanged(c);
	p.kic = 0x12;
	p.spi2 = 0x09;
	/* a malformed script: bad format */
	p.script = (const uint8_t *)"\xaa\x09\x22\x07\x00\xa4";
	p.len = 6;
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.data_len, 8);
	assert_memory_equal(r.data, "\xab\x06\x80\x01\x00\x90\x01\x02", 8);
	/* the compact TAR does not take an expanded script: AA is no class byte */
	p = aes_pkt(c, TAR_RFM, S("\xaa\x07\x22\x05\x00\xb0\x00\x00\x0a"));
	send1(c, &p, NULL, 0, &r);
	assert_memory_equal(r.data, "\x01\x6d\x00", 3);
}

/* pySim's section A packet (3DES-SJA5-CIPHERED-CC), as its SMS-DELIVER with the right TP-UDL, to TAR B00011. */
static void test_pysim_vector(void **state)
{
	struct card *c = *state;
	struct pkt p = { .spi1 = 0x06,
			 .spi2 = 0x19,
			 .kic = 0x35,
			 .kid = 0x35,
			 .tar = (const uint8_t *)"\xb0\x00\x11",
			 .keys = &keys_a };
	uint8_t tpdu[80], cmd[120];
	size_t n = unhex("400881214365877ff62270520000000025"
			 "02700000201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f",
			 tpdu, sizeof(tpdu));
	struct answer a;
	struct por r = { 0 };

	memcpy(cmd, "\x80\xc2\x00\x00\x00\xd1\x00\x82\x02\x83\x81\x8b", 12);
	cmd[12] = (uint8_t)n;
	memcpy(cmd + 13, tpdu, n);
	cmd[6] = (uint8_t)(n + 6);
	cmd[4] = (uint8_t)(n + 8);
	tx(c, cmd, 13 + n, &a);
	finish(c, &p, &a, &r);
	/* the card kept the vector's PoR layout: RHL 12 (CC of 8), ciphered; SELECT MF with FCP answers 61xx */
	assert_true(r.cc_ok);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.ud[5], 0x12);
	assert_memory_equal(r.data, "\x01\x61\x0d", 3);
}

/* ---- rejections: PoR status, nothing changed ---- */

static void expect_reject(struct card *c, const struct pkt *p, const uint8_t *raw, size_t raw_len, uint8_t status)
{
	struct por r;

	snapshot(c);
	send1(c, p, raw, raw_len, &r);
	assert_true(r.any);
	assert_int_equal(r.status, status);
	assert_int_equal(r.data_len, 0);
	assert_unchanged(c);
}

static void test_reject_security(void **state)
{
	struct card *c = *state;
	static const uint8_t read_iccid[] = "\x00\xa4\x00\x0c\x02\x2f\xe2\x00\xb0\x00\x00\x0a";
	struct ota_keys wrong = keys_aes;
	struct pkt p;
	uint8_t raw[SMS_MAX_UD];
	size_t n;
	struct por r;

	/* wrong CC: the right KIc, another KID */
	wrong.kid[0] ^= 1;
	p = aes_pkt(c, TAR_RFM, read_iccid, 12);
	p.keys = &wrong;
	expect_reject(c, &p, NULL, 0, OTA_POR_RC_CC_DS_FAILED);
	/* its PoR is unsecured: no CC, not ciphered (RHL 0A) */
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.ud[5], 0x0a);
	assert_false(r.cc_ok);

	/* unknown TAR */
	p = aes_pkt(c, (const uint8_t *)"\xb0\xff\xff", read_iccid, 12);
	expect_reject(c, &p, NULL, 0, OTA_POR_TAR_UNKNOWN);
	/* CC without ciphering or counter to a TAR that wants all three */
	p = aes_pkt(c, TAR_RFM, read_iccid, 12);
	p.spi1 = 0x02;
	expect_reject(c, &p, NULL, 0, OTA_POR_INSUFFICIENT_SECURITY_LEVEL);
	/* counter mode "set" does not meet a "higher" MSL */
	p.spi1 = 0x0e;
	expect_reject(c, &p, NULL, 0, OTA_POR_INSUFFICIENT_SECURITY_LEVEL);
	/* a key version the card does not have */
	p = aes_pkt(c, TAR_RFM, read_iccid, 12);
	p.kic = p.kid = 0x52;
	expect_reject(c, &p, NULL, 0, OTA_POR_UNIDENTIFIED_SECURITY_ERROR);
	/* an algorithm other than the key set's (3DES named on the AES key set) */
	p = aes_pkt(c, TAR_RFM, read_iccid, 12);
	p.kid = 0x19;
	p.keys = &keys_3des;
	expect_reject(c, &p, NULL, 0, OTA_POR_UNIDENTIFIED_SECURITY_ERROR);
	/* digital signature asked for */
	p = aes_pkt(c, TAR_RFM, read_iccid, 12);
	n = packet(&p, raw, sizeof(raw));
	raw[3] = 0x17;
	expect_reject(c, &p, raw, n, OTA_POR_UNIDENTIFIED_SECURITY_ERROR);
	/* truncated: CPL says more than arrived */
	p = aes_pkt(c, TAR_RFM, read_iccid, 12);
	n = packet(&p, raw, sizeof(raw));
	expect_reject(c, &p, raw, n - 16, OTA_POR_UNIDENTIFIED_SECURITY_ERROR);
	/* over-long: bytes after what CPL counts */
	memset(raw + n, 0, 16);
	expect_reject(c, &p, raw, n + 16, OTA_POR_UNIDENTIFIED_SECURITY_ERROR);
	/* a ciphertext that is not whole blocks (CPL fixed to match) */
	raw[1] -= 1;
	expect_reject(c, &p, raw, n - 1, OTA_POR_CIPHERING_ERROR);
	/* nothing above spent the counter */
	assert_int_equal(counter_of(c, 1), 0);
}

static void test_reject_counters(void **state)
{
	struct card *c = *state;
	static const uint8_t read_iccid[] = "\x00\xa4\x00\x0c\x02\x2f\xe2\x00\xb0\x00\x00\x0a";
	struct pkt p;
	struct por r;

	c->cntr = 5;
	p = aes_pkt(c, TAR_RFM, read_iccid, 12);
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.status, 0);
	/* the same packet again, and a lower counter: replay */
	expect_reject(c, &p, NULL, 0, OTA_POR_CNTR_LOW);
	p.cntr = 4;
	expect_reject(c, &p, NULL, 0, OTA_POR_CNTR_LOW);
	/* a secured PoR for a counter failure: the CC held */
	send1(c, &p, NULL, 0, &r);
	assert_true(r.cc_ok);
	/* "exactly one higher": 7 is too high, 6 is right */
	p.spi1 = 0x1e;
	p.cntr = 7;
	expect_reject(c, &p, NULL, 0, OTA_POR_CNTR_HIGH);
	p.cntr = 6;
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(counter_of(c, 1), 6);
	/* the highest counter blocks the key set */
	p.spi1 = 0x16;
	p.cntr = 0xffffffffffULL;
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.status, 0);
	p.cntr = 3;
	expect_reject(c, &p, NULL, 0, OTA_POR_CNTR_BLOCKED);
	/* counter mode "none" on a TAR that allows it (B00011, MSL 06) still works with key set 3 */
	p = (struct pkt){ .spi1 = 0x06,
			  .spi2 = 0x19,
			  .kic = 0x35,
			  .kid = 0x35,
			  .tar = (const uint8_t *)"\xb0\x00\x11",
			  .script = read_iccid,
			  .len = 12,
			  .keys = &keys_a };
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(counter_of(c, 3), 0);
}

static void test_reject_envelopes(void **state)
{
	struct card *c = *state;
	static const char *const bad[] = {
		"80C2000004D1038202",						    /* TLV cut short */
		"80C2000006D30482028381",					    /* a menu selection, not SMS-PP */
		"80C2000006D10482028381",					    /* no TPDU */
		"80C2000013D111820283818B0B41000281217FF603027000",		    /* an SMS-SUBMIT */
		"80C2000018D116820283818B1000048121437FF6000000000000000100",	    /* no UDHI */
		"80C200001BD119820283818B1340048121437FF6000000000000000403010100", /* a UDH without IE 70 */
		"80C200001AD118820283818B1240048121437F000000000000000003027000",   /* 7-bit data */
		"80C2000022D120820283818B1A40048121437FF6000000000000000B0270000008061200B00000", /* < 10 header bytes */
	};
	struct answer a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snapshot(c);
		txh(c, bad[i], &a);
		assert_true(a.sw == 0x6a80 || a.sw == 0x6a81);
		assert_int_equal(a.len, 0);
		assert_unchanged(c);
	}
	assert_int_equal(txh(c, "80C2000006D30482028381", &a), 0x6a81);
	/* toolkit commands out of turn */
	assert_int_equal(txh(c, "8012000010", &a), 0x6985);
	assert_int_equal(txh(c, "801400000C810301130082028281830100", &a), 0x6985);
	assert_int_equal(txh(c, "8010000002FFFF", &a), 0x9000);
}

/* ---- PoR by SMS-SUBMIT, concatenation ---- */

static void test_por_submit(void **state)
{
	struct card *c = *state;
	struct pkt p = aes_pkt(c, TAR_RFM, S("\x00\xa4\x00\x0c\x02\x2f\xe2\x00\xb0\x00\x00\x0a"));
	uint8_t ud[SMS_MAX_UD];
	struct answer a;
	struct por r = { 0 };
	size_t n;

	p.spi2 = 0x39; /* PoR by SMS-SUBMIT */
	memcpy(ud, "\x02\x70\x00", 3);
	n = packet(&p, ud + 3, sizeof(ud) - 3);
	envelope(c, ud, 3 + n, &a);
	assert_int_equal(a.sw >> 8, 0x91);
	assert_int_equal(a.len, 0);
	/* while the command waits: a new envelope is refused, a short FETCH gets the right length */
	snapshot(c);
	p.cntr = c->cntr++;
	n = packet(&p, ud + 3, sizeof(ud) - 3);
	{
		struct answer b;

		envelope(c, ud, 3 + n, &b);
		assert_int_equal(b.sw, 0x9300);
		assert_int_equal(txh(c, "8012000010", &b), 0x6c00 | (a.sw & 0xff));
		assert_int_equal(txh(c, "801400000C810301130082028281830100", &b), 0x6985);
	}
	assert_unchanged(c);
	p.cntr--;
	c->cntr--;
	p.cntr = c->cntr - 1;
	finish(c, &p, &a, &r);
	assert_int_equal(r.submits, 1);
	assert_true(r.cc_ok);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.data_len, 13);
}

/* Write \a len bytes at \a off of the PKI applet's EF 3401 over the air, one UPDATE BINARY per 200 bytes. */
static unsigned write_over_air(struct card *c, const uint8_t *data, size_t off, size_t len, uint8_t ref,
			       const unsigned *order, struct por *r)
{
	static uint8_t script[2048];
	static const uint8_t head[] = "\x22\x07\x00\xa4\x00\x0c\x02\x50\x15"
				      "\x22\x07\x00\xa4\x00\x0c\x02\x34\x01";
	size_t n = 4 + sizeof(head) - 1;
	struct pkt p;

	memcpy(script + 4, head, sizeof(head) - 1);
	for (size_t done = 0; done < len;) {
		size_t k = len - done < 200 ? len - done : 200;
		size_t at = off + done;

		script[n++] = 0x22;
		if (5 + k > 127)
			script[n++] = 0x81;
		script[n++] = (uint8_t)(5 + k);
		memcpy(script + n, (const uint8_t[]){ 0x00, 0xd6, (uint8_t)(at >> 8), (uint8_t)at, (uint8_t)k }, 5);
		memcpy(script + n + 5, data + done, k);
		n += 5 + k;
		done += k;
	}
	script[0] = 0xaa;
	script[1] = 0x82;
	script[2] = (uint8_t)((n - 4) >> 8);
	script[3] = (uint8_t)(n - 4);
	p = aes_pkt(c, TAR_PKI, script, n);
	return send_concat(c, &p, ref, order, r);
}

static void personalise(struct card *c)
{
	struct answer a;

	assert_int_equal(txh(c, PKI_HEX_SELECT, &a), 0x9000);
	assert_int_equal(txh(c, "00E00000176F1581021388820138830250158608FF00000000000090", &a), 0x9000);
	assert_int_equal(txh(c, PKI_HEX_PUK_SET, &a), 0x9000);
	assert_int_equal(txh(c, PKI_HEX_PIN_SET, &a), 0x9000);
	assert_int_equal(txh(c, PKI_HEX_PIN_OK, &a), 0x9000);
	/* EF 3401 of 1200 bytes: updated after VERIFY (90), read always (00) */
	assert_int_equal(txh(c, "00E00000176F15810204B0820101830234018608FF90FFFFFF909000", &a), 0x9000);
	assert_int_equal(txh(c, PKI_HEX_SELECT, &a), 0x9000); /* a new session: PIN not verified */
}

static void test_concat_certificate(void **state)
{
	struct card *c = *state;
	static uint8_t cert[1200];
	static const unsigned in_order[] = { 1, 2, 3, 4, 0 };
	static const unsigned shuffled[] = { 3, 1, 3, 4, 2, 0 }; /* out of order, with a duplicate */
	static const unsigned two[] = { 2, 1, 0 };
	static const unsigned three[] = { 1, 3, 2, 0 };
	struct answer a;
	struct por r;
	size_t got = 0;

	for (size_t i = 0; i < sizeof(cert); i++)
		cert[i] = (uint8_t)(i * 7 + 3);
	personalise(c);
	/* over the terminal interface the update needs the PIN */
	assert_int_equal(txh(c, "00A4000C023401", &a), 0x9000);
	assert_int_equal(txh(c, "00D6000002AABB", &a), 0x6982);
	/* 1,200 bytes over the air in four packets of 2, 3, 4 and 4 SMS */
	assert_int_equal(write_over_air(c, cert, 0, 200, 1, two, &r), 2);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.data[r.data_len - 2] << 8 | r.data[r.data_len - 1], 0x9000);
	assert_int_equal(write_over_air(c, cert + 200, 200, 300, 2, three, &r), 3);
	assert_int_equal(r.status, 0);
	assert_int_equal(write_over_air(c, cert + 500, 500, 350, 3, in_order, &r), 4);
	assert_int_equal(r.status, 0);
	assert_int_equal(write_over_air(c, cert + 850, 850, 350, 4, shuffled, &r), 4);
	assert_int_equal(r.status, 0);
	{
		struct rapdu_summary s;

		assert_int_equal(rapdu_response_decode(r.data, r.data_len, &s), 0);
		assert_int_equal(s.commands, 4);
		assert_int_equal(s.last_sw, 0x9000);
	}
	/* read back over the terminal interface, without the PIN (read is always allowed) */
	assert_int_equal(txh(c, "00A4000C023401", &a), 0x9000);
	while (got < sizeof(cert)) {
		char rb[16];
		size_t k = sizeof(cert) - got < 240 ? sizeof(cert) - got : 240;

		snprintf(rb, sizeof(rb), "00B0%04X%02X", (unsigned)got, (unsigned)k);
		assert_int_equal(txh(c, rb, &a), 0x9000);
		assert_int_equal(a.len, k);
		assert_memory_equal(a.b, cert + got, k);
		got += k;
	}
}

static void test_concat_interrupted(void **state)
{
	struct card *c = *state;
	static const unsigned all[] = { 1, 2, 3, 0 };
	static uint8_t data[300];
	struct answer a;
	struct por r;
	uint8_t ud[SMS_MAX_UD];

	personalise(c);
	/* part 1 of message 9, then a whole message 10: message 9 is dropped, 10 runs */
	memcpy(ud, (const uint8_t[]){ 0x07, 0x00, 0x03, 9, 3, 1, 0x70, 0x00, 0x00, 0x10 }, 10);
	envelope(c, ud, 10, &a);
	assert_int_equal(a.sw, 0x9000);
	write_over_air(c, data, 0, 300, 10, all, &r);
	assert_int_equal(r.status, 0);
	/* the rest of message 9 alone never completes anything */
	snapshot(c);
	memcpy(ud, (const uint8_t[]){ 0x05, 0x00, 0x03, 9, 3, 2, 0x00 }, 7);
	envelope(c, ud, 7, &a);
	assert_int_equal(a.sw, 0x9000);
	memcpy(ud, (const uint8_t[]){ 0x05, 0x00, 0x03, 9, 3, 3, 0x00 }, 7);
	envelope(c, ud, 7, &a);
	assert_int_equal(a.sw, 0x9000);
	assert_int_equal(a.len, 0);
	assert_unchanged(c);
	/* a part number of 0 is no concatenation: 6A80 */
	memcpy(ud, (const uint8_t[]){ 0x05, 0x00, 0x03, 12, 3, 0, 0x00 }, 7);
	envelope(c, ud, 7, &a);
	assert_int_equal(a.sw, 0x6a80);
	/* a part from another sender with the same reference starts a new message: the first never completes */
	{
		struct pkt p = aes_pkt(c, TAR_PKI, S("\xaa\x00"));
		uint8_t pk[OTA_MAX_PACKET];
		size_t n = packet(&p, pk, sizeof(pk));

		memcpy(ud, (const uint8_t[]){ 0x07, 0x00, 0x03, 13, 2, 1, 0x70, 0x00 }, 8);
		memcpy(ud + 8, pk, n);
		envelope(c, ud, 8 + n, &a);
		assert_int_equal(a.sw, 0x9000);
		sender = "5678";
		memcpy(ud, (const uint8_t[]){ 0x05, 0x00, 0x03, 13, 2, 2, 0x00 }, 7);
		envelope(c, ud, 7, &a);
		sender = "1234";
		assert_int_equal(a.sw, 0x9000);
		assert_int_equal(a.len, 0);
	}
	/* a packet announced over 33 parts: PoR 07 from its first part */
	memcpy(ud, (const uint8_t[]){ 0x07, 0x00, 0x03, 11, 33, 1, 0x70, 0x00 }, 8);
	{
		struct pkt p = aes_pkt(c, TAR_PKI, S("\xaa\x00"));
		size_t n = packet(&p, ud + 8, sizeof(ud) - 8);

		envelope(c, ud, 8 + n, &a);
		memset(&r, 0, sizeof(r));
		finish(c, &p, &a, &r);
		assert_int_equal(r.status, OTA_POR_INSUFFICIENT_MEMORY);
	}
}

/* ---- the issuer's authority ---- */

static void test_issuer_authority(void **state)
{
	struct card *c = *state;
	struct rapdu_summary s;
	struct answer a;
	struct por r;
	struct pkt p;

	personalise(c);
	/* over the terminal interface: no key generation, no unblock without the PIN or PUK */
	assert_int_equal(txh(c, "00224100068001F3840100", &a), 0x6982);
	assert_int_equal(txh(c, "002C030100", &a), 0x6982);
	assert_int_equal(txh(c, "002C0201053635343332", &a), 0x6982);

	/* over the air: MSE for key generation and GENERATE RSA-2048 without the PIN; the public key comes back in a
	 * PoR too long for the envelope response, as concatenated SMS-SUBMITs */
	p = aes_pkt(c, TAR_PKI,
		    S("\xaa\x16"
		      "\x22\x0b\x00\x22\x41\x00\x06\x80\x01\xf3\x84\x01\x00"
		      "\x22\x07\x00\x46\x42\x00\x00\x00\x00"));
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.status, 0);
	assert_true(r.submits >= 2);
	assert_true(r.cc_ok);
	assert_int_equal(rapdu_response_decode(r.data, r.data_len, &s), 0);
	assert_int_equal(s.commands, 2);
	assert_int_equal(s.last_sw, 0x9000);
	assert_true(s.last_len > 256);

	/* a signature over the air still needs the holder's PIN */
	p = aes_pkt(c, TAR_PKI,
		    S("\xaa\x11"
		      "\x22\x0f\x00\x22\x41\xb6\x0a\x80\x01\x11\x81\x02\x50\x15\x84\x01\x00"));
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(rapdu_response_decode(r.data, r.data_len, &s), 0);
	assert_int_equal(s.last_sw, 0x6982);

	/* block the PIN at the terminal; the issuer unblocks it over the air, keeping its value */
	for (int i = 0; i < 3; i++)
		txh(c, "002000011039393939393900000000000000000000", &a);
	assert_int_equal(txh(c, PKI_HEX_PIN_OK, &a), 0x63c0);
	p = aes_pkt(c, TAR_PKI, S("\xaa\x06\x22\x04\x00\x2c\x03\x01"));
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(rapdu_response_decode(r.data, r.data_len, &s), 0);
	assert_int_equal(s.last_sw, 0x9000);
	assert_int_equal(txh(c, PKI_HEX_PIN_OK, &a), 0x9000);

	/* and sets a new PIN without the PUK */
	p = aes_pkt(c, TAR_PKI, S("\xaa\x0c\x22\x0a\x00\x2c\x02\x01\x05\x39\x38\x37\x36\x35"));
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(rapdu_response_decode(r.data, r.data_len, &s), 0);
	assert_int_equal(s.last_sw, 0x9000);
	assert_int_equal(txh(c, PKI_HEX_PIN_OK, &a), 0x63c2);
	assert_int_equal(txh(c, "002000011039383736350000000000000000000000", &a), 0x9000);
}

/* An OTA session with the applet leaves the terminal's own session (selected, PIN verified) as it was. */
static void test_terminal_session_kept(void **state)
{
	struct card *c = *state;
	struct answer a;
	struct por r;
	struct pkt p;

	personalise(c);
	assert_int_equal(txh(c, PKI_HEX_PIN_OK, &a), 0x9000);
	assert_int_equal(txh(c, "00224100068001EC840101", &a), 0x9000);
	p = aes_pkt(c, TAR_PKI, S("\xaa\x07\x22\x05\x00\x20\x00\x02\x00"));
	send1(c, &p, NULL, 0, &r);
	assert_int_equal(r.status, 0);
	/* the MSE set before still holds, and the verified PIN: GENERATE EC works without VERIFY (the public key is
	 * longer than Le: 61xx) */
	txh(c, PKI_HEX_GEN_EC, &a);
	assert_int_equal(a.sw >> 8, 0x61);
}

/* ---- certificate requests built on the card, over the air ---- */

/* CN=SIM 1, as a DER Name */
static const uint8_t csr_subject[] = { 0x30, 0x10, 0x31, 0x0e, 0x30, 0x0c, 0x06, 0x03, 0x55,
				       0x04, 0x03, 0x0c, 0x05, 'S',  'I',  'M',	 ' ',  '1' };

/* Expanded scripts: AA 82 hi lo, then 22 L C-APDU for each command. */
struct script {
	uint8_t b[2048];
	size_t n;
};

static void script_add(struct script *sc, const uint8_t *apdu, size_t len)
{
	if (!sc->n)
		sc->n = 4;
	assert_true(sc->n + 3 + len <= sizeof(sc->b));
	sc->b[sc->n++] = 0x22;
	if (len > 127)
		sc->b[sc->n++] = 0x81;
	sc->b[sc->n++] = (uint8_t)len;
	memcpy(sc->b + sc->n, apdu, len);
	sc->n += len;
	sc->b[0] = 0xaa;
	sc->b[1] = 0x82;
	sc->b[2] = (uint8_t)((sc->n - 4) >> 8);
	sc->b[3] = (uint8_t)(sc->n - 4);
}

static void script_add_hex(struct script *sc, const char *hex)
{
	uint8_t apdu[300];

	script_add(sc, apdu, unhex(hex, apdu, sizeof(apdu)));
}

/* BUILD CERTIFICATE REQUEST for key \a ref with csr_subject, in extended form with Le 0000 (any length: an RSA
 * request is about 600 bytes). */
static void script_add_csr(struct script *sc, uint8_t ref)
{
	uint8_t apdu[7 + sizeof(csr_subject) + 2] = { 0x00, PKI_INS_BUILD_CSR,	0x00, ref, 0x00,
						      0x00, sizeof(csr_subject) };

	memcpy(apdu + 7, csr_subject, sizeof(csr_subject));
	script_add(sc, apdu, sizeof(apdu));
}

/* Run a script on the PKI applet over the air, in as many SMS as it takes; the last R-APDU into \a s. */
static void run_over_air(struct card *c, const struct script *sc, struct por *r, struct rapdu_summary *s)
{
	static uint8_t ref = 40;
	struct pkt p = aes_pkt(c, TAR_PKI, sc->b, sc->n);
	uint8_t pk[OTA_MAX_PACKET];
	size_t n = packet(&p, pk, sizeof(pk)), parts = 0;
	unsigned order[33];

	for (size_t pos = 0; pos < n; parts++)
		pos += parts == 0 ? SMS_MAX_UD - 8 : SMS_MAX_UD - 6;
	assert_true(parts < 33);
	for (size_t i = 0; i < parts; i++)
		order[i] = (unsigned)i + 1;
	order[parts] = 0;
	send_concat(c, &p, ref++, order, r);
	assert_int_equal(r->status, 0);
	assert_int_equal(rapdu_response_decode(r->data, r->data_len, s), 0);
}

/* BUILD CERTIFICATE REQUEST for key \a ref over the air. \returns its SW; with 9000 the request in *req */
static uint16_t csr_over_air(struct card *c, uint8_t ref, X509_REQ **req)
{
	struct script sc = { .n = 0 };
	struct rapdu_summary s;
	const unsigned char *p;
	struct por r;

	script_add_csr(&sc, ref);
	run_over_air(c, &sc, &r, &s);
	assert_int_equal(s.commands, 1);
	if (s.last_sw == 0x9000) {
		p = s.last_data;
		*req = d2i_X509_REQ(NULL, &p, (long)s.last_len);
		assert_non_null(*req);
		assert_ptr_equal(p, s.last_data + s.last_len);
		assert_int_equal(X509_REQ_verify(*req, X509_REQ_get0_pubkey(*req)), 1);
	}
	return s.last_sw;
}

/* A key of GENERATE's 7F49 template (RSA 81 n 82 e, or 86 Q on P-256). */
static EVP_PKEY *template_key(const uint8_t *b, size_t len)
{
	struct tlv outer, n, e, q;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	bool rsa;

	assert_int_equal(ber_tlv_parse(b, len, &outer), 0);
	assert_int_equal(outer.tag, 0x7f49);
	rsa = tlv_find(outer.value, outer.len, 0x86, &q) != 0;
	if (rsa) {
		assert_int_equal(tlv_find(outer.value, outer.len, 0x81, &n), 0);
		assert_int_equal(tlv_find(outer.value, outer.len, 0x82, &e), 0);
		bn = BN_bin2bn(n.value, (int)n.len, NULL);
		be = BN_bin2bn(e.value, (int)e.len, NULL);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be);
	} else {
		OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q.value, q.len);
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, rsa ? "RSA" : "EC", NULL);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return pk;
}

/* MSE and GENERATE over the terminal interface (PIN verified): the public key GENERATE answers. */
static EVP_PKEY *generate(struct card *c, uint8_t ref, bool rsa)
{
	uint8_t pub[600];
	size_t n = 0;
	char mse[32];
	struct answer a;

	snprintf(mse, sizeof(mse), "00224100068001%s8401%02X", rsa ? "F3" : "EC", ref);
	assert_int_equal(txh(c, mse, &a), 0x9000);
	txh(c, rsa ? PKI_HEX_GEN_RSA : PKI_HEX_GEN_EC, &a);
	while ((a.sw >> 8) == 0x61) {
		memcpy(pub + n, a.b, a.len);
		n += a.len;
		txh(c, "00C0000000", &a);
	}
	assert_int_equal(a.sw, 0x9000);
	memcpy(pub + n, a.b, a.len);
	return template_key(pub, n + a.len);
}

/* A DER certificate for \a key from a throw-away CA; \a compressed: an EC point in compressed form. */
static size_t make_cert(EVP_PKEY *key, bool compressed, uint8_t *out, size_t max)
{
	EVP_PKEY *ca = EVP_EC_gen("P-256"), *k = EVP_PKEY_dup(key);
	X509 *x = X509_new();
	unsigned char *der = NULL;
	int n;

	assert_non_null(ca);
	assert_non_null(k);
	if (compressed)
		assert_int_equal(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
								OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED),
				 1);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"SIM 1", -1, -1,
				   0);
	X509_NAME_add_entry_by_txt(X509_get_issuer_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"CA", -1, -1, 0);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	assert_int_equal(X509_set_pubkey(x, k), 1);
	assert_true(X509_sign(x, ca, EVP_sha256()) > 0);
	n = i2d_X509(x, &der);
	assert_true(n > 0 && (size_t)n <= max);
	memcpy(out, der, (size_t)n);
	if (compressed) {
		const unsigned char *pt;
		int len;

		assert_int_equal(X509_PUBKEY_get0_param(NULL, &pt, &len, NULL, X509_get_X509_PUBKEY(x)), 1);
		assert_int_equal(len, 33);
	}
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ca);
	return (size_t)n;
}

/* Over the air, as the issuer would: CREATE FILE EF \a fid (512 bytes; update and delete after VERIFY or over the
 * air, read always) in DF 5015 and UPDATE BINARY \a data into it. */
static void put_file_over_air(struct card *c, uint16_t fid, const uint8_t *data, size_t len)
{
	struct script sc = { .n = 0 };
	struct rapdu_summary s;
	struct por r;
	char create[64];

	script_add_hex(&sc, "00A4000C025015");
	snprintf(create, sizeof(create), "00E00000176F15810202008201018302%04X8608FF90FFFFFF909000", fid);
	script_add_hex(&sc, create);
	for (size_t done = 0; done < len;) {
		size_t k = len - done < 200 ? len - done : 200;
		uint8_t apdu[5 + 200] = { 0x00, 0xd6, (uint8_t)(done >> 8), (uint8_t)done, (uint8_t)k };

		memcpy(apdu + 5, data + done, k);
		script_add(&sc, apdu, 5 + k);
		done += k;
	}
	run_over_air(c, &sc, &r, &s);
	assert_int_equal(s.last_sw, 0x9000);
}

static void delete_file_over_air(struct card *c, uint16_t fid)
{
	struct script sc = { .n = 0 };
	struct rapdu_summary s;
	struct por r;
	char del[32];

	snprintf(del, sizeof(del), "00E4000002%04X", fid);
	script_add_hex(&sc, del);
	run_over_air(c, &sc, &r, &s);
	assert_int_equal(s.last_sw, 0x9000);
}

static void assert_req_key(X509_REQ *req, EVP_PKEY *key)
{
	assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), key), 1);
	X509_REQ_free(req);
}

static void test_csr_over_air(void **state)
{
	struct card *c = *state;
	static uint8_t der[2048];
	EVP_PKEY *k0, *k1, *k2;
	X509_REQ *req = NULL;
	struct answer a;
	size_t n;

	personalise(c);
	assert_int_equal(txh(c, PKI_HEX_PIN_OK, &a), 0x9000);
	k1 = generate(c, 1, false);
	k2 = generate(c, 2, false);
	k0 = generate(c, 0, true);
	assert_int_equal(txh(c, PKI_HEX_SELECT, &a), 0x9000);
	/* over the terminal interface without the PIN: no */
	assert_int_equal(txh(c, "004C0001023000", &a), 0x6982);

	/* over the air, no certificate on the card: the request carries the key GENERATE returned */
	assert_int_equal(csr_over_air(c, 1, &req), 0x9000);
	assert_req_key(req, k1);
	assert_int_equal(csr_over_air(c, 0, &req), 0x9000);
	assert_req_key(req, k0);
	/* an empty slot */
	assert_int_equal(csr_over_air(c, 5, &req), 0x6a88);

	/* the key's public key in a file (SubjectPublicKeyInfo, as PKCS#15 public key files hold it) is no certificate */
	{
		unsigned char *p = NULL;
		int len = i2d_PUBKEY(k1, &p);

		assert_true(len > 0);
		put_file_over_air(c, 0x3301, p, (size_t)len);
		OPENSSL_free(p);
	}
	assert_int_equal(csr_over_air(c, 1, &req), 0x9000);
	assert_req_key(req, k1);

	/* a certificate for key 2 (its point compressed) blocks key 2 and not key 1 */
	n = make_cert(k2, true, der, sizeof(der));
	put_file_over_air(c, 0x3402, der, n);
	assert_int_equal(csr_over_air(c, 2, &req), 0x6985);
	assert_int_equal(csr_over_air(c, 1, &req), 0x9000);
	assert_req_key(req, k1);

	/* a certificate for key 1: 6985 over the air; the holder with the PIN still may, at the terminal or with VERIFY
	 * in the same script */
	n = make_cert(k1, false, der, sizeof(der));
	put_file_over_air(c, 0x3403, der, n);
	assert_int_equal(csr_over_air(c, 1, &req), 0x6985);
	assert_int_equal(txh(c, PKI_HEX_PIN_OK, &a), 0x9000);
	/* 00 4C 00 01 12 <CN=SIM 1> 00 */
	assert_int_equal(txh(c, "004C0001123010310E300C06035504030C0553494D203100", &a), 0x9000);
	{
		const unsigned char *p = a.b;

		req = d2i_X509_REQ(NULL, &p, (long)a.len);
		assert_non_null(req);
		assert_int_equal(X509_REQ_verify(req, k1), 1);
		assert_req_key(req, k1);
	}
	assert_int_equal(txh(c, PKI_HEX_SELECT, &a), 0x9000);
	{
		struct script sc = { .n = 0 };
		struct rapdu_summary s;
		struct por r;
		const unsigned char *p;

		script_add_hex(&sc, PKI_HEX_PIN_OK);
		script_add_csr(&sc, 1);
		run_over_air(c, &sc, &r, &s);
		assert_int_equal(s.commands, 2);
		assert_int_equal(s.last_sw, 0x9000);
		p = s.last_data;
		req = d2i_X509_REQ(NULL, &p, (long)s.last_len);
		assert_non_null(req);
		assert_int_equal(X509_REQ_verify(req, k1), 1);
		assert_req_key(req, k1);
	}

	/* the certificate deleted: allowed again */
	delete_file_over_air(c, 0x3403);
	assert_int_equal(csr_over_air(c, 1, &req), 0x9000);
	assert_req_key(req, k1);

	/* RSA: a certificate with the key's modulus and exponent blocks it */
	n = make_cert(k0, false, der, sizeof(der));
	put_file_over_air(c, 0x3404, der, n);
	assert_int_equal(csr_over_air(c, 0, &req), 0x6985);
	assert_int_equal(csr_over_air(c, 1, &req), 0x9000);
	assert_req_key(req, k1);
	EVP_PKEY_free(k0);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rfm_read_aes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfm_read_3des, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_sets_kept, setup, teardown),
		cmocka_unit_test(test_key_sets_follow_nvm),
		cmocka_unit_test_setup_teardown(test_rfm_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfm_errors_in_script, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfm_expanded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pysim_vector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_security, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_envelopes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_por_submit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concat_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concat_interrupted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issuer_authority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_terminal_session_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csr_over_air, setup, teardown),
	};

	keys_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
