/* Bearer Independent Protocol (TS 102 223 §6.4.27-§6.4.31, §7.5): the card's side of the bytes. Builders of the
 * proactive commands' simple TLVs (after the command details and device identities, which proactive.c adds), and
 * parsers of what the terminal sends back: TERMINAL RESPONSE TLVs and the event download / timer ENVELOPEs.
 *
 * Commands (device identities 81 -> 82 terminal, or 81 -> 21+ch-1 the channel):
 *   SET UP EVENT LIST  05 00 | 19 02 09 0A                      (data available, channel status)
 *   OPEN CHANNEL       40 01 | 35 01 bearer | 39 02 buffer | 3C 03 02 port | 3E 05 21 IPv4   (TCP client)
 *   CLOSE CHANNEL      41 00
 *   RECEIVE DATA       42 00 | 37 01 n
 *   SEND DATA          43 01 | 36 L data                        (send immediately; at most BIP_DATA_MAX bytes)
 *   TIMER MANAGEMENT   27 00 | 24 01 id | 25 03 hh mm ss        (start; BCD semi-octets, low nibble the tens digit)
 * TERMINAL RESPONSE TLVs read here, each with or without the comprehension bit and once at most: 36 channel data,
 * 37 channel data length (FF: 255 or more), 38 channel status (2 bytes: b1-3 channel id, b8 link up; then 00, or
 * 05 link dropped), 39 buffer size (2 bytes).
 * ENVELOPEs:
 *   D6 { 19 01 09 | 82 02 82 81 | 38 02 st st | 37 01 n }      data available
 *   D6 { 19 01 0A | 82 02 82 81 | 38 02 st st }                channel status
 *   D7 { 82 02 82 81 | 24 01 id | 25 03 hh mm ss }              timer expiration
 * A TLV outside its length, a simple TLV twice, a length other than the one above, an event list other than one
 * event of these two, or a missing TLV: -EBADMSG. Unknown simple TLVs are skipped.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BIP_DATA_MAX 200 /* channel data bytes in one SEND DATA or RECEIVE DATA */

#define BIP_SET_UP_EVENT_LIST 0x05
#define BIP_TIMER_MANAGEMENT 0x27
#define BIP_OPEN_CHANNEL 0x40
#define BIP_CLOSE_CHANNEL 0x41
#define BIP_RECEIVE_DATA 0x42
#define BIP_SEND_DATA 0x43

#define BIP_DEV_TERMINAL 0x82
#define BIP_DEV_CHANNEL(ch) (0x20 + (ch))

#define BIP_EVENT_DATA_AVAILABLE 0x09
#define BIP_EVENT_CHANNEL_STATUS 0x0a
#define BIP_LINK_DROPPED 0x05

/* What a TERMINAL RESPONSE to a BIP command carries besides its result. */
struct bip_tr {
	bool has_data;
	const uint8_t *data; /* 36 */
	size_t data_len;
	bool has_length; /* 37 */
	uint8_t length;
	bool has_status; /* 38 */
	uint8_t status[2];
	bool has_buffer; /* 39 */
	uint16_t buffer;
};

/* An ENVELOPE the terminal sends for the channel. */
struct bip_event {
	bool timer; /* D7: timer expiration (timer_id); else D6 with event */
	uint8_t timer_id;
	uint8_t event;	   /* BIP_EVENT_* */
	uint8_t status[2]; /* channel status */
	bool has_length;
	uint8_t length; /* data available: bytes waiting (FF: 255 or more) */
};

/*! The TLVs of a TERMINAL RESPONSE (all of it, command details and result included). \returns 0; -EBADMSG */
int bip_tr_parse(const uint8_t *d, size_t len, struct bip_tr *tr);
/*! An ENVELOPE D6 or D7 (the whole BER-TLV). \returns 0; -EBADMSG; -ENOTSUP (another tag) */
int bip_event_parse(const uint8_t *d, size_t len, struct bip_event *ev);

/* Builders: the simple TLVs after command details and device identities into \a b. \returns their length */
size_t bip_set_up_event_list(uint8_t *b);
size_t bip_open_channel(uint8_t *b, uint8_t bearer, uint16_t buffer, uint16_t port, const uint8_t ip[4]);
size_t bip_receive_data(uint8_t *b, uint8_t n);
/*! \a len at most BIP_DATA_MAX. */
size_t bip_send_data(uint8_t *b, const uint8_t *data, size_t len);
/*! Timer 1..8 started for \a seconds (at most 99:59:59). */
size_t bip_timer_start(uint8_t *b, uint8_t id, uint32_t seconds);
