/* CRC-32 (ISO 3309); see include/simpki/crc32.h. Bitwise: no table to initialise, and the inputs (journal
 * records, secured packets) are a few kilobytes at most. */
#include <simpki/crc32.h>

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}
