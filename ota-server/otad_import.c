/* The streamed import engine (otad_import.h): records from card_import.c's splitter, checked and staged through
 * otad_db.c, published or dropped in steps on the select loop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "card_import.h"
#include "otad_import.h"

/* Staged cards deleted per select-loop step when an import is refused or aborted. */
#define DROP_STEP_CARDS 2000

struct otad_import {
	struct otad_db *db;
	struct otad_db_stage *sg; /* a talloc child */
	int64_t id;
	struct card_import_splitter sp;
	int with_kik;		      /* -1: the header is still to come */
	bool bad_header;	      /* the rest of the file is ignored */
	bool tail;		      /* bytes after the last LF */
	bool finishing;		      /* end() or abort() was called */
	bool sync;		      /* drop in a loop rather than in timer steps (otad_db_import) */
	enum otad_import_state final; /* refused or aborted, once finishing */
	char why[128];
	struct osmo_timer_list step;
	otad_import_end_cb cb;
	void *cb_priv;
};

static int import_destructor(struct otad_import *im)
{
	osmo_timer_del(&im->step);
	card_import_split_wipe(&im->sp);
	return 0;
}

int otad_import_begin(struct otad_db *db, const char *batch_name, const char *source, struct otad_import **out,
		      int64_t *id)
{
	struct otad_import *im = talloc_zero(db, struct otad_import);
	int rc;

	if (!im)
		return -ENOMEM;
	talloc_set_destructor(im, import_destructor);
	rc = otad_db_stage_begin(db, im, batch_name, source, &im->sg, &im->id);
	if (rc) {
		talloc_free(im);
		return rc;
	}
	im->db = db;
	im->with_kik = -1;
	card_import_split_init(&im->sp);
	*out = im;
	*id = im->id;
	return 0;
}

void otad_import_on_end(struct otad_import *im, otad_import_end_cb cb, void *priv)
{
	im->cb = cb;
	im->cb_priv = priv;
}

static int on_record(const char *rec, size_t len, unsigned line, bool too_long, void *priv)
{
	struct otad_import *im = priv;
	struct card_import_row row;
	char reason[CARD_IMPORT_REASON_MAX];
	int rc;

	if (im->with_kik < 0) {
		im->with_kik = too_long ? -EINVAL : card_import_header(rec, len);
		if (im->with_kik >= 0)
			return 0;
		im->bad_header = true;
		rc = otad_db_stage_reject(im->sg, line, OTAD_REJECT_FORMAT,
					  "the header must be iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid[,kik]");
		return rc ? rc : 1; /* stop: nothing after a bad header is read */
	}
	if (too_long)
		return otad_db_stage_reject(im->sg, line, OTAD_REJECT_FORMAT, "longer than %d characters",
					    CARD_IMPORT_LINE_MAX);
	if (card_import_line(rec, len, im->with_kik, &row, reason, sizeof(reason)))
		return otad_db_stage_reject(im->sg, line, OTAD_REJECT_FORMAT, "%s", reason);
	rc = otad_db_stage_row(im->sg, &row, line);
	OPENSSL_cleanse(&row, sizeof(row));
	return rc == -EINVAL ? 0 : rc;
}

/* Lines read so far: every LF, and the bytes after the last one. */
static unsigned lines_read(const struct otad_import *im)
{
	return im->sp.next_line - 1 + im->tail;
}

int otad_import_feed(struct otad_import *im, const char *data, size_t len)
{
	int rc;

	if (im->finishing)
		return -EINVAL;
	if (im->bad_header || !len)
		return 0;
	rc = card_import_split(&im->sp, data, len, on_record, im);
	im->tail = data[len - 1] != '\n';
	if (rc < 0 || otad_db_stage_commit(im->sg, lines_read(im)))
		return -EIO;
	return 0;
}

static void import_over(struct otad_import *im, enum otad_import_state state, const char *error)
{
	struct otad_import_status st;
	bool known;

	otad_db_stage_end(im->sg, state, error);
	im->sg = NULL;
	known = !otad_db_import_get(im->db, im->id, &st);
	if (im->cb && known)
		im->cb(&st, im->cb_priv);
	talloc_free(im);
}

/* One step of deleting the staged rows of a refused or aborted import. \returns true when over */
static bool drop_step(struct otad_import *im)
{
	int rc = otad_db_stage_drop(im->sg, DROP_STEP_CARDS);

	if (rc > 0)
		return false;
	/* on a database error the staged rows stay, invisible, until the next start deletes them */
	if (rc)
		import_over(im, OTAD_IMPORT_ABORTED, "database error while deleting the staged cards");
	else
		import_over(im, im->final, im->why[0] ? im->why : NULL);
	return true;
}

static void drop_timer_cb(void *priv)
{
	struct otad_import *im = priv;

	if (!drop_step(im))
		osmo_timer_schedule(&im->step, 0, 0);
}

static void start_drop(struct otad_import *im, enum otad_import_state final, const char *why)
{
	im->finishing = true;
	im->final = final;
	snprintf(im->why, sizeof(im->why), "%s", why ? why : "");
	card_import_split_wipe(&im->sp);
	if (im->sync) {
		while (!drop_step(im))
			;
		return;
	}
	osmo_timer_setup(&im->step, drop_timer_cb, im);
	osmo_timer_schedule(&im->step, 0, 0);
}

int otad_import_end(struct otad_import *im)
{
	int rc = 0;

	if (im->finishing)
		return -EINVAL;
	if (!im->bad_header)
		rc = card_import_split_end(&im->sp, on_record, im);
	if (rc < 0) {
		start_drop(im, OTAD_IMPORT_ABORTED, "database error");
		return -EIO;
	}
	rc = otad_db_stage_finish(im->sg, lines_read(im));
	if (rc > 0) {
		im->finishing = true;
		import_over(im, OTAD_IMPORT_DONE, NULL);
		return 0;
	}
	start_drop(im, rc ? OTAD_IMPORT_ABORTED : OTAD_IMPORT_REFUSED, rc ? "database error" : NULL);
	return rc ? -EIO : 0;
}

void otad_import_abort(struct otad_import *im, const char *why)
{
	if (im->finishing)
		return;
	start_drop(im, OTAD_IMPORT_ABORTED, why);
}

/* ---- the synchronous wrapper --------------------------------------------------------------------------------- */

struct report_fill {
	void *ctx;
	struct otad_import_report *rep;
};

static void report_reject(const struct otad_import_reject *r, void *priv)
{
	struct report_fill *f = priv;
	struct otad_import_report *rep = f->rep;

	if (!rep->rejects)
		rep->rejects = talloc_zero_array(f->ctx, struct otad_import_reject, OTAD_IMPORT_REJECTS_KEPT);
	if (!rep->rejects || rep->n_rejects >= OTAD_IMPORT_REJECTS_KEPT)
		return;
	rep->rejects[rep->n_rejects++] = *r;
}

int otad_db_import(struct otad_db *db, void *ctx, const char *csv, size_t len, const char *batch_name,
		   struct otad_import_report *rep)
{
	struct report_fill fill = { .ctx = ctx, .rep = rep };
	struct otad_import_status st;
	struct otad_import *im;
	bool bad_header;
	int64_t id;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rc = otad_import_begin(db, batch_name, "sync", &im, &id);
	if (rc)
		return rc;
	im->sync = true;
	rc = otad_import_feed(im, csv, len);
	bad_header = im->bad_header || im->with_kik < 0;
	if (rc)
		otad_import_abort(im, "database error");
	else
		rc = otad_import_end(im);
	if (otad_db_import_get(db, id, &st) || otad_db_import_rejects(db, id, report_reject, &fill))
		return -EIO;
	if (rc || st.state == OTAD_IMPORT_ABORTED)
		return -EIO;
	rep->rejected = st.rejected;
	if (st.state == OTAD_IMPORT_DONE) {
		rep->cards = st.cards;
		rep->keysets = st.keysets;
		rep->batch = st.batch;
	}
	return bad_header ? -EINVAL : 0;
}

/* ---- status as JSON ------------------------------------------------------------------------------------------ */

static json_t *iso_time(int64_t ms)
{
	char buf[64];
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (!ms || !gmtime_r(&t, &tm))
		return json_null();
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return json_string(buf);
}

static void json_reject(const struct otad_import_reject *r, void *priv)
{
	json_array_append_new(priv, json_pack("{s:i,s:s,s:s}", "line", r->line, "reason", r->reason, "kind",
					      otad_reject_kind_names[r->kind]));
}

int otad_import_status_json(struct otad_db *db, int64_t id, json_t **out)
{
	struct otad_import_status st;
	json_t *rejected, *o;
	int rc = otad_db_import_get(db, id, &st);

	if (rc)
		return rc;
	rejected = json_array();
	if (!rejected)
		return -ENOMEM;
	if (otad_db_import_rejects(db, id, json_reject, rejected)) {
		json_decref(rejected);
		return -EIO;
	}
	o = json_pack("{s:I,s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)st.id, "state",
		      otad_import_state_names[st.state], "source", st.source, "name", st.name, "lines", st.lines,
		      "cards", st.cards, "keysets", st.keysets, "rejected_lines", st.rejected, "rejected", rejected,
		      "batch", st.batch ? json_integer(st.batch) : json_null(), "started", iso_time(st.started_ms),
		      "finished", iso_time(st.finished_ms), "error", st.error[0] ? json_string(st.error) : json_null());
	if (!o)
		return -ENOMEM;
	*out = o;
	return 0;
}
