/* The organisation tree in the database: scopes, unit changes (otad_db.h, otad_db_v14_units.h). STUB: the tree
 * answers "within" by walking parents; changes are not built yet. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "otad_db.h"
#include "otad_db_int.h"

int otad_db_unit_within(struct otad_db *db, const char *unit, const char *scope)
{
	struct otad_unit u;
	char code[OTAD_UNIT_CODE_MAX + 1];
	int rc;

	if (!scope || !scope[0])
		return 1;
	if (!unit || !unit[0])
		return 0;
	snprintf(code, sizeof(code), "%s", unit);
	for (int depth = 0; depth < 16 && code[0]; depth++) {
		if (!strcmp(code, scope))
			return 1;
		rc = otad_db_unit_get(db, code, &u);
		if (rc == -ENOENT)
			return 0;
		if (rc)
			return rc;
		snprintf(code, sizeof(code), "%s", u.parent);
	}
	return 0;
}

int otad_db_unit_change_affected(struct otad_db *db, int64_t change, void (*cb)(const char *unit, void *priv),
				 void *priv)
{
	(void)db, (void)change, (void)cb, (void)priv;
	return -ENOENT;
}
