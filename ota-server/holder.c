/* Certificate holders: the rules of each field, and CSV records (holder.h). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "holder.h"

bool holder_id_ok(const char *id)
{
	size_t n = strnlen(id, OTAD_HOLDER_ID_MAX + 1);

	return n >= 1 && n <= OTAD_HOLDER_ID_MAX &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int holder_utf8_chars(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str;
	int chars = 0;

	for (size_t i = 0; i < len; chars++) {
		uint32_t cp;
		unsigned n;

		if (s[i] < 0x80) {
			cp = s[i];
			n = 1;
		} else if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			cp = s[i] & 0x1f;
			n = 2;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			cp = s[i] & 0x0f;
			n = 3;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			cp = s[i] & 0x07;
			n = 4;
		} else {
			return -EINVAL; /* a continuation byte first, C0/C1 (overlong), or F5..FF */
		}
		if (i + n > len)
			return -EINVAL;
		for (unsigned k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return -EINVAL;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return -EINVAL; /* overlong, beyond Unicode, a surrogate */
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return -EINVAL; /* control characters */
		i += n;
	}
	return chars;
}

static bool email_local_ok(const char *s, size_t n)
{
	if (n < 1 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && !strchr("!#$%&'*+/=?^_`{|}~.-", s[i]))
			return false;
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

static bool email_domain_ok(const char *s, size_t n)
{
	unsigned labels = 0;
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!isalnum((unsigned char)s[i]) && s[i] != '-')
				return false;
			continue;
		}
		if (i - start < 1 || i - start > 63 || s[start] == '-' || s[i - 1] == '-')
			return false;
		labels++;
		start = i + 1;
	}
	return labels >= 2;
}

bool holder_email_ok(const char *email)
{
	size_t n = strnlen(email, OTAD_HOLDER_EMAIL_MAX + 1);
	const char *at = memchr(email, '@', n);

	if (n > OTAD_HOLDER_EMAIL_MAX || !at || memchr(at + 1, '@', n - (size_t)(at - email) - 1))
		return false;
	return email_local_ok(email, (size_t)(at - email)) && email_domain_ok(at + 1, n - (size_t)(at - email) - 1);
}

int holder_check(const struct otad_holder *h, char *err, size_t errlen)
{
	size_t n = strnlen(h->name, sizeof(h->name));
	int chars = holder_utf8_chars(h->name, n);

	if (!holder_id_ok(h->id)) {
		snprintf(err, errlen, "id: 1 to %d of A-Z a-z 0-9 . _ -", OTAD_HOLDER_ID_MAX);
		return -EINVAL;
	}
	if (chars < 0) {
		snprintf(err, errlen, "name: not valid UTF-8 text (or it has control characters)");
		return -EINVAL;
	}
	if (chars < 1 || chars > OTAD_HOLDER_NAME_MAX || h->name[0] == ' ' || h->name[n - 1] == ' ') {
		snprintf(err, errlen, "name: 1 to %d characters, not beginning or ending with a space",
			 OTAD_HOLDER_NAME_MAX);
		return -EINVAL;
	}
	n = strnlen(h->id_number, sizeof(h->id_number));
	if (n < 1 || n > OTAD_HOLDER_ID_NUMBER_MAX ||
	    strspn(h->id_number, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != n) {
		snprintf(err, errlen, "id_number: 1 to %d letters and digits", OTAD_HOLDER_ID_NUMBER_MAX);
		return -EINVAL;
	}
	n = strnlen(h->unit, sizeof(h->unit));
	if (n < 1 || n > OTAD_UNIT_CODE_MAX || strspn(h->unit, "0123456789") != n) {
		snprintf(err, errlen, "unit: a unit code (1 to %d digits)", OTAD_UNIT_CODE_MAX);
		return -EINVAL;
	}
	if (h->email[0] && !holder_email_ok(h->email)) {
		snprintf(err, errlen, "email: not an address (LOCAL@DOMAIN.TLD, at most %d bytes)",
			 OTAD_HOLDER_EMAIL_MAX);
		return -EINVAL;
	}
	return 0;
}

/* ---- CSV records --------------------------------------------------------------------------------------------- */

#define FIELDS 5

/* Split a whole record into FIELDS fields (RFC 4180; "" in quotes is one quote) copied into \a buf, each
 * NUL-terminated. \returns the number of fields; -EINVAL with \a reason */
static int split(const char *rec, size_t len, char *buf, size_t buflen, char *f[FIELDS], char *reason, size_t rlen)
{
	size_t i = 0, o = 0;
	int n = 0;

	for (;;) {
		size_t col = i + 1, start = o;
		bool quoted = i < len && rec[i] == '"';

		if (n == FIELDS) {
			snprintf(reason, rlen, "more than %d fields", FIELDS);
			return -EINVAL;
		}
		if (quoted) {
			for (i++;; i++) {
				if (i >= len) {
					snprintf(reason, rlen, "field %d (column %zu): a quote is not closed", n + 1,
						 col);
					return -EINVAL;
				}
				if (rec[i] == '"') {
					if (i + 1 < len && rec[i + 1] == '"') {
						i++;
					} else {
						i++;
						break;
					}
				}
				if (o + 1 >= buflen)
					return -EINVAL;
				buf[o++] = rec[i];
			}
			if (i < len && rec[i] != ',') {
				snprintf(reason, rlen, "field %d (column %zu): text after the closing quote", n + 1,
					 i + 1);
				return -EINVAL;
			}
		} else {
			for (; i < len && rec[i] != ','; i++) {
				if (rec[i] == '"') {
					snprintf(reason, rlen,
						 "field %d (column %zu): a quote inside an unquoted field", n + 1,
						 i + 1);
					return -EINVAL;
				}
				if (o + 1 >= buflen)
					return -EINVAL;
				buf[o++] = rec[i];
			}
		}
		buf[o++] = 0;
		f[n++] = buf + start;
		if (o > start + 1 && (strchr(" \t", buf[start]) || strchr(" \t", buf[o - 2]))) {
			snprintf(reason, rlen, "field %d (column %zu): begins or ends with a space", n, col);
			return -EINVAL;
		}
		if (i >= len)
			return n;
		i++; /* the comma */
	}
}

int holder_csv_header(const char *rec, size_t len)
{
	static const char *const names[FIELDS] = { "id", "name", "id_number", "unit", "email" };
	char buf[CARD_IMPORT_LINE_MAX + 1], reason[80], *f[FIELDS];

	if (len >= 3 && !memcmp(rec, "\xef\xbb\xbf", 3)) {
		rec += 3;
		len -= 3;
	}
	if (len > CARD_IMPORT_LINE_MAX || split(rec, len, buf, sizeof(buf), f, reason, sizeof(reason)) != FIELDS)
		return -EINVAL;
	for (int i = 0; i < FIELDS; i++)
		if (strcmp(f[i], names[i]))
			return -EINVAL;
	return 0;
}

static int copy_field(char *dst, size_t dstlen, const char *src, const char *name, char *reason, size_t rlen)
{
	if (strlen(src) >= dstlen) {
		snprintf(reason, rlen, "%s: longer than %zu bytes", name, dstlen - 1);
		return -EINVAL;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

int holder_csv_line(const char *rec, size_t len, struct otad_holder *h, char *reason, size_t rlen)
{
	char buf[CARD_IMPORT_LINE_MAX + 1], *f[FIELDS];
	int n;

	memset(h, 0, sizeof(*h));
	if (len > CARD_IMPORT_LINE_MAX) {
		snprintf(reason, rlen, "longer than %d characters", CARD_IMPORT_LINE_MAX);
		return -EINVAL;
	}
	n = split(rec, len, buf, sizeof(buf), f, reason, rlen);
	if (n < 0)
		return -EINVAL;
	if (n != FIELDS) {
		snprintf(reason, rlen, "%d fields, expected %d (" HOLDER_CSV_HEADER ")", n, FIELDS);
		return -EINVAL;
	}
	if (copy_field(h->id, sizeof(h->id), f[0], "id", reason, rlen) ||
	    copy_field(h->name, sizeof(h->name), f[1], "name", reason, rlen) ||
	    copy_field(h->id_number, sizeof(h->id_number), f[2], "id_number", reason, rlen) ||
	    copy_field(h->unit, sizeof(h->unit), f[3], "unit", reason, rlen) ||
	    copy_field(h->email, sizeof(h->email), f[4], "email", reason, rlen))
		return -EINVAL;
	return holder_check(h, reason, rlen);
}
