/* Unit tests of simpki-otad's storage (ota-server/keystore.c, otad_db.c) on files in a temporary directory: the
 * master key file (created 0600, read back, refused when others may read it or when it is not 64 hex digits);
 * sealing (round trip, another AAD or an altered byte refused); the schema (version 1, kept on reopening, a newer
 * one refused); an import of good cards; imports with bad lines refused whole with every line named; no OTA key in
 * clear in the database files; counters that keep rising across reopening; a wrong master key; the streaming import
 * engine (pieces of any size, rejection kinds, nothing staged left behind, one at a time, invisible while staged, a
 * crash's leftover cleaned on opening, an aborted upload); version 9: units loaded from JSON (again only when
 * changed; a ward of an unknown province refused), holders (a taken id, an unknown unit, a Vietnamese name intact,
 * lists by unit), a card's holder, certificates per card (insert, list, loaded, revoked for good), a holder CSV
 * streamed in pieces with every rejection's kind. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "cert_info.h"
#include "holder_import.h"
#include "otad_db.h"
#include "otad_import.h"
#include "otad_units.h"

#include "unit.h"

#define KIC "8C4A1F0B3E2D5A697788A9BACBDCEDFE"
#define KID "1E2D3C4B5A69788796A5B4C3D2E1F00F"
#define HEADER "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n"

static char dir[64], keyfile[96], dbfile[96];
static uint8_t mk[KEYSTORE_KEY_LEN];

static int setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/simpki-otad-db.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(keyfile, sizeof(keyfile), "%s/master.key", dir);
	snprintf(dbfile, sizeof(dbfile), "%s/otad.db", dir);
	assert_int_equal(keystore_load(keyfile, true, mk, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_keyfile(void **state)
{
	uint8_t again[KEYSTORE_KEY_LEN];
	char err[256], path[128];
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(stat(keyfile, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keystore_load(keyfile, false, again, err, sizeof(err)), 0);
	assert_memory_equal(again, mk, sizeof(mk));
	snprintf(path, sizeof(path), "%s/none.key", dir);
	assert_int_equal(keystore_load(path, false, again, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "master-key create"));
	snprintf(path, sizeof(path), "%s/open.key", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(write(fd, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", 65) == 65);
	close(fd);
	chmod(path, 0644);
	assert_int_equal(keystore_load(path, false, again, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "chmod 600"));
	chmod(path, 0600);
	assert_int_equal(keystore_load(path, false, again, err, sizeof(err)), 0);
	assert_int_equal(again[1], 0x11);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(write(fd, "0011\n", 5) == 5);
	close(fd);
	assert_int_equal(keystore_load(path, false, again, err, sizeof(err)), -EINVAL);
}

static void test_seal(void **state)
{
	uint8_t pt[40], sealed[40 + KEYSTORE_OVERHEAD], back[40];
	int n;

	(void)state;
	memset(pt, 0x5a, sizeof(pt));
	n = keystore_seal(mk, "keyset 1/1", pt, sizeof(pt), sealed, sizeof(sealed));
	assert_int_equal(n, sizeof(sealed));
	assert_int_equal(keystore_unseal(mk, "keyset 1/1", sealed, (size_t)n, back, sizeof(back)), sizeof(pt));
	assert_memory_equal(back, pt, sizeof(pt));
	assert_int_equal(keystore_unseal(mk, "keyset 1/2", sealed, (size_t)n, back, sizeof(back)), -EBADMSG);
	sealed[20] ^= 1;
	assert_int_equal(keystore_unseal(mk, "keyset 1/1", sealed, (size_t)n, back, sizeof(back)), -EBADMSG);
	assert_int_equal(keystore_unseal(mk, "keyset 1/1", sealed, 10, back, sizeof(back)), -EBADMSG);
	assert_int_equal(keystore_seal(mk, "x", pt, sizeof(pt), sealed, sizeof(sealed) - 1), -E2BIG);
}

static struct otad_db *open_db(const uint8_t *key)
{
	struct otad_db *db;
	char err[256];

	if (otad_db_open(NULL, dbfile, key, &db, err, sizeof(err)))
		fail_msg("otad_db_open: %s", err);
	return db;
}

/* Run \a sql on the database file through a connection of its own. */
static void exec_sql(const char *sql)
{
	sqlite3 *s;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(dbfile, &s), SQLITE_OK);
	if (sqlite3_exec(s, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(s);
}

static const char good[] = HEADER "8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID "\n"
				  "8984010000000000005,001010000000001,2001,2,3des," KID ",3des," KIC "\r\n"
				  "\n"
				  "8984010000000000013,001010000000002,2002,1,aes," KIC ",aes," KID "\n"
				  "8984010000000000021,001010000000003,2003,1,aes," KIC ",aes," KID;

static void test_import(void **state)
{
	struct otad_db *db = open_db(mk);
	struct otad_import_report rep;
	struct otad_keyset ks;
	struct otad_card c;
	void *ctx = talloc_named_const(NULL, 0, "test");

	(void)state;
	assert_int_equal(otad_db_version(db), OTAD_DB_VERSION);
	assert_int_equal(otad_db_import(db, ctx, good, strlen(good), "vendor-1.csv", &rep), 0);
	assert_int_equal(rep.rejected, 0);
	assert_int_equal(rep.cards, 3);
	assert_int_equal(rep.keysets, 4);
	assert_int_equal(otad_db_card_count(db), 3);
	assert_int_equal(otad_db_card_get(db, "8984010000000000005", &c), 0);
	assert_string_equal(c.imsi, "001010000000001");
	assert_string_equal(c.msisdn, "2001");
	assert_string_equal(c.state, "active");
	assert_int_equal(c.keysets, 2);
	assert_int_equal(otad_db_card_by_msisdn(db, "2003", &c), 0);
	assert_string_equal(c.iccid, "8984010000000000021");
	assert_int_equal(otad_db_card_get(db, "8984010000000000039", &c), -ENOENT);
	assert_int_equal(otad_db_keyset_get(db, "8984010000000000005", 2, &ks), 0);
	assert_int_equal(ks.kic_algo, CARD_IMPORT_3DES);
	assert_int_equal(ks.kic_len, 16);
	assert_int_equal(ks.kic[0], 0x1e);
	assert_int_equal(ks.kid[0], 0x8c);
	otad_keyset_wipe(&ks);
	assert_int_equal(otad_db_keyset_get(db, "8984010000000000005", 3, &ks), -ENOENT);
	/* the same file again: every line names the card already there, nothing changes */
	assert_int_equal(otad_db_import(db, ctx, good, strlen(good), "again", &rep), 0);
	assert_int_equal(rep.rejected, 4);
	assert_int_equal(rep.cards, 0);
	assert_int_equal(rep.rejects[0].line, 2);
	assert_non_null(strstr(rep.rejects[0].reason, "already in the database"));
	assert_int_equal(otad_db_card_count(db), 3);
	otad_db_close(db);
	talloc_free(ctx);
}

static void test_import_bad(void **state)
{
	static const char bad[] =
		HEADER "8984010000000000039,001010000000004,2004,1,aes," KIC ",aes," KID "\n"  /* 2: fine */
		       "8984010000000000039,001010000000004,2004,1,aes," KIC ",aes," KID "\n"  /* 3: key set twice */
		       "8984010000000000039,001010000000009,2004,2,aes," KIC ",aes," KID "\n"  /* 4: other IMSI */
		       "8984010000000000047,001010000000004,2005,1,aes," KIC ",aes," KID "\n"  /* 5: IMSI of line 2 */
		       "8984010000000000054,001010000000006,2001,1,aes," KIC ",aes," KID "\n"  /* 6: MSISDN in the DB */
		       "8984010000000000062,001010000000007,2007,1,aes,8C4A,aes," KID "\n"     /* 7: short key */
		       "8984010000000000070,001010000000008,2008,1,aes," KIC ",aes," KID "\n"; /* 8: fine */
	struct otad_db *db = open_db(mk);
	struct otad_import_report rep;
	void *ctx = talloc_named_const(NULL, 0, "test");
	static const struct {
		unsigned line;
		const char *why;
	} want[] = {
		{ 3, "key set 1 twice" },
		{ 4, "another IMSI or MSISDN on line 2" },
		{ 5, "IMSI 001010000000004 already belongs to ICCID 8984010000000000039 on line 2" },
		{ 6, "MSISDN 2001 already belongs to ICCID 8984010000000000005 in the database" },
		{ 7, "kic: 2 bytes" },
	};

	(void)state;
	assert_int_equal(otad_db_import(db, ctx, bad, strlen(bad), "bad.csv", &rep), 0);
	assert_int_equal(rep.rejected, 5);
	assert_int_equal(rep.n_rejects, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(rep.rejects[i].line, want[i].line);
		if (!strstr(rep.rejects[i].reason, want[i].why))
			fail_msg("line %u: '%s' lacks '%s'", want[i].line, rep.rejects[i].reason, want[i].why);
	}
	assert_int_equal(rep.cards, 0);
	assert_int_equal(otad_db_card_count(db), 3); /* all or nothing: lines 2 and 8 are not in either */
	assert_int_equal(otad_db_import(db, ctx, "iccid,imsi\n", 11, "x", &rep), -EINVAL);
	assert_int_equal(rep.rejects[0].line, 1);
	assert_int_equal(otad_db_import(db, ctx, HEADER, strlen(HEADER), "empty", &rep), 0);
	assert_int_equal(rep.rejected, 1);
	assert_non_null(strstr(rep.rejects[0].reason, "no cards"));
	otad_db_close(db);
	talloc_free(ctx);
}

/* Whether \a needle occurs in the file at \a path. */
static bool file_has(const char *path, const uint8_t *needle, size_t n)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 20];
	size_t len;

	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(buf + i, needle, n))
			return true;
	return false;
}

static void test_no_clear_keys(void **state)
{
	static const uint8_t kic[] = { 0x8c, 0x4a, 0x1f, 0x0b, 0x3e, 0x2d, 0x5a, 0x69 };
	static const uint8_t kid[] = { 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87 };
	char path[128];

	(void)state;
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s", dbfile, i ? "-wal" : "");
		assert_false(file_has(path, kic, sizeof(kic)));
		assert_false(file_has(path, kid, sizeof(kid)));
		assert_false(file_has(path, (const uint8_t *)KIC, 16));
		assert_false(file_has(path, (const uint8_t *)KID, 16));
	}
	assert_true(file_has(dbfile, (const uint8_t *)"001010000000001", 15) ||
		    file_has(path, (const uint8_t *)"001010000000001", 15)); /* the search itself works */
}

static void count_one(const struct otad_job_row *j, void *n)
{
	(void)j;
	(*(unsigned *)n)++;
}

static void test_counters(void **state)
{
	struct otad_db *db = open_db(mk);
	uint64_t c = 0;
	uint8_t other[KEYSTORE_KEY_LEN];
	struct otad_keyset ks;
	char err[256];

	(void)state;
	assert_int_equal(otad_db_counter_next(db, "8984010000000000005", 1, &c), 0);
	assert_int_equal(c, 1);
	assert_int_equal(otad_db_counter_next(db, "8984010000000000005", 1, &c), 0);
	assert_int_equal(c, 2);
	assert_int_equal(otad_db_counter_next(db, "8984010000000000005", 2, &c), 0);
	assert_int_equal(c, 1);
	assert_int_equal(otad_db_counter_next(db, "8984010000000000005", 7, &c), -ENOENT);
	otad_db_close(db);
	db = open_db(mk);
	assert_int_equal(otad_db_counter_next(db, "8984010000000000005", 1, &c), 0);
	assert_int_equal(c, 3);
	otad_db_close(db);
	/* a wrong master key is refused at open (meta mk_check), before any key set is tried */
	memcpy(other, mk, sizeof(other));
	other[0] ^= 0xff;
	assert_int_equal(otad_db_open(NULL, dbfile, other, &db, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "sealed under another one"));
	/* a database without the check value (before version 5): one key set decides, and the value is written */
	exec_sql("DELETE FROM meta WHERE name = 'mk_check'");
	assert_int_equal(otad_db_open(NULL, dbfile, other, &db, err, sizeof(err)), -EBADMSG);
	db = open_db(mk);
	assert_int_equal(otad_db_keyset_get(db, "8984010000000000005", 1, &ks), 0);
	otad_keyset_wipe(&ks);
	otad_db_close(db);
	assert_int_equal(otad_db_open(NULL, dbfile, other, &db, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "sealed under another one"));
}

static void test_jobs(void **state)
{
	struct otad_db *db = open_db(mk);
	struct otad_job_row j = { .iccid = "8984010000000000005",
				  .msisdn = "2001",
				  .tar = { 0xb0, 0x00, 0x10 },
				  .spi = { 0x16, 0x39 },
				  .kvn = 1,
				  .script_len = 3,
				  .por_status = -1,
				  .por_commands = -1 };
	struct otad_job_row back;
	int64_t n[OTAD_JOB_N_STATES];
	unsigned active = 0;

	(void)state;
	memcpy(j.script, "\x00\xb0\x00", 3);
	assert_int_equal(otad_db_job_insert(db, &j), 0);
	assert_true(j.id > 0);
	j.state = OTAD_JOB_SUBMITTED;
	j.counter = 7;
	j.attempts = 1;
	j.deadline_ms = otad_now_ms() + 60000;
	assert_int_equal(otad_db_job_update(db, &j, "sent"), 0);
	assert_int_equal(otad_db_job_get(db, j.id, &back), 0);
	assert_int_equal(back.state, OTAD_JOB_SUBMITTED);
	assert_int_equal(back.counter, 7);
	assert_int_equal(back.por_status, -1);
	assert_memory_equal(back.tar, j.tar, 3);
	assert_memory_equal(back.script, j.script, 3);
	assert_int_equal(otad_db_jobs_active(db, count_one, &active), 0);
	assert_int_equal(active, 1);
	j.state = OTAD_JOB_POR_OK;
	j.por_status = 0;
	j.por_commands = 2;
	j.por_last_sw = 0x9000;
	j.por_last_len = 2;
	memcpy(j.por_last_data, "\x98\x48", 2);
	assert_int_equal(otad_db_job_update(db, &j, "PoR"), 0);
	assert_int_equal(otad_db_job_get(db, j.id, &back), 0);
	assert_int_equal(back.state, OTAD_JOB_POR_OK);
	assert_int_equal(back.por_commands, 2);
	assert_int_equal(back.por_last_sw, 0x9000);
	assert_int_equal(back.por_last_len, 2);
	assert_int_equal(back.por_last_data[1], 0x48);
	active = 0;
	assert_int_equal(otad_db_jobs_active(db, count_one, &active), 0);
	assert_int_equal(active, 0);
	assert_int_equal(otad_db_job_counts(db, n), 0);
	assert_int_equal(n[OTAD_JOB_POR_OK], 1);
	assert_int_equal(otad_db_job_get(db, 999, &back), -ENOENT);
	otad_db_close(db);
}

/* The sealed values of every key set, in rowid order (the order the re-sealing goes in). */
struct sealed_rows {
	unsigned n;
	uint8_t b[8][128];
	int len[8];
};

static void read_sealed(struct sealed_rows *r)
{
	sqlite3_stmt *st;
	sqlite3 *s;

	memset(r, 0, sizeof(*r));
	assert_int_equal(sqlite3_open(dbfile, &s), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s, "SELECT sealed FROM keysets ORDER BY rowid", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && r->n < 8) {
		r->len[r->n] = sqlite3_column_bytes(st, 0);
		assert_true(r->len[r->n] <= 128);
		memcpy(r->b[r->n], sqlite3_column_blob(st, 0), (size_t)r->len[r->n]);
		r->n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(s);
}

static void keysets_open(const uint8_t *key)
{
	static const struct {
		const char *iccid;
		uint8_t kvn;
	} all[] = { { "8984010000000000005", 1 },
		    { "8984010000000000005", 2 },
		    { "8984010000000000013", 1 },
		    { "8984010000000000021", 1 } };
	struct otad_db *db = open_db(key);
	struct otad_keyset ks;

	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(otad_db_keyset_get(db, all[i].iccid, all[i].kvn, &ks), 0);
		assert_int_equal(ks.kic[0], all[i].kvn == 2 ? 0x1e : 0x8c);
		otad_keyset_wipe(&ks);
	}
	otad_db_close(db);
}

/* A failure midway (the last key set does not open) leaves every key set and the check value as they were. */
static void test_rekey_atomic(void **state)
{
	struct sealed_rows before, after;
	uint8_t new_mk[KEYSTORE_KEY_LEN];
	struct otad_db *db;
	char sql[512];

	(void)state;
	memset(new_mk, 0x42, sizeof(new_mk));
	read_sealed(&before);
	assert_int_equal(before.n, 4);
	exec_sql("UPDATE keysets SET sealed = zeroblob(60) WHERE rowid = (SELECT max(rowid) FROM keysets)");
	db = open_db(mk);
	assert_int_equal(otad_db_rekey(db, new_mk), -EBADMSG);
	otad_db_close(db);
	snprintf(sql, sizeof(sql), "UPDATE keysets SET sealed = x'%s' WHERE rowid = (SELECT max(rowid) FROM keysets)",
		 osmo_hexdump_nospc(before.b[3], (size_t)before.len[3]));
	exec_sql(sql);
	read_sealed(&after);
	assert_int_equal(after.n, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(after.len[i], before.len[i]);
		assert_memory_equal(after.b[i], before.b[i], (size_t)before.len[i]);
	}
	keysets_open(mk); /* and the check value still takes the old key */
	db = open_db(mk);
	assert_int_equal(otad_db_rekey(db, mk), -EINVAL);
	otad_db_close(db);
}

/* Every key set re-sealed: they open with the new key, the old key is refused, and no old sealed value is left in
 * the database's files. */
static void test_rekey(void **state)
{
	uint8_t new_mk[KEYSTORE_KEY_LEN];
	struct sealed_rows before, after;
	char err[256], path[128];
	struct otad_db *db;

	(void)state;
	snprintf(path, sizeof(path), "%s/new.key", dir);
	assert_int_equal(keystore_load(path, true, new_mk, err, sizeof(err)), 0);
	read_sealed(&before);
	db = open_db(mk);
	assert_int_equal(otad_db_rekey(db, new_mk), 4);
	/* the open database uses the new key at once */
	{
		struct otad_keyset ks;

		assert_int_equal(otad_db_keyset_get(db, "8984010000000000021", 1, &ks), 0);
		otad_keyset_wipe(&ks);
	}
	otad_db_close(db);
	read_sealed(&after);
	for (unsigned i = 0; i < 4; i++) {
		assert_memory_not_equal(after.b[i], before.b[i], (size_t)before.len[i]);
		for (int f = 0; f < 2; f++) {
			snprintf(path, sizeof(path), "%s%s", dbfile, f ? "-wal" : "");
			if (file_has(path, before.b[i] + 12, 16))
				fail_msg("%s still holds the old sealed value of key set %u", path, i);
		}
	}
	assert_int_equal(otad_db_open(NULL, dbfile, mk, &db, err, sizeof(err)), -EBADMSG);
	keysets_open(new_mk);
	memcpy(mk, new_mk, sizeof(mk)); /* the key of the tests that follow */
}

static uint64_t counter_of(struct otad_db *db, const char *iccid, uint8_t kvn);

/* A card's SCP81 PSK: imported from the vendor file's psk column, sealed, opened, re-sealed with the key sets. */
static void test_psk(void **state)
{
	static const char csv[] = "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid,kik,psk\n"
				  "8984019000000000014,001019000000001,2901,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,aes,"
				  "1E2D3C4B5A69788796A5B4C3D2E1F00F,,000102030405060708090A0B0C0D0E0F\n"
				  "8984019000000000014,001019000000001,2901,2,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,aes,"
				  "1E2D3C4B5A69788796A5B4C3D2E1F00F,,\n";
	static const char twice[] =
		"iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid,kik,psk\n"
		"8984019000000000022,001019000000002,2902,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,aes,"
		"1E2D3C4B5A69788796A5B4C3D2E1F00F,,000102030405060708090A0B0C0D0E0F\n"
		"8984019000000000022,001019000000002,2902,2,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,aes,"
		"1E2D3C4B5A69788796A5B4C3D2E1F00F,,000102030405060708090A0B0C0D0E0F\n";
	uint8_t psk[32], kvn = 0, kid = 0, new_mk[KEYSTORE_KEY_LEN];
	struct otad_import_report rep;
	struct otad_db *db;
	char err[256], path[128];

	void *ctx = talloc_named_const(NULL, 0, "test_psk");

	(void)state;
	db = open_db(mk);
	assert_int_equal(otad_db_import(db, ctx, csv, strlen(csv), "psk.csv", &rep), 0);
	for (unsigned i = 0; i < rep.n_rejects; i++)
		print_message("line %u: %s\n", rep.rejects[i].line, rep.rejects[i].reason);
	assert_int_equal(rep.rejected, 0);
	assert_int_equal(otad_db_psk_get(db, "8984019000000000014", psk, sizeof(psk), &kvn, &kid), 16);
	assert_int_equal(kvn, 0x40);
	assert_int_equal(kid, 1);
	assert_int_equal(psk[15], 0x0f);
	assert_int_equal(otad_db_psk_get(db, "8984010000000000021", psk, sizeof(psk), NULL, NULL), -ENOENT);
	assert_int_equal(otad_db_psk_get(db, "8984019000000000014", psk, 8, NULL, NULL), -E2BIG);
	/* a PSK on two records of one card: the file is refused, nothing of it stored */
	assert_int_equal(otad_db_import(db, ctx, twice, strlen(twice), "twice.csv", &rep), 0);
	assert_int_equal(rep.rejected, 1);
	assert_int_equal(otad_db_psk_get(db, "8984019000000000022", psk, sizeof(psk), NULL, NULL), -ENOENT);
	/* re-sealed with the key sets */
	snprintf(path, sizeof(path), "%s/psk.key", dir);
	assert_int_equal(keystore_load(path, true, new_mk, err, sizeof(err)), 0);
	assert_true(otad_db_rekey(db, new_mk) > 0);
	assert_int_equal(otad_db_psk_get(db, "8984019000000000014", psk, sizeof(psk), NULL, NULL), 16);
	assert_int_equal(psk[0], 0x00);
	assert_int_equal(psk[15], 0x0f);
	otad_db_close(db);
	talloc_free(ctx);
	memcpy(mk, new_mk, sizeof(mk));
}

static void one_counter(const struct otad_keyset_info *ks, void *priv)
{
	uint64_t *c = priv;

	if (ks->kvn == (uint8_t)c[0])
		c[1] = ks->counter;
}

static uint64_t counter_of(struct otad_db *db, const char *iccid, uint8_t kvn)
{
	uint64_t c[2] = { kvn, UINT64_MAX };

	assert_true(otad_db_keysets_info(db, iccid, one_counter, c) >= 0);
	return c[1];
}

/* A backup while the database is open: a consistent copy, one file, mode 0600, marked as a copy; an existing file
 * is not overwritten unless asked. */
static void test_backup(void **state)
{
	struct otad_db *db = open_db(mk), *copy;
	char err[256], path[128], v[256];
	uint64_t c;
	struct stat st;
	sqlite3 *s;
	sqlite3_stmt *q;

	(void)state;
	assert_int_equal(otad_db_counter_next(db, "8984010000000000013", 1, &c), 0);
	snprintf(path, sizeof(path), "%s/backup.db", dir);
	assert_int_equal(otad_db_backup(db, path, false, err, sizeof(err)), 0);
	assert_int_equal(otad_db_backup(db, path, false, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "overwrite"));
	assert_int_equal(otad_db_counter_next(db, "8984010000000000013", 1, &c), 0); /* after the copy */
	assert_int_equal(otad_db_backup(db, path, true, err, sizeof(err)), 0);
	assert_int_equal(otad_db_counter_next(db, "8984010000000000013", 1, &c), 0); /* not in the copy */
	assert_int_equal(otad_db_meta_get(db, "last_backup", v, sizeof(v)), 0);
	assert_non_null(strstr(v, path));
	assert_int_equal(otad_db_needs_floor(db), 0);
	otad_db_close(db);

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(v, sizeof(v), "%s.tmp", path);
	assert_int_equal(access(v, F_OK), -1);
	snprintf(v, sizeof(v), "%s-wal", path);
	assert_int_equal(access(v, F_OK), -1); /* one file */
	assert_int_equal(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	sqlite3_close(s);

	assert_int_equal(otad_db_open(NULL, path, mk, &copy, err, sizeof(err)), 0);
	assert_int_equal(otad_db_version(copy), OTAD_DB_VERSION);
	assert_int_equal(otad_db_card_count(copy), 3);
	assert_int_equal(counter_of(copy, "8984010000000000013", 1), c - 1); /* as it was when copied */
	assert_int_equal(otad_db_needs_floor(copy), 1);
	assert_int_equal(otad_db_meta_get(copy, "backup_of", v, sizeof(v)), 0);
	assert_non_null(strstr(v, dbfile));
	assert_int_equal(otad_db_counter_next(copy, "8984010000000000013", 1, &c), -ESTALE);
	assert_int_equal(otad_db_counter_next(copy, "8984010000000000013", 9, &c), -ENOENT);
	otad_db_close(copy);
}

/* A restored copy hands out no counter until its counters are raised (only raised) and confirmed. */
static void test_counter_floor(void **state)
{
	struct otad_db *db;
	char err[256], path[128];
	uint64_t c, c5;

	(void)state;
	snprintf(path, sizeof(path), "%s/backup.db", dir);
	assert_int_equal(otad_db_open(NULL, path, mk, &db, err, sizeof(err)), 0);
	assert_int_equal(otad_db_needs_floor(db), 1);
	c = counter_of(db, "8984010000000000013", 1);
	c5 = counter_of(db, "8984010000000000005", 1);
	assert_int_equal(otad_db_counter_floor(db, "8984010000000000013", 1, c), -ERANGE); /* only raising */
	assert_int_equal(otad_db_counter_floor(db, "8984010000000000013", 1, c - 1), -ERANGE);
	assert_int_equal(otad_db_counter_floor(db, "8984010000000000013", 1, c + 100), 0);
	assert_int_equal(counter_of(db, "8984010000000000013", 1), c + 100);
	assert_int_equal(otad_db_counter_floor(db, "8984010000000000013", 1, c + 50), -ERANGE);
	assert_int_equal(otad_db_counter_floor(db, "8984010000000000013", 9, c + 500), -ENOENT);
	assert_int_equal(otad_db_counter_floor(db, "8984010000000000013", 1, OTAD_COUNTER_MAX + 1), -ERANGE);
	assert_int_equal(otad_db_counter_floor_raise_all(db, 0), -ERANGE);
	assert_int_equal(otad_db_counter_floor_raise_all(db, OTAD_COUNTER_MAX), -ERANGE); /* all or nothing */
	assert_int_equal(counter_of(db, "8984010000000000013", 1), c + 100);
	assert_int_equal(otad_db_counter_floor_raise_all(db, 1000), 4);
	assert_int_equal(counter_of(db, "8984010000000000013", 1), c + 1100);
	assert_int_equal(counter_of(db, "8984010000000000005", 1), c5 + 1000);
	assert_int_equal(otad_db_counter_next(db, "8984010000000000013", 1, &c), -ESTALE); /* still not confirmed */
	otad_db_close(db);
	assert_int_equal(otad_db_open(NULL, path, mk, &db, err, sizeof(err)), 0);
	assert_int_equal(otad_db_needs_floor(db), 1); /* the mark survives a restart */
	assert_int_equal(otad_db_counter_floor_confirm(db), 0);
	assert_int_equal(otad_db_counter_floor_confirm(db), -EALREADY);
	assert_int_equal(otad_db_needs_floor(db), 0);
	assert_int_equal(otad_db_counter_next(db, "8984010000000000013", 1, &c), 0);
	assert_int_equal(c, counter_of(db, "8984010000000000013", 1));
	otad_db_close(db);
	assert_int_equal(otad_db_open(NULL, path, mk, &db, err, sizeof(err)), 0);
	assert_int_equal(otad_db_needs_floor(db), 0);
	otad_db_close(db);
	/* the original was never marked */
	db = open_db(mk);
	assert_int_equal(otad_db_needs_floor(db), 0);
	assert_int_equal(otad_db_counter_floor_confirm(db), -EALREADY);
	otad_db_close(db);
}

/* Feed \a csv in pieces of \a piece bytes (0: whole), end, run the select loop until the import is over. */
static void stream(struct otad_db *db, const char *csv, size_t piece, struct otad_import_status *st)
{
	struct otad_import *im;
	size_t len = strlen(csv), off = 0;
	int64_t id;

	assert_int_equal(otad_import_begin(db, "streamed", "vty", &im, &id), 0);
	while (off < len) {
		size_t n = piece && piece < len - off ? piece : len - off;

		assert_int_equal(otad_import_feed(im, csv + off, n), 0);
		off += n;
	}
	assert_int_equal(otad_import_end(im), 0);
	for (int i = 0; i < 1000 && !otad_db_import_get(db, id, st) && st->state < OTAD_IMPORT_DONE; i++)
		osmo_select_main(1);
	assert_int_equal(otad_db_import_get(db, id, st), 0);
}

static int64_t count_sql(const char *sql)
{
	sqlite3 *s;
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_open(dbfile, &s), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(s);
	return n;
}

static void collect_reject(const struct otad_import_reject *r, void *priv)
{
	char *out = priv;
	size_t used = strlen(out);

	snprintf(out + used, 2048 - used, "%u %s %s|", r->line, otad_reject_kind_names[r->kind], r->reason);
}

/* The streaming engine: pieces of any size give the same result as one; a refused import leaves nothing staged;
 * the kinds of rejection; one import at a time; an importing batch is invisible; a crash's leftover is cleaned. */
static void test_stream(void **state)
{
	static const char csv[] = HEADER "8984010000000000088,001010000000010,3001,1,aes," KIC ",aes,\"" KID "\"\r\n"
					 "\"8984010000000000096\",001010000000011,\"3002\",1,aes," KIC ",aes," KID "\n";
	static const char bad[] =
		HEADER "8984010000000000104,001010000000012,3003,1,aes," KIC ",aes," KID "\n"
		       "8984010000000000112,001010000000012,3004,1,aes," KIC ",aes," KID "\n"	/* 3: IMSI of line 2 */
		       "8984010000000000120,001010000000013,3001,1,aes," KIC ",aes," KID "\n"	/* 4: MSISDN in DB */
		       "8984010000000000138,001010000000014,3005, 1,aes," KIC ",aes," KID "\n"; /* 5: space */
	static const size_t pieces[] = { 1, 2, 3, 7, 64, 0 };
	struct otad_db *db = open_db(mk);
	struct otad_import_status st;
	struct otad_import *im, *im2;
	struct otad_card c;
	char rejects[2048] = "";
	int64_t before = otad_db_card_count(db), id, id2;
	json_t *js;

	(void)state;
	stream(db, csv, 5, &st);
	assert_int_equal(st.state, OTAD_IMPORT_DONE);
	assert_int_equal(st.cards, 2);
	assert_true(st.batch > 0);
	before += 2;
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		char name[32];

		stream(db, bad, pieces[i], &st);
		assert_int_equal(st.state, OTAD_IMPORT_REFUSED);
		assert_int_equal(st.rejected, 3);
		assert_int_equal(st.lines, 5);
		assert_int_equal(otad_db_card_count(db), before);
		assert_int_equal(count_sql("SELECT count(*) FROM cards WHERE batch NOT IN (SELECT id FROM batches)"),
				 0);
		assert_int_equal(count_sql("SELECT count(*) FROM batches WHERE state <> 'ready'"), 0);
		rejects[0] = 0;
		assert_int_equal(otad_db_import_rejects(db, st.id, collect_reject, rejects), 0);
		snprintf(name, sizeof(name), "piece %zu", pieces[i]);
		if (strcmp(rejects,
			   "3 file IMSI 001010000000012 already belongs to ICCID 8984010000000000104 on line 2|"
			   "4 database MSISDN 3001 already belongs to ICCID 8984010000000000088 in the database|"
			   "5 format kvn: a space before the value (column 42)|"))
			fail_msg("%s: %s", name, rejects);
	}
	assert_int_equal(otad_db_card_by_msisdn(db, "3002", &c), 0);
	assert_string_equal(c.iccid, "8984010000000000096");
	assert_int_equal(otad_import_status_json(db, st.id, &js), 0);
	assert_string_equal(json_string_value(json_object_get(js, "state")), "refused");
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(js, "rejected"), 0), "kind")), "file");
	json_decref(js);

	/* one at a time; staged cards are invisible, also to key sets and counters */
	assert_int_equal(otad_import_begin(db, "one", "api", &im, &id), 0);
	assert_int_equal(otad_import_begin(db, "two", "api", &im2, &id2), -EBUSY);
	assert_int_equal(otad_import_feed(im, bad, strlen(HEADER) + 130), 0);
	assert_int_equal(count_sql("SELECT count(*) FROM cards WHERE iccid = '8984010000000000104'"), 1);
	assert_int_equal(otad_db_card_get(db, "8984010000000000104", &c), -ENOENT);
	assert_int_equal(otad_db_card_by_msisdn(db, "3003", &c), -ENOENT);
	assert_int_equal(otad_db_card_count(db), before);
	assert_int_equal(otad_db_import_get(db, id, &st), 0);
	assert_int_equal(st.state, OTAD_IMPORT_RECEIVING);
	assert_int_equal(st.cards, 1);
	/* the daemon stops mid-import: the next open deletes the staged batch and marks the import aborted */
	otad_db_close(db);
	db = open_db(mk);
	assert_int_equal(count_sql("SELECT count(*) FROM cards WHERE iccid = '8984010000000000104'"), 0);
	assert_int_equal(otad_db_import_get(db, id, &st), 0);
	assert_int_equal(st.state, OTAD_IMPORT_ABORTED);
	assert_non_null(strstr(st.error, "stopped"));
	/* an upload that breaks off */
	assert_int_equal(otad_import_begin(db, "three", "api", &im, &id), 0);
	assert_int_equal(otad_import_feed(im, bad, strlen(HEADER) + 130), 0);
	otad_import_abort(im, "the client went away");
	for (int i = 0; i < 100 && !otad_db_import_get(db, id, &st) && st.state < OTAD_IMPORT_DONE; i++)
		osmo_select_main(1);
	assert_int_equal(st.state, OTAD_IMPORT_ABORTED);
	assert_string_equal(st.error, "the client went away");
	assert_int_equal(count_sql("SELECT count(*) FROM batches WHERE state <> 'ready'"), 0);
	assert_int_equal(otad_db_card_count(db), before);
	otad_db_close(db);
}

static void write_file(const char *name, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

struct collect {
	unsigned n;
	char ids[8][OTAD_HOLDER_ID_MAX + 1];
	struct otad_cert last;
	uint8_t der[OTAD_CERT_DER_MAX];
};

static void collect_holder(const struct otad_holder *h, void *priv)
{
	struct collect *c = priv;

	if (c->n < 8)
		snprintf(c->ids[c->n], sizeof(c->ids[0]), "%s", h->id);
	c->n++;
}

static void collect_cert(const struct otad_cert *ct, void *priv)
{
	struct collect *c = priv;

	c->last = *ct;
	memcpy(c->der, ct->der, ct->der_len);
	c->last.der = c->der;
	c->n++;
}

/* A self-signed certificate's DER, made with the openssl command, serial 0x1234abcd. */
static size_t make_cert(uint8_t *der, size_t max)
{
	char cmd[512], path[128];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/c.der", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s/c.key -subj /CN=x "
		 "-days 2 -set_serial 0x1234abcd -outform DER -out %s 2> /dev/null",
		 dir, path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(der, 1, max, f);
	fclose(f);
	return n;
}

static void test_holders_certs(void **state)
{
	struct otad_db *db = open_db(mk);
	struct otad_holder h = {
		.id = "H-1", .name = "Nguyễn Thị Minh Khai", .id_number = "079123456789", .unit = "10101003"
	};
	struct otad_holder_filter f = { .limit = 10 };
	struct otad_cert ct = {
		.iccid = "8984010000000000005", .key_id = "2", .profile = "sim-signing", .status = OTAD_CERT_ISSUED
	};
	static uint8_t der[OTAD_CERT_DER_MAX];
	struct collect col = { 0 };
	struct otad_unit u;
	struct otad_card c;
	char err[256];

	(void)state;
	/* units from JSON: loaded, not again while unchanged, again when changed; a ward of no province refused */
	write_file("provinces.json",
		   "[{\"code\": \"01\", \"name\": \"Hà Nội\"}, {\"code\": \"79\", \"name\": \"Hồ Chí Minh\"}]");
	write_file("wards.json", "[{\"code\": \"10101003\", \"name\": \"Phường Ba Đình\", \"province_code\": \"01\"},"
				 " {\"code\": \"26734\", \"name\": \"Phường Sài Gòn\", \"province_code\": \"79\"}]");
	assert_int_equal(otad_units_load(db, dir, err, sizeof(err)), 4);
	assert_int_equal(otad_units_load(db, dir, err, sizeof(err)), 0);
	assert_int_equal(otad_db_units_count(db, OTAD_UNIT_PROVINCE), 2);
	assert_int_equal(otad_db_units_count(db, OTAD_UNIT_WARD), 2);
	assert_int_equal(otad_db_unit_get(db, "10101003", &u), 0);
	assert_string_equal(u.name, "Phường Ba Đình");
	assert_string_equal(u.parent, "01");
	assert_int_equal(u.kind, OTAD_UNIT_WARD);
	write_file("wards.json", "[{\"code\": \"10101003\", \"name\": \"Phường Ba Đình\", \"province_code\": \"02\"}]");
	assert_int_equal(otad_units_load(db, dir, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "province_code"));
	write_file("wards.json", "[{\"code\": \"10101003\", \"name\": \"Phường Ba Đình\"}]");
	assert_int_equal(otad_units_load(db, dir, err, sizeof(err)), -EBADMSG);
	write_file("wards.json", "[{\"code\": \"10101003\", \"name\": \"Phường Ba Đình\", \"province_code\": \"01\"},"
				 " {\"code\": \"26734\", \"name\": \"Phường Sài Gòn\", \"province_code\": \"79\"}]");
	assert_int_equal(otad_units_load(db, dir, err, sizeof(err)), 0); /* the same files as loaded */

	/* holders */
	assert_int_equal(otad_db_holder_add(db, &h), 0);
	assert_int_equal(otad_db_holder_add(db, &h), -EEXIST);
	snprintf(h.id, sizeof(h.id), "H-2");
	snprintf(h.unit, sizeof(h.unit), "99");
	assert_int_equal(otad_db_holder_add(db, &h), -ENXIO);
	snprintf(h.unit, sizeof(h.unit), "26734");
	snprintf(h.email, sizeof(h.email), "b@example.vn");
	assert_int_equal(otad_db_holder_add(db, &h), 0);
	memset(&h, 0, sizeof(h));
	assert_int_equal(otad_db_holder_get(db, "H-1", &h), 0);
	assert_string_equal(h.name, "Nguyễn Thị Minh Khai");
	assert_string_equal(h.email, "");
	assert_true(h.created_ms > 0);
	assert_int_equal(otad_db_holder_get(db, "H-3", &h), -ENOENT);
	f.unit = "01"; /* a province: its wards' holders too */
	assert_int_equal(otad_db_holders_list(db, &f, collect_holder, &col), 1);
	assert_string_equal(col.ids[0], "H-1");
	col.n = 0;
	f.unit = NULL;
	f.after_id = "H-1";
	assert_int_equal(otad_db_holders_list(db, &f, collect_holder, &col), 1);
	assert_string_equal(col.ids[0], "H-2");

	/* a card's holder */
	assert_int_equal(otad_db_card_set_holder(db, "8984010000000000005", "H-1"), 0);
	assert_int_equal(otad_db_card_get(db, "8984010000000000005", &c), 0);
	assert_string_equal(c.holder, "H-1");
	assert_int_equal(otad_db_card_set_holder(db, "8984010000000000005", "H-9"), -ENXIO);
	assert_int_equal(otad_db_card_set_holder(db, "8984010000000000039", "H-1"), -ENOENT);
	assert_int_equal(otad_db_card_set_holder(db, "8984010000000000013", NULL), 0);
	assert_int_equal(otad_db_card_get(db, "8984010000000000013", &c), 0);
	assert_string_equal(c.holder, "");

	/* certificates */
	ct.der = der;
	ct.der_len = make_cert(der, sizeof(der));
	assert_int_equal(cert_info(der, ct.der_len, ct.serial, &ct.not_after), 0);
	assert_string_equal(ct.serial, "1234abcd");
	assert_true(ct.not_after > otad_now_ms() / 1000 + 86400);
	assert_int_equal(cert_info(der, ct.der_len - 1, ct.serial, &ct.not_after), -EINVAL);
	assert_int_equal(cert_info(der, ct.der_len, ct.serial, &ct.not_after), 0);
	assert_int_equal(otad_db_cert_insert(db, &ct), 0);
	assert_true(ct.id > 0);
	snprintf(ct.iccid, sizeof(ct.iccid), "8984010000000000039");
	assert_int_equal(otad_db_cert_insert(db, &ct), -ENOENT);
	col.n = 0;
	assert_int_equal(otad_db_certs_list(db, "8984010000000000005", collect_cert, &col), 1);
	assert_string_equal(col.last.serial, "1234abcd");
	assert_string_equal(col.last.key_id, "2");
	assert_int_equal(col.last.status, OTAD_CERT_ISSUED);
	assert_int_equal(col.last.der_len, ct.der_len);
	assert_memory_equal(col.last.der, der, ct.der_len);
	assert_int_equal(col.last.reason, -1);
	assert_int_equal(otad_db_cert_set_status(db, ct.id, OTAD_CERT_LOADED, 0), 0);
	assert_int_equal(otad_db_cert_set_status(db, ct.id, OTAD_CERT_REVOKED, 1), 0);
	assert_int_equal(otad_db_cert_set_status(db, ct.id, OTAD_CERT_LOADED, 0), -EPERM);
	assert_int_equal(otad_db_cert_set_status(db, ct.id + 100, OTAD_CERT_LOADED, 0), -ENOENT);
	assert_int_equal(otad_db_cert_set_status(db, ct.id, OTAD_CERT_ISSUED, 0), -EINVAL);
	col.n = 0;
	assert_int_equal(otad_db_certs_list(db, "8984010000000000005", collect_cert, &col), 1);
	assert_int_equal(col.last.status, OTAD_CERT_REVOKED);
	assert_int_equal(col.last.reason, 1);
	assert_true(col.last.revoked_ms > 0);
	assert_int_equal(otad_db_certs_list(db, "8984010000000000013", collect_cert, &col), 0);

	/* a batch: many writes, one transaction, kept after the commit */
	assert_int_equal(otad_db_batch_commit(db), -EIO); /* none open */
	assert_int_equal(otad_db_batch_begin(db), 0);
	assert_int_equal(otad_db_batch_begin(db), -EIO); /* one at a time */
	assert_int_equal(otad_db_card_set_holder(db, "8984010000000000013", "H-2"), 0);
	snprintf(ct.iccid, sizeof(ct.iccid), "8984010000000000013");
	ct.status = OTAD_CERT_LOADED;
	assert_int_equal(otad_db_cert_insert(db, &ct), 0);
	assert_int_equal(otad_db_cert_insert(db, &(struct otad_cert){ .iccid = "8984010000000000039" }), -EINVAL);
	assert_int_equal(otad_db_batch_commit(db), 0);
	otad_db_close(db);
	db = open_db(mk);
	assert_int_equal(otad_db_card_get(db, "8984010000000000013", &c), 0);
	assert_string_equal(c.holder, "H-2");
	col.n = 0;
	assert_int_equal(otad_db_certs_list(db, "8984010000000000013", collect_cert, &col), 1);
	assert_int_equal(col.last.status, OTAD_CERT_LOADED);
	otad_db_close(db);
}

/* A holder CSV fed one byte at a time: the same report as fed whole. */
static void test_holder_import(void **state)
{
	static const char csv[] = "\xef\xbb\xbfid,name,id_number,unit,email\r\n"
				  "H-10,\"Lê Thị Hồng Gấm\",0791,10101003,gam@example.vn\r\n"
				  "H-11,\"Phạm \"\"Văn\"\" Đồng\",0792,01,\n"
				  "\n"
				  "H-12,Trần,0793,77,\n"
				  "H-10,Lê,0794,01,\n"
				  "H-1,Khai,0795,01,\n"
				  "H-13, Space,0796,01,\n"
				  "H-14,Võ,0797,01,not-an-address";
	struct otad_db *db = open_db(mk);
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct holder_import *hi = holder_import_begin(ctx, db);
	struct otad_holder h;
	json_t *rep, *rej;
	char *s;

	(void)state;
	assert_non_null(hi);
	for (size_t i = 0; i < sizeof(csv) - 1; i++)
		assert_int_equal(holder_import_feed(hi, csv + i, 1), 0);
	assert_int_equal(holder_import_end(hi, &rep), 0);
	s = json_dumps(rep, JSON_COMPACT);
	rej = json_object_get(rep, "rejected");
	assert_int_equal(json_integer_value(json_object_get(rep, "lines")), 9);
	assert_int_equal(json_integer_value(json_object_get(rep, "holders")), 2);
	assert_int_equal(json_integer_value(json_object_get(rep, "rejected_lines")), 5);
	assert_non_null(strstr(s, "{\"line\":5,\"kind\":\"database\",\"reason\":\"unit 77: no such unit"));
	assert_non_null(strstr(s, "{\"line\":6,\"kind\":\"file\""));
	assert_non_null(strstr(s, "{\"line\":7,\"kind\":\"database\",\"reason\":\"id H-1: a holder has that id\"}"));
	assert_non_null(strstr(s, "{\"line\":8,\"kind\":\"format\",\"reason\":\"field 2 (column 6): begins or ends"));
	assert_non_null(strstr(s, "{\"line\":9,\"kind\":\"format\",\"reason\":\"email"));
	assert_int_equal(json_array_size(rej), 5);
	free(s);
	json_decref(rep);
	assert_int_equal(otad_db_holder_get(db, "H-11", &h), 0);
	assert_string_equal(h.name, "Phạm \"Văn\" Đồng");
	talloc_free(ctx);
	otad_db_close(db);
}

static void test_newer_schema(void **state)
{
	struct otad_db *db;
	sqlite3 *s;
	char err[256];

	(void)state;
	assert_int_equal(sqlite3_open(dbfile, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	assert_int_equal(otad_db_open(NULL, dbfile, mk, &db, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "schema version 99"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyfile),	      cmocka_unit_test(test_seal),
		cmocka_unit_test(test_import),	      cmocka_unit_test(test_import_bad),
		cmocka_unit_test(test_no_clear_keys), cmocka_unit_test(test_counters),
		cmocka_unit_test(test_jobs),	      cmocka_unit_test(test_rekey_atomic),
		cmocka_unit_test(test_rekey),	      cmocka_unit_test(test_backup),
		cmocka_unit_test(test_counter_floor), cmocka_unit_test(test_stream),
		cmocka_unit_test(test_holders_certs), cmocka_unit_test(test_holder_import),
		cmocka_unit_test(test_psk),	      cmocka_unit_test(test_newer_schema),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
