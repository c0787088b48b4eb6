/* Unit tests of ota-server/holder.c: UTF-8 (characters counted, every ill-formed kind refused, control characters
 * refused), e-mail addresses, the CSV header and records (quoting, spaces, field counts, each field's rule). */
#include <errno.h>
#include <string.h>

#include "holder.h"

#include "unit.h"

static const struct {
	const char *s;
	int chars; /* -EINVAL: refused */
} utf8[] = {
	{ "Nguyễn Thị Minh Khai", 20 },
	{ "Đặc khu Bạch Long Vĩ", 20 },
	{ "A", 1 },
	{ "", 0 },
	{ "\xf0\x9f\x98\x80", 1 },	 /* U+1F600, 4 bytes */
	{ "\xc3\x28", -EINVAL },	 /* a bad continuation */
	{ "\xc0\xaf", -EINVAL },	 /* overlong '/' */
	{ "\xe0\x80\xaf", -EINVAL },	 /* overlong, 3 bytes */
	{ "\xed\xa0\x80", -EINVAL },	 /* a surrogate */
	{ "\xf4\x90\x80\x80", -EINVAL }, /* beyond U+10FFFF */
	{ "\xf5\x80\x80\x80", -EINVAL },
	{ "\x80", -EINVAL },
	{ "\xe1\xba", -EINVAL },  /* cut short */
	{ "a\tb", -EINVAL },	  /* C0 */
	{ "a\x7f", -EINVAL },	  /* DEL */
	{ "a\xc2\x85", -EINVAL }, /* C1 (NEL) */
};

static void test_utf8(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++)
		if (holder_utf8_chars(utf8[i].s, strlen(utf8[i].s)) != utf8[i].chars)
			fail_msg("row %zu: %d, expected %d", i, holder_utf8_chars(utf8[i].s, strlen(utf8[i].s)),
				 utf8[i].chars);
}

static void test_email(void **state)
{
	(void)state;
	assert_true(holder_email_ok("khai@example.vn"));
	assert_true(holder_email_ok("a.b+tag@mail.gov.vn"));
	assert_false(holder_email_ok("a@b"));
	assert_false(holder_email_ok("@example.vn"));
	assert_false(holder_email_ok("a@example.vn."));
	assert_false(holder_email_ok("a@.example.vn"));
	assert_false(holder_email_ok(".a@example.vn"));
	assert_false(holder_email_ok("a..b@example.vn"));
	assert_false(holder_email_ok("a b@example.vn"));
	assert_false(holder_email_ok("a@exa_mple.vn"));
	assert_false(holder_email_ok("a@b@example.vn"));
	assert_false(holder_email_ok("a@-example.vn"));
	assert_false(holder_email_ok("Nguyễn@example.vn"));
}

static const struct {
	const char *rec, *reason; /* reason NULL: accepted */
} lines[] = {
	{ "H-1,Nguyễn Thị Minh Khai,079123456789,10101003,khai@example.vn", NULL },
	{ "H-1,\"Nguyễn, Thị\",079123456789,10101003,", NULL },
	{ "H-1,\"Say \"\"hi\"\"\",1,01,", NULL },
	{ "H-1,A,1,01", "4 fields, expected 5" },
	{ "H-1,A,1,01,,", "more than 5 fields" },
	{ "H-1,A\"B,1,01,", "field 2 (column 6): a quote inside an unquoted field" },
	{ "H-1,\"AB,1,01,", "field 2 (column 5): a quote is not closed" },
	{ "H-1,\"AB\"x,1,01,", "field 2 (column 9): text after the closing quote" },
	{ "H-1, A,1,01,", "field 2 (column 5): begins or ends with a space" },
	{ "H-1,\"A \",1,01,", "field 2 (column 5): begins or ends with a space" },
	{ "H 1,A,1,01,", "id: 1 to 64" },
	{ ",A,1,01,", "id: 1 to 64" },
	{ "H-1,,1,01,", "name: 1 to 128" },
	{ "H-1,Tr\xffn,1,01,", "name: not valid UTF-8" },
	{ "H-1,A,,01,", "id_number: 1 to 32" },
	{ "H-1,A,1,,", "unit: a unit code" },
	{ "H-1,A,1,0123456789012345,", "unit: longer than 15 bytes" },
	{ "H-1,A,1,01,x@y", "email" },
};

static void test_csv(void **state)
{
	struct otad_holder h;
	char reason[200];

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int rc;

		reason[0] = 0;
		rc = holder_csv_line(lines[i].rec, strlen(lines[i].rec), &h, reason, sizeof(reason));
		if (!lines[i].reason) {
			if (rc)
				fail_msg("row %zu refused: %s", i, reason);
			continue;
		}
		if (rc != -EINVAL || !strstr(reason, lines[i].reason))
			fail_msg("row %zu: %d '%s', expected '%s'", i, rc, reason, lines[i].reason);
	}
	assert_int_equal(holder_csv_line(lines[1].rec, strlen(lines[1].rec), &h, reason, sizeof(reason)), 0);
	assert_string_equal(h.name, "Nguyễn, Thị");
	assert_string_equal(h.email, "");
	assert_int_equal(holder_csv_line(lines[2].rec, strlen(lines[2].rec), &h, reason, sizeof(reason)), 0);
	assert_string_equal(h.name, "Say \"hi\"");
	assert_int_equal(holder_csv_header("id,name,id_number,unit,email", 28), 0);
	assert_int_equal(holder_csv_header("\xef\xbb\xbfid,name,id_number,unit,email", 31), 0);
	assert_int_equal(holder_csv_header("\"id\",name,id_number,unit,email", 30), 0);
	assert_int_equal(holder_csv_header("id,name,id_number,unit", 22), -EINVAL);
	assert_int_equal(holder_csv_header("id,name,id_number,unit,mail", 27), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
