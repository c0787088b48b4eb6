/* simpki-admin's usage texts, one per command (--help), and the global one with the exit codes. The same reference
 * is docs/admin.md; keep them together. */
#include "admin.h"

#define COMMON_OPTS                                                                            \
	"  --url URL       the API (default: $SIMPKI_API_URL, else " ADMIN_DEFAULT_URL ")\n"   \
	"  --cacert FILE   the CA certificates that issued the API's certificate (https://)\n" \
	"  --json          print the API's JSON answer, pretty, instead of text\n"             \
	"  -h, --help      this text\n"

static const char usage_main[] =
	"Usage: simpki-admin [--url URL] [--cacert FILE] [--json] COMMAND [OPTIONS] [ARGUMENT]\n"
	"\n"
	"The operator's command line over simpki-otad's operator API (HTTP/JSON). The token is read from\n"
	"SIMPKI_API_TOKEN (required, never printed); the API's URL from --url or SIMPKI_API_URL "
	"(default\n" ADMIN_DEFAULT_URL "; plain http:// only to a loopback address).\n"
	"\n"
	"Commands:\n"
	"  cards import FILE            import a card vendor's CSV file (all or nothing), wait for its result\n"
	"  holders import FILE          import certificate holders (CSV); each line stored or rejected\n"
	"  holders move HOLDER --unit CODE\n"
	"                               a holder moves to another unit (then a modify gives the new subject)\n"
	"  jobs list                    OTA jobs, newest first (--iccid, --state, --limit)\n"
	"  cert show ICCID              a card's certificates (--pem: the certificates themselves)\n"
	"  campaign start|list|show|watch|pause|resume|cancel|failed|cards\n"
	"                               provisioning campaigns ('simpki-admin campaign --help')\n"
	"  token create NAME --role ROLE [--scope UNIT]\n"
	"                               make an API token (shown once); an admin's token only\n"
	"  token list                   the valid tokens: name, role, scope\n"
	"  token revoke NAME            revoke a token at once\n"
	"  units show CODE              a unit of the organisation tree: its path, counts, validity\n"
	"  units children CODE          its current children (--limit)\n"
	"  units change FILE            file a unit change (rename, merge, split, move; JSON; '-': stdin)\n"
	"  units changes                the unit changes, newest first (--limit)\n"
	"  request file|list|show|approve|reject|withdraw|stats\n"
	"                               requests instead of paper ('simpki-admin request --help')\n"
	"  lifecycle create|show|pause|resume|cancel\n"
	"                               certificate lifecycle operations: modify, renew, rekey, revoke, suspend,\n"
	"                               release ('simpki-admin lifecycle create --help')\n"
	"  audit verify                 verify the audit trail (--file EXPORT --key PUB.pem: an export, offline)\n"
	"  audit export --out FILE      the audit trail for an outside auditor (JSON lines)\n"
	"  pin-reset HOLDER --id-number N [--mode unblock]\n"
	"                               reset a holder's PIN over the air (a counter; one-time PIN by SMS)\n"
	"  pin-reset show ID            a PIN reset's state and outcome\n"
	"\n"
	"Options (before or after the command):\n" COMMON_OPTS "  --version       the version\n"
	"\n"
	"Run 'simpki-admin GROUP VERB --help' for a command's options, e.g. 'simpki-admin campaign start --help'.\n"
	"\n"
	"Exit codes:\n"
	"  0  done\n"
	"  1  another failure (a server error, an answer that is not JSON, an import that broke off)\n"
	"  2  bad command line or input file (also: the API refused the request as malformed, 400 or 422)\n"
	"  3  the API is unreachable (connection refused, timed out, no such host, TLS failed)\n"
	"  4  authentication failed: the token was refused (401), or its role does not allow it (403)\n"
	"  5  not found (404), e.g. no such campaign or card\n"
	"  6  conflict: refused in the present state (409), e.g. pausing a campaign that is over\n"
	"  7  the campaign ended with failed cards (campaign watch, campaign start --watch)\n"
	"  8  the campaign was cancelled (campaign watch, campaign start --watch)\n";

static const char usage_cards_import[] =
	"Usage: simpki-admin cards import [--name NAME] FILE\n"
	"\n"
	"Send a card vendor's CSV file (iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid[,kik];\n"
	"docs/otad.md) to POST /v1/cards/import, streamed ('-': standard input), then wait for\n"
	"the import's end (GET /v1/imports/ID). It is all or nothing: when a line is wrong,\n"
	"nothing is imported and every rejected line is printed. Exit 2 when the file was\n"
	"refused for its own lines, 6 when only for cards the database already has.\n"
	"\n"
	"  --name NAME     the import's name (1 to 64 of A-Z a-z 0-9 . _ -)\n" COMMON_OPTS;

static const char usage_holders_import[] =
	"Usage: simpki-admin holders import FILE\n"
	"\n"
	"Send a CSV of certificate holders (id,name,id_number,unit,email) to POST /v1/holders/import ('-':\n"
	"standard input). Each good line is stored, each bad one rejected with its reason; exit 0 when none was\n"
	"rejected, 2 when a line was wrong in itself or in the file, 6 when lines clashed only with the database.\n"
	"\n" COMMON_OPTS;

static const char usage_holders_move[] =
	"Usage: simpki-admin holders move HOLDER --unit CODE\n"
	"\n"
	"Move a certificate holder to another unit of the organisation tree (PATCH /v1/holders/{id}); both\n"
	"units must be inside the token's scope, and the new one current (not ended by a unit change). The\n"
	"holder's certificates keep their subject until a modify re-issues them ('simpki-admin lifecycle\n"
	"create --kind modify --holders FILE').\n"
	"\n"
	"  --unit CODE     the unit it moves to, e.g. 10101003\n" COMMON_OPTS;

static const char usage_jobs_list[] =
	"Usage: simpki-admin jobs list [--iccid ICCID] [--state STATE] [--limit N]\n"
	"\n"
	"A page of OTA jobs, newest first (GET /v1/jobs).\n"
	"\n"
	"  --iccid ICCID   a card's jobs only\n"
	"  --state STATE   jobs in that state only (queued, por-ok, unknown, failed, ...)\n"
	"  --limit N       at most N (1 to 1000; default the API's, 100)\n" COMMON_OPTS;

static const char usage_cert_show[] =
	"Usage: simpki-admin cert show [--pem] ICCID\n"
	"\n"
	"A card's certificates, oldest first (GET /v1/cards/ICCID/certificates): serial,\n"
	"profile, status, end of validity, key id.\n"
	"\n"
	"  --pem           print the certificates themselves (PEM), one after the other\n" COMMON_OPTS;

static const char usage_token[] =
	"Usage: simpki-admin token create NAME --role ROLE [--scope UNIT]\n"
	"       simpki-admin token list\n"
	"       simpki-admin token revoke NAME\n"
	"\n"
	"API tokens (POST, GET /v1/tokens, DELETE /v1/tokens/NAME; an admin's token only). A new token is printed\n"
	"once: only its hash is kept. A token acts with its role, on its scope's unit and everything under it\n"
	"(docs/otad.md, Roles and scopes).\n"
	"\n"
	"  --role ROLE     read-only, operator, admin, central-ra, unit-ra, counter or auditor\n"
	"  --scope UNIT    a unit's code, e.g. 01 (required for unit-ra and counter; none: the whole "
	"tree)\n" COMMON_OPTS;
static const char usage_units_show[] =
	"Usage: simpki-admin units show CODE\n"
	"\n"
	"A unit of the organisation tree (GET /v1/units/CODE): its name, kind, parent, the path from the\n"
	"root, since when it is as it stands, when it ended and into what, how many children and how many\n"
	"holders in its whole subtree.\n"
	"\n" COMMON_OPTS;

static const char usage_units_children[] =
	"Usage: simpki-admin units children [--limit N] CODE\n"
	"\n"
	"A unit's current children, by code (GET /v1/units/CODE/children).\n"
	"\n"
	"  --limit N       at most N (1 to 1000; default the API's, 100)\n" COMMON_OPTS;

static const char usage_units_change[] =
	"Usage: simpki-admin units change [--json] FILE\n"
	"\n"
	"File a change of the organisation tree (POST /v1/units/changes; an admin token), read as JSON from\n"
	"FILE ('-': standard input), one of:\n"
	"  {\"kind\": \"rename\", \"unit\": C, \"name\": N}\n"
	"  {\"kind\": \"merge\", \"units\": [A, B], \"into\": {\"code\": C, \"name\": N}}\n"
	"  {\"kind\": \"split\", \"unit\": U, \"into\": [{\"code\": C, \"name\": N, \"children\": [...]}, ...]}\n"
	"  {\"kind\": \"move\", \"unit\": U, \"parent\": P}\n"
	"with \"effective_at\" (Unix seconds or YYYY-MM-DDTHH:MM:SSZ) for a later one. Prints the change, its\n"
	"state and what it affected. Exit 2 when the body is malformed, 6 when it does not fit the tree.\n"
	"\n" COMMON_OPTS;

static const char usage_units_changes[] =
	"Usage: simpki-admin units changes [--limit N]\n"
	"\n"
	"The organisation tree's changes, newest first (GET /v1/units/changes): kind, state, effective time,\n"
	"who filed it, units and holders affected.\n"
	"\n"
	"  --limit N       at most N (1 to 1000; default the API's, 100)\n" COMMON_OPTS;

static const char usage_campaign[] =
	"Usage: simpki-admin campaign COMMAND [OPTIONS] [ID]\n"
	"\n"
	"Provisioning campaigns: keys generated and certified over the air for many cards at once.\n"
	"\n"
	"  start --name NAME (--iccids FILE|- | --import ID | --unit CODE) [--key ID:ALG:PROFILE ...]\n"
	"        [--personalise] [--concurrency N] [--watch]    make one and print its id\n"
	"  list                     every campaign, newest first\n"
	"  show ID                  one campaign: state, counts per card state, rate, time left\n"
	"  watch ID [--interval S]  follow it until it is done or cancelled (exit 0, 7 failed cards, 8 cancelled)\n"
	"  pause ID, resume ID, cancel ID\n"
	"  failed ID                its failed cards: ICCID, step, tries, reason\n"
	"  cards ID [--state S]     its cards (in a state)\n"
	"\n"
	"Run 'simpki-admin campaign COMMAND --help' for one command.\n";

static const char usage_campaign_start[] =
	"Usage: simpki-admin campaign start --name NAME (--iccids FILE|- | --import ID | --unit CODE)\n"
	"                                   [--key ID:ALG:PROFILE ...] [--personalise] [--concurrency N]\n"
	"                                   [--watch [--interval S]]\n"
	"\n"
	"Make a campaign (POST /v1/campaigns) and print its id.\n"
	"\n"
	"  --name NAME          its name\n"
	"  --iccids FILE        its cards: one ICCID per line ('-': standard input; blank lines and # comments\n"
	"                       skipped). The API's JSON body limit bounds the list (about 2,800 ICCIDs at\n"
	"                       64 KiB): for more, import them and use --import\n"
	"  --import ID          its cards: those of a card import\n"
	"  --unit CODE          its cards: those whose holder is in a unit (a ward, or a province and its wards)\n"
	"  --key ID:ALG:PROFILE a key to generate and certify on each card, up to 8: ID 1 to 255, ALG p256 or\n"
	"                       rsa2048, PROFILE signing or authentication (default 2:p256:signing)\n"
	"  --personalise        personalise the cards first\n"
	"  --concurrency N      cards worked on at once (default: the daemon's)\n"
	"  --watch              then follow it as 'campaign watch' does (and exit as it does)\n"
	"  --interval S         with --watch: seconds between looks (default 1)\n" COMMON_OPTS;

static const char usage_campaign_list[] = "Usage: simpki-admin campaign list\n"
					  "\n"
					  "Every campaign, newest first (GET /v1/campaigns).\n"
					  "\n" COMMON_OPTS;

static const char usage_campaign_show[] =
	"Usage: simpki-admin campaign show ID\n"
	"\n"
	"One campaign (GET /v1/campaigns/ID): its state, counts per card state, rate and\n"
	"time left.\n"
	"\n" COMMON_OPTS;

static const char usage_campaign_watch[] =
	"Usage: simpki-admin campaign watch [--interval S] ID\n"
	"\n"
	"Follow a campaign until it is done or cancelled (GET /v1/campaigns/ID every S seconds, default 1). On a\n"
	"terminal: one display redrawn in place (progress bar, counts per card state, cards per minute, time left),\n"
	"then a summary. Otherwise one line each time the state or a count changes. --json prints the campaign as\n"
	"it ended. Exit 0 when it is done with no failed card, 7 when cards failed, 8 when it was cancelled.\n"
	"\n"
	"  --interval S    seconds between looks, 0.1 to 3600\n" COMMON_OPTS;

static const char usage_campaign_pause[] =
	"Usage: simpki-admin campaign pause|resume|cancel ID\n"
	"\n"
	"Pause a campaign (no card starts a new step), resume it, or cancel it (POST\n"
	"/v1/campaigns/ID/pause|resume|cancel). Exit 6 when it is over already.\n"
	"\n" COMMON_OPTS;

static const char usage_campaign_failed[] =
	"Usage: simpki-admin campaign failed ID\n"
	"\n"
	"A campaign's failed cards, one a line: ICCID, the step where it failed, tries,\n"
	"reason (GET /v1/campaigns/ID/cards?state=failed, every page).\n"
	"\n" COMMON_OPTS;

static const char usage_campaign_cards[] =
	"Usage: simpki-admin campaign cards [--state STATE] ID\n"
	"\n"
	"A campaign's cards with their state, step, tries, serial and error (GET\n"
	"/v1/campaigns/ID/cards, every page).\n"
	"\n"
	"  --state STATE   cards in that state only (waiting, keygen, active, failed, ...)\n" COMMON_OPTS;

static const char usage_request[] =
	"Usage: simpki-admin request COMMAND [OPTIONS] [ID]\n"
	"\n"
	"Requests instead of paper: a clerk files a request for holders with its documents' hashes; another\n"
	"(with request.decide in the request's unit; never its filer) approves it, which executes it, or rejects it.\n"
	"\n"
	"  file --kind K (--holders FILE|- | --unit U) --document NAME=SHA256 ... [--reason R] [--note T]\n"
	"  list [--unit U] [--state S] [--limit N]   newest first\n"
	"  show ID                  one request: holders, documents, who filed and decided, the operation\n"
	"  approve ID               approve (and execute) it\n"
	"  reject ID --reason R     reject it, saying why (the holders are told)\n"
	"  withdraw ID              withdraw your own request while it is filed\n"
	"  stats [--unit U]         counts per unit and state, open ones by age\n"
	"\n"
	"Run 'simpki-admin request COMMAND --help' for one command.\n";

static const char usage_request_file[] =
	"Usage: simpki-admin request file --kind KIND (--holders FILE|- | --unit CODE)\n"
	"                                 --document NAME=SHA256 ... [--reason R] [--note TEXT]\n"
	"\n"
	"File a request (POST /v1/requests) and print its id.\n"
	"\n"
	"  --kind KIND          new-certificate, modify, renew, rekey, revoke, suspend or release (pin-reset\n"
	"                       needs the holder's identity number: file it through the API)\n"
	"  --holders FILE       its holders: one holder id per line ('-': standard input; at most 10,000)\n"
	"  --unit CODE          its holders: every holder of a unit and the units under it\n"
	"  --document NAME=SHA256  a document of the dossier and its SHA-256 (64 hex digits), 1 to 32 of them\n"
	"  --reason R           revoke only: unspecified, keyCompromise, affiliationChanged, superseded,\n"
	"                       cessationOfOperation, privilegeWithdrawn\n"
	"  --note TEXT          a note, at most 500 bytes\n" COMMON_OPTS;

static const char usage_request_list[] =
	"Usage: simpki-admin request list [--unit U] [--state S] [--limit N]\n"
	"\n"
	"Requests, newest first (GET /v1/requests): of a unit and the units under it, in a state.\n"
	"\n"
	"  --unit U        a unit's requests (default: the token's scope)\n"
	"  --state S       filed, approved, executing, done, failed, rejected or withdrawn\n"
	"  --limit N       at most N (1 to 1000; default 100)\n" COMMON_OPTS;

static const char usage_request_show[] =
	"Usage: simpki-admin request show|approve|withdraw ID\n"
	"\n"
	"Show a request (GET /v1/requests/ID), approve it (POST .../approve: it executes at once) or withdraw your\n"
	"own while it is filed (POST .../withdraw). Exit 4 when the token may not (its scope, or four eyes: the\n"
	"filer never approves their own), 6 when it is no longer filed.\n"
	"\n" COMMON_OPTS;

static const char usage_request_reject[] =
	"Usage: simpki-admin request reject --reason R ID\n"
	"\n"
	"Reject a filed request, saying why (POST /v1/requests/ID/reject); the holders are told by SMS.\n"
	"\n"
	"  --reason R      why, 1 to 500 bytes\n" COMMON_OPTS;

static const char usage_request_stats[] =
	"Usage: simpki-admin request stats [--unit U]\n"
	"\n"
	"Requests per unit (the units directly under U, or the top units) and state, the open ones by age\n"
	"(under 1 day, 1 to 7 days, over 7 days) and the oldest open (GET /v1/requests/stats).\n"
	"\n"
	"  --unit U        the unit whose children are counted\n" COMMON_OPTS;
static const char usage_lc_create[] =
	"Usage: simpki-admin lifecycle create --kind KIND (--unit CODE | --holders FILE | --unit-change ID |\n"
	"                                     --serials FILE) [--name NAME] [--reason REASON] [--concurrency N]\n"
	"\n"
	"Make a certificate lifecycle operation (POST /v1/lifecycle, docs/lifecycle.md) over the certificates in "
	"force\n"
	"of the holders selected, and print it.\n"
	"\n"
	"  --kind KIND          modify, renew, rekey, revoke, suspend or release\n"
	"  --unit CODE          every holder of this unit and the units under it\n"
	"  --holders FILE       one holder id a line ('-': standard input)\n"
	"  --unit-change ID     every holder of the units a unit change touched\n"
	"  --serials FILE       one certificate serial (hex) a line ('-': standard input)\n"
	"  --name NAME          for people (default: the kind and the date)\n"
	"  --reason REASON      a CRLReason name: revoke (default unspecified), modify (affiliationChanged or\n"
	"                       superseded)\n"
	"  --concurrency N      items worked on at once (default: the daemon's)\n" COMMON_OPTS;

static const char usage_lc_show[] =
	"Usage: simpki-admin lifecycle show ID\n"
	"\n"
	"A lifecycle operation: its kind, state, items per state, and a progress line (items over, rate, time\n"
	"left).\n"
	"\n" COMMON_OPTS;

static const char usage_lc_act[] =
	"Usage: simpki-admin lifecycle pause|resume|cancel ID\n"
	"\n"
	"Pause (no item starts a new step), resume, or cancel a lifecycle operation; print it.\n"
	"\n" COMMON_OPTS;
static const char usage_audit_verify[] =
	"Usage: simpki-admin audit verify\n"
	"       simpki-admin audit verify --file EXPORT --key PUB.pem\n"
	"\n"
	"Verify the audit trail: every record's hash and its chain from record 1, every checkpoint's\n"
	"signature, and that no checkpoint names a record beyond the end. The first problem is printed\n"
	"with its record's seq and kind: gap (a record deleted), inserted, changed, signature (a checkpoint\n"
	"not signed by the audit key), truncated (the end cut). Without --file: the daemon verifies its\n"
	"database (GET /v1/audit/verify). With --file: an export ('audit export') is verified here, offline,\n"
	"with the audit public key you were given apart from it (no API, no token needed).\n"
	"Exit 0 when the trail is good, 1 when a problem was found (or another failure).\n"
	"\n"
	"  --file EXPORT   an export's JSON lines ('-': standard input is not allowed: it is read twice)\n"
	"  --key PUB.pem   the audit public key (PEM)\n" COMMON_OPTS;

static const char usage_audit_export[] =
	"Usage: simpki-admin audit export --out FILE\n"
	"\n"
	"Write the whole audit trail to FILE for an outside auditor (GET /v1/audit/export): one JSON object a\n"
	"line, every record with its hashes, then the checkpoints with their signatures, then the audit public\n"
	"key (PEM). Check it with 'simpki-admin audit verify --file FILE --key PUB.pem'.\n"
	"\n"
	"  --out FILE      where it goes (written whole, then renamed into place)\n" COMMON_OPTS;
static const char usage_pin_reset[] =
	"Usage: simpki-admin pin-reset HOLDER --id-number N [--mode one-time-pin|unblock]\n"
	"       simpki-admin pin-reset show ID\n"
	"\n"
	"Reset holder HOLDER's PIN on its SIM over the air with the issuer's authority (POST\n"
	"/v1/holders/HOLDER/pin-reset), the holder identified by the identity number on their\n"
	"papers: one-time-pin (default) sets a random 6-digit PIN sent to the holder by SMS;\n"
	"unblock resets the tries and keeps the PIN. 'show ID' prints a reset's state and the\n"
	"card's answer (GET /v1/pin-resets/ID). Exit 4 when the identity number does not match\n"
	"or the token may not reset this holder's PIN, 6 when a reset of the card is under way.\n"
	"\n"
	"  --id-number N   the holder's identity number, as the counter checked it\n"
	"  --mode MODE     one-time-pin (default) or unblock\n" COMMON_OPTS;

const char *admin_usage(enum admin_cmd cmd)
{
	switch (cmd) {
	case ADMIN_CMD_REQUEST_HELP:
		return usage_request;
	case ADMIN_CMD_REQUEST_FILE:
		return usage_request_file;
	case ADMIN_CMD_REQUEST_LIST:
		return usage_request_list;
	case ADMIN_CMD_REQUEST_SHOW:
	case ADMIN_CMD_REQUEST_APPROVE:
	case ADMIN_CMD_REQUEST_WITHDRAW:
		return usage_request_show;
	case ADMIN_CMD_REQUEST_REJECT:
		return usage_request_reject;
	case ADMIN_CMD_REQUEST_STATS:
		return usage_request_stats;
	case ADMIN_CMD_AUDIT_VERIFY:
		return usage_audit_verify;
	case ADMIN_CMD_AUDIT_EXPORT:
		return usage_audit_export;
	case ADMIN_CMD_PIN_RESET:
	case ADMIN_CMD_PIN_RESET_SHOW:
		return usage_pin_reset;
	case ADMIN_CMD_CARDS_IMPORT:
		return usage_cards_import;
	case ADMIN_CMD_HOLDERS_IMPORT:
		return usage_holders_import;
	case ADMIN_CMD_HOLDERS_MOVE:
		return usage_holders_move;
	case ADMIN_CMD_JOBS_LIST:
		return usage_jobs_list;
	case ADMIN_CMD_CERT_SHOW:
		return usage_cert_show;
	case ADMIN_CMD_CAMPAIGN_HELP:
		return usage_campaign;
	case ADMIN_CMD_TOKEN_CREATE:
	case ADMIN_CMD_TOKEN_LIST:
	case ADMIN_CMD_TOKEN_REVOKE:
		return usage_token;
	case ADMIN_CMD_CAMPAIGN_START:
		return usage_campaign_start;
	case ADMIN_CMD_CAMPAIGN_LIST:
		return usage_campaign_list;
	case ADMIN_CMD_CAMPAIGN_SHOW:
		return usage_campaign_show;
	case ADMIN_CMD_CAMPAIGN_WATCH:
		return usage_campaign_watch;
	case ADMIN_CMD_CAMPAIGN_PAUSE:
	case ADMIN_CMD_CAMPAIGN_RESUME:
	case ADMIN_CMD_CAMPAIGN_CANCEL:
		return usage_campaign_pause;
	case ADMIN_CMD_CAMPAIGN_FAILED:
		return usage_campaign_failed;
	case ADMIN_CMD_CAMPAIGN_CARDS:
		return usage_campaign_cards;
	case ADMIN_CMD_UNITS_SHOW:
		return usage_units_show;
	case ADMIN_CMD_UNITS_CHILDREN:
		return usage_units_children;
	case ADMIN_CMD_UNITS_CHANGE:
		return usage_units_change;
	case ADMIN_CMD_UNITS_CHANGES:
		return usage_units_changes;
	case ADMIN_CMD_LC_CREATE:
		return usage_lc_create;
	case ADMIN_CMD_LC_SHOW:
		return usage_lc_show;
	case ADMIN_CMD_LC_PAUSE:
	case ADMIN_CMD_LC_RESUME:
	case ADMIN_CMD_LC_CANCEL:
		return usage_lc_act;
	default:
		return usage_main;
	}
}
