/* Verifying an audit trail (audit_verify.h): the chain from record 1, the checkpoints in the order of their seq,
 * the first problem reported. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "audit_key.h"
#include "audit_verify.h"

const char *const audit_problem_names[AUDIT_N_KINDS] = {
	[AUDIT_OK] = "ok",
	[AUDIT_GAP] = "gap",
	[AUDIT_INSERTED] = "inserted",
	[AUDIT_CHANGED] = "changed",
	[AUDIT_SIGNATURE] = "signature",
	[AUDIT_TRUNCATED] = "truncated",
};

__attribute__((format(printf, 4, 5))) static void problem(struct audit_verify *v, int64_t seq,
							  enum audit_problem_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (v->res.problem != AUDIT_OK)
		return;
	v->res.ok = false;
	v->res.problem = kind;
	v->res.problem_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->res.detail, sizeof(v->res.detail), fmt, ap);
	va_end(ap);
}

static int by_seq(const void *a, const void *b)
{
	const struct audit_checkpoint *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : (x->id > y->id) - (x->id < y->id);
}

int audit_verify_begin(struct audit_verify *v, EVP_PKEY *pub, struct audit_checkpoint *cps, size_t n)
{
	memset(v, 0, sizeof(*v));
	v->pub = pub;
	if (audit_key_id(pub, v->key_id))
		return -EIO;
	v->cps = cps;
	v->n_cps = n;
	if (n)
		qsort(cps, n, sizeof(*cps), by_seq);
	v->expect = 1;
	v->res.ok = true;
	v->res.checkpoints = (int64_t)n;
	return 0;
}

/* Checkpoint \a cp's signature and key. \returns true when good */
static bool cp_signed(struct audit_verify *v, const struct audit_checkpoint *cp)
{
	if (strcmp(cp->key_id, v->key_id)) {
		problem(v, cp->seq, AUDIT_SIGNATURE,
			"checkpoint %" PRId64 " (seq %" PRId64
			") was signed by key %.16s..., not the audit key %.16s...",
			cp->id, cp->seq, cp->key_id, v->key_id);
		return false;
	}
	if (!audit_key_verify(v->pub, cp)) {
		problem(v, cp->seq, AUDIT_SIGNATURE,
			"checkpoint %" PRId64 " (seq %" PRId64 "): its signature does not verify with the audit key",
			cp->id, cp->seq);
		return false;
	}
	return true;
}

/* The checkpoints that name record \a r (just passed, good or not). */
static void checkpoints_at(struct audit_verify *v, const struct audit_record *r)
{
	while (v->next_cp < v->n_cps && v->cps[v->next_cp].seq <= r->seq) {
		const struct audit_checkpoint *cp = &v->cps[v->next_cp++];

		if (cp->seq < r->seq) { /* its record was never fed: missing (a gap reported already) or < 1 */
			problem(v, cp->seq, AUDIT_TRUNCATED,
				"checkpoint %" PRId64 " names record %" PRId64 ", which is not in the trail", cp->id,
				cp->seq);
			continue;
		}
		if (!cp_signed(v, cp))
			continue;
		if (CRYPTO_memcmp(cp->hash, r->hash, AUDIT_HASH_LEN)) {
			problem(v, cp->seq, AUDIT_TRUNCATED,
				"checkpoint %" PRId64 " signed another hash for record %" PRId64
				" than it has now: the trail "
				"after seq %" PRId64 " was cut and written again",
				cp->id, cp->seq, v->res.last_checkpoint_seq);
			continue;
		}
		if (v->res.problem == AUDIT_OK) /* the trail is proven up to here */
			v->res.last_checkpoint_seq = cp->seq;
	}
}

int audit_verify_record(struct audit_verify *v, const struct audit_record *r)
{
	uint8_t h[AUDIT_HASH_LEN];
	static const uint8_t zero[AUDIT_HASH_LEN];

	v->res.records++;
	if (r->seq > v->expect)
		problem(v, v->expect, AUDIT_GAP,
			v->expect + 1 == r->seq ? "record %" PRId64 " is missing (deleted)" :
						  "records %" PRId64 " to %" PRId64 " are missing (deleted)",
			v->expect, r->seq - 1);
	else if (r->seq < v->expect)
		problem(v, r->seq, AUDIT_INSERTED,
			"a record with seq %" PRId64 " comes after record %" PRId64 ": inserted", r->seq,
			v->expect - 1);
	else if (CRYPTO_memcmp(r->prev, r->seq == 1 ? zero : v->last_hash, AUDIT_HASH_LEN))
		problem(v, r->seq, AUDIT_INSERTED,
			"record %" PRId64 " does not follow record %" PRId64
			" (its prev is not that record's hash): it was "
			"inserted, or the one before it replaced",
			r->seq, r->seq - 1);
	if (audit_record_hash(r, h))
		return -EIO;
	if (CRYPTO_memcmp(h, r->hash, AUDIT_HASH_LEN))
		problem(v, r->seq, AUDIT_CHANGED, "record %" PRId64 " was changed: its hash is not that of its fields",
			r->seq);
	memcpy(v->last_hash, r->hash, AUDIT_HASH_LEN);
	if (r->seq >= v->expect)
		v->expect = r->seq + 1;
	v->res.last_seq = r->seq;
	checkpoints_at(v, r);
	return v->res.problem != AUDIT_OK;
}

void audit_verify_end(struct audit_verify *v, struct audit_verify_result *res)
{
	for (; v->next_cp < v->n_cps; v->next_cp++) {
		const struct audit_checkpoint *cp = &v->cps[v->next_cp];

		if (cp_signed(v, cp))
			problem(v, cp->seq, AUDIT_TRUNCATED,
				"checkpoint %" PRId64 " covers records up to %" PRId64
				", but the trail ends at %" PRId64 ": its end was cut",
				cp->id, cp->seq, v->res.last_seq);
	}
	v->res.records_unsigned = v->res.last_seq - v->res.last_checkpoint_seq;
	*res = v->res;
}

int audit_verify_all(const struct audit_record *recs, size_t n, struct audit_checkpoint *cps, size_t n_cps,
		     EVP_PKEY *pub, struct audit_verify_result *res)
{
	struct audit_verify v;

	if (audit_verify_begin(&v, pub, cps, n_cps))
		return -EIO;
	for (size_t i = 0; i < n; i++)
		if (audit_verify_record(&v, &recs[i]) < 0)
			return -EIO;
	audit_verify_end(&v, res);
	return 0;
}
