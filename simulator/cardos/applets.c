/* Registry of the applets linked into the card image (see applets.h). */
#include <string.h>

#include <simpki/pki_applet.h>

#include "applets.h"

static const struct card_applet *const linked[] = {
	&pki_applet,
};

const struct card_applet *card_applet_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(linked) / sizeof(linked[0]); i++) {
		if (!strcmp(linked[i]->name, name))
			return linked[i];
	}
	return NULL;
}
