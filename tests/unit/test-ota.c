/* Unit tests of the secured packet codec (lib/ota.c): the vectors of ../shared/reference/ota-vectors.md sections A
 * and D both ways, byte for byte (command packets encoded and decoded, PoRs decoded and encoded); round trips for
 * every algorithm (DES, 2- and 3-key 3DES, AES-128/192/256) with every integrity (none, CRC32, CC of 8 and, for
 * AES, 4 bytes) and ciphering choice, for commands and PoRs; and the bad cases the card answers with a PoR status
 * (wrong CC, ciphering errors, inconsistent headers) or refuses outright (truncated, CPL mismatch).
 */
#include <errno.h>
#include <string.h>

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
	struct ota_response rsp, mine = { .tar = { 0xb0, 0x00, 0x11 }, .status = OTA_POR_OK };
	size_t n = unhex(v->packet, want, sizeof(want));
	bool cc_ok;
	int len;

	vec_setup(v, &cmd, &keys);
	/* encode: byte for byte */
	len = ota_command_encode(&cmd, &keys, got, sizeof(got));
	assert_int_equal(len, (int)n);
	assert_memory_equal(got, want, n);
	/* decode as the card does */
	assert_int_equal(ota_command_decode(want, n, &keys, &back, work), OTA_POR_OK);
	assert_int_equal(back.data_len, sizeof(apdu_select));
	assert_memory_equal(back.data, apdu_select, sizeof(apdu_select));
	assert_int_equal(back.cntr, 0);
	assert_memory_equal(back.tar, tar_rfm, 3);
	/* the card's PoR decodes with a good CC */
	n = unhex(v->por, want, sizeof(want));
	assert_int_equal(ota_response_decode(want, n, &cmd, &keys, &rsp, &cc_ok, work), 0);
	assert_true(cc_ok);
	assert_int_equal(rsp.status, OTA_POR_OK);
	assert_int_equal(rsp.data_len, sizeof(por_data));
	assert_memory_equal(rsp.data, por_data, sizeof(por_data));
	/* and our encoder produces the card's PoR, byte for byte */
	mine.data = por_data;
	mine.data_len = sizeof(por_data);
	len = ota_response_encode(&cmd, &mine, &keys, got, sizeof(got));
	assert_int_equal(len, (int)n);
	assert_memory_equal(got, want, n);
}

/* Section D: the PoR CC is computed over the UDH too; one flipped bit in the UDH breaks it. */
static void test_por_cc_covers_udh(void **state)
{
	const struct vec *v = &vecs[1];
	uint8_t ud[128], work[OTA_MAX_PACKET];
	struct ota_command cmd;
	struct ota_keys keys;
	struct ota_response rsp;
	size_t n = unhex(v->por, ud, sizeof(ud));
	bool cc_ok;

	vec_setup(v, &cmd, &keys);
	ud[sizeof(ud) - 1] = 0;
	ud[n - 1] ^= 0x01; /* last data byte */
	assert_int_equal(ota_response_decode(ud, n, &cmd, &keys, &rsp, &cc_ok, work), 0);
	assert_false(cc_ok);
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
	bool cc_ok;
	int len, plen;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	for (unsigned i = 0; i < c->key_len; i++) {
		keys.kic[i] = (uint8_t)(i + 1);
		keys.kid[i] = (uint8_t)(0x80 + i);
	}
	for (size_t dl = 0; dl < sizeof(data); dl += 37) {
		cmd.data = data;
		cmd.data_len = dl;
		len = ota_command_encode(&cmd, &keys, pkt, sizeof(pkt));
		assert_true(len > 0);
		if (c->ciphered)
			assert_int_equal((len - 10) % (c->algo == 0x2 ? 16 : 8), 0);
		assert_int_equal(ota_command_decode(pkt, (size_t)len, &keys, &back, work), OTA_POR_OK);
		assert_int_equal(back.data_len, dl);
		if (dl)
			assert_memory_equal(back.data, data, dl);
		assert_int_equal(back.cntr, cmd.cntr);
		assert_int_equal(back.spi.counter, OTA_CNTR_HIGHER);
		assert_true(back.spi.por_in_submit);

		rsp.data = data;
		rsp.data_len = dl;
		plen = ota_response_encode(&cmd, &rsp, &keys, por, sizeof(por));
		assert_true(plen > 0);
		assert_int_equal(ota_response_decode(por, (size_t)plen, &cmd, &keys, &rback, &cc_ok, work), 0);
		assert_true(cc_ok);
		assert_int_equal(rback.status, 0x0a);
		assert_int_equal(rback.cntr, 7);
		assert_int_equal(rback.data_len, dl);
		/* a flipped bit in the secured part: the card refuses with 01 (or 05 for broken padding) */
		if (c->integrity != OTA_NONE) {
			pkt[len - 1] ^= 0x40;
			int st = ota_command_decode(pkt, (size_t)len, &keys, &back, work);

			assert_true(st == OTA_POR_RC_CC_DS_FAILED || st == OTA_POR_CIPHERING_ERROR);
		}
	}
}

static void test_bad_packets(void **state)
{
	const struct vec *v = &vecs[0];
	uint8_t pkt[128], work[OTA_MAX_PACKET];
	struct ota_command cmd, back;
	struct ota_keys keys;
	size_t n;

	vec_setup(v, &cmd, &keys);
	n = unhex(v->packet, pkt, sizeof(pkt));
	/* truncated: CPL no longer matches */
	assert_int_equal(ota_command_decode(pkt, n - 1, &keys, &back, work), -EBADMSG);
	assert_int_equal(ota_command_decode(pkt, 9, &keys, &back, work), -EBADMSG);
	assert_int_equal(ota_command_decode(pkt, 0, &keys, &back, work), -EBADMSG);
	/* over-long: one byte more than CPL says */
	pkt[n] = 0;
	assert_int_equal(ota_command_decode(pkt, n + 1, &keys, &back, work), -EBADMSG);
	/* CPL and length consistent, but the ciphertext is not a block multiple */
	pkt[1] = (uint8_t)(n - 2 - 1);
	assert_int_equal(ota_command_decode(pkt, n - 1, &keys, &back, work), OTA_POR_CIPHERING_ERROR);
	pkt[1] = (uint8_t)(n - 2);
	/* CHL says no CC where the SPI asks for one */
	pkt[2] = 13;
	assert_int_equal(ota_command_decode(pkt, n, &keys, &back, work), OTA_POR_UNIDENTIFIED_SECURITY_ERROR);
	pkt[2] = 21;
	/* wrong key: the CC fails (or the padding count comes out wrong) */
	keys.kid[0] ^= 0x02; /* not bit 0: DES ignores parity bits */
	assert_int_equal(ota_command_decode(pkt, n, &keys, &back, work), OTA_POR_RC_CC_DS_FAILED);
	keys.kid[0] ^= 0x02; /* not bit 0: DES ignores parity bits */
	keys.kic[3] ^= 0x02;
	int st = ota_command_decode(pkt, n, &keys, &back, work);

	assert_true(st == OTA_POR_RC_CC_DS_FAILED || st == OTA_POR_CIPHERING_ERROR);
	keys.kic[3] ^= 0x02;
	assert_int_equal(ota_command_decode(pkt, n, &keys, &back, work), OTA_POR_OK);
	/* DS and CRC16 are refused when encoding */
	cmd.spi.integrity = OTA_DS;
	assert_int_equal(ota_command_encode(&cmd, &keys, pkt, sizeof(pkt)), -ENOTSUP);
	cmd.spi.integrity = OTA_RC;
	cmd.kid = 0x31;
	assert_int_equal(ota_command_encode(&cmd, &keys, pkt, sizeof(pkt)), -ENOTSUP);
	/* a key of the wrong length for its algorithm */
	cmd.spi.integrity = OTA_CC;
	cmd.kid = 0x39;
	assert_int_equal(ota_command_encode(&cmd, &keys, pkt, sizeof(pkt)), -EINVAL);
	/* no room */
	cmd.kid = 0x35;
	assert_int_equal(ota_command_encode(&cmd, &keys, pkt, 20), -E2BIG);
}

static void test_bad_por(void **state)
{
	const struct vec *v = &vecs[1];
	uint8_t ud[128], work[OTA_MAX_PACKET];
	struct ota_command cmd;
	struct ota_keys keys;
	struct ota_response rsp;
	size_t n;
	bool cc_ok;

	vec_setup(v, &cmd, &keys);
	n = unhex(v->por, ud, sizeof(ud));
	assert_int_equal(ota_response_decode(ud, n - 1, &cmd, &keys, &rsp, &cc_ok, work), -EBADMSG);
	assert_int_equal(ota_response_decode(ud, 5, &cmd, &keys, &rsp, &cc_ok, work), -EBADMSG);
	ud[1] = 0x70; /* a command's UDH */
	assert_int_equal(ota_response_decode(ud, n, &cmd, &keys, &rsp, &cc_ok, work), -EBADMSG);
	ud[1] = 0x71;
	ud[5] = 9; /* RHL below 10 */
	assert_int_equal(ota_response_decode(ud, n, &cmd, &keys, &rsp, &cc_ok, work), -EBADMSG);
	/* a PoR without a CC, for a command whose SPI asked for one: decodes, but is not verified */
	n = unhex(vecs[2].por, ud, sizeof(ud));
	assert_int_equal(ota_response_decode(ud, n, &cmd, &keys, &rsp, &cc_ok, work), 0);
	assert_false(cc_ok);
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
	return _cmocka_run_group_tests("ota", l.t, l.n, NULL, NULL);
}
