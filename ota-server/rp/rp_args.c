/* simpki-sign's command line read into struct rp_cmdline, acting on nothing (so the unit test reads every case);
 * its --help text with the exit codes; and the one place where a session's result or an HTTP status becomes an
 * exit code. The same exit codes are in README.md and docs/sign.md; keep them together.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "apiclient.h"
#include "rp.h"

enum opt {
	OPT_PHONE = 256,
	OPT_HOLDER,
	OPT_TEXT,
	OPT_LANGUAGE,
	OPT_URL,
	OPT_TOKEN_FILE,
	OPT_CACERT,
	OPT_CA_CHAIN,
	OPT_OUT,
	OPT_TIMEOUT,
	OPT_JSON,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "phone", required_argument, NULL, OPT_PHONE },   { "holder", required_argument, NULL, OPT_HOLDER },
	{ "text", required_argument, NULL, OPT_TEXT },	   { "language", required_argument, NULL, OPT_LANGUAGE },
	{ "url", required_argument, NULL, OPT_URL },	   { "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "cacert", required_argument, NULL, OPT_CACERT }, { "ca-chain", required_argument, NULL, OPT_CA_CHAIN },
	{ "out", required_argument, NULL, OPT_OUT },	   { "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },	   { "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },	   { NULL, 0, NULL, 0 },
};

static const char usage[] =
	"Usage: simpki-sign (--phone NUMBER | --holder ID) [OPTIONS] FILE\n"
	"\n"
	"Sign FILE with the signing key on a user's SIM through simpki-otad's relying-party API: the signer's\n"
	"certificate is fetched, a detached CMS SignedData (SHA-256, signed attributes) is prepared, the phone asks\n"
	"the user to confirm, and the signature is put in and verified. The result is FILE.p7s (DER), which\n"
	"'openssl cms -verify -binary -inform DER -in FILE.p7s -content FILE -CAfile CHAIN' accepts.\n"
	"\n"
	"  --phone NUMBER     the signer's phone number, 1 to 15 digits (e.g. 84912345678)\n"
	"  --holder ID        or the signer's holder id\n"
	"  --text TEXT        what the phone shows (UTF-8, e.g. \"Ky quyet dinh 12\"; at most 200 bytes)\n"
	"  --language L       VIE (default) or ENG: the language of the phone's dialogue\n"
	"  --out FILE.p7s     where the signature goes (default: FILE.p7s; written atomically)\n"
	"  --ca-chain PEM     verify the signer's certificate against these CA certificates (else only the\n"
	"                     signature and the document are verified)\n"
	"  --timeout S        give up waiting for the user after S seconds (1 to 3600, default 180)\n"
	"  --url URL          the API (default: $SIMPKI_RP_URL, else " RP_DEFAULT_URL "; plain http:// only\n"
	"                     to a loopback address)\n"
	"  --token-file FILE  the bearer token (its first line), else $SIMPKI_RP_TOKEN\n"
	"  --cacert FILE      the CA certificates of the API's https:// certificate (else the system's)\n"
	"  --json             print one JSON object (sessionID, verificationCode, result, output) on stdout\n"
	"  -h, --help         this text\n"
	"  --version          the version\n"
	"\n"
	"The verification code is printed on stderr: the phone must show the same four digits.\n"
	"\n"
	"Exit codes:\n"
	"  0    signed: the output was written and verifies\n"
	"  1    bad command line, FILE unreadable, no token; the API refused the request as malformed (400)\n"
	"  2    not a client: the number or holder has no signing certificate\n"
	"  3    the user cancelled on the phone (or the session was cancelled)\n"
	"  4    timeout: the user did not answer in time, or --timeout elapsed\n"
	"  5    the SIM's signing PIN is blocked\n"
	"  6    the phone was not reached (absent, or the message not delivered)\n"
	"  7    invalid: certificate revoked, hash mismatch, a signature that does not verify, a verification\n"
	"       code that differs from the one computed here\n"
	"  8    the API unreachable, a server error (INTERNAL_ERROR), or an answer not as documented\n"
	"  9    the SIM reported an error\n"
	"  10   busy: a signature is already pending for this user (409), or rate limited (429); try later\n"
	"  11   the token was refused (401, 403)\n"
	"  12   a local failure: the output could not be written, out of memory\n"
	"  130  interrupted (Ctrl-C): the session was cancelled\n";

const char *rp_usage(void)
{
	return usage;
}

/* Whether \a s is well-formed UTF-8 without control characters (shortest forms, no surrogates). */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p, n, cp;

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return false;
		p += n + 1;
	}
	return true;
}

static bool holder_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= RP_HOLDER_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") == n;
}

static int take(struct rp_cmdline *cl, int o, const char *v, char *err, size_t len)
{
	long long n;

	switch (o) {
	case OPT_PHONE: {
		const char *digits = v + (v[0] == '+');
		size_t d = strspn(digits, "0123456789");

		/* what the relying-party API takes (docs/signing.md) */
		if (digits[d] || d < 1 || d > RP_PHONE_MAX)
			return apiclient_bad(
				err, len,
				"--phone %s: a phone number is 1 to 15 digits, an optional leading +, e.g. 84912345678",
				v);
		cl->phone = v;
		break;
	}
	case OPT_HOLDER:
		if (!holder_ok(v))
			return apiclient_bad(err, len, "--holder %s: a holder id is 1 to 64 of A-Z a-z 0-9 . _ @ -", v);
		cl->holder = v;
		break;
	case OPT_TEXT:
		if (!*v || strlen(v) > RP_TEXT_MAX)
			return apiclient_bad(err, len, "--text: 1 to %d bytes", RP_TEXT_MAX);
		if (!utf8_ok(v))
			return apiclient_bad(err, len, "--text: not UTF-8 text (or a control character in it)");
		cl->text = v;
		break;
	case OPT_LANGUAGE:
		if (strcmp(v, "VIE") && strcmp(v, "ENG"))
			return apiclient_bad(err, len, "--language %s: VIE or ENG", v);
		cl->language = v;
		break;
	case OPT_URL:
		cl->url = v;
		break;
	case OPT_TOKEN_FILE:
		cl->token_file = v;
		break;
	case OPT_CACERT:
		cl->cacert = v;
		break;
	case OPT_CA_CHAIN:
		cl->ca_chain = v;
		break;
	case OPT_OUT:
		if (!*v)
			return apiclient_bad(err, len, "--out wants a file name");
		cl->out = v;
		break;
	case OPT_TIMEOUT:
		if (apiclient_number(v, 1, 3600, &n))
			return apiclient_bad(err, len, "--timeout %s: 1 to 3600 seconds", v);
		cl->timeout = (unsigned)n;
		break;
	case OPT_JSON:
		cl->json = true;
		break;
	case OPT_HELP:
		cl->help = true;
		break;
	case OPT_VERSION:
		cl->version = true;
		break;
	}
	return 0;
}

int rp_parse(int argc, char **argv, struct rp_cmdline *cl, char *err, size_t len)
{
	int o, rc;

	memset(cl, 0, sizeof(*cl));
	cl->language = "VIE";
	cl->timeout = RP_DEFAULT_TIMEOUT;
	err[0] = '\0';
	optind = 0; /* a fresh scan (glibc), also when called again */
	opterr = 0;
	while ((o = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (o == 'h')
			o = OPT_HELP;
		if (o == '?' || o == ':') {
			const char *w = apiclient_refused(argv, optind);

			if (optopt && optopt >= OPT_PHONE)
				return apiclient_bad(err, len, "%s wants a value", w);
			return apiclient_bad(err, len, "%s: unknown option", w);
		}
		rc = take(cl, o, optarg, err, len);
		if (rc)
			return rc;
	}
	if (cl->help || cl->version)
		return 0;
	if (optind >= argc)
		return apiclient_bad(err, len, "FILE is missing: the document to sign");
	if (argc - optind > 1)
		return apiclient_bad(err, len, "one FILE at a time (%s, %s, ...)", argv[optind], argv[optind + 1]);
	cl->file = argv[optind];
	if (!*cl->file)
		return apiclient_bad(err, len, "FILE is an empty name");
	if (!cl->phone && !cl->holder)
		return apiclient_bad(err, len, "whose signature? --phone NUMBER or --holder ID");
	if (cl->phone && cl->holder)
		return apiclient_bad(err, len, "one of --phone and --holder");
	return 0;
}

/* ---- results and exit codes ---------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	enum rp_exit exit;
	const char *message;
} results[RP_RES_N] = {
	[RP_RES_UNKNOWN] = { "UNKNOWN", RP_EXIT_SERVER, "the API answered a result this program does not know" },
	[RP_RES_OK] = { "OK", RP_EXIT_OK, "signed" },
	[RP_RES_USER_CANCELLED] = { "USER_CANCELLED", RP_EXIT_CANCELLED, "the user cancelled on the phone" },
	[RP_RES_CANCELLED] = { "CANCELLED", RP_EXIT_CANCELLED, "the signature session was cancelled" },
	[RP_RES_TIMEOUT] = { "TIMEOUT", RP_EXIT_TIMEOUT, "the user did not answer on the phone in time" },
	[RP_RES_PIN_BLOCKED] = { "PIN_BLOCKED", RP_EXIT_PIN_BLOCKED,
				 "the SIM's signing PIN is blocked: the user unblocks it at a counter (over the air) "
				 "or with the PUK" },
	[RP_RES_NOT_A_CLIENT] = { "NOT_A_CLIENT", RP_EXIT_NOT_A_CLIENT,
				  "not a client: this number or holder has no signing certificate" },
	[RP_RES_PHONE_ABSENT] = { "PHONE_ABSENT", RP_EXIT_PHONE,
				  "the phone is not reachable (switched off or out of coverage)" },
	[RP_RES_DELIVERY_ERROR] = { "DELIVERY_ERROR", RP_EXIT_PHONE,
				    "the request could not be delivered to the phone" },
	[RP_RES_SIM_ERROR] = { "SIM_ERROR", RP_EXIT_SIM, "the SIM reported an error while signing" },
	[RP_RES_SIGNATURE_HASH_MISMATCH] = { "SIGNATURE_HASH_MISMATCH", RP_EXIT_INVALID,
					     "the SIM's signature does not match the hash that was sent" },
	[RP_RES_REVOKED_CERTIFICATE] = { "REVOKED_CERTIFICATE", RP_EXIT_INVALID,
					 "the signer's certificate is revoked" },
	[RP_RES_INTERNAL_ERROR] = { "INTERNAL_ERROR", RP_EXIT_SERVER,
				    "the signature service could not complete it (e.g. the certificate's status could "
				    "not be "
				    "checked); try again later" },
};

enum rp_result rp_result_parse(const char *s)
{
	if (!s)
		return RP_RES_UNKNOWN;
	for (int r = RP_RES_OK; r < RP_RES_N; r++)
		if (!strcmp(s, results[r].name))
			return r;
	return RP_RES_UNKNOWN;
}

const char *rp_result_name(enum rp_result r)
{
	return results[(unsigned)r < RP_RES_N ? r : RP_RES_UNKNOWN].name;
}

const char *rp_result_message(enum rp_result r)
{
	return results[(unsigned)r < RP_RES_N ? r : RP_RES_UNKNOWN].message;
}

enum rp_exit rp_result_exit(enum rp_result r)
{
	return results[(unsigned)r < RP_RES_N ? r : RP_RES_UNKNOWN].exit;
}

enum rp_exit rp_http_exit(long status, const char *error)
{
	switch (status) {
	case 400:
	case 413:
	case 422:
		return RP_EXIT_USAGE;
	case 401:
	case 403:
		return RP_EXIT_AUTH;
	case 404:
		return RP_EXIT_NOT_A_CLIENT;
	case 409:
	case 429:
		return RP_EXIT_BUSY;
	default:
		(void)error;
		return RP_EXIT_SERVER;
	}
}
