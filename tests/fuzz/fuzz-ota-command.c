/* libFuzzer harness: the card side of OTA, from an SMS-DELIVER TPDU to the remote APDUs of a secured packet.
 *
 * The input's first byte picks a key set (3DES two keys, or AES-128 with 8- or 4-byte CCs, as cards hold them);
 * the rest is an SMS-DELIVER TPDU. It is decoded (sms_tpdu_decode), its UDH walked (sms_udh_parse), and when it
 * carries a command packet (IE 70), the packet is peeked and decoded with the key set. Checked: no read outside
 * the input (the sanitizers), a decoded packet's data lies inside the work buffer, and a packet that decodes
 * intact encodes again (same SPI, KIc, KID, TAR, counter, data) into something that decodes to the same data.
 * As on the card, the key sets (struct ota_keyset) are made once, for the algorithms their keys are for (KIc/KID
 * 5, 2, 2), and kept from input to input: packets naming other algorithms meet the codec's refusals, and what one
 * input leaves in a key set must not change the next one's result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/ota.h>
#include <simpki/sms.h>

#include "fuzz.h"

static void die(const char *what)
{
	fprintf(stderr, "fuzz-ota-command: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t work[OTA_MAX_PACKET], again[OTA_MAX_PACKET], work2[OTA_MAX_PACKET];
	static const uint8_t algos[3] = { 0x05, 0x02, 0x02 };
	static struct ota_keyset *ks[3];
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
	struct ota_keyset *keys;
	struct sms_tpdu t;
	struct sms_ie ies[16];
	struct ota_command cmd, back;
	size_t n, hl;
	int st, len;

	if (size < 1)
		return 0;
	if (!ks[0]) {
		for (int i = 0; i < 3; i++) {
			if (ota_keyset_new(algos[i], algos[i], &sets[i], &ks[i]))
				die("cannot make the key sets");
		}
	}
	keys = ks[data[0] % 3];
	if (sms_tpdu_decode(data + 1, size - 1, &t) || !t.udhi || sms_udh_parse(t.ud, t.udl, ies, 16, &n, &hl))
		return 0;
	if (hl > t.udl)
		die("UDH longer than the user data");
	st = ota_command_decode(t.ud + hl, t.udl - hl, keys, &cmd, work);
	if (st != OTA_POR_OK)
		return 0;
	if (cmd.data < work || cmd.data + cmd.data_len > work + OTA_MAX_PACKET)
		die("decoded data outside the work buffer");
	len = ota_command_encode(&cmd, keys, again, sizeof(again));
	if (len < 0)
		die("a packet that decodes does not encode");
	if (ota_command_decode(again, (size_t)len, keys, &back, work2) != OTA_POR_OK || back.data_len != cmd.data_len ||
	    memcmp(back.data, cmd.data, cmd.data_len) || back.cntr != cmd.cntr)
		die("re-encoded packet differs");
	return 0;
}
