/* simpki-otad's database: signing sessions (table signatures, schema version 12) and what a phone number or holder
 * signs with (cards, certificates, enrolments; format in otad_db.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "otad_db.h"
#include "otad_db_int.h"

#define SIGN_COLUMNS                                                                                           \
	"session, relying_party, holder, iccid, msisdn, hash_alg, hash, code, text_len, text_dcs, job, state," \
	" result, signature, cert_serial, created_at, sent_at, answered_at, completed_at, tries_left, error"

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s[0])
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_ms(sqlite3_stmt *st, int i, int64_t ms)
{
	if (ms)
		sqlite3_bind_int64(st, i, ms);
	else
		sqlite3_bind_null(st, i);
}

/* Bind the 21 columns of SIGN_COLUMNS from parameter 1. */
static void bind_row(sqlite3_stmt *st, const struct otad_sign_row *r)
{
	sqlite3_bind_text(st, 1, r->session, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->rp, -1, SQLITE_STATIC);
	bind_text_or_null(st, 3, r->holder);
	bind_text_or_null(st, 4, r->iccid);
	bind_text_or_null(st, 5, r->msisdn);
	sqlite3_bind_text(st, 6, r->hash_alg, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, r->hash, (int)r->hash_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->code, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, (int)r->text_len);
	sqlite3_bind_int(st, 10, r->text_dcs);
	if (r->job)
		sqlite3_bind_int64(st, 11, r->job);
	sqlite3_bind_text(st, 12, r->state, -1, SQLITE_STATIC);
	bind_text_or_null(st, 13, r->result);
	if (r->sig_len)
		sqlite3_bind_blob(st, 14, r->sig, (int)r->sig_len, SQLITE_STATIC);
	bind_text_or_null(st, 15, r->serial);
	sqlite3_bind_int64(st, 16, r->created_ms);
	bind_ms(st, 17, r->sent_ms);
	bind_ms(st, 18, r->answered_ms);
	bind_ms(st, 19, r->completed_ms);
	if (r->tries_left >= 0)
		sqlite3_bind_int(st, 20, r->tries_left);
	bind_text_or_null(st, 21, r->error);
}

/* A row of "SELECT id, " SIGN_COLUMNS. */
static void read_row(sqlite3_stmt *st, struct otad_sign_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	otad_db_column_text(st, 1, r->session, sizeof(r->session));
	otad_db_column_text(st, 2, r->rp, sizeof(r->rp));
	otad_db_column_text(st, 3, r->holder, sizeof(r->holder));
	otad_db_column_text(st, 4, r->iccid, sizeof(r->iccid));
	otad_db_column_text(st, 5, r->msisdn, sizeof(r->msisdn));
	otad_db_column_text(st, 6, r->hash_alg, sizeof(r->hash_alg));
	r->hash_len = otad_db_column_blob(st, 7, r->hash, sizeof(r->hash));
	otad_db_column_text(st, 8, r->code, sizeof(r->code));
	r->text_len = (unsigned)sqlite3_column_int(st, 9);
	r->text_dcs = (uint8_t)sqlite3_column_int(st, 10);
	r->job = sqlite3_column_int64(st, 11);
	otad_db_column_text(st, 12, r->state, sizeof(r->state));
	otad_db_column_text(st, 13, r->result, sizeof(r->result));
	r->sig_len = otad_db_column_blob(st, 14, r->sig, sizeof(r->sig));
	otad_db_column_text(st, 15, r->serial, sizeof(r->serial));
	r->created_ms = sqlite3_column_int64(st, 16);
	r->sent_ms = sqlite3_column_int64(st, 17);
	r->answered_ms = sqlite3_column_int64(st, 18);
	r->completed_ms = sqlite3_column_int64(st, 19);
	r->tries_left = sqlite3_column_type(st, 20) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 20);
	otad_db_column_text(st, 21, r->error, sizeof(r->error));
}

int otad_db_sign_insert(struct otad_db *db, struct otad_sign_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO signatures (" SIGN_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
			       " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	bind_row(st, r);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return -EEXIST;
	if (rc != SQLITE_DONE)
		return -EIO;
	r->id = sqlite3_last_insert_rowid(db->db);
	return 0;
}

int otad_db_sign_update(struct otad_db *db, const struct otad_sign_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "UPDATE signatures SET session = ?1, relying_party = ?2, holder = ?3, iccid = ?4,"
			       " msisdn = ?5, hash_alg = ?6, hash = ?7, code = ?8, text_len = ?9, text_dcs = ?10,"
			       " job = ?11, state = ?12, result = ?13, signature = ?14, cert_serial = ?15,"
			       " created_at = ?16, sent_at = ?17, answered_at = ?18, completed_at = ?19,"
			       " tries_left = ?20, error = ?21 WHERE id = ?22",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	bind_row(st, r);
	sqlite3_bind_int64(st, 22, r->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->db) ? 0 : -ENOENT;
}

static int get_one(struct otad_db *db, const char *sql, const char *text, int64_t num, struct otad_sign_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, num);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_row(st, r);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_sign_get(struct otad_db *db, const char *session, struct otad_sign_row *r)
{
	return get_one(db, "SELECT id, " SIGN_COLUMNS " FROM signatures WHERE session = ?", session, 0, r);
}

int otad_db_sign_by_job(struct otad_db *db, int64_t job, struct otad_sign_row *r)
{
	return get_one(db, "SELECT id, " SIGN_COLUMNS " FROM signatures WHERE job = ? ORDER BY id DESC LIMIT 1", NULL,
		       job, r);
}

int otad_db_sign_end_open(struct otad_db *db, const char *result, const char *error)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "UPDATE signatures SET state = 'complete', result = ?1, error = ?2, completed_at = ?3"
			       " WHERE state <> 'complete'",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, result, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, otad_now_ms());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes(db->db) : -EIO;
}

/* A card is visible once its batch is published; a certificate is usable while it is loaded and valid, and the key
 * reference the applet knows its key by is its enrolment's key_ref; for a certificate no enrolment loaded, the
 * key_ref of the newest enrolment of another certificate of the same card for the same key (a lifecycle modify or
 * renew re-issues for the key an enrolment generated: same pubkey_sha256); else, for a certificate recorded by an
 * operator, its key_id when that is a key reference (0..15). Cards with a usable certificate first, then the newest
 * certificate. */
#define KEY_REF                                                                                                       \
	"COALESCE(e.key_ref, (SELECT e2.key_ref FROM certificates c2 JOIN enrolments e2 ON e2.cert_row = c2.id"       \
	" WHERE c2.iccid = c.iccid AND c2.pubkey_sha256 = c.pubkey_sha256 AND e2.key_ref IS NOT NULL"                 \
	" ORDER BY e2.id DESC LIMIT 1), CASE WHEN c.key_id GLOB '[0-9]' OR c.key_id GLOB '1[0-5]' THEN CAST(c.key_id" \
	" AS INTEGER) END)"
#define TARGET_SELECT                                                                                     \
	"SELECT k.iccid, k.msisdn, k.state, k.holder_id, c.der, c.serial, " KEY_REF " AS kr FROM cards k" \
	" LEFT JOIN certificates c ON c.iccid = k.iccid AND c.status = 'loaded' AND c.not_after > ?2"     \
	" LEFT JOIN enrolments e ON e.cert_row = c.id AND e.key_ref IS NOT NULL"                          \
	" WHERE k.batch NOT IN (SELECT id FROM batches WHERE state <> 'ready') AND "
#define TARGET_ORDER " ORDER BY kr IS NOT NULL DESC, c.id DESC, e.id DESC LIMIT 1"

int otad_db_sign_target(struct otad_db *db, const char *msisdn, const char *holder, struct otad_sign_target *t)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       msisdn ? TARGET_SELECT "k.msisdn = ?1" TARGET_ORDER :
					TARGET_SELECT "k.holder_id = ?1" TARGET_ORDER,
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, msisdn ? msisdn : holder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, otad_now_ms() / 1000);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(t, 0, sizeof(*t));
		otad_db_column_text(st, 0, t->iccid, sizeof(t->iccid));
		otad_db_column_text(st, 1, t->msisdn, sizeof(t->msisdn));
		otad_db_column_text(st, 2, t->state, sizeof(t->state));
		otad_db_column_text(st, 3, t->holder, sizeof(t->holder));
		t->key_ref = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 6);
		if (t->key_ref >= 0) {
			t->der_len = otad_db_column_blob(st, 4, t->der, sizeof(t->der));
			otad_db_column_text(st, 5, t->serial, sizeof(t->serial));
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}
