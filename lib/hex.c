/* Hexadecimal text <-> bytes; the contract is in include/simpki/hex.h. */
#include <errno.h>

#include <simpki/hex.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode_n(const char *s, size_t n, uint8_t *out, size_t max)
{
	size_t count = 0;
	int hi = -1;

	for (size_t i = 0; i < n && s[i]; i++) {
		int d;

		if (s[i] == ' ' || s[i] == '\t') {
			if (hi >= 0)
				return -EINVAL; /* a space inside a digit pair */
			continue;
		}
		d = hex_digit(s[i]);
		if (d < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = d;
			continue;
		}
		if (count >= max)
			return -E2BIG;
		out[count++] = (uint8_t)(hi << 4 | d);
		hi = -1;
	}
	if (hi >= 0)
		return -EINVAL;
	return (int)count;
}

int hex_decode(const char *s, uint8_t *out, size_t max)
{
	return hex_decode_n(s, (size_t)-1, out, max);
}

int hex_encode(const uint8_t *in, size_t len, char *out, size_t outsz)
{
	static const char digits[] = "0123456789ABCDEF";

	if (outsz < 2 * len + 1) {
		if (outsz)
			out[0] = '\0';
		return -E2BIG;
	}
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return (int)(2 * len);
}
