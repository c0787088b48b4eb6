/* Holders from a CSV file (holder.h) streamed into the database: pieces cut anywhere go through card_import.c's
 * record splitter (RFC 4180, at most one record held); each good record is stored by itself (a few hundred per
 * transaction, each piece's committed before the call returns), each bad one rejected with its line, kind and
 * reason, as card imports report them (otad_reject_kind: format, file: the id came earlier in this file, database:
 * a holder has the id, or the unit is not in the tree). Unlike a card import it is not all or nothing: holders are
 * independent of each other. An upload that breaks off keeps what was stored.
 *
 *   holder_import_begin()  -> holder_import_feed() * -> holder_import_end(): the report as JSON
 *   {"lines": N, "holders": STORED, "rejected_lines": N, "rejected": [{"line", "kind", "reason"}, ...]}
 * ("rejected" keeps the first OTAD_IMPORT_REJECTS_KEPT). A file without the header is refused at line 1.
 */
#pragma once
#include <stddef.h>

#include <jansson.h>

#include "otad_db.h"

struct holder_import;

/*! A new import into \a db (a talloc child of \a ctx). \returns NULL: out of memory */
struct holder_import *holder_import_begin(void *ctx, struct otad_db *db);
/*! The next piece. \returns 0; -EIO (a database error: the import is over, nothing more is stored) */
int holder_import_feed(struct holder_import *hi, const char *data, size_t len);
/*! The file is complete: the last record, then the report (json_decref() it). \returns 0; -EIO; -ENOMEM */
int holder_import_end(struct holder_import *hi, json_t **report);
