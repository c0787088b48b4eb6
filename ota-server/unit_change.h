/* A change of the organisation tree, as filed (POST /v1/units/changes, simpki-admin units change): pure reading and
 * checking of its JSON body, every length bounded; what it does to the tree is otad_db_units.c's
 * (otad_db_unit_change_file()). The body is one JSON object (at most UNIT_CHANGE_JSON_MAX bytes, no member twice,
 * no member other than those named) of one of four kinds:
 *
 *   {"kind": "rename", "unit": U, "name": N}
 *       U gets the name N.
 *   {"kind": "merge", "units": [A, B, ...], "into": {"code": C, "name": N}}
 *       2 to UNIT_CHANGE_UNITS_MAX units (distinct, of one kind) become C: C is one of them (N optional: its new
 *       name) or a new unit (N required; it takes the first unit's kind and parent). Every child of the others
 *       moves under C, their holders move to C, and they end (valid_to, successor C).
 *   {"kind": "split", "unit": U, "into": [{"code": C1, "name": N1, "children": [X, ...]}, ...]}
 *       1 to UNIT_CHANGE_UNITS_MAX new units (U's kind, beside U under U's parent) take the children listed
 *       (each a child of U, listed once; at most UNIT_CHANGE_CHILDREN_MAX in all); U keeps its holders and the
 *       children not listed.
 *   {"kind": "move", "unit": U, "parent": P}
 *       U goes under P (not a ward; not U nor under U).
 *
 * and optionally "effective_at": Unix seconds (0 to 2^40) or "YYYY-MM-DDTHH:MM:SSZ"; left out: now. A code is 1 to
 * OTAD_UNIT_CODE_MAX digits; a name 1 to 255 bytes of well-formed UTF-8 without control characters.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otad_db.h"

#define UNIT_CHANGE_JSON_MAX (256u << 10)
#define UNIT_CHANGE_UNITS_MAX 64
#define UNIT_CHANGE_CHILDREN_MAX 4096
#define UNIT_CHANGE_NAME_MAX 255

enum unit_change_kind {
	UNIT_CHANGE_RENAME,
	UNIT_CHANGE_MERGE,
	UNIT_CHANGE_SPLIT,
	UNIT_CHANGE_MOVE,
	UNIT_CHANGE_N_KINDS,
};
extern const char *const unit_change_kind_names[UNIT_CHANGE_N_KINDS]; /* "rename", "merge", "split", "move" */

typedef char unit_code_t[OTAD_UNIT_CODE_MAX + 1];

/* One new unit of a split: its children are children[first .. first + n - 1] of the change. */
struct unit_change_part {
	unit_code_t code;
	char name[UNIT_CHANGE_NAME_MAX + 1];
	size_t first, n;
};

struct unit_change {
	enum unit_change_kind kind;
	int64_t effective_ms;			  /* Unix ms; 0: now (not given) */
	unit_code_t unit;			  /* rename, split, move */
	char name[UNIT_CHANGE_NAME_MAX + 1];	  /* rename: the new name; merge: C's name ("": C keeps its own) */
	unit_code_t parent;			  /* move */
	unit_code_t units[UNIT_CHANGE_UNITS_MAX]; /* merge: A, B, ... */
	size_t n_units;
	unit_code_t into;				      /* merge: C */
	struct unit_change_part parts[UNIT_CHANGE_UNITS_MAX]; /* split */
	size_t n_parts;
	unit_code_t children[UNIT_CHANGE_CHILDREN_MAX]; /* split: every part's children, in order */
	size_t n_children;
};

/*! Read and check a change body into \a ch (about 80 KB: allocate it). \returns 0; -EINVAL with \a err saying
 *  what is wrong */
int unit_change_parse(const char *body, size_t len, struct unit_change *ch, char *err, size_t errlen);
/*! \a ch as the canonical JSON body (effective_at as Unix seconds when set), malloc'd; NULL: out of memory */
char *unit_change_json(const struct unit_change *ch);
/*! Whether \a s is a unit code: 1 to OTAD_UNIT_CODE_MAX digits. */
bool unit_code_ok(const char *s);
