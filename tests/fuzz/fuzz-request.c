/* libFuzzer harness: what the requests read from outside (ota-server/request/request_parse.c): POST /v1/requests's
 * body, a rejection's body, and GET /v1/requests's query (its parameters as "key=value" lines). The first byte
 * picks the parser; the rest is the input. Checked: an accepted body has a kind, exactly one of holders (1 to
 * 10,000, each a holder id, none twice) and unit (digits), at most 32 documents (at least one for a kind that
 * changes a certificate) each with 64 lower-case hex digits, a note of at most 500 bytes, a reason only for revoke,
 * an identity number for (and only for) a pin-reset of one holder; a refusal says why; an accepted reason is 1 to 500
 * bytes; an accepted query has a limit of 1 to 1000. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "fuzz.h"
#include "holder.h"
#include "request.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-request: %s\n", what);
	abort();
}

static void body(const char *s, size_t size)
{
	struct otad_request_body b;
	char err[300] = "";

	if (otad_request_parse(s, size, &b, err, sizeof(err))) {
		if (!err[0])
			die("a refused body without a message");
		if (b.holders)
			die("a refused body keeps its holders");
		return;
	}
	if ((unsigned)b.kind >= OTAD_REQ_N_KINDS)
		die("no kind");
	if (!!b.n_holders == !!b.unit[0] || b.n_holders > OTAD_REQUEST_HOLDERS_MAX)
		die("not exactly one of holders and unit");
	if (b.unit[0] && strspn(b.unit, "0123456789") != strlen(b.unit))
		die("a unit not of digits");
	for (size_t i = 0; i < b.n_holders; i++) {
		if (!holder_id_ok(b.holders[i]))
			die("a bad holder id accepted");
		if (i && strcmp(b.holders[i - 1], b.holders[i]) >= 0)
			die("holders not sorted, or one twice");
	}
	if (b.n_docs > OTAD_REQUEST_DOCS_MAX || (otad_request_kind_changes_cert(b.kind) && !b.n_docs))
		die("documents out of bounds");
	for (unsigned i = 0; i < b.n_docs; i++)
		if (strlen(b.docs[i].sha256) != 64 || strspn(b.docs[i].sha256, "0123456789abcdef") != 64 ||
		    !b.docs[i].name[0])
			die("a bad document accepted");
	if (strlen(b.note) > OTAD_REQUEST_NOTE_MAX)
		die("a note too long");
	if ((b.reason >= 0) != (b.kind == OTAD_REQ_REVOKE))
		die("a reason for another kind than revoke");
	if ((b.id_number[0] != 0) != (b.kind == OTAD_REQ_PIN_RESET) ||
	    (b.kind == OTAD_REQ_PIN_RESET && b.n_holders != 1))
		die("a bad pin-reset accepted");
	otad_request_body_free(&b);
}

static void query(char *s)
{
	struct api_kv kv[API_QUERY_MAX];
	struct otad_request_filter f;
	char unit[OTAD_UNIT_CODE_MAX + 1], err[200];
	unsigned n = 0;

	for (char *save = NULL, *line = strtok_r(s, "\n", &save); line && n < API_QUERY_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (eq)
			*eq = 0;
		kv[n].key = line;
		kv[n++].value = eq ? eq + 1 : NULL;
	}
	if (!otad_request_query_parse(kv, n, &f, unit, err, sizeof(err)) &&
	    (f.limit < 1 || f.limit > API_LIMIT_MAX || f.before < 0))
		die("a bad query accepted");
	otad_request_stats_query_parse(kv, n, unit, err, sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reason[OTAD_REQUEST_REASON_MAX + 1], err[300];
	char *s;
	uint8_t sel;

	if (!size)
		return 0;
	sel = data[0];
	data++;
	size--;
	s = malloc(size + 1);
	if (!s)
		die("out of memory");
	memcpy(s, data, size);
	s[size] = 0;
	switch (sel % 3) {
	case 0:
		body(s, size);
		break;
	case 1:
		if (!otad_request_reason_parse(s, size, reason, err, sizeof(err)) &&
		    (!reason[0] || strlen(reason) > OTAD_REQUEST_REASON_MAX))
			die("a bad reason accepted");
		break;
	default:
		query(s);
		break;
	}
	free(s);
	return 0;
}
