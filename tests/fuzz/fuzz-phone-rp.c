/* libFuzzer harness: RP messages as a simulated phone receives them from the MSC (simulator/phone/phone_rp.c), and the
 * TP-PID of the SMS-DELIVER they carry. Checked: what parses stays inside the input, addresses and user data
 * within their bounds; an error is -EBADMSG or -ENOTSUP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "phone_rp.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-phone-rp: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phone_rp rp;
	int rc = phone_rp_parse(data, size, &rp);

	if (rc) {
		if (rc != -EBADMSG && rc != -ENOTSUP)
			die("an unexpected error");
		return 0;
	}
	if (rp.oa_len > PHONE_RP_ADDR_MAX || rp.ud_len > PHONE_RP_UD_MAX)
		die("a field beyond its bound");
	if (rp.ud && (rp.ud < data || rp.ud + rp.ud_len > data + size))
		die("user data outside the input");
	if (rp.ud) {
		rc = phone_rp_deliver_pid(rp.ud, rp.ud_len);
		if (rc < -EBADMSG || rc > 255 || (rc < 0 && rc != -EBADMSG))
			die("a bad TP-PID result");
	}
	return 0;
}
