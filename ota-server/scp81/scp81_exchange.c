/* The HTTP side of one SCP81 RAS session (scp81_exchange.h): requests parsed with scp81.h's parser, answers built
 * with its builders, the callbacks driven in between. Every rule of the header is one place below. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <simpki/rapdu.h>
#include <simpki/scp81.h>
#include <simpki/tlv.h>

#include "scp81_exchange.h"

void scp81_xchg_init(struct scp81_xchg *x)
{
	x->state = SCP81_XCHG_FIRST;
	x->seq = 0;
	x->next_uri[0] = '\0';
	x->outstanding = false;
	x->job = -1;
	x->out_len = 0;
	x->status = 0;
	x->why = NULL;
	x->results = 0;
	x->scripts = 0;
	scp81_http_parser_init(&x->parser, false);
}

bool scp81_expanded_response_ok(const uint8_t *b, size_t len)
{
	uint8_t copy[SCP81_HTTP_BODY_MAX + 8];
	struct rapdu_result r[RAPDU_MAX_COMMANDS];
	size_t n, inner;
	int h;

	if (len >= 2 && b[0] == 0xAB)
		return rapdu_expanded_results(b, len, r, RAPDU_MAX_COMMANDS, &n) == 0;
	/* AF 80 { ... } 00 00: read as AB with the definite length of what is between */
	if (len < 4 || b[0] != 0xAF || b[1] != 0x80 || b[len - 2] || b[len - 1])
		return false;
	inner = len - 4;
	h = tlv_put_header(copy, sizeof(copy), 0xAB, inner);
	if (h < 0 || (size_t)h + inner > sizeof(copy))
		return false;
	memcpy(copy + h, b + 2, inner);
	return rapdu_expanded_results(copy, h + inner, r, RAPDU_MAX_COMMANDS, &n) == 0;
}

/* An answer with no body: 204, or an error status. The exchange is over. */
static int answer_over(struct scp81_xchg *x, unsigned status, const char *why)
{
	struct scp81_reply r = { .status = status };
	int n;

	if (status != 204 && x->outstanding) {
		x->outstanding = false;
		x->ops->ended(x->identity, x->job, -EPROTO);
	}
	x->state = SCP81_XCHG_OVER;
	x->status = status;
	x->why = why;
	n = scp81_http_reply_head(&r, (char *)x->out, sizeof(x->out));
	x->out_len = n > 0 ? (size_t)n : 0;
	return 1;
}

/* 200 with the script in x->script. */
static int answer_script(struct scp81_xchg *x)
{
	struct scp81_script *s = &x->script;
	struct scp81_reply r = {
		.status = 200,
		.next_uri = x->next_uri,
		.aid = s->aid_len ? s->aid : NULL,
		.aid_len = s->aid_len,
		.body_len = s->len,
		.chunked = x->chunked,
	};
	size_t off, k;
	int n;

	x->seq++;
	snprintf(x->next_uri, sizeof(x->next_uri), SCP81_DEFAULT_URI "/next/%lu/%u", x->conn_id, x->seq);
	n = scp81_http_reply_head(&r, (char *)x->out, sizeof(x->out));
	if (n < 0 || s->len > SCP81_HTTP_BODY_MAX) {
		/* a script the caller made wrong (an AID out of bounds): it is handed out, so it is ended */
		x->outstanding = true;
		x->job = s->job;
		return answer_over(x, 500, "the script to hand out cannot be sent (its AID or length)");
	}
	x->out_len = (size_t)n;
	if (!x->chunked) {
		memcpy(x->out + x->out_len, s->body, s->len);
		x->out_len += s->len;
	} else {
		for (off = 0; off <= s->len; off += k) {
			k = s->len - off < SCP81_XCHG_CHUNK ? s->len - off : SCP81_XCHG_CHUNK;
			n = scp81_http_chunk(s->body + off, k, x->out + x->out_len, sizeof(x->out) - x->out_len);
			if (n < 0) { /* cannot happen with SCP81_XCHG_OUT_MAX */
				x->outstanding = true;
				x->job = s->job;
				return answer_over(x, 500, "the chunked script does not fit");
			}
			x->out_len += (size_t)n;
			if (!k)
				break;
		}
	}
	x->outstanding = true;
	x->job = s->job;
	x->scripts++;
	x->state = SCP81_XCHG_SCRIPT_SENT;
	x->status = 200;
	x->why = NULL;
	return 1;
}

/* ops->next(): a script (200) or the end (204). */
static int answer_next(struct scp81_xchg *x)
{
	memset(&x->script, 0, sizeof(x->script));
	if (x->ops->next(x->identity, &x->script) == 1)
		return answer_script(x);
	return answer_over(x, 204, NULL);
}

/* A response (script status and maybe a body) to job \a job: checked, passed on. \returns 0; an answer_over(). */
static int take_response(struct scp81_xchg *x, int64_t job, const struct scp81_http_msg *m)
{
	if (m->script_status == SCP81_STATUS_OK && !scp81_expanded_response_ok(m->body, m->body_len))
		return answer_over(x, 400, "status ok with a body that is no expanded response script (AB/AF)");
	x->outstanding = false;
	x->results++;
	x->ops->result(x->identity, job, m->script_status, m->body, m->body_len);
	return 0;
}

/* One complete request in x->parser.msg. */
static int answer(struct scp81_xchg *x)
{
	const struct scp81_http_msg *m = &x->parser.msg;

	if (strcmp(m->method, "POST"))
		return answer_over(x, 405, "a method other than POST");
	if (!m->protocol_ok)
		return answer_over(x, 400, "X-Admin-Protocol missing or not " SCP81_PROTOCOL);
	if (x->state == SCP81_XCHG_FIRST) {
		if (m->resume && (m->body_len || m->script_status != SCP81_STATUS_NONE)) {
			if (m->script_status == SCP81_STATUS_NONE)
				return answer_over(x, 400,
						   "a resumed session's response without X-Admin-Script-Status");
			if (take_response(x, -1, m))
				return 1;
		} else if (m->script_status != SCP81_STATUS_NONE || m->body_len) {
			return answer_over(x, 400, "a response before any script was handed out");
		}
		return answer_next(x);
	}
	/* SCP81_XCHG_SCRIPT_SENT */
	if (strcmp(m->target, x->next_uri))
		return answer_over(x, 400, "a POST to a URI that is not the X-Admin-Next-URI given");
	if (m->script_status == SCP81_STATUS_NONE)
		return answer_over(x, 400, "a response without X-Admin-Script-Status");
	if (take_response(x, x->job, m))
		return 1;
	return answer_next(x);
}

static const char *parse_error(int rc)
{
	switch (rc) {
	case -E2BIG:
		return "a line, the header count or the body over its limit";
	case -ENOTSUP:
		return "an HTTP version other than 1.1 or a transfer coding other than chunked";
	default:
		return "a malformed request";
	}
}

int scp81_xchg_input(struct scp81_xchg *x, const uint8_t *d, size_t len, size_t *used)
{
	int rc;

	*used = 0;
	if (x->state == SCP81_XCHG_OVER)
		return -EPIPE;
	x->out_len = 0;
	rc = scp81_http_parse(&x->parser, d, len, used);
	if (rc < 0)
		return answer_over(x, scp81_http_error_status(rc, &x->parser), parse_error(rc));
	if (rc == 0)
		return 0;
	rc = answer(x);
	if (x->state != SCP81_XCHG_OVER)
		scp81_http_parser_init(&x->parser, false);
	return rc;
}

void scp81_xchg_end(struct scp81_xchg *x, int reason)
{
	if (!x->outstanding)
		return;
	x->outstanding = false;
	x->ops->ended(x->identity, x->job, reason);
}
