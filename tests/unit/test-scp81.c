/* Unit tests of SCP81's push and HTTP messages (lib/scp81_push.c, lib/scp81_http.c, lib/scp81_http_build.c).
 * Push: round trips (everything, the defaults, each optional part alone), the constructed example of
 * ../shared/reference/scp81-bip.md §1 decoded field by field, and a table of bad pushes (lengths past the end, values
 * out of bounds, repeated tags, wrong protocol or address type, bad PSK identities, trailing bytes).
 * HTTP: the four messages of Amendment B Annex A byte for byte (built by the builders, and parsed whole, one byte at
 * a time and in pieces of 7), chunked bodies with extensions and trailers, a table of bad messages (each fed whole
 * and one byte at a time, with the status a RAS answers), and the builders' outputs parsed back.
 */
#include <errno.h>
#include <string.h>

#include <simpki/hex.h>
#include <simpki/scp81.h>
#include <simpki/tlv.h>

#include "unit.h"

#define PROTO "X-Admin-Protocol: globalplatform-remote-admin/1.0\r\n"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	int n = hex_decode(s, out, max);

	assert_true(n >= 0);
	return (size_t)n;
}

/* ---- push ---- */

/* 81 L 83 L <inner bytes> */
static size_t push_raw(const uint8_t *v, size_t n, uint8_t *out, size_t max)
{
	uint8_t params[600];
	int h = tlv_put_header(params, sizeof(params), 0x83, n), k;

	assert_true(h > 0 && (size_t)h + n <= sizeof(params));
	memcpy(params + h, v, n);
	k = tlv_put_header(out, max, 0x81, (size_t)h + n);
	assert_true(k > 0 && (size_t)(k + h) + n <= max);
	memcpy(out + k, params, (size_t)h + n);
	return (size_t)(k + h) + n;
}

/* 81 L 83 L <inner hex> */
static size_t push_of(const char *inner, uint8_t *out, size_t max)
{
	uint8_t v[512];

	return push_raw(v, unhex(inner, v, sizeof(v)), out, max);
}

static void round_trip(const struct scp81_push *p)
{
	uint8_t b[600];
	struct scp81_push q;
	int n = scp81_push_encode(p, b, sizeof(b));

	assert_true(n > 0);
	assert_int_equal(scp81_push_decode(b, (size_t)n, &q), 0);
	assert_memory_equal(p, &q, sizeof(q));
}

static void full_push(struct scp81_push *p)
{
	memset(p, 0, sizeof(*p));
	p->has_conn = true;
	memcpy(p->ip, "\xc0\xa8\x01\x0a", 4);
	p->port = 8443;
	p->buffer_size = 1400;
	p->bearer = 3;
	p->has_security = true;
	strcpy(p->psk_id, "simpki-psk-id-000001");
	p->kvn = 0x40;
	p->kid = 0x01;
	p->has_retry = true;
	p->retries = 3;
	p->retry_wait_s = 23 * 3600 + 59 * 60 + 59;
	p->has_http = true;
	strcpy(p->host, "ota.example");
	strcpy(p->agent_id, "//se-id/eid/89049032;//aa-id/aid/A000000151/000000");
	strcpy(p->uri, SCP81_DEFAULT_URI);
}

static void push_round_trips(void **state)
{
	struct scp81_push p, q;
	uint8_t b[600];
	int n;

	(void)state;
	full_push(&p);
	round_trip(&p);
	/* the longest values */
	memset(p.psk_id, 'x', SCP81_PSK_ID_MAX);
	memset(p.host, 'h', SCP81_HOST_MAX);
	memset(p.agent_id, 'a', SCP81_AGENT_MAX);
	memset(p.uri, 'u', SCP81_URI_MAX);
	p.uri[0] = '/';
	p.retries = 0xffff;
	p.buffer_size = 0xffff;
	p.port = 0xffff;
	p.bearer = 0xff;
	p.kvn = 0x7f;
	p.kid = 0x7f;
	round_trip(&p);

	memset(&p, 0, sizeof(p));
	p.use_defaults = true;
	n = scp81_push_encode(&p, b, sizeof(b));
	assert_int_equal(n, 2);
	assert_memory_equal(b, "\x81\x00", 2);
	round_trip(&p);

	/* each part alone; 84 without the optional 35 and 39; 89 with one of its three */
	full_push(&q);
	memset(&p, 0, sizeof(p));
	p.has_conn = true;
	memcpy(p.ip, q.ip, 4);
	p.port = q.port;
	round_trip(&p);
	n = scp81_push_encode(&p, b, sizeof(b));
	assert_int_equal(n, 4 + 2 + 12);
	p.bearer = 2;
	round_trip(&p);
	p.bearer = 0;
	p.buffer_size = 512;
	round_trip(&p);

	memset(&p, 0, sizeof(p));
	p.has_security = true;
	strcpy(p.psk_id, "x");
	p.kvn = 0x41;
	p.kid = 0x02;
	round_trip(&p);
	n = scp81_push_encode(&p, b, sizeof(b));
	assert_int_equal(n, 4 + 2 + 5);
	assert_memory_equal(b, "\x81\x09\x83\x07\x85\x05\x01x\x02\x41\x02", 11);

	memset(&p, 0, sizeof(p));
	p.has_retry = true;
	p.retries = 2;
	p.retry_wait_s = 3661;
	round_trip(&p);
	n = scp81_push_encode(&p, b, sizeof(b));
	assert_int_equal(n, 13);
	assert_memory_equal(b, "\x81\x0b\x83\x09\x86\x07\x00\x02\xa5\x03\x01\x01\x01", 13);

	memset(&p, 0, sizeof(p));
	p.has_http = true;
	strcpy(p.uri, "/a");
	round_trip(&p);
	memset(p.uri, 0, sizeof(p.uri));
	round_trip(&p); /* 89 00 */
	strcpy(p.agent_id, "agent 1");
	round_trip(&p);

	memset(&p, 0, sizeof(p));
	round_trip(&p); /* 81 02 83 00: nothing given, yet not "use defaults" */
}

/* The constructed example of the reference (100 bytes). */
static void push_reference_example(void **state)
{
	static const char ex[] = "8162"
				 "8360"
				 "8413350103390205783C03021F903E0521C0A8010A"
				 "8518"
				 "14"
				 "73696d706b692d70736b2d69642d303030303031"
				 "024001"
				 "892F"
				 "8A0B6f74612e6578616d706c65"
				 "8B1473696d706b692d70736b2d69642d303030303031"
				 "8C0A2f72616d2f7374617274";
	uint8_t b[128], again[128];
	struct scp81_push p;
	size_t n = unhex(ex, b, sizeof(b));

	(void)state;
	assert_int_equal(n, 100);
	assert_int_equal(scp81_push_decode(b, n, &p), 0);
	assert_false(p.use_defaults);
	assert_true(p.has_conn);
	assert_memory_equal(p.ip, "\xc0\xa8\x01\x0a", 4);
	assert_int_equal(p.port, 8080);
	assert_int_equal(p.buffer_size, 1400);
	assert_int_equal(p.bearer, 3);
	assert_true(p.has_security);
	assert_string_equal(p.psk_id, "simpki-psk-id-000001");
	assert_int_equal(p.kvn, 0x40);
	assert_int_equal(p.kid, 0x01);
	assert_false(p.has_retry);
	assert_true(p.has_http);
	assert_string_equal(p.host, "ota.example");
	assert_string_equal(p.agent_id, "simpki-psk-id-000001");
	assert_string_equal(p.uri, "/ram/start");
	/* it is in the canonical form the encoder writes */
	assert_int_equal(scp81_push_encode(&p, again, sizeof(again)), 100);
	assert_memory_equal(again, b, 100);
	/* the encoder refuses to truncate */
	for (size_t max = 0; max < 100; max++)
		assert_int_equal(scp81_push_encode(&p, again, max), -E2BIG);
	/* any cut is refused */
	for (size_t len = 0; len < 100; len++)
		assert_int_equal(scp81_push_decode(b, len, &p), -EBADMSG);
}

/* What a decoder accepts beyond the canonical form: unknown tags, comprehension bits, report bytes, SHA type. */
static void push_lenient(void **state)
{
	uint8_t b[256];
	struct scp81_push p;
	size_t n;

	(void)state;
	n = push_of("8701ff" /* unknown in 83 */
		    "8412"
		    "B50103"
		    "BC03021F90"
		    "BE0521C0A8010A"
		    "0101ff" /* CR bits; unknown 01 without CR */
		    "8506"
		    "0141"
		    "024001"
		    "03" /* SHA type */
		    "8609"
		    "0001"
		    "2503000102"
		    "0102" /* 25 timer, report bytes */
		    "8905"
		    "8D0161"
		    "8A00", /* unknown 8D, empty host */
		    b, sizeof(b));
	assert_int_equal(scp81_push_decode(b, n, &p), 0);
	assert_true(p.has_conn && p.has_security && p.has_retry && p.has_http);
	assert_int_equal(p.port, 8080);
	assert_int_equal(p.bearer, 3);
	assert_int_equal(p.buffer_size, 0);
	assert_string_equal(p.psk_id, "A");
	assert_int_equal(p.retries, 1);
	assert_int_equal(p.retry_wait_s, 62);
	assert_string_equal(p.host, "");
	/* 81 00 */
	assert_int_equal(scp81_push_decode((const uint8_t *)"\x81\x00", 2, &p), 0);
	assert_true(p.use_defaults);
	assert_false(p.has_conn);
}

struct bad_push {
	const char *name;
	const char *whole; /* the whole push, or */
	const char *inner; /* the value of 83 */
};

#define CONN "3C03021F903E0521C0A8010A"
static const struct bad_push bad_pushes[] = {
	{ "push: empty", .whole = "" },
	{ "push: 81 alone", .whole = "81" },
	{ "push: 81 past the end", .whole = "8101" },
	{ "push: trailing byte", .whole = "810000" },
	{ "push: trailing TLV", .whole = "81008100" },
	{ "push: not 81", .whole = "8200" },
	{ "push: 81 holds no 83", .whole = "81028400" },
	{ "push: 81 holds two 83", .whole = "810483008300" },
	{ "push: 83 past the end", .whole = "81028305" },
	{ "push: 83 then more in 81", .whole = "8104830001ff" },
	{ "push: 83 child past the end", .inner = "8405" },
	{ "push: 83 child cut", .inner = "84" },
	{ "conn: no address", .inner = "84053C03021F90" },
	{ "conn: no transport", .inner = "84073E0521C0A8010A" },
	{ "conn: UDP", .inner = "840C3C03011F903E0521C0A8010A" },
	{ "conn: TCP server", .inner = "840C3C03031F903E0521C0A8010A" },
	{ "conn: IPv6 type", .inner = "840C3C03021F903E0557C0A8010A" },
	{ "conn: IPv6", .inner = "84183C03021F903E1157"
				 "20010db8000000000000000000000001" },
	{ "conn: port 0", .inner = "840C3C030200003E0521C0A8010A" },
	{ "conn: transport short", .inner = "840B3C02021F3E0521C0A8010A" },
	{ "conn: transport long", .inner = "840D3C04021F90003E0521C0A8010A" },
	{ "conn: address long", .inner = "840D3C03021F903E0621C0A8010A00" },
	{ "conn: transport twice", .inner = "84113C03021F90" CONN },
	{ "conn: address twice (CR bit)", .inner = "8413" CONN "BE0521C0A8010A" },
	{ "conn: bearer 0", .inner = "840F350100" CONN },
	{ "conn: bearer empty", .inner = "840E3500" CONN },
	{ "conn: bearer twice", .inner = "8412350103350103" CONN },
	{ "conn: buffer size short", .inner = "840F390105" CONN },
	{ "conn: buffer size 0", .inner = "841039020000" CONN },
	{ "conn: buffer size twice", .inner = "8414390200FF390200FF" CONN },
	{ "conn: unknown with CR bit", .inner = "840E8100" CONN },
	{ "conn: simple TLV cut", .inner = "840D" CONN "05" },
	{ "conn: simple TLV past the end", .inner = "840E" CONN "0505" },
	{ "conn: 84 past its content", .inner = "840D" CONN },
	{ "conn: three-byte tag", .inner = "840F7F0001" CONN },
	{ "conn: long length not needed", .inner = "841047810101" CONN },
	{ "conn: 84 twice", .inner = "840C" CONN "840C" CONN },
	{ "security: empty", .inner = "8500" },
	{ "security: id length 0", .inner = "850400024001" },
	{ "security: cut", .inner = "85070441424344"
				    "0240" },
	{ "security: id past the end", .inner = "85080541424344"
						"024001" },
	{ "security: too long", .inner = "850A0441424344"
					 "0240010100" },
	{ "security: space in id", .inner = "85080441422044"
					    "024001" },
	{ "security: control in id", .inner = "85080441420144"
					      "024001" },
	{ "security: 8-bit in id", .inner = "8508044142FF44"
					    "024001" },
	{ "security: key id length 3", .inner = "85080441424344"
						"034001" },
	{ "security: KVN 0", .inner = "85080441424344"
				      "020001" },
	{ "security: KVN FF", .inner = "85080441424344"
				       "02FF01" },
	{ "security: KID 0", .inner = "85080441424344"
				      "024000" },
	{ "security: KID 80", .inner = "85080441424344"
				       "024080" },
	{ "security: twice", .inner = "85050141024001"
				      "85050141024001" },
	{ "retry: cut", .inner = "86060003A503000A" },
	{ "retry: empty", .inner = "8600" },
	{ "retry: 24 hours", .inner = "86070003A503180000" },
	{ "retry: 60 minutes", .inner = "86070003A503003C00" },
	{ "retry: 60 seconds", .inner = "86070003A50300003C" },
	{ "retry: timer length 4", .inner = "86070003A504000000" },
	{ "retry: not a timer", .inner = "860700038403000000" },
	{ "retry: twice", .inner = "86070003A503000001"
				   "86070003A503000001" },
	{ "http: host with a control character", .inner = "89038A0101" },
	{ "http: host with a space", .inner = "89048A026120" },
	{ "http: agent with a control character", .inner = "89048B02610A" },
	{ "http: agent with a leading space", .inner = "89048B022041" },
	{ "http: URI not from /", .inner = "89038C0161" },
	{ "http: URI with a space", .inner = "89048C022F20" },
	{ "http: host twice", .inner = "89068A01618A0162" },
	{ "http: URI twice", .inner = "89068C012F8C012F" },
	{ "http: child past the end", .inner = "89038A0561" },
	{ "http: twice", .inner = "89008900" },
};

static void bad_push(void **state)
{
	const struct bad_push *t = *state;
	uint8_t b[256];
	struct scp81_push p;
	size_t n = t->whole ? unhex(t->whole, b, sizeof(b)) : push_of(t->inner, b, sizeof(b));

	memset(&p, 0x55, sizeof(p));
	assert_int_equal(scp81_push_decode(b, n, &p), -EBADMSG);
	assert_false(p.has_conn || p.has_security || p.has_retry || p.has_http || p.use_defaults);
	assert_int_equal(p.psk_id[0], 0);
}

/* A TLV of \a n bytes of \a c (the first one \a first) into \a out. \returns its length */
static size_t tlv_fill(uint32_t tag, char first, char c, size_t n, uint8_t *out)
{
	int h = tlv_put_header(out, 8, tag, n);

	assert_true(h > 0);
	memset(out + h, c, n);
	out[h] = (uint8_t)first;
	return (size_t)h + n;
}

/* Strings at their bounds and one byte over them. */
static void push_long_values(void **state)
{
	uint8_t v[512], b[600];
	struct scp81_push p;
	size_t n;

	(void)state;
	/* a PSK identity of 64 and 65 bytes */
	for (size_t len = SCP81_PSK_ID_MAX; len <= SCP81_PSK_ID_MAX + 1; len++) {
		v[0] = 0x85;
		v[1] = (uint8_t)(len + 4);
		v[2] = (uint8_t)len;
		memset(v + 3, 'i', len);
		memcpy(v + 3 + len, "\x02\x40\x01", 3);
		n = push_raw(v, len + 6, b, sizeof(b));
		assert_int_equal(scp81_push_decode(b, n, &p), len > SCP81_PSK_ID_MAX ? -EBADMSG : 0);
		if (len == SCP81_PSK_ID_MAX)
			assert_int_equal(strlen(p.psk_id), len);
	}
	/* 89 { 8A host | 8B agent | 8C URI } at and over their bounds */
	for (int over = 0; over < 2; over++) {
		for (int which = 0; which < 3; which++) {
			static const uint32_t tags[] = { 0x8a, 0x8b, 0x8c };
			static const size_t max[] = { SCP81_HOST_MAX, SCP81_AGENT_MAX, SCP81_URI_MAX };
			uint8_t in[300];
			size_t k = tlv_fill(tags[which], which == 2 ? '/' : 'x', 'x', max[which] + (size_t)over, in);
			int h = tlv_put_header(v, sizeof(v), 0x89, k);

			memcpy(v + h, in, k);
			n = push_raw(v, (size_t)h + k, b, sizeof(b));
			assert_int_equal(scp81_push_decode(b, n, &p), over ? -EBADMSG : 0);
		}
	}
	assert_int_equal(strlen(p.psk_id), 0);
}

static void push_encode_bounds(void **state)
{
	struct scp81_push p, q;
	uint8_t b[600];

	(void)state;
	full_push(&p);
	q = p;
	q.use_defaults = true;
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	q = p;
	q.port = 0;
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	q = p;
	q.psk_id[0] = '\0';
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	q = p;
	q.psk_id[3] = ' ';
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	q = p;
	memset(q.psk_id, 'x', sizeof(q.psk_id)); /* not terminated within its field */
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	q = p;
	q.kvn = 0;
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	q = p;
	q.kid = 0x80;
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	q = p;
	q.retry_wait_s = 24 * 3600;
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	q = p;
	strcpy(q.uri, "ram");
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	q = p;
	strcpy(q.host, "a b");
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	q = p;
	strcpy(q.agent_id, "a\r\nb");
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	q = p;
	memset(q.host, 'h', sizeof(q.host));
	assert_int_equal(scp81_push_encode(&q, b, sizeof(b)), -EINVAL);
	assert_int_equal(scp81_push_encode(&p, b, 10), -E2BIG);
	memset(&q, 0, sizeof(q));
	q.use_defaults = true;
	assert_int_equal(scp81_push_encode(&q, b, 1), -E2BIG);

	assert_true(scp81_psk_id_ok("a"));
	assert_true(scp81_psk_id_ok("~!"));
	assert_false(scp81_psk_id_ok(""));
	assert_false(scp81_psk_id_ok(NULL));
	assert_false(scp81_psk_id_ok("a b"));
	assert_false(scp81_psk_id_ok("a\x7f"));
	assert_false(scp81_psk_id_ok("\xc3\xa9"));
	memset(q.psk_id, 'x', SCP81_PSK_ID_MAX);
	q.psk_id[SCP81_PSK_ID_MAX] = '\0';
	assert_true(scp81_psk_id_ok(q.psk_id));
	{
		char longer[SCP81_PSK_ID_MAX + 2];

		memset(longer, 'x', SCP81_PSK_ID_MAX + 1);
		longer[SCP81_PSK_ID_MAX + 1] = '\0';
		assert_false(scp81_psk_id_ok(longer));
	}
}

/* ---- HTTP ---- */

/* Annex A, with the IP address and agent id of its example. */
#define POST1_HEAD                                   \
	"POST /server/adminagent?cmd=1 HTTP/1.1\r\n" \
	"Host: 172.96.0.1\r\n" PROTO "X-Admin-From: 0123456789\r\n"
static const char post1[] = POST1_HEAD "\r\n";
static const char post1_built[] = POST1_HEAD "Content-Length: 0\r\n\r\n";
static const char reply200[] = "HTTP/1.1 200 OK\r\n" PROTO "X-Admin-Next-URI: /server/adminagent?cmd=2\r\n"
			       "Content-Type: application/vnd.globalplatform.card-content-mgt;version=1.0\r\n"
			       "X-Admin-Targeted-Application: //aid/A000000018/0001\r\n"
			       "Content-Length: 11\r\n"
			       "\r\n"
			       "\xae\x80\x22\x05\x80\xca\xff\x21\x00\x00\x00";
static const char post2[] = "POST /server/adminagent?cmd=2 HTTP/1.1\r\n"
			    "Host: 172.96.0.1\r\n" PROTO "X-Admin-From: 0123456789\r\n"
			    "Content-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0\r\n"
			    "X-Admin-Script-Status: ok\r\n"
			    "Content-Length: 13\r\n"
			    "\r\n"
			    "\xaf\x80\x80\x01\x01\x23\x04\x93\x05\x90\x00\x00\x00";
static const char reply204[] = "HTTP/1.1 204 No Content\r\n" PROTO "\r\n";

/* Feed \a len bytes in pieces of \a step. \returns the parser's last answer; *taken: the bytes it took */
static int feed(struct scp81_http_parser *p, const void *d, size_t len, size_t step, size_t *taken)
{
	size_t pos = 0, used, n;
	int rc = 0;

	while (pos < len) {
		n = len - pos < step ? len - pos : step;
		rc = scp81_http_parse(p, (const uint8_t *)d + pos, n, &used);
		pos += used;
		if (rc)
			break;
		assert_int_equal(used, n);
	}
	if (taken)
		*taken = pos;
	return rc;
}

static const size_t steps[] = { SIZE_MAX, 1, 7 };

/* Parse \a s (len bytes) as one complete message, in each way of cutting it. */
static void parse_all_ways(const char *s, size_t len, bool response, struct scp81_http_msg *out)
{
	static struct scp81_http_parser p;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t taken;

		scp81_http_parser_init(&p, response);
		assert_int_equal(feed(&p, s, len, steps[i], &taken), 1);
		assert_int_equal(taken, len);
		if (i)
			assert_memory_equal(out, &p.msg, sizeof(p.msg));
		else
			memcpy(out, &p.msg, sizeof(p.msg));
	}
}

static void annex_a(void **state)
{
	static struct scp81_http_msg m;
	static const uint8_t aid[] = { 0xa0, 0x00, 0x00, 0x00, 0x18, 0x00, 0x01 };
	char head[1024];
	int n;

	(void)state;
	/* 1. the first POST: no body */
	parse_all_ways(post1, strlen(post1), false, &m);
	assert_false(m.response);
	assert_string_equal(m.method, "POST");
	assert_string_equal(m.target, "/server/adminagent?cmd=1");
	assert_string_equal(m.host, "172.96.0.1");
	assert_string_equal(m.from, "0123456789");
	assert_true(m.protocol_ok);
	assert_int_equal(m.script_status, SCP81_STATUS_NONE);
	assert_false(m.resume || m.close || m.chunked);
	assert_int_equal(m.body_len, 0);
	assert_string_equal(m.content_type, "");
	n = scp81_http_post_head(&(struct scp81_post){ .uri = "/server/adminagent?cmd=1",
						       .host = "172.96.0.1",
						       .agent_id = "0123456789" },
				 head, sizeof(head));
	assert_int_equal(n, strlen(post1_built));
	assert_string_equal(head, post1_built);
	parse_all_ways(post1_built, strlen(post1_built), false, &m);
	assert_string_equal(m.target, "/server/adminagent?cmd=1");

	/* 2. the RAS's script */
	parse_all_ways(reply200, sizeof(reply200) - 1, true, &m);
	assert_true(m.response);
	assert_int_equal(m.status, 200);
	assert_true(m.protocol_ok);
	assert_string_equal(m.next_uri, "/server/adminagent?cmd=2");
	assert_string_equal(m.content_type, SCP81_CT_SCRIPT);
	assert_int_equal(m.target_aid_len, 7);
	assert_memory_equal(m.target_aid, aid, 7);
	assert_int_equal(m.body_len, 11);
	assert_memory_equal(m.body, "\xae\x80\x22\x05\x80\xca\xff\x21\x00\x00\x00", 11);
	n = scp81_http_reply_head(&(struct scp81_reply){ .status = 200,
							 .next_uri = "/server/adminagent?cmd=2",
							 .aid = aid,
							 .aid_len = sizeof(aid),
							 .body_len = 11 },
				  head, sizeof(head));
	assert_int_equal(n, sizeof(reply200) - 1 - 11);
	assert_memory_equal(head, reply200, (size_t)n);

	/* 3. the card's response script */
	parse_all_ways(post2, sizeof(post2) - 1, false, &m);
	assert_string_equal(m.target, "/server/adminagent?cmd=2");
	assert_int_equal(m.script_status, SCP81_STATUS_OK);
	assert_int_equal(strcasecmp(m.content_type, SCP81_CT_RESPONSE), 0);
	assert_int_equal(m.body_len, 13);
	assert_memory_equal(m.body, "\xaf\x80\x80\x01\x01\x23\x04\x93\x05\x90\x00\x00\x00", 13);
	n = scp81_http_post_head(&(struct scp81_post){ .uri = "/server/adminagent?cmd=2",
						       .host = "172.96.0.1",
						       .agent_id = "0123456789",
						       .status = SCP81_STATUS_OK,
						       .body_len = 13 },
				 head, sizeof(head));
	assert_int_equal(n, sizeof(post2) - 1 - 13);
	assert_memory_equal(head, post2, (size_t)n);

	/* 4. the end */
	parse_all_ways(reply204, strlen(reply204), true, &m);
	assert_int_equal(m.status, 204);
	assert_true(m.protocol_ok);
	assert_int_equal(m.body_len, 0);
	assert_string_equal(m.next_uri, "");
	n = scp81_http_reply_head(&(struct scp81_reply){ .status = 204 }, head, sizeof(head));
	assert_int_equal(n, strlen(reply204));
	assert_string_equal(head, reply204);
}

/* Bytes after a complete message stay for the next; a parser that is done takes nothing more. */
static void pipelined(void **state)
{
	static struct scp81_http_parser p;
	char two[1024];
	size_t used, len = sizeof(post2) - 1;

	(void)state;
	memcpy(two, post2, len);
	memcpy(two + len, post1, strlen(post1));
	scp81_http_parser_init(&p, false);
	assert_int_equal(scp81_http_parse(&p, (const uint8_t *)two, len + strlen(post1), &used), 1);
	assert_int_equal(used, len);
	assert_int_equal(p.msg.body_len, 13);
	assert_int_equal(scp81_http_parse(&p, (const uint8_t *)two + len, strlen(post1), &used), 1);
	assert_int_equal(used, 0);
	scp81_http_parser_init(&p, false);
	assert_int_equal(scp81_http_parse(&p, (const uint8_t *)two + len, strlen(post1), &used), 1);
	assert_string_equal(p.msg.target, "/server/adminagent?cmd=1");
	/* nothing yet */
	scp81_http_parser_init(&p, false);
	assert_int_equal(scp81_http_parse(&p, NULL, 0, &used), 0);
	assert_int_equal(used, 0);
}

/* Each limit at its bound is accepted; one over it is in the bad table. */
static void limits(void **state)
{
	static struct scp81_http_msg m;
	static char s[SCP81_HTTP_LINE_MAX * 4];
	char *e = s;
	size_t fill;

	(void)state;
	/* a header line of SCP81_HTTP_LINE_MAX bytes, CRLF included */
	e += sprintf(e, "POST /%0*d HTTP/1.1\r\nX-A: ", SCP81_URI_MAX - 1, 0);
	fill = SCP81_HTTP_LINE_MAX - strlen("X-A: ") - 2;
	memset(e, 'a', fill);
	e += fill;
	e += sprintf(e, "\r\nHost: %0*d\r\nX-Admin-From: %0*d\r\n", SCP81_HOST_MAX, 1, SCP81_AGENT_MAX, 2);
	for (int i = 3; i < SCP81_HTTP_HEADERS_MAX; i++)
		e += sprintf(e, "X-%d: %d\r\n", i, i);
	e += sprintf(e, "\r\n");
	parse_all_ways(s, (size_t)(e - s), false, &m);
	assert_int_equal(strlen(m.target), SCP81_URI_MAX);
	assert_int_equal(strlen(m.host), SCP81_HOST_MAX);
	assert_int_equal(strlen(m.from), SCP81_AGENT_MAX);
	/* 100 Continue and 304: no body */
	parse_all_ways("HTTP/1.1 100 Continue\r\n\r\n", 25, true, &m);
	assert_int_equal(m.status, 100);
	parse_all_ways("HTTP/1.1 304 \r\n\r\n", 17, true, &m);
	assert_int_equal(m.status, 304);
	/* an error response without a length has an empty body */
	parse_all_ways("HTTP/1.1 503 Busy\r\nConnection: close\r\n\r\n", 40, true, &m);
	assert_int_equal(m.status, 503);
	assert_true(m.close);
}

static void chunked(void **state)
{
	static const char rs[] = "HTTP/1.1 200 OK\r\n" PROTO "X-Admin-Next-URI: /n\r\n"
				 "Content-Type: application/vnd.globalplatform.card-content-mgt; version=1.0\r\n"
				 "Transfer-Encoding: Chunked\r\n"
				 "Connection: keep-alive, close\r\n"
				 "\r\n"
				 "4;name=value\r\n"
				 "\xae\x80\x22\x05\r\n"
				 "7 ; x\r\n"
				 "\x80\xca\xff\x21\x00\x00\x00\r\n"
				 "0\r\n"
				 "X-Trailer: 1\r\n"
				 "X-Other: 2\r\n"
				 "\r\n";
	static const char rq[] = "POST /n HTTP/1.1\r\n"
				 "host: h\r\n"
				 "x-admin-protocol:globalplatform-remote-admin/1.0\r\n"
				 "x-admin-from:\t a \r\n"
				 "x-admin-resume: TRUE\r\n"
				 "transfer-encoding: chunked\r\n"
				 "x-admin-script-status: security-error\r\n"
				 "Unknown-Header: ignored\r\n"
				 "\r\n"
				 "A\r\n"
				 "0123456789\r\n"
				 "00\r\n"
				 "\r\n";
	static struct scp81_http_msg m;

	(void)state;
	parse_all_ways(rs, sizeof(rs) - 1, true, &m);
	assert_true(m.chunked);
	assert_true(m.close);
	assert_string_equal(m.content_type, SCP81_CT_SCRIPT);
	assert_int_equal(m.body_len, 11);
	assert_memory_equal(m.body, "\xae\x80\x22\x05\x80\xca\xff\x21\x00\x00\x00", 11);
	parse_all_ways(rq, sizeof(rq) - 1, false, &m);
	assert_true(m.chunked && m.resume && m.protocol_ok);
	assert_false(m.close);
	assert_string_equal(m.host, "h");
	assert_string_equal(m.from, "a");
	assert_int_equal(m.script_status, SCP81_STATUS_SECURITY_ERROR);
	assert_int_equal(m.body_len, 10);
	assert_memory_equal(m.body, "0123456789", 10);
}

struct bad_msg {
	const char *name;
	bool response;
	const char *text; /* or, when NULL, made by the test from the name */
	int err;
	unsigned status; /* what a RAS answers */
};

#define RQ "POST / HTTP/1.1\r\nHost: h\r\n"
#define RS "HTTP/1.1 200 OK\r\n"
static const struct bad_msg bad_msgs[] = {
	{ "bare LF in the request line", false, "POST / HTTP/1.1\nHost: h\r\n\r\n", -EBADMSG, 400 },
	{ "bare LF in a header", false, RQ "X-A: 1\n\r\n", -EBADMSG, 400 },
	{ "bare LF ending the head", false, RQ "\n", -EBADMSG, 400 },
	{ "CR inside a line", false, "POST / HTTP/1.1\r\r\n\r\n", -EBADMSG, 400 },
	{ "NUL in a header", false, RQ "X-A: a\0b\r\n\r\n", -EBADMSG, 400 },
	{ "empty request line", false, "\r\n" RQ "\r\n", -EBADMSG, 400 },
	{ "no target", false, "POST HTTP/1.1\r\n\r\n", -EBADMSG, 400 },
	{ "two spaces", false, "POST  / HTTP/1.1\r\n\r\n", -EBADMSG, 400 },
	{ "target not from /", false, "POST x HTTP/1.1\r\n\r\n", -EBADMSG, 400 },
	{ "absolute target", false, "POST http://h/ HTTP/1.1\r\n\r\n", -EBADMSG, 400 },
	{ "long method", false, "POSTPOST / HTTP/1.1\r\n\r\n", -EBADMSG, 400 },
	{ "HTTP/1.0", false, "POST / HTTP/1.0\r\n\r\n", -ENOTSUP, 505 },
	{ "HTTP/2.0 response", true, "HTTP/2.0 200 OK\r\n\r\n", -ENOTSUP, 505 },
	{ "not HTTP", false, "POST / HTTP/1.1x\r\n\r\n", -EBADMSG, 400 },
	{ "lower-case version", false, "POST / http/1.1\r\n\r\n", -EBADMSG, 400 },
	{ "status of two digits", true, "HTTP/1.1 20 OK\r\n\r\n", -EBADMSG, 400 },
	{ "status 600", true, "HTTP/1.1 600 X\r\n\r\n", -EBADMSG, 400 },
	{ "status 2000", true, "HTTP/1.1 2000 X\r\n\r\n", -EBADMSG, 400 },
	{ "no status", true, "HTTP/1.1\r\n\r\n", -EBADMSG, 400 },
	{ "space before the colon", false, RQ "X-A : 1\r\n\r\n", -EBADMSG, 400 },
	{ "no colon", false, RQ "X-A\r\n\r\n", -EBADMSG, 400 },
	{ "empty name", false, RQ ": 1\r\n\r\n", -EBADMSG, 400 },
	{ "line folding", false, RQ "X-A: 1\r\n 2\r\n\r\n", -EBADMSG, 400 },
	{ "two Hosts", false, RQ "Host: g\r\n\r\n", -EBADMSG, 400 },
	{ "two Content-Lengths", false, RQ "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx", -EBADMSG, 400 },
	{ "Content-Length and chunked", false, RQ "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", -EBADMSG,
	  400 },
	{ "chunked and Content-Length", false, RQ "Transfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", -EBADMSG,
	  400 },
	{ "chunked twice", false, RQ "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", -EBADMSG,
	  400 },
	{ "gzip coding", false, RQ "Transfer-Encoding: gzip, chunked\r\n\r\n", -ENOTSUP, 501 },
	{ "identity coding", true, RS "Transfer-Encoding: identity\r\n\r\n", -ENOTSUP, 501 },
	{ "signed length", false, RQ "Content-Length: +1\r\n\r\nx", -EBADMSG, 400 },
	{ "empty length", false, RQ "Content-Length:\r\n\r\n", -EBADMSG, 400 },
	{ "list of lengths", false, RQ "Content-Length: 1, 1\r\n\r\nx", -EBADMSG, 400 },
	{ "big body", false, RQ "Content-Length: 8193\r\n\r\n", -E2BIG, 413 },
	{ "huge body", false, RQ "Content-Length: 99999999999999999999999999\r\n\r\n", -E2BIG, 413 },
	{ "bad chunk size", false, RQ "Transfer-Encoding: chunked\r\n\r\nzz\r\n", -EBADMSG, 400 },
	{ "empty chunk size", false, RQ "Transfer-Encoding: chunked\r\n\r\n\r\n", -EBADMSG, 400 },
	{ "negative chunk size", false, RQ "Transfer-Encoding: chunked\r\n\r\n-1\r\n", -EBADMSG, 400 },
	{ "chunk size then junk", false, RQ "Transfer-Encoding: chunked\r\n\r\n1 x\r\n", -EBADMSG, 400 },
	{ "big chunk", false, RQ "Transfer-Encoding: chunked\r\n\r\n2001\r\n", -E2BIG, 413 },
	{ "huge chunk", false, RQ "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\n", -E2BIG, 413 },
	{ "chunks over the body limit", false, NULL, -E2BIG, 413 },
	{ "chunk without CRLF", false, RQ "Transfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n", -EBADMSG, 400 },
	{ "chunk with bare LF", false, RQ "Transfer-Encoding: chunked\r\n\r\n1\r\nx\n", -EBADMSG, 400 },
	{ "AID: RID short", true, RS "X-Admin-Targeted-Application: //aid/A0000000/01\r\n", -EBADMSG, 400 },
	{ "AID: odd PIX", true, RS "X-Admin-Targeted-Application: //aid/A000000018/001\r\n", -EBADMSG, 400 },
	{ "AID: PIX long", true, RS "X-Admin-Targeted-Application: //aid/A000000018/000102030405060708090A0B\r\n",
	  -EBADMSG, 400 },
	{ "AID: not hex", true, RS "X-Admin-Targeted-Application: //aid/A00000001G/01\r\n", -EBADMSG, 400 },
	{ "AID: no prefix", true, RS "X-Admin-Targeted-Application: A000000018/01\r\n", -EBADMSG, 400 },
	{ "AID: twice", true,
	  RS "X-Admin-Targeted-Application: //aid/A000000018/01\r\nX-Admin-Targeted-Application: //aid/A000000018\r\n",
	  -EBADMSG, 400 },
	{ "script status unknown", false, RQ "X-Admin-Script-Status: fine\r\n\r\n", -EBADMSG, 400 },
	{ "script status twice", false, RQ "X-Admin-Script-Status: ok\r\nX-Admin-Script-Status: ok\r\n\r\n", -EBADMSG,
	  400 },
	{ "resume neither true nor false", false, RQ "X-Admin-Resume: yes\r\n\r\n", -EBADMSG, 400 },
	{ "next URI not from /", true, RS "X-Admin-Next-URI: next\r\n", -EBADMSG, 400 },
	{ "next URI with a space", true, RS "X-Admin-Next-URI: /a b\r\n", -EBADMSG, 400 },
	{ "200 without a length", true, RS PROTO "\r\nxyz", -EBADMSG, 400 },
	{ "204 with a body", true, "HTTP/1.1 204 No Content\r\nContent-Length: 1\r\n\r\nx", -EBADMSG, 400 },
	{ "204 chunked", true, "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", -EBADMSG,
	  400 },
	{ "long line", false, NULL, -E2BIG, 413 },
	{ "long host", false, NULL, -E2BIG, 413 },
	{ "long target", false, NULL, -E2BIG, 413 },
	{ "long content type", false, NULL, -E2BIG, 413 },
	{ "too many headers", false, NULL, -E2BIG, 413 },
	{ "too many trailers", false, NULL, -E2BIG, 413 },
};

/* The messages of bad_msgs without a literal text. */
static size_t make_bad(const char *name, char *s)
{
	char *e = s;

	if (!strcmp(name, "long line")) {
		e += sprintf(e, RQ "X-A: ");
		memset(e, 'a', 600);
		e += 600;
	} else if (!strcmp(name, "long host")) {
		e += sprintf(e, "POST / HTTP/1.1\r\nHost: ");
		memset(e, 'h', SCP81_HOST_MAX + 1);
		e += SCP81_HOST_MAX + 1;
	} else if (!strcmp(name, "long target")) {
		e += sprintf(e, "POST /");
		memset(e, 't', SCP81_URI_MAX);
		e += SCP81_URI_MAX;
		e += sprintf(e, " HTTP/1.1");
	} else if (!strcmp(name, "long content type")) {
		e += sprintf(e, RQ "Content-Type: ");
		memset(e, 'c', 96);
		e += 96;
	} else if (!strcmp(name, "too many headers")) {
		e += sprintf(e, "POST / HTTP/1.1\r\n");
		for (int i = 0; i <= SCP81_HTTP_HEADERS_MAX; i++)
			e += sprintf(e, "X-A: %d\r\n", i);
	} else if (!strcmp(name, "too many trailers")) {
		e += sprintf(e, RQ "Transfer-Encoding: chunked\r\n\r\n0\r\n");
		for (int i = 0; i < SCP81_HTTP_HEADERS_MAX; i++)
			e += sprintf(e, "X-A: %d\r\n", i);
	} else if (!strcmp(name, "chunks over the body limit")) {
		e += sprintf(e, RQ "Transfer-Encoding: chunked\r\n\r\n");
		for (int i = 0; i < 3; i++) {
			e += sprintf(e, "1000\r\n");
			memset(e, 'x', 0x1000);
			e += 0x1000;
			e += sprintf(e, "\r\n");
		}
	} else {
		fail_msg("no text for %s", name);
	}
	e += sprintf(e, "\r\n\r\n");
	return (size_t)(e - s);
}

static void bad_msg(void **state)
{
	const struct bad_msg *t = *state;
	static struct scp81_http_parser p;
	static char s[16384];
	size_t len, taken;

	if (t->text)
		len = strlen(t->text) + (strstr(t->name, "NUL") ? strlen(t->text + strlen(t->text) + 1) + 1 : 0);
	else
		len = make_bad(t->name, s);
	if (t->text)
		memcpy(s, t->text, len);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		scp81_http_parser_init(&p, t->response);
		assert_int_equal(feed(&p, s, len, steps[i], &taken), t->err);
		assert_int_equal(scp81_http_error_status(t->err, &p), t->status);
		/* and it stays refused */
		assert_int_equal(scp81_http_parse(&p, (const uint8_t *)"\r\n", 2, &taken), t->err);
		assert_int_equal(taken, 0);
	}
}

static void aid(void **state)
{
	static const uint8_t a[16] = { 0xa0, 0, 0, 0, 0x18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0a, 0x0b };
	uint8_t b[SCP81_AID_MAX];
	char s[64];

	(void)state;
	assert_int_equal(scp81_aid_format(a, 16, s, sizeof(s)), 6 + 10 + 1 + 22);
	assert_string_equal(s, "//aid/A000000018/0102030405060708090A0B");
	assert_int_equal(scp81_aid_parse(s, b), 16);
	assert_memory_equal(a, b, 16);
	assert_int_equal(scp81_aid_format(a, 5, s, sizeof(s)), 17);
	assert_string_equal(s, "//aid/A000000018/");
	assert_int_equal(scp81_aid_parse(s, b), 5);
	assert_int_equal(scp81_aid_parse("//aid/a000000018", b), 5);
	assert_memory_equal(a, b, 5);
	assert_int_equal(scp81_aid_parse("//aid/a000000018/0a", b), 6);
	assert_int_equal(b[5], 0x0a);
	assert_int_equal(scp81_aid_format(a, 4, s, sizeof(s)), -EINVAL);
	assert_int_equal(scp81_aid_format(a, 17, s, sizeof(s)), -EINVAL);
	assert_int_equal(scp81_aid_format(a, 16, s, 39), -E2BIG);
	assert_int_equal(scp81_aid_format(a, 16, s, 40), 39);
	assert_int_equal(scp81_aid_parse("", b), -EINVAL);
	assert_int_equal(scp81_aid_parse("//aid/", b), -EINVAL);
	assert_int_equal(scp81_aid_parse("//AID/A000000018", b), -EINVAL);
	assert_int_equal(scp81_aid_parse("//aid/A000000018/", b), 5);
	assert_int_equal(scp81_aid_parse("//aid/A000000018x", b), -EINVAL);
	assert_int_equal(scp81_aid_parse("//aid/A000000018/0", b), -EINVAL);
	assert_int_equal(scp81_aid_parse("//aid/A000000018/01/", b), -EINVAL);
	assert_int_equal(scp81_aid_parse("//aid/A000000018/01 ", b), -EINVAL);
}

/* The builders' outputs, parsed back; what they refuse. */
static void builders(void **state)
{
	static struct scp81_http_msg m;
	static const uint8_t a[] = { 0xa0, 0, 0, 0, 0x18 };
	static char msg[SCP81_HTTP_BODY_MAX * 2];
	uint8_t body[300];
	int n, k;

	(void)state;
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)i;

	/* a resumed session's POST with a response script */
	n = scp81_http_post_head(&(struct scp81_post){ .uri = "/r?x=1",
						       .host = "ras.example:8443",
						       .agent_id = "//se-id/eid/1;//aa-id/aid/A000000151/00",
						       .resume = true,
						       .status = SCP81_STATUS_NOT_A_SECURITY_DOMAIN,
						       .body_len = sizeof(body) },
				 msg, sizeof(msg));
	assert_true(n > 0);
	memcpy(msg + n, body, sizeof(body));
	parse_all_ways(msg, (size_t)n + sizeof(body), false, &m);
	assert_string_equal(m.target, "/r?x=1");
	assert_string_equal(m.host, "ras.example:8443");
	assert_string_equal(m.from, "//se-id/eid/1;//aa-id/aid/A000000151/00");
	assert_true(m.resume && m.protocol_ok);
	assert_int_equal(m.script_status, SCP81_STATUS_NOT_A_SECURITY_DOMAIN);
	assert_string_equal(m.content_type, SCP81_CT_RESPONSE);
	assert_int_equal(m.body_len, sizeof(body));
	assert_memory_equal(m.body, body, sizeof(body));
	/* the other statuses */
	for (int s = SCP81_STATUS_OK; s <= SCP81_STATUS_SECURITY_ERROR; s++) {
		n = scp81_http_post_head(
			&(struct scp81_post){
				.uri = "/", .host = "h", .agent_id = "a", .status = (enum scp81_script_status)s },
			msg, sizeof(msg));
		parse_all_ways(msg, (size_t)n, false, &m);
		assert_int_equal(m.script_status, s);
	}

	/* a chunked script */
	n = scp81_http_reply_head(
		&(struct scp81_reply){
			.status = 200, .next_uri = "/next", .aid = a, .aid_len = 5, .body_len = 999, .chunked = true },
		msg, sizeof(msg));
	assert_true(n > 0);
	assert_null(strstr(msg, "Content-Length"));
	k = scp81_http_chunk(body, 256, (uint8_t *)msg + n, sizeof(msg) - (size_t)n);
	assert_int_equal(k, 3 + 2 + 256 + 2);
	assert_memory_equal(msg + n, "100\r\n", 5);
	n += k;
	k = scp81_http_chunk(body + 256, sizeof(body) - 256, (uint8_t *)msg + n, sizeof(msg) - (size_t)n);
	n += k;
	k = scp81_http_chunk(NULL, 0, (uint8_t *)msg + n, sizeof(msg) - (size_t)n);
	assert_int_equal(k, 5);
	n += k;
	parse_all_ways(msg, (size_t)n, true, &m);
	assert_int_equal(m.status, 200);
	assert_true(m.chunked && m.protocol_ok);
	assert_string_equal(m.next_uri, "/next");
	assert_string_equal(m.content_type, SCP81_CT_SCRIPT);
	assert_int_equal(m.target_aid_len, 5);
	assert_memory_equal(m.target_aid, a, 5);
	assert_int_equal(m.body_len, sizeof(body));
	assert_memory_equal(m.body, body, sizeof(body));
	/* the last script: no next URI, the largest body */
	n = scp81_http_reply_head(&(struct scp81_reply){ .status = 200, .body_len = SCP81_HTTP_BODY_MAX }, msg,
				  sizeof(msg));
	memset(msg + n, 0x5a, SCP81_HTTP_BODY_MAX);
	parse_all_ways(msg, (size_t)n + SCP81_HTTP_BODY_MAX, true, &m);
	assert_string_equal(m.next_uri, "");
	assert_int_equal(m.target_aid_len, 0);
	assert_int_equal(m.body_len, SCP81_HTTP_BODY_MAX);
	/* errors */
	for (unsigned s = 400; s < 600; s++) {
		n = scp81_http_reply_head(&(struct scp81_reply){ .status = s }, msg, sizeof(msg));
		assert_true(n > 0);
		parse_all_ways(msg, (size_t)n, true, &m);
		assert_int_equal(m.status, s);
		assert_true(m.close && m.protocol_ok);
	}
	n = scp81_http_reply_head(&(struct scp81_reply){ .status = 413 }, msg, sizeof(msg));
	assert_string_equal(msg, "HTTP/1.1 413 Content Too Large\r\n" PROTO
				 "Content-Length: 0\r\nConnection: close\r\n\r\n");

	/* refused */
	assert_int_equal(scp81_http_post_head(&(struct scp81_post){ .uri = "x", .host = "h", .agent_id = "a" }, msg,
					      sizeof(msg)),
			 -EINVAL);
	assert_int_equal(scp81_http_post_head(&(struct scp81_post){ .uri = "/a b", .host = "h", .agent_id = "a" }, msg,
					      sizeof(msg)),
			 -EINVAL);
	assert_int_equal(scp81_http_post_head(&(struct scp81_post){ .uri = "/", .host = "h\r\nX: 1", .agent_id = "a" },
					      msg, sizeof(msg)),
			 -EINVAL);
	assert_int_equal(
		scp81_http_post_head(&(struct scp81_post){ .uri = "/", .host = "h", .agent_id = "" }, msg, sizeof(msg)),
		-EINVAL);
	assert_int_equal(scp81_http_post_head(&(struct scp81_post){ .uri = "/", .host = NULL, .agent_id = "a" }, msg,
					      sizeof(msg)),
			 -EINVAL);
	assert_int_equal(
		scp81_http_post_head(&(struct scp81_post){ .uri = "/", .host = "h", .agent_id = "a", .body_len = 1 },
				     msg, sizeof(msg)),
		-EINVAL);
	assert_int_equal(scp81_http_post_head(&(struct scp81_post){ .uri = "/",
								    .host = "h",
								    .agent_id = "a",
								    .status = SCP81_STATUS_OK,
								    .body_len = SCP81_HTTP_BODY_MAX + 1 },
					      msg, sizeof(msg)),
			 -EINVAL);
	assert_int_equal(scp81_http_post_head(&(struct scp81_post){ .uri = "/",
								    .host = "h",
								    .agent_id = "a",
								    .status = (enum scp81_script_status)9 },
					      msg, sizeof(msg)),
			 -EINVAL);
	assert_int_equal(
		scp81_http_post_head(&(struct scp81_post){ .uri = "/", .host = "h", .agent_id = "a" }, msg, 40),
		-E2BIG);
	assert_int_equal(scp81_http_reply_head(&(struct scp81_reply){ .status = 302 }, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(scp81_http_reply_head(&(struct scp81_reply){ .status = 201 }, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(scp81_http_reply_head(&(struct scp81_reply){ .status = 600 }, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(
		scp81_http_reply_head(&(struct scp81_reply){ .status = 200, .next_uri = "next" }, msg, sizeof(msg)),
		-EINVAL);
	assert_int_equal(
		scp81_http_reply_head(&(struct scp81_reply){ .status = 200, .aid = a, .aid_len = 4 }, msg, sizeof(msg)),
		-EINVAL);
	assert_int_equal(
		scp81_http_reply_head(&(struct scp81_reply){ .status = 200, .body_len = SCP81_HTTP_BODY_MAX + 1 }, msg,
				      sizeof(msg)),
		-EINVAL);
	assert_int_equal(scp81_http_reply_head(&(struct scp81_reply){ .status = 204 }, msg, 20), -E2BIG);
	assert_int_equal(scp81_http_chunk(body, 16, (uint8_t *)msg, 4 + 16 + 1), -E2BIG);
	assert_int_equal(scp81_http_chunk(body, 16, (uint8_t *)msg, 4 + 16 + 2), 4 + 16 + 2);
	assert_int_equal(scp81_http_chunk(NULL, 0, (uint8_t *)msg, 4), -E2BIG);

	assert_int_equal(scp81_http_error_status(-EIO, NULL), 500);
	assert_int_equal(scp81_http_error_status(-EBADMSG, NULL), 400);
	assert_int_equal(scp81_http_error_status(-E2BIG, NULL), 413);
}

int main(void)
{
	static struct unit_list l;

	unit_add(&l, "push: round trips", push_round_trips, NULL);
	unit_add(&l, "push: the reference's example", push_reference_example, NULL);
	unit_add(&l, "push: what the decoder tolerates", push_lenient, NULL);
	UNIT_ADD_TABLE(&l, bad_pushes, bad_push);
	unit_add(&l, "push: values over their bounds", push_long_values, NULL);
	unit_add(&l, "push: encoder bounds, PSK identities", push_encode_bounds, NULL);
	unit_add(&l, "http: Annex A byte for byte", annex_a, NULL);
	unit_add(&l, "http: bytes after a message", pipelined, NULL);
	unit_add(&l, "http: limits at their bounds", limits, NULL);
	unit_add(&l, "http: chunked", chunked, NULL);
	UNIT_ADD_TABLE(&l, bad_msgs, bad_msg);
	unit_add(&l, "http: AIDs", aid, NULL);
	unit_add(&l, "http: builders parsed back", builders, NULL);
	return unit_run("scp81", &l);
}
