/* Unit tests of simpki-ca's certificate lifecycle (ota-server/ca/ca_cmp.c, ca_db.c, ca_publish.c) with OpenSSL's own
 * CMP client in the same process (its transfer callback calls ca_cmp_handle()), on the fixed test PKI
 * (tests/support/ca_fixture.h):
 * - same-key kur (the old certificate's key in the template, POPO raVerified, the purpose as generalInfo utf8Pairs):
 *   refused (badRequest) by a profile without 'same-key', without a purpose, with an unknown one, with one the
 *   profile does not list; modification: the template's UTF-8 subject, the old notAfter kept, the holder id, ICCID
 *   and profile carried over; renewal: the old subject, a new validity, capped by key-lifetime-days from the key's
 *   first certificate, refused when nothing is left; a repeated transaction answers the same certificate; a new
 *   key's kur needs no purpose;
 * - a key revoked for keyCompromise: p10cr, ir and same-key kur refused (badCertTemplate, "key compromised");
 * - hold and release through rr: certificateHold (status hold, OCSP lookup revoked with reason 6, the CRL lists it
 *   with reasonCode certificateHold), kur of a held certificate refused (certRevoked), removeFromCRL (good again,
 *   off the next CRL), removeFromCRL of a good certificate and reason 7 refused (badRequest), a held certificate
 *   revoked for good;
 * - many renewals in a row (CA_KUR_N, default 100), the time per kur printed.
 * With CA_CMP_DUMP_DIR set, every request is written there (seeds for tests/fuzz/fuzz-cmp-server). */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca_cmp.h"
#include "ca_cmp_client.h"
#include "ca_fixture.h"
#include "ca_issue.h"
#include "ca_publish.h"

#include "unit.h"

static struct ca_fixture fx;

static OSSL_CMP_MSG *transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
	return ca_cmp_client_roundtrip(fx.ca, req, "lifecycle", 3);
}

static OSSL_CMP_CTX *client(void)
{
	return ca_cmp_client_new(&fx, transfer);
}

static EVP_PKEY *new_key(void)
{
	return ca_cmp_client_key();
}

static void pairs_itav(OSSL_CMP_CTX *ctx, const char *pairs)
{
	ASN1_TYPE *v = ASN1_TYPE_new();
	ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();

	assert_true(ASN1_STRING_set(u, pairs, -1));
	ASN1_TYPE_set(v, V_ASN1_UTF8STRING, u);
	assert_true(
		OSSL_CMP_CTX_push0_geninfo_ITAV(ctx, OSSL_CMP_ITAV_create(OBJ_txt2obj("1.3.6.1.5.5.7.5.2.1", 1), v)));
}

static void row_of(X509 *x, struct ca_cert_row *r)
{
	struct ca_cert_row tmp;

	ca_row_from_cert(x, &tmp);
	assert_int_equal(ca_db_cert_get(fx.ca->db, tmp.serial, NULL, r), 0);
}

/* An ir for \a k with \a subject (the holder id its serialNumber), the ICCID in generalInfo utf8Pairs. \returns the
 * certificate (a copy) or NULL with the failInfo bits in *fail_info (when not NULL). */
static X509 *ir(EVP_PKEY *k, const char *subject, int *fail_info)
{
	OSSL_CMP_CTX *ctx = client();
	X509_NAME *n = ca_subject_parse(subject);
	X509 *x;

	assert_non_null(n);
	assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, n));
	assert_true(EVP_PKEY_up_ref(k));
	assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, k));
	pairs_itav(ctx, "iccid?89840400000000000017%");
	x = OSSL_CMP_exec_IR_ses(ctx);
	x = x ? X509_dup(x) : NULL;
	if (fail_info)
		*fail_info = OSSL_CMP_CTX_get_failInfoCode(ctx);
	X509_NAME_free(n);
	OSSL_CMP_CTX_free(ctx);
	ERR_clear_error();
	return x;
}

/* A same-key kur of \a old as the RA sends it: the old public key only, raVerified, \a subject (NULL: the old one's,
 * which OpenSSL's client copies into the template), \a pairs (NULL: none), transactionID \a tid (NULL: random).
 * \returns the certificate (a copy) or NULL with the failInfo bits in *fail_info and the text in text. */
static X509 *kur_same(X509 *old, const char *subject, const char *pairs, const uint8_t *tid, int *fail_info, char *text,
		      size_t textlen)
{
	OSSL_CMP_CTX *ctx = client();
	EVP_PKEY *pub = X509_get_pubkey(old);
	X509_NAME *n = subject ? ca_subject_parse(subject) : NULL;
	X509 *x;

	assert_non_null(pub);
	assert_true(OSSL_CMP_CTX_set1_oldCert(ctx, old));
	assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 0, pub));
	assert_true(OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_POPO_METHOD, OSSL_CRMF_POPO_RAVERIFIED));
	if (n)
		assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, n));
	if (pairs)
		pairs_itav(ctx, pairs);
	if (tid) {
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();

		assert_true(ASN1_OCTET_STRING_set(os, tid, 16));
		assert_true(OSSL_CMP_CTX_set1_transactionID(ctx, os));
		ASN1_OCTET_STRING_free(os);
	}
	x = OSSL_CMP_exec_KUR_ses(ctx);
	x = x ? X509_dup(x) : NULL;
	*fail_info = OSSL_CMP_CTX_get_failInfoCode(ctx);
	if (text && !OSSL_CMP_CTX_snprint_PKIStatus(ctx, text, textlen))
		text[0] = 0;
	X509_NAME_free(n);
	OSSL_CMP_CTX_free(ctx);
	ERR_clear_error();
	return x;
}

/* rr of \a x with \a reason. \returns 1 done; 0 refused with *fail_info */
static int rr(X509 *x, int reason, int *fail_info)
{
	OSSL_CMP_CTX *ctx = client();
	int ok;

	assert_true(OSSL_CMP_CTX_set1_oldCert(ctx, x));
	assert_true(OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_REVOCATION_REASON, reason));
	ok = OSSL_CMP_exec_RR_ses(ctx) == 1;
	*fail_info = OSSL_CMP_CTX_get_failInfoCode(ctx);
	OSSL_CMP_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

static bool pubkey_equal(X509 *a, X509 *b)
{
	return EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)) == 1;
}

static void set_same_key(unsigned bits, uint32_t lifetime)
{
	struct ca_profile *p = ca_profile_find(fx.ca, "signing");

	p->same_key = bits;
	p->key_lifetime_days = lifetime;
}

#define BIT(n) (1 << OSSL_CMP_PKIFAILUREINFO_##n)

static void test_same_key_refusals(void **state)
{
	EVP_PKEY *k = new_key();
	X509 *old = ir(k, "/CN=Lê Văn Cường/serialNumber=VN-30/O=UBND xã A", NULL), *x;
	char text[256];
	int fi;

	assert_non_null(old);
	/* a profile without same-key */
	set_same_key(0, 0);
	x = kur_same(old, NULL, "purpose?renewal%", NULL, &fi, text, sizeof(text));
	assert_null(x);
	assert_true(fi & BIT(badRequest));
	assert_non_null(strstr(text, "does not allow"));
	/* the profile allows modification only */
	set_same_key(CA_SAME_KEY_MODIFICATION, 0);
	assert_null(kur_same(old, NULL, "purpose?renewal%", NULL, &fi, text, sizeof(text)));
	assert_true(fi & BIT(badRequest));
	/* no purpose; another purpose; a malformed one */
	set_same_key(CA_SAME_KEY_MODIFICATION | CA_SAME_KEY_RENEWAL, 0);
	assert_null(kur_same(old, NULL, NULL, NULL, &fi, text, sizeof(text)));
	assert_true(fi & BIT(badRequest));
	assert_non_null(strstr(text, "without a purpose"));
	assert_null(kur_same(old, NULL, "holder?X%purpose?rekey%", NULL, &fi, text, sizeof(text)));
	assert_true(fi & BIT(badRequest));
	assert_null(kur_same(old, NULL, "purpose?%", NULL, &fi, text, sizeof(text)));
	assert_true(fi & BIT(badRequest));
	assert_null(kur_same(old, NULL, "purpose?renewal?x%", NULL, &fi, text, sizeof(text)));
	assert_true(fi & BIT(badRequest));
	assert_null(kur_same(old, NULL, "xpurpose?renewal%", NULL, &fi, text, sizeof(text)));
	assert_true(fi & BIT(badRequest));
	assert_non_null(strstr(text, "without a purpose"));
	X509_free(old);
	EVP_PKEY_free(k);
}

static void test_modification(void **state)
{
	static const uint8_t tid[16] = { 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0x52 };
	EVP_PKEY *k = new_key();
	X509 *old = ir(k, "/CN=Phạm Thị Dung/serialNumber=VN-31/O=UBND xã Hòa Bình/ST=Tỉnh Hà Tây", NULL), *x, *again;
	struct ca_cert_row ro, rn;
	char buf[128];
	int64_t before = ca_db_cert_count(fx.ca->db, NULL);
	int fi;

	assert_non_null(old);
	set_same_key(CA_SAME_KEY_MODIFICATION | CA_SAME_KEY_RENEWAL, 0);
	sleep(1); /* a new certificate's own validity would end a second later than the old one's */
	x = kur_same(old, "/CN=Phạm Thị Dung/serialNumber=VN-31/O=UBND phường Hà Đông/ST=Thành phố Hà Nội",
		     "purpose?modification%", tid, &fi, NULL, 0);
	assert_non_null(x);
	assert_true(pubkey_equal(x, old));
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName, buf, sizeof(buf)),
			 (int)strlen("UBND phường Hà Đông"));
	assert_string_equal(buf, "UBND phường Hà Đông");
	row_of(old, &ro);
	row_of(x, &rn);
	assert_int_equal(rn.not_after, ro.not_after); /* the key's life is not extended */
	assert_string_equal(rn.holder, "VN-31");
	assert_string_equal(rn.iccid, "89840400000000000017");
	assert_string_equal(rn.profile, "signing");
	assert_string_equal(rn.pubkey_sha256, ro.pubkey_sha256);
	assert_false(ro.revoked); /* the old one stays good: the RA revokes it once the SIM has the new one */
	assert_int_equal(ca_db_cert_count(fx.ca->db, NULL), before + 1);
	/* the same transaction asked again: the same certificate */
	again = kur_same(old, "/CN=Phạm Thị Dung/serialNumber=VN-31/O=UBND phường Hà Đông/ST=Thành phố Hà Nội",
			 "purpose?modification%", tid, &fi, NULL, 0);
	assert_non_null(again);
	assert_int_equal(X509_cmp(x, again), 0);
	assert_int_equal(ca_db_cert_count(fx.ca->db, NULL), before + 1);
	/* a subject attribute not allowed: as for any request */
	assert_null(kur_same(old, "/CN=X/serialNumber=VN-31/emailAddress=a@b", "purpose?modification%", NULL, &fi, NULL,
			     0));
	assert_true(fi & BIT(badCertTemplate));
	X509_free(again);
	X509_free(x);
	X509_free(old);
	EVP_PKEY_free(k);
}

static void test_renewal(void **state)
{
	EVP_PKEY *k = new_key(), *k2 = new_key();
	X509 *old = ir(k, "/CN=Hoàng Văn Em/serialNumber=VN-32", NULL), *x, *newkey;
	struct ca_cert_row ro, rn, fake;
	int64_t now = ca_now();
	char text[256];
	int fi;

	assert_non_null(old);
	row_of(old, &ro);
	/* no lifetime limit: the profile's days from now, the old subject */
	set_same_key(CA_SAME_KEY_RENEWAL, 0);
	x = kur_same(old, NULL, "purpose?renewal%", NULL, &fi, NULL, 0);
	assert_non_null(x);
	assert_true(pubkey_equal(x, old));
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(old)), 0);
	row_of(x, &rn);
	assert_true(rn.not_after >= now + 1825 * 86400 - 120);
	assert_string_equal(rn.holder, "VN-32");
	X509_free(x);
	/* a lifetime of 10 days from the key's first certificate */
	set_same_key(CA_SAME_KEY_RENEWAL, 10);
	x = kur_same(old, NULL, "purpose?renewal%", NULL, &fi, NULL, 0);
	assert_non_null(x);
	row_of(x, &rn);
	assert_int_equal(rn.not_after, ro.not_before + 10 * 86400);
	X509_free(x);
	/* the key's first certificate 20 days ago (a record of it): nothing is left */
	memset(&fake, 0, sizeof(fake));
	fake = ro;
	snprintf(fake.serial, sizeof(fake.serial), "4d000000000000000000000000000020");
	fake.not_before = now - 20 * 86400;
	fake.txid[0] = 0;
	fake.der = (uint8_t *)"\x30\x00";
	fake.der_len = 2;
	assert_int_equal(ca_db_cert_add(fx.ca->db, &fake), 0);
	assert_null(kur_same(old, NULL, "purpose?renewal%", NULL, &fi, text, sizeof(text)));
	assert_true(fi & BIT(badRequest));
	assert_non_null(strstr(text, "lifetime"));
	/* modification is not allowed by this profile now */
	assert_null(
		kur_same(old, "/CN=Hoàng Văn Em/serialNumber=VN-32/O=X", "purpose?modification%", NULL, &fi, NULL, 0));
	assert_true(fi & BIT(badRequest));
	/* a kur with a new key needs no purpose (signature POPO by the new key) */
	{
		OSSL_CMP_CTX *ctx = client();

		assert_true(OSSL_CMP_CTX_set1_oldCert(ctx, old));
		assert_true(EVP_PKEY_up_ref(k2));
		assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, k2));
		newkey = OSSL_CMP_exec_KUR_ses(ctx);
		assert_non_null(newkey);
		assert_false(pubkey_equal(newkey, old));
		OSSL_CMP_CTX_free(ctx);
	}
	set_same_key(0, 0);
	X509_free(old);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

static void test_key_compromised(void **state)
{
	EVP_PKEY *k = new_key();
	X509 *a = ir(k, "/CN=Bùi Thị Gấm/serialNumber=VN-33", NULL),
	     *b = ir(k, "/CN=Bùi Thị Gấm/serialNumber=VN-34", NULL);
	OSSL_CMP_CTX *ctx;
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = ca_subject_parse("/CN=Bùi Thị Gấm/serialNumber=VN-35");
	char text[256];
	int fi;

	assert_non_null(a);
	assert_non_null(b);
	set_same_key(CA_SAME_KEY_MODIFICATION | CA_SAME_KEY_RENEWAL, 0);
	assert_int_equal(rr(a, 1, &fi), 1);
	/* ir for the key */
	assert_null(ir(k, "/CN=Bùi Thị Gấm/serialNumber=VN-35", &fi));
	assert_true(fi & BIT(badCertTemplate));
	/* a same-key kur of b, still good, for the key */
	assert_null(kur_same(b, NULL, "purpose?renewal%", NULL, &fi, text, sizeof(text)));
	assert_true(fi & BIT(badCertTemplate));
	assert_non_null(strstr(text, "key compromised"));
	/* p10cr for the key */
	ctx = client();
	assert_true(X509_REQ_set_subject_name(req, n));
	assert_true(X509_REQ_set_pubkey(req, k));
	assert_true(X509_REQ_sign(req, k, EVP_sha256()));
	assert_true(OSSL_CMP_CTX_set1_p10CSR(ctx, req));
	assert_null(OSSL_CMP_exec_P10CR_ses(ctx));
	assert_int_equal(OSSL_CMP_CTX_get_status(ctx), OSSL_CMP_PKISTATUS_rejection);
	assert_true(OSSL_CMP_CTX_get_failInfoCode(ctx) & BIT(badCertTemplate));
	OSSL_CMP_CTX_free(ctx);
	ERR_clear_error();
	/* another key is fine */
	{
		EVP_PKEY *k2 = new_key();
		X509 *c = ir(k2, "/CN=Bùi Thị Gấm/serialNumber=VN-35", &fi);

		assert_non_null(c);
		X509_free(c);
		EVP_PKEY_free(k2);
	}
	set_same_key(0, 0);
	X509_NAME_free(n);
	X509_REQ_free(req);
	X509_free(a);
	X509_free(b);
	EVP_PKEY_free(k);
}

/* Whether the CRL published now lists \a x; its reasonCode into *reason (-1 none). */
static bool crl_lists(X509 *x, int *reason)
{
	char err[256], path[128];
	X509_CRL *crl;
	FILE *f;
	bool found = false;

	assert_int_equal(ca_crl_publish(fx.ca, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/ca.crl", fx.dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	crl = d2i_X509_CRL_fp(f, NULL);
	fclose(f);
	assert_non_null(crl);
	for (int i = 0; i < sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)); i++) {
		X509_REVOKED *rev = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), i);
		ASN1_ENUMERATED *e;

		if (ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(rev), X509_get0_serialNumber(x)))
			continue;
		e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
		*reason = e ? (int)ASN1_ENUMERATED_get(e) : -1;
		ASN1_ENUMERATED_free(e);
		found = true;
	}
	X509_CRL_free(crl);
	return found;
}

static void ocsp_state(X509 *x, struct ca_cert_state *st)
{
	const ASN1_INTEGER *ai = X509_get0_serialNumber(x);

	assert_int_equal(ca_status_lookup(ai->data, (size_t)ai->length, st, fx.ca), 0);
}

static void test_hold_release(void **state)
{
	EVP_PKEY *k = new_key();
	X509 *x = ir(k, "/CN=Đỗ Văn Hùng/serialNumber=VN-36", NULL);
	struct ca_cert_state st;
	struct ca_cert_row r;
	int fi, reason = -2;

	assert_non_null(x);
	set_same_key(CA_SAME_KEY_RENEWAL, 0);
	/* removeFromCRL of a good certificate; reason 7 */
	assert_int_equal(rr(x, 8, &fi), 0);
	assert_true(fi & BIT(badRequest));
	assert_int_equal(rr(x, 7, &fi), 0);
	assert_true(fi & BIT(badRequest));
	/* on hold */
	assert_int_equal(rr(x, 6, &fi), 1);
	row_of(x, &r);
	assert_true(r.hold);
	assert_int_equal(r.reason, 6);
	ocsp_state(x, &st);
	assert_int_equal(st.status, CA_CERT_REVOKED);
	assert_int_equal(st.reason, 6);
	assert_true(crl_lists(x, &reason));
	assert_int_equal(reason, 6);
	/* on hold again: refused; kur of it: certRevoked */
	assert_int_equal(rr(x, 6, &fi), 0);
	assert_true(fi & BIT(certRevoked));
	assert_null(kur_same(x, NULL, "purpose?renewal%", NULL, &fi, NULL, 0));
	assert_true(fi & BIT(certRevoked));
	/* released: good, off the CRL, kur works again */
	assert_int_equal(rr(x, 8, &fi), 1);
	row_of(x, &r);
	assert_false(r.hold);
	assert_false(r.revoked);
	ocsp_state(x, &st);
	assert_int_equal(st.status, CA_CERT_GOOD);
	assert_false(crl_lists(x, &reason));
	{
		X509 *n = kur_same(x, NULL, "purpose?renewal%", NULL, &fi, NULL, 0);

		assert_non_null(n);
		X509_free(n);
	}
	/* on hold, then revoked for good (superseded): final, release refused */
	assert_int_equal(rr(x, 6, &fi), 1);
	assert_int_equal(rr(x, 4, &fi), 1);
	row_of(x, &r);
	assert_false(r.hold);
	assert_true(r.revoked);
	assert_int_equal(r.reason, 4);
	assert_int_equal(rr(x, 8, &fi), 0);
	assert_true(fi & BIT(badRequest));
	assert_true(crl_lists(x, &reason));
	assert_int_equal(reason, 4);
	assert_int_equal(ca_release(fx.ca, r.serial, "test"), -EINVAL);
	assert_int_equal(ca_release(fx.ca, "00", "test"), -ENOENT);
	set_same_key(0, 0);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* Many same-key renewals in a row (CA_KUR_N, default 100): each issued, the time printed (the client's and the
 * CA's work in this one process, no HTTP; the records' fdatasync per certificate included). */
static void test_many(void **state)
{
	EVP_PKEY *k = new_key();
	X509 *old = ir(k, "/CN=Vũ Thị Lan/serialNumber=VN-37", NULL), *x;
	unsigned n = getenv("CA_KUR_N") ? (unsigned)atoi(getenv("CA_KUR_N")) : 100;
	struct timespec t0, t1;
	double s;
	int fi;

	assert_non_null(old);
	set_same_key(CA_SAME_KEY_RENEWAL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < n; i++) {
		x = kur_same(old, NULL, "purpose?renewal%", NULL, &fi, NULL, 0);
		assert_non_null(x);
		X509_free(x);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%u same-key kur in-process: %.2f s, %.2f ms each\n", n, s, 1000 * s / n);
	set_same_key(0, 0);
	X509_free(old);
	EVP_PKEY_free(k);
}

static int setup(void **state)
{
	return ca_fixture_init(&fx, NULL, getenv("CA_TEST_VERBOSE") != NULL);
}

static int teardown(void **state)
{
	ca_fixture_free(&fx);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_key_refusals), cmocka_unit_test(test_modification),
		cmocka_unit_test(test_renewal),		  cmocka_unit_test(test_key_compromised),
		cmocka_unit_test(test_hold_release),	  cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
