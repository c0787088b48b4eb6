/* The remote PIN reset's parts without I/O (pinreset_int.h): the identity check, the one-time PIN, the script, the
 * PoR's outcome, the holder's text. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <simpki/rapdu.h>

#include "pinreset/pinreset_int.h"

static size_t normalise(const char *s, char *out, size_t max)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == ' ' || *s == '-' || *s == '.' || *s == '/')
			continue;
		if (n + 1 >= max)
			return 0;
		out[n++] = (char)toupper((unsigned char)*s);
	}
	out[n] = '\0';
	return n;
}

int otad_pin_reset_id_match(const char *given, const char *stored)
{
	char a[OTAD_PIN_RESET_ID_MAX + 1], b[OTAD_PIN_RESET_ID_MAX + 1];
	size_t la, lb;
	int ok;

	if (!given || !stored || strlen(given) > OTAD_PIN_RESET_ID_MAX || strlen(stored) > OTAD_PIN_RESET_ID_MAX)
		return 0;
	la = normalise(given, a, sizeof(a));
	lb = normalise(stored, b, sizeof(b));
	ok = la && la == lb && CRYPTO_memcmp(a, b, la) == 0;
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return ok;
}

int otad_pin_reset_otp(char out[OTAD_PIN_RESET_OTP_LEN + 1])
{
	/* 4294000000 = 4294 * 10^6, the largest multiple of 10^6 below 2^32: values at or above it are drawn again */
	uint32_t v;

	do {
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			return -EIO;
	} while (v >= 4294000000u);
	snprintf(out, OTAD_PIN_RESET_OTP_LEN + 1, "%06u", v % 1000000u);
	OPENSSL_cleanse(&v, sizeof(v));
	return 0;
}

int otad_pin_reset_script(enum otad_pin_reset_mode mode, const char *pin, uint8_t *out, size_t max)
{
	struct apdu_cmd c = { .ins = 0x2c, .p1 = 0x03, .p2 = 0x01, .kase = APDU_CASE_1 };
	size_t n;
	int rc;

	if (mode == OTAD_PIN_RESET_ONE_TIME_PIN) {
		n = pin ? strlen(pin) : 0;
		if (n < 4 || n > 16)
			return -EINVAL;
		c.p1 = 0x02;
		c.kase = APDU_CASE_3;
		c.lc = (uint32_t)n;
		c.data = (const uint8_t *)pin;
	} else if (mode != OTAD_PIN_RESET_UNBLOCK) {
		return -EINVAL;
	}
	rc = rapdu_expanded_encode(&c, 1, out, max);
	return rc < 0 ? -EINVAL : rc;
}

int otad_pin_reset_script_pin(const uint8_t *script, size_t len, char *out, size_t max)
{
	struct apdu_cmd c;
	size_t n;

	if (rapdu_expanded_parse(script, len, &c, 1, &n) || n != 1 || c.ins != 0x2c || c.p1 != 0x02 || c.lc < 4 ||
	    c.lc >= max)
		return -EINVAL;
	for (size_t i = 0; i < c.lc; i++)
		if (!isdigit(c.data[i]))
			return -EINVAL;
	memcpy(out, c.data, c.lc);
	out[c.lc] = '\0';
	return 0;
}

static const char *sw_meaning(uint16_t sw)
{
	switch (sw) {
	case 0x9000:
		return "the PIN was reset";
	case 0x6982:
		return "refused: not with the issuer's authority (not inside a secured packet)";
	case 0x6986:
		return "the PKI applet is not operational (not personalised)";
	case 0x6a86:
		return "the applet does not know this reset (P1/P2)";
	case 0x6700:
		return "the applet refused the PIN's length";
	case 0x6d00:
	case 0x6e00:
		return "the applet does not know RESET RETRY COUNTER";
	default:
		return (sw & 0xff00) == 0x6400 || (sw & 0xff00) == 0x6500 ? "the card could not store the new PIN" :
									    "the applet refused it";
	}
}

static const char *por_meaning(int status)
{
	switch (status) {
	case 0x01:
		return "the card refused the packet's checksum (wrong key)";
	case 0x02:
	case 0x03:
		return "the card refused the packet's counter";
	case 0x06:
		return "the card could not decipher the packet";
	case 0x09:
		return "the card has no application at the PKI applet's TAR";
	case 0x0a:
		return "the packet's security level is too low for the applet";
	default:
		return "the card refused the packet";
	}
}

enum otad_pin_reset_outcome otad_pin_reset_outcome_of(const struct otad_job_row *job, char *why, size_t max)
{
	switch (job->state) {
	case OTAD_JOB_POR_OK:
		if (job->por_commands < 1) {
			snprintf(why, max, "the card ran no command");
			return OTAD_PIN_RESET_REFUSED;
		}
		snprintf(why, max, "%04X: %s", job->por_last_sw, sw_meaning(job->por_last_sw));
		return job->por_last_sw == 0x9000 ? OTAD_PIN_RESET_OK : OTAD_PIN_RESET_REFUSED;
	case OTAD_JOB_POR_ERROR:
		snprintf(why, max, "PoR status %02X: %s", job->por_status & 0xff, por_meaning(job->por_status));
		return OTAD_PIN_RESET_REFUSED;
	case OTAD_JOB_UNKNOWN:
	case OTAD_JOB_TIMED_OUT:
		snprintf(why, max, "no proof of receipt: the card may have reset the PIN");
		return OTAD_PIN_RESET_UNKNOWN;
	case OTAD_JOB_CANCELLED:
		snprintf(why, max, "the job was cancelled: nothing reached the card");
		return OTAD_PIN_RESET_REFUSED;
	default:
		snprintf(why, max, "not delivered: %s", job->error[0] ? job->error : "the SMSC refused it");
		return OTAD_PIN_RESET_REFUSED;
	}
}

int otad_pin_reset_text(enum otad_pin_reset_mode mode, const char *counter, const char *pin, bool maybe, char *out,
			size_t max)
{
	int n;

	if (mode == OTAD_PIN_RESET_ONE_TIME_PIN)
		n = snprintf(out, max,
			     "simpki: Mã PIN của bạn %s được đặt lại tại %s. Mã PIN dùng một lần: %s. Hãy đổi mã trước "
			     "khi ký. / Your PIN %s reset at %s. One-time PIN: %s. Change it before signing.",
			     maybe ? "có thể đã" : "đã", counter, pin ? pin : "", maybe ? "may have been" : "was",
			     counter, pin ? pin : "");
	else
		n = snprintf(out, max, "simpki: Mã PIN của bạn đã được mở khóa tại %s. / Your PIN was unblocked at %s.",
			     counter, counter);
	if (n < 0 || (size_t)n >= max) {
		OPENSSL_cleanse(out, max);
		return -E2BIG;
	}
	return n;
}
