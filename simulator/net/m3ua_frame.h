/* Framing of M3UA messages in a byte stream (RFC 4666 §3.1): an 8-byte common header (version, reserved, class,
 * type, u32 big-endian length of the whole message, header included), then the rest. The SCTP shim uses this to
 * keep message boundaries over TCP; header-only so the shim links nothing.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define M3UA_HDR 8
#define M3UA_MAX (64 * 1024)

/*! How many bytes the message starting at \a buf takes, given that \a have bytes of it arrived: M3UA_HDR while the
 *  header is incomplete, then its length. \returns that; -1 when the length is not an M3UA message's (below the
 *  header, or over M3UA_MAX) */
static inline long m3ua_frame_want(const uint8_t *buf, size_t have)
{
	uint32_t len;

	if (have < M3UA_HDR)
		return M3UA_HDR;
	len = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
	if (len < M3UA_HDR || len > M3UA_MAX)
		return -1;
	return (long)len;
}
