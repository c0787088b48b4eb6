/* simpki-otad's 'audit' VTY node (audit_daemon.h: struct audit_cfg) and the audit trail's commands:
 *   audit
 *    key PATH                        the audit key file (default audit.key next to the configuration): P-256, PEM,
 *                                    mode 0600; read at start, never shown
 *    key-create | no key-create      make it (mode 0600) at start when it is missing
 *    checkpoint records <1-1000000>  a signed checkpoint every N records (default 1000)
 *    checkpoint interval <1-86400>   and every T seconds when records came since the last (default 60)
 *   show audit                       records, the last seq, the last checkpoint, the key's id
 *   audit checkpoint                 (enable) a checkpoint now
 */
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "audit_daemon.h"
#include "otad_vty.h"

static struct cmd_node audit_node = { .node = AUDIT_NODE, .prompt = "%s(config-audit)# ", .vtysh = 1 };

DEFUN(cfg_audit, cfg_audit_cmd, "audit", "The audit trail (hash-chained records, signed checkpoints)\n")
{
	vty->node = AUDIT_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_key, cfg_key_cmd, "key PATH",
      "The audit key file that signs checkpoints (P-256, PEM, mode 0600)\nPath (relative: to the configuration's "
      "directory)\n")
{
	osmo_talloc_replace_string(tall_vty_ctx, &audit_cfg.key, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_key_create, cfg_key_create_cmd, "key-create", "Make the audit key file at start when it is missing\n")
{
	audit_cfg.key_create = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_key_create, cfg_no_key_create_cmd, "no key-create", NO_STR "A missing audit key file stops the start\n")
{
	audit_cfg.key_create = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_cp_records, cfg_cp_records_cmd, "checkpoint records <1-1000000>",
      "Signed checkpoints\nEvery N records (default 1000)\nRecords\n")
{
	audit_cfg.cp_records = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_cp_interval, cfg_cp_interval_cmd, "checkpoint interval <1-86400>",
      "Signed checkpoints\nEvery T seconds when records came since the last (default 60)\nSeconds\n")
{
	audit_cfg.cp_interval_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

static int config_write(struct vty *vty)
{
	vty_out(vty, "audit%s", VTY_NEWLINE);
	vty_out(vty, " key %s%s", audit_cfg.key ? audit_cfg.key : "audit.key", VTY_NEWLINE);
	if (audit_cfg.key_create)
		vty_out(vty, " key-create%s", VTY_NEWLINE);
	vty_out(vty, " checkpoint records %u%s", audit_cfg.cp_records, VTY_NEWLINE);
	vty_out(vty, " checkpoint interval %u%s", audit_cfg.cp_interval_s, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_audit, show_audit_cmd, "show audit", SHOW_STR "The audit trail\n")
{
	struct audit_status st;
	char when[32] = "-";

	if (audit_status(&st)) {
		vty_out(vty, "%% the audit trail cannot be read (database error)%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (!st.started) {
		vty_out(vty, "audit trail: not running%s", VTY_NEWLINE);
		return CMD_SUCCESS;
	}
	if (st.last_cp_at) {
		time_t t = (time_t)(st.last_cp_at / 1000);
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	}
	vty_out(vty, "audit trail: %" PRId64 " records, the last seq %" PRId64 "%s", st.records, st.last_seq,
		VTY_NEWLINE);
	vty_out(vty, " checkpoints: %" PRId64 ", the last covers seq %" PRId64 " (%s); %" PRId64 " records after it%s",
		st.checkpoints, st.last_cp_seq, when, st.last_seq - st.last_cp_seq, VTY_NEWLINE);
	vty_out(vty, " a checkpoint every %u records or %u s%s", audit_cfg.cp_records, audit_cfg.cp_interval_s,
		VTY_NEWLINE);
	vty_out(vty, " key id %s%s", st.key_id, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(audit_cp, audit_cp_cmd, "audit checkpoint", "The audit trail\nSign a checkpoint now\n")
{
	if (audit_checkpoint()) {
		vty_out(vty, "%% no checkpoint made: the audit trail is not running, or a database error%s",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "checkpoint made (or none needed: no record since the last)%s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

void audit_vty_init(void)
{
	install_element(CONFIG_NODE, &cfg_audit_cmd);
	install_node(&audit_node, config_write);
	install_element(AUDIT_NODE, &cfg_key_cmd);
	install_element(AUDIT_NODE, &cfg_key_create_cmd);
	install_element(AUDIT_NODE, &cfg_no_key_create_cmd);
	install_element(AUDIT_NODE, &cfg_cp_records_cmd);
	install_element(AUDIT_NODE, &cfg_cp_interval_cmd);
	install_element_ve(&show_audit_cmd);
	install_element(ENABLE_NODE, &audit_cp_cmd);
}
