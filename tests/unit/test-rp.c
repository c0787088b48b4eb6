/* simpki-sign's pure parts (ota-server/rp): the command line (good lines and each refusal, table-driven), the
 * result -> exit code and HTTP status -> exit code mappings (each exit code distinct per kind of outcome, all in
 * the usage text), the API's answers parsed (good ones, and bad ones: not JSON, missing fields, wrong types,
 * oversized values, bad base64, a session id that would not fit a URL path), the request bodies and the --json
 * result. */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "unit.h"
#include "rp.h"

/* ---- the command line ---------------------------------------------------------------------------------------- */

struct parse_case {
	const char *name;
	const char *argv[24];
	int rc;
	const char *err;
};

static const struct parse_case parse_cases[] = {
	{ "help", { "--help" }, 0, NULL },
	{ "-h", { "-h" }, 0, NULL },
	{ "version", { "--version" }, 0, NULL },
	{ "phone", { "--phone", "84912345678", "doc.pdf" }, 0, NULL },
	{ "holder", { "--holder", "h-17.a@b", "doc.pdf" }, 0, NULL },
	{ "all options",
	  { "--phone", "84912345678", "--text", "K\xc3\xbd quy\xe1\xba\xbft \xc4\x91\xe1\xbb\x8bnh", "--language",
	    "ENG", "--url", "https://rp.example:8481", "--token-file", "t", "--ca-chain", "c.pem", "--out", "o.p7s",
	    "--timeout", "60", "--json", "doc" },
	  0,
	  NULL },
	{ "option after FILE", { "doc", "--phone", "84912345678" }, 0, NULL },
	{ "nothing", { NULL }, -EINVAL, "FILE is missing" },
	{ "no signer", { "doc" }, -EINVAL, "--phone NUMBER or --holder ID" },
	{ "both signers", { "--phone", "84912345678", "--holder", "h1", "doc" }, -EINVAL, "one of --phone and" },
	{ "two files", { "--phone", "84912345678", "a", "b" }, -EINVAL, "one FILE at a time" },
	{ "empty file name", { "--phone", "84912345678", "" }, -EINVAL, "empty name" },
	{ "phone empty", { "--phone", "", "doc" }, -EINVAL, "1 to 15 digits" },
	{ "phone long", { "--phone", "8491234567890123", "doc" }, -EINVAL, "1 to 15 digits" },
	{ "phone + alone", { "--phone", "+", "doc" }, -EINVAL, "1 to 15 digits" },
	{ "phone dash", { "--phone", "84-912345678", "doc" }, -EINVAL, "1 to 15 digits" },
	{ "holder bad", { "--holder", "a/b", "doc" }, -EINVAL, "a holder id is" },
	{ "holder empty", { "--holder", "", "doc" }, -EINVAL, "a holder id is" },
	{ "language", { "--phone", "84912345678", "--language", "FRA", "doc" }, -EINVAL, "VIE or ENG" },
	{ "text not UTF-8", { "--phone", "84912345678", "--text", "a\xc3", "doc" }, -EINVAL, "not UTF-8" },
	{ "text overlong form", { "--phone", "84912345678", "--text", "\xc0\xaf", "doc" }, -EINVAL, "not UTF-8" },
	{ "text surrogate", { "--phone", "84912345678", "--text", "\xed\xa0\x80", "doc" }, -EINVAL, "not UTF-8" },
	{ "text control", { "--phone", "84912345678", "--text", "a\nb", "doc" }, -EINVAL, "not UTF-8" },
	{ "text empty", { "--phone", "84912345678", "--text", "", "doc" }, -EINVAL, "1 to 200 bytes" },
	{ "timeout 0", { "--phone", "84912345678", "--timeout", "0", "doc" }, -EINVAL, "1 to 3600" },
	{ "timeout 3601", { "--phone", "84912345678", "--timeout", "3601", "doc" }, -EINVAL, "1 to 3600" },
	{ "timeout -1", { "--phone", "84912345678", "--timeout", "-1", "doc" }, -EINVAL, "1 to 3600" },
	{ "timeout 5s", { "--phone", "84912345678", "--timeout", "5s", "doc" }, -EINVAL, "1 to 3600" },
	{ "unknown option", { "--frob", "doc" }, -EINVAL, "--frob: unknown option" },
	{ "value missing", { "doc", "--phone" }, -EINVAL, "--phone wants a value" },
	{ "out empty", { "--phone", "84912345678", "--out", "", "doc" }, -EINVAL, "--out wants" },
};

static void test_parse(void **state)
{
	const struct parse_case *c = *state;
	char *argv[26] = { "simpki-sign" }, err[256];
	struct rp_cmdline cl;
	int argc = 1;

	for (int i = 0; c->argv[i]; i++)
		argv[argc++] = (char *)c->argv[i];
	assert_int_equal(rp_parse(argc, argv, &cl, err, sizeof(err)), c->rc);
	if (c->err) {
		if (!strstr(err, c->err))
			fail_msg("'%s' lacks '%s'", err, c->err);
	}
}

static void test_parse_values(void **state)
{
	char *argv[] = { "simpki-sign", "--phone",    "84912345678", "--out",	   "o.p7s", "--timeout", "60",
			 "--json",	"--language", "ENG",	     "--ca-chain", "c.pem", "doc" };
	struct rp_cmdline cl;
	char err[256];

	assert_int_equal(rp_parse(13, argv, &cl, err, sizeof(err)), 0);
	assert_string_equal(cl.phone, "84912345678");
	assert_null(cl.holder);
	assert_string_equal(cl.out, "o.p7s");
	assert_int_equal(cl.timeout, 60);
	assert_true(cl.json);
	assert_string_equal(cl.language, "ENG");
	assert_string_equal(cl.ca_chain, "c.pem");
	assert_string_equal(cl.file, "doc");
	/* the defaults */
	assert_int_equal(rp_parse(4, (char *[]){ "simpki-sign", "--holder", "h", "doc" }, &cl, err, sizeof(err)), 0);
	assert_string_equal(cl.language, "VIE");
	assert_int_equal(cl.timeout, RP_DEFAULT_TIMEOUT);
	assert_null(cl.out);
	assert_null(cl.text);
	assert_false(cl.json);
}

/* ---- results and exit codes ---------------------------------------------------------------------------------- */

static void test_results(void **state)
{
	static const struct {
		const char *name;
		enum rp_exit exit;
	} cases[] = {
		{ "OK", RP_EXIT_OK },
		{ "USER_CANCELLED", RP_EXIT_CANCELLED },
		{ "CANCELLED", RP_EXIT_CANCELLED },
		{ "TIMEOUT", RP_EXIT_TIMEOUT },
		{ "PIN_BLOCKED", RP_EXIT_PIN_BLOCKED },
		{ "NOT_A_CLIENT", RP_EXIT_NOT_A_CLIENT },
		{ "PHONE_ABSENT", RP_EXIT_PHONE },
		{ "DELIVERY_ERROR", RP_EXIT_PHONE },
		{ "SIM_ERROR", RP_EXIT_SIM },
		{ "SIGNATURE_HASH_MISMATCH", RP_EXIT_INVALID },
		{ "REVOKED_CERTIFICATE", RP_EXIT_INVALID },
		{ "SOMETHING_NEW", RP_EXIT_SERVER },
		{ "ok", RP_EXIT_SERVER },
		{ "", RP_EXIT_SERVER },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum rp_result r = rp_result_parse(cases[i].name);

		assert_int_equal(rp_result_exit(r), cases[i].exit);
		assert_non_null(rp_result_message(r));
		if (r != RP_RES_UNKNOWN)
			assert_string_equal(rp_result_name(r), cases[i].name);
	}
	assert_int_equal(rp_result_parse(NULL), RP_RES_UNKNOWN);
	assert_string_equal(rp_result_name(RP_RES_N), "UNKNOWN");
	for (int r = 0; r < RP_RES_N; r++)
		assert_true(strlen(rp_result_message(r)) > 5);
}

static void test_http_exit(void **state)
{
	assert_int_equal(rp_http_exit(400, "BAD_REQUEST"), RP_EXIT_USAGE);
	assert_int_equal(rp_http_exit(401, NULL), RP_EXIT_AUTH);
	assert_int_equal(rp_http_exit(403, NULL), RP_EXIT_AUTH);
	assert_int_equal(rp_http_exit(404, "NOT_FOUND"), RP_EXIT_NOT_A_CLIENT);
	assert_int_equal(rp_http_exit(409, "PB_SIGNATURE_PROCESS"), RP_EXIT_BUSY);
	assert_int_equal(rp_http_exit(429, NULL), RP_EXIT_BUSY);
	assert_int_equal(rp_http_exit(500, NULL), RP_EXIT_SERVER);
	assert_int_equal(rp_http_exit(502, NULL), RP_EXIT_SERVER);
	assert_int_equal(rp_http_exit(302, NULL), RP_EXIT_SERVER);
}

static void test_usage(void **state)
{
	static const char *const lines[] = { "  0    signed",
					     "  1    bad command line",
					     "  2    not a client",
					     "  3    the user cancelled",
					     "  4    timeout",
					     "  5    the SIM's signing PIN",
					     "  6    the phone",
					     "  7    invalid",
					     "  8    the API unreachable",
					     "  9    the SIM",
					     "  10   busy",
					     "  11   the token",
					     "  12   a local failure",
					     "  130  interrupted",
					     "--phone NUMBER",
					     "--ca-chain PEM",
					     "SIMPKI_RP_TOKEN",
					     RP_DEFAULT_URL };

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (!strstr(rp_usage(), lines[i]))
			fail_msg("the usage lacks '%s'", lines[i]);
}

/* ---- the API's answers ---------------------------------------------------------------------------------------- */

#define PEM "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"

struct json_case {
	const char *name;
	char kind; /* 'c' certificate, 's' start, 'S' session */
	const char *json;
	int rc;
	const char *err; /* a part of the refusal */
};

static const struct json_case json_cases[] = {
	{ "cert EC", 'c', "{\"result\":\"OK\",\"cert\":\"" PEM "\",\"keyAlgorithm\":\"EC\"}", 0, NULL },
	{ "cert RSA", 'c', "{\"result\":\"OK\",\"cert\":\"" PEM "\",\"keyAlgorithm\":\"RSA\"}", 0, NULL },
	{ "cert no result", 'c', "{\"cert\":\"" PEM "\",\"keyAlgorithm\":\"EC\"}", -EINVAL, "\"result\" is missing" },
	{ "cert result not OK", 'c', "{\"result\":\"NOK\",\"cert\":\"" PEM "\",\"keyAlgorithm\":\"EC\"}", -EINVAL,
	  "not OK" },
	{ "cert alg DSA", 'c', "{\"result\":\"OK\",\"cert\":\"" PEM "\",\"keyAlgorithm\":\"DSA\"}", -EINVAL,
	  "not EC or RSA" },
	{ "cert not PEM", 'c', "{\"result\":\"OK\",\"cert\":\"MIIB\",\"keyAlgorithm\":\"EC\"}", -EINVAL, "not a PEM" },
	{ "cert number", 'c', "{\"result\":\"OK\",\"cert\":7,\"keyAlgorithm\":\"EC\"}", -EINVAL, "not a string" },
	{ "cert NUL", 'c', "{\"result\":\"OK\",\"cert\":\"a\\u0000b\",\"keyAlgorithm\":\"EC\"}", -EINVAL,
	  "not JSON" }, /* jansson refuses \u0000 */
	{ "cert array", 'c', "[1]", -EINVAL, "not a JSON object" },
	{ "cert not JSON", 'c', "{\"result\":", -EINVAL, "not JSON" },
	{ "cert twice", 'c', "{\"result\":\"OK\",\"result\":\"OK\"}", -EINVAL, "not JSON" },
	{ "start", 's', "{\"sessionID\":\"a1b2-c3_d4.e5\",\"verificationCode\":\"1462\"}", 0, NULL },
	{ "start number", 's', "{\"sessionID\":\"a\",\"verificationCode\":1462}", 0, NULL },
	{ "start code 5 digits", 's', "{\"sessionID\":\"a\",\"verificationCode\":\"14620\"}", -EINVAL, "4 digits" },
	{ "start code 10000", 's', "{\"sessionID\":\"a\",\"verificationCode\":10000}", -EINVAL, "0 to 9999" },
	{ "start code -1", 's', "{\"sessionID\":\"a\",\"verificationCode\":-1}", -EINVAL, "0 to 9999" },
	{ "start code float", 's', "{\"sessionID\":\"a\",\"verificationCode\":1.5}", -EINVAL, "neither" },
	{ "start code missing", 's', "{\"sessionID\":\"a\"}", -EINVAL, "\"verificationCode\" is missing" },
	{ "start id missing", 's', "{\"verificationCode\":\"1462\"}", -EINVAL, "\"sessionID\" is missing" },
	{ "start id with /", 's', "{\"sessionID\":\"../x\",\"verificationCode\":\"1462\"}", -EINVAL, "A-Z" },
	{ "start id with ?", 's', "{\"sessionID\":\"a?b\",\"verificationCode\":\"1462\"}", -EINVAL, "A-Z" },
	{ "start id empty", 's', "{\"sessionID\":\"\",\"verificationCode\":\"1462\"}", -EINVAL, "A-Z" },
	{ "start id null", 's', "{\"sessionID\":null,\"verificationCode\":\"1462\"}", -EINVAL, "missing" },
	{ "running", 'S', "{\"state\":\"RUNNING\"}", 0, NULL },
	{ "complete OK", 'S',
	  "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"algorithm\":\"SHA256withECDSA\","
	  "\"value\":\"MEUCIQ==\"},\"cert\":\"" PEM "\"}",
	  0, NULL },
	{ "complete OK no cert", 'S', "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"value\":\"AAEC\"}}",
	  0, NULL },
	{ "complete OK without signature", 'S', "{\"state\":\"COMPLETE\",\"result\":\"OK\"}", -EINVAL,
	  "without a \"signature\"" },
	{ "complete cancelled", 'S', "{\"state\":\"COMPLETE\",\"result\":\"USER_CANCELLED\"}", 0, NULL },
	{ "complete unknown result", 'S', "{\"state\":\"COMPLETE\",\"result\":\"MOON_PHASE\"}", 0, NULL },
	{ "complete no result", 'S', "{\"state\":\"COMPLETE\"}", -EINVAL, "\"result\" is missing" },
	{ "state other", 'S', "{\"state\":\"PAUSED\"}", -EINVAL, "not RUNNING or COMPLETE" },
	{ "state number", 'S', "{\"state\":1}", -EINVAL, "not a string" },
	{ "result control char", 'S', "{\"state\":\"COMPLETE\",\"result\":\"OK\\u001b[2J\"}", -EINVAL,
	  "not printable" },
	{ "signature not object", 'S', "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":\"AAEC\"}", -EINVAL,
	  "not an object" },
	{ "signature value missing", 'S', "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{}}", -EINVAL,
	  "\"value\" is missing" },
	{ "signature not base64", 'S', "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"value\":\"AA*C\"}}",
	  -EINVAL, "not base64" },
	{ "signature bad length", 'S', "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"value\":\"AAE\"}}",
	  -EINVAL, "not base64" },
	{ "signature = inside", 'S',
	  "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"value\":\"AA==AAAA\"}}", -EINVAL, "not base64" },
	{ "signature === ", 'S', "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"value\":\"A===\"}}",
	  -EINVAL, "not base64" },
	{ "signature empty", 'S', "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"value\":\"\"}}", -EINVAL,
	  "not base64" },
	{ "signature algorithm number", 'S',
	  "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"algorithm\":3,\"value\":\"AAEC\"}}", -EINVAL,
	  "not a string" },
	{ "cert not PEM", 'S',
	  "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"value\":\"AAEC\"},\"cert\":\"x\"}", -EINVAL,
	  "not a PEM" },
};

static int parse_one(char kind, const char *s, size_t len, char *err, size_t err_len)
{
	static struct rp_cert_answer c;
	static struct rp_start_answer st;
	static struct rp_session_answer se;

	switch (kind) {
	case 'c':
		return rp_json_cert(s, len, &c, err, err_len);
	case 's':
		return rp_json_start(s, len, &st, err, err_len);
	default:
		return rp_json_session(s, len, &se, err, err_len);
	}
}

static void test_json(void **state)
{
	const struct json_case *c = *state;
	char err[256] = "";

	assert_int_equal(parse_one(c->kind, c->json, strlen(c->json), err, sizeof(err)), c->rc);
	if (c->err && !strstr(err, c->err))
		fail_msg("'%s' lacks '%s'", err, c->err);
}

static void test_json_values(void **state)
{
	static struct rp_session_answer s;
	static struct rp_cert_answer c;
	struct rp_start_answer st;
	char err[256];
	const char *j;

	j = "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"algorithm\":\"SHA256withECDSA\","
	    "\"value\":\"AAECAw==\"},\"cert\":\"" PEM "\"}";
	assert_int_equal(rp_json_session(j, strlen(j), &s, err, sizeof(err)), 0);
	assert_true(s.complete);
	assert_int_equal(s.result, RP_RES_OK);
	assert_int_equal(s.sig_len, 4);
	assert_memory_equal(s.sig, "\x00\x01\x02\x03", 4);
	assert_string_equal(s.sig_alg, "SHA256withECDSA");
	assert_non_null(strstr(s.cert_pem, "BEGIN CERTIFICATE"));
	j = "{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"value\":\"AAECAwQ=\"}}";
	assert_int_equal(rp_json_session(j, strlen(j), &s, err, sizeof(err)), 0);
	assert_int_equal(s.sig_len, 5);
	j = "{\"state\":\"COMPLETE\",\"result\":\"MOON\"}";
	assert_int_equal(rp_json_session(j, strlen(j), &s, err, sizeof(err)), 0);
	assert_int_equal(s.result, RP_RES_UNKNOWN);
	assert_string_equal(s.result_name, "MOON");
	j = "{\"sessionID\":\"s-1\",\"verificationCode\":\"0042\"}";
	assert_int_equal(rp_json_start(j, strlen(j), &st, err, sizeof(err)), 0);
	assert_string_equal(st.session_id, "s-1");
	assert_int_equal(st.vcode, 42);
	j = "{\"result\":\"OK\",\"cert\":\"" PEM "\",\"keyAlgorithm\":\"RSA\"}";
	assert_int_equal(rp_json_cert(j, strlen(j), &c, err, sizeof(err)), 0);
	assert_int_equal(c.alg, RP_KEY_RSA);
	/* a length, not a NUL, ends the text */
	assert_int_equal(rp_json_start(j, 5, &st, err, sizeof(err)), -EINVAL);
}

/* A JSON object whose member \a key is a string of \a n 'A's (base64 for the signature). */
static char *big(const char *prefix, size_t n, const char *suffix)
{
	size_t lp = strlen(prefix), ls = strlen(suffix);
	char *s = malloc(lp + n + ls + 1);

	assert_non_null(s);
	memcpy(s, prefix, lp);
	memset(s + lp, 'A', n);
	memcpy(s + lp + n, suffix, ls + 1);
	return s;
}

static void test_json_bounds(void **state)
{
	static struct rp_session_answer s;
	static struct rp_cert_answer c;
	struct rp_start_answer st;
	char err[256], *j;

	/* a signature of RP_SIG_MAX bytes is taken, one of more is not */
	j = big("{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"value\":\"", RP_SIG_MAX / 3 * 4 - 4,
		"AA==\"}}");
	assert_int_equal(rp_json_session(j, strlen(j), &s, err, sizeof(err)), 0);
	assert_int_equal(s.sig_len, RP_SIG_MAX / 3 * 3 - 3 + 1);
	free(j);
	j = big("{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"value\":\"", RP_SIG_MAX / 3 * 4 + 4,
		"\"}}");
	assert_int_equal(rp_json_session(j, strlen(j), &s, err, sizeof(err)), -EINVAL);
	free(j);
	j = big("{\"state\":\"COMPLETE\",\"result\":\"OK\",\"signature\":{\"value\":\"", 100000, "\"}}");
	assert_int_equal(rp_json_session(j, strlen(j), &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than"));
	free(j);
	j = big("{\"state\":\"COMPLETE\",\"result\":\"", RP_NAME_MAX, "\"}");
	assert_int_equal(rp_json_session(j, strlen(j), &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than"));
	free(j);
	j = big("{\"sessionID\":\"", RP_SESSION_ID_MAX, "\",\"verificationCode\":1}");
	assert_int_equal(rp_json_start(j, strlen(j), &st, err, sizeof(err)), 0);
	free(j);
	j = big("{\"sessionID\":\"", RP_SESSION_ID_MAX + 1, "\",\"verificationCode\":1}");
	assert_int_equal(rp_json_start(j, strlen(j), &st, err, sizeof(err)), -EINVAL);
	free(j);
	j = big("{\"result\":\"OK\",\"keyAlgorithm\":\"EC\",\"cert\":\"-----BEGIN CERTIFICATE-----", RP_CERT_PEM_MAX,
		"\"}");
	assert_int_equal(rp_json_cert(j, strlen(j), &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than"));
	free(j);
}

static void test_json_error(void **state)
{
	struct rp_error_answer e;
	const char *j;
	char *b;

	j = "{\"error\":\"PB_SIGNATURE_PROCESS\",\"message\":\"a signature is pending\"}";
	assert_int_equal(rp_json_error(j, strlen(j), &e), 0);
	assert_string_equal(e.error, "PB_SIGNATURE_PROCESS");
	assert_string_equal(e.message, "a signature is pending");
	j = "{\"error\":{\"code\":\"unauthorised\",\"message\":\"no\"}}";
	assert_int_equal(rp_json_error(j, strlen(j), &e), 0);
	assert_string_equal(e.error, "unauthorised");
	assert_string_equal(e.message, "no");
	j = "{\"error\":5,\"message\":\"a\\u001bb\"}";
	assert_int_equal(rp_json_error(j, strlen(j), &e), 0);
	assert_string_equal(e.error, "");
	assert_string_equal(e.message, "");
	j = "<html>";
	assert_int_equal(rp_json_error(j, strlen(j), &e), -EINVAL);
	b = big("{\"error\":\"E\",\"message\":\"", 10000, "\"}");
	assert_int_equal(rp_json_error(b, strlen(b), &e), 0);
	assert_string_equal(e.error, "E");
	assert_string_equal(e.message, "");
	free(b);
}

static void test_bodies(void **state)
{
	struct rp_cmdline cl = { .phone = "84912345678", .language = "ENG", .text = "K\xc3\xbd" };
	uint8_t h[32];
	char *b;
	json_t *j;

	for (int i = 0; i < 32; i++)
		h[i] = (uint8_t)i;
	b = rp_body_certificate(&cl);
	assert_string_equal(b, "{\"phoneNumber\":\"84912345678\"}");
	free(b);
	b = rp_body_signature(&cl, h);
	j = json_loads(b, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "phoneNumber")), "84912345678");
	assert_string_equal(json_string_value(json_object_get(j, "hash")),
			    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	assert_string_equal(json_string_value(json_object_get(j, "hashType")), "SHA256");
	assert_string_equal(json_string_value(json_object_get(j, "displayText")), "K\xc3\xbd");
	assert_string_equal(json_string_value(json_object_get(j, "language")), "ENG");
	json_decref(j);
	free(b);
	cl = (struct rp_cmdline){ .holder = "h1" };
	b = rp_body_signature(&cl, h);
	j = json_loads(b, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "holderId")), "h1");
	assert_null(json_object_get(j, "phoneNumber"));
	assert_null(json_object_get(j, "displayText"));
	assert_string_equal(json_string_value(json_object_get(j, "language")), "VIE");
	json_decref(j);
	free(b);
	b = rp_json_result("s1", 42, "OK", "doc.p7s");
	assert_string_equal(b, "{\"sessionID\":\"s1\",\"verificationCode\":\"0042\",\"result\":\"OK\","
			       "\"output\":\"doc.p7s\"}");
	free(b);
	b = rp_json_result(NULL, -1, "API_UNREACHABLE", NULL);
	assert_string_equal(b, "{\"sessionID\":null,\"verificationCode\":null,\"result\":\"API_UNREACHABLE\","
			       "\"output\":null}");
	free(b);
}

int main(void)
{
	static struct unit_list l;

	UNIT_ADD_TABLE(&l, parse_cases, test_parse);
	UNIT_ADD(&l, test_parse_values);
	UNIT_ADD(&l, test_results);
	UNIT_ADD(&l, test_http_exit);
	UNIT_ADD(&l, test_usage);
	UNIT_ADD_TABLE(&l, json_cases, test_json);
	UNIT_ADD(&l, test_json_values);
	UNIT_ADD(&l, test_json_bounds);
	UNIT_ADD(&l, test_json_error);
	UNIT_ADD(&l, test_bodies);
	return unit_run("rp", &l);
}
