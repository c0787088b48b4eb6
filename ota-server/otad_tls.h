/* TLS for simpki-otad's operator API (otad_tls.c; docs/otad.md, "TLS"): the certificate and key files read into
 * memory for libmicrohttpd, and the rule that plain HTTP listens on loopback only, since bearer tokens travel in
 * every request. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* A certificate chain and its private key in PEM, NUL-terminated, as MHD_OPTION_HTTPS_MEM_CERT/_KEY take them. */
struct otad_tls_pem {
	char *cert; /* the server's certificate, then any intermediate CA certificates; NULL: plain HTTP */
	char *key;  /* its private key, unencrypted; wiped by otad_tls_pem_free() */
	size_t key_len;
	char *trust; /* CA certificates that client certificates are verified against (otad_tls_trust()); NULL: none */
};

/* How the configuration names the commands, for the messages: "api bind", "api tls" for the operator API. */
struct otad_tls_cmds {
	const char *bind; /* the command that sets the address */
	const char *tls;  /* the prefix of 'certificate PATH' and 'key PATH' */
};
extern const struct otad_tls_cmds otad_tls_cmds_api;

/*! \returns true when \a a is a loopback address (127.0.0.0/8) */
bool otad_tls_loopback(const struct in_addr *a);

/*! Decide between TLS and plain HTTP for an API listening on \a addr, and read the PEM files if TLS.
 *  \param[in] cert_path, key_path as configured ('api tls certificate', 'api tls key'; NULL: not set), relative
 *             to the configuration file's directory
 *  \param[out] pem the files, talloc children of \a ctx; pem->cert NULL for plain HTTP. The caller frees it with
 *              otad_tls_pem_free() once libmicrohttpd has taken the credentials
 *  \returns 0; -EINVAL (plain HTTP beyond loopback, only one of the two files set, not PEM, key and certificate
 *           do not match); -EPERM (the key file may be read by others); -ENOTSUP (libmicrohttpd without TLS);
 *           -EFBIG; or open()'s error; with the reason in \a err */
int otad_tls_setup(void *ctx, const struct in_addr *addr, const char *cert_path, const char *key_path,
		   struct otad_tls_pem *pem, char *err, size_t errlen);
/*! otad_tls_setup() with the messages naming the commands \a cmds (otad_tls_setup() names the operator API's). */
int otad_tls_setup_cmds(void *ctx, const struct otad_tls_cmds *cmds, const struct in_addr *addr, const char *cert_path,
			const char *key_path, struct otad_tls_pem *pem, char *err, size_t errlen);

/*! Read the CA certificates (PEM) at \a path, relative to the configuration file's directory, into pem->trust, for
 *  MHD_OPTION_HTTPS_MEM_TRUST: libmicrohttpd then asks each client for a certificate (GNUTLS_CERT_REQUEST: one
 *  without may still connect), and GnuTLS verifies one sent against these. pem->cert must be set (TLS).
 *  \returns 0; -EINVAL (no TLS, no PEM certificate in the file); -EFBIG; or open()'s error; with the reason in
 *  \a err */
int otad_tls_trust(void *ctx, struct otad_tls_pem *pem, const char *what, const char *path, char *err, size_t errlen);

/*! Wipe the key, free it, the certificate and the trust (pem->cert NULL: nothing to do). */
void otad_tls_pem_free(struct otad_tls_pem *pem);
