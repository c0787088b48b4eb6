/* The relying-party signature API's requests and results (pure functions, every length bounded; sign.h runs the
 * sessions, sign_api.c serves them). The reference for relying parties is docs/signing.md.
 *
 *   Authorization: Bearer TOKEN     a relying party's token (its SHA-256 is in the configuration)
 *   POST   /v1/signature            {"phoneNumber": "84912345678" | "holderId": "ID", "hash": base64,
 *                                    "hashType": "SHA256"|"SHA384"|"SHA512", "displayText": "...",
 *                                    "displayTextFormat": "GSM-7"|"UCS-2" (optional), "language": "VIE"|"ENG"
 *                                    (optional)}  ->  200 {"sessionID", "verificationCode"}
 *   GET    /v1/signature/session/{id}?timeoutMs=N    the session (long-polled up to N ms, 0..120000, default 0)
 *   DELETE /v1/signature/session/{id}                cancel it
 *   POST   /v1/certificate          {"phoneNumber" | "holderId"}  ->  {"result": "OK", "cert": PEM,
 *                                    "keyAlgorithm": "EC"|"RSA"}
 *
 * A body is one JSON object of at most SIGN_API_BODY_MAX bytes with exactly the members above: exactly one of
 * phoneNumber (1 to 15 digits, an optional leading '+') and holderId (holder.h's id rule); hash the hashType's
 * length, standard base64 with padding; displayText 1 to SIGN_API_TEXT_MAX bytes of UTF-8 without control
 * characters. Anything else is a 400 whose message names the member.
 *
 * The text the phone shows is composed here (sign_compose()): the relying party's display name, a newline, the
 * displayText, a newline, and a label the SIM appends the four-digit code to: "Mã xác nhận: " (UCS-2, language VIE,
 * the default) or "Code: " (ENG, or GSM-7 whatever the language). Without displayTextFormat the text goes GSM-7
 * when every character of it is in the GSM default alphabet, else UCS-2. The composed text must fit one DISPLAY
 * TEXT with the code (simpki/sign_msg.h): at most SIGN_TEXT_MAX (235) bytes in GSM-7 (an extension character
 * takes two), or SIGN_UCS2_CHARS_MAX (115) characters in UCS-2; a longer one is refused, never cut.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <simpki/sign_msg.h>

#include "otad_db.h"

#define SIGN_API_BODY_MAX (16u << 10)
#define SIGN_API_TEXT_MAX 1024 /* bytes of displayText as given (the composed text is checked after) */
#define SIGN_UCS2_CHARS_MAX ((SIGN_DISPLAY_MAX - 8) / 2) /* 115: the code takes 4 UCS2 characters */
#define SIGN_API_TIMEOUT_MS_MAX 120000
#define SIGN_LABEL_VIE "M\xc3\xa3 x\xc3\xa1\x63 nh\xe1\xba\xadn: " /* "Mã xác nhận: " */
#define SIGN_LABEL_ENG "Code: "

/* A session's result; its name is what the API says (otad_sign_result_names). */
enum otad_sign_result {
	OTAD_SIGN_RUNNING,		   /* no result yet */
	OTAD_SIGN_OK,			   /* signed, the signature verified, the certificate good (OCSP) */
	OTAD_SIGN_USER_CANCELLED,	   /* the person refused */
	OTAD_SIGN_TIMEOUT,		   /* no answer in time (the person, or the phone) */
	OTAD_SIGN_PIN_BLOCKED,		   /* the signing PIN is blocked */
	OTAD_SIGN_NOT_A_CLIENT,		   /* no such phone or holder, or no usable signing certificate */
	OTAD_SIGN_PHONE_ABSENT,		   /* the SMSC could not reach the phone (absent, not attached) */
	OTAD_SIGN_DELIVERY_ERROR,	   /* the SMSC refused the request otherwise */
	OTAD_SIGN_SIM_ERROR,		   /* the SIM could not sign (key unusable, bad request, handset failed) */
	OTAD_SIGN_SIGNATURE_HASH_MISMATCH, /* the signature does not verify over the hash with the certificate */
	OTAD_SIGN_REVOKED_CERTIFICATE,	   /* OCSP says the certificate is not good */
	OTAD_SIGN_CANCELLED,		   /* the relying party cancelled the session */
	OTAD_SIGN_INTERNAL_ERROR,	   /* this server could not finish it (OCSP unreachable, database, restart) */
	OTAD_SIGN_N_RESULTS,
};
extern const char *const otad_sign_result_names[OTAD_SIGN_N_RESULTS]; /* RUNNING is "" */

/*! The ETSI TS 102 204 status code of a result (500 SIGNATURE, 401 USER_CANCEL, ...; 504 OUTSTANDING_TRANSACTION
 *  while running). */
int otad_sign_ts_status(enum otad_sign_result r);
/*! What the SIM's answer means for the session: OK -> OK (to be verified), USER_CANCELLED, NO_RESPONSE -> TIMEOUT,
 *  PIN_BLOCKED; every other -> SIM_ERROR. */
enum otad_sign_result otad_sign_result_of_sim(enum sign_result r);
/*! A forward submit the SMSC refused with SMPP status \a status: 0x0b (ESME_RINVDSTADR: the VLR does not hold the
 *  subscriber, not attached) and 0xfe (ESME_RDELIVERYFAILURE: paging failed) -> PHONE_ABSENT; others
 *  DELIVERY_ERROR. */
enum otad_sign_result otad_sign_result_of_smpp(uint32_t status);

enum sign_fmt {
	SIGN_FMT_AUTO,
	SIGN_FMT_GSM,
	SIGN_FMT_UCS2,
};

enum sign_lang {
	SIGN_LANG_VIE,
	SIGN_LANG_ENG,
};

struct sign_api_req {
	char msisdn[16];		     /* digits; "" when holderId was given */
	char holder[OTAD_HOLDER_ID_MAX + 1]; /* "" when phoneNumber was given */
	enum sign_hash hash_alg;
	uint8_t hash[SIGN_HASH_MAX];
	size_t hash_len;
	char text[SIGN_API_TEXT_MAX + 1]; /* UTF-8 */
	enum sign_fmt fmt;
	enum sign_lang lang;
};

/*! Read a POST /v1/signature body. \returns 0; -EINVAL with \a err naming what is wrong */
int sign_api_parse(const char *body, size_t len, struct sign_api_req *req, char *err, size_t errlen);
/*! Read a POST /v1/certificate body (exactly one of phoneNumber, holderId). \returns 0; -EINVAL */
int sign_api_parse_who(const char *body, size_t len, char msisdn[16], char holder[OTAD_HOLDER_ID_MAX + 1], char *err,
		       size_t errlen);
/*! Compose the text shown for relying party \a name (UTF-8): *dcs SIGN_DCS_GSM or SIGN_DCS_UCS2, the encoded text
 *  in \a out (*len bytes, at most SIGN_TEXT_MAX). \returns 0; -EILSEQ (GSM-7 asked and a character is outside the
 *  GSM alphabet; or a character outside UCS-2's plane); -E2BIG (too long: \a err says the limit in characters
 *  of that encoding and how many displayText may have here) */
int sign_compose(const char *name, const char *text, enum sign_fmt fmt, enum sign_lang lang, uint8_t *dcs,
		 uint8_t out[SIGN_TEXT_MAX], size_t *len, char *err, size_t errlen);

enum sign_route {
	SIGN_R_NONE,	   /* 404 */
	SIGN_R_BAD_METHOD, /* 405, *allow says what is */
	SIGN_R_BAD_ID,	   /* 400: not a session id */
	SIGN_R_SIGN,
	SIGN_R_CERT,
	SIGN_R_SESSION_GET,
	SIGN_R_SESSION_DELETE,
};
/*! The route of \a method \a url; a session's id into \a id. */
enum sign_route sign_api_route(const char *method, const char *url, char id[OTAD_SIGN_SESSION_MAX + 1],
			       const char **allow);
/*! A session id as this server makes them: a UUID, lower-case hex in 8-4-4-4-12. */
bool sign_session_id_ok(const char *s);
/*! The query parameter timeoutMs (NULL: 0). \returns 0; -EINVAL (not 0..SIGN_API_TIMEOUT_MS_MAX) */
int sign_api_timeout(const char *s, unsigned *ms);
/*! Strict base64 (RFC 4648, padded, canonical) of \a s into \a out. \returns the length; -EINVAL; -E2BIG */
int sign_b64_decode(const char *s, size_t len, uint8_t *out, size_t max);
/*! A SHA-256 fingerprint as 'client-certificate-sha256' takes it: 64 hex digits, either case, bytes optionally
 *  separated by ':' (as openssl x509 -fingerprint -sha256 prints it). \returns 0; -EINVAL */
int sign_fingerprint_parse(const char *s, uint8_t out[32]);
