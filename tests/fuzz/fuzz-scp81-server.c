/* libFuzzer harness: the SCP81 RAS's HTTP exchange (ota-server/scp81/scp81_exchange.c), the plaintext a card sends
 * after TLS. The first input byte configures: bit 0 chunked answers, bits 1-3 how many scripts the ops hand out,
 * bit 4 scripts with a targeted AID, bit 5 a script with a bad AID length; the rest is the card's bytes (the
 * Next-URI of the first script is /simpki/ras/next/1/1, of the second .../1/2). They are fed twice: at once, and in
 * pieces of 1..7 bytes; both runs must answer the same statuses and make the same calls. Checked besides: every
 * answer has bytes and a status the rules allow; after 204 or an error status nothing more is taken; a script is
 * reported ended at most once and never after its result; a result with status ok carries an expanded response. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/scp81.h>

#include "fuzz.h"
#include "scp81_exchange.h"

#define MAX_EVENTS 64

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-scp81-server: %s\n", what);
	abort();
}

struct run {
	unsigned scripts_left;
	bool aid, bad_aid;
	int64_t handed[8]; /* jobs handed out, in order */
	unsigned n_handed;
	unsigned events[MAX_EVENTS]; /* statuses answered; results 1000 + job; ended 2000 + job */
	unsigned n;
	bool done[8]; /* a result or an end was reported for handed[i] */
};

static struct run *cur;

static void note(unsigned e)
{
	if (cur->n < MAX_EVENTS)
		cur->events[cur->n++] = e;
}

static void finish(int64_t job)
{
	unsigned i;

	if (job < 0)
		return;
	for (i = 0; i < cur->n_handed; i++)
		if (cur->handed[i] == job) {
			if (cur->done[i])
				die("a script reported twice (result or ended)");
			cur->done[i] = true;
			return;
		}
	die("a job that was never handed out");
}

static int f_psk(const char *identity, uint8_t *psk, size_t max)
{
	return -ENOENT;
}

static int f_next(const char *identity, struct scp81_script *out)
{
	static const uint8_t script[] = { 0xaa, 0x07, 0x22, 0x05, 0x80, 0xca, 0xff, 0x21, 0x00 };

	if (!cur->scripts_left || cur->n_handed == 8)
		return 0;
	cur->scripts_left--;
	memset(out, 0, sizeof(*out));
	out->job = 100 + cur->n_handed;
	cur->handed[cur->n_handed++] = out->job;
	if (cur->aid) {
		memset(out->aid, 0xa0, 7);
		out->aid_len = cur->bad_aid ? 3 : 7;
	}
	memcpy(out->body, script, sizeof(script));
	out->len = sizeof(script);
	return 1;
}

static void f_result(const char *identity, int64_t job, enum scp81_script_status st, const uint8_t *resp, size_t len)
{
	if (st == SCP81_STATUS_NONE)
		die("a result without a script status");
	if (st == SCP81_STATUS_OK && !scp81_expanded_response_ok(resp, len))
		die("status ok with a body that is no response script");
	if (len > SCP81_HTTP_BODY_MAX)
		die("a result over the body limit");
	finish(job);
	note(1000 + (unsigned)(job + 1));
}

static void f_ended(const char *identity, int64_t job, int reason)
{
	if (reason != -EPROTO && reason != -EPIPE)
		die("an unexpected end reason");
	finish(job);
	note(2000 + (unsigned)job);
}

static const struct scp81_ops ops = { .psk = f_psk, .next = f_next, .result = f_result, .ended = f_ended };

static void run(struct run *r, uint8_t cfg, const uint8_t *d, size_t len, bool pieces)
{
	static struct scp81_xchg x;
	size_t off = 0, k, used;
	unsigned i = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	r->scripts_left = (cfg >> 1) & 7;
	r->aid = cfg & 0x10;
	r->bad_aid = cfg & 0x20;
	cur = r;
	memset(&x, 0, sizeof(x));
	x.ops = &ops;
	strcpy(x.identity, "card");
	x.conn_id = 1;
	x.chunked = cfg & 1;
	scp81_xchg_init(&x);
	while (off < len) {
		k = pieces ? 1 + (i++ % 7) : len - off;
		if (k > len - off)
			k = len - off;
		rc = scp81_xchg_input(&x, d + off, k, &used);
		if (rc == -EPIPE) {
			if (x.state != SCP81_XCHG_OVER || used)
				die("-EPIPE while the exchange goes on");
			break;
		}
		if (used > k || (rc == 0 && used != k))
			die("a wrong count of bytes taken");
		off += used;
		if (rc == 1) {
			if (!x.out_len || x.out_len > sizeof(x.out))
				die("an answer without bytes");
			switch (x.status) {
			case 200:
				if (x.state != SCP81_XCHG_SCRIPT_SENT || !x.outstanding)
					die("200 without a script outstanding");
				break;
			case 204:
			case 400:
			case 405:
			case 413:
			case 500:
			case 501:
			case 505:
				if (x.state != SCP81_XCHG_OVER || x.outstanding)
					die("an end status while the exchange goes on");
				break;
			default:
				die("a status the rules do not allow");
			}
			note(x.status);
		}
	}
	scp81_xchg_end(&x, -EPIPE);
	if (x.outstanding)
		die("a script outstanding after the end");
	for (i = 0; i < r->n_handed; i++)
		if (!r->done[i])
			die("a script handed out and never reported");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run a, b;

	if (size < 1)
		return 0;
	run(&a, data[0], data + 1, size - 1, false);
	run(&b, data[0], data + 1, size - 1, true);
	if (a.n != b.n || memcmp(a.events, b.events, a.n * sizeof(a.events[0])))
		die("fed at once and in pieces, the exchange differs");
	return 0;
}
