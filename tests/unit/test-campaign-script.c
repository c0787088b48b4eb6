/* Unit tests of a campaign's over-the-air scripts (ota-server/campaign/campaign_script.c): the check, personalise
 * and keygen scripts parse as expanded scripts with the commands campaign_script.h lists, and their responses are
 * read right: how many of the structure's files a SIM has, whether it lists the key and its certificate, a free
 * slot and where the PrKDF ends; and every bad case is refused with its reason: a SIM without the applet's files
 * answering something else than 6A82, a cut or failed personalise, memory full (6A84) on the structure or the key,
 * a refused key, a GENERATE without a public key. */
#include <errno.h>
#include <string.h>

#include <simpki/pkcs15.h>
#include <simpki/rapdu.h>

#include "campaign_script.h"
#include "unit.h"

static int response(const struct rapdu_result *r, size_t n, uint8_t *out, size_t max)
{
	int len = rapdu_expanded_response(r, n, out, max);

	assert_true(len > 0);
	return len;
}

static void ok(struct rapdu_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		r[i] = (struct rapdu_result){ .sw = 0x9000 };
}

static void test_check_script(void **state)
{
	static const uint16_t fids[] = { 0x5015, 0x4401, 0x4402, 0x4403, 0x4404, 0x5032, 0x4946, 0x2f00, 0x5031 };
	uint8_t script[ENROL_SCRIPT_MAX];
	struct apdu_cmd c[RAPDU_MAX_COMMANDS];
	size_t n;
	int len;

	(void)state;
	len = campaign_script_check(script, sizeof(script));
	assert_true(len > 0);
	assert_int_equal(rapdu_expanded_parse(script, (size_t)len, c, RAPDU_MAX_COMMANDS, &n), 0);
	assert_int_equal(n, CAMPAIGN_P15_FILES + 4);
	for (size_t i = 0; i < CAMPAIGN_P15_FILES; i++) {
		assert_int_equal(c[i].ins, 0xa4);
		assert_int_equal(c[i].lc, 2);
		assert_int_equal(c[i].data[0] << 8 | c[i].data[1], fids[i]);
	}
	assert_int_equal(c[CAMPAIGN_P15_FILES + 1].ins, 0xb0);
	assert_int_equal(campaign_script_check(script, 10), -E2BIG);
}

static void test_check_parse(void **state)
{
	struct rapdu_result r[CAMPAIGN_P15_FILES + 4];
	uint8_t rsp[2048], prkdf[256] = { 0 }, cdf[256] = { 0 };
	struct p15_object k = { .type = P15_EC, .id = { 2 }, .id_len = 1, .key_ref = 0, .bits = 256 };
	struct p15_object ct = { .id = { 2 }, .id_len = 1, .key_ref = -1 };
	struct campaign_view v;
	char why[160];
	int len, n;

	(void)state;
	/* a SIM as a vendor ships it: no DF.PKCS15 */
	r[0] = (struct rapdu_result){ .sw = 0x6a82 };
	len = response(r, 1, rsp, sizeof(rsp));
	assert_int_equal(campaign_check_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)), 0);
	assert_int_equal(v.files, 0);
	/* an interrupted personalisation: four files there */
	ok(r, 4);
	r[4] = (struct rapdu_result){ .sw = 0x6a82 };
	len = response(r, 5, rsp, sizeof(rsp));
	assert_int_equal(campaign_check_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)), 0);
	assert_int_equal(v.files, 4);
	/* anything but "not found" is refused, saying which file */
	r[4] = (struct rapdu_result){ .sw = 0x6982 };
	len = response(r, 5, rsp, sizeof(rsp));
	assert_int_equal(campaign_check_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "4404"));
	assert_non_null(strstr(why, "6982"));
	/* every file, an empty PrKDF and CDF: no key, slot 0 free, entries go at 0 */
	ok(r, CAMPAIGN_P15_FILES + 4);
	r[CAMPAIGN_P15_FILES + 1] = (struct rapdu_result){ .sw = 0x9000, .data = prkdf, .len = 256 };
	r[CAMPAIGN_P15_FILES + 3] = (struct rapdu_result){ .sw = 0x9000, .data = cdf, .len = 256 };
	len = response(r, CAMPAIGN_P15_FILES + 4, rsp, sizeof(rsp));
	assert_int_equal(campaign_check_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)), 0);
	assert_int_equal(v.files, CAMPAIGN_P15_FILES);
	assert_false(v.has_key);
	assert_int_equal(v.ev.free_key_ref, 0);
	assert_int_equal(v.ev.prkdf_used, 0);
	/* the key listed, in slot 0: slot 1 is the next free one; not certified, then certified */
	k.path = (struct p15_path){ .b = { 0x3f, 0x00, 0x50, 0x15 }, .len = 4 };
	n = p15_encode_private_key(&k, prkdf, sizeof(prkdf));
	assert_true(n > 0);
	len = response(r, CAMPAIGN_P15_FILES + 4, rsp, sizeof(rsp));
	assert_int_equal(campaign_check_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)), 0);
	assert_true(v.has_key);
	assert_false(v.ev.key_certified);
	assert_int_equal(v.ev.key.key_ref, 0);
	assert_int_equal(v.ev.prkdf_used, n);
	assert_int_equal(v.ev.free_key_ref, 1);
	/* another key iD than the one listed: not there */
	assert_int_equal(campaign_check_parse(rsp, (size_t)len, 3, &v, why, sizeof(why)), 0);
	assert_false(v.has_key);
	ct.path = (struct p15_path){ .b = { 0x3f, 0x00, 0x50, 0x15, 0x34, 0x00 }, .len = 6 };
	assert_true(p15_encode_certificate(&ct, cdf, sizeof(cdf)) > 0);
	len = response(r, CAMPAIGN_P15_FILES + 4, rsp, sizeof(rsp));
	assert_int_equal(campaign_check_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)), 0);
	assert_true(v.has_key && v.ev.key_certified);
	/* a PrKDF with no zero padding (more than one read holds) is refused */
	memset(prkdf, 0x30, sizeof(prkdf));
	len = response(r, CAMPAIGN_P15_FILES + 4, rsp, sizeof(rsp));
	assert_true(campaign_check_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)) < 0);
	/* not a script response */
	assert_int_equal(campaign_check_parse((const uint8_t *)"\x01\x02", 2, 2, &v, why, sizeof(why)), -EBADMSG);
	assert_int_equal(campaign_check_parse(rsp, 0, 2, &v, why, sizeof(why)), -EBADMSG);
}

/* The personalise script from file \a from: its commands; SELECT, CREATE (and UPDATE with content) per file. */
static size_t personalise_commands(unsigned from, struct apdu_cmd *c)
{
	static uint8_t script[ENROL_SCRIPT_MAX];
	const uint8_t serial[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	size_t n;
	int len = campaign_script_personalise(from, "simpki", serial, script, sizeof(script));

	assert_true(len > 0);
	assert_int_equal(rapdu_expanded_parse(script, (size_t)len, c, RAPDU_MAX_COMMANDS, &n), 0);
	return n;
}

static void test_personalise(void **state)
{
	struct apdu_cmd c[RAPDU_MAX_COMMANDS];
	struct rapdu_result r[3 * CAMPAIGN_P15_FILES];
	uint8_t rsp[1024], script[64], serial[8] = { 0 };
	char why[160];
	size_t n;
	int len;

	(void)state;
	n = personalise_commands(0, c);
	assert_int_equal(n, 23); /* DF, PrKDF, PuKDF, CDF: 2 commands; the 5 files with content: 3 */
	assert_int_equal(c[0].ins, 0xa4);
	assert_int_equal(c[0].lc, 0); /* the MF */
	assert_int_equal(c[1].ins, 0xe0);
	assert_int_equal(c[1].data[8], 0x38); /* a DF */
	assert_int_equal(c[1].data[11] << 8 | c[1].data[12], 0x5015);
	for (size_t i = 0; i < n; i++)
		assert_true(c[i].ins != 0x24 && c[i].ins != 0x2c); /* never the PIN or the PUK */
	assert_int_equal(c[n - 2].ins, 0xe0);
	assert_int_equal(c[n - 2].data[11] << 8 | c[n - 2].data[12], 0x5031); /* the ODF last */
	assert_int_equal(personalise_commands(8, c), 3);
	assert_int_equal(campaign_script_personalise(CAMPAIGN_P15_FILES, "simpki", serial, script, sizeof(script)),
			 -EINVAL);
	assert_int_equal(campaign_script_personalise(0, "simpki", serial, script, sizeof(script)), -E2BIG);

	ok(r, 23);
	len = response(r, 23, rsp, sizeof(rsp));
	assert_int_equal(campaign_personalise_parse(rsp, (size_t)len, 0, why, sizeof(why)), 0);
	/* cut short */
	len = response(r, 10, rsp, sizeof(rsp));
	assert_int_equal(campaign_personalise_parse(rsp, (size_t)len, 0, why, sizeof(why)), -EIO);
	assert_non_null(strstr(why, "10 of"));
	/* the memory full at the fourth command */
	r[3].sw = 0x6a84;
	len = response(r, 4, rsp, sizeof(rsp));
	assert_int_equal(campaign_personalise_parse(rsp, (size_t)len, 0, why, sizeof(why)), -ENOSPC);
	assert_non_null(strstr(why, "6A84"));
	/* a file there already */
	r[3].sw = 0x6984;
	len = response(r, 4, rsp, sizeof(rsp));
	assert_int_equal(campaign_personalise_parse(rsp, (size_t)len, 0, why, sizeof(why)), -EIO);
	assert_non_null(strstr(why, "exists"));
	assert_int_equal(campaign_personalise_parse(rsp, 1, 0, why, sizeof(why)), -EIO);
}

static void test_keygen(void **state)
{
	uint8_t script[ENROL_SCRIPT_MAX], rsp[1024], pub[70] = { 0x7f, 0x49, 0x41 };
	struct apdu_cmd c[RAPDU_MAX_COMMANDS];
	struct rapdu_result r[4];
	struct p15_object objs[2];
	char why[160];
	size_t n;
	int len;

	(void)state;
	len = campaign_script_keygen(CAMPAIGN_ALG_P256, 3, 2, "signing", 40, script, sizeof(script));
	assert_true(len > 0);
	assert_int_equal(rapdu_expanded_parse(script, (size_t)len, c, RAPDU_MAX_COMMANDS, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(c[0].ins, 0x22);
	assert_int_equal(c[0].data[2], 0xec);
	assert_int_equal(c[0].data[5], 3);
	assert_int_equal(c[1].ins, 0x46);
	assert_int_equal(c[1].lc, 207);
	assert_true(c[1].extended);
	assert_int_equal(c[3].ins, 0xd6);
	assert_int_equal(c[3].p1 << 8 | c[3].p2, 40);
	/* the entry written is the key's: iD 02, slot 3 */
	assert_int_equal(p15_parse_df(c[3].data, c[3].lc, objs, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(objs[0].id[0], 2);
	assert_int_equal(objs[0].key_ref, 3);
	len = campaign_script_keygen(CAMPAIGN_ALG_RSA2048, 0, 2, "signing", 0, script, sizeof(script));
	assert_true(len > 0);
	assert_int_equal(rapdu_expanded_parse(script, (size_t)len, c, RAPDU_MAX_COMMANDS, &n), 0);
	assert_int_equal(c[1].p1, 0x42);
	assert_int_equal(c[1].lc, 0);
	assert_int_equal(campaign_script_keygen(CAMPAIGN_ALG_P256, 16, 2, "x", 0, script, sizeof(script)), -EINVAL);
	assert_int_equal(campaign_script_keygen(CAMPAIGN_ALG_P256, 0, 0, "x", 0, script, sizeof(script)), -EINVAL);
	assert_int_equal(campaign_script_keygen(CAMPAIGN_ALG_P256, 0, 2, "x", 2040, script, sizeof(script)), -EINVAL);

	ok(r, 4);
	r[1] = (struct rapdu_result){ .sw = 0x9000, .data = pub, .len = sizeof(pub) };
	len = response(r, 4, rsp, sizeof(rsp));
	assert_int_equal(campaign_keygen_parse(rsp, (size_t)len, why, sizeof(why)), 0);
	/* no room for the key */
	r[1] = (struct rapdu_result){ .sw = 0x6a84 };
	len = response(r, 2, rsp, sizeof(rsp));
	assert_int_equal(campaign_keygen_parse(rsp, (size_t)len, why, sizeof(why)), -ENOSPC);
	assert_non_null(strstr(why, "no room"));
	/* refused */
	r[1] = (struct rapdu_result){ .sw = 0x6982 };
	len = response(r, 2, rsp, sizeof(rsp));
	assert_int_equal(campaign_keygen_parse(rsp, (size_t)len, why, sizeof(why)), -EIO);
	assert_non_null(strstr(why, "6982"));
	/* 9000 without a public key, or the PrKDF entry not written */
	r[1] = (struct rapdu_result){ .sw = 0x9000 };
	len = response(r, 4, rsp, sizeof(rsp));
	assert_int_equal(campaign_keygen_parse(rsp, (size_t)len, why, sizeof(why)), -EIO);
	r[1] = (struct rapdu_result){ .sw = 0x9000, .data = pub, .len = sizeof(pub) };
	len = response(r, 3, rsp, sizeof(rsp));
	assert_int_equal(campaign_keygen_parse(rsp, (size_t)len, why, sizeof(why)), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_script),
		cmocka_unit_test(test_check_parse),
		cmocka_unit_test(test_personalise),
		cmocka_unit_test(test_keygen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
