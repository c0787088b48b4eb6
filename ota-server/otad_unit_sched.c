/* Unit changes in the daemon (otad_units.h): filing one for an actor, audited, and applying each when its effective
 * time comes: at once when it is now or past (in the filing transaction, otad_db_units.h), otherwise by one
 * osmo_timer armed for the change due first; at start, the changes that fell due while the daemon was down. Every
 * change filed, applied or failed is audited (audit/audit.h) and logged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <osmocom/core/timer.h>

#include "audit/audit.h"
#include "otad.h"
#include "otad_db_units.h"
#include "otad_units.h"

static struct osmo_timer_list due_timer;

static void arm(void);

/* Apply every pending change whose time has come. \returns how many were applied; -EIO */
static int apply_due(void)
{
	int64_t id, at, now;
	char err[300], obj[40];
	int rc, n = 0;

	while ((rc = otad_db_unit_change_next(g_otad->db, &id, &at)) == 1 && at <= (now = otad_now_ms())) {
		snprintf(obj, sizeof(obj), "unit-change %lld", (long long)id);
		rc = otad_db_unit_change_apply(g_otad->db, id, now, err, sizeof(err));
		if (rc == -EINVAL) {
			LOGP(DOTAD, LOGL_ERROR, "unit change %lld fell due and does not fit the tree: %s\n",
			     (long long)id, err);
			otad_audit(&otad_actor_daemon, "unit.change", obj, "failed", "%s", err);
			continue;
		}
		if (rc)
			return -EIO;
		LOGP(DOTAD, LOGL_NOTICE, "unit change %lld applied\n", (long long)id);
		otad_audit(&otad_actor_daemon, "unit.change", obj, "done", "applied");
		n++;
	}
	return rc < 0 ? -EIO : n;
}

static void due_cb(void *data)
{
	if (apply_due() < 0)
		LOGP(DOTAD, LOGL_ERROR, "unit changes: database error (tried again in a minute)\n");
	arm();
}

/* The timer for the pending change due first (a minute at most, so a database error is tried again). */
static void arm(void)
{
	int64_t id, at, wait_ms = 60000;
	int rc = otad_db_unit_change_next(g_otad->db, &id, &at);

	if (rc == 0) {
		osmo_timer_del(&due_timer);
		return;
	}
	if (rc == 1)
		wait_ms = at - otad_now_ms();
	if (wait_ms < 0)
		wait_ms = 0;
	if (wait_ms > 60000)
		wait_ms = 60000;
	osmo_timer_setup(&due_timer, due_cb, NULL);
	osmo_timer_schedule(&due_timer, (int)(wait_ms / 1000), (int)(wait_ms % 1000) * 1000);
}

int otad_unit_changes_start(void)
{
	int n = apply_due();

	if (n > 0)
		LOGP(DOTAD, LOGL_NOTICE, "%d unit changes applied that fell due while simpki-otad was down\n", n);
	arm();
	return n;
}

int otad_unit_change_submit(const struct otad_actor *who, const struct unit_change *ch, int64_t *id, char *err,
			    size_t errlen)
{
	int64_t now = otad_now_ms();
	char obj[40];
	int rc;

	/* fail closed: no record of the request, no change */
	if (otad_audit(who, "unit.change", unit_change_kind_names[ch->kind], "accepted", "filed for %s",
		       ch->effective_ms > now ? "later" : "now")) {
		snprintf(err, errlen, "the audit record could not be written");
		return -EPIPE;
	}
	rc = otad_db_unit_change_file(g_otad->db, ch, who->name, now, id, err, errlen);
	if (rc == -EINVAL) {
		otad_audit(who, "unit.change", unit_change_kind_names[ch->kind], "refused", "%s", err);
		return rc;
	}
	if (rc) {
		snprintf(err, errlen, "database error");
		return -EIO;
	}
	snprintf(obj, sizeof(obj), "unit-change %lld", (long long)*id);
	if (ch->effective_ms > now) {
		LOGP(DOTAD, LOGL_NOTICE, "unit change %lld (%s) filed by '%s', due later\n", (long long)*id,
		     unit_change_kind_names[ch->kind], who->name);
		otad_audit(who, "unit.change", obj, "done", "filed, pending");
		arm();
	} else {
		LOGP(DOTAD, LOGL_NOTICE, "unit change %lld (%s) filed and applied by '%s'\n", (long long)*id,
		     unit_change_kind_names[ch->kind], who->name);
		otad_audit(who, "unit.change", obj, "done", "filed, applied");
	}
	return 0;
}
