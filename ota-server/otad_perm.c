/* The permission matrix (otad_perm.h): one table, role x action, each cell NO, INSIDE (only on objects whose unit is
 * the actor's scope or under it) or ANY; otad_perm() applies it with the tree (otad_db_unit_within()). An actor
 * without a scope covers the whole tree: INSIDE is everywhere for it, objects without a unit included. */
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

#define N OTAD_PERM_NO
#define I OTAD_PERM_INSIDE
#define A OTAD_PERM_ANY

/* Who may do what, where. A: anywhere; I: inside the token's scope (everywhere for a token without one); N: never.
 *  - admin: everything, anywhere; the only one for tokens and the database.
 *  - read-only: every *.read but the audit trail's, inside its scope.
 *  - operator (the telecom operator): cards, jobs, campaigns; registers holders and gives them cards (as it could
 *    before roles had scopes), enrols certificates; reads holders, units and lifecycle operations; anywhere.
 *  - central-ra: holders, every certificate operation, PIN resets, unit changes, lifecycle operations, requests;
 *    reads cards; anywhere. No campaigns, no card writes.
 *  - unit-ra: what central-ra does, inside its scope, except changing units and pausing lifecycle operations; it
 *    reads the cards of its holders (to follow their enrolments).
 *  - counter: reads holders and units, resets PINs, suspends certificates, reads and files requests; inside.
 *  - auditor: reads and verifies the audit trail and reads everything else; changes nothing.
 * tests/unit/test-otad-perm.c holds the same table, written out by itself, and checks every cell; docs/otad.md
 * ("Roles and scopes") shows it. */
static const enum otad_perm_cell matrix[OTAD_N_ROLES][OTAD_N_ACTIONS] = {
	/* columns in enum otad_action's order: card r w | campaign r w | holder r w | unit r change | cert enrol modify
	 * renew rekey revoke suspend release | pin.reset | lifecycle r w | request r file decide | audit r verify | token
	 * | database */
	[OTAD_ROLE_READ_ONLY] = { I, N, I, N, I, N, I, N, N, N, N, N, N, N, N, N, I, N, I, N, N, N, N, N, N },
	[OTAD_ROLE_OPERATOR] = { A, A, A, A, A, A, A, N, A, N, N, N, N, N, N, N, A, N, N, N, N, N, N, N, N },
	[OTAD_ROLE_ADMIN] = { A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A },
	[OTAD_ROLE_CENTRAL_RA] = { A, N, N, N, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, N, N, N, N },
	[OTAD_ROLE_UNIT_RA] = { I, N, N, N, I, I, I, N, I, I, I, I, I, I, I, I, I, N, I, I, I, N, N, N, N },
	[OTAD_ROLE_COUNTER] = { N, N, N, N, I, N, I, N, N, N, N, N, N, I, N, I, N, N, I, I, N, N, N, N, N },
	[OTAD_ROLE_AUDITOR] = { A, N, A, N, A, N, A, N, N, N, N, N, N, N, N, N, A, N, A, N, N, A, A, N, N },
};

#undef N
#undef I
#undef A

enum otad_perm_cell otad_perm_cell(enum otad_role role, enum otad_action action)
{
	if ((unsigned)role >= OTAD_N_ROLES || (unsigned)action >= OTAD_N_ACTIONS)
		return OTAD_PERM_NO;
	return matrix[role][action];
}

int otad_perm(struct otad_db *db, const struct otad_actor *who, enum otad_action action, const char *unit)
{
	int rc;

	switch (otad_perm_cell(who->role, action)) {
	case OTAD_PERM_ANY:
		return 0;
	case OTAD_PERM_INSIDE:
		if (!who->scope[0])
			return 0; /* the whole tree */
		if (!unit || !unit[0])
			return -EPERM; /* not tied to a unit: outside any scope */
		rc = otad_db_unit_within(db, unit, who->scope);
		if (rc < 0)
			return -EIO;
		return rc == 1 ? 0 : -EPERM;
	default:
		return -EPERM;
	}
}
