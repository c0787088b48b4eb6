/* The RA's OCSP client (ra_ocsp.h): a worker thread asks the responder; the cache and the callbacks live on the
 * select loop. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "ra_ocsp.h"

const char *const ra_ocsp_status_names[RA_OCSP_N_STATUS] = {
	[RA_OCSP_GOOD] = "good",
	[RA_OCSP_REVOKED] = "revoked",
	[RA_OCSP_UNKNOWN] = "unknown",
	[RA_OCSP_ERROR] = "error",
};

#define SERIAL_MAX 41

/* Someone waiting for a serial's answer. */
struct waiter {
	struct llist_head list;
	ra_ocsp_cb cb;
	void *priv;
};

/* A serial: its last answer (the cache) and who waits for the one under way. */
struct entry {
	struct llist_head list;
	char serial[SERIAL_MAX];
	enum ra_ocsp_status status;
	char text[RA_OCSP_TEXT_MAX];
	int64_t at_ms; /* when the answer came; 0: none yet */
	bool in_flight;
	struct llist_head waiters;
};

/* One exchange, from the loop to the worker and back. */
struct job {
	struct llist_head list;
	struct entry *e; /* touched on the loop only */
	X509 *cert, *issuer;
	enum ra_ocsp_status status;
	char text[RA_OCSP_TEXT_MAX];
};

struct ra_ocsp {
	char *host, *port, *path;
	unsigned timeout_s, cache_s;
	STACK_OF(X509) * issuers;
	X509_STORE *store;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	struct llist_head todo, done; /* struct job, under lock */
	unsigned queued;
	struct osmo_fd ofd;
	struct llist_head entries; /* the loop's */
	unsigned n_entries;
	unsigned long asked, cached;
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- the worker --------------------------------------------------------------------------------------------- */

static void set_err(struct job *j, const char *what)
{
	unsigned long e = ERR_peek_last_error();

	j->status = RA_OCSP_ERROR;
	snprintf(j->text, sizeof(j->text), "%s%s%s", what, e ? ": " : "", e ? ERR_reason_error_string(e) : "");
	ERR_clear_error();
}

static void exchange(struct ra_ocsp *o, struct job *j)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, j->cert, j->issuer);
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	BIO *rq = NULL, *rs = NULL;
	ASN1_GENERALIZEDTIME *this_upd, *next_upd, *rev;
	int st, reason;

	if (!req || !id || !OCSP_request_add0_id(req, id)) {
		OCSP_CERTID_free(id);
		id = NULL;
		set_err(j, "cannot build the request");
		goto out;
	}
	id = OCSP_CERTID_dup(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)));
	if (!id || !OCSP_request_add1_nonce(req, NULL, -1)) {
		set_err(j, "cannot build the request");
		goto out;
	}
	rq = ASN1_item_i2d_mem_bio(ASN1_ITEM_rptr(OCSP_REQUEST), (const ASN1_VALUE *)req);
	if (rq)
		rs = OSSL_HTTP_transfer(NULL, o->host, o->port, o->path, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL,
					"application/ocsp-request", rq, "application/ocsp-response", 1, 64 << 10,
					(int)o->timeout_s, 0);
	if (!rs) {
		set_err(j, "no answer from the OCSP responder");
		goto out;
	}
	resp = d2i_OCSP_RESPONSE_bio(rs, NULL);
	if (!resp || OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    !(bs = OCSP_response_get1_basic(resp))) {
		set_err(j, resp ? "the responder did not answer successfully" : "not an OCSP response");
		goto out;
	}
	if (OCSP_basic_verify(bs, o->issuers, o->store, 0) <= 0) {
		set_err(j, "the response does not verify");
		goto out;
	}
	if (OCSP_check_nonce(req, bs) != 1) {
		set_err(j, "the response does not echo the nonce");
		goto out;
	}
	if (!OCSP_resp_find_status(bs, id, &st, &reason, &rev, &this_upd, &next_upd)) {
		set_err(j, "the response says nothing of this certificate");
		goto out;
	}
	if (!OCSP_check_validity(this_upd, next_upd, 300, -1)) {
		set_err(j, "the response is not current");
		goto out;
	}
	j->status = st == V_OCSP_CERTSTATUS_GOOD    ? RA_OCSP_GOOD :
		    st == V_OCSP_CERTSTATUS_REVOKED ? RA_OCSP_REVOKED :
						      RA_OCSP_UNKNOWN;
	if (st == V_OCSP_CERTSTATUS_REVOKED)
		snprintf(j->text, sizeof(j->text), "revoked (reason %d)", reason);
	else
		snprintf(j->text, sizeof(j->text), "%s", ra_ocsp_status_names[j->status]);
out:
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OCSP_REQUEST_free(req);
	BIO_free(rq);
	BIO_free(rs);
}

static void *worker(void *arg)
{
	struct ra_ocsp *o = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		struct job *j;

		while (!o->stop && llist_empty(&o->todo))
			pthread_cond_wait(&o->wake, &o->lock);
		if (o->stop)
			break;
		j = llist_first_entry(&o->todo, struct job, list);
		llist_del(&j->list);
		pthread_mutex_unlock(&o->lock);
		exchange(o, j);
		pthread_mutex_lock(&o->lock);
		llist_add_tail(&j->list, &o->done);
		if (write(o->ofd.fd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow here; nothing to do */
		}
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

/* ---- the loop ----------------------------------------------------------------------------------------------- */

static void answer(struct ra_ocsp *o, struct entry *e)
{
	struct waiter *w;

	/* a callback may ask again or cancel: take the waiters one at a time */
	while (!llist_empty(&e->waiters)) {
		w = llist_first_entry(&e->waiters, struct waiter, list);
		llist_del(&w->list);
		w->cb(e->status, e->text, w->priv);
		talloc_free(w);
	}
}

static void free_job(struct job *j)
{
	X509_free(j->cert);
	X509_free(j->issuer);
	talloc_free(j);
}

static int done_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct ra_ocsp *o = ofd->data;
	uint64_t n;
	LLIST_HEAD(done);
	struct job *j, *tmp;

	if (read(ofd->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&o->lock);
	llist_splice_init(&o->done, &done);
	pthread_mutex_unlock(&o->lock);
	llist_for_each_entry_safe(j, tmp, &done, list)
	{
		struct entry *e = j->e;

		llist_del(&j->list);
		o->queued--;
		e->in_flight = false;
		e->status = j->status;
		snprintf(e->text, sizeof(e->text), "%s", j->text);
		e->at_ms = j->status == RA_OCSP_ERROR ? 0 : now_ms();
		free_job(j);
		answer(o, e);
	}
	return 0;
}

static X509 *issuer_of(struct ra_ocsp *o, X509 *cert)
{
	for (int i = 0; i < sk_X509_num(o->issuers); i++) {
		X509 *c = sk_X509_value(o->issuers, i);

		if (X509_check_issued(c, cert) == X509_V_OK)
			return c;
	}
	return NULL;
}

/* The least recently answered entry with nobody waiting, to make room (the cache holds at most this many). */
#define ENTRIES_MAX 4096

static struct entry *entry_for(struct ra_ocsp *o, const char *serial)
{
	struct entry *e, *old = NULL;

	llist_for_each_entry(e, &o->entries, list)
	{
		if (!strcmp(e->serial, serial))
			return e;
		if (!e->in_flight && (!old || e->at_ms < old->at_ms))
			old = e;
	}
	if (o->n_entries >= ENTRIES_MAX && old) {
		llist_del(&old->list);
		talloc_free(old);
		o->n_entries--;
	}
	e = talloc_zero(o, struct entry);
	if (!e)
		return NULL;
	snprintf(e->serial, sizeof(e->serial), "%s", serial);
	INIT_LLIST_HEAD(&e->waiters);
	llist_add(&e->list, &o->entries);
	o->n_entries++;
	return e;
}

int ra_ocsp_async(struct ra_ocsp *o, const uint8_t *der, size_t len, ra_ocsp_cb cb, void *priv)
{
	const unsigned char *p = der;
	X509 *cert = d2i_X509(NULL, &p, (long)len), *issuer;
	char serial[SERIAL_MAX] = "";
	BIGNUM *bn = NULL;
	char *hex = NULL;
	struct waiter *w;
	struct entry *e;
	struct job *j;

	if (!cert || p != der + len || !(issuer = issuer_of(o, cert))) {
		X509_free(cert);
		return -EINVAL;
	}
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	snprintf(serial, sizeof(serial), "%s", hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
	e = entry_for(o, serial);
	w = e ? talloc_zero(e, struct waiter) : NULL;
	if (!w) {
		X509_free(cert);
		return -ENOMEM;
	}
	w->cb = cb;
	w->priv = priv;
	if (e->in_flight) {
		llist_add_tail(&w->list, &e->waiters);
		X509_free(cert);
		return 0;
	}
	if (e->at_ms && o->cache_s && now_ms() - e->at_ms < (int64_t)o->cache_s * 1000) {
		o->cached++;
		X509_free(cert);
		llist_add_tail(&w->list, &e->waiters);
		answer(o, e);
		return 0;
	}
	if (o->queued >= RA_OCSP_QUEUE_MAX) {
		talloc_free(w);
		X509_free(cert);
		return -ENOSPC;
	}
	j = talloc_zero(o, struct job);
	if (!j) {
		talloc_free(w);
		X509_free(cert);
		return -ENOMEM;
	}
	llist_add_tail(&w->list, &e->waiters);
	X509_up_ref(issuer);
	j->cert = cert;
	j->issuer = issuer;
	j->e = e;
	e->in_flight = true;
	o->queued++;
	o->asked++;
	pthread_mutex_lock(&o->lock);
	llist_add_tail(&j->list, &o->todo);
	pthread_cond_signal(&o->wake);
	pthread_mutex_unlock(&o->lock);
	return 0;
}

void ra_ocsp_cancel(struct ra_ocsp *o, void *priv)
{
	struct entry *e;
	struct waiter *w, *tmp;

	if (!o)
		return;
	llist_for_each_entry(e, &o->entries, list)
	{
		llist_for_each_entry_safe(w, tmp, &e->waiters, list)
		{
			if (w->priv == priv) {
				llist_del(&w->list);
				talloc_free(w);
			}
		}
	}
}

void ra_ocsp_stats(const struct ra_ocsp *o, unsigned long *asked, unsigned long *cached)
{
	*asked = o ? o->asked : 0;
	*cached = o ? o->cached : 0;
}

static int load_pems(const char *path, STACK_OF(X509) * sk)
{
	FILE *f = fopen(path, "r");
	X509 *c;
	int n = 0;

	if (!f)
		return -ENOENT;
	while ((c = PEM_read_X509(f, NULL, NULL, NULL))) {
		sk_X509_push(sk, c);
		n++;
	}
	ERR_clear_error();
	fclose(f);
	return n;
}

static int destroy(struct ra_ocsp *o)
{
	struct job *j, *tmp;

	if (o->ofd.fd >= 0) {
		pthread_mutex_lock(&o->lock);
		o->stop = true;
		pthread_cond_broadcast(&o->wake);
		pthread_mutex_unlock(&o->lock);
		pthread_join(o->thread, NULL);
		osmo_fd_unregister(&o->ofd);
		close(o->ofd.fd);
	}
	llist_for_each_entry_safe(j, tmp, &o->todo, list) free_job(j);
	llist_for_each_entry_safe(j, tmp, &o->done, list) free_job(j);
	sk_X509_pop_free(o->issuers, X509_free);
	X509_STORE_free(o->store);
	pthread_mutex_destroy(&o->lock);
	pthread_cond_destroy(&o->wake);
	return 0;
}

int ra_ocsp_alloc(void *ctx, const struct ra_ocsp_cfg *cfg, struct ra_ocsp **out, char *err, size_t errlen)
{
	struct ra_ocsp *o;
	char *host = NULL, *port = NULL, *path = NULL;
	int ssl = 0, fd, rc;

	if (!cfg->url || !OSSL_HTTP_parse_url(cfg->url, &ssl, NULL, &host, &port, NULL, &path, NULL, NULL) || ssl) {
		snprintf(err, errlen, "ocsp-url: http://HOST[:PORT]/PATH");
		OPENSSL_free(host);
		OPENSSL_free(port);
		OPENSSL_free(path);
		ERR_clear_error();
		return -EINVAL;
	}
	o = talloc_zero(ctx, struct ra_ocsp);
	if (!o)
		return -ENOMEM;
	o->host = talloc_strdup(o, host);
	o->port = talloc_strdup(o, port);
	o->path = talloc_strdup(o, path);
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	o->timeout_s = cfg->timeout_s ? cfg->timeout_s : 5;
	o->cache_s = cfg->cache_s;
	o->ofd.fd = -1;
	INIT_LLIST_HEAD(&o->todo);
	INIT_LLIST_HEAD(&o->done);
	INIT_LLIST_HEAD(&o->entries);
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->wake, NULL);
	talloc_set_destructor(o, destroy);
	o->issuers = sk_X509_new_null();
	o->store = X509_STORE_new();
	if (!o->issuers || !o->store) {
		talloc_free(o);
		return -ENOMEM;
	}
	if (!cfg->issuers || load_pems(cfg->issuers, o->issuers) <= 0 ||
	    (cfg->issuers2 && load_pems(cfg->issuers2, o->issuers) < 0)) {
		snprintf(err, errlen, "no CA certificate readable in %s%s%s (trust-anchor, ca-chain)",
			 cfg->issuers ? cfg->issuers : "(none)", cfg->issuers2 ? " or " : "",
			 cfg->issuers2 ? cfg->issuers2 : "");
		talloc_free(o);
		return -ENOENT;
	}
	for (int i = 0; i < sk_X509_num(o->issuers); i++)
		X509_STORE_add_cert(o->store, sk_X509_value(o->issuers, i));
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		talloc_free(o);
		return rc;
	}
	osmo_fd_setup(&o->ofd, fd, OSMO_FD_READ, done_cb, o, 0);
	if (osmo_fd_register(&o->ofd)) {
		close(fd);
		o->ofd.fd = -1;
		talloc_free(o);
		return -EIO;
	}
	rc = -pthread_create(&o->thread, NULL, worker, o);
	if (rc) {
		osmo_fd_unregister(&o->ofd);
		close(fd);
		o->ofd.fd = -1;
		snprintf(err, errlen, "cannot start the OCSP worker: %s", strerror(-rc));
		talloc_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

void ra_ocsp_free(struct ra_ocsp *o)
{
	talloc_free(o);
}
