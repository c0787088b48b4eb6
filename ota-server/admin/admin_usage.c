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
	"  jobs list                    OTA jobs, newest first (--iccid, --state, --limit)\n"
	"  cert show ICCID              a card's certificates (--pem: the certificates themselves)\n"
	"  campaign start|list|show|watch|pause|resume|cancel|failed|cards\n"
	"                               provisioning campaigns ('simpki-admin campaign --help')\n"
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
	case ADMIN_CMD_PIN_RESET:
	case ADMIN_CMD_PIN_RESET_SHOW:
		return usage_pin_reset;
	case ADMIN_CMD_CARDS_IMPORT:
		return usage_cards_import;
	case ADMIN_CMD_HOLDERS_IMPORT:
		return usage_holders_import;
	case ADMIN_CMD_JOBS_LIST:
		return usage_jobs_list;
	case ADMIN_CMD_CERT_SHOW:
		return usage_cert_show;
	case ADMIN_CMD_CAMPAIGN_HELP:
		return usage_campaign;
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
	default:
		return usage_main;
	}
}
