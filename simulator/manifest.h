/* The card manifest: what a card is built with, read once when the card is created (installation).
 *
 * Text, one directive per line; blank lines and lines starting with '#' are skipped; fields are separated by
 * spaces or tabs; numbers are decimal, byte strings hex:
 *
 *   atr HEX                 the card's ATR (2..33 bytes); default 3B80800101 (T=1)
 *   nvm-size BYTES          size of the NVM data area (65536..16777216); default 262144
 *   applet NAME aid HEX ram BYTES nvm BYTES [tar HEX]
 *                           install the linked applet NAME: AID 5..16 bytes, TAR 3 bytes (unique per card),
 *                           RAM budget (transient bytes) and NVM budget (bytes of its objects), at most 8
 *
 * Unknown directives, repeated keys, bad numbers and a line over 512 characters are errors naming the line.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_MAX_APPLETS 8
#define MANIFEST_NAME_MAX 15

struct manifest_applet {
	char name[MANIFEST_NAME_MAX + 1];
	uint8_t aid[16];
	uint8_t aid_len; /* 5..16 */
	bool has_tar;
	uint8_t tar[3];
	uint32_t ram; /* transient RAM budget, bytes */
	uint32_t nvm; /* NVM budget, bytes */
};

struct manifest {
	uint8_t atr[33];
	uint8_t atr_len;
	uint32_t nvm_size;
	struct manifest_applet applets[MANIFEST_MAX_APPLETS];
	unsigned napplets;
};

/* The manifest of a simpki SIM when none is given. */
extern const char manifest_default[];

/*! Parse manifest \a text. On error, \a err (size \a errlen) says which line and why.
 *  \returns 0; -EINVAL */
int manifest_parse(const char *text, struct manifest *m, char *err, size_t errlen);
