/* simpki-otad's process state: the configuration read from the VTY config file, the database, the rate counters.
 * One instance per process (g_otad), owned by the process's talloc context. Paths in the configuration that are
 * not absolute are taken relative to the configuration file's directory (cfg_dir). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>

#include "otad_db.h"
#include "smpp_esme.h"

enum otad_log_cat {
	DOTAD,	/* the daemon: start, configuration, shutdown */
	DDB,	/* the database and imports */
	DSMPP,	/* the SMSC connection */
	DJOB,	/* OTA jobs */
	DAPI,	/* the operator API */
	DCERT,	/* certificate enrolments over the air */
	DCAMP,	/* provisioning campaigns */
	DSIGN,	/* signing sessions and the relying-party API */
	DSCP81, /* the SCP81 remote administration server (scp81/) */
	DAUDIT, /* the audit trail (audit/) */
};
extern const struct log_info otad_log_info; /* otad_log.c */

enum otad_ctr {
	OTAD_CTR_SUBMITTED,
	OTAD_CTR_POR_OK,
	OTAD_CTR_POR_ERROR,
	OTAD_CTR_TIMEOUTS,
	OTAD_CTR_RETRIES,
	OTAD_CTR_SMPP_RECONNECTS,
	OTAD_CTR_CARDS_IMPORTED,
	OTAD_CTR_IMPORTS_REFUSED,
	OTAD_CTR_POR_UNMATCHED,
	OTAD_CTR_POR_UNVERIFIED,
	OTAD_CTR_DELIVER_BAD,
	OTAD_CTR_SMPP_RESP_TIMEOUTS,
	OTAD_CTR_API_LIMITED,
	OTAD_CTR_CERT_LOADED,
	OTAD_CTR_CERT_FAILED,
	OTAD_CTR_CAMP_ACTIVE,
	OTAD_CTR_CAMP_SKIPPED,
	OTAD_CTR_CAMP_FAILED,
	OTAD_CTR_CAMP_BACKOFF,
	OTAD_CTR_SIGN_REQUESTS,
	OTAD_CTR_SIGN_OK,
	OTAD_CTR_SIGN_REFUSED,
	OTAD_CTR_SIGN_LATE,
	OTAD_CTR_SIGN_LIMITED,
	OTAD_CTR_BIP_SCRIPTS,
	OTAD_CTR_BIP_FALLBACKS,
	OTAD_CTR_AUDIT_RECORDS,
	OTAD_CTR_AUDIT_CHECKPOINTS,
	OTAD_CTR_AUDIT_FAILURES,
};
extern const struct rate_ctr_group_desc otad_ctrg_desc; /* otad_log.c: the counters above */

struct otad {
	void *ctx;
	char *cfg_dir;
	struct {
		char *database;	  /* default "otad.db" */
		char *master_key; /* default "otad.key" */
		bool master_key_create;
	} cfg;
	char *units_dir; /* the organisation tree's JSON files (otad_units.h); default OTAD_UNITS_DIR (meson) */
	/* the CA the RA asks for certificates ('ca' node; ota-server/ra/ra_cmp.h); cmp_url NULL: none */
	struct {
		char *cmp_url, *ra_cert, *ra_key, *ca_chain, *trust_anchor;
		unsigned retry_min_s, retry_max_s, timeout_s;
		char *ocsp_url;			       /* the CA's OCSP responder (ra_ocsp.h); NULL: none */
		unsigned ocsp_cache_s, ocsp_timeout_s; /* defaults 30, 5 */
	} ca;
	struct ra_ocsp *ocsp; /* from start on, when an OCSP responder is configured */
	struct ra_cmp *ra;    /* from start on, when a CA is configured */
	struct otad_db *db;
	struct rate_ctr_group *ctrs;
	struct llist_head smscs; /* struct otad_smsc, in configuration order */
};

/* One SMSC bind ('smsc NAME' in the configuration). */
struct otad_smsc {
	struct llist_head list;
	struct smpp_esme_cfg cfg;
	struct smpp_esme *esme; /* from start on */
};

extern struct otad *g_otad;

struct ra_cmp;
struct otad_import_status;
/*! An import is over (otad_import_on_end()): count and log it. */
void otad_import_over(const struct otad_import_status *st, void *priv);

/*! \a path as configured, made absolute against the configuration file's directory (talloc string on ctx). */
char *otad_path(void *ctx, const char *path);

/* otad_vty.c */
void otad_vty_init(void);

/* otad_smsc.c: the SMSC binds, and where their deliver_sm go */
int otad_smsc_start_all(void);
/*! The bind a new try's submits go to: of the bound ones, the one with the most free window (equals take turns),
 *  so several binds share the load; none bound: the first configured. NULL: none configured */
struct smpp_esme *otad_smsc_pick(void);
