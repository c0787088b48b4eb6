/* simpki-ca's set-up commands, run once before the daemon (docs/ca.md, Setting up):
 *   init --dir DIR --subject SUBJECT [--alg p256|rsa3072] [--days N] [--parent-request] [--passphrase-file F]
 *     makes DIR/ca.key (PKCS#8 PEM, AES-256-CBC under the passphrase), DIR/ca.pem (self-signed; with
 *     --parent-request DIR/ca.csr instead, for a parent CA), the RA's certificate and key for simpki-otad
 *     (DIR/ra.pem, DIR/ra.key: unencrypted P-256, mode 0600, EKU id-kp-cmcRA), the delegated OCSP signer
 *     (DIR/ocsp.pem, DIR/ocsp.key: id-kp-OCSPSigning, id-pkix-ocsp-nocheck), the records DIR/ca.db, DIR/crl/ and a
 *     configuration DIR/simpki-ca.cfg (mode 0600: it holds the VTY's enable password) that runs as is. It never
 *     overwrites a file: an existing DIR/ca.pem, ca.key or ca.csr refuses the whole command.
 *   install-cert --dir DIR --cert FILE [--passphrase-file F]
 *     after --parent-request: the parent's certificate for DIR/ca.key becomes DIR/ca.pem, and the RA and OCSP
 *     certificates are made.
 * Exit codes: 0 done, 1 refused or failed (the message says why), 2 usage. */
#pragma once

int ca_init_main(int argc, char **argv);
int ca_install_cert_main(int argc, char **argv);
