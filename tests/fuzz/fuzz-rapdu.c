/* libFuzzer harness: remote APDU scripts and responses (TS 102 226) as they arrive in a deciphered secured packet
 * or a PoR. The input is walked as a compact script (with a fixed case table), parsed as an expanded script and
 * decoded as a response. Checked: no read outside the input, every command's data lies inside it, and an expanded
 * script that parses encodes again into one that parses to the same commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/rapdu.h>

#include "fuzz.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-rapdu: %s\n", what);
	abort();
}

static int case_of(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2)
{
	(void)cla, (void)p1, (void)p2;
	return ins == 0xb0 || ins == 0xb2 || ins == 0xc0 || ins == 0xf2 ? 2 :
	       ins == 0xa4 || ins == 0xd6 || ins == 0xdc		? 3 :
									  0;
}

static void inside(const struct apdu_cmd *c, const uint8_t *data, size_t size)
{
	if (c->lc && (c->data < data || c->data + c->lc > data + size))
		die("command data outside the script");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct apdu_cmd cmds[RAPDU_MAX_COMMANDS], back[RAPDU_MAX_COMMANDS];
	static uint8_t enc[1 << 17];
	struct rapdu_summary s;
	struct apdu_cmd c;
	size_t pos = 0, n, m;
	int r, len;

	while ((r = rapdu_compact_next(data, size, &pos, case_of, &c)) == 1) {
		inside(&c, data, size);
		if (pos > size)
			die("compact walk past the end");
	}
	if (!rapdu_expanded_parse(data, size, cmds, RAPDU_MAX_COMMANDS, &n)) {
		for (size_t i = 0; i < n; i++)
			inside(&cmds[i], data, size);
		len = rapdu_expanded_encode(cmds, n, enc, sizeof(enc));
		if (len < 0 || rapdu_expanded_parse(enc, (size_t)len, back, RAPDU_MAX_COMMANDS, &m) || m != n)
			die("an expanded script does not survive encoding and parsing again");
		for (size_t i = 0; i < n; i++)
			if (back[i].ins != cmds[i].ins || back[i].lc != cmds[i].lc || back[i].ne != cmds[i].ne ||
			    (cmds[i].lc && memcmp(back[i].data, cmds[i].data, cmds[i].lc)))
				die("an expanded script's commands change on encoding again");
	}
	{
		struct rapdu_result all[8];
		size_t k;

		if (!rapdu_expanded_results(data, size, all, 8, &k))
			for (size_t i = 0; i < k; i++)
				if (all[i].data < data || all[i].data + all[i].len + 2 > data + size)
					die("an R-APDU outside the input");
	}
	if (!rapdu_response_decode(data, size, &s) && s.last_len &&
	    (s.last_data < data || s.last_data + s.last_len > data + size))
		die("response data outside the input");
	return 0;
}
