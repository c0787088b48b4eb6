/* The ciphers and checksums of TS 102 225 secured packets, on OpenSSL 3 (internal to lib/).
 *
 * Algorithms by the low nibble of KIc/KID: 1 DES (done as 3DES with the key three times: no legacy provider),
 * 5 two-key 3DES, 9 three-key 3DES, 2 AES (128/192/256 by key length). CBC with a zero IV and no padding of its own
 * (the packet's zero padding is the caller's). CC: DES family CBC-MAC (zero-padded to 8, last block), AES CMAC
 * (no padding), truncated to the CC length. RC: CRC32 (ISO 3309), big-endian.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTA_ALGO_DES 0x1
#define OTA_ALGO_AES 0x2
#define OTA_ALGO_3DES2 0x5
#define OTA_ALGO_3DES3 0x9
#define OTA_RC_CRC16 0x1
#define OTA_RC_CRC32 0x5

/*! Block size for a KIc algorithm, or 0 if the algorithm/key length pair is unknown. */
size_t ota_block_size(uint8_t algo, size_t key_len);

/*! Encipher or decipher \a len bytes (a block multiple) in place. \returns 0; -EINVAL */
int ota_cbc(bool encrypt, uint8_t algo, const uint8_t *key, size_t key_len, uint8_t *buf, size_t len);

/*! The cryptographic checksum of \a len bytes, \a cc_len (4 or 8) bytes into \a out. \returns 0; -EINVAL */
int ota_cc(uint8_t algo, const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t *out,
	   size_t cc_len);
