/* libFuzzer harness: what a simulated phone reads in the MSC's PAGING, LOCATION UPDATING ACCEPT and TMSI
 * REALLOCATION COMMAND (simulator/phone/phone_l3.c). The first input byte picks the message, the rest is its body.
 * Checked: results are 0/1 or -EBADMSG, an IMSI found is 6 to 15 digits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "phone_l3.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-phone-l3: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char imsi[16];
	uint32_t tmsi;
	int rc;

	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		rc = phone_l3_paging_imsi(data + 1, size - 1, imsi);
		if (rc == 0 && (strlen(imsi) < 1 || strlen(imsi) > 15 || strspn(imsi, "0123456789") != strlen(imsi)))
			die("a bad IMSI accepted");
		break;
	case 1:
		rc = phone_l3_lu_accept_tmsi(data + 1, size - 1, &tmsi);
		if (rc != 0 && rc != 1 && rc != -EBADMSG)
			die("an unexpected result");
		break;
	default:
		rc = phone_l3_tmsi_realloc(data + 1, size - 1, &tmsi);
		if (rc != 0 && rc != -EBADMSG)
			die("an unexpected result");
	}
	return 0;
}
