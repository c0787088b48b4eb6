/* SMS in a simulated phone (3GPP TS 24.011): libosmocore's SMC (CM sublayer: CP-DATA, CP-ACK, CP-ERROR, TC1*
 * retransmission) and SMR (RL sublayer: RP messages, TR1M/TR2M) run the mobile side of each transaction; this file
 * connects them to the connection (DTAP on SAPI 3) and to the SIM.
 *
 *   MT: CP-DATA with TI flag 0 opens a network-originated transaction (we answer with TI flag 1). Its RP-DATA
 *       carries an SMS-DELIVER: with TP-PID 7F it goes to the SIM (ENVELOPE SMS-PP download) and the SIM's answer
 *       becomes RP-ACK or RP-ERROR with an SMS-DELIVER-REPORT; any other SMS is logged and acknowledged.
 *       With --real-timing the SIM takes its modelled time (phone_sim.h: an RSA-2048 key generation in the packet's
 *       script ~9 s) and other phones go on meanwhile: its proactive command (the PoR by SEND SHORT MESSAGE) comes
 *       after it, and so does an RP-ACK carrying its response data (a PoR in the ENVELOPE response), on a timer. An
 *       RP answer without data goes at once: a handset would wait for the ENVELOPE's status word, but osmo-msc 1.9
 *       clears a paged connection whose MT SMS is not done 5 s after the paging response (its timer X1), and its
 *       SMSC would then send the packet again.
 *   MO: an SMS-SUBMIT from the SIM (SEND SHORT MESSAGE) waits in the phone's queue until it has no connection; then
 *       RP-DATA goes to SMR, SMC asks for an MM connection (CM SERVICE REQUEST), and the RP-ACK or RP-ERROR that
 *       comes back is the TERMINAL RESPONSE the SIM gets. One MO SMS per connection.
 *   SMC may ask for MM connection release only once its last CP-ACK went; a transaction is then done, and a new
 *   CP-DATA with the same TI starts a new one. When the connection goes, open transactions end and an MO SMS not
 *   acknowledged counts as failed ("network unable to process").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/msgb.h>
#include <osmocom/core/talloc.h>
#include <osmocom/gsm/gsm0411_utils.h>
#include <osmocom/gsm/gsm48.h>
#include <osmocom/gsm/gsm_utils.h>
#include <osmocom/gsm/protocol/gsm_04_08.h>
#include <osmocom/gsm/protocol/gsm_04_11.h>

#include <simpki/sign_msg.h>
#include <simpki/sms.h>

#include "phone.h"
#include "phone_rp.h"

#define LINK_ID_SAPI3 0x03

static int smc_mm_send(struct gsm411_smc_inst *inst, int msg_type, struct msgb *msg, int cp_msg_type)
{
	struct phone_sms_trans *t = container_of(inst, struct phone_sms_trans, smc);
	struct phone_ms *ms = t->ms;

	switch (msg_type) {
	case GSM411_MMSMS_EST_REQ: /* MO: the connection was opened by phone_sms_mo_start(); wait for the accept */
		msgb_free(msg);
		return 0;
	case GSM411_MMSMS_DATA_REQ:
		gsm411_push_cp_header(msg, GSM48_PDISC_SMS, t->tid, cp_msg_type);
		msg->l3h = msg->data;
		phone_bsc_tx_dtap(ms, msg, LINK_ID_SAPI3);
		return 0;
	case GSM411_MMSMS_REL_REQ:
		msgb_free(msg);
		t->done = true;
		return 0;
	default:
		msgb_free(msg);
		return -EINVAL;
	}
}

static int smc_mn_recv(struct gsm411_smc_inst *inst, int msg_type, struct msgb *msg)
{
	struct phone_sms_trans *t = container_of(inst, struct phone_sms_trans, smc);

	return gsm411_smr_recv(&t->smr, msg_type, msg);
}

static int smr_mn_send(struct gsm411_smr_inst *inst, int msg_type, struct msgb *msg)
{
	struct phone_sms_trans *t = container_of(inst, struct phone_sms_trans, smr);

	return gsm411_smc_send(&t->smc, msg_type, msg);
}

/* RP-ACK (ack) or RP-ERROR with an SMS-DELIVER-REPORT when there is something to report. */
static void tx_rp_answer(struct phone_sms_trans *t, uint8_t ref, const struct phone_sim_rp *rp)
{
	struct msgb *msg = gsm411_msgb_alloc();
	uint8_t report[180];
	int n = 0;
	bool udhi = rp->ud_len >= 3 && rp->ud[0] >= 2 && rp->ud[1] == 0x71; /* a PoR: UDH with IE 71 */

	if (rp->ud_len || rp->fcs)
		n = phone_rp_deliver_report(rp->ack ? 0 : rp->fcs, udhi, rp->ud, rp->ud_len, report, sizeof(report));
	if (!rp->ack) {
		msgb_v_put(msg, 1);
		msgb_v_put(msg, rp->cause);
	}
	if (n > 0) {
		msgb_v_put(msg, 0x41); /* RP-User Data */
		msgb_v_put(msg, (uint8_t)n);
		memcpy(msgb_put(msg, n), report, n);
	}
	gsm411_push_rp_header(msg, rp->ack ? GSM411_MT_RP_ACK_MO : GSM411_MT_RP_ERROR_MO, ref);
	gsm411_smr_send(&t->smr, GSM411_SM_RL_REPORT_REQ, msg);
}

static void answer_timer_cb(void *data)
{
	struct phone_sms_trans *t = data;

	tx_rp_answer(t, t->answer_ref, &t->answer);
}

/* A text SMS for the user (not for the SIM): GSM 7-bit or UCS2, alone or one part of a concatenated text (UDH IE
 * 00 or 08): logged "SMS from OA: "TEXT"" once whole (tests read it), the parts kept per phone and reference. */
#define CONCAT_SLOTS 8
#define CONCAT_PARTS 8
static struct concat {
	const struct phone_ms *ms;
	uint16_t ref;
	uint8_t total, have;
	char part[CONCAT_PARTS][480];
} concat[CONCAT_SLOTS];

static void text_done(struct phone_ms *ms, const char *oa, bool udhi, const uint8_t *ud, size_t udl_octets,
		      const char *text)
{
	struct sms_ie ies[4];
	struct sms_concat c;
	size_t n = 0, hl = 0;
	struct concat *slot = NULL;
	char whole[CONCAT_PARTS * 480];

	if (!udhi || sms_udh_parse(ud, udl_octets, ies, 4, &n, &hl) || !sms_udh_concat(ies, n, &c) || c.total < 2 ||
	    c.total > CONCAT_PARTS || c.seq < 1 || c.seq > c.total) {
		LOGMS(ms, DPHONE, LOGL_NOTICE, "SMS from %s: \"%s\"\n", oa, text);
		return;
	}
	for (int i = 0; i < CONCAT_SLOTS && !slot; i++)
		if (concat[i].ms == ms && concat[i].ref == c.ref && concat[i].total == c.total)
			slot = &concat[i];
	for (int i = 0; i < CONCAT_SLOTS && !slot; i++)
		if (!concat[i].ms) {
			slot = &concat[i];
			memset(slot, 0, sizeof(*slot));
			slot->ms = ms;
			slot->ref = c.ref;
			slot->total = c.total;
		}
	if (!slot) {
		LOGMS(ms, DPHONE, LOGL_ERROR, "SMS from %s: too many concatenated texts at once: part dropped\n", oa);
		return;
	}
	snprintf(slot->part[c.seq - 1], sizeof(slot->part[0]), "%s", text);
	slot->have |= (uint8_t)(1u << (c.seq - 1));
	LOGMS(ms, DSMS, LOGL_INFO, "SMS from %s: part %u of %u (reference %u)\n", oa, c.seq, c.total, c.ref);
	if (slot->have != (uint8_t)((1u << c.total) - 1))
		return;
	whole[0] = 0;
	for (unsigned i = 0; i < c.total; i++)
		strncat(whole, slot->part[i], sizeof(whole) - strlen(whole) - 1);
	memset(slot, 0, sizeof(*slot));
	LOGMS(ms, DPHONE, LOGL_NOTICE, "SMS from %s: \"%s\"\n", oa, whole);
}

static void rx_ordinary(struct phone_ms *ms, const uint8_t *tpdu, size_t len)
{
	char oa[24] = "", text[480];
	size_t off, n;
	uint8_t dcs, udl;
	bool udhi = tpdu[0] & 0x40, gsm7, ucs2;

	if (len >= 2 && tpdu[1] <= 20 && (size_t)(2 + 1 + (tpdu[1] + 1) / 2) <= len) {
		uint8_t lv[12] = { (uint8_t)(1 + (tpdu[1] + 1) / 2) };

		memcpy(lv + 1, tpdu + 2, lv[0]);
		gsm48_decode_bcd_number2(oa, sizeof(oa), lv, sizeof(lv), 1);
	}
	off = len >= 2 ? 3 + (size_t)(tpdu[1] + 1) / 2 + 2 + 7 : len; /* PID, DCS, SCTS */
	if (off >= len) {
		LOGMS(ms, DPHONE, LOGL_NOTICE, "SMS from %s (unreadable): %s\n", oa, osmo_hexdump_nospc(tpdu, len));
		return;
	}
	dcs = tpdu[off - 8];
	udl = tpdu[off];
	n = len - off - 1; /* octets of user data present */
	gsm7 = ((dcs & 0xc0) == 0 && (dcs & 0x0c) == 0) || ((dcs & 0xf0) == 0xf0 && !(dcs & 0x04));
	ucs2 = (dcs & 0xc0) == 0 && (dcs & 0x0c) == 0x08;
	if (gsm7) {
		uint8_t septets = udl > n * 8 / 7 ? (uint8_t)(n * 8 / 7) : udl;

		gsm_7bit_decode_n_hdr(text, sizeof(text), tpdu + off + 1, septets, udhi);
		text_done(ms, oa, udhi, tpdu + off + 1, n, text);
	} else if (ucs2) {
		size_t hl = udhi && n ? (size_t)tpdu[off + 1] + 1 : 0;
		size_t octets = udl < n ? udl : n;

		if (hl > octets || sign_text_utf8(SIGN_DCS_UCS2, tpdu + off + 1 + hl, (octets - hl) & ~(size_t)1, text,
						  sizeof(text)) < 0)
			snprintf(text, sizeof(text), "(bad UCS2)");
		text_done(ms, oa, udhi, tpdu + off + 1, n, text);
	} else {
		LOGMS(ms, DPHONE, LOGL_NOTICE, "SMS from %s (not text): %s\n", oa, osmo_hexdump_nospc(tpdu, len));
	}
}

static void rx_rp_data(struct phone_sms_trans *t, const struct phone_rp *rp)
{
	struct phone_ms *ms = t->ms;
	struct phone_stats *st = &ms->bsc->st;
	struct phone_sim_rp ans = { .ack = true };
	int pid = phone_rp_deliver_pid(rp->ud, rp->ud_len);
	uint64_t sim_us = 0, wait_us = 0;
	char when[64] = "";

	LOGMS(ms, DSMS, LOGL_INFO, "SMS-DELIVER %s\n", osmo_hexdump_nospc(rp->ud, rp->ud_len));
	if (pid == 0x7f && ms->sim) {
		if (phone_sim_sms_pp(ms->sim, rp->oa, rp->oa_len, rp->ud, rp->ud_len, &ans)) {
			ans.ack = false;
			ans.cause = 111; /* protocol error, unspecified */
		}
		if (ans.ack)
			st->mt_download++;
		else
			st->mt_refused++;
		sim_us = phone_sim_wait_us(ms->sim);
		if (ans.ud_len)
			wait_us = sim_us;
		if (sim_us)
			snprintf(when, sizeof(when), "%s; the SIM works %.3f s (real timing)",
				 wait_us ? " with its answer" : "", sim_us / 1e6);
		LOGMS(ms, DPHONE, LOGL_NOTICE, "SMS-PP download (%zu bytes) to the SIM: %s%s\n", rp->ud_len,
		      ans.ack	      ? "RP-ACK" :
		      ans.cause == 22 ? "SIM busy, RP-ERROR 22" :
					"SIM refused it, RP-ERROR",
		      when);
	} else if (pid < 0) {
		ans.ack = false;
		ans.cause = 96; /* invalid mandatory information */
		st->mt_refused++;
		LOGMS(ms, DPHONE, LOGL_ERROR, "unreadable SMS-DELIVER: RP-ERROR 96\n");
	} else {
		st->mt_ordinary++;
		rx_ordinary(ms, rp->ud, rp->ud_len);
	}
	if (!wait_us) {
		tx_rp_answer(t, rp->ref, &ans);
		return;
	}
	t->answer = ans;
	t->answer_ref = rp->ref;
	osmo_timer_schedule(&t->answer_timer, (int)(wait_us / 1000000), (int)(wait_us % 1000000));
}

static int smr_rl_recv(struct gsm411_smr_inst *inst, int msg_type, struct msgb *msg)
{
	struct phone_sms_trans *t = container_of(inst, struct phone_sms_trans, smr);
	struct phone_ms *ms = t->ms;
	struct phone_rp rp;
	int rc = -EBADMSG;

	/* l3h: the CP header (2 bytes), then CP-User Data as LV: the RP message */
	if (msg->l3h && msgb_l3len(msg) > 3 && msg->l3h[2] <= msgb_l3len(msg) - 3)
		rc = phone_rp_parse(msg->l3h + 3, msg->l3h[2], &rp);
	switch (msg_type) {
	case GSM411_SM_RL_DATA_IND:
		if (rc || rp.type != GSM411_MT_RP_DATA_MT) {
			LOGMS(ms, DSMS, LOGL_ERROR, "bad RP-DATA ignored\n");
			break;
		}
		rx_rp_data(t, &rp);
		break;
	case GSM411_SM_RL_REPORT_IND:
		if (t == &ms->mt) { /* TR2M expired (the SIM took longer than 15 s) or a CP error: no RP answer */
			if (osmo_timer_pending(&t->answer_timer))
				LOGMS(ms, DPHONE, LOGL_ERROR,
				      "the SIM's answer came too late for the network (TR2M)\n");
			osmo_timer_del(&t->answer_timer);
			break;
		}
		if (t->reported)
			break;
		t->reported = true;
		if (!rc && rp.type == GSM411_MT_RP_ACK_MT) {
			ms->bsc->st.mo_ok++;
			LOGMS(ms, DPHONE, LOGL_NOTICE, "SMS sent (RP-ACK)\n");
			if (ms->sim)
				phone_sim_sms_sent(ms->sim, PHONE_SIM_OK);
		} else {
			ms->bsc->st.mo_failed++;
			LOGMS(ms, DPHONE, LOGL_ERROR, "SMS not sent: %s\n",
			      rc ? "no answer from the network" : "RP-ERROR");
			if (ms->sim)
				phone_sim_sms_sent(ms->sim, rc ? PHONE_SIM_NETWORK_UNABLE : PHONE_SIM_SMS_RP_ERROR);
		}
		break;
	}
	return 0;
}

static void trans_init(struct phone_sms_trans *t, uint8_t tid)
{
	if (t->active) {
		osmo_timer_del(&t->answer_timer);
		gsm411_smr_clear(&t->smr);
		gsm411_smc_clear(&t->smc);
	}
	osmo_timer_setup(&t->answer_timer, answer_timer_cb, t);
	t->tid = tid;
	t->active = true;
	t->done = false;
	t->reported = false;
	gsm411_smc_init(&t->smc, t->ms->idx, 0, smc_mn_recv, smc_mm_send);
	gsm411_smr_init(&t->smr, t->ms->idx, 0, smr_rl_recv, smr_mn_send);
}

static void trans_end(struct phone_sms_trans *t, bool mo)
{
	if (!t->active)
		return;
	if (mo && !t->reported) {
		t->reported = true;
		t->ms->bsc->st.mo_failed++;
		LOGMS(t->ms, DPHONE, LOGL_ERROR, "SMS not sent: the connection went first\n");
		if (t->ms->sim)
			phone_sim_sms_sent(t->ms->sim, PHONE_SIM_NETWORK_UNABLE);
	}
	osmo_timer_del(&t->answer_timer);
	gsm411_smr_clear(&t->smr);
	gsm411_smc_clear(&t->smc);
	t->active = false;
}

void phone_sms_rx(struct phone_ms *ms, struct msgb *l3)
{
	struct gsm48_hdr *gh = (struct gsm48_hdr *)l3->l3h;
	uint8_t tid = gsm48_hdr_trans_id(gh);
	uint8_t cp_type = gh->msg_type;

	if (tid & 0x8) { /* TI flag 1: the answer to a transaction we started */
		if (!ms->mo.active || ms->mo.tid != (tid & 0x7)) {
			LOGMS(ms, DSMS, LOGL_INFO, "CP message for unknown MO transaction %u ignored\n", tid & 7);
			return;
		}
		gsm411_smc_recv(&ms->mo.smc, GSM411_MMSMS_DATA_IND, l3, cp_type);
		return;
	}
	if (ms->mt.active && !ms->mt.done && (ms->mt.tid & 7) == tid) {
		gsm411_smc_recv(&ms->mt.smc, GSM411_MMSMS_DATA_IND, l3, cp_type);
		return;
	}
	if (cp_type != GSM411_MT_CP_DATA) {
		LOGMS(ms, DSMS, LOGL_INFO, "CP message 0x%02x without a transaction ignored\n", cp_type);
		return;
	}
	trans_init(&ms->mt, tid | 0x8);
	gsm411_smc_recv(&ms->mt.smc, GSM411_MMSMS_EST_IND, l3, cp_type);
}

void phone_sms_cm_accept(struct phone_ms *ms, bool accepted)
{
	struct msgb *msg;

	if (!ms->mo.active)
		return;
	if (!accepted) {
		trans_end(&ms->mo, true);
		return;
	}
	msg = gsm411_msgb_alloc();
	gsm411_smc_recv(&ms->mo.smc, GSM411_MMSMS_EST_CNF, msg, 0);
	msgb_free(msg);
}

/* Encode an address for RP-DA: LV with TON/NPI. */
static size_t smsc_lv(const char *smsc, uint8_t *out, size_t max)
{
	bool intl = smsc[0] == '+';
	int n;

	out[1] = intl ? 0x91 : 0x81;
	n = gsm48_encode_bcd_number(out, max, 1, smsc + intl);
	return n > 0 ? (size_t)n : 0;
}

int phone_sms_mo_start(struct phone_ms *ms)
{
	struct phone_mo_sms *mo = llist_first_entry_or_null(&ms->mo_queue, struct phone_mo_sms, list);
	struct msgb *msg;
	uint8_t da[14];
	size_t da_len;

	if (!mo)
		return -ENOENT;
	llist_del(&mo->list);
	trans_init(&ms->mo, ms->next_tio);
	ms->next_tio = (ms->next_tio + 1) % 7;
	msg = gsm411_msgb_alloc();
	msgb_v_put(msg, 0);				     /* RP-OA: empty from the MS */
	da_len = smsc_lv(ms->bsc->cfg.smsc, da, sizeof(da)); /* osmo-msc refuses an empty RP-DA */
	memcpy(msgb_put(msg, da_len), da, da_len);
	msgb_v_put(msg, (uint8_t)mo->len);
	memcpy(msgb_put(msg, mo->len), mo->tpdu, mo->len);
	LOGMS(ms, DSMS, LOGL_INFO, "SMS-SUBMIT %s\n", osmo_hexdump_nospc(mo->tpdu, mo->len));
	gsm411_push_rp_header(msg, GSM411_MT_RP_DATA_MO, ms->next_rp_ref++);
	talloc_free(mo);
	/* open the connection first: SMC answers the data request with MMSMS-EST-REQ and waits for EST-CNF */
	phone_mm_tx_cm_service_request(ms);
	gsm411_smr_send(&ms->mo.smr, GSM411_SM_RL_DATA_REQ, msg);
	return 0;
}

void phone_sms_released(struct phone_ms *ms)
{
	trans_end(&ms->mt, false);
	trans_end(&ms->mo, true);
}

void phone_sms_queue(struct phone_ms *ms, const uint8_t *tpdu, size_t len)
{
	struct phone_mo_sms *mo;

	if (len > sizeof(mo->tpdu) || !(mo = talloc_zero(ms, struct phone_mo_sms))) {
		LOGMS(ms, DPHONE, LOGL_ERROR, "the SIM's SMS (%zu bytes) cannot be sent\n", len);
		phone_sim_sms_sent(ms->sim, PHONE_SIM_BEYOND_CAPABILITIES);
		return;
	}
	memcpy(mo->tpdu, tpdu, len);
	mo->len = len;
	llist_add_tail(&mo->list, &ms->mo_queue);
	LOGMS(ms, DPHONE, LOGL_NOTICE, "the SIM asks to send an SMS: %s\n", osmo_hexdump_nospc(tpdu, len));
	if (ms->fi->state == MS_ST_IDLE)
		osmo_fsm_inst_dispatch(ms->fi, MS_EV_MO_QUEUED, NULL);
}

void phone_sms_flush(struct phone_ms *ms)
{
	struct phone_mo_sms *mo, *tmp;

	llist_for_each_entry_safe(mo, tmp, &ms->mo_queue, list)
	{
		llist_del(&mo->list);
		talloc_free(mo);
	}
}
