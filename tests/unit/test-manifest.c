/* Unit tests for simulator/cardos/manifest.c: manifest_parse() on the built-in manifest_default (one applet "pki", AID
 * F276A288BCFBA69D34F31001, ram 1024, nvm 131072, ATR 3B80800101, nvm-size 262144), on manifests using every
 * directive and limit (2- and 33-byte ATR, nvm-size bounds, TARs, eight applets, a 512-character line), with the
 * defaults when atr and nvm-size are absent, and with comments, blank lines, tabs and CRLF line ends skipped; and
 * on the OTA directives (rfm TARs with MSL and format, ota-key sets of every algorithm and key length, applet MSLs,
 * toolkit TARs);
 * on bad manifests, each of which must give -EINVAL and an error "manifest line N: ..." naming the line and the
 * reason: unknown directive, atr twice or too short or too long, nvm-size out of range, applet without aid, ram or
 * nvm, an AID of 4 or 17 bytes, a TAR that is not 3 bytes, duplicate applet name, AID or TAR, a ninth applet, a line
 * over 512 characters, fields not in key/value pairs, and (with no line to name) a manifest without any applet.
 * The error buffer is never overrun.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

#include "unit.h"

#define AID_PKI "F276A288BCFBA69D34F31001"

static void test_default(void **state)
{
	static const uint8_t aid[] = { 0xf2, 0x76, 0xa2, 0x88, 0xbc, 0xfb, 0xa6, 0x9d, 0x34, 0xf3, 0x10, 0x01 };
	static const uint8_t atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };
	struct manifest m;
	char err[128] = "";

	assert_int_equal(manifest_parse(manifest_default, &m, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(m.napplets, 1);
	assert_string_equal(m.applets[0].name, "pki");
	assert_int_equal(m.applets[0].aid_len, sizeof(aid));
	assert_memory_equal(m.applets[0].aid, aid, sizeof(aid));
	assert_true(m.applets[0].has_tar);
	assert_memory_equal(m.applets[0].tar, "PKI", 3);
	assert_int_equal(m.applets[0].msl, 0x16);
	assert_int_equal(m.nrfm, 1);
	assert_memory_equal(m.rfm[0].tar, "\xb0\x00\x10", 3);
	assert_int_equal(m.rfm[0].msl, 0x16);
	assert_false(m.rfm[0].expanded);
	assert_int_equal(m.nkeys, 0);
	assert_true(m.applets[0].has_tk_tar);
	assert_memory_equal(m.applets[0].tk_tar, "SIG", 3);
	assert_int_equal(m.applets[0].tk_msl, 0x16);
	assert_int_equal(m.applets[0].ram, 1024);
	assert_int_equal(m.applets[0].nvm, 131072);
	assert_int_equal(m.atr_len, sizeof(atr));
	assert_memory_equal(m.atr, atr, sizeof(atr));
	assert_int_equal(m.nvm_size, 262144);
}

/* A toolkit TAR for an applet: MSL given or default; the applet's own TAR is apart. */
static void test_toolkit(void **state)
{
	struct manifest m;
	char err[128] = "";

	(void)state;
	assert_int_equal(manifest_parse("applet pki aid " AID_PKI " ram 1024 nvm 131072 tar 504B49\n"
					"toolkit pki tar 534947 msl 12\n"
					"applet b aid A000000002 ram 0 nvm 1\n"
					"toolkit b tar 000001\n",
					&m, err, sizeof(err)),
			 0);
	assert_true(m.applets[0].has_tk_tar);
	assert_memory_equal(m.applets[0].tk_tar, "SIG", 3);
	assert_int_equal(m.applets[0].tk_msl, 0x12);
	assert_memory_equal(m.applets[0].tar, "PKI", 3);
	assert_true(m.applets[1].has_tk_tar);
	assert_false(m.applets[1].has_tar);
	assert_int_equal(m.applets[1].tk_msl, 0x16);
}

/* Without atr and nvm-size lines the defaults apply: 3B80800101 and 262144. */
static void test_defaults_apply(void **state)
{
	static const uint8_t atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };
	struct manifest m;
	char err[128];

	assert_int_equal(manifest_parse("applet a aid A000000001 ram 0 nvm 1", &m, err, sizeof(err)), 0);
	assert_int_equal(m.atr_len, sizeof(atr));
	assert_memory_equal(m.atr, atr, sizeof(atr));
	assert_int_equal(m.nvm_size, 262144);
	assert_int_equal(m.napplets, 1);
	assert_string_equal(m.applets[0].name, "a");
	assert_int_equal(m.applets[0].aid_len, 5);
	assert_int_equal(m.applets[0].ram, 0);
	assert_int_equal(m.applets[0].nvm, 1);
}

static void test_full(void **state)
{
	static const char good[] =
		"# a comment\n"
		"\n"
		"   \t \n"
		"\t# an indented comment with fields: atr 00 applet x\n"
		"# a comment of more words than a directive may have fields: one two three four five six seven eight\n"
		"#atr 00\n"
		"atr 3b8f8001804f0ca0000003060300030000000068\r\n"
		"nvm-size\t16777216\r\n"
		"  applet   pki aid " AID_PKI " ram 1024 nvm 131072 tar B00010\n"
		"applet other tar 000001 nvm 16777216 ram 65536 aid A0000000871002FF49FFFF89\n"
		"applet name15chars-abc aid 00112233445566778899AABBCCDDEEFF ram 0 nvm 1"; /* no final newline */
	struct manifest m;
	char err[128] = "";

	assert_int_equal(manifest_parse(good, &m, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(m.atr_len, 20);
	assert_int_equal(m.atr[0], 0x3b);
	assert_int_equal(m.atr[19], 0x68);
	assert_int_equal(m.nvm_size, 16777216);
	assert_int_equal(m.napplets, 3);

	assert_string_equal(m.applets[0].name, "pki");
	assert_true(m.applets[0].has_tar);
	assert_memory_equal(m.applets[0].tar, "\xb0\x00\x10", 3);

	assert_string_equal(m.applets[1].name, "other");
	assert_int_equal(m.applets[1].aid_len, 12);
	assert_int_equal(m.applets[1].aid[11], 0x89);
	assert_true(m.applets[1].has_tar);
	assert_memory_equal(m.applets[1].tar, "\x00\x00\x01", 3);
	assert_int_equal(m.applets[1].ram, 65536);
	assert_int_equal(m.applets[1].nvm, 16777216);

	assert_string_equal(m.applets[2].name, "name15chars-abc");
	assert_int_equal(m.applets[2].aid_len, 16);
	assert_int_equal(m.applets[2].aid[15], 0xff);
	assert_false(m.applets[2].has_tar);
}

/* One applet installed twice: two instances, each with its own AID and TAR. */
static void test_two_instances(void **state)
{
	struct manifest m;
	char err[128];

	assert_int_equal(manifest_parse("applet pki aid " AID_PKI
					" ram 1024 nvm 131072\napplet pki aid A000000001 ram 1 nvm 1 tar 000002\n",
					&m, err, sizeof(err)),
			 0);
	assert_int_equal(m.napplets, 2);
	assert_string_equal(m.applets[1].name, "pki");
	assert_int_equal(m.applets[1].aid_len, 5);
}

/* The TAR is optional, and applets without one do not clash with each other or with TAR 000000. */
static void test_tar_optional(void **state)
{
	struct manifest m;
	char err[128];

	assert_int_equal(manifest_parse("applet a aid A000000001 ram 1 nvm 1\n"
					"applet b aid A000000002 ram 1 nvm 1\n"
					"applet c aid A000000003 ram 1 nvm 1 tar 000000\n"
					"applet d aid A000000004 ram 1 nvm 1\n",
					&m, err, sizeof(err)),
			 0);
	assert_int_equal(m.napplets, 4);
	assert_false(m.applets[0].has_tar);
	assert_false(m.applets[1].has_tar);
	assert_true(m.applets[2].has_tar);
	assert_false(m.applets[3].has_tar);
}

static void test_atr_limits(void **state)
{
	struct manifest m;
	char err[128];
	char text[256];

	/* 2 bytes */
	assert_int_equal(manifest_parse("atr 3B00\napplet a aid A000000001 ram 0 nvm 1\n", &m, err, sizeof(err)), 0);
	assert_int_equal(m.atr_len, 2);
	/* 33 bytes */
	snprintf(text, sizeof(text), "atr 3B%064d\napplet a aid A000000001 ram 0 nvm 1\n", 0);
	assert_int_equal(manifest_parse(text, &m, err, sizeof(err)), 0);
	assert_int_equal(m.atr_len, 33);
	/* nvm-size lower bound */
	assert_int_equal(manifest_parse("nvm-size 65536\napplet a aid A000000001 ram 0 nvm 1\n", &m, err, sizeof(err)),
			 0);
	assert_int_equal(m.nvm_size, 65536);
	/* 34 bytes */
	snprintf(text, sizeof(text), "applet a aid A000000001 ram 0 nvm 1\natr 3B%066d\n", 0);
	assert_int_equal(manifest_parse(text, &m, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "manifest line 2: atr must be 2..33 bytes of hex");
}

/* Eight applets are allowed. */
static void build_applets(char *text, size_t size, unsigned n)
{
	size_t off = 0;

	text[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, size - off,
					"applet app%u aid A0000000%02X ram 16 nvm 16 tar 0000%02X\n", i, i, i);
	assert_true(off < size);
}

static void test_eight_applets(void **state)
{
	struct manifest m;
	char err[128];
	char text[1024];

	build_applets(text, sizeof(text), MANIFEST_MAX_APPLETS);
	assert_int_equal(manifest_parse(text, &m, err, sizeof(err)), 0);
	assert_int_equal(m.napplets, MANIFEST_MAX_APPLETS);
	assert_string_equal(m.applets[7].name, "app7");
	assert_int_equal(m.applets[7].aid[4], 0x07);
	assert_int_equal(m.applets[7].tar[2], 0x07);
}

/* A line of exactly 512 characters (not counting the newline) is fine. */
static void test_line_512(void **state)
{
	struct manifest m;
	char err[128];
	char text[1024];
	int n;

	n = snprintf(text, sizeof(text), "#%511s\napplet a aid A000000001 ram 0 nvm 1\n", "");
	assert_int_equal(n, 512 + 1 + 36);
	assert_int_equal(manifest_parse(text, &m, err, sizeof(err)), 0);
	/* also when it is the last line and has no newline */
	n = snprintf(text, sizeof(text), "applet a aid A000000001 ram 0 nvm 1\n#%511s", "");
	assert_int_equal(manifest_parse(text, &m, err, sizeof(err)), 0);
	/* and when it is a directive padded with spaces */
	n = snprintf(text, sizeof(text), "applet a aid A000000001 ram 0 nvm 1%477s\n", "");
	assert_int_equal(n, 513);
	assert_int_equal(manifest_parse(text, &m, err, sizeof(err)), 0);
}

struct bad_case {
	const char *name;
	const char *text;
	unsigned line;	    /* the line the error names; 0 for none */
	const char *reason; /* the error after "manifest line N: " */
};

#define APPLET_PKI "applet pki aid " AID_PKI " ram 1024 nvm 131072\n"
#define KEY16 "00112233445566778899AABBCCDDEEFF"

static const struct bad_case bad[] = {
	{ "bad: unknown directive", "atr 3B80800101\nfoo bar\n" APPLET_PKI, 2, "unknown directive 'foo'" },
	{ "bad: unknown directive after comments", "# c\n\n# c\n" APPLET_PKI "ATR 3B80800101\n", 5,
	  "unknown directive 'ATR'" },
	{ "bad: atr twice", "atr 3B80800101\natr 3B80800101\n" APPLET_PKI, 2, "atr takes one hex value, once" },
	{ "bad: atr without value", "atr\n" APPLET_PKI, 1, "atr takes one hex value, once" },
	{ "bad: atr with two values", "atr 3B80 8001\n" APPLET_PKI, 1, "atr takes one hex value, once" },
	{ "bad: atr too short", APPLET_PKI "atr 3B\n", 2, "atr must be 2..33 bytes of hex" },
	{ "bad: atr not hex", "atr 3B8Z\n" APPLET_PKI, 1, "atr must be 2..33 bytes of hex" },
	{ "bad: atr odd digits", "atr 3B808\n" APPLET_PKI, 1, "atr must be 2..33 bytes of hex" },
	{ "bad: nvm-size too small", "nvm-size 65535\n" APPLET_PKI, 1,
	  "nvm-size takes one number 65536..16777216, once" },
	{ "bad: nvm-size too large", "nvm-size 16777217\n" APPLET_PKI, 1,
	  "nvm-size takes one number 65536..16777216, once" },
	{ "bad: nvm-size huge", "nvm-size 99999999999999999999999\n" APPLET_PKI, 1,
	  "nvm-size takes one number 65536..16777216, once" },
	{ "bad: nvm-size negative", "nvm-size -65536\n" APPLET_PKI, 1,
	  "nvm-size takes one number 65536..16777216, once" },
	{ "bad: nvm-size hex", "nvm-size 0x10000\n" APPLET_PKI, 1, "nvm-size takes one number 65536..16777216, once" },
	{ "bad: nvm-size with unit", "nvm-size 256k\n" APPLET_PKI, 1,
	  "nvm-size takes one number 65536..16777216, once" },
	{ "bad: nvm-size twice", "nvm-size 65536\nnvm-size 65536\n" APPLET_PKI, 2,
	  "nvm-size takes one number 65536..16777216, once" },
	{ "bad: nvm-size without value", "nvm-size\n" APPLET_PKI, 1,
	  "nvm-size takes one number 65536..16777216, once" },
	{ "bad: applet without aid", "applet pki ram 1024 nvm 131072\n", 1, "applet pki needs aid, ram and nvm" },
	{ "bad: applet without ram", "applet pki aid " AID_PKI " nvm 131072\n", 1,
	  "applet pki needs aid, ram and nvm" },
	{ "bad: applet without nvm", "applet pki aid " AID_PKI " ram 1024\n", 1, "applet pki needs aid, ram and nvm" },
	{ "bad: applet with only a name", "applet pki\n", 1, "applet pki needs aid, ram and nvm" },
	{ "bad: applet without a name", "applet\n", 1, "applet needs a name of 1..15 characters" },
	{ "bad: applet name of 16 characters", "applet abcdefghijklmnop aid " AID_PKI " ram 1 nvm 1\n", 1,
	  "applet needs a name of 1..15 characters" },
	{ "bad: aid of 4 bytes", "applet pki aid A0000000 ram 1024 nvm 131072\n", 1, "aid must be 5..16 bytes of hex" },
	{ "bad: aid of 17 bytes", "applet pki aid 00112233445566778899AABBCCDDEEFF00 ram 1024 nvm 131072\n", 1,
	  "aid must be 5..16 bytes of hex" },
	{ "bad: aid not hex", "applet pki aid A00000000G ram 1024 nvm 131072\n", 1, "aid must be 5..16 bytes of hex" },
	{ "bad: aid twice", "applet pki aid " AID_PKI " aid " AID_PKI " ram 1024 nvm 131072\n", 1,
	  "unknown or repeated applet field 'aid'" },
	{ "bad: tar of 2 bytes", "applet pki aid " AID_PKI " ram 1024 nvm 131072 tar B000\n", 1,
	  "tar must be 3 bytes of hex" },
	{ "bad: tar of 4 bytes", "applet pki aid " AID_PKI " ram 1024 nvm 131072 tar B0001000\n", 1,
	  "tar must be 3 bytes of hex" },
	{ "bad: tar not hex", "applet pki aid " AID_PKI " ram 1024 nvm 131072 tar B0001X\n", 1,
	  "tar must be 3 bytes of hex" },
	{ "bad: tar twice", "applet pki aid " AID_PKI " tar B00010 ram 1024 nvm 131072 tar B00011\n", 1,
	  "unknown or repeated applet field 'tar'" },
	{ "bad: ram too large", "applet pki aid " AID_PKI " ram 65537 nvm 131072\n", 1, "ram must be 0..65536 bytes" },
	{ "bad: ram not a number", "applet pki aid " AID_PKI " ram many nvm 131072\n", 1,
	  "ram must be 0..65536 bytes" },
	{ "bad: nvm of 0", "applet pki aid " AID_PKI " ram 1024 nvm 0\n", 1, "nvm must be 1..16777216 bytes" },
	{ "bad: nvm too large", "applet pki aid " AID_PKI " ram 1024 nvm 16777217\n", 1,
	  "nvm must be 1..16777216 bytes" },
	{ "bad: unknown applet field", "applet pki aid " AID_PKI " ram 1024 nvm 131072 rom 1\n", 1,
	  "unknown or repeated applet field 'rom'" },
	{ "bad: duplicate AID", APPLET_PKI "applet other aid " AID_PKI " ram 1 nvm 1\n", 2,
	  "aid already used by applet pki" },
	{ "bad: duplicate AID in lower case", APPLET_PKI "applet other aid f276a288bcfba69d34f31001 ram 1 nvm 1\n", 2,
	  "aid already used by applet pki" },
	{ "bad: duplicate TAR",
	  "applet a aid A000000001 ram 1 nvm 1 tar 000001\n"
	  "applet b aid A000000002 ram 1 nvm 1\n"
	  "applet c aid A000000003 ram 1 nvm 1 tar 000001\n",
	  3, "tar already used by applet a" },
	{ "bad: odd key/value fields", "applet pki aid " AID_PKI " ram 1024 nvm\n", 1,
	  "applet fields come as key value pairs" },
	{ "bad: odd key/value fields, one key", "applet pki aid\n", 1, "applet fields come as key value pairs" },
	{ "bad: too many fields", "applet a aid A000000001 ram 1 nvm 1 tar 000001 x 1 y 2 z 3 w\n", 1,
	  "too many fields" },
	{ "bad: rfm without tar", APPLET_PKI "rfm msl 16\n", 2, "rfm needs a tar" },
	{ "bad: rfm odd fields", APPLET_PKI "rfm tar\n", 2, "rfm fields come as key value pairs" },
	{ "bad: rfm tar of 2 bytes", APPLET_PKI "rfm tar B000\n", 2, "tar must be 3 bytes of hex" },
	{ "bad: rfm tar twice", APPLET_PKI "rfm tar B00010 tar B00011\n", 2, "unknown or repeated rfm field 'tar'" },
	{ "bad: rfm TAR used twice", APPLET_PKI "rfm tar B00010\nrfm tar b00010\n", 3, "tar already used by rfm" },
	{ "bad: rfm TAR of an applet", "applet a aid A000000001 ram 1 nvm 1 tar B00010\nrfm tar B00010\n", 2,
	  "tar already used by a" },
	{ "bad: applet TAR of rfm", "rfm tar B00010\napplet a aid A000000001 ram 1 nvm 1 tar B00010\n", 2,
	  "tar already used by rfm" },
	{ "bad: fifth rfm",
	  APPLET_PKI "rfm tar B00010\nrfm tar B00011\nrfm tar B00012\nrfm tar B00013\nrfm tar B00014\n", 6,
	  "more than 4 rfm TARs" },
	{ "bad: msl with DS", APPLET_PKI "rfm tar B00010 msl 17\n", 2,
	  "msl must be one byte coded as SPI1, without DS" },
	{ "bad: msl reserved bit", APPLET_PKI "rfm tar B00010 msl 36\n", 2,
	  "msl must be one byte coded as SPI1, without DS" },
	{ "bad: msl not hex", APPLET_PKI "rfm tar B00010 msl high\n", 2,
	  "msl must be one byte coded as SPI1, without DS" },
	{ "bad: format", APPLET_PKI "rfm tar B00010 format tlv\n", 2, "format is compact or expanded" },
	{ "bad: unknown rfm field", APPLET_PKI "rfm tar B00010 keys 1\n", 2, "unknown or repeated rfm field 'keys'" },
	{ "bad: applet msl without tar", "applet a aid A000000001 ram 1 nvm 1 msl 16\n", 1, "msl without a tar" },
	{ "bad: applet msl with DS", "applet a aid A000000001 ram 1 nvm 1 tar 000001 msl 03\n", 1,
	  "msl must be one byte coded as SPI1, without DS" },
	{ "bad: ota-key fields", APPLET_PKI "ota-key 1 aes 00112233445566778899AABBCCDDEEFF\n", 2,
	  "ota-key takes KVN ALGO KIC KID" },
	{ "bad: ota-key version 0", APPLET_PKI "ota-key 0 aes " KEY16 " " KEY16 "\n", 2,
	  "the key version must be 1..15" },
	{ "bad: ota-key version 16", APPLET_PKI "ota-key 16 aes " KEY16 " " KEY16 "\n", 2,
	  "the key version must be 1..15" },
	{ "bad: ota-key version twice",
	  APPLET_PKI "ota-key 1 aes " KEY16 " " KEY16 "\nota-key 1 3des " KEY16 " " KEY16 "\n", 3,
	  "key version 1 given twice" },
	{ "bad: ota-key algorithm", APPLET_PKI "ota-key 1 des " KEY16 " " KEY16 "\n", 2,
	  "the algorithm is 3des or aes" },
	{ "bad: 3des key of 8 bytes", APPLET_PKI "ota-key 1 3des 0011223344556677 " KEY16 "\n", 2,
	  "3des keys are 16 or 24 bytes of hex" },
	{ "bad: 3des key of 32 bytes", APPLET_PKI "ota-key 1 3des " KEY16 " " KEY16 KEY16 "\n", 2,
	  "3des keys are 16 or 24 bytes of hex" },
	{ "bad: aes key of 20 bytes", APPLET_PKI "ota-key 1 aes " KEY16 "00112233 " KEY16 "\n", 2,
	  "aes keys are 16, 24 or 32 bytes of hex" },
	{ "bad: key not hex", APPLET_PKI "ota-key 1 aes " KEY16 " 0011223344556677889900AABBCCDDXX\n", 2,
	  "aes keys are 16, 24 or 32 bytes of hex" },
	{ "bad: fifth key set",
	  APPLET_PKI "ota-key 1 aes " KEY16 " " KEY16 "\nota-key 2 aes " KEY16 " " KEY16 "\nota-key 3 aes " KEY16
		     " " KEY16 "\nota-key 4 aes " KEY16 " " KEY16 "\nota-key 5 aes " KEY16 " " KEY16 "\n",
	  6, "more than 4 OTA key sets" },
	{ "bad: no applet", "atr 3B80800101\nnvm-size 65536\n", 0, "manifest installs no applet" },
	{ "bad: only comments", "# applet pki aid " AID_PKI " ram 1024 nvm 131072\n", 0,
	  "manifest installs no applet" },
	{ "bad: empty manifest", "", 0, "manifest installs no applet" },
	{ "bad: toolkit for no applet", "toolkit pki tar 534947\n" APPLET_PKI, 1,
	  "toolkit names applet 'pki', which no earlier applet line installs" },
	{ "bad: toolkit without tar", APPLET_PKI "toolkit pki msl 16\n", 2, "toolkit needs tar and 3 bytes of hex" },
	{ "bad: toolkit tar of 2 bytes", APPLET_PKI "toolkit pki tar 5349\n", 2,
	  "toolkit needs tar and 3 bytes of hex" },
	{ "bad: toolkit twice", APPLET_PKI "toolkit pki tar 534947\ntoolkit pki tar 534948\n", 3,
	  "applet pki already has a toolkit TAR" },
	{ "bad: toolkit tar of rfm", APPLET_PKI "rfm tar B00010\ntoolkit pki tar B00010\n", 3,
	  "tar already used by rfm" },
	{ "bad: toolkit msl with DS", APPLET_PKI "toolkit pki tar 534947 msl 03\n", 2,
	  "msl must be one byte coded as SPI1, without DS" },
	{ "bad: toolkit unknown field", APPLET_PKI "toolkit pki tar 534947 format expanded\n", 2,
	  "unknown or repeated toolkit field 'format'" },
	{ "bad: toolkit odd fields", APPLET_PKI "toolkit pki tar\n", 2, "toolkit takes NAME tar HEX [msl HEX]" },
	{ "bad: rfm on a toolkit tar", APPLET_PKI "toolkit pki tar 534947\nrfm tar 534947\n", 3,
	  "tar already used by pki" },
	{ "bad: admin twice", APPLET_PKI "admin tar 000000\nadmin tar 000001\n", 3, "more than one admin line" },
	{ "bad: admin without tar", APPLET_PKI "admin msl 16\n", 2, "admin needs a tar" },
	{ "bad: admin odd fields", APPLET_PKI "admin tar\n", 2, "admin fields come as key value pairs" },
	{ "bad: admin tar of an applet", "applet a aid A000000001 ram 1 nvm 1 tar 000001\nadmin tar 000001\n", 2,
	  "tar already used by a" },
	{ "bad: rfm on the admin tar", APPLET_PKI "admin tar 000000\nrfm tar 000000\n", 3,
	  "tar already used by admin" },
	{ "bad: admin server not IPv4", APPLET_PKI "admin tar 000000 server ras.example:8443\n", 2,
	  "server is an IPv4 address with an optional :PORT (1..65535)" },
	{ "bad: admin server octet", APPLET_PKI "admin tar 000000 server 10.0.0.256\n", 2,
	  "server is an IPv4 address with an optional :PORT (1..65535)" },
	{ "bad: admin server port 0", APPLET_PKI "admin tar 000000 server 10.0.0.1:0\n", 2,
	  "server is an IPv4 address with an optional :PORT (1..65535)" },
	{ "bad: admin server port 65536", APPLET_PKI "admin tar 000000 server 10.0.0.1:65536\n", 2,
	  "server is an IPv4 address with an optional :PORT (1..65535)" },
	{ "bad: admin uri without slash", APPLET_PKI "admin tar 000000 uri ras\n", 2,
	  "uri is '/' then printable characters, 128 at most" },
	{ "bad: admin msl with DS", APPLET_PKI "admin tar 000000 msl 03\n", 2,
	  "msl must be one byte coded as SPI1, without DS" },
	{ "bad: admin unknown field", APPLET_PKI "admin tar 000000 port 1\n", 2,
	  "unknown or repeated admin field 'port'" },
	{ "bad: scp81-psk fields", APPLET_PKI "scp81-psk 64 1\n", 2, "scp81-psk takes KVN KID PSK" },
	{ "bad: scp81-psk version 63", APPLET_PKI "scp81-psk 63 1 " KEY16 "\n", 2,
	  "the key version must be 64..79 and the key id 1..127" },
	{ "bad: scp81-psk version 80", APPLET_PKI "scp81-psk 80 1 " KEY16 "\n", 2,
	  "the key version must be 64..79 and the key id 1..127" },
	{ "bad: scp81-psk id 0", APPLET_PKI "scp81-psk 64 0 " KEY16 "\n", 2,
	  "the key version must be 64..79 and the key id 1..127" },
	{ "bad: scp81-psk id 128", APPLET_PKI "scp81-psk 64 128 " KEY16 "\n", 2,
	  "the key version must be 64..79 and the key id 1..127" },
	{ "bad: scp81-psk of 24 bytes", APPLET_PKI "scp81-psk 64 1 " KEY16 "0011223344556677\n", 2,
	  "a PSK is 16 or 32 bytes of hex" },
	{ "bad: scp81-psk not hex", APPLET_PKI "scp81-psk 64 1 0011223344556677889900AABBCCDDXX\n", 2,
	  "a PSK is 16 or 32 bytes of hex" },
	{ "bad: scp81-psk twice", APPLET_PKI "scp81-psk 64 1 " KEY16 "\nscp81-psk 64 1 " KEY16 "\n", 3,
	  "key 64/1 given twice" },
	{ "bad: third scp81-psk",
	  APPLET_PKI "scp81-psk 64 1 " KEY16 "\nscp81-psk 64 2 " KEY16 "\nscp81-psk 65 1 " KEY16 "\n", 4,
	  "more than 2 scp81-psk keys" },
};

/* The admin agent's lines. */
static void test_admin(void **state)
{
	struct manifest m;
	char err[128] = "";

	(void)state;
	assert_int_equal(manifest_parse(manifest_default, &m, err, sizeof(err)), 0);
	assert_true(m.admin.present);
	assert_memory_equal(m.admin.tar, "\x00\x00\x00", 3);
	assert_int_equal(m.admin.msl, 0x16);
	assert_true(m.admin.has_server);
	assert_memory_equal(m.admin.ip, "\x7f\x00\x00\x01", 4);
	assert_int_equal(m.admin.port, 8443);
	assert_string_equal(m.admin.uri, "/simpki/ras");
	assert_int_equal(m.npsks, 0);
	assert_int_equal(manifest_parse(APPLET_PKI "admin uri /r?x=1 server 10.1.2.3 msl 02 tar 0000AA\n"
						   "scp81-psk 79 127 " KEY16 KEY16 "\nscp81-psk 64 1 " KEY16 "\n",
					&m, err, sizeof(err)),
			 0);
	assert_memory_equal(m.admin.tar, "\x00\x00\xaa", 3);
	assert_int_equal(m.admin.msl, 0x02);
	assert_memory_equal(m.admin.ip, "\x0a\x01\x02\x03", 4);
	assert_int_equal(m.admin.port, 8443);
	assert_string_equal(m.admin.uri, "/r?x=1");
	assert_int_equal(m.npsks, 2);
	assert_int_equal(m.psks[0].kvn, 79);
	assert_int_equal(m.psks[0].kid, 127);
	assert_int_equal(m.psks[0].len, 32);
	assert_int_equal(m.psks[1].len, 16);
	assert_int_equal(m.psks[1].psk[15], 0xff);
	/* no admin line: none */
	assert_int_equal(manifest_parse(APPLET_PKI, &m, err, sizeof(err)), 0);
	assert_false(m.admin.present);
}

static void test_ota(void **state)
{
	struct manifest m;
	char err[128] = "";
	const char *text = "applet a aid A000000001 ram 1 nvm 1 tar 000001 msl 00\n"
			   "applet b aid A000000002 ram 1 nvm 1 tar 000002\n"
			   "rfm tar B00010\n"
			   "rfm format expanded msl 02 tar B00011\n"
			   "ota-key 1 3des " KEY16 " 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
			   "ota-key 15 aes " KEY16 " 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n"
			   "ota-key 3 aes 000102030405060708090A0B0C0D0E0F1011121314151617 " KEY16 "\n";

	(void)state;
	assert_int_equal(manifest_parse(text, &m, err, sizeof(err)), 0);
	assert_int_equal(m.applets[0].msl, 0x00);
	assert_int_equal(m.applets[1].msl, 0x16);
	assert_int_equal(m.nrfm, 2);
	assert_int_equal(m.rfm[0].msl, 0x16);
	assert_false(m.rfm[0].expanded);
	assert_memory_equal(m.rfm[1].tar, "\xb0\x00\x11", 3);
	assert_int_equal(m.rfm[1].msl, 0x02);
	assert_true(m.rfm[1].expanded);
	assert_int_equal(m.nkeys, 3);
	assert_int_equal(m.keys[0].kvn, 1);
	assert_int_equal(m.keys[0].alg, MANIFEST_OTA_3DES);
	assert_int_equal(m.keys[0].kic_len, 16);
	assert_int_equal(m.keys[0].kid_len, 24);
	assert_memory_equal(m.keys[0].kid, "\x01\x23\x45\x67", 4);
	assert_int_equal(m.keys[1].kvn, 15);
	assert_int_equal(m.keys[1].alg, MANIFEST_OTA_AES);
	assert_int_equal(m.keys[1].kid_len, 32);
	assert_int_equal(m.keys[2].kic_len, 24);
	assert_true(manifest_msl_ok(0x16));
	assert_true(manifest_msl_ok(0x1e));
	assert_false(manifest_msl_ok(0x13));
	assert_false(manifest_msl_ok(0x40));
}

/* Parse \a text, expect -EINVAL and exactly "manifest line <line>: <reason>" (just the reason for line 0). */
static void expect_error(const char *text, unsigned line, const char *reason)
{
	struct manifest m;
	char err[256], want[256];

	memset(err, 0, sizeof(err));
	if (line)
		snprintf(want, sizeof(want), "manifest line %u: %s", line, reason);
	else
		snprintf(want, sizeof(want), "%s", reason);
	assert_int_equal(manifest_parse(text, &m, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
}

static void test_bad(void **state)
{
	const struct bad_case *c = *state;

	expect_error(c->text, c->line, c->reason);
}

static void test_nine_applets(void **state)
{
	char text[1024];

	build_applets(text, sizeof(text), MANIFEST_MAX_APPLETS + 1);
	expect_error(text, 9, "more than 8 applets");
}

static void test_line_513(void **state)
{
	char text[1024];

	/* a comment line is still a line */
	snprintf(text, sizeof(text), "%s#%512s\n", APPLET_PKI, "");
	expect_error(text, 2, "longer than 512 characters");
	/* the last line, without a newline */
	snprintf(text, sizeof(text), "# c\n%s#%512s", APPLET_PKI, "");
	expect_error(text, 3, "longer than 512 characters");
	/* far longer */
	{
		char *big = malloc(10000);

		assert_non_null(big);
		memset(big, 'x', 9999);
		big[9999] = '\0';
		expect_error(big, 1, "longer than 512 characters");
		free(big);
	}
}

/* The error is cut to fit the buffer and still terminated; a zero-size or NULL buffer is not touched. */
static void test_error_buffer(void **state)
{
	struct manifest m;
	char err[16];

	memset(err, 'x', sizeof(err));
	assert_int_equal(manifest_parse("foo\n", &m, err, 10), -EINVAL);
	assert_string_equal(err, "manifest ");
	assert_int_equal(err[10], 'x');

	memset(err, 'x', sizeof(err));
	assert_int_equal(manifest_parse("foo\n", &m, err, 1), -EINVAL);
	assert_int_equal(err[0], '\0');
	assert_int_equal(err[1], 'x');

	memset(err, 'x', sizeof(err));
	assert_int_equal(manifest_parse("foo\n", &m, err, 0), -EINVAL);
	assert_int_equal(err[0], 'x');
	assert_int_equal(manifest_parse("foo\n", &m, NULL, 0), -EINVAL);
	assert_int_equal(manifest_parse("", &m, NULL, 0), -EINVAL);
}

int main(void)
{
	static struct unit_list l;

	UNIT_ADD(&l, test_default);
	UNIT_ADD(&l, test_defaults_apply);
	UNIT_ADD(&l, test_full);
	UNIT_ADD(&l, test_two_instances);
	UNIT_ADD(&l, test_tar_optional);
	UNIT_ADD(&l, test_atr_limits);
	UNIT_ADD(&l, test_eight_applets);
	UNIT_ADD(&l, test_line_512);
	UNIT_ADD(&l, test_ota);
	UNIT_ADD(&l, test_admin);
	UNIT_ADD(&l, test_toolkit);
	UNIT_ADD_TABLE(&l, bad, test_bad);
	UNIT_ADD(&l, test_nine_applets);
	UNIT_ADD(&l, test_line_513);
	UNIT_ADD(&l, test_error_buffer);
	return unit_run("manifest", &l);
}
