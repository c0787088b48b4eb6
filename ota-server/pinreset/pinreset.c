/* Remote PIN reset by a counter (pinreset.h): one osmo_fsm per reset, its state stored (pin_resets,
 * otad_db_pinreset.h) before it acts, so a restart resumes it. The state table is the spec:
 *
 *   state   takes       may go to        meaning
 *   (start)             job              otad_pin_reset_start(): the holder exists, the actor may (otad_perm
 *                                        pin.reset on the holder's unit), the identity number matches (constant
 *                                        time; a mismatch is refused and audited), the card (the holder's, the one
 *                                        with a usable certificate first) has no reset under way, the act is
 *                                        audited (fail closed), then one OTA job to the PKI applet's TAR
 *                                        (otad_enrol_cfg.tar), never idempotent (at most once): 00 2C 02 01 06 OTP
 *                                        (a random one-time PIN) or 00 2C 03 01 (unblock)
 *   job     JOB_END     notify, failed   the job ended: its PoR says (otad_pin_reset_outcome_of()): 9000 notify;
 *                                        no PoR (unknown, timed-out): a one-time PIN may have been set, so the
 *                                        holder gets it all the same ("may have been reset") and the reset fails;
 *                                        anything else: failed, with the status word explained
 *   notify              done, failed     the SMS to the holder (notify.h; the one-time PIN read back from the job's
 *                                        script, marked secret), then the job's script scrubbed from the database
 *                                        (otad_db_job_scrub(), zeros) and every buffer that held the PIN wiped
 *   done, failed: over; audited ("done" / "failed: ..."); otad_pin_reset_on_end is called once.
 * The one-time PIN is never logged and never stored but in the job's script, which the scrub zeroes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "audit/audit.h"
#include "enrol.h"
#include "notify.h"
#include "otad.h"
#include "otad_db_pinreset.h"
#include "otad_job.h"
#include "pinreset/pinreset_int.h"

const char *const otad_pin_reset_mode_names[OTAD_PIN_RESET_N_MODES] = { "one-time-pin", "unblock" };
void (*otad_pin_reset_on_end)(int64_t id, int64_t request, int ok);

enum reset_state {
	ST_JOB,
	ST_NOTIFY,
	ST_DONE,
	ST_FAILED,
};
static const char *const state_names[] = { "job", "notify", "done", "failed" };

enum reset_event {
	EV_JOB_END, /* data: const struct otad_job_row * */
};

struct reset {
	struct llist_head list;
	struct osmo_fsm_inst *fi;
	struct otad_pin_reset_row row;
	struct otad_actor who; /* the counter (its name: the text to the holder) */
};

static LLIST_HEAD(resets);
static void (*next_final)(const struct otad_job_row *row);
static struct otad_job_row early; /* a job that ended inside otad_job_create() */
static bool creating;		  /* otad_pin_reset_start() is inside otad_job_create() */

static int mode_of(const char *name)
{
	for (int i = 0; i < OTAD_PIN_RESET_N_MODES; i++)
		if (!strcmp(name, otad_pin_reset_mode_names[i]))
			return i;
	return -1;
}

static void store(struct reset *r)
{
	snprintf(r->row.state, sizeof(r->row.state), "%s", state_names[r->fi->state]);
	if (otad_db_pin_reset_update(g_otad->db, &r->row))
		LOGPFSML(r->fi, LOGL_ERROR, "cannot store the reset: the database failed\n");
}

static void end(struct reset *r, bool ok)
{
	char object[OTAD_HOLDER_ID_MAX + 16];

	osmo_fsm_inst_state_chg(r->fi, ok ? ST_DONE : ST_FAILED, 0, 0);
	store(r);
	snprintf(object, sizeof(object), "holder %s", r->row.holder);
	if (otad_audit(&r->who, otad_action_names[OTAD_ACT_PIN_RESET], object, ok ? "done" : "failed",
		       "reset %" PRId64 ", card %s, %s: %s", r->row.id, r->row.iccid, r->row.mode, r->row.error))
		LOGPFSML(r->fi, LOGL_ERROR, "the audit record of the reset's end could not be written\n");
	LOGPFSML(r->fi, ok ? LOGL_NOTICE : LOGL_ERROR, "%s: %s\n", ok ? "done" : "failed", r->row.error);
	if (otad_pin_reset_on_end)
		otad_pin_reset_on_end(r->row.id, r->row.request, ok);
	osmo_fsm_inst_term(r->fi, OSMO_FSM_TERM_REGULAR, NULL);
}

/* The notice to the holder, then the scrub. \a job: the ended job (its script holds a one-time PIN). */
static void notify_and_scrub(struct reset *r, const struct otad_job_row *job, enum otad_pin_reset_outcome o)
{
	enum otad_pin_reset_mode mode = (enum otad_pin_reset_mode)mode_of(r->row.mode);
	char pin[17] = "", text[512];
	int rc = 0, n;

	if (mode == OTAD_PIN_RESET_ONE_TIME_PIN &&
	    otad_pin_reset_script_pin(job->script, job->script_len, pin, sizeof(pin)))
		rc = -EINVAL; /* scrubbed already: a restart after the notice */
	if (!rc) {
		n = otad_pin_reset_text(mode, r->who.name, pin[0] ? pin : NULL, o == OTAD_PIN_RESET_UNKNOWN, text,
					sizeof(text));
		rc = n < 0 ? n : otad_notify_holder(r->row.holder, text, mode == OTAD_PIN_RESET_ONE_TIME_PIN);
		OPENSSL_cleanse(text, sizeof(text));
	}
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rc)
		snprintf(r->row.error + strlen(r->row.error), sizeof(r->row.error) - strlen(r->row.error),
			 "; the holder was not notified (%s)",
			 rc == -ENOENT	 ? "no phone number" :
			 rc == -ENOTCONN ? "no SMSC" :
			 rc == -EINVAL	 ? "no one-time PIN left to send" :
					   "error");
	if (otad_db_job_scrub(g_otad->db, job->id))
		LOGPFSML(r->fi, LOGL_ERROR, "the job's script could not be scrubbed from the database\n");
}

static void st_job(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct reset *r = fi->priv;
	const struct otad_job_row *job = data;
	enum otad_pin_reset_outcome o;

	o = otad_pin_reset_outcome_of(job, r->row.error, sizeof(r->row.error));
	if (o == OTAD_PIN_RESET_REFUSED) {
		if (otad_db_job_scrub(g_otad->db, job->id))
			LOGPFSML(fi, LOGL_ERROR, "the job's script could not be scrubbed from the database\n");
		end(r, false);
		return;
	}
	osmo_fsm_inst_state_chg(fi, ST_NOTIFY, 0, 0);
	store(r);
	notify_and_scrub(r, job, o);
	end(r, o == OTAD_PIN_RESET_OK);
}

static void cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct reset *r = fi->priv;

	(void)cause;
	llist_del(&r->list);
}

#define S(x) (1 << (x))

static const struct osmo_fsm_state reset_states[] = {
	[ST_JOB] = { .name = "job",
		     .in_event_mask = S(EV_JOB_END),
		     .out_state_mask = S(ST_NOTIFY) | S(ST_FAILED),
		     .action = st_job },
	[ST_NOTIFY] = { .name = "notify",
			.in_event_mask = S(EV_JOB_END),
			.out_state_mask = S(ST_NOTIFY) | S(ST_DONE) | S(ST_FAILED),
			.action = st_job },
	[ST_DONE] = { .name = "done" },
	[ST_FAILED] = { .name = "failed" },
};

static const struct value_string reset_event_names[] = { { EV_JOB_END, "JOB_END" }, { 0, NULL } };

struct osmo_fsm otad_pin_reset_fsm = {
	.name = "pin-reset",
	.states = reset_states,
	.num_states = ARRAY_SIZE(reset_states),
	.event_names = reset_event_names,
	.cleanup = cleanup,
	.log_subsys = DOTAD,
};

static __attribute__((constructor)) void register_fsm(void)
{
	OSMO_ASSERT(osmo_fsm_register(&otad_pin_reset_fsm) == 0);
}

/* A reset in memory: its FSM instance on the daemon's context, the reset a child of it (freed when it ends). */
static struct reset *reset_alloc(const struct otad_pin_reset_row *row, const struct otad_actor *who)
{
	struct osmo_fsm_inst *fi;
	struct reset *r;
	char id[24];

	snprintf(id, sizeof(id), "%" PRId64, row->id);
	fi = osmo_fsm_inst_alloc(&otad_pin_reset_fsm, g_otad ? g_otad->ctx : NULL, NULL, LOGL_INFO, id);
	if (!fi)
		return NULL;
	r = talloc_zero(fi, struct reset);
	if (!r) {
		osmo_fsm_inst_free(fi);
		return NULL;
	}
	fi->priv = r;
	r->fi = fi;
	r->row = *row;
	r->who = *who;
	fi->state = !strcmp(row->state, "notify") ? ST_NOTIFY : ST_JOB;
	llist_add_tail(&r->list, &resets);
	return r;
}

static struct reset *reset_of_job(int64_t job)
{
	struct reset *r;

	llist_for_each_entry(r, &resets, list) if (r->row.job == job) return r;
	return NULL;
}

static void job_final(const struct otad_job_row *row)
{
	struct reset *r = reset_of_job(row->id);

	if (r && (r->fi->state == ST_JOB || r->fi->state == ST_NOTIFY))
		osmo_fsm_inst_dispatch(r->fi, EV_JOB_END, (void *)row);
	else if (!r && creating && !memcmp(row->tar, otad_enrol_cfg.tar, 3))
		early = *row; /* otad_pin_reset_start() looks at it when otad_job_create() returns */
	if (next_final)
		next_final(row);
}

static int refuse(const struct otad_actor *who, const char *holder, const char *why, char *err, size_t errlen, int rc)
{
	char object[OTAD_HOLDER_ID_MAX + 16];

	snprintf(object, sizeof(object), "holder %s", holder);
	snprintf(err, errlen, "%s", why);
	if (otad_audit(who, otad_action_names[OTAD_ACT_PIN_RESET], object, "refused", "%s", why))
		return -EIO;
	LOGP(DOTAD, LOGL_NOTICE, "pin-reset: %s (%s) refused for holder %s: %s\n", who->name, who->via, holder, why);
	return rc;
}

int otad_pin_reset_start(const struct otad_actor *who, const char *holder, const char *id_number,
			 enum otad_pin_reset_mode mode, int64_t request, int64_t *id, char *err, size_t errlen)
{
	struct otad_pin_reset_row row = { 0 };
	struct otad_sign_target t;
	struct otad_holder h;
	uint8_t script[32];
	char otp[OTAD_PIN_RESET_OTP_LEN + 1] = "", object[OTAD_HOLDER_ID_MAX + 16];
	struct reset *r;
	int len, rc;

	if (mode < 0 || mode >= OTAD_PIN_RESET_N_MODES || !holder || !id_number) {
		snprintf(err, errlen, "bad arguments");
		return -EINVAL;
	}
	rc = otad_db_holder_get(g_otad->db, holder, &h);
	if (rc) {
		snprintf(err, errlen, rc == -ENOENT ? "no such holder" : "database error");
		return rc == -ENOENT ? -ENOENT : -EIO;
	}
	/* the permission first: an actor outside its scope learns nothing of the identity number */
	rc = otad_perm(g_otad->db, who, OTAD_ACT_PIN_RESET, h.unit);
	if (rc)
		return refuse(who, holder,
			      rc == -EPERM ? "not allowed to reset PINs of this holder's unit" :
					     "the permission could not be checked",
			      err, errlen, rc == -EPERM ? -EPERM : -EIO);
	rc = otad_pin_reset_id_match(id_number, h.id_number);
	OPENSSL_cleanse(&h.id_number, sizeof(h.id_number));
	if (!rc)
		return refuse(who, holder, "the identity number does not match the holder's record", err, errlen,
			      -EACCES);
	rc = otad_db_sign_target(g_otad->db, NULL, holder, &t);
	if (rc) {
		snprintf(err, errlen, rc == -ENOENT ? "the holder has no card" : "database error");
		return rc == -ENOENT ? -ENOENT : -EIO;
	}
	if (strcmp(t.state, "active")) {
		snprintf(err, errlen, "card %s is %s: jobs go only to active cards", t.iccid, t.state);
		return -EPERM;
	}
	snprintf(row.holder, sizeof(row.holder), "%s", holder);
	snprintf(row.iccid, sizeof(row.iccid), "%s", t.iccid);
	snprintf(row.mode, sizeof(row.mode), "%s", otad_pin_reset_mode_names[mode]);
	snprintf(row.state, sizeof(row.state), "job");
	snprintf(row.by, sizeof(row.by), "%s", who->name);
	row.request = request;
	rc = otad_db_pin_reset_insert(g_otad->db, &row);
	if (rc) {
		snprintf(err, errlen, rc == -EBUSY ? "a PIN reset of card %s is under way" : "database error", t.iccid);
		return rc;
	}
	snprintf(object, sizeof(object), "holder %s", holder);
	if (otad_audit(who, otad_action_names[OTAD_ACT_PIN_RESET], object, "accepted", "reset %" PRId64 ", card %s, %s",
		       row.id, row.iccid, row.mode)) {
		snprintf(row.state, sizeof(row.state), "failed");
		snprintf(row.error, sizeof(row.error), "the audit record could not be written");
		otad_db_pin_reset_update(g_otad->db, &row);
		snprintf(err, errlen, "the audit record could not be written: nothing was done");
		return -EIO;
	}
	if (mode == OTAD_PIN_RESET_ONE_TIME_PIN && otad_pin_reset_otp(otp))
		len = -EIO;
	else
		len = otad_pin_reset_script(mode, otp, script, sizeof(script));
	OPENSSL_cleanse(otp, sizeof(otp));
	memset(&early, 0, sizeof(early));
	creating = true;
	rc = len < 0 ? len :
		       otad_job_create(row.iccid, otad_enrol_cfg.tar, script, (size_t)len, false, NULL, &row.job, err,
				       errlen);
	creating = false;
	OPENSSL_cleanse(script, sizeof(script));
	if (rc) {
		snprintf(row.state, sizeof(row.state), "failed");
		snprintf(row.error, sizeof(row.error), "no job: %s", len < 0 ? "no random PIN" : err);
		otad_db_pin_reset_update(g_otad->db, &row);
		otad_audit(who, otad_action_names[OTAD_ACT_PIN_RESET], object, "failed", "reset %" PRId64 ": %s",
			   row.id, row.error);
		return rc == -ENOENT ? -ENOENT : rc == -EPERM ? -EPERM : -EIO;
	}
	otad_db_pin_reset_update(g_otad->db, &row);
	*id = row.id;
	r = reset_alloc(&row, who);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -EIO;
	}
	LOGPFSML(r->fi, LOGL_NOTICE, "holder %s, card %s, %s, by %s (%s): job %" PRId64 "\n", holder, row.iccid,
		 row.mode, who->name, who->via, row.job);
	if (early.id == row.job) {
		osmo_fsm_inst_dispatch(r->fi, EV_JOB_END, &early);
		OPENSSL_cleanse(&early, sizeof(early));
	}
	return 0;
}

static void resume_one(const struct otad_pin_reset_row *row, void *priv)
{
	static struct otad_job_row job;
	struct otad_actor who = { .role = OTAD_ROLE_COUNTER, .via = "daemon" };
	struct reset *r;

	(*(int *)priv)++;
	snprintf(who.name, sizeof(who.name), "%s", row->by);
	r = reset_alloc(row, &who);
	if (!r)
		return;
	if (!row->job || otad_db_job_get(g_otad->db, row->job, &job)) {
		snprintf(r->row.error, sizeof(r->row.error), "its job is lost");
		end(r, false);
		return;
	}
	if (otad_job_state_final(job.state))
		osmo_fsm_inst_dispatch(r->fi, EV_JOB_END, &job);
	OPENSSL_cleanse(&job, sizeof(job));
}

int otad_pin_reset_init(void)
{
	int n = 0, rc;

	if (otad_job_final_cb != job_final) { /* hooked once, however often it is called */
		next_final = otad_job_final_cb;
		otad_job_final_cb = job_final;
	}
	rc = otad_db_pin_resets_list(g_otad->db, true, 0, resume_one, &n);
	if (rc < 0)
		return -EIO;
	if (n)
		LOGP(DOTAD, LOGL_NOTICE, "%d PIN resets resumed\n", n);
	return 0;
}

void otad_pin_reset_debug_forget(void)
{
	struct reset *r, *tmp;

	llist_for_each_entry_safe(r, tmp, &resets, list) osmo_fsm_inst_term(r->fi, OSMO_FSM_TERM_REQUEST, NULL);
}
