/* simpki-admin's commands on the organisation tree (docs/otad.md "The organisation tree"):
 *   units show CODE          GET /v1/units/CODE: name, kind, parent, path, validity, successor, counts
 *   units children CODE      GET /v1/units/CODE/children?limit=N: a table of code, name, kind
 *   units change FILE|-      POST /v1/units/changes with the file's JSON (at most ADMIN_CHANGE_MAX bytes)
 *   units changes            GET /v1/units/changes?limit=N: a table, newest first
 * Text from the API goes through admin_text_put() (no control character reaches the terminal). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_text.h"

#define ADMIN_CHANGE_MAX (256u << 10) /* the API's bound of a change body */

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static enum admin_exit print_taken(struct admin_text *t)
{
	char *s = admin_text_take(t);

	if (!s) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return ADMIN_EXIT_FAILURE;
	}
	fputs(s, stdout);
	free(s);
	return ADMIN_EXIT_OK;
}

static enum admin_exit show(const json_t *u)
{
	struct admin_text t = { 0 };
	const json_t *p;
	size_t i;

	admin_text_printf(&t, "unit ");
	admin_text_put(&t, str(u, "code"));
	admin_text_printf(&t, ": ");
	admin_text_put(&t, str(u, "name"));
	admin_text_printf(&t, " (");
	admin_text_put(&t, str(u, "kind"));
	admin_text_printf(&t, ")\n  parent:     ");
	admin_text_put(&t, str(u, "parent"));
	admin_text_printf(&t, "\n  path:       ");
	json_array_foreach(json_object_get(u, "path"), i, p)
	{
		admin_text_printf(&t, "%s", i ? " > " : "");
		admin_text_put(&t, str(p, "name"));
		admin_text_printf(&t, " (");
		admin_text_put(&t, str(p, "code"));
		admin_text_printf(&t, ")");
	}
	admin_text_printf(&t, "\n  valid from: ");
	admin_text_put(&t, str(u, "valid_from"));
	admin_text_printf(&t, "\n  valid to:   ");
	admin_text_put(&t, str(u, "valid_to"));
	if (json_is_string(json_object_get(u, "successor"))) {
		admin_text_printf(&t, " (went into ");
		admin_text_put(&t, str(u, "successor"));
		admin_text_printf(&t, ")");
	}
	admin_text_printf(&t, "\n  children:   %lld\n  holders:    %lld (its whole subtree)\n",
			  (long long)json_integer_value(json_object_get(u, "children")),
			  (long long)json_integer_value(json_object_get(u, "holders")));
	return print_taken(&t);
}

static enum admin_exit table(const json_t *items, unsigned n_cols, const char *const *head,
			     void (*row)(const json_t *item, char cells[][256]))
{
	struct admin_table *tb = admin_table_new(n_cols, head);
	char cells[8][256];
	const char *ptrs[8];
	const json_t *it;
	enum admin_exit ex;
	size_t i;
	char *s;

	if (!tb) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return ADMIN_EXIT_FAILURE;
	}
	json_array_foreach(items, i, it)
	{
		row(it, cells);
		for (unsigned k = 0; k < n_cols; k++)
			ptrs[k] = cells[k];
		if (admin_table_add(tb, ptrs))
			break;
	}
	s = admin_table_render(tb);
	admin_table_free(tb);
	if (!s) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return ADMIN_EXIT_FAILURE;
	}
	ex = ADMIN_EXIT_OK;
	fputs(s, stdout);
	free(s);
	return ex;
}

static void unit_row(const json_t *u, char c[][256])
{
	snprintf(c[0], 256, "%s", str(u, "code"));
	snprintf(c[1], 256, "%s", str(u, "name"));
	snprintf(c[2], 256, "%s", str(u, "kind"));
}

static void count(char *out, const json_t *v)
{
	if (json_is_integer(v))
		snprintf(out, 256, "%lld", (long long)json_integer_value(v));
	else
		snprintf(out, 256, "-");
}

static void change_row(const json_t *ch, char c[][256])
{
	snprintf(c[0], 256, "%lld", (long long)json_integer_value(json_object_get(ch, "id")));
	snprintf(c[1], 256, "%s", str(ch, "kind"));
	snprintf(c[2], 256, "%s", str(ch, "state"));
	snprintf(c[3], 256, "%s", str(ch, "effective_at"));
	snprintf(c[4], 256, "%s", str(ch, "by"));
	count(c[5], json_object_get(ch, "units_affected"));
	count(c[6], json_object_get(ch, "holders_affected"));
}

static const char *const change_head[] = { "ID", "KIND", "STATE", "EFFECTIVE", "BY", "UNITS", "HOLDERS" };

/* The change file whole into a string (malloc'd). \returns NULL with the message printed */
static char *read_change(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "simpki-admin: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(ADMIN_CHANGE_MAX + 2);
	n = buf ? fread(buf, 1, ADMIN_CHANGE_MAX + 1, f) : 0;
	if (f != stdin)
		fclose(f);
	if (!buf) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return NULL;
	}
	if (n > ADMIN_CHANGE_MAX) {
		fprintf(stderr, "simpki-admin: %s: larger than %u bytes\n", path, ADMIN_CHANGE_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

enum admin_exit admin_units_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	char path[128], what[48];
	enum admin_exit ex;
	json_t *j = NULL;
	char *body;

	snprintf(what, sizeof(what), "unit %s", cl->unit ? cl->unit : "");
	switch (cl->cmd) {
	case ADMIN_CMD_UNITS_SHOW:
		snprintf(path, sizeof(path), "/v1/units/%s", cl->unit);
		ex = admin_call(a, "GET", path, NULL, what, &j);
		break;
	case ADMIN_CMD_UNITS_CHILDREN:
		snprintf(path, sizeof(path), "/v1/units/%s/children?limit=%u", cl->unit, cl->limit ? cl->limit : 100);
		ex = admin_call(a, "GET", path, NULL, what, &j);
		break;
	case ADMIN_CMD_UNITS_CHANGES:
		snprintf(path, sizeof(path), "/v1/units/changes?limit=%u", cl->limit ? cl->limit : 100);
		ex = admin_call(a, "GET", path, NULL, "unit changes", &j);
		break;
	default:
		body = read_change(cl->file);
		if (!body)
			return ADMIN_EXIT_USAGE;
		ex = admin_call(a, "POST", "/v1/units/changes", body, "unit change", &j);
		free(body);
		break;
	}
	if (ex)
		return ex;
	if (cl->json) {
		ex = admin_print_json(j);
	} else if (cl->cmd == ADMIN_CMD_UNITS_SHOW) {
		ex = show(j);
	} else if (cl->cmd == ADMIN_CMD_UNITS_CHILDREN) {
		static const char *const head[] = { "CODE", "NAME", "KIND" };

		ex = table(json_object_get(j, "units"), 3, head, unit_row);
		if (!ex && json_is_string(json_object_get(j, "next_cursor")))
			printf("(more children than these %zu: --limit up to 1000)\n",
			       json_array_size(json_object_get(j, "units")));
	} else if (cl->cmd == ADMIN_CMD_UNITS_CHANGES) {
		ex = table(json_object_get(j, "changes"), 7, change_head, change_row);
	} else {
		json_t *one = json_array();

		json_array_append(one, j);
		ex = table(one, 7, change_head, change_row);
		json_decref(one);
		if (!ex && json_is_string(json_object_get(j, "error")))
			printf("failed: %s\n", str(j, "error"));
	}
	json_decref(j);
	return ex;
}
