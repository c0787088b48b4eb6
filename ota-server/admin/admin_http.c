/* simpki-admin's exchanges with simpki-otad's operator API over libcurl: one easy handle for the run (the
 * connection is kept between requests), the bearer token in one header list, answers read as JSON, and the one
 * place where an HTTP status becomes an exit code (admin_http_fail).
 *
 * The token is sent only in the Authorization header, which libcurl never puts in its error texts; plain http://
 * is refused beyond loopback, as simpki-otad refuses to serve it there. A GET answered 429 (rate limited) is asked
 * again after a second, at most 5 times.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "admin.h"
#include "apiclient.h"

#define ANSWER_MAX (64u << 20) /* bytes of an answer at most (a page of 1000 certificates is far less) */
#define LOW_SPEED_TIME 60L     /* seconds below 1 byte/s: the transfer is given up */
#define RETRIES_429 5

int admin_http_open(struct admin_ctx *a, char *err, size_t len)
{
	CURL *c;
	int rc = apiclient_open(a->url, "simpki-admin/" SIMPKI_VERSION, a->cacert, a->curl_err, &c, err, len);

	if (rc)
		return rc;
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME);
	a->curl = c;
	return 0;
}

void admin_http_close(struct admin_ctx *a)
{
	if (a->curl)
		curl_easy_cleanup(a->curl);
	a->curl = NULL;
}

/* The request's headers: the token, the body's type. \returns NULL when out of memory */
static struct curl_slist *headers(const struct admin_ctx *a, const char *ctype, bool chunked)
{
	struct curl_slist *h = apiclient_auth_header(a->token), *n;
	char ct[96];

	if (!h)
		return NULL;
	snprintf(ct, sizeof(ct), "Content-Type: %s", ctype ? ctype : "application/json");
	n = curl_slist_append(h, ct);
	if (n && chunked)
		n = curl_slist_append(h, "Transfer-Encoding: chunked");
	if (n)
		n = curl_slist_append(h, "Expect:"); /* no "100-continue" wait */
	if (!n) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

static int once(struct admin_ctx *a, const char *method, const char *url, const char *json_body, FILE *upload,
		long long upload_len, const char *ctype, struct admin_resp *r)
{
	CURL *c = a->curl;
	struct curl_slist *h = headers(a, ctype, upload && upload_len < 0);
	struct apiclient_buf b = { .max = ANSWER_MAX - 1 };
	CURLcode cc;

	if (!h)
		return -ENOMEM;
	apiclient_request(c, url, h, &b, upload ? "GET" : method, json_body); /* an upload's POST is set below */
	if (upload) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, NULL); /* fread on READDATA */
		curl_easy_setopt(c, CURLOPT_READDATA, upload);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)upload_len);
	}
	a->curl_err[0] = '\0';
	cc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_READDATA, NULL); /* the stream is the caller's, closed after this */
	apiclient_headers_free(h);
	if (cc != CURLE_OK) {
		free(b.p);
		if (!a->curl_err[0])
			snprintf(a->curl_err, sizeof(a->curl_err), "%s", curl_easy_strerror(cc));
		if (b.too_big)
			snprintf(a->curl_err, sizeof(a->curl_err), "an answer of more than %u MiB", ANSWER_MAX >> 20);
		return cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EHOSTUNREACH;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = b.p ? json_loadb(b.p, b.len, 0, NULL) : NULL;
	free(b.p);
	return 0;
}

int admin_http(struct admin_ctx *a, const char *method, const char *path, const char *json_body, FILE *upload,
	       long long upload_len, const char *ctype, struct admin_resp *r)
{
	char *url = apiclient_url(a->url, path);
	int rc;

	if (!url)
		return -ENOMEM;
	r->status = 0;
	r->body = NULL;
	for (int i = 0;; i++) {
		rc = once(a, method, url, json_body, upload, upload_len, ctype, r);
		if (rc || r->status != 429 || strcmp(method, "GET") || i == RETRIES_429)
			break;
		json_decref(r->body);
		r->body = NULL;
		sleep(1);
	}
	free(url);
	return rc;
}

/* The API's error {"error": {"code", "message"}}, or NULLs. */
static void api_error(const struct admin_resp *r, const char **code, const char **msg)
{
	json_t *e = json_object_get(r->body, "error");

	*code = json_string_value(json_object_get(e, "code"));
	*msg = json_string_value(json_object_get(e, "message"));
}

enum admin_exit admin_http_fail(const struct admin_ctx *a, const struct admin_resp *r, const char *what)
{
	const char *code, *msg;
	enum admin_exit ex;

	api_error(r, &code, &msg);
	switch (r->status) {
	case 400:
	case 413:
	case 422:
		ex = ADMIN_EXIT_USAGE;
		break;
	case 401:
	case 403:
		fprintf(stderr, "simpki-admin: the token was refused: %s (%s, HTTP %ld)\n",
			msg ? msg : "no reason given", code ? code : "?", r->status);
		return ADMIN_EXIT_AUTH;
	case 404:
		ex = ADMIN_EXIT_NOT_FOUND;
		if (!msg) {
			fprintf(stderr, "simpki-admin: no %s (HTTP 404)\n", what ? what : "such thing");
			return ex;
		}
		break;
	case 409:
		ex = ADMIN_EXIT_CONFLICT;
		break;
	default:
		ex = ADMIN_EXIT_FAILURE;
	}
	if (msg)
		fprintf(stderr, "simpki-admin: %s (%s, HTTP %ld)\n", msg, code ? code : "?", r->status);
	else
		fprintf(stderr, "simpki-admin: %s answered HTTP %ld without an error in JSON\n", a->url, r->status);
	if (code && !strcmp(code, "body_too_large"))
		fprintf(stderr, "simpki-admin: the API's body limit ('api body-limit' in simpki-otad's configuration) "
				"is lower than this request\n");
	return ex;
}

enum admin_exit admin_send(struct admin_ctx *a, const char *method, const char *path, const char *json_body,
			   FILE *upload, long long upload_len, const char *ctype, const char *what, json_t **out)
{
	struct admin_resp r;
	enum admin_exit ex;
	int rc = admin_http(a, method, path, json_body, upload, upload_len, ctype, &r);

	*out = NULL;
	if (rc == -ENOMEM) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return ADMIN_EXIT_FAILURE;
	}
	if (rc) {
		fprintf(stderr, "simpki-admin: cannot reach the API at %s: %s\n", a->url, a->curl_err);
		return ADMIN_EXIT_UNREACHABLE;
	}
	if (r.status < 200 || r.status > 299) {
		ex = admin_http_fail(a, &r, what);
		json_decref(r.body);
		return ex;
	}
	if (!r.body) {
		fprintf(stderr, "simpki-admin: %s%s answered HTTP %ld, but not with JSON\n", a->url, path, r.status);
		return ADMIN_EXIT_FAILURE;
	}
	*out = r.body;
	return ADMIN_EXIT_OK;
}

enum admin_exit admin_call(struct admin_ctx *a, const char *method, const char *path, const char *json_body,
			   const char *what, json_t **out)
{
	return admin_send(a, method, path, json_body, NULL, 0, NULL, what, out);
}

enum admin_exit admin_print_json(const json_t *j)
{
	if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || fputc('\n', stdout) == EOF) {
		fprintf(stderr, "simpki-admin: cannot write the answer\n");
		return ADMIN_EXIT_FAILURE;
	}
	return ADMIN_EXIT_OK;
}
