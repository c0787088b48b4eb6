/* Secured packets in SMS user data (3GPP TS 31.115 §4): a packet that fits one SMS is UDH 02 70 00 (command) or
 * 02 71 00 (PoR) and the packet; a longer one is cut into concatenated SMS, the first with the UDH
 * 07 00 03 ref n 1 70 00 (or 71 00), the others 05 00 03 ref n i, each at most SMS_MAX_UD bytes. Joining parts
 * gives back 02 7x 00 and the packet, which is what the CC of a PoR covers and what the decoders take. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <simpki/sms.h>

#define OTA_SMS_MAX_PARTS 32

struct ota_sms_part {
	uint8_t ud[SMS_MAX_UD];
	uint8_t len;
};

/*! Cut command packet \a pkt (no UDH) into the SMS user data that carry it (\a iei 0x70 for a command, 0x71 for a
 *  PoR), concatenation reference \a ref. \returns the number of parts; -E2BIG (more than \a max parts) */
int ota_sms_split(const uint8_t *pkt, size_t len, uint8_t iei, uint8_t ref, struct ota_sms_part *parts, size_t max);

/*! Join SMS user data into one packet's user data (02 7x 00 | packet): one SMS that is not a part, or all the
 *  parts of one concatenated SMS in any order. \returns 0 and sets *out_len; -EBADMSG (bad UDH, parts missing,
 *  repeated or of another message); -E2BIG */
int ota_sms_join(const uint8_t *const ud[], const size_t len[], size_t n, uint8_t *out, size_t max, size_t *out_len);

/*! Whether \a ud is a part of a concatenated SMS. \returns 1 with *cc set; 0: not a part; -EBADMSG: bad UDH */
int ota_sms_part(const uint8_t *ud, size_t len, struct sms_concat *cc);
