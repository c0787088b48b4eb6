/* simpki-otad's logging categories and rate counters (otad.h), shared by the daemon and the tests that link its
 * libraries. */
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/utils.h>

#include "otad.h"
#include "otad_db.h"

static const struct log_info_cat log_cats[] = {
	[DOTAD] = { .name = "DOTAD", .description = "simpki-otad", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DDB] = { .name = "DDB", .description = "Database and imports", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSMPP] = { .name = "DSMPP", .description = "The SMSC connection", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DJOB] = { .name = "DJOB", .description = "OTA jobs", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DAPI] = { .name = "DAPI", .description = "The operator API", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DCERT] = { .name = "DCERT", .description = "Certificate enrolments", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DCAMP] = { .name = "DCAMP", .description = "Provisioning campaigns", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSIGN] = { .name = "DSIGN",
		    .description = "Signing sessions, relying-party API",
		    .enabled = 1,
		    .loglevel = LOGL_NOTICE },
	[DSCP81] = { .name = "DSCP81",
		     .description = "The SCP81 remote administration server",
		     .enabled = 1,
		     .loglevel = LOGL_NOTICE },
	[DAUDIT] = { .name = "DAUDIT", .description = "The audit trail", .enabled = 1, .loglevel = LOGL_NOTICE },
};

const struct log_info otad_log_info = { .cat = log_cats, .num_cat = ARRAY_SIZE(log_cats) };

static const struct rate_ctr_desc ctr_desc[] = {
	[OTAD_CTR_SUBMITTED] = { "ota:submitted", "Secured packets submitted to the SMSC" },
	[OTAD_CTR_POR_OK] = { "ota:por_ok", "PoRs received with status OK" },
	[OTAD_CTR_POR_ERROR] = { "ota:por_error", "PoRs received with an error status" },
	[OTAD_CTR_TIMEOUTS] = { "ota:timeouts", "Jobs that timed out waiting for their PoR" },
	[OTAD_CTR_RETRIES] = { "ota:retries", "Packets sent again" },
	[OTAD_CTR_SMPP_RECONNECTS] = { "smpp:reconnects", "Connections to the SMSC made again" },
	[OTAD_CTR_CARDS_IMPORTED] = { "cards:imported", "Cards imported" },
	[OTAD_CTR_IMPORTS_REFUSED] = { "cards:imports_refused", "Import files refused" },
	[OTAD_CTR_POR_UNMATCHED] = { "ota:por_unmatched", "PoRs (or other SMS) for no waiting job" },
	[OTAD_CTR_POR_UNVERIFIED] = { "ota:por_unverified", "PoRs whose checksum does not verify" },
	[OTAD_CTR_DELIVER_BAD] = { "smpp:deliver_bad", "deliver_sm that are no secured packet" },
	[OTAD_CTR_SMPP_RESP_TIMEOUTS] = { "smpp:resp_timeouts", "submit_sm left unanswered, sent again" },
	[OTAD_CTR_API_LIMITED] = { "api:rate_limited", "API requests refused with 429 (per token or client address)" },
	[OTAD_CTR_CERT_LOADED] = { "cert:loaded", "Certificates issued, loaded on their SIM and read back equal" },
	[OTAD_CTR_CERT_FAILED] = { "cert:failed", "Certificate enrolments that failed" },
	[OTAD_CTR_CAMP_ACTIVE] = { "campaign:active", "Cards of campaigns that ended with every key certified" },
	[OTAD_CTR_CAMP_SKIPPED] = { "campaign:skipped", "Cards of campaigns that had every key certified already" },
	[OTAD_CTR_CAMP_FAILED] = { "campaign:failed", "Cards of campaigns that failed" },
	[OTAD_CTR_CAMP_BACKOFF] = { "campaign:backoff", "Temporary failures of campaign cards (tried again later)" },
	[OTAD_CTR_SIGN_REQUESTS] = { "sign:requests", "Signing sessions started by relying parties" },
	[OTAD_CTR_SIGN_OK] = { "sign:ok", "Signing sessions that ended OK (verified, certificate good)" },
	[OTAD_CTR_SIGN_REFUSED] = { "sign:refused", "Signing sessions that ended without a signature" },
	[OTAD_CTR_SIGN_LATE] = { "sign:late", "SIM answers that came after their session ended (ignored)" },
	[OTAD_CTR_SIGN_LIMITED] = { "sign:rate_limited", "Relying-party requests refused with 429" },
	[OTAD_CTR_BIP_SCRIPTS] = { "bip:scripts", "Job scripts handed to cards' SCP81 sessions" },
	[OTAD_CTR_BIP_FALLBACKS] = { "bip:fallbacks", "Auto jobs sent by SMS after their BIP session did not ask" },
	[OTAD_CTR_AUDIT_RECORDS] = { "audit:records", "Audit records written" },
	[OTAD_CTR_AUDIT_CHECKPOINTS] = { "audit:checkpoints", "Audit checkpoints signed" },
	[OTAD_CTR_AUDIT_FAILURES] = { "audit:failures", "Audit records (actions refused) or checkpoints not written" },
};

const struct rate_ctr_group_desc otad_ctrg_desc = {
	.group_name_prefix = "otad",
	.group_description = "simpki-otad",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(ctr_desc),
	.ctr_desc = ctr_desc,
};

void otad_import_over(const struct otad_import_status *st, void *priv)
{
	if (st->state == OTAD_IMPORT_DONE) {
		rate_ctr_add(rate_ctr_group_get_ctr(g_otad->ctrs, OTAD_CTR_CARDS_IMPORTED), st->cards);
		LOGP(DDB, LOGL_NOTICE, "import %lld (%s): imported %u cards, %u key sets from %s (batch %lld)\n",
		     (long long)st->id, st->source, st->cards, st->keysets, st->name, (long long)st->batch);
	} else if (st->state == OTAD_IMPORT_REFUSED) {
		rate_ctr_inc(rate_ctr_group_get_ctr(g_otad->ctrs, OTAD_CTR_IMPORTS_REFUSED));
		LOGP(DDB, LOGL_NOTICE, "import %lld (%s): refused %s: %u lines rejected\n", (long long)st->id,
		     st->source, st->name, st->rejected);
	} else {
		LOGP(DDB, LOGL_NOTICE, "import %lld (%s): aborted %s: %s\n", (long long)st->id, st->source, st->name,
		     st->error);
	}
}
