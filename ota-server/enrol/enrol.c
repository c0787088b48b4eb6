/* Certificate enrolment over the air: the FSM of enrol.h, on OTA jobs (otad_job.h) and the RA's CMP client
 * (ra_cmp.h). The state table below is the spec. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "cert_info.h"
#include "enrol.h"
#include "enrol_script.h"
#include "otad.h"
#include "otad_job.h"
#include "ra_cmp.h"

struct otad_enrol_cfg otad_enrol_cfg = {
	.tar = { 0x50, 0x4b, 0x49 },
	.retries = 6,
	.backoff_min_s = 10,
	.backoff_max_s = 300,
};

void (*otad_enrol_end_cb)(const struct otad_enrol_row *row);

enum enrol_event {
	ENROL_EV_JOB_DONE, /* the current step's job is over (data: const struct otad_job_row *) */
	ENROL_EV_CMP_DONE, /* the CA answered (data: const struct ra_cmp_result *) */
};

static const struct value_string event_names[] = {
	{ ENROL_EV_JOB_DONE, "JOB_DONE" },
	{ ENROL_EV_CMP_DONE, "CMP_DONE" },
	{ 0, NULL },
};

struct enrol {
	struct llist_head list;
	struct osmo_fsm_inst *fi;
	struct osmo_timer_list retry; /* a temporary failure's wait before the step is tried again */
	struct otad_enrol_row row;
};

static LLIST_HEAD(enrols);
static struct ra_cmp *g_ra;

static void ctr(unsigned idx)
{
	rate_ctr_inc(rate_ctr_group_get_ctr(g_otad->ctrs, idx));
}

/* Store the row in state \a s, then enter it. \returns 0; -EIO (the row is kept in memory as it was stored) */
static int set_state(struct enrol *e, enum otad_enrol_state s)
{
	enum otad_enrol_state old = e->row.state;

	if (s != old)
		e->row.tries = 0;
	e->row.state = s;
	if (otad_db_enrol_update(g_otad->db, &e->row)) {
		LOGPFSML(e->fi, LOGL_ERROR, "cannot store state %s: the database failed\n", otad_enrol_state_names[s]);
		e->row.state = old;
		return -EIO;
	}
	osmo_fsm_inst_state_chg(e->fi, s, 0, 0);
	if ((s == OTAD_ENROL_DONE || s == OTAD_ENROL_FAILED) && otad_enrol_end_cb)
		otad_enrol_end_cb(&e->row);
	return 0;
}

static void fail(struct enrol *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct enrol *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->row.error, sizeof(e->row.error), fmt, ap);
	va_end(ap);
	e->row.job = 0;
	LOGPFSML(e->fi, LOGL_NOTICE, "failed: %s\n", e->row.error);
	ctr(OTAD_CTR_CERT_FAILED);
	set_state(e, OTAD_ENROL_FAILED);
	osmo_fsm_inst_term(e->fi, OSMO_FSM_TERM_REGULAR, NULL);
}

/* A temporary failure of the current step: try it again after a wait (doubling from backoff_min_s), or fail once
 * every try is spent. */
static void temporary(struct enrol *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void temporary(struct enrol *e, const char *fmt, ...)
{
	unsigned wait = otad_enrol_cfg.backoff_min_s ? otad_enrol_cfg.backoff_min_s : 1;
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (e->row.tries >= otad_enrol_cfg.retries) {
		fail(e, "%s (gave up after %u tries)", why, e->row.tries + 1);
		return;
	}
	for (unsigned i = 0; i < e->row.tries && wait < otad_enrol_cfg.backoff_max_s; i++)
		wait *= 2;
	if (wait > otad_enrol_cfg.backoff_max_s)
		wait = otad_enrol_cfg.backoff_max_s;
	e->row.tries++;
	e->row.job = 0;
	snprintf(e->row.error, sizeof(e->row.error), "%s; try %u in %u s", why, e->row.tries + 1, wait);
	if (otad_db_enrol_update(g_otad->db, &e->row))
		LOGPFSML(e->fi, LOGL_ERROR, "cannot store the wait: the database failed\n");
	LOGPFSML(e->fi, LOGL_NOTICE, "%s\n", e->row.error);
	osmo_timer_schedule(&e->retry, wait, 0);
}

/* Make the OTA job of the current step; its id is stored with the step. */
static void start_job(struct enrol *e, const uint8_t *script, int len, bool idempotent)
{
	/* a campaign's enrolment moves its certificate by BIP when the card and the server can (otad_job.h, auto) */
	struct otad_job_opts opts = { .bearer = e->row.campaign ? OTAD_JOB_BEARER_AUTO : OTAD_JOB_BEARER_DEFAULT };
	char err[160];
	int64_t id;
	int rc;

	if (len < 0) {
		fail(e, "the %s script cannot be built (%s)", otad_enrol_state_names[e->row.state],
		     len == -E2BIG ? "too long for one job" : "bad input");
		return;
	}
	rc = otad_job_create(e->row.iccid, otad_enrol_cfg.tar, script, (size_t)len, idempotent, &opts, &id, err,
			     sizeof(err));
	if (rc) {
		fail(e, "the %s job cannot be made: %s", otad_enrol_state_names[e->row.state], err);
		return;
	}
	e->row.job = id;
	if (otad_db_enrol_update(g_otad->db, &e->row))
		LOGPFSML(e->fi, LOGL_ERROR, "cannot store job %lld: the database failed\n", (long long)id);
	LOGPFSML(e->fi, LOGL_INFO, "%s: job %lld\n", otad_enrol_state_names[e->row.state], (long long)id);
}

static void step_read(struct enrol *e)
{
	uint8_t script[ENROL_SCRIPT_MAX];

	start_job(e, script, enrol_script_read(script, sizeof(script)), true);
}

static void step_csr(struct enrol *e)
{
	uint8_t script[ENROL_SCRIPT_MAX];

	start_job(e, script,
		  enrol_script_csr((uint8_t)e->row.key_ref, e->row.subject, e->row.subject_len, script, sizeof(script)),
		  true);
}

static void cmp_done(const struct ra_cmp_result *res, void *priv);

static void step_cmp(struct enrol *e)
{
	int rc;

	if (!g_ra) {
		fail(e, "no CA is configured (the 'ca' node of the configuration)");
		return;
	}
	if (e->row.txid_len != sizeof(e->row.txid)) {
		/* made once and stored before the first request: every request of this enrolment carries it */
		if (RAND_bytes(e->row.txid, sizeof(e->row.txid)) != 1) {
			fail(e, "no random transactionID (OpenSSL's random generator failed)");
			return;
		}
		e->row.txid_len = sizeof(e->row.txid);
		if (otad_db_enrol_update(g_otad->db, &e->row)) {
			e->row.txid_len = 0;
			fail(e, "the request's transactionID cannot be stored: the database failed");
			return;
		}
	}
	/* the enrolment's id, not the pointer: the CA may answer after the enrolment is gone (daemon stopping) */
	rc = ra_cmp_p10cr_async(g_ra, e->row.csr, e->row.csr_len, e->row.profile,
				e->row.holder[0] ? e->row.holder : NULL, e->row.iccid, e->row.txid, cmp_done,
				(void *)(intptr_t)e->row.id);
	if (rc)
		fail(e, "the request cannot be sent to the CA (%s)",
		     rc == -ENOSPC ? "too many requests waiting" : "the SIM's request is not valid");
}

static void step_load(struct enrol *e)
{
	struct p15_object key = { .key_ref = e->row.key_id };
	uint8_t script[ENROL_SCRIPT_MAX];

	memcpy(key.id, e->row.p15_id, e->row.p15_id_len);
	key.id_len = (uint8_t)e->row.p15_id_len;
	start_job(e, script,
		  enrol_script_load(&key, e->row.cert_fid, e->row.cdf_used, e->row.profile, e->row.cert,
				    e->row.cert_len, script, sizeof(script)),
		  false);
}

static void step_verify(struct enrol *e)
{
	uint8_t script[ENROL_SCRIPT_MAX];

	start_job(e, script, enrol_script_verify(e->row.cert_fid, e->row.cert_len, script, sizeof(script)), true);
}

/* A job of the current step is over without a PoR to read: say how it ended. No PoR in time, or an SMS the SMSC
 * refused, may pass (the phone comes back): tried again; the card's refusal (a PoR with an error) or a job an
 * operator cancelled is final. */
static void job_failed(struct enrol *e, const struct otad_job_row *j)
{
	if (j->state == OTAD_JOB_TIMED_OUT || j->state == OTAD_JOB_FAILED) {
		temporary(e, "the %s job %lld ended %s: %s", otad_enrol_state_names[e->row.state], (long long)j->id,
			  otad_job_state_names[j->state], j->error[0] ? j->error : "no reason given");
		return;
	}
	fail(e, "the %s job %lld ended %s: %s", otad_enrol_state_names[e->row.state], (long long)j->id,
	     otad_job_state_names[j->state], j->error[0] ? j->error : "no reason given");
}

static void st_read(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct enrol *e = fi->priv;
	const struct otad_job_row *j = data;
	struct enrol_view v;
	char why[160];

	if (j->state != OTAD_JOB_POR_OK) {
		job_failed(e, j);
		return;
	}
	if (enrol_read_parse(j->por_response, j->por_response_len, e->row.key_id, &v, why, sizeof(why))) {
		fail(e, "%s", why);
		return;
	}
	if (v.key_certified) {
		/* the SIM would refuse the request (6985) if the certificate is there; say what the card lists */
		LOGPFSML(fi, LOGL_NOTICE, "the card's CDF lists a certificate for key %02X already\n", e->row.key_id);
	}
	e->row.key_ref = v.key.key_ref;
	memcpy(e->row.p15_id, v.key.id, v.key.id_len);
	e->row.p15_id_len = v.key.id_len;
	e->row.cert_fid = v.cert_fid;
	e->row.cdf_used = v.cdf_used;
	e->row.job = 0;
	if (!set_state(e, OTAD_ENROL_CSR))
		step_csr(e);
}

static void st_csr(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct enrol *e = fi->priv;
	const struct otad_job_row *j = data;
	const uint8_t *csr;
	size_t len;
	char why[160];

	if (j->state != OTAD_JOB_POR_OK) {
		job_failed(e, j);
		return;
	}
	if (enrol_csr_parse(j->por_response, j->por_response_len, &csr, &len, why, sizeof(why))) {
		fail(e, "%s", why);
		return;
	}
	if (len > sizeof(e->row.csr)) {
		fail(e, "the SIM's request is too long (%zu bytes)", len);
		return;
	}
	memcpy(e->row.csr, csr, len);
	e->row.csr_len = len;
	e->row.job = 0;
	if (!set_state(e, OTAD_ENROL_CMP))
		step_cmp(e);
}

/* The card's certificates (otad_db.h): the new one, issued, before it goes to the SIM. */
static void record_issued(struct enrol *e)
{
	struct otad_cert ct = { .status = OTAD_CERT_ISSUED, .der = e->row.cert, .der_len = e->row.cert_len };

	snprintf(ct.iccid, sizeof(ct.iccid), "%s", e->row.iccid);
	snprintf(ct.key_id, sizeof(ct.key_id), "%u", e->row.key_id);
	snprintf(ct.profile, sizeof(ct.profile), "%s", e->row.profile);
	if (cert_info(e->row.cert, e->row.cert_len, ct.serial, &ct.not_after) || otad_db_cert_insert(g_otad->db, &ct)) {
		LOGPFSML(e->fi, LOGL_ERROR, "cannot record certificate %s of the card\n", e->row.serial);
		return;
	}
	e->row.cert_row = ct.id;
}

static void st_cmp(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct enrol *e = fi->priv;
	const struct ra_cmp_result *res = data;
	const uint8_t *p = res->cert;
	ASN1_INTEGER *sn;
	BIGNUM *bn;
	X509 *x;
	char *hex;

	if (res->status == RA_CMP_UNREACHABLE) {
		temporary(e, "the CA could not be reached: %s", res->text);
		return;
	}
	if (res->status != RA_CMP_DONE) {
		fail(e, "the CA %s the request: %s",
		     res->status == RA_CMP_REJECTED    ? "rejected" :
		     res->status == RA_CMP_UNREACHABLE ? "could not be reached for" :
							 "gave no usable answer to",
		     res->text);
		return;
	}
	if (!res->cert_len || res->cert_len > sizeof(e->row.cert) || res->cert_len > ENROL_CERT_MAX ||
	    !(x = d2i_X509(NULL, &p, (long)res->cert_len))) {
		fail(e, "the CA's certificate is too long for the SIM's file or does not parse (%zu bytes)",
		     res->cert_len);
		return;
	}
	sn = X509_get_serialNumber(x);
	bn = ASN1_INTEGER_to_BN(sn, NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	snprintf(e->row.serial, sizeof(e->row.serial), "%s", hex ? hex : "");
	OPENSSL_free(hex);
	X509_free(x);
	memcpy(e->row.cert, res->cert, res->cert_len);
	e->row.cert_len = res->cert_len;
	record_issued(e);
	LOGPFSML(fi, LOGL_INFO, "the CA issued serial %s\n", e->row.serial);
	if (!set_state(e, OTAD_ENROL_LOAD))
		step_load(e);
}

static void st_load(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct enrol *e = fi->priv;
	const struct otad_job_row *j = data;
	char why[160];

	if (j->state == OTAD_JOB_UNKNOWN || j->state == OTAD_JOB_TIMED_OUT) {
		/* the SIM may have run it: the read-back decides */
		LOGPFSML(fi, LOGL_NOTICE, "the load job's outcome is unknown: reading the certificate back\n");
	} else if (j->state != OTAD_JOB_POR_OK) {
		job_failed(e, j);
		return;
	} else if (enrol_load_parse(j->por_response, j->por_response_len, e->row.cert_len, why, sizeof(why))) {
		fail(e, "%s", why);
		return;
	}
	e->row.job = 0;
	if (!set_state(e, OTAD_ENROL_VERIFY))
		step_verify(e);
}

static void st_verify(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct enrol *e = fi->priv;
	const struct otad_job_row *j = data;
	char why[160];
	int rc;

	if (j->state != OTAD_JOB_POR_OK) {
		job_failed(e, j);
		return;
	}
	rc = enrol_verify_parse(j->por_response, j->por_response_len, e->row.cert, e->row.cert_len, why, sizeof(why));
	if (rc == -ENOENT) {
		/* the load did not run (its outcome was unknown, or the daemon stopped before it left): load it again,
		 * a try of the load step */
		unsigned tries = e->row.tries;

		if (tries >= otad_enrol_cfg.retries) {
			fail(e, "%s (after %u loads)", why, tries + 1);
			return;
		}
		LOGPFSML(fi, LOGL_NOTICE, "%s: loading it again\n", why);
		e->row.job = 0;
		if (set_state(e, OTAD_ENROL_LOAD))
			return;
		e->row.tries = tries + 1;
		step_load(e);
		return;
	}
	if (rc) {
		fail(e, "%s", why);
		return;
	}
	e->row.job = 0;
	e->row.error[0] = 0;
	if (e->row.cert_row && otad_db_cert_set_status(g_otad->db, e->row.cert_row, OTAD_CERT_LOADED, -1))
		LOGPFSML(fi, LOGL_ERROR, "cannot record certificate %s as loaded\n", e->row.serial);
	ctr(OTAD_CTR_CERT_LOADED);
	LOGPFSML(fi, LOGL_NOTICE, "done: certificate %s is on the SIM (file %04X), read back equal\n", e->row.serial,
		 e->row.cert_fid);
	if (!set_state(e, OTAD_ENROL_DONE))
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
}

#define S(x) (1 << (x))

static const struct osmo_fsm_state enrol_states[] = {
	[OTAD_ENROL_READ] = { .name = "read",
			      .in_event_mask = S(ENROL_EV_JOB_DONE),
			      .out_state_mask = S(OTAD_ENROL_CSR) | S(OTAD_ENROL_FAILED),
			      .action = st_read },
	[OTAD_ENROL_CSR] = { .name = "csr",
			     .in_event_mask = S(ENROL_EV_JOB_DONE),
			     .out_state_mask = S(OTAD_ENROL_CMP) | S(OTAD_ENROL_FAILED),
			     .action = st_csr },
	[OTAD_ENROL_CMP] = { .name = "cmp",
			     .in_event_mask = S(ENROL_EV_CMP_DONE),
			     .out_state_mask = S(OTAD_ENROL_LOAD) | S(OTAD_ENROL_FAILED),
			     .action = st_cmp },
	[OTAD_ENROL_LOAD] = { .name = "load",
			      .in_event_mask = S(ENROL_EV_JOB_DONE),
			      .out_state_mask = S(OTAD_ENROL_VERIFY) | S(OTAD_ENROL_FAILED),
			      .action = st_load },
	[OTAD_ENROL_VERIFY] = { .name = "verify",
				.in_event_mask = S(ENROL_EV_JOB_DONE),
				.out_state_mask = S(OTAD_ENROL_DONE) | S(OTAD_ENROL_LOAD) | S(OTAD_ENROL_FAILED),
				.action = st_verify },
	[OTAD_ENROL_DONE] = { .name = "done" },
	[OTAD_ENROL_FAILED] = { .name = "failed" },
};

static void enrol_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct enrol *e = fi->priv;

	osmo_timer_del(&e->retry);
	llist_del(&e->list);
}

/* The wait after a temporary failure is over: the current step again. */
static void retry_step(void *data)
{
	struct enrol *e = data;

	switch (e->row.state) {
	case OTAD_ENROL_READ:
		step_read(e);
		break;
	case OTAD_ENROL_CSR:
		step_csr(e);
		break;
	case OTAD_ENROL_CMP:
		step_cmp(e);
		break;
	case OTAD_ENROL_LOAD:
		step_load(e);
		break;
	case OTAD_ENROL_VERIFY:
		step_verify(e);
		break;
	default:
		break;
	}
}

struct osmo_fsm otad_enrol_fsm = {
	.name = "enrol",
	.states = enrol_states,
	.num_states = ARRAY_SIZE(enrol_states),
	.event_names = event_names,
	.cleanup = enrol_cleanup,
	.log_subsys = DCERT,
};

static __attribute__((constructor)) void register_fsm(void)
{
	OSMO_ASSERT(osmo_fsm_register(&otad_enrol_fsm) == 0);
}

/* An instance for \a row in its stored state, without running anything. */
static struct enrol *enrol_alloc(const struct otad_enrol_row *row)
{
	struct enrol *e = talloc_zero(g_otad->ctx, struct enrol);
	char id[64];

	if (!e)
		return NULL;
	snprintf(id, sizeof(id), "%lld-%s", (long long)row->id, row->iccid);
	e->fi = osmo_fsm_inst_alloc(&otad_enrol_fsm, e, e, LOGL_INFO, id);
	if (!e->fi) {
		talloc_free(e);
		return NULL;
	}
	talloc_steal(g_otad->ctx, e->fi);
	talloc_steal(e->fi, e);
	e->row = *row;
	e->fi->state = row->state;
	osmo_timer_setup(&e->retry, retry_step, e);
	llist_add_tail(&e->list, &enrols);
	return e;
}

static struct enrol *find_by_id(int64_t id)
{
	struct enrol *e;

	llist_for_each_entry(e, &enrols, list) if (e->row.id == id) return e;
	return NULL;
}

static void cmp_done(const struct ra_cmp_result *res, void *priv)
{
	struct enrol *e = find_by_id((int64_t)(intptr_t)priv);

	if (e && e->fi->state == OTAD_ENROL_CMP)
		osmo_fsm_inst_dispatch(e->fi, ENROL_EV_CMP_DONE, (void *)res);
}

/* otad_job_final_cb: the job of an enrolment's step is over. */
static void job_final(const struct otad_job_row *row)
{
	struct enrol *e;

	llist_for_each_entry(e, &enrols, list)
	{
		if (e->row.job == row->id) {
			osmo_fsm_inst_dispatch(e->fi, ENROL_EV_JOB_DONE, (void *)row);
			return;
		}
	}
}

void otad_enrol_init(struct ra_cmp *ra)
{
	g_ra = ra;
	otad_job_final_cb = job_final;
}

int otad_enrol_start(const char *iccid, uint8_t key_id, const char *profile, const char *holder, const uint8_t *subject,
		     size_t subject_len, int64_t *id, char *err, size_t errlen)
{
	return otad_enrol_start_for(0, iccid, key_id, profile, holder, subject, subject_len, NULL, id, err, errlen);
}

int otad_enrol_start_for(int64_t campaign, const char *iccid, uint8_t key_id, const char *profile, const char *holder,
			 const uint8_t *subject, size_t subject_len, const struct enrol_view *known, int64_t *id,
			 char *err, size_t errlen)
{
	static struct otad_enrol_row row;
	struct otad_card card;
	struct enrol *e;
	int rc;

	if (!key_id || !profile || !*profile || strlen(profile) >= sizeof(row.profile) || !subject_len ||
	    subject_len > sizeof(row.subject) || strlen(holder ? holder : "") >= sizeof(row.holder)) {
		snprintf(err, errlen, "a key id 1..255, a profile and a subject of at most %zu bytes are needed",
			 sizeof(row.subject));
		return -EINVAL;
	}
	rc = otad_db_card_get(g_otad->db, iccid, &card);
	if (rc) {
		snprintf(err, errlen, rc == -ENOENT ? "no card %s" : "the database failed", iccid);
		return rc;
	}
	llist_for_each_entry(e, &enrols, list)
	{
		if (!strcmp(e->row.iccid, iccid) && e->row.key_id == key_id) {
			snprintf(err, errlen, "enrolment %lld of key %u of this card is under way",
				 (long long)e->row.id, key_id);
			return -EBUSY;
		}
	}
	memset(&row, 0, sizeof(row));
	snprintf(row.iccid, sizeof(row.iccid), "%s", iccid);
	row.key_id = key_id;
	row.key_ref = -1;
	snprintf(row.profile, sizeof(row.profile), "%s", profile);
	snprintf(row.holder, sizeof(row.holder), "%s", holder ? holder : "");
	memcpy(row.subject, subject, subject_len);
	row.subject_len = subject_len;
	row.state = OTAD_ENROL_READ;
	row.campaign = campaign;
	if (known) {
		row.key_ref = known->key.key_ref;
		memcpy(row.p15_id, known->key.id, known->key.id_len);
		row.p15_id_len = known->key.id_len;
		row.cert_fid = known->cert_fid;
		row.cdf_used = known->cdf_used;
		row.state = OTAD_ENROL_CSR;
	}
	if (otad_db_enrol_insert(g_otad->db, &row)) {
		snprintf(err, errlen, "the database failed");
		return -EIO;
	}
	e = enrol_alloc(&row);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*id = row.id;
	LOGPFSML(e->fi, LOGL_INFO, "key %u, profile %s, holder %s\n", key_id, profile,
		 row.holder[0] ? row.holder : "-");
	if (known)
		step_csr(e);
	else
		step_read(e);
	return 0;
}

static void resume_one(const struct otad_enrol_row *row, void *priv)
{
	static struct otad_job_row job;
	unsigned *n = priv;
	struct enrol *e = enrol_alloc(row);

	if (!e)
		return;
	(*n)++;
	if (row->state == OTAD_ENROL_CMP) {
		step_cmp(e);
		return;
	}
	if (!row->job) {
		/* stopped between storing the step and making its job: make it now (for load, the read-back first:
		 * the job may have been made and run) */
		if (row->state == OTAD_ENROL_READ)
			step_read(e);
		else if (row->state == OTAD_ENROL_CSR)
			step_csr(e);
		else if (row->state == OTAD_ENROL_LOAD && !set_state(e, OTAD_ENROL_VERIFY))
			step_verify(e);
		else if (row->state == OTAD_ENROL_VERIFY)
			step_verify(e);
		return;
	}
	if (otad_db_job_get(g_otad->db, row->job, &job) == 0 && otad_job_state_final(job.state))
		osmo_fsm_inst_dispatch(e->fi, ENROL_EV_JOB_DONE, &job);
	/* otherwise the job runs (resumed before us) and job_final() will come */
}

int otad_enrol_retry(int64_t id, char *err, size_t errlen)
{
	static struct otad_enrol_row row;
	enum otad_enrol_state s;
	struct enrol *e;
	int rc = otad_db_enrol_get(g_otad->db, id, &row);

	if (rc) {
		snprintf(err, errlen, rc == -ENOENT ? "no enrolment %lld" : "the database failed", (long long)id);
		return rc;
	}
	if (row.state != OTAD_ENROL_FAILED || find_by_id(id)) {
		snprintf(err, errlen, "enrolment %lld is %s, not failed", (long long)id,
			 otad_enrol_state_names[row.state]);
		return -EBUSY;
	}
	s = row.cert_len ? OTAD_ENROL_VERIFY : row.csr_len ? OTAD_ENROL_CMP : OTAD_ENROL_READ;
	row.job = 0;
	row.error[0] = 0;
	row.tries = 0;
	row.state = s;
	if (otad_db_enrol_update(g_otad->db, &row)) {
		snprintf(err, errlen, "the database failed");
		return -EIO;
	}
	e = enrol_alloc(&row);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	LOGPFSML(e->fi, LOGL_NOTICE, "taken up again at %s\n", otad_enrol_state_names[s]);
	retry_step(e);
	return 0;
}

int otad_enrol_resume_all(void)
{
	unsigned n = 0;
	int rc = otad_db_enrols_active(g_otad->db, resume_one, &n);

	return rc ? rc : (int)n;
}

unsigned otad_enrol_active(void)
{
	struct enrol *e;
	unsigned n = 0;

	llist_for_each_entry(e, &enrols, list) n++;
	return n;
}

void otad_enrol_stop_all(void)
{
	struct enrol *e, *tmp;

	llist_for_each_entry_safe(e, tmp, &enrols, list) osmo_fsm_inst_term(e->fi, OSMO_FSM_TERM_REQUEST, NULL);
}

int otad_enrol_holder_subject(const struct otad_card *card, uint8_t *der, size_t max, char *err, size_t errlen)
{
	struct otad_holder h;
	struct otad_unit u, prov;
	struct enrol_subject s = { .c = "VN", .o = otad_enrol_cfg.organisation };
	int rc;

	if (!card->holder[0]) {
		snprintf(err, errlen, "card %s has no holder", card->iccid);
		return -ENODATA;
	}
	if (otad_db_holder_get(g_otad->db, card->holder, &h) || otad_db_unit_get(g_otad->db, h.unit, &u)) {
		snprintf(err, errlen, "the database failed");
		return -EIO;
	}
	s.cn = h.name;
	s.serial_number = h.id_number;
	if (u.kind == OTAD_UNIT_PROVINCE) {
		s.st = u.name;
	} else {
		s.ou = u.name;
		s.st = otad_db_unit_get(g_otad->db, u.parent, &prov) ? NULL : prov.name;
	}
	rc = enrol_subject_der(&s, der, max);
	if (rc < 0)
		snprintf(err, errlen,
			 "the holder's name, identity number or unit do not make a certificate subject (%s)",
			 rc == -E2BIG ? "too long" : "refused");
	return rc;
}
