/* Reading and checking a change of the organisation tree (unit_change.h), with jansson. */
#define _GNU_SOURCE /* strptime, timegm */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "holder.h"
#include "unit_change.h"

const char *const unit_change_kind_names[UNIT_CHANGE_N_KINDS] = { "rename", "merge", "split", "move" };

#define EFFECTIVE_MAX_S (1LL << 40)

bool unit_code_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= OTAD_UNIT_CODE_MAX && strspn(s, "0123456789") == n;
}

/* A member that must be a code, into \a out. */
static int get_code(json_t *o, const char *key, unit_code_t out, char *err, size_t errlen)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s || !unit_code_ok(s)) {
		snprintf(err, errlen, "%s: a unit code (1 to %d digits)", key, OTAD_UNIT_CODE_MAX);
		return -EINVAL;
	}
	snprintf(out, sizeof(unit_code_t), "%s", s);
	return 0;
}

/* A name: 1 to 255 bytes of UTF-8 without control characters. */
static int get_name(json_t *o, const char *key, char *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);
	size_t n = s ? json_string_length(v) : 0;

	if (!s || n < 1 || n > UNIT_CHANGE_NAME_MAX || strlen(s) != n || holder_utf8_chars(s, n) < 1) {
		snprintf(err, errlen, "%s: a name (1 to %d bytes of UTF-8, no control characters)", key,
			 UNIT_CHANGE_NAME_MAX);
		return -EINVAL;
	}
	memcpy(out, s, n + 1);
	return 0;
}

/* Whether \a o has only the members named in \a keys (NULL-terminated). */
static int only(json_t *o, const char *const *keys, const char *what, char *err, size_t errlen)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		bool known = false;

		for (const char *const *p = keys; *p; p++)
			known |= !strcmp(k, *p);
		if (!known) {
			snprintf(err, errlen, "%s: unknown member '%.40s'", what, k);
			return -EINVAL;
		}
	}
	return 0;
}

static int get_effective(json_t *v, int64_t *ms, char *err, size_t errlen)
{
	struct tm tm = { 0 };
	const char *s = json_string_value(v), *end;

	if (!v)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= EFFECTIVE_MAX_S) {
		*ms = (int64_t)json_integer_value(v) * 1000;
		return 0;
	}
	if (s && strlen(s) == 20 && (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) && !*end && timegm(&tm) >= 0) {
		*ms = (int64_t)timegm(&tm) * 1000;
		return 0;
	}
	snprintf(err, errlen, "effective_at: Unix seconds or YYYY-MM-DDTHH:MM:SSZ");
	return -EINVAL;
}

static bool listed(const unit_code_t *codes, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(codes[i], code))
			return true;
	return false;
}

static int parse_rename(json_t *o, struct unit_change *ch, char *err, size_t errlen)
{
	static const char *const keys[] = { "kind", "unit", "name", "effective_at", NULL };

	return only(o, keys, "rename", err, errlen)		  ?:
		       get_code(o, "unit", ch->unit, err, errlen) ?:
								    get_name(o, "name", ch->name, err, errlen);
}

static int parse_move(json_t *o, struct unit_change *ch, char *err, size_t errlen)
{
	static const char *const keys[] = { "kind", "unit", "parent", "effective_at", NULL };
	int rc = only(o, keys, "move", err, errlen)		    ?:
			 get_code(o, "unit", ch->unit, err, errlen) ?:
								      get_code(o, "parent", ch->parent, err, errlen);

	if (!rc && !strcmp(ch->unit, ch->parent)) {
		snprintf(err, errlen, "move: a unit cannot be its own parent");
		rc = -EINVAL;
	}
	return rc;
}

static int parse_merge(json_t *o, struct unit_change *ch, char *err, size_t errlen)
{
	static const char *const keys[] = { "kind", "units", "into", "effective_at", NULL };
	static const char *const into_keys[] = { "code", "name", NULL };
	json_t *units = json_object_get(o, "units"), *into = json_object_get(o, "into"), *e;
	size_t i;
	int rc = only(o, keys, "merge", err, errlen);

	if (rc)
		return rc;
	if (!json_is_array(units) || json_array_size(units) < 2 || json_array_size(units) > UNIT_CHANGE_UNITS_MAX) {
		snprintf(err, errlen, "units: 2 to %d unit codes", UNIT_CHANGE_UNITS_MAX);
		return -EINVAL;
	}
	json_array_foreach(units, i, e)
	{
		const char *s = json_string_value(e);

		if (!s || !unit_code_ok(s) || listed(ch->units, ch->n_units, s)) {
			snprintf(err, errlen, "units[%zu]: a unit code (1 to %d digits), each once", i,
				 OTAD_UNIT_CODE_MAX);
			return -EINVAL;
		}
		snprintf(ch->units[ch->n_units++], sizeof(unit_code_t), "%s", s);
	}
	if (!json_is_object(into)) {
		snprintf(err, errlen, "into: {\"code\": C, \"name\": N}");
		return -EINVAL;
	}
	rc = only(into, into_keys, "into", err, errlen) ?: get_code(into, "code", ch->into, err, errlen);
	if (rc)
		return rc;
	if (json_object_get(into, "name"))
		return get_name(into, "name", ch->name, err, errlen);
	if (!listed(ch->units, ch->n_units, ch->into)) {
		snprintf(err, errlen, "into: a new unit needs a name");
		return -EINVAL;
	}
	return 0;
}

static int parse_part(json_t *p, size_t i, struct unit_change *ch, char *err, size_t errlen)
{
	static const char *const keys[] = { "code", "name", "children", NULL };
	struct unit_change_part *part = &ch->parts[i];
	json_t *children = json_object_get(p, "children"), *e;
	size_t k;
	int rc;

	if (!json_is_object(p)) {
		snprintf(err, errlen, "into[%zu]: {\"code\", \"name\", \"children\"}", i);
		return -EINVAL;
	}
	rc = only(p, keys, "into[]", err, errlen)		  ?:
		     get_code(p, "code", part->code, err, errlen) ?:
								    get_name(p, "name", part->name, err, errlen);
	if (rc)
		return rc;
	if (!strcmp(part->code, ch->unit)) {
		snprintf(err, errlen, "into[%zu]: a new unit's code, not the unit split", i);
		return -EINVAL;
	}
	for (size_t j = 0; j < i; j++)
		if (!strcmp(ch->parts[j].code, part->code)) {
			snprintf(err, errlen, "into[%zu]: code %s twice", i, part->code);
			return -EINVAL;
		}
	if (!json_is_array(children) || json_array_size(children) < 1) {
		snprintf(err, errlen, "into[%zu].children: 1 or more unit codes", i);
		return -EINVAL;
	}
	part->first = ch->n_children;
	json_array_foreach(children, k, e)
	{
		const char *s = json_string_value(e);

		if (ch->n_children == UNIT_CHANGE_CHILDREN_MAX) {
			snprintf(err, errlen, "split: at most %d children in all", UNIT_CHANGE_CHILDREN_MAX);
			return -EINVAL;
		}
		if (!s || !unit_code_ok(s) || listed(ch->children, ch->n_children, s) || !strcmp(s, ch->unit)) {
			snprintf(err, errlen, "into[%zu].children[%zu]: a child's code (digits), listed once", i, k);
			return -EINVAL;
		}
		snprintf(ch->children[ch->n_children++], sizeof(unit_code_t), "%s", s);
	}
	part->n = ch->n_children - part->first;
	return 0;
}

static int parse_split(json_t *o, struct unit_change *ch, char *err, size_t errlen)
{
	static const char *const keys[] = { "kind", "unit", "into", "effective_at", NULL };
	json_t *into = json_object_get(o, "into"), *p;
	size_t i;
	int rc = only(o, keys, "split", err, errlen) ?: get_code(o, "unit", ch->unit, err, errlen);

	if (rc)
		return rc;
	if (!json_is_array(into) || json_array_size(into) < 1 || json_array_size(into) > UNIT_CHANGE_UNITS_MAX) {
		snprintf(err, errlen, "into: 1 to %d new units", UNIT_CHANGE_UNITS_MAX);
		return -EINVAL;
	}
	json_array_foreach(into, i, p)
	{
		rc = parse_part(p, i, ch, err, errlen);
		if (rc)
			return rc;
		ch->n_parts++;
	}
	/* a new unit's code is not a child's */
	for (i = 0; i < ch->n_parts; i++)
		if (listed(ch->children, ch->n_children, ch->parts[i].code)) {
			snprintf(err, errlen, "into[%zu]: %s is also listed as a child", i, ch->parts[i].code);
			return -EINVAL;
		}
	return 0;
}

int unit_change_parse(const char *body, size_t len, struct unit_change *ch, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o;
	const char *kind;
	int rc = -EINVAL;

	memset(ch, 0, offsetof(struct unit_change, children));
	ch->n_children = 0;
	if (len > UNIT_CHANGE_JSON_MAX) {
		snprintf(err, errlen, "the change is larger than %u bytes", UNIT_CHANGE_JSON_MAX);
		return -EINVAL;
	}
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "not a JSON object%s%.80s", o ? "" : ": ", o ? "" : jerr.text);
		json_decref(o);
		return -EINVAL;
	}
	kind = json_string_value(json_object_get(o, "kind"));
	ch->kind = UNIT_CHANGE_N_KINDS;
	for (int i = 0; kind && i < UNIT_CHANGE_N_KINDS; i++)
		if (!strcmp(kind, unit_change_kind_names[i]))
			ch->kind = (enum unit_change_kind)i;
	switch (ch->kind) {
	case UNIT_CHANGE_RENAME:
		rc = parse_rename(o, ch, err, errlen);
		break;
	case UNIT_CHANGE_MERGE:
		rc = parse_merge(o, ch, err, errlen);
		break;
	case UNIT_CHANGE_SPLIT:
		rc = parse_split(o, ch, err, errlen);
		break;
	case UNIT_CHANGE_MOVE:
		rc = parse_move(o, ch, err, errlen);
		break;
	default:
		snprintf(err, errlen, "kind: rename, merge, split or move");
		break;
	}
	if (!rc)
		rc = get_effective(json_object_get(o, "effective_at"), &ch->effective_ms, err, errlen);
	json_decref(o);
	return rc;
}

static json_t *codes(const unit_code_t *c, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(c[i]));
	return a;
}

char *unit_change_json(const struct unit_change *ch)
{
	json_t *o = json_pack("{s:s}", "kind", unit_change_kind_names[ch->kind]), *a;
	char *s;

	if (!o)
		return NULL;
	switch (ch->kind) {
	case UNIT_CHANGE_RENAME:
		json_object_set_new(o, "unit", json_string(ch->unit));
		json_object_set_new(o, "name", json_string(ch->name));
		break;
	case UNIT_CHANGE_MERGE:
		json_object_set_new(o, "units", codes(ch->units, ch->n_units));
		json_object_set_new(o, "into", json_pack("{s:s}", "code", ch->into));
		if (ch->name[0])
			json_object_set_new(json_object_get(o, "into"), "name", json_string(ch->name));
		break;
	case UNIT_CHANGE_SPLIT:
		json_object_set_new(o, "unit", json_string(ch->unit));
		a = json_array();
		for (size_t i = 0; i < ch->n_parts; i++)
			json_array_append_new(a, json_pack("{s:s,s:s,s:o}", "code", ch->parts[i].code, "name",
							   ch->parts[i].name, "children",
							   codes(ch->children + ch->parts[i].first, ch->parts[i].n)));
		json_object_set_new(o, "into", a);
		break;
	default:
		json_object_set_new(o, "unit", json_string(ch->unit));
		json_object_set_new(o, "parent", json_string(ch->parent));
		break;
	}
	if (ch->effective_ms)
		json_object_set_new(o, "effective_at", json_integer(ch->effective_ms / 1000));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}
