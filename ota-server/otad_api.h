/* simpki-otad's operator API (otad_api.c; requests in api_parse.h; docs/otad.md). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otad_db.h"

struct otad_api_cfg {
	char *ip;		 /* default 127.0.0.1 */
	uint16_t port;		 /* default 8480 */
	unsigned rate;		 /* requests per second per token at most (0: no limit); beyond: 429 */
	unsigned rate_anonymous; /* requests per second per client address without a valid token (0: no limit) */
	size_t json_max;	 /* the largest JSON body (default 64 KiB, at most API_JSON_MAX) */
	size_t import_max;	 /* the largest vendor file (default 512 MiB) */
	char *tls_cert; /* PEM certificate chain for HTTPS (NULL: plain HTTP, allowed on loopback only; otad_tls.h) */
	char *tls_key;	/* its PEM private key, mode 0600 */
};

extern struct otad_api_cfg otad_api_cfg;

/*! Listen (after the database is open): HTTPS when 'api tls' is set, plain HTTP only on loopback.
 *  \returns 0; -EADDRINUSE; -EINVAL or another of otad_tls_setup()'s, with the reason in \a err */
int otad_api_start(char *err, size_t errlen);
/*! Where the API listens, e.g. "https://10.0.0.1:8480/v1/"; NULL before it does. */
const char *otad_api_url(void);
void otad_api_stop(void);
/*! Whether SIMPKI_API_TOKEN gave an administrator's token. */
bool otad_api_has_admin(void);
/*! Make a bearer token named \a name, of \a role, acting on unit \a scope and under it (NULL or "": the whole
 *  tree; unit-ra and counter need one): 64 hex digits into \a token, its SHA-256 into the database.
 *  \returns 0; -EEXIST; -EINVAL (a unit-ra or counter without a scope); -ENXIO (no such unit); -EIO */
int otad_api_token_new(const char *name, enum otad_role role, const char *scope, char token[65]);
