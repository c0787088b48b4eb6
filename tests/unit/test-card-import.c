/* Unit tests of ota-server/card_import.c: the header (with and without KIK, a byte-order mark, quoted names,
 * anything else refused); the record splitter (blank lines, CRLF, quoted CR/LF, a too long record) giving the same
 * records however the file is cut (one piece, byte by byte, every two-piece cut, random pieces); good lines (3DES
 * and AES, quoted fields); every kind of bad line (spaces around fields and quotes, each with its column), each
 * with a reason naming its field and never quoting a key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_import.h"

#include "unit.h"

#define KIC "8C4A1F0B3E2D5A697788A9BACBDCEDFE"
#define KID "1E2D3C4B5A69788796A5B4C3D2E1F00F"

static void test_header(void **state)
{
	(void)state;
	assert_int_equal(card_import_header("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid", 47), 0);
	assert_int_equal(card_import_header("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid,kik", 51), 1);
	assert_int_equal(card_import_header("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid,kik,psk", 55),
			 CARD_IMPORT_WITH_PSK);
	assert_int_equal(card_import_header("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid,psk", 51), -EINVAL);
	assert_int_equal(card_import_header("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid,kik,psk,x", 57), -EINVAL);
	assert_int_equal(card_import_header("\xef\xbb\xbficcid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid", 50), 0);
	assert_int_equal(card_import_header("ICCID,IMSI,MSISDN,KVN,KIC_ALGO,KIC,KID_ALGO,KID", 47), -EINVAL);
	assert_int_equal(card_import_header("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo", 43), -EINVAL);
	assert_int_equal(card_import_header("", 0), -EINVAL);
	assert_int_equal(card_import_header("\"iccid\",imsi,msisdn,kvn,kic_algo,kic,kid_algo,\"kid\"", 51), 0);
	assert_int_equal(card_import_header("iccid, imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid", 48), -EINVAL);
}

/* Records as the splitter hands them out, written one after another as "LINE[+]:LEN:BYTES;" (+: too long). */
struct collect {
	char out[4096];
	size_t used;
};

static int collect_cb(const char *rec, size_t len, unsigned line, bool too_long, void *priv)
{
	struct collect *c = priv;
	int n = snprintf(c->out + c->used, sizeof(c->out) - c->used, "%u%s:%zu:", line, too_long ? "+" : "", len);

	assert_true(n > 0 && c->used + (size_t)n + len + 1 < sizeof(c->out));
	c->used += (size_t)n;
	memcpy(c->out + c->used, rec, len);
	c->used += len;
	c->out[c->used++] = ';';
	c->out[c->used] = 0;
	return 0;
}

/* Split \a buf fed in pieces of the sizes \a cuts gives (cycled; NULL: one piece). */
static void split_in_pieces(const char *buf, size_t len, const size_t *cuts, size_t ncuts, struct collect *c)
{
	struct card_import_splitter sp;
	size_t off = 0, k = 0;

	memset(c, 0, sizeof(*c));
	card_import_split_init(&sp);
	while (off < len) {
		size_t n = cuts ? cuts[k++ % ncuts] : len;

		if (n > len - off)
			n = len - off;
		assert_int_equal(card_import_split(&sp, buf + off, n, collect_cb, c), 0);
		off += n;
	}
	assert_int_equal(card_import_split_end(&sp, collect_cb, c), 0);
	card_import_split_wipe(&sp);
}

static void test_records(void **state)
{
	static const char buf[] = "a\r\n\nbc\n\"x\ny\",\"q\"\"\r\n\"\r\n\r\nd\"e\nf";
	struct collect c;

	(void)state;
	split_in_pieces(buf, strlen(buf), NULL, 0, &c);
	/* blank lines skipped; a quoted LF and a quoted CRLF keep the record going; a quote inside a field is text */
	assert_string_equal(c.out, "1:1:a;3:2:bc;4:13:\"x\ny\",\"q\"\"\r\n\";8:3:d\"e;9:1:f;");
	/* a byte-order mark, then a quoted header field */
	split_in_pieces("\xef\xbb\xbf\"a,b\"\nc", 10, NULL, 0, &c);
	assert_string_equal(c.out, "1:8:\xef\xbb\xbf\"a,b\";2:1:c;");
}

/* The property the streaming importer rests on: however a file is cut, the records are the same. */
static void test_records_pieces(void **state)
{
	static const char buf[] = "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\r\n"
				  "\"8984010000000000005\",001010000000001,\"20\"\"01\",1,aes," KIC ",aes," KID "\r\n"
				  "\"a\r\nb\",\"\",\"\"\"\"\n\n\"unterminated,\r\n" KIC "\n";
	static const size_t ones[] = { 1 }, twos[] = { 2 }, mixed[] = { 3, 1, 7, 2, 5, 11, 1, 1, 13 };
	char big[1500];
	struct collect whole, c;
	size_t cuts[64];

	(void)state;
	split_in_pieces(buf, strlen(buf), NULL, 0, &whole);
	split_in_pieces(buf, strlen(buf), ones, 1, &c);
	assert_string_equal(c.out, whole.out);
	split_in_pieces(buf, strlen(buf), twos, 1, &c);
	assert_string_equal(c.out, whole.out);
	split_in_pieces(buf, strlen(buf), mixed, sizeof(mixed) / sizeof(mixed[0]), &c);
	assert_string_equal(c.out, whole.out);
	srand(7);
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < 64; i++)
			cuts[i] = 1 + (size_t)rand() % 40;
		split_in_pieces(buf, strlen(buf), cuts, 64, &c);
		assert_string_equal(c.out, whole.out);
	}
	/* every cut into two pieces */
	for (size_t at = 1; at < strlen(buf); at++) {
		size_t two[2] = { at, strlen(buf) };

		split_in_pieces(buf, strlen(buf), two, 2, &c);
		assert_string_equal(c.out, whole.out);
	}
	/* a record longer than the limit is handed out once, marked, with its start; the next one is intact */
	memset(big, '7', sizeof(big));
	big[1000] = '\n';
	big[1001] = 'z';
	split_in_pieces(big, 1002, mixed, sizeof(mixed) / sizeof(mixed[0]), &c);
	assert_non_null(strstr(c.out, "1+:512:777"));
	assert_non_null(strstr(c.out, ";2:1:z;"));
}

static void test_good(void **state)
{
	struct card_import_row r;
	char why[CARD_IMPORT_REASON_MAX];
	const char *l = "8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID;

	(void)state;
	assert_int_equal(card_import_line(l, strlen(l), false, &r, why, sizeof(why)), 0);
	assert_string_equal(r.iccid, "8984010000000000005");
	assert_string_equal(r.imsi, "001010000000001");
	assert_string_equal(r.msisdn, "2001");
	assert_int_equal(r.kvn, 1);
	assert_int_equal(r.kic_algo, CARD_IMPORT_AES);
	assert_int_equal(r.kic_len, 16);
	assert_int_equal(r.kic[0], 0x8c);
	assert_int_equal(r.kid[15], 0x0f);
	assert_int_equal(r.kik_len, 0);
	l = "8984010000000000005,001010000000001,2001,15,3des," KIC "1E2D3C4B5A697887,3des," KID ",";
	assert_int_equal(card_import_line(l, strlen(l), true, &r, why, sizeof(why)), 0);
	assert_int_equal(r.kvn, 15);
	assert_int_equal(r.kic_len, 24);
	l = "8984010000000000005,001010000000001,2001,2,aes," KIC ",aes," KID "," KID;
	assert_int_equal(card_import_line(l, strlen(l), true, &r, why, sizeof(why)), 0);
	assert_int_equal(r.kik_len, 16);
	/* RFC 4180 quoting: any field may be quoted; "" is a quote (refused by the field's own check) */
	l = "\"8984010000000000005\",\"001010000000001\",\"2001\",\"2\",\"aes\",\"" KIC "\",\"aes\",\"" KID "\",\"\"";
	assert_int_equal(card_import_line(l, strlen(l), true, &r, why, sizeof(why)), 0);
	assert_string_equal(r.msisdn, "2001");
	assert_int_equal(r.kvn, 2);
	assert_int_equal(r.kid[15], 0x0f);
	assert_int_equal(r.kik_len, 0);
	/* the SCP81 PSK column: 16 or 32 bytes, or empty */
	l = "8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID ",," KID;
	assert_int_equal(card_import_line(l, strlen(l), CARD_IMPORT_WITH_PSK, &r, why, sizeof(why)), 0);
	assert_int_equal(r.psk_len, 16);
	assert_int_equal(r.psk[0], 0x1e);
	assert_int_equal(r.kik_len, 0);
	l = "8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID "," KIC "," KIC KID;
	assert_int_equal(card_import_line(l, strlen(l), CARD_IMPORT_WITH_PSK, &r, why, sizeof(why)), 0);
	assert_int_equal(r.psk_len, 32);
	assert_int_equal(r.kik_len, 16);
	l = "8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID ",,";
	assert_int_equal(card_import_line(l, strlen(l), CARD_IMPORT_WITH_PSK, &r, why, sizeof(why)), 0);
	assert_int_equal(r.psk_len, 0);
}

static void expect_bad(const char *line, int kik, const char *reason)
{
	struct card_import_row r;
	char why[CARD_IMPORT_REASON_MAX];

	if (card_import_line(line, strlen(line), kik, &r, why, sizeof(why)) != -EINVAL)
		fail_msg("line '%s' accepted", line);
	if (!strstr(why, reason))
		fail_msg("line '%s': reason '%s' lacks '%s'", line, why, reason);
	assert_null(strstr(why, KIC));
	assert_null(strstr(why, KID));
}

static void test_bad(void **state)
{
	char big[600];

	(void)state;
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID ",,8C4A", CARD_IMPORT_WITH_PSK,
		   "psk: not 16 or 32 bytes");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID ",," KIC "1E2D3C4B5A697887",
		   CARD_IMPORT_WITH_PSK, "psk: not 16 or 32 bytes");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID ",,XX" KID, CARD_IMPORT_WITH_PSK,
		   "psk: not hex");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID ",", CARD_IMPORT_WITH_PSK,
		   "9 fields instead of 10");
	expect_bad("8984010000000000004,001010000000001,2001,1,aes," KIC ",aes," KID, false, "check digit is wrong");
	expect_bad("898401000000000000,001010000000001,2001,1,aes," KIC ",aes," KID, false, "check digit");
	expect_bad("89840100000000000050,001010000000001,2001,1,aes," KIC ",aes," KID, false, "check digit");
	expect_bad("898401000000000000512,001010000000001,2001,1,aes," KIC ",aes," KID, false, "iccid: more than 20");
	expect_bad("8984010000000000005,00101000000000A,2001,1,aes," KIC ",aes," KID, false, "imsi");
	expect_bad("8984010000000000005,0010100000000011,2001,1,aes," KIC ",aes," KID, false, "imsi: more than 15");
	expect_bad("8984010000000000005,001010000000001,+2001,1,aes," KIC ",aes," KID, false, "msisdn");
	expect_bad("8984010000000000005,001010000000001,,1,aes," KIC ",aes," KID, false, "msisdn");
	expect_bad("8984010000000000005,001010000000001,2001,0,aes," KIC ",aes," KID, false, "kvn: 0 is not");
	expect_bad("8984010000000000005,001010000000001,2001,16,aes," KIC ",aes," KID, false, "kvn: 16 is not");
	expect_bad("8984010000000000005,001010000000001,2001,,aes," KIC ",aes," KID, false, "kvn");
	expect_bad("8984010000000000005,001010000000001,2001,1,des," KIC ",aes," KID, false, "kic_algo: 'des' is not");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",AES," KID, false, "kid_algo");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes,8C4A,aes," KID, false, "kic: 2 bytes, but aes keys");
	expect_bad("8984010000000000005,001010000000001,2001,1,3des," KIC KID KID ",aes," KID, false,
		   "kic: not 16, 24 or 32");
	expect_bad("8984010000000000005,001010000000001,2001,1,3des," KIC KID ",aes," KID, false,
		   "kic: 32 bytes, but 3des");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes,1E2D3C4B5A69788796A5B4C3D2E1F00", false,
		   "kid: not");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes,XX2D3C4B5A69788796A5B4C3D2E1F00F", false,
		   "kid: not hex");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID ",", false,
		   "9 fields instead of 8");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes", false, "7 fields instead of 8");
	expect_bad("8984010000000000005, 001010000000001,2001,1,aes," KIC ",aes," KID, false,
		   "imsi: a space before the value (column 21)");
	expect_bad("8984010000000000005,001010000000001,2001,1 ,aes," KIC ",aes," KID, false,
		   "kvn: a space after the value (column 43)");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes, " KIC ",aes," KID, false,
		   "kic: a space before the value (column 48)");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes,\"" KIC " \",aes," KID, false,
		   "kic: a space at the end of the quoted value");
	expect_bad("8984010000000000005,\" 001010000000001\",2001,1,aes," KIC ",aes," KID, false,
		   "imsi: a space at the start of the quoted value (column 22)");
	expect_bad("8984010000000000005, \"001010000000001\",2001,1,aes," KIC ",aes," KID, false,
		   "imsi: a space before the opening quote (column 21)");
	expect_bad("8984010000000000005,\"001010000000001\" ,2001,1,aes," KIC ",aes," KID, false,
		   "imsi: a space after the closing quote (column 38)");
	expect_bad("8984010000000000005,\"001010000000001\"x,2001,1,aes," KIC ",aes," KID, false,
		   "imsi: text after the closing quote");
	expect_bad("8984010000000000005,0010100\"00000001,2001,1,aes," KIC ",aes," KID, false,
		   "imsi: a quote inside an unquoted value (column 28)");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes,\"" KID, false,
		   "kid: a quoted value without its closing quote");
	expect_bad("8984010000000000005,\"00101\r\n00000001\",2001,1,aes," KIC ",aes," KID, false,
		   "imsi: a control or non-ASCII character");
	expect_bad("8984010000000000005,001010000000001,2001,1,\"a\"\"es\"," KIC ",aes," KID, false,
		   "kic_algo: 'a\"es' is not 3des or aes");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes,\"" KIC "\",aes,\"" KID "\"\"\"", false,
		   "kid: not hex");
	expect_bad("\t8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID, false,
		   "iccid: a space before the value (column 1)");
	expect_bad("8984010000000000005,001010000000001,2001,1,aes," KIC ",aes," KID ",1234", true, "kik: 2 bytes");
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	expect_bad(big, false, "longer than 512");
	expect_bad("", false, "1 fields instead of 8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header), cmocka_unit_test(test_records), cmocka_unit_test(test_records_pieces),
		cmocka_unit_test(test_good),   cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
