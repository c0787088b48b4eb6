/* simpki-otad's operator API, the parts that read a request (pure functions; every length bounded):
 *
 *   Authorization: Bearer TOKEN            TOKEN: 16 to 128 printable characters
 *   POST   /v1/cards/import                body: the vendor CSV (card_import.h)                      operator
 *   GET    /v1/cards?state=&batch=&limit=&cursor=   a page of cards, by ICCID                           read-only
 *   GET    /v1/cards/{iccid}               iccid: 18 to 20 digits (else 400)                          read-only
 *   PATCH  /v1/cards/{iccid}               body: {"state": "active|suspended|lost|retired"}           operator
 *   GET    /v1/jobs?iccid=&state=&since=&limit=&cursor=   a page of jobs, newest first                 read-only
 *   POST   /v1/jobs                        body: {"iccid": "...", "tar": "b00010", "apdus": ["hex", ...],
 *                                                 "idempotent": true|false, "mode": "store"|"forward",
 *                                                 "spi": "1639", "kvn": 1..15 (the last four optional)} operator
 *   GET    /v1/jobs/{id}                   id: 1 to 18 digits (else 400)                              read-only
 *   DELETE /v1/jobs/{id}                   cancel a job not yet handed to the SMSC                    operator
 *   GET    /v1/imports/{id}                an import's progress and result                           read-only
 *   GET    /v1/tokens                      the valid tokens (names, roles, scopes; never the tokens) admin
 *   POST   /v1/tokens                      body: {"name": "...", "role": ROLE (otad_role_names), "scope": UNIT
 *                                          (optional; unit-ra and counter need one)}                 admin
 *   DELETE /v1/tokens/{name}               revoke                                                    admin
 *   GET    /v1/cards/{iccid}/certificates  the card's certificates, oldest first                      read-only
 *   POST   /v1/cards/{iccid}/certificates  body: {"key_id": 1..255, "profile": "signing"}: a certificate for that
 *                                          key of the SIM, over the air (enrol.h); 202 {"id"}           operator
 *   GET    /v1/enrolments/{id}             an enrolment's state, step, job, certificate or failure    read-only
 *   PUT    /v1/cards/{iccid}/holder        body: {"holder": "ID"} (or null: nobody's)                 operator
 *   POST   /v1/holders                     body: {"id", "name", "id_number", "unit", "email" (optional)}   operator
 *   GET    /v1/holders?unit=&limit=&cursor=   a page of holders, by id (unit: a ward, or a province and its
 *                                          wards)                                                     read-only
 *   GET    /v1/holders/{id}                id: a holder id (holder.h; else 400)                       read-only
 *   POST   /v1/holders/import              body: CSV (holder.h), each line stored or rejected by itself   operator
 *   POST   /v1/campaigns                   body: {"name", "select": {"iccids": [...]} | {"import": ID} |
 *                                          {"unit": CODE}, "keys": [{"id", "alg", "profile"}], "personalise",
 *                                          "concurrency"} (campaign.h); 201 the campaign              operator
 *   GET    /v1/campaigns                   every campaign, newest first                               read-only
 *   GET    /v1/campaigns/{id}              state, cards per state, rate, time left                    read-only
 *   POST   /v1/campaigns/{id}/pause|resume|cancel                                                     operator
 *   GET    /v1/campaigns/{id}/cards?state=&limit=&cursor=   a page of its cards, in order             read-only
 *   GET    /v1/units?kind=&parent=&limit=&cursor=   current units by code: the roots, a kind's, a parent's  read-only
 *   GET    /v1/units/{code}                a unit, its path from the root, counts (code: 1 to 15 digits)  read-only
 *   GET    /v1/units/{code}/children?limit=&cursor=   its current children, by code               read-only
 *   GET    /v1/units/{code}/holders?limit=&cursor=    the holders of its subtree, by id           read-only
 *   GET    /v1/units/{code}/history        its versions before each change                           read-only
 *   POST   /v1/units/changes               body: a unit change (unit_change.h); 201 the change         admin
 *   GET    /v1/units/changes?limit=&cursor=   the changes, newest first                               read-only
 *   GET    /v1/units/changes/{id}          a change, its state and what it affected                  read-only
 *   POST   /v1/requests                    body: request/request.h (otad_request_parse()); 201 the request   (perm)
 *   GET    /v1/requests?unit=&state=&kind=&limit=&cursor=   a page of requests, newest first       (perm)
 *   GET    /v1/requests/stats?unit=        counts per unit and state, open ones by age             (perm)
 *   GET    /v1/requests/{id}               one, with its first 100 holders                         (perm)
 *   POST   /v1/requests/{id}/approve|withdraw   (no body); /reject body {"reason": "..."}         (perm)
 *                                          (perm): any role passes here; otad_perm() decides (request.read, .file,
 *                                          .decide) with the request's unit
 *   POST   /v1/lifecycle                   body: {"kind", "name"?, "select", "reason"?, "concurrency"?}
 *                                          (api_parse_lifecycle.c, lifecycle.h); 201 the operation    operator
 *   GET    /v1/lifecycle                   operations, newest first                                  read-only
 *   GET    /v1/lifecycle/{id}              state, items per state, rate, time left                   read-only
 *   POST   /v1/lifecycle/{id}/pause|resume|cancel                                                    operator
 *   GET    /v1/lifecycle/{id}/items?state=&limit=&cursor=   a page of its items, in order            read-only
 *   POST   /v1/certificates/{serial}/revoke|suspend|release|renew|modify|rekey   body: {"reason"} for revoke,
 *                                          else none or {}: a one-item operation; 201 the operation   operator
 *   POST   /v1/holders/{id}/pin-reset      body: {"id_number": "...", "mode": "one-time-pin"|"unblock"} (mode
 *                                          optional, default one-time-pin): 202 {"id", "state"}      counter (pin.reset)
 *   GET    /v1/pin-resets/{id}             a reset's state, mode, card, who, the PoR's outcome        read-only
 *   GET    /v1/database                    schema, backups, whether a restored copy's counters wait   admin
 *   POST   /v1/database/counter-floor      body: {"iccid": "...", "kvn": N, "floor": N} (raise one key set),
 *                                          {"raise_all_by": N} (every key set) or {"confirm": true}     admin
 *   GET    /v1/audit?from=SEQ&limit=N      a page of the audit trail's records, from seq SEQ (default 1)  admin,
 *                                          auditor (otad_perm: audit.read)
 *   GET    /v1/audit/verify                the trail recomputed and its checkpoints checked (audit_verify.h)
 *                                          (otad_perm: audit.verify)
 *   GET    /v1/audit/export                the whole trail as JSON lines (audit_export.h)  (audit.read)
 *
 * Query parameters: limit 1 to 1000 (default 100); cursor: the next_cursor of the page before (a job id, an
 * ICCID); since: Unix seconds or YYYY-MM-DDTHH:MM:SSZ; state: a job state (otad_job_state_names) or a card state
 * (otad_card_states); batch: a batch id. Unknown parameters, or one given twice, are a 400.
 *
 * A job body is a JSON object of at most the API's JSON limit with exactly those members: the ICCID, the TAR as 6
 * hex digits, 1 to 64 APDUs, each a compact command in hex (CLA INS P1 P2 P3 and P3 bytes), their total at most
 * OTAD_JOB_SCRIPT_MAX bytes, and optionally whether running the script twice does no harm (default: true when
 * every command only reads, api_apdu_reads()), the delivery mode, the SPI (4 hex digits) and the key set (KVN);
 * those left out take the configuration's defaults (struct otad_job_opts, fields 0). Whether the SPI and KVN fit
 * the card and the TAR is otad_job_create()'s to check. Anything else is a 400 with a message saying what.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otad_db.h"

#define API_JSON_MAX (1u << 20) /* the parsers' bound; the daemon's limit (api body-limit json) is at most this */
#define API_TOKEN_MIN 16
#define API_TOKEN_MAX 128

enum api_route {
	API_NONE = 0,	      /* no such path: 404 */
	API_CARDS_IMPORT,     /* POST */
	API_CARDS_LIST,	      /* GET */
	API_CARD_GET,	      /* GET, arg: the ICCID */
	API_CARD_PATCH,	      /* PATCH, arg: the ICCID */
	API_JOBS_LIST,	      /* GET */
	API_JOBS_CREATE,      /* POST */
	API_JOB_GET,	      /* GET, arg: the id */
	API_JOB_CANCEL,	      /* DELETE, arg: the id */
	API_IMPORT_GET,	      /* GET, arg: the id */
	API_TOKENS_LIST,      /* GET */
	API_TOKENS_CREATE,    /* POST */
	API_TOKEN_REVOKE,     /* DELETE, arg: the name */
	API_DATABASE_GET,     /* GET */
	API_COUNTER_FLOOR,    /* POST */
	API_CARD_CERTS,	      /* GET, arg: the ICCID */
	API_CARD_HOLDER,      /* PUT, arg: the ICCID */
	API_HOLDERS_CREATE,   /* POST */
	API_HOLDERS_LIST,     /* GET */
	API_HOLDER_GET,	      /* GET, arg: the holder id */
	API_HOLDERS_IMPORT,   /* POST */
	API_CARD_ENROL,	      /* POST, arg: the ICCID */
	API_ENROL_GET,	      /* GET, arg: the id */
	API_CAMPAIGNS_LIST,   /* GET */
	API_CAMPAIGNS_CREATE, /* POST */
	API_CAMPAIGN_GET,     /* GET, arg: the id */
	API_CAMPAIGN_PAUSE,   /* POST, arg: the id */
	API_CAMPAIGN_RESUME,  /* POST, arg: the id */
	API_CAMPAIGN_CANCEL,  /* POST, arg: the id */
	API_CAMPAIGN_CARDS,   /* GET, arg: the id */
	/* the organisation tree (otad_api_units.c) */
	API_UNITS_LIST,	       /* GET */
	API_UNIT_GET,	       /* GET, arg: the unit's code */
	API_UNIT_CHILDREN,     /* GET, arg: the unit's code */
	API_UNIT_HOLDERS,      /* GET, arg: the unit's code */
	API_UNIT_HISTORY,      /* GET, arg: the unit's code */
	API_UNIT_CHANGES_LIST, /* GET */
	API_UNIT_CHANGES_FILE, /* POST */
	API_UNIT_CHANGE_GET,   /* GET, arg: the id */
	/* requests (request/request.h, otad_api_request.c) */
	API_REQUESTS_LIST,    /* GET */
	API_REQUESTS_CREATE,  /* POST */
	API_REQUESTS_STATS,   /* GET */
	API_REQUEST_GET,      /* GET, arg: the id */
	API_REQUEST_APPROVE,  /* POST, arg: the id */
	API_REQUEST_REJECT,   /* POST, arg: the id */
	API_REQUEST_WITHDRAW, /* POST, arg: the id */
	/* issue 16: certificate lifecycle operations (otad_api_lifecycle.c, docs/lifecycle.md) */
	API_LC_LIST,	  /* GET */
	API_LC_CREATE,	  /* POST */
	API_LC_GET,	  /* GET, arg: the id */
	API_LC_PAUSE,	  /* POST, arg: the id */
	API_LC_RESUME,	  /* POST, arg: the id */
	API_LC_CANCEL,	  /* POST, arg: the id */
	API_LC_ITEMS,	  /* GET, arg: the id */
	API_CERT_REVOKE,  /* POST, arg: the serial (hex) */
	API_CERT_SUSPEND, /* POST, arg: the serial */
	API_CERT_RELEASE, /* POST, arg: the serial */
	API_CERT_RENEW,	  /* POST, arg: the serial */
	API_CERT_MODIFY,  /* POST, arg: the serial */
	API_CERT_REKEY,	  /* POST, arg: the serial */
	/* the audit trail (otad_api_audit.c) */
	API_AUDIT_LIST,	  /* GET */
	API_AUDIT_VERIFY, /* GET */
	API_AUDIT_EXPORT, /* GET */
	/* issue 16: remote PIN reset (otad_api_pinreset.c) */
	API_HOLDER_PIN_RESET, /* POST, arg: the holder id */
	API_PIN_RESET_GET,    /* GET, arg: the id */
	API_HOLDER_PATCH,     /* PATCH, arg: the holder id: {"unit": CODE} (a holder moves) */
	API_BAD_METHOD,	      /* a known path with another method: 405 (allow: the methods it has) */
	API_BAD_ICCID,	      /* /v1/cards/X with X not an ICCID: 400 */
	API_BAD_ID,	      /* /v1/jobs/X or /v1/imports/X with X not an id: 400 */
	API_BAD_HOLDER_ID,    /* /v1/holders/X with X not a holder id: 400 */
	API_BAD_UNIT,	      /* /v1/units/X with X not a unit code: 400 */
};

/*! Which resource \a method and \a url name; the ICCID, id or token name goes to \a arg (API_ROUTE_ARG_MAX
 *  bytes); for API_BAD_METHOD, *allow is the methods the path has ("GET, POST"). */
#define API_ROUTE_ARG_MAX 72
enum api_route api_route(const char *method, const char *url, char *arg, const char **allow);

/*! What a route does (enum otad_action, otad_perm.h): every route has one; a route without (-ENOSYS) is refused to
 *  every token but an admin's. */
int api_route_action(enum api_route r);

/* One query parameter, as the HTTP library gives them. */
struct api_kv {
	const char *key, *value;
};
#define API_QUERY_MAX 8
#define API_LIMIT_DEFAULT 100
#define API_LIMIT_MAX 1000

/*! GET /v1/jobs's parameters into \a f (its iccid points into \a iccid, 21 bytes). \returns 0; -EINVAL with
 *  \a err */
int api_jobs_query(const struct api_kv *kv, unsigned n, struct otad_job_filter *f, char iccid[21], char *err,
		   size_t errlen);
/*! GET /v1/cards's parameters into \a f (its after_iccid points into \a cursor, 21 bytes). \returns 0; -EINVAL */
int api_cards_query(const struct api_kv *kv, unsigned n, struct otad_card_filter *f, char cursor[21], char *err,
		    size_t errlen);
/*! GET /v1/audit's parameters: from (a seq, 1 to 18 digits; default 1), limit (1 to 1000, default 100).
 *  \returns 0; -EINVAL with \a err */
int api_audit_query(const struct api_kv *kv, unsigned n, int64_t *from, unsigned *limit, char *err, size_t errlen);
/*! PATCH /v1/cards/{iccid}'s body: the new state (enum otad_card_state). \returns 0; -EINVAL with \a err */
int api_card_patch_parse(const char *body, size_t len, int *state, char *err, size_t errlen);

/*! The token of an Authorization header value ("Bearer TOKEN"). \returns its length; -EINVAL */
int api_bearer(const char *header, const char **token);

struct api_job_req {
	char iccid[21];
	uint8_t tar[3];
	uint8_t script[OTAD_JOB_SCRIPT_MAX];
	size_t script_len;
	bool idempotent;
	struct otad_job_opts opts; /* mode, spi, kvn: 0 where the body does not say */
};

/*! Whether a compact command only reads (SELECT, READ BINARY, READ RECORD, GET RESPONSE, GET DATA, STATUS): a
 *  script of nothing else may run twice without harm. */
bool api_apdu_reads(const uint8_t *apdu, size_t len);

/*! Read a job body. \returns 0; -EINVAL with \a err saying what is wrong */
int api_job_parse(const char *body, size_t len, struct api_job_req *req, char *err, size_t errlen);

/*! Read a token request's body {"name", "role", "scope"}: the new token's name into \a name (65 bytes), its role
 *  (default operator), its scope into \a scope (a unit's code, 1 to OTAD_UNIT_CODE_MAX digits; "" when absent or
 *  null: the whole tree; unit-ra and counter need one). \returns 0; -EINVAL with \a err */
int api_token_parse(const char *body, size_t len, char *name, int *role, char scope[OTAD_UNIT_CODE_MAX + 1], char *err,
		    size_t errlen);
/*! Whether \a role needs a scope (unit-ra, counter). */
bool api_role_needs_scope(int role);
/* POST /v1/database/counter-floor: one of three. */
struct api_floor_req {
	enum {
		API_FLOOR_ONE,
		API_FLOOR_ALL,
		API_FLOOR_CONFIRM
	} what;
	char iccid[21];
	uint8_t kvn;
	uint64_t n; /* the floor (one), or what to add (all): 1 to 2^40 - 1 */
};
/*! \returns 0; -EINVAL with \a err */
int api_floor_parse(const char *body, size_t len, struct api_floor_req *req, char *err, size_t errlen);

/*! Whether \a name is a token name: 1 to 64 of A-Z a-z 0-9 . _ - */
bool api_token_name_ok(const char *name);

/*! POST /v1/holders's body into \a h (every field checked: holder.h; email optional or null). \returns 0; -EINVAL
 *  with \a err */
int api_holder_parse(const char *body, size_t len, struct otad_holder *h, char *err, size_t errlen);
/*! PUT /v1/cards/{iccid}/holder's body: {"holder": "ID"} into \a holder, or {"holder": null} ("").
 *  \returns 0; -EINVAL with \a err */
/*! POST /v1/cards/{iccid}/certificates's body: {"key_id": 1..255, "profile": "NAME"} (1 to 64 printable
 *  characters). \returns 0; -EINVAL with \a err */
/*! GET /v1/campaigns/{id}/cards's parameters: state (lower-case letters: a card state or an enrolment step; "" for
 *  any), cursor (the seq after which the page starts; 0: the first), limit. \returns 0; -EINVAL with \a err */
int api_campaign_cards_query(const struct api_kv *kv, unsigned n, char state[16], int64_t *after, unsigned *limit,
			     char *err, size_t errlen);

/*! POST /v1/holders/{id}/pin-reset's body: {"id_number": 1 to 64 printable ASCII characters, "mode":
 *  "one-time-pin" | "unblock" (optional: one-time-pin)} into \a id_number and \a mode (enum otad_pin_reset_mode).
 *  \returns 0; -EINVAL with \a err */
int api_pin_reset_parse(const char *body, size_t len, char id_number[65], int *mode, char *err, size_t errlen);

/*! \a body as a JSON object (at most API_JSON_MAX bytes, no member twice). \returns it (json_decref()); NULL with
 *  \a err */
typedef struct json_t json_t;
json_t *api_load_object(const char *body, size_t len, char *err, size_t errlen);

/* POST /v1/campaigns's body: the campaign (name, keys, personalise, concurrency) and which cards. */
struct api_campaign_req {
	struct otad_campaign c;
	struct otad_campaign_select sel;
	char unit[OTAD_UNIT_CODE_MAX + 1];
	char (*iccids)[21]; /* sel.n of them, malloc'd: api_campaign_req_free() */
	const char **iccid_ptrs;
};
#define API_CAMPAIGN_ICCIDS_MAX 40000 /* what API_JSON_MAX holds; more by import or unit */
/*! Read a campaign body. \returns 0; -EINVAL with \a err; -ENOMEM */
int api_campaign_parse(const char *body, size_t len, struct api_campaign_req *req, char *err, size_t errlen);
void api_campaign_req_free(struct api_campaign_req *req);

/* POST /v1/lifecycle's body (api_parse_lifecycle.c). */
#include "lifecycle/lifecycle.h"
struct api_lc_req {
	struct otad_lc_params p;
	struct otad_lc_select sel;
	char name[OTAD_CAMPAIGN_NAME_MAX * 4 + 1];
	char unit[OTAD_UNIT_CODE_MAX + 1];
	char (*ids)[OTAD_HOLDER_ID_MAX + 1]; /* holders or serials, malloc'd: api_lc_req_free() */
	const char **id_ptrs;
};
#define API_LC_IDS_MAX 20000 /* holders or serials in one body; more by unit or unit change */
/*! Read a lifecycle operation's body. \returns 0; -EINVAL with \a err; -ENOMEM */
int api_lc_parse(const char *body, size_t len, struct api_lc_req *req, char *err, size_t errlen);
void api_lc_req_free(struct api_lc_req *req);
/*! The body of POST /v1/certificates/{serial}/revoke (\a revoke: {"reason": NAME}, reason optional) or of the
 *  other shortcuts (empty or {}): the CRLReason into *reason (-1: none). \returns 0; -EINVAL with \a err */
int api_lc_cert_parse(const char *body, size_t len, bool revoke, int *reason, char *err, size_t errlen);
/*! GET /v1/lifecycle/{id}/items's parameters: state (an item state's name, "" any), cursor, limit. \returns 0;
 *  -EINVAL with \a err */
int api_lc_items_query(const struct api_kv *kv, unsigned n, char state[16], int64_t *after, unsigned *limit, char *err,
		       size_t errlen);
/*! Whether \a s is a certificate serial as the API names it: 1 to 40 hex digits. */
bool api_serial_ok(const char *s);

int api_enrol_parse(const char *body, size_t len, unsigned *key_id, char profile[65], char *err, size_t errlen);
int api_card_holder_parse(const char *body, size_t len, char holder[OTAD_HOLDER_ID_MAX + 1], char *err, size_t errlen);
/*! The body of PATCH /v1/holders/{id}: {"unit": CODE} (1 to OTAD_UNIT_CODE_MAX digits), nothing else.
 *  \returns 0; -EINVAL with \a err */
int api_holder_patch_parse(const char *body, size_t len, char unit[OTAD_UNIT_CODE_MAX + 1], char *err, size_t errlen);
/*! GET /v1/holders's parameters (unit, limit, cursor) into \a f (its unit and after_id point into \a unit and
 *  \a cursor). \returns 0; -EINVAL with \a err */
int api_holders_query(const struct api_kv *kv, unsigned n, struct otad_holder_filter *f,
		      char unit[OTAD_UNIT_CODE_MAX + 1], char cursor[OTAD_HOLDER_ID_MAX + 1], char *err, size_t errlen);

/* ---- the organisation tree (api_parse_units.c) ---- */
struct otad_unit_filter;
/*! GET /v1/units's parameters (kind: a unit kind; parent: a code; limit; cursor: a code) into \a f (its parent
 *  and after_code point into \a parent and \a cursor). \returns 0; -EINVAL with \a err */
int api_units_query(const struct api_kv *kv, unsigned n, struct otad_unit_filter *f,
		    char parent[OTAD_UNIT_CODE_MAX + 1], char cursor[OTAD_UNIT_CODE_MAX + 1], char *err, size_t errlen);
/* What a page's cursor is. */
enum api_cursor_kind {
	API_CURSOR_UNIT,   /* a unit code */
	API_CURSOR_HOLDER, /* a holder id */
	API_CURSOR_ID,	   /* a number (1 to 18 digits) */
};
/*! A page's parameters: limit (default API_LIMIT_DEFAULT) and cursor (of \a kind; "" when not given) into
 *  \a cursor (\a max bytes, at least 65). \returns 0; -EINVAL with \a err */
int api_page_query(const struct api_kv *kv, unsigned n, enum api_cursor_kind kind, char *cursor, size_t max,
		   unsigned *limit, char *err, size_t errlen);
