/* Mobility management of one simulated phone (3GPP TS 24.008 §4.4, §4.5): the osmo_fsm whose state table is in
 * phone.h, the MM messages it sends (LOCATION UPDATING REQUEST, IMSI DETACH INDICATION, CM SERVICE REQUEST,
 * PAGING RESPONSE, TMSI REALLOCATION COMPLETE, IDENTITY RESPONSE) and those it receives from the MSC. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/gsmtap.h>
#include <osmocom/core/gsmtap_util.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/gsm/gsm48.h>
#include <osmocom/gsm/protocol/gsm_04_08.h>

#include "phone.h"
#include "phone_l3.h"

#define LINK_ID_SAPI0 0x00
#define T3210_S 20 /* LU guard */
#define T3211_S 10 /* LU retry after a failure */
#define CONN_GUARD_S 60
#define DETACH_GUARD_S 3

static const uint8_t classmark1 = 0x53;			   /* R99 (N(SD) modulo 4), A5/1, no A5/2 */
static const uint8_t classmark2[3] = { 0x53, 0x18, 0x00 }; /* R99, A5/1, SMS capable */

enum {
	T_LU = 3210,
	T_RETRY = 3211,
	T_CONN = 1,
	T_DETACH = 2
};

static struct msgb *l3_alloc(uint8_t pdisc, uint8_t msg_type)
{
	struct msgb *msg = msgb_alloc_headroom(512, 128, "MM");
	struct gsm48_hdr *gh;

	OSMO_ASSERT(msg);
	msg->l3h = msgb_put(msg, sizeof(*gh));
	gh = (struct gsm48_hdr *)msg->l3h;
	gh->proto_discr = pdisc;
	gh->msg_type = msg_type;
	return msg;
}

/* An MM message from the phone: N(SD) in bits 7-6 of the message type (TS 24.007 §11.2.3.2.3) */
static struct msgb *mm_alloc(struct phone_ms *ms, uint8_t msg_type)
{
	struct msgb *msg = l3_alloc(GSM48_PDISC_MM, msg_type | (uint8_t)(ms->n_sd << 6));

	ms->n_sd = (ms->n_sd + 1) % 4;
	return msg;
}

static void put_mi(struct msgb *msg, struct phone_ms *ms, bool tmsi)
{
	struct osmo_mobile_identity mi = { 0 };
	uint8_t *len = msgb_put(msg, 1);

	if (tmsi && ms->have_tmsi) {
		mi.type = GSM_MI_TYPE_TMSI;
		mi.tmsi = ms->tmsi;
	} else {
		mi.type = GSM_MI_TYPE_IMSI;
		OSMO_STRLCPY_ARRAY(mi.imsi, ms->id.imsi);
	}
	*len = (uint8_t)osmo_mobile_identity_encode_msgb(msg, &mi, false);
}

static void tx_lu_request(struct phone_ms *ms, uint8_t type)
{
	struct gsm48_loc_area_id lai;
	struct msgb *msg;

	ms->n_sd = 0;
	ms->lu_type = type;
	msg = mm_alloc(ms, GSM48_MT_MM_LOC_UPD_REQUEST);
	msgb_v_put(msg, 0x70 | type); /* CKSN 7: no key */
	gsm48_generate_lai2(&lai, &ms->bsc->cgi.lai);
	memcpy(msgb_put(msg, sizeof(lai)), &lai, sizeof(lai));
	msgb_v_put(msg, classmark1);
	put_mi(msg, ms, type == 1);
	phone_bsc_tx_cr(ms, msg);
}

static void tx_imsi_detach(struct phone_ms *ms)
{
	struct msgb *msg;

	ms->n_sd = 0;
	msg = mm_alloc(ms, GSM48_MT_MM_IMSI_DETACH_IND);
	msgb_v_put(msg, classmark1);
	put_mi(msg, ms, true);
	phone_bsc_tx_cr(ms, msg);
}

static void tx_paging_response(struct phone_ms *ms)
{
	struct msgb *msg = l3_alloc(GSM48_PDISC_RR, GSM48_MT_RR_PAG_RESP); /* RR: no N(SD) */

	ms->n_sd = 0;
	msgb_v_put(msg, 0x07); /* CKSN 7 */
	msgb_lv_put(msg, sizeof(classmark2), classmark2);
	put_mi(msg, ms, true);
	phone_bsc_tx_cr(ms, msg);
}

/* The SMS side asks for an MM connection (MMSMS-EST-REQ): CM SERVICE REQUEST for SMS on a new connection. */
void phone_mm_tx_cm_service_request(struct phone_ms *ms)
{
	struct msgb *msg;

	ms->n_sd = 0;
	msg = mm_alloc(ms, GSM48_MT_MM_CM_SERV_REQ);
	msgb_v_put(msg, 0x70 | GSM48_CMSERV_SMS);
	msgb_lv_put(msg, sizeof(classmark2), classmark2);
	put_mi(msg, ms, true);
	phone_bsc_tx_cr(ms, msg);
}

static void periodic_cb(void *data)
{
	struct phone_ms *ms = data;

	osmo_fsm_inst_dispatch(ms->fi, MS_EV_PERIODIC, NULL);
}

/* Leave a connection: the next SMS waiting, a pending power-off, or idle. */
static void go_idle(struct phone_ms *ms)
{
	if (!ms->want_on) {
		osmo_fsm_inst_state_chg(ms->fi, MS_ST_DETACH, DETACH_GUARD_S, T_DETACH);
		tx_imsi_detach(ms);
		return;
	}
	if (ms->paged) {
		/* paged while a connection was up or being released: a BSC repeats paging on the radio side, and the
		 * phone back in idle mode hears it (osmo-msc pages for an MT SMS that came during the release) */
		ms->paged = false;
		ms->bsc->st.pagings++;
		LOGMS(ms, DPHONE, LOGL_NOTICE, "paged during the last connection: answering now\n");
		osmo_fsm_inst_state_chg(ms->fi, MS_ST_CONN, CONN_GUARD_S, T_CONN);
		tx_paging_response(ms);
		return;
	}
	if (!llist_empty(&ms->mo_queue) && !phone_sms_mo_start(ms)) {
		osmo_fsm_inst_state_chg(ms->fi, MS_ST_CONN, CONN_GUARD_S, T_CONN);
		return;
	}
	osmo_fsm_inst_state_chg(ms->fi, MS_ST_IDLE, 0, 0);
}

static int sim_power(struct phone_ms *ms, bool on);

static void st_off_onenter(struct osmo_fsm_inst *fi, uint32_t prev_state)
{
	struct phone_ms *ms = fi->priv;

	osmo_timer_del(&ms->periodic);
	ms->paged = false;
	phone_bsc_disconnect(ms);
	phone_sms_released(ms);
	phone_sms_flush(ms);
	if (ms->attached)
		ms->attached = false;
}

static void power_on(struct phone_ms *ms)
{
	if (!ms->sim && sim_power(ms, true))
		return;
	LOGMS(ms, DPHONE, LOGL_NOTICE, "switched on: location updating (IMSI attach)\n");
	osmo_fsm_inst_state_chg(ms->fi, MS_ST_LU, T3210_S, T_LU);
	tx_lu_request(ms, 2);
}

static void st_off(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct phone_ms *ms = fi->priv;

	switch (event) {
	case MS_EV_POWER_ON:
		if (!ms->want_on)
			break;
		power_on(ms);
		break;
	case MS_EV_POWER_OFF:
		if (ms->sim)
			sim_power(ms, false);
		break;
	}
}

static void st_lu(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct phone_ms *ms = fi->priv;
	struct phone_bsc *bsc = ms->bsc;

	switch (event) {
	case MS_EV_LU_ACCEPT:
		ms->attached = true;
		bsc->st.lu_ok++;
		LOGMS(ms, DPHONE, LOGL_NOTICE, "attached (%s), TMSI 0x%08x\n",
		      ms->lu_type == 1 ? "periodic update" : "IMSI attach", ms->tmsi);
		break;
	case MS_EV_PAGED: /* answered once the location update's connection is released (go_idle()) */
		ms->paged = true;
		break;
	case MS_EV_LU_REJECT:
		ms->attached = false;
		ms->want_on = false; /* a rejected phone stays in limited service: switched off here */
		bsc->st.lu_rejected++;
		break;
	case MS_EV_RELEASED:
		if (ms->attached) {
			go_idle(ms);
			phone_bsc_check_ready(bsc);
		} else {
			osmo_fsm_inst_state_chg(fi, MS_ST_OFF, 0, 0);
		}
		break;
	case MS_EV_POWER_OFF:
		/* An attached phone (a periodic update, or accepted and not yet released) ends the procedure and
		 * then detaches (go_idle() sees want_on false); one still attaching just stops. */
		if (ms->attached)
			break;
		osmo_fsm_inst_state_chg(fi, MS_ST_OFF, 0, 0);
		sim_power(ms, false);
		break;
	case MS_EV_NETWORK_RESET:
		phone_bsc_disconnect(ms);
		osmo_fsm_inst_state_chg(fi, MS_ST_LU, T3210_S, T_LU);
		tx_lu_request(ms, 2);
		break;
	}
}

static void st_idle_onenter(struct osmo_fsm_inst *fi, uint32_t prev_state)
{
	struct phone_ms *ms = fi->priv;

	if (ms->bsc->cfg.periodic_s)
		osmo_timer_schedule(&ms->periodic, ms->bsc->cfg.periodic_s, 0);
}

static void st_idle_onleave(struct osmo_fsm_inst *fi, uint32_t next_state)
{
	struct phone_ms *ms = fi->priv;

	osmo_timer_del(&ms->periodic);
}

static void st_idle(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct phone_ms *ms = fi->priv;

	switch (event) {
	case MS_EV_PAGED:
		ms->bsc->st.pagings++;
		LOGMS(ms, DPHONE, LOGL_NOTICE, "paged: answering\n");
		osmo_fsm_inst_state_chg(fi, MS_ST_CONN, CONN_GUARD_S, T_CONN);
		tx_paging_response(ms);
		break;
	case MS_EV_MO_QUEUED:
		go_idle(ms);
		break;
	case MS_EV_NETWORK_RESET:
		LOGMS(ms, DPHONE, LOGL_NOTICE, "the network was reset: location updating (IMSI attach)\n");
		ms->attached = false;
		osmo_fsm_inst_state_chg(fi, MS_ST_LU, T3210_S, T_LU);
		tx_lu_request(ms, 2);
		break;
	case MS_EV_PERIODIC:
		LOGMS(ms, DPHONE, LOGL_INFO, "periodic location updating\n");
		osmo_fsm_inst_state_chg(fi, MS_ST_LU, T3210_S, T_LU);
		tx_lu_request(ms, 1);
		break;
	case MS_EV_POWER_OFF:
		go_idle(ms); /* want_on is false: IMSI detach */
		break;
	}
}

static void st_conn(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct phone_ms *ms = fi->priv;

	switch (event) {
	case MS_EV_RELEASED:
		go_idle(ms);
		break;
	case MS_EV_PAGED: /* answered once this connection is released (go_idle()) */
		ms->paged = true;
		break;
	case MS_EV_POWER_OFF: /* switched off during a connection: the radio link just ends */
		osmo_fsm_inst_state_chg(fi, MS_ST_OFF, 0, 0);
		sim_power(ms, false);
		break;
	}
}

static void st_detach(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct phone_ms *ms = fi->priv;

	if (event == MS_EV_RELEASED) {
		ms->bsc->st.detaches++;
		LOGMS(ms, DPHONE, LOGL_NOTICE, "switched off (IMSI detach)\n");
		osmo_fsm_inst_state_chg(fi, MS_ST_OFF, 0, 0);
		sim_power(ms, false);
	}
}

static int timer_cb(struct osmo_fsm_inst *fi)
{
	struct phone_ms *ms = fi->priv;

	switch (fi->T) {
	case T_LU:
		ms->bsc->st.lu_failed++;
		LOGMS(ms, DPHONE, LOGL_ERROR, "no answer to location updating in %d s: retrying in %d s\n", T3210_S,
		      T3211_S);
		osmo_fsm_inst_state_chg(fi, MS_ST_OFF, T3211_S, T_RETRY);
		break;
	case T_RETRY:
		power_on(ms);
		break;
	case T_CONN:
		LOGMS(ms, DPHONE, LOGL_ERROR, "connection not released after %d s: dropping it\n", CONN_GUARD_S);
		phone_bsc_disconnect(ms);
		phone_sms_released(ms);
		go_idle(ms);
		break;
	case T_DETACH:
		ms->bsc->st.detaches++;
		LOGMS(ms, DPHONE, LOGL_NOTICE, "switched off (IMSI detach not acknowledged)\n");
		osmo_fsm_inst_state_chg(fi, MS_ST_OFF, 0, 0);
		sim_power(ms, false);
		break;
	}
	return 0;
}

#define S(x) (1 << (x))
static const struct osmo_fsm_state ms_states[] = {
	[MS_ST_OFF] = { .name = "OFF",
			.in_event_mask =
				S(MS_EV_POWER_ON) | S(MS_EV_POWER_OFF) | S(MS_EV_PAGED) | S(MS_EV_NETWORK_RESET),
			.out_state_mask = S(MS_ST_LU) | S(MS_ST_OFF),
			.onenter = st_off_onenter,
			.action = st_off },
	[MS_ST_LU] = { .name = "LU",
		       .in_event_mask = S(MS_EV_LU_ACCEPT) | S(MS_EV_LU_REJECT) | S(MS_EV_RELEASED) |
					S(MS_EV_POWER_OFF) | S(MS_EV_PAGED) | S(MS_EV_NETWORK_RESET),
		       .out_state_mask = S(MS_ST_OFF) | S(MS_ST_IDLE) | S(MS_ST_CONN) | S(MS_ST_DETACH) | S(MS_ST_LU),
		       .action = st_lu },
	[MS_ST_IDLE] = { .name = "IDLE",
			 .in_event_mask = S(MS_EV_PAGED) | S(MS_EV_MO_QUEUED) | S(MS_EV_PERIODIC) | S(MS_EV_POWER_OFF) |
					  S(MS_EV_NETWORK_RESET),
			 .out_state_mask = S(MS_ST_CONN) | S(MS_ST_LU) | S(MS_ST_DETACH) | S(MS_ST_IDLE),
			 .onenter = st_idle_onenter,
			 .onleave = st_idle_onleave,
			 .action = st_idle },
	[MS_ST_CONN] = { .name = "CONN",
			 .in_event_mask =
				 S(MS_EV_RELEASED) | S(MS_EV_POWER_OFF) | S(MS_EV_PAGED) | S(MS_EV_NETWORK_RESET),
			 .out_state_mask = S(MS_ST_IDLE) | S(MS_ST_CONN) | S(MS_ST_DETACH) | S(MS_ST_OFF),
			 .action = st_conn },
	[MS_ST_DETACH] = { .name = "DETACH",
			   .in_event_mask = S(MS_EV_RELEASED) | S(MS_EV_PAGED) | S(MS_EV_NETWORK_RESET),
			   .out_state_mask = S(MS_ST_OFF),
			   .action = st_detach },
};

static const struct value_string ms_event_names[] = {
	{ MS_EV_POWER_ON, "POWER_ON" },		  { MS_EV_POWER_OFF, "POWER_OFF" },
	{ MS_EV_LU_ACCEPT, "LU_ACCEPT" },	  { MS_EV_LU_REJECT, "LU_REJECT" },
	{ MS_EV_RELEASED, "RELEASED" },		  { MS_EV_PAGED, "PAGED" },
	{ MS_EV_MO_QUEUED, "MO_QUEUED" },	  { MS_EV_PERIODIC, "PERIODIC" },
	{ MS_EV_NETWORK_RESET, "NETWORK_RESET" }, { 0, NULL },
};

struct osmo_fsm phone_ms_fsm = {
	.name = "phone",
	.states = ms_states,
	.num_states = ARRAY_SIZE(ms_states),
	.event_names = ms_event_names,
	.timer_cb = timer_cb,
	.log_subsys = DMM,
};

/* ---- receiving ---------------------------------------------------------------------------------------------- */

static void rx_lu_accept(struct phone_ms *ms, const uint8_t *data, size_t len)
{
	uint32_t tmsi;
	int rc = phone_l3_lu_accept_tmsi(data, len, &tmsi);

	if (rc < 0) {
		LOGMS(ms, DMM, LOGL_ERROR, "LOCATION UPDATING ACCEPT truncated: %s\n", osmo_hexdump_nospc(data, len));
		return; /* the LU guard timer decides */
	}
	if (rc == 1) {
		ms->tmsi = tmsi;
		ms->have_tmsi = true;
	}
	osmo_fsm_inst_dispatch(ms->fi, MS_EV_LU_ACCEPT, NULL);
	if (rc == 1)
		phone_bsc_tx_dtap(ms, mm_alloc(ms, GSM48_MT_MM_TMSI_REALL_COMPL), LINK_ID_SAPI0);
}

static void tx_identity_response(struct phone_ms *ms, uint8_t type)
{
	struct msgb *msg = mm_alloc(ms, GSM48_MT_MM_ID_RESP);
	struct osmo_mobile_identity mi = { .type = type };
	uint8_t *len;

	if (type == GSM_MI_TYPE_IMSI || type == GSM_MI_TYPE_TMSI) {
		put_mi(msg, ms, type == GSM_MI_TYPE_TMSI);
	} else { /* IMEI(SV): a made-up one, stable per phone */
		len = msgb_put(msg, 1);
		char imei[32];

		snprintf(imei, sizeof(imei), "35%012u%s", ms->idx % 1000000000u,
			 type == GSM_MI_TYPE_IMEISV ? "00" : "0");
		OSMO_STRLCPY_ARRAY(mi.imei, imei);
		*len = (uint8_t)osmo_mobile_identity_encode_msgb(msg, &mi, false);
	}
	phone_bsc_tx_dtap(ms, msg, LINK_ID_SAPI0);
}

void phone_ms_rx_mm(struct phone_ms *ms, struct msgb *l3)
{
	struct gsm48_hdr *gh = (struct gsm48_hdr *)l3->l3h;
	uint8_t mt = gh->msg_type & 0x3f;

	if (msgb_l3len(l3) < 2)
		return;
	switch (mt) {
	case GSM48_MT_MM_LOC_UPD_ACCEPT:
		rx_lu_accept(ms, gh->data, msgb_l3len(l3) - 2);
		break;
	case GSM48_MT_MM_LOC_UPD_REJECT:
		LOGMS(ms, DPHONE, LOGL_ERROR, "location updating rejected: %s\n",
		      msgb_l3len(l3) > 2 ? gsm48_reject_value_name(gh->data[0]) : "no cause");
		osmo_fsm_inst_dispatch(ms->fi, MS_EV_LU_REJECT, NULL);
		break;
	case GSM48_MT_MM_ID_REQ:
		if (msgb_l3len(l3) > 2)
			tx_identity_response(ms, gh->data[0] & 0x07);
		break;
	case GSM48_MT_MM_TMSI_REALL_CMD:
		if (!phone_l3_tmsi_realloc(gh->data, msgb_l3len(l3) - 2, &ms->tmsi))
			ms->have_tmsi = true;
		phone_bsc_tx_dtap(ms, mm_alloc(ms, GSM48_MT_MM_TMSI_REALL_COMPL), LINK_ID_SAPI0);
		break;
	case GSM48_MT_MM_CM_SERV_ACC:
		phone_sms_cm_accept(ms, true);
		break;
	case GSM48_MT_MM_CM_SERV_REJ:
		LOGMS(ms, DPHONE, LOGL_ERROR, "CM service rejected: %s\n",
		      msgb_l3len(l3) > 2 ? gsm48_reject_value_name(gh->data[0]) : "no cause");
		phone_sms_cm_accept(ms, false);
		break;
	case GSM48_MT_MM_INFO:
		break;
	default:
		LOGMS(ms, DMM, LOGL_INFO, "MM %s ignored\n", gsm48_pdisc_msgtype_name(GSM48_PDISC_MM, mt));
	}
}

void phone_ms_released(struct phone_ms *ms)
{
	phone_sms_released(ms);
	osmo_fsm_inst_dispatch(ms->fi, MS_EV_RELEASED, NULL);
}

bool phone_ms_off(const struct phone_ms *ms)
{
	return ms->fi->state == MS_ST_OFF;
}

/* ---- the SIM ---------------------------------------------------------------------------------------------- */

static void sim_send_sms(void *priv, const uint8_t *tpdu, size_t len)
{
	phone_sms_queue(priv, tpdu, len);
}

static void sim_prompt(void *priv, const struct phone_sim_prompt *p)
{
	phone_ui_prompt(priv, p);
}

static void sim_trace(void *priv, const uint8_t *cmd, size_t cmd_len, const uint8_t *rsp, size_t rsp_len)
{
	struct phone_ms *ms = priv;
	uint8_t buf[2 * 300];

	if (!ms->bsc->gsmtap || cmd_len + rsp_len > sizeof(buf))
		return;
	/* as SIMtrace does: the command, then the response data and SW; ARFCN field = the phone's index */
	memcpy(buf, cmd, cmd_len);
	memcpy(buf + cmd_len, rsp, rsp_len);
	gsmtap_send_ex(ms->bsc->gsmtap, GSMTAP_TYPE_SIM, (uint16_t)(ms->idx & 0x3fff), 0, GSMTAP_SIM_APDU, 0, 0, 0, 0,
		       buf, (unsigned)(cmd_len + rsp_len));
}

static void sim_bip_changed(void *priv, const struct phone_bip_status *st)
{
	struct phone_ms *ms = priv;
	char line[96];

	phone_ui_bip_line(st, line, sizeof(line));
	LOGMS(ms, DSIM, LOGL_NOTICE, "%s\n", line);
	if (ms->interactive)
		phone_ui_bip(ms, st);
}

static const struct phone_sim_ops sim_ops = {
	.send_sms = sim_send_sms,
	.prompt = sim_prompt,
	.trace = sim_trace,
	.bip_changed = sim_bip_changed,
};

/* Open the SIM in ms->dir with the timing of --real-timing and --baud. \returns 0; -errno */
static int sim_open(struct phone_ms *ms)
{
	struct phone_bip_cfg bip = { 0 };
	int rc;

	if (ms->user) { /* known once the card's IMSI was read */
		bip.off = ms->user->bip_off;
		bip.drop_send = ms->user->bip_drop_send;
	}
	rc = phone_sim_open_bip(ms, ms->dir, &sim_ops, ms, &bip, &ms->sim);

	if (!rc)
		rc = phone_sim_set_timing(ms->sim, ms->bsc->cfg.real_timing, ms->bsc->cfg.baud);
	if (rc && ms->sim) {
		phone_sim_close(ms->sim);
		ms->sim = NULL;
	}
	return rc;
}

/* Power the SIM on (TERMINAL PROFILE) or off; a SIM powered off forgets its pending proactive command. */
static int sim_power(struct phone_ms *ms, bool on)
{
	int rc;

	if (!on) {
		phone_ui_cancel(ms);
		phone_sim_close(ms->sim);
		ms->sim = NULL;
		return 0;
	}
	rc = sim_open(ms);
	if (rc)
		LOGMS(ms, DPHONE, LOGL_ERROR, "the SIM in %s does not answer: %s\n", ms->dir, strerror(-rc));
	return rc;
}

static void off_timer_cb(void *data)
{
	struct phone_ms *ms = data;

	if (ms->want_on) {
		LOGMS(ms, DPHONE, LOGL_NOTICE, "the user switches the phone off for %.3f s\n",
		      ms->user->off_for_ms / 1000.0);
		ms->want_on = false;
		osmo_fsm_inst_dispatch(ms->fi, MS_EV_POWER_OFF, NULL);
		osmo_timer_schedule(&ms->off_timer, ms->user->off_for_ms / 1000, (ms->user->off_for_ms % 1000) * 1000);
	} else {
		LOGMS(ms, DPHONE, LOGL_NOTICE, "the user switches the phone on again\n");
		ms->want_on = true;
		if (ms->fi->state == MS_ST_OFF)
			osmo_fsm_inst_dispatch(ms->fi, MS_EV_POWER_ON, NULL);
		/* else it is still detaching: st_detach's release brings it to OFF, the off timer is done */
	}
}

static int ms_destructor(struct phone_ms *ms)
{
	osmo_timer_del(&ms->periodic);
	osmo_timer_del(&ms->off_timer);
	osmo_timer_del(&ms->user_timer);
	phone_sms_released(ms);
	phone_sms_flush(ms);
	phone_sim_close(ms->sim);
	return 0;
}

struct phone_ms *phone_ms_alloc(struct phone_bsc *bsc, unsigned idx, const char *dir, bool interactive, char *err,
				size_t errlen)
{
	struct phone_ms *ms = talloc_zero(bsc->ctx, struct phone_ms);
	char id[32];
	int rc;

	if (!ms) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ms->bsc = bsc;
	ms->idx = idx;
	ms->interactive = interactive;
	ms->dir = talloc_strdup(ms, dir);
	INIT_LLIST_HEAD(&ms->mo_queue);
	ms->mt.ms = ms->mo.ms = ms;
	osmo_timer_setup(&ms->periodic, periodic_cb, ms);
	osmo_timer_setup(&ms->off_timer, off_timer_cb, ms);
	osmo_timer_setup(&ms->user_timer, phone_ui_timer_cb, ms);
	talloc_set_destructor(ms, ms_destructor);
	rc = sim_open(ms);
	if (rc) {
		snprintf(err, errlen, "%s: %s", dir,
			 rc == -ENOENT	? "no card here (simpki-card create)" :
			 rc == -EBUSY	? "the card is in use by another program" :
			 rc == -EBADMSG ? "the card image is damaged" :
					  strerror(-rc));
		talloc_free(ms);
		return NULL;
	}
	phone_sim_identity(ms->sim, &ms->id);
	if (!ms->id.imsi[0]) {
		snprintf(err, errlen, "%s: the card has no IMSI (simpki-card create --imsi)", dir);
		talloc_free(ms);
		return NULL;
	}
	ms->user = phone_scenario_user(bsc->scenario, ms->id.imsi);
	if (ms->user->bip_off || ms->user->bip_drop_send) {
		/* the SIM was opened to read its IMSI: again, with the user's BIP in the TERMINAL PROFILE */
		phone_sim_close(ms->sim);
		ms->sim = NULL;
		rc = sim_open(ms);
		if (rc) {
			snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
			talloc_free(ms);
			return NULL;
		}
	}
	ms->want_on = true;
	snprintf(id, sizeof(id), "%s", ms->id.imsi);
	ms->fi = osmo_fsm_inst_alloc(&phone_ms_fsm, ms, ms, LOGL_DEBUG, id);
	if (!ms->fi) {
		snprintf(err, errlen, "out of memory");
		talloc_free(ms);
		return NULL;
	}
	if (ms->user->has_off)
		osmo_timer_schedule(&ms->off_timer, ms->user->off_at_ms / 1000, (ms->user->off_at_ms % 1000) * 1000);
	if (interactive && phone_ui_interactive_init(ms)) {
		snprintf(err, errlen, "--interactive needs a terminal on standard input");
		talloc_free(ms);
		return NULL;
	}
	return ms;
}
