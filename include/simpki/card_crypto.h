/* Card API, cryptography: key objects generated on the card, signatures, decryption, hashes, random.
 *
 * A key object holds a private key that never leaves the card: the applet gets its public part and asks the OS
 * to use it. Keys are NVM objects of the applet like any other (freed with card_obj_free()).
 *
 * RAM: key generation, signing and deciphering need working memory out of the applet's RAM budget (card.h,
 * card_transient_alloc()) while they run: RSA-2048 key generation 768 bytes, an RSA-2048 private-key operation 512,
 * P-256 key generation or ECDSA 192. When it is not free they return -ENOMEM before doing anything.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <simpki/card.h>

enum card_key_type {
	CARD_KEY_NONE = 0,
	CARD_KEY_RSA2048 = 1, /* public exponent 65537 */
	CARD_KEY_EC_P256 = 2, /* secp256r1 / prime256v1 */
};

struct card_pubkey {
	enum card_key_type type;
	uint8_t n[256]; /* RSA modulus, big-endian, exactly 256 bytes */
	uint8_t e[4];	/* RSA public exponent, big-endian, e_len bytes (01 00 01) */
	uint8_t e_len;
	uint8_t q[65]; /* EC public point, uncompressed: 04 || x || y */
};

enum card_sig_alg {
	CARD_SIG_RSA_PKCS1 = 1,	 /* input: DigestInfo (or raw data); EMSA-PKCS1-v1_5 padding by the OS */
	CARD_SIG_ECDSA_SHA1 = 2, /* input: the message; the OS hashes it with SHA-1. Output DER */
	CARD_SIG_ECDSA_HASH = 3, /* input: a hash computed by the host (20..64 bytes). Output DER */
};

enum card_cipher_alg {
	CARD_CIPHER_RSA_PKCS1 = 1, /* input: 256-byte cryptogram; output the message without type-2 padding */
};

enum card_hash {
	CARD_HASH_SHA1 = 1,   /* 20 bytes */
	CARD_HASH_SHA256 = 2, /* 32 bytes */
};

#define CARD_SIG_MAX 256 /* largest signature: RSA-2048; DER ECDSA P-256 is at most 72 */

/*! Generate a key pair in a new key object. Within a transaction the new object is part of it.
 *  \returns 0 and sets *out; -EINVAL unknown type; -ENOSPC; -ENOMEM when the applet's RAM budget cannot hold the
 *  generation's working memory (checked first: nothing changed) or generation failed; -EIO */
int card_key_generate(struct card_ctx *c, enum card_key_type type, card_obj_t *out);

/*! \returns the key type of one of the applet's key objects, or CARD_KEY_NONE */
enum card_key_type card_key_type(struct card_ctx *c, card_obj_t key);

/*! Public part of a key object. \returns 0; -ENOENT */
int card_key_public(struct card_ctx *c, card_obj_t key, struct card_pubkey *out);

/*! Sign \a in with the key. \a out has room for \a *outlen bytes; on return *outlen is the signature length.
 *  \returns 0; -ENOENT no such key; -EINVAL wrong algorithm for the key or bad input length; -E2BIG; -ENOMEM over
 *  the RAM budget */
int card_key_sign(struct card_ctx *c, card_obj_t key, enum card_sig_alg alg, const uint8_t *in, size_t inlen,
		  uint8_t *out, size_t *outlen);

/*! Decrypt a cryptogram with an RSA key. \returns 0; -ENOENT; -EINVAL wrong length; -EBADMSG bad padding;
 *  -ENOMEM over the RAM budget */
int card_key_decipher(struct card_ctx *c, card_obj_t key, enum card_cipher_alg alg, const uint8_t *in, size_t inlen,
		      uint8_t *out, size_t *outlen);

/*! Hash \a len bytes into \a out (20 or 32 bytes). \returns the digest length; -EINVAL */
int card_digest(enum card_hash alg, const uint8_t *in, size_t len, uint8_t *out);

/*! Fill \a buf with \a len bytes from the card's random generator. \returns 0; -EIO */
int card_random(struct card_ctx *c, uint8_t *buf, size_t len);
