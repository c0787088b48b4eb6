/* Certificate lifecycle operations (lifecycle.h): the per-item FSM and the scheduler that starts items while an
 * operation has room, on OTA jobs (otad_job.h) and the CA's CMP client (ra_cmp.h). The state table below is the
 * spec; each state is stored (lifecycle_items) before its step sends anything.
 *
 *   state    its step                                                  may go to
 *   waiting  not started; started in order while fewer than the        check, cancelled
 *            operation's concurrency are in a step
 *   check    the records (no I/O): the certificate is in force (loaded  issue, revoke, failed, cancelled,
 *            for modify and renew; not held for suspend; held for      skipped (modify: "subject unchanged")
 *            release); its key never revoked for keyCompromise
 *            (modify, renew); modify: the holder's subject as the tree
 *            is now differs from the old one's (byte for byte)
 *   issue    CMP kur for the same key (purpose modification with the    load, revoke (test-skip-ota), issue
 *            holder's subject as the tree is now, or renewal); the      (backoff), failed, cancelled
 *            txid (and the subject) made and stored once before the
 *            first request: a repeat gets the same certificate
 *   load     an OTA job (writes): the new certificate over the old      verify, load (the file was gone: create
 *            one's file (lc_script.h); outcome unknown: verify          it), load (backoff), failed, cancelled
 *   verify   an OTA job (reads): the file read back; equal: the new     revoke, load (not there or different),
 *            certificate is loaded; otherwise load again               verify (backoff), failed, cancelled
 *   keygen   rekey: an OTA job reading the SIM (campaign_script.h's    keygen (the key generated: look again;
 *            check) for the new key's iD (the old one's + 0x10);       outcome unknown: look again), enrol,
 *            listed already: enrol; otherwise an OTA job generating    keygen (backoff), failed, cancelled
 *            it in a free slot (writes)
 *   enrol    rekey: the new key's enrolment (enrol.h: the SIM's own    revoke, failed, cancelled
 *            request, CMP p10cr, load, read back); one per item: a
 *            restart finds the one it made
 *   revoke   rr: the old certificate (modify: affiliationChanged or     done, revoke (backoff), failed
 *            the operation's reason; renew: superseded), or the act
 *            (revoke: the reason, keyCompromise also records the key;
 *            suspend: certificateHold; release: removeFromCRL)
 *   done, failed, cancelled, skipped: over.
 * Pause: no item starts a new step (stored, not sent); resume sends it. Cancel: items waiting (or waiting to try
 * again) end cancelled at once, an item in a step when its step is over; after a load was sent, verify and revoke
 * still run (the holder is not left with two certificates in force).
 * A temporary failure (no PoR, the SMSC refused, the CA unreachable) keeps the item in its step with a try again
 * time (next_try, doubling from backoff_min_s up to backoff_max_s), at most retries times; the item leaves memory
 * meanwhile. A permanent one fails it with the reason in words. The old certificate is revoked only in revoke,
 * after verify found the new one on the SIM. Restart: check, issue and revoke run again (issue with the stored
 * txid; an rr answered certRevoked counts as done); load and verify look at their job.
 * Rekey leaves the old certificate's file and CDF entry on the SIM (revoked); the new key and certificate get the
 * iD old + 0x10.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "audit/audit.h"
#include "campaign_script.h"
#include "cert_info.h"
#include "enrol.h"
#include "enrol_script.h"
#include "lc_script.h"
#include "lifecycle.h"
#include "lifecycle_engine.h"
#include "otad.h"
#include "otad_job.h"
#include "ra_cmp.h"
#include "request.h"

struct otad_lc_cfg otad_lc_cfg = {
	.concurrency = 50,
	.retries = 8,
	.backoff_min_s = 15,
	.backoff_max_s = 600,
};

void (*otad_lc_on_end)(int64_t op, int64_t request, int64_t ok, int64_t failed);

enum lci_event {
	LCI_EV_JOB_DONE,   /* the step's job is over (data: const struct otad_job_row *) */
	LCI_EV_CMP_DONE,   /* the CA answered (data: const struct ra_cmp_result *) */
	LCI_EV_ENROL_DONE, /* the new key's enrolment is over (data: const struct otad_enrol_row *) */
};

static const struct value_string event_names[] = {
	{ LCI_EV_JOB_DONE, "JOB_DONE" },
	{ LCI_EV_CMP_DONE, "CMP_DONE" },
	{ LCI_EV_ENROL_DONE, "ENROL_DONE" },
	{ 0, NULL },
};

struct lcop {
	struct llist_head list;
	struct otad_lc_op op;
	struct llist_head items;
	unsigned in_step;
};

struct lcitem {
	struct llist_head list;
	struct osmo_fsm_inst *fi;
	struct lcop *o;
	struct otad_lc_item row;
	bool parked;	/* stored in a step, not sent (paused) */
	bool file_gone; /* the load's DELETE FILE found no file: create it */
	struct lc_ask *ask;
};

/* A CA request under way; the item may be gone when it comes back. */
struct lc_ask {
	int64_t op, seq;
	struct lcitem *it; /* NULL once the item is gone */
};

static LLIST_HEAD(ops);
static struct osmo_timer_list tick;
static void (*next_job_final)(const struct otad_job_row *row);
static void (*next_enrol_end)(const struct otad_enrol_row *row);

static bool is_step(enum otad_lci_state s)
{
	return s != OTAD_LCI_WAITING && !otad_lci_state_final(s);
}

static void schedule_pump(void)
{
	osmo_timer_schedule(&tick, 0, 1000);
}

int otad_lc_reason(const struct otad_lc_op *op)
{
	switch (op->kind) {
	case OTAD_LC_MODIFY:
		return op->reason >= 0 ? op->reason : 3; /* affiliationChanged */
	case OTAD_LC_RENEW:
	case OTAD_LC_REKEY:
		return 4; /* superseded */
	case OTAD_LC_REVOKE:
		return op->reason >= 0 ? op->reason : 0;
	case OTAD_LC_SUSPEND:
		return 6; /* certificateHold */
	case OTAD_LC_RELEASE:
		return 8; /* removeFromCRL */
	default:
		return 0;
	}
}

enum otad_action otad_lc_action(enum otad_lc_kind kind)
{
	static const enum otad_action a[OTAD_LC_N_KINDS] = {
		[OTAD_LC_MODIFY] = OTAD_ACT_CERT_MODIFY,   [OTAD_LC_RENEW] = OTAD_ACT_CERT_RENEW,
		[OTAD_LC_REKEY] = OTAD_ACT_CERT_REKEY,	   [OTAD_LC_REVOKE] = OTAD_ACT_CERT_REVOKE,
		[OTAD_LC_SUSPEND] = OTAD_ACT_CERT_SUSPEND, [OTAD_LC_RELEASE] = OTAD_ACT_CERT_RELEASE,
	};

	return (unsigned)kind < OTAD_LC_N_KINDS ? a[kind] : OTAD_ACT_CERT_REVOKE;
}

static const char *const crl_reasons[] = {
	"unspecified",	 "keyCompromise",	 "cACompromise",    "affiliationChanged",
	"superseded",	 "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn",	 "aACompromise",
};

int otad_crl_reason_of(const char *name)
{
	for (int i = 0; name && i < (int)ARRAY_SIZE(crl_reasons); i++)
		if (crl_reasons[i] && !strcmp(name, crl_reasons[i]))
			return i;
	return -EINVAL;
}

const char *otad_crl_reason_name(int reason)
{
	return reason >= 0 && reason < (int)ARRAY_SIZE(crl_reasons) && crl_reasons[reason] ? crl_reasons[reason] : "?";
}

/* SHA-256 of the certificate's SubjectPublicKeyInfo, hex. \returns 0; -EINVAL */
static int pubkey_hash(const uint8_t *der, size_t len, char hex[65])
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	uint8_t *spki = NULL, md[32];
	int n;

	if (!x)
		return -EINVAL;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	X509_free(x);
	if (n <= 0)
		return -EINVAL;
	SHA256(spki, (size_t)n, md);
	OPENSSL_free(spki);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Whether the subject of certificate \a der is byte for byte \a subject (a DER Name). \returns 1; 0; -EINVAL (it does
 * not parse) */
static int same_subject(const uint8_t *der, size_t len, const uint8_t *subject, size_t subject_len)
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	uint8_t *name = NULL;
	int n, same;

	if (!x)
		return -EINVAL;
	n = i2d_X509_NAME(X509_get_subject_name(x), &name);
	X509_free(x);
	if (n <= 0)
		return -EINVAL;
	same = (size_t)n == subject_len && !memcmp(name, subject, subject_len);
	OPENSSL_free(name);
	return same;
}

static void audit_end(struct lcitem *it)
{
	char obj[64], res[240];

	snprintf(obj, sizeof(obj), "cert %s", it->row.old_serial);
	if (it->row.state == OTAD_LCI_DONE && it->row.new_serial[0])
		snprintf(res, sizeof(res), "done: new %s", it->row.new_serial);
	else if (it->row.state == OTAD_LCI_DONE)
		snprintf(res, sizeof(res), "done");
	else
		snprintf(res, sizeof(res), "%s: %s", otad_lci_state_names[it->row.state], it->row.error);
	if (otad_audit(&otad_actor_daemon, otad_action_names[otad_lc_action(it->o->op.kind)], obj, res,
		       "lifecycle %lld item %lld holder %s", (long long)it->row.op, (long long)it->row.seq,
		       it->row.holder))
		LOGPFSML(it->fi, LOGL_ERROR, "the audit record of its end cannot be written\n");
}

static void launch(struct lcitem *it);

/* Store the item in state \a s (job cleared, no try again time), then enter it: a step is sent unless the operation
 * is paused; a cancelled operation turns a step into cancelled. */
static void go(struct lcitem *it, enum otad_lci_state s)
{
	/* cancelled: no new step, except what follows a load that may have run (the read-back, then the old
	 * certificate's revocation once the SIM holds the new one): a holder is not left with two in force */
	if (is_step(s) && it->o->op.state == OTAD_LC_CANCELLED && s != OTAD_LCI_VERIFY &&
	    !(s == OTAD_LCI_REVOKE && it->row.new_serial[0])) {
		snprintf(it->row.error, sizeof(it->row.error), "cancelled before %s", otad_lci_state_names[s]);
		s = OTAD_LCI_CANCELLED;
	}
	it->row.state = s;
	it->row.job = 0;
	it->row.next_try_ms = 0;
	if (s == OTAD_LCI_DONE)
		it->row.error[0] = 0;
	if (otad_db_lci_update(g_otad->db, &it->row))
		LOGPFSML(it->fi, LOGL_ERROR, "cannot store state %s: the database failed\n", otad_lci_state_names[s]);
	if (it->fi->state != s && osmo_fsm_inst_state_chg(it->fi, s, 0, 0))
		it->fi->state = s;
	if (otad_lci_state_final(s)) {
		LOGPFSML(it->fi, s == OTAD_LCI_FAILED ? LOGL_NOTICE : LOGL_INFO, "%s%s%s\n", otad_lci_state_names[s],
			 it->row.error[0] ? ": " : "", it->row.error);
		audit_end(it);
		osmo_fsm_inst_term(it->fi, OSMO_FSM_TERM_REGULAR, NULL);
		schedule_pump();
		return;
	}
	it->parked = it->o->op.state == OTAD_LC_PAUSED;
	if (!it->parked)
		launch(it);
}

/* Nothing to do for this item (modify: the subject is unchanged): it ends skipped, \a why in its error. */
static void skip(struct lcitem *it, const char *why)
{
	snprintf(it->row.error, sizeof(it->row.error), "%s", why);
	go(it, OTAD_LCI_SKIPPED);
}

static void fail(struct lcitem *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct lcitem *it, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(it->row.error, sizeof(it->row.error), fmt, ap);
	va_end(ap);
	go(it, OTAD_LCI_FAILED);
}

/* A temporary failure: the same step again after a wait (the item leaves memory meanwhile), or fail once its tries
 * are spent. */
static void backoff(struct lcitem *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void backoff(struct lcitem *it, const char *fmt, ...)
{
	unsigned wait = otad_lc_cfg.backoff_min_s ? otad_lc_cfg.backoff_min_s : 1;
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (it->row.tries >= otad_lc_cfg.retries) {
		fail(it, "%s (gave up after %u tries)", why, it->row.tries + 1);
		return;
	}
	for (unsigned i = 0; i < it->row.tries && wait < otad_lc_cfg.backoff_max_s; i++)
		wait *= 2;
	if (wait > otad_lc_cfg.backoff_max_s)
		wait = otad_lc_cfg.backoff_max_s;
	it->row.tries++;
	it->row.job = 0;
	it->row.next_try_ms = otad_now_ms() + (int64_t)wait * 1000;
	snprintf(it->row.error, sizeof(it->row.error), "%s; try %u in %u s", why, it->row.tries + 1, wait);
	if (otad_db_lci_update(g_otad->db, &it->row))
		LOGPFSML(it->fi, LOGL_ERROR, "cannot store its try again: the database failed\n");
	LOGPFSML(it->fi, LOGL_INFO, "%s: %s\n", otad_lci_state_names[it->row.state], it->row.error);
	osmo_fsm_inst_term(it->fi, OSMO_FSM_TERM_REGULAR, NULL);
	schedule_pump();
}

/* The old certificate (and its key's hash, recorded when missing). \returns 0; fails the item and -1 otherwise */
static int old_cert(struct lcitem *it, struct otad_lc_cert *lc)
{
	int rc = otad_db_lc_cert_get(g_otad->db, it->row.old_serial, lc);

	if (rc == -ENOENT) {
		fail(it, "certificate %s is not in the records", it->row.old_serial);
		return -1;
	}
	if (rc) {
		backoff(it, "the database failed");
		return -1;
	}
	if (!lc->pubkey_sha256[0]) {
		if (pubkey_hash(lc->der, lc->c.der_len, lc->pubkey_sha256)) {
			fail(it, "certificate %s does not parse", it->row.old_serial);
			return -1;
		}
		otad_db_lc_cert_annotate(g_otad->db, lc->c.id, lc->holder, lc->pubkey_sha256);
	}
	return 0;
}

/* modify: whether the subject the holder would get now is the old certificate's, byte for byte (nothing to do).
 * No subject now (no holder, the card gone) is not "unchanged": issue says why it fails. */
static bool modify_unchanged(const struct otad_lc_cert *lc)
{
	static uint8_t subject[OTAD_ENROL_SUBJECT_MAX];
	struct otad_card card;
	char err[200];
	int n;

	if (otad_db_card_get(g_otad->db, lc->c.iccid, &card))
		return false;
	n = otad_enrol_holder_subject(&card, subject, sizeof(subject), err, sizeof(err));
	return n > 0 && same_subject(lc->der, lc->c.der_len, subject, (size_t)n) == 1;
}

static void step_check(struct lcitem *it)
{
	static struct otad_lc_cert lc;
	enum otad_lc_kind kind = it->o->op.kind;
	int rc;

	if (old_cert(it, &lc))
		return;
	if (lc.c.status == OTAD_CERT_REVOKED) {
		fail(it, "certificate %s is revoked (%s)", lc.c.serial, otad_crl_reason_name(lc.c.reason));
		return;
	}
	switch (kind) {
	case OTAD_LC_MODIFY:
	case OTAD_LC_RENEW:
		rc = otad_db_lc_key_compromised(g_otad->db, lc.pubkey_sha256);
		if (rc < 0) {
			backoff(it, "the database failed");
			return;
		}
		if (rc) {
			fail(it,
			     "key compromised: the key of certificate %s was revoked for keyCompromise and is never "
			     "certified again",
			     lc.c.serial);
			return;
		}
		if (lc.c.status != OTAD_CERT_LOADED) {
			fail(it, "certificate %s is not on the SIM (status %s)", lc.c.serial,
			     otad_cert_status_names[lc.c.status]);
			return;
		}
		if (lc.hold) {
			fail(it, "certificate %s is suspended: release it first", lc.c.serial);
			return;
		}
		if (kind == OTAD_LC_MODIFY && modify_unchanged(&lc)) {
			skip(it, "subject unchanged");
			return;
		}
		go(it, OTAD_LCI_ISSUE);
		return;
	case OTAD_LC_REKEY:
		if (lc.hold) {
			fail(it, "certificate %s is suspended: release it first", lc.c.serial);
			return;
		}
		if (lc.c.status != OTAD_CERT_LOADED) {
			fail(it, "certificate %s is not on the SIM (status %s)", lc.c.serial,
			     otad_cert_status_names[lc.c.status]);
			return;
		}
		go(it, OTAD_LCI_KEYGEN);
		return;
	case OTAD_LC_SUSPEND:
		if (lc.hold) {
			fail(it, "certificate %s is suspended already", lc.c.serial);
			return;
		}
		break;
	case OTAD_LC_RELEASE:
		if (!lc.hold) {
			fail(it, "certificate %s is not suspended", lc.c.serial);
			return;
		}
		break;
	default:
		break;
	}
	go(it, OTAD_LCI_REVOKE);
}

static void cmp_done(const struct ra_cmp_result *res, void *priv)
{
	struct lc_ask *a = priv;

	if (a->it) {
		a->it->ask = NULL;
		osmo_fsm_inst_dispatch(a->it->fi, LCI_EV_CMP_DONE, (void *)res);
	} else {
		LOGP(DCAMP, LOGL_INFO,
		     "lifecycle %lld item %lld: the CA's late answer (%s) is dropped; the item asks "
		     "again when it resumes\n",
		     (long long)a->op, (long long)a->seq, ra_cmp_status_names[res->status]);
	}
	talloc_free(a);
}

static struct lc_ask *ask_new(struct lcitem *it)
{
	struct lc_ask *a = talloc_zero(g_otad->ctx, struct lc_ask);

	if (!a)
		return NULL;
	a->op = it->row.op;
	a->seq = it->row.seq;
	a->it = it;
	it->ask = a;
	return a;
}

static void ask_failed(struct lcitem *it, int rc)
{
	it->ask->it = NULL;
	talloc_free(it->ask);
	it->ask = NULL;
	if (rc == -ENOSPC || rc == -ENOMEM)
		backoff(it, "the CA's queue is full");
	else
		fail(it, "the request cannot be made (%s)", strerror(-rc));
}

static void step_issue(struct lcitem *it)
{
	static struct otad_lc_cert lc;
	struct otad_card card;
	char err[200];
	int rc, n;

	if (!g_otad->ra) {
		fail(it, "no CA is configured ('ca' node)");
		return;
	}
	if (old_cert(it, &lc))
		return;
	if (!it->row.txid_len) {
		/* made and stored once, before the first request: every repeat carries it */
		if (it->o->op.kind == OTAD_LC_MODIFY) {
			rc = otad_db_card_get(g_otad->db, lc.c.iccid, &card);
			n = rc ? rc :
				 otad_enrol_holder_subject(&card, it->row.subject, sizeof(it->row.subject), err,
							   sizeof(err));
			if (n < 0) {
				fail(it, "no subject for the holder: %s",
				     rc == -ENOENT ? "the card is gone" :
				     n == -ENODATA ? "the card has no holder" :
						     err);
				return;
			}
			it->row.subject_len = (size_t)n;
		}
		if (RAND_bytes(it->row.txid, OTAD_LC_TXID_LEN) != 1) {
			fail(it, "no random transactionID (OpenSSL's random generator failed)");
			return;
		}
		it->row.txid_len = OTAD_LC_TXID_LEN;
		if (otad_db_lci_update(g_otad->db, &it->row)) {
			it->row.txid_len = 0;
			backoff(it, "the database failed: the transactionID is not stored");
			return;
		}
	}
	if (!ask_new(it)) {
		backoff(it, "out of memory");
		return;
	}
	rc = ra_cmp_kur_same_key_async(
		g_otad->ra, lc.der, lc.c.der_len, it->row.subject_len ? it->row.subject : NULL, it->row.subject_len,
		NULL, it->o->op.kind == OTAD_LC_MODIFY ? "modification" : "renewal", it->row.txid, cmp_done, it->ask);
	if (rc)
		ask_failed(it, rc);
}

static uint16_t cert_fid_of(struct lcitem *it, const char *key_id);

static void start_job(struct lcitem *it, const uint8_t *script, int len, bool idempotent)
{
	struct otad_job_opts opts = { .bearer = OTAD_JOB_BEARER_AUTO };
	char err[160];
	int64_t id;
	int rc;

	if (len < 0) {
		fail(it, "the %s script cannot be built (%s)", otad_lci_state_names[it->row.state],
		     len == -E2BIG ? "too long for one job" : "bad input");
		return;
	}
	rc = otad_job_create(it->row.iccid, otad_enrol_cfg.tar, script, (size_t)len, idempotent, &opts, &id, err,
			     sizeof(err));
	if (rc == -ESTALE || rc == -EIO || rc == -ENOMEM) {
		backoff(it, "the %s job cannot be made now: %s", otad_lci_state_names[it->row.state], err);
		return;
	}
	if (rc) {
		fail(it, "the %s job cannot be made: %s", otad_lci_state_names[it->row.state], err);
		return;
	}
	it->row.job = id;
	if (otad_db_lci_update(g_otad->db, &it->row))
		LOGPFSML(it->fi, LOGL_ERROR, "cannot store job %lld: the database failed\n", (long long)id);
	LOGPFSML(it->fi, LOGL_INFO, "%s: job %lld\n", otad_lci_state_names[it->row.state], (long long)id);
}

/* The new certificate is on the SIM: recorded loaded; the old one's revocation is next. */
static void loaded(struct lcitem *it)
{
	static struct otad_lc_cert nc;

	if (otad_db_lc_cert_get(g_otad->db, it->row.new_serial, &nc) == 0 &&
	    otad_db_cert_set_status(g_otad->db, nc.c.id, OTAD_CERT_LOADED, -1) < 0)
		LOGPFSML(it->fi, LOGL_ERROR, "cannot record certificate %s as loaded\n", it->row.new_serial);
	go(it, OTAD_LCI_REVOKE);
}

static void step_load(struct lcitem *it)
{
	uint8_t script[ENROL_SCRIPT_MAX];
	static struct otad_lc_cert lc;
	uint16_t fid;

	if (otad_lc_cfg.test_skip_ota) {
		loaded(it);
		return;
	}
	if (old_cert(it, &lc))
		return;
	fid = cert_fid_of(it, lc.c.key_id);
	if (!fid)
		return;
	start_job(
		it, script,
		lc_script_replace(fid, it->row.new_cert, it->row.new_cert_len, !it->file_gone, script, sizeof(script)),
		false);
}

static void step_verify(struct lcitem *it)
{
	uint8_t script[ENROL_SCRIPT_MAX];
	static struct otad_lc_cert lc;
	uint16_t fid;

	if (otad_lc_cfg.test_skip_ota) {
		loaded(it);
		return;
	}
	if (old_cert(it, &lc))
		return;
	fid = cert_fid_of(it, lc.c.key_id);
	if (!fid)
		return;
	start_job(it, script, enrol_script_verify(fid, it->row.new_cert_len, script, sizeof(script)), true);
}

static void step_revoke(struct lcitem *it)
{
	static struct otad_lc_cert lc;
	int rc;

	if (!g_otad->ra) {
		fail(it, "no CA is configured ('ca' node)");
		return;
	}
	if (old_cert(it, &lc))
		return;
	if (!ask_new(it)) {
		backoff(it, "out of memory");
		return;
	}
	rc = ra_cmp_revoke_async(g_otad->ra, lc.der, lc.c.der_len, otad_lc_reason(&it->o->op), cmp_done, it->ask);
	if (rc)
		ask_failed(it, rc);
}

/* The old key's kind: the new key is of the same (RSA-2048 or P-256). */
static enum campaign_alg key_alg(const uint8_t *der, size_t len)
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	bool rsa = x && EVP_PKEY_get_base_id(X509_get0_pubkey(x)) == EVP_PKEY_RSA;

	X509_free(x);
	return rsa ? CAMPAIGN_ALG_RSA2048 : CAMPAIGN_ALG_P256;
}

/* The new key's iD (rekey): the old key's + 0x10. \returns it; 0 (the item failed) */
static uint8_t new_key_id(struct lcitem *it, const struct otad_lc_cert *lc)
{
	int id = atoi(lc->c.key_id) + 0x10;

	if (id < 0x11 || id > 255) {
		fail(it, "no PKCS#15 iD for a new key after %s", lc->c.key_id);
		return 0;
	}
	return (uint8_t)id;
}

/* keygen: first a look at the SIM (reads), then the key generated (writes) when it is not there. */
static void step_keygen(struct lcitem *it)
{
	uint8_t script[ENROL_SCRIPT_MAX];
	static struct otad_lc_cert lc;

	if (old_cert(it, &lc) || !new_key_id(it, &lc))
		return;
	start_job(it, script, campaign_script_check(script, sizeof(script)), true);
}

static void step_enrol(struct lcitem *it);

static void launch(struct lcitem *it)
{
	it->parked = false;
	switch (it->row.state) {
	case OTAD_LCI_CHECK:
		step_check(it);
		break;
	case OTAD_LCI_ISSUE:
		step_issue(it);
		break;
	case OTAD_LCI_LOAD:
		step_load(it);
		break;
	case OTAD_LCI_VERIFY:
		step_verify(it);
		break;
	case OTAD_LCI_KEYGEN:
		step_keygen(it);
		break;
	case OTAD_LCI_ENROL:
		step_enrol(it);
		break;
	case OTAD_LCI_REVOKE:
		step_revoke(it);
		break;
	default:
		break;
	}
}

struct fid_q {
	uint8_t key_id;
	uint16_t fid;
};

static void fid_cb(const struct otad_enrol_row *e, void *priv)
{
	struct fid_q *q = priv;

	if (!q->fid && e->key_id == q->key_id && e->state == OTAD_ENROL_DONE && e->cert_fid)
		q->fid = e->cert_fid;
}

/* The file of the key's certificate on the SIM: where the newest enrolment of that key put it (a replacement keeps
 * the file). 0 (the item failed) when no enrolment of this server loaded one. */
static uint16_t cert_fid_of(struct lcitem *it, const char *key_id)
{
	struct fid_q q = { .key_id = (uint8_t)atoi(key_id) };

	if (otad_db_enrols_of_card(g_otad->db, it->row.iccid, 64, fid_cb, &q) < 0) {
		backoff(it, "the database failed");
		return 0;
	}
	if (!q.fid)
		fail(it, "the SIM's file of key %s's certificate is unknown (no enrolment of this server loaded it)",
		     key_id);
	return q.fid;
}

static void job_not_ok(struct lcitem *it, const struct otad_job_row *j)
{
	const char *step = otad_lci_state_names[it->row.state];

	if (j->state == OTAD_JOB_CANCELLED && it->o->op.state == OTAD_LC_CANCELLED) {
		go(it, it->row.state); /* cancelled at this step */
		return;
	}
	if (j->state == OTAD_JOB_TIMED_OUT || j->state == OTAD_JOB_FAILED) {
		backoff(it, "the %s job %lld ended %s: %s", step, (long long)j->id, otad_job_state_names[j->state],
			j->error[0] ? j->error : "no reason given");
		return;
	}
	fail(it, "the %s job %lld ended %s: %s", step, (long long)j->id, otad_job_state_names[j->state],
	     j->error[0] ? j->error : "no reason given");
}

static void st_issue(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct lcitem *it = fi->priv;
	const struct ra_cmp_result *res = data;
	static struct otad_lc_cert lc, nc;
	char serial[41], hash[65];
	int64_t not_after;

	if (res->status == RA_CMP_UNREACHABLE) {
		backoff(it, "the CA could not be reached: %s", res->text);
		return;
	}
	if (res->status != RA_CMP_DONE) {
		fail(it, "the CA %s the request: %s",
		     res->status == RA_CMP_REJECTED ? "refused" : "gave no usable answer to", res->text);
		return;
	}
	if (old_cert(it, &lc))
		return;
	if (!res->cert_len || res->cert_len > ENROL_CERT_MAX ||
	    cert_info(res->cert, res->cert_len, serial, &not_after) || pubkey_hash(res->cert, res->cert_len, hash)) {
		fail(it, "the CA's certificate is too long for the SIM's file or does not parse (%zu bytes)",
		     res->cert_len);
		return;
	}
	if (strcmp(hash, lc.pubkey_sha256)) {
		fail(it, "the CA's certificate %s is for another key than certificate %s", serial, lc.c.serial);
		return;
	}
	memcpy(it->row.new_cert, res->cert, res->cert_len);
	it->row.new_cert_len = res->cert_len;
	snprintf(it->row.new_serial, sizeof(it->row.new_serial), "%s", serial);
	/* recorded once: a repeat answered with the same certificate finds it */
	if (otad_db_lc_cert_get(g_otad->db, serial, &nc) == -ENOENT) {
		struct otad_cert ct = { .status = OTAD_CERT_ISSUED, .der = res->cert, .der_len = res->cert_len };

		snprintf(ct.iccid, sizeof(ct.iccid), "%s", lc.c.iccid);
		snprintf(ct.key_id, sizeof(ct.key_id), "%s", lc.c.key_id);
		snprintf(ct.profile, sizeof(ct.profile), "%s", lc.c.profile);
		snprintf(ct.serial, sizeof(ct.serial), "%s", serial);
		ct.not_after = not_after;
		if (otad_db_cert_insert(g_otad->db, &ct) == 0)
			otad_db_lc_cert_annotate(g_otad->db, ct.id, lc.holder, hash);
		else
			LOGPFSML(fi, LOGL_ERROR, "cannot record certificate %s\n", serial);
	}
	LOGPFSML(fi, LOGL_INFO, "the CA issued serial %s for the same key\n", serial);
	it->row.tries = 0;
	go(it, OTAD_LCI_LOAD);
}

static void st_load(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct lcitem *it = fi->priv;
	const struct otad_job_row *j = data;
	char why[160];
	int rc;

	if (j->state == OTAD_JOB_UNKNOWN || j->state == OTAD_JOB_TIMED_OUT) {
		LOGPFSML(fi, LOGL_NOTICE, "the load job's outcome is unknown: reading the certificate back\n");
	} else if (j->state != OTAD_JOB_POR_OK) {
		job_not_ok(it, j);
		return;
	} else {
		rc = lc_replace_parse(j->por_response, j->por_response_len, it->row.new_cert_len, !it->file_gone, why,
				      sizeof(why));
		if (rc == -ENOENT && !it->file_gone) {
			LOGPFSML(fi, LOGL_NOTICE, "%s: creating it\n", why);
			it->file_gone = true;
			go(it, OTAD_LCI_LOAD);
			return;
		}
		if (rc) {
			fail(it, "%s", why);
			return;
		}
	}
	go(it, OTAD_LCI_VERIFY);
}

static void st_verify(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct lcitem *it = fi->priv;
	const struct otad_job_row *j = data;
	char why[160];
	int rc;

	if (j->state != OTAD_JOB_POR_OK) {
		job_not_ok(it, j);
		return;
	}
	rc = enrol_verify_parse(j->por_response, j->por_response_len, it->row.new_cert, it->row.new_cert_len, why,
				sizeof(why));
	if (rc) {
		/* not there (the load did not run, or stopped after its delete) or still the old one: load again */
		if (it->row.tries >= otad_lc_cfg.retries) {
			fail(it, "%s (after %u loads)", why, it->row.tries + 1);
			return;
		}
		LOGPFSML(fi, LOGL_NOTICE, "%s: loading it again\n", why);
		it->file_gone = rc == -ENOENT;
		it->row.tries++;
		go(it, OTAD_LCI_LOAD);
		return;
	}
	LOGPFSML(fi, LOGL_INFO, "certificate %s is on the SIM, read back equal\n", it->row.new_serial);
	loaded(it);
}

static void st_keygen(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct lcitem *it = fi->priv;
	const struct otad_job_row *j = data;
	static struct otad_lc_cert lc;
	struct campaign_view v;
	uint8_t script[ENROL_SCRIPT_MAX], id;
	char why[160];

	if (old_cert(it, &lc) || !(id = new_key_id(it, &lc)))
		return;
	if (!j->idempotent) {
		/* the keygen job: done, or (outcome unknown) look again; a key listed is never generated again */
		if (j->state == OTAD_JOB_UNKNOWN || j->state == OTAD_JOB_TIMED_OUT) {
			LOGPFSML(fi, LOGL_NOTICE, "the keygen job's outcome is unknown: reading the SIM's PrKDF\n");
			go(it, OTAD_LCI_KEYGEN);
		} else if (j->state != OTAD_JOB_POR_OK) {
			job_not_ok(it, j);
		} else if (campaign_keygen_parse(j->por_response, j->por_response_len, why, sizeof(why))) {
			fail(it, "%s", why);
		} else {
			go(it, OTAD_LCI_ENROL);
		}
		return;
	}
	if (j->state != OTAD_JOB_POR_OK) {
		job_not_ok(it, j);
		return;
	}
	if (campaign_check_parse(j->por_response, j->por_response_len, id, &v, why, sizeof(why))) {
		fail(it, "%s", why);
		return;
	}
	if (v.files < CAMPAIGN_P15_FILES) {
		fail(it, "the SIM has no complete PKCS#15 structure (%u of its %d files)", v.files, CAMPAIGN_P15_FILES);
		return;
	}
	if (v.has_key) {
		LOGPFSML(fi, LOGL_INFO, "key %02X is on the SIM: its enrolment\n", id);
		go(it, OTAD_LCI_ENROL);
		return;
	}
	if (v.ev.free_key_ref < 0) {
		fail(it, "the SIM has no free key slot for a new key");
		return;
	}
	start_job(it, script,
		  campaign_script_keygen(key_alg(lc.der, lc.c.der_len), (uint8_t)v.ev.free_key_ref, id, lc.c.profile,
					 v.ev.prkdf_used, script, sizeof(script)),
		  false);
}

struct enrol_q {
	uint8_t key_id;
	int64_t since, id;
};

static void enrol_cb(const struct otad_enrol_row *e, void *priv)
{
	struct enrol_q *q = priv;

	if (!q->id && e->key_id == q->key_id && e->created_ms >= q->since && !e->campaign)
		q->id = e->id;
}

/* enrol: the new key's enrolment; one per item (after a restart, the one it made is found again). */
static void step_enrol(struct lcitem *it)
{
	static struct otad_enrol_row e;
	static struct otad_lc_cert lc;
	uint8_t subject[OTAD_ENROL_SUBJECT_MAX], id;
	struct otad_card card;
	char err[200];
	int64_t eid;
	int rc, n;

	if (old_cert(it, &lc) || !(id = new_key_id(it, &lc)))
		return;
	if (!it->row.job) {
		struct enrol_q q = { .key_id = id, .since = it->row.updated_ms };

		otad_db_enrols_of_card(g_otad->db, it->row.iccid, 16, enrol_cb, &q);
		it->row.job = q.id;
	}
	if (it->row.job) {
		otad_db_lci_update(g_otad->db, &it->row);
		if (otad_db_enrol_get(g_otad->db, it->row.job, &e) == 0 &&
		    (e.state == OTAD_ENROL_DONE || e.state == OTAD_ENROL_FAILED))
			osmo_fsm_inst_dispatch(it->fi, LCI_EV_ENROL_DONE, &e);
		return; /* otherwise it runs, and its end comes */
	}
	rc = otad_db_card_get(g_otad->db, it->row.iccid, &card);
	n = rc ? rc : otad_enrol_holder_subject(&card, subject, sizeof(subject), err, sizeof(err));
	if (n < 0) {
		fail(it, "no subject for the holder: %s",
		     rc == -ENOENT ? "the card is gone" :
		     n == -ENODATA ? "the card has no holder" :
				     err);
		return;
	}
	rc = otad_enrol_start_for(0, it->row.iccid, id, lc.c.profile, card.holder, subject, (size_t)n, NULL, &eid, err,
				  sizeof(err));
	if (rc == -ESTALE || rc == -EIO || rc == -ENOMEM) {
		backoff(it, "the enrolment cannot start now: %s", err);
		return;
	}
	if (rc) {
		fail(it, "the enrolment cannot start: %s", err);
		return;
	}
	it->row.job = eid;
	if (otad_db_lci_update(g_otad->db, &it->row))
		LOGPFSML(it->fi, LOGL_ERROR, "cannot store enrolment %lld: the database failed\n", (long long)eid);
	LOGPFSML(it->fi, LOGL_INFO, "key %02X: enrolment %lld\n", id, (long long)eid);
}

static void st_enrol(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct lcitem *it = fi->priv;
	const struct otad_enrol_row *e = data;
	static struct otad_lc_cert nc;
	char serial[41], hash[65];
	int64_t na;

	if (e->state != OTAD_ENROL_DONE) {
		fail(it, "enrolment %lld of the new key: %.150s", (long long)e->id, e->error);
		return;
	}
	if (cert_info(e->cert, e->cert_len, serial, &na) || pubkey_hash(e->cert, e->cert_len, hash)) {
		fail(it, "enrolment %lld's certificate does not parse", (long long)e->id);
		return;
	}
	memcpy(it->row.new_cert, e->cert, e->cert_len);
	it->row.new_cert_len = e->cert_len;
	snprintf(it->row.new_serial, sizeof(it->row.new_serial), "%s", serial);
	if (otad_db_lc_cert_get(g_otad->db, serial, &nc) == 0)
		otad_db_lc_cert_annotate(g_otad->db, nc.c.id, it->row.holder, hash);
	LOGPFSML(fi, LOGL_INFO, "the new key's certificate %s is on the SIM\n", serial);
	go(it, OTAD_LCI_REVOKE);
}

static void st_revoke(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct lcitem *it = fi->priv;
	const struct ra_cmp_result *res = data;
	static struct otad_lc_cert lc;
	enum otad_lc_kind kind = it->o->op.kind;
	int reason = otad_lc_reason(&it->o->op), rc;
	bool again = res->status == RA_CMP_REJECTED && (res->fail_info & (1UL << 10)); /* certRevoked */

	if (res->status == RA_CMP_UNREACHABLE) {
		backoff(it, "the CA could not be reached: %s", res->text);
		return;
	}
	if (res->status != RA_CMP_DONE && !(again && kind != OTAD_LC_RELEASE && kind != OTAD_LC_SUSPEND)) {
		fail(it, "the CA %s the revocation: %s",
		     res->status == RA_CMP_REJECTED ? "refused" : "gave no usable answer to", res->text);
		return;
	}
	if (old_cert(it, &lc))
		return;
	if (kind == OTAD_LC_SUSPEND || kind == OTAD_LC_RELEASE)
		rc = otad_db_lc_cert_hold(g_otad->db, lc.c.serial, kind == OTAD_LC_SUSPEND);
	else
		rc = otad_db_lc_cert_revoke(g_otad->db, lc.c.serial, reason,
					    it->row.new_serial[0] ? it->row.new_serial : NULL, lc.pubkey_sha256);
	if (rc)
		LOGPFSML(fi, LOGL_ERROR, "the CA did it, but the records cannot say so (%s)\n", strerror(-rc));
	LOGPFSML(fi, LOGL_INFO, "certificate %s: rr %s done\n", lc.c.serial, otad_crl_reason_name(reason));
	go(it, OTAD_LCI_DONE);
}

#define S(x) (1 << (x))
#define ENDS (S(OTAD_LCI_FAILED) | S(OTAD_LCI_CANCELLED))

static const struct osmo_fsm_state lci_states[] = {
	[OTAD_LCI_WAITING] = { .name = "waiting", .out_state_mask = S(OTAD_LCI_CHECK) | S(OTAD_LCI_CANCELLED) },
	[OTAD_LCI_CHECK] = { .name = "check",
			     .out_state_mask = S(OTAD_LCI_ISSUE) | S(OTAD_LCI_KEYGEN) | S(OTAD_LCI_REVOKE) |
					       S(OTAD_LCI_SKIPPED) | ENDS },
	[OTAD_LCI_ISSUE] = { .name = "issue",
			     .in_event_mask = S(LCI_EV_CMP_DONE),
			     .out_state_mask = S(OTAD_LCI_LOAD) | S(OTAD_LCI_REVOKE) | ENDS,
			     .action = st_issue },
	[OTAD_LCI_LOAD] = { .name = "load",
			    .in_event_mask = S(LCI_EV_JOB_DONE),
			    .out_state_mask = S(OTAD_LCI_VERIFY) | S(OTAD_LCI_LOAD) | S(OTAD_LCI_REVOKE) | ENDS,
			    .action = st_load },
	[OTAD_LCI_VERIFY] = { .name = "verify",
			      .in_event_mask = S(LCI_EV_JOB_DONE),
			      .out_state_mask = S(OTAD_LCI_REVOKE) | S(OTAD_LCI_LOAD) | ENDS,
			      .action = st_verify },
	[OTAD_LCI_KEYGEN] = { .name = "keygen",
			      .in_event_mask = S(LCI_EV_JOB_DONE),
			      .out_state_mask = S(OTAD_LCI_KEYGEN) | S(OTAD_LCI_ENROL) | ENDS,
			      .action = st_keygen },
	[OTAD_LCI_ENROL] = { .name = "enrol",
			     .in_event_mask = S(LCI_EV_ENROL_DONE),
			     .out_state_mask = S(OTAD_LCI_REVOKE) | ENDS,
			     .action = st_enrol },
	[OTAD_LCI_REVOKE] = { .name = "revoke",
			      .in_event_mask = S(LCI_EV_CMP_DONE),
			      .out_state_mask = S(OTAD_LCI_DONE) | ENDS,
			      .action = st_revoke },
	[OTAD_LCI_DONE] = { .name = "done" },
	[OTAD_LCI_FAILED] = { .name = "failed" },
	[OTAD_LCI_CANCELLED] = { .name = "cancelled" },
	[OTAD_LCI_SKIPPED] = { .name = "skipped" },
};

static void lci_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct lcitem *it = fi->priv;

	if (it->ask)
		it->ask->it = NULL;
	llist_del(&it->list);
	it->o->in_step--;
}

struct osmo_fsm otad_lci_fsm = {
	.name = "lifecycle-item",
	.states = lci_states,
	.num_states = ARRAY_SIZE(lci_states),
	.event_names = event_names,
	.cleanup = lci_cleanup,
	.log_subsys = DCAMP,
};

static __attribute__((constructor)) void register_fsm(void)
{
	OSMO_ASSERT(osmo_fsm_register(&otad_lci_fsm) == 0);
}

static struct lcitem *item_alloc(struct lcop *o, const struct otad_lc_item *row)
{
	struct lcitem *it = talloc_zero(g_otad->ctx, struct lcitem);
	char id[64];

	if (!it)
		return NULL;
	snprintf(id, sizeof(id), "lc%lld-%lld", (long long)row->op, (long long)row->seq);
	it->fi = osmo_fsm_inst_alloc(&otad_lci_fsm, it, it, LOGL_INFO, id);
	if (!it->fi) {
		talloc_free(it);
		return NULL;
	}
	talloc_steal(g_otad->ctx, it->fi);
	talloc_steal(it->fi, it);
	it->o = o;
	it->row = *row;
	it->fi->state = row->state;
	llist_add_tail(&it->list, &o->items);
	o->in_step++;
	return it;
}

static struct lcop *op_find(int64_t id)
{
	struct lcop *o;

	llist_for_each_entry(o, &ops, list) if (o->op.id == id) return o;
	return NULL;
}

static struct lcop *op_alloc(const struct otad_lc_op *op)
{
	struct lcop *o = talloc_zero(g_otad->ctx, struct lcop);

	if (!o)
		return NULL;
	o->op = *op;
	INIT_LLIST_HEAD(&o->items);
	llist_add_tail(&o->list, &ops);
	return o;
}

struct rows {
	struct otad_lc_item *v;
	size_t n, max;
};

static void collect(const struct otad_lc_item *row, void *priv)
{
	struct rows *r = priv;

	if (r->n < r->max)
		r->v[r->n++] = *row;
}

/* Up to \a max items of \a o that may start now. */
static void read_ready(struct lcop *o, unsigned max, struct rows *r)
{
	r->n = 0;
	r->max = max;
	r->v = talloc_array(g_otad->ctx, struct otad_lc_item, max ? max : 1);
	if (r->v)
		otad_db_lci_ready(g_otad->db, o->op.id, otad_now_ms(), max, collect, r);
}

static void op_ended(struct lcop *o)
{
	int64_t n[OTAD_LCI_N_STATES], backoff = 0;

	if (otad_db_lc_update(g_otad->db, &o->op))
		LOGP(DCAMP, LOGL_ERROR, "lifecycle %lld: cannot store its end: the database failed\n",
		     (long long)o->op.id);
	LOGP(DCAMP, LOGL_NOTICE, "lifecycle %lld (%s): %s\n", (long long)o->op.id, o->op.name,
	     otad_lc_state_names[o->op.state]);
	if (otad_lc_on_end && otad_db_lc_counts(g_otad->db, o->op.id, n, &backoff) == 0)
		otad_lc_on_end(o->op.id, o->op.request, n[OTAD_LCI_DONE],
			       n[OTAD_LCI_FAILED] + n[OTAD_LCI_CANCELLED] + n[OTAD_LCI_SKIPPED]);
	llist_del(&o->list);
	talloc_free(o);
}

static void pump_one(struct lcop *o)
{
	while (o->op.state == OTAD_LC_RUNNING && o->in_step < o->op.concurrency) {
		unsigned room = o->op.concurrency - o->in_step;
		struct rows r;

		/* 256 rows at a time, as long as there are items to start */
		read_ready(o, room < 256 ? room : 256, &r);
		for (size_t i = 0; i < r.n; i++) {
			struct lcitem *it = item_alloc(o, &r.v[i]);

			if (it)
				go(it, it->row.state == OTAD_LCI_WAITING ? OTAD_LCI_CHECK : it->row.state);
		}
		talloc_free(r.v);
		if (!r.n)
			break;
	}
	if (o->in_step)
		return;
	if (o->op.state == OTAD_LC_CANCELLED) {
		o->op.ended_ms = otad_now_ms();
	} else if (o->op.state == OTAD_LC_RUNNING) {
		if (otad_db_lci_pending(g_otad->db, o->op.id) != 0)
			return;
		o->op.state = OTAD_LC_DONE;
		o->op.ended_ms = otad_now_ms();
	} else {
		return;
	}
	op_ended(o);
}

static void pump(void *data)
{
	struct lcop *o, *tmp;

	llist_for_each_entry_safe(o, tmp, &ops, list) pump_one(o);
	if (!llist_empty(&ops))
		osmo_timer_schedule(&tick, 1, 0);
}

static void job_final(const struct otad_job_row *row)
{
	struct lcop *o;
	struct lcitem *it;

	llist_for_each_entry(o, &ops, list)
	{
		llist_for_each_entry(it, &o->items, list)
		{
			if (it->row.job == row->id &&
			    (it->row.state == OTAD_LCI_LOAD || it->row.state == OTAD_LCI_VERIFY ||
			     it->row.state == OTAD_LCI_KEYGEN)) {
				osmo_fsm_inst_dispatch(it->fi, LCI_EV_JOB_DONE, (void *)row);
				return;
			}
		}
	}
	if (next_job_final)
		next_job_final(row);
}

static void enrol_end(const struct otad_enrol_row *row)
{
	struct lcop *o;
	struct lcitem *it;

	if (next_enrol_end)
		next_enrol_end(row);
	if (row->campaign)
		return;
	llist_for_each_entry(o, &ops, list)
	{
		llist_for_each_entry(it, &o->items, list)
		{
			if (it->row.state == OTAD_LCI_ENROL && it->row.job == row->id) {
				osmo_fsm_inst_dispatch(it->fi, LCI_EV_ENROL_DONE, (void *)row);
				return;
			}
		}
	}
}

void otad_lc_init(void)
{
	osmo_timer_setup(&tick, pump, NULL);
	next_job_final = otad_job_final_cb;
	otad_job_final_cb = job_final;
	next_enrol_end = otad_enrol_end_cb;
	otad_enrol_end_cb = enrol_end;
}

typedef char unit_t[OTAD_UNIT_CODE_MAX + 1];

struct check_ctx {
	const struct otad_actor *who;
	enum otad_action action;
	unit_t *units; /* the items' holders' units (talloc), each run of one unit once */
	size_t n;
	bool unbound; /* an item without a holder (or its holder without a unit) */
};

static int check_holder(const char *holder, const char *unit, void *priv)
{
	struct check_ctx *c = priv;
	size_t len = strlen(unit);
	int rc = otad_perm(g_otad->db, c->who, c->action, unit);

	if (rc)
		return rc;
	if (!len || len > OTAD_UNIT_CODE_MAX) {
		c->unbound = true;
	} else if (!c->n || strcmp(c->units[c->n - 1], unit)) {
		if (!(c->n & (c->n + 1))) { /* 0, 1, 3, 7, ...: room for twice as many */
			unit_t *u = talloc_realloc(g_otad->ctx, c->units, unit_t, 2 * (c->n + 1));

			if (!u)
				return -ENOMEM;
			c->units = u;
		}
		memcpy(c->units[c->n++], unit, len + 1);
	}
	return 0;
}

static int unit_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int unit_parent(const char *unit, char out[OTAD_UNIT_CODE_MAX + 1], void *priv)
{
	struct otad_unit u;
	int rc = otad_db_unit_get(priv, unit, &u);

	if (!rc)
		memcpy(out, u.parent, sizeof(u.parent));
	return rc;
}

/* The operation's unit: the lowest containing every item's holder (otad_request_common_unit()); "": the whole tree
 * (an item without a holder, or units without a common one). */
static void op_unit(struct check_ctx *c, unit_t out)
{
	const char **list;
	size_t n = 0;

	out[0] = 0;
	if (c->unbound || !c->n)
		return;
	qsort(c->units, c->n, sizeof(unit_t), unit_cmp);
	list = talloc_array(c->units, const char *, c->n);
	if (!list)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (!n || strcmp(list[n - 1], c->units[i]))
			list[n++] = c->units[i];
	if (otad_request_common_unit(list, n, unit_parent, g_otad->db, out))
		out[0] = 0;
}

int otad_lc_create(const struct otad_actor *who, const struct otad_lc_params *p, const struct otad_lc_select *sel,
		   int64_t *id, char *err, size_t errlen)
{
	static struct otad_lc_op op;
	struct check_ctx cc = { .who = who };
	struct lcop *o;
	char date[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	if ((unsigned)p->kind >= OTAD_LC_N_KINDS) {
		snprintf(err, errlen, "no such kind");
		return -EINVAL;
	}
	if (p->reason == 7 || p->reason > 10 || p->reason < -1 ||
	    (p->reason >= 0 && p->kind != OTAD_LC_REVOKE && p->kind != OTAD_LC_MODIFY) ||
	    (p->kind == OTAD_LC_MODIFY && p->reason >= 0 && p->reason != 3 && p->reason != 4) ||
	    (p->kind == OTAD_LC_REVOKE && (p->reason == 6 || p->reason == 8))) {
		snprintf(err, errlen,
			 "reason: revoke takes a CRLReason but certificateHold and removeFromCRL (suspend and "
			 "release do those), modify affiliationChanged or superseded, the others none");
		return -EINVAL;
	}
	if (p->concurrency > 10000) {
		snprintf(err, errlen, "concurrency: 1 to 10000");
		return -EINVAL;
	}
	memset(&op, 0, sizeof(op));
	op.kind = p->kind;
	op.reason = p->reason;
	op.concurrency = p->concurrency ? p->concurrency : otad_lc_cfg.concurrency;
	op.request = p->request;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	if (p->name && p->name[0])
		snprintf(op.name, sizeof(op.name), "%s", p->name);
	else
		snprintf(op.name, sizeof(op.name), "%s %s", otad_lc_kind_names[p->kind], date);
	snprintf(op.by, sizeof(op.by), "%s", who->name);
	snprintf(op.params, sizeof(op.params), "{\"kind\":\"%s\",\"select\":\"%s\",\"reason\":%d,\"concurrency\":%u}",
		 otad_lc_kind_names[p->kind],
		 sel->holders ? "holders" :
		 sel->serials ? "serials" :
		 sel->unit    ? "unit" :
				"unit_change",
		 p->reason, op.concurrency);
	cc.action = otad_lc_action(p->kind);
	rc = otad_db_lc_create(g_otad->db, &op, sel, check_holder, &cc, err, errlen);
	if (rc == -EPERM || (rc > 0)) {
		talloc_free(cc.units);
		otad_audit(who, otad_action_names[cc.action], "lifecycle (new)", "refused", "%s", err);
		return -EPERM;
	}
	if (!rc) {
		op_unit(&cc, op.unit);
		/* not stored: no unit, only an unscoped token sees it (the safe side) */
		if (otad_db_lc_set_unit(g_otad->db, op.id, op.unit))
			LOGP(DCAMP, LOGL_ERROR, "lifecycle %lld: its unit %s cannot be stored\n", (long long)op.id,
			     op.unit);
	}
	talloc_free(cc.units);
	if (rc)
		return rc;
	if (otad_audit(who, "lifecycle.create", "lifecycle", "accepted", "operation %lld: %s of %lld certificates",
		       (long long)op.id, otad_lc_kind_names[op.kind], (long long)op.items)) {
		/* fail closed: an operation nobody can account for does not run */
		op.state = OTAD_LC_CANCELLED;
		op.ended_ms = otad_now_ms();
		otad_db_lci_cancel_pending(g_otad->db, op.id);
		otad_db_lc_update(g_otad->db, &op);
		snprintf(err, errlen, "the audit record cannot be written");
		return -EIO;
	}
	o = op_alloc(&op);
	if (!o) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*id = op.id;
	LOGP(DCAMP, LOGL_NOTICE, "lifecycle %lld (%s): %s of %lld certificates by %s, concurrency %u\n",
	     (long long)op.id, op.name, otad_lc_kind_names[op.kind], (long long)op.items, op.by, op.concurrency);
	pump_one(o);
	schedule_pump();
	return 0;
}

static int open_op(int64_t id, struct lcop **out)
{
	struct otad_lc_op op;
	int rc;

	*out = op_find(id);
	if (*out)
		return (*out)->op.state == OTAD_LC_CANCELLED ? -EALREADY : 0;
	rc = otad_db_lc_get(g_otad->db, id, &op);
	return rc ? rc : -EALREADY;
}

static int set_state(struct lcop *o, enum otad_lc_state s)
{
	enum otad_lc_state old = o->op.state;

	o->op.state = s;
	if (otad_db_lc_update(g_otad->db, &o->op)) {
		o->op.state = old;
		return -EIO;
	}
	LOGP(DCAMP, LOGL_NOTICE, "lifecycle %lld (%s): %s\n", (long long)o->op.id, o->op.name, otad_lc_state_names[s]);
	return 0;
}

int otad_lc_pause(int64_t id)
{
	struct lcop *o;
	int rc = open_op(id, &o);

	if (rc)
		return rc;
	if (o->op.state == OTAD_LC_PAUSED)
		return -EALREADY;
	return set_state(o, OTAD_LC_PAUSED);
}

int otad_lc_resume(int64_t id)
{
	struct lcitem *it, *tmp;
	struct lcop *o;
	int rc = open_op(id, &o);

	if (rc)
		return rc;
	if (o->op.state == OTAD_LC_RUNNING)
		return -EALREADY;
	rc = set_state(o, OTAD_LC_RUNNING);
	if (rc)
		return rc;
	llist_for_each_entry_safe(it, tmp, &o->items, list) if (it->parked) launch(it);
	schedule_pump();
	return 0;
}

int otad_lc_cancel(int64_t id)
{
	struct lcitem *it, *tmp;
	struct lcop *o;
	int rc = open_op(id, &o);

	if (rc)
		return rc;
	rc = set_state(o, OTAD_LC_CANCELLED);
	if (rc)
		return rc;
	if (otad_db_lci_cancel_pending(g_otad->db, id) < 0)
		LOGP(DCAMP, LOGL_ERROR, "lifecycle %lld: cannot cancel its waiting items\n", (long long)id);
	/* items stopped before a step end now; the others when their step is over (a certificate issued is
	 * recorded as issued; the old one stays in force) */
	llist_for_each_entry_safe(it, tmp, &o->items, list)
	{
		char err[160];

		if (it->parked)
			go(it, it->row.state);
		else if (it->row.job)
			otad_job_cancel(it->row.job, err, sizeof(err));
	}
	schedule_pump();
	return 0;
}

static void newest_job(const struct otad_job_row *job, void *priv)
{
	int64_t *id = priv;

	if (!*id && !memcmp(job->tar, otad_enrol_cfg.tar, 3))
		*id = job->id;
}

static void resume_item(struct lcop *o, const struct otad_lc_item *row)
{
	static struct otad_job_row job;
	struct lcitem *it = item_alloc(o, row);

	if (!it)
		return;
	if ((row->state == OTAD_LCI_LOAD || row->state == OTAD_LCI_VERIFY || row->state == OTAD_LCI_KEYGEN) &&
	    !row->job) {
		struct otad_job_filter f = {
			.iccid = row->iccid, .state = -1, .since_ms = row->updated_ms, .limit = 1
		};

		otad_db_jobs_list(g_otad->db, &f, newest_job, &it->row.job);
		if (it->row.job) {
			LOGPFSML(it->fi, LOGL_NOTICE, "job %lld was made before the stop: taken as the step's\n",
				 (long long)it->row.job);
			otad_db_lci_update(g_otad->db, &it->row);
		}
	}
	if (it->row.job && row->state != OTAD_LCI_ENROL) {
		if (otad_db_job_get(g_otad->db, it->row.job, &job) == 0 && otad_job_state_final(job.state))
			osmo_fsm_inst_dispatch(it->fi, LCI_EV_JOB_DONE, &job);
		/* otherwise the job runs and job_final() comes */
		return;
	}
	if (o->op.state == OTAD_LC_RUNNING)
		launch(it);
	else if (o->op.state == OTAD_LC_CANCELLED)
		go(it, it->row.state);
	else
		it->parked = true;
}

struct seqs {
	int64_t *v;
	size_t n, max;
};

static void collect_seq(const struct otad_lc_item *row, void *priv)
{
	struct seqs *q = priv;

	if (q->n == q->max) {
		size_t max = q->max ? 2 * q->max : 256;
		int64_t *v = talloc_realloc(g_otad->ctx, q->v, int64_t, max);

		if (!v)
			return;
		q->v = v;
		q->max = max;
	}
	q->v[q->n++] = row->seq;
}

/* After a restart: every item stored in a step (their seqs first: acting changes the rows a query walks; a row is
 * read again just before it is resumed). */
static void resume_op(const struct otad_lc_op *op, void *priv)
{
	static struct otad_lc_item row;
	unsigned *n = priv;
	struct lcop *o = op_alloc(op);
	struct seqs q = { 0 };

	if (!o)
		return;
	otad_db_lci_in_step(g_otad->db, op->id, collect_seq, &q);
	for (size_t i = 0; i < q.n; i++)
		if (otad_db_lci_get(g_otad->db, op->id, q.v[i], &row) == 0 && is_step(row.state) && !row.next_try_ms)
			resume_item(o, &row);
	talloc_free(q.v);
	*n += o->in_step;
	LOGP(DCAMP, LOGL_NOTICE, "lifecycle %lld (%s): %s, %u items in a step\n", (long long)op->id, op->name,
	     otad_lc_state_names[op->state], o->in_step);
}

int otad_lc_resume_all(void)
{
	unsigned n = 0;
	int rc = otad_db_lc_list(g_otad->db, true, 0, 0, resume_op, &n);

	if (rc < 0)
		return rc;
	schedule_pump();
	return (int)n;
}

void otad_lc_stop_all(void)
{
	struct lcop *o, *tmp;
	struct lcitem *it, *itmp;

	osmo_timer_del(&tick);
	llist_for_each_entry_safe(o, tmp, &ops, list)
	{
		llist_for_each_entry_safe(it, itmp, &o->items, list)
			osmo_fsm_inst_term(it->fi, OSMO_FSM_TERM_REQUEST, NULL);
		llist_del(&o->list);
		talloc_free(o);
	}
}

int otad_lc_progress(const struct otad_lc_op *op, struct otad_lc_progress *p)
{
	const int64_t window_ms = 5 * 60 * 1000;
	int64_t now = otad_now_ms(), since, recent = 0, left, end;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = otad_db_lc_counts(g_otad->db, op->id, p->n, &p->backoff);
	if (rc)
		return rc;
	p->done = p->n[OTAD_LCI_DONE] + p->n[OTAD_LCI_FAILED] + p->n[OTAD_LCI_CANCELLED] + p->n[OTAD_LCI_SKIPPED];
	since = now - window_ms > op->created_ms ? now - window_ms : op->created_ms;
	if (op->ended_ms)
		since = op->created_ms;
	rc = otad_db_lc_done_since(g_otad->db, op->id, since, &recent);
	if (rc)
		return rc;
	end = op->ended_ms ? op->ended_ms : now;
	if (end > since && recent)
		p->per_minute = (double)recent * 60000.0 / (double)(end - since);
	left = op->items - p->done;
	p->eta_s = op->ended_ms || !left ? 0 : p->per_minute > 0 ? (int64_t)((double)left * 60.0 / p->per_minute) : -1;
	return 0;
}
