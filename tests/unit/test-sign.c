/* simpki-otad's signing sessions (ota-server/sign/sign.c) against their spec, the table of sign.h, on a real
 * SQLite database, an SMSC bind that never connects (a job's SMS wait in its queue) and an OCSP client whose
 * answers the test gives itself:
 *  - the registered osmo_fsm's state table says exactly what the spec says;
 *  - NOT_A_CLIENT at once for no card, a card without a usable certificate, a card not active; the text too long
 *    refused before anything is stored; a second session for a card with one running refused (-EBUSY);
 *  - the job's end mapped as sign.h says: por-ok with an OK signature that verifies and OCSP good -> OK (the
 *    signature stored); a signature over another hash -> SIGNATURE_HASH_MISMATCH; OCSP revoked ->
 *    REVOKED_CERTIFICATE, unreachable -> INTERNAL_ERROR; the SIM's other answers (USER_CANCELLED, TIMEOUT,
 *    PIN_BLOCKED with the tries left, SIM_ERROR for a key unusable, another request id, no sign response);
 *    por-error -> SIM_ERROR; failed with SMPP 0x0b -> PHONE_ABSENT, 0x58 -> DELIVERY_ERROR; unknown -> TIMEOUT;
 *  - the job delivered moves the session to waiting; a cancel before the SMS left cancels the job (CANCELLED);
 *  - a late answer after the end is recorded in the row and ignored;
 *  - otad_sign_verify(): ECDSA over the raw hash, RSA PKCS#1 v1.5 over the DigestInfo, each refusing another hash;
 *  - what a phone or holder signs with (otad_db_sign_target()): a certificate only when loaded and its key reference
 *    known (its enrolment's key_ref first, then that of an enrolment of the same card's same key, else a key_id
 *    0..15), the newest such; a holder's card.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <osmocom/core/application.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>

#include "cert_info.h"
#include "otad.h"
#include "otad_db_lifecycle.h"
#include "otad_job.h"
#include "ra_ocsp.h"
#include "sign.h"

#include "unit.h"
#include "otad_fixture.h"

#define S(x) (1u << (x))

struct otad *g_otad;
extern struct osmo_fsm otad_sign_fsm;

static const struct {
	uint32_t events, to;
} spec[OTAD_SIGN_N_STATES] = {
	[OTAD_SIGN_ST_CREATED] = { S(OTAD_SIGN_EV_START) | S(OTAD_SIGN_EV_OCSP) | S(OTAD_SIGN_EV_CANCEL),
				   S(OTAD_SIGN_ST_SENDING) | S(OTAD_SIGN_ST_COMPLETE) },
	[OTAD_SIGN_ST_SENDING] = { S(OTAD_SIGN_EV_JOB_CHANGE) | S(OTAD_SIGN_EV_JOB_DONE) | S(OTAD_SIGN_EV_OCSP) |
					   S(OTAD_SIGN_EV_CANCEL),
				   S(OTAD_SIGN_ST_WAITING) | S(OTAD_SIGN_ST_VERIFYING) | S(OTAD_SIGN_ST_COMPLETE) },
	[OTAD_SIGN_ST_WAITING] = { S(OTAD_SIGN_EV_JOB_DONE) | S(OTAD_SIGN_EV_OCSP) | S(OTAD_SIGN_EV_CANCEL),
				   S(OTAD_SIGN_ST_VERIFYING) | S(OTAD_SIGN_ST_COMPLETE) },
	[OTAD_SIGN_ST_VERIFYING] = { S(OTAD_SIGN_EV_OCSP) | S(OTAD_SIGN_EV_CANCEL), S(OTAD_SIGN_ST_COMPLETE) },
	[OTAD_SIGN_ST_COMPLETE] = { S(OTAD_SIGN_EV_JOB_DONE) | S(OTAD_SIGN_EV_OCSP), 0 },
};

static char dir[64];
static EVP_PKEY *key;
static struct otad_sign_rp rp = { .name = "portal", .display_name = "Portal" };
static struct sign_api_req req;

static const char csv[] = "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n"
			  "8984010000000000005,001010000000001,2000,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,"
			  "aes,1E2D3C4B5A69788796A5B4C3D2E1F00F\n"
			  "8984010000000000013,001010000000002,2001,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,"
			  "aes,1E2D3C4B5A69788796A5B4C3D2E1F00F\n";

/* A self-signed certificate for \a k, DER into \a der; PEM into \a pem_path when not NULL. */
static size_t make_cert(EVP_PKEY *k, uint8_t *der, const char *pem_path)
{
	X509 *x = X509_new();
	X509_NAME *n;
	unsigned char *p = der;
	int len;

	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Test", -1, -1, 0);
	X509_set_issuer_name(x, n);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	len = i2d_X509(x, &p);
	assert_true(len > 0);
	if (pem_path) {
		FILE *f = fopen(pem_path, "w");

		assert_non_null(f);
		PEM_write_X509(f, x);
		fclose(f);
	}
	X509_free(x);
	return (size_t)len;
}

static int setup(void **state)
{
	struct otad_cert ct = { 0 };
	struct ra_ocsp_cfg ocfg = { .url = "http://127.0.0.1:1/ocsp", .timeout_s = 1, .cache_s = 0 };
	struct ra_ocsp *ocsp;
	struct otad_smsc *smsc;
	static const struct smpp_esme_ops ops = { 0 };
	static uint8_t der[4096];
	char path[128], err[256];
	void *ctx = talloc_named_const(NULL, 0, "test-sign");

	(void)state;
	otad_fixture_open(ctx, dir, sizeof(dir), "sign", csv, sizeof(csv) - 1);
	/* card 1 has a loaded certificate for key 3; card 2 none */
	key = EVP_EC_gen("P-256");
	assert_non_null(key);
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	ct.der_len = make_cert(key, der, path);
	ct.der = der;
	snprintf(ct.iccid, sizeof(ct.iccid), "8984010000000000005");
	snprintf(ct.key_id, sizeof(ct.key_id), "3");
	snprintf(ct.profile, sizeof(ct.profile), "signing");
	assert_int_equal(cert_info(der, ct.der_len, ct.serial, &ct.not_after), 0);
	assert_int_equal(otad_db_cert_insert(g_otad->db, &ct), 0);
	assert_int_equal(otad_db_cert_set_status(g_otad->db, ct.id, OTAD_CERT_LOADED, -1), 0);
	/* an SMSC bind that never connects */
	smsc = talloc_zero(ctx, struct otad_smsc);
	otad_fixture_smsc(ctx, smsc, &ops);
	/* an OCSP client whose answers never arrive here (no select loop): the test gives them */
	ocfg.issuers = path;
	assert_int_equal(ra_ocsp_alloc(ctx, &ocfg, &ocsp, err, sizeof(err)), 0);
	assert_int_equal(otad_sign_init(ocsp), 0);
	INIT_LLIST_HEAD(&rp.list);
	req.hash_alg = SIGN_HASH_SHA256;
	req.hash_len = 32;
	EVP_Digest("document", 8, req.hash, NULL, EVP_sha256(), NULL);
	snprintf(req.text, sizeof(req.text), "Sign the contract");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return unit_rmdir(dir);
}

static void test_table_is_the_spec(void **state)
{
	(void)state;
	assert_int_equal(otad_sign_fsm.num_states, OTAD_SIGN_N_STATES);
	for (int i = 0; i < OTAD_SIGN_N_STATES; i++) {
		assert_int_equal(otad_sign_fsm.states[i].in_event_mask, spec[i].events);
		assert_int_equal(otad_sign_fsm.states[i].out_state_mask, spec[i].to);
		assert_string_equal(otad_sign_fsm.states[i].name, otad_sign_state_names[i]);
	}
}

static struct otad_sign_session *start(const char *msisdn)
{
	struct otad_sign_session *s = NULL;
	char err[300];

	snprintf(req.msisdn, sizeof(req.msisdn), "%s", msisdn);
	assert_int_equal(otad_sign_start(&rp, &req, &s, err, sizeof(err)), 0);
	assert_non_null(s);
	return s;
}

static struct otad_sign_row *stored(const struct otad_sign_session *s)
{
	static struct otad_sign_row r;

	assert_int_equal(otad_db_sign_get(g_otad->db, s->row.session, &r), 0);
	return &r;
}

static void test_not_a_client(void **state)
{
	struct otad_sign_session *s, *s2;
	char err[300];
	char old[16];

	(void)state;
	s = start("2999");
	assert_int_equal(s->result, OTAD_SIGN_NOT_A_CLIENT);
	assert_string_equal(stored(s)->result, "NOT_A_CLIENT");
	assert_string_equal(stored(s)->state, "complete");
	s = start("2001");
	assert_int_equal(s->result, OTAD_SIGN_NOT_A_CLIENT);
	assert_non_null(strstr(s->row.error, "no usable signing certificate"));
	assert_int_equal(otad_db_card_set_state(g_otad->db, "8984010000000000005", OTAD_CARD_SUSPENDED, old), 0);
	s = start("2000");
	assert_int_equal(s->result, OTAD_SIGN_NOT_A_CLIENT);
	assert_non_null(strstr(s->row.error, "is suspended"));
	assert_int_equal(otad_db_card_set_state(g_otad->db, "8984010000000000005", OTAD_CARD_ACTIVE, old), 0);
	/* too long: refused before anything is stored */
	snprintf(req.msisdn, sizeof(req.msisdn), "2000");
	memset(req.text, 'a', 300);
	req.text[300] = 0;
	assert_int_equal(otad_sign_start(&rp, &req, &s2, err, sizeof(err)), -E2BIG);
	snprintf(req.text, sizeof(req.text), "Sign the contract");
	/* one session at a time per card */
	s = start("2000");
	assert_int_equal(s->fi->state, OTAD_SIGN_ST_SENDING);
	assert_int_not_equal(s->row.job, 0);
	assert_int_equal(s->key_ref, 3);
	assert_int_equal(otad_sign_start(&rp, &req, &s2, err, sizeof(err)), -EBUSY);
	/* cancelled while its SMS wait in the bind's queue: the job is cancelled too */
	otad_sign_cancel(s);
	assert_int_equal(s->result, OTAD_SIGN_CANCELLED);
	assert_string_equal(stored(s)->result, "CANCELLED");
}

/* A job row as the job engine hands it over at its end. */
static struct otad_job_row *job_row(const struct otad_sign_session *s, enum otad_job_state st)
{
	static struct otad_job_row j;

	memset(&j, 0, sizeof(j));
	j.id = s->row.job;
	memcpy(j.tar, otad_sign_cfg.tar, 3);
	j.state = st;
	return &j;
}

/* The SIM's answer \a res (with a signature over \a hash when OK) as a por-ok job. */
static struct otad_job_row *answered(const struct otad_sign_session *s, enum sign_result res, const uint8_t *hash,
				     int tries)
{
	struct otad_job_row *j = job_row(s, OTAD_JOB_POR_OK);
	struct sign_resp r = { .result = res, .tries_left = tries };
	int n;

	memcpy(r.id, s->req.id, s->req.id_len);
	r.id_len = s->req.id_len;
	if (res == SIGN_OK) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
		size_t len = sizeof(r.sig);

		assert_true(EVP_PKEY_sign_init(ctx) > 0);
		assert_true(EVP_PKEY_sign(ctx, r.sig, &len, hash, 32) > 0);
		r.sig_len = (uint16_t)len;
		EVP_PKEY_CTX_free(ctx);
	}
	n = sign_resp_encode(&r, j->por_response, sizeof(j->por_response));
	assert_true(n > 0);
	j->por_response_len = (size_t)n;
	return j;
}

static void ocsp(struct otad_sign_session *s, enum ra_ocsp_status st)
{
	struct otad_sign_ocsp o = { st, ra_ocsp_status_names[st] };

	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_OCSP, &o);
}

static void test_answers(void **state)
{
	static const struct {
		enum sign_result sim;
		enum otad_sign_result want;
	} sims[] = {
		{ SIGN_USER_CANCELLED, OTAD_SIGN_USER_CANCELLED }, { SIGN_NO_RESPONSE, OTAD_SIGN_TIMEOUT },
		{ SIGN_PIN_BLOCKED, OTAD_SIGN_PIN_BLOCKED },	   { SIGN_KEY_UNUSABLE, OTAD_SIGN_SIM_ERROR },
		{ SIGN_BAD_REQUEST, OTAD_SIGN_SIM_ERROR },	   { SIGN_TERMINAL_FAILED, OTAD_SIGN_SIM_ERROR },
	};
	uint8_t other[32] = { 1 };
	struct otad_sign_session *s;
	struct otad_job_row *j;

	(void)state;
	/* OK: delivered (waiting), signed, verified, OCSP good */
	s = start("2000");
	j = job_row(s, OTAD_JOB_DELIVERED);
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_CHANGE, j);
	assert_int_equal(s->fi->state, OTAD_SIGN_ST_WAITING);
	assert_string_equal(stored(s)->state, "waiting");
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, answered(s, SIGN_OK, req.hash, 3));
	assert_int_equal(s->fi->state, OTAD_SIGN_ST_VERIFYING); /* waits for OCSP */
	ocsp(s, RA_OCSP_GOOD);
	assert_int_equal(s->result, OTAD_SIGN_OK);
	assert_string_equal(stored(s)->result, "OK");
	assert_true(stored(s)->sig_len > 60);
	assert_int_equal(stored(s)->tries_left, 3);
	assert_true(stored(s)->answered_ms > 0);
	/* a late answer for it: recorded, ignored */
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, job_row(s, OTAD_JOB_POR_ERROR));
	assert_int_equal(s->result, OTAD_SIGN_OK);
	assert_non_null(strstr(stored(s)->error, "late: job por-error"));

	/* OCSP first (revoked), then the signature */
	s = start("2000");
	ocsp(s, RA_OCSP_REVOKED);
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, answered(s, SIGN_OK, req.hash, -1));
	assert_int_equal(s->result, OTAD_SIGN_REVOKED_CERTIFICATE);
	assert_int_equal(stored(s)->sig_len, 0);
	s = start("2000");
	ocsp(s, RA_OCSP_UNKNOWN);
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, answered(s, SIGN_OK, req.hash, -1));
	assert_int_equal(s->result, OTAD_SIGN_REVOKED_CERTIFICATE);
	s = start("2000");
	ocsp(s, RA_OCSP_ERROR);
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, answered(s, SIGN_OK, req.hash, -1));
	assert_int_equal(s->result, OTAD_SIGN_INTERNAL_ERROR);
	/* a signature over another hash */
	s = start("2000");
	ocsp(s, RA_OCSP_GOOD);
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, answered(s, SIGN_OK, other, -1));
	assert_int_equal(s->result, OTAD_SIGN_SIGNATURE_HASH_MISMATCH);
	/* the SIM's refusals */
	for (size_t i = 0; i < sizeof(sims) / sizeof(sims[0]); i++) {
		s = start("2000");
		osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, answered(s, sims[i].sim, NULL, 0));
		assert_int_equal(s->result, sims[i].want);
	}
	assert_int_equal(stored(s)->tries_left, 0);
	/* another request's id; no sign response at all */
	s = start("2000");
	j = answered(s, SIGN_OK, req.hash, -1);
	j->por_response[6] ^= 1; /* the id's first byte */
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, j);
	assert_int_equal(s->result, OTAD_SIGN_SIM_ERROR);
	assert_non_null(strstr(s->row.error, "another request id"));
	s = start("2000");
	j = job_row(s, OTAD_JOB_POR_OK);
	memcpy(j->por_response, "\x01\x02\x90\x00", 4);
	j->por_response_len = 4;
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, j);
	assert_int_equal(s->result, OTAD_SIGN_SIM_ERROR);
	/* the job's other ends */
	s = start("2000");
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, job_row(s, OTAD_JOB_POR_ERROR));
	assert_int_equal(s->result, OTAD_SIGN_SIM_ERROR);
	s = start("2000");
	j = job_row(s, OTAD_JOB_FAILED);
	j->smpp_status = 0x0b;
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, j);
	assert_int_equal(s->result, OTAD_SIGN_PHONE_ABSENT);
	s = start("2000");
	j = job_row(s, OTAD_JOB_FAILED);
	j->smpp_status = 0x58;
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, j);
	assert_int_equal(s->result, OTAD_SIGN_DELIVERY_ERROR);
	s = start("2000");
	osmo_fsm_inst_dispatch(s->fi, OTAD_SIGN_EV_JOB_DONE, job_row(s, OTAD_JOB_UNKNOWN));
	assert_int_equal(s->result, OTAD_SIGN_TIMEOUT);
	assert_string_equal(stored(s)->result, "TIMEOUT");
}

static void test_verify(void **state)
{
	static uint8_t der[4096], sig[512];
	uint8_t hash[48], other[48] = { 0 };
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(rsa, NULL);
	const char *sig_alg, *key_alg;
	size_t len = sizeof(sig), dlen;

	(void)state;
	EVP_Digest("document", 8, hash, NULL, EVP_sha384(), NULL);
	dlen = make_cert(rsa, der, NULL);
	assert_true(EVP_PKEY_sign_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha384()) > 0);
	assert_true(EVP_PKEY_sign(ctx, sig, &len, hash, 48) > 0);
	assert_int_equal(otad_sign_verify(der, dlen, SIGN_HASH_SHA384, hash, 48, sig, len), 0);
	assert_int_equal(otad_sign_verify(der, dlen, SIGN_HASH_SHA384, other, 48, sig, len), -EBADMSG);
	assert_int_equal(otad_sign_verify(der, dlen, SIGN_HASH_SHA512, hash, 48, sig, len), -EBADMSG);
	assert_int_equal(otad_sign_alg_names(der, dlen, SIGN_HASH_SHA384, &sig_alg, &key_alg), 0);
	assert_string_equal(sig_alg, "SHA384withRSA");
	assert_string_equal(key_alg, "RSA");
	assert_int_equal(otad_sign_verify(der, 10, SIGN_HASH_SHA384, hash, 48, sig, len), -EINVAL);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(rsa);
	dlen = make_cert(key, der, NULL);
	assert_int_equal(otad_sign_alg_names(der, dlen, SIGN_HASH_SHA256, &sig_alg, &key_alg), 0);
	assert_string_equal(sig_alg, "ECDSA-SHA256");
	assert_string_equal(key_alg, "EC");
}

static void test_target(void **state)
{
	static struct otad_sign_target t;
	static uint8_t der[4096];
	struct otad_cert ct = { 0 }, ct2;
	struct otad_enrol_row e = { 0 };
	struct otad_unit u = { .code = "01", .name = "Ha Noi", .kind = OTAD_UNIT_PROVINCE };
	struct otad_holder h = { .id = "H-0002", .name = "Tran Thi B", .id_number = "001", .unit = "01" };
	EVP_PKEY *k = EVP_EC_gen("P-256");

	(void)state;
	/* card 2: a loaded certificate whose key_id is no key reference: not usable */
	ct.der_len = make_cert(k, der, NULL);
	ct.der = der;
	snprintf(ct.iccid, sizeof(ct.iccid), "8984010000000000013");
	snprintf(ct.key_id, sizeof(ct.key_id), "signing-key");
	snprintf(ct.profile, sizeof(ct.profile), "signing");
	assert_int_equal(cert_info(der, ct.der_len, ct.serial, &ct.not_after), 0);
	assert_int_equal(otad_db_cert_insert(g_otad->db, &ct), 0);
	assert_int_equal(otad_db_cert_set_status(g_otad->db, ct.id, OTAD_CERT_LOADED, -1), 0);
	assert_int_equal(otad_db_sign_target(g_otad->db, "2001", NULL, &t), 0);
	assert_string_equal(t.iccid, "8984010000000000013");
	assert_int_equal(t.der_len, 0);
	assert_int_equal(t.key_ref, -1);
	/* its enrolment says the key's slot */
	snprintf(e.iccid, sizeof(e.iccid), "8984010000000000013");
	e.key_id = 0x45;
	e.key_ref = 5;
	e.cert_row = ct.id;
	snprintf(e.profile, sizeof(e.profile), "signing");
	e.state = OTAD_ENROL_DONE;
	e.created_ms = e.updated_ms = otad_now_ms();
	assert_int_equal(otad_db_enrol_insert(g_otad->db, &e), 0);
	assert_int_equal(otad_db_sign_target(g_otad->db, "2001", NULL, &t), 0);
	assert_int_equal(t.key_ref, 5);
	assert_int_equal(t.der_len, ct.der_len);
	assert_string_equal(t.serial, ct.serial);
	/* by holder */
	assert_int_equal(otad_db_units_put(g_otad->db, &u, 1, "00"), 0);
	assert_int_equal(otad_db_holder_add(g_otad->db, &h), 0);
	assert_int_equal(otad_db_sign_target(g_otad->db, NULL, "H-0002", &t), -ENOENT);
	assert_int_equal(otad_db_card_set_holder(g_otad->db, "8984010000000000013", "H-0002"), 0);
	assert_int_equal(otad_db_sign_target(g_otad->db, NULL, "H-0002", &t), 0);
	assert_string_equal(t.iccid, "8984010000000000013");
	assert_string_equal(t.holder, "H-0002");
	assert_int_equal(t.key_ref, 5);
	/* revoked: no longer usable */
	assert_int_equal(otad_db_cert_set_status(g_otad->db, ct.id, OTAD_CERT_REVOKED, 1), 0);
	assert_int_equal(otad_db_sign_target(g_otad->db, "2001", NULL, &t), 0);
	assert_int_equal(t.der_len, 0);
	/* re-issued for the same key (a lifecycle modify or renew: no enrolment of its own): the enrolment of the old
	 * certificate of that key says the slot */
	assert_int_equal(otad_db_lc_cert_annotate(g_otad->db, ct.id, NULL, "aa11"), 0);
	ct2 = ct;
	assert_int_equal(otad_db_cert_insert(g_otad->db, &ct2), 0);
	assert_int_equal(otad_db_cert_set_status(g_otad->db, ct2.id, OTAD_CERT_LOADED, -1), 0);
	assert_int_equal(otad_db_lc_cert_annotate(g_otad->db, ct2.id, NULL, "aa11"), 0);
	assert_int_equal(otad_db_sign_target(g_otad->db, "2001", NULL, &t), 0);
	assert_int_equal(t.key_ref, 5);
	assert_int_equal(t.der_len, ct2.der_len);
	/* a certificate of another key: that enrolment is not its */
	assert_int_equal(otad_db_cert_set_status(g_otad->db, ct2.id, OTAD_CERT_REVOKED, 4), 0);
	ct2 = ct;
	assert_int_equal(otad_db_cert_insert(g_otad->db, &ct2), 0);
	assert_int_equal(otad_db_cert_set_status(g_otad->db, ct2.id, OTAD_CERT_LOADED, -1), 0);
	assert_int_equal(otad_db_lc_cert_annotate(g_otad->db, ct2.id, NULL, "bb22"), 0);
	assert_int_equal(otad_db_sign_target(g_otad->db, "2001", NULL, &t), 0);
	assert_int_equal(t.key_ref, -1);
	assert_int_equal(t.der_len, 0);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_the_spec),
		cmocka_unit_test(test_not_a_client),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_target),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
