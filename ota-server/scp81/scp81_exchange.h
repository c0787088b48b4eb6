/* The HTTP side of one SCP81 RAS session (GP Amendment B §3.4): the decrypted bytes a card's admin agent sends in,
 * the bytes to answer out, the server's callbacks (scp81_ops) driven in between. No I/O, no logging, no timers:
 * scp81_server.c runs it over TLS, tests/fuzz/fuzz-scp81-server.c feeds it directly.
 *
 * One request at a time: scp81_xchg_input() takes bytes until a request is complete, answers it into x->out and
 * returns; the caller sends x->out and then feeds what is left. The rules (docs/scp81.md):
 *   a method other than POST                             405
 *   X-Admin-Protocol missing or not SCP81_PROTOCOL       400
 *   a request the parser refuses                         scp81_http_error_status()
 *   a first POST without a script status                 ops->next(): 1: 200 + X-Admin-Next-URI + the script
 *                                                        (+ X-Admin-Targeted-Application when it has an AID);
 *                                                        0: 204 (the session is over)
 *   a first POST with X-Admin-Resume: true and a script  ops->result(job -1, ...), then ops->next() as above
 *   status (a body for ok); without either: a first POST
 *   a POST to the X-Admin-Next-URI just given, with a    ops->result(job, ...), then ops->next() as above
 *   script status (the response to the script sent)
 *   a response to another URI, a response without a     400
 *   script status, a first POST with a script status
 *   or a body (no resume), a resume with a body and
 *   no script status
 *   status ok with a body that is no expanded response   400
 *   (AB, or AF with indefinite length, rapdu.h)
 * After a 204 or an error status the exchange is over (x->state SCP81_XCHG_OVER): the caller sends close_notify and
 * closes. A script handed out and not answered when the session ends is reported once through ops->ended(): at an
 * error status (-EPROTO) here, otherwise by scp81_xchg_end() with the caller's reason (-EPIPE, -ETIMEDOUT).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <simpki/scp81.h>

#include "scp81_server.h"

/* the largest answer: its head, then a script of SCP81_HTTP_BODY_MAX in chunks of SCP81_XCHG_CHUNK */
#define SCP81_XCHG_CHUNK 1024
#define SCP81_XCHG_OUT_MAX \
	(SCP81_HTTP_LINE_MAX * 4 + SCP81_HTTP_BODY_MAX + 16 * (SCP81_HTTP_BODY_MAX / SCP81_XCHG_CHUNK + 2))

enum scp81_xchg_state {
	SCP81_XCHG_FIRST,	/* waiting for the first POST */
	SCP81_XCHG_SCRIPT_SENT, /* a script handed out: waiting for its response at next_uri */
	SCP81_XCHG_OVER,	/* 204 or an error status answered: nothing more is read */
};

struct scp81_xchg {
	/* set by the caller before the first input */
	const struct scp81_ops *ops;
	char identity[SCP81_PSK_ID_MAX + 1]; /* the PSK identity the card authenticated with */
	unsigned long conn_id;		     /* names the session in the Next-URI */
	bool chunked;			     /* answer scripts chunked (else Content-Length) */

	/* state */
	enum scp81_xchg_state state;
	unsigned seq;			  /* scripts handed out in this session */
	char next_uri[SCP81_URI_MAX + 1]; /* the X-Admin-Next-URI of the script outstanding */
	bool outstanding;		  /* a script handed out, neither answered nor reported ended */
	int64_t job;			  /* its job */
	struct scp81_script script;	  /* the script being answered (scratch) */
	struct scp81_http_parser parser;

	/* the last answer */
	uint8_t out[SCP81_XCHG_OUT_MAX];
	size_t out_len;
	unsigned status;  /* its HTTP status */
	const char *why;  /* an error status's reason, for the caller's log (static text) */
	unsigned results; /* responses passed to ops->result() in this session */
	unsigned scripts; /* scripts handed out in this session */
};

/*! Start an exchange (ops, identity, conn_id, chunked are set by the caller afterwards or before: they are kept). */
void scp81_xchg_init(struct scp81_xchg *x);
/*! Feed \a len decrypted bytes; *used says how many were taken.
 *  \returns 1: a request was answered (x->out, x->out_len; x->status; x->state says whether the session goes on);
 *  0: all taken, more needed; -EPIPE: the exchange is over, nothing is taken. */
int scp81_xchg_input(struct scp81_xchg *x, const uint8_t *d, size_t len, size_t *used);
/*! The session is ending (\a reason -EPIPE, -ETIMEDOUT, ...): a script still outstanding goes to ops->ended(). */
void scp81_xchg_end(struct scp81_xchg *x, int reason);
/*! Whether \a b is an expanded response script: AB with a definite length, or AF 80 ... 00 00 (indefinite). */
bool scp81_expanded_response_ok(const uint8_t *b, size_t len);
