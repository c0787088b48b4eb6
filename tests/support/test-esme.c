/* test-esme: a small SMPP v3.4 ESME (libsmpp34) for tests and benchmarks of the simulated network: binds as a
 * transceiver to an SMSC (osmo-msc's), submits the SMS user data given one per input line, "MSISDN HEX" (TP-PID 7F,
 * data coding F6, esm_class 40: user data header present, as secured packets are sent), answers every deliver_sm
 * and enquire_link, and prints what arrives, one line each:
 *
 *   submit_sm_resp SEQ STATUS MESSAGE_ID
 *   deliver_sm SOURCE DEST ESM_CLASS PID DCS HEX          (hex fields without 0x)
 *
 * It stops when every submit_sm is answered and --expect deliver_sm have arrived (exit 0), at --timeout (exit 1),
 * or on a bind failure or a refused submit (exit 1). Usage errors exit 2. The time from the first submit to the
 * last expected deliver_sm goes to standard error. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#define MAX_PDU 2048

static int fd = -1;
static uint32_t seq;
static uint8_t rbuf[1 << 16];
static size_t rlen;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int send_pdu(uint32_t type, void *pdu)
{
	uint8_t buf[MAX_PDU];
	int len = 0;

	if (smpp34_pack(type, buf, sizeof(buf), &len, pdu)) {
		fprintf(stderr, "test-esme: cannot encode PDU 0x%08x: %s\n", type, smpp34_strerror);
		return -1;
	}
	if (write(fd, buf, (size_t)len) != len) {
		fprintf(stderr, "test-esme: send: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* The next whole PDU in rbuf, waiting until \a deadline. \returns its length; 0 at the deadline; -1 on error */
static int recv_pdu(uint8_t *pdu, double deadline)
{
	for (;;) {
		if (rlen >= 16) {
			uint32_t len =
				(uint32_t)rbuf[0] << 24 | (uint32_t)rbuf[1] << 16 | (uint32_t)rbuf[2] << 8 | rbuf[3];

			if (len < 16 || len > MAX_PDU) {
				fprintf(stderr, "test-esme: PDU length %u from the SMSC\n", len);
				return -1;
			}
			if (rlen >= len) {
				memcpy(pdu, rbuf, len);
				memmove(rbuf, rbuf + len, rlen - len);
				rlen -= len;
				return (int)len;
			}
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = (int)((deadline - now()) * 1000);
		ssize_t n;

		if (ms <= 0 || poll(&p, 1, ms) == 0)
			return 0;
		n = read(fd, rbuf + rlen, sizeof(rbuf) - rlen);
		if (n <= 0) {
			fprintf(stderr, "test-esme: the SMSC closed the connection\n");
			return -1;
		}
		rlen += (size_t)n;
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int connect_smsc(const char *host, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "test-esme: --host wants an IPv4 address\n");
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "test-esme: cannot connect to %s:%d: %s\n", host, port, strerror(errno));
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: test-esme [--host IP] [--port N] [--system-id ID] [--password PW] [--from ADDR]\n"
		   "                 [--expect N] [--timeout SECONDS] [--input FILE]\n"
		   "Submits one SMS per input line \"MSISDN HEX\" (standard input by default), prints the answers and\n"
		   "every deliver_sm; stops when all are answered and N deliver_sm arrived.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "system-id", required_argument, NULL, 's' },
		{ "password", required_argument, NULL, 'w' },
		{ "from", required_argument, NULL, 'f' },
		{ "expect", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "input", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = "127.0.0.1", *system_id = "simpki", *password = "simpki", *from = "4242";
	int port = 2775, expect = 0, c, submitted = 0, answered = 0, delivered = 0, failed = 0;
	double timeout = 60, deadline, t_first = 0, t_last = 0;
	FILE *in = stdin;
	char line[1024];
	uint8_t pdu[MAX_PDU];
	bind_transceiver_t bind = { 0 };

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			host = optarg;
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
		case 'f':
			from = optarg;
			break;
		case 'e':
			expect = atoi(optarg);
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'i':
			in = fopen(optarg, "r");
			if (!in) {
				fprintf(stderr, "test-esme: %s: %s\n", optarg, strerror(errno));
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (port <= 0 || port > 65535 || expect < 0 || timeout <= 0 || strlen(system_id) > 15 || strlen(password) > 8 ||
	    strlen(from) > 20) {
		usage(stderr);
		return 2;
	}
	deadline = now() + timeout;
	if (connect_smsc(host, port))
		return 1;

	bind.command_id = BIND_TRANSCEIVER;
	bind.sequence_number = ++seq;
	snprintf((char *)bind.system_id, sizeof(bind.system_id), "%s", system_id);
	snprintf((char *)bind.password, sizeof(bind.password), "%s", password);
	bind.interface_version = 0x34;
	if (send_pdu(BIND_TRANSCEIVER, &bind))
		return 1;
	for (;;) {
		int n = recv_pdu(pdu, deadline);

		if (n <= 0) {
			fprintf(stderr, "test-esme: no answer to bind_transceiver\n");
			return 1;
		}
		if (be32(pdu + 4) == BIND_TRANSCEIVER_RESP) {
			if (be32(pdu + 8)) {
				fprintf(stderr, "test-esme: bind_transceiver refused, status 0x%08x\n", be32(pdu + 8));
				return 1;
			}
			break;
		}
	}

	while (fgets(line, sizeof(line), in)) {
		submit_sm_t sm = { 0 };
		char msisdn[21], hex[600];
		size_t len, i;

		if (sscanf(line, "%20s %599s", msisdn, hex) != 2 || (len = strlen(hex)) % 2 || len / 2 > 254) {
			if (line[0] != '\n' && line[0] != '#')
				fprintf(stderr, "test-esme: input line ignored: %s", line);
			continue;
		}
		sm.command_id = SUBMIT_SM;
		sm.sequence_number = ++seq;
		sm.source_addr_ton = 0;
		sm.source_addr_npi = 1;
		snprintf((char *)sm.source_addr, sizeof(sm.source_addr), "%s", from);
		sm.dest_addr_ton = 1; /* osmo-msc finds the subscriber by MSISDN with NPI 1 */
		sm.dest_addr_npi = 1;
		snprintf((char *)sm.destination_addr, sizeof(sm.destination_addr), "%s", msisdn);
		sm.esm_class = 0x40;
		sm.protocol_id = 0x7f;
		sm.data_coding = 0xf6;
		sm.sm_length = (uint8_t)(len / 2);
		for (i = 0; i < len / 2; i++)
			sscanf(hex + 2 * i, "%2hhx", &sm.short_message[i]);
		if (!t_first)
			t_first = now();
		if (send_pdu(SUBMIT_SM, &sm))
			return 1;
		submitted++;
	}

	while (answered < submitted || delivered < expect) {
		int n = recv_pdu(pdu, deadline);
		uint32_t cmd, status, s;

		if (n < 0)
			return 1;
		if (n == 0) {
			fprintf(stderr, "test-esme: timeout: %d of %d submits answered, %d of %d deliver_sm\n",
				answered, submitted, delivered, expect);
			return 1;
		}
		cmd = be32(pdu + 4);
		status = be32(pdu + 8);
		s = be32(pdu + 12);
		if (cmd == SUBMIT_SM_RESP) {
			submit_sm_resp_t r = { 0 };

			smpp34_unpack(SUBMIT_SM_RESP, &r, pdu, n);
			printf("submit_sm_resp %u %u %s\n", s, status, status ? "-" : (char *)r.message_id);
			answered++;
			failed += status != 0;
		} else if (cmd == DELIVER_SM) {
			deliver_sm_t d = { 0 };
			deliver_sm_resp_t r = { .command_id = DELIVER_SM_RESP, .sequence_number = s };

			if (smpp34_unpack(DELIVER_SM, &d, pdu, n)) {
				fprintf(stderr, "test-esme: bad deliver_sm: %s\n", smpp34_strerror);
				r.command_status = 0x00000001; /* ESME_RINVMSGLEN */
			} else {
				printf("deliver_sm %s %s %02x %02x %02x ", (char *)d.source_addr,
				       (char *)d.destination_addr, d.esm_class, d.protocol_id, d.data_coding);
				for (int i = 0; i < d.sm_length; i++)
					printf("%02x", d.short_message[i]);
				printf("\n");
				delivered++;
				t_last = now();
			}
			destroy_tlv(d.tlv);
			send_pdu(DELIVER_SM_RESP, &r);
		} else if (cmd == ENQUIRE_LINK) {
			enquire_link_resp_t r = { .command_id = ENQUIRE_LINK_RESP, .sequence_number = s };

			send_pdu(ENQUIRE_LINK_RESP, &r);
		} else if (cmd == GENERIC_NACK) {
			fprintf(stderr, "test-esme: generic_nack for sequence %u, status 0x%08x\n", s, status);
			failed++;
			answered++;
		}
		fflush(stdout);
	}
	fprintf(stderr, "test-esme: %d submitted, %d delivered; %.3f s from the first submit to the last deliver_sm\n",
		submitted, delivered, t_last && t_first ? t_last - t_first : 0.0);
	{
		unbind_t u = { .command_id = UNBIND, .sequence_number = ++seq };

		send_pdu(UNBIND, &u);
	}
	close(fd);
	return failed ? 1 : 0;
}
