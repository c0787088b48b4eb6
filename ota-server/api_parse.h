/* simpki-otad's operator API, the parts that read a request (pure functions; every length bounded):
 *
 *   Authorization: Bearer TOKEN            TOKEN: 16 to 128 printable characters
 *   POST /v1/cards/import                  body: the vendor CSV (card_import.h)
 *   GET  /v1/cards/{iccid}                 iccid: 18 to 20 digits
 *   POST /v1/jobs                          body: {"iccid": "...", "tar": "b00010", "apdus": ["hex", ...],
 *                                                 "idempotent": true|false, "mode": "store"|"forward",
 *                                                 "spi": "1639", "kvn": 1..15 (the last four optional)}
 *   GET  /v1/jobs/{id}                     id: 1 to 18 digits
 *   POST /v1/tokens                        body: {"name": "..."} (1 to 64 of A-Z a-z 0-9 . _ -); administrator only
 *
 * A job body is a JSON object of at most API_JSON_MAX bytes with exactly those members: the ICCID, the TAR as 6
 * hex digits, 1 to 64 APDUs, each a compact command in hex (CLA INS P1 P2 P3 and P3 bytes), their total at most
 * OTAD_JOB_SCRIPT_MAX bytes, and optionally whether running the script twice does no harm (default: true when
 * every command only reads, api_apdu_reads()), the delivery mode, the SPI (4 hex digits) and the key set (KVN);
 * those left out take the configuration's defaults (struct otad_job_opts, fields 0). Whether the SPI and KVN fit
 * the card and the TAR is otad_job_create()'s to check. Anything else is a 400 with a message saying what.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "otad_db.h"

#define API_JSON_MAX 65536
#define API_TOKEN_MIN 16
#define API_TOKEN_MAX 128

enum api_route {
	API_NONE = 0,	   /* no such path: 404 */
	API_CARDS_IMPORT,  /* POST */
	API_CARD_GET,	   /* GET, arg: the ICCID */
	API_JOBS_CREATE,   /* POST */
	API_JOB_GET,	   /* GET, arg: the id */
	API_TOKENS_CREATE, /* POST */
	API_BAD_METHOD,	   /* a known path with another method: 405 */
};

/*! Which resource \a method and \a url name; the ICCID or job id goes to \a arg (API_ROUTE_ARG_MAX bytes). */
#define API_ROUTE_ARG_MAX 24
enum api_route api_route(const char *method, const char *url, char *arg);

/*! The token of an Authorization header value ("Bearer TOKEN"). \returns its length; -EINVAL */
int api_bearer(const char *header, const char **token);

struct api_job_req {
	char iccid[21];
	uint8_t tar[3];
	uint8_t script[OTAD_JOB_SCRIPT_MAX];
	size_t script_len;
	bool idempotent;
	struct otad_job_opts opts; /* mode, spi, kvn: 0 where the body does not say */
};

/*! Whether a compact command only reads (SELECT, READ BINARY, READ RECORD, GET RESPONSE, GET DATA, STATUS): a
 *  script of nothing else may run twice without harm. */
bool api_apdu_reads(const uint8_t *apdu, size_t len);

/*! Read a job body. \returns 0; -EINVAL with \a err saying what is wrong */
int api_job_parse(const char *body, size_t len, struct api_job_req *req, char *err, size_t errlen);

/*! Read a token request's body: the new token's name into \a name (65 bytes). \returns 0; -EINVAL with \a err */
int api_token_parse(const char *body, size_t len, char *name, char *err, size_t errlen);
