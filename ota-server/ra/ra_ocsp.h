/* The registration authority's OCSP client (RFC 6960): is a certificate still good? Asked of the CA's responder over
 * HTTP (POST, application/ocsp-request) by a worker thread of its own, so the select loop never blocks; answers
 * handed back on the loop through an eventfd, as ra_cmp.h does.
 *
 *   ra_ocsp_alloc()   load the CA certificates (the issuers of the certificates asked about; the responses must
 *                     chain to them: the CA's key, or a delegated signer it issued); start the worker
 *   ra_ocsp_async()   the status of a certificate (DER): good, revoked, unknown, or an error (no answer in time,
 *                     an answer that does not verify, a nonce that does not match)
 *   ra_ocsp_cancel()  forget the callbacks of \a priv (its owner ends before the answer)
 *
 * A short cache keyed by the certificate's serial number (cache_s seconds, 0: none) keeps a burst of signatures by
 * one holder from queueing as many exchanges: an answer younger than cache_s is given at once, and every request
 * for a serial whose exchange is under way waits for that exchange. Errors are not cached. Each request carries a
 * nonce, which the response must echo.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define RA_OCSP_QUEUE_MAX 1024
#define RA_OCSP_TEXT_MAX 160

struct ra_ocsp_cfg {
	const char *url;      /* http://HOST[:PORT]/PATH, e.g. http://127.0.0.1:8491/ocsp */
	const char *issuers;  /* PEM: the CA certificate(s): issuers and trust for the responses */
	const char *issuers2; /* PEM, optional: more of them (a chain file) */
	unsigned timeout_s;   /* one exchange's time limit (default 5) */
	unsigned cache_s;     /* how long an answer is reused (default 30; 0: never) */
};

enum ra_ocsp_status {
	RA_OCSP_GOOD,
	RA_OCSP_REVOKED,
	RA_OCSP_UNKNOWN, /* the responder does not know the certificate */
	RA_OCSP_ERROR,	 /* no answer, or one that cannot be trusted: text says why */
	RA_OCSP_N_STATUS,
};
extern const char *const ra_ocsp_status_names[RA_OCSP_N_STATUS];

/*! Called on the select loop (or from within ra_ocsp_async(), when the cache answers). */
typedef void (*ra_ocsp_cb)(enum ra_ocsp_status st, const char *text, void *priv);

struct ra_ocsp;

/*! \returns 0; -EINVAL (a bad URL), -ENOENT (no issuer certificate readable), -errno; \a err says why */
int ra_ocsp_alloc(void *ctx, const struct ra_ocsp_cfg *cfg, struct ra_ocsp **out, char *err, size_t errlen);
/*! Stop the worker (an exchange under way is finished first) and free everything; no callback is called. */
void ra_ocsp_free(struct ra_ocsp *o);
/*! Ask for the status of \a cert (DER). \a cb is called once, maybe before this returns (a cached answer).
 *  \returns 0; -EINVAL (not a certificate, or none of the issuers issued it); -ENOSPC; -ENOMEM */
int ra_ocsp_async(struct ra_ocsp *o, const uint8_t *cert, size_t len, ra_ocsp_cb cb, void *priv);
/*! Forget every callback waiting with \a priv. */
void ra_ocsp_cancel(struct ra_ocsp *o, void *priv);
/*! Exchanges asked of the responder so far, answers given from the cache. */
void ra_ocsp_stats(const struct ra_ocsp *o, unsigned long *asked, unsigned long *cached);
