/* The relying-party signature API's requests and results (sign_parse.h): pure functions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <simpki/hex.h>

#include "holder.h"
#include "sign_parse.h"

const char *const otad_sign_result_names[OTAD_SIGN_N_RESULTS] = {
	[OTAD_SIGN_RUNNING] = "",
	[OTAD_SIGN_OK] = "OK",
	[OTAD_SIGN_USER_CANCELLED] = "USER_CANCELLED",
	[OTAD_SIGN_TIMEOUT] = "TIMEOUT",
	[OTAD_SIGN_PIN_BLOCKED] = "PIN_BLOCKED",
	[OTAD_SIGN_NOT_A_CLIENT] = "NOT_A_CLIENT",
	[OTAD_SIGN_PHONE_ABSENT] = "PHONE_ABSENT",
	[OTAD_SIGN_DELIVERY_ERROR] = "DELIVERY_ERROR",
	[OTAD_SIGN_SIM_ERROR] = "SIM_ERROR",
	[OTAD_SIGN_SIGNATURE_HASH_MISMATCH] = "SIGNATURE_HASH_MISMATCH",
	[OTAD_SIGN_REVOKED_CERTIFICATE] = "REVOKED_CERTIFICATE",
	[OTAD_SIGN_CANCELLED] = "CANCELLED",
	[OTAD_SIGN_INTERNAL_ERROR] = "INTERNAL_ERROR",
};

int otad_sign_ts_status(enum otad_sign_result r)
{
	switch (r) {
	case OTAD_SIGN_OK:
		return 500; /* SIGNATURE */
	case OTAD_SIGN_USER_CANCELLED:
		return 401; /* USER_CANCEL */
	case OTAD_SIGN_PIN_BLOCKED:
		return 402; /* PIN_NR_BLOCKED */
	case OTAD_SIGN_TIMEOUT:
	case OTAD_SIGN_PHONE_ABSENT:
	case OTAD_SIGN_CANCELLED:
		return 208; /* EXPIRED_TRANSACTION: over without a signature, nothing wrong with the request */
	case OTAD_SIGN_NOT_A_CLIENT:
		return 105; /* UNKNOWN_CLIENT */
	case OTAD_SIGN_REVOKED_CERTIFICATE:
		return 501; /* REVOKED_CERTIFICATE */
	case OTAD_SIGN_SIGNATURE_HASH_MISMATCH:
		return 503; /* INVALID_SIGNATURE */
	case OTAD_SIGN_RUNNING:
		return 504; /* OUTSTANDING_TRANSACTION */
	default:
		return 900; /* INTERNAL_ERROR: DELIVERY_ERROR, SIM_ERROR, INTERNAL_ERROR */
	}
}

enum otad_sign_result otad_sign_result_of_sim(enum sign_result r)
{
	switch (r) {
	case SIGN_OK:
		return OTAD_SIGN_OK;
	case SIGN_USER_CANCELLED:
		return OTAD_SIGN_USER_CANCELLED;
	case SIGN_NO_RESPONSE:
		return OTAD_SIGN_TIMEOUT;
	case SIGN_PIN_BLOCKED:
		return OTAD_SIGN_PIN_BLOCKED;
	default:
		return OTAD_SIGN_SIM_ERROR;
	}
}

enum otad_sign_result otad_sign_result_of_smpp(uint32_t status)
{
	return status == 0x0000000b || status == 0x000000fe ? OTAD_SIGN_PHONE_ABSENT : OTAD_SIGN_DELIVERY_ERROR;
}

/* ---- base64 ----------------------------------------------------------------------------------------------- */

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int sign_b64_decode(const char *s, size_t len, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (!len || len % 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		uint32_t w;

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)
				return -EINVAL; /* a character after '=' */
			v[k] = b64_val(s[i + k]);
			if (v[k] < 0)
				return -EINVAL;
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* canonical: the bits the padding leaves over are zero */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -EINVAL;
		if (n + 3 - (size_t)pad > max)
			return -E2BIG;
		out[n++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[n++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[n++] = (uint8_t)w;
	}
	return (int)n;
}

/* ---- bodies ----------------------------------------------------------------------------------------------- */

static json_t *load(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;

	if (len > SIGN_API_BODY_MAX) {
		snprintf(err, errlen, "the body is larger than %u bytes", SIGN_API_BODY_MAX);
		return NULL;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(err, errlen, "not JSON: %s (line %d, column %d)", je.text, je.line, je.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(err, errlen, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/* Exactly one of phoneNumber and holderId. \returns 0; -EINVAL */
static int who(json_t *j, char msisdn[16], char holder[OTAD_HOLDER_ID_MAX + 1], char *err, size_t errlen)
{
	json_t *p = json_object_get(j, "phoneNumber"), *h = json_object_get(j, "holderId");
	const char *s;

	msisdn[0] = holder[0] = 0;
	if (!!p == !!h) {
		snprintf(err, errlen, "exactly one of phoneNumber and holderId");
		return -EINVAL;
	}
	if (p) {
		size_t n;

		s = json_string_value(p);
		if (s && *s == '+')
			s++;
		n = s ? strlen(s) : 0;
		if (!n || n > 15 || strspn(s, "0123456789") != n) {
			snprintf(err, errlen, "phoneNumber: 1 to 15 digits (an optional leading +)");
			return -EINVAL;
		}
		memcpy(msisdn, s, n + 1);
		return 0;
	}
	s = json_string_value(h);
	if (!s || !holder_id_ok(s)) {
		snprintf(err, errlen, "holderId: 1 to %d of A-Z a-z 0-9 . _ -", OTAD_HOLDER_ID_MAX);
		return -EINVAL;
	}
	snprintf(holder, OTAD_HOLDER_ID_MAX + 1, "%s", s);
	return 0;
}

static const char *const members[] = { "phoneNumber", "holderId",	   "hash",    "hashType",
				       "displayText", "displayTextFormat", "language" };

/* UTF-8 without control characters (C0, DEL). */
static bool text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

int sign_api_parse(const char *body, size_t len, struct sign_api_req *req, char *err, size_t errlen)
{
	json_t *j = load(body, len, err, errlen), *v;
	const char *key, *s;
	int rc = -EINVAL, n;
	size_t tl;

	if (!j)
		return -EINVAL;
	memset(req, 0, sizeof(*req));
	json_object_foreach(j, key, v)
	{
		bool known = false;

		for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
			known |= !strcmp(key, members[i]);
		if (!known) {
			snprintf(err, errlen, "unknown member: %.64s", key);
			goto out;
		}
	}
	if (who(j, req->msisdn, req->holder, err, errlen))
		goto out;
	s = json_string_value(json_object_get(j, "hashType"));
	if (s && !strcmp(s, "SHA256"))
		req->hash_alg = SIGN_HASH_SHA256;
	else if (s && !strcmp(s, "SHA384"))
		req->hash_alg = SIGN_HASH_SHA384;
	else if (s && !strcmp(s, "SHA512"))
		req->hash_alg = SIGN_HASH_SHA512;
	else {
		snprintf(err, errlen, "hashType: SHA256, SHA384 or SHA512");
		goto out;
	}
	s = json_string_value(json_object_get(j, "hash"));
	n = s ? sign_b64_decode(s, strlen(s), req->hash, sizeof(req->hash)) : -EINVAL;
	if (n < 0 || (size_t)n != sign_hash_len(req->hash_alg)) {
		snprintf(err, errlen, "hash: the %zu bytes of a %s hash in base64 (padded)",
			 sign_hash_len(req->hash_alg), json_string_value(json_object_get(j, "hashType")));
		goto out;
	}
	req->hash_len = (size_t)n;
	v = json_object_get(j, "displayText");
	s = json_string_value(v);
	tl = s ? json_string_length(v) : 0;
	if (!tl || tl > SIGN_API_TEXT_MAX || strlen(s) != tl || !text_ok(s, tl)) {
		snprintf(err, errlen, "displayText: 1 to %d bytes of UTF-8 text without control characters",
			 SIGN_API_TEXT_MAX);
		goto out;
	}
	memcpy(req->text, s, tl + 1);
	v = json_object_get(j, "displayTextFormat");
	s = json_string_value(v);
	if (v && !(s && (!strcmp(s, "GSM-7") || !strcmp(s, "UCS-2")))) {
		snprintf(err, errlen, "displayTextFormat: GSM-7 or UCS-2");
		goto out;
	}
	req->fmt = !s ? SIGN_FMT_AUTO : !strcmp(s, "GSM-7") ? SIGN_FMT_GSM : SIGN_FMT_UCS2;
	v = json_object_get(j, "language");
	s = json_string_value(v);
	if (v && !(s && (!strcmp(s, "VIE") || !strcmp(s, "ENG")))) {
		snprintf(err, errlen, "language: VIE or ENG");
		goto out;
	}
	req->lang = s && !strcmp(s, "ENG") ? SIGN_LANG_ENG : SIGN_LANG_VIE;
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int sign_api_parse_who(const char *body, size_t len, char msisdn[16], char holder[OTAD_HOLDER_ID_MAX + 1], char *err,
		       size_t errlen)
{
	json_t *j = load(body, len, err, errlen), *v;
	const char *key;
	int rc = -EINVAL;

	if (!j)
		return -EINVAL;
	json_object_foreach(j, key, v)
	{
		if (strcmp(key, "phoneNumber") && strcmp(key, "holderId")) {
			snprintf(err, errlen, "unknown member: %.64s", key);
			goto out;
		}
	}
	rc = who(j, msisdn, holder, err, errlen);
out:
	json_decref(j);
	return rc;
}

/* ---- the text shown ------------------------------------------------------------------------------------------ */

#define COMPOSE_MAX (2 * (SIGN_API_TEXT_MAX + 512))

/* Encode "NAME\nTEXT\nLABEL" (TEXT may be "") as \a dcs says into \a out. \returns its bytes; -EILSEQ; -E2BIG */
static int encode(uint8_t dcs, const char *name, const char *text, const char *label, uint8_t *out, size_t max)
{
	static char joined[SIGN_API_TEXT_MAX + 1024];
	int n = snprintf(joined, sizeof(joined), "%s\n%s\n%s", name, text, label);

	if (n < 0 || (size_t)n >= sizeof(joined))
		return -E2BIG;
	return dcs == SIGN_DCS_GSM ? sign_text_gsm(joined, (size_t)n, out, max) :
				     sign_text_ucs2(joined, (size_t)n, out, max);
}

int sign_compose(const char *name, const char *text, enum sign_fmt fmt, enum sign_lang lang, uint8_t *dcs,
		 uint8_t out[SIGN_TEXT_MAX], size_t *len, char *err, size_t errlen)
{
	static uint8_t buf[COMPOSE_MAX];
	const char *label;
	size_t limit;
	int n, fixed;

	*dcs = fmt == SIGN_FMT_UCS2 ? SIGN_DCS_UCS2 : SIGN_DCS_GSM;
	n = *dcs == SIGN_DCS_GSM ? encode(SIGN_DCS_GSM, name, text, SIGN_LABEL_ENG, buf, sizeof(buf)) : -EILSEQ;
	if (n == -EILSEQ && fmt == SIGN_FMT_GSM) {
		snprintf(err, errlen,
			 "displayText%s: a character outside the GSM alphabet (GSM-7 was asked; UCS-2 fits)",
			 encode(SIGN_DCS_GSM, name, "", SIGN_LABEL_ENG, buf, sizeof(buf)) == -EILSEQ ?
				 " with this relying party's display name" :
				 "");
		return -EILSEQ;
	}
	if (n == -EILSEQ) {
		*dcs = SIGN_DCS_UCS2;
		label = lang == SIGN_LANG_ENG ? SIGN_LABEL_ENG : SIGN_LABEL_VIE;
		n = encode(SIGN_DCS_UCS2, name, text, label, buf, sizeof(buf));
		if (n == -EILSEQ) {
			snprintf(err, errlen, "displayText: a character outside UCS-2 (the Basic Multilingual Plane)");
			return -EILSEQ;
		}
		fixed = encode(SIGN_DCS_UCS2, name, "", label, buf + COMPOSE_MAX / 2, COMPOSE_MAX / 2);
		limit = SIGN_UCS2_CHARS_MAX * 2;
	} else {
		label = SIGN_LABEL_ENG;
		fixed = encode(SIGN_DCS_GSM, name, "", label, buf + COMPOSE_MAX / 2, COMPOSE_MAX / 2);
		limit = SIGN_TEXT_MAX;
	}
	if (n < 0 || (size_t)n > limit) {
		int left = fixed < 0 || (size_t)fixed > limit ? 0 : (int)(limit - (size_t)fixed);

		if (*dcs == SIGN_DCS_GSM)
			snprintf(err, errlen,
				 "displayText too long: the text shown (display name, displayText, label \"%s\") may "
				 "have at most %u GSM-7 characters (an extension character counts twice), so "
				 "displayText at most %d here",
				 label, SIGN_TEXT_MAX, left);
		else
			snprintf(err, errlen,
				 "displayText too long: the text shown (display name, displayText, label \"%s\") may "
				 "have at most %u UCS-2 characters, so displayText at most %d here",
				 label, SIGN_UCS2_CHARS_MAX, left / 2);
		return -E2BIG;
	}
	memcpy(out, buf, (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* ---- routes ------------------------------------------------------------------------------------------------- */

bool sign_session_id_ok(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdef", s[i]) || !s[i]) {
			return false;
		}
	}
	return true;
}

enum sign_route sign_api_route(const char *method, const char *url, char id[OTAD_SIGN_SESSION_MAX + 1],
			       const char **allow)
{
	static const char session[] = "/v1/signature/session/";

	id[0] = 0;
	*allow = "";
	if (!strcmp(url, "/v1/signature")) {
		*allow = "POST";
		return strcmp(method, "POST") ? SIGN_R_BAD_METHOD : SIGN_R_SIGN;
	}
	if (!strcmp(url, "/v1/certificate")) {
		*allow = "POST";
		return strcmp(method, "POST") ? SIGN_R_BAD_METHOD : SIGN_R_CERT;
	}
	if (strncmp(url, session, sizeof(session) - 1))
		return SIGN_R_NONE;
	url += sizeof(session) - 1;
	*allow = "GET, DELETE";
	if (strcmp(method, "GET") && strcmp(method, "DELETE"))
		return SIGN_R_BAD_METHOD;
	if (!sign_session_id_ok(url))
		return SIGN_R_BAD_ID;
	memcpy(id, url, OTAD_SIGN_SESSION_MAX + 1);
	return strcmp(method, "GET") ? SIGN_R_SESSION_DELETE : SIGN_R_SESSION_GET;
}

int sign_api_timeout(const char *s, unsigned *ms)
{
	size_t n;

	*ms = 0;
	if (!s)
		return 0;
	n = strlen(s);
	if (!n || n > 6 || strspn(s, "0123456789") != n)
		return -EINVAL;
	*ms = (unsigned)strtoul(s, NULL, 10);
	return *ms > SIGN_API_TIMEOUT_MS_MAX ? -EINVAL : 0;
}

int sign_fingerprint_parse(const char *s, uint8_t out[32])
{
	size_t n = strlen(s), i, step;

	/* 64 digits, or 32 pairs with a ':' between each two */
	if (n == 64)
		step = 2;
	else if (n == 95)
		step = 3;
	else
		return -EINVAL;
	for (i = 0; i < 32; i++) {
		const char *p = s + i * step;

		if (step == 3 && i < 31 && p[2] != ':')
			return -EINVAL;
		/* one byte from exactly two digits: hex_decode_n() skips blanks, but then finds fewer or an odd count */
		if (hex_decode_n(p, 2, &out[i], 1) != 1)
			return -EINVAL;
	}
	return 0;
}
