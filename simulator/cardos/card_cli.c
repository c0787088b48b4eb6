/* simpki-card: create a simulated SIM, send it APDUs, show what is on it. main() is in simpki-card.c.
 *
 * `apdu` input: one command APDU per line in hex (spaces allowed between bytes); blank lines and everything
 * from '#' to the end of a line are skipped. Output: exactly one line per APDU, the response data and the
 * status word in hex separated by a space ("6F0782013883023F00 9000", or "9000" without data), or a line
 * starting with "error:" for an input line that is not a hex APDU.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <simpki/apdu.h>
#include <simpki/hex.h>

#include "card_cli.h"
#include "cardos.h"
#include "vpcd.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILURE_GENERIC = 1,
	EXIT_USAGE = 2,
	EXIT_NO_CARD = 3,
	EXIT_CARD_EXISTS = 4,
	EXIT_BAD_LINES = 5,
	EXIT_CARD_BUSY = 6,
};

#define MAX_LINE (2 * APDU_MAX_ENCODED + 4096)
#define MANIFEST_MAX_BYTES (64 * 1024)

static const char usage_main[] =
	"Usage: simpki-card COMMAND [OPTIONS]\n"
	"\n"
	"A simulated SIM card with the simpki PKI applet, kept in a state directory.\n"
	"\n"
	"Commands:\n"
	"  create  make a new card image\n"
	"  create-many make one card per line of a card vendor's CSV file\n"
	"  apdu    send command APDUs to the card, one per line\n"
	"  info    show what is on the card\n"
	"  ota-key replace or add an OTA key set\n"
	"  serve   put the card in pcscd's virtual reader (vpcd) until stopped\n"
	"\n"
	"Run 'simpki-card COMMAND --help' for a command's options.\n"
	"\n"
	"Exit codes:\n"
	"  0  success\n"
	"  1  an error (I/O, out of memory, the card lost power)\n"
	"  2  bad command line\n"
	"  3  no card in the state directory, or not a valid card image\n"
	"  4  create, create-many: a card exists already (use --force to replace it)\n"
	"  5  apdu: one or more input lines were not hex APDUs (each got an error line);\n"
	"     create-many: one or more lines of the file were wrong (each is named; no card was made)\n"
	"  6  the card is in use by another process (a running 'simpki-card serve', for example)\n";

static const char usage_create[] =
	"Usage: simpki-card create --state DIR --iccid ICCID [--imsi IMSI] [--msisdn MSISDN]\n"
	"                          [--ota-key KVN:ALGO:KIC:KID ...] [--scp81-psk HEX] [--transport-pin PIN [--puk "
	"PUK]]\n"
	"                          [--manifest FILE] [--force]\n"
	"\n"
	"Make a new card image DIR/card.img: format its NVM and install the applets of the manifest.\n"
	"\n"
	"  --state DIR       directory of the card (created if missing)\n"
	"  --iccid ICCID     18 to 20 digits; the last is the Luhn check digit\n"
	"  --imsi IMSI       6 to 15 digits\n"
	"  --msisdn MSISDN   the subscriber's number, international form without '+', 1 to 15 digits\n"
	"  --ota-key KVN:ALGO:KIC:KID\n"
	"                    an OTA key set (repeatable, up to 4): key version 1..15, ALGO 3des (keys of\n"
	"                    16 or 24 bytes) or aes (16, 24 or 32), KIc and KID in hex. Other users can read\n"
	"                    a command line: on a shared machine put 'ota-key' lines in the manifest instead\n"
	"  --scp81-psk HEX   the admin agent's TLS-PSK key 64/1 (SCP81), 16 or 32 bytes of hex: a manifest line\n"
	"                    'scp81-psk 64 1 HEX' (on a shared machine put it in the manifest instead)\n"
	"  --transport-pin PIN\n"
	"                    the factory's PIN, 4 to 16 characters: the PKI applet leaves the factory\n"
	"                    OPERATIONAL with it (set by the applet's own CHANGE REFERENCE DATA), with no\n"
	"                    PKCS#15 files; its holder changes it at first use. Default: SIMPKI_TRANSPORT_PIN\n"
	"  --puk PUK         the PUK, 8 to 16 characters, set before the transport PIN (needs one).\n"
	"                    Default: SIMPKI_PUK, when there is a transport PIN. Other users can read a\n"
	"                    command line: on a shared machine give PIN and PUK in the environment instead\n"
	"  --manifest FILE   applets and budgets to install (default: the simpki SIM, one PKI applet;\n"
	"                    see docs/card.md for the format)\n"
	"  --force           replace an existing card in DIR (its keys and data are lost)\n"
	"  -h, --help        this text\n";

static const char usage_create_many[] =
	"Usage: simpki-card create-many --dir DIR --from FILE|- [--transport-pin PIN [--puk PUK]] [--manifest FILE]\n"
	"                               [--force]\n"
	"\n"
	"Make one card per line of FILE (standard input for '-'), as 'create' would, in DIR/000, DIR/001, ... in the\n"
	"file's order (as many digits as the last number needs, at least 3), where 'simpki-phone --cards DIR' finds\n"
	"them. Every line is checked before a card is made: a wrong line is named with its number and nothing is\n"
	"made; a failure while the cards are written removes the ones this run made.\n"
	"\n"
	"FILE is CSV with a header line naming its columns, in any order (other columns are ignored):\n"
	"  iccid,imsi,msisdn           required; the card's identity, checked as 'create' does\n"
	"  kvn,kic_algo,kic,kid_algo,kid\n"
	"                              optional, together: the card's OTA key set (kic_algo and kid_algo the\n"
	"                              same, 3des or aes); an empty kvn gives the card none. A card vendor's file\n"
	"                              iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid[,kik] is one (kik unused)\n"
	"  transport_pin,puk           optional: the card's factory PIN and PUK (empty: the options' values)\n"
	"  psk                         optional: the admin agent's SCP81 TLS-PSK key 64/1, 16 or 32 bytes of hex\n"
	"                              (empty: none)\n"
	"One line per card: an ICCID, IMSI or MSISDN twice is refused. No quoted fields.\n"
	"\n"
	"  --dir DIR         where the card directories go (created if missing)\n"
	"  --from FILE       the cards, or - for standard input\n"
	"  --transport-pin PIN, --puk PUK\n"
	"                    the factory's PIN and PUK of every card without its own in the file (see\n"
	"                    'create --help'; defaults SIMPKI_TRANSPORT_PIN and SIMPKI_PUK)\n"
	"  --manifest FILE   applets and budgets of every card (default: the simpki SIM)\n"
	"  --force           replace cards that exist already in DIR/NNN\n"
	"  -h, --help        this text\n";

static const char usage_apdu[] =
	"Usage: simpki-card apdu --state DIR [--real-timing [--baud N] [--protocol T=0|T=1]] [--power-loss-at N]\n"
	"                        FILE|-\n"
	"\n"
	"Power the card on, send each command APDU of FILE (or standard input for '-') and power it off.\n"
	"Input: one APDU per line in hex; spaces between bytes, blank lines and '#' comments are ignored.\n"
	"Output: one line per APDU: the response data and SW1SW2 in hex, separated by a space;\n"
	"a line that is not a hex APDU gets a line starting with 'error:' instead (exit code 5 at the end).\n"
	"GET RESPONSE is not sent for you: a 61xx answer is printed as it is.\n"
	"\n"
	"  --state DIR       directory of the card\n"
	"  --real-timing     take as long as a real SIM in a real reader (RSA-2048 key generation ~9 s, signature\n"
	"                    ~190 ms, each 64-byte NVM page written 3 ms, the APDUs at the reader's rate)\n"
	"  --baud N          the reader's rate for --real-timing, 1200..1000000 bit/s (default 9600)\n"
	"  --protocol T=0|T=1 the transmission protocol for --real-timing (default T=1)\n"
	"  --power-loss-at N cut the power during the Nth NVM write of this run (half of it reaches the\n"
	"                    card): the APDU being processed gets no answer and the run stops (exit code 1);\n"
	"                    the next run finds the card as a real one would after a tear\n"
	"  -h, --help        this text\n";

static const char usage_info[] = "Usage: simpki-card info --state DIR\n"
				 "\n"
				 "Show the card's identity, its NVM use and each applet's state (never a secret).\n"
				 "\n"
				 "  --state DIR       directory of the card\n"
				 "  -h, --help        this text\n";

static const char usage_ota_key[] =
	"Usage: simpki-card ota-key --state DIR KVN:ALGO:KIC:KID\n"
	"\n"
	"Replace the card's OTA key set of version KVN with new keys (its counter carries on, so no old packet is\n"
	"accepted again), or add it if the card has none of that version (at most 4 key sets). One atomic write:\n"
	"after it the old keys are nowhere on the card. The card issuer's step, before the SIM goes out or when\n"
	"keys are rotated; the new keys go to the OTA server too.\n"
	"\n"
	"  --state DIR       directory of the card\n"
	"  KVN:ALGO:KIC:KID  key version 1..15, 3des (keys of 16 or 24 bytes) or aes (16, 24 or 32 bytes), the\n"
	"                    keys in hex. The keys appear in the process list: on a shared machine, run it where\n"
	"                    nobody else can look\n"
	"  -h, --help        this text\n";

static const char usage_serve[] =
	"Usage: simpki-card serve --state DIR [--vpcd HOST:PORT] [--real-timing [--baud N] [--protocol T=0|T=1]]\n"
	"                         [--verbose]\n"
	"\n"
	"Insert the card into the virtual reader of pcscd's vpcd driver (package vsmartcard-vpcd) and answer it\n"
	"until SIGTERM or SIGINT. PC/SC programs (OpenSC, simpki-tool, pcsc_scan) then see a card in the reader\n"
	"\"Virtual PCD 00 00\". When pcscd is not running yet, or restarts, the card waits and reconnects.\n"
	"Every change the card makes is already on disk, so stopping it at any moment loses nothing.\n"
	"\n"
	"  --state DIR       directory of the card\n"
	"  --vpcd HOST:PORT  where vpcd listens (default 127.0.0.1:35963, the first slot; 35964 is the second)\n"
	"  --real-timing     take as long as a real SIM in a real reader (RSA-2048 key generation ~9 s, signature\n"
	"                    ~190 ms, each 64-byte NVM page written 3 ms, the APDUs at the reader's rate)\n"
	"  --baud N          the reader's rate for --real-timing, 1200..1000000 bit/s (default 9600)\n"
	"  --protocol T=0|T=1 the transmission protocol for --real-timing (default T=1)\n"
	"  --verbose         log each command's instruction byte and status word (never its data)\n"
	"  -h, --help        this text\n";

__attribute__((format(printf, 2, 3))) static int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "simpki-card: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n%s", usage);
	return EXIT_USAGE;
}

static int open_error(const char *dir, int rc)
{
	if (rc == -EBUSY) {
		fprintf(stderr,
			"simpki-card: the card in %s is in use by another process (is 'simpki-card serve' running?)\n",
			dir);
		return EXIT_CARD_BUSY;
	}
	if (rc == -ENOENT)
		fprintf(stderr, "simpki-card: no card in %s (create one with 'simpki-card create')\n", dir);
	else if (rc == -EBADMSG)
		fprintf(stderr, "simpki-card: %s/%s is not a valid card image\n", dir, CARD_IMAGE_FILE);
	else
		fprintf(stderr, "simpki-card: cannot open the card in %s: %s\n", dir, strerror(-rc));
	return rc == -ENOENT || rc == -EBADMSG ? EXIT_NO_CARD : EXIT_FAILURE_GENERIC;
}

/* After a command's options: DIR was given, nothing else follows, and the card opens. \returns EXIT_OK and sets
 * *os, or the exit code after saying why not */
static int open_state(const char *dir, int argc, char **argv, const char *usage, struct card_os **os)
{
	int rc;

	if (!dir)
		return usage_error(usage, "%s", "--state DIR is required");
	if (optind < argc)
		return usage_error(usage, "unexpected argument: %s", argv[optind]);
	rc = card_os_open_dir(dir, os);
	return rc ? open_error(dir, rc) : EXIT_OK;
}

static char *read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static bool copy_arg(char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size)
		return false;
	strcpy(dst, src);
	return true;
}

/* Turn --ota-key KVN:ALGO:KIC:KID into a manifest line "ota-key KVN ALGO KIC KID" appended to \a out; the manifest
 * parser checks the values. \returns false for a value that does not have the four fields */
static bool ota_key_line(const char *arg, char *out, size_t max)
{
	const char *f[4];
	size_t len[4], used = strlen(out);
	const char *p = arg;
	int n;

	for (int i = 0; i < 4; i++) {
		const char *colon = strchr(p, ':');

		f[i] = p;
		len[i] = colon ? (size_t)(colon - p) : strlen(p);
		if (!len[i] || len[i] > 64 || (i < 3) != (colon != NULL))
			return false;
		p = colon ? colon + 1 : p + len[i];
	}
	n = snprintf(out + used, max - used, "ota-key %.*s %.*s %.*s %.*s\n", (int)len[0], f[0], (int)len[1], f[1],
		     (int)len[2], f[2], (int)len[3], f[3]);
	return n > 0 && (size_t)n < max - used;
}

/* The factory's PIN and PUK: the options' values, else SIMPKI_TRANSPORT_PIN and SIMPKI_PUK (the PUK's variable only
 * with a transport PIN: simpki-tool's users may have it set for other reasons). */
static void factory_env(const char **pin, const char **puk)
{
	if (!*pin)
		*pin = getenv("SIMPKI_TRANSPORT_PIN");
	if (*pin && !*puk)
		*puk = getenv("SIMPKI_PUK");
	if (*pin && !**pin)
		*pin = NULL;
	if (*puk && !**puk)
		*puk = NULL;
}

/* \returns NULL when the PKI applet can take \a pin and \a puk (either may be NULL), or why not */
static const char *factory_check(const char *pin, const char *puk)
{
	if (puk && !pin)
		return "a PUK needs a transport PIN";
	if (pin && (strlen(pin) < 4 || strlen(pin) > 16))
		return "the transport PIN must be 4 to 16 characters";
	if (puk && (strlen(puk) < 8 || strlen(puk) > 16))
		return "the PUK must be 8 to 16 characters";
	return NULL;
}

/* Personalise the PKI applet of the card in \a s as its factory does, through the applet's own commands: SELECT,
 * CHANGE REFERENCE DATA 01 02 with the PUK (CREATION to INITIALISATION), 01 01 with the PIN (to OPERATIONAL); both
 * padded with 00 to 16 bytes as the applet stores them. \returns 0; -ENOENT (no pki applet) or -EPROTO (the applet
 * refused a step) with \a err set; -EIO; -ENOMEM */
static int factory_personalise(struct nvm_store *s, const char *pin, const char *puk, char *err, size_t errlen)
{
	static const char *const step[] = { "SELECT", "CHANGE REFERENCE DATA 01 02 (PUK)",
					    "CHANGE REFERENCE DATA 01 01 (PIN)" };
	struct card_applet_info apps[MANIFEST_MAX_APPLETS];
	static uint8_t resp[CARD_RESP_MAX + 2];
	uint8_t cmd[5 + 16], atr[33];
	struct card_os *os;
	size_t rlen;
	unsigned n, i;
	int rc;

	rc = card_os_open(s, &os);
	if (rc)
		return rc;
	n = card_os_applets(os, apps, MANIFEST_MAX_APPLETS);
	for (i = 0; i < n && strcmp(apps[i].m.name, "pki"); i++)
		;
	if (i == n) {
		snprintf(err, errlen, "the manifest installs no pki applet to take a transport PIN");
		card_os_close(os);
		return -ENOENT;
	}
	card_os_power_on(os, atr, sizeof(atr));
	for (unsigned k = 0; k < 3 && !rc; k++) {
		const char *v = k == 1 ? puk : pin;
		size_t len = 5;
		uint16_t sw;

		if (k == 1 && !puk)
			continue;
		memset(cmd, 0, sizeof(cmd));
		if (k == 0) {
			memcpy(cmd, (const uint8_t[]){ 0x00, 0xa4, 0x04, 0x00, apps[i].m.aid_len }, 5);
			memcpy(cmd + 5, apps[i].m.aid, apps[i].m.aid_len);
			len += apps[i].m.aid_len;
		} else {
			memcpy(cmd, (const uint8_t[]){ 0x00, 0x24, 0x01, k == 1 ? 0x02 : 0x01, 16 }, 5);
			memcpy(cmd + 5, v, strlen(v)); /* factory_check(): at most 16 */
			len += 16;
		}
		rc = card_os_transmit(os, cmd, len, resp, sizeof(resp), &rlen);
		if (rc)
			break;
		sw = (uint16_t)(resp[rlen - 2] << 8 | resp[rlen - 1]);
		if (sw != 0x9000) {
			snprintf(err, errlen, "the PKI applet answered %04X to %s%s", sw, step[k],
				 sw == 0x6a84 ? ": its NVM budget is too small" : "");
			rc = -EPROTO;
		}
	}
	OPENSSL_cleanse(cmd, sizeof(cmd));
	card_os_power_off(os);
	card_os_close(os);
	return rc;
}

/* A new card in DIR: built from \a manifest (NULL: the default), its PKI applet personalised with the factory's
 * \a pin and \a puk when \a pin is set. \returns 0; as card_os_build() and card_os_save_dir(); as
 * factory_personalise() */
static int make_card(const char *dir, const char *manifest, const struct card_identity *id, const char *pin,
		     const char *puk, bool force, char *err, size_t errlen)
{
	struct nvm_store *s;
	int rc;

	err[0] = '\0';
	rc = card_os_build(manifest, id, &s, err, errlen);
	if (rc)
		return rc;
	if (pin)
		rc = factory_personalise(s, pin, puk, err, errlen);
	if (!rc)
		rc = card_os_save_dir(s, dir, force);
	nvm_store_free(s);
	return rc;
}

/* What make_card()'s failure in \a dir means to the user; \a base_lines as in cmd_create(). \returns the exit
 * code */
static int make_card_error(const char *dir, int rc, const char *err, unsigned base_lines)
{
	unsigned line;
	int at = 0;

	if (rc == -EEXIST) {
		fprintf(stderr, "simpki-card: %s already holds a card; use --force to replace it\n", dir);
		return EXIT_CARD_EXISTS;
	}
	if (rc == -EBUSY)
		return open_error(dir, rc);
	if (rc == -EINVAL) {
		/* an error in a line made of --ota-key names the option, not a line the user never wrote */
		if (sscanf(err, "manifest line %u: %n", &line, &at) == 1 && at && line > base_lines)
			fprintf(stderr, "simpki-card: --ota-key number %u: %s\n", line - base_lines, err + at);
		else
			fprintf(stderr, "simpki-card: %s\n", err);
		return EXIT_USAGE;
	}
	if (rc == -ENOENT && err[0]) {
		fprintf(stderr, "simpki-card: %s\n", err);
		return EXIT_USAGE;
	}
	fprintf(stderr, "simpki-card: cannot create the card in %s: %s\n", dir, err[0] ? err : strerror(-rc));
	return EXIT_FAILURE_GENERIC;
}

/* The manifest of a card: \a base (NULL: the default) and \a extra lines after it, in a new buffer.
 * \returns it, and in *base_lines the lines before the first extra one; NULL when out of memory */
static char *manifest_join(const char *base, const char *extra, unsigned *base_lines)
{
	size_t blen, elen = strlen(extra);
	char *joined;

	base = base ? base : manifest_default;
	blen = strlen(base);
	joined = malloc(blen + 1 + elen + 1);
	if (!joined)
		return NULL;
	memcpy(joined, base, blen);
	joined[blen] = '\n';
	*base_lines = 1; /* the base's lines and the separating newline: extra line k is line base_lines + k */
	for (size_t i = 0; i < blen; i++)
		*base_lines += base[i] == '\n';
	memcpy(joined + blen + 1, extra, elen + 1);
	return joined;
}

static void free_secret(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "iccid", required_argument, NULL, 'c' },
		{ "imsi", required_argument, NULL, 'i' },
		{ "msisdn", required_argument, NULL, 'm' },
		{ "manifest", required_argument, NULL, 'f' },
		{ "force", no_argument, NULL, 'F' },
		{ "ota-key", required_argument, NULL, 'k' },
		{ "scp81-psk", required_argument, NULL, 'P' },
		{ "transport-pin", required_argument, NULL, 'T' },
		{ "puk", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct card_identity id = { 0 };
	const char *dir = NULL, *manifest_path = NULL, *pin = NULL, *puk = NULL, *why;
	char *manifest = NULL, err[256] = "", keys[(MANIFEST_MAX_OTA_KEYS + 1) * 160] = "";
	unsigned nkeys = 0, base_lines = ~0u;
	bool force = false, psk = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			dir = optarg;
			break;
		case 'c':
			if (!copy_arg(id.iccid, sizeof(id.iccid), optarg))
				return usage_error(usage_create, "ICCID too long: %s", optarg);
			break;
		case 'i':
			if (!copy_arg(id.imsi, sizeof(id.imsi), optarg))
				return usage_error(usage_create, "IMSI too long: %s", optarg);
			break;
		case 'm':
			if (!copy_arg(id.msisdn, sizeof(id.msisdn), optarg[0] == '+' ? optarg + 1 : optarg))
				return usage_error(usage_create, "MSISDN too long: %s", optarg);
			break;
		case 'f':
			manifest_path = optarg;
			break;
		case 'F':
			force = true;
			break;
		case 'k':
			if (nkeys == MANIFEST_MAX_OTA_KEYS || !ota_key_line(optarg, keys, sizeof(keys))) {
				OPENSSL_cleanse(keys, sizeof(keys));
				return usage_error(usage_create,
						   "--ota-key wants KVN:ALGO:KIC:KID (at most %d of them)",
						   MANIFEST_MAX_OTA_KEYS);
			}
			nkeys++;
			break;
		case 'P': {
			size_t used = strlen(keys), hl = strlen(optarg);
			/* checked here, so that the manifest parser never names a line the user did not write */
			bool ok = (hl == 32 || hl == 64) && strspn(optarg, "0123456789abcdefABCDEF") == hl;
			int n = ok ? snprintf(keys + used, sizeof(keys) - used, "scp81-psk 64 1 %s\n", optarg) : -1;

			if (psk || n < 0 || (size_t)n >= sizeof(keys) - used) {
				OPENSSL_cleanse(keys, sizeof(keys));
				return usage_error(usage_create, "--scp81-psk wants one PSK of 16 or 32 bytes of hex");
			}
			psk = true;
			nkeys++;
			break;
		}
		case 'T':
			pin = optarg;
			break;
		case 'U':
			puk = optarg;
			break;
		case 'h':
			fputs(usage_create, stdout);
			return EXIT_OK;
		default:
			OPENSSL_cleanse(keys, sizeof(keys));
			fputs(usage_create, stderr);
			return EXIT_USAGE;
		}
	}
	factory_env(&pin, &puk);
	why = factory_check(pin, puk);
	if (why || optind < argc || !dir || !id.iccid[0]) {
		OPENSSL_cleanse(keys, sizeof(keys));
		if (why)
			return usage_error(usage_create, "%s", why);
		if (optind < argc)
			return usage_error(usage_create, "unexpected argument: %s", argv[optind]);
		return usage_error(usage_create, "%s", !dir ? "--state DIR is required" : "--iccid is required");
	}
	if (manifest_path) {
		manifest = read_file(manifest_path, MANIFEST_MAX_BYTES);
		if (!manifest) {
			fprintf(stderr, "simpki-card: cannot read manifest %s: %s\n", manifest_path, strerror(errno));
			OPENSSL_cleanse(keys, sizeof(keys));
			return EXIT_FAILURE_GENERIC;
		}
	}
	if (nkeys) {
		/* the keys become manifest lines after the file's (or the default manifest's) */
		char *joined = manifest_join(manifest, keys, &base_lines);

		OPENSSL_cleanse(keys, sizeof(keys));
		free_secret(manifest);
		if (!joined)
			return EXIT_FAILURE_GENERIC;
		manifest = joined;
	}
	rc = make_card(dir, manifest, &id, pin, puk, force, err, sizeof(err));
	free_secret(manifest);
	if (rc)
		return make_card_error(dir, rc, err, base_lines);
	printf("created card %s in %s\n", id.iccid, dir);
	return EXIT_OK;
}

/* ---- create-many ---------------------------------------------------------------------------------------------- */

#define MANY_MAX_CARDS 1000000
#define MANY_MAX_ERRORS 50 /* named; the others counted */

enum many_col {
	COL_ICCID,
	COL_IMSI,
	COL_MSISDN,
	COL_KVN,
	COL_KIC_ALGO,
	COL_KIC,
	COL_KID_ALGO,
	COL_KID,
	COL_PIN,
	COL_PUK,
	COL_PSK,
	COL_COUNT,
};

static const char *const many_col_name[COL_COUNT] = { "iccid",	  "imsi", "msisdn",	   "kvn", "kic_algo", "kic",
						      "kid_algo", "kid",  "transport_pin", "puk", "psk" };

/* One card of the file: its identity, its key set as a manifest line (or ""), its PIN and PUK (or ""). */
struct many_card {
	unsigned line;
	struct card_identity id;
	char key[200];
	char psk[100]; /* "scp81-psk 64 1 HEX" or "" */
	char pin[17], puk[17];
};

struct many {
	const char *name;   /* the file, as the user gave it */
	int col[COL_COUNT]; /* field index of each column, -1 for none */
	unsigned nfields;
	struct many_card *cards;
	size_t ncards, cap;
	unsigned errors;
};

__attribute__((format(printf, 3, 4))) static void many_bad(struct many *m, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (m->errors++ >= MANY_MAX_ERRORS)
		return;
	fprintf(stderr, "simpki-card: %s: line %u: ", m->name, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Split \a line at commas in place: at most \a max fields. \returns how many there are (max + 1: too many) */
static unsigned split_fields(char *line, char **f, unsigned max)
{
	unsigned n = 0;

	for (char *p = line;; p++) {
		if (n == max)
			return max + 1;
		f[n++] = p;
		p = strchr(p, ',');
		if (!p)
			return n;
		*p = '\0';
	}
}

static int many_header(struct many *m, char *line)
{
	char *f[64];
	unsigned n = split_fields(line, f, 64);

	if (n > 64) {
		many_bad(m, 1, "more than 64 columns");
		return -EINVAL;
	}
	for (unsigned c = 0; c < COL_COUNT; c++)
		m->col[c] = -1;
	for (unsigned i = 0; i < n; i++) {
		for (unsigned c = 0; c < COL_COUNT; c++) {
			if (strcmp(f[i], many_col_name[c]))
				continue;
			if (m->col[c] >= 0) {
				many_bad(m, 1, "the column %s twice", f[i]);
				return -EINVAL;
			}
			m->col[c] = (int)i;
		}
	}
	m->nfields = n;
	if (m->col[COL_ICCID] < 0 || m->col[COL_IMSI] < 0 || m->col[COL_MSISDN] < 0) {
		many_bad(m, 1,
			 "the header must name the columns iccid, imsi and msisdn (as in "
			 "'iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid')");
		return -EINVAL;
	}
	for (unsigned c = COL_KVN; c <= COL_KID; c++) {
		if ((m->col[c] < 0) != (m->col[COL_KVN] < 0)) {
			many_bad(m, 1, "the columns kvn, kic_algo, kic, kid_algo and kid come together");
			return -EINVAL;
		}
	}
	return 0;
}

static const char *field(const struct many *m, char **f, enum many_col c)
{
	return m->col[c] < 0 ? "" : f[m->col[c]];
}

/* Check one data line and add its card. \returns 0; -EINVAL (named); -ENOMEM */
static int many_line(struct many *m, char *line, unsigned lineno)
{
	struct manifest_ota_key k;
	struct many_card *c;
	char *f[64], err[256];
	const char *why = NULL, *v;
	unsigned n = split_fields(line, f, 64);
	int rc;

	if (n != m->nfields) {
		many_bad(m, lineno, "%u fields, the header has %u", n > 64 ? 65 : n, m->nfields);
		return -EINVAL;
	}
	if (m->ncards == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 256;
		struct many_card *more = cap > MANY_MAX_CARDS ? NULL : realloc(m->cards, cap * sizeof(*more));

		if (!more) {
			many_bad(m, lineno, "more than %d cards", MANY_MAX_CARDS);
			return -ENOMEM;
		}
		m->cards = more;
		m->cap = cap;
	}
	c = &m->cards[m->ncards];
	memset(c, 0, sizeof(*c));
	c->line = lineno;
	v = field(m, f, COL_MSISDN);
	if (!copy_arg(c->id.iccid, sizeof(c->id.iccid), field(m, f, COL_ICCID)) ||
	    !copy_arg(c->id.imsi, sizeof(c->id.imsi), field(m, f, COL_IMSI)) ||
	    !copy_arg(c->id.msisdn, sizeof(c->id.msisdn), v[0] == '+' ? v + 1 : v)) {
		many_bad(m, lineno, "an ICCID, IMSI or MSISDN too long");
		return -EINVAL;
	}
	if (card_identity_check(&c->id, err, sizeof(err))) {
		many_bad(m, lineno, "%s", err);
		return -EINVAL;
	}
	if (!c->id.imsi[0]) {
		many_bad(m, lineno, "no IMSI");
		return -EINVAL;
	}
	if (field(m, f, COL_KVN)[0]) {
		if (strcmp(field(m, f, COL_KIC_ALGO), field(m, f, COL_KID_ALGO))) {
			many_bad(m, lineno, "kic_algo and kid_algo differ: a key set of the card has one algorithm");
			return -EINVAL;
		}
		snprintf(c->key, sizeof(c->key), "ota-key %.3s %.8s %.64s %.64s\n", field(m, f, COL_KVN),
			 field(m, f, COL_KIC_ALGO), field(m, f, COL_KIC), field(m, f, COL_KID));
		rc = manifest_parse_ota_key(c->key, &k, err, sizeof(err));
		OPENSSL_cleanse(&k, sizeof(k));
		if (rc || strlen(field(m, f, COL_KVN)) > 3 || strlen(field(m, f, COL_KIC)) > 64 ||
		    strlen(field(m, f, COL_KID)) > 64) {
			why = strstr(err, ": "); /* "manifest line 1: " names a line the user never wrote */
			many_bad(m, lineno, "key set: %s", rc ? (why ? why + 2 : err) : "a field too long");
			OPENSSL_cleanse(c->key, sizeof(c->key));
			return -EINVAL;
		}
	}
	if (field(m, f, COL_PSK)[0]) {
		struct manifest pm;
		const char *hexpsk = field(m, f, COL_PSK);

		snprintf(c->psk, sizeof(c->psk), "scp81-psk 64 1 %.64s\n", hexpsk);
		rc = strlen(hexpsk) > 64 ? -EINVAL : manifest_parse_psk(c->psk, &pm, err, sizeof(err));
		OPENSSL_cleanse(&pm, sizeof(pm));
		if (rc) {
			many_bad(m, lineno, "psk: a PSK is 16 or 32 bytes of hex");
			OPENSSL_cleanse(c, sizeof(*c));
			return -EINVAL;
		}
	}
	if (!copy_arg(c->pin, sizeof(c->pin), field(m, f, COL_PIN)) ||
	    !copy_arg(c->puk, sizeof(c->puk), field(m, f, COL_PUK)) ||
	    (why = factory_check(c->pin[0] ? c->pin : NULL, c->puk[0] ? c->puk : NULL)) != NULL) {
		many_bad(m, lineno, "%s", strlen(c->pin) > 16 || strlen(c->puk) > 16 ? "a PIN or PUK too long" : why);
		OPENSSL_cleanse(c, sizeof(*c));
		return -EINVAL;
	}
	m->ncards++;
	return 0;
}

/* Sort key of many_dups(): which identity field, compared by value, then by line. */
static size_t dup_field;

static int dup_cmp(const void *a, const void *b)
{
	const struct many_card *x = *(struct many_card *const *)a, *y = *(struct many_card *const *)b;
	const char *fx = (const char *)&x->id + dup_field, *fy = (const char *)&y->id + dup_field;
	int c = strcmp(fx, fy);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Refuse an ICCID, IMSI or MSISDN that an earlier line has too. \returns 0; -EINVAL; -ENOMEM */
static int many_dups(struct many *m)
{
	static const struct {
		size_t off;
		const char *what;
	} fields[] = {
		{ offsetof(struct card_identity, iccid), "ICCID" },
		{ offsetof(struct card_identity, imsi), "IMSI" },
		{ offsetof(struct card_identity, msisdn), "MSISDN" },
	};
	struct many_card **v = malloc((m->ncards ? m->ncards : 1) * sizeof(*v));
	int rc = 0;

	if (!v)
		return -ENOMEM;
	for (unsigned k = 0; k < 3; k++) {
		for (size_t i = 0; i < m->ncards; i++)
			v[i] = &m->cards[i];
		dup_field = fields[k].off;
		qsort(v, m->ncards, sizeof(*v), dup_cmp);
		for (size_t i = 1; i < m->ncards; i++) {
			const char *value = (const char *)&v[i]->id + dup_field;
			size_t first = i;

			if (!value[0] || strcmp(value, (const char *)&v[i - 1]->id + dup_field))
				continue;
			while (first > 0 && !strcmp(value, (const char *)&v[first - 1]->id + dup_field))
				first--;
			many_bad(m, v[i]->line, "%s %s is on line %u already", fields[k].what, value, v[first]->line);
			rc = -EINVAL;
		}
	}
	free(v);
	return rc;
}

/* Read and check the whole file. \returns 0; -EINVAL (lines named); -errno */
static int many_read(struct many *m, FILE *in)
{
	size_t cap = 0;
	ssize_t len;
	char *line = NULL;
	unsigned lineno = 0;
	bool header = false;
	int rc = 0;

	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (lineno == 1 && !memcmp(line, "\xef\xbb\xbf", 3))
			memmove(line, line + 3, strlen(line + 3) + 1); /* a UTF-8 byte-order mark */
		if (!line[strspn(line, " \t")])
			continue;
		if (strchr(line, '"')) {
			many_bad(m, lineno, "a quote: create-many takes no quoted fields");
			rc = -EINVAL;
		} else if (!header) {
			rc = many_header(m, line);
			header = true;
			if (rc)
				break;
		} else {
			int r = many_line(m, line, lineno);

			if (r == -ENOMEM) {
				rc = r;
				break;
			}
			rc = rc ? rc : r;
		}
	}
	if (ferror(in) && !rc)
		rc = -EIO;
	if (line)
		OPENSSL_cleanse(line, cap);
	free(line);
	if (!rc && !m->ncards) {
		many_bad(m, lineno, "no cards in the file");
		rc = -EINVAL;
	}
	if (!rc || rc == -EINVAL) {
		int r = many_dups(m); /* also among the good lines of a file with bad ones */

		rc = rc ? rc : r;
	}
	return rc;
}

static unsigned digits_of(size_t n)
{
	unsigned d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* Remove the cards this run made in DIR/0 .. DIR/n-1 (the directories too when nothing else is in them). */
static void many_undo(const char *dir, unsigned width, size_t n)
{
	char path[4096];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%0*zu/%s", dir, (int)width, i, CARD_IMAGE_FILE);
		unlink(path);
		path[strlen(path) - strlen(CARD_IMAGE_FILE) - 1] = '\0';
		rmdir(path);
	}
}

static int cmd_create_many(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'r' },
		{ "manifest", required_argument, NULL, 'f' },
		{ "force", no_argument, NULL, 'F' },
		{ "transport-pin", required_argument, NULL, 'T' },
		{ "puk", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *from = NULL, *manifest_path = NULL, *pin = NULL, *puk = NULL, *why;
	struct many m = { 0 };
	char *manifest = NULL, err[256], path[4096];
	unsigned width, base_lines;
	bool force = false;
	size_t i = 0;
	FILE *in;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 'r':
			from = optarg;
			break;
		case 'f':
			manifest_path = optarg;
			break;
		case 'F':
			force = true;
			break;
		case 'T':
			pin = optarg;
			break;
		case 'U':
			puk = optarg;
			break;
		case 'h':
			fputs(usage_create_many, stdout);
			return EXIT_OK;
		default:
			fputs(usage_create_many, stderr);
			return EXIT_USAGE;
		}
	}
	factory_env(&pin, &puk);
	if ((why = factory_check(pin, puk)))
		return usage_error(usage_create_many, "%s", why);
	if (optind < argc)
		return usage_error(usage_create_many, "unexpected argument: %s", argv[optind]);
	if (!dir || !from)
		return usage_error(usage_create_many, "%s", !dir ? "--dir DIR is required" : "--from FILE is required");
	if (manifest_path) {
		manifest = read_file(manifest_path, MANIFEST_MAX_BYTES);
		if (!manifest) {
			fprintf(stderr, "simpki-card: cannot read manifest %s: %s\n", manifest_path, strerror(errno));
			return EXIT_FAILURE_GENERIC;
		}
	}
	in = strcmp(from, "-") ? fopen(from, "r") : stdin;
	if (!in) {
		fprintf(stderr, "simpki-card: cannot read %s: %s\n", from, strerror(errno));
		free_secret(manifest);
		return EXIT_FAILURE_GENERIC;
	}
	m.name = strcmp(from, "-") ? from : "standard input";
	rc = many_read(&m, in);
	if (in != stdin)
		fclose(in);
	if (rc) {
		if (m.errors > MANY_MAX_ERRORS)
			fprintf(stderr, "simpki-card: %s: %u more lines wrong\n", m.name, m.errors - MANY_MAX_ERRORS);
		if (rc == -EINVAL)
			fprintf(stderr, "simpki-card: no card made: %u error%s in %s\n", m.errors,
				m.errors == 1 ? "" : "s", m.name);
		else
			fprintf(stderr, "simpki-card: cannot read %s: %s\n", m.name, strerror(-rc));
		rc = rc == -EINVAL ? EXIT_BAD_LINES : EXIT_FAILURE_GENERIC;
		goto out;
	}
	width = digits_of(m.ncards - 1) < 3 ? 3 : digits_of(m.ncards - 1);
	/* every card's place first: nothing is made when one of them holds a card already */
	for (i = 0; i < m.ncards && !force; i++) {
		snprintf(path, sizeof(path), "%s/%0*zu/%s", dir, (int)width, i, CARD_IMAGE_FILE);
		if (access(path, F_OK) == 0) {
			path[strlen(path) - strlen(CARD_IMAGE_FILE) - 1] = '\0';
			rc = make_card_error(path, -EEXIST, "", ~0u);
			goto out;
		}
	}
	for (i = 0; i < m.ncards; i++) {
		struct many_card *c = &m.cards[i];
		char extra[sizeof(c->key) + sizeof(c->psk)], *text;

		snprintf(extra, sizeof(extra), "%s%s", c->key, c->psk);
		text = extra[0] ? manifest_join(manifest, extra, &base_lines) : NULL;
		OPENSSL_cleanse(extra, sizeof(extra));
		snprintf(path, sizeof(path), "%s/%0*zu", dir, (int)width, i);
		if ((c->key[0] || c->psk[0]) && !text)
			rc = -ENOMEM;
		else
			rc = make_card(path, text ? text : manifest, &c->id, c->pin[0] ? c->pin : pin,
				       c->pin[0] ? c->puk : puk, force, err, sizeof(err));
		free_secret(text);
		if (rc) {
			rc = make_card_error(path, rc, err, ~0u);
			many_undo(dir, width, i);
			fprintf(stderr,
				"simpki-card: no card made: the card of line %u of %s failed; the %zu made before it "
				"were removed\n",
				c->line, m.name, i);
			goto out;
		}
	}
	printf("created %zu cards in %s/%0*u .. %s/%0*zu\n", m.ncards, dir, (int)width, 0, dir, (int)width,
	       m.ncards - 1);
	rc = EXIT_OK;
out:
	if (m.cards)
		OPENSSL_cleanse(m.cards, m.cap * sizeof(*m.cards));
	free(m.cards);
	free_secret(manifest);
	return rc;
}

/* Parse and send one input line; print its output line. \returns 1 if it was not a hex APDU, 0, or -EIO */
static int apdu_line(struct card_os *os, char *line, size_t lineno, uint8_t *cmd, uint8_t *resp, char *hex)
{
	size_t rlen = 0;
	char *hash = strchr(line, '#');
	int n, rc;

	if (hash)
		*hash = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	n = hex_decode(line, cmd, APDU_MAX_ENCODED);
	if (n == -E2BIG) {
		printf("error: line %zu: longer than the longest APDU (%d bytes)\n", lineno, APDU_MAX_ENCODED);
		return 1;
	}
	if (n < 0) {
		printf("error: line %zu: not hex\n", lineno);
		return 1;
	}
	rc = card_os_transmit(os, cmd, (size_t)n, resp, CARD_RESP_MAX + 2, &rlen);
	if (rc)
		return rc;
	hex_encode(resp, rlen - 2, hex, 2 * CARD_RESP_MAX + 1);
	printf("%s%s%02X%02X\n", hex, rlen > 2 ? " " : "", resp[rlen - 2], resp[rlen - 1]);
	return 0;
}

static bool blank(const char *s)
{
	s += strspn(s, " \t\r\n");
	return !*s || *s == '#';
}

/* --real-timing, --baud and --protocol, shared by apdu and serve. */
struct timing_opts {
	bool real;
	enum card_protocol proto;
	unsigned baud;
};

#define TIMING_OPTIONS                                                                       \
	{ "real-timing", no_argument, NULL, 't' }, { "baud", required_argument, NULL, 'b' }, \
	{                                                                                    \
		"protocol", required_argument, NULL, 'P'                                     \
	}

/* \returns 0, or the usage error's exit code */
static int timing_opt(int opt, const char *arg, struct timing_opts *t, const char *usage)
{
	char *end;
	unsigned long v;

	if (opt == 't') {
		t->real = true;
	} else if (opt == 'b') {
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || arg[0] == '-' || v < 1200 || v > 1000000)
			return usage_error(usage, "--baud wants 1200..1000000 bit/s, not %s", arg);
		t->baud = (unsigned)v;
	} else if (!strcasecmp(arg, "T=0") || !strcasecmp(arg, "t0")) {
		t->proto = CARD_PROTO_T0;
	} else if (!strcasecmp(arg, "T=1") || !strcasecmp(arg, "t1")) {
		t->proto = CARD_PROTO_T1;
	} else {
		return usage_error(usage, "--protocol wants T=0 or T=1, not %s", arg);
	}
	return 0;
}

static void timing_apply(struct card_os *os, const struct timing_opts *t)
{
	card_os_set_timing(os, t->real ? CARD_TIMING_REAL : CARD_TIMING_FAST);
	card_os_set_transport(os, t->proto, t->baud); /* both checked by timing_opt() */
}

static int cmd_apdu(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		TIMING_OPTIONS,
		{ "power-loss-at", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static uint8_t cmd[APDU_MAX_ENCODED], resp[CARD_RESP_MAX + 2];
	static char hex[2 * CARD_RESP_MAX + 1];
	const char *dir = NULL, *input;
	struct timing_opts timing = { .proto = CARD_PROTO_T1, .baud = CARD_BAUD_DEFAULT };
	unsigned long long cut = 0;
	struct card_os *os;
	uint8_t atr[33];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	char *line = NULL;
	FILE *in;
	int opt, rc = 0, bad = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			dir = optarg;
			break;
		case 't':
		case 'b':
		case 'P':
			if ((rc = timing_opt(opt, optarg, &timing, usage_apdu)))
				return rc;
			break;
		case 'p': {
			char *end;

			errno = 0;
			cut = strtoull(optarg, &end, 10);
			if (errno || *end || !cut || optarg[0] == '-')
				return usage_error(usage_apdu, "--power-loss-at needs a write number from 1: %s",
						   optarg);
			break;
		}
		case 'h':
			fputs(usage_apdu, stdout);
			return EXIT_OK;
		default:
			fputs(usage_apdu, stderr);
			return EXIT_USAGE;
		}
	}
	if (!dir)
		return usage_error(usage_apdu, "%s", "--state DIR is required");
	if (optind + 1 != argc)
		return usage_error(usage_apdu, "%s", "give one input FILE, or - for standard input");
	input = argv[optind];
	in = strcmp(input, "-") ? fopen(input, "r") : stdin;
	if (!in) {
		fprintf(stderr, "simpki-card: cannot read %s: %s\n", input, strerror(errno));
		return EXIT_FAILURE_GENERIC;
	}
	rc = card_os_open_dir(dir, &os);
	if (rc) {
		if (in != stdin)
			fclose(in);
		return open_error(dir, rc);
	}
	timing_apply(os, &timing);
	card_os_power_on(os, atr, sizeof(atr));
	if (cut)
		nvm_store_arm_fault(card_os_store(os), cut, NVM_TEAR_HALF);
	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		if ((size_t)len > MAX_LINE) {
			printf("error: line %zu: too long\n", lineno);
			bad = 1;
			continue;
		}
		if (blank(line))
			continue;
		rc = apdu_line(os, line, lineno, cmd, resp, hex);
		if (rc < 0)
			break;
		bad |= rc;
		rc = 0;
	}
	fflush(stdout);
	free(line);
	if (in != stdin)
		fclose(in);
	card_os_power_off(os);
	card_os_close(os);
	if (rc == -EIO && cut) {
		fprintf(stderr, "simpki-card: power lost at NVM write %llu (line %zu got no answer)\n", cut, lineno);
		return EXIT_FAILURE_GENERIC;
	}
	if (rc) {
		fprintf(stderr, "simpki-card: the card stopped answering: %s\n", strerror(-rc));
		return EXIT_FAILURE_GENERIC;
	}
	return bad ? EXIT_BAD_LINES : EXIT_OK;
}

/* The SPI1-coded minimum security level in words. */
static void msl_text(uint8_t msl, char *out, size_t max)
{
	static const char *const integrity[] = { "no checksum", "RC", "CC", "DS" };
	static const char *const counter[] = { "", ", counter", ", counter higher", ", counter +1" };

	snprintf(out, max, "%02X (%s%s%s)", msl, integrity[msl & 3], (msl & 4) ? ", ciphered" : "",
		 counter[(msl >> 3) & 3]);
}

/* TARs and key sets; never a key. */
static void print_ota(const struct card_os *os)
{
	struct card_ota_tar_info tars[MANIFEST_MAX_RFM + 2 * MANIFEST_MAX_APPLETS + 1];
	struct card_ota_key_info keys[MANIFEST_MAX_OTA_KEYS];
	struct card_scp81_key_info psks[MANIFEST_MAX_PSK];
	unsigned nt = card_os_ota_tars(os, tars, MANIFEST_MAX_RFM + 2 * MANIFEST_MAX_APPLETS + 1);
	unsigned nk = card_os_ota_keys(os, keys, MANIFEST_MAX_OTA_KEYS);
	unsigned np = card_os_scp81_keys(os, psks, MANIFEST_MAX_PSK);
	char tar[7], msl[64];

	for (unsigned i = 0; i < nt; i++) {
		hex_encode(tars[i].tar, 3, tar, sizeof(tar));
		msl_text(tars[i].msl, msl, sizeof(msl));
		printf("OTA TAR %s: %s, %s, minimum security level %s\n", tar, tars[i].what,
		       !strncmp(tars[i].what, "toolkit", 7) ? "SMS-PP download events" :
		       !strcmp(tars[i].what, "admin")	    ? "SCP81 push" :
		       tars[i].expanded			    ? "expanded scripts" :
							      "compact scripts",
		       msl);
	}
	for (unsigned i = 0; i < nk; i++) {
		const char *alg = keys[i].alg == MANIFEST_OTA_AES ? "AES" : "3DES";

		printf("OTA key set %u: %s, KIc %u bytes, KID %u bytes, counter %llu\n", keys[i].kvn, alg,
		       keys[i].kic_len, keys[i].kid_len, (unsigned long long)keys[i].counter);
	}
	if (!nk)
		printf("OTA key sets: none (the card takes no secured packets that need keys)\n");
	for (unsigned i = 0; i < np; i++)
		printf("SCP81 PSK key: KVN %u (0x%02X), KID %u, %u bytes\n", psks[i].kvn, psks[i].kvn, psks[i].kid,
		       psks[i].len);
}

static int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct card_applet_info apps[MANIFEST_MAX_APPLETS];
	struct card_identity id;
	const char *dir = NULL;
	char hex[2 * 33 + 1], text[8192];
	uint8_t atr[33];
	uint32_t size, used, largest;
	struct card_os *os;
	unsigned n;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			dir = optarg;
			break;
		case 'h':
			fputs(usage_info, stdout);
			return EXIT_OK;
		default:
			fputs(usage_info, stderr);
			return EXIT_USAGE;
		}
	}
	rc = open_state(dir, argc, argv, usage_info, &os);
	if (rc)
		return rc;
	card_os_identity(os, &id);
	rc = card_os_atr(os, atr, sizeof(atr));
	hex_encode(atr, rc > 0 ? (size_t)rc : 0, hex, sizeof(hex));
	card_os_nvm_stats(os, &size, &used, &largest);
	printf("ICCID: %s\nIMSI: %s\nMSISDN: %s\nATR: %s\n", id.iccid, id.imsi[0] ? id.imsi : "-",
	       id.msisdn[0] ? id.msisdn : "-", hex);
	printf("NVM: %u bytes, %u in use, largest free block %u\n", size, used, largest);
	printf("key generations: %u\n", card_os_key_generations(os));
	n = card_os_applets(os, apps, MANIFEST_MAX_APPLETS);
	for (unsigned i = 0; i < n; i++) {
		char aid[33], tar[7] = "-";

		hex_encode(apps[i].m.aid, apps[i].m.aid_len, aid, sizeof(aid));
		if (apps[i].m.has_tar)
			hex_encode(apps[i].m.tar, 3, tar, sizeof(tar));
		printf("applet %s: AID %s, TAR %s, RAM budget %u bytes, NVM %u of %u bytes used\n", apps[i].m.name, aid,
		       tar, apps[i].m.ram, apps[i].nvm_used, apps[i].m.nvm);
		if (card_os_describe(os, i, text, sizeof(text)) > 0) {
			for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
				printf("  %s\n", l);
		}
	}
	print_ota(os);
	card_os_close(os);
	return EXIT_OK;
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* HOST:PORT (the host may be a name or an address; [v6]:port too). */
static bool parse_host_port(const char *arg, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon = strrchr(arg, ':');
	size_t n;
	char *end;
	unsigned long p;

	if (!colon || colon == arg)
		return false;
	n = (size_t)(colon - arg);
	if (arg[0] == '[' && colon[-1] == ']') {
		arg++;
		n -= 2;
	}
	if (n >= hostlen)
		return false;
	memcpy(host, arg, n);
	host[n] = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || !colon[1] || p == 0 || p > 65535)
		return false;
	*port = (uint16_t)p;
	return true;
}

static int cmd_ota_key(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct manifest_ota_key k;
	const char *dir = NULL;
	char line[200] = "", err[256] = "";
	struct card_os *os;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			dir = optarg;
			break;
		case 'h':
			fputs(usage_ota_key, stdout);
			return EXIT_OK;
		default:
			fputs(usage_ota_key, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || !ota_key_line(argv[optind], line, sizeof(line)))
		return usage_error(usage_ota_key, "%s", "give one KVN:ALGO:KIC:KID");
	rc = manifest_parse_ota_key(line, &k, err, sizeof(err));
	OPENSSL_cleanse(line, sizeof(line));
	if (rc) {
		/* "manifest line 1: " names a line the user never wrote */
		const char *why = strstr(err, ": ");

		return usage_error(usage_ota_key, "%s", why ? why + 2 : err);
	}
	rc = open_state(dir, 0, NULL, usage_ota_key, &os);
	if (!rc) {
		rc = card_os_ota_key_set(os, &k);
		if (rc == -ENOSPC)
			fprintf(stderr, "simpki-card: the card has 4 OTA key sets already and none of version %u\n",
				k.kvn);
		else if (rc)
			fprintf(stderr, "simpki-card: cannot write the key set: %s\n", strerror(-rc));
		else
			printf("OTA key set %u: %s, KIc %u bytes, KID %u bytes\n", k.kvn,
			       k.alg == MANIFEST_OTA_AES ? "AES" : "3DES", k.kic_len, k.kid_len);
		card_os_close(os);
		rc = rc ? EXIT_FAILURE_GENERIC : EXIT_OK;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

static int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "vpcd", required_argument, NULL, 'v' },
		TIMING_OPTIONS,
		{ "verbose", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vpcd_serve_opts o = { .port = VPCD_DEFAULT_PORT, .stop = &stop_requested, .log = stderr };
	struct sigaction sa = { .sa_handler = on_stop_signal };
	char host[256] = VPCD_DEFAULT_HOST;
	const char *dir = NULL;
	struct timing_opts timing = { .proto = CARD_PROTO_T1, .baud = CARD_BAUD_DEFAULT };
	struct card_os *os;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			dir = optarg;
			break;
		case 'v':
			if (!parse_host_port(optarg, host, sizeof(host), &o.port))
				return usage_error(usage_serve, "--vpcd wants HOST:PORT, not %s", optarg);
			break;
		case 't':
		case 'b':
		case 'P':
			if ((rc = timing_opt(opt, optarg, &timing, usage_serve)))
				return rc;
			break;
		case 'V':
			o.verbose = 1;
			break;
		case 'h':
			fputs(usage_serve, stdout);
			return EXIT_OK;
		default:
			fputs(usage_serve, stderr);
			return EXIT_USAGE;
		}
	}
	rc = open_state(dir, argc, argv, usage_serve, &os);
	if (rc)
		return rc;
	timing_apply(os, &timing);
	o.host = host;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: a blocked call returns and the loop sees the flag */
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = vpcd_serve(os, &o);
	card_os_close(os);
	if (rc) {
		fprintf(stderr, "simpki-card serve: the card failed: %s\n", strerror(-rc));
		return EXIT_FAILURE_GENERIC;
	}
	fprintf(stderr, "simpki-card serve: stopped; the card in %s is saved\n", dir);
	return EXIT_OK;
}

int card_cli_main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "create"))
		return cmd_create(argc - 1, argv + 1);
	if (!strcmp(cmd, "create-many"))
		return cmd_create_many(argc - 1, argv + 1);
	if (!strcmp(cmd, "apdu"))
		return cmd_apdu(argc - 1, argv + 1);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc - 1, argv + 1);
	if (!strcmp(cmd, "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (!strcmp(cmd, "ota-key"))
		return cmd_ota_key(argc - 1, argv + 1);
	return usage_error(usage_main, "unknown command: %s", cmd);
}
