/* simpki-otad's operator API for the organisation tree (routes in api_parse.h, the reference in docs/otad.md "The
 * organisation tree"): units, their children, their subtree's holders, their history, and unit changes filed and
 * listed. A unit answers as
 *
 *   {"code", "name", "kind", "parent": CODE|null, "valid_from": ISO|null, "valid_to": ISO|null,
 *    "successor": CODE|null}
 *
 * and GET /v1/units/{code} adds "path" (from the root down to the unit, each {code, name, kind}), "children" (how
 * many current ones) and "holders" (how many in its whole subtree). A change answers as
 *
 *   {"id", "kind", "state": "pending|applied|failed", "effective_at": ISO, "filed": ISO, "by", "change": {the body
 *    as filed}, "applied": ISO|null, "units_affected": N|null, "holders_affected": N|null, "error": "..." (failed)}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otad.h"
#include "otad_api_int.h"
#include "otad_db_units.h"
#include "otad_perm.h"
#include "otad_units.h"

static json_t *code_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

static json_t *unit_json(const struct otad_unit *u)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "code", u->code, "name", u->name, "kind",
			 otad_unit_kind_names[u->kind], "parent", code_or_null(u->parent), "valid_from",
			 u->valid_from_ms ? iso_ms(u->valid_from_ms) : json_null(), "valid_to",
			 u->valid_to_ms ? iso_ms(u->valid_to_ms) : json_null(), "successor",
			 code_or_null(u->successor));
}

static void add_unit(const struct otad_unit *u, void *priv)
{
	json_array_append_new(priv, unit_json(u));
}

static void add_step(const struct otad_unit *u, void *priv)
{
	json_array_append_new(priv, json_pack("{s:s,s:s,s:s}", "code", u->code, "name", u->name, "kind",
					      otad_unit_kind_names[u->kind]));
}

static enum MHD_Result bad_query(struct MHD_Connection *c, struct query *q)
{
	return send_error(c, API_E_INVALID_REQUEST, "at most %d query parameters", API_QUERY_MAX);
}

/* The page \a a of \a n items, with the cursor \a key of its last item when full. */
static enum MHD_Result send_page(struct MHD_Connection *c, const char *name, json_t *a, int n, unsigned limit,
				 const char *key)
{
	json_t *next = (unsigned)n == limit && n > 0 ? json_object_get(json_array_get(a, (size_t)n - 1), key) : NULL;

	if (next && json_is_integer(next))
		next = json_sprintf("%lld", (long long)json_integer_value(next));
	else if (next)
		json_incref(next);
	return send_json(c, MHD_HTTP_OK, json_pack("{s:o,s:o}", name, a, "next_cursor", next ? next : json_null()));
}

enum MHD_Result api_units_list(struct MHD_Connection *c)
{
	struct otad_unit_filter f;
	struct query q;
	char err[160], parent[OTAD_UNIT_CODE_MAX + 1], cursor[OTAD_UNIT_CODE_MAX + 1];
	json_t *a;
	int n;

	if (!get_query(c, &q))
		return bad_query(c, &q);
	if (api_units_query(q.kv, q.n, &f, parent, cursor, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	a = json_array();
	n = otad_db_units_list(g_otad->db, &f, add_unit, a);
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_page(c, "units", a, n, f.limit, "code");
}

/* Unit \a code into \a u, or the error answer queued. \returns true when found */
static bool find(struct MHD_Connection *c, const char *code, struct otad_unit *u, enum MHD_Result *res)
{
	int rc = otad_db_unit_get(g_otad->db, code, u);

	if (rc == -ENOENT)
		*res = send_error(c, API_E_NO_SUCH_UNIT, "no unit %s in the organisation tree", code);
	else if (rc)
		*res = send_error(c, API_E_DATABASE, "database error");
	return !rc;
}

enum MHD_Result api_unit_get(struct MHD_Connection *c, const char *code)
{
	struct otad_unit u;
	enum MHD_Result res;
	int64_t kids, holders;
	json_t *o, *path;

	if (!find(c, code, &u, &res))
		return res;
	path = json_array();
	kids = otad_db_unit_children_count(g_otad->db, code);
	holders = otad_db_unit_holders_count(g_otad->db, code);
	if (otad_db_unit_path(g_otad->db, code, add_step, path) < 0 || kids < 0 || holders < 0) {
		json_decref(path);
		return send_error(c, API_E_DATABASE, "database error");
	}
	o = unit_json(&u);
	json_object_set_new(o, "path", path);
	json_object_set_new(o, "children", json_integer(kids));
	json_object_set_new(o, "holders", json_integer(holders));
	return send_json(c, MHD_HTTP_OK, o);
}

enum MHD_Result api_unit_children(struct MHD_Connection *c, const char *code)
{
	struct otad_unit_filter f = { .parent = code, .kind = -1 };
	struct otad_unit u;
	enum MHD_Result res;
	struct query q;
	char err[160], cursor[OTAD_UNIT_CODE_MAX + 1];
	json_t *a;
	int n;

	if (!get_query(c, &q))
		return bad_query(c, &q);
	if (api_page_query(q.kv, q.n, API_CURSOR_UNIT, cursor, sizeof(cursor), &f.limit, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	if (!find(c, code, &u, &res))
		return res;
	f.after_code = cursor;
	a = json_array();
	n = otad_db_units_list(g_otad->db, &f, add_unit, a);
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_page(c, "units", a, n, f.limit, "code");
}

static void add_holder(const struct otad_holder *h, void *priv)
{
	json_array_append_new(priv, json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", h->id, "name", h->name, "id_number",
					      h->id_number, "unit", h->unit, "email",
					      h->email[0] ? json_string(h->email) : json_null()));
}

enum MHD_Result api_unit_holders(struct MHD_Connection *c, const char *code)
{
	struct otad_unit u;
	enum MHD_Result res;
	struct query q;
	char err[160], cursor[OTAD_HOLDER_ID_MAX + 1];
	unsigned limit;
	json_t *a;
	int n;

	if (!get_query(c, &q))
		return bad_query(c, &q);
	if (api_page_query(q.kv, q.n, API_CURSOR_HOLDER, cursor, sizeof(cursor), &limit, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	if (!find(c, code, &u, &res))
		return res;
	a = json_array();
	n = otad_db_unit_holders(g_otad->db, code, cursor, limit, add_holder, a);
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_page(c, "holders", a, n, limit, "id");
}

static void add_version(const struct otad_unit *u, int64_t change, void *priv)
{
	json_t *o = unit_json(u);

	json_object_del(o, "successor");
	json_object_set_new(o, "change", json_integer(change));
	json_array_append_new(priv, o);
}

enum MHD_Result api_unit_history(struct MHD_Connection *c, const char *code)
{
	struct otad_unit u;
	enum MHD_Result res;
	json_t *a;

	if (!find(c, code, &u, &res))
		return res;
	a = json_array();
	if (otad_db_unit_history(g_otad->db, code, add_version, a) < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_json(c, MHD_HTTP_OK, json_pack("{s:o,s:o}", "unit", unit_json(&u), "history", a));
}

/* ---- changes ------------------------------------------------------------------------------------------------- */

static json_t *change_json(const struct otad_unit_change_row *r)
{
	json_t *o =
		json_pack("{s:I,s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:o}", "id", (json_int_t)r->id, "kind",
			  unit_change_kind_names[r->kind], "state", otad_unit_change_state_names[r->state],
			  "effective_at", iso_ms(r->effective_ms), "filed", iso_ms(r->created_ms), "by", r->by,
			  "change", json_loads(r->detail, 0, NULL), "applied",
			  r->state == OTAD_UNIT_CHANGE_APPLIED ? iso_ms(r->applied_ms) : json_null(), "units_affected",
			  r->units_affected >= 0 ? json_integer(r->units_affected) : json_null(), "holders_affected",
			  r->holders_affected >= 0 ? json_integer(r->holders_affected) : json_null());

	if (o && r->error[0])
		json_object_set_new(o, "error", json_string(r->error));
	return o;
}

static void take_change(const struct otad_unit_change_row *r, void *priv)
{
	*(json_t **)priv = change_json(r);
}

static void add_change(const struct otad_unit_change_row *r, void *priv)
{
	json_array_append_new(priv, change_json(r));
}

/* Answer change \a id with \a status. */
static enum MHD_Result send_change(struct MHD_Connection *c, int64_t id, unsigned status)
{
	json_t *o = NULL;
	int rc = otad_db_unit_change_get(g_otad->db, id, take_change, &o);

	if (rc == -ENOENT)
		return send_error(c, API_E_UNIT_CHANGE_NOT_FOUND, "no unit change %lld", (long long)id);
	if (rc || !o) {
		json_decref(o);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_json(c, status, o);
}

enum MHD_Result api_unit_change_get(struct MHD_Connection *c, const char *id)
{
	return send_change(c, strtoll(id, NULL, 10), MHD_HTTP_OK);
}

enum MHD_Result api_unit_changes_list(struct MHD_Connection *c)
{
	struct query q;
	char err[160], cursor[20];
	unsigned limit;
	json_t *a;
	int n;

	if (!get_query(c, &q))
		return bad_query(c, &q);
	if (api_page_query(q.kv, q.n, API_CURSOR_ID, cursor, sizeof(cursor), &limit, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	a = json_array();
	n = otad_db_unit_changes_list(g_otad->db, strtoll(cursor, NULL, 10), limit, add_change, a);
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_page(c, "changes", a, n, limit, "id");
}

enum MHD_Result api_unit_change_file(struct MHD_Connection *c, struct api_req *r)
{
	struct otad_actor who = { .role = r->who.role, .via = "api" };
	struct unit_change *ch = malloc(sizeof(*ch));
	char err[300];
	int64_t n;
	int rc;

	if (!ch)
		return send_error(c, API_E_INTERNAL, "out of memory");
	snprintf(who.name, sizeof(who.name), "%s", r->who.name);
	snprintf(who.scope, sizeof(who.scope), "%s", r->who.scope);
	rc = unit_change_parse(r->body ? r->body : "", r->len, ch, err, sizeof(err));
	if (rc) {
		free(ch);
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	}
	rc = otad_unit_change_submit(&who, ch, &n, err, sizeof(err));
	free(ch);
	if (rc == -EINVAL)
		return send_error(c, API_E_UNIT_CHANGE_REFUSED, "%s", err);
	if (rc == -EPIPE)
		return send_error(c, API_E_AUDIT_UNAVAILABLE, "%s: nothing filed", err);
	if (rc)
		return send_error(c, API_E_DATABASE, "%s", err);
	return send_change(c, n, MHD_HTTP_CREATED);
}
