/* simpki-otad's database: certificate lifecycle operations (otad_db_lifecycle.h; tables in otad_db_v14_lifecycle.h).
 * Every SQL statement of the lifecycle engine is here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "otad_db.h"
#include "otad_db_int.h"
#include "otad_db_lifecycle.h"

const char *const otad_lc_kind_names[OTAD_LC_N_KINDS] = { "modify", "renew", "rekey", "revoke", "suspend", "release" };

const char *const otad_lc_state_names[OTAD_LC_N_STATES] = {
	[OTAD_LC_RUNNING] = "running",
	[OTAD_LC_PAUSED] = "paused",
	[OTAD_LC_DONE] = "done",
	[OTAD_LC_CANCELLED] = "cancelled",
};

const char *const otad_lci_state_names[OTAD_LCI_N_STATES] = {
	[OTAD_LCI_WAITING] = "waiting", [OTAD_LCI_CHECK] = "check",	    [OTAD_LCI_ISSUE] = "issue",
	[OTAD_LCI_LOAD] = "load",	[OTAD_LCI_VERIFY] = "verify",	    [OTAD_LCI_KEYGEN] = "keygen",
	[OTAD_LCI_ENROL] = "enrol",	[OTAD_LCI_REVOKE] = "revoke",	    [OTAD_LCI_DONE] = "done",
	[OTAD_LCI_FAILED] = "failed",	[OTAD_LCI_CANCELLED] = "cancelled", [OTAD_LCI_SKIPPED] = "skipped",
};

bool otad_lci_state_final(enum otad_lci_state s)
{
	return s >= OTAD_LCI_DONE;
}

static int name_index(const char *t, const char *const *names, int n)
{
	for (int i = 0; t && i < n; i++)
		if (!strcmp(t, names[i]))
			return i;
	return -EINVAL;
}

int otad_lci_state_of(const char *name)
{
	return name_index(name, otad_lci_state_names, OTAD_LCI_N_STATES);
}

static int exec(struct otad_db *db, const char *sql)
{
	return sqlite3_exec(db->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_CONSTRAINT ? -EBUSY : -EIO;
}

#define OP_COLUMNS                                                                                                   \
	"id, kind, name, state, reason, params, by, request, items, concurrency, created_at, updated_at, ended_at, " \
	"unit"

static void op_from_row(sqlite3_stmt *st, struct otad_lc_op *op)
{
	int k;

	memset(op, 0, sizeof(*op));
	op->id = sqlite3_column_int64(st, 0);
	k = name_index((const char *)sqlite3_column_text(st, 1), otad_lc_kind_names, OTAD_LC_N_KINDS);
	op->kind = k < 0 ? OTAD_LC_REVOKE : (enum otad_lc_kind)k;
	otad_db_column_text(st, 2, op->name, sizeof(op->name));
	k = name_index((const char *)sqlite3_column_text(st, 3), otad_lc_state_names, OTAD_LC_N_STATES);
	op->state = k < 0 ? OTAD_LC_PAUSED : (enum otad_lc_state)k;
	op->reason = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 4);
	otad_db_column_text(st, 5, op->params, sizeof(op->params));
	otad_db_column_text(st, 6, op->by, sizeof(op->by));
	op->request = sqlite3_column_int64(st, 7);
	op->items = sqlite3_column_int64(st, 8);
	op->concurrency = (unsigned)sqlite3_column_int(st, 9);
	op->created_ms = sqlite3_column_int64(st, 10);
	op->updated_ms = sqlite3_column_int64(st, 11);
	op->ended_ms = sqlite3_column_int64(st, 12);
	otad_db_column_text(st, 13, op->unit, sizeof(op->unit));
}

#define ITEM_COLUMNS                                                                                                   \
	"op, seq, holder, iccid, old_serial, state, txid, subject, new_serial, new_cert, job, tries, next_try, error," \
	" updated_at, done_at"

static void item_from_row(sqlite3_stmt *st, struct otad_lc_item *it)
{
	int k;

	memset(it, 0, sizeof(*it));
	it->op = sqlite3_column_int64(st, 0);
	it->seq = sqlite3_column_int64(st, 1);
	otad_db_column_text(st, 2, it->holder, sizeof(it->holder));
	otad_db_column_text(st, 3, it->iccid, sizeof(it->iccid));
	otad_db_column_text(st, 4, it->old_serial, sizeof(it->old_serial));
	k = otad_lci_state_of((const char *)sqlite3_column_text(st, 5));
	it->state = k < 0 ? OTAD_LCI_FAILED : (enum otad_lci_state)k;
	it->txid_len = otad_db_column_blob(st, 6, it->txid, sizeof(it->txid));
	it->subject_len = otad_db_column_blob(st, 7, it->subject, sizeof(it->subject));
	otad_db_column_text(st, 8, it->new_serial, sizeof(it->new_serial));
	it->new_cert_len = otad_db_column_blob(st, 9, it->new_cert, sizeof(it->new_cert));
	it->job = sqlite3_column_int64(st, 10);
	it->tries = (unsigned)sqlite3_column_int(st, 11);
	it->next_try_ms = sqlite3_column_int64(st, 12);
	otad_db_column_text(st, 13, it->error, sizeof(it->error));
	it->updated_ms = sqlite3_column_int64(st, 14);
	it->done_ms = sqlite3_column_int64(st, 15);
}

/* The newest certificate in force of each holder, with its holder and the holder's unit. */
#define IN_FORCE                                                                                                       \
	"SELECT holder, iccid, serial, unit FROM (SELECT COALESCE(c.holder, k.holder_id) AS holder, c.iccid,"          \
	" c.serial, h.unit, ROW_NUMBER() OVER (PARTITION BY COALESCE(c.holder, k.holder_id) ORDER BY c.id DESC) AS rn" \
	" FROM certificates c JOIN cards k ON k.iccid = c.iccid JOIN holders h ON h.id = COALESCE(c.holder,"           \
	" k.holder_id) WHERE c.status IN ('issued', 'loaded') AND %s) WHERE rn = 1 ORDER BY holder"

static int insert_items(struct otad_db *db, int64_t op, int64_t now, const char *where, const char *bind1,
			bool need_one, char *err, size_t errlen)
{
	char sql[1200];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof(sql),
		 "INSERT INTO lifecycle_items (op, seq, holder, iccid, old_serial, state, updated_at)"
		 " SELECT ?1, (SELECT COALESCE(MAX(seq), 0) FROM lifecycle_items WHERE op = ?1) + ROW_NUMBER() OVER"
		 " (ORDER BY holder), holder, iccid, serial, 'waiting', ?2 FROM (" IN_FORCE ")",
		 where);
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, op);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, bind1, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT) {
		snprintf(err, errlen, "a certificate selected (%s) is in another unfinished operation", bind1);
		return -EBUSY;
	}
	if (rc != SQLITE_DONE)
		return -EIO;
	rc = sqlite3_changes(db->db);
	if (need_one && !rc) {
		snprintf(err, errlen, "%s has no certificate in force", bind1);
		return -ENOENT;
	}
	return rc;
}

struct units_q {
	struct otad_db *db;
	int64_t op, now;
	int rc;
	char *err;
	size_t errlen;
};

static void unit_cb(const char *unit, void *priv)
{
	struct units_q *q = priv;
	int rc;

	if (q->rc < 0)
		return;
	rc = insert_items(q->db, q->op, q->now, "h.unit = ?3", unit, false, q->err, q->errlen);
	if (rc < 0)
		q->rc = rc;
}

static int check_items(struct otad_db *db, int64_t op, int (*check)(const char *, const char *, void *), void *priv,
		       char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = 0, s;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT i.holder, h.unit FROM lifecycle_items i LEFT JOIN holders h ON h.id = i.holder"
			       " WHERE i.op = ? ORDER BY i.seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, op);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 0), *u = (const char *)sqlite3_column_text(st, 1);

		rc = check(h ? h : "", u ? u : "", priv);
		if (rc) {
			snprintf(err, errlen,
				 rc == -EPERM ? "holder %s (unit %s) is outside the scope" :
						"holder %s (unit %s): the permission could not be checked",
				 h ? h : "?", u ? u : "none");
			break;
		}
	}
	sqlite3_finalize(st);
	return rc ? rc : s == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_lc_create(struct otad_db *db, struct otad_lc_op *op, const struct otad_lc_select *sel,
		      int (*check)(const char *holder, const char *unit, void *priv), void *priv, char *err,
		      size_t errlen)
{
	int64_t now = otad_now_ms();
	sqlite3_stmt *st;
	int rc = 0;

	if (exec(db, "BEGIN IMMEDIATE"))
		return -EIO;
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO lifecycle_ops (kind, name, state, reason, params, by, request, items,"
			       " concurrency, created_at, updated_at) VALUES (?, ?, 'running', ?, ?, ?, ?, 0, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		goto io;
	sqlite3_bind_text(st, 1, otad_lc_kind_names[op->kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, op->name, -1, SQLITE_STATIC);
	if (op->reason >= 0)
		sqlite3_bind_int(st, 3, op->reason);
	sqlite3_bind_text(st, 4, op->params, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, op->by, -1, SQLITE_STATIC);
	if (op->request)
		sqlite3_bind_int64(st, 6, op->request);
	sqlite3_bind_int(st, 7, (int)op->concurrency);
	sqlite3_bind_int64(st, 8, now);
	sqlite3_bind_int64(st, 9, now);
	if (step_done(st))
		goto io;
	op->id = sqlite3_last_insert_rowid(db->db);
	op->state = OTAD_LC_RUNNING;
	op->created_ms = op->updated_ms = now;
	op->ended_ms = 0;
	if (sel->holders) {
		for (size_t i = 0; i < sel->n_holders && rc >= 0; i++) {
			char what[OTAD_HOLDER_ID_MAX + 16];

			rc = insert_items(db, op->id, now, "COALESCE(c.holder, k.holder_id) = ?3", sel->holders[i],
					  true, err, errlen);
			if (rc == -ENOENT) {
				snprintf(what, sizeof(what), "holder %s", sel->holders[i]);
				snprintf(err, errlen, "%s has no certificate in force", what);
			}
		}
	} else if (sel->serials) {
		for (size_t i = 0; i < sel->n_serials && rc >= 0; i++) {
			rc = insert_items(db, op->id, now, "c.serial = lower(?3)", sel->serials[i], true, err, errlen);
			if (rc == -ENOENT)
				snprintf(err, errlen, "certificate %s is not in force", sel->serials[i]);
		}
	} else if (sel->unit) {
		struct otad_unit u;

		rc = otad_db_unit_get(db, sel->unit, &u);
		if (rc == -ENOENT)
			snprintf(err, errlen, "no unit %s", sel->unit);
		if (!rc)
			rc = insert_items(db, op->id, now,
					  "h.unit IN (WITH RECURSIVE sub(code) AS (SELECT ?3 UNION SELECT u.code FROM"
					  " units u JOIN sub ON u.parent = sub.code) SELECT code FROM sub)",
					  sel->unit, false, err, errlen);
	} else if (sel->unit_change) {
		struct units_q q = { .db = db, .op = op->id, .now = now, .err = err, .errlen = errlen };

		rc = otad_db_unit_change_affected(db, sel->unit_change, unit_cb, &q);
		if (rc == -ENOENT)
			snprintf(err, errlen, "no unit change %lld", (long long)sel->unit_change);
		if (rc == -EAGAIN)
			snprintf(err, errlen,
				 "unit change %lld is not applied (pending until its effective time, or failed): it "
				 "affects nobody yet",
				 (long long)sel->unit_change);
		if (rc >= 0 && q.rc < 0)
			rc = q.rc;
	} else {
		snprintf(err, errlen, "nothing selected");
		rc = -EINVAL;
	}
	if (rc < 0)
		goto out;
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE lifecycle_ops SET items = (SELECT COUNT(*) FROM lifecycle_items WHERE op = ?1)"
			       " WHERE id = ?1 RETURNING items",
			       -1, &st, NULL) != SQLITE_OK)
		goto io;
	sqlite3_bind_int64(st, 1, op->id);
	op->items = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	if (op->items < 0)
		goto io;
	if (!op->items) {
		snprintf(err, errlen, "no certificate in force selected");
		rc = -ENODATA;
		goto out;
	}
	if (check) {
		rc = check_items(db, op->id, check, priv, err, errlen);
		if (rc)
			goto out;
	}
	if (exec(db, "COMMIT"))
		goto io;
	return 0;
io:
	snprintf(err, errlen, "the database failed: %s", sqlite3_errmsg(db->db));
	rc = -EIO;
out:
	exec(db, "ROLLBACK");
	return rc;
}

int otad_db_lc_update(struct otad_db *db, struct otad_lc_op *op)
{
	sqlite3_stmt *st;

	op->updated_ms = otad_now_ms();
	if (sqlite3_prepare_v2(db->db, "UPDATE lifecycle_ops SET state = ?, updated_at = ?, ended_at = ? WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, otad_lc_state_names[op->state], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, op->updated_ms);
	if (op->ended_ms)
		sqlite3_bind_int64(st, 3, op->ended_ms);
	sqlite3_bind_int64(st, 4, op->id);
	return step_done(st);
}

int otad_db_lc_get(struct otad_db *db, int64_t id, struct otad_lc_op *op)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT " OP_COLUMNS " FROM lifecycle_ops WHERE id = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		op_from_row(st, op);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_lc_list(struct otad_db *db, bool only_open, int64_t before, unsigned max,
		    void (*cb)(const struct otad_lc_op *op, void *priv), void *priv)
{
	static struct otad_lc_op op;
	sqlite3_stmt *st;
	int n = 0, rc;

	if (sqlite3_prepare_v2(db->db,
			       only_open ? "SELECT " OP_COLUMNS " FROM lifecycle_ops o WHERE state IN ('running',"
					   " 'paused') OR (state = 'cancelled' AND ended_at IS NULL) ORDER BY id" :
					   "SELECT " OP_COLUMNS
					   " FROM lifecycle_ops WHERE ?1 = 0 OR id < ?1 ORDER BY id"
					   " DESC LIMIT ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (!only_open) {
		sqlite3_bind_int64(st, 1, before);
		sqlite3_bind_int64(st, 2, max ? (int64_t)max : -1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		op_from_row(st, &op);
		cb(&op, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_lc_list_scope(struct otad_db *db, const char *scope, int64_t before, unsigned max,
			  void (*cb)(const struct otad_lc_op *op, void *priv), void *priv)
{
	static struct otad_lc_op op;
	sqlite3_stmt *st;
	int n = 0, rc;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT " OP_COLUMNS " FROM lifecycle_ops WHERE (?1 = 0 OR id < ?1) AND unit IN (WITH"
			       " RECURSIVE sub(code) AS (SELECT ?3 UNION SELECT u.code FROM units u JOIN sub ON"
			       " u.parent = sub.code) SELECT code FROM sub) ORDER BY id DESC LIMIT ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, max ? (int64_t)max : -1);
	sqlite3_bind_text(st, 3, scope, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		op_from_row(st, &op);
		cb(&op, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_lc_set_unit(struct otad_db *db, int64_t id, const char *unit)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "UPDATE lifecycle_ops SET unit = ? WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (unit && unit[0])
		sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->db) ? 0 : -ENOENT;
}

int otad_db_lci_update(struct otad_db *db, struct otad_lc_item *it)
{
	sqlite3_stmt *st;

	it->updated_ms = otad_now_ms();
	if (otad_lci_state_final(it->state) && !it->done_ms)
		it->done_ms = it->updated_ms;
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE lifecycle_items SET state = ?3, txid = ?4, subject = ?5, new_serial = ?6,"
			       " new_cert = ?7, job = ?8, tries = ?9, next_try = ?10, error = ?11, updated_at = ?12,"
			       " done_at = ?13 WHERE op = ?1 AND seq = ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, it->op);
	sqlite3_bind_int64(st, 2, it->seq);
	sqlite3_bind_text(st, 3, otad_lci_state_names[it->state], -1, SQLITE_STATIC);
	if (it->txid_len)
		sqlite3_bind_blob(st, 4, it->txid, (int)it->txid_len, SQLITE_STATIC);
	if (it->subject_len)
		sqlite3_bind_blob(st, 5, it->subject, (int)it->subject_len, SQLITE_STATIC);
	if (it->new_serial[0])
		sqlite3_bind_text(st, 6, it->new_serial, -1, SQLITE_STATIC);
	if (it->new_cert_len)
		sqlite3_bind_blob(st, 7, it->new_cert, (int)it->new_cert_len, SQLITE_STATIC);
	if (it->job)
		sqlite3_bind_int64(st, 8, it->job);
	sqlite3_bind_int(st, 9, (int)it->tries);
	sqlite3_bind_int64(st, 10, it->next_try_ms);
	if (it->error[0])
		sqlite3_bind_text(st, 11, it->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, it->updated_ms);
	if (it->done_ms)
		sqlite3_bind_int64(st, 13, it->done_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return -EIO;
	}
	sqlite3_finalize(st);
	return sqlite3_changes(db->db) ? 0 : -ENOENT;
}

static int items_query(struct otad_db *db, const char *sql, int64_t a, int64_t b, int64_t c, const char *t,
		       void (*cb)(const struct otad_lc_item *it, void *priv), void *priv)
{
	static struct otad_lc_item it;
	sqlite3_stmt *st;
	int n = 0, rc;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_int64(st, 3, c);
	if (t)
		sqlite3_bind_text(st, 4, t, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		item_from_row(st, &it);
		cb(&it, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

static void copy_cb(const struct otad_lc_item *it, void *priv)
{
	*(struct otad_lc_item *)priv = *it;
}

int otad_db_lci_get(struct otad_db *db, int64_t op, int64_t seq, struct otad_lc_item *it)
{
	int rc = items_query(db, "SELECT " ITEM_COLUMNS " FROM lifecycle_items WHERE op = ?1 AND seq = ?2 AND ?3 = 0",
			     op, seq, 0, NULL, copy_cb, it);

	return rc < 0 ? rc : rc ? 0 : -ENOENT;
}

int otad_db_lci_ready(struct otad_db *db, int64_t op, int64_t now_ms, unsigned max,
		      void (*cb)(const struct otad_lc_item *it, void *priv), void *priv)
{
	return items_query(db,
			   "SELECT " ITEM_COLUMNS " FROM lifecycle_items WHERE op = ?1 AND (state = 'waiting' OR (state"
			   " NOT IN ('done', 'failed', 'cancelled', 'skipped') AND next_try > 0 AND next_try <= ?2))"
			   " ORDER BY seq LIMIT ?3",
			   op, now_ms, max, NULL, cb, priv);
}

int otad_db_lci_in_step(struct otad_db *db, int64_t op, void (*cb)(const struct otad_lc_item *it, void *priv),
			void *priv)
{
	return items_query(db,
			   "SELECT " ITEM_COLUMNS " FROM lifecycle_items WHERE op = ?1 AND state NOT IN ('waiting',"
			   " 'done', 'failed', 'cancelled', 'skipped') AND next_try = 0 AND ?2 = ?3 ORDER BY seq",
			   op, 0, 0, NULL, cb, priv);
}

static int64_t scalar(struct otad_db *db, const char *sql, int64_t a)
{
	sqlite3_stmt *st;
	int64_t v = -EIO;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int otad_db_lci_pending(struct otad_db *db, int64_t op)
{
	int64_t v =
		scalar(db,
		       "SELECT EXISTS (SELECT 1 FROM lifecycle_items WHERE op = ? AND state NOT IN ('done', 'failed',"
		       " 'cancelled', 'skipped'))",
		       op);

	return v < 0 ? (int)v : v ? 1 : 0;
}

int otad_db_lci_cancel_pending(struct otad_db *db, int64_t op)
{
	sqlite3_stmt *st;
	int64_t now = otad_now_ms();

	if (sqlite3_prepare_v2(db->db,
			       "UPDATE lifecycle_items SET state = 'cancelled', error = COALESCE(error, 'the operation"
			       " was cancelled'), updated_at = ?2, done_at = ?2 WHERE op = ?1 AND (state = 'waiting' OR"
			       " (state NOT IN ('done', 'failed', 'cancelled', 'skipped') AND next_try > 0))",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, op);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return -EIO;
	}
	sqlite3_finalize(st);
	return sqlite3_changes(db->db);
}

int otad_db_lc_counts(struct otad_db *db, int64_t op, int64_t *n, int64_t *backoff)
{
	sqlite3_stmt *st;
	int rc;

	memset(n, 0, sizeof(*n) * OTAD_LCI_N_STATES);
	*backoff = 0;
	if (sqlite3_prepare_v2(db->db,
			       "SELECT state, COUNT(*), SUM(next_try > 0 AND state NOT IN ('done', 'failed',"
			       " 'cancelled', 'skipped')) FROM lifecycle_items WHERE op = ? GROUP BY state",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, op);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int s = otad_lci_state_of((const char *)sqlite3_column_text(st, 0));

		if (s >= 0)
			n[s] = sqlite3_column_int64(st, 1);
		*backoff += sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_lc_done_since(struct otad_db *db, int64_t op, int64_t since_ms, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT COUNT(*) FROM lifecycle_items WHERE op = ? AND done_at >= ?", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, op);
	sqlite3_bind_int64(st, 2, since_ms);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int otad_db_lci_list(struct otad_db *db, int64_t op, const char *state, int64_t after, unsigned limit,
		     void (*cb)(const struct otad_lc_item *it, void *priv), void *priv)
{
	return items_query(db,
			   state ? "SELECT " ITEM_COLUMNS " FROM lifecycle_items WHERE op = ?1 AND seq > ?2 AND state"
				   " = ?4 ORDER BY seq LIMIT ?3" :
				   "SELECT " ITEM_COLUMNS
				   " FROM lifecycle_items WHERE op = ?1 AND seq > ?2 ORDER BY seq"
				   " LIMIT ?3",
			   op, after, limit, state, cb, priv);
}

int otad_db_lci_by_job(struct otad_db *db, int64_t job, struct otad_lc_item *it)
{
	int rc = items_query(db,
			     "SELECT " ITEM_COLUMNS " FROM lifecycle_items WHERE job = ?1 AND state IN ('load',"
			     " 'verify', 'keygen', 'enrol') AND ?2 = ?3 LIMIT 1",
			     job, 0, 0, NULL, copy_cb, it);

	return rc < 0 ? rc : rc ? 0 : -ENOENT;
}

int otad_db_lc_cert_get(struct otad_db *db, const char *serial, struct otad_lc_cert *lc)
{
	sqlite3_stmt *st;
	int rc, s;

	memset(lc, 0, sizeof(*lc));
	if (sqlite3_prepare_v2(db->db,
			       "SELECT c.id, c.iccid, c.key_id, c.serial, c.profile, c.status, c.der, c.not_after,"
			       " c.issued_at, c.revoked_at, c.reason, COALESCE(c.holder, k.holder_id), h.unit,"
			       " c.pubkey_sha256, c.hold, c.replaced_by FROM certificates c JOIN cards k ON k.iccid ="
			       " c.iccid LEFT JOIN holders h ON h.id = COALESCE(c.holder, k.holder_id) WHERE c.serial ="
			       " lower(?) ORDER BY c.id DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		lc->c.id = sqlite3_column_int64(st, 0);
		otad_db_column_text(st, 1, lc->c.iccid, sizeof(lc->c.iccid));
		otad_db_column_text(st, 2, lc->c.key_id, sizeof(lc->c.key_id));
		otad_db_column_text(st, 3, lc->c.serial, sizeof(lc->c.serial));
		otad_db_column_text(st, 4, lc->c.profile, sizeof(lc->c.profile));
		s = otad_cert_status_of((const char *)sqlite3_column_text(st, 5));
		lc->c.status = s < 0 ? OTAD_CERT_REVOKED : (enum otad_cert_status)s;
		lc->c.der_len = otad_db_column_blob(st, 6, lc->der, sizeof(lc->der));
		lc->c.der = lc->der;
		lc->c.not_after = sqlite3_column_int64(st, 7);
		lc->c.issued_ms = sqlite3_column_int64(st, 8);
		lc->c.revoked_ms = sqlite3_column_int64(st, 9);
		lc->c.reason = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 10);
		otad_db_column_text(st, 11, lc->holder, sizeof(lc->holder));
		otad_db_column_text(st, 12, lc->unit, sizeof(lc->unit));
		otad_db_column_text(st, 13, lc->pubkey_sha256, sizeof(lc->pubkey_sha256));
		lc->hold = sqlite3_column_int(st, 14) != 0;
		otad_db_column_text(st, 15, lc->replaced_by, sizeof(lc->replaced_by));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_lc_cert_annotate(struct otad_db *db, int64_t id, const char *holder, const char *pubkey_sha256)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->db,
			       "UPDATE certificates SET holder = COALESCE(?2, holder), pubkey_sha256 = COALESCE(?3,"
			       " pubkey_sha256) WHERE id = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	if (holder && holder[0])
		sqlite3_bind_text(st, 2, holder, -1, SQLITE_STATIC);
	if (pubkey_sha256 && pubkey_sha256[0])
		sqlite3_bind_text(st, 3, pubkey_sha256, -1, SQLITE_STATIC);
	return step_done(st);
}

int otad_db_lc_cert_revoke(struct otad_db *db, const char *serial, int reason, const char *replaced_by,
			   const char *pubkey_sha256)
{
	sqlite3_stmt *st;
	int64_t now = otad_now_ms();
	int rc;

	if (exec(db, "BEGIN IMMEDIATE"))
		return -EIO;
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE certificates SET status = 'revoked', revoked_at = COALESCE(revoked_at, ?2),"
			       " reason = COALESCE(reason, ?3), hold = 0, replaced_by = COALESCE(?4, replaced_by),"
			       " pubkey_sha256 = COALESCE(pubkey_sha256, ?5) WHERE serial = lower(?1)",
			       -1, &st, NULL) != SQLITE_OK)
		goto io;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, reason < 0 ? 0 : reason);
	if (replaced_by && replaced_by[0])
		sqlite3_bind_text(st, 4, replaced_by, -1, SQLITE_STATIC);
	if (pubkey_sha256 && pubkey_sha256[0])
		sqlite3_bind_text(st, 5, pubkey_sha256, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		goto io;
	}
	sqlite3_finalize(st);
	if (!sqlite3_changes(db->db)) {
		exec(db, "ROLLBACK");
		return -ENOENT;
	}
	if (reason == 1 && pubkey_sha256 && pubkey_sha256[0]) {
		if (sqlite3_prepare_v2(db->db,
				       "INSERT OR IGNORE INTO compromised_keys (pubkey_sha256, serial, at) VALUES (?, "
				       "lower(?), ?)",
				       -1, &st, NULL) != SQLITE_OK)
			goto io;
		sqlite3_bind_text(st, 1, pubkey_sha256, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		rc = step_done(st);
		if (rc)
			goto io;
	}
	if (exec(db, "COMMIT"))
		goto io;
	return 0;
io:
	exec(db, "ROLLBACK");
	return -EIO;
}

int otad_db_lc_cert_hold(struct otad_db *db, const char *serial, bool hold)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "UPDATE certificates SET hold = ?2 WHERE serial = lower(?1) AND status <> 'revoked'"
			       " RETURNING id",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, hold ? 1 : 0);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return -EIO;
	if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM certificates WHERE serial = lower(?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? -EPERM : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_lc_key_compromised(struct otad_db *db, const char *pubkey_sha256)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM compromised_keys WHERE pubkey_sha256 = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, pubkey_sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}
