/* libFuzzer harness: the relying-party signature API's requests (ota-server/sign/sign_parse.c): the first input byte
 * picks what the rest is: a POST /v1/signature body, then the text composed for it (0); a POST /v1/certificate
 * body (1); a method and a URL split at the first space (2); a timeoutMs value (3); base64 (4). Checked: a parsed
 * signature request has exactly one of a phone number (digits) and a holder id, a hash of its type's length and a
 * text within its bound; a composed text fits one DISPLAY TEXT with the code and sign_req_encode() takes it; a
 * session route's id is a session id; a timeout is within its bound; decoded base64 fits; every refusal says why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "holder.h"
#include "sign_parse.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-sign-api: %s\n", what);
	abort();
}

static void check_req(const struct sign_api_req *r)
{
	static uint8_t text[SIGN_TEXT_MAX], pkt[SIGN_REQ_MAX];
	struct sign_req sr = { .id = { 1 }, .id_len = 1, .key_ref = 1 };
	char err[300];
	size_t len;
	uint8_t dcs;
	int rc;

	if (!!r->msisdn[0] == !!r->holder[0])
		die("not exactly one of phone and holder");
	if (r->msisdn[0] && strspn(r->msisdn, "0123456789") != strlen(r->msisdn))
		die("a phone number that is not digits");
	if (r->holder[0] && !holder_id_ok(r->holder))
		die("a bad holder id");
	if (r->hash_len != sign_hash_len(r->hash_alg))
		die("a hash of the wrong length");
	if (!r->text[0] || strlen(r->text) > SIGN_API_TEXT_MAX)
		die("a text out of its bound");
	err[0] = 0;
	rc = sign_compose("Cổng Dịch vụ công", r->text, r->fmt, r->lang, &dcs, text, &len, err, sizeof(err));
	if (rc) {
		if (!err[0])
			die("a refusal without a message");
		return;
	}
	sr.hash_alg = r->hash_alg;
	memcpy(sr.hash, r->hash, r->hash_len);
	sr.hash_len = (uint8_t)r->hash_len;
	sr.dcs = dcs;
	memcpy(sr.text, text, len);
	sr.text_len = (uint8_t)len;
	sign_verification_code(r->hash, r->hash_len, sr.code);
	if (len > SIGN_TEXT_MAX || sign_req_encode(&sr, pkt, sizeof(pkt)) < 0)
		die("a composed text the request cannot carry");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sign_api_req req;
	char *s, err[300], id[OTAD_SIGN_SESSION_MAX + 1], msisdn[16], holder[OTAD_HOLDER_ID_MAX + 1], *sp;
	const char *allow;
	uint8_t out[96];
	unsigned ms;
	int rc;

	if (!size)
		return 0;
	s = malloc(size);
	if (!s)
		die("out of memory");
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	err[0] = 0;
	switch (data[0] % 5) {
	case 0:
		rc = sign_api_parse(s, size - 1, &req, err, sizeof(err));
		if (rc == 0)
			check_req(&req);
		else if (!err[0])
			die("a refusal without a message");
		break;
	case 1:
		rc = sign_api_parse_who(s, size - 1, msisdn, holder, err, sizeof(err));
		if (rc == 0 && !!msisdn[0] == !!holder[0])
			die("not exactly one of phone and holder");
		if (rc && !err[0])
			die("a refusal without a message");
		break;
	case 2:
		sp = strchr(s, ' ');
		if (!sp)
			break;
		*sp = 0;
		rc = sign_api_route(s, sp + 1, id, &allow);
		if ((rc == SIGN_R_SESSION_GET || rc == SIGN_R_SESSION_DELETE) && !sign_session_id_ok(id))
			die("a session route without a session id");
		break;
	case 3:
		if (sign_api_timeout(s, &ms) == 0 && ms > SIGN_API_TIMEOUT_MS_MAX)
			die("a timeout out of its bound");
		break;
	default:
		rc = sign_b64_decode(s, strlen(s), out, sizeof(out));
		if (rc > (int)sizeof(out))
			die("decoded beyond the buffer");
		break;
	}
	free(s);
	return 0;
}
