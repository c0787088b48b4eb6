/* simpki-otad's VTY for certificate lifecycle operations (lifecycle.h, docs/lifecycle.md): the 'lifecycle' node of
 * the configuration (inside 'otad': concurrency, retries, back-off, and the hidden benchmark knob test-skip-ota)
 * and the operator's commands: show lifecycle, show lifecycle ID [items [STATE]], lifecycle ID
 * pause|resume|cancel. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle/lifecycle.h"
#include "lifecycle/lifecycle_engine.h"
#include "otad.h"
#include "otad_vty.h"

static struct cmd_node lifecycle_node = { .node = LC_NODE, .prompt = "%s(config-otad-lifecycle)# ", .vtysh = 1 };

DEFUN(cfg_lifecycle, cfg_lifecycle_cmd, "lifecycle", "Certificate lifecycle operations: how items are worked on\n")
{
	vty->node = LC_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_lc_concurrency, cfg_lc_concurrency_cmd, "concurrency <1-10000>",
      "Items in a step at once, for an operation that does not say\nItems\n")
{
	otad_lc_cfg.concurrency = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_lc_retries, cfg_lc_retries_cmd, "retries <0-100>",
      "Temporary failures of an item (no PoR, the CA unreachable) before it fails\nTries after the first\n")
{
	otad_lc_cfg.retries = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_lc_backoff, cfg_lc_backoff_cmd, "backoff min-seconds <1-86400> max-seconds <1-86400>",
      "The wait before an item's step is tried again: doubling from min to max\nThe first wait\nSeconds\nThe longest\n"
      "Seconds\n")
{
	otad_lc_cfg.backoff_min_s = (unsigned)atoi(argv[0]);
	otad_lc_cfg.backoff_max_s = (unsigned)atoi(argv[1]);
	if (otad_lc_cfg.backoff_max_s < otad_lc_cfg.backoff_min_s)
		otad_lc_cfg.backoff_max_s = otad_lc_cfg.backoff_min_s;
	return CMD_SUCCESS;
}

DEFUN_HIDDEN(cfg_lc_skip_ota, cfg_lc_skip_ota_cmd, "test-skip-ota",
	     "BENCHMARKS ONLY: take load and verify as done without sending anything to the SIM\n")
{
	otad_lc_cfg.test_skip_ota = true;
	return CMD_SUCCESS;
}

static int config_write_lifecycle(struct vty *vty)
{
	return CMD_SUCCESS; /* written inside 'otad' */
}

void otad_vty_lifecycle_write(struct vty *vty)
{
	const struct otad_lc_cfg *c = &otad_lc_cfg;

	vty_out(vty, " lifecycle%s", VTY_NEWLINE);
	vty_out(vty, "  concurrency %u%s", c->concurrency, VTY_NEWLINE);
	vty_out(vty, "  retries %u%s", c->retries, VTY_NEWLINE);
	vty_out(vty, "  backoff min-seconds %u max-seconds %u%s", c->backoff_min_s, c->backoff_max_s, VTY_NEWLINE);
	if (c->test_skip_ota)
		vty_out(vty, "  test-skip-ota%s", VTY_NEWLINE);
}

static void show_one(struct vty *vty, const struct otad_lc_op *op)
{
	struct otad_lc_progress p;

	if (otad_lc_progress(op, &p)) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return;
	}
	vty_out(vty, "lifecycle %lld %s '%s' %s by %s: %lld of %lld items over", (long long)op->id,
		otad_lc_kind_names[op->kind], op->name, otad_lc_state_names[op->state], op->by, (long long)p.done,
		(long long)op->items);
	for (int s = 0; s < OTAD_LCI_N_STATES; s++)
		if (p.n[s])
			vty_out(vty, ", %s %lld", otad_lci_state_names[s], (long long)p.n[s]);
	if (p.backoff)
		vty_out(vty, " (%lld waiting to try again)", (long long)p.backoff);
	vty_out(vty, "; %.1f items/min", p.per_minute);
	if (p.eta_s > 0)
		vty_out(vty, ", %lld s left", (long long)p.eta_s);
	vty_out(vty, "%s", VTY_NEWLINE);
}

static void show_cb(const struct otad_lc_op *op, void *priv)
{
	show_one(priv, op);
}

DEFUN(show_lcs, show_lcs_cmd, "show lifecycle", SHOW_STR "Every certificate lifecycle operation, newest first\n")
{
	if (otad_db_lc_list(g_otad->db, false, 0, 1000, show_cb, vty) < 0)
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_lc, show_lc_cmd, "show lifecycle <1-999999999>",
      SHOW_STR "A certificate lifecycle operation: state, items per state, rate\nIts id\n")
{
	struct otad_lc_op op;

	if (otad_db_lc_get(g_otad->db, atoll(argv[0]), &op)) {
		vty_out(vty, "%% no lifecycle operation %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	show_one(vty, &op);
	return CMD_SUCCESS;
}

static void item_cb(const struct otad_lc_item *it, void *priv)
{
	struct vty *vty = priv;

	vty_out(vty, "item %lld holder %s card %s old %s %s%s%s tries %u%s%s%s", (long long)it->seq, it->holder,
		it->iccid, it->old_serial, otad_lci_state_names[it->state], it->new_serial[0] ? " new " : "",
		it->new_serial, it->tries, it->error[0] ? ": " : "", it->error, VTY_NEWLINE);
}

DEFUN(show_lc_items, show_lc_items_cmd, "show lifecycle <1-999999999> items [STATE]",
      SHOW_STR "A certificate lifecycle operation\nIts id\nIts items, in order (at most 1000)\n"
	       "Only those in this state (waiting, check, issue, load, verify, revoke, done, failed, cancelled, "
	       "skipped)\n")
{
	if (otad_db_lci_list(g_otad->db, atoll(argv[0]), argc > 1 ? argv[1] : NULL, 0, 1000, item_cb, vty) < 0)
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(lc_act, lc_act_cmd, "lifecycle <1-999999999> (pause|resume|cancel)",
      "A certificate lifecycle operation\nIts id\nNo item starts a new step\nGo on\nStop it for good\n")
{
	int64_t id = atoll(argv[0]);
	int rc = !strcmp(argv[1], "pause")  ? otad_lc_pause(id) :
		 !strcmp(argv[1], "resume") ? otad_lc_resume(id) :
					      otad_lc_cancel(id);

	if (rc == -ENOENT)
		vty_out(vty, "%% no lifecycle operation %s%s", argv[0], VTY_NEWLINE);
	else if (rc == -EALREADY)
		vty_out(vty, "%% lifecycle operation %s is over, or %s already%s", argv[0], argv[1], VTY_NEWLINE);
	else if (rc)
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
	return rc ? CMD_WARNING : CMD_SUCCESS;
}

void otad_vty_lifecycle_init(void)
{
	install_element(OTAD_NODE, &cfg_lifecycle_cmd);
	install_node(&lifecycle_node, config_write_lifecycle);
	install_element(LC_NODE, &cfg_lc_concurrency_cmd);
	install_element(LC_NODE, &cfg_lc_retries_cmd);
	install_element(LC_NODE, &cfg_lc_backoff_cmd);
	install_element(LC_NODE, &cfg_lc_skip_ota_cmd);
	install_element_ve(&show_lcs_cmd);
	install_element_ve(&show_lc_cmd);
	install_element_ve(&show_lc_items_cmd);
	install_element(ENABLE_NODE, &lc_act_cmd);
}
