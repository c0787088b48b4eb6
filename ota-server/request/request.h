/* Requests instead of paper (issue 16 item 5): a unit's clerk files a request for one holder or a list (or every
 * holder of a unit), with the hashes of its documents; the responsible unit RA approves or rejects it with a reason;
 * an approved request executes (a lifecycle operation, PIN resets, enrolments) and ends done or failed. Every state
 * is stored (otad_db_v14_requests.h, otad_db_request.h), each change in one transaction with its audit record.
 *
 * Kinds: new-certificate (one enrolment per holder, of the holder's active card, enrol.h), modify, renew, rekey,
 * revoke, suspend, release (one lifecycle operation over the holders, lifecycle.h), pin-reset (one PIN reset per
 * holder, pinreset.h).
 *
 * The state table (this is the spec; otad_request_may_go() is it in code):
 *
 *   state      who moves it                              may go to
 *   filed      the filer (withdraw); a decider other      approved, rejected, withdrawn
 *              than the filer, with request.decide
 *              inside the request's unit (approve, reject)
 *   approved   the daemon, at once: the executor starts   executing (started; op set for lifecycle kinds), failed
 *                                                         (it could not start: the reason stored)
 *   executing  the executor's end hook                    done (every item ended well), failed (the reason: how
 *                                                         many items failed)
 *   done, failed, rejected, withdrawn: over
 *
 * Four eyes: the filer never decides their own request (by actor name). A request's unit is the lowest unit that
 * contains every one of its holders (for a unit's request, that unit; "" when only the whole tree contains them):
 * who may decide it is judged against that unit.
 *
 * A request that was approved when the daemon stopped (before its executor started) fails at the next start,
 * saying so (otad_request_resume_all()); executing requests end through the executors' hooks, which fire after their
 * own resumption.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otad_db.h"

struct otad_actor;

enum otad_request_kind {
	OTAD_REQ_NEW_CERTIFICATE,
	OTAD_REQ_MODIFY,
	OTAD_REQ_RENEW,
	OTAD_REQ_REKEY,
	OTAD_REQ_REVOKE,
	OTAD_REQ_SUSPEND,
	OTAD_REQ_RELEASE,
	OTAD_REQ_PIN_RESET,
	OTAD_REQ_N_KINDS,
};
extern const char *const otad_request_kind_names[OTAD_REQ_N_KINDS]; /* "new-certificate", ..., "pin-reset" */

enum otad_request_state {
	OTAD_REQ_FILED,
	OTAD_REQ_APPROVED,
	OTAD_REQ_EXECUTING,
	OTAD_REQ_DONE,
	OTAD_REQ_FAILED,
	OTAD_REQ_REJECTED,
	OTAD_REQ_WITHDRAWN,
	OTAD_REQ_N_STATES,
};
extern const char *const otad_request_state_names[OTAD_REQ_N_STATES];

/*! \returns the kind (enum otad_request_kind) or state named \a name; -EINVAL */
int otad_request_kind_of(const char *name);
int otad_request_state_of(const char *name);
/*! The state table: may a request go from \a from to \a to? */
bool otad_request_may_go(enum otad_request_state from, enum otad_request_state to);
/*! Whether \a s is over (done, failed, rejected, withdrawn). */
bool otad_request_state_final(enum otad_request_state s);
/*! Whether \a s counts as open (filed, approved, executing). */
bool otad_request_state_open(enum otad_request_state s);
/*! Whether requests of \a kind change a certificate (all but pin-reset): they need at least one document. */
bool otad_request_kind_changes_cert(enum otad_request_kind kind);
/*! Four eyes: may \a decider decide a request filed by \a filed_by? (Not when it is the same actor name.) */
bool otad_request_four_eyes_ok(const char *filed_by, const char *decider);

/* Bounds of a request body (request_parse.c). */
#define OTAD_REQUEST_HOLDERS_MAX 10000
#define OTAD_REQUEST_DOCS_MAX 32
#define OTAD_REQUEST_DOC_NAME_MAX 128 /* bytes of UTF-8 */
#define OTAD_REQUEST_NOTE_MAX 500     /* bytes of UTF-8 */
#define OTAD_REQUEST_REASON_MAX 500   /* a rejection's reason, bytes of UTF-8 */
#define OTAD_REQUEST_PARAMS_MAX 2048  /* the params JSON as stored */
#define OTAD_REQUEST_DOCS_JSON_MAX (OTAD_REQUEST_DOCS_MAX * (OTAD_REQUEST_DOC_NAME_MAX * 6 + 96) + 4)

struct otad_request_doc {
	char name[OTAD_REQUEST_DOC_NAME_MAX + 1];
	char sha256[65]; /* lower-case hex */
};

/* POST /v1/requests's body, read (request_parse.c). */
struct otad_request_body {
	enum otad_request_kind kind;
	char (*holders)[OTAD_HOLDER_ID_MAX + 1]; /* n_holders of them, malloc'd (otad_request_body_free()); or NULL */
	size_t n_holders;
	char unit[OTAD_UNIT_CODE_MAX + 1]; /* "" unless the request is for every holder of a unit */
	int reason;			   /* revoke: the CRLReason (default 0, unspecified); -1 for other kinds */
	struct otad_request_doc docs[OTAD_REQUEST_DOCS_MAX];
	unsigned n_docs;
	char note[OTAD_REQUEST_NOTE_MAX + 1];
	char id_number[OTAD_HOLDER_ID_NUMBER_MAX + 1]; /* pin-reset: the holder's identity number (required) */
	int pin_mode;				       /* pin-reset: enum otad_pin_reset_mode (default one-time-pin) */
	unsigned key_id;			       /* new-certificate: the SIM key's PKCS#15 iD (default 1) */
	char profile[65];			       /* new-certificate: the CA profile (default "signing") */
};

/*! Read a request body: {"kind", "holders": [ids] | "unit": CODE, "reason"?, "documents": [{"name", "sha256"}],
 *  "note"?, "id_number"?, "mode"?, "key_id"?, "profile"?}. Pure; every length bounded. \returns 0; -EINVAL with
 *  \a err saying what; -ENOMEM */
int otad_request_parse(const char *body, size_t len, struct otad_request_body *b, char *err, size_t errlen);
void otad_request_body_free(struct otad_request_body *b);
/*! Read a rejection's body {"reason": "..."} (1 to OTAD_REQUEST_REASON_MAX bytes of UTF-8, no control characters).
 *  \returns 0; -EINVAL with \a err */
int otad_request_reason_parse(const char *body, size_t len, char reason[OTAD_REQUEST_REASON_MAX + 1], char *err,
			      size_t errlen);
/*! The CRLReason named \a name among those a holder's revocation may give (unspecified, keyCompromise,
 *  affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn). \returns its code; -EINVAL */
int otad_request_crl_reason_of(const char *name);
/*! Its name ("unspecified" for an unknown code). */
const char *otad_request_crl_reason_name(int code);

/* A request as stored. */
struct otad_request {
	int64_t id;
	enum otad_request_kind kind;
	enum otad_request_state state;
	char unit[OTAD_UNIT_CODE_MAX + 1]; /* who may decide it: "" the whole tree */
	char filed_by[65], filed_role[16];
	int64_t filed_ms;
	char decided_by[65]; /* "" until decided (or withdrawn: the filer) */
	int64_t decided_ms;
	char reason[OTAD_REQUEST_REASON_MAX + 1];   /* of a rejection, or why it failed; "" */
	char params[OTAD_REQUEST_PARAMS_MAX];	    /* JSON: {"select", "reason"?, "note"?, "mode"?, "key_id"?, ...} */
	char documents[OTAD_REQUEST_DOCS_JSON_MAX]; /* JSON array of {"name", "sha256"} */
	int64_t op;				    /* the lifecycle operation executing it; 0: none */
	int64_t holders;			    /* how many holders */
	int64_t updated_ms;
};

/* GET /v1/requests's parameters. */
struct otad_request_filter {
	const char *unit; /* its subtree; NULL: any */
	int state;	  /* -1: any */
	int kind;	  /* -1: any */
	int64_t before;	  /* the cursor: requests with a smaller id; 0: from the newest */
	unsigned limit;
};
struct api_kv;
/*! GET /v1/requests's query (unit, state, kind, limit, cursor) into \a f (its unit points into \a unit).
 *  \returns 0; -EINVAL with \a err */
int otad_request_query_parse(const struct api_kv *kv, unsigned n, struct otad_request_filter *f,
			     char unit[OTAD_UNIT_CODE_MAX + 1], char *err, size_t errlen);
/*! GET /v1/requests/stats's query (unit). \returns 0; -EINVAL with \a err */
int otad_request_stats_query_parse(const struct api_kv *kv, unsigned n, char unit[OTAD_UNIT_CODE_MAX + 1], char *err,
				   size_t errlen);

/*! The lowest unit containing every unit of \a units (each is in it or under it): \a parent gives a unit's parent
 *  ("" for a top unit) and returns 0, -ENOENT or -EIO. "" when only the whole tree contains them. Pure but for
 *  \a parent. \returns 0; -ENOENT (a unit unknown); -EIO; -EINVAL (\a n 0, or a tree deeper than 16) */
int otad_request_common_unit(const char *const *units, size_t n,
			     int (*parent)(const char *unit, char out[OTAD_UNIT_CODE_MAX + 1], void *priv), void *priv,
			     char out[OTAD_UNIT_CODE_MAX + 1]);

/* ---- the engine (request.c; runs on the select loop) ---- */

/*! Make the module run over \a db: the executors' end hooks are set. */
void otad_request_init(struct otad_db *db);
/*! Fail every request left approved (its executor never started) when the daemon stopped. \returns how many;
 *  -EIO */
int otad_request_resume_all(void);
/*! File \a b on behalf of \a who (request.file inside its scope, for every holder). \returns 0 with *id; -EINVAL
 *  (a holder named twice), -ENOENT (a holder or the unit unknown), -ENODATA (the unit has no holder), -E2BIG (more
 *  than OTAD_REQUEST_HOLDERS_MAX), -EPERM (a holder outside the scope), -ECANCELED (the audit record could not be
 *  written: nothing stored), -EIO (the database); \a err says why */
int otad_request_file(const struct otad_actor *who, const struct otad_request_body *b, int64_t *id, char *err,
		      size_t errlen);
/*! Approve (then execute) or reject (\a reason) request \a id as \a who. \returns 0; -ENOENT; -EPERM (no
 *  request.decide in the request's unit); -EACCES (the filer: four eyes); -EALREADY (not filed); -ECANCELED (the
 *  audit record could not be written: nothing changed); -EIO; \a err */
int otad_request_decide(const struct otad_actor *who, int64_t id, bool approve, const char *reason, char *err,
			size_t errlen);
/*! Withdraw request \a id as \a who (its filer only, while filed). \returns 0; -ENOENT; -EACCES (not the filer);
 *  -EALREADY (not filed); -ECANCELED (no audit record: nothing changed); -EIO */
int otad_request_withdraw(const struct otad_actor *who, int64_t id, char *err, size_t errlen);
