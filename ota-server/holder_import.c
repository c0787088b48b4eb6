/* Holders from CSV, streamed (holder_import.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include "card_import.h"
#include "holder.h"
#include "holder_import.h"

#define BATCH 256	/* holders per transaction */
#define SEEN_MAX 100000 /* ids remembered to name a repeat inside the file ('file'); beyond, 'database' says it */

struct holder_import {
	struct otad_db *db;
	struct card_import_splitter sp;
	bool header_seen, bad_header, failed;
	bool tail; /* bytes after the last LF */
	unsigned lines, stored, rejected;
	struct otad_holder rows[BATCH];
	unsigned row_line[BATCH];
	size_t n_rows;
	json_t *rejects;		     /* the first OTAD_IMPORT_REJECTS_KEPT */
	char (*ids)[OTAD_HOLDER_ID_MAX + 1]; /* the ids so far, sorted (talloc array) */
	unsigned n_ids, cap_ids;
};

static void reject(struct holder_import *hi, unsigned line, enum otad_reject_kind kind, const char *reason)
{
	hi->rejected++;
	if (json_array_size(hi->rejects) < OTAD_IMPORT_REJECTS_KEPT)
		json_array_append_new(hi->rejects, json_pack("{s:i,s:s,s:s}", "line", line, "kind",
							     otad_reject_kind_names[kind], "reason", reason));
}

/* Whether \a id came earlier in the file (the first SEEN_MAX ids: a linear scan would be quadratic, so a sorted
 * array with binary search and insertion). */
static bool seen_before(struct holder_import *hi, const char *id)
{
	unsigned lo = 0, top = hi->n_ids;

	while (lo < top) {
		unsigned mid = (lo + top) / 2;
		int c = strcmp(hi->ids[mid], id);

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			top = mid;
	}
	if (hi->n_ids == SEEN_MAX)
		return false;
	if (hi->n_ids == hi->cap_ids) {
		unsigned cap = hi->cap_ids ? hi->cap_ids * 2 : 1024;
		void *p = talloc_realloc_size(hi, hi->ids, (size_t)cap * sizeof(*hi->ids));

		if (!p)
			return false;
		hi->ids = p;
		hi->cap_ids = cap;
	}
	memmove(&hi->ids[lo + 1], &hi->ids[lo], (size_t)(hi->n_ids - lo) * sizeof(*hi->ids));
	snprintf(hi->ids[lo], sizeof(hi->ids[lo]), "%s", id);
	hi->n_ids++;
	return false;
}

static int flush(struct holder_import *hi)
{
	int rc[BATCH], n;
	char reason[160];

	if (!hi->n_rows)
		return 0;
	n = otad_db_holders_add_many(hi->db, hi->rows, hi->n_rows, rc);
	if (n < 0) {
		hi->failed = true;
		return -EIO;
	}
	hi->stored += (unsigned)n;
	for (size_t i = 0; i < hi->n_rows; i++) {
		if (!rc[i])
			continue;
		if (rc[i] == -EEXIST)
			snprintf(reason, sizeof(reason), "id %s: a holder has that id", hi->rows[i].id);
		else
			snprintf(reason, sizeof(reason), "unit %s: no such unit in the organisation tree",
				 hi->rows[i].unit);
		reject(hi, hi->row_line[i], OTAD_REJECT_DATABASE, reason);
	}
	hi->n_rows = 0;
	return 0;
}

static int on_record(const char *rec, size_t len, unsigned line, bool too_long, void *priv)
{
	struct holder_import *hi = priv;
	char reason[CARD_IMPORT_REASON_MAX];
	struct otad_holder *h = &hi->rows[hi->n_rows];

	if (!hi->header_seen) {
		hi->header_seen = true;
		if (too_long || holder_csv_header(rec, len)) {
			hi->bad_header = true;
			reject(hi, line, OTAD_REJECT_FORMAT, "the header must be " HOLDER_CSV_HEADER);
			return 1; /* stop: nothing after a bad header is read */
		}
		return 0;
	}
	if (too_long) {
		snprintf(reason, sizeof(reason), "longer than %d characters", CARD_IMPORT_LINE_MAX);
		reject(hi, line, OTAD_REJECT_FORMAT, reason);
		return 0;
	}
	if (holder_csv_line(rec, len, h, reason, sizeof(reason))) {
		reject(hi, line, OTAD_REJECT_FORMAT, reason);
		return 0;
	}
	if (seen_before(hi, h->id)) {
		snprintf(reason, sizeof(reason), "id %s: it came earlier in this file", h->id);
		reject(hi, line, OTAD_REJECT_FILE, reason);
		return 0;
	}
	hi->row_line[hi->n_rows++] = line;
	return hi->n_rows == BATCH ? flush(hi) : 0;
}

static int hi_destructor(struct holder_import *hi)
{
	json_decref(hi->rejects);
	return 0;
}

struct holder_import *holder_import_begin(void *ctx, struct otad_db *db)
{
	struct holder_import *hi = talloc_zero(ctx, struct holder_import);

	if (!hi)
		return NULL;
	hi->db = db;
	hi->rejects = json_array();
	if (!hi->rejects) {
		talloc_free(hi);
		return NULL;
	}
	talloc_set_destructor(hi, hi_destructor);
	card_import_split_init(&hi->sp);
	return hi;
}

int holder_import_feed(struct holder_import *hi, const char *data, size_t len)
{
	int rc;

	if (hi->failed)
		return -EIO;
	if (hi->bad_header || !len)
		return 0;
	rc = card_import_split(&hi->sp, data, len, on_record, hi);
	hi->tail = data[len - 1] != '\n';
	if (rc < 0 || flush(hi))
		return -EIO;
	return 0;
}

int holder_import_end(struct holder_import *hi, json_t **report)
{
	json_t *o;

	if (hi->failed)
		return -EIO;
	if (!hi->bad_header && (card_import_split_end(&hi->sp, on_record, hi) < 0 || flush(hi)))
		return -EIO;
	if (!hi->header_seen)
		reject(hi, 1, OTAD_REJECT_FORMAT, "the header must be " HOLDER_CSV_HEADER);
	hi->lines = hi->sp.next_line - 1 + hi->tail;
	o = json_pack("{s:i,s:i,s:i,s:O}", "lines", hi->lines, "holders", hi->stored, "rejected_lines", hi->rejected,
		      "rejected", hi->rejects);
	if (!o)
		return -ENOMEM;
	*report = o;
	return 0;
}
