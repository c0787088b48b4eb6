/* The audit trail inside simpki-otad (audit.h, audit_daemon.h): otad_audit() appends one record in its own
 * transaction (otad_db_audit_append(), synchronous FULL) and fails closed; checkpoints are signed with the audit key
 * every cp_records records, every cp_interval_s seconds (an osmo_timer on the select loop) and at the stop. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "audit.h"
#include "audit_daemon.h"
#include "audit_key.h"
#include "otad.h"
#include "otad_db_audit.h"

struct audit_cfg audit_cfg = {
	.key = NULL, /* "audit.key" (set by the daemon's main, or the VTY) */
	.cp_records = 1000,
	.cp_interval_s = 60,
};

static struct {
	void *ctx;
	struct otad_db *db;
	EVP_PKEY *key;
	char key_id[AUDIT_KEY_ID_LEN + 1];
	struct rate_ctr_group *ctrs;
	struct osmo_timer_list tick;
	int64_t last_cp_seq; /* the last checkpoint's seq */
	unsigned since_cp;   /* records appended since it */
} au;

static void ctr(unsigned idx)
{
	if (au.ctrs)
		rate_ctr_inc(rate_ctr_group_get_ctr(au.ctrs, idx));
}

static int seal(struct audit_record *r, void *priv)
{
	(void)priv;
	return audit_record_hash(r, r->hash);
}

/* \a who's fields and the rest into \a r (seq, prev and hash are the append's). */
static void fill(struct audit_record *r, const struct otad_actor *who, const char *action, const char *object,
		 const char *result, const char *detail)
{
	char actor[AUDIT_ACTOR_MAX + 8];

	memset(r, 0, sizeof(*r));
	r->at = otad_now_ms();
	snprintf(actor, sizeof(actor), "%s%s", who->via && !strcmp(who->via, "api") ? "api/" : "", who->name);
	audit_text_clean(r->actor, sizeof(r->actor), actor);
	audit_text_clean(r->role, sizeof(r->role),
			 (unsigned)who->role < OTAD_N_ROLES ? otad_role_names[who->role] : "unknown");
	audit_text_clean(r->scope, sizeof(r->scope), who->scope);
	audit_text_clean(r->action, sizeof(r->action), action);
	audit_text_clean(r->object, sizeof(r->object), object);
	audit_text_clean(r->result, sizeof(r->result), result);
	audit_text_clean(r->detail, sizeof(r->detail), detail);
}

/* \a n records appended: count them, checkpoint when due. */
static void appended(const struct audit_record *last, size_t n)
{
	if (au.ctrs)
		rate_ctr_add(rate_ctr_group_get_ctr(au.ctrs, OTAD_CTR_AUDIT_RECORDS), (int64_t)n);
	LOGP(DAUDIT, LOGL_INFO, "#%" PRId64 " %s %s %s: %s%s\n", last->seq, last->actor, last->action, last->object,
	     last->result, n > 1 ? " (the last of a group)" : "");
	au.since_cp += (unsigned)n;
	if (au.since_cp >= audit_cfg.cp_records)
		audit_checkpoint();
}

int otad_audit(const struct otad_actor *who, const char *action, const char *object, const char *result,
	       const char *fmt, ...)
{
	char detail[AUDIT_DETAIL_MAX] = "";
	struct audit_record r;
	va_list ap;

	if (!au.db) {
		LOGP(DAUDIT, LOGL_ERROR, "%s on %s refused: the audit trail is not running\n", action, object);
		ctr(OTAD_CTR_AUDIT_FAILURES);
		return -EIO;
	}
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	fill(&r, who, action, object, result, detail);
	if (otad_db_audit_append(au.db, &r, seal, NULL)) {
		LOGP(DAUDIT, LOGL_ERROR, "cannot write the audit record of %s on %s by %s: the action is refused\n",
		     r.action, r.object, r.actor);
		ctr(OTAD_CTR_AUDIT_FAILURES);
		return -EIO;
	}
	appended(&r, 1);
	return 0;
}

int otad_audit_many(const struct otad_actor *who, const char *action, size_t n, const char *const *objects,
		    const char *result, const char *detail)
{
	struct audit_record *r;

	if (!n || n > AUDIT_MANY_MAX)
		return -EINVAL;
	if (!au.db) {
		LOGP(DAUDIT, LOGL_ERROR, "%s on %zu objects refused: the audit trail is not running\n", action, n);
		ctr(OTAD_CTR_AUDIT_FAILURES);
		return -EIO;
	}
	r = malloc(n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		fill(&r[i], who, action, objects[i], result, detail);
	if (otad_db_audit_append_n(au.db, r, n, seal, NULL)) {
		LOGP(DAUDIT, LOGL_ERROR, "cannot write the %zu audit records of %s by %s: the action is refused\n", n,
		     r[0].action, r[0].actor);
		ctr(OTAD_CTR_AUDIT_FAILURES);
		free(r);
		return -EIO;
	}
	appended(&r[n - 1], n);
	free(r);
	return 0;
}

int audit_checkpoint(void)
{
	struct audit_checkpoint cp;
	int rc;

	if (!au.db)
		return -EIO;
	memset(&cp, 0, sizeof(cp));
	rc = otad_db_audit_last(au.db, &cp.seq, cp.hash);
	if (rc == -ENOENT || (!rc && cp.seq <= au.last_cp_seq))
		return 0;
	cp.at = otad_now_ms();
	if (rc || audit_key_sign(au.key, &cp) || otad_db_audit_checkpoint_add(au.db, &cp)) {
		LOGP(DAUDIT, LOGL_ERROR, "cannot make a checkpoint of the audit trail (up to record %" PRId64 ")\n",
		     cp.seq);
		ctr(OTAD_CTR_AUDIT_FAILURES);
		return -EIO;
	}
	au.last_cp_seq = cp.seq;
	au.since_cp = 0;
	ctr(OTAD_CTR_AUDIT_CHECKPOINTS);
	LOGP(DAUDIT, LOGL_INFO, "checkpoint %" PRId64 " signed: records up to %" PRId64 "\n", cp.id, cp.seq);
	return 0;
}

static void on_tick(void *data)
{
	(void)data;
	audit_checkpoint();
	osmo_timer_schedule(&au.tick, audit_cfg.cp_interval_s, 0);
}

/* The last checkpoint against the trail's end: logged, never refused (the trail is the evidence). */
static int check_end(void)
{
	struct audit_checkpoint cp;
	int64_t seq = 0;
	uint8_t hash[AUDIT_HASH_LEN];
	int rc = otad_db_audit_checkpoint_last(au.db, &cp);

	if (rc == -ENOENT)
		return 0;
	if (rc)
		return -EIO;
	au.last_cp_seq = cp.seq;
	rc = otad_db_audit_last(au.db, &seq, hash);
	if (rc && rc != -ENOENT)
		return -EIO;
	if (!audit_key_verify(au.key, &cp) || strcmp(cp.key_id, au.key_id))
		LOGP(DAUDIT, LOGL_ERROR,
		     "the last checkpoint (%" PRId64 ") does not verify with the audit key %s: another key, or it was "
		     "altered ('GET /v1/audit/verify')\n",
		     cp.id, au.key_id);
	if (seq < cp.seq) {
		LOGP(DAUDIT, LOGL_ERROR,
		     "the audit trail ends at record %" PRId64 ", but the last checkpoint covers %" PRId64
		     ": its end was cut\n",
		     seq, cp.seq);
	} else if (seq > cp.seq) {
		LOGP(DAUDIT, LOGL_NOTICE,
		     "%" PRId64 " audit records after the last checkpoint (the daemon stopped without one, or they "
		     "were added since): 'GET /v1/audit/verify' checks their chain\n",
		     seq - cp.seq);
	}
	return 0;
}

int audit_start(void *ctx, struct otad_db *db, EVP_PKEY *key, struct rate_ctr_group *ctrs)
{
	if (audit_key_id(key, au.key_id))
		return -EIO;
	au.ctx = ctx;
	au.db = db;
	au.key = key;
	au.ctrs = ctrs;
	au.since_cp = 0;
	au.last_cp_seq = 0;
	if (check_end()) {
		au.db = NULL;
		return -EIO;
	}
	osmo_timer_setup(&au.tick, on_tick, NULL);
	osmo_timer_schedule(&au.tick, audit_cfg.cp_interval_s, 0);
	LOGP(DAUDIT, LOGL_NOTICE, "audit trail: key %s, a checkpoint every %u records or %u s\n", au.key_id,
	     audit_cfg.cp_records, audit_cfg.cp_interval_s);
	return 0;
}

void audit_stop(void)
{
	if (!au.db)
		return;
	audit_checkpoint();
	osmo_timer_del(&au.tick);
	au.db = NULL;
	EVP_PKEY_free(au.key);
	au.key = NULL;
}

EVP_PKEY *audit_key(void)
{
	return au.key;
}

int audit_status(struct audit_status *st)
{
	struct audit_checkpoint cp;
	uint8_t hash[AUDIT_HASH_LEN];
	int rc;

	memset(st, 0, sizeof(*st));
	if (!au.db)
		return 0;
	st->started = true;
	snprintf(st->key_id, sizeof(st->key_id), "%s", au.key_id);
	st->records = otad_db_audit_count(au.db);
	st->checkpoints = otad_db_audit_checkpoint_count(au.db);
	rc = otad_db_audit_last(au.db, &st->last_seq, hash);
	if (st->records < 0 || st->checkpoints < 0 || (rc && rc != -ENOENT))
		return -EIO;
	rc = otad_db_audit_checkpoint_last(au.db, &cp);
	if (rc && rc != -ENOENT)
		return -EIO;
	if (!rc) {
		st->last_cp_seq = cp.seq;
		st->last_cp_at = cp.at;
	}
	return 0;
}

/* ---- the trail in the database, verified in pages ---- */

#define PAGE 1000

struct cps {
	struct audit_checkpoint *a;
	size_t n, cap;
	bool nomem;
};

static void add_cp(const struct audit_checkpoint *cp, void *priv)
{
	struct cps *c = priv;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct audit_checkpoint *a = realloc(c->a, cap * sizeof(*a));

		if (!a) {
			c->nomem = true;
			return;
		}
		c->a = a;
		c->cap = cap;
	}
	c->a[c->n++] = *cp;
}

struct feed {
	struct audit_verify *v;
	int64_t next;
	bool failed;
};

static void feed_record(const struct audit_record *r, void *priv)
{
	struct feed *f = priv;

	if (audit_verify_record(f->v, r) < 0)
		f->failed = true;
	f->next = r->seq + 1;
}

int audit_verify_db(struct otad_db *db, EVP_PKEY *pub, struct audit_verify_result *res)
{
	struct cps c = { 0 };
	struct audit_verify v;
	struct feed f = { .v = &v, .next = 1 };
	int64_t after = 0;
	int n, rc = 0;

	do {
		size_t before = c.n;

		n = otad_db_audit_checkpoints(db, after, PAGE, add_cp, &c);
		if (c.n > before)
			after = c.a[c.n - 1].id;
	} while (n == PAGE && !c.nomem);
	if (n < 0 || c.nomem) {
		free(c.a);
		return n < 0 ? -EIO : -ENOMEM;
	}
	if (audit_verify_begin(&v, pub, c.a, c.n)) {
		free(c.a);
		return -EIO;
	}
	/* from the lowest seq stored: a deleted record 1 is a gap like any other */
	f.next = INT64_MIN;
	do
		n = otad_db_audit_records(db, f.next, PAGE, feed_record, &f);
	while (n == PAGE && !f.failed);
	if (n < 0 || f.failed)
		rc = -EIO;
	else
		audit_verify_end(&v, res);
	free(c.a);
	return rc;
}
