/* SMS TPDUs (3GPP TS 23.040) as SIM OTA uses them: SMS-DELIVER carrying a command packet to the card, SMS-SUBMIT
 * carrying its PoR back, both with 8-bit user data and a user data header (UDH); and the UDH information elements
 * that matter here: 70/71 (command/response packet, TS 31.115) and 00/08 (concatenation, 8- or 16-bit reference).
 *
 *   SMS-DELIVER: first octet (MTI 00, b3 MMS, b7 UDHI) | TP-OA | TP-PID | TP-DCS | TP-SCTS(7) | TP-UDL | TP-UD
 *   SMS-SUBMIT:  first octet (MTI 01, b3 RD, b5b4 VPF, b6 SRR, b7 UDHI) | TP-MR | TP-DA | TP-PID | TP-DCS |
 *                [TP-VP: 1 octet relative, 7 absolute or enhanced] | TP-UDL | TP-UD
 *   address:     length in digits | TON/NPI | BCD digits, swapped nibbles, F-filled
 *   UDH:         UDHL | IEI IEDL IED ...   (at the start of TP-UD; TP-UDL counts it)
 * Only 8-bit data coding is handled (what SIM data download uses: PID 7F, DCS F6 or 16); other TPDUs are -ENOTSUP.
 * Addresses are at most 20 digits. Parsers check every length against the buffer.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMS_MAX_UD 140 /* octets of user data in one SMS */
#define SMS_MAX_TPDU 176
#define SMS_PID_SIM_DATA_DOWNLOAD 0x7f
#define SMS_DCS_8BIT_CLASS2 0xf6
#define SMS_ADDR_MAX 20

struct sms_addr {
	char digits[SMS_ADDR_MAX + 1];
	uint8_t ton_npi; /* e.g. 0x91 international/ISDN, 0x81 unknown/ISDN; TON 5 (0xD0): alphanumeric */
	uint8_t alpha[SMS_ADDR_MAX / 2]; /* TON 5: the packed GSM 7-bit text as sent (digits stays empty) */
	uint8_t alpha_len;		 /* its length in semi-octets, as the address length field counts it */
};

struct sms_tpdu {
	bool submit; /* SMS-SUBMIT (MS to network) rather than SMS-DELIVER */
	bool udhi;
	bool more_messages;   /* DELIVER: MMS bit clear means more messages wait */
	uint8_t mr;	      /* SUBMIT: message reference */
	struct sms_addr addr; /* DELIVER: originating address; SUBMIT: destination address */
	uint8_t pid, dcs;
	uint8_t scts[7];   /* DELIVER: service centre time stamp as sent */
	uint8_t vpf;	   /* SUBMIT: validity period format 0 none, 2 relative, 1 enhanced, 3 absolute */
	uint8_t vp[7];	   /* SUBMIT: the validity period's octets (1 for relative, 7 otherwise) */
	const uint8_t *ud; /* user data (with its UDH when udhi) */
	size_t udl;	   /* octets */
};

/*! Encode an SMS-DELIVER or SMS-SUBMIT. \returns its length; -EINVAL (address); -E2BIG */
int sms_tpdu_encode(const struct sms_tpdu *t, uint8_t *out, size_t max);
/*! Decode one; t->ud points into \a b. \returns 0; -EBADMSG; -ENOTSUP (not 8-bit data, or another MTI) */
int sms_tpdu_decode(const uint8_t *b, size_t len, struct sms_tpdu *t);

/* One information element of a UDH. */
struct sms_ie {
	uint8_t iei;
	uint8_t len;
	const uint8_t *data;
};

/*! Walk the UDH at the start of user data: up to \a max IEs into \a ies, *n of them; *hdr_len is 1 + UDHL.
 *  \returns 0; -EBADMSG */
int sms_udh_parse(const uint8_t *ud, size_t udl, struct sms_ie *ies, size_t max, size_t *n, size_t *hdr_len);

/* Concatenation information of one SMS (IE 00 or 08). */
struct sms_concat {
	uint16_t ref;
	uint8_t total, seq; /* seq counts from 1 */
};

/*! The concatenation IE among \a ies, if any. \returns true when found and valid (1 <= seq <= total) */
bool sms_udh_concat(const struct sms_ie *ies, size_t n, struct sms_concat *c);
