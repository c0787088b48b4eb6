/* CRL v2 (RFC 5280 §5) built and signed with OpenSSL 3.0's X509_CRL API: the issuer is the CA's subject, the
 * entries come from the CA's records through a callback, sorted by serial; extensions authorityKeyIdentifier (the
 * CA's subjectKeyIdentifier, else SHA-1 of its public key as RFC 5280 §4.2.1.2 (1) computes it), cRLNumber and, when
 * a URL is given, a critical issuingDistributionPoint whose fullName is that URL. Entries carry a reasonCode unless
 * the reason is -1 or 0 (RFC 5280 §5.3.1: "unspecified" SHOULD be left out). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca_status.h"
#include "status_int.h"

#define IDP_URL_MAX 1024

/* What ca_crl_build's callback fills: the CRL, and the first error (later entries are then skipped). */
struct crl_fill {
	X509_CRL *crl;
	int err;
};

static bool reason_valid(int r)
{
	return r >= 0 && r <= 10 && r != 7;
}

static int add_entry(const struct ca_revoked *r, void *cb_priv)
{
	struct crl_fill *f = cb_priv;
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *t = NULL;
	ASN1_ENUMERATED *reason = NULL;
	int rc = -ENOMEM;

	if (f->err)
		return f->err;
	if (!r || (r->reason != -1 && !reason_valid(r->reason))) {
		rc = -EINVAL;
		goto out;
	}
	serial = ca_status_serial_to_asn1(r->serial, r->serial_len);
	if (!serial) {
		rc = -EINVAL; /* out of bounds or not minimal (or no memory: rare enough to be called that) */
		goto out;
	}
	rev = X509_REVOKED_new();
	t = ASN1_TIME_set(NULL, (time_t)r->revoked_at);
	if (!rev || !t || !X509_REVOKED_set_serialNumber(rev, serial) || !X509_REVOKED_set_revocationDate(rev, t))
		goto out;
	if (r->reason > 0) {
		reason = ASN1_ENUMERATED_new();
		if (!reason || !ASN1_ENUMERATED_set(reason, r->reason) ||
		    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) != 1)
			goto out;
	}
	if (!X509_CRL_add0_revoked(f->crl, rev))
		goto out;
	rev = NULL;
	rc = 0;
out:
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(reason);
	f->err = rc;
	return rc;
}

/* authorityKeyIdentifier with keyIdentifier only. */
static int add_aki(X509_CRL *crl, X509 *ca)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	int rc = -ENOMEM;

	if (!akid)
		return -ENOMEM;
	if (ski)
		akid->keyid = ASN1_OCTET_STRING_dup(ski);
	else if (X509_pubkey_digest(ca, EVP_sha1(), md, &md_len) && (akid->keyid = ASN1_OCTET_STRING_new()) &&
		 !ASN1_OCTET_STRING_set(akid->keyid, md, (int)md_len)) {
		ASN1_OCTET_STRING_free(akid->keyid);
		akid->keyid = NULL;
	}
	if (akid->keyid && X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0) == 1)
		rc = 0;
	AUTHORITY_KEYID_free(akid);
	return rc;
}

static int add_number(X509_CRL *crl, uint64_t number)
{
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	int rc = -ENOMEM;

	if (n && ASN1_INTEGER_set_uint64(n, number) && X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0) == 1)
		rc = 0;
	ASN1_INTEGER_free(n);
	return rc;
}

/* issuingDistributionPoint { distributionPoint fullName { uniformResourceIdentifier url } }, critical (§5.2.5). */
static int add_idp(X509_CRL *crl, const char *url)
{
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *uri = ASN1_IA5STRING_new();
	int rc = -ENOMEM;

	if (!idp || !gn || !uri || !ASN1_STRING_set(uri, url, (int)strlen(url)))
		goto out;
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	uri = NULL;
	idp->distpoint = DIST_POINT_NAME_new();
	if (!idp->distpoint)
		goto out;
	idp->distpoint->type = 0; /* fullName */
	idp->distpoint->name.fullname = GENERAL_NAMES_new();
	if (!idp->distpoint->name.fullname || !sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn))
		goto out;
	gn = NULL;
	if (X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, 0) == 1)
		rc = 0;
out:
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(gn);
	ISSUING_DIST_POINT_free(idp);
	return rc;
}

/* A URL goes into an IA5String: printable ASCII, no spaces, bounded. */
static bool url_valid(const char *url)
{
	size_t n = strnlen(url, IDP_URL_MAX + 1);

	if (!n || n > IDP_URL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (url[i] <= 0x20 || url[i] >= 0x7f)
			return false;
	return true;
}

static int set_time(X509_CRL *crl, int64_t t, int (*set1)(X509_CRL *, const ASN1_TIME *))
{
	ASN1_TIME *a = ASN1_TIME_set(NULL, (time_t)t);
	int ok = a && set1(crl, a);

	ASN1_TIME_free(a);
	return ok ? 0 : -ENOMEM;
}

int ca_crl_build(const struct ca_status_signer *s, const struct ca_crl_params *p, ca_revoked_each_fn each, void *priv,
		 uint8_t **der, size_t *len)
{
	struct crl_fill f = { 0 };
	uint8_t *out = NULL;
	int rc, n;

	if (!s || !s->ca || !s->key || !p || !each || !der || !len || p->next_update <= p->this_update ||
	    (p->idp_url && !url_valid(p->idp_url)) || X509_check_private_key(s->ca, s->key) != 1)
		return -EINVAL;
	f.crl = X509_CRL_new();
	if (!f.crl)
		return -ENOMEM;
	rc = -ENOMEM;
	if (!X509_CRL_set_version(f.crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(f.crl, X509_get_subject_name(s->ca)))
		goto out;
	if ((rc = set_time(f.crl, p->this_update, X509_CRL_set1_lastUpdate)) ||
	    (rc = set_time(f.crl, p->next_update, X509_CRL_set1_nextUpdate)))
		goto out;
	rc = each(add_entry, &f, priv);
	if (f.err)
		rc = f.err;
	if (rc)
		goto out;
	if ((rc = add_aki(f.crl, s->ca)) || (rc = add_number(f.crl, p->number)) ||
	    (p->idp_url && (rc = add_idp(f.crl, p->idp_url))))
		goto out;
	rc = -ENOMEM;
	if (!X509_CRL_sort(f.crl))
		goto out;
	/* The key may live in a provider (an HSM): a signature that fails is the key's fault, not memory's. */
	rc = -EIO;
	if (X509_CRL_sign(f.crl, s->key, ca_status_md(s)) <= 0)
		goto out;
	rc = -ENOMEM;
	n = i2d_X509_CRL(f.crl, &out);
	if (n <= 0)
		goto out;
	*der = out;
	*len = (size_t)n;
	rc = 0;
out:
	X509_CRL_free(f.crl);
	return rc;
}
