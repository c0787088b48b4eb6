/* The SCP81 admin agent: push, BIP channel, TLS-PSK client on memory BIOs, HTTP client; contract in admin_agent.h.
 *
 * The session is a small state machine driven by TERMINAL RESPONSEs and ENVELOPEs; after each, pump() decides the
 * next proactive command: TLS bytes waiting go out first (SEND DATA), then announced bytes are read (RECEIVE DATA);
 * with neither, the agent waits for an event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <simpki/ota.h>
#include <simpki/scp81.h>
#include <simpki/tlv.h>

#include "admin_agent.h"
#include "bip.h"
#include "os_internal.h"
#include "ota_re.h"

#define BUFFER_DEFAULT 1400 /* OPEN CHANNEL's buffer size when the push names none (05 78) */
#define BIO_SIZE 32768
#define TIMER_ID 1
#define RETRIES_DEFAULT 2 /* tries after the first when the push has no 86 (no wait between them) */
#define POR_BAD_PUSH OTA_POR_INSUFFICIENT_MEMORY /* see admin_agent.h */
#define CMD_MAX OTA_RE_PROACTIVE_MAX

enum phase {
	PH_IDLE,
	PH_EVENTS, /* SET UP EVENT LIST */
	PH_OPEN,   /* OPEN CHANNEL */
	PH_TLS,	   /* the channel is up: TLS and HTTP */
	PH_CLOSE,  /* CLOSE CHANNEL */
	PH_TIMER,  /* TIMER MANAGEMENT */
	PH_WAIT,   /* waiting for the timer's expiration */
};

struct admin_agent {
	enum phase phase;

	/* the session's parameters: the push completed with the defaults */
	uint8_t ip[4];
	uint16_t port, buffer;
	uint8_t bearer;
	char psk_id[SCP81_PSK_ID_MAX + 1];
	uint8_t kvn, kid;
	unsigned retries_left;
	uint32_t wait_s;
	char host[SCP81_HOST_MAX + 1];
	char agent_id[SCP81_AGENT_MAX + 1];
	char first_uri[SCP81_URI_MAX + 1]; /* the first POST's of every try */
	char uri[SCP81_URI_MAX + 1];	   /* where the next POST goes */

	/* the try */
	unsigned try_no;		 /* 0: the first */
	uint8_t ch;			 /* channel id 1..7 */
	bool link_dropped, failed, done; /* done: 204 came, close_notify written */
	unsigned rx_avail;		 /* bytes the terminal announced (255: 255 or more) */
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *ext; /* the card's end of the BIO pair: TLS bytes out of it, channel bytes into it */
	bool handshaken;
	bool expect_reply; /* a POST went out: its answer is awaited */
	struct scp81_http_parser parser;
	uint8_t out[SCP81_HTTP_LINE_MAX * SCP81_HTTP_HEADERS_MAX + SCP81_HTTP_BODY_MAX]; /* the POST being written */
	size_t out_len, out_off;

	/* a script's response whose POST got no answer yet (kept across tries) */
	bool kept;
	uint8_t resp[SCP81_HTTP_BODY_MAX];
	size_t resp_len;

	/* the one proactive command */
	bool pending, fetched;
	uint8_t cmd[CMD_MAX];
	uint8_t cmd_len, num, type, qual;

	struct admin_agent_stats st;
};

struct admin_agent *admin_agent_new(void)
{
	return calloc(1, sizeof(struct admin_agent));
}

/* End the try's TLS: SSL objects freed, buffers wiped. */
static void tls_drop(struct admin_agent *a)
{
	SSL_free(a->ssl); /* frees its end of the pair */
	BIO_free(a->ext);
	SSL_CTX_free(a->ctx);
	a->ssl = NULL;
	a->ext = NULL;
	a->ctx = NULL;
	a->handshaken = false;
	a->expect_reply = false;
	OPENSSL_cleanse(&a->parser, sizeof(a->parser));
	OPENSSL_cleanse(a->out, sizeof(a->out));
	a->out_len = a->out_off = 0;
	ERR_clear_error();
}

void admin_agent_reset(struct admin_agent *a)
{
	struct admin_agent_stats st;

	if (!a)
		return;
	tls_drop(a);
	st = a->st;
	OPENSSL_cleanse(a, sizeof(*a));
	a->st = st;
	a->st.active = false;
	a->st.response_kept = false;
}

void admin_agent_free(struct admin_agent *a)
{
	if (!a)
		return;
	admin_agent_reset(a);
	free(a);
}

void admin_agent_stats(const struct admin_agent *a, struct admin_agent_stats *s)
{
	*s = a->st;
	s->active = a->phase != PH_IDLE;
	s->response_kept = a->kept;
}

/* ---- the command slot ---------------------------------------------------------------------------------------- */

const uint8_t *admin_agent_command(const struct admin_agent *a, size_t *len, uint8_t *number, uint8_t *type,
				   uint8_t *qualifier)
{
	if (!a || !a->pending)
		return NULL;
	*len = a->cmd_len;
	*number = a->num;
	*type = a->type;
	*qualifier = a->qual;
	return a->cmd;
}

bool admin_agent_fetched(const struct admin_agent *a)
{
	return a && a->pending && a->fetched;
}

void admin_agent_set_fetched(struct admin_agent *a)
{
	a->fetched = true;
}

static void queue(struct card_os *os, uint8_t type, uint8_t qual, uint8_t dest, const uint8_t *body, size_t len)
{
	struct admin_agent *a = os->ota->agent;
	int h = tlv_put_header(a->cmd, CMD_MAX, 0xd0, 9 + len);

	a->num = proactive_next_number(os->ota);
	a->type = type;
	a->qual = qual;
	memcpy(a->cmd + h, (const uint8_t[]){ 0x81, 0x03, a->num, type, qual, 0x82, 0x02, 0x81, dest }, 9);
	if (len) /* CLOSE CHANNEL has no body (NULL) */
		memcpy(a->cmd + h + 9, body, len);
	a->cmd_len = (uint8_t)(h + 9 + len);
	a->pending = true;
	a->fetched = false;
}

/* ---- TLS ----------------------------------------------------------------------------------------------------- */

static unsigned psk_cb(SSL *ssl, const char *hint, char *identity, unsigned max_identity, unsigned char *psk,
		       unsigned max_psk)
{
	struct card_os *os = SSL_get_app_data(ssl);
	struct admin_agent *a = os->ota->agent;
	size_t idl = strlen(a->psk_id);
	int n;

	(void)hint;
	if (idl + 1 > max_identity)
		return 0;
	n = ota_config_psk(os->nvm, a->kvn, a->kid, psk, max_psk); /* straight into OpenSSL's buffer */
	if (n <= 0)
		return 0;
	memcpy(identity, a->psk_id, idl + 1);
	return (unsigned)n;
}

static int tls_start(struct card_os *os)
{
	struct admin_agent *a = os->ota->agent;
	BIO *in = NULL;

	a->ctx = SSL_CTX_new(TLS_client_method());
	if (!a->ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(a->ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(a->ctx, TLS1_2_VERSION); /* TLS 1.3 (Amendment B v1.2): not here yet */
	SSL_CTX_set_options(a->ctx, SSL_OP_NO_ENCRYPT_THEN_MAC | SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(a->ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_psk_client_callback(a->ctx, psk_cb);
	if (SSL_CTX_set_cipher_list(a->ctx, "PSK-AES128-CBC-SHA256") != 1)
		return -EINVAL;
	a->ssl = SSL_new(a->ctx);
	if (!a->ssl || BIO_new_bio_pair(&in, BIO_SIZE, &a->ext, BIO_SIZE) != 1)
		return -ENOMEM;
	SSL_set_bio(a->ssl, in, in);
	SSL_set_app_data(a->ssl, os);
	SSL_set_tlsext_max_fragment_length(a->ssl, TLSEXT_max_fragment_length_512);
	SSL_set_connect_state(a->ssl);
	scp81_http_parser_init(&a->parser, true);
	return 0;
}

/* The next POST into a->out: the first of a try, or the response to a script. */
static int post(struct admin_agent *a, bool first, enum scp81_script_status status, const uint8_t *body, size_t len)
{
	struct scp81_post p = {
		.uri = a->uri,
		.host = a->host,
		.agent_id = a->agent_id,
		.resume = first && a->try_no > 0,
		.status = status,
		.body_len = len,
	};
	int h = scp81_http_post_head(&p, (char *)a->out, sizeof(a->out) - SCP81_HTTP_BODY_MAX);

	if (h < 0 || len > SCP81_HTTP_BODY_MAX)
		return -E2BIG;
	if (len)
		memcpy(a->out + h, body, len);
	a->out_len = (size_t)h + len;
	a->out_off = 0;
	a->expect_reply = true;
	return 0;
}

static int first_post(struct admin_agent *a)
{
	if (a->kept) /* resumed: the kept response goes with it */
		return post(a, true, SCP81_STATUS_OK, a->resp, a->resp_len);
	return post(a, true, SCP81_STATUS_NONE, NULL, 0);
}

/* The target of a script: an installed applet by AID, or the first RFM TAR. \returns 0; -ENOENT */
static int script_target(struct card_os *os, const struct scp81_http_msg *m, struct ota_target *t)
{
	const uint8_t *b = nvm_data(os->nvm) + HEAP_OS_BLOCK;

	memset(t, 0, sizeof(*t));
	t->expanded = true;
	if (!m->target_aid_len) {
		if (!b[HEAP_OS_RFM_COUNT])
			return -ENOENT;
		t->rfm = true;
		t->applet = -1;
		return 0;
	}
	t->applet = card_os_find_applet(os, m->target_aid, m->target_aid_len);
	return t->applet >= 0 ? 0 : -ENOENT;
}

/* An HTTP answer. \returns 0; -EIO (power lost); -EPROTO (the try failed) */
static int reply(struct card_os *os, const struct scp81_http_msg *m)
{
	struct admin_agent *a = os->ota->agent;
	struct ota_target t;
	int rc;

	a->expect_reply = false;
	a->kept = false; /* the POST that carried a kept response got its answer */
	OPENSSL_cleanse(a->resp, sizeof(a->resp));
	if (m->status == 204) {
		SSL_shutdown(a->ssl); /* close_notify */
		a->done = true;
		return 0;
	}
	if (m->status != 200 || !m->next_uri[0] || !m->body_len)
		return -EPROTO;
	snprintf(a->uri, sizeof(a->uri), "%s", m->next_uri);
	if (script_target(os, m, &t))
		return post(a, false, SCP81_STATUS_UNKNOWN_APPLICATION, NULL, 0) ? -EPROTO : 0;
	rc = ota_exec_script(os, &t, m->body, m->body_len);
	if (rc < 0)
		return -EIO;
	a->st.scripts++;
	a->resp_len = (size_t)rc <= sizeof(a->resp) ? (size_t)rc : 0;
	memcpy(a->resp, os->ota->data, a->resp_len);
	OPENSSL_cleanse(os->ota->data, (size_t)rc);
	a->kept = true;
	return post(a, false, SCP81_STATUS_OK, a->resp, a->resp_len) ? -EPROTO : 0;
}

/* Hand what is left of the POST to TLS. \returns 0; -EPROTO */
static int write_out(struct admin_agent *a)
{
	int r;

	while (a->out_off < a->out_len) {
		r = SSL_write(a->ssl, a->out + a->out_off, (int)(a->out_len - a->out_off));
		if (r <= 0) {
			int e = SSL_get_error(a->ssl, r);

			return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -EPROTO;
		}
		a->out_off += (size_t)r;
	}
	if (a->out_len) {
		OPENSSL_cleanse(a->out, a->out_len);
		a->out_len = a->out_off = 0;
	}
	return 0;
}

/* Feed \a len plaintext bytes to the parser; an answer complete is acted on. \returns 0; -EIO; -EPROTO */
static int parse(struct card_os *os, const uint8_t *d, size_t len)
{
	struct admin_agent *a = os->ota->agent;
	size_t used = 0;
	int rc;

	if (!a->expect_reply)
		return -EPROTO; /* the RAS speaks out of turn */
	rc = scp81_http_parse(&a->parser, d, len, &used);
	if (rc <= 0)
		return rc < 0 ? -EPROTO : 0;
	if (used < len)
		return -EPROTO; /* bytes after the answer: pipelining is not part of the exchange */
	rc = reply(os, &a->parser.msg);
	scp81_http_parser_init(&a->parser, true);
	return rc;
}

/* Run TLS as far as the bytes it has allow: handshake, the POST out, answers in (each may bring the next POST).
 * \returns 0; -EIO (power lost); -EPROTO (the try failed) */
static int drive(struct card_os *os)
{
	struct admin_agent *a = os->ota->agent;
	uint8_t buf[512];
	int r, rc = 0;

	if (!a->handshaken) {
		r = SSL_do_handshake(a->ssl);
		if (r != 1) {
			int e = SSL_get_error(a->ssl, r);

			return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -EPROTO;
		}
		a->handshaken = true;
		if (first_post(a))
			return -EPROTO;
	}
	while (!rc && !a->done) {
		rc = write_out(a);
		if (rc)
			break;
		r = SSL_read(a->ssl, buf, sizeof(buf));
		if (r <= 0) {
			int e = SSL_get_error(a->ssl, r);

			rc = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -EPROTO;
			break;
		}
		rc = parse(os, buf, (size_t)r);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* ---- the session --------------------------------------------------------------------------------------------- */

static void start_try(struct card_os *os)
{
	struct admin_agent *a = os->ota->agent;
	uint8_t body[32];

	a->st.tries++;
	a->link_dropped = a->failed = a->done = false;
	a->rx_avail = 0;
	a->ch = 0;
	a->phase = PH_OPEN;
	queue(os, BIP_OPEN_CHANNEL, 0x01, BIP_DEV_TERMINAL, body,
	      bip_open_channel(body, a->bearer, a->buffer, a->port, a->ip));
}

/* The try is over (its channel closed, or never opened). */
static void end_try(struct card_os *os)
{
	struct admin_agent *a = os->ota->agent;
	uint8_t body[16];
	bool ok = a->done;

	tls_drop(a);
	a->ch = 0;
	if (ok) {
		a->st.succeeded++;
		admin_agent_reset(a);
		return;
	}
	if (!a->retries_left) {
		a->st.failed++;
		admin_agent_reset(a);
		return;
	}
	a->retries_left--;
	a->try_no++;
	snprintf(a->uri, sizeof(a->uri), "%s", a->first_uri);
	if (a->wait_s) {
		a->phase = PH_TIMER;
		queue(os, BIP_TIMER_MANAGEMENT, 0x00, BIP_DEV_TERMINAL, body,
		      bip_timer_start(body, TIMER_ID, a->wait_s));
		return;
	}
	start_try(os);
}

static void close_channel(struct card_os *os)
{
	struct admin_agent *a = os->ota->agent;

	a->phase = PH_CLOSE;
	queue(os, BIP_CLOSE_CHANNEL, 0x00, BIP_DEV_CHANNEL(a->ch), NULL, 0);
}

/* After every answer and event: the next command of a channel that is up, if any. \returns 0; -EIO */
static int pump(struct card_os *os)
{
	struct admin_agent *a = os->ota->agent;
	uint8_t body[BIP_DATA_MAX + 4], data[BIP_DATA_MAX];
	size_t n;
	int rc;

	if (a->phase != PH_TLS || a->pending)
		return 0;
	if (a->link_dropped) {
		close_channel(os);
		return 0;
	}
	if (!a->failed) {
		rc = drive(os);
		if (rc == -EIO)
			return rc;
		if (rc)
			a->failed = true;
	}
	n = BIO_ctrl_pending(a->ext);
	if (n) {
		int r = BIO_read(a->ext, data, (int)(n < BIP_DATA_MAX ? n : BIP_DATA_MAX));

		if (r > 0) {
			queue(os, BIP_SEND_DATA, 0x01, BIP_DEV_CHANNEL(a->ch), body,
			      bip_send_data(body, data, (size_t)r));
			OPENSSL_cleanse(data, sizeof(data));
			return 0;
		}
	}
	if (a->failed || a->done) {
		close_channel(os);
		return 0;
	}
	if (a->rx_avail) {
		queue(os, BIP_RECEIVE_DATA, 0x00, BIP_DEV_CHANNEL(a->ch), body,
		      bip_receive_data(body, (uint8_t)(a->rx_avail < BIP_DATA_MAX ? a->rx_avail : BIP_DATA_MAX)));
		return 0;
	}
	return 0; /* wait for data */
}

int admin_agent_push(struct card_os *os, const uint8_t *d, size_t len)
{
	struct admin_agent *a = os->ota->agent;
	struct manifest_admin cfg;
	struct scp81_push p;
	struct card_identity id;
	uint8_t psk[SCP81_PSK_MAX];
	uint8_t body[8];
	int n;

	if (a->phase != PH_IDLE || ota_config_admin(os->nvm, &cfg) || scp81_push_decode(d, len, &p))
		return POR_BAD_PUSH;
	card_os_identity(os, &id);
	admin_agent_reset(a);
	if (p.has_conn) {
		memcpy(a->ip, p.ip, 4);
		a->port = p.port;
	} else if (cfg.has_server) {
		memcpy(a->ip, cfg.ip, 4);
		a->port = cfg.port;
	} else {
		return POR_BAD_PUSH;
	}
	a->buffer = p.has_conn && p.buffer_size ? p.buffer_size : BUFFER_DEFAULT;
	a->bearer = p.has_conn && p.bearer ? p.bearer : 0x03;
	if (p.has_security) {
		snprintf(a->psk_id, sizeof(a->psk_id), "%s", p.psk_id);
		a->kvn = p.kvn;
		a->kid = p.kid;
	} else {
		snprintf(a->psk_id, sizeof(a->psk_id), "%s", id.iccid);
		a->kvn = SCP81_DEFAULT_KVN;
		a->kid = SCP81_DEFAULT_KID;
	}
	n = ota_config_psk(os->nvm, a->kvn, a->kid, psk, sizeof(psk));
	OPENSSL_cleanse(psk, sizeof(psk));
	if (n <= 0 || !scp81_psk_id_ok(a->psk_id)) {
		admin_agent_reset(a);
		return POR_BAD_PUSH;
	}
	a->retries_left = p.has_retry ? p.retries : RETRIES_DEFAULT;
	a->wait_s = p.has_retry ? p.retry_wait_s : 0;
	if (p.has_http && p.host[0])
		snprintf(a->host, sizeof(a->host), "%s", p.host);
	else
		snprintf(a->host, sizeof(a->host), "%u.%u.%u.%u", a->ip[0], a->ip[1], a->ip[2], a->ip[3]);
	snprintf(a->agent_id, sizeof(a->agent_id), "%s", p.has_http && p.agent_id[0] ? p.agent_id : id.iccid);
	snprintf(a->first_uri, sizeof(a->first_uri), "%s", p.has_http && p.uri[0] ? p.uri : cfg.uri);
	snprintf(a->uri, sizeof(a->uri), "%s", a->first_uri);
	a->st.sessions++;
	a->phase = PH_EVENTS;
	queue(os, BIP_SET_UP_EVENT_LIST, 0x00, BIP_DEV_TERMINAL, body, bip_set_up_event_list(body));
	return OTA_POR_OK;
}

int admin_agent_terminal_response(struct card_os *os, const struct card_tk_result *res, const uint8_t *d, size_t len)
{
	struct admin_agent *a = os->ota->agent;
	struct bip_tr tr;
	bool ok = res->general < 0x20, parsed = !bip_tr_parse(d, len, &tr);
	int rc;

	a->pending = a->fetched = false;
	switch (a->phase) {
	case PH_EVENTS:
		start_try(os);
		return 0;
	case PH_OPEN:
		if (!parsed || (res->general != 0x00 && res->general != 0x07) || !tr.has_status || !tr.has_buffer ||
		    !(tr.status[0] & 0x80) || !(tr.status[0] & 0x07)) {
			end_try(os); /* no channel */
			return 0;
		}
		a->ch = tr.status[0] & 0x07;
		if (tls_start(os)) {
			a->failed = true;
			close_channel(os);
			return 0;
		}
		a->phase = PH_TLS;
		break;
	case PH_TLS:
		if (!ok || !parsed) {
			a->link_dropped = true; /* the channel is of no more use: close it */
			break;
		}
		if (a->type == BIP_RECEIVE_DATA) {
			size_t asked = a->cmd[a->cmd_len - 1];

			if (!tr.has_data || tr.data_len > asked || BIO_ctrl_get_write_guarantee(a->ext) < tr.data_len ||
			    (tr.data_len && BIO_write(a->ext, tr.data, (int)tr.data_len) != (int)tr.data_len)) {
				a->link_dropped = true;
				break;
			}
			a->rx_avail = tr.has_length ? tr.length : 0;
		}
		break;
	case PH_CLOSE:
		end_try(os);
		return 0;
	case PH_TIMER:
		if (ok) {
			a->phase = PH_WAIT;
			return 0;
		}
		start_try(os); /* no timer: try at once */
		return 0;
	default:
		return 0;
	}
	rc = pump(os);
	if (rc == -EIO)
		admin_agent_reset(a);
	return rc;
}

uint16_t admin_agent_envelope(struct card_os *os, const uint8_t *d, size_t len)
{
	struct admin_agent *a = os->ota->agent;
	struct bip_event ev;
	int rc = bip_event_parse(d, len, &ev);

	if (rc == -ENOTSUP)
		return SW_FUNC_NOT_SUPPORTED;
	if (rc)
		return SW_WRONG_DATA;
	if (ev.timer) {
		if (a->phase == PH_WAIT && ev.timer_id == TIMER_ID && !a->pending)
			start_try(os);
		return SW_OK;
	}
	if (a->phase != PH_TLS || (ev.status[0] & 0x07) != a->ch)
		return SW_OK; /* not about this agent's channel: nothing to record */
	if (ev.event == BIP_EVENT_CHANNEL_STATUS) {
		if (ev.status[1] == BIP_LINK_DROPPED || !(ev.status[0] & 0x80))
			a->link_dropped = true;
	} else {
		a->rx_avail = ev.length;
	}
	if (pump(os) == -EIO) {
		admin_agent_reset(a);
		return SW_MEMORY_FAILURE;
	}
	return SW_OK;
}
