/* simpki-ca's CRL publication and the status builders' view of the records (ca_publish.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "ca_publish.h"

void ca_status_signer(struct ca *ca, bool ocsp, struct ca_status_signer *s)
{
	memset(s, 0, sizeof(*s));
	s->ca = ca->cert;
	s->cert = ca->cert;
	s->key = ca->key;
	if (ocsp && ca->cfg.ocsp_delegated && ca->ocsp_cert && ca->ocsp_key) {
		s->cert = ca->ocsp_cert;
		s->key = ca->ocsp_key;
	}
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	out[2 * n] = 0;
}

int ca_status_lookup(const uint8_t *s, size_t len, struct ca_cert_state *st, void *priv)
{
	struct ca *ca = priv;
	struct ca_cert_row row;
	char hex[CA_DB_SERIAL_HEX];
	int rc;

	memset(st, 0, sizeof(*st));
	st->reason = -1;
	if (!len || len > CA_SERIAL_BYTES_MAX) {
		st->status = CA_CERT_UNKNOWN;
		return 0;
	}
	to_hex(s, len, hex);
	rc = ca_db_cert_get(ca->db, hex, NULL, &row);
	if (rc == -ENOENT) {
		st->status = CA_CERT_UNKNOWN;
		return 0;
	}
	if (rc)
		return -EIO;
	st->status = row.revoked ? CA_CERT_REVOKED : CA_CERT_GOOD;
	if (row.revoked) {
		st->revoked_at = row.revoked_at;
		st->reason = row.reason;
	}
	return 0;
}

struct each_ctx {
	int (*cb)(const struct ca_revoked *r, void *cb_priv);
	void *cb_priv;
};

static int each_row(const struct ca_cert_row *row, void *priv)
{
	struct each_ctx *e = priv;
	struct ca_revoked r = { .revoked_at = row->revoked_at, .reason = row->reason };
	size_t n = strlen(row->serial);

	if (n % 2 || n / 2 > CA_SERIAL_MAX)
		return 0; /* never written so */
	for (size_t i = 0; i < n / 2; i++)
		sscanf(row->serial + 2 * i, "%2hhx", &r.serial[i]);
	r.serial_len = n / 2;
	return e->cb(&r, e->cb_priv);
}

int ca_status_revoked_each(int (*cb)(const struct ca_revoked *r, void *cb_priv), void *cb_priv, void *priv)
{
	struct ca *ca = priv;
	struct each_ctx e = { cb, cb_priv };

	return ca_db_revoked_each(ca->db, ca_now(), each_row, &e);
}

char *ca_crl_path(void *ctx, struct ca *ca)
{
	char *dir = ca_path(ctx, ca->cfg.crl_dir), *p;

	p = talloc_asprintf(ctx, "%s/%s.crl", dir, ca->cfg.crl_name);
	talloc_free(dir);
	return p;
}

/* Write \a der to \a path atomically (PATH.tmp, fsync, rename). \returns 0; -errno */
static int write_atomic(const char *path, const uint8_t *der, size_t len)
{
	char tmp[4096];
	ssize_t w;
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644)) /* public, whatever the umask */
		rc = -errno;
	w = rc ? 0 : write(fd, der, len);
	if (!rc && (w != (ssize_t)len || fsync(fd)))
		rc = w < 0 ? -errno : -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int ca_crl_publish(struct ca *ca, char *err, size_t errlen)
{
	struct ca_status_signer s;
	struct ca_crl_params p = { 0 };
	uint8_t *der = NULL;
	size_t len = 0;
	char *path, url[512];
	int rc;

	if (ca_db_crl_number_next(ca->db, &p.number)) {
		snprintf(err, errlen, "cannot take the next CRL number from the records");
		return -EIO;
	}
	p.this_update = ca_now();
	p.next_update = p.this_update + (ca->cfg.crl_validity ? ca->cfg.crl_validity : 2 * ca->cfg.crl_interval);
	snprintf(url, sizeof(url), "%s/crl/%s.crl", ca->cfg.base_url, ca->cfg.crl_name);
	p.idp_url = url;
	ca_status_signer(ca, false, &s);
	rc = ca_crl_build(&s, &p, ca_status_revoked_each, ca, &der, &len);
	if (rc) {
		snprintf(err, errlen, "cannot build CRL %llu: %s", (unsigned long long)p.number, strerror(-rc));
		return rc;
	}
	path = ca_crl_path(NULL, ca);
	rc = path ? write_atomic(path, der, len) : -ENOMEM;
	if (rc)
		snprintf(err, errlen, "cannot write %s: %s", path ? path : "the CRL", strerror(-rc));
	else
		LOGP(DSTATUS, LOGL_NOTICE, "CRL %llu published: %s (%zu bytes)\n", (unsigned long long)p.number, path,
		     len);
	if (!rc)
		ca_ctr_inc(ca, CA_CTR_CRL_PUBLISHED);
	talloc_free(path);
	OPENSSL_free(der);
	return rc;
}
