/* What crl.c and ocsp.c share, not part of the interface (ca_status.h). */
#pragma once
#include <errno.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "ca_status.h"

/* The signature's digest: s->md; otherwise SHA-256, or none for a key type that takes no digest (Ed25519, Ed448:
 * EVP_PKEY_get_default_digest_nid says "mandatory: none"). */
static inline const EVP_MD *ca_status_md(const struct ca_status_signer *s)
{
	int nid = NID_undef;

	if (s->md)
		return s->md;
	if (EVP_PKEY_get_default_digest_nid(s->key, &nid) == 2 && nid == NID_undef)
		return NULL;
	return EVP_sha256();
}

/* A serial's content octets (DER, minimal, 1..CA_SERIAL_MAX bytes, as ca_status.h defines them) as an ASN1_INTEGER,
 * through d2i so that what OpenSSL encodes is exactly these octets. NULL for anything else (a non-minimal
 * encoding, a length out of bounds, no memory). */
static inline ASN1_INTEGER *ca_status_serial_to_asn1(const uint8_t *s, size_t len)
{
	uint8_t der[2 + CA_SERIAL_MAX];
	const uint8_t *p = der;
	ASN1_INTEGER *a;

	if (!len || len > CA_SERIAL_MAX)
		return NULL;
	der[0] = V_ASN1_INTEGER;
	der[1] = (uint8_t)len;
	memcpy(der + 2, s, len);
	a = d2i_ASN1_INTEGER(NULL, &p, (long)(2 + len));
	if (a && p != der + 2 + len) {
		ASN1_INTEGER_free(a);
		return NULL;
	}
	return a;
}

/* The reverse: an ASN1_INTEGER's content octets into s[CA_SERIAL_MAX]. \returns the length, or -EINVAL when they
 * do not fit (a serial we never issued, then). */
static inline int ca_status_serial_from_asn1(const ASN1_INTEGER *a, uint8_t s[CA_SERIAL_MAX])
{
	uint8_t der[2 + CA_SERIAL_MAX];
	uint8_t *p = der;
	int n = i2d_ASN1_INTEGER(a, NULL);

	if (n < 3 || n > (int)sizeof(der) || i2d_ASN1_INTEGER(a, &p) != n || der[1] != n - 2)
		return -EINVAL;
	memcpy(s, der + 2, (size_t)n - 2);
	return n - 2;
}
