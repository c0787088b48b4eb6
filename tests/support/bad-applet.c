/* An applet library that breaks the SIM's rules: it keeps writable static storage (a counter in .bss, a table in
 * .data). tests/applet-symbols.sh must refuse it; it is built only for that test and never linked into a card. */
#include <simpki/card.h>

int bad_applet_count(struct card_ctx *c);

static unsigned calls;
unsigned char bad_applet_last[4] = { 1 };

int bad_applet_count(struct card_ctx *c)
{
	calls++;
	bad_applet_last[0]++;
	return (int)calls + (int)card_root(c);
}
