/* Remote APDU scripts (ETSI TS 102 226): what a secured packet carries to an application, and what its PoR carries
 * back. Which format a packet uses is fixed by its TAR, not marked in the data.
 *
 * Compact command: C-TPDUs back to back, each CLA INS P1 P2 P3 [data]; P3 is Lc or Le depending on the command,
 *   so the receiver needs to know each instruction's case (rapdu_case_fn). Compact response: number of commands
 *   executed (1) | SW1 SW2 of the last (2) | response data of the last (case 2 commands and GET RESPONSE only).
 * Expanded command: AA L { 22 L C-APDU ... } (or AE 80 { ... } 00 00, indefinite length); each C-APDU is a full
 *   ISO 7816-4 APDU with Lc and Le. Expanded response: AB L { 80 01 count, 23 L (data SW1 SW2) per executed
 *   C-APDU }.
 * Execution stops after the first command whose SW is not 9000, 61xx, 62xx, 63xx or 91xx; it is still counted.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <simpki/apdu.h>

#define RAPDU_MAX_COMMANDS 64

/* The case of a compact C-TPDU: 2 (P3 is Le) or 3 (P3 is Lc, data follows). \returns 0 for an unknown command */
typedef int (*rapdu_case_fn)(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2);

/*! The next compact C-TPDU at *pos in \a script, as an APDU (pointing into the script); *pos moves past it.
 *  \returns 1 with a command; 0 at the end; -EBADMSG (a header cut short, or P3 runs past the end);
 *  -ENOTSUP (unknown command: the rest of the script cannot be delimited) */
int rapdu_compact_next(const uint8_t *script, size_t len, size_t *pos, rapdu_case_fn case_of, struct apdu_cmd *cmd);

/*! Walk an expanded command script: up to \a max C-APDUs into \a cmds (pointing into the script), *n of them.
 *  \returns 0; -EBADMSG (not a scripting template, a malformed TLV or C-APDU); -E2BIG (more than \a max) */
int rapdu_expanded_parse(const uint8_t *script, size_t len, struct apdu_cmd *cmds, size_t max, size_t *n);
/*! Whether \a script starts like an expanded command script (tag AA or AE). */
bool rapdu_is_expanded(const uint8_t *script, size_t len);

/*! Whether execution goes on after a command with this status word. */
bool rapdu_sw_continues(uint16_t sw);

/* Building scripts and responses. Each returns the length written; -E2BIG; -EINVAL. */
int rapdu_compact_encode(const struct apdu_cmd *cmds, size_t n, uint8_t *out, size_t max);
int rapdu_expanded_encode(const struct apdu_cmd *cmds, size_t n, uint8_t *out, size_t max);
int rapdu_compact_response(uint8_t count, uint16_t last_sw, const uint8_t *data, size_t len, uint8_t *out, size_t max);

/* One executed command's answer, for the expanded response. */
struct rapdu_result {
	uint16_t sw;
	const uint8_t *data;
	size_t len;
};

int rapdu_expanded_response(const struct rapdu_result *r, size_t n, uint8_t *out, size_t max);

/* A response as the server reads it: the number of commands executed, the last SW and data. */
struct rapdu_summary {
	uint8_t commands;
	uint16_t last_sw;
	const uint8_t *last_data;
	size_t last_len;
};

/*! Every R-APDU of an expanded (AB) response, in order: up to \a max into \a r (pointing into \a b), *n of them.
 *  \returns 0; -EBADMSG (not one AB TLV spanning \a len, a malformed TLV, an R-APDU under 2 bytes); -E2BIG */
int rapdu_expanded_results(const uint8_t *b, size_t len, struct rapdu_result *r, size_t max, size_t *n);

/*! Read a compact or an expanded (AB) response. \returns 0; -EBADMSG */
int rapdu_response_decode(const uint8_t *b, size_t len, struct rapdu_summary *s);
