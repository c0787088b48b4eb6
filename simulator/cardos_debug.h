/* Doors into the simulated card that a real card does not have, for benchmarks and tests only.
 * Nothing outside bench/ and tests/ may include this header. */
#pragma once
#include <simpki/card_crypto.h>

#include "cardos.h"

struct evp_pkey_st;

/*! The first private key of \a type on the card (in object table order), with a reference the caller frees
 *  with EVP_PKEY_free(). \returns 0; -ENOENT */
int card_os_debug_key(struct card_os *os, enum card_key_type type, struct evp_pkey_st **out);
