/* Streamed imports of card vendor files (card_import.h) into simpki-otad's database, one at a time, all or nothing,
 * without ever holding the file or stalling the select loop.
 *
 *   otad_import_begin()   -> state receiving: an import row and an invisible batch ('importing', otad_db.h)
 *   otad_import_feed() *  pieces cut anywhere; each complete record is checked and staged (keys sealed) at once,
 *                         committed every few thousand rows and at the end of each call: the work of a call is
 *                         linear in its piece, and at most one partial record is held between calls
 *   otad_import_end()     every line good: the batch is published in one small transaction -> done, at once;
 *                         a line rejected (or no cards) -> finishing: staged rows deleted a few thousand per
 *                         select-loop step (an osmo_timer) -> refused
 *   otad_import_abort()   the upload broke off: -> finishing, deleted in steps -> aborted
 * After end() or abort() the import frees itself (when its steps are over); the caller must not touch it again.
 * Its progress and result are in the database (otad_db_import_get(), otad_import_status_json()), also after a
 * restart; the first OTAD_IMPORT_REJECTS_KEPT rejected lines are kept, each with its line, reason and kind.
 */
#pragma once
#include <stdint.h>

#include <jansson.h>

#include "otad_db.h"

struct otad_import;

/*! Called once when an import is over (done, refused or aborted), with its final status. */
typedef void (*otad_import_end_cb)(const struct otad_import_status *st, void *priv);

/*! Start an import into \a db (the import is a talloc child of \a db) of a batch called \a batch_name, arriving
 *  through \a source ("api" or "vty"). \returns 0 with its id; -EBUSY (one is running); -ENOMEM; -EIO */
int otad_import_begin(struct otad_db *db, const char *batch_name, const char *source, struct otad_import **out,
		      int64_t *id);
/*! Have \a cb called when it is over (optional). */
void otad_import_on_end(struct otad_import *im, otad_import_end_cb cb, void *priv);
/*! The next piece of the file. \returns 0; -EIO (the caller then calls otad_import_abort()) */
int otad_import_feed(struct otad_import *im, const char *data, size_t len);
/*! The last piece was fed: publish or refuse (see above). \returns 0; -EIO (aborted, the import is freed) */
int otad_import_end(struct otad_import *im);
/*! The upload broke off (\a why is recorded): nothing is imported. */
void otad_import_abort(struct otad_import *im, const char *why);

/*! The status of import \a id as the API returns it: {"id", "state", "source", "name", "lines", "cards", "keysets",
 *  "rejected_lines", "rejected": [{"line", "reason", "kind"}...], "batch" (null unless done), "started",
 *  "finished" (ISO 8601 UTC; null while running), "error" (null unless aborted)}. \returns 0; -ENOENT; -EIO;
 *  -ENOMEM */
int otad_import_status_json(struct otad_db *db, int64_t id, json_t **out);
