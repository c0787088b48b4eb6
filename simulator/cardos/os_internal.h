/* State of a powered card shared by the card OS's files (os.c dispatch, api.c and crypto.c: the card API).
 *
 * Invariants: selected is -1 or an index below napplets; ram[i] holds applets[i]->ram_size bytes and is
 * zero whenever applet i is not selected; keys[h] is NULL or the private key of key object h as it is in
 * NVM (cleared whenever a transaction aborts or an object is freed).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <simpki/card.h>
#include <simpki/card_applet.h>

#include "cardos.h"
#include "heap.h"
#include "nvm.h"

struct evp_pkey_st;
struct ota_re;
struct apdu_cmd;

struct card_ctx {
	struct card_os *os;
	uint8_t idx; /* applet table index; its objects' owner is idx + 1 */
};

struct card_os {
	struct nvm_store *store;
	bool own_store; /* opened from a directory: freed on close */
	struct nvm *nvm;
	bool powered;
	enum card_timing timing;

	unsigned napplets;
	const struct card_applet *applets[HEAP_APPLETS];
	struct card_ctx ctx[HEAP_APPLETS];
	uint8_t *ram[HEAP_APPLETS];
	uint8_t *ram_saved; /* the terminal session's RAM of an applet while an OTA session runs */
	int selected;

	/* Command chaining in progress: the header of its first block and the data so far. */
	bool chain_active;
	uint8_t chain_ins, chain_p1, chain_p2;
	uint32_t chain_len;
	uint8_t chain_buf[CARD_CMD_MAX];

	/* Response data waiting for GET RESPONSE, and the applet's status word to end it with. */
	uint8_t resp_buf[CARD_RESP_MAX];
	uint32_t pend_off, pend_len;
	uint16_t pend_sw;

	struct ota_re *ota; /* the OTA receiving entity's transient state (ota_re.h) */

	struct evp_pkey_st *keys[HEAP_OBJECTS + 1];
	uint64_t pin_compares; /* PIN values compared so far (tests check none happens before the counter is down) */
};

/* os.c: a session of applet \a idx for a remote APDU script, apart from the terminal's: its RAM is saved and
 * zeroed, it is selected, runs the commands with origin CARD_ORIGIN_OTA, is deselected, and its RAM restored. */
void card_ota_session_begin(struct card_os *os, int idx);
uint16_t card_ota_session_command(struct card_os *os, int idx, const struct apdu_cmd *cmd, const uint8_t **data,
				  uint32_t *len);
void card_ota_session_end(struct card_os *os, int idx);

/* api.c: allocate an object of any kind for the applet of \a c, charged to its NVM budget. */
int card_alloc_kind(struct card_ctx *c, enum heap_kind kind, uint32_t size, card_obj_t *out);

/* crypto.c */
void card_key_cache_clear(struct card_os *os);
void card_key_cache_drop(struct card_os *os, card_obj_t h);
/* Sleep as a real SIM would for an operation (no-op in CARD_TIMING_FAST). */
void card_timing_delay(struct card_os *os, unsigned ms);
