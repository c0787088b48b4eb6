/* Keys and certificates of simpki-ca (ca_key.h): the passphrase, OSSL_STORE, PEM files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/store.h>
#include <openssl/ui.h>

#include "ca_key.h"

int ca_passphrase_get(const char *file, char *buf, size_t size, char *err, size_t errlen)
{
	const char *env;
	struct stat st;
	ssize_t n;
	size_t len;
	int fd;

	if (!file) {
		env = getenv(CA_PASSPHRASE_ENV);
		if (!env) {
			snprintf(err, errlen, "no passphrase: set %s or give a passphrase file", CA_PASSPHRASE_ENV);
			return -ENOENT;
		}
		len = strlen(env);
		if (len + 1 > size) {
			snprintf(err, errlen, "%s is longer than %zu bytes", CA_PASSPHRASE_ENV, size - 1);
			return -EINVAL;
		}
		memcpy(buf, env, len + 1);
		return (int)len;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "passphrase file %s: %s", file, strerror(errno));
		return errno == ENOENT ? -ENOENT : -EIO;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_mode & 0177)) {
		snprintf(err, errlen,
			 "passphrase file %s: refused: it must be a regular file that only its owner may read (chmod "
			 "600 "
			 "%s); its mode is %04o",
			 file, file, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	n = read(fd, buf, size);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "passphrase file %s: %s", file, strerror(errno));
		return -EIO;
	}
	len = (size_t)n;
	if (len == size) {
		OPENSSL_cleanse(buf, size);
		snprintf(err, errlen, "passphrase file %s: longer than %zu bytes", file, size - 1);
		return -EINVAL;
	}
	buf[len] = 0;
	len = strcspn(buf, "\r\n"); /* the first line */
	OPENSSL_cleanse(buf + len, (size_t)n - len);
	buf[len] = 0;
	return (int)len;
}

void ca_passphrase_forget_env(void)
{
	char *env = getenv(CA_PASSPHRASE_ENV);

	if (env)
		OPENSSL_cleanse(env, strlen(env));
	unsetenv(CA_PASSPHRASE_ENV);
}

/* The UI method's reader: the passphrase given to ca_key_load(). */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	size_t n = u ? strlen(u) : 0;

	if (!u || n > (size_t)size)
		return -1;
	memcpy(buf, u, n);
	return (int)n;
}

int ca_key_load(const char *uri, const char *pass, EVP_PKEY **out, char *err, size_t errlen)
{
	UI_METHOD *ui = UI_UTIL_wrap_read_pem_callback(pass_cb, 0);
	OSSL_STORE_CTX *st;
	EVP_PKEY *key = NULL;

	if (!ui)
		return -ENOMEM;
	st = OSSL_STORE_open(uri, ui, (void *)pass, NULL, NULL);
	if (!st) {
		snprintf(err, errlen, "cannot open the key store %s", uri);
		UI_destroy_method(ui);
		ERR_clear_error();
		return -ENOENT;
	}
	OSSL_STORE_expect(st, OSSL_STORE_INFO_PKEY);
	while (!key && !OSSL_STORE_eof(st)) {
		OSSL_STORE_INFO *info = OSSL_STORE_load(st);

		if (!info)
			break;
		if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
			key = OSSL_STORE_INFO_get1_PKEY(info);
		OSSL_STORE_INFO_free(info);
	}
	OSSL_STORE_close(st);
	UI_destroy_method(ui);
	if (!key) {
		snprintf(err, errlen, "no private key could be read from %s (a wrong passphrase?)", uri);
		ERR_clear_error();
		return -EACCES;
	}
	*out = key;
	return 0;
}

int ca_certs_load(const char *path, STACK_OF(X509) * sk, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	X509 *x;
	int n = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
		n++;
	}
	fclose(f);
	ERR_clear_error();
	if (!n) {
		snprintf(err, errlen, "%s: no PEM certificate in it", path);
		return -EINVAL;
	}
	return n;
}

int ca_cert_load(const char *path, X509 **out, char *err, size_t errlen)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	int rc;

	if (!sk)
		return -ENOMEM;
	rc = ca_certs_load(path, sk, err, errlen);
	if (rc > 0) {
		*out = sk_X509_shift(sk);
		rc = 0;
	}
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

/* \a path opened for a new file of \a mode, as a stdio stream. */
static FILE *create(const char *path, mode_t mode, char *err, size_t errlen, int *rc)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0) {
		*rc = errno == EEXIST ? -EEXIST : -EIO;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		*rc = -EIO;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
	}
	return f;
}

static int finish(FILE *f, const char *path, int ok, char *err, size_t errlen)
{
	if (fflush(f) || fsync(fileno(f)))
		ok = 0;
	if (fclose(f))
		ok = 0;
	if (ok)
		return 0;
	unlink(path);
	snprintf(err, errlen, "cannot write %s", path);
	ERR_clear_error();
	return -EIO;
}

int ca_key_write(const char *path, EVP_PKEY *key, const char *pass, char *err, size_t errlen)
{
	int rc = 0, ok;
	FILE *f = create(path, 0600, err, errlen, &rc);

	if (!f)
		return rc;
	if (pass)
		ok = PEM_write_PKCS8PrivateKey(f, key, EVP_aes_256_cbc(), (const char *)pass, (int)strlen(pass), NULL,
					       NULL);
	else
		ok = PEM_write_PKCS8PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	return finish(f, path, ok, err, errlen);
}

int ca_pem_write(const char *path, X509 *x, X509_REQ *req, char *err, size_t errlen)
{
	int rc = 0;
	FILE *f = create(path, 0644, err, errlen, &rc);

	if (!f)
		return rc;
	return finish(f, path, req ? PEM_write_X509_REQ(f, req) : PEM_write_X509(f, x), err, errlen);
}
