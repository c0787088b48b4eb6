/* simpki-otad's operator API: who may do what, where (otad_perm.h), and the audit record of every change, in one
 * place. Each route is one action (api_route_action()); a route on one object is judged with the object's unit,
 * found from the path for every route under these (those added later too):
 *
 *   /v1/cards/{iccid}...      the card's holder's unit; none for a card without a holder
 *   /v1/holders/{id}...       the holder's unit
 *   /v1/units/{code}...       the unit itself
 *
 * and from the request for these:
 *
 *   GET /v1/enrolments/{id}           the enrolment's holder's unit
 *   GET /v1/holders?unit=             unit; for a scoped token without it, its scope (the handler filters by it)
 *   POST /v1/holders                  the body's unit
 *   PUT /v1/cards/{iccid}/holder      the card's holder's (when it has one) and the new holder's (when one is
 *                                     named): both must be inside
 *   PATCH /v1/holders/{id}            the holder's unit now and the body's unit (where it moves): both inside
 *   /v1/requests/{id}...              the request's unit
 *   GET /v1/pin-resets/{id}           the reset's holder's unit
 *   /v1/lifecycle/{id}...             the operation's unit (the lowest containing all its holders; none: outside
 *                                     every scope)
 *   GET /v1/lifecycle                 the token's scope (the handler lists the operations inside it)
 *   GET /v1/requests[/stats]?unit=    unit; for a scoped token without it, its scope
 *   POST /v1/requests, /v1/lifecycle, /v1/certificates/{serial}/...   the token's scope: the holders are in
 *                                     the body or behind the certificate; request.c and otad_lc_create() judge
 *                                     each holder with otad_perm()
 *
 * Anything else (jobs, imports, lists of cards, campaigns, tokens, the database) is not tied to a unit: outside
 * every scope. The audit trail names the object "card ICCID", "holder ID", "unit CODE", "token NAME", or the path.
 *
 * An object that is not found has no unit: a scoped token is refused (403) before it could learn whether it exists;
 * an unscoped one goes on to the route's own 404. A request that changes something (POST, PUT, PATCH, DELETE) is
 * written to the audit trail (otad_audit()) once judged, accepted or refused, before anything is done; when the
 * record cannot be written, the answer is 503 audit-unavailable and nothing is done. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "audit/audit.h"
#include "otad.h"
#include "otad_api_int.h"
#include "otad_db_lifecycle.h"
#include "otad_db_pinreset.h"
#include "otad_db_request.h"

void api_actor(struct api_req *r)
{
	memset(&r->actor, 0, sizeof(r->actor));
	snprintf(r->actor.name, sizeof(r->actor.name), "%s", r->who.name);
	r->actor.role = r->who.role;
	snprintf(r->actor.scope, sizeof(r->actor.scope), "%s", r->who.scope);
	r->actor.via = "api";
}

/* The object of a request: what the audit trail calls it, and the units it is judged by. */
struct object {
	char name[160];
	char unit[2][OTAD_UNIT_CODE_MAX + 1];
	unsigned n; /* units; 0: not tied to a unit */
};

static bool writes(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD");
}

/* Whether the route's object is named by its body: judged once the body is in. */
static bool needs_body(enum api_route route)
{
	return route == API_HOLDERS_CREATE || route == API_CARD_HOLDER || route == API_HOLDER_PATCH ||
	       route == API_TOKENS_CREATE;
}

static void add_unit(struct object *o, const char *unit)
{
	size_t n = unit ? strlen(unit) : 0;

	if (!n || o->n == 2)
		return;
	if (n > OTAD_UNIT_CODE_MAX) /* never cut: "?" is no unit, outside every scope */
		unit = "?", n = 1;
	memcpy(o->unit[o->n++], unit, n + 1);
}

/* \returns 0; -EIO */
static int holder_unit(const char *id, struct object *o)
{
	struct otad_holder h;
	int rc = otad_db_holder_get(g_otad->db, id, &h);

	if (rc == -ENOENT)
		return 0;
	if (rc)
		return -EIO;
	add_unit(o, h.unit);
	return 0;
}

/* The unit of card \a iccid's holder. \returns 0; -EIO */
static int card_unit(const char *iccid, struct object *o)
{
	struct otad_card card;
	int rc = otad_db_card_get(g_otad->db, iccid, &card);

	if (rc == -ENOENT)
		return 0;
	if (rc)
		return -EIO;
	return card.holder[0] ? holder_unit(card.holder, o) : 0;
}

/* The kind of object a path names by its argument (the one '*' of api_parse.c's paths): every route under
 * /v1/cards/{iccid}, /v1/holders/{id}, /v1/units/{code}, /v1/tokens/{name} -- those added later too. */
enum kind {
	KIND_NONE,
	KIND_CARD,
	KIND_HOLDER,
	KIND_UNIT,
	KIND_TOKEN,
};

static enum kind kind_of(const struct api_req *r)
{
	if (!r->arg[0])
		return KIND_NONE;
	if (!strncmp(r->path, "/v1/cards/", 10))
		return KIND_CARD;
	if (!strncmp(r->path, "/v1/holders/", 12))
		return KIND_HOLDER;
	if (!strncmp(r->path, "/v1/units/", 10))
		return KIND_UNIT;
	if (!strncmp(r->path, "/v1/tokens/", 11))
		return KIND_TOKEN;
	return KIND_NONE;
}

/* What the audit trail calls the object, from the path alone. */
static void object_name(struct api_req *r, struct object *o)
{
	static const char *const words[] = { NULL, "card", "holder", "unit", "token" };
	enum kind k = kind_of(r);

	if (k != KIND_NONE)
		snprintf(o->name, sizeof(o->name), "%s %s", words[k], r->arg);
	else
		snprintf(o->name, sizeof(o->name), "%s", r->path);
}

/* The object's units, and its name where the body gives it. \returns 0; -EINVAL (a bad body: \a err says why);
 * -EIO */
static int object_units(struct MHD_Connection *c, struct api_req *r, struct object *o, char *err, size_t errlen)
{
	char holder[OTAD_HOLDER_ID_MAX + 1], name[65], scope[OTAD_UNIT_CODE_MAX + 1], unit_new[OTAD_UNIT_CODE_MAX + 1];
	struct otad_enrol_row e;
	struct otad_request rq;
	struct otad_pin_reset_row pr;
	struct otad_lc_op op;
	struct otad_holder h;
	const char *unit;
	int role, rc;

	switch (r->route) {
	case API_ENROL_GET:
		rc = otad_db_enrol_get(g_otad->db, strtoll(r->arg, NULL, 10), &e);
		if (rc == -ENOENT)
			return 0;
		if (rc)
			return -EIO;
		return e.holder[0] ? holder_unit(e.holder, o) : 0;
	case API_HOLDERS_LIST:
		unit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "unit");
		add_unit(o, unit && unit[0] ? unit : r->actor.scope); /* the handler uses the scope as the filter */
		return 0;
	case API_HOLDERS_CREATE:
		if (api_holder_parse(r->body ? r->body : "", r->len, &h, err, errlen))
			return -EINVAL;
		snprintf(o->name, sizeof(o->name), "holder %s", h.id);
		add_unit(o, h.unit);
		return 0;
	case API_CARD_HOLDER:
		if (api_card_holder_parse(r->body ? r->body : "", r->len, holder, err, errlen))
			return -EINVAL;
		/* the card's holder now (when it has one) and the new one (when one is named): both inside */
		if (card_unit(r->arg, o) || (holder[0] && holder_unit(holder, o)))
			return -EIO;
		return 0;
	case API_HOLDER_PATCH:
		if (api_holder_patch_parse(r->body ? r->body : "", r->len, unit_new, err, errlen))
			return -EINVAL;
		/* the holder's unit now and the one it moves to: both inside */
		if (holder_unit(r->arg, o))
			return -EIO;
		add_unit(o, unit_new);
		return 0;
	case API_REQUEST_GET:
	case API_REQUEST_APPROVE:
	case API_REQUEST_REJECT:
	case API_REQUEST_WITHDRAW:
		rc = otad_db_request_get(g_otad->db, strtoll(r->arg, NULL, 10), &rq);
		if (rc == -ENOENT)
			return 0;
		if (rc)
			return -EIO;
		snprintf(o->name, sizeof(o->name), "request %s", r->arg);
		add_unit(o, rq.unit);
		return 0;
	case API_LC_GET:
	case API_LC_ITEMS:
	case API_LC_PAUSE:
	case API_LC_RESUME:
	case API_LC_CANCEL:
		rc = otad_db_lc_get(g_otad->db, strtoll(r->arg, NULL, 10), &op);
		if (rc == -ENOENT)
			return 0;
		if (rc)
			return -EIO;
		snprintf(o->name, sizeof(o->name), "lifecycle %s", r->arg);
		add_unit(o, op.unit); /* none: the whole tree, outside every scope */
		return 0;
	case API_LC_LIST:
		add_unit(o, r->actor.scope); /* the handler keeps to the scope */
		return 0;
	case API_PIN_RESET_GET:
		rc = otad_db_pin_reset_get(g_otad->db, strtoll(r->arg, NULL, 10), &pr);
		if (rc == -ENOENT)
			return 0;
		if (rc)
			return -EIO;
		snprintf(o->name, sizeof(o->name), "pin-reset %s", r->arg);
		return holder_unit(pr.holder, o);
	case API_REQUESTS_LIST:
	case API_REQUESTS_STATS:
		unit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "unit");
		add_unit(o, unit && unit[0] ? unit : r->actor.scope); /* the handler keeps to the scope */
		return 0;
	case API_REQUESTS_CREATE:
	case API_LC_CREATE:
	case API_CERT_REVOKE:
	case API_CERT_SUSPEND:
	case API_CERT_RELEASE:
	case API_CERT_RENEW:
	case API_CERT_MODIFY:
	case API_CERT_REKEY:
		/* the holders are in the body or behind the certificate: request.c and otad_lc_create() judge each
		 * with otad_perm() */
		add_unit(o, r->actor.scope);
		return 0;
	case API_TOKENS_CREATE:
		if (api_token_parse(r->body ? r->body : "", r->len, name, &role, scope, err, errlen))
			return -EINVAL;
		snprintf(o->name, sizeof(o->name), "token %s", name);
		return 0;
	default:
		switch (kind_of(r)) {
		case KIND_CARD:
			return card_unit(r->arg, o);
		case KIND_HOLDER:
			return holder_unit(r->arg, o);
		case KIND_UNIT:
			add_unit(o, r->arg);
			return 0;
		default:
			return 0; /* not tied to a unit */
		}
	}
}

/* Decide. \returns 0; -EPERM with \a reason ("not allowed for role counter", "unit 29 is outside your scope (01)");
 * -EIO */
static int decide(struct api_req *r, int action, const struct object *o, char *reason, size_t len)
{
	int rc;

	if (action < 0) {
		if (r->actor.role == OTAD_ROLE_ADMIN)
			return 0;
		snprintf(reason, len, "not in the permission table: admin only");
		return -EPERM;
	}
	if (otad_perm_cell(r->actor.role, action) == OTAD_PERM_NO) {
		snprintf(reason, len, "not allowed for role %s", otad_role_names[r->actor.role]);
		return -EPERM;
	}
	if (!o->n) {
		rc = otad_perm(g_otad->db, &r->actor, action, NULL);
		if (rc == -EPERM)
			snprintf(reason, len, "not tied to a unit: outside your scope (%s)", r->actor.scope);
		return rc;
	}
	for (unsigned i = 0; i < o->n; i++) {
		rc = otad_perm(g_otad->db, &r->actor, action, o->unit[i]);
		if (rc == -EPERM)
			snprintf(reason, len, "unit %s is outside your scope (%s)", o->unit[i], r->actor.scope);
		if (rc)
			return rc;
	}
	return 0;
}

bool api_permit(struct MHD_Connection *c, struct api_req *r, bool body, enum MHD_Result *res)
{
	int action = api_route_action(r->route);
	const char *act = action < 0 ? "unmapped" : otad_action_names[action];
	enum otad_perm_cell cell = action < 0 ? OTAD_PERM_NO : otad_perm_cell(r->actor.role, action);
	struct object o = { .n = 0 };
	char reason[120] = "", result[140], err[200] = "";
	int rc;

	object_name(r, &o);
	if (cell != OTAD_PERM_NO && !body && needs_body(r->route))
		return true; /* judged once the body is in */
	if (cell == OTAD_PERM_INSIDE && r->actor.scope[0]) {
		rc = object_units(c, r, &o, err, sizeof(err));
		if (!rc)
			rc = decide(r, action, &o, reason, sizeof(reason));
	} else {
		rc = decide(r, action, &o, reason, sizeof(reason)); /* the unit does not matter */
		if (!rc && needs_body(r->route))
			rc = object_units(c, r, &o, err, sizeof(err)); /* the object's name, and the body's checks */
	}
	r->judged = true;
	if (rc == -EINVAL) {
		*res = send_error(c, API_E_INVALID_REQUEST, "%s", err);
		return false;
	}
	if (rc == -EIO) {
		*res = send_error(c, API_E_DATABASE, "database error");
		return false;
	}
	snprintf(result, sizeof(result), rc ? "refused: %s" : "accepted", reason);
	if (writes(r->method) && otad_audit(&r->actor, act, o.name, result, "%s %s", r->method, r->path)) {
		LOGP(DAPI, LOGL_ERROR, "%s %s (token '%s'): the audit record could not be written: refused\n",
		     r->method, r->path, r->actor.name);
		*res = send_error(c, API_E_AUDIT_UNAVAILABLE,
				  "the audit trail cannot be written: nothing was done, try again later");
		return false;
	}
	if (rc) {
		LOGP(DAPI, LOGL_NOTICE, "%s %s (token '%s'): %s\n", r->method, r->path, r->actor.name, result);
		*res = send_error(c, API_E_FORBIDDEN, "token '%s' (%s): %s on %s: %s", r->actor.name,
				  otad_role_names[r->actor.role], act, o.name, reason);
		return false;
	}
	return true;
}
