/* The relying-party signature API's parsers and tables (ota-server/sign/sign_parse.c):
 *  - POST /v1/signature bodies: a good one read whole (phone with '+', holder, each hash type, format, language);
 *    every bad case refused with a message naming the member (not JSON, not an object, duplicates, unknown
 *    members, both or none of phoneNumber and holderId, bad numbers and ids, bad base64 or length, a text empty,
 *    too long or with control characters, bad format or language); POST /v1/certificate bodies;
 *  - the text shown: name, text and label, GSM-7 chosen when every character is in the GSM alphabet, else UCS-2
 *    with the language's label; exactly at the limits (235 GSM bytes, 115 UCS-2 characters) accepted, one more
 *    refused with the limit in characters; GSM-7 asked with a character outside refused;
 *  - routes and methods, session ids, timeoutMs; strict base64;
 *  - the result tables: names, TS 102 204 codes, the SIM's answers and the SMPP statuses mapped as sign.h says.
 */
#include <errno.h>
#include <string.h>

#include "sign_parse.h"
#include "unit.h"

#define H32 "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="					       /* 32 bytes */
#define H64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==" /* 64 bytes */

static int parse(const char *body, struct sign_api_req *r, char *err)
{
	return sign_api_parse(body, strlen(body), r, err, 200);
}

static void test_good(void **state)
{
	static struct sign_api_req r;
	char err[200];

	(void)state;
	assert_int_equal(parse("{\"phoneNumber\": \"+84912345678\", \"hash\": \"" H32 "\", \"hashType\": \"SHA256\","
			       " \"displayText\": \"Ký hợp đồng\"}",
			       &r, err),
			 0);
	assert_string_equal(r.msisdn, "84912345678");
	assert_string_equal(r.holder, "");
	assert_int_equal(r.hash_alg, SIGN_HASH_SHA256);
	assert_int_equal(r.hash_len, 32);
	assert_int_equal(r.hash[0], 0xab);
	assert_string_equal(r.text, "Ký hợp đồng");
	assert_int_equal(r.fmt, SIGN_FMT_AUTO);
	assert_int_equal(r.lang, SIGN_LANG_VIE);
	assert_int_equal(parse("{\"holderId\": \"H-0001\", \"hash\": \"" H64 "\", \"hashType\": \"SHA512\","
			       " \"displayText\": \"x\", \"displayTextFormat\": \"UCS-2\", \"language\": \"ENG\"}",
			       &r, err),
			 0);
	assert_string_equal(r.holder, "H-0001");
	assert_int_equal(r.hash_alg, SIGN_HASH_SHA512);
	assert_int_equal(r.fmt, SIGN_FMT_UCS2);
	assert_int_equal(r.lang, SIGN_LANG_ENG);
}

static void test_bad(void **state)
{
	static const struct {
		const char *body, *msg;
	} bad[] = {
		{ "", "not JSON" },
		{ "[1]", "a JSON object" },
		{ "{\"phoneNumber\": \"1\", \"phoneNumber\": \"2\"}", "not JSON" },
		{ "{\"x\": 1}", "unknown member: x" },
		{ "{\"hash\": \"" H32 "\", \"hashType\": \"SHA256\", \"displayText\": \"x\"}", "exactly one of" },
		{ "{\"phoneNumber\": \"1\", \"holderId\": \"a\", \"hashType\": \"SHA256\"}", "exactly one of" },
		{ "{\"phoneNumber\": \"12a\", \"hash\": \"" H32 "\", \"hashType\": \"SHA256\", \"displayText\": \"x\"}",
		  "phoneNumber" },
		{ "{\"phoneNumber\": \"1234567890123456\", \"hash\": \"" H32 "\", \"hashType\": \"SHA256\"}",
		  "phoneNumber" },
		{ "{\"phoneNumber\": 12, \"hash\": \"" H32 "\", \"hashType\": \"SHA256\"}", "phoneNumber" },
		{ "{\"holderId\": \"a b\", \"hash\": \"" H32 "\", \"hashType\": \"SHA256\"}", "holderId" },
		{ "{\"phoneNumber\": \"1\", \"hash\": \"" H32 "\", \"hashType\": \"MD5\"}", "hashType" },
		{ "{\"phoneNumber\": \"1\", \"hash\": \"" H32 "\", \"hashType\": \"SHA384\", \"displayText\": \"x\"}",
		  "hash: the 48 bytes" },
		{ "{\"phoneNumber\": \"1\", \"hash\": \"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA\", \"hashType\": "
		  "\"SHA256\", \"displayText\": \"x\"}",
		  "hash:" },
		{ "{\"phoneNumber\": \"1\", \"hash\": \"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJB=\", \"hashType\": "
		  "\"SHA256\", \"displayText\": \"x\"}",
		  "hash:" }, /* not canonical */
		{ "{\"phoneNumber\": \"1\", \"hash\": \"" H32 "\", \"hashType\": \"SHA256\"}", "displayText" },
		{ "{\"phoneNumber\": \"1\", \"hash\": \"" H32 "\", \"hashType\": \"SHA256\", \"displayText\": \"\"}",
		  "displayText" },
		{ "{\"phoneNumber\": \"1\", \"hash\": \"" H32
		  "\", \"hashType\": \"SHA256\", \"displayText\": \"a\\nb\"}",
		  "displayText" },
		{ "{\"phoneNumber\": \"1\", \"hash\": \"" H32
		  "\", \"hashType\": \"SHA256\", \"displayText\": \"a\\u0000b\"}",
		  "not JSON" },
		{ "{\"phoneNumber\": \"1\", \"hash\": \"" H32 "\", \"hashType\": \"SHA256\", \"displayText\": \"a\","
		  " \"displayTextFormat\": \"GSM\"}",
		  "displayTextFormat" },
		{ "{\"phoneNumber\": \"1\", \"hash\": \"" H32 "\", \"hashType\": \"SHA256\", \"displayText\": \"a\","
		  " \"language\": \"FRA\"}",
		  "language" },
	};
	static struct sign_api_req r;
	char err[200], big[SIGN_API_BODY_MAX + 2];
	char msisdn[16], holder[OTAD_HOLDER_ID_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (parse(bad[i].body, &r, err) != -EINVAL || !strstr(err, bad[i].msg)) {
			print_error("case %zu: %s -> %s\n", i, bad[i].body, err);
			fail();
		}
	}
	memset(big, ' ', sizeof(big));
	assert_int_equal(sign_api_parse(big, sizeof(big), &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "larger than"));
	/* a text of SIGN_API_TEXT_MAX + 1 bytes */
	snprintf(big, sizeof(big),
		 "{\"phoneNumber\": \"1\", \"hash\": \"" H32 "\", \"hashType\": \"SHA256\", "
		 "\"displayText\": \"%0*d\"}",
		 SIGN_API_TEXT_MAX + 1, 0);
	assert_int_equal(parse(big, &r, err), -EINVAL);
	assert_non_null(strstr(err, "displayText"));
	/* POST /v1/certificate */
	assert_int_equal(sign_api_parse_who("{\"holderId\": \"H-1\"}", 19, msisdn, holder, err, sizeof(err)), 0);
	assert_string_equal(holder, "H-1");
	assert_int_equal(sign_api_parse_who("{\"phoneNumber\": \"2000\"}", 23, msisdn, holder, err, sizeof(err)), 0);
	assert_string_equal(msisdn, "2000");
	assert_int_equal(
		sign_api_parse_who("{\"phoneNumber\": \"2000\", \"hash\": 1}", 34, msisdn, holder, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "unknown member: hash"));
	assert_int_equal(sign_api_parse_who("{}", 2, msisdn, holder, err, sizeof(err)), -EINVAL);
}

static void test_compose(void **state)
{
	uint8_t out[SIGN_TEXT_MAX], dcs;
	char err[300], text[400];
	size_t len;

	(void)state;
	/* GSM when it can: "Portal\nSign it\nCode: " */
	assert_int_equal(sign_compose("Portal", "Sign it", SIGN_FMT_AUTO, SIGN_LANG_VIE, &dcs, out, &len, err, 300), 0);
	assert_int_equal(dcs, SIGN_DCS_GSM);
	assert_int_equal(len, 6 + 1 + 7 + 1 + 6);
	assert_memory_equal(out, "Portal\nSign it\nCode: ", len);
	/* UCS-2 otherwise, with the language's label */
	assert_int_equal(sign_compose("Cổng", "Ký", SIGN_FMT_AUTO, SIGN_LANG_VIE, &dcs, out, &len, err, 300), 0);
	assert_int_equal(dcs, SIGN_DCS_UCS2);
	assert_int_equal(len, 2 * (4 + 1 + 2 + 1 + 13));
	assert_memory_equal(out, "\x00\x43\x1e\xd5", 4); /* C ổ */
	assert_memory_equal(out + len - 4, "\x00\x3a\x00\x20", 4);
	assert_int_equal(sign_compose("Cổng", "Ký", SIGN_FMT_AUTO, SIGN_LANG_ENG, &dcs, out, &len, err, 300), 0);
	assert_int_equal(len, 2 * (4 + 1 + 2 + 1 + 6));
	/* UCS-2 asked for a GSM text */
	assert_int_equal(sign_compose("Portal", "Sign", SIGN_FMT_UCS2, SIGN_LANG_ENG, &dcs, out, &len, err, 300), 0);
	assert_int_equal(dcs, SIGN_DCS_UCS2);
	/* GSM-7 asked with a character outside */
	assert_int_equal(sign_compose("Portal", "Ký", SIGN_FMT_GSM, SIGN_LANG_VIE, &dcs, out, &len, err, 300), -EILSEQ);
	assert_non_null(strstr(err, "outside the GSM alphabet"));
	assert_int_equal(sign_compose("Cổng", "Sign", SIGN_FMT_GSM, SIGN_LANG_VIE, &dcs, out, &len, err, 300), -EILSEQ);
	assert_non_null(strstr(err, "display name"));
	/* GSM: exactly 235 bytes, then one more ("P\n" + text + "\nCode: " = 9 + text) */
	memset(text, 'a', 226);
	text[226] = 0;
	assert_int_equal(sign_compose("P", text, SIGN_FMT_AUTO, SIGN_LANG_VIE, &dcs, out, &len, err, 300), 0);
	assert_int_equal(len, SIGN_TEXT_MAX);
	text[225] = '{'; /* an extension character: two bytes */
	assert_int_equal(sign_compose("P", text, SIGN_FMT_AUTO, SIGN_LANG_VIE, &dcs, out, &len, err, 300), -E2BIG);
	assert_non_null(strstr(err, "at most 235 GSM-7 characters"));
	assert_non_null(strstr(err, "displayText at most 226 here"));
	/* UCS-2: exactly 115 characters ("Ký\n" + text + "\nCode: " = 10 + text), then one more */
	memset(text, 'a', 105);
	text[105] = 0;
	assert_int_equal(sign_compose("Ký", text, SIGN_FMT_AUTO, SIGN_LANG_ENG, &dcs, out, &len, err, 300), 0);
	assert_int_equal(len, 2 * SIGN_UCS2_CHARS_MAX);
	text[105] = 'a';
	text[106] = 0;
	assert_int_equal(sign_compose("Ký", text, SIGN_FMT_AUTO, SIGN_LANG_ENG, &dcs, out, &len, err, 300), -E2BIG);
	assert_non_null(strstr(err, "at most 115 UCS-2 characters, so displayText at most 105 here"));
	/* outside the BMP */
	assert_int_equal(sign_compose("P", "\xf0\x9f\x98\x80", SIGN_FMT_AUTO, SIGN_LANG_VIE, &dcs, out, &len, err, 300),
			 -EILSEQ);
}

static void test_routes(void **state)
{
	char id[OTAD_SIGN_SESSION_MAX + 1];
	const char *allow;
	unsigned ms;
	uint8_t b[8];

	(void)state;
	assert_int_equal(sign_api_route("POST", "/v1/signature", id, &allow), SIGN_R_SIGN);
	assert_int_equal(sign_api_route("GET", "/v1/signature", id, &allow), SIGN_R_BAD_METHOD);
	assert_string_equal(allow, "POST");
	assert_int_equal(sign_api_route("POST", "/v1/certificate", id, &allow), SIGN_R_CERT);
	assert_int_equal(
		sign_api_route("GET", "/v1/signature/session/0f8fad5b-d9cb-469f-a165-70867728950e", id, &allow),
		SIGN_R_SESSION_GET);
	assert_string_equal(id, "0f8fad5b-d9cb-469f-a165-70867728950e");
	assert_int_equal(
		sign_api_route("DELETE", "/v1/signature/session/0f8fad5b-d9cb-469f-a165-70867728950e", id, &allow),
		SIGN_R_SESSION_DELETE);
	assert_int_equal(
		sign_api_route("PUT", "/v1/signature/session/0f8fad5b-d9cb-469f-a165-70867728950e", id, &allow),
		SIGN_R_BAD_METHOD);
	assert_int_equal(
		sign_api_route("GET", "/v1/signature/session/0F8FAD5B-d9cb-469f-a165-70867728950e", id, &allow),
		SIGN_R_BAD_ID);
	assert_int_equal(
		sign_api_route("GET", "/v1/signature/session/0f8fad5b-d9cb-469f-a165-70867728950e/x", id, &allow),
		SIGN_R_BAD_ID);
	assert_int_equal(sign_api_route("GET", "/v1/signatures", id, &allow), SIGN_R_NONE);
	assert_int_equal(sign_api_timeout(NULL, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(sign_api_timeout("120000", &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(sign_api_timeout("120001", &ms), -EINVAL);
	assert_int_equal(sign_api_timeout("-1", &ms), -EINVAL);
	assert_int_equal(sign_api_timeout("", &ms), -EINVAL);
	assert_int_equal(sign_b64_decode("YWJj", 4, b, sizeof(b)), 3);
	assert_int_equal(sign_b64_decode("YWI=", 4, b, sizeof(b)), 2);
	assert_int_equal(sign_b64_decode("YQ==", 4, b, sizeof(b)), 1);
	assert_int_equal(sign_b64_decode("YR==", 4, b, sizeof(b)), -EINVAL);
	assert_int_equal(sign_b64_decode("Y===", 4, b, sizeof(b)), -EINVAL);
	assert_int_equal(sign_b64_decode("YQ=a", 4, b, sizeof(b)), -EINVAL);
	assert_int_equal(sign_b64_decode("YQ==YWJj", 8, b, sizeof(b)), -EINVAL);
	assert_int_equal(sign_b64_decode("YWJjYWJjYWJj", 12, b, sizeof(b)), -E2BIG);
}

static void test_results(void **state)
{
	(void)state;
	assert_string_equal(otad_sign_result_names[OTAD_SIGN_SIGNATURE_HASH_MISMATCH], "SIGNATURE_HASH_MISMATCH");
	for (int i = 1; i < OTAD_SIGN_N_RESULTS; i++)
		assert_non_null(otad_sign_result_names[i]);
	assert_int_equal(otad_sign_ts_status(OTAD_SIGN_OK), 500);
	assert_int_equal(otad_sign_ts_status(OTAD_SIGN_USER_CANCELLED), 401);
	assert_int_equal(otad_sign_ts_status(OTAD_SIGN_PIN_BLOCKED), 402);
	assert_int_equal(otad_sign_ts_status(OTAD_SIGN_TIMEOUT), 208);
	assert_int_equal(otad_sign_ts_status(OTAD_SIGN_NOT_A_CLIENT), 105);
	assert_int_equal(otad_sign_ts_status(OTAD_SIGN_REVOKED_CERTIFICATE), 501);
	assert_int_equal(otad_sign_ts_status(OTAD_SIGN_SIGNATURE_HASH_MISMATCH), 503);
	assert_int_equal(otad_sign_ts_status(OTAD_SIGN_PHONE_ABSENT), 208);
	assert_int_equal(otad_sign_ts_status(OTAD_SIGN_SIM_ERROR), 900);
	assert_int_equal(otad_sign_ts_status(OTAD_SIGN_RUNNING), 504);
	assert_int_equal(otad_sign_result_of_sim(SIGN_OK), OTAD_SIGN_OK);
	assert_int_equal(otad_sign_result_of_sim(SIGN_USER_CANCELLED), OTAD_SIGN_USER_CANCELLED);
	assert_int_equal(otad_sign_result_of_sim(SIGN_NO_RESPONSE), OTAD_SIGN_TIMEOUT);
	assert_int_equal(otad_sign_result_of_sim(SIGN_PIN_BLOCKED), OTAD_SIGN_PIN_BLOCKED);
	assert_int_equal(otad_sign_result_of_sim(SIGN_KEY_UNUSABLE), OTAD_SIGN_SIM_ERROR);
	assert_int_equal(otad_sign_result_of_sim(SIGN_BAD_REQUEST), OTAD_SIGN_SIM_ERROR);
	assert_int_equal(otad_sign_result_of_sim(SIGN_TERMINAL_FAILED), OTAD_SIGN_SIM_ERROR);
	assert_int_equal(otad_sign_result_of_sim((enum sign_result)77), OTAD_SIGN_SIM_ERROR);
	assert_int_equal(otad_sign_result_of_smpp(0x0b), OTAD_SIGN_PHONE_ABSENT);
	assert_int_equal(otad_sign_result_of_smpp(0xfe), OTAD_SIGN_PHONE_ABSENT);
	assert_int_equal(otad_sign_result_of_smpp(0x58), OTAD_SIGN_DELIVERY_ERROR);
}

static void test_fingerprint(void **state)
{
	const char *hex = "00112233445566778899aabbccddeeffFFEEDDCCBBAA99887766554433221100";
	const char *colons = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:ff:ee:dd:cc:bb:aa:99:88:77:66:55:44:33:"
			     "22:11:00";
	uint8_t a[32], b[32];

	(void)state;
	assert_int_equal(sign_fingerprint_parse(hex, a), 0);
	assert_int_equal(a[0], 0x00);
	assert_int_equal(a[10], 0xaa);
	assert_int_equal(a[16], 0xff);
	assert_int_equal(a[31], 0x00);
	assert_int_equal(sign_fingerprint_parse(colons, b), 0);
	assert_memory_equal(a, b, 32);
	assert_int_equal(sign_fingerprint_parse("", a), -EINVAL);
	assert_int_equal(sign_fingerprint_parse("0011", a), -EINVAL);
	/* 63 digits and one more character; a non-hex digit; a colon misplaced; 65 digits */
	assert_int_equal(sign_fingerprint_parse("00112233445566778899aabbccddeeffffeeddccbbaa9988776655443322110g", a),
			 -EINVAL);
	assert_int_equal(sign_fingerprint_parse("00112233445566778899aabbccddeeffffeeddccbbaa99887766554433221100 ", a),
			 -EINVAL);
	assert_int_equal(
		sign_fingerprint_parse("00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:ff:ee:dd:cc:bb:aa:99:88"
				       ":77:66:55:44:33:22:1100:",
				       a),
		-EINVAL);
	assert_int_equal(
		sign_fingerprint_parse("0:011:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:ff:ee:dd:cc:bb:aa:99:88"
				       ":77:66:55:44:33:22:11:00",
				       a),
		-EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),   cmocka_unit_test(test_bad),     cmocka_unit_test(test_compose),
		cmocka_unit_test(test_routes), cmocka_unit_test(test_results), cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
