/* simpki-admin's internals (the static library admin-core): the command line read into one struct
 * (admin_args.c), the HTTP exchange with simpki-otad's operator API (admin_http.c), the text an operator reads
 * (admin_render.c: pure, JSON in, text out), and the commands (admin_cmds.c, admin_campaign.c, admin_main.c).
 *
 * Functions return 0 or a negative errno, except those typed enum admin_exit (and admin_main), which return an exit
 * code and have printed their message on stderr. The token never reaches an output or a message.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* Exit codes: the same list is in the usage text, ota-server/admin/README.md and docs/admin.md. */
enum admin_exit {
	ADMIN_EXIT_OK = 0,
	ADMIN_EXIT_FAILURE = 1, /* anything else: a server error, an answer that is not JSON, an aborted import */
	ADMIN_EXIT_USAGE = 2, /* bad command line or input file; the API refused the request as malformed (400, 422) */
	ADMIN_EXIT_UNREACHABLE = 3,  /* no answer from the URL: refused, timed out, no such host, TLS failed */
	ADMIN_EXIT_AUTH = 4,	     /* 401 or 403: the token was refused, or its role does not allow it */
	ADMIN_EXIT_NOT_FOUND = 5,    /* 404 */
	ADMIN_EXIT_CONFLICT = 6,     /* 409: refused in the present state (a finished campaign, a card already known) */
	ADMIN_EXIT_CARDS_FAILED = 7, /* the campaign ended with failed cards */
	ADMIN_EXIT_CANCELLED = 8,    /* the campaign was cancelled */
};

#define ADMIN_DEFAULT_URL "http://127.0.0.1:8480"
#define ADMIN_KEYS_MAX 8
#define ADMIN_ICCID_MAX 20

enum admin_cmd {
	ADMIN_CMD_NONE, /* no command: the global usage (with --help), or a usage error */
	ADMIN_CMD_VERSION,
	ADMIN_CMD_CARDS_IMPORT,
	ADMIN_CMD_HOLDERS_IMPORT,
	ADMIN_CMD_JOBS_LIST,
	ADMIN_CMD_CERT_SHOW,
	ADMIN_CMD_CAMPAIGN_START,
	ADMIN_CMD_CAMPAIGN_LIST,
	ADMIN_CMD_CAMPAIGN_SHOW,
	ADMIN_CMD_CAMPAIGN_WATCH,
	ADMIN_CMD_CAMPAIGN_PAUSE,
	ADMIN_CMD_CAMPAIGN_RESUME,
	ADMIN_CMD_CAMPAIGN_CANCEL,
	ADMIN_CMD_CAMPAIGN_FAILED,
	ADMIN_CMD_CAMPAIGN_CARDS,
	ADMIN_CMD_CAMPAIGN_HELP, /* 'campaign' alone or 'campaign --help': the list of campaign commands */
	ADMIN_CMD_TOKEN_CREATE,
	ADMIN_CMD_TOKEN_LIST,
	ADMIN_CMD_TOKEN_REVOKE,
	ADMIN_CMD_UNITS_SHOW,	  /* units show CODE */
	ADMIN_CMD_UNITS_CHILDREN, /* units children CODE */
	ADMIN_CMD_UNITS_CHANGE,	  /* units change FILE|- (with --json: the API's answer as JSON) */
	ADMIN_CMD_UNITS_CHANGES,  /* units changes */
	/* requests (admin_request.c) */
	ADMIN_CMD_REQUEST_FILE,
	ADMIN_CMD_REQUEST_LIST,
	ADMIN_CMD_REQUEST_SHOW,
	ADMIN_CMD_REQUEST_APPROVE,
	ADMIN_CMD_REQUEST_REJECT,
	ADMIN_CMD_REQUEST_WITHDRAW,
	ADMIN_CMD_REQUEST_STATS,
	ADMIN_CMD_REQUEST_HELP, /* 'request' alone or 'request --help' */
	ADMIN_CMD_LC_CREATE,	/* lifecycle operations (admin_lifecycle.c, docs/lifecycle.md) */
	ADMIN_CMD_LC_SHOW,
	ADMIN_CMD_LC_PAUSE,
	ADMIN_CMD_LC_RESUME,
	ADMIN_CMD_LC_CANCEL,
	ADMIN_CMD_AUDIT_VERIFY, /* through the API, or an export offline (--file, --key) */
	ADMIN_CMD_AUDIT_EXPORT,
	ADMIN_CMD_PIN_RESET,	  /* pin-reset HOLDER --id-number N [--mode unblock] */
	ADMIN_CMD_PIN_RESET_SHOW, /* pin-reset show ID */
	ADMIN_CMD_HOLDERS_MOVE,	  /* holders move HOLDER --unit CODE */
	ADMIN_CMD_N
};

/* How a campaign chooses its cards (POST /v1/campaigns "select"). */
enum admin_select {
	ADMIN_SEL_NONE,
	ADMIN_SEL_ICCIDS,      /* --iccids FILE or - */
	ADMIN_SEL_IMPORT,      /* --import ID */
	ADMIN_SEL_UNIT,	       /* --unit CODE */
	ADMIN_SEL_HOLDERS,     /* request file or lifecycle create --holders FILE (one id a line) */
	ADMIN_SEL_SERIALS,     /* lifecycle create --serials FILE (one serial a line) */
	ADMIN_SEL_UNIT_CHANGE, /* lifecycle create --unit-change ID */
};
#define ADMIN_DOCS_MAX 32

/* One key of a campaign, from --key ID:ALG:PROFILE. */
struct admin_key {
	unsigned id;	  /* the key's PKCS#15 id, 1..255 */
	char alg[8];	  /* "p256" or "rsa2048" */
	char profile[16]; /* "signing" or "authentication" */
};

/* The command line, read but not acted on. Strings point into argv. */
struct admin_cmdline {
	enum admin_cmd cmd;
	bool help;	    /* --help: print the usage of cmd, do nothing else */
	const char *url;    /* --url, else SIMPKI_API_URL, else ADMIN_DEFAULT_URL (admin_main) */
	const char *cacert; /* --cacert: the CA certificates for https:// (else the system's) */
	bool json;	    /* --json: the API's JSON answer, pretty, instead of text */
	const char *file;   /* cards/holders import FILE; campaign start --iccids FILE ("-": standard input) */
	const char *name;   /* cards import --name, campaign start --name */
	const char *iccid;  /* jobs list --iccid; cert show ICCID */
	const char *state;  /* jobs list --state, campaign cards --state */
	unsigned limit;	    /* jobs list --limit (0: the API's default) */
	long long id;	    /* a campaign's id */
	bool pem;	    /* cert show --pem */
	enum admin_select sel;
	long long import_id; /* --import */
	const char *unit;    /* --unit */
	struct admin_key keys[ADMIN_KEYS_MAX];
	unsigned n_keys; /* 0: the API's default (2:p256:signing) */
	bool personalise;
	unsigned concurrency; /* 0: the daemon's */
	bool watch;	      /* campaign start --watch */
	unsigned interval_ms; /* campaign watch --interval (default 1000) */
	const char *role;     /* token create --role */
	const char *scope;    /* token create --scope (a unit's code) */
	/* request file: --kind, --document NAME=SHA256 (each), --reason, --note; request reject --reason */
	const char *kind;
	const char *docs[ADMIN_DOCS_MAX];
	unsigned n_docs;
	const char *reason;
	const char *note;
	long long unit_change; /* lifecycle create --unit-change */
	const char *out;       /* audit export --out FILE */
	const char *key_file;  /* audit verify --key PUB.pem (with --file: offline) */
	const char *holder;    /* pin-reset HOLDER, holders move HOLDER */
	const char *id_number; /* pin-reset --id-number */
	const char *mode;      /* pin-reset --mode (NULL: the API's default, one-time-pin) */
};

/* ---- admin_args.c ---------------------------------------------------------------------------------------------- */

/*! Read the command line (argv[0] is the program) into \a cl. \returns 0; -EINVAL with the reason in \a err */
int admin_parse(int argc, char **argv, struct admin_cmdline *cl, char *err, size_t err_len);

/*! Read a key spec ID:ALG:PROFILE, e.g. 2:p256:signing. \returns 0; -EINVAL */
int admin_key_parse(const char *spec, struct admin_key *k);

/*! Read one ICCID per line (blank lines and lines starting with '#' skipped; CR LF taken) into the JSON array
 * \a a. \returns the number read; -EINVAL with the line named in \a err (a line that is not 18 to 20 digits, an
 * ICCID twice, none at all); -ENOMEM */
int admin_iccids_read(FILE *f, json_t *a, char *err, size_t err_len);

/*! The body of POST /v1/campaigns for \a cl, with the ICCIDs \a iccids (its reference is taken) when cl->sel is
 * ADMIN_SEL_ICCIDS. \returns a new object; NULL when out of memory */
json_t *admin_campaign_body(const struct admin_cmdline *cl, json_t *iccids);

/*! Read holder ids, one per line (blank lines and '#' comments skipped), into the JSON array \a a. \returns the
 *  number read; -EINVAL with the line named in \a err; -ENOMEM */
int admin_holders_read(FILE *f, json_t *a, char *err, size_t err_len);
/*! The body of POST /v1/requests for \a cl, with the holder ids \a holders (its reference is taken) when cl->sel is
 *  ADMIN_SEL_HOLDERS. \returns a new object; NULL when out of memory or a --document is not NAME=SHA256 */
json_t *admin_request_body(const struct admin_cmdline *cl, json_t *holders);

/*! The usage text of \a cmd (ADMIN_CMD_NONE: the global one, with the exit codes). */
const char *admin_usage(enum admin_cmd cmd);

/* ---- admin_http.c ---------------------------------------------------------------------------------------------- */

struct admin_ctx {
	const char *url;   /* the API's base URL, without a trailing '/' */
	const char *token; /* never printed */
	const char *cacert;
	bool json;
	bool tty;	    /* standard output is a terminal */
	void *curl;	    /* CURL *, made by admin_http_open */
	char curl_err[256]; /* the last transfer error, as libcurl words it (it never holds a header) */
};

/* An answer of the API. */
struct admin_resp {
	long status;  /* HTTP status */
	json_t *body; /* the JSON answer (NULL when it was not JSON) */
};

/*! Check the URL (http:// only to a loopback host: a bearer token must not travel in clear) and set up libcurl.
 * \returns 0; -EINVAL (a message in \a err); -ENOMEM */
int admin_http_open(struct admin_ctx *a, char *err, size_t err_len);
void admin_http_close(struct admin_ctx *a);

/*! One request: METHOD URL/PATH with \a json_body (a JSON text) or the stream \a upload (then of type \a ctype,
 * chunked when \a upload_len < 0). \returns 0 with r set when an HTTP answer came (any status: the caller frees
 * r->body); -EHOSTUNREACH when none came (the reason in a->curl_err); -ENOMEM */
int admin_http(struct admin_ctx *a, const char *method, const char *path, const char *json_body, FILE *upload,
	       long long upload_len, const char *ctype, struct admin_resp *r);

/*! The exit code of an answer that is not 2xx, and its message on stderr ("simpki-admin: " and the API's error
 * message and code; \a what, e.g. "campaign 99", names the object for a 404 without a usable body). */
enum admin_exit admin_http_fail(const struct admin_ctx *a, const struct admin_resp *r, const char *what);

/*! A request whose answer must be 2xx and JSON, with a body as admin_http takes it: *out holds the answer (the
 * caller frees). \returns an exit code, its message printed on stderr when not ADMIN_EXIT_OK */
enum admin_exit admin_send(struct admin_ctx *a, const char *method, const char *path, const char *json_body,
			   FILE *upload, long long upload_len, const char *ctype, const char *what, json_t **out);

/*! admin_send without a stream: a request whose answer must be 2xx and JSON: *out holds it (the caller frees). \returns an exit code, its
 * message printed on stderr when not ADMIN_EXIT_OK */
enum admin_exit admin_call(struct admin_ctx *a, const char *method, const char *path, const char *json_body,
			   const char *what, json_t **out);

/*! Print \a j pretty on standard output (--json). \returns ADMIN_EXIT_OK; ADMIN_EXIT_FAILURE */
enum admin_exit admin_print_json(const json_t *j);

/* ---- admin_render.c: pure, JSON in, text out (the caller frees what is returned; NULL: out of memory) --------- */

enum admin_view {
	ADMIN_VIEW_LINE,    /* one plain line, for a log (no terminal) */
	ADMIN_VIEW_LIVE,    /* lines redrawn in place on a terminal: name and bar, counts, rate and time left */
	ADMIN_VIEW_SUMMARY, /* what is left on the terminal when the campaign ended */
};

/*! A campaign object (GET /v1/campaigns/{id}) as the view asks, each line cut to \a width columns (0: no cut),
 * lines separated by '\n', no '\n' at the end. */
char *admin_render_campaign(const json_t *c, enum admin_view view, unsigned width);

/*! The progress bar "[#####.....]  37%" of \a done of \a total cards, \a cells wide between the brackets. */
char *admin_render_bar(long long done, long long total, unsigned cells);

/*! A table: \a n_cols headings, then rows of strings (NULL prints as "-"), columns padded to their widest cell. */
struct admin_table;
struct admin_table *admin_table_new(unsigned n_cols, const char *const *headings);
/*! Add a row of n_cols cells (copied). \returns 0; -ENOMEM */
int admin_table_add(struct admin_table *t, const char *const *cells);
char *admin_table_render(const struct admin_table *t);
void admin_table_free(struct admin_table *t);

/*! Tables of API answers: jobs (GET /v1/jobs), certificates, campaigns, a campaign's cards (\a failed: the
 * columns of 'campaign failed'). \a items is the answer's array. */
char *admin_render_jobs(const json_t *items);
char *admin_render_certs(const json_t *items);
char *admin_render_campaigns(const json_t *items);
/*! GET /v1/tokens's tokens: name, role, scope ("-": the whole tree), created. */
char *admin_render_tokens(const json_t *items);
char *admin_render_campaign_cards(const json_t *items, bool failed);

/*! A card import's result (GET /v1/imports/{id}) and a holder import's (POST /v1/holders/import), each rejected
 * line on a line of its own. */
char *admin_render_import(const json_t *im);
char *admin_render_holders_import(const json_t *rep);

/* ---- the commands: each returns an exit code ------------------------------------------------------------------ */

enum admin_exit admin_cards_import_run(struct admin_ctx *a, const struct admin_cmdline *cl);
enum admin_exit admin_holders_import_run(struct admin_ctx *a, const struct admin_cmdline *cl);
/*! holders move HOLDER --unit CODE: PATCH /v1/holders/{id} {"unit": CODE} (admin_cmds.c). */
enum admin_exit admin_holders_move_run(struct admin_ctx *a, const struct admin_cmdline *cl);
enum admin_exit admin_jobs_list_run(struct admin_ctx *a, const struct admin_cmdline *cl);
enum admin_exit admin_cert_show_run(struct admin_ctx *a, const struct admin_cmdline *cl);
enum admin_exit admin_pin_reset_run(struct admin_ctx *a, const struct admin_cmdline *cl);
enum admin_exit admin_campaign_run(struct admin_ctx *a, const struct admin_cmdline *cl);
/*! token create NAME --role ROLE [--scope UNIT], token list, token revoke NAME (admin_token.c). */
enum admin_exit admin_token_run(struct admin_ctx *a, const struct admin_cmdline *cl);
/*! The body of POST /v1/tokens for \a cl. \returns a new object; NULL when out of memory */
json_t *admin_token_body(const struct admin_cmdline *cl);
/*! units show|children|change|changes (admin_units.c): the organisation tree. */
enum admin_exit admin_units_run(struct admin_ctx *a, const struct admin_cmdline *cl);
enum admin_exit admin_request_run(struct admin_ctx *a, const struct admin_cmdline *cl);
/* admin_lifecycle.c: lifecycle create, show, pause, resume, cancel */
enum admin_exit admin_lifecycle_run(struct admin_ctx *a, const struct admin_cmdline *cl);
/*! The body of POST /v1/lifecycle for \a cl, with \a ids (its reference is taken: holder ids or serials) when
 *  cl->sel is ADMIN_SEL_HOLDERS or ADMIN_SEL_SERIALS. \returns a new object; NULL when out of memory */
json_t *admin_lifecycle_body(const struct admin_cmdline *cl, json_t *ids);
/*! An operation (GET /v1/lifecycle/{id}) as text: a line naming it and a progress line with a bar. */
char *admin_render_lifecycle(const json_t *op);

/*! Whether a campaign object is over (state done or cancelled); if so, *code is its exit code: done with no
 * failed card ADMIN_EXIT_OK, done with failed cards ADMIN_EXIT_CARDS_FAILED, cancelled ADMIN_EXIT_CANCELLED. */
bool admin_campaign_over(const json_t *c, enum admin_exit *code);

/* admin_audit.c: the audit trail (docs/otad.md, Audit trail) */
enum admin_exit admin_audit_verify_run(struct admin_ctx *a, const struct admin_cmdline *cl);
enum admin_exit admin_audit_export_run(struct admin_ctx *a, const struct admin_cmdline *cl);
/*! Verify an export (cl->file) with the public key in cl->key_file, offline: no API, no token. */
enum admin_exit admin_audit_verify_file(const struct admin_cmdline *cl);
/*! GET /v1/audit/verify's answer as a person reads it (pure). */
char *admin_render_audit_verify(const json_t *v);

/*! simpki-admin's main(). */
int admin_main(int argc, char **argv);
