/* simpki-otad's operator API (otad_api.c; requests in api_parse.h; docs/otad.md). */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct otad_api_cfg {
	char *ip;	/* default 127.0.0.1 */
	uint16_t port;	/* default 8480 */
	unsigned rate;	/* requests per second at most, all clients together (0: no limit); beyond: 429 */
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
/*! Make a bearer token named \a name: 64 hex digits into \a token, its SHA-256 into the database.
 *  \returns 0; -EEXIST; -EIO */
int otad_api_token_new(const char *name, char token[65]);
