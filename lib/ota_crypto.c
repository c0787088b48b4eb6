/* Ciphers and checksums of secured packets, and the key sets that hold them keyed; see ota_crypto.h. */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ota_crypto.h"

#define OTA_CRYPTO_MAX_INPUT 8192
#define CBC_MAC_CHUNK 256 /* CBC-MAC input enciphered per step (a multiple of 8) */

static const uint8_t zero_iv[16];

struct ota_keyset {
	uint8_t kic_algo;	   /* the KIc algorithm nibble the ciphering key is for; 0: no ciphering key */
	uint8_t kid_algo;	   /* the KID algorithm nibble the checksum key is for; 0: no checksum key */
	uint8_t cc_len;		   /* 4 or 8 */
	size_t block;		   /* the cipher's block size */
	EVP_CIPHER_CTX *enc, *dec; /* CBC keyed with the KIc, no padding; one per direction */
	EVP_MAC_CTX *cmac;	   /* AES KID: CMAC keyed with the KID */
	EVP_CIPHER_CTX *cbcmac;	   /* DES family KID: CBC encryption keyed with the KID, no padding */
};

/* Block size for an algorithm nibble and key length, or 0 if the pair is unknown. */
static size_t ota_block_size(uint8_t algo, size_t key_len)
{
	switch (algo) {
	case OTA_ALGO_DES:
		return key_len == 8 ? 8 : 0;
	case OTA_ALGO_3DES2:
		return key_len == 16 ? 8 : 0;
	case OTA_ALGO_3DES3:
		return key_len == 24 ? 8 : 0;
	case OTA_ALGO_AES:
		return key_len == 16 || key_len == 24 || key_len == 32 ? 16 : 0;
	default:
		return 0;
	}
}

/* The OpenSSL cipher, and the key as it wants it (single DES becomes K|K|K for 3DES-EDE3). */
static const EVP_CIPHER *cipher_for(uint8_t algo, const uint8_t *key, size_t key_len, uint8_t *k)
{
	if (algo == OTA_ALGO_DES) {
		for (int i = 0; i < 3; i++)
			memcpy(k + 8 * i, key, 8);
		return EVP_des_ede3_cbc();
	}
	memcpy(k, key, key_len);
	if (algo == OTA_ALGO_3DES2)
		return EVP_des_ede_cbc();
	if (algo == OTA_ALGO_3DES3)
		return EVP_des_ede3_cbc();
	return key_len == 16 ? EVP_aes_128_cbc() : key_len == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
}

/* A CBC context keyed with \a key (its algorithm and length checked by the caller), without padding. \returns 0;
 * -ENOMEM; -EINVAL (OpenSSL refuses the key or does not provide the cipher) */
static int keyed_cbc(uint8_t algo, const uint8_t *key, size_t key_len, int enc, EVP_CIPHER_CTX **out)
{
	uint8_t k[32];
	const EVP_CIPHER *c = cipher_for(algo, key, key_len, k);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int rc = -EINVAL;

	if (!ctx)
		rc = -ENOMEM;
	else if (EVP_CipherInit_ex2(ctx, c, k, zero_iv, enc, NULL) == 1 && EVP_CIPHER_CTX_set_padding(ctx, 0) == 1)
		rc = 0;
	OPENSSL_cleanse(k, sizeof(k));
	if (rc) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	*out = ctx;
	return rc;
}

/* A CMAC context keyed with an AES \a key. \returns 0; -ENOMEM; -EINVAL */
static int keyed_cmac(const uint8_t *key, size_t key_len, EVP_MAC_CTX **out)
{
	const char *name = key_len == 16 ? "AES-128-CBC" : key_len == 24 ? "AES-192-CBC" : "AES-256-CBC";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)name, 0),
				OSSL_PARAM_construct_end() };
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	int rc = mac && !ctx ? -ENOMEM : -EINVAL;

	EVP_MAC_free(mac); /* the context holds its own reference */
	if (ctx && EVP_MAC_init(ctx, key, key_len, params) == 1)
		rc = 0;
	if (rc) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	*out = ctx;
	return rc;
}

int ota_keyset_new(uint8_t kic, uint8_t kid, const struct ota_keys *keys, struct ota_keyset **out)
{
	struct ota_keyset *ks;
	uint8_t kic_algo = kic & 0x0f, kid_algo = kid & 0x0f;
	int rc = 0;

	*out = NULL;
	if (keys->cc_len != 0 && keys->cc_len != 4 && keys->cc_len != 8)
		return -EINVAL;
	if (keys->kic_len && !ota_block_size(kic_algo, keys->kic_len))
		return -EINVAL;
	if (keys->kid_len && !ota_block_size(kid_algo, keys->kid_len))
		return -EINVAL;
	ks = OPENSSL_zalloc(sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	ks->cc_len = keys->cc_len == 4 ? 4 : 8;
	if (keys->kic_len) {
		ks->kic_algo = kic_algo;
		ks->block = ota_block_size(kic_algo, keys->kic_len);
		rc = keyed_cbc(kic_algo, keys->kic, keys->kic_len, 1, &ks->enc);
		if (!rc)
			rc = keyed_cbc(kic_algo, keys->kic, keys->kic_len, 0, &ks->dec);
	}
	if (!rc && keys->kid_len) {
		ks->kid_algo = kid_algo;
		if (kid_algo == OTA_ALGO_AES)
			rc = keyed_cmac(keys->kid, keys->kid_len, &ks->cmac);
		else
			rc = keyed_cbc(kid_algo, keys->kid, keys->kid_len, 1, &ks->cbcmac);
	}
	if (rc) {
		ota_keyset_free(ks);
		return rc;
	}
	*out = ks;
	return 0;
}

void ota_keyset_free(struct ota_keyset *ks)
{
	if (!ks)
		return;
	/* OpenSSL wipes the key schedules as it frees the contexts */
	EVP_CIPHER_CTX_free(ks->enc);
	EVP_CIPHER_CTX_free(ks->dec);
	EVP_MAC_CTX_free(ks->cmac);
	EVP_CIPHER_CTX_free(ks->cbcmac);
	OPENSSL_clear_free(ks, sizeof(*ks));
}

size_t ota_ks_block(const struct ota_keyset *ks, uint8_t algo)
{
	return ks && ks->kic_algo && ks->kic_algo == algo ? ks->block : 0;
}

bool ota_ks_has_cc(const struct ota_keyset *ks, uint8_t algo)
{
	return ks && ks->kid_algo && ks->kid_algo == algo;
}

size_t ota_ks_cc_len(const struct ota_keyset *ks)
{
	return ks ? ks->cc_len : 8;
}

int ota_ks_cbc(struct ota_keyset *ks, bool encrypt, uint8_t *buf, size_t len)
{
	EVP_CIPHER_CTX *ctx = ks ? (encrypt ? ks->enc : ks->dec) : NULL;
	int out = 0;

	if (!ctx || len % ks->block || len > OTA_CRYPTO_MAX_INPUT)
		return -EINVAL;
	if (!len)
		return 0;
	/* a new IV, the key schedule kept */
	if (EVP_CipherInit_ex2(ctx, NULL, NULL, zero_iv, -1, NULL) != 1 ||
	    EVP_CipherUpdate(ctx, buf, &out, buf, (int)len) != 1 || (size_t)out != len)
		return -EINVAL;
	return 0;
}

/* CBC-MAC: the input zero-padded to 8 (an empty one to one block of zeros), enciphered; the last block. */
static int cbc_mac(EVP_CIPHER_CTX *ctx, const uint8_t *in, size_t len, uint8_t mac[8])
{
	static const uint8_t zeros[8];
	uint8_t out[CBC_MAC_CHUNK + 8];
	size_t pad = len % 8 ? 8 - len % 8 : len ? 0 : 8;
	int n = 0;

	if (EVP_CipherInit_ex2(ctx, NULL, NULL, zero_iv, -1, NULL) != 1)
		return -EINVAL;
	while (len) {
		size_t step = len < CBC_MAC_CHUNK ? len : CBC_MAC_CHUNK;

		if (EVP_CipherUpdate(ctx, out, &n, in, (int)step) != 1)
			return -EINVAL;
		if (n >= 8)
			memcpy(mac, out + n - 8, 8);
		in += step;
		len -= step;
	}
	if (pad) {
		if (EVP_CipherUpdate(ctx, out, &n, zeros, (int)pad) != 1 || n < 8)
			return -EINVAL;
		memcpy(mac, out + n - 8, 8);
	}
	return 0;
}

int ota_ks_cc(struct ota_keyset *ks, const uint8_t *in, size_t len, uint8_t *out, size_t cc_len)
{
	uint8_t mac[16];
	size_t n = 0;

	if ((cc_len != 8 && cc_len != 4) || !ks || !ks->kid_algo || len > OTA_CRYPTO_MAX_INPUT)
		return -EINVAL;
	if (ks->cmac) {
		/* restarted with the key it holds */
		if (EVP_MAC_init(ks->cmac, NULL, 0, NULL) != 1 || EVP_MAC_update(ks->cmac, in, len) != 1 ||
		    EVP_MAC_final(ks->cmac, mac, &n, sizeof(mac)) != 1 || n != 16)
			return -EINVAL;
	} else if (cbc_mac(ks->cbcmac, in, len, mac)) {
		return -EINVAL;
	}
	memcpy(out, mac, cc_len);
	return 0;
}
