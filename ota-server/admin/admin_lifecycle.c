/* simpki-admin's lifecycle commands over /v1/lifecycle (docs/lifecycle.md): create (the body from the options and,
 * for --holders or --serials, a file of one id a line), show (the operation and a progress line), pause, resume,
 * cancel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "apiclient.h"

/* One id a line (blank lines and '#' lines skipped), each 1 to 64 of A-Z a-z 0-9 . _ -. \returns the array; NULL
 * with the message printed */
static json_t *read_ids(const char *path, const char *what)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	json_t *a;
	char line[128];
	unsigned no = 0;

	if (!f) {
		fprintf(stderr, "simpki-admin: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	a = json_array();
	while (a && fgets(line, sizeof(line), f)) {
		size_t l = strlen(line);

		no++;
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
			line[--l] = '\0';
		if (!l || line[0] == '#')
			continue;
		if (l > 64 || strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != l) {
			fprintf(stderr, "simpki-admin: %s line %u: not a %s\n", path, no, what);
			json_decref(a);
			a = NULL;
			break;
		}
		json_array_append_new(a, json_string(line));
	}
	if (f != stdin)
		fclose(f);
	if (a && !json_array_size(a)) {
		fprintf(stderr, "simpki-admin: %s: no %s in it\n", path, what);
		json_decref(a);
		return NULL;
	}
	return a;
}

json_t *admin_lifecycle_body(const struct admin_cmdline *cl, json_t *ids)
{
	json_t *sel, *o;

	switch (cl->sel) {
	case ADMIN_SEL_HOLDERS:
		sel = json_pack("{s:o}", "holders", ids);
		ids = NULL;
		break;
	case ADMIN_SEL_SERIALS:
		sel = json_pack("{s:o}", "serials", ids);
		ids = NULL;
		break;
	case ADMIN_SEL_UNIT:
		sel = json_pack("{s:s}", "unit", cl->unit);
		break;
	case ADMIN_SEL_UNIT_CHANGE:
		sel = json_pack("{s:I}", "unit_change", (json_int_t)cl->unit_change);
		break;
	default:
		sel = NULL;
	}
	json_decref(ids);
	if (!sel)
		return NULL;
	o = json_pack("{s:s,s:o}", "kind", cl->kind, "select", sel);
	if (!o)
		return NULL;
	if ((cl->name && json_object_set_new(o, "name", json_string(cl->name))) ||
	    (cl->reason && json_object_set_new(o, "reason", json_string(cl->reason))) ||
	    (cl->concurrency && json_object_set_new(o, "concurrency", json_integer(cl->concurrency)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static long long num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

char *admin_render_lifecycle(const json_t *op)
{
	const json_t *counts = json_object_get(op, "counts"), *eta = json_object_get(op, "eta_seconds");
	const char *key;
	json_t *v;
	char *bar = admin_render_bar(num(op, "done"), num(op, "items"), 30), line[512] = "", out[2048], left[48];
	size_t n = 0;

	if (!bar)
		return NULL;
	json_object_foreach((json_t *)counts, key, v)
	{
		if (json_integer_value(v) && n < sizeof(line))
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %lld", n ? ", " : "", key,
					      (long long)json_integer_value(v));
	}
	if (json_is_integer(eta))
		snprintf(left, sizeof(left), "%lld s left", (long long)json_integer_value(eta));
	else
		snprintf(left, sizeof(left), "time left unknown");
	snprintf(out, sizeof(out),
		 "lifecycle %lld %s '%s': %s (by %s, reason %s)\n%s  %lld of %lld items over; %s\n%.1f items/min, %s",
		 num(op, "id"), json_string_value(json_object_get(op, "kind")),
		 json_string_value(json_object_get(op, "name")), json_string_value(json_object_get(op, "state")),
		 json_string_value(json_object_get(op, "by")), json_string_value(json_object_get(op, "reason")), bar,
		 num(op, "done"), num(op, "items"), line[0] ? line : "nothing yet",
		 json_real_value(json_object_get(op, "per_minute")), left);
	free(bar);
	return strdup(out);
}

static enum admin_exit print_op(struct admin_ctx *a, json_t *op)
{
	char *s;

	if (a->json)
		return admin_print_json(op);
	s = admin_render_lifecycle(op);
	if (!s) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return ADMIN_EXIT_FAILURE;
	}
	printf("%s\n", s);
	free(s);
	return ADMIN_EXIT_OK;
}

enum admin_exit admin_lifecycle_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	char path[96], what[64];
	json_t *op = NULL, *body, *ids = NULL;
	enum admin_exit ex;
	char *s;

	snprintf(what, sizeof(what), "lifecycle operation %lld", cl->id);
	switch (cl->cmd) {
	case ADMIN_CMD_LC_CREATE:
		if (cl->sel == ADMIN_SEL_HOLDERS || cl->sel == ADMIN_SEL_SERIALS) {
			ids = read_ids(cl->file, cl->sel == ADMIN_SEL_HOLDERS ? "holder id" : "serial");
			if (!ids)
				return ADMIN_EXIT_USAGE;
		}
		body = admin_lifecycle_body(cl, ids);
		s = body ? json_dumps(body, JSON_COMPACT) : NULL;
		json_decref(body);
		if (!s) {
			fprintf(stderr, "simpki-admin: out of memory\n");
			return ADMIN_EXIT_FAILURE;
		}
		ex = admin_call(a, "POST", "/v1/lifecycle", s, "the selection", &op);
		free(s);
		break;
	case ADMIN_CMD_LC_SHOW:
		snprintf(path, sizeof(path), "/v1/lifecycle/%lld", cl->id);
		ex = admin_call(a, "GET", path, NULL, what, &op);
		break;
	default:
		snprintf(path, sizeof(path), "/v1/lifecycle/%lld/%s", cl->id,
			 cl->cmd == ADMIN_CMD_LC_PAUSE	? "pause" :
			 cl->cmd == ADMIN_CMD_LC_RESUME ? "resume" :
							  "cancel");
		ex = admin_call(a, "POST", path, "{}", what, &op);
		break;
	}
	if (ex == ADMIN_EXIT_OK)
		ex = print_op(a, op);
	json_decref(op);
	return ex;
}
