/* vpcd transport for the simulated card; the protocol is in vpcd.h. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <simpki/bytes.h>

#include "vpcd.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define POLL_MS 250 /* how often a blocked read looks at the stop flag */

int vpcd_handle(struct card_os *os, const uint8_t *in, size_t len, uint8_t *out, size_t max)
{
	size_t rlen;
	int rc;

	if (len == 0)
		return 0;
	if (len == 1) {
		switch (in[0]) {
		case VPCD_CTRL_OFF:
			card_os_power_off(os);
			return 0;
		case VPCD_CTRL_ON:
		case VPCD_CTRL_RESET:
			card_os_power_on(os, out, max); /* the ATR is not sent: the reader asks with 04 */
			return 0;
		case VPCD_CTRL_ATR:
			return card_os_atr(os, out, max);
		default:
			return 0;
		}
	}
	rc = card_os_transmit(os, in, len, out, max, &rlen);
	if (rc == -ENODEV) {
		/* The reader sent a command without powering the card first: power it rather than go mute. */
		card_os_power_on(os, out, max);
		rc = card_os_transmit(os, in, len, out, max, &rlen);
	}
	return rc ? rc : (int)rlen;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL); /* a signal cuts it short, as it should */
}

static int connect_to(const char *host, uint16_t port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	char service[8];
	int fd = -1, one = 1;

	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host, service, &hints, &res))
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -ECONNREFUSED;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Read exactly \a len bytes. \returns 0; -ECONNRESET at EOF or error; -EINTR when stopped */
static int read_exact(int fd, uint8_t *buf, size_t len, volatile sig_atomic_t *stop)
{
	int one = 1;

	while (len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (*stop)
			return -EINTR;
		if (poll(&p, 1, POLL_MS) <= 0)
			continue;
		/* vpcd writes the length and the APDU in two sends: without an immediate ACK the second waits ~40 ms. */
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -ECONNRESET;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_frame(int fd, const uint8_t *payload, size_t len)
{
	uint8_t frame[2 + CARD_RESP_MAX + 2];
	size_t done = 0;

	put_be16(frame, (uint16_t)len);
	memcpy(frame + 2, payload, len);
	len += 2;
	while (done < len) {
		ssize_t n = write(fd, frame + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -ECONNRESET;
		done += (size_t)n;
	}
	return 0;
}

/* Serve one connection until it ends. \returns -ECONNRESET when the reader went away; -EINTR when stopped;
 * -EIO if the card failed */
static int serve_connection(struct card_os *os, int fd, const struct vpcd_serve_opts *o)
{
	static uint8_t in[65535], out[CARD_RESP_MAX + 2];

	for (;;) {
		uint8_t hdr[2];
		size_t len;
		int rc = read_exact(fd, hdr, sizeof(hdr), o->stop);

		if (!rc) {
			len = get_be16(hdr);
			rc = read_exact(fd, in, len, o->stop);
		}
		if (rc)
			return rc;
		rc = vpcd_handle(os, in, len, out, sizeof(out));
		if (rc < 0)
			return rc;
		if (o->verbose && len > 1 && rc >= 2)
			fprintf(o->log, "simpki-card serve: INS %02X -> SW %02X%02X\n", in[1], out[rc - 2],
				out[rc - 1]);
		if (rc > 0 && write_frame(fd, out, (size_t)rc))
			return -ECONNRESET;
	}
}

int vpcd_serve(struct card_os *os, const struct vpcd_serve_opts *o)
{
	unsigned backoff = BACKOFF_MIN_MS;
	bool waiting_logged = false;

	while (!*o->stop) {
		int fd = connect_to(o->host, o->port), rc;

		if (fd < 0) {
			if (!waiting_logged)
				fprintf(o->log, "simpki-card serve: waiting for pcscd's vpcd reader at %s:%u\n",
					o->host, o->port);
			waiting_logged = true;
			sleep_ms(backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		fprintf(o->log, "simpki-card serve: card inserted in the reader at %s:%u\n", o->host, o->port);
		fflush(o->log);
		waiting_logged = false;
		backoff = BACKOFF_MIN_MS;
		card_os_power_off(os);
		rc = serve_connection(os, fd, o);
		close(fd);
		card_os_power_off(os);
		if (rc == -EIO)
			return rc;
		if (rc == -ECONNRESET)
			fprintf(o->log, "simpki-card serve: the reader closed the connection; reconnecting\n");
		fflush(o->log);
	}
	return 0;
}
