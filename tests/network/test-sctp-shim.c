/* The SCTP shim (simulator/net/sctp_shim.c) on its own, loaded with LD_PRELOAD by the test: an "SCTP" listener and
 * client made the way libosmocore and libsctp make them (socket with IPPROTO_SCTP, bind through
 * SCTP_SOCKOPT_BINDX_ADD, connect through SCTP_SOCKOPT_CONNECTX), then M3UA messages received one at a time with
 * PPID 3 and the stream of their class: a message cut in pieces waits (EAGAIN) until it is whole, two messages in
 * one segment come out one by one, the peer's address is given, a length field that is not M3UA's fails with
 * EPROTO, and the end of the connection reads as 0.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sctp.h>

#ifndef SOL_SCTP
#define SOL_SCTP IPPROTO_SCTP
#endif

static int failures;

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #cond); \
			failures++;                                             \
		}                                                               \
	} while (0)

/* One recvmsg with room for the SCTP_SNDRCV control message; *stream and *ppid from it. */
static ssize_t recv_one(int fd, uint8_t *buf, size_t len, int *stream, uint32_t *ppid)
{
	char ctrl[CMSG_SPACE(sizeof(struct sctp_sndrcvinfo))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
	struct cmsghdr *c;

	*stream = -1;
	*ppid = 0;
	if (n > 0 && (c = CMSG_FIRSTHDR(&m)) && c->cmsg_level == SOL_SCTP && c->cmsg_type == SCTP_SNDRCV) {
		struct sctp_sndrcvinfo *info = (struct sctp_sndrcvinfo *)CMSG_DATA(c);

		*stream = info->sinfo_stream;
		*ppid = ntohl(info->sinfo_ppid);
	}
	return n;
}

int main(void)
{
	/* ASPUP (class 3, management: stream 0) and a DATA message (class 1, transfer: stream 1) */
	static const uint8_t aspup[] = { 1, 0, 3, 1, 0, 0, 0, 8 };
	static const uint8_t data[] = { 1, 0, 1, 1, 0, 0, 0, 12, 0xde, 0xad, 0xbe, 0xef };
	static const uint8_t bad[] = { 1, 0, 1, 1, 0, 0, 0, 4 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	uint8_t buf[64], both[sizeof(aspup) + sizeof(data)], ga[sizeof(struct sctp_getaddrs) + 32];
	socklen_t galen = sizeof(ga);
	int srv, cli, conn, stream;
	uint32_t ppid;
	ssize_t n;

	srv = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	CHECK(srv >= 0);
	CHECK(setsockopt(srv, SOL_SCTP, SCTP_SOCKOPT_BINDX_ADD, &a, sizeof(a)) == 0);
	CHECK(listen(srv, 1) == 0);
	CHECK(getsockname(srv, (struct sockaddr *)&a, &alen) == 0);
	cli = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	CHECK(cli >= 0);
	CHECK(setsockopt(cli, SOL_SCTP, SCTP_SOCKOPT_CONNECTX, &a, sizeof(a)) == 1); /* association id 1 */
	conn = accept(srv, NULL, NULL);
	CHECK(conn >= 0);
	CHECK(setsockopt(conn, SOL_SCTP, SCTP_NODELAY, &(int){ 1 }, sizeof(int)) == 0);
	CHECK(getsockopt(conn, SOL_SCTP, SCTP_GET_PEER_ADDRS, ga, &galen) == 0);
	CHECK(((struct sctp_getaddrs *)ga)->addr_num == 1);

	/* a message in pieces: nothing until it is whole */
	CHECK(send(cli, data, 5, 0) == 5);
	usleep(20000);
	n = recv_one(conn, buf, sizeof(buf), &stream, &ppid);
	CHECK(n < 0 && errno == EAGAIN);
	CHECK(send(cli, data + 5, sizeof(data) - 5, 0) == (ssize_t)sizeof(data) - 5);
	usleep(20000);
	n = recv_one(conn, buf, sizeof(buf), &stream, &ppid);
	CHECK(n == (ssize_t)sizeof(data) && !memcmp(buf, data, sizeof(data)));
	CHECK(stream == 1 && ppid == 3);

	/* two messages in one segment: one at a time, each with its stream */
	memcpy(both, aspup, sizeof(aspup));
	memcpy(both + sizeof(aspup), data, sizeof(data));
	CHECK(send(cli, both, sizeof(both), 0) == (ssize_t)sizeof(both));
	usleep(20000);
	n = recv_one(conn, buf, sizeof(buf), &stream, &ppid);
	CHECK(n == (ssize_t)sizeof(aspup) && stream == 0 && ppid == 3);
	n = recv_one(conn, buf, sizeof(buf), &stream, &ppid);
	CHECK(n == (ssize_t)sizeof(data) && stream == 1);

	/* sendmsg with an SCTP control message goes out as plain data */
	{
		char ctrl[CMSG_SPACE(sizeof(struct sctp_sndrcvinfo))] = { 0 };
		struct iovec iov = { .iov_base = (void *)aspup, .iov_len = sizeof(aspup) };
		struct msghdr m = {
			.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof(ctrl)
		};
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);

		c->cmsg_level = SOL_SCTP;
		c->cmsg_type = SCTP_SNDRCV;
		c->cmsg_len = CMSG_LEN(sizeof(struct sctp_sndrcvinfo));
		CHECK(sendmsg(conn, &m, 0) == (ssize_t)sizeof(aspup));
		usleep(20000);
		n = recv_one(cli, buf, sizeof(buf), &stream, &ppid);
		CHECK(n == (ssize_t)sizeof(aspup) && !memcmp(buf, aspup, sizeof(aspup)));
	}

	/* a length field shorter than the header: not M3UA */
	CHECK(send(cli, bad, sizeof(bad), 0) == (ssize_t)sizeof(bad));
	usleep(20000);
	n = recv_one(conn, buf, sizeof(buf), &stream, &ppid);
	CHECK(n < 0 && errno == EPROTO);

	/* the peer closes: 0 on a fresh connection */
	close(conn);
	close(cli);
	cli = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	CHECK(setsockopt(cli, SOL_SCTP, SCTP_SOCKOPT_CONNECTX, &a, sizeof(a)) == 1);
	conn = accept(srv, NULL, NULL);
	close(cli);
	usleep(20000);
	CHECK(recv_one(conn, buf, sizeof(buf), &stream, &ppid) == 0);
	close(conn);
	close(srv);
	if (failures)
		return 1;
	printf("sctp shim: all checks passed\n");
	return 0;
}
