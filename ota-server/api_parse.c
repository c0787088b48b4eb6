/* Reading operator API requests (formats in api_parse.h), with jansson for JSON. */
#define _GNU_SOURCE /* strptime, timegm */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <simpki/hex.h>
#include <simpki/ident.h>

#include "api_parse.h"
#include "holder.h"
#include "otad_perm.h"

/* The paths, each with its routes by method. */
static const struct {
	const char *path; /* a '*' takes one segment, the argument */
	enum {
		ARG_NONE,
		ARG_ICCID,
		ARG_ID,
		ARG_NAME,
		ARG_HOLDER,
		ARG_UNIT,
		ARG_SERIAL
	} arg;
	const char *allow;
	struct {
		const char *method;
		enum api_route route;
	} m[2];
} paths[] = {
	{ "/v1/cards/import", ARG_NONE, "POST", { { "POST", API_CARDS_IMPORT } } },
	{ "/v1/cards", ARG_NONE, "GET", { { "GET", API_CARDS_LIST } } },
	{ "/v1/cards/*", ARG_ICCID, "GET, PATCH", { { "GET", API_CARD_GET }, { "PATCH", API_CARD_PATCH } } },
	{ "/v1/jobs", ARG_NONE, "GET, POST", { { "GET", API_JOBS_LIST }, { "POST", API_JOBS_CREATE } } },
	{ "/v1/jobs/*", ARG_ID, "GET, DELETE", { { "GET", API_JOB_GET }, { "DELETE", API_JOB_CANCEL } } },
	{ "/v1/imports/*", ARG_ID, "GET", { { "GET", API_IMPORT_GET } } },
	{ "/v1/tokens", ARG_NONE, "GET, POST", { { "GET", API_TOKENS_LIST }, { "POST", API_TOKENS_CREATE } } },
	{ "/v1/tokens/*", ARG_NAME, "DELETE", { { "DELETE", API_TOKEN_REVOKE } } },
	{ "/v1/database", ARG_NONE, "GET", { { "GET", API_DATABASE_GET } } },
	{ "/v1/database/counter-floor", ARG_NONE, "POST", { { "POST", API_COUNTER_FLOOR } } },
	{ "/v1/cards/*/certificates",
	  ARG_ICCID,
	  "GET, POST",
	  { { "GET", API_CARD_CERTS }, { "POST", API_CARD_ENROL } } },
	{ "/v1/enrolments/*", ARG_ID, "GET", { { "GET", API_ENROL_GET } } },
	{ "/v1/cards/*/holder", ARG_ICCID, "PUT", { { "PUT", API_CARD_HOLDER } } },
	{ "/v1/holders/import", ARG_NONE, "POST", { { "POST", API_HOLDERS_IMPORT } } },
	{ "/v1/holders", ARG_NONE, "GET, POST", { { "GET", API_HOLDERS_LIST }, { "POST", API_HOLDERS_CREATE } } },
	{ "/v1/holders/*", ARG_HOLDER, "GET, PATCH", { { "GET", API_HOLDER_GET }, { "PATCH", API_HOLDER_PATCH } } },
	{ "/v1/campaigns", ARG_NONE, "GET, POST", { { "GET", API_CAMPAIGNS_LIST }, { "POST", API_CAMPAIGNS_CREATE } } },
	{ "/v1/campaigns/*", ARG_ID, "GET", { { "GET", API_CAMPAIGN_GET } } },
	{ "/v1/campaigns/*/pause", ARG_ID, "POST", { { "POST", API_CAMPAIGN_PAUSE } } },
	{ "/v1/campaigns/*/resume", ARG_ID, "POST", { { "POST", API_CAMPAIGN_RESUME } } },
	{ "/v1/campaigns/*/cancel", ARG_ID, "POST", { { "POST", API_CAMPAIGN_CANCEL } } },
	{ "/v1/campaigns/*/cards", ARG_ID, "GET", { { "GET", API_CAMPAIGN_CARDS } } },
	/* the organisation tree: changes before the units they would match as a code */
	{ "/v1/units", ARG_NONE, "GET", { { "GET", API_UNITS_LIST } } },
	{ "/v1/units/changes",
	  ARG_NONE,
	  "GET, POST",
	  { { "GET", API_UNIT_CHANGES_LIST }, { "POST", API_UNIT_CHANGES_FILE } } },
	{ "/v1/units/changes/*", ARG_ID, "GET", { { "GET", API_UNIT_CHANGE_GET } } },
	{ "/v1/units/*", ARG_UNIT, "GET", { { "GET", API_UNIT_GET } } },
	{ "/v1/units/*/children", ARG_UNIT, "GET", { { "GET", API_UNIT_CHILDREN } } },
	{ "/v1/units/*/holders", ARG_UNIT, "GET", { { "GET", API_UNIT_HOLDERS } } },
	{ "/v1/units/*/history", ARG_UNIT, "GET", { { "GET", API_UNIT_HISTORY } } },
	/* requests: stats before the id */
	{ "/v1/requests", ARG_NONE, "GET, POST", { { "GET", API_REQUESTS_LIST }, { "POST", API_REQUESTS_CREATE } } },
	{ "/v1/requests/stats", ARG_NONE, "GET", { { "GET", API_REQUESTS_STATS } } },
	{ "/v1/requests/*", ARG_ID, "GET", { { "GET", API_REQUEST_GET } } },
	{ "/v1/requests/*/approve", ARG_ID, "POST", { { "POST", API_REQUEST_APPROVE } } },
	{ "/v1/requests/*/reject", ARG_ID, "POST", { { "POST", API_REQUEST_REJECT } } },
	{ "/v1/requests/*/withdraw", ARG_ID, "POST", { { "POST", API_REQUEST_WITHDRAW } } },
	/* end of requests */
	{ "/v1/lifecycle", ARG_NONE, "GET, POST", { { "GET", API_LC_LIST }, { "POST", API_LC_CREATE } } },
	{ "/v1/lifecycle/*", ARG_ID, "GET", { { "GET", API_LC_GET } } },
	{ "/v1/lifecycle/*/pause", ARG_ID, "POST", { { "POST", API_LC_PAUSE } } },
	{ "/v1/lifecycle/*/resume", ARG_ID, "POST", { { "POST", API_LC_RESUME } } },
	{ "/v1/lifecycle/*/cancel", ARG_ID, "POST", { { "POST", API_LC_CANCEL } } },
	{ "/v1/lifecycle/*/items", ARG_ID, "GET", { { "GET", API_LC_ITEMS } } },
	{ "/v1/certificates/*/revoke", ARG_SERIAL, "POST", { { "POST", API_CERT_REVOKE } } },
	{ "/v1/certificates/*/suspend", ARG_SERIAL, "POST", { { "POST", API_CERT_SUSPEND } } },
	{ "/v1/certificates/*/release", ARG_SERIAL, "POST", { { "POST", API_CERT_RELEASE } } },
	{ "/v1/certificates/*/renew", ARG_SERIAL, "POST", { { "POST", API_CERT_RENEW } } },
	{ "/v1/certificates/*/modify", ARG_SERIAL, "POST", { { "POST", API_CERT_MODIFY } } },
	{ "/v1/certificates/*/rekey", ARG_SERIAL, "POST", { { "POST", API_CERT_REKEY } } },
	{ "/v1/audit", ARG_NONE, "GET", { { "GET", API_AUDIT_LIST } } },
	{ "/v1/audit/verify", ARG_NONE, "GET", { { "GET", API_AUDIT_VERIFY } } },
	{ "/v1/audit/export", ARG_NONE, "GET", { { "GET", API_AUDIT_EXPORT } } },
	{ "/v1/holders/*/pin-reset", ARG_HOLDER, "POST", { { "POST", API_HOLDER_PIN_RESET } } },
	{ "/v1/pin-resets/*", ARG_ID, "GET", { { "GET", API_PIN_RESET_GET } } },
};

bool api_serial_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 40 && strspn(s, "0123456789abcdefABCDEF") == n;
}

bool api_token_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= 64 &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Whether \a url matches \a path, whose one star (if any) stands for one segment, not empty; the segment to *seg. */
static bool match(const char *path, const char *url, const char **seg, size_t *seglen)
{
	const char *star = strchr(path, '*');
	size_t pre, suf, n = strlen(url);

	if (!star)
		return !strcmp(url, path);
	pre = (size_t)(star - path);
	suf = strlen(star + 1);
	if (n <= pre + suf || strncmp(url, path, pre) || strcmp(url + n - suf, star + 1))
		return false;
	*seg = url + pre;
	*seglen = n - pre - suf;
	return !memchr(*seg, '/', *seglen);
}

enum api_route api_route(const char *method, const char *url, char *arg, const char **allow)
{
	arg[0] = 0;
	*allow = NULL;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char seg[API_ROUTE_ARG_MAX];
		const char *rest = NULL;
		size_t n = 0;

		if (!match(paths[i].path, url, &rest, &n))
			continue;
		if (paths[i].arg != ARG_NONE) {
			if (n >= sizeof(seg))
				return paths[i].arg == ARG_ICCID  ? API_BAD_ICCID :
				       paths[i].arg == ARG_ID	  ? API_BAD_ID :
				       paths[i].arg == ARG_HOLDER ? API_BAD_HOLDER_ID :
				       paths[i].arg == ARG_UNIT	  ? API_BAD_UNIT :
				       paths[i].arg == ARG_SERIAL ? API_BAD_ID :
								    API_NONE;
			memcpy(seg, rest, n);
			seg[n] = 0;
			switch (paths[i].arg) {
			case ARG_ICCID:
				if (n < 18 || n > 20 || !ident_digits(seg, 18, 20))
					return API_BAD_ICCID;
				break;
			case ARG_ID:
				if (n > 18 || !ident_digits(seg, 1, 18) || seg[0] == '0')
					return API_BAD_ID;
				break;
			case ARG_HOLDER:
				if (!holder_id_ok(seg))
					return API_BAD_HOLDER_ID;
				break;
			case ARG_UNIT:
				if (n > OTAD_UNIT_CODE_MAX || !ident_digits(seg, 1, OTAD_UNIT_CODE_MAX))
					return API_BAD_UNIT;
				break;
			case ARG_SERIAL:
				if (!api_serial_ok(seg))
					return API_BAD_ID;
				break;
			default:
				if (!api_token_name_ok(seg))
					return API_NONE;
				break;
			}
			memcpy(arg, seg, n + 1);
		}
		for (int k = 0; k < 2; k++)
			if (paths[i].m[k].method && !strcmp(method, paths[i].m[k].method))
				return paths[i].m[k].route;
		*allow = paths[i].allow;
		return API_BAD_METHOD;
	}
	return API_NONE;
}

int api_route_action(enum api_route r)
{
	switch (r) {
	case API_CARDS_LIST:
	case API_CARD_GET:
	case API_JOBS_LIST:
	case API_JOB_GET:
	case API_IMPORT_GET:
		return OTAD_ACT_CARD_READ;
	case API_CARDS_IMPORT:
	case API_CARD_PATCH:
	case API_JOBS_CREATE:
	case API_JOB_CANCEL:
		return OTAD_ACT_CARD_WRITE;
	case API_HOLDERS_LIST:
	case API_HOLDER_GET:
	case API_CARD_CERTS:
	case API_ENROL_GET:
		return OTAD_ACT_HOLDER_READ;
	case API_HOLDERS_CREATE:
	case API_HOLDERS_IMPORT:
	case API_CARD_HOLDER:
	case API_HOLDER_PATCH:
		return OTAD_ACT_HOLDER_WRITE;
	case API_CARD_ENROL:
		return OTAD_ACT_CERT_ENROL;
	case API_CAMPAIGNS_LIST:
	case API_CAMPAIGN_GET:
	case API_CAMPAIGN_CARDS:
		return OTAD_ACT_CAMPAIGN_READ;
	case API_CAMPAIGNS_CREATE:
	case API_CAMPAIGN_PAUSE:
	case API_CAMPAIGN_RESUME:
	case API_CAMPAIGN_CANCEL:
		return OTAD_ACT_CAMPAIGN_WRITE;
	case API_LC_LIST:
	case API_LC_GET:
	case API_LC_ITEMS:
		return OTAD_ACT_LIFECYCLE_READ;
	case API_LC_PAUSE:
	case API_LC_RESUME:
	case API_LC_CANCEL:
		return OTAD_ACT_LIFECYCLE_WRITE;
	case API_LC_CREATE: /* the kind's action for each holder: otad_lc_create() asks otad_perm() */
		return OTAD_ACT_LIFECYCLE_READ;
	case API_CERT_REVOKE:
		return OTAD_ACT_CERT_REVOKE;
	case API_CERT_SUSPEND:
		return OTAD_ACT_CERT_SUSPEND;
	case API_CERT_RELEASE:
		return OTAD_ACT_CERT_RELEASE;
	case API_CERT_RENEW:
		return OTAD_ACT_CERT_RENEW;
	case API_CERT_MODIFY:
		return OTAD_ACT_CERT_MODIFY;
	case API_CERT_REKEY:
		return OTAD_ACT_CERT_REKEY;
	case API_HOLDER_PIN_RESET:
		return OTAD_ACT_PIN_RESET;
	case API_PIN_RESET_GET:
		return OTAD_ACT_HOLDER_READ;
	case API_TOKENS_LIST:
	case API_TOKENS_CREATE:
	case API_TOKEN_REVOKE:
		return OTAD_ACT_TOKEN_MANAGE;
	case API_DATABASE_GET:
	case API_COUNTER_FLOOR:
		return OTAD_ACT_DATABASE_MANAGE;
	case API_UNITS_LIST:
	case API_UNIT_GET:
	case API_UNIT_CHILDREN:
	case API_UNIT_HOLDERS:
	case API_UNIT_HISTORY:
	case API_UNIT_CHANGES_LIST:
	case API_UNIT_CHANGE_GET:
		return OTAD_ACT_UNIT_READ;
	case API_UNIT_CHANGES_FILE:
		return OTAD_ACT_UNIT_CHANGE;
	case API_REQUESTS_LIST:
	case API_REQUESTS_STATS:
	case API_REQUEST_GET:
		return OTAD_ACT_REQUEST_READ;
	case API_REQUESTS_CREATE:
	case API_REQUEST_WITHDRAW:
		return OTAD_ACT_REQUEST_FILE;
	case API_REQUEST_APPROVE:
	case API_REQUEST_REJECT:
		return OTAD_ACT_REQUEST_DECIDE;
	case API_AUDIT_LIST:
	case API_AUDIT_EXPORT:
		return OTAD_ACT_AUDIT_READ;
	case API_AUDIT_VERIFY:
		return OTAD_ACT_AUDIT_VERIFY;
	default:
		return -ENOSYS; /* not mapped: the administrator's only */
	}
}

/* A decimal number of at most 18 digits into *v. */
static bool number(const char *s, int64_t *v)
{
	if (!ident_digits(s, 1, 18))
		return false;
	*v = strtoll(s, NULL, 10);
	return true;
}

static bool seen_twice(const struct api_kv *kv, unsigned n, unsigned i)
{
	for (unsigned k = 0; k < i; k++)
		if (!strcmp(kv[k].key, kv[i].key))
			return true;
	return false;
}

static int query_limit(const char *v, unsigned *limit, char *err, size_t errlen)
{
	int64_t l;

	if (!number(v, &l) || l < 1 || l > API_LIMIT_MAX) {
		snprintf(err, errlen, "limit: 1 to %d", API_LIMIT_MAX);
		return -EINVAL;
	}
	*limit = (unsigned)l;
	return 0;
}

/* Unix seconds, or YYYY-MM-DDTHH:MM:SSZ (UTC), into Unix ms. */
static bool when(const char *v, int64_t *ms)
{
	struct tm tm = { 0 };
	const char *end;
	int64_t s;

	if (number(v, &s) && s < 100000000000LL) {
		*ms = s * 1000;
		return true;
	}
	if (strlen(v) != 20)
		return false;
	end = strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return false;
	*ms = (int64_t)timegm(&tm) * 1000;
	return true;
}

int api_jobs_query(const struct api_kv *kv, unsigned n, struct otad_job_filter *f, char iccid[21], char *err,
		   size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->state = -1;
	f->limit = API_LIMIT_DEFAULT;
	for (unsigned i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value ? kv[i].value : "";

		if (seen_twice(kv, n, i)) {
			snprintf(err, errlen, "%.32s: given twice", k);
			return -EINVAL;
		}
		if (!strcmp(k, "iccid")) {
			if (!ident_digits(v, 18, 20)) {
				snprintf(err, errlen, "iccid: 18 to 20 digits");
				return -EINVAL;
			}
			snprintf(iccid, 21, "%s", v);
			f->iccid = iccid;
		} else if (!strcmp(k, "state")) {
			f->state = -1;
			for (int s = 0; s < OTAD_JOB_N_STATES; s++)
				if (!strcmp(v, otad_job_state_names[s]))
					f->state = s;
			if (f->state < 0) {
				snprintf(err, errlen,
					 "state: a job state (queued, submitted, delivered, retrying, por-ok, "
					 "por-error, timed-out, failed, unknown, ...)");
				return -EINVAL;
			}
		} else if (!strcmp(k, "since")) {
			if (!when(v, &f->since_ms)) {
				snprintf(err, errlen, "since: Unix seconds or YYYY-MM-DDTHH:MM:SSZ");
				return -EINVAL;
			}
		} else if (!strcmp(k, "limit")) {
			if (query_limit(v, &f->limit, err, errlen))
				return -EINVAL;
		} else if (!strcmp(k, "cursor")) {
			if (!number(v, &f->before_id) || f->before_id < 1) {
				snprintf(err, errlen, "cursor: the next_cursor of the page before");
				return -EINVAL;
			}
		} else {
			snprintf(err, errlen, "unknown parameter '%.32s' (iccid, state, since, limit, cursor)", k);
			return -EINVAL;
		}
	}
	return 0;
}

int api_cards_query(const struct api_kv *kv, unsigned n, struct otad_card_filter *f, char cursor[21], char *err,
		    size_t errlen)
{
	int st;

	memset(f, 0, sizeof(*f));
	f->limit = API_LIMIT_DEFAULT;
	for (unsigned i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value ? kv[i].value : "";

		if (seen_twice(kv, n, i)) {
			snprintf(err, errlen, "%.32s: given twice", k);
			return -EINVAL;
		}
		if (!strcmp(k, "state")) {
			st = otad_card_state_of(v);
			if (st < 0) {
				snprintf(err, errlen, "state: active, suspended, lost or retired");
				return -EINVAL;
			}
			f->state = otad_card_states[st];
		} else if (!strcmp(k, "batch")) {
			if (!number(v, &f->batch) || f->batch < 1) {
				snprintf(err, errlen, "batch: a batch id");
				return -EINVAL;
			}
		} else if (!strcmp(k, "limit")) {
			if (query_limit(v, &f->limit, err, errlen))
				return -EINVAL;
		} else if (!strcmp(k, "cursor")) {
			if (!ident_digits(v, 18, 20)) {
				snprintf(err, errlen, "cursor: the next_cursor of the page before");
				return -EINVAL;
			}
			snprintf(cursor, 21, "%s", v);
			f->after_iccid = cursor;
		} else {
			snprintf(err, errlen, "unknown parameter '%.32s' (state, batch, limit, cursor)", k);
			return -EINVAL;
		}
	}
	return 0;
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

/* A request body as a JSON object: at most API_JSON_MAX bytes, no member twice. \returns it (json_decref() it); NULL
 * with \a err saying why */
json_t *api_load_object(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	if (len > API_JSON_MAX) {
		snprintf(err, errlen, "the body is larger than %u bytes", API_JSON_MAX);
		return NULL;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "not JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "the body must be a JSON object");
		json_decref(root);
		return NULL;
	}
	return root;
}

int api_job_parse(const char *body, size_t len, struct api_job_req *req, char *err, size_t errlen)
{
	json_t *root, *iccid, *tar, *apdus, *idem, *mode, *spi, *kvn, *bearer, *a;
	const char *key;
	size_t i;
	int rc = -EINVAL, n;

	memset(req, 0, sizeof(*req));
	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	json_object_foreach(root, key, a)
	{
		if (strcmp(key, "iccid") && strcmp(key, "tar") && strcmp(key, "apdus") && strcmp(key, "idempotent") &&
		    strcmp(key, "mode") && strcmp(key, "spi") && strcmp(key, "kvn") && strcmp(key, "bearer")) {
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
	bearer = json_object_get(root, "bearer");
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
	if (bearer) {
		const char *b = json_is_string(bearer) ? json_string_value(bearer) : "";

		for (int k = OTAD_JOB_BEARER_SMS; k < OTAD_JOB_N_BEARERS; k++)
			if (!strcmp(b, otad_job_bearer_names[k]))
				req->opts.bearer = (enum otad_job_bearer)k;
		if (!req->opts.bearer) {
			snprintf(err, errlen, "bearer: \"sms\", \"bip\" or \"auto\"");
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

bool api_role_needs_scope(int role)
{
	return role == OTAD_ROLE_UNIT_RA || role == OTAD_ROLE_COUNTER;
}

int api_token_parse(const char *body, size_t len, char *name, int *role, char scope[OTAD_UNIT_CODE_MAX + 1], char *err,
		    size_t errlen)
{
	json_t *root, *n, *r, *sc, *v;
	const char *key;
	int rc = -EINVAL;

	*role = OTAD_ROLE_OPERATOR;
	scope[0] = 0;
	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "name") && strcmp(key, "role") && strcmp(key, "scope")) {
			snprintf(err, errlen, "unknown member '%.32s'", key);
			goto out;
		}
	}
	n = json_object_get(root, "name");
	r = json_object_get(root, "role");
	sc = json_object_get(root, "scope");
	if (!json_is_string(n) || json_string_length(n) > 64 || strlen(json_string_value(n)) != json_string_length(n) ||
	    !api_token_name_ok(json_string_value(n))) {
		snprintf(err, errlen, "name: 1 to 64 of A-Z a-z 0-9 . _ -");
		goto out;
	}
	if (r && (!json_is_string(r) || (*role = otad_role_of(json_string_value(r))) < 0)) {
		snprintf(err, errlen, "role: read-only, operator, admin, central-ra, unit-ra, counter or auditor");
		goto out;
	}
	if (sc && !json_is_null(sc)) {
		if (!json_is_string(sc) || json_string_length(sc) > OTAD_UNIT_CODE_MAX ||
		    strlen(json_string_value(sc)) != json_string_length(sc) ||
		    !ident_digits(json_string_value(sc), 1, OTAD_UNIT_CODE_MAX)) {
			snprintf(err, errlen, "scope: a unit's code, 1 to %d digits", OTAD_UNIT_CODE_MAX);
			goto out;
		}
		memcpy(scope, json_string_value(sc), json_string_length(sc) + 1);
	}
	if (!scope[0] && api_role_needs_scope(*role)) {
		snprintf(err, errlen, "scope: a %s token needs one (a unit's code)", otad_role_names[*role]);
		goto out;
	}
	memcpy(name, json_string_value(n), json_string_length(n) + 1);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int api_card_patch_parse(const char *body, size_t len, int *state, char *err, size_t errlen)
{
	json_t *root, *s;
	int rc = -EINVAL;

	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	s = json_object_get(root, "state");
	if (json_object_size(root) != 1 || !json_is_string(s) ||
	    (*state = otad_card_state_of(json_string_value(s))) < 0) {
		snprintf(err, errlen, "the body must be {\"state\": \"active|suspended|lost|retired\"}");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* A JSON integer 1 to 2^40 - 1 (a counter's range). */
static bool counter_value(json_t *v, uint64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return false;
	n = json_integer_value(v);
	if (n < 1 || n > 1099511627775LL)
		return false;
	*out = (uint64_t)n;
	return true;
}

int api_floor_parse(const char *body, size_t len, struct api_floor_req *req, char *err, size_t errlen)
{
	json_t *root, *iccid, *kvn, *v;
	int rc = -EINVAL;

	memset(req, 0, sizeof(*req));
	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	if (json_object_size(root) == 1 && (v = json_object_get(root, "confirm"))) {
		if (!json_is_true(v)) {
			snprintf(err, errlen, "confirm: true");
			goto out;
		}
		req->what = API_FLOOR_CONFIRM;
	} else if (json_object_size(root) == 1 && (v = json_object_get(root, "raise_all_by"))) {
		if (!counter_value(v, &req->n)) {
			snprintf(err, errlen, "raise_all_by: 1 to 1099511627775");
			goto out;
		}
		req->what = API_FLOOR_ALL;
	} else if (json_object_size(root) == 3 && (iccid = json_object_get(root, "iccid")) &&
		   (kvn = json_object_get(root, "kvn")) && (v = json_object_get(root, "floor"))) {
		if (!json_is_string(iccid) || json_string_length(iccid) > 20 ||
		    !ident_digits(json_string_value(iccid), 18, 20)) {
			snprintf(err, errlen, "iccid: 18 to 20 digits, as a string");
			goto out;
		}
		if (!json_is_integer(kvn) || json_integer_value(kvn) < 1 || json_integer_value(kvn) > 15) {
			snprintf(err, errlen, "kvn: 1 to 15");
			goto out;
		}
		if (!counter_value(v, &req->n)) {
			snprintf(err, errlen, "floor: 1 to 1099511627775");
			goto out;
		}
		snprintf(req->iccid, sizeof(req->iccid), "%s", json_string_value(iccid));
		req->kvn = (uint8_t)json_integer_value(kvn);
		req->what = API_FLOOR_ONE;
	} else {
		snprintf(err, errlen,
			 "the body must be {\"iccid\": \"...\", \"kvn\": N, \"floor\": N}, {\"raise_all_by\": N} or "
			 "{\"confirm\": true}");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* A JSON string member without NUL bytes, at most \a max bytes, into \a dst (max + 1 bytes). */
static bool string_member(json_t *v, char *dst, size_t max)
{
	size_t n;

	if (!json_is_string(v))
		return false;
	n = json_string_length(v);
	if (n > max || strlen(json_string_value(v)) != n)
		return false;
	memcpy(dst, json_string_value(v), n + 1);
	return true;
}

int api_holder_parse(const char *body, size_t len, struct otad_holder *h, char *err, size_t errlen)
{
	static const char *const names[] = { "id", "name", "id_number", "unit", "email" };
	const size_t sizes[] = { sizeof(h->id), sizeof(h->name), sizeof(h->id_number), sizeof(h->unit),
				 sizeof(h->email) };
	char *dst[] = { h->id, h->name, h->id_number, h->unit, h->email };
	json_t *root, *v;
	const char *key;
	int rc = -EINVAL;

	memset(h, 0, sizeof(*h));
	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	json_object_foreach(root, key, v)
	{
		size_t i;

		for (i = 0; i < 5 && strcmp(key, names[i]); i++)
			;
		if (i == 5) {
			snprintf(err, errlen, "unknown member '%.32s' (id, name, id_number, unit, email)", key);
			goto out;
		}
		if (i == 4 && json_is_null(v))
			continue;
		if (!string_member(v, dst[i], sizes[i] - 1)) {
			snprintf(err, errlen, "%s: a string of at most %zu bytes", names[i], sizes[i] - 1);
			goto out;
		}
	}
	for (size_t i = 0; i < 4; i++)
		if (!json_object_get(root, names[i])) {
			snprintf(err, errlen, "%s: missing (id, name, id_number and unit are needed)", names[i]);
			goto out;
		}
	rc = holder_check(h, err, errlen);
out:
	json_decref(root);
	return rc;
}

int api_enrol_parse(const char *body, size_t len, unsigned *key_id, char profile[65], char *err, size_t errlen)
{
	json_t *root, *k, *p;
	int rc = -EINVAL;
	size_t n;

	profile[0] = 0;
	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	k = json_object_get(root, "key_id");
	p = json_object_get(root, "profile");
	if (json_object_size(root) != 2 || !json_is_integer(k) || json_integer_value(k) < 1 ||
	    json_integer_value(k) > 255 || !json_is_string(p) || (n = strlen(json_string_value(p))) < 1 || n > 64 ||
	    strspn(json_string_value(p), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n) {
		snprintf(err, errlen,
			 "the body must be {\"key_id\": 1..255, \"profile\": \"NAME\"} (the key's PKCS#15 id "
			 "on the SIM, a certificate profile of the CA)");
		goto out;
	}
	*key_id = (unsigned)json_integer_value(k);
	memcpy(profile, json_string_value(p), n + 1);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int api_pin_reset_parse(const char *body, size_t len, char id_number[65], int *mode, char *err, size_t errlen)
{
	json_t *root, *v, *m;
	const char *s;
	int rc = -EINVAL;
	size_t n;

	id_number[0] = 0;
	*mode = 0; /* one-time-pin */
	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	v = json_object_get(root, "id_number");
	m = json_object_get(root, "mode");
	if (json_object_size(root) != 1u + !!m || !json_is_string(v) || (m && !json_is_string(m))) {
		snprintf(err, errlen,
			 "the body must be {\"id_number\": \"...\", \"mode\": \"one-time-pin\"|\"unblock\"} (mode "
			 "optional)");
		goto out;
	}
	s = json_string_value(v);
	n = strlen(s);
	if (n < 1 || n > 64 || n != json_string_length(v)) {
		snprintf(err, errlen, "id_number must be 1 to 64 characters");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			snprintf(err, errlen, "id_number must be printable ASCII");
			goto out;
		}
	if (m && !strcmp(json_string_value(m), "unblock"))
		*mode = 1;
	else if (m && strcmp(json_string_value(m), "one-time-pin")) {
		snprintf(err, errlen, "mode must be \"one-time-pin\" or \"unblock\"");
		goto out;
	}
	memcpy(id_number, s, n + 1);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int api_card_holder_parse(const char *body, size_t len, char holder[OTAD_HOLDER_ID_MAX + 1], char *err, size_t errlen)
{
	json_t *root, *v;
	int rc = -EINVAL;

	holder[0] = 0;
	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	v = json_object_get(root, "holder");
	if (json_object_size(root) != 1 || !v ||
	    !(json_is_null(v) || (string_member(v, holder, OTAD_HOLDER_ID_MAX) && holder_id_ok(holder)))) {
		holder[0] = 0;
		snprintf(err, errlen, "the body must be {\"holder\": \"ID\"} (a holder id) or {\"holder\": null}");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int api_holder_patch_parse(const char *body, size_t len, char unit[OTAD_UNIT_CODE_MAX + 1], char *err, size_t errlen)
{
	json_t *root, *v;
	int rc = -EINVAL;

	unit[0] = 0;
	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	v = json_object_get(root, "unit");
	if (json_object_size(root) != 1 || !v || !string_member(v, unit, OTAD_UNIT_CODE_MAX) ||
	    !ident_digits(unit, 1, OTAD_UNIT_CODE_MAX)) {
		unit[0] = 0;
		snprintf(err, errlen, "the body must be {\"unit\": CODE} (a unit code, 1 to %d digits)",
			 OTAD_UNIT_CODE_MAX);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int api_holders_query(const struct api_kv *kv, unsigned n, struct otad_holder_filter *f,
		      char unit[OTAD_UNIT_CODE_MAX + 1], char cursor[OTAD_HOLDER_ID_MAX + 1], char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->limit = API_LIMIT_DEFAULT;
	for (unsigned i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value ? kv[i].value : "";

		if (seen_twice(kv, n, i)) {
			snprintf(err, errlen, "%.32s: given twice", k);
			return -EINVAL;
		}
		if (!strcmp(k, "unit")) {
			if (!ident_digits(v, 1, OTAD_UNIT_CODE_MAX)) {
				snprintf(err, errlen, "unit: a unit code (1 to %d digits)", OTAD_UNIT_CODE_MAX);
				return -EINVAL;
			}
			snprintf(unit, OTAD_UNIT_CODE_MAX + 1, "%s", v);
			f->unit = unit;
		} else if (!strcmp(k, "limit")) {
			if (query_limit(v, &f->limit, err, errlen))
				return -EINVAL;
		} else if (!strcmp(k, "cursor")) {
			if (!holder_id_ok(v)) {
				snprintf(err, errlen, "cursor: the next_cursor of the page before");
				return -EINVAL;
			}
			snprintf(cursor, OTAD_HOLDER_ID_MAX + 1, "%s", v);
			f->after_id = cursor;
		} else {
			snprintf(err, errlen, "unknown parameter '%.32s' (unit, limit, cursor)", k);
			return -EINVAL;
		}
	}
	return 0;
}

int api_campaign_cards_query(const struct api_kv *kv, unsigned n, char state[16], int64_t *after, unsigned *limit,
			     char *err, size_t errlen)
{
	state[0] = 0;
	*after = 0;
	*limit = API_LIMIT_DEFAULT;
	for (unsigned i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value ? kv[i].value : "";
		size_t len = strlen(v);

		if (seen_twice(kv, n, i)) {
			snprintf(err, errlen, "%.32s: given twice", k);
			return -EINVAL;
		}
		if (!strcmp(k, "state")) {
			if (!len || len > 15 || strspn(v, "abcdefghijklmnopqrstuvwxyz") != len) {
				snprintf(err, errlen, "state: a card state or an enrolment step (docs/campaigns.md)");
				return -EINVAL;
			}
			memcpy(state, v, len + 1);
		} else if (!strcmp(k, "limit")) {
			if (query_limit(v, limit, err, errlen))
				return -EINVAL;
		} else if (!strcmp(k, "cursor")) {
			if (!number(v, after) || *after < 1) {
				snprintf(err, errlen, "cursor: the next of the page before");
				return -EINVAL;
			}
		} else {
			snprintf(err, errlen, "unknown parameter '%.32s' (state, limit, cursor)", k);
			return -EINVAL;
		}
	}
	return 0;
}

int api_audit_query(const struct api_kv *kv, unsigned n, int64_t *from, unsigned *limit, char *err, size_t errlen)
{
	*from = 1;
	*limit = API_LIMIT_DEFAULT;
	for (unsigned i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value ? kv[i].value : "";

		if (seen_twice(kv, n, i)) {
			snprintf(err, errlen, "%.32s: given twice", k);
			return -EINVAL;
		}
		if (!strcmp(k, "from")) {
			if (!number(v, from) || *from < 1) {
				snprintf(err, errlen, "from: a record's seq (1 or more)");
				return -EINVAL;
			}
		} else if (!strcmp(k, "limit")) {
			if (query_limit(v, limit, err, errlen))
				return -EINVAL;
		} else {
			snprintf(err, errlen, "unknown parameter '%.32s' (from, limit)", k);
			return -EINVAL;
		}
	}
	return 0;
}
