/* simpki-otad's operator API: the audit trail (audit/audit_daemon.h, docs/otad.md "Audit trail"):
 *   GET /v1/audit?from=SEQ&limit=N   {"records": [{"seq", "at", "actor", "role", "scope", "action", "object",
 *                                    "result", "detail", "prev", "hash"}, ...], "next": SEQ or null}
 *   GET /v1/audit/verify             {"ok", "records", "checkpoints", "last_checkpoint_seq", "records_unsigned",
 *                                    "key_id", "problem": {"seq", "kind", "detail"} or null}
 *   GET /v1/audit/export             JSON lines (audit/audit_export.h), application/x-ndjson, streamed a page of
 *                                    records at a time (bounded memory)
 * Each asks otad_perm() for audit.read or audit.verify first. And api_audit(), with which a route records what its
 * token is about to do (fail closed: a route that cannot record does not act).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>
#include <osmocom/core/talloc.h>

#include "audit.h"
#include "audit_daemon.h"
#include "audit_export.h"
#include "audit_key.h"
#include "otad.h"
#include "otad_api_int.h"
#include "otad_db_audit.h"
#include "otad_perm.h"

#define EXPORT_PAGE 200

int api_audit(const struct api_req *r, const char *action, const char *object, const char *result, const char *fmt, ...)
{
	char detail[AUDIT_DETAIL_MAX] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	return otad_audit(&r->actor, action, object, result, "%s", detail);
}

/* \returns true when r's token may do \a action (else answered 403 or 500 in *ans) */
static bool allowed(struct MHD_Connection *c, const struct api_req *r, enum otad_action action, enum MHD_Result *ans)
{
	int rc;

	rc = otad_perm(g_otad->db, &r->actor, action, NULL);
	if (!rc)
		return true;
	*ans = rc == -EPERM ? send_error(c, API_E_FORBIDDEN, "token '%s' (%s) may not do %s", r->who.name,
					 otad_role_names[r->who.role], otad_action_names[action]) :
			      send_error(c, API_E_DATABASE, "database error");
	return false;
}

static json_t *record_json(const struct audit_record *rec)
{
	char prev[2 * AUDIT_HASH_LEN + 1], hash[2 * AUDIT_HASH_LEN + 1];

	audit_hex(rec->prev, AUDIT_HASH_LEN, prev);
	audit_hex(rec->hash, AUDIT_HASH_LEN, hash);
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)rec->seq, "at",
			 (json_int_t)rec->at, "actor", rec->actor, "role", rec->role, "scope", rec->scope, "action",
			 rec->action, "object", rec->object, "result", rec->result, "detail", rec->detail, "prev", prev,
			 "hash", hash);
}

static void add_record(const struct audit_record *rec, void *priv)
{
	json_array_append_new(priv, record_json(rec));
}

enum MHD_Result api_audit_list(struct MHD_Connection *c, struct api_req *r)
{
	enum MHD_Result ans;
	struct query q;
	char err[160];
	int64_t from;
	unsigned limit;
	json_t *a, *last;
	int n;

	if (!allowed(c, r, OTAD_ACT_AUDIT_READ, &ans))
		return ans;
	if (!get_query(c, &q))
		return send_error(c, API_E_INVALID_REQUEST, "at most %d query parameters", API_QUERY_MAX);
	if (api_audit_query(q.kv, q.n, &from, &limit, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	a = json_array();
	n = otad_db_audit_records(g_otad->db, from, limit, add_record, a);
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	last = (unsigned)n == limit ? json_object_get(json_array_get(a, (size_t)n - 1), "seq") : NULL;
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:o,s:o}", "records", a, "next",
				   last ? json_integer(json_integer_value(last) + 1) : json_null()));
}

enum MHD_Result api_audit_verify(struct MHD_Connection *c, struct api_req *r)
{
	struct audit_verify_result res;
	struct audit_status st;
	enum MHD_Result ans;
	json_t *problem = json_null();
	int rc;

	if (!allowed(c, r, OTAD_ACT_AUDIT_VERIFY, &ans))
		return ans;
	if (!audit_key() || audit_status(&st))
		return send_error(c, API_E_AUDIT_UNAVAILABLE, "the audit trail is not running");
	rc = audit_verify_db(g_otad->db, audit_key(), &res);
	if (rc)
		return send_error(c, rc == -ENOMEM ? API_E_INTERNAL : API_E_DATABASE, "cannot read the audit trail");
	if (!res.ok)
		problem = json_pack("{s:I,s:s,s:s}", "seq", (json_int_t)res.problem_seq, "kind",
				    audit_problem_names[res.problem], "detail", res.detail);
	LOGP(DAUDIT, res.ok ? LOGL_INFO : LOGL_ERROR, "verified by token '%s': %s%s%s\n", r->who.name,
	     res.ok ? "ok" : audit_problem_names[res.problem], res.ok ? "" : ": ", res.ok ? "" : res.detail);
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:s,s:o}", "ok", res.ok, "records",
				   (json_int_t)res.records, "last_seq", (json_int_t)res.last_seq, "checkpoints",
				   (json_int_t)res.checkpoints, "last_checkpoint_seq",
				   (json_int_t)res.last_checkpoint_seq, "records_unsigned",
				   (json_int_t)res.records_unsigned, "key_id", st.key_id, "problem", problem));
}

/* ---- the export, streamed: a page of lines at a time ---- */

struct export
{
	enum {
		EX_RECORDS,
		EX_CHECKPOINTS,
		EX_KEY,
		EX_DONE
	} phase;
	int64_t next_seq, after_cp;
	int64_t end_seq; /* the last record when the export began: what comes after is left for the next one */
	char *buf;	 /* the lines not sent yet (talloc) */
	size_t len, off;
	bool failed;
};

static void append(struct export *x, char *line)
{
	size_t n;

	if (!line) {
		x->failed = true;
		return;
	}
	n = strlen(line);
	x->buf = talloc_realloc_size(NULL, x->buf, x->len + n + 1);
	if (!x->buf) {
		x->failed = true;
	} else {
		memcpy(x->buf + x->len, line, n + 1);
		x->len += n;
	}
	free(line);
}

static void ex_record(const struct audit_record *rec, void *priv)
{
	struct export *x = priv;

	x->next_seq = rec->seq + 1;
	if (rec->seq <= x->end_seq)
		append(x, audit_export_record(rec));
}

static void ex_checkpoint(const struct audit_checkpoint *cp, void *priv)
{
	struct export *x = priv;

	x->after_cp = cp->id;
	if (cp->seq <= x->end_seq)
		append(x, audit_export_checkpoint(cp));
}

/* The next page of lines into x->buf. */
static void fill(struct export *x)
{
	char pem[AUDIT_PEM_MAX], id[AUDIT_KEY_ID_LEN + 1];
	int n;

	x->len = x->off = 0;
	while (!x->len && x->phase != EX_DONE && !x->failed) {
		switch (x->phase) {
		case EX_RECORDS:
			n = otad_db_audit_records(g_otad->db, x->next_seq, EXPORT_PAGE, ex_record, x);
			if (n < 0)
				x->failed = true;
			else if (n < EXPORT_PAGE || x->next_seq > x->end_seq)
				x->phase = EX_CHECKPOINTS;
			break;
		case EX_CHECKPOINTS:
			n = otad_db_audit_checkpoints(g_otad->db, x->after_cp, EXPORT_PAGE, ex_checkpoint, x);
			if (n < 0)
				x->failed = true;
			else if (n < EXPORT_PAGE)
				x->phase = EX_KEY;
			break;
		default:
			if (!audit_key() || audit_key_public_pem(audit_key(), pem, sizeof(pem)) < 0 ||
			    audit_key_id(audit_key(), id))
				x->failed = true;
			else
				append(x, audit_export_key(id, pem));
			x->phase = EX_DONE;
			break;
		}
	}
}

static ssize_t export_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct export *x = cls;
	size_t n;

	(void)pos;
	if (x->off == x->len)
		fill(x);
	if (x->failed) {
		LOGP(DAUDIT, LOGL_ERROR, "the export broke off: database error\n");
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (x->off == x->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = x->len - x->off < max ? x->len - x->off : max;
	memcpy(out, x->buf + x->off, n);
	x->off += n;
	return (ssize_t)n;
}

static void export_free(void *cls)
{
	struct export *x = cls;

	talloc_free(x->buf);
	free(x);
}

enum MHD_Result api_audit_export(struct MHD_Connection *c, struct api_req *r)
{
	uint8_t hash[AUDIT_HASH_LEN];
	struct MHD_Response *resp;
	enum MHD_Result ans;
	struct export *x;
	int rc;

	if (!allowed(c, r, OTAD_ACT_AUDIT_READ, &ans))
		return ans;
	if (!audit_key())
		return send_error(c, API_E_AUDIT_UNAVAILABLE, "the audit trail is not running");
	x = calloc(1, sizeof(*x));
	if (!x)
		return send_error(c, API_E_INTERNAL, "out of memory");
	x->next_seq = INT64_MIN;
	/* records and checkpoints up to the trail's end now: a checkpoint made while the export runs may name a record
	 * made after the records were sent */
	rc = otad_db_audit_last(g_otad->db, &x->end_seq, hash);
	if (rc && rc != -ENOENT) {
		free(x);
		return send_error(c, API_E_DATABASE, "database error");
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, export_read, x, export_free);
	if (!resp) {
		free(x);
		return send_error(c, API_E_INTERNAL, "out of memory");
	}
	MHD_add_response_header(resp, "Content-Type", "application/x-ndjson");
	ans = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	LOGP(DAUDIT, LOGL_NOTICE, "exported to token '%s'\n", r->who.name);
	return ans;
}
