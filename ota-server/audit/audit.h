/* The audit trail: every action of every operator (who, role, scope, what, on which object, when, result) as one
 * record appended to a hash chain in the database (otad_db_v14_audit.h), with checkpoints signed by the audit key.
 *
 * Record hash: SHA-256 over the record's fields, each as a 4-byte big-endian length and its bytes, in this order:
 * "simpki-audit-v1", seq (decimal), at (decimal), actor, role, scope, action, object, result, detail, then prev (32
 * bytes). prev is the hash of record seq - 1 (32 zero bytes for record 1).
 * Checkpoint: every N records or T seconds (audit.cfg), the audit key (P-256, ECDSA with SHA-256) signs the bytes
 * "simpki-audit-checkpoint-v1" | seq (8 bytes big-endian) | hash of record seq (32) | at (8 bytes big-endian).
 *
 * Fail closed: otad_audit() returns an error when the record could not be written, and the caller then does not
 * act (the API answers 503). Secrets never go into a record.
 */
#pragma once
#include <stdint.h>

#include "otad_perm.h"

/*! Append a record: \a who did \a action (otad_action_names, or a word like "token.create") on \a object ("card
 *  8984...", "holder H1", "cert 0a1b...", "unit 01", "request 7") with \a result ("accepted", "refused", "done",
 *  "failed: ..."); \a fmt the detail (printf; may be NULL). \returns 0; -EIO (not written: do not act) */
int otad_audit(const struct otad_actor *who, const char *action, const char *object, const char *result,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
