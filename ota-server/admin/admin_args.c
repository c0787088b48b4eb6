/* simpki-admin's command line read into struct admin_cmdline, acting on nothing (so the unit test reads every
 * case): global options, then GROUP VERB (e.g. "campaign start"), then the command's options and arguments in any
 * order. --url, --cacert, --json and --help are taken before or after the command. Also the two inputs a campaign
 * is made of: --key specs and a file of ICCIDs, and the body of POST /v1/campaigns.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "apiclient.h"

enum opt {
	OPT_URL = 256,
	OPT_CACERT,
	OPT_JSON,
	OPT_HELP,
	OPT_VERSION,
	OPT_NAME,
	OPT_ICCID,
	OPT_STATE,
	OPT_LIMIT,
	OPT_PEM,
	OPT_ICCIDS,
	OPT_IMPORT,
	OPT_UNIT,
	OPT_KEY,
	OPT_PERSONALISE,
	OPT_CONCURRENCY,
	OPT_WATCH,
	OPT_INTERVAL,
	OPT_ROLE,
	OPT_SCOPE,
	OPT_KIND,
	OPT_HOLDERS,
	OPT_DOCUMENT,
	OPT_REASON,
	OPT_NOTE,
	OPT_SERIALS,
	OPT_UNIT_CHANGE,
	OPT_FILE,
	OPT_OUT,
	OPT_ID_NUMBER,
	OPT_MODE,
};

#define BIT(o) (1u << ((o)-OPT_URL))
#define COMMON (BIT(OPT_URL) | BIT(OPT_CACERT) | BIT(OPT_JSON) | BIT(OPT_HELP))

static const struct option long_opts[] = {
	{ "url", required_argument, NULL, OPT_URL },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "iccid", required_argument, NULL, OPT_ICCID },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "pem", no_argument, NULL, OPT_PEM },
	{ "iccids", required_argument, NULL, OPT_ICCIDS },
	{ "import", required_argument, NULL, OPT_IMPORT },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "personalise", no_argument, NULL, OPT_PERSONALISE },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "watch", no_argument, NULL, OPT_WATCH },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "scope", required_argument, NULL, OPT_SCOPE },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "holders", required_argument, NULL, OPT_HOLDERS },
	{ "document", required_argument, NULL, OPT_DOCUMENT },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "serials", required_argument, NULL, OPT_SERIALS },
	{ "unit-change", required_argument, NULL, OPT_UNIT_CHANGE },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "id-number", required_argument, NULL, OPT_ID_NUMBER },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ NULL, 0, NULL, 0 },
};

/* The commands: words, the options each takes, and its one positional argument if any. */
static const struct {
	const char *group, *verb;
	enum admin_cmd cmd;
	unsigned opts;
	const char *arg; /* the positional argument's name, or NULL */
} cmds[] = {
	{ "cards", "import", ADMIN_CMD_CARDS_IMPORT, COMMON | BIT(OPT_NAME), "FILE" },
	{ "holders", "import", ADMIN_CMD_HOLDERS_IMPORT, COMMON, "FILE" },
	{ "holders", "move", ADMIN_CMD_HOLDERS_MOVE, COMMON | BIT(OPT_UNIT), "HOLDER" },
	{ "jobs", "list", ADMIN_CMD_JOBS_LIST, COMMON | BIT(OPT_ICCID) | BIT(OPT_STATE) | BIT(OPT_LIMIT), NULL },
	{ "cert", "show", ADMIN_CMD_CERT_SHOW, COMMON | BIT(OPT_PEM), "ICCID" },
	{ "campaign", "start", ADMIN_CMD_CAMPAIGN_START,
	  COMMON | BIT(OPT_NAME) | BIT(OPT_ICCIDS) | BIT(OPT_IMPORT) | BIT(OPT_UNIT) | BIT(OPT_KEY) |
		  BIT(OPT_PERSONALISE) | BIT(OPT_CONCURRENCY) | BIT(OPT_WATCH) | BIT(OPT_INTERVAL),
	  NULL },
	{ "campaign", "list", ADMIN_CMD_CAMPAIGN_LIST, COMMON, NULL },
	{ "campaign", "show", ADMIN_CMD_CAMPAIGN_SHOW, COMMON, "ID" },
	{ "campaign", "watch", ADMIN_CMD_CAMPAIGN_WATCH, COMMON | BIT(OPT_INTERVAL), "ID" },
	{ "campaign", "pause", ADMIN_CMD_CAMPAIGN_PAUSE, COMMON, "ID" },
	{ "campaign", "resume", ADMIN_CMD_CAMPAIGN_RESUME, COMMON, "ID" },
	{ "campaign", "cancel", ADMIN_CMD_CAMPAIGN_CANCEL, COMMON, "ID" },
	{ "campaign", "failed", ADMIN_CMD_CAMPAIGN_FAILED, COMMON, "ID" },
	{ "campaign", "cards", ADMIN_CMD_CAMPAIGN_CARDS, COMMON | BIT(OPT_STATE), "ID" },
	{ "token", "create", ADMIN_CMD_TOKEN_CREATE, COMMON | BIT(OPT_ROLE) | BIT(OPT_SCOPE), "NAME" },
	{ "token", "list", ADMIN_CMD_TOKEN_LIST, COMMON, NULL },
	{ "token", "revoke", ADMIN_CMD_TOKEN_REVOKE, COMMON, "NAME" },
	{ "units", "show", ADMIN_CMD_UNITS_SHOW, COMMON, "CODE" },
	{ "units", "children", ADMIN_CMD_UNITS_CHILDREN, COMMON | BIT(OPT_LIMIT), "CODE" },
	{ "units", "change", ADMIN_CMD_UNITS_CHANGE, COMMON, "FILE" },
	{ "units", "changes", ADMIN_CMD_UNITS_CHANGES, COMMON | BIT(OPT_LIMIT), NULL },
	{ "request", "file", ADMIN_CMD_REQUEST_FILE,
	  COMMON | BIT(OPT_KIND) | BIT(OPT_HOLDERS) | BIT(OPT_UNIT) | BIT(OPT_DOCUMENT) | BIT(OPT_REASON) |
		  BIT(OPT_NOTE),
	  NULL },
	{ "request", "list", ADMIN_CMD_REQUEST_LIST, COMMON | BIT(OPT_UNIT) | BIT(OPT_STATE) | BIT(OPT_LIMIT), NULL },
	{ "request", "show", ADMIN_CMD_REQUEST_SHOW, COMMON, "ID" },
	{ "request", "approve", ADMIN_CMD_REQUEST_APPROVE, COMMON, "ID" },
	{ "request", "reject", ADMIN_CMD_REQUEST_REJECT, COMMON | BIT(OPT_REASON), "ID" },
	{ "request", "withdraw", ADMIN_CMD_REQUEST_WITHDRAW, COMMON, "ID" },
	{ "request", "stats", ADMIN_CMD_REQUEST_STATS, COMMON | BIT(OPT_UNIT), NULL },
	{ "lifecycle", "create", ADMIN_CMD_LC_CREATE,
	  COMMON | BIT(OPT_KIND) | BIT(OPT_NAME) | BIT(OPT_UNIT) | BIT(OPT_HOLDERS) | BIT(OPT_SERIALS) |
		  BIT(OPT_UNIT_CHANGE) | BIT(OPT_REASON) | BIT(OPT_CONCURRENCY),
	  NULL },
	{ "lifecycle", "show", ADMIN_CMD_LC_SHOW, COMMON, "ID" },
	{ "lifecycle", "pause", ADMIN_CMD_LC_PAUSE, COMMON, "ID" },
	{ "lifecycle", "resume", ADMIN_CMD_LC_RESUME, COMMON, "ID" },
	{ "lifecycle", "cancel", ADMIN_CMD_LC_CANCEL, COMMON, "ID" },
	{ "audit", "verify", ADMIN_CMD_AUDIT_VERIFY, COMMON | BIT(OPT_FILE) | BIT(OPT_KEY), NULL },
	{ "audit", "export", ADMIN_CMD_AUDIT_EXPORT, COMMON | BIT(OPT_OUT), NULL },
	{ "pin-reset", "show", ADMIN_CMD_PIN_RESET_SHOW, COMMON, "ID" },
};

static const char *const roles[] = { "read-only", "operator", "admin", "central-ra", "unit-ra", "counter", "auditor" };

static bool is_token_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static bool is_iccid(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return !s[n] && n >= 18 && n <= ADMIN_ICCID_MAX;
}

int admin_key_parse(const char *spec, struct admin_key *k)
{
	char buf[64], *alg, *profile;
	long long id;

	if (strlen(spec) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, spec);
	alg = strchr(buf, ':');
	if (!alg)
		return -EINVAL;
	*alg++ = '\0';
	profile = strchr(alg, ':');
	if (!profile)
		return -EINVAL;
	*profile++ = '\0';
	if (apiclient_number(buf, 1, 255, &id))
		return -EINVAL;
	if (strcmp(alg, "p256") && strcmp(alg, "rsa2048"))
		return -EINVAL;
	if (strcmp(profile, "signing") && strcmp(profile, "authentication"))
		return -EINVAL;
	k->id = (unsigned)id;
	snprintf(k->alg, sizeof(k->alg), "%s", alg);
	snprintf(k->profile, sizeof(k->profile), "%s", profile);
	return 0;
}

/* An option's value into cl. \returns 0; -EINVAL */
static int take(struct admin_cmdline *cl, int o, const char *v, char *err, size_t len)
{
	long long n;

	switch (o) {
	case OPT_URL:
		cl->url = v;
		break;
	case OPT_CACERT:
		cl->cacert = v;
		break;
	case OPT_JSON:
		cl->json = true;
		break;
	case OPT_HELP:
		cl->help = true;
		break;
	case OPT_NAME:
		if (!*v)
			return apiclient_bad(err, len, "--name wants a name");
		cl->name = v;
		break;
	case OPT_ICCID:
		if (!is_iccid(v))
			return apiclient_bad(err, len, "--iccid %s: an ICCID is 18 to 20 digits", v);
		cl->iccid = v;
		break;
	case OPT_STATE:
		if (!*v || strspn(v, "abcdefghijklmnopqrstuvwxyz-") != strlen(v))
			return apiclient_bad(err, len, "--state %s: a state is a word such as 'failed'", v);
		cl->state = v;
		break;
	case OPT_LIMIT:
		if (apiclient_number(v, 1, 1000, &n))
			return apiclient_bad(err, len, "--limit %s: 1 to 1000", v);
		cl->limit = (unsigned)n;
		break;
	case OPT_PEM:
		cl->pem = true;
		break;
	case OPT_HOLDERS:
	case OPT_SERIALS:
	case OPT_UNIT_CHANGE:
		if (cl->sel != ADMIN_SEL_NONE)
			return apiclient_bad(err, len, "one of --unit, --holders, --unit-change and --serials, once");
		if (o == OPT_UNIT_CHANGE) {
			if (apiclient_number(v, 1, LLONG_MAX, &n))
				return apiclient_bad(err, len, "--unit-change %s: a unit change's id is a number", v);
			cl->sel = ADMIN_SEL_UNIT_CHANGE;
			cl->unit_change = n;
		} else {
			cl->sel = o == OPT_HOLDERS ? ADMIN_SEL_HOLDERS : ADMIN_SEL_SERIALS;
			cl->file = v;
		}
		break;
	case OPT_ICCIDS:
	case OPT_IMPORT:
	case OPT_UNIT:
		if (cl->sel != ADMIN_SEL_NONE)
			return apiclient_bad(err, len,
					     "one of --iccids, --import and --unit (or a lifecycle selection), once");
		if (o == OPT_ICCIDS) {
			cl->sel = ADMIN_SEL_ICCIDS;
			cl->file = v;
		} else if (o == OPT_IMPORT) {
			if (apiclient_number(v, 1, LLONG_MAX, &n))
				return apiclient_bad(err, len, "--import %s: an import's id is a number", v);
			cl->sel = ADMIN_SEL_IMPORT;
			cl->import_id = n;
		} else {
			if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 16)
				return apiclient_bad(err, len,
						     "--unit %s: a unit's code is digits, e.g. 01 or 10101003", v);
			cl->sel = ADMIN_SEL_UNIT;
			cl->unit = v;
		}
		break;
	case OPT_KEY:
		if (cl->cmd == ADMIN_CMD_AUDIT_VERIFY) { /* audit verify --key PUB.pem */
			if (!*v)
				return apiclient_bad(err, len, "--key wants the audit public key's file (PEM)");
			cl->key_file = v;
			break;
		}
		if (cl->n_keys == ADMIN_KEYS_MAX)
			return apiclient_bad(err, len, "at most %d --key", ADMIN_KEYS_MAX);
		if (admin_key_parse(v, &cl->keys[cl->n_keys]))
			return apiclient_bad(
				err, len,
				"--key %s: ID:ALG:PROFILE, ID 1 to 255, ALG p256 or rsa2048, PROFILE signing or "
				"authentication (e.g. 2:p256:signing)",
				v);
		for (unsigned i = 0; i < cl->n_keys; i++)
			if (cl->keys[i].id == cl->keys[cl->n_keys].id)
				return apiclient_bad(err, len, "--key %s: key %u is named twice", v, cl->keys[i].id);
		cl->n_keys++;
		break;
	case OPT_PERSONALISE:
		cl->personalise = true;
		break;
	case OPT_CONCURRENCY:
		if (apiclient_number(v, 1, 100000, &n))
			return apiclient_bad(err, len, "--concurrency %s: 1 to 100000 cards at once", v);
		cl->concurrency = (unsigned)n;
		break;
	case OPT_WATCH:
		cl->watch = true;
		break;
	case OPT_ROLE:
		for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
			if (!strcmp(v, roles[i]))
				cl->role = v;
		if (cl->role != v)
			return apiclient_bad(err, len,
					     "--role %s: read-only, operator, admin, central-ra, unit-ra, counter or "
					     "auditor",
					     v);
		break;
	case OPT_SCOPE:
		if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 15)
			return apiclient_bad(err, len, "--scope %s: a unit's code is digits, e.g. 01 or 10101003", v);
		cl->scope = v;
		break;
	case OPT_INTERVAL: {
		char *end;
		double s;

		errno = 0;
		s = strtod(v, &end);
		if (errno || end == v || *end || !(s >= 0.1 && s <= 3600))
			return apiclient_bad(err, len, "--interval %s: 0.1 to 3600 seconds", v);
		cl->interval_ms = (unsigned)(s * 1000 + 0.5);
		break;
	}
	case OPT_KIND:
		if (!*v || strspn(v, "abcdefghijklmnopqrstuvwxyz-") != strlen(v))
			return apiclient_bad(
				err, len,
				"--kind %s: new-certificate, modify, renew, rekey, revoke, suspend, release or "
				"pin-reset",
				v);
		cl->kind = v;
		break;
	case OPT_DOCUMENT: {
		const char *eq = strrchr(v, '=');

		if (cl->n_docs == ADMIN_DOCS_MAX)
			return apiclient_bad(err, len, "at most %d --document", ADMIN_DOCS_MAX);
		if (!eq || eq == v || strlen(eq + 1) != 64 || strspn(eq + 1, "0123456789abcdefABCDEF") != 64)
			return apiclient_bad(err, len,
					     "--document %s: NAME=SHA256 (64 hex digits of the document's hash)", v);
		cl->docs[cl->n_docs++] = v;
		break;
	}
	case OPT_REASON:
		if (!*v)
			return apiclient_bad(err, len, "--reason wants a reason");
		cl->reason = v;
		break;
	case OPT_NOTE:
		cl->note = v;
		break;
	case OPT_FILE:
	case OPT_OUT:
		if (!*v)
			return apiclient_bad(err, len, "--%s wants a file", o == OPT_FILE ? "file" : "out");
		if (o == OPT_FILE)
			cl->file = v;
		else
			cl->out = v;
		break;
	case OPT_ID_NUMBER:
		if (!*v || strlen(v) > 64)
			return apiclient_bad(err, len, "--id-number: 1 to 64 characters");
		cl->id_number = v;
		break;
	case OPT_MODE:
		if (strcmp(v, "one-time-pin") && strcmp(v, "unblock"))
			return apiclient_bad(err, len, "--mode %s: one-time-pin or unblock", v);
		cl->mode = v;
		break;
	default:
		return apiclient_bad(err, len, "internal error: option %d", o);
	}
	return 0;
}

static int global_opts(int argc, char **argv, struct admin_cmdline *cl, char *err, size_t len)
{
	int o;

	optind = 0; /* GNU getopt: start afresh (the unit test parses many command lines) */
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+:h", long_opts, NULL)) != -1) {
		if (o == 'h')
			o = OPT_HELP;
		if (o == OPT_VERSION) {
			cl->cmd = ADMIN_CMD_VERSION;
			continue;
		}
		if (o == '?' || o == ':')
			return apiclient_bad(err, len, "%s: %s", apiclient_refused(argv, optind),
					     o == ':' ? "wants a value" : "unknown option");
		if (!(COMMON & BIT(o)))
			return apiclient_bad(err, len, "%s: an option of a command: put it after the command",
					     apiclient_refused(argv, optind));
		if (take(cl, o, optarg, err, len))
			return -EINVAL;
	}
	return optind;
}

static int command_opts(int argc, char **argv, unsigned allowed, struct admin_cmdline *cl, const char **pos, char *err,
			size_t len)
{
	int o;

	optind = 0;
	opterr = 0;
	*pos = NULL;
	while ((o = getopt_long(argc, argv, "-:h", long_opts, NULL)) != -1) {
		if (o == 1) { /* a positional argument, in its place among the options */
			if (*pos)
				return apiclient_bad(err, len, "%s: one argument only (the first was %s)", optarg,
						     *pos);
			*pos = optarg;
			continue;
		}
		if (o == 'h')
			o = OPT_HELP;
		if (o == '?' || o == ':')
			return apiclient_bad(err, len, "%s: %s", apiclient_refused(argv, optind),
					     o == ':' ? "wants a value" : "not an option of this command");
		if (o == OPT_VERSION || !(allowed & BIT(o)))
			return apiclient_bad(err, len, "%s: not an option of this command",
					     apiclient_refused(argv, optind));
		if (take(cl, o, optarg, err, len))
			return -EINVAL;
	}
	return 0;
}

/* The positional argument: its presence, and a campaign's id or a card's ICCID. */
static int check_arg(struct admin_cmdline *cl, const char *name, const char *pos, char *err, size_t len)
{
	long long n;

	if (!name && pos)
		return apiclient_bad(err, len, "%s: this command takes no argument", pos);
	if (!name)
		return 0;
	if (!pos)
		return apiclient_bad(err, len, "%s is missing", name);
	if (!strcmp(name, "ID")) {
		if (apiclient_number(pos, 1, LLONG_MAX, &n))
			return apiclient_bad(err, len, "%s: an id is a number", pos);
		cl->id = n;
	} else if (!strcmp(name, "CODE")) {
		if (!*pos || strspn(pos, "0123456789") != strlen(pos) || strlen(pos) > 15)
			return apiclient_bad(err, len, "%s: a unit's code is 1 to 15 digits, e.g. 01 or 10101003", pos);
		cl->unit = pos;
	} else if (!strcmp(name, "ICCID")) {
		if (!is_iccid(pos))
			return apiclient_bad(err, len, "%s: an ICCID is 18 to 20 digits", pos);
		cl->iccid = pos;
	} else if (!strcmp(name, "HOLDER")) {
		if (!is_token_name(pos))
			return apiclient_bad(err, len, "%s: a holder's id is 1 to 64 of A-Z a-z 0-9 . _ -", pos);
		cl->holder = pos;
	} else if (!strcmp(name, "NAME")) {
		if (!is_token_name(pos))
			return apiclient_bad(err, len, "%s: a token's name is 1 to 64 of A-Z a-z 0-9 . _ -", pos);
		cl->name = pos;
	} else {
		cl->file = pos;
	}
	return 0;
}

static int check_start(const struct admin_cmdline *cl, char *err, size_t len)
{
	if (!cl->name)
		return apiclient_bad(err, len, "--name is required");
	if (cl->sel == ADMIN_SEL_NONE)
		return apiclient_bad(
			err, len, "which cards: --iccids FILE (or - for standard input), --import ID or --unit CODE");
	return 0;
}

static int check_request_file(const struct admin_cmdline *cl, char *err, size_t len)
{
	if (!cl->kind)
		return apiclient_bad(err, len, "--kind is required");
	if (cl->sel != ADMIN_SEL_HOLDERS && cl->sel != ADMIN_SEL_UNIT)
		return apiclient_bad(err, len, "for whom: --holders FILE (or - for standard input) or --unit CODE");
	return 0;
}

int admin_parse(int argc, char **argv, struct admin_cmdline *cl, char *err, size_t len)
{
	const char *group, *verb, *pos;
	size_t n = sizeof(cmds) / sizeof(cmds[0]);
	int at;

	memset(cl, 0, sizeof(*cl));
	cl->interval_ms = 1000;
	err[0] = '\0';
	at = global_opts(argc, argv, cl, err, len);
	if (at < 0)
		return at;
	if (at >= argc) {
		if (cl->help || cl->cmd == ADMIN_CMD_VERSION)
			return 0;
		return apiclient_bad(err, len, "a command is missing");
	}
	cl->cmd = ADMIN_CMD_NONE;
	group = argv[at];
	verb = at + 1 < argc ? argv[at + 1] : NULL;
	if (!strcmp(group, "campaign") && (!verb || !strcmp(verb, "--help") || !strcmp(verb, "-h"))) {
		cl->cmd = ADMIN_CMD_CAMPAIGN_HELP; /* its usage lists the campaign commands */
		cl->help = verb != NULL;
		return verb ? 0 : apiclient_bad(err, len, "campaign: which command?");
	}
	if (!strcmp(group, "request") && (!verb || !strcmp(verb, "--help") || !strcmp(verb, "-h"))) {
		cl->cmd = ADMIN_CMD_REQUEST_HELP; /* its usage lists the request commands */
		cl->help = verb != NULL;
		return verb ? 0 : apiclient_bad(err, len, "request: which command?");
	}
	if (!strcmp(group, "pin-reset") && verb && strcmp(verb, "show") && verb[0] != '-') {
		/* pin-reset HOLDER --id-number N [--mode MODE]: the holder stands where a verb would */
		cl->cmd = ADMIN_CMD_PIN_RESET;
		if (command_opts(argc - at, argv + at, COMMON | BIT(OPT_ID_NUMBER) | BIT(OPT_MODE), cl, &pos, err, len))
			return -EINVAL;
		if (cl->help)
			return 0;
		cl->holder = pos;
		if (!cl->id_number)
			return apiclient_bad(err, len,
					     "--id-number is required (the identity number on the holder's papers)");
		return 0;
	}
	if (verb && (!strcmp(verb, "--help") || !strcmp(verb, "-h"))) {
		cl->help = true; /* "cards --help": the global usage */
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(cmds[i].group, group))
			continue;
		if (!verb)
			return apiclient_bad(err, len, "%s: which? e.g. '%s %s'", group, group, cmds[i].verb);
		if (strcmp(cmds[i].verb, verb))
			continue;
		cl->cmd = cmds[i].cmd;
		if (command_opts(argc - at - 1, argv + at + 1, cmds[i].opts, cl, &pos, err, len))
			return -EINVAL;
		if (cl->help)
			return 0;
		if (check_arg(cl, cmds[i].arg, pos, err, len))
			return -EINVAL;
		if (cl->cmd == ADMIN_CMD_CAMPAIGN_START)
			return check_start(cl, err, len);
		if (cl->cmd == ADMIN_CMD_TOKEN_CREATE && !cl->role)
			return apiclient_bad(err, len, "--role is required");
		if (cl->cmd == ADMIN_CMD_TOKEN_CREATE && !cl->scope &&
		    (!strcmp(cl->role, "unit-ra") || !strcmp(cl->role, "counter")))
			return apiclient_bad(err, len, "--scope is required for a %s token", cl->role);
		if (cl->cmd == ADMIN_CMD_REQUEST_FILE)
			return check_request_file(cl, err, len);
		if (cl->cmd == ADMIN_CMD_HOLDERS_MOVE && cl->sel != ADMIN_SEL_UNIT)
			return apiclient_bad(err, len, "--unit CODE is required: the unit the holder moves to");
		if (cl->cmd == ADMIN_CMD_REQUEST_REJECT && !cl->reason)
			return apiclient_bad(err, len, "--reason is required: why it is rejected");
		if (cl->cmd == ADMIN_CMD_LC_CREATE && !cl->kind)
			return apiclient_bad(err, len, "--kind is required");
		if (cl->cmd == ADMIN_CMD_LC_CREATE && strcmp(cl->kind, "modify") && strcmp(cl->kind, "renew") &&
		    strcmp(cl->kind, "rekey") && strcmp(cl->kind, "revoke") && strcmp(cl->kind, "suspend") &&
		    strcmp(cl->kind, "release"))
			return apiclient_bad(err, len, "--kind %s: modify, renew, rekey, revoke, suspend or release",
					     cl->kind);
		if (cl->cmd == ADMIN_CMD_LC_CREATE && cl->reason &&
		    (strlen(cl->reason) > 32 ||
		     strspn(cl->reason, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(cl->reason)))
			return apiclient_bad(err, len, "--reason %s: a CRLReason name, e.g. keyCompromise", cl->reason);
		if (cl->cmd == ADMIN_CMD_LC_CREATE &&
		    (cl->sel == ADMIN_SEL_NONE || cl->sel == ADMIN_SEL_ICCIDS || cl->sel == ADMIN_SEL_IMPORT))
			return apiclient_bad(
				err, len,
				"which certificates: --unit CODE, --holders FILE, --unit-change ID or --serials FILE");
		if (cl->cmd == ADMIN_CMD_AUDIT_VERIFY && !cl->file != !cl->key_file)
			return apiclient_bad(err, len,
					     "--file EXPORT and --key PUB.pem go together (an offline verify)");
		if (cl->cmd == ADMIN_CMD_AUDIT_EXPORT && !cl->out)
			return apiclient_bad(err, len, "--out FILE is required");
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cmds[i].group, group))
			return apiclient_bad(err, len, "unknown command: %s %s", group, verb);
	return apiclient_bad(err, len, "unknown command: %s", group);
}

int admin_iccids_read(FILE *f, json_t *a, char *err, size_t len)
{
	char line[128];
	unsigned no = 0;
	int n = 0;

	while (fgets(line, sizeof(line), f)) {
		size_t l = strlen(line);

		no++;
		if (l == sizeof(line) - 1 && line[l - 1] != '\n')
			return apiclient_bad(err, len, "line %u: too long for an ICCID", no);
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
			line[--l] = '\0';
		if (!l || line[0] == '#')
			continue;
		if (!is_iccid(line))
			return apiclient_bad(err, len, "line %u: not an ICCID (18 to 20 digits): %.24s", no, line);
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!strcmp(json_string_value(json_array_get(a, i)), line))
				return apiclient_bad(err, len, "line %u: ICCID %s came earlier in the file", no, line);
		if (json_array_append_new(a, json_string(line)))
			return -ENOMEM;
		n++;
	}
	if (ferror(f))
		return apiclient_bad(err, len, "cannot read: %s", strerror(errno));
	if (!n)
		return apiclient_bad(err, len, "no ICCID in it");
	return n;
}

json_t *admin_campaign_body(const struct admin_cmdline *cl, json_t *iccids)
{
	json_t *sel, *o, *keys;

	switch (cl->sel) {
	case ADMIN_SEL_ICCIDS:
		sel = json_pack("{s:o}", "iccids", iccids);
		iccids = NULL;
		break;
	case ADMIN_SEL_IMPORT:
		sel = json_pack("{s:I}", "import", (json_int_t)cl->import_id);
		break;
	case ADMIN_SEL_UNIT:
		sel = json_pack("{s:s}", "unit", cl->unit);
		break;
	default:
		sel = NULL;
	}
	json_decref(iccids);
	if (!sel)
		return NULL;
	o = json_pack("{s:s,s:o,s:b}", "name", cl->name, "select", sel, "personalise", cl->personalise);
	if (!o)
		return NULL;
	if (cl->concurrency && json_object_set_new(o, "concurrency", json_integer(cl->concurrency)))
		goto nomem;
	if (!cl->n_keys)
		return o;
	keys = json_array();
	if (json_object_set_new(o, "keys", keys))
		goto nomem;
	for (unsigned i = 0; i < cl->n_keys; i++)
		if (json_array_append_new(keys, json_pack("{s:i,s:s,s:s}", "id", (int)cl->keys[i].id, "alg",
							  cl->keys[i].alg, "profile", cl->keys[i].profile)))
			goto nomem;
	return o;
nomem:
	json_decref(o);
	return NULL;
}

int admin_holders_read(FILE *f, json_t *a, char *err, size_t len)
{
	char line[128];
	unsigned no = 0;
	int n = 0;

	while (fgets(line, sizeof(line), f)) {
		size_t l = strlen(line);

		no++;
		if (l == sizeof(line) - 1 && line[l - 1] != '\n')
			return apiclient_bad(err, len, "line %u: too long for a holder id", no);
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
			line[--l] = '\0';
		if (!l || line[0] == '#')
			continue;
		if (l > 64 || strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != l)
			return apiclient_bad(err, len, "line %u: not a holder id (1 to 64 of A-Z a-z 0-9 . _ -): %.24s",
					     no, line);
		if (json_array_append_new(a, json_string(line)))
			return -ENOMEM;
		n++;
	}
	if (ferror(f))
		return apiclient_bad(err, len, "cannot read: %s", strerror(errno));
	if (!n)
		return apiclient_bad(err, len, "no holder id in it");
	return n;
}

json_t *admin_request_body(const struct admin_cmdline *cl, json_t *holders)
{
	json_t *o = json_pack("{s:s}", "kind", cl->kind), *docs = json_array();

	if (!o || !docs)
		goto fail;
	if (cl->sel == ADMIN_SEL_HOLDERS) {
		if (json_object_set_new(o, "holders", holders))
			goto fail;
		holders = NULL;
	} else if (json_object_set_new(o, "unit", json_string(cl->unit))) {
		goto fail;
	}
	for (unsigned i = 0; i < cl->n_docs; i++) {
		const char *eq = strrchr(cl->docs[i], '=');

		if (!eq || json_array_append_new(docs, json_pack("{s:s%,s:s}", "name", cl->docs[i],
								 (size_t)(eq - cl->docs[i]), "sha256", eq + 1)))
			goto fail;
	}
	if (json_object_set_new(o, "documents", docs))
		goto fail;
	docs = NULL;
	if (cl->reason && json_object_set_new(o, "reason", json_string(cl->reason)))
		goto fail;
	if (cl->note && json_object_set_new(o, "note", json_string(cl->note)))
		goto fail;
	json_decref(holders);
	return o;
fail:
	json_decref(holders);
	json_decref(docs);
	json_decref(o);
	return NULL;
}
