/* simpki-ca's revocation status answers: CRLs (RFC 5280 §5) and OCSP responses (RFC 6960, RFC 5019), built from
 * the CA's records through callbacks, so this library knows no database and no HTTP server (the daemon wires
 * both: ca_db.h below it, its HTTP listener on 127.0.0.1:8491 above it).
 *
 * Serials are the certificate's serialNumber INTEGER content octets as DER has them (big-endian, minimal, at most
 * CA_SERIAL_MAX bytes). Times are seconds since the epoch, UTC. Reasons are RFC 5280 CRLReason codes
 * (0 unspecified, 1 keyCompromise, 3 affiliationChanged, 4 superseded, 5 cessationOfOperation, 6 certificateHold,
 * ...; 7 is not used), or -1 for none.
 *
 * Everything that reads outside input (the OCSP request, its GET path) checks every length against the bounds
 * here before it allocates, and answers a bad request with an OCSP error response (malformedRequest), never a
 * crash. The signer's key is an EVP_PKEY, so it may come from any OpenSSL provider (a file, a PKCS#11 HSM). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define CA_SERIAL_MAX 20     /* RFC 5280 §4.1.2.2: at most 20 octets */
#define CA_OCSP_REQ_MAX 4096 /* bytes of a DER OCSP request (GET or POST); larger: malformedRequest */
#define CA_OCSP_MAX_IDS 16   /* single requests in one OCSP request; more: malformedRequest */
#define CA_OCSP_NONCE_MAX 32 /* bytes of a nonce (RFC 8954: 1..32); otherwise: malformedRequest */

/* Who signs: the CA itself, or a delegated OCSP signer (id-kp-OCSPSigning, issued by the CA). */
struct ca_status_signer {
	X509 *ca;	  /* the issuing CA's certificate (its name and key hash identify our certificates) */
	X509 *cert;	  /* the signing certificate: == ca, or a delegated OCSP signer */
	EVP_PKEY *key;	  /* cert's private key */
	const EVP_MD *md; /* the signature's digest (NULL: SHA-256) */
};

enum ca_cert_status {
	CA_CERT_GOOD = 0,
	CA_CERT_REVOKED = 1,
	CA_CERT_UNKNOWN = 2, /* never issued by this CA */
};

struct ca_cert_state {
	enum ca_cert_status status;
	int64_t revoked_at; /* CA_CERT_REVOKED only */
	int reason;	    /* CA_CERT_REVOKED only: a CRLReason, or -1 */
};

/*! Look up serial \a s (\a len bytes) among the certificates this CA issued. \returns 0 with *st filled
 *  (CA_CERT_UNKNOWN for a serial never issued); -EIO when the records cannot be read (the answer is then
 *  internalError / tryLater, never "good"). */
typedef int (*ca_status_lookup_fn)(const uint8_t *s, size_t len, struct ca_cert_state *st, void *priv);

/*! One revoked certificate for a CRL. */
struct ca_revoked {
	uint8_t serial[CA_SERIAL_MAX];
	size_t serial_len;
	int64_t revoked_at;
	int reason; /* -1: no reasonCode extension */
};

/*! Call \a cb for every revoked certificate not yet expired, in any order; stop when \a cb returns non-zero and
 *  return that (ca_crl_build remembers its own error too, so an implementation that goes on is harmless).
 *  \returns 0, or -EIO. */
typedef int (*ca_revoked_each_fn)(int (*cb)(const struct ca_revoked *r, void *cb_priv), void *cb_priv, void *priv);

struct ca_crl_params {
	uint64_t number; /* cRLNumber: one higher than the last CRL issued (the caller stores it) */
	int64_t this_update;
	int64_t next_update; /* > this_update */
	const char *idp_url; /* issuingDistributionPoint / the URL it is published at (may be NULL) */
};

/*! Build and sign a CRL v2 (authorityKeyIdentifier, cRLNumber, reasonCode per entry) listing what \a each gives,
 *  sorted by serial; with \a p->idp_url a critical issuingDistributionPoint whose fullName is that URI. A reason of
 *  0 (unspecified) is written as no reasonCode (RFC 5280 §5.3.1). The signer is \a s->ca with \a s->key (a
 *  delegated OCSP signer never signs CRLs; s->cert is not used). \returns 0 with *der (free with OPENSSL_free)
 *  and *len; -EIO (the records, or the key failed to sign: *der unset), -EINVAL (params, a key that is not the CA's,
 *  an entry whose serial is not minimal DER content octets of 1..CA_SERIAL_MAX bytes or whose reason is not a
 *  CRLReason), -ENOMEM. */
int ca_crl_build(const struct ca_status_signer *s, const struct ca_crl_params *p, ca_revoked_each_fn each, void *priv,
		 uint8_t **der, size_t *len);

/*! Decode an RFC 5019 / RFC 6960 GET path (the part after "/ocsp/", without any query: base64 of the DER request,
 *  percent-encoded, '+' '/' '=' possibly escaped as %2B %2F %3D) into DER. The base64 is strict RFC 4648 §4:
 *  padded, canonical (zero pad bits), no whitespace, no URL-safe alphabet. \returns 0 with *der (OPENSSL_free)
 *  and *len (1..CA_OCSP_REQ_MAX); -EINVAL when it is empty, not base64, a bad escape, or decodes to more than
 *  CA_OCSP_REQ_MAX bytes (checked before anything is allocated); -ENOMEM. */
int ca_ocsp_get_decode(const char *path, uint8_t **der, size_t *len);

/* Pre-signed responses for requests without a nonce (RFC 5019 §6: a relying party's cache and ours), one per
 * serial and CertID hash algorithm, kept until \a refresh_s before their nextUpdate and dropped when the serial's
 * state changes. The lookup still runs for every request and a response is reused only while the records give the
 * state it says (the cache saves the signature, never serves a stale status); ca_ocsp_cache_forget() frees the
 * entry early. At most max_entries responses (a full cache drops its oldest); finding one is a linear scan, so
 * size it for the hot set (up to a few thousand). After changing the signer, forget everything. Not thread-safe:
 * one cache per thread, or a lock around ca_ocsp_answer. */
struct ca_ocsp_cache;
/*! \returns a cache for \a max_entries (>= 1) responses, or NULL (no memory, or 0). */
struct ca_ocsp_cache *ca_ocsp_cache_new(unsigned max_entries);
void ca_ocsp_cache_free(struct ca_ocsp_cache *c);
/*! Forget serial \a s (after a revocation), or everything (\a s NULL). */
void ca_ocsp_cache_forget(struct ca_ocsp_cache *c, const uint8_t *s, size_t len);

struct ca_ocsp_params {
	int64_t now;		     /* thisUpdate and producedAt */
	uint32_t validity_s;	     /* nextUpdate = thisUpdate + validity_s (0: the default, 3600) */
	uint32_t refresh_s;	     /* a cached response is signed again this long before its nextUpdate (0: 600) */
	struct ca_ocsp_cache *cache; /* may be NULL: every answer is signed fresh */
};

/*! Answer the DER OCSP request \a req (\a len bytes): a BasicOCSPResponse with one SingleResponse per request
 *  (good / revoked with time and reason / unknown for a serial we never issued or another issuer's), the
 *  request's nonce echoed, signed by \a s (with s->cert included when it is a delegated signer), responderID by
 *  key hash. A request that does not parse or breaks a bound gets malformedRequest (so do bytes after it, several
 *  nonce extensions, a nonce whose extnValue is not an OCTET STRING of 1..CA_OCSP_NONCE_MAX bytes); a lookup that
 *  fails (-EIO, any negative) or a signature that fails, internalError. A CertID hashed with anything but SHA-1 or
 *  SHA-256 is answered unknown.
 *  A request with several single requests, or with a nonce, is never answered from the cache. Requests whose
 *  signature is present are answered without checking it (RFC 6960 §4.1.2 lets a responder ignore it).
 *  \returns 0 with *der (OPENSSL_free) and *len, the HTTP body to send with 200 and application/ocsp-response;
 *  -ENOMEM when not even an error response could be made; -EINVAL for a NULL argument (a bug of the caller).
 *  OpenSSL's error queue: a malformed request leaves nothing on it; an internalError leaves OpenSSL's reason there
 *  for the caller to log (ERR_print_errors) or clear. */
int ca_ocsp_answer(const struct ca_status_signer *s, const struct ca_ocsp_params *p, const uint8_t *req, size_t len,
		   ca_status_lookup_fn lookup, void *priv, uint8_t **der, size_t *out_len);
