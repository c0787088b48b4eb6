/* Text SMS for handsets (simpki/sms_text.h): UTF-8 cut into GSM 7-bit or UCS2 parts with a concatenation UDH. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include <simpki/sign_msg.h>
#include <simpki/sms_text.h>

#define GSM_ONE 160
#define GSM_PART 153
#define UCS2_ONE 140
#define UCS2_PART 134

static void udh(struct sms_text_part *p, uint8_t ref, size_t total, size_t seq)
{
	const uint8_t h[6] = { 0x05, 0x00, 0x03, ref, (uint8_t)total, (uint8_t)seq };

	memcpy(p->ud, h, sizeof(h));
	p->udhi = true;
	p->len = sizeof(h);
}

/* The part boundaries of \a n units (septets or octets) of \a b: \a one fit in a single SMS, \a each in a part; a
 * boundary never falls inside an escape (GSM: 1B xx) or a character (UCS2: 2 octets). \returns the parts; -E2BIG */
static int cut(const uint8_t *b, size_t n, bool gsm, size_t one, size_t each, size_t *ends, size_t max)
{
	size_t k = 0, at = 0;

	if (n <= one) {
		ends[0] = n;
		return 1;
	}
	while (at < n) {
		size_t end = at + each < n ? at + each : n;

		if (k == max)
			return -E2BIG;
		if (gsm && end < n) {
			/* an escape at end - 1 would leave its second septet for the next part: cut before it */
			size_t i = at;

			while (i < end)
				i += b[i] == 0x1b ? 2 : 1;
			if (i > end)
				end--;
		}
		ends[k++] = end;
		at = end;
	}
	return (int)k;
}

int sms_text_split(const char *text, size_t len, uint8_t ref, struct sms_text_part *parts, size_t max)
{
	uint8_t buf[SMS_TEXT_MAX_PARTS * UCS2_ONE];
	size_t ends[SMS_TEXT_MAX_PARTS], at = 0;
	bool gsm = true;
	int n, k;

	if (!len)
		return -EINVAL;
	if (max > SMS_TEXT_MAX_PARTS)
		max = SMS_TEXT_MAX_PARTS;
	n = sign_text_gsm(text, len, buf, sizeof(buf));
	if (n == -EILSEQ) {
		gsm = false;
		n = sign_text_ucs2(text, len, buf, sizeof(buf));
	}
	if (n < 0) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return n;
	}
	k = cut(buf, (size_t)n, gsm, gsm ? GSM_ONE : UCS2_ONE, gsm ? GSM_PART : UCS2_PART, ends, max);
	for (int i = 0; i < k; i++) {
		struct sms_text_part *p = &parts[i];

		memset(p, 0, sizeof(*p));
		p->dcs = gsm ? SMS_TEXT_DCS_GSM : SMS_TEXT_DCS_UCS2;
		if (k > 1)
			udh(p, ref, (size_t)k, (size_t)i + 1);
		memcpy(p->ud + p->len, buf + at, ends[i] - at);
		p->len += ends[i] - at;
		at = ends[i];
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return k;
}

int sms_text_pack(const uint8_t *in, size_t n, unsigned fill_bits, uint8_t *out, size_t max)
{
	size_t bits = fill_bits + 7 * n, octets = (bits + 7) / 8;

	if (octets > max)
		return -E2BIG;
	memset(out, 0, octets);
	for (size_t i = 0; i < n; i++) {
		size_t pos = fill_bits + 7 * i;
		unsigned v = (unsigned)(in[i] & 0x7f) << (pos % 8);

		out[pos / 8] |= (uint8_t)v;
		if (v >> 8)
			out[pos / 8 + 1] |= (uint8_t)(v >> 8);
	}
	return (int)octets;
}

void sms_text_wipe(struct sms_text_part *parts, size_t n)
{
	OPENSSL_cleanse(parts, n * sizeof(*parts));
}
