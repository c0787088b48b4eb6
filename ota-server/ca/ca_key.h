/* Keys and certificates of simpki-ca on disk or in an HSM. Private keys are loaded through OpenSSL's OSSL_STORE by
 * URI ("file:PATH" today; "pkcs11:..." with a PKCS#11 provider configured in openssl.cnf), so replacing the key file
 * by an HSM is a change of the configuration only. The CA key's passphrase comes from a file of mode 0600 or
 * stricter ('passphrase-file', --passphrase-file), else from the environment (SIMPKI_CA_PASSPHRASE); it is handed
 * to the store through a UI method, never logged, and wiped after use. */
#pragma once
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define CA_PASSPHRASE_MAX 1024
#define CA_PASSPHRASE_MIN 8
#define CA_PASSPHRASE_ENV "SIMPKI_CA_PASSPHRASE"

/*! The passphrase from \a file (its first line; the file must be a regular file that only its owner may read or
 *  write: mode 0600 or 0400), or from CA_PASSPHRASE_ENV when \a file is NULL. \returns its length (>= 0) in buf
 *  (NUL-terminated); -ENOENT (neither); -EPERM (the file's mode); -EINVAL (too long); -EIO; a message in err. */
int ca_passphrase_get(const char *file, char *buf, size_t size, char *err, size_t errlen);

/*! Overwrite CA_PASSPHRASE_ENV's value in this process's environment and remove it (after ca_passphrase_get()):
 *  nothing started from here sees it, and no copy stays in memory. */
void ca_passphrase_forget_env(void);

/*! The private key at \a uri (an OSSL_STORE URI; a path without a scheme is taken as a file), decrypted with
 *  \a pass (NULL: none). \returns 0 with *out; -ENOENT (no key there); -EACCES (cannot be decrypted / read);
 *  a message in err. */
int ca_key_load(const char *uri, const char *pass, EVP_PKEY **out, char *err, size_t errlen);

/*! The first certificate of the PEM file \a path. \returns 0 with *out; -ENOENT; -EINVAL (not a certificate). */
int ca_cert_load(const char *path, X509 **out, char *err, size_t errlen);
/*! Every certificate of the PEM file \a path, appended to \a sk. \returns how many (>= 1); -ENOENT; -EINVAL. */
int ca_certs_load(const char *path, STACK_OF(X509) * sk, char *err, size_t errlen);

/*! Write \a key to \a path (created, never overwritten, mode 0600) as PKCS#8 PEM, encrypted with AES-256-CBC
 *  under \a pass when it is not NULL. \returns 0; -EEXIST; -EIO. */
int ca_key_write(const char *path, EVP_PKEY *key, const char *pass, char *err, size_t errlen);
/*! Write PEM of \a x (a certificate, or a CSR when \a req) to \a path, created (never overwritten), mode 0644.
 *  \returns 0; -EEXIST; -EIO */
int ca_pem_write(const char *path, X509 *x, X509_REQ *req, char *err, size_t errlen);
