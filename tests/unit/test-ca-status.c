/* Unit tests for ota-server/ca/status (ca_status.h), against a throwaway CA made in memory
 * (tests/support/ca-fixture.h):
 * - ca_crl_build(): the entries with their reasons (none for -1 and 0), sorted; the signature verifies with the CA's
 *   key; cRLNumber, authorityKeyIdentifier (= the CA's SKI) and the critical issuingDistributionPoint; errors from
 *   the records (-EIO), bad parameters, bad serials and reasons, a key that is not the CA's (-EINVAL).
 * - ca_ocsp_answer(): good, revoked (time and reason), unknown for a serial never issued, for another issuer's CertID
 *   and for a CertID hashed with SHA-384; SHA-1 and SHA-256 CertIDs and several single requests in one request;
 *   thisUpdate/nextUpdate; responderID by key hash; the response verifies (OCSP_basic_verify, the CA as the only
 *   trust anchor) when signed by the delegated signer (included) and by the CA (nothing included); the nonce echoed;
 *   malformedRequest for a truncated, garbage, too long, trailing-byte, empty request, too many IDs, a 40-byte, an
 *   empty or a doubled nonce; internalError when the lookup fails.
 * - the cache: a second nonce-less request gets the byte-identical response (no new signature); forget() and a
 *   changed state (without forget) get a fresh one; refresh_s before nextUpdate it is signed again; a full cache
 *   drops its oldest; requests with a nonce, several IDs or an unknown serial are never cached.
 * - ca_ocsp_get_decode(): base64 with and without percent-escapes of '/', '+', '=' (either case), and refusals.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca_status.h"
#include "ca-fixture.h"
#include "unit.h"

static struct ca_fixture fx, other;

/* ---- the CA's records: a small table, and a switch to make them fail ---- */

struct record {
	uint8_t serial[CA_SERIAL_MAX];
	size_t len;
	struct ca_cert_state st;
};

static struct record records[8];
static size_t n_records;
static bool records_fail;
static unsigned lookups;

static void records_reset(void)
{
	int64_t t = 1700000000;

	memset(records, 0, sizeof(records));
	/* the two leaves: 0x0123 good, 0x4567 revoked (keyCompromise); and three more serials issued, all good */
	records[0] = (struct record){ { 0x01, 0x23 }, 2, { CA_CERT_GOOD, 0, -1 } };
	records[1] = (struct record){ { 0x45, 0x67 }, 2, { CA_CERT_REVOKED, t, 1 } };
	records[2] = (struct record){ { 0x10 }, 1, { CA_CERT_GOOD, 0, -1 } };
	records[3] = (struct record){ { 0x11 }, 1, { CA_CERT_GOOD, 0, -1 } };
	records[4] = (struct record){ { 0x12 }, 1, { CA_CERT_GOOD, 0, -1 } };
	n_records = 5;
	records_fail = false;
	lookups = 0;
}

static int lookup(const uint8_t *s, size_t len, struct ca_cert_state *st, void *priv)
{
	lookups++;
	if (records_fail)
		return -EIO;
	for (size_t i = 0; i < n_records; i++)
		if (records[i].len == len && !memcmp(records[i].serial, s, len)) {
			*st = records[i].st;
			return 0;
		}
	*st = (struct ca_cert_state){ .status = CA_CERT_UNKNOWN, .reason = -1 };
	return 0;
}

/* ---- CRL ---- */

static const struct ca_revoked crl_entries[] = {
	{ { 0x45, 0x67 }, 2, 1700000000, 1 }, /* keyCompromise */
	{ { 0x00, 0x80 }, 2, 1700000100, -1 },
	{ { 0x10 }, 1, 1700000200, 0 }, /* unspecified: no reasonCode */
	{ { 0x33 }, 1, 1700000300, 6 }, /* certificateHold */
};
static int each_fail_at = -1;		    /* the entry index where 'each' reports -EIO */
static const struct ca_revoked *each_extra; /* an entry to give after the table */

static int each(int (*cb)(const struct ca_revoked *r, void *cb_priv), void *cb_priv, void *priv)
{
	int rc;

	for (size_t i = 0; i < sizeof(crl_entries) / sizeof(crl_entries[0]); i++) {
		if ((int)i == each_fail_at)
			return -EIO;
		if ((rc = cb(&crl_entries[i], cb_priv)))
			return rc;
	}
	return each_extra ? cb(each_extra, cb_priv) : 0;
}

static int each_none(int (*cb)(const struct ca_revoked *r, void *cb_priv), void *cb_priv, void *priv)
{
	return 0;
}

static struct ca_status_signer ca_signer(void)
{
	return (struct ca_status_signer){ .ca = fx.ca, .cert = fx.ca, .key = fx.ca_key };
}

static struct ca_status_signer delegated_signer(void)
{
	return (struct ca_status_signer){ .ca = fx.ca, .cert = fx.signer, .key = fx.signer_key };
}

static X509_CRL *build_crl(int *rc_out)
{
	struct ca_status_signer s = ca_signer();
	struct ca_crl_params p = { 42, 1700001000, 1700001000 + 86400, "http://ca.example/crl/test.crl" };
	const uint8_t *q;
	uint8_t *der = NULL;
	size_t len = 0;
	X509_CRL *crl;
	int rc = ca_crl_build(&s, &p, each, NULL, &der, &len);

	*rc_out = rc;
	if (rc)
		return NULL;
	q = der;
	crl = d2i_X509_CRL(NULL, &q, (long)len);
	assert_non_null(crl);
	assert_ptr_equal(q, der + len);
	OPENSSL_free(der);
	return crl;
}

static void test_crl_entries(void **state)
{
	static const struct {
		long serial;
		int reason; /* -1: no extension */
		time_t at;
	} want[] = {
		{ 0x10, -1, 1700000200 }, { 0x33, 6, 1700000300 }, { 0x80, -1, 1700000100 }, { 0x4567, 1, 1700000000 }
	};
	STACK_OF(X509_REVOKED) * revs;
	ASN1_INTEGER *num;
	AUTHORITY_KEYID *akid;
	ISSUING_DIST_POINT *idp;
	GENERAL_NAME *gn;
	int rc, crit = -1;
	X509_CRL *crl = build_crl(&rc);

	assert_int_equal(rc, 0);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(fx.ca)), 1);
	assert_int_not_equal(X509_CRL_verify(crl, X509_get0_pubkey(fx.signer)), 1);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(fx.ca)), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl), 1700001000), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl), 1700001000 + 86400), 0);
	revs = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(revs), 4);
	for (int i = 0; i < 4; i++) {
		X509_REVOKED *r = sk_X509_REVOKED_value(revs, i);
		ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);

		assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(r)), want[i].serial);
		assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r), want[i].at), 0);
		if (want[i].reason < 0)
			assert_null(reason);
		else
			assert_int_equal(ASN1_ENUMERATED_get(reason), want[i].reason);
		ASN1_ENUMERATED_free(reason);
	}
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	assert_non_null(num);
	assert_int_equal(crit, 0);
	assert_int_equal(ASN1_INTEGER_get(num), 42);
	ASN1_INTEGER_free(num);
	akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	assert_non_null(akid);
	assert_non_null(akid->keyid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(fx.ca)), 0);
	AUTHORITY_KEYID_free(akid);
	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
	assert_non_null(idp);
	assert_int_equal(crit, 1);
	assert_int_equal(idp->distpoint->type, 0);
	assert_int_equal(sk_GENERAL_NAME_num(idp->distpoint->name.fullname), 1);
	gn = sk_GENERAL_NAME_value(idp->distpoint->name.fullname, 0);
	assert_int_equal(gn->type, GEN_URI);
	assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
			    "http://ca.example/crl/test.crl");
	ISSUING_DIST_POINT_free(idp);
	X509_CRL_free(crl);
}

static void test_crl_no_idp_no_entries(void **state)
{
	struct ca_status_signer s = ca_signer();
	struct ca_crl_params p = { 1, 1700001000, 1700002000, NULL };
	uint8_t *der = NULL;
	size_t len = 0;
	const uint8_t *q;
	X509_CRL *crl;

	assert_int_equal(ca_crl_build(&s, &p, each_none, NULL, &der, &len), 0);
	q = der;
	crl = d2i_X509_CRL(NULL, &q, (long)len);
	assert_non_null(crl);
	assert_null(X509_CRL_get_REVOKED(crl)); /* revokedCertificates absent, as RFC 5280 §5.1.2.6 wants */
	assert_int_equal(X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1), -1);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(fx.ca)), 1);
	X509_CRL_free(crl);
	OPENSSL_free(der);
}

static void test_crl_errors(void **state)
{
	struct ca_status_signer s = ca_signer(), wrong = { .ca = fx.ca, .cert = fx.ca, .key = fx.signer_key };
	struct ca_crl_params p = { 1, 1700001000, 1700002000, NULL }, backwards = { 1, 1700001000, 1700001000, NULL },
			     bad_url = { 1, 1700001000, 1700002000, "http://a b" };
	static const struct ca_revoked long_serial = { { 0x01 }, 21, 0, -1 }, padded = { { 0x00, 0x01 }, 2, 0, -1 },
				       empty = { { 0 }, 0, 0, -1 }, reason7 = { { 0x01 }, 1, 0, 7 },
				       reason11 = { { 0x01 }, 1, 0, 11 };
	const struct ca_revoked *bad[] = { &long_serial, &padded, &empty, &reason7, &reason11 };
	uint8_t *der = (uint8_t *)"unset";
	size_t len = 0;
	int rc;

	each_fail_at = 2;
	assert_int_equal(ca_crl_build(&s, &p, each, NULL, &der, &len), -EIO);
	assert_string_equal((char *)der, "unset");
	each_fail_at = -1;
	assert_int_equal(ca_crl_build(&s, &backwards, each, NULL, &der, &len), -EINVAL);
	assert_int_equal(ca_crl_build(&s, &bad_url, each, NULL, &der, &len), -EINVAL);
	assert_int_equal(ca_crl_build(&wrong, &p, each, NULL, &der, &len), -EINVAL);
	assert_int_equal(ca_crl_build(&s, &p, NULL, NULL, &der, &len), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		each_extra = bad[i];
		assert_int_equal(ca_crl_build(&s, &p, each, NULL, &der, &len), -EINVAL);
	}
	each_extra = NULL;
	X509_CRL_free(build_crl(&rc));
	assert_int_equal(rc, 0);
}

/* ---- OCSP: requests and answers ---- */

#define T0 ((int64_t)1750000000)

struct id_spec {
	const EVP_MD *(*md)(void);
	bool other_issuer;
	uint8_t serial[4];
	size_t len;
};

static const struct id_spec leaf0_sha1 = { EVP_sha1, false, { 0x01, 0x23 }, 2 };
static const struct id_spec leaf0_sha256 = { EVP_sha256, false, { 0x01, 0x23 }, 2 };
static const struct id_spec leaf1_sha256 = { EVP_sha256, false, { 0x45, 0x67 }, 2 };
static const struct id_spec never_sha1 = { EVP_sha1, false, { 0x77, 0x77 }, 2 };

static OCSP_CERTID *spec_id(const struct id_spec *spec)
{
	return ca_fixture_id(spec->md(), spec->other_issuer ? other.ca : fx.ca, spec->serial, spec->len);
}

static OCSP_REQUEST *new_req(const struct id_spec *const *ids, int n, int nonce_len)
{
	OCSP_REQUEST *r = OCSP_REQUEST_new();

	assert_non_null(r);
	for (int i = 0; i < n; i++)
		assert_non_null(OCSP_request_add0_id(r, spec_id(ids[i])));
	if (nonce_len)
		assert_int_equal(OCSP_request_add1_nonce(r, NULL, nonce_len), 1);
	return r;
}

static uint8_t *req_der(OCSP_REQUEST *r, size_t *len)
{
	uint8_t *der = NULL;
	int n = i2d_OCSP_REQUEST(r, &der);

	assert_true(n > 0);
	*len = (size_t)n;
	return der;
}

/* A request for these ids (nonce_len 0: none) as DER. */
static uint8_t *make_req(const struct id_spec *const *ids, int n, int nonce_len, size_t *len)
{
	OCSP_REQUEST *r = new_req(ids, n, nonce_len);
	uint8_t *der = req_der(r, len);

	OCSP_REQUEST_free(r);
	return der;
}

/* Ask and parse the answer; *der_out (if not NULL) keeps the bytes. */
static OCSP_RESPONSE *ask(const struct ca_status_signer *s, const struct ca_ocsp_params *p, const uint8_t *req,
			  size_t len, uint8_t **der_out, size_t *len_out)
{
	uint8_t *der = NULL;
	size_t n = 0;
	const uint8_t *q;
	OCSP_RESPONSE *resp;

	assert_int_equal(ca_ocsp_answer(s, p, req, len, lookup, NULL, &der, &n), 0);
	q = der;
	resp = d2i_OCSP_RESPONSE(NULL, &q, (long)n);
	assert_non_null(resp);
	assert_ptr_equal(q, der + n);
	if (der_out) {
		*der_out = der;
		*len_out = n;
	} else {
		OPENSSL_free(der);
	}
	return resp;
}

static OCSP_BASICRESP *basic(OCSP_RESPONSE *resp)
{
	OCSP_BASICRESP *bs;

	assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(resp);
	assert_non_null(bs);
	return bs;
}

/* The response verifies with the CA as the only trust anchor, its responderID is signer's key hash. */
static void verify(OCSP_BASICRESP *bs, X509 *signer)
{
	X509_STORE *st = X509_STORE_new();
	const ASN1_OCTET_STRING *kid = NULL;
	const X509_NAME *name = NULL;
	unsigned char md[SHA_DIGEST_LENGTH];
	unsigned int md_len = 0;

	assert_non_null(st);
	assert_int_equal(X509_STORE_add_cert(st, fx.ca), 1);
	if (signer == fx.ca) {
		/* not in the response: the relying party has the issuer's certificate (as openssl ocsp -issuer) */
		STACK_OF(X509) *issuer = sk_X509_new_null();

		assert_int_equal(sk_X509_push(issuer, fx.ca), 1);
		assert_int_equal(OCSP_basic_verify(bs, issuer, st, 0), 1);
		sk_X509_free(issuer);
	} else {
		assert_int_equal(OCSP_basic_verify(bs, NULL, st, 0), 1);
	}
	X509_STORE_free(st);
	assert_int_equal(OCSP_resp_get0_id(bs, &kid, &name), 1);
	assert_non_null(kid);
	assert_null(name);
	assert_int_equal(X509_pubkey_digest(signer, EVP_sha1(), md, &md_len), 1);
	assert_int_equal(ASN1_STRING_length(kid), (int)md_len);
	assert_memory_equal(ASN1_STRING_get0_data(kid), md, md_len);
}

/* Single response i: its status (and, if revoked, time and reason), thisUpdate and nextUpdate. */
static void expect_single(OCSP_BASICRESP *bs, int i, const struct id_spec *spec, int status, int64_t rev_at, int reason,
			  int64_t now, int64_t validity)
{
	OCSP_SINGLERESP *single = OCSP_resp_get0(bs, i);
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	OCSP_CERTID *want = spec_id(spec);
	int r = -2;

	assert_non_null(single);
	assert_int_equal(OCSP_id_cmp(OCSP_SINGLERESP_get0_id(single), want), 0);
	OCSP_CERTID_free(want);
	assert_int_equal(OCSP_single_get0_status(single, &r, &rev, &thisupd, &nextupd), status);
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		assert_int_equal(ASN1_TIME_cmp_time_t(rev, (time_t)rev_at), 0);
		assert_int_equal(r, reason);
	}
	assert_int_equal(ASN1_TIME_cmp_time_t(thisupd, (time_t)now), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(nextupd, (time_t)(now + validity)), 0);
}

static void test_ocsp_statuses(void **state)
{
	const struct id_spec *ids[] = { &leaf0_sha1, &leaf1_sha256, &never_sha1, &leaf0_sha256 };
	struct ca_status_signer s = delegated_signer();
	int64_t now = time(NULL);
	struct ca_ocsp_params p = { .now = now };
	size_t len;
	uint8_t *req = make_req(ids, 4, 0, &len);
	OCSP_RESPONSE *resp = ask(&s, &p, req, len, NULL, NULL);
	OCSP_BASICRESP *bs = basic(resp);

	assert_int_equal(OCSP_resp_count(bs), 4);
	expect_single(bs, 0, &leaf0_sha1, V_OCSP_CERTSTATUS_GOOD, 0, 0, now, 3600);
	expect_single(bs, 1, &leaf1_sha256, V_OCSP_CERTSTATUS_REVOKED, 1700000000, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
		      now, 3600);
	expect_single(bs, 2, &never_sha1, V_OCSP_CERTSTATUS_UNKNOWN, 0, 0, now, 3600);
	expect_single(bs, 3, &leaf0_sha256, V_OCSP_CERTSTATUS_GOOD, 0, 0, now, 3600);
	assert_int_equal(ASN1_TIME_cmp_time_t(OCSP_resp_get0_produced_at(bs), (time_t)now), 0);
	/* the delegated signer travels with the response; the CA does not */
	assert_int_equal(sk_X509_num(OCSP_resp_get0_certs(bs)), 1);
	assert_int_equal(X509_cmp(sk_X509_value(OCSP_resp_get0_certs(bs), 0), fx.signer), 0);
	verify(bs, fx.signer);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(req);
}

static void test_ocsp_ca_signed(void **state)
{
	const struct id_spec *ids[] = { &leaf1_sha256 };
	struct ca_status_signer s = ca_signer();
	struct ca_ocsp_params p = { .now = time(NULL), .validity_s = 600 };
	size_t len;
	uint8_t *req = make_req(ids, 1, 0, &len);
	OCSP_RESPONSE *resp = ask(&s, &p, req, len, NULL, NULL);
	OCSP_BASICRESP *bs = basic(resp);

	expect_single(bs, 0, &leaf1_sha256, V_OCSP_CERTSTATUS_REVOKED, 1700000000, 1, p.now, 600);
	assert_null(OCSP_resp_get0_certs(bs)); /* certs absent */
	verify(bs, fx.ca);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(req);
}

/* Another issuer's CertID (same serial as a leaf of ours) and a SHA-384 one: unknown, and no lookup. */
static void test_ocsp_not_ours(void **state)
{
	static const struct id_spec theirs = { EVP_sha1, true, { 0x01, 0x23 }, 2 },
				    sha384 = { EVP_sha384, false, { 0x01, 0x23 }, 2 };
	const struct id_spec *ids[] = { &theirs, &sha384 };
	struct ca_status_signer s = delegated_signer();
	struct ca_ocsp_params p = { .now = T0 };
	size_t len;
	uint8_t *req = make_req(ids, 2, 0, &len);
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;

	lookups = 0;
	resp = ask(&s, &p, req, len, NULL, NULL);
	bs = basic(resp);
	assert_int_equal(lookups, 0);
	expect_single(bs, 0, &theirs, V_OCSP_CERTSTATUS_UNKNOWN, 0, 0, T0, 3600);
	expect_single(bs, 1, &sha384, V_OCSP_CERTSTATUS_UNKNOWN, 0, 0, T0, 3600);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(req);
}

/* The nonce is echoed (1 and 32 bytes, and the usual 16); no nonce: none back. 16 IDs are still accepted. */
static void test_ocsp_nonce(void **state)
{
	const struct id_spec *ids[CA_OCSP_MAX_IDS];
	struct ca_status_signer s = delegated_signer();
	struct ca_ocsp_params p = { .now = T0 };
	static const int lens[] = { 0, 1, 16, 32 };

	for (int i = 0; i < CA_OCSP_MAX_IDS; i++)
		ids[i] = i % 2 ? &leaf0_sha1 : &leaf1_sha256;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		OCSP_REQUEST *r = new_req(ids, CA_OCSP_MAX_IDS, lens[i]);
		size_t len;
		uint8_t *req = req_der(r, &len);
		OCSP_RESPONSE *resp = ask(&s, &p, req, len, NULL, NULL);
		OCSP_BASICRESP *bs = basic(resp);

		assert_int_equal(OCSP_resp_count(bs), CA_OCSP_MAX_IDS);
		assert_int_equal(OCSP_check_nonce(r, bs), lens[i] ? 1 : 2);
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(resp);
		OCSP_REQUEST_free(r);
		OPENSSL_free(req);
	}
}

/* ---- malformed requests ---- */

enum bad_kind {
	BAD_EMPTY,
	BAD_TRUNCATED,
	BAD_TRAILING,
	BAD_GARBAGE,
	BAD_TOO_LONG,
	BAD_NO_IDS,
	BAD_TOO_MANY_IDS,
	BAD_NONCE_40,
	BAD_NONCE_33,
	BAD_NONCE_EMPTY,
	BAD_NONCE_RAW,
	BAD_NONCE_TWICE,
};

struct bad_case {
	const char *name;
	enum bad_kind kind;
};

static const struct bad_case bad_cases[] = {
	{ "malformed: empty", BAD_EMPTY },
	{ "malformed: truncated", BAD_TRUNCATED },
	{ "malformed: a byte after the request", BAD_TRAILING },
	{ "malformed: garbage", BAD_GARBAGE },
	{ "malformed: longer than CA_OCSP_REQ_MAX", BAD_TOO_LONG },
	{ "malformed: no single request", BAD_NO_IDS },
	{ "malformed: CA_OCSP_MAX_IDS + 1 single requests", BAD_TOO_MANY_IDS },
	{ "malformed: 40-byte nonce", BAD_NONCE_40 },
	{ "malformed: 33-byte nonce", BAD_NONCE_33 },
	{ "malformed: empty nonce", BAD_NONCE_EMPTY },
	{ "malformed: nonce not an OCTET STRING", BAD_NONCE_RAW },
	{ "malformed: two nonces", BAD_NONCE_TWICE },
};

static void add_raw_nonce(OCSP_REQUEST *r, const uint8_t *v, int len)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	assert_int_equal(ASN1_OCTET_STRING_set(os, v, len), 1);
	e = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce, 0, os);
	assert_non_null(e);
	assert_int_equal(OCSP_REQUEST_add_ext(r, e, -1), 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
}

static uint8_t *bad_request(enum bad_kind kind, size_t *len)
{
	const struct id_spec *ids[CA_OCSP_MAX_IDS + 1];
	OCSP_REQUEST *r = NULL;
	uint8_t *der;

	for (int i = 0; i <= CA_OCSP_MAX_IDS; i++)
		ids[i] = &leaf0_sha1;
	switch (kind) {
	case BAD_EMPTY:
		*len = 0;
		return OPENSSL_zalloc(1);
	case BAD_TRUNCATED:
		der = make_req(ids, 1, 16, len);
		(*len)--;
		return der;
	case BAD_TRAILING:
		der = make_req(ids, 1, 0, len);
		der = OPENSSL_realloc(der, *len + 1);
		der[(*len)++] = 0;
		return der;
	case BAD_GARBAGE:
		*len = 300;
		der = OPENSSL_malloc(*len);
		for (size_t i = 0; i < *len; i++)
			der[i] = (uint8_t)(i * 37 + 11);
		der[0] = 0x30; /* a SEQUENCE, so the parser gets past the first byte */
		der[1] = 0x82;
		der[2] = 0x01;
		der[3] = 0x28;
		return der;
	case BAD_TOO_LONG:
		/* a well-formed request of CA_OCSP_REQ_MAX + 1 bytes would be refused the same way: length first */
		*len = CA_OCSP_REQ_MAX + 1;
		return OPENSSL_zalloc(*len);
	case BAD_NO_IDS:
		return make_req(ids, 0, 0, len);
	case BAD_TOO_MANY_IDS:
		return make_req(ids, CA_OCSP_MAX_IDS + 1, 0, len);
	case BAD_NONCE_40:
		return make_req(ids, 1, 40, len);
	case BAD_NONCE_33:
		return make_req(ids, 1, 33, len);
	case BAD_NONCE_EMPTY:
		r = new_req(ids, 1, 0);
		add_raw_nonce(r, (const uint8_t *)"\x04\x00", 2);
		break;
	case BAD_NONCE_RAW:
		r = new_req(ids, 1, 0);
		add_raw_nonce(r, (const uint8_t *)"0123456789abcdef", 16);
		break;
	case BAD_NONCE_TWICE:
		r = new_req(ids, 1, 0);
		add_raw_nonce(r, (const uint8_t *)"\x04\x01\x01", 3);
		add_raw_nonce(r, (const uint8_t *)"\x04\x01\x02", 3);
		break;
	default:
		fail();
	}
	der = req_der(r, len);
	OCSP_REQUEST_free(r);
	return der;
}

static void test_ocsp_malformed(void **state)
{
	const struct bad_case *c = *state;
	struct ca_status_signer s = delegated_signer();
	struct ca_ocsp_cache *cache = ca_ocsp_cache_new(4);
	struct ca_ocsp_params p = { .now = T0, .cache = cache };
	size_t len;
	uint8_t *req = bad_request(c->kind, &len);
	OCSP_RESPONSE *resp;

	lookups = 0;
	resp = ask(&s, &p, req, len, NULL, NULL);
	assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	assert_null(OCSP_response_get1_basic(resp));
	assert_int_equal(lookups, 0);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(req);
	ca_ocsp_cache_free(cache);
}

static void test_ocsp_internal_error(void **state)
{
	const struct id_spec *ids[] = { &never_sha1, &leaf0_sha1 };
	struct ca_status_signer s = delegated_signer();
	struct ca_ocsp_cache *cache = ca_ocsp_cache_new(4);
	struct ca_ocsp_params p = { .now = T0, .cache = cache };
	size_t len;
	uint8_t *req;
	OCSP_RESPONSE *resp;

	records_fail = true;
	for (int n = 1; n <= 2; n++) {
		req = make_req(ids + 2 - n, n, 0, &len);
		resp = ask(&s, &p, req, len, NULL, NULL);
		assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_INTERNALERROR);
		OCSP_RESPONSE_free(resp);
		OPENSSL_free(req);
	}
	records_fail = false;
	ca_ocsp_cache_free(cache);
}

static void test_ocsp_bad_args(void **state)
{
	struct ca_status_signer s = delegated_signer();
	struct ca_ocsp_params p = { .now = T0 };
	uint8_t *der = NULL;
	size_t len = 0;

	assert_int_equal(ca_ocsp_answer(NULL, &p, (const uint8_t *)"", 1, lookup, NULL, &der, &len), -EINVAL);
	assert_int_equal(ca_ocsp_answer(&s, NULL, (const uint8_t *)"", 1, lookup, NULL, &der, &len), -EINVAL);
	assert_int_equal(ca_ocsp_answer(&s, &p, (const uint8_t *)"", 1, NULL, NULL, &der, &len), -EINVAL);
	assert_null(der);
	assert_null(ca_ocsp_cache_new(0));
	ca_ocsp_cache_free(NULL);
	ca_ocsp_cache_forget(NULL, NULL, 0);
}

/* ---- the cache ---- */

struct answer {
	uint8_t *der;
	size_t len;
	int status;
	int64_t produced; /* producedAt, as seconds since the epoch */
};

/* Ask for one id (nonce_len 0: none) at time now; keep the bytes, the first status and producedAt. */
static struct answer ask_one(struct ca_ocsp_params *p, int64_t now, const struct id_spec *spec, int nonce_len)
{
	const struct id_spec *ids[] = { spec };
	struct ca_status_signer s = delegated_signer();
	struct answer a = { 0 };
	size_t len;
	uint8_t *req = make_req(ids, 1, nonce_len, &len);
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	struct tm tm;

	p->now = now;
	resp = ask(&s, p, req, len, &a.der, &a.len);
	bs = basic(resp);
	a.status = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), NULL, NULL, NULL, NULL);
	assert_int_equal(ASN1_TIME_to_tm(OCSP_resp_get0_produced_at(bs), &tm), 1);
	a.produced = timegm(&tm);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(req);
	return a;
}

static bool same(const struct answer *a, const struct answer *b)
{
	return a->len == b->len && !memcmp(a->der, b->der, a->len);
}

static void answer_free(struct answer *a)
{
	OPENSSL_free(a->der);
	a->der = NULL;
}

static void test_cache_reuse(void **state)
{
	struct ca_ocsp_cache *cache = ca_ocsp_cache_new(8);
	struct ca_ocsp_params p = { .cache = cache };
	struct answer a = ask_one(&p, T0, &leaf0_sha1, 0), b = ask_one(&p, T0 + 10, &leaf0_sha1, 0),
		      c = ask_one(&p, T0 + 20, &leaf0_sha256, 0), d = ask_one(&p, T0 + 30, &leaf0_sha256, 0);

	assert_true(same(&a, &b)); /* same bytes: producedAt still T0, the same signature */
	assert_int_equal(b.produced, T0);
	assert_int_equal(lookups, 4); /* the records are asked every time */
	assert_false(same(&a, &c));   /* another hash algorithm, another entry */
	assert_true(same(&c, &d));
	answer_free(&a);
	answer_free(&b);
	answer_free(&c);
	answer_free(&d);
	ca_ocsp_cache_free(cache);
}

/* A revocation: forgotten by the daemon, or not; either way the next answer says revoked. */
static void test_cache_state_change(void **state)
{
	struct ca_ocsp_cache *cache = ca_ocsp_cache_new(8);
	struct ca_ocsp_params p = { .cache = cache };
	struct answer a = ask_one(&p, T0, &leaf0_sha1, 0), b, c, d;

	assert_int_equal(a.status, V_OCSP_CERTSTATUS_GOOD);
	records[0].st = (struct ca_cert_state){ CA_CERT_REVOKED, T0 + 5, 4 };
	ca_ocsp_cache_forget(cache, records[0].serial, records[0].len);
	b = ask_one(&p, T0 + 10, &leaf0_sha1, 0);
	assert_int_equal(b.status, V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(b.produced, T0 + 10);
	/* the reason changes and nobody tells the cache */
	records[0].st.reason = 1;
	c = ask_one(&p, T0 + 20, &leaf0_sha1, 0);
	assert_int_equal(c.produced, T0 + 20);
	d = ask_one(&p, T0 + 30, &leaf0_sha1, 0);
	assert_true(same(&c, &d));
	/* forget everything */
	ca_ocsp_cache_forget(cache, NULL, 0);
	answer_free(&d);
	d = ask_one(&p, T0 + 40, &leaf0_sha1, 0);
	assert_int_equal(d.produced, T0 + 40);
	answer_free(&a);
	answer_free(&b);
	answer_free(&c);
	answer_free(&d);
	ca_ocsp_cache_free(cache);
}

/* validity 3600, refresh 600: the answer of T0 serves until T0 + 2999; at T0 + 3000 a new one. */
static void test_cache_refresh(void **state)
{
	struct ca_ocsp_cache *cache = ca_ocsp_cache_new(8);
	struct ca_ocsp_params p = { .cache = cache, .validity_s = 3600, .refresh_s = 600 };
	struct answer a = ask_one(&p, T0, &leaf1_sha256, 0), b = ask_one(&p, T0 + 2999, &leaf1_sha256, 0),
		      c = ask_one(&p, T0 + 3000, &leaf1_sha256, 0), d = ask_one(&p, T0 + 3001, &leaf1_sha256, 0),
		      e = ask_one(&p, T0 + 2000, &leaf1_sha256, 0); /* the clock went back before c's thisUpdate */

	assert_true(same(&a, &b));
	assert_int_equal(c.produced, T0 + 3000);
	assert_true(same(&c, &d));
	assert_int_equal(e.produced, T0 + 2000);
	answer_free(&a);
	answer_free(&b);
	answer_free(&c);
	answer_free(&d);
	answer_free(&e);
	ca_ocsp_cache_free(cache);
}

static void test_cache_evicts_oldest(void **state)
{
	static const struct id_spec s10 = { EVP_sha1, false, { 0x10 }, 1 }, s11 = { EVP_sha1, false, { 0x11 }, 1 },
				    s12 = { EVP_sha1, false, { 0x12 }, 1 };
	struct ca_ocsp_cache *cache = ca_ocsp_cache_new(2);
	struct ca_ocsp_params p = { .cache = cache };
	struct answer a10 = ask_one(&p, T0, &s10, 0), a11 = ask_one(&p, T0, &s11, 0), a12 = ask_one(&p, T0, &s12, 0),
		      b11 = ask_one(&p, T0 + 1, &s11, 0), b12 = ask_one(&p, T0 + 1, &s12, 0),
		      b10 = ask_one(&p, T0 + 1, &s10, 0);

	assert_true(same(&a11, &b11));
	assert_true(same(&a12, &b12));
	assert_int_equal(b10.produced, T0 + 1); /* 0x10 was the oldest: dropped for 0x12 */
	answer_free(&a10);
	answer_free(&a11);
	answer_free(&a12);
	answer_free(&b10);
	answer_free(&b11);
	answer_free(&b12);
	ca_ocsp_cache_free(cache);
}

/* Never from the cache: a nonce, several single requests, an unknown serial, no cache at all. */
static void test_cache_not_for(void **state)
{
	const struct id_spec *two[] = { &leaf0_sha1, &leaf1_sha256 };
	struct ca_status_signer s = delegated_signer();
	struct ca_ocsp_cache *cache = ca_ocsp_cache_new(8);
	struct ca_ocsp_params p = { .cache = cache }, no_cache = { 0 };
	struct answer a = ask_one(&p, T0, &leaf0_sha1, 16), b = ask_one(&p, T0 + 1, &leaf0_sha1, 16),
		      c = ask_one(&p, T0, &never_sha1, 0), d = ask_one(&p, T0 + 1, &never_sha1, 0),
		      e = ask_one(&no_cache, T0, &leaf0_sha1, 0), f = ask_one(&no_cache, T0 + 1, &leaf0_sha1, 0);
	size_t len;
	uint8_t *req = make_req(two, 2, 0, &len);

	assert_int_equal(b.produced, T0 + 1);
	assert_int_equal(d.produced, T0 + 1);
	assert_int_equal(d.status, V_OCSP_CERTSTATUS_UNKNOWN);
	assert_int_equal(f.produced, T0 + 1);
	for (int i = 0; i < 2; i++) {
		OCSP_RESPONSE *resp;
		OCSP_BASICRESP *bs;

		p.now = T0 + i;
		resp = ask(&s, &p, req, len, NULL, NULL);
		bs = basic(resp);
		assert_int_equal(ASN1_TIME_cmp_time_t(OCSP_resp_get0_produced_at(bs), (time_t)(T0 + i)), 0);
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(resp);
	}
	OPENSSL_free(req);
	answer_free(&a);
	answer_free(&b);
	answer_free(&c);
	answer_free(&d);
	answer_free(&e);
	answer_free(&f);
	ca_ocsp_cache_free(cache);
}

/* ---- GET decoding ---- */

struct get_case {
	const char *name;
	const char *path;
	const uint8_t *buf; /* NULL: -EINVAL expected */
	size_t len;
};

#define REFUSED .buf = NULL, .len = 0

static const struct get_case get_cases[] = {
	{ "get: plain", "AAEC", BYTES(0x00, 0x01, 0x02) },
	{ "get: one '='", "AAE=", BYTES(0x00, 0x01) },
	{ "get: two '='", "AA==", BYTES(0x00) },
	{ "get: '+' '/' plain", "+/8=", BYTES(0xfb, 0xff) },
	{ "get: %2B %2F %3D", "%2B%2F8%3D", BYTES(0xfb, 0xff) },
	{ "get: %2b %2f %3d", "%2b%2f8%3d", BYTES(0xfb, 0xff) },
	{ "get: every character escaped", "%41%41%45%43", BYTES(0x00, 0x01, 0x02) },
	{ "get refused: empty", "", REFUSED },
	{ "get refused: length not a multiple of 4", "AAE", REFUSED },
	{ "get refused: no padding", "+/8", REFUSED },
	{ "get refused: URL-safe alphabet", "-_8=", REFUSED },
	{ "get refused: space", "AA A", REFUSED },
	{ "get refused: newline", "AAEC\n", REFUSED },
	{ "get refused: '!'", "AAE!", REFUSED },
	{ "get refused: '=' inside", "AA=A", REFUSED },
	{ "get refused: '=' inside a later group", "AA==AAAA", REFUSED },
	{ "get refused: three '='", "A===", REFUSED },
	{ "get refused: only '='", "====", REFUSED },
	{ "get refused: pad bits set (two '=')", "AB==", REFUSED },
	{ "get refused: pad bits set (one '=')", "AAF=", REFUSED },
	{ "get refused: '%' at the end", "AAE%", REFUSED },
	{ "get refused: '%2' at the end", "AAE%2", REFUSED },
	{ "get refused: '%zz'", "AA%zzEC", REFUSED },
	{ "get refused: escaped NUL", "AA%00C", REFUSED },
};

static void test_get_case(void **state)
{
	const struct get_case *c = *state;
	uint8_t *der = NULL;
	size_t len = 0;
	int rc = ca_ocsp_get_decode(c->path, &der, &len);

	if (!c->buf) {
		assert_int_equal(rc, -EINVAL);
		assert_null(der);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(len, c->len);
	assert_memory_equal(der, c->buf, len);
	OPENSSL_free(der);
}

/* n bytes base64-encoded; escaped: every character as %XX. */
static char *b64_of(size_t n, bool escaped)
{
	uint8_t *bin = malloc(n);
	char *b64 = malloc(4 * (n / 3 + 1) + 1), *out;
	int m;

	for (size_t i = 0; i < n; i++)
		bin[i] = (uint8_t)(i * 7);
	m = EVP_EncodeBlock((unsigned char *)b64, bin, (int)n);
	free(bin);
	if (!escaped)
		return b64;
	out = malloc(3 * (size_t)m + 1);
	for (int i = 0; i < m; i++)
		sprintf(out + 3 * i, "%%%02X", (unsigned char)b64[i]);
	free(b64);
	return out;
}

static void test_get_sizes(void **state)
{
	static const struct {
		size_t n;
		bool escaped;
		int rc;
	} sizes[] = { { CA_OCSP_REQ_MAX, false, 0 },	       { CA_OCSP_REQ_MAX, true, 0 },
		      { CA_OCSP_REQ_MAX - 1, false, 0 },       { CA_OCSP_REQ_MAX + 1, false, -EINVAL },
		      { CA_OCSP_REQ_MAX + 2, false, -EINVAL }, { CA_OCSP_REQ_MAX + 3, false, -EINVAL },
		      { CA_OCSP_REQ_MAX + 1, true, -EINVAL },  { 100000, false, -EINVAL } };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *path = b64_of(sizes[i].n, sizes[i].escaped);
		uint8_t *der = NULL;
		size_t len = 0;

		assert_int_equal(ca_ocsp_get_decode(path, &der, &len), sizes[i].rc);
		if (!sizes[i].rc) {
			assert_int_equal(len, sizes[i].n);
			assert_int_equal(der[len - 1], (uint8_t)((len - 1) * 7));
		}
		OPENSSL_free(der);
		free(path);
	}
	{
		uint8_t *der = NULL;
		size_t len = 0;

		assert_int_equal(ca_ocsp_get_decode(NULL, &der, &len), -EINVAL);
	}
}

/* A real request through GET: encoded as clients do, decoded, answered. */
static void test_get_answer(void **state)
{
	const struct id_spec *ids[] = { &leaf1_sha256 };
	struct ca_status_signer s = delegated_signer();
	struct ca_ocsp_params p = { .now = T0 };
	size_t len, dlen;
	uint8_t *req = make_req(ids, 1, 16, &len), *der;
	char *b64 = malloc(4 * (len / 3 + 1) + 1), esc[3 * 4 * (CA_OCSP_REQ_MAX / 3 + 1) + 1], *o = esc;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;

	EVP_EncodeBlock((unsigned char *)b64, req, (int)len);
	for (const char *c = b64; *c; c++)
		o += *c == '+' || *c == '/' || *c == '=' ? sprintf(o, "%%%02X", *c) : sprintf(o, "%c", *c);
	assert_int_equal(ca_ocsp_get_decode(esc, &der, &dlen), 0);
	assert_int_equal(dlen, len);
	assert_memory_equal(der, req, len);
	resp = ask(&s, &p, der, dlen, NULL, NULL);
	bs = basic(resp);
	expect_single(bs, 0, &leaf1_sha256, V_OCSP_CERTSTATUS_REVOKED, 1700000000, 1, T0, 3600);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(der);
	OPENSSL_free(req);
	free(b64);
}

static int setup(void **state)
{
	records_reset();
	each_fail_at = -1;
	each_extra = NULL;
	return 0;
}

int main(void)
{
	static struct unit_list l;
	int rc;

	ca_fixture_make(&fx, false, "simpki test CA");
	ca_fixture_make(&other, false, "another CA");
	unit_add(&l, "crl: entries, reasons, signature, extensions", test_crl_entries, NULL);
	unit_add(&l, "crl: no entries, no IDP", test_crl_no_idp_no_entries, NULL);
	unit_add(&l, "crl: errors", test_crl_errors, NULL);
	unit_add(&l, "ocsp: good, revoked, unknown; SHA-1 and SHA-256; verifies", test_ocsp_statuses, NULL);
	unit_add(&l, "ocsp: signed by the CA itself", test_ocsp_ca_signed, NULL);
	unit_add(&l, "ocsp: another issuer, SHA-384: unknown", test_ocsp_not_ours, NULL);
	unit_add(&l, "ocsp: nonce echoed", test_ocsp_nonce, NULL);
	UNIT_ADD_TABLE(&l, bad_cases, test_ocsp_malformed);
	unit_add(&l, "ocsp: lookup -EIO: internalError", test_ocsp_internal_error, NULL);
	unit_add(&l, "ocsp: bad arguments", test_ocsp_bad_args, NULL);
	unit_add(&l, "cache: reuse", test_cache_reuse, NULL);
	unit_add(&l, "cache: state change, forget", test_cache_state_change, NULL);
	unit_add(&l, "cache: refresh before nextUpdate", test_cache_refresh, NULL);
	unit_add(&l, "cache: evicts the oldest", test_cache_evicts_oldest, NULL);
	unit_add(&l, "cache: not for nonce, several IDs, unknown", test_cache_not_for, NULL);
	UNIT_ADD_TABLE(&l, get_cases, test_get_case);
	unit_add(&l, "get: sizes", test_get_sizes, NULL);
	unit_add(&l, "get: a real request, escaped, answered", test_get_answer, NULL);
	for (size_t i = 0; i < l.n; i++)
		l.t[i].setup_func = setup;
	rc = unit_run("ca-status", &l);
	ca_fixture_free(&fx);
	ca_fixture_free(&other);
	return rc;
}
