/* libFuzzer harness: a card vendor's CSV as simpki-otad reads it (ota-server/card_import.c): the header, then every
 * line. Checked: line splitting stays inside the input; a parsed row has an ICCID of 18 to 20 digits, IMSI and
 * MSISDN of digits, KVN 1..15, key lengths its algorithm allows; a refused line has a reason. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_import.h"
#include "fuzz.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-card-import: %s\n", what);
	abort();
}

static bool key_ok(enum card_import_algo a, uint8_t n)
{
	return a == CARD_IMPORT_AES ? n == 16 || n == 24 || n == 32 : n == 16 || n == 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *line;
	size_t off = 0, len;
	int with_kik = -1;

	while (card_import_next_line(buf, size, &off, &line, &len)) {
		struct card_import_row r;
		char why[CARD_IMPORT_REASON_MAX];

		if (line < buf || line + len > buf + size || off > size)
			die("a line outside the input");
		if (with_kik < 0) {
			with_kik = card_import_header(line, len);
			if (with_kik < 0)
				with_kik = 0; /* go on parsing lines anyway */
			continue;
		}
		why[0] = 0;
		if (card_import_line(line, len, with_kik, &r, why, sizeof(why))) {
			if (!why[0])
				die("a refusal without a reason");
			continue;
		}
		if (strlen(r.iccid) < 18 || strlen(r.iccid) > 20 || strlen(r.imsi) < 6 || !r.msisdn[0] || r.kvn < 1 ||
		    r.kvn > 15 || !key_ok(r.kic_algo, r.kic_len) || !key_ok(r.kid_algo, r.kid_len) || r.kik_len > 32)
			die("a bad row accepted");
	}
	return 0;
}
