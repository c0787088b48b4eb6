/* simpki-otad's database: provisioning campaigns (tables campaigns and campaign_cards, schema version 11; format in
 * otad_db.h). A campaign's keys are stored as text "ID:ALG:PROFILE" joined by ';' (ALG p256 or rsa2048). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "otad_db.h"
#include "otad_db_int.h"

const char *const otad_campaign_state_names[OTAD_CAMPAIGN_N_STATES] = {
	[OTAD_CAMPAIGN_RUNNING] = "running",
	[OTAD_CAMPAIGN_PAUSED] = "paused",
	[OTAD_CAMPAIGN_DONE] = "done",
	[OTAD_CAMPAIGN_CANCELLED] = "cancelled",
};

const char *const otad_ccard_state_names[OTAD_CCARD_N_STATES] = {
	[OTAD_CCARD_WAITING] = "waiting",	  [OTAD_CCARD_BACKOFF] = "backoff", [OTAD_CCARD_CHECK] = "check",
	[OTAD_CCARD_PERSONALISE] = "personalise", [OTAD_CCARD_KEYGEN] = "keygen",   [OTAD_CCARD_ENROL] = "enrol",
	[OTAD_CCARD_ACTIVE] = "active",		  [OTAD_CCARD_SKIPPED] = "skipped", [OTAD_CCARD_FAILED] = "failed",
	[OTAD_CCARD_CANCELLED] = "cancelled",
};

bool otad_ccard_state_final(enum otad_ccard_state s)
{
	return s >= OTAD_CCARD_ACTIVE;
}

static int name_index(const char *t, const char *const *names, int n, int dflt)
{
	for (int i = 0; t && i < n; i++)
		if (!strcmp(t, names[i]))
			return i;
	return dflt;
}

static void keys_encode(const struct otad_campaign *c, char *out, size_t max)
{
	size_t n = 0;

	out[0] = 0;
	for (unsigned i = 0; i < c->n_keys && n < max; i++)
		n += (size_t)snprintf(out + n, max - n, "%s%u:%s:%s", i ? ";" : "", c->keys[i].id,
				      c->keys[i].rsa ? "rsa2048" : "p256", c->keys[i].profile);
}

static void keys_decode(const char *t, struct otad_campaign *c)
{
	char buf[512], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", t ? t : "");
	c->n_keys = 0;
	for (tok = strtok_r(buf, ";", &save); tok && c->n_keys < OTAD_CAMPAIGN_KEYS_MAX;
	     tok = strtok_r(NULL, ";", &save)) {
		struct otad_campaign_key *k = &c->keys[c->n_keys];
		char alg[16], profile[65];

		if (sscanf(tok, "%hhu:%15[^:]:%64s", &k->id, alg, profile) != 3)
			continue;
		k->rsa = !strcmp(alg, "rsa2048");
		snprintf(k->profile, sizeof(k->profile), "%s", profile);
		c->n_keys++;
	}
}

#define CAMPAIGN_COLUMNS "id, name, state, keys, personalise, concurrency, cards, created_at, updated_at, ended_at"

static void campaign_from_row(sqlite3_stmt *st, struct otad_campaign *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	otad_db_column_text(st, 1, c->name, sizeof(c->name));
	c->state = (enum otad_campaign_state)name_index((const char *)sqlite3_column_text(st, 2),
							otad_campaign_state_names, OTAD_CAMPAIGN_N_STATES,
							OTAD_CAMPAIGN_PAUSED);
	keys_decode((const char *)sqlite3_column_text(st, 3), c);
	c->personalise = sqlite3_column_int(st, 4) != 0;
	c->concurrency = (unsigned)sqlite3_column_int(st, 5);
	c->cards = (unsigned)sqlite3_column_int(st, 6);
	c->created_ms = sqlite3_column_int64(st, 7);
	c->updated_ms = sqlite3_column_int64(st, 8);
	c->ended_ms = sqlite3_column_int64(st, 9);
}

static int exec(struct otad_db *db, const char *sql)
{
	return sqlite3_exec(db->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* Run \a st (bound), finalize it. \returns 0; -EIO */
static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Add the selected cards to campaign \a id (inside the caller's transaction). \returns how many; -ENOENT; -EIO */
static int add_cards(struct otad_db *db, int64_t id, const struct otad_campaign_select *sel, int64_t now, char *err,
		     size_t errlen)
{
	static const char *const from_import =
		"INSERT OR IGNORE INTO campaign_cards (campaign, seq, iccid, state, updated_at)"
		" SELECT ?1, ROW_NUMBER() OVER (ORDER BY iccid), iccid, 'waiting', ?2 FROM cards"
		" WHERE batch = (SELECT batch FROM imports WHERE id = ?3)";
	static const char *const from_unit =
		"INSERT OR IGNORE INTO campaign_cards (campaign, seq, iccid, state, updated_at)"
		" SELECT ?1, ROW_NUMBER() OVER (ORDER BY c.iccid), c.iccid, 'waiting', ?2 FROM cards c"
		" JOIN holders h ON h.id = c.holder_id WHERE h.unit = ?3 OR h.unit IN (SELECT code FROM units"
		" WHERE parent = ?3)";
	sqlite3_stmt *st;
	int rc;

	if (sel->iccids) {
		int64_t seq = 0;

		if (sqlite3_prepare_v2(db->db,
				       "INSERT OR IGNORE INTO campaign_cards (campaign, seq, iccid, state, updated_at)"
				       " SELECT ?1, ?2, iccid, 'waiting', ?3 FROM cards WHERE iccid = ?4",
				       -1, &st, NULL) != SQLITE_OK)
			return -EIO;
		for (size_t i = 0; i < sel->n; i++) {
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, seq + 1);
			sqlite3_bind_int64(st, 3, now);
			sqlite3_bind_text(st, 4, sel->iccids[i], -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE) {
				sqlite3_finalize(st);
				return -EIO;
			}
			if (sqlite3_changes(db->db)) {
				seq++;
				continue;
			}
			/* no such card, or named twice: only the first is an error */
			{
				struct otad_card card;

				if (otad_db_card_get(db, sel->iccids[i], &card) == -ENOENT) {
					snprintf(err, errlen, "no card %s", sel->iccids[i]);
					sqlite3_finalize(st);
					return -ENOENT;
				}
			}
		}
		sqlite3_finalize(st);
		return (int)seq;
	}
	if (sel->import) {
		if (sqlite3_prepare_v2(db->db, "SELECT batch FROM imports WHERE id = ? AND state = 'done'", -1, &st,
				       NULL) != SQLITE_OK)
			return -EIO;
		sqlite3_bind_int64(st, 1, sel->import);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW) {
			snprintf(err, errlen, "no finished import %lld", (long long)sel->import);
			return -ENOENT;
		}
	} else if (sel->unit) {
		if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM units WHERE code = ?", -1, &st, NULL) != SQLITE_OK)
			return -EIO;
		sqlite3_bind_text(st, 1, sel->unit, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW) {
			snprintf(err, errlen, "no unit %s in the organisation tree", sel->unit);
			return -ENOENT;
		}
	} else {
		return 0;
	}
	if (sqlite3_prepare_v2(db->db, sel->import ? from_import : from_unit, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if (sel->import)
		sqlite3_bind_int64(st, 3, sel->import);
	else
		sqlite3_bind_text(st, 3, sel->unit, -1, SQLITE_STATIC);
	rc = step_done(st);
	return rc ? rc : sqlite3_changes(db->db);
}

int otad_db_campaign_create(struct otad_db *db, struct otad_campaign *c, const struct otad_campaign_select *sel,
			    char *err, size_t errlen)
{
	char keys[512];
	sqlite3_stmt *st;
	int rc, n;

	c->created_ms = c->updated_ms = otad_now_ms();
	c->ended_ms = 0;
	keys_encode(c, keys, sizeof(keys));
	if (exec(db, "BEGIN IMMEDIATE"))
		return -EIO;
	rc = sqlite3_prepare_v2(db->db,
				"INSERT INTO campaigns (name, state, keys, personalise, concurrency, created_at,"
				" updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				-1, &st, NULL) == SQLITE_OK ?
		     0 :
		     -EIO;
	if (!rc) {
		sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, otad_campaign_state_names[c->state], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, keys, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, c->personalise);
		sqlite3_bind_int(st, 5, (int)c->concurrency);
		sqlite3_bind_int64(st, 6, c->created_ms);
		sqlite3_bind_int64(st, 7, c->updated_ms);
		rc = step_done(st);
	}
	if (!rc) {
		c->id = sqlite3_last_insert_rowid(db->db);
		n = add_cards(db, c->id, sel, c->created_ms, err, errlen);
		rc = n < 0 ? n : n == 0 ? -ENODATA : 0;
		if (n == 0)
			snprintf(err, errlen, "no card is selected");
		c->cards = n > 0 ? (unsigned)n : 0;
	}
	if (!rc &&
	    sqlite3_prepare_v2(db->db, "UPDATE campaigns SET cards = ? WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int(st, 1, (int)c->cards);
		sqlite3_bind_int64(st, 2, c->id);
		rc = step_done(st);
	}
	if (!rc && exec(db, "COMMIT"))
		rc = -EIO;
	if (rc) {
		exec(db, "ROLLBACK");
		if (rc == -EIO)
			snprintf(err, errlen, "the database failed");
	}
	return rc;
}

int otad_db_campaign_update(struct otad_db *db, struct otad_campaign *c)
{
	sqlite3_stmt *st;

	c->updated_ms = otad_now_ms();
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE campaigns SET state = ?, concurrency = ?, updated_at = ?, ended_at = ?"
			       " WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, otad_campaign_state_names[c->state], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)c->concurrency);
	sqlite3_bind_int64(st, 3, c->updated_ms);
	if (c->ended_ms)
		sqlite3_bind_int64(st, 4, c->ended_ms);
	sqlite3_bind_int64(st, 5, c->id);
	return step_done(st);
}

int otad_db_campaign_get(struct otad_db *db, int64_t id, struct otad_campaign *c)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT " CAMPAIGN_COLUMNS " FROM campaigns WHERE id = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		campaign_from_row(st, c);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int otad_db_campaigns_list(struct otad_db *db, bool only_open, void (*cb)(const struct otad_campaign *c, void *priv),
			   void *priv)
{
	struct otad_campaign c;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db->db,
			       only_open ? "SELECT " CAMPAIGN_COLUMNS
					   " FROM campaigns WHERE state IN ('running', 'paused')"
					   " OR (state = 'cancelled' AND ended_at IS NULL) ORDER BY id" :
					   "SELECT " CAMPAIGN_COLUMNS " FROM campaigns ORDER BY id DESC",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		campaign_from_row(st, &c);
		cb(&c, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_campaign_counts(struct otad_db *db, int64_t id, int64_t *n, int64_t *enrol)
{
	sqlite3_stmt *st;
	int rc;

	memset(n, 0, sizeof(*n) * OTAD_CCARD_N_STATES);
	memset(enrol, 0, sizeof(*enrol) * OTAD_ENROL_N_STATES);
	if (sqlite3_prepare_v2(db->db,
			       "SELECT cc.state, e.state, COUNT(*) FROM campaign_cards cc LEFT JOIN enrolments e"
			       " ON e.id = cc.enrolment WHERE cc.campaign = ? GROUP BY 1, 2",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int s = name_index((const char *)sqlite3_column_text(st, 0), otad_ccard_state_names,
				   OTAD_CCARD_N_STATES, -1);
		int64_t k = sqlite3_column_int64(st, 2);

		if (s < 0)
			continue;
		n[s] += k;
		if (s == OTAD_CCARD_ENROL)
			enrol[name_index((const char *)sqlite3_column_text(st, 1), otad_enrol_state_names,
					 OTAD_ENROL_N_STATES, OTAD_ENROL_READ)] += k;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_campaign_done_since(struct otad_db *db, int64_t id, int64_t since_ms, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT COUNT(*) FROM campaign_cards WHERE campaign = ? AND done_at >= ?", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, since_ms);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

#define CCARD_COLUMNS                                                                                                \
	"campaign, seq, iccid, state, key_index, job, enrolment, tries, next_try, step, error, serials, updated_at," \
	" done_at"

static void ccard_from_row(sqlite3_stmt *st, struct otad_ccard *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->campaign = sqlite3_column_int64(st, 0);
	cc->seq = sqlite3_column_int64(st, 1);
	otad_db_column_text(st, 2, cc->iccid, sizeof(cc->iccid));
	cc->state = (enum otad_ccard_state)name_index((const char *)sqlite3_column_text(st, 3), otad_ccard_state_names,
						      OTAD_CCARD_N_STATES, OTAD_CCARD_FAILED);
	cc->key_index = (unsigned)sqlite3_column_int(st, 4);
	cc->job = sqlite3_column_int64(st, 5);
	cc->enrolment = sqlite3_column_int64(st, 6);
	cc->tries = (unsigned)sqlite3_column_int(st, 7);
	cc->next_try_ms = sqlite3_column_int64(st, 8);
	otad_db_column_text(st, 9, cc->step, sizeof(cc->step));
	otad_db_column_text(st, 10, cc->error, sizeof(cc->error));
	otad_db_column_text(st, 11, cc->serials, sizeof(cc->serials));
	cc->updated_ms = sqlite3_column_int64(st, 12);
	cc->done_ms = sqlite3_column_int64(st, 13);
}

int otad_db_ccard_update(struct otad_db *db, struct otad_ccard *cc)
{
	sqlite3_stmt *st;
	int rc;

	cc->updated_ms = otad_now_ms();
	if (otad_ccard_state_final(cc->state) && !cc->done_ms)
		cc->done_ms = cc->updated_ms;
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE campaign_cards SET state = ?, key_index = ?, job = ?, enrolment = ?, tries = ?,"
			       " next_try = ?, step = ?, error = ?, serials = ?, updated_at = ?, done_at = ?"
			       " WHERE campaign = ? AND seq = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, otad_ccard_state_names[cc->state], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)cc->key_index);
	if (cc->job)
		sqlite3_bind_int64(st, 3, cc->job);
	if (cc->enrolment)
		sqlite3_bind_int64(st, 4, cc->enrolment);
	sqlite3_bind_int(st, 5, (int)cc->tries);
	sqlite3_bind_int64(st, 6, cc->next_try_ms);
	if (cc->step[0])
		sqlite3_bind_text(st, 7, cc->step, -1, SQLITE_STATIC);
	if (cc->error[0])
		sqlite3_bind_text(st, 8, cc->error, -1, SQLITE_STATIC);
	if (cc->serials[0])
		sqlite3_bind_text(st, 9, cc->serials, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, cc->updated_ms);
	if (cc->done_ms)
		sqlite3_bind_int64(st, 11, cc->done_ms);
	sqlite3_bind_int64(st, 12, cc->campaign);
	sqlite3_bind_int64(st, 13, cc->seq);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->db) ? 0 : -ENOENT;
}

static int each_ccard(sqlite3_stmt *st, void (*cb)(const struct otad_ccard *cc, void *priv), void *priv)
{
	struct otad_ccard cc;
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ccard_from_row(st, &cc);
		cb(&cc, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_ccards_ready(struct otad_db *db, int64_t id, int64_t now_ms, unsigned max,
			 void (*cb)(const struct otad_ccard *cc, void *priv), void *priv)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT " CCARD_COLUMNS " FROM campaign_cards WHERE campaign = ?1 AND (state = 'waiting'"
			       " OR (state = 'backoff' AND next_try <= ?2)) ORDER BY state = 'waiting', seq LIMIT ?3",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int(st, 3, (int)max);
	return each_ccard(st, cb, priv);
}

int otad_db_ccards_in_step(struct otad_db *db, int64_t id, void (*cb)(const struct otad_ccard *cc, void *priv),
			   void *priv)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT " CCARD_COLUMNS " FROM campaign_cards WHERE campaign = ? AND state IN ('check',"
			       " 'personalise', 'keygen', 'enrol') ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return each_ccard(st, cb, priv);
}

int otad_db_ccards_pending(struct otad_db *db, int64_t id)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT EXISTS (SELECT 1 FROM campaign_cards WHERE campaign = ? AND state IN ('waiting',"
			       " 'backoff'))",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -EIO;
	sqlite3_finalize(st);
	return rc;
}

int otad_db_ccards_cancel_pending(struct otad_db *db, int64_t id)
{
	sqlite3_stmt *st;
	int64_t now = otad_now_ms();
	int rc;

	if (sqlite3_prepare_v2(db->db,
			       "UPDATE campaign_cards SET step = state, state = 'cancelled', updated_at = ?1,"
			       " done_at = ?1 WHERE campaign = ?2 AND state IN ('waiting', 'backoff')",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	rc = step_done(st);
	return rc ? rc : sqlite3_changes(db->db);
}

int otad_db_ccards_list(struct otad_db *db, int64_t id, const char *state, int64_t after, unsigned limit,
			void (*cb)(const struct otad_ccard *cc, const char *step, void *priv), void *priv)
{
	struct otad_ccard cc;
	sqlite3_stmt *st;
	int rc, n = 0;
	bool enrol_step = state && name_index(state, otad_enrol_state_names, OTAD_ENROL_N_STATES, -1) >= 0 &&
			  name_index(state, otad_ccard_state_names, OTAD_CCARD_N_STATES, -1) < 0;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT cc.campaign, cc.seq, cc.iccid, cc.state, cc.key_index, cc.job, cc.enrolment,"
			       " cc.tries, cc.next_try, cc.step, cc.error, cc.serials, cc.updated_at, cc.done_at,"
			       " CASE WHEN cc.state = 'enrol' THEN COALESCE(e.state, 'read') ELSE NULL END"
			       " FROM campaign_cards cc LEFT JOIN enrolments e ON e.id = cc.enrolment"
			       " WHERE cc.campaign = ?1 AND cc.seq > ?2 AND (?3 IS NULL OR (?4 = 0 AND cc.state = ?3)"
			       " OR (?4 = 1 AND cc.state = 'enrol' AND COALESCE(e.state, 'read') = ?3))"
			       " ORDER BY cc.seq LIMIT ?5",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, after);
	if (state)
		sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, enrol_step);
	sqlite3_bind_int(st, 5, (int)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sub = (const char *)sqlite3_column_text(st, 14);

		ccard_from_row(st, &cc);
		cb(&cc, sub, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}
