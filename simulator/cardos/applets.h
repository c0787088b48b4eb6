/* The applets linked into this card image; a manifest can install only these. */
#pragma once
#include <simpki/card_applet.h>

/*! \returns the linked applet called \a name, or NULL */
const struct card_applet *card_applet_lookup(const char *name);
