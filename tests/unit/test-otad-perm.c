/* Unit tests of the permission matrix (ota-server/otad_perm.c): every cell, each role x each action, through
 * otad_perm() against a real database in a temporary directory holding the real organisation tree (data/
 * provinces.json and wards.json): for an actor scoped to province 01, a ward of 01 and 01 itself are inside; province
 * 29, a ward of 29, an unknown unit and no unit are outside; for an actor scoped to a ward, its province is outside;
 * for an actor without a scope, everything is inside. The expected cells are written out below by themselves (one
 * line per role, the actions it may do by name), not taken from the code's table. The table in docs/otad.md
 * ("Roles and scopes") is compared with the code's too, and tokens keep their scope in the database.
 *
 * Arguments: the repository's data directory, and docs/otad.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keystore.h"
#include "otad_db.h"
#include "otad_perm.h"
#include "otad_units.h"

#include "unit.h"
#include "unit_tmpdir.h"

static const char *data_dir, *doc_file;
static char dir[64];
static struct otad_db *db;

/* The policy, by eye: for each role, the actions it may do, "=A" anywhere, "=I" inside its scope; every action not
 * named: never. */
static const struct {
	enum otad_role role;
	const char *may;
} policy[] = {
	{ OTAD_ROLE_READ_ONLY,
	  "card.read=I campaign.read=I holder.read=I unit.read=I lifecycle.read=I request.read=I" },
	{ OTAD_ROLE_OPERATOR,
	  "card.read=A card.write=A campaign.read=A campaign.write=A holder.read=A holder.write=A unit.read=A "
	  "cert.enrol=A lifecycle.read=A" },
	{ OTAD_ROLE_ADMIN,
	  "card.read=A card.write=A campaign.read=A campaign.write=A holder.read=A holder.write=A unit.read=A "
	  "unit.change=A cert.enrol=A cert.modify=A cert.renew=A cert.rekey=A cert.revoke=A cert.suspend=A "
	  "cert.release=A pin.reset=A lifecycle.read=A lifecycle.write=A request.read=A request.file=A "
	  "request.decide=A audit.read=A audit.verify=A token.manage=A database.manage=A" },
	{ OTAD_ROLE_CENTRAL_RA,
	  "card.read=A holder.read=A holder.write=A unit.read=A unit.change=A cert.enrol=A cert.modify=A cert.renew=A "
	  "cert.rekey=A cert.revoke=A cert.suspend=A cert.release=A pin.reset=A lifecycle.read=A lifecycle.write=A "
	  "request.read=A request.file=A request.decide=A" },
	{ OTAD_ROLE_UNIT_RA,
	  "card.read=I holder.read=I holder.write=I unit.read=I cert.enrol=I cert.modify=I cert.renew=I cert.rekey=I "
	  "cert.revoke=I cert.suspend=I cert.release=I pin.reset=I lifecycle.read=I request.read=I request.file=I "
	  "request.decide=I" },
	{ OTAD_ROLE_COUNTER, "holder.read=I unit.read=I pin.reset=I cert.suspend=I request.read=I request.file=I" },
	{ OTAD_ROLE_AUDITOR,
	  "audit.read=A audit.verify=A card.read=A campaign.read=A holder.read=A unit.read=A lifecycle.read=A "
	  "request.read=A" },
};

/* The policy's cell for \a role and \a action: 'A', 'I' or 'N'. */
static char expected(enum otad_role role, const char *action)
{
	char key[64];
	const char *s;

	snprintf(key, sizeof(key), "%s=", action);
	for (size_t i = 0; i < sizeof(policy) / sizeof(policy[0]); i++) {
		if (policy[i].role != role)
			continue;
		for (s = strstr(policy[i].may, key); s; s = strstr(s + 1, key))
			if (s == policy[i].may || s[-1] == ' ')
				return s[strlen(key)];
		return 'N';
	}
	fail_msg("role %s not in the policy", otad_role_names[role]);
	return 0;
}

static int setup(void **state)
{
	uint8_t mk[KEYSTORE_KEY_LEN];
	char err[256], path[128];
	int rc;

	(void)state;
	unit_tmpdir(dir, sizeof(dir), "otad-perm");
	snprintf(path, sizeof(path), "%s/master.key", dir);
	assert_int_equal(keystore_load(path, true, mk, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/otad.db", dir);
	if (otad_db_open(NULL, path, mk, &db, err, sizeof(err)))
		fail_msg("otad_db_open: %s", err);
	rc = otad_units_load(db, data_dir, err, sizeof(err));
	if (rc < 3355)
		fail_msg("otad_units_load(%s): %d %s", data_dir, rc, err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	otad_db_close(db);
	return unit_rmdir(dir);
}

/* The units tried, and whether each is inside scope 01. */
static const struct {
	const char *unit;
	bool in_01;
} units[] = {
	{ "01", true },	       /* the scope itself */
	{ "10101003", true },  /* a ward of Hà Nội */
	{ "10107008", true },  /* another */
	{ "29", false },       /* Hồ Chí Minh */
	{ "71713027", false }, /* a ward of it */
	{ "99999", false },    /* no such unit */
	{ "", false },	       /* an object without a unit */
	{ NULL, false },
};

static struct otad_actor actor(enum otad_role role, const char *scope)
{
	struct otad_actor a = { .role = role, .via = "api" };

	snprintf(a.name, sizeof(a.name), "t-%s", otad_role_names[role]);
	snprintf(a.scope, sizeof(a.scope), "%s", scope);
	return a;
}

/* Every role x every action x (scope 01 | no scope) x every unit. */
static void test_every_cell(void **state)
{
	unsigned checked = 0;

	(void)state;
	for (int r = 0; r < OTAD_N_ROLES; r++) {
		for (int a = 0; a < OTAD_N_ACTIONS; a++) {
			char want = expected((enum otad_role)r, otad_action_names[a]);
			enum otad_perm_cell cell = otad_perm_cell((enum otad_role)r, (enum otad_action)a);
			struct otad_actor scoped = actor((enum otad_role)r, "01");
			struct otad_actor whole = actor((enum otad_role)r, "");

			if (cell != (want == 'A' ? OTAD_PERM_ANY : want == 'I' ? OTAD_PERM_INSIDE : OTAD_PERM_NO))
				fail_msg("%s %s: the table says %d, the policy %c", otad_role_names[r],
					 otad_action_names[a], cell, want);
			for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
				int in = want == 'A' || (want == 'I' && units[u].in_01);
				int rc = otad_perm(db, &scoped, (enum otad_action)a, units[u].unit);

				if (rc != (in ? 0 : -EPERM))
					fail_msg("%s (scope 01) %s on unit %s: %d", otad_role_names[r],
						 otad_action_names[a], units[u].unit ? units[u].unit : "NULL", rc);
				rc = otad_perm(db, &whole, (enum otad_action)a, units[u].unit);
				if (rc != (want == 'N' ? -EPERM : 0))
					fail_msg("%s (no scope) %s on unit %s: %d", otad_role_names[r],
						 otad_action_names[a], units[u].unit ? units[u].unit : "NULL", rc);
				checked += 2;
			}
		}
	}
	assert_int_equal(checked, OTAD_N_ROLES * OTAD_N_ACTIONS * 2 * (sizeof(units) / sizeof(units[0])));
}

/* A ward's scope does not reach up to its province, nor to another ward. */
static void test_ward_scope(void **state)
{
	struct otad_actor ra = actor(OTAD_ROLE_UNIT_RA, "10101003");

	(void)state;
	assert_int_equal(otad_perm(db, &ra, OTAD_ACT_HOLDER_WRITE, "10101003"), 0);
	assert_int_equal(otad_perm(db, &ra, OTAD_ACT_HOLDER_WRITE, "01"), -EPERM);
	assert_int_equal(otad_perm(db, &ra, OTAD_ACT_HOLDER_WRITE, "10107008"), -EPERM);
	assert_int_equal(otad_perm(db, &ra, OTAD_ACT_TOKEN_MANAGE, "10101003"), -EPERM);
}

/* The fixed actors, and cells out of range. */
static void test_actors(void **state)
{
	(void)state;
	assert_string_equal(otad_actor_vty.name, "vty");
	assert_int_equal(otad_actor_vty.role, OTAD_ROLE_ADMIN);
	assert_string_equal(otad_actor_vty.scope, "");
	assert_int_equal(otad_actor_daemon.role, OTAD_ROLE_ADMIN);
	assert_int_equal(otad_perm(db, &otad_actor_vty, OTAD_ACT_DATABASE_MANAGE, NULL), 0);
	assert_int_equal(otad_perm_cell(OTAD_N_ROLES, OTAD_ACT_CARD_READ), OTAD_PERM_NO);
	assert_int_equal(otad_perm_cell(OTAD_ROLE_ADMIN, OTAD_N_ACTIONS), OTAD_PERM_NO);
	assert_int_equal(otad_perm_cell((enum otad_role) - 1, OTAD_ACT_CARD_READ), OTAD_PERM_NO);
	for (int a = 0; a < OTAD_N_ACTIONS; a++) {
		assert_non_null(otad_action_names[a]);
		for (int b = 0; b < a; b++)
			assert_string_not_equal(otad_action_names[a], otad_action_names[b]);
	}
}

static void count_token(const struct otad_token *t, void *priv)
{
	char *seen = priv;

	snprintf(seen + strlen(seen), 256 - strlen(seen), "%s:%s:%s ", t->name, otad_role_names[t->role],
		 t->scope[0] ? t->scope : "-");
}

/* Tokens keep their scope: written, looked up, listed; none is the whole tree. */
static void test_token_scope(void **state)
{
	uint8_t h1[32] = { 1 }, h2[32] = { 2 };
	struct otad_token t;
	char seen[256] = "";

	(void)state;
	assert_int_equal(otad_db_token_add(db, "ra-hn", h1, OTAD_ROLE_UNIT_RA, "01"), 0);
	assert_int_equal(otad_db_token_add(db, "aud", h2, OTAD_ROLE_AUDITOR, NULL), 0);
	assert_int_equal(otad_db_token_add(db, "ra-hn", h2, OTAD_ROLE_UNIT_RA, "29"), -EEXIST);
	assert_int_equal(otad_db_token_lookup(db, h1, &t), 0);
	assert_string_equal(t.name, "ra-hn");
	assert_int_equal(t.role, OTAD_ROLE_UNIT_RA);
	assert_string_equal(t.scope, "01");
	assert_int_equal(otad_db_token_lookup(db, h2, &t), 0);
	assert_string_equal(t.scope, "");
	assert_int_equal(otad_db_tokens_list(db, false, count_token, seen), 0);
	assert_string_equal(seen, "ra-hn:unit-ra:01 aud:auditor:- ");
	assert_int_equal(otad_db_token_revoke(db, "ra-hn"), 0);
	assert_int_equal(otad_db_token_lookup(db, h1, &t), -ENOENT);
}

/* docs/otad.md's table ("| Action | read-only | operator | ... |", cells "any", "inside", "-") says what the code's
 * table says, every action once. */
static void test_docs_table(void **state)
{
	FILE *f = fopen(doc_file, "r");
	char line[512];
	unsigned rows = 0;
	bool in_section = false, in_table = false;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *cell;
		int a = -1, r = 0;

		if (!strncmp(line, "## ", 3))
			in_section = !strncmp(line, "## Roles and scopes", 19);
		if (in_section && !strncmp(line, "| Action | read-only |", 22))
			in_table = true;
		else if (line[0] != '|')
			in_table = false; /* the first table of the section only */
		if (!in_table || strncmp(line, "| `", 3))
			continue;
		for (cell = strtok_r(line, "|", &save); cell; cell = strtok_r(NULL, "|", &save)) {
			char *s = cell + strspn(cell, " `");
			size_t n = strcspn(s, " `\n");

			if (!n)
				continue;
			s[n] = 0;
			if (a < 0) {
				for (int k = 0; k < OTAD_N_ACTIONS; k++)
					if (!strcmp(s, otad_action_names[k]))
						a = k;
				if (a < 0)
					fail_msg("docs: unknown action %s", s);
				continue;
			}
			if (r >= OTAD_N_ROLES)
				fail_msg("docs: %s: too many cells", otad_action_names[a]);
			if (otad_perm_cell((enum otad_role)r, (enum otad_action)a) !=
			    (!strcmp(s, "any")	  ? OTAD_PERM_ANY :
			     !strcmp(s, "inside") ? OTAD_PERM_INSIDE :
						    OTAD_PERM_NO))
				fail_msg("docs: %s for %s says %s", otad_action_names[a], otad_role_names[r], s);
			if (strcmp(s, "any") && strcmp(s, "inside") && strcmp(s, "-"))
				fail_msg("docs: %s for %s: '%s' is not any, inside or -", otad_action_names[a],
					 otad_role_names[r], s);
			r++;
		}
		if (r != OTAD_N_ROLES)
			fail_msg("docs: %s: %d cells", otad_action_names[a], r);
		rows++;
	}
	fclose(f);
	assert_int_equal(rows, OTAD_N_ACTIONS);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cell),  cmocka_unit_test(test_ward_scope), cmocka_unit_test(test_actors),
		cmocka_unit_test(test_token_scope), cmocka_unit_test(test_docs_table),
	};

	if (argc != 3) {
		fprintf(stderr, "usage: %s DATA_DIR DOCS_OTAD_MD\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	doc_file = argv[2];
	return cmocka_run_group_tests(tests, setup, teardown);
}
