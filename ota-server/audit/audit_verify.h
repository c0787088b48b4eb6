/* Verifying an audit trail (audit.h), without a database: pure functions over records and checkpoints, so that the
 * daemon (GET /v1/audit/verify), simpki-admin (an export, offline) and the tests run the same code.
 *
 * The chain is recomputed from record 1, records fed in the order of their seq; each checkpoint is checked when
 * the record it names has passed, and those naming a record beyond the last at the end. The FIRST problem is
 * reported, with its seq and kind (the order of the checks on one record is the order below):
 *   gap        record seq is missing (the next one has a higher seq): a record was deleted
 *   inserted   a record's seq is not above the one before (a record twice, or out of order), or its prev is not the
 *              hash of the record before: it was inserted (or the one before it replaced with its hash recomputed)
 *   changed    a record's hash is not the hash of its fields: it was changed
 *   signature  a checkpoint's signature does not verify with the audit key (or another key made it)
 *   truncated  a checkpoint names a record beyond the last one, or a hash other than that record's: the end of
 *              the trail was cut (and perhaps written again)
 * Records after the last checkpoint are chained but signed by nothing yet (records_unsigned).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "audit_record.h"

enum audit_problem_kind {
	AUDIT_OK,
	AUDIT_GAP,
	AUDIT_INSERTED,
	AUDIT_CHANGED,
	AUDIT_SIGNATURE,
	AUDIT_TRUNCATED,
	AUDIT_N_KINDS,
};
extern const char *const audit_problem_names[AUDIT_N_KINDS]; /* "ok", "gap", "inserted", ... */

struct audit_verify_result {
	bool ok;			 /* no problem */
	int64_t records;		 /* records fed */
	int64_t last_seq;		 /* the last record's seq (0: none) */
	int64_t checkpoints;		 /* checkpoints given */
	int64_t last_checkpoint_seq;	 /* the highest seq a checkpoint that verified covers, before the first problem
					  * (0: none): the trail is proven up to there */
	int64_t records_unsigned;	 /* records after it */
	int64_t problem_seq;		 /* the first problem's seq */
	enum audit_problem_kind problem; /* AUDIT_OK: none */
	char detail[256];		 /* what it is, in words */
};

/* A verification under way. Set up by audit_verify_begin(); fed records; ended by audit_verify_end(). */
struct audit_verify {
	EVP_PKEY *pub;
	char key_id[AUDIT_KEY_ID_LEN + 1];
	struct audit_checkpoint *cps; /* sorted by seq (in place) */
	size_t n_cps, next_cp;	      /* the next checkpoint to check */
	int64_t expect;		      /* the next record's seq */
	uint8_t last_hash[AUDIT_HASH_LEN];
	struct audit_verify_result res;
};

/*! Start: \a cps (\a n of them; sorted in place by seq, kept until the end) checked with the public key \a pub.
 *  \returns 0; -EIO (the key's id cannot be made) */
int audit_verify_begin(struct audit_verify *v, EVP_PKEY *pub, struct audit_checkpoint *cps, size_t n);
/*! Feed the next record (in the order of seq as stored). \returns 0; 1 a problem is found (the first is kept; more
 *  records may still be fed, they are counted); -EIO */
int audit_verify_record(struct audit_verify *v, const struct audit_record *r);
/*! End: the checkpoints beyond the last record, the counts; the result into \a res. */
void audit_verify_end(struct audit_verify *v, struct audit_verify_result *res);

/*! All at once: \a n records (in the order of seq as stored) and \a n_cps checkpoints (sorted in place).
 *  \returns 0 (see res->ok); -EIO */
int audit_verify_all(const struct audit_record *recs, size_t n, struct audit_checkpoint *cps, size_t n_cps,
		     EVP_PKEY *pub, struct audit_verify_result *res);
