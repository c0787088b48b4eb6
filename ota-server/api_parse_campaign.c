/* simpki-otad's operator API: POST /v1/campaigns's body (api_parse.h), every length bounded:
 *
 *   {"name": "1 to 128 bytes of UTF-8",
 *    "select": {"iccids": ["18 to 20 digits", ... at most API_CAMPAIGN_ICCIDS_MAX]} | {"import": ID} |
 *              {"unit": "digits"},
 *    "keys": [{"id": 1..255, "alg": "p256" | "rsa2048", "profile": "NAME"}, ... 1 to OTAD_CAMPAIGN_KEYS_MAX]
 *             (optional: [{"id": 2, "alg": "p256", "profile": "signing"}]),
 *    "personalise": true | false (optional: false),
 *    "concurrency": 1..10000 (optional: the configuration's)}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <simpki/ident.h>

#include "api_parse.h"

static const char profile_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

static int parse_keys(json_t *keys, struct otad_campaign *c, char *err, size_t errlen)
{
	size_t i;
	json_t *k;

	if (!keys) {
		c->n_keys = 1;
		c->keys[0] = (struct otad_campaign_key){ .id = 2, .rsa = false, .profile = "signing" };
		return 0;
	}
	if (!json_is_array(keys) || !json_array_size(keys) || json_array_size(keys) > OTAD_CAMPAIGN_KEYS_MAX) {
		snprintf(err, errlen, "keys: an array of 1 to %d keys", OTAD_CAMPAIGN_KEYS_MAX);
		return -EINVAL;
	}
	json_array_foreach(keys, i, k)
	{
		json_t *id = json_object_get(k, "id"), *alg = json_object_get(k, "alg"),
		       *p = json_object_get(k, "profile");
		const char *a = json_string_value(alg), *ps = json_string_value(p);
		size_t n = ps ? strlen(ps) : 0;

		if (!json_is_object(k) || json_object_size(k) != 3 || !json_is_integer(id) ||
		    json_integer_value(id) < 1 || json_integer_value(id) > 255 || !a ||
		    (strcmp(a, "p256") && strcmp(a, "rsa2048")) || n < 1 || n > 64 || strspn(ps, profile_chars) != n) {
			snprintf(err, errlen,
				 "keys[%zu]: {\"id\": 1..255, \"alg\": \"p256\" or \"rsa2048\", \"profile\": \"NAME\"}",
				 i);
			return -EINVAL;
		}
		c->keys[i].id = (uint8_t)json_integer_value(id);
		c->keys[i].rsa = !strcmp(a, "rsa2048");
		memcpy(c->keys[i].profile, ps, n + 1);
	}
	c->n_keys = (unsigned)json_array_size(keys);
	return 0;
}

static int parse_select(json_t *sel, struct api_campaign_req *req, char *err, size_t errlen)
{
	json_t *v;
	size_t i;

	if (!json_is_object(sel) || json_object_size(sel) != 1) {
		snprintf(err, errlen, "select: one of {\"iccids\": [...]}, {\"import\": ID}, {\"unit\": \"CODE\"}");
		return -EINVAL;
	}
	if ((v = json_object_get(sel, "import"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			snprintf(err, errlen, "select.import: an import's id");
			return -EINVAL;
		}
		req->sel.import = json_integer_value(v);
		return 0;
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
	v = json_object_get(sel, "iccids");
	if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > API_CAMPAIGN_ICCIDS_MAX) {
		snprintf(err, errlen, "select.iccids: an array of 1 to %d ICCIDs", API_CAMPAIGN_ICCIDS_MAX);
		return -EINVAL;
	}
	req->iccids = calloc(json_array_size(v), sizeof(*req->iccids));
	req->iccid_ptrs = calloc(json_array_size(v), sizeof(*req->iccid_ptrs));
	if (!req->iccids || !req->iccid_ptrs)
		return -ENOMEM;
	for (i = 0; i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));

		if (!s || !ident_digits(s, 18, 20)) {
			snprintf(err, errlen, "select.iccids[%zu]: an ICCID of 18 to 20 digits", i);
			return -EINVAL;
		}
		memcpy(req->iccids[i], s, strlen(s) + 1);
		req->iccid_ptrs[i] = req->iccids[i];
	}
	req->sel.iccids = req->iccid_ptrs;
	req->sel.n = i;
	return 0;
}

int api_campaign_parse(const char *body, size_t len, struct api_campaign_req *req, char *err, size_t errlen)
{
	json_t *root, *name, *pers, *conc, *sel;
	const char *nm;
	int rc = -EINVAL;
	size_t known = 0;

	memset(req, 0, sizeof(*req));
	root = api_load_object(body, len, err, errlen);
	if (!root)
		return -EINVAL;
	name = json_object_get(root, "name");
	sel = json_object_get(root, "select");
	pers = json_object_get(root, "personalise");
	conc = json_object_get(root, "concurrency");
	known = !!name + !!sel + !!pers + !!conc + !!json_object_get(root, "keys");
	nm = json_string_value(name);
	if (known != json_object_size(root)) {
		snprintf(err, errlen, "unknown member: the body has name, select, keys, personalise, concurrency");
		goto out;
	}
	if (!nm || !*nm || strlen(nm) > OTAD_CAMPAIGN_NAME_MAX) {
		snprintf(err, errlen, "name: 1 to %d bytes of text", OTAD_CAMPAIGN_NAME_MAX);
		goto out;
	}
	snprintf(req->c.name, sizeof(req->c.name), "%s", nm);
	if (pers && !json_is_boolean(pers)) {
		snprintf(err, errlen, "personalise: true or false");
		goto out;
	}
	req->c.personalise = json_is_true(pers);
	if (conc && (!json_is_integer(conc) || json_integer_value(conc) < 1 || json_integer_value(conc) > 10000)) {
		snprintf(err, errlen, "concurrency: 1 to 10000");
		goto out;
	}
	req->c.concurrency = conc ? (unsigned)json_integer_value(conc) : 0;
	rc = parse_keys(json_object_get(root, "keys"), &req->c, err, errlen);
	if (!rc)
		rc = parse_select(sel, req, err, errlen);
out:
	json_decref(root);
	if (rc)
		api_campaign_req_free(req);
	return rc;
}

void api_campaign_req_free(struct api_campaign_req *req)
{
	free(req->iccids);
	free(req->iccid_ptrs);
	req->iccids = NULL;
	req->iccid_ptrs = NULL;
}
