/* The audit trail in simpki-otad's database (schema: otad_db_v14_audit.h; the record and checkpoint formats:
 * audit/audit.h, audit/audit_record.h). Only audit/ writes here; every append is its own transaction, committed
 * with synchronous FULL before it returns.
 */
#pragma once
#include <stdint.h>

#include "audit/audit_record.h"
#include "otad_db.h"

/*! Append \a r in one transaction: r->seq and r->prev are set from the last record (1 and zeros for the first),
 *  then \a seal fills r->hash (and may fail: nothing is written), then the row is inserted and committed.
 *  \returns 0; -EIO (nothing written) */
int otad_db_audit_append(struct otad_db *db, struct audit_record *r, int (*seal)(struct audit_record *r, void *priv),
			 void *priv);

/*! Append \a n records (\a n >= 1) in one transaction, chained in that order: all or none. \returns 0; -EIO */
int otad_db_audit_append_n(struct otad_db *db, struct audit_record *r, size_t n,
			   int (*seal)(struct audit_record *r, void *priv), void *priv);

/*! The last record's seq and hash. \returns 0; -ENOENT (no record); -EIO */
int otad_db_audit_last(struct otad_db *db, int64_t *seq, uint8_t hash[AUDIT_HASH_LEN]);

/*! Up to \a limit records from seq \a from on, in the order of seq, to \a cb. \returns how many; -EIO */
int otad_db_audit_records(struct otad_db *db, int64_t from, unsigned limit,
			  void (*cb)(const struct audit_record *r, void *priv), void *priv);

/*! How many records, checkpoints. \returns >= 0; -EIO */
int64_t otad_db_audit_count(struct otad_db *db);
int64_t otad_db_audit_checkpoint_count(struct otad_db *db);

/*! Store checkpoint \a cp (its id is made: cp->id set). \returns 0; -EIO */
int otad_db_audit_checkpoint_add(struct otad_db *db, struct audit_checkpoint *cp);

/*! The last checkpoint made. \returns 0; -ENOENT (none); -EIO */
int otad_db_audit_checkpoint_last(struct otad_db *db, struct audit_checkpoint *cp);

/*! Up to \a limit checkpoints with an id above \a after_id, in the order they were made, to \a cb.
 *  \returns how many; -EIO */
int otad_db_audit_checkpoints(struct otad_db *db, int64_t after_id, unsigned limit,
			      void (*cb)(const struct audit_checkpoint *cp, void *priv), void *priv);
