/* simpki-otad's OTA jobs (otad_job.h): one osmo_fsm per job not over, PoR matching, PoR reassembly. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <simpki/ota.h>
#include <simpki/ota_sms.h>
#include <simpki/rapdu.h>
#include <simpki/ident.h>
#include <simpki/scp81.h>

#include "otad.h"
#include "otad_bip.h"
#include "otad_job.h"
#include "otad_sec.h"

#define RETRY_DELAY_S 1
#define REFUSED_RETRY_S 5 /* after a refusal by the SMSC */
#define PARTS_TTL_S 120	  /* parts of a concatenated PoR wait this long for the others */

#define HOLD_RECHECK_S 5 /* a job held by a restored database (otad_db_needs_floor()) tries again this often */

#define LATE_JOBS_MAX 16 /* a PoR no running job takes is tried on this many recent timed-out or unknown jobs */

struct otad_job_cfg otad_job_cfg = {
	.timeout_s = 60,
	.retries = 2,
	.validity_s = 300,
	.spi = { 0x16, 0x39 },
	.kvn = 1,
	.mode = OTAD_JOB_MODE_STORE,
	.part_gap_ms = 0,
};

struct otad_job {
	struct llist_head list;
	struct osmo_fsm_inst *fi;
	struct otad_job_row row;
	struct smpp_esme *esme;
	unsigned parts_pending;
	/* forward mode: the try's SMS, submitted one after another (part i + 1 once the phone took part i) */
	struct ota_sms_part parts[OTA_SMS_MAX_PARTS];
	unsigned n_parts;
	struct osmo_timer_list part_timer; /* the gap before the next part (otad_job_cfg.part_gap_ms) */
	/* the card's key set kvn, keyed for the codec once (job_keyset()) for every packet and PoR of the job; freed
	 * with the job when it ends. Key sets never change once imported, so it cannot go stale. */
	struct ota_keyset *ks;
	struct ota_command hdr; /* the SPI, KIc, KID and TAR of its packets */
	bool held;		/* waiting for the counters of a restored database to be confirmed (said once) */
};

static LLIST_HEAD(jobs);
static unsigned n_jobs;

/* Parts of concatenated SMS waiting for the rest. */
struct parts {
	struct llist_head list;
	char msisdn[21];
	uint16_t ref;
	uint8_t total, have;
	uint8_t ud[OTA_SMS_MAX_PARTS][SMS_MAX_UD];
	size_t len[OTA_SMS_MAX_PARTS];
	int64_t since_ms;
};
static LLIST_HEAD(waiting_parts);

void (*otad_job_final_cb)(const struct otad_job_row *row);
void (*otad_job_change_cb)(const struct otad_job_row *row);
bool (*otad_bip_session_open)(const char *identity);

/* A try's time for its PoR: the job's own, or the configuration's. */
static unsigned timeout_of(const struct otad_job_row *row)
{
	return row->timeout_s ? row->timeout_s : otad_job_cfg.timeout_s;
}

static void ctr(unsigned idx)
{
	rate_ctr_inc(rate_ctr_group_get_ctr(g_otad->ctrs, idx));
}

/* Store the row in state \a s with \a detail, then enter the FSM state (final states end the job). */
static void set_state(struct otad_job *job, enum otad_job_state s, uint32_t timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_state(struct otad_job *job, enum otad_job_state s, uint32_t timeout_ms, const char *fmt, ...)
{
	char detail[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	job->row.state = s;
	if (otad_job_state_final(s) || s == OTAD_JOB_RETRYING)
		job->row.deadline_ms = 0;
	if (otad_db_job_update(g_otad->db, &job->row, detail))
		LOGPFSML(job->fi, LOGL_ERROR, "cannot store state %s: the database failed\n", otad_job_state_names[s]);
	LOGPFSML(job->fi, otad_job_state_final(s) ? LOGL_NOTICE : LOGL_INFO, "%s: %s\n", otad_job_state_names[s],
		 detail);
	if (otad_job_state_final(s)) {
		osmo_fsm_inst_state_chg(job->fi, s, 0, 0);
		if (otad_job_final_cb)
			otad_job_final_cb(&job->row);
		osmo_fsm_inst_term(job->fi, OSMO_FSM_TERM_REGULAR, NULL);
		return;
	}
	osmo_fsm_inst_state_chg_ms(job->fi, s, timeout_ms, 1);
	if (otad_job_change_cb)
		otad_job_change_cb(&job->row);
}

static uint8_t algo_code(enum card_import_algo a, uint8_t key_len)
{
	if (a == CARD_IMPORT_AES)
		return 0x2;
	return key_len == 24 ? 0x9 : 0x5; /* 3DES, three or two keys */
}

/* The key set of \a row's card and KVN keyed for the codec (*ks), and the command header its packets carry (*hdr:
 * SPI, KIc, KID, TAR). \returns 0; as otad_db_keyset_get(); as ota_keyset_new() (-EINVAL: the keys do not fit
 * their algorithms) */
static int keyset_open(const struct otad_job_row *row, struct ota_command *hdr, struct ota_keyset **ks)
{
	struct otad_keyset dbks;
	struct ota_keys keys = { .cc_len = 8 };
	int rc;

	rc = otad_db_keyset_get(g_otad->db, row->iccid, row->kvn, &dbks);
	if (rc)
		return rc;
	memset(hdr, 0, sizeof(*hdr));
	ota_spi_decode(row->spi, &hdr->spi);
	hdr->kic = (uint8_t)(row->kvn << 4 | algo_code(dbks.kic_algo, dbks.kic_len));
	hdr->kid = (uint8_t)(row->kvn << 4 | algo_code(dbks.kid_algo, dbks.kid_len));
	memcpy(hdr->tar, row->tar, 3);
	if (dbks.kic_len <= OTA_MAX_KEY && dbks.kid_len <= OTA_MAX_KEY) {
		memcpy(keys.kic, dbks.kic, dbks.kic_len);
		keys.kic_len = dbks.kic_len;
		memcpy(keys.kid, dbks.kid, dbks.kid_len);
		keys.kid_len = dbks.kid_len;
		rc = ota_keyset_new(hdr->kic, hdr->kid, &keys, ks);
	} else {
		rc = -EINVAL;
	}
	OPENSSL_cleanse(&keys, sizeof(keys));
	otad_keyset_wipe(&dbks);
	return rc;
}

/* The job's key set keyed for the codec (job->ks) and its packets' header (job->hdr): opened at the first use
 * (keyset_open()), kept until the job ends. */
static int job_keyset(struct otad_job *job)
{
	return job->ks ? 0 : keyset_open(&job->row, &job->hdr, &job->ks);
}

/* \a row's packet with counter \a cntr, cut into SMS. \returns the number of SMS; -E2BIG (too long); -EINVAL and
 * the other errors of ota_command_encode() (the SPI, the algorithms and the keys do not fit together) */
static int build_packet(const struct otad_job_row *row, const struct ota_command *hdr, struct ota_keyset *ks,
			uint64_t cntr, struct ota_sms_part parts[OTA_SMS_MAX_PARTS])
{
	static uint8_t pkt[OTA_MAX_PACKET], push[256];
	struct ota_command cmd = *hdr;
	int len;

	cmd.cntr = cntr;
	cmd.data = row->script;
	cmd.data_len = row->script_len;
	if (row->via == OTAD_JOB_BEARER_BIP) {
		/* the try is a push: the script waits for the card's SCP81 session */
		len = otad_bip_push(row->iccid, push, sizeof(push));
		if (len < 0)
			return len;
		cmd.data = push;
		cmd.data_len = (size_t)len;
		memcpy(cmd.tar, otad_bip_cfg.push_tar, 3);
	}
	len = ota_command_encode(&cmd, ks, pkt, sizeof(pkt));
	return len < 0 ? len : ota_sms_split(pkt, (size_t)len, 0x70, (uint8_t)cntr, parts, OTA_SMS_MAX_PARTS);
}

/* Build the packet with a new counter and submit its SMS. */
static void send_job(struct otad_job *job)
{
	struct ota_sms_part parts[OTA_SMS_MAX_PARTS];
	bool forward = job->row.mode == OTAD_JOB_MODE_FORWARD;
	uint64_t cntr = 0;
	int n, rc;

	if (job->esme)
		smpp_esme_cancel(job->esme, job);
	if (job->row.attempts >= OTAD_JOB_MAX_TRIES) { /* 'job retries' is at most 10: only a damaged row gets here */
		snprintf(job->row.error, sizeof(job->row.error), "%u tries already", job->row.attempts);
		set_state(job, OTAD_JOB_FAILED, 0, "%s", job->row.error);
		return;
	}
	if (job->row.via == OTAD_JOB_BEARER_BIP && otad_bip_session_open && otad_bip_session_open(job->row.iccid)) {
		/* the card's session is open and asks again: it takes the script without a push */
		job->row.deadline_ms = otad_now_ms() + (int64_t)otad_bip_cfg.wait_s * 1000;
		set_state(job, OTAD_JOB_BIP_WAIT, otad_bip_cfg.wait_s * 1000,
			  "the card's SCP81 session is open: no push, the session takes the script");
		return;
	}
	job->esme = otad_smsc_pick();
	if (!job->esme) {
		snprintf(job->row.error, sizeof(job->row.error), "no SMSC configured");
		set_state(job, OTAD_JOB_FAILED, 0, "no SMSC configured");
		return;
	}
	rc = job_keyset(job);
	if (!rc)
		rc = otad_db_counter_next(g_otad->db, job->row.iccid, job->row.kvn, &cntr);
	if (rc == -ESTALE) {
		/* a restored database whose counters are not confirmed: its counters may have been used already. The
		 * job keeps its state, spends no try, and tries again until the operator confirmed them. */
		if (!job->held)
			LOGPFSML(job->fi, LOGL_NOTICE,
				 "held: the database is a restored copy; sent once its counters are raised and "
				 "confirmed\n");
		job->held = true;
		osmo_timer_schedule(&job->fi->timer, HOLD_RECHECK_S, 0);
		return;
	}
	job->held = false;
	/* keys that do not fit their algorithms (-EINVAL): the packet cannot be built, below; no counter is spent */
	if (rc && rc != -EINVAL) {
		snprintf(job->row.error, sizeof(job->row.error), "key set %u: %s", job->row.kvn,
			 rc == -ENOENT	? "none" :
			 rc == -EBADMSG ? "does not open with this master key" :
			 rc == -ERANGE	? "counter used up" :
			 rc == -ENOMEM	? "out of memory" :
					  "database error");
		set_state(job, OTAD_JOB_FAILED, 0, "%s", job->row.error);
		return;
	}
	n = rc ? rc : build_packet(&job->row, &job->hdr, job->ks, cntr, parts);
	if (n < 0) {
		snprintf(job->row.error, sizeof(job->row.error), "the packet cannot be built (%s)",
			 n == -E2BIG ? "too long" : "SPI, algorithms and keys do not fit together");
		set_state(job, OTAD_JOB_FAILED, 0, "%s", job->row.error);
		return;
	}
	job->row.counter = cntr;
	job->row.counters[job->row.attempts++] = cntr;
	job->row.deadline_ms = otad_now_ms() + (int64_t)timeout_of(&job->row) * 1000;
	job->row.error[0] = 0;
	if (job->row.attempts > 1)
		ctr(OTAD_CTR_RETRIES);
	set_state(job, OTAD_JOB_SUBMITTED, timeout_of(&job->row) * 1000, "try %u: counter %llu in %d SMS%s%s",
		  job->row.attempts, (unsigned long long)cntr, n, forward ? ", forward mode" : "",
		  job->row.via == OTAD_JOB_BEARER_BIP ? ", an SCP81 push (the script goes over BIP)" : "");
	job->parts_pending = (unsigned)n;
	job->row.smpp_status = 0;
	if (forward) {
		/* one transaction per SMS at the SMSC: the next part only once the phone took this one */
		memcpy(job->parts, parts, (size_t)n * sizeof(parts[0]));
		job->n_parts = (unsigned)n;
		smpp_esme_submit(job->esme, job->row.msisdn, parts[0].ud, parts[0].len, 0, true, job);
		return;
	}
	for (int i = 0; i < n; i++)
		smpp_esme_submit(job->esme, job->row.msisdn, parts[i].ud, parts[i].len, otad_job_cfg.validity_s, false,
				 job);
}

/* ---- the state machine: the table below is the spec (otad_job.h) ------------------------------------------- */

/* The script was never handed out: an auto job sends it by SMS instead, at once (a new try, a new counter). */
static void fall_back(struct otad_job *job, const char *why)
{
	if (job->esme)
		smpp_esme_cancel(job->esme, job);
	job->row.via = OTAD_JOB_BEARER_SMS;
	ctr(OTAD_CTR_BIP_FALLBACKS);
	set_state(job, OTAD_JOB_RETRYING, 1, "%s: the script goes by SMS instead", why);
}

/* The PoR of a push. */
static void push_por(struct otad_job *job, const struct otad_job_por *p)
{
	int64_t now = otad_now_ms();

	if (job->fi->state == OTAD_JOB_BIP_WAIT || job->fi->state == OTAD_JOB_BIP_SENT) {
		LOGPFSML(job->fi, LOGL_DEBUG, "the push's PoR (status %02x) after the card's session asked: ignored\n",
			 p->status);
		return;
	}
	if (job->esme)
		smpp_esme_cancel(job->esme, job);
	if (p->authenticated && !p->status) {
		job->row.deadline_ms = now + (int64_t)otad_bip_cfg.wait_s * 1000;
		set_state(job, OTAD_JOB_BIP_WAIT, otad_bip_cfg.wait_s * 1000,
			  "the card took the push (counter %llu): its SCP81 session is to ask within %u s",
			  (unsigned long long)p->cntr, otad_bip_cfg.wait_s);
		return;
	}
	snprintf(job->row.error, sizeof(job->row.error), "the card refused the push: %02x (%s)%s", p->status,
		 ota_por_status_name(p->status), p->authenticated ? "" : ", not authenticated");
	if (job->row.bearer == OTAD_JOB_BEARER_AUTO) {
		fall_back(job, job->row.error);
		return;
	}
	job->row.por_status = p->status;
	job->row.por_authenticated = p->authenticated;
	ctr(OTAD_CTR_POR_ERROR);
	set_state(job, OTAD_JOB_POR_ERROR, 0, "%s", job->row.error);
}

/* The card's session took the script. */
static void bip_asked(struct otad_job *job)
{
	if (job->esme)
		smpp_esme_cancel(job->esme, job);
	job->row.deadline_ms = otad_now_ms() + (int64_t)timeout_of(&job->row) * 1000;
	ctr(OTAD_CTR_BIP_SCRIPTS);
	set_state(job, OTAD_JOB_BIP_SENT, timeout_of(&job->row) * 1000,
		  "the script was handed to the card's SCP81 session; its response is due in %u s",
		  timeout_of(&job->row));
}

/* The card's session answered. */
static void bip_result(struct otad_job *job, const struct otad_job_bip_result *r)
{
	const char *name = scp81_script_status_name((enum scp81_script_status)r->status);
	struct rapdu_summary sum;

	job->row.por_status = r->status == SCP81_STATUS_OK ? 0 : OTA_POR_TAR_UNKNOWN;
	job->row.por_authenticated = 1; /* the TLS-PSK session authenticated the card */
	job->row.por_commands = -1;
	job->row.por_last_sw = 0;
	job->row.por_last_len = 0;
	job->row.por_response_len = 0;
	if (r->data_len && r->data_len <= sizeof(job->row.por_response)) {
		memcpy(job->row.por_response, r->data, r->data_len);
		job->row.por_response_len = r->data_len;
	}
	if (r->data_len && !rapdu_response_decode(r->data, r->data_len, &sum)) {
		job->row.por_commands = sum.commands;
		job->row.por_last_sw = sum.last_sw;
		if (sum.last_len && sum.last_len <= sizeof(job->row.por_last_data)) {
			memcpy(job->row.por_last_data, sum.last_data, sum.last_len);
			job->row.por_last_len = sum.last_len;
		}
	}
	if (r->status == SCP81_STATUS_OK) {
		job->row.error[0] = 0;
		ctr(OTAD_CTR_POR_OK);
		set_state(job, OTAD_JOB_POR_OK, 0, "the card's SCP81 session answered: %d commands, last SW %04x",
			  job->row.por_commands, job->row.por_last_sw);
		return;
	}
	snprintf(job->row.error, sizeof(job->row.error), "the card's SCP81 session answered %s", name ? name : "?");
	ctr(OTAD_CTR_POR_ERROR);
	set_state(job, OTAD_JOB_POR_ERROR, 0, "%s", job->row.error);
}

/* A PoR: verified (its checksum with the job's keys, one of its counters), or the card's unsecured refusal. */
static void got_por(struct otad_job *job, const struct otad_job_por *p)
{
	enum otad_job_state from = job->fi->state;

	if (job->row.via == OTAD_JOB_BEARER_BIP) {
		push_por(job, p);
		return;
	}
	job->row.por_status = p->status;
	job->row.por_authenticated = p->authenticated;
	job->row.por_commands = p->has_response ? p->s.commands : -1;
	job->row.por_last_sw = p->has_response ? p->s.last_sw : 0;
	job->row.por_last_len = 0;
	if (p->has_response && p->s.last_len && p->s.last_len <= sizeof(job->row.por_last_data)) {
		memcpy(job->row.por_last_data, p->s.last_data, p->s.last_len);
		job->row.por_last_len = p->s.last_len;
	}
	job->row.por_response_len = 0;
	if (p->data_len && p->data_len <= sizeof(job->row.por_response)) { /* a remote APDU response or not */
		memcpy(job->row.por_response, p->data, p->data_len);
		job->row.por_response_len = p->data_len;
	}
	if (p->status)
		snprintf(job->row.error, sizeof(job->row.error), "the card answered %02x (%s)%s", p->status,
			 ota_por_status_name(p->status), p->authenticated ? "" : ", not authenticated");
	else
		job->row.error[0] = 0;
	if (job->esme)
		smpp_esme_cancel(job->esme, job);
	ctr(p->status ? OTAD_CTR_POR_ERROR : OTAD_CTR_POR_OK);
	if (p->authenticated)
		set_state(job, p->status ? OTAD_JOB_POR_ERROR : OTAD_JOB_POR_OK, 0,
			  "PoR status %02x (%s), counter %llu%s", p->status, ota_por_status_name(p->status),
			  (unsigned long long)p->cntr,
			  from == OTAD_JOB_UNKNOWN || from == OTAD_JOB_TIMED_OUT ? ", late" : "");
	else
		set_state(job, OTAD_JOB_POR_ERROR, 0,
			  "PoR status %02x (%s), not authenticated: the card's refusal, sent without a checksum",
			  p->status, ota_por_status_name(p->status));
}

/* Cancelled by an operator; otad_job_cancel() checked that nothing of the job left for the SMSC. */
static void cancel(struct otad_job *job)
{
	if (job->esme)
		smpp_esme_cancel(job->esme, job);
	snprintf(job->row.error, sizeof(job->row.error), "cancelled by the operator");
	set_state(job, OTAD_JOB_CANCELLED, 0, "cancelled by the operator before any SMS left for the SMSC");
}

/* What a forward-mode submit_sm_resp error says: the SMSC tried at once and the phone did not take the SMS. */
static const char *forward_status_name(uint32_t status)
{
	switch (status) {
	case 0x0000000b: /* ESME_RINVDSTADR: osmo-msc's VLR does not hold the subscriber */
		return "the phone is not attached";
	case 0x000000fe: /* ESME_RDELIVERYFAILURE: paging failed, or the phone refused the SMS */
		return "the phone is absent or refused it";
	default:
		return "the SMSC refused it";
	}
}

/* A forward submit the SMSC could not deliver: nothing is stored anywhere, so the SMS never reaches the card and
 * the script never runs. The job ends failed at once, whatever tries remain: a forward job is for an answer now
 * (a phone that is absent now stays absent in a few seconds), and the operator may safely make a new job. */
static void forward_failed(struct otad_job *job, uint32_t status)
{
	unsigned part = job->n_parts - job->parts_pending + 1;

	smpp_esme_cancel(job->esme, job);
	job->row.smpp_status = status;
	if (job->n_parts > 1)
		snprintf(job->row.error, sizeof(job->row.error),
			 "not delivered: %s (status 0x%08x, SMS %u of %u; forward mode: the script did not run)",
			 forward_status_name(status), status, (uint8_t)part, (uint8_t)job->n_parts);
	else
		snprintf(job->row.error, sizeof(job->row.error),
			 "not delivered: %s (status 0x%08x; forward mode: nothing stored, the script did not run)",
			 forward_status_name(status), status);
	set_state(job, OTAD_JOB_FAILED, 0, "%s", job->row.error);
}

static void st_queued(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	if (event == OTAD_JOB_EV_CANCEL)
		cancel(fi->priv);
	else
		send_job(fi->priv); /* OTAD_JOB_EV_SEND */
}

static void st_submitted(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct otad_job *job = fi->priv;

	switch (event) {
	case OTAD_JOB_EV_SUBMIT_OK:
		if (job->parts_pending > 1 && job->row.mode == OTAD_JOB_MODE_FORWARD) {
			const struct ota_sms_part *next;

			job->parts_pending--;
			next = &job->parts[job->n_parts - job->parts_pending];
			LOGPFSML(fi, LOGL_DEBUG, "the phone took SMS %u of %u\n", job->n_parts - job->parts_pending,
				 job->n_parts);
			if (otad_job_cfg.part_gap_ms)
				osmo_timer_schedule(&job->part_timer, otad_job_cfg.part_gap_ms / 1000,
						    (otad_job_cfg.part_gap_ms % 1000) * 1000);
			else
				smpp_esme_submit(job->esme, job->row.msisdn, next->ud, next->len, 0, true, job);
			break;
		}
		if (job->parts_pending && --job->parts_pending == 0) {
			int64_t left = job->row.deadline_ms - otad_now_ms();

			set_state(job, OTAD_JOB_DELIVERED, left > 1 ? (uint32_t)left : 1, "%s",
				  job->row.mode == OTAD_JOB_MODE_FORWARD ? "the phone took the SMS (forward mode)" :
									   "the SMSC took every SMS");
		}
		break;
	case OTAD_JOB_EV_SUBMIT_FAIL:
		if (job->row.mode == OTAD_JOB_MODE_FORWARD) {
			forward_failed(job, (uint32_t)(uintptr_t)data);
			break;
		}
		/* A refusal is final for those SMS: the card cannot run a packet it did not get whole, so even a job
		 * that must not run twice may be sent again. osmo-msc answers "invalid destination" for a subscriber
		 * its VLR does not hold at the moment (after a restart, before the phone registers again). */
		smpp_esme_cancel(job->esme, job);
		snprintf(job->row.error, sizeof(job->row.error), "the SMSC refused it: status 0x%08x",
			 (uint32_t)(uintptr_t)data);
		if (job->row.attempts <= otad_job_cfg.retries)
			set_state(job, OTAD_JOB_RETRYING, REFUSED_RETRY_S * 1000, "%s; again in %d s", job->row.error,
				  REFUSED_RETRY_S);
		else
			set_state(job, OTAD_JOB_FAILED, 0, "%s", job->row.error);
		break;
	case OTAD_JOB_EV_POR:
		got_por(job, data);
		break;
	case OTAD_JOB_EV_CANCEL:
		cancel(job);
		break;
	case OTAD_JOB_EV_BIP_ASK:
		bip_asked(job);
		break;
	}
}

/* delivered, retrying, timed-out, unknown: only a PoR (retrying also sends, from its timer, and may be cancelled;
 * delivered also takes the SCP81 session's ask) */
static void st_por_only(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	if (event == OTAD_JOB_EV_CANCEL)
		cancel(fi->priv);
	else if (event == OTAD_JOB_EV_BIP_ASK)
		bip_asked(fi->priv);
	else
		got_por(fi->priv, data);
}

/* bip-wait, bip-sent */
static void st_bip(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	switch (event) {
	case OTAD_JOB_EV_BIP_ASK:
		bip_asked(fi->priv);
		break;
	case OTAD_JOB_EV_BIP_RESULT:
		bip_result(fi->priv, data);
		break;
	case OTAD_JOB_EV_POR:
		/* the push's PoR after the card's session asked: nothing to learn from it */
		LOGPFSML(fi, LOGL_DEBUG, "a PoR while the card's SCP81 session runs: ignored\n");
		break;
	}
}

static int timer_cb(struct osmo_fsm_inst *fi)
{
	struct otad_job *job = fi->priv;

	if (fi->state == OTAD_JOB_RETRYING || fi->state == OTAD_JOB_QUEUED) {
		send_job(job);
		return 0;
	}
	if (fi->state == OTAD_JOB_BIP_WAIT || (job->row.via == OTAD_JOB_BEARER_BIP && fi->state != OTAD_JOB_BIP_SENT)) {
		/* a push without a session that asked: the script never left, whatever the job does */
		smpp_esme_cancel(job->esme, job);
		snprintf(job->row.error, sizeof(job->row.error),
			 "the card's SCP81 session did not ask for the script%s",
			 fi->state == OTAD_JOB_BIP_WAIT ? "" : " (and no PoR for the push)");
		if (job->row.bearer == OTAD_JOB_BEARER_AUTO) {
			fall_back(job, job->row.error);
			return 0;
		}
		ctr(OTAD_CTR_TIMEOUTS);
		if (job->row.attempts <= otad_job_cfg.retries) {
			set_state(job, OTAD_JOB_RETRYING, RETRY_DELAY_S * 1000, "%s; pushed again", job->row.error);
			return 0;
		}
		set_state(job, OTAD_JOB_FAILED, 0, "%s after %u pushes", job->row.error, job->row.attempts);
		return 0;
	}
	/* submitted, delivered or bip-sent: the try's deadline */
	ctr(OTAD_CTR_TIMEOUTS);
	smpp_esme_cancel(job->esme, job);
	if (fi->state == OTAD_JOB_BIP_SENT && job->row.idempotent && job->row.bearer == OTAD_JOB_BEARER_AUTO) {
		fall_back(job, "no response from the card's SCP81 session (the script only reads)");
		return 0;
	}
	if (!job->row.idempotent) {
		/* the SMSC has (or may have) the packet: sending it again could run the script twice; in forward mode,
		 * a submit still unanswered may have reached the phone */
		snprintf(job->row.error, sizeof(job->row.error), "outcome unknown: no PoR in %u s%s",
			 timeout_of(&job->row),
			 job->row.mode == OTAD_JOB_MODE_FORWARD && fi->state == OTAD_JOB_SUBMITTED ?
				 " and no answer from the SMSC (forward mode: the phone may have it)" :
				 "");
		set_state(job, OTAD_JOB_UNKNOWN, 0,
			  "%s for counter %llu; not sent again, since the script must not run twice (a late PoR still "
			  "ends the job)",
			  job->row.error, (unsigned long long)job->row.counter);
		return 0;
	}
	if (job->row.attempts <= otad_job_cfg.retries) {
		set_state(job, OTAD_JOB_RETRYING, RETRY_DELAY_S * 1000, "no PoR for counter %llu in %u s",
			  (unsigned long long)job->row.counter, timeout_of(&job->row));
		return 0;
	}
	snprintf(job->row.error, sizeof(job->row.error), "no PoR after %u tries", job->row.attempts);
	set_state(job, OTAD_JOB_TIMED_OUT, 0, "%s (a late PoR still ends the job)", job->row.error);
	return 0;
}

static void cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct otad_job *job = fi->priv;

	osmo_timer_del(&job->part_timer);
	OPENSSL_cleanse(job->row.script, sizeof(job->row.script)); /* it may hold a secret (a one-time PIN) */
	if (job->esme)
		smpp_esme_cancel(job->esme, job);
	llist_del(&job->list);
	n_jobs--;
}

#define S(x) (1 << (x))
#define OVER (S(OTAD_JOB_POR_OK) | S(OTAD_JOB_POR_ERROR))
static const struct osmo_fsm_state job_states[] = {
	[OTAD_JOB_QUEUED] = { .name = "queued",
			      .in_event_mask = S(OTAD_JOB_EV_SEND) | S(OTAD_JOB_EV_CANCEL),
			      .out_state_mask = S(OTAD_JOB_SUBMITTED) | S(OTAD_JOB_FAILED) | S(OTAD_JOB_CANCELLED) |
						S(OTAD_JOB_BIP_WAIT),
			      .action = st_queued },
	[OTAD_JOB_SUBMITTED] = { .name = "submitted",
				 .in_event_mask = S(OTAD_JOB_EV_SUBMIT_OK) | S(OTAD_JOB_EV_SUBMIT_FAIL) |
						  S(OTAD_JOB_EV_POR) | S(OTAD_JOB_EV_CANCEL) | S(OTAD_JOB_EV_BIP_ASK),
				 .out_state_mask = S(OTAD_JOB_DELIVERED) | S(OTAD_JOB_RETRYING) | S(OTAD_JOB_FAILED) |
						   S(OTAD_JOB_UNKNOWN) | S(OTAD_JOB_TIMED_OUT) | S(OTAD_JOB_CANCELLED) |
						   S(OTAD_JOB_BIP_WAIT) | S(OTAD_JOB_BIP_SENT) | OVER,
				 .action = st_submitted },
	[OTAD_JOB_DELIVERED] = { .name = "delivered",
				 .in_event_mask = S(OTAD_JOB_EV_POR) | S(OTAD_JOB_EV_BIP_ASK),
				 .out_state_mask = S(OTAD_JOB_RETRYING) | S(OTAD_JOB_UNKNOWN) | S(OTAD_JOB_TIMED_OUT) |
						   S(OTAD_JOB_FAILED) | S(OTAD_JOB_BIP_WAIT) | S(OTAD_JOB_BIP_SENT) |
						   OVER,
				 .action = st_por_only },
	[OTAD_JOB_RETRYING] = { .name = "retrying",
				.in_event_mask = S(OTAD_JOB_EV_POR) | S(OTAD_JOB_EV_CANCEL),
				.out_state_mask = S(OTAD_JOB_SUBMITTED) | S(OTAD_JOB_FAILED) | S(OTAD_JOB_CANCELLED) |
						  S(OTAD_JOB_BIP_WAIT) | OVER,
				.action = st_por_only },
	[OTAD_JOB_TIMED_OUT] = { .name = "timed-out",
				 .in_event_mask = S(OTAD_JOB_EV_POR),
				 .out_state_mask = OVER,
				 .action = st_por_only },
	[OTAD_JOB_UNKNOWN] = { .name = "unknown",
			       .in_event_mask = S(OTAD_JOB_EV_POR),
			       .out_state_mask = OVER,
			       .action = st_por_only },
	[OTAD_JOB_BIP_WAIT] = { .name = "bip-wait",
				.in_event_mask = S(OTAD_JOB_EV_BIP_ASK) | S(OTAD_JOB_EV_POR),
				.out_state_mask = S(OTAD_JOB_BIP_SENT) | S(OTAD_JOB_RETRYING) | S(OTAD_JOB_FAILED),
				.action = st_bip },
	[OTAD_JOB_BIP_SENT] = { .name = "bip-sent",
				.in_event_mask = S(OTAD_JOB_EV_BIP_RESULT) | S(OTAD_JOB_EV_POR),
				.out_state_mask =
					S(OTAD_JOB_UNKNOWN) | S(OTAD_JOB_RETRYING) | S(OTAD_JOB_TIMED_OUT) | OVER,
				.action = st_bip },
	[OTAD_JOB_POR_OK] = { .name = "por-ok" },
	[OTAD_JOB_POR_ERROR] = { .name = "por-error" },
	[OTAD_JOB_FAILED] = { .name = "failed" },
	[OTAD_JOB_CANCELLED] = { .name = "cancelled" },
};

static const struct value_string job_event_names[] = {
	{ OTAD_JOB_EV_SEND, "SEND" },
	{ OTAD_JOB_EV_SUBMIT_OK, "SUBMIT_OK" },
	{ OTAD_JOB_EV_SUBMIT_FAIL, "SUBMIT_FAIL" },
	{ OTAD_JOB_EV_POR, "POR" },
	{ OTAD_JOB_EV_CANCEL, "CANCEL" },
	{ OTAD_JOB_EV_BIP_ASK, "BIP_ASK" },
	{ OTAD_JOB_EV_BIP_RESULT, "BIP_RESULT" },
	{ 0, NULL },
};

struct osmo_fsm otad_job_fsm = {
	.name = "ota-job",
	.states = job_states,
	.num_states = ARRAY_SIZE(job_states),
	.event_names = job_event_names,
	.timer_cb = timer_cb,
	.cleanup = cleanup,
	.log_subsys = DJOB,
};

static __attribute__((constructor)) void register_fsm(void)
{
	OSMO_ASSERT(osmo_fsm_register(&otad_job_fsm) == 0);
}

/* The job's memory goes with its FSM instance when it ends (or when the daemon frees everything): so do its keys. */
static int job_free(struct otad_job *job)
{
	ota_keyset_free(job->ks);
	job->ks = NULL;
	return 0;
}

/* The gap after a forward part is over: the next part goes. */
static void next_part(void *data)
{
	struct otad_job *job = data;
	const struct ota_sms_part *next = &job->parts[job->n_parts - job->parts_pending];

	if (job->fi->state == OTAD_JOB_SUBMITTED)
		smpp_esme_submit(job->esme, job->row.msisdn, next->ud, next->len, 0, true, job);
}

static struct otad_job *job_alloc(const struct otad_job_row *row)
{
	struct osmo_fsm_inst *fi;
	struct otad_job *job;
	char id[48];

	/* every log line of the job names it and its card: "ota-job(17-8984010000000000005){STATE}: ..." */
	snprintf(id, sizeof(id), "%lld-%s", (long long)row->id, row->iccid);
	fi = osmo_fsm_inst_alloc(&otad_job_fsm, g_otad->ctx, NULL, LOGL_DEBUG, id);
	if (!fi)
		return NULL;
	job = talloc_zero(fi, struct otad_job);
	if (!job) {
		osmo_fsm_inst_free(fi);
		return NULL;
	}
	talloc_set_destructor(job, job_free);
	osmo_timer_setup(&job->part_timer, next_part, job);
	fi->priv = job;
	job->fi = fi;
	job->row = *row;
	fi->state = row->state;
	llist_add_tail(&job->list, &jobs);
	n_jobs++;
	return job;
}

/* Whether the job can go by BIP: why not in \a err. \returns 0; -EINVAL */
static int bip_possible(const struct otad_job_row *row, char *err, size_t errlen)
{
	uint8_t psk[SCP81_PSK_MAX], script[SCP81_HTTP_BODY_MAX];
	int rc;

	if (!otad_bip_cfg.enabled) {
		snprintf(err, errlen, "bearer bip: the SCP81 server is not enabled ('scp81' 'listen')");
		return -EINVAL;
	}
	if (!otad_bip_target(row->tar)) {
		snprintf(err, errlen, "bearer bip: TAR %02X%02X%02X has no SCP81 target ('scp81' 'target')",
			 row->tar[0], row->tar[1], row->tar[2]);
		return -EINVAL;
	}
	rc = otad_db_psk_get(g_otad->db, row->iccid, psk, sizeof(psk), NULL, NULL);
	OPENSSL_cleanse(psk, sizeof(psk));
	if (rc < 0) {
		snprintf(err, errlen, "bearer bip: card %s has %s", row->iccid,
			 rc == -ENOENT ? "no SCP81 PSK (the vendor file's psk column)" : "a PSK that does not open");
		return -EINVAL;
	}
	if (otad_bip_script(row, script, sizeof(script)) < 0) {
		snprintf(err, errlen, "bearer bip: the script cannot be sent in the expanded format");
		return -EINVAL;
	}
	return 0;
}

/* The job's bearer (row->bearer) and its first try's (row->via); \a sms: how many SMS the script takes. */
static int choose_bearer(struct otad_job_row *row, const struct otad_job_opts *opts, int sms, char *err, size_t errlen)
{
	char why[128];

	row->bearer = opts && opts->bearer ? opts->bearer : otad_bip_cfg.bearer;
	if (row->bearer <= OTAD_JOB_BEARER_DEFAULT || row->bearer >= OTAD_JOB_N_BEARERS)
		row->bearer = OTAD_JOB_BEARER_SMS;
	row->via = OTAD_JOB_BEARER_SMS;
	if (row->bearer == OTAD_JOB_BEARER_SMS)
		return 0;
	if (row->bearer == OTAD_JOB_BEARER_BIP) {
		if (bip_possible(row, err, errlen))
			return -EINVAL;
		row->via = OTAD_JOB_BEARER_BIP;
		return 0;
	}
	if (otad_bip_large(row, sms) && !bip_possible(row, why, sizeof(why)))
		row->via = OTAD_JOB_BEARER_BIP;
	return 0;
}

/* Fill \a row's delivery mode, SPI and KVN from \a opts and the configuration's defaults, and check them: the SPI
 * (otad_spi_check(), the TAR's minimum security level), the card's key set, and a trial packet (counter 0, never
 * sent) that the key set's algorithms build. \returns 0 with *hdr and *ks
 * set (the key set, keyed); -EINVAL or -EIO with \a err saying why */
static int job_check(struct otad_job_row *row, const struct otad_job_opts *opts, struct ota_command *hdr,
		     struct ota_keyset **ks, char *err, size_t errlen)
{
	struct ota_sms_part parts[OTA_SMS_MAX_PARTS];
	int rc, n;

	row->mode = opts && opts->mode ? opts->mode : otad_job_cfg.mode;
	row->kvn = opts && opts->kvn ? opts->kvn : otad_job_cfg.kvn;
	memcpy(row->spi, opts && opts->has_spi ? opts->spi : otad_job_cfg.spi, 2);
	row->timeout_s = opts ? opts->timeout_s : 0;
	if (row->mode != OTAD_JOB_MODE_STORE && row->mode != OTAD_JOB_MODE_FORWARD) {
		snprintf(err, errlen, "mode: store or forward");
		return -EINVAL;
	}
	if (row->kvn < 1 || row->kvn > 15) {
		snprintf(err, errlen, "kvn: 1 to 15");
		return -EINVAL;
	}
	rc = otad_spi_check(row->spi, row->tar, err, errlen);
	if (rc)
		return rc;
	rc = keyset_open(row, hdr, ks);
	if (rc == -ENOENT) {
		snprintf(err, errlen, "card %s has no key set %u", row->iccid, row->kvn);
		return -ENOKEY;
	}
	if (rc && rc != -EINVAL) {
		snprintf(err, errlen, "key set %u of card %s: %s", row->kvn, row->iccid,
			 rc == -EBADMSG ? "does not open with this master key" : "database error");
		return -EIO;
	}
	n = rc ? rc : build_packet(row, hdr, *ks, 0, parts);
	if (n == -E2BIG) {
		snprintf(err, errlen, "the script is too long for one secured packet");
	} else if (n < 0) {
		snprintf(err, errlen, "spi %02x%02x does not fit key set %u's algorithms and keys", row->spi[0],
			 row->spi[1], row->kvn);
	} else {
		rc = choose_bearer(row, opts, n, err, errlen);
		if (!rc && row->via == OTAD_JOB_BEARER_BIP) {
			/* the trial push, which has to pass the push TAR's minimum security level too */
			rc = otad_spi_check(row->spi, otad_bip_cfg.push_tar, err, errlen);
			n = rc ? rc : build_packet(row, hdr, *ks, 0, parts);
			if (!rc && n < 0) {
				snprintf(err, errlen, "the SCP81 push cannot be built");
				rc = -EINVAL;
			}
		}
		if (!rc)
			return 0;
		ota_keyset_free(*ks);
		*ks = NULL;
		return rc;
	}
	ota_keyset_free(*ks);
	*ks = NULL;
	return -EINVAL;
}

int otad_job_create(const char *iccid, const uint8_t tar[3], const uint8_t *script, size_t len, bool idempotent,
		    const struct otad_job_opts *opts, int64_t *id, char *err, size_t errlen)
{
	static struct otad_job_row row;
	struct ota_keyset *ks = NULL;
	struct ota_command hdr;
	struct otad_card card;
	struct otad_job *job;
	int rc;

	if (!len || len > OTAD_JOB_SCRIPT_MAX) {
		snprintf(err, errlen, "the script must be 1 to %d bytes", OTAD_JOB_SCRIPT_MAX);
		return -EINVAL;
	}
	rc = otad_db_needs_floor(g_otad->db);
	if (rc) {
		snprintf(err, errlen, "%s",
			 rc > 0 ? "the database is a restored copy: nothing is sent until its counters are raised and "
				  "confirmed (counter-floor, see 'show database')" :
				  "database error");
		return rc > 0 ? -ESTALE : -EIO;
	}
	rc = otad_db_card_get(g_otad->db, iccid, &card);
	if (rc) {
		snprintf(err, errlen, rc == -ENOENT ? "no card with ICCID %s" : "database error", iccid);
		return rc;
	}
	if (otad_card_state_of(card.state) != OTAD_CARD_ACTIVE) {
		snprintf(err, errlen, "card %s is %s: jobs go only to active cards", iccid, card.state);
		return -EPERM;
	}
	memset(&row, 0, sizeof(row));
	snprintf(row.iccid, sizeof(row.iccid), "%s", card.iccid);
	snprintf(row.msisdn, sizeof(row.msisdn), "%s", card.msisdn);
	memcpy(row.tar, tar, 3);
	memcpy(row.script, script, len);
	row.script_len = len;
	row.idempotent = idempotent;
	row.state = OTAD_JOB_QUEUED;
	row.por_status = row.por_authenticated = row.por_commands = -1;
	rc = job_check(&row, opts, &hdr, &ks, err, errlen);
	if (rc)
		return rc;
	if (otad_db_job_insert(g_otad->db, &row)) {
		ota_keyset_free(ks);
		snprintf(err, errlen, "database error");
		return -EIO;
	}
	*id = row.id;
	job = job_alloc(&row);
	if (!job) {
		ota_keyset_free(ks);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	job->ks = ks; /* keyed once, for every packet and PoR of the job */
	job->hdr = hdr;
	OPENSSL_cleanse(row.script, sizeof(row.script)); /* the job has its copy */
	osmo_fsm_inst_dispatch(job->fi, OTAD_JOB_EV_SEND, NULL);
	return 0;
}

int otad_job_cancel(int64_t id, char *err, size_t errlen)
{
	static struct otad_job_row row;
	struct otad_job *job;
	int rc;

	llist_for_each_entry(job, &jobs, list)
	{
		if (job->row.id != id)
			continue;
		if (job->fi->state == OTAD_JOB_QUEUED || job->fi->state == OTAD_JOB_RETRYING ||
		    (job->fi->state == OTAD_JOB_SUBMITTED && smpp_esme_untouched(job->esme, job))) {
			osmo_fsm_inst_dispatch(job->fi, OTAD_JOB_EV_CANCEL, NULL);
			return 0;
		}
		snprintf(err, errlen, "job %lld is %s: its SMS went to the SMSC, so it can no longer be cancelled",
			 (long long)id, otad_job_state_names[job->fi->state]);
		return -EBUSY;
	}
	rc = otad_db_job_get(g_otad->db, id, &row);
	if (rc)
		return rc;
	snprintf(err, errlen, "job %lld is %s%s", (long long)id, otad_job_state_names[row.state],
		 otad_job_state_final(row.state) ? ": it is over" : "");
	return -EBUSY;
}

static void resume_one(const struct otad_job_row *row, void *priv)
{
	struct otad_job *job = job_alloc(row);
	int64_t left;

	if (!job)
		return;
	(*(int *)priv)++;
	/* the job stays in its stored state, and only its timer is set: no transition happens on resume */
	switch (row->state) {
	case OTAD_JOB_SUBMITTED:
	case OTAD_JOB_DELIVERED:
	case OTAD_JOB_BIP_WAIT:
	case OTAD_JOB_BIP_SENT:
		/* its PoR (or its SCP81 session) may still come; if not, the deadline decides (for a job that must not run twice: unknown,
		 * since the SMSC may have had the packet before the restart) */
		left = row->deadline_ms - otad_now_ms();
		osmo_timer_schedule(&job->fi->timer, 0, left > 1 ? left * 1000 : 1000);
		break;
	default: /* queued, retrying: send (again) with a new counter */
		osmo_timer_schedule(&job->fi->timer, 0, 1000);
		break;
	}
}

int otad_job_resume_all(void)
{
	int n = 0, rc = otad_db_jobs_active(g_otad->db, resume_one, &n);

	return rc ? rc : n;
}

unsigned otad_job_active(void)
{
	return n_jobs;
}

void otad_job_stop_all(void)
{
	struct otad_job *job, *tmp;

	/* osmo_fsm_inst_term() runs cleanup() (which unlinks the job) and deletes the timer that a bare talloc_free()
	 * would leave in libosmocore's timer tree */
	llist_for_each_entry_safe(job, tmp, &jobs, list) osmo_fsm_inst_term(job->fi, OSMO_FSM_TERM_REQUEST, NULL);
}

struct osmo_fsm_inst *otad_job_debug_alloc(const struct otad_job_row *row)
{
	struct otad_job *job = job_alloc(row);

	return job ? job->fi : NULL;
}

void otad_job_submit_done(void *priv, uint32_t status, const char *message_id)
{
	struct otad_job *job = priv;

	osmo_fsm_inst_dispatch(job->fi, status ? OTAD_JOB_EV_SUBMIT_FAIL : OTAD_JOB_EV_SUBMIT_OK,
			       (void *)(uintptr_t)status);
}

/* ---- PoRs ------------------------------------------------------------------------------------------------------ */

/* Whether \a ud (02 71 00 | packet) is the PoR of \a job: decoded with its keys, for its TAR, and either its checksum
 * verifies and its counter is one of the job's tries' (\returns 1, p filled, authenticated), or it carries no valid
 * checksum (\returns -EBADMSG, p filled with what it says, not authenticated: a card's refusal looks like this);
 * \returns 0 when it is not this job's. */
static int por_of(struct otad_job *job, const uint8_t *ud, size_t len, struct otad_job_por *p)
{
	static uint8_t work[OTA_MAX_PACKET];
	struct ota_command cmd;
	struct ota_response rsp;
	bool cc_ok = false, ours = false;
	int rc;

	if (job_keyset(job))
		return 0;
	cmd = job->hdr;
	cmd.cntr = job->row.counter;
	if (job->row.via == OTAD_JOB_BEARER_BIP)
		memcpy(cmd.tar, otad_bip_cfg.push_tar, 3);
	rc = ota_response_decode(ud, len, &cmd, job->ks, &rsp, &cc_ok, work);
	if (rc || memcmp(rsp.tar, cmd.tar, 3))
		return 0;
	memset(p, 0, sizeof(*p));
	p->status = rsp.status;
	p->cntr = rsp.cntr;
	if (!cc_ok)
		return -EBADMSG;
	for (unsigned i = 0; i < job->row.attempts && i < OTAD_JOB_MAX_TRIES; i++)
		ours |= rsp.cntr == job->row.counters[i];
	if (!ours)
		return 0;
	p->authenticated = true;
	p->has_response = rsp.data_len && !rapdu_response_decode(rsp.data, rsp.data_len, &p->s);
	p->data = rsp.data;
	p->data_len = rsp.data_len;
	return 1;
}

/* A PoR that no running job takes, tried on the jobs a late PoR may still end. */
struct late_por {
	const uint8_t *ud;
	size_t len;
	bool matched;
};

/* Is it this timed-out or unknown job's? (otad_db_jobs_late() callback; stops at a match) */
static bool try_late(const struct otad_job_row *row, void *priv)
{
	struct late_por *in = priv;
	struct otad_job_por p;
	struct otad_job *job = job_alloc(row);

	if (!job)
		return true;
	if (por_of(job, in->ud, in->len, &p) == 1) {
		in->matched = true;
		osmo_fsm_inst_dispatch(job->fi, OTAD_JOB_EV_POR, &p); /* ends it, and frees it */
		return true;
	}
	osmo_fsm_inst_term(job->fi, OSMO_FSM_TERM_REGULAR, NULL);
	return false;
}

static void rx_packet(const char *msisdn, const uint8_t *ud, size_t len)
{
	struct otad_job *job, *tmp, *refused = NULL;
	struct otad_job_por p, refusal;
	struct late_por late = { ud, len, false };
	unsigned unverified = 0;

	if (len < 3 || ud[1] != 0x71) {
		LOGP(DJOB, LOGL_NOTICE, "an SMS from %s that is not a PoR: ignored\n", msisdn);
		ctr(OTAD_CTR_POR_UNMATCHED);
		return;
	}
	llist_for_each_entry_safe(job, tmp, &jobs, list)
	{
		int rc;

		/* the state table says which states take a PoR */
		if (strcmp(job->row.msisdn, msisdn) || !job->row.attempts ||
		    !(job->fi->fsm->states[job->fi->state].in_event_mask & S(OTAD_JOB_EV_POR)))
			continue;
		rc = por_of(job, ud, len, &p);
		if (rc == 1) {
			osmo_fsm_inst_dispatch(job->fi, OTAD_JOB_EV_POR, &p);
			return;
		}
		if (rc == -EBADMSG) {
			unverified++;
			refused = job;
			refusal = p;
		}
	}
	/* A card refuses a packet it cannot trust with a PoR that carries no checksum (TS 102 225): it ends the job
	 * as por-error, marked as not authenticated, when it names an error and exactly one job waits for it. */
	if (unverified == 1 && refusal.status) {
		osmo_fsm_inst_dispatch(refused->fi, OTAD_JOB_EV_POR, &refusal);
		return;
	}
	if (unverified) {
		LOGP(DJOB, LOGL_NOTICE,
		     "a PoR from %s without a valid checksum (status %02x, %s) that %u waiting jobs could be for: "
		     "ignored\n",
		     msisdn, refusal.status, ota_por_status_name(refusal.status), unverified);
		ctr(OTAD_CTR_POR_UNVERIFIED);
		return;
	}
	if (otad_db_jobs_late(g_otad->db, msisdn, LATE_JOBS_MAX, try_late, &late) == 0 && late.matched)
		return;
	LOGP(DJOB, LOGL_NOTICE, "a PoR from %s for no job (TAR %s): ignored\n", msisdn,
	     len >= 9 ? osmo_hexdump_nospc(ud + 6, 3) : "?");
	ctr(OTAD_CTR_POR_UNMATCHED);
}

static void expire_parts(void)
{
	struct parts *ps, *tmp;
	int64_t now = otad_now_ms();

	llist_for_each_entry_safe(ps, tmp, &waiting_parts, list)
	{
		if (now - ps->since_ms > PARTS_TTL_S * 1000) {
			LOGP(DJOB, LOGL_NOTICE, "%u of %u parts of an SMS from %s never completed: dropped\n", ps->have,
			     ps->total, ps->msisdn);
			llist_del(&ps->list);
			talloc_free(ps);
		}
	}
}

void otad_job_rx_sms(const char *msisdn, uint8_t esm_class, const uint8_t *ud, size_t len)
{
	static uint8_t joined[OTA_MAX_PACKET + 3];
	const uint8_t *pud[OTA_SMS_MAX_PARTS];
	struct sms_concat cc;
	struct parts *ps;
	size_t n;
	int rc;

	expire_parts();
	rc = (esm_class & 0x40) ? ota_sms_part(ud, len, &cc) : -EBADMSG;
	if (rc < 0 || len > SMS_MAX_UD) {
		LOGP(DJOB, LOGL_NOTICE, "an SMS from %s without a usable user data header: ignored\n", msisdn);
		ctr(OTAD_CTR_DELIVER_BAD);
		return;
	}
	if (rc == 0) {
		pud[0] = ud;
		if (ota_sms_join(pud, &len, 1, joined, sizeof(joined), &n)) {
			LOGP(DJOB, LOGL_NOTICE, "an SMS from %s that is no secured packet: ignored\n", msisdn);
			ctr(OTAD_CTR_DELIVER_BAD);
			return;
		}
		rx_packet(msisdn, joined, n);
		return;
	}
	if (cc.total > OTA_SMS_MAX_PARTS) {
		ctr(OTAD_CTR_DELIVER_BAD);
		return;
	}
	llist_for_each_entry(ps, &waiting_parts, list)
	{
		if (!strcmp(ps->msisdn, msisdn) && ps->ref == cc.ref && ps->total == cc.total)
			break;
	}
	if (&ps->list == &waiting_parts) {
		ps = talloc_zero(g_otad->ctx, struct parts);
		if (!ps)
			return;
		snprintf(ps->msisdn, sizeof(ps->msisdn), "%s", msisdn);
		ps->ref = cc.ref;
		ps->total = cc.total;
		ps->since_ms = otad_now_ms();
		llist_add_tail(&ps->list, &waiting_parts);
	}
	if (ps->len[cc.seq - 1]) /* a part again: the SMSC repeated it */
		return;
	memcpy(ps->ud[cc.seq - 1], ud, len);
	ps->len[cc.seq - 1] = len;
	if (++ps->have < ps->total)
		return;
	for (unsigned i = 0; i < ps->total; i++)
		pud[i] = ps->ud[i];
	rc = ota_sms_join(pud, ps->len, ps->total, joined, sizeof(joined), &n);
	llist_del(&ps->list);
	if (rc) {
		LOGP(DJOB, LOGL_NOTICE, "a concatenated SMS from %s that does not join: ignored\n", msisdn);
		ctr(OTAD_CTR_DELIVER_BAD);
	} else {
		rx_packet(msisdn, joined, n);
	}
	talloc_free(ps);
}

/* ---- the SCP81 server's side (otad_job.h; scp81/) ------------------------------------------------------------- */

int otad_job_bip_psk(const char *identity, uint8_t *psk, size_t max)
{
	int rc;

	if (!identity || !ident_digits(identity, 18, 20))
		return -ENOENT;
	rc = otad_db_psk_get(g_otad->db, identity, psk, max, NULL, NULL);
	return rc < 0 ? -ENOENT : rc;
}

/* The job of card \a iccid in a state that takes \a event, going by BIP; the oldest. */
static struct otad_job *bip_job(const char *iccid, int64_t id, uint32_t event)
{
	struct otad_job *job;

	llist_for_each_entry(job, &jobs, list)
	{
		if (job->row.via != OTAD_JOB_BEARER_BIP || strcmp(job->row.iccid, iccid) ||
		    (!job->row.attempts && job->fi->state != OTAD_JOB_BIP_WAIT &&
		     job->fi->state != OTAD_JOB_BIP_SENT) ||
		    (id >= 0 && job->row.id != id) || !(job->fi->fsm->states[job->fi->state].in_event_mask & S(event)))
			continue;
		if (event == OTAD_JOB_EV_BIP_ASK && job->fi->state == OTAD_JOB_BIP_SENT)
			continue;
		return job;
	}
	return NULL;
}

int otad_job_bip_next(const char *identity, int64_t *id, uint8_t *aid, size_t *aid_len, uint8_t *script, size_t max,
		      size_t *len)
{
	const struct otad_bip_target *t;
	struct otad_job *job;
	int n;

	while ((job = bip_job(identity, -1, OTAD_JOB_EV_BIP_ASK))) {
		t = otad_bip_target(job->row.tar);
		n = t ? otad_bip_script(&job->row, script, max) : -ENOENT;
		if (n < 0) {
			/* the configuration changed since the job was made */
			snprintf(job->row.error, sizeof(job->row.error), "the script cannot go over SCP81 any more");
			fall_back(job, job->row.error);
			continue;
		}
		*id = job->row.id;
		*aid_len = t->rfm ? 0 : t->aid_len;
		memcpy(aid, t->aid, *aid_len);
		*len = (size_t)n;
		osmo_fsm_inst_dispatch(job->fi, OTAD_JOB_EV_BIP_ASK, NULL);
		return 1;
	}
	return 0;
}

void otad_job_bip_result(const char *identity, int64_t id, int status, const uint8_t *resp, size_t len)
{
	struct otad_job_bip_result r = { .status = status, .data = resp, .data_len = len };
	struct otad_job *job = bip_job(identity, id, OTAD_JOB_EV_BIP_RESULT);

	if (!job || job->fi->state != OTAD_JOB_BIP_SENT) {
		LOGP(DJOB, LOGL_NOTICE,
		     "an SCP81 response from card %s for job %lld, which does not wait for one: ignored\n", identity,
		     (long long)id);
		ctr(OTAD_CTR_POR_UNMATCHED);
		return;
	}
	if (id < 0)
		LOGPFSML(job->fi, LOGL_NOTICE,
			 "a resumed session of the card brought the response of the script it ran before its link "
			 "broke\n");
	osmo_fsm_inst_dispatch(job->fi, OTAD_JOB_EV_BIP_RESULT, &r);
}

void otad_job_bip_ended(const char *identity, int64_t id, int reason)
{
	struct otad_job *job = bip_job(identity, id, OTAD_JOB_EV_BIP_RESULT);

	if (job)
		LOGPFSML(job->fi, LOGL_NOTICE,
			 "the card's SCP81 session ended (%s) before its response: it may resume until the deadline\n",
			 strerror(-reason));
}
