/* Unit tests of the enrolment's over-the-air scripts (ota-server/enrol/enrol_script.c): the read, load and verify
 * scripts parse as expanded scripts with the commands enrol_script.h lists; their responses are read right (the
 * key's iD from the PrKDF, the CDF's end and a free FID, the SIM's request, the certificate read back), and every
 * bad case is refused with its reason: no applet, no such key, a full directory file, the SIM's refusal (6985),
 * a failed or cut load, a certificate that differs. Also the subject Name keeps Vietnamese intact. */
#include <errno.h>
#include <string.h>

#include <openssl/x509.h>

#include <simpki/pkcs15.h>
#include <simpki/rapdu.h>

#include "enrol.h"
#include "enrol_script.h"
#include "unit.h"

static const uint8_t subject[] = { 0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55,
				   0x04, 0x03, 0x0c, 0x04, 'T',	 'e',  's',  't' };

/* A PrKDF with key 2 (iD 02) and a CDF with one certificate at 3400 (iD 01), padded with zeros to 256. */
static void dfs(uint8_t prkdf[256], uint8_t cdf[256], bool cdf_has_key2)
{
	struct p15_object k = { .type = P15_EC, .id = { 2 }, .id_len = 1, .key_ref = 2, .bits = 256 };
	struct p15_object c = { .id = { 1 }, .id_len = 1, .key_ref = -1 };
	int n, m = 0;

	memset(prkdf, 0, 256);
	memset(cdf, 0, 256);
	k.path = (struct p15_path){ .b = { 0x3f, 0x00, 0x50, 0x15 }, .len = 4 };
	strcpy(k.label, "key 2");
	n = p15_encode_private_key(&k, prkdf, 256);
	assert_true(n > 0);
	c.path = (struct p15_path){ .b = { 0x3f, 0x00, 0x50, 0x15, 0x34, 0x00 }, .len = 6 };
	n = p15_encode_certificate(&c, cdf, 256);
	assert_true(n > 0);
	if (cdf_has_key2) {
		c.id[0] = 2;
		c.path.b[5] = 0x01;
		m = p15_encode_certificate(&c, cdf + n, 256 - (size_t)n);
		assert_true(m > 0);
	}
}

static int response(const struct rapdu_result *r, size_t n, uint8_t *out, size_t max)
{
	int len = rapdu_expanded_response(r, n, out, max);

	assert_true(len > 0);
	return len;
}

static void test_read(void **state)
{
	uint8_t script[ENROL_SCRIPT_MAX], prkdf[256], cdf[256], rsp[2048], csr[300];
	struct apdu_cmd cmds[RAPDU_MAX_COMMANDS];
	struct rapdu_result r[4];
	struct enrol_view v;
	const uint8_t *got;
	size_t n, got_len;
	char why[160];
	int len;

	(void)state;
	len = enrol_script_read(script, sizeof(script));
	assert_true(len > 0);
	assert_int_equal(rapdu_expanded_parse(script, (size_t)len, cmds, RAPDU_MAX_COMMANDS, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(cmds[0].ins, 0xa4);
	assert_int_equal(cmds[0].p1, 0x00);
	assert_int_equal(cmds[1].ins, 0xb0);
	assert_int_equal(cmds[3].ins, 0xb0);
	assert_int_equal(enrol_script_read(script, 20), -E2BIG);

	dfs(prkdf, cdf, false);
	r[0] = (struct rapdu_result){ .sw = 0x9000 };
	r[1] = (struct rapdu_result){ .sw = 0x9000, .data = prkdf, .len = 256 };
	r[2] = (struct rapdu_result){ .sw = 0x9000 };
	r[3] = (struct rapdu_result){ .sw = 0x9000, .data = cdf, .len = 256 };
	len = response(r, 4, rsp, sizeof(rsp));
	assert_int_equal(enrol_read_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)), 0);
	assert_int_equal(v.key.id_len, 1);
	assert_int_equal(v.key.id[0], 2);
	assert_int_equal(v.key.key_ref, 2);
	assert_int_equal(v.cert_fid, 0x3401);
	assert_int_equal(v.cdf_used, p15_used(cdf, 256));
	assert_false(v.key_certified);
	/* no key with iD 3 */
	assert_int_equal(enrol_read_parse(rsp, (size_t)len, 3, &v, why, sizeof(why)), -ENOENT);
	/* the key has a certificate listed; the next FID */
	dfs(prkdf, cdf, true);
	len = response(r, 4, rsp, sizeof(rsp));
	assert_int_equal(enrol_read_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)), 0);
	assert_true(v.key_certified);
	assert_int_equal(v.cert_fid, 0x3402);
	/* an entry cut by the read, or no padding: no offset is guessed */
	memset(cdf + 200, 0x30, 56);
	len = response(r, 4, rsp, sizeof(rsp));
	assert_int_equal(enrol_read_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)), -EFBIG);
	memset(cdf, 0x30, 256);
	len = response(r, 4, rsp, sizeof(rsp));
	assert_int_equal(enrol_read_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)), -EFBIG);
	/* no PKCS#15 structure: the script stopped at its first command */
	r[0] = (struct rapdu_result){ .sw = 0x6a82 };
	len = response(r, 1, rsp, sizeof(rsp));
	assert_int_equal(enrol_read_parse(rsp, (size_t)len, 2, &v, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "no PKCS#15 structure"));
	/* not a response at all */
	assert_int_equal(enrol_read_parse((const uint8_t *)"\x01\x90\x00", 3, 2, &v, why, sizeof(why)), -EBADMSG);

	/* the csr script: the subject as sent, extended Le */
	len = enrol_script_csr(2, subject, sizeof(subject), script, sizeof(script));
	assert_true(len > 0);
	assert_int_equal(rapdu_expanded_parse(script, (size_t)len, cmds, RAPDU_MAX_COMMANDS, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cmds[0].ins, 0x4c);
	assert_int_equal(cmds[0].p2, 2);
	assert_int_equal(cmds[0].lc, sizeof(subject));
	assert_memory_equal(cmds[0].data, subject, sizeof(subject));
	assert_true(cmds[0].extended);
	assert_int_equal(enrol_script_csr(16, subject, sizeof(subject), script, sizeof(script)), -EINVAL);
	assert_int_equal(enrol_script_csr(2, subject + 1, sizeof(subject) - 1, script, sizeof(script)), -EINVAL);
	assert_int_equal(enrol_script_csr(2, subject, sizeof(subject), script, 20), -E2BIG);
	memset(csr, 0x11, sizeof(csr));
	csr[0] = 0x30;
	r[0] = (struct rapdu_result){ .sw = 0x9000, .data = csr, .len = sizeof(csr) };
	len = response(r, 1, rsp, sizeof(rsp));
	assert_int_equal(enrol_csr_parse(rsp, (size_t)len, &got, &got_len, why, sizeof(why)), 0);
	assert_int_equal(got_len, sizeof(csr));
	assert_memory_equal(got, csr, sizeof(csr));
	/* the SIM refuses: the key has a certificate */
	r[0] = (struct rapdu_result){ .sw = 0x6985 };
	len = response(r, 1, rsp, sizeof(rsp));
	assert_int_equal(enrol_csr_parse(rsp, (size_t)len, &got, &got_len, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "6985: the key has a certificate"));
}

static void test_load_verify(void **state)
{
	struct p15_object key = { .id = { 2 }, .id_len = 1, .key_ref = 2 };
	uint8_t cert[700], script[ENROL_SCRIPT_MAX], rsp[2048];
	struct apdu_cmd cmds[RAPDU_MAX_COMMANDS];
	struct rapdu_result r[RAPDU_MAX_COMMANDS];
	char why[160];
	size_t n, i, off;
	int len;

	(void)state;
	for (i = 0; i < sizeof(cert); i++)
		cert[i] = (uint8_t)i;
	len = enrol_script_load(&key, 0x3401, 40, "signing", cert, sizeof(cert), script, sizeof(script));
	assert_true(len > 0);
	assert_int_equal(rapdu_expanded_parse(script, (size_t)len, cmds, RAPDU_MAX_COMMANDS, &n), 0);
	assert_int_equal(n, enrol_load_commands(sizeof(cert)));
	assert_int_equal(cmds[1].ins, 0xe0);
	for (i = 3, off = 0; off < sizeof(cert); i++, off += ENROL_CHUNK) {
		assert_int_equal(cmds[i].ins, 0xd6);
		assert_int_equal(cmds[i].p1 << 8 | cmds[i].p2, off);
		assert_memory_equal(cmds[i].data, cert + off, cmds[i].lc);
	}
	assert_int_equal(cmds[n - 1].ins, 0xd6);
	assert_int_equal(cmds[n - 1].p2, 40);
	assert_int_equal(enrol_script_load(&key, 0x3401, 40, "x", cert, ENROL_CERT_MAX + 1, script, sizeof(script)),
			 -EINVAL);
	/* every command 9000: loaded; the CREATE refused: the FID is taken; cut short: not loaded */
	for (i = 0; i < n; i++)
		r[i] = (struct rapdu_result){ .sw = 0x9000 };
	len = response(r, n, rsp, sizeof(rsp));
	assert_int_equal(enrol_load_parse(rsp, (size_t)len, sizeof(cert), why, sizeof(why)), 0);
	r[1].sw = 0x6984;
	len = response(r, 2, rsp, sizeof(rsp));
	assert_int_equal(enrol_load_parse(rsp, (size_t)len, sizeof(cert), why, sizeof(why)), -EIO);
	assert_non_null(strstr(why, "exists already"));
	r[1].sw = 0x9000;
	len = response(r, n - 1, rsp, sizeof(rsp));
	assert_int_equal(enrol_load_parse(rsp, (size_t)len, sizeof(cert), why, sizeof(why)), -EIO);

	/* verify: three reads of 256, 256, 188 */
	len = enrol_script_verify(0x3401, sizeof(cert), script, sizeof(script));
	assert_int_equal(rapdu_expanded_parse(script, (size_t)len, cmds, RAPDU_MAX_COMMANDS, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(cmds[3].ne, sizeof(cert) - 512);
	r[0] = (struct rapdu_result){ .sw = 0x9000 };
	r[1] = (struct rapdu_result){ .sw = 0x9000, .data = cert, .len = 256 };
	r[2] = (struct rapdu_result){ .sw = 0x9000, .data = cert + 256, .len = 256 };
	r[3] = (struct rapdu_result){ .sw = 0x9000, .data = cert + 512, .len = sizeof(cert) - 512 };
	len = response(r, 4, rsp, sizeof(rsp));
	assert_int_equal(enrol_verify_parse(rsp, (size_t)len, cert, sizeof(cert), why, sizeof(why)), 0);
	cert[600] ^= 1;
	assert_int_equal(enrol_verify_parse(rsp, (size_t)len, cert, sizeof(cert), why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "differs"));
	r[0].sw = 0x6a82;
	len = response(r, 1, rsp, sizeof(rsp));
	assert_int_equal(enrol_verify_parse(rsp, (size_t)len, cert, sizeof(cert), why, sizeof(why)), -ENOENT);
}

static void test_subject(void **state)
{
	struct enrol_subject s = { .cn = "Nguyễn Thị Minh Khai",
				   .serial_number = "001234567890",
				   .ou = "Phường Ba Đình",
				   .st = "Thành phố Hà Nội",
				   .o = "Bộ Nội vụ",
				   .c = "VN" };
	uint8_t der[512];
	const uint8_t *p = der;
	X509_NAME *n;
	char cn[128];
	int len;

	(void)state;
	len = enrol_subject_der(&s, der, sizeof(der));
	assert_true(len > 0);
	n = d2i_X509_NAME(NULL, &p, len);
	assert_non_null(n);
	assert_int_equal(X509_NAME_get_text_by_NID(n, NID_commonName, cn, sizeof(cn)), (int)strlen(s.cn));
	assert_string_equal(cn, s.cn);
	X509_NAME_free(n);
	assert_int_equal(enrol_subject_der(&s, der, 10), -E2BIG);
	s.cn = "";
	assert_int_equal(enrol_subject_der(&s, der, sizeof(der)), -EINVAL);
	s.cn = "A";
	s.c = "VNM";
	assert_int_equal(enrol_subject_der(&s, der, sizeof(der)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_load_verify),
		cmocka_unit_test(test_subject),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
