/* libFuzzer harness: SMS TPDUs and user data headers (lib/sms.c) as a card or a server receives them.
 *
 * The input is decoded as a TPDU (SMS-DELIVER or SMS-SUBMIT) and its user data header walked; the input is also
 * walked as bare user data. Checked: the user data and every IE lie inside the input; a decoded TPDU encodes
 * again and decodes to the same fields and user data; a concatenation IE found has 1 <= seq <= total.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/sms.h>

#include "fuzz.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-sms: %s\n", what);
	abort();
}

static void walk_udh(const uint8_t *ud, size_t udl, const uint8_t *lo, const uint8_t *hi)
{
	struct sms_ie ies[32];
	struct sms_concat cc;
	size_t n, hl;

	if (sms_udh_parse(ud, udl, ies, 32, &n, &hl))
		return;
	if (hl > udl)
		die("UDH longer than the user data");
	for (size_t i = 0; i < n; i++) {
		if (ies[i].len && (ies[i].data < lo || ies[i].data + ies[i].len > hi))
			die("an IE outside the input");
	}
	if (sms_udh_concat(ies, n, &cc) && (!cc.seq || cc.seq > cc.total))
		die("a concatenation IE out of range");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1), again[SMS_MAX_TPDU + 16];
	struct sms_tpdu t, u;
	int len;

	if (!copy)
		die("out of memory");
	memcpy(copy, data, size);
	walk_udh(copy, size, copy, copy + size);
	if (!sms_tpdu_decode(copy, size, &t)) {
		if (t.udl && (t.ud < copy || t.ud + t.udl > copy + size))
			die("user data outside the input");
		if (t.udhi)
			walk_udh(t.ud, t.udl, copy, copy + size);
		len = sms_tpdu_encode(&t, again, sizeof(again));
		if (len < 0)
			die("a decoded TPDU does not encode");
		if (sms_tpdu_decode(again, (size_t)len, &u) || u.submit != t.submit || u.udhi != t.udhi ||
		    u.pid != t.pid || u.dcs != t.dcs || u.udl != t.udl || memcmp(u.ud, t.ud, t.udl) ||
		    strcmp(u.addr.digits, t.addr.digits) || u.addr.ton_npi != t.addr.ton_npi)
			die("a TPDU does not survive encoding and decoding again");
	}
	free(copy);
	return 0;
}
