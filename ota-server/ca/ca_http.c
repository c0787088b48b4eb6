/* simpki-ca's HTTP listeners: CMP and the revocation status (ca_http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "ca.h"
#include "ca_cmp.h"
#include "ca_http.h"
#include "ca_publish.h"

#define CRL_FILE_MAX (16u << 20)

struct req;

enum route {
	R_NONE, /* answered at the first call */
	R_CMP,
	R_OCSP_POST,
};

struct listener {
	const char *what;
	struct MHD_Daemon *mhd;
	struct osmo_fd ofd;
	struct osmo_timer_list timer;
	enum MHD_Result (*first)(struct MHD_Connection *c, const char *url, const char *method, struct req *r);
};

/* One request, from its headers to its answer. */
struct req {
	enum route route;
	size_t max;    /* the body's bound */
	uint8_t *body; /* talloc, cap bytes */
	size_t len, cap;
	/* a CMP answer held until the records' batch is on disk (group commit, ca_db.h): the connection is suspended */
	struct llist_head list; /* in held */
	struct MHD_Connection *conn;
	bool is_held;
	int rc;	      /* ca_cmp_handle()'s; -EIO also when the batch could not be committed */
	uint8_t *out; /* OPENSSL_malloc'd answer */
	size_t out_len;
};

static LLIST_HEAD(held);
static struct osmo_timer_list commit_timer;
static struct listener cmp_l;
static void poll_mhd(struct listener *l);

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type, const void *data, size_t len,
			      enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, mode);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	/* One request per connection: a client that writes a POST's headers and body in two segments (OpenSSL's HTTP
	 * client does) waits ~40 ms on a kept-alive connection for our delayed ACK (Nagle), while a new connection
	 * starts in quick-ACK mode. Measured with bench/ca-cmp: 17 certificates/s kept alive, see bench/README.md. */
	MHD_add_response_header(r, "Connection", "close");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return answer(c, status, "text/plain", msg, strlen(msg), MHD_RESPMEM_MUST_COPY);
}

/* 405 with Allow: \a allow */
static enum MHD_Result not_allowed(struct MHD_Connection *c, const char *allow)
{
	static const char msg[] = "method not allowed\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	MHD_add_response_header(r, "Allow", allow);
	rc = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
	MHD_destroy_response(r);
	return rc;
}

/* Whether the request's Content-Type is \a want (parameters after ';' allowed). */
static bool type_is(struct MHD_Connection *c, const char *want)
{
	const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen(want);

	return t && !strncasecmp(t, want, n) && (t[n] == 0 || t[n] == ';' || t[n] == ' ');
}

/* The announced length is beyond r->max: 413 now. \returns true when answered */
static bool too_long(struct MHD_Connection *c, struct req *r)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return cl && strtoull(cl, NULL, 10) > r->max;
}

/* ---- CMP ------------------------------------------------------------------------------------------------------ */

static bool cmp_path(const char *url)
{
	size_t n = strlen(g_ca->cfg.cmp_path);

	/* the configured path always ends in '/'; the same without it is taken too */
	return !strcmp(url, g_ca->cfg.cmp_path) || (strlen(url) == n - 1 && !strncmp(url, g_ca->cfg.cmp_path, n - 1));
}

static enum MHD_Result cmp_first(struct MHD_Connection *c, const char *url, const char *method, struct req *r)
{
	if (!cmp_path(url))
		return text(c, MHD_HTTP_NOT_FOUND, "no such resource\n");
	if (strcmp(method, "POST"))
		return not_allowed(c, "POST");
	if (!type_is(c, "application/pkixcmp"))
		return text(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/pkixcmp\n");
	r->max = CA_CMP_BODY_MAX;
	if (too_long(c, r))
		return text(c, MHD_HTTP_CONTENT_TOO_LARGE, "a CMP request is at most 65536 bytes\n");
	r->route = R_CMP;
	return MHD_YES;
}

/* Commit the records' batch; then every held answer goes out (or, when the batch could not be written, 500: the
 * certificates in it are not in the records, and were never handed out). */
static void commit_and_release(void)
{
	struct req *r, *tmp;
	int rc = ca_db_commit(g_ca->db);

	osmo_timer_del(&commit_timer);
	if (rc)
		LOGP(DCADB, LOGL_ERROR, "the certificates of a batch cannot be written: their answers are withheld\n");
	if (llist_empty(&held))
		return;
	llist_for_each_entry_safe(r, tmp, &held, list)
	{
		llist_del_init(&r->list);
		if (rc)
			r->rc = -EIO;
		MHD_resume_connection(r->conn);
	}
	poll_mhd(&cmp_l);
}

static void commit_cb(void *data)
{
	commit_and_release();
}

static int req_destructor(struct req *r)
{
	if (!llist_empty(&r->list))
		llist_del(&r->list);
	OPENSSL_free(r->out);
	return 0;
}

static enum MHD_Result cmp_reply(struct MHD_Connection *c, int rc, const uint8_t *out, size_t n)
{
	if (rc == -EBADMSG)
		return text(c, MHD_HTTP_BAD_REQUEST, "the body is not a CMP PKIMessage (DER)\n");
	if (rc)
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "no CMP response could be made\n");
	return answer(c, MHD_HTTP_OK, "application/pkixcmp", out, n, MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result cmp_done(struct MHD_Connection *c, struct req *r)
{
	if (r->is_held) /* resumed: the batch is on disk (or failed) */
		return cmp_reply(c, r->rc, r->out, r->out_len);
	r->rc = ca_cmp_handle(g_ca, r->body, r->len, &r->out, &r->out_len);
	if (!ca_db_uncommitted(g_ca->db))
		return cmp_reply(c, r->rc, r->out, r->out_len);
	/* a certificate (this one's or another's) waits for the batch's commit at the next turn of the loop: so
	 * does this answer, since it may hand it out */
	r->is_held = true;
	r->conn = c;
	llist_add_tail(&r->list, &held);
	MHD_suspend_connection(c);
	if (!osmo_timer_pending(&commit_timer))
		osmo_timer_schedule(&commit_timer, 0, 0);
	return MHD_YES;
}

/* ---- status ----------------------------------------------------------------------------------------------------- */

static enum MHD_Result ocsp_answer(struct MHD_Connection *c, const uint8_t *req, size_t len)
{
	struct ca_status_signer s;
	struct ca_ocsp_params p = { .now = ca_now(), .validity_s = g_ca->cfg.ocsp_validity, .cache = g_ca->ocsp_cache };
	uint8_t *out = NULL;
	size_t n = 0;
	enum MHD_Result res;

	p.refresh_s = p.validity_s / 6;
	ca_status_signer(g_ca, true, &s);
	ca_ctr_inc(g_ca, CA_CTR_OCSP_REQUESTS);
	if (ca_ocsp_answer(&s, &p, req, len, ca_status_lookup, g_ca, &out, &n))
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	res = answer(c, MHD_HTTP_OK, "application/ocsp-response", out, n, MHD_RESPMEM_MUST_COPY);
	OPENSSL_free(out);
	return res;
}

static enum MHD_Result get_ca(struct MHD_Connection *c)
{
	unsigned char *der = NULL;
	int n = i2d_X509(g_ca->cert, &der);
	enum MHD_Result res;

	if (n <= 0)
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	res = answer(c, MHD_HTTP_OK, "application/pkix-cert", der, (size_t)n, MHD_RESPMEM_MUST_COPY);
	OPENSSL_free(der);
	return res;
}

static enum MHD_Result get_crl(struct MHD_Connection *c)
{
	char *path = ca_crl_path(NULL, g_ca);
	FILE *f = path ? fopen(path, "rb") : NULL;
	uint8_t *buf = NULL;
	size_t n = 0;
	long size;
	enum MHD_Result res;

	talloc_free(path);
	if (!f)
		return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no CRL published yet\n");
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0 || (size_t)size > CRL_FILE_MAX || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc((size_t)size)) || (n = fread(buf, 1, (size_t)size, f)) != (size_t)size) {
		fclose(f);
		free(buf);
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the CRL cannot be read\n");
	}
	fclose(f);
	res = answer(c, MHD_HTTP_OK, "application/pkix-crl", buf, n, MHD_RESPMEM_MUST_FREE);
	if (res != MHD_YES)
		free(buf);
	return res;
}

static enum MHD_Result status_first(struct MHD_Connection *c, const char *url, const char *method, struct req *r)
{
	bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
	char crl[80];

	if (ca_db_uncommitted(g_ca->db))
		commit_and_release(); /* OCSP says good only of what is on disk */

	snprintf(crl, sizeof(crl), "/crl/%s.crl", g_ca->cfg.crl_name);
	if (!strcmp(url, "/ocsp") || !strcmp(url, "/ocsp/")) {
		if (!post)
			return not_allowed(c, "POST");
		if (!type_is(c, "application/ocsp-request"))
			return text(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				    "Content-Type must be application/ocsp-request\n");
		r->max = CA_OCSP_REQ_MAX;
		if (too_long(c, r))
			return text(c, MHD_HTTP_CONTENT_TOO_LARGE, "an OCSP request is at most 4096 bytes\n");
		r->route = R_OCSP_POST;
		return MHD_YES;
	}
	if (!strncmp(url, "/ocsp/", 6)) {
		uint8_t *der = NULL;
		size_t len = 0;
		enum MHD_Result res;

		if (!get)
			return not_allowed(c, "GET");
		if (strlen(url + 6) > 2 * CA_OCSP_REQ_MAX || ca_ocsp_get_decode(url + 6, &der, &len))
			return ocsp_answer(c, (const uint8_t *)"", 0); /* malformedRequest */
		res = ocsp_answer(c, der, len);
		OPENSSL_free(der);
		return res;
	}
	if (!strcmp(url, "/ca.crt") || !strcmp(url, crl)) {
		if (!get)
			return not_allowed(c, "GET");
		return url[1] == 'c' && url[2] == 'a' ? get_ca(c) : get_crl(c);
	}
	return text(c, MHD_HTTP_NOT_FOUND, "no such resource\n");
}

/* ---- the requests' life ------------------------------------------------------------------------------------------ */

static enum MHD_Result take_body(struct req *r, const char *upload, size_t n)
{
	if (r->len + n > r->max)
		return MHD_NO; /* beyond the bound without a Content-Length that said so: the connection ends */
	if (r->len + n > r->cap) {
		size_t cap = r->len + n > r->max / 2 ? r->max : (r->len + n) * 2;
		uint8_t *b = talloc_size(r, cap);

		if (!b)
			return MHD_NO;
		if (r->body)
			memcpy(b, r->body, r->len);
		talloc_free(r->body);
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, upload, n);
	r->len += n;
	return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	struct req *r = *con_cls;

	if (!r) {
		r = talloc_zero(g_ca, struct req);
		if (!r)
			return MHD_NO;
		INIT_LLIST_HEAD(&r->list);
		talloc_set_destructor(r, req_destructor);
		*con_cls = r;
		return l->first(c, url, method, r);
	}
	if (*upload_size) {
		enum MHD_Result rc = r->route == R_NONE ? MHD_YES : take_body(r, upload, *upload_size);

		*upload_size = 0;
		return rc;
	}
	switch (r->route) {
	case R_CMP:
		return cmp_done(c, r);
	case R_OCSP_POST:
		return ocsp_answer(c, r->body ? r->body : (const uint8_t *)"", r->len);
	default:
		return MHD_YES; /* answered at the first call */
	}
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	talloc_free(*con_cls);
	*con_cls = NULL;
}

static void poll_mhd(struct listener *l)
{
	MHD_UNSIGNED_LONG_LONG to;

	MHD_run(l->mhd);
	if (MHD_get_timeout(l->mhd, &to) == MHD_YES)
		osmo_timer_schedule(&l->timer, (long)(to / 1000), (long)(to % 1000) * 1000);
}

static int fd_cb(struct osmo_fd *fd, unsigned int what)
{
	poll_mhd(fd->data);
	return 0;
}

static void timer_cb(void *data)
{
	poll_mhd(data);
}

static struct listener cmp_l = { .what = "CMP", .first = cmp_first };
static struct listener status_l = { .what = "status", .first = status_first };

static int listen_on(struct listener *l, const char *ip, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	const union MHD_DaemonInfo *info;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "%s: '%s' is not an IPv4 address", l->what, ip);
		return -EINVAL;
	}
	l->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME, port, NULL, NULL,
				  handler, l, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				  MHD_OPTION_CONNECTION_LIMIT, 256, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64,
				  MHD_OPTION_CONNECTION_TIMEOUT, 30, MHD_OPTION_END);
	if (!l->mhd) {
		snprintf(err, errlen, "%s: cannot listen on %s:%u (the port is taken?)", l->what, ip, port);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	osmo_fd_setup(&l->ofd, info->epoll_fd, OSMO_FD_READ, fd_cb, l, 0);
	osmo_fd_register(&l->ofd);
	osmo_timer_setup(&l->timer, timer_cb, l);
	LOGP(DCA, LOGL_NOTICE, "%s on http://%s:%u/\n", l->what, ip, port);
	return 0;
}

int ca_http_start(char *err, size_t errlen)
{
	int rc;

	osmo_timer_setup(&commit_timer, commit_cb, NULL);
	ca_db_set_batching(g_ca->db, true);
	rc = listen_on(&cmp_l, g_ca->cfg.cmp_ip, g_ca->cfg.cmp_port, err, errlen);

	if (!rc)
		rc = listen_on(&status_l, g_ca->cfg.status_ip, g_ca->cfg.status_port, err, errlen);
	return rc;
}

static void stop(struct listener *l)
{
	if (!l->mhd)
		return;
	osmo_fd_unregister(&l->ofd);
	osmo_timer_del(&l->timer);
	MHD_stop_daemon(l->mhd);
	l->mhd = NULL;
}

void ca_http_stop(void)
{
	if (cmp_l.mhd)
		commit_and_release(); /* MHD stops no suspended connection */
	ca_db_set_batching(g_ca->db, false);
	stop(&cmp_l);
	stop(&status_l);
}
