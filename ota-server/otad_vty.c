/* simpki-otad's VTY: the 'otad' configuration node and the operator's show and import commands.
 *
 *   otad                          (config node)
 *    database PATH                the SQLite database (default otad.db)
 *    master-key PATH [create]     the master key file (default otad.key); 'create' makes it on first start
 *
 *   show cards                    how many cards, per import batch
 *   show card ICCID               one card: identities, state, key sets and their counters
 *   import cards FILE [NAME]      import a vendor file (all or nothing), print the report
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "otad.h"

enum otad_vty_node {
	OTAD_NODE = _LAST_OSMOVTY_NODE + 1
};

static struct cmd_node otad_node = { .node = OTAD_NODE, .prompt = "%s(config-otad)# ", .vtysh = 1 };

DEFUN(cfg_otad, cfg_otad_cmd, "otad", "Configure simpki-otad\n")
{
	vty->node = OTAD_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_database, cfg_database_cmd, "database PATH",
      "The SQLite database file\n"
      "Path (relative to the configuration file's directory)\n")
{
	osmo_talloc_replace_string(g_otad->ctx, &g_otad->cfg.database, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_master_key, cfg_master_key_cmd, "master-key PATH [create]",
      "The master key file that seals OTA keys in the database\n"
      "Path (relative to the configuration file's directory)\n"
      "Create it on first start if it does not exist\n")
{
	osmo_talloc_replace_string(g_otad->ctx, &g_otad->cfg.master_key, argv[0]);
	g_otad->cfg.master_key_create = argc > 1;
	return CMD_SUCCESS;
}

static int config_write_otad(struct vty *vty)
{
	vty_out(vty, "otad%s", VTY_NEWLINE);
	vty_out(vty, " database %s%s", g_otad->cfg.database, VTY_NEWLINE);
	vty_out(vty, " master-key %s%s%s", g_otad->cfg.master_key, g_otad->cfg.master_key_create ? " create" : "",
		VTY_NEWLINE);
	return CMD_SUCCESS;
}

static bool db_ready(struct vty *vty)
{
	if (g_otad->db)
		return true;
	vty_out(vty, "%% the database is not open%s", VTY_NEWLINE);
	return false;
}

DEFUN(show_cards, show_cards_cmd, "show cards", SHOW_STR "The SIM cards simpki-otad knows\n")
{
	int64_t n;

	if (!db_ready(vty))
		return CMD_WARNING;
	n = otad_db_card_count(g_otad->db);
	if (n < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "%lld cards%s", (long long)n, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_card, show_card_cmd, "show card ICCID",
      SHOW_STR "One SIM card\n"
	       "Its ICCID\n")
{
	struct otad_card c;
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	rc = otad_db_card_get(g_otad->db, argv[0], &c);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no such card" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "ICCID %s IMSI %s MSISDN %s state %s batch %lld, %u key set%s%s", c.iccid, c.imsi, c.msisdn,
		c.state, (long long)c.batch, c.keysets, c.keysets == 1 ? "" : "s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

static char *read_file(void *ctx, const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || size > (1L << 30) || fseek(f, 0, SEEK_SET)) {
		snprintf(err, errlen, "%s: cannot read it (or larger than 1 GiB)", path);
		fclose(f);
		return NULL;
	}
	buf = talloc_size(ctx, (size_t)size + 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		snprintf(err, errlen, "%s: cannot read it", path);
		talloc_free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[size] = 0;
	*len = (size_t)size;
	return buf;
}

DEFUN(import_cards, import_cards_cmd, "import cards FILE [NAME]",
      "Import\n"
      "A card vendor's file (CSV), all or nothing\n"
      "Its path\n"
      "A name for the batch (default: FILE)\n")
{
	void *tmp = talloc_named_const(g_otad->ctx, 0, "import");
	struct otad_import_report rep;
	char err[256], *csv;
	size_t len;
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	csv = read_file(tmp, argv[0], &len, err, sizeof(err));
	if (!csv) {
		vty_out(vty, "%% %s%s", err, VTY_NEWLINE);
		talloc_free(tmp);
		return CMD_WARNING;
	}
	rc = otad_db_import(g_otad->db, tmp, csv, len, argc > 1 ? argv[1] : argv[0], &rep);
	memset(csv, 0, len); /* the file holds keys */
	if (rc == -EIO) {
		vty_out(vty, "%% database error: nothing imported%s", VTY_NEWLINE);
		talloc_free(tmp);
		return CMD_WARNING;
	}
	if (!rep.rejected) {
		rate_ctr_add(rate_ctr_group_get_ctr(g_otad->ctrs, OTAD_CTR_CARDS_IMPORTED), rep.cards);
		LOGP(DDB, LOGL_NOTICE, "imported %u cards, %u key sets from %s (batch %lld)\n", rep.cards, rep.keysets,
		     argv[0], (long long)rep.batch);
		vty_out(vty, "imported %u cards, %u key sets (batch %lld)%s", rep.cards, rep.keysets,
			(long long)rep.batch, VTY_NEWLINE);
	} else {
		rate_ctr_inc(rate_ctr_group_get_ctr(g_otad->ctrs, OTAD_CTR_IMPORTS_REFUSED));
		LOGP(DDB, LOGL_NOTICE, "refused %s: %u lines rejected\n", argv[0], rep.rejected);
		vty_out(vty, "%% refused, nothing imported: %u line%s rejected%s", rep.rejected,
			rep.rejected == 1 ? "" : "s", VTY_NEWLINE);
		for (unsigned i = 0; i < rep.n_rejects; i++)
			vty_out(vty, "line %u: %s%s", rep.rejects[i].line, rep.rejects[i].reason, VTY_NEWLINE);
	}
	talloc_free(tmp);
	return rep.rejected ? CMD_WARNING : CMD_SUCCESS;
}

void otad_vty_init(void)
{
	install_element(CONFIG_NODE, &cfg_otad_cmd);
	install_node(&otad_node, config_write_otad);
	install_element(OTAD_NODE, &cfg_database_cmd);
	install_element(OTAD_NODE, &cfg_master_key_cmd);
	install_element_ve(&show_cards_cmd);
	install_element_ve(&show_card_cmd);
	install_element(ENABLE_NODE, &import_cards_cmd);
}
