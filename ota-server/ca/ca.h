/* simpki-ca's process state: the configuration read from the VTY config file ('ca' node), the CA's certificate and
 * key (loaded through OSSL_STORE: a file or an HSM by URI), the trusted RAs, the certificate profiles, the records
 * (ca_db.h), the rate counters. One instance per process (g_ca), owned by the process's talloc context. Paths in
 * the configuration that are not absolute are taken relative to the configuration file's directory (cfg_dir). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>

#include "ca_db.h"

#define CA_VTY_PORT 4272
#define CA_CTRL_PORT 4273
#define CA_RA_MAX 8	  /* 'ra-trust' lines */
#define CA_POLICIES_MAX 4 /* 'policy' lines per profile */
#define CA_PROFILE_NAME_MAX 32

enum ca_log_cat {
	DCA,	 /* the daemon: start, configuration, keys, shutdown */
	DCADB,	 /* the records */
	DCMP,	 /* the CMP server */
	DISSUE,	 /* issuing and revoking */
	DSTATUS, /* CRLs, OCSP, the status HTTP server */
};
extern const struct log_info ca_log_info; /* ca_log.c */

enum ca_ctr {
	CA_CTR_CMP_REQUESTS,
	CA_CTR_CMP_REJECTED,
	CA_CTR_CERT_ISSUED,
	CA_CTR_CERT_REVOKED,
	CA_CTR_OCSP_REQUESTS,
	CA_CTR_CRL_PUBLISHED,
	CA_CTR_CMP_REPEATED,
	CA_CTR_CMP_COMPROMISED_KEY,
	CA_CTR_CERT_RELEASED,
};
extern const struct rate_ctr_group_desc ca_ctrg_desc; /* ca_log.c */

/* The purposes for which a profile lets a key be certified again (same-key kur, ca_cmp.h): bits of same_key. */
enum ca_same_key {
	CA_SAME_KEY_MODIFICATION = 1 << 0, /* a new subject; notAfter never past the old certificate's */
	CA_SAME_KEY_RENEWAL = 1 << 1,	   /* a new validity, within the key's lifetime */
};

/* A certificate profile ('profile NAME' node). */
struct ca_profile {
	struct llist_head list;
	char *name;			 /* 1..CA_PROFILE_NAME_MAX of [a-z0-9-] */
	unsigned key_usage;		 /* X509v3_KU_* bits, keyUsage is always critical */
	uint32_t validity_days;		 /* >= 1; never beyond the CA certificate's notAfter */
	char *policies[CA_POLICIES_MAX]; /* dotted OIDs, certificatePolicies (none: no extension) */
	unsigned n_policies;
	unsigned same_key; /* enum ca_same_key bits ('same-key PURPOSE...'); 0: a same-key request is refused */
	uint32_t key_lifetime_days; /* renewal: no notAfter past the key's first certificate's notBefore + this; 0:
				     * no limit */
};

/*! The name of one same-key purpose bit ("modification", "renewal"); NULL: not one. */
const char *ca_same_key_name(unsigned bit);
/*! The bit of a purpose name; 0: unknown. */
unsigned ca_same_key_parse(const char *name);

struct ca {
	void *ctx;
	char *cfg_dir;
	struct {
		char *database;	       /* default "ca.db" */
		char *ca_cert;	       /* default "ca.pem" */
		char *ca_key;	       /* an OSSL_STORE URI; default "file:ca.key" */
		char *passphrase_file; /* NULL: SIMPKI_CA_PASSPHRASE */
		char *ra_trust[CA_RA_MAX];
		unsigned n_ra;
		char *default_profile; /* default "signing" */
		char *cmp_ip;	       /* default 127.0.0.1 */
		uint16_t cmp_port;     /* default 8490 */
		char *cmp_path;	       /* default "/pkix/" */
		char *status_ip;       /* default 127.0.0.1 */
		uint16_t status_port;  /* default 8491 */
		char *base_url;	       /* the status server's URL in certificates; default http://127.0.0.1:8491 */
		char *crl_name;	       /* default "ca": <base_url>/crl/<crl_name>.crl */
		char *crl_dir;	       /* default "crl" */
		uint32_t crl_interval; /* seconds between scheduled CRLs; default 3600 */
		uint32_t crl_validity; /* nextUpdate - thisUpdate; default 2 * crl_interval... 0: that */
		char *ocsp_cert;       /* default "ocsp.pem" */
		char *ocsp_key;	       /* default "ocsp.key" (a file or an OSSL_STORE URI, unencrypted) */
		bool ocsp_delegated;   /* default true: 'ocsp-signer delegated' */
		uint32_t ocsp_validity;
	} cfg;
	struct llist_head profiles; /* struct ca_profile */

	X509 *cert;		   /* the CA's certificate */
	EVP_PKEY *key;		   /* its key, from any provider */
	STACK_OF(X509) * ra_certs; /* the RAs whose requests are taken */
	X509 *ocsp_cert;	   /* the delegated OCSP signer, when configured */
	EVP_PKEY *ocsp_key;
	struct ca_db *db;
	struct rate_ctr_group *ctrs; /* may be NULL (tests, fuzzing) */
	struct ca_ocsp_cache *ocsp_cache;
	struct llist_head pending; /* CMP transactions awaiting certConf (ca_cmp.c) */
};

extern struct ca *g_ca;

/*! A new process state with the defaults (no profiles yet), a child of ctx. */
struct ca *ca_alloc(void *ctx);
/*! \a path as configured, made absolute against the configuration file's directory (talloc string on ctx). */
char *ca_path(void *ctx, const char *path);
/*! The profile named \a name; NULL: none. */
struct ca_profile *ca_profile_find(struct ca *ca, const char *name);
/*! The profile \a name, made with the defaults (digitalSignature, 1825 days) when missing. */
struct ca_profile *ca_profile_get(struct ca *ca, const char *name);
void ca_ctr_inc(struct ca *ca, enum ca_ctr c);
int64_t ca_now(void);

/* ca_vty.c */
void ca_vty_init(void);
