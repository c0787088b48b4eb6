/* simpki-otad's operator API: the lifecycle operations' request parts (api_parse.h), every length bounded:
 *
 *   POST /v1/lifecycle
 *   {"kind": "modify" | "renew" | "rekey" | "revoke" | "suspend" | "release",
 *    "name": "1 to 128 bytes of UTF-8" (optional: the kind and the date),
 *    "select": {"holders": ["holder id", ... 1 to API_LC_IDS_MAX]} | {"unit": "digits"} | {"unit_change": ID} |
 *              {"serials": ["1 to 40 hex digits", ... 1 to API_LC_IDS_MAX]},
 *    "reason": "a CRLReason name" (optional; revoke: any but certificateHold and removeFromCRL; modify:
 *              affiliationChanged (the default) or superseded; the other kinds: none),
 *    "concurrency": 1..10000 (optional: the configuration's)}
 *   POST /v1/certificates/{serial}/revoke   {"reason": NAME} or {} or no body (unspecified)
 *   POST /v1/certificates/{serial}/suspend|release|renew|modify|rekey   {} or no body
 *   GET  /v1/lifecycle/{id}/items?state=&limit=&cursor=
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <simpki/ident.h>

#include "api_parse.h"
#include "holder.h"
#include "lifecycle/lifecycle.h"

static const char *const reasons[] = {
	"unspecified",	 "keyCompromise",	 "cACompromise",    "affiliationChanged",
	"superseded",	 "cessationOfOperation", "certificateHold", "",
	"removeFromCRL", "privilegeWithdrawn",	 "aACompromise",
};

static int reason_of(json_t *v, int *reason, char *err, size_t errlen)
{
	const char *s = json_string_value(v);

	for (int i = 0; s && i < (int)(sizeof(reasons) / sizeof(reasons[0])); i++) {
		if (reasons[i][0] && !strcmp(s, reasons[i])) {
			*reason = i;
			return 0;
		}
	}
	snprintf(err, errlen,
		 "reason: a CRLReason name (unspecified, keyCompromise, affiliationChanged, superseded, "
		 "cessationOfOperation, privilegeWithdrawn, ...)");
	return -EINVAL;
}

static int parse_ids(json_t *v, bool serials, struct api_lc_req *req, char *err, size_t errlen)
{
	size_t i, n = json_array_size(v);

	if (!json_is_array(v) || !n || n > API_LC_IDS_MAX) {
		snprintf(err, errlen, "select.%s: an array of 1 to %d", serials ? "serials" : "holders",
			 API_LC_IDS_MAX);
		return -EINVAL;
	}
	req->ids = calloc(n, sizeof(*req->ids));
	req->id_ptrs = calloc(n, sizeof(*req->id_ptrs));
	if (!req->ids || !req->id_ptrs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(v, i));

		if (!s || (serials ? !api_serial_ok(s) : !holder_id_ok(s))) {
			snprintf(err, errlen, "select.%s[%zu]: %s", serials ? "serials" : "holders", i,
				 serials ? "a serial of 1 to 40 hex digits" :
					   "a holder id (1 to 64 of A-Z a-z 0-9 . _ -)");
			return -EINVAL;
		}
		snprintf(req->ids[i], sizeof(req->ids[i]), "%s", s);
		req->id_ptrs[i] = req->ids[i];
	}
	if (serials) {
		req->sel.serials = req->id_ptrs;
		req->sel.n_serials = n;
	} else {
		req->sel.holders = req->id_ptrs;
		req->sel.n_holders = n;
	}
	return 0;
}

static int parse_select(json_t *sel, struct api_lc_req *req, char *err, size_t errlen)
{
	json_t *v;

	if (!json_is_object(sel) || json_object_size(sel) != 1) {
		snprintf(err, errlen,
			 "select: one of {\"holders\": [...]}, {\"unit\": \"CODE\"}, {\"unit_change\": ID}, "
			 "{\"serials\": [...]}");
		return -EINVAL;
	}
	if ((v = json_object_get(sel, "unit"))) {
		const char *u = json_string_value(v);

		if (!u || !ident_digits(u, 1, OTAD_UNIT_CODE_MAX)) {
			snprintf(err, errlen, "select.unit: a unit's code (digits)");
			return -EINVAL;
		}
		snprintf(req->unit, sizeof(req->unit), "%s", u);
		req->sel.unit = req->unit;
		return 0;
	}
	if ((v = json_object_get(sel, "unit_change"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			snprintf(err, errlen, "select.unit_change: a unit change's id");
			return -EINVAL;
		}
		req->sel.unit_change = json_integer_value(v);
		return 0;
	}
	if ((v = json_object_get(sel, "holders")))
		return parse_ids(v, false, req, err, errlen);
	if ((v = json_object_get(sel, "serials")))
		return parse_ids(v, true, req, err, errlen);
	snprintf(err, errlen, "select: one of holders, unit, unit_change, serials");
	return -EINVAL;
}

int api_lc_parse(const char *body, size_t len, struct api_lc_req *req, char *err, size_t errlen)
{
	json_t *root, *kind, *name, *sel, *reason, *conc;
	const char *k, *nm;
	int rc = -EINVAL, i;

	memset(req, 0, sizeof(*req));
	req->p.reason = -1;
	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	kind = json_object_get(root, "kind");
	name = json_object_get(root, "name");
	sel = json_object_get(root, "select");
	reason = json_object_get(root, "reason");
	conc = json_object_get(root, "concurrency");
	if ((size_t)(!!kind + !!name + !!sel + !!reason + !!conc) != json_object_size(root)) {
		snprintf(err, errlen, "unknown member: the body has kind, name, select, reason, concurrency");
		goto out;
	}
	k = json_string_value(kind);
	for (i = 0; k && i < OTAD_LC_N_KINDS; i++)
		if (!strcmp(k, otad_lc_kind_names[i]))
			break;
	if (!k || i == OTAD_LC_N_KINDS) {
		snprintf(err, errlen, "kind: modify, renew, rekey, revoke, suspend or release");
		goto out;
	}
	req->p.kind = (enum otad_lc_kind)i;
	if (name) {
		nm = json_string_value(name);
		if (!nm || !*nm || strlen(nm) > OTAD_CAMPAIGN_NAME_MAX) {
			snprintf(err, errlen, "name: 1 to %d bytes of text", OTAD_CAMPAIGN_NAME_MAX);
			goto out;
		}
		snprintf(req->name, sizeof(req->name), "%s", nm);
		req->p.name = req->name;
	}
	if (reason) {
		if (reason_of(reason, &req->p.reason, err, errlen))
			goto out;
		if (!(req->p.kind == OTAD_LC_REVOKE && req->p.reason != 6 && req->p.reason != 8) &&
		    !(req->p.kind == OTAD_LC_MODIFY && (req->p.reason == 3 || req->p.reason == 4))) {
			snprintf(err, errlen,
				 "reason: revoke takes any but certificateHold and removeFromCRL; modify "
				 "affiliationChanged or superseded; %s none",
				 otad_lc_kind_names[req->p.kind]);
			goto out;
		}
	}
	if (conc && (!json_is_integer(conc) || json_integer_value(conc) < 1 || json_integer_value(conc) > 10000)) {
		snprintf(err, errlen, "concurrency: 1 to 10000");
		goto out;
	}
	req->p.concurrency = conc ? (unsigned)json_integer_value(conc) : 0;
	rc = parse_select(sel, req, err, errlen);
out:
	json_decref(root);
	if (rc)
		api_lc_req_free(req);
	return rc;
}

void api_lc_req_free(struct api_lc_req *req)
{
	free(req->ids);
	free(req->id_ptrs);
	req->ids = NULL;
	req->id_ptrs = NULL;
}

int api_lc_cert_parse(const char *body, size_t len, bool revoke, int *reason, char *err, size_t errlen)
{
	json_t *root, *r;
	int rc = 0;

	*reason = -1;
	if (!len)
		return 0;
	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	r = json_object_get(root, "reason");
	if (json_object_size(root) != (r ? 1u : 0u) || (r && !revoke)) {
		snprintf(err, errlen, revoke ? "the body has only reason" : "the body is empty or {}");
		rc = -EINVAL;
	} else if (r) {
		rc = reason_of(r, reason, err, errlen);
		if (!rc && (*reason == 6 || *reason == 8)) {
			snprintf(err, errlen, "reason: certificateHold and removeFromCRL are suspend and release");
			rc = -EINVAL;
		}
	}
	json_decref(root);
	return rc;
}

int api_lc_items_query(const struct api_kv *kv, unsigned n, char state[16], int64_t *after, unsigned *limit, char *err,
		       size_t errlen)
{
	/* the same grammar as a campaign's cards: state letters and '-', a seq cursor, a limit */
	int rc = api_campaign_cards_query(kv, n, state, after, limit, err, errlen);

	if (rc == -EINVAL && strstr(err, "state:"))
		snprintf(err, errlen,
			 "state: an item state (waiting, check, issue, load, verify, revoke, done, failed, "
			 "cancelled, skipped)");
	return rc;
}
