/* Unit tests of ota-server/request/request.c, the engine, over a real database file with fake executors (the
 * lifecycle operation, the PIN reset), fake notifications, and otad_audit() and otad_perm() wrapped at link time
 * (-Wl,--wrap): filing (the common unit, a holder outside the scope refused, nothing stored), four eyes, a refused
 * decider, an audit that cannot be written (fail closed: nothing changes), approval to executing (the operation's
 * parameters) and to done or failed by the executor's hook, a start that fails, PIN resets item by item,
 * withdrawal by its filer only, a request left approved failed at the next start, the notifications. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "lifecycle/lifecycle.h"
#include "notify.h"
#include "otad.h"
#include "otad_db_request.h"
#include "otad_perm.h"
#include "pinreset/pinreset.h"
#include "request.h"

#include "unit.h"
#include "unit_tmpdir.h"

struct otad *g_otad;

/* ---- fakes ---- */

const char *const otad_lc_kind_names[OTAD_LC_N_KINDS] = { "modify", "renew", "rekey", "revoke", "suspend", "release" };
void (*otad_lc_on_end)(int64_t op, int64_t request, int64_t ok, int64_t failed);
static struct {
	int rc;
	int64_t next_id;
	struct otad_lc_params p;
	size_t n_holders;
	char first[OTAD_HOLDER_ID_MAX + 1];
	char who[65];
} lc;

int otad_lc_create(const struct otad_actor *who, const struct otad_lc_params *p, const struct otad_lc_select *sel,
		   int64_t *id, char *err, size_t errlen)
{
	lc.p = *p;
	lc.n_holders = sel->n_holders;
	snprintf(lc.first, sizeof(lc.first), "%s", sel->n_holders ? sel->holders[0] : "");
	snprintf(lc.who, sizeof(lc.who), "%s", who->name);
	if (lc.rc) {
		snprintf(err, errlen, "the fake lifecycle refuses");
		return lc.rc;
	}
	*id = lc.next_id++;
	return 0;
}

const char *const otad_pin_reset_mode_names[OTAD_PIN_RESET_N_MODES] = { "one-time-pin", "unblock" };
void (*otad_pin_reset_on_end)(int64_t id, int64_t request, int ok);
static struct {
	int rc;
	int64_t next_id;
	char id_number[40];
	int mode;
} pin;

int otad_pin_reset_start(const struct otad_actor *who, const char *holder, const char *id_number,
			 enum otad_pin_reset_mode mode, int64_t request, int64_t *id, char *err, size_t errlen)
{
	(void)who, (void)holder, (void)request;
	snprintf(pin.id_number, sizeof(pin.id_number), "%s", id_number);
	pin.mode = mode;
	if (pin.rc) {
		snprintf(err, errlen, "the fake PIN reset refuses");
		return pin.rc;
	}
	*id = pin.next_id++;
	return 0;
}

static unsigned notified;
static char last_text[700];

int otad_notify_holder(const char *holder, const char *text, bool secret)
{
	(void)holder;
	assert_false(secret);
	notified++;
	snprintf(last_text, sizeof(last_text), "%s", text);
	return notified % 2 ? -ENOTCONN : 0; /* every other one fails: logged, never fatal */
}

static struct {
	bool fail;
	unsigned n;
	char last_action[40], last_result[40];
} audit;

int __wrap_otad_audit(const struct otad_actor *who, const char *action, const char *object, const char *result,
		      const char *fmt, ...);
int __wrap_otad_audit(const struct otad_actor *who, const char *action, const char *object, const char *result,
		      const char *fmt, ...)
{
	(void)who, (void)object, (void)fmt;
	if (audit.fail)
		return -EIO;
	audit.n++;
	snprintf(audit.last_action, sizeof(audit.last_action), "%s", action);
	snprintf(audit.last_result, sizeof(audit.last_result), "%s", result);
	return 0;
}

static const char *refuse_unit; /* otad_perm() refuses this unit ("": the whole tree) */

int __wrap_otad_perm(struct otad_db *db, const struct otad_actor *who, enum otad_action action, const char *unit);
int __wrap_otad_perm(struct otad_db *db, const struct otad_actor *who, enum otad_action action, const char *unit)
{
	(void)db, (void)who, (void)action;
	return refuse_unit && !strcmp(refuse_unit, unit ? unit : "") ? -EPERM : 0;
}

/* ---- helpers ---- */

static char dir[64];
static struct otad_db *db;
static const struct otad_actor clerk = { .name = "clerk", .role = OTAD_ROLE_COUNTER, .via = "api" };
static const struct otad_actor ra = { .name = "ra", .role = OTAD_ROLE_UNIT_RA, .via = "api" };

static int setup(void **state)
{
	uint8_t mk[KEYSTORE_KEY_LEN];
	char path[96], err[256];
	static const struct otad_unit units[] = {
		{ .code = "01", .name = "Hà Nội", .kind = OTAD_UNIT_PROVINCE },
		{ .code = "0101", .name = "Phường Ba Đình", .kind = OTAD_UNIT_WARD, .parent = "01" },
		{ .code = "0102", .name = "Phường Bạch Mai", .kind = OTAD_UNIT_WARD, .parent = "01" },
		{ .code = "04", .name = "Hải Phòng", .kind = OTAD_UNIT_PROVINCE },
		{ .code = "0401", .name = "Đặc khu Cát Hải", .kind = OTAD_UNIT_WARD, .parent = "04" },
	};
	static const char *const holders[][2] = {
		{ "H-1", "0101" }, { "H-2", "0101" }, { "H-3", "0102" }, { "H-9", "0401" }
	};

	(void)state;
	unit_tmpdir(dir, sizeof(dir), "request-engine");
	snprintf(path, sizeof(path), "%s/master.key", dir);
	assert_int_equal(keystore_load(path, true, mk, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/otad.db", dir);
	if (otad_db_open(NULL, path, mk, &db, err, sizeof(err)))
		fail_msg("otad_db_open: %s", err);
	assert_int_equal(otad_db_units_put(db, units, sizeof(units) / sizeof(units[0]), "00"), 0);
	for (size_t i = 0; i < 4; i++) {
		struct otad_holder h = { 0 };

		snprintf(h.id, sizeof(h.id), "%s", holders[i][0]);
		snprintf(h.name, sizeof(h.name), "Nguyễn %zu", i);
		snprintf(h.id_number, sizeof(h.id_number), "079%zu", i);
		snprintf(h.unit, sizeof(h.unit), "%s", holders[i][1]);
		assert_int_equal(otad_db_holder_add(db, &h), 0);
	}
	otad_request_init(db);
	lc.next_id = 77;
	pin.next_id = 501;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	otad_db_close(db);
	return unit_rmdir(dir);
}

/* File a request from a JSON body as \a who. \returns its id; or the negative error */
static int64_t file(const struct otad_actor *who, const char *body)
{
	struct otad_request_body b;
	char err[300];
	int64_t id = 0;
	int rc;

	assert_int_equal(otad_request_parse(body, strlen(body), &b, err, sizeof(err)), 0);
	rc = otad_request_file(who, &b, &id, err, sizeof(err));
	otad_request_body_free(&b);
	return rc ? rc : id;
}

static struct otad_request *get(int64_t id)
{
	static struct otad_request rq;

	assert_int_equal(otad_db_request_get(db, id, &rq), 0);
	return &rq;
}

#define DOC "\"documents\": [{\"name\": \"QĐ 275\", \"sha256\": \"" HASH "\"}]"
#define HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* ---- tests ---- */

static void test_file(void **state)
{
	int64_t a, b, n;
	char err[300];

	(void)state;
	a = file(&clerk,
		 "{\"kind\": \"revoke\", \"holders\": [\"H-1\", \"H-3\"], \"reason\": \"keyCompromise\", " DOC "}");
	assert_true(a > 0);
	assert_string_equal(get(a)->unit, "01"); /* two wards of 01 */
	assert_int_equal(get(a)->state, OTAD_REQ_FILED);
	assert_string_equal(get(a)->filed_by, "clerk");
	assert_string_equal(get(a)->filed_role, "counter");
	assert_string_equal(audit.last_action, "request.file");
	b = file(&clerk, "{\"kind\": \"renew\", \"holders\": [\"H-1\", \"H-2\"], " DOC "}");
	assert_string_equal(get(b)->unit, "0101");
	assert_string_equal(get(file(&clerk, "{\"kind\": \"renew\", \"holders\": [\"H-1\", \"H-9\"], " DOC "}"))->unit,
			    ""); /* two provinces: the whole tree */
	assert_int_equal(get(file(&clerk, "{\"kind\": \"suspend\", \"unit\": \"01\", " DOC "}"))->holders, 3);
	/* refusals: nothing stored */
	n = otad_db_request_get(db, 999, get(a)) == -ENOENT;
	assert_true(n);
	refuse_unit = "0401";
	assert_int_equal(file(&clerk, "{\"kind\": \"renew\", \"holders\": [\"H-1\", \"H-9\"], " DOC "}"), -EPERM);
	refuse_unit = NULL;
	assert_int_equal(file(&clerk, "{\"kind\": \"renew\", \"holders\": [\"H-77\"], " DOC "}"), -ENOENT);
	assert_int_equal(file(&clerk, "{\"kind\": \"renew\", \"unit\": \"77\", " DOC "}"), -ENOENT);
	assert_int_equal(file(&clerk, "{\"kind\": \"renew\", \"unit\": \"04\", \"documents\": [{\"name\": \"x\", "
				      "\"sha256\": \"" HASH "\"}]}"),
			 b + 3); /* 04 has H-9: filed */
	audit.fail = true;
	assert_int_equal(file(&clerk, "{\"kind\": \"renew\", \"holders\": [\"H-1\"], " DOC "}"), -ECANCELED);
	audit.fail = false;
	assert_int_equal(otad_request_withdraw(&clerk, b + 4, err, sizeof(err)), -ENOENT); /* never stored */
}

static void test_decide(void **state)
{
	int64_t a = file(&clerk, "{\"kind\": \"revoke\", \"holders\": [\"H-1\", \"H-3\"], \"reason\": "
				 "\"keyCompromise\", " DOC "}");
	unsigned before;
	char err[300];

	(void)state;
	/* four eyes */
	assert_int_equal(otad_request_decide(&clerk, a, true, NULL, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "four eyes"));
	assert_int_equal(get(a)->state, OTAD_REQ_FILED);
	/* a decider outside the request's unit */
	refuse_unit = "01";
	assert_int_equal(otad_request_decide(&ra, a, true, NULL, err, sizeof(err)), -EPERM);
	refuse_unit = NULL;
	/* fail closed: the audit cannot be written, nothing changes */
	audit.fail = true;
	assert_int_equal(otad_request_decide(&ra, a, true, NULL, err, sizeof(err)), -ECANCELED);
	audit.fail = false;
	assert_int_equal(get(a)->state, OTAD_REQ_FILED);
	/* approved: the operation starts, the request executes */
	lc.rc = 0;
	before = notified;
	assert_int_equal(otad_request_decide(&ra, a, true, NULL, err, sizeof(err)), 0);
	assert_int_equal(get(a)->state, OTAD_REQ_EXECUTING);
	assert_int_equal(get(a)->op, 77);
	assert_string_equal(get(a)->decided_by, "ra");
	assert_int_equal(lc.p.kind, OTAD_LC_REVOKE);
	assert_int_equal(lc.p.reason, 1);
	assert_int_equal(lc.p.request, a);
	assert_int_equal(lc.n_holders, 2);
	assert_string_equal(lc.first, "H-1");
	assert_string_equal(lc.who, "ra");
	assert_int_equal(notified - before, 2); /* both holders told of the approval */
	assert_non_null(strstr(last_text, "phê duyệt"));
	assert_string_equal(audit.last_action, "request.execute");
	/* decided once */
	assert_int_equal(otad_request_decide(&ra, a, false, "x", err, sizeof(err)), -EALREADY);
	/* the operation ends well: done */
	otad_lc_on_end(77, a, 2, 0);
	assert_int_equal(get(a)->state, OTAD_REQ_DONE);
	assert_non_null(strstr(last_text, "hoàn thành"));
	assert_string_equal(audit.last_action, "request.end");
	/* a late or repeated end changes nothing */
	otad_lc_on_end(77, a, 0, 2);
	assert_int_equal(get(a)->state, OTAD_REQ_DONE);
	otad_lc_on_end(99, 0, 1, 0); /* not a request's operation */
}

static void test_lifecycle_failures(void **state)
{
	int64_t a = file(&clerk, "{\"kind\": \"suspend\", \"holders\": [\"H-1\", \"H-2\"], " DOC "}");
	int64_t b = file(&clerk, "{\"kind\": \"modify\", \"holders\": [\"H-1\"], " DOC "}");
	char err[300];

	(void)state;
	assert_int_equal(otad_request_decide(&ra, a, true, NULL, err, sizeof(err)), 0);
	assert_int_equal(lc.p.kind, OTAD_LC_SUSPEND);
	assert_int_equal(lc.p.reason, -1);
	otad_lc_on_end(get(a)->op, a, 1, 1);
	assert_int_equal(get(a)->state, OTAD_REQ_FAILED);
	assert_non_null(strstr(get(a)->reason, "1 of 2 failed"));
	/* the executor cannot start: failed, saying why */
	lc.rc = -ENOSYS;
	assert_int_equal(otad_request_decide(&ra, b, true, NULL, err, sizeof(err)), 0);
	lc.rc = 0;
	assert_int_equal(get(b)->state, OTAD_REQ_FAILED);
	assert_string_equal(get(b)->reason, "not started: the fake lifecycle refuses");
	assert_int_equal(get(b)->op, 0);
}

static void test_reject_withdraw(void **state)
{
	int64_t a = file(&clerk, "{\"kind\": \"release\", \"holders\": [\"H-3\"], " DOC "}");
	int64_t b = file(&clerk, "{\"kind\": \"release\", \"holders\": [\"H-3\"], " DOC "}");
	char err[300];

	(void)state;
	assert_int_equal(otad_request_decide(&ra, a, false, "Thiếu chữ ký", err, sizeof(err)), 0);
	assert_int_equal(get(a)->state, OTAD_REQ_REJECTED);
	assert_string_equal(get(a)->reason, "Thiếu chữ ký");
	assert_non_null(strstr(last_text, "bị từ chối: Thiếu chữ ký"));
	assert_int_equal(otad_request_withdraw(&clerk, a, err, sizeof(err)), -EALREADY);
	assert_int_equal(otad_request_withdraw(&ra, b, err, sizeof(err)), -EACCES);
	assert_int_equal(otad_request_withdraw(&clerk, b, err, sizeof(err)), 0);
	assert_int_equal(get(b)->state, OTAD_REQ_WITHDRAWN);
	assert_string_equal(get(b)->decided_by, "clerk");
	assert_int_equal(otad_request_decide(&ra, b, true, NULL, err, sizeof(err)), -EALREADY);
}

static void test_pin_reset(void **state)
{
	int64_t a = file(&clerk, "{\"kind\": \"pin-reset\", \"holders\": [\"H-2\"], \"id_number\": \"0791\", \"mode\": "
				 "\"unblock\"}");
	int64_t b = file(&clerk, "{\"kind\": \"pin-reset\", \"holders\": [\"H-1\"], \"id_number\": \"0790\"}");
	int64_t c = file(&clerk, "{\"kind\": \"pin-reset\", \"holders\": [\"H-1\"], \"id_number\": \"0790\"}");
	char err[300];

	(void)state;
	assert_int_equal(otad_request_decide(&ra, a, true, NULL, err, sizeof(err)), 0);
	assert_int_equal(get(a)->state, OTAD_REQ_EXECUTING);
	assert_string_equal(pin.id_number, "0791");
	assert_int_equal(pin.mode, OTAD_PIN_RESET_UNBLOCK);
	otad_pin_reset_on_end(501, a, 1);
	assert_int_equal(get(a)->state, OTAD_REQ_DONE);
	assert_int_equal(otad_request_decide(&ra, b, true, NULL, err, sizeof(err)), 0);
	otad_pin_reset_on_end(502, b, 0);
	assert_int_equal(get(b)->state, OTAD_REQ_FAILED);
	assert_non_null(strstr(get(b)->reason, "1 of 1 failed; the first: H-1: failed"));
	pin.rc = -EACCES;
	assert_int_equal(otad_request_decide(&ra, c, true, NULL, err, sizeof(err)), 0);
	pin.rc = 0;
	assert_int_equal(get(c)->state, OTAD_REQ_FAILED);
	assert_non_null(strstr(get(c)->reason, "not started: H-1: the fake PIN reset refuses"));
	otad_pin_reset_on_end(999, 0, 1); /* not a request's */
}

static void test_resume(void **state)
{
	int64_t a = file(&clerk, "{\"kind\": \"renew\", \"holders\": [\"H-1\"], " DOC "}");

	(void)state;
	assert_int_equal(otad_db_request_set_state(db, a, OTAD_REQ_FILED, OTAD_REQ_APPROVED, "ra", NULL, 0, 1), 0);
	assert_int_equal(otad_request_resume_all(), 1);
	assert_int_equal(get(a)->state, OTAD_REQ_FAILED);
	assert_non_null(strstr(get(a)->reason, "daemon stopped"));
	assert_int_equal(otad_request_resume_all(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_lifecycle_failures),
		cmocka_unit_test(test_reject_withdraw),
		cmocka_unit_test(test_pin_reset),
		cmocka_unit_test(test_resume),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
