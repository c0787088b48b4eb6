/* libFuzzer harness: the relying-party API's answers as simpki-sign reads them (ota-server/rp/rp_json.c). The
 * first input byte picks the parser (certificate, session start, session state, error); the rest is the answer.
 * Checked: an accepted answer's strings end within their buffers and hold what was promised (a PEM certificate, a
 * session id of A-Z a-z 0-9 . _ -, a code of 0 to 9999, printable names, a signature of 1 to RP_SIG_MAX bytes when
 * the result is OK); a refusal has a message and leaves the struct zeroed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rp.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-rp-json: %s\n", what);
	abort();
}

static void check_str(const char *s, size_t max, const char *what)
{
	if (!memchr(s, 0, max))
		die(what);
}

static void check_zero(const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			die("a refused answer left data behind");
}

static void check_printable(const char *s, const char *what)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			die(what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rp_cert_answer c;
	static struct rp_start_answer st;
	static struct rp_session_answer se;
	static struct rp_error_answer e;
	const char *buf = (const char *)data + 1;
	char err[256];
	size_t len;
	int rc;

	if (!size)
		return 0;
	len = size - 1;
	err[0] = '\0';
	switch (data[0] % 4) {
	case 0:
		rc = rp_json_cert(buf, len, &c, err, sizeof(err));
		if (rc) {
			check_zero(&c, sizeof(c));
			break;
		}
		check_str(c.cert_pem, sizeof(c.cert_pem), "cert unterminated");
		if (!strstr(c.cert_pem, "-----BEGIN CERTIFICATE-----") || (c.alg != RP_KEY_EC && c.alg != RP_KEY_RSA))
			die("an accepted certificate answer without a PEM or an algorithm");
		break;
	case 1:
		rc = rp_json_start(buf, len, &st, err, sizeof(err));
		if (rc) {
			check_zero(&st, sizeof(st));
			break;
		}
		check_str(st.session_id, sizeof(st.session_id), "session id unterminated");
		if (!st.session_id[0] ||
		    strspn(st.session_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
			    strlen(st.session_id) ||
		    st.vcode > 9999)
			die("an accepted start answer with a bad session id or code");
		break;
	case 2:
		rc = rp_json_session(buf, len, &se, err, sizeof(err));
		if (rc) {
			check_zero(&se, sizeof(se));
			break;
		}
		check_str(se.result_name, sizeof(se.result_name), "result unterminated");
		check_str(se.sig_alg, sizeof(se.sig_alg), "algorithm unterminated");
		check_str(se.cert_pem, sizeof(se.cert_pem), "cert unterminated");
		check_printable(se.result_name, "result not printable");
		check_printable(se.sig_alg, "algorithm not printable");
		if (se.sig_len > RP_SIG_MAX || (se.complete && se.result == RP_RES_OK && !se.sig_len))
			die("a signature out of bounds, or OK without one");
		if (!se.complete && (se.result_name[0] || se.sig_len))
			die("a running session with a result");
		if (rp_result_exit(se.result) > RP_EXIT_LOCAL)
			die("an exit code out of the list");
		break;
	default:
		rc = rp_json_error(buf, len, &e);
		check_str(e.error, sizeof(e.error), "error unterminated");
		check_str(e.message, sizeof(e.message), "message unterminated");
		check_printable(e.error, "error not printable");
		check_printable(e.message, "message not printable");
		rc = 0;
	}
	if (rc && !err[0])
		die("a refusal without a message");
	return 0;
}
