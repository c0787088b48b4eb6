/* What simpki-otad reads from a certificate it keeps (certificates table, otad_db.h): its serial number and end of
 * validity, and its PEM form for the API. Pure functions over DER (at most OTAD_CERT_DER_MAX bytes). */
#pragma once
#include <stddef.h>
#include <stdint.h>

/*! The serial number as lower-case hex (41 bytes: at most 20 octets, RFC 5280) and notAfter (Unix s) of the
 *  certificate \a der. \returns 0; -EINVAL (not one DER certificate, or a serial longer than 20 octets) */
int cert_info(const uint8_t *der, size_t len, char serial[41], int64_t *not_after);
/*! The PEM form of \a der ("-----BEGIN CERTIFICATE-----", base64 in lines of 64, "-----END ..."), malloc'd.
 *  \returns it; NULL (too large, or out of memory) */
char *cert_pem(const uint8_t *der, size_t len);
