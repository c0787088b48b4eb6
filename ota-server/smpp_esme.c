/* The SMPP ESME of simpki-otad (smpp_esme.h): one TCP connection, an osmo_fsm for its state, a queue of submits,
 * the window of submits in flight, the send rate, back-off for reconnects and temporary errors. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/socket.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/write_queue.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include "otad.h" /* logging categories, counter indexes */
#include "smpp_esme.h"
#include "smpp_frame.h"

#define BIND_GUARD_S 10
#define ENQUIRE_EVERY_S 30
#define ENQUIRE_GUARD_S 10
#define RECONNECT_MAX_S 30
#define RETRY_MAX_S 60

enum esme_state {
	ST_DISCONNECTED,
	ST_CONNECTING,
	ST_BINDING,
	ST_BOUND
};
enum esme_event {
	EV_CONNECT,
	EV_CONNECTED,
	EV_BIND_OK,
	EV_BIND_FAIL,
	EV_CLOSED
};
enum {
	T_RECONNECT = 1,
	T_CONNECT = 2,
	T_BIND = 3
};

struct submit {
	struct llist_head list;
	uint32_t seq; /* in flight: its sequence number */
	char dest[21];
	uint8_t ud[254];
	uint8_t len;
	uint32_t validity_s;		  /* relative validity period, 0: none (the SMSC's default) */
	bool forward;			  /* forward (transaction) mode: the answer comes after the delivery attempt */
	bool text;			  /* a text SMS for the handset (smpp_esme_submit_text()): PID 00, its DCS */
	uint8_t dcs;			  /* text: data_coding */
	bool udhi;			  /* text: ud starts with a UDH */
	smpp_esme_text_done_cb text_done; /* text: where the answer goes (not ops->submit_done) */
	void *priv;
	unsigned tries;
	struct timespec not_before; /* a temporary error's back-off */
	struct timespec sent;	    /* in flight: when its submit_sm left */
};

#define WQ_MAX 2000    /* PDUs waiting to be written */
#define WQ_RESERVE 500 /* of them, kept for answers: submits stop short of it */

struct smpp_esme {
	struct smpp_esme_cfg cfg;
	const struct smpp_esme_ops *ops;
	void *data;
	struct osmo_fsm_inst *fi;
	struct osmo_wqueue wq;
	uint8_t rbuf[2 * SMPP_PDU_MAX];
	size_t rlen;
	uint32_t seq;
	unsigned reconnect_s, attempts;
	struct llist_head queue, in_flight;
	/* forward submits unanswered after resp_timeout_s: out of the window, their answer still awaited (the SMSC may
	 * be paging); never sent again while the link lasts, since the phone may have the SMS */
	struct llist_head answer_due;
	unsigned n_queue, n_in_flight;
	struct osmo_timer_list pump_timer, enquire_timer, resp_timer;
	uint32_t enquire_seq; /* awaiting its answer; 0 none */
	time_t rate_sec;
	unsigned rate_sent;
};

static void ctr_inc(struct smpp_esme *e, unsigned idx)
{
	if (e->cfg.ctrs)
		rate_ctr_inc(rate_ctr_group_get_ctr(e->cfg.ctrs, idx));
}

static void now(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* A submit_sm's PDU is wiped when the write queue frees it: a text may carry a secret (a one-time PIN). */
static int msgb_wipe(struct msgb *msg)
{
	OPENSSL_cleanse(msg->_data, msg->data_len);
	return 0;
}

static int send_pdu(struct smpp_esme *e, uint32_t type, void *pdu)
{
	struct msgb *msg = msgb_alloc(SMPP_PDU_MAX, "smpp");
	int len = 0;

	if (!msg)
		return -ENOMEM;
	if (type == SUBMIT_SM)
		talloc_set_destructor(msg, msgb_wipe);
	if (smpp34_pack(type, msg->data, SMPP_PDU_MAX, &len, pdu)) {
		LOGP(DSMPP, LOGL_ERROR, "%s: cannot encode PDU 0x%08x: %s\n", e->cfg.name, type, smpp34_strerror);
		msgb_free(msg);
		return -EINVAL;
	}
	msgb_put(msg, (unsigned)len);
	if (osmo_wqueue_enqueue(&e->wq, msg)) {
		msgb_free(msg);
		return -ENOBUFS;
	}
	return 0;
}

static void close_link(struct smpp_esme *e)
{
	if (e->wq.bfd.fd >= 0) {
		osmo_fd_unregister(&e->wq.bfd);
		close(e->wq.bfd.fd);
		e->wq.bfd.fd = -1;
	}
	osmo_wqueue_clear(&e->wq);
	e->rlen = 0;
	e->enquire_seq = 0;
	osmo_timer_del(&e->enquire_timer);
	osmo_timer_del(&e->pump_timer);
	osmo_timer_del(&e->resp_timer);
	/* submits in flight go back to the front of the queue, in order; so do forward submits whose answer was due
	 * (their answer cannot come any more; sent again, the same packet and counter: a SIM that has it already
	 * refuses it as a replay) */
	llist_splice_init(&e->in_flight, &e->queue);
	e->n_queue += e->n_in_flight;
	e->n_in_flight = 0;
	while (!llist_empty(&e->answer_due)) {
		struct submit *s = llist_first_entry(&e->answer_due, struct submit, list);

		llist_del(&s->list);
		llist_add(&s->list, &e->queue);
		e->n_queue++;
	}
}

/* ---- sending submits ---------------------------------------------------------------------------------------- */

/* A relative validity period (SMPP v3.4 section 7.1.1): "YYMMDDhhmmsstnnR", here in days, hours, minutes, seconds. */
static void validity_encode(uint32_t seconds, char *out, size_t max)
{
	uint32_t d = seconds / 86400;

	if (d > 99)
		d = 99;
	snprintf(out, max, "0000%02u%02u%02u%02u000R", d, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
}

static void pump(struct smpp_esme *e)
{
	struct timespec t;
	struct submit *s, *tmp;
	bool waiting = false;
	int rc;

	if (e->fi->state != ST_BOUND)
		return;
	now(&t);
	llist_for_each_entry_safe(s, tmp, &e->queue, list)
	{
		submit_sm_t sm = { 0 };

		if (e->n_in_flight >= e->cfg.window)
			break;
		if (e->wq.current_length + WQ_RESERVE >= e->wq.max_length) {
			/* the rest of the write queue is kept for answers (deliver_sm_resp, enquire_link_resp): a PoR the
			 * SMSC sends while our submits wait to be written must still be acknowledged */
			waiting = true;
			break;
		}
		if (e->cfg.rate) {
			if (t.tv_sec != e->rate_sec) {
				e->rate_sec = t.tv_sec;
				e->rate_sent = 0;
			}
			if (e->rate_sent >= e->cfg.rate) {
				waiting = true;
				break;
			}
		}
		if (before(&t, &s->not_before)) {
			waiting = true;
			continue;
		}
		sm.command_id = SUBMIT_SM;
		sm.sequence_number = s->seq = e->seq = e->seq % 0x7fffffff + 1;
		sm.source_addr_ton = 0;
		sm.source_addr_npi = 1;
		snprintf((char *)sm.source_addr, sizeof(sm.source_addr), "%s", e->cfg.source);
		sm.dest_addr_ton = 1;
		sm.dest_addr_npi = 1;
		snprintf((char *)sm.destination_addr, sizeof(sm.destination_addr), "%s", s->dest);
		sm.esm_class = s->forward ? 0x42 : 0x40; /* UDHI; message mode forward (2) or the SMSC's default */
		sm.protocol_id = 0x7f;
		sm.data_coding = 0xf6;
		if (s->text) { /* a text for the handset: plain PID, the text's DCS, UDHI only with a UDH */
			sm.esm_class = s->udhi ? 0x40 : 0x00;
			sm.protocol_id = 0x00;
			sm.data_coding = s->dcs;
		}
		if (s->validity_s && !s->forward)
			validity_encode(s->validity_s, (char *)sm.validity_period, sizeof(sm.validity_period));
		sm.sm_length = s->len;
		memcpy(sm.short_message, s->ud, s->len);
		rc = send_pdu(e, SUBMIT_SM, &sm);
		OPENSSL_cleanse(sm.short_message, sizeof(sm.short_message)); /* a text may carry a secret */
		if (rc)
			break;
		s->tries++;
		s->sent = t;
		e->rate_sent++;
		llist_del(&s->list);
		llist_add_tail(&s->list, &e->in_flight);
		if (!osmo_timer_pending(&e->resp_timer))
			osmo_timer_schedule(&e->resp_timer, e->cfg.resp_timeout_s, 0);
		e->n_queue--;
		e->n_in_flight++;
		ctr_inc(e, OTAD_CTR_SUBMITTED);
	}
	if (waiting)
		osmo_timer_schedule(&e->pump_timer, 0, 100000);
}

static void pump_cb(void *data)
{
	pump(data);
}

int smpp_esme_submit(struct smpp_esme *e, const char *dest, const uint8_t *ud, size_t len, uint32_t validity_s,
		     bool forward, void *priv)
{
	struct submit *s;

	if (len > sizeof(s->ud) || strlen(dest) > 20)
		return -E2BIG;
	s = talloc_zero(e, struct submit);
	if (!s)
		return -ENOMEM;
	snprintf(s->dest, sizeof(s->dest), "%s", dest);
	memcpy(s->ud, ud, len);
	s->len = (uint8_t)len;
	s->validity_s = validity_s;
	s->forward = forward;
	s->priv = priv;
	llist_add_tail(&s->list, &e->queue);
	e->n_queue++;
	pump(e);
	return 0;
}

/* Every submit is wiped when freed: a text may carry a secret (a one-time PIN). */
static int submit_wipe(struct submit *s)
{
	OPENSSL_cleanse(s->ud, sizeof(s->ud));
	return 0;
}

int smpp_esme_submit_text(struct smpp_esme *e, const char *dest, uint8_t dcs, bool udhi, const uint8_t *ud, size_t len,
			  uint32_t validity_s, smpp_esme_text_done_cb done, void *priv)
{
	struct submit *s;

	if (len > sizeof(s->ud) || strlen(dest) > 20)
		return -E2BIG;
	s = talloc_zero(e, struct submit);
	if (!s)
		return -ENOMEM;
	talloc_set_destructor(s, submit_wipe);
	snprintf(s->dest, sizeof(s->dest), "%s", dest);
	memcpy(s->ud, ud, len);
	s->len = (uint8_t)len;
	s->validity_s = validity_s;
	s->text = true;
	s->dcs = dcs;
	s->udhi = udhi;
	s->text_done = done;
	s->priv = priv;
	llist_add_tail(&s->list, &e->queue);
	e->n_queue++;
	pump(e);
	return 0;
}

void smpp_esme_cancel(struct smpp_esme *e, void *priv)
{
	struct submit *s, *tmp;

	if (!e)
		return;
	llist_for_each_entry_safe(s, tmp, &e->queue, list)
	{
		if (s->priv == priv) {
			llist_del(&s->list);
			e->n_queue--;
			talloc_free(s);
		}
	}
	llist_for_each_entry(s, &e->in_flight, list)
	{
		if (s->priv == priv)
			s->priv = NULL; /* its answer is dropped when it comes */
	}
	llist_for_each_entry_safe(s, tmp, &e->answer_due, list)
	{
		if (s->priv == priv) { /* out of the window already: an answer that still comes is for no submit */
			llist_del(&s->list);
			talloc_free(s);
		}
	}
}

bool smpp_esme_untouched(const struct smpp_esme *e, const void *priv)
{
	const struct submit *s;

	if (!e)
		return true;
	llist_for_each_entry(s, &e->in_flight, list) if (s->priv == priv) return false;
	llist_for_each_entry(s, &e->queue, list) if (s->priv == priv && s->tries) return false;
	return true;
}

static bool temporary(uint32_t status)
{
	switch (status) {
	case ESME_RTHROTTLED:
	case ESME_RMSGQFUL:
	case ESME_RSYSERR:
	case 0x00000064: /* ESME_RX_T_APPN: temporary application error */
		return true;
	default:
		return false;
	}
}

/* A submit that met a temporary error (or got no answer in time) goes back to the queue after a back-off. */
static void requeue(struct smpp_esme *e, struct submit *s, const char *why)
{
	unsigned backoff = s->tries < 6 ? 1u << s->tries : RETRY_MAX_S;

	if (backoff > RETRY_MAX_S)
		backoff = RETRY_MAX_S;
	LOGP(DSMPP, LOGL_INFO, "%s: submit to %s: %s, again in %u s\n", e->cfg.name, s->dest, why, backoff);
	ctr_inc(e, OTAD_CTR_RETRIES);
	now(&s->not_before);
	s->not_before.tv_sec += backoff;
	llist_add_tail(&s->list, &e->queue);
	e->n_queue++;
	osmo_timer_schedule(&e->pump_timer, backoff, 0);
}

/* Submits in flight longer than resp_timeout_s free their window slot: a temporary error. Their answer, should it
 * still come, is ignored (a submit sent twice carries the same counter: the SIM refuses the second as a replay).
 * A forward submit is not sent again: the SMSC answers it only after paging and delivering, and the phone may have
 * it; it leaves the window and its answer is still awaited (answer_due), until its job gives up on it
 * (smpp_esme_cancel(), at the job's deadline). */
static void resp_timer_cb(void *data)
{
	struct smpp_esme *e = data;
	struct submit *s, *tmp;
	struct timespec t, oldest = { 0, 0 };

	now(&t);
	llist_for_each_entry_safe(s, tmp, &e->in_flight, list)
	{
		if (t.tv_sec - s->sent.tv_sec < (time_t)e->cfg.resp_timeout_s) {
			if (!oldest.tv_sec || before(&s->sent, &oldest))
				oldest = s->sent;
			continue;
		}
		llist_del(&s->list);
		e->n_in_flight--;
		if (!s->priv) {
			ctr_inc(e, OTAD_CTR_SMPP_RESP_TIMEOUTS);
			talloc_free(s);
			continue;
		}
		if (s->forward) {
			llist_add_tail(&s->list, &e->answer_due);
			LOGP(DSMPP, LOGL_NOTICE,
			     "%s: forward submit_sm %u to %s: no answer in %u s (the SMSC may be paging): its window "
			     "slot is "
			     "free, its answer still awaited\n",
			     e->cfg.name, s->seq, s->dest, e->cfg.resp_timeout_s);
			continue;
		}
		ctr_inc(e, OTAD_CTR_SMPP_RESP_TIMEOUTS);
		requeue(e, s, "no submit_sm_resp in time");
		LOGP(DSMPP, LOGL_NOTICE, "%s: no answer to submit_sm %u to %s in %u s: its window slot is free again\n",
		     e->cfg.name, s->seq, s->dest, e->cfg.resp_timeout_s);
	}
	if (oldest.tv_sec)
		osmo_timer_schedule(&e->resp_timer, (unsigned)(oldest.tv_sec + e->cfg.resp_timeout_s - t.tv_sec), 0);
	pump(e);
}

static void rx_submit_resp(struct smpp_esme *e, const uint8_t *pdu, const struct smpp_hdr *h)
{
	char id[66] = "";
	struct submit *s, *found = NULL;

	bool due = false;

	llist_for_each_entry(s, &e->in_flight, list)
	{
		if (s->seq == h->seq) {
			found = s;
			break;
		}
	}
	if (!found) {
		llist_for_each_entry(s, &e->answer_due, list)
		{
			if (s->seq == h->seq) {
				found = s;
				due = true;
				break;
			}
		}
	}
	if (!found) {
		LOGP(DSMPP, LOGL_NOTICE, "%s: submit_sm_resp for unknown sequence %u ignored\n", e->cfg.name, h->seq);
		return;
	}
	llist_del(&found->list);
	if (!due)
		e->n_in_flight--;
	if (h->status && temporary(h->status) && found->priv) {
		char why[40];

		snprintf(why, sizeof(why), "temporary error 0x%08x", h->status);
		requeue(e, found, why);
		return;
	}
	if (!h->status)
		smpp_submit_resp_id(pdu, h->len, id, sizeof(id));
	if (found->priv && found->text)
		found->text_done(found->priv, h->status, h->status ? NULL : id);
	else if (found->priv)
		e->ops->submit_done(found->priv, h->status, h->status ? NULL : id);
	talloc_free(found);
	pump(e);
}

/* ---- receiving ---------------------------------------------------------------------------------------------- */

static void rx_deliver(struct smpp_esme *e, const uint8_t *pdu, const struct smpp_hdr *h)
{
	deliver_sm_resp_t r = { .command_id = DELIVER_SM_RESP, .sequence_number = h->seq };
	struct smpp_deliver d;

	if (smpp_deliver_parse(pdu, h->len, &d)) {
		LOGP(DSMPP, LOGL_ERROR, "%s: malformed deliver_sm (%u bytes) refused\n", e->cfg.name, h->len);
		ctr_inc(e, OTAD_CTR_DELIVER_BAD);
		r.command_status = ESME_RINVMSGLEN;
		send_pdu(e, DELIVER_SM_RESP, &r);
		return;
	}
	send_pdu(e, DELIVER_SM_RESP, &r);
	e->ops->deliver(e->data, d.source, d.dest, d.esm_class, d.pid, d.dcs, d.sm, d.sm_len);
}

static void rx_pdu(struct smpp_esme *e, const uint8_t *pdu, const struct smpp_hdr *h)
{
	switch (h->id) {
	case BIND_TRANSCEIVER_RESP:
		osmo_fsm_inst_dispatch(e->fi, h->status ? EV_BIND_FAIL : EV_BIND_OK, (void *)(uintptr_t)h->status);
		break;
	case SUBMIT_SM_RESP:
		rx_submit_resp(e, pdu, h);
		break;
	case DELIVER_SM:
		rx_deliver(e, pdu, h);
		break;
	case ENQUIRE_LINK: {
		enquire_link_resp_t r = { .command_id = ENQUIRE_LINK_RESP, .sequence_number = h->seq };

		send_pdu(e, ENQUIRE_LINK_RESP, &r);
		break;
	}
	case ENQUIRE_LINK_RESP:
		if (h->seq == e->enquire_seq)
			e->enquire_seq = 0;
		break;
	case UNBIND: {
		unbind_resp_t r = { .command_id = UNBIND_RESP, .sequence_number = h->seq };

		LOGP(DSMPP, LOGL_NOTICE, "%s: the SMSC unbinds\n", e->cfg.name);
		send_pdu(e, UNBIND_RESP, &r);
		osmo_fsm_inst_dispatch(e->fi, EV_CLOSED, NULL);
		break;
	}
	case GENERIC_NACK: {
		struct smpp_hdr as_resp = *h;

		LOGP(DSMPP, LOGL_ERROR, "%s: generic_nack 0x%08x for sequence %u\n", e->cfg.name, h->status, h->seq);
		as_resp.status = h->status ? h->status : ESME_RSYSERR;
		rx_submit_resp(e, pdu, &as_resp);
		break;
	}
	default: {
		generic_nack_t n = { .command_id = GENERIC_NACK,
				     .command_status = ESME_RINVCMDID,
				     .sequence_number = h->seq };

		LOGP(DSMPP, LOGL_NOTICE, "%s: PDU 0x%08x not handled: generic_nack\n", e->cfg.name, h->id);
		if (!(h->id & 0x80000000))
			send_pdu(e, GENERIC_NACK, &n);
	}
	}
}

static int read_cb(struct osmo_fd *fd)
{
	struct smpp_esme *e = fd->data;
	struct smpp_hdr h;
	ssize_t n;
	size_t off = 0;
	int len;

	n = read(fd->fd, e->rbuf + e->rlen, sizeof(e->rbuf) - e->rlen);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		LOGP(DSMPP, LOGL_NOTICE, "%s: the SMSC closed the connection\n", e->cfg.name);
		osmo_fsm_inst_dispatch(e->fi, EV_CLOSED, NULL);
		return -EBADF;
	}
	e->rlen += (size_t)n;
	while ((len = smpp_frame_next(e->rbuf + off, e->rlen - off, &h)) > 0) {
		rx_pdu(e, e->rbuf + off, &h);
		if (e->wq.bfd.fd < 0) /* the PDU closed the link */
			return -EBADF;
		off += (size_t)len;
	}
	if (len < 0) {
		LOGP(DSMPP, LOGL_ERROR, "%s: a PDU length outside %d..%d: dropping the connection\n", e->cfg.name,
		     SMPP_PDU_MIN, SMPP_PDU_MAX);
		osmo_fsm_inst_dispatch(e->fi, EV_CLOSED, NULL);
		return -EBADF;
	}
	memmove(e->rbuf, e->rbuf + off, e->rlen - off);
	e->rlen -= off;
	return 0;
}

static int write_cb(struct osmo_fd *fd, struct msgb *msg)
{
	struct smpp_esme *e = fd->data;
	ssize_t n = write(fd->fd, msg->data, msg->len);

	if (n == (ssize_t)msg->len)
		return 0;
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	LOGP(DSMPP, LOGL_NOTICE, "%s: write to the SMSC failed: %s\n", e->cfg.name, n < 0 ? strerror(errno) : "short");
	osmo_fsm_inst_dispatch(e->fi, EV_CLOSED, NULL);
	return -EBADF;
}

/* The non-blocking connect finished (the socket became writable). */
static int connect_cb(struct osmo_fd *fd, unsigned int what)
{
	struct smpp_esme *e = fd->data;
	int err = 0;
	socklen_t len = sizeof(err);

	if (e->fi->state != ST_CONNECTING)
		return osmo_wqueue_bfd_cb(fd, what);
	getsockopt(fd->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		LOGP(DSMPP, LOGL_NOTICE, "%s: cannot connect to %s:%u: %s\n", e->cfg.name, e->cfg.host, e->cfg.port,
		     strerror(err));
		osmo_fsm_inst_dispatch(e->fi, EV_CLOSED, NULL);
		return 0;
	}
	fd->cb = osmo_wqueue_bfd_cb;
	osmo_fd_write_disable(fd);
	osmo_fsm_inst_dispatch(e->fi, EV_CONNECTED, NULL);
	return 0;
}

/* ---- the state machine -------------------------------------------------------------------------------------- */

static void st_disconnected_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct smpp_esme *e = fi->priv;

	close_link(e);
	if (prev == ST_BOUND && e->ops->link)
		e->ops->link(e->data, false);
}

/* Drop the link; connect again after the back-off: 1, 2, 4 ... RECONNECT_MAX_S seconds. */
static void go_disconnected(struct smpp_esme *e)
{
	e->reconnect_s = e->reconnect_s ? e->reconnect_s * 2 : 1;
	if (e->reconnect_s > RECONNECT_MAX_S)
		e->reconnect_s = RECONNECT_MAX_S;
	osmo_fsm_inst_state_chg(e->fi, ST_DISCONNECTED, e->reconnect_s, T_RECONNECT);
}

static void do_connect(struct smpp_esme *e)
{
	int one = 1, fd;

	fd = osmo_sock_init2(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, e->cfg.host, e->cfg.port,
			     OSMO_SOCK_F_CONNECT | OSMO_SOCK_F_NONBLOCK);
	if (fd < 0) {
		LOGP(DSMPP, LOGL_NOTICE, "%s: cannot connect to %s:%u\n", e->cfg.name, e->cfg.host, e->cfg.port);
		go_disconnected(e);
		return;
	}
	if (e->attempts++)
		ctr_inc(e, OTAD_CTR_SMPP_RECONNECTS);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	osmo_wqueue_init(&e->wq, WQ_MAX);
	e->wq.bfd.fd = fd;
	e->wq.bfd.data = e;
	e->wq.bfd.when = OSMO_FD_READ | OSMO_FD_WRITE;
	e->wq.bfd.cb = connect_cb;
	e->wq.read_cb = read_cb;
	e->wq.write_cb = write_cb;
	osmo_fd_register(&e->wq.bfd);
	osmo_fsm_inst_state_chg(e->fi, ST_CONNECTING, BIND_GUARD_S, T_CONNECT);
}

static void st_disconnected(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	if (event == EV_CONNECT)
		do_connect(fi->priv);
}

static void st_connecting(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct smpp_esme *e = fi->priv;
	bind_transceiver_t b = { 0 };

	switch (event) {
	case EV_CONNECTED:
		b.command_id = BIND_TRANSCEIVER;
		b.sequence_number = e->seq = e->seq % 0x7fffffff + 1;
		snprintf((char *)b.system_id, sizeof(b.system_id), "%s", e->cfg.system_id);
		snprintf((char *)b.password, sizeof(b.password), "%s", e->cfg.password);
		b.interface_version = 0x34;
		osmo_fsm_inst_state_chg(fi, ST_BINDING, BIND_GUARD_S, T_BIND);
		send_pdu(e, BIND_TRANSCEIVER, &b);
		break;
	case EV_CLOSED:
		go_disconnected(e);
		break;
	}
}

static void enquire_cb(void *data)
{
	struct smpp_esme *e = data;
	enquire_link_t q = { .command_id = ENQUIRE_LINK };

	if (e->enquire_seq) {
		LOGP(DSMPP, LOGL_NOTICE, "%s: no answer to enquire_link in %d s: the link is dead\n", e->cfg.name,
		     ENQUIRE_GUARD_S);
		osmo_fsm_inst_dispatch(e->fi, EV_CLOSED, NULL);
		return;
	}
	q.sequence_number = e->enquire_seq = e->seq = e->seq % 0x7fffffff + 1;
	send_pdu(e, ENQUIRE_LINK, &q);
	osmo_timer_schedule(&e->enquire_timer, ENQUIRE_GUARD_S, 0);
}

static void st_binding(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct smpp_esme *e = fi->priv;

	switch (event) {
	case EV_BIND_OK:
		LOGP(DSMPP, LOGL_NOTICE, "%s: bound to %s:%u as %s\n", e->cfg.name, e->cfg.host, e->cfg.port,
		     e->cfg.system_id);
		e->reconnect_s = 0;
		osmo_fsm_inst_state_chg(fi, ST_BOUND, 0, 0);
		osmo_timer_schedule(&e->enquire_timer, ENQUIRE_EVERY_S, 0);
		if (e->ops->link)
			e->ops->link(e->data, true);
		pump(e);
		break;
	case EV_BIND_FAIL:
		LOGP(DSMPP, LOGL_ERROR, "%s: the SMSC refused the bind as %s: status 0x%08x\n", e->cfg.name,
		     e->cfg.system_id, (uint32_t)(uintptr_t)data);
		go_disconnected(e);
		break;
	case EV_CLOSED:
		go_disconnected(e);
		break;
	}
}

static void st_bound(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct smpp_esme *e = fi->priv;

	if (event == EV_CLOSED)
		go_disconnected(e);
}

static int timer_cb(struct osmo_fsm_inst *fi)
{
	struct smpp_esme *e = fi->priv;

	switch (fi->T) {
	case T_RECONNECT:
		do_connect(e);
		break;
	case T_CONNECT:
	case T_BIND:
		LOGP(DSMPP, LOGL_NOTICE, "%s: no %s in %d s\n", e->cfg.name,
		     fi->T == T_CONNECT ? "connection" : "bind answer", BIND_GUARD_S);
		go_disconnected(e);
		break;
	}
	return 0;
}

#define S(x) (1 << (x))
static const struct osmo_fsm_state esme_states[] = {
	[ST_DISCONNECTED] = { .name = "DISCONNECTED",
			      .in_event_mask = S(EV_CONNECT) | S(EV_CLOSED),
			      .out_state_mask = S(ST_CONNECTING) | S(ST_DISCONNECTED),
			      .onenter = st_disconnected_onenter,
			      .action = st_disconnected },
	[ST_CONNECTING] = { .name = "CONNECTING",
			    .in_event_mask = S(EV_CONNECTED) | S(EV_CLOSED),
			    .out_state_mask = S(ST_BINDING) | S(ST_DISCONNECTED),
			    .action = st_connecting },
	[ST_BINDING] = { .name = "BINDING",
			 .in_event_mask = S(EV_BIND_OK) | S(EV_BIND_FAIL) | S(EV_CLOSED),
			 .out_state_mask = S(ST_BOUND) | S(ST_DISCONNECTED),
			 .action = st_binding },
	[ST_BOUND] = { .name = "BOUND",
		       .in_event_mask = S(EV_CLOSED),
		       .out_state_mask = S(ST_DISCONNECTED),
		       .action = st_bound },
};

static const struct value_string esme_event_names[] = {
	{ EV_CONNECT, "CONNECT" },     { EV_CONNECTED, "CONNECTED" }, { EV_BIND_OK, "BIND_OK" },
	{ EV_BIND_FAIL, "BIND_FAIL" }, { EV_CLOSED, "CLOSED" },	      { 0, NULL },
};

static struct osmo_fsm esme_fsm = {
	.name = "smpp-esme",
	.states = esme_states,
	.num_states = ARRAY_SIZE(esme_states),
	.event_names = esme_event_names,
	.timer_cb = timer_cb,
	.log_subsys = DSMPP,
};

static __attribute__((constructor)) void register_fsm(void)
{
	OSMO_ASSERT(osmo_fsm_register(&esme_fsm) == 0);
}

static int esme_destructor(struct smpp_esme *e)
{
	close_link(e);
	return 0;
}

struct smpp_esme *smpp_esme_alloc(void *ctx, const struct smpp_esme_cfg *cfg, const struct smpp_esme_ops *ops,
				  void *data)
{
	struct smpp_esme *e = talloc_zero(ctx, struct smpp_esme);

	if (!e)
		return NULL;
	e->cfg = *cfg;
	e->cfg.name = talloc_strdup(e, cfg->name);
	e->cfg.host = talloc_strdup(e, cfg->host);
	e->cfg.system_id = talloc_strdup(e, cfg->system_id);
	e->cfg.password = talloc_strdup(e, cfg->password);
	e->cfg.source = talloc_strdup(e, cfg->source ? cfg->source : "4242");
	if (!e->cfg.window)
		e->cfg.window = 10;
	e->ops = ops;
	e->data = data;
	e->wq.bfd.fd = -1;
	INIT_LLIST_HEAD(&e->queue);
	INIT_LLIST_HEAD(&e->in_flight);
	INIT_LLIST_HEAD(&e->answer_due);
	INIT_LLIST_HEAD(&e->wq.msg_queue);
	osmo_timer_setup(&e->pump_timer, pump_cb, e);
	osmo_timer_setup(&e->enquire_timer, enquire_cb, e);
	osmo_timer_setup(&e->resp_timer, resp_timer_cb, e);
	e->fi = osmo_fsm_inst_alloc(&esme_fsm, e, e, LOGL_DEBUG, NULL);
	if (!e->fi) {
		talloc_free(e);
		return NULL;
	}
	osmo_fsm_inst_update_id(e->fi, e->cfg.name);
	talloc_set_destructor(e, esme_destructor);
	return e;
}

void smpp_esme_start(struct smpp_esme *e)
{
	osmo_fsm_inst_dispatch(e->fi, EV_CONNECT, NULL);
}

bool smpp_esme_bound(const struct smpp_esme *e)
{
	return e->fi->state == ST_BOUND;
}

unsigned smpp_esme_free_window(const struct smpp_esme *e)
{
	unsigned busy = e->n_in_flight + e->n_queue;

	return busy < e->cfg.window ? e->cfg.window - busy : 0;
}

void smpp_esme_stats(const struct smpp_esme *e, unsigned *queued, unsigned *in_flight)
{
	*queued = e->n_queue;
	*in_flight = e->n_in_flight;
}

const char *smpp_esme_state_name(const struct smpp_esme *e)
{
	return osmo_fsm_inst_state_name(e->fi);
}
