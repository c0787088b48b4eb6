/* The card API's cryptography (include/simpki/card_crypto.h) on OpenSSL 3. OpenSSL stays inside the OS:
 * applets see key handles and byte buffers only.
 *
 * Key object layout (kind HEAP_KIND_KEY): u8 card_key_type | u16 little-endian DER length | the private key in
 * DER (i2d_PrivateKey: PKCS#1 RSAPrivateKey or SEC1 ECPrivateKey) | zero padding to the object size.
 * Parsed keys are cached per handle (os->keys) because parsing an RSA key costs about a tenth of a signature.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <simpki/bytes.h>
#include <simpki/card_crypto.h>

#include "cardos_debug.h"
#include "os_internal.h"

#define KEY_HDR 3
#define KEY_OBJ_RSA (KEY_HDR + 1229) /* PKCS#1 DER of a 2048-bit key is at most 1193 bytes */
#define KEY_OBJ_EC (KEY_HDR + 125)   /* SEC1 DER of a P-256 key with parameters and public key: 121 bytes */

/* Working memory the cryptography takes from the applet's RAM budget while it runs: a model of a SIM's crypto
 * coprocessor, whose buffers come out of the same few KB of RAM as the applets' transient data (docs/card.md). */
#define RAM_RSA_KEYGEN 768  /* two 1024-bit candidate primes and the primality test's temporaries */
#define RAM_RSA_PRIVATE 512 /* CRT halves and the 256-byte block */
#define RAM_EC 192	    /* P-256 point and scalar temporaries, key generation and ECDSA alike */

/* Timings of a real SIM (JCAlgTest medians), used with CARD_TIMING_REAL. */
#define MS_RSA_KEYGEN 9000
#define MS_EC_KEYGEN 900
#define MS_RSA_PRIVATE 190
#define MS_EC_SIGN 100

void card_key_cache_drop(struct card_os *os, card_obj_t h)
{
	if (h <= HEAP_OBJECTS && os->keys[h]) {
		EVP_PKEY_free(os->keys[h]);
		os->keys[h] = NULL;
	}
}

void card_key_cache_clear(struct card_os *os)
{
	for (unsigned h = 0; h <= HEAP_OBJECTS; h++)
		card_key_cache_drop(os, (card_obj_t)h);
}

/* The caller's key \a h, parsed (cached). */
static EVP_PKEY *get_key(struct card_ctx *c, card_obj_t h, enum card_key_type *type)
{
	struct card_os *os = c->os;
	struct heap_obj o;
	const uint8_t *p, *der;
	uint16_t len;

	if (heap_get(os->nvm, h, &o) || o.owner != c->idx + 1 || o.kind != HEAP_KIND_KEY || o.size < KEY_HDR)
		return NULL;
	p = nvm_data(os->nvm) + o.off;
	*type = p[0];
	if (*type != CARD_KEY_RSA2048 && *type != CARD_KEY_EC_P256)
		return NULL;
	if (os->keys[h])
		return os->keys[h];
	len = get_le16(p + 1);
	if (len > o.size - KEY_HDR)
		return NULL;
	der = p + KEY_HDR;
	os->keys[h] = d2i_PrivateKey(*type == CARD_KEY_RSA2048 ? EVP_PKEY_RSA : EVP_PKEY_EC, NULL, &der, len);
	return os->keys[h];
}

static bool reuse_rsa; /* card_os_debug_reuse_rsa_keys() */
static EVP_PKEY *reused_rsa;

void card_os_debug_reuse_rsa_keys(void)
{
	reuse_rsa = true;
}

static EVP_PKEY *generate(enum card_key_type type)
{
	if (type != CARD_KEY_RSA2048)
		return EVP_EC_gen("P-256");
	if (!reuse_rsa)
		return EVP_RSA_gen(2048);
	if (!reused_rsa)
		reused_rsa = EVP_RSA_gen(2048);
	return reused_rsa ? EVP_PKEY_dup(reused_rsa) : NULL;
}

/* Count one more key generation in the OS block, in the open transaction (the key's). */
static int count_key_generation(struct nvm *n)
{
	uint8_t v[4];

	put_le32(v, get_le32(nvm_data(n) + HEAP_OS_BLOCK + HEAP_OS_KEYGENS) + 1);
	return nvm_write(n, HEAP_OS_BLOCK + HEAP_OS_KEYGENS, v, sizeof(v));
}

/* The key object and the key generation counter are one transaction: the caller's when one is open (an abort
 * takes both back), otherwise one of its own. */
int card_key_generate(struct card_ctx *c, enum card_key_type type, card_obj_t *out)
{
	uint8_t buf[KEY_OBJ_RSA] = { 0 };
	unsigned char *p = buf + KEY_HDR;
	uint32_t size = type == CARD_KEY_RSA2048 ? KEY_OBJ_RSA : KEY_OBJ_EC;
	struct nvm *n = c->os->nvm;
	struct heap_obj o;
	EVP_PKEY *pk;
	card_obj_t h;
	bool own_tx;
	int len, rc;

	if (type != CARD_KEY_RSA2048 && type != CARD_KEY_EC_P256)
		return -EINVAL;
	rc = card_ram_check(c, type == CARD_KEY_RSA2048 ? RAM_RSA_KEYGEN : RAM_EC);
	if (rc)
		return rc;
	pk = generate(type);
	if (!pk)
		return -ENOMEM;
	card_timing_delay(c->os, type == CARD_KEY_RSA2048 ? MS_RSA_KEYGEN : MS_EC_KEYGEN);
	len = i2d_PrivateKey(pk, NULL);
	if (len <= 0 || (uint32_t)len > size - KEY_HDR) {
		EVP_PKEY_free(pk);
		return -ENOMEM;
	}
	i2d_PrivateKey(pk, &p);
	buf[0] = (uint8_t)type;
	put_le16(buf + 1, (uint16_t)len);
	own_tx = !nvm_tx_open(n);
	rc = own_tx ? nvm_tx_begin(n) : 0;
	if (!rc)
		rc = card_alloc_kind(c, HEAP_KIND_KEY, size, &h);
	if (!rc)
		rc = heap_get(n, h, &o);
	if (!rc)
		rc = nvm_write(n, o.off, buf, KEY_HDR + (uint32_t)len);
	if (!rc)
		rc = count_key_generation(n);
	if (own_tx && nvm_tx_open(n)) {
		if (rc)
			nvm_tx_abort(n);
		else
			rc = nvm_tx_commit(n);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc) {
		EVP_PKEY_free(pk);
		return rc;
	}
	card_key_cache_drop(c->os, h);
	c->os->keys[h] = pk;
	*out = h;
	return 0;
}

enum card_key_type card_key_type(struct card_ctx *c, card_obj_t key)
{
	enum card_key_type type;

	return get_key(c, key, &type) ? type : CARD_KEY_NONE;
}

int card_key_public(struct card_ctx *c, card_obj_t key, struct card_pubkey *out)
{
	enum card_key_type type;
	EVP_PKEY *pk = get_key(c, key, &type);
	BIGNUM *n = NULL, *e = NULL;
	size_t qlen = 0;
	int rc = 0;

	if (!pk)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->type = type;
	if (type == CARD_KEY_EC_P256) {
		if (!EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, out->q, sizeof(out->q), &qlen) ||
		    qlen != sizeof(out->q))
			return -EIO;
		return 0;
	}
	if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) || BN_bn2binpad(n, out->n, sizeof(out->n)) < 0 ||
	    BN_num_bytes(e) > (int)sizeof(out->e))
		rc = -EIO;
	else
		out->e_len = (uint8_t)BN_bn2bin(e, out->e);
	BN_free(n);
	BN_free(e);
	return rc;
}

int card_key_sign(struct card_ctx *c, card_obj_t key, enum card_sig_alg alg, const uint8_t *in, size_t inlen,
		  uint8_t *out, size_t *outlen)
{
	enum card_key_type type;
	EVP_PKEY *pk = get_key(c, key, &type);
	uint8_t digest[20];
	EVP_PKEY_CTX *ctx;
	int rc = 0;

	if (!pk)
		return -ENOENT;
	switch (alg) {
	case CARD_SIG_RSA_PKCS1:
		if (type != CARD_KEY_RSA2048 || inlen > 256 - 11)
			return -EINVAL;
		if (*outlen < 256)
			return -E2BIG;
		break;
	case CARD_SIG_ECDSA_SHA1:
		if (type != CARD_KEY_EC_P256)
			return -EINVAL;
		card_digest(CARD_HASH_SHA1, in, inlen, digest);
		in = digest;
		inlen = sizeof(digest);
		break;
	case CARD_SIG_ECDSA_HASH:
		if (type != CARD_KEY_EC_P256 || inlen < 20 || inlen > 64)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (type == CARD_KEY_EC_P256 && *outlen < 72)
		return -E2BIG;
	if (card_ram_check(c, type == CARD_KEY_RSA2048 ? RAM_RSA_PRIVATE : RAM_EC))
		return -ENOMEM;
	ctx = EVP_PKEY_CTX_new(pk, NULL);
	if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 ||
	    (type == CARD_KEY_RSA2048 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0) ||
	    EVP_PKEY_sign(ctx, out, outlen, in, inlen) <= 0)
		rc = -EIO;
	EVP_PKEY_CTX_free(ctx);
	card_timing_delay(c->os, type == CARD_KEY_RSA2048 ? MS_RSA_PRIVATE : MS_EC_SIGN);
	return rc;
}

int card_key_decipher(struct card_ctx *c, card_obj_t key, enum card_cipher_alg alg, const uint8_t *in, size_t inlen,
		      uint8_t *out, size_t *outlen)
{
	enum card_key_type type;
	EVP_PKEY *pk = get_key(c, key, &type);
	uint8_t plain[256];
	size_t plen = sizeof(plain);
	EVP_PKEY_CTX *ctx;
	int rc = 0;

	if (!pk)
		return -ENOENT;
	if (alg != CARD_CIPHER_RSA_PKCS1 || type != CARD_KEY_RSA2048 || inlen != 256)
		return -EINVAL;
	if (card_ram_check(c, RAM_RSA_PRIVATE))
		return -ENOMEM;
	ctx = EVP_PKEY_CTX_new(pk, NULL);
	if (!ctx || EVP_PKEY_decrypt_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_decrypt(ctx, plain, &plen, in, inlen) <= 0)
		rc = -EBADMSG;
	else if (plen > *outlen)
		rc = -E2BIG;
	else
		memcpy(out, plain, *outlen = plen);
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_cleanse(plain, sizeof(plain));
	card_timing_delay(c->os, MS_RSA_PRIVATE);
	return rc;
}

int card_digest(enum card_hash alg, const uint8_t *in, size_t len, uint8_t *out)
{
	const EVP_MD *md = alg == CARD_HASH_SHA1 ? EVP_sha1() : alg == CARD_HASH_SHA256 ? EVP_sha256() : NULL;
	unsigned int n = 0;

	if (!md || !EVP_Digest(in, len, out, &n, md, NULL))
		return -EINVAL;
	return (int)n;
}

int card_random(struct card_ctx *c, uint8_t *buf, size_t len)
{
	(void)c;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

int card_os_debug_key(struct card_os *os, enum card_key_type type, EVP_PKEY **out)
{
	for (card_obj_t h = 1; h <= HEAP_OBJECTS; h++) {
		struct heap_obj o;
		enum card_key_type t;
		EVP_PKEY *pk;

		if (heap_get(os->nvm, h, &o) || o.kind != HEAP_KIND_KEY || o.owner > HEAP_APPLETS)
			continue;
		pk = get_key(&os->ctx[o.owner - 1], h, &t);
		if (pk && t == type && EVP_PKEY_up_ref(pk)) {
			*out = pk;
			return 0;
		}
	}
	return -ENOENT;
}
