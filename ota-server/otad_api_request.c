/* simpki-otad's operator API: requests (request/request.h; docs/otad.md "Requests").
 *   POST /v1/requests -> 201 the request (as GET /v1/requests/{id})
 *   GET  /v1/requests?unit=&state=&kind=&limit=&cursor= -> {"items": [request, ...], "next_cursor": "ID" or null},
 *        newest first; unit: that unit's subtree; a scoped token sees only its scope's (its scope by default)
 *   GET  /v1/requests/{id} -> {"id", "kind", "state", "unit" (null: the whole tree), "holder_count", "filed_by",
 *        "filed_role", "filed", "decided_by", "decided", "reason", "op", "updated", "params", "documents",
 *        "holders": [{"id", "item", "result"}] (the first 100 by id)}; the lists' items are the same without
 *        "holders"
 *   GET  /v1/requests/stats?unit= -> {"unit", "units": [{"unit", "name", "counts": {state: n}, "open": {"under_1d",
 *        "1d_to_7d", "over_7d"}, "oldest_open": {"id", "filed"} or null}], "total": {"counts", "open",
 *        "oldest_open"}}
 *   POST /v1/requests/{id}/approve, /withdraw (no body), /reject {"reason"} -> 200 the request
 * Every route asks otad_perm() with the token's actor: request.file for each holder's unit (in otad_request_file()),
 * request.decide with the request's unit (otad_request_decide()), request.read with the request's unit or the unit
 * asked about. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otad.h"
#include "otad_api_int.h"
#include "otad_db_request.h"
#include "otad_perm.h"
#include "request.h"

static json_t *request_json(const struct otad_request *rq)
{
	json_t *params = json_loads(rq->params, 0, NULL), *docs = json_loads(rq->documents, 0, NULL);

	if (params)
		json_object_del(params, "id_number"); /* a person's identity number stays in the database */
	return json_pack("{s:I,s:s,s:s,s:o,s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)rq->id,
			 "kind", otad_request_kind_names[rq->kind], "state", otad_request_state_names[rq->state],
			 "unit", rq->unit[0] ? json_string(rq->unit) : json_null(), "holder_count",
			 (json_int_t)rq->holders, "filed_by", rq->filed_by, "filed_role", rq->filed_role, "filed",
			 iso_ms(rq->filed_ms), "decided_by",
			 rq->decided_by[0] ? json_string(rq->decided_by) : json_null(), "decided",
			 rq->decided_ms ? iso_ms(rq->decided_ms) : json_null(), "reason",
			 rq->reason[0] ? json_string(rq->reason) : json_null(), "op",
			 rq->op ? json_integer(rq->op) : json_null(), "updated", iso_ms(rq->updated_ms), "params",
			 params ? params : json_object(), "documents", docs ? docs : json_array());
}

static void add_holder(const char *holder, int64_t item, const char *result, void *priv)
{
	json_array_append_new(priv,
			      json_pack("{s:s,s:o,s:o}", "id", holder, "item", item ? json_integer(item) : json_null(),
					"result", result ? json_string(result) : json_null()));
}

static enum MHD_Result send_request(struct MHD_Connection *c, unsigned status, int64_t id)
{
	static struct otad_request rq;
	json_t *j, *h;
	int rc = otad_db_request_get(g_otad->db, id, &rq);

	if (rc == -ENOENT)
		return send_error(c, API_E_REQUEST_NOT_FOUND, "no request %lld", (long long)id);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	j = request_json(&rq);
	h = json_array();
	if (otad_db_request_holders(g_otad->db, id, 100, add_holder, h) < 0) {
		json_decref(h);
		json_decref(j);
		return send_error(c, API_E_DATABASE, "database error");
	}
	json_object_set_new(j, "holders", h);
	return send_json(c, status, j);
}

static enum MHD_Result forbidden(struct MHD_Connection *c, int rc, const struct otad_actor *who, const char *what,
				 const char *unit)
{
	if (rc == -EPERM)
		return send_error(c, API_E_FORBIDDEN, "token '%s' (%s) may not %s of unit %s", who->name,
				  otad_role_names[who->role], what, unit && unit[0] ? unit : "(the whole tree)");
	return send_error(c, API_E_DATABASE, "database error");
}

enum MHD_Result api_request_file(struct MHD_Connection *c, struct api_req *r)
{
	struct otad_request_body b;
	struct otad_actor who;
	char err[300];
	int64_t id;
	int rc;

	who = r->actor;
	rc = otad_request_parse(r->body ? r->body : "", r->len, &b, err, sizeof(err));
	if (rc == -ENOMEM)
		return send_error(c, API_E_INTERNAL, "out of memory");
	if (rc)
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	rc = otad_request_file(&who, &b, &id, err, sizeof(err));
	otad_request_body_free(&b);
	switch (rc) {
	case 0:
		return send_request(c, MHD_HTTP_CREATED, id);
	case -EINVAL:
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	case -ENOENT:
		return send_error(c, b.unit[0] ? API_E_UNIT_NOT_FOUND : API_E_HOLDER_NOT_FOUND, "%s", err);
	case -ENODATA:
		return send_error(c, API_E_REQUEST_EMPTY, "%s", err);
	case -E2BIG:
		return send_error(c, API_E_REQUEST_TOO_LARGE, "%s", err);
	case -EPERM:
		return send_error(c, API_E_FORBIDDEN, "%s", err);
	case -ECANCELED:
		return send_error(c, API_E_AUDIT_UNAVAILABLE, "%s: nothing was filed", err);
	default:
		return send_error(c, API_E_DATABASE, "%s: nothing was filed", err);
	}
}

/* The unit a reader asks about (\a unit, or its scope when it has one and asks about none), if it may read there.
 * \returns 0 with *u (NULL: the whole tree); or an answer was sent (*sent) */
static int read_unit(struct MHD_Connection *c, const struct otad_actor *who, const char *unit, const char **u,
		     enum MHD_Result *sent)
{
	int rc;

	*u = unit && unit[0] ? unit : who->scope[0] ? who->scope : NULL;
	rc = otad_perm(g_otad->db, who, OTAD_ACT_REQUEST_READ, *u);
	if (rc)
		*sent = forbidden(c, rc, who, "read requests", *u);
	return rc;
}

static void add_request(const struct otad_request *rq, void *priv)
{
	json_array_append_new(priv, request_json(rq));
}

enum MHD_Result api_requests_list(struct MHD_Connection *c, struct api_req *r)
{
	struct otad_request_filter f;
	char unit[OTAD_UNIT_CODE_MAX + 1], err[200];
	struct otad_actor who;
	enum MHD_Result sent;
	struct query q;
	json_t *a, *last;
	int n;

	who = r->actor;
	if (!get_query(c, &q))
		return send_error(c, API_E_INVALID_REQUEST, "at most %d query parameters", API_QUERY_MAX);
	if (otad_request_query_parse(q.kv, q.n, &f, unit, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	if (read_unit(c, &who, f.unit, &f.unit, &sent))
		return sent;
	a = json_array();
	n = otad_db_requests_list(g_otad->db, &f, add_request, a);
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	last = (unsigned)n == f.limit ? json_object_get(json_array_get(a, (size_t)n - 1), "id") : NULL;
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:o,s:o}", "items", a, "next_cursor",
				   last ? json_sprintf("%lld", (long long)json_integer_value(last)) : json_null()));
}

enum MHD_Result api_request_get(struct MHD_Connection *c, struct api_req *r)
{
	static struct otad_request rq;
	struct otad_actor who;
	int64_t id = strtoll(r->arg, NULL, 10);
	int rc = otad_db_request_get(g_otad->db, id, &rq);

	who = r->actor;
	if (rc == -ENOENT)
		return send_error(c, API_E_REQUEST_NOT_FOUND, "no request %s", r->arg);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	rc = otad_perm(g_otad->db, &who, OTAD_ACT_REQUEST_READ, rq.unit);
	if (rc)
		return forbidden(c, rc, &who, "read requests", rq.unit);
	return send_request(c, MHD_HTTP_OK, id);
}

static json_t *open_json(int64_t d1, int64_t d7, int64_t older)
{
	return json_pack("{s:I,s:I,s:I}", "under_1d", (json_int_t)d1, "1d_to_7d", (json_int_t)d7, "over_7d",
			 (json_int_t)older);
}

static json_t *counts_json(const int64_t *counts)
{
	json_t *o = json_object();

	for (int s = 0; s < OTAD_REQ_N_STATES; s++)
		json_object_set_new(o, otad_request_state_names[s], json_integer(counts[s]));
	return o;
}

static json_t *oldest_json(int64_t id, int64_t ms)
{
	return id ? json_pack("{s:I,s:o}", "id", (json_int_t)id, "filed", iso_ms(ms)) : json_null();
}

struct stats_acc {
	json_t *units;
	struct otad_request_stat total;
};

static void add_stat(const struct otad_request_stat *s, void *priv)
{
	struct stats_acc *acc = priv;

	json_array_append_new(acc->units, json_pack("{s:o,s:s,s:o,s:o,s:o}", "unit",
						    s->unit[0] ? json_string(s->unit) : json_null(), "name", s->name,
						    "counts", counts_json(s->counts), "open",
						    open_json(s->open_1d, s->open_7d, s->open_older), "oldest_open",
						    oldest_json(s->oldest_id, s->oldest_ms)));
	for (int k = 0; k < OTAD_REQ_N_STATES; k++)
		acc->total.counts[k] += s->counts[k];
	acc->total.open_1d += s->open_1d;
	acc->total.open_7d += s->open_7d;
	acc->total.open_older += s->open_older;
	if (s->oldest_id && (!acc->total.oldest_id || s->oldest_ms < acc->total.oldest_ms)) {
		acc->total.oldest_id = s->oldest_id;
		acc->total.oldest_ms = s->oldest_ms;
	}
}

enum MHD_Result api_request_stats(struct MHD_Connection *c, struct api_req *r)
{
	static struct stats_acc acc;
	char unit[OTAD_UNIT_CODE_MAX + 1], err[200];
	struct otad_actor who;
	enum MHD_Result sent;
	struct otad_unit un;
	const char *u;
	struct query q;

	who = r->actor;
	if (!get_query(c, &q))
		return send_error(c, API_E_INVALID_REQUEST, "at most %d query parameters", API_QUERY_MAX);
	if (otad_request_stats_query_parse(q.kv, q.n, unit, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	if (read_unit(c, &who, unit, &u, &sent))
		return sent;
	if (u && otad_db_unit_get(g_otad->db, u, &un))
		return send_error(c, API_E_UNIT_NOT_FOUND, "unit %s: no such unit in the organisation tree", u);
	memset(&acc, 0, sizeof(acc));
	acc.units = json_array();
	if (otad_db_request_stats(g_otad->db, u, otad_now_ms(), add_stat, &acc) < 0) {
		json_decref(acc.units);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:o,s:o,s:{s:o,s:o,s:o}}", "unit", u ? json_string(u) : json_null(), "units",
				   acc.units, "total", "counts", counts_json(acc.total.counts), "open",
				   open_json(acc.total.open_1d, acc.total.open_7d, acc.total.open_older), "oldest_open",
				   oldest_json(acc.total.oldest_id, acc.total.oldest_ms)));
}

enum MHD_Result api_request_act(struct MHD_Connection *c, struct api_req *r)
{
	char reason[OTAD_REQUEST_REASON_MAX + 1] = "", err[400];
	int64_t id = strtoll(r->arg, NULL, 10);
	struct otad_actor who;
	int rc;

	who = r->actor;
	if (r->route == API_REQUEST_REJECT) {
		if (otad_request_reason_parse(r->body ? r->body : "", r->len, reason, err, sizeof(err)))
			return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	} else if (r->len) {
		return send_error(c, API_E_INVALID_REQUEST, "no body");
	}
	if (r->route == API_REQUEST_WITHDRAW)
		rc = otad_request_withdraw(&who, id, err, sizeof(err));
	else
		rc = otad_request_decide(&who, id, r->route == API_REQUEST_APPROVE, reason, err, sizeof(err));
	switch (rc) {
	case 0:
		return send_request(c, MHD_HTTP_OK, id);
	case -ENOENT:
		return send_error(c, API_E_REQUEST_NOT_FOUND, "%s", err);
	case -EPERM:
		return send_error(c, API_E_FORBIDDEN, "%s", err);
	case -EACCES:
		return send_error(c, r->route == API_REQUEST_WITHDRAW ? API_E_NOT_REQUEST_FILER : API_E_OWN_REQUEST,
				  "%s", err);
	case -EALREADY:
		return send_error(c, API_E_REQUEST_DECIDED, "%s", err);
	case -ECANCELED:
		return send_error(c, API_E_AUDIT_UNAVAILABLE, "%s: nothing changed", err);
	default:
		return send_error(c, API_E_DATABASE, "%s: nothing changed", err);
	}
}
