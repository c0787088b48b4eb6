/* simpki-otad's SMPP v3.4 ESME toward one SMSC (osmo-msc's, or an operator's), on libsmpp34 for the PDUs and
 * libosmocore's select loop for the socket. An osmo_fsm per bind (smpp_esme.c has the state table):
 *
 *   DISCONNECTED  --connect (after the back-off)-->  CONNECTING  --TCP up-->  BINDING (bind_transceiver sent)
 *   BINDING  --bind_transceiver_resp OK-->  BOUND;  refused or 10 s  -->  DISCONNECTED (back-off)
 *   BOUND: submit_sm from the queue while fewer than `window` wait for their answer, the rate allows and the
 *          socket's write queue has room beyond what it keeps for answers (a deliver_sm_resp always fits);
 *          enquire_link every 30 s (no answer in 10 s: the link is dead); deliver_sm answered and handed up
 *   any state: the socket closes or breaks  -->  DISCONNECTED, reconnect after 1, 2, 4 ... 30 s
 *
 * A submit_sm answered with a temporary error (ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR...), or not answered
 * within resp_timeout_s (its window slot is free again, so the window cannot fill up with lost answers), goes back
 * to the queue after a back-off; submits in flight when the link breaks go back too (the SMSC may have taken them: the
 * job layer's counters make a duplicate harmless, the SIM refuses a replay). Every other result goes up through
 * ops->submit_done.
 *
 * A forward submit (esm_class message mode 2, transaction mode) is not stored by the SMSC: it pages the phone and
 * answers only after the delivery attempt (OK: the phone took it; an error: it did not and never will). Since the
 * answer may come after resp_timeout_s, a forward submit unanswered that long leaves the window (its slot is free)
 * but is not sent again while the link lasts; its answer, should it come, still goes up, until the job cancels it.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/rate_ctr.h>

struct smpp_esme_cfg {
	char *name;
	char *host;
	uint16_t port;
	char *system_id;	 /* at most 15 characters */
	char *password;		 /* at most 8 */
	char *source;		 /* source_addr of submits: the number SIMs send their PoRs to (default 4242) */
	unsigned window;	 /* submit_sm awaiting their resp at once (default 10) */
	unsigned rate;		 /* submit_sm per second at most (0: no limit) */
	unsigned resp_timeout_s; /* unanswered this long, a submit_sm frees its slot and is sent again (default 10) */
	struct rate_ctr_group *ctrs; /* otad.h's counters (submitted, retries, SMPP reconnects), or NULL */
};

struct smpp_esme_ops {
	/*! The SMSC's final answer to a submit: status 0 (with its message id) or a permanent error. */
	void (*submit_done)(void *priv, uint32_t status, const char *message_id);
	/*! A deliver_sm (an MO SMS: a PoR), already acknowledged. */
	void (*deliver)(void *data, const char *source, const char *dest, uint8_t esm_class, uint8_t pid, uint8_t dcs,
			const uint8_t *sm, size_t len);
	/*! The bind came up or went down. */
	void (*link)(void *data, bool bound);
};

struct smpp_esme;

struct smpp_esme *smpp_esme_alloc(void *ctx, const struct smpp_esme_cfg *cfg, const struct smpp_esme_ops *ops,
				  void *data);
/*! Start connecting. */
void smpp_esme_start(struct smpp_esme *e);
/*! Queue an SMS for \a dest (an MSISDN: TON 1, NPI 1), esm_class 0x40, PID 0x7F, DCS 0xF6 (a secured packet's
 *  user data, UDH included), valid for \a validity_s seconds in the SMSC (relative validity period; 0: the
 *  SMSC's default); with \a forward, esm_class 0x42 (forward mode: never stored, so no validity period).
 *  \a priv comes back in ops->submit_done. \returns 0; -E2BIG */
int smpp_esme_submit(struct smpp_esme *e, const char *dest, const uint8_t *ud, size_t len, uint32_t validity_s,
		     bool forward, void *priv);
/*! The SMSC's final answer to a text submit (status 0 with its message id, or a permanent error). */
typedef void (*smpp_esme_text_done_cb)(void *priv, uint32_t status, const char *message_id);
/*! Queue a text SMS for the handset (simpki/sms_text.h: \a ud is one part's short_message): esm_class 0x40 with
 *  \a udhi (a concatenation UDH) else 0x00, PID 0x00, data_coding \a dcs (00 GSM 7-bit unpacked, 08 UCS2), valid
 *  for \a validity_s seconds. Its answer goes to \a done (not ops->submit_done) with \a priv (not NULL); a temporary
 *  error sends it again as any submit. Its bytes are wiped once it is sent or dropped. \returns 0; -E2BIG; -ENOMEM */
int smpp_esme_submit_text(struct smpp_esme *e, const char *dest, uint8_t dcs, bool udhi, const uint8_t *ud, size_t len,
			  uint32_t validity_s, smpp_esme_text_done_cb done, void *priv);
/*! Forget every queued or in-flight submit of \a priv (its job ended). \a e may be NULL. */
void smpp_esme_cancel(struct smpp_esme *e, void *priv);
/*! Whether no submit of \a priv ever left for the SMSC (all still queued here, never sent). \a e may be NULL. */
bool smpp_esme_untouched(const struct smpp_esme *e, const void *priv);
bool smpp_esme_bound(const struct smpp_esme *e);
/*! Window slots neither in flight nor claimed by the queue: how much more this bind can take now. */
unsigned smpp_esme_free_window(const struct smpp_esme *e);
/*! Queued, in flight. */
void smpp_esme_stats(const struct smpp_esme *e, unsigned *queued, unsigned *in_flight);
const char *smpp_esme_state_name(const struct smpp_esme *e);
