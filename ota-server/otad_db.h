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
 * Version 2 (OTA jobs):
 *   jobs(id INTEGER PRIMARY KEY, iccid TEXT NOT NULL REFERENCES cards(iccid), msisdn TEXT NOT NULL,
 *        tar TEXT NOT NULL (6 hex digits), spi TEXT NOT NULL (4), kvn INTEGER NOT NULL, script BLOB NOT NULL,
 *        state TEXT NOT NULL (otad_job_state_names), counter INTEGER (of the last packet sent; NULL before),
 *        attempts INTEGER NOT NULL (packets sent), deadline INTEGER (Unix ms: the PoR is due; NULL unless
 *        waiting), created_at, updated_at INTEGER NOT NULL (Unix ms), por_status INTEGER, por_commands INTEGER,
 *        por_last_sw TEXT, por_last_data TEXT (hex), error TEXT)
 *   job_events(id INTEGER PRIMARY KEY, job INTEGER NOT NULL REFERENCES jobs(id), at INTEGER NOT NULL (Unix ms),
 *              state TEXT NOT NULL, detail TEXT)               every state a job went through, in order
 * A job's row and its event are written in one transaction.
 * Version 3 (operator API):
 *   tokens(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, hash BLOB NOT NULL UNIQUE (SHA-256 of the token),
 *          created_at INTEGER NOT NULL (Unix ms))             bearer tokens besides the administrator's
 * Version 4 (at most once):
 *   jobs gains idempotent INTEGER NOT NULL DEFAULT 1 (the script only reads: it may be sent again),
 *        counters TEXT NOT NULL DEFAULT '' (every try's counter, decimal, comma-separated, oldest first: a PoR of
 *        any of them ends the job), por_authenticated INTEGER (1: the PoR's checksum verified; 0: the card's
 *        unsecured refusal; NULL: no PoR). Index jobs_late (msisdn, id) over the jobs a late PoR may still end
 *        (states timed-out and unknown).
 * Version 5 (keys and restores):
 *   meta(name TEXT PRIMARY KEY, value NOT NULL)            facts about the database itself, by name:
 *     mk_check      keystore_seal("simpki-otad", AAD "master key check"): which master key the key sets are sealed
 *                   under. Written by otad_db_open() when missing (after checking one key set opens), rewritten
 *                   by otad_db_rekey(); otad_db_open() refuses a master key that does not open it.
 *     last_backup   "UNIX-MS PATH": the latest otad_db_backup() of this database (not kept in the copy).
 *     backup_of     "UNIX-MS PATH", only in a copy written by otad_db_backup(): which database it copies, and when.
 *     needs_floor   UNIX-MS of the backup, only in such a copy until the operator confirms its counters
 *                   (otad_db_counter_floor_confirm()): the counters are those of that moment, and the original may
 *                   have used higher ones since. While it is there, otad_db_counter_next() hands out none
 *                   (-ESTALE): reusing a counter would be replayed traffic to a card.
 *     floor_confirmed  UNIX-MS: when needs_floor was last cleared.
 * Restoring a backup: its counters may be behind the cards'. A copy made by otad_db_backup() says so itself
 * (needs_floor), so no packet leaves until each key set's counter is raised above anything the original may have
 * used (otad_db_counter_floor(), otad_db_counter_floor_raise_all(): they only raise) and the operator confirms.
 * Version 6 (a fleet API):
 *   tokens is rebuilt as tokens(id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash BLOB NOT NULL UNIQUE,
 *          role TEXT NOT NULL (otad_role_names), created_at INTEGER NOT NULL, revoked_at INTEGER (Unix ms; NULL:
 *          valid)); a name is unique among the tokens not revoked (index tokens_name); older tokens become
 *          'operator'. A revoked token's row stays, for the record.
 *   cards.state is one of otad_card_states. Indexes for the API's lists: jobs (iccid, id), jobs (state, id),
 *   cards (state, iccid), cards (batch, iccid).
 * Version 7 (delivery mode):
 *   jobs gains mode TEXT NOT NULL DEFAULT 'store' (otad_job_mode_names: 'store', store-and-forward with the
 *        validity period; 'forward', the SMSC's forward (transaction) mode, delivered at once or not at all).
 * Version 8 (streamed imports, otad_import.h):
 *   batches gains state TEXT NOT NULL DEFAULT 'ready' ('importing': an import is staging its cards there; every
 *        card and key set query ignores them until the import publishes the batch); index cards_batch (batch), unless version 6 made it.
 *   imports(id INTEGER PRIMARY KEY, state TEXT NOT NULL (otad_import_state_names), source TEXT NOT NULL ('api',
 *           'vty', 'sync'), name TEXT NOT NULL, batch INTEGER (the staged batch; published when done), lines, cards,
 *           keysets, rejected INTEGER NOT NULL (so far), started_at INTEGER NOT NULL, finished_at INTEGER (Unix
 *           ms; NULL until done, refused or aborted), error TEXT (why it was aborted))
 *   import_rejects(import INTEGER NOT NULL REFERENCES imports(id), line INTEGER NOT NULL, kind TEXT NOT NULL
 *                  (otad_reject_kind_names), reason TEXT NOT NULL)   the first OTAD_IMPORT_REJECTS_KEPT of each
 *   Staging commits every few thousand rows with synchronous NORMAL (a power cut may lose staged rows, which are
 *   worthless until published); publishing is one small transaction with synchronous FULL. A batch still
 *   'importing' when the database is opened (the daemon stopped mid-import) is deleted and its import marked
 *   aborted.
 * Version 9 (holders, their units, certificates per card and key):
 *   units(code TEXT PRIMARY KEY (digits), name TEXT NOT NULL (UTF-8), kind TEXT NOT NULL ('province' or 'ward'),
 *         parent TEXT REFERENCES units(code) (a ward's province; NULL for a province))   the organisation tree's
 *         reference data, loaded from data/provinces.json and wards.json (otad_units.h); a unit is updated in
 *         place when the files change and never deleted (holders refer to it). Index units_parent (parent, code).
 *   holders(id TEXT PRIMARY KEY (the holder's stable id, otad_holder_id_ok()), name TEXT NOT NULL (UTF-8, at most
 *           128 characters), id_number TEXT NOT NULL (1 to 32 letters and digits), unit TEXT NOT NULL REFERENCES
 *           units(code), email TEXT (NULL: none), created_at, updated_at INTEGER NOT NULL (Unix ms)).
 *           Index holders_unit (unit, id).
 *   cards gains holder_id TEXT REFERENCES holders(id) (NULL: nobody's yet); index cards_holder.
 *   certificates(id INTEGER PRIMARY KEY, iccid TEXT NOT NULL REFERENCES cards(iccid), key_id TEXT NOT NULL (which
 *                key of the card: the applet's key reference, 1 to 64 printable characters), serial TEXT NOT NULL
 *                (lower-case hex, no leading zeros but one), profile TEXT NOT NULL, status TEXT NOT NULL
 *                ('issued': the CA issued it; 'loaded': it is on the card; 'revoked'), der BLOB NOT NULL,
 *                not_after INTEGER NOT NULL (Unix s), issued_at INTEGER NOT NULL (Unix ms), revoked_at INTEGER
 *                (Unix ms; NULL unless revoked), reason INTEGER (CRLReason; NULL unless revoked))
 *                Indexes certificates_card (iccid, id), certificates_serial (serial). A revoked certificate stays
 *                revoked.
 *   meta units_sha256: SHA-256 (hex) of provinces.json then wards.json as last loaded.
 * Version 10 (certificates over the air):
 *   jobs gains por_response BLOB (the PoR's whole script response, every R-APDU; NULL: none), so a flow that reads
 *        several files in one packet finds them all.
 *   enrolments(id INTEGER PRIMARY KEY, iccid TEXT NOT NULL REFERENCES cards(iccid), key_id INTEGER NOT NULL (the
 *        key's one-byte PKCS#15 iD), key_ref INTEGER (its slot, once read), profile TEXT NOT NULL, holder TEXT,
 *        state TEXT NOT NULL (otad_enrol_state_names: read, csr, cmp, load, verify, done, failed), job INTEGER (the OTA job of the current step; NULL in cmp and after),
 *        subject BLOB (the DER Name sent to the SIM), p15_id BLOB (the key's PKCS#15 iD), cert_fid INTEGER,
 *        cdf_used INTEGER (where the CDF entry goes), csr BLOB (the SIM's request), certificate BLOB (DER, once
 *        the CA issued it), serial TEXT (hex), cert_row INTEGER (its row in certificates), tries INTEGER, error TEXT (why it failed), created_at, updated_at
 *        INTEGER NOT NULL (Unix ms)). A step's result and the next state are written in one statement before the
 *        next step starts, so a restart resumes each enrolment at its stored step (enrol.h).
 * Version 11 (provisioning campaigns, campaign.h):
 *   jobs gains timeout_s INTEGER NOT NULL DEFAULT 0 (a try's time for its PoR; 0: the configuration's).
 *   enrolments gains txid BLOB (the CMP transactionID, 16 bytes, made once before the first request) and campaign
 *        INTEGER (the campaign that made it; NULL: none).
 *   campaigns(id INTEGER PRIMARY KEY, name TEXT NOT NULL (UTF-8), state TEXT NOT NULL (otad_campaign_state_names),
 *             keys TEXT NOT NULL ("ID:ALG:PROFILE" joined by ';', ALG p256 or rsa2048), personalise INTEGER NOT
 *             NULL, concurrency INTEGER NOT NULL, cards INTEGER NOT NULL (fixed when it is made), created_at,
 *             updated_at INTEGER NOT NULL, ended_at INTEGER (Unix ms; NULL until done, or cancelled and no card
 *             left in a step))
 *   campaign_cards(campaign INTEGER NOT NULL REFERENCES campaigns(id), seq INTEGER NOT NULL (1..cards: the order
 *             cards start in), iccid TEXT NOT NULL REFERENCES cards(iccid), state TEXT NOT NULL
 *             (otad_ccard_state_names), key_index INTEGER NOT NULL (the campaign key being worked on), job INTEGER
 *             (the current step's OTA job; NULL: not made yet), enrolment INTEGER (in enrol), tries INTEGER NOT
 *             NULL (temporary failures), next_try INTEGER NOT NULL (Unix ms; backoff), step TEXT (failed and
 *             cancelled: where it stopped), error TEXT, serials TEXT (hex, comma-separated), updated_at INTEGER NOT
 *             NULL, done_at INTEGER (when it ended), PRIMARY KEY (campaign, seq)); unique (campaign, iccid);
 *             indexes (campaign, state, seq) and (job). A card's state is written before its step sends anything.
 * Version 12 (signing sessions, sign/sign.h):
 *   signatures(id INTEGER PRIMARY KEY, session TEXT NOT NULL UNIQUE (the relying party's sessionID), relying_party
 *             TEXT NOT NULL (its name in the configuration), holder TEXT, iccid TEXT, msisdn TEXT (the card asked;
 *             NULL when none was found), hash_alg TEXT NOT NULL ('SHA256', 'SHA384', 'SHA512'), hash BLOB NOT NULL,
 *             code TEXT NOT NULL (the verification code), text_len INTEGER NOT NULL (bytes of the text shown, in
 *             its encoding), text_dcs INTEGER NOT NULL (4 GSM, 8 UCS2), job INTEGER (the OTA job; NULL before),
 *             state TEXT NOT NULL (otad_sign_state_names), result TEXT (NULL while running; otad_sign_result_names),
 *             signature BLOB (result OK), cert_serial TEXT (hex), created_at INTEGER NOT NULL, sent_at,
 *             answered_at, completed_at INTEGER (Unix ms; NULL until then), tries_left INTEGER (PIN tries the SIM
 *             reported), error TEXT (what went wrong, or a late answer after the session ended))
 *             Indexes (job), (state) of the sessions not complete. Each state change is written when it happens;
 *             sessions still open when the daemon starts are ended (INTERNAL_ERROR: the daemon restarted).
 * Version 13 (SCP81 over BIP, scp81/):
 *   jobs gains bearer TEXT NOT NULL DEFAULT 'sms' ('sms', 'bip', 'auto': what was asked) and via TEXT NOT NULL
 *        DEFAULT 'sms' ('sms' or 'bip': the current try's bearer); states bip-wait and bip-sent are active.
 *   psks(iccid TEXT PRIMARY KEY REFERENCES cards(iccid), kvn INTEGER NOT NULL (0x40), kid INTEGER NOT NULL (1),
 *        psk_len INTEGER NOT NULL (16 or 32), sealed BLOB NOT NULL)
 *     sealed: keystore_seal(PSK, AAD "psk ICCID/KVN"), like the key sets; imported with them (the vendor file's
 *     psk column), re-sealed with them.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card_import.h"
#include "keystore.h"

#define OTAD_DB_VERSION 14
#define OTAD_JOB_SCRIPT_MAX 2048
#define OTAD_POR_RESPONSE_MAX 4096 /* a PoR's script response, at most (a reassembled packet is at most 4096) */
#define OTAD_IMPORT_REJECTS_KEPT 1000
#define OTAD_HOLDER_ID_MAX 64
#define OTAD_HOLDER_NAME_MAX 128 /* characters (UTF-8: up to 4 bytes each) */
#define OTAD_HOLDER_ID_NUMBER_MAX 32
#define OTAD_HOLDER_EMAIL_MAX 254
#define OTAD_UNIT_CODE_MAX 15

struct otad_db;

struct otad_card {
	char iccid[21], imsi[16], msisdn[16];
	char state[16];
	int64_t batch;
	unsigned keysets;
	char holder[OTAD_HOLDER_ID_MAX + 1]; /* "" : nobody's yet */
};

/* One key set, opened. Wipe with otad_keyset_wipe() after use. */
struct otad_keyset {
	uint8_t kvn;
	enum card_import_algo kic_algo, kid_algo;
	uint8_t kic[32], kid[32], kik[32];
	uint8_t kic_len, kid_len, kik_len;
	uint64_t counter; /* the last one handed out */
};

/* Why a line was rejected: its format; a clash with another line of the file; a clash with the database (the only
 * kind that is a conflict in the HTTP sense). */
enum otad_reject_kind {
	OTAD_REJECT_FORMAT,
	OTAD_REJECT_FILE,
	OTAD_REJECT_DATABASE,
	OTAD_REJECT_N_KINDS,
};
extern const char *const otad_reject_kind_names[OTAD_REJECT_N_KINDS];

struct otad_import_reject {
	unsigned line;
	enum otad_reject_kind kind;
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
 *  -EIO with \a err set (SQLite's message); -EPROTO (a newer schema); -EBADMSG (\a mk is not the master key the
 *  key sets are sealed under, meta mk_check) */
int otad_db_open(void *ctx, const char *path, const uint8_t mk[KEYSTORE_KEY_LEN], struct otad_db **out, char *err,
		 size_t errlen);
void otad_db_close(struct otad_db *db);
int otad_db_version(struct otad_db *db);
/*! Group many writes in one transaction (one commit, one sync, instead of one each): otad_db_batch_begin(), then
 *  calls that do not open a transaction themselves (otad_db_card_set_holder(), otad_db_cert_insert(),
 *  otad_db_cert_set_status(), ...), then otad_db_batch_commit(). For bulk loaders (bench/lifecycle-seed.c); what
 *  the batch wrote is on disk only after the commit. \returns 0; -EIO (begin: a transaction is open; commit: it
 *  failed, and everything since the begin is rolled back) */
int otad_db_batch_begin(struct otad_db *db);
int otad_db_batch_commit(struct otad_db *db);

/*! Import a vendor file (card_import.h) held whole in memory, all or nothing, synchronously (tests, fuzzing; the
 *  daemon streams with otad_import.h, which this runs): every line is checked (format, duplicates in the file,
 *  cards and identities already in the database) and reported; nothing is stored unless all lines are good.
 *  \returns 0 (see \a rep: rejected 0 means imported); -EINVAL (no or a bad header: rep->rejects names line 1);
 *  -EBUSY (another import is running); -EIO (database). Implemented in otad_import.c. */
int otad_db_import(struct otad_db *db, void *ctx, const char *csv, size_t len, const char *batch_name,
		   struct otad_import_report *rep);

/* A card's states: only an active card gets jobs; a retired card stays retired. */
enum otad_card_state {
	OTAD_CARD_ACTIVE,
	OTAD_CARD_SUSPENDED, /* held for now (the holder asked, an investigation) */
	OTAD_CARD_LOST,	     /* reported lost or stolen */
	OTAD_CARD_RETIRED,   /* out of service for good */
	OTAD_CARD_N_STATES,
};
extern const char *const otad_card_states[OTAD_CARD_N_STATES];
/*! \returns enum otad_card_state; -EINVAL (no such state) */
int otad_card_state_of(const char *name);
/*! Set card \a iccid's state; its state before goes to \a old. \returns 0 (also when it was already so); -ENOENT;
 *  -EPERM (the card is retired); -EINVAL; -EIO */
int otad_db_card_set_state(struct otad_db *db, const char *iccid, int state, char old[16]);

/* A page of cards, by ICCID, after \a after_iccid. */
struct otad_card_filter {
	const char *state;	 /* NULL: any */
	int64_t batch;		 /* 0: any */
	const char *after_iccid; /* the cursor: cards after this ICCID; NULL: from the first */
	unsigned limit;
};
/*! Call \a cb for each card of the page. \returns how many; -EIO */
int otad_db_cards_list(struct otad_db *db, const struct otad_card_filter *f,
		       void (*cb)(const struct otad_card *card, void *priv), void *priv);

/* ---- streamed imports: the engine is otad_import.h; its SQL is here ---- */

enum otad_import_state {
	OTAD_IMPORT_RECEIVING, /* lines arrive and are checked and staged */
	OTAD_IMPORT_FINISHING, /* refused or aborted: the staged rows are being deleted */
	OTAD_IMPORT_DONE,      /* over: the batch is published */
	OTAD_IMPORT_REFUSED,   /* over: a line was rejected; nothing imported */
	OTAD_IMPORT_ABORTED,   /* over: the upload broke off, or the daemon stopped or failed; nothing imported */
	OTAD_IMPORT_N_STATES,
};
extern const char *const otad_import_state_names[OTAD_IMPORT_N_STATES];

struct otad_import_status {
	int64_t id;
	enum otad_import_state state;
	char source[8], name[128];
	unsigned lines, cards, keysets, rejected; /* lines read, cards and key sets staged, lines rejected so far */
	int64_t batch;				  /* the published batch (done); 0 otherwise */
	int64_t started_ms, finished_ms;	  /* Unix ms; finished 0: not yet */
	char error[128];			  /* why it was aborted */
};

/* An import's staging: its row in imports, its batch marked 'importing', its statements. At most one at a time. */
struct otad_db_stage;

/*! Start staging (a talloc child of \a ctx, which must not outlive \a db). \returns 0; -EBUSY (one is running);
 *  -ENOMEM; -EIO */
int otad_db_stage_begin(struct otad_db *db, void *ctx, const char *name, const char *source, struct otad_db_stage **out,
			int64_t *id);
/*! Check a parsed row against the file so far and the database, and stage it (its keys sealed).
 *  \returns 0; -EINVAL (rejected and recorded); -EIO */
int otad_db_stage_row(struct otad_db_stage *sg, const struct card_import_row *r, unsigned line);
/*! Record a rejected line. \returns 0; -EIO */
int otad_db_stage_reject(struct otad_db_stage *sg, unsigned line, enum otad_reject_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*! Commit what is staged, with the progress (\a lines read). \returns 0; -EIO */
int otad_db_stage_commit(struct otad_db_stage *sg, unsigned lines);
/*! The file is complete: \returns 1 published (import done); 0 refused (state finishing: drop, then end); -EIO */
int otad_db_stage_finish(struct otad_db_stage *sg, unsigned lines);
/*! Delete up to \a max staged cards and their key sets; the batch itself with the last. \returns 1 more to do;
 *  0 all gone; -EIO */
int otad_db_stage_drop(struct otad_db_stage *sg, unsigned max);
/*! Record the final state (with \a error, or NULL) and free the stage. \returns 0; -EIO */
int otad_db_stage_end(struct otad_db_stage *sg, enum otad_import_state state, const char *error);

/*! \returns 0; -ENOENT; -EIO */
int otad_db_import_get(struct otad_db *db, int64_t id, struct otad_import_status *st);
/*! Call \a cb for each kept rejected line of import \a id, by line. \returns 0; -EIO */
int otad_db_import_rejects(struct otad_db *db, int64_t id, void (*cb)(const struct otad_import_reject *r, void *priv),
			   void *priv);
/*! Call \a cb for the \a max latest imports, newest first. \returns 0; -EIO */
int otad_db_imports_recent(struct otad_db *db, unsigned max, void (*cb)(const struct otad_import_status *s, void *priv),
			   void *priv);

/*! \returns 0; -ENOENT; -EIO */
int otad_db_card_get(struct otad_db *db, const char *iccid, struct otad_card *card);
int otad_db_card_by_msisdn(struct otad_db *db, const char *msisdn, struct otad_card *card);
/*! The number of cards. \returns >= 0; -EIO */
int64_t otad_db_card_count(struct otad_db *db);

/*! Open key set \a kvn of card \a iccid. \returns 0; -ENOENT; -EBADMSG (the sealed keys do not open: another
 *  master key, or an altered row); -EIO */
int otad_db_keyset_get(struct otad_db *db, const char *iccid, uint8_t kvn, struct otad_keyset *ks);
void otad_keyset_wipe(struct otad_keyset *ks);

#define OTAD_PSK_KVN 0x40 /* the SCP81 key set of every card's PSK (GlobalPlatform Amendment B: 40..4F) */
#define OTAD_PSK_KID 0x01
/*! Open card \a iccid's SCP81 PSK into \a psk (the caller wipes it), its key version and id into *kvn, *kid (each may
 *  be NULL). A card still being imported has none. \returns its length; -ENOENT; -EBADMSG (does not open); -E2BIG;
 *  -EIO */
int otad_db_psk_get(struct otad_db *db, const char *iccid, uint8_t *psk, size_t max, uint8_t *kvn, uint8_t *kid);

/* What the database says of a key set, keys left sealed. */
struct otad_keyset_info {
	uint8_t kvn;
	char kic_algo[8], kid_algo[8];
	uint8_t kic_len, kid_len, kik_len;
	uint64_t counter; /* the last one handed out */
};
/*! Call \a cb for each key set of card \a iccid, by KVN. \returns how many; -EIO */
int otad_db_keysets_info(struct otad_db *db, const char *iccid,
			 void (*cb)(const struct otad_keyset_info *ks, void *priv), void *priv);

/*! The next counter of a key set, committed to the database before it is returned. \returns 0; -ENOENT;
 *  -ERANGE (40 bits used up); -ESTALE (a restored copy whose counters are not confirmed yet: otad_db_needs_floor());
 *  -EIO */
int otad_db_counter_next(struct otad_db *db, const char *iccid, uint8_t kvn, uint64_t *cntr);
/* ---- keys and restores ---- */

#define OTAD_COUNTER_MAX 1099511627775ULL /* 40 bits (TS 102 225: a 5-byte counter) */

/*! Re-seal every key set under \a new_mk in one transaction (on any failure nothing changes), then seal and open
 *  with \a new_mk from now on; the old sealed values are overwritten (secure_delete) and the WAL is truncated, so
 *  the old master key opens nothing in this database any more (it still opens copies made before).
 *  \returns how many key sets were re-sealed; -EINVAL (\a new_mk is the current key); -EBADMSG (a key set does
 *  not open with the current key: nothing changed); -EIO */
int64_t otad_db_rekey(struct otad_db *db, const uint8_t new_mk[KEYSTORE_KEY_LEN]);

/*! Write a consistent copy of the database to \a path while it is in use (SQLite's online backup API): into
 *  "PATH.tmp" (made mode 0600), marked as a copy (meta backup_of and needs_floor), fsync'ed, then renamed to
 *  \a path, and the directory fsync'ed. The database itself records it (meta last_backup).
 *  \returns 0; -EEXIST (\a path exists and not \a overwrite); -ENAMETOOLONG; -EIO or -errno, \a err says why */
int otad_db_backup(struct otad_db *db, const char *path, bool overwrite, char *err, size_t errlen);

/*! Read a meta value as text (see the schema above). \returns 0; -ENOENT; -EIO */
int otad_db_meta_get(struct otad_db *db, const char *name, char *buf, size_t len);

/*! Whether the database is a restored copy whose counters are not confirmed yet: then no counter is handed out
 *  (otad_db_counter_next() says -ESTALE) and no packet can be sent. \returns 1 yes; 0 no; -EIO */
int otad_db_needs_floor(struct otad_db *db);

/*! Raise the counter of key set \a kvn of card \a iccid to \a floor: the next one handed out is floor + 1.
 *  Only raising. \returns 0; -ENOENT; -ERANGE (\a floor is not above the counter, or beyond OTAD_COUNTER_MAX);
 *  -EIO */
int otad_db_counter_floor(struct otad_db *db, const char *iccid, uint8_t kvn, uint64_t floor);

/*! Add \a by to the counter of every key set, in one transaction. \returns how many key sets; -ERANGE (\a by is 0,
 *  or a counter would pass OTAD_COUNTER_MAX: nothing changed); -EIO */
int64_t otad_db_counter_floor_raise_all(struct otad_db *db, uint64_t by);

/*! Mark the database as a restored copy whose counters must be raised and confirmed (meta needs_floor), as
 *  otad_db_backup() marks its copies: for a database restored by other means (a file system snapshot, a copy of
 *  the file). \returns 0; -EIO */
int otad_db_counter_floor_require(struct otad_db *db);

/*! The operator confirms the counters of a restored copy: counters are handed out again (meta needs_floor is
 *  removed, floor_confirmed set). \returns 0; -EALREADY (no confirmation was needed); -EIO */
int otad_db_counter_floor_confirm(struct otad_db *db);

/* ---- OTA jobs ---- */

/* A job's states (otad_job.h says what each means and which lead where). Stored by name. */
enum otad_job_state {
	OTAD_JOB_QUEUED,
	OTAD_JOB_SUBMITTED, /* handed to the SMSC link */
	OTAD_JOB_DELIVERED, /* the SMSC accepted every part (submit_sm_resp OK) */
	OTAD_JOB_POR_OK,    /* over: a verified PoR with status 00 */
	OTAD_JOB_POR_ERROR, /* over: a PoR with another status (verified, or the card's unsecured refusal) */
	OTAD_JOB_TIMED_OUT, /* over: no PoR after the last try (a late PoR still ends it) */
	OTAD_JOB_RETRYING,  /* sent again with a new counter shortly */
	OTAD_JOB_FAILED,    /* over: the SMSC refused it for good, or it cannot be built */
	OTAD_JOB_UNKNOWN,   /* over: a job that must not run twice got no PoR in time (a late PoR still ends it) */
	OTAD_JOB_CANCELLED, /* over: cancelled by an operator before any of its SMS left for the SMSC */
	OTAD_JOB_BIP_WAIT,  /* SCP81: the card took the push; its admin agent is to open a session and ask */
	OTAD_JOB_BIP_SENT,  /* SCP81: the script was handed to the card's session; its response is due */
	OTAD_JOB_N_STATES,
};
extern const char *const otad_job_state_names[OTAD_JOB_N_STATES];
/*! Whether a job in state \a s is over: nothing more is sent (a late PoR may still end a timed-out or unknown
 *  job, otad_job.h). */
bool otad_job_state_final(enum otad_job_state s);

/* How the SMSC handles a job's SMS (SMPP esm_class message mode). Stored by name. */
enum otad_job_mode {
	OTAD_JOB_MODE_DEFAULT, /* only in struct otad_job_opts: the configuration's (otad_job_cfg.mode) */
	OTAD_JOB_MODE_STORE,   /* store-and-forward (mode 3): kept for the validity period, delivered when it can be */
	OTAD_JOB_MODE_FORWARD, /* forward (mode 2): paged and delivered at once, never stored; the submit_sm_resp
				* comes after the attempt and says whether the phone took it */
	OTAD_JOB_N_MODES,
};
extern const char *const otad_job_mode_names[OTAD_JOB_N_MODES];

/* How a job's script reaches the card (otad_job.h, "Bearers"). Stored by name. */
enum otad_job_bearer {
	OTAD_JOB_BEARER_DEFAULT, /* only in struct otad_job_opts: the configuration's (otad_job_cfg.bearer) */
	OTAD_JOB_BEARER_SMS,	 /* the script in the secured SMS (SCP80) */
	OTAD_JOB_BEARER_BIP,	 /* a push SMS, then the script over the card's SCP81 session (BIP, TLS-PSK) */
	OTAD_JOB_BEARER_AUTO,	 /* BIP for large scripts and responses when the card has a PSK, else SMS; SMS
				  * again when the BIP session never asked for the script */
	OTAD_JOB_N_BEARERS,
};
extern const char *const otad_job_bearer_names[OTAD_JOB_N_BEARERS];

/* What the creator of a job may choose beyond its card, TAR and script; 0 (each field) takes the configuration's
 * default (otad_job.h, otad_job_cfg). POST /v1/jobs's "mode", "spi" and "kvn". */
struct otad_job_opts {
	enum otad_job_mode mode;
	bool has_spi;
	uint8_t spi[2];
	uint8_t kvn;	    /* 1..15; 0: the default */
	unsigned timeout_s; /* a try's time for its PoR; 0: the default (otad_job_cfg.timeout_s) */
	enum otad_job_bearer bearer;
};

#define OTAD_JOB_MAX_TRIES 11 /* the first and at most 10 retries */

struct otad_job_row {
	int64_t id;
	char iccid[21], msisdn[16];
	uint8_t tar[3], spi[2], kvn;
	enum otad_job_mode mode; /* store or forward, never default */
	uint8_t script[OTAD_JOB_SCRIPT_MAX];
	size_t script_len;
	bool idempotent; /* running the script twice does no harm (it only reads): it may be sent again */
	enum otad_job_state state;
	unsigned timeout_s; /* a try's time for its PoR; 0: the configuration's (otad_job_cfg.timeout_s) */
	uint64_t counter;   /* the latest try's: 0, none yet */
	uint64_t
		counters[OTAD_JOB_MAX_TRIES]; /* every try's counter, oldest first: a PoR of any of them ends the job */
	unsigned attempts;		      /* tries sent, and counters[] used */
	int64_t deadline_ms;		      /* 0: none */
	int64_t created_ms, updated_ms;
	int por_status;	       /* -1: no PoR */
	int por_authenticated; /* -1: no PoR; 1: its checksum verified; 0: the card's unsecured refusal */
	int por_commands;      /* -1: no script response */
	uint16_t por_last_sw;
	uint8_t por_last_data[256];
	size_t por_last_len;
	uint8_t por_response[OTAD_POR_RESPONSE_MAX]; /* the PoR's whole script response (every R-APDU) */
	size_t por_response_len;		     /* 0: none */
	char error[128];
	uint32_t smpp_status; /* in memory only, for otad_job_final_cb: the SMPP status of a forward submit the SMSC
			       * refused (job failed); 0 otherwise */
	enum otad_job_bearer bearer; /* sms, bip or auto: what its creator asked for (never default) */
	enum otad_job_bearer via;    /* sms or bip: the bearer of the current try (auto decides it when the job is
				      * made, and falls back to sms) */
};

/*! Store a new job (its id is set). \returns 0; -EIO */
int otad_db_job_insert(struct otad_db *db, struct otad_job_row *job);
/*! Store the job's state and results and an event with \a detail, in one transaction. \returns 0; -EIO */
int otad_db_job_update(struct otad_db *db, struct otad_job_row *job, const char *detail);
/*! \returns 0; -ENOENT; -EIO */
int otad_db_job_get(struct otad_db *db, int64_t id, struct otad_job_row *job);
/*! Call \a cb for every job not in a final state, oldest first. \returns 0; -EIO */
int otad_db_jobs_active(struct otad_db *db, void (*cb)(const struct otad_job_row *job, void *priv), void *priv);
/*! Call \a cb for the jobs to \a msisdn that a late PoR may still end (timed-out, unknown), newest first, at most
 *  \a max of them; \a cb returns true to stop. \returns 0; -EIO */
int otad_db_jobs_late(struct otad_db *db, const char *msisdn, unsigned max,
		      bool (*cb)(const struct otad_job_row *job, void *priv), void *priv);
/* A page of jobs, newest first. */
struct otad_job_filter {
	const char *iccid; /* NULL: any */
	int state;	   /* enum otad_job_state; -1: any */
	int64_t since_ms;  /* created at or after (Unix ms); 0: any */
	int64_t before_id; /* the cursor: jobs older than this id; 0: from the newest */
	unsigned limit;
};
/*! Call \a cb for each job of the page. \returns how many; -EIO */
int otad_db_jobs_list(struct otad_db *db, const struct otad_job_filter *f,
		      void (*cb)(const struct otad_job_row *job, void *priv), void *priv);
/*! How many jobs are in each state (\a n: OTAD_JOB_N_STATES counts). \returns 0; -EIO */
int otad_db_job_counts(struct otad_db *db, int64_t *n);
int64_t otad_now_ms(void);

/* ---- API tokens (only their SHA-256 is stored) ---- */

/* What a token may do (the whole table: otad_perm.h): read-only reads; operator (the telecom operator) also
 * imports cards, makes and cancels jobs and campaigns, sets card states; admin may do everything, tokens and the
 * database included; central-ra registers holders and manages their certificates over the whole tree; unit-ra the
 * same inside its scope; counter unblocks PINs, suspends and files requests inside its scope; auditor reads and
 * verifies the audit trail. A token's scope is a unit: it acts on that unit and everything under it. */
enum otad_role {
	OTAD_ROLE_READ_ONLY,
	OTAD_ROLE_OPERATOR,
	OTAD_ROLE_ADMIN,
	OTAD_ROLE_CENTRAL_RA,
	OTAD_ROLE_UNIT_RA,
	OTAD_ROLE_COUNTER,
	OTAD_ROLE_AUDITOR,
	OTAD_N_ROLES,
};
extern const char *const otad_role_names[OTAD_N_ROLES];
/*! \returns enum otad_role; -EINVAL */
int otad_role_of(const char *name);

struct otad_token {
	int64_t id;
	char name[65];
	enum otad_role role;
	char scope[OTAD_UNIT_CODE_MAX + 1]; /* a unit: the token acts on it and its subtree; "": the whole tree */
	int64_t created_ms, revoked_ms;	    /* revoked_ms 0: valid */
};

/*! A token of \a role acting on unit \a scope and under it (NULL or "": the whole tree; the caller checks that
 *  the unit exists). \returns 0; -EEXIST (a valid token has the name); -EIO */
int otad_db_token_add(struct otad_db *db, const char *name, const uint8_t hash[32], enum otad_role role,
		      const char *scope);
/*! The valid (not revoked) token whose SHA-256 is \a hash. \returns 0; -ENOENT; -EIO */
int otad_db_token_lookup(struct otad_db *db, const uint8_t hash[32], struct otad_token *t);
/*! Every token, oldest first; revoked ones too when \a revoked_too. \returns 0; -EIO */
int otad_db_tokens_list(struct otad_db *db, bool revoked_too, void (*cb)(const struct otad_token *t, void *priv),
			void *priv);
/*! \returns 0; -ENOENT (no valid token of that name); -EIO */
int otad_db_token_revoke(struct otad_db *db, const char *name);

/* ---- the organisation tree's units, holders (version 9) ---- */

enum otad_unit_kind {
	OTAD_UNIT_PROVINCE,
	OTAD_UNIT_WARD,		/* a commune, ward or special zone of a province */
	OTAD_UNIT_MINISTRY,	/* a ministry or central body */
	OTAD_UNIT_PARTY_OFFICE, /* a party office (central or provincial) */
	OTAD_UNIT_DEPARTMENT,	/* a department of a province or a ministry (e.g. science and technology) */
	OTAD_UNIT_N_KINDS,
};
extern const char *const otad_unit_kind_names[OTAD_UNIT_N_KINDS];

struct otad_unit {
	char code[OTAD_UNIT_CODE_MAX + 1]; /* digits */
	char name[256];			   /* UTF-8 */
	enum otad_unit_kind kind;
	char parent[OTAD_UNIT_CODE_MAX + 1];	/* a ward's province; "" for a province */
	int64_t valid_from_ms;			/* Unix ms: since when it is as it stands; 0: since it was loaded */
	int64_t valid_to_ms;			/* Unix ms: when it ended (merged or split away); 0: current */
	char successor[OTAD_UNIT_CODE_MAX + 1]; /* the unit it went into; "": none */
};

/*! Insert or update \a n units (parents before their children) and set meta units_sha256 to \a sha256_hex, in one
 *  transaction; units not in the list stay, and so does every unit a unit change touched (it has history, or it
 *  ended): the files never undo a change. \returns 0; -EINVAL (a parent unknown); -EIO */
int otad_db_units_put(struct otad_db *db, const struct otad_unit *units, size_t n, const char *sha256_hex);
/*! \returns how many units of \a kind (-1: any); -EIO */
int64_t otad_db_units_count(struct otad_db *db, int kind);
/*! \returns 0; -ENOENT; -EIO */
int otad_db_unit_get(struct otad_db *db, const char *code, struct otad_unit *u);
/*! Is \a unit \a scope or under it (its parent, its parent's parent, ...)? \a scope "" or NULL: the whole tree,
 *  always. \returns 1; 0 (not, or \a unit NULL, "" or unknown); -EIO */
int otad_db_unit_within(struct otad_db *db, const char *unit, const char *scope);
/*! The units whose holders' subjects change through unit change \a change (its units, and every unit under them,
 *  as they are after it), each once, by code: a rename's or move's unit, a merge's C, a split's new units, and
 *  every current unit under them. \returns how many; -ENOENT (no such change); -EAGAIN (not applied: pending, or
 *  failed); -EIO. Declared with the rest of the tree's functions in otad_db_units.h (otad_db_units.c). */
int otad_db_unit_change_affected(struct otad_db *db, int64_t change, void (*cb)(const char *unit, void *priv),
				 void *priv);

struct otad_holder {
	char id[OTAD_HOLDER_ID_MAX + 1];
	char name[OTAD_HOLDER_NAME_MAX * 4 + 1];
	char id_number[OTAD_HOLDER_ID_NUMBER_MAX + 1];
	char unit[OTAD_UNIT_CODE_MAX + 1];
	char email[OTAD_HOLDER_EMAIL_MAX + 1]; /* "": none */
	int64_t created_ms, updated_ms;
};

/*! Store a new holder (checked by the caller: holder.h). \returns 0; -EEXIST (the id is taken); -ENXIO (no such
 *  unit); -EIO */
int otad_db_holder_add(struct otad_db *db, const struct otad_holder *h);
/*! Store \a n new holders in one transaction, each by itself: \a rc[i] is 0, -EEXIST or -ENXIO as
 *  otad_db_holder_add() says. \returns how many were stored; -EIO (then none is) */
int otad_db_holders_add_many(struct otad_db *db, const struct otad_holder *h, size_t n, int *rc);
/*! \returns 0; -ENOENT; -EIO */
int otad_db_holder_get(struct otad_db *db, const char *id, struct otad_holder *h);
/* A page of holders, by id. */
struct otad_holder_filter {
	const char *unit;     /* NULL: any; a province's code also takes its wards' holders */
	const char *after_id; /* the cursor; NULL: from the first */
	unsigned limit;
};
/*! Call \a cb for each holder of the page. \returns how many; -EIO */
int otad_db_holders_list(struct otad_db *db, const struct otad_holder_filter *f,
			 void (*cb)(const struct otad_holder *h, void *priv), void *priv);
/*! \returns how many holders; -EIO */
int64_t otad_db_holder_count(struct otad_db *db);
/*! Link card \a iccid to holder \a holder_id (NULL: unlink). \returns 0; -ENOENT (no such card); -ENXIO (no such
 *  holder); -EIO */
int otad_db_card_set_holder(struct otad_db *db, const char *iccid, const char *holder_id);

/* ---- certificates per card and key (version 9) ---- */

enum otad_cert_status {
	OTAD_CERT_ISSUED,  /* the CA issued it */
	OTAD_CERT_LOADED,  /* it is on the card */
	OTAD_CERT_REVOKED, /* for good */
	OTAD_CERT_N_STATUS,
};
extern const char *const otad_cert_status_names[OTAD_CERT_N_STATUS];
/*! \returns enum otad_cert_status; -EINVAL */
int otad_cert_status_of(const char *name);

#define OTAD_CERT_KEY_ID_MAX 64
#define OTAD_CERT_PROFILE_MAX 64
#define OTAD_CERT_DER_MAX 16384

struct otad_cert {
	int64_t id;
	char iccid[21];
	char key_id[OTAD_CERT_KEY_ID_MAX + 1];
	char serial[41]; /* hex, lower case: at most 20 bytes (RFC 5280) */
	char profile[OTAD_CERT_PROFILE_MAX + 1];
	enum otad_cert_status status;
	const uint8_t *der; /* otad_db_certs_list(): valid during the callback only */
	size_t der_len;
	int64_t not_after;	       /* Unix s */
	int64_t issued_ms, revoked_ms; /* revoked_ms 0: not revoked */
	int reason;		       /* CRLReason when revoked; -1 otherwise */
};

/*! Store a certificate of card \a c->iccid (status, serial, not_after, der and key_id as given; issued_ms 0: now);
 *  its id is set. \returns 0; -ENOENT (no such card); -EINVAL (a DER too large); -EIO */
int otad_db_cert_insert(struct otad_db *db, struct otad_cert *c);
/*! Set certificate \a id's status: loaded, or revoked with \a reason (CRLReason; revoked_at now). \returns 0;
 *  -ENOENT; -EPERM (it is revoked: it stays so); -EINVAL; -EIO */
int otad_db_cert_set_status(struct otad_db *db, int64_t id, enum otad_cert_status status, int reason);
/*! Call \a cb for every certificate of card \a iccid, oldest first. \returns how many; -EIO */
int otad_db_certs_list(struct otad_db *db, const char *iccid, void (*cb)(const struct otad_cert *c, void *priv),
		       void *priv);

/* ---- certificate enrolments over the air (enrol.h): one row per request, its step stored before each next one ---- */

enum otad_enrol_state {
	OTAD_ENROL_READ,   /* the read job: the card's PKCS#15 objects (the key's slot, the CDF) */
	OTAD_ENROL_CSR,	   /* the csr job: the SIM builds and signs its certificate request */
	OTAD_ENROL_CMP,	   /* the request is with the CA (CMP p10cr through the RA) */
	OTAD_ENROL_LOAD,   /* the load job: the certificate file and its CDF entry */
	OTAD_ENROL_VERIFY, /* the verify job: the certificate read back from the SIM */
	OTAD_ENROL_DONE,   /* over: the SIM holds the certificate, read back equal */
	OTAD_ENROL_FAILED, /* over: error says why */
	OTAD_ENROL_N_STATES,
};
extern const char *const otad_enrol_state_names[OTAD_ENROL_N_STATES];

#define OTAD_ENROL_SUBJECT_MAX 512
#define OTAD_ENROL_CSR_MAX 2048
#define OTAD_ENROL_CERT_MAX 2048

struct otad_enrol_row {
	int64_t id;
	char iccid[21];
	uint8_t key_id;	  /* the key's PKCS#15 iD (one byte, as simpki-tool's --id and OpenSC show it) */
	int key_ref;	  /* its slot on the card (from the PrKDF); -1 until read */
	char profile[65]; /* the CA's certificate profile */
	char holder[65];  /* the holder's id ("" when the card has none) */
	enum otad_enrol_state state;
	int64_t job; /* the current step's OTA job; 0: none */
	uint8_t subject[OTAD_ENROL_SUBJECT_MAX];
	size_t subject_len;
	uint8_t p15_id[32];
	size_t p15_id_len;
	uint16_t cert_fid;
	uint32_t cdf_used;
	uint8_t csr[OTAD_ENROL_CSR_MAX];
	size_t csr_len;
	uint8_t cert[OTAD_ENROL_CERT_MAX];
	size_t cert_len;
	char serial[41];  /* hex; "" until issued */
	int64_t cert_row; /* its row in certificates; 0 until issued */
	unsigned tries;	  /* tries of the current step (a temporary failure is tried again, enrol.h) */
	uint8_t txid[16]; /* the CMP transactionID of the request, made once before the first is sent: every
			   * request for this enrolment carries it, so the CA answers a repeat with the same certificate */
	size_t txid_len;  /* 0 or 16 */
	int64_t campaign; /* the campaign it is part of (campaign.h); 0: none */
	char error[192];
	int64_t created_ms, updated_ms;
};

/*! Store a new enrolment (its id is set). \returns 0; -EIO */
int otad_db_enrol_insert(struct otad_db *db, struct otad_enrol_row *e);
/*! Store every field of \a e. \returns 0; -ENOENT; -EIO */
int otad_db_enrol_update(struct otad_db *db, struct otad_enrol_row *e);
/*! \returns 0; -ENOENT; -EIO */
int otad_db_enrol_get(struct otad_db *db, int64_t id, struct otad_enrol_row *e);
/*! Call \a cb for every enrolment not over, oldest first. \returns 0; -EIO */
int otad_db_enrols_active(struct otad_db *db, void (*cb)(const struct otad_enrol_row *e, void *priv), void *priv);
/*! Call \a cb for \a iccid's enrolments, newest first, at most \a max. \returns how many; -EIO */
int otad_db_enrols_of_card(struct otad_db *db, const char *iccid, unsigned max,
			   void (*cb)(const struct otad_enrol_row *e, void *priv), void *priv);
/*! The newest enrolment of campaign \a campaign for key \a key_id of card \a iccid. \returns 0; -ENOENT; -EIO */
int otad_db_enrol_of_campaign(struct otad_db *db, int64_t campaign, const char *iccid, uint8_t key_id,
			      struct otad_enrol_row *e);

/* ---- provisioning campaigns (campaign.h): one row per campaign, one per card in it ---- */

enum otad_campaign_state {
	OTAD_CAMPAIGN_RUNNING,	 /* cards start, up to its concurrency */
	OTAD_CAMPAIGN_PAUSED,	 /* no card starts a new step; resume goes on where each card stopped */
	OTAD_CAMPAIGN_DONE,	 /* over: every card is active, skipped or failed */
	OTAD_CAMPAIGN_CANCELLED, /* over: no card starts a new step; each ends as it is (cancelled, or its step done) */
	OTAD_CAMPAIGN_N_STATES,
};
extern const char *const otad_campaign_state_names[OTAD_CAMPAIGN_N_STATES];

#define OTAD_CAMPAIGN_KEYS_MAX 4
#define OTAD_CAMPAIGN_NAME_MAX 128

struct otad_campaign_key {
	uint8_t id;	  /* the key's PKCS#15 iD (1..255) */
	bool rsa;	  /* RSA-2048; false: P-256 */
	char profile[65]; /* the CA's certificate profile */
};

struct otad_campaign {
	int64_t id;
	char name[OTAD_CAMPAIGN_NAME_MAX + 1]; /* UTF-8 */
	enum otad_campaign_state state;
	struct otad_campaign_key keys[OTAD_CAMPAIGN_KEYS_MAX];
	unsigned n_keys;  /* 1..OTAD_CAMPAIGN_KEYS_MAX */
	bool personalise; /* create the PKCS#15 structure on a SIM that lacks it */
	unsigned concurrency;
	unsigned cards;				  /* how many cards it has (fixed when it is made) */
	int64_t created_ms, updated_ms, ended_ms; /* ended_ms: 0 until done or cancelled */
};

/* A card's state in a campaign: its steps, in order, then the ends. Stored by name. */
enum otad_ccard_state {
	OTAD_CCARD_WAITING,	/* not started yet */
	OTAD_CCARD_BACKOFF,	/* a temporary failure: starts again at check after next_try */
	OTAD_CCARD_CHECK,	/* the check job: what the SIM has */
	OTAD_CCARD_PERSONALISE, /* the personalise job: the PKCS#15 structure */
	OTAD_CCARD_KEYGEN,	/* the keygen job: a key pair generated on the SIM */
	OTAD_CCARD_ENROL,	/* the key's certificate enrolment (enrol.h: csr, cmp, load, verify) */
	OTAD_CCARD_ACTIVE,	/* over: every key of the campaign has its certificate on the SIM */
	OTAD_CCARD_SKIPPED,	/* over: the SIM held a certificate for each key already */
	OTAD_CCARD_FAILED,	/* over: error says why, step where */
	OTAD_CCARD_CANCELLED,	/* over: the campaign was cancelled before the card was done */
	OTAD_CCARD_N_STATES,
};
extern const char *const otad_ccard_state_names[OTAD_CCARD_N_STATES];
/*! Whether a card in state \a s is over. */
bool otad_ccard_state_final(enum otad_ccard_state s);

struct otad_ccard {
	int64_t campaign;
	int64_t seq; /* its place in the campaign (1..cards): cards start in this order */
	char iccid[21];
	enum otad_ccard_state state;
	unsigned key_index; /* the campaign key being worked on (0..n_keys-1) */
	int64_t job;	    /* the current step's OTA job; 0: none (not made yet) */
	int64_t enrolment;  /* in enrol: the key's enrolment; 0: not made yet */
	unsigned tries;	    /* temporary failures so far */
	int64_t next_try_ms;
	char step[16];	   /* in failed and cancelled: the step it stopped at; otherwise the last step begun */
	char error[192];   /* failed: why; backoff: the last temporary failure */
	char serials[128]; /* the certificates issued to it in this campaign, hex, comma-separated */
	int64_t updated_ms, done_ms;
};

/* Which cards a new campaign takes (one of the three). */
struct otad_campaign_select {
	const char *const *iccids; /* these cards (each must exist); n of them */
	size_t n;
	int64_t import;	  /* the cards of this import's batch */
	const char *unit; /* the cards whose holder is in this unit, or in a ward of this province */
};

/*! Store a new campaign \a c (its id, cards and times are set) with the cards \a sel selects, in one transaction.
 *  \returns 0; -ENOENT (an ICCID, the import or the unit unknown: \a err says which); -ENODATA (no card selected);
 *  -EIO */
int otad_db_campaign_create(struct otad_db *db, struct otad_campaign *c, const struct otad_campaign_select *sel,
			    char *err, size_t errlen);
int otad_db_campaign_update(struct otad_db *db, struct otad_campaign *c);
int otad_db_campaign_get(struct otad_db *db, int64_t id, struct otad_campaign *c);
/*! Call \a cb for each campaign, newest first; \a only_open: those not over, oldest first (running, paused, or
 *  cancelled with cards still in a step). \returns how many; -EIO */
int otad_db_campaigns_list(struct otad_db *db, bool only_open, void (*cb)(const struct otad_campaign *c, void *priv),
			   void *priv);
/*! Cards of campaign \a id per state: \a n[OTAD_CCARD_N_STATES], and those in enrol by their enrolment's state
 *  \a enrol[OTAD_ENROL_N_STATES] (an enrolment not made yet counts as read). \returns 0; -EIO */
int otad_db_campaign_counts(struct otad_db *db, int64_t id, int64_t *n, int64_t *enrol);
/*! How many of campaign \a id's cards ended at or after \a since_ms. \returns 0; -EIO */
int otad_db_campaign_done_since(struct otad_db *db, int64_t id, int64_t since_ms, int64_t *n);

int otad_db_ccard_update(struct otad_db *db, struct otad_ccard *cc);
/*! Cards of campaign \a id that may start now: waiting, or in backoff with next_try at or before \a now_ms, in
 *  order, at most \a max. \returns how many; -EIO */
int otad_db_ccards_ready(struct otad_db *db, int64_t id, int64_t now_ms, unsigned max,
			 void (*cb)(const struct otad_ccard *cc, void *priv), void *priv);
/*! Cards of campaign \a id in a step (check, personalise, keygen, enrol). \returns how many; -EIO */
int otad_db_ccards_in_step(struct otad_db *db, int64_t id, void (*cb)(const struct otad_ccard *cc, void *priv),
			   void *priv);
/*! Whether campaign \a id has cards waiting or in backoff. \returns 1, 0; -EIO */
int otad_db_ccards_pending(struct otad_db *db, int64_t id);
/*! End every card of campaign \a id waiting or in backoff as cancelled. \returns how many; -EIO */
int otad_db_ccards_cancel_pending(struct otad_db *db, int64_t id);
/*! A page of campaign \a id's cards after seq \a after (0: from the first), by seq, at most \a limit; \a state: a
 *  card state's name, or an enrolment step's (csr, cmp, load, verify: cards in enrol at that step), or NULL.
 *  \returns how many; -EIO */
int otad_db_ccards_list(struct otad_db *db, int64_t id, const char *state, int64_t after, unsigned limit,
			void (*cb)(const struct otad_ccard *cc, const char *step, void *priv), void *priv);

/* ---- signing sessions (sign/sign.h; table signatures, version 12) ---- */

#define OTAD_SIGN_SESSION_MAX 36 /* a sessionID: a UUID */
#define OTAD_SIGN_RP_MAX 64
#define OTAD_SIGN_SIG_MAX 512

struct otad_sign_row {
	int64_t id;
	char session[OTAD_SIGN_SESSION_MAX + 1];
	char rp[OTAD_SIGN_RP_MAX + 1];
	char holder[OTAD_HOLDER_ID_MAX + 1]; /* "": not known */
	char iccid[21], msisdn[16];	     /* "": no card found */
	char hash_alg[8];
	uint8_t hash[64];
	size_t hash_len;
	char code[5];
	unsigned text_len;
	uint8_t text_dcs;
	int64_t job;	 /* 0: none yet */
	char state[16];	 /* otad_sign_state_names (sign.h) */
	char result[32]; /* "": running */
	uint8_t sig[OTAD_SIGN_SIG_MAX];
	size_t sig_len;
	char serial[41];
	int64_t created_ms, sent_ms, answered_ms, completed_ms; /* 0: not yet */
	int tries_left;						/* -1: not said */
	char error[192];
};

/* What a phone number or holder signs with: the card, its newest certificate that is loaded and valid, and the key
 * reference the applet knows that key by: its enrolment's key_ref, or, for a certificate an operator recorded (no
 * enrolment loaded it), its key_id when that is a key reference 0..15. */
struct otad_sign_target {
	char iccid[21], msisdn[16], state[16];
	char holder[OTAD_HOLDER_ID_MAX + 1];
	uint8_t der[OTAD_CERT_DER_MAX];
	size_t der_len; /* 0: no usable certificate */
	char serial[41];
	int key_ref; /* -1: none */
};

/*! Store a new session (its id is set). \returns 0; -EEXIST (the session id is taken); -EIO */
int otad_db_sign_insert(struct otad_db *db, struct otad_sign_row *r);
/*! Store every field of \a r. \returns 0; -ENOENT; -EIO */
int otad_db_sign_update(struct otad_db *db, const struct otad_sign_row *r);
/*! \returns 0; -ENOENT; -EIO */
int otad_db_sign_get(struct otad_db *db, const char *session, struct otad_sign_row *r);
/*! The session whose OTA job is \a job. \returns 0; -ENOENT; -EIO */
int otad_db_sign_by_job(struct otad_db *db, int64_t job, struct otad_sign_row *r);
/*! End every session not complete (at start: the daemon stopped while they ran) with result \a result and
 *  \a error. \returns how many; -EIO */
int otad_db_sign_end_open(struct otad_db *db, const char *result, const char *error);
/*! The card with MSISDN \a msisdn (or, \a msisdn NULL, the card of holder \a holder: its newest with a usable
 *  certificate) and what it signs with (\a t->der_len 0 when nothing usable). \returns 0; -ENOENT (no such card);
 *  -EIO */
int otad_db_sign_target(struct otad_db *db, const char *msisdn, const char *holder, struct otad_sign_target *t);
