/* simpki-otad's relying-party API (sign_parse.h has the routes, docs/signing.md the guide): its own libmicrohttpd
 * daemon (default 127.0.0.1:8481) in the select loop, as the operator API (otad_api.c). Long polls hold no thread:
 * GET /v1/signature/session/{id}?timeoutMs=N suspends the connection (MHD_suspend_connection) and resumes it when
 * the session completes or the time is up. TLS as the operator API's (otad_tls.h; plain HTTP on loopback only). A
 * relying party authenticates with a TLS client certificate verified against 'tls client-ca' (the configuration
 * holds the SHA-256 of its DER) or with its bearer token (the configuration holds its SHA-256), is held to its rate (429 beyond), and sees only its own sessions (404 otherwise). */
#pragma once
#include <stddef.h>

/*! Listen ('signing' node: listen IP PORT, tls ...). \returns 0; -EADDRINUSE; -EINVAL, -EPERM, -ENOTSUP (TLS,
 *  otad_tls_setup()) or open()'s error (\a err says why) */
int otad_sign_api_start(char *err, size_t errlen);
/*! Where it listens ("http://127.0.0.1:8481/v1/"); NULL before it does. */
const char *otad_sign_api_url(void);
/*! Resume every long poll, then stop. */
void otad_sign_api_stop(void);
