/* libFuzzer harness: SCP81's HTTP messages (include/simpki/scp81.h) as the RAS reads a card's request and the card
 * reads the RAS's response. Input: byte 0 bit 0 chooses a response (1) or a request (0); byte 1 seeds the sizes of
 * the pieces the rest is fed in (0: all at once; else 1..32 bytes, varying). Properties:
 *  - the answer, the bytes taken and the message do not depend on how the input was cut;
 *  - the parser takes nothing after a complete message or an error, and repeats its answer;
 *  - a complete message is within its bounds (strings terminated, body <= SCP81_HTTP_BODY_MAX);
 *  - what the builders make from a parsed message (when they accept it) parses back to the same fields.
 * A broken property abort()s.
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

static struct scp81_http_parser whole, cut, back;
static uint8_t msg[2 * SCP81_HTTP_BODY_MAX + 4096];

/* Feed \a d in pieces of sizes from \a seed. \returns the last answer; *taken: the bytes taken */
static int feed(struct scp81_http_parser *p, const uint8_t *d, size_t len, uint8_t seed, size_t *taken)
{
	size_t pos = 0, used, n;
	unsigned x = seed;
	int rc = 0;

	while (pos < len) {
		x = x * 1103515245u + 12345u;
		n = seed ? 1 + (x >> 16) % 32 : len;
		if (n > len - pos)
			n = len - pos;
		rc = scp81_http_parse(p, d + pos, n, &used);
		CHECK(used <= n);
		pos += used;
		if (rc)
			break;
		CHECK(used == n);
	}
	*taken = pos;
	return rc;
}

static void check_bounds(const struct scp81_http_msg *m)
{
	CHECK(m->body_len <= SCP81_HTTP_BODY_MAX);
	CHECK(memchr(m->method, 0, sizeof(m->method)) && memchr(m->target, 0, sizeof(m->target)));
	CHECK(memchr(m->host, 0, sizeof(m->host)) && memchr(m->from, 0, sizeof(m->from)));
	CHECK(memchr(m->next_uri, 0, sizeof(m->next_uri)) && memchr(m->content_type, 0, sizeof(m->content_type)));
	CHECK(m->target_aid_len == 0 || (m->target_aid_len >= 5 && m->target_aid_len <= SCP81_AID_MAX));
	CHECK(!m->response || (m->status >= 100 && m->status <= 599));
	CHECK(m->response || m->target[0] == '/');
}

/* Parse \a len bytes of msg[] whole; it must be one complete message. */
static const struct scp81_http_msg *parse_back(size_t len, bool response)
{
	size_t used;

	scp81_http_parser_init(&back, response);
	CHECK(scp81_http_parse(&back, msg, len, &used) == 1 && used == len);
	return &back.msg;
}

static void rebuild_request(const struct scp81_http_msg *m)
{
	const struct scp81_post post = { .uri = m->target,
					 .host = m->host,
					 .agent_id = m->from,
					 .resume = m->resume,
					 .status = m->script_status,
					 .body_len = m->body_len };
	const struct scp81_http_msg *b;
	int n = scp81_http_post_head(&post, (char *)msg, sizeof(msg));

	if (n < 0) {
		CHECK(n == -EINVAL);
		return;
	}
	memcpy(msg + n, m->body, m->body_len);
	b = parse_back((size_t)n + m->body_len, false);
	CHECK(!strcmp(b->method, "POST") && !strcmp(b->target, m->target) && !strcmp(b->host, m->host));
	CHECK(!strcmp(b->from, m->from) && b->resume == m->resume && b->script_status == m->script_status);
	CHECK(b->protocol_ok && b->body_len == m->body_len && !memcmp(b->body, m->body, m->body_len));
}

static void rebuild_response(const struct scp81_http_msg *m)
{
	const struct scp81_reply r = { .status = m->status,
				       .next_uri = m->next_uri,
				       .aid = m->target_aid_len ? m->target_aid : NULL,
				       .aid_len = m->target_aid_len,
				       .body_len = m->body_len,
				       .chunked = m->chunked };
	const struct scp81_http_msg *b;
	size_t len, off = 0;
	int n = scp81_http_reply_head(&r, (char *)msg, sizeof(msg)), k;

	if (n < 0) {
		CHECK(n == -EINVAL);
		return;
	}
	len = (size_t)n;
	if (m->status == 200) {
		if (m->chunked) {
			/* pieces of 1..256 bytes, from the body itself */
			while (off < m->body_len) {
				size_t c = 1 + m->body[off];

				if (c > m->body_len - off)
					c = m->body_len - off;
				k = scp81_http_chunk(m->body + off, c, msg + len, sizeof(msg) - len);
				CHECK(k > 0);
				len += (size_t)k;
				off += c;
			}
			k = scp81_http_chunk(NULL, 0, msg + len, sizeof(msg) - len);
			CHECK(k == 5);
			len += (size_t)k;
		} else {
			memcpy(msg + len, m->body, m->body_len);
			len += m->body_len;
		}
	}
	b = parse_back(len, true);
	CHECK(b->status == m->status && b->protocol_ok);
	if (m->status != 200)
		return;
	CHECK(!strcmp(b->next_uri, m->next_uri) && !strcmp(b->content_type, SCP81_CT_SCRIPT));
	CHECK(b->target_aid_len == m->target_aid_len && !memcmp(b->target_aid, m->target_aid, m->target_aid_len));
	CHECK(b->chunked == m->chunked && b->body_len == m->body_len && !memcmp(b->body, m->body, m->body_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t taken_whole, taken_cut, used;
	bool response;
	int rc, rc2;

	if (size < 2)
		return 0;
	response = data[0] & 1;
	scp81_http_parser_init(&whole, response);
	scp81_http_parser_init(&cut, response);
	rc = feed(&whole, data + 2, size - 2, 0, &taken_whole);
	rc2 = feed(&cut, data + 2, size - 2, data[1], &taken_cut);
	CHECK(rc == 0 || rc == 1 || rc == -EBADMSG || rc == -E2BIG || rc == -ENOTSUP);
	CHECK(rc == rc2);
	if (rc >= 0) {
		CHECK(taken_whole == taken_cut);
		CHECK(!memcmp(&whole.msg, &cut.msg, sizeof(whole.msg)));
	}
	if (rc) {
		CHECK(scp81_http_parse(&whole, (const uint8_t *)"\r\n", 2, &used) == rc && used == 0);
		if (rc < 0) {
			unsigned st = scp81_http_error_status(rc, &whole);

			CHECK(st == 400 || st == 413 || st == 501 || st == 505);
		}
	}
	if (rc != 1)
		return 0;
	check_bounds(&whole.msg);
	if (response)
		rebuild_response(&whole.msg);
	else
		rebuild_request(&whole.msg);
	return 0;
}
