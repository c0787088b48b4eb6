/* status-files: ca/status's CRL and OCSP answers as files, for the outside check with the openssl command line
 * (openssl-status.sh). A throwaway CA (tests/support/ca-fixture.h) whose records are: serial 0x0123 good, 0x4567
 * revoked (keyCompromise, 2023-11-14 22:13:20 UTC), 0x33 revoked (certificateHold), anything else never issued.
 * Usage:
 *   status-files init DIR              ca.pem ca.key signer.pem signer.key leaf-good.pem leaf-revoked.pem in DIR
 *   status-files crl DIR               DIR/crl.pem, signed by the CA
 *   status-files ocsp DIR REQ RESP [ca]   answer the DER request REQ into RESP (the delegated signer; "ca": the CA)
 * Exits 0, or 1 with a message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "ca_status.h"
#include "ca-fixture.h"

#define REVOKED_AT 1700000000

static int fail(const char *what)
{
	fprintf(stderr, "status-files: %s\n", what);
	return 1;
}

static int write_pem(const char *dir, const char *name, X509 *x, EVP_PKEY *k)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	return fclose(f) || !ok ? -EIO : 0;
}

static void *read_pem(const char *dir, const char *name, bool key)
{
	char path[4096];
	void *v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	v = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL) : (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return v;
}

static int lookup(const uint8_t *s, size_t len, struct ca_cert_state *st, void *priv)
{
	*st = (struct ca_cert_state){ .status = CA_CERT_UNKNOWN, .reason = -1 };
	if (len == 2 && s[0] == 0x01 && s[1] == 0x23)
		st->status = CA_CERT_GOOD;
	else if (len == 2 && s[0] == 0x45 && s[1] == 0x67)
		*st = (struct ca_cert_state){ CA_CERT_REVOKED, REVOKED_AT, 1 };
	else if (len == 1 && s[0] == 0x33)
		*st = (struct ca_cert_state){ CA_CERT_REVOKED, REVOKED_AT, 6 };
	return 0;
}

static int each(int (*cb)(const struct ca_revoked *r, void *cb_priv), void *cb_priv, void *priv)
{
	static const struct ca_revoked revoked[] = { { { 0x45, 0x67 }, 2, REVOKED_AT, 1 },
						     { { 0x33 }, 1, REVOKED_AT, 6 } };
	int rc = 0;

	for (size_t i = 0; i < 2 && !rc; i++)
		rc = cb(&revoked[i], cb_priv);
	return rc;
}

static int init(const char *dir)
{
	struct ca_fixture f;
	int rc;

	ca_fixture_make(&f, false, "simpki test CA");
	rc = write_pem(dir, "ca.pem", f.ca, NULL) || write_pem(dir, "ca.key", NULL, f.ca_key) ||
	     write_pem(dir, "signer.pem", f.signer, NULL) || write_pem(dir, "signer.key", NULL, f.signer_key) ||
	     write_pem(dir, "leaf-good.pem", f.leaf[0], NULL) || write_pem(dir, "leaf-revoked.pem", f.leaf[1], NULL);
	ca_fixture_free(&f);
	return rc ? fail("cannot write the CA's files") : 0;
}

static int write_file(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(b, 1, n, f) == n;

	return (f && fclose(f)) || !ok ? -EIO : 0;
}

static int crl(const struct ca_status_signer *s, const char *dir)
{
	int64_t now = time(NULL);
	struct ca_crl_params p = { 7, now, now + 86400, "http://ca.example/crl/test.crl" };
	char path[4096];
	uint8_t *der;
	size_t len;
	const uint8_t *q;
	X509_CRL *c;
	FILE *f;
	int ok;

	if (ca_crl_build(s, &p, each, NULL, &der, &len))
		return fail("ca_crl_build failed");
	q = der;
	c = d2i_X509_CRL(NULL, &q, (long)len);
	snprintf(path, sizeof(path), "%s/crl.pem", dir);
	f = fopen(path, "w");
	ok = c && f && PEM_write_X509_CRL(f, c);
	if (f && fclose(f))
		ok = 0;
	X509_CRL_free(c);
	OPENSSL_free(der);
	return ok ? 0 : fail("cannot write crl.pem");
}

static int ocsp(const struct ca_status_signer *s, const char *req_path, const char *resp_path)
{
	struct ca_ocsp_params p = { .now = time(NULL) };
	uint8_t req[CA_OCSP_REQ_MAX + 1], *der;
	size_t len, n;
	FILE *f = fopen(req_path, "rb");

	if (!f)
		return fail("cannot read the request");
	n = fread(req, 1, sizeof(req), f);
	fclose(f);
	if (ca_ocsp_answer(s, &p, req, n, lookup, NULL, &der, &len))
		return fail("ca_ocsp_answer failed");
	n = write_file(resp_path, der, len);
	OPENSSL_free(der);
	return n ? fail("cannot write the response") : 0;
}

int main(int argc, char **argv)
{
	struct ca_status_signer s = { 0 };
	int rc;

	if (argc == 3 && !strcmp(argv[1], "init"))
		return init(argv[2]);
	if (!(argc == 3 && !strcmp(argv[1], "crl")) &&
	    !(argc >= 5 && argc <= 6 && !strcmp(argv[1], "ocsp") && (argc == 5 || !strcmp(argv[5], "ca")))) {
		fprintf(stderr, "usage: status-files init DIR | crl DIR | ocsp DIR REQ RESP [ca]\n");
		return 2;
	}
	s.ca = read_pem(argv[2], "ca.pem", false);
	if (argc == 5) {
		s.cert = read_pem(argv[2], "signer.pem", false);
		s.key = read_pem(argv[2], "signer.key", true);
	} else {
		s.cert = read_pem(argv[2], "ca.pem", false);
		s.key = read_pem(argv[2], "ca.key", true);
	}
	if (!s.ca || !s.cert || !s.key)
		return fail("cannot read the CA's files (run init first)");
	if (!strcmp(argv[1], "crl")) {
		X509_free(s.cert);
		EVP_PKEY_free(s.key);
		s.cert = s.ca;
		s.key = read_pem(argv[2], "ca.key", true);
		rc = crl(&s, argv[2]);
		X509_free(s.ca);
	} else {
		rc = ocsp(&s, argv[3], argv[4]);
		X509_free(s.ca);
		X509_free(s.cert);
	}
	EVP_PKEY_free(s.key);
	return rc;
}
