/* The fake BSC of simpki-phone: an M3UA ASP toward osmo-stp (libosmo-sigtran's simple client, routing context and
 * AS registered dynamically), an SCCP user on SSN 254 (BSSAP), BSSMAP RESET repeated each second until the MSC
 * acknowledges it, then every phone is switched on. Connectionless: RESET, RESET ACKNOWLEDGE, PAGING (by IMSI,
 * handed to the phone with that IMSI). Connection-oriented: one SCCP connection per phone connection, opened by a
 * CR carrying COMPLETE LAYER 3 INFORMATION; DTAP goes to the phone's MM or SMS side, CLEAR COMMAND is answered with
 * CLEAR COMPLETE and the MSC's RLSD ends it; CIPHER MODE COMMAND is answered with no ciphering, CLASSMARK REQUEST
 * with the phone's classmark. Our SCCP connection ids are unique for the process's life. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/gsmtap_util.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/talloc.h>
#include <osmocom/gsm/gsm0808.h>
#include <osmocom/gsm/gsm48.h>
#include <osmocom/gsm/protocol/gsm_04_08.h>
#include <osmocom/gsm/protocol/gsm_08_08.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/sigtran/sccp_helpers.h>
#include <osmocom/sigtran/sccp_sap.h>

#include "phone.h"
#include "phone_l3.h"

static const uint8_t classmark2[3] = { 0x53, 0x18, 0x00 }; /* R99, A5/1, SMS capable (as in phone_mm.c) */

static const struct log_info_cat log_cats[] = {
	[DPHONE] = { .name = "DPHONE", .description = "Phone events", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DMM] = { .name = "DMM", .description = "Mobility management", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSMS] = { .name = "DSMS", .description = "Short messages", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSIM] = { .name = "DSIM", .description = "The SIM and its toolkit", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DBSC] = { .name = "DBSC", .description = "BSSMAP and SCCP", .enabled = 1, .loglevel = LOGL_NOTICE },
};

const struct log_info phone_log_info = { .cat = log_cats, .num_cat = ARRAY_SIZE(log_cats) };

static struct phone_ms *ms_by_conn(struct phone_bsc *bsc, uint32_t conn_id)
{
	for (unsigned i = 0; i < bsc->n_ms; i++)
		if (bsc->ms[i]->conn && bsc->ms[i]->conn_id == conn_id)
			return bsc->ms[i];
	return NULL;
}

static void tx_co(struct phone_ms *ms, struct msgb *msg)
{
	LOGMS(ms, DBSC, LOGL_DEBUG, "conn %u TX %s\n", ms->conn_id, msgb_hexdump(msg));
	osmo_sccp_tx_data_msg(ms->bsc->scu, ms->conn_id, msg);
}

void phone_bsc_tx_cr(struct phone_ms *ms, struct msgb *l3)
{
	struct phone_bsc *bsc = ms->bsc;
	struct msgb *msg = gsm0808_create_layer3_2(l3, &bsc->cgi, NULL);

	msgb_free(l3);
	ms->conn_id = bsc->next_conn_id++ & 0xffffff;
	ms->conn = true;
	LOGMS(ms, DBSC, LOGL_DEBUG, "conn %u CR %s\n", ms->conn_id, msgb_hexdump(msg));
	osmo_sccp_tx_conn_req_msg(bsc->scu, ms->conn_id, &bsc->local, &bsc->msc, msg);
}

void phone_bsc_tx_dtap(struct phone_ms *ms, struct msgb *l3, uint8_t link_id)
{
	struct msgb *msg;

	if (!ms->conn) {
		msgb_free(l3);
		return;
	}
	msg = gsm0808_create_dtap(l3, link_id);
	msgb_free(l3);
	tx_co(ms, msg);
}

void phone_bsc_disconnect(struct phone_ms *ms)
{
	if (!ms->conn)
		return;
	osmo_sccp_tx_disconn(ms->bsc->scu, ms->conn_id, NULL, 0);
	ms->conn = false;
}

static void rx_dtap(struct phone_ms *ms, const uint8_t *data, size_t len)
{
	struct msgb *l3;

	if (len < 5 || data[2] != len - 3) {
		LOGMS(ms, DBSC, LOGL_ERROR, "DTAP with a bad length: %s\n", osmo_hexdump_nospc(data, len));
		return;
	}
	l3 = msgb_alloc_headroom(512, 128, "DTAP");
	if (!l3)
		return;
	l3->l3h = msgb_put(l3, len - 3);
	memcpy(l3->l3h, data + 3, len - 3);
	switch (data[3] & 0x0f) {
	case GSM48_PDISC_MM:
		phone_ms_rx_mm(ms, l3);
		break;
	case GSM48_PDISC_SMS:
		phone_sms_rx(ms, l3);
		break;
	default:
		LOGMS(ms, DBSC, LOGL_INFO, "DTAP with protocol discriminator %u ignored\n", data[3] & 0x0f);
	}
	msgb_free(l3);
}

static void rx_bssmap_co(struct phone_ms *ms, const uint8_t *data, size_t len)
{
	uint8_t mt = data[2];

	LOGMS(ms, DBSC, LOGL_DEBUG, "conn %u RX BSSMAP %s\n", ms->conn_id, gsm0808_bssmap_name(mt));
	switch (mt) {
	case BSS_MAP_MSG_CLEAR_CMD:
		tx_co(ms, gsm0808_create_clear_complete());
		break;
	case BSS_MAP_MSG_CIPHER_MODE_CMD:
		tx_co(ms, gsm0808_create_cipher_complete(NULL, 1 /* A5/0: no ciphering */));
		break;
	case BSS_MAP_MSG_CLASSMARK_RQST:
		tx_co(ms, gsm0808_create_classmark_update(classmark2, sizeof(classmark2), NULL, 0));
		break;
	case BSS_MAP_MSG_COMMON_ID:
		break;
	default:
		LOGMS(ms, DBSC, LOGL_INFO, "BSSMAP %s ignored\n", gsm0808_bssmap_name(mt));
	}
}

static void rx_co(struct phone_ms *ms, const uint8_t *data, size_t len)
{
	if (len < 3 || (data[0] == BSSAP_MSG_BSS_MANAGEMENT && data[1] != len - 2)) {
		LOGMS(ms, DBSC, LOGL_ERROR, "BSSAP with a bad length: %s\n", osmo_hexdump_nospc(data, len));
		return;
	}
	if (data[0] == BSSAP_MSG_BSS_MANAGEMENT)
		rx_bssmap_co(ms, data, len);
	else if (data[0] == BSSAP_MSG_DTAP)
		rx_dtap(ms, data, len);
}

static void power_on_all(struct phone_bsc *bsc)
{
	for (unsigned i = 0; i < bsc->n_ms; i++)
		osmo_fsm_inst_dispatch(bsc->ms[i]->fi, MS_EV_POWER_ON, NULL);
}

/* The A interface was reset (by the MSC, or by us after the MSC came back): every connection is gone, and the
 * MSC's VLR may have forgotten every phone. Phones that are on register again at once, as the restoration
 * procedures of TS 23.007 would lead them to (osmo-msc does not page unknown subscribers by IMSI). */
static void a_interface_reset(struct phone_bsc *bsc)
{
	for (unsigned i = 0; i < bsc->n_ms; i++) {
		struct phone_ms *ms = bsc->ms[i];

		if (ms->conn) {
			ms->conn = false;
			phone_ms_released(ms);
		}
		osmo_fsm_inst_dispatch(ms->fi, MS_EV_NETWORK_RESET, NULL);
	}
}

static void rx_paging(struct phone_bsc *bsc, const uint8_t *data, size_t len)
{
	char imsi[16];

	if (phone_l3_paging_imsi(data, len, imsi)) {
		LOGP(DBSC, LOGL_ERROR, "PAGING without a usable IMSI ignored: %s\n", osmo_hexdump_nospc(data, len));
		return;
	}
	for (unsigned i = 0; i < bsc->n_ms; i++) {
		if (!strcmp(bsc->ms[i]->id.imsi, imsi)) {
			osmo_fsm_inst_dispatch(bsc->ms[i]->fi, MS_EV_PAGED, NULL);
			return;
		}
	}
	LOGP(DBSC, LOGL_INFO, "PAGING for IMSI %s, not one of ours\n", imsi);
}

static void rx_unitdata(struct phone_bsc *bsc, const uint8_t *data, size_t len)
{
	if (len < 3 || data[0] != BSSAP_MSG_BSS_MANAGEMENT || data[1] != len - 2) {
		LOGP(DBSC, LOGL_ERROR, "connectionless BSSAP ignored: %s\n", osmo_hexdump_nospc(data, len));
		return;
	}
	LOGP(DBSC, LOGL_DEBUG, "RX BSSMAP %s %s\n", gsm0808_bssmap_name(data[2]), osmo_hexdump_nospc(data, len));
	switch (data[2]) {
	case BSS_MAP_MSG_RESET_ACKNOWLEDGE:
		if (bsc->reset_acked)
			break;
		bsc->reset_acked = true;
		osmo_timer_del(&bsc->reset_timer);
		if (!bsc->powered_on) {
			bsc->powered_on = true;
			LOGP(DBSC, LOGL_NOTICE, "the MSC acknowledged our RESET: switching %u phones on\n", bsc->n_ms);
			power_on_all(bsc);
		} else {
			LOGP(DBSC, LOGL_NOTICE, "the MSC acknowledged our RESET: the phones register again\n");
			a_interface_reset(bsc);
		}
		break;
	case BSS_MAP_MSG_RESET:
		LOGP(DBSC, LOGL_NOTICE, "the MSC reset the A interface: the phones register again\n");
		osmo_sccp_tx_unitdata_msg(bsc->scu, &bsc->local, &bsc->msc, gsm0808_create_reset_ack());
		if (bsc->powered_on)
			a_interface_reset(bsc);
		break;
	case BSS_MAP_MSG_PAGING:
		rx_paging(bsc, data + 3, len - 3);
		break;
	default:
		break;
	}
}

static int sccp_sap_up(struct osmo_prim_hdr *oph, void *_scu)
{
	struct osmo_sccp_user *scu = _scu;
	struct phone_bsc *bsc = osmo_sccp_user_get_priv(scu);
	struct osmo_scu_prim *prim = (struct osmo_scu_prim *)oph;
	struct msgb *msg = oph->msg;
	struct phone_ms *ms;

	switch (OSMO_PRIM_HDR(oph)) {
	case OSMO_PRIM(OSMO_SCU_PRIM_N_CONNECT, PRIM_OP_CONFIRM):
		ms = ms_by_conn(bsc, prim->u.connect.conn_id);
		if (ms && msgb_l2len(msg))
			rx_co(ms, msgb_l2(msg), msgb_l2len(msg));
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_DATA, PRIM_OP_INDICATION):
		ms = ms_by_conn(bsc, prim->u.data.conn_id);
		if (ms)
			rx_co(ms, msgb_l2(msg), msgb_l2len(msg));
		else
			LOGP(DBSC, LOGL_INFO, "data on unknown connection %u\n", prim->u.data.conn_id);
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_DISCONNECT, PRIM_OP_INDICATION):
		ms = ms_by_conn(bsc, prim->u.disconnect.conn_id);
		if (ms) {
			ms->conn = false;
			LOGMS(ms, DBSC, LOGL_DEBUG, "conn %u released, cause 0x%x\n", ms->conn_id,
			      prim->u.disconnect.cause);
			phone_ms_released(ms);
		}
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_UNITDATA, PRIM_OP_INDICATION):
		rx_unitdata(bsc, msgb_l2(msg), msgb_l2len(msg));
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_CONNECT, PRIM_OP_INDICATION):
		LOGP(DBSC, LOGL_NOTICE, "the MSC opened connection %u (handover?): refused\n", prim->u.connect.conn_id);
		osmo_sccp_tx_disconn(bsc->scu, prim->u.connect.conn_id, NULL, 0);
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_PCSTATE, PRIM_OP_INDICATION):
		/* the MSC's point code came back (it restarted): RESET the A interface, as a BSC does */
		if (prim->u.pcstate.affected_pc == bsc->msc.pc &&
		    prim->u.pcstate.sp_status == OSMO_SCCP_SP_S_ACCESSIBLE && bsc->powered_on) {
			LOGP(DBSC, LOGL_NOTICE, "the MSC is reachable again: RESET\n");
			bsc->reset_acked = false;
			osmo_timer_schedule(&bsc->reset_timer, 0, 200000);
		} else if (prim->u.pcstate.affected_pc == bsc->msc.pc &&
			   prim->u.pcstate.sp_status == OSMO_SCCP_SP_S_INACCESSIBLE) {
			LOGP(DBSC, LOGL_NOTICE, "the MSC is not reachable\n");
		}
		break;
	default:
		LOGP(DBSC, LOGL_DEBUG, "SCCP primitive %s\n", osmo_scu_prim_name(oph));
	}
	msgb_free(msg);
	return 0;
}

static void reset_timer_cb(void *data)
{
	struct phone_bsc *bsc = data;
	struct osmo_ss7_as *as = osmo_ss7_as_find_by_name(osmo_sccp_get_ss7(bsc->sccp), "as-clnt-simpki-phone");

	if (!as || !osmo_ss7_as_active(as)) { /* M3UA not up yet */
		osmo_timer_schedule(&bsc->reset_timer, 0, 100000);
		return;
	}
	osmo_sccp_tx_unitdata_msg(bsc->scu, &bsc->local, &bsc->msc, gsm0808_create_reset());
	osmo_timer_schedule(&bsc->reset_timer, 1, 0);
}

int phone_bsc_start(struct phone_bsc *bsc)
{
	struct osmo_ss7_instance *ss7;
	int own_pc, msc_pc;

	if (osmo_ss7_init() < 0)
		return -EIO;
	ss7 = osmo_ss7_instance_find_or_create(bsc->ctx, 0);
	if (!ss7)
		return -ENOMEM;
	own_pc = osmo_ss7_pointcode_parse(ss7, bsc->cfg.own_pc);
	msc_pc = osmo_ss7_pointcode_parse(ss7, bsc->cfg.msc_pc);
	if (own_pc < 0 || msc_pc < 0)
		return -EINVAL;
	ss7->cfg.primary_pc = own_pc;
	/* local port 0: any (the client's default would bind 2905, osmo-stp's own port) */
	bsc->sccp = osmo_sccp_simple_client_on_ss7_id(bsc->ctx, 0, "simpki-phone", own_pc, OSMO_SS7_ASP_PROT_M3UA, 0,
						      "127.0.0.1", bsc->cfg.stp_port, bsc->cfg.stp_host);
	if (!bsc->sccp)
		return -ECONNREFUSED;
	bsc->scu = osmo_sccp_user_bind(bsc->sccp, "simpki-phone-bssap", sccp_sap_up, OSMO_SCCP_SSN_BSSAP);
	if (!bsc->scu)
		return -EADDRINUSE;
	osmo_sccp_user_set_priv(bsc->scu, bsc);
	osmo_sccp_make_addr_pc_ssn(&bsc->local, own_pc, OSMO_SCCP_SSN_BSSAP);
	osmo_sccp_make_addr_pc_ssn(&bsc->msc, msc_pc, OSMO_SCCP_SSN_BSSAP);
	/* MCC 001 MNC 01, LAC 23, CI 42: osmo-net's network */
	bsc->cgi = (struct osmo_cell_global_id){
		.lai = { .plmn = { .mcc = 1, .mnc = 1 }, .lac = 23 },
		.cell_identity = 42,
	};
	bsc->next_conn_id = 1;
	/* the ASP needs a moment (ASPUP, registration, ASPAC): RESET is repeated until acknowledged, as osmo-bsc does */
	osmo_timer_setup(&bsc->reset_timer, reset_timer_cb, bsc);
	osmo_timer_schedule(&bsc->reset_timer, 0, 200000);
	return 0;
}

void phone_bsc_check_ready(struct phone_bsc *bsc)
{
	FILE *f;

	if (bsc->ready_written)
		return;
	for (unsigned i = 0; i < bsc->n_ms; i++)
		if (bsc->ms[i]->want_on && !bsc->ms[i]->attached)
			return;
	bsc->ready_written = true;
	LOGP(DPHONE, LOGL_NOTICE, "all phones that are on are attached\n");
	if (!bsc->cfg.ready_file)
		return;
	f = fopen(bsc->cfg.ready_file, "w");
	if (!f) {
		LOGP(DPHONE, LOGL_ERROR, "cannot write %s: %s\n", bsc->cfg.ready_file, strerror(errno));
		return;
	}
	fprintf(f, "%u\n", bsc->n_ms);
	fclose(f);
}

void phone_bsc_summary(const struct phone_bsc *bsc, FILE *f)
{
	const struct phone_stats *s = &bsc->st;
	unsigned attached = 0;

	for (unsigned i = 0; i < bsc->n_ms; i++)
		attached += bsc->ms[i]->attached;
	fprintf(f,
		"simpki-phone summary: %u phone%s, %u attached at the end\n"
		"  location updates: %u accepted, %u rejected, %u failed; %u IMSI detaches; %u pagings\n"
		"  MT SMS: %u to the SIM, %u ordinary, %u refused\n"
		"  MO SMS: %u sent, %u failed\n"
		"  user: %u prompts, %u approved, %u rejected, %u unanswered\n",
		bsc->n_ms, bsc->n_ms == 1 ? "" : "s", attached, s->lu_ok, s->lu_rejected, s->lu_failed, s->detaches,
		s->pagings, s->mt_download, s->mt_ordinary, s->mt_refused, s->mo_ok, s->mo_failed, s->prompts,
		s->approved, s->rejected, s->unanswered);
}
