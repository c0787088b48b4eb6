/* simpki-ca's SQLite records: schema, migrations, certificates and the CRL number (format in ca_db.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <sqlite3.h>

#include "ca_db.h"

struct ca_db {
	sqlite3 *db;
	bool batching; /* ca_db_set_batching() */
	bool in_batch; /* a transaction of certificates is open */
};

static const char *const migrations[] = {
	/* to version 1 */
	("CREATE TABLE certs (serial TEXT PRIMARY KEY, subject TEXT NOT NULL, holder TEXT NOT NULL, iccid TEXT,"
	 " key_id TEXT NOT NULL, profile TEXT NOT NULL, pubkey_sha256 TEXT NOT NULL, not_before INTEGER NOT NULL,"
	 " not_after INTEGER NOT NULL, der BLOB NOT NULL, status TEXT NOT NULL CHECK (status IN ('good', 'revoked')),"
	 " revoked_at INTEGER, reason INTEGER, requested_by TEXT NOT NULL, issued_at INTEGER NOT NULL);"
	 "CREATE INDEX certs_holder ON certs (holder);"
	 "CREATE INDEX certs_iccid ON certs (iccid);"
	 "CREATE INDEX certs_pubkey ON certs (pubkey_sha256);"
	 "CREATE TABLE meta (name TEXT PRIMARY KEY, value NOT NULL);"
	 "INSERT INTO meta (name, value) VALUES ('crl_number', 0);"),
	/* to version 2 */
	("ALTER TABLE certs ADD COLUMN transaction_id TEXT;"
	 "CREATE UNIQUE INDEX certs_txid ON certs (transaction_id);"),
	/* to version 3: 'hold' (SQLite cannot change a CHECK: the table is rebuilt, its indexes with it) */
	("CREATE TABLE certs_v3 (serial TEXT PRIMARY KEY, subject TEXT NOT NULL, holder TEXT NOT NULL, iccid TEXT,"
	 " key_id TEXT NOT NULL, profile TEXT NOT NULL, pubkey_sha256 TEXT NOT NULL, not_before INTEGER NOT NULL,"
	 " not_after INTEGER NOT NULL, der BLOB NOT NULL,"
	 " status TEXT NOT NULL CHECK (status IN ('good', 'revoked', 'hold')), revoked_at INTEGER, reason INTEGER,"
	 " requested_by TEXT NOT NULL, issued_at INTEGER NOT NULL, transaction_id TEXT);"
	 "INSERT INTO certs_v3 (serial, subject, holder, iccid, key_id, profile, pubkey_sha256, not_before, not_after,"
	 " der, status, revoked_at, reason, requested_by, issued_at, transaction_id)"
	 " SELECT serial, subject, holder, iccid, key_id, profile, pubkey_sha256, not_before, not_after, der, status,"
	 " revoked_at, reason, requested_by, issued_at, transaction_id FROM certs;"
	 "DROP TABLE certs;"
	 "ALTER TABLE certs_v3 RENAME TO certs;"
	 "CREATE INDEX certs_holder ON certs (holder);"
	 "CREATE INDEX certs_iccid ON certs (iccid);"
	 "CREATE INDEX certs_pubkey ON certs (pubkey_sha256, not_before);"
	 "CREATE UNIQUE INDEX certs_txid ON certs (transaction_id);"
	 "CREATE INDEX certs_unrevoked ON certs (serial) WHERE status <> 'good';"
	 "CREATE INDEX certs_compromised ON certs (pubkey_sha256) WHERE status = 'revoked' AND reason = 1;"),
};

static int exec(struct ca_db *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	if (err)
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db->db));
	sqlite3_free(msg);
	return -EIO;
}

int ca_db_version(struct ca_db *db)
{
	sqlite3_stmt *st;
	int v = -EIO;

	if (sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int migrate(struct ca_db *db, char *err, size_t errlen)
{
	int v = ca_db_version(db);
	char sql[64];

	if (v < 0) {
		snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db->db));
		return -EIO;
	}
	if (v > CA_DB_VERSION) {
		snprintf(err, errlen, "the database has schema version %d; this simpki-ca knows up to %d", v,
			 CA_DB_VERSION);
		return -EPROTO;
	}
	for (; v < CA_DB_VERSION; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec(db, "BEGIN IMMEDIATE", err, errlen) || exec(db, migrations[v], err, errlen) ||
		    exec(db, sql, err, errlen) || exec(db, "COMMIT", err, errlen)) {
			exec(db, "ROLLBACK", NULL, 0);
			return -EIO;
		}
	}
	return 0;
}

static int db_destructor(struct ca_db *db)
{
	ca_db_commit(db);
	sqlite3_close_v2(db->db);
	return 0;
}

int ca_db_open(void *ctx, const char *path, struct ca_db **out, char *err, size_t errlen)
{
	struct ca_db *db = talloc_zero(ctx, struct ca_db);
	int rc;

	if (!db)
		return -ENOMEM;
	talloc_set_destructor(db, db_destructor);
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db->db ? sqlite3_errmsg(db->db) : "out of memory");
		talloc_free(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db->db, 5000);
	if (exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", err, errlen)) {
		talloc_free(db);
		return -EIO;
	}
	rc = migrate(db, err, errlen);
	if (rc) {
		talloc_free(db);
		return rc;
	}
	*out = db;
	return 0;
}

void ca_db_close(struct ca_db *db)
{
	talloc_free(db);
}

/* \a in as lowercase into out (at most CA_DB_SERIAL_HEX - 1 hex digits). \returns 0; -EINVAL */
static int serial_norm(const char *in, char out[CA_DB_SERIAL_HEX])
{
	size_t n = strlen(in);

	if (!n || n >= CA_DB_SERIAL_HEX)
		return -EINVAL;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && !isxdigit((unsigned char)in[i]))
			return -EINVAL;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	return 0;
}

int ca_db_serial_exists(struct ca_db *db, const char *serial)
{
	char s[CA_DB_SERIAL_HEX];
	sqlite3_stmt *st;
	int rc;

	if (serial_norm(serial, s))
		return 0;
	if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM certs WHERE serial = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, s, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

/* Batching: the open batch, begun if none is. \returns 0; -EIO */
static int batch_begin(struct ca_db *db)
{
	if (!db->batching || db->in_batch)
		return 0;
	if (exec(db, "BEGIN IMMEDIATE", NULL, 0))
		return -EIO;
	db->in_batch = true;
	return 0;
}

void ca_db_set_batching(struct ca_db *db, bool on)
{
	if (!on)
		ca_db_commit(db);
	db->batching = on;
}

bool ca_db_uncommitted(const struct ca_db *db)
{
	return db->in_batch;
}

int ca_db_commit(struct ca_db *db)
{
	if (!db->in_batch)
		return 0;
	db->in_batch = false;
	if (!exec(db, "COMMIT", NULL, 0))
		return 0;
	exec(db, "ROLLBACK", NULL, 0);
	return -EIO;
}

int ca_db_cert_add(struct ca_db *db, const struct ca_cert_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if (batch_begin(db))
		return -EIO;

	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO certs (serial, subject, holder, iccid, key_id, profile, pubkey_sha256,"
			       " not_before, not_after, der, status, requested_by, issued_at, transaction_id)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'good', ?, ?, lower(?))",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, r->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->holder, -1, SQLITE_STATIC);
	if (r->iccid[0])
		sqlite3_bind_text(st, 4, r->iccid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->pubkey_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, r->not_before);
	sqlite3_bind_int64(st, 9, r->not_after);
	sqlite3_bind_blob(st, 10, r->der, (int)r->der_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, r->requested_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, r->issued_at);
	if (r->txid[0])
		sqlite3_bind_text(st, 13, r->txid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return -EEXIST;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

#define ROW_COLUMNS                                                                                                  \
	"serial, subject, holder, iccid, key_id, profile, pubkey_sha256, not_before, not_after, status, revoked_at," \
	" reason, requested_by, issued_at, der, transaction_id"

static void text(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(out, size, "%s", s ? (const char *)s : "");
}

/* A row of ROW_COLUMNS into *r (the DER into a child of ctx when ctx). \returns 0; -ENOMEM */
static int row_read(sqlite3_stmt *st, void *ctx, struct ca_cert_row *r)
{
	memset(r, 0, sizeof(*r));
	text(st, 0, r->serial, sizeof(r->serial));
	text(st, 1, r->subject, sizeof(r->subject));
	text(st, 2, r->holder, sizeof(r->holder));
	text(st, 3, r->iccid, sizeof(r->iccid));
	text(st, 4, r->key_id, sizeof(r->key_id));
	text(st, 5, r->profile, sizeof(r->profile));
	text(st, 6, r->pubkey_sha256, sizeof(r->pubkey_sha256));
	r->not_before = sqlite3_column_int64(st, 7);
	r->not_after = sqlite3_column_int64(st, 8);
	r->hold = !strcmp((const char *)sqlite3_column_text(st, 9), "hold");
	r->revoked = r->hold || !strcmp((const char *)sqlite3_column_text(st, 9), "revoked");
	r->revoked_at = sqlite3_column_int64(st, 10);
	r->reason = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 11);
	text(st, 12, r->requested_by, sizeof(r->requested_by));
	r->issued_at = sqlite3_column_int64(st, 13);
	text(st, 15, r->txid, sizeof(r->txid));
	if (ctx) {
		r->der_len = (size_t)sqlite3_column_bytes(st, 14);
		r->der = talloc_memdup(ctx, sqlite3_column_blob(st, 14), r->der_len ? r->der_len : 1);
		if (!r->der)
			return -ENOMEM;
	}
	return 0;
}

int ca_db_cert_get(struct ca_db *db, const char *serial, void *ctx, struct ca_cert_row *r)
{
	char s[CA_DB_SERIAL_HEX];
	sqlite3_stmt *st;
	int rc;

	if (serial_norm(serial, s))
		return -ENOENT;
	if (sqlite3_prepare_v2(db->db, "SELECT " ROW_COLUMNS " FROM certs WHERE serial = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, s, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = row_read(st, ctx, r);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	sqlite3_finalize(st);
	return rc;
}

/* Run the one-serial UPDATE \a sql (its parameters: ?1 serial, then \a at and \a reason when \a bind_at).
 * \returns 1 changed; 0 not; -ENOENT (a malformed serial); -EIO */
static int update_one(struct ca_db *db, const char *sql, const char *serial, bool bind_at, int64_t at, int reason)
{
	char s[CA_DB_SERIAL_HEX];
	sqlite3_stmt *st;
	int rc;

	if (serial_norm(serial, s))
		return -ENOENT;
	if (batch_begin(db))
		return -EIO;
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, s, -1, SQLITE_STATIC);
	if (bind_at) {
		sqlite3_bind_int64(st, 2, at);
		sqlite3_bind_int(st, 3, reason);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->db) == 1;
}

/* After an UPDATE of \a serial that changed nothing: \a exists_rc when the serial exists, else -ENOENT. */
static int unchanged(struct ca_db *db, const char *serial, int exists_rc)
{
	int rc = ca_db_serial_exists(db, serial);

	return rc < 0 ? rc : rc ? exists_rc : -ENOENT;
}

int ca_db_cert_revoke(struct ca_db *db, const char *serial, int64_t at, int reason)
{
	int rc;

	if (reason == 6)
		rc = update_one(db,
				"UPDATE certs SET status = 'hold', revoked_at = ?2, reason = ?3"
				" WHERE serial = ?1 AND status = 'good'",
				serial, true, at, reason);
	else
		rc = update_one(db,
				"UPDATE certs SET status = 'revoked', revoked_at = ?2, reason = ?3"
				" WHERE serial = ?1 AND status IN ('good', 'hold')",
				serial, true, at, reason);
	if (rc < 0)
		return rc;
	return rc ? 0 : unchanged(db, serial, -EALREADY);
}

int ca_db_cert_release(struct ca_db *db, const char *serial)
{
	int rc = update_one(db,
			    "UPDATE certs SET status = 'good', revoked_at = NULL, reason = NULL"
			    " WHERE serial = ?1 AND status = 'hold'",
			    serial, false, 0, 0);

	if (rc < 0)
		return rc;
	return rc ? 0 : unchanged(db, serial, -EINVAL);
}

int ca_db_key_compromised(struct ca_db *db, const char *pubkey_sha256, char serial[CA_DB_SERIAL_HEX])
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT serial FROM certs WHERE pubkey_sha256 = lower(?) AND status = 'revoked'"
			       " AND reason = 1 LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, pubkey_sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && serial)
		text(st, 0, serial, CA_DB_SERIAL_HEX);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

int ca_db_key_first_not_before(struct ca_db *db, const char *pubkey_sha256, int64_t *at)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT min(not_before) FROM certs WHERE pubkey_sha256 = lower(?)", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, pubkey_sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*at = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_ROW ? -ENOENT : -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

int ca_db_certs_find(struct ca_db *db, enum ca_db_key key, const char *value, unsigned limit,
		     void (*cb)(const struct ca_cert_row *r, void *priv), void *priv)
{
	static const char *const where[] = {
		[CA_DB_BY_ALL] = "1 OR ? IS NULL",
		[CA_DB_BY_SERIAL] = "serial = lower(?)",
		[CA_DB_BY_HOLDER] = "holder = ?",
		[CA_DB_BY_ICCID] = "iccid = ?",
		[CA_DB_BY_PUBKEY] = "pubkey_sha256 = lower(?)",
		[CA_DB_BY_TXID] = "transaction_id = lower(?)",
	};
	struct ca_cert_row r;
	sqlite3_stmt *st;
	char sql[256];
	int rc, n = 0;

	if ((unsigned)key >= sizeof(where) / sizeof(where[0]))
		return -EINVAL;
	snprintf(sql, sizeof(sql),
		 "SELECT " ROW_COLUMNS " FROM certs WHERE %s ORDER BY issued_at DESC, rowid DESC LIMIT ?", where[key]);
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, value ? value : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_read(st, NULL, &r);
		cb(&r, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int ca_db_revoked_each(struct ca_db *db, int64_t now, int (*cb)(const struct ca_cert_row *r, void *priv), void *priv)
{
	struct ca_cert_row r;
	sqlite3_stmt *st;
	int rc, stop = 0;

	/* the few columns a CRL needs (never the DER), through certs_unrevoked */
	if (sqlite3_prepare_v2(db->db,
			       "SELECT serial, not_after, status, revoked_at, reason FROM certs"
			       " WHERE status <> 'good' AND not_after >= ? ORDER BY serial",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, now);
	r.der = NULL;
	r.der_len = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		text(st, 0, r.serial, sizeof(r.serial));
		r.not_after = sqlite3_column_int64(st, 1);
		r.hold = !strcmp((const char *)sqlite3_column_text(st, 2), "hold");
		r.revoked = true;
		r.revoked_at = sqlite3_column_int64(st, 3);
		r.reason = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 4);
		stop = cb(&r, priv);
	}
	sqlite3_finalize(st);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int ca_db_crl_number_next(struct ca_db *db, uint64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	if (ca_db_commit(db)) /* a CRL lists nothing that is not on disk */
		return -EIO;
	if (sqlite3_prepare_v2(db->db, "UPDATE meta SET value = value + 1 WHERE name = 'crl_number' RETURNING value",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int64_t ca_db_cert_count(struct ca_db *db, int64_t *revoked)
{
	sqlite3_stmt *st;
	int64_t n = -EIO;

	if (sqlite3_prepare_v2(db->db, "SELECT count(*), count(revoked_at) FROM certs", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		if (revoked)
			*revoked = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return n;
}
