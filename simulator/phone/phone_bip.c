/* The handset's side of BIP and TIMER MANAGEMENT for a simulated phone; behaviour and formats in phone_bip.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "phone_bip.h"

#define TYPE_SET_UP_EVENT_LIST 0x05
#define TYPE_TIMER_MANAGEMENT 0x27
#define TYPE_OPEN_CHANNEL 0x40
#define TYPE_CLOSE_CHANNEL 0x41
#define TYPE_RECEIVE_DATA 0x42
#define TYPE_SEND_DATA 0x43
#define TYPE_GET_CHANNEL_STATUS 0x44

#define TAG_DETAILS 0x01
#define TAG_DEVICES 0x02
#define TAG_EVENT_LIST 0x19
#define TAG_TIMER_ID 0x24
#define TAG_TIMER_VALUE 0x25
#define TAG_BEARER 0x35
#define TAG_CHANNEL_DATA 0x36
#define TAG_CHANNEL_DATA_LEN 0x37
#define TAG_CHANNEL_STATUS 0x38
#define TAG_BUFFER_SIZE 0x39
#define TAG_TRANSPORT 0x3c
#define TAG_ADDRESS 0x3e

#define EVENT_DATA_AVAILABLE 0x09
#define EVENT_CHANNEL_STATUS 0x0a

#define RES_OK 0x00
#define RES_MODIFIED 0x07
#define RES_NETWORK_UNABLE 0x21
#define RES_TIMER_STATE 0x24
#define RES_BEYOND 0x30
#define RES_DATA_NOT_UNDERSTOOD 0x32
#define RES_VALUES_MISSING 0x36
#define RES_BIP 0x3a
#define BIP_NO_CAUSE 0x00
#define BIP_NO_CHANNEL 0x01
#define BIP_CLOSED 0x02
#define BIP_BAD_ID 0x03
#define BIP_TRANSPORT 0x06

#define DEV_CHANNEL_1 0x21
#define BEARER_MAX 16
#define WQ_MAX (4 * PHONE_BIP_BUF_MAX) /* bytes written but not yet taken by the socket */

enum ch_state {
	CH_NONE,       /* no channel */
	CH_CONNECTING, /* OPEN CHANNEL waits for the connection */
	CH_UP,	       /* the link is established */
	CH_DROPPED,    /* the link is gone; the SIM has not closed the channel yet */
};

struct bip_timer {
	struct phone_bip *b;
	uint8_t id;
	uint32_t seconds; /* the value it was started with */
	struct osmo_timer_list t;
};

struct phone_bip {
	struct phone_bip_cfg cfg;
	const struct phone_bip_ops *ops;
	void *priv;
	bool no_io;
	bool ev_data, ev_status; /* events the SIM asked for */
	bool first_done;	 /* the phone's first channel was opened (drop_send counts its SEND DATA only) */
	unsigned sends;		 /* SEND DATA on the first channel */

	enum ch_state state;
	bool first;			/* this channel is the phone's first */
	struct osmo_fd ofd;		/* the socket; fd -1 when none */
	struct osmo_timer_list connect; /* PHONE_BIP_CONNECT_S */
	uint8_t details[3];		/* of the OPEN CHANNEL, for its TR */
	uint8_t bearer[BEARER_MAX];	/* the bearer description TLV as asked, echoed */
	size_t bearer_len;
	bool modified; /* the buffer was cut */
	uint16_t buf_size;
	uint32_t ip;
	uint16_t port;
	uint64_t bytes_in, bytes_out;
	uint8_t tx[PHONE_BIP_BUF_MAX]; /* stored by SEND DATA, not yet sent */
	size_t tx_len;
	uint8_t wq[WQ_MAX]; /* sent, waiting for room in the socket */
	size_t wq_len;
	uint8_t rx[PHONE_BIP_BUF_MAX];
	size_t rx_len;
	bool rx_event_armed; /* the next bytes into the empty Rx buffer bring a data available event */
	bool drop_due;	     /* the link dropped with bytes unread: the event comes once they are read */
	bool failed;	     /* the last OPEN CHANNEL could not connect */

	struct bip_timer timers[PHONE_BIP_TIMERS];
};

/* ---- COMPREHENSION-TLV (TS 102 223 §8, one-byte tags, lengths 00..7F or 81 80..FF) ------------------------------ */

struct ctlv {
	uint8_t tag; /* without the CR bit */
	const uint8_t *v;
	size_t len;
};

/* The first object with \a tag in \a buf. \returns 0; -ENOENT; -EINVAL for a malformed object before it */
static int ctlv_find(const uint8_t *buf, size_t len, uint8_t tag, struct ctlv *t)
{
	size_t i = 0;

	while (i < len) {
		size_t l, h = 2;

		if (buf[i] == 0x00 || buf[i] == 0xff || buf[i] == 0x80 || buf[i] == 0x7f || i + 2 > len)
			return -EINVAL; /* padding, reserved and three-byte tags are not used by these commands */
		l = buf[i + 1];
		if (l == 0x81) {
			if (i + 3 > len || buf[i + 2] < 0x80)
				return -EINVAL;
			l = buf[i + 2];
			h = 3;
		} else if (l > 0x7f) {
			return -EINVAL;
		}
		if (l > len - i - h)
			return -EINVAL;
		if ((buf[i] & 0x7f) == tag) {
			t->tag = tag;
			t->v = buf + i + h;
			t->len = l;
			return 0;
		}
		i += h + l;
	}
	return -ENOENT;
}

/* ---- building answers ------------------------------------------------------------------------------------------ */

struct out {
	uint8_t *p;
	size_t n, max;
	bool overflow;
};

static void put(struct out *o, const void *v, size_t len)
{
	if (o->n + len > o->max) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->n, v, len);
	o->n += len;
}

static void put_tlv(struct out *o, uint8_t tag, const void *v, size_t len)
{
	uint8_t h[3] = { tag, (uint8_t)len };

	if (len > 0x7f) {
		h[1] = 0x81;
		h[2] = (uint8_t)len;
	}
	put(o, h, len > 0x7f ? 3 : 2);
	put(o, v, len);
}

/* { 81 03 details | 82 02 82 81 | 83 result [info] } */
static void tr_head(struct out *o, const uint8_t *details, uint8_t result, int info)
{
	uint8_t r[2] = { result, (uint8_t)info };

	put_tlv(o, 0x81, details, 3);
	put(o, "\x82\x02\x82\x81", 4);
	put_tlv(o, 0x83, r, info < 0 ? 1 : 2);
}

static uint8_t len_byte(size_t n)
{
	return n >= 0xff ? 0xff : (uint8_t)n;
}

static void envelope(struct phone_bip *b, const uint8_t *body, size_t len)
{
	uint8_t env[PHONE_BIP_ENV_MAX];

	if (!b->ops->envelope || len + 2 > sizeof(env))
		return;
	env[0] = 0xd6;
	env[1] = (uint8_t)len;
	memcpy(env + 2, body, len);
	b->ops->envelope(b->priv, env, len + 2);
}

static void event_data_available(struct phone_bip *b)
{
	uint8_t e[] = {
		0x99, 0x01, EVENT_DATA_AVAILABLE, 0x82, 0x02, 0x82, 0x81, 0xb8, 0x02, 0x81, 0x00, 0xb7, 0x01, 0
	};

	b->rx_event_armed = false;
	if (!b->ev_data)
		return;
	e[sizeof(e) - 1] = len_byte(b->rx_len);
	envelope(b, e, sizeof(e));
}

static void event_link_dropped(struct phone_bip *b)
{
	static const uint8_t e[] = { 0x99, 0x01, EVENT_CHANNEL_STATUS, 0x82, 0x02, 0x82, 0x81, 0xb8, 0x02, 0x01, 0x05 };

	b->drop_due = false;
	if (b->ev_status)
		envelope(b, e, sizeof(e));
}

static void changed(struct phone_bip *b)
{
	if (b->ops->changed)
		b->ops->changed(b->priv);
}

/* ---- the socket ------------------------------------------------------------------------------------------------- */

static void close_socket(struct phone_bip *b)
{
	osmo_timer_del(&b->connect);
	if (b->ofd.fd >= 0) {
		osmo_fd_unregister(&b->ofd);
		close(b->ofd.fd);
		b->ofd.fd = -1;
	}
	b->wq_len = 0;
}

/* The link is gone (the peer closed it, an error, or drop_send): the event now, or once the Rx buffer is read. */
static void link_dropped(struct phone_bip *b)
{
	close_socket(b);
	b->state = CH_DROPPED;
	b->tx_len = 0;
	if (b->rx_len)
		b->drop_due = true;
	else
		event_link_dropped(b);
	changed(b);
}

/* What the socket should be polled for: reading while the Rx buffer has room, writing while bytes wait. */
static void set_poll(struct phone_bip *b)
{
	unsigned what = 0;

	if (b->ofd.fd < 0)
		return;
	if (b->state == CH_CONNECTING || b->wq_len)
		what |= OSMO_FD_WRITE;
	if (b->state == CH_UP && b->rx_len < b->buf_size)
		what |= OSMO_FD_READ;
	osmo_fd_write_disable(&b->ofd);
	osmo_fd_read_disable(&b->ofd);
	if (what & OSMO_FD_WRITE)
		osmo_fd_write_enable(&b->ofd);
	if (what & OSMO_FD_READ)
		osmo_fd_read_enable(&b->ofd);
}

/* Write what waits. \returns 0; -EPIPE when the link broke (the caller drops it) */
static int flush_wq(struct phone_bip *b)
{
	ssize_t n;

	if (b->no_io) {
		b->bytes_out += b->wq_len;
		b->wq_len = 0;
		return 0;
	}
	while (b->wq_len) {
		n = send(b->ofd.fd, b->wq, b->wq_len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (n <= 0)
			return -EPIPE;
		memmove(b->wq, b->wq + n, b->wq_len - (size_t)n);
		b->wq_len -= (size_t)n;
		b->bytes_out += (uint64_t)n;
	}
	set_poll(b);
	return 0;
}

static void open_tr(struct phone_bip *b, uint8_t result, int info)
{
	uint8_t tr[PHONE_BIP_TR_MAX], bs[2] = { (uint8_t)(b->buf_size >> 8), (uint8_t)b->buf_size };
	struct out o = { .p = tr, .max = sizeof(tr) };

	tr_head(&o, b->details, result, info);
	if (result == RES_OK || result == RES_MODIFIED) {
		put(&o, "\x38\x02\x81\x00", 4);
		put(&o, b->bearer, b->bearer_len);
		put_tlv(&o, TAG_BUFFER_SIZE, bs, 2);
	}
	if (b->ops->terminal_response)
		b->ops->terminal_response(b->priv, tr, o.n);
}

static void connected(struct phone_bip *b)
{
	osmo_timer_del(&b->connect);
	b->state = CH_UP;
	b->rx_event_armed = true;
	set_poll(b);
}

static void connect_failed(struct phone_bip *b)
{
	close_socket(b);
	b->state = CH_NONE;
	b->failed = true;
	open_tr(b, RES_NETWORK_UNABLE, 0x00);
	changed(b);
}

static void connect_timeout_cb(void *data)
{
	connect_failed(data);
}

static void read_socket(struct phone_bip *b)
{
	size_t room = b->buf_size - b->rx_len;
	bool was_empty = !b->rx_len;
	ssize_t n;

	if (!room)
		return;
	n = recv(b->ofd.fd, b->rx + b->rx_len, room, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		link_dropped(b);
		return;
	}
	b->rx_len += (size_t)n;
	b->bytes_in += (uint64_t)n;
	set_poll(b);
	if (was_empty && b->rx_event_armed)
		event_data_available(b);
}

static int socket_cb(struct osmo_fd *fd, unsigned int what)
{
	struct phone_bip *b = fd->data;
	int err = 0;
	socklen_t len = sizeof(err);

	if (b->state == CH_CONNECTING) {
		if (!(what & OSMO_FD_WRITE))
			return 0;
		if (getsockopt(fd->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
			connect_failed(b);
			return 0;
		}
		connected(b);
		open_tr(b, b->modified ? RES_MODIFIED : RES_OK, -1);
		changed(b);
		return 0;
	}
	if ((what & OSMO_FD_WRITE) && flush_wq(b)) {
		link_dropped(b);
		return 0;
	}
	if ((what & OSMO_FD_READ) && b->ofd.fd >= 0)
		read_socket(b);
	return 0;
}

/* Start the connection. \returns 0 connected; 1 in progress; -ECONNREFUSED etc. */
static int start_connect(struct phone_bip *b)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(b->port), .sin_addr.s_addr = htonl(b->ip) };
	int fd, one = 1;

	if (b->no_io)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	osmo_fd_setup(&b->ofd, fd, OSMO_FD_WRITE, socket_cb, b, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		int rc = -errno;

		close(fd);
		b->ofd.fd = -1;
		return rc;
	}
	if (osmo_fd_register(&b->ofd)) {
		close(fd);
		b->ofd.fd = -1;
		return -EIO;
	}
	osmo_timer_schedule(&b->connect, PHONE_BIP_CONNECT_S, 0);
	return 1;
}

/* ---- commands --------------------------------------------------------------------------------------------------- */

static int cmd_event_list(struct phone_bip *b, const uint8_t *body, size_t len, struct out *o, const uint8_t *det)
{
	struct ctlv t;
	int rc = ctlv_find(body, len, TAG_EVENT_LIST, &t);

	if (rc) {
		tr_head(o, det, rc == -ENOENT ? RES_VALUES_MISSING : RES_DATA_NOT_UNDERSTOOD, -1);
		return 0;
	}
	b->ev_data = b->ev_status = false;
	for (size_t i = 0; i < t.len; i++) {
		if (t.v[i] == EVENT_DATA_AVAILABLE)
			b->ev_data = true;
		else if (t.v[i] == EVENT_CHANNEL_STATUS)
			b->ev_status = true;
	}
	tr_head(o, det, RES_OK, -1);
	return 0;
}

static int cmd_open(struct phone_bip *b, const uint8_t *body, size_t len, struct out *o, const uint8_t *det)
{
	struct ctlv bearer, buf, tl, addr;
	unsigned asked;
	int rc;

	if (b->state != CH_NONE) {
		tr_head(o, det, RES_BIP, BIP_NO_CHANNEL);
		return 0;
	}
	rc = ctlv_find(body, len, TAG_BEARER, &bearer);
	if (!rc)
		rc = ctlv_find(body, len, TAG_BUFFER_SIZE, &buf);
	if (!rc)
		rc = ctlv_find(body, len, TAG_TRANSPORT, &tl);
	if (!rc)
		rc = ctlv_find(body, len, TAG_ADDRESS, &addr);
	if (rc) {
		tr_head(o, det, rc == -ENOENT ? RES_VALUES_MISSING : RES_DATA_NOT_UNDERSTOOD, -1);
		return 0;
	}
	if (!bearer.len || bearer.len + 2 > BEARER_MAX || buf.len != 2 || !tl.len || !addr.len) {
		tr_head(o, det, RES_DATA_NOT_UNDERSTOOD, -1);
		return 0;
	}
	if (bearer.v[0] != 0x02 && bearer.v[0] != 0x03) {
		tr_head(o, det, RES_BEYOND, -1);
		return 0;
	}
	if (tl.v[0] != 0x02 || addr.v[0] != 0x21) {
		tr_head(o, det, RES_BIP, BIP_TRANSPORT);
		return 0;
	}
	if (tl.len != 3 || addr.len != 5) {
		tr_head(o, det, RES_DATA_NOT_UNDERSTOOD, -1);
		return 0;
	}
	asked = (unsigned)(buf.v[0] << 8 | buf.v[1]);
	if (!asked) {
		tr_head(o, det, RES_DATA_NOT_UNDERSTOOD, -1);
		return 0;
	}
	b->modified = asked > PHONE_BIP_BUF_MAX;
	b->buf_size = (uint16_t)(b->modified ? PHONE_BIP_BUF_MAX : asked);
	b->bearer[0] = TAG_BEARER;
	b->bearer[1] = (uint8_t)bearer.len;
	memcpy(b->bearer + 2, bearer.v, bearer.len);
	b->bearer_len = bearer.len + 2;
	memcpy(b->details, det, 3);
	b->port = (uint16_t)(tl.v[1] << 8 | tl.v[2]);
	b->ip = (uint32_t)addr.v[1] << 24 | (uint32_t)addr.v[2] << 16 | (uint32_t)addr.v[3] << 8 | addr.v[4];
	b->tx_len = b->rx_len = b->wq_len = 0;
	b->drop_due = b->failed = false;
	b->first = !b->first_done;
	b->first_done = true;
	b->state = CH_CONNECTING;
	rc = start_connect(b);
	if (rc < 0) {
		b->state = CH_NONE;
		b->failed = true;
		tr_head(o, det, RES_NETWORK_UNABLE, 0x00);
		changed(b);
		return 0;
	}
	if (rc == 1)
		return 1;
	connected(b);
	changed(b);
	tr_head(o, det, b->modified ? RES_MODIFIED : RES_OK, -1);
	put(o, "\x38\x02\x81\x00", 4);
	put(o, b->bearer, b->bearer_len);
	put(o, (uint8_t[]){ TAG_BUFFER_SIZE, 2, (uint8_t)(b->buf_size >> 8), (uint8_t)b->buf_size }, 4);
	return 0;
}

/* The channel a command names, as a TR error when it cannot be used: \returns 0 usable; else the TR is written */
static int check_channel(struct phone_bip *b, uint8_t dest, struct out *o, const uint8_t *det, bool dropped_ok)
{
	if (dest != DEV_CHANNEL_1 || b->state == CH_NONE || b->state == CH_CONNECTING) {
		tr_head(o, det, RES_BIP, BIP_BAD_ID);
		return -1;
	}
	if (b->state == CH_DROPPED && !dropped_ok) {
		tr_head(o, det, RES_BIP, BIP_CLOSED);
		return -1;
	}
	return 0;
}

static int cmd_send(struct phone_bip *b, const uint8_t *body, size_t len, struct out *o, const uint8_t *det)
{
	struct ctlv t;
	int rc = ctlv_find(body, len, TAG_CHANNEL_DATA, &t);
	uint8_t room;

	if (rc) {
		tr_head(o, det, rc == -ENOENT ? RES_VALUES_MISSING : RES_DATA_NOT_UNDERSTOOD, -1);
		return 0;
	}
	if (b->first && ++b->sends == b->cfg.drop_send) {
		link_dropped(b);
		tr_head(o, det, RES_BIP, BIP_CLOSED);
		return 0;
	}
	if (b->tx_len + t.len > b->buf_size) {
		tr_head(o, det, RES_BIP, BIP_NO_CAUSE);
		return 0;
	}
	memcpy(b->tx + b->tx_len, t.v, t.len);
	b->tx_len += t.len;
	if (det[2] & 0x01) {
		if (b->wq_len + b->tx_len > sizeof(b->wq)) {
			b->tx_len -= t.len;
			tr_head(o, det, RES_BIP, BIP_NO_CAUSE);
			return 0;
		}
		memcpy(b->wq + b->wq_len, b->tx, b->tx_len);
		b->wq_len += b->tx_len;
		b->tx_len = 0;
		if (flush_wq(b)) {
			link_dropped(b);
			tr_head(o, det, RES_BIP, BIP_CLOSED);
			return 0;
		}
	}
	tr_head(o, det, RES_OK, -1);
	room = len_byte(b->buf_size - b->tx_len);
	put_tlv(o, TAG_CHANNEL_DATA_LEN, &room, 1);
	return 0;
}

static int cmd_receive(struct phone_bip *b, const uint8_t *body, size_t len, struct out *o, const uint8_t *det)
{
	struct ctlv t;
	int rc = ctlv_find(body, len, TAG_CHANNEL_DATA_LEN, &t);
	size_t n;
	uint8_t left;

	if (rc || t.len != 1) {
		tr_head(o, det, rc == -ENOENT ? RES_VALUES_MISSING : RES_DATA_NOT_UNDERSTOOD, -1);
		return 0;
	}
	if (!b->rx_len) {
		tr_head(o, det, RES_BIP, b->state == CH_DROPPED ? BIP_CLOSED : BIP_NO_CAUSE);
		return 0;
	}
	n = t.v[0] < b->rx_len ? t.v[0] : b->rx_len;
	if (n > PHONE_BIP_RX_CHUNK)
		n = PHONE_BIP_RX_CHUNK;
	tr_head(o, det, RES_OK, -1);
	put_tlv(o, TAG_CHANNEL_DATA, b->rx, n);
	memmove(b->rx, b->rx + n, b->rx_len - n);
	b->rx_len -= n;
	left = len_byte(b->rx_len);
	put_tlv(o, TAG_CHANNEL_DATA_LEN, &left, 1);
	if (!b->rx_len) {
		b->rx_event_armed = true;
		if (b->drop_due)
			event_link_dropped(b);
	}
	set_poll(b);
	return 0;
}

static int cmd_close(struct phone_bip *b, struct out *o, const uint8_t *det)
{
	close_socket(b);
	b->state = CH_NONE;
	b->tx_len = b->rx_len = 0;
	b->drop_due = false;
	tr_head(o, det, RES_OK, -1);
	changed(b);
	return 0;
}

static int cmd_status(struct phone_bip *b, struct out *o, const uint8_t *det)
{
	tr_head(o, det, RES_OK, -1);
	if (b->state == CH_UP)
		put(o, "\x38\x02\x81\x00", 4);
	else if (b->state == CH_DROPPED)
		put(o, "\x38\x02\x01\x05", 4);
	return 0;
}

/* ---- TIMER MANAGEMENT -------------------------------------------------------------------------------------------- */

static int bcd(uint8_t v)
{
	/* TS 102 223 §8.38: like TS 31.111's semi-octets, the low nibble is the tens */
	uint8_t tens = v & 0x0f, units = v >> 4;

	return tens > 9 || units > 9 ? -1 : tens * 10 + units;
}

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)((v / 10) | (v % 10) << 4);
}

static void put_value(struct out *o, uint32_t s)
{
	uint8_t v[3] = { to_bcd(s / 3600 % 100), to_bcd(s / 60 % 60), to_bcd(s % 60) };

	put_tlv(o, TAG_TIMER_VALUE, v, 3);
}

static void timer_cb(void *data)
{
	struct bip_timer *t = data;
	uint8_t e[PHONE_BIP_ENV_MAX];
	struct out o = { .p = e + 2, .max = sizeof(e) - 2 };

	put(&o, "\x82\x02\x82\x81", 4);
	put_tlv(&o, TAG_TIMER_ID, &t->id, 1);
	put_value(&o, t->seconds);
	e[0] = 0xd7;
	e[1] = (uint8_t)o.n;
	if (t->b->ops->envelope)
		t->b->ops->envelope(t->b->priv, e, o.n + 2);
}

static int cmd_timer(struct phone_bip *b, const uint8_t *body, size_t len, struct out *o, const uint8_t *det)
{
	struct ctlv id, val;
	struct bip_timer *t;
	int rc = ctlv_find(body, len, TAG_TIMER_ID, &id);
	int h, m, s;

	if (rc || id.len != 1 || !id.v[0] || id.v[0] > PHONE_BIP_TIMERS) {
		tr_head(o, det, rc == -ENOENT ? RES_VALUES_MISSING : RES_DATA_NOT_UNDERSTOOD, -1);
		return 0;
	}
	t = &b->timers[id.v[0] - 1];
	switch (det[2]) {
	case 0x00:
		rc = ctlv_find(body, len, TAG_TIMER_VALUE, &val);
		if (rc || val.len != 3 || (h = bcd(val.v[0])) < 0 || (m = bcd(val.v[1])) < 0 ||
		    (s = bcd(val.v[2])) < 0 || m > 59 || s > 59 || h * 3600 + m * 60 + s == 0) {
			tr_head(o, det, rc == -ENOENT ? RES_VALUES_MISSING : RES_DATA_NOT_UNDERSTOOD, -1);
			return 0;
		}
		t->seconds = (uint32_t)(h * 3600 + m * 60 + s);
		osmo_timer_schedule(&t->t, (int)t->seconds, 0);
		tr_head(o, det, RES_OK, -1);
		put_tlv(o, TAG_TIMER_ID, &t->id, 1);
		return 0;
	case 0x01:
	case 0x02: {
		struct timeval left;

		if (!osmo_timer_pending(&t->t) || osmo_timer_remaining(&t->t, NULL, &left)) {
			tr_head(o, det, RES_TIMER_STATE, -1);
			return 0;
		}
		if (det[2] == 0x01)
			osmo_timer_del(&t->t);
		tr_head(o, det, RES_OK, -1);
		put_tlv(o, TAG_TIMER_ID, &t->id, 1);
		put_value(o, (uint32_t)left.tv_sec);
		return 0;
	}
	default:
		tr_head(o, det, RES_DATA_NOT_UNDERSTOOD, -1);
		return 0;
	}
}

/* ---- the interface ----------------------------------------------------------------------------------------------- */

static int bip_destructor(struct phone_bip *b)
{
	close_socket(b);
	for (unsigned i = 0; i < PHONE_BIP_TIMERS; i++)
		osmo_timer_del(&b->timers[i].t);
	return 0;
}

struct phone_bip *phone_bip_alloc(void *ctx, const struct phone_bip_cfg *cfg, const struct phone_bip_ops *ops,
				  void *priv)
{
	struct phone_bip *b = talloc_zero(ctx, struct phone_bip);

	if (!b)
		return NULL;
	if (cfg)
		b->cfg = *cfg;
	b->ops = ops;
	b->priv = priv;
	b->ofd.fd = -1;
	osmo_timer_setup(&b->connect, connect_timeout_cb, b);
	for (unsigned i = 0; i < PHONE_BIP_TIMERS; i++) {
		b->timers[i].b = b;
		b->timers[i].id = (uint8_t)(i + 1);
		osmo_timer_setup(&b->timers[i].t, timer_cb, &b->timers[i]);
	}
	talloc_set_destructor(b, bip_destructor);
	return b;
}

void phone_bip_free(struct phone_bip *b)
{
	talloc_free(b);
}

void phone_bip_set_io(struct phone_bip *b, bool io)
{
	b->no_io = !io;
}

bool phone_bip_handles(uint8_t type)
{
	return type == TYPE_SET_UP_EVENT_LIST || type == TYPE_TIMER_MANAGEMENT ||
	       (type >= TYPE_OPEN_CHANNEL && type <= TYPE_GET_CHANNEL_STATUS);
}

int phone_bip_command(struct phone_bip *b, const uint8_t *cmd, size_t len, uint8_t *tr, size_t max, size_t *tr_len)
{
	struct out o = { .p = tr, .max = max };
	struct ctlv details, dev;
	const uint8_t *body;
	size_t blen;
	uint8_t type;
	int rc;

	*tr_len = 0;
	if (max < PHONE_BIP_TR_MAX || len < 2 || cmd[0] != 0xd0)
		return -EINVAL;
	if (cmd[1] == 0x81) {
		if (len < 3 || cmd[2] < 0x80)
			return -EINVAL;
		body = cmd + 3;
		blen = cmd[2];
	} else if (cmd[1] <= 0x7f) {
		body = cmd + 2;
		blen = cmd[1];
	} else {
		return -EINVAL;
	}
	if (blen > len - (size_t)(body - cmd) || ctlv_find(body, blen, TAG_DETAILS, &details) || details.len != 3)
		return -EINVAL;
	type = details.v[1];
	if (ctlv_find(body, blen, TAG_DEVICES, &dev) || dev.len != 2) {
		tr_head(&o, details.v, RES_DATA_NOT_UNDERSTOOD, -1);
		*tr_len = o.n;
		return 0;
	}
	if (b->cfg.off && type != TYPE_SET_UP_EVENT_LIST && type != TYPE_TIMER_MANAGEMENT) {
		tr_head(&o, details.v, RES_BEYOND, -1);
		*tr_len = o.n;
		return 0;
	}
	switch (type) {
	case TYPE_SET_UP_EVENT_LIST:
		rc = cmd_event_list(b, body, blen, &o, details.v);
		break;
	case TYPE_TIMER_MANAGEMENT:
		rc = cmd_timer(b, body, blen, &o, details.v);
		break;
	case TYPE_OPEN_CHANNEL:
		rc = cmd_open(b, body, blen, &o, details.v);
		break;
	case TYPE_CLOSE_CHANNEL:
		rc = check_channel(b, dev.v[1], &o, details.v, true) ? 0 : cmd_close(b, &o, details.v);
		break;
	case TYPE_SEND_DATA:
		rc = check_channel(b, dev.v[1], &o, details.v, false) ? 0 : cmd_send(b, body, blen, &o, details.v);
		break;
	case TYPE_RECEIVE_DATA:
		rc = check_channel(b, dev.v[1], &o, details.v, true) ? 0 : cmd_receive(b, body, blen, &o, details.v);
		break;
	case TYPE_GET_CHANNEL_STATUS:
		rc = cmd_status(b, &o, details.v);
		break;
	default:
		tr_head(&o, details.v, RES_BEYOND, -1);
		rc = 0;
		break;
	}
	*tr_len = o.n;
	return rc;
}

void phone_bip_status(const struct phone_bip *b, struct phone_bip_status *st)
{
	memset(st, 0, sizeof(*st));
	st->open = b->state != CH_NONE;
	st->connected = b->state == CH_UP;
	st->failed = b->failed;
	st->ip = b->ip;
	st->port = b->port;
	st->bytes_in = b->bytes_in;
	st->bytes_out = b->bytes_out;
}

size_t phone_bip_terminal_profile(bool bip, uint8_t *out, size_t max)
{
	/* TS 102 223 §5.2, byte by byte:
	 *  1 download: all (profile, SMS-PP, CB, menu selection, SMS-PP '9EXX', timer expiration, USSD, call control)
	 *  2 other: all;  3 proactive: DISPLAY TEXT .. REFRESH;  4 proactive: SELECT ITEM .. PROVIDE LOCAL INFO
	 *  5 events: SET UP EVENT LIST, MT call, call connected, call disconnected, location status
	 *  6 event extensions: b3 data available, b4 channel status (BIP only)
	 *  7 multiple card: none;  8 proactive: b1 TIMER MANAGEMENT start/stop, b2 get current value
	 *  9 .. 11: none
	 * 12 BIP commands: b1 OPEN CHANNEL, b2 CLOSE CHANNEL, b3 RECEIVE DATA, b4 SEND DATA, b5 GET CHANNEL STATUS
	 * 13 BIP bearers: b2 GPRS; b6..b8 number of channels: 1
	 * 14 .. 16: screen (not given)
	 * 17 BIP transport interfaces: b1 TCP, UICC in client mode, remote connection */
	static const uint8_t with[] = { 0xff, 0xff, 0xff, 0xff, 0x1f, 0x0c, 0x00, 0x03, 0x00,
					0x00, 0x00, 0x1f, 0x22, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t without[] = { 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00, 0x00, 0x03 };
	const uint8_t *p = bip ? with : without;
	size_t n = bip ? sizeof(with) : sizeof(without);

	if (n > max)
		return 0;
	memcpy(out, p, n);
	return n;
}
