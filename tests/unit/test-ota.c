/* Unit tests of the secured packet codec (lib/ota.c): the vectors of ../shared/reference/ota-vectors.md sections A
 * and D both ways, byte for byte (command packets encoded and decoded, PoRs decoded and encoded); round trips for
 * every algorithm (DES, 2- and 3-key 3DES, AES-128/192/256) with every integrity (none, CRC32, CC of 8 and, for
 * AES, 4 bytes) and ciphering choice, for commands and PoRs; and the bad cases the card answers with a PoR status
 * (wrong CC, ciphering errors, inconsistent headers) or refuses outright (truncated, CPL mismatch).
 * The key set (struct ota_keyset, lib/ota_crypto.c): made with an unknown algorithm, a key length its algorithm does
 * not take or a bad CC length, it fails cleanly; one key set used for packet after packet (and after failed checks)
 * gives the bytes fresh key sets give; a key set left without a key refuses the packets that need it; freeing it
 * leaves no key in memory OpenSSL gives back (its allocations are watched: main() installs the hooks).
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include <simpki/hex.h>
#include <simpki/ota.h>

#include "unit.h"

struct vec {
	const char *name;
	const char *spi, *kic_key, *kid_key;
	uint8_t kic, kid;
	const char *packet; /* command packet without UDH */
	const char *por;    /* PoR user data, UDH 027100 included */
};

static const struct vec vecs[] = {
	{ "3DES-SJA5-CIPHERED-CC", "0619", "300102030405060708090a0b0c0d0e0f", "301102030405060708090a0b0c0d0e0f", 0x35,
	  0x35, "00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f",
	  "027100001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b" },
	{ "3DES-SJA5-UNCIPHERED-CC", "0609", "300102030405060708090a0b0c0d0e0f", "301102030405060708090a0b0c0d0e0f",
	  0x35, 0x35, "00201506093535b00011c49ac91ab8159ba5b83a54fb6385e0a5e31694f8b215fafc",
	  "027100001612b0001100000000000000b5bcd6353a421fae016132" },
	{ "3DES-SJA5-UNCIPHERED-NOCC", "0601", "300102030405060708090a0b0c0d0e0f", "301102030405060708090a0b0c0d0e0f",
	  0x35, 0x35, "00201506013535b000113190be334900f52b025f3f7eddfe868e96ebf310023b7769",
	  "027100000e0ab0001100000000000000016132" },
	{ "AES128-SJA5-CIPHERED-CC", "0619", "200102030405060708090a0b0c0d0e0f", "201102030405060708090a0b0c0d0e0f",
	  0x22, 0x22, "00281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e5058",
	  "027100002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f" },
};

static const uint8_t tar_rfm[] = { 0xb0, 0x00, 0x11 };
static const uint8_t apdu_select[] = { 0x00, 0xa4, 0x00, 0x04, 0x02, 0x3f, 0x00 };
static const uint8_t por_data[] = { 0x01, 0x61, 0x32 };

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	int n = hex_decode(s, out, max);

	assert_true(n >= 0);
	return (size_t)n;
}

/* A key set for packets with octets \a kic and \a kid, which must be made. */
static struct ota_keyset *keyset(uint8_t kic, uint8_t kid, const struct ota_keys *keys)
{
	struct ota_keyset *ks = NULL;

	assert_int_equal(ota_keyset_new(kic, kid, keys, &ks), 0);
	assert_non_null(ks);
	return ks;
}

static void vec_setup(const struct vec *v, struct ota_command *cmd, struct ota_keys *keys)
{
	uint8_t spi[2];

	memset(cmd, 0, sizeof(*cmd));
	memset(keys, 0, sizeof(*keys));
	unhex(v->spi, spi, sizeof(spi));
	ota_spi_decode(spi, &cmd->spi);
	cmd->kic = v->kic;
	cmd->kid = v->kid;
	memcpy(cmd->tar, tar_rfm, 3);
	cmd->data = apdu_select;
	cmd->data_len = sizeof(apdu_select);
	keys->kic_len = (uint8_t)unhex(v->kic_key, keys->kic, sizeof(keys->kic));
	keys->kid_len = (uint8_t)unhex(v->kid_key, keys->kid, sizeof(keys->kid));
}

static void test_vector(void **state)
{
	const struct vec *v = *state;
	static uint8_t want[OTA_MAX_PACKET], got[OTA_MAX_PACKET], work[OTA_MAX_PACKET];
	struct ota_command cmd, back;
	struct ota_keys keys;
	struct ota_keyset *ks;
	struct ota_response rsp, mine = { .tar = { 0xb0, 0x00, 0x11 }, .status = OTA_POR_OK };
	size_t n = unhex(v->packet, want, sizeof(want));
	bool cc_ok;
	int len;

	vec_setup(v, &cmd, &keys);
	ks = keyset(v->kic, v->kid, &keys);
	/* encode: byte for byte (with a key set, and for one packet with the keys) */
	len = ota_command_encode(&cmd, ks, got, sizeof(got));
	assert_int_equal(len, (int)n);
	assert_memory_equal(got, want, n);
	memset(got, 0, sizeof(got));
	assert_int_equal(ota_command_encode_keys(&cmd, &keys, got, sizeof(got)), (int)n);
	assert_memory_equal(got, want, n);
	/* decode as the card does */
	assert_int_equal(ota_command_decode(want, n, ks, &back, work), OTA_POR_OK);
	assert_int_equal(back.data_len, sizeof(apdu_select));
	assert_memory_equal(back.data, apdu_select, sizeof(apdu_select));
	assert_int_equal(back.cntr, 0);
	assert_memory_equal(back.tar, tar_rfm, 3);
	/* the card's PoR decodes with a good CC */
	n = unhex(v->por, want, sizeof(want));
	assert_int_equal(ota_response_decode(want, n, &cmd, ks, &rsp, &cc_ok, work), 0);
	assert_true(cc_ok);
	assert_int_equal(rsp.status, OTA_POR_OK);
	assert_int_equal(rsp.data_len, sizeof(por_data));
	assert_memory_equal(rsp.data, por_data, sizeof(por_data));
	/* and our encoder produces the card's PoR, byte for byte */
	mine.data = por_data;
	mine.data_len = sizeof(por_data);
	len = ota_response_encode(&cmd, &mine, ks, got, sizeof(got));
	assert_int_equal(len, (int)n);
	assert_memory_equal(got, want, n);
	ota_keyset_free(ks);
}

/* Section D: the PoR CC is computed over the UDH too; one flipped bit in the UDH breaks it. */
static void test_por_cc_covers_udh(void **state)
{
	const struct vec *v = &vecs[1];
	uint8_t ud[128], work[OTA_MAX_PACKET];
	struct ota_command cmd;
	struct ota_keys keys;
	struct ota_keyset *ks;
	struct ota_response rsp;
	size_t n = unhex(v->por, ud, sizeof(ud));
	bool cc_ok;

	vec_setup(v, &cmd, &keys);
	ks = keyset(v->kic, v->kid, &keys);
	ud[sizeof(ud) - 1] = 0;
	ud[n - 1] ^= 0x01; /* last data byte */
	assert_int_equal(ota_response_decode(ud, n, &cmd, ks, &rsp, &cc_ok, work), 0);
	assert_false(cc_ok);
	ota_keyset_free(ks);
}

struct combo {
	char name[64];
	uint8_t algo;
	uint8_t key_len;
	enum ota_integrity integrity;
	bool ciphered;
	uint8_t cc_len;
};

static struct combo combos[6 * 3 * 2 * 2];

static void test_round_trip(void **state)
{
	const struct combo *c = *state;
	static uint8_t pkt[OTA_MAX_PACKET], work[OTA_MAX_PACKET], por[OTA_MAX_PACKET];
	uint8_t data[300];
	struct ota_keys keys = { .kic_len = c->key_len, .kid_len = c->key_len, .cc_len = c->cc_len };
	struct ota_command cmd = { .spi = { .integrity = c->integrity,
					    .ciphered = c->ciphered,
					    .counter = OTA_CNTR_HIGHER,
					    .por = OTA_POR_ALWAYS,
					    .por_integrity = c->integrity,
					    .por_ciphered = c->ciphered,
					    .por_in_submit = true },
				   .kic = (uint8_t)(0x30 | c->algo),
				   .kid = (uint8_t)(0x30 | (c->integrity == OTA_RC ? 0x05 : c->algo)),
				   .tar = { 0x53, 0x4b, 0x49 },
				   .cntr = 0x0102030405ULL };
	struct ota_command back;
	struct ota_response rsp = { .tar = { 0x53, 0x4b, 0x49 }, .cntr = 7, .status = 0x0a }, rback;
	struct ota_keyset *ks;
	bool cc_ok;
	int len, plen;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	for (unsigned i = 0; i < c->key_len; i++) {
		keys.kic[i] = (uint8_t)(i + 1);
		keys.kid[i] = (uint8_t)(0x80 + i);
	}
	if (c->integrity == OTA_RC)
		keys.kid_len = 0; /* CRC32 takes no key (KID 5 would be two-key 3DES for a CC) */
	ks = keyset(cmd.kic, cmd.kid, &keys);
	for (size_t dl = 0; dl < sizeof(data); dl += 37) {
		cmd.data = data;
		cmd.data_len = dl;
		len = ota_command_encode(&cmd, ks, pkt, sizeof(pkt));
		assert_true(len > 0);
		if (c->ciphered)
			assert_int_equal((len - 10) % (c->algo == 0x2 ? 16 : 8), 0);
		assert_int_equal(ota_command_decode(pkt, (size_t)len, ks, &back, work), OTA_POR_OK);
		assert_int_equal(back.data_len, dl);
		if (dl)
			assert_memory_equal(back.data, data, dl);
		assert_int_equal(back.cntr, cmd.cntr);
		assert_int_equal(back.spi.counter, OTA_CNTR_HIGHER);
		assert_true(back.spi.por_in_submit);

		rsp.data = data;
		rsp.data_len = dl;
		plen = ota_response_encode(&cmd, &rsp, ks, por, sizeof(por));
		assert_true(plen > 0);
		assert_int_equal(ota_response_decode(por, (size_t)plen, &cmd, ks, &rback, &cc_ok, work), 0);
		assert_true(cc_ok);
		assert_int_equal(rback.status, 0x0a);
		assert_int_equal(rback.cntr, 7);
		assert_int_equal(rback.data_len, dl);
		/* a flipped bit in the secured part: the card refuses with 01 (or 05 for broken padding) */
		if (c->integrity != OTA_NONE) {
			pkt[len - 1] ^= 0x40;
			int st = ota_command_decode(pkt, (size_t)len, ks, &back, work);

			assert_true(st == OTA_POR_RC_CC_DS_FAILED || st == OTA_POR_CIPHERING_ERROR);
		}
	}
	ota_keyset_free(ks);
}

static void test_bad_packets(void **state)
{
	const struct vec *v = &vecs[0];
	uint8_t pkt[128], work[OTA_MAX_PACKET];
	struct ota_command cmd, back;
	struct ota_keys keys;
	struct ota_keyset *ks, *wrong;
	size_t n;

	vec_setup(v, &cmd, &keys);
	ks = keyset(v->kic, v->kid, &keys);
	n = unhex(v->packet, pkt, sizeof(pkt));
	/* truncated: CPL no longer matches */
	assert_int_equal(ota_command_decode(pkt, n - 1, ks, &back, work), -EBADMSG);
	assert_int_equal(ota_command_decode(pkt, 9, ks, &back, work), -EBADMSG);
	assert_int_equal(ota_command_decode(pkt, 0, ks, &back, work), -EBADMSG);
	/* over-long: one byte more than CPL says */
	pkt[n] = 0;
	assert_int_equal(ota_command_decode(pkt, n + 1, ks, &back, work), -EBADMSG);
	/* CPL and length consistent, but the ciphertext is not a block multiple */
	pkt[1] = (uint8_t)(n - 2 - 1);
	assert_int_equal(ota_command_decode(pkt, n - 1, ks, &back, work), OTA_POR_CIPHERING_ERROR);
	pkt[1] = (uint8_t)(n - 2);
	/* CHL says no CC where the SPI asks for one */
	pkt[2] = 13;
	assert_int_equal(ota_command_decode(pkt, n, ks, &back, work), OTA_POR_UNIDENTIFIED_SECURITY_ERROR);
	pkt[2] = 21;
	/* wrong key: the CC fails (or the padding count comes out wrong) */
	keys.kid[0] ^= 0x02; /* not bit 0: DES ignores parity bits */
	wrong = keyset(v->kic, v->kid, &keys);
	assert_int_equal(ota_command_decode(pkt, n, wrong, &back, work), OTA_POR_RC_CC_DS_FAILED);
	ota_keyset_free(wrong);
	keys.kid[0] ^= 0x02; /* not bit 0: DES ignores parity bits */
	keys.kic[3] ^= 0x02;
	wrong = keyset(v->kic, v->kid, &keys);
	int st = ota_command_decode(pkt, n, wrong, &back, work);

	ota_keyset_free(wrong);
	assert_true(st == OTA_POR_RC_CC_DS_FAILED || st == OTA_POR_CIPHERING_ERROR);
	keys.kic[3] ^= 0x02;
	/* the key set that refused every packet above reads the intact one */
	assert_int_equal(ota_command_decode(pkt, n, ks, &back, work), OTA_POR_OK);
	/* DS and CRC16 are refused when encoding */
	cmd.spi.integrity = OTA_DS;
	assert_int_equal(ota_command_encode(&cmd, ks, pkt, sizeof(pkt)), -ENOTSUP);
	assert_int_equal(ota_command_encode_keys(&cmd, &keys, pkt, sizeof(pkt)), -ENOTSUP);
	cmd.spi.integrity = OTA_RC;
	cmd.kid = 0x31;
	assert_int_equal(ota_command_encode(&cmd, ks, pkt, sizeof(pkt)), -ENOTSUP);
	assert_int_equal(ota_command_encode_keys(&cmd, &keys, pkt, sizeof(pkt)), -ENOTSUP);
	/* a key of the wrong length for its algorithm: a KID 9 (three keys) with the 16-byte key of the key set's 5 */
	cmd.spi.integrity = OTA_CC;
	cmd.kid = 0x39;
	assert_int_equal(ota_command_encode(&cmd, ks, pkt, sizeof(pkt)), -EINVAL);
	assert_int_equal(ota_command_encode_keys(&cmd, &keys, pkt, sizeof(pkt)), -EINVAL);
	/* no room */
	cmd.kid = 0x35;
	assert_int_equal(ota_command_encode(&cmd, ks, pkt, 20), -E2BIG);
	ota_keyset_free(ks);
}

static void test_bad_por(void **state)
{
	const struct vec *v = &vecs[1];
	uint8_t ud[128], work[OTA_MAX_PACKET];
	struct ota_command cmd;
	struct ota_keys keys;
	struct ota_keyset *ks;
	struct ota_response rsp;
	size_t n;
	bool cc_ok;

	vec_setup(v, &cmd, &keys);
	ks = keyset(v->kic, v->kid, &keys);
	n = unhex(v->por, ud, sizeof(ud));
	assert_int_equal(ota_response_decode(ud, n - 1, &cmd, ks, &rsp, &cc_ok, work), -EBADMSG);
	assert_int_equal(ota_response_decode(ud, 5, &cmd, ks, &rsp, &cc_ok, work), -EBADMSG);
	ud[1] = 0x70; /* a command's UDH */
	assert_int_equal(ota_response_decode(ud, n, &cmd, ks, &rsp, &cc_ok, work), -EBADMSG);
	ud[1] = 0x71;
	ud[5] = 9; /* RHL below 10 */
	assert_int_equal(ota_response_decode(ud, n, &cmd, ks, &rsp, &cc_ok, work), -EBADMSG);
	/* a PoR without a CC, for a command whose SPI asked for one: decodes, but is not verified */
	n = unhex(vecs[2].por, ud, sizeof(ud));
	assert_int_equal(ota_response_decode(ud, n, &cmd, ks, &rsp, &cc_ok, work), 0);
	assert_false(cc_ok);
	ota_keyset_free(ks);
}

/* ---- the key set ----------------------------------------------------------------------------------------------- */

static const struct bad_keyset {
	const char *name;
	uint8_t kic, kid, kic_len, kid_len, cc_len;
} bad_keysets[] = {
	{ "key set: KIc algorithm 0", 0x10, 0x12, 16, 16, 8 },
	{ "key set: KIc algorithm 3", 0x13, 0x12, 16, 16, 8 },
	{ "key set: KID algorithm F", 0x12, 0x1f, 16, 16, 8 },
	{ "key set: AES with 8 bytes", 0x12, 0x12, 8, 16, 8 },
	{ "key set: AES with 20 bytes", 0x12, 0x12, 16, 20, 8 },
	{ "key set: DES with 16 bytes", 0x11, 0x11, 16, 8, 8 },
	{ "key set: 3DES2 with 24 bytes", 0x15, 0x15, 24, 16, 8 },
	{ "key set: 3DES3 with 16 bytes", 0x19, 0x19, 24, 16, 8 },
	{ "key set: KID longer than a key", 0x12, 0x12, 16, OTA_MAX_KEY + 1, 8 },
	{ "key set: CC of 5", 0x12, 0x12, 16, 16, 5 },
	{ "key set: CC of 16", 0x12, 0x12, 16, 16, 16 },
};

static void test_keyset_bad(void **state)
{
	const struct bad_keyset *b = *state;
	struct ota_keys keys = { .kic_len = b->kic_len, .kid_len = b->kid_len, .cc_len = b->cc_len };
	struct ota_keyset *ks = (struct ota_keyset *)&keys; /* anything but NULL: it must come back NULL */

	memset(keys.kic, 0x11, sizeof(keys.kic));
	memset(keys.kid, 0x22, sizeof(keys.kid));
	assert_int_equal(ota_keyset_new(b->kic, b->kid, &keys, &ks), -EINVAL);
	assert_null(ks);
}

/* A key set without a ciphering or a checksum key: packets that need the key it lacks are refused as a key of the
 * wrong length would be; packets that need none go through. */
static void test_keyset_partial(void **state)
{
	const struct vec *v = &vecs[0]; /* ciphered, CC */
	uint8_t pkt[128], out[128], work[OTA_MAX_PACKET];
	struct ota_command cmd, back;
	struct ota_keys keys, no_kic, no_kid;
	struct ota_keyset *ks;
	size_t n;

	(void)state;
	vec_setup(v, &cmd, &keys);
	no_kic = keys;
	no_kic.kic_len = 0;
	no_kid = keys;
	no_kid.kid_len = 0;
	n = unhex(v->packet, pkt, sizeof(pkt));
	ks = keyset(v->kic, v->kid, &no_kic);
	assert_int_equal(ota_command_encode(&cmd, ks, out, sizeof(out)), -EINVAL);
	assert_int_equal(ota_command_decode(pkt, n, ks, &back, work), OTA_POR_CIPHERING_ERROR);
	ota_keyset_free(ks);
	ks = keyset(v->kic, v->kid, &no_kid);
	assert_int_equal(ota_command_encode(&cmd, ks, out, sizeof(out)), -EINVAL);
	assert_int_equal(ota_command_decode(pkt, n, ks, &back, work), OTA_POR_UNIDENTIFIED_SECURITY_ERROR);
	/* ciphered without a CC: the KIc is enough */
	cmd.spi.integrity = OTA_NONE;
	assert_true(ota_command_encode(&cmd, ks, out, sizeof(out)) > 0);
	ota_keyset_free(ks);
	/* neither key, and no NULL key set either: only a packet with no CC and no ciphering */
	no_kic.kid_len = 0;
	ks = keyset(v->kic, v->kid, &no_kic);
	assert_int_equal(ota_command_encode(&cmd, ks, out, sizeof(out)), -EINVAL);
	cmd.spi.ciphered = false;
	assert_true(ota_command_encode(&cmd, ks, out, sizeof(out)) > 0);
	assert_true(ota_command_encode(&cmd, NULL, out, sizeof(out)) > 0);
	ota_keyset_free(ks);
	ota_keyset_free(NULL);
}

/* One key set for packet after packet, PoRs and failed checks in between, gives the bytes a fresh key set gives
 * for each: nothing of one packet stays in its contexts for the next. */
static void test_keyset_reuse(void **state)
{
	static const struct {
		uint8_t octet, key_len, cc_len;
	} profiles[] = { { 0x11, 8, 8 },  { 0x15, 16, 8 }, { 0x19, 24, 8 },
			 { 0x12, 16, 8 }, { 0x12, 24, 4 }, { 0x12, 32, 8 } };
	static uint8_t reused[OTA_MAX_PACKET], fresh[OTA_MAX_PACKET], work[OTA_MAX_PACKET];
	uint8_t data[200];

	(void)state;
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	for (size_t p = 0; p < sizeof(profiles) / sizeof(profiles[0]); p++) {
		struct ota_keys keys = { .kic_len = profiles[p].key_len,
					 .kid_len = profiles[p].key_len,
					 .cc_len = profiles[p].cc_len };
		struct ota_command cmd = { .spi = { .integrity = OTA_CC,
						    .ciphered = true,
						    .counter = OTA_CNTR_HIGHER,
						    .por = OTA_POR_ALWAYS,
						    .por_integrity = OTA_CC,
						    .por_ciphered = true },
					   .kic = profiles[p].octet,
					   .kid = profiles[p].octet,
					   .tar = { 0xb0, 0x00, 0x10 } },
				   back;
		struct ota_response rsp = { .tar = { 0xb0, 0x00, 0x10 }, .data = data };
		struct ota_keyset *ks, *once;

		for (unsigned i = 0; i < profiles[p].key_len; i++) {
			keys.kic[i] = (uint8_t)(0x40 + i * 3);
			keys.kid[i] = (uint8_t)(0xc0 - i * 5);
		}
		ks = keyset(cmd.kic, cmd.kid, &keys);
		for (unsigned k = 0; k < 4; k++) {
			int len, flen;

			cmd.cntr = 100 + k;
			cmd.data = data + k;
			cmd.data_len = 60 + 41 * k;
			len = ota_command_encode(&cmd, ks, reused, sizeof(reused));
			once = keyset(cmd.kic, cmd.kid, &keys);
			flen = ota_command_encode(&cmd, once, fresh, sizeof(fresh));
			ota_keyset_free(once);
			assert_true(len > 0);
			assert_int_equal(len, flen);
			assert_memory_equal(reused, fresh, (size_t)len);
			/* a broken copy fails with the reused key set, then the packet itself verifies with it */
			memcpy(fresh, reused, (size_t)len);
			fresh[len - 3] ^= 0x10;
			assert_int_not_equal(ota_command_decode(fresh, (size_t)len, ks, &back, work), OTA_POR_OK);
			assert_int_equal(ota_command_decode(reused, (size_t)len, ks, &back, work), OTA_POR_OK);
			assert_int_equal(back.cntr, cmd.cntr);
			assert_int_equal(back.data_len, cmd.data_len);
			assert_memory_equal(back.data, cmd.data, cmd.data_len);
			/* the PoR too */
			rsp.cntr = cmd.cntr;
			rsp.data_len = 3 + k * 17;
			len = ota_response_encode(&cmd, &rsp, ks, reused, sizeof(reused));
			once = keyset(cmd.kic, cmd.kid, &keys);
			flen = ota_response_encode(&cmd, &rsp, once, fresh, sizeof(fresh));
			ota_keyset_free(once);
			assert_true(len > 0);
			assert_int_equal(len, flen);
			assert_memory_equal(reused, fresh, (size_t)len);
		}
		ota_keyset_free(ks);
	}
}

/* OpenSSL's allocations, watched (main() installs these before OpenSSL allocates anything): each block carries its
 * size in a header, and while watch_len is set every block given back is searched for the watched keys. */
#define HOOK_HDR 16
static const uint8_t *watch[2];
static size_t watch_len;
static unsigned blocks_freed, blocks_with_key;

static void *hook_malloc(size_t n, const char *file, int line)
{
	uint8_t *p = malloc(n + HOOK_HDR);

	(void)file, (void)line;
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + HOOK_HDR;
}

static void *hook_realloc(void *q, size_t n, const char *file, int line)
{
	uint8_t *p;

	if (!q)
		return hook_malloc(n, file, line);
	p = realloc((uint8_t *)q - HOOK_HDR, n + HOOK_HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + HOOK_HDR;
}

static bool holds(const uint8_t *b, size_t n, const uint8_t *key, size_t len)
{
	for (size_t i = 0; i + len <= n; i++) {
		if (!memcmp(b + i, key, len))
			return true;
	}
	return false;
}

static void hook_free(void *q, const char *file, int line)
{
	uint8_t *p;
	size_t n;

	(void)file, (void)line;
	if (!q)
		return;
	p = (uint8_t *)q - HOOK_HDR;
	memcpy(&n, p, sizeof(n));
	if (watch_len) {
		blocks_freed++;
		for (int i = 0; i < 2; i++)
			blocks_with_key += holds(q, n, watch[i], watch_len);
	}
	free(p);
}

static void test_keyset_free_wipes(void **state)
{
	static const uint8_t octets[] = { 0x12, 0x15 };
	static const uint8_t kic[16] = "KIc:wipe-me-now!", kid[16] = "KID:wipe-me-too!";
	uint8_t pkt[256], *leak;
	struct ota_command cmd = { .spi = { .integrity = OTA_CC, .ciphered = true }, .tar = { 0xb0, 0x00, 0x10 } };

	(void)state;
	watch[0] = kic;
	watch[1] = kid;
	for (size_t o = 0; o < sizeof(octets); o++) {
		struct ota_keys keys = { .kic_len = 16, .kid_len = 16 };
		struct ota_keyset *ks;

		memcpy(keys.kic, kic, 16);
		memcpy(keys.kid, kid, 16);
		cmd.kic = cmd.kid = octets[o];
		ks = keyset(cmd.kic, cmd.kid, &keys);
		assert_true(ota_command_encode(&cmd, ks, pkt, sizeof(pkt)) > 0);
		watch_len = 16;
		blocks_freed = blocks_with_key = 0;
		ota_keyset_free(ks);
		watch_len = 0;
		assert_true(blocks_freed >= 3); /* the key set and its contexts came back through the hooks */
		assert_int_equal(blocks_with_key, 0);
	}
	/* the watch itself works: a key given back unwiped is seen */
	leak = OPENSSL_malloc(40);
	assert_non_null(leak);
	memcpy(leak + 7, kic, 16);
	watch_len = 16;
	blocks_freed = blocks_with_key = 0;
	OPENSSL_free(leak);
	watch_len = 0;
	assert_int_equal(blocks_with_key, 1);
}

int main(void)
{
	static const struct {
		const char *name;
		uint8_t algo, key_len;
	} algos[] = { { "DES", 0x1, 8 },     { "3DES2", 0x5, 16 },  { "3DES3", 0x9, 24 },
		      { "AES128", 0x2, 16 }, { "AES192", 0x2, 24 }, { "AES256", 0x2, 32 } };
	static const char *const integ[] = { "none", "RC", "CC" };
	struct unit_list l = { .n = 0 };
	size_t k = 0;

	/* before OpenSSL allocates anything: test_keyset_free_wipes() watches what it gives back */
	if (!CRYPTO_set_mem_functions(hook_malloc, hook_realloc, hook_free)) {
		fprintf(stderr, "test-ota: cannot watch OpenSSL's allocations\n");
		return 1;
	}

	UNIT_ADD_TABLE(&l, vecs, test_vector);
	unit_add(&l, "PoR CC covers the data", test_por_cc_covers_udh, NULL);
	for (size_t a = 0; a < 6; a++) {
		for (int i = 0; i < 3; i++) {
			for (int ci = 0; ci < 2; ci++) {
				for (int short_cc = 0; short_cc < 2; short_cc++) {
					struct combo *c = &combos[k++];

					if (short_cc && (algos[a].algo != 0x2 || i != OTA_CC))
						continue;
					snprintf(c->name, sizeof(c->name), "round trip %s %s%s%s", algos[a].name,
						 integ[i], short_cc ? "-4" : "", ci ? " ciphered" : "");
					c->algo = algos[a].algo;
					c->key_len = algos[a].key_len;
					c->integrity = (enum ota_integrity)i;
					c->ciphered = ci;
					c->cc_len = short_cc ? 4 : 8;
					unit_add(&l, c->name, test_round_trip, c);
				}
			}
		}
	}
	unit_add(&l, "bad command packets", test_bad_packets, NULL);
	unit_add(&l, "bad PoRs", test_bad_por, NULL);
	UNIT_ADD_TABLE(&l, bad_keysets, test_keyset_bad);
	unit_add(&l, "key set without a key", test_keyset_partial, NULL);
	unit_add(&l, "key set reused", test_keyset_reuse, NULL);
	unit_add(&l, "key set wiped when freed", test_keyset_free_wipes, NULL);
	return _cmocka_run_group_tests("ota", l.t, l.n, NULL, NULL);
}
