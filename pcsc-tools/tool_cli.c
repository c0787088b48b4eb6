/* simpki-tool: the service counter's tool for SIM PKI cards in a PC/SC reader. This file: command dispatch,
 * help, the shared helpers of tool.h, and the commands readers, info, init and pin. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <simpki/card_sw.h>
#include <simpki/hex.h>

#include "tool.h"

struct tool_opts tool_opts;

static const char usage_main[] =
	"Usage: simpki-tool [--reader NAME] COMMAND [OPTIONS]\n"
	"\n"
	"The service counter's tool for SIM PKI cards (the simpki PKI applet) in a PC/SC card reader.\n"
	"\n"
	"Commands:\n"
	"  readers                         list the card readers and whether each holds a card\n"
	"  info [--json]                   what is on the card: applet, PIN and PUK tries, keys, certificates\n"
	"  init                            enrol a new card: PUK, PIN and the PKCS#15 structure OpenSC uses\n"
	"  pin verify|change|unblock       check the PIN, change it, or unblock it with the PUK\n"
	"  keygen --alg p256|rsa2048 --id N\n"
	"                                  generate a key pair on the card (the private key never leaves it)\n"
	"  csr --id N --subject /CN=../O=.. [-o FILE]\n"
	"                                  a certificate request for key N, signed by the card\n"
	"  cert load --id N FILE           store the certificate of key N (PEM or DER)\n"
	"  cert export --id N [-o FILE] [--der]\n"
	"                                  write the certificate of key N (PEM unless --der)\n"
	"  sign --id N [--cms] FILE -o SIG sign FILE with key N: a raw signature, or CMS SignedData (DER,\n"
	"                                  detached, with the certificate)\n"
	"\n"
	"Global option:\n"
	"  --reader NAME   use this reader (see 'readers'); default: the first reader that holds a card\n"
	"\n"
	"--id N is the key's PKCS#15 object id, the one OpenSC shows: --id 2 is OpenSC's 02.\n"
	"\n"
	"Secrets are asked on the terminal without echo, or, for scripts, taken from the environment:\n"
	"  SIMPKI_PIN      the PIN (4 to 16 characters)\n"
	"  SIMPKI_NEW_PIN  the new PIN for 'init', 'pin change' and 'pin unblock'\n"
	"  SIMPKI_PUK      the PUK (8 to 16 characters) for 'init' and 'pin unblock'\n"
	"They are never printed or logged.\n"
	"\n"
	"Exit codes:\n"
	"  0  success\n"
	"  1  the card or the reader failed, or the card refused for another reason (the message says which)\n"
	"  2  bad command line or bad input (a file that cannot be read, an invalid subject, a bad PIN length)\n"
	"  3  no card reader (is pcscd running?)\n"
	"  4  no card in the reader, or a card without the PKI applet\n"
	"  5  wrong PIN or PUK (the message says how many tries are left)\n"
	"  6  PIN or PUK blocked\n"
	"  7  the card is not enrolled yet (run 'init'), or 'init' on a card that is enrolled already\n"
	"  8  no key or certificate with that id, or 'keygen' for an id that exists already\n"
	"\n"
	"Run 'simpki-tool COMMAND --help' for a command's options.\n";

static const char usage_readers[] = "Usage: simpki-tool readers\n"
				    "\n"
				    "List the PC/SC card readers and whether each holds a card.\n";

static const char usage_info[] =
	"Usage: simpki-tool [--reader NAME] info [--json]\n"
	"\n"
	"Show the card: reader, ATR, PKI applet version, life cycle, PIN and PUK tries left, the keys (id,\n"
	"algorithm, label) and the certificates (id, subject, issuer, validity). Nothing here needs the PIN,\n"
	"and no secret is shown.\n"
	"\n"
	"  --json   one JSON object instead of text\n";

static const char usage_init[] =
	"Usage: simpki-tool [--reader NAME] init [--label TEXT]\n"
	"\n"
	"Enrol a new card: set its PUK (SIMPKI_PUK, 8 to 16 characters) and PIN (SIMPKI_NEW_PIN, 4 to 16\n"
	"characters), and write the PKCS#15 structure of OpenSC's isoApplet profile, so that OpenSC and\n"
	"simpki-tool can both use the card. A card can be enrolled only once. If an enrolment was interrupted\n"
	"after the PIN was set, 'init' finishes it with that PIN (SIMPKI_PIN).\n"
	"\n"
	"  --label TEXT   the token's label, as PKCS#11 applications show it (default \"simpki SIM\")\n";

static const char usage_pin[] =
	"Usage: simpki-tool [--reader NAME] pin verify|change|unblock\n"
	"\n"
	"  verify    check the PIN (SIMPKI_PIN); says how many tries are left when it is wrong\n"
	"  change    change the PIN (SIMPKI_PIN, then SIMPKI_NEW_PIN)\n"
	"  unblock   unblock a blocked PIN with the PUK (SIMPKI_PUK) and set a new one (SIMPKI_NEW_PIN)\n"
	"\n"
	"Three wrong PINs in a row block the PIN; five wrong PUKs block the PUK, and then the card cannot be\n"
	"unblocked any more.\n";

void tool_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("simpki-tool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void tool_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

static const char *tries(int n)
{
	return n == 1 ? "try" : "tries";
}

int tool_explain(struct token *t, int rc, const char *what)
{
	int left;

	if ((rc & 0xfff0) == 0x63c0 && rc > 0) {
		/* the caller says which secret it was in what: "PIN" or "PUK" */
		bool puk = strstr(what, "PUK") != NULL;

		left = rc & 0x0f;
		if (left) {
			tool_msg("wrong %s: %d %s left%s", puk ? "PUK" : "PIN", left, tries(left),
				 left == 1 ?
					 (puk ? " before the PUK is blocked for good" : " before the PIN is blocked") :
					 "");
			return TOOL_WRONG_SECRET;
		}
		if (puk) {
			tool_msg("PUK blocked: the PIN cannot be unblocked any more; once the PIN is blocked, the card "
				 "has "
				 "to be replaced");
		} else if (t && pki_puk_tries(&t->card, &left) == 0 && left > 0) {
			tool_msg("PIN blocked: unblock it with the PUK (simpki-tool pin unblock); %d PUK %s left", left,
				 tries(left));
		} else {
			tool_msg("PIN blocked, and the card has no PUK left to unblock it: it has to be replaced");
		}
		return TOOL_BLOCKED;
	}
	switch (rc) {
	case -ENXIO:
	case -ENODEV:
	case -ENOMEDIUM:
	case -EBUSY:
	case -ECONNRESET:
	case -EIO:
		tool_msg("%s: %s", what, reader_strerror(rc));
		return rc == -ENXIO || rc == -ENODEV ? TOOL_NO_READER : rc == -ENOMEDIUM ? TOOL_NO_CARD : TOOL_FAILED;
	case -ENOENT:
		tool_msg("%s: there is no such key or certificate on the card (see 'simpki-tool info')", what);
		return TOOL_NO_OBJECT;
	case -EEXIST:
		tool_msg("%s: the card already holds one", what);
		return TOOL_NO_OBJECT;
	case -ENODATA:
		tool_msg("%s: the card is not enrolled yet (run 'simpki-tool init')", what);
		return TOOL_ENROLMENT;
	case -ENOSPC:
	case SW_FILE_FULL:
		tool_msg("%s: the card is full (no room for another key or certificate)", what);
		return TOOL_FAILED;
	case -EBADMSG:
		tool_msg("%s: the card's PKCS#15 structure is damaged or not one this tool knows", what);
		return TOOL_FAILED;
	case -E2BIG:
		tool_msg("%s: the card holds more objects in one directory than simpki-tool handles (%d)", what,
			 P15_MAX_OBJECTS);
		return TOOL_FAILED;
	case SW_SECURITY_NOT_SATISFIED:
		tool_msg("%s: the card wants the PIN first", what);
		return TOOL_FAILED;
	default:
		if (rc > 0)
			tool_msg("%s: the card refused (status %04X)", what, rc);
		else if (rc == -EINVAL)
			tool_msg("%s: invalid input", what);
		else
			tool_msg("%s: unexpected error (%s)", what, strerror(-rc));
		return rc == -EINVAL ? TOOL_USAGE : TOOL_FAILED;
	}
}

/* A line from the terminal without echo. \returns 0; -ENOTTY without a terminal; -E2BIG for a line too long */
static int read_tty(const char *prompt, char *buf, size_t len)
{
	bool too_long = false;
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	ssize_t n, echo;
	size_t got = 0;
	char c;

	if (fd < 0)
		return -ENOTTY;
	if (tcgetattr(fd, &old) < 0) {
		close(fd);
		return -ENOTTY;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		close(fd);
		return -ENOTTY;
	}
	while ((n = read(fd, &c, 1)) == 1 && c != '\n') {
		if (got + 1 < len)
			buf[got++] = c;
		else
			too_long = true;
	}
	buf[got] = '\0';
	tcsetattr(fd, TCSAFLUSH, &old);
	echo = write(fd, "\n", 1); /* the line ending the user typed was not echoed; a failure here is cosmetic */
	(void)echo;
	close(fd);
	return n < 0 ? -EIO : too_long ? -E2BIG : 0;
}

size_t tool_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int tool_secret(const char *env, const char *what, const char *hint, bool confirm, char *buf, size_t len)
{
	const char *v = getenv(env);
	char prompt[128], again[64];
	int rc;

	if (v) {
		if (strlen(v) >= len) {
			tool_msg("%s is too long", env);
			return TOOL_USAGE;
		}
		strcpy(buf, v);
		return TOOL_OK;
	}
	snprintf(prompt, sizeof(prompt), "%s%s%s%s: ", what, hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	rc = read_tty(prompt, buf, len);
	if (rc == -E2BIG) {
		tool_wipe(buf, len);
		tool_msg("the %s typed is too long", what);
		return TOOL_USAGE;
	}
	if (rc) {
		tool_msg("no %s given: set %s, or run simpki-tool in a terminal", what, env);
		return TOOL_USAGE;
	}
	if (confirm) {
		snprintf(prompt, sizeof(prompt), "%s again: ", what);
		rc = read_tty(prompt, again, sizeof(again));
		if (rc || strcmp(buf, again)) {
			tool_wipe(again, sizeof(again));
			tool_wipe(buf, len);
			tool_msg("the two entries differ; nothing was changed");
			return TOOL_USAGE;
		}
		tool_wipe(again, sizeof(again));
	}
	return TOOL_OK;
}

int tool_open(struct token *t, bool enrolled)
{
	int rc;

	memset(t, 0, sizeof(*t));
	rc = pki_card_open(&reader_pcsc, tool_opts.reader, &t->card);
	if (rc == -ENOENT) {
		tool_msg("the card in the reader has no simpki PKI applet");
		return TOOL_NO_CARD;
	}
	if (rc == -ENODEV) {
		tool_msg("no reader called \"%s\" (see 'simpki-tool readers')", tool_opts.reader);
		return TOOL_NO_READER;
	}
	if (rc)
		return tool_explain(NULL, rc, "cannot reach the card");
	rc = token_load(t);
	if (rc == -ENODATA && !enrolled)
		return TOOL_OK;
	if (rc) {
		int code = tool_explain(t, rc, "reading the card");

		pki_card_close(&t->card);
		return code;
	}
	return TOOL_OK;
}

/* A PIN or PUK as the card and OpenSC take it: \a min to \a max characters, digits and letters without marks
 * (printable ASCII), checked before it is sent so that a typing slip costs no try. */
static bool secret_ok(const char *what, const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e) {
			tool_msg("a %s uses digits and letters without marks only", what);
			return false;
		}
	}
	if (n >= min && n <= max)
		return true;
	tool_msg("a %s has %zu to %zu characters", what, min, max);
	return false;
}

int tool_verify_pin(struct token *t)
{
	char pin[64];
	int rc = tool_secret("SIMPKI_PIN", "PIN", NULL, false, pin, sizeof(pin));

	if (rc)
		return rc;
	if (!secret_ok("PIN", pin, 4, 16)) {
		tool_wipe(pin, sizeof(pin));
		return TOOL_USAGE;
	}
	rc = pki_verify(&t->card, pin);
	tool_wipe(pin, sizeof(pin));
	return rc ? tool_explain(t, rc, "PIN") : TOOL_OK;
}

int tool_parse_id(const char *s, unsigned *id)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno || *end || !*s || v < 1 || v > 255)
		return -EINVAL;
	*id = (unsigned)v;
	return 0;
}

/* ---- readers ---------------------------------------------------------------------------------------------- */

static void print_reader(const char *name, int present, void *arg)
{
	(void)arg;
	printf("%s\t%s\n", name, present ? "card present" : "empty");
}

static int cmd_readers(int argc, char **argv)
{
	int n;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_readers, stdout);
		return TOOL_OK;
	}
	if (argc > 1) {
		tool_msg("readers takes no arguments");
		return TOOL_USAGE;
	}
	n = reader_pcsc_list(print_reader, NULL);
	if (n < 0) {
		tool_msg("%s", reader_strerror(n));
		return TOOL_NO_READER;
	}
	if (!n) {
		tool_msg("no card reader found");
		return TOOL_NO_READER;
	}
	return TOOL_OK;
}

/* ---- info --------------------------------------------------------------------------------------------------- */

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void name_text(const X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int got = 0;

	buf[0] = '\0';
	if (!b)
		return;
	/* in the order it was written (CN first), UTF-8 as it is */
	X509_NAME_print_ex(b, n, 0,
			   (XN_FLAG_RFC2253 & ~XN_FLAG_DN_REV & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT);
	got = BIO_read(b, buf, (int)len - 1);
	buf[got > 0 ? got : 0] = '\0';
	BIO_free(b);
}

static void time_text(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "?");
}

static const char *alg_name(const struct p15_object *k, bool json)
{
	if (k->type == P15_RSA)
		return json ? "rsa2048" : "RSA-2048";
	return json ? "p256" : "EC P-256";
}

static int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "reader", required_argument, NULL, 'r' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	char atr_hex[2 * 33 + 1], subject[512], issuer[512], nb[32], na[32];
	const char *life;
	uint8_t atr[33];
	struct token t;
	bool json = false;
	int opt, rc, pin = -1, puk = -1, atr_len;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'j') {
			json = true;
		} else if (opt == 'r') {
			tool_opts.reader = optarg;
		} else if (opt == 'h') {
			fputs(usage_info, stdout);
			return TOOL_OK;
		} else {
			fputs(usage_info, stderr);
			return TOOL_USAGE;
		}
	}
	rc = tool_open(&t, false);
	if (rc)
		return rc;
	atr_len = t.card.ops->atr(t.card.r, atr, sizeof(atr));
	hex_encode(atr, atr_len > 0 ? (size_t)atr_len : 0, atr_hex, sizeof(atr_hex));
	pki_pin_tries(&t.card, &pin);
	pki_puk_tries(&t.card, &puk);
	life = pin >= 0 ? "operational" : puk >= 0 ? "PUK set, no PIN yet" : "new (no PUK, no PIN)";
	if (json) {
		printf("{\"reader\":");
		json_string(t.card.ops->reader_name(t.card.r));
		printf(",\"atr\":\"%s\",\"applet\":{\"version\":\"%u.%u\",\"features\":%u},\"life_cycle\":", atr_hex,
		       t.card.version[0], t.card.version[1], t.card.version[2]);
		json_string(life);
		printf(",\"enrolled\":%s,\"pin_tries_left\":", t.enrolled ? "true" : "false");
		pin >= 0 ? printf("%d", pin) : printf("null");
		printf(",\"puk_tries_left\":");
		puk >= 0 ? printf("%d", puk) : printf("null");
		printf(",\"keys\":[");
	} else {
		printf("Reader:       %s\nATR:          %s\nApplet:       simpki PKI applet, IsoApplet API %u.%u\n",
		       t.card.ops->reader_name(t.card.r), atr_hex, t.card.version[0], t.card.version[1]);
		printf("Life cycle:   %s%s\n", life, pin >= 0 && !t.enrolled ? " (no PKCS#15 structure)" : "");
		if (pin > 0)
			printf("PIN:          %d %s left\n", pin, tries(pin));
		else if (pin == 0)
			printf("PIN:          blocked (%s)\n",
			       puk > 0 ? "unblock it with the PUK" : "the card cannot be unblocked");
		if (puk >= 0)
			printf("PUK:          %d %s left%s\n", puk, tries(puk), puk ? "" : " (blocked)");
		printf("Keys:%s\n", t.n_prkeys ? "" : "         none");
	}
	for (size_t i = 0; i < t.n_prkeys; i++) {
		const struct p15_object *k = &t.prkeys[i];
		char id[65];

		hex_encode(k->id, k->id_len, id, sizeof(id));
		if (json) {
			printf("%s{\"id\":\"%s\",\"algorithm\":\"%s\",\"label\":", i ? "," : "", id, alg_name(k, true));
			json_string(k->label);
			printf(",\"key_ref\":%d}", k->key_ref);
		} else {
			printf("  id %s  %-9s  \"%s\"\n", id, alg_name(k, false), k->label);
		}
	}
	if (json)
		printf("],\"certificates\":[");
	else
		printf("Certificates:%s\n", t.n_certs ? "" : " none");
	for (size_t i = 0, shown = 0; i < t.n_certs; i++) {
		X509 *x = NULL;
		char id[65];

		hex_encode(t.certs[i].id, t.certs[i].id_len, id, sizeof(id));
		if (t.certs[i].id_len != 1 || token_read_certificate(&t, t.certs[i].id[0], &x)) {
			if (json)
				printf("%s{\"id\":\"%s\",\"error\":\"cannot be read\"}", shown++ ? "," : "", id);
			else
				printf("  id %s  (cannot be read)\n", id);
			continue;
		}
		name_text(X509_get_subject_name(x), subject, sizeof(subject));
		name_text(X509_get_issuer_name(x), issuer, sizeof(issuer));
		time_text(X509_get0_notBefore(x), nb, sizeof(nb));
		time_text(X509_get0_notAfter(x), na, sizeof(na));
		if (json) {
			printf("%s{\"id\":\"%s\",\"subject\":", shown++ ? "," : "", id);
			json_string(subject);
			printf(",\"issuer\":");
			json_string(issuer);
			printf(",\"not_before\":\"%s\",\"not_after\":\"%s\"}", nb, na);
		} else {
			printf("  id %s  %s\n         issued by %s\n         valid %s to %s\n", id, subject, issuer, nb,
			       na);
		}
		X509_free(x);
	}
	if (json)
		printf("]}\n");
	pki_card_close(&t.card);
	return TOOL_OK;
}

/* ---- init and pin ------------------------------------------------------------------------------------------ */

static int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = { { "label", required_argument, NULL, 'l' },
					      { "reader", required_argument, NULL, 'r' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *label = "simpki SIM";
	char puk[64] = "", pin[64] = "";
	struct token t;
	int opt, rc, err, pin_tries = -1, puk_tries = -1;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'l') {
			label = optarg;
		} else if (opt == 'r') {
			tool_opts.reader = optarg;
		} else if (opt == 'h') {
			fputs(usage_init, stdout);
			return TOOL_OK;
		} else {
			fputs(usage_init, stderr);
			return TOOL_USAGE;
		}
	}
	if (optind < argc || tool_chars(label) > 32 || !*label) {
		tool_msg("init takes only --label, of 1 to 32 characters");
		return TOOL_USAGE;
	}
	rc = tool_open(&t, false);
	if (rc)
		return rc;
	if (t.enrolled) {
		pki_card_close(&t.card);
		tool_msg("this card is enrolled already; a card can be enrolled only once");
		return TOOL_ENROLMENT;
	}
	pki_pin_tries(&t.card, &pin_tries);
	pki_puk_tries(&t.card, &puk_tries);
	if (pin_tries >= 0) {
		/* personalised, but the PKCS#15 structure is missing: an enrolment was interrupted */
		printf("This card has a PIN but no PKCS#15 structure (an enrolment was interrupted): finishing it.\n");
		rc = tool_secret("SIMPKI_PIN", "PIN", NULL, false, pin, sizeof(pin));
		if (!rc && !secret_ok("PIN", pin, 4, 16))
			rc = TOOL_USAGE;
	} else {
		if (puk_tries < 0)
			rc = tool_secret("SIMPKI_PUK", "new PUK", "8 to 16 characters", true, puk, sizeof(puk));
		if (!rc && puk_tries < 0 && !secret_ok("PUK", puk, 8, 16))
			rc = TOOL_USAGE;
		if (!rc)
			rc = tool_secret("SIMPKI_NEW_PIN", "new PIN", "4 to 16 characters", true, pin, sizeof(pin));
		if (!rc && !secret_ok("PIN", pin, 4, 16))
			rc = TOOL_USAGE;
	}
	if (!rc) {
		err = token_init(&t, pin_tries >= 0 || puk_tries >= 0 ? NULL : puk, pin, pin_tries < 0, label);
		rc = err ? tool_explain(&t, err, pin_tries >= 0 ? "PIN" : "enrolling the card") : TOOL_OK;
		if (!rc && pin_tries < 0 && puk_tries < 0)
			printf("The card is enrolled: PUK and PIN are set, and it is ready for keys "
			       "('simpki-tool keygen').\n");
		else if (!rc)
			printf("The card is enrolled and ready for keys ('simpki-tool keygen').\n");
	}
	tool_wipe(puk, sizeof(puk));
	tool_wipe(pin, sizeof(pin));
	pki_card_close(&t.card);
	return rc;
}

static int cmd_pin(int argc, char **argv)
{
	static const struct option opts[] = { { "reader", required_argument, NULL, 'r' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *action = argc > 1 ? argv[1] : NULL;
	char old[64] = "", new[64] = "";
	struct token t;
	int opt, rc, err, tries;
	bool change;

	if (!action || !strcmp(action, "--help") || !strcmp(action, "-h")) {
		fputs(usage_pin, action ? stdout : stderr);
		return action ? TOOL_OK : TOOL_USAGE;
	}
	if (strcmp(action, "verify") && strcmp(action, "change") && strcmp(action, "unblock")) {
		tool_msg("pin: unknown action '%s' (verify, change or unblock)", action);
		return TOOL_USAGE;
	}
	change = !strcmp(action, "change");
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'r') {
			tool_opts.reader = optarg;
		} else if (opt == 'h') {
			fputs(usage_pin, stdout);
			return TOOL_OK;
		} else {
			fputs(usage_pin, stderr);
			return TOOL_USAGE;
		}
	}
	if (optind < argc) {
		tool_msg("pin %s takes no more arguments", action);
		return TOOL_USAGE;
	}
	rc = tool_open(&t, false);
	if (rc)
		return rc;
	if (pki_pin_tries(&t.card, &tries) == 0 && tries < 0) {
		pki_card_close(&t.card);
		tool_msg("the card has no PIN yet: it is not enrolled (run 'simpki-tool init')");
		return TOOL_ENROLMENT;
	}
	if (!strcmp(action, "verify")) {
		rc = tool_verify_pin(&t);
		if (!rc)
			printf("The PIN is correct.\n");
		pki_card_close(&t.card);
		return rc;
	}
	rc = change ? tool_secret("SIMPKI_PIN", "current PIN", NULL, false, old, sizeof(old)) :
		      tool_secret("SIMPKI_PUK", "PUK", NULL, false, old, sizeof(old));
	if (!rc && !(change ? secret_ok("PIN", old, 4, 16) : secret_ok("PUK", old, 8, 16)))
		rc = TOOL_USAGE;
	if (!rc)
		rc = tool_secret("SIMPKI_NEW_PIN", "new PIN", "4 to 16 characters", true, new, sizeof(new));
	if (!rc && !secret_ok("PIN", new, 4, 16))
		rc = TOOL_USAGE;
	if (!rc && change) {
		err = pki_change_pin(&t.card, old, new);
		rc = err ? tool_explain(&t, err, "PIN") : TOOL_OK;
		if (!rc)
			printf("The PIN is changed.\n");
	} else if (!rc) {
		err = pki_unblock_pin(&t.card, old, new);
		if (err == SW_VERIFY_FAILED(0) && pki_puk_tries(&t.card, &tries) == 0 && tries < 0) {
			tool_msg("this card has no PUK: its PIN cannot be unblocked");
			rc = TOOL_BLOCKED;
		} else if (err) {
			rc = tool_explain(&t, err, "PUK");
		} else {
			printf("The PIN is unblocked and set to the new one; it has its full tries again.\n");
		}
	}
	tool_wipe(old, sizeof(old));
	tool_wipe(new, sizeof(new));
	pki_card_close(&t.card);
	return rc;
}

/* ---- dispatch ---------------------------------------------------------------------------------------------- */

int tool_main(int argc, char **argv)
{
	static const struct option opts[] = { { "reader", required_argument, NULL, 'r' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
		{ "readers", cmd_readers }, { "info", cmd_info }, { "init", cmd_init },	 { "pin", cmd_pin },
		{ "keygen", tool_keygen },  { "csr", tool_csr },  { "cert", tool_cert }, { "sign", tool_sign },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (opt == 'r') {
			tool_opts.reader = optarg;
		} else if (opt == 'h') {
			fputs(usage_main, stdout);
			return TOOL_OK;
		} else {
			fputs(usage_main, stderr);
			return TOOL_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage_main, stderr);
		return TOOL_USAGE;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[optind], cmds[i].name)) {
			char **sub = argv + optind;
			int subc = argc - optind;

			optind = 0; /* the command parses its own options; 0 makes GNU getopt start afresh */
			return cmds[i].run(subc, sub);
		}
	}
	tool_msg("unknown command '%s' (see simpki-tool --help)", argv[optind]);
	return TOOL_USAGE;
}
