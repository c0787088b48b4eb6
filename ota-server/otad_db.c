/* simpki-otad's SQLite database: schema and migrations, the all-or-nothing import, cards, sealed key sets and
 * counters, master-key rotation, online backups and the counter floor of a restored copy (format in otad_db.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <osmocom/core/talloc.h>
#include <sqlite3.h>

#include <simpki/hex.h>

#include "otad_db.h"
#include "otad_db_int.h"
#include "otad_db_v14_audit.h"
#include "otad_db_v14_lifecycle.h"
#include "otad_db_v14_pinreset.h"
#include "otad_db_v14_requests.h"
#include "otad_db_v14_tokens.h"
#include "otad_db_v14_units.h"

/* Version 5 (otad_db.h): imports staged under a batch that stays invisible until it is published. */
#define MIGRATION_IMPORTS                                                                                          \
	("ALTER TABLE batches ADD COLUMN state TEXT NOT NULL DEFAULT 'ready';"                                     \
	 "CREATE INDEX IF NOT EXISTS cards_batch ON cards (batch);"                                                \
	 "CREATE TABLE imports (id INTEGER PRIMARY KEY, state TEXT NOT NULL, source TEXT NOT NULL,"                \
	 " name TEXT NOT NULL, batch INTEGER, lines INTEGER NOT NULL DEFAULT 0, cards INTEGER NOT NULL DEFAULT 0," \
	 " keysets INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0, started_at INTEGER NOT NULL,"  \
	 " finished_at INTEGER, error TEXT);"                                                                      \
	 "CREATE TABLE import_rejects (import INTEGER NOT NULL REFERENCES imports(id), line INTEGER NOT NULL,"     \
	 " kind TEXT NOT NULL, reason TEXT NOT NULL);"                                                             \
	 "CREATE INDEX import_rejects_import ON import_rejects (import, line);")

/* Version 9 (otad_db.h): holders, their units, certificates per card and key. */
#define MIGRATION_HOLDERS                                                                                  \
	("CREATE TABLE units (code TEXT PRIMARY KEY, name TEXT NOT NULL,"                                  \
	 " kind TEXT NOT NULL CHECK (kind IN ('province', 'ward')), parent TEXT REFERENCES units(code));"  \
	 "CREATE INDEX units_parent ON units (parent, code);"                                              \
	 "CREATE TABLE holders (id TEXT PRIMARY KEY, name TEXT NOT NULL, id_number TEXT NOT NULL,"         \
	 " unit TEXT NOT NULL REFERENCES units(code), email TEXT, created_at INTEGER NOT NULL,"            \
	 " updated_at INTEGER NOT NULL);"                                                                  \
	 "CREATE INDEX holders_unit ON holders (unit, id);"                                                \
	 "ALTER TABLE cards ADD COLUMN holder_id TEXT REFERENCES holders(id);"                             \
	 "CREATE INDEX cards_holder ON cards (holder_id) WHERE holder_id IS NOT NULL;"                     \
	 "CREATE TABLE certificates (id INTEGER PRIMARY KEY, iccid TEXT NOT NULL REFERENCES cards(iccid)," \
	 " key_id TEXT NOT NULL, serial TEXT NOT NULL, profile TEXT NOT NULL,"                             \
	 " status TEXT NOT NULL CHECK (status IN ('issued', 'loaded', 'revoked')), der BLOB NOT NULL,"     \
	 " not_after INTEGER NOT NULL, issued_at INTEGER NOT NULL, revoked_at INTEGER, reason INTEGER);"   \
	 "CREATE INDEX certificates_card ON certificates (iccid, id);"                                     \
	 "CREATE INDEX certificates_serial ON certificates (serial);")

static const char *const migrations[] = {
	/* to version 1 */
	("CREATE TABLE batches (id INTEGER PRIMARY KEY, name TEXT NOT NULL, imported_at INTEGER NOT NULL,"
	 " cards INTEGER NOT NULL, keysets INTEGER NOT NULL);"
	 "CREATE TABLE cards (iccid TEXT PRIMARY KEY, imsi TEXT NOT NULL UNIQUE, msisdn TEXT NOT NULL UNIQUE,"
	 " state TEXT NOT NULL DEFAULT 'active', batch INTEGER NOT NULL REFERENCES batches(id),"
	 " line INTEGER NOT NULL);"
	 "CREATE TABLE keysets (iccid TEXT NOT NULL REFERENCES cards(iccid), kvn INTEGER NOT NULL"
	 " CHECK (kvn BETWEEN 1 AND 15), kic_algo TEXT NOT NULL, kid_algo TEXT NOT NULL, kic_len INTEGER NOT NULL,"
	 " kid_len INTEGER NOT NULL, kik_len INTEGER NOT NULL, sealed BLOB NOT NULL,"
	 " counter INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (iccid, kvn));"),
	/* to version 2 */
	("CREATE TABLE jobs (id INTEGER PRIMARY KEY, iccid TEXT NOT NULL REFERENCES cards(iccid), msisdn TEXT NOT NULL,"
	 " tar TEXT NOT NULL, spi TEXT NOT NULL, kvn INTEGER NOT NULL, script BLOB NOT NULL, state TEXT NOT NULL,"
	 " counter INTEGER, attempts INTEGER NOT NULL DEFAULT 0, deadline INTEGER, created_at INTEGER NOT NULL,"
	 " updated_at INTEGER NOT NULL, por_status INTEGER, por_commands INTEGER, por_last_sw TEXT,"
	 " por_last_data TEXT, error TEXT);"
	 "CREATE INDEX jobs_active ON jobs (state) WHERE state IN ('queued', 'submitted', 'delivered', 'retrying');"
	 "CREATE TABLE job_events (id INTEGER PRIMARY KEY, job INTEGER NOT NULL REFERENCES jobs(id),"
	 " at INTEGER NOT NULL, state TEXT NOT NULL, detail TEXT);"
	 "CREATE INDEX job_events_job ON job_events (job);"),
	/* to version 3 */
	("CREATE TABLE tokens (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, hash BLOB NOT NULL UNIQUE,"
	 " created_at INTEGER NOT NULL);"),
	/* to version 4: at most once (idempotent jobs, every try's counter), unauthenticated PoRs, late PoRs */
	("ALTER TABLE jobs ADD COLUMN idempotent INTEGER NOT NULL DEFAULT 1;"
	 "ALTER TABLE jobs ADD COLUMN counters TEXT NOT NULL DEFAULT '';"
	 "ALTER TABLE jobs ADD COLUMN por_authenticated INTEGER;"
	 "UPDATE jobs SET counters = counter WHERE counter IS NOT NULL;"
	 "UPDATE jobs SET por_authenticated = 1 WHERE por_status IS NOT NULL;"
	 "CREATE INDEX jobs_late ON jobs (msisdn, id) WHERE state IN ('timed-out', 'unknown');"),
	/* to version 5: keys and restores (the master key check, backups, the counter floor of a restored copy) */
	("CREATE TABLE meta (name TEXT PRIMARY KEY, value NOT NULL);"),
	/* to version 6: a fleet API (token roles and revocation, lists by card and state) */
	("CREATE TABLE tokens_v5 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash BLOB NOT NULL UNIQUE,"
	 " role TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);"
	 "INSERT INTO tokens_v5 (id, name, hash, role, created_at)"
	 " SELECT id, name, hash, 'operator', created_at FROM tokens;"
	 "DROP TABLE tokens;"
	 "ALTER TABLE tokens_v5 RENAME TO tokens;"
	 "CREATE UNIQUE INDEX tokens_name ON tokens (name) WHERE revoked_at IS NULL;"
	 "CREATE INDEX jobs_iccid ON jobs (iccid, id);"
	 "CREATE INDEX jobs_state ON jobs (state, id);"
	 "CREATE INDEX cards_state ON cards (state, iccid);"
	 "CREATE INDEX cards_batch ON cards (batch, iccid);"),
	/* to version 7: a job's delivery mode; the jobs before it were all store-and-forward */
	("ALTER TABLE jobs ADD COLUMN mode TEXT NOT NULL DEFAULT 'store';"),
	/* to version 8: streamed imports */
	MIGRATION_IMPORTS,
	/* to version 9: holders, units, certificates */
	MIGRATION_HOLDERS,
	/* to version 10: a job's whole script response; certificate enrolments over the air */
	("ALTER TABLE jobs ADD COLUMN por_response BLOB;"
	 "CREATE TABLE enrolments (id INTEGER PRIMARY KEY, iccid TEXT NOT NULL REFERENCES cards(iccid),"
	 " key_id INTEGER NOT NULL, key_ref INTEGER, profile TEXT NOT NULL, holder TEXT, state TEXT NOT NULL, job "
	 "INTEGER,"
	 " subject BLOB, p15_id BLOB, cert_fid INTEGER, cdf_used INTEGER, csr BLOB, certificate BLOB, serial TEXT,"
	 " cert_row INTEGER REFERENCES certificates(id), tries INTEGER NOT NULL DEFAULT 0, error TEXT,"
	 " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	 "CREATE INDEX enrolments_iccid ON enrolments (iccid, id);"
	 "CREATE INDEX enrolments_active ON enrolments (state) WHERE state NOT IN ('done', 'failed');"
	 "CREATE INDEX enrolments_job ON enrolments (job);"),
	/* to version 11: a job's own time-out; an enrolment's CMP transactionID; provisioning campaigns */
	("ALTER TABLE jobs ADD COLUMN timeout_s INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE enrolments ADD COLUMN txid BLOB;"
	 "ALTER TABLE enrolments ADD COLUMN campaign INTEGER;"
	 "CREATE TABLE campaigns (id INTEGER PRIMARY KEY, name TEXT NOT NULL, state TEXT NOT NULL, keys TEXT NOT NULL,"
	 " personalise INTEGER NOT NULL, concurrency INTEGER NOT NULL, cards INTEGER NOT NULL DEFAULT 0,"
	 " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, ended_at INTEGER);"
	 "CREATE TABLE campaign_cards (campaign INTEGER NOT NULL REFERENCES campaigns(id), seq INTEGER NOT NULL,"
	 " iccid TEXT NOT NULL REFERENCES cards(iccid), state TEXT NOT NULL, key_index INTEGER NOT NULL DEFAULT 0,"
	 " job INTEGER, enrolment INTEGER, tries INTEGER NOT NULL DEFAULT 0, next_try INTEGER NOT NULL DEFAULT 0,"
	 " step TEXT, error TEXT, serials TEXT, updated_at INTEGER NOT NULL, done_at INTEGER,"
	 " PRIMARY KEY (campaign, seq));"
	 "CREATE UNIQUE INDEX campaign_cards_iccid ON campaign_cards (campaign, iccid);"
	 "CREATE INDEX campaign_cards_state ON campaign_cards (campaign, state, seq);"
	 "CREATE INDEX campaign_cards_job ON campaign_cards (job) WHERE job IS NOT NULL;"),
	/* to version 12: signing sessions of the relying-party API (sign/sign.h) */
	("CREATE TABLE signatures (id INTEGER PRIMARY KEY, session TEXT NOT NULL UNIQUE, relying_party TEXT NOT NULL,"
	 " holder TEXT, iccid TEXT, msisdn TEXT, hash_alg TEXT NOT NULL, hash BLOB NOT NULL, code TEXT NOT NULL,"
	 " text_len INTEGER NOT NULL, text_dcs INTEGER NOT NULL, job INTEGER, state TEXT NOT NULL, result TEXT,"
	 " signature BLOB, cert_serial TEXT, created_at INTEGER NOT NULL, sent_at INTEGER, answered_at INTEGER,"
	 " completed_at INTEGER, tries_left INTEGER, error TEXT);"
	 "CREATE INDEX signatures_job ON signatures (job) WHERE job IS NOT NULL;"
	 "CREATE INDEX signatures_open ON signatures (state) WHERE state <> 'complete';"),
	/* to version 13: SCP81 (BIP) as a job's bearer; the cards' SCP81 pre-shared keys */
	("ALTER TABLE jobs ADD COLUMN bearer TEXT NOT NULL DEFAULT 'sms';"
	 "ALTER TABLE jobs ADD COLUMN via TEXT NOT NULL DEFAULT 'sms';"
	 "DROP INDEX jobs_active;"
	 "CREATE INDEX jobs_active ON jobs (state) WHERE state IN ('queued', 'submitted', 'delivered', 'retrying',"
	 " 'bip-wait', 'bip-sent');"
	 "CREATE TABLE psks (iccid TEXT PRIMARY KEY REFERENCES cards(iccid), kvn INTEGER NOT NULL, kid INTEGER NOT "
	 "NULL,"
	 " psk_len INTEGER NOT NULL, sealed BLOB NOT NULL);"),
	/* to version 14: the lifecycle over the organisation tree (otad_db_v14_*.h) */
	(MIGRATION_V14_UNITS MIGRATION_V14_TOKENS MIGRATION_V14_AUDIT MIGRATION_V14_LIFECYCLE MIGRATION_V14_REQUESTS
		 MIGRATION_V14_PINRESET),
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == OTAD_DB_VERSION, "one migration per schema version");

static int exec(struct otad_db *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	if (err)
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db->db));
	sqlite3_free(msg);
	return -EIO;
}

void otad_db_column_text(sqlite3_stmt *st, int i, char *out, size_t max)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	snprintf(out, max, "%s", t ? t : "");
}

size_t otad_db_column_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t max)
{
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (!n || n > max)
		return 0;
	memcpy(out, sqlite3_column_blob(st, i), n);
	return n;
}

int otad_db_version(struct otad_db *db)
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

/* \returns 0 when every reference of the database resolves; -EIO */
static int fk_check(struct otad_db *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(err, errlen, "a reference of table %s does not resolve",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int migrate(struct otad_db *db, char *err, size_t errlen)
{
	int v = otad_db_version(db);
	char sql[64];

	if (v < 0) {
		snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db->db));
		return -EIO;
	}
	if (v > OTAD_DB_VERSION) {
		snprintf(err, errlen, "the database has schema version %d; this simpki-otad knows up to %d", v,
			 OTAD_DB_VERSION);
		return -EPROTO;
	}
	/* SQLite's way to rebuild a table others refer to: foreign keys off (outside the transaction), the references
	 * checked before each migration commits */
	if (v < OTAD_DB_VERSION && exec(db, "PRAGMA foreign_keys = OFF", err, errlen))
		return -EIO;
	for (; v < OTAD_DB_VERSION; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec(db, "BEGIN IMMEDIATE", err, errlen) || exec(db, migrations[v], err, errlen) ||
		    fk_check(db, err, errlen) || exec(db, sql, err, errlen) || exec(db, "COMMIT", err, errlen)) {
			exec(db, "ROLLBACK", NULL, 0);
			exec(db, "PRAGMA foreign_keys = ON", NULL, 0);
			return -EIO;
		}
	}
	return exec(db, "PRAGMA foreign_keys = ON", err, errlen);
}

/* ---- the master key check (meta mk_check) ------------------------------------------------------------------- */

#define MK_CHECK_AAD "master key check"
#define MK_CHECK_TEXT "simpki-otad"

/* Store the check value sealed under \a mk (inside the caller's transaction, if any). \returns 0; -EIO */
static int mk_check_store(struct otad_db *db, const uint8_t *mk)
{
	uint8_t sealed[sizeof(MK_CHECK_TEXT) - 1 + KEYSTORE_OVERHEAD];
	sqlite3_stmt *st;
	int n, rc;

	n = keystore_seal(mk, MK_CHECK_AAD, (const uint8_t *)MK_CHECK_TEXT, strlen(MK_CHECK_TEXT), sealed,
			  sizeof(sealed));
	if (n < 0)
		return -EIO;
	if (sqlite3_prepare_v2(db->db, "INSERT OR REPLACE INTO meta (name, value) VALUES ('mk_check', ?)", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_blob(st, 1, sealed, n, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Whether the first key set (if any) opens with db->mk: for a database without a check value yet.
 * \returns 0 (it opens, or there is none); -EBADMSG; -EIO */
static int first_keyset_opens(struct otad_db *db)
{
	struct otad_keyset ks;
	sqlite3_stmt *st;
	char iccid[24];
	int kvn, rc;

	if (sqlite3_prepare_v2(db->db, "SELECT iccid, kvn FROM keysets LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? 0 : -EIO;
	}
	snprintf(iccid, sizeof(iccid), "%s", (const char *)sqlite3_column_text(st, 0));
	kvn = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	rc = otad_db_keyset_get(db, iccid, (uint8_t)kvn, &ks);
	otad_keyset_wipe(&ks);
	return rc;
}

/* Refuse a master key that is not the one the key sets are sealed under; write the check value when missing. */
static int mk_check(struct otad_db *db, char *err, size_t errlen)
{
	uint8_t plain[sizeof(MK_CHECK_TEXT)];
	sqlite3_stmt *st;
	int rc, n;

	if (sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE name = 'mk_check'", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the master key check: %s", sqlite3_errmsg(db->db));
		return -EIO;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *sealed = sqlite3_column_blob(st, 0);

		n = keystore_unseal(db->mk, MK_CHECK_AAD, sealed, (size_t)sqlite3_column_bytes(st, 0), plain,
				    sizeof(plain));
		rc = n == (int)strlen(MK_CHECK_TEXT) && !memcmp(plain, MK_CHECK_TEXT, (size_t)n) ? 0 : -EBADMSG;
	} else {
		rc = rc == SQLITE_DONE ? 1 : -EIO;
	}
	sqlite3_finalize(st);
	if (rc == 1) {
		/* a database from before version 5, or a new one: a key set tells whether the key is right */
		rc = first_keyset_opens(db);
		if (!rc)
			rc = mk_check_store(db, db->mk);
	}
	if (rc == -EBADMSG)
		snprintf(err, errlen,
			 "the master key does not open this database's key sets: they are sealed under another one (a "
			 "database rotated with 'master-key rotate' opens with the new key file; a copy from before a "
			 "rotation, with the key of its time)");
	else if (rc)
		snprintf(err, errlen, "cannot check the master key: %s", sqlite3_errmsg(db->db));
	return rc;
}

static int db_destructor(struct otad_db *db)
{
	/* a running import (a child of db) finalizes its statements after this; the connection closes then */
	sqlite3_close_v2(db->db);
	OPENSSL_cleanse(db->mk, sizeof(db->mk));
	return 0;
}

/* An import that was running when the daemon stopped: its staged batch is deleted, the import marked aborted. */
static int import_leftovers(struct otad_db *db)
{
	char sql[768];

	snprintf(sql, sizeof(sql),
		 "BEGIN IMMEDIATE;"
		 "DELETE FROM keysets WHERE iccid IN (SELECT iccid FROM cards WHERE batch IN"
		 " (SELECT id FROM batches WHERE state = 'importing'));"
		 "DELETE FROM cards WHERE batch IN (SELECT id FROM batches WHERE state = 'importing');"
		 "DELETE FROM batches WHERE state = 'importing';"
		 "UPDATE imports SET state = 'aborted', finished_at = %lld, error = 'simpki-otad stopped mid-import'"
		 " WHERE state IN ('receiving', 'finishing');"
		 "COMMIT",
		 (long long)otad_now_ms());
	if (exec(db, sql, NULL, 0)) {
		exec(db, "ROLLBACK", NULL, 0);
		return -EIO;
	}
	return 0;
}

int otad_db_open(void *ctx, const char *path, const uint8_t mk[KEYSTORE_KEY_LEN], struct otad_db **out, char *err,
		 size_t errlen)
{
	struct otad_db *db = talloc_zero(ctx, struct otad_db);
	int rc;

	err[0] = 0;
	if (!db)
		return -ENOMEM;
	talloc_set_destructor(db, db_destructor);
	memcpy(db->mk, mk, KEYSTORE_KEY_LEN);
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
	if (!rc)
		rc = mk_check(db, err, errlen);
	if (!rc && import_leftovers(db))
		rc = -EIO;
	if (rc) {
		if (rc == -EIO && !err[0])
			snprintf(err, errlen, "%s", sqlite3_errmsg(db->db));
		talloc_free(db);
		return rc;
	}
	*out = db;
	return 0;
}

void otad_db_close(struct otad_db *db)
{
	talloc_free(db);
}

/* ---- streamed imports: staging ------------------------------------------------------------------------------ */

const char *const otad_import_state_names[OTAD_IMPORT_N_STATES] = {
	[OTAD_IMPORT_RECEIVING] = "receiving", [OTAD_IMPORT_FINISHING] = "finishing", [OTAD_IMPORT_DONE] = "done",
	[OTAD_IMPORT_REFUSED] = "refused",     [OTAD_IMPORT_ABORTED] = "aborted",
};

const char *const otad_reject_kind_names[OTAD_REJECT_N_KINDS] = {
	[OTAD_REJECT_FORMAT] = "format",
	[OTAD_REJECT_FILE] = "file",
	[OTAD_REJECT_DATABASE] = "database",
};

enum {
	ST_CARD_GET,
	ST_CARD_INS,
	ST_BY_IMSI,
	ST_BY_MSISDN,
	ST_KS_GET,
	ST_KS_INS,
	ST_REJECT,
	ST_PROGRESS,
	ST_PSK_GET,
	ST_PSK_INS,
	ST_DROP_KS,
	ST_DROP_PSK,
	ST_DROP_CARDS,
	ST_N
};

static const char *const stage_sql[ST_N] = {
	[ST_CARD_GET] = "SELECT imsi, msisdn, batch, line FROM cards WHERE iccid = ?",
	[ST_CARD_INS] = "INSERT INTO cards (iccid, imsi, msisdn, batch, line) VALUES (?, ?, ?, ?, ?)",
	[ST_BY_IMSI] = "SELECT iccid, batch, line FROM cards WHERE imsi = ?",
	[ST_BY_MSISDN] = "SELECT iccid, batch, line FROM cards WHERE msisdn = ?",
	[ST_KS_GET] = "SELECT 1 FROM keysets WHERE iccid = ? AND kvn = ?",
	[ST_KS_INS] = ("INSERT INTO keysets (iccid, kvn, kic_algo, kid_algo, kic_len, kid_len, kik_len, sealed)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
	[ST_REJECT] = "INSERT INTO import_rejects (import, line, kind, reason) VALUES (?, ?, ?, ?)",
	[ST_PROGRESS] = "UPDATE imports SET lines = ?, cards = ?, keysets = ?, rejected = ?, state = ? WHERE id = ?",
	[ST_PSK_GET] = "SELECT 1 FROM psks WHERE iccid = ?",
	[ST_PSK_INS] = "INSERT INTO psks (iccid, kvn, kid, psk_len, sealed) VALUES (?, ?, ?, ?, ?)",
	[ST_DROP_PSK] = ("DELETE FROM psks WHERE iccid IN (SELECT iccid FROM cards WHERE batch = ?1"
			 " ORDER BY rowid LIMIT ?2)"),
	[ST_DROP_KS] = ("DELETE FROM keysets WHERE iccid IN (SELECT iccid FROM cards WHERE batch = ?1"
			" ORDER BY rowid LIMIT ?2)"),
	[ST_DROP_CARDS] = ("DELETE FROM cards WHERE rowid IN (SELECT rowid FROM cards WHERE batch = ?1"
			   " ORDER BY rowid LIMIT ?2)"),
};

/* Rows written per transaction at most: a few milliseconds of work, so that nobody waits long for the database. */
#define STAGE_TX_ROWS 2000

struct otad_db_stage {
	struct otad_db *db;
	sqlite3_stmt *st[ST_N];
	int64_t id, batch;
	unsigned lines, cards, keysets, rejected, kept;
	unsigned in_tx; /* rows written in the open transaction; 0: none open */
};

static int stage_destructor(struct otad_db_stage *sg)
{
	if (sg->in_tx)
		exec(sg->db, "ROLLBACK; PRAGMA synchronous = FULL", NULL, 0);
	for (int i = 0; i < ST_N; i++)
		sqlite3_finalize(sg->st[i]);
	if (sg->db->stage == sg)
		sg->db->stage = NULL;
	return 0;
}

int otad_db_stage_begin(struct otad_db *db, void *ctx, const char *name, const char *source, struct otad_db_stage **out,
			int64_t *id)
{
	struct otad_db_stage *sg;
	sqlite3_stmt *st = NULL, *bt = NULL;
	int64_t now = otad_now_ms();
	int rc = -EIO;

	if (db->stage)
		return -EBUSY;
	sg = talloc_zero(ctx, struct otad_db_stage);
	if (!sg)
		return -ENOMEM;
	sg->db = db;
	talloc_set_destructor(sg, stage_destructor);
	for (int i = 0; i < ST_N; i++)
		if (sqlite3_prepare_v2(db->db, stage_sql[i], -1, &sg->st[i], NULL) != SQLITE_OK)
			goto out;
	if (exec(db, "BEGIN IMMEDIATE", NULL, 0))
		goto out;
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO batches (name, imported_at, cards, keysets, state) VALUES (?, ?, 0, 0,"
			       " 'importing')",
			       -1, &bt, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
		    db->db,
		    "INSERT INTO imports (state, source, name, batch, started_at) VALUES ('receiving', ?, ?, ?,"
		    " ?)",
		    -1, &st, NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(bt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(bt, 2, now / 1000);
	if (sqlite3_step(bt) != SQLITE_DONE)
		goto rollback;
	sg->batch = sqlite3_last_insert_rowid(db->db);
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, sg->batch);
	sqlite3_bind_int64(st, 4, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto rollback;
	sg->id = sqlite3_last_insert_rowid(db->db);
	if (exec(db, "COMMIT", NULL, 0))
		goto rollback;
	rc = 0;
	goto out;
rollback:
	exec(db, "ROLLBACK", NULL, 0);
out:
	sqlite3_finalize(st);
	sqlite3_finalize(bt);
	if (rc) {
		talloc_free(sg);
		return rc;
	}
	db->stage = sg;
	*out = sg;
	*id = sg->id;
	return 0;
}

/* A transaction for the next rows, if none is open; a cheaper sync while staging (see otad_db.h). */
static int stage_tx(struct otad_db_stage *sg)
{
	if (sg->in_tx)
		return 0;
	if (exec(sg->db, "PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE", NULL, 0)) {
		exec(sg->db, "PRAGMA synchronous = FULL", NULL, 0);
		return -EIO;
	}
	sg->in_tx = 1;
	return 0;
}

int otad_db_stage_commit(struct otad_db_stage *sg, unsigned lines)
{
	sqlite3_stmt *st = sg->st[ST_PROGRESS];
	int rc;

	if (stage_tx(sg))
		return -EIO;
	sg->lines = lines;
	sqlite3_bind_int(st, 1, (int)sg->lines);
	sqlite3_bind_int(st, 2, (int)sg->cards);
	sqlite3_bind_int(st, 3, (int)sg->keysets);
	sqlite3_bind_int(st, 4, (int)sg->rejected);
	sqlite3_bind_text(st, 5, "receiving", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, sg->id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE || exec(sg->db, "COMMIT", NULL, 0)) {
		exec(sg->db, "ROLLBACK; PRAGMA synchronous = FULL", NULL, 0);
		sg->in_tx = 0;
		return -EIO;
	}
	sg->in_tx = 0;
	return exec(sg->db, "PRAGMA synchronous = FULL", NULL, 0);
}

/* One more row in the open transaction; commit when it holds enough. */
static int stage_wrote(struct otad_db_stage *sg)
{
	return ++sg->in_tx > STAGE_TX_ROWS ? otad_db_stage_commit(sg, sg->lines) : 0;
}

int otad_db_stage_reject(struct otad_db_stage *sg, unsigned line, enum otad_reject_kind kind, const char *fmt, ...)
{
	sqlite3_stmt *st = sg->st[ST_REJECT];
	char reason[CARD_IMPORT_REASON_MAX + 64];
	va_list ap;
	int rc;

	sg->rejected++;
	if (sg->kept >= OTAD_IMPORT_REJECTS_KEPT)
		return 0;
	if (stage_tx(sg))
		return -EIO;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	sqlite3_bind_int64(st, 1, sg->id);
	sqlite3_bind_int(st, 2, (int)line);
	sqlite3_bind_text(st, 3, otad_reject_kind_names[kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	sg->kept++;
	return stage_wrote(sg);
}

static const char *algo_name(enum card_import_algo a)
{
	return a == CARD_IMPORT_AES ? "aes" : "3des";
}

static sqlite3_stmt *bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	return st;
}

/* Whom an identity (IMSI or MSISDN) belongs to, as the current row of \a st (iccid, batch, line) says: a card of
 * this file ("ICCID ... on line N") or of the database. \returns the kind of the clash */
static enum otad_reject_kind owner(struct otad_db_stage *sg, sqlite3_stmt *st, char *out, size_t max)
{
	if (sqlite3_column_int64(st, 1) == sg->batch) {
		snprintf(out, max, "ICCID %s on line %d", (const char *)sqlite3_column_text(st, 0),
			 sqlite3_column_int(st, 2));
		return OTAD_REJECT_FILE;
	}
	snprintf(out, max, "ICCID %s in the database", (const char *)sqlite3_column_text(st, 0));
	return OTAD_REJECT_DATABASE;
}

/* Whether the IMSI or the MSISDN of a new card is taken: rejected (\returns -EINVAL, or -EIO) if so. */
static int stage_identities(struct otad_db_stage *sg, const struct card_import_row *r, unsigned line)
{
	static const struct {
		int st;
		const char *name;
		size_t off;
	} ids[] = {
		{ ST_BY_IMSI, "IMSI", offsetof(struct card_import_row, imsi) },
		{ ST_BY_MSISDN, "MSISDN", offsetof(struct card_import_row, msisdn) },
	};
	char who[64];

	for (size_t i = 0; i < 2; i++) {
		const char *v = (const char *)r + ids[i].off;
		sqlite3_stmt *st = bind_text(sg->st[ids[i].st], 1, v);
		int rc = sqlite3_step(st);

		if (rc == SQLITE_ROW) {
			enum otad_reject_kind kind = owner(sg, st, who, sizeof(who));

			sqlite3_reset(st);
			rc = otad_db_stage_reject(sg, line, kind, "%s %s already belongs to %s", ids[i].name, v, who);
			return rc ? rc : -EINVAL;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -EIO;
	}
	return 0;
}

/* The card of a row: new (stored now), or the same as on an earlier line of this file. \returns 0; -EINVAL
 * (rejected); -EIO */
static int stage_card(struct otad_db_stage *sg, const struct card_import_row *r, unsigned line, bool *new_card)
{
	sqlite3_stmt *st = bind_text(sg->st[ST_CARD_GET], 1, r->iccid);
	int rc = sqlite3_step(st);

	*new_card = false;
	if (rc == SQLITE_ROW) {
		int other = sqlite3_column_int(st, 3);

		if (sqlite3_column_int64(st, 2) != sg->batch) {
			sqlite3_reset(st);
			rc = otad_db_stage_reject(sg, line, OTAD_REJECT_DATABASE, "ICCID %s is already in the database",
						  r->iccid);
			return rc ? rc : -EINVAL;
		}
		rc = strcmp((const char *)sqlite3_column_text(st, 0), r->imsi) ||
		     strcmp((const char *)sqlite3_column_text(st, 1), r->msisdn);
		sqlite3_reset(st);
		if (!rc)
			return 0;
		rc = otad_db_stage_reject(sg, line, OTAD_REJECT_FILE, "ICCID %s has another IMSI or MSISDN on line %d",
					  r->iccid, other);
		return rc ? rc : -EINVAL;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	rc = stage_identities(sg, r, line);
	if (rc)
		return rc;
	st = sg->st[ST_CARD_INS];
	bind_text(st, 1, r->iccid);
	bind_text(st, 2, r->imsi);
	bind_text(st, 3, r->msisdn);
	sqlite3_bind_int64(st, 4, sg->batch);
	sqlite3_bind_int(st, 5, (int)line);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	*new_card = true;
	return 0;
}

/* The card's SCP81 PSK (key version 0x40, id 1), given on one of its records. */
static int stage_psk(struct otad_db_stage *sg, const struct card_import_row *r, unsigned line)
{
	uint8_t sealed[32 + KEYSTORE_OVERHEAD];
	sqlite3_stmt *st = bind_text(sg->st[ST_PSK_GET], 1, r->iccid);
	char aad[48];
	int n, rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		rc = otad_db_stage_reject(sg, line, OTAD_REJECT_FILE, "ICCID %s has a psk on two records", r->iccid);
		return rc ? rc : -EINVAL;
	}
	snprintf(aad, sizeof(aad), "psk %s/%u", r->iccid, OTAD_PSK_KVN);
	n = keystore_seal(sg->db->mk, aad, r->psk, r->psk_len, sealed, sizeof(sealed));
	if (n < 0)
		return -EIO;
	st = bind_text(sg->st[ST_PSK_INS], 1, r->iccid);
	sqlite3_bind_int(st, 2, OTAD_PSK_KVN);
	sqlite3_bind_int(st, 3, OTAD_PSK_KID);
	sqlite3_bind_int(st, 4, r->psk_len);
	sqlite3_bind_blob(st, 5, sealed, n, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_stage_row(struct otad_db_stage *sg, const struct card_import_row *r, unsigned line)
{
	sqlite3_stmt *st;
	uint8_t plain[96], sealed[96 + KEYSTORE_OVERHEAD];
	char aad[48];
	bool new_card;
	int n, rc;

	if (stage_tx(sg))
		return -EIO;
	rc = stage_card(sg, r, line, &new_card);
	if (rc)
		return rc;
	st = bind_text(sg->st[ST_KS_GET], 1, r->iccid);
	sqlite3_bind_int(st, 2, r->kvn);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		rc = otad_db_stage_reject(sg, line, OTAD_REJECT_FILE, "ICCID %s has key set %u twice", r->iccid,
					  r->kvn);
		return rc ? rc : -EINVAL;
	}
	memcpy(plain, r->kic, r->kic_len);
	memcpy(plain + r->kic_len, r->kid, r->kid_len);
	memcpy(plain + r->kic_len + r->kid_len, r->kik, r->kik_len);
	snprintf(aad, sizeof(aad), "keyset %s/%u", r->iccid, r->kvn);
	n = keystore_seal(sg->db->mk, aad, plain, (size_t)(r->kic_len + r->kid_len + r->kik_len), sealed,
			  sizeof(sealed));
	OPENSSL_cleanse(plain, sizeof(plain));
	if (n < 0)
		return -EIO;
	st = sg->st[ST_KS_INS];
	bind_text(st, 1, r->iccid);
	sqlite3_bind_int(st, 2, r->kvn);
	bind_text(st, 3, algo_name(r->kic_algo));
	bind_text(st, 4, algo_name(r->kid_algo));
	sqlite3_bind_int(st, 5, r->kic_len);
	sqlite3_bind_int(st, 6, r->kid_len);
	sqlite3_bind_int(st, 7, r->kik_len);
	sqlite3_bind_blob(st, 8, sealed, n, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (r->psk_len) {
		rc = stage_psk(sg, r, line);
		if (rc)
			return rc;
	}
	sg->cards += new_card;
	sg->keysets++;
	return stage_wrote(sg);
}

/* The import's row: its state, counts, finish time (final states only) and error. */
static int stage_final(struct otad_db_stage *sg, const char *sql, enum otad_import_state state, const char *error)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(sg->db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, otad_import_state_names[state], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)sg->lines);
	sqlite3_bind_int(st, 3, (int)sg->cards);
	sqlite3_bind_int(st, 4, (int)sg->keysets);
	sqlite3_bind_int(st, 5, (int)sg->rejected);
	sqlite3_bind_int64(st, 6, otad_now_ms());
	if (error)
		sqlite3_bind_text(st, 7, error, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, sg->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

#define IMPORT_UPDATE                                                                                     \
	"UPDATE imports SET state = ?1, lines = ?2, cards = ?3, keysets = ?4, rejected = ?5, error = ?7," \
	" finished_at = CASE WHEN ?1 IN ('done', 'refused', 'aborted') THEN ?6 END WHERE id = ?8"

int otad_db_stage_finish(struct otad_db_stage *sg, unsigned lines)
{
	char sql[192];

	if (otad_db_stage_commit(sg, lines))
		return -EIO;
	if (!sg->rejected && !sg->cards &&
	    (otad_db_stage_reject(sg, lines ? lines : 1, OTAD_REJECT_FILE, "no cards in the file") ||
	     otad_db_stage_commit(sg, lines)))
		return -EIO;
	if (sg->rejected)
		return stage_final(sg, IMPORT_UPDATE, OTAD_IMPORT_FINISHING, NULL) ? -EIO : 0;
	/* published: the batch becomes visible and the import done in one small transaction, synchronous FULL */
	snprintf(sql, sizeof(sql), "UPDATE batches SET state = 'ready', cards = %u, keysets = %u WHERE id = %lld",
		 sg->cards, sg->keysets, (long long)sg->batch);
	if (exec(sg->db, "BEGIN IMMEDIATE", NULL, 0))
		return -EIO;
	if (exec(sg->db, sql, NULL, 0) || stage_final(sg, IMPORT_UPDATE, OTAD_IMPORT_DONE, NULL) ||
	    exec(sg->db, "COMMIT", NULL, 0)) {
		exec(sg->db, "ROLLBACK", NULL, 0);
		return -EIO;
	}
	return 1;
}

int otad_db_stage_drop(struct otad_db_stage *sg, unsigned max)
{
	char sql[96];
	int rc = -EIO;

	if (sg->in_tx && otad_db_stage_commit(sg, sg->lines))
		return -EIO;
	if (exec(sg->db, "BEGIN IMMEDIATE", NULL, 0))
		return -EIO;
	for (int i = ST_DROP_KS; i <= ST_DROP_CARDS; i++) {
		sqlite3_bind_int64(sg->st[i], 1, sg->batch);
		sqlite3_bind_int(sg->st[i], 2, (int)max);
		rc = sqlite3_step(sg->st[i]) == SQLITE_DONE ? 0 : -EIO;
		sqlite3_reset(sg->st[i]);
		if (rc)
			goto out;
	}
	rc = sqlite3_changes(sg->db->db) > 0;
	if (!rc) {
		snprintf(sql, sizeof(sql), "DELETE FROM batches WHERE id = %lld", (long long)sg->batch);
		if (exec(sg->db, sql, NULL, 0))
			rc = -EIO;
	}
out:
	if (rc < 0 || exec(sg->db, "COMMIT", NULL, 0)) {
		exec(sg->db, "ROLLBACK", NULL, 0);
		return -EIO;
	}
	return rc;
}

int otad_db_stage_end(struct otad_db_stage *sg, enum otad_import_state state, const char *error)
{
	int rc = stage_final(sg, IMPORT_UPDATE, state, error);

	talloc_free(sg);
	return rc;
}

/* ---- streamed imports: what they did ------------------------------------------------------------------------- */

static enum otad_import_state import_state_of(const char *name)
{
	for (int i = 0; i < OTAD_IMPORT_N_STATES; i++)
		if (name && !strcmp(name, otad_import_state_names[i]))
			return (enum otad_import_state)i;
	return OTAD_IMPORT_ABORTED;
}

#define IMPORT_SELECT                                                                                            \
	"SELECT id, state, source, name, batch, lines, cards, keysets, rejected, started_at, finished_at, error" \
	" FROM imports "

static void import_from_row(sqlite3_stmt *st, struct otad_import_status *s)
{
	const char *t;

	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(st, 0);
	s->state = import_state_of((const char *)sqlite3_column_text(st, 1));
	snprintf(s->source, sizeof(s->source), "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(s->name, sizeof(s->name), "%s", (const char *)sqlite3_column_text(st, 3));
	s->batch = s->state == OTAD_IMPORT_DONE ? sqlite3_column_int64(st, 4) : 0;
	s->lines = (unsigned)sqlite3_column_int(st, 5);
	s->cards = (unsigned)sqlite3_column_int(st, 6);
	s->keysets = (unsigned)sqlite3_column_int(st, 7);
	s->rejected = (unsigned)sqlite3_column_int(st, 8);
	s->started_ms = sqlite3_column_int64(st, 9);
	s->finished_ms = sqlite3_column_int64(st, 10);
	t = (const char *)sqlite3_column_text(st, 11);
	snprintf(s->error, sizeof(s->error), "%s", t ? t : "");
}

int otad_db_import_get(struct otad_db *db, int64_t id, struct otad_import_status *s)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, IMPORT_SELECT "WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		import_from_row(st, s);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_imports_recent(struct otad_db *db, unsigned max, void (*cb)(const struct otad_import_status *s, void *priv),
			   void *priv)
{
	struct otad_import_status s;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, IMPORT_SELECT "ORDER BY id DESC LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int(st, 1, (int)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		import_from_row(st, &s);
		cb(&s, priv);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_import_rejects(struct otad_db *db, int64_t id, void (*cb)(const struct otad_import_reject *r, void *priv),
			   void *priv)
{
	struct otad_import_reject r;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT line, kind, reason FROM import_rejects WHERE import = ? ORDER BY line, rowid",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 1);

		memset(&r, 0, sizeof(r));
		r.line = (unsigned)sqlite3_column_int(st, 0);
		r.kind = OTAD_REJECT_FORMAT;
		for (int i = 0; i < OTAD_REJECT_N_KINDS; i++)
			if (kind && !strcmp(kind, otad_reject_kind_names[i]))
				r.kind = (enum otad_reject_kind)i;
		snprintf(r.reason, sizeof(r.reason), "%s", (const char *)sqlite3_column_text(st, 2));
		cb(&r, priv);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* ---- cards, key sets, counters ------------------------------------------------------------------------------- */

static void card_from_row(sqlite3_stmt *st, struct otad_card *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->iccid, sizeof(c->iccid), "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(c->imsi, sizeof(c->imsi), "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(c->msisdn, sizeof(c->msisdn), "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(c->state, sizeof(c->state), "%s", (const char *)sqlite3_column_text(st, 3));
	c->batch = sqlite3_column_int64(st, 4);
	c->keysets = (unsigned)sqlite3_column_int(st, 5);
	if (sqlite3_column_type(st, 6) == SQLITE_TEXT)
		snprintf(c->holder, sizeof(c->holder), "%s", (const char *)sqlite3_column_text(st, 6));
}

static int card_query(struct otad_db *db, const char *sql, const char *key, struct otad_card *c)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		card_from_row(st, c);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

/* A card is visible once its batch is published (an import stages its cards in a batch that is not 'ready'). */
#define CARD_VISIBLE "c.batch NOT IN (SELECT id FROM batches WHERE state <> 'ready')"
#define KEYSET_VISIBLE                                                                                         \
	"NOT EXISTS (SELECT 1 FROM cards c JOIN batches b ON b.id = c.batch WHERE c.iccid = keysets.iccid AND" \
	" b.state <> 'ready')"
#define CARD_SELECT                                                                                           \
	"SELECT iccid, imsi, msisdn, state, batch, (SELECT count(*) FROM keysets k WHERE k.iccid = c.iccid)," \
	" holder_id FROM cards c WHERE " CARD_VISIBLE " AND "

int otad_db_card_get(struct otad_db *db, const char *iccid, struct otad_card *card)
{
	return card_query(db, CARD_SELECT "iccid = ?", iccid, card);
}

int otad_db_card_by_msisdn(struct otad_db *db, const char *msisdn, struct otad_card *card)
{
	return card_query(db, CARD_SELECT "msisdn = ?", msisdn, card);
}

int64_t otad_db_card_count(struct otad_db *db)
{
	sqlite3_stmt *st;
	int64_t n = -EIO;

	if (sqlite3_prepare_v2(db->db, "SELECT count(*) FROM cards c WHERE " CARD_VISIBLE, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

void otad_keyset_wipe(struct otad_keyset *ks)
{
	OPENSSL_cleanse(ks, sizeof(*ks));
}

int otad_db_keyset_get(struct otad_db *db, const char *iccid, uint8_t kvn, struct otad_keyset *ks)
{
	sqlite3_stmt *st;
	uint8_t plain[96];
	char aad[48];
	int rc, n;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT kic_algo, kid_algo, kic_len, kid_len, kik_len, sealed, counter FROM keysets"
			       " WHERE iccid = ? AND kvn = ? AND " KEYSET_VISIBLE,
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, kvn);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	memset(ks, 0, sizeof(*ks));
	ks->kvn = kvn;
	ks->kic_algo = strcmp((const char *)sqlite3_column_text(st, 0), "aes") ? CARD_IMPORT_3DES : CARD_IMPORT_AES;
	ks->kid_algo = strcmp((const char *)sqlite3_column_text(st, 1), "aes") ? CARD_IMPORT_3DES : CARD_IMPORT_AES;
	ks->kic_len = (uint8_t)sqlite3_column_int(st, 2);
	ks->kid_len = (uint8_t)sqlite3_column_int(st, 3);
	ks->kik_len = (uint8_t)sqlite3_column_int(st, 4);
	ks->counter = (uint64_t)sqlite3_column_int64(st, 6);
	snprintf(aad, sizeof(aad), "keyset %s/%u", iccid, kvn);
	n = keystore_unseal(db->mk, aad, sqlite3_column_blob(st, 5), (size_t)sqlite3_column_bytes(st, 5), plain,
			    sizeof(plain));
	sqlite3_finalize(st);
	if (n < 0 || ks->kic_len > 32 || ks->kid_len > 32 || ks->kik_len > 32 ||
	    n != ks->kic_len + ks->kid_len + ks->kik_len) {
		OPENSSL_cleanse(plain, sizeof(plain));
		otad_keyset_wipe(ks);
		return -EBADMSG;
	}
	memcpy(ks->kic, plain, ks->kic_len);
	memcpy(ks->kid, plain + ks->kic_len, ks->kid_len);
	memcpy(ks->kik, plain + ks->kic_len + ks->kid_len, ks->kik_len);
	OPENSSL_cleanse(plain, sizeof(plain));
	return 0;
}

int otad_db_psk_get(struct otad_db *db, const char *iccid, uint8_t *psk, size_t max, uint8_t *kvn, uint8_t *kid)
{
	uint8_t plain[64];
	sqlite3_stmt *st;
	char aad[48];
	int rc, n, len;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT p.kvn, p.kid, p.psk_len, p.sealed FROM psks p JOIN cards c ON c.iccid = p.iccid"
			       " WHERE p.iccid = ? AND " CARD_VISIBLE,
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	if (kvn)
		*kvn = (uint8_t)sqlite3_column_int(st, 0);
	if (kid)
		*kid = (uint8_t)sqlite3_column_int(st, 1);
	len = sqlite3_column_int(st, 2);
	snprintf(aad, sizeof(aad), "psk %s/%d", iccid, sqlite3_column_int(st, 0));
	n = keystore_unseal(db->mk, aad, sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3), plain,
			    sizeof(plain));
	sqlite3_finalize(st);
	if (n < 0 || n != len || (size_t)n > max) {
		OPENSSL_cleanse(plain, sizeof(plain));
		return n < 0 || n != len ? -EBADMSG : -E2BIG;
	}
	memcpy(psk, plain, (size_t)n);
	OPENSSL_cleanse(plain, sizeof(plain));
	return n;
}

int otad_db_keysets_info(struct otad_db *db, const char *iccid,
			 void (*cb)(const struct otad_keyset_info *ks, void *priv), void *priv)
{
	struct otad_keyset_info ks;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT kvn, kic_algo, kid_algo, kic_len, kid_len, kik_len, counter FROM keysets"
			       " WHERE iccid = ? ORDER BY kvn",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&ks, 0, sizeof(ks));
		ks.kvn = (uint8_t)sqlite3_column_int(st, 0);
		snprintf(ks.kic_algo, sizeof(ks.kic_algo), "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(ks.kid_algo, sizeof(ks.kid_algo), "%s", (const char *)sqlite3_column_text(st, 2));
		ks.kic_len = (uint8_t)sqlite3_column_int(st, 3);
		ks.kid_len = (uint8_t)sqlite3_column_int(st, 4);
		ks.kik_len = (uint8_t)sqlite3_column_int(st, 5);
		ks.counter = (uint64_t)sqlite3_column_int64(st, 6);
		cb(&ks, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

/* \returns 1 the key set exists; 0 not; -EIO */
static int keyset_exists(struct otad_db *db, const char *iccid, uint8_t kvn)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM keysets WHERE iccid = ? AND kvn = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, kvn);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_counter_next(struct otad_db *db, const char *iccid, uint8_t kvn, uint64_t *cntr)
{
	sqlite3_stmt *st;
	int rc;

	/* one statement, one implicit transaction: committed (synchronous FULL) when sqlite3_step() returns; none
	 * while the database is a restored copy whose counters are not confirmed, none for a card still staged */
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE keysets SET counter = counter + 1 WHERE iccid = ? AND kvn = ?"
			       " AND counter < 1099511627775 AND " KEYSET_VISIBLE
			       " AND NOT EXISTS (SELECT 1 FROM meta WHERE name = 'needs_floor') RETURNING counter",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, kvn);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*cntr = (uint64_t)sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	} else if (rc == SQLITE_DONE) {
		rc = keyset_exists(db, iccid, kvn);
		if (rc == 1)
			rc = otad_db_needs_floor(db) == 1 ? -ESTALE : -ERANGE;
		else if (rc == 0)
			rc = -ENOENT;
	} else {
		rc = -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- OTA jobs ------------------------------------------------------------------------------------------------ */

const char *const otad_job_state_names[OTAD_JOB_N_STATES] = {
	[OTAD_JOB_QUEUED] = "queued",	    [OTAD_JOB_SUBMITTED] = "submitted", [OTAD_JOB_DELIVERED] = "delivered",
	[OTAD_JOB_POR_OK] = "por-ok",	    [OTAD_JOB_POR_ERROR] = "por-error", [OTAD_JOB_TIMED_OUT] = "timed-out",
	[OTAD_JOB_RETRYING] = "retrying",   [OTAD_JOB_FAILED] = "failed",	[OTAD_JOB_UNKNOWN] = "unknown",
	[OTAD_JOB_CANCELLED] = "cancelled", [OTAD_JOB_BIP_WAIT] = "bip-wait",	[OTAD_JOB_BIP_SENT] = "bip-sent",
};

const char *const otad_job_bearer_names[OTAD_JOB_N_BEARERS] = {
	[OTAD_JOB_BEARER_DEFAULT] = "default",
	[OTAD_JOB_BEARER_SMS] = "sms",
	[OTAD_JOB_BEARER_BIP] = "bip",
	[OTAD_JOB_BEARER_AUTO] = "auto",
};

static enum otad_job_bearer bearer_of(const char *t)
{
	for (int i = OTAD_JOB_BEARER_SMS; i < OTAD_JOB_N_BEARERS; i++)
		if (t && !strcmp(t, otad_job_bearer_names[i]))
			return (enum otad_job_bearer)i;
	return OTAD_JOB_BEARER_SMS;
}

const char *const otad_job_mode_names[OTAD_JOB_N_MODES] = {
	[OTAD_JOB_MODE_DEFAULT] = "default",
	[OTAD_JOB_MODE_STORE] = "store",
	[OTAD_JOB_MODE_FORWARD] = "forward",
};

bool otad_job_state_final(enum otad_job_state s)
{
	return s == OTAD_JOB_POR_OK || s == OTAD_JOB_POR_ERROR || s == OTAD_JOB_TIMED_OUT || s == OTAD_JOB_FAILED ||
	       s == OTAD_JOB_UNKNOWN || s == OTAD_JOB_CANCELLED;
}

/* Counters as stored: decimal, comma-separated, oldest first. */
static void counters_encode(const struct otad_job_row *j, char *out, size_t max)
{
	size_t used = 0;

	out[0] = 0;
	for (unsigned i = 0; i < j->attempts && i < OTAD_JOB_MAX_TRIES && used < max; i++)
		used += (size_t)snprintf(out + used, max - used, "%s%llu", i ? "," : "",
					 (unsigned long long)j->counters[i]);
}

static void counters_decode(const char *t, struct otad_job_row *j)
{
	unsigned n = 0;

	while (t && *t && n < OTAD_JOB_MAX_TRIES) {
		char *end;

		j->counters[n++] = strtoull(t, &end, 10);
		t = *end == ',' ? end + 1 : NULL;
	}
}

int64_t otad_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static enum otad_job_state state_of(const char *name)
{
	for (int i = 0; i < OTAD_JOB_N_STATES; i++)
		if (name && !strcmp(name, otad_job_state_names[i]))
			return (enum otad_job_state)i;
	return OTAD_JOB_FAILED;
}

int otad_db_job_insert(struct otad_db *db, struct otad_job_row *j)
{
	sqlite3_stmt *st;
	char tar[7], spi[5];
	int rc;

	j->created_ms = j->updated_ms = otad_now_ms();
	hex_encode(j->tar, 3, tar, sizeof(tar));
	hex_encode(j->spi, 2, spi, sizeof(spi));
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO jobs (iccid, msisdn, tar, spi, kvn, script, state, attempts, created_at,"
			       " updated_at, idempotent, mode, timeout_s, bearer, via)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, j->iccid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->msisdn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, tar, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, spi, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, j->kvn);
	sqlite3_bind_blob(st, 6, j->script, (int)j->script_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, otad_job_state_names[j->state], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, j->created_ms);
	sqlite3_bind_int64(st, 9, j->updated_ms);
	sqlite3_bind_int(st, 10, j->idempotent);
	sqlite3_bind_text(st, 11, otad_job_mode_names[j->mode == OTAD_JOB_MODE_FORWARD ? j->mode : OTAD_JOB_MODE_STORE],
			  -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 12, (int)j->timeout_s);
	sqlite3_bind_text(st, 13,
			  otad_job_bearer_names[j->bearer > OTAD_JOB_BEARER_DEFAULT && j->bearer < OTAD_JOB_N_BEARERS ?
							j->bearer :
							OTAD_JOB_BEARER_SMS],
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, otad_job_bearer_names[j->via == OTAD_JOB_BEARER_BIP ? j->via : OTAD_JOB_BEARER_SMS],
			  -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	j->id = sqlite3_last_insert_rowid(db->db);
	return otad_db_job_update(db, j, "created");
}

int otad_db_job_update(struct otad_db *db, struct otad_job_row *j, const char *detail)
{
	sqlite3_stmt *st = NULL, *ev = NULL;
	char data[2 * sizeof(j->por_last_data) + 1], sw[5], counters[OTAD_JOB_MAX_TRIES * 14 + 1];
	int rc = -EIO;

	j->updated_ms = otad_now_ms();
	if (exec(db, "BEGIN IMMEDIATE", NULL, 0))
		return -EIO;
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE jobs SET state = ?, counter = ?, attempts = ?, deadline = ?, updated_at = ?,"
			       " por_status = ?, por_commands = ?, por_last_sw = ?, por_last_data = ?, error = ?,"
			       " counters = ?, por_authenticated = ?, por_response = ?, via = ? WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db, "INSERT INTO job_events (job, at, state, detail) VALUES (?, ?, ?, ?)", -1, &ev,
			       NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, otad_job_state_names[j->state], -1, SQLITE_STATIC);
	if (j->counter)
		sqlite3_bind_int64(st, 2, (int64_t)j->counter);
	sqlite3_bind_int(st, 3, (int)j->attempts);
	if (j->deadline_ms)
		sqlite3_bind_int64(st, 4, j->deadline_ms);
	sqlite3_bind_int64(st, 5, j->updated_ms);
	if (j->por_status >= 0) {
		sqlite3_bind_int(st, 6, j->por_status);
		if (j->por_commands >= 0) {
			sqlite3_bind_int(st, 7, j->por_commands);
			snprintf(sw, sizeof(sw), "%04x", j->por_last_sw);
			sqlite3_bind_text(st, 8, sw, -1, SQLITE_STATIC);
			hex_encode(j->por_last_data, j->por_last_len, data, sizeof(data));
			sqlite3_bind_text(st, 9, data, -1, SQLITE_STATIC);
		}
	}
	if (j->error[0])
		sqlite3_bind_text(st, 10, j->error, -1, SQLITE_STATIC);
	counters_encode(j, counters, sizeof(counters));
	sqlite3_bind_text(st, 11, counters, -1, SQLITE_STATIC);
	if (j->por_authenticated >= 0)
		sqlite3_bind_int(st, 12, j->por_authenticated);
	if (j->por_response_len)
		sqlite3_bind_blob(st, 13, j->por_response, (int)j->por_response_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, otad_job_bearer_names[j->via == OTAD_JOB_BEARER_BIP ? j->via : OTAD_JOB_BEARER_SMS],
			  -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 15, j->id);
	sqlite3_bind_int64(ev, 1, j->id);
	sqlite3_bind_int64(ev, 2, j->updated_ms);
	sqlite3_bind_text(ev, 3, otad_job_state_names[j->state], -1, SQLITE_STATIC);
	sqlite3_bind_text(ev, 4, detail, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE && sqlite3_step(ev) == SQLITE_DONE && !exec(db, "COMMIT", NULL, 0))
		rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(ev);
	if (rc)
		exec(db, "ROLLBACK", NULL, 0);
	return rc;
}

#define JOB_SELECT                                                                                         \
	"SELECT id, iccid, msisdn, tar, spi, kvn, script, state, counter, attempts, deadline, created_at," \
	" updated_at, por_status, por_commands, por_last_sw, por_last_data, error, idempotent, counters,"  \
	" por_authenticated, mode, por_response, timeout_s, bearer, via FROM jobs "

static void job_from_row(sqlite3_stmt *st, struct otad_job_row *j)
{
	const char *t;
	uint8_t b[3];
	int rc;

	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(st, 0);
	snprintf(j->iccid, sizeof(j->iccid), "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(j->msisdn, sizeof(j->msisdn), "%s", (const char *)sqlite3_column_text(st, 2));
	hex_decode((const char *)sqlite3_column_text(st, 3), j->tar, 3);
	hex_decode((const char *)sqlite3_column_text(st, 4), j->spi, 2);
	j->kvn = (uint8_t)sqlite3_column_int(st, 5);
	j->script_len = (size_t)sqlite3_column_bytes(st, 6);
	if (j->script_len > sizeof(j->script))
		j->script_len = 0;
	if (j->script_len)
		memcpy(j->script, sqlite3_column_blob(st, 6), j->script_len);
	j->state = state_of((const char *)sqlite3_column_text(st, 7));
	j->counter = (uint64_t)sqlite3_column_int64(st, 8);
	j->attempts = (unsigned)sqlite3_column_int(st, 9);
	j->deadline_ms = sqlite3_column_int64(st, 10);
	j->created_ms = sqlite3_column_int64(st, 11);
	j->updated_ms = sqlite3_column_int64(st, 12);
	j->por_status = sqlite3_column_type(st, 13) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 13);
	j->por_commands = sqlite3_column_type(st, 14) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 14);
	t = (const char *)sqlite3_column_text(st, 15);
	if (t && hex_decode(t, b, 2) == 2)
		j->por_last_sw = (uint16_t)(b[0] << 8 | b[1]);
	t = (const char *)sqlite3_column_text(st, 16);
	rc = t ? hex_decode(t, j->por_last_data, sizeof(j->por_last_data)) : 0;
	j->por_last_len = rc > 0 ? (size_t)rc : 0;
	t = (const char *)sqlite3_column_text(st, 17);
	snprintf(j->error, sizeof(j->error), "%s", t ? t : "");
	j->idempotent = sqlite3_column_int(st, 18) != 0;
	counters_decode((const char *)sqlite3_column_text(st, 19), j);
	j->por_authenticated = sqlite3_column_type(st, 20) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 20);
	t = (const char *)sqlite3_column_text(st, 21);
	j->mode = t && !strcmp(t, otad_job_mode_names[OTAD_JOB_MODE_FORWARD]) ? OTAD_JOB_MODE_FORWARD :
										OTAD_JOB_MODE_STORE;
	j->por_response_len = (size_t)sqlite3_column_bytes(st, 22);
	if (j->por_response_len > sizeof(j->por_response))
		j->por_response_len = 0;
	if (j->por_response_len)
		memcpy(j->por_response, sqlite3_column_blob(st, 22), j->por_response_len);
	j->timeout_s = (unsigned)sqlite3_column_int(st, 23);
	j->bearer = bearer_of((const char *)sqlite3_column_text(st, 24));
	j->via = bearer_of((const char *)sqlite3_column_text(st, 25)) == OTAD_JOB_BEARER_BIP ? OTAD_JOB_BEARER_BIP :
											       OTAD_JOB_BEARER_SMS;
}

int otad_db_job_get(struct otad_db *db, int64_t id, struct otad_job_row *job)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, JOB_SELECT "WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		job_from_row(st, job);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_jobs_active(struct otad_db *db, void (*cb)(const struct otad_job_row *job, void *priv), void *priv)
{
	static struct otad_job_row j;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       JOB_SELECT
			       "WHERE state IN ('queued', 'submitted', 'delivered', 'retrying', 'bip-wait', 'bip-sent')"
			       " ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		job_from_row(st, &j);
		cb(&j, priv);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_jobs_late(struct otad_db *db, const char *msisdn, unsigned max,
		      bool (*cb)(const struct otad_job_row *job, void *priv), void *priv)
{
	static struct otad_job_row j;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       JOB_SELECT
			       "WHERE msisdn = ? AND state IN ('timed-out', 'unknown') ORDER BY id DESC LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, msisdn, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		job_from_row(st, &j);
		if (cb(&j, priv)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_job_counts(struct otad_db *db, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	memset(n, 0, sizeof(*n) * OTAD_JOB_N_STATES);
	if (sqlite3_prepare_v2(db->db, "SELECT state, count(*) FROM jobs GROUP BY state", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n[state_of((const char *)sqlite3_column_text(st, 0))] = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* ---- lists ------------------------------------------------------------------------------------------------- */

int otad_db_jobs_list(struct otad_db *db, const struct otad_job_filter *f,
		      void (*cb)(const struct otad_job_row *job, void *priv), void *priv)
{
	static struct otad_job_row j;
	sqlite3_stmt *st;
	int rc, n = 0;

	/* every filter is bound; an absent one matches everything */
	if (sqlite3_prepare_v2(db->db,
			       JOB_SELECT "WHERE (?1 IS NULL OR iccid = ?1) AND (?2 IS NULL OR state = ?2)"
					  " AND created_at >= ?3 AND (?4 = 0 OR id < ?4) ORDER BY id DESC LIMIT ?5",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (f->iccid)
		sqlite3_bind_text(st, 1, f->iccid, -1, SQLITE_STATIC);
	if (f->state >= 0 && f->state < OTAD_JOB_N_STATES)
		sqlite3_bind_text(st, 2, otad_job_state_names[f->state], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f->since_ms);
	sqlite3_bind_int64(st, 4, f->before_id);
	sqlite3_bind_int(st, 5, (int)f->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		job_from_row(st, &j);
		cb(&j, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_cards_list(struct otad_db *db, const struct otad_card_filter *f,
		       void (*cb)(const struct otad_card *card, void *priv), void *priv)
{
	struct otad_card c;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db->db,
			       CARD_SELECT "(?1 IS NULL OR state = ?1) AND (?2 = 0 OR batch = ?2) AND iccid > ?3"
					   " ORDER BY iccid LIMIT ?4",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (f->state)
		sqlite3_bind_text(st, 1, f->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, f->batch);
	sqlite3_bind_text(st, 3, f->after_iccid ? f->after_iccid : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)f->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		card_from_row(st, &c);
		cb(&c, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

/* ---- card states --------------------------------------------------------------------------------------------- */

const char *const otad_card_states[OTAD_CARD_N_STATES] = { "active", "suspended", "lost", "retired" };

int otad_card_state_of(const char *name)
{
	for (int i = 0; i < OTAD_CARD_N_STATES; i++)
		if (name && !strcmp(name, otad_card_states[i]))
			return i;
	return -EINVAL;
}

int otad_db_card_set_state(struct otad_db *db, const char *iccid, int state, char old[16])
{
	struct otad_card c;
	sqlite3_stmt *st;
	int rc, from;

	if (state < 0 || state >= OTAD_CARD_N_STATES)
		return -EINVAL;
	rc = otad_db_card_get(db, iccid, &c);
	if (rc)
		return rc;
	snprintf(old, 16, "%s", c.state);
	from = otad_card_state_of(c.state);
	if (from == state)
		return 0;
	if (from == OTAD_CARD_RETIRED)
		return -EPERM; /* a retired card is gone for good */
	if (sqlite3_prepare_v2(db->db, "UPDATE cards SET state = ? WHERE iccid = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, otad_card_states[state], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, iccid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* ---- API tokens ---------------------------------------------------------------------------------------------- */

const char *const otad_role_names[OTAD_N_ROLES] = { "read-only", "operator", "admin",  "central-ra",
						    "unit-ra",	 "counter",  "auditor" };

int otad_role_of(const char *name)
{
	for (int i = 0; i < OTAD_N_ROLES; i++)
		if (name && !strcmp(name, otad_role_names[i]))
			return i;
	return -EINVAL;
}

int otad_db_token_add(struct otad_db *db, const char *name, const uint8_t hash[32], enum otad_role role,
		      const char *scope)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO tokens (name, hash, role, created_at, scope) VALUES (?, ?, ?, ?, ?)", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, otad_role_names[role], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, otad_now_ms());
	if (scope && scope[0])
		sqlite3_bind_text(st, 5, scope, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5); /* the whole tree */
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_CONSTRAINT ? -EEXIST : -EIO;
}

static void token_from_row(sqlite3_stmt *st, struct otad_token *t)
{
	int role = otad_role_of((const char *)sqlite3_column_text(st, 2));

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(st, 0);
	snprintf(t->name, sizeof(t->name), "%s", (const char *)sqlite3_column_text(st, 1));
	t->role = role < 0 ? OTAD_ROLE_READ_ONLY : (enum otad_role)role; /* an unknown role gets the least */
	t->created_ms = sqlite3_column_int64(st, 3);
	t->revoked_ms = sqlite3_column_int64(st, 4);
	if (sqlite3_column_type(st, 5) == SQLITE_TEXT)
		snprintf(t->scope, sizeof(t->scope), "%s", (const char *)sqlite3_column_text(st, 5));
}

int otad_db_token_lookup(struct otad_db *db, const uint8_t hash[32], struct otad_token *t)
{
	sqlite3_stmt *st;
	int rc;

	/* the hash of a random token: looking it up by value leaks nothing an attacker could use */
	if (sqlite3_prepare_v2(db->db,
			       "SELECT id, name, role, created_at, revoked_at, scope FROM tokens WHERE hash = ?"
			       " AND revoked_at IS NULL",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		token_from_row(st, t);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_tokens_list(struct otad_db *db, bool revoked_too, void (*cb)(const struct otad_token *t, void *priv),
			void *priv)
{
	struct otad_token t;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT id, name, role, created_at, revoked_at, scope FROM tokens"
			       " WHERE ?1 OR revoked_at IS NULL ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int(st, 1, revoked_too);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		token_from_row(st, &t);
		cb(&t, priv);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_token_revoke(struct otad_db *db, const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, otad_now_ms());
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->db) ? 0 : -ENOENT;
}

/* ---- keys and restores: master-key rotation, online backup, the counter floor ------------------------------- */

/* \returns the integer the statement \a sql reads first; -EIO */
static int query_int(struct otad_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = -EIO;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

struct reseal {
	const uint8_t *old_mk, *new_mk;
	int rc;	   /* the first failure: -EBADMSG (does not open), -EIO */
	int64_t n; /* key sets re-sealed */
};

/* SQL function otad_reseal(kind, iccid, kvn, sealed): a key set's keys ('keyset') or a PSK ('psk') sealed under the
 * new master key. */
static void reseal_fn(sqlite3_context *c, int argc, sqlite3_value **v)
{
	struct reseal *r = sqlite3_user_data(c);
	uint8_t plain[96], sealed[96 + KEYSTORE_OVERHEAD];
	const void *in = sqlite3_value_blob(v[3]);
	size_t in_len = (size_t)sqlite3_value_bytes(v[3]);
	char aad[48];
	int n;

	(void)argc;
	snprintf(aad, sizeof(aad), "%s %s/%d", (const char *)sqlite3_value_text(v[0]),
		 (const char *)sqlite3_value_text(v[1]), sqlite3_value_int(v[2]));
	n = keystore_unseal(r->old_mk, aad, in, in_len, plain, sizeof(plain));
	if (n >= 0)
		n = keystore_seal(r->new_mk, aad, plain, (size_t)n, sealed, sizeof(sealed));
	else
		n = -EBADMSG;
	OPENSSL_cleanse(plain, sizeof(plain));
	if (n < 0) {
		if (!r->rc)
			r->rc = n == -EBADMSG ? -EBADMSG : -EIO;
		sqlite3_result_error(c, "a key set cannot be re-sealed", -1);
		return;
	}
	r->n++;
	sqlite3_result_blob(c, sealed, n, SQLITE_TRANSIENT);
}

int64_t otad_db_rekey(struct otad_db *db, const uint8_t new_mk[KEYSTORE_KEY_LEN])
{
	struct reseal r = { .old_mk = db->mk, .new_mk = new_mk };
	int secure = query_int(db, "PRAGMA secure_delete");
	int64_t n = -EIO;
	char sql[40];

	if (!CRYPTO_memcmp(new_mk, db->mk, KEYSTORE_KEY_LEN))
		return -EINVAL;
	if (secure < 0 || sqlite3_create_function_v2(db->db, "otad_reseal", 4, SQLITE_UTF8 | SQLITE_DIRECTONLY, &r,
						     reseal_fn, NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	/* secure_delete: the old sealed values are overwritten, not left in free space where the old key opens them */
	if (exec(db, "PRAGMA secure_delete = ON", NULL, 0) || exec(db, "BEGIN IMMEDIATE", NULL, 0))
		goto out;
	/* one statement over every key set, and the check value, in one transaction: all or nothing */
	if (exec(db, "UPDATE keysets SET sealed = otad_reseal('keyset', iccid, kvn, sealed)", NULL, 0) ||
	    exec(db, "UPDATE psks SET sealed = otad_reseal('psk', iccid, kvn, sealed)", NULL, 0) ||
	    mk_check_store(db, new_mk) || exec(db, "COMMIT", NULL, 0)) {
		exec(db, "ROLLBACK", NULL, 0);
		n = r.rc ? r.rc : -EIO;
		goto out;
	}
	n = r.n;
	memcpy(db->mk, new_mk, KEYSTORE_KEY_LEN);
	/* the old pages stay in the WAL until a checkpoint: copy the new ones into the file and empty the WAL */
	exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, 0);
out:
	snprintf(sql, sizeof(sql), "PRAGMA secure_delete = %d", secure > 0);
	exec(db, sql, NULL, 0);
	sqlite3_create_function_v2(db->db, "otad_reseal", 4, SQLITE_UTF8, NULL, NULL, NULL, NULL, NULL);
	return n;
}

/* Set meta \a name to text \a value through connection \a s. \returns 0; -EIO */
static int meta_put(sqlite3 *s, const char *name, const char *value)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s, "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_meta_get(struct otad_db *db, const char *name, char *buf, size_t len)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT CAST(value AS TEXT) FROM meta WHERE name = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

/* Mark the fresh copy \a dst (a connection of its own) as a backup of \a src taken at \a now_ms, and leave it in
 * rollback-journal mode, one file (the daemon that opens it turns WAL on again). \returns 0; -EIO */
static int backup_mark(sqlite3 *dst, const char *src, int64_t now_ms)
{
	char v[PATH_MAX + 24], ms[24];

	snprintf(v, sizeof(v), "%lld %s", (long long)now_ms, src);
	snprintf(ms, sizeof(ms), "%lld", (long long)now_ms);
	if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(dst, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	if (meta_put(dst, "backup_of", v) || meta_put(dst, "needs_floor", ms) ||
	    sqlite3_exec(dst, "DELETE FROM meta WHERE name IN ('floor_confirmed', 'last_backup')", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_exec(dst, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(dst, "ROLLBACK", NULL, NULL, NULL);
		return -EIO;
	}
	return 0;
}

/* fsync the file or directory at \a path. \returns 0; -errno */
static int fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

/* Copy the database into the new file \a tmp and mark the copy. \returns 0; -EIO with \a err set */
static int backup_copy(struct otad_db *db, const char *tmp, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_backup *b;
	sqlite3 *dst = NULL;
	int rc = -EIO;

	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", tmp, dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	/* all pages in one step: a consistent snapshot of what is committed (the daemon writes through db->db, so
	 * nothing changes under the step) */
	b = sqlite3_backup_init(dst, "main", db->db, "main");
	if (!b) {
		snprintf(err, errlen, "%s: %s", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	rc = sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: the copy failed: %s", tmp, sqlite3_errmsg(dst));
		rc = -EIO;
		goto out;
	}
	rc = backup_mark(dst, sqlite3_db_filename(db->db, "main"), now_ms);
	if (rc)
		snprintf(err, errlen, "%s: cannot mark the copy: %s", tmp, sqlite3_errmsg(dst));
out:
	if (sqlite3_close(dst) != SQLITE_OK && !rc) {
		snprintf(err, errlen, "%s: cannot close the copy", tmp);
		rc = -EIO;
	}
	return rc;
}

int otad_db_backup(struct otad_db *db, const char *path, bool overwrite, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX], v[PATH_MAX + 24];
	int64_t now_ms = otad_now_ms();
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "the path is too long");
		return -ENAMETOOLONG;
	}
	if (!overwrite && access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s exists (add 'overwrite' to replace it)", path);
		return -EEXIST;
	}
	unlink(tmp); /* left by a backup that did not finish */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return rc;
	}
	close(fd);
	rc = backup_copy(db, tmp, now_ms, err, errlen);
	if (!rc) {
		rc = fsync_path(tmp, O_RDONLY);
		if (rc)
			snprintf(err, errlen, "cannot sync %s: %s", tmp, strerror(-rc));
	}
	/* link() refuses an existing path, so a file that appeared meanwhile is not overwritten either */
	if (!rc && (overwrite ? rename(tmp, path) : link(tmp, path))) {
		rc = -errno;
		snprintf(err, errlen, "cannot %s %s: %s", overwrite ? "rename it to" : "link it to", path,
			 strerror(errno));
	}
	unlink(tmp);
	if (rc)
		return rc;
	snprintf(dir, sizeof(dir), "%s", path);
	rc = fsync_path(dirname(dir), O_RDONLY | O_DIRECTORY);
	if (rc) {
		snprintf(err, errlen, "cannot sync the directory of %s: %s", path, strerror(-rc));
		return rc;
	}
	snprintf(v, sizeof(v), "%lld %s", (long long)now_ms, path);
	if (meta_put(db->db, "last_backup", v)) {
		snprintf(err, errlen, "the copy is written, but not recorded: %s", sqlite3_errmsg(db->db));
		return -EIO;
	}
	return 0;
}

int otad_db_needs_floor(struct otad_db *db)
{
	char v[24];
	int rc = otad_db_meta_get(db, "needs_floor", v, sizeof(v));

	return rc == 0 ? 1 : rc == -ENOENT ? 0 : rc;
}

int otad_db_counter_floor(struct otad_db *db, const char *iccid, uint8_t kvn, uint64_t floor)
{
	sqlite3_stmt *st;
	int rc;

	if (floor > OTAD_COUNTER_MAX)
		return -ERANGE;
	if (sqlite3_prepare_v2(db->db, "UPDATE keysets SET counter = ?1 WHERE iccid = ?2 AND kvn = ?3 AND counter < ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, (int64_t)floor);
	sqlite3_bind_text(st, 2, iccid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, kvn);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (sqlite3_changes(db->db) == 1)
		return 0;
	rc = keyset_exists(db, iccid, kvn);
	return rc == 1 ? -ERANGE : rc == 0 ? -ENOENT : rc;
}

int64_t otad_db_counter_floor_raise_all(struct otad_db *db, uint64_t by)
{
	sqlite3_stmt *st;
	int64_t n = -EIO;
	int rc;

	if (!by || by > OTAD_COUNTER_MAX)
		return -ERANGE;
	/* one statement: every key set is raised, or (one would pass 40 bits) none */
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE keysets SET counter = counter + ?1"
			       " WHERE NOT EXISTS (SELECT 1 FROM keysets WHERE counter > ?2 - ?1)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, (int64_t)by);
	sqlite3_bind_int64(st, 2, (int64_t)OTAD_COUNTER_MAX);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	n = sqlite3_changes(db->db);
	if (n == 0 && query_int(db, "SELECT count(*) FROM keysets") > 0)
		return -ERANGE;
	return n;
}

int otad_db_counter_floor_require(struct otad_db *db)
{
	char ms[24];

	snprintf(ms, sizeof(ms), "%lld", (long long)otad_now_ms());
	return meta_put(db->db, "needs_floor", ms);
}

int otad_db_counter_floor_confirm(struct otad_db *db)
{
	char ms[24];
	int rc = -EIO;

	snprintf(ms, sizeof(ms), "%lld", (long long)otad_now_ms());
	if (exec(db, "BEGIN IMMEDIATE", NULL, 0))
		return -EIO;
	if (exec(db, "DELETE FROM meta WHERE name = 'needs_floor'", NULL, 0))
		goto out;
	if (sqlite3_changes(db->db) == 0) {
		rc = -EALREADY;
		goto out;
	}
	if (!meta_put(db->db, "floor_confirmed", ms) && !exec(db, "COMMIT", NULL, 0))
		return 0;
out:
	exec(db, "ROLLBACK", NULL, 0);
	return rc;
}

/* ---- units and holders (version 9) -------------------------------------------------------------------------- */

const char *const otad_unit_kind_names[OTAD_UNIT_N_KINDS] = { "province", "ward", "ministry", "party-office",
							      "department" };

int otad_db_units_put(struct otad_db *db, const struct otad_unit *units, size_t n, const char *sha256_hex)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (exec(db, "BEGIN IMMEDIATE", NULL, 0))
		return -EIO;
	/* a unit a change touched (it has history, or it ended) stays as the changes made it */
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO units (code, name, kind, parent) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (code)"
			       " DO UPDATE SET name = ?2, kind = ?3, parent = ?4 WHERE units.valid_to IS NULL AND NOT"
			       " EXISTS (SELECT 1 FROM unit_history WHERE unit_history.code = ?1)",
			       -1, &st, NULL) != SQLITE_OK) {
		exec(db, "ROLLBACK", NULL, 0);
		return -EIO;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_bind_text(st, 1, units[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, units[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, otad_unit_kind_names[units[i].kind], -1, SQLITE_STATIC);
		if (units[i].parent[0])
			sqlite3_bind_text(st, 4, units[i].parent, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 4);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? 0 : rc == SQLITE_CONSTRAINT ? -EINVAL : -EIO;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	otad_db_units_changed(db);
	if (!rc)
		rc = meta_put(db->db, "units_sha256", sha256_hex);
	if (rc || exec(db, "COMMIT", NULL, 0)) {
		exec(db, "ROLLBACK", NULL, 0);
		return rc ? rc : -EIO;
	}
	return 0;
}

int64_t otad_db_units_count(struct otad_db *db, int kind)
{
	sqlite3_stmt *st;
	int64_t n = -EIO;

	if (sqlite3_prepare_v2(db->db, "SELECT count(*) FROM units WHERE ?1 IS NULL OR kind = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	if (kind >= 0 && kind < OTAD_UNIT_N_KINDS)
		sqlite3_bind_text(st, 1, otad_unit_kind_names[kind], -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int otad_db_unit_get(struct otad_db *db, const char *code, struct otad_unit *u)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(
		    db->db,
		    "SELECT code, name, kind, parent, valid_from, valid_to, successor FROM units WHERE code = ?", -1,
		    &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		otad_db_unit_from_row(st, u);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Whether unit \a code exists. \returns 1; 0; -EIO */
static int unit_exists(struct otad_db *db, const char *code)
{
	struct otad_unit u;
	int rc = otad_db_unit_get(db, code, &u);

	return rc == 0 ? 1 : rc == -ENOENT ? 0 : rc;
}

int otad_db_holder_add(struct otad_db *db, const struct otad_holder *h)
{
	sqlite3_stmt *st;
	int64_t now = otad_now_ms();
	int rc = unit_exists(db, h->unit);

	if (rc <= 0)
		return rc ? rc : -ENXIO;
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO holders (id, name, id_number, unit, email, created_at, updated_at)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, h->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, h->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, h->id_number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, h->unit, -1, SQLITE_STATIC);
	if (h->email[0])
		sqlite3_bind_text(st, 5, h->email, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_CONSTRAINT ? -EEXIST : -EIO;
}

int otad_db_holders_add_many(struct otad_db *db, const struct otad_holder *h, size_t n, int *rc)
{
	int stored = 0;

	if (exec(db, "BEGIN IMMEDIATE", NULL, 0))
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		rc[i] = otad_db_holder_add(db, &h[i]); /* a refused row rolls back its own statement only */
		if (rc[i] == -EIO) {
			exec(db, "ROLLBACK", NULL, 0);
			return -EIO;
		}
		stored += !rc[i];
	}
	if (exec(db, "COMMIT", NULL, 0)) {
		exec(db, "ROLLBACK", NULL, 0);
		return -EIO;
	}
	return stored;
}

#define HOLDER_SELECT "SELECT id, name, id_number, unit, email, created_at, updated_at FROM holders "

static void holder_from_row(sqlite3_stmt *st, struct otad_holder *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->id, sizeof(h->id), "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(h->name, sizeof(h->name), "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(h->id_number, sizeof(h->id_number), "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(h->unit, sizeof(h->unit), "%s", (const char *)sqlite3_column_text(st, 3));
	if (sqlite3_column_type(st, 4) == SQLITE_TEXT)
		snprintf(h->email, sizeof(h->email), "%s", (const char *)sqlite3_column_text(st, 4));
	h->created_ms = sqlite3_column_int64(st, 5);
	h->updated_ms = sqlite3_column_int64(st, 6);
}

int otad_db_holder_get(struct otad_db *db, const char *id, struct otad_holder *h)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, HOLDER_SELECT "WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		holder_from_row(st, h);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

int otad_db_holders_list(struct otad_db *db, const struct otad_holder_filter *f,
			 void (*cb)(const struct otad_holder *h, void *priv), void *priv)
{
	struct otad_holder h;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db->db,
			       HOLDER_SELECT "WHERE (?1 IS NULL OR unit = ?1 OR unit IN (SELECT code FROM units WHERE"
					     " parent = ?1)) AND id > ?2 ORDER BY id LIMIT ?3",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (f->unit)
		sqlite3_bind_text(st, 1, f->unit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->after_id ? f->after_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)f->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		holder_from_row(st, &h);
		cb(&h, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int64_t otad_db_holder_count(struct otad_db *db)
{
	sqlite3_stmt *st;
	int64_t n = -EIO;

	if (sqlite3_prepare_v2(db->db, "SELECT count(*) FROM holders", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int otad_db_card_set_holder(struct otad_db *db, const char *iccid, const char *holder_id)
{
	struct otad_holder h;
	struct otad_card c;
	sqlite3_stmt *st;
	int rc = otad_db_card_get(db, iccid, &c);

	if (rc)
		return rc;
	if (holder_id && (rc = otad_db_holder_get(db, holder_id, &h)))
		return rc == -ENOENT ? -ENXIO : rc;
	if (sqlite3_prepare_v2(db->db, "UPDATE cards SET holder_id = ? WHERE iccid = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (holder_id)
		sqlite3_bind_text(st, 1, holder_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, iccid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* ---- certificates (version 9) -------------------------------------------------------------------------------- */

const char *const otad_cert_status_names[OTAD_CERT_N_STATUS] = { "issued", "loaded", "revoked" };

int otad_cert_status_of(const char *name)
{
	for (int i = 0; i < OTAD_CERT_N_STATUS; i++)
		if (name && !strcmp(name, otad_cert_status_names[i]))
			return i;
	return -EINVAL;
}

int otad_db_cert_insert(struct otad_db *db, struct otad_cert *c)
{
	struct otad_card card;
	sqlite3_stmt *st;
	int rc;

	if (!c->der || !c->der_len || c->der_len > OTAD_CERT_DER_MAX || (unsigned)c->status >= OTAD_CERT_N_STATUS)
		return -EINVAL;
	rc = otad_db_card_get(db, c->iccid, &card);
	if (rc)
		return rc;
	if (!c->issued_ms)
		c->issued_ms = otad_now_ms();
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO certificates (iccid, key_id, serial, profile, status, der, not_after,"
			       " issued_at, revoked_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, c->iccid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, otad_cert_status_names[c->status], -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, c->der, (int)c->der_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, c->not_after);
	sqlite3_bind_int64(st, 8, c->issued_ms);
	if (c->status == OTAD_CERT_REVOKED) {
		sqlite3_bind_int64(st, 9, c->revoked_ms ? c->revoked_ms : otad_now_ms());
		sqlite3_bind_int(st, 10, c->reason < 0 ? 0 : c->reason);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	c->id = sqlite3_last_insert_rowid(db->db);
	return 0;
}

int otad_db_cert_set_status(struct otad_db *db, int64_t id, enum otad_cert_status status, int reason)
{
	sqlite3_stmt *st;
	int rc;

	if (status != OTAD_CERT_LOADED && status != OTAD_CERT_REVOKED)
		return -EINVAL;
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE certificates SET status = ?2, revoked_at = ?3, reason = ?4 WHERE id = ?1"
			       " AND status <> 'revoked' RETURNING id",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, otad_cert_status_names[status], -1, SQLITE_STATIC);
	if (status == OTAD_CERT_REVOKED) {
		sqlite3_bind_int64(st, 3, otad_now_ms());
		sqlite3_bind_int(st, 4, reason < 0 ? 0 : reason);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return -EIO;
	if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM certificates WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? -EPERM : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_certs_list(struct otad_db *db, const char *iccid, void (*cb)(const struct otad_cert *c, void *priv),
		       void *priv)
{
	struct otad_cert c;
	sqlite3_stmt *st;
	int rc, n = 0, s;

	if (sqlite3_prepare_v2(
		    db->db,
		    "SELECT id, iccid, key_id, serial, profile, status, der, not_after, issued_at, revoked_at,"
		    " reason FROM certificates WHERE iccid = ? ORDER BY id",
		    -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&c, 0, sizeof(c));
		c.id = sqlite3_column_int64(st, 0);
		snprintf(c.iccid, sizeof(c.iccid), "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(c.key_id, sizeof(c.key_id), "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(c.serial, sizeof(c.serial), "%s", (const char *)sqlite3_column_text(st, 3));
		snprintf(c.profile, sizeof(c.profile), "%s", (const char *)sqlite3_column_text(st, 4));
		s = otad_cert_status_of((const char *)sqlite3_column_text(st, 5));
		c.status = s < 0 ? OTAD_CERT_REVOKED : (enum otad_cert_status)s; /* unknown: not to be trusted */
		c.der = sqlite3_column_blob(st, 6);
		c.der_len = (size_t)sqlite3_column_bytes(st, 6);
		c.not_after = sqlite3_column_int64(st, 7);
		c.issued_ms = sqlite3_column_int64(st, 8);
		c.revoked_ms = sqlite3_column_int64(st, 9);
		c.reason = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 10);
		cb(&c, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_batch_begin(struct otad_db *db)
{
	return exec(db, "BEGIN IMMEDIATE", NULL, 0);
}

int otad_db_batch_commit(struct otad_db *db)
{
	if (!exec(db, "COMMIT", NULL, 0))
		return 0;
	exec(db, "ROLLBACK", NULL, 0);
	return -EIO;
}
