/* Card API, the applet's side of the contract: the operations table the OS calls.
 *
 * An applet is a const struct card_applet linked into the card image and named in the card's manifest
 * (which gives its AID, optional TAR, RAM and NVM budgets). Callbacks return a status word (card_sw.h)
 * unless said otherwise; they never see a command the OS could not parse.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <simpki/card.h>
#include <simpki/card_toolkit.h>

/* Lines of `simpki-card info` an applet contributes ("key: value"), never a secret. */
struct card_info;
/*! Add one line, printf-style; lines past the OS's buffer are dropped. */
void card_info_line(struct card_info *info, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct card_applet {
	const char *name;   /* the manifest's name for it, e.g. "pki" */
	uint32_t root_size; /* bytes of its persistent root object, zeroed at install */
	uint32_t ram_size;  /* bytes of transient RAM it needs; install fails if the budget is smaller */

	/*! Once, right after the root object was allocated. \returns 0 or a negative errno (install fails) */
	int (*install)(struct card_ctx *c);
	/*! SELECT by its AID. May put data in apdu->resp (the FCI). \returns a SW */
	int (*select)(struct card_ctx *c, struct card_apdu *apdu);
	/*! Another applet was selected, or the card is reset. Transient RAM is zeroed after this. */
	void (*deselect)(struct card_ctx *c);
	/*! One whole command while selected. \returns a SW */
	int (*process)(struct card_ctx *c, struct card_apdu *apdu);
	/*! Whether a command with this INS/P1/P2 may arrive in chained blocks (NULL: never).
	 *  \returns 0 to accept, or the SW for the first block (SW_CHAINING_NOT_SUPPORTED) */
	int (*chain_ok)(struct card_ctx *c, uint8_t ins, uint8_t p1, uint8_t p2);
	/*! Toolkit or OTA event (card_toolkit.h); NULL if the applet has none. \returns a SW */
	int (*event)(struct card_ctx *c, struct card_event_data *ev);
	/*! Describe the applet's persistent state for `simpki-card info` (NULL: nothing to say). */
	void (*describe)(struct card_ctx *c, struct card_info *info);
};
