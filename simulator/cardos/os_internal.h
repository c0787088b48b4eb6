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
	enum card_protocol proto; /* timing.c's transport model */
	unsigned baud;
	uint64_t modelled_us; /* what a real SIM would have taken so far (timing.c) */

	unsigned napplets;
	const struct card_applet *applets[HEAP_APPLETS];
	struct card_ctx ctx[HEAP_APPLETS];
	uint8_t *ram[HEAP_APPLETS];
	uint8_t *ram_saved; /* the terminal session's RAM of an applet while an OTA session runs */
	/* The rest of each applet's RAM budget (the manifest's ram minus the applet's ram_size): card_transient_alloc()
	 * hands it out from the bottom, arena_used bytes so far; the OS's cryptography needs its working memory free in
	 * it while it runs. Zero past arena_used; all of it is wiped when the applet is deselected or the card reset. */
	uint8_t *arena[HEAP_APPLETS];
	uint32_t arena_size[HEAP_APPLETS], arena_used[HEAP_APPLETS];
	uint32_t arena_mark; /* arena_used of the OTA session's applet when the session began */
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
/*! The installed applet whose AID is \a aid (\a len bytes). \returns its index; -1 */
int card_os_find_applet(const struct card_os *os, const uint8_t *aid, uint32_t len);
void card_ota_session_begin(struct card_os *os, int idx);
uint16_t card_ota_session_command(struct card_os *os, int idx, const struct apdu_cmd *cmd, const uint8_t **data,
				  uint32_t *len);
void card_ota_session_end(struct card_os *os, int idx);

/* api.c: allocate an object of any kind for the applet of \a c, charged to its NVM budget. */
int card_alloc_kind(struct card_ctx *c, enum heap_kind kind, uint32_t size, card_obj_t *out);
/* api.c: whether \a work bytes of working memory fit what is left of the applet's RAM budget. \returns 0; -ENOMEM */
int card_ram_check(struct card_ctx *c, uint32_t work);
/* os.c: release the transient allocations of applet \a idx above \a mark bytes, wiping them. */
void card_arena_release(struct card_os *os, int idx, uint32_t mark);

/* crypto.c */
void card_key_cache_clear(struct card_os *os);
void card_key_cache_drop(struct card_os *os, card_obj_t h);
/* timing.c: charge \a ms of a real SIM's time for an operation (slept only in CARD_TIMING_REAL). */
void card_timing_delay(struct card_os *os, unsigned ms);
/* timing.c: charge one command's transport and the NVM pages it wrote. */
void card_timing_command(struct card_os *os, size_t cmd_len, size_t resp_len, uint64_t pages);
