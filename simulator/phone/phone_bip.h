/* The handset's side of the Bearer Independent Protocol (TS 102 223 §6.4.27-31, §7.5.10-11) and of TIMER
 * MANAGEMENT (§6.4.21, §7.4) for a simulated phone: phone_bip_command() takes one proactive command as fetched
 * (D0 { 81 03 number type qualifier | 82 02 81 dest | ... }, COMPREHENSION-TLV tags with or without the CR bit,
 * lengths 00..7F or 81 xx) and answers its TERMINAL RESPONSE body { 81 03 (echoed) | 82 02 82 81 | 83 result | ... },
 * which the caller wraps in 80 14 00 00 Lc. One channel (channel 1, device 21), a TCP client toward an IPv4 address
 * from the phone process itself, non-blocking, on libosmocore's select loop, TCP_NODELAY.
 *
 *   SET UP EVENT LIST (05)   { 19 events }: remembers 09 data available and 0A channel status; TR 00
 *   OPEN CHANNEL (40)        { 35 bearer (02 GPRS or 03 default) | 39 02 buffer | 3C 03 02 port | 3E 05 21 ipv4
 *                            [| 05 alpha | 47 APN, ignored] }: connects at once whatever the qualifier says; the TR
 *                            comes when the connection is made (phone_bip_command() returns 1, then
 *                            ops->terminal_response): 00 { 38 02 81 00 | 35 bearer as asked | 39 02 granted }, or 07
 *                            (performed with modification) when the buffer asked for was cut to PHONE_BIP_BUF_MAX.
 *                            Connection refused, reset or not made within PHONE_BIP_CONNECT_S: 21 00 (network
 *                            currently unable to process the command: worth retrying). A channel already open:
 *                            3A 01 (no channel available). Transport other than 02 (TCP, UICC client, remote) or
 *                            address other than 21 (IPv4): 3A 06. Bearer other than 02/03: 30.
 *   SEND DATA (43)           { 36 data }: qualifier b1 1: the bytes stored before and these are written now; 0: stored
 *                            in the Tx buffer (the granted size). TR 00 { 37 01 free Tx space (FF: 255 or more) };
 *                            more than the Tx buffer holds: 3A 00.
 *   RECEIVE DATA (42)        { 37 01 n }: TR 00 { 36 up to n bytes of the Rx buffer (at most PHONE_BIP_RX_CHUNK,
 *                            so the TR fits one APDU) | 37 01 bytes left (FF: 255 or more) }, fewer than n when
 *                            fewer are there, still 00; an empty Rx buffer: 3A 00.
 *   CLOSE CHANNEL (41)       closes the socket (an open or a dropped channel); TR 00
 *   GET CHANNEL STATUS (44)  TR 00 { 38 02 status } (81 00 link up, 01 05 link dropped; none when no channel)
 *   TIMER MANAGEMENT (27)    { 24 01 id (1..8) | 25 03 hh mm ss (start only; semi-octets as TS 102 223 §8.38
 *                            codes them, the tens in the low nibble: 00 10 50 is 1 min 5 s) }: qualifier 00 start, 01
 *                            deactivate, 02 get the current value; TR 00 { 24 01 id [| 25 03 value left] }; a timer
 *                            not running: 24 (contradiction with the timer state). At expiry the ENVELOPE D7
 *                            { 82 02 82 81 | 24 01 id | 25 03 the value it was started with }.
 * Any channel command for another device than 21, or for a channel not open: 3A 03 (channel identifier not valid);
 * a dropped link: 3A 02 (channel closed). A command not parsed (bad TLV, lengths): 32; a TLV it needs absent: 36.
 * BIP off (phone_bip_cfg.off): every channel command gets 30 (beyond the handset's capabilities).
 *
 * Events, as ENVELOPEs through ops->envelope, only when the SIM asked for them (SET UP EVENT LIST), their tags with
 * the CR bit as handsets send them (99, 82, B8, B7; the TERMINAL RESPONSEs' own TLVs after 83 are without it):
 *   data available  D6 { 19 01 09 | 82 02 82 81 | 38 02 81 00 | 37 01 bytes in the Rx buffer (FF: 255 or more) }
 *                   when the Rx buffer goes from empty to not empty (after the connection, and each time a RECEIVE
 *                   DATA has emptied it); the socket is read while the Rx buffer (the granted size) has room, not
 *                   polled while it is full, and polled again when a RECEIVE DATA made room.
 *   channel status  D6 { 19 01 0A | 82 02 82 81 | 38 02 01 05 } when the peer closes or the connection breaks; with
 *                   bytes still in the Rx buffer, once a RECEIVE DATA has taken the last of them.
 * Fault injection (phone_bip_cfg.drop_send N): the N-th SEND DATA of the phone's first channel is not performed: the
 * link is dropped instead (TR 3A 02, then the channel status event, socket closed).
 *
 * Without I/O (phone_bip_set_io(false), for the fuzzer): OPEN CHANNEL "connects" at once with no socket, written
 * bytes are counted and dropped, nothing arrives.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHONE_BIP_BUF_MAX 1400 /* the largest buffer the phone grants */
#define PHONE_BIP_RX_CHUNK 237 /* RECEIVE DATA: the most bytes in one TR (255 - 18 bytes of TLVs) */
#define PHONE_BIP_CONNECT_S 5
#define PHONE_BIP_TIMERS 8
#define PHONE_BIP_TR_MAX 255 /* the largest TR body phone_bip_command() writes */
#define PHONE_BIP_ENV_MAX 32 /* the largest ENVELOPE body ops->envelope gets */

struct phone_bip_cfg {
	bool off;	    /* the handset has no BIP */
	unsigned drop_send; /* N > 0: drop the link instead of the N-th SEND DATA of the first channel */
};

struct phone_bip_ops {
	/*! An ENVELOPE for the SIM (D6 event download, D7 timer expiration): \a env is its body from the D6/D7 tag. The
	 *  caller sends it when no TERMINAL RESPONSE is due. */
	void (*envelope)(void *priv, const uint8_t *env, size_t len);
	/*! The TERMINAL RESPONSE body of an OPEN CHANNEL whose phone_bip_command() returned 1. */
	void (*terminal_response)(void *priv, const uint8_t *tr, size_t len);
	/*! Optional: the channel was connected, could not be, dropped or was closed (phone_bip_status() tells). */
	void (*changed)(void *priv);
};

struct phone_bip;

/*! A BIP handset side on \a ctx (talloc). \returns NULL when out of memory */
struct phone_bip *phone_bip_alloc(void *ctx, const struct phone_bip_cfg *cfg, const struct phone_bip_ops *ops,
				  void *priv);
/*! Close the channel's socket, stop the timers, free \a b (NULL: nothing). No callback is called. */
void phone_bip_free(struct phone_bip *b);
/*! Real sockets (\a io true, the default) or none (the fuzzer). Before any OPEN CHANNEL. */
void phone_bip_set_io(struct phone_bip *b, bool io);

/*! Whether proactive command type \a type is one of phone_bip_command()'s. */
bool phone_bip_handles(uint8_t type);
/*! Run the proactive command \a cmd (\a len bytes, the whole D0 TLV as fetched). \returns 0 with the TERMINAL
 *  RESPONSE body in \a tr (\a tr_len bytes, \a max >= PHONE_BIP_TR_MAX); 1 when it comes later through
 *  ops->terminal_response (OPEN CHANNEL connecting); -EINVAL when \a cmd is no proactive command with command
 *  details (no TR can echo them) or \a max is too small */
int phone_bip_command(struct phone_bip *b, const uint8_t *cmd, size_t len, uint8_t *tr, size_t max, size_t *tr_len);

/* What the channel does, for a status line. */
struct phone_bip_status {
	bool open;	/* the SIM opened channel 1 and did not close it (connecting, up or dropped) */
	bool connected; /* its link is up */
	bool failed;	/* the last OPEN CHANNEL could not connect */
	uint32_t ip;	/* host order */
	uint16_t port;
	uint64_t bytes_in, bytes_out;
};
void phone_bip_status(const struct phone_bip *b, struct phone_bip_status *st);

/*! The TERMINAL PROFILE the phone sends (TS 102 223 §5.2), with or without BIP (\a bip). \returns its length */
size_t phone_bip_terminal_profile(bool bip, uint8_t *out, size_t max);
