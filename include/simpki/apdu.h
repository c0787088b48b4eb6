/* Command APDUs (ISO/IEC 7816-4 §5.1): parsing and encoding of the four cases, short and extended.
 *
 * Short:    CLA INS P1 P2 [Lc data] [Le]          Lc 1..255, Le 1..256 (00 means 256)
 * Extended: CLA INS P1 P2 00 [Lc(2) data] [Le(2)] Lc 1..65535, Le 1..65536 (0000 means 65536);
 *           case 2E is CLA INS P1 P2 00 Le(2).
 * A buffer that fits none of these forms exactly (truncated header, Lc longer or shorter than the data,
 * Lc of 00 in short form with data) is malformed. The parsed command points into the caller's buffer.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APDU_SHORT_MAX_NE 256
#define APDU_EXT_MAX_NE 65536
/* Longest encoded command: extended case 4 with 65535 data bytes. */
#define APDU_MAX_ENCODED (4 + 3 + 65535 + 2)

enum apdu_case {
	APDU_CASE_1 = 1, /* no data, no Le */
	APDU_CASE_2 = 2, /* Le only */
	APDU_CASE_3 = 3, /* data only */
	APDU_CASE_4 = 4, /* data and Le */
};

struct apdu_cmd {
	uint8_t cla, ins, p1, p2;
	enum apdu_case kase;
	bool extended;	     /* Lc/Le were in the extended form */
	uint32_t lc;	     /* number of data bytes; 0 for cases 1 and 2 */
	const uint8_t *data; /* lc bytes, NULL when lc == 0 */
	uint32_t ne;	     /* expected response bytes from Le (1..65536); 0 for cases 1 and 3 */
};

/*! Parse the command APDU in \a buf. \returns 0 or -EINVAL if malformed */
int apdu_parse(const uint8_t *buf, size_t len, struct apdu_cmd *cmd);

/*! Encode \a cmd (short form when lc <= 255 and ne <= 256 and !extended, extended otherwise).
 *  \returns the encoded length; -EINVAL for inconsistent fields; -E2BIG if \a max is too small */
int apdu_encode(const struct apdu_cmd *cmd, uint8_t *out, size_t max);
