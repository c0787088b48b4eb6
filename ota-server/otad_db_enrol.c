/* simpki-otad's database: certificate enrolments (table enrolments, schema versions 10 and 11; format in otad_db.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "otad_db.h"
#include "otad_db_int.h"

const char *const otad_enrol_state_names[OTAD_ENROL_N_STATES] = {
	[OTAD_ENROL_READ] = "read",	[OTAD_ENROL_CSR] = "csr",	[OTAD_ENROL_CMP] = "cmp",
	[OTAD_ENROL_LOAD] = "load",	[OTAD_ENROL_VERIFY] = "verify", [OTAD_ENROL_DONE] = "done",
	[OTAD_ENROL_FAILED] = "failed",
};

#define ENROL_COLUMNS                                                                                                \
	"iccid, key_id, profile, holder, state, job, subject, p15_id, cert_fid, cdf_used, csr, certificate, serial," \
	" tries, error, created_at, updated_at, key_ref, cert_row, txid, campaign"

static void bind_blob(sqlite3_stmt *st, int i, const uint8_t *b, size_t len)
{
	if (len)
		sqlite3_bind_blob(st, i, b, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Bind the 21 columns of ENROL_COLUMNS from parameter 1. */
static void bind_row(sqlite3_stmt *st, const struct otad_enrol_row *e)
{
	sqlite3_bind_text(st, 1, e->iccid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, e->key_id);
	sqlite3_bind_text(st, 3, e->profile, -1, SQLITE_STATIC);
	if (e->holder[0])
		sqlite3_bind_text(st, 4, e->holder, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, otad_enrol_state_names[e->state], -1, SQLITE_STATIC);
	if (e->job)
		sqlite3_bind_int64(st, 6, e->job);
	bind_blob(st, 7, e->subject, e->subject_len);
	bind_blob(st, 8, e->p15_id, e->p15_id_len);
	if (e->cert_fid)
		sqlite3_bind_int(st, 9, e->cert_fid);
	sqlite3_bind_int64(st, 10, e->cdf_used);
	bind_blob(st, 11, e->csr, e->csr_len);
	bind_blob(st, 12, e->cert, e->cert_len);
	if (e->serial[0])
		sqlite3_bind_text(st, 13, e->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 14, (int)e->tries);
	if (e->error[0])
		sqlite3_bind_text(st, 15, e->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 16, e->created_ms);
	sqlite3_bind_int64(st, 17, e->updated_ms);
	if (e->key_ref >= 0)
		sqlite3_bind_int(st, 18, e->key_ref);
	if (e->cert_row)
		sqlite3_bind_int64(st, 19, e->cert_row);
	bind_blob(st, 20, e->txid, e->txid_len);
	if (e->campaign)
		sqlite3_bind_int64(st, 21, e->campaign);
}

/* A row of "SELECT id, " ENROL_COLUMNS. */
static void from_row(sqlite3_stmt *st, struct otad_enrol_row *e)
{
	const char *t;

	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(st, 0);
	otad_db_column_text(st, 1, e->iccid, sizeof(e->iccid));
	e->key_id = (uint8_t)sqlite3_column_int(st, 2);
	otad_db_column_text(st, 3, e->profile, sizeof(e->profile));
	otad_db_column_text(st, 4, e->holder, sizeof(e->holder));
	t = (const char *)sqlite3_column_text(st, 5);
	e->state = OTAD_ENROL_FAILED;
	for (int i = 0; i < OTAD_ENROL_N_STATES; i++)
		if (t && !strcmp(t, otad_enrol_state_names[i]))
			e->state = (enum otad_enrol_state)i;
	e->job = sqlite3_column_int64(st, 6);
	e->subject_len = otad_db_column_blob(st, 7, e->subject, sizeof(e->subject));
	e->p15_id_len = otad_db_column_blob(st, 8, e->p15_id, sizeof(e->p15_id));
	e->cert_fid = (uint16_t)sqlite3_column_int(st, 9);
	e->cdf_used = (uint32_t)sqlite3_column_int64(st, 10);
	e->csr_len = otad_db_column_blob(st, 11, e->csr, sizeof(e->csr));
	e->cert_len = otad_db_column_blob(st, 12, e->cert, sizeof(e->cert));
	otad_db_column_text(st, 13, e->serial, sizeof(e->serial));
	e->tries = (unsigned)sqlite3_column_int(st, 14);
	otad_db_column_text(st, 15, e->error, sizeof(e->error));
	e->created_ms = sqlite3_column_int64(st, 16);
	e->updated_ms = sqlite3_column_int64(st, 17);
	e->key_ref = sqlite3_column_type(st, 18) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 18);
	e->cert_row = sqlite3_column_int64(st, 19);
	e->txid_len = otad_db_column_blob(st, 20, e->txid, sizeof(e->txid));
	e->campaign = sqlite3_column_int64(st, 21);
}

int otad_db_enrol_insert(struct otad_db *db, struct otad_enrol_row *e)
{
	sqlite3_stmt *st;
	int rc;

	e->created_ms = e->updated_ms = otad_now_ms();
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO enrolments (" ENROL_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
			       " ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	bind_row(st, e);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	e->id = sqlite3_last_insert_rowid(db->db);
	return 0;
}

int otad_db_enrol_update(struct otad_db *db, struct otad_enrol_row *e)
{
	sqlite3_stmt *st;
	int rc;

	e->updated_ms = otad_now_ms();
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE enrolments SET (" ENROL_COLUMNS
			       ") = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
			       " ?, ?, ?, ?, ?, ?) WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	bind_row(st, e);
	sqlite3_bind_int64(st, 22, e->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->db) ? 0 : -ENOENT;
}

int otad_db_enrol_get(struct otad_db *db, int64_t id, struct otad_enrol_row *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT id, " ENROL_COLUMNS " FROM enrolments WHERE id = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		from_row(st, e);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

static int each(sqlite3_stmt *st, void (*cb)(const struct otad_enrol_row *e, void *priv), void *priv)
{
	static struct otad_enrol_row e;
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		from_row(st, &e);
		cb(&e, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_enrols_active(struct otad_db *db, void (*cb)(const struct otad_enrol_row *e, void *priv), void *priv)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT id, " ENROL_COLUMNS " FROM enrolments WHERE state NOT IN ('done', 'failed')"
			       " ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	rc = each(st, cb, priv);
	return rc < 0 ? rc : 0;
}

int otad_db_enrols_of_card(struct otad_db *db, const char *iccid, unsigned max,
			   void (*cb)(const struct otad_enrol_row *e, void *priv), void *priv)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT id, " ENROL_COLUMNS " FROM enrolments WHERE iccid = ? ORDER BY id DESC LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)max);
	return each(st, cb, priv);
}

int otad_db_enrol_of_campaign(struct otad_db *db, int64_t campaign, const char *iccid, uint8_t key_id,
			      struct otad_enrol_row *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT id, " ENROL_COLUMNS " FROM enrolments WHERE campaign = ? AND iccid = ? AND"
			       " key_id = ? ORDER BY id DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, campaign);
	sqlite3_bind_text(st, 2, iccid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, key_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		from_row(st, e);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}
