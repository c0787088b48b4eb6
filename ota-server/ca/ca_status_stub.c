/* TEMPORARY stand-in for ota-server/ca/status/ (branch 'ocsp'), built only while status/meson.build does not exist:
 * delete this file when that branch is merged. It implements ca_status.h just enough for simpki-ca's own tests: a
 * real CRL v2 (cRLNumber, AKI, reasonCode per entry), GET-path decoding, and an OCSP answer that is always
 * internalError (the real responder comes with the merge). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "status/ca_status.h"

struct crl_build {
	X509_CRL *crl;
	int rc;
};

static int add_revoked(const struct ca_revoked *r, void *priv)
{
	struct crl_build *b = priv;
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *t = NULL;
	BIGNUM *bn = BN_bin2bn(r->serial, (int)r->serial_len, NULL);
	ASN1_ENUMERATED *reason = NULL;
	int ok = rev && bn && (serial = BN_to_ASN1_INTEGER(bn, NULL)) && X509_REVOKED_set_serialNumber(rev, serial) &&
		 (t = ASN1_TIME_set(NULL, (time_t)r->revoked_at)) && X509_REVOKED_set_revocationDate(rev, t);

	if (ok && r->reason >= 0)
		ok = (reason = ASN1_ENUMERATED_new()) && ASN1_ENUMERATED_set(reason, r->reason) &&
		     X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) == 1;
	if (ok)
		ok = X509_CRL_add0_revoked(b->crl, rev);
	if (!ok) {
		X509_REVOKED_free(rev);
		b->rc = -ENOMEM;
	}
	ASN1_ENUMERATED_free(reason);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return ok ? 0 : -ENOMEM;
}

int ca_crl_build(const struct ca_status_signer *s, const struct ca_crl_params *p, ca_revoked_each_fn each, void *priv,
		 uint8_t **der, size_t *len)
{
	struct crl_build b = { .crl = X509_CRL_new() };
	ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)p->this_update), *t2 = ASN1_TIME_set(NULL, (time_t)p->next_update);
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	X509V3_CTX v3;
	X509_EXTENSION *aki;
	unsigned char *out = NULL;
	int rc = -ENOMEM, n;

	if (p->next_update <= p->this_update)
		rc = -EINVAL;
	else if (b.crl && t1 && t2 && num && X509_CRL_set_version(b.crl, X509_CRL_VERSION_2) &&
		 X509_CRL_set_issuer_name(b.crl, X509_get_subject_name(s->ca)) && X509_CRL_set1_lastUpdate(b.crl, t1) &&
		 X509_CRL_set1_nextUpdate(b.crl, t2) && ASN1_INTEGER_set_uint64(num, p->number) &&
		 X509_CRL_add1_ext_i2d(b.crl, NID_crl_number, num, 0, 0) == 1) {
		X509V3_set_ctx(&v3, s->ca, NULL, NULL, b.crl, 0);
		aki = X509V3_EXT_nconf_nid(NULL, &v3, NID_authority_key_identifier, "keyid:always");
		rc = aki && X509_CRL_add_ext(b.crl, aki, -1) ? 0 : -ENOMEM;
		X509_EXTENSION_free(aki);
		if (!rc) {
			rc = each(add_revoked, &b, priv);
			if (rc > 0 || (!rc && b.rc))
				rc = b.rc ? b.rc : -EIO;
		}
		if (!rc && (!X509_CRL_sort(b.crl) || !X509_CRL_sign(b.crl, s->key, s->md ? s->md : EVP_sha256())))
			rc = -ENOMEM;
		if (!rc) {
			n = i2d_X509_CRL(b.crl, &out);
			rc = n > 0 ? 0 : -ENOMEM;
			if (!rc) {
				*der = out;
				*len = (size_t)n;
			}
		}
	}
	X509_CRL_free(b.crl);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	ASN1_INTEGER_free(num);
	ERR_clear_error();
	return rc;
}

int ca_ocsp_get_decode(const char *path, uint8_t **der, size_t *len)
{
	char buf[CA_OCSP_REQ_MAX * 2];
	size_t n = 0;
	int out;

	for (const char *p = path; *p; p++) {
		int c = (unsigned char)*p;

		if (c == '%' && p[1] && p[2]) {
			char h[3] = { p[1], p[2], 0 };

			c = (int)strtol(h, NULL, 16);
			p += 2;
		}
		if (n + 1 >= sizeof(buf))
			return -EINVAL;
		buf[n++] = (char)c;
	}
	if (!n || n % 4)
		return -EINVAL;
	*der = OPENSSL_malloc(n);
	if (!*der)
		return -ENOMEM;
	out = EVP_DecodeBlock(*der, (unsigned char *)buf, (int)n);
	if (out < 0) {
		OPENSSL_free(*der);
		return -EINVAL;
	}
	for (size_t i = n; i > 0 && buf[i - 1] == '='; i--)
		out--;
	*len = (size_t)out;
	if (*len > CA_OCSP_REQ_MAX) {
		OPENSSL_free(*der);
		return -EINVAL;
	}
	return 0;
}

struct ca_ocsp_cache {
	unsigned max;
};

struct ca_ocsp_cache *ca_ocsp_cache_new(unsigned max_entries)
{
	struct ca_ocsp_cache *c = OPENSSL_zalloc(sizeof(*c));

	if (c)
		c->max = max_entries;
	return c;
}

void ca_ocsp_cache_free(struct ca_ocsp_cache *c)
{
	OPENSSL_free(c);
}

void ca_ocsp_cache_forget(struct ca_ocsp_cache *c, const uint8_t *s, size_t len)
{
}

int ca_ocsp_answer(const struct ca_status_signer *s, const struct ca_ocsp_params *p, const uint8_t *req, size_t len,
		   ca_status_lookup_fn lookup, void *priv, uint8_t **der, size_t *out_len)
{
	OCSP_RESPONSE *r = OCSP_response_create(OCSP_RESPONSE_STATUS_INTERNALERROR, NULL);
	unsigned char *out = NULL;
	int n = r ? i2d_OCSP_RESPONSE(r, &out) : -1;

	OCSP_RESPONSE_free(r);
	if (n <= 0)
		return -ENOMEM;
	*der = out;
	*out_len = (size_t)n;
	return 0;
}
