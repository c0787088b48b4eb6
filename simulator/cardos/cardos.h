/* The card OS as hosts drive it: create a card, power it, exchange APDUs. simpki-card, the PC/SC and handset
 * front ends, the tests and the benchmarks all go through this; applets never see it.
 *
 * A card is an NVM image (nvm.h) holding the OS block, the installed applets and their objects (heap.h).
 * In a directory given with --state, the image is the file "card.img".
 * card_os_transmit() takes one command APDU as bytes and returns the response (data and SW1 SW2); a command
 * the OS cannot parse gets a status word and changes nothing. -EIO from it means the card lost power
 * (an armed NVM fault fired): close it and open it again, as a restart would.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <simpki/card.h>

#include "manifest.h"
#include "nvm.h"

#define CARD_IMAGE_FILE "card.img"
#define CARD_JOURNAL_SIZE (32 * 1024)

struct card_os;

struct card_identity {
	char iccid[21];	 /* 18..20 digits, the last a Luhn check digit */
	char imsi[16];	 /* 6..15 digits, or empty */
	char msisdn[16]; /* 1..15 digits, or empty */
};

enum card_timing {
	CARD_TIMING_FAST = 0, /* as fast as the host can do it (default); the real SIM's time is still modelled */
	CARD_TIMING_REAL = 1, /* take as long as a real SIM in a real reader: transport at the configured rate, NVM
			       * page writes, RSA-2048 keygen ~9 s, sign ~190 ms; P-256 keygen ~0.9 s (timing.c) */
};

/* The transmission protocol of the timing model (the card's ATR offers both). */
enum card_protocol {
	CARD_PROTO_T0 = 0,
	CARD_PROTO_T1 = 1, /* default */
};

#define CARD_BAUD_DEFAULT 9600 /* bit/s: Fi 372, Di 1 at 3.57 MHz, the rate of an ATR without TA1 */
#define CARD_NVM_PAGE_US 3000  /* one 64-byte NVM page written (NVM_PAGE_SIZE) */

/* What `info` shows of one installed applet. */
struct card_applet_info {
	struct manifest_applet m;
	uint32_t nvm_used;
};

/*! Check an identity: digits, lengths, the ICCID's Luhn check digit. \returns 0; -EINVAL with \a err set */
int card_identity_check(const struct card_identity *id, char *err, size_t errlen);

/*! Build a new card in memory: format the NVM, install the manifest's applets (\a manifest_text NULL: the
 *  default manifest). \returns 0 and sets *out; -EINVAL with \a err set; -ENOMEM */
int card_os_build(const char *manifest_text, const struct card_identity *id, struct nvm_store **out, char *err,
		  size_t errlen);
/*! Save a card built by card_os_build() as DIR/card.img (DIR and its missing parents are created, mode 0700); writes
 *  to \a s go through to that file from now on. An existing card is replaced only with \a force.
 *  \returns 0; -EEXIST; -EBUSY (another process holds the card being replaced); -errno */
int card_os_save_dir(struct nvm_store *s, const char *dir, bool force);
/*! card_os_build() and save it as DIR/card.img (DIR and its missing parents are created). An existing card is replaced only
 *  with \a force. \returns 0; -EEXIST; -EINVAL with \a err set; -errno */
int card_os_create_dir(const char *dir, const char *manifest_text, const struct card_identity *id, bool force,
		       char *err, size_t errlen);

/*! Open a card on \a store (not owned: it outlives power cycles). \returns 0; -EBADMSG for a bad image; -EIO */
int card_os_open(struct nvm_store *store, struct card_os **out);
/*! Open DIR/card.img (the store is owned and freed by card_os_close()). \returns 0; -ENOENT; -EBADMSG; -errno */
int card_os_open_dir(const char *dir, struct card_os **out);
void card_os_close(struct card_os *os);
struct nvm_store *card_os_store(struct card_os *os);

/*! Power on or reset: transient state cleared, no applet selected. Writes the ATR. \returns its length */
int card_os_power_on(struct card_os *os, uint8_t *atr, size_t max);
void card_os_power_off(struct card_os *os);

/*! One command APDU. \a resp needs room for CARD_RESP_MAX + 2 bytes.
 *  \returns 0 and sets *resp_len (>= 2); -ENODEV if not powered; -EINVAL if \a max is too small; -EIO on power
 *  loss */
int card_os_transmit(struct card_os *os, const uint8_t *cmd, size_t len, uint8_t *resp, size_t max, size_t *resp_len);

void card_os_set_timing(struct card_os *os, enum card_timing timing);
/*! The timing model's transport: protocol and rate (1,200..1,000,000 bit/s). \returns 0; -EINVAL */
int card_os_set_transport(struct card_os *os, enum card_protocol proto, unsigned baud);
/*! How long the commands so far would have taken a real SIM in a real reader, in microseconds (every mode). */
uint64_t card_os_modelled_us(const struct card_os *os);
/*! How many PIN comparisons this card made since it was opened (for tearing tests). */
uint64_t card_os_pin_compares(const struct card_os *os);

/*! The card's identity and ATR as installed. */
void card_os_identity(const struct card_os *os, struct card_identity *id);
int card_os_atr(const struct card_os *os, uint8_t *atr, size_t max);
/*! Installed applets. \returns how many were written to \a out (at most \a max) */
unsigned card_os_applets(const struct card_os *os, struct card_applet_info *out, unsigned max);
/*! What applet \a idx says of its state (its describe() hook), as text lines, NUL-terminated in \a buf.
 *  \returns the text length; -ENOENT for no such applet */
int card_os_describe(struct card_os *os, unsigned idx, char *buf, size_t len);
/* What `info` shows of the OTA configuration: the TARs, and the key sets without their keys. */
struct card_ota_tar_info {
	uint8_t tar[3];
	uint8_t msl;
	bool expanded;
	char what[32]; /* "rfm", "applet NAME", "toolkit NAME" (SMS-PP download events, not scripts) or "admin" (SCP81
			* push SMS) */
};

struct card_ota_key_info {
	uint8_t kvn;
	uint8_t alg; /* 1 3DES, 2 AES */
	uint8_t kic_len, kid_len;
	uint64_t counter;
};

/* An SCP81 TLS-PSK key of the admin agent, without its value. */
struct card_scp81_key_info {
	uint8_t kvn, kid, len;
};

unsigned card_os_scp81_keys(const struct card_os *os, struct card_scp81_key_info *out, unsigned max);
unsigned card_os_ota_tars(const struct card_os *os, struct card_ota_tar_info *out, unsigned max);
unsigned card_os_ota_keys(const struct card_os *os, struct card_ota_key_info *out, unsigned max);
/*! Replace the OTA key set of version k->kvn (its counter carries on), or add it (counter 0): one atomic NVM
 *  write, after which the old keys are nowhere on the card. A personalisation or key rotation step of the card's
 *  issuer. \returns 0; -EINVAL (bad algorithm, version or key length); -ENOSPC (4 key sets already); -EIO */
int card_os_ota_key_set(struct card_os *os, const struct manifest_ota_key *k);

/*! Key pairs this card generated in its life (card_key_generate() that succeeded; one whose transaction was aborted
 *  does not count, as its key is gone too). Kept in the OS block of the NVM, for audits. */
uint32_t card_os_key_generations(const struct card_os *os);

/*! NVM figures: data area size, bytes in use by objects, largest free block. */
void card_os_nvm_stats(const struct card_os *os, uint32_t *size, uint32_t *used, uint32_t *largest_free);
