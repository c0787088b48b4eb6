/* The baseline card for bench/pcsc-apdus: a vpcd card that does nothing, answering 9000 to every APDU and
 * 3B80800101 to every ATR request, over the same socket handling as simpki-card serve (TCP_NODELAY, TCP_QUICKACK
 * before every read). Usage: vpcd-echo [PORT]   (default 35964, vpcd's second slot). Stops on SIGTERM. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int read_exact(int fd, unsigned char *buf, size_t len)
{
	int one = 1;

	while (len) {
		ssize_t n;

		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		n = read(fd, buf, len);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const unsigned char atr[] = { 0x00, 0x05, 0x3b, 0x80, 0x80, 0x01, 0x01 },
				   ok[] = { 0x00, 0x02, 0x90, 0x00 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 35964) };
	unsigned char hdr[2], buf[65536];
	int fd, one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return 1;
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			break;
		close(fd);
		usleep(100000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (!read_exact(fd, hdr, 2)) {
		size_t len = (size_t)(hdr[0] << 8 | hdr[1]);

		if (read_exact(fd, buf, len))
			break;
		if (len == 1 && buf[0] == 0x04) {
			if (write(fd, atr, sizeof(atr)) != sizeof(atr))
				break;
		} else if (len > 1) {
			if (write(fd, ok, sizeof(ok)) != sizeof(ok))
				break;
		}
	}
	close(fd);
	return 0;
}
