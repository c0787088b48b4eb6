/* simpki-otad's SCP81 RAS (ota-server/scp81/) in-process: the server listens on 127.0.0.1, a free port, in the osmo
 * select loop of this thread; a client in a second thread speaks TLS-PSK (OpenSSL's client callback) and HTTP
 * (scp81.h's builders and response parser), the way a card's admin agent does. The test's scp81_ops know two
 * identities and hand out the scripts queued by each test. Checked:
 *  - the registered osmo_fsm's state table says exactly what scp81_server.h says;
 *  - a full exchange (TLS 1.2, PSK-AES128-CBC-SHA256): first POST -> 200 with the script, X-Admin-Next-URI and the
 *    targeted AID -> the response POSTed there -> ops->result() with the body -> 204; the same with chunked
 *    answers ('http chunked'), and over TLS 1.3 (TLS_AES_128_GCM_SHA256); a script of SCP81_HTTP_BODY_MAX bytes
 *    arrives whole, chunked or not;
 *  - PSK-NULL-SHA256 only with 'cipher null allowed';
 *  - a wrong PSK and an unknown identity fail the handshake, counted apart, and ops->next() is never called;
 *  - malformed requests answered with their status (GET 405, no X-Admin-Protocol 400, a body over the limit 413, a
 *    bad chunk 400, garbage 400, a response before any script 400), each followed by a good client that is served;
 *  - a response POSTed to another URI: 400, the job ended (-EPROTO); status ok with a body that is no response
 *    script: 400, ended (-EPROTO); the link cut with a script outstanding: ended (-EPIPE); no POST within
 *    'timeout post': ended (-ETIMEDOUT);
 *  - a resumed session (X-Admin-Resume: true with a response, or a status alone): ops->result() with job -1, then
 *    next();
 *  - beyond max-sessions a connection is closed at once and counted.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <osmocom/core/application.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include <simpki/scp81.h>

#include "otad.h"
#include "scp81_server.h"

#include "unit.h"

struct otad *g_otad;

/* ---- the test's ops --------------------------------------------------------------------------------------- */

static const uint8_t psk1[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
				  0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
static const uint8_t psk2[32] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
				  0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
				  0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00 };

/* a GET DATA script and its response (/work/shared/reference/scp81-bip.md §1, T1) */
static const uint8_t script_ae[] = { 0xae, 0x80, 0x22, 0x05, 0x80, 0xca, 0xff, 0x21, 0x00, 0x00, 0x00 };
static const uint8_t resp_ab[] = { 0xab, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x90, 0x00 };
static const uint8_t resp_af[] = { 0xaf, 0x80, 0x80, 0x01, 0x01, 0x23, 0x04, 0x93, 0x05, 0x90, 0x00, 0x00, 0x00 };
static const uint8_t aid[] = { 0xa0, 0x00, 0x00, 0x00, 0x18, 0x00, 0x01 };

static struct scp81_script queue[8];
static unsigned queued, popped;
static unsigned n_psk, n_next, n_result, n_ended;
static struct {
	char identity[SCP81_PSK_ID_MAX + 1];
	int64_t job;
	enum scp81_script_status st;
	uint8_t body[SCP81_HTTP_BODY_MAX];
	size_t len;
} last_result;
static int64_t ended_job;
static int ended_reason;

static int t_psk(const char *identity, uint8_t *psk, size_t max)
{
	n_psk++;
	if (!strcmp(identity, "card-1") && max >= sizeof(psk1)) {
		memcpy(psk, psk1, sizeof(psk1));
		return sizeof(psk1);
	}
	if (!strcmp(identity, "card-2") && max >= sizeof(psk2)) {
		memcpy(psk, psk2, sizeof(psk2));
		return sizeof(psk2);
	}
	return -ENOENT;
}

static int t_next(const char *identity, struct scp81_script *out)
{
	n_next++;
	if (popped == queued)
		return 0;
	*out = queue[popped++];
	return 1;
}

static void t_result(const char *identity, int64_t job, enum scp81_script_status st, const uint8_t *resp, size_t len)
{
	n_result++;
	snprintf(last_result.identity, sizeof(last_result.identity), "%s", identity);
	last_result.job = job;
	last_result.st = st;
	memcpy(last_result.body, resp, len);
	last_result.len = len;
}

static void t_ended(const char *identity, int64_t job, int reason)
{
	n_ended++;
	ended_job = job;
	ended_reason = reason;
}

static const struct scp81_ops ops = { .psk = t_psk, .next = t_next, .result = t_result, .ended = t_ended };

static void queue_script(int64_t job, bool with_aid)
{
	struct scp81_script *s = &queue[queued++];

	memset(s, 0, sizeof(*s));
	s->job = job;
	if (with_aid) {
		memcpy(s->aid, aid, sizeof(aid));
		s->aid_len = sizeof(aid);
	}
	memcpy(s->body, script_ae, sizeof(script_ae));
	s->len = sizeof(script_ae);
}

static void reset(void)
{
	queued = popped = 0;
	n_psk = n_next = n_result = n_ended = 0;
	memset(&last_result, 0, sizeof(last_result));
	ended_job = 0;
	ended_reason = 0;
	scp81_cfg.chunked = false;
	scp81_cfg.post_s = 30;
	scp81_cfg.max_sessions = 1000;
}

/* ---- the client (its own thread; blocking sockets with a 5 s time-out) -------------------------------------- */

struct client {
	const char *identity;
	const uint8_t *psk;
	size_t psk_len;
	int version; /* TLS1_2_VERSION, TLS1_3_VERSION */
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char negotiated[16];
	char cipher[32];
};

static unsigned int client_psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
				  unsigned char *psk, unsigned int max_psk_len)
{
	struct client *c = SSL_get_app_data(ssl);

	if (strlen(c->identity) >= max_identity_len || c->psk_len > max_psk_len)
		return 0;
	strcpy(identity, c->identity);
	memcpy(psk, c->psk, c->psk_len);
	return (unsigned)c->psk_len;
}

static int tcp_connect(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)scp81_server_port()) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static const char *client_ciphers = "PSK-AES128-CBC-SHA256";

/* \returns 0 handshake done; -1 failed */
static int client_open(struct client *c, const char *identity, const uint8_t *psk, size_t psk_len, int version)
{
	memset(c, 0, sizeof(*c));
	c->identity = identity;
	c->psk = psk;
	c->psk_len = psk_len;
	c->version = version ? version : TLS1_2_VERSION;
	c->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(c->ctx, c->version);
	SSL_CTX_set_max_proto_version(c->ctx, c->version);
	SSL_CTX_set_cipher_list(c->ctx, client_ciphers);
	SSL_CTX_set_ciphersuites(c->ctx, "TLS_AES_128_GCM_SHA256");
	SSL_CTX_set_psk_client_callback(c->ctx, client_psk_cb);
	c->fd = tcp_connect();
	if (c->fd < 0)
		return -1;
	c->ssl = SSL_new(c->ctx);
	SSL_set_app_data(c->ssl, c);
	SSL_set_fd(c->ssl, c->fd);
	if (SSL_connect(c->ssl) != 1) {
		ERR_clear_error();
		return -1;
	}
	snprintf(c->negotiated, sizeof(c->negotiated), "%s", SSL_get_version(c->ssl));
	snprintf(c->cipher, sizeof(c->cipher), "%s", SSL_get_cipher_name(c->ssl));
	return 0;
}

static void client_close(struct client *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	SSL_CTX_free(c->ctx);
	c->ssl = NULL;
	c->fd = -1;
	c->ctx = NULL;
}

static int client_send(struct client *c, const void *d, size_t len)
{
	return SSL_write(c->ssl, d, (int)len) == (int)len ? 0 : -1;
}

/* A POST: \a status NONE and no body for the first one. */
static int client_post(struct client *c, const char *uri, bool resume, enum scp81_script_status st, const uint8_t *body,
		       size_t len)
{
	struct scp81_post p = {
		.uri = uri,
		.host = "127.0.0.1",
		.agent_id = "//se-id/iccid/8984010000000000005",
		.resume = resume,
		.status = st,
		.body_len = len,
	};
	char head[1024];
	int n = scp81_http_post_head(&p, head, sizeof(head));

	if (n < 0 || client_send(c, head, (size_t)n))
		return -1;
	return len ? client_send(c, body, len) : 0;
}

/* The server's answer into *m. \returns its status; -1 (EOF, error, or no complete answer) */
static int client_answer(struct client *c, struct scp81_http_msg *m)
{
	static struct scp81_http_parser p;
	uint8_t buf[2048];
	size_t used;
	int n, rc;

	scp81_http_parser_init(&p, true);
	for (;;) {
		n = SSL_read(c->ssl, buf, sizeof(buf));
		if (n <= 0) {
			ERR_clear_error();
			return -1;
		}
		rc = scp81_http_parse(&p, buf, (size_t)n, &used);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			*m = p.msg;
			return (int)m->status;
		}
	}
}

/* Whether the server closed the link (EOF or close_notify) within 5 s. */
static bool client_sees_close(struct client *c)
{
	uint8_t b[64];

	return SSL_read(c->ssl, b, sizeof(b)) <= 0;
}

/* ---- running the loop while a client thread works ------------------------------------------------------- */

static atomic_int client_done;
static struct osmo_timer_list tick;

static void tick_cb(void *arg)
{
	osmo_timer_schedule(&tick, 0, 5000);
}

/* Run the select loop until \a f (in its thread) is over and the server has nothing open, up to \a ms more. */
static void run_client(void *(*f)(void *), void *arg)
{
	pthread_t th;
	int i;

	atomic_store(&client_done, 0);
	osmo_timer_setup(&tick, tick_cb, NULL);
	osmo_timer_schedule(&tick, 0, 5000);
	assert_int_equal(pthread_create(&th, NULL, f, arg), 0);
	while (!atomic_load(&client_done))
		osmo_select_main_ctx(0);
	pthread_join(th, NULL);
	/* the server's side of the last close */
	for (i = 0; i < 600 && scp81_server_sessions(); i++)
		osmo_select_main_ctx(0);
	osmo_timer_del(&tick);
}

/* Run the loop for \a ms. */
static void run_for(unsigned ms)
{
	struct timeval start, now;

	osmo_timer_setup(&tick, tick_cb, NULL);
	osmo_timer_schedule(&tick, 0, 5000);
	gettimeofday(&start, NULL);
	do {
		osmo_select_main_ctx(0);
		gettimeofday(&now, NULL);
	} while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_usec - start.tv_usec) / 1000 < (long)ms);
	osmo_timer_del(&tick);
}

/* What a client thread saw, checked by the test afterwards. */
struct seen {
	int hs;			 /* client_open()'s result */
	char version[32];	 /* TLS version (or cipher) negotiated */
	int status[4];		 /* the answers' statuses */
	struct scp81_http_msg m; /* the first answer */
	bool closed;		 /* the server closed after the last answer */
};

/* ---- the scenarios -------------------------------------------------------------------------------------- */

static struct seen seen;
static int scenario_version;
static const char *scenario_identity;
static const uint8_t *scenario_psk;
static size_t scenario_psk_len;

/* first POST -> 200 + script; response -> 204 */
static void *full_exchange(void *arg)
{
	struct client c;
	struct scp81_http_msg m;

	memset(&seen, 0, sizeof(seen));
	seen.hs = client_open(&c, "card-1", psk1, sizeof(psk1), scenario_version);
	if (!seen.hs) {
		snprintf(seen.version, sizeof(seen.version), "%s", c.negotiated);
		client_post(&c, SCP81_DEFAULT_URI, false, SCP81_STATUS_NONE, NULL, 0);
		seen.status[0] = client_answer(&c, &seen.m);
		if (seen.status[0] == 200) {
			client_post(&c, seen.m.next_uri, false, SCP81_STATUS_OK, resp_ab, sizeof(resp_ab));
			seen.status[1] = client_answer(&c, &m);
			seen.closed = client_sees_close(&c);
		}
	}
	client_close(&c);
	atomic_store(&client_done, 1);
	return NULL;
}

static void check_full_exchange(void)
{
	char aid_text[64];

	assert_int_equal(seen.hs, 0);
	assert_int_equal(seen.status[0], 200);
	assert_true(seen.m.protocol_ok);
	assert_memory_equal(seen.m.next_uri, SCP81_DEFAULT_URI "/next/", strlen(SCP81_DEFAULT_URI "/next/"));
	assert_int_equal(seen.m.body_len, sizeof(script_ae));
	assert_memory_equal(seen.m.body, script_ae, sizeof(script_ae));
	assert_int_equal(seen.m.target_aid_len, sizeof(aid));
	assert_memory_equal(seen.m.target_aid, aid, sizeof(aid));
	assert_true(scp81_aid_format(aid, sizeof(aid), aid_text, sizeof(aid_text)) > 0);
	assert_int_equal(seen.status[1], 204);
	assert_true(seen.closed);
	assert_int_equal(n_next, 2);
	assert_int_equal(n_result, 1);
	assert_string_equal(last_result.identity, "card-1");
	assert_int_equal(last_result.job, 7);
	assert_int_equal(last_result.st, SCP81_STATUS_OK);
	assert_int_equal(last_result.len, sizeof(resp_ab));
	assert_memory_equal(last_result.body, resp_ab, sizeof(resp_ab));
	assert_int_equal(n_ended, 0);
}

static void test_full_exchange(void **state)
{
	uint64_t scripts = scp81_server_ctr(SCP81_CTR_SCRIPTS), results = scp81_server_ctr(SCP81_CTR_RESULTS);

	reset();
	queue_script(7, true);
	scenario_version = TLS1_2_VERSION;
	run_client(full_exchange, NULL);
	check_full_exchange();
	assert_string_equal(seen.version, "TLSv1.2");
	assert_false(seen.m.chunked);
	assert_int_equal(scp81_server_ctr(SCP81_CTR_SCRIPTS), scripts + 1);
	assert_int_equal(scp81_server_ctr(SCP81_CTR_RESULTS), results + 1);
}

static void test_chunked(void **state)
{
	reset();
	scp81_cfg.chunked = true;
	queue_script(7, true);
	scenario_version = TLS1_2_VERSION;
	run_client(full_exchange, NULL);
	check_full_exchange();
	assert_true(seen.m.chunked);
}

static void test_tls13(void **state)
{
	reset();
	queue_script(7, true);
	scenario_version = TLS1_3_VERSION;
	run_client(full_exchange, NULL);
	check_full_exchange();
	assert_string_equal(seen.version, "TLSv1.3");
}

/* a script of the largest size, in chunks of 1 KiB or with Content-Length: the card gets it whole */
static void *large_script(void *arg)
{
	struct client c;
	struct scp81_http_msg m;

	memset(&seen, 0, sizeof(seen));
	seen.hs = client_open(&c, "card-1", psk1, sizeof(psk1), TLS1_2_VERSION);
	if (!seen.hs) {
		client_post(&c, SCP81_DEFAULT_URI, false, SCP81_STATUS_NONE, NULL, 0);
		seen.status[0] = client_answer(&c, &seen.m);
		client_post(&c, seen.m.next_uri, false, SCP81_STATUS_OK, resp_ab, sizeof(resp_ab));
		seen.status[1] = client_answer(&c, &m);
	}
	client_close(&c);
	atomic_store(&client_done, 1);
	return NULL;
}

static void test_large_script(void **state)
{
	unsigned mode, i;

	for (mode = 0; mode < 2; mode++) {
		struct scp81_script *q;

		reset();
		scp81_cfg.chunked = mode;
		queue_script(3, false);
		q = &queue[0];
		q->len = SCP81_HTTP_BODY_MAX;
		for (i = 0; i < q->len; i++)
			q->body[i] = (uint8_t)(i * 7);
		run_client(large_script, NULL);
		assert_int_equal(seen.status[0], 200);
		assert_int_equal(seen.m.chunked, mode);
		assert_int_equal(seen.m.body_len, SCP81_HTTP_BODY_MAX);
		assert_memory_equal(seen.m.body, q->body, SCP81_HTTP_BODY_MAX);
		assert_int_equal(seen.status[1], 204);
		assert_int_equal(last_result.job, 3);
	}
}

/* a client that offers only PSK-NULL-SHA256 */
static void *null_cipher(void *arg)
{
	struct client c;

	memset(&seen, 0, sizeof(seen));
	client_ciphers = "PSK-NULL-SHA256:@SECLEVEL=0";
	seen.hs = client_open(&c, "card-1", psk1, sizeof(psk1), TLS1_2_VERSION);
	snprintf(seen.version, sizeof(seen.version), "%s", c.cipher);
	client_ciphers = "PSK-AES128-CBC-SHA256";
	client_close(&c);
	atomic_store(&client_done, 1);
	return NULL;
}

static void test_null_cipher(void **state)
{
	reset();
	run_client(null_cipher, NULL);
	assert_int_not_equal(seen.hs, 0); /* 'cipher null refused' (the default) */
	scp81_server_stop();
	scp81_cfg.null_cipher = true;
	assert_int_equal(scp81_server_start(g_otad->ctx, &ops), 0);
	run_client(null_cipher, NULL);
	scp81_server_stop();
	scp81_cfg.null_cipher = false;
	assert_int_equal(scp81_server_start(g_otad->ctx, &ops), 0);
	assert_int_equal(seen.hs, 0);
	assert_string_equal(seen.version, "PSK-NULL-SHA256");
}

/* a handshake that must fail; then nothing */
static void *bad_handshake(void *arg)
{
	struct client c;

	memset(&seen, 0, sizeof(seen));
	seen.hs = client_open(&c, scenario_identity, scenario_psk, scenario_psk_len, scenario_version);
	if (!seen.hs) {
		client_post(&c, SCP81_DEFAULT_URI, false, SCP81_STATUS_NONE, NULL, 0);
		seen.status[0] = client_answer(&c, &seen.m);
	}
	client_close(&c);
	atomic_store(&client_done, 1);
	return NULL;
}

static void test_bad_handshakes(void **state)
{
	static const uint8_t wrong[16] = { 0xde, 0xad };
	static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
	unsigned i;

	for (i = 0; i < 2; i++) {
		uint64_t unknown = scp81_server_ctr(SCP81_CTR_HS_UNKNOWN),
			 failed = scp81_server_ctr(SCP81_CTR_HS_FAILED);

		reset();
		queue_script(7, false);
		scenario_version = versions[i];
		/* a wrong PSK for a known identity */
		scenario_identity = "card-1";
		scenario_psk = wrong;
		scenario_psk_len = sizeof(wrong);
		run_client(bad_handshake, NULL);
		assert_int_not_equal(seen.hs, 0);
		assert_int_equal(n_next, 0);
		assert_int_equal(scp81_server_ctr(SCP81_CTR_HS_FAILED), failed + 1);
		/* an identity nobody knows */
		scenario_identity = "card-unknown";
		scenario_psk = psk1;
		run_client(bad_handshake, NULL);
		assert_int_not_equal(seen.hs, 0);
		assert_int_equal(n_next, 0);
		assert_int_equal(scp81_server_ctr(SCP81_CTR_HS_UNKNOWN), unknown + 1);
		assert_int_equal(scp81_server_sessions(), 0);
	}
}

/* One malformed request as raw bytes; its status expected; then a good client gets 204. */
struct bad_req {
	const char *name;
	const char *text;  /* the request's bytes (NUL-terminated) */
	size_t body_zeros; /* that many 0 bytes follow */
	int status;
};

static const struct bad_req bad_reqs[] = {
	{ "GET", "GET /simpki/ras HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n\r\n", 0,
	  405 },
	{ "no X-Admin-Protocol", "POST /simpki/ras HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 0, 400 },
	{ "wrong X-Admin-Protocol",
	  "POST /simpki/ras HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/2.0\r\n\r\n", 0, 400 },
	{ "body over the limit",
	  "POST /simpki/ras HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n"
	  "X-Admin-Script-Status: ok\r\nContent-Length: 100000\r\n\r\n",
	  20000, 413 },
	{ "bad chunk",
	  "POST /simpki/ras HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n"
	  "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
	  0, 400 },
	{ "garbage", "\x16\x03\x01 this is no HTTP at all\r\n\r\n", 0, 400 },
	{ "response before any script",
	  "POST /simpki/ras HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n"
	  "X-Admin-Script-Status: ok\r\nContent-Length: 9\r\n\r\n\xab\x07\x80\x01\x01\x23\x02\x90",
	  1, 400 },
};

static const struct bad_req *cur_bad;

static void *bad_request(void *arg)
{
	static const uint8_t zeros[20000];
	struct client c;
	struct scp81_http_msg m;

	memset(&seen, 0, sizeof(seen));
	seen.hs = client_open(&c, "card-2", psk2, sizeof(psk2), TLS1_2_VERSION);
	if (!seen.hs) {
		client_send(&c, cur_bad->text, strlen(cur_bad->text));
		if (cur_bad->body_zeros)
			client_send(&c, zeros, cur_bad->body_zeros);
		seen.status[0] = client_answer(&c, &m);
		seen.closed = client_sees_close(&c);
	}
	client_close(&c);
	/* the next card is served */
	if (!client_open(&c, "card-1", psk1, sizeof(psk1), TLS1_2_VERSION)) {
		client_post(&c, SCP81_DEFAULT_URI, false, SCP81_STATUS_NONE, NULL, 0);
		seen.status[1] = client_answer(&c, &m);
	}
	client_close(&c);
	atomic_store(&client_done, 1);
	return NULL;
}

static void test_bad_request(void **state)
{
	cur_bad = *state;
	reset();
	run_client(bad_request, NULL);
	assert_int_equal(seen.hs, 0);
	assert_int_equal(seen.status[0], cur_bad->status);
	assert_true(seen.closed);
	assert_int_equal(seen.status[1], 204);
	assert_int_equal(n_result, 0);
	assert_int_equal(n_ended, 0);
}

/* a script handed out, then the response goes wrong in the way \a arg says */
enum after_script {
	WRONG_URI,
	BAD_BODY,
	CUT,
	IDLE,
	NO_STATUS
};
static enum after_script after;

static void *script_then(void *arg)
{
	static const uint8_t not_a_response[] = { 0x12, 0x34 };
	struct client c;
	struct scp81_http_msg m;

	memset(&seen, 0, sizeof(seen));
	seen.hs = client_open(&c, "card-1", psk1, sizeof(psk1), TLS1_2_VERSION);
	if (!seen.hs) {
		client_post(&c, SCP81_DEFAULT_URI, false, SCP81_STATUS_NONE, NULL, 0);
		seen.status[0] = client_answer(&c, &seen.m);
		switch (after) {
		case WRONG_URI:
			client_post(&c, "/simpki/ras/next/elsewhere", false, SCP81_STATUS_OK, resp_ab, sizeof(resp_ab));
			seen.status[1] = client_answer(&c, &m);
			break;
		case BAD_BODY:
			client_post(&c, seen.m.next_uri, false, SCP81_STATUS_OK, not_a_response,
				    sizeof(not_a_response));
			seen.status[1] = client_answer(&c, &m);
			break;
		case NO_STATUS:
			client_post(&c, seen.m.next_uri, false, SCP81_STATUS_NONE, NULL, 0);
			seen.status[1] = client_answer(&c, &m);
			break;
		case CUT:
			break;
		case IDLE:
			seen.closed = client_sees_close(&c); /* the server's time-out closes */
			break;
		}
	}
	client_close(&c);
	atomic_store(&client_done, 1);
	return NULL;
}

static void test_after_script(void **state)
{
	static const struct {
		enum after_script what;
		int status;
		int reason;
	} cases[] = {
		{ WRONG_URI, 400, -EPROTO }, { BAD_BODY, 400, -EPROTO }, { NO_STATUS, 400, -EPROTO },
		{ CUT, 0, -EPIPE },	     { IDLE, 0, -ETIMEDOUT },
	};
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t abnormal = scp81_server_ctr(SCP81_CTR_ENDED_ABNORMALLY);

		reset();
		if (cases[i].what == IDLE)
			scp81_cfg.post_s = 1;
		queue_script(42, false);
		after = cases[i].what;
		run_client(script_then, NULL);
		assert_int_equal(seen.hs, 0);
		assert_int_equal(seen.status[0], 200);
		assert_int_equal(seen.m.target_aid_len, 0);
		assert_int_equal(seen.status[1], cases[i].status);
		if (cases[i].what == IDLE)
			assert_true(seen.closed);
		assert_int_equal(n_result, 0);
		assert_int_equal(n_ended, 1);
		assert_int_equal(ended_job, 42);
		assert_int_equal(ended_reason, cases[i].reason);
		assert_int_equal(scp81_server_ctr(SCP81_CTR_ENDED_ABNORMALLY), abnormal + 1);
	}
}

/* a resumed session: the response of the last session's script in the first POST */
static void *resume(void *arg)
{
	struct client c;
	struct scp81_http_msg m;

	memset(&seen, 0, sizeof(seen));
	seen.hs = client_open(&c, "card-2", psk2, sizeof(psk2), TLS1_2_VERSION);
	if (!seen.hs) {
		client_post(&c, SCP81_DEFAULT_URI, true, SCP81_STATUS_OK, resp_af, sizeof(resp_af));
		seen.status[0] = client_answer(&c, &seen.m);
		client_post(&c, seen.m.next_uri, false, SCP81_STATUS_UNKNOWN_APPLICATION, NULL, 0);
		seen.status[1] = client_answer(&c, &m);
	}
	client_close(&c);
	atomic_store(&client_done, 1);
	return NULL;
}

static void test_resume(void **state)
{
	reset();
	queue_script(9, true);
	run_client(resume, NULL);
	assert_int_equal(seen.hs, 0);
	assert_int_equal(seen.status[0], 200);
	assert_int_equal(seen.status[1], 204);
	assert_int_equal(n_result, 2);
	/* the second result is job 9's (unknown-application); the first was job -1's */
	assert_int_equal(last_result.job, 9);
	assert_int_equal(last_result.st, SCP81_STATUS_UNKNOWN_APPLICATION);
	assert_int_equal(n_next, 2);
	assert_int_equal(n_ended, 0);
}

static void *resume_only(void *arg)
{
	struct client c;

	memset(&seen, 0, sizeof(seen));
	seen.hs = client_open(&c, "card-2", psk2, sizeof(psk2), TLS1_2_VERSION);
	if (!seen.hs) {
		client_post(&c, SCP81_DEFAULT_URI, true, SCP81_STATUS_OK, resp_af, sizeof(resp_af));
		seen.status[0] = client_answer(&c, &seen.m);
	}
	client_close(&c);
	atomic_store(&client_done, 1);
	return NULL;
}

/* a resumed session whose last script got a status without a body */
static void *resume_status_only(void *arg)
{
	struct client c;

	memset(&seen, 0, sizeof(seen));
	seen.hs = client_open(&c, "card-2", psk2, sizeof(psk2), TLS1_2_VERSION);
	if (!seen.hs) {
		client_post(&c, SCP81_DEFAULT_URI, true, SCP81_STATUS_SECURITY_ERROR, NULL, 0);
		seen.status[0] = client_answer(&c, &seen.m);
	}
	client_close(&c);
	atomic_store(&client_done, 1);
	return NULL;
}

static void test_resume_status_only(void **state)
{
	reset();
	run_client(resume_status_only, NULL);
	assert_int_equal(seen.status[0], 204);
	assert_int_equal(n_result, 1);
	assert_int_equal(last_result.job, -1);
	assert_int_equal(last_result.st, SCP81_STATUS_SECURITY_ERROR);
	assert_int_equal(last_result.len, 0);
}

static void test_resume_job(void **state)
{
	reset();
	run_client(resume_only, NULL);
	assert_int_equal(seen.status[0], 204);
	assert_int_equal(n_result, 1);
	assert_int_equal(last_result.job, -1);
	assert_int_equal(last_result.st, SCP81_STATUS_OK);
	assert_int_equal(last_result.len, sizeof(resp_af));
	assert_memory_equal(last_result.body, resp_af, sizeof(resp_af));
}

/* beyond max-sessions: one session open, the next connection closed at once */
static void *two_sessions(void *arg)
{
	struct client c, d;

	memset(&seen, 0, sizeof(seen));
	seen.hs = client_open(&c, "card-1", psk1, sizeof(psk1), TLS1_2_VERSION);
	seen.status[0] = client_open(&d, "card-2", psk2, sizeof(psk2), TLS1_2_VERSION);
	client_close(&d);
	client_close(&c);
	atomic_store(&client_done, 1);
	return NULL;
}

static void test_max_sessions(void **state)
{
	uint64_t full = scp81_server_ctr(SCP81_CTR_REFUSED_FULL);

	reset();
	scp81_cfg.max_sessions = 1;
	run_client(two_sessions, NULL);
	assert_int_equal(seen.hs, 0);
	assert_int_not_equal(seen.status[0], 0);
	assert_int_equal(scp81_server_ctr(SCP81_CTR_REFUSED_FULL), full + 1);
	run_for(50);
	assert_int_equal(scp81_server_sessions(), 0);
}

/* ---- the state table ------------------------------------------------------------------------------------ */

#define S(x) (1u << (x))

static void test_table_is_the_spec(void **state)
{
	/* scp81_server.h: handshake, wait_post, script_sent, closing; events HANDSHAKE_OK, SCRIPT_SENT, OVER, CLOSE */
	static const struct {
		const char *name;
		uint32_t events, to;
	} spec[] = {
		{ "HANDSHAKE", S(0) | S(3), S(1) | S(3) },
		{ "WAIT_POST", S(1) | S(2) | S(3), S(2) | S(3) },
		{ "SCRIPT_SENT", S(1) | S(2) | S(3), S(2) | S(3) },
		{ "CLOSING", S(3), 0 },
	};
	struct osmo_fsm *fsm = osmo_fsm_find_by_name("SCP81");
	unsigned i;

	assert_non_null(fsm);
	assert_int_equal(fsm->num_states, ARRAY_SIZE(spec));
	for (i = 0; i < ARRAY_SIZE(spec); i++) {
		assert_string_equal(fsm->states[i].name, spec[i].name);
		assert_int_equal(fsm->states[i].in_event_mask, spec[i].events);
		assert_int_equal(fsm->states[i].out_state_mask, spec[i].to);
	}
}

static int setup(void **state)
{
	void *ctx = talloc_named_const(NULL, 1, "test-scp81-server");

	signal(SIGPIPE, SIG_IGN); /* as simpki-otad: a write to a link the peer closed is an error, not a signal */
	osmo_init_logging2(ctx, &otad_log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_category_filter(osmo_stderr_target, DSCP81, 1, LOGL_INFO);
	g_otad = talloc_zero(ctx, struct otad);
	g_otad->ctx = ctx;
	osmo_strlcpy(scp81_cfg.ip, "127.0.0.1", sizeof(scp81_cfg.ip));
	scp81_cfg.port = 0;
	scp81_cfg.handshake_s = 5;
	assert_int_equal(scp81_server_start(ctx, &ops), 0);
	assert_true(scp81_server_port() > 0);
	return 0;
}

static int teardown(void **state)
{
	scp81_server_stop();
	assert_int_equal(scp81_server_port(), -ENOTCONN);
	return 0;
}

int main(void)
{
	static struct unit_list l;
	size_t i;

	unit_add(&l, "table_is_the_spec", test_table_is_the_spec, NULL);
	unit_add(&l, "full_exchange", test_full_exchange, NULL);
	unit_add(&l, "chunked", test_chunked, NULL);
	unit_add(&l, "tls13", test_tls13, NULL);
	unit_add(&l, "large_script", test_large_script, NULL);
	unit_add(&l, "null_cipher", test_null_cipher, NULL);
	unit_add(&l, "bad_handshakes", test_bad_handshakes, NULL);
	for (i = 0; i < ARRAY_SIZE(bad_reqs); i++)
		unit_addf(&l, test_bad_request, &bad_reqs[i], "bad_request: %s", bad_reqs[i].name);
	unit_add(&l, "after_script", test_after_script, NULL);
	unit_add(&l, "resume", test_resume, NULL);
	unit_add(&l, "resume_job", test_resume_job, NULL);
	unit_add(&l, "resume_status_only", test_resume_status_only, NULL);
	unit_add(&l, "max_sessions", test_max_sessions, NULL);
	return _cmocka_run_group_tests("scp81-server", l.t, l.n, setup, teardown);
}
