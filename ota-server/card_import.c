/* Parsing a card vendor's CSV (format in card_import.h). Keys are copied only into the row; a reason never quotes
 * one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <simpki/hex.h>
#include <simpki/ident.h>

#include "card_import.h"

#define HEADER "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid"

int card_import_header(const char *line, size_t len)
{
	if (len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) { /* UTF-8 byte-order mark */
		line += 3;
		len -= 3;
	}
	if (len == strlen(HEADER) && !memcmp(line, HEADER, len))
		return 0;
	if (len == strlen(HEADER ",kik") && !memcmp(line, HEADER ",kik", len))
		return 1;
	return -EINVAL;
}

bool card_import_next_line(const char *buf, size_t len, size_t *off, const char **line, size_t *line_len)
{
	size_t start = *off, end;
	const char *nl;

	if (start >= len)
		return false;
	nl = memchr(buf + start, '\n', len - start);
	end = nl ? (size_t)(nl - buf) : len;
	*off = nl ? end + 1 : len;
	*line = buf + start;
	*line_len = end - start;
	if (*line_len && (*line)[*line_len - 1] == '\r')
		(*line_len)--;
	return true;
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

static int parse_algo(const char *name, const char *f, size_t flen, enum card_import_algo *algo, char *reason,
		      size_t rlen)
{
	if (flen == 4 && !memcmp(f, "3des", 4))
		*algo = CARD_IMPORT_3DES;
	else if (flen == 3 && !memcmp(f, "aes", 3))
		*algo = CARD_IMPORT_AES;
	else {
		snprintf(reason, rlen, "%s: '%.*s' is not 3des or aes", name, (int)(flen > 16 ? 16 : flen), f);
		return -EINVAL;
	}
	return 0;
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
		snprintf(reason, rlen, "%s: '%s' is not %zu to %zu digits", name, out, min, max);
		return -EINVAL;
	}
	return 0;
}

int card_import_line(const char *line, size_t len, bool with_kik, struct card_import_row *row, char *reason,
		     size_t reason_len)
{
	const char *f[9];
	size_t fl[9], nf = 0, want = with_kik ? 9 : 8, start = 0;
	char err[CARD_IMPORT_REASON_MAX], kvn[3];
	int rc;

	memset(row, 0, sizeof(*row));
	if (len > CARD_IMPORT_LINE_MAX) {
		snprintf(reason, reason_len, "longer than %d characters", CARD_IMPORT_LINE_MAX);
		return -EINVAL;
	}
	if (memchr(line, '"', len)) {
		snprintf(reason, reason_len, "quoted fields are not supported");
		return -EINVAL;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ',')
			continue;
		if (nf < want) {
			f[nf] = line + start;
			fl[nf] = i - start;
		}
		nf++;
		start = i + 1;
	}
	if (nf != want) {
		snprintf(reason, reason_len, "%zu fields instead of %zu", nf, want);
		return -EINVAL;
	}
	if (parse_digits("iccid", f[0], fl[0], 18, 20, row->iccid, reason, reason_len) ||
	    parse_digits("imsi", f[1], fl[1], 6, 15, row->imsi, reason, reason_len) ||
	    parse_digits("msisdn", f[2], fl[2], 1, 15, row->msisdn, reason, reason_len) ||
	    parse_digits("kvn", f[3], fl[3], 1, 2, kvn, reason, reason_len))
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
	rc = parse_algo("kic_algo", f[4], fl[4], &row->kic_algo, reason, reason_len) ||
	     parse_key("kic", f[5], fl[5], row->kic_algo, row->kic, &row->kic_len, reason, reason_len) ||
	     parse_algo("kid_algo", f[6], fl[6], &row->kid_algo, reason, reason_len) ||
	     parse_key("kid", f[7], fl[7], row->kid_algo, row->kid, &row->kid_len, reason, reason_len);
	if (!rc && with_kik && fl[8])
		rc = parse_key("kik", f[8], fl[8], row->kic_algo, row->kik, &row->kik_len, reason, reason_len);
	return rc ? -EINVAL : 0;
}
