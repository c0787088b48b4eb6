/* simpki-otad's database: certificate lifecycle operations (tables lifecycle_ops, lifecycle_items, the lifecycle
 * columns of certificates, compromised_keys; schema version 14, otad_db_v14_lifecycle.h). The engine that runs them
 * is lifecycle/lifecycle.c; the states are named in lifecycle/lifecycle.h and lifecycle.c's table.
 *
 * An item waiting for a try again after a temporary failure keeps the step it failed in as its state, with no job
 * and next_try in the future; an item in a step with next_try 0 is being worked on (in memory). So a restart
 * resumes the items in a step with next_try 0 and the scheduler takes up the others when they are due.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lifecycle/lifecycle.h"
#include "otad_db.h"

enum otad_lc_state {
	OTAD_LC_RUNNING,
	OTAD_LC_PAUSED,
	OTAD_LC_DONE,
	OTAD_LC_CANCELLED,
	OTAD_LC_N_STATES,
};
extern const char *const otad_lc_state_names[OTAD_LC_N_STATES];

/* An item's states (stored by name): the steps, in order, then the ends. */
enum otad_lci_state {
	OTAD_LCI_WAITING, /* not started yet */
	OTAD_LCI_CHECK,	  /* the records: the certificate in force, its key not compromised (no I/O) */
	OTAD_LCI_ISSUE,	  /* CMP kur, same key (modify, renew): the txid made and stored before the first request */
	OTAD_LCI_LOAD,	  /* the OTA job writing the new certificate over the old one's file */
	OTAD_LCI_VERIFY,  /* the OTA job reading it back */
	OTAD_LCI_KEYGEN,  /* rekey: a look at the SIM's PrKDF, then a new key generated there (OTA jobs) */
	OTAD_LCI_ENROL,	  /* rekey: the new key's certificate enrolment (job: the enrolment's id) */
	OTAD_LCI_REVOKE, /* the rr: the old certificate (modify, renew, rekey), or the act (revoke, suspend, release) */
	OTAD_LCI_DONE,
	OTAD_LCI_FAILED,
	OTAD_LCI_CANCELLED,
	OTAD_LCI_SKIPPED,
	OTAD_LCI_N_STATES,
};
extern const char *const otad_lci_state_names[OTAD_LCI_N_STATES];
bool otad_lci_state_final(enum otad_lci_state s);
/*! \returns enum otad_lci_state; -EINVAL */
int otad_lci_state_of(const char *name);

#define OTAD_LC_NAME_MAX 128
#define OTAD_LC_PARAMS_MAX 1024
#define OTAD_LC_TXID_LEN 16

struct otad_lc_op {
	int64_t id;
	enum otad_lc_kind kind;
	char name[OTAD_LC_NAME_MAX * 4 + 1];
	enum otad_lc_state state;
	int reason; /* -1: the kind's */
	char params[OTAD_LC_PARAMS_MAX];
	char by[65];
	int64_t request; /* 0: none */
	int64_t items;
	unsigned concurrency;
	int64_t created_ms, updated_ms, ended_ms;
	char unit[OTAD_UNIT_CODE_MAX + 1]; /* the lowest unit containing every item's holder; "": the whole tree */
};

struct otad_lc_item {
	int64_t op, seq;
	char holder[OTAD_HOLDER_ID_MAX + 1];
	char iccid[21];
	char old_serial[41];
	enum otad_lci_state state;
	uint8_t txid[OTAD_LC_TXID_LEN];
	size_t txid_len; /* 0 or 16 */
	uint8_t subject[OTAD_ENROL_SUBJECT_MAX];
	size_t subject_len;
	char new_serial[41];
	uint8_t new_cert[OTAD_ENROL_CERT_MAX];
	size_t new_cert_len;
	int64_t job; /* the step's OTA job (load, verify) or enrolment (enrol); 0: none */
	unsigned tries;
	int64_t next_try_ms; /* > 0: waits for a try again (backoff) */
	char error[192];
	int64_t updated_ms, done_ms;
};

/* A certificate with its lifecycle columns. */
struct otad_lc_cert {
	struct otad_cert c; /* c.der points at der */
	uint8_t der[OTAD_CERT_DER_MAX];
	char holder[OTAD_HOLDER_ID_MAX + 1]; /* the column, else the card's holder */
	char unit[OTAD_UNIT_CODE_MAX + 1];   /* the holder's unit; "" none */
	char pubkey_sha256[65];		     /* "" not recorded */
	bool hold;
	char replaced_by[41];
};

/*! Store operation \a op (its id, items, times set; state running) and its items (state waiting) from \a sel in one
 *  transaction; \a check is called for each item (its holder and the holder's unit) and a non-zero return rolls
 *  everything back and is returned. \returns 0; -ENOENT (a holder or serial without a certificate in force, a unit
 *  or unit change unknown: \a err names it); -EAGAIN (the unit change is not applied: pending or failed);
 *  -ENODATA (nothing selected); -EBUSY (a certificate is in another unfinished operation); -EIO */
int otad_db_lc_create(struct otad_db *db, struct otad_lc_op *op, const struct otad_lc_select *sel,
		      int (*check)(const char *holder, const char *unit, void *priv), void *priv, char *err,
		      size_t errlen);
int otad_db_lc_update(struct otad_db *db, struct otad_lc_op *op);
/*! \returns 0; -ENOENT; -EIO */
int otad_db_lc_get(struct otad_db *db, int64_t id, struct otad_lc_op *op);
/*! Call \a cb for each operation, newest first, at most \a max (0: all), before id \a before (0: from the newest);
 *  \a only_open: those running or paused, or cancelled with items still in a step, oldest first.
 *  \returns how many; -EIO */
int otad_db_lc_list(struct otad_db *db, bool only_open, int64_t before, unsigned max,
		    void (*cb)(const struct otad_lc_op *op, void *priv), void *priv);
/*! As otad_db_lc_list() (not only_open), only the operations whose unit is \a scope or under it (a scoped token's
 *  list; an operation without a unit is in no scope). \returns how many; -EIO */
int otad_db_lc_list_scope(struct otad_db *db, const char *scope, int64_t before, unsigned max,
			  void (*cb)(const struct otad_lc_op *op, void *priv), void *priv);
/*! Operation \a id's unit (\a unit "": none, the whole tree). \returns 0; -ENOENT; -EIO */
int otad_db_lc_set_unit(struct otad_db *db, int64_t id, const char *unit);
/*! Store every field of item \a it (updated_at now; done_at now when it ends). \returns 0; -ENOENT; -EIO */
int otad_db_lci_update(struct otad_db *db, struct otad_lc_item *it);
/*! \returns 0; -ENOENT; -EIO */
int otad_db_lci_get(struct otad_db *db, int64_t op, int64_t seq, struct otad_lc_item *it);
/*! Items of operation \a op that may start now: waiting, or in a step with next_try due (0 < next_try <= \a now_ms),
 *  by seq, at most \a max. \returns how many; -EIO */
int otad_db_lci_ready(struct otad_db *db, int64_t op, int64_t now_ms, unsigned max,
		      void (*cb)(const struct otad_lc_item *it, void *priv), void *priv);
/*! Items of operation \a op in a step being worked on (next_try 0). \returns how many; -EIO */
int otad_db_lci_in_step(struct otad_db *db, int64_t op, void (*cb)(const struct otad_lc_item *it, void *priv),
			void *priv);
/*! Whether operation \a op has items not over. \returns 1, 0; -EIO */
int otad_db_lci_pending(struct otad_db *db, int64_t op);
/*! End every item waiting or waiting for a try again as cancelled. \returns how many; -EIO */
int otad_db_lci_cancel_pending(struct otad_db *db, int64_t op);
/*! Items per state (\a n[OTAD_LCI_N_STATES]), and *backoff: those waiting for a try again. \returns 0; -EIO */
int otad_db_lc_counts(struct otad_db *db, int64_t op, int64_t *n, int64_t *backoff);
/*! How many items ended at or after \a since_ms. \returns 0; -EIO */
int otad_db_lc_done_since(struct otad_db *db, int64_t op, int64_t since_ms, int64_t *n);
/*! A page of items after seq \a after, by seq; \a state NULL: any. \returns how many; -EIO */
int otad_db_lci_list(struct otad_db *db, int64_t op, const char *state, int64_t after, unsigned limit,
		     void (*cb)(const struct otad_lc_item *it, void *priv), void *priv);
/*! The item whose step's job (or enrolment) is \a job, among unfinished items. \returns 0; -ENOENT; -EIO */
int otad_db_lci_by_job(struct otad_db *db, int64_t job, struct otad_lc_item *it);

/*! The certificate \a serial (hex, any case). \returns 0; -ENOENT; -EIO */
int otad_db_lc_cert_get(struct otad_db *db, const char *serial, struct otad_lc_cert *lc);
/*! Record certificate row \a id's holder and public key hash. \returns 0; -EIO */
int otad_db_lc_cert_annotate(struct otad_db *db, int64_t id, const char *holder, const char *pubkey_sha256);
/*! Revoke certificate \a serial with \a reason (CRLReason), superseded by \a replaced_by (NULL: none), and when the
 *  reason is keyCompromise, put its key (\a pubkey_sha256) into compromised_keys, in one transaction. \returns 0
 *  (also when it was revoked already); -ENOENT; -EIO */
int otad_db_lc_cert_revoke(struct otad_db *db, const char *serial, int reason, const char *replaced_by,
			   const char *pubkey_sha256);
/*! Set certificate \a serial's hold flag. \returns 0; -ENOENT; -EPERM (revoked); -EIO */
int otad_db_lc_cert_hold(struct otad_db *db, const char *serial, bool hold);
/*! Whether the key \a pubkey_sha256 was ever revoked for keyCompromise. \returns 1, 0; -EIO */
int otad_db_lc_key_compromised(struct otad_db *db, const char *pubkey_sha256);
