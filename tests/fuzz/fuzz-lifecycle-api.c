/* libFuzzer harness: what a certificate lifecycle operation reads from outside (ota-server/api_parse_lifecycle.c
 * and ota-server/lifecycle/lc_script.c): POST /v1/lifecycle's JSON body, the bodies of POST
 * /v1/certificates/{serial}/revoke and the other shortcuts, GET /v1/lifecycle/{id}/items's query string, and the
 * replace script's response as it comes back in a PoR. The first byte picks the parser; the rest is the input.
 * Checked: an accepted body has a kind, exactly one selection, each holder id or serial within its bounds, a reason
 * only where the kind takes one; a refusal says why; a query's limit is 1..1000. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "fuzz.h"
#include "lc_script.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-lifecycle-api: %s\n", what);
	abort();
}

static void body(const char *s, size_t size)
{
	struct api_lc_req req;
	char err[256] = "";

	if (api_lc_parse(s, size, &req, err, sizeof(err))) {
		if (!err[0])
			die("a refused body without a message");
		return;
	}
	if ((unsigned)req.p.kind >= OTAD_LC_N_KINDS ||
	    (!!req.sel.holders + !!req.sel.serials + !!req.sel.unit + !!req.sel.unit_change) != 1)
		die("a bad operation accepted");
	if (req.p.reason >= 0 && req.p.kind != OTAD_LC_REVOKE && req.p.kind != OTAD_LC_MODIFY)
		die("a reason for a kind that takes none");
	for (size_t i = 0; i < req.sel.n_holders; i++)
		if (!req.sel.holders[i][0] || strlen(req.sel.holders[i]) > OTAD_HOLDER_ID_MAX)
			die("a holder id out of bounds");
	for (size_t i = 0; i < req.sel.n_serials; i++)
		if (!api_serial_ok(req.sel.serials[i]))
			die("a bad serial accepted");
	api_lc_req_free(&req);
}

static void query(char *s)
{
	struct api_kv kv[API_QUERY_MAX];
	unsigned n = 0, limit;
	char state[16], err[256] = "", *save = NULL;
	int64_t after;

	for (char *p = strtok_r(s, "&", &save); p && n < API_QUERY_MAX; p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');

		if (eq)
			*eq++ = 0;
		kv[n++] = (struct api_kv){ .key = p, .value = eq };
	}
	if (api_lc_items_query(kv, n, state, &after, &limit, err, sizeof(err))) {
		if (!err[0])
			die("a refused query without a message");
		return;
	}
	if (limit < 1 || limit > API_LIMIT_MAX || after < 0 || strlen(state) > 15)
		die("a bad query accepted");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, why[160];
	int reason;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		die("out of memory");
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	switch (data[0] % 5) {
	case 0:
		body(s, size - 1);
		break;
	case 1:
	case 2:
		if (api_lc_cert_parse(s, size - 1, data[0] % 5 == 1, &reason, why, sizeof(why)) == 0 &&
		    (reason < -1 || reason > 10 || reason == 6 || reason == 8 || (data[0] % 5 == 2 && reason != -1)))
			die("a bad reason accepted");
		break;
	case 3:
		query(s);
		break;
	default:
		lc_replace_parse(data + 1, size - 1, size > 2 ? data[1] * 8u : 1, size & 1, why, sizeof(why));
		break;
	}
	free(s);
	return 0;
}
