/* simpki-otad's signing sessions (sign.h): one osmo_fsm per session, chained on the OTA jobs and the OCSP client. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "otad.h"
#include "otad_job.h"
#include "ra_ocsp.h"
#include "sign.h"

struct otad_sign_cfg otad_sign_cfg = {
	.port = 8481,
	.tar = SIGN_TAR_DEFAULT,
	.timeout_s = 120,
	.max_sessions = 10000,
	.retain_s = 300,
	.rps = LLIST_HEAD_INIT(otad_sign_cfg.rps),
};

const char *const otad_sign_state_names[OTAD_SIGN_N_STATES] = {
	[OTAD_SIGN_ST_CREATED] = "created",   [OTAD_SIGN_ST_SENDING] = "sending",
	[OTAD_SIGN_ST_WAITING] = "waiting",   [OTAD_SIGN_ST_VERIFYING] = "verifying",
	[OTAD_SIGN_ST_COMPLETE] = "complete",
};

#define VERIFY_WAIT_S 15 /* the OCSP answer may take this long once the SIM signed */

static LLIST_HEAD(sessions);
static unsigned n_running;
static struct ra_ocsp *g_ocsp;
static void (*next_final)(const struct otad_job_row *row);
static void (*next_change)(const struct otad_job_row *row);

struct watcher {
	struct llist_head list;
	otad_sign_watch_cb cb;
	void *priv;
};

static void ctr(unsigned idx)
{
	if (g_otad && g_otad->ctrs)
		rate_ctr_inc(rate_ctr_group_get_ctr(g_otad->ctrs, idx));
}

static void store(struct otad_sign_session *s)
{
	snprintf(s->row.state, sizeof(s->row.state), "%s", otad_sign_state_names[s->fi->state]);
	if (otad_db_sign_update(g_otad->db, &s->row))
		LOGPFSML(s->fi, LOGL_ERROR, "cannot store the session: the database failed\n");
}

static void tell_watchers(struct otad_sign_session *s)
{
	struct watcher *w;

	while (!llist_empty(&s->watchers)) {
		w = llist_first_entry(&s->watchers, struct watcher, list);
		llist_del(&w->list);
		w->cb(w->priv);
		talloc_free(w);
	}
}

/* End the session with \a r (and \a fmt for the record). */
static void complete(struct otad_sign_session *s, enum otad_sign_result r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void complete(struct otad_sign_session *s, enum otad_sign_result r, const char *fmt, ...)
{
	va_list ap;

	if (s->fi->state == OTAD_SIGN_ST_COMPLETE)
		return;
	va_start(ap, fmt);
	vsnprintf(s->row.error, sizeof(s->row.error), fmt, ap);
	va_end(ap);
	s->result = r;
	snprintf(s->row.result, sizeof(s->row.result), "%s", otad_sign_result_names[r]);
	s->row.completed_ms = otad_now_ms();
	if (r != OTAD_SIGN_OK)
		s->row.sig_len = 0;
	osmo_fsm_inst_state_chg(s->fi, OTAD_SIGN_ST_COMPLETE, otad_sign_cfg.retain_s ? otad_sign_cfg.retain_s : 1, 0);
	store(s);
	n_running--;
	if (s->rp) {
		s->rp->running--;
		if (r == OTAD_SIGN_OK)
			s->rp->ok++;
		else
			s->rp->other++;
	}
	ctr(r == OTAD_SIGN_OK ? OTAD_CTR_SIGN_OK : OTAD_CTR_SIGN_REFUSED);
	LOGPFSML(s->fi, r == OTAD_SIGN_OK ? LOGL_INFO : LOGL_NOTICE, "%s%s%s\n", otad_sign_result_names[r],
		 s->row.error[0] ? ": " : "", s->row.error);
	if (s->cert && g_ocsp)
		ra_ocsp_cancel(g_ocsp, s);
	tell_watchers(s);
}

/* ---- the signature ---------------------------------------------------------------------------------------- */

static const EVP_MD *md_of(enum sign_hash h)
{
	return h == SIGN_HASH_SHA384 ? EVP_sha384() : h == SIGN_HASH_SHA512 ? EVP_sha512() : EVP_sha256();
}

static EVP_PKEY *key_of(const uint8_t *cert, size_t len)
{
	const unsigned char *p = cert;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	EVP_PKEY *k = x ? X509_get_pubkey(x) : NULL;

	X509_free(x);
	return k;
}

int otad_sign_alg_names(const uint8_t *cert, size_t len, enum sign_hash h, const char **sig_alg, const char **key_alg)
{
	static const char *const ec[] = { "ECDSA-SHA256", "ECDSA-SHA384", "ECDSA-SHA512" };
	static const char *const rsa[] = { "SHA256withRSA", "SHA384withRSA", "SHA512withRSA" };
	EVP_PKEY *k = key_of(cert, len);
	int i = h == SIGN_HASH_SHA384 ? 1 : h == SIGN_HASH_SHA512 ? 2 : 0, rc = 0;

	if (k && EVP_PKEY_is_a(k, "EC")) {
		*sig_alg = ec[i];
		*key_alg = "EC";
	} else if (k && EVP_PKEY_is_a(k, "RSA")) {
		*sig_alg = rsa[i];
		*key_alg = "RSA";
	} else {
		rc = -EINVAL;
	}
	EVP_PKEY_free(k);
	return rc;
}

int otad_sign_verify(const uint8_t *cert, size_t cert_len, enum sign_hash h, const uint8_t *hash, size_t hash_len,
		     const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY *k = key_of(cert, cert_len);
	EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
	int rc = -EINVAL;

	if (!ctx || EVP_PKEY_verify_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_is_a(k, "RSA") && (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
					EVP_PKEY_CTX_set_signature_md(ctx, md_of(h)) <= 0))
		goto out;
	/* ECDSA: over the hash as it is; RSA: OpenSSL wraps the hash in its DigestInfo */
	rc = EVP_PKEY_verify(ctx, sig, sig_len, hash, hash_len) == 1 ? 0 : -EBADMSG;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	return rc;
}

/* ---- the state machine: the table below is the spec (sign.h) ---------------------------------------------- */

/* The SIM signed, or the OCSP answer came: finish when both are in. */
static void try_finish(struct otad_sign_session *s)
{
	if (s->fi->state != OTAD_SIGN_ST_VERIFYING)
		return;
	if (!g_ocsp) {
		complete(s, OTAD_SIGN_INTERNAL_ERROR,
			 "no OCSP responder configured ('ca' node, ocsp-url): the "
			 "certificate's status cannot be checked");
		return;
	}
	if (s->ocsp < 0)
		return; /* the answer is on its way; the state's timer bounds the wait */
	if (s->ocsp == RA_OCSP_GOOD)
		complete(s, OTAD_SIGN_OK, "%s", "");
	else if (s->ocsp == RA_OCSP_ERROR)
		complete(s, OTAD_SIGN_INTERNAL_ERROR, "OCSP: %s", s->ocsp_text);
	else
		complete(s, OTAD_SIGN_REVOKED_CERTIFICATE, "OCSP: %s", s->ocsp_text);
}

/* The SIM's answer (the PoR's additional data). */
static void sim_answered(struct otad_sign_session *s, const struct otad_job_row *job)
{
	struct sign_resp resp;
	enum otad_sign_result r;

	s->row.answered_ms = otad_now_ms();
	if (sign_resp_decode(job->por_response, job->por_response_len, &resp)) {
		complete(s, OTAD_SIGN_SIM_ERROR, "the SIM's answer is no signing response (%zu bytes)",
			 job->por_response_len);
		return;
	}
	s->row.tries_left = resp.tries_left;
	if (resp.id_len != s->req.id_len || memcmp(resp.id, s->req.id, resp.id_len)) {
		complete(s, OTAD_SIGN_SIM_ERROR, "the SIM answered %s for another request id",
			 sign_result_name(resp.result));
		return;
	}
	r = otad_sign_result_of_sim(resp.result);
	if (r != OTAD_SIGN_OK) {
		complete(s, r, "the SIM answered %s", sign_result_name(resp.result));
		return;
	}
	memcpy(s->row.sig, resp.sig, resp.sig_len);
	s->row.sig_len = resp.sig_len;
	osmo_fsm_inst_state_chg(s->fi, OTAD_SIGN_ST_VERIFYING, VERIFY_WAIT_S, 0);
	store(s);
	if (otad_sign_verify(s->cert, s->cert_len, s->req.hash_alg, s->req.hash, s->req.hash_len, resp.sig,
			     resp.sig_len)) {
		complete(s, OTAD_SIGN_SIGNATURE_HASH_MISMATCH,
			 "the signature does not verify over the hash with certificate %s's key", s->row.serial);
		return;
	}
	try_finish(s);
}

static void job_done(struct otad_sign_session *s, const struct otad_job_row *job)
{
	switch (job->state) {
	case OTAD_JOB_POR_OK:
		sim_answered(s, job);
		break;
	case OTAD_JOB_POR_ERROR:
		complete(s, OTAD_SIGN_SIM_ERROR, "job %lld: %s", (long long)job->id, job->error);
		break;
	case OTAD_JOB_FAILED:
		complete(s, job->smpp_status ? otad_sign_result_of_smpp(job->smpp_status) : OTAD_SIGN_DELIVERY_ERROR,
			 "job %lld: %s", (long long)job->id, job->error);
		break;
	case OTAD_JOB_CANCELLED:
		complete(s, OTAD_SIGN_CANCELLED, "job %lld cancelled", (long long)job->id);
		break;
	default: /* timed-out, unknown */
		complete(s, OTAD_SIGN_TIMEOUT, "job %lld: %s", (long long)job->id, job->error);
		break;
	}
}

static void got_ocsp(struct otad_sign_session *s, const struct otad_sign_ocsp *o)
{
	s->ocsp = o->status;
	snprintf(s->ocsp_text, sizeof(s->ocsp_text), "%s", o->text);
	LOGPFSML(s->fi, LOGL_DEBUG, "OCSP: %s\n", o->text);
	try_finish(s);
}

static void cancel(struct otad_sign_session *s)
{
	char err[160];

	if (s->row.job && otad_job_cancel(s->row.job, err, sizeof(err)) == 0)
		return; /* the job's end (cancelled) completes the session */
	complete(s, OTAD_SIGN_CANCELLED, "cancelled by the relying party%s",
		 s->row.job ? " (the request had left: a late answer is ignored)" : "");
}

static void st_created(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	if (event == OTAD_SIGN_EV_CANCEL)
		cancel(fi->priv);
	else if (event == OTAD_SIGN_EV_OCSP)
		got_ocsp(fi->priv, data); /* a cached answer, given at once */
					  /* START is handled by otad_sign_start() (the job is made there) */
}

static void st_running(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct otad_sign_session *s = fi->priv;
	const struct otad_job_row *job = data;

	switch (event) {
	case OTAD_SIGN_EV_JOB_CHANGE:
		if (job->state == OTAD_JOB_DELIVERED && fi->state == OTAD_SIGN_ST_SENDING) {
			osmo_fsm_inst_state_chg(fi, OTAD_SIGN_ST_WAITING, otad_sign_cfg.timeout_s + SIGN_GRACE_S, 0);
			store(s);
		}
		break;
	case OTAD_SIGN_EV_JOB_DONE:
		job_done(s, job);
		break;
	case OTAD_SIGN_EV_OCSP:
		got_ocsp(s, data);
		break;
	case OTAD_SIGN_EV_CANCEL:
		cancel(s);
		break;
	}
}

static void st_complete(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct otad_sign_session *s = fi->priv;
	const struct otad_job_row *job = data;

	if (event != OTAD_SIGN_EV_JOB_DONE)
		return; /* an OCSP answer after the end: nothing to do */
	ctr(OTAD_CTR_SIGN_LATE);
	LOGPFSML(fi, LOGL_NOTICE, "a late answer (job %lld %s) after the session ended %s: ignored\n",
		 (long long)job->id, otad_job_state_names[job->state], s->row.result);
	snprintf(s->row.error + strlen(s->row.error), sizeof(s->row.error) - strlen(s->row.error), "%slate: job %s",
		 s->row.error[0] ? "; " : "", otad_job_state_names[job->state]);
	store(s);
}

static int timer_cb(struct osmo_fsm_inst *fi)
{
	struct otad_sign_session *s = fi->priv;

	switch (fi->state) {
	case OTAD_SIGN_ST_VERIFYING:
		complete(s, OTAD_SIGN_INTERNAL_ERROR, "no OCSP answer in %d s", VERIFY_WAIT_S);
		return 0;
	case OTAD_SIGN_ST_COMPLETE:
		return 1; /* retained long enough: free it */
	default:
		complete(s, OTAD_SIGN_TIMEOUT, "no answer in %u s", otad_sign_cfg.timeout_s + SIGN_GRACE_S);
		return 0;
	}
}

static void cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct otad_sign_session *s = fi->priv;

	if (fi->state != OTAD_SIGN_ST_COMPLETE) {
		n_running--;
		if (s->rp)
			s->rp->running--;
	}
	if (g_ocsp)
		ra_ocsp_cancel(g_ocsp, s);
	tell_watchers(s);
	llist_del(&s->list);
}

#define S(x) (1 << (x))
static const struct osmo_fsm_state sign_states[] = {
	[OTAD_SIGN_ST_CREATED] = { .name = "created",
				   .in_event_mask =
					   S(OTAD_SIGN_EV_START) | S(OTAD_SIGN_EV_OCSP) | S(OTAD_SIGN_EV_CANCEL),
				   .out_state_mask = S(OTAD_SIGN_ST_SENDING) | S(OTAD_SIGN_ST_COMPLETE),
				   .action = st_created },
	[OTAD_SIGN_ST_SENDING] = { .name = "sending",
				   .in_event_mask = S(OTAD_SIGN_EV_JOB_CHANGE) | S(OTAD_SIGN_EV_JOB_DONE) |
						    S(OTAD_SIGN_EV_OCSP) | S(OTAD_SIGN_EV_CANCEL),
				   .out_state_mask = S(OTAD_SIGN_ST_WAITING) | S(OTAD_SIGN_ST_VERIFYING) |
						     S(OTAD_SIGN_ST_COMPLETE),
				   .action = st_running },
	[OTAD_SIGN_ST_WAITING] = { .name = "waiting",
				   .in_event_mask =
					   S(OTAD_SIGN_EV_JOB_DONE) | S(OTAD_SIGN_EV_OCSP) | S(OTAD_SIGN_EV_CANCEL),
				   .out_state_mask = S(OTAD_SIGN_ST_VERIFYING) | S(OTAD_SIGN_ST_COMPLETE),
				   .action = st_running },
	[OTAD_SIGN_ST_VERIFYING] = { .name = "verifying",
				     .in_event_mask = S(OTAD_SIGN_EV_OCSP) | S(OTAD_SIGN_EV_CANCEL),
				     .out_state_mask = S(OTAD_SIGN_ST_COMPLETE),
				     .action = st_running },
	[OTAD_SIGN_ST_COMPLETE] = { .name = "complete",
				    .in_event_mask = S(OTAD_SIGN_EV_JOB_DONE) | S(OTAD_SIGN_EV_OCSP),
				    .action = st_complete },
};

static const struct value_string sign_event_names[] = {
	{ OTAD_SIGN_EV_START, "START" },       { OTAD_SIGN_EV_JOB_CHANGE, "JOB_CHANGE" },
	{ OTAD_SIGN_EV_JOB_DONE, "JOB_DONE" }, { OTAD_SIGN_EV_OCSP, "OCSP" },
	{ OTAD_SIGN_EV_CANCEL, "CANCEL" },     { 0, NULL },
};

struct osmo_fsm otad_sign_fsm = {
	.name = "sign",
	.states = sign_states,
	.num_states = ARRAY_SIZE(sign_states),
	.event_names = sign_event_names,
	.timer_cb = timer_cb,
	.cleanup = cleanup,
	.log_subsys = DSIGN,
};

static __attribute__((constructor)) void register_fsm(void)
{
	OSMO_ASSERT(osmo_fsm_register(&otad_sign_fsm) == 0);
}

/* ---- hooks -------------------------------------------------------------------------------------------------- */

/* A job that ended inside otad_job_create() (before its id was known to its session). */
static struct otad_job_row early;

static struct otad_sign_session *session_of_job(int64_t id)
{
	struct otad_sign_session *s;

	llist_for_each_entry(s, &sessions, list)
	{
		if (s->row.job == id)
			return s;
	}
	return NULL;
}

static void job_final(const struct otad_job_row *row)
{
	struct otad_sign_session *s = session_of_job(row->id);
	static struct otad_sign_row r;

	if (s) {
		osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, (void *)row);
	} else if (!memcmp(row->tar, otad_sign_cfg.tar, 3) && otad_db_sign_by_job(g_otad->db, row->id, &r) == 0) {
		/* a late answer for a session no longer in memory */
		ctr(OTAD_CTR_SIGN_LATE);
		LOGP(DSIGN, LOGL_NOTICE, "sign(%s): a late answer (job %lld %s) after the session ended %s: ignored\n",
		     r.session, (long long)row->id, otad_job_state_names[row->state], r.result);
		snprintf(r.error + strlen(r.error), sizeof(r.error) - strlen(r.error), "%slate: job %s",
			 r.error[0] ? "; " : "", otad_job_state_names[row->state]);
		otad_db_sign_update(g_otad->db, &r);
	} else if (!memcmp(row->tar, otad_sign_cfg.tar, 3)) {
		early = *row; /* otad_sign_start() looks at it when otad_job_create() returns */
	}
	if (next_final)
		next_final(row);
}

static void job_change(const struct otad_job_row *row)
{
	struct otad_sign_session *s = session_of_job(row->id);

	if (s && (s->fi->fsm->states[s->fi->state].in_event_mask & S(OTAD_SIGN_EV_JOB_CHANGE)))
		osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_CHANGE, (void *)row);
	if (next_change)
		next_change(row);
}

static void ocsp_cb(enum ra_ocsp_status st, const char *text, void *priv)
{
	struct otad_sign_session *s = priv;
	struct otad_sign_ocsp o = { st, text };

	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_OCSP, &o);
}

int otad_sign_init(struct ra_ocsp *ocsp)
{
	int n;

	g_ocsp = ocsp;
	next_final = otad_job_final_cb;
	otad_job_final_cb = job_final;
	next_change = otad_job_change_cb;
	otad_job_change_cb = job_change;
	n = otad_db_sign_end_open(g_otad->db, otad_sign_result_names[OTAD_SIGN_INTERNAL_ERROR],
				  "the daemon stopped while the session ran");
	if (n < 0)
		return -EIO;
	if (n)
		LOGP(DSIGN, LOGL_NOTICE, "%d signing sessions left open by a stop ended as INTERNAL_ERROR\n", n);
	if (!ocsp)
		LOGP(DSIGN, LOGL_NOTICE,
		     "no OCSP responder configured ('ca' node, ocsp-url): signing sessions end "
		     "INTERNAL_ERROR instead of returning a signature\n");
	return 0;
}

/* ---- sessions ----------------------------------------------------------------------------------------------- */

static void uuid(char out[OTAD_SIGN_SESSION_MAX + 1])
{
	uint8_t b[16];

	RAND_bytes(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, OTAD_SIGN_SESSION_MAX + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static const char *const hash_names[] = {
	[SIGN_HASH_SHA256] = "SHA256", [SIGN_HASH_SHA384] = "SHA384", [SIGN_HASH_SHA512] = "SHA512"
};

/* Make the session's OTA job; its end may come at once (no SMSC: failed). */
static void send_request(struct otad_sign_session *s)
{
	static uint8_t buf[SIGN_REQ_MAX];
	struct otad_job_opts opts = { .mode = OTAD_JOB_MODE_FORWARD, .timeout_s = otad_sign_cfg.timeout_s };
	char err[200];
	int64_t id = 0;
	int n, rc;

	n = sign_req_encode(&s->req, buf, sizeof(buf));
	if (n < 0) {
		complete(s, OTAD_SIGN_INTERNAL_ERROR, "the request cannot be encoded (%d)", n);
		return;
	}
	osmo_fsm_inst_state_chg(s->fi, OTAD_SIGN_ST_SENDING, otad_sign_cfg.timeout_s + SIGN_GRACE_S, 0);
	memset(&early, 0, sizeof(early));
	rc = otad_job_create(s->row.iccid, otad_sign_cfg.tar, buf, (size_t)n, false, &opts, &id, err, sizeof(err));
	if (rc) {
		complete(s, rc == -EPERM || rc == -ENOENT ? OTAD_SIGN_NOT_A_CLIENT : OTAD_SIGN_INTERNAL_ERROR,
			 "no job: %s", err);
		return;
	}
	s->row.job = id;
	s->row.sent_ms = otad_now_ms();
	store(s);
	LOGPFSML(s->fi, LOGL_INFO, "job %lld to card %s, key %d, %u bytes of text (DCS %02x), code %s\n", (long long)id,
		 s->row.iccid, s->key_ref, s->row.text_len, s->row.text_dcs, s->row.code);
	if (early.id == id)
		osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, &early);
}

int otad_sign_start(struct otad_sign_rp *rp, const struct sign_api_req *req, struct otad_sign_session **out, char *err,
		    size_t errlen)
{
	static struct otad_sign_target t;
	struct otad_sign_session *s, *o;
	struct osmo_fsm_inst *fi;
	size_t text_len;
	int rc;

	if (n_running >= otad_sign_cfg.max_sessions) {
		snprintf(err, errlen, "%u signing sessions are running: try again shortly", n_running);
		return -ENOSPC;
	}
	fi = osmo_fsm_inst_alloc(&otad_sign_fsm, g_otad->ctx, NULL, LOGL_DEBUG, NULL);
	if (!fi)
		return -ENOMEM;
	s = talloc_zero(fi, struct otad_sign_session);
	if (!s) {
		osmo_fsm_inst_free(fi);
		return -ENOMEM;
	}
	fi->priv = s;
	s->fi = fi;
	s->ocsp = -1;
	s->key_ref = -1;
	INIT_LLIST_HEAD(&s->watchers);
	INIT_LLIST_HEAD(&s->list);
	s->rp = rp;
	s->row.tries_left = -1;
	s->req.hash_alg = req->hash_alg;
	memcpy(s->req.hash, req->hash, req->hash_len);
	s->req.hash_len = (uint8_t)req->hash_len;
	rc = sign_compose(rp->display_name ? rp->display_name : rp->name, req->text, req->fmt, req->lang, &s->req.dcs,
			  s->req.text, &text_len, err, errlen);
	if (rc) {
		osmo_fsm_inst_free(fi);
		return rc;
	}
	s->req.text_len = (uint8_t)text_len;
	sign_verification_code(req->hash, req->hash_len, s->req.code);

	/* the card and what it signs with */
	rc = otad_db_sign_target(g_otad->db, req->msisdn[0] ? req->msisdn : NULL, req->holder, &t);
	if (rc == -EIO) {
		osmo_fsm_inst_free(fi);
		snprintf(err, errlen, "database error");
		return -EIO;
	}
	if (rc == 0) {
		llist_for_each_entry(o, &sessions, list)
		{
			if (o->fi->state != OTAD_SIGN_ST_COMPLETE && !strcmp(o->row.iccid, t.iccid)) {
				osmo_fsm_inst_free(fi);
				snprintf(err, errlen, "a signing session for this user is running");
				return -EBUSY;
			}
		}
	}
	uuid(s->row.session);
	osmo_fsm_inst_update_id(fi, s->row.session);
	snprintf(s->row.rp, sizeof(s->row.rp), "%s", rp->name);
	snprintf(s->row.holder, sizeof(s->row.holder), "%s", rc ? req->holder : t.holder);
	if (rc == 0) {
		snprintf(s->row.iccid, sizeof(s->row.iccid), "%s", t.iccid);
		snprintf(s->row.msisdn, sizeof(s->row.msisdn), "%s", t.msisdn);
		snprintf(s->row.serial, sizeof(s->row.serial), "%s", t.serial);
	} else {
		snprintf(s->row.msisdn, sizeof(s->row.msisdn), "%s", req->msisdn);
	}
	snprintf(s->row.hash_alg, sizeof(s->row.hash_alg), "%s", hash_names[req->hash_alg]);
	memcpy(s->row.hash, req->hash, req->hash_len);
	s->row.hash_len = req->hash_len;
	memcpy(s->row.code, s->req.code, sizeof(s->row.code));
	s->row.text_len = s->req.text_len;
	s->row.text_dcs = s->req.dcs;
	s->row.created_ms = otad_now_ms();
	snprintf(s->row.state, sizeof(s->row.state), "created");
	if (otad_db_sign_insert(g_otad->db, &s->row)) {
		osmo_fsm_inst_free(fi);
		snprintf(err, errlen, "database error");
		return -EIO;
	}
	for (int i = 0; i < 8; i++)
		s->req.id[i] = (uint8_t)((uint64_t)s->row.id >> (56 - 8 * i));
	s->req.id_len = 8;
	llist_add_tail(&s->list, &sessions);
	n_running++;
	rp->running++;
	rp->requests++;
	ctr(OTAD_CTR_SIGN_REQUESTS);
	*out = s;

	if (rc == -ENOENT) {
		complete(s, OTAD_SIGN_NOT_A_CLIENT, "no card with %s %s", req->msisdn[0] ? "MSISDN" : "holder",
			 req->msisdn[0] ? req->msisdn : req->holder);
		return 0;
	}
	if (strcmp(t.state, "active")) {
		complete(s, OTAD_SIGN_NOT_A_CLIENT, "card %s is %s", t.iccid, t.state);
		return 0;
	}
	if (!t.der_len || t.key_ref < 0 || t.key_ref > 15) {
		complete(s, OTAD_SIGN_NOT_A_CLIENT,
			 "card %s has no usable signing certificate (loaded, valid, its key "
			 "known from its enrolment)",
			 t.iccid);
		return 0;
	}
	s->cert = talloc_memdup(s, t.der, t.der_len);
	s->cert_len = t.der_len;
	s->key_ref = t.key_ref;
	s->req.key_ref = (uint8_t)t.key_ref;
	if (!s->cert) {
		complete(s, OTAD_SIGN_INTERNAL_ERROR, "out of memory");
		return 0;
	}
	LOGPFSML(fi, LOGL_INFO, "relying party %s, card %s (MSISDN %s), certificate %s, hash %s, code %s\n", rp->name,
		 t.iccid, t.msisdn, t.serial, s->row.hash_alg, s->row.code);
	/* the certificate's status is asked now, while the person reads and decides */
	if (g_ocsp && (rc = ra_ocsp_async(g_ocsp, s->cert, s->cert_len, ocsp_cb, s))) {
		s->ocsp = RA_OCSP_ERROR;
		snprintf(s->ocsp_text, sizeof(s->ocsp_text), "cannot ask (%s)",
			 rc == -EINVAL ? "not issued by the configured CA" : "queue full");
	}
	if (fi->state == OTAD_SIGN_ST_CREATED)
		send_request(s);
	return 0;
}

struct otad_sign_session *otad_sign_find(const char *id)
{
	struct otad_sign_session *s;

	llist_for_each_entry(s, &sessions, list)
	{
		if (!strcmp(s->row.session, id))
			return s;
	}
	return NULL;
}

void otad_sign_cancel(struct otad_sign_session *s)
{
	if (s->fi->state != OTAD_SIGN_ST_COMPLETE)
		osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_CANCEL, NULL);
}

int otad_sign_watch(struct otad_sign_session *s, otad_sign_watch_cb cb, void *priv)
{
	struct watcher *w = talloc_zero(s, struct watcher);

	if (!w)
		return -ENOMEM;
	w->cb = cb;
	w->priv = priv;
	llist_add_tail(&w->list, &s->watchers);
	return 0;
}

void otad_sign_unwatch(struct otad_sign_session *s, void *priv)
{
	struct watcher *w, *tmp;

	llist_for_each_entry_safe(w, tmp, &s->watchers, list)
	{
		if (w->priv == priv) {
			llist_del(&w->list);
			talloc_free(w);
		}
	}
}

unsigned otad_sign_running(void)
{
	return n_running;
}

void otad_sign_foreach(void (*cb)(struct otad_sign_session *s, void *priv), void *priv)
{
	struct otad_sign_session *s, *tmp;

	llist_for_each_entry_safe(s, tmp, &sessions, list) cb(s, priv);
}

void otad_sign_stop_all(void)
{
	struct otad_sign_session *s, *tmp;

	llist_for_each_entry_safe(s, tmp, &sessions, list) osmo_fsm_inst_term(s->fi, OSMO_FSM_TERM_REQUEST, NULL);
}

struct otad_sign_rp *otad_sign_rp_find(const char *name)
{
	struct otad_sign_rp *rp;

	llist_for_each_entry(rp, &otad_sign_cfg.rps, list)
	{
		if (!strcmp(rp->name, name))
			return rp;
	}
	return NULL;
}
