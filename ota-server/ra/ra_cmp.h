/* The registration authority's CMP client (RFC 4210, RFC 9483's lightweight profile): one CA reached over HTTP,
 * every exchange run by a worker thread so the select loop never blocks, results handed back on the loop.
 *
 *   ra_cmp_alloc()          load the RA's certificate and key, the CA chain and the trust anchor; start the worker
 *   ra_cmp_p10cr_async()    a PKCS#10 request (DER, signed by the key's holder: the SIM) -> p10cr; the profile
 *                           travels in the header's generalInfo as id-it-certProfile (1.3.6.1.5.5.7.4.21, a
 *                           SEQUENCE OF UTF8String of one name); the certificate is confirmed (certConf); the
 *                           caller's transactionID, when it gives one, in every exchange of the request
 *   ra_cmp_kur_same_key_async()  kur for the key of an old certificate (DER), the same key: a new subject
 *                           (modification) or a new validity (renewal), the purpose in generalInfo utf8Pairs
 *   ra_cmp_revoke_async()   rr for a certificate (DER) with a CRLReason (certificateHold: a suspension;
 *                           removeFromCRL: its release)
 *   ra_cmp_cacerts_async()  genm id-it-caCerts (1.3.6.1.5.5.7.4.17): the CA's certificates, when the CA answers it
 *   (callback on the loop)  struct ra_cmp_result; it and its buffers are freed after the callback returns
 *
 * Every request message is signed with the RA's key (signature-based protection; the RA certificate and the CA
 * chain go in extraCerts); every response must be signed by a certificate that chains to the trust anchor, and an
 * issued certificate must chain to it too (the CA chain may supply intermediates). Nothing here is specific to one
 * CA product: whatever speaks CMP over HTTP with signature protection (simpki-ca, EJBCA in RA mode, ...) fits.
 *
 * Outcomes: issued (or revoked, or the CA certificates received); rejected: the CA answered with a PKIStatus of
 * rejection (its failInfo bits and text are reported) and is never asked again; unreachable: no answer (connection
 * refused (OpenSSL tries to connect again until the message time-out), a time-out, an HTTP error; a CA still
 * saying 'waiting' when the exchange's time is up counts as this too): asked again after retry_min_s seconds, then twice as long each time, as long
 * as the wait stays within retry_max_s; then reported unreachable; error: an answer that cannot be trusted or read
 * (bad protection, an unexpected message), never retried.
 *
 * Threads: RA_CMP_WORKERS workers, each taking the oldest waiting request and running it to its end (retries
 * included), so up to RA_CMP_WORKERS exchanges are under way at once and results come back in the order they end,
 * not the order asked (each request has its own callback). A worker touches only its own OSSL_CMP_CTX per attempt
 * and the shared, read-only certificates, key and trust store (reference-counted, thread-safe OpenSSL objects);
 * requests and results cross under one mutex; a worker wakes the loop through an eventfd registered as an osmo_fd.
 * At most RA_CMP_QUEUE_MAX requests wait or run.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define RA_CMP_QUEUE_MAX 1024
#define RA_CMP_CSR_MAX 8192   /* bytes of a PKCS#10 request */
#define RA_CMP_CERT_MAX 16384 /* bytes of a certificate */
#define RA_CMP_PROFILE_MAX 64
#define RA_CMP_PAIRS_MAX 160 /* "holder?ID%iccid?ICCID%" */
#define RA_CMP_TEXT_MAX 256
#define RA_CMP_TXID_LEN 16	/* bytes of a transactionID given to ra_cmp_p10cr_async() (RFC 4210: 128 bits) */
#define RA_CMP_TOTAL_TIMEOUTS 6 /* an exchange, polling included, may take this many message time-outs */
#define RA_CMP_WORKERS 4	/* exchanges under way at once */
#define RA_CMP_SUBJECT_MAX 2048 /* bytes of a subject (DER Name) given to ra_cmp_kur_same_key_async() */

struct ra_cmp_cfg {
	const char *url;      /* http://HOST[:PORT]/PATH, e.g. http://127.0.0.1:8490/pkix/ (https is refused) */
	const char *ra_cert;  /* PEM: the RA's certificate, which signs (protects) every request */
	const char *ra_key;   /* PEM: its private key */
	const char *ca_chain; /* PEM, optional: the CA's certificates, sent in extraCerts and used to build chains */
	const char *trust_anchor; /* PEM: what the CA's responses and issued certificates must chain to */
	unsigned retry_min_s;	  /* the first wait before asking an unreachable CA again (0: never again) */
	unsigned retry_max_s;	  /* the longest wait; once the next would be longer: unreachable */
	unsigned timeout_s;	  /* one message's time limit (connecting, sending, the answer; 1 or more); a whole
				   * exchange, polling included, gets RA_CMP_TOTAL_TIMEOUTS times it */
};

enum ra_cmp_status {
	RA_CMP_DONE,	    /* issued, revoked, or the CA certificates received */
	RA_CMP_REJECTED,    /* the CA refused: pki_status, fail_info, text */
	RA_CMP_UNREACHABLE, /* no answer after every retry: text says the last failure */
	RA_CMP_ERROR,	    /* an answer that cannot be trusted or read, or a bad request here: text */
	RA_CMP_N_STATUS,
};
extern const char *const ra_cmp_status_names[RA_CMP_N_STATUS];

struct ra_cmp_result {
	enum ra_cmp_status status;
	int pki_status;		 /* the last PKIStatus received (0 accepted ... 6 keyUpdateWarning); -1: none */
	unsigned long fail_info; /* PKIFailureInfo bits (bit n: 1 << n, e.g. badPOP 9), 0 when none */
	char text[RA_CMP_TEXT_MAX];
	unsigned attempts;   /* exchanges tried (1 + retries) */
	const uint8_t *cert; /* issued: the certificate, DER */
	size_t cert_len;
	const uint8_t *chain; /* issued: the chain above it (issuer first, built against the trust anchor and
				   * the CA chain, without the self-signed root), then the CA certificates the response
				   * published (caPubs), concatenated DER; ra_cmp_cacerts_async(): the CA's certificates */
	size_t chain_len;
	unsigned chain_n; /* certificates in chain */
};

/*! Called on the select loop when a request is over; \a res is valid during the call only. It may queue new
 *  requests, but must not call ra_cmp_free(). */
typedef void (*ra_cmp_cb)(const struct ra_cmp_result *res, void *priv);

struct ra_cmp;

/*! Load \a cfg's files and start the worker (a talloc child of \a ctx; the strings of \a cfg are copied).
 *  \returns 0; -EINVAL (a bad URL or setting), -ENOENT/-EBADMSG (a file missing or unreadable, or a key that does
 *  not match the certificate), -ENOMEM, -errno (thread, eventfd); \a err says why */
int ra_cmp_alloc(void *ctx, const struct ra_cmp_cfg *cfg, struct ra_cmp **out, char *err, size_t errlen);
/*! Stop the worker (an exchange under way is finished first; waiting requests are dropped without a callback) and
 *  free everything. */
void ra_cmp_free(struct ra_cmp *ra);

/*! Ask for a certificate for the PKCS#10 request \a csr (DER, \a len bytes, its signature checked here first) under
 *  certificate profile \a profile (1 to RA_CMP_PROFILE_MAX printable characters; NULL: none sent). \a holder_id (the
 *  holder's stable id, for the certificate's permanentIdentifier) and \a iccid (the card, for the CA's records) go
 *  in the header's generalInfo as utf8Pairs (RFC 4211 section 7.1: "holder?ID%iccid?ICCID%"), each when not NULL:
 *  the request is RA-signed, so the CA may take them from us.
 *  \a txid: RA_CMP_TXID_LEN bytes (copied), the header's transactionID, the same in every exchange of this request
 *  (the first and each retry of an unreachable CA). A caller that stores it with the request and asks again after
 *  a crash with the same one lets a CA that keeps transactionIDs (simpki-ca: "Repeated transactions" in
 *  docs/ca.md) answer the certificate it issued then instead of a second one. NULL: OpenSSL draws a random one for
 *  each exchange, retries included.
 *  \returns 0 (\a cb will be called once); -EINVAL (a bad request, profile, holder id or ICCID); -ENOSPC (the
 *  queue is full); -ENOMEM */
int ra_cmp_p10cr_async(struct ra_cmp *ra, const uint8_t *csr, size_t len, const char *profile, const char *holder_id,
		       const char *iccid, const uint8_t *txid, ra_cmp_cb cb, void *priv);
/*! A new certificate for the key of certificate \a old (DER), the same key (kur, RFC 4210 §5.3.5, with the
 *  oldCertID control; the template carries the old certificate's public key and \a subject (DER Name, 2 to
 *  RA_CMP_SUBJECT_MAX bytes, at least one attribute; NULL: the old one's); proof of possession raVerified: the RA
 *  vouches, the SIM holds the key it has always held). \a purpose, "modification" or "renewal", goes in
 *  generalInfo as utf8Pairs "purpose?modification%" or "purpose?renewal%": the CA re-certifies a key only for a
 *  purpose its profile allows. \a profile as for p10cr (NULL: none sent, the CA keeps the old one's). \a txid as
 *  for p10cr (a repeated transaction answers the same certificate). The certificate is confirmed (certConf).
 *  simpki-ca's refusals (RA_CMP_REJECTED, fail_info bits, text): docs/ca.md "Same key". \returns as
 *  ra_cmp_p10cr_async() (-EINVAL also for another purpose, or an \a old or \a subject that does not parse) */
int ra_cmp_kur_same_key_async(struct ra_cmp *ra, const uint8_t *old, size_t old_len, const uint8_t *subject,
			      size_t subject_len, const char *profile, const char *purpose, const uint8_t *txid,
			      ra_cmp_cb cb, void *priv);
/*! Ask for the revocation of certificate \a cert (DER) with CRLReason \a reason (RFC 5280: 0 unspecified,
 *  1 keyCompromise, ... 6 certificateHold (a suspension), 8 removeFromCRL (the release of a suspension), ...
 *  10 aACompromise; not 7; -1: no reason sent). \returns as ra_cmp_p10cr_async() */
int ra_cmp_revoke_async(struct ra_cmp *ra, const uint8_t *cert, size_t len, int reason, ra_cmp_cb cb, void *priv);
/*! Ask for the CA's certificates (genm id-it-caCerts). A CA that answers without them gives RA_CMP_DONE with
 *  chain_n 0. \returns as ra_cmp_p10cr_async() */
int ra_cmp_cacerts_async(struct ra_cmp *ra, ra_cmp_cb cb, void *priv);

/*! Requests waiting or under way. */
unsigned ra_cmp_pending(const struct ra_cmp *ra);
