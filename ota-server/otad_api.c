/* simpki-otad's operator API: HTTP/JSON on libmicrohttpd, run from the libosmocore select loop (MHD's epoll fd is
 * one osmo_fd; MHD's timeout one osmo_timer), so handlers run in the daemon's single thread. Routes and bodies are
 * in api_parse.h, error codes in api_error.h, the whole reference in docs/otad.md.
 *
 * A request is judged on its headers, before any byte of its body is read (MHD's first call): the token (the
 * administrator's, SIMPKI_API_TOKEN when the daemon started, or a token of the database with its role), the
 * client's allowance (per token; per client address for requests without a valid token, so an anonymous flood
 * uses up only its own), the path and method, the role and scope (otad_api_perm.c: a route whose object its body
 * names is judged once the body is in), and the announced length against the limit. An answer given then makes
 * MHD drop the body and close the connection. A body that grows beyond the limit while it is read (no
 * Content-Length) ends the connection. Tokens are compared by their SHA-256, in constant time for the
 * administrator's, and never logged. */
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
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include <simpki/ota.h>

#include "api_error.h"
#include "api_parse.h"
#include "api_ratelimit.h"
#include "otad.h"
#include "otad_api.h"
#include "otad_api_int.h"
#include "otad_db_units.h"
#include "otad_import.h"
#include "cert_info.h"
#include "holder_import.h"
#include "otad_job.h"
#include "otad_mhd.h"
#include "otad_tls.h"

struct otad_api_cfg otad_api_cfg = {
	.ip = NULL,
	.port = 8480,
	.rate = 100,
	.rate_anonymous = 10,
	.json_max = 64u << 10,
	.import_max = 512u << 20,
};

static struct otad_mhd mhd;
static char mhd_url[64]; /* "" until it listens */
static uint8_t admin_hash[32];
static bool have_admin;
static struct api_ratelimit *limits;

static void sha256(const char *s, size_t n, uint8_t out[32])
{
	EVP_Digest(s, n, out, NULL, EVP_sha256(), NULL);
}

enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
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
	if (status == MHD_HTTP_TOO_MANY_REQUESTS)
		MHD_add_response_header(r, "Retry-After", "1");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

enum MHD_Result send_items_page(struct MHD_Connection *c, json_t *a, int n, unsigned limit, const char *key)
{
	json_t *last = json_array_get(a, (size_t)n - 1);
	char next[24];

	snprintf(next, sizeof(next), "%lld", last ? (long long)json_integer_value(json_object_get(last, key)) : 0LL);
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:o,s:o}", "items", a, "next",
				   (unsigned)n == limit && last ? json_string(next) : json_null()));
}

enum MHD_Result send_error(struct MHD_Connection *c, enum api_error e, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return send_json(c, api_error_status(e),
			 json_pack("{s:{s:s,s:s}}", "error", "code", api_error_code(e), "message", msg));
}

static enum MHD_Result send_405(struct MHD_Connection *c, const char *method, const char *url, const char *allow)
{
	char *s;
	struct MHD_Response *r;
	enum MHD_Result rc;
	json_t *j = json_pack("{s:{s:s,s:s++++}}", "error", "code", api_error_code(API_E_METHOD_NOT_ALLOWED), "message",
			      method, " is not allowed on ", url, "; allowed: ", allow);

	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Allow", allow);
	rc = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
	MHD_destroy_response(r);
	return rc;
}

/* The token of the request into *t, its SHA-256 into \a h. \returns 0; -ENOENT (none, or not valid); -EIO */
static int who(struct MHD_Connection *c, struct otad_token *t, uint8_t h[32])
{
	const char *token;
	int n = api_bearer(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &token);

	if (n < 0)
		return -ENOENT;
	sha256(token, (size_t)n, h);
	if (have_admin && !CRYPTO_memcmp(h, admin_hash, 32)) {
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "admin");
		t->role = OTAD_ROLE_ADMIN;
		return 0;
	}
	return otad_db_token_lookup(g_otad->db, h, t);
}

/* The allowance key of a request without a valid token: its client address. */
static void client_key(struct MHD_Connection *c, uint8_t key[32])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN + 8] = "?";

	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr + 5,
			  INET6_ADDRSTRLEN);
	memcpy(addr, "addr ", 5);
	sha256(addr, strlen(addr), key);
}

static void ctr(unsigned idx)
{
	rate_ctr_inc(rate_ctr_group_get_ctr(g_otad->ctrs, idx));
}

/* ---- cards --------------------------------------------------------------------------------------------------- */

static json_t *card_json(const struct otad_card *card)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:i,s:o}", "iccid", card->iccid, "imsi", card->imsi, "msisdn",
			 card->msisdn, "state", card->state, "batch", (json_int_t)card->batch, "keysets", card->keysets,
			 "holder", card->holder[0] ? json_string(card->holder) : json_null());
}

/* POST /v1/cards/import, its first call: the import starts (the file streams into it as it arrives). */
static enum MHD_Result import_begin(struct MHD_Connection *c, struct api_req *r, bool *go)
{
	const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
	int rc;

	*go = false;
	if (name && !api_token_name_ok(name))
		return send_error(c, API_E_INVALID_REQUEST, "name: 1 to 64 of A-Z a-z 0-9 . _ -");
	rc = otad_import_begin(g_otad->db, name ? name : "api", "api", &r->im, &r->import_id);
	if (rc == -EBUSY)
		return send_error(c, API_E_IMPORT_RUNNING, "an import is running: one at a time (GET /v1/imports/ID)");
	if (rc)
		return send_error(c, API_E_DATABASE, "cannot start an import");
	otad_import_on_end(r->im, otad_import_over, NULL);
	LOGP(DAPI, LOGL_INFO, "import %lld started (token '%s')\n", (long long)r->import_id, r->who.name);
	*go = true;
	return MHD_YES;
}

/* The whole file arrived: the import ends (published, or refused with every line named) and the answer is 202 with
 * its state; GET /v1/imports/{id} shows it from then on. */
static enum MHD_Result import_end(struct MHD_Connection *c, struct api_req *r)
{
	json_t *j;
	int rc = otad_import_end(r->im);

	r->im = NULL; /* it frees itself */
	if (rc || otad_import_status_json(g_otad->db, r->import_id, &j))
		return send_error(c, API_E_DATABASE, "database error: nothing imported (import %lld)",
				  (long long)r->import_id);
	return send_json(c, MHD_HTTP_ACCEPTED, j);
}

static enum MHD_Result get_import(struct MHD_Connection *c, const char *arg)
{
	json_t *j;
	int rc = otad_import_status_json(g_otad->db, strtoll(arg, NULL, 10), &j);

	if (rc == -ENOENT)
		return send_error(c, API_E_IMPORT_NOT_FOUND, "no import %s", arg);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	return send_json(c, MHD_HTTP_OK, j);
}

static enum MHD_Result get_card(struct MHD_Connection *c, const char *iccid)
{
	struct otad_card card;
	int rc = otad_db_card_get(g_otad->db, iccid, &card);

	if (rc == -ENOENT)
		return send_error(c, API_E_CARD_NOT_FOUND, "no card with ICCID %s", iccid);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	return send_json(c, MHD_HTTP_OK, card_json(&card));
}

static enum MHD_Result patch_card(struct MHD_Connection *c, struct api_req *r)
{
	struct otad_card card;
	char err[160], old[16];
	int state, rc;

	if (api_card_patch_parse(r->body ? r->body : "", r->len, &state, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	rc = otad_db_card_set_state(g_otad->db, r->arg, state, old);
	if (rc == -ENOENT)
		return send_error(c, API_E_CARD_NOT_FOUND, "no card with ICCID %s", r->arg);
	if (rc == -EPERM)
		return send_error(c, API_E_CARD_RETIRED, "card %s is retired: it stays retired", r->arg);
	if (rc || otad_db_card_get(g_otad->db, r->arg, &card))
		return send_error(c, API_E_DATABASE, "database error");
	if (strcmp(old, card.state))
		LOGP(DAPI, LOGL_NOTICE, "card %s: %s -> %s (token '%s')\n", r->arg, old, card.state, r->who.name);
	return send_json(c, MHD_HTTP_OK, card_json(&card));
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query *q = cls;

	if (q->n == API_QUERY_MAX) {
		q->too_many = true;
		return MHD_NO;
	}
	q->kv[q->n].key = key;
	q->kv[q->n++].value = value;
	return MHD_YES;
}

bool get_query(struct MHD_Connection *c, struct query *q)
{
	memset(q, 0, sizeof(*q));
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, q);
	return !q->too_many;
}

static void add_card(const struct otad_card *card, void *priv)
{
	json_array_append_new(priv, card_json(card));
}

static enum MHD_Result list_cards(struct MHD_Connection *c)
{
	struct otad_card_filter f;
	struct query q;
	char err[160], cursor[21];
	json_t *a;
	int n;

	if (!get_query(c, &q))
		return send_error(c, API_E_INVALID_REQUEST, "at most %d query parameters", API_QUERY_MAX);
	if (api_cards_query(q.kv, q.n, &f, cursor, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	a = json_array();
	n = otad_db_cards_list(g_otad->db, &f, add_card, a);
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:o,s:o}", "cards", a, "next_cursor",
				   (unsigned)n == f.limit ? json_object_get(json_array_get(a, (size_t)n - 1), "iccid") :
							    json_null()));
}

/* ---- jobs ---------------------------------------------------------------------------------------------------- */

static json_t *job_json(const struct otad_job_row *j)
{
	json_t *por = json_null(), *o;
	char sw[5], spi[5], tar[7];

	if (j->por_status >= 0) {
		json_t *resp = json_null();

		if (j->por_commands >= 0) {
			snprintf(sw, sizeof(sw), "%04x", j->por_last_sw);
			resp = json_pack("{s:i,s:s,s:s}", "commands", j->por_commands, "last_sw", sw, "last_data",
					 osmo_hexdump_nospc(j->por_last_data, j->por_last_len));
		}
		por = json_pack("{s:i,s:s,s:b,s:o}", "status", j->por_status, "status_name",
				ota_por_status_name((uint8_t)j->por_status), "authenticated", j->por_authenticated == 1,
				"response", resp);
	}
	snprintf(spi, sizeof(spi), "%02x%02x", j->spi[0], j->spi[1]);
	snprintf(tar, sizeof(tar), "%02x%02x%02x", j->tar[0], j->tar[1], j->tar[2]);
	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:i,s:s,s:b,s:i,s:I,s:I,s:I,s:o}", "id", (json_int_t)j->id, "iccid",
		      j->iccid, "state", otad_job_state_names[j->state], "tar", tar, "mode",
		      otad_job_mode_names[j->mode], "kvn", j->kvn, "spi", spi, "idempotent", j->idempotent, "tries",
		      j->attempts, "counter", (json_int_t)j->counter, "created", (json_int_t)j->created_ms, "updated",
		      (json_int_t)j->updated_ms, "por", por);
	json_object_set_new(o, "script_bytes", json_integer((json_int_t)j->script_len));
	json_object_set_new(o, "response_bytes", json_integer((json_int_t)j->por_response_len));
	json_object_set_new(o, "bearer", json_string(otad_job_bearer_names[j->bearer]));
	json_object_set_new(o, "via", json_string(otad_job_bearer_names[j->via]));
	if (j->error[0])
		json_object_set_new(o, "error", json_string(j->error));
	return o;
}

static void add_job(const struct otad_job_row *j, void *priv)
{
	json_array_append_new(priv, job_json(j));
}

static enum MHD_Result list_jobs(struct MHD_Connection *c)
{
	struct otad_job_filter f;
	struct query q;
	char err[200], iccid[21];
	json_t *a, *last;
	int n;

	if (!get_query(c, &q))
		return send_error(c, API_E_INVALID_REQUEST, "at most %d query parameters", API_QUERY_MAX);
	if (api_jobs_query(q.kv, q.n, &f, iccid, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	a = json_array();
	n = otad_db_jobs_list(g_otad->db, &f, add_job, a);
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	last = (unsigned)n == f.limit ? json_object_get(json_array_get(a, (size_t)n - 1), "id") : NULL;
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:o,s:o}", "jobs", a, "next_cursor",
				   last ? json_sprintf("%lld", (long long)json_integer_value(last)) : json_null()));
}

static enum MHD_Result create_job(struct MHD_Connection *c, struct api_req *r)
{
	static struct api_job_req req;
	char err[200];
	int64_t id;
	int rc;

	if (api_job_parse(r->body ? r->body : "", r->len, &req, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	if (!otad_smsc_pick() || !smpp_esme_bound(otad_smsc_pick()))
		return send_error(c, API_E_SMSC_UNAVAILABLE, "the SMSC is unreachable: try again later");
	rc = otad_job_create(req.iccid, req.tar, req.script, req.script_len, req.idempotent, &req.opts, &id, err,
			     sizeof(err));
	if (rc == -ENOENT)
		return send_error(c, API_E_CARD_NOT_FOUND, "%s", err);
	if (rc == -EPERM)
		return send_error(c, API_E_CARD_NOT_ACTIVE, "%s", err);
	if (rc == -ENOKEY)
		return send_error(c, API_E_KEYSET_NOT_FOUND, "%s", err);
	if (rc == -EACCES)
		return send_error(c, API_E_SECURITY_TOO_LOW, "%s", err);
	if (rc == -EINVAL)
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	if (rc == -ESTALE)
		return send_error(c, API_E_COUNTERS_UNCONFIRMED, "%s", err);
	if (rc)
		return send_error(c, rc == -EIO ? API_E_DATABASE : API_E_INTERNAL, "%s", err);
	LOGP(DAPI, LOGL_INFO, "job %lld for card %s (token '%s')\n", (long long)id, req.iccid, r->who.name);
	return send_json(c, MHD_HTTP_CREATED, json_pack("{s:I}", "id", (json_int_t)id));
}

static enum MHD_Result get_job(struct MHD_Connection *c, const char *arg)
{
	static struct otad_job_row j;
	int rc = otad_db_job_get(g_otad->db, strtoll(arg, NULL, 10), &j);

	if (rc == -ENOENT)
		return send_error(c, API_E_JOB_NOT_FOUND, "no job %s", arg);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	return send_json(c, MHD_HTTP_OK, job_json(&j));
}

static enum MHD_Result cancel_job(struct MHD_Connection *c, struct api_req *r)
{
	static struct otad_job_row j;
	int64_t id = strtoll(r->arg, NULL, 10);
	char err[160];
	int rc = otad_job_cancel(id, err, sizeof(err));

	if (rc == -ENOENT)
		return send_error(c, API_E_JOB_NOT_FOUND, "no job %s", r->arg);
	if (rc == -EBUSY)
		return send_error(c, API_E_JOB_NOT_CANCELLABLE, "%s", err);
	if (rc || otad_db_job_get(g_otad->db, id, &j))
		return send_error(c, API_E_DATABASE, "database error");
	LOGP(DAPI, LOGL_NOTICE, "job %s cancelled (token '%s')\n", r->arg, r->who.name);
	return send_json(c, MHD_HTTP_OK, job_json(&j));
}

/* ---- tokens -------------------------------------------------------------------------------------------------- */

static enum MHD_Result create_token(struct MHD_Connection *c, struct api_req *r)
{
	char name[65], err[160], token[65], scope[OTAD_UNIT_CODE_MAX + 1], obj[72];
	int rc, role;

	if (api_token_parse(r->body ? r->body : "", r->len, name, &role, scope, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	rc = otad_api_token_new(name, (enum otad_role)role, scope, token);
	snprintf(obj, sizeof(obj), "token %s", name); /* the outcome; the generic hook recorded the decision */
	api_audit(r, "token.create", obj, rc ? "failed" : "done", "%s", rc == -EEXIST ? "the name is taken" : "");
	if (rc == -EEXIST)
		return send_error(c, API_E_TOKEN_EXISTS, "a token named %s exists", name);
	if (rc == -ENXIO)
		return send_error(c, API_E_UNIT_NOT_FOUND, "scope %s: no such unit in the organisation tree", scope);
	if (rc == -EINVAL)
		return send_error(c, API_E_INVALID_REQUEST, "scope: a %s token needs one", otad_role_names[role]);
	if (rc)
		return send_error(c, API_E_INTERNAL, "cannot make a token");
	rc = send_json(c, MHD_HTTP_CREATED,
		       json_pack("{s:s,s:s,s:o,s:s}", "name", name, "role", otad_role_names[role], "scope",
				 scope[0] ? json_string(scope) : json_null(), "token", token));
	OPENSSL_cleanse(token, sizeof(token));
	return rc;
}

static void add_token(const struct otad_token *t, void *priv)
{
	json_array_append_new(priv, json_pack("{s:s,s:s,s:o,s:I}", "name", t->name, "role", otad_role_names[t->role],
					      "scope", t->scope[0] ? json_string(t->scope) : json_null(), "created",
					      (json_int_t)t->created_ms));
}

static enum MHD_Result list_tokens(struct MHD_Connection *c)
{
	json_t *a = json_array();

	if (otad_db_tokens_list(g_otad->db, false, add_token, a)) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_json(c, MHD_HTTP_OK, json_pack("{s:b,s:o}", "admin_from_environment", have_admin, "tokens", a));
}

static enum MHD_Result revoke_token(struct MHD_Connection *c, struct api_req *r)
{
	char obj[API_ROUTE_ARG_MAX + 8];
	int rc;

	/* the outcome; the generic hook (otad_api_perm.c) recorded the decision before */
	snprintf(obj, sizeof(obj), "token %s", r->arg);
	rc = otad_db_token_revoke(g_otad->db, r->arg);
	api_audit(r, "token.revoke", obj, rc ? "failed" : "done", "%s",
		  rc == -ENOENT ? "no valid token of that name" : "");

	if (rc == -ENOENT)
		return send_error(c, API_E_TOKEN_NOT_FOUND, "no valid token named %s", r->arg);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	LOGP(DAPI, LOGL_NOTICE, "API token '%s' revoked (token '%s')\n", r->arg, r->who.name);
	return send_json(c, MHD_HTTP_OK, json_pack("{s:s,s:b}", "name", r->arg, "revoked", 1));
}

int otad_api_token_new(const char *name, enum otad_role role, const char *scope, char token[65])
{
	struct otad_unit u;
	uint8_t raw[32], h[32];
	int rc;

	if (!scope)
		scope = "";
	if (!scope[0] && api_role_needs_scope(role))
		return -EINVAL;
	if (scope[0]) {
		rc = otad_db_unit_get(g_otad->db, scope, &u);
		if (rc)
			return rc == -ENOENT ? -ENXIO : -EIO;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	for (int i = 0; i < 32; i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	sha256(token, 64, h);
	OPENSSL_cleanse(raw, sizeof(raw));
	rc = otad_db_token_add(g_otad->db, name, h, role, scope);
	if (rc)
		OPENSSL_cleanse(token, 65);
	else
		LOGP(DAPI, LOGL_NOTICE, "API token '%s' (%s%s%s) created\n", name, otad_role_names[role],
		     scope[0] ? ", scope " : "", scope);
	return rc;
}

/* ---- the database: a restored copy's counters ------------------------------------------------------------- */

static json_t *meta_json(const char *name)
{
	char v[300];

	return otad_db_meta_get(g_otad->db, name, v, sizeof(v)) ? json_null() : json_string(v);
}

static enum MHD_Result get_database(struct MHD_Connection *c)
{
	int floor = otad_db_needs_floor(g_otad->db);

	if (floor < 0)
		return send_error(c, API_E_DATABASE, "database error");
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:i,s:o,s:o,s:s}", "schema", otad_db_version(g_otad->db), "last_backup",
				   meta_json("last_backup"), "copy_of", meta_json("backup_of"), "counters",
				   floor ? "not-confirmed" : "in-use"));
}

static enum MHD_Result counter_floor(struct MHD_Connection *c, struct api_req *r)
{
	struct api_floor_req req;
	char err[200];
	int64_t n = 0;
	int rc;

	if (api_floor_parse(r->body ? r->body : "", r->len, &req, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	switch (req.what) {
	case API_FLOOR_ONE:
		rc = otad_db_counter_floor(g_otad->db, req.iccid, req.kvn, req.n);
		break;
	case API_FLOOR_ALL:
		n = otad_db_counter_floor_raise_all(g_otad->db, req.n);
		rc = n < 0 ? (int)n : 0;
		break;
	default:
		rc = otad_db_counter_floor_confirm(g_otad->db);
		break;
	}
	if (rc == -ENOENT)
		return send_error(c, API_E_KEYSET_NOT_FOUND, "card %s has no key set %u", req.iccid, req.kvn);
	if (rc == -ERANGE)
		return send_error(c, API_E_COUNTER_NOT_RAISED,
				  "a floor only raises a counter, within 40 bits: nothing changed");
	if (rc == -EALREADY)
		return send_error(c, API_E_NOTHING_TO_CONFIRM, "the counters need no confirmation");
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	LOGP(DAPI, LOGL_NOTICE, "counter floor: %s (token '%s')\n",
	     req.what == API_FLOOR_ONE ? "one key set raised" :
	     req.what == API_FLOOR_ALL ? "every key set raised" :
					 "counters confirmed",
	     r->who.name);
	if (req.what == API_FLOOR_ONE)
		return send_json(
			c, MHD_HTTP_OK,
			json_pack("{s:s,s:i,s:I}", "iccid", req.iccid, "kvn", req.kvn, "counter", (json_int_t)req.n));
	if (req.what == API_FLOOR_ALL)
		return send_json(c, MHD_HTTP_OK, json_pack("{s:I}", "keysets", (json_int_t)n));
	return get_database(c);
}

/* ---- holders and certificates ------------------------------------------------------------------------------ */

json_t *iso_ms(int64_t ms)
{
	char buf[40];
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (!gmtime_r(&t, &tm))
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *holder_json(const struct otad_holder *h)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "id", h->id, "name", h->name, "id_number", h->id_number,
			 "unit", h->unit, "email", h->email[0] ? json_string(h->email) : json_null(), "created",
			 iso_ms(h->created_ms), "updated", iso_ms(h->updated_ms));
}

static enum MHD_Result create_holder(struct MHD_Connection *c, struct api_req *r)
{
	struct otad_holder h;
	char err[200];
	int rc;

	if (api_holder_parse(r->body ? r->body : "", r->len, &h, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	rc = otad_db_holder_add(g_otad->db, &h);
	if (rc == -EEXIST)
		return send_error(c, API_E_HOLDER_EXISTS, "a holder has the id %s", h.id);
	if (rc == -ENXIO)
		return send_error(c, API_E_UNIT_NOT_FOUND, "unit %s: no such unit in the organisation tree", h.unit);
	if (rc || otad_db_holder_get(g_otad->db, h.id, &h))
		return send_error(c, API_E_DATABASE, "database error");
	LOGP(DAPI, LOGL_INFO, "holder %s added (token '%s')\n", h.id, r->who.name);
	return send_json(c, MHD_HTTP_CREATED, holder_json(&h));
}

static enum MHD_Result get_holder(struct MHD_Connection *c, const char *id)
{
	struct otad_holder h;
	int rc = otad_db_holder_get(g_otad->db, id, &h);

	if (rc == -ENOENT)
		return send_error(c, API_E_HOLDER_NOT_FOUND, "no holder with the id %s", id);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	return send_json(c, MHD_HTTP_OK, holder_json(&h));
}

/* PATCH /v1/holders/{id} {"unit": CODE}: the holder moves (judged on both units by api_permit()). */
static enum MHD_Result patch_holder(struct MHD_Connection *c, struct api_req *r)
{
	char unit[OTAD_UNIT_CODE_MAX + 1], successor[OTAD_UNIT_CODE_MAX + 1], err[160];
	struct otad_holder h;
	int rc;

	if (api_holder_patch_parse(r->body ? r->body : "", r->len, unit, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	rc = otad_db_holder_move(g_otad->db, r->arg, unit, otad_now_ms(), successor);
	if (rc == -ENOENT)
		return send_error(c, API_E_HOLDER_NOT_FOUND, "no holder with the id %s", r->arg);
	if (rc == -ENXIO)
		return send_error(c, API_E_UNIT_NOT_FOUND, "no unit with the code %s", unit);
	if (rc == -ESTALE)
		return send_error(c, API_E_UNIT_ENDED, "unit %s ended through a unit change%s%s: name a current unit",
				  unit, successor[0] ? ": it went into " : "", successor);
	if (rc || otad_db_holder_get(g_otad->db, r->arg, &h))
		return send_error(c, API_E_DATABASE, "database error");
	LOGP(DAPI, LOGL_INFO, "holder %s: moved to unit %s (token '%s')\n", r->arg, unit, r->who.name);
	return send_json(c, MHD_HTTP_OK, holder_json(&h));
}

static void add_holder(const struct otad_holder *h, void *priv)
{
	json_array_append_new(priv, holder_json(h));
}

static enum MHD_Result list_holders(struct MHD_Connection *c, struct api_req *r)
{
	struct otad_holder_filter f;
	struct query q;
	char err[160], unit[OTAD_UNIT_CODE_MAX + 1], cursor[OTAD_HOLDER_ID_MAX + 1];
	json_t *a;
	int n;

	if (!get_query(c, &q))
		return send_error(c, API_E_INVALID_REQUEST, "at most %d query parameters", API_QUERY_MAX);
	if (api_holders_query(q.kv, q.n, &f, unit, cursor, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	if (!f.unit && r->actor.scope[0])
		f.unit = r->actor.scope; /* a scoped token sees its subtree (api_permit()) */
	a = json_array();
	n = otad_db_holders_list(g_otad->db, &f, add_holder, a);
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:o,s:O}", "holders", a, "next_cursor",
				   (unsigned)n == f.limit ? json_object_get(json_array_get(a, (size_t)n - 1), "id") :
							    json_null()));
}

static enum MHD_Result put_card_holder(struct MHD_Connection *c, struct api_req *r)
{
	char holder[OTAD_HOLDER_ID_MAX + 1], err[160];
	struct otad_card card;
	int rc;

	if (api_card_holder_parse(r->body ? r->body : "", r->len, holder, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	rc = otad_db_card_set_holder(g_otad->db, r->arg, holder[0] ? holder : NULL);
	if (rc == -ENOENT)
		return send_error(c, API_E_CARD_NOT_FOUND, "no card with ICCID %s", r->arg);
	if (rc == -ENXIO)
		return send_error(c, API_E_HOLDER_NOT_FOUND, "no holder with the id %s", holder);
	if (rc || otad_db_card_get(g_otad->db, r->arg, &card))
		return send_error(c, API_E_DATABASE, "database error");
	LOGP(DAPI, LOGL_INFO, "card %s: holder %s (token '%s')\n", r->arg, holder[0] ? holder : "none", r->who.name);
	return send_json(c, MHD_HTTP_OK, card_json(&card));
}

static void add_cert(const struct otad_cert *ct, void *priv)
{
	char *pem = cert_pem(ct->der, ct->der_len);

	json_array_append_new(priv, json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s?}", "id", (json_int_t)ct->id,
					      "serial", ct->serial, "key_id", ct->key_id, "profile", ct->profile,
					      "status", otad_cert_status_names[ct->status], "not_after",
					      iso_ms(ct->not_after * 1000), "issued", iso_ms(ct->issued_ms), "revoked",
					      ct->revoked_ms ? iso_ms(ct->revoked_ms) : json_null(), "pem", pem));
	free(pem);
}

static enum MHD_Result get_card_certs(struct MHD_Connection *c, const char *iccid)
{
	struct otad_card card;
	json_t *a;
	int rc = otad_db_card_get(g_otad->db, iccid, &card);

	if (rc == -ENOENT)
		return send_error(c, API_E_CARD_NOT_FOUND, "no card with ICCID %s", iccid);
	a = json_array();
	if (rc || otad_db_certs_list(g_otad->db, iccid, add_cert, a) < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_json(c, MHD_HTTP_OK, json_pack("{s:o}", "items", a));
}

/* POST /v1/holders/import: the file streams in; each line is stored or rejected as it arrives. */
static enum MHD_Result holders_import_begin(struct MHD_Connection *c, struct api_req *r, bool *go)
{
	*go = false;
	r->hi = holder_import_begin(r, g_otad->db);
	if (!r->hi)
		return send_error(c, API_E_INTERNAL, "out of memory");
	*go = true;
	return MHD_YES;
}

static enum MHD_Result holders_import_end(struct MHD_Connection *c, struct api_req *r)
{
	json_t *rep;

	if (!r->hi || holder_import_end(r->hi, &rep))
		return send_error(c, API_E_DATABASE, "database error: the lines before it are stored");
	LOGP(DAPI, LOGL_INFO, "holders imported: %lld stored, %lld lines rejected (token '%s')\n",
	     (long long)json_integer_value(json_object_get(rep, "holders")),
	     (long long)json_integer_value(json_object_get(rep, "rejected_lines")), r->who.name);
	return send_json(c, MHD_HTTP_OK, rep);
}

/* ---- the request's life -------------------------------------------------------------------------------------- */

/* MHD's first call: everything that can be judged from the headers. \returns an answer queued (or MHD_NO); or,
 * with *go set, MHD_YES to read the body. */
static enum MHD_Result first_call(struct MHD_Connection *c, const char *url, const char *method, struct api_req *r,
				  bool *go)
{
	const char *allow, *cl;
	enum MHD_Result res;
	struct timespec t;
	uint8_t key[32];
	int rc;

	*go = false;
	clock_gettime(CLOCK_MONOTONIC, &t);
	rc = who(c, &r->who, key);
	if (rc == -EIO)
		return send_error(c, API_E_DATABASE, "database error");
	api_actor(r);
	if (rc) {
		client_key(c, key);
		if (!api_ratelimit_take(limits, key, otad_api_cfg.rate_anonymous, t.tv_sec)) {
			ctr(OTAD_CTR_API_LIMITED);
			return send_error(c, API_E_RATE_LIMITED,
					  "more than %u requests per second without a valid token",
					  otad_api_cfg.rate_anonymous);
		}
		return send_error(c, API_E_UNAUTHORIZED, "a valid bearer token is needed (Authorization: Bearer ...)");
	}
	/* a token's allowance is keyed by its hash, a client address's by the hash of "addr A.B.C.D" */
	if (!api_ratelimit_take(limits, key, otad_api_cfg.rate, t.tv_sec)) {
		ctr(OTAD_CTR_API_LIMITED);
		return send_error(c, API_E_RATE_LIMITED, "more than %u requests per second for token '%s'",
				  otad_api_cfg.rate, r->who.name);
	}
	r->route = api_route(method, url, r->arg, &allow);
	switch (r->route) {
	case API_NONE:
		return send_error(c, API_E_NOT_FOUND, "no such resource: %s", url);
	case API_BAD_METHOD:
		return send_405(c, method, url, allow);
	case API_BAD_ICCID:
		return send_error(c, API_E_INVALID_ICCID, "not an ICCID (18 to 20 digits): %s", url);
	case API_BAD_ID:
		return send_error(c, API_E_INVALID_ID, "not an id (a number): %s", url);
	case API_BAD_HOLDER_ID:
		return send_error(c, API_E_INVALID_HOLDER_ID, "not a holder id (1 to 64 of A-Z a-z 0-9 . _ -): %s",
				  url);
	case API_BAD_UNIT: /* the organisation tree (otad_api_units.c) */
		return send_error(c, API_E_INVALID_UNIT, "not a unit code (1 to 15 digits): %s", url);
	default:
		break;
	}
	r->method = method;
	snprintf(r->path, sizeof(r->path), "%s", url);
	if (!api_permit(c, r, false, &res))
		return res;
	r->max = r->route == API_CARDS_IMPORT || r->route == API_HOLDERS_IMPORT ? otad_api_cfg.import_max :
		 r->route == API_CAMPAIGNS_CREATE ? API_JSON_MAX /* a list of ICCIDs: up to ~40,000 */ :
		 r->route == API_REQUESTS_CREATE  ? API_JSON_MAX /* requests: up to 10,000 holder ids */ :
						    otad_api_cfg.json_max;
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > r->max)
		return send_error(c, API_E_BODY_TOO_LARGE, "the body is larger than %zu bytes", r->max);
	if (r->route == API_CARDS_IMPORT)
		return import_begin(c, r, go);
	if (r->route == API_HOLDERS_IMPORT)
		return holders_import_begin(c, r, go);
	*go = true;
	return MHD_YES;
}

static enum MHD_Result take_body(struct api_req *r, const char *upload, size_t n)
{
	if (r->len + n > r->max) {
		LOGP(DAPI, LOGL_NOTICE, "a body grew beyond %zu bytes: connection closed (token '%s')\n", r->max,
		     r->who.name);
		return MHD_NO; /* completed() aborts an import */
	}
	if (r->im) {
		r->len += n;
		if (otad_import_feed(r->im, upload, n)) {
			otad_import_abort(r->im, "database error");
			r->im = NULL;
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (r->route == API_HOLDERS_IMPORT) {
		r->len += n;
		if (r->hi && holder_import_feed(r->hi, upload, n)) {
			talloc_free(r->hi);
			r->hi = NULL; /* answered with a database error at the end */
		}
		return MHD_YES;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = (r->len + n + 1) * 2;
		char *b;

		if (cap > r->max + 1)
			cap = r->max + 1;
		b = talloc_size(r, cap); /* not realloc: the old copy is wiped, it may hold keys */
		if (!b)
			return MHD_NO;
		if (r->body) {
			memcpy(b, r->body, r->len);
			OPENSSL_cleanse(r->body, r->len);
			talloc_free(r->body);
		}
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, upload, n);
	r->len += n;
	r->body[r->len] = 0;
	return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct api_req *r = *con_cls;
	enum MHD_Result rc;
	bool go;

	if (!r) {
		r = talloc_zero(g_otad->ctx, struct api_req);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		rc = first_call(c, url, method, r, &go);
		if (!go)
			r->route = API_NONE; /* answered: nothing more happens for it */
		return rc;
	}
	if (*upload_size) {
		rc = take_body(r, upload, *upload_size);
		*upload_size = 0;
		return rc;
	}
	if (!r->judged && !api_permit(c, r, true, &rc))
		return rc; /* the routes whose object the body names */
	switch (r->route) {
	case API_CARDS_IMPORT:
		return import_end(c, r);
	case API_CARDS_LIST:
		return list_cards(c);
	case API_CARD_GET:
		return get_card(c, r->arg);
	case API_CARD_PATCH:
		return patch_card(c, r);
	case API_JOBS_LIST:
		return list_jobs(c);
	case API_JOBS_CREATE:
		return create_job(c, r);
	case API_JOB_GET:
		return get_job(c, r->arg);
	case API_JOB_CANCEL:
		return cancel_job(c, r);
	case API_IMPORT_GET:
		return get_import(c, r->arg);
	case API_TOKENS_LIST:
		return list_tokens(c);
	case API_TOKENS_CREATE:
		return create_token(c, r);
	case API_TOKEN_REVOKE:
		return revoke_token(c, r);
	case API_DATABASE_GET:
		return get_database(c);
	case API_COUNTER_FLOOR:
		return counter_floor(c, r);
	case API_CARD_CERTS:
		return get_card_certs(c, r->arg);
	case API_CARD_HOLDER:
		return put_card_holder(c, r);
	case API_HOLDERS_CREATE:
		return create_holder(c, r);
	case API_HOLDERS_LIST:
		return list_holders(c, r);
	case API_HOLDER_GET:
		return get_holder(c, r->arg);
	case API_HOLDER_PATCH:
		return patch_holder(c, r);
	case API_HOLDERS_IMPORT:
		return holders_import_end(c, r);
	case API_CARD_ENROL:
		return api_enrol_start(c, r);
	case API_ENROL_GET:
		return api_enrol_get(c, r->arg);
	case API_CAMPAIGNS_CREATE:
		return api_campaign_create(c, r);
	case API_CAMPAIGNS_LIST:
		return api_campaigns_list(c);
	case API_CAMPAIGN_GET:
		return api_campaign_get(c, r->arg);
	case API_CAMPAIGN_PAUSE:
	case API_CAMPAIGN_RESUME:
	case API_CAMPAIGN_CANCEL:
		return api_campaign_act(c, r);
	case API_CAMPAIGN_CARDS:
		return api_campaign_cards(c, r->arg);
	/* the organisation tree (otad_api_units.c) */
	case API_UNITS_LIST:
		return api_units_list(c);
	case API_UNIT_GET:
		return api_unit_get(c, r->arg);
	case API_UNIT_CHILDREN:
		return api_unit_children(c, r->arg);
	case API_UNIT_HOLDERS:
		return api_unit_holders(c, r->arg);
	case API_UNIT_HISTORY:
		return api_unit_history(c, r->arg);
	case API_UNIT_CHANGES_LIST:
		return api_unit_changes_list(c);
	case API_UNIT_CHANGES_FILE:
		return api_unit_change_file(c, r);
	case API_UNIT_CHANGE_GET:
		return api_unit_change_get(c, r->arg);
	/* end of the organisation tree */
	/* requests (otad_api_request.c) */
	case API_REQUESTS_CREATE:
		return api_request_file(c, r);
	case API_REQUESTS_LIST:
		return api_requests_list(c, r);
	case API_REQUESTS_STATS:
		return api_request_stats(c, r);
	case API_REQUEST_GET:
		return api_request_get(c, r);
	case API_REQUEST_APPROVE:
	case API_REQUEST_REJECT:
	case API_REQUEST_WITHDRAW:
		return api_request_act(c, r);
	/* end of requests */
	/* lifecycle operations (issue 16, otad_api_lifecycle.c): begin */
	case API_LC_CREATE:
		return api_lc_create(c, r);
	case API_LC_LIST:
		return api_lc_list(c, r);
	case API_LC_GET:
		return api_lc_get(c, r->arg);
	case API_LC_PAUSE:
	case API_LC_RESUME:
	case API_LC_CANCEL:
		return api_lc_act(c, r);
	case API_LC_ITEMS:
		return api_lc_items(c, r->arg);
	case API_CERT_REVOKE:
	case API_CERT_SUSPEND:
	case API_CERT_RELEASE:
	case API_CERT_RENEW:
	case API_CERT_MODIFY:
	case API_CERT_REKEY:
		return api_lc_cert(c, r);
	/* lifecycle operations: end */
	/* audit trail routes (otad_api_audit.c) */
	case API_AUDIT_LIST:
		return api_audit_list(c, r);
	case API_AUDIT_VERIFY:
		return api_audit_verify(c, r);
	case API_AUDIT_EXPORT:
		return api_audit_export(c, r);
	/* ---- issue 16: remote PIN reset (otad_api_pinreset.c) ---- */
	case API_HOLDER_PIN_RESET:
		return api_pin_reset_start(c, r);
	case API_PIN_RESET_GET:
		return api_pin_reset_get(c, r);
	/* ---- end of the PIN reset's routes ---- */
	default:
		return send_error(c, API_E_INTERNAL, "unexpected request state");
	}
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct api_req *r = *con_cls;

	if (r && r->im) /* the upload broke off (or grew beyond the limit) before its end */
		otad_import_abort(r->im, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "the upload ended early" :
										      "the upload broke off");
	if (r && r->body)
		OPENSSL_cleanse(r->body, r->cap);
	talloc_free(r);
	*con_cls = NULL;
}

int otad_api_start(char *err, size_t errlen)
{
	const char *token = getenv("SIMPKI_API_TOKEN");
	const char *ip = otad_api_cfg.ip ? otad_api_cfg.ip : "127.0.0.1";
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(otad_api_cfg.port) };
	static const struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_CONNECTION_LIMIT, 256, NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct otad_tls_pem pem;
	bool tls;
	int rc;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "'api bind %s': not an IPv4 address", ip);
		return -EINVAL;
	}
	rc = otad_tls_setup(g_otad->ctx, &sa.sin_addr, otad_api_cfg.tls_cert, otad_api_cfg.tls_key, &pem, err, errlen);
	if (rc)
		return rc;
	tls = pem.cert != NULL;
	if (token && strlen(token) >= API_TOKEN_MIN && strlen(token) <= API_TOKEN_MAX) {
		sha256(token, strlen(token), admin_hash);
		have_admin = true;
	} else {
		LOGP(DAPI, LOGL_NOTICE, "SIMPKI_API_TOKEN %s: only tokens made in the VTY are accepted\n",
		     token ? "is not 16 to 128 characters" : "is not set");
	}
	if (otad_mhd_start(&mhd, 0, &sa, handler, completed, opts, &pem)) {
		snprintf(err, errlen, "cannot listen on %s:%u (the port is taken%s; libmicrohttpd's message is above)",
			 ip, otad_api_cfg.port, tls ? ", or GnuTLS refused the certificate or key" : "");
		return -EADDRINUSE;
	}
	if (!limits)
		limits = api_ratelimit_alloc(g_otad->ctx);
	snprintf(mhd_url, sizeof(mhd_url), "%s://%s:%u/v1/", tls ? "https" : "http", ip, otad_api_cfg.port);
	LOGP(DAPI, LOGL_NOTICE, "operator API on %s%s\n", mhd_url, tls ? " (TLS)" : "");
	return 0;
}

bool otad_api_has_admin(void)
{
	return have_admin;
}

const char *otad_api_url(void)
{
	return mhd_url[0] ? mhd_url : NULL;
}

void otad_api_stop(void)
{
	if (!otad_mhd_stop(&mhd))
		return;
	mhd_url[0] = 0;
	OPENSSL_cleanse(admin_hash, sizeof(admin_hash));
}
