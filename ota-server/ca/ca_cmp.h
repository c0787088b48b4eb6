/* simpki-ca's CMP server (RFC 4210, RFC 9483's lightweight profile): one request's DER in, the response's DER out,
 * on OpenSSL's server framework (OSSL_CMP_SRV_CTX, one per request; so interleaved transactions of several clients
 * never share state, and certConf is matched by transactionID in ca->pending).
 *
 * Who may ask: a request must be signed by one of the trusted RAs' certificates ('ra-trust'), pinned: the
 * signature is checked against each of them (OSSL_CMP_validate_msg with it as the peer's certificate) within its
 * validity, and an RA certificate of this CA that was revoked no longer counts. Otherwise the answer is a signed response with PKIStatus rejection: an unprotected request
 * badMessageCheck, a MAC-protected one (PBM) or one signed by anyone else notAuthorized, one addressed to another
 * CA (recipient) wrongAuthority. ip/cp/kup and rp carry the rejection in their PKIStatusInfo; genm, certConf and
 * pollReq get an error message.
 *
 * Messages: p10cr (the CA verifies the PKCS#10 signature itself: badPOP), ir, cr (signature POPO verified by
 * OpenSSL, or raVerified), kur (oldCertID names a good certificate of ours: the new one keeps its holder, ICCID and
 * profile), rr (issuer = this CA, reasonCode from crlEntryDetails), certConf (a rejection revokes the certificate,
 * cessationOfOperation), genm (answered with id-it-caCerts: the CA certificate). The profile: the certProfile ITAV
 * of generalInfo when given (an unknown one: badCertTemplate), else the configured default. The holder id and
 * subject rules: ca_issue.h. The ICCID: utf8Pairs "iccid?DIGITS%" (RFC 4211 §7.1) in CRMF regInfo, or (any
 * request, p10cr above all: a PKCS#10 the SIM signed cannot take it) in a generalInfo ITAV of type
 * id-regInfo-utf8Pairs with a UTF8String value; when given.
 *
 * Repeated transactions: every certificate issued is recorded with the request's transactionID (1 to
 * CA_DB_TXID_MAX bytes; longer ones are neither recorded nor matched). A certificate request (p10cr, ir, cr, kur)
 * that passed the checks above and carries a recorded transactionID is answered with the certificate recorded for
 * it (same serial, same DER; nothing issued; logged "repeated transaction TXID: certificate SERIAL sent again",
 * counted in cmp:repeated) when its public key is that certificate's (SHA-256 of the SubjectPublicKeyInfo DER);
 * it then waits for its certConf like a new one, replacing an earlier exchange of the transaction still waiting.
 * Another public key: rejection with failInfo badRequest and transactionIdInUse. The recorded certificate revoked
 * since: certRevoked. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "ca.h"

#define CA_CMP_BODY_MAX (64u << 10) /* bytes of a request; the HTTP layer answers 413 beyond */
#define CA_CMP_PENDING_MAX 1024	    /* certificates awaiting certConf; the oldest is forgotten beyond */
#define CA_CMP_PENDING_S 600	    /* how long one waits */

/*! Answer one CMP request. \returns 0 with *out (OPENSSL_free) and *out_len; -EBADMSG (not a PKIMessage: the
 *  HTTP answer is 400); -ENOMEM; -EIO (no response could be made). */
int ca_cmp_handle(struct ca *ca, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len);

/*! Called after a revocation (by CMP or the VTY): counters, the OCSP cache, a new CRL. Set by the daemon; NULL
 *  in tests. */
extern void (*ca_revoked_hook)(struct ca *ca, const char *serial);

/*! Revoke \a serial (hex) for \a reason (RFC 5280 CRLReason; 7 and 8 refused; -1 none; 6 certificateHold puts a
 *  good certificate on hold) and run the hook. A certificate on hold may be revoked with another reason.
 *  \returns 0; -ENOENT; -EALREADY (revoked, or on hold and asked for a hold again); -EINVAL (reason); -EIO */
int ca_revoke(struct ca *ca, const char *serial, int reason, const char *by);
/*! Release \a serial (hex) from hold (removeFromCRL): good again, and run the hook (the OCSP cache forgets it, a
 *  new CRL without it). \returns 0; -ENOENT; -EINVAL (not on hold); -EIO */
int ca_release(struct ca *ca, const char *serial, const char *by);

/*! RFC 5280 CRLReason names ("keyCompromise" ...) and back; NULL / -1 when unknown. */
const char *ca_reason_name(int reason);
int ca_reason_parse(const char *name);
