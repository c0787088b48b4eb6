/* libFuzzer harness: joining SMS user data into a secured packet (lib/ota_sms.c), as simpki-otad does with the
 * deliver_sm that carry a PoR. The input is cut into up to 8 pieces at 0xFF 0xFF markers; each is one SMS's user
 * data. Checked: the joined packet starts 02 7x 00 and fits the buffer; splitting it again and joining the parts
 * gives the same bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/ota_sms.h>

#include "fuzz.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-ota-sms: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[8 * 256], again[8 * 256];
	static struct ota_sms_part parts[OTA_SMS_MAX_PARTS];
	const uint8_t *ud[8], *pud[OTA_SMS_MAX_PARTS];
	size_t len[8], plen[OTA_SMS_MAX_PARTS], n = 0, start = 0, out_len, again_len;
	int np;

	for (size_t i = 0; i <= size && n < 8; i++) {
		if (i == size || (i + 1 < size && data[i] == 0xff && data[i + 1] == 0xff)) {
			ud[n] = data + start;
			len[n++] = i - start;
			start = i + 2;
			i++;
		}
	}
	if (ota_sms_join(ud, len, n, out, sizeof(out), &out_len))
		return 0;
	if (out_len < 3 || out[0] != 0x02 || (out[1] != 0x70 && out[1] != 0x71) || out[2] || out_len > sizeof(out))
		die("a joined packet without 02 7x 00");
	np = ota_sms_split(out + 3, out_len - 3, out[1], 7, parts, OTA_SMS_MAX_PARTS);
	if (np < 0)
		return 0;
	for (int i = 0; i < np; i++) {
		pud[i] = parts[i].ud;
		plen[i] = parts[i].len;
	}
	if (ota_sms_join(pud, plen, (size_t)np, again, sizeof(again), &again_len) || again_len != out_len ||
	    memcmp(again, out, out_len))
		die("split and joined again, it differs");
	return 0;
}
