/* simpki-otad's VTY for the PKI side: the CA the RA asks, the organisation tree's units, holders, and the
 * certificates of each card.
 *
 *   otad                                  (config node)
 *    units-dir PATH                       the organisation tree's JSON files (default: the source tree's data/)
 *    ca                                   (node) the CA, reached over CMP (ota-server/ra/ra_cmp.h)
 *     cmp-url URL                         http://HOST:PORT/PATH, e.g. http://127.0.0.1:8490/pkix/
 *     ra-cert FILE                        PEM: the RA's certificate (it signs every request)
 *     ra-key FILE                         PEM: its private key
 *     ca-chain FILE                       PEM: the CA's certificates (sent in extraCerts; intermediates)
 *     trust-anchor FILE                   PEM: what the CA's responses and certificates must chain to
 *     retry min-seconds N max-seconds M   waits before asking an unreachable CA again: N, 2N, 4N ... up to M
 *                                         (default 5 and 300)
 *     timeout N                           one message's time limit (default 30)
 *     subject-organisation NAME           O of the subjects of certificates enrolled over the air (UTF-8)
 *
 *   show ca                               the CA: URL, requests waiting
 *   show units                            how many provinces and wards are loaded
 *   show unit CODE                        one unit
 *   show holder ID                        one holder, with its unit
 *   show holders [unit CODE]              the first 50 holders by id (of a ward, or a province and its wards)
 *   card ICCID holder ID                  link a card to a holder ('no card ICCID holder' unlinks)
 *   card ICCID certificate add KEY_ID PROFILE FILE   record a certificate (PEM or DER) as issued for a card's key
 *   card ICCID certificate ID (loaded|revoked)       set a certificate's status
 *   show card ICCID certificates          the card's certificates
 *   card ICCID certificate request KEY_ID PROFILE FILE   send the PKCS#10 request in FILE (PEM or DER, signed by
 *                                         the card's key) to the CA (p10cr); the card's holder id, when it has one,
 *                                         must be the request's subject serialNumber; the answer comes later: the
 *                                         certificate is recorded as issued ('show card ICCID certificates'), a
 *                                         refusal is logged
 *   card ICCID certificate ID revoke <0-10>   ask the CA to revoke it (CRLReason); when it has, it is recorded
 *   show enrolment ID                     one certificate enrolment over the air (enrol.h): step, job, failure
 *   show card ICCID enrolments            the card's enrolments, newest first
 * FILE of these is relative to the configuration file's directory, as in the configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <osmocom/core/talloc.h>

#include "cert_info.h"
#include "holder.h"
#include "enrol.h"
#include "otad.h"
#include "otad_perm.h"
#include "otad_vty.h"
#include "ra_cmp.h"

static struct cmd_node ca_node = { .node = CA_NODE, .prompt = "%s(config-otad-ca)# ", .vtysh = 1 };

static void set_str(char **dst, const char *v)
{
	talloc_free(*dst);
	*dst = talloc_strdup(g_otad->ctx, v);
}

DEFUN(cfg_units_dir, cfg_units_dir_cmd, "units-dir PATH",
      "The organisation tree's units: the directory of provinces.json and wards.json\n"
      "Directory (relative to the configuration file's)\n")
{
	set_str(&g_otad->units_dir, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ca, cfg_ca_cmd, "ca", "The CA the registration authority asks for certificates (CMP)\n")
{
	vty->node = CA_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_url, cfg_ca_url_cmd, "cmp-url URL", "The CA's CMP URL\nhttp://HOST:PORT/PATH\n")
{
	if (strncmp(argv[0], "http://", 7)) {
		vty_out(vty, "%% cmp-url: http://HOST:PORT/PATH (CMP messages are signed; https is not used)%s",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	set_str(&g_otad->ca.cmp_url, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_ocsp_url, cfg_ca_ocsp_url_cmd, "ocsp-url URL",
      "The CA's OCSP responder: every signature's certificate must be good (sign.h)\nhttp://HOST:PORT/PATH\n")
{
	if (strncmp(argv[0], "http://", 7)) {
		vty_out(vty, "%% ocsp-url: http://HOST:PORT/PATH (OCSP answers are signed)%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	set_str(&g_otad->ca.ocsp_url, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_ocsp_cache, cfg_ca_ocsp_cache_cmd, "ocsp-cache <0-3600>",
      "How long an OCSP answer is reused for the same certificate (default 30)\nSeconds (0: never)\n")
{
	g_otad->ca.ocsp_cache_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_ocsp_timeout, cfg_ca_ocsp_timeout_cmd, "ocsp-timeout <1-60>",
      "One OCSP exchange's time limit (default 5)\nSeconds\n")
{
	g_otad->ca.ocsp_timeout_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_ra_cert, cfg_ca_ra_cert_cmd, "ra-cert FILE", "The RA's certificate\nPEM file\n")
{
	set_str(&g_otad->ca.ra_cert, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_ra_key, cfg_ca_ra_key_cmd, "ra-key FILE", "The RA's private key\nPEM file\n")
{
	set_str(&g_otad->ca.ra_key, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_chain, cfg_ca_chain_cmd, "ca-chain FILE", "The CA's certificates\nPEM file\n")
{
	set_str(&g_otad->ca.ca_chain, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_trust, cfg_ca_trust_cmd, "trust-anchor FILE",
      "What the CA's responses and certificates must chain to\nPEM file\n")
{
	set_str(&g_otad->ca.trust_anchor, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_retry, cfg_ca_retry_cmd, "retry min-seconds <0-86400> max-seconds <0-86400>",
      "Asking an unreachable CA again\nThe first wait\nSeconds (0: never again)\nThe longest wait\nSeconds\n")
{
	unsigned min = (unsigned)atoi(argv[0]), max = (unsigned)atoi(argv[1]);

	if (min > max) {
		vty_out(vty, "%% min-seconds must be at most max-seconds%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	g_otad->ca.retry_min_s = min;
	g_otad->ca.retry_max_s = max;
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_timeout, cfg_ca_timeout_cmd, "timeout <1-600>", "One CMP message's time limit\nSeconds\n")
{
	g_otad->ca.timeout_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ca_org, cfg_ca_org_cmd, "subject-organisation .NAME",
      "O of the subjects of certificates enrolled over the air\nThe organisation's name (UTF-8)\n")
{
	char *name = argv_concat(argv, argc, 0);

	if (!name || strlen(name) >= sizeof(otad_enrol_cfg.organisation)) {
		vty_out(vty, "%% at most %zu bytes%s", sizeof(otad_enrol_cfg.organisation) - 1, VTY_NEWLINE);
		talloc_free(name);
		return CMD_WARNING;
	}
	snprintf(otad_enrol_cfg.organisation, sizeof(otad_enrol_cfg.organisation), "%s", name);
	talloc_free(name);
	return CMD_SUCCESS;
}

static void show_enrol(struct vty *vty, const struct otad_enrol_row *e)
{
	vty_out(vty, "enrolment %lld card %s key %02X profile %s holder %s state %s", (long long)e->id, e->iccid,
		e->key_id, e->profile, e->holder[0] ? e->holder : "-", otad_enrol_state_names[e->state]);
	if (e->job)
		vty_out(vty, " job %lld", (long long)e->job);
	if (e->serial[0])
		vty_out(vty, " serial %s", e->serial);
	if (e->error[0])
		vty_out(vty, " error: %s", e->error);
	vty_out(vty, "%s", VTY_NEWLINE);
}

DEFUN(show_enrolment, show_enrolment_cmd, "show enrolment <1-999999999999>",
      SHOW_STR "A certificate enrolment over the air\nIts id\n")
{
	static struct otad_enrol_row e;
	int rc = otad_db_enrol_get(g_otad->db, strtoll(argv[0], NULL, 10), &e);

	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no such enrolment" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	show_enrol(vty, &e);
	return CMD_SUCCESS;
}

static void show_enrol_cb(const struct otad_enrol_row *e, void *priv)
{
	show_enrol(priv, e);
}

DEFUN(show_card_enrolments, show_card_enrolments_cmd, "show card ICCID enrolments",
      SHOW_STR "A card\nIts ICCID\nIts certificate enrolments over the air, newest first (at most 50)\n")
{
	if (otad_db_enrols_of_card(g_otad->db, argv[0], 50, show_enrol_cb, vty) < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

static int config_write_ca(struct vty *vty)
{
	return CMD_SUCCESS; /* written inside 'otad' */
}

void otad_vty_pki_write(struct vty *vty)
{
	vty_out(vty, " units-dir %s%s", g_otad->units_dir, VTY_NEWLINE);
	if (!g_otad->ca.cmp_url && !g_otad->ca.ocsp_url)
		return;
	vty_out(vty, " ca%s", VTY_NEWLINE);
	if (g_otad->ca.cmp_url)
		vty_out(vty, "  cmp-url %s%s", g_otad->ca.cmp_url, VTY_NEWLINE);
	if (g_otad->ca.ocsp_url)
		vty_out(vty, "  ocsp-url %s%s  ocsp-cache %u%s  ocsp-timeout %u%s", g_otad->ca.ocsp_url, VTY_NEWLINE,
			g_otad->ca.ocsp_cache_s, VTY_NEWLINE, g_otad->ca.ocsp_timeout_s, VTY_NEWLINE);
	if (g_otad->ca.ra_cert)
		vty_out(vty, "  ra-cert %s%s", g_otad->ca.ra_cert, VTY_NEWLINE);
	if (g_otad->ca.ra_key)
		vty_out(vty, "  ra-key %s%s", g_otad->ca.ra_key, VTY_NEWLINE);
	if (g_otad->ca.ca_chain)
		vty_out(vty, "  ca-chain %s%s", g_otad->ca.ca_chain, VTY_NEWLINE);
	if (g_otad->ca.trust_anchor)
		vty_out(vty, "  trust-anchor %s%s", g_otad->ca.trust_anchor, VTY_NEWLINE);
	vty_out(vty, "  retry min-seconds %u max-seconds %u%s", g_otad->ca.retry_min_s, g_otad->ca.retry_max_s,
		VTY_NEWLINE);
	vty_out(vty, "  timeout %u%s", g_otad->ca.timeout_s, VTY_NEWLINE);
	if (otad_enrol_cfg.organisation[0])
		vty_out(vty, "  subject-organisation %s%s", otad_enrol_cfg.organisation, VTY_NEWLINE);
}

DEFUN(show_ca, show_ca_cmd, "show ca", SHOW_STR "The CA the registration authority asks (CMP)\n")
{
	if (!g_otad->ra) {
		vty_out(vty, "no CA configured ('ca' in the 'otad' node)%s", VTY_NEWLINE);
		return CMD_SUCCESS;
	}
	vty_out(vty, "CA at %s: %u requests waiting or under way; retry %u..%u s, timeout %u s%s", g_otad->ca.cmp_url,
		ra_cmp_pending(g_otad->ra), g_otad->ca.retry_min_s, g_otad->ca.retry_max_s, g_otad->ca.timeout_s,
		VTY_NEWLINE);
	return CMD_SUCCESS;
}

static bool db_ok(struct vty *vty)
{
	if (g_otad->db)
		return true;
	vty_out(vty, "%% the database is not open%s", VTY_NEWLINE);
	return false;
}

/* ---- units and holders --------------------------------------------------------------------------------------- */

DEFUN(show_units, show_units_cmd, "show units", SHOW_STR "The organisation tree's units: how many of each kind\n")
{
	int64_t p, w;

	if (!db_ok(vty))
		return CMD_WARNING;
	p = otad_db_units_count(g_otad->db, OTAD_UNIT_PROVINCE);
	w = otad_db_units_count(g_otad->db, OTAD_UNIT_WARD);
	if (p < 0 || w < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "units: %lld provinces, %lld wards, %lld ministries, %lld party offices, %lld departments%s",
		(long long)p, (long long)w, (long long)otad_db_units_count(g_otad->db, OTAD_UNIT_MINISTRY),
		(long long)otad_db_units_count(g_otad->db, OTAD_UNIT_PARTY_OFFICE),
		(long long)otad_db_units_count(g_otad->db, OTAD_UNIT_DEPARTMENT), VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_unit, show_unit_cmd, "show unit CODE", SHOW_STR "One unit of the organisation tree\nIts code\n")
{
	if (!db_ok(vty))
		return CMD_WARNING;
	return otad_vty_unit_show(vty, argv[0]); /* otad_vty_units.c */
}

DEFUN(show_holder, show_holder_cmd, "show holder ID", SHOW_STR "One certificate holder\nIts id\n")
{
	struct otad_holder h;
	struct otad_unit u;
	int rc;

	if (!db_ok(vty))
		return CMD_WARNING;
	rc = otad_db_holder_get(g_otad->db, argv[0], &h);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no such holder" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (otad_db_unit_get(g_otad->db, h.unit, &u))
		snprintf(u.name, sizeof(u.name), "?");
	vty_out(vty, "holder %s: %s, id number %s, unit %s (%s)%s%s%s", h.id, h.name, h.id_number, h.unit, u.name,
		h.email[0] ? ", " : "", h.email, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static void print_holder(const struct otad_holder *h, void *priv)
{
	struct vty *vty = priv;

	vty_out(vty, "%-20s %-10s %-16s %s%s", h->id, h->unit, h->id_number, h->name, VTY_NEWLINE);
}

static int list_holders(struct vty *vty, const char *unit)
{
	struct otad_holder_filter f = { .unit = unit, .limit = 50 };
	int64_t total;
	int n;

	if (!db_ok(vty))
		return CMD_WARNING;
	total = otad_db_holder_count(g_otad->db);
	vty_out(vty, "%lld holders%s", (long long)total, VTY_NEWLINE);
	vty_out(vty, "%-20s %-10s %-16s %s%s", "id", "unit", "id number", "name", VTY_NEWLINE);
	n = otad_db_holders_list(g_otad->db, &f, print_holder, vty);
	if (n < 0 || total < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if ((unsigned)n == f.limit)
		vty_out(vty, "(the first %d by id)%s", n, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_holders, show_holders_cmd, "show holders", SHOW_STR "Certificate holders: how many, the first 50 by id\n")
{
	return list_holders(vty, NULL);
}

DEFUN(show_holders_unit, show_holders_unit_cmd, "show holders unit CODE",
      SHOW_STR "Certificate holders: the first 50 by id\nOf one unit (a province: and its wards)\nIts code\n")
{
	return list_holders(vty, argv[0]);
}

DEFUN(card_holder, card_holder_cmd, "card ICCID holder ID",
      "One SIM card\nIts ICCID\nLink it to a certificate holder\nThe holder's id\n")
{
	int rc;

	if (!db_ok(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_HOLDER_WRITE], "card %s", argv[0]))
		return CMD_WARNING;
	rc = otad_db_card_set_holder(g_otad->db, argv[0], argv[1]);
	if (rc) {
		vty_out(vty, "%% %s%s",
			rc == -ENOENT ? "no such card" :
			rc == -ENXIO  ? "no such holder" :
					"database error",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(no_card_holder, no_card_holder_cmd, "no card ICCID holder",
      NO_STR "One SIM card\nIts ICCID\nUnlink it from its holder\n")
{
	int rc;

	if (!db_ok(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_HOLDER_WRITE], "card %s", argv[0]))
		return CMD_WARNING;
	rc = otad_db_card_set_holder(g_otad->db, argv[0], NULL);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no such card" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

/* ---- certificates -------------------------------------------------------------------------------------------- */

/* A certificate file, PEM or DER, into \a der (OTAD_CERT_DER_MAX bytes). \returns its length; -errno */
static int read_cert_file(const char *path, uint8_t *der)
{
	BIO *b = BIO_new_file(path, "rb");
	X509 *x;
	uint8_t *p = der;
	int n;

	if (!b)
		return -ENOENT;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (!x) {
		(void)BIO_reset(b);
		x = d2i_X509_bio(b, NULL);
	}
	BIO_free(b);
	if (!x)
		return -EINVAL;
	n = i2d_X509(x, NULL);
	if (n <= 0 || n > OTAD_CERT_DER_MAX)
		n = -EFBIG;
	else
		n = i2d_X509(x, &p);
	X509_free(x);
	return n;
}

DEFUN(card_cert_add, card_cert_add_cmd, "card ICCID certificate add KEY_ID PROFILE FILE",
      "One SIM card\nIts ICCID\nIts certificates\nRecord one as issued\n"
      "Which key of the card (the applet's key reference)\nThe certificate profile\nPEM or DER file\n")
{
	static uint8_t der[OTAD_CERT_DER_MAX];
	struct otad_cert c = { .status = OTAD_CERT_ISSUED, .reason = -1 };
	char *path;
	int n, rc;

	if (!db_ok(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_CERT_ENROL], "card %s", argv[0]))
		return CMD_WARNING;
	if (strlen(argv[1]) > OTAD_CERT_KEY_ID_MAX || strlen(argv[2]) > OTAD_CERT_PROFILE_MAX) {
		vty_out(vty, "%% KEY_ID and PROFILE: at most %d characters%s", OTAD_CERT_KEY_ID_MAX, VTY_NEWLINE);
		return CMD_WARNING;
	}
	path = otad_path(g_otad->ctx, argv[3]);
	n = read_cert_file(path, der);
	talloc_free(path);
	if (n < 0 || cert_info(der, (size_t)n, c.serial, &c.not_after)) {
		vty_out(vty, "%% %s: not a certificate (PEM or DER)%s", argv[3], VTY_NEWLINE);
		return CMD_WARNING;
	}
	snprintf(c.iccid, sizeof(c.iccid), "%s", argv[0]);
	snprintf(c.key_id, sizeof(c.key_id), "%s", argv[1]);
	snprintf(c.profile, sizeof(c.profile), "%s", argv[2]);
	c.der = der;
	c.der_len = (size_t)n;
	rc = otad_db_cert_insert(g_otad->db, &c);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no such card" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "certificate %lld: serial %s%s", (long long)c.id, c.serial, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(card_cert_status, card_cert_status_cmd, "card ICCID certificate <1-9223372036854775807> (loaded|revoked)",
      "One SIM card\nIts ICCID\nIts certificates\nThe certificate's id\nIt is on the card\n"
      "It is revoked (for good; reason unspecified)\n")
{
	int rc;

	if (!db_ok(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty,
			    otad_action_names[strcmp(argv[2], "revoked") ? OTAD_ACT_CERT_ENROL : OTAD_ACT_CERT_REVOKE],
			    "card %s cert %s", argv[0], argv[1]))
		return CMD_WARNING;
	rc = otad_db_cert_set_status(g_otad->db, atoll(argv[1]), (enum otad_cert_status)otad_cert_status_of(argv[2]),
				     0);
	if (rc) {
		vty_out(vty, "%% %s%s",
			rc == -ENOENT ? "no such certificate" :
			rc == -EPERM  ? "it is revoked: it stays revoked" :
					"database error",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

static void print_cert(const struct otad_cert *c, void *priv)
{
	struct vty *vty = priv;
	char when[32];
	struct tm tm;
	time_t t = (time_t)c->not_after;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	vty_out(vty, " certificate %lld: key %s, serial %s, profile %s, %s, until %s%s", (long long)c->id, c->key_id,
		c->serial, c->profile, otad_cert_status_names[c->status], when, VTY_NEWLINE);
}

DEFUN(show_card_certs, show_card_certs_cmd, "show card ICCID certificates",
      SHOW_STR "One SIM card\nIts ICCID\nIts certificates, oldest first\n")
{
	int n;

	if (!db_ok(vty))
		return CMD_WARNING;
	n = otad_db_certs_list(g_otad->db, argv[0], print_cert, vty);
	if (n < 0) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "%d certificates%s", n, VTY_NEWLINE);
	return CMD_SUCCESS;
}

/* ---- asking the CA (ra_cmp.h): the answer comes on the select loop, after the command returned ------------- */

/* What a request to the CA is for; freed when its answer came. */
struct ca_ask {
	char iccid[21];
	char key_id[OTAD_CERT_KEY_ID_MAX + 1];
	char profile[OTAD_CERT_PROFILE_MAX + 1];
	int64_t cert_id; /* a revocation: the certificate's id */
	int reason;
};

static void ca_issued(const struct ra_cmp_result *res, void *priv)
{
	struct ca_ask *a = priv;
	struct otad_cert c = { .status = OTAD_CERT_ISSUED, .reason = -1, .der = res->cert, .der_len = res->cert_len };
	int rc;

	if (res->status != RA_CMP_DONE) {
		LOGP(DOTAD, LOGL_ERROR, "CA: card %s key %s profile %s: %s after %u tries: %s\n", a->iccid, a->key_id,
		     a->profile, ra_cmp_status_names[res->status], res->attempts, res->text);
		talloc_free(a);
		return;
	}
	snprintf(c.iccid, sizeof(c.iccid), "%s", a->iccid);
	snprintf(c.key_id, sizeof(c.key_id), "%s", a->key_id);
	snprintf(c.profile, sizeof(c.profile), "%s", a->profile);
	rc = cert_info(res->cert, res->cert_len, c.serial, &c.not_after);
	if (!rc)
		rc = otad_db_cert_insert(g_otad->db, &c);
	if (rc)
		LOGP(DOTAD, LOGL_ERROR, "CA: card %s: the issued certificate cannot be recorded (%s)\n", a->iccid,
		     strerror(-rc));
	else
		LOGP(DOTAD, LOGL_NOTICE, "CA: card %s key %s: certificate %lld issued, serial %s\n", a->iccid,
		     a->key_id, (long long)c.id, c.serial);
	talloc_free(a);
}

/* A PKCS#10 request file, PEM or DER, into \a der (RA_CMP_CSR_MAX bytes). \returns its length; -errno */
static int read_csr_file(const char *path, uint8_t *der)
{
	BIO *b = BIO_new_file(path, "rb");
	X509_REQ *r;
	uint8_t *p = der;
	int n;

	if (!b)
		return -ENOENT;
	r = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	if (!r) {
		(void)BIO_reset(b);
		r = d2i_X509_REQ_bio(b, NULL);
	}
	BIO_free(b);
	ERR_clear_error();
	if (!r)
		return -EINVAL;
	n = i2d_X509_REQ(r, NULL);
	n = n <= 0 || n > RA_CMP_CSR_MAX ? -EFBIG : i2d_X509_REQ(r, &p);
	X509_REQ_free(r);
	return n;
}

DEFUN(card_cert_request, card_cert_request_cmd, "card ICCID certificate request KEY_ID PROFILE FILE",
      "One SIM card\nIts ICCID\nIts certificates\nAsk the CA for one (CMP p10cr)\n"
      "Which key of the card\nThe certificate profile\nThe PKCS#10 request the card signed (PEM or DER)\n")
{
	static uint8_t der[RA_CMP_CSR_MAX];
	struct ca_ask *a;
	struct otad_card c;
	char *path;
	int n, rc;

	if (!db_ok(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_CERT_ENROL], "card %s", argv[0]))
		return CMD_WARNING;
	if (!g_otad->ra) {
		vty_out(vty, "%% no CA configured ('ca' in the 'otad' node)%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (strlen(argv[1]) > OTAD_CERT_KEY_ID_MAX || strlen(argv[2]) > OTAD_CERT_PROFILE_MAX) {
		vty_out(vty, "%% KEY_ID and PROFILE: at most %d characters%s", OTAD_CERT_KEY_ID_MAX, VTY_NEWLINE);
		return CMD_WARNING;
	}
	rc = otad_db_card_get(g_otad->db, argv[0], &c);
	if (rc) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no such card" : "database error", VTY_NEWLINE);
		return CMD_WARNING;
	}
	path = otad_path(g_otad->ctx, argv[3]);
	n = read_csr_file(path, der);
	talloc_free(path);
	if (n < 0) {
		vty_out(vty, "%% %s: not a PKCS#10 request (PEM or DER)%s", argv[3], VTY_NEWLINE);
		return CMD_WARNING;
	}
	a = talloc_zero(g_otad->ctx, struct ca_ask);
	if (!a)
		return CMD_WARNING;
	snprintf(a->iccid, sizeof(a->iccid), "%s", c.iccid);
	snprintf(a->key_id, sizeof(a->key_id), "%s", argv[1]);
	snprintf(a->profile, sizeof(a->profile), "%s", argv[2]);
	rc = ra_cmp_p10cr_async(g_otad->ra, der, (size_t)n, a->profile, c.holder[0] ? c.holder : NULL, c.iccid, NULL,
				ca_issued, a);
	if (rc) {
		talloc_free(a);
		vty_out(vty, "%% %s%s",
			rc == -EINVAL ? "refused: a bad signature or profile, or a holder id the CA cannot be told" :
			rc == -ENOSPC ? "too many requests waiting for the CA" :
					"out of memory",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "request for card %s key %s sent to the CA%s", c.iccid, a->key_id, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static void ca_revoked(const struct ra_cmp_result *res, void *priv)
{
	struct ca_ask *a = priv;
	int rc;

	if (res->status != RA_CMP_DONE) {
		LOGP(DOTAD, LOGL_ERROR, "CA: certificate %lld of card %s not revoked: %s after %u tries: %s\n",
		     (long long)a->cert_id, a->iccid, ra_cmp_status_names[res->status], res->attempts, res->text);
	} else {
		rc = otad_db_cert_set_status(g_otad->db, a->cert_id, OTAD_CERT_REVOKED, a->reason);
		LOGP(DOTAD, rc ? LOGL_ERROR : LOGL_NOTICE, "CA: certificate %lld of card %s revoked%s\n",
		     (long long)a->cert_id, a->iccid, rc ? ", but the database cannot record it" : "");
	}
	talloc_free(a);
}

struct find_cert {
	int64_t id;
	bool found;
	uint8_t der[OTAD_CERT_DER_MAX];
	size_t len;
};

static void find_cert(const struct otad_cert *c, void *priv)
{
	struct find_cert *f = priv;

	if (c->id != f->id || c->status == OTAD_CERT_REVOKED)
		return;
	f->found = true;
	memcpy(f->der, c->der, c->der_len);
	f->len = c->der_len;
}

DEFUN(card_cert_revoke, card_cert_revoke_cmd, "card ICCID certificate <1-9223372036854775807> revoke <0-10>",
      "One SIM card\nIts ICCID\nIts certificates\nThe certificate's id\nAsk the CA to revoke it (CMP rr)\n"
      "CRLReason (0 unspecified, 1 keyCompromise, 3 affiliationChanged, 4 superseded, 5 cessationOfOperation; "
      "not 7)\n")
{
	static struct find_cert f;
	struct ca_ask *a;
	int rc;

	if (!db_ok(vty))
		return CMD_WARNING;
	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_CERT_REVOKE], "card %s cert %s", argv[0], argv[1]))
		return CMD_WARNING;
	if (!g_otad->ra) {
		vty_out(vty, "%% no CA configured ('ca' in the 'otad' node)%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	memset(&f, 0, sizeof(f));
	f.id = atoll(argv[1]);
	if (otad_db_certs_list(g_otad->db, argv[0], find_cert, &f) < 0 || !f.found) {
		vty_out(vty, "%% card %s has no certificate %s that is not revoked%s", argv[0], argv[1], VTY_NEWLINE);
		return CMD_WARNING;
	}
	a = talloc_zero(g_otad->ctx, struct ca_ask);
	if (!a)
		return CMD_WARNING;
	snprintf(a->iccid, sizeof(a->iccid), "%s", argv[0]);
	a->cert_id = f.id;
	a->reason = atoi(argv[2]);
	rc = ra_cmp_revoke_async(g_otad->ra, f.der, f.len, a->reason, ca_revoked, a);
	if (rc) {
		talloc_free(a);
		vty_out(vty, "%% refused: %s%s", strerror(-rc), VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "revocation of certificate %s sent to the CA%s", argv[1], VTY_NEWLINE);
	return CMD_SUCCESS;
}

void otad_vty_pki_init(void)
{
	install_element(OTAD_NODE, &cfg_units_dir_cmd);
	install_element(OTAD_NODE, &cfg_ca_cmd);
	install_node(&ca_node, config_write_ca);
	install_element(CA_NODE, &cfg_ca_url_cmd);
	install_element(CA_NODE, &cfg_ca_ocsp_url_cmd);
	install_element(CA_NODE, &cfg_ca_ocsp_cache_cmd);
	install_element(CA_NODE, &cfg_ca_ocsp_timeout_cmd);
	install_element(CA_NODE, &cfg_ca_ra_cert_cmd);
	install_element(CA_NODE, &cfg_ca_ra_key_cmd);
	install_element(CA_NODE, &cfg_ca_chain_cmd);
	install_element(CA_NODE, &cfg_ca_trust_cmd);
	install_element(CA_NODE, &cfg_ca_retry_cmd);
	install_element(CA_NODE, &cfg_ca_timeout_cmd);
	install_element(CA_NODE, &cfg_ca_org_cmd);
	install_element_ve(&show_enrolment_cmd);
	install_element_ve(&show_card_enrolments_cmd);
	install_element_ve(&show_ca_cmd);
	install_element_ve(&show_units_cmd);
	install_element_ve(&show_unit_cmd);
	install_element_ve(&show_holder_cmd);
	install_element_ve(&show_holders_cmd);
	install_element_ve(&show_holders_unit_cmd);
	install_element(ENABLE_NODE, &card_holder_cmd);
	install_element(ENABLE_NODE, &no_card_holder_cmd);
	install_element(ENABLE_NODE, &card_cert_add_cmd);
	install_element(ENABLE_NODE, &card_cert_status_cmd);
	install_element_ve(&show_card_certs_cmd);
	install_element(ENABLE_NODE, &card_cert_request_cmd);
	install_element(ENABLE_NODE, &card_cert_revoke_cmd);
}
