/* simpki-ca's logging categories, rate counters and process state defaults (ca.h), shared by the daemon and the
 * tests and fuzzers that link ca-core. */
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "ca.h"

struct ca *g_ca;

static const struct log_info_cat log_cats[] = {
	[DCA] = { .name = "DCA", .description = "simpki-ca", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DCADB] = { .name = "DCADB", .description = "The CA's records", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DCMP] = { .name = "DCMP", .description = "The CMP server", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DISSUE] = { .name = "DISSUE", .description = "Issuing and revoking", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSTATUS] = { .name = "DSTATUS", .description = "CRLs and OCSP", .enabled = 1, .loglevel = LOGL_NOTICE },
};

const struct log_info ca_log_info = { .cat = log_cats, .num_cat = ARRAY_SIZE(log_cats) };

static const struct rate_ctr_desc ctr_desc[] = {
	[CA_CTR_CMP_REQUESTS] = { "cmp:requests", "CMP requests received" },
	[CA_CTR_CMP_REJECTED] = { "cmp:rejected", "CMP requests refused (protection, template, proof of possession)" },
	[CA_CTR_CERT_ISSUED] = { "cert:issued", "Certificates issued" },
	[CA_CTR_CERT_REVOKED] = { "cert:revoked", "Certificates revoked" },
	[CA_CTR_OCSP_REQUESTS] = { "ocsp:requests", "OCSP requests answered" },
	[CA_CTR_CRL_PUBLISHED] = { "crl:published", "CRLs published" },
	[CA_CTR_CMP_REPEATED] = { "cmp:repeated",
				  "Certificate requests of a transaction answered before: its certificate sent again" },
	[CA_CTR_CMP_COMPROMISED_KEY] = { "cmp:compromised-key",
					 "Certificate requests refused: the key was revoked for keyCompromise" },
	[CA_CTR_CERT_RELEASED] = { "cert:released", "Certificates released from hold (removeFromCRL)" },
};

const struct rate_ctr_group_desc ca_ctrg_desc = {
	.group_name_prefix = "ca",
	.group_description = "simpki-ca",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(ctr_desc),
	.ctr_desc = ctr_desc,
};

struct ca *ca_alloc(void *ctx)
{
	struct ca *ca = talloc_zero(ctx, struct ca);

	if (!ca)
		return NULL;
	ca->ctx = ctx;
	ca->cfg.database = talloc_strdup(ca, "ca.db");
	ca->cfg.ca_cert = talloc_strdup(ca, "ca.pem");
	ca->cfg.ca_key = talloc_strdup(ca, "file:ca.key");
	ca->cfg.default_profile = talloc_strdup(ca, "signing");
	ca->cfg.cmp_ip = talloc_strdup(ca, "127.0.0.1");
	ca->cfg.cmp_port = 8490;
	ca->cfg.cmp_path = talloc_strdup(ca, "/pkix/");
	ca->cfg.status_ip = talloc_strdup(ca, "127.0.0.1");
	ca->cfg.status_port = 8491;
	ca->cfg.base_url = talloc_strdup(ca, "http://127.0.0.1:8491");
	ca->cfg.crl_name = talloc_strdup(ca, "ca");
	ca->cfg.crl_dir = talloc_strdup(ca, "crl");
	ca->cfg.crl_interval = 3600;
	ca->cfg.ocsp_cert = talloc_strdup(ca, "ocsp.pem");
	ca->cfg.ocsp_key = talloc_strdup(ca, "ocsp.key");
	ca->cfg.ocsp_delegated = true;
	ca->cfg.ocsp_validity = 3600;
	INIT_LLIST_HEAD(&ca->profiles);
	INIT_LLIST_HEAD(&ca->pending);
	return ca;
}

char *ca_path(void *ctx, const char *path)
{
	if (path[0] == '/' || !g_ca || !g_ca->cfg_dir)
		return talloc_strdup(ctx, path);
	return talloc_asprintf(ctx, "%s/%s", g_ca->cfg_dir, path);
}

struct ca_profile *ca_profile_find(struct ca *ca, const char *name)
{
	struct ca_profile *p;

	llist_for_each_entry(p, &ca->profiles, list)
	{
		if (!strcmp(p->name, name))
			return p;
	}
	return NULL;
}

struct ca_profile *ca_profile_get(struct ca *ca, const char *name)
{
	struct ca_profile *p = ca_profile_find(ca, name);

	if (p)
		return p;
	p = talloc_zero(ca, struct ca_profile);
	p->name = talloc_strdup(p, name);
	p->key_usage = X509v3_KU_DIGITAL_SIGNATURE;
	p->validity_days = 1825;
	llist_add_tail(&p->list, &ca->profiles);
	return p;
}

const char *ca_same_key_name(unsigned bit)
{
	return bit == CA_SAME_KEY_MODIFICATION ? "modification" : bit == CA_SAME_KEY_RENEWAL ? "renewal" : NULL;
}

unsigned ca_same_key_parse(const char *name)
{
	return !strcmp(name, "modification") ? CA_SAME_KEY_MODIFICATION :
	       !strcmp(name, "renewal")	     ? CA_SAME_KEY_RENEWAL :
					       0;
}

void ca_ctr_inc(struct ca *ca, enum ca_ctr c)
{
	if (ca->ctrs)
		rate_ctr_inc(rate_ctr_group_get_ctr(ca->ctrs, c));
}

int64_t ca_now(void)
{
	return (int64_t)time(NULL);
}
