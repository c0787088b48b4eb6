/* simpki-otad's database: one SQLite file, WAL journal, synchronous FULL (a committed counter survives a power
 * cut), foreign keys on. The schema's version is PRAGMA user_version; otad_db_open() applies the missing
 * migrations in order, each in its own transaction, and refuses a file newer than it knows.
 *
 * Version 1:
 *   batches(id INTEGER PRIMARY KEY, name TEXT NOT NULL, imported_at INTEGER NOT NULL (Unix time),
 *           cards INTEGER NOT NULL, keysets INTEGER NOT NULL)                       one row per import
 *   cards(iccid TEXT PRIMARY KEY, imsi TEXT NOT NULL UNIQUE, msisdn TEXT NOT NULL UNIQUE,
 *         state TEXT NOT NULL DEFAULT 'active', batch INTEGER NOT NULL REFERENCES batches(id),
 *         line INTEGER NOT NULL)                                 the import line that brought the card
 *   keysets(iccid TEXT NOT NULL REFERENCES cards(iccid), kvn INTEGER NOT NULL CHECK (kvn BETWEEN 1 AND 15),
 *           kic_algo TEXT NOT NULL, kid_algo TEXT NOT NULL, kic_len, kid_len, kik_len INTEGER NOT NULL,
 *           sealed BLOB NOT NULL, counter INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (iccid, kvn))
 *     sealed: keystore_seal(KIc | KID | KIK, AAD "keyset ICCID/KVN"); no key is ever stored in clear.
 *     counter: the highest counter handed out for this key set; otad_db_counter_next() commits the next one
 *     before anyone may use it, so a counter is never used twice, whatever crashes.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card_import.h"
#include "keystore.h"

#define OTAD_DB_VERSION 1
#define OTAD_IMPORT_REJECTS_KEPT 1000

struct otad_db;

struct otad_card {
	char iccid[21], imsi[16], msisdn[16];
	char state[16];
	int64_t batch;
	unsigned keysets;
};

/* One key set, opened. Wipe with otad_keyset_wipe() after use. */
struct otad_keyset {
	uint8_t kvn;
	enum card_import_algo kic_algo, kid_algo;
	uint8_t kic[32], kid[32], kik[32];
	uint8_t kic_len, kid_len, kik_len;
	uint64_t counter; /* the last one handed out */
};

struct otad_import_reject {
	unsigned line;
	char reason[CARD_IMPORT_REASON_MAX + 64];
};

struct otad_import_report {
	unsigned cards, keysets;	    /* imported (0 when anything was rejected) */
	unsigned rejected;		    /* lines rejected, all of them */
	struct otad_import_reject *rejects; /* the first OTAD_IMPORT_REJECTS_KEPT of them (talloc array) */
	unsigned n_rejects;
	int64_t batch; /* the new batch's id, when imported */
};

/*! Open (creating it if needed) and migrate the database at \a path; \a mk seals and opens keys. \returns 0;
 *  -EIO with \a err set (SQLite's message); -EPROTO (a newer schema) */
int otad_db_open(void *ctx, const char *path, const uint8_t mk[KEYSTORE_KEY_LEN], struct otad_db **out, char *err,
		 size_t errlen);
void otad_db_close(struct otad_db *db);
int otad_db_version(struct otad_db *db);

/*! Import a vendor file (card_import.h), all or nothing: every line is checked (format, duplicates in the file,
 *  cards and identities already in the database) and reported; nothing is stored unless all lines are good.
 *  \returns 0 (see \a rep: rejected 0 means imported); -EINVAL (no or a bad header: rep->rejects names line 1);
 *  -EIO (database) */
int otad_db_import(struct otad_db *db, void *ctx, const char *csv, size_t len, const char *batch_name,
		   struct otad_import_report *rep);

/*! \returns 0; -ENOENT; -EIO */
int otad_db_card_get(struct otad_db *db, const char *iccid, struct otad_card *card);
int otad_db_card_by_msisdn(struct otad_db *db, const char *msisdn, struct otad_card *card);
/*! The number of cards. \returns >= 0; -EIO */
int64_t otad_db_card_count(struct otad_db *db);

/*! Open key set \a kvn of card \a iccid. \returns 0; -ENOENT; -EBADMSG (the sealed keys do not open: another
 *  master key, or an altered row); -EIO */
int otad_db_keyset_get(struct otad_db *db, const char *iccid, uint8_t kvn, struct otad_keyset *ks);
void otad_keyset_wipe(struct otad_keyset *ks);

/*! The next counter of a key set, committed to the database before it is returned. \returns 0; -ENOENT;
 *  -ERANGE (40 bits used up); -EIO */
int otad_db_counter_next(struct otad_db *db, const char *iccid, uint8_t kvn, uint64_t *cntr);
