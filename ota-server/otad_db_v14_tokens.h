/* Schema version 14, the tokens' part (owned by otad_perm.c and the token functions of otad_db.c):
 *   tokens gains scope TEXT (a unit's code: the token acts on that unit and everything under it; NULL: the whole
 *          tree). Roles: otad_role_names (read-only, operator, admin, central-ra, unit-ra, counter, auditor).
 */
#pragma once

#define MIGRATION_V14_TOKENS "ALTER TABLE tokens ADD COLUMN scope TEXT;"
