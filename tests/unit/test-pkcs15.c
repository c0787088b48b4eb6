/* Unit tests of simpki-tool's PKCS#15 layer (pcsc-tools/pkcs15.c): the directory files Debian 12's OpenSC wrote
 * on a simulated card (an ODF, a PrKDF with an RSA-2048 and a P-256 key, a PuKDF, a CDF; captured from a card
 * enrolled with pkcs15-init) parse into the right objects; what simpki-tool encodes parses back the same; zero
 * padding ends a file; and malformed files (truncated entries, wrong tags, missing paths, ids and paths longer
 * than the fields, too many objects) are refused with -EBADMSG or -E2BIG, keeping the entries before them.
 */
#include <errno.h>
#include <string.h>

#include <simpki/hex.h>

#include <simpki/pkcs15.h>
#include "unit.h"

static const char odf_hex[] =
	"a80a300804063f0050154401a00a300804063f0050154402a10a300804063f0050154403a40a300804063f0050154404";
static const char prkdf_hex[] =
	"306b30140c0b4365727469666963617465030206c00401ff300e04010103020274030203b8020100a0333031302f311e301c0603550403"
	"0c154e677579c3a1c2bbc2856e2056c384c2836e20416e310d300b060355040a0c0455424e44a10e300c300604043f00501502020800a0"
	"3630140c0b50726976617465204b6579030206c00401ff300e04010203020430030203b8020101a10e300c300604043f0050150202010"
	"0";
static const char pukdf_hex[] =
	"3030300d0c07525341206b657903020640300d0401010302008b010100020100a110300e300804063f005015330002020800a03030110c"
	"0b50726976617465204b657903020640300d04010203020003010100020100a10c300a300804063f0050153301";
static const char cdf_hex[] = "302630110c0b4365727469666963617465030206403003040101a10c300a300804063f0050153400";

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	int n = hex_decode(s, out, max);

	assert_true(n >= 0);
	return (size_t)n;
}

static void test_opensc_odf(void **state)
{
	uint8_t b[256];
	size_t n = unhex(odf_hex, b, sizeof(b));
	struct p15_odf odf;
	static const uint8_t prkdf[] = { 0x3f, 0x00, 0x50, 0x15, 0x44, 0x02 };

	assert_int_equal(p15_parse_odf(b, n, &odf), 0);
	assert_int_equal(odf.prkdf.len, 6);
	assert_memory_equal(odf.prkdf.b, prkdf, 6);
	assert_int_equal(odf.aodf.b[5], 0x01);
	assert_int_equal(odf.pukdf.b[5], 0x03);
	assert_int_equal(odf.cdf.b[5], 0x04);
	/* our encoder writes the same ODF */
	uint8_t mine[256];
	int m = p15_encode_odf(mine, sizeof(mine));

	assert_int_equal(m, (int)n);
	assert_memory_equal(mine, b, n);
}

static void test_opensc_prkdf(void **state)
{
	uint8_t b[512] = { 0 };
	size_t n = unhex(prkdf_hex, b, sizeof(b)), count;
	struct p15_object o[P15_MAX_OBJECTS];

	/* parse with the zero padding of the file after the entries */
	assert_int_equal(p15_parse_df(b, sizeof(b), o, P15_MAX_OBJECTS, &count), 0);
	assert_int_equal(p15_used(b, sizeof(b)), n);
	assert_int_equal(count, 2);
	assert_int_equal(o[0].type, P15_RSA);
	assert_int_equal(o[0].id_len, 1);
	assert_int_equal(o[0].id[0], 0x01);
	assert_int_equal(o[0].key_ref, 0);
	assert_int_equal(o[0].bits, 2048);
	assert_string_equal(o[0].label, "Certificate");
	assert_int_equal(o[0].path.len, 4);
	assert_int_equal(o[1].type, P15_EC);
	assert_int_equal(o[1].id[0], 0x02);
	assert_int_equal(o[1].key_ref, 1);
	assert_int_equal(o[1].bits, 256);
	assert_string_equal(o[1].label, "Private Key");
}

static void test_opensc_pukdf_cdf(void **state)
{
	uint8_t b[512];
	size_t n = unhex(pukdf_hex, b, sizeof(b)), count;
	struct p15_object o[P15_MAX_OBJECTS];

	assert_int_equal(p15_parse_df(b, n, o, P15_MAX_OBJECTS, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(o[0].type, P15_RSA);
	assert_int_equal(o[0].path.len, 6);
	assert_int_equal(o[0].path.b[4] << 8 | o[0].path.b[5], 0x3300);
	assert_int_equal(o[1].type, P15_EC);
	assert_int_equal(o[1].path.b[4] << 8 | o[1].path.b[5], 0x3301);
	n = unhex(cdf_hex, b, sizeof(b));
	assert_int_equal(p15_parse_df(b, n, o, P15_MAX_OBJECTS, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(o[0].id[0], 0x01);
	assert_int_equal(o[0].path.b[4] << 8 | o[0].path.b[5], 0x3400);
}

/* What simpki-tool writes parses back the same, and appended entries make a list. */
static void test_round_trip(void **state)
{
	struct p15_object k = { .type = P15_EC,
				.id = { 0x07 },
				.id_len = 1,
				.label = "Khóa ký số",
				.key_ref = 3,
				.bits = 256,
				.path = { .b = { 0x3f, 0x00, 0x50, 0x15 }, .len = 4 } };
	struct p15_object r = { .type = P15_RSA,
				.id = { 0x08 },
				.id_len = 1,
				.label = "RSA",
				.key_ref = 4,
				.bits = 2048,
				.path = { .b = { 0x3f, 0x00, 0x50, 0x15 }, .len = 4 } };
	uint8_t b[512] = { 0 };
	struct p15_object o[P15_MAX_OBJECTS];
	size_t count;
	int n1 = p15_encode_private_key(&k, b, sizeof(b)), n2;

	assert_true(n1 > 0);
	n2 = p15_encode_private_key(&r, b + n1, sizeof(b) - (size_t)n1);
	assert_true(n2 > 0);
	assert_int_equal(p15_parse_df(b, sizeof(b), o, P15_MAX_OBJECTS, &count), 0);
	assert_int_equal(count, 2);
	assert_string_equal(o[0].label, "Khóa ký số");
	assert_int_equal(o[0].type, P15_EC);
	assert_int_equal(o[0].key_ref, 3);
	assert_int_equal(o[0].bits, 256);
	assert_int_equal(o[1].type, P15_RSA);
	assert_int_equal(o[1].key_ref, 4);
	assert_int_equal(o[1].bits, 2048);

	k.path.b[4] = 0x33;
	k.path.b[5] = 0x05;
	k.path.len = 6;
	memset(b, 0, sizeof(b));
	assert_true(p15_encode_public_key(&k, b, sizeof(b)) > 0);
	assert_int_equal(p15_parse_df(b, sizeof(b), o, P15_MAX_OBJECTS, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(o[0].path.b[5], 0x05);
	assert_int_equal(o[0].bits, 0); /* EC public keys carry no length, as OpenSC writes them */
	memset(b, 0, sizeof(b));
	assert_true(p15_encode_certificate(&k, b, sizeof(b)) > 0);
	assert_int_equal(p15_parse_df(b, sizeof(b), o, P15_MAX_OBJECTS, &count), 0);
	assert_int_equal(o[0].id[0], 0x07);
	/* too small a buffer */
	assert_int_equal(p15_encode_private_key(&k, b, 10), -E2BIG);
	assert_int_equal(p15_encode_odf(b, 10), -E2BIG);
}

static void test_other_files(void **state)
{
	uint8_t b[256];
	static const uint8_t serial[] = { 1, 2, 3, 4 };
	int n = p15_encode_tokeninfo(serial, sizeof(serial), "simpki SIM", "20261127030024Z", b, sizeof(b));

	assert_true(n > 0);
	assert_int_equal(b[0], 0x30);
	assert_int_equal(b[1], n - 2);
	n = p15_encode_dir("simpki SIM", b, sizeof(b));
	assert_true(n > 0);
	assert_int_equal(b[0], 0x61);
	n = p15_encode_aodf(b, sizeof(b));
	assert_int_equal(n, 49);
	assert_memory_equal(b + 6, "User PIN", 8);
	assert_int_equal(p15_encode_opensc_info(b, sizeof(b)), 8);
}

/* Damage an OpenSC PrKDF in \a how and expect \a want, with \a kept entries parsed before the damage. */
struct bad_case {
	const char *name;
	const char *hex;
	int want;
	size_t kept;
};

static const struct bad_case bad[] = {
	{ "truncated entry", "306b30140c0b4365", -EBADMSG, 0 },
	{ "unknown entry tag", "a1023000", -EBADMSG, 0 },
	{ "entry without class attributes", "3006300403020640", -EBADMSG, 0 },
	{ "entry without an id", "300c3004030206403004030206c0", -EBADMSG, 0 },
	{ "entry without a path", "300b3004030206403003040101", -EBADMSG, 0 },
	{ "path longer than the field",
	  "3025300403020640300304010"
	  "1a1183016301404123f0050153f0050153f0050153f0050153f00",
	  -EBADMSG, 0 },
	{ "empty id", "3018300403020640300204 00 a10c300a300804063f0050153400", -EBADMSG, 0 },
	{ "good entry then garbage",
	  "302630110c0b4365727469666963617465030206403003040101a10c300a300804063f0050153400ff", -EBADMSG, 1 },
	{ "length past the end", "30ff0000", -EBADMSG, 0 },
};

static void test_bad(void **state)
{
	const struct bad_case *c = *state;
	uint8_t b[512];
	char clean[1024];
	size_t j = 0, count = 99;
	struct p15_object o[P15_MAX_OBJECTS];
	int n;

	for (size_t i = 0; c->hex[i] && j + 1 < sizeof(clean); i++) {
		if (c->hex[i] != ' ')
			clean[j++] = c->hex[i];
	}
	clean[j] = '\0';
	n = hex_decode(clean, b, sizeof(b));
	assert_true(n >= 0);
	assert_int_equal(p15_parse_df(b, (size_t)n, o, P15_MAX_OBJECTS, &count), c->want);
	assert_int_equal(count, c->kept);
}

static void test_too_many(void **state)
{
	uint8_t b[4096] = { 0 }, one[64];
	size_t n = unhex(cdf_hex, one, sizeof(one)), count;
	struct p15_object o[2];

	for (size_t i = 0; i < 3; i++)
		memcpy(b + i * n, one, n);
	assert_int_equal(p15_parse_df(b, 3 * n, o, 2, &count), -E2BIG);
	assert_int_equal(count, 2);
}

static void test_bad_odf(void **state)
{
	static const uint8_t b[] = { 0xa0, 0x04, 0x04, 0x02, 0x3f, 0x00 }; /* no SEQUENCE around the path */
	struct p15_odf odf;

	assert_int_equal(p15_parse_odf(b, sizeof(b), &odf), -EBADMSG);
	assert_int_equal(p15_parse_odf(b, 3, &odf), -EBADMSG);
}

int main(void)
{
	struct unit_list l = { .n = 0 };

	unit_add(&l, "opensc ODF", test_opensc_odf, NULL);
	unit_add(&l, "opensc PrKDF", test_opensc_prkdf, NULL);
	unit_add(&l, "opensc PuKDF and CDF", test_opensc_pukdf_cdf, NULL);
	unit_add(&l, "round trip", test_round_trip, NULL);
	unit_add(&l, "TokenInfo, EF.DIR, AODF, info file", test_other_files, NULL);
	UNIT_ADD_TABLE(&l, bad, test_bad);
	unit_add(&l, "too many objects", test_too_many, NULL);
	unit_add(&l, "bad ODF", test_bad_odf, NULL);
	return _cmocka_run_group_tests("pkcs15", l.t, l.n, NULL, NULL);
}
