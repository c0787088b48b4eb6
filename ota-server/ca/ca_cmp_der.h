/* What simpki-ca reads from a CMP message's DER itself, because OpenSSL 3.0 has no accessor for it: the header's
 * protectionAlg (a signature, a MAC, or none), its recipient, the certProfile ITAV of its generalInfo (RFC 9483
 * §4.1.1: id-it-certProfile 1.3.6.1.5.5.7.4.21, SEQUENCE SIZE (1..MAX) OF UTF8String; a bare UTF8String is taken
 * too) and an ITAV of type id-regInfo-utf8Pairs (a UTF8String, as in CRMF regInfo); the reasonCode of an rr's first
 * RevDetails; a CRMF certTemplate's publicKey; and a CertReqMsg's regInfo utf8Pairs (OpenSSL 3.0's
 * OSSL_CRMF_MSG_get0_regInfo_utf8Pairs() reads the controls instead). Every length is checked against the enclosing
 * one (ASN1_get_object); indefinite lengths are refused. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/crmf.h>
#include <openssl/x509.h>

#include "ca.h"

#define CA_OID_CERT_PROFILE "1.3.6.1.5.5.7.4.21"
#define CA_UTF8PAIRS_MAX 512
#define CA_OID_UTF8PAIRS "1.3.6.1.5.5.7.5.2.1" /* id-regInfo-utf8Pairs */

struct ca_cmp_scan {
	bool protected_;      /* protectionAlg present */
	bool signature;	      /* ... and it is a signature algorithm (not a MAC such as PBM) */
	X509_NAME *recipient; /* the header's recipient when a directoryName (caller frees); NULL otherwise */
	char profile[CA_PROFILE_NAME_MAX + 1]; /* the certProfile asked for; "" none */
	bool profile_bad; /* a certProfile ITAV that is not one UTF8String of at most CA_PROFILE_NAME_MAX */
	char utf8pairs[CA_UTF8PAIRS_MAX + 1]; /* a generalInfo ITAV of type id-regInfo-utf8Pairs (p10cr: a PKCS#10
					       * cannot carry regInfo); "" none */
	int rr_reason;			      /* rr only: the first RevDetails' reasonCode; -1 none; -2 malformed */
};

/*! Scan the PKIMessage \a der. \returns 0 with *s filled; -EBADMSG when it is not a PKIMessage's header. */
int ca_cmp_scan(const uint8_t *der, size_t len, struct ca_cmp_scan *s);
void ca_cmp_scan_free(struct ca_cmp_scan *s);

/*! The publicKey of a CRMF certTemplate (IMPLICIT [6] SubjectPublicKeyInfo). NULL: none, or not a key. */
EVP_PKEY *ca_crmf_pubkey(const OSSL_CRMF_CERTTEMPLATE *tmpl);

/*! The regInfo utf8Pairs (RFC 4211 §7.1) of \a crm into buf (NUL-terminated). \returns its length; 0 none;
 *  -EBADMSG (not a UTF8String of at most CA_UTF8PAIRS_MAX bytes, or a NUL in it). */
int ca_crmf_utf8pairs(const OSSL_CRMF_MSG *crm, char *buf, size_t size);
