/* Unit tests of ota-server/api_parse.c: routes (each resource, methods, bad ICCIDs and ids), bearer headers, job
 * bodies (good; every kind of bad one with its message) and token bodies. */
#include <errno.h>
#include <string.h>

#include "api_parse.h"

#include "unit.h"

static void test_route(void **state)
{
	char arg[API_ROUTE_ARG_MAX];

	(void)state;
	assert_int_equal(api_route("POST", "/v1/cards/import", arg), API_CARDS_IMPORT);
	assert_int_equal(api_route("GET", "/v1/cards/import", arg), API_BAD_METHOD);
	assert_int_equal(api_route("GET", "/v1/cards/8984010000000000005", arg), API_CARD_GET);
	assert_string_equal(arg, "8984010000000000005");
	assert_int_equal(api_route("PUT", "/v1/cards/8984010000000000005", arg), API_BAD_METHOD);
	assert_int_equal(api_route("GET", "/v1/cards/89840100000000000", arg), API_NONE);
	assert_int_equal(api_route("GET", "/v1/cards/898401000000000000512", arg), API_NONE);
	assert_int_equal(api_route("GET", "/v1/cards/898401000000000000X", arg), API_NONE);
	assert_int_equal(api_route("POST", "/v1/jobs", arg), API_JOBS_CREATE);
	assert_int_equal(api_route("GET", "/v1/jobs/42", arg), API_JOB_GET);
	assert_string_equal(arg, "42");
	assert_int_equal(api_route("GET", "/v1/jobs/042", arg), API_NONE);
	assert_int_equal(api_route("GET", "/v1/jobs/1234567890123456789", arg), API_NONE);
	assert_int_equal(api_route("GET", "/v1/jobs/", arg), API_NONE);
	assert_int_equal(api_route("POST", "/v1/tokens", arg), API_TOKENS_CREATE);
	assert_int_equal(api_route("GET", "/v1/jobs/1/x", arg), API_NONE);
	assert_int_equal(api_route("GET", "/", arg), API_NONE);
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
	char err[256], name[65];

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
	assert_int_equal(api_token_parse("{\"name\": \"ra-hanoi.1\"}", 22, name, err, sizeof(err)), 0);
	assert_string_equal(name, "ra-hanoi.1");
	assert_int_equal(api_token_parse("{\"name\": \"ra hanoi\"}", 20, name, err, sizeof(err)), -EINVAL);
	assert_int_equal(api_token_parse("{\"name\": \"\"}", 12, name, err, sizeof(err)), -EINVAL);
	assert_int_equal(api_token_parse("{\"name\": \"a\", \"b\": 1}", 21, name, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_job),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
