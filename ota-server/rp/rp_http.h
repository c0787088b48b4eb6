/* simpki-sign's HTTP exchanges with the relying-party API (rp_http.c), used by rp_main.c only. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct rp_ctx {
	const char *url;    /* the API's base URL, without a trailing '/' */
	const char *token;  /* never printed */
	const char *cacert; /* --cacert */
	void *curl;	    /* CURL * */
	char curl_err[256];
	volatile sig_atomic_t *stop; /* when set, a transfer under way is given up (Ctrl-C) */
	void (*tick)(void *priv);    /* called during a transfer, at least once a second (the spinner) */
	void *tick_priv;
};

/* An answer: its status and body (NUL-terminated, at most RP_ANSWER_MAX bytes; the caller frees). */
struct rp_resp {
	long status;
	char *body;
	size_t len;
};

/*! Check the URL (http:// only to a loopback host) and set up libcurl. \returns 0; -EINVAL (a message in \a err);
 * -ENOMEM */
int rp_http_open(struct rp_ctx *c, char *err, size_t err_len);
void rp_http_close(struct rp_ctx *c);

/*! METHOD URL/PATH with the JSON \a body (NULL: none), waiting at most \a timeout_s seconds for the answer.
 * \returns 0 with r set when an HTTP answer came; -EINTR when *stop was set; -EHOSTUNREACH when none came (the
 * reason in c->curl_err); -ENOMEM */
int rp_http(struct rp_ctx *c, const char *method, const char *path, const char *body, long timeout_s,
	    struct rp_resp *r);
