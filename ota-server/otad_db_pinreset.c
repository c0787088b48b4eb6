/* simpki-otad's database: remote PIN resets (otad_db_pinreset.h; table pin_resets, otad_db_v14_pinreset.h) and the
 * scrub of a job's script. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "otad_db.h"
#include "otad_db_int.h"
#include "otad_db_pinreset.h"

static void bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

int otad_db_pin_reset_insert(struct otad_db *db, struct otad_pin_reset_row *r)
{
	sqlite3_stmt *st;
	int rc;

	r->created_ms = r->updated_ms = otad_now_ms();
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO pin_resets (holder, iccid, mode, state, job, request, by, created_at,"
			       " updated_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, r->holder, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->iccid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->state, -1, SQLITE_STATIC);
	bind_opt_int(st, 5, r->job);
	bind_opt_int(st, 6, r->request);
	sqlite3_bind_text(st, 7, r->by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, r->created_ms);
	sqlite3_bind_int64(st, 9, r->updated_ms);
	if (r->error[0])
		sqlite3_bind_text(st, 10, r->error, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return -EBUSY;
	if (rc != SQLITE_DONE)
		return -EIO;
	r->id = sqlite3_last_insert_rowid(db->db);
	return 0;
}

int otad_db_pin_reset_update(struct otad_db *db, struct otad_pin_reset_row *r)
{
	sqlite3_stmt *st;
	int rc;

	r->updated_ms = otad_now_ms();
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE pin_resets SET state = ?, job = ?, error = ?, updated_at = ? WHERE id = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, r->state, -1, SQLITE_STATIC);
	bind_opt_int(st, 2, r->job);
	if (r->error[0])
		sqlite3_bind_text(st, 3, r->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->updated_ms);
	sqlite3_bind_int64(st, 5, r->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->db) ? 0 : -ENOENT;
}

#define RESET_SELECT                                                                                                 \
	"SELECT id, holder, iccid, mode, state, COALESCE(job, 0), COALESCE(request, 0), by, created_at, updated_at," \
	" error FROM pin_resets "

static void row_from(sqlite3_stmt *st, struct otad_pin_reset_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	otad_db_column_text(st, 1, r->holder, sizeof(r->holder));
	otad_db_column_text(st, 2, r->iccid, sizeof(r->iccid));
	otad_db_column_text(st, 3, r->mode, sizeof(r->mode));
	otad_db_column_text(st, 4, r->state, sizeof(r->state));
	r->job = sqlite3_column_int64(st, 5);
	r->request = sqlite3_column_int64(st, 6);
	otad_db_column_text(st, 7, r->by, sizeof(r->by));
	r->created_ms = sqlite3_column_int64(st, 8);
	r->updated_ms = sqlite3_column_int64(st, 9);
	otad_db_column_text(st, 10, r->error, sizeof(r->error));
}

int otad_db_pin_reset_get(struct otad_db *db, int64_t id, struct otad_pin_reset_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, RESET_SELECT "WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_from(st, r);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_pin_resets_list(struct otad_db *db, bool open, unsigned max,
			    void (*cb)(const struct otad_pin_reset_row *r, void *priv), void *priv)
{
	struct otad_pin_reset_row r;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db->db,
			       open ? RESET_SELECT "WHERE state NOT IN ('done', 'failed') ORDER BY id LIMIT ?" :
				      RESET_SELECT "ORDER BY id DESC LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, max ? (int64_t)max : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_from(st, &r);
		cb(&r, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_job_scrub(struct otad_db *db, int64_t job)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "UPDATE jobs SET script = zeroblob(length(script)), por_response = NULL,"
			       " por_last_data = NULL WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, job);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (!sqlite3_changes(db->db))
		return -ENOENT;
	/* the page that held the script stays in the WAL until a checkpoint: move it into the file and empty the WAL
	 * (a reader may hold it back: then at the next checkpoint) */
	sqlite3_wal_checkpoint_v2(db->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return 0;
}
