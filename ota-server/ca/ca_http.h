/* simpki-ca's two HTTP listeners on libmicrohttpd, run from the libosmocore select loop (each MHD's epoll fd is an
 * osmo_fd, its timeout an osmo_timer), so every request is handled in the daemon's single thread:
 *   CMP (RFC 6712) on cmp bind:port, POST <path> with Content-Type application/pkixcmp, at most CA_CMP_BODY_MAX
 *     bytes (413 when Content-Length says more; a body that grows beyond ends the connection); 200 with the CMP
 *     response, 400 for a body that is no PKIMessage, 404 another path, 405 another method, 415 another type.
 *   status on status bind:port: GET /ca.crt (DER, application/pkix-cert), GET /crl/<crl-name>.crl (DER,
 *     application/pkix-crl), POST /ocsp (application/ocsp-request, at most CA_OCSP_REQ_MAX bytes) and
 *     GET /ocsp/<base64> (RFC 5019), both answered application/ocsp-response.
 * Group commit (ca_db_set_batching(), on while the listeners run): a CMP answer given while the records hold
 * certificates or revocations not yet committed (this request's, or another's of the same turn of the loop) is held
 * (the connection suspended) until the commit at the start of the next turn, then sent; 500 if the commit fails.
 * One fsync serves every change of a turn. A status request commits first (OCSP never says good of a
 * certificate that is not on disk). */
#pragma once
#include <stddef.h>

int ca_http_start(char *err, size_t errlen);
void ca_http_stop(void);
