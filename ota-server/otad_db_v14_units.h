/* Schema version 14, the organisation tree's part (owned by otad_units.c and otad_db_units.c):
 *   units gains valid_from INTEGER (Unix ms: since when it is as it stands; NULL: since the tree was loaded),
 *         valid_to INTEGER (Unix ms: when it stopped existing, merged or split away; NULL: current), successor TEXT
 *         (the unit it went into). Kinds widened to otad_unit_kind_names (province, ward, ministry, party-office,
 *         department): the kind is checked by the code, no longer by a CHECK constraint.
 *   unit_changes(id INTEGER PRIMARY KEY, kind TEXT NOT NULL ('rename', 'merge', 'split', 'move'), effective_at
 *         INTEGER NOT NULL (Unix ms), detail TEXT NOT NULL (JSON: what the change says, as it was filed), by TEXT
 *         NOT NULL (the actor's name), created_at INTEGER NOT NULL, applied_at INTEGER (Unix ms; NULL until in
 *         effect, or until it was tried and failed), error TEXT (NULL; why it could not be applied when it fell
 *         due: then it never will be), units_affected, holders_affected INTEGER (counted when applied))
 *         index unit_changes_pending (effective_at) of those not applied
 *   unit_history(code TEXT NOT NULL, change INTEGER NOT NULL REFERENCES unit_changes(id), name TEXT NOT NULL, kind
 *         TEXT NOT NULL, parent TEXT, valid_from INTEGER, valid_to INTEGER NOT NULL)   a unit as it was before a
 *         change; index (code, change).
 */
#pragma once

#define MIGRATION_V14_UNITS                                                                                     \
	"CREATE TABLE units_v14 (code TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"                \
	" parent TEXT REFERENCES units_v14(code), valid_from INTEGER, valid_to INTEGER, successor TEXT);"       \
	"INSERT INTO units_v14 (code, name, kind, parent) SELECT code, name, kind, parent FROM units;"          \
	"DROP TABLE units;"                                                                                     \
	"ALTER TABLE units_v14 RENAME TO units;"                                                                \
	"CREATE INDEX units_parent ON units (parent, code);"                                                    \
	"CREATE TABLE unit_changes (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, effective_at INTEGER NOT NULL," \
	" detail TEXT NOT NULL, by TEXT NOT NULL, created_at INTEGER NOT NULL, applied_at INTEGER, error TEXT," \
	" units_affected INTEGER, holders_affected INTEGER);"                                                   \
	"CREATE INDEX unit_changes_pending ON unit_changes (effective_at) WHERE applied_at IS NULL;"            \
	"CREATE TABLE unit_history (code TEXT NOT NULL, change INTEGER NOT NULL REFERENCES unit_changes(id),"   \
	" name TEXT NOT NULL, kind TEXT NOT NULL, parent TEXT, valid_from INTEGER, valid_to INTEGER NOT NULL);" \
	"CREATE INDEX unit_history_code ON unit_history (code, change);"
