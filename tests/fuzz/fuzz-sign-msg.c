/* libFuzzer harness: the mobile-signature messages (include/simpki/sign_msg.h) as the SIM reads a request and the
 * server reads a response, and the handset text decoders. The input is decoded as a request and as a response;
 * what decodes must encode again to the same bytes (the format has one encoding) and decode to the same fields.
 * The input as UTF-8 goes through the GSM and UCS2 encoders, and what they make decodes back to the same UTF-8;
 * the input as GSM and UCS2 text decodes within its bounds. A broken property abort()s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/sign_msg.h>

#include "fuzz.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-sign-msg: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[1024], text[1024];
	static char utf8[4096];
	struct sign_req rq, rq2;
	struct sign_resp rs, rs2;
	int n, m;

	if (!sign_req_decode(data, size, &rq)) {
		n = sign_req_encode(&rq, enc, sizeof(enc));
		if (n < 0 || (size_t)n != size || memcmp(enc, data, size))
			die("a request does not encode back to itself");
		if (sign_req_decode(enc, (size_t)n, &rq2) || memcmp(&rq, &rq2, sizeof(rq)))
			die("a request does not decode the same twice");
		if (sign_text_utf8(rq.dcs, rq.text, rq.text_len, utf8, sizeof(utf8)) < 0 && rq.dcs == SIGN_DCS_GSM)
			die("a GSM text does not decode");
	}
	if (!sign_resp_decode(data, size, &rs)) {
		n = sign_resp_encode(&rs, enc, sizeof(enc));
		if (n < 0 || (size_t)n != size || memcmp(enc, data, size))
			die("a response does not encode back to itself");
		if (sign_resp_decode(enc, (size_t)n, &rs2) || memcmp(&rs, &rs2, sizeof(rs)))
			die("a response does not decode the same twice");
	}
	n = sign_text_gsm((const char *)data, size, text, sizeof(text));
	if (n >= 0) {
		m = sign_text_utf8(SIGN_DCS_GSM, text, (size_t)n, utf8, sizeof(utf8));
		if (m < 0 || (size_t)m != size || memcmp(utf8, data, size))
			die("UTF-8 through the GSM alphabet does not come back");
	}
	n = sign_text_ucs2((const char *)data, size, text, sizeof(text));
	if (n >= 0) {
		m = sign_text_utf8(SIGN_DCS_UCS2, text, (size_t)n, utf8, sizeof(utf8));
		if (m < 0 || (size_t)m != size || memcmp(utf8, data, size))
			die("UTF-8 through UCS2 does not come back");
	}
	sign_text_utf8(SIGN_DCS_GSM, data, size, utf8, sizeof(utf8));
	sign_text_utf8(SIGN_DCS_UCS2, data, size, utf8, sizeof(utf8));
	return 0;
}
