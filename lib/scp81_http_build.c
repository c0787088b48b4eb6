/* SCP81's HTTP/1.1 messages, written: the card's POST head, the RAS's reply head, one chunk, and the
 * X-Admin-Targeted-Application AID ("//aid/RID/PIX", upper-case hex written, either case read; "//aid/RID" and
 * "//aid/RID/" are the same 5-byte AID). Formats in include/simpki/scp81.h. Every header value written is checked
 * first (a URI is "/" then printable ASCII; host and agent id hold no control character), so nothing the caller
 * gives can add a header line. The heads end with the empty line; the body (if any) is the caller's to send.
 *   POST:  POST uri HTTP/1.1 | Host | X-Admin-Protocol | X-Admin-From [| X-Admin-Resume: true]
 *          [| Content-Type: response | X-Admin-Script-Status] | Content-Length: N (0 for the first POST)
 *   200:   X-Admin-Protocol [| X-Admin-Next-URI] | Content-Type: script [| X-Admin-Targeted-Application]
 *          | Content-Length: N or Transfer-Encoding: chunked (never both)
 *   204:   X-Admin-Protocol (no body, no length)
 *   4xx/5xx: X-Admin-Protocol | Content-Length: 0 | Connection: close
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <simpki/scp81.h>

struct out {
	char *s;
	size_t len, max;
	int err;
};

__attribute__((format(printf, 2, 3))) static void add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->s + o->len, o->max - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		o->err = -EINVAL;
	else if ((size_t)n >= o->max - o->len)
		o->err = -E2BIG;
	else
		o->len += (size_t)n;
}

static int finish(struct out *o)
{
	if (o->err) {
		if (o->max)
			o->s[0] = '\0';
		return o->err;
	}
	return (int)o->len;
}

static bool uri_ok(const char *s)
{
	size_t n;

	if (!s || s[0] != '/')
		return false;
	for (n = 0; s[n]; n++)
		if (n == SCP81_URI_MAX || s[n] < 0x21 || s[n] > 0x7e)
			return false;
	return true;
}

/* A header value: 1..max bytes, no control character, no space at either end. */
static bool value_ok(const char *s, size_t max)
{
	size_t n;

	if (!s || !s[0])
		return false;
	for (n = 0; s[n]; n++)
		if (n == max || (unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return false;
	return s[0] != ' ' && s[n - 1] != ' ';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \a digits hex digits of \a s into \a out. \returns 0; -EINVAL */
static int unhex(const char *s, size_t digits, uint8_t *out)
{
	for (size_t i = 0; i < digits; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int scp81_aid_parse(const char *s, uint8_t aid[SCP81_AID_MAX])
{
	size_t pix;

	if (!s || strncmp(s, "//aid/", 6))
		return -EINVAL;
	s += 6;
	if (strnlen(s, 10) < 10 || unhex(s, 10, aid))
		return -EINVAL;
	s += 10;
	if (!*s)
		return 5;
	if (*s++ != '/')
		return -EINVAL;
	pix = strnlen(s, 23);
	if (pix > 22 || pix % 2 || unhex(s, pix, aid + 5))
		return -EINVAL;
	return (int)(5 + pix / 2);
}

int scp81_aid_format(const uint8_t *aid, size_t aid_len, char *out, size_t max)
{
	struct out o = { .s = out, .max = max };

	if (!aid || aid_len < 5 || aid_len > SCP81_AID_MAX)
		return -EINVAL;
	add(&o, "//aid/");
	for (size_t i = 0; i < aid_len; i++)
		add(&o, i == 5 ? "/%02X" : "%02X", aid[i]);
	if (aid_len == 5)
		add(&o, "/");
	return finish(&o);
}

int scp81_http_post_head(const struct scp81_post *post, char *out, size_t max)
{
	struct out o = { .s = out, .max = max };
	const char *status = scp81_script_status_name(post->status);

	if (!uri_ok(post->uri) || !value_ok(post->host, SCP81_HOST_MAX) || !value_ok(post->agent_id, SCP81_AGENT_MAX))
		return -EINVAL;
	if (post->body_len > SCP81_HTTP_BODY_MAX || (!status && (post->status || post->body_len)))
		return -EINVAL;
	add(&o, "POST %s HTTP/1.1\r\nHost: %s\r\nX-Admin-Protocol: " SCP81_PROTOCOL "\r\nX-Admin-From: %s\r\n",
	    post->uri, post->host, post->agent_id);
	if (post->resume)
		add(&o, "X-Admin-Resume: true\r\n");
	if (status)
		add(&o, "Content-Type: " SCP81_CT_RESPONSE "\r\nX-Admin-Script-Status: %s\r\n", status);
	add(&o, "Content-Length: %zu\r\n\r\n", post->body_len);
	return finish(&o);
}

static const char *reason(unsigned status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	}
	return status >= 400 && status <= 599 ? "Error" : NULL;
}

int scp81_http_reply_head(const struct scp81_reply *r, char *out, size_t max)
{
	struct out o = { .s = out, .max = max };
	const char *why = reason(r->status);
	char aid[64];

	if (!why || (r->status != 200 && r->status != 204 && r->status < 400))
		return -EINVAL;
	add(&o, "HTTP/1.1 %u %s\r\nX-Admin-Protocol: " SCP81_PROTOCOL "\r\n", r->status, why);
	if (r->status == 204) {
		add(&o, "\r\n");
		return finish(&o);
	}
	if (r->status != 200) {
		add(&o, "Content-Length: 0\r\nConnection: close\r\n\r\n");
		return finish(&o);
	}
	if (r->next_uri && r->next_uri[0]) {
		if (!uri_ok(r->next_uri))
			return -EINVAL;
		add(&o, "X-Admin-Next-URI: %s\r\n", r->next_uri);
	}
	add(&o, "Content-Type: " SCP81_CT_SCRIPT "\r\n");
	if (r->aid) {
		if (scp81_aid_format(r->aid, r->aid_len, aid, sizeof(aid)) < 0)
			return -EINVAL;
		add(&o, "X-Admin-Targeted-Application: %s\r\n", aid);
	}
	if (r->chunked) {
		add(&o, "Transfer-Encoding: chunked\r\n\r\n");
	} else {
		if (r->body_len > SCP81_HTTP_BODY_MAX)
			return -EINVAL;
		add(&o, "Content-Length: %zu\r\n\r\n", r->body_len);
	}
	return finish(&o);
}

int scp81_http_chunk(const uint8_t *data, size_t len, uint8_t *out, size_t max)
{
	char head[24];
	int n = len ? snprintf(head, sizeof(head), "%zx\r\n", len) : snprintf(head, sizeof(head), "0\r\n\r\n");

	if (n < 0 || (size_t)n > max || len > max - (size_t)n || (len && max - (size_t)n - len < 2))
		return -E2BIG;
	memcpy(out, head, (size_t)n);
	if (!len)
		return n;
	memcpy(out + n, data, len);
	memcpy(out + n + len, "\r\n", 2);
	return n + (int)len + 2;
}
