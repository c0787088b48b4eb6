/* libFuzzer harness: what pcscd's vpcd driver could send a card with the default manifest.
 *
 * Input: vpcd frames, each a 2-byte big-endian length and that many bytes (simulator/cardos/vpcd.h): a 1-byte frame is a
 * control (power off, on, reset, get ATR), a longer one a command APDU. A trailing partial frame is handled as it
 * is. Each frame is copied into a buffer of exactly its size so that a read past its end is a sanitizer error,
 * not a read of the next frame.
 *
 * The card is built once per process; every input starts from a fresh store holding a copy of that pristine image
 * (nvm_store_from_image()), so inputs are independent. Checked for every frame: vpcd_handle() does not fail; a
 * command gets 2 to CARD_RESP_MAX + 2 bytes ending in SW1 61..6F, 90, 91 (proactive command) or 93 (toolkit busy); a control gets nothing or the ATR. After the sequence the card must open again from
 * its NVM (the heap stays consistent whatever the commands did). A broken invariant abort()s.
 *
 * RSA-2048 key generation returns copies of one key pair made once per process (card_os_debug_reuse_rsa_keys()),
 * and GENERATE ASYMMETRIC KEY PAIR (INS 46) is sent at most MAX_GENERATE times per input, so an input made of
 * nothing else stays fast.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/card.h>

#include "cardos.h"
#include "cardos_debug.h"
#include "fuzz.h"
#include "vpcd.h"

#define MAX_GENERATE 4
#define INS_GENERATE 0x46

/* The image of the card as built (header, journal and data area). */
static uint8_t *pristine;
static size_t pristine_len;

static void die(const char *what)
{
	fprintf(stderr, "fuzz-card: %s\n", what);
	abort();
}

static void init(void)
{
	static const struct card_identity id = { .iccid = "89445012345678901238" };
	struct nvm_store *s;
	const uint8_t *img;
	char err[256] = "";

	card_os_debug_reuse_rsa_keys(); /* one RSA-2048 key pair per process: inputs stay fast */
	if (card_os_build(NULL, &id, &s, err, sizeof(err))) {
		fprintf(stderr, "fuzz-card: %s\n", err);
		die("cannot build the card");
	}
	img = nvm_store_image(s, &pristine_len);
	pristine = malloc(pristine_len);
	if (!pristine)
		die("out of memory");
	memcpy(pristine, img, pristine_len);
	nvm_store_free(s);
}

static void transmit(struct card_os *os, const uint8_t *apdu, size_t len)
{
	static uint8_t resp[CARD_RESP_MAX + 2];
	uint8_t *cmd = malloc(len ? len : 1);
	size_t resp_len = 0;
	uint8_t sw1;
	int rc;

	if (!cmd)
		die("out of memory");
	memcpy(cmd, apdu, len);
	rc = vpcd_handle(os, cmd, len, resp, sizeof(resp));
	free(cmd);
	if (rc < 0) {
		fprintf(stderr, "fuzz-card: vpcd_handle returned %d\n", rc);
		abort();
	}
	if (len < 2) {
		if (rc != 0 && !(len == 1 && apdu[0] == VPCD_CTRL_ATR && rc >= 2))
			die("a control frame got an unexpected answer");
		return;
	}
	resp_len = (size_t)rc;
	if (resp_len < 2 || resp_len > CARD_RESP_MAX + 2) {
		fprintf(stderr, "fuzz-card: response length %zu\n", resp_len);
		abort();
	}
	sw1 = resp[resp_len - 2];
	if (!((sw1 >= 0x61 && sw1 <= 0x6f) || sw1 == 0x90 || sw1 == 0x91 || sw1 == 0x93)) {
		fprintf(stderr, "fuzz-card: SW %02X%02X\n", sw1, resp[resp_len - 1]);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nvm_store *s;
	struct card_os *os;
	uint8_t atr[33];
	unsigned generates = 0;
	size_t pos = 0;

	if (!pristine)
		init();
	if (nvm_store_from_image(pristine, pristine_len, &s))
		die("cannot copy the pristine image");
	if (card_os_open(s, &os))
		die("cannot open the card");
	if (card_os_power_on(os, atr, sizeof(atr)) <= 0)
		die("no ATR");
	while (pos < size) {
		size_t len = size - pos;

		if (len >= 2) {
			size_t want = (size_t)data[pos] << 8 | data[pos + 1];

			pos += 2;
			len = want < size - pos ? want : size - pos;
		}
		if (len >= 4 && data[pos + 1] == INS_GENERATE && ++generates > MAX_GENERATE) {
			pos += len;
			continue;
		}
		transmit(os, data + pos, len);
		pos += len;
	}
	card_os_close(os);
	if (card_os_open(s, &os))
		die("the card does not open again from its NVM");
	card_os_close(os);
	nvm_store_free(s);
	return 0;
}
