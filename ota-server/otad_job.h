/* simpki-otad's OTA jobs: an APDU script to one card through a TAR, secured with the card's key set, sent over
 * the SMSC, ended by its proof of receipt. One osmo_fsm per job (the state table in otad_job.c is this spec, and
 * tests/unit/test-otad-job.c checks it); every state change is stored first (otad_db.h, jobs and job_events), so
 * a restart resumes each job where it was and ends it exactly once.
 *
 *   state      takes events         may go to                          meaning
 *   queued     SEND, CANCEL         submitted, failed, cancelled       build the packet with a new counter
 *                                                                      (committed before use), split, submit
 *   submitted  SUBMIT_OK/FAIL, POR, delivered, retrying, failed,       the SMS are with the SMSC link; the PoR is
 *              CANCEL               unknown, timed-out, cancelled,     due at the deadline. SUBMIT_FAIL: retrying
 *                                   por-ok/-error                      (store mode, tries left) or failed (store
 *                                                                      mode, none left; forward mode, always).
 *                                                                      CANCEL only while no SMS left the bind's
 *                                                                      queue
 *   delivered  POR                  retrying, unknown, timed-out,      store mode: the SMSC accepted every part;
 *                                   por-ok, por-error                  forward mode: the phone took the SMS
 *   retrying   POR, CANCEL (SEND    submitted, failed, cancelled,      sent again shortly with a new counter: the
 *              by timer)            por-ok/-error                      SMSC refused the SMS, or (idempotent jobs
 *                                                                      only) no PoR came in time
 *   timed-out  POR (late)           por-ok, por-error                  over: an idempotent job's last try got no
 *                                                                      PoR in time
 *   unknown    POR (late)           por-ok, por-error                  over: a job that must not run twice got no
 *                                                                      PoR in time; it is never sent again
 *   por-ok, por-error, failed, cancelled: over, for good.
 *
 * At most once: a job is idempotent when its script only reads (api_apdu_reads()); any other job is sent
 * again only after the SMSC refused its SMS, never once the SMSC took them. Every submit carries a validity period
 * (otad_job_cfg.validity_s), so a stale packet dies in the SMSC. A PoR is matched against every try's counter,
 * so a PoR of an earlier try still ends the job, also once it is timed-out or unknown (a late PoR).
 *
 * Delivery mode (row.mode, from the job or otad_job_cfg.mode): store (store-and-forward, above) or forward (SMPP
 * forward/transaction mode, esm_class message mode 2: the SMSC pages and delivers at once, stores nothing, and
 * answers the submit_sm only after the attempt). In forward mode the states keep their names, and:
 *   SUBMIT_OK   the phone took the SMS: delivered, the PoR follows within moments;
 *   SUBMIT_FAIL the phone did not take it (absent, not attached, refused) and never will: nothing is stored, the
 *               script did not run, so the job ends failed at once with the reason, for every job (the operator
 *               may make a new one; a retry seconds later would find the phone just as absent);
 *   deadline    without any answer (submitted) the outcome is unknown: the phone may have the SMS. As in store
 *               mode: unknown for a job that must not run twice (never sent again), retrying or timed-out for an
 *               idempotent one. The SMSC bind's response-timeout does not send a forward submit again
 *               (smpp_esme.h): only the job's deadline gives up on it.
 * A packet of several SMS in forward mode: osmo-msc makes each forward submit a transaction of its own, so the parts
 * go one after another: part i + 1 is submitted only once part i's submit_sm_resp said OK (the phone took it), after
 * otad_job_cfg.part_gap_ms ('job forward-part-gap', 0 by default: a network that loses a part paged while the
 * connection of the one before is released may need one); the
 * job is delivered when the last part was taken. Any part refused ends the job failed as above (a card that got
 * only some parts never runs the packet: it drops incomplete concatenated SMS). A UCS2 signing request needs 3 or
 * 4 SMS (sign/sign.h).
 * The failed job's row carries the refusal's SMPP status in smpp_status (in memory, for otad_job_final_cb).
 *
 * The PoR's additional data (the response data of a response packet) is kept in row.por_response whenever there is
 * any, whether or not it reads as a remote APDU response (TS 102 226): the signing applet answers with a sign_resp
 * (simpki/sign_msg.h) instead; por_commands, por_last_sw and por_last_data say what a remote APDU response says.
 *
 * Security (otad_sec.h): a job's SPI and KVN are its own or the configuration's; when it is made, the SPI must be
 * one jobs can use, meet its TAR's minimum security level, and fit the card's key set KVN, or the job is refused.
 *
 * Every PoR is reported: a PoR whose checksum verifies with the job's keys ends it as por-ok (status 00) or
 * por-error; a PoR without a valid checksum naming an error (the card's refusal: wrong key 01, counter 02/03,
 * unknown TAR 09, security level too low 0A) ends the one job waiting for that card and TAR as por-error, marked
 * as not authenticated. Such a PoR that several jobs could be for, or a PoR no job takes, is logged and counted.
 * Every log line of a job names it and its card: "ota-job(ID-ICCID){STATE}: ...".
 *
 * Bearers (row.bearer, from the job or otad_bip_cfg.bearer; docs/scp81.md). sms: the script goes in the secured
 * SMS, as above. bip: the try's secured SMS is a push (GlobalPlatform Amendment B, simpki/scp81.h) to the card's
 * admin TAR (otad_bip_cfg.push_tar) that names the SCP81 server, the PSK identity (the ICCID) and key; the card's
 * admin agent opens a BIP channel through the handset, a TLS-PSK session to the server (scp81/), and asks for its
 * scripts: the script is handed out once, in the expanded format (a compact script is converted), targeted at the
 * TAR's application (otad_bip_cfg targets), and the card's response ends the job as a PoR would (por-ok with the
 * response, authenticated by the TLS-PSK session; por-error for a script status other than ok). auto: bip when
 * the card has a PSK, the server listens, the TAR has a target, and the script needs more than one SMS or asks
 * for 200 bytes or more of response; sms otherwise. row.via is the current try's bearer. The extra states:
 *   state      takes events         may go to                          meaning
 *   submitted, delivered (via bip)  + BIP_ASK: bip-sent                the card asked before its push PoR came
 *              POR for the push:    bip-wait (status 00), retrying     auto falls back to sms when the card
 *                                   (auto: via sms), por-error         refuses the push
 *   queued, retrying (via bip)      + bip-wait                         the card's session is open: no push
 *   bip-wait   BIP_ASK, POR         bip-sent, retrying (auto, via      the push was taken; the card's session is
 *                                   sms), failed                       to ask within otad_bip_cfg.wait_s: else
 *                                                                      auto sends the script by SMS (it was never
 *                                                                      handed out), bip fails
 *   bip-sent   BIP_RESULT, POR      por-ok, por-error, unknown,        the script was handed out: its response is
 *                                   retrying, timed-out                due (a session broken on the way resumes
 *                                                                      with it, X-Admin-Resume) before the try's
 *                                                                      deadline; then as a try without PoR:
 *                                                                      unknown unless idempotent (auto retries
 *                                                                      an idempotent job by sms)
 * A push is never a reason for "unknown": until the script is handed out, nothing of it ran.
 * No push goes to a card whose SCP81 session is open and will ask again (otad_bip_session_open): a job made while it
 * runs (the next step of a campaign, chained from the one before) goes from queued (or retrying) straight to
 * bip-wait, and the session takes it; the push would only reach a busy SIM (9300) and start an empty session later.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <simpki/rapdu.h>

#include "otad_db.h"

struct otad_job_cfg {
	uint32_t timeout_s;	 /* per try (default 60) */
	uint32_t retries;	 /* tries after the first, for idempotent jobs and refusals (default 2, at most 10) */
	uint32_t validity_s;	 /* validity period of each submit (default 300; 0: the SMSC's default) */
	uint8_t spi[2];		 /* default 16 39: CC, ciphered, counter higher; PoR with CC, ciphered, by SMS-SUBMIT */
	uint8_t kvn;		 /* the key set used (default 1) */
	enum otad_job_mode mode; /* the delivery mode of jobs that do not say (default store) */
	unsigned part_gap_ms;	 /* forward mode: the wait between a part taken and the next part's submit (default
				  * 0; 0..10000): osmo-msc pages for the next part while it still releases the
				  * connection of the one before; a BSC repeats that paging, but a network that does not
				  * would lose the part (ESME_RDELIVERYFAILURE 10 s later) without a gap */
};

extern struct otad_job_cfg otad_job_cfg;

#define OTAD_BIP_TARGETS_MAX 8

/* SCP81 jobs: where the push sends cards and what it says. 'scp81' in the configuration (scp81/scp81_vty.c). */
struct otad_bip_cfg {
	bool enabled;		     /* the SCP81 server listens (scp81_server_start() succeeded) */
	enum otad_job_bearer bearer; /* of jobs that do not say (default sms); campaigns say auto */
	uint8_t push_tar[3];	     /* the cards' admin agent TAR (default 000000, the issuer security domain's) */
	uint8_t ip[4];		     /* the server as the card reaches it (default 127.0.0.1) */
	uint16_t port;		     /* (default 8443) */
	char uri[128];		     /* the first POST's URI (default SCP81_DEFAULT_URI) */
	uint16_t card_retries;	     /* the push's retry policy: tries after a failed session (default 2) */
	unsigned wait_s;	     /* bip-wait: how long the card has to ask (default 30) */
	struct otad_bip_target {
		uint8_t tar[3];
		bool rfm;	 /* the card's remote file management: no targeted application */
		uint8_t aid[16]; /* else the application's AID */
		uint8_t aid_len;
	} targets[OTAD_BIP_TARGETS_MAX]; /* default 504B49 = the PKI applet, B00010 = RFM */
	unsigned n_targets;
};

extern struct otad_bip_cfg otad_bip_cfg;

/*! Whether the card with PSK identity (ICCID) \a identity has an SCP81 session open that will still ask for its
 *  scripts (scp81_server_session_open()): a job going by BIP then sends no push, the session takes it. NULL: never. */
extern bool (*otad_bip_session_open)(const char *identity);

/* The job FSM's events. */
enum otad_job_event {
	OTAD_JOB_EV_SEND,	 /* build and submit a try */
	OTAD_JOB_EV_SUBMIT_OK,	 /* the SMSC took one SMS */
	OTAD_JOB_EV_SUBMIT_FAIL, /* the SMSC refused an SMS for good (data: the SMPP status) */
	OTAD_JOB_EV_POR,	 /* a PoR for the job (data: struct otad_job_por) */
	OTAD_JOB_EV_CANCEL,	 /* an operator cancels it (only before any of its SMS left for the SMSC) */
	OTAD_JOB_EV_BIP_ASK,	 /* the card's SCP81 session takes the script (data: NULL) */
	OTAD_JOB_EV_BIP_RESULT,	 /* the card's SCP81 session answers it (data: struct otad_job_bip_result) */
};

/* What a card's SCP81 session answered. */
struct otad_job_bip_result {
	int status;	     /* enum scp81_script_status */
	const uint8_t *data; /* the response script (AB/AF), data_len bytes; valid during the event */
	size_t data_len;
};

/* What a PoR said. */
struct otad_job_por {
	uint8_t status;
	bool authenticated; /* its checksum verified with the job's keys (false: the card's unsecured refusal) */
	uint64_t cntr;
	bool has_response;
	struct rapdu_summary s;
	const uint8_t *data; /* the PoR's additional data, whatever it is (valid during the event), data_len bytes */
	size_t data_len;
};

/*! Called once each time a job enters a final state, after the state is stored (also a late PoR's por-ok after
 *  unknown or timed-out): the flows built on jobs (enrol.h) chain their next step from it. NULL: nobody. */
extern void (*otad_job_final_cb)(const struct otad_job_row *row);
/*! Called each time a job enters a state that is not final, after it is stored (submitted, delivered, retrying):
 *  a flow that shows progress (sign.h: the request reached the phone) follows it. NULL: nobody; a hook chains the
 *  one it replaces. */
extern void (*otad_job_change_cb)(const struct otad_job_row *row);

/*! Create a job for card \a iccid: \a script is a compact remote APDU script (TS 102 226), \a len bytes;
 *  \a idempotent: running it twice does no harm; \a opts: its delivery mode, SPI and KVN (NULL, or a field 0:
 *  the configuration's). Nothing is stored unless every check passes. \a err always says why it failed.
 *  \returns 0 with *id set;
 *  -ENOENT: no card with that ICCID;
 *  -EPERM: the card is not active (suspended, lost, retired);
 *  -ENOKEY: the card has no key set kvn;
 *  -EACCES: the SPI is below the TAR's minimum security level (otad_spi_check());
 *  -EINVAL: the request does not fit this card or the configuration: a script of 0 or too many bytes; a mode or
 *           kvn out of range; an SPI jobs cannot use (otad_spi_check()); the SPI does not fit that key set's
 *           algorithms; a script too long for a secured packet;
 *  -ESTALE: the database is a restored copy whose counters are not confirmed (otad_db_needs_floor());
 *  -EIO: the database, or a key set that does not open with the master key; -ENOMEM
 *  Jobs stored before (resumed) wait in their state while otad_db_needs_floor() says so: no try is spent. */
int otad_job_create(const char *iccid, const uint8_t tar[3], const uint8_t *script, size_t len, bool idempotent,
		    const struct otad_job_opts *opts, int64_t *id, char *err, size_t errlen);
/*! Cancel job \a id: only while none of its SMS ever left for the SMSC (queued, retrying, or submitted with every
 *  SMS still in the bind's queue). \returns 0 (it is cancelled); -ENOENT; -EBUSY (\a err says why not); -EIO */
int otad_job_cancel(int64_t id, char *err, size_t errlen);
/*! Resume every job that is not over (at start). \returns how many; -EIO */
int otad_job_resume_all(void);
/*! Jobs in memory (not over). */
unsigned otad_job_active(void);
/*! At shutdown: free every job in memory (their timers too), leaving each as stored, to resume at the next start. */
void otad_job_stop_all(void);

/* From the SMSC binds (otad_smsc.c). */
void otad_job_submit_done(void *job, uint32_t status, const char *message_id);
void otad_job_rx_sms(const char *msisdn, uint8_t esm_class, const uint8_t *ud, size_t len);

/* The SCP81 server's side of jobs (otad_job_bip.c; struct scp81_ops in scp81/scp81_server.h). */
/*! The PSK of the card whose PSK identity is \a identity (its ICCID). \returns its length; -ENOENT */
int otad_job_bip_psk(const char *identity, uint8_t *psk, size_t max);
/*! Hand out the next script of the card \a identity: its oldest job going by bip that was not handed out yet.
 *  \returns 1 with *job, the AID (aid_len 0: RFM) and the expanded script filled; 0: none */
int otad_job_bip_next(const char *identity, int64_t *job, uint8_t *aid, size_t *aid_len, uint8_t *script, size_t max,
		      size_t *len);
/*! The card's response to job \a job's script (-1: the card's job that was handed out). */
void otad_job_bip_result(const char *identity, int64_t job, int status, const uint8_t *resp, size_t len);
/*! The session of card \a identity ended while job \a job's script was out (it may still resume). */
void otad_job_bip_ended(const char *identity, int64_t job, int reason);

/* For tests: the job FSM, and a job in \a row's state with no timer, as resume would make it. */
extern struct osmo_fsm otad_job_fsm;
struct osmo_fsm_inst *otad_job_debug_alloc(const struct otad_job_row *row);
