/* simpki-otad's core set up for unit tests without the daemon (cmocka asserts):
 * - otad_fixture_open(ctx, dir, dir_size, name, csv, csv_len): g_otad on talloc context CTX with logging (no file
 *   names), its counters, no SMSC; a new temporary directory /tmp/simpki-NAME.XXXXXX (its path in DIR) holding a new
 *   master key and database, the cards of the vendor CSV imported;
 * - otad_fixture_smsc(ctx, smsc, ops): SMSC an SMPP bind that never connects (127.0.0.1:1, system id "test",
 *   source 4242, window 10), added to g_otad's SMSCs.
 * The teardown removes the directory with unit_rmdir() (unit_tmpdir.h). */
#pragma once
#include <stdio.h>
#include <stdlib.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>

#include "keystore.h"
#include "otad.h"
#include "otad_db.h"
#include "smpp_esme.h"
#include "unit.h"
#include "unit_tmpdir.h"

static inline void otad_fixture_open(void *ctx, char *dir, size_t dir_size, const char *name, const char *csv,
				     size_t csv_len)
{
	struct otad_import_report rep;
	uint8_t mk[KEYSTORE_KEY_LEN];
	char path[128], err[256];

	osmo_init_logging2(ctx, &otad_log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	g_otad = talloc_zero(ctx, struct otad);
	g_otad->ctx = ctx;
	INIT_LLIST_HEAD(&g_otad->smscs);
	g_otad->ctrs = rate_ctr_group_alloc(ctx, &otad_ctrg_desc, 0);
	unit_tmpdir(dir, dir_size, name);
	snprintf(path, sizeof(path), "%s/otad.key", dir);
	assert_int_equal(keystore_load(path, true, mk, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/otad.db", dir);
	assert_int_equal(otad_db_open(ctx, path, mk, &g_otad->db, err, sizeof(err)), 0);
	assert_int_equal(otad_db_import(g_otad->db, ctx, csv, csv_len, "test", &rep), 0);
}

static inline void otad_fixture_smsc(void *ctx, struct otad_smsc *smsc, const struct smpp_esme_ops *ops)
{
	smsc->cfg.name = "test";
	smsc->cfg.host = "127.0.0.1";
	smsc->cfg.port = 1;
	smsc->cfg.system_id = "test";
	smsc->cfg.password = "test";
	smsc->cfg.source = "4242";
	smsc->cfg.window = 10;
	smsc->cfg.resp_timeout_s = 10;
	smsc->esme = smpp_esme_alloc(ctx, &smsc->cfg, ops, smsc);
	assert_non_null(smsc->esme);
	llist_add_tail(&smsc->list, &g_otad->smscs);
}
