/* TLS-PSK for the SCP81 RAS (scp81_server.h): the OpenSSL server context and its PSK callbacks, TLS 1.2
 * (SSL_CTX_set_psk_server_callback) and TLS 1.3 (SSL_CTX_set_psk_find_session_callback, an external PSK as the
 * session's master key). Each SSL's app data is its struct scp81_tls_peer, where the callbacks leave the identity. */
#pragma once
#include <stdbool.h>

#include <openssl/ssl.h>

#include "scp81_server.h"

struct scp81_tls_peer {
	char identity[SCP81_PSK_ID_MAX + 1]; /* the identity the card sent, when it is a PSK identity */
	bool unknown;			     /* an identity ops->psk() does not know, or none that could be one */
	bool found;			     /* a PSK was found (a failure after it: a PSK mismatch, most likely) */
};

/*! The server context for \a cfg, its PSKs from \a ops->psk (kept). \returns NULL when OpenSSL refuses the
 *  configuration (the error is in OpenSSL's queue). */
SSL_CTX *scp81_tls_ctx_new(const struct scp81_cfg *cfg, const struct scp81_ops *ops);
