/* Unit tests of ota-server/api_parse.c and api_ratelimit.c: routes (each resource, methods, bad ICCIDs and ids,
 * roles), query parameters, card states, counter floors, per-key allowances, bearer headers, job bodies (good;
 * every kind of bad one with its message) and token bodies; holders (routes with an argument inside the path, the
 * holder body, the card's holder body, the holders query). */
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include "api_parse.h"
#include "api_ratelimit.h"
#include "otad_perm.h"

#include "unit.h"

static void test_route(void **state)
{
	char arg[API_ROUTE_ARG_MAX];
	const char *allow;

	(void)state;
	assert_int_equal(api_route("POST", "/v1/cards/import", arg, &allow), API_CARDS_IMPORT);
	assert_int_equal(api_route("GET", "/v1/cards/import", arg, &allow), API_BAD_METHOD);
	assert_string_equal(allow, "POST");
	assert_int_equal(api_route("GET", "/v1/cards", arg, &allow), API_CARDS_LIST);
	assert_int_equal(api_route("GET", "/v1/cards/8984010000000000005", arg, &allow), API_CARD_GET);
	assert_string_equal(arg, "8984010000000000005");
	assert_int_equal(api_route("PATCH", "/v1/cards/8984010000000000005", arg, &allow), API_CARD_PATCH);
	assert_int_equal(api_route("PUT", "/v1/cards/8984010000000000005", arg, &allow), API_BAD_METHOD);
	assert_string_equal(allow, "GET, PATCH");
	/* a malformed ICCID is a bad request, not an unknown card */
	assert_int_equal(api_route("GET", "/v1/cards/89840100000000000", arg, &allow), API_BAD_ICCID);
	assert_int_equal(api_route("GET", "/v1/cards/898401000000000000512", arg, &allow), API_BAD_ICCID);
	assert_int_equal(api_route("GET", "/v1/cards/898401000000000000X", arg, &allow), API_BAD_ICCID);
	assert_int_equal(api_route("GET", "/v1/cards/8984010000000000005/x", arg, &allow), API_NONE);
	assert_int_equal(api_route("POST", "/v1/jobs", arg, &allow), API_JOBS_CREATE);
	assert_int_equal(api_route("GET", "/v1/jobs", arg, &allow), API_JOBS_LIST);
	assert_int_equal(api_route("PUT", "/v1/jobs", arg, &allow), API_BAD_METHOD);
	assert_string_equal(allow, "GET, POST");
	assert_int_equal(api_route("GET", "/v1/jobs/42", arg, &allow), API_JOB_GET);
	assert_string_equal(arg, "42");
	assert_int_equal(api_route("DELETE", "/v1/jobs/42", arg, &allow), API_JOB_CANCEL);
	assert_int_equal(api_route("GET", "/v1/jobs/042", arg, &allow), API_BAD_ID);
	assert_int_equal(api_route("GET", "/v1/jobs/1234567890123456789", arg, &allow), API_BAD_ID);
	assert_int_equal(api_route("GET", "/v1/jobs/x", arg, &allow), API_BAD_ID);
	assert_int_equal(api_route("GET", "/v1/jobs/", arg, &allow), API_NONE);
	assert_int_equal(api_route("GET", "/v1/imports/7", arg, &allow), API_IMPORT_GET);
	assert_int_equal(api_route("POST", "/v1/tokens", arg, &allow), API_TOKENS_CREATE);
	assert_int_equal(api_route("GET", "/v1/tokens", arg, &allow), API_TOKENS_LIST);
	assert_int_equal(api_route("DELETE", "/v1/tokens/ra-hanoi.1", arg, &allow), API_TOKEN_REVOKE);
	assert_string_equal(arg, "ra-hanoi.1");
	assert_int_equal(api_route("DELETE", "/v1/tokens/ra hanoi", arg, &allow), API_NONE);
	assert_int_equal(api_route("GET", "/v1/jobs/1/x", arg, &allow), API_NONE);
	assert_int_equal(api_route("GET", "/", arg, &allow), API_NONE);
	/* actions */
	assert_int_equal(api_route_action(API_JOB_GET), OTAD_ACT_CARD_READ);
	assert_int_equal(api_route_action(API_JOBS_CREATE), OTAD_ACT_CARD_WRITE);
	assert_int_equal(api_route_action(API_TOKEN_REVOKE), OTAD_ACT_TOKEN_MANAGE);
	/* requests: stats is not an id */
	assert_int_equal(api_route("POST", "/v1/requests", arg, &allow), API_REQUESTS_CREATE);
	assert_int_equal(api_route("GET", "/v1/requests", arg, &allow), API_REQUESTS_LIST);
	assert_int_equal(api_route("GET", "/v1/requests/stats", arg, &allow), API_REQUESTS_STATS);
	assert_int_equal(api_route("POST", "/v1/requests/stats", arg, &allow), API_BAD_METHOD);
	assert_int_equal(api_route("GET", "/v1/requests/7", arg, &allow), API_REQUEST_GET);
	assert_string_equal(arg, "7");
	assert_int_equal(api_route("POST", "/v1/requests/7/approve", arg, &allow), API_REQUEST_APPROVE);
	assert_int_equal(api_route("POST", "/v1/requests/7/reject", arg, &allow), API_REQUEST_REJECT);
	assert_int_equal(api_route("POST", "/v1/requests/7/withdraw", arg, &allow), API_REQUEST_WITHDRAW);
	assert_int_equal(api_route("GET", "/v1/requests/7/approve", arg, &allow), API_BAD_METHOD);
	assert_string_equal(allow, "POST");
	assert_int_equal(api_route("GET", "/v1/requests/x7", arg, &allow), API_BAD_ID);
	assert_int_equal(api_route("POST", "/v1/requests/7/execute", arg, &allow), API_NONE);
	assert_int_equal(api_route_action(API_REQUESTS_CREATE), OTAD_ACT_REQUEST_FILE);
	assert_int_equal(api_route_action(API_REQUEST_APPROVE), OTAD_ACT_REQUEST_DECIDE);
	assert_int_equal(api_route("POST", "/v1/database/counter-floor", arg, &allow), API_COUNTER_FLOOR);
	assert_int_equal(api_route_action(API_COUNTER_FLOOR), OTAD_ACT_DATABASE_MANAGE);
	assert_int_equal(api_route("GET", "/v1/database", arg, &allow), API_DATABASE_GET);
}

static void test_query(void **state)
{
	struct otad_job_filter jf;
	struct otad_card_filter cf;
	char iccid[21], err[200];
	struct api_kv kv[3] = { { NULL, NULL } };

	(void)state;
	assert_int_equal(api_jobs_query(kv, 0, &jf, iccid, err, sizeof(err)), 0);
	assert_int_equal(jf.limit, API_LIMIT_DEFAULT);
	assert_int_equal(jf.state, -1);
	assert_null(jf.iccid);
	kv[0] = (struct api_kv){ "state", "por-ok" };
	kv[1] = (struct api_kv){ "since", "2026-12-06T10:00:00Z" };
	kv[2] = (struct api_kv){ "cursor", "17" };
	assert_int_equal(api_jobs_query(kv, 3, &jf, iccid, err, sizeof(err)), 0);
	assert_int_equal(jf.state, OTAD_JOB_POR_OK);
	assert_int_equal(jf.since_ms, 1796551200000LL);
	assert_int_equal(jf.before_id, 17);
	kv[1] = (struct api_kv){ "since", "1796551200" };
	assert_int_equal(api_jobs_query(kv, 2, &jf, iccid, err, sizeof(err)), 0);
	assert_int_equal(jf.since_ms, 1796551200000LL);
	kv[0] = (struct api_kv){ "iccid", "8984010000000000005" };
	kv[1] = (struct api_kv){ "limit", "1000" };
	assert_int_equal(api_jobs_query(kv, 2, &jf, iccid, err, sizeof(err)), 0);
	assert_string_equal(jf.iccid, "8984010000000000005");
	assert_int_equal(jf.limit, 1000);
	/* bad ones, each named */
	kv[0] = (struct api_kv){ "limit", "1001" };
	assert_int_equal(api_jobs_query(kv, 1, &jf, iccid, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "limit"));
	kv[0] = (struct api_kv){ "limit", "0" };
	assert_int_equal(api_jobs_query(kv, 1, &jf, iccid, err, sizeof(err)), -EINVAL);
	kv[0] = (struct api_kv){ "state", "done" };
	assert_int_equal(api_jobs_query(kv, 1, &jf, iccid, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "state"));
	kv[0] = (struct api_kv){ "iccid", "898401" };
	assert_int_equal(api_jobs_query(kv, 1, &jf, iccid, err, sizeof(err)), -EINVAL);
	kv[0] = (struct api_kv){ "since", "yesterday" };
	assert_int_equal(api_jobs_query(kv, 1, &jf, iccid, err, sizeof(err)), -EINVAL);
	kv[0] = (struct api_kv){ "cursor", "-1" };
	assert_int_equal(api_jobs_query(kv, 1, &jf, iccid, err, sizeof(err)), -EINVAL);
	kv[0] = (struct api_kv){ "cursor", NULL };
	assert_int_equal(api_jobs_query(kv, 1, &jf, iccid, err, sizeof(err)), -EINVAL);
	kv[0] = (struct api_kv){ "color", "red" };
	assert_int_equal(api_jobs_query(kv, 1, &jf, iccid, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown parameter 'color'"));
	kv[0] = (struct api_kv){ "limit", "5" };
	kv[1] = (struct api_kv){ "limit", "6" };
	assert_int_equal(api_jobs_query(kv, 2, &jf, iccid, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "twice"));

	kv[0] = (struct api_kv){ "state", "suspended" };
	kv[1] = (struct api_kv){ "batch", "3" };
	kv[2] = (struct api_kv){ "cursor", "8984010000000000005" };
	assert_int_equal(api_cards_query(kv, 3, &cf, iccid, err, sizeof(err)), 0);
	assert_string_equal(cf.state, "suspended");
	assert_int_equal(cf.batch, 3);
	assert_string_equal(cf.after_iccid, "8984010000000000005");
	kv[0] = (struct api_kv){ "state", "stolen" };
	assert_int_equal(api_cards_query(kv, 1, &cf, iccid, err, sizeof(err)), -EINVAL);
	kv[0] = (struct api_kv){ "batch", "0" };
	assert_int_equal(api_cards_query(kv, 1, &cf, iccid, err, sizeof(err)), -EINVAL);
	kv[0] = (struct api_kv){ "cursor", "12" };
	assert_int_equal(api_cards_query(kv, 1, &cf, iccid, err, sizeof(err)), -EINVAL);
}

static void test_floor(void **state)
{
	struct api_floor_req f;
	char err[200];

	(void)state;
#define FLOOR(s) api_floor_parse(s, strlen(s), &f, err, sizeof(err))
	assert_int_equal(FLOOR("{\"iccid\": \"8984010000000000005\", \"kvn\": 2, \"floor\": 5000}"), 0);
	assert_int_equal(f.what, API_FLOOR_ONE);
	assert_string_equal(f.iccid, "8984010000000000005");
	assert_int_equal(f.kvn, 2);
	assert_int_equal(f.n, 5000);
	assert_int_equal(FLOOR("{\"raise_all_by\": 1099511627775}"), 0);
	assert_int_equal(f.what, API_FLOOR_ALL);
	assert_int_equal(f.n, 1099511627775ULL);
	assert_int_equal(FLOOR("{\"confirm\": true}"), 0);
	assert_int_equal(f.what, API_FLOOR_CONFIRM);
	assert_int_equal(FLOOR("{\"confirm\": false}"), -EINVAL);
	assert_int_equal(FLOOR("{\"raise_all_by\": 0}"), -EINVAL);
	assert_int_equal(FLOOR("{\"raise_all_by\": 1099511627776}"), -EINVAL);
	assert_int_equal(FLOOR("{\"raise_all_by\": \"5\"}"), -EINVAL);
	assert_int_equal(FLOOR("{\"iccid\": \"898401\", \"kvn\": 2, \"floor\": 5}"), -EINVAL);
	assert_non_null(strstr(err, "iccid"));
	assert_int_equal(FLOOR("{\"iccid\": \"8984010000000000005\", \"kvn\": 16, \"floor\": 5}"), -EINVAL);
	assert_non_null(strstr(err, "kvn"));
	assert_int_equal(FLOOR("{\"iccid\": \"8984010000000000005\", \"kvn\": 1, \"floor\": -5}"), -EINVAL);
	assert_int_equal(FLOOR("{\"iccid\": \"8984010000000000005\", \"kvn\": 1}"), -EINVAL);
	assert_int_equal(FLOOR("{\"confirm\": true, \"raise_all_by\": 5}"), -EINVAL);
	assert_int_equal(FLOOR("[]"), -EINVAL);
	assert_int_equal(FLOOR("{"), -EINVAL);
#undef FLOOR
}

/* Allowances are per key and per second; one key's flood leaves the others theirs, also with the table full. */
static void test_ratelimit(void **state)
{
	struct api_ratelimit *rl = api_ratelimit_alloc(NULL);
	uint8_t flood[32] = { 1, 2, 3 }, admin[32] = { 1, 2, 4 }, other[32];
	unsigned ok = 0;

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 1000; i++)
		ok += api_ratelimit_take(rl, flood, 10, 100);
	assert_int_equal(ok, 10);
	/* the same first bytes (the same slot to start from), another key: its own allowance */
	for (int i = 0; i < 50; i++)
		assert_true(api_ratelimit_take(rl, admin, 50, 100));
	assert_false(api_ratelimit_take(rl, admin, 50, 100));
	/* the next second: allowed again */
	assert_true(api_ratelimit_take(rl, flood, 10, 101));
	/* 0: no limit */
	for (int i = 0; i < 100; i++)
		assert_true(api_ratelimit_take(rl, flood, 0, 101));
	/* every slot taken by other keys in this second: a new key still gets through at first */
	for (unsigned k = 0; k < 3 * API_RATELIMIT_SLOTS; k++) {
		memset(other, 0, sizeof(other));
		memcpy(other, &k, sizeof(k));
		api_ratelimit_take(rl, other, 1000, 102);
	}
	admin[5] = 9;
	assert_true(api_ratelimit_take(rl, admin, 1000, 102));
	talloc_free(rl);
}

static void test_card_patch(void **state)
{
	char err[160];
	int st;

	(void)state;
	assert_int_equal(api_card_patch_parse("{\"state\": \"lost\"}", 17, &st, err, sizeof(err)), 0);
	assert_int_equal(st, OTAD_CARD_LOST);
	assert_int_equal(api_card_patch_parse("{\"state\": \"gone\"}", 17, &st, err, sizeof(err)), -EINVAL);
	assert_int_equal(api_card_patch_parse("{\"state\": \"lost\", \"x\": 1}", 25, &st, err, sizeof(err)), -EINVAL);
	assert_int_equal(api_card_patch_parse("[\"lost\"]", 8, &st, err, sizeof(err)), -EINVAL);
	assert_int_equal(api_card_patch_parse("{\"state\": 1}", 12, &st, err, sizeof(err)), -EINVAL);
	assert_int_equal(api_card_patch_parse("{", 1, &st, err, sizeof(err)), -EINVAL);
}

static void test_bearer(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(api_bearer("Bearer 0123456789abcdef", &t), 16);
	assert_string_equal(t, "0123456789abcdef");
	assert_int_equal(api_bearer("Bearer 0123456789abcde", &t), -EINVAL);
	assert_int_equal(api_bearer("Basic 0123456789abcdef", &t), -EINVAL);
	assert_int_equal(api_bearer("Bearer 0123456789 abcdef", &t), -EINVAL);
	assert_int_equal(api_bearer(NULL, &t), -EINVAL);
}

static void expect_bad(const char *body, const char *msg)
{
	static struct api_job_req req;
	char err[256] = "";

	assert_int_equal(api_job_parse(body, strlen(body), &req, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("body %s: '%s' lacks '%s'", body, err, msg);
}

static void test_job(void **state)
{
	static struct api_job_req req;
	const char *good = "{\"iccid\": \"8984010000000000005\", \"tar\": \"B00010\", \"apdus\": [\"00A4000C022FE2\","
			   " \"00b000000a\"]}";
	char err[256], name[65], scope[OTAD_UNIT_CODE_MAX + 1];
	int role;

	(void)state;
	assert_int_equal(api_job_parse(good, strlen(good), &req, err, sizeof(err)), 0);
	assert_string_equal(req.iccid, "8984010000000000005");
	assert_memory_equal(req.tar, "\xb0\x00\x10", 3);
	assert_int_equal(req.script_len, 12);
	assert_memory_equal(req.script + 7, "\x00\xb0\x00\x00\x0a", 5);
	assert_true(req.idempotent); /* SELECT and READ BINARY only read */
	{
		const char *write =
			"{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": [\"00A4000C022FE2\","
			" \"00D6000001FF\"]}";
		const char *forced =
			"{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": [\"00D6000001FF\"],"
			" \"idempotent\": true}";
		const char *once =
			"{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": [\"00B000000A\"],"
			" \"idempotent\": false}";

		assert_int_equal(api_job_parse(write, strlen(write), &req, err, sizeof(err)), 0);
		assert_false(req.idempotent); /* UPDATE BINARY writes: at most once */
		assert_int_equal(api_job_parse(forced, strlen(forced), &req, err, sizeof(err)), 0);
		assert_true(req.idempotent);
		assert_int_equal(api_job_parse(once, strlen(once), &req, err, sizeof(err)), 0);
		assert_false(req.idempotent);
	}
	expect_bad("{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": [\"00B000000A\"], "
		   "\"idempotent\": 1}",
		   "idempotent: true or false");
	/* delivery mode, SPI, KVN: optional, 0 (the configuration's) when left out */
	assert_int_equal(api_job_parse(good, strlen(good), &req, err, sizeof(err)), 0);
	assert_int_equal(req.opts.mode, OTAD_JOB_MODE_DEFAULT);
	assert_false(req.opts.has_spi);
	assert_int_equal(req.opts.kvn, 0);
	{
		const char *all =
			"{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": [\"00B000000A\"],"
			" \"mode\": \"forward\", \"spi\": \"1E39\", \"kvn\": 15}";
		const char *store =
			"{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": [\"00B000000A\"],"
			" \"mode\": \"store\", \"kvn\": 1}";

		assert_int_equal(api_job_parse(all, strlen(all), &req, err, sizeof(err)), 0);
		assert_int_equal(req.opts.mode, OTAD_JOB_MODE_FORWARD);
		assert_true(req.opts.has_spi);
		assert_memory_equal(req.opts.spi, "\x1e\x39", 2);
		assert_int_equal(req.opts.kvn, 15);
		assert_int_equal(api_job_parse(store, strlen(store), &req, err, sizeof(err)), 0);
		assert_int_equal(req.opts.mode, OTAD_JOB_MODE_STORE);
		assert_int_equal(req.opts.kvn, 1);
	}
#define JOB_WITH(x) "{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": [\"00B000000A\"], " x "}"
	expect_bad(JOB_WITH("\"mode\": \"transaction\""), "mode: \"store\" or \"forward\"");
	expect_bad(JOB_WITH("\"mode\": \"\""), "mode: \"store\" or \"forward\"");
	expect_bad(JOB_WITH("\"mode\": 2"), "mode: \"store\" or \"forward\"");
	expect_bad(JOB_WITH("\"mode\": \"Forward\""), "mode: \"store\" or \"forward\"");
	expect_bad(JOB_WITH("\"spi\": \"163\""), "spi: 2 bytes as 4 hex digits");
	expect_bad(JOB_WITH("\"spi\": \"163900\""), "spi: 2 bytes as 4 hex digits");
	expect_bad(JOB_WITH("\"spi\": \"16g9\""), "spi: 2 bytes as 4 hex digits");
	expect_bad(JOB_WITH("\"spi\": 5689"), "spi: 2 bytes as 4 hex digits");
	expect_bad(JOB_WITH("\"spi\": null"), "spi: 2 bytes as 4 hex digits");
	expect_bad(JOB_WITH("\"kvn\": 0"), "kvn: a key version number, 1 to 15");
	expect_bad(JOB_WITH("\"kvn\": 16"), "kvn: a key version number, 1 to 15");
	expect_bad(JOB_WITH("\"kvn\": -1"), "kvn: a key version number, 1 to 15");
	expect_bad(JOB_WITH("\"kvn\": 1.0"), "kvn: a key version number, 1 to 15");
	expect_bad(JOB_WITH("\"kvn\": \"1\""), "kvn: a key version number, 1 to 15");
	expect_bad(JOB_WITH("\"kvn\": 4294967297"), "kvn: a key version number, 1 to 15");
	expect_bad(JOB_WITH("\"keyset\": 1"), "unknown member 'keyset'");
#undef JOB_WITH
	expect_bad("{\"iccid\": ", "not JSON");
	expect_bad("[1]", "a JSON object");
	expect_bad("{\"iccid\": \"8984010000000000005\", \"iccid\": \"8984010000000000005\"}", "not JSON");
	expect_bad("{\"iccid\": 8984010000000000005, \"tar\": \"b00010\", \"apdus\": [\"00B000000A\"]}", "iccid");
	expect_bad("{\"iccid\": \"89840100000000000\", \"tar\": \"b00010\", \"apdus\": [\"00B000000A\"]}", "iccid");
	expect_bad("{\"iccid\": \"8984010000000000005\", \"tar\": \"b0001\", \"apdus\": [\"00B000000A\"]}", "tar");
	expect_bad("{\"iccid\": \"8984010000000000005\", \"tar\": \"b0001g\", \"apdus\": [\"00B000000A\"]}", "tar");
	expect_bad("{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": []}", "apdus: a list");
	expect_bad("{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": \"00B000000A\"}", "apdus");
	expect_bad("{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": [\"00B0\"]}", "apdus[0]");
	expect_bad("{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": [\"00B000000A\", 5]}",
		   "apdus[1]");
	expect_bad("{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": [\"00A4000C022F\"]}",
		   "apdus[0]");
	expect_bad("{\"iccid\": \"8984010000000000005\", \"tar\": \"b00010\", \"apdus\": [\"00B000000A\"], \"x\": 1}",
		   "unknown member 'x'");
	assert_int_equal(api_token_parse("{\"name\": \"ra-hanoi.1\"}", 22, name, &role, scope, err, sizeof(err)), 0);
	assert_string_equal(name, "ra-hanoi.1");
	assert_int_equal(role, OTAD_ROLE_OPERATOR);
	assert_string_equal(scope, "");
	assert_int_equal(api_token_parse("{\"name\": \"audit\", \"role\": \"read-only\"}", 38, name, &role, scope, err,
					 sizeof(err)),
			 0);
	assert_int_equal(role, OTAD_ROLE_READ_ONLY);
	assert_int_equal(
		api_token_parse("{\"name\": \"x\", \"role\": \"root\"}", 29, name, &role, scope, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "role"));
	assert_int_equal(api_token_parse("{\"name\": \"ra hanoi\"}", 20, name, &role, scope, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(api_token_parse("{\"name\": \"\"}", 12, name, &role, scope, err, sizeof(err)), -EINVAL);
	assert_int_equal(api_token_parse("{\"name\": \"a\", \"b\": 1}", 21, name, &role, scope, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(api_token_parse("{\"name\": \"a\\u0000b\"}", 20, name, &role, scope, err, sizeof(err)),
			 -EINVAL);
}

/* POST /v1/tokens with the delegated roles and scopes, and their bad cases. */
static void test_token_scope(void **state)
{
	char name[65], err[160], scope[OTAD_UNIT_CODE_MAX + 1];
	int role;
	static const struct {
		const char *body, *err;
	} bad[] = {
		{ "{\"name\": \"ra\", \"role\": \"unit-ra\"}", "needs one" },
		{ "{\"name\": \"ra\", \"role\": \"counter\", \"scope\": null}", "needs one" },
		{ "{\"name\": \"ra\", \"role\": \"unit-ra\", \"scope\": \"\"}", "scope" },
		{ "{\"name\": \"ra\", \"role\": \"unit-ra\", \"scope\": 1}", "scope" },
		{ "{\"name\": \"ra\", \"role\": \"unit-ra\", \"scope\": \"0a\"}", "scope" },
		{ "{\"name\": \"ra\", \"role\": \"unit-ra\", \"scope\": \"-1\"}", "scope" },
		{ "{\"name\": \"ra\", \"role\": \"unit-ra\", \"scope\": \"0123456789012345\"}", "scope" },
		{ "{\"name\": \"ra\", \"role\": \"unit-ra\", \"scope\": \"01\\u0000\"}", "not JSON" },
		{ "{\"name\": \"ra\", \"role\": \"unit-ra\", \"scope\": [\"01\"]}", "scope" },
		{ "{\"name\": \"ra\", \"role\": \"unit-ra\", \"scope\": \"01\", \"scope\": \"02\"}", "" },
		{ "{\"name\": \"ra\", \"role\": \"Unit-RA\", \"scope\": \"01\"}", "role" },
		{ "{\"name\": \"ra\", \"role\": null, \"scope\": \"01\"}", "role" },
		{ "{\"name\": \"ra\", \"scopes\": \"01\"}", "unknown member" },
	};

	(void)state;
	assert_int_equal(api_token_parse("{\"name\": \"ra-hn\", \"role\": \"unit-ra\", \"scope\": \"01\"}",
					 strlen("{\"name\": \"ra-hn\", \"role\": \"unit-ra\", \"scope\": \"01\"}"),
					 name, &role, scope, err, sizeof(err)),
			 0);
	assert_int_equal(role, OTAD_ROLE_UNIT_RA);
	assert_string_equal(scope, "01");
	assert_int_equal(api_token_parse("{\"name\": \"desk\", \"role\": \"counter\", \"scope\": \"10101003\"}",
					 strlen("{\"name\": \"desk\", \"role\": \"counter\", \"scope\": \"10101003\"}"),
					 name, &role, scope, err, sizeof(err)),
			 0);
	assert_int_equal(role, OTAD_ROLE_COUNTER);
	assert_string_equal(scope, "10101003");
	assert_int_equal(api_token_parse("{\"name\": \"au\", \"role\": \"auditor\", \"scope\": null}",
					 strlen("{\"name\": \"au\", \"role\": \"auditor\", \"scope\": null}"), name,
					 &role, scope, err, sizeof(err)),
			 0);
	assert_int_equal(role, OTAD_ROLE_AUDITOR);
	assert_string_equal(scope, "");
	assert_int_equal(
		api_token_parse("{\"name\": \"c\", \"role\": \"central-ra\", \"scope\": \"012345678901234\"}",
				strlen("{\"name\": \"c\", \"role\": \"central-ra\", \"scope\": \"012345678901234\"}"),
				name, &role, scope, err, sizeof(err)),
		0);
	assert_string_equal(scope, "012345678901234");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (api_token_parse(bad[i].body, strlen(bad[i].body), name, &role, scope, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted: %s", bad[i].body);
		if (!err[0] || !strstr(err, bad[i].err))
			fail_msg("%s: '%s' does not say '%s'", bad[i].body, err, bad[i].err);
	}
	assert_true(api_role_needs_scope(OTAD_ROLE_UNIT_RA));
	assert_true(api_role_needs_scope(OTAD_ROLE_COUNTER));
	assert_false(api_role_needs_scope(OTAD_ROLE_CENTRAL_RA));
	assert_false(api_role_needs_scope(OTAD_ROLE_READ_ONLY));
}

/* Every route has an action; nothing is left to the default. */
static void test_route_actions(void **state)
{
	(void)state;
	for (int r = API_NONE + 1; r < API_BAD_METHOD; r++)
		if (api_route_action((enum api_route)r) < 0)
			fail_msg("route %d has no action", r);
	assert_int_equal(api_route_action(API_NONE), -ENOSYS);
	assert_int_equal(api_route_action(API_CARD_ENROL), OTAD_ACT_CERT_ENROL);
	assert_int_equal(api_route_action(API_CAMPAIGN_PAUSE), OTAD_ACT_CAMPAIGN_WRITE);
	assert_int_equal(api_route_action(API_CAMPAIGN_CARDS), OTAD_ACT_CAMPAIGN_READ);
	assert_int_equal(api_route_action(API_ENROL_GET), OTAD_ACT_HOLDER_READ);
	assert_int_equal(api_route_action(API_CARDS_IMPORT), OTAD_ACT_CARD_WRITE);
	assert_int_equal(api_route_action(API_DATABASE_GET), OTAD_ACT_DATABASE_MANAGE);
}

static void test_holder_routes(void **state)
{
	char arg[API_ROUTE_ARG_MAX];
	const char *allow;

	(void)state;
	assert_int_equal(api_route("GET", "/v1/cards/8984010000000000005/certificates", arg, &allow), API_CARD_CERTS);
	assert_string_equal(arg, "8984010000000000005");
	assert_int_equal(api_route("PUT", "/v1/cards/8984010000000000005/holder", arg, &allow), API_CARD_HOLDER);
	assert_string_equal(arg, "8984010000000000005");
	assert_int_equal(api_route("GET", "/v1/cards/8984010000000000005/holder", arg, &allow), API_BAD_METHOD);
	assert_string_equal(allow, "PUT");
	assert_int_equal(api_route("GET", "/v1/cards/898401/certificates", arg, &allow), API_BAD_ICCID);
	assert_int_equal(api_route("GET", "/v1/cards//certificates", arg, &allow), API_NONE);
	assert_int_equal(api_route("GET", "/v1/cards/8984010000000000005/certificates/1", arg, &allow), API_NONE);
	assert_int_equal(api_route("GET", "/v1/cards/8984010000000000005/x/certificates", arg, &allow), API_NONE);
	assert_int_equal(api_route("POST", "/v1/holders", arg, &allow), API_HOLDERS_CREATE);
	assert_int_equal(api_route("GET", "/v1/holders", arg, &allow), API_HOLDERS_LIST);
	assert_int_equal(api_route("POST", "/v1/holders/import", arg, &allow), API_HOLDERS_IMPORT);
	assert_int_equal(api_route("GET", "/v1/holders/H-0001", arg, &allow), API_HOLDER_GET);
	assert_string_equal(arg, "H-0001");
	assert_int_equal(api_route("PATCH", "/v1/holders/H-0001", arg, &allow), API_HOLDER_PATCH);
	assert_string_equal(arg, "H-0001");
	assert_int_equal(api_route("DELETE", "/v1/holders/H-0001", arg, &allow), API_BAD_METHOD);
	assert_string_equal(allow, "GET, PATCH");
	assert_int_equal(api_route("GET", "/v1/holders/H*1", arg, &allow), API_BAD_HOLDER_ID);
	assert_int_equal(api_route("GET",
				   "/v1/holders/0123456789012345678901234567890123456789012345678901234567890123456789",
				   arg, &allow),
			 API_BAD_HOLDER_ID);
	assert_int_equal(api_route_action(API_HOLDERS_CREATE), OTAD_ACT_HOLDER_WRITE);
	assert_int_equal(api_route_action(API_HOLDERS_IMPORT), OTAD_ACT_HOLDER_WRITE);
	assert_int_equal(api_route_action(API_CARD_HOLDER), OTAD_ACT_HOLDER_WRITE);
	assert_int_equal(api_route_action(API_HOLDER_GET), OTAD_ACT_HOLDER_READ);
	assert_int_equal(api_route_action(API_HOLDER_PATCH), OTAD_ACT_HOLDER_WRITE);
	assert_int_equal(api_route_action(API_CARD_CERTS), OTAD_ACT_HOLDER_READ);
}

static const struct {
	const char *body, *err; /* err NULL: accepted */
} holder_bodies[] = {
	{ "{\"id\":\"H-1\",\"name\":\"Nguyễn Thị Minh Khai\",\"id_number\":\"079123456789\",\"unit\":\"10101003\"}",
	  NULL },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"1\",\"unit\":\"01\",\"email\":null}", NULL },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"1\",\"unit\":\"01\",\"email\":\"a.b+c@mail.example.vn\"}",
	  NULL },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"1\"}", "unit: missing" },
	{ "{\"id\":\"H 1\",\"name\":\"A\",\"id_number\":\"1\",\"unit\":\"01\"}", "id: 1 to 64" },
	{ "{\"id\":\"H-1\",\"name\":\" A\",\"id_number\":\"1\",\"unit\":\"01\"}", "name: 1 to 128" },
	{ "{\"id\":\"H-1\",\"name\":\"\",\"id_number\":\"1\",\"unit\":\"01\"}", "name: 1 to 128" },
	{ "{\"id\":\"H-1\",\"name\":\"A\\u0007B\",\"id_number\":\"1\",\"unit\":\"01\"}", "name: not valid UTF-8" },
	{ "{\"id\":\"H-1\",\"name\":\"A\\u0000B\",\"id_number\":\"1\",\"unit\":\"01\"}", "not JSON" },
	{ "{\"id\":\"H-1\",\"name\":\"Tr\xffn\",\"id_number\":\"1\",\"unit\":\"01\"}", "not JSON" },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"1-2\",\"unit\":\"01\"}", "id_number: 1 to 32" },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"123456789012345678901234567890123\",\"unit\":\"01\"}",
	  "id_number: a string of at most 32" },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"1\",\"unit\":\"0x1\"}", "unit: a unit code" },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"1\",\"unit\":1}", "unit: a string" },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"1\",\"unit\":\"01\",\"email\":\"a@b\"}", "email" },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"1\",\"unit\":\"01\",\"email\":\"a@@b.vn\"}", "email" },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"1\",\"unit\":\"01\",\"email\":\"a..b@c.vn\"}", "email" },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"1\",\"unit\":\"01\",\"email\":\"a@-b.vn\"}", "email" },
	{ "{\"id\":\"H-1\",\"name\":\"A\",\"id_number\":\"1\",\"unit\":\"01\",\"phone\":\"1\"}",
	  "unknown member 'phone'" },
	{ "[]", "a JSON object" },
};

static void test_holder_body(void **state)
{
	struct otad_holder h;
	char err[200], name[600], body[800];

	(void)state;
	for (size_t i = 0; i < sizeof(holder_bodies) / sizeof(holder_bodies[0]); i++) {
		int rc;

		err[0] = 0;
		rc = api_holder_parse(holder_bodies[i].body, strlen(holder_bodies[i].body), &h, err, sizeof(err));
		if (!holder_bodies[i].err) {
			if (rc)
				fail_msg("row %zu refused: %s", i, err);
			continue;
		}
		if (rc != -EINVAL || !strstr(err, holder_bodies[i].err))
			fail_msg("row %zu: %d '%s', expected '%s'", i, rc, err, holder_bodies[i].err);
	}
	assert_int_equal(api_holder_parse(holder_bodies[0].body, strlen(holder_bodies[0].body), &h, err, sizeof(err)),
			 0);
	assert_string_equal(h.name, "Nguyễn Thị Minh Khai");
	assert_string_equal(h.email, "");
	/* 128 characters of 3 bytes each: accepted; 129: refused */
	name[0] = 0;
	for (int i = 0; i < 128; i++)
		strcat(name, "ễ");
	snprintf(body, sizeof(body), "{\"id\":\"H\",\"name\":\"%s\",\"id_number\":\"1\",\"unit\":\"01\"}", name);
	assert_int_equal(api_holder_parse(body, strlen(body), &h, err, sizeof(err)), 0);
	strcat(name, "ễ");
	snprintf(body, sizeof(body), "{\"id\":\"H\",\"name\":\"%s\",\"id_number\":\"1\",\"unit\":\"01\"}", name);
	assert_int_equal(api_holder_parse(body, strlen(body), &h, err, sizeof(err)), -EINVAL);
}

static void test_card_holder_body(void **state)
{
	char holder[OTAD_HOLDER_ID_MAX + 1], err[200];

	(void)state;
	assert_int_equal(api_card_holder_parse("{\"holder\":\"H-1\"}", 16, holder, err, sizeof(err)), 0);
	assert_string_equal(holder, "H-1");
	assert_int_equal(api_card_holder_parse("{\"holder\":null}", 15, holder, err, sizeof(err)), 0);
	assert_string_equal(holder, "");
	assert_int_equal(api_card_holder_parse("{\"holder\":\"H 1\"}", 16, holder, err, sizeof(err)), -EINVAL);
	assert_string_equal(holder, "");
	assert_int_equal(api_card_holder_parse("{\"holder\":1}", 12, holder, err, sizeof(err)), -EINVAL);
	assert_int_equal(api_card_holder_parse("{\"holder\":\"H\",\"x\":1}", 20, holder, err, sizeof(err)), -EINVAL);
	assert_int_equal(api_card_holder_parse("{}", 2, holder, err, sizeof(err)), -EINVAL);
}

/* PATCH /v1/holders/{id}'s body: {"unit": CODE} and nothing else */
static void test_holder_patch_body(void **state)
{
	char unit[OTAD_UNIT_CODE_MAX + 1], err[200];
#define HP(b) api_holder_patch_parse(b, strlen(b), unit, err, sizeof(err))

	(void)state;
	assert_int_equal(HP("{\"unit\":\"01\"}"), 0);
	assert_string_equal(unit, "01");
	assert_int_equal(HP("{\"unit\":\"123456789012345\"}"), 0);	  /* OTAD_UNIT_CODE_MAX digits */
	assert_int_equal(HP("{\"unit\":\"1234567890123456\"}"), -EINVAL); /* one too many */
	assert_string_equal(unit, "");
	assert_non_null(strstr(err, "unit"));
	assert_int_equal(HP("{\"unit\":\"\"}"), -EINVAL);
	assert_int_equal(HP("{\"unit\":\"0a\"}"), -EINVAL);
	assert_int_equal(HP("{\"unit\":\"-1\"}"), -EINVAL);
	assert_int_equal(HP("{\"unit\":1}"), -EINVAL);
	assert_int_equal(HP("{\"unit\":null}"), -EINVAL);
	assert_int_equal(HP("{\"unit\":\"01\",\"name\":\"x\"}"), -EINVAL);
	assert_int_equal(HP("{\"name\":\"01\"}"), -EINVAL);
	assert_int_equal(HP("{}"), -EINVAL);
	assert_int_equal(HP("[\"01\"]"), -EINVAL);
	assert_int_equal(HP("{\"unit\":\"01\""), -EINVAL);
	assert_int_equal(HP(""), -EINVAL);
	assert_int_equal(HP("{\"unit\":\"0\\u00001\"}"), -EINVAL); /* a NUL inside */
#undef HP
}

/* POST /v1/holders/{id}/pin-reset's body, and its routes */
static void test_pin_reset_body(void **state)
{
	char idn[65], err[200], arg[API_ROUTE_ARG_MAX], big[200];
	const char *allow;
	int mode;
#define PR(b) api_pin_reset_parse(b, strlen(b), idn, &mode, err, sizeof(err))

	(void)state;
	assert_int_equal(PR("{\"id_number\":\"001 234-567\"}"), 0);
	assert_string_equal(idn, "001 234-567");
	assert_int_equal(mode, 0);
	assert_int_equal(PR("{\"id_number\":\"1\",\"mode\":\"unblock\"}"), 0);
	assert_int_equal(mode, 1);
	assert_int_equal(PR("{\"id_number\":\"1\",\"mode\":\"one-time-pin\"}"), 0);
	assert_int_equal(mode, 0);
	/* bad bodies */
	assert_int_equal(PR(""), -EINVAL);
	assert_int_equal(PR("[]"), -EINVAL);
	assert_int_equal(PR("{}"), -EINVAL);
	assert_int_equal(PR("{\"id_number\":\"\"}"), -EINVAL);
	assert_int_equal(PR("{\"id_number\":12}"), -EINVAL);
	assert_int_equal(PR("{\"id_number\":null}"), -EINVAL);
	assert_int_equal(PR("{\"id_number\":\"1\",\"mode\":\"reset\"}"), -EINVAL);
	assert_non_null(strstr(err, "mode"));
	assert_int_equal(PR("{\"id_number\":\"1\",\"mode\":1}"), -EINVAL);
	assert_int_equal(PR("{\"id_number\":\"1\",\"pin\":\"1234\"}"), -EINVAL);
	assert_int_equal(PR("{\"id_number\":\"1\",\"id_number\":\"2\"}"), -EINVAL); /* twice */
	assert_int_equal(PR("{\"id_number\":\"a\\u0000b\"}"), -EINVAL);		    /* a NUL inside */
	assert_int_equal(PR("{\"id_number\":\"a\\nb\"}"), -EINVAL);		    /* not printable */
	assert_int_equal(PR("{\"id_number\":\"s\u00e1\"}"), -EINVAL);		    /* not ASCII */
	memset(big, 0, sizeof(big));
	snprintf(big, sizeof(big), "{\"id_number\":\"%065d\"}", 1); /* 65 characters */
	assert_int_equal(PR(big), -EINVAL);
	snprintf(big, sizeof(big), "{\"id_number\":\"%064d\"}", 1); /* 64: the most */
	assert_int_equal(PR(big), 0);
#undef PR
	assert_int_equal(api_route("POST", "/v1/holders/H-1/pin-reset", arg, &allow), API_HOLDER_PIN_RESET);
	assert_string_equal(arg, "H-1");
	assert_int_equal(api_route("GET", "/v1/holders/H-1/pin-reset", arg, &allow), API_BAD_METHOD);
	assert_int_equal(api_route("POST", "/v1/holders/H%201/pin-reset", arg, &allow), API_BAD_HOLDER_ID);
	assert_int_equal(api_route("GET", "/v1/pin-resets/12", arg, &allow), API_PIN_RESET_GET);
	assert_int_equal(api_route("GET", "/v1/pin-resets/x", arg, &allow), API_BAD_ID);
	assert_int_equal(api_route("DELETE", "/v1/pin-resets/12", arg, &allow), API_BAD_METHOD);
}

static void test_holders_query(void **state)
{
	struct otad_holder_filter f;
	char unit[OTAD_UNIT_CODE_MAX + 1], cursor[OTAD_HOLDER_ID_MAX + 1], err[200];
	struct api_kv kv[3] = { { "unit", "01" }, { "limit", "5" }, { "cursor", "H-0001" } };

	(void)state;
	assert_int_equal(api_holders_query(kv, 0, &f, unit, cursor, err, sizeof(err)), 0);
	assert_null(f.unit);
	assert_int_equal(f.limit, API_LIMIT_DEFAULT);
	assert_int_equal(api_holders_query(kv, 3, &f, unit, cursor, err, sizeof(err)), 0);
	assert_string_equal(f.unit, "01");
	assert_string_equal(f.after_id, "H-0001");
	assert_int_equal(f.limit, 5);
	kv[0].value = "0x";
	assert_int_equal(api_holders_query(kv, 1, &f, unit, cursor, err, sizeof(err)), -EINVAL);
	kv[0] = (struct api_kv){ "state", "active" };
	assert_int_equal(api_holders_query(kv, 1, &f, unit, cursor, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown parameter 'state'"));
	kv[0] = (struct api_kv){ "cursor", "a b" };
	assert_int_equal(api_holders_query(kv, 1, &f, unit, cursor, err, sizeof(err)), -EINVAL);
}

/* POST /v1/campaigns's body: defaults, the three selections, and every refusal with a message. */
static void test_campaign_body(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"select\": {\"unit\": \"01\"}}",
		"{\"name\": \"\", \"select\": {\"unit\": \"01\"}}",
		"{\"name\": \"a\"}",
		"{\"name\": \"a\", \"select\": {}}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"01\", \"import\": 1}}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"0x1\"}}",
		"{\"name\": \"a\", \"select\": {\"import\": 0}}",
		"{\"name\": \"a\", \"select\": {\"iccids\": []}}",
		"{\"name\": \"a\", \"select\": {\"iccids\": [\"123\"]}}",
		"{\"name\": \"a\", \"select\": {\"iccids\": [8984010000000000005]}}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"01\"}, \"keys\": []}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"01\"}, \"keys\": [{\"id\": 2, \"alg\": \"ed25519\", "
		"\"profile\": \"s\"}]}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"01\"}, \"keys\": [{\"id\": 0, \"alg\": \"p256\", "
		"\"profile\": \"s\"}]}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"01\"}, \"keys\": [{\"id\": 2, \"alg\": \"p256\", "
		"\"profile\": \"a b\"}]}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"01\"}, \"keys\": [{\"id\": 2, \"alg\": \"p256\"}]}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"01\"}, \"keys\": [1, 2, 3, 4, 5]}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"01\"}, \"concurrency\": 0}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"01\"}, \"concurrency\": 10001}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"01\"}, \"personalise\": 1}",
		"{\"name\": \"a\", \"select\": {\"unit\": \"01\"}, \"colour\": \"red\"}",
		"{\"name\": \"a\", \"name\": \"b\", \"select\": {\"unit\": \"01\"}}",
	};
	struct api_campaign_req req;
	char err[200], body[600];

	(void)state;
	strcpy(body, "{\"name\": \"Đợt 1\", \"select\": {\"unit\": \"01\"}}");
	assert_int_equal(api_campaign_parse(body, strlen(body), &req, err, sizeof(err)), 0);
	assert_string_equal(req.c.name, "Đợt 1");
	assert_string_equal(req.sel.unit, "01");
	assert_int_equal(req.c.n_keys, 1); /* the default key: 2, P-256, signing */
	assert_int_equal(req.c.keys[0].id, 2);
	assert_false(req.c.keys[0].rsa);
	assert_string_equal(req.c.keys[0].profile, "signing");
	assert_false(req.c.personalise);
	assert_int_equal(req.c.concurrency, 0);
	api_campaign_req_free(&req);

	strcpy(body,
	       "{\"name\": \"b\", \"select\": {\"iccids\": [\"8984010000000000005\", \"8984010000000000013\"]},"
	       " \"keys\": [{\"id\": 2, \"alg\": \"p256\", \"profile\": \"signing\"}, {\"id\": 3, \"alg\": \"rsa2048\","
	       " \"profile\": \"authentication\"}], \"personalise\": true, \"concurrency\": 200}");
	assert_int_equal(api_campaign_parse(body, strlen(body), &req, err, sizeof(err)), 0);
	assert_int_equal(req.sel.n, 2);
	assert_string_equal(req.sel.iccids[1], "8984010000000000013");
	assert_int_equal(req.c.n_keys, 2);
	assert_true(req.c.keys[1].rsa);
	assert_true(req.c.personalise);
	assert_int_equal(req.c.concurrency, 200);
	api_campaign_req_free(&req);

	strcpy(body, "{\"name\": \"c\", \"select\": {\"import\": 12}}");
	assert_int_equal(api_campaign_parse(body, strlen(body), &req, err, sizeof(err)), 0);
	assert_int_equal(req.sel.import, 12);
	api_campaign_req_free(&req);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(api_campaign_parse(bad[i], strlen(bad[i]), &req, err, sizeof(err)), -EINVAL);
		assert_true(err[0] != 0);
		assert_null(req.iccids);
	}
}

/* POST /v1/lifecycle's body, the per-certificate shortcuts' bodies, the routes: each selection, the defaults, and
 * the refusals (every bad body says why and leaves nothing allocated). */
static void test_lifecycle_body(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"kind\": \"modify\"}",
		"{\"kind\": \"destroy\", \"select\": {\"unit\": \"01\"}}",
		"{\"kind\": 3, \"select\": {\"unit\": \"01\"}}",
		"{\"kind\": \"modify\", \"select\": {\"unit\": \"01\"}, \"colour\": 1}",
		"{\"kind\": \"modify\", \"select\": {\"unit\": \"0x1\"}}",
		"{\"kind\": \"modify\", \"select\": {\"unit\": \"0123456789012345\"}}",
		"{\"kind\": \"modify\", \"select\": {\"unit\": \"01\", \"holders\": [\"H\"]}}",
		"{\"kind\": \"modify\", \"select\": {\"unit_change\": 0}}",
		"{\"kind\": \"modify\", \"select\": {\"unit_change\": \"7\"}}",
		"{\"kind\": \"modify\", \"select\": {\"holders\": []}}",
		"{\"kind\": \"modify\", \"select\": {\"holders\": [\"a b\"]}}",
		"{\"kind\": \"modify\", \"select\": {\"holders\": [1]}}",
		"{\"kind\": \"modify\", \"select\": {\"serials\": [\"xyz\"]}}",
		"{\"kind\": \"modify\", \"select\": {\"serials\": [\"00112233445566778899001122334455667788990\"]}}",
		"{\"kind\": \"modify\", \"select\": {\"colours\": [\"1\"]}}",
		"{\"kind\": \"renew\", \"select\": {\"unit\": \"01\"}, \"reason\": \"superseded\"}",
		"{\"kind\": \"modify\", \"select\": {\"unit\": \"01\"}, \"reason\": \"keyCompromise\"}",
		"{\"kind\": \"revoke\", \"select\": {\"unit\": \"01\"}, \"reason\": \"certificateHold\"}",
		"{\"kind\": \"revoke\", \"select\": {\"unit\": \"01\"}, \"reason\": \"removeFromCRL\"}",
		"{\"kind\": \"revoke\", \"select\": {\"unit\": \"01\"}, \"reason\": \"broken\"}",
		"{\"kind\": \"revoke\", \"select\": {\"unit\": \"01\"}, \"reason\": 1}",
		"{\"kind\": \"revoke\", \"select\": {\"unit\": \"01\"}, \"concurrency\": 0}",
		"{\"kind\": \"revoke\", \"select\": {\"unit\": \"01\"}, \"concurrency\": 10001}",
		"{\"kind\": \"revoke\", \"select\": {\"unit\": \"01\"}, \"name\": \"\"}",
		"{\"kind\": \"revoke\", \"kind\": \"renew\", \"select\": {\"unit\": \"01\"}}",
	};
	struct api_lc_req req;
	char body[512], err[256], arg[API_ROUTE_ARG_MAX];
	const char *allow;
	int reason;

	(void)state;
	strcpy(body, "{\"kind\": \"modify\", \"select\": {\"unit\": \"01\"}}");
	assert_int_equal(api_lc_parse(body, strlen(body), &req, err, sizeof(err)), 0);
	assert_int_equal(req.p.kind, OTAD_LC_MODIFY);
	assert_int_equal(req.p.reason, -1);
	assert_null(req.p.name);
	assert_string_equal(req.sel.unit, "01");
	api_lc_req_free(&req);
	strcpy(body, "{\"kind\": \"revoke\", \"name\": \"Thu hồi\", \"select\": {\"serials\": [\"0A1b\", \"ff\"]},"
		     " \"reason\": \"keyCompromise\", \"concurrency\": 7}");
	assert_int_equal(api_lc_parse(body, strlen(body), &req, err, sizeof(err)), 0);
	assert_int_equal(req.p.kind, OTAD_LC_REVOKE);
	assert_int_equal(req.p.reason, 1);
	assert_string_equal(req.p.name, "Thu hồi");
	assert_int_equal(req.sel.n_serials, 2);
	assert_string_equal(req.sel.serials[1], "ff");
	assert_int_equal(req.p.concurrency, 7);
	api_lc_req_free(&req);
	strcpy(body, "{\"kind\": \"modify\", \"select\": {\"holders\": [\"H-1\"]}, \"reason\": \"superseded\"}");
	assert_int_equal(api_lc_parse(body, strlen(body), &req, err, sizeof(err)), 0);
	assert_int_equal(req.p.reason, 4);
	assert_int_equal(req.sel.n_holders, 1);
	api_lc_req_free(&req);
	strcpy(body, "{\"kind\": \"suspend\", \"select\": {\"unit_change\": 12}}");
	assert_int_equal(api_lc_parse(body, strlen(body), &req, err, sizeof(err)), 0);
	assert_int_equal(req.sel.unit_change, 12);
	api_lc_req_free(&req);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (api_lc_parse(bad[i], strlen(bad[i]), &req, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != 0);
		assert_null(req.ids);
	}

	/* the shortcuts' bodies */
	assert_int_equal(api_lc_cert_parse("", 0, true, &reason, err, sizeof(err)), 0);
	assert_int_equal(reason, -1);
	assert_int_equal(api_lc_cert_parse("{}", 2, false, &reason, err, sizeof(err)), 0);
	strcpy(body, "{\"reason\": \"affiliationChanged\"}");
	assert_int_equal(api_lc_cert_parse(body, strlen(body), true, &reason, err, sizeof(err)), 0);
	assert_int_equal(reason, 3);
	assert_int_equal(api_lc_cert_parse(body, strlen(body), false, &reason, err, sizeof(err)), -EINVAL);
	strcpy(body, "{\"reason\": \"certificateHold\"}");
	assert_int_equal(api_lc_cert_parse(body, strlen(body), true, &reason, err, sizeof(err)), -EINVAL);
	strcpy(body, "{\"reason\": \"superseded\", \"x\": 1}");
	assert_int_equal(api_lc_cert_parse(body, strlen(body), true, &reason, err, sizeof(err)), -EINVAL);
	assert_int_equal(api_lc_cert_parse("[1]", 3, true, &reason, err, sizeof(err)), -EINVAL);

	/* the routes */
	assert_int_equal(api_route("POST", "/v1/lifecycle", arg, &allow), API_LC_CREATE);
	assert_int_equal(api_route("GET", "/v1/lifecycle", arg, &allow), API_LC_LIST);
	assert_int_equal(api_route("GET", "/v1/lifecycle/12", arg, &allow), API_LC_GET);
	assert_string_equal(arg, "12");
	assert_int_equal(api_route("POST", "/v1/lifecycle/12/cancel", arg, &allow), API_LC_CANCEL);
	assert_int_equal(api_route("GET", "/v1/lifecycle/12/items", arg, &allow), API_LC_ITEMS);
	assert_int_equal(api_route("GET", "/v1/lifecycle/x/items", arg, &allow), API_BAD_ID);
	assert_int_equal(api_route("POST", "/v1/certificates/0A1b/revoke", arg, &allow), API_CERT_REVOKE);
	assert_string_equal(arg, "0A1b");
	assert_int_equal(api_route("POST", "/v1/certificates/ff/rekey", arg, &allow), API_CERT_REKEY);
	assert_int_equal(api_route("GET", "/v1/certificates/ff/renew", arg, &allow), API_BAD_METHOD);
	assert_int_equal(api_route("POST", "/v1/certificates/xyz/renew", arg, &allow), API_BAD_ID);
	assert_int_equal(
		api_route("POST", "/v1/certificates/00112233445566778899001122334455667788990/renew", arg, &allow),
		API_BAD_ID);
}

/* GET /v1/campaigns/{id}/cards's query: defaults, each parameter, and the refusals. */
static void test_campaign_cards_query(void **state)
{
	struct api_kv ok[3] = { { "state", "cmp" }, { "limit", "50" }, { "cursor", "40" } };
	struct api_kv bad[][2] = {
		{ { "state", "Failed" } }, { { "state", "" } },	    { { "state", "abcdefghijklmnopq" } },
		{ { "limit", "0" } },	   { { "limit", "1001" } }, { { "cursor", "0" } },
		{ { "cursor", "x" } },	   { { "colour", "red" } }, { { "state", "cmp" }, { "state", "load" } },
	};
	unsigned nbad[] = { 1, 1, 1, 1, 1, 1, 1, 1, 2 };
	char st[16], err[160];
	int64_t after;
	unsigned limit;

	(void)state;
	assert_int_equal(api_campaign_cards_query(ok, 0, st, &after, &limit, err, sizeof(err)), 0);
	assert_string_equal(st, "");
	assert_int_equal(after, 0);
	assert_int_equal(limit, API_LIMIT_DEFAULT);
	assert_int_equal(api_campaign_cards_query(ok, 3, st, &after, &limit, err, sizeof(err)), 0);
	assert_string_equal(st, "cmp");
	assert_int_equal(after, 40);
	assert_int_equal(limit, 50);
	for (size_t i = 0; i < sizeof(nbad) / sizeof(nbad[0]); i++) {
		err[0] = 0;
		assert_int_equal(api_campaign_cards_query(bad[i], nbad[i], st, &after, &limit, err, sizeof(err)),
				 -EINVAL);
		assert_true(err[0] != 0);
	}
}

/* The audit trail's routes and GET /v1/audit's parameters, with every bad case. */
static void test_audit(void **state)
{
	struct api_kv ok[2] = { { "from", "42" }, { "limit", "7" } };
	struct api_kv bad[][2] = {
		{ { "from", "0" } },
		{ { "from", "" } },
		{ { "from", "-1" } },
		{ { "from", "x1" } },
		{ { "from", "1234567890123456789" } },
		{ { "limit", "0" } },
		{ { "limit", "1001" } },
		{ { "since", "1" } },
		{ { "from", "1" }, { "from", "2" } },
		{ { "from", NULL } },
	};
	unsigned nbad[] = { 1, 1, 1, 1, 1, 1, 1, 1, 2, 1 };
	char arg[API_ROUTE_ARG_MAX], err[160];
	const char *allow;
	int64_t from;
	unsigned limit;

	(void)state;
	assert_int_equal(api_route("GET", "/v1/audit", arg, &allow), API_AUDIT_LIST);
	assert_int_equal(api_route("GET", "/v1/audit/verify", arg, &allow), API_AUDIT_VERIFY);
	assert_int_equal(api_route("GET", "/v1/audit/export", arg, &allow), API_AUDIT_EXPORT);
	assert_int_equal(api_route("POST", "/v1/audit/verify", arg, &allow), API_BAD_METHOD);
	assert_string_equal(allow, "GET");
	assert_int_equal(api_route("DELETE", "/v1/audit", arg, &allow), API_BAD_METHOD);
	assert_int_equal(api_route("GET", "/v1/audit/1", arg, &allow), API_NONE);
	assert_int_equal(api_route_action(API_AUDIT_LIST), OTAD_ACT_AUDIT_READ);
	assert_int_equal(api_route_action(API_AUDIT_VERIFY), OTAD_ACT_AUDIT_VERIFY);
	assert_int_equal(api_route_action(API_AUDIT_EXPORT), OTAD_ACT_AUDIT_READ);
	assert_int_equal(api_audit_query(ok, 0, &from, &limit, err, sizeof(err)), 0);
	assert_int_equal(from, 1);
	assert_int_equal(limit, API_LIMIT_DEFAULT);
	assert_int_equal(api_audit_query(ok, 2, &from, &limit, err, sizeof(err)), 0);
	assert_int_equal(from, 42);
	assert_int_equal(limit, 7);
	for (size_t i = 0; i < sizeof(nbad) / sizeof(nbad[0]); i++) {
		err[0] = 0;
		assert_int_equal(api_audit_query(bad[i], nbad[i], &from, &limit, err, sizeof(err)), -EINVAL);
		assert_true(err[0] != 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_card_patch),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_job),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_holder_routes),
		cmocka_unit_test(test_token_scope),
		cmocka_unit_test(test_route_actions),
		cmocka_unit_test(test_holder_body),
		cmocka_unit_test(test_card_holder_body),
		cmocka_unit_test(test_holder_patch_body),
		cmocka_unit_test(test_holders_query),
		cmocka_unit_test(test_campaign_body),
		cmocka_unit_test(test_campaign_cards_query),
		cmocka_unit_test(test_lifecycle_body),
	};

	/* issue 16: the PIN reset's body and routes, a group of their own */
	const struct CMUnitTest pin_reset[] = { cmocka_unit_test(test_pin_reset_body) };

	return cmocka_run_group_tests(tests, NULL, NULL) | cmocka_run_group_tests(pin_reset, NULL, NULL);
}
