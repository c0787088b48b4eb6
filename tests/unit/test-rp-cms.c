/* simpki-sign's CMS SignedData (ota-server/rp/rp_cms.c), for an EC P-256 and an RSA-2048 signer issued by a test CA
 * (tests/support/rp-fixture.h): the signed attributes (contentType, signingTime, messageDigest of the file, which
 * is read in a stream) encoded as a DER-sorted SET whose SHA-256 is what the SIM signs, in the same order in the
 * output; the SIM's signature made in software as the applet makes it, put in, serialised, and accepted by
 * CMS_verify without and with the CA chain; refused: a changed byte of the document, another CA, a signature of
 * another hash, of the wrong size; ECDSA r || s taken; the verification code; the atomic write; the key types. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "unit.h"
#include "rp.h"
#include "rp-fixture.h"

static char dir[] = "/tmp/test-rp-cms.XXXXXX";

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* A document of \a len bytes (a pattern) at dir/name. */
static void make_doc(const char *name, size_t len)
{
	char p[256];
	FILE *f;

	path_of(p, sizeof(p), name);
	f = fopen(p, "wb");
	assert_non_null(f);
	for (size_t i = 0; i < len; i++)
		fputc((int)((i * 131 + 7) & 0xff), f);
	assert_int_equal(fclose(f), 0);
}

static void write_pem(const char *name, X509 *x)
{
	char p[256];
	FILE *f;

	path_of(p, sizeof(p), name);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	assert_int_equal(fclose(f), 0);
}

/* Sign dir/doc with the fixture's key as simpki-sign does; *der is the output. */
static int sign_doc(struct rp_fixture *fx, const char *doc, uint8_t **der)
{
	struct rp_cms c;
	char p[256], err[256];
	uint8_t sig[512];
	size_t n;
	int len;

	path_of(p, sizeof(p), doc);
	X509_up_ref(fx->cert);
	assert_int_equal(rp_cms_begin(&c, fx->cert, p, time(NULL), err, sizeof(err)), 0);
	n = rp_fixture_sim_sign(fx->key, c.tbs_hash, sig);
	assert_int_equal(rp_cms_set_signature(&c, sig, n, err, sizeof(err)), 0);
	len = rp_cms_der(&c, der);
	assert_true(len > 0);
	rp_cms_free(&c);
	return len;
}

static void test_sign_verify(void **state)
{
	bool rsa = *state != NULL;
	struct rp_fixture fx;
	struct rp_cms c;
	char p[256], chain[256], err[256];
	uint8_t *tbs, md[32], sig[512], *der;
	int tbs_len, len;
	size_t n;

	rp_fixture_make(&fx, rsa);
	make_doc("doc", 300000); /* more than one read chunk */
	write_pem("chain.pem", fx.ca);
	path_of(p, sizeof(p), "doc");
	path_of(chain, sizeof(chain), "chain.pem");
	X509_up_ref(fx.cert);
	assert_int_equal(rp_cms_begin(&c, fx.cert, p, time(NULL), err, sizeof(err)), 0);
	assert_int_equal(c.alg, rsa ? RP_KEY_RSA : RP_KEY_EC);

	/* the signed attributes: a SET, three of them, hashed into tbs_hash */
	tbs_len = rp_cms_tbs(&c, &tbs);
	assert_true(tbs_len > 0);
	assert_int_equal(tbs[0], 0x31);
	assert_int_equal(EVP_Digest(tbs, (size_t)tbs_len, md, NULL, EVP_sha256(), NULL), 1);
	assert_memory_equal(md, c.tbs_hash, 32);
	OPENSSL_free(tbs);
	assert_int_equal(CMS_signed_get_attr_count(c.si), 3);
	/* in DER order in the SignerInfo itself: each attribute's encoding not above the next one's */
	for (int i = 0; i + 1 < CMS_signed_get_attr_count(c.si); i++) {
		uint8_t *a = NULL, *b = NULL;
		int la = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(c.si, i), &a);
		int lb = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(c.si, i + 1), &b);
		int cmp = memcmp(a, b, (size_t)(la < lb ? la : lb));

		assert_true(cmp < 0 || (cmp == 0 && la <= lb));
		OPENSSL_free(a);
		OPENSSL_free(b);
	}
	/* the messageDigest is the document's SHA-256 */
	{
		ASN1_OCTET_STRING *os = CMS_signed_get0_data_by_OBJ(c.si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
								    V_ASN1_OCTET_STRING);

		assert_non_null(os);
		assert_int_equal(ASN1_STRING_length(os), 32);
		assert_memory_equal(ASN1_STRING_get0_data(os), c.content_digest, 32);
	}

	n = rp_fixture_sim_sign(fx.key, c.tbs_hash, sig);
	assert_int_equal(rp_cms_set_signature(&c, sig, n, err, sizeof(err)), 0);
	len = rp_cms_der(&c, &der);
	assert_true(len > 0);
	rp_cms_free(&c);

	assert_int_equal(rp_cms_verify(der, (size_t)len, p, NULL, err, sizeof(err)), 0);
	assert_int_equal(rp_cms_verify(der, (size_t)len, p, chain, err, sizeof(err)), 0);
	/* trailing garbage, a cut */
	assert_int_equal(rp_cms_verify(der, (size_t)len - 1, p, NULL, err, sizeof(err)), -EINVAL);
	OPENSSL_free(der);
	rp_fixture_free(&fx);
}

static void test_changed_byte(void **state)
{
	struct rp_fixture fx;
	char p[256], err[256];
	uint8_t *der;
	int len;
	FILE *f;

	rp_fixture_make(&fx, *state != NULL);
	make_doc("doc2", 1000);
	len = sign_doc(&fx, "doc2", &der);
	path_of(p, sizeof(p), "doc2");
	assert_int_equal(rp_cms_verify(der, (size_t)len, p, NULL, err, sizeof(err)), 0);
	f = fopen(p, "r+b");
	assert_non_null(f);
	fseek(f, 500, SEEK_SET);
	fputc(0x00 ^ (((500 * 131 + 7) & 0xff) ^ 1), f);
	fclose(f);
	assert_int_equal(rp_cms_verify(der, (size_t)len, p, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not verify"));
	OPENSSL_free(der);
	rp_fixture_free(&fx);
}

static void test_other_ca(void **state)
{
	struct rp_fixture fx, other;
	char p[256], chain[256], err[256];
	uint8_t *der;
	int len;

	rp_fixture_make(&fx, false);
	rp_fixture_make(&other, false);
	make_doc("doc3", 10);
	write_pem("other.pem", other.ca);
	len = sign_doc(&fx, "doc3", &der);
	path_of(p, sizeof(p), "doc3");
	path_of(chain, sizeof(chain), "other.pem");
	assert_int_equal(rp_cms_verify(der, (size_t)len, p, chain, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "against the CA chain"));
	OPENSSL_free(der);
	rp_fixture_free(&fx);
	rp_fixture_free(&other);
}

static void test_empty_doc(void **state)
{
	struct rp_fixture fx;
	char p[256], err[256];
	uint8_t *der;
	int len;

	rp_fixture_make(&fx, false);
	make_doc("empty", 0);
	len = sign_doc(&fx, "empty", &der);
	path_of(p, sizeof(p), "empty");
	assert_int_equal(rp_cms_verify(der, (size_t)len, p, NULL, err, sizeof(err)), 0);
	OPENSSL_free(der);
	rp_fixture_free(&fx);
}

/* Signatures that must not go in: of another hash, of the wrong size, not DER; ECDSA r || s goes in. */
static void test_bad_signatures(void **state)
{
	bool rsa = *state != NULL;
	struct rp_fixture fx;
	struct rp_cms c;
	char p[256], err[256];
	uint8_t sig[512], other[32] = { 1 }, *der;
	size_t n;
	int len;

	rp_fixture_make(&fx, rsa);
	make_doc("doc4", 64);
	path_of(p, sizeof(p), "doc4");
	X509_up_ref(fx.cert);
	assert_int_equal(rp_cms_begin(&c, fx.cert, p, time(NULL), err, sizeof(err)), 0);
	n = rp_fixture_sim_sign(fx.key, other, sig);
	assert_int_equal(rp_cms_set_signature(&c, sig, n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not verify"));
	n = rp_fixture_sim_sign(fx.key, c.tbs_hash, sig);
	assert_int_equal(rp_cms_set_signature(&c, sig, n - 1, err, sizeof(err)), -EINVAL);
	memset(sig, 0x30, 10);
	assert_int_equal(rp_cms_set_signature(&c, sig, 10, err, sizeof(err)), -EINVAL);
	if (!rsa) {
		/* r || s, as some SIMs give it */
		const uint8_t *q;
		ECDSA_SIG *es;
		uint8_t raw[64];

		n = rp_fixture_sim_sign(fx.key, c.tbs_hash, sig);
		q = sig;
		es = d2i_ECDSA_SIG(NULL, &q, (long)n);
		assert_non_null(es);
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32), 32);
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32), 32);
		ECDSA_SIG_free(es);
		assert_int_equal(rp_cms_set_signature(&c, raw, 64, err, sizeof(err)), 0);
		len = rp_cms_der(&c, &der);
		assert_true(len > 0);
		assert_int_equal(rp_cms_verify(der, (size_t)len, p, NULL, err, sizeof(err)), 0);
		OPENSSL_free(der);
	}
	rp_cms_free(&c);
	rp_fixture_free(&fx);
}

static void test_key_types(void **state)
{
	static const uint8_t one[] = { 1 };
	EVP_PKEY *p384 = EVP_EC_gen("P-384"), *rsa1024 = EVP_RSA_gen(1024);
	X509 *a = ca_fixture_cert("a", one, 1, p384, NULL, NULL, 'l');
	X509 *b = ca_fixture_cert("b", one, 1, rsa1024, NULL, NULL, 'l');
	struct rp_cms c;
	char err[256], p[256];

	assert_int_equal(rp_cert_alg(a), RP_KEY_NONE);
	assert_int_equal(rp_cert_alg(b), RP_KEY_NONE);
	make_doc("doc5", 1);
	path_of(p, sizeof(p), "doc5");
	assert_int_equal(rp_cms_begin(&c, a, p, time(NULL), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "neither EC P-256 nor RSA"));
	rp_cms_free(&c); /* frees a */
	X509_free(b);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa1024);
}

static void test_missing_doc(void **state)
{
	struct rp_fixture fx;
	struct rp_cms c;
	char err[256];

	rp_fixture_make(&fx, false);
	X509_up_ref(fx.cert);
	assert_int_equal(rp_cms_begin(&c, fx.cert, "/nonexistent/doc", time(NULL), err, sizeof(err)), -ENOENT);
	rp_cms_free(&c);
	rp_fixture_free(&fx);
}

static void test_cert_read(void **state)
{
	X509 *x;
	char err[256];

	assert_int_equal(
		rp_cert_read("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", &x, err, sizeof(err)),
		-EINVAL);
	assert_null(x);
}

static void test_vcode(void **state)
{
	uint8_t h[32] = { 0 };

	assert_int_equal(rp_vcode(h), 0);
	h[0] = 0xff;
	h[31] = 0xff;
	assert_int_equal(rp_vcode(h), 8191);
	h[0] = 0x12;
	h[31] = 0x34;
	assert_int_equal(rp_vcode(h), (4 << 7) | 0x34);
	h[31] = 0xb4; /* the top bit of the last byte is not taken */
	assert_int_equal(rp_vcode(h), (4 << 7) | 0x34);
}

static void test_write_atomic(void **state)
{
	char p[256], err[256], buf[16];
	struct stat st;
	FILE *f;

	path_of(p, sizeof(p), "out.p7s");
	assert_int_equal(rp_write_atomic(p, (const uint8_t *)"first", 5, err, sizeof(err)), 0);
	assert_int_equal(rp_write_atomic(p, (const uint8_t *)"second", 6, err, sizeof(err)), 0);
	f = fopen(p, "rb");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf), f), 6);
	fclose(f);
	assert_memory_equal(buf, "second", 6);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(rp_write_atomic("/nonexistent/x.p7s", (const uint8_t *)"x", 1, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.p7s"));
}

static int teardown_dir(void **state)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	static const int yes = 1;
	static struct unit_list l;

	if (!mkdtemp(dir))
		return 1;
	unit_add(&l, "sign and verify, EC P-256", test_sign_verify, NULL);
	unit_add(&l, "sign and verify, RSA-2048", test_sign_verify, &yes);
	unit_add(&l, "a changed byte, EC", test_changed_byte, NULL);
	unit_add(&l, "a changed byte, RSA", test_changed_byte, &yes);
	unit_add(&l, "another CA", test_other_ca, NULL);
	unit_add(&l, "an empty document", test_empty_doc, NULL);
	unit_add(&l, "bad signatures, EC", test_bad_signatures, NULL);
	unit_add(&l, "bad signatures, RSA", test_bad_signatures, &yes);
	unit_add(&l, "key types", test_key_types, NULL);
	unit_add(&l, "a missing document", test_missing_doc, NULL);
	unit_add(&l, "a certificate that is not one", test_cert_read, NULL);
	unit_add(&l, "verification code", test_vcode, NULL);
	unit_add(&l, "atomic write", test_write_atomic, NULL);
	return _cmocka_run_group_tests("rp-cms", l.t, l.n, NULL, teardown_dir);
}
