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
	{ "pin-reset", "show", ADMIN_CMD_PIN_RESET_SHOW, COMMON, "ID" },
};

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
	case OPT_ICCIDS:
	case OPT_IMPORT:
	case OPT_UNIT:
		if (cl->sel != ADMIN_SEL_NONE)
			return apiclient_bad(err, len, "one of --iccids, --import and --unit, once");
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
			return apiclient_bad(err, len, "%s: a campaign's id is a number", pos);
		cl->id = n;
	} else if (!strcmp(name, "ICCID")) {
		if (!is_iccid(pos))
			return apiclient_bad(err, len, "%s: an ICCID is 18 to 20 digits", pos);
		cl->iccid = pos;
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
