/* The relying-party API's answers read into bounded structs (jansson), each field checked for its type and length
 * (nothing of the answer is kept beyond its buffer; a string with a NUL or a control character is refused where it
 * would be printed), and the request bodies written. Pure: what unit-rp and fuzz-rp-json test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "apiclient.h"
#include "rp.h"

static json_t *load(const char *buf, size_t len, char *err, size_t err_len)
{
	json_error_t je;
	json_t *j;

	if (len > RP_ANSWER_MAX) {
		apiclient_bad(err, err_len, "an answer of more than %d bytes", RP_ANSWER_MAX);
		return NULL;
	}
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		apiclient_bad(err, err_len, "not JSON (%.80s)", je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		apiclient_bad(err, err_len, "not a JSON object");
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A string field into \a out (at most \a max - 1 bytes, no NUL inside; \a printable: ASCII 0x20..0x7e only).
 * \returns 0; -ENOENT when absent or null; -EINVAL */
static int str(const json_t *o, const char *key, char *out, size_t max, bool printable, char *err, size_t len)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	if (!v || json_is_null(v))
		return -ENOENT;
	if (!json_is_string(v))
		return apiclient_bad(err, len, "\"%s\" is not a string", key);
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= max)
		return apiclient_bad(err, len, "\"%s\" is longer than %zu bytes", key, max - 1);
	if (strlen(s) != n)
		return apiclient_bad(err, len, "\"%s\" holds a NUL", key);
	if (printable)
		for (size_t i = 0; i < n; i++)
			if (s[i] < 0x20 || s[i] > 0x7e)
				return apiclient_bad(err, len, "\"%s\" holds a character that is not printable ASCII",
						     key);
	memcpy(out, s, n + 1);
	return 0;
}

static int need_str(const json_t *o, const char *key, char *out, size_t max, bool printable, char *err, size_t len)
{
	int rc = str(o, key, out, max, printable, err, len);

	if (rc == -ENOENT)
		return apiclient_bad(err, len, "\"%s\" is missing", key);
	return rc;
}

/* A PEM certificate's text: a BEGIN CERTIFICATE line, printable ASCII and line ends. */
static int pem_ok(const char *key, const char *pem, char *err, size_t len)
{
	if (!strstr(pem, "-----BEGIN CERTIFICATE-----"))
		return apiclient_bad(err, len, "\"%s\" is not a PEM certificate", key);
	for (const char *p = pem; *p; p++)
		if ((*p < 0x20 || *p > 0x7e) && *p != '\n' && *p != '\r' && *p != '\t')
			return apiclient_bad(err, len, "\"%s\" is not a PEM certificate", key);
	return 0;
}

int rp_json_cert(const char *buf, size_t len, struct rp_cert_answer *a, char *err, size_t err_len)
{
	json_t *j = load(buf, len, err, err_len);
	char result[RP_NAME_MAX], alg[RP_NAME_MAX];
	int rc;

	memset(a, 0, sizeof(*a));
	if (!j)
		return -EINVAL;
	rc = need_str(j, "result", result, sizeof(result), true, err, err_len);
	if (!rc && strcmp(result, "OK"))
		rc = apiclient_bad(err, err_len, "\"result\" is %s, not OK", result);
	if (!rc)
		rc = need_str(j, "cert", a->cert_pem, sizeof(a->cert_pem), false, err, err_len);
	if (!rc)
		rc = pem_ok("cert", a->cert_pem, err, err_len);
	if (!rc)
		rc = need_str(j, "keyAlgorithm", alg, sizeof(alg), true, err, err_len);
	if (!rc) {
		if (!strcmp(alg, "EC"))
			a->alg = RP_KEY_EC;
		else if (!strcmp(alg, "RSA"))
			a->alg = RP_KEY_RSA;
		else
			rc = apiclient_bad(err, err_len, "\"keyAlgorithm\" is %s, not EC or RSA", alg);
	}
	json_decref(j);
	if (rc)
		memset(a, 0, sizeof(*a));
	return rc;
}

static bool session_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int rp_json_start(const char *buf, size_t len, struct rp_start_answer *a, char *err, size_t err_len)
{
	json_t *j = load(buf, len, err, err_len), *v;
	int rc;

	memset(a, 0, sizeof(*a));
	if (!j)
		return -EINVAL;
	rc = need_str(j, "sessionID", a->session_id, sizeof(a->session_id), true, err, err_len);
	if (!rc && !session_id_ok(a->session_id))
		rc = apiclient_bad(err, err_len, "\"sessionID\" is not 1 to %d of A-Z a-z 0-9 . _ -",
				   RP_SESSION_ID_MAX);
	v = json_object_get(j, "verificationCode");
	if (rc) {
	} else if (!v) {
		rc = apiclient_bad(err, err_len, "\"verificationCode\" is missing");
	} else if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || json_integer_value(v) > 9999)
			rc = apiclient_bad(err, err_len, "\"verificationCode\" is not 0 to 9999");
		else
			a->vcode = (unsigned)json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (json_string_length(v) != 4 || strspn(s, "0123456789") != 4)
			rc = apiclient_bad(err, err_len, "\"verificationCode\" is not 4 digits");
		else
			a->vcode = (unsigned)atoi(s);
	} else {
		rc = apiclient_bad(err, err_len, "\"verificationCode\" is neither a number nor a string");
	}
	json_decref(j);
	if (rc)
		memset(a, 0, sizeof(*a));
	return rc;
}

int rp_json_session(const char *buf, size_t len, struct rp_session_answer *a, char *err, size_t err_len)
{
	json_t *j = load(buf, len, err, err_len), *sig;
	char state[RP_NAME_MAX], b64[(RP_SIG_MAX + 2) / 3 * 4 + 1];
	int rc, n;
	size_t b64_len;

	memset(a, 0, sizeof(*a));
	if (!j)
		return -EINVAL;
	rc = need_str(j, "state", state, sizeof(state), true, err, err_len);
	if (rc)
		goto out;
	if (!strcmp(state, "RUNNING"))
		goto out;
	if (strcmp(state, "COMPLETE")) {
		rc = apiclient_bad(err, err_len, "\"state\" is %s, not RUNNING or COMPLETE", state);
		goto out;
	}
	a->complete = true;
	rc = need_str(j, "result", a->result_name, sizeof(a->result_name), true, err, err_len);
	if (rc)
		goto out;
	a->result = rp_result_parse(a->result_name);
	rc = str(j, "cert", a->cert_pem, sizeof(a->cert_pem), false, err, err_len);
	if (rc == -ENOENT)
		rc = 0;
	else if (!rc)
		rc = pem_ok("cert", a->cert_pem, err, err_len);
	if (rc)
		goto out;
	sig = json_object_get(j, "signature");
	if (!sig || json_is_null(sig)) {
		if (a->result == RP_RES_OK)
			rc = apiclient_bad(err, err_len, "result OK without a \"signature\"");
		goto out;
	}
	if (!json_is_object(sig)) {
		rc = apiclient_bad(err, err_len, "\"signature\" is not an object");
		goto out;
	}
	rc = str(sig, "algorithm", a->sig_alg, sizeof(a->sig_alg), true, err, err_len);
	if (rc == -ENOENT)
		rc = 0;
	if (!rc)
		rc = need_str(sig, "value", b64, sizeof(b64), true, err, err_len);
	if (rc) {
		if (strstr(err, "longer than"))
			apiclient_bad(err, err_len, "\"signature\".\"value\" is longer than %d bytes", RP_SIG_MAX);
		goto out;
	}
	b64_len = strlen(b64);
	if (!b64_len || b64_len % 4 ||
	    strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != b64_len) {
		rc = apiclient_bad(err, err_len, "\"signature\".\"value\" is not base64");
		goto out;
	}
	{
		uint8_t tmp[(RP_SIG_MAX + 2) / 3 * 3];

		size_t pad = 0;

		while (pad < b64_len && b64[b64_len - 1 - pad] == '=')
			pad++;
		if (pad > 2 || strcspn(b64, "=") != b64_len - pad) {
			rc = apiclient_bad(err, err_len, "\"signature\".\"value\" is not base64");
			goto out;
		}
		n = EVP_DecodeBlock(tmp, (const unsigned char *)b64, (int)b64_len);
		if (n < 0) {
			rc = apiclient_bad(err, err_len, "\"signature\".\"value\" is not base64");
			goto out;
		}
		n -= (int)pad; /* EVP_DecodeBlock counts the padding as zero bytes */
		if (n <= 0 || n > RP_SIG_MAX) {
			rc = apiclient_bad(err, err_len, "\"signature\".\"value\" is not 1 to %d bytes", RP_SIG_MAX);
			goto out;
		}
		memcpy(a->sig, tmp, (size_t)n);
		a->sig_len = (size_t)n;
	}
out:
	json_decref(j);
	if (rc)
		memset(a, 0, sizeof(*a));
	return rc;
}

int rp_json_error(const char *buf, size_t len, struct rp_error_answer *a)
{
	char err[8];
	json_t *j = load(buf, len, err, sizeof(err));
	json_t *e;

	memset(a, 0, sizeof(*a));
	if (!j)
		return -EINVAL;
	e = json_object_get(j, "error");
	if (json_is_object(e)) { /* {"error": {"code", "message"}}, as the operator API has it */
		str(e, "code", a->error, sizeof(a->error), true, err, sizeof(err));
		str(e, "message", a->message, sizeof(a->message), true, err, sizeof(err));
	} else {
		str(j, "error", a->error, sizeof(a->error), true, err, sizeof(err));
	}
	if (!a->message[0] && str(j, "message", a->message, sizeof(a->message), true, err, sizeof(err)))
		a->message[0] = '\0';
	if (!a->error[0] && str(j, "error", a->error, sizeof(a->error), true, err, sizeof(err)))
		a->error[0] = '\0';
	json_decref(j);
	return 0;
}

static char *dump(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	return s;
}

/* The signer: {"phoneNumber"} or {"holderId"}. \returns 0; -ENOMEM */
static int who(json_t *o, const struct rp_cmdline *cl)
{
	if (cl->phone)
		return json_object_set_new(o, "phoneNumber", json_string(cl->phone)) ? -ENOMEM : 0;
	return json_object_set_new(o, "holderId", json_string(cl->holder)) ? -ENOMEM : 0;
}

char *rp_body_certificate(const struct rp_cmdline *cl)
{
	json_t *o = json_object();

	if (o && who(o, cl)) {
		json_decref(o);
		return NULL;
	}
	return dump(o);
}

char *rp_body_signature(const struct rp_cmdline *cl, const uint8_t hash[32])
{
	json_t *o = json_object();
	char b64[45];

	EVP_EncodeBlock((unsigned char *)b64, hash, 32);
	if (!o || who(o, cl) || json_object_set_new(o, "hash", json_string(b64)) ||
	    json_object_set_new(o, "hashType", json_string("SHA256")) ||
	    (cl->text && json_object_set_new(o, "displayText", json_string(cl->text))) ||
	    json_object_set_new(o, "language", json_string(cl->language ? cl->language : "VIE"))) {
		json_decref(o);
		return NULL;
	}
	return dump(o);
}

char *rp_json_result(const char *session_id, int vcode, const char *result, const char *out)
{
	json_t *o = json_object();
	char code[8];

	snprintf(code, sizeof(code), "%04d", vcode >= 0 ? vcode % 10000 : 0);
	if (!o || json_object_set_new(o, "sessionID", session_id ? json_string(session_id) : json_null()) ||
	    json_object_set_new(o, "verificationCode", vcode >= 0 ? json_string(code) : json_null()) ||
	    json_object_set_new(o, "result", json_string(result)) ||
	    json_object_set_new(o, "output", out ? json_string(out) : json_null())) {
		json_decref(o);
		return NULL;
	}
	return dump(o);
}
