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
 * Version 5 (streamed imports, otad_import.h):
 *   batches gains state TEXT NOT NULL DEFAULT 'ready' ('importing': an import is staging its cards there; every
 *        card and key set query ignores them until the import publishes the batch); index cards_batch (batch).
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
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card_import.h"
#include "keystore.h"

#define OTAD_DB_VERSION 5
#define OTAD_JOB_SCRIPT_MAX 2048
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
 *  -EIO with \a err set (SQLite's message); -EPROTO (a newer schema) */
int otad_db_open(void *ctx, const char *path, const uint8_t mk[KEYSTORE_KEY_LEN], struct otad_db **out, char *err,
		 size_t errlen);
void otad_db_close(struct otad_db *db);
int otad_db_version(struct otad_db *db);

/*! Import a vendor file (card_import.h) held whole in memory, all or nothing, synchronously (tests, fuzzing; the
 *  daemon streams with otad_import.h, which this runs): every line is checked (format, duplicates in the file,
 *  cards and identities already in the database) and reported; nothing is stored unless all lines are good.
 *  \returns 0 (see \a rep: rejected 0 means imported); -EINVAL (no or a bad header: rep->rejects names line 1);
 *  -EBUSY (another import is running); -EIO (database). Implemented in otad_import.c. */
int otad_db_import(struct otad_db *db, void *ctx, const char *csv, size_t len, const char *batch_name,
		   struct otad_import_report *rep);

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

/*! The next counter of a key set, committed to the database before it is returned. \returns 0; -ENOENT;
 *  -ERANGE (40 bits used up); -EIO */
int otad_db_counter_next(struct otad_db *db, const char *iccid, uint8_t kvn, uint64_t *cntr);

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
	OTAD_JOB_N_STATES,
};
extern const char *const otad_job_state_names[OTAD_JOB_N_STATES];
/*! Whether a job in state \a s is over: nothing more is sent (a late PoR may still end a timed-out or unknown
 *  job, otad_job.h). */
bool otad_job_state_final(enum otad_job_state s);

#define OTAD_JOB_MAX_TRIES 11 /* the first and at most 10 retries */

struct otad_job_row {
	int64_t id;
	char iccid[21], msisdn[16];
	uint8_t tar[3], spi[2], kvn;
	uint8_t script[OTAD_JOB_SCRIPT_MAX];
	size_t script_len;
	bool idempotent; /* running the script twice does no harm (it only reads): it may be sent again */
	enum otad_job_state state;
	uint64_t counter; /* the latest try's: 0, none yet */
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
	char error[128];
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
/*! How many jobs are in each state (\a n: OTAD_JOB_N_STATES counts). \returns 0; -EIO */
int otad_db_job_counts(struct otad_db *db, int64_t *n);
int64_t otad_now_ms(void);

/* ---- API tokens (only their SHA-256 is stored) ---- */

/*! \returns 0; -EEXIST (the name is taken); -EIO */
int otad_db_token_add(struct otad_db *db, const char *name, const uint8_t hash[32]);
/*! \returns 1 known; 0 not; -EIO */
int otad_db_token_known(struct otad_db *db, const uint8_t hash[32]);
