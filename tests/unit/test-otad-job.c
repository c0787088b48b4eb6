/* simpki-otad's job state machine (ota-server/otad_job.c) against its spec, the table of otad_job.h, on a real
 * SQLite database in a temporary directory and no SMSC:
 *  - the registered osmo_fsm's state table says exactly what the spec says (events each state takes, states it may
 *    go to);
 *  - every event is sent in every state: an event a state does not take is refused and changes nothing, one it
 *    takes leads to a state the spec allows, as stored in the database;
 *  - at most once: at the deadline a job that must not run twice ends unknown and is never sent again, an
 *    idempotent one is tried again while tries remain and then times out; a late PoR (an earlier try's counter)
 *    ends an unknown or timed-out job; an unauthenticated PoR ends it as por-error, marked so;
 *  - forward mode: a refused submit ends the job failed at once (nothing stored, nothing run), whatever tries
 *    remain; no answer by the deadline is unknown for a job that must not run twice;
 *  - forward mode with a packet of several SMS: part i + 1 is submitted only after part i's submit_sm_resp OK, the
 *    job is delivered after the last; a refused part fails the job, naming the part, with the SMPP status for
 *    otad_job_final_cb (an SMSC bind that never connects holds the submits here);
 *  - a PoR's additional data is kept whether or not it reads as a remote APDU response (a signing response);
 *  - a job's SPI, KVN and mode are checked when it is made (otad_sec.h: reserved bits, a PoR always by SMS-SUBMIT,
 *    the TAR's minimum security level; the card's key sets) and stored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>

#include <simpki/scp81.h>

#include "otad.h"
#include "otad_job.h"
#include "otad_sec.h"

#include "unit.h"
#include "otad_fixture.h"

#define S(x) (1u << (x))
#define OVER (S(OTAD_JOB_POR_OK) | S(OTAD_JOB_POR_ERROR))

struct otad *g_otad;

/* The spec: otad_job.h's table. */
static const struct {
	uint32_t events, to;
} spec[OTAD_JOB_N_STATES] = {
	[OTAD_JOB_QUEUED] = { S(OTAD_JOB_EV_SEND) | S(OTAD_JOB_EV_CANCEL), S(OTAD_JOB_SUBMITTED) | S(OTAD_JOB_FAILED) |
										   S(OTAD_JOB_CANCELLED) |
										   S(OTAD_JOB_BIP_WAIT) },
	[OTAD_JOB_SUBMITTED] = { S(OTAD_JOB_EV_SUBMIT_OK) | S(OTAD_JOB_EV_SUBMIT_FAIL) | S(OTAD_JOB_EV_POR) |
					 S(OTAD_JOB_EV_CANCEL) | S(OTAD_JOB_EV_BIP_ASK),
				 S(OTAD_JOB_DELIVERED) | S(OTAD_JOB_RETRYING) | S(OTAD_JOB_FAILED) |
					 S(OTAD_JOB_UNKNOWN) | S(OTAD_JOB_TIMED_OUT) | S(OTAD_JOB_CANCELLED) |
					 S(OTAD_JOB_BIP_WAIT) | S(OTAD_JOB_BIP_SENT) | OVER },
	[OTAD_JOB_DELIVERED] = { S(OTAD_JOB_EV_POR) | S(OTAD_JOB_EV_BIP_ASK),
				 S(OTAD_JOB_RETRYING) | S(OTAD_JOB_UNKNOWN) | S(OTAD_JOB_TIMED_OUT) |
					 S(OTAD_JOB_FAILED) | S(OTAD_JOB_BIP_WAIT) | S(OTAD_JOB_BIP_SENT) | OVER },
	[OTAD_JOB_RETRYING] = { S(OTAD_JOB_EV_POR) | S(OTAD_JOB_EV_CANCEL), S(OTAD_JOB_SUBMITTED) | S(OTAD_JOB_FAILED) |
										    S(OTAD_JOB_CANCELLED) |
										    S(OTAD_JOB_BIP_WAIT) | OVER },
	[OTAD_JOB_TIMED_OUT] = { S(OTAD_JOB_EV_POR), OVER },
	[OTAD_JOB_UNKNOWN] = { S(OTAD_JOB_EV_POR), OVER },
	[OTAD_JOB_POR_OK] = { 0, 0 },
	[OTAD_JOB_POR_ERROR] = { 0, 0 },
	[OTAD_JOB_FAILED] = { 0, 0 },
	[OTAD_JOB_CANCELLED] = { 0, 0 },
	[OTAD_JOB_BIP_WAIT] = { S(OTAD_JOB_EV_BIP_ASK) | S(OTAD_JOB_EV_POR),
				S(OTAD_JOB_BIP_SENT) | S(OTAD_JOB_RETRYING) | S(OTAD_JOB_FAILED) },
	[OTAD_JOB_BIP_SENT] = { S(OTAD_JOB_EV_BIP_RESULT) | S(OTAD_JOB_EV_POR),
				S(OTAD_JOB_UNKNOWN) | S(OTAD_JOB_RETRYING) | S(OTAD_JOB_TIMED_OUT) | OVER },
};

static char dir[64];
static int64_t job_id;

static int setup(void **state)
{
	static const char csv[] = "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n"
				  "8984010000000000005,001010000000001,2000,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,"
				  "aes,1E2D3C4B5A69788796A5B4C3D2E1F00F\n";
	struct otad_job_row row = { 0 };
	void *ctx = talloc_named_const(NULL, 0, "test-otad-job");

	(void)state;
	/* no SMSC: a job that is sent fails ("no SMSC configured") */
	otad_fixture_open(ctx, dir, sizeof(dir), "otad-job", csv, sizeof(csv) - 1);
	/* one stored job that every case below plays with */
	snprintf(row.iccid, sizeof(row.iccid), "8984010000000000005");
	snprintf(row.msisdn, sizeof(row.msisdn), "2000");
	memcpy(row.tar, "\xb0\x00\x10", 3);
	memcpy(row.spi, "\x16\x39", 2);
	row.kvn = 1;
	row.script_len = 7;
	memcpy(row.script, "\x00\xa4\x00\x0c\x02\x2f\xe2", 7);
	row.por_status = row.por_authenticated = row.por_commands = -1;
	assert_int_equal(otad_db_job_insert(g_otad->db, &row), 0);
	job_id = row.id;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return unit_rmdir(dir);
}

/* The stored job, put in state \a s with \a tries tries (counters 5, 6 ...) sent, in delivery mode \a mode. */
static struct otad_job_row *job_in_mode(enum otad_job_state s, bool idempotent, unsigned tries, enum otad_job_mode mode)
{
	static struct otad_job_row row;

	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	row.mode = mode;
	row.state = s;
	row.idempotent = idempotent;
	row.bearer = row.via = OTAD_JOB_BEARER_SMS;
	row.attempts = tries;
	for (unsigned i = 0; i < tries; i++)
		row.counters[i] = 5 + i;
	row.counter = 5 + tries - 1;
	row.por_status = row.por_authenticated = row.por_commands = -1;
	row.error[0] = 0;
	assert_int_equal(otad_db_job_update(g_otad->db, &row, "test"), 0);
	return &row;
}

static struct otad_job_row *job_in(enum otad_job_state s, bool idempotent, unsigned tries)
{
	return job_in_mode(s, idempotent, tries, OTAD_JOB_MODE_STORE);
}

static enum otad_job_state stored_state(void)
{
	struct otad_job_row row;

	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	return row.state;
}

static bool over(enum otad_job_state s)
{
	return s == OTAD_JOB_POR_OK || s == OTAD_JOB_POR_ERROR || s == OTAD_JOB_FAILED || s == OTAD_JOB_UNKNOWN ||
	       s == OTAD_JOB_TIMED_OUT || s == OTAD_JOB_CANCELLED;
}

static void test_table_is_the_spec(void **state)
{
	(void)state;
	assert_int_equal(otad_job_fsm.num_states, OTAD_JOB_N_STATES);
	for (int s = 0; s < OTAD_JOB_N_STATES; s++) {
		print_message("%-10s events %02x to %03x\n", otad_job_state_names[s], spec[s].events, spec[s].to);
		assert_string_equal(otad_job_fsm.states[s].name, otad_job_state_names[s]);
		assert_int_equal(otad_job_fsm.states[s].in_event_mask, spec[s].events);
		assert_int_equal(otad_job_fsm.states[s].out_state_mask, spec[s].to);
	}
}

static void test_every_event_in_every_state(void **state)
{
	struct otad_job_por por = { .status = 0, .authenticated = true, .cntr = 5 };
	static const uint8_t resp[] = { 0xab, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x90, 0x00 };
	struct otad_job_bip_result bip = { .status = 1, .data = resp, .data_len = sizeof(resp) };

	(void)state;
	for (int s = 0; s < OTAD_JOB_N_STATES; s++) {
		for (int e = OTAD_JOB_EV_SEND; e <= OTAD_JOB_EV_BIP_RESULT; e++) {
			struct osmo_fsm_inst *fi = otad_job_debug_alloc(job_in(s, true, 1));
			void *data = e == OTAD_JOB_EV_POR	 ? (void *)&por :
				     e == OTAD_JOB_EV_BIP_RESULT ? (void *)&bip :
								   (void *)(uintptr_t)0x14; /* throttled */
			int rc;
			enum otad_job_state now;

			assert_non_null(fi);
			rc = osmo_fsm_inst_dispatch(fi, (uint32_t)e, data);
			now = stored_state();
			if (!(spec[s].events & S(e))) {
				/* refused, and nothing changed */
				assert_int_equal(rc, -1);
				assert_int_equal(now, s);
				assert_int_equal(fi->state, s);
				osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
				continue;
			}
			assert_int_equal(rc, 0);
			if (now != (enum otad_job_state)s && !(spec[s].to & S(now)))
				fail_msg("state %s, event %d: went to %s, which the spec does not allow",
					 otad_job_state_names[s], e, otad_job_state_names[now]);
			if (!over(now)) /* a job that is over has freed itself */
				osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
		}
	}
}

/* The deadline of a try: the timer of a submitted or delivered job. */
static enum otad_job_state deadline(enum otad_job_state s, bool idempotent, unsigned tries)
{
	struct osmo_fsm_inst *fi = otad_job_debug_alloc(job_in(s, idempotent, tries));
	enum otad_job_state now;

	otad_job_fsm.timer_cb(fi);
	now = stored_state();
	if (!over(now))
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
	return now;
}

static void test_at_most_once(void **state)
{
	struct otad_job_row row;

	(void)state;
	otad_job_cfg.retries = 2;
	/* a job that must not run twice is never sent again once the SMSC had it */
	assert_int_equal(deadline(OTAD_JOB_DELIVERED, false, 1), OTAD_JOB_UNKNOWN);
	assert_int_equal(deadline(OTAD_JOB_SUBMITTED, false, 1), OTAD_JOB_UNKNOWN);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.attempts, 1);
	assert_non_null(strstr(row.error, "outcome unknown"));
	/* an idempotent one is tried again while tries remain, then times out */
	assert_int_equal(deadline(OTAD_JOB_DELIVERED, true, 1), OTAD_JOB_RETRYING);
	assert_int_equal(deadline(OTAD_JOB_DELIVERED, true, 3), OTAD_JOB_TIMED_OUT);
}

static void test_late_and_unauthenticated_pors(void **state)
{
	struct otad_job_por late = { .status = 0, .authenticated = true, .cntr = 5 };
	struct otad_job_por refusal = { .status = 0x01, .authenticated = false };
	struct otad_job_row row;

	(void)state;
	/* an unknown job ended by a late PoR of its first try */
	osmo_fsm_inst_dispatch(otad_job_debug_alloc(job_in(OTAD_JOB_UNKNOWN, false, 1)), OTAD_JOB_EV_POR, &late);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_POR_OK);
	assert_int_equal(row.por_authenticated, 1);
	/* a timed-out one too */
	osmo_fsm_inst_dispatch(otad_job_debug_alloc(job_in(OTAD_JOB_TIMED_OUT, true, 3)), OTAD_JOB_EV_POR, &late);
	assert_int_equal(stored_state(), OTAD_JOB_POR_OK);
	/* the card's unsecured refusal: por-error, its status named, marked as not authenticated */
	osmo_fsm_inst_dispatch(otad_job_debug_alloc(job_in(OTAD_JOB_DELIVERED, false, 1)), OTAD_JOB_EV_POR, &refusal);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_POR_ERROR);
	assert_int_equal(row.por_status, 1);
	assert_int_equal(row.por_authenticated, 0);
	assert_non_null(strstr(row.error, "01 (RC/CC/DS failed), not authenticated"));
}

static void test_forward_mode(void **state)
{
	struct otad_job_row row;
	struct osmo_fsm_inst *fi;

	(void)state;
	otad_job_cfg.retries = 2;
	/* store mode: a refusal with tries left is tried again */
	fi = otad_job_debug_alloc(job_in(OTAD_JOB_SUBMITTED, false, 1));
	osmo_fsm_inst_dispatch(fi, OTAD_JOB_EV_SUBMIT_FAIL, (void *)(uintptr_t)0xfe);
	assert_int_equal(stored_state(), OTAD_JOB_RETRYING);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
	/* forward mode: the phone did not take it, nothing is stored: failed at once, the reason named */
	osmo_fsm_inst_dispatch(otad_job_debug_alloc(job_in_mode(OTAD_JOB_SUBMITTED, false, 1, OTAD_JOB_MODE_FORWARD)),
			       OTAD_JOB_EV_SUBMIT_FAIL, (void *)(uintptr_t)0xfe);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_FAILED);
	assert_int_equal(row.attempts, 1);
	assert_non_null(strstr(row.error,
			       "not delivered: the phone is absent or refused it (status 0x000000fe; forward "
			       "mode: nothing stored, the script did not run)"));
	/* idempotent too: a forward job is for an answer now */
	osmo_fsm_inst_dispatch(otad_job_debug_alloc(job_in_mode(OTAD_JOB_SUBMITTED, true, 1, OTAD_JOB_MODE_FORWARD)),
			       OTAD_JOB_EV_SUBMIT_FAIL, (void *)(uintptr_t)0x0b);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_FAILED);
	assert_non_null(strstr(row.error, "the phone is not attached"));
	/* no answer from the SMSC by the deadline: the phone may have it; never sent again */
	fi = otad_job_debug_alloc(job_in_mode(OTAD_JOB_SUBMITTED, false, 1, OTAD_JOB_MODE_FORWARD));
	otad_job_fsm.timer_cb(fi);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_UNKNOWN);
	assert_int_equal(row.attempts, 1);
	assert_non_null(strstr(row.error, "no answer from the SMSC (forward mode: the phone may have it)"));
}

static bool session_open(const char *identity)
{
	return !strcmp(identity, "8984010000000000005");
}

/* The stored job as a try that went by BIP (a push), asked as \a bearer. */
static struct otad_job_row *job_bip(enum otad_job_state s, bool idempotent, unsigned tries, enum otad_job_bearer bearer)
{
	struct otad_job_row *row = job_in(s, idempotent, tries);

	row->via = OTAD_JOB_BEARER_BIP;
	row->bearer = bearer;
	assert_int_equal(otad_db_job_update(g_otad->db, row, "test"), 0);
	return row;
}

static void test_bip(void **state)
{
	static const uint8_t resp[] = { 0xab, 0x0b, 0x80, 0x01, 0x01, 0x23, 0x06, 0x89, 0x84, 0x01, 0x00, 0x90, 0x00 };
	struct otad_job_bip_result ok = { .status = SCP81_STATUS_OK, .data = resp, .data_len = sizeof(resp) };
	struct otad_job_bip_result unknown_app = { .status = SCP81_STATUS_UNKNOWN_APPLICATION };
	struct otad_job_por push_ok = { .status = 0, .authenticated = true, .cntr = 5 };
	struct otad_job_por push_refused = { .status = 0x09, .authenticated = false };
	struct otad_job_row row;
	struct osmo_fsm_inst *fi;

	(void)state;
	otad_job_cfg.retries = 2;
	/* the push's PoR: the card's session is awaited */
	fi = otad_job_debug_alloc(job_bip(OTAD_JOB_DELIVERED, false, 1, OTAD_JOB_BEARER_BIP));
	osmo_fsm_inst_dispatch(fi, OTAD_JOB_EV_POR, &push_ok);
	assert_int_equal(stored_state(), OTAD_JOB_BIP_WAIT);
	/* the session asks and answers: por-ok with the response, authenticated by the session */
	osmo_fsm_inst_dispatch(fi, OTAD_JOB_EV_BIP_ASK, NULL);
	assert_int_equal(stored_state(), OTAD_JOB_BIP_SENT);
	osmo_fsm_inst_dispatch(fi, OTAD_JOB_EV_POR, &push_ok); /* a late push PoR changes nothing */
	assert_int_equal(stored_state(), OTAD_JOB_BIP_SENT);
	osmo_fsm_inst_dispatch(fi, OTAD_JOB_EV_BIP_RESULT, &ok);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_POR_OK);
	assert_int_equal(row.por_authenticated, 1);
	assert_int_equal(row.por_commands, 1);
	assert_int_equal(row.por_last_sw, 0x9000);
	assert_int_equal(row.por_response_len, sizeof(resp));
	assert_int_equal(row.via, OTAD_JOB_BEARER_BIP);
	/* the session may ask before the push's PoR came */
	fi = otad_job_debug_alloc(job_bip(OTAD_JOB_SUBMITTED, false, 1, OTAD_JOB_BEARER_BIP));
	osmo_fsm_inst_dispatch(fi, OTAD_JOB_EV_BIP_ASK, NULL);
	assert_int_equal(stored_state(), OTAD_JOB_BIP_SENT);
	/* a script status other than ok: por-error, named */
	osmo_fsm_inst_dispatch(fi, OTAD_JOB_EV_BIP_RESULT, &unknown_app);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_POR_ERROR);
	assert_non_null(strstr(row.error, "unknown-application"));
	/* no session: auto sends the script by SMS (it never left), bip pushes again, then fails */
	fi = otad_job_debug_alloc(job_bip(OTAD_JOB_BIP_WAIT, false, 1, OTAD_JOB_BEARER_AUTO));
	otad_job_fsm.timer_cb(fi);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_RETRYING);
	assert_int_equal(row.via, OTAD_JOB_BEARER_SMS);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
	fi = otad_job_debug_alloc(job_bip(OTAD_JOB_BIP_WAIT, false, 1, OTAD_JOB_BEARER_BIP));
	otad_job_fsm.timer_cb(fi);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_RETRYING);
	assert_int_equal(row.via, OTAD_JOB_BEARER_BIP);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
	fi = otad_job_debug_alloc(job_bip(OTAD_JOB_BIP_WAIT, false, 3, OTAD_JOB_BEARER_BIP));
	otad_job_fsm.timer_cb(fi);
	assert_int_equal(stored_state(), OTAD_JOB_FAILED);
	/* a push without PoR or session is no reason for "unknown": nothing of the script ran */
	fi = otad_job_debug_alloc(job_bip(OTAD_JOB_DELIVERED, false, 1, OTAD_JOB_BEARER_AUTO));
	otad_job_fsm.timer_cb(fi);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_RETRYING);
	assert_int_equal(row.via, OTAD_JOB_BEARER_SMS);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
	/* the card refuses the push: auto falls back, bip ends por-error */
	fi = otad_job_debug_alloc(job_bip(OTAD_JOB_DELIVERED, false, 1, OTAD_JOB_BEARER_AUTO));
	osmo_fsm_inst_dispatch(fi, OTAD_JOB_EV_POR, &push_refused);
	assert_int_equal(stored_state(), OTAD_JOB_RETRYING);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
	osmo_fsm_inst_dispatch(otad_job_debug_alloc(job_bip(OTAD_JOB_DELIVERED, false, 1, OTAD_JOB_BEARER_BIP)),
			       OTAD_JOB_EV_POR, &push_refused);
	assert_int_equal(stored_state(), OTAD_JOB_POR_ERROR);
	/* the card's session is open: no push, straight to bip-wait, no try spent */
	otad_bip_session_open = session_open;
	fi = otad_job_debug_alloc(job_bip(OTAD_JOB_RETRYING, false, 1, OTAD_JOB_BEARER_BIP));
	otad_job_fsm.timer_cb(fi);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_BIP_WAIT);
	assert_int_equal(row.attempts, 1);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
	otad_bip_session_open = NULL;
	/* handed out, no response by the deadline: at most once, as for an SMS try */
	assert_int_equal(
		otad_job_fsm.timer_cb(otad_job_debug_alloc(job_bip(OTAD_JOB_BIP_SENT, false, 1, OTAD_JOB_BEARER_AUTO))),
		0);
	assert_int_equal(stored_state(), OTAD_JOB_UNKNOWN);
	/* ... but a script that only reads is sent again, by SMS for auto */
	fi = otad_job_debug_alloc(job_bip(OTAD_JOB_BIP_SENT, true, 1, OTAD_JOB_BEARER_AUTO));
	otad_job_fsm.timer_cb(fi);
	assert_int_equal(otad_db_job_get(g_otad->db, job_id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_RETRYING);
	assert_int_equal(row.via, OTAD_JOB_BEARER_SMS);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
}

static void test_msl(void **state)
{
	char err[256];

	(void)state;
	/* integrity at least, ciphering if asked, counter mode at least: the card's rule */
	assert_true(otad_msl_met(0x16, 0x16));
	assert_true(otad_msl_met(0x1e, 0x16));
	assert_true(otad_msl_met(0x16, 0x02));
	assert_true(otad_msl_met(0x00, 0x00));
	assert_false(otad_msl_met(0x12, 0x16)); /* not ciphered */
	assert_false(otad_msl_met(0x0e, 0x16)); /* counter present, not checked higher */
	assert_false(otad_msl_met(0x15, 0x16)); /* RC below CC */
	assert_true(otad_msl_valid(0x16));
	assert_false(otad_msl_valid(0x03));
	assert_false(otad_msl_valid(0x20));
	assert_int_equal(otad_tar_msl_set((const uint8_t *)"\xb0\x00\x10", 0x33), -EINVAL);
	assert_int_equal(otad_tar_msl_set((const uint8_t *)"\xb0\x00\x10", 0x16), 0);
	assert_int_equal(otad_tar_msl((const uint8_t *)"\xb0\x00\x10"), 0x16);
	assert_int_equal(otad_tar_msl((const uint8_t *)"\xb0\x00\x11"), 0);
	/* SPIs jobs can use */
	assert_int_equal(otad_spi_check((const uint8_t *)"\x16\x39", (const uint8_t *)"\xb0\x00\x10", err, sizeof(err)),
			 0);
	assert_int_equal(otad_spi_check((const uint8_t *)"\x36\x39", NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "reserved bits"));
	assert_int_equal(otad_spi_check((const uint8_t *)"\x17\x39", NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "(DS) are not supported"));
	assert_int_equal(otad_spi_check((const uint8_t *)"\x16\x3a", NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a PoR always"));
	assert_int_equal(otad_spi_check((const uint8_t *)"\x16\x19", NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "by SMS-SUBMIT"));
	assert_int_equal(otad_spi_check((const uint8_t *)"\x12\x39", (const uint8_t *)"\xb0\x00\x10", err, sizeof(err)),
			 -EACCES);
	assert_string_equal(err, "spi 1239 (CC, counter higher) is below TAR b00010's minimum security level 16 (CC, "
				 "ciphered, counter higher)");
	assert_int_equal(otad_spi_check((const uint8_t *)"\x12\x39", (const uint8_t *)"\xb0\x00\x11", err, sizeof(err)),
			 0);
	assert_int_equal(otad_tar_msl_del((const uint8_t *)"\xb0\x00\x10"), 0);
	assert_int_equal(otad_tar_msl_del((const uint8_t *)"\xb0\x00\x10"), -ENOENT);
}

/* otad_job_create() with \a opts: \returns its result; the message in \a err */
static int create(const struct otad_job_opts *opts, const uint8_t *script, size_t len, int64_t *id, char *err)
{
	err[0] = 0;
	return otad_job_create("8984010000000000005", (const uint8_t *)"\xb0\x00\x10", script, len, false, opts, id,
			       err, 256);
}

static void test_create_checks(void **state)
{
	static const uint8_t read[] = { 0x00, 0xa4, 0x00, 0x0c, 0x02, 0x2f, 0xe2 };
	static uint8_t big[5 + 200];
	struct otad_job_opts opts = { 0 };
	struct otad_job_row row;
	char err[256];
	int64_t id = 0;

	(void)state;
	big[1] = 0xd6;
	big[4] = 200;
	/* no card */
	assert_int_equal(otad_job_create("8984010000000000013", (const uint8_t *)"\xb0\x00\x10", read, sizeof(read),
					 false, NULL, &id, err, sizeof(err)),
			 -ENOENT);
	/* a key set the card does not have */
	opts.kvn = 2;
	assert_int_equal(create(&opts, read, sizeof(read), &id, err), -ENOKEY);
	assert_string_equal(err, "card 8984010000000000005 has no key set 2");
	opts.kvn = 16;
	assert_int_equal(create(&opts, read, sizeof(read), &id, err), -EINVAL);
	assert_string_equal(err, "kvn: 1 to 15");
	/* an SPI jobs cannot use; one below the TAR's minimum */
	opts.kvn = 0;
	opts.has_spi = true;
	memcpy(opts.spi, "\x16\x01", 2);
	assert_int_equal(create(&opts, read, sizeof(read), &id, err), -EINVAL);
	assert_non_null(strstr(err, "by SMS-SUBMIT"));
	assert_int_equal(otad_tar_msl_set((const uint8_t *)"\xb0\x00\x10", 0x16), 0);
	memcpy(opts.spi, "\x12\x39", 2);
	assert_int_equal(create(&opts, read, sizeof(read), &id, err), -EACCES);
	assert_non_null(strstr(err, "below TAR b00010's minimum security level 16"));
	/* an SPI the key set's algorithms cannot build: RC needs CRC32 */
	assert_int_equal(otad_tar_msl_del((const uint8_t *)"\xb0\x00\x10"), 0);
	memcpy(opts.spi, "\x11\x39", 2);
	assert_int_equal(create(&opts, read, sizeof(read), &id, err), -EINVAL);
	assert_string_equal(err, "spi 1139 does not fit key set 1's algorithms and keys");
	opts.has_spi = false;
	opts.mode = OTAD_JOB_N_MODES;
	assert_int_equal(create(&opts, read, sizeof(read), &id, err), -EINVAL);
	assert_string_equal(err, "mode: store or forward");
	/* nothing of these was stored */
	assert_int_equal(otad_db_job_get(g_otad->db, job_id + 1, &row), -ENOENT);
	/* good ones are stored with what they chose, or the configuration's (no SMSC here: they end failed) */
	opts.mode = OTAD_JOB_MODE_FORWARD;
	opts.has_spi = true;
	memcpy(opts.spi, "\x1e\x39", 2);
	opts.kvn = 1;
	assert_int_equal(create(&opts, read, sizeof(read), &id, err), 0);
	assert_int_equal(otad_db_job_get(g_otad->db, id, &row), 0);
	assert_int_equal(row.mode, OTAD_JOB_MODE_FORWARD);
	assert_memory_equal(row.spi, "\x1e\x39", 2);
	assert_int_equal(row.kvn, 1);
	assert_int_equal(create(NULL, big, sizeof(big), &id, err), 0); /* store mode: two SMS are fine */
	assert_int_equal(otad_db_job_get(g_otad->db, id, &row), 0);
	assert_int_equal(row.mode, OTAD_JOB_MODE_STORE);
	assert_memory_equal(row.spi, otad_job_cfg.spi, 2);
	otad_job_cfg.mode = OTAD_JOB_MODE_FORWARD;
	assert_int_equal(create(NULL, read, sizeof(read), &id, err), 0);
	assert_int_equal(otad_db_job_get(g_otad->db, id, &row), 0);
	assert_int_equal(row.mode, OTAD_JOB_MODE_FORWARD);
	otad_job_cfg.mode = OTAD_JOB_MODE_STORE;
}

static struct otad_job_row final_row;

static void final_cb(const struct otad_job_row *row)
{
	final_row = *row;
}

/* The job \a id in memory. */
static struct osmo_fsm_inst *job_fi(int64_t id)
{
	char name[48];

	snprintf(name, sizeof(name), "%lld-8984010000000000005", (long long)id);
	return osmo_fsm_inst_find_by_id(&otad_job_fsm, name);
}

static void test_forward_parts(void **state)
{
	static uint8_t big[5 + 200];
	static const struct smpp_esme_ops ops = { 0 };
	struct otad_smsc *smsc = talloc_zero(g_otad->ctx, struct otad_smsc);
	struct otad_job_opts opts = { .mode = OTAD_JOB_MODE_FORWARD };
	struct otad_job_row row;
	unsigned queued, in_flight;
	char err[256];
	int64_t id;

	(void)state;
	big[1] = 0xd6;
	big[4] = 200;
	/* a bind that never connects: its submits wait in its queue, where this test counts them */
	otad_fixture_smsc(g_otad->ctx, smsc, &ops);
	otad_job_final_cb = final_cb;
	otad_job_cfg.part_gap_ms = 0; /* the next part at once (the gap is a timer: the daemon's select loop) */

	/* two SMS: the first goes alone; the second once the phone took the first; delivered after the second */
	assert_int_equal(otad_job_create("8984010000000000005", (const uint8_t *)"\xb0\x00\x10", big, sizeof(big),
					 false, &opts, &id, err, sizeof(err)),
			 0);
	assert_int_equal(otad_db_job_get(g_otad->db, id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_SUBMITTED);
	smpp_esme_stats(smsc->esme, &queued, &in_flight);
	assert_int_equal(queued, 1);
	osmo_fsm_inst_dispatch(job_fi(id), OTAD_JOB_EV_SUBMIT_OK, NULL);
	smpp_esme_stats(smsc->esme, &queued, &in_flight);
	assert_int_equal(queued, 2);
	assert_int_equal(job_fi(id)->state, OTAD_JOB_SUBMITTED);
	osmo_fsm_inst_dispatch(job_fi(id), OTAD_JOB_EV_SUBMIT_OK, NULL);
	assert_int_equal(job_fi(id)->state, OTAD_JOB_DELIVERED);
	assert_int_equal(otad_db_job_get(g_otad->db, id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_DELIVERED);
	/* a PoR whose additional data is no remote APDU response (a signing response): kept whole */
	{
		static const uint8_t resp[] = { 0x71, 0x06, 0x80, 0x01, 0x07, 0x81, 0x01, 0x01 };
		struct otad_job_por p = {
			.status = 0, .authenticated = true, .cntr = row.counter, .data = resp, .data_len = sizeof(resp)
		};

		osmo_fsm_inst_dispatch(job_fi(id), OTAD_JOB_EV_POR, &p);
		assert_int_equal(final_row.id, id);
		assert_int_equal(final_row.state, OTAD_JOB_POR_OK);
		assert_int_equal(otad_db_job_get(g_otad->db, id, &row), 0);
		assert_int_equal(row.por_commands, -1);
		assert_int_equal(row.por_response_len, sizeof(resp));
		assert_memory_equal(row.por_response, resp, sizeof(resp));
	}

	/* the second part refused: failed at once, the part named, the SMPP status handed to the flows */
	assert_int_equal(otad_job_create("8984010000000000005", (const uint8_t *)"\xb0\x00\x10", big, sizeof(big),
					 false, &opts, &id, err, sizeof(err)),
			 0);
	osmo_fsm_inst_dispatch(job_fi(id), OTAD_JOB_EV_SUBMIT_OK, NULL);
	osmo_fsm_inst_dispatch(job_fi(id), OTAD_JOB_EV_SUBMIT_FAIL, (void *)(uintptr_t)0x0b);
	assert_null(job_fi(id));
	assert_int_equal(final_row.id, id);
	assert_int_equal(final_row.state, OTAD_JOB_FAILED);
	assert_int_equal(final_row.smpp_status, 0x0b);
	assert_int_equal(otad_db_job_get(g_otad->db, id, &row), 0);
	assert_int_equal(row.state, OTAD_JOB_FAILED);
	assert_non_null(strstr(row.error, "the phone is not attached (status 0x0000000b, SMS 2 of 2"));

	otad_job_final_cb = NULL;
	llist_del(&smsc->list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_the_spec),
		cmocka_unit_test(test_every_event_in_every_state),
		cmocka_unit_test(test_at_most_once),
		cmocka_unit_test(test_late_and_unauthenticated_pors),
		cmocka_unit_test(test_forward_mode),
		cmocka_unit_test(test_bip),
		cmocka_unit_test(test_msl),
		cmocka_unit_test(test_create_checks),
		cmocka_unit_test(test_forward_parts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
