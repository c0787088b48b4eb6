/* CRC-32 as in ISO 3309 / ITU-T V.42 (the zlib and Ethernet CRC: reflected, polynomial 0xEDB88320,
 * initial value and final XOR 0xFFFFFFFF). crc32("123456789") == 0xCBF43926. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/*! Continue a CRC over \a len more bytes; start with crc = 0. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);
