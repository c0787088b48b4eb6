/* The audit key (audit_key.h), on OpenSSL 3: ECDSA P-256 with SHA-256, PEM files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "audit_key.h"

#define KEY_FILE_MAX 4096

static bool is_p256(EVP_PKEY *k)
{
	char group[32];

	return k && EVP_PKEY_is_a(k, "EC") &&
	       EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) == 1 &&
	       !strcmp(group, "prime256v1");
}

static int create_key(const char *path, EVP_PKEY **out, char *err, size_t errlen)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long n = 0;
	int fd = -1, rc = 0;

	if (!k || !b || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) ||
	    (n = BIO_get_mem_data(b, &pem)) <= 0) {
		snprintf(err, errlen, "cannot make a new audit key");
		rc = -EIO;
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create the audit key file %s: %s", path, strerror(errno));
	} else if (write(fd, pem, (size_t)n) != (ssize_t)n || fsync(fd)) {
		rc = -errno ? -errno : -EIO;
		snprintf(err, errlen, "cannot write the audit key file %s: %s", path, strerror(errno));
		unlink(path);
	}
out:
	if (pem && n > 0)
		OPENSSL_cleanse(pem, (size_t)n);
	BIO_free(b);
	if (fd >= 0)
		close(fd);
	if (rc)
		EVP_PKEY_free(k);
	else
		*out = k;
	return rc;
}

int audit_key_load(const char *path, bool create, EVP_PKEY **out, char *err, size_t errlen)
{
	char text[KEY_FILE_MAX];
	struct stat st;
	EVP_PKEY *k = NULL;
	ssize_t n;
	BIO *b;
	int fd, rc = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && create)
		return create_key(path, out, err, errlen);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "audit key file %s: %s%s", path, strerror(errno),
			 errno == ENOENT ? " (set 'key-create' in the 'audit' node to make one on first start)" : "");
		return rc;
	}
	if (fstat(fd, &st) || (st.st_mode & 077)) {
		snprintf(err, errlen, "audit key file %s may be read by others (mode %04o): chmod 600 it", path,
			 (unsigned)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n > 0 && n < (ssize_t)sizeof(text) && (b = BIO_new_mem_buf(text, (int)n))) {
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	OPENSSL_cleanse(text, sizeof(text));
	if (!is_p256(k)) {
		EVP_PKEY_free(k);
		snprintf(err, errlen, "audit key file %s holds no P-256 private key in PEM", path);
		return -EINVAL;
	}
	*out = k;
	return 0;
}

EVP_PKEY *audit_key_public_from_pem(const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = NULL;

	if (!b || len > KEY_FILE_MAX)
		goto out;
	k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	if (!k) {
		BIO_free(b);
		b = BIO_new_mem_buf(pem, (int)len);
		k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	}
out:
	BIO_free(b);
	if (!is_p256(k)) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

int audit_key_id(EVP_PKEY *key, char id[AUDIT_KEY_ID_LEN + 1])
{
	unsigned char *der = NULL;
	uint8_t h[32];
	int n = i2d_PUBKEY(key, &der);

	if (n <= 0)
		return -EIO;
	EVP_Digest(der, (size_t)n, h, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	audit_hex(h, sizeof(h), id);
	return 0;
}

int audit_key_public_pem(EVP_PKEY *key, char *out, size_t max)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc = -EIO;

	if (b && PEM_write_bio_PUBKEY(b, key) && (n = BIO_get_mem_data(b, &p)) > 0) {
		if ((size_t)n < max) {
			memcpy(out, p, (size_t)n);
			out[n] = 0;
			rc = (int)n;
		} else {
			rc = -E2BIG;
		}
	}
	BIO_free(b);
	return rc;
}

int audit_key_sign(EVP_PKEY *key, struct audit_checkpoint *cp)
{
	uint8_t tbs[AUDIT_TBS_LEN];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t n = sizeof(cp->sig);
	int ok;

	audit_checkpoint_tbs(cp->seq, cp->at, cp->hash, tbs);
	ok = c && EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestSign(c, cp->sig, &n, tbs, sizeof(tbs)) == 1 && !audit_key_id(key, cp->key_id);
	EVP_MD_CTX_free(c);
	cp->sig_len = ok ? n : 0;
	return ok ? 0 : -EIO;
}

int audit_key_verify(EVP_PKEY *pub, const struct audit_checkpoint *cp)
{
	uint8_t tbs[AUDIT_TBS_LEN];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;

	audit_checkpoint_tbs(cp->seq, cp->at, cp->hash, tbs);
	ok = c && cp->sig_len && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, pub) == 1 &&
	     EVP_DigestVerify(c, cp->sig, cp->sig_len, tbs, sizeof(tbs)) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 1 : 0;
}
