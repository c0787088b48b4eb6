/* libFuzzer harness: M3UA framing in a byte stream (simulator/net/m3ua_frame.h), as the SCTP shim reassembles
 * messages from TCP. The input's first byte picks a chunk size (1..64); the rest is the stream, fed in chunks
 * the way recv() could return it. Checked: a message is taken only when whole, never past its end nor past
 * M3UA_MAX; the bytes of every message taken equal the stream's at that place; a bad length ends the stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "m3ua_frame.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-m3ua-frame: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[M3UA_MAX];
	size_t chunk, pos = 1, have = 0, start = 1;

	if (!size)
		return 0;
	chunk = (size_t)(data[0] % 64) + 1;
	while (pos < size) {
		long want = m3ua_frame_want(buf, have);
		size_t n;

		if (want < 0)
			return 0; /* a length that is not M3UA's: the stream is given up */
		if (want < M3UA_HDR || want > M3UA_MAX || (size_t)want < have)
			die("want out of range");
		n = (size_t)want - have;
		if (n > chunk)
			n = chunk;
		if (n > size - pos)
			n = size - pos;
		memcpy(buf + have, data + pos, n);
		have += n;
		pos += n;
		if (have == (size_t)want && m3ua_frame_want(buf, have) == want) {
			if (memcmp(buf, data + start, have))
				die("a message differs from the stream");
			start += have;
			have = 0;
		}
	}
	return 0;
}
