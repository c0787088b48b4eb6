/* The over-the-air scripts a provisioning campaign adds before a certificate enrolment (enrol_script.h), and what
 * their PoRs say: expanded remote APDU scripts (TS 102 226) to the PKI applet's TAR, built and read without I/O.
 * The card's objects are PKCS#15 in OpenSC's isoApplet layout, as simpki-tool writes them at the counter.
 *
 *   check        SELECT, in the order personalise creates them, DF.PKCS15 5015 and its files (AODF 4401, PrKDF 4402,
 *                PuKDF 4403, CDF 4404, TokenInfo 5032, OpenSC info 4946), EF.DIR 2F00 and the ODF 5031 (last: with
 *                it the card counts as enrolled), then the enrolment's read script (PrKDF and CDF, 256 bytes each).
 *                Only reads; the script stops at the first file missing, so the count of answers says how many of
 *                the structure's files are there.
 *   personalise  CREATE each file of the structure from the first one missing, with its content (SELECT of the
 *                parent DF before each CREATE). Never touches the PIN or the PUK: the SIM keeps the transport PIN
 *                its vendor set until the holder changes it. Writes: sent at most once; an unknown outcome is
 *                resolved by the next check (the files there are not created again).
 *   keygen       MANAGE SECURITY ENVIRONMENT for key generation in the free slot, GENERATE ASYMMETRIC KEY PAIR
 *                (P-256 or RSA-2048, extended Le: the public key comes back in one answer), SELECT PrKDF, UPDATE
 *                BINARY the key's PrKDF entry after the entries there. Writes: sent at most once; an unknown
 *                outcome is resolved by reading the PrKDF (check), never by generating again blindly.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enrol_script.h"

#define CAMPAIGN_P15_FILES 9 /* DF 5015 and the eight files of the structure */

enum campaign_alg {
	CAMPAIGN_ALG_P256,
	CAMPAIGN_ALG_RSA2048,
};

/* What the check script found. */
struct campaign_view {
	unsigned files;	      /* how many of the structure's files are there (CAMPAIGN_P15_FILES: all) */
	bool has_key;	      /* the PrKDF lists a private key with the iD asked for */
	struct enrol_view ev; /* with all files there: the PrKDF and CDF as the enrolment reads them */
};

/*! The check script. \returns its length; -E2BIG */
int campaign_script_check(uint8_t *out, size_t max);
/*! Read the check script's response for the key with the one-byte iD \a key_id. \returns 0 with *v filled;
 *  -EBADMSG (not a response to that script, a directory file that does not parse or holds more than one read:
 *  \a why says what) */
int campaign_check_parse(const uint8_t *rsp, size_t len, uint8_t key_id, struct campaign_view *v, char *why,
			 size_t whylen);

/*! The personalise script: the structure's files from the \a from-th (0..CAMPAIGN_P15_FILES-1) on, with the token
 *  label \a label and the serial number \a serial (8 bytes). \returns its length; -E2BIG; -EINVAL */
int campaign_script_personalise(unsigned from, const char *label, const uint8_t serial[8], uint8_t *out, size_t max);
/*! Whether every command of the personalise script from \a from ran with 9000. \returns 0; -EIO with \a why */
int campaign_personalise_parse(const uint8_t *rsp, size_t len, unsigned from, char *why, size_t whylen);

/*! The keygen script: a key of \a alg in slot \a key_ref with PKCS#15 iD \a key_id and \a label, its PrKDF entry
 *  written at offset \a prkdf_used. \returns its length; -E2BIG; -EINVAL */
int campaign_script_keygen(enum campaign_alg alg, uint8_t key_ref, uint8_t key_id, const char *label,
			   uint32_t prkdf_used, uint8_t *out, size_t max);
/*! Whether the key was generated and listed. \returns 0; -ENOSPC (the SIM has no room for it: 6A84); -EIO (another
 *  refusal: \a why has the command and its status word) */
int campaign_keygen_parse(const uint8_t *rsp, size_t len, char *why, size_t whylen);
