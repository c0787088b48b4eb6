/* simpki-ca's CMP server (rules in ca_cmp.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "ca_cmp.h"
#include "ca_cmp_der.h"
#include "ca_issue.h"

#define TID_MAX CA_DB_TXID_MAX /* a longer transactionID is answered but neither recorded nor tracked */

void (*ca_revoked_hook)(struct ca *ca, const char *serial);

/* PKIBody choices (RFC 4210 §5.1.2) that continue a transaction; OpenSSL 3.0 does not export their numbers. */
#define BODY_ERROR 23
#define BODY_CERTCONF 24
#define BODY_POLLREQ 25

/* One transaction: its OSSL_CMP_SRV_CTX (whose custom context this is) and what the current message's check found.
 * A transaction that issued a certificate waits in ca->pending, by transactionID, for its certConf (OpenSSL's
 * server keeps the transaction's state in the OSSL_CMP_SRV_CTX, so the certConf must reach the same one). */
struct cmp_txn {
	struct llist_head list; /* in ca->pending while it waits */
	struct ca *ca;
	OSSL_CMP_SRV_CTX *srv;
	uint8_t tid[TID_MAX];
	size_t tid_len;
	char tid_hex[CA_DB_TXID_HEX]; /* tid in lowercase hex; "" when not tracked */
	int reject_bit; /* -1: the current message is from a trusted RA; else the failInfo bit of every answer */
	const char *reject_text;
	char ra_name[CA_DB_SUBJECT_MAX];
	struct ca_cmp_scan scan; /* of the current message */
	bool issued;		 /* a certificate was issued in this transaction */
	char serial[CA_DB_SERIAL_HEX];
	uint8_t hash[32]; /* SHA-256 of its DER: what certHash must be */
	int64_t at;
};

static const char *const reason_names[] = {
	"unspecified",	 "keyCompromise",	 "cACompromise",    "affiliationChanged",
	"superseded",	 "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn",	 "aACompromise",
};

const char *ca_reason_name(int reason)
{
	if (reason < 0 || reason > 10)
		return NULL;
	return reason_names[reason];
}

int ca_reason_parse(const char *name)
{
	for (int i = 0; i <= 10; i++) {
		if (reason_names[i] && !strcasecmp(name, reason_names[i]))
			return i;
	}
	return -1;
}

int ca_revoke(struct ca *ca, const char *serial, int reason, const char *by)
{
	int rc;

	if (reason == 7 || reason == 8 || reason > 10 || reason < -1)
		return -EINVAL;
	rc = ca_db_cert_revoke(ca->db, serial, ca_now(), reason);
	if (rc)
		return rc;
	ca_ctr_inc(ca, CA_CTR_CERT_REVOKED);
	if (reason == 6)
		LOGP(DISSUE, LOGL_NOTICE, "certificate %s put on hold (certificateHold) by %s\n", serial, by);
	else
		LOGP(DISSUE, LOGL_NOTICE, "certificate %s revoked (%s) by %s\n", serial,
		     reason >= 0 ? ca_reason_name(reason) : "no reason", by);
	if (ca_revoked_hook)
		ca_revoked_hook(ca, serial);
	return 0;
}

int ca_release(struct ca *ca, const char *serial, const char *by)
{
	int rc = ca_db_cert_release(ca->db, serial);

	if (rc)
		return rc;
	ca_ctr_inc(ca, CA_CTR_CERT_RELEASED);
	LOGP(DISSUE, LOGL_NOTICE, "certificate %s released from hold (removeFromCRL) by %s: good again\n", serial, by);
	if (ca_revoked_hook)
		ca_revoked_hook(ca, serial);
	return 0;
}

static OSSL_CMP_PKISI *vreject(int fail_info, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static OSSL_CMP_PKISI *reject(int bit, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static OSSL_CMP_PKISI *reject_bits(int fail_info, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A rejection with the failInfo bits \a fail_info (1 << OSSL_CMP_PKIFAILUREINFO_...) and a text, logged. */
static OSSL_CMP_PKISI *vreject(int fail_info, const char *fmt, va_list ap)
{
	char text[300];

	vsnprintf(text, sizeof(text), fmt, ap);
	LOGP(DCMP, LOGL_NOTICE, "request refused: %s\n", text);
	return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection, fail_info, text);
}

/* A rejection with the one failInfo bit \a bit. */
static OSSL_CMP_PKISI *reject(int bit, const char *fmt, ...)
{
	OSSL_CMP_PKISI *si;
	va_list ap;

	va_start(ap, fmt);
	si = vreject(1 << bit, fmt, ap);
	va_end(ap);
	return si;
}

static OSSL_CMP_PKISI *reject_bits(int fail_info, const char *fmt, ...)
{
	OSSL_CMP_PKISI *si;
	va_list ap;

	va_start(ap, fmt);
	si = vreject(fail_info, fmt, ap);
	va_end(ap);
	return si;
}

static struct cmp_txn *req_of(OSSL_CMP_SRV_CTX *srv)
{
	return OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
}

static int txn_destructor(struct cmp_txn *t)
{
	if (!llist_empty(&t->list))
		llist_del(&t->list);
	OSSL_CMP_SRV_CTX_free(t->srv);
	ca_cmp_scan_free(&t->scan);
	return 0;
}

static void pending_expire(struct ca *ca)
{
	struct cmp_txn *t, *tmp;
	int64_t now = ca_now();
	unsigned n = 0;

	llist_for_each_entry_safe(t, tmp, &ca->pending, list)
	{
		if (now - t->at > CA_CMP_PENDING_S || ++n > CA_CMP_PENDING_MAX)
			talloc_free(t);
	}
}

/* The transaction waiting for the transactionID \a tid (\a len bytes), taken out of ca->pending; NULL: none. */
static struct cmp_txn *pending_take(struct ca *ca, const uint8_t *tid, size_t len)
{
	struct cmp_txn *t;

	if (!tid || !len)
		return NULL;
	llist_for_each_entry(t, &ca->pending, list)
	{
		if (t->tid_len == len && !memcmp(t->tid, tid, len)) {
			llist_del_init(&t->list);
			return t;
		}
	}
	return NULL;
}

static void issued(struct cmp_txn *t, X509 *cert, const char *serial)
{
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der);

	t->issued = n > 0 && EVP_Digest(der, (size_t)n, t->hash, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	snprintf(t->serial, sizeof(t->serial), "%s", serial);
}

/* The value of the pair "NAME?VALUE%" (\a name given with its '?') among the utf8Pairs \a pairs into \a out: 1 to
 * size - 1 printable ASCII characters, no '%' nor '?'. \returns 1 found; 0 absent; -EINVAL there but not that */
static int pair_get(const char *pairs, const char *name, char *out, size_t size)
{
	size_t k = strlen(name), n = 0;
	const char *s, *end = pairs + strlen(pairs);

	out[0] = 0;
	for (s = pairs; s + k <= end; s++) {
		if ((s != pairs && s[-1] != '%') || memcmp(s, name, k))
			continue;
		s += k;
		while (s + n < end && s[n] > 0x20 && s[n] < 0x7f && s[n] != '%' && s[n] != '?')
			n++;
		if (n < 1 || n >= size || (s + n != end && s[n] != '%'))
			return -EINVAL;
		memcpy(out, s, n);
		out[n] = 0;
		return 1;
	}
	return 0;
}

/* "holder?ID%" among the header's generalInfo utf8Pairs (a trusted RA's word: the request is RA-signed) into
 * holder (1 to CA_HOLDER_MAX printable characters); "" when absent or not that. */
static void holder_from_pairs(const char *pairs, char *holder, size_t size)
{
	char v[CA_HOLDER_MAX + 1];

	holder[0] = 0;
	if (pair_get(pairs, "holder?", v, sizeof(v)) == 1 && strlen(v) < size)
		memcpy(holder, v, strlen(v) + 1);
}

/* "iccid?DIGITS%" among the utf8Pairs (CRMF regInfo, else the header's generalInfo) into iccid (18 to 20 digits). */
static void iccid_from_pairs(const OSSL_CRMF_MSG *crm, const char *hdr_pairs, char *iccid, size_t size)
{
	char pairs[CA_UTF8PAIRS_MAX + 1];
	const char *s, *end;
	size_t n = 0;

	iccid[0] = 0;
	if (!crm || ca_crmf_utf8pairs(crm, pairs, sizeof(pairs)) <= 0)
		snprintf(pairs, sizeof(pairs), "%s", hdr_pairs);
	end = pairs + strlen(pairs);
	for (s = pairs; s + 6 <= end; s++) {
		if ((s == pairs || s[-1] == '%') && !memcmp(s, "iccid?", 6)) {
			s += 6;
			while (s + n < end && isdigit((unsigned char)s[n]))
				n++;
			if (n >= 18 && n <= 20 && n < size && (s + n == end || s[n] == '%')) {
				memcpy(iccid, s, n);
				iccid[n] = 0;
			}
			return;
		}
	}
}

static void serial_hex(const ASN1_INTEGER *ai, char out[CA_DB_SERIAL_HEX])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;

	out[0] = 0;
	if (h && strlen(h) < CA_DB_SERIAL_HEX && h[0] != '-') {
		for (size_t i = 0; i <= strlen(h); i++)
			out[i] = (char)tolower((unsigned char)h[i]);
	}
	OPENSSL_free(h);
	BN_free(bn);
}

/* kur: the certificate the request replaces (oldCertID), read into *old (whatever its status: kur_policy() judges
 * that, after a repeated transaction had its answer). \returns NULL, or a rejection */
static OSSL_CMP_PKISI *kur_old(struct cmp_txn *r, const OSSL_CRMF_MSG *crm, struct ca_cert_row *old)
{
	const OSSL_CRMF_CERTID *cid = OSSL_CRMF_MSG_get0_regCtrl_oldCertID(crm);
	char serial[CA_DB_SERIAL_HEX];
	const X509_NAME *issuer;

	if (!cid)
		return reject(OSSL_CMP_PKIFAILUREINFO_badCertId, "kur without oldCertID");
	issuer = OSSL_CRMF_CERTID_get0_issuer(cid);
	if (!issuer || X509_NAME_cmp(issuer, X509_get_subject_name(r->ca->cert)))
		return reject(OSSL_CMP_PKIFAILUREINFO_badCertId, "kur: the old certificate is not this CA's");
	serial_hex(OSSL_CRMF_CERTID_get0_serialNumber(cid), serial);
	if (!serial[0] || ca_db_cert_get(r->ca->db, serial, NULL, old))
		return reject(OSSL_CMP_PKIFAILUREINFO_badCertId, "kur: no certificate %s of this CA", serial);
	if (!strcmp(old->profile, "ra") || !strcmp(old->profile, "ocsp-signer"))
		return reject(OSSL_CMP_PKIFAILUREINFO_notAuthorized, "kur: certificate %s is the CA's own", serial);
	return NULL;
}

/* What a certificate request asks for: read from its PKCS#10 or CRMF message (for kur, with the certificate it
 * replaces). */
struct wanted {
	const X509_NAME *subject;
	STACK_OF(X509_EXTENSION) * p10_exts; /* owned: a PKCS#10's extensionRequest */
	const STACK_OF(X509_EXTENSION) * exts;
	EVP_PKEY *pub; /* owned */
	X509 *oldx;    /* owned: kur's old certificate, when its subject is needed */
	const struct ca_profile *profile;
	const char *holder;	/* kur: the old certificate's; else the RA's utf8Pairs holder, if any */
	struct ca_cert_row old; /* kur */
	bool same_key;		/* kur: for the old certificate's key (the template's, or none given) */
	int64_t not_after_max;	/* same-key kur: ca_issue_req's */
	char pub_sha256[65];	/* of pub (read_crmf() may have it already); "" none */
	char iccid[24];
	char pairs_holder[CA_HOLDER_MAX + 1];
};

static OSSL_CMP_PKISI *read_p10(struct cmp_txn *r, const X509_REQ *p10cr, struct wanted *w)
{
	EVP_PKEY *k = X509_REQ_get0_pubkey((X509_REQ *)p10cr);

	/* the holder's own signature over the request: proof that it has the key */
	if (!k || X509_REQ_verify((X509_REQ *)p10cr, k) != 1)
		return reject(OSSL_CMP_PKIFAILUREINFO_badPOP,
			      "the PKCS#10 request's signature does not verify with its public key");
	w->subject = X509_REQ_get_subject_name(p10cr);
	w->p10_exts = X509_REQ_get_extensions((X509_REQ *)p10cr);
	w->exts = w->p10_exts;
	w->pub = EVP_PKEY_dup(k);
	iccid_from_pairs(NULL, r->scan.utf8pairs, w->iccid, sizeof(w->iccid));
	holder_from_pairs(r->scan.utf8pairs, w->pairs_holder, sizeof(w->pairs_holder));
	if (w->pairs_holder[0])
		w->holder = w->pairs_holder;
	return NULL;
}

static OSSL_CMP_PKISI *read_crmf(struct cmp_txn *r, int type, const OSSL_CRMF_MSG *crm, struct wanted *w)
{
	const OSSL_CRMF_CERTTEMPLATE *tmpl = OSSL_CRMF_MSG_get0_tmpl(crm);
	OSSL_CMP_PKISI *si;

	w->subject = OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl);
	w->exts = OSSL_CRMF_CERTTEMPLATE_get0_extensions(tmpl);
	w->pub = ca_crmf_pubkey(tmpl);
	iccid_from_pairs(crm, r->scan.utf8pairs, w->iccid, sizeof(w->iccid));
	holder_from_pairs(r->scan.utf8pairs, w->pairs_holder, sizeof(w->pairs_holder));
	if (w->pairs_holder[0])
		w->holder = w->pairs_holder;
	if (type != OSSL_CMP_KUR)
		return NULL;
	si = kur_old(r, crm, &w->old);
	if (si)
		return si;
	w->holder = w->old.holder;
	if (!w->iccid[0])
		snprintf(w->iccid, sizeof(w->iccid), "%s", w->old.iccid);
	if (!r->scan.profile[0])
		w->profile = ca_profile_find(r->ca, w->old.profile);
	if (!w->subject || !X509_NAME_entry_count(w->subject) || !w->pub) {
		struct ca_cert_row full;

		if (!ca_db_cert_get(r->ca->db, w->old.serial, r, &full)) {
			const unsigned char *p = full.der;

			w->oldx = d2i_X509(NULL, &p, (long)full.der_len);
			talloc_free(full.der);
		}
		if (!w->subject || !X509_NAME_entry_count(w->subject))
			w->subject = w->oldx ? X509_get_subject_name(w->oldx) : NULL;
	}
	if (!w->pub) {
		/* no key in the template: the old certificate's is meant */
		w->pub = w->oldx ? X509_get_pubkey(w->oldx) : NULL;
		w->same_key = w->pub != NULL;
	} else {
		w->same_key = !ca_pubkey_sha256(w->pub, w->pub_sha256) && !strcmp(w->pub_sha256, w->old.pubkey_sha256);
	}
	return NULL;
}

/* A request for a key that was revoked for keyCompromise: never certified again. \returns NULL, or a rejection */
static OSSL_CMP_PKISI *compromised(struct cmp_txn *r, const struct wanted *w)
{
	char serial[CA_DB_SERIAL_HEX] = "";
	int rc;

	if (!w->pub_sha256[0])
		return NULL;
	rc = ca_db_key_compromised(r->ca->db, w->pub_sha256, serial);
	if (rc < 0)
		return reject(OSSL_CMP_PKIFAILUREINFO_systemFailure, "the CA cannot issue now");
	if (!rc)
		return NULL;
	ca_ctr_inc(r->ca, CA_CTR_CMP_COMPROMISED_KEY);
	LOGP(DISSUE, LOGL_NOTICE, "%s asked for a certificate of key %s, revoked for keyCompromise (certificate %s)\n",
	     r->ra_name, w->pub_sha256, serial);
	return reject(OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "key compromised");
}

/* kur, once no earlier answer of its transaction applies: the old certificate must be good; for the same key, the
 * purpose (utf8Pairs "purpose?...%" of generalInfo) must be one the profile allows, and sets the validity's end
 * (w->not_after_max). \returns NULL, or a rejection */
static OSSL_CMP_PKISI *kur_policy(struct cmp_txn *r, struct wanted *w)
{
	const struct ca_profile *p = w->profile;
	char purpose[16];
	int64_t now = ca_now(), first;
	unsigned bit;
	int rc;

	if (w->old.hold)
		return reject(OSSL_CMP_PKIFAILUREINFO_certRevoked, "kur: certificate %s is on hold", w->old.serial);
	if (w->old.revoked)
		return reject(OSSL_CMP_PKIFAILUREINFO_certRevoked, "kur: certificate %s is revoked", w->old.serial);
	if (!w->same_key || !p)
		return NULL; /* a new key; or no profile: issue() refuses */
	rc = pair_get(r->scan.utf8pairs, "purpose?", purpose, sizeof(purpose));
	if (rc == 0)
		return reject(OSSL_CMP_PKIFAILUREINFO_badRequest,
			      "kur for the same key without a purpose (generalInfo utf8Pairs purpose?modification%% or "
			      "purpose?renewal%%)");
	bit = rc == 1 ? ca_same_key_parse(purpose) : 0;
	if (!bit)
		return reject(OSSL_CMP_PKIFAILUREINFO_badRequest,
			      "kur for the same key: the purpose is not modification or renewal");
	if (!(p->same_key & bit))
		return reject(OSSL_CMP_PKIFAILUREINFO_badRequest,
			      "profile %s does not allow a key to be certified again for %s", p->name, purpose);
	if (bit == CA_SAME_KEY_MODIFICATION) {
		/* a new subject does not extend the key's life */
		if (w->old.not_after <= now)
			return reject(OSSL_CMP_PKIFAILUREINFO_badRequest,
				      "modification: certificate %s has expired: no validity is left", w->old.serial);
		w->not_after_max = w->old.not_after;
	} else if (p->key_lifetime_days) {
		rc = ca_db_key_first_not_before(r->ca->db, w->old.pubkey_sha256, &first);
		if (rc == -EIO)
			return reject(OSSL_CMP_PKIFAILUREINFO_systemFailure, "the CA cannot issue now");
		if (rc)
			first = w->old.not_before;
		w->not_after_max = first + (int64_t)p->key_lifetime_days * 86400;
		if (w->not_after_max <= now)
			return reject(OSSL_CMP_PKIFAILUREINFO_badRequest,
				      "renewal: the key's lifetime (%u days from its first certificate) is over",
				      p->key_lifetime_days);
	}
	LOGP(DISSUE, LOGL_INFO, "same-key %s of certificate %s asked by %s\n", purpose, w->old.serial, r->ra_name);
	return NULL;
}

/* Hand out \a cert (owned from here), the one certificate of this transaction: it waits for its certConf. */
static OSSL_CMP_PKISI *answer(struct cmp_txn *r, int type, X509 *cert, const char *serial, X509 **certOut,
			      STACK_OF(X509) * *caPubs)
{
	issued(r, cert, serial);
	if (type == OSSL_CMP_IR) {
		*caPubs = sk_X509_new_null();
		if (*caPubs && X509_up_ref(r->ca->cert) && !sk_X509_push(*caPubs, r->ca->cert))
			X509_free(r->ca->cert);
	}
	*certOut = cert;
	return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, NULL);
}

static OSSL_CMP_PKISI *issue(struct cmp_txn *r, int type, const struct wanted *w, X509 **certOut,
			     STACK_OF(X509) * *caPubs)
{
	struct ca_issue_req q = { .subject = w->subject,
				  .pubkey = w->pub,
				  .exts = w->exts,
				  .holder = w->holder,
				  .iccid = w->iccid[0] ? w->iccid : NULL,
				  .profile = w->profile,
				  .requested_by = r->ra_name,
				  .txid = r->tid_hex[0] ? r->tid_hex : NULL,
				  .not_after_max = w->not_after_max };
	struct ca_cert_row row;
	char err[256] = "";
	X509 *cert = NULL;
	int rc;

	if (!w->profile)
		return reject(OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "no certificate profile '%s'",
			      r->scan.profile[0] ? r->scan.profile : r->ca->cfg.default_profile);
	if (!w->pub)
		return reject(OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "the request has no public key");
	if (!w->subject)
		return reject(OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "the request has no subject");
	rc = ca_issue(r->ca, &q, &cert, &row, err, sizeof(err));
	if (rc == -EINVAL)
		return reject(OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "%s", err);
	if (rc)
		return reject(OSSL_CMP_PKIFAILUREINFO_systemFailure, "the CA cannot issue now");
	ca_ctr_inc(r->ca, CA_CTR_CERT_ISSUED);
	LOGP(DISSUE, LOGL_NOTICE, "issued %s: %s, holder %s, profile %s, by %s\n", row.serial, row.subject, row.holder,
	     row.profile, r->ra_name);
	return answer(r, type, cert, row.serial, certOut, caPubs);
}

static void copy_row(const struct ca_cert_row *row, void *priv)
{
	memcpy(priv, row, sizeof(*row));
}

/* A certificate request whose transactionID is recorded with a certificate of this CA (an RA that lost the answer
 * asks again, with the same transactionID): the same public key gets that certificate again, never a second one;
 * another key is refused (the transactionID is in use). \returns NULL: no certificate has this transactionID (issue
 * one); else the answer (accepted with *certOut, or a rejection) */
static OSSL_CMP_PKISI *repeated(struct cmp_txn *r, int type, const struct wanted *w, X509 **certOut,
				STACK_OF(X509) * *caPubs)
{
	struct ca_cert_row row, full;
	const unsigned char *p;
	X509 *cert;
	int rc;

	if (!r->tid_hex[0] || !w->pub)
		return NULL;
	rc = ca_db_certs_find(r->ca->db, CA_DB_BY_TXID, r->tid_hex, 1, copy_row, &row);
	if (rc == 0)
		return NULL;
	if (rc < 0 || !w->pub_sha256[0])
		return reject(OSSL_CMP_PKIFAILUREINFO_systemFailure, "the CA cannot issue now");
	if (strcmp(w->pub_sha256, row.pubkey_sha256))
		return reject_bits((1 << OSSL_CMP_PKIFAILUREINFO_badRequest) |
					   (1 << OSSL_CMP_PKIFAILUREINFO_transactionIdInUse),
				   "transaction %s is in use: certificate %s was issued in it for another key",
				   r->tid_hex, row.serial);
	if (row.revoked)
		return reject(OSSL_CMP_PKIFAILUREINFO_certRevoked,
			      "repeated transaction %s: its certificate %s is revoked", r->tid_hex, row.serial);
	if (ca_db_cert_get(r->ca->db, row.serial, r, &full))
		return reject(OSSL_CMP_PKIFAILUREINFO_systemFailure, "the CA cannot issue now");
	p = full.der;
	cert = d2i_X509(NULL, &p, (long)full.der_len);
	talloc_free(full.der);
	if (!cert)
		return reject(OSSL_CMP_PKIFAILUREINFO_systemFailure, "the CA cannot issue now");
	/* an earlier exchange of this transaction still waiting for its certConf is over: this one takes its place */
	talloc_free(pending_take(r->ca, r->tid, r->tid_len));
	ca_ctr_inc(r->ca, CA_CTR_CMP_REPEATED);
	LOGP(DCMP, LOGL_NOTICE, "repeated transaction %s: certificate %s sent again to %s\n", r->tid_hex, row.serial,
	     r->ra_name);
	return answer(r, type, cert, row.serial, certOut, caPubs);
}

static OSSL_CMP_PKISI *cert_request(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int certReqId,
				    const OSSL_CRMF_MSG *crm, const X509_REQ *p10cr, X509 **certOut,
				    STACK_OF(X509) * *chainOut, STACK_OF(X509) * *caPubs)
{
	struct cmp_txn *r = req_of(srv);
	int type = OSSL_CMP_MSG_get_bodytype(req);
	struct wanted w = { 0 };
	OSSL_CMP_PKISI *si = NULL;

	if (r->reject_bit >= 0)
		si = reject(r->reject_bit, "%s", r->reject_text);
	else if (certReqId != 0 && certReqId != -1)
		si = reject(OSSL_CMP_PKIFAILUREINFO_badRequest, "one certificate request per message");
	else if (r->scan.profile_bad)
		si = reject(OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "the certProfile ITAV is not one profile name");
	if (!si) {
		w.profile = ca_profile_find(r->ca, r->scan.profile[0] ? r->scan.profile : r->ca->cfg.default_profile);
		si = type == OSSL_CMP_P10CR ? read_p10(r, p10cr, &w) : read_crmf(r, type, crm, &w);
	}
	if (!si && w.pub && !w.pub_sha256[0] && ca_pubkey_sha256(w.pub, w.pub_sha256))
		si = reject(OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "the request's public key cannot be encoded");
	if (!si)
		si = compromised(r, &w);
	if (!si)
		si = repeated(r, type, &w, certOut, caPubs);
	if (!si && type == OSSL_CMP_KUR)
		si = kur_policy(r, &w);
	if (!si)
		si = issue(r, type, &w, certOut, caPubs);
	if (!*certOut)
		ca_ctr_inc(r->ca, CA_CTR_CMP_REJECTED);
	sk_X509_EXTENSION_pop_free(w.p10_exts, X509_EXTENSION_free);
	EVP_PKEY_free(w.pub);
	X509_free(w.oldx);
	ERR_clear_error();
	return si;
}

static OSSL_CMP_PKISI *rr(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, const X509_NAME *issuer,
			  const ASN1_INTEGER *serial)
{
	struct cmp_txn *r = req_of(srv);
	char s[CA_DB_SERIAL_HEX];
	OSSL_CMP_PKISI *si;
	int rc;

	if (r->reject_bit >= 0)
		si = reject(r->reject_bit, "%s", r->reject_text);
	else if (!issuer || X509_NAME_cmp(issuer, X509_get_subject_name(r->ca->cert)))
		si = reject(OSSL_CMP_PKIFAILUREINFO_badCertId, "rr: the certificate is not this CA's");
	else if (r->scan.rr_reason == -2 || r->scan.rr_reason == 7)
		si = reject(OSSL_CMP_PKIFAILUREINFO_badRequest, "rr: the reasonCode is not one this CA takes");
	else {
		serial_hex(serial, s);
		if (!s[0])
			rc = -ENOENT;
		else if (r->scan.rr_reason == 8)
			rc = ca_release(r->ca, s, r->ra_name);
		else
			rc = ca_revoke(r->ca, s, r->scan.rr_reason, r->ra_name);
		if (rc == -ENOENT)
			si = reject(OSSL_CMP_PKIFAILUREINFO_badCertId, "rr: no certificate %s of this CA", s);
		else if (rc == -EINVAL)
			si = reject(OSSL_CMP_PKIFAILUREINFO_badRequest,
				    "rr: removeFromCRL: certificate %s is not on hold", s);
		else if (rc == -EALREADY && r->scan.rr_reason == 6)
			si = reject(OSSL_CMP_PKIFAILUREINFO_certRevoked,
				    "rr: certificate %s is on hold or revoked already", s);
		else if (rc == -EALREADY)
			si = reject(OSSL_CMP_PKIFAILUREINFO_certRevoked, "rr: certificate %s is revoked already", s);
		else if (rc)
			si = reject(OSSL_CMP_PKIFAILUREINFO_systemFailure, "rr: the records cannot be written");
		else
			return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, NULL);
	}
	ca_ctr_inc(r->ca, CA_CTR_CMP_REJECTED);
	return si;
}

/* The PKIStatus of \a si (no accessor in OpenSSL 3.0): PKIStatusInfo ::= SEQUENCE { status INTEGER, ... }.
 * \returns it; -1 when unreadable */
static int pkisi_status(const OSSL_CMP_PKISI *si)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	ASN1_INTEGER *st = NULL;
	long len, v = -1;
	int n = i2d_OSSL_CMP_PKISI((OSSL_CMP_PKISI *)si, &der), tag, cls;

	p = der;
	if (n > 0 && !(ASN1_get_object(&p, &len, &tag, &cls, n) & 0x80) && tag == V_ASN1_SEQUENCE &&
	    (st = d2i_ASN1_INTEGER(NULL, &p, len)))
		v = ASN1_INTEGER_get(st);
	ASN1_INTEGER_free(st);
	OPENSSL_free(der);
	return (int)v;
}

static int cert_conf(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int certReqId, const ASN1_OCTET_STRING *hash,
		     const OSSL_CMP_PKISI *si)
{
	struct cmp_txn *r = req_of(srv);

	if (r->reject_bit >= 0) {
		LOGP(DCMP, LOGL_NOTICE, "certConf refused: %s\n", r->reject_text);
		ca_ctr_inc(r->ca, CA_CTR_CMP_REJECTED);
		return 0;
	}
	if (!r->issued) {
		LOGP(DCMP, LOGL_NOTICE, "certConf for no certificate awaiting one\n");
		return 0;
	}
	if (!hash || hash->length != 32 || CRYPTO_memcmp(hash->data, r->hash, 32)) {
		LOGP(DCMP, LOGL_NOTICE, "certConf for %s: its certHash is not the certificate's\n", r->serial);
		return 0;
	}
	r->issued = false;
	if (si && pkisi_status(si) == OSSL_CMP_PKISTATUS_rejection) {
		LOGP(DCMP, LOGL_NOTICE, "certificate %s refused by its requester: revoked\n", r->serial);
		ca_revoke(r->ca, r->serial, 5, "certConf");
	} else {
		LOGP(DCMP, LOGL_INFO, "certificate %s confirmed\n", r->serial);
	}
	return 1;
}

/* genm: id-it-caCerts (asked for, or an empty genm) is answered with the CA certificate; other types are left
 * out of the answer. */
static int genm(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, const STACK_OF(OSSL_CMP_ITAV) * in,
		STACK_OF(OSSL_CMP_ITAV) * *out)
{
	struct cmp_txn *r = req_of(srv);
	bool want = sk_OSSL_CMP_ITAV_num(in) <= 0;
	unsigned char *der = NULL, *w;
	ASN1_STRING *seq;
	ASN1_TYPE *v;
	OSSL_CMP_ITAV *itav;
	int n;

	if (r->reject_bit >= 0) {
		LOGP(DCMP, LOGL_NOTICE, "genm refused: %s\n", r->reject_text);
		ca_ctr_inc(r->ca, CA_CTR_CMP_REJECTED);
		return 0;
	}
	for (int i = 0; i < sk_OSSL_CMP_ITAV_num(in); i++)
		want |= OBJ_obj2nid(OSSL_CMP_ITAV_get0_type(sk_OSSL_CMP_ITAV_value(in, i))) == NID_id_it_caCerts;
	*out = sk_OSSL_CMP_ITAV_new_null();
	if (!*out)
		return 0;
	if (!want)
		return 1;
	/* caCerts: SEQUENCE SIZE (1..MAX) OF CMPCertificate */
	n = i2d_X509(r->ca->cert, NULL);
	der = OPENSSL_malloc((size_t)n + 8);
	seq = ASN1_STRING_new();
	v = ASN1_TYPE_new();
	if (n <= 0 || !der || !seq || !v)
		goto fail;
	w = der;
	ASN1_put_object(&w, 1, n, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	i2d_X509(r->ca->cert, &w);
	if (!ASN1_STRING_set(seq, der, (int)(w - der)))
		goto fail;
	ASN1_TYPE_set(v, V_ASN1_SEQUENCE, seq);
	seq = NULL;
	itav = OSSL_CMP_ITAV_create(OBJ_nid2obj(NID_id_it_caCerts), v);
	if (!itav)
		goto fail;
	v = NULL;
	if (!OSSL_CMP_ITAV_push0_stack_item(out, itav)) {
		OSSL_CMP_ITAV_free(itav);
		goto fail;
	}
	OPENSSL_free(der);
	return 1;
fail:
	OPENSSL_free(der);
	ASN1_STRING_free(seq);
	ASN1_TYPE_free(v);
	return 0;
}

static void error_msg(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, const OSSL_CMP_PKISI *si,
		      const ASN1_INTEGER *code, const OSSL_CMP_PKIFREETEXT *details)
{
	LOGP(DCMP, LOGL_NOTICE, "the client sent an error message%s\n",
	     req_of(srv)->reject_bit >= 0 ? " (not from a trusted RA)" : "");
}

static int poll_req(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int certReqId, OSSL_CMP_MSG **certReq,
		    int64_t *check_after)
{
	return 0; /* this CA answers at once: nothing is ever waiting */
}

static int log_cb(const char *func, const char *file, int line, OSSL_CMP_severity level, const char *msg)
{
	LOGP(DCMP, level <= OSSL_CMP_LOG_ERR ? LOGL_NOTICE : LOGL_DEBUG, "OpenSSL CMP: %s\n", msg);
	return 1;
}

/* Whether \a ra is a certificate of ours that was revoked (an RA of another CA is not in the records). */
static bool ra_revoked(struct ca *ca, X509 *ra)
{
	char serial[CA_DB_SERIAL_HEX];
	struct ca_cert_row row;

	if (X509_NAME_cmp(X509_get_issuer_name(ra), X509_get_subject_name(ca->cert)))
		return false;
	serial_hex(X509_get0_serialNumber(ra), serial);
	return serial[0] && !ca_db_cert_get(ca->db, serial, NULL, &row) && row.revoked;
}

/* Which trusted RA signed \a msg (its subject into r->ra_name); or why none did (r->reject_*). */
static void judge(struct ca *ca, const OSSL_CMP_MSG *msg, struct cmp_txn *r, X509 **ra)
{
	*ra = NULL;
	r->reject_bit = -1;
	if (!r->scan.protected_) {
		r->reject_bit = OSSL_CMP_PKIFAILUREINFO_badMessageCheck;
		r->reject_text = "the request is not protected: it must be signed by a trusted RA";
		return;
	}
	if (!r->scan.signature) {
		r->reject_bit = OSSL_CMP_PKIFAILUREINFO_notAuthorized;
		r->reject_text =
			"MAC-based protection (PBM) is not accepted: the request must be signed by a trusted RA";
		return;
	}
	for (int i = 0; !*ra && i < sk_X509_num(ca->ra_certs); i++) {
		X509 *c = sk_X509_value(ca->ra_certs, i);
		OSSL_CMP_CTX *v;

		if (X509_cmp_current_time(X509_get0_notBefore(c)) > 0 ||
		    X509_cmp_current_time(X509_get0_notAfter(c)) < 0)
			continue;
		v = OSSL_CMP_CTX_new(NULL, NULL);
		if (!v)
			break;
		OSSL_CMP_CTX_set_log_cb(v, log_cb);
		if (OSSL_CMP_CTX_set1_srvCert(v, c) && OSSL_CMP_validate_msg(v, msg) == 1)
			*ra = c;
		OSSL_CMP_CTX_free(v);
	}
	ERR_clear_error();
	if (!*ra) {
		r->reject_bit = OSSL_CMP_PKIFAILUREINFO_notAuthorized;
		r->reject_text = "the request is not signed by a trusted RA's certificate";
		return;
	}
	if (ra_revoked(ca, *ra)) {
		r->reject_bit = OSSL_CMP_PKIFAILUREINFO_notAuthorized;
		r->reject_text = "the RA's certificate is revoked";
		*ra = NULL;
		return;
	}
	X509_NAME_oneline(X509_get_subject_name(*ra), r->ra_name, sizeof(r->ra_name));
	if (r->scan.recipient && X509_NAME_entry_count(r->scan.recipient) &&
	    X509_NAME_cmp(r->scan.recipient, X509_get_subject_name(ca->cert))) {
		r->reject_bit = OSSL_CMP_PKIFAILUREINFO_wrongAuthority;
		r->reject_text = "the request is addressed to another CA (recipient)";
		*ra = NULL;
	}
}

/* A new transaction with its OSSL_CMP_SRV_CTX, a child of ca. */
static struct cmp_txn *txn_new(struct ca *ca, const ASN1_OCTET_STRING *tid)
{
	struct cmp_txn *t = talloc_zero(ca, struct cmp_txn);

	if (!t)
		return NULL;
	INIT_LLIST_HEAD(&t->list);
	talloc_set_destructor(t, txn_destructor);
	t->ca = ca;
	if (tid && tid->length > 0 && tid->length <= TID_MAX) {
		memcpy(t->tid, tid->data, (size_t)tid->length);
		t->tid_len = (size_t)tid->length;
		for (size_t i = 0; i < t->tid_len; i++)
			snprintf(t->tid_hex + 2 * i, 3, "%02x", t->tid[i]);
	}
	t->srv = OSSL_CMP_SRV_CTX_new(NULL, NULL);
	if (!t->srv || !OSSL_CMP_SRV_CTX_init(t->srv, t, cert_request, rr, genm, error_msg, cert_conf, poll_req) ||
	    !OSSL_CMP_CTX_set1_cert(OSSL_CMP_SRV_CTX_get0_cmp_ctx(t->srv), ca->cert) ||
	    !OSSL_CMP_CTX_set1_pkey(OSSL_CMP_SRV_CTX_get0_cmp_ctx(t->srv), ca->key) ||
	    !OSSL_CMP_SRV_CTX_set_grant_implicit_confirm(t->srv, 1)) {
		talloc_free(t);
		return NULL;
	}
	OSSL_CMP_CTX_set_log_cb(OSSL_CMP_SRV_CTX_get0_cmp_ctx(t->srv), log_cb);
	return t;
}

int ca_cmp_handle(struct ca *ca, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	const unsigned char *p = in;
	const ASN1_OCTET_STRING *tid;
	OSSL_CMP_MSG *msg, *rsp = NULL;
	struct ca_cmp_scan scan;
	struct cmp_txn *t = NULL;
	unsigned char *der = NULL;
	X509 *ra;
	int n, type, rc = -ENOMEM;

	ca_ctr_inc(ca, CA_CTR_CMP_REQUESTS);
	if (len > CA_CMP_BODY_MAX || len > LONG_MAX)
		return -EBADMSG;
	msg = d2i_OSSL_CMP_MSG(NULL, &p, (long)len);
	if (!msg || p != in + len || ca_cmp_scan(in, len, &scan)) {
		OSSL_CMP_MSG_free(msg);
		ERR_clear_error();
		ca_ctr_inc(ca, CA_CTR_CMP_REJECTED);
		LOGP(DCMP, LOGL_INFO, "a request that is not a PKIMessage (%zu bytes)\n", len);
		return -EBADMSG;
	}
	pending_expire(ca);
	tid = OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(msg));
	type = OSSL_CMP_MSG_get_bodytype(msg);
	if (type == BODY_CERTCONF || type == BODY_POLLREQ || type == BODY_ERROR)
		t = tid && tid->length > 0 ? pending_take(ca, tid->data, (size_t)tid->length) : NULL;
	if (!t)
		t = txn_new(ca, tid);
	if (!t) {
		ca_cmp_scan_free(&scan);
		goto out;
	}
	ca_cmp_scan_free(&t->scan);
	t->scan = scan;
	t->at = ca_now();
	judge(ca, msg, t, &ra);
	/* from a trusted RA: OpenSSL checks the protection again with its certificate; otherwise the framework lets
	 * the message through to the callbacks, which answer the rejection */
	if (!OSSL_CMP_CTX_set1_srvCert(OSSL_CMP_SRV_CTX_get0_cmp_ctx(t->srv), ra) ||
	    !OSSL_CMP_SRV_CTX_set_accept_raverified(t->srv, ra != NULL) ||
	    !OSSL_CMP_SRV_CTX_set_accept_unprotected(t->srv, ra == NULL))
		goto out;
	rsp = OSSL_CMP_SRV_process_request(t->srv, msg);
	rc = -EIO;
	if (!rsp)
		goto out;
	n = i2d_OSSL_CMP_MSG(rsp, &der);
	if (n <= 0)
		goto out;
	*out = der;
	*out_len = (size_t)n;
	rc = 0;
out:
	if (rc)
		LOGP(DCMP, LOGL_ERROR, "no CMP response could be made\n");
	if (t && t->issued && t->tid_len) {
		llist_add(&t->list, &ca->pending); /* newest first: pending_expire() drops the oldest */
	} else {
		talloc_free(t);
	}
	OSSL_CMP_MSG_free(rsp);
	OSSL_CMP_MSG_free(msg);
	ERR_clear_error();
	return rc;
}
