/* simpki-sign's run: the command line and the token read, the signer's certificate fetched, the SignedData prepared
 * (rp_cms.c), the signature asked for, the verification code shown, the session long-polled with a spinner on a
 * terminal, and on OK the signature put in, verified and written atomically. Ctrl-C while waiting cancels the
 * session (DELETE) and exits 130. Every outcome has its exit code (rp_args.c) and, with --json, one JSON object.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "apiclient.h"
#include "rp.h"
#include "rp_http.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

struct run {
	const struct rp_cmdline *cl;
	struct rp_ctx http;
	char token[RP_TOKEN_MAX + 1];
	char url[1024];
	char *out;
	char session[RP_SESSION_ID_MAX + 1];
	int vcode;	    /* -1: not yet */
	const char *result; /* the --json result: the API's word, or one of ours (e.g. API_UNREACHABLE) */
	char result_buf[RP_NAME_MAX];
	bool written;
	/* the spinner */
	bool tty;
	struct timespec start, last_draw;
	unsigned frame;
	bool drawn;
};

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

static void spin(void *priv)
{
	static const char frames[] = "|/-\\";
	struct run *r = priv;

	if (!r->tty || (r->drawn && since(&r->last_draw) < 0.25))
		return;
	clock_gettime(CLOCK_MONOTONIC, &r->last_draw);
	fprintf(stderr, "\r%c Waiting for the user to confirm on the phone (code %04d) ... %3.0f s ",
		frames[r->frame++ % 4], r->vcode, since(&r->start));
	fflush(stderr);
	r->drawn = true;
}

static void spin_end(struct run *r)
{
	if (r->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
		r->drawn = false;
	}
}

static enum rp_exit read_token(struct run *r)
{
	const char *env = getenv("SIMPKI_RP_TOKEN");

	if (r->cl->token_file) {
		FILE *f = fopen(r->cl->token_file, "r");
		size_t n;

		if (!f) {
			fprintf(stderr, "simpki-sign: %s: %s\n", r->cl->token_file, strerror(errno));
			return RP_EXIT_USAGE;
		}
		if (!fgets(r->token, sizeof(r->token), f))
			r->token[0] = '\0';
		fclose(f);
		n = strcspn(r->token, "\r\n");
		r->token[n] = '\0';
	} else if (env) {
		snprintf(r->token, sizeof(r->token), "%s", env);
		if (strlen(env) >= sizeof(r->token))
			r->token[0] = 1; /* too long: refused below */
	} else {
		fprintf(stderr, "simpki-sign: no token: --token-file FILE or SIMPKI_RP_TOKEN\n");
		return RP_EXIT_USAGE;
	}
	if (!apiclient_token_ok(r->token, RP_TOKEN_MAX)) {
		fprintf(stderr, "simpki-sign: the token (%s) is not one: 1 to %d printable characters, no space\n",
			r->cl->token_file ? r->cl->token_file : "SIMPKI_RP_TOKEN", RP_TOKEN_MAX);
		return RP_EXIT_USAGE;
	}
	return RP_EXIT_OK;
}

/* An answer that is not 2xx: its message and exit code. \a what names the request. */
static enum rp_exit http_fail(struct run *r, const struct rp_resp *resp, const char *what)
{
	struct rp_error_answer e;
	enum rp_exit ex;

	rp_json_error(resp->body, resp->len, &e);
	ex = rp_http_exit(resp->status, e.error);
	if (ex == RP_EXIT_NOT_A_CLIENT && !strncmp(what, "GET ", 4)) { /* a session the API does not know */
		fprintf(stderr, "simpki-sign: the API does not know the session %s", r->session);
		ex = RP_EXIT_SERVER;
		goto tail;
	}
	switch (ex) {
	case RP_EXIT_NOT_A_CLIENT:
		fprintf(stderr, "simpki-sign: not a client: %s has no signing certificate",
			r->cl->phone ? r->cl->phone : r->cl->holder);
		break;
	case RP_EXIT_BUSY:
		fprintf(stderr, "simpki-sign: %s",
			resp->status == 409 ? "a signature is already pending for this user: "
					      "try again when it is over" :
					      "rate limited by the API: try again later");
		break;
	case RP_EXIT_AUTH:
		fprintf(stderr, "simpki-sign: the token was refused");
		break;
	case RP_EXIT_USAGE:
		fprintf(stderr, "simpki-sign: the API refused the request (%s)", what);
		break;
	default:
		fprintf(stderr, "simpki-sign: %s failed", what);
	}
tail:
	if (e.message[0] || e.error[0])
		fprintf(stderr, ": %s (%s, HTTP %ld)\n", e.message[0] ? e.message : "-", e.error[0] ? e.error : "?",
			resp->status);
	else
		fprintf(stderr, " (HTTP %ld)\n", resp->status);
	r->result = ex == RP_EXIT_NOT_A_CLIENT ? "NOT_A_CLIENT" :
		    ex == RP_EXIT_BUSY	       ? "BUSY" :
		    ex == RP_EXIT_AUTH	       ? "UNAUTHORIZED" :
						 "API_ERROR";
	return ex;
}

/* One request whose answer must be 200; *resp holds it (the caller frees resp->body). */
static enum rp_exit call(struct run *r, const char *method, const char *path, const char *body, long timeout_s,
			 const char *what, struct rp_resp *resp)
{
	int rc = rp_http(&r->http, method, path, body, timeout_s, resp);
	enum rp_exit ex;

	if (rc == -EINTR)
		return RP_EXIT_INTERRUPTED;
	if (rc == -ENOMEM) {
		fprintf(stderr, "simpki-sign: out of memory\n");
		r->result = "ERROR";
		return RP_EXIT_LOCAL;
	}
	if (rc) {
		spin_end(r);
		fprintf(stderr, "simpki-sign: cannot reach the API at %s: %s\n", r->url, r->http.curl_err);
		r->result = "API_UNREACHABLE";
		return RP_EXIT_SERVER;
	}
	if (resp->status != 200) {
		spin_end(r);
		ex = http_fail(r, resp, what);
		free(resp->body);
		resp->body = NULL;
		return ex;
	}
	return RP_EXIT_OK;
}

/* Cancel the session (after Ctrl-C or --timeout); a failure is only said. */
static void cancel(struct run *r)
{
	char path[64 + RP_SESSION_ID_MAX];
	struct rp_resp resp;

	spin_end(r);
	r->http.tick = NULL; /* no spinner while cancelling */
	stop = 0;
	snprintf(path, sizeof(path), "/v1/signature/session/%s", r->session);
	if (rp_http(&r->http, "DELETE", path, NULL, 10, &resp))
		fprintf(stderr, "simpki-sign: the session %s could not be cancelled: %s\n", r->session,
			r->http.curl_err[0] ? r->http.curl_err : "interrupted");
	else if (resp.status / 100 != 2)
		fprintf(stderr, "simpki-sign: cancelling the session %s: HTTP %ld\n", r->session, resp.status);
	free(resp.body);
}

static enum rp_exit bad_answer(struct run *r, const char *what, const char *err)
{
	spin_end(r);
	fprintf(stderr, "simpki-sign: the answer to %s is not as documented: %s\n", what, err);
	r->result = "API_ERROR";
	return RP_EXIT_SERVER;
}

/* The certificate: fetched, read, its key what the API says it is. */
static enum rp_exit get_cert(struct run *r, X509 **cert)
{
	struct rp_cert_answer *a = malloc(sizeof(*a));
	char *body = rp_body_certificate(r->cl), err[256];
	struct rp_resp resp = { 0 };
	enum rp_exit ex;

	*cert = NULL;
	if (!a || !body) {
		free(a);
		free(body);
		fprintf(stderr, "simpki-sign: out of memory\n");
		return RP_EXIT_LOCAL;
	}
	ex = call(r, "POST", "/v1/certificate", body, 30, "POST /v1/certificate", &resp);
	free(body);
	if (ex)
		goto out;
	if (rp_json_cert(resp.body, resp.len, a, err, sizeof(err))) {
		ex = bad_answer(r, "POST /v1/certificate", err);
		goto out;
	}
	if (rp_cert_read(a->cert_pem, cert, err, sizeof(err))) {
		ex = bad_answer(r, "POST /v1/certificate", err);
		goto out;
	}
	if (rp_cert_alg(*cert) != a->alg) {
		ex = bad_answer(r, "POST /v1/certificate", "keyAlgorithm is not the certificate's key (EC P-256, RSA)");
		X509_free(*cert);
		*cert = NULL;
	}
out:
	free(resp.body);
	free(a);
	return ex;
}

static enum rp_exit start(struct run *r, const struct rp_cms *c)
{
	char *body = rp_body_signature(r->cl, c->tbs_hash), err[256];
	struct rp_start_answer a;
	struct rp_resp resp = { 0 };
	enum rp_exit ex;
	unsigned mine = rp_vcode(c->tbs_hash);

	if (!body) {
		fprintf(stderr, "simpki-sign: out of memory\n");
		return RP_EXIT_LOCAL;
	}
	ex = call(r, "POST", "/v1/signature", body, 30, "POST /v1/signature", &resp);
	free(body);
	if (ex)
		goto out;
	if (rp_json_start(resp.body, resp.len, &a, err, sizeof(err))) {
		ex = bad_answer(r, "POST /v1/signature", err);
		goto out;
	}
	snprintf(r->session, sizeof(r->session), "%s", a.session_id);
	r->vcode = (int)mine;
	if (a.vcode != mine) {
		fprintf(stderr,
			"simpki-sign: the API's verification code %04u is not %04u, the one of the hash sent: not "
			"signing\n",
			a.vcode, mine);
		cancel(r);
		r->result = "VERIFICATION_CODE_MISMATCH";
		ex = RP_EXIT_INVALID;
		goto out;
	}
	fprintf(stderr, "Verification code: %04u \xe2\x80\x94 check that the phone shows the same code\n", mine);
out:
	free(resp.body);
	return ex;
}

/* Long-poll the session until it is complete; \a s holds the last answer. */
static enum rp_exit wait_session(struct run *r, struct rp_session_answer *s)
{
	char path[96 + RP_SESSION_ID_MAX], err[256];
	struct rp_resp resp;
	enum rp_exit ex;
	double left;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->http.tick = spin;
	r->http.tick_priv = r;
	for (;;) {
		left = r->cl->timeout - since(&r->start);
		if (left <= 0) {
			cancel(r);
			fprintf(stderr,
				"simpki-sign: no answer from the phone in %u s (--timeout): the session was "
				"cancelled\n",
				r->cl->timeout);
			r->result = "TIMEOUT";
			return RP_EXIT_TIMEOUT;
		}
		ms = left * 1000 < RP_POLL_MS ? (long)(left * 1000) + 1 : RP_POLL_MS;
		if (!r->tty)
			fprintf(stderr, "simpki-sign: waiting for the user to confirm on the phone (%.0f s)\n",
				since(&r->start));
		spin(r);
		snprintf(path, sizeof(path), "/v1/signature/session/%s?timeoutMs=%ld", r->session, ms);
		ex = call(r, "GET", path, NULL, ms / 1000 + 30, "GET /v1/signature/session", &resp);
		if (ex == RP_EXIT_OK && stop)
			ex = RP_EXIT_INTERRUPTED;
		if (ex == RP_EXIT_INTERRUPTED) {
			free(resp.body);
			cancel(r);
			fprintf(stderr, "simpki-sign: interrupted: the session %s was cancelled\n", r->session);
			r->result = "INTERRUPTED";
			return ex;
		}
		if (ex)
			return ex;
		if (rp_json_session(resp.body, resp.len, s, err, sizeof(err))) {
			free(resp.body);
			return bad_answer(r, "GET /v1/signature/session", err);
		}
		free(resp.body);
		if (s->complete)
			break;
	}
	spin_end(r);
	r->http.tick = NULL;
	return RP_EXIT_OK;
}

/* OK: the signature in, verified, written. */
static enum rp_exit finish(struct run *r, struct rp_cms *c, const struct rp_session_answer *s)
{
	char err[512];
	uint8_t *der = NULL;
	int len;
	X509 *other = NULL;

	r->result = "INVALID_SIGNATURE";
	if (s->cert_pem[0]) {
		if (rp_cert_read(s->cert_pem, &other, err, sizeof(err)))
			return bad_answer(r, "GET /v1/signature/session", err);
		if (X509_cmp(other, c->cert)) {
			X509_free(other);
			fprintf(stderr, "simpki-sign: the signature was made with another certificate than the one "
					"fetched: not signing\n");
			return RP_EXIT_INVALID;
		}
		X509_free(other);
	}
	if (rp_cms_set_signature(c, s->sig, s->sig_len, err, sizeof(err))) {
		fprintf(stderr, "simpki-sign: %s\n", err);
		return RP_EXIT_INVALID;
	}
	len = rp_cms_der(c, &der);
	if (len < 0) {
		fprintf(stderr, "simpki-sign: out of memory\n");
		r->result = "ERROR";
		return RP_EXIT_LOCAL;
	}
	if (rp_cms_verify(der, (size_t)len, r->cl->file, r->cl->ca_chain, err, sizeof(err))) {
		OPENSSL_free(der);
		fprintf(stderr, "simpki-sign: %s: nothing written\n", err);
		return RP_EXIT_INVALID;
	}
	if (rp_write_atomic(r->out, der, (size_t)len, err, sizeof(err))) {
		OPENSSL_free(der);
		fprintf(stderr, "simpki-sign: %s\n", err);
		r->result = "ERROR";
		return RP_EXIT_LOCAL;
	}
	OPENSSL_free(der);
	r->written = true;
	r->result = "OK";
	fprintf(stderr, "Signed: %s (verified%s)\n", r->out, r->cl->ca_chain ? " against the CA chain" : "");
	return RP_EXIT_OK;
}

static enum rp_exit run(struct run *r)
{
	struct rp_session_answer *s = NULL;
	struct rp_cms c = { 0 };
	X509 *cert;
	char err[512];
	enum rp_exit ex;
	int rc;

	ex = get_cert(r, &cert);
	if (ex == RP_EXIT_INTERRUPTED) {
		fprintf(stderr, "simpki-sign: interrupted\n");
		r->result = "INTERRUPTED";
	}
	if (ex)
		return ex;
	rc = rp_cms_begin(&c, cert, r->cl->file, time(NULL), err, sizeof(err));
	if (rc) {
		fprintf(stderr, "simpki-sign: %s\n", err);
		rp_cms_free(&c);
		r->result = "ERROR";
		return rc == -EINVAL ? RP_EXIT_LOCAL :
				       RP_EXIT_USAGE; /* -EINVAL: OpenSSL failed; else FILE unreadable */
	}
	ex = start(r, &c);
	if (ex)
		goto out;
	s = malloc(sizeof(*s));
	if (!s) {
		fprintf(stderr, "simpki-sign: out of memory\n");
		ex = RP_EXIT_LOCAL;
		goto out;
	}
	ex = wait_session(r, s);
	if (ex)
		goto out;
	if (s->result != RP_RES_OK) {
		snprintf(r->result_buf, sizeof(r->result_buf), "%s", s->result_name);
		r->result = r->result_buf;
		ex = rp_result_exit(s->result);
		fprintf(stderr, "simpki-sign: %s (%s)\n", rp_result_message(s->result), s->result_name);
		goto out;
	}
	ex = finish(r, &c, s);
out:
	if (ex == RP_EXIT_INTERRUPTED && !r->result) { /* before a session was known */
		fprintf(stderr, "simpki-sign: interrupted\n");
		r->result = "INTERRUPTED";
	}
	if (ex && r->result == NULL)
		r->result = "ERROR";
	rp_cms_free(&c);
	free(s);
	return ex;
}

int rp_main(int argc, char **argv)
{
	struct rp_cmdline cl;
	struct run r = { .cl = &cl, .vcode = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	enum rp_exit ex;
	const char *url;
	char err[256];
	size_t n;

	if (rp_parse(argc, argv, &cl, err, sizeof(err))) {
		fprintf(stderr, "simpki-sign: %s\nRun 'simpki-sign --help' for the options.\n", err);
		return RP_EXIT_USAGE;
	}
	if (cl.help) {
		fputs(rp_usage(), stdout);
		return RP_EXIT_OK;
	}
	if (cl.version) {
		printf("simpki-sign %s\n", SIMPKI_VERSION);
		return RP_EXIT_OK;
	}
	if (access(cl.file, R_OK)) {
		fprintf(stderr, "simpki-sign: %s: %s\n", cl.file, strerror(errno));
		return RP_EXIT_USAGE;
	}
	if (cl.ca_chain && access(cl.ca_chain, R_OK)) {
		fprintf(stderr, "simpki-sign: --ca-chain %s: %s\n", cl.ca_chain, strerror(errno));
		return RP_EXIT_USAGE;
	}
	ex = read_token(&r);
	if (ex)
		return ex;
	url = cl.url ? cl.url : getenv("SIMPKI_RP_URL");
	if (!url || !*url)
		url = RP_DEFAULT_URL;
	snprintf(r.url, sizeof(r.url), "%s", url);
	n = strlen(r.url);
	while (n && r.url[n - 1] == '/')
		r.url[--n] = '\0';
	if (cl.out) {
		r.out = strdup(cl.out);
	} else {
		n = strlen(cl.file) + 5;
		r.out = malloc(n);
		if (r.out)
			snprintf(r.out, n, "%s.p7s", cl.file);
	}
	if (!r.out) {
		fprintf(stderr, "simpki-sign: out of memory\n");
		return RP_EXIT_LOCAL;
	}
	r.tty = isatty(STDERR_FILENO);
	r.http.url = r.url;
	r.http.token = r.token;
	r.http.cacert = cl.cacert;
	r.http.stop = &stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "simpki-sign: libcurl would not start\n");
		free(r.out);
		return RP_EXIT_LOCAL;
	}
	if (rp_http_open(&r.http, err, sizeof(err))) {
		fprintf(stderr, "simpki-sign: %s\n", err[0] ? err : "out of memory");
		ex = err[0] ? RP_EXIT_USAGE : RP_EXIT_LOCAL;
	} else {
		ex = run(&r);
	}
	rp_http_close(&r.http);
	curl_global_cleanup();
	explicit_bzero(r.token, sizeof(r.token));
	if (cl.json && ex != RP_EXIT_USAGE) {
		char *j = rp_json_result(r.session[0] ? r.session : NULL, r.vcode, r.result ? r.result : "ERROR",
					 r.written ? r.out : NULL);

		if (!j || puts(j) == EOF || fflush(stdout)) {
			fprintf(stderr, "simpki-sign: cannot write the output\n");
			if (!ex)
				ex = RP_EXIT_LOCAL;
		}
		free(j);
	}
	free(r.out);
	return ex;
}
