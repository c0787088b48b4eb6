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

#include "apiclient.h"
#include "rp.h"
#include "rp_http.h"

static int on_progress(void *priv, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct rp_ctx *c = priv;

	if (c->stop && *c->stop)
		return 1;
	if (c->tick)
		c->tick(c->tick_priv);
	return 0;
}

int rp_http_open(struct rp_ctx *c, char *err, size_t len)
{
	CURL *h;
	int rc = apiclient_open(c->url, "simpki-sign/" SIMPKI_VERSION, c->cacert, c->curl_err, &h, err, len);

	if (rc)
		return rc;
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
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
	struct curl_slist *h = apiclient_auth_header(c->token), *n;

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

int rp_http(struct rp_ctx *c, const char *method, const char *path, const char *body, long timeout_s, struct rp_resp *r)
{
	CURL *h = c->curl;
	struct curl_slist *hd = headers(c);
	char *url = apiclient_url(c->url, path);
	struct apiclient_buf b = { .max = RP_ANSWER_MAX };
	CURLcode cc;

	r->status = 0;
	r->body = NULL;
	r->len = 0;
	if (!hd || !url) {
		apiclient_headers_free(hd);
		free(url);
		return -ENOMEM;
	}
	apiclient_request(h, url, hd, &b, method, body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
	c->curl_err[0] = '\0';
	cc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	apiclient_headers_free(hd);
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
