/* libFuzzer harness: simpki-otad's operator API requests (ota-server/api_parse.c): the first input byte picks
 * what the rest is: a method and a URL (split at the first space), an Authorization header value, a job body or a
 * token body, a card state, a counter floor, a query string (0 to 6), a holder body, a card's holder body (the
 * same bytes as a holder's move too), a holder CSV record (7 to 9). Checked: a route's argument fits its buffer and
 * is digits (a holder id: holder_id_ok()); a parsed job has an ICCID of 18 to 20 digits and a script of at least one command within its bound; an accepted
 * holder passes holder_check() again and its name is well-formed UTF-8; a refusal has a message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "fuzz.h"
#include "holder.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-api-request: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct api_job_req req;
	char *s, err[256], arg[API_ROUTE_ARG_MAX], name[65], *sp, iccid[21], scope[OTAD_UNIT_CODE_MAX + 1];
	const char *token, *allow;
	struct otad_job_filter jf;
	struct otad_card_filter cf;
	struct api_kv kv[API_QUERY_MAX];
	unsigned n;
	int rc, role, st;

	if (!size)
		return 0;
	s = malloc(size);
	if (!s)
		die("out of memory");
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	switch (data[0] % 10) {
	case 0:
		sp = strchr(s, ' ');
		if (sp) {
			*sp = 0;
			rc = api_route(s, sp + 1, arg, &allow);
			if (rc != API_NONE && strlen(arg) >= API_ROUTE_ARG_MAX)
				die("a route argument beyond its buffer");
			if ((rc == API_JOB_GET || rc == API_CARD_GET || rc == API_CARD_CERTS ||
			     rc == API_CARD_HOLDER) &&
			    strspn(arg, "0123456789") != strlen(arg))
				die("a route argument that is not digits");
			if (rc == API_HOLDER_GET && !holder_id_ok(arg))
				die("a holder route whose argument is not a holder id");
			if (rc == API_BAD_METHOD && !allow)
				die("a 405 without Allow");
		}
		break;
	case 1:
		rc = api_bearer(s, &token);
		if (rc >= 0 && (rc < API_TOKEN_MIN || rc > API_TOKEN_MAX || (size_t)rc != strlen(token)))
			die("a bearer token out of its bounds");
		break;
	case 2:
		err[0] = 0;
		if (api_job_parse(s, size - 1, &req, err, sizeof(err))) {
			if (!err[0])
				die("a refused job without a message");
		} else if (strlen(req.iccid) < 18 || req.script_len < 5 || req.script_len > sizeof(req.script) ||
			   req.opts.kvn > 15 || req.opts.mode >= OTAD_JOB_N_MODES) {
			die("a bad job accepted");
		}
		break;
	case 3:
		err[0] = 0;
		if (api_token_parse(s, size - 1, name, &role, scope, err, sizeof(err)) ?
			    !err[0] :
			    strlen(name) > 64 || role < 0 || strlen(scope) > OTAD_UNIT_CODE_MAX ||
				    (api_role_needs_scope(role) && !scope[0]))
			die("a token name, role or scope out of bounds, or a refusal without a message");
		break;
	case 4:
		err[0] = 0;
		if (api_card_patch_parse(s, size - 1, &st, err, sizeof(err)) ? !err[0] :
									       st < 0 || st >= OTAD_CARD_N_STATES)
			die("a card state out of bounds, or a refusal without a message");
		break;
	case 5: {
		struct api_floor_req fr;

		err[0] = 0;
		rc = api_floor_parse(s, size - 1, &fr, err, sizeof(err));
		if (rc ? !err[0] :
			 (fr.what == API_FLOOR_ONE && (fr.kvn < 1 || fr.kvn > 15 || strlen(fr.iccid) < 18)) ||
				    (fr.what != API_FLOOR_CONFIRM && (fr.n < 1 || fr.n > 1099511627775ULL)))
			die("a counter floor out of bounds, or a refusal without a message");
		break;
	}
	case 7: {
		static struct otad_holder h;

		err[0] = 0;
		if (api_holder_parse(s, size - 1, &h, err, sizeof(err)) ?
			    !err[0] :
			    holder_check(&h, err, sizeof(err)) || holder_utf8_chars(h.name, strlen(h.name)) < 1)
			die("a bad holder accepted, or a refusal without a message");
		break;
	}
	case 8: {
		char holder[OTAD_HOLDER_ID_MAX + 1];

		err[0] = 0;
		if (api_card_holder_parse(s, size - 1, holder, err, sizeof(err)) ? !err[0] :
										   holder[0] && !holder_id_ok(holder))
			die("a bad card holder accepted, or a refusal without a message");
		/* the same bytes as a holder's move, PATCH /v1/holders/{id} */
		err[0] = 0;
		if (api_holder_patch_parse(s, size - 1, scope, err, sizeof(err)) ?
			    !err[0] :
			    !scope[0] || strspn(scope, "0123456789") != strlen(scope))
			die("a bad holder move accepted, or a refusal without a message");
		break;
	}
	case 9: {
		static struct otad_holder h;

		/* a CSV record (no line end: the splitter removes it), then the same bytes as a header */
		err[0] = 0;
		if (holder_csv_line(s, size - 1, &h, err, sizeof(err)) ? !err[0] :
									 holder_check(&h, err, sizeof(err)) != 0)
			die("a bad holder record accepted, or a refusal without a message");
		holder_csv_header(s, size - 1);
		break;
	}
	case 6:
	default:
		/* a query string: k=v&k=v..., as the HTTP library would split it */
		n = 0;
		for (char *p = s, *amp; p && n < API_QUERY_MAX; p = amp) {
			amp = strchr(p, '&');
			if (amp)
				*amp++ = 0;
			kv[n].key = p;
			kv[n].value = strchr(p, '=');
			if (kv[n].value)
				*(char *)kv[n].value++ = 0;
			n++;
		}
		err[0] = 0;
		rc = api_jobs_query(kv, n, &jf, iccid, err, sizeof(err));
		if (rc ? !err[0] : jf.limit < 1 || jf.limit > API_LIMIT_MAX || (jf.iccid && strlen(jf.iccid) > 20))
			die("a jobs query out of bounds, or a refusal without a message");
		err[0] = 0;
		rc = api_cards_query(kv, n, &cf, iccid, err, sizeof(err));
		if (rc ? !err[0] : cf.limit < 1 || cf.limit > API_LIMIT_MAX)
			die("a cards query out of bounds, or a refusal without a message");
		{
			struct otad_holder_filter hf;
			char unit[OTAD_UNIT_CODE_MAX + 1], cursor[OTAD_HOLDER_ID_MAX + 1];

			err[0] = 0;
			rc = api_holders_query(kv, n, &hf, unit, cursor, err, sizeof(err));
			if (rc ? !err[0] :
				 hf.limit < 1 || hf.limit > API_LIMIT_MAX ||
					    (hf.after_id && !holder_id_ok(hf.after_id)))
				die("a holders query out of bounds, or a refusal without a message");
		}
		{
			int64_t from;
			unsigned limit;

			err[0] = 0;
			rc = api_audit_query(kv, n, &from, &limit, err, sizeof(err));
			if (rc ? !err[0] : from < 1 || limit < 1 || limit > API_LIMIT_MAX)
				die("an audit query out of bounds, or a refusal without a message");
		}
	}
	free(s);
	return 0;
}
