/* Unit tests of the organisation tree (ota-server/unit_change.c, otad_units.c, otad_db_units.c): change bodies
 * refused for every bad case and read back canonically; then, on a temporary database with the repository's real
 * data files (data/: 34 provinces, 3,321 wards, 47 central units): the tree loaded (each ward under its province,
 * the central units' kinds), otad_db_unit_within() true and false, a rename, a merge of two provinces into a new
 * unit (every child moves, the holders of both move, history rows, both ended with successor, the affected units =
 * both provinces' children + the new one), a split, a move (a loop refused, under a ward refused), a future change
 * pending then applied, a change that no longer fits when due marked failed, and a reload of changed files that does
 * not undo any change. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_parse.h"
#include "otad_perm.h"
#include "holder.h"
#include "otad_db.h"
#include "otad_db_units.h"
#include "otad_units.h"
#include "unit_change.h"

#include "unit.h"
#include "unit_tmpdir.h"

static struct unit_change ch;

/* ---- change bodies ------------------------------------------------------------------------------------------- */

static const char *const bad[] = {
	"",
	"[]",
	"{\"kind\": \"rename\"}",
	"{\"kind\": \"rename\", \"unit\": \"01\"}",
	"{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"\"}",
	"{\"kind\": \"rename\", \"unit\": \"0x1\", \"name\": \"A\"}",
	"{\"kind\": \"rename\", \"unit\": \"1234567890123456\", \"name\": \"A\"}",
	"{\"kind\": \"rename\", \"unit\": 1, \"name\": \"A\"}",
	"{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"A\\u0007\"}",
	"{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"A\\u0000B\"}",
	"{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"A\", \"extra\": 1}",
	"{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"A\", \"unit\": \"02\"}",
	"{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"A\", \"effective_at\": -1}",
	"{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"A\", \"effective_at\": \"2026-13-01T00:00:00Z\"}",
	"{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"A\", \"effective_at\": \"2026-01-01 00:00:00\"}",
	"{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"A\", \"effective_at\": 99999999999999}",
	"{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"A\", \"effective_at\": 1.5}",
	"{\"kind\": \"destroy\", \"unit\": \"01\"}",
	"{\"unit\": \"01\", \"name\": \"A\"}",
	"{\"kind\": \"merge\", \"units\": [\"01\"], \"into\": {\"code\": \"01\"}}",
	"{\"kind\": \"merge\", \"units\": [\"01\", \"01\"], \"into\": {\"code\": \"01\"}}",
	"{\"kind\": \"merge\", \"units\": [\"01\", \"02\"], \"into\": {\"code\": \"35\"}}",
	"{\"kind\": \"merge\", \"units\": [\"01\", \"02\"], \"into\": \"35\"}",
	"{\"kind\": \"merge\", \"units\": [\"01\", \"02\"], \"into\": {\"code\": \"35\", \"name\": \"X\", \"kind\": "
	"1}}",
	"{\"kind\": \"merge\", \"units\": \"01\", \"into\": {\"code\": \"01\"}}",
	"{\"kind\": \"merge\", \"units\": [\"01\", 2], \"into\": {\"code\": \"01\"}}",
	"{\"kind\": \"split\", \"unit\": \"01\", \"into\": []}",
	"{\"kind\": \"split\", \"unit\": \"01\", \"into\": [{\"code\": \"01\", \"name\": \"A\", \"children\": "
	"[\"1\"]}]}",
	"{\"kind\": \"split\", \"unit\": \"01\", \"into\": [{\"code\": \"40\", \"name\": \"A\", \"children\": []}]}",
	"{\"kind\": \"split\", \"unit\": \"01\", \"into\": [{\"code\": \"40\", \"name\": \"A\"}]}",
	"{\"kind\": \"split\", \"unit\": \"01\", \"into\": [{\"code\": \"40\", \"name\": \"A\", \"children\": [\"7\"]},"
	" {\"code\": \"41\", \"name\": \"B\", \"children\": [\"7\"]}]}",
	"{\"kind\": \"split\", \"unit\": \"01\", \"into\": [{\"code\": \"40\", \"name\": \"A\", \"children\": [\"7\"]},"
	" {\"code\": \"40\", \"name\": \"B\", \"children\": [\"8\"]}]}",
	"{\"kind\": \"split\", \"unit\": \"01\", \"into\": [{\"code\": \"40\", \"name\": \"A\", \"children\": "
	"[\"41\"]},"
	" {\"code\": \"41\", \"name\": \"B\", \"children\": [\"8\"]}]}",
	"{\"kind\": \"split\", \"unit\": \"01\", \"into\": [{\"code\": \"40\", \"name\": \"A\", \"children\": "
	"[\"01\"]}]}",
	"{\"kind\": \"move\", \"unit\": \"01\"}",
	"{\"kind\": \"move\", \"unit\": \"01\", \"parent\": \"01\"}",
	"{\"kind\": \"move\", \"unit\": \"01\", \"parent\": null}",
};

static void test_parse_bad(void **state)
{
	char err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (unit_change_parse(bad[i], strlen(bad[i]), &ch, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0]);
	}
	/* too large, before it is read */
	assert_int_equal(unit_change_parse("{}", UNIT_CHANGE_JSON_MAX + 1, &ch, err, sizeof(err)), -EINVAL);
}

static void test_parse_good(void **state)
{
	static const char *const good[][2] = {
		{ "{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"Thủ đô Hà Nội\"}",
		  "{\"kind\":\"rename\",\"name\":\"Thủ đô Hà Nội\",\"unit\":\"01\"}" },
		{ "{\"kind\": \"merge\", \"units\": [\"01\", \"02\"], \"into\": {\"code\": \"01\"}, \"effective_at\": "
		  "\"2026-07-01T00:00:00Z\"}",
		  "{\"effective_at\":1782864000,\"into\":{\"code\":\"01\"},\"kind\":\"merge\",\"units\":[\"01\",\"02\"]"
		  "}" },
		{ "{\"kind\": \"split\", \"unit\": \"01\", \"into\": [{\"code\": \"40\", \"name\": \"A\", "
		  "\"children\": "
		  "[\"7\", \"8\"]}, {\"code\": \"41\", \"name\": \"B\", \"children\": [\"9\"]}], \"effective_at\": 5}",
		  "{\"effective_at\":5,\"into\":[{\"children\":[\"7\",\"8\"],\"code\":\"40\",\"name\":\"A\"},{"
		  "\"children\":"
		  "[\"9\"],\"code\":\"41\",\"name\":\"B\"}],\"kind\":\"split\",\"unit\":\"01\"}" },
		{ "{\"kind\": \"move\", \"unit\": \"9301\", \"parent\": \"9109\"}",
		  "{\"kind\":\"move\",\"parent\":\"9109\",\"unit\":\"9301\"}" },
	};
	char err[200], *s;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (unit_change_parse(good[i][0], strlen(good[i][0]), &ch, err, sizeof(err)))
			fail_msg("refused: %s: %s", good[i][0], err);
		s = unit_change_json(&ch);
		assert_string_equal(s, good[i][1]);
		free(s);
	}
	assert_int_equal(ch.kind, UNIT_CHANGE_MOVE);
}

/* ---- query parameters (api_parse_units.c) ------------------------------------------------------------------- */

static void test_query(void **state)
{
	static const struct {
		struct api_kv kv[3];
		unsigned n;
	} bad_units[] = {
		{ { { "kind", "town" } }, 1 },
		{ { { "kind", NULL } }, 1 },
		{ { { "parent", "0x" } }, 1 },
		{ { { "parent", "1234567890123456" } }, 1 },
		{ { { "parent", "" } }, 1 },
		{ { { "cursor", "a" } }, 1 },
		{ { { "limit", "0" } }, 1 },
		{ { { "limit", "1001" } }, 1 },
		{ { { "limit", "99999" } }, 1 },
		{ { { "limit", "-1" } }, 1 },
		{ { { "limit", "1" }, { "limit", "2" } }, 2 },
		{ { { "frob", "1" } }, 1 },
	};
	static const struct {
		struct api_kv kv[2];
		unsigned n;
		enum api_cursor_kind kind;
	} bad_pages[] = {
		{ { { "cursor", "x" } }, 1, API_CURSOR_UNIT },
		{ { { "cursor", "H 1" } }, 1, API_CURSOR_HOLDER },
		{ { { "cursor", "1234567890123456789" } }, 1, API_CURSOR_ID },
		{ { { "cursor", "" } }, 1, API_CURSOR_ID },
		{ { { "kind", "ward" } }, 1, API_CURSOR_UNIT },
		{ { { "limit", "5x" } }, 1, API_CURSOR_UNIT },
		{ { { "cursor", "1" }, { "cursor", "2" } }, 2, API_CURSOR_ID },
	};
	struct otad_unit_filter f;
	char parent[OTAD_UNIT_CODE_MAX + 1], cursor[OTAD_HOLDER_ID_MAX + 1], err[200];
	struct api_kv good[] = { { "kind", "ward" }, { "parent", "01" }, { "limit", "7" }, { "cursor", "10101003" } };
	unsigned limit;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_units) / sizeof(bad_units[0]); i++) {
		err[0] = 0;
		if (api_units_query(bad_units[i].kv, bad_units[i].n, &f, parent, cursor, err, sizeof(err)) != -EINVAL)
			fail_msg("units query %zu accepted", i);
		assert_true(err[0]);
	}
	for (size_t i = 0; i < sizeof(bad_pages) / sizeof(bad_pages[0]); i++)
		if (api_page_query(bad_pages[i].kv, bad_pages[i].n, bad_pages[i].kind, cursor, sizeof(cursor), &limit,
				   err, sizeof(err)) != -EINVAL)
			fail_msg("page query %zu accepted", i);
	assert_int_equal(api_units_query(good, 4, &f, parent, cursor, err, sizeof(err)), 0);
	assert_int_equal(f.kind, OTAD_UNIT_WARD);
	assert_string_equal(f.parent, "01");
	assert_string_equal(f.after_code, "10101003");
	assert_int_equal(f.limit, 7);
	assert_int_equal(api_page_query(good + 2, 2, API_CURSOR_UNIT, cursor, sizeof(cursor), &limit, err, sizeof(err)),
			 0);
	assert_int_equal(limit, 7);
	assert_string_equal(cursor, "10101003");
	/* the routes */
	{
		static const struct {
			const char *method, *url;
			enum api_route route;
			const char *arg;
		} routes[] = {
			{ "GET", "/v1/units", API_UNITS_LIST, "" },
			{ "GET", "/v1/units/01", API_UNIT_GET, "01" },
			{ "GET", "/v1/units/10101003/children", API_UNIT_CHILDREN, "10101003" },
			{ "GET", "/v1/units/9301/holders", API_UNIT_HOLDERS, "9301" },
			{ "GET", "/v1/units/9301/history", API_UNIT_HISTORY, "9301" },
			{ "GET", "/v1/units/changes", API_UNIT_CHANGES_LIST, "" },
			{ "POST", "/v1/units/changes", API_UNIT_CHANGES_FILE, "" },
			{ "GET", "/v1/units/changes/7", API_UNIT_CHANGE_GET, "7" },
			{ "GET", "/v1/units/changes/x", API_BAD_ID, "" },
			{ "GET", "/v1/units/0x1", API_BAD_UNIT, "" },
			{ "GET", "/v1/units/1234567890123456", API_BAD_UNIT, "" },
			{ "GET", "/v1/units/01/children/", API_NONE, "" },
			{ "POST", "/v1/units/01", API_BAD_METHOD, "01" },
			{ "DELETE", "/v1/units/changes", API_BAD_METHOD, "" },
		};
		char arg[API_ROUTE_ARG_MAX];
		const char *allow;

		for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
			if (api_route(routes[i].method, routes[i].url, arg, &allow) != routes[i].route)
				fail_msg("%s %s: route %d", routes[i].method, routes[i].url,
					 (int)api_route(routes[i].method, routes[i].url, arg, &allow));
			if (routes[i].route != API_BAD_ID && routes[i].route != API_BAD_UNIT)
				assert_string_equal(arg, routes[i].arg);
		}
		assert_int_equal(api_route_action(API_UNIT_CHANGES_FILE), OTAD_ACT_UNIT_CHANGE);
		assert_int_equal(api_route_action(API_UNIT_HOLDERS), OTAD_ACT_UNIT_READ);
	}
	/* a cursor longer than the caller's room */
	assert_int_equal(api_page_query(good + 3, 1, API_CURSOR_UNIT, cursor, 5, &limit, err, sizeof(err)), -EINVAL);
}

/* ---- the tree on a real database ----------------------------------------------------------------------------- */

static char dir[64], dbfile[96], data[96];
static struct otad_db *db;

static int setup(void **state)
{
	static uint8_t mk[KEYSTORE_KEY_LEN];
	char err[256], cmd[400];

	(void)state;
	unit_tmpdir(dir, sizeof(dir), "units");
	snprintf(dbfile, sizeof(dbfile), "%s/otad.db", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(cmd, sizeof(cmd), "mkdir '%s' && cp '%s'/provinces.json '%s'/wards.json '%s'/central-units.json '%s'",
		 data, DATA_DIR, DATA_DIR, DATA_DIR, data);
	assert_int_equal(system(cmd), 0);
	memset(mk, 7, sizeof(mk));
	if (otad_db_open(NULL, dbfile, mk, &db, err, sizeof(err)))
		fail_msg("otad_db_open: %s", err);
	if (otad_units_load(db, data, err, sizeof(err)) != 34 + 3321 + 47)
		fail_msg("otad_units_load: %s", err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	otad_db_close(db);
	return unit_rmdir(dir);
}

struct codes {
	char c[4000][64];
	size_t n;
};
static struct codes got;

static void take_code(const char *code, void *priv)
{
	struct codes *k = priv;

	assert_true(k->n < 4000);
	snprintf(k->c[k->n++], sizeof(k->c[0]), "%.63s", code);
}

static void take_unit(const struct otad_unit *u, void *priv)
{
	take_code(u->code, priv);
}

static void take_holder(const struct otad_holder *h, void *priv)
{
	take_code(h->id, priv);
}

static void take_version(const struct otad_unit *u, int64_t change, void *priv)
{
	take_code(u->name, priv);
}

static void take_state(const struct otad_unit_change_row *r, void *priv)
{
	*(int *)priv = (int)r->state;
}

/* A change filed now (\a now_ms); \returns what otad_db_unit_change_file() returns, the id to *id. */
static int file(const char *body, int64_t now_ms, int64_t *id, char *err)
{
	if (unit_change_parse(body, strlen(body), &ch, err, 200))
		fail_msg("%s: %s", body, err);
	return otad_db_unit_change_file(db, &ch, "test", now_ms, id, err, 200);
}

/* A ward of province \a p (the first by code). */
static void ward_of(const char *p, char *out)
{
	struct otad_unit_filter f = { .parent = p, .kind = OTAD_UNIT_WARD, .limit = 1 };

	got.n = 0;
	assert_int_equal(otad_db_units_list(db, &f, take_unit, &got), 1);
	strcpy(out, got.c[0]);
}

static void add_holder(const char *id, const char *unit)
{
	struct otad_holder h = { .name = "Nguyễn Văn An", .id_number = "001099001234" };

	snprintf(h.id, sizeof(h.id), "%s", id);
	snprintf(h.unit, sizeof(h.unit), "%s", unit);
	assert_int_equal(otad_db_holder_add(db, &h), 0);
}

static void test_tree(void **state)
{
	struct otad_unit u;
	char w01[16], w02[16], w03[16];
	int64_t kids01, kids02, id, id2;
	char err[200];
	int st;

	(void)state;
	assert_int_equal(otad_db_units_count(db, OTAD_UNIT_PROVINCE), 34);
	assert_int_equal(otad_db_units_count(db, OTAD_UNIT_WARD), 3321);
	assert_int_equal(otad_db_units_count(db, OTAD_UNIT_MINISTRY), 12);
	assert_int_equal(otad_db_units_count(db, OTAD_UNIT_PARTY_OFFICE), 9);
	assert_int_equal(otad_db_units_count(db, OTAD_UNIT_DEPARTMENT), 26);
	assert_int_equal(otad_db_unit_get(db, "9301", &u), 0);
	assert_string_equal(u.name, "Sở Khoa học và Công nghệ Hà Nội");
	assert_int_equal(u.kind, OTAD_UNIT_DEPARTMENT);
	assert_string_equal(u.parent, "01");
	assert_int_equal(otad_db_unit_get(db, "9200", &u), 0);
	assert_string_equal(u.name, "Văn phòng Trung ương Đảng");
	assert_string_equal(u.parent, "");

	/* within */
	ward_of("01", w01);
	ward_of("02", w02);
	ward_of("03", w03);
	assert_int_equal(otad_db_unit_within(db, w01, "01"), 1);
	assert_int_equal(otad_db_unit_within(db, w01, w01), 1);
	assert_int_equal(otad_db_unit_within(db, w01, ""), 1);
	assert_int_equal(otad_db_unit_within(db, w01, NULL), 1);
	assert_int_equal(otad_db_unit_within(db, w01, "02"), 0);
	assert_int_equal(otad_db_unit_within(db, "01", w01), 0);
	assert_int_equal(otad_db_unit_within(db, "99999", "01"), 0);
	assert_int_equal(otad_db_unit_within(db, "", "01"), 0);
	assert_int_equal(otad_db_unit_within(db, "9301", "01"), 1);
	assert_int_equal(otad_db_unit_within(db, "9301", "9101"), 0);

	/* fast enough to be asked for every permission check (a loose bound: the machine is shared) */
	{
		struct timespec t0, t1;
		double s;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < 100000; i++)
			assert_int_equal(otad_db_unit_within(db, w01, i & 1 ? "01" : "02"), i & 1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("otad_db_unit_within: 100,000 checks in %.2f s\n", s);
		assert_true(s < 20);
	}

	/* holders: one in a ward of 01, one in province 02 itself, one in a ward of 02, one in 03 */
	add_holder("H1", w01);
	add_holder("H2", "02");
	add_holder("H3", w02);
	add_holder("H4", w03);
	assert_int_equal(otad_db_unit_holders_count(db, "01"), 1);
	assert_int_equal(otad_db_unit_holders_count(db, "02"), 2);

	/* a rename: history, the new name */
	assert_int_equal(
		file("{\"kind\": \"rename\", \"unit\": \"9101\", \"name\": \"Bộ Công an (mới)\"}", 1000, &id, err), 0);
	assert_int_equal(otad_db_unit_get(db, "9101", &u), 0);
	assert_string_equal(u.name, "Bộ Công an (mới)");
	assert_int_equal(u.valid_from_ms, 1000);
	got.n = 0;
	assert_int_equal(otad_db_unit_history(db, "9101", take_version, &got), 1);
	assert_string_equal(got.c[0], "Bộ Công an");
	got.n = 0;
	assert_int_equal(otad_db_unit_change_affected(db, id, take_code, &got), 1);

	/* a merge of two provinces into a new unit */
	kids01 = otad_db_unit_children_count(db, "01");
	kids02 = otad_db_unit_children_count(db, "02");
	assert_true(kids01 > 100 && kids02 > 50);
	assert_int_equal(file("{\"kind\": \"merge\", \"units\": [\"03\", \"04\"], \"into\": {\"code\": \"01\", "
			      "\"name\": \"X\"}}",
			      2000, &id, err),
			 -EINVAL); /* 01 exists and is not one of them */
	assert_int_equal(file("{\"kind\": \"merge\", \"units\": [\"01\", \"9101\"], \"into\": {\"code\": \"01\"}}",
			      2000, &id, err),
			 -EINVAL); /* not of one kind */
	assert_int_equal(
		file("{\"kind\": \"merge\", \"units\": [\"01\", \"02\"], \"into\": {\"code\": \"35\", \"name\":"
		     " \"Thủ đô Hà Nội – Bắc Ninh\"}}",
		     2000, &id, err),
		0);
	assert_int_equal(otad_db_unit_get(db, "35", &u), 0);
	assert_string_equal(u.name, "Thủ đô Hà Nội – Bắc Ninh");
	assert_int_equal(u.kind, OTAD_UNIT_PROVINCE);
	assert_int_equal(otad_db_unit_children_count(db, "35"), kids01 + kids02);
	assert_int_equal(otad_db_unit_children_count(db, "01"), 0);
	assert_int_equal(otad_db_unit_get(db, "01", &u), 0);
	assert_int_equal(u.valid_to_ms, 2000);
	assert_int_equal(u.valid_from_ms, 0); /* as loaded, until it ended */
	assert_string_equal(u.successor, "35");
	assert_int_equal(otad_db_unit_get(db, w01, &u), 0);
	assert_string_equal(u.parent, "35");
	got.n = 0;
	assert_int_equal(otad_db_unit_history(db, w01, take_version, &got), 1);
	assert_int_equal(otad_db_unit_within(db, w01, "35"), 1);
	assert_int_equal(otad_db_unit_within(db, w01, "01"), 0);
	assert_int_equal(otad_db_unit_within(db, "9301", "35"), 1);
	assert_int_equal(otad_db_holder_get(db, "H2", &(struct otad_holder){ 0 }), 0);
	got.n = 0;
	assert_int_equal(otad_db_unit_holders(db, "35", NULL, 10, take_holder, &got), 3);
	assert_string_equal(got.c[0], "H1");
	assert_string_equal(got.c[1], "H2");
	assert_string_equal(got.c[2], "H3");
	assert_int_equal(otad_db_unit_holders_count(db, "02"), 0);
	got.n = 0;
	assert_int_equal(otad_db_unit_change_affected(db, id, take_code, &got), kids01 + kids02 + 1);
	for (size_t i = 0; i < got.n; i++) /* each once, each now under 35 */
		assert_int_equal(otad_db_unit_within(db, got.c[i], "35"), 1);
	assert_int_equal(otad_db_unit_change_get(db, id, take_state, &st), 0);
	assert_int_equal(st, OTAD_UNIT_CHANGE_APPLIED);
	/* an ended unit cannot change again */
	assert_int_equal(file("{\"kind\": \"rename\", \"unit\": \"01\", \"name\": \"X\"}", 3000, &id, err), -EINVAL);
	assert_non_null(strstr(err, "ended"));

	/* a split of 35: two wards into 36, one into 37 */
	{
		struct otad_unit_filter f = { .parent = "35", .kind = OTAD_UNIT_WARD, .limit = 3 };
		char body[400];

		got.n = 0;
		assert_int_equal(otad_db_units_list(db, &f, take_unit, &got), 3);
		snprintf(body, sizeof(body),
			 "{\"kind\": \"split\", \"unit\": \"35\", \"into\": [{\"code\": \"36\", \"name\": \"Tỉnh A\","
			 " \"children\": [\"%s\", \"%s\"]}, {\"code\": \"37\", \"name\": \"Tỉnh B\", \"children\":"
			 " [\"%s\"]}]}",
			 got.c[0], got.c[1], got.c[2]);
		assert_int_equal(file(body, 4000, &id, err), 0);
		assert_int_equal(otad_db_unit_children_count(db, "36"), 2);
		assert_int_equal(otad_db_unit_children_count(db, "37"), 1);
		assert_int_equal(otad_db_unit_children_count(db, "35"), kids01 + kids02 - 3);
		assert_int_equal(otad_db_unit_get(db, "36", &u), 0);
		assert_string_equal(u.parent, "");
		assert_int_equal(u.kind, OTAD_UNIT_PROVINCE);
		got.n = 0;
		assert_int_equal(otad_db_unit_change_affected(db, id, take_code, &got), 5);
		/* a child that is not 35's */
		snprintf(body, sizeof(body),
			 "{\"kind\": \"split\", \"unit\": \"35\", \"into\": [{\"code\": \"38\", \"name\": \"Tỉnh C\","
			 " \"children\": [\"%s\"]}]}",
			 w03);
		assert_int_equal(file(body, 4000, &id, err), -EINVAL);
		assert_int_equal(otad_db_unit_get(db, "38", &u), -ENOENT); /* nothing stays of a refused change */
	}

	/* a move: a ward to another province; a loop and a ward as a parent refused */
	{
		char body[200];

		snprintf(body, sizeof(body), "{\"kind\": \"move\", \"unit\": \"%s\", \"parent\": \"03\"}", w01);
		assert_int_equal(file(body, 5000, &id, err), 0);
		assert_int_equal(otad_db_unit_within(db, w01, "03"), 1);
		assert_int_equal(otad_db_unit_within(db, w01, "35"), 0);
		got.n = 0;
		assert_int_equal(otad_db_unit_history(db, w01, take_version, &got),
				 3); /* merged, split away (the first ward of 35), moved */
		snprintf(body, sizeof(body), "{\"kind\": \"move\", \"unit\": \"03\", \"parent\": \"%s\"}", w03);
		assert_int_equal(file(body, 5000, &id, err), -EINVAL);
		assert_int_equal(file("{\"kind\": \"move\", \"unit\": \"9303\", \"parent\": \"9109\"}", 5000, &id, err),
				 0);
		assert_int_equal(file("{\"kind\": \"move\", \"unit\": \"9109\", \"parent\": \"9303\"}", 5000, &id, err),
				 -EINVAL);
		assert_non_null(strstr(err, "under"));
	}

	/* a future change: pending, then applied when due */
	{
		int64_t next, at;

		assert_int_equal(file("{\"kind\": \"rename\", \"unit\": \"9102\", \"name\": \"Bộ Quốc phòng (2027)\","
				      " \"effective_at\": 100}",
				      6000, &id, err),
				 0);
		assert_int_equal(otad_db_unit_get(db, "9102", &u), 0);
		assert_string_equal(u.name, "Bộ Quốc phòng");
		assert_int_equal(otad_db_unit_change_get(db, id, take_state, &st), 0);
		assert_int_equal(st, OTAD_UNIT_CHANGE_PENDING);
		got.n = 0;
		assert_int_equal(otad_db_unit_change_affected(db, id, take_code, &got), -EAGAIN);
		assert_int_equal(otad_db_unit_change_next(db, &next, &at), 1);
		assert_int_equal(next, id);
		assert_int_equal(at, 100000);
		assert_int_equal(otad_db_unit_change_apply(db, id, 100000, err, sizeof(err)), 0);
		assert_int_equal(otad_db_unit_change_apply(db, id, 100000, err, sizeof(err)), -EALREADY);
		assert_int_equal(otad_db_unit_get(db, "9102", &u), 0);
		assert_string_equal(u.name, "Bộ Quốc phòng (2027)");
		assert_int_equal(u.valid_from_ms, 100000);
		assert_int_equal(otad_db_unit_change_next(db, &next, &at), 0);

		/* one that no longer fits when due: failed, for good */
		assert_int_equal(file("{\"kind\": \"rename\", \"unit\": \"9104\", \"name\": \"Bộ Nội vụ (2027)\","
				      " \"effective_at\": 200}",
				      6000, &id, err),
				 0);
		assert_int_equal(file("{\"kind\": \"merge\", \"units\": [\"9104\", \"9105\"], \"into\": {\"code\":"
				      " \"9105\"}}",
				      7000, &id2, err),
				 0);
		assert_int_equal(otad_db_unit_change_apply(db, id, 200000, err, sizeof(err)), -EINVAL);
		assert_int_equal(otad_db_unit_change_get(db, id, take_state, &st), 0);
		assert_int_equal(st, OTAD_UNIT_CHANGE_FAILED);
		assert_int_equal(otad_db_unit_change_next(db, &next, &at), 0);
	}

	/* the files change: a reload adds and updates, never undoes a change */
	{
		FILE *f;
		char path[160];

		snprintf(path, sizeof(path), "%s/central-units.json", data);
		f = fopen(path, "a");
		assert_non_null(f);
		fputs("\n", f);
		fclose(f);
		assert_int_equal(otad_units_load(db, data, err, sizeof(err)), 34 + 3321 + 47);
		assert_int_equal(otad_db_unit_get(db, "9101", &u), 0);
		assert_string_equal(u.name, "Bộ Công an (mới)");
		assert_int_equal(otad_db_unit_get(db, "01", &u), 0);
		assert_int_equal(u.valid_to_ms, 2000);
		assert_int_equal(otad_db_unit_get(db, w02, &u), 0);
		assert_string_equal(u.parent, "35");
		assert_int_equal(otad_db_unit_children_count(db, "02"), 0);
		assert_int_equal(otad_db_unit_get(db, w03, &u), 0);
		assert_string_equal(u.parent, "03");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_query),
		cmocka_unit_test_setup_teardown(test_tree, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
