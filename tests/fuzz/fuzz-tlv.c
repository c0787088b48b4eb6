/* libFuzzer harness for the BER-TLV parser.
 *
 * The input is walked sibling by sibling with ber_tlv_parse(), and recursively into the value of every constructed
 * object (first tag byte with bit 6 set) up to MAX_DEPTH levels. Each parsed object must lie inside the buffer it
 * was parsed from (its value bytes are read, so the sanitizers see any overrun), have a 2..7 byte header, and
 * survive re-encoding its header with tlv_put_header(). tlv_check() must agree with the walk, and tlv_find() for
 * a few tags must return the first sibling with that tag, -ENOENT after a clean walk, or -EINVAL where the walk
 * broke off. A broken property abort()s.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/tlv.h>

#include "fuzz.h"

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                 \
		}                                                                                \
	} while (0)

#define MAX_DEPTH 8
#define MAX_SIBLINGS 1024

static const uint32_t find_tags[] = { 0x80, 0x81, 0x84, 0x86, 0x87, 0x6f, 0x62, 0x7f49, 0x5f2d, 0x9f7f, 0xdf8001 };

/* The siblings of one level as the walk found them. */
struct walk {
	size_t n;
	bool complete;	/* every byte was consumed by well-formed siblings */
	bool truncated; /* more than MAX_SIBLINGS: the walk stopped early and proves nothing about the rest */
	struct tlv obj[MAX_SIBLINGS];
};

/* One per nesting level: check_level() at depth d uses walks[d] while it recurses into d + 1. */
static struct walk walks[MAX_DEPTH + 1];

static volatile uint8_t sink;

static void check_object(const uint8_t *buf, size_t len, const struct tlv *t)
{
	uint8_t hdr[7], *again;
	size_t hlen = t->total - t->len;
	struct tlv u;
	uint8_t x = 0;
	int n;

	CHECK(t->total <= len && t->len <= t->total);
	CHECK(hlen >= 2 && hlen <= 7);
	CHECK(t->tag <= 0xffffff);
	if (t->len) {
		CHECK(t->value == buf + hlen);
	} else {
		CHECK(!t->value);
	}
	for (size_t i = 0; i < t->len; i++)
		x ^= t->value[i];
	sink = x;

	/* The header re-encoded in its shortest form, with the same value, parses to the same object. */
	n = tlv_put_header(hdr, sizeof(hdr), t->tag, t->len);
	CHECK(n >= 2 && (size_t)n <= hlen);
	again = malloc((size_t)n + t->len);
	CHECK(again);
	memcpy(again, hdr, (size_t)n);
	if (t->len)
		memcpy(again + n, t->value, t->len);
	CHECK(!ber_tlv_parse(again, (size_t)n + t->len, &u));
	CHECK(u.tag == t->tag && u.len == t->len && u.total == (size_t)n + t->len);
	free(again);
	/* One byte too few for the header must be refused. */
	CHECK(tlv_put_header(hdr, (size_t)n - 1, t->tag, t->len) == -E2BIG);
}

static void walk_level(const uint8_t *buf, size_t len, unsigned depth, struct walk *w);

static void check_level(const uint8_t *buf, size_t len, unsigned depth)
{
	struct walk *w = &walks[depth];
	struct tlv t;

	walk_level(buf, len, depth, w);
	if (!w->truncated)
		CHECK((tlv_check(buf, len) == 0) == w->complete);
	for (size_t i = 0; i < sizeof(find_tags) / sizeof(find_tags[0]); i++) {
		int rc = tlv_find(buf, len, find_tags[i], &t);
		size_t k;

		for (k = 0; k < w->n && w->obj[k].tag != find_tags[i]; k++)
			;
		if (k < w->n) {
			CHECK(rc == 0);
			CHECK(t.tag == w->obj[k].tag && t.len == w->obj[k].len && t.total == w->obj[k].total);
			CHECK(t.value == w->obj[k].value);
		} else if (w->complete) {
			CHECK(rc == -ENOENT);
		} else if (!w->truncated) {
			CHECK(rc == -EINVAL);
		}
	}
}

static void walk_level(const uint8_t *buf, size_t len, unsigned depth, struct walk *w)
{
	size_t pos = 0;
	struct tlv t;

	w->n = 0;
	w->complete = false;
	w->truncated = false;
	while (pos < len) {
		if (ber_tlv_parse(buf + pos, len - pos, &t))
			return;
		check_object(buf + pos, len - pos, &t);
		CHECK(t.total > 0);
		if (w->n == MAX_SIBLINGS) {
			w->truncated = true;
			return;
		}
		w->obj[w->n++] = t;
		if ((buf[pos] & 0x20) && depth < MAX_DEPTH)
			check_level(t.value, t.len, depth + 1);
		pos += t.total;
	}
	w->complete = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlv t;

	check_level(data, size, 0);
	/* A single object at the start, as callers parse a template. */
	if (!ber_tlv_parse(data, size, &t))
		check_object(data, size, &t);
	return 0;
}
