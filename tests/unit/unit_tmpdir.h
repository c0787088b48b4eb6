/* A temporary directory for a unit test's files (cmocka; its setup makes it, its teardown removes it):
 * - unit_tmpdir(dir, size, name): a new directory /tmp/simpki-NAME.XXXXXX, its path in DIR (asserts it was made);
 * - unit_rmdir(dir): remove it and what it holds; returns system()'s result (0 when removed), a teardown's. */
#pragma once
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

static inline void unit_tmpdir(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/simpki-%s.XXXXXX", name);
	assert_non_null(mkdtemp(dir));
}

static inline int unit_rmdir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}
