/* Subscriber identities as SIM vendors and operators write them (ITU-T E.118, 3GPP TS 23.003): ICCID 18 to 20
 * digits whose last one is a Luhn check digit over the others; IMSI 6 to 15 digits; MSISDN 1 to 15 digits, the
 * international number without '+'. Strings are NUL-terminated. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/*! Whether \a s is \a min to \a max decimal digits and nothing else. */
bool ident_digits(const char *s, size_t min, size_t max);
/*! The Luhn check digit ('0'..'9') of the first \a n digits of \a s. */
char ident_luhn_digit(const char *s, size_t n);
/*! Check an ICCID. \returns 0; -EINVAL with \a err saying why (and, for a wrong check digit, the right one) */
int ident_iccid_check(const char *iccid, char *err, size_t errlen);
