/* Issuing certificates (rules in ca_issue.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <osmocom/core/logging.h>

#include "ca_issue.h"

const struct ca_ku_name ca_ku_names[] = {
	{ "digital-signature", "digitalSignature", X509v3_KU_DIGITAL_SIGNATURE },
	{ "non-repudiation", "nonRepudiation", X509v3_KU_NON_REPUDIATION },
	{ "key-encipherment", "keyEncipherment", X509v3_KU_KEY_ENCIPHERMENT },
	{ "data-encipherment", "dataEncipherment", X509v3_KU_DATA_ENCIPHERMENT },
	{ "key-agreement", "keyAgreement", X509v3_KU_KEY_AGREEMENT },
	{ NULL, NULL, 0 },
};

static const int subject_nids[] = {
	NID_commonName,		 NID_serialNumber, NID_organizationName, NID_organizationalUnitName,
	NID_stateOrProvinceName, NID_localityName, NID_countryName,
};

static void hex(const uint8_t *b, size_t n, char *out, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < size; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * i] = 0;
}

/* Whether \a s (n bytes of UTF-8) has no control character. */
static bool printable(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

/* The subject the CA issues to, from the requested one (rules in ca_issue.h); the serialNumber into serial.
 * \returns the name; NULL with err */
static X509_NAME *subject_build(const X509_NAME *req, char *serial, size_t serial_size, char *err, size_t errlen)
{
	X509_NAME *n = X509_NAME_new();
	int count = X509_NAME_entry_count(req);

	serial[0] = 0;
	if (!n)
		return NULL;
	if (count <= 0) {
		snprintf(err, errlen, "the request's subject is empty");
		goto fail;
	}
	for (int i = 0; i < count; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(req, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		unsigned char *utf8 = NULL;
		bool allowed = false;
		int len;

		for (size_t k = 0; k < sizeof(subject_nids) / sizeof(subject_nids[0]); k++)
			allowed |= subject_nids[k] == nid;
		if (!allowed) {
			char oid[80];

			OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e), 0);
			snprintf(err, errlen,
				 "subject attribute %s is not accepted (only CN, serialNumber, O, OU, ST, L, C)", oid);
			goto fail;
		}
		len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
		if (len <= 0 || !printable(utf8, (size_t)len) ||
		    !X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8, utf8, len, -1, 0)) {
			snprintf(err, errlen, "subject attribute %s: not valid (UTF-8 text of its allowed length)",
				 OBJ_nid2sn(nid));
			OPENSSL_free(utf8);
			ERR_clear_error();
			goto fail;
		}
		if (nid == NID_serialNumber && !serial[0])
			snprintf(serial, serial_size, "%.*s", len, utf8);
		OPENSSL_free(utf8);
	}
	return n;
fail:
	X509_NAME_free(n);
	return NULL;
}

int ca_san_holder(const STACK_OF(X509_EXTENSION) * exts, char *buf, size_t size)
{
	GENERAL_NAMES *names = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	int found = 0;

	if (!names)
		return 0;
	for (int i = 0; !found && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const unsigned char *p, *end;
		char oid[32];
		long len;
		int tag, cls;

		if (g->type != GEN_OTHERNAME)
			continue;
		OBJ_obj2txt(oid, sizeof(oid), g->d.otherName->type_id, 1);
		if (strcmp(oid, CA_OID_PERMANENT_IDENTIFIER))
			continue;
		found = -EINVAL;
		if (!g->d.otherName->value || g->d.otherName->value->type != V_ASN1_SEQUENCE)
			break;
		p = g->d.otherName->value->value.sequence->data;
		end = p + g->d.otherName->value->value.sequence->length;
		/* SEQUENCE { identifierValue UTF8String OPTIONAL, assigner OBJECT IDENTIFIER OPTIONAL } */
		if (ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80 || tag != V_ASN1_SEQUENCE)
			break;
		if (ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80 || tag != V_ASN1_UTF8STRING ||
		    cls != V_ASN1_UNIVERSAL || len < 1 || len > CA_HOLDER_MAX || (size_t)len >= size ||
		    !printable(p, (size_t)len))
			break;
		memcpy(buf, p, (size_t)len);
		buf[len] = 0;
		found = 1;
	}
	GENERAL_NAMES_free(names);
	ERR_clear_error();
	return found;
}

/* subjectAltName: otherName permanentIdentifier { identifierValue holder } */
static int add_san(X509 *x, const char *holder)
{
	size_t n = strlen(holder);
	uint8_t der[CA_HOLDER_MAX + 8];
	GENERAL_NAMES *names = GENERAL_NAMES_new();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_TYPE *v = ASN1_TYPE_new();
	ASN1_STRING *seq = ASN1_STRING_new();
	ASN1_OBJECT *oid = OBJ_txt2obj(CA_OID_PERMANENT_IDENTIFIER, 1);
	int ok = 0;

	if (n > CA_HOLDER_MAX || !names || !g || !v || !seq || !oid)
		goto out;
	/* n <= 128: the lengths fit one or two octets */
	size_t inner = n < 128 ? 2 + n : 3 + n, k = 0;

	der[k++] = 0x30;
	if (inner >= 128)
		der[k++] = 0x81;
	der[k++] = (uint8_t)inner;
	der[k++] = 0x0c;
	if (n >= 128)
		der[k++] = 0x81;
	der[k++] = (uint8_t)n;
	memcpy(der + k, holder, n);
	k += n;
	if (!ASN1_STRING_set(seq, der, (int)k))
		goto out;
	ASN1_TYPE_set(v, V_ASN1_SEQUENCE, seq);
	seq = NULL;
	if (!GENERAL_NAME_set0_othername(g, oid, v))
		goto out;
	oid = NULL;
	v = NULL;
	if (!sk_GENERAL_NAME_push(names, g))
		goto out;
	g = NULL;
	ok = X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, 0) == 1;
out:
	ASN1_STRING_free(seq);
	ASN1_TYPE_free(v);
	ASN1_OBJECT_free(oid);
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(names);
	return ok ? 0 : -ENOMEM;
}

/* certificatePolicies: the profile's policy OIDs, no qualifiers. */
static int add_policies(X509 *x, const struct ca_profile *p)
{
	CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
	int ok = pols != NULL;

	for (unsigned i = 0; ok && i < p->n_policies; i++) {
		POLICYINFO *pi = POLICYINFO_new();

		ok = pi && (pi->policyid = OBJ_txt2obj(p->policies[i], 1)) && sk_POLICYINFO_push(pols, pi);
		if (!ok)
			POLICYINFO_free(pi);
	}
	ok = ok && X509_add1_ext_i2d(x, NID_certificate_policies, pols, 0, 0) == 1;
	sk_POLICYINFO_pop_free(pols, POLICYINFO_free);
	return ok ? 0 : -EINVAL;
}

static int add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, v3, nid, value);
	int ok = e && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok ? 0 : -EINVAL;
}

/* A unique random serial into x and hex. \returns 0; -EIO */
static int set_serial(struct ca *ca, X509 *x, char hexs[CA_DB_SERIAL_HEX])
{
	uint8_t b[16];
	BIGNUM *bn;
	int rc;

	for (int tries = 0; tries < 8; tries++) {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return -EIO;
		b[0] = (uint8_t)((b[0] & 0x7f) | 0x40);
		hex(b, sizeof(b), hexs, CA_DB_SERIAL_HEX);
		rc = ca_db_serial_exists(ca->db, hexs);
		if (rc < 0)
			return rc;
		if (rc)
			continue;
		bn = BN_bin2bn(b, sizeof(b), NULL);
		rc = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ? 0 : -ENOMEM;
		BN_free(bn);
		return rc;
	}
	return -EIO;
}

/* A certificate of subject \a name for \a pubkey, issued by the CA, valid \a days (at most to the CA's notAfter,
 * and to \a not_after_max when not 0), with serial, SKI, AKI and basicConstraints CA:FALSE. \returns the
 * certificate; NULL */
static X509 *base_cert(struct ca *ca, const X509_NAME *name, EVP_PKEY *pubkey, uint32_t days, int64_t not_after_max,
		       char *serial, X509V3_CTX *v3)
{
	X509 *x = X509_new();
	time_t now = time(NULL);

	if (!x || !X509_set_version(x, X509_VERSION_3) || set_serial(ca, x, serial) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) || !X509_set_subject_name(x, name) ||
	    !X509_set_pubkey(x, pubkey) || !X509_time_adj_ex(X509_getm_notBefore(x), 0, -60, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, &now))
		goto fail;
	if (not_after_max && (int64_t)now + (int64_t)days * 86400 > not_after_max &&
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after_max))
		goto fail;
	if (ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(ca->cert)) > 0 &&
	    !X509_set1_notAfter(x, X509_get0_notAfter(ca->cert)))
		goto fail;
	X509V3_set_ctx(v3, ca->cert, x, NULL, NULL, 0);
	if (add_ext(x, v3, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, v3, NID_subject_key_identifier, "hash") ||
	    add_ext(x, v3, NID_authority_key_identifier, "keyid:always"))
		goto fail;
	return x;
fail:
	X509_free(x);
	ERR_clear_error();
	return NULL;
}

static int sign_and_store(struct ca *ca, X509 *x, struct ca_cert_row *row)
{
	uint8_t *der = NULL;
	int len, rc;

	if (!X509_sign(x, ca->key, EVP_sha256())) {
		ERR_clear_error();
		return -EIO;
	}
	len = i2d_X509(x, &der);
	if (len <= 0)
		return -ENOMEM;
	ca_row_from_cert(x, row);
	row->der = der;
	row->der_len = (size_t)len;
	row->issued_at = ca_now();
	rc = ca_db_cert_add(ca->db, row);
	OPENSSL_free(der);
	row->der = NULL;
	row->der_len = 0;
	return rc;
}

int ca_pubkey_sha256(EVP_PKEY *pub, char out[65])
{
	uint8_t h[32], *spki = NULL;
	int n = pub ? i2d_PUBKEY(pub, &spki) : -1;
	int rc = -EINVAL;

	out[0] = 0;
	if (n > 0 && EVP_Digest(spki, (size_t)n, h, NULL, EVP_sha256(), NULL)) {
		hex(h, sizeof(h), out, 65);
		rc = 0;
	}
	OPENSSL_free(spki);
	ERR_clear_error();
	return rc;
}

void ca_row_from_cert(X509 *x, struct ca_cert_row *row)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	uint8_t b[CA_SERIAL_BYTES_MAX];
	BIO *bio = BIO_new(BIO_s_mem());
	struct tm tm;
	int n;

	row->serial[0] = 0;
	if (bn && (n = BN_bn2bin(bn, b)) <= CA_SERIAL_BYTES_MAX)
		hex(b, (size_t)n, row->serial, sizeof(row->serial));
	BN_free(bn);
	row->subject[0] = 0;
	if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_read(bio, row->subject, sizeof(row->subject) - 1);
		row->subject[n > 0 ? n : 0] = 0;
	}
	BIO_free(bio);
	row->key_id[0] = 0;
	if (ski)
		hex(ski->data, (size_t)ski->length, row->key_id, sizeof(row->key_id));
	ca_pubkey_sha256(X509_get0_pubkey(x), row->pubkey_sha256);
	row->not_before = ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) ? (int64_t)timegm(&tm) : 0;
	row->not_after = ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) ? (int64_t)timegm(&tm) : 0;
}

int ca_issue(struct ca *ca, const struct ca_issue_req *q, X509 **out, struct ca_cert_row *row, char *err, size_t errlen)
{
	char serial_attr[CA_HOLDER_MAX + 1], holder[CA_HOLDER_MAX + 1], url[512], ku[160];
	X509_NAME *name = NULL;
	X509V3_CTX v3;
	X509 *x = NULL;
	int rc;

	memset(row, 0, sizeof(*row));
	name = subject_build(q->subject, serial_attr, sizeof(serial_attr), err, errlen);
	if (!name)
		return -EINVAL;
	if (q->holder) {
		snprintf(holder, sizeof(holder), "%s", q->holder);
	} else {
		rc = q->exts ? ca_san_holder(q->exts, holder, sizeof(holder)) : 0;
		if (rc < 0) {
			snprintf(err, errlen, "the requested subjectAltName permanentIdentifier is malformed");
			goto out;
		}
		if (!rc)
			snprintf(holder, sizeof(holder), "%s", serial_attr);
	}
	rc = -EINVAL;
	if (!holder[0] || strlen(holder) > CA_HOLDER_MAX) {
		snprintf(err, errlen,
			 "no holder id: give it in the subject's serialNumber or a subjectAltName permanentIdentifier");
		goto out;
	}
	rc = -ENOMEM;
	x = base_cert(ca, name, q->pubkey, q->profile->validity_days, q->not_after_max, row->serial, &v3);
	if (!x)
		goto out;
	ku[0] = 0;
	snprintf(ku, sizeof(ku), "critical");
	for (const struct ca_ku_name *k = ca_ku_names; k->vty; k++) {
		if (q->profile->key_usage & k->bit) {
			strncat(ku, ",", sizeof(ku) - strlen(ku) - 1);
			strncat(ku, k->conf, sizeof(ku) - strlen(ku) - 1);
		}
	}
	rc = -EINVAL;
	if (add_ext(x, &v3, NID_key_usage, ku) || (q->profile->n_policies && add_policies(x, q->profile)) ||
	    add_san(x, holder)) {
		snprintf(err, errlen, "profile %s: its extensions cannot be made", q->profile->name);
		goto out;
	}
	snprintf(url, sizeof(url), "OCSP;URI:%s/ocsp,caIssuers;URI:%s/ca.crt", ca->cfg.base_url, ca->cfg.base_url);
	if (add_ext(x, &v3, NID_info_access, url))
		goto out;
	snprintf(url, sizeof(url), "URI:%s/crl/%s.crl", ca->cfg.base_url, ca->cfg.crl_name);
	if (add_ext(x, &v3, NID_crl_distribution_points, url))
		goto out;
	snprintf(row->holder, sizeof(row->holder), "%s", holder);
	snprintf(row->iccid, sizeof(row->iccid), "%s", q->iccid ? q->iccid : "");
	snprintf(row->profile, sizeof(row->profile), "%s", q->profile->name);
	snprintf(row->requested_by, sizeof(row->requested_by), "%s", q->requested_by);
	snprintf(row->txid, sizeof(row->txid), "%s", q->txid ? q->txid : "");
	rc = sign_and_store(ca, x, row);
	if (rc) {
		snprintf(err, errlen, "the certificate cannot be signed or stored");
		goto out;
	}
	*out = x;
	x = NULL;
out:
	if (rc == -EINVAL && !err[0])
		snprintf(err, errlen, "the certificate cannot be made");
	ERR_clear_error();
	X509_free(x);
	X509_NAME_free(name);
	return rc;
}

int ca_issue_service(struct ca *ca, enum ca_service kind, const X509_NAME *subject, EVP_PKEY *pubkey, uint32_t days,
		     X509 **out, char *err, size_t errlen)
{
	struct ca_cert_row row;
	X509V3_CTX v3;
	X509 *x;
	int rc;

	memset(&row, 0, sizeof(row));
	x = base_cert(ca, subject, pubkey, days, 0, row.serial, &v3);
	if (!x) {
		snprintf(err, errlen, "cannot make a certificate");
		return -ENOMEM;
	}
	if (add_ext(x, &v3, NID_key_usage, "critical,digitalSignature") ||
	    add_ext(x, &v3, NID_ext_key_usage, kind == CA_SERVICE_RA ? "1.3.6.1.5.5.7.3.28" : "OCSPSigning") ||
	    (kind == CA_SERVICE_OCSP && add_ext(x, &v3, NID_id_pkix_OCSP_noCheck, "ignored"))) {
		snprintf(err, errlen, "cannot make the certificate's extensions");
		X509_free(x);
		ERR_clear_error();
		return -EINVAL;
	}
	snprintf(row.holder, sizeof(row.holder), "%s", kind == CA_SERVICE_RA ? "ra" : "ocsp");
	snprintf(row.profile, sizeof(row.profile), "%s", kind == CA_SERVICE_RA ? "ra" : "ocsp-signer");
	snprintf(row.requested_by, sizeof(row.requested_by), "init");
	rc = sign_and_store(ca, x, &row);
	if (rc) {
		snprintf(err, errlen, "cannot sign or store the certificate");
		X509_free(x);
		return rc;
	}
	*out = x;
	return 0;
}

X509_NAME *ca_subject_parse(const char *s)
{
	X509_NAME *n = X509_NAME_new();
	char buf[1024], *type, *value, *w;

	if (!n || s[0] != '/')
		goto fail;
	s++;
	while (*s) {
		w = buf;
		type = buf;
		value = NULL;
		while (*s && *s != '/') {
			if (w - buf >= (long)sizeof(buf) - 2)
				goto fail;
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '=' && !value) {
				*w++ = 0;
				value = w;
				s++;
				continue;
			}
			*w++ = *s++;
		}
		*w = 0;
		if (*s == '/')
			s++;
		if (!value || !type[0] || !value[0] ||
		    !X509_NAME_add_entry_by_txt(n, type, MBSTRING_UTF8, (unsigned char *)value, -1, -1, 0))
			goto fail;
	}
	if (X509_NAME_entry_count(n) == 0)
		goto fail;
	return n;
fail:
	X509_NAME_free(n);
	ERR_clear_error();
	return NULL;
}
