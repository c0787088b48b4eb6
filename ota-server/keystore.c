/* The master key file and AES-256-GCM sealing (format in keystore.h), on OpenSSL 3. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <simpki/hex.h>

#include "keystore.h"

#define NONCE_LEN 12
#define TAG_LEN 16

static int create_key(const char *path, uint8_t mk[KEYSTORE_KEY_LEN], char *err, size_t errlen)
{
	char text[2 * KEYSTORE_KEY_LEN + 1];
	int fd, rc = 0;

	if (RAND_priv_bytes(mk, KEYSTORE_KEY_LEN) != 1) {
		snprintf(err, errlen, "no random bytes for a new master key");
		return -EIO;
	}
	hex_encode(mk, KEYSTORE_KEY_LEN, text, sizeof(text));
	text[2 * KEYSTORE_KEY_LEN] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create the master key file %s: %s", path, strerror(errno));
	} else if (write(fd, text, sizeof(text)) != (ssize_t)sizeof(text) || fsync(fd)) {
		rc = -errno;
		snprintf(err, errlen, "cannot write the master key file %s: %s", path, strerror(errno));
		unlink(path);
	}
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

int keystore_load(const char *path, bool create, uint8_t mk[KEYSTORE_KEY_LEN], char *err, size_t errlen)
{
	char text[2 * KEYSTORE_KEY_LEN + 2];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && create)
		return create_key(path, mk, err, errlen);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "master key file %s: %s%s", path, strerror(errno),
			 errno == ENOENT ? " (set 'master-key create' to make one on first start)" : "");
		return rc;
	}
	if (fstat(fd, &st) || (st.st_mode & 077)) {
		snprintf(err, errlen, "master key file %s may be read by others (mode %04o): chmod 600 it", path,
			 (unsigned)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 2 * KEYSTORE_KEY_LEN || (n > 2 * KEYSTORE_KEY_LEN && text[2 * KEYSTORE_KEY_LEN] != '\n') ||
	    hex_decode_n(text, 2 * KEYSTORE_KEY_LEN, mk, KEYSTORE_KEY_LEN) != KEYSTORE_KEY_LEN)
		rc = -EINVAL;
	OPENSSL_cleanse(text, sizeof(text));
	if (rc) {
		OPENSSL_cleanse(mk, KEYSTORE_KEY_LEN);
		snprintf(err, errlen, "master key file %s is not 64 hex digits", path);
	}
	return rc;
}

static int gcm(bool enc, const uint8_t *mk, const uint8_t *nonce, const char *aad, const uint8_t *in, size_t len,
	       uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, mk, nonce, enc) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) == 1 &&
	     (len == 0 || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1) &&
	     (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1) &&
	     EVP_CipherFinal_ex(c, out + (len ? n : 0), &n) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EBADMSG;
}

int keystore_seal(const uint8_t mk[KEYSTORE_KEY_LEN], const char *aad, const uint8_t *pt, size_t len, uint8_t *out,
		  size_t max)
{
	if (len > 4096 || len + KEYSTORE_OVERHEAD > max)
		return -E2BIG;
	if (RAND_bytes(out, NONCE_LEN) != 1 || gcm(true, mk, out, aad, pt, len, out + NONCE_LEN, out + NONCE_LEN + len))
		return -EIO;
	return (int)(len + KEYSTORE_OVERHEAD);
}

int keystore_unseal(const uint8_t mk[KEYSTORE_KEY_LEN], const char *aad, const uint8_t *in, size_t len, uint8_t *pt,
		    size_t max)
{
	uint8_t tag[TAG_LEN];
	size_t n;

	if (len < KEYSTORE_OVERHEAD)
		return -EBADMSG;
	n = len - KEYSTORE_OVERHEAD;
	if (n > max)
		return -E2BIG;
	memcpy(tag, in + NONCE_LEN + n, TAG_LEN);
	if (gcm(false, mk, in, aad, in + NONCE_LEN, n, pt, tag)) {
		OPENSSL_cleanse(pt, n);
		return -EBADMSG;
	}
	return (int)n;
}
