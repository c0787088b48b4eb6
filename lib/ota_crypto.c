/* Ciphers and checksums of secured packets; see ota_crypto.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ota_crypto.h"

#define OTA_CRYPTO_MAX_INPUT 8192

size_t ota_block_size(uint8_t algo, size_t key_len)
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
static const EVP_CIPHER *cipher_for(uint8_t algo, const uint8_t *key, size_t key_len, uint8_t *k, size_t *k_len)
{
	if (!ota_block_size(algo, key_len))
		return NULL;
	if (algo == OTA_ALGO_DES) {
		for (int i = 0; i < 3; i++)
			memcpy(k + 8 * i, key, 8);
		*k_len = 24;
		return EVP_des_ede3_cbc();
	}
	memcpy(k, key, key_len);
	*k_len = key_len;
	if (algo == OTA_ALGO_3DES2)
		return EVP_des_ede_cbc();
	if (algo == OTA_ALGO_3DES3)
		return EVP_des_ede3_cbc();
	return key_len == 16 ? EVP_aes_128_cbc() : key_len == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
}

int ota_cbc(bool encrypt, uint8_t algo, const uint8_t *key, size_t key_len, uint8_t *buf, size_t len)
{
	static const uint8_t iv[16];
	uint8_t k[32];
	size_t k_len;
	const EVP_CIPHER *c = cipher_for(algo, key, key_len, k, &k_len);
	EVP_CIPHER_CTX *ctx;
	int out = 0, rc = -EINVAL;

	if (!c || len % ota_block_size(algo, key_len) || len > OTA_CRYPTO_MAX_INPUT)
		return -EINVAL;
	if (!len)
		return 0;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx && EVP_CipherInit_ex(ctx, c, NULL, k, iv, encrypt) == 1 && EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, buf, &out, buf, (int)len) == 1 && (size_t)out == len)
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

static int aes_cmac(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t out[16])
{
	const char *name = key_len == 16 ? "AES-128-CBC" : key_len == 24 ? "AES-192-CBC" : "AES-256-CBC";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)name, 0),
				OSSL_PARAM_construct_end() };
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t n = 0;
	int rc = -EINVAL;

	if (ctx && EVP_MAC_init(ctx, key, key_len, params) == 1 && EVP_MAC_update(ctx, in, len) == 1 &&
	    EVP_MAC_final(ctx, out, &n, 16) == 1 && n == 16)
		rc = 0;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

int ota_cc(uint8_t algo, const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t *out, size_t cc_len)
{
	uint8_t mac[16], *buf;
	size_t padded;
	int rc;

	if ((cc_len != 8 && cc_len != 4) || !ota_block_size(algo, key_len) || len > OTA_CRYPTO_MAX_INPUT)
		return -EINVAL;
	if (algo == OTA_ALGO_AES) {
		rc = aes_cmac(key, key_len, in, len, mac);
		if (!rc)
			memcpy(out, mac, cc_len);
		return rc;
	}
	/* CBC-MAC: the input zero-padded to 8, enciphered; the last block is the CC */
	padded = (len + 7) / 8 * 8;
	if (!padded)
		padded = 8;
	buf = calloc(1, padded);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, in, len);
	rc = ota_cbc(true, algo, key, key_len, buf, padded);
	if (!rc)
		memcpy(out, buf + padded - 8, cc_len);
	free(buf);
	return rc;
}
