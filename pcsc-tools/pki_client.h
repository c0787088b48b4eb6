/* The host side of the PKI applet's APDU interface (docs/applet.md), for simpki-tool. Every function returns 0,
 * a status word of the card (>= 0x6000) for a refusal the caller explains to people, or a negative errno for a
 * reader problem (reader.h). Response data over 256 bytes is fetched with GET RESPONSE, command data over 255
 * bytes is sent as a chain, both here.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "reader.h"

#define PKI_DATA_MAX 8192	 /* largest response this client accepts (a certificate file is read in pieces) */
#define PKI_CSR_SUBJECT_MAX 1024 /* largest subject BUILD CERTIFICATE REQUEST takes */

struct pki_card {
	const struct reader_ops *ops;
	struct reader *r;
	uint8_t version[3]; /* the SELECT answer: API major, minor, features */
};

enum pki_keytype {
	PKI_KEY_RSA2048 = 1,
	PKI_KEY_P256 = 2,
};

/*! Connect to the reader (NULL: the first with a card) and select the PKI applet.
 *  \returns 0; -ENOENT if the card has no PKI applet; a reader error */
int pki_card_open(const struct reader_ops *ops, const char *reader, struct pki_card *c);
void pki_card_close(struct pki_card *c);

/*! One command with automatic GET RESPONSE; data over 255 bytes is chained when \a chain is set.
 *  \a out (room for PKI_DATA_MAX) and \a out_len may be NULL. \returns the final SW; a negative errno */
int pki_cmd(struct pki_card *c, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t len, bool chain,
	    uint8_t *out, size_t *out_len);

/*! VERIFY without data: \returns 0 and sets *tries (-1 when the card has no PIN yet, i.e. not personalised) */
int pki_pin_tries(struct pki_card *c, int *tries);
/*! The PUK's tries left: *tries = -1 when the card has no PUK. */
int pki_puk_tries(struct pki_card *c, int *tries);
/*! VERIFY with the PIN (padded here). \returns 0, or SW 63Cx (x tries left; 63C0 blocked) and others */
int pki_verify(struct pki_card *c, const char *pin);

/*! Personalise: the PUK (padded to 16 bytes), then the PIN. */
int pki_set_puk_and_pin(struct pki_card *c, const char *puk, const char *pin);
int pki_change_pin(struct pki_card *c, const char *old_pin, const char *new_pin);
int pki_unblock_pin(struct pki_card *c, const char *puk, const char *new_pin);

/*! SELECT a file by its path from the MF (FIDs without 3F00). Sets *size from the FCI's tag 81 (0 for a DF). */
int pki_select_path(struct pki_card *c, const uint8_t *path, size_t len, uint32_t *size);
/*! Read the whole current EF (its size from the FCI) into \a buf. */
int pki_read_current(struct pki_card *c, uint32_t size, uint8_t *buf, size_t max);
/*! Write \a len bytes at \a offset of the current EF, in 255-byte pieces. */
int pki_update_current(struct pki_card *c, uint32_t offset, const uint8_t *data, size_t len);
/*! CREATE FILE under the current DF (which stays current afterwards for an EF: the new EF is selected).
 *  \a df: a DF; \a acl: the 8 security attribute bytes of tag 86. */
int pki_create(struct pki_card *c, uint16_t fid, uint16_t size, bool df, const uint8_t acl[8]);
int pki_delete(struct pki_card *c, uint16_t fid);

/*! Generate a key pair in key reference \a ref; *pub gets the public key (the caller frees it). */
int pki_generate(struct pki_card *c, uint8_t ref, enum pki_keytype type, EVP_PKEY **pub);
/*! Sign a SHA-256 hash with key reference \a ref: RSA PKCS#1 v1.5 over its DigestInfo, or ECDSA (DER).
 *  \a sig needs 256 bytes. */
int pki_sign_sha256(struct pki_card *c, uint8_t ref, enum pki_keytype type, const uint8_t hash[32], uint8_t *sig,
		    size_t *sig_len);
/*! BUILD CERTIFICATE REQUEST (simpki): the card builds and signs a PKCS#10 request for key reference \a ref with
 *  \a subject (a DER Name, 2..PKI_CSR_SUBJECT_MAX bytes; chained when over 255). \a out has room for PKI_DATA_MAX;
 *  *out_len is the DER CertificationRequest's length. \returns 0; SW 6D00 from a card without the command */
int pki_build_csr(struct pki_card *c, uint8_t ref, const uint8_t *subject, size_t len, uint8_t *out, size_t *out_len);
/*! Random bytes from the card (GET CHALLENGE), at most 256. */
int pki_random(struct pki_card *c, uint8_t *buf, size_t len);
