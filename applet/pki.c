/* The PKI applet: installation, selection and command dispatch. Commands live in pki_fs.c, pki_pin.c and
 * pki_sec.c; the persistent layout is in pki.h. This file and its siblings use only the card API. */
#include <errno.h>
#include <string.h>

#include "pki.h"

const uint8_t *pki_root(struct card_ctx *c)
{
	return card_obj_view(c, card_root(c), NULL);
}

uint8_t pki_state(struct card_ctx *c)
{
	return pki_root(c)[ROOT_STATE];
}

int pki_root_write16(struct card_ctx *c, uint32_t off, uint16_t v)
{
	uint8_t b[2];

	pki_wr16(b, v);
	return card_obj_write(c, card_root(c), off, b, sizeof(b));
}

card_obj_t pki_key_obj(struct card_ctx *c, uint8_t ref)
{
	return pki_rd16(pki_root(c) + ROOT_KEYS + 2 * ref);
}

int pki_sw_from_errno(int rc)
{
	switch (rc) {
	case -ENOSPC: /* NVM budget */
	case -ENOMEM: /* RAM budget */
		return SW_FILE_FULL;
	case -EIO:
		return SW_MEMORY_FAILURE;
	default:
		return SW_UNKNOWN;
	}
}

static int pki_install(struct card_ctx *c)
{
	return pki_fs_install(c);
}

static void reset_session(struct card_ctx *c)
{
	struct pki_ram *r = card_transient(c);

	r->pin_validated = false;
	r->fs_user_auth = pki_state(c) != PKI_STATE_OPERATIONAL;
	r->se_p2 = 0xff;
	pki_fs_reset(c);
}

static int pki_select(struct card_ctx *c, struct card_apdu *a)
{
	static const uint8_t version[] = { PKI_API_MAJOR, PKI_API_MINOR, PKI_FEATURES };

	reset_session(c);
	memcpy(a->resp, version, sizeof(version));
	a->resp_len = sizeof(version);
	return SW_OK;
}

static int pki_chain_ok(struct card_ctx *c, uint8_t ins, uint8_t p1, uint8_t p2)
{
	(void)c;
	(void)p1;
	(void)p2;
	switch (ins) {
	case PKI_INS_PSO:
	case PKI_INS_GENERATE:
	case PKI_INS_PUT_DATA:
	case PKI_INS_BUILD_CSR:
		return 0;
	default:
		return SW_CHAINING_NOT_SUPPORTED;
	}
}

static int pki_process(struct card_ctx *c, struct card_apdu *a)
{
	struct pki_ram *r = card_transient(c);

	r->issuer = a->origin == CARD_ORIGIN_OTA;
	if (a->cla & 0x80)
		return SW_CLA_NOT_SUPPORTED;
	if (a->cla & 0x0c)
		return SW_SECURE_MESSAGING_NOT_SUPPORTED;

	switch (a->ins) {
	case PKI_INS_SELECT:
		return pki_select_file(c, a);
	case PKI_INS_CREATE_FILE:
		return pki_create_file(c, a);
	case PKI_INS_DELETE_FILE:
		return pki_delete_file(c, a);
	case PKI_INS_READ_BINARY:
		return pki_read_binary(c, a);
	case PKI_INS_UPDATE_BINARY:
		return pki_update_binary(c, a);
	case PKI_INS_VERIFY:
		return pki_verify(c, a);
	case PKI_INS_CHANGE_REFERENCE_DATA:
		return pki_change_reference_data(c, a);
	case PKI_INS_RESET_RETRY_COUNTER:
		return pki_reset_retry_counter(c, a);
	case PKI_INS_MSE:
		return pki_mse(c, a);
	case PKI_INS_GENERATE:
		return pki_generate(c, a);
	case PKI_INS_PSO:
		return pki_pso(c, a);
	case PKI_INS_GET_CHALLENGE:
		return pki_get_challenge(c, a);
	case PKI_INS_PUT_DATA:
		return pki_put_data(c, a);
	case PKI_INS_BUILD_CSR:
		return pki_build_csr(c, a);
	default:
		return SW_INS_NOT_SUPPORTED;
	}
}

static const char *state_name(uint8_t state)
{
	switch (state) {
	case PKI_STATE_CREATION:
		return "creation (no PUK or PIN yet)";
	case PKI_STATE_INITIALISATION:
		return "initialisation (PUK set, no PIN yet)";
	case PKI_STATE_OPERATIONAL:
		return "operational";
	default:
		return "unknown";
	}
}

static void describe_pin(struct card_ctx *c, struct card_info *info, const char *name, uint32_t off)
{
	card_obj_t pin = pki_rd16(pki_root(c) + off);

	if (!pin || !card_pin_is_set(c, pin))
		card_info_line(info, "%s: not set", name);
	else if (card_pin_tries_left(c, pin) == 0)
		card_info_line(info, "%s: blocked", name);
	else
		card_info_line(info, "%s: set, %d tries left", name, card_pin_tries_left(c, pin));
}

static void pki_describe(struct card_ctx *c, struct card_info *info)
{
	const uint8_t *root = pki_root(c);

	card_info_line(info, "life cycle: %s", state_name(root[ROOT_STATE]));
	describe_pin(c, info, "PIN", ROOT_PIN);
	describe_pin(c, info, "PUK", ROOT_PUK);
	for (unsigned i = 0; i < PKI_KEY_SLOTS; i++) {
		enum card_key_type type = card_key_type(c, pki_rd16(root + ROOT_KEYS + 2 * i));

		if (type != CARD_KEY_NONE)
			card_info_line(info, "key %02X: %s", i, type == CARD_KEY_RSA2048 ? "RSA-2048" : "EC P-256");
	}
	pki_fs_describe(c, info);
}

const struct card_applet pki_applet = {
	.name = "pki",
	.root_size = ROOT_SIZE,
	.ram_size = sizeof(struct pki_ram),
	.install = pki_install,
	.select = pki_select,
	.process = pki_process,
	.chain_ok = pki_chain_ok,
	.event = pki_event,
	.describe = pki_describe,
};
