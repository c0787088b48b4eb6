/* libFuzzer harness: the card's OTA receiving entity as the network reaches it, through ENVELOPE (SMS-PP download).
 *
 * Input: envelopes, each a 1-byte length and that many bytes of ENVELOPE data (the D1 BER-TLV with its SMS-DELIVER),
 * sent as 80 C2 00 00 Lc data; a waiting proactive command (91xx) is fetched and acknowledged with a TERMINAL
 * RESPONSE, as a handset would. The card (OTA key sets 1 AES and 2 3DES, RFM TAR B00010, PKI TAR 504B49, an
 * expanded RFM TAR B00012 with MSL 02) is built once per process; every input starts from a copy of that image.
 *
 * Checked: card_os_transmit() never fails and answers 2 to CARD_RESP_MAX + 2 bytes; an ENVELOPE answered with an
 * error (6xxx) left the NVM image byte for byte as it was; a PoR in the envelope response starts with 02 71 00; after
 * the sequence the card opens again from its NVM. A broken invariant abort()s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/card.h>

#include "cardos.h"
#include "fuzz.h"

#define KEYS16 "000102030405060708090A0B0C0D0E0F"

static const char manifest[] = "applet pki aid F276A288BCFBA69D34F31001 ram 1024 nvm 131072 tar 504B49 msl 16\n"
			       "rfm tar B00010 msl 16\n"
			       "rfm tar B00012 msl 02 format expanded\n"
			       "ota-key 1 aes " KEYS16 " 101112131415161718191A1B1C1D1E1F\n"
			       "ota-key 2 3des 202122232425262728292A2B2C2D2E2F " KEYS16 "\n";

static uint8_t *pristine;
static size_t pristine_len;

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-envelope: %s\n", what);
	abort();
}

static void init(void)
{
	static const struct card_identity id = { .iccid = "8988211000000430010", .imsi = "001010000000001" };
	struct nvm_store *s;
	const uint8_t *img;
	char err[256] = "";

	if (card_os_build(manifest, &id, &s, err, sizeof(err))) {
		fprintf(stderr, "fuzz-envelope: %s\n", err);
		die("cannot build the card");
	}
	img = nvm_store_image(s, &pristine_len);
	pristine = malloc(pristine_len);
	if (!pristine)
		die("out of memory");
	memcpy(pristine, img, pristine_len);
	nvm_store_free(s);
}

static uint16_t transmit(struct card_os *os, const uint8_t *cmd, size_t len, uint8_t *resp, size_t *resp_len)
{
	if (card_os_transmit(os, cmd, len, resp, CARD_RESP_MAX + 2, resp_len) || *resp_len < 2 ||
	    *resp_len > CARD_RESP_MAX + 2)
		die("card_os_transmit failed");
	return (uint16_t)(resp[*resp_len - 2] << 8 | resp[*resp_len - 1]);
}

/* Fetch a waiting SEND SHORT MESSAGE and answer it; up to the 32 parts a PoR can have. */
static void serve_proactive(struct card_os *os, uint16_t sw, uint8_t *resp)
{
	for (int i = 0; i < 33 && (sw >> 8) == 0x91; i++) {
		uint8_t fetch[5] = { 0x80, 0x12, 0x00, 0x00, (uint8_t)sw };
		uint8_t tr[17] = { 0x80, 0x14, 0x00, 0x00, 0x0c, 0x81, 0x03, 0x00, 0x13,
				   0x00, 0x82, 0x02, 0x82, 0x81, 0x83, 0x01, 0x00 };
		size_t n, off;

		if (transmit(os, fetch, sizeof(fetch), resp, &n) != 0x9000 || n != (size_t)(sw & 0xff) + 2 ||
		    resp[0] != 0xd0)
			die("FETCH did not return the announced proactive command");
		off = resp[1] == 0x81 ? 3 : 2;
		tr[7] = resp[off + 2]; /* the command number */
		sw = transmit(os, tr, sizeof(tr), resp, &n);
	}
	if ((sw >> 8) == 0x91)
		die("more proactive commands than a PoR can have");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t resp[CARD_RESP_MAX + 2], cmd[5 + 255];
	struct nvm_store *s;
	struct card_os *os;
	uint8_t atr[33];
	size_t pos = 0, n;

	if (!pristine)
		init();
	if (nvm_store_from_image(pristine, pristine_len, &s) || card_os_open(s, &os))
		die("cannot open the pristine card");
	card_os_power_on(os, atr, sizeof(atr));
	while (pos < size) {
		size_t len = data[pos++], img_len;
		const uint8_t *img;
		uint8_t *before;
		uint16_t sw;

		if (len > size - pos)
			len = size - pos;
		memcpy(cmd, "\x80\xc2\x00\x00", 4);
		cmd[4] = (uint8_t)len;
		memcpy(cmd + 5, data + pos, len);
		pos += len;
		before = malloc(pristine_len);
		if (!before)
			die("out of memory");
		img = nvm_store_image(s, &img_len);
		memcpy(before, img, img_len);
		sw = transmit(os, cmd, 5 + len, resp, &n);
		img = nvm_store_image(s, &img_len);
		if ((sw >> 12) == 0x6 && (sw >> 8) != 0x61 && memcmp(before, img, img_len))
			die("an ENVELOPE answered with an error changed the NVM");
		free(before);
		if (n > 2 && (n < 5 || memcmp(resp, "\x02\x71\x00", 3)))
			die("envelope response data that is not a PoR");
		serve_proactive(os, sw, resp);
	}
	card_os_close(os);
	if (card_os_open(s, &os))
		die("the card does not open again");
	card_os_close(os);
	nvm_store_free(s);
	return 0;
}
