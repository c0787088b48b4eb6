/* Inside simpki-otad's database (otad_db.h): the handle's fields and the column readers, for the files that
 * implement the interface (otad_db.c, otad_db_campaign.c, otad_db_enrol.c, otad_db_sign.c). Nothing outside them
 * includes this. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "keystore.h"

struct otad_db {
	sqlite3 *db;
	uint8_t mk[KEYSTORE_KEY_LEN];
	struct otad_db_stage *stage;	   /* the import running, if any (one at a time) */
	struct otad_unit_parents *parents; /* otad_db_unit_within()'s cache of the tree (otad_db_units.c); NULL: none */
};

/*! Copy column \a i of the current row, as text, into \a out (size \a max, truncated, NUL-terminated); NULL as "". */
void otad_db_column_text(sqlite3_stmt *st, int i, char *out, size_t max);

/*! Copy column \a i of the current row, a blob, into \a out. \returns its length; 0 when it is NULL, empty or longer
 *  than \a max (then nothing is copied) */
size_t otad_db_column_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t max);

struct otad_unit;
/*! A unit from the columns code, name, kind, parent, valid_from, valid_to, successor (otad_db_units.c). */
void otad_db_unit_from_row(sqlite3_stmt *st, struct otad_unit *u);
/*! The units changed (or may have): otad_db_unit_within()'s cache is dropped, read again when next asked. */
void otad_db_units_changed(struct otad_db *db);
