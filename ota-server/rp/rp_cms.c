/* A detached CMS SignedData whose signature is made on the SIM, with OpenSSL 3.0 (which has no
 * CMS_SignerInfo_set1_signature; docs/sign.md, "How the SignedData is built"):
 *
 *   CMS_sign(NULL, ..., CMS_PARTIAL | CMS_DETACHED | CMS_BINARY), then CMS_add1_signer with the certificate and a
 *   public-key-only EVP_PKEY (it only sets the digest and signature algorithms); the signed attributes contentType,
 *   signingTime and messageDigest (SHA-256 of the document, streamed) added by hand; what is signed is their DER
 *   encoding as a SET (tag 0x31, DER-sorted), encoded here with our own ASN.1 template (the same as OpenSSL's
 *   internal CMS_Attributes_Sign), and the SignerInfo's attributes put back in that sorted order so that the bytes
 *   in the file are the bytes that were signed. The SIM's signature goes in with
 *   ASN1_STRING_set(CMS_SignerInfo_get0_signature(si)); CMS_final is never called (it would try to sign).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509_vfy.h>

#include "rp.h"

#define READ_CHUNK 65536

/* SET OF Attribute, DER-sorted on output (ASN1_TFLG_SET_ORDER sorts the stack itself too). */
ASN1_ITEM_TEMPLATE(RP_ATTRS_SORTED) = ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_ORDER, 0, RP_ATTRS_SORTED, X509_ATTRIBUTE)
	static_ASN1_ITEM_TEMPLATE_END(RP_ATTRS_SORTED)

		__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (ERR_peek_error() && n + 3 < len) {
		snprintf(err + n, len - n, " (");
		ERR_error_string_n(ERR_peek_error(), err + n + 2, len - n - 3);
		n = strlen(err);
		if (n + 1 < len)
			snprintf(err + n, len - n, ")");
	}
	ERR_clear_error();
	return -EINVAL;
}

unsigned rp_vcode(const uint8_t hash[32])
{
	return ((unsigned)(hash[0] >> 2) << 7) | (hash[31] & 0x7f);
}

int rp_cert_read(const char *pem, X509 **cert, char *err, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, -1);

	*cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!*cert)
		return bad(err, len, "the certificate is not a PEM X.509 certificate");
	return 0;
}

enum rp_key_alg rp_cert_alg(X509 *cert)
{
	EVP_PKEY *k = X509_get0_pubkey(cert);
	char group[32];

	if (!k)
		return RP_KEY_NONE;
	if (EVP_PKEY_is_a(k, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), NULL) ||
		    strcmp(group, "prime256v1"))
			return RP_KEY_NONE;
		return RP_KEY_EC;
	}
	if (EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) >= 2048)
		return RP_KEY_RSA;
	return RP_KEY_NONE;
}

/* SHA-256 of the file at \a path, read in chunks. \returns 0; a negative errno */
static int digest_file(const char *path, uint8_t out[32])
{
	FILE *f = fopen(path, "rb");
	EVP_MD_CTX *m;
	unsigned char *buf;
	size_t n;
	int rc = 0;

	if (!f)
		return -errno;
	m = EVP_MD_CTX_new();
	buf = malloc(READ_CHUNK);
	if (!m || !buf || !EVP_DigestInit_ex(m, EVP_sha256(), NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	while ((n = fread(buf, 1, READ_CHUNK, f)) > 0)
		if (!EVP_DigestUpdate(m, buf, n)) {
			rc = -ENOMEM;
			goto out;
		}
	if (ferror(f))
		rc = -EIO;
	else if (!EVP_DigestFinal_ex(m, out, NULL))
		rc = -ENOMEM;
out:
	free(buf);
	EVP_MD_CTX_free(m);
	fclose(f);
	return rc;
}

/* Take all signed attributes out of \a si into a new stack (owned by the caller). */
static STACK_OF(X509_ATTRIBUTE) * attrs_take(CMS_SignerInfo *si)
{
	STACK_OF(X509_ATTRIBUTE) *sk = sk_X509_ATTRIBUTE_new_null();
	X509_ATTRIBUTE *a;

	if (!sk)
		return NULL;
	while (CMS_signed_get_attr_count(si) > 0) {
		a = CMS_signed_delete_attr(si, 0);
		if (!a || !sk_X509_ATTRIBUTE_push(sk, a)) {
			X509_ATTRIBUTE_free(a);
			sk_X509_ATTRIBUTE_pop_free(sk, X509_ATTRIBUTE_free);
			return NULL;
		}
	}
	return sk;
}

/* Sort the signed attributes as DER wants them, in the SignerInfo too, and hash their encoding as a SET. */
static int attrs_sort_and_hash(struct rp_cms *c)
{
	STACK_OF(X509_ATTRIBUTE) *sk = attrs_take(c->si);
	unsigned char *der = NULL;
	int len, rc = -ENOMEM;

	if (!sk)
		return -ENOMEM;
	len = ASN1_item_i2d((const ASN1_VALUE *)sk, &der, ASN1_ITEM_rptr(RP_ATTRS_SORTED)); /* sorts sk */
	if (len <= 0)
		goto out;
	for (int i = 0; i < sk_X509_ATTRIBUTE_num(sk); i++)
		if (!CMS_signed_add1_attr(c->si, sk_X509_ATTRIBUTE_value(sk, i)))
			goto out;
	if (!EVP_Digest(der, (size_t)len, c->tbs_hash, NULL, EVP_sha256(), NULL))
		goto out;
	rc = 0;
out:
	OPENSSL_free(der);
	sk_X509_ATTRIBUTE_pop_free(sk, X509_ATTRIBUTE_free);
	return rc;
}

int rp_cms_tbs(const struct rp_cms *c, uint8_t **der)
{
	STACK_OF(X509_ATTRIBUTE) *sk = sk_X509_ATTRIBUTE_new_null();
	int len;

	*der = NULL;
	if (!sk)
		return -ENOMEM;
	for (int i = 0; i < CMS_signed_get_attr_count(c->si); i++)
		if (!sk_X509_ATTRIBUTE_push(sk, CMS_signed_get_attr(c->si, i))) {
			sk_X509_ATTRIBUTE_free(sk);
			return -ENOMEM;
		}
	len = ASN1_item_i2d((const ASN1_VALUE *)sk, der, ASN1_ITEM_rptr(RP_ATTRS_SORTED));
	sk_X509_ATTRIBUTE_free(sk); /* the attributes are the SignerInfo's */
	return len > 0 ? len : -ENOMEM;
}

int rp_cms_begin(struct rp_cms *c, X509 *cert, const char *path, time_t when, char *err, size_t len)
{
	ASN1_TIME *t = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	c->cert = cert;
	c->alg = rp_cert_alg(cert);
	if (c->alg == RP_KEY_NONE)
		return bad(err, len, "the signer's key is neither EC P-256 nor RSA of 2048 bits or more");
	rc = digest_file(path, c->content_digest);
	if (rc) {
		snprintf(err, len, "%s: %s", path, strerror(-rc));
		return rc;
	}
	/* the public key alone: CMS_add1_signer only takes its algorithms from it */
	c->pub = X509_get_pubkey(cert);
	c->cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_DETACHED | CMS_BINARY);
	if (!c->pub || !c->cms)
		return bad(err, len, "cannot start a SignedData");
	c->si = CMS_add1_signer(c->cms, cert, c->pub, EVP_sha256(), CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP);
	if (!c->si)
		return bad(err, len, "cannot add the signer");
	t = X509_time_adj_ex(NULL, 0, 0, &when);
	if (!t ||
	    !CMS_signed_add1_attr_by_NID(c->si, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data),
					 -1) ||
	    !CMS_signed_add1_attr_by_NID(c->si, NID_pkcs9_signingTime, t->type, t, -1) ||
	    !CMS_signed_add1_attr_by_NID(c->si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, c->content_digest, 32)) {
		ASN1_TIME_free(t);
		return bad(err, len, "cannot add the signed attributes");
	}
	ASN1_TIME_free(t);
	if (attrs_sort_and_hash(c))
		return bad(err, len, "cannot encode the signed attributes");
	return 0;
}

/* An ECDSA signature r || s of 2 x 32 bytes as DER. \returns the DER length; 0 on failure */
static size_t ec_raw_to_der(const uint8_t *raw, uint8_t *der, size_t max)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *ss = BN_bin2bn(raw + 32, 32, NULL);
	unsigned char *p = der;
	int n = 0;

	if (s && r && ss && ECDSA_SIG_set0(s, r, ss)) {
		r = ss = NULL;
		if (i2d_ECDSA_SIG(s, NULL) <= (int)max)
			n = i2d_ECDSA_SIG(s, &p);
	}
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return n > 0 ? (size_t)n : 0;
}

/* Whether \a sig is one DER ECDSA-Sig-Value and nothing more. */
static bool ec_der(const uint8_t *sig, size_t len)
{
	const unsigned char *p = sig;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	bool ok = s && p == sig + len;

	ECDSA_SIG_free(s);
	ERR_clear_error();
	return ok;
}

int rp_cms_set_signature(struct rp_cms *c, const uint8_t *sig, size_t len, char *err, size_t err_len)
{
	uint8_t der[80];
	EVP_PKEY_CTX *v = NULL;
	int ok = 0;

	if (!c->si)
		return bad(err, err_len, "no SignedData to put the signature in");
	if (c->alg == RP_KEY_EC && !ec_der(sig, len)) {
		if (len != 64)
			return bad(err, err_len, "the signature is not an ECDSA P-256 signature (%zu bytes)", len);
		len = ec_raw_to_der(sig, der, sizeof(der));
		if (!len)
			return bad(err, err_len, "the signature is not an ECDSA P-256 signature");
		sig = der;
	}
	if (c->alg == RP_KEY_RSA && len != (size_t)EVP_PKEY_get_size(c->pub))
		return bad(err, err_len, "the signature is %zu bytes, the RSA key's is %d", len,
			   EVP_PKEY_get_size(c->pub));
	/* the signature must be over our hash with the certificate's key: checked before it goes anywhere */
	v = EVP_PKEY_CTX_new(c->pub, NULL);
	if (v && EVP_PKEY_verify_init(v) > 0 &&
	    (c->alg == RP_KEY_EC || (EVP_PKEY_CTX_set_rsa_padding(v, RSA_PKCS1_PADDING) > 0 &&
				     EVP_PKEY_CTX_set_signature_md(v, EVP_sha256()) > 0)))
		ok = EVP_PKEY_verify(v, sig, len, c->tbs_hash, sizeof(c->tbs_hash)) == 1;
	EVP_PKEY_CTX_free(v);
	if (!ok)
		return bad(err, err_len, "the signature does not verify with the signer's certificate");
	if (!ASN1_STRING_set(CMS_SignerInfo_get0_signature(c->si), sig, (int)len))
		return bad(err, err_len, "out of memory");
	return 0;
}

int rp_cms_der(const struct rp_cms *c, uint8_t **der)
{
	int n;

	*der = NULL;
	n = i2d_CMS_ContentInfo(c->cms, der);
	return n > 0 ? n : -ENOMEM;
}

void rp_cms_free(struct rp_cms *c)
{
	CMS_ContentInfo_free(c->cms);
	EVP_PKEY_free(c->pub);
	X509_free(c->cert);
	memset(c, 0, sizeof(*c));
}

int rp_cms_verify(const uint8_t *der, size_t len, const char *path, const char *ca_chain, char *err, size_t err_len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	X509_STORE *store = NULL;
	BIO *content = NULL;
	int rc = -EINVAL;

	ERR_clear_error();
	if (!cms || p != der + len) {
		bad(err, err_len, "the output is not one DER CMS ContentInfo");
		goto out;
	}
	content = BIO_new_file(path, "rb");
	if (!content) {
		bad(err, err_len, "%s: cannot read it again", path);
		goto out;
	}
	if (ca_chain) {
		store = X509_STORE_new();
		if (!store || X509_STORE_load_file(store, ca_chain) != 1) {
			bad(err, err_len, "%s: cannot read the CA certificates", ca_chain);
			goto out;
		}
	}
	if (CMS_verify(cms, NULL, store, content, NULL, CMS_BINARY | (ca_chain ? 0 : CMS_NO_SIGNER_CERT_VERIFY)) != 1) {
		bad(err, err_len, "the SignedData does not verify%s", ca_chain ? " against the CA chain" : "");
		goto out;
	}
	rc = 0;
out:
	BIO_free(content);
	X509_STORE_free(store);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

int rp_write_atomic(const char *path, const uint8_t *buf, size_t len, char *err, size_t err_len)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 8);
	int fd, rc = 0;
	size_t done = 0;
	mode_t mode;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, n + 8, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "%s: cannot create a temporary file beside it: %s", path, strerror(-rc));
		free(tmp);
		return rc;
	}
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)w;
	}
	mode = umask(0);
	umask(mode);
	if (!rc && fchmod(fd, 0666 & ~mode))
		rc = -errno;
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		snprintf(err, err_len, "%s: cannot write it: %s", path, strerror(-rc));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}
