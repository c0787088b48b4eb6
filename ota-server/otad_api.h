/* simpki-otad's operator API (otad_api.c; requests in api_parse.h; docs/otad.md). */
#pragma once
#include <stdint.h>

struct otad_api_cfg {
	char *ip;      /* default 127.0.0.1 */
	uint16_t port; /* default 8480 */
	unsigned rate; /* requests per second at most, all clients together (0: no limit); beyond: 429 */
};

extern struct otad_api_cfg otad_api_cfg;

/*! Listen (after the database is open). \returns 0; -EADDRINUSE; -EINVAL */
int otad_api_start(void);
void otad_api_stop(void);
/*! Make a bearer token named \a name: 64 hex digits into \a token, its SHA-256 into the database.
 *  \returns 0; -EEXIST; -EIO */
int otad_api_token_new(const char *name, char token[65]);
