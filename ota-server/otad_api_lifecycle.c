/* simpki-otad's operator API: certificate lifecycle operations (lifecycle.h, docs/lifecycle.md).
 *   POST /v1/lifecycle -> 201 the operation; GET /v1/lifecycle -> {"items": [...]}, newest first (limit 100,
 *        cursor: the id the page continues before)
 *   GET  /v1/lifecycle/{id} -> {"id", "kind", "name", "state", "reason", "by", "items", "counts": {state: n},
 *        "backoff", "done", "per_minute", "eta_seconds" (null: unknown), "concurrency", "created", "ended"}
 *   POST /v1/lifecycle/{id}/pause|resume|cancel -> 200 the operation; 409 lifecycle_over
 *   GET  /v1/lifecycle/{id}/items?state=&limit=&cursor= -> {"items": [{"seq", "holder", "iccid", "old_serial",
 *        "state", "new_serial", "tries", "next_try", "error", "updated", "done"}], "next": cursor or null}
 *   POST /v1/certificates/{serial}/revoke|suspend|release|renew|modify|rekey -> 201 a one-item operation
 * Errors: 400 invalid_request; 403 forbidden (a holder outside the token's scope: the message names the first);
 * 404 lifecycle_not_found, certificate_not_found, holder_not_found, unit_not_found; 409 certificate_busy,
 * ca_not_configured; 422 selection_empty. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle/lifecycle.h"
#include "lifecycle/lifecycle_engine.h"
#include "otad.h"
#include "otad_api_int.h"
#include "audit/audit.h"
#include "otad_perm.h"

static json_t *op_json(const struct otad_lc_op *op)
{
	struct otad_lc_progress p;
	json_t *counts = json_object();
	int reason = otad_lc_reason(op);

	if (otad_lc_progress(op, &p))
		memset(&p, 0, sizeof(p));
	for (int s = 0; s < OTAD_LCI_N_STATES; s++)
		if (s != OTAD_LCI_ENROL || p.n[s])
			json_object_set_new(counts, otad_lci_state_names[s], json_integer(p.n[s]));
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:I,s:o,s:I,s:I,s:f,s:o,s:i,s:o,s:o,s:o}", "id",
			 (json_int_t)op->id, "kind", otad_lc_kind_names[op->kind], "name", op->name, "state",
			 otad_lc_state_names[op->state], "reason", otad_crl_reason_name(reason), "by", op->by, "unit",
			 op->unit[0] ? json_string(op->unit) : json_null(), "items", (json_int_t)op->items, "counts",
			 counts, "backoff", (json_int_t)p.backoff, "done", (json_int_t)p.done, "per_minute",
			 p.per_minute, "eta_seconds", p.eta_s >= 0 ? json_integer(p.eta_s) : json_null(), "concurrency",
			 (int)op->concurrency, "request", op->request ? json_integer(op->request) : json_null(),
			 "created", iso_ms(op->created_ms), "ended", op->ended_ms ? iso_ms(op->ended_ms) : json_null());
}

/* Make the operation and answer it. */
static enum MHD_Result create(struct MHD_Connection *c, struct api_req *r, const struct otad_lc_params *p,
			      const struct otad_lc_select *sel)
{
	struct otad_lc_op op;
	struct otad_actor who;
	char err[240] = "";
	int64_t id = 0;
	int rc;

	if (!g_otad->ra)
		return send_error(c, API_E_CA_NOT_CONFIGURED,
				  "no CA is configured (the 'ca' node of the configuration)");
	who = r->actor;
	rc = otad_lc_create(&who, p, sel, &id, err, sizeof(err));
	switch (rc) {
	case 0:
		break;
	case -EINVAL:
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	case -EPERM:
		return send_error(c, API_E_FORBIDDEN, "token '%s': %s", r->who.name, err);
	case -ENODATA:
		return send_error(c, API_E_LC_EMPTY, "%s", err);
	case -EBUSY:
		return send_error(c, API_E_CERT_BUSY, "%s", err);
	case -EAGAIN:
		return send_error(c, API_E_UNIT_CHANGE_NOT_APPLIED, "%s", err);
	case -ENOENT:
		return send_error(c,
				  sel->serials ? API_E_CERT_NOT_FOUND :
				  sel->holders ? API_E_HOLDER_NOT_FOUND :
						 API_E_UNIT_NOT_FOUND,
				  "%s", err);
	default:
		return send_error(c, API_E_DATABASE, "%s", err[0] ? err : "database error");
	}
	if (otad_db_lc_get(g_otad->db, id, &op))
		return send_error(c, API_E_DATABASE, "database error");
	LOGP(DAPI, LOGL_NOTICE, "lifecycle %lld: %s of %lld certificates (token '%s')\n", (long long)id,
	     otad_lc_kind_names[op.kind], (long long)op.items, r->who.name);
	return send_json(c, MHD_HTTP_CREATED, op_json(&op));
}

enum MHD_Result api_lc_create(struct MHD_Connection *c, struct api_req *r)
{
	struct api_lc_req req;
	enum MHD_Result ans;
	char err[200];
	int rc;

	rc = api_lc_parse(r->body ? r->body : "", r->len, &req, err, sizeof(err));
	if (rc == -ENOMEM)
		return send_error(c, API_E_INTERNAL, "out of memory");
	if (rc)
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	ans = create(c, r, &req.p, &req.sel);
	api_lc_req_free(&req);
	return ans;
}

enum MHD_Result api_lc_cert(struct MHD_Connection *c, struct api_req *r)
{
	static const enum otad_lc_kind kinds[] = {
		[API_CERT_REVOKE - API_CERT_REVOKE] = OTAD_LC_REVOKE,
		[API_CERT_SUSPEND - API_CERT_REVOKE] = OTAD_LC_SUSPEND,
		[API_CERT_RELEASE - API_CERT_REVOKE] = OTAD_LC_RELEASE,
		[API_CERT_RENEW - API_CERT_REVOKE] = OTAD_LC_RENEW,
		[API_CERT_MODIFY - API_CERT_REVOKE] = OTAD_LC_MODIFY,
		[API_CERT_REKEY - API_CERT_REVOKE] = OTAD_LC_REKEY,
	};
	struct otad_lc_params p = { .reason = -1 };
	const char *serials[1] = { r->arg };
	struct otad_lc_select sel = { .serials = serials, .n_serials = 1 };
	char err[200];

	p.kind = kinds[r->route - API_CERT_REVOKE];
	if (api_lc_cert_parse(r->body ? r->body : "", r->len, p.kind == OTAD_LC_REVOKE, &p.reason, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	for (char *s = r->arg; *s; s++)
		if (*s >= 'A' && *s <= 'F')
			*s = (char)(*s - 'A' + 'a');
	return create(c, r, &p, &sel);
}

struct ops_page {
	json_t *a;
};

static void add_op(const struct otad_lc_op *op, void *priv)
{
	json_array_append_new(priv, op_json(op));
}

enum MHD_Result api_lc_list(struct MHD_Connection *c, struct api_req *r)
{
	json_t *a = json_array();
	struct query q;
	int64_t before = 0;
	unsigned limit = API_LIMIT_DEFAULT;
	char state[16], err[160];
	int n;

	if (!get_query(c, &q))
		return send_error(c, API_E_INVALID_REQUEST, "at most %d query parameters", API_QUERY_MAX);
	if (api_lc_items_query(q.kv, q.n, state, &before, &limit, err, sizeof(err)) || state[0]) {
		json_decref(a);
		return send_error(c, API_E_INVALID_REQUEST, "%s", state[0] ? "limit and cursor only" : err);
	}
	/* a scoped token sees the operations of its subtree (api_permit()) */
	n = r->actor.scope[0] ? otad_db_lc_list_scope(g_otad->db, r->actor.scope, before, limit, add_op, a) :
				otad_db_lc_list(g_otad->db, false, before, limit, add_op, a);
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_items_page(c, a, n, limit, "id");
}

static int get(struct MHD_Connection *c, const char *id, struct otad_lc_op *op, enum MHD_Result *sent)
{
	int rc = otad_db_lc_get(g_otad->db, strtoll(id, NULL, 10), op);

	if (rc == -ENOENT)
		*sent = send_error(c, API_E_LC_NOT_FOUND, "no lifecycle operation %s", id);
	else if (rc)
		*sent = send_error(c, API_E_DATABASE, "database error");
	return rc;
}

enum MHD_Result api_lc_get(struct MHD_Connection *c, const char *id)
{
	struct otad_lc_op op;
	enum MHD_Result sent;

	if (get(c, id, &op, &sent))
		return sent;
	return send_json(c, MHD_HTTP_OK, op_json(&op));
}

enum MHD_Result api_lc_act(struct MHD_Connection *c, struct api_req *r)
{
	struct otad_lc_op op;
	struct otad_actor who;
	enum MHD_Result sent;
	int64_t id = strtoll(r->arg, NULL, 10);
	const char *what = r->route == API_LC_PAUSE ? "pause" : r->route == API_LC_RESUME ? "resume" : "cancel";
	char obj[96];
	int rc;

	if (get(c, r->arg, &op, &sent))
		return sent;
	who = r->actor;
	if (otad_perm(g_otad->db, &who, OTAD_ACT_LIFECYCLE_WRITE, NULL))
		return send_error(c, API_E_FORBIDDEN, "token '%s' may not %s lifecycle operations", r->who.name, what);
	snprintf(obj, sizeof(obj), "lifecycle %s", r->arg);
	if (otad_audit(&who, otad_action_names[OTAD_ACT_LIFECYCLE_WRITE], obj, "accepted", "%s", what))
		return send_error(c, API_E_INTERNAL, "the audit record cannot be written: nothing done");
	rc = r->route == API_LC_PAUSE  ? otad_lc_pause(id) :
	     r->route == API_LC_RESUME ? otad_lc_resume(id) :
					 otad_lc_cancel(id);
	if (rc == -EALREADY)
		return send_error(c, API_E_LC_OVER, "lifecycle operation %s is %s: it cannot %s", r->arg,
				  otad_lc_state_names[op.state], what);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	LOGP(DAPI, LOGL_NOTICE, "lifecycle %s: %s (token '%s')\n", r->arg, what, r->who.name);
	if (get(c, r->arg, &op, &sent))
		return sent;
	return send_json(c, MHD_HTTP_OK, op_json(&op));
}

static void add_item(const struct otad_lc_item *it, void *priv)
{
	json_array_append_new(priv,
			      json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:i,s:o,s:s?,s:o,s:o}", "seq", (json_int_t)it->seq,
					"holder", it->holder, "iccid", it->iccid, "old_serial", it->old_serial, "state",
					otad_lci_state_names[it->state], "new_serial",
					it->new_serial[0] ? it->new_serial : NULL, "tries", (int)it->tries, "next_try",
					it->next_try_ms ? iso_ms(it->next_try_ms) : json_null(), "error",
					it->error[0] ? it->error : NULL, "updated", iso_ms(it->updated_ms), "done",
					it->done_ms ? iso_ms(it->done_ms) : json_null()));
}

enum MHD_Result api_lc_items(struct MHD_Connection *c, const char *id)
{
	struct otad_lc_op op;
	enum MHD_Result sent;
	char state[16], err[160];
	int64_t after;
	unsigned limit;
	struct query q;
	json_t *a;
	int n;

	if (!get_query(c, &q))
		return send_error(c, API_E_INVALID_REQUEST, "at most %d query parameters", API_QUERY_MAX);
	if (api_lc_items_query(q.kv, q.n, state, &after, &limit, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	if (state[0] && otad_lci_state_of(state) < 0)
		return send_error(c, API_E_INVALID_REQUEST, "state: an item state (docs/lifecycle.md)");
	if (get(c, id, &op, &sent))
		return sent;
	a = json_array();
	n = otad_db_lci_list(g_otad->db, op.id, state[0] ? state : NULL, after, limit, add_item, a);
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_items_page(c, a, n, limit, "seq");
}
