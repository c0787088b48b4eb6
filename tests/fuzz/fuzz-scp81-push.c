/* libFuzzer harness: the SCP81 push (include/simpki/scp81.h) as the card's admin agent reads it. What decodes must
 * encode (every decoded value is within the encoder's bounds), and the encoding must decode to the same struct and
 * encode again to the same bytes (the encoder's form is canonical). The input is also taken as a struct whose
 * strings may be unterminated or out of bounds: the encoder must stay inside it, and what it encodes must decode
 * and encode back to the same bytes. A broken property abort()s.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/scp81.h>

#include "fuzz.h"

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                 \
		}                                                                                \
	} while (0)

/* Encode \a p; if it encodes, the bytes decode to a struct that encodes to the same bytes. */
static void encode_checked(const struct scp81_push *p, bool must)
{
	static uint8_t enc[1024], again[1024];
	struct scp81_push q;
	int n, m;

	n = scp81_push_encode(p, enc, sizeof(enc));
	CHECK(!must || n > 0);
	if (n < 0) {
		CHECK(n == -EINVAL || n == -E2BIG);
		return;
	}
	CHECK(scp81_push_decode(enc, (size_t)n, &q) == 0);
	if (must)
		CHECK(!memcmp(p, &q, sizeof(q)));
	CHECK(q.psk_id[SCP81_PSK_ID_MAX] == '\0' && q.host[SCP81_HOST_MAX] == '\0');
	CHECK(q.agent_id[SCP81_AGENT_MAX] == '\0' && q.uri[SCP81_URI_MAX] == '\0');
	CHECK(!q.has_security || scp81_psk_id_ok(q.psk_id));
	m = scp81_push_encode(&q, again, sizeof(again));
	CHECK(m == n && !memcmp(enc, again, (size_t)n));
	/* a buffer one byte short is refused, never filled with a cut push */
	CHECK(scp81_push_encode(&q, again, (size_t)n - 1) == -E2BIG);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scp81_push p;
	int rc;

	rc = scp81_push_decode(data, size, &p);
	CHECK(rc == 0 || rc == -EBADMSG);
	if (!rc)
		encode_checked(&p, true);
	if (size >= sizeof(p)) {
		memcpy(&p, data, sizeof(p));
		/* only 0 and 1 are values of a bool */
		p.use_defaults = *(const uint8_t *)&p.use_defaults & 1;
		p.has_conn = *(const uint8_t *)&p.has_conn & 1;
		p.has_security = *(const uint8_t *)&p.has_security & 1;
		p.has_retry = *(const uint8_t *)&p.has_retry & 1;
		p.has_http = *(const uint8_t *)&p.has_http & 1;
		encode_checked(&p, false);
	}
	return 0;
}
