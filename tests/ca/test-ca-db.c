/* Unit tests of simpki-ca's records (ota-server/ca/ca_db.c) on a file in a temporary directory: the schema (version
 * 3, WAL, kept on reopening, a newer one refused); a version 1 file (as simpki-ca made them before transactionIDs)
 * migrated to 3: its certificates (a revoked one too) kept, the transaction_id column added, one certificate per
 * transactionID, 'hold' taken; hold (reason 6 from good only), release (from hold only), revocation for good from
 * hold; keys revoked for keyCompromise and a key's first notBefore; group commit (batching); certificates stored and read back by serial (any case), holder,
 * ICCID and public-key hash, newest first; a serial stored twice refused; revocation (once; -EALREADY; -ENOENT for an
 * unknown serial); the revoked list skips good and expired certificates; CRL numbers that keep rising across
 * reopening; counts. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>

#include "ca_db.h"

#include "unit.h"
#include "unit_tmpdir.h"

static char dir[64], dbfile[96];

static int setup(void **state)
{
	(void)state;
	unit_tmpdir(dir, sizeof(dir), "ca-db");
	snprintf(dbfile, sizeof(dbfile), "%s/ca.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return unit_rmdir(dir);
}

static struct ca_db *open_db(void)
{
	struct ca_db *db = NULL;
	char err[256];

	assert_int_equal(ca_db_open(NULL, dbfile, &db, err, sizeof(err)), 0);
	return db;
}

static void row(struct ca_cert_row *r, const char *serial, const char *holder, const char *iccid, int64_t at)
{
	static uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };

	memset(r, 0, sizeof(*r));
	snprintf(r->serial, sizeof(r->serial), "%s", serial);
	snprintf(r->subject, sizeof(r->subject), "CN=Nguyễn Văn An,serialNumber=%s", holder);
	snprintf(r->holder, sizeof(r->holder), "%s", holder);
	snprintf(r->iccid, sizeof(r->iccid), "%s", iccid);
	snprintf(r->key_id, sizeof(r->key_id), "0102");
	snprintf(r->profile, sizeof(r->profile), "signing");
	snprintf(r->pubkey_sha256, sizeof(r->pubkey_sha256), "%064d", (int)at);
	r->not_before = at;
	r->not_after = at + 1000;
	r->issued_at = at;
	snprintf(r->requested_by, sizeof(r->requested_by), "/CN=RA");
	r->der = der;
	r->der_len = sizeof(der);
}

static unsigned found;
static char last[CA_DB_SERIAL_HEX];

static void count_cb(const struct ca_cert_row *r, void *priv)
{
	if (!found)
		snprintf(last, sizeof(last), "%s", r->serial);
	found++;
}

static int revoked_cb(const struct ca_cert_row *r, void *priv)
{
	snprintf(last, sizeof(last), "%s", r->serial);
	found++;
	return 0;
}

static void test_schema(void **state)
{
	struct ca_db *db = open_db();
	sqlite3 *raw;
	char err[256];

	assert_int_equal(ca_db_version(db), CA_DB_VERSION);
	ca_db_close(db);
	db = open_db();
	assert_int_equal(ca_db_version(db), CA_DB_VERSION);
	ca_db_close(db);
	assert_int_equal(sqlite3_open(dbfile, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(ca_db_open(NULL, dbfile, &db, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "schema version 99"));
	unlink(dbfile);
}

/* Version 1's schema and a certificate in it, as the previous simpki-ca wrote them. */
static const char v1_file[] =
	"CREATE TABLE certs (serial TEXT PRIMARY KEY, subject TEXT NOT NULL, holder TEXT NOT NULL, iccid TEXT,"
	" key_id TEXT NOT NULL, profile TEXT NOT NULL, pubkey_sha256 TEXT NOT NULL, not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL, der BLOB NOT NULL, status TEXT NOT NULL CHECK (status IN ('good', 'revoked')),"
	" revoked_at INTEGER, reason INTEGER, requested_by TEXT NOT NULL, issued_at INTEGER NOT NULL);"
	"CREATE INDEX certs_holder ON certs (holder);"
	"CREATE INDEX certs_iccid ON certs (iccid);"
	"CREATE INDEX certs_pubkey ON certs (pubkey_sha256);"
	"CREATE TABLE meta (name TEXT PRIMARY KEY, value NOT NULL);"
	"INSERT INTO meta (name, value) VALUES ('crl_number', 7);"
	"INSERT INTO certs VALUES ('4b000000000000000000000000000001', 'CN=Old', 'VN-OLD', NULL, '0102', 'signing',"
	" 'aa', 1700000000, 1800000000, x'3003020101', 'good', NULL, NULL, '/CN=RA', 1700000000);"
	"INSERT INTO certs VALUES ('4b0000000000000000000000000000ff', 'CN=Gone', 'VN-OLD', NULL, '0102', 'signing',"
	" 'aa', 1600000000, 1800000000, x'3003020101', 'revoked', 1700000001, 1, '/CN=RA', 1600000000);"
	"PRAGMA user_version = 1;";

static void test_migrate_v1(void **state)
{
	struct ca_db *db;
	struct ca_cert_row r, got;
	sqlite3 *raw;
	uint64_t n = 0;

	assert_int_equal(sqlite3_open(dbfile, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, v1_file, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	db = open_db();
	assert_int_equal(ca_db_version(db), 3);
	assert_int_equal(ca_db_cert_get(db, "4b0000000000000000000000000000ff", NULL, &got), 0);
	assert_true(got.revoked);
	assert_false(got.hold);
	assert_int_equal(got.reason, 1);
	assert_int_equal(got.revoked_at, 1700000001);
	assert_int_equal(ca_db_key_compromised(db, "AA", got.serial), 1);
	assert_int_equal(ca_db_cert_get(db, "4b000000000000000000000000000001", NULL, &got), 0);
	assert_string_equal(got.holder, "VN-OLD");
	assert_string_equal(got.txid, "");
	assert_int_equal(ca_db_crl_number_next(db, &n), 0);
	assert_int_equal(n, 8);
	/* the new column: found by it in any case; a second certificate with it refused; none (NULL) many times */
	row(&r, "4b000000000000000000000000000002", "VN-NEW", "", 1700000100);
	snprintf(r.txid, sizeof(r.txid), "00FF00FF00FF00FF00FF00FF00FF00FF");
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	row(&r, "4b000000000000000000000000000003", "VN-NEW", "", 1700000200);
	snprintf(r.txid, sizeof(r.txid), "00ff00ff00ff00ff00ff00ff00ff00ff");
	assert_int_equal(ca_db_cert_add(db, &r), -EEXIST);
	r.txid[0] = 0;
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	found = 0;
	assert_int_equal(ca_db_certs_find(db, CA_DB_BY_TXID, "00Ff00ff00ff00ff00ff00ff00ff00ff", 10, count_cb, NULL),
			 1);
	assert_string_equal(last, "4b000000000000000000000000000002");
	assert_int_equal(ca_db_cert_get(db, "4b000000000000000000000000000002", NULL, &got), 0);
	assert_string_equal(got.txid, "00ff00ff00ff00ff00ff00ff00ff00ff");
	assert_int_equal(ca_db_cert_count(db, NULL), 4);
	/* version 3: a migrated certificate may be put on hold */
	assert_int_equal(ca_db_cert_revoke(db, "4b000000000000000000000000000001", 1700000300, 6), 0);
	assert_int_equal(ca_db_cert_get(db, "4b000000000000000000000000000001", NULL, &got), 0);
	assert_true(got.hold);
	ca_db_close(db);
	/* reopened: nothing to migrate */
	db = open_db();
	assert_int_equal(ca_db_version(db), 3);
	ca_db_close(db);
	unlink(dbfile);
}

static void test_certs(void **state)
{
	struct ca_db *db = open_db();
	struct ca_cert_row r, got;
	void *ctx = talloc_named_const(NULL, 0, "test");
	int64_t revoked = -1, now = 1700000000;

	row(&r, "4a000000000000000000000000000001", "VN-1", "8984012345678901234", now);
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	assert_int_equal(ca_db_cert_add(db, &r), -EEXIST);
	row(&r, "4a000000000000000000000000000002", "VN-1", "", now + 10);
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	row(&r, "4a000000000000000000000000000003", "VN-2", "", now - 5000); /* expired by now + 1000 */
	assert_int_equal(ca_db_cert_add(db, &r), 0);

	assert_int_equal(ca_db_serial_exists(db, "4A000000000000000000000000000001"), 1);
	assert_int_equal(ca_db_serial_exists(db, "4a00"), 0);
	assert_int_equal(ca_db_cert_get(db, "4A000000000000000000000000000001", ctx, &got), 0);
	assert_string_equal(got.holder, "VN-1");
	assert_string_equal(got.iccid, "8984012345678901234");
	assert_string_equal(got.subject, "CN=Nguyễn Văn An,serialNumber=VN-1");
	assert_int_equal(got.der_len, 5);
	assert_int_equal(got.der[0], 0x30);
	assert_false(got.revoked);
	assert_int_equal(ca_db_cert_get(db, "ff", NULL, &got), -ENOENT);
	assert_int_equal(ca_db_cert_get(db, "not hex", NULL, &got), -ENOENT);

	found = 0;
	assert_int_equal(ca_db_certs_find(db, CA_DB_BY_HOLDER, "VN-1", 10, count_cb, NULL), 2);
	assert_string_equal(last, "4a000000000000000000000000000002"); /* newest first */
	found = 0;
	assert_int_equal(ca_db_certs_find(db, CA_DB_BY_ICCID, "8984012345678901234", 10, count_cb, NULL), 1);
	found = 0;
	assert_int_equal(ca_db_certs_find(db, CA_DB_BY_ALL, NULL, 2, count_cb, NULL), 2);
	found = 0;
	snprintf(got.pubkey_sha256, sizeof(got.pubkey_sha256), "%064d", (int)(now + 10));
	assert_int_equal(ca_db_certs_find(db, CA_DB_BY_PUBKEY, got.pubkey_sha256, 10, count_cb, NULL), 1);
	assert_string_equal(last, "4a000000000000000000000000000002");
	found = 0;
	assert_int_equal(ca_db_certs_find(db, CA_DB_BY_SERIAL, "4A000000000000000000000000000003", 10, count_cb, NULL),
			 1);

	assert_int_equal(ca_db_cert_revoke(db, "4a000000000000000000000000000001", now + 20, 1), 0);
	assert_int_equal(ca_db_cert_revoke(db, "4a000000000000000000000000000001", now + 30, 4), -EALREADY);
	assert_int_equal(ca_db_cert_revoke(db, "4a000000000000000000000000000009", now, 1), -ENOENT);
	assert_int_equal(ca_db_cert_revoke(db, "4a000000000000000000000000000003", now + 20, -1), 0);
	assert_int_equal(ca_db_cert_get(db, "4a000000000000000000000000000001", NULL, &got), 0);
	assert_true(got.revoked);
	assert_int_equal(got.revoked_at, now + 20);
	assert_int_equal(got.reason, 1);
	assert_null(got.der);
	assert_int_equal(ca_db_cert_get(db, "4a000000000000000000000000000003", NULL, &got), 0);
	assert_int_equal(got.reason, -1);

	found = 0;
	assert_int_equal(ca_db_revoked_each(db, now + 100, revoked_cb, NULL), 0); /* ...03 has expired */
	assert_int_equal(found, 1);
	assert_string_equal(last, "4a000000000000000000000000000001");
	assert_int_equal(ca_db_cert_count(db, &revoked), 3);
	assert_int_equal(revoked, 2);
	ca_db_close(db);
	talloc_free(ctx);
	unlink(dbfile);
}

static void test_hold_release(void **state)
{
	struct ca_db *db = open_db();
	struct ca_cert_row r, got;
	int64_t at = 0, now = 1700000000;
	char serial[CA_DB_SERIAL_HEX] = "";

	row(&r, "4c000000000000000000000000000001", "VN-H", "", now);
	snprintf(r.pubkey_sha256, sizeof(r.pubkey_sha256), "%064d", 7);
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	row(&r, "4c000000000000000000000000000002", "VN-H", "", now + 100);
	snprintf(r.pubkey_sha256, sizeof(r.pubkey_sha256), "%064d", 7);
	r.not_before = now - 50;
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	assert_int_equal(ca_db_key_first_not_before(db, r.pubkey_sha256, &at), 0);
	assert_int_equal(at, now - 50);
	assert_int_equal(ca_db_key_first_not_before(db, "00", &at), -ENOENT);

	/* release: only from hold */
	assert_int_equal(ca_db_cert_release(db, "4c000000000000000000000000000001"), -EINVAL);
	assert_int_equal(ca_db_cert_release(db, "4c000000000000000000000000000009"), -ENOENT);
	/* hold: from good only; listed for the CRL with reason 6 */
	assert_int_equal(ca_db_cert_revoke(db, "4c000000000000000000000000000001", now + 10, 6), 0);
	assert_int_equal(ca_db_cert_revoke(db, "4c000000000000000000000000000001", now + 11, 6), -EALREADY);
	assert_int_equal(ca_db_cert_get(db, "4c000000000000000000000000000001", NULL, &got), 0);
	assert_true(got.hold);
	assert_true(got.revoked);
	assert_int_equal(got.reason, 6);
	assert_int_equal(got.revoked_at, now + 10);
	found = 0;
	assert_int_equal(ca_db_revoked_each(db, now, revoked_cb, NULL), 0);
	assert_int_equal(found, 1);
	assert_string_equal(last, "4c000000000000000000000000000001");
	/* released: good again, off the list */
	assert_int_equal(ca_db_cert_release(db, "4C000000000000000000000000000001"), 0);
	assert_int_equal(ca_db_cert_get(db, "4c000000000000000000000000000001", NULL, &got), 0);
	assert_false(got.hold);
	assert_false(got.revoked);
	assert_int_equal(got.reason, -1);
	found = 0;
	assert_int_equal(ca_db_revoked_each(db, now, revoked_cb, NULL), 0);
	assert_int_equal(found, 0);
	/* on hold again, then revoked for good from hold: final */
	assert_int_equal(ca_db_cert_revoke(db, "4c000000000000000000000000000001", now + 20, 6), 0);
	assert_int_equal(ca_db_key_compromised(db, r.pubkey_sha256, NULL), 0);
	assert_int_equal(ca_db_cert_revoke(db, "4c000000000000000000000000000001", now + 30, 1), 0);
	assert_int_equal(ca_db_cert_get(db, "4c000000000000000000000000000001", NULL, &got), 0);
	assert_false(got.hold);
	assert_true(got.revoked);
	assert_int_equal(got.reason, 1);
	assert_int_equal(ca_db_cert_release(db, "4c000000000000000000000000000001"), -EINVAL);
	assert_int_equal(ca_db_cert_revoke(db, "4c000000000000000000000000000001", now + 40, 6), -EALREADY);
	assert_int_equal(ca_db_key_compromised(db, r.pubkey_sha256, serial), 1);
	assert_string_equal(serial, "4c000000000000000000000000000001");
	ca_db_close(db);
	unlink(dbfile);
}

/* Group commit: certificates and revocations in a batch are seen on this connection at once, on another only
 * after the commit; a CRL number commits the batch first; turning batching off commits. */
static void test_batch(void **state)
{
	struct ca_db *db = open_db(), *other = open_db();
	struct ca_cert_row r;
	int64_t revoked = -1;
	uint64_t n;

	ca_db_set_batching(db, true);
	assert_false(ca_db_uncommitted(db));
	row(&r, "4e000000000000000000000000000001", "VN-B", "", 1700000000);
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	row(&r, "4e000000000000000000000000000002", "VN-B", "", 1700000001);
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	assert_int_equal(ca_db_cert_add(db, &r), -EEXIST); /* one statement refused, the batch goes on */
	assert_true(ca_db_uncommitted(db));
	assert_int_equal(ca_db_cert_count(db, NULL), 2);
	assert_int_equal(ca_db_cert_count(other, NULL), 0);
	assert_int_equal(ca_db_commit(db), 0);
	assert_false(ca_db_uncommitted(db));
	assert_int_equal(ca_db_cert_count(other, NULL), 2);
	assert_int_equal(ca_db_commit(db), 0); /* nothing open */
	/* a revocation joins the batch */
	row(&r, "4e000000000000000000000000000003", "VN-B", "", 1700000002);
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	assert_int_equal(ca_db_cert_revoke(db, "4e000000000000000000000000000001", 1700000003, 4), 0);
	assert_int_equal(ca_db_cert_release(db, "4e000000000000000000000000000001"), -EINVAL);
	assert_true(ca_db_uncommitted(db));
	assert_int_equal(ca_db_cert_count(other, &revoked), 2);
	assert_int_equal(revoked, 0);
	assert_int_equal(ca_db_commit(db), 0);
	assert_int_equal(ca_db_cert_count(other, &revoked), 3);
	assert_int_equal(revoked, 1);
	/* a CRL number commits the batch first */
	row(&r, "4e000000000000000000000000000004", "VN-B", "", 1700000004);
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	assert_int_equal(ca_db_crl_number_next(db, &n), 0);
	assert_int_equal(ca_db_cert_count(other, NULL), 4);
	/* and turning it off */
	row(&r, "4e000000000000000000000000000005", "VN-B", "", 1700000005);
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	ca_db_set_batching(db, false);
	assert_false(ca_db_uncommitted(db));
	assert_int_equal(ca_db_cert_count(other, NULL), 5);
	row(&r, "4e000000000000000000000000000006", "VN-B", "", 1700000006);
	assert_int_equal(ca_db_cert_add(db, &r), 0);
	assert_false(ca_db_uncommitted(db));
	assert_int_equal(ca_db_cert_count(other, NULL), 6);
	ca_db_close(other);
	ca_db_close(db);
	unlink(dbfile);
}

static void test_crl_number(void **state)
{
	struct ca_db *db = open_db();
	uint64_t n = 0;

	assert_int_equal(ca_db_crl_number_next(db, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ca_db_crl_number_next(db, &n), 0);
	assert_int_equal(n, 2);
	ca_db_close(db);
	db = open_db();
	assert_int_equal(ca_db_crl_number_next(db, &n), 0);
	assert_int_equal(n, 3);
	ca_db_close(db);
	unlink(dbfile);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema), cmocka_unit_test(test_migrate_v1),
		cmocka_unit_test(test_certs),  cmocka_unit_test(test_hold_release),
		cmocka_unit_test(test_batch),  cmocka_unit_test(test_crl_number),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
