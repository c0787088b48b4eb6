/* A growing text for simpki-admin's renderers (admin_text.c). Appends after an allocation failure do nothing, and
 * admin_text_take() then returns NULL, so a renderer checks once, at its end. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct admin_text {
	char *p;
	size_t len, cap;
	bool oom; /* an append failed: the text is lost */
};

/* Append formatted text (our own words and numbers). */
__attribute__((format(printf, 2, 3))) void admin_text_printf(struct admin_text *t, const char *fmt, ...);
/* Append text that came from the API, control characters replaced by '?'. */
void admin_text_put(struct admin_text *t, const char *s);
/* The text (the caller frees; "" when nothing was appended); NULL when an append failed. \a t is empty again. */
char *admin_text_take(struct admin_text *t);

/* Columns of UTF-8 text, one per code point. */
size_t admin_text_columns(const char *s);
/* A copy of \a s with each line cut to width - 1 columns (0: no cut), so that no line fills a terminal's row. */
char *admin_text_cut(const char *s, unsigned width);
