/* The ciphers and checksums of TS 102 225 secured packets, on OpenSSL 3 (internal to lib/), kept in the key set
 * (struct ota_keyset, include/simpki/ota.h) that ota_crypto.c defines.
 *
 * Algorithms by the low nibble of KIc/KID: 1 DES (done as 3DES with the key three times: no legacy provider),
 * 5 two-key 3DES, 9 three-key 3DES, 2 AES (128/192/256 by key length). CBC with a zero IV and no padding of its own
 * (the packet's zero padding is the caller's). CC: DES family CBC-MAC (zero-padded to 8, last block), AES CMAC
 * (no padding), truncated to the CC length. RC: CRC32 (ISO 3309), big-endian.
 * A key set holds, per side, the algorithm nibble it was made for and contexts keyed once: for the KIc an encrypting
 * and a decrypting CBC context (AES's key schedules differ by direction); for the KID an EVP_MAC "CMAC" context
 * (AES) or a CBC encrypting context (DES family). Each use re-initialises a context with the zero IV, or restarts
 * the MAC, keeping the key schedule.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <simpki/ota.h>

#define OTA_ALGO_DES 0x1
#define OTA_ALGO_AES 0x2
#define OTA_ALGO_3DES2 0x5
#define OTA_ALGO_3DES3 0x9
#define OTA_RC_CRC16 0x1
#define OTA_RC_CRC32 0x5

/*! The block size \a ks ciphers with, if it has a ciphering key of algorithm \a algo; else 0. */
size_t ota_ks_block(const struct ota_keyset *ks, uint8_t algo);
/*! Whether \a ks has a checksum key of algorithm \a algo. */
bool ota_ks_has_cc(const struct ota_keyset *ks, uint8_t algo);
/*! The CC length \a ks was made with (4 or 8). */
size_t ota_ks_cc_len(const struct ota_keyset *ks);

/*! Encipher or decipher \a len bytes (a block multiple) in place with the ciphering key. \returns 0; -EINVAL */
int ota_ks_cbc(struct ota_keyset *ks, bool encrypt, uint8_t *buf, size_t len);

/*! The cryptographic checksum of \a len bytes with the checksum key, \a cc_len (4 or 8) bytes into \a out.
 *  \returns 0; -EINVAL */
int ota_ks_cc(struct ota_keyset *ks, const uint8_t *in, size_t len, uint8_t *out, size_t cc_len);
