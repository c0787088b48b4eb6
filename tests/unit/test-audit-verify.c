/* Unit tests of the audit trail's verifier and export lines (ota-server/audit/audit_verify.c, audit_export.c,
 * audit_record.c, audit_key.c), in memory: a good chain of 25 records with checkpoints at 10 and 20; a deleted
 * record (gap); an inserted record (a forged one with its own hash right but not following, and a seq twice); a
 * changed record; a checkpoint whose signature is broken, or made by another key; a truncated end; a tail cut and
 * written again with its chain recomputed; the first of two problems reported; the record hash pinned to a vector;
 * text cleaned to UTF-8 within bounds; an export written and read back verifies the same; every bad line of an
 * export refused with its reason. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "audit_export.h"
#include "audit_key.h"
#include "audit_verify.h"

#include "unit.h"

#define N 25

static EVP_PKEY *key, *other;
static struct audit_record recs[N + 2];
static struct audit_checkpoint cps[4];

/* A chain of n records, as otad_audit() makes them. */
static void chain(struct audit_record *r, size_t n)
{
	uint8_t prev[AUDIT_HASH_LEN] = { 0 };

	for (size_t i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].seq = (int64_t)i + 1;
		r[i].at = 1765000000000LL + (int64_t)i;
		snprintf(r[i].actor, sizeof(r[i].actor), "api/ra-%zu", i % 3);
		snprintf(r[i].role, sizeof(r[i].role), "unit-ra");
		snprintf(r[i].scope, sizeof(r[i].scope), "01");
		snprintf(r[i].action, sizeof(r[i].action), "cert.renew");
		snprintf(r[i].object, sizeof(r[i].object), "holder H-%04zu", i);
		snprintf(r[i].result, sizeof(r[i].result), "done");
		snprintf(r[i].detail, sizeof(r[i].detail), "Nguyễn Văn %zu", i);
		memcpy(r[i].prev, prev, AUDIT_HASH_LEN);
		assert_int_equal(audit_record_hash(&r[i], r[i].hash), 0);
		memcpy(prev, r[i].hash, AUDIT_HASH_LEN);
	}
}

static void checkpoint(struct audit_checkpoint *cp, const struct audit_record *r, EVP_PKEY *k)
{
	memset(cp, 0, sizeof(*cp));
	cp->id = r->seq / 10;
	cp->seq = r->seq;
	cp->at = r->at + 5;
	memcpy(cp->hash, r->hash, AUDIT_HASH_LEN);
	assert_int_equal(audit_key_sign(k, cp), 0);
}

static int setup(void **state)
{
	(void)state;
	chain(recs, N);
	checkpoint(&cps[0], &recs[9], key);
	checkpoint(&cps[1], &recs[19], key);
	return 0;
}

static void verify(size_t n, size_t n_cps, struct audit_verify_result *res)
{
	assert_int_equal(audit_verify_all(recs, n, cps, n_cps, key, res), 0);
}

static void expect(const struct audit_verify_result *res, enum audit_problem_kind kind, int64_t seq)
{
	if (res->problem != kind || res->problem_seq != seq)
		fail_msg("expected %s at %lld, got %s at %lld: %s", audit_problem_names[kind], (long long)seq,
			 audit_problem_names[res->problem], (long long)res->problem_seq, res->detail);
	assert_false(res->ok);
	assert_non_null(strstr(res->detail, "record") ? res->detail : strstr(res->detail, "checkpoint"));
}

static void test_good(void **state)
{
	struct audit_verify_result res;

	(void)state;
	verify(N, 2, &res);
	assert_true(res.ok);
	assert_int_equal(res.problem, AUDIT_OK);
	assert_int_equal(res.records, N);
	assert_int_equal(res.last_seq, N);
	assert_int_equal(res.checkpoints, 2);
	assert_int_equal(res.last_checkpoint_seq, 20);
	assert_int_equal(res.records_unsigned, 5);
	/* an empty trail is good */
	verify(0, 0, &res);
	assert_true(res.ok);
	assert_int_equal(res.records, 0);
}

static void test_deleted(void **state)
{
	struct audit_verify_result res;

	(void)state;
	memmove(&recs[4], &recs[5], (N - 5) * sizeof(recs[0])); /* record 5 deleted */
	verify(N - 1, 2, &res);
	expect(&res, AUDIT_GAP, 5);
	assert_int_equal(res.records, N - 1);
	/* the first record deleted */
	setup(NULL);
	memmove(&recs[0], &recs[1], (N - 1) * sizeof(recs[0]));
	verify(N - 1, 2, &res);
	expect(&res, AUDIT_GAP, 1);
}

static void test_inserted(void **state)
{
	struct audit_verify_result res;
	struct audit_record forged = recs[4];

	(void)state;
	/* a forged record 5 with its own hash right, the ones after renumbered (as an UPDATE ... seq + 1 does) */
	snprintf(forged.object, sizeof(forged.object), "holder H-9999");
	memset(forged.prev, 0xab, AUDIT_HASH_LEN);
	assert_int_equal(audit_record_hash(&forged, forged.hash), 0);
	memmove(&recs[5], &recs[4], (N - 4) * sizeof(recs[0]));
	recs[4] = forged;
	for (size_t i = 5; i <= N; i++)
		recs[i].seq++;
	verify(N + 1, 2, &res);
	expect(&res, AUDIT_INSERTED, 5);
	/* the same record twice */
	setup(NULL);
	memmove(&recs[4], &recs[3], (N - 3) * sizeof(recs[0]));
	verify(N + 1, 2, &res);
	expect(&res, AUDIT_INSERTED, 4);
}

static void test_changed(void **state)
{
	struct audit_verify_result res;

	(void)state;
	snprintf(recs[6].result, sizeof(recs[6].result), "refused");
	verify(N, 2, &res);
	expect(&res, AUDIT_CHANGED, 7);
	/* its time only */
	setup(NULL);
	recs[11].at++;
	verify(N, 2, &res);
	expect(&res, AUDIT_CHANGED, 12);
	/* changed with its hash recomputed: the next one does not follow it */
	setup(NULL);
	snprintf(recs[6].actor, sizeof(recs[6].actor), "api/mallory");
	assert_int_equal(audit_record_hash(&recs[6], recs[6].hash), 0);
	verify(N, 2, &res);
	expect(&res, AUDIT_INSERTED, 8);
}

static void test_signature(void **state)
{
	struct audit_verify_result res;

	(void)state;
	cps[1].sig[10] ^= 0x01;
	verify(N, 2, &res);
	expect(&res, AUDIT_SIGNATURE, 20);
	assert_int_equal(res.last_checkpoint_seq, 10);
	/* made by another key */
	setup(NULL);
	checkpoint(&cps[0], &recs[9], other);
	verify(N, 2, &res);
	expect(&res, AUDIT_SIGNATURE, 10);
	assert_non_null(strstr(res.detail, "not the audit key"));
	/* another key's id written over a good signature */
	setup(NULL);
	memset(cps[0].key_id, '0', AUDIT_KEY_ID_LEN);
	verify(N, 2, &res);
	expect(&res, AUDIT_SIGNATURE, 10);
}

static void test_truncated(void **state)
{
	struct audit_verify_result res;

	(void)state;
	verify(18, 2, &res); /* records 19 to 25 cut, checkpoint 20 names record 20 */
	expect(&res, AUDIT_TRUNCATED, 20);
	assert_int_equal(res.last_seq, 18);
	/* cut after 20 and written again with a recomputed chain: nothing signs 21.. yet, and nothing is wrong */
	setup(NULL);
	verify(20, 2, &res);
	assert_true(res.ok);
	assert_int_equal(res.records_unsigned, 0);
	/* cut after 15 and written again (records 16 to 25 new, chained well): checkpoint 20 signed another hash */
	setup(NULL);
	for (size_t i = 15; i < N; i++)
		snprintf(recs[i].result, sizeof(recs[i].result), "failed");
	for (size_t i = 15; i < N; i++) {
		memcpy(recs[i].prev, recs[i - 1].hash, AUDIT_HASH_LEN);
		assert_int_equal(audit_record_hash(&recs[i], recs[i].hash), 0);
	}
	verify(N, 2, &res);
	expect(&res, AUDIT_TRUNCATED, 20);
	assert_int_equal(res.last_checkpoint_seq, 10);
}

static void test_first(void **state)
{
	struct audit_verify_result res;

	(void)state;
	cps[1].sig[5] ^= 0x80;				       /* at 20 */
	snprintf(recs[2].detail, sizeof(recs[2].detail), "x"); /* at 3 */
	verify(N, 2, &res);
	expect(&res, AUDIT_CHANGED, 3);
	assert_int_equal(res.records, N);	      /* counted to the end */
	assert_int_equal(res.last_checkpoint_seq, 0); /* proven up to nothing */
	/* a gap at 5, a truncated end after it: the gap */
	setup(NULL);
	memmove(&recs[4], &recs[5], (N - 5) * sizeof(recs[0]));
	verify(15, 2, &res);
	expect(&res, AUDIT_GAP, 5);
}

/* The record hash, pinned: a change of the format shows here. */
static void test_vector(void **state)
{
	struct audit_record r = { .seq = 1,
				  .at = 1000,
				  .actor = "vty",
				  .role = "admin",
				  .action = "token.create",
				  .object = "token t1",
				  .result = "accepted",
				  .detail = "role auditor" };
	uint8_t h[AUDIT_HASH_LEN], tbs[AUDIT_TBS_LEN];
	char hex[2 * AUDIT_HASH_LEN + 1];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	static const char *const f[] = { "simpki-audit-v1", "1",	"1000",	    "vty",	   "admin", "",
					 "token.create",    "token t1", "accepted", "role auditor" };
	uint8_t zero[AUDIT_HASH_LEN] = { 0 }, want[AUDIT_HASH_LEN];

	(void)state;
	assert_int_equal(audit_record_hash(&r, h), 0);
	/* computed apart, field by field */
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint8_t len[4] = { 0, 0, 0, (uint8_t)strlen(f[i]) };

		EVP_DigestUpdate(c, len, 4);
		EVP_DigestUpdate(c, f[i], strlen(f[i]));
	}
	EVP_DigestUpdate(c, (uint8_t[]){ 0, 0, 0, 32 }, 4);
	EVP_DigestUpdate(c, zero, 32);
	EVP_DigestFinal_ex(c, want, NULL);
	EVP_MD_CTX_free(c);
	assert_memory_equal(h, want, AUDIT_HASH_LEN);
	audit_hex(h, AUDIT_HASH_LEN, hex);
	assert_int_equal(strlen(hex), 64);
	audit_checkpoint_tbs(0x0102, 0x0a0b, h, tbs);
	assert_memory_equal(tbs, "simpki-audit-checkpoint-v1", 26);
	assert_memory_equal(tbs + 26, ((uint8_t[]){ 0, 0, 0, 0, 0, 0, 1, 2 }), 8);
	assert_memory_equal(tbs + 34, h, 32);
	assert_memory_equal(tbs + 66, ((uint8_t[]){ 0, 0, 0, 0, 0, 0, 0x0a, 0x0b }), 8);
}

static void test_clean(void **state)
{
	char out[8];

	(void)state;
	audit_text_clean(out, sizeof(out), "ab\ncd");
	assert_string_equal(out, "ab?cd");
	audit_text_clean(out, sizeof(out), "\xff\xc3(x");
	assert_string_equal(out, "?"
				 "?(x");
	audit_text_clean(out, sizeof(out), "abcdeễ"); /* 5 + 3 bytes do not fit in 7: cut before it */
	assert_string_equal(out, "abcde");
	audit_text_clean(out, sizeof(out), "ễễ");
	assert_string_equal(out, "ễễ");
	audit_text_clean(out, sizeof(out), "\xed\xa0\x80"); /* a surrogate */
	assert_string_equal(out, "???");
	audit_text_clean(out, sizeof(out), NULL);
	assert_string_equal(out, "");
}

/* An export written line by line and read back verifies as the trail did; the key line gives the key. */
static void test_export(void **state)
{
	static struct audit_record back[N];
	struct audit_checkpoint cpb[2];
	struct audit_verify_result res;
	struct audit_line *l = malloc(sizeof(*l));
	char pem[AUDIT_PEM_MAX], id[AUDIT_KEY_ID_LEN + 1], err[128], *s;
	EVP_PKEY *pub;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		s = audit_export_record(&recs[i]);
		assert_non_null(s);
		assert_int_equal(s[strlen(s) - 1], '\n');
		assert_int_equal(audit_export_parse(s, strlen(s) - 1, l, err, sizeof(err)), 0);
		assert_int_equal(l->type, AUDIT_LINE_RECORD);
		back[i] = l->rec;
		free(s);
	}
	for (size_t i = 0; i < 2; i++) {
		s = audit_export_checkpoint(&cps[i]);
		assert_int_equal(audit_export_parse(s, strlen(s) - 1, l, err, sizeof(err)), 0);
		assert_int_equal(l->type, AUDIT_LINE_CHECKPOINT);
		cpb[i] = l->cp;
		free(s);
	}
	assert_true(audit_key_public_pem(key, pem, sizeof(pem)) > 0);
	assert_int_equal(audit_key_id(key, id), 0);
	s = audit_export_key(id, pem);
	assert_int_equal(audit_export_parse(s, strlen(s) - 1, l, err, sizeof(err)), 0);
	free(s);
	assert_int_equal(l->type, AUDIT_LINE_KEY);
	assert_string_equal(l->key_id, id);
	pub = audit_key_public_from_pem(l->pem, strlen(l->pem));
	assert_non_null(pub);
	assert_int_equal(audit_verify_all(back, N, cpb, 2, pub, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.last_checkpoint_seq, 20);
	assert_memory_equal(back[3].detail, recs[3].detail, strlen(recs[3].detail) + 1);
	EVP_PKEY_free(pub);
	free(l);
}

/* Every bad line refused with a reason. */
static const struct {
	const char *line, *reason;
} bad[] = {
	{ "", "not a JSON object" },
	{ "[1]", "not a JSON object" },
	{ "{\"type\":\"record\",", "not a JSON object" },
	{ "{\"seq\":1}", "no \"type\"" },
	{ "{\"type\":\"other\"}", "type:" },
	{ "{\"type\":\"record\",\"type\":\"record\"}", "not a JSON object" }, /* a member twice */
	{ "{\"type\":\"key\",\"key_id\":\"a\",\"pem\":\"b\",\"x\":1}", "unknown member" },
	{ "{\"type\":\"record\",\"seq\":-1,\"at\":1}", "seq:" },
	{ "{\"type\":\"record\",\"seq\":\"1\",\"at\":1}", "seq:" },
	{ "{\"type\":\"record\",\"seq\":1,\"at\":1,\"actor\":5}", "actor:" },
	{ "{\"type\":\"record\",\"seq\":1,\"at\":1,\"actor\":\"a\",\"role\":\"r\",\"scope\":\"\",\"action\":\"x\","
	  "\"object\":\"o\",\"result\":\"d\",\"detail\":\"\",\"prev\":\"00\",\"hash\":\"00\"}",
	  "prev:" },
	{ "{\"type\":\"record\",\"seq\":1,\"at\":1,\"actor\":\"a\",\"role\":\"r\",\"scope\":\"\",\"action\":\"x\","
	  "\"object\":\"o\",\"result\":\"d\",\"detail\":\"a\\u0000b\",\"prev\":\"\",\"hash\":\"\"}",
	  "not a JSON object" }, /* NUL inside */
	{ "{\"type\":\"checkpoint\",\"id\":1,\"seq\":1,\"at\":1,\"hash\":"
	  "\"0000000000000000000000000000000000000000000000000000000000000000\",\"key_id\":\"k\",\"signature\":\"0\"}",
	  "signature:" },
	{ "{\"type\":\"checkpoint\",\"id\":1,\"seq\":1,\"at\":1,\"hash\":"
	  "\"000000000000000000000000000000000000000000000000000000000000000g\",\"key_id\":\"k\",\"signature\":\"00\"}",
	  "hash:" },
};

static void test_bad_line(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	struct audit_line *l = malloc(sizeof(*l));
	char err[128] = "";

	assert_int_equal(audit_export_parse(bad[i].line, strlen(bad[i].line), l, err, sizeof(err)), -EINVAL);
	if (!strstr(err, bad[i].reason))
		fail_msg("line %zu: '%s', not '%s'", i, err, bad[i].reason);
	free(l);
}

static void test_long_lines(void **state)
{
	struct audit_line *l = malloc(sizeof(*l));
	char err[128], *s = malloc(AUDIT_LINE_MAX + 2), *p;
	struct audit_record r = recs[0];

	(void)state;
	memset(s, ' ', AUDIT_LINE_MAX + 1);
	s[AUDIT_LINE_MAX + 1] = 0;
	assert_int_equal(audit_export_parse(s, AUDIT_LINE_MAX + 1, l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer"));
	/* a field longer than a record holds: the line is written by hand */
	memset(r.object, 'o', sizeof(r.object) - 1);
	r.object[sizeof(r.object) - 1] = 0;
	p = audit_export_record(&r);
	assert_int_equal(audit_export_parse(p, strlen(p) - 1, l, err, sizeof(err)), 0);
	*strstr(p, "\"result\"") = 0;
	snprintf(s, AUDIT_LINE_MAX,
		 "%.*so\",\"result\":\"done\",\"detail\":\"\",\"prev\":\"%064d\",\"hash\":\"%064d\"}",
		 (int)(strlen(p) - 2), p, 0, 0);
	assert_int_equal(audit_export_parse(s, strlen(s), l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "object:"));
	free(p);
	free(s);
	free(l);
}

int main(void)
{
	static struct unit_list l;
	int rc;

	key = EVP_EC_gen("P-256");
	other = EVP_EC_gen("P-256");
	unit_add(&l, "good chain", test_good, NULL);
	unit_add(&l, "deleted record: gap", test_deleted, NULL);
	unit_add(&l, "inserted record", test_inserted, NULL);
	unit_add(&l, "changed record", test_changed, NULL);
	unit_add(&l, "broken checkpoint signature", test_signature, NULL);
	unit_add(&l, "truncated end", test_truncated, NULL);
	unit_add(&l, "the first problem", test_first, NULL);
	unit_add(&l, "record hash vector", test_vector, NULL);
	unit_add(&l, "text cleaned", test_clean, NULL);
	unit_add(&l, "export round trip", test_export, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		unit_addf(&l, test_bad_line, (void *)(uintptr_t)i, "bad export line %zu", i);
	unit_add(&l, "long lines and fields", test_long_lines, NULL);
	for (size_t i = 0; i < l.n; i++)
		l.t[i].setup_func = setup;
	rc = _cmocka_run_group_tests("audit-verify", l.t, l.n, NULL, NULL);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	return rc;
}
