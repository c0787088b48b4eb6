/* Inside simpki-otad's database (otad_db.h): the handle's fields, for the files that implement the interface
 * (otad_db.c, otad_db_enrol.c). Nothing outside them includes this. */
#pragma once
#include <sqlite3.h>

#include "keystore.h"

struct otad_db {
	sqlite3 *db;
	uint8_t mk[KEYSTORE_KEY_LEN];
	struct otad_db_stage *stage; /* the import running, if any (one at a time) */
};
