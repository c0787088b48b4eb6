/* TLS for simpki-otad's operator API (otad_tls.h): the PEM files are read here, checked with OpenSSL so that a
 * wrong file is named at start (not a bare "libmicrohttpd refused it"), and handed to libmicrohttpd (GnuTLS) in
 * memory. libmicrohttpd 0.9.75 parses them once, in MHD_start_daemon(), into its GnuTLS credentials and keeps no
 * use for the buffers afterwards, so the caller wipes the key right after the start. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <osmocom/core/talloc.h>

#include "otad.h"
#include "otad_tls.h"

#define CERT_MAX (1u << 20) /* a certificate chain: 1 MiB */
#define KEY_MAX (64u << 10) /* a private key: 64 KiB (RSA-16384 is ~13 KiB in PEM) */

bool otad_tls_loopback(const struct in_addr *a)
{
	return (ntohl(a->s_addr) >> 24) == 127;
}

/* The file at \a path, NUL-terminated, in *out (talloc on ctx). A secret one must be for its owner only. */
static int read_pem(void *ctx, const char *what, const char *path, bool secret, size_t max, char **out, size_t *len,
		    char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a regular file", what, path);
		close(fd);
		return -EINVAL;
	}
	if (secret && (st.st_mode & 077)) {
		snprintf(err, errlen, "%s %s may be read by others (mode %04o): chmod 600 it", what, path,
			 (unsigned)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	if ((size_t)st.st_size > max) {
		snprintf(err, errlen, "%s %s: larger than %zu bytes", what, path, max);
		close(fd);
		return -EFBIG;
	}
	buf = talloc_size(ctx, (size_t)st.st_size + 1);
	while (buf && n < (size_t)st.st_size && (r = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (!buf || n != (size_t)st.st_size || memchr(buf, 0, n)) {
		snprintf(err, errlen, "%s %s: cannot read it, or not PEM", what, path);
		if (buf)
			OPENSSL_cleanse(buf, n);
		talloc_free(buf);
		return -EINVAL;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
	return -1; /* an encrypted key cannot be opened without a person at start */
}

/* The certificate and key parse, and the key is the certificate's. */
static int check_pair(const struct otad_tls_pem *pem, const char *cert_path, const char *key_path, char *err,
		      size_t errlen)
{
	BIO *b = BIO_new_mem_buf(pem->cert, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = NULL;
	int rc = 0;

	BIO_free(b);
	b = BIO_new_mem_buf(pem->key, (int)pem->key_len);
	k = b ? PEM_read_bio_PrivateKey(b, NULL, no_password, NULL) : NULL;
	BIO_free(b);
	if (!x) {
		snprintf(err, errlen, "TLS certificate %s: no PEM certificate in it", cert_path);
		rc = -EINVAL;
	} else if (!k) {
		snprintf(err, errlen, "TLS key %s: no unencrypted PEM private key in it", key_path);
		rc = -EINVAL;
	} else if (X509_check_private_key(x, k) != 1) {
		snprintf(err, errlen, "TLS key %s is not the key of the certificate %s", key_path, cert_path);
		rc = -EINVAL;
	}
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

const struct otad_tls_cmds otad_tls_cmds_api = { .bind = "api bind", .tls = "api tls" };

int otad_tls_setup(void *ctx, const struct in_addr *addr, const char *cert_path, const char *key_path,
		   struct otad_tls_pem *pem, char *err, size_t errlen)
{
	return otad_tls_setup_cmds(ctx, &otad_tls_cmds_api, addr, cert_path, key_path, pem, err, errlen);
}

int otad_tls_setup_cmds(void *ctx, const struct otad_tls_cmds *cmds, const struct in_addr *addr, const char *cert_path,
			const char *key_path, struct otad_tls_pem *pem, char *err, size_t errlen)
{
	char ip[INET_ADDRSTRLEN] = "?";
	size_t cert_len;
	void *tmp;
	int rc;

	memset(pem, 0, sizeof(*pem));
	if (!cert_path && !key_path) {
		if (otad_tls_loopback(addr))
			return 0;
		inet_ntop(AF_INET, addr, ip, sizeof(ip));
		snprintf(err, errlen,
			 "'%s %s' is beyond loopback, where plain HTTP would carry bearer tokens in clear: set "
			 "'%s certificate PATH' and '%s key PATH', or bind the API to 127.0.0.1",
			 cmds->bind, ip, cmds->tls, cmds->tls);
		return -EINVAL;
	}
	if (!cert_path || !key_path) {
		snprintf(err, errlen, "'%s certificate' and '%s key' go together: set both", cmds->tls, cmds->tls);
		return -EINVAL;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "TLS is configured, but this libmicrohttpd is built without TLS (GnuTLS)");
		return -ENOTSUP;
	}
	tmp = talloc_named_const(ctx, 0, "api tls paths");
	cert_path = otad_path(tmp, cert_path);
	key_path = otad_path(tmp, key_path);
	rc = read_pem(ctx, "TLS certificate", cert_path, false, CERT_MAX, &pem->cert, &cert_len, err, errlen);
	if (!rc)
		rc = read_pem(ctx, "TLS key", key_path, true, KEY_MAX, &pem->key, &pem->key_len, err, errlen);
	if (!rc)
		rc = check_pair(pem, cert_path, key_path, err, errlen);
	if (rc)
		otad_tls_pem_free(pem);
	talloc_free(tmp);
	return rc;
}

int otad_tls_trust(void *ctx, struct otad_tls_pem *pem, const char *what, const char *path, char *err, size_t errlen)
{
	void *tmp;
	size_t len;
	BIO *b;
	X509 *x;
	int rc;

	if (!pem->cert) {
		snprintf(err, errlen, "%s %s: client certificates need TLS: set the certificate and key too", what,
			 path);
		return -EINVAL;
	}
	tmp = talloc_named_const(ctx, 0, "tls trust path");
	path = otad_path(tmp, path);
	rc = read_pem(ctx, what, path, false, CERT_MAX, &pem->trust, &len, err, errlen);
	if (!rc) {
		b = BIO_new_mem_buf(pem->trust, (int)len);
		x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		if (!x) {
			snprintf(err, errlen, "%s %s: no PEM certificate in it", what, path);
			TALLOC_FREE(pem->trust);
			rc = -EINVAL;
		}
		X509_free(x);
		BIO_free(b);
		ERR_clear_error();
	}
	talloc_free(tmp);
	return rc;
}

void otad_tls_pem_free(struct otad_tls_pem *pem)
{
	if (pem->key)
		OPENSSL_cleanse(pem->key, pem->key_len);
	talloc_free(pem->key);
	talloc_free(pem->cert);
	talloc_free(pem->trust);
	memset(pem, 0, sizeof(*pem));
}
