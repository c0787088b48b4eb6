/* Who acts, and what each role may do where: the permission matrix (role x action x inside or outside the actor's
 * scope) is one table, in otad_perm.c; tests/unit/test-otad-perm.c checks every cell. Every API route and VTY
 * command that acts on holders, cards, certificates, units, requests or the audit trail asks otad_perm() first,
 * with the unit of the object it acts on.
 *
 * Scope: a token's unit; the actor may act on objects whose unit is that unit or under it (otad_db_unit_within()).
 * A token without a scope (and the VTY, and the administrator's token) covers the whole tree. An object not tied
 * to a unit (a card without a holder, a job, a campaign) is "outside" for a scoped actor.
 */
#pragma once
#include <stdbool.h>

#include "otad_db.h"

/* The one who acts: from the API token (its name, role and scope), or the VTY ("vty", admin, whole tree). */
struct otad_actor {
	char name[65];
	enum otad_role role;
	char scope[OTAD_UNIT_CODE_MAX + 1]; /* "": the whole tree */
	const char *via;		    /* "api", "vty", "daemon" (the daemon's own steps) */
};

enum otad_action {
	OTAD_ACT_CARD_READ,	  /* cards, their jobs */
	OTAD_ACT_CARD_WRITE,	  /* import cards, set a card's state, make or cancel a job */
	OTAD_ACT_CAMPAIGN_READ,	  /* provisioning campaigns */
	OTAD_ACT_CAMPAIGN_WRITE,  /* make, pause, resume, cancel one */
	OTAD_ACT_HOLDER_READ,	  /* holders, their certificates */
	OTAD_ACT_HOLDER_WRITE,	  /* register holders, give a card to a holder */
	OTAD_ACT_UNIT_READ,	  /* the tree */
	OTAD_ACT_UNIT_CHANGE,	  /* rename, merge, split, move units */
	OTAD_ACT_CERT_ENROL,	  /* a new certificate for a SIM's key */
	OTAD_ACT_CERT_MODIFY,	  /* change of subject, same key */
	OTAD_ACT_CERT_RENEW,	  /* same key, new validity */
	OTAD_ACT_CERT_REKEY,	  /* a new key on the SIM, a new certificate */
	OTAD_ACT_CERT_REVOKE,	  /* revoke */
	OTAD_ACT_CERT_SUSPEND,	  /* certificateHold */
	OTAD_ACT_CERT_RELEASE,	  /* lift a hold */
	OTAD_ACT_PIN_RESET,	  /* unblock a holder's PIN over the air */
	OTAD_ACT_LIFECYCLE_READ,  /* lifecycle operations' progress */
	OTAD_ACT_LIFECYCLE_WRITE, /* pause, resume, cancel one */
	OTAD_ACT_REQUEST_READ,	  /* requests */
	OTAD_ACT_REQUEST_FILE,	  /* file a request */
	OTAD_ACT_REQUEST_DECIDE,  /* approve or reject one */
	OTAD_ACT_AUDIT_READ,	  /* read and export the audit trail */
	OTAD_ACT_AUDIT_VERIFY,	  /* verify it */
	OTAD_ACT_TOKEN_MANAGE,	  /* make, list, revoke tokens */
	OTAD_ACT_DATABASE_MANAGE, /* backups, counter floors */
	OTAD_N_ACTIONS,
};
extern const char *const otad_action_names[OTAD_N_ACTIONS]; /* "card.read", "cert.modify", ... */

/* What a cell of the matrix says. */
enum otad_perm_cell {
	OTAD_PERM_NO,	  /* never */
	OTAD_PERM_INSIDE, /* only on objects inside the actor's scope */
	OTAD_PERM_ANY,	  /* anywhere */
};
/*! The matrix's cell for \a role and \a action. */
enum otad_perm_cell otad_perm_cell(enum otad_role role, enum otad_action action);

/*! May \a who do \a action on an object of \a unit (a unit's code; NULL or "": an object not tied to a unit)?
 *  \returns 0; -EPERM; -EIO (the tree could not be read: refused) */
struct otad_db;
int otad_perm(struct otad_db *db, const struct otad_actor *who, enum otad_action action, const char *unit);

/*! The VTY's actor: "vty", admin, the whole tree. */
extern const struct otad_actor otad_actor_vty;
/*! The daemon's own steps (a lifecycle item's next step, a campaign's): "simpki-otad", admin, the whole tree. */
extern const struct otad_actor otad_actor_daemon;
