/* simpki-ca's revocation status: the CRL written to crl-dir (DER, <crl-name>.crl, replaced atomically: written to a
 * temporary file in the same directory, fsync'ed, renamed), and the callbacks through which the status builders
 * (status/ca_status.h) read the records. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ca.h"
#include "status/ca_status.h"

/*! The CA as CRL signer (\a ocsp false) or the configured OCSP signer (the delegated one, or the CA). */
void ca_status_signer(struct ca *ca, bool ocsp, struct ca_status_signer *s);

/*! Build a CRL with the next cRLNumber and write it to <crl-dir>/<crl-name>.crl. \returns 0; -EIO; -ENOMEM
 *  (why in err) */
int ca_crl_publish(struct ca *ca, char *err, size_t errlen);

/*! The path of the published CRL (talloc string on ctx). */
char *ca_crl_path(void *ctx, struct ca *ca);

/* ca_status.h's callbacks over ca_db.h; priv is the struct ca. */
int ca_status_lookup(const uint8_t *s, size_t len, struct ca_cert_state *st, void *priv);
int ca_status_revoked_each(int (*cb)(const struct ca_revoked *r, void *cb_priv), void *cb_priv, void *priv);
