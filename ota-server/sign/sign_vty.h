/* simpki-otad's 'signing' configuration node and signing commands (sign_vty.c). */
#pragma once

/*! Install the 'signing' node, its relying parties, 'show signing' and 'show signature SESSION'. */
void otad_sign_vty_init(void);
