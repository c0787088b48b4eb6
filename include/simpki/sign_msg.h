/* Mobile-signature messages between simpki-otad and the SIM's signing applet (docs/signing.md, "On the SIM").
 *
 * They travel as the secured data of a TS 102 225 command packet to the applet's signing TAR (ciphered, with a
 * CC and a counter: SCP80 keeps them secret, whole and fresh) and come back as the additional data of that
 * packet's PoR (the response packet), sent by the SIM once the person holding the phone has answered.
 *
 * Request: one BER-TLV object, its children in this order, none repeated, nothing after it:
 *   70 L {
 *     80 1..8    request id (the server's; echoed in the response)
 *     81 01      hash algorithm: 01 SHA-256, 02 SHA-384, 03 SHA-512
 *     82 n       the hash: 32, 48 or 64 bytes as 81 says
 *     83 01      the key's reference in the applet (0..15)
 *     84 1+n     text to display: a TS 102 223 text string, DCS then n bytes (n >= 1): DCS 04 (GSM default
 *                alphabet, 8-bit, extension characters as 1B xx) or 08 (UCS2, big-endian, n even)
 *     85 04      the verification code: four ASCII digits
 *   }
 * The SIM shows the text with the code appended (as 4 more characters in the text's alphabet) in one DISPLAY
 * TEXT: n plus the code's bytes is at most SIGN_DISPLAY_MAX (so a GSM text has at most 235 bytes, a UCS2 text
 * 115 characters). A longer text is refused by sign_req_decode() (and never sent by the server), not cut.
 *
 * Response: one BER-TLV object:
 *   71 L {
 *     80 1..8    the request id (empty when the request could not be read)
 *     81 01      result (enum sign_result)
 *     82 01      PIN tries left (present once a PIN was checked, or when it is blocked)
 *     83 n       the signature (result OK only): ECDSA as DER SEQUENCE { r, s } (at most 72 bytes for P-256),
 *                RSA PKCS#1 v1.5 over the DigestInfo (the modulus' size, 256 bytes for RSA-2048)
 *   }
 * Decoders check every length against these bounds and refuse anything else (-EBADMSG), unknown tags included,
 * and take only the one encoding the encoders make (every length in its shortest form).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGN_ID_MAX 8
#define SIGN_HASH_MAX 64
#define SIGN_DISPLAY_MAX 239 /* text bytes of one DISPLAY TEXT (after its DCS) fitting a 255-byte proactive command */
#define SIGN_TEXT_MAX (SIGN_DISPLAY_MAX - 4)
#define SIGN_SIG_MAX 512
#define SIGN_REQ_MAX (4 + 2 + SIGN_ID_MAX + 3 + 2 + SIGN_HASH_MAX + 3 + 3 + 1 + SIGN_TEXT_MAX + 6)
#define SIGN_RESP_MAX (4 + 2 + SIGN_ID_MAX + 3 + 3 + 4 + SIGN_SIG_MAX)

#define SIGN_DCS_GSM 0x04
#define SIGN_DCS_UCS2 0x08

enum sign_hash {
	SIGN_HASH_SHA256 = 1,
	SIGN_HASH_SHA384 = 2,
	SIGN_HASH_SHA512 = 3,
};

enum sign_result {
	SIGN_OK = 0,		  /* signed */
	SIGN_USER_CANCELLED = 1,  /* the user refused (terminated the session, moved back, or did not accept) */
	SIGN_NO_RESPONSE = 2,	  /* the user did not answer (TERMINAL RESPONSE 12) */
	SIGN_PIN_BLOCKED = 3,	  /* the signing PIN is blocked (before, or by this request's wrong PINs) */
	SIGN_KEY_UNUSABLE = 4,	  /* no key with that reference, or none that can sign */
	SIGN_BAD_REQUEST = 5,	  /* the request could not be read */
	SIGN_TERMINAL_FAILED = 6, /* the handset could not show the text or read the PIN */
	SIGN_RESULT_N,
};

struct sign_req {
	uint8_t id[SIGN_ID_MAX];
	uint8_t id_len;
	enum sign_hash hash_alg;
	uint8_t hash[SIGN_HASH_MAX];
	uint8_t hash_len;
	uint8_t key_ref;
	uint8_t dcs; /* SIGN_DCS_GSM or SIGN_DCS_UCS2 */
	uint8_t text[SIGN_TEXT_MAX];
	uint8_t text_len;
	char code[5]; /* four digits and a NUL */
};

struct sign_resp {
	uint8_t id[SIGN_ID_MAX];
	uint8_t id_len;
	enum sign_result result;
	int tries_left; /* -1: not said */
	uint8_t sig[SIGN_SIG_MAX];
	uint16_t sig_len;
};

/*! The hash length of \a alg. \returns 32, 48 or 64; 0 for an unknown algorithm */
size_t sign_hash_len(enum sign_hash alg);
/*! A result's name for logs ("ok", "user-cancelled", ...); "?" when out of range. */
const char *sign_result_name(enum sign_result r);

/*! Encode \a r into \a out (room for \a max). \returns the length; -EINVAL (a field out of its bounds); -E2BIG */
int sign_req_encode(const struct sign_req *r, uint8_t *out, size_t max);
/*! Decode a request. \returns 0; -EBADMSG (anything but one well-formed request within its bounds) */
int sign_req_decode(const uint8_t *in, size_t len, struct sign_req *r);
/*! Encode \a r. \returns the length; -EINVAL; -E2BIG */
int sign_resp_encode(const struct sign_resp *r, uint8_t *out, size_t max);
/*! Decode a response. \returns 0; -EBADMSG */
int sign_resp_decode(const uint8_t *in, size_t len, struct sign_resp *r);

/*! The verification code of \a hash as Estonia's Mobile-ID computes it: the first 6 bits of the first byte and the
 *  last 7 bits of the last byte, ((h[0] >> 2) << 7) | (h[n-1] & 0x7f), printed as four digits into \a out. */
void sign_verification_code(const uint8_t *hash, size_t len, char out[5]);

/* ---- text for handsets: UTF-8 against the GSM default alphabet (3GPP TS 23.038) and UCS2 -------------------- */

/*! Encode UTF-8 \a s (\a len bytes) as a text string in the GSM default alphabet, 8-bit (extension characters as
 *  1B xx). \returns the bytes written; -EILSEQ (not UTF-8, or a character outside the alphabet); -E2BIG */
int sign_text_gsm(const char *s, size_t len, uint8_t *out, size_t max);
/*! Encode UTF-8 \a s as UCS2 (big-endian). \returns the bytes written; -EILSEQ (not UTF-8, or a character outside
 *  the Basic Multilingual Plane); -E2BIG */
int sign_text_ucs2(const char *s, size_t len, uint8_t *out, size_t max);
/*! Decode a text string (\a dcs SIGN_DCS_GSM, the 7-bit default alphabet unpacked, or SIGN_DCS_UCS2) to UTF-8 in
 *  \a out, NUL-terminated. \returns the bytes written (without the NUL); -EILSEQ (a UCS2 text of odd length, a
 *  surrogate, an unknown DCS); -E2BIG */
int sign_text_utf8(uint8_t dcs, const uint8_t *in, size_t len, char *out, size_t max);
