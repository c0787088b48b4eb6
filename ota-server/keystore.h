/* simpki-otad's master key and the sealing of OTA keys at rest.
 *
 * The master key file: 64 hex digits (32 bytes) and a newline, mode 0600, kept outside the database (back it up
 * apart from it: one without the other is useless). Created on first start when asked (O_EXCL, 0600, from the
 * system's random source); a key file that others may read, or that is not 64 hex digits, is refused.
 * A sealed value: nonce (12 random bytes) | AES-256-GCM ciphertext (as long as the plain text) | tag (16 bytes),
 * with additional authenticated data naming what it is (e.g. "keyset 8984...5/1"), so that a sealed value moved
 * to another row does not open. Plain texts are wiped by their users after use.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYSTORE_KEY_LEN 32
#define KEYSTORE_OVERHEAD 28 /* nonce + tag */

/*! Read the master key from \a path, or create it when it does not exist and \a create. \returns 0; -ENOENT;
 *  -EPERM (others may read it); -EINVAL (not 64 hex digits); -errno; \a err says which and where */
int keystore_load(const char *path, bool create, uint8_t mk[KEYSTORE_KEY_LEN], char *err, size_t errlen);

/*! Seal \a pt into \a out (len + KEYSTORE_OVERHEAD bytes). \returns the sealed length; -E2BIG; -EIO */
int keystore_seal(const uint8_t mk[KEYSTORE_KEY_LEN], const char *aad, const uint8_t *pt, size_t len, uint8_t *out,
		  size_t max);

/*! Open a sealed value. \returns the plain text's length; -EBADMSG (wrong key, AAD, or altered); -E2BIG */
int keystore_unseal(const uint8_t mk[KEYSTORE_KEY_LEN], const char *aad, const uint8_t *in, size_t len, uint8_t *pt,
		    size_t max);
