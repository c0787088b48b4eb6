/* ICCID, IMSI and MSISDN checks; the rules are in include/simpki/ident.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <simpki/ident.h>

bool ident_digits(const char *s, size_t min, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

char ident_luhn_digit(const char *s, size_t n)
{
	unsigned sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[n - 1 - i] - '0');

		if (i % 2 == 0)
			d = d * 2 > 9 ? d * 2 - 9 : d * 2;
		sum += d;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

int ident_iccid_check(const char *iccid, char *err, size_t errlen)
{
	size_t n;

	if (!ident_digits(iccid, 18, 20)) {
		snprintf(err, errlen, "ICCID must be 18 to 20 digits");
		return -EINVAL;
	}
	n = strlen(iccid);
	if (ident_luhn_digit(iccid, n - 1) != iccid[n - 1]) {
		snprintf(err, errlen, "ICCID check digit is wrong: %.*s%c would be valid", (int)(n - 1), iccid,
			 ident_luhn_digit(iccid, n - 1));
		return -EINVAL;
	}
	return 0;
}
