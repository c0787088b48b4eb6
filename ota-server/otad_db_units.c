/* The organisation tree in the database: scopes (otad_db_unit_within(), a walk up a cached copy of the parents), the
 * tree read (otad_db_units.h), unit changes filed and applied with the units' history, and the units a change
 * affects (otad_db.h). Tables: otad_db.h (version 9) and otad_db_v14_units.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <osmocom/core/talloc.h>

#include "otad_db.h"
#include "otad_db_int.h"
#include "otad_db_units.h"

const char *const otad_unit_change_state_names[3] = { "pending", "applied", "failed" };

#define UNIT_COLS "code, name, kind, parent, valid_from, valid_to, successor"
#define DEPTH_MAX "32" /* deeper than any tree we hold: a loop in parents ends here */
#define DEPTH_MAX_N 32

static int run(struct otad_db *db, const char *sql)
{
	return sqlite3_exec(db->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

void otad_db_unit_from_row(sqlite3_stmt *st, struct otad_unit *u)
{
	const char *kind = (const char *)sqlite3_column_text(st, 2);

	memset(u, 0, sizeof(*u));
	otad_db_column_text(st, 0, u->code, sizeof(u->code));
	otad_db_column_text(st, 1, u->name, sizeof(u->name));
	u->kind = OTAD_UNIT_PROVINCE;
	for (int i = 0; kind && i < OTAD_UNIT_N_KINDS; i++)
		if (!strcmp(kind, otad_unit_kind_names[i]))
			u->kind = (enum otad_unit_kind)i;
	otad_db_column_text(st, 3, u->parent, sizeof(u->parent));
	u->valid_from_ms = sqlite3_column_int64(st, 4);
	u->valid_to_ms = sqlite3_column_int64(st, 5);
	otad_db_column_text(st, 6, u->successor, sizeof(u->successor));
}

/* Every unit's parent, sorted by code: otad_db_unit_within() walks it in memory. Read from the table when first
 * asked, dropped whenever the units change (otad_db_units_changed(): the loader, every change filed or applied,
 * whether it committed or not), so it never holds what the table does not. */
struct otad_unit_parents {
	size_t n;
	struct unit_parent {
		char code[OTAD_UNIT_CODE_MAX + 1], parent[OTAD_UNIT_CODE_MAX + 1];
	} e[];
};

void otad_db_units_changed(struct otad_db *db)
{
	talloc_free(db->parents);
	db->parents = NULL;
}

static int load_parents(struct otad_db *db)
{
	struct otad_unit_parents *p;
	int64_t n = otad_db_units_count(db, -1);
	sqlite3_stmt *st;
	size_t i = 0;
	int rc;

	if (n < 0)
		return -EIO;
	p = talloc_size(db, sizeof(*p) + (size_t)(n + 1) * sizeof(p->e[0]));
	if (!p)
		return -EIO;
	if (sqlite3_prepare_v2(db->db, "SELECT code, parent FROM units ORDER BY code", -1, &st, NULL) != SQLITE_OK) {
		talloc_free(p);
		return -EIO;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i <= (size_t)n) {
		otad_db_column_text(st, 0, p->e[i].code, sizeof(p->e[i].code));
		otad_db_column_text(st, 1, p->e[i].parent, sizeof(p->e[i].parent));
		i++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) { /* an error, or more rows than counted */
		talloc_free(p);
		return -EIO;
	}
	p->n = i;
	db->parents = p;
	return 0;
}

static int by_code(const void *key, const void *e)
{
	return strcmp(key, ((const struct unit_parent *)e)->code);
}

int otad_db_unit_within(struct otad_db *db, const char *unit, const char *scope)
{
	const struct unit_parent *e;

	if (!scope || !scope[0])
		return 1;
	if (!unit || !unit[0])
		return 0;
	/* called for every permission check: a walk up the parents in memory */
	if (!db->parents && load_parents(db))
		return -EIO;
	for (int depth = 0; depth < DEPTH_MAX_N; depth++) {
		if (!strcmp(unit, scope))
			return 1;
		e = bsearch(unit, db->parents->e, db->parents->n, sizeof(db->parents->e[0]), by_code);
		if (!e || !e->parent[0])
			return 0;
		unit = e->parent;
	}
	return 0;
}

/* ---- reading the tree ---------------------------------------------------------------------------------------- */

int otad_db_unit_path(struct otad_db *db, const char *code, void (*cb)(const struct otad_unit *u, void *priv),
		      void *priv)
{
	struct otad_unit u;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db->db,
			       "WITH RECURSIVE up(code, depth) AS (SELECT code, 0 FROM units WHERE code = ?1 UNION ALL"
			       " SELECT u.parent, up.depth + 1 FROM units u JOIN up ON u.code = up.code WHERE u.parent"
			       " IS NOT NULL AND up.depth < " DEPTH_MAX ")"
			       " SELECT u.code, u.name, u.kind, u.parent, u.valid_from, u.valid_to, u.successor FROM "
			       "up JOIN units u ON u.code = up.code ORDER BY up.depth DESC",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		otad_db_unit_from_row(st, &u);
		cb(&u, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc != SQLITE_DONE ? -EIO : n ? n : -ENOENT;
}

int otad_db_units_list(struct otad_db *db, const struct otad_unit_filter *f,
		       void (*cb)(const struct otad_unit *u, void *priv), void *priv)
{
	struct otad_unit u;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT " UNIT_COLS " FROM units WHERE valid_to IS NULL AND (?1 IS NULL OR kind = ?1)"
			       " AND (CASE WHEN ?2 IS NOT NULL THEN parent = ?2 WHEN ?1 IS NULL THEN parent IS NULL"
			       " ELSE 1 END) AND code > ?3 ORDER BY code LIMIT ?4",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (f->kind >= 0 && f->kind < OTAD_UNIT_N_KINDS)
		sqlite3_bind_text(st, 1, otad_unit_kind_names[f->kind], -1, SQLITE_STATIC);
	if (f->parent)
		sqlite3_bind_text(st, 2, f->parent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->after_code ? f->after_code : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)f->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		otad_db_unit_from_row(st, &u);
		cb(&u, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

static int64_t count1(struct otad_db *db, const char *sql, const char *code)
{
	sqlite3_stmt *st;
	int64_t n = -EIO;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The codes of the subtree of ?1 (the unit too), as a CTE named sub. */
#define SUBTREE \
	"WITH RECURSIVE sub(code) AS (SELECT ?1 UNION SELECT u.code FROM units u JOIN sub ON u.parent = sub.code) "

int64_t otad_db_unit_children_count(struct otad_db *db, const char *code)
{
	return count1(db, "SELECT count(*) FROM units WHERE parent = ?1 AND valid_to IS NULL", code);
}

int64_t otad_db_unit_holders_count(struct otad_db *db, const char *code)
{
	return count1(db, SUBTREE "SELECT count(*) FROM holders WHERE unit IN sub", code);
}

int otad_db_holder_move(struct otad_db *db, const char *id, const char *unit, int64_t now_ms, char *successor)
{
	struct otad_holder h;
	struct otad_unit u;
	sqlite3_stmt *st;
	int rc;

	successor[0] = 0;
	rc = otad_db_holder_get(db, id, &h);
	if (rc)
		return rc;
	rc = otad_db_unit_get(db, unit, &u);
	if (rc)
		return rc == -ENOENT ? -ENXIO : rc;
	if (u.valid_to_ms) {
		memcpy(successor, u.successor, sizeof(u.successor));
		return -ESTALE;
	}
	if (sqlite3_prepare_v2(db->db, "UPDATE holders SET unit = ?2, updated_at = ?3 WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, unit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int otad_db_unit_holders(struct otad_db *db, const char *code, const char *after_id, unsigned limit,
			 void (*cb)(const struct otad_holder *h, void *priv), void *priv)
{
	struct otad_holder h;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db->db,
			       SUBTREE "SELECT id, name, id_number, unit, email, created_at, updated_at FROM holders"
				       " WHERE unit IN sub AND id > ?2 ORDER BY id LIMIT ?3",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, after_id ? after_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&h, 0, sizeof(h));
		otad_db_column_text(st, 0, h.id, sizeof(h.id));
		otad_db_column_text(st, 1, h.name, sizeof(h.name));
		otad_db_column_text(st, 2, h.id_number, sizeof(h.id_number));
		otad_db_column_text(st, 3, h.unit, sizeof(h.unit));
		otad_db_column_text(st, 4, h.email, sizeof(h.email));
		h.created_ms = sqlite3_column_int64(st, 5);
		h.updated_ms = sqlite3_column_int64(st, 6);
		cb(&h, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_unit_history(struct otad_db *db, const char *code,
			 void (*cb)(const struct otad_unit *u, int64_t change, void *priv), void *priv)
{
	struct otad_unit u;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT code, name, kind, parent, valid_from, valid_to, NULL, change FROM unit_history"
			       " WHERE code = ?1 ORDER BY change",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		otad_db_unit_from_row(st, &u);
		cb(&u, sqlite3_column_int64(st, 7), priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

/* ---- applying a change --------------------------------------------------------------------------------------- */

/* One change being checked and applied, inside a transaction. */
struct apply {
	struct otad_db *db;
	const struct unit_change *ch;
	int64_t id, at, now; /* the change's row, its effective time, the wall clock */
	char *err;
	size_t errlen;
};

/* Unit \a code as it stands, current (not ended). \returns 0; -EINVAL with the error; -EIO */
static int current(struct apply *a, const char *code, struct otad_unit *u)
{
	int rc = otad_db_unit_get(a->db, code, u);

	if (rc == -ENOENT) {
		snprintf(a->err, a->errlen, "unit %s: no such unit", code);
		return -EINVAL;
	}
	if (!rc && u->valid_to_ms) {
		snprintf(a->err, a->errlen, "unit %s ended (it went into %s)", code,
			 u->successor[0] ? u->successor : "nothing");
		return -EINVAL;
	}
	return rc;
}

/* Whether \a code exists at all (current or ended). \returns 1; 0; -EIO */
static int exists(struct apply *a, const char *code)
{
	struct otad_unit u;
	int rc = otad_db_unit_get(a->db, code, &u);

	return rc == 0 ? 1 : rc == -ENOENT ? 0 : rc;
}

/* Run \a sql with ?1 = \a s1 (a code), ?2 = \a s2 (text or NULL), ?3 = the change id, ?4 = its effective time,
 * ?5 = now. \returns the rows changed; -EIO */
static int step(struct apply *a, const char *sql, const char *s1, const char *s2)
{
	sqlite3_stmt *st;
	int rc;

	otad_db_units_changed(a->db); /* a write: the scope cache may not hold it */
	if (sqlite3_prepare_v2(a->db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, s1, -1, SQLITE_STATIC);
	if (s2)
		sqlite3_bind_text(st, 2, s2, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, a->id);
	if (sqlite3_bind_parameter_count(st) >= 4)
		sqlite3_bind_int64(st, 4, a->at);
	if (sqlite3_bind_parameter_count(st) >= 5)
		sqlite3_bind_int64(st, 5, a->now);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? sqlite3_changes(a->db->db) : -EIO;
	sqlite3_finalize(st);
	return rc;
}

/* Keep unit ?1 as it is into unit_history (valid_to: the effective time). */
#define SAVE                                                                                                       \
	"INSERT INTO unit_history (code, change, name, kind, parent, valid_from, valid_to) SELECT code, ?3, name," \
	" kind, parent, valid_from, ?4 FROM units WHERE code = ?1 AND ?2 IS NULL"

/* Unit \a code into the history, then its new state (the SET clause \a set, with ?2 = \a v). */
static int alter(struct apply *a, const char *code, const char *set, const char *v)
{
	char sql[200];
	int rc = step(a, SAVE, code, NULL);

	if (rc != 1)
		return rc < 0 ? rc : -EIO;
	/* a unit that ends keeps its valid_from: it was as it stood from then until valid_to */
	snprintf(sql, sizeof(sql), "UPDATE units SET %s%s WHERE code = ?1 AND ?3 = ?3 AND ?4 = ?4", set,
		 strstr(set, "valid_to") ? "" : ", valid_from = ?4");
	rc = step(a, sql, code, v);
	return rc == 1 ? 0 : rc < 0 ? rc : -EIO;
}

static int apply_rename(struct apply *a)
{
	struct otad_unit u;

	return current(a, a->ch->unit, &u) ?: alter(a, a->ch->unit, "name = ?2", a->ch->name);
}

static int apply_move(struct apply *a)
{
	struct otad_unit u, p;
	int rc = current(a, a->ch->unit, &u) ?: current(a, a->ch->parent, &p);

	if (rc)
		return rc;
	if (p.kind == OTAD_UNIT_WARD) {
		snprintf(a->err, a->errlen, "unit %s is a ward: nothing goes under a ward", p.code);
		return -EINVAL;
	}
	rc = otad_db_unit_within(a->db, p.code, u.code);
	if (rc) {
		if (rc > 0)
			snprintf(a->err, a->errlen, "unit %s is under %s: a unit cannot go under itself", p.code,
				 u.code);
		return rc > 0 ? -EINVAL : rc;
	}
	return alter(a, u.code, "parent = ?2", p.code);
}

/* Every current child of \a from goes under \a to (each into the history first). \returns 0; -EIO */
static int move_children(struct apply *a, const char *from, const char *to)
{
	sqlite3_stmt *st;
	unit_code_t *kids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (sqlite3_prepare_v2(a->db->db, "SELECT code FROM units WHERE parent = ?1 AND valid_to IS NULL", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			unit_code_t *k = realloc(kids, (cap = cap ? cap * 2 : 64) * sizeof(*kids));

			if (!k) {
				rc = SQLITE_NOMEM;
				break;
			}
			kids = k;
		}
		otad_db_column_text(st, 0, kids[n++], sizeof(unit_code_t));
	}
	sqlite3_finalize(st);
	rc = rc == SQLITE_DONE ? 0 : -EIO;
	for (size_t i = 0; i < n && !rc; i++)
		rc = alter(a, kids[i], "parent = ?2", to);
	free(kids);
	return rc;
}

static int apply_merge(struct apply *a)
{
	const struct unit_change *ch = a->ch;
	struct otad_unit u[UNIT_CHANGE_UNITS_MAX];
	bool c_listed = false;
	int rc = 0;

	for (size_t i = 0; i < ch->n_units && !rc; i++) {
		rc = current(a, ch->units[i], &u[i]);
		if (!rc && u[i].kind != u[0].kind) {
			snprintf(a->err, a->errlen, "units %s (%s) and %s (%s): a merge joins units of one kind",
				 u[0].code, otad_unit_kind_names[u[0].kind], u[i].code,
				 otad_unit_kind_names[u[i].kind]);
			rc = -EINVAL;
		}
		c_listed |= !strcmp(ch->units[i], ch->into);
	}
	for (size_t i = 0; i < ch->n_units && !rc; i++)
		for (size_t k = 0; k < ch->n_units && !rc; k++)
			if (i != k && (rc = otad_db_unit_within(a->db, u[i].code, u[k].code)) > 0) {
				snprintf(a->err, a->errlen, "unit %s is under %s: a merge joins units side by side",
					 u[i].code, u[k].code);
				rc = -EINVAL;
			}
	if (rc)
		return rc;
	if (!c_listed) {
		rc = exists(a, ch->into);
		if (rc) {
			if (rc > 0)
				snprintf(a->err, a->errlen,
					 "unit %s exists: a merge goes into one of its units or a new one", ch->into);
			return rc > 0 ? -EINVAL : rc;
		}
		{
			sqlite3_stmt *st;

			if (sqlite3_prepare_v2(
				    a->db->db,
				    "INSERT INTO units (code, name, kind, parent, valid_from) VALUES (?, ?, ?, ?, ?)",
				    -1, &st, NULL) != SQLITE_OK)
				return -EIO;
			sqlite3_bind_text(st, 1, ch->into, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, ch->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, otad_unit_kind_names[u[0].kind], -1, SQLITE_STATIC);
			if (u[0].parent[0])
				sqlite3_bind_text(st, 4, u[0].parent, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 5, a->at);
			rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
			sqlite3_finalize(st);
		}
	} else if (ch->name[0]) {
		rc = alter(a, ch->into, "name = ?2", ch->name);
	}
	for (size_t i = 0; i < ch->n_units && !rc; i++) {
		if (!strcmp(ch->units[i], ch->into))
			continue;
		rc = move_children(a, ch->units[i], ch->into);
		if (!rc)
			rc = step(
				a,
				"UPDATE holders SET unit = ?2, updated_at = ?5 WHERE unit = ?1 AND ?3 = ?3 AND ?4 = ?4",
				ch->units[i], ch->into);
		if (rc >= 0)
			rc = alter(a, ch->units[i], "valid_to = ?4, successor = ?2", ch->into);
	}
	return rc < 0 ? rc : 0;
}

static int apply_split(struct apply *a)
{
	const struct unit_change *ch = a->ch;
	struct otad_unit u, k;
	int rc = current(a, ch->unit, &u);

	for (size_t i = 0; i < ch->n_parts && !rc; i++) {
		sqlite3_stmt *st;

		rc = exists(a, ch->parts[i].code);
		if (rc) {
			if (rc > 0)
				snprintf(a->err, a->errlen, "unit %s exists: a split makes new units",
					 ch->parts[i].code);
			return rc > 0 ? -EINVAL : rc;
		}
		if (sqlite3_prepare_v2(
			    a->db->db,
			    "INSERT INTO units (code, name, kind, parent, valid_from) VALUES (?, ?, ?, ?, ?)", -1, &st,
			    NULL) != SQLITE_OK)
			return -EIO;
		sqlite3_bind_text(st, 1, ch->parts[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ch->parts[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, otad_unit_kind_names[u.kind], -1, SQLITE_STATIC);
		if (u.parent[0])
			sqlite3_bind_text(st, 4, u.parent, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, a->at);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
		sqlite3_finalize(st);
		for (size_t c = ch->parts[i].first; c < ch->parts[i].first + ch->parts[i].n && !rc; c++) {
			rc = current(a, ch->children[c], &k);
			if (!rc && strcmp(k.parent, u.code)) {
				snprintf(a->err, a->errlen, "unit %s is not a child of %s", k.code, u.code);
				rc = -EINVAL;
			}
			if (!rc)
				rc = alter(a, k.code, "parent = ?2", ch->parts[i].code);
		}
	}
	return rc;
}

/* The codes whose subtrees a change affects, as a JSON array (malloc'd). */
static char *roots_json(const struct unit_change *ch)
{
	json_t *r = json_array();
	char *s;

	if (ch->kind == UNIT_CHANGE_MERGE)
		json_array_append_new(r, json_string(ch->into));
	else if (ch->kind == UNIT_CHANGE_SPLIT)
		for (size_t i = 0; i < ch->n_parts; i++)
			json_array_append_new(r, json_string(ch->parts[i].code));
	else
		json_array_append_new(r, json_string(ch->unit));
	s = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return s;
}

/* The current units under the roots ?1 (a JSON array), the roots too, each once. */
#define AFFECTED                                                                                                    \
	"WITH RECURSIVE sub(code) AS (SELECT code FROM units WHERE code IN (SELECT value FROM json_each(?1)) UNION" \
	" SELECT u.code FROM units u JOIN sub ON u.parent = sub.code WHERE u.valid_to IS NULL) "

/* Count what an applied change affected into its row. */
static int count_affected(struct apply *a)
{
	char *roots = roots_json(a->ch);
	int rc;

	if (!roots)
		return -ENOMEM;
	rc = step(a,
		  AFFECTED
		  "UPDATE unit_changes SET units_affected = (SELECT count(*) FROM sub), holders_affected ="
		  " (SELECT count(*) FROM holders WHERE unit IN sub), applied_at = ?5 WHERE id = ?3 AND ?4 = ?4",
		  roots, NULL);
	free(roots);
	return rc == 1 ? 0 : rc < 0 ? rc : -EIO;
}

static int apply(struct apply *a)
{
	int rc;

	switch (a->ch->kind) {
	case UNIT_CHANGE_RENAME:
		rc = apply_rename(a);
		break;
	case UNIT_CHANGE_MERGE:
		rc = apply_merge(a);
		break;
	case UNIT_CHANGE_SPLIT:
		rc = apply_split(a);
		break;
	default:
		rc = apply_move(a);
		break;
	}
	return rc ?: count_affected(a);
}

int otad_db_unit_change_file(struct otad_db *db, const struct unit_change *ch, const char *by, int64_t now_ms,
			     int64_t *id, char *err, size_t errlen)
{
	struct apply a = { .db = db,
			   .ch = ch,
			   .at = ch->effective_ms ? ch->effective_ms : now_ms,
			   .now = now_ms,
			   .err = err,
			   .errlen = errlen };
	char *detail = unit_change_json(ch);
	sqlite3_stmt *st;
	int rc;

	if (!detail)
		return -ENOMEM;
	if (run(db, "BEGIN IMMEDIATE")) {
		free(detail);
		return -EIO;
	}
	if (sqlite3_prepare_v2(
		    db->db,
		    "INSERT INTO unit_changes (kind, effective_at, detail, by, created_at) VALUES (?, ?, ?, ?, ?)", -1,
		    &st, NULL) != SQLITE_OK) {
		rc = -EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, unit_change_kind_names[ch->kind], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a.at);
	sqlite3_bind_text(st, 3, detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now_ms);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(st);
	a.id = sqlite3_last_insert_rowid(db->db);
	/* checked (and, when due, applied) in a savepoint: a future change's trial run is undone, its row stays */
	if (!rc)
		rc = run(db, "SAVEPOINT trial");
	if (!rc)
		rc = apply(&a);
	if (!rc && a.at > now_ms)
		rc = run(db, "ROLLBACK TO trial");
	if (!rc)
		rc = run(db, "RELEASE trial");
out:
	free(detail);
	otad_db_units_changed(db);
	if (rc || run(db, "COMMIT")) {
		run(db, "ROLLBACK");
		return rc == -EINVAL ? -EINVAL : -EIO;
	}
	*id = a.id;
	return 0;
}

/* The stored change \a id, read and parsed into \a ch. \returns 0; -ENOENT; -EALREADY (applied or failed);
 * -EINVAL (its detail does not parse: \a err); -EIO */
static int load_pending(struct otad_db *db, int64_t id, struct unit_change *ch, int64_t *at, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT detail, effective_at, applied_at FROM unit_changes WHERE id = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 2) != SQLITE_NULL)
		rc = -EALREADY;
	else if (rc == SQLITE_ROW)
		rc = unit_change_parse((const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0),
				       ch, err, errlen);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	*at = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return rc;
}

int otad_db_unit_change_apply(struct otad_db *db, int64_t id, int64_t now_ms, char *err, size_t errlen)
{
	struct unit_change *ch = malloc(sizeof(*ch));
	struct apply a = { .db = db, .ch = ch, .id = id, .now = now_ms, .err = err, .errlen = errlen };
	sqlite3_stmt *st;
	int rc;

	if (!ch)
		return -EIO;
	if (run(db, "BEGIN IMMEDIATE")) {
		free(ch);
		return -EIO;
	}
	rc = load_pending(db, id, ch, &a.at, err, errlen);
	if (!rc)
		rc = apply(&a);
	if (!rc && run(db, "COMMIT"))
		rc = -EIO;
	otad_db_units_changed(db);
	free(ch);
	if (!rc)
		return 0;
	run(db, "ROLLBACK");
	if (rc != -EINVAL)
		return rc;
	/* it does not fit the tree any more: marked failed, for good */
	if (sqlite3_prepare_v2(db->db, "UPDATE unit_changes SET applied_at = ?, error = ? WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_text(st, 2, err, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? -EINVAL : -EIO;
	sqlite3_finalize(st);
	return rc;
}

int otad_db_unit_change_next(struct otad_db *db, int64_t *id, int64_t *effective_ms)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(
		    db->db,
		    "SELECT id, effective_at FROM unit_changes WHERE applied_at IS NULL ORDER BY effective_at,"
		    " id LIMIT 1",
		    -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*effective_ms = sqlite3_column_int64(st, 1);
		rc = 1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

#define CHANGE_COLS                                                                                                  \
	"SELECT id, kind, effective_at, created_at, applied_at, by, detail, error, units_affected, holders_affected" \
	" FROM unit_changes "

static void change_from_row(sqlite3_stmt *st, struct otad_unit_change_row *r)
{
	const char *kind = (const char *)sqlite3_column_text(st, 1);

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	for (int i = 0; kind && i < UNIT_CHANGE_N_KINDS; i++)
		if (!strcmp(kind, unit_change_kind_names[i]))
			r->kind = (enum unit_change_kind)i;
	r->effective_ms = sqlite3_column_int64(st, 2);
	r->created_ms = sqlite3_column_int64(st, 3);
	r->applied_ms = sqlite3_column_int64(st, 4);
	r->by = (const char *)sqlite3_column_text(st, 5);
	r->detail = (const char *)sqlite3_column_text(st, 6);
	r->error = sqlite3_column_type(st, 7) == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, 7) : "";
	r->state = r->error[0]				     ? OTAD_UNIT_CHANGE_FAILED :
		   sqlite3_column_type(st, 4) != SQLITE_NULL ? OTAD_UNIT_CHANGE_APPLIED :
							       OTAD_UNIT_CHANGE_PENDING;
	r->units_affected = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 8);
	r->holders_affected = sqlite3_column_type(st, 9) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 9);
}

int otad_db_unit_change_get(struct otad_db *db, int64_t id, otad_unit_change_cb cb, void *priv)
{
	struct otad_unit_change_row r;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->db, CHANGE_COLS "WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		change_from_row(st, &r);
		cb(&r, priv);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

int otad_db_unit_changes_list(struct otad_db *db, int64_t before_id, unsigned limit, otad_unit_change_cb cb, void *priv)
{
	struct otad_unit_change_row r;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db->db, CHANGE_COLS "WHERE (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, before_id);
	sqlite3_bind_int(st, 2, (int)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		change_from_row(st, &r);
		cb(&r, priv);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int otad_db_unit_change_affected(struct otad_db *db, int64_t change, void (*cb)(const char *unit, void *priv),
				 void *priv)
{
	struct unit_change *ch = malloc(sizeof(*ch));
	char err[160], *roots = NULL, code[OTAD_UNIT_CODE_MAX + 1];
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	if (!ch)
		return -EIO;
	if (sqlite3_prepare_v2(db->db, "SELECT detail, applied_at, error FROM unit_changes WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK) {
		free(ch);
		return -EIO;
	}
	sqlite3_bind_int64(st, 1, change);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW &&
	    (sqlite3_column_type(st, 1) == SQLITE_NULL || sqlite3_column_type(st, 2) != SQLITE_NULL))
		rc = -EAGAIN; /* not in effect (yet, or ever) */
	else if (rc == SQLITE_ROW)
		rc = unit_change_parse((const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0),
				       ch, err, sizeof(err)) ?
			     -EIO :
			     0;
	else
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	sqlite3_finalize(st);
	if (!rc && !(roots = roots_json(ch)))
		rc = -EIO;
	free(ch);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db->db, AFFECTED "SELECT code FROM sub ORDER BY code", -1, &st, NULL) != SQLITE_OK) {
		free(roots);
		return -EIO;
	}
	sqlite3_bind_text(st, 1, roots, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		otad_db_column_text(st, 0, code, sizeof(code));
		cb(code, priv);
		n++;
	}
	sqlite3_finalize(st);
	free(roots);
	return rc == SQLITE_DONE ? n : -EIO;
}
