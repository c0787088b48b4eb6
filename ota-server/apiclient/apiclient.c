/* apiclient (apiclient.h): the libcurl and command-line pieces simpki-admin and simpki-sign share. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiclient.h"

#define CONNECT_TIMEOUT 10L /* seconds */

size_t apiclient_on_data(char *d, size_t size, size_t n, void *priv)
{
	struct apiclient_buf *b = priv;
	size_t len = size * n;

	if (b->len + len > b->max) {
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

int apiclient_url_ok(const char *url, char *err, size_t len)
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

int apiclient_open(const char *url, const char *agent, const char *cacert, char *errbuf, CURL **out, char *err,
		   size_t err_len)
{
	int rc = apiclient_url_ok(url, err, err_len);
	CURL *c;

	if (rc)
		return rc;
	c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, agent);
	if (cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	*out = c;
	return 0;
}

char *apiclient_url(const char *base, const char *path)
{
	size_t len = strlen(base) + strlen(path) + 1;
	char *url = malloc(len);

	if (url)
		snprintf(url, len, "%s%s", base, path);
	return url;
}

void apiclient_request(CURL *c, const char *url, struct curl_slist *h, struct apiclient_buf *b, const char *method,
		       const char *body)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, apiclient_on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L); /* resets POST state from an earlier request */
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
	if (strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? strlen(body) : 0));
		if (strcmp(method, "POST"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
}

bool apiclient_token_ok(const char *t, size_t max)
{
	size_t n = strlen(t);

	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] > '~')
			return false;
	return true;
}

struct curl_slist *apiclient_auth_header(const char *token)
{
	size_t len = strlen(token) + 32;
	char *auth = malloc(len);
	struct curl_slist *h;

	if (!auth)
		return NULL;
	snprintf(auth, len, "Authorization: Bearer %s", token);
	h = curl_slist_append(NULL, auth); /* copies it */
	explicit_bzero(auth, len);
	free(auth);
	return h;
}

void apiclient_headers_free(struct curl_slist *h)
{
	for (struct curl_slist *i = h; i; i = i->next)
		explicit_bzero(i->data, strlen(i->data));
	curl_slist_free_all(h);
}

int apiclient_bad(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int apiclient_number(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

const char *apiclient_refused(char **argv, int ind)
{
	return ind > 0 && argv[ind - 1] ? argv[ind - 1] : "?";
}
