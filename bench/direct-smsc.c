/* direct-smsc: the baseline of bench/campaign.sh. A small SMPP v3.4 SMSC (the server side) in front of the SIMs of a
 * directory, without any network: simpki-otad binds to it as to osmo-msc, and each submit_sm is answered
 * (submit_sm_resp, status 0) and then handed at once to the SIM whose MSISDN it names, as a handset does
 * (phone_sim.h: an SMS-DELIVER with TP-PID 7F in an ENVELOPE SMS-PP download, FETCH of each SEND SHORT MESSAGE,
 * TERMINAL RESPONSE). Concatenated packets go part by part (the SIM joins them); every SMS-SUBMIT the SIM sends
 * (a PoR, perhaps in several parts) goes back to the bind it came from as a deliver_sm the way osmo-msc with a
 * 'dcs-transparent' ESME sends an MO SMS: source the SIM's MSISDN, destination its TP-DA, esm_class 0x40 when the
 * SMS-SUBMIT has a user data header, protocol_id its TP-PID, data_coding its TP-DCS, short_message its TP-UD.
 * Everything runs in one thread, one SMS after the other.
 *
 * Cards: every subdirectory of DIR holding a card.img (as 'cards N' of tests/network/phones-lib.sh makes them),
 * each reached by the MSISDN in its image. With --ready-file, the file is made once the port listens and every
 * card is open. On SIGTERM or SIGINT it prints "name: value" lines (submits, SMS to the SIMs refused, SMS from the
 * SIMs, submits to an unknown MSISDN) and exits 0.
 * Usage: direct-smsc --cards DIR [--port 2775] [--system-id simpki] [--password simpki] [--ready-file FILE] */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include <simpki/sms.h>

#include "phone_sim.h"
#include "smpp_frame.h"

#define MAX_CARDS 100000
#define MAX_CLIENTS 8

struct card {
	char msisdn[21]; /* as a submit_sm's destination_addr may be */
	struct phone_sim *sim;
};

struct client {
	int fd;
	bool bound;
	uint8_t rbuf[2 * SMPP_PDU_MAX];
	size_t rlen;
};

static struct card **cards; /* sorted by MSISDN */
static unsigned n_cards;
static struct client clients[MAX_CLIENTS];
static uint32_t out_seq, message_id;
static volatile sig_atomic_t stop;
static const char *system_id = "simpki", *password = "simpki";
static unsigned long n_submits, n_refused, n_mo, n_unknown;

/* The bind the SMS-SUBMITs of the SIM being given an SMS go to. */
static struct client *current_client;

static void on_signal(int sig)
{
	stop = 1;
}

/* Write a whole PDU (the socket blocks; simpki-otad reads from its own select loop, so it never waits on us). */
static int write_all(struct client *c, const uint8_t *b, size_t len)
{
	while (len) {
		ssize_t n = write(c->fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_pdu(struct client *c, uint32_t type, void *pdu)
{
	uint8_t buf[SMPP_PDU_MAX];
	int len = 0;

	if (c->fd < 0)
		return -1;
	if (smpp34_pack(type, buf, sizeof(buf), &len, pdu)) {
		fprintf(stderr, "direct-smsc: cannot encode PDU 0x%08x: %s\n", type, smpp34_strerror);
		return -1;
	}
	return write_all(c, buf, (size_t)len);
}

static void drop_client(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->bound = false;
	c->rlen = 0;
}

static int cmp_card(const void *a, const void *b)
{
	return strcmp((*(struct card *const *)a)->msisdn, (*(struct card *const *)b)->msisdn);
}

static struct card *find_card(const char *msisdn)
{
	struct card key, *k = &key, **found;

	snprintf(key.msisdn, sizeof(key.msisdn), "%s", msisdn);
	found = bsearch(&k, cards, n_cards, sizeof(*cards), cmp_card);
	return found ? *found : NULL;
}

/* The SIM sends an SMS (a PoR, or a part of one): to the bind as osmo-msc delivers an MO SMS, and the SIM is told
 * it went out. */
static void sim_send_sms(void *priv, const uint8_t *tpdu, size_t len)
{
	struct card *card = priv;
	struct sms_tpdu t;
	deliver_sm_t d = { 0 };

	if (sms_tpdu_decode(tpdu, len, &t) || !t.submit || t.udl > sizeof(d.short_message)) {
		fprintf(stderr, "direct-smsc: the SIM of %s sent an SMS that is no 8-bit SMS-SUBMIT\n", card->msisdn);
		phone_sim_sms_sent(card->sim, PHONE_SIM_NETWORK_UNABLE);
		return;
	}
	n_mo++;
	d.command_id = DELIVER_SM;
	d.sequence_number = out_seq = out_seq % 0x7fffffff + 1;
	d.source_addr_ton = 1;
	d.source_addr_npi = 1;
	snprintf((char *)d.source_addr, sizeof(d.source_addr), "%s", card->msisdn);
	d.dest_addr_ton = (t.addr.ton_npi >> 4) & 7;
	d.dest_addr_npi = t.addr.ton_npi & 0x0f;
	snprintf((char *)d.destination_addr, sizeof(d.destination_addr), "%s", t.addr.digits);
	d.esm_class = t.udhi ? 0x40 : 0x00;
	d.protocol_id = t.pid;
	d.data_coding = t.dcs;
	d.sm_length = (uint8_t)t.udl;
	memcpy(d.short_message, t.ud, t.udl);
	if (!current_client || send_pdu(current_client, DELIVER_SM, &d)) {
		phone_sim_sms_sent(card->sim, PHONE_SIM_NETWORK_UNABLE);
		return;
	}
	phone_sim_sms_sent(card->sim, PHONE_SIM_OK);
}

static const struct phone_sim_ops sim_ops = { .send_sms = sim_send_sms };

/* A submit_sm: answered, then its SMS-DELIVER given to the SIM. */
static void rx_submit(struct client *c, const uint8_t *pdu, const struct smpp_hdr *h)
{
	static const uint8_t smsc_bcd[] = { 0x91, 0x21, 0x43, 0xf5 };
	static const uint8_t scts[7] = { 0x52, 0x60, 0x10, 0x21, 0x43, 0x65, 0x00 };
	submit_sm_resp_t r = { .command_id = SUBMIT_SM_RESP, .sequence_number = h->seq };
	struct smpp_deliver s; /* a submit_sm's fields lie where a deliver_sm's do (SMPP v3.4 §4.4.1, §4.6.1) */
	struct sms_tpdu t = { 0 };
	struct phone_sim_rp rp;
	uint8_t tpdu[SMS_MAX_TPDU];
	struct card *card;
	int len;

	n_submits++;
	if (smpp_deliver_parse(pdu, h->len, &s) || s.sm_len > SMS_MAX_UD) {
		r.command_status = ESME_RINVMSGLEN;
		send_pdu(c, SUBMIT_SM_RESP, &r);
		return;
	}
	card = find_card(s.dest);
	if (!card) {
		n_unknown++;
		r.command_status = ESME_RINVDSTADR;
		send_pdu(c, SUBMIT_SM_RESP, &r);
		return;
	}
	snprintf((char *)r.message_id, sizeof(r.message_id), "%u", ++message_id);
	if (send_pdu(c, SUBMIT_SM_RESP, &r))
		return;

	t.udhi = s.esm_class & 0x40;
	snprintf(t.addr.digits, sizeof(t.addr.digits), "%s", s.source);
	t.addr.ton_npi = 0x81;
	t.pid = s.pid;
	t.dcs = s.dcs;
	memcpy(t.scts, scts, sizeof(scts));
	t.ud = s.sm;
	t.udl = s.sm_len;
	len = sms_tpdu_encode(&t, tpdu, sizeof(tpdu));
	current_client = c;
	if (len < 0 || phone_sim_sms_pp(card->sim, smsc_bcd, sizeof(smsc_bcd), tpdu, (size_t)len, &rp) || !rp.ack) {
		n_refused++;
		fprintf(stderr, "direct-smsc: the SIM of %s refused an SMS (RP cause %u, TP-FCS 0x%02x)\n",
			card->msisdn, rp.cause, rp.fcs);
	}
	current_client = NULL;
}

static void rx_pdu(struct client *c, const uint8_t *pdu, const struct smpp_hdr *h)
{
	switch (h->id) {
	case BIND_TRANSCEIVER: {
		bind_transceiver_resp_t r = { .command_id = BIND_TRANSCEIVER_RESP, .sequence_number = h->seq };
		size_t off = 16;
		char id[16] = "", pw[9] = "";

		if (smpp_cstr(pdu, h->len, &off, 16, id) || smpp_cstr(pdu, h->len, &off, 9, pw) ||
		    strcmp(id, system_id) || strcmp(pw, password))
			r.command_status = ESME_RBINDFAIL;
		else
			c->bound = true;
		snprintf((char *)r.system_id, sizeof(r.system_id), "direct");
		send_pdu(c, BIND_TRANSCEIVER_RESP, &r);
		break;
	}
	case SUBMIT_SM:
		if (!c->bound) {
			generic_nack_t n = { .command_id = GENERIC_NACK,
					     .command_status = ESME_RINVBNDSTS,
					     .sequence_number = h->seq };

			send_pdu(c, GENERIC_NACK, &n);
			break;
		}
		rx_submit(c, pdu, h);
		break;
	case ENQUIRE_LINK: {
		enquire_link_resp_t r = { .command_id = ENQUIRE_LINK_RESP, .sequence_number = h->seq };

		send_pdu(c, ENQUIRE_LINK_RESP, &r);
		break;
	}
	case UNBIND: {
		unbind_resp_t r = { .command_id = UNBIND_RESP, .sequence_number = h->seq };

		send_pdu(c, UNBIND_RESP, &r);
		drop_client(c);
		break;
	}
	case DELIVER_SM_RESP:
	case GENERIC_NACK:
		break;
	default: {
		generic_nack_t n = { .command_id = GENERIC_NACK,
				     .command_status = ESME_RINVCMDID,
				     .sequence_number = h->seq };

		if (!(h->id & 0x80000000))
			send_pdu(c, GENERIC_NACK, &n);
	}
	}
}

static void rx(struct client *c)
{
	struct smpp_hdr h;
	size_t off = 0;
	ssize_t n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
	int len;

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		drop_client(c);
		return;
	}
	c->rlen += (size_t)n;
	while (c->fd >= 0 && (len = smpp_frame_next(c->rbuf + off, c->rlen - off, &h)) > 0) {
		rx_pdu(c, c->rbuf + off, &h);
		off += (size_t)len;
	}
	if (c->fd < 0)
		return;
	if (len < 0) {
		fprintf(stderr, "direct-smsc: a PDU length outside %d..%d: dropping the connection\n", SMPP_PDU_MIN,
			SMPP_PDU_MAX);
		drop_client(c);
		return;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

/* Every card under \a parent, opened and sorted by MSISDN. \returns 0; -1 */
static int open_cards(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	struct stat st;
	char path[4096];

	if (!d) {
		fprintf(stderr, "direct-smsc: --cards %s: %s\n", parent, strerror(errno));
		return -1;
	}
	cards = calloc(MAX_CARDS, sizeof(*cards));
	if (!cards) {
		closedir(d);
		return -1;
	}
	while ((e = readdir(d))) {
		struct card_identity id;
		struct card *card;
		int rc;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/card.img", parent, e->d_name);
		if (stat(path, &st))
			continue;
		if (n_cards == MAX_CARDS) {
			fprintf(stderr, "direct-smsc: more than %d cards\n", MAX_CARDS);
			break;
		}
		card = calloc(1, sizeof(*card));
		if (!card)
			break;
		snprintf(path, sizeof(path), "%s/%s", parent, e->d_name);
		rc = phone_sim_open(NULL, path, &sim_ops, card, &card->sim);
		if (rc) {
			fprintf(stderr, "direct-smsc: cannot open the card in %s: %s\n", path, strerror(-rc));
			free(card);
			closedir(d);
			return -1;
		}
		phone_sim_identity(card->sim, &id);
		if (!id.msisdn[0]) {
			fprintf(stderr, "direct-smsc: the card in %s has no MSISDN: left out\n", path);
			phone_sim_close(card->sim);
			free(card);
			continue;
		}
		snprintf(card->msisdn, sizeof(card->msisdn), "%s", id.msisdn);
		cards[n_cards++] = card;
	}
	closedir(d);
	qsort(cards, n_cards, sizeof(*cards), cmp_card);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: direct-smsc --cards DIR [--port N] [--system-id ID] [--password PW] [--ready-file FILE]\n"
		   "An SMPP SMSC that hands each submit_sm straight to the SIM (in DIR/*/card.img) with its MSISDN.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cards", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "system-id", required_argument, NULL, 's' },
		{ "password", required_argument, NULL, 'w' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ready = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sigaction act = { .sa_handler = on_signal };
	int port = 2775, c, lfd, one = 1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			dir = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			system_id = optarg;
			break;
		case 'w':
			password = optarg;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!dir || port <= 0 || port > 65535 || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (open_cards(dir))
		return 1;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = htons((uint16_t)port);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 8)) {
		fprintf(stderr, "direct-smsc: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 1;
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f) {
			fprintf(stderr, "direct-smsc: --ready-file %s: %s\n", ready, strerror(errno));
			return 1;
		}
		fprintf(f, "%u cards\n", n_cards);
		fclose(f);
	}
	while (!stop) {
		struct pollfd p[1 + MAX_CLIENTS];
		struct client *who[1 + MAX_CLIENTS];
		unsigned n = 0;

		p[n].fd = lfd;
		p[n].events = POLLIN;
		who[n++] = NULL;
		for (unsigned i = 0; i < MAX_CLIENTS; i++) {
			if (clients[i].fd < 0)
				continue;
			p[n].fd = clients[i].fd;
			p[n].events = POLLIN;
			who[n++] = &clients[i];
		}
		if (poll(p, n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "direct-smsc: poll: %s\n", strerror(errno));
			return 1;
		}
		for (unsigned i = 1; i < n; i++) {
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
				rx(who[i]);
		}
		if (p[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);
			unsigned i;

			if (fd < 0)
				continue;
			for (i = 0; i < MAX_CLIENTS && clients[i].fd >= 0; i++)
				;
			if (i == MAX_CLIENTS) {
				close(fd);
				continue;
			}
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			clients[i].fd = fd;
		}
	}
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		drop_client(&clients[i]);
	close(lfd);
	for (unsigned i = 0; i < n_cards; i++) {
		phone_sim_close(cards[i]->sim);
		free(cards[i]);
	}
	free(cards);
	printf("direct_submits: %lu\ndirect_refused: %lu\ndirect_mo_sms: %lu\ndirect_unknown_msisdn: %lu\n", n_submits,
	       n_refused, n_mo, n_unknown);
	return 0;
}
