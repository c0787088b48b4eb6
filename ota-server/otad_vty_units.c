/* simpki-otad's VTY for the organisation tree (otad_units.h, otad_db_units.h):
 *
 *   show unit CODE                 one unit: name, kind, its path from the root, validity, successor, children and
 *                                  holders (its subtree), and its versions before each change (otad_vty_pki.c's
 *                                  command calls otad_vty_unit_show())
 *   show unit-changes              the last 50 unit changes, newest first: kind, state, effective time, by whom,
 *                                  what they affected
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otad.h"
#include "otad_db_units.h"
#include "otad_vty.h"

static const char *when(int64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms || !gmtime_r(&t, &tm))
		return "-";
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void path_cb(const struct otad_unit *u, void *priv)
{
	struct vty *vty = priv;

	vty_out(vty, "  %s %s (%s)%s", u->code, u->name, otad_unit_kind_names[u->kind], VTY_NEWLINE);
}

static void history_cb(const struct otad_unit *u, int64_t change, void *priv)
{
	struct vty *vty = priv;
	char a[32], b[32];

	vty_out(vty, "  until %s (change %" PRId64 "): %s (%s), parent %s, since %s%s", when(u->valid_to_ms, a), change,
		u->name, otad_unit_kind_names[u->kind], u->parent[0] ? u->parent : "-", when(u->valid_from_ms, b),
		VTY_NEWLINE);
}

int otad_vty_unit_show(struct vty *vty, const char *code)
{
	struct otad_unit u;
	char a[32], b[32];
	int rc = otad_db_unit_get(g_otad->db, code, &u);

	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no such unit" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "unit %s: %s (%s%s%s)%s", u.code, u.name, otad_unit_kind_names[u.kind], u.parent[0] ? " of " : "",
		u.parent, VTY_NEWLINE);
	vty_out(vty, " valid from %s to %s%s%s%s", when(u.valid_from_ms, a), when(u.valid_to_ms, b),
		u.successor[0] ? ", went into " : "", u.successor, VTY_NEWLINE);
	vty_out(vty, " children: %" PRId64 ", holders (its subtree): %" PRId64 "%s",
		otad_db_unit_children_count(g_otad->db, code), otad_db_unit_holders_count(g_otad->db, code),
		VTY_NEWLINE);
	vty_out(vty, " path:%s", VTY_NEWLINE);
	otad_db_unit_path(g_otad->db, code, path_cb, vty);
	vty_out(vty, " history:%s", VTY_NEWLINE);
	otad_db_unit_history(g_otad->db, code, history_cb, vty);
	return CMD_SUCCESS;
}

static void change_cb(const struct otad_unit_change_row *r, void *priv)
{
	struct vty *vty = priv;
	char a[32];

	vty_out(vty, "change %" PRId64 ": %s, %s, effective %s, by %s", r->id, unit_change_kind_names[r->kind],
		otad_unit_change_state_names[r->state], when(r->effective_ms, a), r->by);
	if (r->state == OTAD_UNIT_CHANGE_APPLIED)
		vty_out(vty, ", %" PRId64 " units and %" PRId64 " holders affected", r->units_affected,
			r->holders_affected);
	if (r->error[0])
		vty_out(vty, ": %s", r->error);
	vty_out(vty, "%s  %s%s", VTY_NEWLINE, r->detail, VTY_NEWLINE);
}

DEFUN(show_unit_changes, show_unit_changes_cmd, "show unit-changes",
      SHOW_STR "The organisation tree's last 50 changes, newest first\n")
{
	if (otad_db_unit_changes_list(g_otad->db, 0, 50, change_cb, vty) < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

void otad_vty_units_init(void)
{
	install_element_ve(&show_unit_changes_cmd);
}
