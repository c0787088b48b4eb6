/* SCP81: GlobalPlatform Card Specification 2.2+ Amendment B, remote application management over HTTP (HTTPS with
 * TLS-PSK between the card's admin agent and the remote administration server, RAS). What both ends share: the
 * push that starts a session, the HTTP/1.1 messages of the exchange, and their limits. No I/O, no global state.
 *
 * Push (administration session triggering parameters, Amendment B §3.7 Table 3-3): the secured data of an SCP80
 * packet to the card's admin TAR (TS 102 225), BER-TLV:
 *   81 L {                                   81 00: use the card's stored defaults
 *     83 L {                                 administration session parameters, each optional
 *       84 L { 35 bearer | 39 02 buffer size | 3C 03 02 port (TCP client) | 3E 05 21 IPv4 }
 *                                            RAS connection: OPEN CHANNEL's simple TLVs (TS 102 223 §8.52, 8.55,
 *                                            8.59, 8.58); 35 and 39 optional, 3C and 3E required
 *       85 L { n PSK-ID(n) 02 KVN KID [SHA] } security parameters: the PSK identity the card sends and the key
 *                                            (version and id) it uses (Table 3-6)
 *       86 L { counter(2) A5 03 hh mm ss }   retry policy: how many more tries after a failed session, and the
 *                                            wait between them (BCD-free binary hh mm ss here, as Table 3-3's
 *                                            timer value); a trailing report byte is accepted and ignored
 *       89 L { 8A host | 8B agent id | 8C URI }  HTTP POST parameters (UTF-8, no control characters)
 *     }
 *   }
 * Every value has the bounds below; a push outside them is refused whole (-EBADMSG), never truncated.
 * Unknown tags inside 83 and 89 are skipped (Amendment B lets cards ignore what they do not know); a second copy of a
 * known tag is refused.
 *
 * HTTP (Amendment B §3.4, Annex A): the card POSTs, the RAS answers.
 *   card:  POST <uri> HTTP/1.1 | Host | X-Admin-Protocol: globalplatform-remote-admin/1.0 | X-Admin-From: <agent id>
 *          [| X-Admin-Resume: true] [| Content-Type: application/vnd.globalplatform.card-content-mgt-response;
 *          version=1.0 | X-Admin-Script-Status: ok|unknown-application|not-a-security-domain|security-error]
 *          [| Content-Length | Transfer-Encoding: chunked]  + the response script (AB/AF) or nothing
 *   RAS:   HTTP/1.1 200 OK | X-Admin-Protocol | X-Admin-Next-URI: <uri> | Content-Type:
 *          application/vnd.globalplatform.card-content-mgt;version=1.0 [| X-Admin-Targeted-Application: //aid/RID/PIX]
 *          | Content-Length or chunked  + the command script (AA/AE)
 *          or HTTP/1.1 204 No Content | X-Admin-Protocol   (the session is over)
 * Header names are case-insensitive, values trimmed of spaces and tabs; lines end CRLF (a bare LF is refused).
 * A message with both Content-Length and chunked, two Content-Lengths, a transfer coding other than chunked, an
 * HTTP version other than 1.1, a line over SCP81_HTTP_LINE_MAX, more than SCP81_HTTP_HEADERS_MAX header lines, or a
 * body over SCP81_HTTP_BODY_MAX is refused with the error the parser names (the RAS answers it with the status in
 * scp81_http_error_status()).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCP81_PSK_ID_MAX \
	64			  /* bytes of a PSK identity: printable ASCII 0x21..0x7e (OpenSSL hands it over as a C
				   * string) */
#define SCP81_PSK_MAX 32	  /* bytes of a PSK (16 or 32 here) */
#define SCP81_HOST_MAX 64	  /* Host header value */
#define SCP81_AGENT_MAX 64	  /* X-Admin-From value */
#define SCP81_URI_MAX 128	  /* a request target or X-Admin-Next-URI: "/" then printable ASCII, no spaces */
#define SCP81_AID_MAX 16	  /* bytes of a targeted application's AID (5..16) */
#define SCP81_HTTP_LINE_MAX 512	  /* bytes of one start or header line, CRLF included */
#define SCP81_HTTP_HEADERS_MAX 32 /* header lines in one message */
#define SCP81_HTTP_BODY_MAX 8192  /* bytes of one body (a script or a response script), after de-chunking */

#define SCP81_PROTOCOL "globalplatform-remote-admin/1.0"
#define SCP81_CT_SCRIPT "application/vnd.globalplatform.card-content-mgt;version=1.0"
#define SCP81_CT_RESPONSE "application/vnd.globalplatform.card-content-mgt-response;version=1.0"

#define SCP81_DEFAULT_PORT 8443
#define SCP81_DEFAULT_URI "/simpki/ras"
#define SCP81_DEFAULT_KVN 0x40 /* the SCP81 key set (Amendment B: KVN 40..4F) */
#define SCP81_DEFAULT_KID 0x01

/* ---- push ------------------------------------------------------------------------------------------------------ */

struct scp81_push {
	bool use_defaults; /* 81 00: nothing else is set */

	bool has_conn; /* 84 */
	uint8_t ip[4];
	uint16_t port;
	uint16_t buffer_size; /* 0: not given */
	uint8_t bearer;	      /* 35's first byte (03 default bearer); 0: not given */

	bool has_security;		   /* 85 */
	char psk_id[SCP81_PSK_ID_MAX + 1]; /* NUL-terminated, 1..SCP81_PSK_ID_MAX printable characters */
	uint8_t kvn, kid;

	bool has_retry;	       /* 86 */
	uint16_t retries;      /* tries after the first */
	uint32_t retry_wait_s; /* hh * 3600 + mm * 60 + ss */

	bool has_http; /* 89: each of the three may be empty (not given) */
	char host[SCP81_HOST_MAX + 1];
	char agent_id[SCP81_AGENT_MAX + 1];
	char uri[SCP81_URI_MAX + 1];
};

/*! Encode \a p (81 00 when use_defaults). \returns the length; -E2BIG; -EINVAL (a value out of its bounds) */
int scp81_push_encode(const struct scp81_push *p, uint8_t *out, size_t max);
/*! Decode a push, which must be exactly \a len bytes. \returns 0; -EBADMSG (malformed, out of bounds, repeated) */
int scp81_push_decode(const uint8_t *b, size_t len, struct scp81_push *p);

/*! Whether \a s is a PSK identity (1..SCP81_PSK_ID_MAX printable ASCII characters, no space). */
bool scp81_psk_id_ok(const char *s);

/* ---- HTTP messages -------------------------------------------------------------------------------------------- */

enum scp81_script_status {
	SCP81_STATUS_NONE = 0, /* no X-Admin-Script-Status header */
	SCP81_STATUS_OK,
	SCP81_STATUS_UNKNOWN_APPLICATION,
	SCP81_STATUS_NOT_A_SECURITY_DOMAIN,
	SCP81_STATUS_SECURITY_ERROR,
};

/*! The X-Admin-Script-Status value of \a s ("ok", "unknown-application", ...). \returns it; NULL for
 *  SCP81_STATUS_NONE or a value out of range */
const char *scp81_script_status_name(enum scp81_script_status s);

/* One parsed message: a card's request or a RAS's response. Strings are NUL-terminated, "" when absent. */
struct scp81_http_msg {
	bool response;			/* a status line (else a request line) */
	char method[8];			/* request: "POST" (other methods parse; the RAS refuses them) */
	char target[SCP81_URI_MAX + 1]; /* request target */
	unsigned status;		/* response: 100..599 */
	bool protocol_ok;		/* X-Admin-Protocol: globalplatform-remote-admin/1.0 */
	char host[SCP81_HOST_MAX + 1];
	char from[SCP81_AGENT_MAX + 1];	   /* X-Admin-From */
	char next_uri[SCP81_URI_MAX + 1];  /* X-Admin-Next-URI */
	char content_type[96];		   /* without parameters' spaces normalised: compared case-insensitively */
	uint8_t target_aid[SCP81_AID_MAX]; /* X-Admin-Targeted-Application //aid/RID/PIX: RID (5) + PIX (0..11) */
	uint8_t target_aid_len;		   /* 0: absent */
	enum scp81_script_status script_status;
	bool resume;	 /* X-Admin-Resume: true */
	bool close;	 /* Connection: close */
	bool chunked;	 /* the body came chunked */
	size_t body_len; /* bytes in body */
	uint8_t body[SCP81_HTTP_BODY_MAX];
};

/* An incremental parser: bytes in as they come (from TLS records of any size), one message out. */
struct scp81_http_parser {
	struct scp81_http_msg msg;
	/* private */
	uint8_t state;
	char line[SCP81_HTTP_LINE_MAX];
	size_t line_len;
	unsigned headers;
	bool has_length;
	size_t length; /* Content-Length, or the current chunk's size */
	size_t got;    /* body bytes of the current chunk or body so far */
};

/*! Start a parser for one request (\a response false) or one response. */
void scp81_http_parser_init(struct scp81_http_parser *p, bool response);
/*! Feed \a len bytes. *used says how many were taken (bytes after a complete message are left for the next one).
 *  \returns 1 when a message is complete (in p->msg); 0 when more bytes are needed; -EBADMSG (malformed);
 *  -E2BIG (a line, the header count or the body over its limit); -ENOTSUP (an HTTP version other than 1.1, a
 *  transfer coding other than chunked). After an error the parser takes nothing more until initialised again. */
int scp81_http_parse(struct scp81_http_parser *p, const uint8_t *d, size_t len, size_t *used);
/*! The status a RAS answers a parse error with: 400 (-EBADMSG), 413 (-E2BIG), 505/501 (-ENOTSUP: version,
 *  coding), 500 otherwise. */
unsigned scp81_http_error_status(int err, const struct scp81_http_parser *p);

/*! The AID in "//aid/RID/PIX" (hex, RID 10 digits, PIX 0..22 even digits). \returns its length; -EINVAL */
int scp81_aid_parse(const char *s, uint8_t aid[SCP81_AID_MAX]);
/*! Write \a aid as "//aid/RID/PIX". \returns the string length; -EINVAL (aid_len not 5..16); -E2BIG */
int scp81_aid_format(const uint8_t *aid, size_t aid_len, char *out, size_t max);

/* What a card's POST says: the first of a session has no body and no script status. */
struct scp81_post {
	const char *uri; /* the push's URI, or the last X-Admin-Next-URI */
	const char *host;
	const char *agent_id; /* X-Admin-From */
	bool resume;
	enum scp81_script_status status; /* NONE for the first POST */
	size_t body_len;		 /* the response script follows the head (Content-Length) */
};

/*! The head of a card's POST (start line and headers, up to the empty line). \returns its length; -E2BIG; -EINVAL */
int scp81_http_post_head(const struct scp81_post *post, char *out, size_t max);

/* What a RAS answers. */
struct scp81_reply {
	unsigned status;      /* 200 with a script; 204 the end; 4xx/5xx an error */
	const char *next_uri; /* 200: where the card posts the response */
	const uint8_t *aid;   /* 200: the targeted application, or NULL (the admin agent's own: RFM here) */
	size_t aid_len;
	size_t body_len; /* 200: the script follows the head (Content-Length; chunked when \a chunked) */
	bool chunked;	 /* the caller then writes the body with scp81_http_chunk() and ends it with a 0-size chunk */
};

/*! The head of a RAS's answer. \returns its length; -E2BIG; -EINVAL */
int scp81_http_reply_head(const struct scp81_reply *r, char *out, size_t max);
/*! One chunk of a chunked body: "hex-size CRLF data CRLF" (len 0: the last chunk "0 CRLF CRLF").
 *  \returns its length; -E2BIG */
int scp81_http_chunk(const uint8_t *data, size_t len, uint8_t *out, size_t max);
