/* simpki-admin's pure parts (ota-server/admin): the command line read into struct admin_cmdline (good lines and
 * each refusal, table-driven), --key specs, a file of ICCIDs, the body of POST /v1/campaigns; and what is rendered
 * from the API's JSON: the progress bar, a campaign as a log line, as the live display and as a summary (only the
 * non-zero counts, a cut to the terminal's width, no control character from the API), when a campaign is over and
 * with which exit code, the tables and the imports' results. */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "admin.h"

/* ---- the command line ---------------------------------------------------------------------------------------- */

struct parse_case {
	const char *name;
	const char *argv[16];
	int rc; /* 0 or -EINVAL */
	enum admin_cmd cmd;
	const char *err; /* a part of the message, for refusals */
};

static const struct parse_case parse_cases[] = {
	{ "help", { "--help" }, 0, ADMIN_CMD_NONE, NULL },
	{ "version", { "--version" }, 0, ADMIN_CMD_VERSION, NULL },
	{ "nothing", { NULL }, -EINVAL, ADMIN_CMD_NONE, "a command is missing" },
	{ "unknown", { "frob" }, -EINVAL, ADMIN_CMD_NONE, "unknown command: frob" },
	{ "unknown verb", { "cards", "export" }, -EINVAL, ADMIN_CMD_NONE, "unknown command: cards export" },
	{ "group alone", { "jobs" }, -EINVAL, ADMIN_CMD_NONE, "jobs: which?" },
	{ "campaign alone", { "campaign" }, -EINVAL, ADMIN_CMD_CAMPAIGN_HELP, "which command" },
	{ "campaign --help", { "campaign", "--help" }, 0, ADMIN_CMD_CAMPAIGN_HELP, NULL },
	{ "cards import", { "cards", "import", "f.csv" }, 0, ADMIN_CMD_CARDS_IMPORT, NULL },
	{ "cards import, no file", { "cards", "import" }, -EINVAL, ADMIN_CMD_CARDS_IMPORT, "FILE is missing" },
	{ "cards import, two files", { "cards", "import", "a", "b" }, -EINVAL, ADMIN_CMD_CARDS_IMPORT, "one argument" },
	{ "cards import --help", { "cards", "import", "--help" }, 0, ADMIN_CMD_CARDS_IMPORT, NULL },
	{ "global option after",
	  { "jobs", "list", "--json", "--url", "http://127.0.0.1:9" },
	  0,
	  ADMIN_CMD_JOBS_LIST,
	  NULL },
	{ "command option before", { "--limit", "3", "jobs", "list" }, -EINVAL, ADMIN_CMD_NONE, "put it after" },
	{ "unknown option", { "--frob", "jobs", "list" }, -EINVAL, ADMIN_CMD_NONE, "unknown option" },
	{ "option of another", { "jobs", "list", "--pem" }, -EINVAL, ADMIN_CMD_JOBS_LIST, "not an option" },
	{ "value missing", { "jobs", "list", "--state" }, -EINVAL, ADMIN_CMD_JOBS_LIST, "wants a value" },
	{ "limit 0", { "jobs", "list", "--limit", "0" }, -EINVAL, ADMIN_CMD_JOBS_LIST, "1 to 1000" },
	{ "limit 1001", { "jobs", "list", "--limit", "1001" }, -EINVAL, ADMIN_CMD_JOBS_LIST, "1 to 1000" },
	{ "limit -1", { "jobs", "list", "--limit", "-1" }, -EINVAL, ADMIN_CMD_JOBS_LIST, "1 to 1000" },
	{ "limit 5x", { "jobs", "list", "--limit", "5x" }, -EINVAL, ADMIN_CMD_JOBS_LIST, "1 to 1000" },
	{ "bad --iccid", { "jobs", "list", "--iccid", "89840100000000000" }, -EINVAL, ADMIN_CMD_JOBS_LIST, "18 to 20" },
	{ "bad --state", { "jobs", "list", "--state", "a&b=c" }, -EINVAL, ADMIN_CMD_JOBS_LIST, "a state is a word" },
	{ "jobs list takes no argument", { "jobs", "list", "x" }, -EINVAL, ADMIN_CMD_JOBS_LIST, "no argument" },
	{ "cert show", { "cert", "show", "--pem", "8984010000000000005" }, 0, ADMIN_CMD_CERT_SHOW, NULL },
	{ "cert show, 21 digits",
	  { "cert", "show", "898401000000000000512" },
	  -EINVAL,
	  ADMIN_CMD_CERT_SHOW,
	  "18 to 20" },
	{ "units show", { "units", "show", "10101003" }, 0, ADMIN_CMD_UNITS_SHOW, NULL },
	{ "units show, not digits", { "units", "show", "01a" }, -EINVAL, ADMIN_CMD_UNITS_SHOW, "1 to 15 digits" },
	{ "units show, 16 digits",
	  { "units", "show", "1234567890123456" },
	  -EINVAL,
	  ADMIN_CMD_UNITS_SHOW,
	  "1 to 15 digits" },
	{ "units children", { "units", "children", "--limit", "5", "01" }, 0, ADMIN_CMD_UNITS_CHILDREN, NULL },
	{ "units children, no code", { "units", "children" }, -EINVAL, ADMIN_CMD_UNITS_CHILDREN, "CODE is missing" },
	{ "units change --json -", { "units", "change", "--json", "-" }, 0, ADMIN_CMD_UNITS_CHANGE, NULL },
	{ "units change, no file", { "units", "change" }, -EINVAL, ADMIN_CMD_UNITS_CHANGE, "FILE is missing" },
	{ "units changes", { "units", "changes" }, 0, ADMIN_CMD_UNITS_CHANGES, NULL },
	{ "units changes, an argument", { "units", "changes", "3" }, -EINVAL, ADMIN_CMD_UNITS_CHANGES, "no argument" },
	{ "units change --help", { "units", "change", "--help" }, 0, ADMIN_CMD_UNITS_CHANGE, NULL },
	{ "campaign show", { "campaign", "show", "3" }, 0, ADMIN_CMD_CAMPAIGN_SHOW, NULL },
	{ "campaign show 0", { "campaign", "show", "0" }, -EINVAL, ADMIN_CMD_CAMPAIGN_SHOW, "is a number" },
	{ "campaign show x", { "campaign", "show", "x" }, -EINVAL, ADMIN_CMD_CAMPAIGN_SHOW, "is a number" },
	{ "campaign pause", { "campaign", "pause", "3" }, 0, ADMIN_CMD_CAMPAIGN_PAUSE, NULL },
	{ "campaign cancel, no id", { "campaign", "cancel" }, -EINVAL, ADMIN_CMD_CAMPAIGN_CANCEL, "ID is missing" },
	{ "campaign failed --state",
	  { "campaign", "failed", "--state", "x", "3" },
	  -EINVAL,
	  ADMIN_CMD_CAMPAIGN_FAILED,
	  NULL },
	{ "campaign cards --state",
	  { "campaign", "cards", "--state", "keygen", "3" },
	  0,
	  ADMIN_CMD_CAMPAIGN_CARDS,
	  NULL },
	{ "watch --interval", { "campaign", "watch", "--interval", "0.5", "3" }, 0, ADMIN_CMD_CAMPAIGN_WATCH, NULL },
	{ "lifecycle create",
	  { "lifecycle", "create", "--kind", "modify", "--unit", "01" },
	  0,
	  ADMIN_CMD_LC_CREATE,
	  NULL },
	{ "lifecycle create --serials",
	  { "lifecycle", "create", "--kind", "revoke", "--serials", "s.txt", "--reason", "keyCompromise" },
	  0,
	  ADMIN_CMD_LC_CREATE,
	  NULL },
	{ "lifecycle create, no kind",
	  { "lifecycle", "create", "--unit", "01" },
	  -EINVAL,
	  ADMIN_CMD_LC_CREATE,
	  "--kind" },
	{ "lifecycle create, bad kind",
	  { "lifecycle", "create", "--kind", "burn", "--unit", "01" },
	  -EINVAL,
	  ADMIN_CMD_LC_CREATE,
	  "modify, renew" },
	{ "lifecycle create, no selection",
	  { "lifecycle", "create", "--kind", "renew" },
	  -EINVAL,
	  ADMIN_CMD_LC_CREATE,
	  "which certificates" },
	{ "lifecycle create, two selections",
	  { "lifecycle", "create", "--kind", "renew", "--holders", "h", "--unit-change", "3" },
	  -EINVAL,
	  ADMIN_CMD_LC_CREATE,
	  "once" },
	{ "lifecycle create --iccids",
	  { "lifecycle", "create", "--kind", "renew", "--iccids", "f" },
	  -EINVAL,
	  ADMIN_CMD_LC_CREATE,
	  "not an option" },
	{ "lifecycle create, bad reason",
	  { "lifecycle", "create", "--kind", "revoke", "--unit", "01", "--reason", "key compromise" },
	  -EINVAL,
	  ADMIN_CMD_LC_CREATE,
	  "CRLReason" },
	{ "lifecycle show", { "lifecycle", "show", "4" }, 0, ADMIN_CMD_LC_SHOW, NULL },
	{ "lifecycle cancel, no id", { "lifecycle", "cancel" }, -EINVAL, ADMIN_CMD_LC_CANCEL, "ID is missing" },
	{ "watch --interval 0",
	  { "campaign", "watch", "--interval", "0", "3" },
	  -EINVAL,
	  ADMIN_CMD_CAMPAIGN_WATCH,
	  "0.1 to 3600" },
	{ "watch --interval x",
	  { "campaign", "watch", "--interval", "1s", "3" },
	  -EINVAL,
	  ADMIN_CMD_CAMPAIGN_WATCH,
	  NULL },
	{ "start", { "campaign", "start", "--name", "wave 1", "--import", "12" }, 0, ADMIN_CMD_CAMPAIGN_START, NULL },
	{ "start, keys",
	  { "campaign", "start", "--name", "w", "--unit", "01", "--key", "2:p256:signing", "--key",
	    "3:rsa2048:authentication", "--personalise", "--concurrency", "20", "--watch" },
	  0,
	  ADMIN_CMD_CAMPAIGN_START,
	  NULL },
	{ "start, no name",
	  { "campaign", "start", "--import", "12" },
	  -EINVAL,
	  ADMIN_CMD_CAMPAIGN_START,
	  "--name is required" },
	{ "start, no cards", { "campaign", "start", "--name", "w" }, -EINVAL, ADMIN_CMD_CAMPAIGN_START, "which cards" },
	{ "start, two selections",
	  { "campaign", "start", "--name", "w", "--iccids", "-", "--import", "2" },
	  -EINVAL,
	  ADMIN_CMD_CAMPAIGN_START,
	  "one of --iccids" },
	{ "start, --import x",
	  { "campaign", "start", "--name", "w", "--import", "x" },
	  -EINVAL,
	  ADMIN_CMD_CAMPAIGN_START,
	  "is a number" },
	{ "start, --unit x",
	  { "campaign", "start", "--name", "w", "--unit", "ha-noi" },
	  -EINVAL,
	  ADMIN_CMD_CAMPAIGN_START,
	  "unit's code is digits" },
	{ "start, bad key alg",
	  { "campaign", "start", "--name", "w", "--import", "1", "--key", "2:p384:signing" },
	  -EINVAL,
	  ADMIN_CMD_CAMPAIGN_START,
	  "ALG p256 or rsa2048" },
	{ "start, key twice",
	  { "campaign", "start", "--name", "w", "--import", "1", "--key", "2:p256:signing", "--key",
	    "2:rsa2048:signing" },
	  -EINVAL,
	  ADMIN_CMD_CAMPAIGN_START,
	  "key 2 is named twice" },
	{ "start, concurrency 0",
	  { "campaign", "start", "--name", "w", "--import", "1", "--concurrency", "0" },
	  -EINVAL,
	  ADMIN_CMD_CAMPAIGN_START,
	  "--concurrency 0" },
	{ "audit verify", { "audit", "verify" }, 0, ADMIN_CMD_AUDIT_VERIFY, NULL },
	{ "audit verify offline",
	  { "audit", "verify", "--file", "t.ndjson", "--key", "pub.pem" },
	  0,
	  ADMIN_CMD_AUDIT_VERIFY,
	  NULL },
	{ "audit verify, --file alone",
	  { "audit", "verify", "--file", "t.ndjson" },
	  -EINVAL,
	  ADMIN_CMD_AUDIT_VERIFY,
	  "go together" },
	{ "audit verify, --key alone",
	  { "audit", "verify", "--key", "p.pem" },
	  -EINVAL,
	  ADMIN_CMD_AUDIT_VERIFY,
	  "go together" },
	{ "audit verify, --key empty", { "audit", "verify", "--key", "" }, -EINVAL, ADMIN_CMD_AUDIT_VERIFY, "PEM" },
	{ "audit verify --help", { "audit", "verify", "--help" }, 0, ADMIN_CMD_AUDIT_VERIFY, NULL },
	{ "audit export", { "audit", "export", "--out", "t.ndjson" }, 0, ADMIN_CMD_AUDIT_EXPORT, NULL },
	{ "audit export, no --out", { "audit", "export" }, -EINVAL, ADMIN_CMD_AUDIT_EXPORT, "--out FILE is required" },
	{ "audit export --file",
	  { "audit", "export", "--file", "x" },
	  -EINVAL,
	  ADMIN_CMD_AUDIT_EXPORT,
	  "not an option" },
	{ "audit verify --out", { "audit", "verify", "--out", "x" }, -EINVAL, ADMIN_CMD_AUDIT_VERIFY, "not an option" },
	{ "start, a positional",
	  { "campaign", "start", "--name", "w", "--import", "1", "extra" },
	  -EINVAL,
	  ADMIN_CMD_CAMPAIGN_START,
	  "no argument" },
	{ "token create",
	  { "token", "create", "ra-hn", "--role", "unit-ra", "--scope", "01" },
	  0,
	  ADMIN_CMD_TOKEN_CREATE,
	  NULL },
	{ "token create, admin", { "token", "create", "--role", "admin", "boss" }, 0, ADMIN_CMD_TOKEN_CREATE, NULL },
	{ "token create, no role", { "token", "create", "x" }, -EINVAL, ADMIN_CMD_TOKEN_CREATE, "--role is required" },
	{ "token create, unit-ra without scope",
	  { "token", "create", "x", "--role", "unit-ra" },
	  -EINVAL,
	  ADMIN_CMD_TOKEN_CREATE,
	  "--scope is required" },
	{ "token create, counter without scope",
	  { "token", "create", "x", "--role", "counter" },
	  -EINVAL,
	  ADMIN_CMD_TOKEN_CREATE,
	  "--scope is required" },
	{ "token create, bad role",
	  { "token", "create", "x", "--role", "root" },
	  -EINVAL,
	  ADMIN_CMD_TOKEN_CREATE,
	  "--role root" },
	{ "token create, bad scope",
	  { "token", "create", "x", "--role", "unit-ra", "--scope", "0a" },
	  -EINVAL,
	  ADMIN_CMD_TOKEN_CREATE,
	  "--scope 0a" },
	{ "token create, long scope",
	  { "token", "create", "x", "--role", "unit-ra", "--scope", "0123456789012345" },
	  -EINVAL,
	  ADMIN_CMD_TOKEN_CREATE,
	  "--scope" },
	{ "token create, bad name",
	  { "token", "create", "a b", "--role", "admin" },
	  -EINVAL,
	  ADMIN_CMD_TOKEN_CREATE,
	  "a token's name" },
	{ "token create, no name",
	  { "token", "create", "--role", "admin" },
	  -EINVAL,
	  ADMIN_CMD_TOKEN_CREATE,
	  "NAME is missing" },
	{ "token list", { "token", "list" }, 0, ADMIN_CMD_TOKEN_LIST, NULL },
	{ "token list --scope", { "token", "list", "--scope", "01" }, -EINVAL, ADMIN_CMD_TOKEN_LIST, "not an option" },
	{ "token revoke", { "token", "revoke", "ra-hn" }, 0, ADMIN_CMD_TOKEN_REVOKE, NULL },
	/* requests */
	{ "request file",
	  { "request", "file", "--kind", "revoke", "--holders", "-", "--document",
	    "QĐ 275=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "--reason", "keyCompromise",
	    "--note", "Mất SIM" },
	  0,
	  ADMIN_CMD_REQUEST_FILE,
	  NULL },
	{ "request file --unit",
	  { "request", "file", "--kind", "suspend", "--unit", "01" },
	  0,
	  ADMIN_CMD_REQUEST_FILE,
	  NULL },
	{ "request file, no kind",
	  { "request", "file", "--unit", "01" },
	  -EINVAL,
	  ADMIN_CMD_REQUEST_FILE,
	  "--kind is required" },
	{ "request file, nobody",
	  { "request", "file", "--kind", "renew" },
	  -EINVAL,
	  ADMIN_CMD_REQUEST_FILE,
	  "for whom" },
	{ "request file, two selections",
	  { "request", "file", "--kind", "renew", "--unit", "01", "--holders", "f" },
	  -EINVAL,
	  ADMIN_CMD_REQUEST_FILE,
	  "once" },
	{ "request file, bad document",
	  { "request", "file", "--kind", "renew", "--unit", "01", "--document", "x=12" },
	  -EINVAL,
	  ADMIN_CMD_REQUEST_FILE,
	  "NAME=SHA256" },
	{ "request file, bad kind",
	  { "request", "file", "--kind", "Burn", "--unit", "01" },
	  -EINVAL,
	  ADMIN_CMD_REQUEST_FILE,
	  "--kind" },
	{ "request list", { "request", "list", "--unit", "01", "--state", "filed" }, 0, ADMIN_CMD_REQUEST_LIST, NULL },
	{ "request show", { "request", "show", "7" }, 0, ADMIN_CMD_REQUEST_SHOW, NULL },
	{ "request approve, no id", { "request", "approve" }, -EINVAL, ADMIN_CMD_REQUEST_APPROVE, "ID is missing" },
	{ "request reject",
	  { "request", "reject", "7", "--reason", "Thiếu chữ ký" },
	  0,
	  ADMIN_CMD_REQUEST_REJECT,
	  NULL },
	{ "request reject, no reason",
	  { "request", "reject", "7" },
	  -EINVAL,
	  ADMIN_CMD_REQUEST_REJECT,
	  "--reason is required" },
	{ "request stats", { "request", "stats", "--unit", "01" }, 0, ADMIN_CMD_REQUEST_STATS, NULL },
	{ "request stats, an id", { "request", "stats", "3" }, -EINVAL, ADMIN_CMD_REQUEST_STATS, "no argument" },
	{ "request, no verb", { "request" }, -EINVAL, ADMIN_CMD_REQUEST_HELP, "which command" },
	{ "pin-reset", { "pin-reset", "H-1", "--id-number", "0791" }, 0, ADMIN_CMD_PIN_RESET, NULL },
	{ "holders move", { "holders", "move", "H-1", "--unit", "10101003" }, 0, ADMIN_CMD_HOLDERS_MOVE, NULL },
	{ "holders move, no unit",
	  { "holders", "move", "H-1" },
	  -EINVAL,
	  ADMIN_CMD_HOLDERS_MOVE,
	  "--unit CODE is required" },
	{ "holders move, no holder",
	  { "holders", "move", "--unit", "01" },
	  -EINVAL,
	  ADMIN_CMD_HOLDERS_MOVE,
	  "HOLDER is missing" },
	{ "holders move, bad holder",
	  { "holders", "move", "H 1", "--unit", "01" },
	  -EINVAL,
	  ADMIN_CMD_HOLDERS_MOVE,
	  "a holder's id" },
	{ "holders move, bad unit",
	  { "holders", "move", "H-1", "--unit", "0a" },
	  -EINVAL,
	  ADMIN_CMD_HOLDERS_MOVE,
	  "a unit's code" },
	{ "pin-reset unblock",
	  { "pin-reset", "--mode", "unblock", "H-1", "--id-number", "0791" },
	  -EINVAL,
	  ADMIN_CMD_NONE,
	  NULL }, /* options come after the holder */
	{ "pin-reset unblock after",
	  { "pin-reset", "H-1", "--mode", "unblock", "--id-number", "0791" },
	  0,
	  ADMIN_CMD_PIN_RESET,
	  NULL },
	{ "pin-reset, no id number", { "pin-reset", "H-1" }, -EINVAL, ADMIN_CMD_PIN_RESET, "--id-number is required" },
	{ "pin-reset, bad mode",
	  { "pin-reset", "H-1", "--id-number", "1", "--mode", "reset" },
	  -EINVAL,
	  ADMIN_CMD_PIN_RESET,
	  "one-time-pin or unblock" },
	{ "pin-reset, two holders",
	  { "pin-reset", "H-1", "H-2", "--id-number", "1" },
	  -EINVAL,
	  ADMIN_CMD_PIN_RESET,
	  "one argument" },
	{ "pin-reset, not its option",
	  { "pin-reset", "H-1", "--id-number", "1", "--pem" },
	  -EINVAL,
	  ADMIN_CMD_PIN_RESET,
	  "not an option" },
	{ "pin-reset show", { "pin-reset", "show", "7" }, 0, ADMIN_CMD_PIN_RESET_SHOW, NULL },
	{ "pin-reset show x", { "pin-reset", "show", "x" }, -EINVAL, ADMIN_CMD_PIN_RESET_SHOW, "is a number" },
};

static void test_parse(void **state)
{
	const struct parse_case *c = *state;
	char *argv[18] = { "simpki-admin" }, err[256];
	struct admin_cmdline cl;
	int argc = 1, rc;

	for (int i = 0; c->argv[i]; i++)
		argv[argc++] = (char *)c->argv[i];
	rc = admin_parse(argc, argv, &cl, err, sizeof(err));
	if (rc != c->rc)
		fail_msg("%s: rc %d, expected %d (%s)", c->name, rc, c->rc, err);
	assert_int_equal(cl.cmd, c->cmd);
	if (c->err && !strstr(err, c->err))
		fail_msg("%s: message '%s' lacks '%s'", c->name, err, c->err);
}

static void test_parse_values(void **state)
{
	char *argv[] = { "simpki-admin",
			 "campaign",
			 "start",
			 "--name",
			 "wave 1",
			 "--unit",
			 "01",
			 "--key",
			 "3:rsa2048:authentication",
			 "--personalise",
			 "--concurrency",
			 "20",
			 "--watch",
			 "--interval",
			 "2.5",
			 "--json" };
	struct admin_cmdline cl;
	char err[256];

	assert_int_equal(admin_parse(sizeof(argv) / sizeof(argv[0]), argv, &cl, err, sizeof(err)), 0);
	assert_string_equal(cl.name, "wave 1");
	assert_int_equal(cl.sel, ADMIN_SEL_UNIT);
	assert_string_equal(cl.unit, "01");
	assert_int_equal(cl.n_keys, 1);
	assert_int_equal(cl.keys[0].id, 3);
	assert_string_equal(cl.keys[0].alg, "rsa2048");
	assert_string_equal(cl.keys[0].profile, "authentication");
	assert_true(cl.personalise && cl.watch && cl.json);
	assert_int_equal(cl.concurrency, 20);
	assert_int_equal(cl.interval_ms, 2500);

	char *argv2[] = { "simpki-admin",
			  "--url",
			  "http://127.0.0.1:9",
			  "jobs",
			  "list",
			  "--state",
			  "por-ok",
			  "--limit",
			  "7",
			  "--iccid",
			  "8984010000000000005" };
	assert_int_equal(admin_parse(sizeof(argv2) / sizeof(argv2[0]), argv2, &cl, err, sizeof(err)), 0);
	assert_string_equal(cl.url, "http://127.0.0.1:9");
	assert_string_equal(cl.state, "por-ok");
	assert_int_equal(cl.limit, 7);
	assert_string_equal(cl.iccid, "8984010000000000005");
	assert_int_equal(cl.interval_ms, 1000);
}

struct key_case {
	const char *name, *spec;
	int rc;
};

static const struct key_case key_cases[] = {
	{ "key 2:p256:signing", "2:p256:signing", 0 },
	{ "key 255:rsa2048:authentication", "255:rsa2048:authentication", 0 },
	{ "key 0", "0:p256:signing", -EINVAL },
	{ "key 256", "256:p256:signing", -EINVAL },
	{ "key -1", "-1:p256:signing", -EINVAL },
	{ "key no profile", "2:p256", -EINVAL },
	{ "key empty profile", "2:p256:", -EINVAL },
	{ "key one more field", "2:p256:signing:x", -EINVAL },
	{ "key upper case", "2:P256:signing", -EINVAL },
	{ "key empty", "", -EINVAL },
	{ "key id only", "2", -EINVAL },
	{ "key unknown profile", "2:p256:encryption", -EINVAL },
	{ "key long", "2:p256:signingsigningsigningsigningsigningsigningsigningsigning", -EINVAL },
};

static void test_key(void **state)
{
	const struct key_case *c = *state;
	struct admin_key k;

	assert_int_equal(admin_key_parse(c->spec, &k), c->rc);
}

/* ---- ICCID files and the campaign's body ----------------------------------------------------------------------- */

static int read_iccids(const char *text, json_t *a, char *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int n;

	assert_non_null(f);
	n = admin_iccids_read(f, a, err, 160);
	fclose(f);
	return n;
}

static void test_iccids(void **state)
{
	json_t *a = json_array();
	char err[160];

	assert_int_equal(
		read_iccids("# wave 1\n8984010000000000005\r\n\n8984010000000000013  \n89840100000000000021", a, err),
		3);
	assert_string_equal(json_string_value(json_array_get(a, 1)), "8984010000000000013");
	assert_string_equal(json_string_value(json_array_get(a, 2)), "89840100000000000021");
	json_array_clear(a);
	assert_int_equal(read_iccids("8984010000000000005\n89840100000000000x5\n", a, err), -EINVAL);
	assert_non_null(strstr(err, "line 2: not an ICCID"));
	json_array_clear(a);
	assert_int_equal(read_iccids("8984010000000000005\n8984010000000000005\n", a, err), -EINVAL);
	assert_non_null(strstr(err, "line 2: ICCID 8984010000000000005 came earlier"));
	json_array_clear(a);
	assert_int_equal(read_iccids("# nothing\n\n", a, err), -EINVAL);
	assert_non_null(strstr(err, "no ICCID"));
	json_decref(a);
}

static void assert_json(json_t *got, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);
	char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);

	assert_non_null(w);
	if (!json_equal(got, w))
		fail_msg("got %s, expected %s", g, want);
	free(g);
	json_decref(w);
	json_decref(got);
}

static void test_body(void **state)
{
	struct admin_cmdline cl = { .name = "wave 1", .sel = ADMIN_SEL_ICCIDS };
	json_t *iccids = json_pack("[ss]", "8984010000000000005", "8984010000000000013");

	assert_json(
		admin_campaign_body(&cl, iccids),
		"{\"name\": \"wave 1\", \"select\": {\"iccids\": [\"8984010000000000005\", \"8984010000000000013\"]},"
		" \"personalise\": false}");
	cl = (struct admin_cmdline){ .name = "w",
				     .sel = ADMIN_SEL_IMPORT,
				     .import_id = 12,
				     .personalise = true,
				     .concurrency = 50,
				     .n_keys = 2 };
	assert_int_equal(admin_key_parse("2:p256:signing", &cl.keys[0]), 0);
	assert_int_equal(admin_key_parse("3:rsa2048:authentication", &cl.keys[1]), 0);
	assert_json(admin_campaign_body(&cl, NULL),
		    "{\"name\": \"w\", \"select\": {\"import\": 12}, \"personalise\": true, \"concurrency\": 50,"
		    " \"keys\": [{\"id\": 2, \"alg\": \"p256\", \"profile\": \"signing\"},"
		    " {\"id\": 3, \"alg\": \"rsa2048\", \"profile\": \"authentication\"}]}");
	cl = (struct admin_cmdline){ .name = "w", .sel = ADMIN_SEL_UNIT, .unit = "01" };
	assert_json(admin_campaign_body(&cl, NULL),
		    "{\"name\": \"w\", \"select\": {\"unit\": \"01\"}, \"personalise\": false}");
	cl = (struct admin_cmdline){ .name = "ra-hn", .role = "unit-ra", .scope = "01" };
	assert_json(admin_token_body(&cl), "{\"name\": \"ra-hn\", \"role\": \"unit-ra\", \"scope\": \"01\"}");
	cl = (struct admin_cmdline){ .name = "boss", .role = "admin" };
	assert_json(admin_token_body(&cl), "{\"name\": \"boss\", \"role\": \"admin\"}");
	/* lifecycle create's body */
	cl = (struct admin_cmdline){ .kind = "modify", .sel = ADMIN_SEL_UNIT_CHANGE, .unit_change = 7 };
	assert_json(admin_lifecycle_body(&cl, NULL), "{\"kind\": \"modify\", \"select\": {\"unit_change\": 7}}");
	cl = (struct admin_cmdline){
		.kind = "revoke", .sel = ADMIN_SEL_SERIALS, .reason = "keyCompromise", .name = "n", .concurrency = 3
	};
	assert_json(admin_lifecycle_body(&cl, json_pack("[s]", "0a1b")),
		    "{\"kind\": \"revoke\", \"select\": {\"serials\": [\"0a1b\"]}, \"name\": \"n\","
		    " \"reason\": \"keyCompromise\", \"concurrency\": 3}");
}

/* lifecycle show's text: the name line, the bar with the counts not zero, the rate and time left (unknown: said). */
static void test_render_lifecycle(void **state)
{
	json_t *op =
		json_loads("{\"id\": 3, \"kind\": \"modify\", \"name\": \"Sáp nhập\", \"state\": \"running\","
			   " \"reason\": \"affiliationChanged\", \"by\": \"ra-1\", \"items\": 12, \"counts\":"
			   " {\"waiting\": 4, \"issue\": 2, \"load\": 0, \"done\": 6}, \"backoff\": 0, \"done\": 6,"
			   " \"per_minute\": 9.6, \"eta_seconds\": 37, \"concurrency\": 4}",
			   0, NULL);
	char *s;

	(void)state;
	assert_non_null(op);
	s = admin_render_lifecycle(op);
	assert_non_null(s);
	assert_non_null(strstr(s, "lifecycle 3 modify 'Sáp nhập': running (by ra-1, reason affiliationChanged)\n"));
	assert_non_null(strstr(s, "6 of 12 items over; waiting 4, issue 2, done 6\n"));
	assert_null(strstr(s, "load"));
	assert_non_null(strstr(s, "9.6 items/min, 37 s left"));
	free(s);
	json_object_set_new(op, "eta_seconds", json_null());
	s = admin_render_lifecycle(op);
	assert_non_null(strstr(s, "time left unknown"));
	free(s);
	json_decref(op);
}

static void test_request_body(void **state)
{
	struct admin_cmdline cl = {
		.kind = "revoke", .sel = ADMIN_SEL_HOLDERS, .reason = "keyCompromise", .note = "Mất SIM", .n_docs = 1
	};
	json_t *holders = json_pack("[ss]", "H-1", "H-4");
	FILE *f;
	char err[200];

	(void)state;
	cl.docs[0] = "QĐ 275=a=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	assert_json(admin_request_body(&cl, holders),
		    "{\"kind\": \"revoke\", \"holders\": [\"H-1\", \"H-4\"], \"documents\": [{\"name\": \"QĐ 275=a\","
		    " \"sha256\": \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}],"
		    " \"reason\": \"keyCompromise\", \"note\": \"Mất SIM\"}");
	cl = (struct admin_cmdline){ .kind = "suspend", .sel = ADMIN_SEL_UNIT, .unit = "10101003" };
	assert_json(admin_request_body(&cl, NULL),
		    "{\"kind\": \"suspend\", \"unit\": \"10101003\", \"documents\": []}");
	/* a file of holder ids */
	holders = json_array();
	f = fmemopen((char[]){ "# the list\nH-1\r\n\nH-4\n" }, 23, "r");
	assert_int_equal(admin_holders_read(f, holders, err, sizeof(err)), 2);
	fclose(f);
	json_decref(holders);
	holders = json_array();
	f = fmemopen((char[]){ "H-1\nH 2\n" }, 8, "r");
	assert_int_equal(admin_holders_read(f, holders, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2"));
	fclose(f);
	json_decref(holders);
}

/* ---- rendering ------------------------------------------------------------------------------------------------- */

/* The campaign object of the API's reference (a running campaign). */
static const char running[] =
	"{\"id\": 3, \"name\": \"wave 1\", \"state\": \"running\", \"cards\": 20, \"counts\": {\"waiting\": 5,"
	" \"backoff\": 1, \"check\": 1, \"personalise\": 0, \"keygen\": 2, \"csr\": 0, \"cmp\": 1, \"load\": 2,"
	" \"verify\": 0, \"active\": 7, \"skipped\": 1, \"failed\": 0, \"cancelled\": 0}, \"done\": 8,"
	" \"per_minute\": 14.2, \"eta_seconds\": 34, \"concurrency\": 50, \"personalise\": false,"
	" \"keys\": [{\"id\": 2, \"alg\": \"p256\", \"profile\": \"signing\"}],"
	" \"created\": \"2026-12-06T16:00:00.123Z\", \"ended\": null}";

static json_t *campaign(const char *text)
{
	json_t *c = json_loads(text, 0, NULL);

	assert_non_null(c);
	return c;
}

static void assert_render(json_t *c, enum admin_view view, unsigned width, const char *want)
{
	char *s = admin_render_campaign(c, view, width);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_bar(void **state)
{
	char *s = admin_render_bar(37, 100, 10);

	assert_string_equal(s, "[###.......]  37%");
	free(s);
	s = admin_render_bar(20, 20, 10);
	assert_string_equal(s, "[##########] 100%");
	free(s);
	s = admin_render_bar(0, 0, 4);
	assert_string_equal(s, "[....]   0%");
	free(s);
	s = admin_render_bar(25, 20, 4); /* more done than cards: never beyond the bar */
	assert_string_equal(s, "[####] 100%");
	free(s);
}

static void test_campaign_line(void **state)
{
	json_t *c = campaign(running);

	assert_render(c, ADMIN_VIEW_LINE, 0,
		      "campaign 3 running: 8/20 done (active 7, skipped 1), in progress: waiting 5, backoff 1, check 1,"
		      " keygen 2, cmp 1, load 2, 14.2 cards/min, 34 s left");
	json_object_set_new(c, "eta_seconds", json_null());
	json_object_set_new(c, "per_minute", json_null());
	assert_render(c, ADMIN_VIEW_LINE, 0,
		      "campaign 3 running: 8/20 done (active 7, skipped 1), in progress: waiting 5, backoff 1, check 1,"
		      " keygen 2, cmp 1, load 2, rate unknown, time left unknown");
	json_decref(c);
	c = campaign("{\"id\": 4, \"state\": \"running\", \"cards\": 3, \"counts\": {\"waiting\": 3}, \"done\": 0,"
		     " \"per_minute\": 0, \"eta_seconds\": 7300}");
	assert_render(c, ADMIN_VIEW_LINE, 0,
		      "campaign 4 running: 0/3 done (none yet), in progress: waiting 3, 0.0 cards/min, 2 h 2 min left");
	json_decref(c);
	/* cards in enrol are counted by their enrolment's step, read (the PKCS#15 objects read first) included */
	c = campaign("{\"id\": 5, \"state\": \"running\", \"cards\": 5, \"counts\": {\"keygen\": 1, \"read\": 3,"
		     " \"csr\": 1}, \"done\": 0, \"per_minute\": 0, \"eta_seconds\": null}");
	assert_render(c, ADMIN_VIEW_LINE, 0,
		      "campaign 5 running: 0/5 done (none yet), in progress: keygen 1, read 3, csr 1, 0.0 cards/min,"
		      " time left unknown");
	json_decref(c);
}

static void test_campaign_live(void **state)
{
	json_t *c = campaign(running);

	assert_render(c, ADMIN_VIEW_LIVE, 0,
		      "campaign 3 \"wave 1\" running  [############..................]  40%  8/20 cards\n"
		      "  finished:    active 7  skipped 1\n"
		      "  in progress: waiting 5  backoff 1  check 1  keygen 2  cmp 1  load 2\n"
		      "  14.2 cards/min, 34 s left");
	/* a narrow terminal: each line cut to width - 1 columns, never wrapped */
	assert_render(c, ADMIN_VIEW_LIVE, 30,
		      "campaign 3 \"wave 1\" running  \n"
		      "  finished:    active 7  skip\n"
		      "  in progress: waiting 5  bac\n"
		      "  14.2 cards/min, 34 s left");
	/* the name from the API cannot move the cursor; UTF-8 counts as one column per character */
	json_object_set_new(c, "name", json_string("đợt \033[2J1"));
	assert_render(c, ADMIN_VIEW_LIVE, 20,
		      "campaign 3 \"đợt ?[2\n"
		      "  finished:    acti\n"
		      "  in progress: wait\n"
		      "  14.2 cards/min, 3");
	json_decref(c);
	c = campaign("{\"id\": 5, \"name\": \"n\", \"state\": \"paused\", \"cards\": 2, \"counts\": {}, \"done\": 0,"
		     " \"per_minute\": null, \"eta_seconds\": null}");
	assert_render(c, ADMIN_VIEW_LIVE, 0,
		      "campaign 5 \"n\" paused  [..............................]   0%  0/2 cards\n"
		      "  finished:    none yet\n"
		      "  in progress: none\n"
		      "  rate unknown, time left unknown");
	json_decref(c);
}

static void test_campaign_over(void **state)
{
	json_t *c = campaign(running);
	enum admin_exit code = 99;

	assert_false(admin_campaign_over(c, &code));
	json_object_set_new(c, "state", json_string("paused"));
	assert_false(admin_campaign_over(c, &code));
	json_object_set_new(c, "state", json_string("done"));
	assert_true(admin_campaign_over(c, &code));
	assert_int_equal(code, ADMIN_EXIT_OK);
	json_object_set_new(json_object_get(c, "counts"), "failed", json_integer(2));
	assert_true(admin_campaign_over(c, &code));
	assert_int_equal(code, ADMIN_EXIT_CARDS_FAILED);
	assert_render(c, ADMIN_VIEW_SUMMARY, 0,
		      "campaign 3 done: 8/20 done (active 7, skipped 1, failed 2), 14.2 cards/min\n"
		      "2 cards failed: simpki-admin campaign failed 3");
	json_object_set_new(c, "state", json_string("cancelled"));
	assert_true(admin_campaign_over(c, &code));
	assert_int_equal(code, ADMIN_EXIT_CANCELLED);
	json_object_del(c, "state");
	assert_false(admin_campaign_over(c, &code));
	json_decref(c);
}

static void assert_text(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_tables(void **state)
{
	json_t *items = json_array();

	assert_text(admin_render_certs(items), "SERIAL  PROFILE  STATUS  NOT_AFTER  KEY_ID\n");
	json_decref(items);
	items = json_loads("[{\"serial\": \"a1b2c3d4e5f\", \"key_id\": \"2\", \"profile\": \"sim-signing\","
			   " \"status\": \"issued\", \"not_after\": \"2027-01-05T13:30:00Z\", \"pem\": \"x\"}]",
			   0, NULL);
	assert_text(admin_render_certs(items), "SERIAL       PROFILE      STATUS  NOT_AFTER             KEY_ID\n"
					       "a1b2c3d4e5f  sim-signing  issued  2027-01-05T13:30:00Z  2\n");
	json_decref(items);
	items = json_loads(
		"[{\"id\": 12, \"iccid\": \"8984010000000000005\", \"state\": \"por-ok\", \"tar\": \"b00010\","
		" \"mode\": \"store\", \"tries\": 1, \"updated\": 1796551200812, \"por\": {\"status_name\":"
		" \"PoR OK\"}}, {\"id\": 9, \"iccid\": \"8984010000000000013\", \"state\": \"failed\","
		" \"tar\": \"b00010\", \"mode\": \"forward\", \"tries\": 2, \"updated\": null, \"por\": null,"
		" \"error\": \"not delivered\"}]",
		0, NULL);
	assert_text(admin_render_jobs(items),
		    "ID  ICCID                STATE   TAR     MODE     TRIES  UPDATED               NOTE\n"
		    "12  8984010000000000005  por-ok  b00010  store    1      2026-12-06T10:00:00Z  PoR OK\n"
		    "9   8984010000000000013  failed  b00010  forward  2      -                     not delivered\n");
	json_decref(items);
	items = json_loads("[{\"iccid\": \"8984010000000000005\", \"state\": \"failed\", \"step\": \"keygen\","
			   " \"key_id\": 2, \"tries\": 3, \"error\": \"the SIM has no room for the key (6A84)\","
			   " \"serial\": null}]",
			   0, NULL);
	assert_text(admin_render_campaign_cards(items, true),
		    "ICCID                STEP    TRIES  REASON\n"
		    "8984010000000000005  keygen  3      the SIM has no room for the key (6A84)\n");
	assert_text(
		admin_render_campaign_cards(items, false),
		"ICCID                STATE   STEP    KEY  TRIES  SERIAL  ERROR\n"
		"8984010000000000005  failed  keygen  2    3      -       the SIM has no room for the key (6A84)\n");
	json_decref(items);
	items = json_pack("[o]", campaign(running));
	assert_text(admin_render_campaigns(items),
		    "ID  NAME    STATE    CARDS  DONE  FAILED  CREATED\n"
		    "3   wave 1  running  20     8     0       2026-12-06T16:00:00.123Z\n");
	json_decref(items);
	items = json_loads(
		"[{\"name\": \"ra-hn\", \"role\": \"unit-ra\", \"scope\": \"01\", \"created\": 1796572800000},"
		" {\"name\": \"boss\", \"role\": \"admin\", \"scope\": null, \"created\": 1796572800000}]",
		0, NULL);
	assert_text(admin_render_tokens(items), "NAME   ROLE     SCOPE  CREATED\n"
						"ra-hn  unit-ra  01     2026-12-06T16:00:00Z\n"
						"boss   admin    -      2026-12-06T16:00:00Z\n");
	json_decref(items);
}

static void test_imports(void **state)
{
	json_t *im =
		json_loads("{\"id\": 4, \"state\": \"done\", \"name\": \"batch-17\", \"lines\": 101, \"cards\": 100,"
			   " \"keysets\": 100, \"rejected_lines\": 0, \"rejected\": [], \"batch\": 7}",
			   0, NULL);

	assert_text(admin_render_import(im),
		    "import 4 (batch-17): done: 100 cards, 100 key sets from 101 lines (batch 7)\n");
	json_decref(im);
	im = json_loads("{\"id\": 5, \"state\": \"refused\", \"name\": \"api\", \"lines\": 9, \"rejected_lines\": 3,"
			" \"rejected\": [{\"line\": 4, \"reason\": \"kic: 2 bytes\", \"kind\": \"format\"},"
			" {\"line\": 7, \"reason\": \"IMSI \\u001b taken\", \"kind\": \"database\"}]}",
			0, NULL);
	assert_text(admin_render_import(im), "import 5 (api): refused, nothing imported: 3 of 9 lines rejected\n"
					     "line 4: kic: 2 bytes (format)\n"
					     "line 7: IMSI ? taken (database)\n"
					     "(1 more rejected lines not listed)\n");
	json_decref(im);
	im = json_loads("{\"id\": 6, \"state\": \"aborted\", \"name\": \"api\", \"error\": \"the upload broke off\"}",
			0, NULL);
	assert_text(admin_render_import(im), "import 6 (api): aborted: the upload broke off\n");
	json_decref(im);
	im = json_loads("{\"lines\": 3, \"holders\": 1, \"rejected_lines\": 1, \"rejected\": [{\"line\": 3, \"kind\":"
			" \"file\", \"reason\": \"id H-1: it came earlier in this file\"}]}",
			0, NULL);
	assert_text(admin_render_holders_import(im), "3 lines: 1 holders stored, 1 lines rejected\n"
						     "line 3: id H-1: it came earlier in this file (file)\n");
	json_decref(im);
}

/* GET /v1/audit/verify's answer as a person reads it. */
static void test_audit_render(void **state)
{
	json_t *ok = json_pack("{s:b,s:i,s:i,s:i,s:i,s:o}", "ok", 1, "records", 14, "checkpoints", 4,
			       "last_checkpoint_seq", 14, "records_unsigned", 0, "problem", json_null());
	json_t *bad = json_pack("{s:b,s:i,s:i,s:i,s:i,s:{s:i,s:s,s:s}}", "ok", 0, "records", 14, "checkpoints", 4,
				"last_checkpoint_seq", 4, "records_unsigned", 10, "problem", "seq", 7, "kind",
				"changed", "detail", "record 7 was changed: its hash is not that of its fields");
	char *s;

	(void)state;
	s = admin_render_audit_verify(ok);
	assert_string_equal(s, "audit trail OK: 14 records, chained from record 1; 4 checkpoints, the last signed one "
			       "covers record 14; 0 records after it (chained, not signed yet)\n");
	free(s);
	s = admin_render_audit_verify(bad);
	assert_non_null(strstr(s, "audit trail NOT OK: the first problem is at record 7: changed\n"));
	assert_non_null(strstr(s, "  record 7 was changed"));
	free(s);
	json_decref(ok);
	json_decref(bad);
}

static void test_usage(void **state)
{
	const char *u = admin_usage(ADMIN_CMD_NONE);

	for (int e = 0; e <= 8; e++) {
		char line[8];

		snprintf(line, sizeof(line), "\n  %d  ", e);
		if (!strstr(u, line))
			fail_msg("the usage text lacks exit code %d", e);
	}
	for (int c = ADMIN_CMD_CARDS_IMPORT; c < ADMIN_CMD_N; c++)
		assert_non_null(strstr(admin_usage((enum admin_cmd)c), "Usage: simpki-admin"));
}

int main(void)
{
	static struct unit_list l;

	UNIT_ADD_TABLE(&l, parse_cases, test_parse);
	UNIT_ADD(&l, test_parse_values);
	UNIT_ADD_TABLE(&l, key_cases, test_key);
	UNIT_ADD(&l, test_iccids);
	UNIT_ADD(&l, test_body);
	UNIT_ADD(&l, test_request_body);
	UNIT_ADD(&l, test_render_lifecycle);
	UNIT_ADD(&l, test_bar);
	UNIT_ADD(&l, test_campaign_line);
	UNIT_ADD(&l, test_campaign_live);
	UNIT_ADD(&l, test_campaign_over);
	UNIT_ADD(&l, test_tables);
	UNIT_ADD(&l, test_imports);
	UNIT_ADD(&l, test_audit_render);
	UNIT_ADD(&l, test_usage);
	return unit_run("admin", &l);
}
