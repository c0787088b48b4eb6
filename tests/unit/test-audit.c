/* Unit tests of the audit trail in simpki-otad's database (ota-server/audit/audit.c, otad_db_audit.c) on a real
 * SQLite file in a temporary directory: otad_audit() fails closed before the trail starts; records appended with
 * seq 1, 2, 3 ... each chained to the one before; a checkpoint every N records, another at the stop, none when
 * nothing came since; the trail verifies from the database; it carries on across a restart; a record that cannot
 * be inserted (a trigger aborts it) is -EIO and leaves nothing; a row changed in the file is found; the audit key
 * file made 0600, read back with the same id, refused when others may read it or when it holds no key; a group of
 * records all or none; a checkpoint after the interval when records came, none when none came. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <sqlite3.h>

#include "audit.h"
#include "audit_daemon.h"
#include "audit_key.h"
#include "otad.h"
#include "otad_db_audit.h"

#include "unit.h"
#include "unit_tmpdir.h"

struct otad *g_otad; /* otad_log.c's counters' owner; unused here */

static char dir[64], dbfile[96], keyfile[96];
static void *ctx;

static const struct otad_actor alice = { .name = "alice", .role = OTAD_ROLE_UNIT_RA, .scope = "01", .via = "api" };

static int setup(void **state)
{
	(void)state;
	unit_tmpdir(dir, sizeof(dir), "audit");
	snprintf(dbfile, sizeof(dbfile), "%s/otad.db", dir);
	snprintf(keyfile, sizeof(keyfile), "%s/audit.key", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return unit_rmdir(dir);
}

static struct otad_db *open_db(void)
{
	static const uint8_t mk[KEYSTORE_KEY_LEN] = { 1 };
	struct otad_db *db;
	char err[256];

	assert_int_equal(otad_db_open(ctx, dbfile, mk, &db, err, sizeof(err)), 0);
	return db;
}

static EVP_PKEY *load_key(bool create)
{
	EVP_PKEY *k;
	char err[256];

	assert_int_equal(audit_key_load(keyfile, create, &k, err, sizeof(err)), 0);
	return k;
}

static void sql(struct otad_db *db, const char *q)
{
	sqlite3 *s;

	(void)db;
	assert_int_equal(sqlite3_open(dbfile, &s), SQLITE_OK);
	if (sqlite3_exec(s, q, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", q, sqlite3_errmsg(s));
	sqlite3_close(s);
}

static void test_key(void **state)
{
	char id1[AUDIT_KEY_ID_LEN + 1], id2[AUDIT_KEY_ID_LEN + 1], err[256];
	struct stat st;
	EVP_PKEY *k;
	FILE *f;

	(void)state;
	assert_int_equal(audit_key_load(keyfile, false, &k, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "key-create"));
	k = load_key(true);
	assert_int_equal(stat(keyfile, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(audit_key_id(k, id1), 0);
	EVP_PKEY_free(k);
	k = load_key(false);
	assert_int_equal(audit_key_id(k, id2), 0);
	assert_string_equal(id1, id2);
	EVP_PKEY_free(k);
	chmod(keyfile, 0644);
	assert_int_equal(audit_key_load(keyfile, false, &k, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "chmod 600"));
	unlink(keyfile);
	f = fopen(keyfile, "w");
	fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", f);
	fclose(f);
	chmod(keyfile, 0600);
	assert_int_equal(audit_key_load(keyfile, true, &k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "P-256"));
}

static void rec_seq(const struct audit_record *r, void *priv)
{
	struct audit_record *out = priv;

	out[r->seq - 1] = *r;
}

static void test_append(void **state)
{
	static struct audit_record recs[8];
	struct audit_verify_result res;
	struct audit_status st;
	struct otad_db *db = open_db();
	EVP_PKEY *k = load_key(true), *k2;

	(void)state;
	/* fail closed before the start */
	assert_int_equal(otad_audit(&alice, "token.create", "token t", "accepted", NULL), -EIO);
	audit_cfg.cp_records = 3;
	audit_cfg.cp_interval_s = 3600;
	assert_int_equal(audit_start(ctx, db, k, NULL), 0);
	assert_int_equal(otad_audit(&alice, "cert.renew", "holder H-1", "accepted", "profile %s", "signing"), 0);
	assert_int_equal(otad_audit(&otad_actor_vty, "token.create", "token t1", "done", NULL), 0);
	assert_int_equal(audit_status(&st), 0);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.checkpoints, 0);
	assert_int_equal(otad_audit(&alice, "pin.reset", "holder H-2", "failed: \x01 not \xff UTF-8", NULL), 0);
	assert_int_equal(audit_status(&st), 0); /* the 3rd made a checkpoint */
	assert_int_equal(st.checkpoints, 1);
	assert_int_equal(st.last_cp_seq, 3);
	assert_int_equal(audit_checkpoint(), 0); /* nothing since: none */
	assert_int_equal(audit_status(&st), 0);
	assert_int_equal(st.checkpoints, 1);
	assert_int_equal(otad_audit(&alice, "cert.revoke", "cert 0a1b", "done", "reason %d", 4), 0);
	assert_int_equal(otad_db_audit_records(db, 1, 10, rec_seq, recs), 4);
	assert_int_equal(recs[0].seq, 1);
	assert_string_equal(recs[0].actor, "api/alice");
	assert_string_equal(recs[0].role, "unit-ra");
	assert_string_equal(recs[0].scope, "01");
	assert_string_equal(recs[0].detail, "profile signing");
	assert_string_equal(recs[1].actor, "vty");
	assert_string_equal(recs[2].result, "failed: ? not ? UTF-8");
	assert_memory_equal(recs[1].prev, recs[0].hash, AUDIT_HASH_LEN);
	assert_memory_equal(recs[3].prev, recs[2].hash, AUDIT_HASH_LEN);
	assert_int_equal(audit_verify_db(db, audit_key(), &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.records, 4);
	assert_int_equal(res.last_checkpoint_seq, 3);
	assert_int_equal(res.records_unsigned, 1);
	/* a record that cannot be written: -EIO, nothing stored, counted */
	sql(db, "CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'x'); END;");
	assert_int_equal(otad_audit(&alice, "token.create", "token t2", "accepted", NULL), -EIO);
	sql(db, "DROP TRIGGER no_audit");
	assert_int_equal(otad_db_audit_count(db), 4);
	/* the stop signs the tail */
	audit_stop();
	assert_int_equal(otad_audit(&alice, "token.create", "token t3", "accepted", NULL), -EIO);
	assert_int_equal(otad_db_audit_checkpoint_count(db), 2);
	otad_db_close(db);

	/* a restart carries on: seq 5 chained to 4 */
	db = open_db();
	k2 = load_key(false);
	assert_int_equal(audit_start(ctx, db, k2, NULL), 0);
	assert_int_equal(otad_audit(&alice, "cert.renew", "holder H-3", "done", NULL), 0);
	assert_int_equal(otad_db_audit_records(db, 1, 10, rec_seq, recs), 5);
	assert_int_equal(recs[4].seq, 5);
	assert_memory_equal(recs[4].prev, recs[3].hash, AUDIT_HASH_LEN);
	assert_int_equal(audit_verify_db(db, audit_key(), &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.checkpoints, 2);
	assert_int_equal(res.last_checkpoint_seq, 4);
	/* a group of records in one transaction: all or none, chained, a checkpoint when due */
	{
		static const char *const objs[] = { "holder H-10", "holder H-11", "holder H-12" };
		static struct audit_record g[8];

		assert_int_equal(otad_audit_many(&alice, "cert.modify", 0, objs, "done", NULL), -EINVAL);
		sql(db, "CREATE TRIGGER no_audit BEFORE INSERT ON audit WHEN NEW.seq = 8 BEGIN SELECT RAISE(ABORT, "
			"'x'); END;");
		assert_int_equal(otad_audit_many(&alice, "cert.modify", 3, objs, "done", NULL), -EIO);
		assert_int_equal(otad_db_audit_count(db), 5); /* 6 and 7 went with 8 */
		sql(db, "DROP TRIGGER no_audit");
		assert_int_equal(otad_audit_many(&alice, "cert.modify", 3, objs, "done", "unit 01 renamed"), 0);
		assert_int_equal(otad_db_audit_records(db, 6, 10, rec_seq, g), 3);
		assert_int_equal(otad_db_audit_count(db), 8);
		assert_int_equal(audit_verify_db(db, audit_key(), &res), 0);
		assert_true(res.ok);
		assert_int_equal(res.records, 8);
		assert_int_equal(res.last_checkpoint_seq, 8); /* 4 records since the start: one after the group */
		assert_memory_equal(g[6].prev, g[5].hash, AUDIT_HASH_LEN);
		assert_string_equal(g[7].detail, "unit 01 renamed");
	}
	/* a row changed in the file */
	sql(db, "UPDATE audit SET object = 'holder H-9' WHERE seq = 2");
	assert_int_equal(audit_verify_db(db, audit_key(), &res), 0);
	assert_false(res.ok);
	assert_int_equal(res.problem, AUDIT_CHANGED);
	assert_int_equal(res.problem_seq, 2);
	/* a row deleted */
	sql(db, "UPDATE audit SET object = 'token t1' WHERE seq = 2; DELETE FROM audit WHERE seq = 3");
	assert_int_equal(audit_verify_db(db, audit_key(), &res), 0);
	assert_int_equal(res.problem, AUDIT_GAP);
	assert_int_equal(res.problem_seq, 3);
	audit_stop();
	otad_db_close(db);
}

/* A checkpoint after cp_interval_s seconds when records came, none when none came. */
static void test_interval(void **state)
{
	struct otad_db *db = open_db();
	struct timespec t0, t;
	int64_t n = 0;

	(void)state;
	audit_cfg.cp_records = 1000;
	audit_cfg.cp_interval_s = 1;
	assert_int_equal(audit_start(ctx, db, load_key(true), NULL), 0);
	assert_int_equal(otad_audit(&alice, "cert.renew", "holder H-1", "done", NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		osmo_select_main(0); /* the tick */
		n = otad_db_audit_checkpoint_count(db);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!n && t.tv_sec - t0.tv_sec < 5);
	assert_int_equal(n, 1);
	osmo_select_main(0); /* another tick, no record since: no checkpoint */
	assert_int_equal(otad_db_audit_checkpoint_count(db), 1);
	audit_stop();
	assert_int_equal(otad_db_audit_checkpoint_count(db), 1);
	otad_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append, setup, teardown),
	};

	ctx = talloc_named_const(NULL, 0, "test-audit");
	osmo_init_logging2(ctx, &otad_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
