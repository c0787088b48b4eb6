/* The PKI applet's keys: MANAGE SECURITY ENVIRONMENT, GENERATE ASYMMETRIC KEY PAIR, PERFORM SECURITY OPERATION
 * (sign, decipher), GET CHALLENGE and PUT DATA (key import, refused).
 *
 * Up to PKI_KEY_SLOTS private keys, by key reference 00..0F (root object, pki.h). The security environment
 * (template, algorithm, key reference) is transient. All of these need a verified PIN except GET CHALLENGE.
 * Public keys leave as ISO 7816-8 7F49 templates: RSA 81 modulus, 82 exponent; EC the domain parameters as
 * the host sent them (81 p, 82 a, 83 b, 84 G, 85 n), 86 the public point, 87 the cofactor.
 */
#include <errno.h>
#include <string.h>

#include "pki.h"

#define SE_NONE 0xff
#define SE_KEYGEN 0x00
#define SE_SIGN 0xb6
#define SE_DECIPHER 0xb8

/* The EC GENERATE command data OpenSC sends for secp256r1: 81 p 82 a 83 b 84 G 85 n 87 cofactor (207 bytes). */
static const uint8_t p256_params[] = {
	0x81, 0x20, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* p */
	0x82, 0x20, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, /* a */
	0x83, 0x20, 0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7, 0xb3, 0xeb, 0xbd, 0x55, 0x76, 0x98, 0x86,
	0xbc, 0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53, 0xb0, 0xf6, 0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b, /* b */
	0x84, 0x41, 0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4,
	0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2,
	0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
	0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5, /* G */
	0x85, 0x20, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51, /* n */
	0x87, 0x02, 0x00, 0x01, /* cofactor */
};
#define P256_COFACTOR_TLV 4 /* the last 4 bytes above; the 7F49 answer puts 86 Q before them */

static struct pki_ram *ram(struct card_ctx *c)
{
	return card_transient(c);
}

static card_obj_t key_obj(struct card_ctx *c, uint8_t ref)
{
	return pki_key_obj(c, ref);
}

/* The key type an algorithm reference needs in a signature or decipher environment. */
static enum card_key_type alg_key_type(uint8_t template, uint8_t alg)
{
	if (alg == PKI_ALG_RSA_PKCS1)
		return CARD_KEY_RSA2048;
	if (template == SE_SIGN && (alg == PKI_ALG_ECDSA_SHA1 || alg == PKI_ALG_ECDSA_PRECOMPUTED))
		return CARD_KEY_EC_P256;
	return CARD_KEY_NONE;
}

int pki_mse(struct card_ctx *c, struct card_apdu *a)
{
	struct card_tlv alg, ref;

	/* over the air the issuer may prepare key generation without the holder's PIN, never a signature */
	if (!ram(c)->pin_validated && !(ram(c)->issuer && (a->p1 == 0xf3 || (a->p1 == 0x41 && a->p2 == SE_KEYGEN))))
		return SW_SECURITY_NOT_SATISFIED;
	if (a->p1 == 0xf3) {
		ram(c)->se_p2 = SE_NONE;
		return SW_OK;
	}
	if (a->p1 != 0x41)
		return SW_FUNC_NOT_SUPPORTED;
	if (a->p2 != SE_KEYGEN && a->p2 != SE_SIGN && a->p2 != SE_DECIPHER)
		return SW_INCORRECT_P1P2;
	if (card_tlv_check(a->data, a->lc) || card_tlv_find(a->data, a->lc, 0x80, &alg) || alg.len != 1 ||
	    card_tlv_find(a->data, a->lc, 0x84, &ref) || ref.len != 1 || ref.value[0] >= PKI_KEY_SLOTS)
		return SW_DATA_INVALID;
	if (a->p2 == SE_KEYGEN) {
		if (alg.value[0] != PKI_ALG_GEN_RSA_2048 && alg.value[0] != PKI_ALG_GEN_EC)
			return SW_FUNC_NOT_SUPPORTED;
	} else {
		enum card_key_type need = alg_key_type(a->p2, alg.value[0]);

		if (need == CARD_KEY_NONE)
			return SW_FUNC_NOT_SUPPORTED;
		if (card_key_type(c, key_obj(c, ref.value[0])) != need)
			return SW_DATA_INVALID;
	}
	ram(c)->se_p2 = a->p2;
	ram(c)->se_alg = alg.value[0];
	ram(c)->se_key = ref.value[0];
	return SW_OK;
}

/* Replace the key in slot \a ref with a new one, atomically. */
static int replace_key(struct card_ctx *c, uint8_t ref, enum card_key_type type, card_obj_t *out)
{
	card_obj_t old = key_obj(c, ref);
	int rc;

	rc = card_tx_begin(c);
	if (!rc && old)
		rc = card_obj_free(c, old);
	if (!rc)
		rc = card_key_generate(c, type, out);
	if (!rc)
		rc = pki_root_write16(c, ROOT_KEYS + 2 * ref, *out);
	if (!rc)
		rc = card_tx_commit(c);
	if (rc)
		card_tx_abort(c);
	return rc;
}

static uint32_t put_tlv(uint8_t *out, uint32_t tag, const uint8_t *v, uint32_t len)
{
	int h = card_tlv_put_header(out, 8, tag, len);

	memcpy(out + h, v, len);
	return (uint32_t)h + len;
}

static int answer_rsa(const struct card_pubkey *pk, struct card_apdu *a)
{
	uint8_t *p = a->resp;
	uint32_t body = 4 + sizeof(pk->n) + 2 + pk->e_len;
	uint32_t n = (uint32_t)card_tlv_put_header(p, 8, 0x7f49, body);

	n += put_tlv(p + n, 0x81, pk->n, sizeof(pk->n));
	n += put_tlv(p + n, 0x82, pk->e, pk->e_len);
	a->resp_len = n;
	return SW_OK;
}

static int answer_ec(const struct card_pubkey *pk, struct card_apdu *a)
{
	uint32_t params = sizeof(p256_params) - P256_COFACTOR_TLV;
	uint32_t body = params + 2 + sizeof(pk->q) + P256_COFACTOR_TLV;
	uint8_t *p = a->resp;
	uint32_t n = (uint32_t)card_tlv_put_header(p, 8, 0x7f49, body);

	memcpy(p + n, p256_params, params);
	n += params;
	n += put_tlv(p + n, 0x86, pk->q, sizeof(pk->q));
	memcpy(p + n, p256_params + params, P256_COFACTOR_TLV);
	a->resp_len = n + P256_COFACTOR_TLV;
	return SW_OK;
}

int pki_generate(struct card_ctx *c, struct card_apdu *a)
{
	struct card_pubkey pk;
	enum card_key_type type;
	card_obj_t key;
	int rc;

	if (!ram(c)->pin_validated && !ram(c)->issuer)
		return SW_SECURITY_NOT_SATISFIED;
	if (ram(c)->se_p2 != SE_KEYGEN)
		return SW_CONDITIONS_NOT_SATISFIED;
	if (ram(c)->se_alg == PKI_ALG_GEN_RSA_2048) {
		if (a->p1 != 0x42 || a->p2 != 0x00)
			return SW_INCORRECT_P1P2;
		if (a->chained)
			return SW_CHAINING_NOT_SUPPORTED;
		if (a->lc)
			return SW_WRONG_LENGTH;
		type = CARD_KEY_RSA2048;
	} else {
		struct card_tlv p;

		if (a->p1 || a->p2)
			return SW_INCORRECT_P1P2;
		if (card_tlv_check(a->data, a->lc) || card_tlv_find(a->data, a->lc, 0x81, &p))
			return SW_WRONG_DATA;
		if (a->lc != sizeof(p256_params) || card_memcmp_ct(a->data, p256_params, sizeof(p256_params)))
			return SW_FUNC_NOT_SUPPORTED; /* a well-formed curve other than P-256 */
		type = CARD_KEY_EC_P256;
	}
	rc = replace_key(c, ram(c)->se_key, type, &key);
	if (!rc)
		rc = card_key_public(c, key, &pk);
	if (rc)
		return pki_sw_from_errno(rc);
	return type == CARD_KEY_RSA2048 ? answer_rsa(&pk, a) : answer_ec(&pk, a);
}

static int sign(struct card_ctx *c, struct card_apdu *a)
{
	card_obj_t key = key_obj(c, ram(c)->se_key);
	enum card_sig_alg alg;
	size_t len = a->resp_max;
	int rc;

	if (ram(c)->se_p2 != SE_SIGN || card_key_type(c, key) != alg_key_type(SE_SIGN, ram(c)->se_alg))
		return SW_CONDITIONS_NOT_SATISFIED;
	switch (ram(c)->se_alg) {
	case PKI_ALG_RSA_PKCS1:
		if (!a->lc || a->lc > 256 - 11)
			return SW_WRONG_LENGTH;
		alg = CARD_SIG_RSA_PKCS1;
		break;
	case PKI_ALG_ECDSA_SHA1:
		alg = CARD_SIG_ECDSA_SHA1;
		break;
	default: /* PKI_ALG_ECDSA_PRECOMPUTED */
		if (a->lc != 32)
			return SW_WRONG_LENGTH;
		alg = CARD_SIG_ECDSA_HASH;
		break;
	}
	rc = card_key_sign(c, key, alg, a->data, a->lc, a->resp, &len);
	if (rc)
		return pki_sw_from_errno(rc);
	a->resp_len = (uint32_t)len;
	return SW_OK;
}

static int decipher(struct card_ctx *c, struct card_apdu *a)
{
	card_obj_t key = key_obj(c, ram(c)->se_key);
	size_t len = a->resp_max;
	int rc;

	if (ram(c)->se_p2 != SE_DECIPHER || card_key_type(c, key) != CARD_KEY_RSA2048)
		return SW_FUNC_NOT_SUPPORTED;
	if (!a->lc)
		return SW_WRONG_LENGTH;
	if (a->data[0] != 0x00)
		return SW_WRONG_DATA;
	if (a->lc - 1 != 256)
		return SW_WRONG_LENGTH;
	rc = card_key_decipher(c, key, CARD_CIPHER_RSA_PKCS1, a->data + 1, a->lc - 1, a->resp, &len);
	if (rc == -EBADMSG)
		return SW_WRONG_DATA;
	if (rc)
		return pki_sw_from_errno(rc);
	a->resp_len = (uint32_t)len;
	return SW_OK;
}

int pki_pso(struct card_ctx *c, struct card_apdu *a)
{
	uint16_t p1p2 = (uint16_t)(a->p1 << 8 | a->p2);

	if (!ram(c)->pin_validated)
		return SW_SECURITY_NOT_SATISFIED;
	if (p1p2 == 0x9e9a)
		return sign(c, a);
	if (p1p2 == 0x8086)
		return decipher(c, a);
	return SW_INCORRECT_P1P2;
}

int pki_get_challenge(struct card_ctx *c, struct card_apdu *a)
{
	int rc;

	if (a->p1 || a->p2)
		return SW_INCORRECT_P1P2;
	if (a->lc || !a->has_le || a->ne > 256)
		return SW_WRONG_LENGTH;
	rc = card_random(c, a->resp, a->ne);
	if (rc)
		return pki_sw_from_errno(rc);
	a->resp_len = a->ne;
	return SW_OK;
}

int pki_put_data(struct card_ctx *c, struct card_apdu *a)
{
	(void)a;
	if (!ram(c)->pin_validated)
		return SW_SECURITY_NOT_SATISFIED;
	return SW_COMMAND_NOT_ALLOWED; /* private keys are generated on the card, never imported */
}
