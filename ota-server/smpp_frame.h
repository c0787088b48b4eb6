/* SMPP v3.4 PDU framing on a TCP stream: command_length (4 bytes, big-endian, counting itself) | command_id (4) |
 * command_status (4) | sequence_number (4) | body. simpki-otad takes PDUs of SMPP_PDU_MIN to SMPP_PDU_MAX bytes; a
 * length outside that breaks the stream (the connection is dropped). Pure functions; every length checked. */
#pragma once
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/*! The message_id of a submit_sm_resp (a C-octet string of at most 65 bytes after the header; read here rather
 *  than by libsmpp34, which leaks memory on some malformed PDUs). Cut at \a max - 1; "" when absent. */
static inline void smpp_submit_resp_id(const uint8_t *pdu, uint32_t len, char *id, size_t max)
{
	size_t n = 0;

	while (16 + n < len && n + 1 < max && pdu[16 + n])
		n++;
	for (size_t i = 0; i < n; i++)
		id[i] = (char)pdu[16 + i];
	id[n] = 0;
}

/* A deliver_sm's fields simpki-otad uses (SMPP v3.4 §4.6.1). */
struct smpp_deliver {
	char source[21], dest[21];
	uint8_t esm_class, pid, dcs;
	const uint8_t *sm; /* short_message, or the message_payload TLV (0424) when sm_length is 0 */
	size_t sm_len;
};

/* A C-octet string of at most max bytes with its NUL at b[*off]; copied to out when out is given. */
static inline int smpp_cstr(const uint8_t *b, size_t len, size_t *off, size_t max, char *out)
{
	size_t n = 0;

	while (*off + n < len && b[*off + n]) {
		if (++n >= max)
			return -EBADMSG;
	}
	if (*off + n >= len)
		return -EBADMSG;
	if (out) {
		memcpy(out, b + *off, n);
		out[n] = 0;
	}
	*off += n + 1;
	return 0;
}

/*! Read a deliver_sm (the whole PDU, header included). Ours rather than libsmpp34's: that one leaks memory on
 *  some malformed PDUs (found by fuzzing). \returns 0; -EBADMSG (a field runs past the PDU or its size) */
static inline int smpp_deliver_parse(const uint8_t *pdu, size_t len, struct smpp_deliver *d)
{
	size_t off = 16;

	memset(d, 0, sizeof(*d));
	if (len < 16 || smpp_cstr(pdu, len, &off, 6, NULL) || off + 2 > len)
		return -EBADMSG;
	off += 2; /* source TON, NPI */
	if (smpp_cstr(pdu, len, &off, 21, d->source) || off + 2 > len)
		return -EBADMSG;
	off += 2;
	if (smpp_cstr(pdu, len, &off, 21, d->dest) || off + 3 > len)
		return -EBADMSG;
	d->esm_class = pdu[off];
	d->pid = pdu[off + 1];
	off += 3; /* esm_class, protocol_id, priority_flag */
	if (smpp_cstr(pdu, len, &off, 17, NULL) || smpp_cstr(pdu, len, &off, 17, NULL) || off + 5 > len)
		return -EBADMSG;
	d->dcs = pdu[off + 2];
	d->sm_len = pdu[off + 4];
	off += 5; /* registered_delivery, replace_if_present, data_coding, sm_default_msg_id, sm_length */
	if (d->sm_len > 254 || off + d->sm_len > len)
		return -EBADMSG;
	d->sm = pdu + off;
	off += d->sm_len;
	while (off + 4 <= len) { /* optional TLVs: tag(2) length(2) value */
		uint16_t tag = (uint16_t)(pdu[off] << 8 | pdu[off + 1]),
			 l = (uint16_t)(pdu[off + 2] << 8 | pdu[off + 3]);

		if (off + 4 + l > len)
			return -EBADMSG;
		if (tag == 0x0424 && !d->sm_len) {
			d->sm = pdu + off + 4;
			d->sm_len = l;
		}
		off += 4 + (size_t)l;
	}
	return off == len ? 0 : -EBADMSG;
}
