/* The over-the-air scripts of a certificate enrolment and what their PoRs say: expanded remote APDU scripts
 * (TS 102 226) to the PKI applet's TAR, built and read here without I/O, so the enrolment FSM (enrol.h) only
 * chains jobs. The card's objects are PKCS#15 in OpenSC's isoApplet layout (<simpki/pkcs15.h>), as simpki-tool
 * writes them at the counter, so both tools and OpenSC find what the other wrote.
 *
 * The scripts go to the applet's TAR, so the card OS hands them to the applet: no SELECT of the applet.
 *   read    SELECT PrKDF 4402, READ BINARY 256; SELECT CDF 4404, READ BINARY 256. Only
 *           reads: it may be sent again. The key is named by its PKCS#15 iD (one byte, as simpki-tool's --id and
 *           OpenSC show it); the PrKDF gives its key reference on the card.
 *   csr     BUILD CERTIFICATE REQUEST for the key reference (the SIM signs a PKCS#10 request of
 *           its own public key and the subject it is given; extended Le, one answer). Changes nothing.
 *   load    SELECT DF 5015; CREATE FILE (the certificate's FID, its exact size, access as
 *           simpki-tool's objects: write under the PIN or the issuer's authority); UPDATE BINARY in pieces of
 *           ENROL_CHUNK; SELECT CDF; UPDATE BINARY the new CDF entry right after the entries there. Writes: sent at
 *           most once.
 *   verify  SELECT the certificate's FID; READ BINARY in pieces of 256. Only reads.
 * The first 256 bytes of each directory file are read: a card whose PrKDF or CDF holds more (no zero padding in
 * them) is refused (-EFBIG), never appended to at a guessed offset.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <simpki/pkcs15.h>

#define ENROL_CHUNK 240	      /* bytes per UPDATE BINARY of the certificate */
#define ENROL_CERT_MAX 1800   /* a certificate's DER, at most (the load script must fit one job) */
#define ENROL_SUBJECT_MAX 512 /* the subject's DER Name, at most */
#define ENROL_SCRIPT_MAX 2048 /* == OTAD_JOB_SCRIPT_MAX */

/* What the read script found on the card. */
struct enrol_view {
	struct p15_object key; /* the PrKDF entry with the iD asked for (key.key_ref: its slot) */
	uint32_t cdf_used;     /* bytes of entries at the start of the CDF: the new entry goes there */
	uint16_t cert_fid;     /* the lowest FID from P15_FID_CERT_FIRST no CDF entry uses */
	bool key_certified;    /* the CDF already has a certificate with the key's iD */
	uint32_t prkdf_used;   /* bytes of entries at the start of the PrKDF: a new key's entry goes there */
	int free_key_ref;      /* the lowest key slot (0..15) no PrKDF entry uses; -1: none */
};
struct rapdu_result;

/*! The read script. \returns its length; -E2BIG */
int enrol_script_read(uint8_t *out, size_t max);
/*! Read the read script's response for the key with the one-byte iD \a key_id. \returns 0 with *v filled;
 *  -EBADMSG (not a response to that script: \a why says what); -ENOENT (no such key in the PrKDF); -EFBIG (a
 *  directory file holds more than one read); -ENOSPC (no free FID) */
int enrol_read_parse(const uint8_t *rsp, size_t len, uint8_t key_id, struct enrol_view *v, char *why, size_t whylen);

/*! The same for the read script's R-APDUs \a r (\a n of them), as rapdu_expanded_results() gives them: for a
 *  script that ends with the read script's commands. With -ENOENT, v->prkdf_used, v->free_key_ref, v->cdf_used and
 *  v->cert_fid are set (where a key generated next and its certificate go). */
int enrol_read_results(const struct rapdu_result *r, size_t n, uint8_t key_id, struct enrol_view *v, char *why,
		       size_t whylen);

/*! The csr script for key reference \a key_ref and the DER Name \a subject. \returns its length; -E2BIG; -EINVAL */
int enrol_script_csr(uint8_t key_ref, const uint8_t *subject, size_t subject_len, uint8_t *out, size_t max);
/*! The request in the csr script's response. \returns 0 with *csr pointing into \a rsp; -EPERM (the SIM refused:
 *  \a why has its status word; 6985: the key has a certificate on the card); -EBADMSG */
int enrol_csr_parse(const uint8_t *rsp, size_t len, const uint8_t **csr, size_t *csr_len, char *why, size_t whylen);

/*! The load script: certificate \a der into a new file \a fid, and a CDF entry (iD of \a key, \a label) written at
 *  offset \a cdf_used. \returns its length; -E2BIG (too long for one job); -EINVAL */
int enrol_script_load(const struct p15_object *key, uint16_t fid, uint32_t cdf_used, const char *label,
		      const uint8_t *der, size_t len, uint8_t *out, size_t max);
/*! How many commands the load script of a certificate of \a cert_len bytes has. */
size_t enrol_load_commands(size_t cert_len);
/*! Whether the load script's response says every command of it ran with 9000. \returns 0; -EIO with \a why */
int enrol_load_parse(const uint8_t *rsp, size_t len, size_t cert_len, char *why, size_t whylen);

/*! The verify script: read \a len bytes of file \a fid. \returns its length; -E2BIG; -EINVAL */
int enrol_script_verify(uint16_t fid, size_t len, uint8_t *out, size_t max);
/*! Whether the file read back equals \a der. \returns 0 (equal); -ENOENT (no such file); -EBADMSG (it differs,
 *  or the response is malformed: \a why) */
int enrol_verify_parse(const uint8_t *rsp, size_t len, const uint8_t *der, size_t der_len, char *why, size_t whylen);
