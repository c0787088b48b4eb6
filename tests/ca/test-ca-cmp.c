/* Unit tests of simpki-ca's CMP server and issuing (ota-server/ca/ca_cmp.c, ca_issue.c, ca_publish.c) with OpenSSL's
 * own CMP client in the same process (its transfer callback calls ca_cmp_handle(), the function the HTTP layer
 * calls), on the fixed test PKI (tests/support/ca_fixture.h): a PKCS#10 with a subjectAltName permanentIdentifier
 * (the holder id taken from it, the signing profile's keyUsage and policy) and the ICCID in a generalInfo ITAV; the
 * certProfile ITAV of generalInfo choosing 'authentication', and the ICCID from CRMF regInfo utf8Pairs; an unknown
 * profile refused (badCertTemplate); rr with a reason, then a CRL listing it; a certConf that rejects the
 * certificate revokes it (cessationOfOperation); two transactions interleaved; an expired RA refused
 * (notAuthorized); the subject parser of 'init' and the reason names; repeated transactions (a p10cr or ir sent
 * again with its transactionID: the same certificate, one record, its certConf taken, also after a first exchange
 * whose certConf never came; another key with it refused (badRequest, transactionIdInUse); a new transactionID a new
 * certificate; a transaction whose certificate the requester refused and so was revoked: certRevoked). With
 * CA_CMP_DUMP_DIR set, every request is written there (seeds for tests/fuzz/fuzz-cmp-server). */
#include <errno.h>
#include <string.h>
#include <time.h>

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

static bool interleave;	   /* before the next certConf, a whole other transaction runs */
static bool drop_certconf; /* the next certConf is lost: the requester died after the answer came */
static X509 *interleaved_cert;
static OSSL_CMP_CTX *client(void);
static EVP_PKEY *new_key(void);

static OSSL_CMP_MSG *transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
	if (interleave && OSSL_CMP_MSG_get_bodytype(req) == 24 /* certConf */) {
		OSSL_CMP_CTX *other = client();
		X509_NAME *name = ca_subject_parse("/CN=Other/serialNumber=VN-15");

		interleave = false;
		OSSL_CMP_CTX_set1_subjectName(other, name);
		OSSL_CMP_CTX_set0_newPkey(other, 1, new_key());
		interleaved_cert = OSSL_CMP_exec_IR_ses(other);
		if (interleaved_cert)
			interleaved_cert = X509_dup(interleaved_cert);
		X509_NAME_free(name);
		OSSL_CMP_CTX_free(other);
	}
	if (drop_certconf && OSSL_CMP_MSG_get_bodytype(req) == 24 /* certConf */) {
		drop_certconf = false;
		return NULL;
	}
	return ca_cmp_client_roundtrip(fx.ca, req, "unit", 2);
}

/* A client context: the RA's certificate and key, trusting the test CA, talking to ca_cmp_handle(). */
static OSSL_CMP_CTX *client(void)
{
	return ca_cmp_client_new(&fx, transfer);
}

static EVP_PKEY *new_key(void)
{
	return ca_cmp_client_key();
}

static void profile_itav(OSSL_CMP_CTX *ctx, const char *name)
{
	ASN1_TYPE *v = ASN1_TYPE_new();
	ASN1_STRING *seq = ASN1_STRING_new();
	unsigned char der[64], *w = der;
	int n = (int)strlen(name);

	/* SEQUENCE { UTF8String name } */
	ASN1_put_object(&w, 1, n + 2, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	ASN1_put_object(&w, 0, n, V_ASN1_UTF8STRING, V_ASN1_UNIVERSAL);
	memcpy(w, name, (size_t)n);
	w += n;
	assert_true(ASN1_STRING_set(seq, der, (int)(w - der)));
	ASN1_TYPE_set(v, V_ASN1_SEQUENCE, seq);
	assert_true(
		OSSL_CMP_CTX_push0_geninfo_ITAV(ctx, OSSL_CMP_ITAV_create(OBJ_txt2obj("1.3.6.1.5.5.7.4.21", 1), v)));
}

static void row_of(X509 *x, struct ca_cert_row *r)
{
	struct ca_cert_row tmp;

	ca_row_from_cert(x, &tmp);
	assert_int_equal(ca_db_cert_get(fx.ca->db, tmp.serial, NULL, r), 0);
}

static void test_p10cr_san_holder(void **state)
{
	OSSL_CMP_CTX *ctx = client();
	EVP_PKEY *k = new_key();
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = ca_subject_parse("/CN=Nguyễn Văn An/serialNumber=VN-10/O=UBND tỉnh Lào Cai/C=VN");
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509 *x;
	struct ca_cert_row r;
	char holder[CA_HOLDER_MAX + 1];
	CERTIFICATEPOLICIES *pols;
	ASN1_BIT_STRING *ku;

	assert_non_null(n);
	/* the holder id in the request's subjectAltName permanentIdentifier wins over its serialNumber */
	assert_true(X509_REQ_set_subject_name(req, n));
	assert_true(X509_REQ_set_pubkey(req, k));
	{
		GENERAL_NAMES *names = GENERAL_NAMES_new();
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_TYPE *v = ASN1_TYPE_new();
		ASN1_STRING *seq = ASN1_STRING_new();
		static const unsigned char pi[] = {
			0x30, 0x0b, 0x0c, 0x09, 'H', 'O', 'L', 'D', 'E', 'R', '-', '1', '0'
		};

		assert_true(ASN1_STRING_set(seq, pi, sizeof(pi)));
		ASN1_TYPE_set(v, V_ASN1_SEQUENCE, seq);
		assert_true(GENERAL_NAME_set0_othername(g, OBJ_txt2obj(CA_OID_PERMANENT_IDENTIFIER, 1), v));
		assert_true(sk_GENERAL_NAME_push(names, g));
		assert_true(X509V3_add1_i2d(&exts, NID_subject_alt_name, names, 0, 0));
		GENERAL_NAMES_free(names);
	}
	assert_true(X509_REQ_add_extensions(req, exts));
	assert_true(X509_REQ_sign(req, k, EVP_sha256()));
	assert_true(OSSL_CMP_CTX_set1_p10CSR(ctx, req));
	{ /* the ICCID in a generalInfo ITAV of type id-regInfo-utf8Pairs: the SIM's PKCS#10 cannot carry it */
		ASN1_TYPE *v = ASN1_TYPE_new();
		ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();

		assert_true(ASN1_STRING_set(u, "iccid?89840123456789012340%", -1));
		ASN1_TYPE_set(v, V_ASN1_UTF8STRING, u);
		assert_true(OSSL_CMP_CTX_push0_geninfo_ITAV(
			ctx, OSSL_CMP_ITAV_create(OBJ_txt2obj("1.3.6.1.5.5.7.5.2.1", 1), v)));
	}
	x = OSSL_CMP_exec_P10CR_ses(ctx);
	assert_non_null(x);
	assert_int_equal(ca_san_holder(X509_get0_extensions(x), holder, sizeof(holder)), 1);
	assert_string_equal(holder, "HOLDER-10");
	ku = X509_get_ext_d2i(x, NID_key_usage, NULL, NULL);
	assert_non_null(ku);
	assert_true(ASN1_BIT_STRING_get_bit(ku, 0)); /* digitalSignature */
	assert_true(ASN1_BIT_STRING_get_bit(ku, 1)); /* nonRepudiation */
	ASN1_BIT_STRING_free(ku);
	pols = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	assert_non_null(pols);
	assert_int_equal(sk_POLICYINFO_num(pols), 1);
	sk_POLICYINFO_pop_free(pols, POLICYINFO_free);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(fx.ca->cert)), 1);
	row_of(x, &r);
	assert_string_equal(r.holder, "HOLDER-10");
	assert_string_equal(r.iccid, "89840123456789012340");
	assert_string_equal(r.profile, "signing");
	assert_string_equal(r.requested_by, "/CN=simpki-otad RA/O=simpki test");
	assert_non_null(strstr(r.subject, "CN=Nguyễn Văn An"));
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(n);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	OSSL_CMP_CTX_free(ctx);
}

static void test_ir_profile_iccid(void **state)
{
	OSSL_CMP_CTX *ctx = client();
	EVP_PKEY *k = new_key();
	X509_NAME *n = ca_subject_parse("/CN=Trần Thị Bình/serialNumber=VN-11");
	ASN1_UTF8STRING *pairs = ASN1_UTF8STRING_new();
	OSSL_CRMF_MSG *crm;
	struct ca_cert_row r;
	ASN1_BIT_STRING *ku;
	X509 *x;

	assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, n));
	assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, k));
	profile_itav(ctx, "authentication");
	crm = OSSL_CMP_CTX_setup_CRM(ctx, 0, 0);
	assert_non_null(crm);
	assert_true(ASN1_STRING_set(pairs, "iccid?8984012345678901234%", -1));
	assert_true(OSSL_CRMF_MSG_set1_regInfo_utf8Pairs(crm, pairs));
	assert_true(OSSL_CRMF_MSG_create_popo(OSSL_CRMF_POPO_SIGNATURE, crm, k, EVP_sha256(), NULL, NULL));
	x = OSSL_CMP_exec_certreq(ctx, OSSL_CMP_IR, crm);
	assert_non_null(x);
	ku = X509_get_ext_d2i(x, NID_key_usage, NULL, NULL);
	assert_true(ASN1_BIT_STRING_get_bit(ku, 0));
	assert_false(ASN1_BIT_STRING_get_bit(ku, 1));
	ASN1_BIT_STRING_free(ku);
	assert_null(X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL));
	row_of(x, &r);
	assert_string_equal(r.profile, "authentication");
	assert_string_equal(r.iccid, "8984012345678901234");
	assert_string_equal(r.holder, "VN-11");
	assert_true(r.not_after - r.not_before < 366 * 86400);
	OSSL_CRMF_MSG_free(crm);
	ASN1_UTF8STRING_free(pairs);
	X509_NAME_free(n);
	OSSL_CMP_CTX_free(ctx);
}

static void test_unknown_profile(void **state)
{
	OSSL_CMP_CTX *ctx = client();
	X509_NAME *n = ca_subject_parse("/CN=X/serialNumber=VN-12");

	assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, n));
	assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key()));
	profile_itav(ctx, "nosuch");
	assert_null(OSSL_CMP_exec_IR_ses(ctx));
	assert_int_equal(OSSL_CMP_CTX_get_status(ctx), OSSL_CMP_PKISTATUS_rejection);
	assert_true(OSSL_CMP_CTX_get_failInfoCode(ctx) & (1 << OSSL_CMP_PKIFAILUREINFO_badCertTemplate));
	X509_NAME_free(n);
	OSSL_CMP_CTX_free(ctx);
	ERR_clear_error();
}

/* The client refuses the new certificate in its certConf. */
static int refuse_cert(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info, const char **txt)
{
	*txt = "not this one";
	return 1 << OSSL_CMP_PKIFAILUREINFO_badCertTemplate;
}

static void test_certconf_reject(void **state)
{
	OSSL_CMP_CTX *ctx = client();
	X509_NAME *n = ca_subject_parse("/CN=Y/serialNumber=VN-13");
	int64_t revoked = 0, before;

	before = ca_db_cert_count(fx.ca->db, &revoked);
	assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, n));
	assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key()));
	assert_true(OSSL_CMP_CTX_set_certConf_cb(ctx, refuse_cert));
	assert_null(OSSL_CMP_exec_IR_ses(ctx)); /* the client gives up on it */
	assert_int_equal(ca_db_cert_count(fx.ca->db, &revoked), before + 1);
	X509_NAME_free(n);
	OSSL_CMP_CTX_free(ctx);
	ERR_clear_error();
}

static void copy_row(const struct ca_cert_row *r, void *priv)
{
	memcpy(priv, r, sizeof(*r));
}

static void test_certconf_reject_revokes(void **state)
{
	struct ca_cert_row r;

	assert_int_equal(ca_db_certs_find(fx.ca->db, CA_DB_BY_HOLDER, "VN-13", 1, copy_row, &r), 1);
	assert_true(r.revoked);
	assert_int_equal(r.reason, 5);
}

static void test_rr_and_crl(void **state)
{
	OSSL_CMP_CTX *ctx = client();
	X509_NAME *n = ca_subject_parse("/CN=Z/serialNumber=VN-14");
	struct ca_cert_row r;
	char err[256], path[128];
	X509_CRL *crl;
	FILE *f;
	X509 *x;
	int found = 0;

	assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, n));
	assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key()));
	x = OSSL_CMP_exec_IR_ses(ctx);
	assert_non_null(x);
	x = X509_dup(x);
	OSSL_CMP_CTX_free(ctx);
	ctx = client();
	assert_true(OSSL_CMP_CTX_set1_oldCert(ctx, x));
	assert_true(OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_REVOCATION_REASON, 1));
	assert_int_equal(OSSL_CMP_exec_RR_ses(ctx), 1);
	row_of(x, &r);
	assert_true(r.revoked);
	assert_int_equal(r.reason, 1);
	/* revoking it again is refused */
	OSSL_CMP_CTX_free(ctx);
	ctx = client();
	assert_true(OSSL_CMP_CTX_set1_oldCert(ctx, x));
	assert_int_equal(OSSL_CMP_exec_RR_ses(ctx), 0);
	assert_true(OSSL_CMP_CTX_get_failInfoCode(ctx) & (1 << OSSL_CMP_PKIFAILUREINFO_certRevoked));

	assert_int_equal(ca_crl_publish(fx.ca, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/ca.crl", fx.dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	crl = d2i_X509_CRL_fp(f, NULL);
	fclose(f);
	assert_non_null(crl);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(fx.ca->cert)), 1);
	for (int i = 0; i < sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)); i++) {
		X509_REVOKED *rev = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), i);
		ASN1_ENUMERATED *reason;

		if (ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(rev), X509_get0_serialNumber(x)))
			continue;
		reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
		assert_non_null(reason);
		assert_int_equal(ASN1_ENUMERATED_get(reason), 1);
		ASN1_ENUMERATED_free(reason);
		found = 1;
	}
	assert_true(found);
	X509_CRL_free(crl);
	X509_free(x);
	X509_NAME_free(n);
	OSSL_CMP_CTX_free(ctx);
	ERR_clear_error();
}

/* Two clients' transactions interleaved (ir A, ir B, certConf B, certConf A): each certConf reaches its own
 * transaction, both certificates are confirmed, none is waiting afterwards. */
static void test_interleaved(void **state)
{
	OSSL_CMP_CTX *ctx = client();
	X509_NAME *n = ca_subject_parse("/CN=First/serialNumber=VN-16");

	assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, n));
	assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key()));
	interleave = true;
	assert_non_null(OSSL_CMP_exec_IR_ses(ctx));
	assert_false(interleave);
	assert_non_null(interleaved_cert);
	assert_true(llist_empty(&fx.ca->pending));
	X509_free(interleaved_cert);
	X509_NAME_free(n);
	OSSL_CMP_CTX_free(ctx);
}

/* An RA certificate that ra-trust names but whose validity is over no longer protects requests. */
static void test_expired_ra(void **state)
{
	EVP_PKEY *k = new_key();
	X509 *ra = X509_new();
	OSSL_CMP_CTX *ctx = client();
	X509_NAME *n = ca_subject_parse("/CN=Old RA/O=simpki test");
	X509_NAME *subj = ca_subject_parse("/CN=X/serialNumber=VN-17");
	time_t now = time(NULL);

	assert_true(X509_set_version(ra, X509_VERSION_3));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(ra), 4242));
	assert_true(X509_set_issuer_name(ra, X509_get_subject_name(fx.ca->cert)));
	assert_true(X509_set_subject_name(ra, n));
	assert_true(X509_set_pubkey(ra, k));
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(ra), -2, 0, &now));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(ra), -1, 0, &now));
	assert_true(X509_sign(ra, fx.ca->key, EVP_sha256()));
	assert_true(X509_up_ref(ra));
	assert_true(sk_X509_push(fx.ca->ra_certs, ra));
	assert_true(OSSL_CMP_CTX_set1_cert(ctx, ra));
	assert_true(OSSL_CMP_CTX_set1_pkey(ctx, k));
	assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, subj));
	assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key()));
	assert_null(OSSL_CMP_exec_IR_ses(ctx));
	assert_int_equal(OSSL_CMP_CTX_get_status(ctx), OSSL_CMP_PKISTATUS_rejection);
	assert_true(OSSL_CMP_CTX_get_failInfoCode(ctx) & (1 << OSSL_CMP_PKIFAILUREINFO_notAuthorized));
	X509_free(sk_X509_pop(fx.ca->ra_certs));
	X509_free(ra);
	X509_NAME_free(n);
	X509_NAME_free(subj);
	EVP_PKEY_free(k);
	OSSL_CMP_CTX_free(ctx);
	ERR_clear_error();
}

/* A p10cr for \a k (subject /CN=Repeat/serialNumber=VN-20) with transactionID \a tid (16 bytes). \returns the
 * certificate (a copy) or NULL with the failInfo bits in *fail_info. */
static X509 *p10cr_tid(EVP_PKEY *k, const uint8_t *tid, int *fail_info)
{
	OSSL_CMP_CTX *ctx = client();
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = ca_subject_parse("/CN=Repeat/serialNumber=VN-20");
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509 *x;

	assert_true(ASN1_OCTET_STRING_set(os, tid, 16));
	assert_true(OSSL_CMP_CTX_set1_transactionID(ctx, os));
	assert_true(X509_REQ_set_subject_name(req, n));
	assert_true(X509_REQ_set_pubkey(req, k));
	assert_true(X509_REQ_sign(req, k, EVP_sha256()));
	assert_true(OSSL_CMP_CTX_set1_p10CSR(ctx, req));
	x = OSSL_CMP_exec_P10CR_ses(ctx);
	x = x ? X509_dup(x) : NULL;
	*fail_info = OSSL_CMP_CTX_get_failInfoCode(ctx);
	ASN1_OCTET_STRING_free(os);
	X509_NAME_free(n);
	X509_REQ_free(req);
	OSSL_CMP_CTX_free(ctx);
	ERR_clear_error();
	return x;
}

static void assert_same_cert(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int na = i2d_X509(a, &da), nb = i2d_X509(b, &db);

	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(da, db, (size_t)na);
	OPENSSL_free(da);
	OPENSSL_free(db);
}

static void test_repeated_transaction(void **state)
{
	static const uint8_t tid[16] = { 0x7a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0x7b };
	uint8_t tid2[16];
	EVP_PKEY *k = new_key(), *other = new_key();
	int64_t before = ca_db_cert_count(fx.ca->db, NULL);
	struct ca_cert_row r;
	X509 *x, *again, *x2;
	int fi;

	/* the first exchange: issued, but the certConf never comes (the requester was killed) */
	drop_certconf = true;
	assert_null(p10cr_tid(k, tid, &fi));
	assert_false(drop_certconf);
	assert_int_equal(ca_db_cert_count(fx.ca->db, NULL), before + 1);
	assert_false(llist_empty(&fx.ca->pending));
	/* asked again with the same transactionID: the same certificate, confirmed; nothing waits any more */
	x = p10cr_tid(k, tid, &fi);
	assert_non_null(x);
	assert_int_equal(ca_db_cert_count(fx.ca->db, NULL), before + 1);
	assert_true(llist_empty(&fx.ca->pending));
	row_of(x, &r);
	assert_string_equal(r.txid, "7a0102030405060708090a0b0c0d0e7b");
	assert_false(r.revoked);
	/* and again: the same DER */
	again = p10cr_tid(k, tid, &fi);
	assert_non_null(again);
	assert_same_cert(x, again);
	assert_int_equal(ca_db_cert_count(fx.ca->db, NULL), before + 1);
	/* another key with that transactionID: refused */
	assert_null(p10cr_tid(other, tid, &fi));
	assert_true(fi & (1 << OSSL_CMP_PKIFAILUREINFO_badRequest));
	assert_true(fi & (1 << OSSL_CMP_PKIFAILUREINFO_transactionIdInUse));
	assert_int_equal(ca_db_cert_count(fx.ca->db, NULL), before + 1);
	/* a new transactionID: a new certificate, for the same key too */
	memcpy(tid2, tid, sizeof(tid2));
	tid2[0] ^= 0xff;
	x2 = p10cr_tid(k, tid2, &fi);
	assert_non_null(x2);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber(x2)), 0);
	assert_int_equal(ca_db_cert_count(fx.ca->db, NULL), before + 2);
	assert_int_equal(
		ca_db_certs_find(fx.ca->db, CA_DB_BY_TXID, "7A0102030405060708090A0B0C0D0E7B", 10, copy_row, &r), 1);
	X509_free(x);
	X509_free(again);
	X509_free(x2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/* ir (CRMF) repeated: the same certificate; a transaction whose certificate the requester refused (revoked by its
 * certConf) is not answered again: certRevoked. */
static void test_repeated_ir_revoked(void **state)
{
	static const uint8_t tid[16] = { 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
					 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x01 };
	static const uint8_t tid_refused[16] = { 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
						 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x02 };
	X509_NAME *n = ca_subject_parse("/CN=Repeat IR/serialNumber=VN-21");
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	EVP_PKEY *k = new_key();
	int64_t before = ca_db_cert_count(fx.ca->db, NULL);
	X509 *x[2];
	OSSL_CMP_CTX *ctx;

	for (int i = 0; i < 2; i++) {
		ctx = client();
		assert_true(ASN1_OCTET_STRING_set(os, tid, 16));
		assert_true(OSSL_CMP_CTX_set1_transactionID(ctx, os));
		assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, n));
		assert_true(EVP_PKEY_up_ref(k));
		assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, k));
		x[i] = OSSL_CMP_exec_IR_ses(ctx);
		assert_non_null(x[i]);
		x[i] = X509_dup(x[i]);
		OSSL_CMP_CTX_free(ctx);
	}
	assert_same_cert(x[0], x[1]);
	assert_int_equal(ca_db_cert_count(fx.ca->db, NULL), before + 1);
	for (int i = 0; i < 2; i++) {
		ctx = client();
		assert_true(ASN1_OCTET_STRING_set(os, tid_refused, 16));
		assert_true(OSSL_CMP_CTX_set1_transactionID(ctx, os));
		assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, n));
		assert_true(EVP_PKEY_up_ref(k));
		assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, k));
		assert_true(OSSL_CMP_CTX_set_certConf_cb(ctx, refuse_cert));
		assert_null(OSSL_CMP_exec_IR_ses(ctx));
		if (i == 1) {
			assert_int_equal(OSSL_CMP_CTX_get_status(ctx), OSSL_CMP_PKISTATUS_rejection);
			assert_true(OSSL_CMP_CTX_get_failInfoCode(ctx) & (1 << OSSL_CMP_PKIFAILUREINFO_certRevoked));
		}
		OSSL_CMP_CTX_free(ctx);
		ERR_clear_error();
	}
	assert_int_equal(ca_db_cert_count(fx.ca->db, NULL), before + 2);
	X509_free(x[0]);
	X509_free(x[1]);
	EVP_PKEY_free(k);
	ASN1_OCTET_STRING_free(os);
	X509_NAME_free(n);
}

static void test_subject_parse_reasons(void **state)
{
	X509_NAME *n = ca_subject_parse("/CN=A\\/B/O=Ban Cơ yếu");
	char buf[128];

	assert_non_null(n);
	assert_int_equal(X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "A/B");
	X509_NAME_free(n);
	assert_null(ca_subject_parse("CN=x"));
	assert_null(ca_subject_parse("/CN"));
	assert_null(ca_subject_parse("/"));
	assert_null(ca_subject_parse("/NOSUCH=x"));
	assert_int_equal(ca_reason_parse("keyCompromise"), 1);
	assert_int_equal(ca_reason_parse("superseded"), 4);
	assert_int_equal(ca_reason_parse("nonsense"), -1);
	assert_string_equal(ca_reason_name(5), "cessationOfOperation");
	assert_null(ca_reason_name(7));
	assert_int_equal(ca_revoke(fx.ca, "00", 8, "test"), -EINVAL);
	assert_int_equal(ca_revoke(fx.ca, "00", 1, "test"), -ENOENT);
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
		cmocka_unit_test(test_p10cr_san_holder),
		cmocka_unit_test(test_ir_profile_iccid),
		cmocka_unit_test(test_unknown_profile),
		cmocka_unit_test(test_certconf_reject),
		cmocka_unit_test(test_certconf_reject_revokes),
		cmocka_unit_test(test_rr_and_crl),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_expired_ra),
		cmocka_unit_test(test_repeated_transaction),
		cmocka_unit_test(test_repeated_ir_revoked),
		cmocka_unit_test(test_subject_parse_reasons),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
