/* simpki-ca's VTY: the configuration nodes and the operator's commands (docs/ca.md has the whole reference).
 *
 *   ca                               the CA (config node)
 *    database PATH                   the SQLite records (default ca.db)
 *    certificate PATH                the CA certificate, PEM (default ca.pem)
 *    ca-key URI                      its private key through OSSL_STORE: file:PATH (default file:ca.key), pkcs11:...
 *    passphrase-file PATH            the key's passphrase (mode 0600); without it: SIMPKI_CA_PASSPHRASE
 *    ra-trust PATH                   a trusted RA's certificate (PEM); up to 8 lines
 *    default-profile NAME            the profile of requests that name none (default signing)
 *   profile NAME                     a certificate profile (node): key-usage NAME..., validity-days N, policy OID,
 *                                    same-key PURPOSE... (modification, renewal), no same-key, key-lifetime-days N
 *   cmp                              the CMP server (node): bind A.B.C.D, port N, path PATH (default 127.0.0.1
 *                                    8490 /pkix/)
 *   status                           the status server (node): bind, port (default 127.0.0.1 8491), url URL (as
 *                                    written in certificates), crl-name NAME, crl-dir PATH, crl interval SECONDS,
 *                                    crl validity SECONDS, ocsp-signer (ca|delegated), ocsp-certificate PATH,
 *                                    ocsp-key URI, ocsp validity SECONDS
 *
 *   show ca                          the CA, its key's URI, the records' counts, the CRL
 *   show cmp                         where CMP listens, the trusted RAs, the profiles
 *   show certificates [holder H | iccid I | serial S | public-key SHA256]   the newest 50
 *   show certificate SERIAL          one certificate, its record and PEM
 *   revoke SERIAL reason REASON      (enable) revoke (certificateHold: put on hold); a new CRL is published at once
 *   release SERIAL                   (enable) release a certificate on hold (removeFromCRL): good again, new CRL
 *   crl publish                      (enable) publish a CRL now
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "ca.h"
#include "ca_cmp.h"
#include "ca_issue.h"
#include "ca_publish.h"

enum ca_vty_node {
	CA_NODE = _LAST_OSMOVTY_NODE + 1,
	PROFILE_NODE,
	CMP_NODE,
	STATUS_NODE,
};

static struct cmd_node ca_node = { .node = CA_NODE, .prompt = "%s(config-ca)# ", .vtysh = 1 };
static struct cmd_node profile_node = { .node = PROFILE_NODE, .prompt = "%s(config-ca-profile)# ", .vtysh = 1 };
static struct cmd_node cmp_node = { .node = CMP_NODE, .prompt = "%s(config-ca-cmp)# ", .vtysh = 1 };
static struct cmd_node status_node = { .node = STATUS_NODE, .prompt = "%s(config-ca-status)# ", .vtysh = 1 };

#define REASONS                                                                                       \
	"(unspecified|keyCompromise|cACompromise|affiliationChanged|superseded|cessationOfOperation|" \
	"certificateHold|privilegeWithdrawn|aACompromise)"
#define REASONS_HELP                                                                           \
	"0 unspecified\n1 keyCompromise\n2 cACompromise\n3 affiliationChanged\n4 superseded\n" \
	"5 cessationOfOperation\n6 certificateHold\n9 privilegeWithdrawn\n10 aACompromise\n"

static void replace(char **s, const char *v)
{
	osmo_talloc_replace_string(g_ca, s, v);
}

DEFUN(cfg_ca, cfg_ca_cmd, "ca", "Configure simpki-ca\n")
{
	vty->node = CA_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_database, cfg_database_cmd, "database PATH", "The SQLite records\nPath (relative to the config file)\n")
{
	replace(&g_ca->cfg.database, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_certificate, cfg_certificate_cmd, "certificate PATH", "The CA certificate (PEM)\nPath\n")
{
	replace(&g_ca->cfg.ca_cert, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_key, cfg_ca_key_cmd, "ca-key URI",
      "The CA's private key, loaded through OpenSSL's OSSL_STORE\n"
      "file:PATH (relative to the config file) or another store's URI (pkcs11:...)\n")
{
	replace(&g_ca->cfg.ca_key, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_passphrase_file, cfg_passphrase_file_cmd, "passphrase-file PATH",
      "Read the CA key's passphrase from a file of mode 0600\nPath\n")
{
	replace(&g_ca->cfg.passphrase_file, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_passphrase_file, cfg_no_passphrase_file_cmd, "no passphrase-file",
      NO_STR "Take the passphrase from SIMPKI_CA_PASSPHRASE\n")
{
	TALLOC_FREE(g_ca->cfg.passphrase_file);
	return CMD_SUCCESS;
}

DEFUN(cfg_ra_trust, cfg_ra_trust_cmd, "ra-trust PATH", "Take CMP requests signed with this RA certificate\nPEM\n")
{
	for (unsigned i = 0; i < g_ca->cfg.n_ra; i++) {
		if (!strcmp(g_ca->cfg.ra_trust[i], argv[0]))
			return CMD_SUCCESS;
	}
	if (g_ca->cfg.n_ra == CA_RA_MAX) {
		vty_out(vty, "%% at most %d trusted RAs%s", CA_RA_MAX, VTY_NEWLINE);
		return CMD_WARNING;
	}
	g_ca->cfg.ra_trust[g_ca->cfg.n_ra++] = talloc_strdup(g_ca, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_ra_trust, cfg_no_ra_trust_cmd, "no ra-trust PATH", NO_STR "A trusted RA certificate\nPEM\n")
{
	for (unsigned i = 0; i < g_ca->cfg.n_ra; i++) {
		if (strcmp(g_ca->cfg.ra_trust[i], argv[0]))
			continue;
		talloc_free(g_ca->cfg.ra_trust[i]);
		memmove(&g_ca->cfg.ra_trust[i], &g_ca->cfg.ra_trust[i + 1],
			(g_ca->cfg.n_ra - i - 1) * sizeof(g_ca->cfg.ra_trust[0]));
		g_ca->cfg.n_ra--;
		return CMD_SUCCESS;
	}
	return CMD_SUCCESS;
}

static bool profile_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= CA_PROFILE_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

DEFUN(cfg_default_profile, cfg_default_profile_cmd, "default-profile NAME",
      "The profile of requests that name none\nProfile name\n")
{
	if (!profile_name_ok(argv[0])) {
		vty_out(vty, "%% a profile name is 1 to %d of a-z 0-9 -%s", CA_PROFILE_NAME_MAX, VTY_NEWLINE);
		return CMD_WARNING;
	}
	replace(&g_ca->cfg.default_profile, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_profile, cfg_profile_cmd, "profile NAME", "A certificate profile\nIts name (a-z 0-9 -)\n")
{
	if (!profile_name_ok(argv[0])) {
		vty_out(vty, "%% a profile name is 1 to %d of a-z 0-9 -%s", CA_PROFILE_NAME_MAX, VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty->index = ca_profile_get(g_ca, argv[0]);
	vty->node = PROFILE_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_key_usage, cfg_key_usage_cmd, "key-usage .NAME",
      "keyUsage (critical) of the profile's certificates\n"
      "digital-signature, non-repudiation, key-encipherment, data-encipherment, key-agreement (one or more)\n")
{
	struct ca_profile *p = vty->index;
	unsigned ku = 0;

	for (int i = 0; i < argc; i++) {
		const struct ca_ku_name *k;

		for (k = ca_ku_names; k->vty && strcmp(argv[i], k->vty); k++)
			;
		if (!k->vty) {
			vty_out(vty,
				"%% unknown key usage %s (digital-signature, non-repudiation, key-encipherment, "
				"data-encipherment, key-agreement)%s",
				argv[i], VTY_NEWLINE);
			return CMD_WARNING;
		}
		ku |= k->bit;
	}
	p->key_usage = ku;
	return CMD_SUCCESS;
}

DEFUN(cfg_validity, cfg_validity_cmd, "validity-days <1-36500>", "How long certificates are valid\nDays\n")
{
	((struct ca_profile *)vty->index)->validity_days = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_policy, cfg_policy_cmd, "policy OID", "A certificatePolicies policy\nDotted OID\n")
{
	struct ca_profile *p = vty->index;
	ASN1_OBJECT *o = OBJ_txt2obj(argv[0], 1);

	if (!o || strspn(argv[0], "0123456789.") != strlen(argv[0])) {
		ASN1_OBJECT_free(o);
		vty_out(vty, "%% not a dotted OID: %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	ASN1_OBJECT_free(o);
	if (p->n_policies == CA_POLICIES_MAX) {
		vty_out(vty, "%% at most %d policies%s", CA_POLICIES_MAX, VTY_NEWLINE);
		return CMD_WARNING;
	}
	p->policies[p->n_policies++] = talloc_strdup(p, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_policy, cfg_no_policy_cmd, "no policy", NO_STR "Every certificatePolicies policy\n")
{
	struct ca_profile *p = vty->index;

	for (unsigned i = 0; i < p->n_policies; i++)
		talloc_free(p->policies[i]);
	p->n_policies = 0;
	return CMD_SUCCESS;
}

DEFUN(cfg_same_key, cfg_same_key_cmd, "same-key .PURPOSE",
      "Certify a key again (kur for the same key) for these purposes only\n"
      "modification (a new subject, validity not past the old certificate's), renewal (a new validity) (one or "
      "more)\n")
{
	struct ca_profile *p = vty->index;
	unsigned bits = 0, b;

	for (int i = 0; i < argc; i++) {
		b = ca_same_key_parse(argv[i]);
		if (!b) {
			vty_out(vty, "%% unknown purpose %s (modification, renewal)%s", argv[i], VTY_NEWLINE);
			return CMD_WARNING;
		}
		bits |= b;
	}
	p->same_key = bits;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_same_key, cfg_no_same_key_cmd, "no same-key", NO_STR "Refuse every request for the same key\n")
{
	((struct ca_profile *)vty->index)->same_key = 0;
	return CMD_SUCCESS;
}

DEFUN(cfg_key_lifetime, cfg_key_lifetime_cmd, "key-lifetime-days <0-36500>",
      "Renewal: no certificate of a key valid past its first certificate's notBefore plus this\n"
      "Days (0: no limit)\n")
{
	((struct ca_profile *)vty->index)->key_lifetime_days = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_cmp, cfg_cmp_cmd, "cmp", "The CMP server (RFC 6712 HTTP)\n")
{
	vty->node = CMP_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_cmp_bind, cfg_cmp_bind_cmd, "bind A.B.C.D", "Listen on this address\nIPv4 address\n")
{
	replace(&g_ca->cfg.cmp_ip, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_cmp_port, cfg_cmp_port_cmd, "port <1-65535>", "Listen on this port\nPort\n")
{
	g_ca->cfg.cmp_port = (uint16_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_cmp_path, cfg_cmp_path_cmd, "path PATH", "The HTTP path of CMP requests\nE.g. /pkix/\n")
{
	char *p;

	if (strlen(argv[0]) > 128 ||
	    strspn(argv[0], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") != strlen(argv[0])) {
		vty_out(vty, "%% a path of at most 128 of A-Z a-z 0-9 - _ . /%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	p = talloc_asprintf(g_ca, "%s%s%s", argv[0][0] == '/' ? "" : "/", argv[0],
			    argv[0][strlen(argv[0]) - 1] == '/' ? "" : "/");
	talloc_free(g_ca->cfg.cmp_path);
	g_ca->cfg.cmp_path = p;
	return CMD_SUCCESS;
}

DEFUN(cfg_status, cfg_status_cmd, "status", "The revocation status server (CRL, OCSP, the CA certificate)\n")
{
	vty->node = STATUS_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_status_bind, cfg_status_bind_cmd, "bind A.B.C.D", "Listen on this address\nIPv4 address\n")
{
	replace(&g_ca->cfg.status_ip, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_status_port, cfg_status_port_cmd, "port <1-65535>", "Listen on this port\nPort\n")
{
	g_ca->cfg.status_port = (uint16_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_status_url, cfg_status_url_cmd, "url URL",
      "The status server's URL as certificates name it (AIA, CRL distribution point)\nhttp://A.B.C.D:PORT\n")
{
	size_t n = strlen(argv[0]);

	if (strncmp(argv[0], "http://", 7) || n > 200 || argv[0][n - 1] == '/' || strpbrk(argv[0], ",;\"\\ ")) {
		vty_out(vty, "%% an http:// URL without a trailing / and without , ; \" \\ (at most 200)%s",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	replace(&g_ca->cfg.base_url, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_crl_name, cfg_crl_name_cmd, "crl-name NAME", "The CRL's name: URL/crl/NAME.crl\nName (a-z 0-9 -)\n")
{
	if (!profile_name_ok(argv[0])) {
		vty_out(vty, "%% 1 to %d of a-z 0-9 -%s", CA_PROFILE_NAME_MAX, VTY_NEWLINE);
		return CMD_WARNING;
	}
	replace(&g_ca->cfg.crl_name, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_crl_dir, cfg_crl_dir_cmd, "crl-dir PATH", "Where CRLs are written\nDirectory\n")
{
	replace(&g_ca->cfg.crl_dir, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_crl_interval, cfg_crl_interval_cmd, "crl interval <1-604800>", "CRLs\nA new CRL this often\nSeconds\n")
{
	g_ca->cfg.crl_interval = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_crl_validity, cfg_crl_validity_cmd, "crl validity <0-2592000>",
      "CRLs\nnextUpdate - thisUpdate\nSeconds (0: twice the interval)\n")
{
	g_ca->cfg.crl_validity = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ocsp_signer, cfg_ocsp_signer_cmd, "ocsp-signer (ca|delegated)",
      "Who signs OCSP responses\nThe CA's key\nThe delegated OCSP signer (ocsp-certificate, ocsp-key)\n")
{
	g_ca->cfg.ocsp_delegated = !strcmp(argv[0], "delegated");
	return CMD_SUCCESS;
}

DEFUN(cfg_ocsp_cert, cfg_ocsp_cert_cmd, "ocsp-certificate PATH", "The delegated OCSP signer's certificate\nPEM\n")
{
	replace(&g_ca->cfg.ocsp_cert, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ocsp_key, cfg_ocsp_key_cmd, "ocsp-key URI", "The delegated OCSP signer's key\nfile:PATH or a store URI\n")
{
	replace(&g_ca->cfg.ocsp_key, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ocsp_validity, cfg_ocsp_validity_cmd, "ocsp validity <60-604800>",
      "OCSP\nnextUpdate - thisUpdate of responses\nSeconds\n")
{
	g_ca->cfg.ocsp_validity = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

static int config_write_ca(struct vty *vty)
{
	vty_out(vty, "ca%s", VTY_NEWLINE);
	vty_out(vty, " database %s%s", g_ca->cfg.database, VTY_NEWLINE);
	vty_out(vty, " certificate %s%s", g_ca->cfg.ca_cert, VTY_NEWLINE);
	vty_out(vty, " ca-key %s%s", g_ca->cfg.ca_key, VTY_NEWLINE);
	if (g_ca->cfg.passphrase_file)
		vty_out(vty, " passphrase-file %s%s", g_ca->cfg.passphrase_file, VTY_NEWLINE);
	for (unsigned i = 0; i < g_ca->cfg.n_ra; i++)
		vty_out(vty, " ra-trust %s%s", g_ca->cfg.ra_trust[i], VTY_NEWLINE);
	vty_out(vty, " default-profile %s%s", g_ca->cfg.default_profile, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static int config_write_profile(struct vty *vty)
{
	struct ca_profile *p;

	llist_for_each_entry(p, &g_ca->profiles, list)
	{
		vty_out(vty, "profile %s%s key-usage", p->name, VTY_NEWLINE);
		for (const struct ca_ku_name *k = ca_ku_names; k->vty; k++) {
			if (p->key_usage & k->bit)
				vty_out(vty, " %s", k->vty);
		}
		vty_out(vty, "%s validity-days %u%s", VTY_NEWLINE, p->validity_days, VTY_NEWLINE);
		for (unsigned i = 0; i < p->n_policies; i++)
			vty_out(vty, " policy %s%s", p->policies[i], VTY_NEWLINE);
		if (p->same_key) {
			vty_out(vty, " same-key");
			for (unsigned b = 1; b <= CA_SAME_KEY_RENEWAL; b <<= 1) {
				if (p->same_key & b)
					vty_out(vty, " %s", ca_same_key_name(b));
			}
			vty_out(vty, "%s", VTY_NEWLINE);
		}
		if (p->key_lifetime_days)
			vty_out(vty, " key-lifetime-days %u%s", p->key_lifetime_days, VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

static int config_write_cmp(struct vty *vty)
{
	vty_out(vty, "cmp%s bind %s%s port %u%s path %s%s", VTY_NEWLINE, g_ca->cfg.cmp_ip, VTY_NEWLINE,
		g_ca->cfg.cmp_port, VTY_NEWLINE, g_ca->cfg.cmp_path, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static int config_write_status(struct vty *vty)
{
	vty_out(vty, "status%s", VTY_NEWLINE);
	vty_out(vty, " bind %s%s port %u%s", g_ca->cfg.status_ip, VTY_NEWLINE, g_ca->cfg.status_port, VTY_NEWLINE);
	vty_out(vty, " url %s%s", g_ca->cfg.base_url, VTY_NEWLINE);
	vty_out(vty, " crl-name %s%s crl-dir %s%s", g_ca->cfg.crl_name, VTY_NEWLINE, g_ca->cfg.crl_dir, VTY_NEWLINE);
	vty_out(vty, " crl interval %u%s crl validity %u%s", g_ca->cfg.crl_interval, VTY_NEWLINE,
		g_ca->cfg.crl_validity, VTY_NEWLINE);
	vty_out(vty, " ocsp-signer %s%s", g_ca->cfg.ocsp_delegated ? "delegated" : "ca", VTY_NEWLINE);
	vty_out(vty, " ocsp-certificate %s%s ocsp-key %s%s", g_ca->cfg.ocsp_cert, VTY_NEWLINE, g_ca->cfg.ocsp_key,
		VTY_NEWLINE);
	vty_out(vty, " ocsp validity %u%s", g_ca->cfg.ocsp_validity, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static bool db_ready(struct vty *vty)
{
	if (g_ca->db)
		return true;
	vty_out(vty, "%% the records are not open yet%s", VTY_NEWLINE);
	return false;
}

static const char *when(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
	return buf;
}

static void list_row(const struct ca_cert_row *r, void *priv)
{
	struct vty *vty = priv;
	char a[32];

	vty_out(vty, "%s %-7s %-14s %-20s %s %s%s", r->serial,
		r->hold	   ? "hold" :
		r->revoked ? "revoked" :
			     "good",
		r->profile, r->holder, when(r->not_after, a, sizeof(a)), r->subject, VTY_NEWLINE);
}

static int show_list(struct vty *vty, enum ca_db_key key, const char *value)
{
	int n;

	if (!db_ready(vty))
		return CMD_WARNING;
	vty_out(vty,
		"serial                           status  profile        holder               not-after            "
		"subject%s",
		VTY_NEWLINE);
	n = ca_db_certs_find(g_ca->db, key, value, 50, list_row, vty);
	if (n < 0) {
		vty_out(vty, "%% the records cannot be read%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "%d certificates%s%s", n, n == 50 ? " (the newest 50)" : "", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_certs, show_certs_cmd, "show certificates", SHOW_STR "The newest 50 certificates issued\n")
{
	return show_list(vty, CA_DB_BY_ALL, NULL);
}

DEFUN(show_certs_by, show_certs_by_cmd, "show certificates (holder|iccid|serial|public-key) VALUE",
      SHOW_STR "Certificates issued\nBy holder id\nBy ICCID\nBy serial (hex)\nBy SHA-256 of the public key (hex)\n"
	       "The value\n")
{
	enum ca_db_key k = !strcmp(argv[0], "holder") ? CA_DB_BY_HOLDER :
			   !strcmp(argv[0], "iccid")  ? CA_DB_BY_ICCID :
			   !strcmp(argv[0], "serial") ? CA_DB_BY_SERIAL :
							CA_DB_BY_PUBKEY;

	return show_list(vty, k, argv[1]);
}

DEFUN(show_cert, show_cert_cmd, "show certificate SERIAL", SHOW_STR "One certificate\nIts serial (hex)\n")
{
	struct ca_cert_row r;
	const unsigned char *p;
	char a[32], b[32];
	X509 *x;
	BIO *bio;
	BUF_MEM *mem;
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	rc = ca_db_cert_get(g_ca->db, argv[0], g_ca, &r);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no such certificate" : "the records cannot be read",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "serial: %s%ssubject: %s%sholder: %s%s", r.serial, VTY_NEWLINE, r.subject, VTY_NEWLINE, r.holder,
		VTY_NEWLINE);
	vty_out(vty, "iccid: %s%sprofile: %s%skey id: %s%spublic key sha256: %s%s", r.iccid[0] ? r.iccid : "-",
		VTY_NEWLINE, r.profile, VTY_NEWLINE, r.key_id, VTY_NEWLINE, r.pubkey_sha256, VTY_NEWLINE);
	vty_out(vty, "valid: %s to %s%srequested by: %s%s", when(r.not_before, a, sizeof(a)),
		when(r.not_after, b, sizeof(b)), VTY_NEWLINE, r.requested_by, VTY_NEWLINE);
	if (r.txid[0])
		vty_out(vty, "transaction: %s%s", r.txid, VTY_NEWLINE);
	if (r.hold)
		vty_out(vty, "status: on hold since %s (certificateHold; 'release %s' lifts it)%s",
			when(r.revoked_at, a, sizeof(a)), r.serial, VTY_NEWLINE);
	else if (r.revoked)
		vty_out(vty, "status: revoked at %s, reason %s%s", when(r.revoked_at, a, sizeof(a)),
			r.reason >= 0 ? ca_reason_name(r.reason) : "none", VTY_NEWLINE);
	else
		vty_out(vty, "status: good%s", VTY_NEWLINE);
	p = r.der;
	x = d2i_X509(NULL, &p, (long)r.der_len);
	bio = BIO_new(BIO_s_mem());
	if (x && bio && PEM_write_bio_X509(bio, x)) {
		BIO_get_mem_ptr(bio, &mem);
		vty_out(vty, "%.*s", (int)mem->length, mem->data);
	}
	BIO_free(bio);
	X509_free(x);
	talloc_free(r.der);
	return CMD_SUCCESS;
}

DEFUN(revoke, revoke_cmd, "revoke SERIAL reason " REASONS,
      "Revoke a certificate (a new CRL is published at once)\nIts serial (hex)\nThe reason (RFC 5280)\n" REASONS_HELP)
{
	int reason = ca_reason_parse(argv[1]), rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	rc = ca_revoke(g_ca, argv[0], reason, "vty");
	if (!rc && ca_db_commit(g_ca->db))
		rc = -EIO; /* on disk before it is said */
	switch (rc) {
	case 0:
		if (reason == 6)
			vty_out(vty, "%s on hold (certificateHold)%s", argv[0], VTY_NEWLINE);
		else
			vty_out(vty, "revoked %s (%s)%s", argv[0], argv[1], VTY_NEWLINE);
		return CMD_SUCCESS;
	case -ENOENT:
		vty_out(vty, "%% no certificate %s%s", argv[0], VTY_NEWLINE);
		break;
	case -EALREADY:
		vty_out(vty, "%% certificate %s is %s already%s", argv[0],
			reason == 6 ? "on hold or revoked" : "revoked", VTY_NEWLINE);
		break;
	default:
		vty_out(vty, "%% the records cannot be written%s", VTY_NEWLINE);
	}
	return CMD_WARNING;
}

DEFUN(release, release_cmd, "release SERIAL",
      "Release a certificate on hold (removeFromCRL): good again, a new CRL at once\nIts serial (hex)\n")
{
	int rc;

	if (!db_ready(vty))
		return CMD_WARNING;
	rc = ca_release(g_ca, argv[0], "vty");
	if (!rc && ca_db_commit(g_ca->db))
		rc = -EIO;
	switch (rc) {
	case 0:
		vty_out(vty, "released %s: good again%s", argv[0], VTY_NEWLINE);
		return CMD_SUCCESS;
	case -ENOENT:
		vty_out(vty, "%% no certificate %s%s", argv[0], VTY_NEWLINE);
		break;
	case -EINVAL:
		vty_out(vty, "%% certificate %s is not on hold%s", argv[0], VTY_NEWLINE);
		break;
	default:
		vty_out(vty, "%% the records cannot be written%s", VTY_NEWLINE);
	}
	return CMD_WARNING;
}

DEFUN(crl_publish, crl_publish_cmd, "crl publish", "CRLs\nPublish a new CRL now\n")
{
	char err[300];

	if (!db_ready(vty))
		return CMD_WARNING;
	if (ca_crl_publish(g_ca, err, sizeof(err))) {
		vty_out(vty, "%% %s%s", err, VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "CRL published%s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_cmp, show_cmp_cmd, "show cmp", SHOW_STR "The CMP server: where it listens, the trusted RAs, profiles\n")
{
	struct ca_profile *p;
	char name[256];

	vty_out(vty, "CMP on http://%s:%u%s (application/pkixcmp, at most %u bytes)%s", g_ca->cfg.cmp_ip,
		g_ca->cfg.cmp_port, g_ca->cfg.cmp_path, CA_CMP_BODY_MAX, VTY_NEWLINE);
	for (int i = 0; i < sk_X509_num(g_ca->ra_certs); i++) {
		X509_NAME_oneline(X509_get_subject_name(sk_X509_value(g_ca->ra_certs, i)), name, sizeof(name));
		vty_out(vty, "trusted RA: %s%s", name, VTY_NEWLINE);
	}
	llist_for_each_entry(p, &g_ca->profiles, list)
	{
		vty_out(vty, "profile %s%s: %u days, %u policies, same key for:%s%s%s, key lifetime %u days%s", p->name,
			strcmp(p->name, g_ca->cfg.default_profile) ? "" : " (default)", p->validity_days, p->n_policies,
			p->same_key ? "" : " nothing", p->same_key & CA_SAME_KEY_MODIFICATION ? " modification" : "",
			p->same_key & CA_SAME_KEY_RENEWAL ? " renewal" : "", p->key_lifetime_days, VTY_NEWLINE);
	}
	vty_out(vty, "certificates awaiting certConf: %u%s", llist_count(&g_ca->pending), VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_ca, show_ca_cmd, "show ca", SHOW_STR "The CA: its name, key, records and CRL\n")
{
	char name[512];
	int64_t revoked = 0, n;

	if (!db_ready(vty))
		return CMD_WARNING;
	X509_NAME_oneline(X509_get_subject_name(g_ca->cert), name, sizeof(name));
	n = ca_db_cert_count(g_ca->db, &revoked);
	vty_out(vty, "CA: %s%skey: %s%scertificates: %lld (%lld revoked)%s", name, VTY_NEWLINE, g_ca->cfg.ca_key,
		VTY_NEWLINE, (long long)n, (long long)revoked, VTY_NEWLINE);
	vty_out(vty, "CRL: %s/crl/%s.crl every %u s; OCSP: %s/ocsp signed by the %s%s", g_ca->cfg.base_url,
		g_ca->cfg.crl_name, g_ca->cfg.crl_interval, g_ca->cfg.base_url,
		g_ca->cfg.ocsp_delegated ? "delegated signer" : "CA", VTY_NEWLINE);
	return CMD_SUCCESS;
}

void ca_vty_init(void)
{
	install_element(CONFIG_NODE, &cfg_ca_cmd);
	install_node(&ca_node, config_write_ca);
	install_element(CA_NODE, &cfg_database_cmd);
	install_element(CA_NODE, &cfg_certificate_cmd);
	install_element(CA_NODE, &cfg_ca_key_cmd);
	install_element(CA_NODE, &cfg_passphrase_file_cmd);
	install_element(CA_NODE, &cfg_no_passphrase_file_cmd);
	install_element(CA_NODE, &cfg_ra_trust_cmd);
	install_element(CA_NODE, &cfg_no_ra_trust_cmd);
	install_element(CA_NODE, &cfg_default_profile_cmd);
	install_element(CONFIG_NODE, &cfg_profile_cmd);
	install_node(&profile_node, config_write_profile);
	install_element(PROFILE_NODE, &cfg_key_usage_cmd);
	install_element(PROFILE_NODE, &cfg_validity_cmd);
	install_element(PROFILE_NODE, &cfg_policy_cmd);
	install_element(PROFILE_NODE, &cfg_no_policy_cmd);
	install_element(PROFILE_NODE, &cfg_same_key_cmd);
	install_element(PROFILE_NODE, &cfg_no_same_key_cmd);
	install_element(PROFILE_NODE, &cfg_key_lifetime_cmd);
	install_element(CONFIG_NODE, &cfg_cmp_cmd);
	install_node(&cmp_node, config_write_cmp);
	install_element(CMP_NODE, &cfg_cmp_bind_cmd);
	install_element(CMP_NODE, &cfg_cmp_port_cmd);
	install_element(CMP_NODE, &cfg_cmp_path_cmd);
	install_element(CONFIG_NODE, &cfg_status_cmd);
	install_node(&status_node, config_write_status);
	install_element(STATUS_NODE, &cfg_status_bind_cmd);
	install_element(STATUS_NODE, &cfg_status_port_cmd);
	install_element(STATUS_NODE, &cfg_status_url_cmd);
	install_element(STATUS_NODE, &cfg_crl_name_cmd);
	install_element(STATUS_NODE, &cfg_crl_dir_cmd);
	install_element(STATUS_NODE, &cfg_crl_interval_cmd);
	install_element(STATUS_NODE, &cfg_crl_validity_cmd);
	install_element(STATUS_NODE, &cfg_ocsp_signer_cmd);
	install_element(STATUS_NODE, &cfg_ocsp_cert_cmd);
	install_element(STATUS_NODE, &cfg_ocsp_key_cmd);
	install_element(STATUS_NODE, &cfg_ocsp_validity_cmd);
	install_element_ve(&show_certs_cmd);
	install_element_ve(&show_certs_by_cmd);
	install_element_ve(&show_cert_cmd);
	install_element_ve(&show_cmp_cmd);
	install_element_ve(&show_ca_cmd);
	install_element(ENABLE_NODE, &revoke_cmd);
	install_element(ENABLE_NODE, &release_cmd);
	install_element(ENABLE_NODE, &crl_publish_cmd);
}
