/* The permission matrix (otad_perm.h). STUB: everything is allowed until the matrix lands. */
#include <errno.h>

#include "otad_perm.h"

const char *const otad_action_names[OTAD_N_ACTIONS] = {
	"card.read",	  "card.write",	    "campaign.read",   "campaign.write", "holder.read",
	"holder.write",	  "unit.read",	    "unit.change",     "cert.enrol",	 "cert.modify",
	"cert.renew",	  "cert.rekey",	    "cert.revoke",     "cert.suspend",	 "cert.release",
	"pin.reset",	  "lifecycle.read", "lifecycle.write", "request.read",	 "request.file",
	"request.decide", "audit.read",	    "audit.verify",    "token.manage",	 "database.manage",
};

const struct otad_actor otad_actor_vty = { .name = "vty", .role = OTAD_ROLE_ADMIN, .via = "vty" };
const struct otad_actor otad_actor_daemon = { .name = "simpki-otad", .role = OTAD_ROLE_ADMIN, .via = "daemon" };

enum otad_perm_cell otad_perm_cell(enum otad_role role, enum otad_action action)
{
	(void)role;
	(void)action;
	return OTAD_PERM_ANY;
}

int otad_perm(struct otad_db *db, const struct otad_actor *who, enum otad_action action, const char *unit)
{
	(void)db;
	(void)unit;
	return otad_perm_cell(who->role, action) == OTAD_PERM_ANY ? 0 : -EPERM;
}
