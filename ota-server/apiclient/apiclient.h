/* apiclient: what simpki-admin (../admin/) and simpki-sign (../rp/) share as command-line clients of simpki-otad's
 * HTTP/JSON APIs over libcurl: the bounded answer buffer, the loopback rule for plain http://, the easy handle with
 * the common options, the bearer token's header and its check, and the small helpers of their command lines.
 *
 * Functions return 0 or a negative errno unless said otherwise. Nothing here prints: the messages and the exit
 * codes stay the programs'. The token never reaches a message.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

/* ---- the answer buffer ---------------------------------------------------------------------------------------- */

/* An answer read into memory, NUL-terminated, at most max bytes. Start it as { .max = N }; the caller frees p. */
struct apiclient_buf {
	char *p;      /* the answer and a NUL; NULL while nothing came */
	size_t len;   /* bytes of the answer, without the NUL */
	size_t cap;   /* bytes allocated at p */
	size_t max;   /* the most bytes of an answer taken */
	bool too_big; /* set when the answer would pass max: the transfer was stopped (CURLE_WRITE_ERROR) */
};

/*! libcurl's CURLOPT_WRITEFUNCTION for a struct apiclient_buf (CURLOPT_WRITEDATA): appends and keeps a NUL after
 * the bytes. \returns size * n; 0 (libcurl stops the transfer) when the answer would pass b->max (b->too_big set)
 * or when out of memory */
size_t apiclient_on_data(char *d, size_t size, size_t n, void *b);

/* ---- the URL and the easy handle ------------------------------------------------------------------------------ */

/*! Whether \a url may carry a bearer token: https://, or plain http:// only to a loopback host (127.x.y.z,
 * localhost, [::1]), as simpki-otad refuses to serve http:// elsewhere. \returns 0; -EINVAL with the reason in
 * \a err (not a URL, another scheme, http:// beyond loopback); -ENOMEM */
int apiclient_url_ok(const char *url, char *err, size_t err_len);

/*! Check \a url (apiclient_url_ok) and make an easy handle with the common options: no signals, a connect timeout
 * of 10 s, http and https only, the user agent \a agent (e.g. "simpki-admin/1.0"), the CA certificates \a cacert
 * (NULL: the system's), libcurl's error texts into \a errbuf (CURL_ERROR_SIZE bytes at least, kept by the caller
 * for the handle's life). The caller adds its own options and frees it with curl_easy_cleanup().
 * \returns 0 with *out set; -EINVAL (the reason in \a err); -ENOMEM */
int apiclient_open(const char *url, const char *agent, const char *cacert, char *errbuf, CURL **out, char *err,
		   size_t err_len);

/*! \a base and \a path joined (the caller frees). \returns NULL when out of memory */
char *apiclient_url(const char *base, const char *path);

/*! Set up the next request on \a c: \a url, the headers \a h, the answer into \a b, and \a method with \a body
 * (a JSON text; NULL: empty) sent as POSTFIELDS unless the method is GET (a method other than GET and POST as a
 * custom request). Resets what an earlier request on the handle set (POST state, a custom method). */
void apiclient_request(CURL *c, const char *url, struct curl_slist *h, struct apiclient_buf *b, const char *method,
		       const char *body);

/* ---- the bearer token ----------------------------------------------------------------------------------------- */

/*! Whether \a t is a token the Authorization header can carry: 1 to \a max bytes of printable ASCII, no space. */
bool apiclient_token_ok(const char *t, size_t max);

/*! A header list holding "Authorization: Bearer TOKEN" (the temporary copy wiped). The caller appends its own
 * headers and frees the list with apiclient_headers_free(). \returns NULL when out of memory */
struct curl_slist *apiclient_auth_header(const char *token);

/*! Wipe every header of \a h (the token's copies) and free the list; NULL is fine. */
void apiclient_headers_free(struct curl_slist *h);

/* ---- the command lines ---------------------------------------------------------------------------------------- */

/*! The message \a fmt into \a err (cut to \a err_len). \returns -EINVAL, so that "return apiclient_bad(...)" refuses */
__attribute__((format(printf, 3, 4))) int apiclient_bad(char *err, size_t err_len, const char *fmt, ...);

/*! A decimal number in [min, max]: digits only, from the first character to the last (no sign, no space).
 * \returns 0 with *out set; -EINVAL */
int apiclient_number(const char *s, long long min, long long max, long long *out);

/*! The word of the option getopt_long just refused (argv[ind - 1]), or "?". */
const char *apiclient_refused(char **argv, int ind);
