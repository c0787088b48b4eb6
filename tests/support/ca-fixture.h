/* A throwaway CA in memory for the ca/status tests, the fuzz harness and the benchmark: a self-signed CA, a
 * delegated OCSP signer (id-kp-OCSPSigning, issued by the CA) and leaf certificates with chosen serials, all with
 * fresh keys (EC P-256, or RSA-2048), valid from a day ago for ten years. Everything is static inline so each
 * program includes it once; errors abort (a fixture that cannot be made is a broken test, not a result). */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CA_FIXTURE_LEAVES 2

struct ca_fixture {
	EVP_PKEY *ca_key, *signer_key, *leaf_key;
	X509 *ca;		       /* CN=simpki test CA */
	X509 *signer;		       /* CN=simpki test OCSP signer, issued by ca */
	X509 *leaf[CA_FIXTURE_LEAVES]; /* issued by ca, serials 0x0123 and 0x4567 */
};

static inline void ca_fixture_die(const char *what)
{
	fprintf(stderr, "ca-fixture: %s\n", what);
	abort();
}

static inline EVP_PKEY *ca_fixture_key(bool rsa)
{
	EVP_PKEY *k = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");

	if (!k)
		ca_fixture_die("key generation");
	return k;
}

static inline void ca_fixture_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e || !X509_add_ext(x, e, -1))
		ca_fixture_die("extension");
	X509_EXTENSION_free(e);
}

/*! A certificate for \a key named CN=\a cn with serial \a serial (big-endian bytes), issued by \a issuer with
 *  \a issuer_key (NULL, NULL: self-signed). \a kind: 'c' CA, 'o' OCSP signer, 'l' leaf. */
static inline X509 *ca_fixture_cert(const char *cn, const uint8_t *serial, size_t serial_len, EVP_PKEY *key,
				    X509 *issuer, EVP_PKEY *issuer_key, char kind)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_bin2bn(serial, (int)serial_len, NULL);
	ASN1_INTEGER *sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	X509_NAME *name = X509_NAME_new();

	if (!x || !sn || !name || !X509_set_version(x, X509_VERSION_3) || !X509_set_serialNumber(x, sn) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400) || !X509_set_pubkey(x, key))
		ca_fixture_die("certificate");
	ca_fixture_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (issuer)
		ca_fixture_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	if (kind == 'c') {
		ca_fixture_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		ca_fixture_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
	} else {
		ca_fixture_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		ca_fixture_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
	}
	if (kind == 'o')
		ca_fixture_ext(x, issuer, NID_ext_key_usage, "OCSPSigning");
	if (!X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()))
		ca_fixture_die("signature");
	BN_free(bn);
	ASN1_INTEGER_free(sn);
	X509_NAME_free(name);
	return x;
}

static const uint8_t ca_fixture_serials[CA_FIXTURE_LEAVES][2] = { { 0x01, 0x23 }, { 0x45, 0x67 } };

/*! Make the CA, its delegated signer and the leaves (\a rsa: RSA-2048 keys; otherwise P-256). \a cn names the CA. */
static inline void ca_fixture_make(struct ca_fixture *f, bool rsa, const char *cn)
{
	static const uint8_t one[] = { 0x01 }, two[] = { 0x02 };

	memset(f, 0, sizeof(*f));
	f->ca_key = ca_fixture_key(rsa);
	f->signer_key = ca_fixture_key(rsa);
	f->leaf_key = ca_fixture_key(false);
	f->ca = ca_fixture_cert(cn, one, sizeof(one), f->ca_key, NULL, NULL, 'c');
	f->signer = ca_fixture_cert("simpki test OCSP signer", two, sizeof(two), f->signer_key, f->ca, f->ca_key, 'o');
	for (int i = 0; i < CA_FIXTURE_LEAVES; i++)
		f->leaf[i] = ca_fixture_cert("simpki test leaf", ca_fixture_serials[i], 2, f->leaf_key, f->ca,
					     f->ca_key, 'l');
}

static inline void ca_fixture_free(struct ca_fixture *f)
{
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->signer_key);
	EVP_PKEY_free(f->leaf_key);
	X509_free(f->ca);
	X509_free(f->signer);
	for (int i = 0; i < CA_FIXTURE_LEAVES; i++)
		X509_free(f->leaf[i]);
	memset(f, 0, sizeof(*f));
}

/*! A CertID for serial \a serial (big-endian bytes) under \a issuer, hashed with \a md. */
static inline OCSP_CERTID *ca_fixture_id(const EVP_MD *md, X509 *issuer, const uint8_t *serial, size_t len)
{
	BIGNUM *bn = BN_bin2bn(serial, (int)len, NULL);
	ASN1_INTEGER *sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	OCSP_CERTID *id =
		sn ? OCSP_cert_id_new(md, X509_get_subject_name(issuer), X509_get0_pubkey_bitstr(issuer), sn) : NULL;

	if (!id)
		ca_fixture_die("CertID");
	BN_free(bn);
	ASN1_INTEGER_free(sn);
	return id;
}
