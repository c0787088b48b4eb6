/* Scenario files of simulated phones; format in phone_scenario.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phone_scenario.h"

#define LINE_MAX_CHARS 256
#define MAX_FIELDS 16

static const struct phone_user default_user = {
	.answer = PHONE_ANSWER_APPROVE, .pin = { "1234" }, .npins = 1, .delay_ms = 1000, .timeout_ms = 60000
};

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!errlen)
		return -EINVAL;
	n = snprintf(err, errlen, "scenario line %u: ", line);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Seconds with up to 3 decimals, 0..3600, into milliseconds. */
static int parse_seconds(const char *s, uint32_t *ms)
{
	unsigned long whole = 0, frac = 0, scale = 1000;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		whole = whole * 10 + (unsigned long)(*p++ - '0');
		if (whole > 3600)
			return -EINVAL;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			if (scale == 1)
				return -EINVAL; /* more than 3 decimals */
			scale /= 10;
			frac += (unsigned long)(*p++ - '0') * scale;
		}
	}
	if (*p || whole * 1000 + frac > 3600 * 1000)
		return -EINVAL;
	*ms = (uint32_t)(whole * 1000 + frac);
	return 0;
}

/* "on", "off" or "drop-send N" (the fields from \a f, \a nf of them). \returns 0; -EINVAL */
static int parse_bip(char **f, unsigned nf, struct phone_user *u)
{
	unsigned long n;
	char *end;

	u->bip_off = false;
	u->bip_drop_send = 0;
	if (!strcmp(f[0], "on"))
		return 0;
	if (!strcmp(f[0], "off")) {
		u->bip_off = true;
		return 0;
	}
	if (strcmp(f[0], "drop-send") || nf < 2 || f[1][0] < '0' || f[1][0] > '9')
		return -EINVAL;
	n = strtoul(f[1], &end, 10);
	if (*end || !n || n > 65535)
		return -EINVAL;
	u->bip_drop_send = (unsigned)n;
	return 0;
}

static int parse_keys(char **f, unsigned nf, struct phone_user *u, unsigned line, char *err, size_t errlen)
{
	unsigned seen = 0;

	for (unsigned i = 0; i < nf;) {
		const char *k = f[i];
		unsigned bit;

		if (!strcmp(k, "answer"))
			bit = 1;
		else if (!strcmp(k, "pin"))
			bit = 2;
		else if (!strcmp(k, "delay"))
			bit = 4;
		else if (!strcmp(k, "off"))
			bit = 8;
		else if (!strcmp(k, "timeout"))
			bit = 16;
		else if (!strcmp(k, "bip"))
			bit = 32;
		else
			return fail(err, errlen, line, "unknown key '%s'", k);
		if (seen & bit)
			return fail(err, errlen, line, "'%s' given twice", k);
		seen |= bit;
		if (i + 1 >= nf || (bit == 8 && i + 2 >= nf))
			return fail(err, errlen, line, "'%s' needs a value", k);
		if (bit == 32) {
			if (parse_bip(f + i + 1, nf - i - 1, u))
				return fail(err, errlen, line, "bip is on, off or drop-send N (1 to 65535)");
			i += u->bip_drop_send ? 3 : 2;
			continue;
		}
		if (bit == 1) {
			if (!strcmp(f[i + 1], "approve"))
				u->answer = PHONE_ANSWER_APPROVE;
			else if (!strcmp(f[i + 1], "reject"))
				u->answer = PHONE_ANSWER_REJECT;
			else if (!strcmp(f[i + 1], "none"))
				u->answer = PHONE_ANSWER_NONE;
			else
				return fail(err, errlen, line, "answer is approve, reject or none");
		} else if (bit == 2) {
			const char *p = f[i + 1];
			unsigned np = 0;

			for (;;) {
				size_t n = strcspn(p, ",");

				if (n > PHONE_PIN_MAX || strspn(p, "0123456789*#+") < n || np == PHONE_PINS_MAX)
					return fail(
						err, errlen, line,
						"pin is up to %d PINs separated by commas, each up to %d characters "
						"of 0-9 * # +",
						PHONE_PINS_MAX, PHONE_PIN_MAX);
				memcpy(u->pin[np], p, n);
				u->pin[np++][n] = '\0';
				if (!p[n])
					break;
				p += n + 1;
			}
			u->npins = np;
		} else if (bit == 16) {
			if (parse_seconds(f[i + 1], &u->timeout_ms) || !u->timeout_ms)
				return fail(err, errlen, line,
					    "timeout is seconds, above 0 up to 3600, up to 3 decimals");
		} else if (bit == 4) {
			if (parse_seconds(f[i + 1], &u->delay_ms))
				return fail(err, errlen, line, "delay is seconds, 0 to 3600, up to 3 decimals");
		} else {
			if (parse_seconds(f[i + 1], &u->off_at_ms) || parse_seconds(f[i + 2], &u->off_for_ms) ||
			    !u->off_for_ms)
				return fail(err, errlen, line, "off takes AT and FOR seconds (FOR above 0)");
			u->has_off = true;
			i++;
		}
		i += 2;
	}
	return 0;
}

void phone_scenario_init(struct phone_scenario *s)
{
	s->def = default_user;
	s->n = 0;
}

static int parse_line(char *l, struct phone_scenario *s, unsigned line, bool *seen_default, char *err, size_t errlen)
{
	char *f[MAX_FIELDS], *save = NULL;
	unsigned nf = 0;
	size_t n;

	for (char *t = strtok_r(l, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (nf == MAX_FIELDS)
			return fail(err, errlen, line, "too many fields");
		f[nf++] = t;
	}
	if (!nf || f[0][0] == '#')
		return 0;
	if (!strcmp(f[0], "default")) {
		if (*seen_default)
			return fail(err, errlen, line, "default given twice");
		*seen_default = true;
		return parse_keys(f + 1, nf - 1, &s->def, line, err, errlen);
	}
	if (strcmp(f[0], "phone"))
		return fail(err, errlen, line, "unknown directive '%s'", f[0]);
	if (nf < 2 || (n = strlen(f[1])) < 6 || n > 15 || strspn(f[1], "0123456789") != n)
		return fail(err, errlen, line, "phone needs an IMSI of 6 to 15 digits");
	for (unsigned i = 0; i < s->n; i++) {
		if (!strcmp(s->phones[i].imsi, f[1]))
			return fail(err, errlen, line, "phone %s given twice", f[1]);
	}
	if (s->n == PHONE_SCENARIO_MAX)
		return fail(err, errlen, line, "more than %d phones", PHONE_SCENARIO_MAX);
	memcpy(s->phones[s->n].imsi, f[1], n + 1);
	s->phones[s->n].user = s->def; /* keys not given: the defaults as they stand on this line */
	if (parse_keys(f + 2, nf - 2, &s->phones[s->n].user, line, err, errlen))
		return -EINVAL;
	s->n++;
	return 0;
}

int phone_scenario_parse(const char *text, struct phone_scenario *s, char *err, size_t errlen)
{
	char buf[LINE_MAX_CHARS + 1];
	unsigned line = 0;
	bool seen_default = false;

	phone_scenario_init(s);
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);

		line++;
		if (len > LINE_MAX_CHARS)
			return fail(err, errlen, line, "longer than %d characters", LINE_MAX_CHARS);
		memcpy(buf, text, len);
		buf[len] = '\0';
		if (parse_line(buf, s, line, &seen_default, err, errlen))
			return -EINVAL;
		text += len + (nl ? 1 : 0);
	}
	return 0;
}

const struct phone_user *phone_scenario_user(const struct phone_scenario *s, const char *imsi)
{
	for (unsigned i = 0; i < s->n; i++) {
		if (!strcmp(s->phones[i].imsi, imsi))
			return &s->phones[i].user;
	}
	return &s->def;
}

const char *phone_user_pin(const struct phone_user *u, unsigned n)
{
	if (!u->npins)
		return "";
	return u->pin[n < u->npins ? n : u->npins - 1];
}
