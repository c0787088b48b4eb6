/* The PKI applet's PIN and PUK: VERIFY, CHANGE REFERENCE DATA (also the personalisation steps of the life
 * cycle) and RESET RETRY COUNTER.
 *
 * PIN (reference 01): 4..16 bytes, 3 tries. PUK (reference 02): exactly 16 bytes, 5 tries. Both are kept padded
 * with 00 to 16 bytes and compared padded, in constant time, by the card OS, which also commits the try counter
 * before it compares. Life cycle: CREATION --PUK set--> INITIALISATION --PIN set--> OPERATIONAL, or CREATION
 * --PIN set--> OPERATIONAL without a PUK, ever.
 */
#include <errno.h>
#include <string.h>

#include "pki.h"

static struct pki_ram *ram(struct card_ctx *c)
{
	return card_transient(c);
}

static card_obj_t pin_obj(struct card_ctx *c)
{
	return pki_rd16(pki_root(c) + ROOT_PIN);
}

static card_obj_t puk_obj(struct card_ctx *c)
{
	return pki_rd16(pki_root(c) + ROOT_PUK);
}

static void pad(uint8_t out[PKI_PIN_LEN], const uint8_t *in, uint32_t len)
{
	memset(out, 0, PKI_PIN_LEN);
	memcpy(out, in, len < PKI_PIN_LEN ? len : PKI_PIN_LEN);
}

static void logout(struct card_ctx *c)
{
	ram(c)->pin_validated = false;
	ram(c)->fs_user_auth = false;
}

/* Check a 16-byte padded value against a PIN object: 0 on a match, else the status word to answer. */
static int check(struct card_ctx *c, card_obj_t obj, const uint8_t padded[PKI_PIN_LEN])
{
	int rc = card_pin_check(c, obj, padded, PKI_PIN_LEN);

	if (!rc)
		return 0;
	if (rc == -EACCES || rc == -EPERM) {
		int left = card_pin_tries_left(c, obj);

		return SW_VERIFY_FAILED(left > 0 ? left : 0);
	}
	return pki_sw_from_errno(rc);
}

int pki_verify(struct card_ctx *c, struct card_apdu *a)
{
	uint8_t padded[PKI_PIN_LEN];
	int sw;

	if (a->p1 == 0x00 && a->p2 == PKI_PUK_REF && a->lc == 0) {
		/* simpki: the PUK's tries left, without using one (the PUK itself is never verified alone). */
		if (!puk_obj(c))
			return SW_DATA_NOT_FOUND;
		return SW_VERIFY_FAILED(card_pin_tries_left(c, puk_obj(c)));
	}
	if (a->p1 != 0x00 || a->p2 != PKI_PIN_REF)
		return SW_INCORRECT_P1P2;
	if (a->lc == 0) {
		if (pki_state(c) != PKI_STATE_OPERATIONAL)
			return SW_OK;
		return SW_VERIFY_FAILED(card_pin_tries_left(c, pin_obj(c)));
	}
	if (a->lc < PKI_PIN_MIN || a->lc > PKI_PIN_LEN)
		return SW_WRONG_LENGTH;
	if (pki_state(c) != PKI_STATE_OPERATIONAL)
		return SW_CONDITIONS_NOT_SATISFIED;
	pad(padded, a->data, a->lc);
	sw = check(c, pin_obj(c), padded);
	card_wipe(padded, sizeof(padded));
	if (sw) {
		logout(c);
		return sw;
	}
	ram(c)->pin_validated = true;
	ram(c)->fs_user_auth = true;
	return SW_OK;
}

/* Set the PIN (creating its object on first use) and make the card OPERATIONAL, in one transaction. */
static int personalise_pin(struct card_ctx *c, const uint8_t *pin, uint32_t len)
{
	uint8_t padded[PKI_PIN_LEN], state = PKI_STATE_OPERATIONAL;
	card_obj_t obj = pin_obj(c);
	int rc;

	if (len < PKI_PIN_MIN || len > PKI_PIN_LEN)
		return SW_WRONG_LENGTH;
	pad(padded, pin, len);
	rc = card_tx_begin(c);
	if (!rc && !obj) {
		rc = card_pin_create(c, PKI_PIN_TRIES, PKI_PIN_LEN, &obj);
		if (!rc)
			rc = pki_root_write16(c, ROOT_PIN, obj);
	}
	if (!rc)
		rc = card_pin_set(c, obj, padded, PKI_PIN_LEN);
	if (!rc)
		rc = card_obj_write(c, card_root(c), ROOT_STATE, &state, 1);
	if (!rc)
		rc = card_tx_commit(c);
	card_wipe(padded, sizeof(padded));
	if (rc) {
		card_tx_abort(c);
		return pki_sw_from_errno(rc);
	}
	logout(c);
	return SW_OK;
}

static int personalise_puk(struct card_ctx *c, const uint8_t *puk, uint32_t len)
{
	uint8_t state = PKI_STATE_INITIALISATION;
	card_obj_t obj = 0;
	int rc;

	if (len != PKI_PIN_LEN)
		return SW_WRONG_LENGTH;
	rc = card_tx_begin(c);
	if (!rc)
		rc = card_pin_create(c, PKI_PUK_TRIES, PKI_PIN_LEN, &obj);
	if (!rc)
		rc = card_pin_set(c, obj, puk, PKI_PIN_LEN);
	if (!rc)
		rc = pki_root_write16(c, ROOT_PUK, obj);
	if (!rc)
		rc = card_obj_write(c, card_root(c), ROOT_STATE, &state, 1);
	if (!rc)
		rc = card_tx_commit(c);
	if (rc) {
		card_tx_abort(c);
		return pki_sw_from_errno(rc);
	}
	return SW_OK;
}

/* A new PIN from a 16-byte padded field: its length is up to the last non-zero byte. */
static uint32_t padded_len(const uint8_t *p)
{
	uint32_t n = PKI_PIN_LEN;

	while (n && !p[n - 1])
		n--;
	return n;
}

static int change_pin(struct card_ctx *c, const struct card_apdu *a)
{
	uint8_t old[PKI_PIN_LEN];
	int sw, rc;

	if (a->lc != 2 * PKI_PIN_LEN)
		return SW_WRONG_LENGTH;
	if (padded_len(a->data + PKI_PIN_LEN) < PKI_PIN_MIN)
		return SW_WRONG_DATA;
	memcpy(old, a->data, PKI_PIN_LEN);
	sw = check(c, pin_obj(c), old);
	card_wipe(old, sizeof(old));
	if (sw) {
		logout(c);
		return sw;
	}
	rc = card_pin_set(c, pin_obj(c), a->data + PKI_PIN_LEN, PKI_PIN_LEN);
	if (rc)
		return pki_sw_from_errno(rc);
	logout(c);
	return SW_OK;
}

int pki_change_reference_data(struct card_ctx *c, struct card_apdu *a)
{
	uint8_t state = pki_state(c);
	uint16_t p1p2 = (uint16_t)(a->p1 << 8 | a->p2);

	if (state == PKI_STATE_CREATION && p1p2 == 0x0102)
		return personalise_puk(c, a->data, a->lc);
	if ((state == PKI_STATE_CREATION || state == PKI_STATE_INITIALISATION) && p1p2 == 0x0101)
		return personalise_pin(c, a->data, a->lc);
	if (state == PKI_STATE_OPERATIONAL && p1p2 == 0x0001)
		return change_pin(c, a);
	return SW_INCORRECT_P1P2;
}

/* RESET RETRY COUNTER P1 03 (unblock, keep the PIN) or 02 (new PIN): the issuer's, over the air only. */
static int issuer_reset(struct card_ctx *c, struct card_apdu *a)
{
	uint8_t padded[PKI_PIN_LEN];
	int rc;

	if (!ram(c)->issuer)
		return SW_SECURITY_NOT_SATISFIED;
	if (a->p1 == 0x03) {
		if (a->lc)
			return SW_WRONG_LENGTH;
		rc = card_pin_reset_tries(c, pin_obj(c));
	} else {
		if (a->lc < PKI_PIN_MIN || a->lc > PKI_PIN_LEN)
			return SW_WRONG_LENGTH;
		pad(padded, a->data, a->lc);
		rc = card_pin_set(c, pin_obj(c), padded, PKI_PIN_LEN);
		card_wipe(padded, sizeof(padded));
	}
	return rc ? pki_sw_from_errno(rc) : SW_OK;
}

int pki_reset_retry_counter(struct card_ctx *c, struct card_apdu *a)
{
	uint8_t padded[PKI_PIN_LEN];
	int sw, rc;

	if (pki_state(c) != PKI_STATE_OPERATIONAL)
		return SW_COMMAND_NOT_ALLOWED_NO_EF;
	if (a->p2 != PKI_PIN_REF)
		return SW_INCORRECT_P1P2;
	if (a->p1 == 0x02 || a->p1 == 0x03)
		return issuer_reset(c, a);
	if (a->p1 != 0x00)
		return SW_INCORRECT_P1P2;
	if (a->lc < PKI_PIN_LEN + PKI_PIN_MIN || a->lc > 2 * PKI_PIN_LEN)
		return SW_WRONG_LENGTH;
	if (!puk_obj(c))
		return SW_VERIFY_FAILED(0);
	sw = check(c, puk_obj(c), a->data);
	if (sw)
		return sw;
	pad(padded, a->data + PKI_PIN_LEN, a->lc - PKI_PIN_LEN);
	rc = card_pin_set(c, pin_obj(c), padded, PKI_PIN_LEN);
	card_wipe(padded, sizeof(padded));
	if (rc)
		return pki_sw_from_errno(rc);
	logout(c);
	return SW_OK;
}
