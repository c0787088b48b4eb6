/* Parsing a card vendor's CSV (format in card_import.h): splitting pieces of a file into records, splitting a
 * record into fields (RFC 4180 quoting), checking each field. Keys are copied only into the row; a reason never
 * quotes one, and every buffer that held one is wiped. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <simpki/hex.h>
#include <simpki/ident.h>

#include "card_import.h"

static const char *const column[10] = { "iccid", "imsi",     "msisdn", "kvn", "kic_algo",
					"kic",	 "kid_algo", "kid",    "kik", "psk" };

/* ---- records ------------------------------------------------------------------------------------------------- */

enum split_state {
	SP_FIELD_START, /* the next byte begins a field: '"' opens a quoted one */
	SP_UNQUOTED,
	SP_QUOTED,
	SP_QUOTE, /* a '"' inside a quoted field: another '"' makes it an escaped one, anything else closed the field */
};

void card_import_split_init(struct card_import_splitter *s)
{
	memset(s, 0, sizeof(*s));
	s->line = s->next_line = 1;
}

void card_import_split_wipe(struct card_import_splitter *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

/* Hand out the record read so far (without a CR before its LF) and start the next. */
static int split_emit(struct card_import_splitter *s, card_import_record_cb cb, void *priv)
{
	size_t kept = s->len < sizeof(s->rec) ? s->len : sizeof(s->rec);
	size_t len = s->len;
	unsigned line = s->line;
	int rc = 0;

	if (len && len == kept && s->rec[len - 1] == '\r')
		len--;
	if (len)
		rc = cb(s->rec, len > CARD_IMPORT_LINE_MAX ? CARD_IMPORT_LINE_MAX : len, line,
			len > CARD_IMPORT_LINE_MAX, priv);
	OPENSSL_cleanse(s->rec, kept);
	s->len = 0;
	s->state = SP_FIELD_START;
	s->line = s->next_line;
	return rc;
}

/* Whether rec holds just a UTF-8 byte-order mark at the start of the file (a quote after it opens a field). */
static bool split_after_bom(const struct card_import_splitter *s)
{
	return s->line == 1 && s->len == 3 && !memcmp(s->rec, "\xef\xbb\xbf", 3);
}

int card_import_split(struct card_import_splitter *s, const char *data, size_t len, card_import_record_cb cb,
		      void *priv)
{
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		int rc;

		switch (s->state) {
		case SP_FIELD_START:
		case SP_UNQUOTED:
		case SP_QUOTE:
			if (c == '\n') {
				s->next_line++;
				rc = split_emit(s, cb, priv);
				if (rc)
					return rc;
				continue;
			}
			if (c == ',')
				s->state = SP_FIELD_START;
			else if (c == '"' && s->state == SP_QUOTE)
				s->state = SP_QUOTED; /* "" : an escaped quote */
			else if (c == '"' && (s->state == SP_FIELD_START || split_after_bom(s)))
				s->state = SP_QUOTED;
			else
				s->state = SP_UNQUOTED;
			break;
		case SP_QUOTED:
			if (c == '"')
				s->state = SP_QUOTE;
			else if (c == '\n')
				s->next_line++;
			break;
		}
		if (s->len < sizeof(s->rec))
			s->rec[s->len] = c;
		s->len++;
	}
	return 0;
}

int card_import_split_end(struct card_import_splitter *s, card_import_record_cb cb, void *priv)
{
	return s->len ? split_emit(s, cb, priv) : 0;
}

/* ---- fields -------------------------------------------------------------------------------------------------- */

struct field {
	const char *p; /* the value, unquoted (in the caller's buffer) */
	size_t len;
	size_t col; /* 1-based column of its first byte in the record */
};

/* The first problem of a record's syntax: which field, what, where. */
struct field_problem {
	int field; /* -1: none */
	const char *what;
	size_t col;
};

static void problem(struct field_problem *pb, int field, const char *what, size_t col)
{
	if (pb->field < 0) {
		pb->field = field;
		pb->what = what;
		pb->col = col;
	}
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Split \a rec into fields (at most \a max kept in \a f, their values unquoted into \a buf of \a len bytes).
 * \returns the number of fields (those beyond \a max counted only) */
static size_t split_fields(const char *rec, size_t len, struct field *f, size_t max, char *buf,
			   struct field_problem *pb)
{
	size_t i = 0, nf = 0, out = 0;

	pb->field = -1;
	for (;;) {
		size_t start = out, k;
		int idx = nf < 9 ? (int)nf : 8;

		if (i < len && rec[i] == '"') {
			size_t j = i + 1;
			bool closed = false;

			while (j < len) {
				if (rec[j] == '"' && j + 1 < len && rec[j + 1] == '"') {
					buf[out++] = '"';
					j += 2;
				} else if (rec[j] == '"') {
					closed = true;
					j++;
					break;
				} else {
					buf[out++] = rec[j++];
				}
			}
			if (!closed)
				problem(pb, idx, "a quoted value without its closing quote", i + 1);
			for (k = j; k < len && rec[k] != ','; k++)
				problem(pb, idx,
					blank(rec[k]) ? "a space after the closing quote" :
							"text after the closing quote",
					k + 1);
			if (out > start && blank(buf[start]))
				problem(pb, idx, "a space at the start of the quoted value", i + 2);
			else if (out > start && blank(buf[out - 1]))
				problem(pb, idx, "a space at the end of the quoted value", j - 1);
		} else {
			size_t s = i;

			for (k = i; k < len && rec[k] != ','; k++)
				buf[out++] = rec[k];
			while (s < k && blank(rec[s]))
				s++;
			if (s > i && s < k && rec[s] == '"')
				problem(pb, idx, "a space before the opening quote", i + 1);
			else if (s > i)
				problem(pb, idx, "a space before the value", i + 1);
			else if (k > i && blank(rec[k - 1]))
				problem(pb, idx, "a space after the value", k);
			else if (memchr(rec + i, '"', k - i))
				problem(pb, idx, "a quote inside an unquoted value",
					(size_t)((const char *)memchr(rec + i, '"', k - i) - rec) + 1);
		}
		if (nf < max) {
			f[nf].p = buf + start;
			f[nf].len = out - start;
			f[nf].col = i + 1;
		}
		nf++;
		if (k >= len)
			return nf;
		i = k + 1;
	}
}

int card_import_header(const char *line, size_t len)
{
	char buf[CARD_IMPORT_LINE_MAX];
	struct field f[10];
	struct field_problem pb;
	size_t nf;

	if (len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) { /* UTF-8 byte-order mark */
		line += 3;
		len -= 3;
	}
	if (len > sizeof(buf))
		return -EINVAL;
	nf = split_fields(line, len, f, 10, buf, &pb);
	if (pb.field >= 0 || nf < 8 || nf > 10)
		return -EINVAL;
	for (size_t i = 0; i < nf; i++)
		if (f[i].len != strlen(column[i]) || memcmp(f[i].p, column[i], f[i].len))
			return -EINVAL;
	return (int)nf - 8;
}

/* A key field: hex of a length the algorithm allows. */
static int parse_key(const char *name, const char *f, size_t flen, enum card_import_algo algo, uint8_t *out,
		     uint8_t *out_len, char *reason, size_t rlen)
{
	int n = flen > 64 ? -E2BIG : hex_decode_n(f, flen, out, 32);

	if (n == -EINVAL) {
		snprintf(reason, rlen, "%s: not hex", name);
		return -EINVAL;
	}
	if (n < 0) {
		snprintf(reason, rlen, "%s: not 16, 24 or 32 bytes of hex", name);
		return -EINVAL;
	}
	if ((algo == CARD_IMPORT_3DES && n != 16 && n != 24) ||
	    (algo == CARD_IMPORT_AES && n != 16 && n != 24 && n != 32)) {
		snprintf(reason, rlen, "%s: %d bytes, but %s keys are %s", name, n,
			 algo == CARD_IMPORT_AES ? "aes" : "3des",
			 algo == CARD_IMPORT_AES ? "16, 24 or 32 bytes" : "16 or 24 bytes");
		return -EINVAL;
	}
	*out_len = (uint8_t)n;
	return 0;
}

/* Whether the value may be quoted in a reason: printable ASCII only. */
static bool printable(const char *f, size_t flen)
{
	for (size_t i = 0; i < flen; i++)
		if (f[i] < 0x20 || f[i] > 0x7e)
			return false;
	return true;
}

static int parse_algo(const char *name, const char *f, size_t flen, enum card_import_algo *algo, char *reason,
		      size_t rlen)
{
	if (flen == 4 && !memcmp(f, "3des", 4)) {
		*algo = CARD_IMPORT_3DES;
		return 0;
	}
	if (flen == 3 && !memcmp(f, "aes", 3)) {
		*algo = CARD_IMPORT_AES;
		return 0;
	}
	if (!printable(f, flen))
		snprintf(reason, rlen, "%s: a control or non-ASCII character; not 3des or aes", name);
	else
		snprintf(reason, rlen, "%s: '%.*s' is not 3des or aes", name, (int)(flen > 16 ? 16 : flen), f);
	return -EINVAL;
}

/* A digits field copied into \a out (size max + 1). */
static int parse_digits(const char *name, const char *f, size_t flen, size_t min, size_t max, char *out, char *reason,
			size_t rlen)
{
	if (flen > max) {
		snprintf(reason, rlen, "%s: more than %zu characters", name, max);
		return -EINVAL;
	}
	memcpy(out, f, flen);
	out[flen] = 0;
	if (!ident_digits(out, min, max)) {
		if (printable(f, flen))
			snprintf(reason, rlen, "%s: '%s' is not %zu to %zu digits", name, out, min, max);
		else
			snprintf(reason, rlen, "%s: a control or non-ASCII character; not %zu to %zu digits", name, min,
				 max);
		return -EINVAL;
	}
	return 0;
}

/* The SCP81 PSK: 16 or 32 bytes of hex. */
static int parse_psk(const char *f, size_t flen, struct card_import_row *row, char *reason, size_t rlen)
{
	int n = flen > 64 ? -E2BIG : hex_decode_n(f, flen, row->psk, sizeof(row->psk));

	if (n == -EINVAL) {
		snprintf(reason, rlen, "psk: not hex");
		return -EINVAL;
	}
	if (n != 16 && n != 32) {
		snprintf(reason, rlen, "psk: not 16 or 32 bytes of hex");
		return -EINVAL;
	}
	row->psk_len = (uint8_t)n;
	return 0;
}

static int parse_fields(const struct field *f, int layout, struct card_import_row *row, char *reason, size_t reason_len)
{
	char err[CARD_IMPORT_REASON_MAX], kvn[3];
	int rc;

	if (parse_digits("iccid", f[0].p, f[0].len, 18, 20, row->iccid, reason, reason_len) ||
	    parse_digits("imsi", f[1].p, f[1].len, 6, 15, row->imsi, reason, reason_len) ||
	    parse_digits("msisdn", f[2].p, f[2].len, 1, 15, row->msisdn, reason, reason_len) ||
	    parse_digits("kvn", f[3].p, f[3].len, 1, 2, kvn, reason, reason_len))
		return -EINVAL;
	if (ident_iccid_check(row->iccid, err, sizeof(err))) {
		snprintf(reason, reason_len, "iccid: %s", err);
		return -EINVAL;
	}
	row->kvn = (uint8_t)(kvn[1] ? (kvn[0] - '0') * 10 + kvn[1] - '0' : kvn[0] - '0');
	if (row->kvn < 1 || row->kvn > 15) {
		snprintf(reason, reason_len, "kvn: %u is not a key version from 1 to 15", row->kvn);
		return -EINVAL;
	}
	rc = parse_algo("kic_algo", f[4].p, f[4].len, &row->kic_algo, reason, reason_len) ||
	     parse_key("kic", f[5].p, f[5].len, row->kic_algo, row->kic, &row->kic_len, reason, reason_len) ||
	     parse_algo("kid_algo", f[6].p, f[6].len, &row->kid_algo, reason, reason_len) ||
	     parse_key("kid", f[7].p, f[7].len, row->kid_algo, row->kid, &row->kid_len, reason, reason_len);
	if (!rc && layout >= CARD_IMPORT_WITH_KIK && f[8].len)
		rc = parse_key("kik", f[8].p, f[8].len, row->kic_algo, row->kik, &row->kik_len, reason, reason_len);
	if (!rc && layout >= CARD_IMPORT_WITH_PSK && f[9].len)
		rc = parse_psk(f[9].p, f[9].len, row, reason, reason_len);
	return rc ? -EINVAL : 0;
}

int card_import_line(const char *line, size_t len, int layout, struct card_import_row *row, char *reason,
		     size_t reason_len)
{
	char buf[CARD_IMPORT_LINE_MAX];
	struct field f[10];
	struct field_problem pb;
	size_t nf, want = 8 + (size_t)(layout < 0 ? 0 : layout > 2 ? 2 : layout);
	int rc = -EINVAL;

	memset(row, 0, sizeof(*row));
	if (len > CARD_IMPORT_LINE_MAX) {
		snprintf(reason, reason_len, "longer than %d characters", CARD_IMPORT_LINE_MAX);
		return -EINVAL;
	}
	nf = split_fields(line, len, f, want, buf, &pb);
	if (nf != want)
		snprintf(reason, reason_len, "%zu fields instead of %zu", nf, want);
	else if (pb.field >= 0)
		snprintf(reason, reason_len, "%s: %s (column %zu)", column[pb.field], pb.what, pb.col);
	else
		rc = parse_fields(f, layout, row, reason, reason_len);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc)
		OPENSSL_cleanse(row, sizeof(*row));
	return rc;
}
