/* Provisioning campaigns: many SIMs get keys and certificates over the air, resumable, with progress. One osmo_fsm
 * per card being worked on (only those: a campaign of 100,000 cards keeps its waiting cards in the database, not
 * in memory); the state table in campaign.c is this spec, and each state is stored (otad_db.h, campaign_cards)
 * before the step it names sends anything, so a restart continues every card from its stored step.
 *
 *   state        its step                                          may go to
 *   waiting      not started; started in order while fewer than    check, cancelled
 *                the campaign's concurrency are in a step
 *   check        an OTA job (reads only): the PKCS#15 structure,   personalise, keygen, enrol, check (next key),
 *                the PrKDF and CDF (campaign_script.h)            active, skipped, backoff, failed, cancelled
 *   personalise  an OTA job (writes, at most once): the files of    check, backoff, failed, cancelled
 *                the structure that are missing; the PIN is never
 *                touched (the SIM keeps its transport PIN)
 *   keygen       an OTA job (writes, at most once): a key pair on   enrol, check (outcome unknown), backoff,
 *                the SIM in a free slot and its PrKDF entry         failed, cancelled
 *   enrol        the key's certificate (enrol.h: the SIM's         check (next key), active, failed, cancelled
 *                request, CMP, load, read back), one enrolment
 *                per card and key in a campaign, taken up again
 *                when it failed, never a second one
 *   backoff      a temporary failure (no PoR, the SMSC refused):    check, failed, cancelled
 *                check again after a wait (doubling, bounded),
 *                at most retries times
 *   active, skipped, failed, cancelled: over.
 *
 * Never twice: a keygen whose outcome is unknown goes to check, which reads the SIM's PrKDF: a key listed there is
 * taken as generated, never generated again; a personalise whose outcome is unknown likewise (files there are not
 * created again). A key with a certificate listed in the CDF is never enrolled again (skipped when the campaign did
 * not put it there). A certificate issued and not loaded is loaded again (enrol.h), never asked for again; the
 * enrolment's CMP transactionID makes a repeated request return the same certificate.
 * Pause: no card starts, and each card stops before its next step (stored, nothing sent); resume sends it.
 * Cancel: cards waiting or in backoff end cancelled at once; a card in a step ends cancelled when the step's job
 * is over (an enrolment under way is finished: its certificate may be issued already).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otad_db.h"

struct otad_campaign_cfg {
	unsigned concurrency;		/* cards in a step at once, when a campaign does not say (default 50) */
	unsigned retries;		/* temporary failures per card before it fails (default 8) */
	unsigned backoff_min_s;		/* the first wait (default 15), doubling ... */
	unsigned backoff_max_s;		/* ... up to this (default 600) */
	unsigned timeout_check_s;	/* a try's PoR time of the check job (default 60) */
	unsigned timeout_personalise_s; /* the personalise job (default 60) */
	unsigned timeout_keygen_p256_s; /* the keygen job of a P-256 key (default 60) */
	unsigned timeout_keygen_rsa_s;	/* of an RSA-2048 key: real SIMs take 5 to 20 s to generate it (default 120) */
	char label[33];			/* the token label personalise writes (default "simpki") */
};
extern struct otad_campaign_cfg otad_campaign_cfg;

/*! Start the module (after the enrolment module: it chains the job and enrolment hooks). */
void otad_campaign_init(void);
/*! Make campaign \a c (name, keys, personalise, concurrency; state running) over the cards \a sel selects and start
 *  it. \returns 0 with c->id; -EINVAL (a bad name, key or concurrency); -ENOENT; -ENODATA; -EIO; \a err says why */
int otad_campaign_create(struct otad_campaign *c, const struct otad_campaign_select *sel, char *err, size_t errlen);
/*! Pause, resume or cancel campaign \a id. \returns 0; -ENOENT; -EALREADY (it is over: done or cancelled); -EIO */
int otad_campaign_pause(int64_t id);
int otad_campaign_resume(int64_t id);
int otad_campaign_cancel(int64_t id);
/*! Continue every campaign running or paused, and end the cards of a cancelled one still in a step (after
 *  otad_enrol_resume_all()). \returns the cards in a step; -EIO */
int otad_campaign_resume_all(void);
/*! Free everything in memory, leaving each card as stored. */
void otad_campaign_stop_all(void);

/* What GET /v1/campaigns/{id} and the VTY show. */
struct otad_campaign_progress {
	int64_t n[OTAD_CCARD_N_STATES];	    /* cards per state */
	int64_t enrol[OTAD_ENROL_N_STATES]; /* of those in enrol, per enrolment step */
	int64_t done;			    /* active + skipped + failed + cancelled */
	double per_minute;		    /* cards over per minute, over the last minutes (0: none yet) */
	int64_t eta_s;			    /* seconds left at that rate; -1: unknown */
};
/*! \returns 0; -EIO */
int otad_campaign_progress(const struct otad_campaign *c, struct otad_campaign_progress *p);

/* For tests: the FSM. */
extern struct osmo_fsm otad_ccard_fsm;
