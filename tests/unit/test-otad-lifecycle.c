/* simpki-otad's certificate lifecycle engine (ota-server/lifecycle/lifecycle.c) against its state table, on a real
 * database, with a fake CA at the function boundary (ra_cmp_kur_same_key_async(), ra_cmp_revoke_async(): requests
 * are recorded and answered by the test) and fake OTA jobs (otad_job_create() records the script; the test ends
 * the job through otad_job_final_cb with the outcome it chooses). Checks: every state's transitions, restart from
 * each stored state, never two new certificates for one old one (a repeat carries the same transactionID and the
 * fake CA answers it with the same certificate, as simpki-ca does), a keyCompromise key refused before any
 * request, the old certificate revoked only after the read-back, and the database functions behind it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <osmocom/core/application.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include <simpki/rapdu.h>

#include "cert_info.h"
#include "enrol.h"
#include "enrol_script.h"
#include "lifecycle.h"
#include "lifecycle_engine.h"
#include "otad.h"
#include "otad_db_lifecycle.h"
#include "otad_db_units.h"
#include "otad_job.h"
#include "ra_cmp.h"

#include "unit.h"

/* ---- what lifecycle.c links against, faked ---- */

struct otad *g_otad;
struct otad_enrol_cfg otad_enrol_cfg = { .tar = { 0x50, 0x4b, 0x49 } };
void (*otad_job_final_cb)(const struct otad_job_row *row);
const char *const ra_cmp_status_names[RA_CMP_N_STATUS] = { "done", "rejected", "unreachable", "error" };

static const struct log_info_cat cats[] = {
	[DOTAD] = { .name = "DOTAD", .enabled = 1, .loglevel = LOGL_ERROR },
	[DDB] = { .name = "DDB", .enabled = 1, .loglevel = LOGL_ERROR },
	[DSMPP] = { .name = "DSMPP", .enabled = 1, .loglevel = LOGL_ERROR },
	[DJOB] = { .name = "DJOB", .enabled = 1, .loglevel = LOGL_ERROR },
	[DAPI] = { .name = "DAPI", .enabled = 1, .loglevel = LOGL_ERROR },
	[DCERT] = { .name = "DCERT", .enabled = 1, .loglevel = LOGL_ERROR },
	[DCAMP] = { .name = "DCAMP", .enabled = 1, .loglevel = LOGL_ERROR },
	[DSIGN] = { .name = "DSIGN", .enabled = 1, .loglevel = LOGL_ERROR },
	[DSCP81] = { .name = "DSCP81", .enabled = 1, .loglevel = LOGL_ERROR },
};
static const struct log_info log_info = { .cat = cats, .num_cat = ARRAY_SIZE(cats) };

/* The CA's requests, in order. */
struct ca_req {
	bool kur; /* else rr */
	uint8_t old[2048];
	size_t old_len;
	uint8_t txid[16];
	bool has_subject;
	char purpose[16];
	int reason;
	ra_cmp_cb cb;
	void *priv;
	bool answered;
};
static struct ca_req reqs[64];
static unsigned n_reqs;

/* What the fake CA issued: per transactionID, one certificate. */
struct issued {
	uint8_t txid[16];
	uint8_t der[2048];
	size_t len;
};
static struct issued issued[64];
static unsigned n_issued;
static long next_serial = 0x1000;

int ra_cmp_kur_same_key_async(struct ra_cmp *ra, const uint8_t *old, size_t old_len, const uint8_t *subject,
			      size_t subject_len, const char *profile, const char *purpose, const uint8_t *txid,
			      ra_cmp_cb cb, void *priv)
{
	struct ca_req *q = &reqs[n_reqs++];

	assert_true(n_reqs < 64);
	assert_non_null(txid);
	memset(q, 0, sizeof(*q));
	q->kur = true;
	memcpy(q->old, old, old_len);
	q->old_len = old_len;
	memcpy(q->txid, txid, 16);
	q->has_subject = subject != NULL && subject_len > 0;
	snprintf(q->purpose, sizeof(q->purpose), "%s", purpose);
	q->cb = cb;
	q->priv = priv;
	return 0;
}

int ra_cmp_revoke_async(struct ra_cmp *ra, const uint8_t *cert, size_t len, int reason, ra_cmp_cb cb, void *priv)
{
	struct ca_req *q = &reqs[n_reqs++];

	assert_true(n_reqs < 64);
	memset(q, 0, sizeof(*q));
	memcpy(q->old, cert, len);
	q->old_len = len;
	q->reason = reason;
	q->cb = cb;
	q->priv = priv;
	return 0;
}

int otad_enrol_holder_subject(const struct otad_card *card, uint8_t *der, size_t max, char *err, size_t errlen)
{
	static const uint8_t name[] = { 0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55,
					0x04, 0x03, 0x0c, 0x04, 'N',  'e',  'w',  '!' };

	if (!card->holder[0])
		return -ENODATA;
	memcpy(der, name, sizeof(name));
	return sizeof(name);
}

/* The permission matrix, wrapped at link time (-Wl,--wrap=otad_perm): refuses \a deny_unit's holders. */
static const char *deny_unit;
static unsigned perm_asked;
int __real_otad_perm(struct otad_db *db, const struct otad_actor *who, enum otad_action action, const char *unit);
int __wrap_otad_perm(struct otad_db *db, const struct otad_actor *who, enum otad_action action, const char *unit);

int __wrap_otad_perm(struct otad_db *db, const struct otad_actor *who, enum otad_action action, const char *unit)
{
	perm_asked++;
	if (deny_unit && unit && !strcmp(unit, deny_unit))
		return -EPERM;
	return __real_otad_perm(db, who, action, unit);
}

/* The audit trail: every record taken (its own tests are unit-audit and otad-audit). */
int __wrap_otad_audit(const struct otad_actor *who, const char *action, const char *object, const char *result,
		      const char *fmt, ...);

int __wrap_otad_audit(const struct otad_actor *who, const char *action, const char *object, const char *result,
		      const char *fmt, ...)
{
	return 0;
}

/* The OTA jobs made, in order. */
struct job {
	char iccid[21];
	uint8_t script[OTAD_JOB_SCRIPT_MAX];
	size_t len;
	bool idempotent;
};
static struct job jobs[64];
static unsigned n_jobs;
static int job_create_rc;

int otad_job_create(const char *iccid, const uint8_t tar[3], const uint8_t *script, size_t len, bool idempotent,
		    const struct otad_job_opts *opts, int64_t *id, char *err, size_t errlen)
{
	if (job_create_rc) {
		snprintf(err, errlen, "refused by the test");
		return job_create_rc;
	}
	assert_true(n_jobs < 64);
	snprintf(jobs[n_jobs].iccid, sizeof(jobs[n_jobs].iccid), "%s", iccid);
	memcpy(jobs[n_jobs].script, script, len);
	jobs[n_jobs].len = len;
	jobs[n_jobs].idempotent = idempotent;
	*id = 1000 + n_jobs++;
	return 0;
}

/* The enrolments started (rekey): a real row each, so a restart finds it; the test ends them. */
void (*otad_enrol_end_cb)(const struct otad_enrol_row *row);
static struct otad_enrol_row enrols[8];
static unsigned n_enrols;

int otad_enrol_start_for(int64_t campaign, const char *iccid, uint8_t key_id, const char *profile, const char *holder,
			 const uint8_t *subject, size_t subject_len, const struct enrol_view *known, int64_t *id,
			 char *err, size_t errlen)
{
	struct otad_enrol_row *e = &enrols[n_enrols++];

	assert_true(n_enrols < 8);
	memset(e, 0, sizeof(*e));
	snprintf(e->iccid, sizeof(e->iccid), "%s", iccid);
	e->key_id = key_id;
	e->key_ref = -1;
	e->state = OTAD_ENROL_READ;
	snprintf(e->profile, sizeof(e->profile), "%s", profile);
	snprintf(e->holder, sizeof(e->holder), "%s", holder);
	assert_int_equal(otad_db_enrol_insert(g_otad->db, e), 0);
	*id = e->id;
	return 0;
}

int otad_job_cancel(int64_t id, char *err, size_t errlen)
{
	return -EBUSY;
}

/* ---- fixtures ---- */

static char dir[64];
static EVP_PKEY *keys[3];
static char serials[3][41]; /* the certificates in force of the three cards */
static const char *const iccids[3] = { "8984010000000000005", "8984010000000000013", "8984010000000000021" };
static const char *const holders[3] = { "H-1", "H-2", "H-3" };

static size_t make_cert(EVP_PKEY *k, long serial, const char *cn, uint8_t *der)
{
	X509 *x = X509_new();
	X509_NAME *n;
	unsigned char *p = der;
	int len;

	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	len = i2d_X509(x, &p);
	assert_true(len > 0);
	X509_free(x);
	return (size_t)len;
}

static EVP_PKEY *key_of(const uint8_t *der, size_t len)
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	EVP_PKEY *k;

	assert_non_null(x);
	k = X509_get0_pubkey(x);
	for (int i = 0; i < 3; i++) {
		if (EVP_PKEY_eq(k, keys[i]) == 1) {
			X509_free(x);
			return keys[i];
		}
	}
	X509_free(x);
	fail_msg("a certificate of an unknown key");
	return NULL;
}

static void run_timers(void)
{
	for (int i = 0; i < 3; i++) {
		usleep(2000);
		osmo_timers_prepare();
		osmo_timers_update();
	}
}

/* Answer CA request \a i: kur with \a st (done: the certificate of its transactionID, one per transactionID), rr
 * with \a st. */
static void ca_answer(unsigned i, enum ra_cmp_status st, unsigned long fail_info)
{
	struct ca_req *q = &reqs[i];
	struct ra_cmp_result res = { .status = st, .pki_status = st == RA_CMP_DONE ? 0 : 2, .fail_info = fail_info };

	assert_true(i < n_reqs);
	assert_false(q->answered);
	q->answered = true;
	snprintf(res.text, sizeof(res.text), "%s", st == RA_CMP_REJECTED ? "refused by the test" : "");
	if (q->kur && st == RA_CMP_DONE) {
		struct issued *is = NULL;

		for (unsigned k = 0; k < n_issued; k++)
			if (!memcmp(issued[k].txid, q->txid, 16))
				is = &issued[k];
		if (!is) {
			is = &issued[n_issued++];
			memcpy(is->txid, q->txid, 16);
			is->len = make_cert(key_of(q->old, q->old_len), next_serial++, "New", is->der);
		}
		res.cert = is->der;
		res.cert_len = is->len;
	}
	q->cb(&res, q->priv);
}

/* End job \a i with \a st and a response of \a n results. */
static void job_end(unsigned i, enum otad_job_state st, const struct rapdu_result *r, size_t n)
{
	static struct otad_job_row row;

	memset(&row, 0, sizeof(row));
	row.id = 1000 + i;
	row.state = st;
	row.idempotent = jobs[i].idempotent;
	snprintf(row.iccid, sizeof(row.iccid), "%s", jobs[i].iccid);
	if (n) {
		int len = rapdu_expanded_response(r, n, row.por_response, sizeof(row.por_response));

		assert_true(len > 0);
		row.por_response_len = (size_t)len;
	}
	otad_job_final_cb(&row);
}

/* The replace script ran: every command 9000. */
static void load_ok(unsigned i, size_t cert_len, bool delete_first)
{
	struct rapdu_result r[RAPDU_MAX_COMMANDS] = { 0 };
	size_t n = (delete_first ? 4 : 3) + (cert_len + ENROL_CHUNK - 1) / ENROL_CHUNK;

	for (size_t k = 0; k < n; k++)
		r[k].sw = 0x9000;
	job_end(i, OTAD_JOB_POR_OK, r, n);
}

/* The read-back: the file holds \a der. */
static void verify_with(unsigned i, const uint8_t *der, size_t len)
{
	struct rapdu_result r[16] = { { .sw = 0x9000 } };
	size_t n = 1;

	for (size_t off = 0; off < len; off += 256, n++)
		r[n] = (struct rapdu_result){ .sw = 0x9000,
					      .data = der + off,
					      .len = len - off < 256 ? len - off : 256 };
	job_end(i, OTAD_JOB_POR_OK, r, n);
}

static void db_item(int64_t op, int64_t seq, struct otad_lc_item *it)
{
	assert_int_equal(otad_db_lci_get(g_otad->db, op, seq, it), 0);
}

static struct otad_lc_cert cert_row(const char *serial)
{
	static struct otad_lc_cert lc;

	assert_int_equal(otad_db_lc_cert_get(g_otad->db, serial, &lc), 0);
	return lc;
}

static void copy_item(const struct otad_lc_item *row, void *priv)
{
	*(struct otad_lc_item *)priv = *row;
}

static void copy_op(const struct otad_lc_op *op, void *priv)
{
	*(struct otad_lc_op *)priv = *op;
}

static int64_t create(enum otad_lc_kind kind, int reason, const char *serial)
{
	struct otad_lc_params p = { .kind = kind, .reason = reason };
	const char *s[1] = { serial };
	struct otad_lc_select sel = { .serials = s, .n_serials = 1 };
	char err[200];
	int64_t id = 0;

	assert_int_equal(otad_lc_create(&otad_actor_vty, &p, &sel, &id, err, sizeof(err)), 0);
	return id;
}

static int setup(void **state)
{
	static const char csv[] = "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n"
				  "8984010000000000005,001010000000001,2000,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,"
				  "aes,1E2D3C4B5A69788796A5B4C3D2E1F00F\n"
				  "8984010000000000013,001010000000002,2001,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,"
				  "aes,1E2D3C4B5A69788796A5B4C3D2E1F00F\n"
				  "8984010000000000021,001010000000003,2002,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,"
				  "aes,1E2D3C4B5A69788796A5B4C3D2E1F00F\n";
	static const struct otad_unit units[] = {
		{ .code = "01", .name = "Hà Nội", .kind = OTAD_UNIT_PROVINCE },
		{ .code = "00004", .name = "Phường Ba Đình", .kind = OTAD_UNIT_WARD, .parent = "01" },
	};
	struct otad_import_report rep;
	uint8_t mk[KEYSTORE_KEY_LEN] = { 1 }, der[2048];
	char path[128], err[256];
	void *ctx = talloc_named_const(NULL, 0, "test-otad-lifecycle");

	(void)state;
	osmo_init_logging2(ctx, &log_info);
	if (getenv("LC_DEBUG"))
		log_set_log_level(osmo_stderr_target, LOGL_DEBUG);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	g_otad = talloc_zero(ctx, struct otad);
	g_otad->ctx = ctx;
	g_otad->ra = (struct ra_cmp *)&reqs; /* never dereferenced: the fake CA above */
	snprintf(dir, sizeof(dir), "/tmp/simpki-lc.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/otad.db", dir);
	assert_int_equal(otad_db_open(ctx, path, mk, &g_otad->db, err, sizeof(err)), 0);
	assert_int_equal(otad_db_import(g_otad->db, ctx, csv, strlen(csv), "cards.csv", &rep), 0);
	assert_int_equal(rep.rejected, 0);
	assert_int_equal(otad_db_units_put(g_otad->db, units, 2, "00"), 0);
	for (int i = 0; i < 3; i++) {
		struct otad_holder h = { .id_number = "001", .unit = "00004" };
		struct otad_cert c = { .status = OTAD_CERT_LOADED, .key_id = "2", .profile = "signing" };
		struct otad_enrol_row e = { .key_id = 2, .key_ref = 1, .state = OTAD_ENROL_DONE, .cert_fid = 0x3401 };
		int64_t na;

		snprintf(h.id, sizeof(h.id), "%s", holders[i]);
		snprintf(h.name, sizeof(h.name), "Holder %d", i + 1);
		assert_int_equal(otad_db_holder_add(g_otad->db, &h), 0);
		assert_int_equal(otad_db_card_set_holder(g_otad->db, iccids[i], holders[i]), 0);
		keys[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		assert_non_null(keys[i]);
		c.der_len = make_cert(keys[i], 0x100 + i, "Old", der);
		c.der = der;
		snprintf(c.iccid, sizeof(c.iccid), "%s", iccids[i]);
		assert_int_equal(cert_info(der, c.der_len, c.serial, &na), 0);
		c.not_after = na;
		assert_int_equal(otad_db_cert_insert(g_otad->db, &c), 0);
		snprintf(serials[i], sizeof(serials[i]), "%s", c.serial);
		snprintf(e.iccid, sizeof(e.iccid), "%s", iccids[i]);
		snprintf(e.profile, sizeof(e.profile), "signing");
		snprintf(e.serial, sizeof(e.serial), "%s", c.serial);
		assert_int_equal(otad_db_enrol_insert(g_otad->db, &e), 0);
	}
	otad_lc_cfg.backoff_min_s = 1;
	otad_lc_cfg.backoff_max_s = 1;
	otad_lc_cfg.retries = 2;
	otad_lc_init();
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	otad_lc_stop_all();
	otad_db_close(g_otad->db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < 3; i++)
		EVP_PKEY_free(keys[i]);
	return 0;
}

/* modify: check, issue (one kur with the holder's subject and a transactionID), load (a write job), verify (a read
 * job; a different file goes back to load, never to revoke), revoke (affiliationChanged) only then, done; the
 * records: new loaded, old revoked and replaced. A restart in issue asks again with the same transactionID; the
 * CA's repeat answer is the same certificate: one new certificate for the old one. */
static void test_modify(void **state)
{
	struct otad_lc_item it;
	struct otad_lc_op op;
	struct otad_lc_cert lc;
	unsigned r0 = n_reqs, j0 = n_jobs;
	int64_t id = create(OTAD_LC_MODIFY, -1, serials[0]);

	(void)state;
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_ISSUE);
	assert_int_equal(it.txid_len, 16);
	assert_true(it.subject_len > 0);
	assert_int_equal(n_reqs, r0 + 1);
	assert_true(reqs[r0].kur);
	assert_string_equal(reqs[r0].purpose, "modification");
	assert_true(reqs[r0].has_subject);
	assert_memory_equal(reqs[r0].txid, it.txid, 16);

	/* the daemon stops before the answer; it comes back: asked again, the same transactionID */
	otad_lc_stop_all();
	assert_int_equal(otad_lc_resume_all(), 1);
	assert_int_equal(n_reqs, r0 + 2);
	assert_memory_equal(reqs[r0 + 1].txid, it.txid, 16);
	ca_answer(r0, RA_CMP_DONE, 0); /* the first answer: its item is gone from memory, dropped */
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_ISSUE);
	ca_answer(r0 + 1, RA_CMP_DONE, 0);
	assert_int_equal(n_issued, 1); /* one certificate for both requests */
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_LOAD);
	assert_true(it.new_serial[0]);
	assert_int_equal(it.job, 1000 + j0);
	assert_false(jobs[j0].idempotent);
	lc = cert_row(it.new_serial);
	assert_int_equal(lc.c.status, OTAD_CERT_ISSUED);
	assert_string_equal(lc.holder, "H-1");
	assert_string_equal(lc.c.key_id, "2");
	assert_string_equal(cert_row(serials[0]).pubkey_sha256, lc.pubkey_sha256); /* the same key */

	/* load's outcome unknown: verify; the file still holds the old certificate: load again; no rr */
	job_end(j0, OTAD_JOB_UNKNOWN, NULL, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_VERIFY);
	assert_true(jobs[j0 + 1].idempotent);
	lc = cert_row(serials[0]);
	verify_with(j0 + 1, lc.der, lc.c.der_len);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_LOAD);
	assert_int_equal(n_reqs, r0 + 2); /* the old one is not revoked */
	load_ok(j0 + 2, it.new_cert_len, true);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_VERIFY);
	assert_int_equal(n_reqs, r0 + 2);
	verify_with(j0 + 3, it.new_cert, it.new_cert_len);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_REVOKE);
	assert_int_equal(cert_row(it.new_serial).c.status, OTAD_CERT_LOADED);
	assert_int_equal(n_reqs, r0 + 3);
	assert_false(reqs[r0 + 2].kur);
	assert_int_equal(reqs[r0 + 2].reason, 3);
	lc = cert_row(serials[0]);
	assert_memory_equal(reqs[r0 + 2].old, lc.der, lc.c.der_len);
	assert_int_equal(lc.c.status, OTAD_CERT_LOADED); /* until the CA says so */
	ca_answer(r0 + 2, RA_CMP_DONE, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_DONE);
	lc = cert_row(serials[0]);
	assert_int_equal(lc.c.status, OTAD_CERT_REVOKED);
	assert_int_equal(lc.c.reason, 3);
	assert_string_equal(lc.replaced_by, it.new_serial);
	run_timers();
	assert_int_equal(otad_db_lc_get(g_otad->db, id, &op), 0);
	assert_int_equal(op.state, OTAD_LC_DONE);
	assert_true(op.ended_ms > 0);
	/* the new certificate is the one in force now */
	snprintf(serials[0], sizeof(serials[0]), "%s", it.new_serial);
}

/* Restart from each stored state of a renew: the step is taken up (check, issue, revoke run again; load and
 * verify wait for their job); the CA answers repeats with the same certificate, and an rr repeated after the CA
 * revoked (certRevoked) counts as done. */
static void test_restart_each_state(void **state)
{
	struct otad_lc_item it;
	unsigned r0 = n_reqs, i0 = n_issued, j0;
	int64_t id;

	(void)state;
	id = create(OTAD_LC_RENEW, -1, serials[1]);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_ISSUE);
	assert_string_equal(reqs[r0].purpose, "renewal");
	assert_false(reqs[r0].has_subject); /* renewal: the old subject */

	/* stored in check: it runs check again, then issue with the stored transactionID */
	otad_lc_stop_all();
	it.state = OTAD_LCI_CHECK;
	assert_int_equal(otad_db_lci_update(g_otad->db, &it), 0);
	assert_int_equal(otad_lc_resume_all(), 1);
	assert_int_equal(n_reqs, r0 + 2);
	assert_memory_equal(reqs[r0 + 1].txid, reqs[r0].txid, 16);
	ca_answer(r0 + 1, RA_CMP_DONE, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_LOAD);
	j0 = n_jobs - 1;

	/* stored in load with its job: the job's end comes after the restart */
	otad_lc_stop_all();
	assert_int_equal(otad_lc_resume_all(), 1);
	assert_int_equal(n_jobs, j0 + 1); /* nothing sent again */
	load_ok(j0, it.new_cert_len, true);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_VERIFY);

	/* stored in verify without a job (the daemon stopped before it was made): verify is made */
	otad_lc_stop_all();
	it.job = 0;
	assert_int_equal(otad_db_lci_update(g_otad->db, &it), 0);
	assert_int_equal(otad_lc_resume_all(), 1);
	assert_int_equal(n_jobs, j0 + 3);
	assert_true(jobs[j0 + 2].idempotent);
	verify_with(j0 + 2, it.new_cert, it.new_cert_len);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_REVOKE);
	assert_int_equal(reqs[n_reqs - 1].reason, 4);

	/* stored in revoke: the CA revoked, but the answer was lost: asked again, certRevoked is done */
	otad_lc_stop_all();
	assert_int_equal(otad_lc_resume_all(), 1);
	ca_answer(n_reqs - 1, RA_CMP_REJECTED, 1UL << 10);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_DONE);
	assert_int_equal(n_issued, i0 + 1);
	assert_int_equal(cert_row(serials[1]).c.status, OTAD_CERT_REVOKED);
	assert_int_equal(cert_row(serials[1]).c.reason, 4);
	snprintf(serials[1], sizeof(serials[1]), "%s", it.new_serial);
	run_timers();
}

/* Never two unfinished items for one certificate; a CA that cannot be reached is asked again after a wait; a
 * refusal fails the item with the CA's words; the SMSC refusing a job is temporary. */
static void test_busy_and_failures(void **state)
{
	struct otad_lc_params p = { .kind = OTAD_LC_RENEW, .reason = -1 };
	const char *s[1] = { serials[2] };
	struct otad_lc_select sel = { .serials = s, .n_serials = 1 };
	struct otad_lc_item it;
	unsigned r0 = n_reqs;
	char err[200];
	int64_t id, id2;

	(void)state;
	id = create(OTAD_LC_RENEW, -1, serials[2]);
	assert_int_equal(otad_lc_create(&otad_actor_vty, &p, &sel, &id2, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "another unfinished operation"));
	ca_answer(r0, RA_CMP_UNREACHABLE, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_ISSUE);
	assert_int_equal(it.tries, 1);
	assert_true(it.next_try_ms > 0);
	assert_non_null(strstr(it.error, "could not be reached"));
	sleep(1);
	run_timers();
	assert_int_equal(n_reqs, r0 + 2);
	assert_memory_equal(reqs[r0 + 1].txid, reqs[r0].txid, 16);
	ca_answer(r0 + 1, RA_CMP_REJECTED, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_FAILED);
	assert_non_null(strstr(it.error, "refused by the test"));
	assert_int_equal(cert_row(serials[2]).c.status, OTAD_CERT_LOADED); /* untouched */
	run_timers();
	/* over: the certificate may be in a new operation */
	id2 = create(OTAD_LC_SUSPEND, -1, serials[2]);
	assert_int_equal(reqs[n_reqs - 1].reason, 6);
	ca_answer(n_reqs - 1, RA_CMP_DONE, 0);
	db_item(id2, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_DONE);
	assert_true(cert_row(serials[2]).hold);
	/* a suspended certificate is not renewed; release lifts the hold */
	id = create(OTAD_LC_RENEW, -1, serials[2]);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_FAILED);
	assert_non_null(strstr(it.error, "suspended"));
	id = create(OTAD_LC_RELEASE, -1, serials[2]);
	assert_int_equal(reqs[n_reqs - 1].reason, 8);
	ca_answer(n_reqs - 1, RA_CMP_DONE, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_DONE);
	assert_false(cert_row(serials[2]).hold);
	run_timers();
}

/* revoke keyCompromise records the key; a renewal of another certificate of that key fails in check before any
 * request to the CA. */
static void test_key_compromise(void **state)
{
	struct otad_cert c = { .status = OTAD_CERT_LOADED, .key_id = "2", .profile = "signing" };
	struct otad_lc_item it;
	uint8_t der[2048];
	unsigned r0 = n_reqs;
	int64_t id, na;

	(void)state;
	id = create(OTAD_LC_REVOKE, 1, serials[2]);
	assert_int_equal(reqs[r0].reason, 1);
	ca_answer(r0, RA_CMP_DONE, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_DONE);
	assert_int_equal(otad_db_lc_key_compromised(g_otad->db, cert_row(serials[2]).pubkey_sha256), 1);
	/* another certificate of the same key, loaded (issued elsewhere) */
	c.der_len = make_cert(keys[2], 0x777, "Other", der);
	c.der = der;
	snprintf(c.iccid, sizeof(c.iccid), "%s", iccids[2]);
	assert_int_equal(cert_info(der, c.der_len, c.serial, &na), 0);
	c.not_after = na;
	assert_int_equal(otad_db_cert_insert(g_otad->db, &c), 0);
	id = create(OTAD_LC_RENEW, -1, c.serial);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_FAILED);
	assert_non_null(strstr(it.error, "key compromised"));
	assert_int_equal(n_reqs, r0 + 1); /* nothing asked */
	run_timers();
}

/* Selections: by holders (one with nothing in force: -ENOENT), by unit (and its subtree), nothing: -ENODATA;
 * pause keeps items from starting; cancel ends those not started; progress counts. */
static void test_select_pause_cancel(void **state)
{
	struct otad_lc_params p = { .kind = OTAD_LC_REVOKE, .reason = -1, .concurrency = 1 };
	const char *hs[2] = { "H-1", "H-9" };
	struct otad_lc_select sel = { .holders = hs, .n_holders = 2 };
	struct otad_lc_progress pr;
	struct otad_lc_op op;
	char err[200];
	int64_t id;

	(void)state;
	/* H-9 is nobody: nothing in force, and nothing made */
	assert_int_equal(otad_lc_create(&otad_actor_vty, &p, &sel, &id, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "H-9"));
	sel = (struct otad_lc_select){ .unit = "99" };
	assert_int_equal(otad_lc_create(&otad_actor_vty, &p, &sel, &id, err, sizeof(err)), -ENOENT);
	/* the province takes its ward's holders: H-1, H-2 and H-3 have certificates in force */
	sel = (struct otad_lc_select){ .unit = "01" };
	assert_int_equal(otad_lc_create(&otad_actor_vty, &p, &sel, &id, err, sizeof(err)), 0);
	assert_int_equal(otad_db_lc_get(g_otad->db, id, &op), 0);
	assert_int_equal(op.items, 3);
	assert_int_equal(otad_lc_pause(id), 0);
	assert_int_equal(otad_lc_pause(id), -EALREADY);
	assert_int_equal(otad_lc_progress(&op, &pr), 0);
	assert_int_equal(pr.n[OTAD_LCI_REVOKE], 1); /* concurrency 1: the first is at the CA */
	assert_int_equal(pr.n[OTAD_LCI_WAITING], 2);
	assert_int_equal(otad_lc_cancel(id), 0);
	assert_int_equal(otad_lc_cancel(id), -EALREADY);
	assert_int_equal(otad_lc_progress(&op, &pr), 0);
	assert_int_equal(pr.n[OTAD_LCI_CANCELLED], 2);
	ca_answer(n_reqs - 1, RA_CMP_DONE, 0); /* the step under way ends as it ends */
	run_timers();
	assert_int_equal(otad_db_lc_get(g_otad->db, id, &op), 0);
	assert_int_equal(op.state, OTAD_LC_CANCELLED);
	assert_true(op.ended_ms > 0);
	assert_int_equal(otad_lc_progress(&op, &pr), 0);
	assert_int_equal(pr.done, 3);
	assert_int_equal(pr.n[OTAD_LCI_DONE], 1);
	assert_int_equal(otad_lc_resume(id), -EALREADY);
	assert_int_equal(otad_lc_pause(999), -ENOENT);
	/* the reason's rules */
	p.kind = OTAD_LC_SUSPEND;
	p.reason = 1;
	assert_int_equal(otad_lc_create(&otad_actor_vty, &p, &sel, &id, err, sizeof(err)), -EINVAL);
	p.kind = OTAD_LC_REVOKE;
	p.reason = 6;
	assert_int_equal(otad_lc_create(&otad_actor_vty, &p, &sel, &id, err, sizeof(err)), -EINVAL);
}

/* Cancel while an item loads: the read-back and the old certificate's revocation still run (the SIM may hold the
 * new one); an item still waiting ends cancelled. */
static void test_cancel_after_load(void **state)
{
	struct otad_lc_item it;
	struct otad_lc_op op;
	unsigned r0 = n_reqs, j0 = n_jobs;
	int64_t id = create(OTAD_LC_RENEW, -1, serials[1]);

	(void)state;
	ca_answer(r0, RA_CMP_DONE, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_LOAD);
	assert_int_equal(otad_lc_cancel(id), 0);
	load_ok(j0, it.new_cert_len, true);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_VERIFY);
	verify_with(j0 + 1, it.new_cert, it.new_cert_len);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_REVOKE);
	ca_answer(r0 + 1, RA_CMP_DONE, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_DONE);
	run_timers();
	assert_int_equal(otad_db_lc_get(g_otad->db, id, &op), 0);
	assert_int_equal(op.state, OTAD_LC_CANCELLED);
	assert_true(op.ended_ms > 0);
	snprintf(serials[1], sizeof(serials[1]), "%s", it.new_serial);
}

/* rekey: keygen looks at the SIM (reads), generates the key with the old one's iD + 0x10 (writes), the new key's
 * enrolment (one: a restart finds it), then the old certificate revoked superseded, replaced by the new. */
static void test_rekey(void **state)
{
	static uint8_t zeros[256], look_pub[8] = { 0x7f, 0x49, 0x04, 0x86, 0x02, 0x04, 0x00 };
	struct rapdu_result look[13], gen[4];
	struct otad_lc_item it;
	struct otad_enrol_row e;
	EVP_PKEY *nk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned j0 = n_jobs, r0 = n_reqs;
	int64_t id, na;

	(void)state;
	id = create(OTAD_LC_REKEY, -1, serials[0]);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_KEYGEN);
	assert_true(jobs[j0].idempotent);
	for (int i = 0; i < 13; i++)
		look[i] = (struct rapdu_result){ .sw = 0x9000 };
	look[10] = (struct rapdu_result){ .sw = 0x9000, .data = zeros, .len = 256 }; /* an empty PrKDF */
	look[12] = (struct rapdu_result){ .sw = 0x9000, .data = zeros, .len = 256 }; /* an empty CDF */
	job_end(j0, OTAD_JOB_POR_OK, look, 13);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_KEYGEN);
	assert_int_equal(n_jobs, j0 + 2);
	assert_false(jobs[j0 + 1].idempotent); /* the keygen */
	/* its outcome unknown: look again (never generate twice) */
	job_end(j0 + 1, OTAD_JOB_UNKNOWN, NULL, 0);
	assert_int_equal(n_jobs, j0 + 3);
	assert_true(jobs[j0 + 2].idempotent);
	job_end(j0 + 2, OTAD_JOB_POR_OK, look, 13);
	for (int i = 0; i < 4; i++)
		gen[i] = (struct rapdu_result){ .sw = 0x9000 };
	gen[1] = (struct rapdu_result){ .sw = 0x9000, .data = look_pub, .len = sizeof(look_pub) };
	job_end(j0 + 3, OTAD_JOB_POR_OK, gen, 4);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_ENROL);
	assert_int_equal(n_enrols, 1);
	assert_int_equal(enrols[0].key_id, 0x12);
	assert_int_equal(it.job, enrols[0].id);
	/* a restart while it runs: the same enrolment, none new */
	otad_lc_stop_all();
	assert_int_equal(otad_lc_resume_all(), 1);
	assert_int_equal(n_enrols, 1);
	assert_int_equal(n_reqs, r0); /* nothing revoked yet */
	/* it ends: its certificate (a new key) is recorded by the enrolment module; the old one is revoked */
	assert_int_equal(otad_db_enrol_get(g_otad->db, enrols[0].id, &e), 0);
	e.state = OTAD_ENROL_DONE;
	e.cert_len = make_cert(nk, 0x5555, "Rekeyed", e.cert);
	assert_int_equal(otad_db_enrol_update(g_otad->db, &e), 0);
	{
		struct otad_cert c = { .status = OTAD_CERT_LOADED,
				       .key_id = "18",
				       .profile = "signing",
				       .der = e.cert,
				       .der_len = e.cert_len };

		snprintf(c.iccid, sizeof(c.iccid), "%s", iccids[0]);
		assert_int_equal(cert_info(e.cert, e.cert_len, c.serial, &na), 0);
		c.not_after = na;
		assert_int_equal(otad_db_cert_insert(g_otad->db, &c), 0);
	}
	otad_enrol_end_cb(&e);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_REVOKE);
	assert_int_equal(n_reqs, r0 + 1);
	assert_int_equal(reqs[r0].reason, 4);
	ca_answer(r0, RA_CMP_DONE, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_DONE);
	assert_string_equal(cert_row(serials[0]).replaced_by, it.new_serial);
	assert_string_not_equal(cert_row(it.new_serial).pubkey_sha256, cert_row(serials[0]).pubkey_sha256);
	assert_string_equal(cert_row(it.new_serial).holder, "H-1");
	snprintf(serials[0], sizeof(serials[0]), "%s", it.new_serial);
	EVP_PKEY_free(nk);
	run_timers();
}

/* The database functions by themselves: an operation and its items, the busy index, the lists and counts, the
 * certificate's lifecycle columns, compromised keys. */
static void test_db(void **state)
{
	struct otad_lc_op op = {
		.kind = OTAD_LC_SUSPEND, .reason = -1, .name = "db", .by = "t", .params = "{}", .concurrency = 1
	};
	struct otad_lc_op op2 = op;
	const char *s[2] = { serials[1], serials[1] };
	struct otad_lc_select sel = { .serials = s, .n_serials = 1 };
	struct otad_lc_item it;
	int64_t n[OTAD_LCI_N_STATES], backoff, k;
	char err[200];

	(void)state;
	assert_int_equal(otad_db_lc_create(g_otad->db, &op, &sel, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(op.items, 1);
	/* the same certificate in a second unfinished operation: refused, nothing made */
	assert_int_equal(otad_db_lc_create(g_otad->db, &op2, &sel, NULL, NULL, err, sizeof(err)), -EBUSY);
	assert_int_equal(otad_db_lc_get(g_otad->db, op.id + 1, &op2), -ENOENT);
	/* named twice in one: refused too */
	sel.n_serials = 2;
	op2 = op;
	assert_int_equal(otad_db_lc_create(g_otad->db, &op2, &sel, NULL, NULL, err, sizeof(err)), -EBUSY);
	assert_int_equal(otad_db_lci_get(g_otad->db, op.id, 1, &it), 0);
	assert_int_equal(it.state, OTAD_LCI_WAITING);
	assert_string_equal(it.holder, "H-2");
	assert_string_equal(it.iccid, iccids[1]);
	assert_int_equal(otad_db_lci_ready(g_otad->db, op.id, otad_now_ms(), 10, copy_item, &it), 1);
	it.state = OTAD_LCI_LOAD;
	it.job = 4242;
	assert_int_equal(otad_db_lci_update(g_otad->db, &it), 0);
	memset(&it, 0, sizeof(it));
	assert_int_equal(otad_db_lci_by_job(g_otad->db, 4242, &it), 0);
	assert_int_equal(it.state, OTAD_LCI_LOAD);
	assert_int_equal(otad_db_lci_in_step(g_otad->db, op.id, copy_item, &it), 1);
	/* waiting to try again: not in a step, ready when due */
	it.job = 0;
	it.next_try_ms = otad_now_ms() + 60000;
	assert_int_equal(otad_db_lci_update(g_otad->db, &it), 0);
	assert_int_equal(otad_db_lci_in_step(g_otad->db, op.id, copy_item, &it), 0);
	assert_int_equal(otad_db_lci_ready(g_otad->db, op.id, otad_now_ms(), 10, copy_item, &it), 0);
	assert_int_equal(otad_db_lci_ready(g_otad->db, op.id, otad_now_ms() + 61000, 10, copy_item, &it), 1);
	assert_int_equal(otad_db_lc_counts(g_otad->db, op.id, n, &backoff), 0);
	assert_int_equal(n[OTAD_LCI_LOAD], 1);
	assert_int_equal(backoff, 1);
	assert_int_equal(otad_db_lci_pending(g_otad->db, op.id), 1);
	assert_int_equal(otad_db_lci_list(g_otad->db, op.id, "load", 0, 10, copy_item, &it), 1);
	assert_int_equal(otad_db_lci_list(g_otad->db, op.id, "done", 0, 10, copy_item, &it), 0);
	assert_int_equal(otad_db_lci_cancel_pending(g_otad->db, op.id), 1);
	assert_int_equal(otad_db_lci_pending(g_otad->db, op.id), 0);
	assert_int_equal(otad_db_lc_done_since(g_otad->db, op.id, 0, &k), 0);
	assert_int_equal(k, 1);
	assert_true(otad_db_lc_list(g_otad->db, false, 0, 0, copy_op, &op2) > 1);
	assert_int_equal(op2.id, 1); /* newest first: the last one seen is the oldest */
	/* the certificate's columns */
	assert_int_equal(otad_db_lc_cert_hold(g_otad->db, serials[1], true), 0);
	assert_true(cert_row(serials[1]).hold);
	assert_int_equal(otad_db_lc_cert_hold(g_otad->db, "abcdef", true), -ENOENT);
	assert_int_equal(otad_db_lc_cert_hold(g_otad->db, serials[1], false), 0);
	assert_false(cert_row(serials[1]).hold);
	assert_int_equal(otad_db_lc_key_compromised(g_otad->db, "00"), 0);
	assert_int_equal(otad_db_lc_cert_revoke(g_otad->db, "abcdef", 1, NULL, "00"), -ENOENT);
	assert_int_equal(otad_db_lc_key_compromised(g_otad->db, "00"), 0);
}

/* Every selected holder's unit is asked (the kind's action); one outside: nothing made, -EPERM naming it. The
 * benchmark knob test-skip-ota takes load and verify as done: no job is made. */
static void test_perm_and_skip_ota(void **state)
{
	struct otad_lc_params p = { .kind = OTAD_LC_RENEW, .reason = -1 };
	const char *hs[2] = { "H-1", "H-2" };
	struct otad_lc_select sel = { .holders = hs, .n_holders = 2 };
	struct otad_lc_item it;
	struct otad_lc_op op;
	unsigned r0 = n_reqs, j0 = n_jobs;
	char err[200];
	int64_t id = 0, last = 0;

	(void)state;
	assert_true(otad_db_lc_list(g_otad->db, false, 0, 1, copy_op, &op) == 1);
	last = op.id;
	deny_unit = "00004";
	perm_asked = 0;
	assert_int_equal(otad_lc_create(&otad_actor_vty, &p, &sel, &id, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "H-1"));
	assert_int_equal(perm_asked, 1); /* the first outside stops it */
	assert_int_equal(otad_db_lc_list(g_otad->db, false, 0, 1, copy_op, &op), 1);
	assert_int_equal(op.id, last); /* nothing made */
	assert_int_equal(n_reqs, r0);
	deny_unit = NULL;

	otad_lc_cfg.test_skip_ota = true;
	id = create(OTAD_LC_RENEW, -1, serials[1]);
	ca_answer(r0, RA_CMP_DONE, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_REVOKE);
	assert_int_equal(n_jobs, j0);
	assert_int_equal(cert_row(it.new_serial).c.status, OTAD_CERT_LOADED);
	ca_answer(r0 + 1, RA_CMP_DONE, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_DONE);
	otad_lc_cfg.test_skip_ota = false;
	snprintf(serials[1], sizeof(serials[1]), "%s", it.new_serial);
	run_timers();
}

/* modify of a certificate whose subject is the holder's as it is now (byte for byte): skipped, "subject unchanged";
 * nothing asked of the CA, no job, nothing revoked; the operation is over. */
static void test_modify_unchanged(void **state)
{
	static const char *const cns[2] = { "New!", "Newer" }; /* the fake otad_enrol_holder_subject()'s, another */
	struct otad_lc_item it;
	struct otad_lc_op op;
	unsigned r0 = n_reqs, j0 = n_jobs;
	char serial[2][41];
	uint8_t der[2048];
	int64_t id, na;

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct otad_cert c = { .status = OTAD_CERT_LOADED, .key_id = "3", .profile = "signing" };
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); /* keys[2]'s was revoked: keyCompromise */

		assert_non_null(k);
		c.der_len = make_cert(k, 0x200 + i, cns[i], der);
		EVP_PKEY_free(k);
		c.der = der;
		snprintf(c.iccid, sizeof(c.iccid), "%s", iccids[2]);
		assert_int_equal(cert_info(der, c.der_len, c.serial, &na), 0);
		c.not_after = na;
		assert_int_equal(otad_db_cert_insert(g_otad->db, &c), 0);
		snprintf(serial[i], sizeof(serial[i]), "%s", c.serial);
	}
	id = create(OTAD_LC_MODIFY, -1, serial[0]);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_SKIPPED);
	assert_string_equal(it.error, "subject unchanged");
	assert_int_equal(it.txid_len, 0);
	assert_false(it.new_serial[0]);
	assert_int_equal(n_reqs, r0);
	assert_int_equal(n_jobs, j0);
	assert_int_equal(cert_row(serial[0]).c.status, OTAD_CERT_LOADED);
	run_timers();
	assert_int_equal(otad_db_lc_get(g_otad->db, id, &op), 0);
	assert_int_equal(op.state, OTAD_LC_DONE);
	assert_string_equal(op.unit, "00004"); /* the lowest unit containing its holder */
	/* a subject that differs: on to issue */
	id = create(OTAD_LC_MODIFY, -1, serial[1]);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_ISSUE);
	assert_int_equal(n_reqs, r0 + 1);
	assert_true(reqs[r0].kur);
	ca_answer(r0, RA_CMP_REJECTED, 0);
	db_item(id, 1, &it);
	assert_int_equal(it.state, OTAD_LCI_FAILED);
	run_timers();
}

/* A modify over a unit change that is not applied yet (pending: its effective time to come): -EAGAIN, saying so;
 * nothing made. */
static void test_unit_change_pending(void **state)
{
	struct unit_change ch = { .kind = UNIT_CHANGE_RENAME, .unit = "00004", .name = "Phường Ba Đình (mới)" };
	struct otad_lc_params p = { .kind = OTAD_LC_MODIFY, .reason = -1 };
	struct otad_lc_select sel = { 0 };
	struct otad_lc_op op;
	char err[240];
	int64_t change = 0, id = 0, last;

	(void)state;
	ch.effective_ms = otad_now_ms() + 86400000; /* tomorrow: pending */
	assert_int_equal(otad_db_unit_change_file(g_otad->db, &ch, "test", otad_now_ms(), &change, err, sizeof(err)),
			 0);
	assert_int_equal(otad_db_lc_list(g_otad->db, false, 0, 1, copy_op, &op), 1);
	last = op.id;
	sel.unit_change = change;
	assert_int_equal(otad_lc_create(&otad_actor_vty, &p, &sel, &id, err, sizeof(err)), -EAGAIN);
	assert_non_null(strstr(err, "not applied"));
	assert_int_equal(otad_db_lc_list(g_otad->db, false, 0, 1, copy_op, &op), 1);
	assert_int_equal(op.id, last); /* nothing made */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modify),
		cmocka_unit_test(test_restart_each_state),
		cmocka_unit_test(test_busy_and_failures),
		cmocka_unit_test(test_key_compromise),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_cancel_after_load),
		cmocka_unit_test(test_perm_and_skip_ota),
		cmocka_unit_test(test_select_pause_cancel),
		cmocka_unit_test(test_db),
		cmocka_unit_test(test_modify_unchanged),
		cmocka_unit_test(test_unit_change_pending),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
