/* The PKI applet's mobile signatures: the toolkit session a signing request to its toolkit TAR begins
 * (card_toolkit.h; the request and response formats are include/simpki/sign_msg.h's, read and written here with the
 * card API's TLV helpers, as the applet links nothing else).
 *
 *   SMS-PP download: read the request (unreadable: reply BAD_REQUEST with an empty id); the key must exist
 *     (else KEY_UNUSABLE), the PIN be set (else KEY_UNUSABLE) and not blocked (else PIN_BLOCKED, tries 0);
 *     DISPLAY TEXT of the text with the verification code appended in the text's alphabet (wait for the user, high
 *     priority)
 *   DISPLAY TEXT done: GET INPUT "PIN" (digits, SMS alphabet, hidden; PKI_PIN_MIN..PKI_PIN_LEN characters), after a
 *     wrong PIN "Wrong PIN, N tries left. PIN:", in the request's alphabet
 *   GET INPUT done: the PIN (DCS 04, or UCS2 digits) is checked against the user PIN, the same object and try
 *     counter as VERIFY (the OS decrements before it compares, in constant time); wrong with tries left: ask again;
 *     blocked: PIN_BLOCKED, tries 0; right: an RSA key first asks MORE TIME; then sign
 *   sign: P-256 ECDSA over the hash (DER), RSA-2048 PKCS#1 v1.5 over DigestInfo(hash); reply OK with the tries left
 * A TERMINAL RESPONSE of 10 (terminated), 11 (backward move) or 22 (not accepted) ends it with USER_CANCELLED, 12 (no
 * response) with NO_RESPONSE, any other failure with TERMINAL_FAILED. The typed PIN is wiped after use; the session
 * (card_tk_session()) holds the request's id, hash, key and alphabet, never the PIN. Nothing here gives the OTA
 * issuer's authority (pki_ram.issuer): a signature always needs the holder's PIN.
 */
#include <errno.h>
#include <string.h>

#include "pki.h"

enum step {
	STEP_DISPLAY = 1,
	STEP_INPUT = 2,
	STEP_MORE_TIME = 3,
};

struct sign_session {
	uint8_t step;
	uint8_t id_len;
	uint8_t id[8];
	uint8_t hash_alg; /* 1 SHA-256, 2 SHA-384, 3 SHA-512 */
	uint8_t hash_len;
	uint8_t key_ref;
	uint8_t dcs;
	uint8_t hash[64];
};

_Static_assert(sizeof(struct sign_session) <= CARD_TK_SESSION_SIZE, "the session fits the OS's toolkit RAM");

#define DISPLAY_MAX 239
#define RESP_MAX (4 + 10 + 3 + 3 + 4 + CARD_SIG_MAX)

static const uint8_t digest_info[3][19] = {
	{ 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
	  0x20 },
	{ 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
	  0x30 },
	{ 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
	  0x40 },
};

static card_obj_t pin_obj(struct card_ctx *c)
{
	return pki_rd16(pki_root(c) + ROOT_PIN);
}

/* ---- the request and the response ---- */

struct request {
	const uint8_t *text;
	uint32_t text_len;
	const uint8_t *code;
};

static int next_child(const uint8_t **p, uint32_t *left, uint32_t tag, struct card_tlv *t)
{
	if (!*left || card_tlv_parse(*p, *left, t) || t->tag != tag)
		return -EINVAL;
	*p += t->total;
	*left -= t->total;
	return 0;
}

/* Read a request into \a s and \a r (pointers into \a in). \returns 0; -EINVAL */
static int request_decode(const uint8_t *in, uint32_t len, struct sign_session *s, struct request *r)
{
	struct card_tlv outer, t;
	const uint8_t *p;
	uint32_t left, code_bytes;

	if (card_tlv_parse(in, len, &outer) || outer.tag != 0x70 || outer.total != len)
		return -EINVAL;
	p = outer.value;
	left = outer.len;
	if (next_child(&p, &left, 0x80, &t) || !t.len || t.len > sizeof(s->id))
		return -EINVAL;
	memcpy(s->id, t.value, t.len);
	s->id_len = (uint8_t)t.len;
	if (next_child(&p, &left, 0x81, &t) || t.len != 1 || t.value[0] < 1 || t.value[0] > 3)
		return -EINVAL;
	s->hash_alg = t.value[0];
	if (next_child(&p, &left, 0x82, &t) || t.len != 16u + 16u * s->hash_alg)
		return -EINVAL;
	memcpy(s->hash, t.value, t.len);
	s->hash_len = (uint8_t)t.len;
	if (next_child(&p, &left, 0x83, &t) || t.len != 1 || t.value[0] >= PKI_KEY_SLOTS)
		return -EINVAL;
	s->key_ref = t.value[0];
	if (next_child(&p, &left, 0x84, &t) || t.len < 2)
		return -EINVAL;
	s->dcs = t.value[0];
	r->text = t.value + 1;
	r->text_len = t.len - 1;
	if (s->dcs != CARD_TK_DCS_GSM && s->dcs != CARD_TK_DCS_UCS2)
		return -EINVAL;
	if (s->dcs == CARD_TK_DCS_UCS2 && r->text_len % 2)
		return -EINVAL;
	code_bytes = s->dcs == CARD_TK_DCS_UCS2 ? 8 : 4;
	if (r->text_len + code_bytes > DISPLAY_MAX)
		return -EINVAL;
	if (next_child(&p, &left, 0x85, &t) || t.len != 4 || left)
		return -EINVAL;
	for (unsigned i = 0; i < 4; i++) {
		if (t.value[i] < '0' || t.value[i] > '9')
			return -EINVAL;
	}
	r->code = t.value;
	return 0;
}

static uint32_t put(uint8_t *out, uint32_t max, uint32_t tag, const uint8_t *v, uint32_t len)
{
	int h = card_tlv_put_header(out, max, tag, len);

	if (h < 0 || (uint32_t)h + len > max)
		return 0;
	memcpy(out + h, v, len);
	return (uint32_t)h + len;
}

/* End the session with a response: \a tries < 0 leaves the tries out, \a sig only for OK. */
static void reply(struct card_ctx *c, const struct sign_session *s, uint8_t result, int tries, const uint8_t *sig,
		  uint32_t sig_len)
{
	uint8_t body[RESP_MAX], out[RESP_MAX + 4];
	uint8_t r = result, t = (uint8_t)(tries < 0 ? 0 : tries);
	uint32_t n = 0, m;

	n += put(body + n, sizeof(body) - n, 0x80, s->id, s->id_len);
	n += put(body + n, sizeof(body) - n, 0x81, &r, 1);
	if (tries >= 0)
		n += put(body + n, sizeof(body) - n, 0x82, &t, 1);
	if (sig_len)
		n += put(body + n, sizeof(body) - n, 0x83, sig, sig_len);
	m = put(out, sizeof(out), 0x71, body, n);
	card_tk_reply(c, out, m);
}

/* ---- the dialogue ---- */

/* Append the ASCII \a s to \a out in the alphabet \a dcs. \returns the new length */
static uint32_t put_ascii(uint8_t *out, uint32_t n, uint8_t dcs, const char *s)
{
	for (; *s; s++) {
		if (dcs == CARD_TK_DCS_UCS2)
			out[n++] = 0x00;
		out[n++] = (uint8_t)*s; /* letters, digits, space and ".,:" are the same in the GSM alphabet */
	}
	return n;
}

static int ask_pin(struct card_ctx *c, struct sign_session *s, int wrong_tries_left)
{
	uint8_t prompt[80];
	char num[2] = { (char)('0' + (wrong_tries_left % 10)), 0 };
	uint32_t n = 0;

	if (wrong_tries_left > 0) {
		n = put_ascii(prompt, n, s->dcs, "Wrong PIN, ");
		n = put_ascii(prompt, n, s->dcs, num);
		n = put_ascii(prompt, n, s->dcs, wrong_tries_left == 1 ? " try left. PIN:" : " tries left. PIN:");
	} else {
		n = put_ascii(prompt, n, s->dcs, "PIN");
	}
	s->step = STEP_INPUT;
	return card_tk_get_input(c, s->dcs, prompt, n, PKI_PIN_MIN, PKI_PIN_LEN, CARD_TK_INPUT_HIDDEN);
}

static void sign(struct card_ctx *c, struct sign_session *s)
{
	card_obj_t key = pki_key_obj(c, s->key_ref);
	uint8_t in[19 + 64], sig[CARD_SIG_MAX];
	size_t sig_len = sizeof(sig);
	int tries = card_pin_tries_left(c, pin_obj(c)), rc;

	if (card_key_type(c, key) == CARD_KEY_RSA2048) {
		memcpy(in, digest_info[s->hash_alg - 1], 19);
		memcpy(in + 19, s->hash, s->hash_len);
		rc = card_key_sign(c, key, CARD_SIG_RSA_PKCS1, in, 19u + s->hash_len, sig, &sig_len);
	} else {
		rc = card_key_sign(c, key, CARD_SIG_ECDSA_HASH, s->hash, s->hash_len, sig, &sig_len);
	}
	if (rc)
		reply(c, s, PKI_SIGN_KEY_UNUSABLE, tries, NULL, 0);
	else
		reply(c, s, PKI_SIGN_OK, tries, sig, (uint32_t)sig_len);
	card_wipe(in, sizeof(in));
}

/* The PIN the user typed, as the 16-byte padded value VERIFY compares. \returns 0; -EINVAL */
static int typed_pin(const struct card_tk_result *res, uint8_t padded[PKI_PIN_LEN])
{
	uint32_t n = 0;

	memset(padded, 0, PKI_PIN_LEN);
	if (!res->has_text)
		return -EINVAL;
	if (res->dcs == CARD_TK_DCS_GSM) {
		if (res->text_len < PKI_PIN_MIN || res->text_len > PKI_PIN_LEN)
			return -EINVAL;
		memcpy(padded, res->text, res->text_len);
		return 0;
	}
	if (res->dcs != CARD_TK_DCS_UCS2 || res->text_len % 2 || res->text_len / 2 < PKI_PIN_MIN ||
	    res->text_len / 2 > PKI_PIN_LEN)
		return -EINVAL;
	for (uint32_t i = 0; i < res->text_len; i += 2) {
		if (res->text[i] || res->text[i + 1] < '0' || res->text[i + 1] > '9') {
			card_wipe(padded, PKI_PIN_LEN);
			return -EINVAL;
		}
		padded[n++] = res->text[i + 1];
	}
	return 0;
}

static void pin_typed(struct card_ctx *c, struct sign_session *s, const struct card_tk_result *res)
{
	uint8_t padded[PKI_PIN_LEN];
	card_obj_t pin = pin_obj(c);
	int rc, left;

	if (typed_pin(res, padded)) {
		reply(c, s, PKI_SIGN_TERMINAL_FAILED, -1, NULL, 0);
		return;
	}
	rc = card_pin_check(c, pin, padded, PKI_PIN_LEN);
	card_wipe(padded, sizeof(padded));
	if (rc == -EIO)
		return;
	if (rc == -EACCES || rc == -EPERM) {
		left = card_pin_tries_left(c, pin);
		if (left > 0 && rc == -EACCES && !ask_pin(c, s, left))
			return;
		reply(c, s, PKI_SIGN_PIN_BLOCKED, left > 0 ? left : 0, NULL, 0);
		return;
	}
	if (rc) {
		reply(c, s, PKI_SIGN_KEY_UNUSABLE, -1, NULL, 0);
		return;
	}
	if (card_key_type(c, pki_key_obj(c, s->key_ref)) == CARD_KEY_RSA2048) {
		s->step = STEP_MORE_TIME; /* an RSA-2048 signature takes a real SIM a while */
		if (!card_tk_more_time(c))
			return;
	}
	sign(c, s);
}

static void download(struct card_ctx *c, struct sign_session *s, const uint8_t *data, uint32_t len)
{
	uint8_t text[DISPLAY_MAX];
	struct request r;
	card_obj_t pin = pin_obj(c);
	uint32_t n;
	int tries;

	if (request_decode(data, len, s, &r)) {
		s->id_len = 0;
		reply(c, s, PKI_SIGN_BAD_REQUEST, -1, NULL, 0);
		return;
	}
	if (card_key_type(c, pki_key_obj(c, s->key_ref)) == CARD_KEY_NONE || pki_state(c) != PKI_STATE_OPERATIONAL ||
	    !pin || !card_pin_is_set(c, pin)) {
		reply(c, s, PKI_SIGN_KEY_UNUSABLE, -1, NULL, 0);
		return;
	}
	tries = card_pin_tries_left(c, pin);
	if (tries <= 0) {
		reply(c, s, PKI_SIGN_PIN_BLOCKED, 0, NULL, 0);
		return;
	}
	memcpy(text, r.text, r.text_len);
	n = r.text_len;
	for (unsigned i = 0; i < 4; i++) {
		if (s->dcs == CARD_TK_DCS_UCS2)
			text[n++] = 0x00;
		text[n++] = r.code[i];
	}
	s->step = STEP_DISPLAY;
	if (card_tk_display_text(c, s->dcs, text, n, CARD_TK_DISPLAY_WAIT_USER | CARD_TK_DISPLAY_HIGH_PRIORITY))
		reply(c, s, PKI_SIGN_TERMINAL_FAILED, -1, NULL, 0);
}

/* The sign_result for a TERMINAL RESPONSE that was not a success. */
static uint8_t failure(uint8_t general)
{
	switch (general) {
	case CARD_TK_RESULT_USER_TERMINATED:
	case CARD_TK_RESULT_BACKWARD_MOVE:
	case CARD_TK_RESULT_USER_DID_NOT_ACCEPT:
		return PKI_SIGN_USER_CANCELLED;
	case CARD_TK_RESULT_NO_RESPONSE:
		return PKI_SIGN_NO_RESPONSE;
	default:
		return PKI_SIGN_TERMINAL_FAILED;
	}
}

int pki_event(struct card_ctx *c, struct card_event_data *ev)
{
	struct sign_session *s = card_tk_session(c);
	const struct card_tk_result *res = ev->tk;

	if (!s)
		return SW_CONDITIONS_NOT_SATISFIED;
	if (ev->event == CARD_EVENT_SMS_PP_DOWNLOAD) {
		download(c, s, ev->data, ev->len);
		return SW_OK;
	}
	if (ev->event != CARD_EVENT_PROACTIVE_DONE || !res)
		return SW_CONDITIONS_NOT_SATISFIED;
	if (s->step == STEP_MORE_TIME) {
		sign(c, s); /* whether the terminal gave more time or not */
		return SW_OK;
	}
	if (res->general >= 0x10) {
		reply(c, s, failure(res->general), -1, NULL, 0);
		return SW_OK;
	}
	if (s->step == STEP_DISPLAY && res->type == CARD_TK_DISPLAY_TEXT) {
		if (ask_pin(c, s, 0))
			reply(c, s, PKI_SIGN_TERMINAL_FAILED, -1, NULL, 0);
	} else if (s->step == STEP_INPUT && res->type == CARD_TK_GET_INPUT) {
		pin_typed(c, s, res);
	} else {
		reply(c, s, PKI_SIGN_TERMINAL_FAILED, -1, NULL, 0);
	}
	return SW_OK;
}
