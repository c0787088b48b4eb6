/* The audit trail inside simpki-otad (audit.h says what a record is): its configuration (the 'audit' VTY node,
 * audit_vty.c), its start and stop, checkpoints every N records or T seconds and at the stop, what 'show audit'
 * and the API show, and the verification of the trail in the database.
 *
 * Until audit_start() nothing is written and otad_audit() fails closed (-EIO). A checkpoint that cannot be made is
 * logged and counted (audit:failures), and tried again at the next record or tick; it never fails an action.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "audit_verify.h"

struct otad_db;
struct rate_ctr_group;

struct audit_cfg {
	char *key;		/* the key file (default "audit.key", relative to the configuration's directory) */
	bool key_create;	/* make it when missing */
	unsigned cp_records;	/* a checkpoint every N records (default 1000) */
	unsigned cp_interval_s; /* and every T seconds when records came since the last (default 60) */
};
extern struct audit_cfg audit_cfg;

/*! The 'audit' node (call after vty_init). */
void audit_vty_init(void);

/*! Start appending to \a db, checkpoints signed with \a key (taken: freed by audit_stop()); \a ctrs: simpki-otad's
 *  rate counters (may be NULL). Checks the last checkpoint against the trail's end and logs what it finds.
 *  \returns 0; -EIO (the key's id cannot be made, the database cannot be read) */
int audit_start(void *ctx, struct otad_db *db, EVP_PKEY *key, struct rate_ctr_group *ctrs);
struct otad_actor;
/*! Record one action of \a who on \a n objects (a bulk step: one record per object, \a objects[i], each with
 *  \a result and \a detail, which may be NULL) in ONE transaction, all or none: otad_audit() for many at the
 *  cost of one commit. \returns 0; -EINVAL (\a n is 0 or above AUDIT_MANY_MAX); -ENOMEM; -EIO (none written: do
 *  not act) */
#define AUDIT_MANY_MAX 10000
int otad_audit_many(const struct otad_actor *who, const char *action, size_t n, const char *const *objects,
		    const char *result, const char *detail);

/*! A checkpoint over the records since the last, then stop (otad_audit() fails closed again). */
void audit_stop(void);

/*! A checkpoint now, when records came since the last. \returns 0 (made, or nothing to cover); -EIO */
int audit_checkpoint(void);

struct audit_status {
	bool started;
	int64_t records, last_seq, checkpoints;
	int64_t last_cp_seq, last_cp_at; /* 0: no checkpoint yet */
	char key_id[AUDIT_KEY_ID_LEN + 1];
};
/*! \returns 0; -EIO */
int audit_status(struct audit_status *st);

/*! The audit key (its public half is what verifies); NULL before audit_start(). */
EVP_PKEY *audit_key(void);

/*! Verify the trail in \a db with \a pub (audit_verify.h), in pages (memory: the checkpoints and one page).
 *  \returns 0 (see res->ok); -EIO; -ENOMEM */
int audit_verify_db(struct otad_db *db, EVP_PKEY *pub, struct audit_verify_result *res);
