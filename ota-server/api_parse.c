/* Reading operator API requests (formats in api_parse.h), with jansson for JSON. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <simpki/hex.h>
#include <simpki/ident.h>

#include "api_parse.h"

enum api_route api_route(const char *method, const char *url, char *arg)
{
	bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
	size_t n;

	arg[0] = 0;
	if (!strcmp(url, "/v1/cards/import"))
		return post ? API_CARDS_IMPORT : API_BAD_METHOD;
	if (!strcmp(url, "/v1/jobs"))
		return post ? API_JOBS_CREATE : API_BAD_METHOD;
	if (!strcmp(url, "/v1/tokens"))
		return post ? API_TOKENS_CREATE : API_BAD_METHOD;
	if (!strncmp(url, "/v1/cards/", 10)) {
		n = strlen(url + 10);
		if (n < 18 || n > 20 || !ident_digits(url + 10, 18, 20))
			return API_NONE;
		memcpy(arg, url + 10, n + 1);
		return get ? API_CARD_GET : API_BAD_METHOD;
	}
	if (!strncmp(url, "/v1/jobs/", 9)) {
		n = strlen(url + 9);
		if (n < 1 || n > 18 || !ident_digits(url + 9, 1, 18) || url[9] == '0')
			return API_NONE;
		memcpy(arg, url + 9, n + 1);
		return get ? API_JOB_GET : API_BAD_METHOD;
	}
	return API_NONE;
}

int api_bearer(const char *header, const char **token)
{
	size_t n;

	if (!header || strncmp(header, "Bearer ", 7))
		return -EINVAL;
	*token = header + 7;
	n = strlen(*token);
	if (n < API_TOKEN_MIN || n > API_TOKEN_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)(*token)[i]))
			return -EINVAL;
	return (int)n;
}

bool api_apdu_reads(const uint8_t *apdu, size_t len)
{
	if (len < 4)
		return false;
	switch (apdu[1]) {
	case 0xa4: /* SELECT */
	case 0xb0: /* READ BINARY */
	case 0xb2: /* READ RECORD */
	case 0xc0: /* GET RESPONSE */
	case 0xca: /* GET DATA */
	case 0xcb:
	case 0xf2: /* STATUS */
		return true;
	default:
		return false;
	}
}

int api_job_parse(const char *body, size_t len, struct api_job_req *req, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *iccid, *tar, *apdus, *idem, *mode, *spi, *kvn, *a;
	const char *key;
	size_t i;
	int rc = -EINVAL, n;

	memset(req, 0, sizeof(*req));
	if (len > API_JSON_MAX) {
		snprintf(err, errlen, "the body is larger than %d bytes", API_JSON_MAX);
		return -EINVAL;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "not JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "the body must be a JSON object");
		goto out;
	}
	json_object_foreach(root, key, a)
	{
		if (strcmp(key, "iccid") && strcmp(key, "tar") && strcmp(key, "apdus") && strcmp(key, "idempotent") &&
		    strcmp(key, "mode") && strcmp(key, "spi") && strcmp(key, "kvn")) {
			snprintf(err, errlen, "unknown member '%.32s'", key);
			goto out;
		}
	}
	iccid = json_object_get(root, "iccid");
	tar = json_object_get(root, "tar");
	apdus = json_object_get(root, "apdus");
	idem = json_object_get(root, "idempotent");
	mode = json_object_get(root, "mode");
	spi = json_object_get(root, "spi");
	kvn = json_object_get(root, "kvn");
	if (!json_is_string(iccid) || json_string_length(iccid) > 20 ||
	    !ident_digits(json_string_value(iccid), 18, 20)) {
		snprintf(err, errlen, "iccid: 18 to 20 digits, as a string");
		goto out;
	}
	snprintf(req->iccid, sizeof(req->iccid), "%s", json_string_value(iccid));
	if (!json_is_string(tar) || json_string_length(tar) != 6 ||
	    hex_decode(json_string_value(tar), req->tar, 3) != 3) {
		snprintf(err, errlen, "tar: 3 bytes as 6 hex digits, e.g. \"b00010\"");
		goto out;
	}
	if (!json_is_array(apdus) || json_array_size(apdus) < 1 || json_array_size(apdus) > 64) {
		snprintf(err, errlen, "apdus: a list of 1 to 64 commands in hex");
		goto out;
	}
	req->idempotent = true;
	json_array_foreach(apdus, i, a)
	{
		uint8_t *p = req->script + req->script_len;

		if (!json_is_string(a) ||
		    (n = hex_decode(json_string_value(a), p, sizeof(req->script) - req->script_len)) < 5 ||
		    (n > 5 && p[4] != n - 5)) {
			snprintf(err, errlen,
				 "apdus[%zu]: a compact command in hex (CLA INS P1 P2 P3 and P3 bytes), the script at "
				 "most %d bytes",
				 i, OTAD_JOB_SCRIPT_MAX);
			goto out;
		}
		req->idempotent &= api_apdu_reads(p, (size_t)n);
		req->script_len += (size_t)n;
	}
	if (idem && !json_is_boolean(idem)) {
		snprintf(err, errlen, "idempotent: true or false");
		goto out;
	}
	if (idem)
		req->idempotent = json_is_true(idem);
	if (mode) {
		const char *m = json_is_string(mode) ? json_string_value(mode) : "";

		req->opts.mode = !strcmp(m, "store")   ? OTAD_JOB_MODE_STORE :
				 !strcmp(m, "forward") ? OTAD_JOB_MODE_FORWARD :
							 OTAD_JOB_MODE_DEFAULT;
		if (!req->opts.mode) {
			snprintf(err, errlen, "mode: \"store\" or \"forward\"");
			goto out;
		}
	}
	if (spi) {
		if (!json_is_string(spi) || json_string_length(spi) != 4 ||
		    hex_decode(json_string_value(spi), req->opts.spi, 2) != 2) {
			snprintf(err, errlen, "spi: 2 bytes as 4 hex digits, e.g. \"1639\"");
			goto out;
		}
		req->opts.has_spi = true;
	}
	if (kvn) {
		if (!json_is_integer(kvn) || json_integer_value(kvn) < 1 || json_integer_value(kvn) > 15) {
			snprintf(err, errlen, "kvn: a key version number, 1 to 15");
			goto out;
		}
		req->opts.kvn = (uint8_t)json_integer_value(kvn);
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int api_token_parse(const char *body, size_t len, char *name, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *n;
	const char *v;
	int rc = -EINVAL;

	if (len > API_JSON_MAX) {
		snprintf(err, errlen, "the body is larger than %d bytes", API_JSON_MAX);
		return -EINVAL;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "not JSON: %s", jerr.text);
		return -EINVAL;
	}
	n = json_object_get(root, "name");
	if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_string(n) || json_string_length(n) < 1 ||
	    json_string_length(n) > 64 ||
	    strspn(v = json_string_value(n), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
		    json_string_length(n)) {
		snprintf(err, errlen, "the body must be {\"name\": \"...\"}, 1 to 64 of A-Z a-z 0-9 . _ -");
		goto out;
	}
	memcpy(name, v, json_string_length(n) + 1);
	rc = 0;
out:
	json_decref(root);
	return rc;
}
