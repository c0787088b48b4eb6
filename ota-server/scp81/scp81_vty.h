/* simpki-otad's 'scp81' configuration node and 'show scp81' (scp81_vty.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

/*! Install the 'scp81' node and 'show scp81'. */
void scp81_vty_init(void);
/*! The PSK of \a identity from the hidden test-only 'test-psk IDENTITY HEX' lines (never for production: they are
 *  logged loudly at start). \returns its length; -ENOENT */
int scp81_test_psk(const char *identity, uint8_t *psk, size_t max);
/*! How many 'test-psk' lines the configuration has. */
unsigned scp81_test_psk_count(void);
