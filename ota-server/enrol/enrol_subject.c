/* The subject Name an enrolment sends to the SIM (enrol.h): the holder's attributes, UTF-8 kept intact. */
#include <errno.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "enrol.h"

static int add(X509_NAME *n, int nid, int type, const char *v)
{
	if (!v || !*v)
		return 0;
	return X509_NAME_add_entry_by_NID(n, nid, type, (const unsigned char *)v, -1, -1, 0) ? 0 : -EINVAL;
}

int enrol_subject_der(const struct enrol_subject *s, uint8_t *out, size_t max)
{
	X509_NAME *n;
	uint8_t *der = NULL;
	int len, rc;

	if (!s->cn || !*s->cn)
		return -EINVAL;
	n = X509_NAME_new();
	if (!n)
		return -ENOMEM;
	/* C and serialNumber as OpenSSL's string table says (PrintableString, C two letters); the names UTF8String */
	rc = add(n, NID_countryName, MBSTRING_ASC, s->c);
	if (!rc)
		rc = add(n, NID_stateOrProvinceName, MBSTRING_UTF8, s->st);
	if (!rc)
		rc = add(n, NID_organizationName, MBSTRING_UTF8, s->o);
	if (!rc)
		rc = add(n, NID_organizationalUnitName, MBSTRING_UTF8, s->ou);
	if (!rc)
		rc = add(n, NID_commonName, MBSTRING_UTF8, s->cn);
	if (!rc)
		rc = add(n, NID_serialNumber, MBSTRING_ASC, s->serial_number);
	if (!rc) {
		len = i2d_X509_NAME(n, &der);
		if (len <= 0)
			rc = -EINVAL;
		else if ((size_t)len > max)
			rc = -E2BIG;
		else
			memcpy(out, der, (size_t)len), rc = len;
	}
	OPENSSL_free(der);
	X509_NAME_free(n);
	return rc;
}
