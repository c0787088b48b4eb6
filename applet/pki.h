/* Internals of the PKI applet, shared by its files: pki.c (selection, dispatch), pki_fs.c (file system),
 * pki_pin.c (PIN and PUK), pki_sec.c (keys and signatures), pki_csr.c (certificate requests built on the card).
 *
 * Root object (persistent), all integers little-endian:
 *   0  u8 life cycle state (PKI_STATE_*)   2  u16 PIN object   4  u16 PUK object (0: never set)
 *   6  u16 key object per key reference 00..0F (0: empty)
 *   38 file table, PKI_FILES entries of 8 bytes: u16 FID | u8 parent entry (0xFF for the MF) |
 *      u8 flags (PKI_F_USED, PKI_F_DF) | u16 file object | u16 zero
 *   Entry 0 is the MF (3F00). A file object holds: u8 FCI length | the FCI exactly as CREATE FILE sent it |
 *   the EF's content (its size from tag 81, zeroed at creation).
 * Transient RAM: struct pki_ram.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <simpki/card.h>
#include <simpki/card_applet.h>
#include <simpki/card_crypto.h>
#include <simpki/pki_applet.h>

#define PKI_FILES 64
#define PKI_F_USED 0x01
#define PKI_F_DF 0x02
#define PKI_NO_FILE 0xff

#define ROOT_STATE 0
#define ROOT_PIN 2
#define ROOT_PUK 4
#define ROOT_KEYS 6
#define ROOT_FILES 38
#define FILE_ENTRY 8
#define ROOT_SIZE (ROOT_FILES + PKI_FILES * FILE_ENTRY)

struct pki_ram {
	bool pin_validated; /* a VERIFY succeeded since selection: MSE, GENERATE, PSO need it */
	bool fs_user_auth;  /* file ACL condition 90: VERIFY succeeded, or not yet OPERATIONAL */
	bool issuer;	    /* the command came over the air through the applet's TAR: the card issuer's authority */
	uint8_t cur_df;	    /* file table entry of the current DF */
	uint8_t cur_ef;	    /* current EF, or PKI_NO_FILE */
	uint8_t se_p2;	    /* MSE template: 00 key generation, B6 signature, B8 decipher; 0xFF none */
	uint8_t se_alg;
	uint8_t se_key;
};

/* A file table entry, decoded. */
struct pki_file {
	uint16_t fid;
	uint8_t parent;
	uint8_t flags;
	card_obj_t obj;
};

static inline uint16_t pki_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void pki_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* pki.c */
const uint8_t *pki_root(struct card_ctx *c);
uint8_t pki_state(struct card_ctx *c);
int pki_root_write16(struct card_ctx *c, uint32_t off, uint16_t v);
/* The key object of key reference \a ref (0..PKI_KEY_SLOTS-1); 0 for an empty slot. */
card_obj_t pki_key_obj(struct card_ctx *c, uint8_t ref);
/* Status word for a card API error. */
int pki_sw_from_errno(int rc);

/* pki_fs.c */
int pki_fs_install(struct card_ctx *c);
void pki_fs_reset(struct card_ctx *c);
void pki_fs_describe(struct card_ctx *c, struct card_info *info);
int pki_select_file(struct card_ctx *c, struct card_apdu *a);
int pki_create_file(struct card_ctx *c, struct card_apdu *a);
int pki_delete_file(struct card_ctx *c, struct card_apdu *a);
int pki_read_binary(struct card_ctx *c, struct card_apdu *a);
int pki_update_binary(struct card_ctx *c, struct card_apdu *a);
/* The content of file table entry \a idx if it is an EF (transparent or record), else NULL. */
const uint8_t *pki_fs_ef_content(struct card_ctx *c, unsigned idx, uint32_t *len);

/* pki_pin.c */
int pki_verify(struct card_ctx *c, struct card_apdu *a);
int pki_change_reference_data(struct card_ctx *c, struct card_apdu *a);
int pki_reset_retry_counter(struct card_ctx *c, struct card_apdu *a);

/* pki_sec.c */
int pki_mse(struct card_ctx *c, struct card_apdu *a);
int pki_generate(struct card_ctx *c, struct card_apdu *a);
int pki_pso(struct card_ctx *c, struct card_apdu *a);
int pki_get_challenge(struct card_ctx *c, struct card_apdu *a);
int pki_put_data(struct card_ctx *c, struct card_apdu *a);

/* pki_sign.c: the toolkit session of a signing request (card_toolkit.h) */
int pki_event(struct card_ctx *c, struct card_event_data *ev);

/* pki_csr.c */
int pki_build_csr(struct card_ctx *c, struct card_apdu *a);
