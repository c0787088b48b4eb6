/* libFuzzer harness: a unit change body as filed (ota-server/unit_change.c: POST /v1/units/changes, simpki-admin
 * units change), and the units API's query parameters (api_parse_units.c). The first byte picks the parser; the
 * rest is the input. Checked: a refusal says why; an accepted change has its kind's fields (codes of digits, names
 * of 1 to 255 bytes, 2 or more distinct merged units, split parts each with children, in bounds), and its canonical
 * JSON (unit_change_json()) parses again to the same canonical JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "fuzz.h"
#include "otad_db_units.h"
#include "unit_change.h"

static struct unit_change ch, again;

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-unit-change: %s\n", what);
	abort();
}

static void check(const struct unit_change *c)
{
	switch (c->kind) {
	case UNIT_CHANGE_RENAME:
		if (!unit_code_ok(c->unit) || !c->name[0])
			die("a bad rename accepted");
		break;
	case UNIT_CHANGE_MERGE:
		if (c->n_units < 2 || c->n_units > UNIT_CHANGE_UNITS_MAX || !unit_code_ok(c->into))
			die("a bad merge accepted");
		for (size_t i = 0; i < c->n_units; i++)
			for (size_t k = 0; k < i; k++)
				if (!strcmp(c->units[i], c->units[k]))
					die("a unit merged twice");
		break;
	case UNIT_CHANGE_SPLIT:
		if (!c->n_parts || c->n_parts > UNIT_CHANGE_UNITS_MAX || c->n_children > UNIT_CHANGE_CHILDREN_MAX)
			die("a bad split accepted");
		for (size_t i = 0; i < c->n_parts; i++)
			if (!c->parts[i].n || c->parts[i].first + c->parts[i].n > c->n_children || !c->parts[i].name[0])
				die("a split part without children");
		break;
	case UNIT_CHANGE_MOVE:
		if (!unit_code_ok(c->unit) || !unit_code_ok(c->parent) || !strcmp(c->unit, c->parent))
			die("a bad move accepted");
		break;
	default:
		die("no kind");
	}
}

static void change(const char *s, size_t n)
{
	char err[300] = "", *j, *j2;

	if (unit_change_parse(s, n, &ch, err, sizeof(err))) {
		if (!err[0])
			die("a refused change without a message");
		return;
	}
	check(&ch);
	j = unit_change_json(&ch);
	if (!j)
		die("out of memory");
	if (unit_change_parse(j, strlen(j), &again, err, sizeof(err)))
		die("the canonical JSON does not parse again");
	j2 = unit_change_json(&again);
	if (!j2 || strcmp(j, j2))
		die("the canonical JSON changed");
	free(j);
	free(j2);
}

/* "k=v&k=v" into at most API_QUERY_MAX pairs (s is modified). */
static void query(char *s)
{
	struct api_kv kv[API_QUERY_MAX];
	struct otad_unit_filter f;
	char parent[OTAD_UNIT_CODE_MAX + 1], cursor[OTAD_HOLDER_ID_MAX + 1], err[200];
	unsigned n = 0, limit;
	char *save = NULL, *p;

	for (p = strtok_r(s, "&", &save); p && n < API_QUERY_MAX; p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');

		if (eq)
			*eq++ = 0;
		kv[n].key = p;
		kv[n++].value = eq;
	}
	if (!api_units_query(kv, n, &f, parent, cursor, err, sizeof(err)) &&
	    (f.limit < 1 || f.limit > API_LIMIT_MAX || (f.parent && !unit_code_ok(f.parent))))
		die("a bad units query accepted");
	for (int k = API_CURSOR_UNIT; k <= API_CURSOR_ID; k++)
		if (!api_page_query(kv, n, (enum api_cursor_kind)k, cursor, sizeof(cursor), &limit, err, sizeof(err)) &&
		    (limit < 1 || limit > API_LIMIT_MAX || strlen(cursor) >= sizeof(cursor)))
			die("a bad page query accepted");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > UNIT_CHANGE_JSON_MAX + 2)
		return 0;
	s = malloc(size);
	if (!s)
		die("out of memory");
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	if (data[0] & 1)
		query(s);
	else
		change(s, size - 1);
	free(s);
	return 0;
}
