/* The card as simpki-tool sees it: the PKI applet with its PKCS#15 objects (pkcs15.h). Functions return 0, a
 * status word of the card, or a negative errno: -ENODATA when the card has no PKCS#15 structure (not enrolled),
 * -ENOENT for an id that is not on the card, -EEXIST for one that is, -EBADMSG for a directory file that does not
 * parse, -ENOSPC when a directory file or the key slots are full, and the reader's errors.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <simpki/pkcs15.h>
#include "pki_client.h"

struct token {
	struct pki_card card;
	bool enrolled; /* the card has an ODF (a PKCS#15 structure), with or without key directories yet */
	struct p15_odf odf;
	struct p15_object prkeys[P15_MAX_OBJECTS], pubkeys[P15_MAX_OBJECTS], certs[P15_MAX_OBJECTS];
	size_t n_prkeys, n_pubkeys, n_certs;
};

/*! Read the ODF and the PrKDF, PuKDF and CDF (all readable without the PIN). \returns 0; -ENODATA; ... */
int token_load(struct token *t);
/*! Enrol a card: personalise it (\a set_pin: set the PIN, and the PUK first unless \a puk is NULL because the card
 *  has one), verify the PIN, and write the PKCS#15 structure as OpenSC's isoApplet profile does, creating only
 *  the files that are missing, the ODF last. So a card whose enrolment was interrupted can be finished with
 *  \a set_pin false and its PIN. */
int token_init(struct token *t, const char *puk, const char *pin, bool set_pin, const char *label);

const struct p15_object *token_private_key(const struct token *t, uint8_t id);
const struct p15_object *token_public_key(const struct token *t, uint8_t id);
const struct p15_object *token_certificate(const struct token *t, uint8_t id);

/*! Generate a key pair with id \a id (the PIN must be verified): key slot, public key file, PrKDF and PuKDF. */
int token_keygen(struct token *t, uint8_t id, enum p15_keytype type, const char *label);
/*! The public key of key \a id, from its PuKDF file. *out is the caller's. */
int token_read_public_key(struct token *t, uint8_t id, EVP_PKEY **out);
/*! Store a certificate for key \a id (PIN verified) under \a label, replacing one that is there (which keeps
 *  its label). */
int token_store_certificate(struct token *t, uint8_t id, X509 *cert, const char *label);
/*! Read the certificate with id \a id. *out is the caller's. */
int token_read_certificate(struct token *t, uint8_t id, X509 **out);
/*! The card builds and signs a certificate request for key \a id (PIN verified) with \a subject (DER Name):
 *  pki_build_csr(). */
int token_build_csr(struct token *t, uint8_t id, const uint8_t *subject, size_t len, uint8_t *out, size_t *out_len);
/*! Sign a SHA-256 hash with key \a id (PIN verified): PKCS#1 v1.5 (RSA) or DER ECDSA; \a sig has 256 bytes. */
int token_sign_hash(struct token *t, uint8_t id, const uint8_t hash[32], uint8_t *sig, size_t *sig_len);
