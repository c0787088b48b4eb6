/* The VTY of remote PIN resets (pinreset.h): 'show pin-resets' lists the newest resets (never a PIN). */
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "otad.h"
#include "otad_db_pinreset.h"
#include "pinreset/pinreset.h"

static void show_one(const struct otad_pin_reset_row *r, void *priv)
{
	struct vty *vty = priv;
	time_t t = (time_t)(r->created_ms / 1000);
	char when[32];

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	vty_out(vty, "%6" PRId64 " %-20s %-20s %-12s %-7s job %-6" PRId64 " by %s at %s%s", r->id, r->holder, r->iccid,
		r->mode, r->state, r->job, r->by, when, VTY_NEWLINE);
	if (r->error[0])
		vty_out(vty, "       %s%s", r->error, VTY_NEWLINE);
}

DEFUN(show_pin_resets, show_pin_resets_cmd, "show pin-resets [<1-1000>]",
      SHOW_STR "Remote PIN resets by counters, newest first\nHow many (default 20)\n")
{
	int n;

	if (!g_otad->db) {
		vty_out(vty, "%% no database%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "%6s %-20s %-20s %-12s %-7s%s", "id", "holder", "card", "mode", "state", VTY_NEWLINE);
	n = otad_db_pin_resets_list(g_otad->db, false, argc ? (unsigned)atoi(argv[0]) : 20, show_one, vty);
	if (n < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

void otad_pin_reset_vty_init(void)
{
	install_element_ve(&show_pin_resets_cmd);
}
