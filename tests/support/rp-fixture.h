/* A signer for the simpki-sign tests (unit-rp-cms, rp-cms-sample): a test CA (ca-fixture.h) and a leaf certificate
 * for an EC P-256 or RSA-2048 key, and the SIM's side of a signature made in software exactly as the applet makes
 * it: ECDSA over the raw hash (DER), or RSA PKCS#1 v1.5 over the DigestInfo of SHA-256 built here (the key sees
 * only the padded DigestInfo, no digest of its own). Errors abort. */
#pragma once
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "ca-fixture.h"

struct rp_fixture {
	EVP_PKEY *ca_key, *key;
	X509 *ca, *cert; /* cert: CN=simpki test signer, issued by ca */
};

static inline void rp_fixture_make(struct rp_fixture *f, bool rsa)
{
	static const uint8_t one[] = { 0x01 }, serial[] = { 0x10, 0x01 };

	f->ca_key = ca_fixture_key(false);
	f->key = ca_fixture_key(rsa);
	f->ca = ca_fixture_cert("simpki test CA", one, sizeof(one), f->ca_key, NULL, NULL, 'c');
	f->cert = ca_fixture_cert("simpki test signer", serial, sizeof(serial), f->key, f->ca, f->ca_key, 'l');
}

static inline void rp_fixture_free(struct rp_fixture *f)
{
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->key);
	X509_free(f->ca);
	X509_free(f->cert);
}

/*! The SIM's signature of \a hash (SHA-256) with \a key into \a sig (at least 512 bytes). \returns its length */
static inline size_t rp_fixture_sim_sign(EVP_PKEY *key, const uint8_t hash[32], uint8_t *sig)
{
	static const uint8_t sha256_prefix[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
						 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);
	uint8_t in[sizeof(sha256_prefix) + 32];
	size_t in_len = 32, len = 512;
	bool rsa = EVP_PKEY_is_a(key, "RSA");

	if (rsa) {
		memcpy(in, sha256_prefix, sizeof(sha256_prefix));
		memcpy(in + sizeof(sha256_prefix), hash, 32);
		in_len = sizeof(in);
	} else {
		memcpy(in, hash, 32);
	}
	if (!c || EVP_PKEY_sign_init(c) <= 0 || (rsa && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) <= 0) ||
	    EVP_PKEY_sign(c, sig, &len, in, in_len) <= 0)
		ca_fixture_die("the SIM's signature");
	EVP_PKEY_CTX_free(c);
	return len;
}
