/* libFuzzer harness: the server side of OTA, a proof of receipt (SMS user data, UDH 02 71 00 first) decoded for
 * commands of the different security profiles. The input's first two bytes are the command's SPI; the third picks
 * the key set (3DES or AES, CCs of 8 or 4 bytes). Checked: no read outside the input, the PoR's data lies inside
 * the work buffer, and a PoR that decodes with a good checksum encodes again into one that decodes to the same
 * status, counter and data (the bytes may differ: a sender may pad more than it must).
 * As on the server, the key sets (struct ota_keyset) are made once and kept from input to input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/ota.h>

#include "fuzz.h"

static void die(const char *what)
{
	fprintf(stderr, "fuzz-ota-por: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t work[OTA_MAX_PACKET], again[OTA_MAX_PACKET], work2[OTA_MAX_PACKET];
	static const struct ota_keys sets[3] = {
		{ .kic = "\x30\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
		  .kic_len = 16,
		  .kid = "\x30\x11\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
		  .kid_len = 16 },
		{ .kic = "\x20\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
		  .kic_len = 16,
		  .kid = "\x20\x11\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
		  .kid_len = 16 },
		{ .kic = "\x20\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
		  .kic_len = 16,
		  .kid = "\x20\x11\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
		  .kid_len = 16,
		  .cc_len = 4 },
	};
	static const uint8_t kic_kid[3] = { 0x35, 0x22, 0x22 };
	static struct ota_keyset *ks[3];
	struct ota_keyset *keys;
	struct ota_command cmd = { 0 };
	struct ota_response rsp, back;
	bool cc_ok, cc2;
	int len;

	if (size < 3)
		return 0;
	if (!ks[0]) {
		for (int i = 0; i < 3; i++) {
			if (ota_keyset_new(kic_kid[i], kic_kid[i], &sets[i], &ks[i]))
				die("cannot make the key sets");
		}
	}
	ota_spi_decode(data, &cmd.spi);
	cmd.kic = cmd.kid = kic_kid[data[2] % 3];
	keys = ks[data[2] % 3];
	if (ota_response_decode(data + 3, size - 3, &cmd, keys, &rsp, &cc_ok, work))
		return 0;
	if (rsp.data < work || rsp.data + rsp.data_len > work + OTA_MAX_PACKET)
		die("PoR data outside the work buffer");
	if (!cc_ok || cmd.spi.por_integrity == OTA_NONE || cmd.spi.por_integrity == OTA_RC)
		return 0;
	len = ota_response_encode(&cmd, &rsp, keys, again, sizeof(again));
	if (len < 0 || ota_response_decode(again, (size_t)len, &cmd, keys, &back, &cc2, work2) || !cc2 ||
	    back.status != rsp.status || back.cntr != rsp.cntr || back.data_len != rsp.data_len ||
	    memcmp(back.data, rsp.data, rsp.data_len))
		die("a PoR with a good CC does not survive encoding and decoding again");
	return 0;
}
