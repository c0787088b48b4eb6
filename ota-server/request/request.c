/* The requests' engine (request.h): filing, deciding, withdrawing, executing and ending, each transition stored in
 * one transaction with its audit record (otad_db_request.h, audit/audit.h; an audit record that cannot be written
 * undoes the transition: fail closed). Runs on the select loop. The executors (lifecycle.h, pinreset.h, enrol.h)
 * tell the end through their hooks, which this module sets; they must not call them from inside their start
 * function. Holders are told by SMS (notify.h) of the approval, the rejection and the end; a notification that
 * cannot be sent is logged, never fatal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <osmocom/core/logging.h>

#include "audit/audit.h"
#include "enrol.h"
#include "lifecycle/lifecycle.h"
#include "notify.h"
#include "otad.h"
#include "otad_db_request.h"
#include "otad_perm.h"
#include "pinreset/pinreset.h"
#include "request.h"

static struct otad_db *g_db;
static void (*next_enrol_end)(const struct otad_enrol_row *row);

/* ---- transitions --------------------------------------------------------------------------------------------- */

/* Move request \a rq from its state to \a to, with its audit record, in one transaction. \returns 0; -ESTALE (it
 * moved meanwhile); -ECANCELED (the audit record could not be written: nothing stored); -EIO (the database) */
static int move(const struct otad_actor *who, struct otad_request *rq, enum otad_request_state to,
		const char *decided_by, const char *reason, int64_t op, const char *action)
{
	char object[40];
	int64_t now = otad_now_ms();
	int rc;

	if (!otad_request_may_go(rq->state, to))
		return -ESTALE;
	snprintf(object, sizeof(object), "request %lld", (long long)rq->id);
	if (otad_db_request_begin(g_db))
		return -EIO;
	rc = otad_db_request_set_state(g_db, rq->id, rq->state, to, decided_by, reason, op, now);
	if (!rc && otad_audit(who, action, object, otad_request_state_names[to], "%s %s -> %s%s%s",
			      otad_request_kind_names[rq->kind], otad_request_state_names[rq->state],
			      otad_request_state_names[to], reason ? ": " : "", reason ? reason : ""))
		rc = -ECANCELED;
	if (rc || otad_db_request_commit(g_db)) {
		otad_db_request_rollback(g_db);
		LOGP(DOTAD, LOGL_ERROR, "request %lld: %s -> %s not stored (%s)\n", (long long)rq->id,
		     otad_request_state_names[rq->state], otad_request_state_names[to],
		     rc == -ESTALE    ? "it changed meanwhile" :
		     rc == -ECANCELED ? "its audit record could not be written" :
					"database error");
		return rc ? rc : -EIO;
	}
	LOGP(DOTAD, LOGL_NOTICE, "request %lld (%s, unit %s): %s -> %s by %s%s%s\n", (long long)rq->id,
	     otad_request_kind_names[rq->kind], rq->unit[0] ? rq->unit : "(all)", otad_request_state_names[rq->state],
	     otad_request_state_names[to], who->name, reason ? ": " : "", reason ? reason : "");
	rq->state = to;
	rq->updated_ms = now;
	if (decided_by) {
		snprintf(rq->decided_by, sizeof(rq->decided_by), "%s", decided_by);
		rq->decided_ms = now;
	}
	if (reason)
		snprintf(rq->reason, sizeof(rq->reason), "%s", reason);
	if (op)
		rq->op = op;
	return 0;
}

/* ---- notifications ------------------------------------------------------------------------------------------- */

struct notify_ctx {
	const char *text;
	int64_t sent, failed;
	int first_rc;
	char first[OTAD_HOLDER_ID_MAX + 1];
};

static void notify_one(const char *holder, int64_t item, const char *result, void *priv)
{
	struct notify_ctx *n = priv;
	int rc = otad_notify_holder(holder, n->text, false);

	(void)item, (void)result;
	if (!rc) {
		n->sent++;
		return;
	}
	if (!n->failed++) {
		n->first_rc = rc;
		snprintf(n->first, sizeof(n->first), "%s", holder);
	}
}

/* Tell every holder of \a rq what became of it. */
static void notify(const struct otad_request *rq)
{
	char text[OTAD_REQUEST_REASON_MAX + 200];
	struct notify_ctx n = { .text = text };
	const char *kind = otad_request_kind_names[rq->kind];
	long long id = (long long)rq->id;

	switch (rq->state) {
	case OTAD_REQ_APPROVED:
		snprintf(text, sizeof(text), "simpki: yêu cầu số %lld (%s) đã được phê duyệt.", id, kind);
		break;
	case OTAD_REQ_REJECTED:
		snprintf(text, sizeof(text), "simpki: yêu cầu số %lld (%s) bị từ chối: %s", id, kind, rq->reason);
		break;
	case OTAD_REQ_DONE:
		snprintf(text, sizeof(text), "simpki: yêu cầu số %lld (%s) đã hoàn thành.", id, kind);
		break;
	case OTAD_REQ_FAILED:
		snprintf(text, sizeof(text), "simpki: yêu cầu số %lld (%s) không thực hiện được.", id, kind);
		break;
	default:
		return;
	}
	if (otad_db_request_holders(g_db, rq->id, 0, notify_one, &n) < 0) {
		LOGP(DOTAD, LOGL_ERROR, "request %lld: holders not read: nobody notified\n", id);
		return;
	}
	if (n.failed)
		LOGP(DOTAD, LOGL_NOTICE, "request %lld (%s): %lld of %lld holders not notified (the first, %s: %s)\n",
		     id, otad_request_state_names[rq->state], (long long)n.failed, (long long)(n.failed + n.sent),
		     n.first, strerror(-n.first_rc));
	else
		LOGP(DOTAD, LOGL_INFO, "request %lld (%s): %lld holders notified\n", id,
		     otad_request_state_names[rq->state], (long long)n.sent);
}

/* ---- filing -------------------------------------------------------------------------------------------------- */

struct holders_read {
	char (*ids)[OTAD_HOLDER_ID_MAX + 1];
	char (*units)[OTAD_UNIT_CODE_MAX + 1];
	size_t n, max;
};

static void add_unit_holder(const char *holder, const char *unit, void *priv)
{
	struct holders_read *h = priv;

	if (h->n == h->max)
		return;
	snprintf(h->ids[h->n], sizeof(h->ids[0]), "%s", holder);
	snprintf(h->units[h->n], sizeof(h->units[0]), "%s", unit);
	h->n++;
}

static int parent_of(const char *unit, char out[OTAD_UNIT_CODE_MAX + 1], void *priv)
{
	struct otad_unit u;
	int rc = otad_db_unit_get(priv, unit, &u);

	if (rc)
		return rc;
	snprintf(out, OTAD_UNIT_CODE_MAX + 1, "%s", u.parent);
	return 0;
}

static int unit_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The params JSON of \a b. \returns 0; -E2BIG */
static int params_json(const struct otad_request_body *b, char *out, size_t max)
{
	json_t *p = json_pack("{s:s}", "select", b->unit[0] ? "unit" : "holders");
	char *s;
	int rc = 0;

	if (b->unit[0])
		json_object_set_new(p, "unit", json_string(b->unit));
	if (b->kind == OTAD_REQ_REVOKE)
		json_object_set_new(p, "reason", json_string(otad_request_crl_reason_name(b->reason)));
	if (b->note[0])
		json_object_set_new(p, "note", json_string(b->note));
	if (b->kind == OTAD_REQ_PIN_RESET) {
		json_object_set_new(p, "id_number", json_string(b->id_number));
		json_object_set_new(p, "mode",
				    json_string(b->pin_mode == OTAD_PIN_RESET_UNBLOCK ? "unblock" : "one-time-pin"));
	}
	if (b->kind == OTAD_REQ_NEW_CERTIFICATE) {
		json_object_set_new(p, "key_id", json_integer(b->key_id));
		json_object_set_new(p, "profile", json_string(b->profile));
	}
	s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (!s || strlen(s) >= max)
		rc = -E2BIG;
	else
		memcpy(out, s, strlen(s) + 1);
	free(s);
	return rc;
}

static int documents_json(const struct otad_request_body *b, char *out, size_t max)
{
	json_t *a = json_array();
	char *s;
	int rc = 0;

	for (unsigned i = 0; i < b->n_docs; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "name", b->docs[i].name, "sha256", b->docs[i].sha256));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (!s || strlen(s) >= max)
		rc = -E2BIG;
	else
		memcpy(out, s, strlen(s) + 1);
	free(s);
	return rc;
}

/* The holders of \a b with their units into \a h (the unit's holders for a unit's request). \returns 0; -ENOENT;
 * -ENODATA; -E2BIG; -EIO; \a err */
static int holders_of(const struct otad_request_body *b, struct holders_read *h, char *err, size_t errlen)
{
	struct otad_holder hd;
	int rc;

	if (b->unit[0]) {
		struct otad_unit u;

		rc = otad_db_unit_get(g_db, b->unit, &u);
		if (rc == -ENOENT)
			snprintf(err, errlen, "unit %s: no such unit in the organisation tree", b->unit);
		if (rc)
			return rc;
		rc = otad_db_request_unit_holders(g_db, b->unit, h->max, add_unit_holder, h);
		if (rc == -E2BIG)
			snprintf(err, errlen, "unit %s has more than %d holders: file several requests", b->unit,
				 OTAD_REQUEST_HOLDERS_MAX);
		if (rc < 0)
			return rc;
		if (!rc) {
			snprintf(err, errlen, "unit %s has no holder", b->unit);
			return -ENODATA;
		}
		return 0;
	}
	for (size_t i = 0; i < b->n_holders; i++) {
		rc = otad_db_holder_get(g_db, b->holders[i], &hd);
		if (rc == -ENOENT)
			snprintf(err, errlen, "no holder with the id %s", b->holders[i]);
		if (rc)
			return rc;
		add_unit_holder(hd.id, hd.unit, h);
	}
	return 0;
}

/* Every holder's unit inside \a who's scope for filing, and the request's unit into \a unit. \returns 0; -EPERM;
 * -EIO; \a err */
static int scope_and_unit(const struct otad_actor *who, const struct otad_request_body *b, struct holders_read *h,
			  char unit[OTAD_UNIT_CODE_MAX + 1], char *err, size_t errlen)
{
	const char **units = malloc(h->n * sizeof(*units));
	int rc = 0;

	if (!units)
		return -ENOMEM;
	for (size_t i = 0; i < h->n; i++)
		units[i] = h->units[i];
	qsort(units, h->n, sizeof(*units), unit_cmp);
	for (size_t i = 0; i < h->n && !rc; i++) {
		if (i && !strcmp(units[i], units[i - 1]))
			continue;
		rc = otad_perm(g_db, who, OTAD_ACT_REQUEST_FILE, units[i]);
		if (rc == -EPERM)
			snprintf(err, errlen,
				 "token '%s' may not file requests for holders of unit %s (outside its scope%s%s)",
				 who->name, units[i], who->scope[0] ? " " : "", who->scope);
	}
	if (!rc) {
		if (b->unit[0])
			snprintf(unit, OTAD_UNIT_CODE_MAX + 1, "%s", b->unit);
		else
			rc = otad_request_common_unit(units, h->n, parent_of, g_db, unit);
		if (rc && rc != -EPERM)
			rc = -EIO;
	}
	free(units);
	return rc;
}

static int file_store(const struct otad_actor *who, const struct otad_request_body *b, struct holders_read *h,
		      const char *unit, int64_t *id, char *err, size_t errlen)
{
	static struct otad_request rq; /* large: not on the stack */
	char object[40];
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.kind = b->kind;
	rq.state = OTAD_REQ_FILED;
	snprintf(rq.unit, sizeof(rq.unit), "%s", unit);
	snprintf(rq.filed_by, sizeof(rq.filed_by), "%s", who->name);
	snprintf(rq.filed_role, sizeof(rq.filed_role), "%s", otad_role_names[who->role]);
	rq.filed_ms = otad_now_ms();
	if (params_json(b, rq.params, sizeof(rq.params)) || documents_json(b, rq.documents, sizeof(rq.documents))) {
		snprintf(err, errlen, "the request is too large to store");
		return -EINVAL;
	}
	if (otad_db_request_begin(g_db))
		return -EIO;
	rc = otad_db_request_insert(g_db, &rq, (const char(*)[OTAD_HOLDER_ID_MAX + 1]) h->ids, h->n);
	if (!rc) {
		snprintf(object, sizeof(object), "request %lld", (long long)rq.id);
		if (otad_audit(who, "request.file", object, "filed", "%s for %zu holders, unit %s, %u documents",
			       otad_request_kind_names[b->kind], h->n, unit[0] ? unit : "(all)", b->n_docs))
			rc = -ECANCELED;
	}
	if (rc || otad_db_request_commit(g_db)) {
		otad_db_request_rollback(g_db);
		snprintf(err, errlen, "%s",
			 rc == -ECANCELED ? "the audit record could not be written" : "database error");
		return rc == -ECANCELED ? -ECANCELED : -EIO;
	}
	*id = rq.id;
	LOGP(DOTAD, LOGL_NOTICE, "request %lld: %s for %zu holders (unit %s) filed by %s\n", (long long)rq.id,
	     otad_request_kind_names[b->kind], h->n, unit[0] ? unit : "(all)", who->name);
	return 0;
}

int otad_request_file(const struct otad_actor *who, const struct otad_request_body *b, int64_t *id, char *err,
		      size_t errlen)
{
	struct holders_read h = { .max = OTAD_REQUEST_HOLDERS_MAX };
	char unit[OTAD_UNIT_CODE_MAX + 1];
	int rc = -ENOMEM;

	h.ids = calloc(h.max, sizeof(*h.ids));
	h.units = calloc(h.max, sizeof(*h.units));
	if (!h.ids || !h.units) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = holders_of(b, &h, err, errlen);
	if (!rc)
		rc = scope_and_unit(who, b, &h, unit, err, errlen);
	if (rc == -EPERM)
		otad_audit(who, "request.file", "request", "refused", "%s: %s", otad_request_kind_names[b->kind], err);
	else if (rc == -EIO || rc == -ENOMEM)
		snprintf(err, errlen, "database error");
	if (!rc)
		rc = file_store(who, b, &h, unit, id, err, errlen);
out:
	free(h.ids);
	free(h.units);
	return rc;
}

/* ---- executing ----------------------------------------------------------------------------------------------- */

struct id_list {
	char (*ids)[OTAD_HOLDER_ID_MAX + 1];
	const char **ptrs;
	size_t n, max;
};

static void add_id(const char *holder, int64_t item, const char *result, void *priv)
{
	struct id_list *l = priv;

	(void)item, (void)result;
	if (l->n == l->max)
		return;
	snprintf(l->ids[l->n], sizeof(l->ids[0]), "%s", holder);
	l->ptrs[l->n] = l->ids[l->n];
	l->n++;
}

/* The lifecycle kinds' operation. \returns 0 with *op; negative with \a err */
static int start_lifecycle(const struct otad_actor *who, const struct otad_request *rq, const struct id_list *l,
			   int64_t *op, char *err, size_t errlen)
{
	static const enum otad_lc_kind lc[OTAD_REQ_N_KINDS] = {
		[OTAD_REQ_MODIFY] = OTAD_LC_MODIFY,   [OTAD_REQ_RENEW] = OTAD_LC_RENEW,
		[OTAD_REQ_REKEY] = OTAD_LC_REKEY,     [OTAD_REQ_REVOKE] = OTAD_LC_REVOKE,
		[OTAD_REQ_SUSPEND] = OTAD_LC_SUSPEND, [OTAD_REQ_RELEASE] = OTAD_LC_RELEASE,
	};
	struct otad_lc_select sel = { .holders = l->ptrs, .n_holders = l->n };
	struct otad_lc_params p = { .kind = lc[rq->kind], .reason = -1, .request = rq->id };
	char name[64];
	json_t *params = json_loads(rq->params, 0, NULL);

	snprintf(name, sizeof(name), "request %lld", (long long)rq->id);
	p.name = name;
	if (rq->kind == OTAD_REQ_REVOKE)
		p.reason = otad_request_crl_reason_of(json_string_value(json_object_get(params, "reason")));
	if (p.reason < 0)
		p.reason = rq->kind == OTAD_REQ_REVOKE ? 0 : -1;
	json_decref(params);
	return otad_lc_create(who, &p, &sel, op, err, errlen);
}

/* One item per holder (PIN resets, enrolments). \returns how many started; \a err: the first failure */
static int64_t start_items(const struct otad_actor *who, const struct otad_request *rq, const struct id_list *l,
			   char *err, size_t errlen)
{
	json_t *params = json_loads(rq->params, 0, NULL);
	const char *id_number = json_string_value(json_object_get(params, "id_number"));
	const char *mode = json_string_value(json_object_get(params, "mode"));
	const char *profile = json_string_value(json_object_get(params, "profile"));
	int key_id = (int)json_integer_value(json_object_get(params, "key_id"));
	int64_t started = 0;

	err[0] = 0;
	for (size_t i = 0; i < l->n; i++) {
		char e[192] = "", result[240];
		int64_t item = 0;
		int rc;

		if (rq->kind == OTAD_REQ_PIN_RESET) {
			rc = otad_pin_reset_start(who, l->ptrs[i], id_number ? id_number : "",
						  mode && !strcmp(mode, "unblock") ? OTAD_PIN_RESET_UNBLOCK :
										     OTAD_PIN_RESET_ONE_TIME_PIN,
						  rq->id, &item, e, sizeof(e));
		} else {
			static uint8_t subject[OTAD_ENROL_SUBJECT_MAX];
			struct otad_card card;
			char iccid[21];
			int n;

			rc = otad_db_request_holder_card(g_db, l->ptrs[i], iccid);
			if (rc == -ENOENT)
				snprintf(e, sizeof(e), "the holder has no active card");
			if (!rc)
				rc = otad_db_card_get(g_db, iccid, &card);
			if (!rc) {
				n = otad_enrol_holder_subject(&card, subject, sizeof(subject), e, sizeof(e));
				rc = n < 0 ? n :
					     otad_enrol_start(iccid, (uint8_t)(key_id ? key_id : 1),
							      profile ? profile : "signing", l->ptrs[i], subject,
							      (size_t)n, &item, e, sizeof(e));
			}
		}
		if (!rc) {
			started++;
			rc = otad_db_request_item_set(g_db, rq->id, l->ptrs[i], item, NULL);
		} else {
			if (!e[0])
				snprintf(e, sizeof(e), "%s", strerror(-rc));
			snprintf(result, sizeof(result), "failed: %s", e);
			if (!err[0])
				snprintf(err, errlen, "%s: %s", l->ptrs[i], e);
			rc = otad_db_request_item_set(g_db, rq->id, l->ptrs[i], 0, result);
		}
		if (rc)
			LOGP(DOTAD, LOGL_ERROR, "request %lld: holder %s's item not stored\n", (long long)rq->id,
			     l->ptrs[i]);
	}
	json_decref(params);
	return started;
}

static void check_items_end(int64_t request);

/* Approved request \a rq: start its executor. */
static void execute(const struct otad_actor *who, struct otad_request *rq)
{
	struct id_list l = { .max = (size_t)rq->holders };
	char err[300] = "";
	int64_t op = 0;
	int rc = -ENOMEM;

	l.ids = calloc(l.max ? l.max : 1, sizeof(*l.ids));
	l.ptrs = calloc(l.max ? l.max : 1, sizeof(*l.ptrs));
	if (!l.ids || !l.ptrs) {
		snprintf(err, sizeof(err), "out of memory");
	} else if (otad_db_request_holders(g_db, rq->id, 0, add_id, &l) < 0) {
		rc = -EIO;
		snprintf(err, sizeof(err), "database error");
	} else if (rq->kind == OTAD_REQ_PIN_RESET || rq->kind == OTAD_REQ_NEW_CERTIFICATE) {
		rc = start_items(who, rq, &l, err, sizeof(err)) ? 0 : -EIO;
	} else {
		rc = start_lifecycle(who, rq, &l, &op, err, sizeof(err));
		if (rc && !err[0])
			snprintf(err, sizeof(err), "%s", strerror(-rc));
	}
	free(l.ids);
	free(l.ptrs);
	if (rc) {
		char reason[OTAD_REQUEST_REASON_MAX + 1];

		snprintf(reason, sizeof(reason), "not started: %s", err);
		if (!move(who, rq, OTAD_REQ_FAILED, NULL, reason, 0, "request.execute"))
			notify(rq);
		return;
	}
	if (move(who, rq, OTAD_REQ_EXECUTING, NULL, NULL, op, "request.execute"))
		return;
	if (rq->kind == OTAD_REQ_PIN_RESET || rq->kind == OTAD_REQ_NEW_CERTIFICATE)
		check_items_end(rq->id); /* some items may have failed to start, and none be left */
}

/* ---- ending -------------------------------------------------------------------------------------------------- */

/* Request \a id's executor ended: \a failed items failed (\a first: the first failure). */
static void end(int64_t id, int64_t failed, int64_t total, const char *first)
{
	static struct otad_request rq;
	char reason[OTAD_REQUEST_REASON_MAX + 1];
	int rc = otad_db_request_get(g_db, id, &rq);

	if (rc) {
		LOGP(DOTAD, LOGL_ERROR, "request %lld ended, but it cannot be read (%s)\n", (long long)id,
		     rc == -ENOENT ? "no such request" : "database error");
		return;
	}
	if (rq.state == OTAD_REQ_APPROVED &&
	    move(&otad_actor_daemon, &rq, OTAD_REQ_EXECUTING, NULL, NULL, 0, "request.execute"))
		return;
	if (rq.state != OTAD_REQ_EXECUTING) {
		LOGP(DOTAD, LOGL_NOTICE, "request %lld ended, but it is %s: nothing changed\n", (long long)id,
		     otad_request_state_names[rq.state]);
		return;
	}
	if (failed)
		snprintf(reason, sizeof(reason), "%lld of %lld failed%s%s", (long long)failed, (long long)total,
			 first && first[0] ? "; the first: " : "", first ? first : "");
	if (!move(&otad_actor_daemon, &rq, failed ? OTAD_REQ_FAILED : OTAD_REQ_DONE, NULL, failed ? reason : NULL, 0,
		  "request.end"))
		notify(&rq);
}

static void check_items_end(int64_t request)
{
	static struct otad_request rq;
	int64_t open, failed;
	char first[OTAD_REQUEST_REASON_MAX - 64];

	if (otad_db_request_items_count(g_db, request, &open, &failed, first, sizeof(first)) ||
	    otad_db_request_get(g_db, request, &rq)) {
		LOGP(DOTAD, LOGL_ERROR, "request %lld: its items cannot be read\n", (long long)request);
		return;
	}
	if (!open)
		end(request, failed, rq.holders, first);
}

static void item_ended(int64_t request, enum otad_request_kind kind, int64_t item, bool ok, const char *error)
{
	char result[240];
	int64_t rq = 0;
	int rc;

	snprintf(result, sizeof(result), ok ? "done" : "failed: %s", error && error[0] ? error : "(no reason given)");
	rc = otad_db_request_item_end(g_db, request, kind, item, result, &rq);
	if (rc == -ENOENT)
		return; /* not a request's item */
	if (rc) {
		LOGP(DOTAD, LOGL_ERROR, "request %lld: the end of item %lld not stored\n", (long long)request,
		     (long long)item);
		return;
	}
	check_items_end(rq);
}

static void lc_ended(int64_t op, int64_t request, int64_t ok, int64_t failed)
{
	char first[64];

	if (!request)
		return;
	snprintf(first, sizeof(first), "lifecycle operation %lld", (long long)op);
	end(request, failed, ok + failed, failed ? first : NULL);
}

static void pin_reset_ended(int64_t id, int64_t request, int ok)
{
	if (request)
		item_ended(request, OTAD_REQ_PIN_RESET, id, ok, "the PIN reset failed");
}

static void enrol_ended(const struct otad_enrol_row *row)
{
	if (!row->campaign)
		item_ended(0, OTAD_REQ_NEW_CERTIFICATE, row->id, row->state == OTAD_ENROL_DONE, row->error);
	if (next_enrol_end)
		next_enrol_end(row);
}

/* ---- deciding ------------------------------------------------------------------------------------------------ */

int otad_request_decide(const struct otad_actor *who, int64_t id, bool approve, const char *reason, char *err,
			size_t errlen)
{
	static struct otad_request rq;
	char object[40];
	int rc = otad_db_request_get(g_db, id, &rq);

	if (rc == -ENOENT)
		snprintf(err, errlen, "no request %lld", (long long)id);
	if (rc)
		return rc;
	snprintf(object, sizeof(object), "request %lld", (long long)id);
	rc = otad_perm(g_db, who, OTAD_ACT_REQUEST_DECIDE, rq.unit);
	if (rc) {
		snprintf(err, errlen, "token '%s' may not decide requests of unit %s", who->name,
			 rq.unit[0] ? rq.unit : "(the whole tree)");
		otad_audit(who, "request.decide", object, "refused", "%s", err);
		return rc == -EPERM ? -EPERM : -EIO;
	}
	if (!otad_request_four_eyes_ok(rq.filed_by, who->name)) {
		snprintf(err, errlen, "four eyes: '%s' filed request %lld and may not decide it: another must",
			 who->name, (long long)id);
		otad_audit(who, "request.decide", object, "refused", "%s", err);
		return -EACCES;
	}
	if (rq.state != OTAD_REQ_FILED) {
		snprintf(err, errlen, "request %lld is %s: only a filed request is decided", (long long)id,
			 otad_request_state_names[rq.state]);
		return -EALREADY;
	}
	rc = move(who, &rq, approve ? OTAD_REQ_APPROVED : OTAD_REQ_REJECTED, who->name, approve ? NULL : reason, 0,
		  "request.decide");
	if (rc == -ESTALE) {
		snprintf(err, errlen, "request %lld changed meanwhile", (long long)id);
		return -EALREADY;
	}
	if (rc) {
		snprintf(err, errlen, "%s",
			 rc == -ECANCELED ? "the audit record could not be written" : "database error");
		return rc;
	}
	notify(&rq);
	if (approve)
		execute(who, &rq);
	return 0;
}

int otad_request_withdraw(const struct otad_actor *who, int64_t id, char *err, size_t errlen)
{
	static struct otad_request rq;
	int rc = otad_db_request_get(g_db, id, &rq);

	if (rc == -ENOENT)
		snprintf(err, errlen, "no request %lld", (long long)id);
	if (rc)
		return rc;
	if (strcmp(rq.filed_by, who->name)) {
		snprintf(err, errlen, "only its filer ('%s') may withdraw request %lld", rq.filed_by, (long long)id);
		return -EACCES;
	}
	if (rq.state != OTAD_REQ_FILED) {
		snprintf(err, errlen, "request %lld is %s: only a filed request is withdrawn", (long long)id,
			 otad_request_state_names[rq.state]);
		return -EALREADY;
	}
	rc = move(who, &rq, OTAD_REQ_WITHDRAWN, who->name, NULL, 0, "request.withdraw");
	if (rc == -ESTALE) {
		snprintf(err, errlen, "request %lld changed meanwhile", (long long)id);
		return -EALREADY;
	}
	if (rc)
		snprintf(err, errlen, "%s",
			 rc == -ECANCELED ? "the audit record could not be written" : "database error");
	return rc;
}

/* ---- the module ---------------------------------------------------------------------------------------------- */

void otad_request_init(struct otad_db *db)
{
	g_db = db;
	otad_lc_on_end = lc_ended;
	otad_pin_reset_on_end = pin_reset_ended;
	if (otad_enrol_end_cb != enrol_ended) {
		next_enrol_end = otad_enrol_end_cb;
		otad_enrol_end_cb = enrol_ended;
	}
}

struct ids {
	int64_t *v;
	size_t n, cap;
};

static void collect(const struct otad_request *rq, void *priv)
{
	struct ids *l = priv;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		int64_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = rq->id;
}

int otad_request_resume_all(void)
{
	static struct otad_request rq;
	struct ids l = { 0 };
	int n = 0;

	if (otad_db_requests_in_state(g_db, OTAD_REQ_APPROVED, collect, &l) < 0) {
		free(l.v);
		return -EIO;
	}
	for (size_t i = 0; i < l.n; i++)
		if (!otad_db_request_get(g_db, l.v[i], &rq) &&
		    !move(&otad_actor_daemon, &rq, OTAD_REQ_FAILED, NULL,
			  "not started: the daemon stopped between the approval and the start", 0, "request.execute")) {
			notify(&rq);
			n++;
		}
	free(l.v);
	return n;
}
