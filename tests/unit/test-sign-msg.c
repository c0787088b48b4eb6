/* Unit tests for lib/sign_msg.c: signing requests and responses encoded and read back; every bound of the decoders
 * (wrong outer tag, trailing bytes, missing, repeated or reordered children, ids of 0 and 9 bytes, a hash of the
 * wrong length for its algorithm, an unknown algorithm, a key reference over 15, an odd UCS2 text, a text one byte
 * too long for the DISPLAY TEXT, a code with a letter, a result out of range, a signature with a refusal and none
 * with OK); the verification code of Mobile-ID's example (2f..b6 -> 1462) and its leading zeros; UTF-8 to the GSM
 * alphabet (extension characters, a character outside it), to UCS2 (Vietnamese, a character outside the BMP) and
 * back, byte-identical.
 */
#include <errno.h>
#include <string.h>

#include <simpki/sign_msg.h>

#include "unit.h"

static struct sign_req good_req(void)
{
	struct sign_req r = { .id = { 1, 2, 3, 4 },
			      .id_len = 4,
			      .hash_alg = SIGN_HASH_SHA256,
			      .hash_len = 32,
			      .key_ref = 2,
			      .dcs = SIGN_DCS_GSM,
			      .text_len = 5,
			      .code = "0421" };

	memset(r.hash, 0xab, 32);
	memcpy(r.text, "Hello", 5);
	return r;
}

static void req_round_trip(void **state)
{
	struct sign_req r = good_req(), back;
	uint8_t buf[SIGN_REQ_MAX];
	int n;

	(void)state;
	n = sign_req_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(sign_req_decode(buf, (size_t)n, &back), 0);
	assert_memory_equal(&r, &back, sizeof(r));
	/* the longest text that fits, in both alphabets */
	r.text_len = SIGN_TEXT_MAX;
	memset(r.text, 'A', SIGN_TEXT_MAX);
	r.hash_alg = SIGN_HASH_SHA512;
	r.hash_len = 64;
	r.id_len = SIGN_ID_MAX;
	n = sign_req_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(sign_req_decode(buf, (size_t)n, &back), 0);
	r.text_len = SIGN_TEXT_MAX + 1;
	assert_int_equal(sign_req_encode(&r, buf, sizeof(buf)), -EINVAL);
	r.dcs = SIGN_DCS_UCS2;
	r.text_len = SIGN_DISPLAY_MAX - 8;
	assert_int_equal(sign_req_encode(&r, buf, sizeof(buf)), -EINVAL); /* 231 is odd */
	r.text_len = SIGN_DISPLAY_MAX - 9;
	n = sign_req_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(sign_req_decode(buf, (size_t)n, &back), 0);
	assert_int_equal(sign_req_encode(&r, buf, 20), -E2BIG);
}

static void req_encode_bounds(void **state)
{
	uint8_t buf[SIGN_REQ_MAX];
	struct sign_req r;

	(void)state;
	r = good_req(), r.id_len = 0;
	assert_int_equal(sign_req_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = good_req(), r.hash_len = 31;
	assert_int_equal(sign_req_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = good_req(), r.key_ref = 16;
	assert_int_equal(sign_req_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = good_req(), r.code[2] = 'x';
	assert_int_equal(sign_req_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = good_req(), r.dcs = 0x00;
	assert_int_equal(sign_req_encode(&r, buf, sizeof(buf)), -EINVAL);
}

struct bad_case {
	const char *name;
	const uint8_t *buf;
	size_t len;
};

static const struct bad_case bad_reqs[] = {
	{ "req bad: empty", NO_BYTES },
	{ "req bad: another tag", BYTES(0x71, 0x00) },
	{ "req bad: empty request", BYTES(0x70, 0x00) },
	{ "req bad: trailing byte", BYTES(0x70, 0x03, 0x80, 0x01, 0x01, 0x00) },
	{ "req bad: id missing", BYTES(0x70, 0x03, 0x81, 0x01, 0x01) },
	{ "req bad: id 9 bytes", BYTES(0x70, 0x0b, 0x80, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9) },
	{ "req bad: hash alg 4", BYTES(0x70, 0x0b, 0x80, 0x01, 0x01, 0x81, 0x01, 0x04, 0x82, 0x01, 0x11, 0x83, 0x00) },
	{ "req bad: length past the object", BYTES(0x70, 0x05, 0x80, 0x09, 0x01) },
};

static void bad_req(void **state)
{
	const struct bad_case *c = *state;
	struct sign_req r;

	assert_int_equal(sign_req_decode(c->buf, c->len, &r), -EBADMSG);
}

/* Mutations of a good request: each one byte changed or a length cut must be refused, not read. */
static void req_mutations(void **state)
{
	struct sign_req r = good_req(), back;
	uint8_t buf[SIGN_REQ_MAX], m[SIGN_REQ_MAX];
	int n;

	(void)state;
	n = sign_req_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	for (int cut = 0; cut < n; cut++)
		assert_int_equal(sign_req_decode(buf, (size_t)cut, &back), -EBADMSG);
	/* the hash 31 bytes long, with its algorithm SHA-256 */
	memcpy(m, buf, (size_t)n);
	for (int i = 0; i < n - 1; i++)
		if (m[i] == 0x82 && m[i + 1] == 0x20) {
			m[i + 1] = 0x1f;
			break;
		}
	assert_int_equal(sign_req_decode(m, (size_t)n, &back), -EBADMSG);
	/* a key reference of 16 */
	r.key_ref = 15;
	n = sign_req_encode(&r, buf, sizeof(buf));
	for (int i = 0; i < n - 2; i++)
		if (buf[i] == 0x83 && buf[i + 1] == 0x01 && buf[i + 2] == 15) {
			buf[i + 2] = 16;
			break;
		}
	assert_int_equal(sign_req_decode(buf, (size_t)n, &back), -EBADMSG);
}

static void resp_round_trip(void **state)
{
	struct sign_resp r = { .id = { 9, 8 }, .id_len = 2, .result = SIGN_OK, .tries_left = 3, .sig_len = 72 }, back;
	uint8_t buf[SIGN_RESP_MAX];
	int n;

	(void)state;
	memset(r.sig, 0x30, 72);
	n = sign_resp_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(sign_resp_decode(buf, (size_t)n, &back), 0);
	assert_memory_equal(&r, &back, sizeof(r));
	r.result = SIGN_PIN_BLOCKED, r.sig_len = 0, r.tries_left = 0;
	n = sign_resp_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(sign_resp_decode(buf, (size_t)n, &back), 0);
	assert_int_equal(back.result, SIGN_PIN_BLOCKED);
	assert_int_equal(back.tries_left, 0);
	r.result = SIGN_USER_CANCELLED, r.tries_left = -1, r.id_len = 0;
	n = sign_resp_encode(&r, buf, sizeof(buf));
	assert_int_equal(sign_resp_decode(buf, (size_t)n, &back), 0);
	assert_int_equal(back.tries_left, -1);
	r.sig_len = 10; /* a signature with a refusal */
	assert_int_equal(sign_resp_encode(&r, buf, sizeof(buf)), -EINVAL);
	r.result = SIGN_OK, r.sig_len = 0;
	assert_int_equal(sign_resp_encode(&r, buf, sizeof(buf)), -EINVAL);
}

static const struct bad_case bad_resps[] = {
	{ "resp bad: empty", NO_BYTES },
	{ "resp bad: request tag", BYTES(0x70, 0x03, 0x80, 0x00, 0x81) },
	{ "resp bad: result 7", BYTES(0x71, 0x05, 0x80, 0x00, 0x81, 0x01, 0x07) },
	{ "resp bad: ok without signature", BYTES(0x71, 0x05, 0x80, 0x00, 0x81, 0x01, 0x00) },
	{ "resp bad: signature with a refusal", BYTES(0x71, 0x08, 0x80, 0x00, 0x81, 0x01, 0x01, 0x83, 0x01, 0x00) },
	{ "resp bad: tries 2 bytes", BYTES(0x71, 0x09, 0x80, 0x00, 0x81, 0x01, 0x03, 0x82, 0x02, 0x00, 0x00) },
	{ "resp bad: empty signature", BYTES(0x71, 0x07, 0x80, 0x00, 0x81, 0x01, 0x00, 0x83, 0x00) },
	{ "resp bad: unknown child", BYTES(0x71, 0x08, 0x80, 0x00, 0x81, 0x01, 0x01, 0x99, 0x01, 0x00) },
	{ "resp bad: children reordered", BYTES(0x71, 0x05, 0x81, 0x01, 0x01, 0x80, 0x00) },
	{ "resp bad: a length in its long form",
	  BYTES(0x71, 0x09, 0x80, 0x81, 0x00, 0x81, 0x01, 0x03, 0x82, 0x01, 0x00) },
};

static void bad_resp(void **state)
{
	const struct bad_case *c = *state;
	struct sign_resp r;

	assert_int_equal(sign_resp_decode(c->buf, c->len, &r), -EBADMSG);
}

static void verification_code(void **state)
{
	uint8_t h[32] = { 0x2f, [31] = 0xb6 };
	char vc[5];

	(void)state;
	sign_verification_code(h, sizeof(h), vc);
	assert_string_equal(vc, "1462");
	memset(h, 0, sizeof(h));
	h[31] = 0x05;
	sign_verification_code(h, sizeof(h), vc);
	assert_string_equal(vc, "0005");
	memset(h, 0xff, sizeof(h));
	sign_verification_code(h, sizeof(h), vc);
	assert_string_equal(vc, "8191");
}

static void text(void **state)
{
	const char *vi = "Ký quyết định 275/QĐ-UBND: Phê duyệt kế hoạch";
	uint8_t b[512];
	char back[1024];
	int n;

	(void)state;
	n = sign_text_gsm("Pay {5} €@", strlen("Pay {5} €@"), b, sizeof(b));
	assert_int_equal(n, 13);
	assert_memory_equal(
		b, ((const uint8_t[]){ 'P', 'a', 'y', ' ', 0x1b, 0x28, '5', 0x1b, 0x29, ' ', 0x1b, 0x65, 0x00 }), 13);
	assert_int_equal(sign_text_utf8(SIGN_DCS_GSM, b, (size_t)n, back, sizeof(back)), (int)strlen("Pay {5} €@"));
	assert_string_equal(back, "Pay {5} €@");
	assert_int_equal(sign_text_gsm(vi, strlen(vi), b, sizeof(b)), -EILSEQ);
	n = sign_text_ucs2(vi, strlen(vi), b, sizeof(b));
	assert_int_equal(n, 2 * 45);
	assert_int_equal(sign_text_utf8(SIGN_DCS_UCS2, b, (size_t)n, back, sizeof(back)), (int)strlen(vi));
	assert_string_equal(back, vi);
	assert_int_equal(sign_text_ucs2("\xf0\x9f\x98\x80", 4, b, sizeof(b)), -EILSEQ); /* outside the BMP */
	assert_int_equal(sign_text_ucs2("\xc3", 1, b, sizeof(b)), -EILSEQ);		/* cut */
	assert_int_equal(sign_text_ucs2("\xc0\x80", 2, b, sizeof(b)), -EILSEQ);		/* overlong */
	assert_int_equal(sign_text_ucs2(vi, strlen(vi), b, 10), -E2BIG);
	assert_int_equal(sign_text_utf8(SIGN_DCS_UCS2, b, 3, back, sizeof(back)), -EILSEQ);
	assert_int_equal(sign_text_utf8(SIGN_DCS_UCS2, (const uint8_t[]){ 0xd8, 0x00 }, 2, back, sizeof(back)),
			 -EILSEQ);
	assert_int_equal(sign_text_utf8(0x00, b, 2, back, sizeof(back)), -EILSEQ);
	assert_int_equal(sign_text_utf8(SIGN_DCS_UCS2, b, (size_t)n, back, 8), -E2BIG);
}

int main(void)
{
	static struct unit_list l;

	unit_add(&l, "request round trip and the longest texts", req_round_trip, NULL);
	unit_add(&l, "request encoder bounds", req_encode_bounds, NULL);
	UNIT_ADD_TABLE(&l, bad_reqs, bad_req);
	unit_add(&l, "request cut or mutated", req_mutations, NULL);
	unit_add(&l, "response round trip and rules", resp_round_trip, NULL);
	UNIT_ADD_TABLE(&l, bad_resps, bad_resp);
	unit_add(&l, "verification code", verification_code, NULL);
	unit_add(&l, "text: GSM, UCS2, UTF-8", text, NULL);
	return _cmocka_run_group_tests("sign-msg", l.t, l.n, NULL, NULL);
}
