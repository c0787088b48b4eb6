/* The real SIM's clock: how long a command would take on a real card in a real reader, modelled for every
 * command and slept only with CARD_TIMING_REAL (cardos.h). Three parts add up:
 *
 *   transport   the command and the response crossing the contacts at the configured rate (default 9,600 bit/s:
 *               Fi 372, Di 1 at 3.57 MHz, what a SIM whose ATR has no TA1, like ours, runs at):
 *               T=1  11 etu a character; each block adds a 3-byte prologue and an LRC, blocks carry at most
 *                    254 bytes (IFSC/IFSD 254), and each chained block is acknowledged by a 4-byte R-block
 *               T=0  12 etu a character; the 5-byte header, a procedure byte, the command data, the status word;
 *                    response data comes by GET RESPONSE (5-byte header, a procedure byte, the data, the SW)
 *   NVM         every physical NVM write costs CARD_NVM_PAGE_US per 64-byte page it touches (an EEPROM-class SIM
 *               writes a page in 2-5 ms); the journal's commits are counted as they happen (nvm.h)
 *   crypto      key generation and private-key operations: the JCAlgTest medians of crypto.c
 *
 * The model's total since the card was opened is card_os_modelled_us(), in every timing mode.
 */
#include <errno.h>
#include <time.h>

#include "os_internal.h"

#define T1_IFS 254
#define T1_BLOCK_OVERHEAD 4 /* NAD PCB LEN ... LRC */

static void sleep_us(uint64_t us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000), .tv_nsec = (long)(us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void charge(struct card_os *os, uint64_t us)
{
	os->modelled_us += us;
	if (os->timing == CARD_TIMING_REAL)
		sleep_us(us);
}

void card_os_set_timing(struct card_os *os, enum card_timing timing)
{
	os->timing = timing;
}

int card_os_set_transport(struct card_os *os, enum card_protocol proto, unsigned baud)
{
	if ((proto != CARD_PROTO_T0 && proto != CARD_PROTO_T1) || baud < 1200 || baud > 1000000)
		return -EINVAL;
	os->proto = proto;
	os->baud = baud;
	return 0;
}

uint64_t card_os_modelled_us(const struct card_os *os)
{
	return os->modelled_us;
}

void card_timing_delay(struct card_os *os, unsigned ms)
{
	charge(os, (uint64_t)ms * 1000);
}

/* T=1: \a n bytes of INF in blocks of at most T1_IFS, each after the first acknowledged by an R-block. */
static uint64_t t1_bytes(size_t n)
{
	size_t blocks = n ? (n + T1_IFS - 1) / T1_IFS : 1;

	return n + blocks * T1_BLOCK_OVERHEAD + (blocks - 1) * T1_BLOCK_OVERHEAD;
}

/* The transport part: \a cmd_len command bytes and \a resp_len response bytes (data and SW). */
static uint64_t transport_us(enum card_protocol proto, unsigned baud, size_t cmd_len, size_t resp_len)
{
	uint64_t chars, etu;

	if (proto == CARD_PROTO_T0) {
		size_t data = resp_len > 2 ? resp_len - 2 : 0;

		/* header + procedure byte + command data (Lc and its data, or Le) + SW; then GET RESPONSE */
		chars = (uint64_t)cmd_len + 1 + 2 + (data ? 5 + 1 + data + 2 : 0);
		etu = 12;
	} else {
		chars = t1_bytes(cmd_len) + t1_bytes(resp_len);
		etu = 11;
	}
	return (chars * etu * 1000000 + baud - 1) / baud;
}

void card_timing_command(struct card_os *os, size_t cmd_len, size_t resp_len, uint64_t pages)
{
	charge(os, transport_us(os->proto, os->baud, cmd_len, resp_len) + pages * CARD_NVM_PAGE_US);
}
