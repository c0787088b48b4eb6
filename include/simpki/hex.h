/* Hexadecimal text <-> bytes.
 *
 * Decoding accepts upper and lower case digits and skips spaces and tabs between digit pairs; anything else,
 * or an odd number of digits, is -EINVAL. Output never exceeds the size the caller gives (-E2BIG).
 * Encoding writes upper case and always NUL-terminates when outsz > 0.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

/*! Decode hex text \a s (NUL-terminated) into \a out (at most \a max bytes).
 *  \returns the number of bytes written; -EINVAL on a bad digit or odd count; -E2BIG if \a max is too small */
int hex_decode(const char *s, uint8_t *out, size_t max);

/*! Same as hex_decode() for the first \a n characters of \a s. */
int hex_decode_n(const char *s, size_t n, uint8_t *out, size_t max);

/*! Encode \a len bytes as upper-case hex into \a out (size \a outsz, which needs 2 * len + 1).
 *  \returns the number of characters written (without the NUL); -E2BIG if \a outsz is too small */
int hex_encode(const uint8_t *in, size_t len, char *out, size_t outsz);
