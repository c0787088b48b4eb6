/* Mobile signatures on the device side, without a server: a secured signing request (sign_msg.h, TS 102 225 with
 * ciphering, CC, counter, PoR by SMS-SUBMIT) to the PKI applet's toolkit TAR 534947, through the phone's SIM code
 * (phone_sim.c) and the card OS's toolkit runtime (toolkit.c), the user played by the test: approve, reject (TERMINAL
 * RESPONSE 10, 11, 22), a wrong PIN then the right one (the tries shown once), three wrong PINs (PIN_BLOCKED, then
 * at once for the next request), no answer (12), a Vietnamese text in UCS2, an RSA-2048 key (MORE TIME, a
 * concatenated PoR), a bad request and a missing key. Each PoR is decoded with ota_response_decode() and each
 * signature verified with the public key the card gave at generation. On the bare card (APDUs, no phone): the
 * proactive commands' bytes, and TERMINAL RESPONSEs that are refused without a change (none pending, wrong number,
 * type or qualifier, malformed, no result), 9300 for a second download while the session lasts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <simpki/hex.h>
#include <simpki/ota.h>
#include <simpki/pki_applet.h>
#include <simpki/sign_msg.h>
#include <simpki/sms.h>

#include "phone_sim.h"

#include "unit.h"

#define KIC "000102030405060708090A0B0C0D0E0F"
#define KID "101112131415161718191A1B1C1D1E1F"

static const char manifest[] = "applet pki aid F276A288BCFBA69D34F31001 ram 1024 nvm 131072 tar 504B49 msl 16\n"
			       "toolkit pki tar 534947 msl 16\n"
			       "ota-key 1 aes " KIC " " KID "\n";
static const uint8_t sig_tar[3] = { PKI_SIGN_TAR_BYTES };
static const uint8_t smsc[] = { 0x91, 0x21, 0x43 };

/* what the simulated user does */
enum answer {
	APPROVE,
	REJECT,
	NONE
};

struct world {
	char dir[64];
	struct phone_sim *sim;
	uint8_t ec_q[65];
	uint8_t rsa_n[256];
	uint64_t cntr;
	/* the user */
	enum answer answer;
	uint8_t reject_result;
	const char *pins[4];
	unsigned npins, pin_at;
	/* what the phone saw */
	bool prompt_waits;
	struct phone_sim_prompt prompt;
	char screens[8][PHONE_SIM_TEXT_MAX];
	bool screen_input[8];
	unsigned nscreens;
	uint8_t parts[8][SMS_MAX_UD];
	size_t part_len[8];
	unsigned nparts;
	bool sms_waits;
	unsigned traced_tr; /* TERMINAL RESPONSEs traced */
	bool traced_pin;    /* a traced command held the PIN typed (1234) */
	bool traced_mask;   /* a traced TERMINAL RESPONSE held "****" instead */
};

static struct world world;

static void send_sms(void *priv, const uint8_t *tpdu, size_t len)
{
	struct world *w = priv;
	struct sms_tpdu t;

	assert_int_equal(sms_tpdu_decode(tpdu, len, &t), 0);
	assert_true(t.submit);
	assert_true(w->nparts < 8);
	memcpy(w->parts[w->nparts], t.ud, t.udl);
	w->part_len[w->nparts++] = t.udl;
	w->sms_waits = true;
}

static void prompt(void *priv, const struct phone_sim_prompt *p)
{
	struct world *w = priv;

	w->prompt = *p;
	w->prompt_waits = true;
	assert_true(w->nscreens < 8);
	strcpy(w->screens[w->nscreens], p->text);
	w->screen_input[w->nscreens++] = p->input;
}

/* The phone's APDU trace (GSMTAP in simpki-phone): the PIN typed at a hidden GET INPUT must not be in it. */
static void trace(void *priv, const uint8_t *cmd, size_t cmd_len, const uint8_t *rsp, size_t rsp_len)
{
	struct world *w = priv;

	(void)rsp, (void)rsp_len;
	if (cmd_len < 5 || cmd[1] != 0x14)
		return;
	w->traced_tr++;
	for (size_t i = 0; i + 4 <= cmd_len; i++) {
		w->traced_pin |= !memcmp(cmd + i, "1234", 4);
		w->traced_mask |= !memcmp(cmd + i, "****", 4);
	}
}

static const struct phone_sim_ops ops = { .send_sms = send_sms, .prompt = prompt, .trace = trace };

/* ---- the card ---- */

static uint16_t apdu(struct card_os *os, const char *hex, uint8_t *out, size_t *out_len)
{
	uint8_t cmd[600], rsp[CARD_RESP_MAX + 2];
	size_t rlen;
	int n = hex_decode(hex, cmd, sizeof(cmd));

	assert_true(n > 0);
	assert_int_equal(card_os_transmit(os, cmd, (size_t)n, rsp, sizeof(rsp), &rlen), 0);
	if (out) {
		memcpy(out, rsp, rlen - 2);
		*out_len = rlen - 2;
	}
	return (uint16_t)(rsp[rlen - 2] << 8 | rsp[rlen - 1]);
}

/* Find \a tag (one byte) after the 7F49 header of a public key template. */
static const uint8_t *find_in_7f49(const uint8_t *b, size_t len, uint8_t tag, size_t *vlen)
{
	size_t i = b[2] == 0x82 ? 5 : b[2] == 0x81 ? 4 : 3;

	while (i + 2 <= len) {
		size_t l = b[i + 1], h = 2;

		if (l == 0x81) {
			l = b[i + 2];
			h = 3;
		} else if (l == 0x82) {
			l = (size_t)(b[i + 2] << 8 | b[i + 3]);
			h = 4;
		}
		if (b[i] == tag) {
			*vlen = l;
			return b + i + h;
		}
		i += h + l;
	}
	return NULL;
}

static int setup_card(void **state)
{
	struct world *w = &world;
	struct card_identity id = { .iccid = "8988211000000430010", .imsi = "001010000000001" };
	struct nvm_store *s;
	struct card_os *os;
	uint8_t atr[40], out[CARD_RESP_MAX], params_hex_buf[2 * PKI_P256_PARAMS_LEN + 1];
	char cmd[1200], err[256];
	const uint8_t *v;
	size_t n, vl;

	memset(w, 0, sizeof(*w));
	strcpy(w->dir, "/tmp/simpki-sign-card.XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	assert_int_equal(card_os_build(manifest, &id, &s, err, sizeof(err)), 0);
	assert_int_equal(card_os_open(s, &os), 0);
	assert_true(card_os_power_on(os, atr, sizeof(atr)) > 0);
	assert_int_equal(apdu(os, "00A404000CF276A288BCFBA69D34F31001", NULL, NULL), 0x9000);
	assert_int_equal(apdu(os, "002401010431323334", NULL, NULL), 0x9000); /* PIN 1234: operational */
	assert_int_equal(apdu(os, "002000010431323334", NULL, NULL), 0x9000);
	/* key 00: P-256 */
	assert_int_equal(apdu(os,
			      "0022410006"
			      "8001EC"
			      "840100",
			      NULL, NULL),
			 0x9000);
	hex_encode(pki_p256_params, PKI_P256_PARAMS_LEN, (char *)params_hex_buf, sizeof(params_hex_buf));
	snprintf(cmd, sizeof(cmd), "0046000000%04X%s0000", PKI_P256_PARAMS_LEN, (char *)params_hex_buf);
	assert_int_equal(apdu(os, cmd, out, &n), 0x9000);
	v = find_in_7f49(out, n, 0x86, &vl);
	assert_non_null(v);
	assert_int_equal(vl, 65);
	memcpy(w->ec_q, v, 65);
	/* key 01: RSA-2048 */
	assert_int_equal(apdu(os,
			      "0022410006"
			      "8001F3"
			      "840101",
			      NULL, NULL),
			 0x9000);
	assert_int_equal(apdu(os, "00464200000000", out, &n), 0x9000);
	v = find_in_7f49(out, n, 0x81, &vl);
	assert_non_null(v);
	assert_int_equal(vl, 256);
	memcpy(w->rsa_n, v, 256);
	card_os_close(os);
	assert_int_equal(card_os_save_dir(s, w->dir, true), 0);
	nvm_store_free(s);
	w->cntr = 1;
	*state = w;
	return 0;
}

static int teardown_card(void **state)
{
	struct world *w = *state;
	char path[128];

	if (w->sim)
		phone_sim_close(w->sim);
	w->sim = NULL;
	snprintf(path, sizeof(path), "%s/card.img", w->dir);
	unlink(path);
	rmdir(w->dir);
	return 0;
}

static int setup_phone(void **state)
{
	setup_card(state);
	assert_int_equal(phone_sim_open(NULL, world.dir, &ops, &world, &world.sim), 0);
	return 0;
}

/* ---- packets ---- */

static struct ota_keys keys(void)
{
	struct ota_keys k = { .kic_len = 16, .kid_len = 16 };

	assert_int_equal(hex_decode(KIC, k.kic, 16), 16);
	assert_int_equal(hex_decode(KID, k.kid, 16), 16);
	return k;
}

static void command_header(struct ota_command *c, uint64_t cntr)
{
	uint8_t spi[2] = { 0x16, 0x39 }; /* CC, ciphered, counter higher; PoR always, with a CC, ciphered, SMS-SUBMIT */

	memset(c, 0, sizeof(*c));
	c->kic = 0x12;
	c->kid = 0x12;
	memcpy(c->tar, sig_tar, 3);
	c->cntr = cntr;
	ota_spi_decode(spi, &c->spi);
}

/* The SMS-DELIVER of a secured packet with \a data to the signing TAR. */
static size_t deliver(struct world *w, const uint8_t *data, size_t len, uint8_t *out)
{
	struct ota_keys k = keys();
	struct ota_command c;
	uint8_t ud[SMS_MAX_UD];
	struct sms_tpdu t = { .udhi = true, .pid = 0x7f, .dcs = 0xf6, .ud = ud };
	int n;

	command_header(&c, w->cntr++);
	c.data = data;
	c.data_len = len;
	memcpy(ud, "\x02\x70\x00", 3);
	n = ota_command_encode_keys(&c, &k, ud + 3, sizeof(ud) - 3);
	assert_true(n > 0);
	t.udl = 3 + (size_t)n;
	strcpy(t.addr.digits, "1234");
	t.addr.ton_npi = 0x91;
	n = sms_tpdu_encode(&t, out, SMS_MAX_TPDU);
	assert_true(n > 0);
	return (size_t)n;
}

static struct sign_req request(uint8_t key_ref, const char *utf8, bool ucs2)
{
	struct sign_req r = {
		.id = { 0xa1, 0xb2, 0xc3 }, .id_len = 3, .hash_alg = SIGN_HASH_SHA256, .key_ref = key_ref
	};
	int n;

	r.hash_len = 32;
	for (unsigned i = 0; i < 32; i++)
		r.hash[i] = (uint8_t)(i * 7 + 1);
	r.dcs = ucs2 ? SIGN_DCS_UCS2 : SIGN_DCS_GSM;
	n = ucs2 ? sign_text_ucs2(utf8, strlen(utf8), r.text, sizeof(r.text)) :
		   sign_text_gsm(utf8, strlen(utf8), r.text, sizeof(r.text));
	assert_true(n > 0);
	r.text_len = (uint8_t)n;
	sign_verification_code(r.hash, r.hash_len, r.code);
	return r;
}

/* The user at the phone: answer what the SIM shows until it sends its PoR; then decode it. */
static void run(struct world *w, const uint8_t *req, size_t req_len, struct sign_resp *resp)
{
	uint8_t tpdu[SMS_MAX_TPDU], por[1200], work[OTA_MAX_PACKET];
	struct phone_sim_rp rp;
	struct ota_command c;
	struct ota_response r;
	struct ota_keys k = keys();
	struct ota_keyset *ks;
	size_t n = deliver(w, req, req_len, tpdu), plen;
	bool cc_ok = false;
	unsigned guard = 0;

	w->nparts = 0;
	w->nscreens = 0;
	w->pin_at = 0;
	assert_int_equal(phone_sim_sms_pp(w->sim, smsc, sizeof(smsc), tpdu, n, &rp), 0);
	assert_true(rp.ack);
	assert_int_equal(rp.ud_len, 0); /* the PoR leaves later, by SMS */
	while ((w->prompt_waits || w->sms_waits) && guard++ < 32) {
		if (w->sms_waits) {
			w->sms_waits = false;
			phone_sim_sms_sent(w->sim, PHONE_SIM_OK);
		} else if (w->prompt.input && w->answer == APPROVE) {
			const char *pin = w->pins[w->pin_at < w->npins ? w->pin_at : w->npins - 1];

			w->pin_at++;
			w->prompt_waits = false;
			phone_sim_user_answer(w->sim, PHONE_SIM_OK, pin);
		} else {
			w->prompt_waits = false;
			phone_sim_user_answer(w->sim,
					      w->answer == APPROVE ? PHONE_SIM_OK :
					      w->answer == NONE	   ? PHONE_SIM_NO_RESPONSE :
								     (enum phone_sim_result)w->reject_result,
					      NULL);
		}
	}
	assert_false(phone_sim_busy(w->sim));
	assert_true(w->nparts >= 1);
	/* the PoR's user data, its parts joined */
	if (w->nparts == 1) {
		memcpy(por, w->parts[0], w->part_len[0]);
		plen = w->part_len[0];
	} else {
		memcpy(por, "\x02\x71\x00", 3);
		plen = 3;
		for (unsigned i = 0; i < w->nparts; i++) {
			size_t h = 1 + w->parts[i][0];

			memcpy(por + plen, w->parts[i] + h, w->part_len[i] - h);
			plen += w->part_len[i] - h;
		}
	}
	command_header(&c, 0);
	assert_int_equal(ota_keyset_new(0x12, 0x12, &k, &ks), 0);
	assert_int_equal(ota_response_decode(por, plen, &c, ks, &r, &cc_ok, work), 0);
	ota_keyset_free(ks);
	assert_true(cc_ok);
	assert_int_equal(r.status, OTA_POR_OK);
	assert_int_equal(r.cntr, w->cntr - 1);
	assert_int_equal(sign_resp_decode(r.data, r.data_len, resp), 0);
}

static void run_req(struct world *w, const struct sign_req *q, struct sign_resp *resp)
{
	uint8_t buf[SIGN_REQ_MAX];
	int n = sign_req_encode(q, buf, sizeof(buf));

	assert_true(n > 0);
	run(w, buf, (size_t)n, resp);
	assert_memory_equal(resp->id, q->id, q->id_len);
}

static EVP_PKEY *ec_key(const uint8_t q[65])
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *p;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;

	OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, q, 65);
	p = OSSL_PARAM_BLD_to_param(b);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p), 1);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static EVP_PKEY *rsa_key(const uint8_t n_be[256])
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *p;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *k = NULL;
	BIGNUM *n = BN_bin2bn(n_be, 256, NULL), *e = BN_new();

	BN_set_word(e, 65537);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e);
	p = OSSL_PARAM_BLD_to_param(b);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p), 1);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return k;
}

static void verify(EVP_PKEY *k, bool rsa, const struct sign_req *q, const struct sign_resp *r)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);

	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	if (rsa) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
	}
	assert_int_equal(EVP_PKEY_verify(ctx, r->sig, r->sig_len, q->hash, q->hash_len), 1);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
}

/* ---- through the phone ---- */

static void test_approve(void **state)
{
	struct world *w = *state;
	struct sign_req q = request(0, "Pay 100 EUR to ACME? ", false);
	struct sign_resp r;
	char expect[64];

	_Static_assert(PKI_SIGN_OK == SIGN_OK && PKI_SIGN_TERMINAL_FAILED == SIGN_TERMINAL_FAILED &&
			       PKI_SIGN_BAD_REQUEST == SIGN_BAD_REQUEST && PKI_SIGN_PIN_BLOCKED == SIGN_PIN_BLOCKED,
		       "the applet's result codes are sign_msg.h's");
	w->answer = APPROVE;
	w->pins[0] = "1234";
	w->npins = 1;
	run_req(w, &q, &r);
	assert_int_equal(r.result, SIGN_OK);
	assert_int_equal(r.tries_left, 3);
	verify(ec_key(w->ec_q), false, &q, &r);
	assert_int_equal(w->nscreens, 2);
	snprintf(expect, sizeof(expect), "Pay 100 EUR to ACME? %s", q.code);
	assert_string_equal(w->screens[0], expect);
	assert_false(w->screen_input[0]);
	assert_true(w->screen_input[1]);
	assert_string_equal(w->screens[1], "PIN");
	assert_true(w->prompt.hidden);
	assert_true(w->prompt.digits_only);
	assert_int_equal(w->prompt.min_len, 4);
	assert_int_equal(w->prompt.max_len, 16);
	/* the PIN went to the SIM, and into the APDU trace only as "****" */
	assert_true(w->traced_tr >= 2);
	assert_true(w->traced_mask);
	assert_false(w->traced_pin);
}

static void test_reject(void **state)
{
	static const uint8_t results[] = { 0x10, 0x11, 0x22 };
	struct world *w = *state;
	struct sign_req q = request(0, "Sign?", false);
	struct sign_resp r;

	for (unsigned i = 0; i < sizeof(results); i++) {
		w->answer = REJECT;
		w->reject_result = results[i];
		run_req(w, &q, &r);
		assert_int_equal(r.result, SIGN_USER_CANCELLED);
		assert_int_equal(r.sig_len, 0);
		assert_int_equal(w->nscreens, 1);
	}
	/* the terminal could not show it */
	w->reject_result = 0x20;
	run_req(w, &q, &r);
	assert_int_equal(r.result, SIGN_TERMINAL_FAILED);
	/* no answer */
	w->answer = NONE;
	run_req(w, &q, &r);
	assert_int_equal(r.result, SIGN_NO_RESPONSE);
	/* and the session is over: the next request is served */
	w->answer = APPROVE;
	w->pins[0] = "1234";
	w->npins = 1;
	run_req(w, &q, &r);
	assert_int_equal(r.result, SIGN_OK);
}

static void test_wrong_then_right(void **state)
{
	struct world *w = *state;
	struct sign_req q = request(0, "Sign?", false);
	struct sign_resp r;

	w->answer = APPROVE;
	w->pins[0] = "0000";
	w->pins[1] = "1234";
	w->npins = 2;
	run_req(w, &q, &r);
	assert_int_equal(r.result, SIGN_OK);
	assert_int_equal(r.tries_left, 3);
	assert_int_equal(w->nscreens, 3);
	assert_string_equal(w->screens[1], "PIN");
	assert_string_equal(w->screens[2], "Wrong PIN, 2 tries left. PIN:");
	verify(ec_key(w->ec_q), false, &q, &r);
}

static void test_blocked(void **state)
{
	struct world *w = *state;
	struct sign_req q = request(0, "Sign?", false);
	struct sign_resp r;

	w->answer = APPROVE;
	w->pins[0] = "0000";
	w->npins = 1;
	run_req(w, &q, &r);
	assert_int_equal(r.result, SIGN_PIN_BLOCKED);
	assert_int_equal(r.tries_left, 0);
	assert_int_equal(w->nscreens, 4);
	assert_string_equal(w->screens[2], "Wrong PIN, 2 tries left. PIN:");
	assert_string_equal(w->screens[3], "Wrong PIN, 1 try left. PIN:");
	/* blocked: the next request is answered at once, nothing shown */
	run_req(w, &q, &r);
	assert_int_equal(r.result, SIGN_PIN_BLOCKED);
	assert_int_equal(r.tries_left, 0);
	assert_int_equal(w->nscreens, 0);
}

static void test_vietnamese(void **state)
{
	static const char text[] = "Ký hợp đồng số 42? ";
	struct world *w = *state;
	struct sign_req q = request(0, text, true);
	struct sign_resp r;
	char expect[128];

	w->answer = APPROVE;
	w->pins[0] = "1234";
	w->npins = 1;
	run_req(w, &q, &r);
	assert_int_equal(r.result, SIGN_OK);
	snprintf(expect, sizeof(expect), "%s%s", text, q.code);
	assert_string_equal(w->screens[0], expect);
	assert_string_equal(w->screens[1], "PIN");
	verify(ec_key(w->ec_q), false, &q, &r);
	/* the --screen-log record: byte for byte the server's UTF-8 */
	{
		struct phone_sim_prompt p = { .input = false };
		char rec[600], want[600];

		strcpy(p.text, expect);
		snprintf(want, sizeof(want), "001010000000001\tdisplay\t%s\n", expect);
		assert_int_equal(phone_sim_screen_record("001010000000001", &p, rec, sizeof(rec)), strlen(want));
		assert_string_equal(rec, want);
		strcpy(p.text, "a\\b\nc\td");
		p.input = true;
		phone_sim_screen_record("001010000000001", &p, rec, sizeof(rec));
		assert_string_equal(rec, "001010000000001\tinput\ta\\\\b\\nc\\td\n");
		phone_sim_screen_record("001010000000001", &p, rec, 20); /* cut, never overrun */
		assert_true(strlen(rec) < 20);
	}
}

static void test_rsa(void **state)
{
	struct world *w = *state;
	struct sign_req q = request(1, "RSA?", false);
	struct sign_resp r;

	w->answer = APPROVE;
	w->pins[0] = "1234";
	w->npins = 1;
	run_req(w, &q, &r);
	assert_int_equal(r.result, SIGN_OK);
	assert_int_equal(r.sig_len, 256);
	assert_true(w->nparts > 1); /* concatenated */
	verify(rsa_key(w->rsa_n), true, &q, &r);
}

static void test_bad_request_and_key(void **state)
{
	struct world *w = *state;
	struct sign_req q = request(5, "No key", false);
	struct sign_resp r;

	run_req(w, &q, &r);
	assert_int_equal(r.result, SIGN_KEY_UNUSABLE);
	assert_int_equal(w->nscreens, 0);
	run(w, (const uint8_t *)"\x70\x03\x80\x01\x01", 5, &r);
	assert_int_equal(r.result, SIGN_BAD_REQUEST);
	assert_int_equal(r.id_len, 0);
}

/* ---- the bare card ---- */

static struct card_os *open_card(struct world *w)
{
	struct card_os *os;
	uint8_t atr[40];

	assert_int_equal(card_os_open_dir(w->dir, &os), 0);
	assert_true(card_os_power_on(os, atr, sizeof(atr)) > 0);
	assert_int_equal(apdu(os, "80100000051FFFFFFFFF", NULL, NULL), 0x9000);
	return os;
}

static uint16_t envelope(struct card_os *os, struct world *w, const struct sign_req *q)
{
	uint8_t req[SIGN_REQ_MAX], tpdu[SMS_MAX_TPDU];
	char hex[1024];
	size_t n = (size_t)sign_req_encode(q, req, sizeof(req)), m = deliver(w, req, n, tpdu);
	char t[600];

	hex_encode(tpdu, m, t, sizeof(t));
	/* D1 L { 82 02 83 81 | 8B L tpdu } */
	snprintf(hex, sizeof(hex),
		 "80C20000%02XD1%02X82028381"
		 "8B%02X%s",
		 (unsigned)(m + 2 + 4 + 2), (unsigned)(m + 2 + 4), (unsigned)m, t);
	return apdu(os, hex, NULL, NULL);
}

static void test_card_commands(void **state)
{
	struct world *w = *state;
	struct card_os *os = open_card(w);
	struct sign_req q = request(0, "AB", false);
	uint8_t out[300], out2[300];
	size_t n, n2, h;
	uint16_t sw;
	char tr[200];

	sw = envelope(os, w, &q);
	assert_int_equal(sw >> 8, 0x91);
	/* nothing fetched yet: a TERMINAL RESPONSE is refused */
	assert_int_equal(apdu(os, "801400000C810301210082028281830100", NULL, NULL), 0x6985);
	assert_int_equal(apdu(os, "8012000001", out, &n) & 0xff00, 0x6c00); /* Le too short */
	assert_int_equal(apdu(os, "8012000000", out, &n), 0x9000);
	assert_int_equal(n, (sw & 0xff));
	/* D0 L { 81 03 nn 21 81 | 82 02 81 02 | 8D 07 04 'A' 'B' code } */
	assert_int_equal(out[0], 0xd0);
	assert_int_equal(out[1], n - 2);
	assert_memory_equal(out + 2, "\x81\x03", 2);
	assert_memory_equal(out + 5,
			    "\x21\x81\x82\x02\x81\x02\x8d\x07\x04"
			    "AB",
			    11);
	assert_memory_equal(out + 16, q.code, 4);
	/* a second download while the session lasts: 9300, nothing changes */
	assert_int_equal(envelope(os, w, &q), 0x9300);
	/* refused TERMINAL RESPONSEs: wrong number, type, qualifier; malformed; no result; a result given twice */
	snprintf(tr, sizeof(tr), "801400000C8103%02X210082028281830100", (uint8_t)(out[4] + 1));
	assert_int_equal(apdu(os, tr, NULL, NULL), 0x6a80);
	snprintf(tr, sizeof(tr), "801400000C8103%02X230082028281830100", out[4]);
	assert_int_equal(apdu(os, tr, NULL, NULL), 0x6a80);
	snprintf(tr, sizeof(tr), "801400000C8103%02X210082028281830100", out[4]);
	assert_int_equal(apdu(os, tr, NULL, NULL), 0x6a80); /* qualifier 00, not 81 */
	snprintf(tr, sizeof(tr), "801400000C8103%02X218182028281830500", out[4]);
	assert_int_equal(apdu(os, tr, NULL, NULL), 0x6a80); /* result longer than the data */
	snprintf(tr, sizeof(tr), "80140000098103%02X218182028281", out[4]);
	assert_int_equal(apdu(os, tr, NULL, NULL), 0x6a80); /* no result */
	snprintf(tr, sizeof(tr), "801400000F8103%02X218182028281830100830100", out[4]);
	assert_int_equal(apdu(os, tr, NULL, NULL), 0x6a80); /* two results */
	/* still pending, the same command */
	assert_int_equal(apdu(os, "8012000000", out2, &n2), 0x9000);
	assert_int_equal(n2, n);
	assert_memory_equal(out2, out, n);
	/* the right answer: GET INPUT comes */
	snprintf(tr, sizeof(tr), "801400000C8103%02X218182028281830100", out[4]);
	sw = apdu(os, tr, NULL, NULL);
	assert_int_equal(sw >> 8, 0x91);
	assert_int_equal(apdu(os, "8012000000", out, &n), 0x9000);
	/* D0 L { 81 03 nn 23 04 | 82 02 81 82 | 8D 04 04 'PIN' | 91 02 04 10 } */
	assert_int_equal(n, 2 + 5 + 4 + 6 + 4);
	assert_memory_equal(out + 5, "\x23\x04\x82\x02\x81\x82\x8d\x04\x04PIN\x91\x02\x04\x10", 15);
	/* a GET INPUT answer: right PIN; then the PoR's SEND SHORT MESSAGE */
	snprintf(tr, sizeof(tr),
		 "80140000138103%02X230482028281830100"
		 "8D050431323334",
		 out[4]);
	sw = apdu(os, tr, NULL, NULL);
	assert_int_equal(sw >> 8, 0x91);
	assert_int_equal(apdu(os, "8012000000", out, &n), 0x9000);
	h = out[1] == 0x81 ? 3 : 2; /* D0 81 L: the SMS-SUBMIT makes it long */
	assert_memory_equal(out + h + 3, "\x13\x00\x82\x02\x81\x83", 6);
	snprintf(tr, sizeof(tr), "801400000C8103%02X130082028281830100", out[h + 2]);
	assert_int_equal(apdu(os, tr, NULL, NULL), 0x9000);
	/* nothing pending now */
	assert_int_equal(apdu(os, tr, NULL, NULL), 0x6985);
	assert_int_equal(apdu(os, "8012000000", out, &n), 0x6985);
	card_os_close(os);
}

/* An RSA key: after the right PIN the applet asks MORE TIME, then its PoR carries a 256-byte signature. */
static void test_card_more_time(void **state)
{
	struct world *w = *state;
	struct card_os *os = open_card(w);
	struct sign_req q = request(1, "AB", false);
	uint8_t out[300];
	size_t n;
	char tr[200];

	assert_int_equal(envelope(os, w, &q) >> 8, 0x91);
	assert_int_equal(apdu(os, "8012000000", out, &n), 0x9000);
	snprintf(tr, sizeof(tr), "801400000C8103%02X218182028281830100", out[4]);
	assert_int_equal(apdu(os, tr, NULL, NULL) >> 8, 0x91);
	assert_int_equal(apdu(os, "8012000000", out, &n), 0x9000);
	snprintf(tr, sizeof(tr),
		 "80140000138103%02X230482028281830100"
		 "8D050431323334",
		 out[4]);
	assert_int_equal(apdu(os, tr, NULL, NULL) >> 8, 0x91);
	assert_int_equal(apdu(os, "8012000000", out, &n), 0x9000);
	/* D0 09 { 81 03 nn 02 00 | 82 02 81 82 } */
	assert_int_equal(n, 11);
	assert_memory_equal(out, "\xd0\x09\x81\x03", 4);
	assert_memory_equal(out + 5, "\x02\x00\x82\x02\x81\x82", 6);
	/* the terminal could not give more time: the applet signs anyway; a 2-part PoR follows */
	snprintf(tr, sizeof(tr), "801400000C8103%02X020082028281830130", out[4]);
	assert_int_equal(apdu(os, tr, NULL, NULL) >> 8, 0x91);
	for (unsigned i = 0; i < 3; i++) {
		size_t h;

		assert_int_equal(apdu(os, "8012000000", out, &n), 0x9000);
		h = out[1] == 0x81 ? 3 : 2;
		assert_int_equal(out[h + 3], 0x13);
		snprintf(tr, sizeof(tr), "801400000C8103%02X130082028281830100", out[h + 2]);
		if (apdu(os, tr, NULL, NULL) == 0x9000)
			break;
		assert_true(i < 2);
	}
	card_os_close(os);
}

static void test_card_reset(void **state)
{
	struct world *w = *state;
	struct card_os *os = open_card(w);
	struct sign_req q = request(0, "AB", false);
	uint8_t atr[40];

	assert_int_equal(envelope(os, w, &q) >> 8, 0x91);
	/* a reset ends the session: no PoR, nothing pending, a new download is served */
	assert_true(card_os_power_on(os, atr, sizeof(atr)) > 0);
	assert_int_equal(apdu(os, "8012000000", NULL, NULL), 0x6985);
	assert_int_equal(envelope(os, w, &q) >> 8, 0x91);
	card_os_close(os);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_approve, setup_phone, teardown_card),
		cmocka_unit_test_setup_teardown(test_reject, setup_phone, teardown_card),
		cmocka_unit_test_setup_teardown(test_wrong_then_right, setup_phone, teardown_card),
		cmocka_unit_test_setup_teardown(test_blocked, setup_phone, teardown_card),
		cmocka_unit_test_setup_teardown(test_vietnamese, setup_phone, teardown_card),
		cmocka_unit_test_setup_teardown(test_rsa, setup_phone, teardown_card),
		cmocka_unit_test_setup_teardown(test_bad_request_and_key, setup_phone, teardown_card),
		cmocka_unit_test_setup_teardown(test_card_commands, setup_card, teardown_card),
		cmocka_unit_test_setup_teardown(test_card_more_time, setup_card, teardown_card),
		cmocka_unit_test_setup_teardown(test_card_reset, setup_card, teardown_card),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
