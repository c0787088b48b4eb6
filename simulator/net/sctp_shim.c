/* LD_PRELOAD shim: SCTP sockets become TCP, for running osmo-stp, osmo-msc and simpki-phone on a kernel without
 * SCTP (BRIEF section 5). Only M3UA is carried, one association per socket, so TCP plus message boundaries is
 * enough:
 *   socket(…, IPPROTO_SCTP)           a TCP socket (TCP_NODELAY: Nagle would add ~88 ms per message), remembered
 *   setsockopt/getsockopt(SOL_SCTP)   accepted and answered as a one-address association would: BINDX_ADD binds
 *                                     the first address, CONNECTX* connects to the first address (association
 *                                     id 1), GET_PEER/LOCAL_ADDRS give the TCP peer/local address, others zero
 *   recvmsg on such a socket          exactly one M3UA message (8-byte header: version, reserved, class, type,
 *                                     u32 big-endian length including the header), never more, with a
 *                                     SCTP_SNDRCV control message: PPID 3 (M3UA), stream 1 for transfer messages
 *                                     (class 1), 0 otherwise, MSG_EOR; a partial message waits in a per-socket
 *                                     buffer (EAGAIN on a non-blocking socket)
 *   sendmsg                           the data, control messages dropped
 *   accept/accept4                    the new socket is remembered too; close forgets it
 * Sockets of other protocols are not touched. Not thread-safe beyond what the Osmocom daemons need (one thread
 * handles the SCTP sockets).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sctp.h>

#include "m3ua_frame.h"

#define MAX_FDS 4096
#ifndef SOL_SCTP
#define SOL_SCTP IPPROTO_SCTP
#endif
#define M3UA_PPID 3
#define M3UA_CLASS_TRANSFER 1

struct shim_fd {
	bool sctp;
	uint8_t *buf; /* M3UA_MAX bytes once used */
	size_t have;  /* bytes of the current message read so far */
};

static struct shim_fd fds[MAX_FDS];

static int (*real_socket)(int, int, int);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_close)(int);

__attribute__((constructor)) static void shim_init(void)
{
	real_socket = dlsym(RTLD_NEXT, "socket");
	real_setsockopt = dlsym(RTLD_NEXT, "setsockopt");
	real_getsockopt = dlsym(RTLD_NEXT, "getsockopt");
	real_recvmsg = dlsym(RTLD_NEXT, "recvmsg");
	real_sendmsg = dlsym(RTLD_NEXT, "sendmsg");
	real_accept = dlsym(RTLD_NEXT, "accept");
	real_accept4 = dlsym(RTLD_NEXT, "accept4");
	real_close = dlsym(RTLD_NEXT, "close");
}

static bool is_sctp(int fd)
{
	return fd >= 0 && fd < MAX_FDS && fds[fd].sctp;
}

static void forget(int fd)
{
	if (fd < 0 || fd >= MAX_FDS)
		return;
	free(fds[fd].buf);
	fds[fd] = (struct shim_fd){ 0 };
}

static int remember(int fd)
{
	int one = 1;

	if (fd < 0)
		return fd;
	if (fd >= MAX_FDS) {
		real_close(fd);
		errno = EMFILE;
		return -1;
	}
	forget(fd);
	fds[fd].sctp = true;
	real_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int socket(int domain, int type, int protocol)
{
	if (protocol != IPPROTO_SCTP || (domain != AF_INET && domain != AF_INET6))
		return real_socket(domain, type, protocol);
	/* SOCK_SEQPACKET or SOCK_STREAM, with SOCK_NONBLOCK / SOCK_CLOEXEC kept */
	return remember(real_socket(domain, SOCK_STREAM | (type & (SOCK_NONBLOCK | SOCK_CLOEXEC)), IPPROTO_TCP));
}

static socklen_t addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int rc;

	if (level != SOL_SCTP || !is_sctp(fd))
		return real_setsockopt(fd, level, name, val, len);
	switch (name) {
	case SCTP_SOCKOPT_BINDX_ADD:
		if (len < sizeof(struct sockaddr_in)) {
			errno = EINVAL;
			return -1;
		}
		return bind(fd, val, addr_len(val));
	case SCTP_SOCKOPT_CONNECTX:
	case SCTP_SOCKOPT_CONNECTX_OLD:
		if (len < sizeof(struct sockaddr_in)) {
			errno = EINVAL;
			return -1;
		}
		rc = connect(fd, val, addr_len(val));
		if (rc < 0 && errno != EINPROGRESS)
			return rc;
		if (rc < 0)
			return -1;
		return name == SCTP_SOCKOPT_CONNECTX ? 1 : 0; /* the association id */
	default:
		return 0; /* events, init parameters, nodelay, ...: nothing to do on TCP */
	}
}

static int addrs_of(int fd, bool peer, void *val, socklen_t *len)
{
	struct sctp_getaddrs *ga = val;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (*len < sizeof(*ga) + sizeof(struct sockaddr_in)) {
		errno = EINVAL;
		return -1;
	}
	if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &sl) : getsockname(fd, (struct sockaddr *)&ss, &sl)) < 0)
		return -1;
	sl = addr_len((struct sockaddr *)&ss);
	if (*len < sizeof(*ga) + sl) {
		errno = EINVAL;
		return -1;
	}
	ga->addr_num = 1;
	memcpy(ga->addrs, &ss, sl);
	*len = (socklen_t)(sizeof(*ga) + sl);
	return 0;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (level != SOL_SCTP || !is_sctp(fd))
		return real_getsockopt(fd, level, name, val, len);
	switch (name) {
	case SCTP_SOCKOPT_CONNECTX3: {
		struct sctp_getaddrs_old *p = val;
		int rc;

		if (*len < sizeof(*p) || !p->addrs) {
			errno = EINVAL;
			return -1;
		}
		rc = connect(fd, p->addrs, addr_len(p->addrs));
		p->assoc_id = 1;
		return rc;
	}
	case SCTP_GET_PEER_ADDRS:
		return addrs_of(fd, true, val, len);
	case SCTP_GET_LOCAL_ADDRS:
		return addrs_of(fd, false, val, len);
	case SCTP_STATUS:
		if (*len >= sizeof(struct sctp_status)) {
			struct sctp_status *st = val;

			memset(st, 0, sizeof(*st));
			st->sstat_assoc_id = 1;
			st->sstat_state = SCTP_ESTABLISHED;
			st->sstat_instrms = st->sstat_outstrms = 2;
			*len = sizeof(*st);
			return 0;
		}
		/* fall through */
	default:
		memset(val, 0, *len);
		return 0;
	}
}

/* Read more of the current message without reading past it. \returns 1 when whole, 0 on EOF, -1 (errno) */
static int fill(int fd, struct shim_fd *s, int flags)
{
	for (;;) {
		long want = m3ua_frame_want(s->buf, s->have);
		ssize_t n;

		if (want < 0) {
			errno = EPROTO; /* not M3UA: the association is beyond repair */
			return -1;
		}
		if (s->have == (size_t)want)
			return 1;
		n = recv(fd, s->buf + s->have, (size_t)want - s->have, flags & MSG_DONTWAIT);
		if (n <= 0)
			return n == 0 ? 0 : -1;
		s->have += (size_t)n;
	}
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct shim_fd *s;
	size_t len, off = 0;
	int rc;

	if (!is_sctp(fd))
		return real_recvmsg(fd, msg, flags);
	s = &fds[fd];
	if (!s->buf) {
		s->buf = malloc(M3UA_MAX);
		if (!s->buf) {
			errno = ENOMEM;
			return -1;
		}
	}
	rc = fill(fd, s, flags);
	if (rc <= 0)
		return rc;
	len = s->have;
	for (size_t i = 0; i < msg->msg_iovlen && off < len; i++) {
		size_t k = msg->msg_iov[i].iov_len < len - off ? msg->msg_iov[i].iov_len : len - off;

		memcpy(msg->msg_iov[i].iov_base, s->buf + off, k);
		off += k;
	}
	msg->msg_flags = off < len ? MSG_TRUNC : MSG_EOR;
	if (msg->msg_control && msg->msg_controllen >= CMSG_SPACE(sizeof(struct sctp_sndrcvinfo))) {
		struct cmsghdr *c = (struct cmsghdr *)msg->msg_control;
		struct sctp_sndrcvinfo *info = (struct sctp_sndrcvinfo *)CMSG_DATA(c);

		c->cmsg_level = SOL_SCTP;
		c->cmsg_type = SCTP_SNDRCV;
		c->cmsg_len = CMSG_LEN(sizeof(*info));
		memset(info, 0, sizeof(*info));
		info->sinfo_stream = s->buf[2] == M3UA_CLASS_TRANSFER ? 1 : 0;
		info->sinfo_ppid = htonl(M3UA_PPID);
		info->sinfo_assoc_id = 1;
		msg->msg_controllen = CMSG_SPACE(sizeof(*info));
	} else {
		msg->msg_controllen = 0;
	}
	s->have = 0;
	return (ssize_t)off;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct msghdr m;

	if (!is_sctp(fd))
		return real_sendmsg(fd, msg, flags);
	m = *msg;
	m.msg_control = NULL;
	m.msg_controllen = 0;
	return real_sendmsg(fd, &m, flags | MSG_NOSIGNAL);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int c = real_accept(fd, addr, len);

	return is_sctp(fd) ? remember(c) : c;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int c = real_accept4(fd, addr, len, flags);

	return is_sctp(fd) ? remember(c) : c;
}

int close(int fd)
{
	if (is_sctp(fd))
		forget(fd);
	return real_close(fd);
}
