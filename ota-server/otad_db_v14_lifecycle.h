/* Schema version 14, the lifecycle's part (owned by lifecycle/ and otad_db_lifecycle.c; lifecycle/lifecycle.h is
 * the spec of the states):
 *   lifecycle_ops(id INTEGER PRIMARY KEY, kind TEXT NOT NULL (otad_lc_kind_names), name TEXT NOT NULL, state TEXT
 *         NOT NULL ('running', 'paused', 'done', 'cancelled'), reason INTEGER (the CRLReason of the revocations it
 *         makes; NULL: the kind's), params TEXT NOT NULL (JSON: what was asked), by TEXT NOT NULL (the actor),
 *         request INTEGER (the request it executes; NULL: none), items INTEGER NOT NULL, concurrency INTEGER NOT
 *         NULL, created_at, updated_at INTEGER NOT NULL, ended_at INTEGER, unit TEXT (the lowest unit containing
 *         every item's holder, otad_request_common_unit(); NULL: the whole tree, or an item without a holder: only
 *         an unscoped token sees it))
 *   lifecycle_items(op INTEGER NOT NULL REFERENCES lifecycle_ops(id), seq INTEGER NOT NULL, holder TEXT, iccid TEXT,
 *         old_serial TEXT (the certificate acted on or replaced), state TEXT NOT NULL, txid BLOB (the CMP
 *         transactionID, made once before the first request), subject BLOB (the new subject, DER), new_serial TEXT,
 *         new_cert BLOB, job INTEGER, tries INTEGER NOT NULL DEFAULT 0, next_try INTEGER NOT NULL DEFAULT 0, error
 *         TEXT, updated_at INTEGER NOT NULL, done_at INTEGER, PRIMARY KEY (op, seq))
 *         A certificate is replaced by at most one item at a time: unique index on old_serial over the items not
 *         over (lifecycle_items_busy).
 *   certificates gains holder TEXT, pubkey_sha256 TEXT (hex), hold INTEGER NOT NULL DEFAULT 0 (1: suspended,
 *         certificateHold, may be released), replaced_by TEXT (the serial that superseded it).
 *   compromised_keys(pubkey_sha256 TEXT PRIMARY KEY, serial TEXT NOT NULL, at INTEGER NOT NULL)   a key revoked for
 *         keyCompromise is never certified again.
 */
#pragma once

#define MIGRATION_V14_LIFECYCLE                                                                                     \
	"CREATE TABLE lifecycle_ops (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,"               \
	" state TEXT NOT NULL, reason INTEGER, params TEXT NOT NULL, by TEXT NOT NULL, request INTEGER,"            \
	" items INTEGER NOT NULL DEFAULT 0, concurrency INTEGER NOT NULL, created_at INTEGER NOT NULL,"             \
	" updated_at INTEGER NOT NULL, ended_at INTEGER, unit TEXT);"                                               \
	"CREATE TABLE lifecycle_items (op INTEGER NOT NULL REFERENCES lifecycle_ops(id), seq INTEGER NOT NULL,"     \
	" holder TEXT, iccid TEXT, old_serial TEXT, state TEXT NOT NULL, txid BLOB, subject BLOB, new_serial TEXT," \
	" new_cert BLOB, job INTEGER, tries INTEGER NOT NULL DEFAULT 0, next_try INTEGER NOT NULL DEFAULT 0,"       \
	" error TEXT, updated_at INTEGER NOT NULL, done_at INTEGER, PRIMARY KEY (op, seq));"                        \
	"CREATE INDEX lifecycle_items_state ON lifecycle_items (op, state, seq);"                                   \
	"CREATE INDEX lifecycle_items_job ON lifecycle_items (job) WHERE job IS NOT NULL;"                          \
	"CREATE UNIQUE INDEX lifecycle_items_busy ON lifecycle_items (old_serial)"                                  \
	" WHERE old_serial IS NOT NULL AND state NOT IN ('done', 'failed', 'cancelled', 'skipped');"                \
	"ALTER TABLE certificates ADD COLUMN holder TEXT;"                                                          \
	"ALTER TABLE certificates ADD COLUMN pubkey_sha256 TEXT;"                                                   \
	"ALTER TABLE certificates ADD COLUMN hold INTEGER NOT NULL DEFAULT 0;"                                      \
	"ALTER TABLE certificates ADD COLUMN replaced_by TEXT;"                                                     \
	"CREATE TABLE compromised_keys (pubkey_sha256 TEXT PRIMARY KEY, serial TEXT NOT NULL, at INTEGER NOT NULL);"
