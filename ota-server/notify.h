/* Notifications to holders by SMS: a plain text message (not a secured packet) to the MSISDN of the holder's card,
 * through the first SMSC bound, GSM 7-bit when the text fits it, else UCS2 (Vietnamese), split into concatenated
 * parts. Fire and forget: the outcome is logged (DNOTIFY... DOTAD), never retried. The text may carry a one-time
 * PIN: it is never logged, and wiped after it is handed to the SMSC.
 */
#pragma once
#include <stdbool.h>

/*! Send \a text (UTF-8) to holder \a holder's card. \a secret: the text holds a secret (not logged).
 *  \returns 0 (handed to the SMSC); -ENOENT (no card with an MSISDN for the holder); -ENOTCONN (no SMSC bound);
 *  -EINVAL; -EIO */
int otad_notify_holder(const char *holder, const char *text, bool secret);
