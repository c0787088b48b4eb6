/* BER-TLV as ISO/IEC 7816-4 uses it (a subset of X.690 BER).
 *
 * Tag: 1 to 3 bytes; the first byte's low five bits all set (0x1F) means more tag bytes follow, each with
 * bit 8 set except the last. Tags are returned as the big-endian value of their bytes (0x7F49, 0x86).
 * Length: 0x00..0x7F short form, or 0x81 xx, 0x82 xx xx, 0x83 xx xx xx. The indefinite form (0x80),
 * longer forms and a length running past the buffer are -EINVAL. No padding bytes between objects.
 * Nothing is copied: a parsed tlv points into the caller's buffer.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct tlv {
	uint32_t tag;	      /* tag bytes, big-endian (e.g. 0x7F49) */
	size_t len;	      /* length of the value */
	const uint8_t *value; /* points into the parsed buffer; value + len never exceeds it */
	size_t total;	      /* header + value bytes, i.e. the offset of the next sibling */
};

/*! Parse the one TLV object at the start of \a buf (\a len bytes).
 *  \returns 0 and fills \a t; -EINVAL if it is malformed or does not fit in \a len */
int ber_tlv_parse(const uint8_t *buf, size_t len, struct tlv *t);

/*! Check that \a buf is exactly a sequence of well-formed sibling TLVs (an empty buffer is one).
 *  \returns 0 or -EINVAL */
int tlv_check(const uint8_t *buf, size_t len);

/*! Find the first sibling with \a tag in \a buf. Objects before it must be well formed.
 *  \returns 0 and fills \a t; -ENOENT if absent; -EINVAL if malformed before it was found */
int tlv_find(const uint8_t *buf, size_t len, uint32_t tag, struct tlv *t);

/*! Write a tag and length header for \a len value bytes into \a out (room for at most \a max bytes).
 *  \returns the header size (1 to 7 bytes); -E2BIG if it does not fit; -EINVAL for len > 0xFFFFFF or a tag
 *  ber_tlv_parse() would not read back (more than 3 bytes, wrong continuation bits) */
int tlv_put_header(uint8_t *out, size_t max, uint32_t tag, size_t len);
