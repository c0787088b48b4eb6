/* Schema version 14, the remote PIN resets' part (owned by pinreset/ and otad_db_pinreset.c; pinreset/pinreset.h
 * and pinreset/pinreset.c's state table are the spec):
 *   pin_resets(id INTEGER PRIMARY KEY, holder TEXT NOT NULL, iccid TEXT NOT NULL, mode TEXT NOT NULL
 *         (otad_pin_reset_mode_names), state TEXT NOT NULL ('job', 'notify', 'done', 'failed'), job INTEGER (the OTA
 *         job that carries the RESET RETRY COUNTER; NULL until made), request INTEGER (the request it executes;
 *         NULL: none), by TEXT NOT NULL (the actor's name), created_at, updated_at INTEGER NOT NULL (Unix ms),
 *         error TEXT (why it failed, or what the PoR said))
 *         One reset at a time per card: unique index on iccid over the resets not over (pin_resets_busy).
 *         Never the PIN: a one-time PIN lives only in its job's script, which is scrubbed when the job ends.
 */
#pragma once

#define MIGRATION_V14_PINRESET                                                                             \
	"CREATE TABLE pin_resets (id INTEGER PRIMARY KEY, holder TEXT NOT NULL, iccid TEXT NOT NULL,"      \
	" mode TEXT NOT NULL, state TEXT NOT NULL, job INTEGER, request INTEGER, by TEXT NOT NULL,"        \
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, error TEXT);"                          \
	"CREATE UNIQUE INDEX pin_resets_busy ON pin_resets (iccid) WHERE state NOT IN ('done', 'failed');" \
	"CREATE INDEX pin_resets_job ON pin_resets (job) WHERE job IS NOT NULL;"
