/* The RA's CMP client (ra_cmp.h): requests queued on the loop, exchanged by RA_CMP_WORKERS worker threads with
 * OpenSSL's CMP client (each request by one of them, from its first exchange to its last retry), results handed back
 * through an eventfd in the order they end. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cmp.h>
#include <openssl/cmperr.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "ra_cmp.h"

#define OID_CERT_PROFILE "1.3.6.1.5.5.7.4.21" /* id-it-certProfile (RFC 9483 section 4.1.1) */

const char *const ra_cmp_status_names[RA_CMP_N_STATUS] = {
	[RA_CMP_DONE] = "done",
	[RA_CMP_REJECTED] = "rejected",
	[RA_CMP_UNREACHABLE] = "unreachable",
	[RA_CMP_ERROR] = "error",
};

enum ra_op {
	OP_P10CR,
	OP_KUR, /* same key: the old certificate's public key, raVerified */
	OP_RR,
	OP_GENM,
};

/* One request, from the loop to the worker and back. Plain malloc (calloc/free), never talloc: the worker fills
 * it; only the loop thread allocates and frees it. */
struct ra_req {
	struct llist_head list;
	enum ra_op op;
	X509_REQ *csr;			      /* OP_P10CR */
	X509 *cert;			      /* OP_RR: the certificate to revoke; OP_KUR: the old one */
	X509_NAME *subject;		      /* OP_KUR: the new subject; NULL: the old one's */
	int reason;			      /* OP_RR: CRLReason, -1 none */
	char profile[RA_CMP_PROFILE_MAX + 1]; /* OP_P10CR, OP_KUR; "" none */
	char pairs[RA_CMP_PAIRS_MAX + 1];     /* OP_P10CR: "holder?ID%iccid?ICCID%" (RFC 4211 utf8Pairs); OP_KUR:
					       * "purpose?P%"; "" none */
	uint8_t txid[RA_CMP_TXID_LEN];	      /* OP_P10CR, OP_KUR: the transactionID of every exchange, when has_txid */
	bool has_txid;
	ra_cmp_cb cb;
	void *priv;
	struct ra_cmp_result res; /* filled by the worker; cert and chain point into the two buffers below */
	uint8_t *cert_der, *chain_der;
};

struct ra_cmp {
	char *host, *path; /* from the URL */
	int port;
	unsigned retry_min_s, retry_max_s, timeout_s;
	X509 *ra_cert; /* read-only once the worker runs */
	EVP_PKEY *ra_key;
	STACK_OF(X509) * chain; /* NULL: none configured */
	X509_STORE *trust;
	pthread_mutex_t lock; /* guards queue, done and stop */
	pthread_cond_t wake;  /* a request queued, or stop (broadcast: a worker waiting to retry waits on it too) */
	struct llist_head queue, done;
	bool stop;
	pthread_t threads[RA_CMP_WORKERS];
	unsigned n_threads; /* started */
	struct osmo_fd ofd; /* the eventfd: a result is in done */
	unsigned pending;   /* queued and not yet called back (loop thread only) */
};

static void sk_X509_pop_free_all(STACK_OF(X509) * sk)
{
	sk_X509_pop_free(sk, X509_free);
}

/* ---- the worker ---------------------------------------------------------------------------------------------- */

static void req_free(struct ra_req *r)
{
	X509_REQ_free(r->csr);
	X509_free(r->cert);
	X509_NAME_free(r->subject);
	free(r->cert_der);
	free(r->chain_der);
	free(r);
}

static void set_text(struct ra_req *r, const char *s)
{
	snprintf(r->res.text, sizeof(r->res.text), "%s", s);
}

/* The last OpenSSL error as text; whether any error in the queue says the CA could not be reached. */
static bool drain_errors(char *text, size_t len)
{
	bool transfer = false;
	unsigned long e;
	const char *data;
	int flags;

	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags))) {
		if (ERR_GET_LIB(e) == ERR_LIB_CMP &&
		    (ERR_GET_REASON(e) == CMP_R_TRANSFER_ERROR || ERR_GET_REASON(e) == CMP_R_TOTAL_TIMEOUT))
			transfer = true;
		if (ERR_GET_LIB(e) == ERR_LIB_HTTP)
			transfer = true;
		ERR_error_string_n(e, text, len);
		if ((flags & ERR_TXT_STRING) && data && *data) {
			size_t n = strlen(text);

			snprintf(text + n, len - n, " (%s)", data);
		}
	}
	return transfer;
}

#define OID_UTF8_PAIRS "1.3.6.1.5.5.7.5.2.1" /* id-regInfo-utf8Pairs (RFC 4211 section 7.1) */

/* One ITAV of the header's generalInfo: \a oid_text with a value of ASN.1 \a type whose content is \a b. */
static int push_geninfo(OSSL_CMP_CTX *ctx, const char *oid_text, int type, const void *b, size_t len)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(oid_text, 1);
	ASN1_STRING *str = ASN1_STRING_type_new(type);
	ASN1_TYPE *val = ASN1_TYPE_new();
	OSSL_CMP_ITAV *itav;

	if (!oid || !str || !val || !ASN1_STRING_set(str, b, (int)len))
		goto fail;
	ASN1_TYPE_set(val, type, str);
	str = NULL;
	itav = OSSL_CMP_ITAV_create(oid, val);
	if (!itav)
		goto fail;
	if (!OSSL_CMP_CTX_push0_geninfo_ITAV(ctx, itav)) {
		OSSL_CMP_ITAV_free(itav);
		return -ENOMEM;
	}
	return 0;
fail:
	ASN1_OBJECT_free(oid);
	ASN1_STRING_free(str);
	ASN1_TYPE_free(val);
	return -ENOMEM;
}

/* The header's generalInfo utf8Pairs: the holder id and the card the request is for, "name?value%" each. The CA
 * takes them from a registration authority it trusts (the request is RA-signed). */
static int push_pairs(OSSL_CMP_CTX *ctx, const char *pairs)
{
	return push_geninfo(ctx, OID_UTF8_PAIRS, V_ASN1_UTF8STRING, pairs, strlen(pairs));
}

/* The header's generalInfo id-it-certProfile: a SEQUENCE OF UTF8String with the one profile name. */
static int push_profile(OSSL_CMP_CTX *ctx, const char *profile)
{
	size_t n = strlen(profile); /* at most RA_CMP_PROFILE_MAX: short DER lengths */
	uint8_t der[RA_CMP_PROFILE_MAX + 4] = { 0x30, (uint8_t)(n + 2), 0x0c, (uint8_t)n };

	memcpy(der + 4, profile, n);
	return push_geninfo(ctx, OID_CERT_PROFILE, V_ASN1_SEQUENCE, der, n + 4);
}

/* The header's transactionID: \a txid (RA_CMP_TXID_LEN bytes) instead of a random one. */
static int set_txid(OSSL_CMP_CTX *ctx, const uint8_t *txid)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	int ok = os && ASN1_OCTET_STRING_set(os, txid, RA_CMP_TXID_LEN) && OSSL_CMP_CTX_set1_transactionID(ctx, os);

	ASN1_OCTET_STRING_free(os);
	return ok ? 0 : -ENOMEM;
}

static OSSL_CMP_CTX *new_ctx(struct ra_cmp *ra)
{
	OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);

	if (!ctx)
		return NULL;
	if (!OSSL_CMP_CTX_set1_server(ctx, ra->host) || !OSSL_CMP_CTX_set_serverPort(ctx, ra->port) ||
	    !OSSL_CMP_CTX_set1_serverPath(ctx, ra->path) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_MSG_TIMEOUT, (int)ra->timeout_s) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_TOTAL_TIMEOUT, (int)(ra->timeout_s * RA_CMP_TOTAL_TIMEOUTS)) ||
	    !OSSL_CMP_CTX_set1_cert(ctx, ra->ra_cert) || !OSSL_CMP_CTX_set1_pkey(ctx, ra->ra_key) ||
	    (ra->chain && !OSSL_CMP_CTX_set1_untrusted(ctx, ra->chain)) || !X509_STORE_up_ref(ra->trust))
		goto fail;
	if (!OSSL_CMP_CTX_set0_trustedStore(ctx, ra->trust)) {
		X509_STORE_free(ra->trust);
		goto fail;
	}
	/* an issued certificate must chain to the trust anchor too: else certConf rejects it */
	if (!OSSL_CMP_CTX_set_certConf_cb(ctx, OSSL_CMP_certConf_cb) ||
	    !OSSL_CMP_CTX_set_certConf_cb_arg(ctx, ra->trust))
		goto fail;
	return ctx;
fail:
	OSSL_CMP_CTX_free(ctx);
	return NULL;
}

/* DER of certificates [from, n) of \a sk, concatenated, into a malloc'd buffer. */
static int chain_der(STACK_OF(X509) * sk, int from, uint8_t **out, size_t *len, unsigned *count)
{
	int total = 0, n;
	uint8_t *p;

	for (int i = from; i < sk_X509_num(sk); i++) {
		n = i2d_X509(sk_X509_value(sk, i), NULL);
		if (n <= 0)
			return -EINVAL;
		total += n;
	}
	if (!total)
		return 0;
	*out = p = malloc((size_t)total);
	if (!p)
		return -ENOMEM;
	for (int i = from; i < sk_X509_num(sk); i++)
		i2d_X509(sk_X509_value(sk, i), &p);
	*len = (size_t)total;
	*count = (unsigned)(sk_X509_num(sk) - from);
	return 0;
}

/* The chain built when the certificate was checked (it starts with the certificate itself and leaves out the
 * self-signed root), then the CA certificates the CA published in the response (caPubs) not already in it. */
static STACK_OF(X509) * chain_of(OSSL_CMP_CTX *ctx, X509 *cert)
{
	STACK_OF(X509) *chain = OSSL_CMP_CTX_get1_newChain(ctx), *pubs = OSSL_CMP_CTX_get1_caPubs(ctx);
	X509 *x;

	if (!chain)
		chain = sk_X509_new_null();
	if (chain && sk_X509_num(chain) > 0 && !X509_cmp(sk_X509_value(chain, 0), cert))
		X509_free(sk_X509_shift(chain));
	while (chain && (x = sk_X509_shift(pubs))) {
		bool dup = false;

		for (int i = 0; i < sk_X509_num(chain); i++)
			dup |= !X509_cmp(sk_X509_value(chain, i), x);
		if (dup || !sk_X509_push(chain, x))
			X509_free(x);
	}
	sk_X509_pop_free_all(pubs);
	return chain;
}

static int take_cert(struct ra_req *r, OSSL_CMP_CTX *ctx, X509 *cert)
{
	STACK_OF(X509) *chain = chain_of(ctx, cert);
	uint8_t *p;
	int n = i2d_X509(cert, NULL), rc = 0;

	if (n <= 0 || n > RA_CMP_CERT_MAX || !(r->cert_der = p = malloc((size_t)n)))
		rc = -ENOMEM;
	else
		r->res.cert_len = (size_t)i2d_X509(cert, &p);
	if (!rc && chain)
		rc = chain_der(chain, 0, &r->chain_der, &r->res.chain_len, &r->res.chain_n);
	sk_X509_pop_free_all(chain);
	return rc;
}

static void take_cacerts(struct ra_req *r, STACK_OF(OSSL_CMP_ITAV) * itavs)
{
	for (int i = 0; i < sk_OSSL_CMP_ITAV_num(itavs); i++) {
		OSSL_CMP_ITAV *itav = sk_OSSL_CMP_ITAV_value(itavs, i);

		if (OBJ_obj2nid(OSSL_CMP_ITAV_get0_type(itav)) != NID_id_it_caCerts)
			continue;
		/* 3.0 has no accessor for caCerts: infoValue is a union, and for this type it holds the stack */
		STACK_OF(X509) *sk = (STACK_OF(X509) *)OSSL_CMP_ITAV_get0_value(itav);

		if (sk && !r->chain_der)
			chain_der(sk, 0, &r->chain_der, &r->res.chain_len, &r->res.chain_n);
	}
}

/* One exchange. \returns true when it is worth trying again (the CA did not answer). */
static bool exchange(struct ra_cmp *ra, struct ra_req *r)
{
	OSSL_CMP_CTX *ctx = new_ctx(ra);
	STACK_OF(OSSL_CMP_ITAV) *itavs = NULL;
	X509 *cert = NULL;
	bool ok = false, transfer;
	char buf[RA_CMP_TEXT_MAX];
	int st, fi;

	ERR_clear_error();
	r->res.attempts++;
	if (!ctx) {
		r->res.status = RA_CMP_ERROR;
		set_text(r, "cannot set up the CMP context");
		return false;
	}
	switch (r->op) {
	case OP_P10CR:
		if (!OSSL_CMP_CTX_set1_p10CSR(ctx, r->csr) || (r->profile[0] && push_profile(ctx, r->profile)) ||
		    (r->pairs[0] && push_pairs(ctx, r->pairs)) || (r->has_txid && set_txid(ctx, r->txid)))
			break;
		cert = OSSL_CMP_exec_certreq(ctx, OSSL_CMP_P10CR, NULL);
		ok = cert && !take_cert(r, ctx, cert);
		break;
	case OP_KUR: {
		/* the template's key: the old certificate's public key only (the SIM keeps the private one); the RA
		 * vouches for possession (raVerified) */
		EVP_PKEY *pub = X509_get_pubkey(r->cert);

		if (!pub || !OSSL_CMP_CTX_set0_newPkey(ctx, 0, pub)) {
			EVP_PKEY_free(pub);
			break;
		}
		if (!OSSL_CMP_CTX_set1_oldCert(ctx, r->cert) ||
		    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_POPO_METHOD, OSSL_CRMF_POPO_RAVERIFIED) ||
		    (r->subject && !OSSL_CMP_CTX_set1_subjectName(ctx, r->subject)) ||
		    (r->profile[0] && push_profile(ctx, r->profile)) || push_pairs(ctx, r->pairs) ||
		    (r->has_txid && set_txid(ctx, r->txid)))
			break;
		cert = OSSL_CMP_exec_certreq(ctx, OSSL_CMP_KUR, NULL);
		ok = cert && !take_cert(r, ctx, cert);
		break;
	}
	case OP_RR:
		if (!OSSL_CMP_CTX_set1_oldCert(ctx, r->cert) ||
		    (r->reason >= 0 && !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_REVOCATION_REASON, r->reason)))
			break;
		ok = OSSL_CMP_exec_RR_ses(ctx) == 1;
		break;
	case OP_GENM: {
		OSSL_CMP_ITAV *q = OSSL_CMP_ITAV_create(OBJ_nid2obj(NID_id_it_caCerts), NULL);

		if (!q || !OSSL_CMP_CTX_push0_genm_ITAV(ctx, q)) {
			OSSL_CMP_ITAV_free(q);
			break;
		}
		itavs = OSSL_CMP_exec_GENM_ses(ctx);
		ok = itavs != NULL;
		if (ok)
			take_cacerts(r, itavs);
		break;
	}
	}
	st = OSSL_CMP_CTX_get_status(ctx);
	fi = OSSL_CMP_CTX_get_failInfoCode(ctx);
	r->res.pki_status = st < 0 ? -1 : st;
	r->res.fail_info = fi > 0 ? (unsigned long)fi : 0;
	buf[0] = 0;
	transfer = drain_errors(buf, sizeof(buf));
	if (ok) {
		r->res.status = RA_CMP_DONE;
		r->res.text[0] = 0;
	} else if (st == OSSL_CMP_PKISTATUS_rejection || (st >= 0 && !transfer && fi > 0)) {
		char status[RA_CMP_TEXT_MAX];

		r->res.status = RA_CMP_REJECTED;
		if (!OSSL_CMP_CTX_snprint_PKIStatus(ctx, status, sizeof(status)))
			snprintf(status, sizeof(status), "PKIStatus %d", st);
		set_text(r, status);
	} else if (transfer) {
		r->res.status = RA_CMP_UNREACHABLE;
		set_text(r, buf[0] ? buf : "no answer");
	} else {
		r->res.status = RA_CMP_ERROR;
		set_text(r, buf[0] ? buf : "the exchange failed");
	}
	X509_free(cert);
	sk_OSSL_CMP_ITAV_pop_free(itavs, OSSL_CMP_ITAV_free);
	OSSL_CMP_CTX_free(ctx);
	ERR_clear_error();
	return r->res.status == RA_CMP_UNREACHABLE;
}

/* Wait \a s seconds, or until stop. \returns true when stopped. Called with the lock held. */
static bool wait_or_stop(struct ra_cmp *ra, unsigned s)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += s;
	while (!ra->stop)
		if (pthread_cond_timedwait(&ra->wake, &ra->lock, &until) == ETIMEDOUT)
			break;
	return ra->stop;
}

static void run(struct ra_cmp *ra, struct ra_req *r)
{
	unsigned wait = ra->retry_min_s;
	bool stopped;

	while (exchange(ra, r) && wait && wait <= ra->retry_max_s) {
		pthread_mutex_lock(&ra->lock);
		stopped = wait_or_stop(ra, wait);
		pthread_mutex_unlock(&ra->lock);
		if (stopped)
			return;
		wait = wait > ra->retry_max_s / 2 ? ra->retry_max_s + 1 : wait * 2;
	}
	r->res.cert = r->cert_der;
	r->res.chain = r->chain_der;
}

static void *worker(void *arg)
{
	struct ra_cmp *ra = arg;
	struct ra_req *r;
	uint64_t one = 1;

	pthread_mutex_lock(&ra->lock);
	for (;;) {
		while (!ra->stop && llist_empty(&ra->queue))
			pthread_cond_wait(&ra->wake, &ra->lock);
		if (ra->stop)
			break;
		r = llist_first_entry(&ra->queue, struct ra_req, list);
		llist_del(&r->list);
		pthread_mutex_unlock(&ra->lock);
		run(ra, r);
		pthread_mutex_lock(&ra->lock);
		llist_add_tail(&r->list, &ra->done); /* stopped mid-wait: freed by ra_cmp_free() without a call */
		if (write(ra->ofd.fd, &one, sizeof(one)) < 0) {
			/* the counter is full: the loop reads it anyway */
		}
	}
	pthread_mutex_unlock(&ra->lock);
	OPENSSL_thread_stop();
	return NULL;
}

/* ---- the loop side ------------------------------------------------------------------------------------------- */

static int done_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct ra_cmp *ra = ofd->data;
	struct ra_req *r, *tmp;
	LLIST_HEAD(done);
	uint64_t n;

	if (read(ofd->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&ra->lock);
	llist_splice_init(&ra->done, &done);
	pthread_mutex_unlock(&ra->lock);
	llist_for_each_entry_safe(r, tmp, &done, list)
	{
		llist_del(&r->list);
		ra->pending--;
		r->cb(&r->res, r->priv);
		req_free(r);
	}
	return 0;
}

static int queue(struct ra_cmp *ra, struct ra_req *r, ra_cmp_cb cb, void *priv)
{
	if (ra->pending >= RA_CMP_QUEUE_MAX) {
		req_free(r);
		return -ENOSPC;
	}
	r->cb = cb;
	r->priv = priv;
	r->res.pki_status = -1;
	ra->pending++;
	pthread_mutex_lock(&ra->lock);
	llist_add_tail(&r->list, &ra->queue);
	pthread_cond_broadcast(&ra->wake);
	pthread_mutex_unlock(&ra->lock);
	return 0;
}

static bool profile_ok(const char *p)
{
	size_t n = strlen(p);

	if (n < 1 || n > RA_CMP_PROFILE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return false;
	return true;
}

/* Whether \a v may be a utf8Pairs value: 1 to RA_CMP_PROFILE_MAX printable characters, none of '?' and '%'. */
static bool pair_value_ok(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > RA_CMP_PROFILE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f || v[i] == '?' || v[i] == '%')
			return false;
	return true;
}

int ra_cmp_p10cr_async(struct ra_cmp *ra, const uint8_t *csr, size_t len, const char *profile, const char *holder_id,
		       const char *iccid, const uint8_t *txid, ra_cmp_cb cb, void *priv)
{
	const uint8_t *p = csr;
	struct ra_req *r;
	EVP_PKEY *pub;

	if (!csr || len < 1 || len > RA_CMP_CSR_MAX || (profile && !profile_ok(profile)) || !cb ||
	    (holder_id && !pair_value_ok(holder_id)) || (iccid && !pair_value_ok(iccid)))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->op = OP_P10CR;
	snprintf(r->pairs, sizeof(r->pairs), "%s%s%s%s%s%s", holder_id ? "holder?" : "", holder_id ? holder_id : "",
		 holder_id ? "%" : "", iccid ? "iccid?" : "", iccid ? iccid : "", iccid ? "%" : "");
	r->csr = d2i_X509_REQ(NULL, &p, (long)len);
	pub = r->csr ? X509_REQ_get0_pubkey(r->csr) : NULL;
	if (!r->csr || p != csr + len || !pub || X509_REQ_verify(r->csr, pub) != 1) {
		ERR_clear_error();
		req_free(r);
		return -EINVAL;
	}
	if (profile)
		snprintf(r->profile, sizeof(r->profile), "%s", profile);
	if (txid) {
		memcpy(r->txid, txid, sizeof(r->txid));
		r->has_txid = true;
	}
	return queue(ra, r, cb, priv);
}

int ra_cmp_revoke_async(struct ra_cmp *ra, const uint8_t *cert, size_t len, int reason, ra_cmp_cb cb, void *priv)
{
	const uint8_t *p = cert;
	struct ra_req *r;

	/* 8 removeFromCRL: the release of a certificate on hold (certificateHold, 6) */
	if (!cert || len < 1 || len > RA_CMP_CERT_MAX || reason < -1 || reason > 10 || reason == 7 || !cb)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->op = OP_RR;
	r->reason = reason;
	r->cert = d2i_X509(NULL, &p, (long)len);
	if (!r->cert || p != cert + len) {
		ERR_clear_error();
		req_free(r);
		return -EINVAL;
	}
	return queue(ra, r, cb, priv);
}

int ra_cmp_cacerts_async(struct ra_cmp *ra, ra_cmp_cb cb, void *priv)
{
	struct ra_req *r;

	if (!cb)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->op = OP_GENM;
	return queue(ra, r, cb, priv);
}

unsigned ra_cmp_pending(const struct ra_cmp *ra)
{
	return ra->pending;
}

/* ---- set-up -------------------------------------------------------------------------------------------------- */

static int load_certs(const char *path, STACK_OF(X509) * *out, char *err, size_t errlen)
{
	BIO *b = BIO_new_file(path, "r");
	STACK_OF(X509) * sk;
	X509 *x;

	if (!b) {
		snprintf(err, errlen, "%s: cannot read it", path);
		return -ENOENT;
	}
	sk = sk_X509_new_null();
	while (sk && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	BIO_free(b);
	ERR_clear_error(); /* the end of the file */
	if (!sk || !sk_X509_num(sk)) {
		sk_X509_pop_free_all(sk);
		snprintf(err, errlen, "%s: no PEM certificate in it", path);
		return -EBADMSG;
	}
	*out = sk;
	return 0;
}

static int load_key(const char *path, EVP_PKEY **out, char *err, size_t errlen)
{
	BIO *b = BIO_new_file(path, "r");

	if (!b) {
		snprintf(err, errlen, "%s: cannot read it", path);
		return -ENOENT;
	}
	*out = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	if (!*out) {
		snprintf(err, errlen, "%s: no PEM private key in it (or it is encrypted)", path);
		return -EBADMSG;
	}
	return 0;
}

static int ra_destructor(struct ra_cmp *ra)
{
	struct ra_req *r, *tmp;

	if (ra->n_threads) {
		pthread_mutex_lock(&ra->lock);
		ra->stop = true;
		pthread_cond_broadcast(&ra->wake);
		pthread_mutex_unlock(&ra->lock);
		for (unsigned i = 0; i < ra->n_threads; i++)
			pthread_join(ra->threads[i], NULL);
	}
	if (ra->ofd.fd >= 0) {
		osmo_fd_unregister(&ra->ofd);
		close(ra->ofd.fd);
	}
	llist_for_each_entry_safe(r, tmp, &ra->queue, list) req_free(r);
	llist_for_each_entry_safe(r, tmp, &ra->done, list) req_free(r);
	pthread_cond_destroy(&ra->wake);
	pthread_mutex_destroy(&ra->lock);
	X509_free(ra->ra_cert);
	EVP_PKEY_free(ra->ra_key);
	sk_X509_pop_free_all(ra->chain);
	X509_STORE_free(ra->trust);
	return 0;
}

static int parse_url(struct ra_cmp *ra, const char *url, char *err, size_t errlen)
{
	char *host = NULL, *path = NULL;
	int ssl = 0, port = 0;

	if (!url || !OSSL_HTTP_parse_url(url, &ssl, NULL, &host, NULL, &port, &path, NULL, NULL)) {
		ERR_clear_error();
		snprintf(err, errlen, "cmp-url %s: not an http://HOST[:PORT]/PATH URL", url ? url : "(none)");
		return -EINVAL;
	}
	if (ssl) {
		snprintf(err, errlen, "cmp-url %s: https is not supported (CMP messages are signed; use http)", url);
		OPENSSL_free(host);
		OPENSSL_free(path);
		return -EINVAL;
	}
	ra->host = talloc_strdup(ra, host);
	ra->path = talloc_strdup(ra, path);
	ra->port = port;
	OPENSSL_free(host);
	OPENSSL_free(path);
	return ra->host && ra->path ? 0 : -ENOMEM;
}

static int load_files(struct ra_cmp *ra, const struct ra_cmp_cfg *cfg, char *err, size_t errlen)
{
	STACK_OF(X509) *sk = NULL;
	int rc;

	if (!cfg->ra_cert || !cfg->ra_key || !cfg->trust_anchor) {
		snprintf(err, errlen, "ra-cert, ra-key and trust-anchor are needed");
		return -EINVAL;
	}
	rc = load_certs(cfg->ra_cert, &sk, err, errlen);
	if (rc)
		return rc;
	ra->ra_cert = sk_X509_shift(sk);
	sk_X509_pop_free_all(sk); /* the RA certificate's file may hold its chain: the first is the RA's */
	sk = NULL;
	rc = load_key(cfg->ra_key, &ra->ra_key, err, errlen);
	if (rc)
		return rc;
	if (X509_check_private_key(ra->ra_cert, ra->ra_key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "%s is not the key of %s", cfg->ra_key, cfg->ra_cert);
		return -EBADMSG;
	}
	if (cfg->ca_chain && (rc = load_certs(cfg->ca_chain, &ra->chain, err, errlen)))
		return rc;
	rc = load_certs(cfg->trust_anchor, &sk, err, errlen);
	if (rc)
		return rc;
	ra->trust = X509_STORE_new();
	for (int i = 0; ra->trust && i < sk_X509_num(sk); i++)
		if (!X509_STORE_add_cert(ra->trust, sk_X509_value(sk, i)))
			rc = -ENOMEM;
	sk_X509_pop_free_all(sk);
	return ra->trust ? rc : -ENOMEM;
}

int ra_cmp_alloc(void *ctx, const struct ra_cmp_cfg *cfg, struct ra_cmp **out, char *err, size_t errlen)
{
	struct ra_cmp *ra = talloc_zero(ctx, struct ra_cmp);
	int rc, fd;

	err[0] = 0;
	if (!ra)
		return -ENOMEM;
	ra->ofd.fd = -1;
	INIT_LLIST_HEAD(&ra->queue);
	INIT_LLIST_HEAD(&ra->done);
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->wake, NULL);
	talloc_set_destructor(ra, ra_destructor);
	if (cfg->timeout_s < 1 || cfg->retry_min_s > cfg->retry_max_s) {
		snprintf(err, errlen, "timeout must be 1 s or more; retry min-seconds at most max-seconds");
		rc = -EINVAL;
		goto fail;
	}
	ra->retry_min_s = cfg->retry_min_s;
	ra->retry_max_s = cfg->retry_max_s;
	ra->timeout_s = cfg->timeout_s;
	rc = parse_url(ra, cfg->url, err, errlen);
	if (!rc)
		rc = load_files(ra, cfg, err, errlen);
	if (rc)
		goto fail;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	osmo_fd_setup(&ra->ofd, fd, OSMO_FD_READ, done_cb, ra, 0);
	if (osmo_fd_register(&ra->ofd)) {
		close(fd);
		ra->ofd.fd = -1;
		rc = -EIO;
		goto fail;
	}
	for (unsigned i = 0; i < RA_CMP_WORKERS; i++) {
		rc = -pthread_create(&ra->threads[i], NULL, worker, ra);
		if (rc) {
			snprintf(err, errlen, "cannot start the CMP workers: %s", strerror(-rc));
			goto fail;
		}
		ra->n_threads++;
	}
	*out = ra;
	return 0;
fail:
	if (!err[0])
		snprintf(err, errlen, "out of memory");
	talloc_free(ra);
	return rc;
}

void ra_cmp_free(struct ra_cmp *ra)
{
	talloc_free(ra);
}

int ra_cmp_kur_same_key_async(struct ra_cmp *ra, const uint8_t *old, size_t old_len, const uint8_t *subject,
			      size_t subject_len, const char *profile, const char *purpose, const uint8_t *txid,
			      ra_cmp_cb cb, void *priv)
{
	const uint8_t *p = old;
	struct ra_req *r;

	if (!old || old_len < 1 || old_len > RA_CMP_CERT_MAX ||
	    (subject && (subject_len < 2 || subject_len > RA_CMP_SUBJECT_MAX)) || (profile && !profile_ok(profile)) ||
	    !purpose || (strcmp(purpose, "modification") && strcmp(purpose, "renewal")) || !cb)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->op = OP_KUR;
	r->cert = d2i_X509(NULL, &p, (long)old_len);
	if (!r->cert || p != old + old_len) {
		ERR_clear_error();
		req_free(r);
		return -EINVAL;
	}
	if (subject) {
		p = subject;
		r->subject = d2i_X509_NAME(NULL, &p, (long)subject_len);
		if (!r->subject || p != subject + subject_len || X509_NAME_entry_count(r->subject) < 1) {
			ERR_clear_error();
			req_free(r);
			return -EINVAL;
		}
	}
	snprintf(r->pairs, sizeof(r->pairs), "purpose?%s%%", purpose);
	if (profile)
		snprintf(r->profile, sizeof(r->profile), "%s", profile);
	if (txid) {
		memcpy(r->txid, txid, sizeof(r->txid));
		r->has_txid = true;
	}
	return queue(ra, r, cb, priv);
}
