/* Provisioning campaigns: the per-card FSM of campaign.h and the scheduler that starts cards while a campaign has
 * room, on OTA jobs (otad_job.h) and certificate enrolments (enrol.h). The state table below is the spec. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "campaign.h"
#include "campaign_script.h"
#include "enrol.h"
#include "otad.h"
#include "otad_job.h"

struct otad_campaign_cfg otad_campaign_cfg = {
	.concurrency = 50,
	.retries = 8,
	.backoff_min_s = 15,
	.backoff_max_s = 600,
	.timeout_check_s = 60,
	.timeout_personalise_s = 60,
	.timeout_keygen_p256_s = 60,
	.timeout_keygen_rsa_s = 120,
	.label = "simpki",
};

enum ccard_event {
	CC_EV_JOB_DONE,	  /* the current step's job is over (data: const struct otad_job_row *) */
	CC_EV_ENROL_DONE, /* the key's enrolment is over (data: const struct otad_enrol_row *) */
};

static const struct value_string event_names[] = {
	{ CC_EV_JOB_DONE, "JOB_DONE" },
	{ CC_EV_ENROL_DONE, "ENROL_DONE" },
	{ 0, NULL },
};

/* A campaign running or paused (or cancelled, while cards still finish a step), in memory. */
struct camp {
	struct llist_head list;
	struct otad_campaign c;
	struct llist_head cards; /* struct ccard: the cards in a step */
	unsigned in_step;
};

/* A card in a step. */
struct ccard {
	struct llist_head list;
	struct osmo_fsm_inst *fi;
	struct camp *camp;
	struct otad_ccard row;
	struct campaign_view view; /* what the last check found (have_view) */
	bool have_view;
	bool parked; /* stored in a step not sent yet (the campaign is paused) */
};

static LLIST_HEAD(camps);
static struct osmo_timer_list tick;
static void (*next_job_final)(const struct otad_job_row *row);
static void (*next_enrol_end)(const struct otad_enrol_row *row);

static void ctr(unsigned idx)
{
	rate_ctr_inc(rate_ctr_group_get_ctr(g_otad->ctrs, idx));
}

static const struct otad_campaign_key *cur_key(const struct ccard *cc)
{
	return &cc->camp->c.keys[cc->row.key_index < cc->camp->c.n_keys ? cc->row.key_index : 0];
}

static bool is_step(enum otad_ccard_state s)
{
	return s == OTAD_CCARD_CHECK || s == OTAD_CCARD_PERSONALISE || s == OTAD_CCARD_KEYGEN || s == OTAD_CCARD_ENROL;
}

/* Run the scheduler soon (from the main loop, never inside an FSM action). */
static void schedule_pump(void)
{
	osmo_timer_schedule(&tick, 0, 1000);
}

/* The card is over or waits in backoff: its FSM goes, its slot is free. */
static void release(struct ccard *cc)
{
	osmo_fsm_inst_term(cc->fi, OSMO_FSM_TERM_REGULAR, NULL);
	schedule_pump();
}

static void launch(struct ccard *cc);

/* Store the card in state \a s (a step: not sent yet; job and view cleared), then enter it: a step is sent unless
 * the campaign is paused; a cancelled campaign turns a step into cancelled. */
static void go(struct ccard *cc, enum otad_ccard_state s)
{
	if (is_step(s) && cc->camp->c.state == OTAD_CAMPAIGN_CANCELLED) {
		snprintf(cc->row.step, sizeof(cc->row.step), "%s", otad_ccard_state_names[s]);
		s = OTAD_CCARD_CANCELLED;
	} else if (s != OTAD_CCARD_FAILED && s != OTAD_CCARD_CANCELLED) {
		snprintf(cc->row.step, sizeof(cc->row.step), "%s", otad_ccard_state_names[s]);
	}
	cc->row.state = s;
	cc->row.job = 0;
	if (s != OTAD_CCARD_ENROL)
		cc->row.enrolment = 0;
	if (s == OTAD_CCARD_ACTIVE || s == OTAD_CCARD_SKIPPED)
		cc->row.error[0] = 0;
	if (otad_db_ccard_update(g_otad->db, &cc->row))
		LOGPFSML(cc->fi, LOGL_ERROR, "cannot store state %s: the database failed\n", otad_ccard_state_names[s]);
	if (cc->fi->state != s && osmo_fsm_inst_state_chg(cc->fi, s, 0, 0))
		cc->fi->state = s; /* logged by osmo_fsm as a bug of the table; the row is stored as it is */
	if (otad_ccard_state_final(s) || s == OTAD_CCARD_BACKOFF) {
		if (s == OTAD_CCARD_ACTIVE)
			ctr(OTAD_CTR_CAMP_ACTIVE);
		else if (s == OTAD_CCARD_SKIPPED)
			ctr(OTAD_CTR_CAMP_SKIPPED);
		else if (s == OTAD_CCARD_FAILED)
			ctr(OTAD_CTR_CAMP_FAILED);
		LOGPFSML(cc->fi, s == OTAD_CCARD_FAILED ? LOGL_NOTICE : LOGL_INFO, "%s%s%s\n",
			 otad_ccard_state_names[s], cc->row.error[0] ? ": " : "", cc->row.error);
		release(cc);
		return;
	}
	cc->parked = cc->camp->c.state == OTAD_CAMPAIGN_PAUSED;
	if (!cc->parked)
		launch(cc);
}

static void fail(struct ccard *cc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct ccard *cc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cc->row.error, sizeof(cc->row.error), fmt, ap);
	va_end(ap);
	snprintf(cc->row.step, sizeof(cc->row.step), "%s", otad_ccard_state_names[cc->row.state]);
	go(cc, OTAD_CCARD_FAILED);
}

/* A temporary failure: check again after a wait, or fail once the card's tries are spent. */
static void backoff(struct ccard *cc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void backoff(struct ccard *cc, const char *fmt, ...)
{
	unsigned wait = otad_campaign_cfg.backoff_min_s ? otad_campaign_cfg.backoff_min_s : 1;
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (cc->row.tries >= otad_campaign_cfg.retries) {
		fail(cc, "%s (gave up after %u tries)", why, cc->row.tries + 1);
		return;
	}
	for (unsigned i = 0; i < cc->row.tries && wait < otad_campaign_cfg.backoff_max_s; i++)
		wait *= 2;
	if (wait > otad_campaign_cfg.backoff_max_s)
		wait = otad_campaign_cfg.backoff_max_s;
	cc->row.tries++;
	cc->row.next_try_ms = otad_now_ms() + (int64_t)wait * 1000;
	snprintf(cc->row.error, sizeof(cc->row.error), "%s; try %u in %u s", why, cc->row.tries + 1, wait);
	ctr(OTAD_CTR_CAMP_BACKOFF);
	go(cc, OTAD_CCARD_BACKOFF);
}

/* Make the OTA job of the current step and store its id with the step. */
static void start_job(struct ccard *cc, const uint8_t *script, int len, bool idempotent, unsigned timeout_s)
{
	/* campaigns move certificates and keys: BIP when the card and the server can (otad_job.h, auto) */
	struct otad_job_opts opts = { .timeout_s = timeout_s, .bearer = OTAD_JOB_BEARER_AUTO };
	char err[160];
	int64_t id;
	int rc;

	if (len < 0) {
		fail(cc, "the %s script cannot be built (%s)", otad_ccard_state_names[cc->row.state],
		     len == -E2BIG ? "too long for one job" : "bad input");
		return;
	}
	rc = otad_job_create(cc->row.iccid, otad_enrol_cfg.tar, script, (size_t)len, idempotent, &opts, &id, err,
			     sizeof(err));
	if (rc == -ESTALE || rc == -EIO || rc == -ENOMEM) {
		backoff(cc, "the %s job cannot be made now: %s", otad_ccard_state_names[cc->row.state], err);
		return;
	}
	if (rc) {
		fail(cc, "the %s job cannot be made: %s", otad_ccard_state_names[cc->row.state], err);
		return;
	}
	cc->row.job = id;
	if (otad_db_ccard_update(g_otad->db, &cc->row))
		LOGPFSML(cc->fi, LOGL_ERROR, "cannot store job %lld: the database failed\n", (long long)id);
	LOGPFSML(cc->fi, LOGL_INFO, "%s: job %lld\n", otad_ccard_state_names[cc->row.state], (long long)id);
}

static void step_check(struct ccard *cc)
{
	uint8_t script[ENROL_SCRIPT_MAX];

	cc->have_view = false;
	start_job(cc, script, campaign_script_check(script, sizeof(script)), true, otad_campaign_cfg.timeout_check_s);
}

static void step_personalise(struct ccard *cc)
{
	uint8_t script[ENROL_SCRIPT_MAX], serial[8];

	if (RAND_bytes(serial, sizeof(serial)) != 1) {
		fail(cc, "no random token serial number (OpenSSL's random generator failed)");
		return;
	}
	start_job(cc, script,
		  campaign_script_personalise(cc->view.files, otad_campaign_cfg.label, serial, script, sizeof(script)),
		  false, otad_campaign_cfg.timeout_personalise_s);
}

static void step_keygen(struct ccard *cc)
{
	const struct otad_campaign_key *k = cur_key(cc);
	uint8_t script[ENROL_SCRIPT_MAX];

	start_job(cc, script,
		  campaign_script_keygen(k->rsa ? CAMPAIGN_ALG_RSA2048 : CAMPAIGN_ALG_P256,
					 (uint8_t)cc->view.ev.free_key_ref, k->id, k->profile, cc->view.ev.prkdf_used,
					 script, sizeof(script)),
		  false, k->rsa ? otad_campaign_cfg.timeout_keygen_rsa_s : otad_campaign_cfg.timeout_keygen_p256_s);
}

/* What the last check read, for a new enrolment of the current key (its slot: the one listed, or the one keygen
 * filled), so the enrolment does not read it again. NULL when there was no check since the card was loaded. */
static const struct enrol_view *known_view(const struct ccard *cc, struct enrol_view *v)
{
	if (!cc->have_view || !cc->view.ev.cert_fid)
		return NULL;
	*v = cc->view.ev;
	if (!cc->view.has_key) {
		/* generated since the check, in the slot it found free, with the campaign key's iD */
		v->key = (struct p15_object){ .key_ref = cc->view.ev.free_key_ref,
					      .id = { cur_key(cc)->id },
					      .id_len = 1 };
	}
	return v->key.key_ref >= 0 ? v : NULL;
}

/* The key's enrolment: the one this campaign made for this card and key if there is one (taken up again when it
 * failed), a new one otherwise. */
static void step_enrol(struct ccard *cc)
{
	static struct otad_enrol_row e;
	const struct otad_campaign_key *k = cur_key(cc);
	uint8_t subject[OTAD_ENROL_SUBJECT_MAX];
	struct enrol_view known;
	struct otad_card card;
	char err[200];
	int64_t id;
	int rc, n;

	rc = otad_db_enrol_of_campaign(g_otad->db, cc->camp->c.id, cc->row.iccid, k->id, &e);
	if (rc == 0) {
		cc->row.enrolment = e.id;
		otad_db_ccard_update(g_otad->db, &cc->row);
		if (e.state == OTAD_ENROL_DONE) {
			osmo_fsm_inst_dispatch(cc->fi, CC_EV_ENROL_DONE, &e);
		} else if (e.state == OTAD_ENROL_FAILED) {
			if (otad_enrol_retry(e.id, err, sizeof(err)))
				fail(cc, "enrolment %lld cannot be taken up again: %s", (long long)e.id, err);
		}
		/* otherwise it runs, and its end comes */
		return;
	}
	if (rc != -ENOENT) {
		backoff(cc, "the database failed");
		return;
	}
	rc = otad_db_card_get(g_otad->db, cc->row.iccid, &card);
	n = rc ? rc : otad_enrol_holder_subject(&card, subject, sizeof(subject), err, sizeof(err));
	if (n < 0) {
		if (rc == -ENOENT)
			fail(cc, "the card is not in the database any more");
		else if (n == -ENODATA)
			fail(cc, "the card has no holder (PUT /v1/cards/%s/holder): no subject for its certificate",
			     cc->row.iccid);
		else
			fail(cc, "%s", rc ? "the database failed" : err);
		return;
	}
	rc = otad_enrol_start_for(cc->camp->c.id, card.iccid, k->id, k->profile, card.holder, subject, (size_t)n,
				  known_view(cc, &known), &id, err, sizeof(err));
	if (rc) {
		fail(cc, "the enrolment cannot start: %s", err);
		return;
	}
	cc->row.enrolment = id;
	if (otad_db_ccard_update(g_otad->db, &cc->row))
		LOGPFSML(cc->fi, LOGL_ERROR, "cannot store enrolment %lld: the database failed\n", (long long)id);
	LOGPFSML(cc->fi, LOGL_INFO, "key %02X: enrolment %lld\n", k->id, (long long)id);
}

static void launch(struct ccard *cc)
{
	cc->parked = false;
	switch (cc->row.state) {
	case OTAD_CCARD_CHECK:
		step_check(cc);
		break;
	case OTAD_CCARD_PERSONALISE:
		if (cc->have_view)
			step_personalise(cc);
		else
			go(cc, OTAD_CCARD_CHECK); /* what to create is known from a check only */
		break;
	case OTAD_CCARD_KEYGEN:
		if (cc->have_view)
			step_keygen(cc);
		else
			go(cc, OTAD_CCARD_CHECK); /* the slot and the PrKDF's end are known from a check only */
		break;
	case OTAD_CCARD_ENROL:
		step_enrol(cc);
		break;
	default:
		break;
	}
}

/* The current key is done (certified here, or found certified): the next key, or the card is over. */
static void next_key(struct ccard *cc)
{
	cc->row.key_index++;
	if (cc->row.key_index < cc->camp->c.n_keys) {
		go(cc, OTAD_CCARD_CHECK);
		return;
	}
	cc->row.key_index = cc->camp->c.n_keys - 1;
	if (cc->row.serials[0]) {
		go(cc, OTAD_CCARD_ACTIVE);
	} else {
		snprintf(cc->row.error, sizeof(cc->row.error), "the SIM holds a certificate for every key already");
		cc->row.state = OTAD_CCARD_SKIPPED;
		if (otad_db_ccard_update(g_otad->db, &cc->row))
			LOGPFSML(cc->fi, LOGL_ERROR, "cannot store state skipped: the database failed\n");
		cc->fi->state = OTAD_CCARD_SKIPPED;
		ctr(OTAD_CTR_CAMP_SKIPPED);
		LOGPFSML(cc->fi, LOGL_INFO, "skipped: %s\n", cc->row.error);
		release(cc);
	}
}

/* A step's job ended without a usable PoR: how. */
static void job_not_ok(struct ccard *cc, const struct otad_job_row *j)
{
	const char *step = otad_ccard_state_names[cc->row.state];

	if (j->state == OTAD_JOB_POR_ERROR && j->por_status == 0x09) {
		fail(cc, "the SIM has no PKI applet (the card does not know its TAR: PoR status 09)");
		return;
	}
	if (j->state == OTAD_JOB_CANCELLED && cc->camp->c.state == OTAD_CAMPAIGN_CANCELLED) {
		go(cc, cc->row.state); /* the campaign called it back: the card ends cancelled at this step */
		return;
	}
	if (j->state == OTAD_JOB_TIMED_OUT || j->state == OTAD_JOB_FAILED) {
		backoff(cc, "the %s job %lld ended %s: %s", step, (long long)j->id, otad_job_state_names[j->state],
			j->error[0] ? j->error : "no reason given");
		return;
	}
	fail(cc, "the %s job %lld ended %s: %s", step, (long long)j->id, otad_job_state_names[j->state],
	     j->error[0] ? j->error : "no reason given");
}

struct recorded_q {
	char key_id[8];
	int64_t now_s;
	bool valid, invalid;
};

static void recorded_cb(const struct otad_cert *c, void *priv)
{
	struct recorded_q *q = priv;

	if (strcmp(c->key_id, q->key_id) || c->status == OTAD_CERT_ISSUED)
		return;
	if (c->status == OTAD_CERT_LOADED && c->not_after > q->now_s)
		q->valid = true;
	else
		q->invalid = true;
}

/* What this server's records say of the certificates of key \a key_id on the card: 1, one valid (loaded, not
 * expired, not revoked); -1, only expired or revoked ones; 0, none (a certificate from elsewhere, or no record). */
static int recorded(struct ccard *cc, uint8_t key_id)
{
	struct recorded_q q = { .now_s = otad_now_ms() / 1000 };

	snprintf(q.key_id, sizeof(q.key_id), "%u", key_id);
	if (otad_db_certs_list(g_otad->db, cc->row.iccid, recorded_cb, &q) < 0)
		return 0;
	return q.valid ? 1 : q.invalid ? -1 : 0;
}

static void st_check(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct ccard *cc = fi->priv;
	const struct otad_job_row *j = data;
	const struct otad_campaign_key *k = cur_key(cc);
	char why[160];

	if (event != CC_EV_JOB_DONE)
		return;
	if (j->state != OTAD_JOB_POR_OK) {
		job_not_ok(cc, j);
		return;
	}
	if (campaign_check_parse(j->por_response, j->por_response_len, k->id, &cc->view, why, sizeof(why))) {
		fail(cc, "%s", why);
		return;
	}
	cc->have_view = true;
	if (cc->view.files < CAMPAIGN_P15_FILES) {
		if (!cc->camp->c.personalise) {
			fail(cc,
			     "the SIM has no complete PKCS#15 structure (%u of its %d files) and the campaign does not "
			     "personalise",
			     cc->view.files, CAMPAIGN_P15_FILES);
			return;
		}
		go(cc, OTAD_CCARD_PERSONALISE);
		return;
	}
	if (cc->view.has_key && cc->view.ev.key_certified) {
		int v = recorded(cc, k->id);

		if (v < 0) {
			/* over the air the SIM builds no request for a certified key (applet.md 5.14): a renewal's case */
			fail(cc,
			     "the SIM holds a certificate for key %02X that is expired or revoked: renew it (not a "
			     "provisioning step)",
			     k->id);
			return;
		}
		LOGPFSML(fi, LOGL_INFO, "key %02X has a certificate on the SIM%s\n", k->id,
			 v ? "" : " (one this server has no record of)");
		next_key(cc);
		return;
	}
	if (cc->view.has_key) {
		go(cc, OTAD_CCARD_ENROL);
		return;
	}
	if (cc->view.ev.free_key_ref < 0) {
		fail(cc, "the SIM has no free key slot for key %02X", k->id);
		return;
	}
	go(cc, OTAD_CCARD_KEYGEN);
}

/* A job that writes is over: with its PoR, \a parse says whether it did all; without (unknown, timed out), check
 * finds what the SIM has; refused by the SMSC (nothing ran): backoff. */
static void write_done(struct ccard *cc, const struct otad_job_row *j, enum otad_ccard_state next,
		       int (*parse)(struct ccard *cc, const struct otad_job_row *j, char *why, size_t whylen))
{
	char why[160];

	if (j->state == OTAD_JOB_UNKNOWN || j->state == OTAD_JOB_TIMED_OUT) {
		LOGPFSML(cc->fi, LOGL_NOTICE, "the %s job's outcome is unknown: reading what the SIM has\n",
			 otad_ccard_state_names[cc->row.state]);
		go(cc, OTAD_CCARD_CHECK);
		return;
	}
	if (j->state != OTAD_JOB_POR_OK) {
		job_not_ok(cc, j);
		return;
	}
	if (parse(cc, j, why, sizeof(why))) {
		fail(cc, "%s", why);
		return;
	}
	go(cc, next);
}

static int parse_personalise(struct ccard *cc, const struct otad_job_row *j, char *why, size_t whylen)
{
	return campaign_personalise_parse(j->por_response, j->por_response_len, cc->view.files, why, whylen);
}

static int parse_keygen(struct ccard *cc, const struct otad_job_row *j, char *why, size_t whylen)
{
	return campaign_keygen_parse(j->por_response, j->por_response_len, why, whylen);
}

static void st_personalise(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct ccard *cc = fi->priv;
	const struct otad_job_row *j = data;

	if (event != CC_EV_JOB_DONE)
		return;
	if (!cc->have_view && j->state == OTAD_JOB_POR_OK) {
		/* sent before a restart: which files it created is not known here; the check reads them */
		go(cc, OTAD_CCARD_CHECK);
		return;
	}
	write_done(cc, j, OTAD_CCARD_CHECK, parse_personalise);
}

static void st_keygen(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	if (event == CC_EV_JOB_DONE)
		write_done(fi->priv, data, OTAD_CCARD_ENROL, parse_keygen);
}

static void st_enrol(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct ccard *cc = fi->priv;
	const struct otad_enrol_row *e = data;
	size_t n;

	if (event != CC_EV_ENROL_DONE)
		return;
	if (e->state != OTAD_ENROL_DONE) {
		snprintf(cc->row.step, sizeof(cc->row.step), "%s", e->cert_len ? "load" : e->csr_len ? "cmp" : "csr");
		snprintf(cc->row.error, sizeof(cc->row.error), "enrolment %lld: %.160s", (long long)e->id, e->error);
		go(cc, OTAD_CCARD_FAILED);
		return;
	}
	n = strlen(cc->row.serials);
	if (!strstr(cc->row.serials, e->serial) && n + strlen(e->serial) + 2 < sizeof(cc->row.serials))
		snprintf(cc->row.serials + n, sizeof(cc->row.serials) - n, "%s%s", n ? "," : "", e->serial);
	next_key(cc);
}

#define S(x) (1 << (x))
#define OVER (S(OTAD_CCARD_FAILED) | S(OTAD_CCARD_CANCELLED) | S(OTAD_CCARD_BACKOFF))

static const struct osmo_fsm_state ccard_states[] = {
	[OTAD_CCARD_WAITING] = { .name = "waiting", .out_state_mask = S(OTAD_CCARD_CHECK) | S(OTAD_CCARD_CANCELLED) },
	[OTAD_CCARD_BACKOFF] = { .name = "backoff",
				 .out_state_mask =
					 S(OTAD_CCARD_CHECK) | S(OTAD_CCARD_FAILED) | S(OTAD_CCARD_CANCELLED) },
	[OTAD_CCARD_CHECK] = { .name = "check",
			       .in_event_mask = S(CC_EV_JOB_DONE),
			       .out_state_mask = S(OTAD_CCARD_PERSONALISE) | S(OTAD_CCARD_KEYGEN) |
						 S(OTAD_CCARD_ENROL) | S(OTAD_CCARD_CHECK) | S(OTAD_CCARD_ACTIVE) |
						 S(OTAD_CCARD_SKIPPED) | OVER,
			       .action = st_check },
	[OTAD_CCARD_PERSONALISE] = { .name = "personalise",
				     .in_event_mask = S(CC_EV_JOB_DONE),
				     .out_state_mask = S(OTAD_CCARD_CHECK) | OVER,
				     .action = st_personalise },
	[OTAD_CCARD_KEYGEN] = { .name = "keygen",
				.in_event_mask = S(CC_EV_JOB_DONE),
				.out_state_mask = S(OTAD_CCARD_ENROL) | S(OTAD_CCARD_CHECK) | OVER,
				.action = st_keygen },
	[OTAD_CCARD_ENROL] = { .name = "enrol",
			       .in_event_mask = S(CC_EV_ENROL_DONE),
			       .out_state_mask = S(OTAD_CCARD_CHECK) | S(OTAD_CCARD_ACTIVE) | OVER,
			       .action = st_enrol },
	[OTAD_CCARD_ACTIVE] = { .name = "active" },
	[OTAD_CCARD_SKIPPED] = { .name = "skipped" },
	[OTAD_CCARD_FAILED] = { .name = "failed" },
	[OTAD_CCARD_CANCELLED] = { .name = "cancelled" },
};

static void ccard_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct ccard *cc = fi->priv;

	llist_del(&cc->list);
	cc->camp->in_step--;
}

struct osmo_fsm otad_ccard_fsm = {
	.name = "campaign-card",
	.states = ccard_states,
	.num_states = ARRAY_SIZE(ccard_states),
	.event_names = event_names,
	.cleanup = ccard_cleanup,
	.log_subsys = DCAMP,
};

static __attribute__((constructor)) void register_fsm(void)
{
	OSMO_ASSERT(osmo_fsm_register(&otad_ccard_fsm) == 0);
}

/* An instance for \a row in its stored state, without running anything. */
static struct ccard *ccard_alloc(struct camp *camp, const struct otad_ccard *row)
{
	struct ccard *cc = talloc_zero(g_otad->ctx, struct ccard);
	char id[64];

	if (!cc)
		return NULL;
	snprintf(id, sizeof(id), "%lld-%s", (long long)row->campaign, row->iccid);
	cc->fi = osmo_fsm_inst_alloc(&otad_ccard_fsm, cc, cc, LOGL_INFO, id);
	if (!cc->fi) {
		talloc_free(cc);
		return NULL;
	}
	talloc_steal(g_otad->ctx, cc->fi);
	talloc_steal(cc->fi, cc);
	cc->camp = camp;
	cc->row = *row;
	cc->fi->state = row->state;
	llist_add_tail(&cc->list, &camp->cards);
	camp->in_step++;
	return cc;
}

static struct camp *camp_find(int64_t id)
{
	struct camp *camp;

	llist_for_each_entry(camp, &camps, list) if (camp->c.id == id) return camp;
	return NULL;
}

static struct camp *camp_alloc(const struct otad_campaign *c)
{
	struct camp *camp = talloc_zero(g_otad->ctx, struct camp);

	if (!camp)
		return NULL;
	camp->c = *c;
	INIT_LLIST_HEAD(&camp->cards);
	llist_add_tail(&camp->list, &camps);
	return camp;
}

/* Rows read from the database, to act on once the query is over (acting changes the rows it walks). */
struct rows {
	struct otad_ccard *v;
	size_t n, max;
};

static void collect(const struct otad_ccard *row, void *priv)
{
	struct rows *r = priv;

	if (r->n < r->max)
		r->v[r->n++] = *row;
}

/* Up to \a max rows of campaign \a camp: ready ones (\a ready) or those in a step. */
static size_t read_rows(struct camp *camp, bool ready, unsigned max, struct rows *r)
{
	r->n = 0;
	r->max = max;
	r->v = talloc_array(g_otad->ctx, struct otad_ccard, max ? max : 1);
	if (!r->v)
		return 0;
	if (ready)
		otad_db_ccards_ready(g_otad->db, camp->c.id, otad_now_ms(), max, collect, r);
	else
		otad_db_ccards_in_step(g_otad->db, camp->c.id, collect, r);
	return r->n;
}

/* Start cards while the campaign has room; end it when nothing is left. */
static void pump_one(struct camp *camp)
{
	int pending;

	if (camp->c.state == OTAD_CAMPAIGN_RUNNING && camp->in_step < camp->c.concurrency) {
		struct rows r;

		read_rows(camp, true, camp->c.concurrency - camp->in_step, &r);
		for (size_t i = 0; i < r.n; i++) {
			struct ccard *cc = ccard_alloc(camp, &r.v[i]);

			if (cc)
				go(cc, OTAD_CCARD_CHECK);
		}
		talloc_free(r.v);
	}
	if (camp->in_step)
		return;
	if (camp->c.state == OTAD_CAMPAIGN_CANCELLED) {
		camp->c.ended_ms = otad_now_ms();
	} else if (camp->c.state == OTAD_CAMPAIGN_RUNNING) {
		pending = otad_db_ccards_pending(g_otad->db, camp->c.id);
		if (pending != 0)
			return;
		camp->c.state = OTAD_CAMPAIGN_DONE;
		camp->c.ended_ms = otad_now_ms();
	} else {
		return;
	}
	if (otad_db_campaign_update(g_otad->db, &camp->c))
		LOGP(DCAMP, LOGL_ERROR, "campaign %lld: cannot store its end: the database failed\n",
		     (long long)camp->c.id);
	LOGP(DCAMP, LOGL_NOTICE, "campaign %lld (%s): %s\n", (long long)camp->c.id, camp->c.name,
	     otad_campaign_state_names[camp->c.state]);
	llist_del(&camp->list);
	talloc_free(camp);
}

static void pump(void *data)
{
	struct camp *camp, *tmp;

	llist_for_each_entry_safe(camp, tmp, &camps, list) pump_one(camp);
	if (!llist_empty(&camps))
		osmo_timer_schedule(&tick, 1, 0);
}

static struct ccard *find_by_job(int64_t job)
{
	struct camp *camp;
	struct ccard *cc;

	llist_for_each_entry(camp, &camps, list)
		llist_for_each_entry(cc, &camp->cards, list) if (cc->row.job == job) return cc;
	return NULL;
}

static void job_final(const struct otad_job_row *row)
{
	struct ccard *cc = find_by_job(row->id);

	if (cc && is_step(cc->row.state) && cc->row.state != OTAD_CCARD_ENROL)
		osmo_fsm_inst_dispatch(cc->fi, CC_EV_JOB_DONE, (void *)row);
	else if (next_job_final)
		next_job_final(row);
}

static void enrol_end(const struct otad_enrol_row *row)
{
	struct camp *camp = row->campaign ? camp_find(row->campaign) : NULL;
	struct ccard *cc;

	if (next_enrol_end)
		next_enrol_end(row);
	if (!camp)
		return;
	llist_for_each_entry(cc, &camp->cards, list)
	{
		if (cc->row.state == OTAD_CCARD_ENROL && !strcmp(cc->row.iccid, row->iccid) &&
		    (cc->row.enrolment == row->id || !cc->row.enrolment)) {
			cc->row.enrolment = row->id;
			osmo_fsm_inst_dispatch(cc->fi, CC_EV_ENROL_DONE, (void *)row);
			return;
		}
	}
}

void otad_campaign_init(void)
{
	osmo_timer_setup(&tick, pump, NULL);
	next_job_final = otad_job_final_cb;
	otad_job_final_cb = job_final;
	next_enrol_end = otad_enrol_end_cb;
	otad_enrol_end_cb = enrol_end;
}

int otad_campaign_create(struct otad_campaign *c, const struct otad_campaign_select *sel, char *err, size_t errlen)
{
	struct camp *camp;
	int rc;

	if (!c->name[0] || !c->n_keys || c->n_keys > OTAD_CAMPAIGN_KEYS_MAX) {
		snprintf(err, errlen, "a name and 1 to %d keys are needed", OTAD_CAMPAIGN_KEYS_MAX);
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->n_keys; i++) {
		for (unsigned k = 0; k < i; k++) {
			if (c->keys[k].id == c->keys[i].id) {
				snprintf(err, errlen, "key %u is named twice", c->keys[i].id);
				return -EINVAL;
			}
		}
		if (!c->keys[i].id || !c->keys[i].profile[0]) {
			snprintf(err, errlen, "each key needs an id 1..255 and a profile");
			return -EINVAL;
		}
	}
	if (!c->concurrency)
		c->concurrency = otad_campaign_cfg.concurrency;
	if (c->concurrency > 10000) {
		snprintf(err, errlen, "concurrency: 1 to 10000");
		return -EINVAL;
	}
	c->state = OTAD_CAMPAIGN_RUNNING;
	rc = otad_db_campaign_create(g_otad->db, c, sel, err, errlen);
	if (rc)
		return rc;
	camp = camp_alloc(c);
	if (!camp) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	LOGP(DCAMP, LOGL_NOTICE, "campaign %lld (%s): %u cards, %u keys, concurrency %u%s\n", (long long)c->id, c->name,
	     c->cards, c->n_keys, c->concurrency, c->personalise ? ", personalise" : "");
	pump_one(camp);
	schedule_pump();
	return 0;
}

/* The campaign in memory, or -ENOENT / -EALREADY from the database. */
static int open_camp(int64_t id, struct camp **out)
{
	struct otad_campaign c;
	int rc;

	*out = camp_find(id);
	if (*out)
		return (*out)->c.state == OTAD_CAMPAIGN_CANCELLED ? -EALREADY : 0;
	rc = otad_db_campaign_get(g_otad->db, id, &c);
	return rc ? rc : -EALREADY;
}

static int set_campaign_state(struct camp *camp, enum otad_campaign_state s)
{
	enum otad_campaign_state old = camp->c.state;

	camp->c.state = s;
	if (otad_db_campaign_update(g_otad->db, &camp->c)) {
		camp->c.state = old;
		return -EIO;
	}
	LOGP(DCAMP, LOGL_NOTICE, "campaign %lld (%s): %s\n", (long long)camp->c.id, camp->c.name,
	     otad_campaign_state_names[s]);
	return 0;
}

int otad_campaign_pause(int64_t id)
{
	struct camp *camp;
	int rc = open_camp(id, &camp);

	if (rc || camp->c.state == OTAD_CAMPAIGN_PAUSED)
		return rc;
	return set_campaign_state(camp, OTAD_CAMPAIGN_PAUSED);
}

int otad_campaign_resume(int64_t id)
{
	struct ccard *cc, *tmp;
	struct camp *camp;
	int rc = open_camp(id, &camp);

	if (rc || camp->c.state == OTAD_CAMPAIGN_RUNNING)
		return rc;
	rc = set_campaign_state(camp, OTAD_CAMPAIGN_RUNNING);
	if (rc)
		return rc;
	llist_for_each_entry_safe(cc, tmp, &camp->cards, list) if (cc->parked) launch(cc);
	schedule_pump();
	return 0;
}

int otad_campaign_cancel(int64_t id)
{
	struct ccard *cc, *tmp;
	struct camp *camp;
	int rc = open_camp(id, &camp);

	if (rc)
		return rc;
	rc = set_campaign_state(camp, OTAD_CAMPAIGN_CANCELLED);
	if (rc)
		return rc;
	rc = otad_db_ccards_cancel_pending(g_otad->db, id);
	if (rc < 0)
		LOGP(DCAMP, LOGL_ERROR, "campaign %lld: cannot cancel its waiting cards: the database failed\n",
		     (long long)id);
	/* cards stopped before a step end now; so do those whose job can still be called back (none of its SMS left
	 * for the SMSC); the others when their step's job or enrolment is over */
	llist_for_each_entry_safe(cc, tmp, &camp->cards, list)
	{
		char err[160];

		if (cc->parked)
			go(cc, cc->row.state);
		else if (cc->row.job && cc->row.state != OTAD_CCARD_ENROL)
			otad_job_cancel(cc->row.job, err, sizeof(err)); /* its end comes through job_final() */
	}
	schedule_pump();
	return 0;
}

/* A job of \a cc's card made since its step was stored, in case the daemon stopped before it stored the job's id. */
static void newest_job(const struct otad_job_row *job, void *priv)
{
	int64_t *id = priv;

	if (!*id && !memcmp(job->tar, otad_enrol_cfg.tar, 3))
		*id = job->id;
}

/* After a restart, a card stored in a step not sent: send it (running), keep it (paused), end it (cancelled). */
static void park_or_launch(struct ccard *cc)
{
	if (cc->camp->c.state == OTAD_CAMPAIGN_RUNNING)
		launch(cc);
	else if (cc->camp->c.state == OTAD_CAMPAIGN_CANCELLED)
		go(cc, cc->row.state);
	else
		cc->parked = true;
}

static void resume_card(struct camp *camp, const struct otad_ccard *row)
{
	static struct otad_job_row job;
	static struct otad_enrol_row e;
	struct ccard *cc = ccard_alloc(camp, row);

	if (!cc)
		return;
	if (row->state == OTAD_CCARD_ENROL) {
		if (!row->enrolment) {
			if (otad_db_enrol_of_campaign(g_otad->db, camp->c.id, row->iccid, cur_key(cc)->id, &e) == 0 &&
			    e.created_ms >= row->updated_ms)
				cc->row.enrolment = e.id;
		}
		if (!cc->row.enrolment) {
			park_or_launch(cc);
			return;
		}
		otad_db_ccard_update(g_otad->db, &cc->row);
		if (otad_db_enrol_get(g_otad->db, cc->row.enrolment, &e) == 0 &&
		    (e.state == OTAD_ENROL_DONE || e.state == OTAD_ENROL_FAILED))
			osmo_fsm_inst_dispatch(cc->fi, CC_EV_ENROL_DONE, &e);
		/* otherwise it runs (resumed before us) and its end comes */
		return;
	}
	if (!row->job) {
		struct otad_job_filter f = {
			.iccid = row->iccid, .state = -1, .since_ms = row->updated_ms, .limit = 1
		};

		otad_db_jobs_list(g_otad->db, &f, newest_job, &cc->row.job);
		if (cc->row.job) {
			LOGPFSML(cc->fi, LOGL_NOTICE, "job %lld was made before the stop: taken as the step's\n",
				 (long long)cc->row.job);
			otad_db_ccard_update(g_otad->db, &cc->row);
		}
	}
	if (!cc->row.job) {
		/* stored, not sent: send it (personalise and keygen check first, launch() knows) */
		park_or_launch(cc);
		return;
	}
	if (otad_db_job_get(g_otad->db, cc->row.job, &job) == 0 && otad_job_state_final(job.state)) {
		if (row->state != OTAD_CCARD_CHECK && job.state == OTAD_JOB_POR_OK) {
			/* the view of the check before is gone: what the SIM has is read again (nothing is sent twice) */
			go(cc, OTAD_CCARD_CHECK);
			return;
		}
		osmo_fsm_inst_dispatch(cc->fi, CC_EV_JOB_DONE, &job);
	}
	/* otherwise the job runs (resumed before us) and job_final() will come */
}

static void resume_campaign(const struct otad_campaign *c, void *priv)
{
	unsigned *n = priv;
	struct camp *camp = camp_alloc(c);
	struct rows r;

	if (!camp)
		return;
	read_rows(camp, false, c->cards, &r);
	for (size_t i = 0; i < r.n; i++)
		resume_card(camp, &r.v[i]);
	talloc_free(r.v);
	*n += camp->in_step;
	LOGP(DCAMP, LOGL_NOTICE, "campaign %lld (%s): %s, %u cards in a step\n", (long long)c->id, c->name,
	     otad_campaign_state_names[c->state], camp->in_step);
}

int otad_campaign_resume_all(void)
{
	unsigned n = 0;
	int rc = otad_db_campaigns_list(g_otad->db, true, resume_campaign, &n);

	if (rc < 0)
		return rc;
	schedule_pump();
	return (int)n;
}

void otad_campaign_stop_all(void)
{
	struct camp *camp, *tmp;
	struct ccard *cc, *ctmp;

	osmo_timer_del(&tick);
	llist_for_each_entry_safe(camp, tmp, &camps, list)
	{
		llist_for_each_entry_safe(cc, ctmp, &camp->cards, list)
			osmo_fsm_inst_term(cc->fi, OSMO_FSM_TERM_REQUEST, NULL);
		llist_del(&camp->list);
		talloc_free(camp);
	}
}

int otad_campaign_progress(const struct otad_campaign *c, struct otad_campaign_progress *p)
{
	const int64_t window_ms = 5 * 60 * 1000;
	int64_t now = otad_now_ms(), since, recent = 0, left;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = otad_db_campaign_counts(g_otad->db, c->id, p->n, p->enrol);
	if (rc)
		return rc;
	p->done = p->n[OTAD_CCARD_ACTIVE] + p->n[OTAD_CCARD_SKIPPED] + p->n[OTAD_CCARD_FAILED] +
		  p->n[OTAD_CCARD_CANCELLED];
	/* the rate over the last five minutes, or since the campaign began when it is younger */
	since = now - window_ms > c->created_ms ? now - window_ms : c->created_ms;
	if (c->ended_ms)
		since = c->created_ms;
	rc = otad_db_campaign_done_since(g_otad->db, c->id, since, &recent);
	if (rc)
		return rc;
	if ((c->ended_ms ? c->ended_ms : now) > since && recent)
		p->per_minute = (double)recent * 60000.0 / (double)((c->ended_ms ? c->ended_ms : now) - since);
	left = (int64_t)c->cards - p->done;
	p->eta_s = c->ended_ms || !left ? 0 : p->per_minute > 0 ? (int64_t)((double)left * 60.0 / p->per_minute) : -1;
	return 0;
}
