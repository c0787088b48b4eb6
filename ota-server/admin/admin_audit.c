/* simpki-admin's audit trail commands (docs/otad.md, Audit trail): 'audit verify' through the API
 * (GET /v1/audit/verify), 'audit export --out FILE' (GET /v1/audit/export, JSON lines, written to FILE.tmp and
 * renamed), and 'audit verify --file EXPORT --key PUB.pem', which verifies an export here with the audit
 * library's verifier (../audit/audit_verify.h), reading the file twice: its checkpoints first, then its records
 * through the verifier (memory: the checkpoints and one line). Each returns an exit code (admin.h): 0 the trail is
 * good, 1 a problem was found. */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "admin.h"
#include "apiclient.h"
#include "audit_export.h"
#include "audit_key.h"
#include "audit_verify.h"

#define KEY_FILE_MAX 16384
#define ERROR_ANSWER_MAX 65536

char *admin_render_audit_verify(const json_t *v)
{
	const json_t *p = json_object_get(v, "problem");
	long long records = json_integer_value(json_object_get(v, "records"));
	long long cps = json_integer_value(json_object_get(v, "checkpoints"));
	long long last_cp = json_integer_value(json_object_get(v, "last_checkpoint_seq"));
	long long unsigned_ = json_integer_value(json_object_get(v, "records_unsigned"));
	char *s = NULL;
	int n;

	if (json_is_true(json_object_get(v, "ok")))
		n = asprintf(&s,
			     "audit trail OK: %lld records, chained from record 1; %lld checkpoints, the last signed "
			     "one covers record %lld; %lld records after it (chained, not signed yet)\n",
			     records, cps, last_cp, unsigned_);
	else
		n = asprintf(&s,
			     "audit trail NOT OK: the first problem is at record %lld: %s\n  %s\n"
			     "(%lld records, %lld checkpoints; the last good checkpoint covers record %lld)\n",
			     (long long)json_integer_value(json_object_get(p, "seq")),
			     json_string_value(json_object_get(p, "kind")) ?: "?",
			     json_string_value(json_object_get(p, "detail")) ?: "", records, cps, last_cp);
	return n < 0 ? NULL : s;
}

static enum admin_exit print_verify(const json_t *v, bool as_json)
{
	char *s;

	if (as_json) {
		if (admin_print_json(v))
			return ADMIN_EXIT_FAILURE;
	} else {
		s = admin_render_audit_verify(v);
		if (!s) {
			fprintf(stderr, "simpki-admin: out of memory\n");
			return ADMIN_EXIT_FAILURE;
		}
		fputs(s, stdout);
		free(s);
	}
	return json_is_true(json_object_get(v, "ok")) ? ADMIN_EXIT_OK : ADMIN_EXIT_FAILURE;
}

enum admin_exit admin_audit_verify_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	enum admin_exit ex;
	json_t *v;

	ex = admin_call(a, "GET", "/v1/audit/verify", NULL, "audit trail", &v);
	if (ex)
		return ex;
	ex = print_verify(v, cl->json);
	json_decref(v);
	return ex;
}

static size_t to_file(char *d, size_t size, size_t n, void *f)
{
	return fwrite(d, size, n, f) * size;
}

/* A refused export: its JSON error, read back from the file it went to. */
static enum admin_exit export_refused(struct admin_ctx *a, FILE *f, long status)
{
	struct admin_resp r = { .status = status };
	char *buf = malloc(ERROR_ANSWER_MAX);
	size_t n = 0;
	enum admin_exit ex;

	if (buf) {
		rewind(f);
		n = fread(buf, 1, ERROR_ANSWER_MAX, f);
		r.body = json_loadb(buf, n, 0, NULL);
	}
	ex = admin_http_fail(a, &r, "audit trail");
	json_decref(r.body);
	free(buf);
	return ex;
}

enum admin_exit admin_audit_export_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	struct apiclient_buf b = { .max = 1 };
	struct curl_slist *h = apiclient_auth_header(a->token);
	char *url = apiclient_url(a->url, "/v1/audit/export"), *tmp = NULL;
	enum admin_exit ex = ADMIN_EXIT_FAILURE;
	long status = 0;
	CURLcode cc;
	FILE *f = NULL;

	if (!h || !url || asprintf(&tmp, "%s.tmp", cl->out) < 0) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		tmp = NULL;
		goto out;
	}
	f = fopen(tmp, "w+");
	if (!f) {
		fprintf(stderr, "simpki-admin: %s: %s\n", tmp, strerror(errno));
		ex = ADMIN_EXIT_USAGE;
		goto out;
	}
	apiclient_request(a->curl, url, h, &b, "GET", NULL);
	curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, to_file);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, f);
	a->curl_err[0] = 0;
	cc = curl_easy_perform(a->curl);
	if (cc != CURLE_OK) {
		fprintf(stderr, "simpki-admin: cannot get the export from %s: %s\n", a->url,
			a->curl_err[0] ? a->curl_err : curl_easy_strerror(cc));
		ex = cc == CURLE_WRITE_ERROR ? ADMIN_EXIT_FAILURE : ADMIN_EXIT_UNREACHABLE;
		goto out;
	}
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		ex = export_refused(a, f, status);
		goto out;
	}
	if (fflush(f) || fsync(fileno(f)) || fclose(f)) {
		f = NULL;
		fprintf(stderr, "simpki-admin: cannot write %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, cl->out)) {
		fprintf(stderr, "simpki-admin: cannot rename %s to %s: %s\n", tmp, cl->out, strerror(errno));
		goto out;
	}
	printf("audit trail exported to %s\n", cl->out);
	ex = ADMIN_EXIT_OK;
out:
	if (f)
		fclose(f);
	if (ex && tmp)
		unlink(tmp);
	free(tmp);
	free(url);
	free(b.p);
	apiclient_headers_free(h);
	return ex;
}

/* ---- offline ---- */

/* The next line of \a f into \a buf (its '\n' and a '\r' before it taken off). \returns 1; 0 at the end; -E2BIG */
static int next_line(FILE *f, char *buf, size_t max, size_t *len)
{
	size_t n;

	if (!fgets(buf, (int)max, f))
		return 0;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	else if (!feof(f))
		return -E2BIG;
	if (n && buf[n - 1] == '\r')
		buf[--n] = 0;
	*len = n;
	return 1;
}

static EVP_PKEY *read_key(const char *path)
{
	char *buf = malloc(KEY_FILE_MAX);
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = NULL;
	size_t n;

	if (f && buf) {
		n = fread(buf, 1, KEY_FILE_MAX, f);
		if (n < KEY_FILE_MAX)
			k = audit_key_public_from_pem(buf, n);
	}
	if (f)
		fclose(f);
	free(buf);
	return k;
}

struct offline {
	FILE *f;
	char *line;
	struct audit_line *l;
	struct audit_checkpoint *cps;
	size_t n_cps, cap;
	char export_key_id[AUDIT_KEY_ID_LEN + 1];
};

/* Pass 1: the checkpoints and the key, the order of the kinds of lines. \returns 0; an exit code (printed) */
static enum admin_exit pass1(struct offline *o, const char *path)
{
	unsigned no = 0;
	int stage = 0, rc; /* 0 records, 1 checkpoints, 2 key */
	char err[160];
	size_t len;

	while ((rc = next_line(o->f, o->line, AUDIT_LINE_MAX + 2, &len)) == 1) {
		no++;
		if (audit_export_parse(o->line, len, o->l, err, sizeof(err))) {
			fprintf(stderr, "simpki-admin: %s: line %u: %s\n", path, no, err);
			return ADMIN_EXIT_USAGE;
		}
		if ((int)o->l->type < stage) {
			fprintf(stderr, "simpki-admin: %s: line %u: records, then checkpoints, then the key\n", path,
				no);
			return ADMIN_EXIT_USAGE;
		}
		stage = (int)o->l->type;
		if (o->l->type == AUDIT_LINE_KEY) {
			memcpy(o->export_key_id, o->l->key_id, sizeof(o->export_key_id));
		} else if (o->l->type == AUDIT_LINE_CHECKPOINT) {
			if (o->n_cps == o->cap) {
				size_t cap = o->cap ? 2 * o->cap : 64;
				struct audit_checkpoint *c = realloc(o->cps, cap * sizeof(*c));

				if (!c) {
					fprintf(stderr, "simpki-admin: out of memory\n");
					return ADMIN_EXIT_FAILURE;
				}
				o->cps = c;
				o->cap = cap;
			}
			o->cps[o->n_cps++] = o->l->cp;
		}
	}
	if (rc < 0) {
		fprintf(stderr, "simpki-admin: %s: line %u: longer than %d bytes\n", path, no + 1, AUDIT_LINE_MAX);
		return ADMIN_EXIT_USAGE;
	}
	return ADMIN_EXIT_OK;
}

static json_t *result_json(const struct audit_verify_result *r, const char *key_id)
{
	json_t *problem = r->ok ? json_null() :
				  json_pack("{s:I,s:s,s:s}", "seq", (json_int_t)r->problem_seq, "kind",
					    audit_problem_names[r->problem], "detail", r->detail);

	return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:s,s:o}", "ok", r->ok, "records", (json_int_t)r->records,
			 "last_seq", (json_int_t)r->last_seq, "checkpoints", (json_int_t)r->checkpoints,
			 "last_checkpoint_seq", (json_int_t)r->last_checkpoint_seq, "records_unsigned",
			 (json_int_t)r->records_unsigned, "key_id", key_id, "problem", problem);
}

enum admin_exit admin_audit_verify_file(const struct admin_cmdline *cl)
{
	struct offline o = { 0 };
	struct audit_verify v;
	struct audit_verify_result res;
	char key_id[AUDIT_KEY_ID_LEN + 1];
	enum admin_exit ex = ADMIN_EXIT_FAILURE;
	EVP_PKEY *key = read_key(cl->key_file);
	size_t len;
	json_t *j;

	if (!key) {
		fprintf(stderr, "simpki-admin: %s: no P-256 public key in PEM\n", cl->key_file);
		return ADMIN_EXIT_USAGE;
	}
	o.f = fopen(cl->file, "r");
	o.line = malloc(AUDIT_LINE_MAX + 2);
	o.l = malloc(sizeof(*o.l));
	if (!o.f) {
		fprintf(stderr, "simpki-admin: %s: %s\n", cl->file, strerror(errno));
		ex = ADMIN_EXIT_USAGE;
		goto out;
	}
	if (!o.line || !o.l || audit_key_id(key, key_id)) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		goto out;
	}
	ex = pass1(&o, cl->file);
	if (ex)
		goto out;
	if (o.export_key_id[0] && strcmp(o.export_key_id, key_id))
		fprintf(stderr,
			"simpki-admin: note: the export names audit key %.16s..., not the key in %s (%.16s...): its "
			"checkpoints are checked with yours\n",
			o.export_key_id, cl->key_file, key_id);
	ex = ADMIN_EXIT_FAILURE;
	if (audit_verify_begin(&v, key, o.cps, o.n_cps))
		goto out;
	rewind(o.f);
	while (next_line(o.f, o.line, AUDIT_LINE_MAX + 2, &len) == 1) {
		char err[160];

		if (audit_export_parse(o.line, len, o.l, err, sizeof(err)) || o.l->type != AUDIT_LINE_RECORD)
			break;
		if (audit_verify_record(&v, &o.l->rec) < 0)
			goto out;
	}
	audit_verify_end(&v, &res);
	j = result_json(&res, key_id);
	if (!j) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		goto out;
	}
	ex = print_verify(j, cl->json);
	json_decref(j);
out:
	if (o.f)
		fclose(o.f);
	free(o.line);
	free(o.l);
	free(o.cps);
	EVP_PKEY_free(key);
	return ex;
}
