/* simpki-otad's database: requests (otad_db_request.h; tables in otad_db_v14_requests.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "otad_db_int.h"
#include "otad_db_request.h"

#define DAY_MS (86400LL * 1000)
#define OPEN_SQL "state IN ('filed', 'approved', 'executing')"
/* The units of ?1's subtree (?1 itself included). */
#define SUBTREE_CTE                                                                                           \
	"WITH RECURSIVE sub(code) AS (SELECT ?1 UNION ALL SELECT u.code FROM units u JOIN sub ON u.parent = " \
	"sub.code) "
#define REQUEST_COLUMNS                                                                                              \
	"r.id, r.kind, r.state, r.unit, r.filed_by, r.filed_role, r.filed_at, r.decided_by, r.decided_at, r.reason," \
	" r.params, r.documents, r.op, r.updated_at, (SELECT COUNT(*) FROM request_holders h WHERE h.request = r.id)"

static int exec(struct otad_db *db, const char *sql)
{
	return sqlite3_exec(db->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int otad_db_request_begin(struct otad_db *db)
{
	return exec(db, "SAVEPOINT request");
}

int otad_db_request_commit(struct otad_db *db)
{
	return exec(db, "RELEASE request");
}

void otad_db_request_rollback(struct otad_db *db)
{
	exec(db, "ROLLBACK TO request");
	exec(db, "RELEASE request");
}

static int prepare(struct otad_db *db, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v2(db->db, sql, -1, st, NULL) == SQLITE_OK ? 0 : -EIO;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s && s[0])
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void from_row(sqlite3_stmt *st, struct otad_request *rq)
{
	int k;

	memset(rq, 0, sizeof(*rq));
	rq->id = sqlite3_column_int64(st, 0);
	k = otad_request_kind_of((const char *)sqlite3_column_text(st, 1));
	rq->kind = k < 0 ? OTAD_REQ_NEW_CERTIFICATE : (enum otad_request_kind)k;
	k = otad_request_state_of((const char *)sqlite3_column_text(st, 2));
	rq->state = k < 0 ? OTAD_REQ_FAILED : (enum otad_request_state)k;
	otad_db_column_text(st, 3, rq->unit, sizeof(rq->unit));
	otad_db_column_text(st, 4, rq->filed_by, sizeof(rq->filed_by));
	otad_db_column_text(st, 5, rq->filed_role, sizeof(rq->filed_role));
	rq->filed_ms = sqlite3_column_int64(st, 6);
	otad_db_column_text(st, 7, rq->decided_by, sizeof(rq->decided_by));
	rq->decided_ms = sqlite3_column_int64(st, 8);
	otad_db_column_text(st, 9, rq->reason, sizeof(rq->reason));
	otad_db_column_text(st, 10, rq->params, sizeof(rq->params));
	otad_db_column_text(st, 11, rq->documents, sizeof(rq->documents));
	rq->op = sqlite3_column_int64(st, 12);
	rq->updated_ms = sqlite3_column_int64(st, 13);
	rq->holders = sqlite3_column_int64(st, 14);
}

int otad_db_request_insert(struct otad_db *db, struct otad_request *rq, const char (*holders)[OTAD_HOLDER_ID_MAX + 1],
			   size_t n)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db,
		    "INSERT INTO requests (kind, state, unit, filed_by, filed_role, filed_at, params, documents,"
		    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6)",
		    &st))
		return -EIO;
	sqlite3_bind_text(st, 1, otad_request_kind_names[rq->kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, otad_request_state_names[rq->state], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rq->unit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rq->filed_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rq->filed_role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, rq->filed_ms);
	sqlite3_bind_text(st, 7, rq->params, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, rq->documents, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	rq->id = sqlite3_last_insert_rowid(db->db);
	rq->updated_ms = rq->filed_ms;
	rq->holders = (int64_t)n;
	if (prepare(db, "INSERT INTO request_holders (request, holder) VALUES (?1, ?2)", &st))
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, rq->id);
		sqlite3_bind_text(st, 2, holders[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return -EIO;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

int otad_db_request_get(struct otad_db *db, int64_t id, struct otad_request *rq)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, "SELECT " REQUEST_COLUMNS " FROM requests r WHERE r.id = ?1", &st))
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		from_row(st, rq);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_request_set_state(struct otad_db *db, int64_t id, enum otad_request_state from, enum otad_request_state to,
			      const char *decided_by, const char *reason, int64_t op, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db,
		    "UPDATE requests SET state = ?3, updated_at = ?4,"
		    " decided_by = CASE WHEN ?5 IS NULL THEN decided_by ELSE ?5 END,"
		    " decided_at = CASE WHEN ?5 IS NULL THEN decided_at ELSE ?4 END,"
		    " reason = COALESCE(?6, reason), op = CASE WHEN ?7 = 0 THEN op ELSE ?7 END"
		    " WHERE id = ?1 AND state = ?2",
		    &st))
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, otad_request_state_names[from], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, otad_request_state_names[to], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	bind_text_or_null(st, 5, decided_by);
	bind_text_or_null(st, 6, reason);
	sqlite3_bind_int64(st, 7, op);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->db) ? 0 : -ESTALE;
}

int otad_db_requests_list(struct otad_db *db, const struct otad_request_filter *f,
			  void (*cb)(const struct otad_request *rq, void *priv), void *priv)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	if (prepare(db,
		    SUBTREE_CTE "SELECT " REQUEST_COLUMNS " FROM requests r WHERE (?1 IS NULL OR r.unit IN sub)"
				" AND (?2 IS NULL OR r.state = ?2) AND (?3 IS NULL OR r.kind = ?3)"
				" AND (?4 = 0 OR r.id < ?4) ORDER BY r.id DESC LIMIT ?5",
		    &st))
		return -EIO;
	bind_text_or_null(st, 1, f->unit);
	bind_text_or_null(st, 2, f->state >= 0 ? otad_request_state_names[f->state] : NULL);
	bind_text_or_null(st, 3, f->kind >= 0 ? otad_request_kind_names[f->kind] : NULL);
	sqlite3_bind_int64(st, 4, f->before);
	sqlite3_bind_int(st, 5, (int)f->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		static struct otad_request rq; /* large: not on the stack */

		from_row(st, &rq);
		cb(&rq, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_requests_in_state(struct otad_db *db, enum otad_request_state state,
			      void (*cb)(const struct otad_request *rq, void *priv), void *priv)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	if (prepare(db, "SELECT " REQUEST_COLUMNS " FROM requests r WHERE r.state = ?1 ORDER BY r.id", &st))
		return -EIO;
	sqlite3_bind_text(st, 1, otad_request_state_names[state], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		static struct otad_request rq;

		from_row(st, &rq);
		cb(&rq, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_request_holders(struct otad_db *db, int64_t id, unsigned max,
			    void (*cb)(const char *holder, int64_t item, const char *result, void *priv), void *priv)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	if (prepare(db,
		    "SELECT holder, COALESCE(item, 0), result FROM request_holders WHERE request = ?1 ORDER BY holder"
		    " LIMIT ?2",
		    &st))
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, max ? (int)max : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cb((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
		   (const char *)sqlite3_column_text(st, 2), priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_request_unit_holders(struct otad_db *db, const char *unit, size_t max,
				 void (*cb)(const char *holder, const char *unit, void *priv), void *priv)
{
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	if (prepare(db, SUBTREE_CTE "SELECT id, unit FROM holders WHERE unit IN sub ORDER BY id LIMIT ?2", &st))
		return -EIO;
	sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)max + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (++n > max) {
			sqlite3_finalize(st);
			return -E2BIG;
		}
		cb((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1), priv);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? (int)n : -EIO;
}

int otad_db_request_holder_card(struct otad_db *db, const char *holder, char iccid[21])
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, "SELECT iccid FROM cards WHERE holder_id = ?1 AND state = 'active' ORDER BY rowid DESC LIMIT 1",
		    &st))
		return -EIO;
	sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		otad_db_column_text(st, 0, iccid, 21);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_request_item_set(struct otad_db *db, int64_t id, const char *holder, int64_t item, const char *result)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, "UPDATE request_holders SET item = ?3, result = ?4 WHERE request = ?1 AND holder = ?2", &st))
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, holder, -1, SQLITE_STATIC);
	if (item)
		sqlite3_bind_int64(st, 3, item);
	else
		sqlite3_bind_null(st, 3);
	bind_text_or_null(st, 4, result);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_request_item_end(struct otad_db *db, int64_t id, enum otad_request_kind kind, int64_t item,
			     const char *result, int64_t *request)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db,
		    "UPDATE request_holders SET result = ?4 WHERE item = ?3 AND result IS NULL AND request IN"
		    " (SELECT id FROM requests WHERE (?1 = 0 OR id = ?1) AND kind = ?2 AND state IN ('approved',"
		    " 'executing')) RETURNING request",
		    &st))
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, otad_request_kind_names[kind], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, item);
	sqlite3_bind_text(st, 4, result, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*request = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_request_items_count(struct otad_db *db, int64_t id, int64_t *open, int64_t *failed, char *first,
				size_t firstlen)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db,
		    "SELECT COALESCE(SUM(result IS NULL), 0), COALESCE(SUM(result IS NOT NULL AND result != 'done'), "
		    "0),"
		    " (SELECT holder || ': ' || result FROM request_holders WHERE request = ?1 AND result != 'done'"
		    " ORDER BY holder LIMIT 1) FROM request_holders WHERE request = ?1",
		    &st))
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*open = sqlite3_column_int64(st, 0);
		*failed = sqlite3_column_int64(st, 1);
		otad_db_column_text(st, 2, first, firstlen);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int otad_db_request_stats(struct otad_db *db, const char *unit, int64_t now,
			  void (*cb)(const struct otad_request_stat *s, void *priv), void *priv)
{
	static struct otad_request_stat s; /* large: not on the stack */
	sqlite3_stmt *st;
	bool have = false;
	int n = 0, rc;

	if (prepare(db,
		    "WITH RECURSIVE top(code, t) AS (SELECT code, code FROM units WHERE parent IS ?1"
		    " UNION ALL SELECT u.code, top.t FROM units u JOIN top ON u.parent = top.code),"
		    " rt AS (SELECT r.state, r.id, r.filed_at, COALESCE((SELECT t FROM top WHERE top.code = r.unit),"
		    " CASE WHEN r.unit = COALESCE(?1, '') THEN r.unit END) AS t FROM requests r)"
		    " SELECT rt.t, COALESCE(u.name, ''), rt.state, COUNT(*),"
		    " SUM(" OPEN_SQL " AND filed_at > ?2 - 86400000),"
		    " SUM(" OPEN_SQL " AND filed_at <= ?2 - 86400000 AND filed_at > ?2 - 7 * 86400000),"
		    " SUM(" OPEN_SQL " AND filed_at <= ?2 - 7 * 86400000),"
		    /* one min(): the bare rt.id is of its row (SQLite), the oldest open request */
		    " rt.id, MIN(CASE WHEN " OPEN_SQL " THEN filed_at END)"
		    " FROM rt LEFT JOIN units u ON u.code = rt.t WHERE rt.t IS NOT NULL GROUP BY rt.t, rt.state"
		    " ORDER BY rt.t",
		    &st))
		return -EIO;
	bind_text_or_null(st, 1, unit);
	sqlite3_bind_int64(st, 2, now);
	memset(&s, 0, sizeof(s));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		int state = otad_request_state_of((const char *)sqlite3_column_text(st, 2));
		int64_t oldest_ms = sqlite3_column_int64(st, 8);
		bool has_open = sqlite3_column_type(st, 8) != SQLITE_NULL;

		if (!t)
			t = "";
		if (have && strcmp(s.unit, t)) {
			cb(&s, priv);
			memset(&s, 0, sizeof(s));
			have = false;
		}
		if (!have) {
			have = true;
			n++;
			snprintf(s.unit, sizeof(s.unit), "%s", t);
			otad_db_column_text(st, 1, s.name, sizeof(s.name));
		}
		if (state >= 0)
			s.counts[state] += sqlite3_column_int64(st, 3);
		s.open_1d += sqlite3_column_int64(st, 4);
		s.open_7d += sqlite3_column_int64(st, 5);
		s.open_older += sqlite3_column_int64(st, 6);
		if (has_open && (!s.oldest_id || oldest_ms < s.oldest_ms)) {
			s.oldest_id = sqlite3_column_int64(st, 7);
			s.oldest_ms = oldest_ms;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (have)
		cb(&s, priv);
	return n;
}
