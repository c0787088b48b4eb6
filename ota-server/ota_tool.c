/* simpki-ota: secured packets (TS 102 225 / TS 31.115) by hand, for operators and tests. `encode` builds the SMS
 * user data (or SMS-DELIVER TPDUs) of a command packet carrying a remote APDU script; `decode` reads command
 * packets (UDH IE 70) and PoRs (IE 71), one SMS or the parts of a concatenated one, as text or one JSON object.
 * Keys come from the command line and never reach the output.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <simpki/apdu.h>
#include <simpki/hex.h>
#include <simpki/ota.h>
#include <simpki/ota_sms.h>
#include <simpki/rapdu.h>
#include <simpki/sms.h>
#include <simpki/tlv.h>

#include "ota_tool.h"

enum {
	EXIT_OK = 0,
	EXIT_NOT_VERIFIED = 1,
	EXIT_USAGE = 2,
	EXIT_BAD_INPUT = 3,
};

#define MAX_APDUS RAPDU_MAX_COMMANDS
#define MAX_PARTS 32

static const char usage_main[] =
	"Usage: simpki-ota COMMAND [OPTIONS]\n"
	"\n"
	"Secured packets for SIM cards over SMS (ETSI TS 102 225, 3GPP TS 31.115, remote APDUs of TS 102 226).\n"
	"\n"
	"Commands:\n"
	"  encode   build the SMS user data (or SMS-DELIVER TPDUs) of a command packet\n"
	"  decode   read a command packet or a proof of receipt (PoR), and check its checksum\n"
	"\n"
	"Run 'simpki-ota COMMAND --help' for a command's options.\n"
	"\n"
	"Exit codes: 0 done (decode: the checksum holds), 1 decode: decoded, but the checksum was missing or wrong,\n"
	"2 usage error, 3 the input is not a packet (or not one these keys and SPI can read).\n";

static const char usage_encode[] =
	"Usage: simpki-ota encode --spi HEX --kic HEX --kid HEX --kic-key HEX --kid-key HEX --tar HEX --cntr N\n"
	"                         --apdu HEX [--apdu HEX ...] [--expanded] [--tpdu [--oa NUMBER] [--scts HEX]]\n"
	"                         [--ref N] [--cc-len 4|8]\n"
	"\n"
	"Print the SMS user data of a command packet in hex, UDH 027000 included: one line, or one line per SMS when\n"
	"the packet needs several (concatenated, TS 31.115 layout: 00 03 ref n i first, 70 00 in part 1 only).\n"
	"\n"
	"  --spi HEX        the two SPI bytes, e.g. 1639 (CC, ciphered, counter higher; PoR CC, ciphered, SMS-SUBMIT)\n"
	"  --kic HEX        KIc byte: key version << 4 | algorithm (1 DES, 5 3DES 2 keys, 9 3DES 3 keys, 2 AES)\n"
	"  --kid HEX        KID byte, the same coding (for RC: 5 = CRC32)\n"
	"  --kic-key HEX    the ciphering key (8, 16, 24 or 32 bytes)\n"
	"  --kid-key HEX    the checksum key\n"
	"  --tar HEX        the 3-byte TAR, e.g. B00010 (RFM) or 504B49 (the simpki PKI applet)\n"
	"  --cntr N         the counter, 0 .. 1099511627775\n"
	"  --apdu HEX       a command of the script, in order. Compact format (default): as a T=0 command,\n"
	"                   CLA INS P1 P2 P3 [data]. --expanded: as an ISO 7816-4 APDU with Lc and Le\n"
	"  --expanded       put the commands in an expanded script (AA { 22 C-APDU ... }); applet TARs take these\n"
	"  --tpdu           print SMS-DELIVER TPDUs instead (PID 7F, DCS F6)\n"
	"  --oa NUMBER      their originating address: +DIGITS international, DIGITS unknown type (default +12345)\n"
	"  --scts HEX       their service centre time stamp, 7 bytes (default all zero)\n"
	"  --ref N          the concatenation reference, 0..255 (default 0)\n"
	"  --cc-len 4|8     AES-CMAC checksum length (default 8)\n"
	"  -h, --help       this text\n";

static const char usage_decode[] =
	"Usage: simpki-ota decode [--json] [--spi HEX --kic HEX --kid HEX] --kic-key HEX --kid-key HEX [--tpdu]\n"
	"                         [--cc-len 4|8] HEX [HEX ...]\n"
	"\n"
	"Decode SMS user data (UDH first) of a command packet (IE 70) or a PoR (IE 71). Several arguments are the\n"
	"parts of one concatenated SMS, in any order. A PoR is secured as its command asked: give that command's\n"
	"SPI, KIc and KID. A command's script is split into APDUs: expanded when it starts with AA or AE, else\n"
	"compact, where READ BINARY, READ RECORD, GET RESPONSE, STATUS, FETCH, GET DATA and GET CHALLENGE carry Le\n"
	"and every other command data.\n"
	"\n"
	"  --json           one JSON object: kind (\"command\" or \"response\"), spi, kic, kid, tar (hex), cntr,\n"
	"                   pcntr, cc_ok; for commands apdus (list of hex), for responses status and response\n"
	"                   { commands, last_sw, last_data } (null when there is no script response)\n"
	"  --spi, --kic, --kid   the command's, for a PoR\n"
	"  --kic-key HEX, --kid-key HEX   the key set (give both; a key not needed may be any hex)\n"
	"  --tpdu           the arguments are SMS TPDUs (SMS-DELIVER or SMS-SUBMIT), or proactive SEND SHORT MESSAGE\n"
	"                   commands as FETCH returns them (D0 ...), not user data\n"
	"  --cc-len 4|8     AES-CMAC checksum length (default 8)\n"
	"  -h, --help       this text\n";

__attribute__((format(printf, 2, 3))) static int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("simpki-ota: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n%s", usage);
	return EXIT_USAGE;
}

/* Hex of an exact length (or a range) into \a out. \returns the length; -1 */
static int hex_arg(const char *s, uint8_t *out, size_t min, size_t max)
{
	int n = hex_decode(s, out, max);

	return n >= 0 && (size_t)n >= min ? n : -1;
}

static void print_hex(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
}

/* Key options shared by both commands. */
struct keyopts {
	struct ota_keys keys;
	bool have_kic_key, have_kid_key;
};

static int key_opt(int opt, const char *arg, struct keyopts *k, const char *usage)
{
	int n;

	switch (opt) {
	case 'K':
		n = hex_arg(arg, k->keys.kic, 8, OTA_MAX_KEY);
		if (n < 0)
			return usage_error(usage, "%s", "--kic-key wants 8 to 32 bytes of hex");
		k->keys.kic_len = (uint8_t)n;
		k->have_kic_key = true;
		return 0;
	case 'D':
		n = hex_arg(arg, k->keys.kid, 8, OTA_MAX_KEY);
		if (n < 0)
			return usage_error(usage, "%s", "--kid-key wants 8 to 32 bytes of hex");
		k->keys.kid_len = (uint8_t)n;
		k->have_kid_key = true;
		return 0;
	case 'L':
		if (strcmp(arg, "4") && strcmp(arg, "8"))
			return usage_error(usage, "%s", "--cc-len is 4 or 8");
		k->keys.cc_len = (uint8_t)atoi(arg);
		return 0;
	}
	return -1;
}

/* The run's key set, for packets with these KIc and KID octets: only the keys the packet (or the PoR) uses, the
 * KIc when \a ciphered, the KID with a \a cc, so that one it does not use may be any hex. \returns 0; as
 * ota_keyset_new() */
static int run_keyset(const struct keyopts *k, uint8_t kic, uint8_t kid, bool ciphered, bool cc, struct ota_keyset **ks)
{
	struct ota_keys keys = k->keys;
	int rc;

	if (!ciphered)
		keys.kic_len = 0;
	if (!cc)
		keys.kid_len = 0;
	rc = ota_keyset_new(kic, kid, &keys, ks);
	OPENSSL_cleanse(&keys, sizeof(keys));
	return rc;
}

/* ---- encode ---------------------------------------------------------------------------------------------------- */

struct encode_opts {
	uint8_t spi[2], kic, kid, tar[3];
	bool have_spi, have_kic, have_kid, have_tar, have_cntr, expanded, tpdu;
	uint64_t cntr;
	const char *apdus[MAX_APDUS];
	unsigned napdus;
	const char *oa;
	uint8_t scts[7];
	unsigned ref;
};

/* The script of the --apdu arguments. \returns its length; -1 after printing why */
static int build_script(const struct encode_opts *o, uint8_t *out, size_t max)
{
	static uint8_t raw[MAX_APDUS][APDU_MAX_ENCODED > 4096 ? 4096 : APDU_MAX_ENCODED];
	struct apdu_cmd cmds[MAX_APDUS];
	size_t pos = 0;
	int n;

	for (unsigned i = 0; i < o->napdus; i++) {
		n = hex_decode(o->apdus[i], raw[i], sizeof(raw[i]));
		if (n < 4) {
			fprintf(stderr, "simpki-ota: --apdu %u is not a command in hex\n", i + 1);
			return -1;
		}
		if (o->expanded) {
			if (apdu_parse(raw[i], (size_t)n, &cmds[i])) {
				fprintf(stderr, "simpki-ota: --apdu %u is not an ISO 7816-4 APDU (Lc or Le wrong)\n",
					i + 1);
				return -1;
			}
			continue;
		}
		if (n < 5 || (n > 5 && (size_t)raw[i][4] != (size_t)n - 5)) {
			fprintf(stderr,
				"simpki-ota: --apdu %u: a compact command is CLA INS P1 P2 P3 [P3 data bytes]\n",
				i + 1);
			return -1;
		}
		if (pos + (size_t)n > max) {
			fprintf(stderr, "simpki-ota: the script is longer than a packet can carry\n");
			return -1;
		}
		memcpy(out + pos, raw[i], (size_t)n);
		pos += (size_t)n;
	}
	if (o->expanded) {
		n = rapdu_expanded_encode(cmds, o->napdus, out, max);
		if (n < 0) {
			fprintf(stderr, "simpki-ota: the script is longer than a packet can carry\n");
			return -1;
		}
		return n;
	}
	return (int)pos;
}

static void print_sms(const struct encode_opts *o, const uint8_t *ud, size_t len)
{
	/* TP-MMS clear (first octet 40), as osmo-msc delivers OTA SMS and pySim encodes them */
	struct sms_tpdu t = { .udhi = true,
			      .more_messages = true,
			      .pid = SMS_PID_SIM_DATA_DOWNLOAD,
			      .dcs = SMS_DCS_8BIT_CLASS2,
			      .ud = ud,
			      .udl = len };
	uint8_t tpdu[SMS_MAX_TPDU];
	int n;

	if (!o->tpdu) {
		print_hex(ud, len);
		putchar('\n');
		return;
	}
	snprintf(t.addr.digits, sizeof(t.addr.digits), "%s", o->oa[0] == '+' ? o->oa + 1 : o->oa);
	t.addr.ton_npi = o->oa[0] == '+' ? 0x91 : 0x81;
	memcpy(t.scts, o->scts, sizeof(t.scts));
	n = sms_tpdu_encode(&t, tpdu, sizeof(tpdu));
	if (n > 0)
		print_hex(tpdu, (size_t)n);
	putchar('\n');
}

static int do_encode(const struct encode_opts *o, const struct keyopts *k)
{
	static uint8_t script[OTA_MAX_PACKET], pkt[OTA_MAX_PACKET];
	static struct ota_sms_part parts[255];
	struct ota_command cmd = { .kic = o->kic, .kid = o->kid, .cntr = o->cntr };
	struct ota_keyset *ks = NULL;
	int slen, len, nparts;

	slen = build_script(o, script, sizeof(script) - 64);
	if (slen < 0)
		return EXIT_USAGE;
	ota_spi_decode(o->spi, &cmd.spi);
	memcpy(cmd.tar, o->tar, 3);
	cmd.data = script;
	cmd.data_len = (size_t)slen;
	len = run_keyset(k, cmd.kic, cmd.kid, cmd.spi.ciphered, cmd.spi.integrity == OTA_CC, &ks);
	if (!len)
		len = ota_command_encode(&cmd, ks, pkt, sizeof(pkt));
	ota_keyset_free(ks);
	if (len == -ENOMEM) {
		fprintf(stderr, "simpki-ota: out of memory\n");
		return EXIT_USAGE;
	}
	if (len == -ENOTSUP) {
		fprintf(stderr, "simpki-ota: digital signatures and CRC16 are not supported\n");
		return EXIT_USAGE;
	}
	if (len < 0) {
		fprintf(stderr, "simpki-ota: %s\n",
			len == -E2BIG ?
				"the packet is too long" :
				"the SPI, KIc, KID and key lengths do not fit together (e.g. 3DES with two keys "
				"wants 16-byte keys)");
		return EXIT_USAGE;
	}
	nparts = ota_sms_split(pkt, (size_t)len, 0x70, (uint8_t)o->ref, parts, 255);
	if (nparts < 0) {
		fprintf(stderr, "simpki-ota: the packet needs more than 255 SMS\n");
		return EXIT_USAGE;
	}
	for (int i = 0; i < nparts; i++)
		print_sms(o, parts[i].ud, parts[i].len);
	return EXIT_OK;
}

static int cmd_encode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "spi", required_argument, NULL, 's' },     { "kic", required_argument, NULL, 'c' },
		{ "kid", required_argument, NULL, 'd' },     { "kic-key", required_argument, NULL, 'K' },
		{ "kid-key", required_argument, NULL, 'D' }, { "tar", required_argument, NULL, 't' },
		{ "cntr", required_argument, NULL, 'n' },    { "apdu", required_argument, NULL, 'a' },
		{ "expanded", no_argument, NULL, 'e' },	     { "tpdu", no_argument, NULL, 'p' },
		{ "oa", required_argument, NULL, 'o' },	     { "ref", required_argument, NULL, 'r' },
		{ "cc-len", required_argument, NULL, 'L' },  { "scts", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },	     { NULL, 0, NULL, 0 },
	};
	struct encode_opts o = { .oa = "+12345" };
	struct keyopts k = { 0 };
	char *end;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (hex_arg(optarg, o.spi, 2, 2) < 0)
				return usage_error(usage_encode, "%s", "--spi wants 2 bytes of hex");
			o.have_spi = true;
			break;
		case 'c':
		case 'd':
			if (hex_arg(optarg, opt == 'c' ? &o.kic : &o.kid, 1, 1) < 0)
				return usage_error(usage_encode, "--%s wants 1 byte of hex",
						   opt == 'c' ? "kic" : "kid");
			*(opt == 'c' ? &o.have_kic : &o.have_kid) = true;
			break;
		case 't':
			if (hex_arg(optarg, o.tar, 3, 3) < 0)
				return usage_error(usage_encode, "%s", "--tar wants 3 bytes of hex");
			o.have_tar = true;
			break;
		case 'n':
			errno = 0;
			o.cntr = strtoull(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9' || o.cntr > 0xffffffffffULL)
				return usage_error(usage_encode, "%s", "--cntr wants a number 0..1099511627775");
			o.have_cntr = true;
			break;
		case 'a':
			if (o.napdus == MAX_APDUS)
				return usage_error(usage_encode, "at most %d --apdu", MAX_APDUS);
			o.apdus[o.napdus++] = optarg;
			break;
		case 'e':
			o.expanded = true;
			break;
		case 'p':
			o.tpdu = true;
			break;
		case 'o': {
			const char *digits = optarg[0] == '+' ? optarg + 1 : optarg;

			if (!digits[0] || strlen(digits) > SMS_ADDR_MAX ||
			    strspn(digits, "0123456789") != strlen(digits))
				return usage_error(usage_encode, "%s",
						   "--oa wants 1 to 20 digits, + first if international");
			o.oa = optarg;
			break;
		}
		case 'T':
			if (hex_arg(optarg, o.scts, 7, 7) < 0)
				return usage_error(usage_encode, "%s", "--scts wants 7 bytes of hex");
			break;
		case 'r':
			errno = 0;
			o.ref = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || !optarg[0] || o.ref > 255)
				return usage_error(usage_encode, "%s", "--ref wants a number 0..255");
			break;
		case 'h':
			fputs(usage_encode, stdout);
			return EXIT_OK;
		default:
			rc = key_opt(opt, optarg, &k, usage_encode);
			if (rc < 0) {
				fputs(usage_encode, stderr);
				return EXIT_USAGE;
			}
			if (rc)
				return rc;
		}
	}
	if (optind < argc)
		return usage_error(usage_encode, "unexpected argument: %s", argv[optind]);
	if (!o.have_spi || !o.have_kic || !o.have_kid || !k.have_kic_key || !k.have_kid_key || !o.have_tar ||
	    !o.have_cntr)
		return usage_error(usage_encode, "%s",
				   "--spi, --kic, --kid, --kic-key, --kid-key, --tar and --cntr are "
				   "required");
	rc = do_encode(&o, &k);
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

/* ---- decode ---------------------------------------------------------------------------------------------------- */

/* The case of a compact C-TPDU as the decoder guesses it: the commands that carry Le. */
static int guess_case(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2)
{
	(void)cla, (void)p1, (void)p2;
	switch (ins) {
	case 0xb0: /* READ BINARY */
	case 0xb2: /* READ RECORD */
	case 0xc0: /* GET RESPONSE */
	case 0xca: /* GET DATA */
	case 0xf2: /* STATUS */
	case 0x12: /* FETCH */
	case 0x84: /* GET CHALLENGE */
		return 2;
	}
	return 3;
}

struct decoded {
	bool command;
	uint8_t spi[2], kic, kid, tar[3];
	uint64_t cntr;
	uint8_t pcntr;
	bool cc_ok;
	/* command */
	const uint8_t *script;
	size_t script_len;
	/* response */
	uint8_t status;
	const uint8_t *data;
	size_t data_len;
};

/* The TPDU inside a proactive command D0 { 81 details, 82 identities, [05 alpha, 06 address,] 8B TPDU }. */
static int proactive_tpdu(const uint8_t *b, size_t len, const uint8_t **tpdu, size_t *tpdu_len)
{
	struct tlv outer, t;
	const uint8_t *p;
	size_t left;

	if (ber_tlv_parse(b, len, &outer) || outer.tag != 0xd0 || outer.total != len)
		return -EBADMSG;
	for (p = outer.value, left = outer.len; left; p += t.total, left -= t.total) {
		if (ber_tlv_parse(p, left, &t))
			return -EBADMSG;
		if ((t.tag & 0x7f) == 0x0b) {
			*tpdu = t.value;
			*tpdu_len = t.len;
			return 0;
		}
	}
	return -EBADMSG;
}

/* The user data of the SMS, or of the concatenated parts joined (ota_sms_join()). */
static int gather(char **args, int n, bool tpdu, uint8_t *ud, size_t *ud_len)
{
	static uint8_t raw[MAX_PARTS][256]; /* a TPDU, or a proactive command holding one */
	const uint8_t *pud[MAX_PARTS] = { 0 };
	size_t plen[MAX_PARTS] = { 0 };

	if (n > MAX_PARTS)
		return -E2BIG;
	for (int i = 0; i < n; i++) {
		int len = hex_decode(args[i], raw[i], sizeof(raw[i]));

		if (len < 0)
			return -EINVAL;
		pud[i] = raw[i];
		plen[i] = (size_t)len;
		if (tpdu) {
			struct sms_tpdu t;
			const uint8_t *tp = raw[i];
			size_t tl = (size_t)len;

			/* a proactive SEND SHORT MESSAGE as FETCH returns it: D0 { ..., 8B TPDU } */
			if (len && raw[i][0] == 0xd0 && proactive_tpdu(raw[i], (size_t)len, &tp, &tl))
				return -EBADMSG;
			if (sms_tpdu_decode(tp, tl, &t) || !t.udhi)
				return -EBADMSG;
			pud[i] = t.ud;
			plen[i] = t.udl;
		}
	}
	return ota_sms_join(pud, plen, (size_t)n, ud, OTA_MAX_PACKET + 3, ud_len);
}

static void print_apdus_json(const uint8_t *script, size_t len)
{
	struct apdu_cmd cmds[MAX_APDUS];
	struct apdu_cmd c;
	size_t n, pos = 0;
	bool first = true;
	uint8_t buf[APDU_MAX_ENCODED > 4096 ? 4096 : APDU_MAX_ENCODED];
	int r;

	putchar('[');
	if (rapdu_is_expanded(script, len)) {
		if (!rapdu_expanded_parse(script, len, cmds, MAX_APDUS, &n)) {
			for (size_t i = 0; i < n; i++) {
				int k = apdu_encode(&cmds[i], buf, sizeof(buf));

				printf("%s\"", i ? ", " : "");
				if (k > 0)
					print_hex(buf, (size_t)k);
				putchar('"');
			}
		}
	} else {
		while ((r = rapdu_compact_next(script, len, &pos, guess_case, &c)) == 1) {
			size_t start = pos - (c.kase == APDU_CASE_2 ? 5 : 5 + c.lc);

			printf("%s\"", first ? "" : ", ");
			print_hex(script + start, pos - start);
			putchar('"');
			first = false;
		}
		if (r < 0 && pos < len) {
			printf("%s\"", first ? "" : ", ");
			print_hex(script + pos, len - pos); /* the rest, which does not delimit */
			putchar('"');
		}
	}
	putchar(']');
}

static void print_json(const struct decoded *d)
{
	struct rapdu_summary s;

	printf("{\"kind\": \"%s\", \"spi\": \"%02x%02x\", \"kic\": \"%02x\", \"kid\": \"%02x\", \"tar\": "
	       "\"%02x%02x%02x\", "
	       "\"cntr\": %" PRIu64 ", \"pcntr\": %u, \"cc_ok\": %s",
	       d->command ? "command" : "response", d->spi[0], d->spi[1], d->kic, d->kid, d->tar[0], d->tar[1],
	       d->tar[2], d->cntr, d->pcntr, d->cc_ok ? "true" : "false");
	if (d->command) {
		printf(", \"apdus\": ");
		print_apdus_json(d->script, d->script_len);
	} else {
		printf(", \"status\": %u, \"response\": ", d->status);
		if (d->data_len && !rapdu_response_decode(d->data, d->data_len, &s)) {
			printf("{\"commands\": %u, \"last_sw\": \"%04x\", \"last_data\": \"", s.commands, s.last_sw);
			print_hex(s.last_data, s.last_len);
			printf("\"}");
		} else {
			printf("null");
		}
	}
	printf("}\n");
}

static void print_text(const struct decoded *d)
{
	struct rapdu_summary s;

	printf("%s\nSPI: %02X%02X\nKIc: %02X\nKID: %02X\nTAR: %02X%02X%02X\nCNTR: %" PRIu64
	       "\nPCNTR: %u\nchecksum: %s\n",
	       d->command ? "command packet" : "proof of receipt", d->spi[0], d->spi[1], d->kic, d->kid, d->tar[0],
	       d->tar[1], d->tar[2], d->cntr, d->pcntr, d->cc_ok ? "verified" : "NOT verified (missing or wrong)");
	if (d->command) {
		printf("script: ");
		print_hex(d->script, d->script_len);
		printf("\napdus: ");
		print_apdus_json(d->script, d->script_len);
		putchar('\n');
		return;
	}
	printf("status: %02X (%s)\n", d->status, ota_por_status_name(d->status));
	if (d->data_len && !rapdu_response_decode(d->data, d->data_len, &s)) {
		printf("commands executed: %u\nlast SW: %04X\nlast data: ", s.commands, s.last_sw);
		print_hex(s.last_data, s.last_len);
		putchar('\n');
	}
}

static int cmd_decode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },	     { "spi", required_argument, NULL, 's' },
		{ "kic", required_argument, NULL, 'c' },     { "kid", required_argument, NULL, 'd' },
		{ "kic-key", required_argument, NULL, 'K' }, { "kid-key", required_argument, NULL, 'D' },
		{ "tpdu", no_argument, NULL, 'p' },	     { "cc-len", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },	     { NULL, 0, NULL, 0 },
	};
	static uint8_t ud[OTA_MAX_PACKET + 8], work[OTA_MAX_PACKET];
	struct keyopts k = { 0 };
	struct decoded d = { 0 };
	struct ota_keyset *ks = NULL;
	struct ota_command cmd;
	bool json = false, tpdu = false, have_spi = false, have_kic = false, have_kid = false;
	uint8_t spi[2] = { 0 }, kic = 0, kid = 0;
	size_t ud_len;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'p':
			tpdu = true;
			break;
		case 's':
			if (hex_arg(optarg, spi, 2, 2) < 0)
				return usage_error(usage_decode, "%s", "--spi wants 2 bytes of hex");
			have_spi = true;
			break;
		case 'c':
		case 'd':
			if (hex_arg(optarg, opt == 'c' ? &kic : &kid, 1, 1) < 0)
				return usage_error(usage_decode, "--%s wants 1 byte of hex",
						   opt == 'c' ? "kic" : "kid");
			*(opt == 'c' ? &have_kic : &have_kid) = true;
			break;
		case 'h':
			fputs(usage_decode, stdout);
			return EXIT_OK;
		default:
			rc = key_opt(opt, optarg, &k, usage_decode);
			if (rc < 0) {
				fputs(usage_decode, stderr);
				return EXIT_USAGE;
			}
			if (rc)
				return rc;
		}
	}
	if (optind >= argc)
		return usage_error(usage_decode, "%s", "give the SMS user data in hex");
	if (!k.have_kic_key || !k.have_kid_key)
		return usage_error(usage_decode, "%s", "--kic-key and --kid-key are required");
	rc = gather(argv + optind, argc - optind, tpdu, ud, &ud_len);
	if (rc == -EINVAL)
		return usage_error(usage_decode, "%s", "the input is not hex");
	if (rc || ud_len < 3 || ud[0] != 0x02 || (ud[1] != 0x70 && ud[1] != 0x71) || ud[2]) {
		fprintf(stderr, "simpki-ota: the input is not a secured packet (user data header 027000 or 027100, or "
				"the parts of one concatenated SMS)\n");
		OPENSSL_cleanse(&k, sizeof(k));
		return EXIT_BAD_INPUT;
	}
	if (ud[1] == 0x70) {
		d.command = true;
		/* the header names the algorithms: read it first, then key the run's key set for them */
		rc = ota_command_peek(ud + 3, ud_len - 3, &cmd);
		if (!rc && run_keyset(&k, cmd.kic, cmd.kid, cmd.spi.ciphered, cmd.spi.integrity == OTA_CC, &ks)) {
			fprintf(stderr,
				"simpki-ota: cannot read the command packet: its KIc and KID do not fit the key "
				"lengths\n");
			OPENSSL_cleanse(&k, sizeof(k));
			return EXIT_BAD_INPUT;
		}
		if (!rc)
			rc = ota_command_decode(ud + 3, ud_len - 3, ks, &cmd, work);
		if (rc < 0 || (rc != OTA_POR_OK && rc != OTA_POR_RC_CC_DS_FAILED)) {
			fprintf(stderr, "simpki-ota: cannot read the command packet: %s\n",
				rc < 0 ? "malformed header" : ota_por_status_name((uint8_t)rc));
			OPENSSL_cleanse(&k, sizeof(k));
			ota_keyset_free(ks);
			return EXIT_BAD_INPUT;
		}
		memcpy(d.spi, ud + 6, 2);
		d.kic = cmd.kic;
		d.kid = cmd.kid;
		memcpy(d.tar, cmd.tar, 3);
		d.cntr = cmd.cntr;
		d.pcntr = cmd.pcntr;
		d.cc_ok = rc == OTA_POR_OK;
		d.script = cmd.data;
		d.script_len = cmd.data_len;
	} else {
		struct ota_response rsp;

		if (!have_spi || !have_kic || !have_kid) {
			OPENSSL_cleanse(&k, sizeof(k));
			return usage_error(usage_decode, "%s", "a PoR needs its command's --spi, --kic and --kid");
		}
		memset(&cmd, 0, sizeof(cmd));
		ota_spi_decode(spi, &cmd.spi);
		cmd.kic = kic;
		cmd.kid = kid;
		if (run_keyset(&k, kic, kid, cmd.spi.por_ciphered, cmd.spi.por_integrity == OTA_CC, &ks) ||
		    ota_response_decode(ud, ud_len, &cmd, ks, &rsp, &d.cc_ok, work)) {
			fprintf(stderr, "simpki-ota: cannot read the PoR with this SPI, KIc and KID\n");
			OPENSSL_cleanse(&k, sizeof(k));
			ota_keyset_free(ks);
			return EXIT_BAD_INPUT;
		}
		memcpy(d.spi, spi, 2);
		d.kic = kic;
		d.kid = kid;
		memcpy(d.tar, rsp.tar, 3);
		d.cntr = rsp.cntr;
		d.pcntr = rsp.pcntr;
		d.status = rsp.status;
		d.data = rsp.data;
		d.data_len = rsp.data_len;
	}
	ota_keyset_free(ks);
	OPENSSL_cleanse(&k, sizeof(k));
	if (json)
		print_json(&d);
	else
		print_text(&d);
	OPENSSL_cleanse(work, sizeof(work));
	return d.cc_ok ? EXIT_OK : EXIT_NOT_VERIFIED;
}

int ota_tool_main(int argc, char **argv)
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
	optind = 1;
	if (!strcmp(cmd, "encode"))
		return cmd_encode(argc - 1, argv + 1);
	if (!strcmp(cmd, "decode"))
		return cmd_decode(argc - 1, argv + 1);
	return usage_error(usage_main, "unknown command: %s", cmd);
}
