/* SCP81's HTTP/1.1 messages, read incrementally (the format and limits are in include/simpki/scp81.h). A byte-at-a-
 * time state machine over one line buffer, so input may be cut anywhere:
 *   START (request or status line) -> HEADER* -> empty line -> BODY (Content-Length bytes)
 *                                                           -> CHUNK_SIZE -> CHUNK_DATA -> CHUNK_END -> CHUNK_SIZE ...
 *                                                              size 0 -> TRAILER* -> empty line -> DONE
 * Every line ends CRLF (a bare LF, or a CR elsewhere in a line, is -EBADMSG) and is at most SCP81_HTTP_LINE_MAX
 * bytes; start, header and trailer lines hold no control character but HTAB. Header and trailer lines together
 * are at most SCP81_HTTP_HEADERS_MAX; obsolete line folding and spaces before the colon are -EBADMSG.
 * Bodies: Content-Length (digits only) or chunked (chunk extensions and trailers ignored). A request with neither
 * has an empty body, and so has an error response (status >= 300: the card closes anyway); a 2xx response with
 * neither is -EBADMSG (no close-delimited bodies). 1xx, 204 and 304 responses have no body (one announced is
 * -EBADMSG). A second copy of a recognised header with a value is -EBADMSG, as are two Content-Lengths.
 * Content-Type is kept without its spaces and tabs, so it compares with SCP81_CT_* case-insensitively.
 * An error is kept in the state, so the parser answers it again until initialised, and so that
 * scp81_http_error_status() can tell a wrong version (505) from a transfer coding (501).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <simpki/scp81.h>

enum {
	ST_START,
	ST_HEADER,
	ST_BODY,
	ST_CHUNK_SIZE,
	ST_CHUNK_DATA,
	ST_CHUNK_END,
	ST_TRAILER,
	ST_DONE,
	ST_ERR_BADMSG,
	ST_ERR_2BIG,
	ST_ERR_VERSION,
	ST_ERR_CODING,
};

/* Errors inside the parser: the kind is kept in the state. */
#define ERR_VERSION 1000
#define ERR_CODING 1001

static const char *const script_status_names[] = {
	[SCP81_STATUS_OK] = "ok",
	[SCP81_STATUS_UNKNOWN_APPLICATION] = "unknown-application",
	[SCP81_STATUS_NOT_A_SECURITY_DOMAIN] = "not-a-security-domain",
	[SCP81_STATUS_SECURITY_ERROR] = "security-error",
};

const char *scp81_script_status_name(enum scp81_script_status s)
{
	return s >= SCP81_STATUS_OK && s <= SCP81_STATUS_SECURITY_ERROR ? script_status_names[s] : NULL;
}

void scp81_http_parser_init(struct scp81_http_parser *p, bool response)
{
	memset(p, 0, sizeof(*p));
	p->msg.response = response;
	p->state = ST_START;
}

static bool is_tchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool uri_ok(const char *s)
{
	if (s[0] != '/')
		return false;
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/* Copy \a v into a field of \a max bytes (NUL included). \returns 0; -E2BIG; -EBADMSG (given twice) */
static int set_field(char *field, size_t max, const char *v)
{
	size_t n = strlen(v);

	if (field[0])
		return -EBADMSG;
	if (n >= max)
		return -E2BIG;
	memcpy(field, v, n + 1);
	return 0;
}

static int parse_version(const char *v)
{
	if (!strcmp(v, "HTTP/1.1"))
		return 0;
	if (!strncmp(v, "HTTP/", 5) && v[5] >= '0' && v[5] <= '9' && v[6] == '.' && v[7] >= '0' && v[7] <= '9' && !v[8])
		return -ERR_VERSION;
	return -EBADMSG;
}

/* METHOD SP target SP HTTP/1.1 */
static int parse_request_line(struct scp81_http_msg *m, char *line)
{
	char *sp1 = strchr(line, ' '), *sp2;
	size_t n;

	if (!sp1)
		return -EBADMSG;
	*sp1 = '\0';
	sp2 = strchr(sp1 + 1, ' ');
	if (!sp2)
		return -EBADMSG;
	*sp2 = '\0';
	n = strlen(line);
	if (!n || n >= sizeof(m->method))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar(line[i]))
			return -EBADMSG;
	memcpy(m->method, line, n + 1);
	if (!uri_ok(sp1 + 1))
		return -EBADMSG;
	if (strlen(sp1 + 1) > SCP81_URI_MAX)
		return -E2BIG;
	strcpy(m->target, sp1 + 1);
	return parse_version(sp2 + 1);
}

/* HTTP/1.1 SP 3DIGIT [SP reason] */
static int parse_status_line(struct scp81_http_msg *m, char *line)
{
	char *sp = strchr(line, ' ');
	const char *d;
	int rc;

	if (!sp)
		return -EBADMSG;
	*sp = '\0';
	rc = parse_version(line);
	if (rc)
		return rc;
	d = sp + 1;
	if (d[0] < '1' || d[0] > '5' || d[1] < '0' || d[1] > '9' || d[2] < '0' || d[2] > '9' || (d[3] && d[3] != ' '))
		return -EBADMSG;
	m->status = (unsigned)((d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'));
	return 0;
}

static int parse_content_length(struct scp81_http_parser *p, const char *v)
{
	size_t n = 0;

	if (p->has_length || !*v)
		return -EBADMSG;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -EBADMSG;
		n = n * 10 + (size_t)(*v - '0');
		if (n > SCP81_HTTP_BODY_MAX)
			return -E2BIG;
	}
	p->has_length = true;
	p->length = n;
	return 0;
}

/* Connection: a comma-separated list of options; "close" is the one that matters. */
static void parse_connection(struct scp81_http_msg *m, const char *v)
{
	while (*v) {
		size_t n;

		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		n = strcspn(v, " \t,");
		if (n == 5 && !strncasecmp(v, "close", 5))
			m->close = true;
		v += n;
	}
}

static int parse_script_status(struct scp81_http_msg *m, const char *v)
{
	if (m->script_status != SCP81_STATUS_NONE)
		return -EBADMSG;
	for (size_t i = SCP81_STATUS_OK; i <= SCP81_STATUS_SECURITY_ERROR; i++) {
		if (!strcasecmp(v, script_status_names[i])) {
			m->script_status = (enum scp81_script_status)i;
			return 0;
		}
	}
	return -EBADMSG;
}

static int parse_content_type(struct scp81_http_msg *m, const char *v)
{
	size_t n = 0;

	if (m->content_type[0])
		return -EBADMSG;
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t')
			continue;
		if (n == sizeof(m->content_type) - 1) {
			m->content_type[0] = '\0';
			return -E2BIG;
		}
		m->content_type[n++] = *v;
	}
	m->content_type[n] = '\0';
	return 0;
}

static int parse_header(struct scp81_http_parser *p, char *line)
{
	struct scp81_http_msg *m = &p->msg;
	char *colon = strchr(line, ':'), *v, *end;
	int n;

	if (!colon || colon == line)
		return -EBADMSG;
	*colon = '\0';
	for (char *c = line; *c; c++)
		if (!is_tchar(*c))
			return -EBADMSG;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';

	if (!strcasecmp(line, "X-Admin-Protocol")) {
		if (!strcasecmp(v, SCP81_PROTOCOL))
			m->protocol_ok = true;
	} else if (!strcasecmp(line, "Host")) {
		return set_field(m->host, sizeof(m->host), v);
	} else if (!strcasecmp(line, "X-Admin-From")) {
		return set_field(m->from, sizeof(m->from), v);
	} else if (!strcasecmp(line, "X-Admin-Next-URI")) {
		if (!uri_ok(v))
			return -EBADMSG;
		return set_field(m->next_uri, sizeof(m->next_uri), v);
	} else if (!strcasecmp(line, "Content-Type")) {
		return parse_content_type(m, v);
	} else if (!strcasecmp(line, "X-Admin-Targeted-Application")) {
		if (m->target_aid_len)
			return -EBADMSG;
		n = scp81_aid_parse(v, m->target_aid);
		if (n < 0)
			return -EBADMSG;
		m->target_aid_len = (uint8_t)n;
	} else if (!strcasecmp(line, "X-Admin-Script-Status")) {
		return parse_script_status(m, v);
	} else if (!strcasecmp(line, "X-Admin-Resume")) {
		if (!strcasecmp(v, "true"))
			m->resume = true;
		else if (strcasecmp(v, "false"))
			return -EBADMSG;
	} else if (!strcasecmp(line, "Connection")) {
		parse_connection(m, v);
	} else if (!strcasecmp(line, "Content-Length")) {
		if (m->chunked)
			return -EBADMSG;
		return parse_content_length(p, v);
	} else if (!strcasecmp(line, "Transfer-Encoding")) {
		if (m->chunked || p->has_length)
			return -EBADMSG;
		if (strcasecmp(v, "chunked"))
			return -ERR_CODING;
		m->chunked = true;
	}
	return 0;
}

/* The empty line after the headers: where the body starts, if there is one. \returns 1 (complete), 0 */
static int headers_end(struct scp81_http_parser *p)
{
	struct scp81_http_msg *m = &p->msg;

	if (m->response && (m->status < 200 || m->status == 204 || m->status == 304)) {
		if (m->chunked || p->length)
			return -EBADMSG;
		return 1;
	}
	if (m->chunked) {
		p->state = ST_CHUNK_SIZE;
		return 0;
	}
	if (!p->has_length) {
		if (m->response && m->status < 300)
			return -EBADMSG;
		return 1;
	}
	if (!p->length)
		return 1;
	p->state = ST_BODY;
	return 0;
}

/* chunk-size [BWS ; chunk-ext] */
static int chunk_size(struct scp81_http_parser *p, const char *line)
{
	size_t n = 0, digits = 0;
	const char *c;

	for (c = line; *c; c++, digits++) {
		int d;

		if (*c >= '0' && *c <= '9')
			d = *c - '0';
		else if (*c >= 'a' && *c <= 'f')
			d = *c - 'a' + 10;
		else if (*c >= 'A' && *c <= 'F')
			d = *c - 'A' + 10;
		else
			break;
		n = n * 16 + (size_t)d;
		if (n > SCP81_HTTP_BODY_MAX - p->msg.body_len)
			return -E2BIG;
	}
	if (!digits)
		return -EBADMSG;
	while (*c == ' ' || *c == '\t')
		c++;
	if (*c && *c != ';')
		return -EBADMSG;
	if (!n) {
		p->state = ST_TRAILER;
		return 0;
	}
	p->length = n;
	p->got = 0;
	p->state = ST_CHUNK_DATA;
	return 0;
}

/* One complete line (CRLF taken off). \returns 1 (message complete), 0, negative error */
static int line_done(struct scp81_http_parser *p, char *line)
{
	struct scp81_http_msg *m = &p->msg;

	switch (p->state) {
	case ST_START:
		p->state = ST_HEADER;
		return m->response ? parse_status_line(m, line) : parse_request_line(m, line);
	case ST_HEADER:
		if (!*line)
			return headers_end(p);
		if (++p->headers > SCP81_HTTP_HEADERS_MAX)
			return -E2BIG;
		if (line[0] == ' ' || line[0] == '\t')
			return -EBADMSG;
		return parse_header(p, line);
	case ST_CHUNK_SIZE:
		return chunk_size(p, line);
	case ST_CHUNK_END:
		if (*line)
			return -EBADMSG;
		p->state = ST_CHUNK_SIZE;
		return 0;
	case ST_TRAILER:
		if (!*line)
			return 1;
		if (++p->headers > SCP81_HTTP_HEADERS_MAX)
			return -E2BIG;
		return 0;
	}
	return -EBADMSG;
}

/* Take one byte of a line. \returns 1 (message complete), 0, negative error */
static int line_byte(struct scp81_http_parser *p, uint8_t c)
{
	if (c != '\n') {
		if (p->line_len >= SCP81_HTTP_LINE_MAX - 1)
			return -E2BIG;
		if (p->line_len && p->line[p->line_len - 1] == '\r')
			return -EBADMSG; /* a CR not followed by LF */
		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return -EBADMSG;
		p->line[p->line_len++] = (char)c;
		return 0;
	}
	if (!p->line_len || p->line[p->line_len - 1] != '\r')
		return -EBADMSG; /* a bare LF */
	p->line[p->line_len - 1] = '\0';
	p->line_len = 0;
	return line_done(p, p->line);
}

static int fail(struct scp81_http_parser *p, int rc)
{
	switch (rc) {
	case -E2BIG:
		p->state = ST_ERR_2BIG;
		return rc;
	case -ERR_VERSION:
		p->state = ST_ERR_VERSION;
		return -ENOTSUP;
	case -ERR_CODING:
		p->state = ST_ERR_CODING;
		return -ENOTSUP;
	}
	p->state = ST_ERR_BADMSG;
	return -EBADMSG;
}

int scp81_http_parse(struct scp81_http_parser *p, const uint8_t *d, size_t len, size_t *used)
{
	size_t i = 0, n;
	int rc = 0;

	if (used)
		*used = 0;
	switch (p->state) {
	case ST_DONE:
		return 1;
	case ST_ERR_BADMSG:
		return -EBADMSG;
	case ST_ERR_2BIG:
		return -E2BIG;
	case ST_ERR_VERSION:
	case ST_ERR_CODING:
		return -ENOTSUP;
	}
	while (i < len && !rc) {
		switch (p->state) {
		case ST_BODY:
		case ST_CHUNK_DATA:
			n = p->length - p->got;
			if (n > len - i)
				n = len - i;
			if (n > SCP81_HTTP_BODY_MAX - p->msg.body_len)
				return fail(p, -E2BIG); /* never: lengths are bounded when read */
			memcpy(p->msg.body + p->msg.body_len, d + i, n);
			p->msg.body_len += n;
			p->got += n;
			i += n;
			if (p->got == p->length) {
				if (p->state == ST_BODY)
					rc = 1;
				else
					p->state = ST_CHUNK_END;
			}
			break;
		default:
			rc = line_byte(p, d[i++]);
			break;
		}
	}
	if (used)
		*used = i;
	if (rc < 0)
		return fail(p, rc);
	if (rc == 1)
		p->state = ST_DONE;
	return rc;
}

unsigned scp81_http_error_status(int err, const struct scp81_http_parser *p)
{
	switch (err) {
	case -EBADMSG:
		return 400;
	case -E2BIG:
		return 413;
	case -ENOTSUP:
		return p && p->state == ST_ERR_CODING ? 501 : 505;
	}
	return 500;
}
