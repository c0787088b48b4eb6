/* Doors into the simulated card that a real card does not have, for benchmarks and tests only.
 * Nothing outside bench/ and tests/ may include this header. */
#pragma once
#include <simpki/card_crypto.h>

#include "cardos.h"

struct evp_pkey_st;

/*! The first private key of \a type on the card (in object table order), with a reference the caller frees
 *  with EVP_PKEY_free(). \returns 0; -ENOENT */
int card_os_debug_key(struct card_os *os, enum card_key_type type, struct evp_pkey_st **out);

/*! The card API context of installed applet \a idx (manifest order), so a test can call the card API as that
 *  applet would (card.h, card_crypto.h). NULL if there is no such applet. */
struct card_ctx *card_os_debug_ctx(struct card_os *os, unsigned idx);

/*! From now on, every RSA-2048 key generation in this process returns a copy of one key pair generated once
 *  (for fuzzing, where a fresh 100 ms key generation per input would starve the search). */
void card_os_debug_reuse_rsa_keys(void);
