/* Remote PIN reset by a counter: a delegated counter unblocks a holder's PIN over the air, with the issuer's
 * authority (the applet's RESET RETRY COUNTER P1 02/03, accepted only inside a secured packet: docs/applet.md
 * §5.8), the holder identified by the identity number the counter checked, the act audited. pinreset.c implements
 * it; its state table is the spec (docs/lifecycle.md, Remote PIN reset).
 */
#pragma once
#include <stdint.h>

#include "otad_perm.h"

enum otad_pin_reset_mode {
	OTAD_PIN_RESET_ONE_TIME_PIN, /* a new random PIN, sent to the holder by SMS (notify.h); the holder changes it */
	OTAD_PIN_RESET_UNBLOCK,	     /* the tries counter reset, the PIN kept */
	OTAD_PIN_RESET_N_MODES,
};
extern const char *const otad_pin_reset_mode_names[OTAD_PIN_RESET_N_MODES]; /* "one-time-pin", "unblock" */

/*! Reset holder \a holder's PIN on its card (the one with a certificate in force), on behalf of \a who (needs
 *  pin.reset for the holder's unit), the holder identified by \a id_number (compared with the record in constant
 *  time); \a request: the request it executes (0: none). \returns 0 with *id; -ENOENT (no such holder, or no card);
 *  -EACCES (the identity number does not match); -EPERM; -EBUSY (a reset of that card under way); -EIO; \a err says
 *  why */
int otad_pin_reset_start(const struct otad_actor *who, const char *holder, const char *id_number,
			 enum otad_pin_reset_mode mode, int64_t request, int64_t *id, char *err, size_t errlen);

/*! At start, after the jobs resumed: hook the jobs' ends, resume every reset not over. \returns 0; -EIO */
int otad_pin_reset_init(void);

/*! The VTY's 'show pin-resets' (pinreset_vty.c). */
void otad_pin_reset_vty_init(void);

/*! Called when a reset is over; one hook (the requests module sets it). */
extern void (*otad_pin_reset_on_end)(int64_t id, int64_t request, int ok);
