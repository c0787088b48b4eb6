/* simpki-otad's operator API: HTTP/JSON on libmicrohttpd, run from the libosmocore select loop (MHD's epoll fd is
 * one osmo_fd; MHD's timeout one osmo_timer), so handlers run in the daemon's single thread. Requests and answers
 * are in api_parse.h and docs/otad.md. Every request needs a bearer token: the administrator's (SIMPKI_API_TOKEN
 * when the daemon started) or one made with POST /v1/tokens or the VTY; tokens are compared by their SHA-256, in
 * constant time for the administrator's, and never logged. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include <simpki/ota.h>

#include "api_parse.h"
#include "otad.h"
#include "otad_api.h"
#include "otad_job.h"

#define IMPORT_MAX (512u << 20) /* a vendor file: 512 MiB (a million cards take ~150 MiB) */

struct otad_api_cfg otad_api_cfg = { .ip = NULL, .port = 8480, .rate = 1000 };

static struct MHD_Daemon *mhd;
static struct osmo_fd mhd_ofd;
static struct osmo_timer_list mhd_timer;
static uint8_t admin_hash[32];
static bool have_admin;
static time_t rate_sec;
static unsigned rate_n;

struct api_req {
	char *body;
	size_t len, cap;
	bool too_big;
};

static void sha256(const char *s, size_t n, uint8_t out[32])
{
	EVP_Digest(s, n, out, NULL, EVP_sha256(), NULL);
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
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return send_json(c, status, json_pack("{s:s}", "error", msg));
}

/* 0: the administrator; 1: another token; -1: none */
static int who(struct MHD_Connection *c)
{
	const char *token;
	uint8_t h[32];
	int n = api_bearer(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &token);

	if (n < 0)
		return -1;
	sha256(token, (size_t)n, h);
	if (have_admin && !CRYPTO_memcmp(h, admin_hash, sizeof(h)))
		return 0;
	return otad_db_token_known(g_otad->db, h) == 1 ? 1 : -1;
}

static enum MHD_Result import_cards(struct MHD_Connection *c, struct api_req *r)
{
	void *tmp = talloc_named_const(g_otad->ctx, 0, "api import");
	struct otad_import_report rep;
	json_t *rejected = json_array();
	bool all_known = true;
	unsigned status;
	int rc = otad_db_import(g_otad->db, tmp, r->body ? r->body : "", r->len, "api", &rep);

	OPENSSL_cleanse(r->body, r->len); /* it held keys */
	if (rc == -EIO) {
		talloc_free(tmp);
		json_decref(rejected);
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "database error: nothing imported");
	}
	for (unsigned i = 0; i < rep.n_rejects; i++) {
		json_array_append_new(
			rejected, json_pack("{s:i,s:s}", "line", rep.rejects[i].line, "reason", rep.rejects[i].reason));
		all_known &= strstr(rep.rejects[i].reason, "already") != NULL;
	}
	if (rep.rejected) {
		rate_ctr_inc(rate_ctr_group_get_ctr(g_otad->ctrs, OTAD_CTR_IMPORTS_REFUSED));
		LOGP(DAPI, LOGL_NOTICE, "import refused: %u lines rejected\n", rep.rejected);
		status = all_known ? MHD_HTTP_CONFLICT : MHD_HTTP_BAD_REQUEST;
	} else {
		rate_ctr_add(rate_ctr_group_get_ctr(g_otad->ctrs, OTAD_CTR_CARDS_IMPORTED), rep.cards);
		LOGP(DAPI, LOGL_NOTICE, "imported %u cards, %u key sets (batch %lld)\n", rep.cards, rep.keysets,
		     (long long)rep.batch);
		status = MHD_HTTP_OK;
	}
	talloc_free(tmp);
	return send_json(c, status,
			 json_pack("{s:i,s:i,s:o}", "imported", rep.cards, "rejected_lines", rep.rejected, "rejected",
				   rejected));
}

static enum MHD_Result get_card(struct MHD_Connection *c, const char *iccid)
{
	struct otad_card card;
	int rc = otad_db_card_get(g_otad->db, iccid, &card);

	if (rc == -ENOENT)
		return send_error(c, MHD_HTTP_NOT_FOUND, "no card with ICCID %s", iccid);
	if (rc)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "database error");
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:s,s:s,s:s,s:s,s:I,s:i}", "iccid", card.iccid, "imsi", card.imsi, "msisdn",
				   card.msisdn, "state", card.state, "batch", (json_int_t)card.batch, "keysets",
				   card.keysets));
}

static enum MHD_Result create_job(struct MHD_Connection *c, struct api_req *r)
{
	static struct api_job_req req;
	char err[200];
	int64_t id;
	int rc;

	if (api_job_parse(r->body ? r->body : "", r->len, &req, err, sizeof(err)))
		return send_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (!otad_smsc_pick() || !smpp_esme_bound(otad_smsc_pick()))
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the SMSC is unreachable: try again later");
	rc = otad_job_create(req.iccid, req.tar, req.script, req.script_len, req.idempotent, &req.opts, &id, err,
			     sizeof(err));
	if (rc == -ENOENT)
		return send_error(c, MHD_HTTP_NOT_FOUND, "%s", err);
	if (rc == -EINVAL)
		return send_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (rc)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
	return send_json(c, MHD_HTTP_CREATED, json_pack("{s:I}", "id", (json_int_t)id));
}

static enum MHD_Result get_job(struct MHD_Connection *c, const char *arg)
{
	static struct otad_job_row j;
	json_t *por = json_null(), *o;
	char sw[5];
	int rc = otad_db_job_get(g_otad->db, strtoll(arg, NULL, 10), &j);

	if (rc == -ENOENT)
		return send_error(c, MHD_HTTP_NOT_FOUND, "no job %s", arg);
	if (rc)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "database error");
	if (j.por_status >= 0) {
		json_t *resp = json_null();

		if (j.por_commands >= 0) {
			snprintf(sw, sizeof(sw), "%04x", j.por_last_sw);
			resp = json_pack("{s:i,s:s,s:s}", "commands", j.por_commands, "last_sw", sw, "last_data",
					 osmo_hexdump_nospc(j.por_last_data, j.por_last_len));
		}
		por = json_pack("{s:i,s:s,s:b,s:o}", "status", j.por_status, "status_name",
				ota_por_status_name((uint8_t)j.por_status), "authenticated", j.por_authenticated == 1,
				"response", resp);
	}
	o = json_pack("{s:I,s:s,s:s,s:b,s:i,s:I,s:o}", "id", (json_int_t)j.id, "iccid", j.iccid, "state",
		      otad_job_state_names[j.state], "idempotent", j.idempotent, "tries", j.attempts, "counter",
		      (json_int_t)j.counter, "por", por);
	if (j.error[0])
		json_object_set_new(o, "error", json_string(j.error));
	return send_json(c, MHD_HTTP_OK, o);
}

static enum MHD_Result create_token(struct MHD_Connection *c, struct api_req *r, int role)
{
	char name[65], err[160], token[65];
	int rc;

	if (role != 0)
		return send_error(c, MHD_HTTP_FORBIDDEN, "only the administrator makes tokens");
	if (api_token_parse(r->body ? r->body : "", r->len, name, err, sizeof(err)))
		return send_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
	rc = otad_api_token_new(name, token);
	if (rc == -EEXIST)
		return send_error(c, MHD_HTTP_CONFLICT, "a token named %s exists", name);
	if (rc)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot make a token");
	rc = send_json(c, MHD_HTTP_CREATED, json_pack("{s:s,s:s}", "name", name, "token", token));
	OPENSSL_cleanse(token, sizeof(token));
	return rc;
}

int otad_api_token_new(const char *name, char token[65])
{
	uint8_t raw[32], h[32];
	int rc;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	for (int i = 0; i < 32; i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	sha256(token, 64, h);
	OPENSSL_cleanse(raw, sizeof(raw));
	rc = otad_db_token_add(g_otad->db, name, h);
	if (rc)
		OPENSSL_cleanse(token, 65);
	else
		LOGP(DAPI, LOGL_NOTICE, "API token '%s' created\n", name);
	return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct api_req *r = *con_cls;
	char arg[API_ROUTE_ARG_MAX];
	enum api_route route = api_route(method, url, arg);
	struct timespec t;
	int role;

	if (!r) {
		r = talloc_zero(g_otad->ctx, struct api_req);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t max = route == API_CARDS_IMPORT ? IMPORT_MAX : API_JSON_MAX;

		if (!r->too_big && r->len + *upload_size <= max) {
			if (r->len + *upload_size + 1 > r->cap) {
				size_t cap = (r->len + *upload_size + 1) * 2;
				char *b = talloc_realloc_size(r, r->body, cap > max + 1 ? max + 1 : cap);

				if (!b)
					return MHD_NO;
				r->body = b;
				r->cap = cap > max + 1 ? max + 1 : cap;
			}
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = 0;
		} else {
			r->too_big = true;
		}
		*upload_size = 0;
		return MHD_YES;
	}

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (t.tv_sec != rate_sec) {
		rate_sec = t.tv_sec;
		rate_n = 0;
	}
	if (otad_api_cfg.rate && ++rate_n > otad_api_cfg.rate)
		return send_error(c, MHD_HTTP_TOO_MANY_REQUESTS, "more than %u requests per second", otad_api_cfg.rate);
	role = who(c);
	if (role < 0)
		return send_error(c, MHD_HTTP_UNAUTHORIZED,
				  "a valid bearer token is needed (Authorization: Bearer ...)");
	if (r->too_big)
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "the body is too large");
	switch (route) {
	case API_CARDS_IMPORT:
		return import_cards(c, r);
	case API_CARD_GET:
		return get_card(c, arg);
	case API_JOBS_CREATE:
		return create_job(c, r);
	case API_JOB_GET:
		return get_job(c, arg);
	case API_TOKENS_CREATE:
		return create_token(c, r, role);
	case API_BAD_METHOD:
		return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s is not allowed on %s", method, url);
	default:
		return send_error(c, MHD_HTTP_NOT_FOUND, "no such resource: %s", url);
	}
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct api_req *r = *con_cls;

	if (r && r->body)
		OPENSSL_cleanse(r->body, r->len);
	talloc_free(r);
	*con_cls = NULL;
}

static void poll_mhd(void)
{
	MHD_UNSIGNED_LONG_LONG to;

	MHD_run(mhd);
	if (MHD_get_timeout(mhd, &to) == MHD_YES)
		osmo_timer_schedule(&mhd_timer, (long)(to / 1000), (long)(to % 1000) * 1000);
}

static int mhd_fd_cb(struct osmo_fd *fd, unsigned int what)
{
	poll_mhd();
	return 0;
}

static void mhd_timer_cb(void *data)
{
	poll_mhd();
}

int otad_api_start(void)
{
	const char *token = getenv("SIMPKI_API_TOKEN");
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(otad_api_cfg.port) };

	if (token && strlen(token) >= API_TOKEN_MIN && strlen(token) <= API_TOKEN_MAX) {
		sha256(token, strlen(token), admin_hash);
		have_admin = true;
	} else {
		LOGP(DAPI, LOGL_NOTICE, "SIMPKI_API_TOKEN %s: only tokens made in the VTY are accepted\n",
		     token ? "is not 16 to 128 characters" : "is not set");
	}
	if (inet_pton(AF_INET, otad_api_cfg.ip ? otad_api_cfg.ip : "127.0.0.1", &sa.sin_addr) != 1)
		return -EINVAL;
	mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, otad_api_cfg.port, NULL, NULL, handler, NULL,
			       MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			       MHD_OPTION_CONNECTION_LIMIT, 256, MHD_OPTION_CONNECTION_TIMEOUT, 60, MHD_OPTION_END);
	if (!mhd)
		return -EADDRINUSE;
	info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD);
	osmo_fd_setup(&mhd_ofd, info->epoll_fd, OSMO_FD_READ, mhd_fd_cb, NULL, 0);
	osmo_fd_register(&mhd_ofd);
	osmo_timer_setup(&mhd_timer, mhd_timer_cb, NULL);
	LOGP(DAPI, LOGL_NOTICE, "operator API on http://%s:%u/v1/\n", otad_api_cfg.ip ? otad_api_cfg.ip : "127.0.0.1",
	     otad_api_cfg.port);
	return 0;
}

void otad_api_stop(void)
{
	if (!mhd)
		return;
	osmo_fd_unregister(&mhd_ofd);
	osmo_timer_del(&mhd_timer);
	MHD_stop_daemon(mhd);
	mhd = NULL;
	OPENSSL_cleanse(admin_hash, sizeof(admin_hash));
}
