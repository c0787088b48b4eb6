/* The card side of vsmartcard's vpcd protocol: pcscd's vpcd driver listens (port 35963 for slot 0, 35964 for
 * slot 1) and the card connects to it.
 *
 * Every message in both directions is a frame: a 2-byte big-endian length, then that many bytes. From the
 * reader, a 1-byte payload is a control: 00 power off, 01 power on, 02 reset (no answer to these), 04 get ATR
 * (answer: the ATR). Any other payload is a command APDU, answered with the response APDU. The card answers
 * nothing else; an unknown control byte or an empty frame is ignored.
 */
#pragma once
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cardos.h"

#define VPCD_DEFAULT_HOST "127.0.0.1"
#define VPCD_DEFAULT_PORT 35963
#define VPCD_CTRL_OFF 0x00
#define VPCD_CTRL_ON 0x01
#define VPCD_CTRL_RESET 0x02
#define VPCD_CTRL_ATR 0x04

/*! Handle one frame payload from the reader; write the answer's payload to \a out (room for CARD_RESP_MAX + 2).
 *  \returns the answer's length, 0 for no answer; -EIO if the card lost power */
int vpcd_handle(struct card_os *os, const uint8_t *in, size_t len, uint8_t *out, size_t max);

struct vpcd_serve_opts {
	const char *host;
	uint16_t port;
	volatile sig_atomic_t *stop; /* set by a signal handler: finish the current command and return */
	FILE *log; /* one line per connection event; with verbose, one per command: INS and SW, never data */
	int verbose;
};

/*! Connect to pcscd's vpcd driver and serve the card until *stop is set, reconnecting with back-off (0.1 s
 *  doubling to 2 s) whenever the connection cannot be made or is lost. \returns 0 when stopped; -EIO if the
 *  card failed */
int vpcd_serve(struct card_os *os, const struct vpcd_serve_opts *o);
