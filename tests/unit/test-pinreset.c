/* Remote PIN reset by a counter (ota-server/pinreset/) against its spec, the state table of pinreset.c, on a real
 * SQLite database and an SMSC bind that never connects (a job's SMS and the holder's notice wait in its queue), the
 * job's end given by the test as the job engine hands it over (otad_job_final_cb):
 *  - the registered osmo_fsm's state table is the spec;
 *  - the identity check: normalised (spaces, '-', '.', '/', case), equal only on equal length, refused empty or
 *    too long; the one-time PIN: 6 digits, uniform enough (every digit in every place over 2000 draws); the script
 *    (expanded) 00 2C 02 01 06 PIN or 00 2C 03 01 and the PIN read back from it (never from zeros);
 *  - the PoR's outcome: 9000 reset; 6982 refused (not the issuer), 6986 (not operational), PoR status 09 (no
 *    applet at the TAR), no PoR (unknown: may have run), not delivered;
 *  - start: no holder -ENOENT; a wrong identity number -EACCES and nothing stored or sent; a card not active
 *    -EPERM; a second reset of a card while one runs -EBUSY;
 *  - por-ok 9000: done, the holder's notice (3 UCS2 SMS) queued, the job's stored script zeros of the same length
 *    and its PoR data cleared (otad_db_job_scrub()); 6982 on an unblock: failed with the explanation, no notice;
 *    unknown: failed, the one-time PIN sent all the same;
 *  - a restart: a stored reset whose job ended meanwhile is ended by otad_pin_reset_init();
 *  - otad_pin_reset_on_end called once per reset with its outcome; the audit trail (otad_audit() wrapped) gets
 *    "refused" for a mismatch, "accepted" at the start, "done" at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>

#include "otad.h"
#include "otad_db_pinreset.h"
#include "otad_job.h"
#include "pinreset/pinreset_int.h"

#include "unit.h"
#include "otad_fixture.h"

#define S(x) (1u << (x))

struct otad *g_otad;
extern struct osmo_fsm otad_pin_reset_fsm;
static struct otad_smsc *smsc;
static char dir[64];
static int ended_ok = -1;
static int64_t ended_id;

static const struct otad_actor counter = { .name = "quay-01", .role = OTAD_ROLE_COUNTER, .scope = "01", .via = "api" };

static const char csv[] = "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n"
			  "8984010000000000005,001010000000001,2000,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,"
			  "aes,1E2D3C4B5A69788796A5B4C3D2E1F00F\n"
			  "8984010000000000013,001010000000002,2001,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,"
			  "aes,1E2D3C4B5A69788796A5B4C3D2E1F00F\n";

/* The audit trail as the test sees it (otad_audit() wrapped at link time): the last records' results. */
static char audited[8][400];
static unsigned n_audited;
int __wrap_otad_audit(const struct otad_actor *who, const char *action, const char *object, const char *result,
		      const char *fmt, ...);
int __wrap_otad_audit(const struct otad_actor *who, const char *action, const char *object, const char *result,
		      const char *fmt, ...)
{
	(void)fmt;
	snprintf(audited[n_audited++ % 8], sizeof(audited[0]), "%s %s %s %s", who->name, action, object, result);
	return 0;
}

static bool audited_last(const char *rec)
{
	return n_audited && !strncmp(audited[(n_audited - 1) % 8], rec, strlen(rec));
}

static void on_end(int64_t id, int64_t request, int ok)
{
	(void)request;
	ended_id = id;
	ended_ok = ok;
}

static int setup(void **state)
{
	struct otad_unit u = { .code = "01", .name = "Hà Nội", .kind = OTAD_UNIT_PROVINCE };
	struct otad_holder h1 = { .id = "H-1", .name = "Nguyễn Văn A", .id_number = "001 234 567 890", .unit = "01" };
	struct otad_holder h2 = { .id = "H-2", .name = "Trần Thị B", .id_number = "079-1", .unit = "01" };
	static const struct smpp_esme_ops ops = { 0 };
	void *ctx = talloc_named_const(NULL, 0, "test-pinreset");

	(void)state;
	otad_fixture_open(ctx, dir, sizeof(dir), "pinreset", csv, sizeof(csv) - 1);
	assert_int_equal(otad_db_units_put(g_otad->db, &u, 1, "00"), 0);
	assert_int_equal(otad_db_holder_add(g_otad->db, &h1), 0);
	assert_int_equal(otad_db_holder_add(g_otad->db, &h2), 0);
	assert_int_equal(otad_db_card_set_holder(g_otad->db, "8984010000000000005", "H-1"), 0);
	assert_int_equal(otad_db_card_set_holder(g_otad->db, "8984010000000000013", "H-2"), 0);
	smsc = talloc_zero(ctx, struct otad_smsc);
	otad_fixture_smsc(ctx, smsc, &ops);
	assert_int_equal(otad_pin_reset_init(), 0);
	otad_pin_reset_on_end = on_end;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return unit_rmdir(dir);
}

static void test_table_is_the_spec(void **state)
{
	static const struct {
		const char *name;
		uint32_t events, to;
	} spec[] = {
		{ "job", S(0), S(1) | S(3) },
		{ "notify", S(0), S(1) | S(2) | S(3) },
		{ "done", 0, 0 },
		{ "failed", 0, 0 },
	};

	(void)state;
	assert_int_equal(otad_pin_reset_fsm.num_states, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_string_equal(otad_pin_reset_fsm.states[i].name, spec[i].name);
		assert_int_equal(otad_pin_reset_fsm.states[i].in_event_mask, spec[i].events);
		assert_int_equal(otad_pin_reset_fsm.states[i].out_state_mask, spec[i].to);
	}
}

static void test_identity(void **state)
{
	(void)state;
	assert_true(otad_pin_reset_id_match("001234567890", "001 234 567 890"));
	assert_true(otad_pin_reset_id_match("b-12.34/5", "B12345"));
	assert_false(otad_pin_reset_id_match("001234567891", "001 234 567 890"));
	assert_false(otad_pin_reset_id_match("00123456789", "001234567890"));	/* shorter */
	assert_false(otad_pin_reset_id_match("0012345678900", "001234567890")); /* longer */
	assert_false(otad_pin_reset_id_match("", ""));
	assert_false(otad_pin_reset_id_match(" - ", ""));
	assert_false(otad_pin_reset_id_match(NULL, "1"));
	assert_false(otad_pin_reset_id_match("1111111111111111111111111111111111111111111111111111111111111111111",
					     "1111111111111111111111111111111111111111111111111111111111111111111"));
}

static void test_otp_and_script(void **state)
{
	char otp[OTAD_PIN_RESET_OTP_LEN + 1], back[17];
	unsigned seen[6][10] = { { 0 } };
	uint8_t s[32];

	(void)state;
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(otad_pin_reset_otp(otp), 0);
		assert_int_equal(strlen(otp), 6);
		for (int k = 0; k < 6; k++) {
			assert_true(otp[k] >= '0' && otp[k] <= '9');
			seen[k][otp[k] - '0']++;
		}
	}
	for (int k = 0; k < 6; k++)
		for (int d = 0; d < 10; d++)
			assert_true(seen[k][d] > 100); /* 200 expected */
	/* the expanded format: AA 0D 22 0B 00 2C 02 01 06 PIN */
	assert_int_equal(otad_pin_reset_script(OTAD_PIN_RESET_ONE_TIME_PIN, "123456", s, sizeof(s)), 15);
	assert_memory_equal(s,
			    "\xaa\x0d\x22\x0b\x00\x2c\x02\x01\x06"
			    "123456",
			    15);
	assert_int_equal(otad_pin_reset_script_pin(s, 15, back, sizeof(back)), 0);
	assert_string_equal(back, "123456");
	memset(s, 0, 15);
	assert_int_equal(otad_pin_reset_script_pin(s, 15, back, sizeof(back)), -EINVAL); /* scrubbed */
	assert_int_equal(otad_pin_reset_script(OTAD_PIN_RESET_UNBLOCK, NULL, s, sizeof(s)), 8);
	assert_memory_equal(s, "\xaa\x06\x22\x04\x00\x2c\x03\x01", 8);
	assert_int_equal(otad_pin_reset_script_pin(s, 8, back, sizeof(back)), -EINVAL);
	assert_int_equal(otad_pin_reset_script(OTAD_PIN_RESET_ONE_TIME_PIN, "123", s, sizeof(s)), -EINVAL);
	assert_int_equal(otad_pin_reset_script(OTAD_PIN_RESET_ONE_TIME_PIN, NULL, s, sizeof(s)), -EINVAL);
}

static void test_outcome(void **state)
{
	struct otad_job_row j = { .state = OTAD_JOB_POR_OK, .por_status = 0, .por_commands = 1, .por_last_sw = 0x9000 };
	char why[160];

	(void)state;
	assert_int_equal(otad_pin_reset_outcome_of(&j, why, sizeof(why)), OTAD_PIN_RESET_OK);
	assert_non_null(strstr(why, "9000"));
	j.por_last_sw = 0x6982;
	assert_int_equal(otad_pin_reset_outcome_of(&j, why, sizeof(why)), OTAD_PIN_RESET_REFUSED);
	assert_non_null(strstr(why, "6982: refused: not with the issuer's authority"));
	j.por_last_sw = 0x6986;
	assert_int_equal(otad_pin_reset_outcome_of(&j, why, sizeof(why)), OTAD_PIN_RESET_REFUSED);
	assert_non_null(strstr(why, "not operational"));
	j.por_commands = 0;
	assert_int_equal(otad_pin_reset_outcome_of(&j, why, sizeof(why)), OTAD_PIN_RESET_REFUSED);
	j.state = OTAD_JOB_POR_ERROR;
	j.por_status = 0x09;
	assert_int_equal(otad_pin_reset_outcome_of(&j, why, sizeof(why)), OTAD_PIN_RESET_REFUSED);
	assert_non_null(strstr(why, "PoR status 09: the card has no application"));
	j.state = OTAD_JOB_UNKNOWN;
	assert_int_equal(otad_pin_reset_outcome_of(&j, why, sizeof(why)), OTAD_PIN_RESET_UNKNOWN);
	j.state = OTAD_JOB_TIMED_OUT;
	assert_int_equal(otad_pin_reset_outcome_of(&j, why, sizeof(why)), OTAD_PIN_RESET_UNKNOWN);
	j.state = OTAD_JOB_FAILED;
	snprintf(j.error, sizeof(j.error), "not delivered: absent subscriber");
	assert_int_equal(otad_pin_reset_outcome_of(&j, why, sizeof(why)), OTAD_PIN_RESET_REFUSED);
	j.state = OTAD_JOB_CANCELLED;
	assert_int_equal(otad_pin_reset_outcome_of(&j, why, sizeof(why)), OTAD_PIN_RESET_REFUSED);
}

static void test_text(void **state)
{
	char t[512];

	(void)state;
	assert_true(otad_pin_reset_text(OTAD_PIN_RESET_ONE_TIME_PIN, "quay-01", "654321", false, t, sizeof(t)) > 0);
	assert_non_null(strstr(t, "One-time PIN: 654321."));
	assert_non_null(strstr(t, "Mã PIN dùng một lần: 654321."));
	assert_non_null(strstr(t, "reset at quay-01"));
	assert_true(otad_pin_reset_text(OTAD_PIN_RESET_UNBLOCK, "quay-01", NULL, false, t, sizeof(t)) > 0);
	assert_null(strstr(t, "One-time"));
	assert_non_null(strstr(t, "unblocked"));
	assert_int_equal(otad_pin_reset_text(OTAD_PIN_RESET_ONE_TIME_PIN, "quay-01", "654321", false, t, 40), -E2BIG);
}

/* The job of reset \a id as the job engine hands it over at its end, in state \a st. */
static struct otad_job_row *ended_job(int64_t id, enum otad_job_state st, uint16_t sw)
{
	static struct otad_job_row j;
	struct otad_pin_reset_row r;

	assert_int_equal(otad_db_pin_reset_get(g_otad->db, id, &r), 0);
	assert_int_equal(otad_db_job_get(g_otad->db, r.job, &j), 0);
	j.state = st;
	j.por_status = st == OTAD_JOB_POR_OK ? 0 : -1;
	j.por_commands = st == OTAD_JOB_POR_OK ? 1 : -1;
	j.por_last_sw = sw;
	j.por_response_len = 2;
	j.por_response[0] = (uint8_t)(sw >> 8);
	j.por_response[1] = (uint8_t)sw;
	assert_int_equal(otad_db_job_update(g_otad->db, &j, "test"), 0);
	return &j;
}

static unsigned queued(void)
{
	unsigned q, f;

	smpp_esme_stats(smsc->esme, &q, &f);
	return q + f;
}

static void test_start_refusals(void **state)
{
	char err[200], old[16];
	int64_t id = 0;
	unsigned before = queued();

	(void)state;
	assert_int_equal(
		otad_pin_reset_start(&counter, "H-9", "1", OTAD_PIN_RESET_ONE_TIME_PIN, 0, &id, err, sizeof(err)),
		-ENOENT);
	assert_int_equal(otad_pin_reset_start(&counter, "H-1", "001 234 567 891", OTAD_PIN_RESET_ONE_TIME_PIN, 0, &id,
					      err, sizeof(err)),
			 -EACCES);
	assert_non_null(strstr(err, "does not match"));
	assert_true(audited_last("quay-01 pin.reset holder H-1 refused"));
	assert_int_equal(id, 0);
	assert_int_equal(queued(), before); /* nothing sent */
	assert_int_equal(otad_db_pin_resets_list(g_otad->db, false, 0,
						 (void (*)(const struct otad_pin_reset_row *, void *))abort, NULL),
			 0); /* nothing stored */
	assert_int_equal(otad_db_card_set_state(g_otad->db, "8984010000000000005", OTAD_CARD_SUSPENDED, old), 0);
	assert_int_equal(otad_pin_reset_start(&counter, "H-1", "001234567890", OTAD_PIN_RESET_ONE_TIME_PIN, 0, &id, err,
					      sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, "suspended"));
	assert_int_equal(otad_db_card_set_state(g_otad->db, "8984010000000000005", OTAD_CARD_ACTIVE, old), 0);
}

static void test_one_time_pin(void **state)
{
	struct otad_pin_reset_row r;
	struct otad_job_row stored;
	char err[200];
	int64_t id = 0, id2;
	unsigned before = queued();

	(void)state;
	assert_int_equal(otad_pin_reset_start(&counter, "H-1", "001234567890", OTAD_PIN_RESET_ONE_TIME_PIN, 0, &id, err,
					      sizeof(err)),
			 0);
	assert_true(audited_last("quay-01 pin.reset holder H-1 accepted"));
	assert_int_equal(otad_db_pin_reset_get(g_otad->db, id, &r), 0);
	assert_string_equal(r.state, "job");
	assert_string_equal(r.mode, "one-time-pin");
	assert_string_equal(r.iccid, "8984010000000000005");
	assert_string_equal(r.by, "quay-01");
	assert_int_equal(otad_db_job_get(g_otad->db, r.job, &stored), 0);
	assert_int_equal(stored.script_len, 15);
	assert_memory_equal(stored.script, "\xaa\x0d\x22\x0b\x00\x2c\x02\x01\x06", 9);
	assert_false(stored.idempotent);
	assert_int_equal(queued(), before + 1); /* the job's secured SMS */
	/* one at a time per card */
	assert_int_equal(otad_pin_reset_start(&counter, "H-1", "001234567890", OTAD_PIN_RESET_UNBLOCK, 0, &id2, err,
					      sizeof(err)),
			 -EBUSY);
	/* the PoR: 9000 */
	ended_ok = -1;
	otad_job_final_cb(ended_job(id, OTAD_JOB_POR_OK, 0x9000));
	assert_int_equal(ended_ok, 1);
	assert_int_equal(ended_id, id);
	assert_true(audited_last("quay-01 pin.reset holder H-1 done"));
	assert_int_equal(otad_db_pin_reset_get(g_otad->db, id, &r), 0);
	assert_string_equal(r.state, "done");
	assert_non_null(strstr(r.error, "9000"));
	assert_int_equal(queued(), before + 1 + 3); /* the notice: 3 UCS2 SMS */
	/* scrubbed: zeros of the same length, no PoR data */
	assert_int_equal(otad_db_job_get(g_otad->db, r.job, &stored), 0);
	assert_int_equal(stored.script_len, 15);
	for (int i = 0; i < 15; i++)
		assert_int_equal(stored.script[i], 0);
	assert_int_equal(stored.por_response_len, 0);
}

static void test_unblock_refused(void **state)
{
	struct otad_pin_reset_row r;
	char err[200];
	int64_t id = 0;
	unsigned before = queued();

	(void)state;
	assert_int_equal(
		otad_pin_reset_start(&counter, "H-2", "0791", OTAD_PIN_RESET_UNBLOCK, 7, &id, err, sizeof(err)), 0);
	assert_int_equal(otad_db_pin_reset_get(g_otad->db, id, &r), 0);
	assert_int_equal(r.request, 7);
	ended_ok = -1;
	otad_job_final_cb(ended_job(id, OTAD_JOB_POR_OK, 0x6982));
	assert_int_equal(ended_ok, 0);
	assert_int_equal(otad_db_pin_reset_get(g_otad->db, id, &r), 0);
	assert_string_equal(r.state, "failed");
	assert_non_null(strstr(r.error, "6982: refused: not with the issuer's authority"));
	assert_int_equal(queued(), before + 1); /* the job only: no notice */
}

static void test_unknown_sends_the_pin(void **state)
{
	struct otad_pin_reset_row r;
	char err[200];
	int64_t id = 0;
	unsigned before = queued();

	(void)state;
	assert_int_equal(
		otad_pin_reset_start(&counter, "H-2", "079-1", OTAD_PIN_RESET_ONE_TIME_PIN, 0, &id, err, sizeof(err)),
		0);
	otad_job_final_cb(ended_job(id, OTAD_JOB_UNKNOWN, 0));
	assert_int_equal(ended_ok, 0);
	assert_int_equal(otad_db_pin_reset_get(g_otad->db, id, &r), 0);
	assert_string_equal(r.state, "failed");
	assert_non_null(strstr(r.error, "may have reset"));
	assert_true(queued() > before + 1); /* the job and the notice */
}

/* A restart: a reset stored in state job whose job ended while the daemon was down is ended by
 * otad_pin_reset_init(); one whose job is still under way waits for it. */
static void test_resume(void **state)
{
	struct otad_pin_reset_row r;
	char err[200];
	int64_t id = 0;

	(void)state;
	assert_int_equal(
		otad_pin_reset_start(&counter, "H-1", "001234567890", OTAD_PIN_RESET_UNBLOCK, 0, &id, err, sizeof(err)),
		0);
	/* the daemon stops (the reset leaves memory as stored), the job's PoR comes while it is down */
	ended_job(id, OTAD_JOB_POR_OK, 0x9000);
	assert_int_equal(otad_db_pin_reset_get(g_otad->db, id, &r), 0);
	assert_string_equal(r.state, "job");
	otad_pin_reset_debug_forget();
	ended_ok = -1;
	assert_int_equal(otad_pin_reset_init(), 0);
	assert_int_equal(ended_ok, 1);
	assert_int_equal(otad_db_pin_reset_get(g_otad->db, id, &r), 0);
	assert_string_equal(r.state, "done");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_the_spec),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_otp_and_script),
		cmocka_unit_test(test_outcome),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_start_refusals),
		cmocka_unit_test(test_one_time_pin),
		cmocka_unit_test(test_unblock_refused),
		cmocka_unit_test(test_unknown_sends_the_pin),
		cmocka_unit_test(test_resume),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
