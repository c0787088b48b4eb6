/* The SIM in a simulated phone: the handset's side of the toolkit (TS 31.111 / TS 102 223) in front of the card
 * emulator, with the card's state in its directory (cardos.h).
 *
 * At power-on the handset sends TERMINAL PROFILE. An MT SMS with TP-PID 7F (SIM data download) goes to the SIM as
 * ENVELOPE D1 { 82 02 83 81 | 06 the SMSC's address | 8B the SMS-DELIVER }; the SIM's answer decides the RP
 * answer (TS 31.111 §7.1.1.1): 9000 or 91xx: RP-ACK (with the response data, if any, as the SMS-DELIVER-REPORT's
 * user data); 9300 (toolkit busy): RP-ERROR, cause 22 (memory capacity exceeded), so the SMSC retries; anything
 * else: RP-ERROR with TP-FCS D5 (SIM data download error). While the SIM answers 91xx, its proactive commands are
 * fetched and run:
 *   SEND SHORT MESSAGE (13)   ops->send_sms with the SMS-SUBMIT; phone_sim_sms_sent() gives the TERMINAL RESPONSE
 *                             (00 performed, or 35 SMS RP-ERROR / 21 network unable)
 *   DISPLAY TEXT (21)         ops->display_text; phone_sim_user_answer() (00, 10 terminated by user, 12 no answer)
 *   GET INPUT (23)            ops->get_input; phone_sim_user_answer() with the text typed
 *   MORE TIME (02)            answered at once (00)
 *   SET UP EVENT LIST (05), TIMER MANAGEMENT (27), OPEN/CLOSE CHANNEL (40/41), RECEIVE/SEND DATA (42/43), GET
 *                             CHANNEL STATUS (44): phone_bip.h (a TCP channel from this process; with BIP off
 *                             (phone_bip_cfg) the channel commands get 30 and TERMINAL PROFILE does not announce BIP)
 *   anything else             30 (beyond the handset's capabilities)
 * One proactive command at a time; TERMINAL RESPONSE echoes its command details, device identities ME -> SIM.
 * ENVELOPEs of BIP events and timer expirations (phone_bip.h) wait in a queue (up to 8) and go to the SIM only while
 * no proactive command is fetched and unanswered; one the SIM refuses with 9300 (toolkit busy) stays first and is
 * sent again after the next TERMINAL RESPONSE, or 100 ms later; after 91xx the SIM's command is fetched and run.
 * Every APDU goes through ops->trace (for GSMTAP) when set.
 *
 * Real timing (phone_sim_set_timing()): the card OS itself runs as fast as it can (CARD_TIMING_FAST, never a sleep:
 * every phone shares one select loop), but the SIM is given the time its model says each exchange takes
 * (card_os_modelled_us(): transport, NVM writes, key generation, signatures). The SIM is busy until the end of its
 * last exchange (phone_sim_wait_us()); a proactive command is fetched only once the SIM is free, and run (its SMS
 * queued, its prompt shown) only once the FETCH itself is over, with an osmo_timer in between. When the RP answer to
 * an SMS-PP download leaves is the caller's choice: phone_sim_wait_us() after phone_sim_sms_pp() says how long the
 * SIM still works on it (phone_sms.c).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardos.h"
#include "phone_bip.h"

#define PHONE_SIM_TEXT_MAX 256
#define PHONE_SIM_ENV_QUEUE 8 /* ENVELOPEs waiting for the SIM */

/* TERMINAL RESPONSE general results (TS 102 223 §8.12) the phone uses. */
enum phone_sim_result {
	PHONE_SIM_OK = 0x00,
	PHONE_SIM_TERMINATED_BY_USER = 0x10,
	PHONE_SIM_NO_RESPONSE = 0x12,
	PHONE_SIM_NETWORK_UNABLE = 0x21,
	PHONE_SIM_BEYOND_CAPABILITIES = 0x30,
	PHONE_SIM_DATA_NOT_UNDERSTOOD = 0x32,
	PHONE_SIM_SMS_RP_ERROR = 0x35,
};

/* What DISPLAY TEXT and GET INPUT ask of the user. */
struct phone_sim_prompt {
	bool input;		       /* GET INPUT (else DISPLAY TEXT) */
	bool wait_user;		       /* DISPLAY TEXT: wait for the user to clear the message */
	bool hidden;		       /* GET INPUT: the user's input is not to be shown (a PIN) */
	bool digits_only;	       /* GET INPUT: digits 0-9, *, #, + */
	unsigned min_len, max_len;     /* GET INPUT */
	char text[PHONE_SIM_TEXT_MAX]; /* UTF-8 */
};

struct phone_sim_ops {
	/*! The SIM sends an SMS: \a tpdu is an SMS-SUBMIT. Answer with phone_sim_sms_sent(). */
	void (*send_sms)(void *priv, const uint8_t *tpdu, size_t len);
	/*! DISPLAY TEXT or GET INPUT for the user. Answer with phone_sim_user_answer(). */
	void (*prompt)(void *priv, const struct phone_sim_prompt *p);
	/*! Each APDU and its answer (data and SW). Optional. */
	void (*trace)(void *priv, const uint8_t *cmd, size_t cmd_len, const uint8_t *rsp, size_t rsp_len);
	/*! The BIP channel was connected, could not be, dropped or was closed. Optional. */
	void (*bip_changed)(void *priv, const struct phone_bip_status *st);
};

struct phone_sim;

/*! Open the card in \a dir (cardos.h), power it on and send TERMINAL PROFILE. \returns 0; -errno (-ENOENT: no
 *  card; -EBUSY: another process holds it) */
int phone_sim_open(void *ctx, const char *dir, const struct phone_sim_ops *ops, void *priv, struct phone_sim **out);
/*! The same with the handset's BIP configured (\a bip; NULL: BIP on, no fault injection). */
int phone_sim_open_bip(void *ctx, const char *dir, const struct phone_sim_ops *ops, void *priv,
		       const struct phone_bip_cfg *bip, struct phone_sim **out);
/*! Power the SIM off and free \a sim: the BIP channel's socket is closed, its timers stopped. */
void phone_sim_close(struct phone_sim *sim);
void phone_sim_identity(const struct phone_sim *sim, struct card_identity *id);

/* The RP answer to an MT SMS. */
struct phone_sim_rp {
	bool ack;	 /* RP-ACK (else RP-ERROR) */
	uint8_t cause;	 /* RP-ERROR cause */
	uint8_t fcs;	 /* TP-FCS of the SMS-DELIVER-REPORT for an RP-ERROR (0: none) */
	uint8_t ud[256]; /* user data for the SMS-DELIVER-REPORT (the SIM's response data), ud_len bytes */
	size_t ud_len;
};

/*! An MT SMS for data download (TP-PID 7F) from the SMSC \a smsc_bcd (RP-OA, as BCD bytes with TON/NPI first).
 *  \returns 0 and fills \a rp; -EIO if the card failed */
int phone_sim_sms_pp(struct phone_sim *sim, const uint8_t *smsc_bcd, size_t smsc_len, const uint8_t *tpdu, size_t len,
		     struct phone_sim_rp *rp);

/*! The SMS of the pending SEND SHORT MESSAGE went out (\a result PHONE_SIM_OK) or not. */
void phone_sim_sms_sent(struct phone_sim *sim, enum phone_sim_result result);
/*! The user answered the pending DISPLAY TEXT or GET INPUT (\a text: what was typed, NULL otherwise). */
void phone_sim_user_answer(struct phone_sim *sim, enum phone_sim_result result, const char *text);

/*! Whether a proactive command waits for the phone (an SMS to send, a user to answer, a channel to connect). */
bool phone_sim_busy(const struct phone_sim *sim);
/*! Queue the ENVELOPE \a env (its body from the D6/D7 tag, at most PHONE_BIP_ENV_MAX bytes) for the SIM; it goes
 *  at once when no TERMINAL RESPONSE is due. \returns 0; -EINVAL; -ENOSPC when PHONE_SIM_ENV_QUEUE wait */
int phone_sim_envelope(struct phone_sim *sim, const uint8_t *env, size_t len);
/*! How many ENVELOPEs (BIP events, timer expirations) wait for the SIM. */
int phone_sim_envelope_queued(const struct phone_sim *sim);
/*! The BIP channel's state, for a status line. */
void phone_sim_bip_status(const struct phone_sim *sim, struct phone_bip_status *st);

/*! Real timing on (\a real) or off, and the rate of the timing model's transport (bit/s, 0: CARD_BAUD_DEFAULT).
 *  \returns 0; -EINVAL for a rate out of 1,200..1,000,000 */
int phone_sim_set_timing(struct phone_sim *sim, bool real, unsigned baud);
/*! With real timing: how long until the SIM has done what it was given, in microseconds; 0 when it has, and
 *  always without real timing. */
uint64_t phone_sim_wait_us(const struct phone_sim *sim);

/* Pure helpers, for tests. */
/*! Decode a Text String TLV value (DCS then text: 7-bit packed, 8-bit, UCS2) into UTF-8. \returns 0; -EINVAL */
int phone_sim_text_decode(const uint8_t *v, size_t len, char *out, size_t max);
/*! One screen-log record of \a p for the phone with \a imsi into \a out (NUL-terminated, cut to \a max):
 *  IMSI TAB KIND (display or input) TAB the text as UTF-8 with backslash, newline, CR and tab escaped as \\, \n, \r,
 *  \t, then a newline. \returns its length */
size_t phone_sim_screen_record(const char *imsi, const struct phone_sim_prompt *p, char *out, size_t max);
