/* Shared helpers for the cmocka unit tests: a test list that table rows can be added to at run time (one named
 * cmocka test per row, so a failure report names the row), and a macro for byte-string literals in tables.
 */
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#define UNIT_MAX_TESTS 256

/* A byte string in a table row: sets .buf and .len from the listed bytes. */
#define BYTES(...) .buf = (const uint8_t[]){ __VA_ARGS__ }, .len = sizeof((const uint8_t[]){ __VA_ARGS__ })
#define NO_BYTES .buf = (const uint8_t[]){ 0 }, .len = 0

struct unit_list {
	struct CMUnitTest t[UNIT_MAX_TESTS];
	size_t n;
};

static inline void unit_add(struct unit_list *l, const char *name, CMUnitTestFunction f, const void *state)
{
	if (l->n == UNIT_MAX_TESTS) {
		fprintf(stderr, "unit_add: more than %d tests\n", UNIT_MAX_TESTS);
		exit(2);
	}
	l->t[l->n++] = (struct CMUnitTest){ .name = name, .test_func = f, .initial_state = (void *)state };
}

/* Add a test whose name is formatted (the name is allocated and lives until exit). */
__attribute__((format(printf, 4, 5))) static inline void unit_addf(struct unit_list *l, CMUnitTestFunction f,
								   const void *state, const char *fmt, ...)
{
	va_list ap;
	char *name;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	name = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!name) {
		fprintf(stderr, "unit_addf: cannot format a test name\n");
		exit(2);
	}
	va_start(ap, fmt);
	vsnprintf(name, (size_t)n + 1, fmt, ap);
	va_end(ap);
	unit_add(l, name, f, state);
}

/* Add one test per row of a table whose rows have a .name member. */
#define UNIT_ADD_TABLE(l, table, f)                                                \
	do {                                                                       \
		for (size_t i_ = 0; i_ < sizeof(table) / sizeof((table)[0]); i_++) \
			unit_add(l, (table)[i_].name, f, &(table)[i_]);            \
	} while (0)

#define UNIT_ADD(l, f) unit_add(l, #f, f, NULL)

/* cmocka_run_group_tests() needs an array of known size; this is the function that macro expands to. */
static inline int unit_run(const char *group, const struct unit_list *l)
{
	return _cmocka_run_group_tests(group, l->t, l->n, NULL, NULL);
}

/* Hex text into \a out (at least 64 bytes), for byte strings in tests; asserts the text is good hex. Needs
 * libsimpki-proto (hex_decode()). */
#include <simpki/hex.h>
static inline size_t unit_hex(const char *h, uint8_t *out)
{
	int n = hex_decode(h, out, 64);

	assert_true(n >= 0);
	return (size_t)n;
}
