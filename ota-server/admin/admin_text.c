/* A growing text for the renderers (admin_text.h): formatted appends, text from the API appended with its control
 * characters replaced (a campaign's name must not move the terminal's cursor), and tables with columns padded to
 * their widest cell, widths counted in code points of UTF-8. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_text.h"

static bool grow(struct admin_text *t, size_t more)
{
	size_t cap = t->cap ? t->cap : 256;
	char *p;

	if (t->oom)
		return false;
	if (t->len + more + 1 <= t->cap)
		return true;
	while (cap < t->len + more + 1)
		cap *= 2;
	p = realloc(t->p, cap);
	if (!p) {
		t->oom = true;
		return false;
	}
	t->p = p;
	t->cap = cap;
	return true;
}

void admin_text_printf(struct admin_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(t, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void admin_text_put(struct admin_text *t, const char *s)
{
	size_t n = strlen(s);

	if (!grow(t, n))
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		t->p[t->len++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	t->p[t->len] = '\0';
}

char *admin_text_take(struct admin_text *t)
{
	char *p;

	if (t->oom || (!t->p && !grow(t, 0))) {
		free(t->p);
		return NULL;
	}
	t->p[t->len] = '\0';
	p = t->p;
	memset(t, 0, sizeof(*t));
	return p;
}

size_t admin_text_columns(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

char *admin_text_cut(const char *s, unsigned width)
{
	struct admin_text t = { 0 };
	const char *line = s;

	while (line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line), cols = 0, i;

		for (i = 0; i < len; i++) {
			if (((unsigned char)line[i] & 0xc0) != 0x80 && width && ++cols > width - 1)
				break;
		}
		admin_text_printf(&t, "%.*s%s", (int)i, line, nl ? "\n" : "");
		line = nl ? nl + 1 : NULL;
	}
	return admin_text_take(&t);
}

/* ---- tables ------------------------------------------------------------------------------------------------ */

struct admin_table {
	unsigned n_cols;
	size_t n_rows, cap_rows;
	char **cells; /* row-major, the headings first */
};

struct admin_table *admin_table_new(unsigned n_cols, const char *const *headings)
{
	struct admin_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->n_cols = n_cols;
	if (admin_table_add(t, headings)) {
		admin_table_free(t);
		return NULL;
	}
	return t;
}

int admin_table_add(struct admin_table *t, const char *const *cells)
{
	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
		char **p = realloc(t->cells, cap * t->n_cols * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->cells = p;
		t->cap_rows = cap;
	}
	for (unsigned i = 0; i < t->n_cols; i++) {
		struct admin_text c = { 0 };

		admin_text_put(&c, cells[i] ? cells[i] : "-");
		t->cells[t->n_rows * t->n_cols + i] = admin_text_take(&c);
		if (!t->cells[t->n_rows * t->n_cols + i]) {
			while (i--)
				free(t->cells[t->n_rows * t->n_cols + i]);
			return -ENOMEM;
		}
	}
	t->n_rows++;
	return 0;
}

char *admin_table_render(const struct admin_table *t)
{
	struct admin_text out = { 0 };
	size_t w[16] = { 0 };

	if (t->n_cols > 16)
		return NULL;
	for (size_t r = 0; r < t->n_rows; r++)
		for (unsigned c = 0; c < t->n_cols; c++) {
			size_t n = admin_text_columns(t->cells[r * t->n_cols + c]);

			w[c] = n > w[c] ? n : w[c];
		}
	for (size_t r = 0; r < t->n_rows; r++) {
		for (unsigned c = 0; c < t->n_cols; c++) {
			const char *s = t->cells[r * t->n_cols + c];

			if (c + 1 == t->n_cols)
				admin_text_printf(&out, "%s\n", s);
			else
				admin_text_printf(&out, "%s%*s  ", s, (int)(w[c] - admin_text_columns(s)), "");
		}
	}
	return admin_text_take(&out);
}

void admin_table_free(struct admin_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
