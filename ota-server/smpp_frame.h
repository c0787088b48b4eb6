/* SMPP v3.4 PDU framing on a TCP stream: command_length (4 bytes, big-endian, counting itself) | command_id (4) |
 * command_status (4) | sequence_number (4) | body. simpki-otad takes PDUs of SMPP_PDU_MIN to SMPP_PDU_MAX bytes; a
 * length outside that breaks the stream (the connection is dropped). Pure functions; every length checked. */
#pragma once
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define SMPP_PDU_MIN 16
#define SMPP_PDU_MAX 4096

struct smpp_hdr {
	uint32_t len, id, status, seq;
};

static inline uint32_t smpp_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*! The first PDU in \a buf (\a len bytes received so far). \returns its length (the PDU is complete); 0: more
 *  bytes needed; -EBADMSG: a length outside SMPP_PDU_MIN..SMPP_PDU_MAX */
static inline int smpp_frame_next(const uint8_t *buf, size_t len, struct smpp_hdr *h)
{
	uint32_t n;

	if (len < 4)
		return 0;
	n = smpp_be32(buf);
	if (n < SMPP_PDU_MIN || n > SMPP_PDU_MAX)
		return -EBADMSG;
	if (len < n)
		return 0;
	h->len = n;
	h->id = smpp_be32(buf + 4);
	h->status = smpp_be32(buf + 8);
	h->seq = smpp_be32(buf + 12);
	return (int)n;
}
