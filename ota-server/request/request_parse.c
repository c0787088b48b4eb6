/* Reading requests from outside (request.h): POST /v1/requests's body, a rejection's body, GET /v1/requests's and
 * GET /v1/requests/stats's query. Pure functions; every length bounded; anything else is refused saying what.
 *
 *   {"kind": "revoke", "holders": ["H1", "H2"] | "unit": "01", "reason": "keyCompromise",
 *    "documents": [{"name": "Decision 275/QD", "sha256": "64 hex"}], "note": "...", "id_number": "...",
 *    "mode": "one-time-pin" | "unblock", "key_id": 1..255, "profile": "signing"}
 *
 * kind: otad_request_kind_names. Exactly one of holders (1 to OTAD_REQUEST_HOLDERS_MAX holder ids, none twice) and
 * unit (1 to 15 digits). reason: revoke only (otad_request_crl_reason_of()). documents: 1 to 32 for the kinds that
 * change a certificate, 0 to 32 for pin-reset; name 1 to 128 bytes of UTF-8 without control characters, sha256 64
 * hex digits (stored lower-case). note: 0 to 500 bytes of UTF-8 without control characters. id_number and mode:
 * pin-reset only, id_number required (1 to 32 letters and digits) and the request for exactly one holder (a PIN
 * reset identifies one person). key_id and profile: new-certificate only (default 1 and "signing"). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api_parse.h"
#include "holder.h"
#include "pinreset/pinreset.h"
#include "request.h"

static const struct {
	const char *name;
	int code;
} crl_reasons[] = {
	{ "unspecified", 0 }, { "keyCompromise", 1 },	     { "affiliationChanged", 3 },
	{ "superseded", 4 },  { "cessationOfOperation", 5 }, { "privilegeWithdrawn", 9 },
};

int otad_request_crl_reason_of(const char *name)
{
	for (size_t i = 0; name && i < sizeof(crl_reasons) / sizeof(crl_reasons[0]); i++)
		if (!strcmp(name, crl_reasons[i].name))
			return crl_reasons[i].code;
	return -EINVAL;
}

const char *otad_request_crl_reason_name(int code)
{
	for (size_t i = 0; i < sizeof(crl_reasons) / sizeof(crl_reasons[0]); i++)
		if (code == crl_reasons[i].code)
			return crl_reasons[i].name;
	return "unspecified";
}

/* A string member \a key of \a o of 1 (or 0 when \a may_be_empty) to \a max bytes of UTF-8 without control
 * characters into \a out. \returns 1 (there); 0 (absent); -EINVAL with \a err */
static int text(json_t *o, const char *key, char *out, size_t max, bool may_be_empty, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	if (!v)
		return 0;
	if (!json_is_string(v))
		goto bad;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > max || (!n && !may_be_empty) || strlen(s) != n || (n && holder_utf8_chars(s, n) < 0))
		goto bad;
	memcpy(out, s, n + 1);
	return 1;
bad:
	snprintf(err, errlen, "%s: %s%zu bytes of UTF-8 without control characters", key,
		 may_be_empty ? "0 to " : "1 to ", max);
	return -EINVAL;
}

static bool digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, "0123456789") == n;
}

static int holder_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int holders(json_t *a, struct otad_request_body *b, char *err, size_t errlen)
{
	size_t n = json_array_size(a);

	if (!json_is_array(a) || !n || n > OTAD_REQUEST_HOLDERS_MAX) {
		snprintf(err, errlen, "holders: an array of 1 to %d holder ids", OTAD_REQUEST_HOLDERS_MAX);
		return -EINVAL;
	}
	b->holders = calloc(n, sizeof(*b->holders));
	if (!b->holders)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		const char *s = json_string_value(v);

		if (!s || json_string_length(v) > OTAD_HOLDER_ID_MAX || strlen(s) != json_string_length(v) ||
		    !holder_id_ok(s)) {
			snprintf(err, errlen, "holders[%zu]: a holder id (1 to 64 of A-Z a-z 0-9 . _ -)", i);
			return -EINVAL;
		}
		snprintf(b->holders[i], sizeof(b->holders[i]), "%s", s);
		b->n_holders = i + 1;
	}
	qsort(b->holders, n, sizeof(*b->holders), holder_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(b->holders[i - 1], b->holders[i])) {
			snprintf(err, errlen, "holders: %s is named twice", b->holders[i]);
			return -EINVAL;
		}
	return 0;
}

static int documents(json_t *a, struct otad_request_body *b, char *err, size_t errlen)
{
	size_t n = json_array_size(a);
	unsigned min = otad_request_kind_changes_cert(b->kind) ? 1 : 0;

	if ((a && !json_is_array(a)) || n < min || n > OTAD_REQUEST_DOCS_MAX) {
		snprintf(err, errlen, "documents: an array of %u to %d {\"name\", \"sha256\"}%s", min,
			 OTAD_REQUEST_DOCS_MAX,
			 min ? " (a request that changes a certificate needs its documents)" : "");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_array_get(a, i), *h;
		struct otad_request_doc *doc = &b->docs[i];
		char e[120];
		const char *hex;

		if (!json_is_object(d) || json_object_size(d) != 2 || !(h = json_object_get(d, "sha256")) ||
		    text(d, "name", doc->name, OTAD_REQUEST_DOC_NAME_MAX, false, e, sizeof(e)) != 1) {
			snprintf(err, errlen,
				 "documents[%zu]: {\"name\": 1 to %d bytes of UTF-8, \"sha256\": 64 hex digits}", i,
				 OTAD_REQUEST_DOC_NAME_MAX);
			return -EINVAL;
		}
		hex = json_string_value(h);
		if (!hex || json_string_length(h) != 64 || strspn(hex, "0123456789abcdefABCDEF") != 64) {
			snprintf(err, errlen, "documents[%zu].sha256: 64 hex digits", i);
			return -EINVAL;
		}
		for (int k = 0; k < 64; k++)
			doc->sha256[k] = (char)tolower((unsigned char)hex[k]);
		doc->sha256[64] = 0;
		b->n_docs = (unsigned)i + 1;
	}
	return 0;
}

/* The members only some kinds take. */
static int kind_members(json_t *o, struct otad_request_body *b, char *err, size_t errlen)
{
	json_t *v;
	int rc;

	if ((v = json_object_get(o, "reason"))) {
		if (b->kind != OTAD_REQ_REVOKE) {
			snprintf(err, errlen, "reason: only for revoke (suspend is certificateHold)");
			return -EINVAL;
		}
		if ((b->reason = otad_request_crl_reason_of(json_string_value(v))) < 0) {
			snprintf(err, errlen,
				 "reason: unspecified, keyCompromise, affiliationChanged, superseded, "
				 "cessationOfOperation or privilegeWithdrawn");
			return -EINVAL;
		}
	}
	if (b->kind == OTAD_REQ_PIN_RESET) {
		rc = text(o, "id_number", b->id_number, OTAD_HOLDER_ID_NUMBER_MAX, false, err, errlen);
		if (rc < 0 || !rc || !b->id_number[0] ||
		    strspn(b->id_number, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
			    strlen(b->id_number)) {
			snprintf(err, errlen,
				 "id_number: the holder's identity number (1 to %d letters and digits), "
				 "required for pin-reset",
				 OTAD_HOLDER_ID_NUMBER_MAX);
			return -EINVAL;
		}
		if (b->n_holders != 1) {
			snprintf(err, errlen,
				 "pin-reset: exactly one holder (\"holders\": [ID]): the identity number "
				 "identifies one person");
			return -EINVAL;
		}
		if ((v = json_object_get(o, "mode"))) {
			const char *m = json_string_value(v);

			if (m && !strcmp(m, "one-time-pin"))
				b->pin_mode = OTAD_PIN_RESET_ONE_TIME_PIN;
			else if (m && !strcmp(m, "unblock"))
				b->pin_mode = OTAD_PIN_RESET_UNBLOCK;
			else {
				snprintf(err, errlen, "mode: one-time-pin or unblock");
				return -EINVAL;
			}
		}
	} else if (json_object_get(o, "id_number") || json_object_get(o, "mode")) {
		snprintf(err, errlen, "id_number and mode: only for pin-reset");
		return -EINVAL;
	}
	if (b->kind == OTAD_REQ_NEW_CERTIFICATE) {
		if ((v = json_object_get(o, "key_id"))) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 255) {
				snprintf(err, errlen, "key_id: 1 to 255");
				return -EINVAL;
			}
			b->key_id = (unsigned)json_integer_value(v);
		}
		rc = text(o, "profile", b->profile, 64, false, err, errlen);
		if (rc < 0 ||
		    (rc && strspn(b->profile, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
				   strlen(b->profile))) {
			snprintf(err, errlen, "profile: 1 to 64 of A-Z a-z 0-9 . _ -");
			return -EINVAL;
		}
	} else if (json_object_get(o, "key_id") || json_object_get(o, "profile")) {
		snprintf(err, errlen, "key_id and profile: only for new-certificate");
		return -EINVAL;
	}
	return 0;
}

static int parse(json_t *o, struct otad_request_body *b, char *err, size_t errlen)
{
	static const char *const known[] = { "kind", "holders",	  "unit", "reason", "documents",
					     "note", "id_number", "mode", "key_id", "profile" };
	json_t *h = json_object_get(o, "holders"), *u = json_object_get(o, "unit");
	const char *key;
	json_t *v;
	int rc;

	json_object_foreach(o, key, v)
	{
		size_t i = 0;

		while (i < sizeof(known) / sizeof(known[0]) && strcmp(key, known[i]))
			i++;
		if (i == sizeof(known) / sizeof(known[0])) {
			snprintf(err, errlen, "unknown member '%.32s'", key);
			return -EINVAL;
		}
	}
	if ((rc = otad_request_kind_of(json_string_value(json_object_get(o, "kind")))) < 0) {
		snprintf(err, errlen,
			 "kind: new-certificate, modify, renew, rekey, revoke, suspend, release or pin-reset");
		return -EINVAL;
	}
	b->kind = (enum otad_request_kind)rc;
	if (!!h == !!u) {
		snprintf(err, errlen,
			 "exactly one of holders (a list of holder ids) and unit (every holder of a unit)");
		return -EINVAL;
	}
	if (h && (rc = holders(h, b, err, errlen)))
		return rc;
	if (u) {
		const char *s = json_string_value(u);

		if (!s || !digits(s, 1, OTAD_UNIT_CODE_MAX)) {
			snprintf(err, errlen, "unit: a unit code (1 to %d digits)", OTAD_UNIT_CODE_MAX);
			return -EINVAL;
		}
		snprintf(b->unit, sizeof(b->unit), "%s", s);
	}
	if (b->kind == OTAD_REQ_REVOKE)
		b->reason = 0;
	if ((rc = kind_members(o, b, err, errlen)))
		return rc;
	if ((rc = documents(json_object_get(o, "documents"), b, err, errlen)))
		return rc;
	if (text(o, "note", b->note, OTAD_REQUEST_NOTE_MAX, true, err, errlen) < 0)
		return -EINVAL;
	return 0;
}

int otad_request_parse(const char *body, size_t len, struct otad_request_body *b, char *err, size_t errlen)
{
	json_t *o;
	int rc;

	memset(b, 0, sizeof(*b));
	b->reason = -1;
	b->key_id = 1;
	snprintf(b->profile, sizeof(b->profile), "signing");
	b->pin_mode = OTAD_PIN_RESET_ONE_TIME_PIN;
	o = api_load_object(body, len, err, errlen);
	if (!o)
		return -EINVAL;
	rc = parse(o, b, err, errlen);
	json_decref(o);
	if (rc)
		otad_request_body_free(b);
	return rc;
}

void otad_request_body_free(struct otad_request_body *b)
{
	free(b->holders);
	b->holders = NULL;
	b->n_holders = 0;
}

int otad_request_reason_parse(const char *body, size_t len, char reason[OTAD_REQUEST_REASON_MAX + 1], char *err,
			      size_t errlen)
{
	json_t *o = api_load_object(body, len, err, errlen);
	int rc;

	reason[0] = 0;
	if (!o)
		return -EINVAL;
	if (json_object_size(o) != 1) {
		snprintf(err, errlen, "exactly {\"reason\": \"...\"}");
		json_decref(o);
		return -EINVAL;
	}
	rc = text(o, "reason", reason, OTAD_REQUEST_REASON_MAX, false, err, errlen);
	json_decref(o);
	if (rc != 1) {
		if (!rc)
			snprintf(err, errlen, "reason: 1 to %d bytes of UTF-8 (why it is rejected)",
				 OTAD_REQUEST_REASON_MAX);
		return -EINVAL;
	}
	return 0;
}

static bool seen_twice(const struct api_kv *kv, unsigned n, unsigned i)
{
	for (unsigned k = 0; k < i && k < n; k++)
		if (!strcmp(kv[k].key, kv[i].key))
			return true;
	return false;
}

static int unit_param(const char *v, char unit[OTAD_UNIT_CODE_MAX + 1], char *err, size_t errlen)
{
	if (!digits(v, 1, OTAD_UNIT_CODE_MAX)) {
		snprintf(err, errlen, "unit: a unit code (1 to %d digits)", OTAD_UNIT_CODE_MAX);
		return -EINVAL;
	}
	snprintf(unit, OTAD_UNIT_CODE_MAX + 1, "%s", v);
	return 0;
}

int otad_request_query_parse(const struct api_kv *kv, unsigned n, struct otad_request_filter *f,
			     char unit[OTAD_UNIT_CODE_MAX + 1], char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->state = f->kind = -1;
	f->limit = API_LIMIT_DEFAULT;
	unit[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value ? kv[i].value : "";

		if (seen_twice(kv, n, i)) {
			snprintf(err, errlen, "%.32s: given twice", k);
			return -EINVAL;
		}
		if (!strcmp(k, "unit")) {
			if (unit_param(v, unit, err, errlen))
				return -EINVAL;
			f->unit = unit;
		} else if (!strcmp(k, "state")) {
			if ((f->state = otad_request_state_of(v)) < 0) {
				snprintf(err, errlen,
					 "state: filed, approved, executing, done, failed, rejected or withdrawn");
				return -EINVAL;
			}
		} else if (!strcmp(k, "kind")) {
			if ((f->kind = otad_request_kind_of(v)) < 0) {
				snprintf(err, errlen,
					 "kind: new-certificate, modify, renew, rekey, revoke, suspend, "
					 "release or pin-reset");
				return -EINVAL;
			}
		} else if (!strcmp(k, "limit")) {
			if (!digits(v, 1, 4) || atoi(v) < 1 || atoi(v) > API_LIMIT_MAX) {
				snprintf(err, errlen, "limit: 1 to %d", API_LIMIT_MAX);
				return -EINVAL;
			}
			f->limit = (unsigned)atoi(v);
		} else if (!strcmp(k, "cursor")) {
			if (!digits(v, 1, 18) || v[0] == '0') {
				snprintf(err, errlen, "cursor: the next_cursor of the page before");
				return -EINVAL;
			}
			f->before = strtoll(v, NULL, 10);
		} else {
			snprintf(err, errlen, "unknown parameter '%.32s' (unit, state, kind, limit, cursor)", k);
			return -EINVAL;
		}
	}
	return 0;
}

int otad_request_stats_query_parse(const struct api_kv *kv, unsigned n, char unit[OTAD_UNIT_CODE_MAX + 1], char *err,
				   size_t errlen)
{
	unit[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value ? kv[i].value : "";

		if (seen_twice(kv, n, i)) {
			snprintf(err, errlen, "%.32s: given twice", k);
			return -EINVAL;
		}
		if (strcmp(k, "unit")) {
			snprintf(err, errlen, "unknown parameter '%.32s' (unit)", k);
			return -EINVAL;
		}
		if (unit_param(v, unit, err, errlen))
			return -EINVAL;
	}
	return 0;
}
