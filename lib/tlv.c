/* BER-TLV parsing and header encoding; the accepted forms are listed in include/simpki/tlv.h. */
#include <errno.h>
#include <stdbool.h>

#include <simpki/tlv.h>

int ber_tlv_parse(const uint8_t *buf, size_t len, struct tlv *t)
{
	size_t pos = 0, vlen;
	uint32_t tag;

	if (!buf || len < 2)
		return -EINVAL;
	tag = buf[pos++];
	if ((tag & 0x1f) == 0x1f) {
		/* Subsequent tag bytes: bit 8 set means another follows; at most 3 tag bytes. */
		do {
			if (pos >= len || pos >= 3)
				return -EINVAL;
			tag = tag << 8 | buf[pos];
		} while (buf[pos++] & 0x80);
	}
	if (pos >= len)
		return -EINVAL;
	vlen = buf[pos++];
	if (vlen & 0x80) {
		size_t n = vlen & 0x7f;

		if (n == 0 || n > 3 || n > len - pos)
			return -EINVAL;
		vlen = 0;
		while (n--)
			vlen = vlen << 8 | buf[pos++];
	}
	if (vlen > len - pos)
		return -EINVAL;
	t->tag = tag;
	t->len = vlen;
	t->value = vlen ? buf + pos : NULL;
	t->total = pos + vlen;
	return 0;
}

int tlv_check(const uint8_t *buf, size_t len)
{
	struct tlv t;

	while (len) {
		if (ber_tlv_parse(buf, len, &t))
			return -EINVAL;
		buf += t.total;
		len -= t.total;
	}
	return 0;
}

int tlv_find(const uint8_t *buf, size_t len, uint32_t tag, struct tlv *t)
{
	while (len) {
		if (ber_tlv_parse(buf, len, t))
			return -EINVAL;
		if (t->tag == tag)
			return 0;
		buf += t->total;
		len -= t->total;
	}
	return -ENOENT;
}

/* Whether \a tag is the value of a BER tag as ber_tlv_parse() reads them (1 to 3 bytes, continuation bits right). */
static bool tag_valid(uint32_t tag)
{
	if (tag <= 0xff)
		return (tag & 0x1f) != 0x1f;
	if (tag <= 0xffff)
		return ((tag >> 8) & 0x1f) == 0x1f && !(tag & 0x80);
	if (tag <= 0xffffff)
		return ((tag >> 16) & 0x1f) == 0x1f && (tag & 0x8000) && !(tag & 0x80);
	return false;
}

int tlv_put_header(uint8_t *out, size_t max, uint32_t tag, size_t len)
{
	uint8_t hdr[7];
	size_t n = 0;

	if (len > 0xffffff || !tag_valid(tag))
		return -EINVAL;
	if (tag > 0xffff)
		hdr[n++] = (uint8_t)(tag >> 16);
	if (tag > 0xff)
		hdr[n++] = (uint8_t)(tag >> 8);
	hdr[n++] = (uint8_t)tag;
	if (len < 0x80) {
		hdr[n++] = (uint8_t)len;
	} else if (len <= 0xff) {
		hdr[n++] = 0x81;
		hdr[n++] = (uint8_t)len;
	} else if (len <= 0xffff) {
		hdr[n++] = 0x82;
		hdr[n++] = (uint8_t)(len >> 8);
		hdr[n++] = (uint8_t)len;
	} else {
		hdr[n++] = 0x83;
		hdr[n++] = (uint8_t)(len >> 16);
		hdr[n++] = (uint8_t)(len >> 8);
		hdr[n++] = (uint8_t)len;
	}
	if (n > max)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		out[i] = hdr[i];
	return (int)n;
}
