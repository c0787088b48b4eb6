/* The audit key: a P-256 key that signs the audit trail's checkpoints (audit.h).
 *
 * The private key file is PEM (PKCS#8, "PRIVATE KEY"), mode 0600, kept apart from the database; created on first
 * start when asked (O_EXCL, 0600); a file others may read, or that holds no P-256 key, is refused. An outside
 * auditor gets the public key (PEM, "PUBLIC KEY"; in every export). The key's id is the hex SHA-256 of its DER
 * SubjectPublicKeyInfo. The private key is never written anywhere else, nor logged.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "audit_record.h"

/*! Load the private key at \a path, or create it there when it is missing and \a create. \returns 0 with *out set
 *  (EVP_PKEY_free); -ENOENT; -EPERM (others may read it); -EINVAL (not a P-256 key in PEM); -errno; \a err says
 *  which and where */
int audit_key_load(const char *path, bool create, EVP_PKEY **out, char *err, size_t errlen);

/*! Read a public key (PEM "PUBLIC KEY", or a private key's file: its public half) from \a pem (\a len bytes).
 *  \returns the key (EVP_PKEY_free); NULL when it is no P-256 key */
EVP_PKEY *audit_key_public_from_pem(const char *pem, size_t len);

/*! \a key's id (hex SHA-256 of its SubjectPublicKeyInfo) into \a id. \returns 0; -EIO */
int audit_key_id(EVP_PKEY *key, char id[AUDIT_KEY_ID_LEN + 1]);

/*! \a key's public half as PEM ("PUBLIC KEY"), NUL-terminated, into \a out. \returns its length; -E2BIG; -EIO */
int audit_key_public_pem(EVP_PKEY *key, char *out, size_t max);

/*! Sign checkpoint \a cp (its seq, at and hash) with \a key: cp->sig, cp->sig_len, cp->key_id. \returns 0; -EIO */
int audit_key_sign(EVP_PKEY *key, struct audit_checkpoint *cp);

/*! Whether \a cp's signature verifies with \a pub (its key_id is not looked at). \returns 1 yes; 0 no */
int audit_key_verify(EVP_PKEY *pub, const struct audit_checkpoint *cp);
