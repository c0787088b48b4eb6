/* The pure parts of SCP81 jobs (otad_bip.c): the push a try sends, the script a card's session gets, and whether a
 * job goes by BIP. No state, no I/O; configuration from otad_bip_cfg (otad_job.h).
 *
 * The push (simpki/scp81.h): 81 { 83 { 84 { 35 01 03 | 39 02 0578 | 3C 03 02 port | 3E 05 21 ip } | 85 { identity
 * (the ICCID) 02 kvn kid } | 86 { retries A5 03 00 00 00 } | 89 { 8A host (the ip) | 8B agent id (the ICCID) | 8C uri }
 * } }: about 80 bytes, one SMS with the secured packet's header. The script: an expanded one (AA) as it is; a compact
 * one converted to AA { 22 C-APDU ... } with each command's case from its instruction (2 for the reads: B0, B2, C0,
 * CA, CB, F2, 84; 3 otherwise, P3 the length of its data), or refused when it does not delimit.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otad_db.h"

/*! The push for card \a iccid. \returns its length; -E2BIG; -EINVAL */
int otad_bip_push(const char *iccid, uint8_t *out, size_t max);
/*! TAR \a tar's target. \returns it; NULL (the TAR has none: its jobs cannot go by BIP) */
const struct otad_bip_target *otad_bip_target(const uint8_t tar[3]);
/*! \a row's script as an expanded command script. \returns its length; -EBADMSG (a compact script that does not
 *  delimit); -E2BIG */
int otad_bip_script(const struct otad_job_row *row, uint8_t *out, size_t max);
/*! Whether an auto job with \a row's script is better sent by BIP: it takes \a sms SMS, or a command asks for 200
 *  bytes or more. */
bool otad_bip_large(const struct otad_job_row *row, int sms);
