/* simpki-admin's commands on cards, holders, jobs and certificates: cards import (the file streamed, then the
 * import polled to its end), holders import, holders move, jobs list, cert show. Each returns an exit code (admin.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "admin.h"

#define IMPORT_POLL_MS 200

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Print text a renderer made (NULL: out of memory). */
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

/* A file to stream: standard input for "-". Its length into *len, -1 when it is not a regular file (then sent
 * chunked). \returns NULL with the message printed */
static FILE *open_upload(const char *path, long long *len)
{
	struct stat st;
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;

	if (!f) {
		fprintf(stderr, "simpki-admin: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	*len = !fstat(fileno(f), &st) && S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
	return f;
}

static void close_upload(FILE *f)
{
	if (f != stdin)
		fclose(f);
}

/* The exit code of rejected lines: 2 when a line was wrong in itself or in its file, 6 when every one clashed with
 * the database only. */
static enum admin_exit rejects_exit(const json_t *rep)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(rep, "rejected"), i, r)
	{
		const char *kind = json_string_value(json_object_get(r, "kind"));

		if (!kind || strcmp(kind, "database"))
			return ADMIN_EXIT_USAGE;
	}
	return ADMIN_EXIT_CONFLICT;
}

static bool import_running(const json_t *im)
{
	const char *s = json_string_value(json_object_get(im, "state"));

	return s && (!strcmp(s, "receiving") || !strcmp(s, "finishing"));
}

enum admin_exit admin_cards_import_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	char path[128], what[48];
	enum admin_exit ex;
	const char *state;
	long long len, id;
	json_t *im, *next;
	FILE *f;

	if (cl->name &&
	    (strlen(cl->name) > 64 || strspn(cl->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						       "0123456789._-") != strlen(cl->name))) {
		fprintf(stderr, "simpki-admin: --name %s: 1 to 64 of A-Z a-z 0-9 . _ -\n", cl->name);
		return ADMIN_EXIT_USAGE;
	}
	f = open_upload(cl->file, &len);
	if (!f)
		return ADMIN_EXIT_USAGE;
	snprintf(path, sizeof(path), "/v1/cards/import%s%s", cl->name ? "?name=" : "", cl->name ? cl->name : "");
	ex = admin_send(a, "POST", path, NULL, f, len, "text/csv", NULL, &im);
	close_upload(f);
	if (ex)
		return ex;
	id = json_integer_value(json_object_get(im, "id"));
	snprintf(path, sizeof(path), "/v1/imports/%lld", id);
	snprintf(what, sizeof(what), "import %lld", id);
	while (import_running(im)) {
		sleep_ms(IMPORT_POLL_MS);
		ex = admin_call(a, "GET", path, NULL, what, &next);
		if (ex) {
			json_decref(im);
			return ex;
		}
		json_decref(im);
		im = next;
	}
	ex = cl->json ? admin_print_json(im) : print_text(admin_render_import(im));
	state = json_string_value(json_object_get(im, "state"));
	if (!ex && state && !strcmp(state, "refused"))
		ex = rejects_exit(im);
	else if (!ex && (!state || strcmp(state, "done")))
		ex = ADMIN_EXIT_FAILURE;
	json_decref(im);
	return ex;
}

enum admin_exit admin_holders_import_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	enum admin_exit ex;
	long long len;
	json_t *rep;
	FILE *f = open_upload(cl->file, &len);

	if (!f)
		return ADMIN_EXIT_USAGE;
	ex = admin_send(a, "POST", "/v1/holders/import", NULL, f, len, "text/csv", NULL, &rep);
	close_upload(f);
	if (ex)
		return ex;
	ex = cl->json ? admin_print_json(rep) : print_text(admin_render_holders_import(rep));
	if (!ex && json_integer_value(json_object_get(rep, "rejected_lines")))
		ex = rejects_exit(rep);
	json_decref(rep);
	return ex;
}

enum admin_exit admin_holders_move_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	char path[96], what[80], *body;
	enum admin_exit ex;
	json_t *b = json_pack("{s:s}", "unit", cl->unit), *h;

	body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	if (!body) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return ADMIN_EXIT_FAILURE;
	}
	snprintf(path, sizeof(path), "/v1/holders/%s", cl->holder); /* checked by admin_parse: nothing to escape */
	snprintf(what, sizeof(what), "holder %s", cl->holder);
	ex = admin_call(a, "PATCH", path, body, what, &h);
	free(body);
	if (ex)
		return ex;
	if (cl->json)
		ex = admin_print_json(h);
	else
		printf("holder %s (%s) moved to unit %s\n", cl->holder, json_string_value(json_object_get(h, "name")),
		       json_string_value(json_object_get(h, "unit")));
	json_decref(h);
	return ex;
}

/* Append "?key=value" (the first) or "&key=value" to \a path; nothing when \a value is NULL. The values are checked
 * by admin_parse (digits, or lower-case letters and '-'): none needs escaping. */
static void add_param(char *path, size_t len, const char *key, const char *value)
{
	size_t n = strlen(path);

	if (value)
		snprintf(path + n, len - n, "%c%s=%s", strchr(path, '?') ? '&' : '?', key, value);
}

enum admin_exit admin_jobs_list_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	char path[160] = "/v1/jobs", limit[16];
	enum admin_exit ex;
	json_t *page;

	snprintf(limit, sizeof(limit), "%u", cl->limit);
	add_param(path, sizeof(path), "iccid", cl->iccid);
	add_param(path, sizeof(path), "state", cl->state);
	add_param(path, sizeof(path), "limit", cl->limit ? limit : NULL);
	ex = admin_call(a, "GET", path, NULL, NULL, &page);
	if (ex)
		return ex;
	if (cl->json) {
		ex = admin_print_json(page);
	} else {
		ex = print_text(admin_render_jobs(json_object_get(page, "jobs")));
		if (!ex && json_is_string(json_object_get(page, "next_cursor")))
			printf("(more jobs than these %zu: --limit up to 1000, or --state, --iccid)\n",
			       json_array_size(json_object_get(page, "jobs")));
	}
	json_decref(page);
	return ex;
}

enum admin_exit admin_cert_show_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	char path[96], what[40];
	enum admin_exit ex;
	json_t *certs, *c;
	size_t i;

	snprintf(path, sizeof(path), "/v1/cards/%s/certificates", cl->iccid);
	snprintf(what, sizeof(what), "card %s", cl->iccid);
	ex = admin_call(a, "GET", path, NULL, what, &certs);
	if (ex)
		return ex;
	if (cl->json) {
		ex = admin_print_json(certs);
	} else if (cl->pem) {
		json_array_foreach(json_object_get(certs, "items"), i, c)
		{
			const char *pem = json_string_value(json_object_get(c, "pem"));

			if (pem)
				fputs(pem, stdout);
		}
	} else {
		ex = print_text(admin_render_certs(json_object_get(certs, "items")));
	}
	json_decref(certs);
	return ex;
}
