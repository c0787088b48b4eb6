/* simpki-admin's request commands over /v1/requests (docs/otad.md "Requests"): file, list (every page up to
 * --limit), show, approve, reject, withdraw, stats. Each returns an exit code (admin.h): a refusal by the API maps as
 * every command's does (403 four eyes or scope: 4; 409 already decided: 6). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

static enum admin_exit print_text(char *s)
{
	if (!s) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return ADMIN_EXIT_FAILURE;
	}
	fputs(s, stdout);
	free(s);
	return ADMIN_EXIT_OK;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

/* One request, as lines. */
static char *render_request(const json_t *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const json_t *h, *d;
	size_t i;

	if (!f)
		return NULL;
	fprintf(f, "request %lld: %s, %s, unit %s, %lld holders\n",
		(long long)json_integer_value(json_object_get(r, "id")), str(r, "kind"), str(r, "state"),
		str(r, "unit"), (long long)json_integer_value(json_object_get(r, "holder_count")));
	fprintf(f, "  filed by %s (%s) at %s\n", str(r, "filed_by"), str(r, "filed_role"), str(r, "filed"));
	if (json_is_string(json_object_get(r, "decided_by")))
		fprintf(f, "  decided by %s at %s\n", str(r, "decided_by"), str(r, "decided"));
	if (json_is_string(json_object_get(r, "reason")))
		fprintf(f, "  reason: %s\n", str(r, "reason"));
	if (json_is_integer(json_object_get(r, "op")))
		fprintf(f, "  lifecycle operation %lld\n", (long long)json_integer_value(json_object_get(r, "op")));
	json_array_foreach(json_object_get(r, "documents"), i, d)
		fprintf(f, "  document %s sha256 %s\n", str(d, "name"), str(d, "sha256"));
	json_array_foreach(json_object_get(r, "holders"), i, h)
	{
		fprintf(f, "  holder %s", str(h, "id"));
		if (json_is_string(json_object_get(h, "result")))
			fprintf(f, ": %s", str(h, "result"));
		fputc('\n', f);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char *render_list(const json_t *items)
{
	static const char *const head[] = { "ID", "KIND", "STATE", "UNIT", "HOLDERS", "FILED BY", "FILED", "REASON" };
	struct admin_table *t = admin_table_new(8, head);
	const json_t *r;
	size_t i;
	char *s;

	if (!t)
		return NULL;
	json_array_foreach(items, i, r)
	{
		char id[24], n[24];
		const char *cells[8];

		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(r, "id")));
		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(json_object_get(r, "holder_count")));
		cells[0] = id;
		cells[1] = str(r, "kind");
		cells[2] = str(r, "state");
		cells[3] = str(r, "unit");
		cells[4] = n;
		cells[5] = str(r, "filed_by");
		cells[6] = str(r, "filed");
		cells[7] = json_string_value(json_object_get(r, "reason"));
		if (admin_table_add(t, cells)) {
			admin_table_free(t);
			return NULL;
		}
	}
	s = admin_table_render(t);
	admin_table_free(t);
	return s;
}

static void stat_row(struct admin_table *t, const char *unit, const char *name, const json_t *row, int *rc)
{
	const json_t *c = json_object_get(row, "counts"), *o = json_object_get(row, "open");
	static const char *const states[] = { "filed",	"approved", "executing", "done",
					      "failed", "rejected", "withdrawn" };
	char v[10][24];
	const char *cells[12];

	cells[0] = unit;
	cells[1] = name;
	for (int k = 0; k < 7; k++) {
		snprintf(v[k], sizeof(v[k]), "%lld", (long long)json_integer_value(json_object_get(c, states[k])));
		cells[2 + k] = v[k];
	}
	snprintf(v[7], sizeof(v[7]), "%lld/%lld/%lld", (long long)json_integer_value(json_object_get(o, "under_1d")),
		 (long long)json_integer_value(json_object_get(o, "1d_to_7d")),
		 (long long)json_integer_value(json_object_get(o, "over_7d")));
	cells[9] = v[7];
	cells[10] = json_is_object(json_object_get(row, "oldest_open")) ?
			    str(json_object_get(row, "oldest_open"), "filed") :
			    NULL;
	if (admin_table_add(t, cells))
		*rc = -ENOMEM;
}

static char *render_stats(const json_t *st)
{
	static const char *const head[] = { "UNIT",	  "NAME",   "FILED",	"APPROVED",  "EXECUTING",
					    "DONE",	  "FAILED", "REJECTED", "WITHDRAWN", "OPEN <1D/1-7D/>7D",
					    "OLDEST OPEN" };
	struct admin_table *t = admin_table_new(11, head);
	const json_t *u;
	size_t i;
	int rc = 0;
	char *s;

	if (!t)
		return NULL;
	json_array_foreach(json_object_get(st, "units"), i, u) stat_row(
		t, json_is_string(json_object_get(u, "unit")) ? str(u, "unit") : "(all)", str(u, "name"), u, &rc);
	stat_row(t, "total", "", json_object_get(st, "total"), &rc);
	s = rc ? NULL : admin_table_render(t);
	admin_table_free(t);
	return s;
}

static enum admin_exit file_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	json_t *holders = NULL, *body, *r;
	enum admin_exit ex;
	char err[256], *s;

	if (cl->sel == ADMIN_SEL_HOLDERS) {
		FILE *f = strcmp(cl->file, "-") ? fopen(cl->file, "r") : stdin;
		int n;

		if (!f) {
			fprintf(stderr, "simpki-admin: %s: %s\n", cl->file, strerror(errno));
			return ADMIN_EXIT_USAGE;
		}
		holders = json_array();
		n = holders ? admin_holders_read(f, holders, err, sizeof(err)) : -ENOMEM;
		if (f != stdin)
			fclose(f);
		if (n < 0) {
			fprintf(stderr, "simpki-admin: %s: %s\n", cl->file, n == -ENOMEM ? "out of memory" : err);
			json_decref(holders);
			return n == -ENOMEM ? ADMIN_EXIT_FAILURE : ADMIN_EXIT_USAGE;
		}
	}
	body = admin_request_body(cl, holders);
	s = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!s) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return ADMIN_EXIT_FAILURE;
	}
	ex = admin_call(a, "POST", "/v1/requests", s, NULL, &r);
	free(s);
	if (ex)
		return ex;
	if (cl->json)
		ex = admin_print_json(r);
	else
		printf("request %lld filed (unit %s, %lld holders)\n",
		       (long long)json_integer_value(json_object_get(r, "id")), str(r, "unit"),
		       (long long)json_integer_value(json_object_get(r, "holder_count")));
	json_decref(r);
	return ex;
}

static enum admin_exit list_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	char path[160] = "/v1/requests", sep = '?';
	enum admin_exit ex;
	json_t *page;
	size_t n;

	if (cl->unit) {
		n = strlen(path);
		snprintf(path + n, sizeof(path) - n, "%cunit=%s", sep, cl->unit);
		sep = '&';
	}
	if (cl->state) {
		n = strlen(path);
		snprintf(path + n, sizeof(path) - n, "%cstate=%s", sep, cl->state);
		sep = '&';
	}
	if (cl->limit) {
		n = strlen(path);
		snprintf(path + n, sizeof(path) - n, "%climit=%u", sep, cl->limit);
	}
	ex = admin_call(a, "GET", path, NULL, NULL, &page);
	if (ex)
		return ex;
	if (cl->json) {
		ex = admin_print_json(page);
	} else {
		ex = print_text(render_list(json_object_get(page, "items")));
		if (!ex && json_is_string(json_object_get(page, "next_cursor")))
			printf("(more requests than these %zu: --limit up to 1000, or --state, --unit)\n",
			       json_array_size(json_object_get(page, "items")));
	}
	json_decref(page);
	return ex;
}

enum admin_exit admin_request_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	char path[96], what[40], *body = NULL;
	const char *method = "POST";
	enum admin_exit ex;
	json_t *r;

	snprintf(what, sizeof(what), "request %lld", cl->id);
	switch (cl->cmd) {
	case ADMIN_CMD_REQUEST_FILE:
		return file_run(a, cl);
	case ADMIN_CMD_REQUEST_LIST:
		return list_run(a, cl);
	case ADMIN_CMD_REQUEST_STATS:
		snprintf(path, sizeof(path), "/v1/requests/stats%s%s", cl->unit ? "?unit=" : "",
			 cl->unit ? cl->unit : "");
		method = "GET";
		what[0] = 0;
		break;
	case ADMIN_CMD_REQUEST_SHOW:
		snprintf(path, sizeof(path), "/v1/requests/%lld", cl->id);
		method = "GET";
		break;
	case ADMIN_CMD_REQUEST_APPROVE:
		snprintf(path, sizeof(path), "/v1/requests/%lld/approve", cl->id);
		break;
	case ADMIN_CMD_REQUEST_WITHDRAW:
		snprintf(path, sizeof(path), "/v1/requests/%lld/withdraw", cl->id);
		break;
	default: {
		json_t *o = json_pack("{s:s}", "reason", cl->reason ? cl->reason : "");

		snprintf(path, sizeof(path), "/v1/requests/%lld/reject", cl->id);
		body = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (!body) {
			fprintf(stderr, "simpki-admin: out of memory\n");
			return ADMIN_EXIT_FAILURE;
		}
		break;
	}
	}
	ex = admin_call(a, method, path, body, what[0] ? what : NULL, &r);
	free(body);
	if (ex)
		return ex;
	if (cl->json)
		ex = admin_print_json(r);
	else
		ex = print_text(cl->cmd == ADMIN_CMD_REQUEST_STATS ? render_stats(r) : render_request(r));
	json_decref(r);
	return ex;
}
