/* Text SMS for handsets (not for the SIM): UTF-8 text cut into SMS as an SMPP submit_sm carries them (3GPP TS
 * 23.038, TS 23.040 §9.2.3.24.1, SMPP v3.4 §5.2.19):
 *   GSM 7-bit default alphabet (data_coding 00) when every character is in it or its extension table (an
 *   extension character takes two septets, 1B xx, never cut apart): at most 160 septets in one SMS, else parts of
 *   at most 153 septets;
 *   UCS2 (data_coding 08, big-endian, Vietnamese) otherwise: at most 140 octets (70 characters) in one SMS, else
 *   parts of at most 134 octets (67 characters); a character outside the Basic Multilingual Plane is refused.
 * A text of several parts carries a concatenation UDH in each, 05 00 03 REF TOTAL SEQ (esm_class UDHI).
 * short_message of a GSM part is the UDH, if any, then one septet per octet (unpacked: the SMSC packs them, with
 * the fill bits after the UDH); of a UCS2 part, the UDH then the UCS2 octets. sms_text_pack() packs septets as
 * they go over the air, for tests and handsets.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMS_TEXT_MAX_PARTS 8
#define SMS_TEXT_DCS_GSM 0x00
#define SMS_TEXT_DCS_UCS2 0x08

struct sms_text_part {
	uint8_t dcs;	 /* SMS_TEXT_DCS_GSM or SMS_TEXT_DCS_UCS2 */
	bool udhi;	 /* ud starts with a concatenation UDH (6 octets) */
	uint8_t ud[166]; /* UDH + septets (one per octet) or UDH + UCS2 */
	size_t len;
};

/*! Cut UTF-8 \a text (\a len bytes) into parts; \a ref the concatenation reference of a text of several parts.
 *  \returns how many parts (1..max); -EILSEQ (not UTF-8, or outside the BMP); -E2BIG (more than \a max parts);
 *  -EINVAL (empty) */
int sms_text_split(const char *text, size_t len, uint8_t ref, struct sms_text_part *parts, size_t max);
/*! Pack \a n septets (one per octet in \a in) after \a fill_bits fill bits into \a out. \returns the octets written;
 *  -E2BIG */
int sms_text_pack(const uint8_t *in, size_t n, unsigned fill_bits, uint8_t *out, size_t max);
/*! Wipe \a n parts (they may carry a secret). */
void sms_text_wipe(struct sms_text_part *parts, size_t n);
