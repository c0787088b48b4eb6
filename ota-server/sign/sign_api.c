/* simpki-otad's relying-party API (sign_api.h): HTTP/JSON on libmicrohttpd in the select loop; long polls
 * suspended, never held on a thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "api_parse.h"
#include "api_ratelimit.h"
#include "cert_info.h"
#include "otad.h"
#include "otad_mhd.h"
#include "otad_tls.h"
#include "sign.h"
#include "sign_api.h"

#define ANON_RATE 10 /* requests per second per client address without a valid token */

/* One request, from its headers to its answer. */
struct sreq {
	struct llist_head list; /* in suspended, while suspended */
	struct MHD_Connection *c;
	enum sign_route route;
	char id[OTAD_SIGN_SESSION_MAX + 1];
	struct otad_sign_rp *rp;
	char *body;
	size_t len;
	/* a long poll */
	struct otad_sign_session *s; /* watched */
	struct osmo_timer_list timer;
	bool suspended, resumed;
};

static struct otad_mhd mhd;
static char mhd_url[64];
static bool client_certs; /* 'tls client-ca' is set: MHD asks each client for a certificate */
static struct api_ratelimit *limits;
static LLIST_HEAD(suspended);

static void ctr(unsigned idx)
{
	rate_ctr_inc(rate_ctr_group_get_ctr(g_otad->ctrs, idx));
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	struct MHD_Response *r;
	enum MHD_Result rc;

	json_decref(j);
	if (!s)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
	if (status == MHD_HTTP_TOO_MANY_REQUESTS || status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, "Retry-After", "1");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* {"error": CODE, "message": ..., "tsStatus": N} */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *code, int ts, const char *fmt,
				  ...) __attribute__((format(printf, 5, 6)));

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *code, int ts, const char *fmt,
				  ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return send_json(c, status, json_pack("{s:s,s:s,s:i}", "error", code, "message", msg, "tsStatus", ts));
}

static void sha256(const char *s, size_t n, uint8_t out[32])
{
	EVP_Digest(s, n, out, NULL, EVP_sha256(), NULL);
}

/* The relying party whose client certificate the connection presented, GnuTLS having verified it against 'tls
 * client-ca', and its allowance key (the certificate's hash). NULL: no certificate, one that does not verify, or
 * one no relying party has. */
static struct otad_sign_rp *who_cert(struct MHD_Connection *c, uint8_t h[32])
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *peers;
	struct otad_sign_rp *rp, *found = NULL;
	unsigned status = 0, n = 0;
	gnutls_session_t tls;

	if (!client_certs)
		return NULL;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return NULL;
	tls = (gnutls_session_t)ci->tls_session;
	if (gnutls_certificate_type_get(tls) != GNUTLS_CRT_X509)
		return NULL;
	peers = gnutls_certificate_get_peers(tls, &n);
	if (!peers || !n)
		return NULL; /* none sent: the token decides */
	if (gnutls_certificate_verify_peers2(tls, &status) != GNUTLS_E_SUCCESS || status) {
		LOGP(DSIGN, LOGL_INFO,
		     "a client certificate that does not verify against 'tls client-ca' (status %#x)\n", status);
		return NULL;
	}
	EVP_Digest(peers[0].data, peers[0].size, h, NULL, EVP_sha256(), NULL);
	llist_for_each_entry(rp, &otad_sign_cfg.rps, list)
	{
		if (rp->has_cert && !CRYPTO_memcmp(rp->cert_hash, h, 32))
			found = rp;
	}
	if (!found)
		LOGP(DSIGN, LOGL_INFO, "a client certificate (SHA-256 %s) no relying party has\n",
		     osmo_hexdump_nospc(h, 32));
	return found;
}

/* The relying party whose client certificate or, without one of a relying party's, token the request bears, and its
 * allowance key (the certificate's or the token's hash). */
static struct otad_sign_rp *who(struct MHD_Connection *c, uint8_t h[32])
{
	const char *token;
	int n;
	struct otad_sign_rp *rp, *found = who_cert(c, h);

	if (found)
		return found;
	n = api_bearer(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &token);
	if (n < 0)
		return NULL;
	sha256(token, (size_t)n, h);
	llist_for_each_entry(rp, &otad_sign_cfg.rps, list)
	{
		if (rp->has_token && !CRYPTO_memcmp(rp->token_hash, h, 32))
			found = rp;
	}
	return found;
}

static void client_key(struct MHD_Connection *c, uint8_t key[32])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN + 16] = "sign addr ?";

	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr + 10,
			  INET6_ADDRSTRLEN);
	sha256(addr, strlen(addr), key);
}

static json_t *b64(const uint8_t *d, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);
	json_t *j;

	if (!s)
		return json_null();
	EVP_EncodeBlock((unsigned char *)s, d, (int)n);
	j = json_string(s);
	free(s);
	return j;
}

/* A session as the API shows it: from memory (\a s), or from the database (\a row, the certificate looked up). */
static json_t *session_json(const struct otad_sign_row *row, const uint8_t *cert, size_t cert_len)
{
	enum otad_sign_result r = OTAD_SIGN_RUNNING;
	const char *sig_alg, *key_alg;
	json_t *o;

	for (int i = 1; i < OTAD_SIGN_N_RESULTS; i++)
		if (!strcmp(row->result, otad_sign_result_names[i]))
			r = (enum otad_sign_result)i;
	if (!row->result[0])
		return json_pack("{s:s,s:i}", "state", "RUNNING", "tsStatus", otad_sign_ts_status(OTAD_SIGN_RUNNING));
	o = json_pack("{s:s,s:s,s:i}", "state", "COMPLETE", "result", otad_sign_result_names[r], "tsStatus",
		      otad_sign_ts_status(r));
	if (row->tries_left >= 0)
		json_object_set_new(o, "pinTriesLeft", json_integer(row->tries_left));
	if (r == OTAD_SIGN_OK && cert_len) {
		enum sign_hash h = !strcmp(row->hash_alg, "SHA384") ? SIGN_HASH_SHA384 :
				   !strcmp(row->hash_alg, "SHA512") ? SIGN_HASH_SHA512 :
								      SIGN_HASH_SHA256;
		char *pem = cert_pem(cert, cert_len);

		if (!otad_sign_alg_names(cert, cert_len, h, &sig_alg, &key_alg))
			json_object_set_new(
				o, "signature",
				json_pack("{s:s,s:o}", "algorithm", sig_alg, "value", b64(row->sig, row->sig_len)));
		if (pem)
			json_object_set_new(o, "cert", json_string(pem));
		free(pem);
	}
	return o;
}

/* A session's certificate from the database (the session is no longer in memory). */
struct cert_find {
	const char *serial;
	uint8_t *der;
	size_t len;
};

static void cert_find_cb(const struct otad_cert *c, void *priv)
{
	struct cert_find *f = priv;

	if (!strcmp(c->serial, f->serial) && c->der_len <= OTAD_CERT_DER_MAX) {
		memcpy(f->der, c->der, c->der_len);
		f->len = c->der_len;
	}
}

/* The session \a id of relying party \a rp, answered. */
static enum MHD_Result answer_session(struct MHD_Connection *c, struct sreq *r)
{
	static struct otad_sign_row row;
	static uint8_t der[OTAD_CERT_DER_MAX];
	struct otad_sign_session *s = otad_sign_find(r->id);
	struct cert_find f = { .der = der };

	if (s) {
		if (strcmp(s->row.rp, r->rp->name))
			goto not_found;
		return send_json(c, MHD_HTTP_OK, session_json(&s->row, s->cert, s->cert_len));
	}
	switch (otad_db_sign_get(g_otad->db, r->id, &row)) {
	case 0:
		if (strcmp(row.rp, r->rp->name))
			goto not_found;
		f.serial = row.serial;
		if (!strcmp(row.result, "OK") && row.iccid[0])
			otad_db_certs_list(g_otad->db, row.iccid, cert_find_cb, &f);
		return send_json(c, MHD_HTTP_OK, session_json(&row, der, f.len));
	case -ENOENT:
		break;
	default:
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", 900, "database error");
	}
not_found:
	return send_error(c, MHD_HTTP_NOT_FOUND, "SESSION_NOT_FOUND", 101, "no session %s", r->id);
}

/* ---- long polls ------------------------------------------------------------------------------------------ */

static void poll_soon(void)
{
	otad_mhd_poll_soon(&mhd);
}

static void resume(struct sreq *r)
{
	if (!r->suspended)
		return;
	osmo_timer_del(&r->timer);
	if (r->s)
		otad_sign_unwatch(r->s, r);
	r->s = NULL;
	r->suspended = false;
	r->resumed = true;
	llist_del(&r->list);
	MHD_resume_connection(r->c);
	poll_soon();
}

/* The session completed (or is freed). */
static void woken(void *priv)
{
	struct sreq *r = priv;

	r->s = NULL; /* its watcher is gone already */
	resume(r);
}

static void poll_timeout(void *priv)
{
	resume(priv);
}

static enum MHD_Result get_session(struct MHD_Connection *c, struct sreq *r)
{
	struct otad_sign_session *s;
	unsigned ms;

	if (sign_api_timeout(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "timeoutMs"), &ms))
		return send_error(c, MHD_HTTP_BAD_REQUEST, "WRONG_PARAM", 101, "timeoutMs: 0 to %d",
				  SIGN_API_TIMEOUT_MS_MAX);
	s = otad_sign_find(r->id);
	if (r->resumed || !ms || !s || strcmp(s->row.rp, r->rp->name) || s->fi->state == OTAD_SIGN_ST_COMPLETE)
		return answer_session(c, r);
	if (otad_sign_watch(s, woken, r))
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", 900, "out of memory");
	r->s = s;
	r->c = c;
	r->suspended = true;
	llist_add_tail(&r->list, &suspended);
	osmo_timer_setup(&r->timer, poll_timeout, r);
	osmo_timer_schedule(&r->timer, ms / 1000, (ms % 1000) * 1000);
	MHD_suspend_connection(c);
	return MHD_YES;
}

/* ---- the other routes ---------------------------------------------------------------------------------------- */

static enum MHD_Result post_signature(struct MHD_Connection *c, struct sreq *r)
{
	static struct sign_api_req req;
	struct otad_sign_session *s;
	char err[300];
	int rc;

	if (sign_api_parse(r->body ? r->body : "", r->len, &req, err, sizeof(err)))
		return send_error(c, MHD_HTTP_BAD_REQUEST, "WRONG_PARAM", 101, "%s", err);
	rc = otad_sign_start(r->rp, &req, &s, err, sizeof(err));
	switch (rc) {
	case 0:
		return send_json(c, MHD_HTTP_OK,
				 json_pack("{s:s,s:s}", "sessionID", s->row.session, "verificationCode", s->row.code));
	case -EINVAL:
	case -EILSEQ:
	case -E2BIG:
		return send_error(c, MHD_HTTP_BAD_REQUEST, "WRONG_PARAM", 101, "%s", err);
	case -EBUSY:
		return send_error(c, MHD_HTTP_CONFLICT, "PB_SIGNATURE_PROCESS", 406, "%s", err);
	case -ENOSPC:
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "BUSY", 900, "%s", err);
	default:
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", 900, "%s",
				  rc == -EIO ? "database error" : "out of memory");
	}
}

static enum MHD_Result post_certificate(struct MHD_Connection *c, struct sreq *r)
{
	static struct otad_sign_target t;
	char msisdn[16], holder[OTAD_HOLDER_ID_MAX + 1], err[200];
	const char *sig_alg, *key_alg;
	enum MHD_Result res;
	char *pem;
	int rc;

	if (sign_api_parse_who(r->body ? r->body : "", r->len, msisdn, holder, err, sizeof(err)))
		return send_error(c, MHD_HTTP_BAD_REQUEST, "WRONG_PARAM", 101, "%s", err);
	rc = otad_db_sign_target(g_otad->db, msisdn[0] ? msisdn : NULL, holder, &t);
	if (rc == -EIO)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", 900, "database error");
	if (rc || strcmp(t.state, "active") || !t.der_len ||
	    otad_sign_alg_names(t.der, t.der_len, SIGN_HASH_SHA256, &sig_alg, &key_alg))
		return send_json(c, MHD_HTTP_NOT_FOUND,
				 json_pack("{s:s,s:s,s:i}", "result", "NOT_A_CLIENT", "error", "NOT_A_CLIENT",
					   "tsStatus", otad_sign_ts_status(OTAD_SIGN_NOT_A_CLIENT)));
	pem = cert_pem(t.der, t.der_len);
	if (!pem)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", 900, "out of memory");
	res = send_json(c, MHD_HTTP_OK,
			json_pack("{s:s,s:s,s:s}", "result", "OK", "cert", pem, "keyAlgorithm", key_alg));
	free(pem);
	return res;
}

static enum MHD_Result delete_session(struct MHD_Connection *c, struct sreq *r)
{
	struct otad_sign_session *s = otad_sign_find(r->id);

	if (s && !strcmp(s->row.rp, r->rp->name)) {
		LOGP(DSIGN, LOGL_INFO, "sign(%s): the relying party %s cancels it\n", r->id, r->rp->name);
		otad_sign_cancel(s);
		s = otad_sign_find(r->id);
		if (s)
			return send_json(c, MHD_HTTP_OK, session_json(&s->row, s->cert, s->cert_len));
	}
	return answer_session(c, r);
}

/* ---- the request's life -------------------------------------------------------------------------------------- */

static enum MHD_Result first_call(struct MHD_Connection *c, const char *url, const char *method, struct sreq *r,
				  bool *go)
{
	const char *allow, *cl;
	struct timespec t;
	uint8_t key[32];

	*go = false;
	clock_gettime(CLOCK_MONOTONIC, &t);
	r->rp = who(c, key);
	if (!r->rp) {
		client_key(c, key);
		if (!api_ratelimit_take(limits, key, ANON_RATE, t.tv_sec)) {
			ctr(OTAD_CTR_SIGN_LIMITED);
			return send_error(c, MHD_HTTP_TOO_MANY_REQUESTS, "RATE_LIMITED", 900,
					  "more than %d requests per second without a valid token", ANON_RATE);
		}
		return send_error(c, MHD_HTTP_UNAUTHORIZED, "UNAUTHORIZED", 104, "%s",
				  client_certs ?
					  "a relying party's client certificate or bearer token is needed" :
					  "a relying party's bearer token is needed (Authorization: Bearer ...)");
	}
	if (!api_ratelimit_take(limits, key, r->rp->rate, t.tv_sec)) {
		ctr(OTAD_CTR_SIGN_LIMITED);
		return send_error(c, MHD_HTTP_TOO_MANY_REQUESTS, "RATE_LIMITED", 900,
				  "more than %u requests per second for relying party %s", r->rp->rate, r->rp->name);
	}
	r->route = sign_api_route(method, url, r->id, &allow);
	switch (r->route) {
	case SIGN_R_NONE:
		return send_error(c, MHD_HTTP_NOT_FOUND, "NOT_FOUND", 101, "no such resource: %s", url);
	case SIGN_R_BAD_METHOD:
		return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", 101, "%s: allowed %s", method,
				  allow);
	case SIGN_R_BAD_ID:
		return send_error(c, MHD_HTTP_BAD_REQUEST, "WRONG_PARAM", 101, "not a session id (a UUID): %s", url);
	default:
		break;
	}
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > SIGN_API_BODY_MAX)
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "WRONG_DATA_LENGTH", 103,
				  "the body is larger than %u bytes", SIGN_API_BODY_MAX);
	*go = true;
	return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct sreq *r = *con_cls;
	enum MHD_Result rc;
	bool go;

	if (!r) {
		r = talloc_zero(g_otad->ctx, struct sreq);
		if (!r)
			return MHD_NO;
		INIT_LLIST_HEAD(&r->list);
		r->c = c;
		*con_cls = r;
		rc = first_call(c, url, method, r, &go);
		if (!go)
			r->route = SIGN_R_NONE;
		return rc;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (r->len + n > SIGN_API_BODY_MAX)
			return MHD_NO;
		if (!r->body && !(r->body = talloc_size(r, SIGN_API_BODY_MAX + 1)))
			return MHD_NO;
		memcpy(r->body + r->len, upload, n);
		r->len += n;
		r->body[r->len] = 0;
		return MHD_YES;
	}
	if (r->suspended)
		return MHD_YES;
	switch (r->route) {
	case SIGN_R_SIGN:
		return post_signature(c, r);
	case SIGN_R_CERT:
		return post_certificate(c, r);
	case SIGN_R_SESSION_GET:
		return get_session(c, r);
	case SIGN_R_SESSION_DELETE:
		return delete_session(c, r);
	default:
		return MHD_NO;
	}
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct sreq *r = *con_cls;

	if (r) {
		osmo_timer_del(&r->timer);
		if (r->s)
			otad_sign_unwatch(r->s, r);
		if (r->suspended)
			llist_del(&r->list);
		talloc_free(r);
	}
	*con_cls = NULL;
}

static const struct otad_tls_cmds sign_tls_cmds = { .bind = "signing: listen", .tls = "signing: tls" };

int otad_sign_api_start(char *err, size_t errlen)
{
	const char *ip = otad_sign_cfg.ip ? otad_sign_cfg.ip : "127.0.0.1";
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(otad_sign_cfg.port) };
	static const struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_CONNECTION_LIMIT, 4096, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, 180, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct otad_tls_pem pem;
	bool tls;
	int rc;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "'signing' listen %s: not an IPv4 address", ip);
		return -EINVAL;
	}
	rc = otad_tls_setup_cmds(g_otad->ctx, &sign_tls_cmds, &sa.sin_addr, otad_sign_cfg.tls_cert,
				 otad_sign_cfg.tls_key, &pem, err, errlen);
	if (rc)
		return rc;
	tls = pem.cert != NULL;
	if (otad_sign_cfg.tls_client_ca) {
		rc = otad_tls_trust(g_otad->ctx, &pem, "signing: tls client-ca", otad_sign_cfg.tls_client_ca, err,
				    errlen);
		if (rc) {
			otad_tls_pem_free(&pem);
			return rc;
		}
	}
	/* otad_mhd_start() passes the trust as MHD_OPTION_HTTPS_MEM_TRUST: libmicrohttpd 0.9.75 then sets
	 * GNUTLS_CERT_REQUEST (not _REQUIRE): a client without a certificate still connects and may use its token; a
	 * certificate sent is verified in who_cert() */
	client_certs = pem.trust != NULL;
	if (otad_mhd_start(&mhd, MHD_ALLOW_SUSPEND_RESUME, &sa, handler, completed, opts, &pem)) {
		snprintf(err, errlen, "cannot listen on %s:%u (the port is taken%s; libmicrohttpd's message is above)",
			 ip, otad_sign_cfg.port, tls ? ", or GnuTLS refused the certificate, key or client CA" : "");
		client_certs = false;
		return -EADDRINUSE;
	}
	if (!limits)
		limits = api_ratelimit_alloc(g_otad->ctx);
	snprintf(mhd_url, sizeof(mhd_url), "%s://%s:%u/v1/", tls ? "https" : "http", ip, otad_sign_cfg.port);
	LOGP(DSIGN, LOGL_NOTICE, "relying-party API on %s%s\n", mhd_url,
	     client_certs ? " (TLS, client certificates)" :
	     tls	  ? " (TLS)" :
			    "");
	return 0;
}

const char *otad_sign_api_url(void)
{
	return mhd_url[0] ? mhd_url : NULL;
}

void otad_sign_api_stop(void)
{
	struct sreq *r, *tmp;

	if (!mhd.d)
		return;
	llist_for_each_entry_safe(r, tmp, &suspended, list) resume(r);
	MHD_run(mhd.d);
	otad_mhd_stop(&mhd);
	mhd_url[0] = 0;
	client_certs = false;
}
