/* Unit tests for lib/apdu.c: apdu_parse() on every command case in short and extended form (table rows, plus
 * built-up commands at the Lc limits 255, 256 and 65535), on malformed commands (0 to 3 bytes, Lc longer or
 * shorter than the data, short Lc followed by two Le bytes, extended Lc of 0000, an extended body of two bytes,
 * an extended Lc that disagrees with the data length); byte-exact parse/encode round trips of every good row;
 * encode/parse round trips from struct apdu_cmd (including the automatic switch to the extended form); and
 * apdu_encode()'s -E2BIG (without writing past the buffer) and -EINVAL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/apdu.h>

#include "unit.h"

struct good_case {
	const char *name;
	const uint8_t *buf;
	size_t len;
	enum apdu_case kase;
	bool extended;
	uint32_t lc;
	size_t data_off; /* where the data starts in buf; ignored when lc == 0 */
	uint32_t ne;
};

static const struct good_case good[] = {
	{ "parse ok: case 1", BYTES(0x00, 0xa4, 0x00, 0x0c), APDU_CASE_1, false, 0, 0, 0 },
	{ "parse ok: case 1 keeps CLA INS P1 P2", BYTES(0x80, 0xca, 0x9f, 0x7f), APDU_CASE_1, false, 0, 0, 0 },
	{ "parse ok: case 2S Le 10", BYTES(0x00, 0xb0, 0x00, 0x00, 0x10), APDU_CASE_2, false, 0, 0, 16 },
	{ "parse ok: case 2S Le 01", BYTES(0x00, 0xb0, 0x00, 0x00, 0x01), APDU_CASE_2, false, 0, 0, 1 },
	{ "parse ok: case 2S Le FF", BYTES(0x00, 0xb0, 0x00, 0x00, 0xff), APDU_CASE_2, false, 0, 0, 255 },
	{ "parse ok: case 2S Le 00 = 256", BYTES(0x00, 0xb0, 0x00, 0x00, 0x00), APDU_CASE_2, false, 0, 0, 256 },
	{ "parse ok: case 3S", BYTES(0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00), APDU_CASE_3, false, 2, 5, 0 },
	{ "parse ok: case 3S Lc 01", BYTES(0x00, 0x20, 0x00, 0x81, 0x01, 0x31), APDU_CASE_3, false, 1, 5, 0 },
	{ "parse ok: case 4S Le 00 = 256", BYTES(0x00, 0xa4, 0x04, 0x00, 0x02, 0x3f, 0x00, 0x00), APDU_CASE_4, false, 2,
	  5, 256 },
	{ "parse ok: case 4S Le 01", BYTES(0x00, 0x88, 0x00, 0x00, 0x01, 0xaa, 0x01), APDU_CASE_4, false, 1, 5, 1 },
	{ "parse ok: case 2E Le 0100 = 256", BYTES(0x00, 0xb0, 0x00, 0x00, 0x00, 0x01, 0x00), APDU_CASE_2, true, 0, 0,
	  256 },
	{ "parse ok: case 2E Le 0001", BYTES(0x00, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x01), APDU_CASE_2, true, 0, 0, 1 },
	{ "parse ok: case 2E Le FFFF", BYTES(0x00, 0xb0, 0x00, 0x00, 0x00, 0xff, 0xff), APDU_CASE_2, true, 0, 0,
	  65535 },
	{ "parse ok: case 2E Le 0000 = 65536", BYTES(0x00, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00), APDU_CASE_2, true, 0, 0,
	  65536 },
	{ "parse ok: case 3E", BYTES(0x00, 0xda, 0x00, 0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb), APDU_CASE_3, true, 2, 7,
	  0 },
	{ "parse ok: case 3E Lc 0001", BYTES(0x00, 0xda, 0x00, 0x00, 0x00, 0x00, 0x01, 0xaa), APDU_CASE_3, true, 1, 7,
	  0 },
	{ "parse ok: case 4E Le 0100", BYTES(0x00, 0x2a, 0x9e, 0x9a, 0x00, 0x00, 0x02, 0xaa, 0xbb, 0x01, 0x00),
	  APDU_CASE_4, true, 2, 7, 256 },
	{ "parse ok: case 4E Le 0000 = 65536", BYTES(0x00, 0x2a, 0x9e, 0x9a, 0x00, 0x00, 0x02, 0xaa, 0xbb, 0x00, 0x00),
	  APDU_CASE_4, true, 2, 7, 65536 },
	{ "parse ok: case 4E Le 0001", BYTES(0x00, 0x2a, 0x80, 0x86, 0x00, 0x00, 0x01, 0xcc, 0x00, 0x01), APDU_CASE_4,
	  true, 1, 7, 1 },
};

struct bad_case {
	const char *name;
	const uint8_t *buf;
	size_t len;
};

static const struct bad_case bad[] = {
	{ "parse bad: 0 bytes", NO_BYTES },
	{ "parse bad: 1 byte", BYTES(0x00) },
	{ "parse bad: 2 bytes", BYTES(0x00, 0xa4) },
	{ "parse bad: 3 bytes", BYTES(0x00, 0xa4, 0x00) },
	{ "parse bad: short Lc longer than data", BYTES(0x00, 0xa4, 0x00, 0x00, 0x05, 0x01, 0x02) },
	{ "parse bad: short Lc 02 with one data byte", BYTES(0x00, 0xa4, 0x00, 0x00, 0x02, 0x01) },
	{ "parse bad: short Lc shorter than data", BYTES(0x00, 0xa4, 0x00, 0x00, 0x01, 0x01, 0x02, 0x03) },
	{ "parse bad: short Lc with two Le bytes", BYTES(0x00, 0xa4, 0x00, 0x00, 0x02, 0x3f, 0x00, 0x00, 0x00) },
	{ "parse bad: short Lc FF with 2 data bytes", BYTES(0x00, 0xa4, 0x00, 0x00, 0xff, 0x3f, 0x00) },
	{ "parse bad: extended Lc 0000 with a data byte", BYTES(0x00, 0xa4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01) },
	{ "parse bad: extended Lc 0000 with Le", BYTES(0x00, 0xa4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00) },
	{ "parse bad: extended body of 2 bytes", BYTES(0x00, 0xb0, 0x00, 0x00, 0x00, 0x01) },
	{ "parse bad: short Lc 00 with one data byte", BYTES(0x00, 0xa4, 0x00, 0x00, 0x00, 0x3f) },
	{ "parse bad: extended Lc longer than data", BYTES(0x00, 0xda, 0x00, 0x00, 0x00, 0x00, 0x03, 0xaa, 0xbb) },
	{ "parse bad: extended Lc shorter than data (1 extra)",
	  BYTES(0x00, 0xda, 0x00, 0x00, 0x00, 0x00, 0x01, 0xaa, 0xbb) },
	{ "parse bad: extended Lc shorter than data (3 extra)",
	  BYTES(0x00, 0xda, 0x00, 0x00, 0x00, 0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd) },
	{ "parse bad: extended Lc with a one-byte Le",
	  BYTES(0x00, 0xda, 0x00, 0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb, 0x00) },
	{ "parse bad: extended Lc 0100 with 2 data bytes",
	  BYTES(0x00, 0xda, 0x00, 0x00, 0x00, 0x01, 0x00, 0xaa, 0xbb) },
	{ "parse bad: extended Lc FFFF with 1 data byte", BYTES(0x00, 0xda, 0x00, 0x00, 0x00, 0xff, 0xff, 0xaa) },
};

static void check_parsed(const struct apdu_cmd *cmd, const uint8_t *buf, enum apdu_case kase, bool extended,
			 uint32_t lc, size_t data_off, uint32_t ne)
{
	assert_int_equal(cmd->cla, buf[0]);
	assert_int_equal(cmd->ins, buf[1]);
	assert_int_equal(cmd->p1, buf[2]);
	assert_int_equal(cmd->p2, buf[3]);
	assert_int_equal(cmd->kase, kase);
	assert_int_equal(cmd->extended, extended);
	assert_int_equal(cmd->lc, lc);
	if (lc)
		assert_ptr_equal(cmd->data, buf + data_off); /* points into the buffer, no copy */
	else
		assert_null(cmd->data);
	assert_int_equal(cmd->ne, ne);
}

static void test_parse_good(void **state)
{
	const struct good_case *c = *state;
	struct apdu_cmd cmd;

	assert_int_equal(apdu_parse(c->buf, c->len, &cmd), 0);
	check_parsed(&cmd, c->buf, c->kase, c->extended, c->lc, c->data_off, c->ne);
}

/* Every good row encodes back to exactly the bytes it was parsed from. */
static void test_roundtrip_bytes(void **state)
{
	const struct good_case *c = *state;
	struct apdu_cmd cmd;
	uint8_t out[64];

	assert_int_equal(apdu_parse(c->buf, c->len, &cmd), 0);
	assert_int_equal(apdu_encode(&cmd, out, sizeof(out)), (int)c->len);
	assert_memory_equal(out, c->buf, c->len);
	/* and fits a buffer of exactly that size */
	assert_int_equal(apdu_encode(&cmd, out, c->len), (int)c->len);
}

static void test_parse_bad(void **state)
{
	const struct bad_case *c = *state;
	struct apdu_cmd cmd;

	assert_int_equal(apdu_parse(c->buf, c->len, &cmd), -EINVAL);
}

static void test_parse_null(void **state)
{
	struct apdu_cmd cmd;

	assert_int_equal(apdu_parse(NULL, 4, &cmd), -EINVAL);
	assert_int_equal(apdu_parse(NULL, 0, &cmd), -EINVAL);
}

/* A command with header 00 D6 00 00, lc data bytes (0, 1, 2, ...) and then the bytes in tail. */
static uint8_t *build(bool ext, size_t lc, const uint8_t *tail, size_t ntail, size_t *len)
{
	size_t n = 0, hdr = ext ? 7 : 5;
	uint8_t *b = malloc(hdr + lc + ntail);

	assert_non_null(b);
	b[n++] = 0x00;
	b[n++] = 0xd6;
	b[n++] = 0x00;
	b[n++] = 0x00;
	if (ext) {
		b[n++] = 0x00;
		b[n++] = (uint8_t)(lc >> 8);
	}
	b[n++] = (uint8_t)lc;
	for (size_t i = 0; i < lc; i++)
		b[n++] = (uint8_t)i;
	if (ntail)
		memcpy(b + n, tail, ntail);
	*len = n + ntail;
	return b;
}

static void parse_built(bool ext, size_t lc, const uint8_t *tail, size_t ntail, enum apdu_case kase, uint32_t ne)
{
	struct apdu_cmd cmd;
	size_t len;
	uint8_t *b = build(ext, lc, tail, ntail, &len);
	uint8_t *out = malloc(len);

	assert_non_null(out);
	assert_int_equal(apdu_parse(b, len, &cmd), 0);
	check_parsed(&cmd, b, kase, ext, (uint32_t)lc, ext ? 7 : 5, ne);
	assert_int_equal(apdu_encode(&cmd, out, len), (int)len);
	assert_memory_equal(out, b, len);
	assert_int_equal(apdu_encode(&cmd, out, len - 1), -E2BIG);
	free(out);
	free(b);
}

static void test_parse_short_lc_ff(void **state)
{
	static const uint8_t le00[] = { 0x00 }, le80[] = { 0x80 };

	parse_built(false, 255, NULL, 0, APDU_CASE_3, 0);
	parse_built(false, 255, le00, 1, APDU_CASE_4, 256);
	parse_built(false, 255, le80, 1, APDU_CASE_4, 128);
}

static void test_parse_ext_lc_0100(void **state)
{
	static const uint8_t le0000[] = { 0x00, 0x00 }, le0102[] = { 0x01, 0x02 };

	parse_built(true, 256, NULL, 0, APDU_CASE_3, 0);
	parse_built(true, 256, le0000, 2, APDU_CASE_4, 65536);
	parse_built(true, 256, le0102, 2, APDU_CASE_4, 0x102);
}

static void test_parse_ext_lc_ffff(void **state)
{
	static const uint8_t le0000[] = { 0x00, 0x00 };
	uint8_t *b;
	size_t len;
	struct apdu_cmd cmd;

	parse_built(true, 65535, NULL, 0, APDU_CASE_3, 0);
	parse_built(true, 65535, le0000, 2, APDU_CASE_4, 65536);

	/* the longest command there is */
	b = build(true, 65535, le0000, 2, &len);
	assert_int_equal(len, APDU_MAX_ENCODED);
	/* one byte short or long of Lc FFFF */
	assert_int_equal(apdu_parse(b, len - 1, &cmd), -EINVAL);
	assert_int_equal(apdu_parse(b, len - 3, &cmd), -EINVAL);
	free(b);
}

static void test_parse_ext_lc_too_short_for_data(void **state)
{
	static const uint8_t extra[] = { 0xee };
	struct apdu_cmd cmd;
	size_t len;
	uint8_t *b = build(true, 300, extra, 1, &len);

	assert_int_equal(apdu_parse(b, len, &cmd), -EINVAL);	 /* Lc 300, 301 bytes follow */
	assert_int_equal(apdu_parse(b, len - 2, &cmd), -EINVAL); /* Lc 300, 299 bytes follow */
	free(b);
}

struct enc_case {
	const char *name;
	struct apdu_cmd cmd;
	const uint8_t *buf; /* expected encoding */
	size_t len;
};

static const uint8_t d3[] = { 0x11, 0x22, 0x33 };

static const struct enc_case enc[] = {
	{ "encode: case 1", { 0x00, 0xa4, 0x00, 0x00, APDU_CASE_1, false, 0, NULL, 0 }, BYTES(0x00, 0xa4, 0x00, 0x00) },
	{ "encode: case 1 asked extended stays 4 bytes",
	  { 0x00, 0xa4, 0x00, 0x00, APDU_CASE_1, true, 0, NULL, 0 },
	  BYTES(0x00, 0xa4, 0x00, 0x00) },
	{ "encode: case 2S ne 256",
	  { 0x00, 0xb0, 0x00, 0x00, APDU_CASE_2, false, 0, NULL, 256 },
	  BYTES(0x00, 0xb0, 0x00, 0x00, 0x00) },
	{ "encode: case 2 ne 257 goes extended",
	  { 0x00, 0xb0, 0x00, 0x00, APDU_CASE_2, false, 0, NULL, 257 },
	  BYTES(0x00, 0xb0, 0x00, 0x00, 0x00, 0x01, 0x01) },
	{ "encode: case 2 ne 65536 is Le 0000",
	  { 0x00, 0xb0, 0x00, 0x00, APDU_CASE_2, false, 0, NULL, 65536 },
	  BYTES(0x00, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00) },
	{ "encode: case 2E asked extended",
	  { 0x00, 0xb0, 0x00, 0x00, APDU_CASE_2, true, 0, NULL, 5 },
	  BYTES(0x00, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x05) },
	{ "encode: case 3S",
	  { 0x00, 0xd6, 0x00, 0x00, APDU_CASE_3, false, 3, d3, 0 },
	  BYTES(0x00, 0xd6, 0x00, 0x00, 0x03, 0x11, 0x22, 0x33) },
	{ "encode: case 3E asked extended",
	  { 0x00, 0xd6, 0x00, 0x00, APDU_CASE_3, true, 3, d3, 0 },
	  BYTES(0x00, 0xd6, 0x00, 0x00, 0x00, 0x00, 0x03, 0x11, 0x22, 0x33) },
	{ "encode: case 4S",
	  { 0x00, 0x88, 0x00, 0x00, APDU_CASE_4, false, 3, d3, 256 },
	  BYTES(0x00, 0x88, 0x00, 0x00, 0x03, 0x11, 0x22, 0x33, 0x00) },
	{ "encode: case 4 ne 257 goes extended",
	  { 0x00, 0x88, 0x00, 0x00, APDU_CASE_4, false, 3, d3, 257 },
	  BYTES(0x00, 0x88, 0x00, 0x00, 0x00, 0x00, 0x03, 0x11, 0x22, 0x33, 0x01, 0x01) },
	{ "encode: case 4E ne 65536",
	  { 0x00, 0x88, 0x00, 0x00, APDU_CASE_4, true, 3, d3, 65536 },
	  BYTES(0x00, 0x88, 0x00, 0x00, 0x00, 0x00, 0x03, 0x11, 0x22, 0x33, 0x00, 0x00) },
};

/* Encode a struct, compare to the expected bytes, parse them back and get the same fields. */
static void test_encode(void **state)
{
	const struct enc_case *c = *state;
	struct apdu_cmd back;
	uint8_t out[64];
	int n;

	n = apdu_encode(&c->cmd, out, sizeof(out));
	assert_int_equal(n, (int)c->len);
	assert_memory_equal(out, c->buf, c->len);

	assert_int_equal(apdu_parse(out, (size_t)n, &back), 0);
	assert_int_equal(back.cla, c->cmd.cla);
	assert_int_equal(back.ins, c->cmd.ins);
	assert_int_equal(back.p1, c->cmd.p1);
	assert_int_equal(back.p2, c->cmd.p2);
	assert_int_equal(back.kase, c->cmd.kase);
	assert_int_equal(back.lc, c->cmd.lc);
	assert_int_equal(back.ne, c->cmd.ne);
	if (c->cmd.lc)
		assert_memory_equal(back.data, c->cmd.data, c->cmd.lc);
	/* extended on the wire exactly when asked for (and there is an Lc or Le) or needed */
	assert_int_equal(back.extended, (c->cmd.lc || c->cmd.ne) &&
						(c->cmd.extended || c->cmd.lc > 255 || c->cmd.ne > APDU_SHORT_MAX_NE));
}

/* Lc 255 is the longest short form, 256 the shortest that needs the extended form. */
static void test_encode_lc_boundary(void **state)
{
	static uint8_t data[256];
	struct apdu_cmd cmd = { 0x00, 0xd6, 0x00, 0x00, APDU_CASE_3, false, 255, data, 0 };
	uint8_t out[300];

	assert_int_equal(apdu_encode(&cmd, out, sizeof(out)), 4 + 1 + 255);
	assert_int_equal(out[4], 0xff);
	cmd.lc = 256;
	assert_int_equal(apdu_encode(&cmd, out, sizeof(out)), 4 + 3 + 256);
	assert_int_equal(out[4], 0x00);
	assert_int_equal(out[5], 0x01);
	assert_int_equal(out[6], 0x00);
}

static void test_encode_lc_300_goes_extended(void **state)
{
	static uint8_t data[300];
	struct apdu_cmd cmd = { 0x00, 0xd6, 0x00, 0x00, APDU_CASE_4, false, 300, data, 10 };
	struct apdu_cmd back;
	uint8_t out[320];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	assert_int_equal(apdu_encode(&cmd, out, sizeof(out)), 4 + 3 + 300 + 2);
	assert_int_equal(out[4], 0x00);
	assert_int_equal(out[5], 0x01);
	assert_int_equal(out[6], 0x2c);
	assert_int_equal(out[7 + 300], 0x00);
	assert_int_equal(out[8 + 300], 0x0a);
	assert_int_equal(apdu_parse(out, 4 + 3 + 300 + 2, &back), 0);
	assert_true(back.extended);
	assert_int_equal(back.kase, APDU_CASE_4);
	assert_int_equal(back.lc, 300);
	assert_memory_equal(back.data, data, 300);
	assert_int_equal(back.ne, 10);
}

/* -E2BIG for every buffer size below the encoded length, and nothing written past the buffer. */
static void test_encode_e2big(void **state)
{
	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		const struct enc_case *c = &enc[i];

		for (size_t max = 0; max < c->len; max++) {
			uint8_t out[64];

			memset(out, 0xa5, sizeof(out));
			assert_int_equal(apdu_encode(&c->cmd, out, max), -E2BIG);
			for (size_t k = max; k < sizeof(out); k++)
				assert_int_equal(out[k], 0xa5);
		}
	}
}

static void test_encode_einval(void **state)
{
	static uint8_t data[65536];
	uint8_t out[16];
	struct apdu_cmd cmd = { 0x00, 0xd6, 0x00, 0x00, APDU_CASE_3, false, 0, NULL, 0 };

	/* Lc beyond the extended maximum */
	cmd.lc = 65536;
	cmd.data = data;
	assert_int_equal(apdu_encode(&cmd, out, sizeof(out)), -EINVAL);
	/* Ne beyond the extended maximum */
	cmd.lc = 0;
	cmd.data = NULL;
	cmd.ne = 65537;
	assert_int_equal(apdu_encode(&cmd, out, sizeof(out)), -EINVAL);
	/* data length without data */
	cmd.ne = 0;
	cmd.lc = 2;
	cmd.data = NULL;
	assert_int_equal(apdu_encode(&cmd, out, sizeof(out)), -EINVAL);
	/* -EINVAL wins over -E2BIG */
	cmd.lc = 65536;
	cmd.data = data;
	assert_int_equal(apdu_encode(&cmd, out, 0), -EINVAL);
}

int main(void)
{
	static struct unit_list l;

	UNIT_ADD_TABLE(&l, good, test_parse_good);
	UNIT_ADD(&l, test_parse_short_lc_ff);
	UNIT_ADD(&l, test_parse_ext_lc_0100);
	UNIT_ADD(&l, test_parse_ext_lc_ffff);
	UNIT_ADD_TABLE(&l, bad, test_parse_bad);
	UNIT_ADD(&l, test_parse_null);
	UNIT_ADD(&l, test_parse_ext_lc_too_short_for_data);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		unit_addf(&l, test_roundtrip_bytes, &good[i], "round trip: %s", good[i].name + strlen("parse ok: "));
	UNIT_ADD_TABLE(&l, enc, test_encode);
	UNIT_ADD(&l, test_encode_lc_boundary);
	UNIT_ADD(&l, test_encode_lc_300_goes_extended);
	UNIT_ADD(&l, test_encode_e2big);
	UNIT_ADD(&l, test_encode_einval);
	return unit_run("apdu", &l);
}
