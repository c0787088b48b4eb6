/* libFuzzer harness: simpki-tool's PKCS#15 parsers (pcsc-tools/pkcs15.c) on a directory file read from a card.
 *
 * The input is parsed as an ODF and as a PrKDF/PuKDF/CDF. Checked: parsing never reads outside the input (the
 * sanitizers see to that), p15_used() stays within it, and every object parsed encodes again, as a private key,
 * a public key and a certificate, into something that parses back to the same id, type, path and label. A
 * broken property calls abort().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include <simpki/pkcs15.h>

static void die(const char *what)
{
	fprintf(stderr, "fuzz-pkcs15: %s\n", what);
	abort();
}

static void same(const struct p15_object *a, const struct p15_object *b, enum p15_keytype type)
{
	if (b->type != type || a->id_len != b->id_len || memcmp(a->id, b->id, a->id_len) ||
	    a->path.len != b->path.len || memcmp(a->path.b, b->path.b, a->path.len) || strcmp(a->label, b->label))
		die("an object does not survive encoding and parsing again");
}

static void round_trip(const struct p15_object *o)
{
	int (*const enc[])(const struct p15_object *, uint8_t *,
			   size_t) = { p15_encode_private_key, p15_encode_public_key, p15_encode_certificate };
	uint8_t buf[1024];
	struct p15_object back[2];
	size_t n;

	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		int len = enc[i](o, buf, sizeof(buf));

		if (len < 0)
			die("an object that parsed does not encode");
		if (p15_parse_df(buf, (size_t)len, back, 2, &n) || n != 1)
			die("an encoded object does not parse");
		same(o, &back[0], i == 2 ? P15_RSA : o->type);
		if (i == 0 && o->key_ref >= 0 && back[0].key_ref != o->key_ref)
			die("the key reference changed");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p15_object objs[P15_MAX_OBJECTS];
	struct p15_odf odf;
	size_t n = 0;

	p15_parse_odf(data, size, &odf);
	if (p15_used(data, size) > size)
		die("p15_used past the end");
	p15_parse_df(data, size, objs, P15_MAX_OBJECTS, &n);
	if (n > P15_MAX_OBJECTS)
		die("more objects than room");
	for (size_t i = 0; i < n; i++)
		round_trip(&objs[i]);
	return 0;
}
