/* simpki-otad's OTA jobs: an APDU script to one card through a TAR, secured with the card's key set, sent over
 * the SMSC, ended by its proof of receipt. One osmo_fsm per job that is not over (otad_job.c has the state
 * table); every state change is stored first (otad_db.h, jobs and job_events), so a restart resumes each job
 * where it was and ends it exactly once:
 *
 *   queued     build the packet with a new counter (committed before use), split it into SMS, submit them
 *   submitted  the SMS are with the SMSC link; the PoR is due at the deadline
 *   delivered  the SMSC accepted every part
 *   retrying   the deadline passed without a PoR, or the SMSC refused the SMS: sent again (a new counter) shortly,
 *              while tries remain
 *   por-ok / por-error   a PoR whose checksum verifies with the job's keys, for its TAR and counter (final)
 *   timed-out  no PoR after the last try (final);  failed: refused by the SMSC at the last try, or the packet
 *              cannot be built (final)
 *
 * PoRs arrive as deliver_sm from the card's MSISDN (concatenated ones are joined first). A PoR that matches no
 * waiting job (unknown TAR or counter), or whose checksum does not verify, is logged and counted and ends nothing.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otad_db.h"

struct otad_job_cfg {
	uint32_t timeout_s; /* per try (default 60) */
	uint32_t retries;   /* tries after the first (default 2) */
	uint8_t spi[2];	    /* default 16 39: CC, ciphered, counter higher; PoR with CC, ciphered, by SMS-SUBMIT */
	uint8_t kvn;	    /* the key set used (default 1) */
};

extern struct otad_job_cfg otad_job_cfg;

/*! Create a job for card \a iccid: \a script is a compact remote APDU script (TS 102 226), \a len bytes.
 *  \returns 0 with *id set; -ENOENT (no such card, or it has no key set kvn); -EINVAL (\a err says why); -EIO */
int otad_job_create(const char *iccid, const uint8_t tar[3], const uint8_t *script, size_t len, int64_t *id, char *err,
		    size_t errlen);
/*! Resume every job that is not over (at start). \returns how many; -EIO */
int otad_job_resume_all(void);
/*! Jobs in memory (not over). */
unsigned otad_job_active(void);

/* From the SMSC binds (otad_smsc.c). */
void otad_job_submit_done(void *job, uint32_t status, const char *message_id);
void otad_job_rx_sms(const char *msisdn, uint8_t esm_class, const uint8_t *ud, size_t len);
