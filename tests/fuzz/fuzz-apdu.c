/* libFuzzer harness for apdu_parse() and apdu_encode().
 *
 * 1. The input as a command APDU. If apdu_parse() takes it, the fields must be consistent (case, Lc, Ne, data
 *    inside the input), apdu_encode() must write a command that parses to the same fields, and it must refuse
 *    a buffer one byte too small with -E2BIG (without writing past it).
 * 2. Inputs of 9 bytes or more also describe a command to encode: CLA INS P1 P2 | flags | Lc (2) | Ne (2) | data,
 *    flags bit 0 extended, bit 1 adds 65536 to Ne, bit 2 NULL data. apdu_encode() must refuse exactly the
 *    inconsistent ones, and what it writes must parse back to the same command.
 * A broken property abort()s.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/apdu.h>

#include "fuzz.h"

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                 \
		}                                                                                \
	} while (0)

static uint8_t out[APDU_MAX_ENCODED];

static enum apdu_case case_of(uint32_t lc, uint32_t ne)
{
	if (lc)
		return ne ? APDU_CASE_4 : APDU_CASE_3;
	return ne ? APDU_CASE_2 : APDU_CASE_1;
}

static void check_same(const struct apdu_cmd *a, const struct apdu_cmd *b)
{
	CHECK(a->cla == b->cla && a->ins == b->ins && a->p1 == b->p1 && a->p2 == b->p2);
	CHECK(a->kase == b->kase);
	CHECK(a->extended == b->extended);
	CHECK(a->lc == b->lc);
	CHECK(a->ne == b->ne);
	CHECK(!a->lc || !memcmp(a->data, b->data, a->lc));
}

/* apdu_encode() with exactly \a len - 1 (>= 3) bytes of room must fail cleanly. */
static void check_too_small(const struct apdu_cmd *cmd, int len)
{
	uint8_t *small = malloc((size_t)len - 1);

	CHECK(small);
	CHECK(apdu_encode(cmd, small, (size_t)len - 1) == -E2BIG);
	free(small);
}

static void parse_encode(const uint8_t *data, size_t size)
{
	struct apdu_cmd cmd, again;
	int n;

	if (apdu_parse(data, size, &cmd))
		return;
	CHECK(size >= 4);
	CHECK(cmd.kase == case_of(cmd.lc, cmd.ne));
	CHECK(cmd.ne <= (cmd.extended ? APDU_EXT_MAX_NE : APDU_SHORT_MAX_NE));
	CHECK(cmd.lc <= (cmd.extended ? 65535u : 255u));
	CHECK(!cmd.extended || cmd.lc || cmd.ne); /* case 1 has no length bytes to be extended */
	if (cmd.lc) {
		CHECK(cmd.data && cmd.data >= data + 4 && (size_t)(cmd.data - data) + cmd.lc <= size);
	} else {
		CHECK(!cmd.data);
	}

	n = apdu_encode(&cmd, out, sizeof(out));
	CHECK(n >= 4 && (size_t)n <= sizeof(out));
	CHECK(!apdu_parse(out, (size_t)n, &again));
	check_same(&cmd, &again);
	check_too_small(&cmd, n);
}

static void encode_parse(const uint8_t *data, size_t size)
{
	struct apdu_cmd cmd = { 0 }, back;
	uint8_t flags;
	bool ext, invalid;
	int n;

	if (size < 9)
		return;
	cmd.cla = data[0];
	cmd.ins = data[1];
	cmd.p1 = data[2];
	cmd.p2 = data[3];
	flags = data[4];
	cmd.extended = flags & 1;
	cmd.lc = (uint32_t)(data[5] << 8 | data[6]);
	if (cmd.lc > size - 9)
		cmd.lc = (uint32_t)(size - 9);
	cmd.ne = (uint32_t)(data[7] << 8 | data[8]) + (flags & 2 ? 65536u : 0);
	cmd.data = flags & 4 ? NULL : data + 9;
	cmd.kase = case_of(cmd.lc, cmd.ne);

	invalid = cmd.ne > APDU_EXT_MAX_NE || (cmd.lc && !cmd.data);
	n = apdu_encode(&cmd, out, sizeof(out));
	if (invalid) {
		CHECK(n == -EINVAL);
		return;
	}
	CHECK(n >= 4 && (size_t)n <= sizeof(out));
	CHECK(!apdu_parse(out, (size_t)n, &back));
	ext = (cmd.lc || cmd.ne) && (cmd.extended || cmd.lc > 255 || cmd.ne > APDU_SHORT_MAX_NE);
	cmd.extended = ext;
	if (!cmd.lc)
		cmd.data = NULL;
	check_same(&cmd, &back);
	check_too_small(&cmd, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_encode(data, size);
	encode_parse(data, size);
	return 0;
}
