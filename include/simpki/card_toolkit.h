/* Card API, the SIM side of the card: toolkit events (TS 102 223) and over-the-air commands (TS 102 225/226).
 * An applet that sets no event callback behaves as a plain ISO 7816 applet.
 *
 * Toolkit sessions. Secured data sent over the air to an applet's toolkit TAR (the manifest's `toolkit` directive)
 * is not a remote APDU script: once the receiving entity has checked it (MSL, keys, CC, counter), the applet's
 * event() gets it, deciphered, as CARD_EVENT_SMS_PP_DOWNLOAD, and a toolkit session begins. The OS keeps the
 * packet's PoR context (header, key sets, counter, the sender's address) open until the applet answers with
 * card_tk_reply(): that reply is the PoR's additional data (status 00), secured as the packet's SPI asks. While the
 * session lasts the applet drives the handset with proactive commands, one at a time: card_tk_display_text(),
 * card_tk_get_input(), card_tk_more_time(). The terminal learns of each from 91xx, FETCHes it and answers with a
 * TERMINAL RESPONSE; one that names the pending command (number, type, qualifier) and is well formed reaches the
 * applet as CARD_EVENT_PROACTIVE_DONE with the parsed result (ev->tk); anything else is refused (6A80, or 6985 when
 * nothing waits) and changes nothing. A new SMS-PP download during the session gets 9300 (toolkit busy).
 *
 * The applet is not selected during events, and its transient RAM (card_transient()) belongs to the terminal's
 * session: what it keeps from one event to the next goes in card_tk_session(), a RAM area the OS keeps for the
 * session, zeroed when it begins and wiped when it ends. An event that leaves neither a pending command nor a reply
 * ends the session with an empty reply. A reset or power loss ends the session without a PoR.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <simpki/card.h>

enum card_event {
	CARD_EVENT_SMS_PP_DOWNLOAD = 1, /* secured data to the applet's toolkit TAR: a toolkit session begins */
	CARD_EVENT_MENU_SELECTION = 2,	/* ENVELOPE D3 for one of the applet's menu items (not raised yet) */
	CARD_EVENT_PROACTIVE_DONE = 3,	/* TERMINAL RESPONSE to a proactive command the applet issued */
};

/* Proactive command types (TS 102 223 §9.4). */
#define CARD_TK_MORE_TIME 0x02
#define CARD_TK_SEND_SHORT_MESSAGE 0x13
#define CARD_TK_DISPLAY_TEXT 0x21
#define CARD_TK_GET_INPUT 0x23

/* DISPLAY TEXT qualifier (§8.6): b1 high priority, b8 wait for the user to clear the message. */
#define CARD_TK_DISPLAY_HIGH_PRIORITY 0x01
#define CARD_TK_DISPLAY_WAIT_USER 0x80
/* GET INPUT qualifier (§8.6): b1 alphabet (else digits 0-9 * # + only), b2 UCS2 (else the SMS default alphabet),
 * b3 no echo (hidden input, a PIN), b4 packed (else unpacked) */
#define CARD_TK_INPUT_ALPHABET 0x01
#define CARD_TK_INPUT_UCS2 0x02
#define CARD_TK_INPUT_HIDDEN 0x04
#define CARD_TK_INPUT_PACKED 0x08

/* Text string DCS (§8.15). */
#define CARD_TK_DCS_GSM7_PACKED 0x00
#define CARD_TK_DCS_GSM 0x04
#define CARD_TK_DCS_UCS2 0x08

/* General results of a TERMINAL RESPONSE (§8.12): 0x to 0F performed; these are the ones applets tell apart. */
#define CARD_TK_RESULT_OK 0x00
#define CARD_TK_RESULT_USER_TERMINATED 0x10
#define CARD_TK_RESULT_BACKWARD_MOVE 0x11
#define CARD_TK_RESULT_NO_RESPONSE 0x12
#define CARD_TK_RESULT_TERMINAL_UNABLE 0x20
#define CARD_TK_RESULT_USER_DID_NOT_ACCEPT 0x22

#define CARD_TK_TEXT_MAX 239	 /* bytes of DISPLAY TEXT's text after the DCS (GET INPUT's prompt: 235) */
#define CARD_TK_REPLY_MAX 1024	 /* bytes of reply data (the PoR's additional data) */
#define CARD_TK_SESSION_SIZE 256 /* bytes of card_tk_session() */

/* A TERMINAL RESPONSE, parsed: the pointers are into the command's data, valid during the event only. */
struct card_tk_result {
	uint8_t type;	     /* command type of the command it answers */
	uint8_t qualifier;   /* its qualifier */
	uint8_t general;     /* general result */
	const uint8_t *info; /* additional information on the result (after the general result), info_len bytes */
	uint32_t info_len;
	bool has_text;	     /* a text string (8D) came: GET INPUT's input */
	uint8_t dcs;	     /* its DCS */
	const uint8_t *text; /* its text, text_len bytes (a secret for a PIN: copy, use and wipe) */
	uint32_t text_len;
};

struct card_event_data {
	enum card_event event;
	const uint8_t *data; /* SMS-PP download: the deciphered secured data; PROACTIVE_DONE: the TERMINAL RESPONSE */
	uint32_t len;
	const struct card_tk_result *tk; /* PROACTIVE_DONE: the parsed result; else NULL */
};

/*! The RAM the OS keeps for the applet's toolkit session (CARD_TK_SESSION_SIZE bytes, zeroed when the session
 *  began), or NULL when the applet has no session. */
void *card_tk_session(struct card_ctx *c);

/*! Proactive DISPLAY TEXT (type 21) of \a len bytes of \a text in \a dcs (CARD_TK_DCS_*), to the display, with
 *  \a qualifier (CARD_TK_DISPLAY_*). \returns 0; -ENOENT no session of this applet; -EBUSY a command is pending or
 *  the reply was given; -EINVAL a bad DCS, an empty text, UCS2 of odd length; -E2BIG over CARD_TK_TEXT_MAX */
int card_tk_display_text(struct card_ctx *c, uint8_t dcs, const uint8_t *text, uint32_t len, uint8_t qualifier);

/*! Proactive GET INPUT (type 23) with prompt \a prompt (\a len bytes in \a dcs), a response length of \a min..\a max
 *  characters (min <= max, max >= 1) and \a qualifier (CARD_TK_INPUT_*). \returns as card_tk_display_text(); the
 *  prompt takes at most CARD_TK_TEXT_MAX - 4 bytes */
int card_tk_get_input(struct card_ctx *c, uint8_t dcs, const uint8_t *prompt, uint32_t len, uint8_t min, uint8_t max,
		      uint8_t qualifier);

/*! Proactive MORE TIME (type 02). \returns 0; -ENOENT; -EBUSY */
int card_tk_more_time(struct card_ctx *c);

/*! End the session with \a len bytes of \a data (0..CARD_TK_REPLY_MAX) as the PoR's additional data: the OS secures
 *  it and sends it (in the ENVELOPE's response when this is the SMS-PP download event and the SPI allows, else as
 *  SEND SHORT MESSAGE, concatenated when longer than one SMS); no PoR when the packet asked for none.
 *  \returns 0; -ENOENT; -EBUSY a command is pending; -E2BIG */
int card_tk_reply(struct card_ctx *c, const uint8_t *data, uint32_t len);
