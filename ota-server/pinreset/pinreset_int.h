/* Inside the remote PIN reset (pinreset.h): the parts without I/O, for pinreset.c and tests/unit/test-pinreset.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otad_db.h"
#include "pinreset/pinreset.h"

#define OTAD_PIN_RESET_OTP_LEN 6
#define OTAD_PIN_RESET_ID_MAX 64 /* an identity number as given, at most */

/*! Whether identity number \a given matches \a stored: both normalised (spaces, '-', '.' and '/' dropped, letters
 *  upper case), then compared in constant time (CRYPTO_memcmp) when of equal length. \returns 1; 0 (not, or too
 *  long, or empty) */
int otad_pin_reset_id_match(const char *given, const char *stored);
/*! A random one-time PIN of 6 decimal digits, uniform (RAND_bytes, rejection sampling). \returns 0; -EIO */
int otad_pin_reset_otp(char out[OTAD_PIN_RESET_OTP_LEN + 1]);
/*! The remote APDU script of \a mode, in the expanded format the PKI applet's TAR takes (TS 102 226: AA L 22 L
 *  C-APDU): 00 2C 02 01 06 PIN (one-time-pin, \a pin 4..16 characters) or 00 2C 03 01 (unblock). \returns its
 *  length; -EINVAL */
int otad_pin_reset_script(enum otad_pin_reset_mode mode, const char *pin, uint8_t *out, size_t max);
/*! The PIN of a one-time-pin script (\a script as otad_pin_reset_script() made it) into \a out (NUL-terminated).
 *  \returns 0; -EINVAL (not such a script, or zeros: scrubbed) */
int otad_pin_reset_script_pin(const uint8_t *script, size_t len, char *out, size_t max);

enum otad_pin_reset_outcome {
	OTAD_PIN_RESET_OK,	/* the applet answered 9000: reset */
	OTAD_PIN_RESET_REFUSED, /* the card or the applet refused, or it never got there: not reset */
	OTAD_PIN_RESET_UNKNOWN, /* no PoR: the card may have run it */
};
/*! What an ended job of a reset says, and why (\a why: "9000: ...", "6982: refused, not the issuer", ...). */
enum otad_pin_reset_outcome otad_pin_reset_outcome_of(const struct otad_job_row *job, char *why, size_t max);
/*! The SMS to the holder (Vietnamese, then English): \a mode's notice, \a counter the one who reset it, \a pin the
 *  one-time PIN (one-time-pin only; NULL otherwise), \a maybe: the outcome is unknown. \returns its length; -E2BIG */
int otad_pin_reset_text(enum otad_pin_reset_mode mode, const char *counter, const char *pin, bool maybe, char *out,
			size_t max);

/*! For tests: forget every reset in memory (their FSMs freed, the rows left as stored), as a stop would. */
void otad_pin_reset_debug_forget(void);
