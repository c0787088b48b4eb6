/* simpki-sign's exchanges with the relying-party API over libcurl: one easy handle for the run, the bearer token in
 * one header list (wiped after each request), answers bounded to RP_ANSWER_MAX bytes, plain http:// refused beyond
 * loopback (as simpki-admin does), and a transfer given up at once when Ctrl-C was pressed (the progress callback).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "rp.h"
#include "rp_http.h"

#define CONNECT_TIMEOUT 10L /* seconds */

struct buf {
	char *p;
	size_t len, cap;
	bool too_big;
};

static size_t on_data(char *d, size_t size, size_t n, void *priv)
{
	struct buf *b = priv;
	size_t len = size * n;

	if (b->len + len + 1 > RP_ANSWER_MAX + 1) {
		b->too_big = true;
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

static int on_progress(void *priv, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct rp_ctx *c = priv;

	if (c->stop && *c->stop)
		return 1;
	if (c->tick)
		c->tick(c->tick_priv);
	return 0;
}

static int url_ok(const char *url, char *err, size_t len)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0)) {
		snprintf(err, len, "%s: not a URL (http://HOST:PORT or https://HOST:PORT)", url);
		goto out;
	}
	if (strcasecmp(scheme, "https") && strcasecmp(scheme, "http")) {
		snprintf(err, len, "%s: the API is http:// (loopback) or https://", url);
		goto out;
	}
	if (!strcasecmp(scheme, "http") && strncmp(host, "127.", 4) && strcasecmp(host, "localhost") &&
	    strcmp(host, "[::1]")) {
		snprintf(err, len, "%s: plain http:// beyond loopback would carry the token in clear: use https://",
			 url);
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

int rp_http_open(struct rp_ctx *c, char *err, size_t len)
{
	int rc = url_ok(c->url, err, len);
	CURL *h;

	if (rc)
		return rc;
	h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "simpki-sign/" SIMPKI_VERSION);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	if (c->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	c->curl = h;
	return 0;
}

void rp_http_close(struct rp_ctx *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

static struct curl_slist *headers(const struct rp_ctx *c)
{
	size_t len = strlen(c->token) + 32;
	char *auth = malloc(len);
	struct curl_slist *h, *n;

	if (!auth)
		return NULL;
	snprintf(auth, len, "Authorization: Bearer %s", c->token);
	h = curl_slist_append(NULL, auth);
	explicit_bzero(auth, len);
	free(auth);
	if (!h)
		return NULL;
	n = curl_slist_append(h, "Content-Type: application/json");
	if (n)
		n = curl_slist_append(h, "Accept: application/json");
	if (n)
		n = curl_slist_append(h, "Expect:");
	if (!n) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

static void headers_free(struct curl_slist *h)
{
	for (struct curl_slist *i = h; i; i = i->next)
		explicit_bzero(i->data, strlen(i->data));
	curl_slist_free_all(h);
}

int rp_http(struct rp_ctx *c, const char *method, const char *path, const char *body, long timeout_s, struct rp_resp *r)
{
	CURL *h = c->curl;
	struct curl_slist *hd = headers(c);
	size_t ulen = strlen(c->url) + strlen(path) + 1;
	char *url = malloc(ulen);
	struct buf b = { 0 };
	CURLcode cc;

	r->status = 0;
	r->body = NULL;
	r->len = 0;
	if (!hd || !url) {
		headers_free(hd);
		free(url);
		return -ENOMEM;
	}
	snprintf(url, ulen, "%s%s", c->url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
	if (strcmp(method, "GET")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? strlen(body) : 0));
		if (strcmp(method, "POST"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	c->curl_err[0] = '\0';
	cc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	headers_free(hd);
	free(url);
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		free(b.p);
		return -EINTR;
	}
	if (cc != CURLE_OK) {
		free(b.p);
		if (b.too_big)
			snprintf(c->curl_err, sizeof(c->curl_err), "an answer of more than %d bytes", RP_ANSWER_MAX);
		else if (!c->curl_err[0])
			snprintf(c->curl_err, sizeof(c->curl_err), "%s", curl_easy_strerror(cc));
		return cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EHOSTUNREACH;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = b.p ? b.p : strdup("");
	r->len = b.len;
	return r->body ? 0 : -ENOMEM;
}
