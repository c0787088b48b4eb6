/* Schema version 14, the requests' part (owned by request/ and otad_db_request.c; request/request.h is the spec):
 *   requests(id INTEGER PRIMARY KEY, kind TEXT NOT NULL (otad_request_kind_names), state TEXT NOT NULL
 *         (otad_request_state_names), unit TEXT NOT NULL (the unit it is for: who may decide it), filed_by TEXT NOT
 *         NULL, filed_role TEXT NOT NULL, filed_at INTEGER NOT NULL, decided_by TEXT, decided_at INTEGER, reason
 *         TEXT (of a rejection; or why it failed), params TEXT NOT NULL (JSON), documents TEXT NOT NULL (JSON
 *         array of {"name", "sha256"}), op INTEGER (the lifecycle operation executing it), updated_at INTEGER NOT
 *         NULL)
 *         Indexes (unit, state, id), (state, filed_at).
 *   request_holders(request INTEGER NOT NULL REFERENCES requests(id), holder TEXT NOT NULL, item INTEGER (the
 *         enrolment or PIN reset started for the holder by a new-certificate or pin-reset request; NULL: none),
 *         result TEXT (that item's end: 'done' or 'failed: ...'; NULL: none yet), PRIMARY KEY (request, holder))
 *         Index (item) over the items started.
 */
#pragma once

#define MIGRATION_V14_REQUESTS                                                                                  \
	"CREATE TABLE requests (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,"               \
	" unit TEXT NOT NULL, filed_by TEXT NOT NULL, filed_role TEXT NOT NULL, filed_at INTEGER NOT NULL,"     \
	" decided_by TEXT, decided_at INTEGER, reason TEXT, params TEXT NOT NULL, documents TEXT NOT NULL,"     \
	" op INTEGER, updated_at INTEGER NOT NULL);"                                                            \
	"CREATE INDEX requests_unit ON requests (unit, state, id);"                                             \
	"CREATE INDEX requests_state ON requests (state, filed_at);"                                            \
	"CREATE TABLE request_holders (request INTEGER NOT NULL REFERENCES requests(id), holder TEXT NOT NULL," \
	" item INTEGER, result TEXT, PRIMARY KEY (request, holder));"                                           \
	"CREATE INDEX request_holders_item ON request_holders (item) WHERE item IS NOT NULL;"
