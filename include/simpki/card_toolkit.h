/* Card API, hooks for the SIM side of the card: toolkit events (TS 102 223) and over-the-air commands
 * (TS 102 225/226). This issue defines only their shape; the OS does not raise them yet, and an applet that
 * sets none of them behaves as a plain ISO 7816 applet.
 */
#pragma once
#include <stdint.h>

#include <simpki/card.h>

enum card_event {
	CARD_EVENT_SMS_PP_DOWNLOAD = 1, /* ENVELOPE D1 addressed to the applet's TAR */
	CARD_EVENT_MENU_SELECTION = 2,	/* ENVELOPE D3 for one of the applet's menu items */
	CARD_EVENT_PROACTIVE_DONE = 3,	/* TERMINAL RESPONSE to a proactive command the applet issued */
};

struct card_event_data {
	enum card_event event;
	const uint8_t *data; /* the event's payload (the envelope's simple TLVs, or the terminal response) */
	uint32_t len;
	uint8_t *resp; /* response data for the envelope, e.g. a PoR */
	uint32_t resp_max;
	uint32_t resp_len;
};
