/* What a simulated phone reads in the MSC's messages beyond SMS (pure functions over bytes; lengths checked):
 *
 *   BSSMAP PAGING (TS 48.008 §3.2.1.19), its IEs after the message type: IMSI (TLV, IEI 08) first, then TMSI,
 *     cell identifier list, channel needed ...: the IMSI is what the phone answers to.
 *   LOCATION UPDATING ACCEPT (TS 24.008 §9.2.13), after the message type: LAI (5 bytes), then optional IEs:
 *     mobile identity (IEI 17, TLV; a TMSI when the MSC reallocates), follow-on proceed (A1), CTS permission
 *     (A2), equivalent PLMNs (4A, TLV), emergency numbers (34, TLV), T3212 extended (35, TLV) ...
 *   TMSI REALLOCATION COMMAND (§9.2.17), after the message type: LAI (5), mobile identity (LV).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

/*! The IMSI of a PAGING's IEs into \a imsi (16 bytes). \returns 0; -EBADMSG (no IMSI, or a bad one) */
int phone_l3_paging_imsi(const uint8_t *ies, size_t len, char *imsi);

/*! The TMSI a LOCATION UPDATING ACCEPT assigns. \returns 1 with *tmsi set; 0: none; -EBADMSG (truncated) */
int phone_l3_lu_accept_tmsi(const uint8_t *data, size_t len, uint32_t *tmsi);

/*! The TMSI of a TMSI REALLOCATION COMMAND. \returns 0; -EBADMSG */
int phone_l3_tmsi_realloc(const uint8_t *data, size_t len, uint32_t *tmsi);
