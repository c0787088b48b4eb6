/* simpki-otad's SCP81 RAS (scp81_server.h): the listener and one osmo_fsm per connection, TLS over a non-blocking
 * socket in the select loop, the HTTP exchange (scp81_exchange.h) over the decrypted bytes. */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "otad.h"
#include "scp81_exchange.h"
#include "scp81_server.h"
#include "scp81_server_int.h"
#include "scp81_tls.h"

#define CLOSING_S 2	/* the last answer and close_notify: then the socket is closed regardless */
#define READ_CHUNK 4096 /* decrypted bytes read at once */
#define ACCEPT_BURST 64 /* connections accepted per turn of the loop */

struct scp81_cfg scp81_cfg = {
	.listen = true,
	.ip = "127.0.0.1",
	.port = SCP81_DEFAULT_PORT,
	.tls = SCP81_TLS_ANY,
	.max_sessions = 1000,
	.handshake_s = 10,
	.post_s = 30,
};

enum conn_state {
	ST_HANDSHAKE,
	ST_WAIT_POST,
	ST_SCRIPT_SENT,
	ST_CLOSING,
};

enum conn_event {
	EV_HANDSHAKE_OK,
	EV_SCRIPT_SENT,
	EV_OVER,
	EV_CLOSE,
};

static const struct value_string event_names[] = {
	{ EV_HANDSHAKE_OK, "HANDSHAKE_OK" },
	{ EV_SCRIPT_SENT, "SCRIPT_SENT" },
	{ EV_OVER, "OVER" },
	{ EV_CLOSE, "CLOSE" },
	{ 0, NULL },
};

static struct {
	void *ctx;
	const struct scp81_ops *ops;
	SSL_CTX *ssl_ctx;
	struct osmo_fd lfd;
	int port;
	struct llist_head conns; /* struct scp81_conn */
	unsigned sessions;
	unsigned long next_id;
	struct rate_ctr_group *ctrs;
} srv = { .lfd = { .fd = -1 }, .port = -ENOTCONN };

static const struct rate_ctr_desc ctr_desc[] = {
	[SCP81_CTR_ACCEPTED] = { "scp81:accepted", "Connections accepted as sessions" },
	[SCP81_CTR_REFUSED_FULL] = { "scp81:refused_full", "Connections closed at once (max-sessions reached)" },
	[SCP81_CTR_HS_OK] = { "scp81:handshakes", "TLS-PSK handshakes done" },
	[SCP81_CTR_HS_UNKNOWN] = { "scp81:hs_unknown_identity", "Handshakes failed: unknown PSK identity" },
	[SCP81_CTR_HS_FAILED] = { "scp81:hs_failed", "Handshakes failed otherwise (PSK mismatch, protocol, time-out)" },
	[SCP81_CTR_REQ_400] = { "scp81:req_400", "Requests answered 400" },
	[SCP81_CTR_REQ_405] = { "scp81:req_405", "Requests answered 405" },
	[SCP81_CTR_REQ_413] = { "scp81:req_413", "Requests answered 413" },
	[SCP81_CTR_REQ_5XX] = { "scp81:req_5xx", "Requests answered 5xx" },
	[SCP81_CTR_SCRIPTS] = { "scp81:scripts", "Scripts handed out" },
	[SCP81_CTR_RESULTS] = { "scp81:results", "Script responses passed on" },
	[SCP81_CTR_NO_MORE] = { "scp81:no_more", "Sessions answered 204 (nothing more for the card)" },
	[SCP81_CTR_ENDED_ABNORMALLY] = { "scp81:ended_abnormally", "Sessions that ended with a script outstanding, an "
								   "error status or a time-out" },
};

static const struct rate_ctr_group_desc ctrg_desc = {
	.group_name_prefix = "scp81",
	.group_description = "SCP81 remote administration server",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(ctr_desc),
	.ctr_desc = ctr_desc,
};

static void ctr_inc(enum scp81_ctr c)
{
	if (srv.ctrs)
		rate_ctr_inc(rate_ctr_group_get_ctr(srv.ctrs, c));
}

uint64_t scp81_server_ctr(enum scp81_ctr c)
{
	return srv.ctrs ? rate_ctr_group_get_ctr(srv.ctrs, c)->current : 0;
}

static struct osmo_fsm scp81_fsm;

/* ---- the connection's I/O ---------------------------------------------------------------------------------- */

/* The link is gone or done: the instance ends (the caller returns at once: c is freed). */
static void conn_close(struct scp81_conn *c, int reason)
{
	if (!c->end_reason)
		c->end_reason = reason;
	osmo_fsm_inst_dispatch(c->fi, EV_CLOSE, NULL);
}

static void want(struct scp81_conn *c, int ssl_err)
{
	osmo_fd_update_when(&c->ofd, 0, ssl_err == SSL_ERROR_WANT_WRITE ? OSMO_FD_WRITE : OSMO_FD_READ);
}

/* A handshake that failed: counted, logged with the identity (never the key). */
static void handshake_failed(struct scp81_conn *c, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[160] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	if (c->peer.unknown) {
		ctr_inc(SCP81_CTR_HS_UNKNOWN);
		LOGPFSML(c->fi, LOGL_NOTICE, "%s: TLS handshake refused: unknown PSK identity '%s'\n", c->addr,
			 c->peer.identity[0] ? c->peer.identity : "(none or not printable)");
	} else {
		ctr_inc(SCP81_CTR_HS_FAILED);
		LOGPFSML(c->fi, LOGL_NOTICE, "%s: TLS handshake failed%s%s%s: %s %s\n", c->addr,
			 c->peer.found ? " (PSK mismatch?) for identity '" : "", c->peer.found ? c->peer.identity : "",
			 c->peer.found ? "'" : "", what, buf);
	}
}

/* One answer of the exchange is in c->x.out: counted, logged, and the state follows. */
static void answered(struct scp81_conn *c)
{
	struct scp81_xchg *x = &c->x;

	c->woff = 0;
	switch (x->status) {
	case 200:
		ctr_inc(SCP81_CTR_SCRIPTS);
		LOGPFSML(c->fi, LOGL_INFO, "'%s': script of job %lld handed out (%zu bytes)\n", x->identity,
			 (long long)x->job, x->script.len);
		osmo_fsm_inst_dispatch(c->fi, EV_SCRIPT_SENT, NULL);
		return;
	case 204:
		ctr_inc(SCP81_CTR_NO_MORE);
		LOGPFSML(c->fi, LOGL_INFO, "'%s': nothing more (204)\n", x->identity);
		break;
	case 405:
		ctr_inc(SCP81_CTR_REQ_405);
		break;
	case 413:
		ctr_inc(SCP81_CTR_REQ_413);
		break;
	default:
		ctr_inc(x->status >= 500 ? SCP81_CTR_REQ_5XX : SCP81_CTR_REQ_400);
		break;
	}
	if (x->status != 204) {
		c->abnormal = true;
		LOGPFSML(c->fi, LOGL_NOTICE, "'%s': request refused with %u: %s\n", x->identity, x->status,
			 x->why ? x->why : "");
	}
	osmo_fsm_inst_dispatch(c->fi, EV_OVER, NULL);
}

/* Decrypted bytes to the exchange; what follows an answered request waits in c->pend until the answer is out. */
static void feed(struct scp81_conn *c, const uint8_t *d, size_t len)
{
	unsigned results = c->x.results;
	size_t used;
	int rc;

	while (len) {
		rc = scp81_xchg_input(&c->x, d, len, &used);
		if (rc < 0 || used > len)
			break;
		d += used;
		len -= used;
		if (c->x.results != results)
			ctr_inc(SCP81_CTR_RESULTS);
		if (rc == 1) {
			memmove(c->pend, d, len);
			c->pend_len = len;
			answered(c);
			return;
		}
		if (!used)
			break;
	}
	c->pend_len = 0;
}

static void conn_io(struct scp81_conn *c)
{
	uint8_t buf[READ_CHUNK];
	int rc, err;

	for (;;) {
		if (c->fi->state == ST_HANDSHAKE) {
			ERR_clear_error();
			rc = SSL_accept(c->ssl);
			if (rc == 1) {
				ctr_inc(SCP81_CTR_HS_OK);
				memcpy(c->x.identity, c->peer.identity, sizeof(c->x.identity));
				LOGPFSML(c->fi, LOGL_INFO, "%s: '%s' connected (%s, %s)\n", c->addr, c->x.identity,
					 SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
				osmo_fsm_inst_dispatch(c->fi, EV_HANDSHAKE_OK, NULL);
				continue;
			}
			err = SSL_get_error(c->ssl, rc);
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				want(c, err);
				return;
			}
			handshake_failed(c, err == SSL_ERROR_SYSCALL ? "link gone" : "alert");
			conn_close(c, -EPIPE);
			return;
		}
		if (c->woff < c->x.out_len) {
			ERR_clear_error();
			rc = SSL_write(c->ssl, c->x.out + c->woff, (int)(c->x.out_len - c->woff));
			if (rc > 0) {
				c->woff += (size_t)rc;
				continue;
			}
			err = SSL_get_error(c->ssl, rc);
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				want(c, err);
				return;
			}
			LOGPFSML(c->fi, LOGL_INFO, "'%s': link gone while answering\n", c->x.identity);
			conn_close(c, -EPIPE);
			return;
		}
		if (c->x.state == SCP81_XCHG_OVER) {
			/* the last answer is out: close_notify (best effort), no more sending; what the card still
			 * sends is drained (a close with unread bytes would reset the link and could lose the answer)
			 * until it closes or CLOSING_S */
			if (!c->shut) {
				ERR_clear_error();
				SSL_shutdown(c->ssl);
				ERR_clear_error();
				shutdown(c->ofd.fd, SHUT_WR);
				c->shut = true;
			}
			rc = (int)recv(c->ofd.fd, buf, sizeof(buf), 0);
			if (rc > 0)
				continue;
			if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				osmo_fd_update_when(&c->ofd, 0, OSMO_FD_READ);
				return;
			}
			conn_close(c, -EPIPE);
			return;
		}
		if (c->pend_len) {
			feed(c, c->pend, c->pend_len);
			continue;
		}
		ERR_clear_error();
		rc = SSL_read(c->ssl, buf, sizeof(buf));
		if (rc > 0) {
			feed(c, buf, (size_t)rc);
			continue;
		}
		err = SSL_get_error(c->ssl, rc);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			want(c, err);
			return;
		}
		ERR_clear_error();
		LOGPFSML(c->fi, c->x.outstanding ? LOGL_NOTICE : LOGL_INFO, "'%s': link gone%s\n", c->x.identity,
			 c->x.outstanding ? " with a script outstanding" : "");
		conn_close(c, -EPIPE);
		return;
	}
}

static int conn_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	conn_io(ofd->data);
	return 0;
}

/* ---- the FSM ----------------------------------------------------------------------------------------------- */

static void st_handshake(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	switch (event) {
	case EV_HANDSHAKE_OK:
		osmo_fsm_inst_state_chg(fi, ST_WAIT_POST, scp81_cfg.post_s, 0);
		break;
	case EV_CLOSE:
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
		break;
	}
}

static void st_session(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	switch (event) {
	case EV_SCRIPT_SENT:
		osmo_fsm_inst_state_chg(fi, ST_SCRIPT_SENT, scp81_cfg.post_s, 0);
		break;
	case EV_OVER:
		osmo_fsm_inst_state_chg(fi, ST_CLOSING, CLOSING_S, 0);
		break;
	case EV_CLOSE:
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
		break;
	}
}

static void st_closing(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	if (event == EV_CLOSE)
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
}

static int timer_cb(struct osmo_fsm_inst *fi)
{
	struct scp81_conn *c = fi->priv;

	switch (fi->state) {
	case ST_HANDSHAKE:
		c->peer.unknown = false;
		c->peer.found = false;
		handshake_failed(c, "time-out");
		break;
	case ST_WAIT_POST:
	case ST_SCRIPT_SENT:
		c->abnormal = true;
		LOGPFSML(fi, LOGL_NOTICE, "'%s': no POST for %u s%s\n", c->x.identity, scp81_cfg.post_s,
			 c->x.outstanding ? " (script outstanding)" : "");
		break;
	}
	if (!c->end_reason)
		c->end_reason = -ETIMEDOUT;
	return 1; /* terminate */
}

static void cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct scp81_conn *c = fi->priv;

	if (c->x.outstanding || (c->abnormal && fi->state != ST_HANDSHAKE))
		ctr_inc(SCP81_CTR_ENDED_ABNORMALLY);
	scp81_xchg_end(&c->x, c->end_reason ? c->end_reason : -EPIPE);
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->ofd.fd >= 0) {
		osmo_fd_unregister(&c->ofd);
		close(c->ofd.fd);
		c->ofd.fd = -1;
	}
	llist_del(&c->list);
	srv.sessions--;
}

#define S(x) (1 << (x))
static const struct osmo_fsm_state states[] = {
	[ST_HANDSHAKE] = { .name = "HANDSHAKE",
			   .in_event_mask = S(EV_HANDSHAKE_OK) | S(EV_CLOSE),
			   .out_state_mask = S(ST_WAIT_POST) | S(ST_CLOSING),
			   .action = st_handshake },
	[ST_WAIT_POST] = { .name = "WAIT_POST",
			   .in_event_mask = S(EV_SCRIPT_SENT) | S(EV_OVER) | S(EV_CLOSE),
			   .out_state_mask = S(ST_SCRIPT_SENT) | S(ST_CLOSING),
			   .action = st_session },
	[ST_SCRIPT_SENT] = { .name = "SCRIPT_SENT",
			     .in_event_mask = S(EV_SCRIPT_SENT) | S(EV_OVER) | S(EV_CLOSE),
			     .out_state_mask = S(ST_SCRIPT_SENT) | S(ST_CLOSING),
			     .action = st_session },
	[ST_CLOSING] = { .name = "CLOSING", .in_event_mask = S(EV_CLOSE), .action = st_closing },
};

static struct osmo_fsm scp81_fsm = {
	.name = "SCP81",
	.states = states,
	.num_states = ARRAY_SIZE(states),
	.event_names = event_names,
	.timer_cb = timer_cb,
	.cleanup = cleanup,
	.log_subsys = DSCP81,
};

static __attribute__((constructor)) void on_load(void)
{
	OSMO_ASSERT(osmo_fsm_register(&scp81_fsm) == 0);
}

/* ---- the listener ------------------------------------------------------------------------------------------ */

static void conn_new(int fd, const struct sockaddr_in *sa)
{
	struct osmo_fsm_inst *fi;
	struct scp81_conn *c;
	char id[32];

	if (srv.sessions >= scp81_cfg.max_sessions) {
		ctr_inc(SCP81_CTR_REFUSED_FULL);
		LOGP(DSCP81, LOGL_NOTICE, "%u sessions open (max-sessions): a connection closed at once\n",
		     srv.sessions);
		close(fd);
		return;
	}
	snprintf(id, sizeof(id), "%lu", ++srv.next_id);
	fi = osmo_fsm_inst_alloc(&scp81_fsm, srv.ctx, NULL, LOGL_DEBUG, id);
	c = fi ? talloc_zero(fi, struct scp81_conn) : NULL;
	if (!c) {
		if (fi)
			osmo_fsm_inst_free(fi);
		close(fd);
		return;
	}
	fi->priv = c;
	c->fi = fi;
	c->id = srv.next_id;
	c->ofd.fd = -1;
	snprintf(c->addr, sizeof(c->addr), "%s:%u", inet_ntoa(sa->sin_addr), ntohs(sa->sin_port));
	llist_add_tail(&c->list, &srv.conns);
	srv.sessions++;
	ctr_inc(SCP81_CTR_ACCEPTED);
	c->x.ops = srv.ops;
	c->x.conn_id = c->id;
	c->x.chunked = scp81_cfg.chunked;
	scp81_xchg_init(&c->x);
	c->ssl = SSL_new(srv.ssl_ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
		close(fd);
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_ERROR, NULL);
		return;
	}
	SSL_set_app_data(c->ssl, &c->peer);
	osmo_fd_setup(&c->ofd, fd, OSMO_FD_READ, conn_fd_cb, c, 0);
	if (osmo_fd_register(&c->ofd)) {
		close(fd);
		c->ofd.fd = -1;
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_ERROR, NULL);
		return;
	}
	/* the first state's time-out: the instance starts in it */
	osmo_timer_schedule(&fi->timer, scp81_cfg.handshake_s, 0);
	LOGPFSML(fi, LOGL_DEBUG, "%s: connected\n", c->addr);
}

static int listen_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct sockaddr_in sa;
	socklen_t sl;
	int i, fd;

	for (i = 0; i < ACCEPT_BURST; i++) {
		sl = sizeof(sa);
		fd = accept4(ofd->fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		conn_new(fd, &sa);
	}
	return 0;
}

int scp81_server_start(void *ctx, const struct scp81_ops *ops)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd, one = 1, rc;

	if (srv.lfd.fd >= 0)
		return -EALREADY;
	if (!ops || !ops->psk || !ops->next || !ops->result || !ops->ended)
		return -EINVAL;
	if (inet_pton(AF_INET, scp81_cfg.ip, &sa.sin_addr) != 1)
		return -EINVAL;
	sa.sin_port = htons(scp81_cfg.port);
	srv.ctx = ctx;
	srv.ops = ops;
	INIT_LLIST_HEAD(&srv.conns);
	srv.ssl_ctx = scp81_tls_ctx_new(&scp81_cfg, ops);
	if (!srv.ssl_ctx)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	srv.port = ntohs(sa.sin_port);
	osmo_fd_setup(&srv.lfd, fd, OSMO_FD_READ, listen_cb, NULL, 0);
	if (osmo_fd_register(&srv.lfd)) {
		close(fd);
		srv.lfd.fd = -1;
		rc = -EIO;
		goto fail;
	}
	if (!srv.ctrs)
		srv.ctrs = rate_ctr_group_alloc(ctx, &ctrg_desc, 0);
	return 0;
fail:
	srv.port = -ENOTCONN;
	SSL_CTX_free(srv.ssl_ctx);
	srv.ssl_ctx = NULL;
	return rc;
}

void scp81_server_stop(void)
{
	struct scp81_conn *c, *n;

	if (srv.lfd.fd < 0)
		return;
	llist_for_each_entry_safe(c, n, &srv.conns, list)
	{
		c->end_reason = -EPIPE;
		osmo_fsm_inst_term(c->fi, OSMO_FSM_TERM_REQUEST, NULL);
	}
	osmo_fd_unregister(&srv.lfd);
	close(srv.lfd.fd);
	srv.lfd.fd = -1;
	srv.port = -ENOTCONN;
	SSL_CTX_free(srv.ssl_ctx);
	srv.ssl_ctx = NULL;
}

int scp81_server_port(void)
{
	return srv.port;
}

unsigned scp81_server_sessions(void)
{
	return srv.sessions;
}

bool scp81_server_session_open(const char *identity)
{
	struct scp81_conn *c;

	llist_for_each_entry(c, &srv.conns, list)
	{
		/* past its handshake, and not answered 204 or an error yet: it will ask again */
		if ((c->fi->state == ST_WAIT_POST || c->fi->state == ST_SCRIPT_SENT) && c->x.state != SCP81_XCHG_OVER &&
		    !strcmp(c->x.identity, identity))
			return true;
	}
	return false;
}

void scp81_server_show(void (*line)(void *arg, const char *text), void *arg)
{
	static const char *const names[] = { "handshake", "wait_post", "script_sent", "closing" };
	struct scp81_conn *c;
	char buf[256];

	llist_for_each_entry(c, &srv.conns, list)
	{
		snprintf(buf, sizeof(buf), "  %lu %s %s '%s'%s", c->id, c->addr, names[c->fi->state & 3], c->x.identity,
			 c->x.outstanding ? " script outstanding" : "");
		line(arg, buf);
	}
}
