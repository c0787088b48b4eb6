/* Serial, end of validity and PEM of a certificate (cert_info.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert_info.h"
#include "otad_db.h"

int cert_info(const uint8_t *der, size_t len, char serial[41], int64_t *not_after)
{
	const uint8_t *p = der;
	X509 *x = len && len <= OTAD_CERT_DER_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	struct tm tm;
	int rc = -EINVAL;

	if (!x || p != der + len)
		goto out;
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	if (!hex || strlen(hex) > 40 || !ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		goto out;
	for (char *c = hex; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
	snprintf(serial, 41, "%s", hex[0] == '0' && hex[1] ? hex + 1 : hex);
	*not_after = (int64_t)timegm(&tm);
	rc = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

char *cert_pem(const uint8_t *der, size_t len)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----\n", end[] = "-----END CERTIFICATE-----\n";
	size_t b64 = (len + 2) / 3 * 4, size = sizeof(begin) + b64 + b64 / 64 + 2 + sizeof(end);
	char *out, *o;

	if (len > OTAD_CERT_DER_MAX)
		return NULL;
	out = o = malloc(size);
	if (!out)
		return NULL;
	o += snprintf(o, size, "%s", begin);
	for (size_t i = 0; i < len; i += 48) {
		size_t n = len - i < 48 ? len - i : 48;

		o += EVP_EncodeBlock((unsigned char *)o, der + i, (int)n);
		*o++ = '\n';
	}
	snprintf(o, size - (size_t)(o - out), "%s", end);
	return out;
}
