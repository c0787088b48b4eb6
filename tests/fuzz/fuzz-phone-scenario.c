/* libFuzzer harness: simpki-phone's scenario files (simulator/phone/phone_scenario.c). The input, as text, is parsed;
 * checked: the error message stays in its buffer and names a line; a scenario that parses has at most
 * PHONE_SCENARIO_MAX phones, PINs within their length, delays within 3600 s, and every phone is found again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "phone_scenario.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-phone-scenario: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct phone_scenario s;
	char *text = malloc(size + 1), err[64];

	if (!text)
		die("out of memory");
	memcpy(text, data, size);
	text[size] = '\0';
	if (phone_scenario_parse(text, &s, err, sizeof(err))) {
		if (strnlen(err, sizeof(err)) == sizeof(err) || strncmp(err, "scenario line ", 14))
			die("an error that does not name its line");
	} else {
		if (s.n > PHONE_SCENARIO_MAX)
			die("too many phones");
		for (unsigned i = 0; i < s.n; i++) {
			const struct phone_user *u = phone_scenario_user(&s, s.phones[i].imsi);

			if (u != &s.phones[i].user || !u->npins || u->npins > PHONE_PINS_MAX ||
			    strlen(phone_user_pin(u, 0)) > PHONE_PIN_MAX || u->delay_ms > 3600000 || !u->timeout_ms)
				die("a phone's user out of range");
		}
	}
	free(text);
	return 0;
}
