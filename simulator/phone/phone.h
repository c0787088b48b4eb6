/* simpki-phone's inside: one fake BSC (phone_bsc.c) toward osmo-msc over BSSAP/SCCP/M3UA, with many mobile
 * stations. Each mobile (struct phone_ms) has an osmo_fsm for mobility management (phone_mm.c: the state table
 * below is its specification), SMS transactions on libosmocore's CM (SMC) and RL (SMR) sublayers (phone_sms.c), a
 * simulated SIM in front of the card emulator (phone_sim.h) and a user who answers what the SIM shows (phone_ui.c:
 * the scenario file's model, or a person at the terminal). Everything runs single-threaded in libosmocore's select
 * loop; the BSC owns its mobiles (talloc).
 *
 *   state   what the phone does                           leaves on
 *   OFF     switched off (or refused by the network)        power on: LU (IMSI attach) -> LU
 *   LU      location updating on its own connection         connection released: IDLE when accepted, else OFF;
 *                                                           power off: OFF, or DETACH after the release when the
 *                                                           phone was attached (a periodic update)
 *   IDLE    camped, attached, no connection                 paging: CONN (paging response); an SMS to send: CONN
 *                                                           (CM service request); T3212: LU (periodic);
 *                                                           power off: DETACH
 *   CONN    a connection for SMS (MT or MO)                 released: CONN again while SMS wait, else IDLE
 *   DETACH  IMSI detach indication sent                     released or 3 s: OFF
 * A paging outside IDLE is ignored (a repeated paging while the answer is on its way, or a phone that is off).
 * After a reset of the A interface (the MSC restarted), a phone in IDLE or LU registers again at once.
 *
 * One connection (SCCP connection, one dedicated channel) per mobile at a time; SMS arriving on any connection are
 * handled (osmo-msc sends waiting SMS on the LU's connection). MM messages from the phone carry N(SD) modulo 4
 * (R99 classmark), counted from 0 on each connection; SMS transactions use TI flag 1 for network-originated ones.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/timer.h>
#include <osmocom/gsm/gsm0411_smc.h>
#include <osmocom/gsm/gsm0411_smr.h>
#include <osmocom/gsm/gsm23003.h>
#include <osmocom/sigtran/sccp_sap.h>

#include "cardos.h"
#include "phone_scenario.h"
#include "phone_sim.h"

enum phone_log_cat {
	DPHONE, /* per-phone events: attach, detach, paging, what the user does */
	DMM,	/* mobility management messages */
	DSMS,	/* SMS: CP/RP, TPDUs */
	DSIM,	/* the SIM: ENVELOPE, proactive commands */
	DBSC,	/* BSSMAP, SCCP connections */
};
extern const struct log_info phone_log_info;

enum phone_ms_state {
	MS_ST_OFF,
	MS_ST_LU,
	MS_ST_IDLE,
	MS_ST_CONN,
	MS_ST_DETACH
};
enum phone_ms_event {
	MS_EV_POWER_ON,
	MS_EV_POWER_OFF,
	MS_EV_LU_ACCEPT,
	MS_EV_LU_REJECT,
	MS_EV_RELEASED,
	MS_EV_PAGED,
	MS_EV_MO_QUEUED,
	MS_EV_PERIODIC,
	MS_EV_NETWORK_RESET, /* the A interface was reset: register again */
};

/* Counters for the summary (phone_bsc.c prints it). */
struct phone_stats {
	unsigned lu_ok, lu_rejected, lu_failed, detaches, pagings;
	unsigned mt_download, mt_ordinary, mt_refused; /* MT SMS: to the SIM, shown to the user, RP-ERROR */
	unsigned mo_ok, mo_failed;
	unsigned prompts, approved, rejected, unanswered;
};

struct phone_sms_trans {
	struct phone_ms *ms;
	struct gsm411_smc_inst smc;
	struct gsm411_smr_inst smr;
	bool active;   /* SMC/SMR set up */
	bool done;     /* SMC released the MM connection: a new transaction may start */
	bool reported; /* MO: the SIM was told how it went */
	uint8_t tid;   /* as this phone sends it: TI flag << 3 | TIO */
	/* MT with --real-timing: an RP-ACK carrying the SIM's answer waits until the SIM has given it */
	struct osmo_timer_list answer_timer;
	struct phone_sim_rp answer;
	uint8_t answer_ref;
};

/* An SMS-SUBMIT the SIM asked to send, waiting for a connection. */
struct phone_mo_sms {
	struct llist_head list;
	uint8_t tpdu[176];
	size_t len;
};

struct phone_bsc;

struct phone_ms {
	struct phone_bsc *bsc;
	unsigned idx;
	struct osmo_fsm_inst *fi;
	char *dir;
	struct card_identity id;
	struct phone_sim *sim;
	const struct phone_user *user;
	bool interactive;

	bool want_on;	 /* the user wants the phone on (power-off scenario) */
	bool attached;	 /* the network accepted the last LU */
	uint8_t lu_type; /* of the LU in progress: 0 normal, 1 periodic, 2 IMSI attach */
	uint32_t tmsi;
	bool have_tmsi;

	bool conn;  /* an SCCP connection is open */
	bool paged; /* paged while a connection was up: answered when it is released */
	uint32_t conn_id;
	uint8_t n_sd;
	struct phone_sms_trans mt, mo;
	uint8_t next_tio, next_mr, next_rp_ref;
	struct llist_head mo_queue;

	struct osmo_timer_list periodic; /* T3212 */
	struct osmo_timer_list user_timer;
	struct osmo_timer_list off_timer;
	bool prompting;
	struct phone_sim_prompt prompt;
	unsigned pin_at; /* GET INPUTs since the last DISPLAY TEXT: which of the user's PINs comes next */
};

struct phone_bsc_cfg {
	const char *stp_host;
	uint16_t stp_port;
	const char *own_pc, *msc_pc;
	uint32_t periodic_s; /* T3212; 0: no periodic updating */
	const char *smsc;    /* the SMSC address phones put in RP-DA, digits with an optional leading + */
	const char *gsmtap_host;
	const char *ready_file;
	bool real_timing; /* each SIM takes as long as a real one (phone_sim.h) */
	unsigned baud;	  /* the SIM's rate in the timing model; 0: CARD_BAUD_DEFAULT */
};

struct phone_bsc {
	void *ctx;
	struct phone_bsc_cfg cfg;
	struct osmo_sccp_instance *sccp;
	struct osmo_sccp_user *scu;
	struct osmo_sccp_addr local, msc;
	struct osmo_cell_global_id cgi;
	uint32_t next_conn_id;
	bool reset_acked;
	bool powered_on; /* the first RESET ACKNOWLEDGE switched the phones on */
	bool ready_written;
	struct osmo_timer_list reset_timer;
	struct gsmtap_inst *gsmtap;
	struct phone_ms **ms;
	unsigned n_ms;
	struct phone_stats st;
	const struct phone_scenario *scenario;
};

#define LOGMS(ms, cat, level, fmt, args...) LOGP(cat, level, "%s " fmt, (ms)->id.imsi, ##args)

/* phone_bsc.c */
int phone_bsc_start(struct phone_bsc *bsc);
void phone_bsc_tx_cr(struct phone_ms *ms, struct msgb *l3);
void phone_bsc_tx_dtap(struct phone_ms *ms, struct msgb *l3, uint8_t link_id);
void phone_bsc_disconnect(struct phone_ms *ms);
void phone_bsc_check_ready(struct phone_bsc *bsc);
void phone_bsc_summary(const struct phone_bsc *bsc, FILE *f);

/* phone_mm.c */
extern struct osmo_fsm phone_ms_fsm;
struct phone_ms *phone_ms_alloc(struct phone_bsc *bsc, unsigned idx, const char *dir, bool interactive, char *err,
				size_t errlen);
void phone_ms_rx_mm(struct phone_ms *ms, struct msgb *l3);
void phone_ms_released(struct phone_ms *ms);
void phone_mm_tx_cm_service_request(struct phone_ms *ms);
bool phone_ms_off(const struct phone_ms *ms);

/* phone_sms.c */
void phone_sms_rx(struct phone_ms *ms, struct msgb *l3);
void phone_sms_cm_accept(struct phone_ms *ms, bool accepted);
int phone_sms_mo_start(struct phone_ms *ms);
void phone_sms_released(struct phone_ms *ms);
void phone_sms_queue(struct phone_ms *ms, const uint8_t *tpdu, size_t len);
void phone_sms_flush(struct phone_ms *ms);

/* phone_ui.c */
void phone_ui_prompt(struct phone_ms *ms, const struct phone_sim_prompt *p);
void phone_ui_cancel(struct phone_ms *ms);
void phone_ui_timer_cb(void *data);
int phone_ui_interactive_init(struct phone_ms *ms);
/*! The BIP channel's status line: "BIP: connected to IP:PORT (N bytes in / M out)", or connecting, link dropped,
 *  closed, not connected, into \a out (NUL-terminated, cut to \a max). */
void phone_ui_bip_line(const struct phone_bip_status *st, char *out, size_t max);
/*! The interactive phone's BIP channel changed: its status line is drawn. */
void phone_ui_bip(struct phone_ms *ms, const struct phone_bip_status *st);
/*! Append every screen the SIMs show to \a path (--screen-log). \returns 0; -errno */
int phone_ui_screen_log_open(const char *path);
void phone_ui_screen_log_close(void);
