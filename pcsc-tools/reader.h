/* Card readers for simpki-tool: an operations table, with PC/SC (libpcsclite) as the backend. PC/SC status codes
 * never leave this layer: callers see negative errno values.
 *   -ENXIO     no reader (or pcscd is not running)        -ENOMEDIUM  no card in the reader
 *   -ENODEV    no reader by the name asked for
 *   -EBUSY     another program holds the card exclusively  -EIO        anything else went wrong talking to it
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct reader;

struct reader_ops {
	const char *name;
	/*! Connect to the reader called \a name, or to the first reader holding a card when \a name is NULL. */
	int (*open)(const char *name, struct reader **out);
	/*! One APDU; \a resp has room for \a *resp_len bytes, which is set to the response length (>= 2). */
	int (*transmit)(struct reader *r, const uint8_t *cmd, size_t len, uint8_t *resp, size_t *resp_len);
	/*! The ATR of the card. \returns its length */
	int (*atr)(struct reader *r, uint8_t *atr, size_t max);
	/*! The name of the reader in use. */
	const char *(*reader_name)(struct reader *r);
	void (*close)(struct reader *r);
};

extern const struct reader_ops reader_pcsc;

/*! List the readers pcscd knows, one callback per reader with whether it holds a card. \returns how many; -ENXIO */
int reader_pcsc_list(void (*cb)(const char *name, int card_present, void *arg), void *arg);

/*! A sentence for a reader error code, for people. */
const char *reader_strerror(int err);
