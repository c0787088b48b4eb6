/* simpki-ca's core set up for tests and fuzzers without the daemon: g_ca with the fixed test PKI
 * (ca_fixture_pki.h), the profiles 'signing' (digitalSignature, nonRepudiation, policy 1.3.6.1.4.1.99999.1) and
 * 'authentication' (digitalSignature), the RA trusted, its records in a new temporary directory, logging set up
 * (quiet unless \a verbose). The caller removes the directory (ca_fixture_free()). */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "ca.h"
#include "ca_fixture_pki.h"

struct ca_fixture {
	char dir[64];
	struct ca *ca;
	X509 *ra_cert;
	EVP_PKEY *ra_key;
};

static inline X509 *ca_fixture_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

static inline EVP_PKEY *ca_fixture_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return k;
}

/*! \returns 0; -1 (a message on stderr) */
static inline int ca_fixture_init(struct ca_fixture *f, void *ctx, bool verbose)
{
	struct ca_profile *p;
	char err[256], path[96];

	memset(f, 0, sizeof(*f));
	osmo_init_logging2(ctx, &ca_log_info);
	if (!verbose) {
		log_target_destroy(osmo_stderr_target);
		osmo_stderr_target = NULL;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/simpki-ca-fx.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(f->dir)) {
		perror("mkdtemp");
		return -1;
	}
	g_ca = f->ca = ca_alloc(ctx);
	p = ca_profile_get(f->ca, "signing");
	p->key_usage = X509v3_KU_DIGITAL_SIGNATURE | X509v3_KU_NON_REPUDIATION;
	p->policies[p->n_policies++] = talloc_strdup(p, "1.3.6.1.4.1.99999.1");
	p = ca_profile_get(f->ca, "authentication");
	p->key_usage = X509v3_KU_DIGITAL_SIGNATURE;
	p->validity_days = 365;
	f->ca->cert = ca_fixture_cert(ca_fixture_ca_pem);
	f->ca->key = ca_fixture_key(ca_fixture_ca_key);
	f->ra_cert = ca_fixture_cert(ca_fixture_ra_pem);
	f->ra_key = ca_fixture_key(ca_fixture_ra_key);
	f->ca->ra_certs = sk_X509_new_null();
	if (!f->ca->cert || !f->ca->key || !f->ra_cert || !f->ra_key || !f->ca->ra_certs || !X509_up_ref(f->ra_cert) ||
	    !sk_X509_push(f->ca->ra_certs, f->ra_cert)) {
		fprintf(stderr, "ca_fixture: the test PKI does not load\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/ca.db", f->dir);
	if (ca_db_open(f->ca, path, &f->ca->db, err, sizeof(err))) {
		fprintf(stderr, "ca_fixture: %s\n", err);
		return -1;
	}
	f->ca->cfg.crl_dir = talloc_strdup(f->ca, f->dir);
	return 0;
}

static inline void ca_fixture_free(struct ca_fixture *f)
{
	char cmd[128];

	if (f->ca) {
		ca_db_close(f->ca->db);
		X509_free(f->ca->cert);
		EVP_PKEY_free(f->ca->key);
		sk_X509_pop_free(f->ca->ra_certs, X509_free);
		talloc_free(f->ca);
	}
	X509_free(f->ra_cert);
	EVP_PKEY_free(f->ra_key);
	g_ca = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (f->dir[0] && system(cmd))
		fprintf(stderr, "ca_fixture: cannot remove %s\n", f->dir);
}
