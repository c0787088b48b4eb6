/* RP messages (3GPP TS 24.011 §7.3, §8.2) as a phone receives them, and the SMS-DELIVER-REPORT it sends back in
 * RP-ACK / RP-ERROR (TS 23.040 §9.2.2.1a). Pure functions over byte buffers; every length is checked.
 *
 *   RP-DATA (network -> MS):  type 01 | ref | RP-OA LV (1..12 bytes: TON/NPI, BCD) | RP-DA LV (empty) | RP-UD LV
 *   RP-ACK  (network -> MS):  type 03 | ref [| 41 RP-UD LV]
 *   RP-ERROR (network -> MS): type 05 | ref | cause LV (1..2 bytes) [| 41 RP-UD LV]
 *   SMS-DELIVER-REPORT:       first octet (MTI 00, b6 UDHI) | [TP-FCS, RP-ERROR only] | TP-PI | TP-PID | TP-DCS |
 *                             TP-UDL | TP-UD
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHONE_RP_ADDR_MAX 12 /* RP address value: TON/NPI and up to 20 digits */
#define PHONE_RP_UD_MAX 233  /* RP user data: one TPDU */

struct phone_rp {
	uint8_t type; /* RP-MTI, the 3 low bits of the first octet */
	uint8_t ref;
	uint8_t oa[PHONE_RP_ADDR_MAX], oa_len;
	uint8_t cause;	   /* RP-ERROR */
	const uint8_t *ud; /* RP-DATA: the TPDU; RP-ACK/ERROR: the report's TPDU, if any */
	size_t ud_len;
};

/*! Parse an RP message as sent by the network. \returns 0; -EBADMSG (truncated, a length beyond its bound);
 *  -ENOTSUP (an RP type a phone does not receive) */
int phone_rp_parse(const uint8_t *b, size_t len, struct phone_rp *rp);

/*! The TP-PID of an SMS-DELIVER TPDU (first octet MTI 00). \returns 0..255; -EBADMSG */
int phone_rp_deliver_pid(const uint8_t *tpdu, size_t len);

/*! An SMS-DELIVER-REPORT with \a ud (PID 7F, DCS F6; UDHI when \a udhi) into \a out; \a fcs 0: for RP-ACK, else
 *  for RP-ERROR with that failure cause. \returns its length; -E2BIG */
int phone_rp_deliver_report(uint8_t fcs, bool udhi, const uint8_t *ud, size_t ud_len, uint8_t *out, size_t max);
