/* libFuzzer harness: the body of POST /v1/holders/{id}/pin-reset (api_pin_reset_parse(), ota-server/api_parse.c).
 * Checked: an accepted body gives an identity number of 1 to 64 printable ASCII characters and a mode 0 or 1; a
 * refusal has a message and leaves the identity number empty. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "fuzz.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-pin-reset: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char idn[65], err[256];
	int mode = -1;
	size_t n;

	err[0] = 0;
	if (api_pin_reset_parse((const char *)data, size, idn, &mode, err, sizeof(err))) {
		if (!err[0] || idn[0])
			die("a refusal without a message, or with an identity number");
		return 0;
	}
	n = strlen(idn);
	if (n < 1 || n > 64 || (mode != 0 && mode != 1))
		die("an accepted body out of bounds");
	for (size_t i = 0; i < n; i++)
		if (idn[i] < 0x20 || idn[i] > 0x7e)
			die("an identity number not printable ASCII");
	return 0;
}
