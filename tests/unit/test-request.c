/* Unit tests of ota-server/request/ (request_table.c, request_parse.c) and otad_db_request.c: the state table (every
 * allowed and every refused transition), four eyes, the common unit of holders, the request body (good ones and
 * every kind of bad one with its message), the rejection body, the list and stats queries; the database functions
 * over a real file (insert, conditional state change, subtree list, items, stats by unit and age). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "otad_db_request.h"
#include "pinreset/pinreset.h"
#include "request.h"

#include "unit.h"
#include "unit_tmpdir.h"

/* ---- the state table ---- */

static void test_state_table(void **state)
{
	/* the spec, written out again: from -> the states it may go to */
	static const char *const allowed[OTAD_REQ_N_STATES] = {
		[OTAD_REQ_FILED] = "approved rejected withdrawn",
		[OTAD_REQ_APPROVED] = "executing failed",
		[OTAD_REQ_EXECUTING] = "done failed",
		[OTAD_REQ_DONE] = "",
		[OTAD_REQ_FAILED] = "",
		[OTAD_REQ_REJECTED] = "",
		[OTAD_REQ_WITHDRAWN] = "",
	};
	unsigned n_allowed = 0;

	(void)state;
	for (int from = 0; from < OTAD_REQ_N_STATES; from++) {
		for (int to = 0; to < OTAD_REQ_N_STATES; to++) {
			char word[32];
			bool want;

			snprintf(word, sizeof(word), " %s ", otad_request_state_names[to]);
			{
				char list[80];

				snprintf(list, sizeof(list), " %s ", allowed[from]);
				want = strstr(list, word) != NULL;
			}
			if (otad_request_may_go(from, to) != want)
				fail_msg("%s -> %s: %s, expected %s", otad_request_state_names[from],
					 otad_request_state_names[to], want ? "refused" : "allowed",
					 want ? "allowed" : "refused");
			n_allowed += want;
		}
		assert_int_equal(otad_request_state_final(from), allowed[from][0] == 0);
	}
	assert_int_equal(n_allowed, 7);
	assert_false(otad_request_may_go(OTAD_REQ_N_STATES, OTAD_REQ_FILED));
	assert_false(otad_request_may_go(OTAD_REQ_FILED, OTAD_REQ_N_STATES));
	assert_true(otad_request_state_open(OTAD_REQ_FILED));
	assert_true(otad_request_state_open(OTAD_REQ_APPROVED));
	assert_true(otad_request_state_open(OTAD_REQ_EXECUTING));
	assert_false(otad_request_state_open(OTAD_REQ_DONE));
	assert_false(otad_request_state_open(OTAD_REQ_REJECTED));
}

static void test_names(void **state)
{
	(void)state;
	for (int k = 0; k < OTAD_REQ_N_KINDS; k++)
		assert_int_equal(otad_request_kind_of(otad_request_kind_names[k]), k);
	for (int s = 0; s < OTAD_REQ_N_STATES; s++)
		assert_int_equal(otad_request_state_of(otad_request_state_names[s]), s);
	assert_int_equal(otad_request_kind_of("pin_reset"), -EINVAL);
	assert_int_equal(otad_request_kind_of(NULL), -EINVAL);
	assert_int_equal(otad_request_state_of("open"), -EINVAL);
	assert_string_equal(otad_request_kind_names[OTAD_REQ_NEW_CERTIFICATE], "new-certificate");
	assert_string_equal(otad_request_kind_names[OTAD_REQ_PIN_RESET], "pin-reset");
	assert_false(otad_request_kind_changes_cert(OTAD_REQ_PIN_RESET));
	assert_true(otad_request_kind_changes_cert(OTAD_REQ_SUSPEND));
	assert_int_equal(otad_request_crl_reason_of("keyCompromise"), 1);
	assert_int_equal(otad_request_crl_reason_of("privilegeWithdrawn"), 9);
	assert_int_equal(otad_request_crl_reason_of("certificateHold"), -EINVAL);
	assert_int_equal(otad_request_crl_reason_of("cACompromise"), -EINVAL);
	assert_string_equal(otad_request_crl_reason_name(3), "affiliationChanged");
}

static void test_four_eyes(void **state)
{
	(void)state;
	assert_false(otad_request_four_eyes_ok("clerk-hanoi", "clerk-hanoi"));
	assert_true(otad_request_four_eyes_ok("clerk-hanoi", "ra-hanoi"));
	assert_true(otad_request_four_eyes_ok("clerk-hanoi", "vty"));
	assert_false(otad_request_four_eyes_ok(NULL, "ra"));
	assert_false(otad_request_four_eyes_ok("ra", NULL));
}

/* ---- the common unit ---- */

/* 01 > 0101, 0102 > 010201; 04 > 0401; 90 (a ministry) > 9001 (a department) */
static int fake_parent(const char *unit, char out[OTAD_UNIT_CODE_MAX + 1], void *priv)
{
	static const char *const tree[][2] = {
		{ "01", "" },	  { "0101", "01" }, { "0102", "01" }, { "010201", "0102" }, { "04", "" },
		{ "0401", "04" }, { "90", "" },	    { "9001", "90" }, { "loop", "loop" },
	};

	(*(int *)priv)++;
	for (size_t i = 0; i < sizeof(tree) / sizeof(tree[0]); i++)
		if (!strcmp(unit, tree[i][0])) {
			snprintf(out, OTAD_UNIT_CODE_MAX + 1, "%s", tree[i][1]);
			return 0;
		}
	return -ENOENT;
}

static void common(const char *want, int want_rc, size_t n, ...)
{
	const char *units[8];
	char out[OTAD_UNIT_CODE_MAX + 1];
	int calls = 0;
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		units[i] = va_arg(ap, const char *);
	va_end(ap);
	assert_int_equal(otad_request_common_unit(units, n, fake_parent, &calls, out), want_rc);
	if (!want_rc)
		assert_string_equal(out, want);
}

static void test_common_unit(void **state)
{
	(void)state;
	common("0101", 0, 1, "0101");
	common("0101", 0, 3, "0101", "0101", "0101");
	common("01", 0, 2, "0101", "0102");	/* two wards of a province: the province */
	common("01", 0, 2, "0101", "010201");	/* a ward and a unit under another ward */
	common("0102", 0, 2, "010201", "0102"); /* a unit and one under it: the unit */
	common("01", 0, 2, "01", "010201");
	common("", 0, 2, "0101", "0401"); /* two provinces: the whole tree */
	common("", 0, 3, "0101", "0102", "9001");
	common("9001", 0, 1, "9001");
	common("90", 0, 2, "9001", "90");
	common("", -ENOENT, 2, "0101", "7777");
	common("", -EINVAL, 1, "loop"); /* deeper than 16 */
	common("", -EINVAL, 1, "");
	{
		char out[OTAD_UNIT_CODE_MAX + 1];
		int calls = 0;

		assert_int_equal(otad_request_common_unit(NULL, 0, fake_parent, &calls, out), -EINVAL);
	}
}

/* ---- bodies ---- */

#define DOC "\"documents\": [{\"name\": \"Quyết định 275\", \"sha256\": \"" HASH "\"}]"
#define HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static void test_parse_good(void **state)
{
	struct otad_request_body b;
	char err[300];

	(void)state;
	assert_int_equal(
		otad_request_parse("{\"kind\": \"revoke\", \"holders\": [\"H-2\", \"H-1\"], \"reason\": "
				   "\"keyCompromise\", " DOC ", \"note\": \"Mất SIM\"}",
				   strlen("{\"kind\": \"revoke\", \"holders\": [\"H-2\", \"H-1\"], \"reason\": "
					  "\"keyCompromise\", " DOC ", \"note\": \"Mất SIM\"}"),
				   &b, err, sizeof(err)),
		0);
	assert_int_equal(b.kind, OTAD_REQ_REVOKE);
	assert_int_equal(b.n_holders, 2);
	assert_string_equal(b.holders[0], "H-1"); /* sorted */
	assert_int_equal(b.reason, 1);
	assert_int_equal(b.n_docs, 1);
	assert_string_equal(b.docs[0].sha256, HASH);
	assert_string_equal(b.docs[0].name, "Quyết định 275");
	assert_string_equal(b.note, "Mất SIM");
	assert_string_equal(b.unit, "");
	otad_request_body_free(&b);

#define GOOD(s) assert_int_equal(otad_request_parse(s, strlen(s), &b, err, sizeof(err)), 0)
	GOOD("{\"kind\": \"suspend\", \"unit\": \"10101003\", " DOC "}");
	assert_string_equal(b.unit, "10101003");
	assert_null(b.holders);
	assert_int_equal(b.reason, -1);
	otad_request_body_free(&b);
	GOOD("{\"kind\": \"revoke\", \"unit\": \"01\", " DOC "}");
	assert_int_equal(b.reason, 0); /* unspecified */
	otad_request_body_free(&b);
	GOOD("{\"kind\": \"pin-reset\", \"holders\": [\"H-1\"], \"id_number\": \"079123456789\", \"mode\": "
	     "\"unblock\"}");
	assert_int_equal(b.pin_mode, OTAD_PIN_RESET_UNBLOCK);
	assert_string_equal(b.id_number, "079123456789");
	assert_int_equal(b.n_docs, 0);
	otad_request_body_free(&b);
	GOOD("{\"kind\": \"new-certificate\", \"holders\": [\"H-1\"], \"key_id\": 2, \"profile\": \"auth\", " DOC "}");
	assert_int_equal(b.key_id, 2);
	assert_string_equal(b.profile, "auth");
	otad_request_body_free(&b);
	GOOD("{\"kind\": \"new-certificate\", \"holders\": [\"H-1\"], " DOC "}");
	assert_int_equal(b.key_id, 1);
	assert_string_equal(b.profile, "signing");
	otad_request_body_free(&b);
	GOOD("{\"kind\": \"renew\", \"holders\": [\"H-1\"], " DOC ", \"note\": \"\"}");
	otad_request_body_free(&b);
#undef GOOD
}

struct bad {
	const char *body, *says;
};

static void test_parse_bad_one(void **state)
{
	const struct bad *t = *state;
	struct otad_request_body b;
	char err[300] = "";

	assert_int_equal(otad_request_parse(t->body, strlen(t->body), &b, err, sizeof(err)), -EINVAL);
	if (!strstr(err, t->says))
		fail_msg("'%s': '%s', expected '%s'", t->body, err, t->says);
	assert_null(b.holders);
}

static const struct bad bad_bodies[] = {
	{ "", "not JSON" },
	{ "[]", "JSON object" },
	{ "{\"kind\": \"revoke\", \"kind\": \"revoke\"}", "not JSON" },
	{ "{\"holders\": [\"H-1\"], " DOC "}", "kind:" },
	{ "{\"kind\": \"destroy\", \"holders\": [\"H-1\"], " DOC "}", "kind:" },
	{ "{\"kind\": 3, \"holders\": [\"H-1\"], " DOC "}", "kind:" },
	{ "{\"kind\": \"revoke\", " DOC "}", "exactly one of holders" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"unit\": \"01\", " DOC "}", "exactly one of holders" },
	{ "{\"kind\": \"revoke\", \"holders\": [], " DOC "}", "holders: an array of 1 to 10000" },
	{ "{\"kind\": \"revoke\", \"holders\": \"H-1\", " DOC "}", "holders: an array" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H 1\"], " DOC "}", "holders[0]" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\", 7], " DOC "}", "holders[1]" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\", \"H-2\", \"H-1\"], " DOC "}", "H-1 is named twice" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\\u0000x\"], " DOC "}", "not allowed" },
	{ "{\"kind\": \"revoke\", \"unit\": \"0a\", " DOC "}", "unit: a unit code" },
	{ "{\"kind\": \"revoke\", \"unit\": \"1234567890123456\", " DOC "}", "unit: a unit code" },
	{ "{\"kind\": \"revoke\", \"unit\": 1, " DOC "}", "unit: a unit code" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"]}", "documents: an array of 1 to 32" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"documents\": []}", "needs its documents" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"documents\": {}}", "documents: an array" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"documents\": [{\"name\": \"x\"}]}", "documents[0]" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"documents\": [{\"name\": \"\", \"sha256\": \"" HASH "\"}]}",
	  "documents[0]" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"documents\": [{\"name\": \"a\\nb\", \"sha256\": \"" HASH
	  "\"}]}",
	  "documents[0]" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"documents\": [{\"name\": \"x\", \"sha256\": \"" HASH
	  "\", \"size\": 1}]}",
	  "documents[0]" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"documents\": [{\"name\": \"x\", \"sha256\": \"12\"}]}",
	  "documents[0].sha256: 64 hex" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"documents\": [{\"name\": \"x\", \"sha256\": "
	  "\"9g86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}]}",
	  "documents[0].sha256: 64 hex" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"documents\": [{\"name\": \"x\", \"sha256\": 7}]}",
	  "documents[0].sha256" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"reason\": \"certificateHold\", " DOC "}", "reason:" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"reason\": 1, " DOC "}", "reason:" },
	{ "{\"kind\": \"suspend\", \"holders\": [\"H-1\"], \"reason\": \"superseded\", " DOC "}", "only for revoke" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"note\": 5, " DOC "}", "note:" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"note\": \"a\\u0007b\", " DOC "}", "note:" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"colour\": 1, " DOC "}", "unknown member 'colour'" },
	{ "{\"kind\": \"pin-reset\", \"holders\": [\"H-1\"]}", "id_number" },
	{ "{\"kind\": \"pin-reset\", \"holders\": [\"H-1\"], \"id_number\": \"\"}", "id_number" },
	{ "{\"kind\": \"pin-reset\", \"holders\": [\"H-1\"], \"id_number\": \"07-91\"}", "id_number" },
	{ "{\"kind\": \"pin-reset\", \"holders\": [\"H-1\"], \"id_number\": \"123456789012345678901234567890123\"}",
	  "id_number" },
	{ "{\"kind\": \"pin-reset\", \"holders\": [\"H-1\", \"H-2\"], \"id_number\": \"0791\"}", "exactly one holder" },
	{ "{\"kind\": \"pin-reset\", \"unit\": \"01\", \"id_number\": \"0791\"}", "exactly one holder" },
	{ "{\"kind\": \"pin-reset\", \"holders\": [\"H-1\"], \"id_number\": \"0791\", \"mode\": \"reset\"}", "mode:" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"id_number\": \"0791\", " DOC "}", "only for pin-reset" },
	{ "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"key_id\": 1, " DOC "}", "only for new-certificate" },
	{ "{\"kind\": \"new-certificate\", \"holders\": [\"H-1\"], \"key_id\": 0, " DOC "}", "key_id: 1 to 255" },
	{ "{\"kind\": \"new-certificate\", \"holders\": [\"H-1\"], \"key_id\": 256, " DOC "}", "key_id: 1 to 255" },
	{ "{\"kind\": \"new-certificate\", \"holders\": [\"H-1\"], \"key_id\": \"1\", " DOC "}", "key_id: 1 to 255" },
	{ "{\"kind\": \"new-certificate\", \"holders\": [\"H-1\"], \"profile\": \"a b\", " DOC "}", "profile:" },
	{ "{\"kind\": \"new-certificate\", \"holders\": [\"H-1\"], \"profile\": \"\", " DOC "}", "profile:" },
};

static void test_parse_limits(void **state)
{
	struct otad_request_body b;
	size_t max = 64 * 10100 + 4096, n;
	char *s = malloc(max), err[300];

	(void)state;
	/* 10,000 holders are taken, 10,001 are not */
	for (int extra = 0; extra < 2; extra++) {
		n = (size_t)snprintf(s, max, "{\"kind\": \"revoke\", " DOC ", \"holders\": [");
		for (int i = 0; i < OTAD_REQUEST_HOLDERS_MAX + extra; i++)
			n += (size_t)snprintf(s + n, max - n, "%s\"H-%d\"", i ? "," : "", i);
		n += (size_t)snprintf(s + n, max - n, "]}");
		assert_int_equal(otad_request_parse(s, n, &b, err, sizeof(err)), extra ? -EINVAL : 0);
		if (!extra)
			assert_int_equal(b.n_holders, OTAD_REQUEST_HOLDERS_MAX);
		otad_request_body_free(&b);
	}
	/* 32 documents, not 33 */
	for (int extra = 0; extra < 2; extra++) {
		n = (size_t)snprintf(s, max, "{\"kind\": \"revoke\", \"holders\": [\"H\"], \"documents\": [");
		for (int i = 0; i < OTAD_REQUEST_DOCS_MAX + extra; i++)
			n += (size_t)snprintf(s + n, max - n, "%s{\"name\": \"d%d\", \"sha256\": \"" HASH "\"}",
					      i ? "," : "", i);
		n += (size_t)snprintf(s + n, max - n, "]}");
		assert_int_equal(otad_request_parse(s, n, &b, err, sizeof(err)), extra ? -EINVAL : 0);
		otad_request_body_free(&b);
	}
	/* a note of 500 bytes (Vietnamese: 2 and 3 bytes a character), not 501 */
	for (int extra = 0; extra < 2; extra++) {
		n = (size_t)snprintf(s, max, "{\"kind\": \"revoke\", \"holders\": [\"H\"], " DOC ", \"note\": \"");
		for (int i = 0; i < 250; i++)
			n += (size_t)snprintf(s + n, max - n, "đ"); /* 2 bytes */
		n += (size_t)snprintf(s + n, max - n, "%s\"}", extra ? "x" : "");
		assert_int_equal(otad_request_parse(s, n, &b, err, sizeof(err)), extra ? -EINVAL : 0);
		if (!extra)
			assert_int_equal(strlen(b.note), 500);
		otad_request_body_free(&b);
	}
	/* a document name of 128 bytes, not 129 */
	for (int extra = 0; extra < 2; extra++) {
		n = (size_t)snprintf(s, max,
				     "{\"kind\": \"revoke\", \"holders\": [\"H\"], \"documents\": [{\"name\": \"");
		for (int i = 0; i < OTAD_REQUEST_DOC_NAME_MAX + extra; i++)
			s[n++] = 'a';
		n += (size_t)snprintf(s + n, max - n, "\", \"sha256\": \"" HASH "\"}]}");
		assert_int_equal(otad_request_parse(s, n, &b, err, sizeof(err)), extra ? -EINVAL : 0);
		otad_request_body_free(&b);
	}
	free(s);
}

static void test_reason(void **state)
{
	char reason[OTAD_REQUEST_REASON_MAX + 1], err[200];

	(void)state;
#define R(s) otad_request_reason_parse(s, strlen(s), reason, err, sizeof(err))
	assert_int_equal(R("{\"reason\": \"Thiếu chữ ký\"}"), 0);
	assert_string_equal(reason, "Thiếu chữ ký");
	assert_int_equal(R("{}"), -EINVAL);
	assert_int_equal(R("{\"reason\": \"\"}"), -EINVAL);
	assert_int_equal(R("{\"reason\": 1}"), -EINVAL);
	assert_int_equal(R("{\"reason\": \"x\", \"more\": 1}"), -EINVAL);
	assert_int_equal(R("{\"why\": \"x\"}"), -EINVAL);
	assert_int_equal(R("{\"reason\": \"a\\tb\"}"), -EINVAL);
	assert_int_equal(R("nope"), -EINVAL);
#undef R
}

static void test_query(void **state)
{
	struct otad_request_filter f;
	char unit[OTAD_UNIT_CODE_MAX + 1], err[200];
	struct api_kv good[] = {
		{ "unit", "01" }, { "state", "filed" }, { "kind", "pin-reset" }, { "limit", "5" }, { "cursor", "42" }
	};
	struct api_kv bad[][2] = {
		{ { "unit", "x" } },	 { { "state", "open" } }, { { "kind", "burn" } },
		{ { "limit", "0" } },	 { { "limit", "1001" } }, { { "limit", "" } },
		{ { "cursor", "0" } },	 { { "cursor", "-1" } },  { { "cursor", "1234567890123456789" } },
		{ { "colour", "red" } }, { { "unit", NULL } },	  { { "unit", "01" }, { "unit", "02" } },
	};

	(void)state;
	assert_int_equal(otad_request_query_parse(good, 5, &f, unit, err, sizeof(err)), 0);
	assert_string_equal(f.unit, "01");
	assert_int_equal(f.state, OTAD_REQ_FILED);
	assert_int_equal(f.kind, OTAD_REQ_PIN_RESET);
	assert_int_equal(f.limit, 5);
	assert_int_equal(f.before, 42);
	assert_int_equal(otad_request_query_parse(good, 0, &f, unit, err, sizeof(err)), 0);
	assert_null(f.unit);
	assert_int_equal(f.state, -1);
	assert_int_equal(f.limit, API_LIMIT_DEFAULT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned n = bad[i][1].key ? 2 : 1;

		if (otad_request_query_parse(bad[i], n, &f, unit, err, sizeof(err)) != -EINVAL)
			fail_msg("query %zu (%s) accepted", i, bad[i][0].key);
	}
	assert_int_equal(otad_request_stats_query_parse(good, 1, unit, err, sizeof(err)), 0);
	assert_string_equal(unit, "01");
	assert_int_equal(otad_request_stats_query_parse(good, 2, unit, err, sizeof(err)), -EINVAL);
	assert_int_equal(otad_request_stats_query_parse(bad[0], 1, unit, err, sizeof(err)), -EINVAL);
	assert_int_equal(otad_request_stats_query_parse(bad[11], 2, unit, err, sizeof(err)), -EINVAL);
}

/* ---- the database ---- */

static char dir[64];

static struct otad_db *db_open(void)
{
	struct otad_db *db;
	uint8_t mk[KEYSTORE_KEY_LEN];
	char path[96], err[256];
	static const struct otad_unit units[] = {
		{ .code = "01", .name = "Hà Nội", .kind = OTAD_UNIT_PROVINCE },
		{ .code = "0101", .name = "Phường Ba Đình", .kind = OTAD_UNIT_WARD, .parent = "01" },
		{ .code = "0102", .name = "Phường Bạch Mai", .kind = OTAD_UNIT_WARD, .parent = "01" },
		{ .code = "04", .name = "Hải Phòng", .kind = OTAD_UNIT_PROVINCE },
		{ .code = "0401", .name = "Đặc khu Cát Hải", .kind = OTAD_UNIT_WARD, .parent = "04" },
	};

	unit_tmpdir(dir, sizeof(dir), "request");
	snprintf(path, sizeof(path), "%s/master.key", dir);
	assert_int_equal(keystore_load(path, true, mk, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/otad.db", dir);
	if (otad_db_open(NULL, path, mk, &db, err, sizeof(err)))
		fail_msg("otad_db_open: %s", err);
	assert_int_equal(otad_db_units_put(db, units, sizeof(units) / sizeof(units[0]), "00"), 0);
	return db;
}

static void ids_cb(const struct otad_request *rq, void *priv)
{
	char *s = priv;

	snprintf(s + strlen(s), 64, "%lld ", (long long)rq->id);
}

static void unit_holder_cb(const char *holder, const char *unit, void *priv)
{
	char *s = priv;

	snprintf(s + strlen(s), 64, "%s@%s ", holder, unit);
}

static void stat_cb(const struct otad_request_stat *st, void *priv)
{
	char *s = priv;

	snprintf(s + strlen(s), 128, "%s:f%lld,r%lld,o%lld/%lld/%lld,old%lld ", st->unit[0] ? st->unit : "-",
		 (long long)st->counts[OTAD_REQ_FILED], (long long)st->counts[OTAD_REQ_REJECTED],
		 (long long)st->open_1d, (long long)st->open_7d, (long long)st->open_older, (long long)st->oldest_id);
}

static int64_t insert(struct otad_db *db, const char *unit, int64_t filed_ms, size_t n, ...)
{
	static struct otad_request rq;
	char holders[4][OTAD_HOLDER_ID_MAX + 1];
	va_list ap;

	memset(&rq, 0, sizeof(rq));
	rq.kind = OTAD_REQ_REVOKE;
	rq.state = OTAD_REQ_FILED;
	snprintf(rq.unit, sizeof(rq.unit), "%s", unit);
	snprintf(rq.filed_by, sizeof(rq.filed_by), "clerk");
	snprintf(rq.filed_role, sizeof(rq.filed_role), "operator");
	rq.filed_ms = filed_ms;
	snprintf(rq.params, sizeof(rq.params), "{}");
	snprintf(rq.documents, sizeof(rq.documents), "[]");
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		snprintf(holders[i], sizeof(holders[i]), "%s", va_arg(ap, const char *));
	va_end(ap);
	assert_int_equal(otad_db_request_begin(db), 0);
	assert_int_equal(otad_db_request_insert(db, &rq, (const char(*)[OTAD_HOLDER_ID_MAX + 1]) holders, n), 0);
	assert_int_equal(otad_db_request_commit(db), 0);
	return rq.id;
}

static void test_db(void **state)
{
	struct otad_db *db = db_open();
	struct otad_request_filter f = { .state = -1, .kind = -1, .limit = 100 };
	static struct otad_request rq;
	int64_t now = 100LL * 86400000, a, b, c, d, req, open, failed;
	char s[512] = "", first[200];
	static const char *const holders[][2] = {
		{ "H-1", "0101" }, { "H-2", "0101" }, { "H-3", "0102" }, { "H-9", "0401" }
	};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct otad_holder h = { 0 };

		snprintf(h.id, sizeof(h.id), "%s", holders[i][0]);
		snprintf(h.name, sizeof(h.name), "Nguyễn %zu", i);
		snprintf(h.id_number, sizeof(h.id_number), "079%zu", i);
		snprintf(h.unit, sizeof(h.unit), "%s", holders[i][1]);
		assert_int_equal(otad_db_holder_add(db, &h), 0);
	}
	assert_int_equal(otad_db_request_unit_holders(db, "01", 10, unit_holder_cb, s), 3);
	assert_string_equal(s, "H-1@0101 H-2@0101 H-3@0102 ");
	assert_int_equal(otad_db_request_unit_holders(db, "01", 2, unit_holder_cb, s), -E2BIG);
	assert_int_equal(otad_db_request_unit_holders(db, "0401", 2, unit_holder_cb, s), 1);

	a = insert(db, "01", now - 10 * 86400000LL, 2, "H-1", "H-3");  /* 10 days old */
	b = insert(db, "0101", now - 3 * 86400000LL, 2, "H-1", "H-2"); /* 3 days */
	c = insert(db, "0102", now - 1000, 1, "H-3");		       /* now */
	d = insert(db, "04", now - 1000, 1, "H-9");
	assert_int_equal(otad_db_request_get(db, a, &rq), 0);
	assert_int_equal(rq.holders, 2);
	assert_string_equal(rq.unit, "01");
	assert_int_equal(rq.state, OTAD_REQ_FILED);
	assert_int_equal(otad_db_request_get(db, 999, &rq), -ENOENT);

	/* a conditional change: only from the state seen */
	assert_int_equal(otad_db_request_set_state(db, b, OTAD_REQ_FILED, OTAD_REQ_REJECTED, "ra", "no", 0, now), 0);
	assert_int_equal(otad_db_request_set_state(db, b, OTAD_REQ_FILED, OTAD_REQ_APPROVED, "ra", NULL, 0, now),
			 -ESTALE);
	assert_int_equal(otad_db_request_get(db, b, &rq), 0);
	assert_int_equal(rq.state, OTAD_REQ_REJECTED);
	assert_string_equal(rq.decided_by, "ra");
	assert_string_equal(rq.reason, "no");
	assert_int_equal(rq.decided_ms, now);
	/* a rolled back change leaves nothing */
	assert_int_equal(otad_db_request_begin(db), 0);
	assert_int_equal(otad_db_request_set_state(db, c, OTAD_REQ_FILED, OTAD_REQ_WITHDRAWN, "clerk", NULL, 0, now),
			 0);
	otad_db_request_rollback(db);
	assert_int_equal(otad_db_request_get(db, c, &rq), 0);
	assert_int_equal(rq.state, OTAD_REQ_FILED);

	/* lists: newest first, subtree, state, cursor */
	s[0] = 0;
	assert_int_equal(otad_db_requests_list(db, &f, ids_cb, s), 4);
	snprintf(first, sizeof(first), "%lld %lld %lld %lld ", (long long)d, (long long)c, (long long)b, (long long)a);
	assert_string_equal(s, first);
	f.unit = "01";
	s[0] = 0;
	assert_int_equal(otad_db_requests_list(db, &f, ids_cb, s), 3);
	f.unit = "0101";
	s[0] = 0;
	assert_int_equal(otad_db_requests_list(db, &f, ids_cb, s), 1);
	f.unit = NULL;
	f.state = OTAD_REQ_FILED;
	f.before = d;
	s[0] = 0;
	assert_int_equal(otad_db_requests_list(db, &f, ids_cb, s), 2);

	/* items */
	assert_int_equal(otad_db_request_set_state(db, a, OTAD_REQ_FILED, OTAD_REQ_APPROVED, "ra", NULL, 0, now), 0);
	assert_int_equal(otad_db_request_set_state(db, a, OTAD_REQ_APPROVED, OTAD_REQ_EXECUTING, NULL, NULL, 7, now),
			 0);
	assert_int_equal(otad_db_request_get(db, a, &rq), 0);
	assert_int_equal(rq.op, 7);
	assert_int_equal(otad_db_request_item_set(db, a, "H-1", 11, NULL), 0);
	assert_int_equal(otad_db_request_item_set(db, a, "H-3", 12, NULL), 0);
	assert_int_equal(otad_db_request_items_count(db, a, &open, &failed, first, sizeof(first)), 0);
	assert_int_equal(open, 2);
	assert_int_equal(failed, 0);
	assert_int_equal(otad_db_request_item_end(db, 0, OTAD_REQ_PIN_RESET, 11, "done", &req), -ENOENT); /* a revoke */
	assert_int_equal(otad_db_request_item_end(db, 0, OTAD_REQ_REVOKE, 11, "done", &req), 0);
	assert_int_equal(req, a);
	assert_int_equal(otad_db_request_item_end(db, a, OTAD_REQ_REVOKE, 11, "done", &req), -ENOENT); /* once */
	assert_int_equal(otad_db_request_item_end(db, a, OTAD_REQ_REVOKE, 12, "failed: no card", &req), 0);
	assert_int_equal(otad_db_request_items_count(db, a, &open, &failed, first, sizeof(first)), 0);
	assert_int_equal(open, 0);
	assert_int_equal(failed, 1);
	assert_string_equal(first, "H-3: failed: no card");

	/* stats: under 01 (01 itself, 0101, 0102), and the whole tree (01, 04) */
	s[0] = 0;
	assert_int_equal(otad_db_request_stats(db, "01", now, stat_cb, s), 3);
	snprintf(first, sizeof(first), "01:f0,r0,o0/0/1,old%lld 0101:f0,r1,o0/0/0,old0 0102:f1,r0,o1/0/0,old%lld ",
		 (long long)a, (long long)c);
	assert_string_equal(s, first);
	s[0] = 0;
	assert_int_equal(otad_db_request_stats(db, NULL, now, stat_cb, s), 2);
	snprintf(first, sizeof(first), "01:f1,r1,o1/0/1,old%lld 04:f1,r0,o1/0/0,old%lld ", (long long)a, (long long)d);
	assert_string_equal(s, first);
	s[0] = 0;
	assert_int_equal(otad_db_request_stats(db, "0401", now, stat_cb, s), 0);

	otad_db_close(db);
	assert_int_equal(unit_rmdir(dir), 0);
}

int main(void)
{
	static struct unit_list l;

	unit_add(&l, "state table", test_state_table, NULL);
	unit_add(&l, "names", test_names, NULL);
	unit_add(&l, "four eyes", test_four_eyes, NULL);
	unit_add(&l, "common unit", test_common_unit, NULL);
	unit_add(&l, "body: good", test_parse_good, NULL);
	for (size_t i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]); i++)
		unit_add(&l, bad_bodies[i].body, test_parse_bad_one, &bad_bodies[i]);
	unit_add(&l, "body: limits", test_parse_limits, NULL);
	unit_add(&l, "rejection reason", test_reason, NULL);
	unit_add(&l, "queries", test_query, NULL);
	unit_add(&l, "database", test_db, NULL);
	return unit_run("request", &l);
}
