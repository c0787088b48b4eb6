/* Certificate enrolment over the air: one certificate for one key a SIM holds, end to end. One osmo_fsm per
 * enrolment; the state table in enrol.c is this spec, and each state is stored (otad_db.h, enrolments) before the
 * step it names starts, so a restart resumes every enrolment at its stored step.
 *
 *   state   its step                                          events          may go to
 *   read    an OTA job (reads only: it may be sent again):     JOB_DONE        csr, failed
 *           the key's PKCS#15 entry (its slot), the CDF
 *           (enrol_script.h)
 *   csr     an OTA job (changes nothing): the SIM builds and   JOB_DONE        cmp, failed
 *           signs its own PKCS#10 request for the key and the
 *           holder's subject
 *   cmp     the request to the CA: CMP p10cr through the RA   CMP_DONE        load, failed
 *           (ra_cmp.h), with the profile
 *   load    an OTA job (writes: sent at most once): the       JOB_DONE        verify, failed
 *           certificate file and its CDF entry
 *   verify  an OTA job (reads): the certificate read back     JOB_DONE        done, load, failed
 *   done    over: the SIM holds the certificate, equal to the one issued
 *   failed  over: the reason is stored in words
 *
 * Temporary failures are tried again in the same step after a wait (otad_enrol_cfg: backoff_min_s, doubling up to
 * backoff_max_s), at most retries times, then the enrolment fails saying so: a read, csr or verify job that got no
 * PoR (the phone is off or away) or that the SMSC refused; a load job the SMSC refused (nothing of it ran); a CA that
 * could not be reached (asked again with the same CMP transactionID, made once before the first request and stored:
 * a CA that issued the certificate and whose answer was lost answers the repeat with the same certificate).
 * A load job whose outcome is unknown (no PoR in time) goes to verify: the read-back says whether the certificate
 * is on the SIM; when its file is not there, the load is made again (the certificate is loaded again, never issued
 * again). A csr job that ends in a refusal of the request command (the key has a certificate on the card
 * already, 6985) fails with that reason; the SIM never signs a request for a certified key over the air.
 * Restart: read, csr, load and verify look at their job's stored state (a job that ended while the daemon was down is
 * taken as it ended); cmp asks the CA again (RFC 4210's certConf: a certificate the RA never confirmed is one the
 * CA may drop).
 */
#pragma once
#include <stdint.h>

#include "otad_db.h"

struct ra_cmp;

/* The applet's TAR (its manifest's default, 504B49) and the label of the certificate objects written. */
struct otad_enrol_cfg {
	uint8_t tar[3];
	char organisation[65];		       /* O of the subjects (the programme's organisation), "" for none */
	unsigned retries;		       /* tries again after temporary failures, per step (default 6) */
	unsigned backoff_min_s, backoff_max_s; /* the first wait before a try again, the longest (10, 300) */
};
extern struct otad_enrol_cfg otad_enrol_cfg;

/* What a subject is built from (UTF-8 strings; NULL or "" leaves the attribute out). */
struct enrol_subject {
	const char *cn;		   /* the holder's full name */
	const char *serial_number; /* the holder's identity number */
	const char *o, *ou, *st;   /* organisation, organisational unit, province */
	const char *c;		   /* country, two letters */
};
/*! The DER Name of \a s: C, ST, O, OU, CN, serialNumber, as UTF8String (C and serialNumber PrintableString).
 *  \returns its length; -EINVAL (no CN, a value OpenSSL refuses); -E2BIG */
int enrol_subject_der(const struct enrol_subject *s, uint8_t *out, size_t max);

/*! The subject of \a card's holder (CN the name, serialNumber the identity number, OU the ward, ST the province,
 *  O otad_enrol_cfg.organisation, C VN) into \a der. \returns its length; -ENODATA (the card has no holder); -EIO;
 *  -EINVAL, -E2BIG (\a err says why) */
struct otad_card;
int otad_enrol_holder_subject(const struct otad_card *card, uint8_t *der, size_t max, char *err, size_t errlen);

/*! Make the module run: \a ra is the CA's client (may be NULL: enrolments then fail in cmp, saying so). */
void otad_enrol_init(struct ra_cmp *ra);
/*! Start an enrolment of the key with PKCS#15 iD \a key_id (1..255) of card \a iccid under \a profile with subject \a subject (DER Name) for
 *  holder \a holder (may be ""). \returns 0 with *id; -ENOENT (no card), -EINVAL (a bad key id, profile or
 *  subject), -EBUSY (an enrolment of that key is under way), -ESTALE, -EIO, as
 *  otad_job_create(); \a err says why */
int otad_enrol_start(const char *iccid, uint8_t key_id, const char *profile, const char *holder, const uint8_t *subject,
		     size_t subject_len, int64_t *id, char *err, size_t errlen);
/*! The same for campaign \a campaign (stored with the enrolment; 0: none). \a known: what the campaign's check
 *  read of the card (the key's slot and iD, the CDF's end, a free certificate FID), so the enrolment starts at csr
 *  without reading it again; NULL: it starts at read. */
struct enrol_view;
int otad_enrol_start_for(int64_t campaign, const char *iccid, uint8_t key_id, const char *profile, const char *holder,
			 const uint8_t *subject, size_t subject_len, const struct enrol_view *known, int64_t *id,
			 char *err, size_t errlen);
/*! Take up failed enrolment \a id again where it stopped: with its certificate issued, at verify (then load if it is
 *  not on the SIM); with the SIM's request, at cmp (the same transactionID); otherwise at read. \returns 0; -ENOENT;
 *  -EBUSY (it is not failed); -EIO */
int otad_enrol_retry(int64_t id, char *err, size_t errlen);
/*! Called when an enrolment is over (done or failed), after it is stored. NULL: nobody. */
extern void (*otad_enrol_end_cb)(const struct otad_enrol_row *row);
/*! Resume every enrolment not over (after otad_job_resume_all()). \returns how many; -EIO */
int otad_enrol_resume_all(void);
/*! Enrolments in memory. */
unsigned otad_enrol_active(void);
/*! Free every enrolment in memory, leaving each as stored. */
void otad_enrol_stop_all(void);

/* For tests: the FSM. */
extern struct osmo_fsm otad_enrol_fsm;
