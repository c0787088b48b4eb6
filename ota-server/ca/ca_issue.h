/* Issuing certificates: the end-entity profiles (ca.h struct ca_profile) and the CA's own service certificates.
 *
 * An end-entity certificate is built by the CA, never copied from the request: its subject keeps only the
 * request's CN, serialNumber, O, OU, ST, L and C (UTF8String, PrintableString for serialNumber and C; any other
 * attribute refuses the request); its subjectAltName is one otherName permanentIdentifier (RFC 4043, OID
 * 1.3.6.1.5.5.7.8.3, SEQUENCE { identifierValue UTF8String }) carrying the holder id. The holder id is taken from
 * the request's own subjectAltName permanentIdentifier when it has one (PKCS#10 extensionRequest, CRMF template
 * extensions), else from the subject's serialNumber; a request with neither is refused. Every other requested
 * extension is ignored. The CA adds: keyUsage (critical) and certificatePolicies from the profile;
 * basicConstraints CA:FALSE (critical); subjectKeyIdentifier, authorityKeyIdentifier; authorityInfoAccess (OCSP
 * <base-url>/ocsp, caIssuers <base-url>/ca.crt); cRLDistributionPoints <base-url>/crl/<crl-name>.crl. Serials are
 * 16 random bytes with the top bit clear and the next one set (positive, always 16 octets), checked unique in the
 * records. notAfter never passes the CA certificate's (nor the request's not_after_max). Every certificate issued is stored (ca_db.h) before it is
 * handed out. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ca.h"

#define CA_HOLDER_MAX 128
#define CA_OID_PERMANENT_IDENTIFIER "1.3.6.1.5.5.7.8.3"

struct ca_issue_req {
	const X509_NAME *subject;	       /* as requested */
	EVP_PKEY *pubkey;		       /* the holder's public key */
	const STACK_OF(X509_EXTENSION) * exts; /* requested extensions; may be NULL */
	const char *holder;		       /* NULL: from the request (above); else this one (key update) */
	const char *iccid;		       /* may be NULL */
	const struct ca_profile *profile;
	const char *requested_by; /* the RA's name, or "vty" */
	const char *txid;	  /* the CMP transactionID (hex) recorded with it; NULL: none */
	int64_t not_after_max;	  /* Unix seconds: notAfter never later (same-key kur, ca_cmp.h); 0: no limit */
};

/*! Issue an end-entity certificate. \returns 0 with *out and the stored row in *row (row->der NULL);
 *  -EINVAL: the request does not fit the rules above (why in err: the CMP answer is badCertTemplate);
 *  -EIO: the records; -ENOMEM. */
int ca_issue(struct ca *ca, const struct ca_issue_req *q, X509 **out, struct ca_cert_row *row, char *err,
	     size_t errlen);

enum ca_service {
	CA_SERVICE_RA,	 /* id-kp-cmcRA: protects CMP requests for simpki-otad */
	CA_SERVICE_OCSP, /* id-kp-OCSPSigning with id-pkix-ocsp-nocheck */
};

/*! Issue one of the CA's service certificates for \a pubkey (stored too, holder "ra" or "ocsp").
 *  \returns 0 with *out; -EIO; -ENOMEM; -EINVAL */
int ca_issue_service(struct ca *ca, enum ca_service kind, const X509_NAME *subject, EVP_PKEY *pubkey, uint32_t days,
		     X509 **out, char *err, size_t errlen);

/*! Fill \a row's subject, key_id, pubkey_sha256, serial, validity from \a x. */
void ca_row_from_cert(X509 *x, struct ca_cert_row *row);

/*! SHA-256 of \a pub's SubjectPublicKeyInfo DER in lowercase hex (what the records keep as pubkey_sha256).
 *  \returns 0; -EINVAL (not encodable: out is "") */
int ca_pubkey_sha256(EVP_PKEY *pub, char out[65]);

/*! The holder id of a permanentIdentifier in \a exts' subjectAltName into buf. \returns 1 found, 0 none,
 *  -EINVAL malformed. */
int ca_san_holder(const STACK_OF(X509_EXTENSION) * exts, char *buf, size_t size);

/*! Parse "/CN=.../O=..." (UTF-8; '\' escapes the next character) into a new X509_NAME. NULL: malformed. */
X509_NAME *ca_subject_parse(const char *s);

/* Key usage names of the configuration ('key-usage NAME...') and their X509v3_KU_* bits. */
struct ca_ku_name {
	const char *vty;  /* e.g. "non-repudiation" */
	const char *conf; /* OpenSSL's name, e.g. "nonRepudiation" */
	unsigned bit;
};
extern const struct ca_ku_name ca_ku_names[];
