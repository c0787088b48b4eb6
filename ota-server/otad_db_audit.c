/* The audit trail's SQL (otad_db_audit.h; schema in otad_db_v14_audit.h). */
#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "otad_db_audit.h"
#include "otad_db_int.h"

#define RECORD_COLS "seq, at, actor, role, scope, action, object, result, detail, prev, hash"
#define CHECKPOINT_COLS "id, seq, at, hash, signature, key_id"

static int exec(struct otad_db *db, const char *sql)
{
	return sqlite3_exec(db->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* The last record's seq and hash, inside or outside a transaction. */
static int last(struct otad_db *db, int64_t *seq, uint8_t hash[AUDIT_HASH_LEN])
{
	sqlite3_stmt *st;
	int rc = -ENOENT;

	if (sqlite3_prepare_v2(db->db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*seq = sqlite3_column_int64(st, 0);
		memset(hash, 0, AUDIT_HASH_LEN);
		otad_db_column_blob(st, 1, hash, AUDIT_HASH_LEN);
		rc = 0;
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

int otad_db_audit_last(struct otad_db *db, int64_t *seq, uint8_t hash[AUDIT_HASH_LEN])
{
	return last(db, seq, hash);
}

static int insert(struct otad_db *db, const struct audit_record *r)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "INSERT INTO audit (" RECORD_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, r->seq);
	sqlite3_bind_int64(st, 2, r->at);
	sqlite3_bind_text(st, 3, r->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->object, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->result, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->detail, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, r->prev, AUDIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, r->hash, AUDIT_HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(st);
	return rc;
}

int otad_db_audit_append_n(struct otad_db *db, struct audit_record *r, size_t n,
			   int (*seal)(struct audit_record *r, void *priv), void *priv)
{
	int64_t seq = 0;
	int rc;

	/* A savepoint: its own transaction when none is open (synchronous FULL, the database's setting: this commit is
	 * what lets an action go on), or a part of the caller's, which then commits the record with the action's own
	 * rows or rolls both back (request.c, lifecycle.c write a state change and its record together). */
	if (exec(db, "SAVEPOINT audit_append"))
		return -EIO;
	rc = last(db, &seq, r[0].prev);
	if (rc == -ENOENT) {
		seq = 0;
		memset(r[0].prev, 0, AUDIT_HASH_LEN);
		rc = 0;
	}
	for (size_t i = 0; !rc && i < n; i++) {
		r[i].seq = seq + 1 + (int64_t)i;
		if (i)
			memcpy(r[i].prev, r[i - 1].hash, AUDIT_HASH_LEN);
		rc = seal(&r[i], priv) ? -EIO : insert(db, &r[i]);
	}
	if (!rc && exec(db, "RELEASE audit_append"))
		rc = -EIO;
	if (rc) {
		exec(db, "ROLLBACK TO audit_append");
		exec(db, "RELEASE audit_append");
	}
	return rc;
}

int otad_db_audit_append(struct otad_db *db, struct audit_record *r, int (*seal)(struct audit_record *r, void *priv),
			 void *priv)
{
	return otad_db_audit_append_n(db, r, 1, seal, priv);
}

static void read_record(sqlite3_stmt *st, struct audit_record *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = sqlite3_column_int64(st, 0);
	r->at = sqlite3_column_int64(st, 1);
	otad_db_column_text(st, 2, r->actor, sizeof(r->actor));
	otad_db_column_text(st, 3, r->role, sizeof(r->role));
	otad_db_column_text(st, 4, r->scope, sizeof(r->scope));
	otad_db_column_text(st, 5, r->action, sizeof(r->action));
	otad_db_column_text(st, 6, r->object, sizeof(r->object));
	otad_db_column_text(st, 7, r->result, sizeof(r->result));
	otad_db_column_text(st, 8, r->detail, sizeof(r->detail));
	otad_db_column_blob(st, 9, r->prev, AUDIT_HASH_LEN);
	otad_db_column_blob(st, 10, r->hash, AUDIT_HASH_LEN);
}

int otad_db_audit_records(struct otad_db *db, int64_t from, unsigned limit,
			  void (*cb)(const struct audit_record *r, void *priv), void *priv)
{
	static struct audit_record r; /* the select loop's one thread */
	sqlite3_stmt *st;
	int n = 0, s;

	if (sqlite3_prepare_v2(db->db, "SELECT " RECORD_COLS " FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, limit);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		read_record(st, &r);
		cb(&r, priv);
		n++;
	}
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? n : -EIO;
}

static int64_t count(struct otad_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -EIO;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int64_t otad_db_audit_count(struct otad_db *db)
{
	return count(db, "SELECT count(*) FROM audit");
}

int64_t otad_db_audit_checkpoint_count(struct otad_db *db)
{
	return count(db, "SELECT count(*) FROM audit_checkpoints");
}

int otad_db_audit_checkpoint_add(struct otad_db *db, struct audit_checkpoint *cp)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(
		    db->db, "INSERT INTO audit_checkpoints (seq, at, hash, signature, key_id) VALUES (?, ?, ?, ?, ?)",
		    -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, cp->seq);
	sqlite3_bind_int64(st, 2, cp->at);
	sqlite3_bind_blob(st, 3, cp->hash, AUDIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, cp->sig, (int)cp->sig_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, cp->key_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(st);
	if (!rc)
		cp->id = sqlite3_last_insert_rowid(db->db);
	return rc;
}

static void read_checkpoint(sqlite3_stmt *st, struct audit_checkpoint *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->id = sqlite3_column_int64(st, 0);
	cp->seq = sqlite3_column_int64(st, 1);
	cp->at = sqlite3_column_int64(st, 2);
	otad_db_column_blob(st, 3, cp->hash, AUDIT_HASH_LEN);
	cp->sig_len = otad_db_column_blob(st, 4, cp->sig, sizeof(cp->sig));
	otad_db_column_text(st, 5, cp->key_id, sizeof(cp->key_id));
}

int otad_db_audit_checkpoint_last(struct otad_db *db, struct audit_checkpoint *cp)
{
	sqlite3_stmt *st;
	int rc = -ENOENT, s;

	if (sqlite3_prepare_v2(db->db, "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints ORDER BY id DESC LIMIT 1", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		read_checkpoint(st, cp);
		rc = 0;
	} else if (s != SQLITE_DONE) {
		rc = -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

int otad_db_audit_checkpoints(struct otad_db *db, int64_t after_id, unsigned limit,
			      void (*cb)(const struct audit_checkpoint *cp, void *priv), void *priv)
{
	struct audit_checkpoint cp;
	sqlite3_stmt *st;
	int n = 0, s;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints WHERE id > ? ORDER BY id LIMIT ?", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, limit);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		read_checkpoint(st, &cp);
		cb(&cp, priv);
		n++;
	}
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? n : -EIO;
}
