/* A card vendor's output file as simpki-otad imports it: CSV, one key set per line, UTF-8 or ASCII, LF or CRLF
 * line ends, an optional UTF-8 byte-order mark, blank lines ignored, no quoting (no field needs it).
 *
 *   iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid[,kik]       the header, exactly (kik optional)
 *   8984010000000000005,001010000000001,2001,1,aes,8C4A...,aes,1E2D...[,KIK]
 *
 *   iccid     18 to 20 digits, the last a Luhn check digit (simpki/ident.h)
 *   imsi      6 to 15 digits; msisdn 1 to 15 digits (international, no '+')
 *   kvn       key version number, 1 to 15
 *   kic_algo, kid_algo   3des (16 or 24 bytes: two or three keys) or aes (16, 24 or 32 bytes)
 *   kic, kid, kik        the keys in hex (upper or lower case); kik, when the column exists, may be empty
 * More key sets of one card are more lines with the same ICCID, IMSI and MSISDN and another KVN. A line is at most
 * CARD_IMPORT_LINE_MAX bytes. The rules across lines (duplicates, the database) are the importer's (otad_db.h).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CARD_IMPORT_LINE_MAX 512
#define CARD_IMPORT_REASON_MAX 160

enum card_import_algo {
	CARD_IMPORT_3DES = 1,
	CARD_IMPORT_AES = 2
};

struct card_import_row {
	char iccid[21], imsi[16], msisdn[16];
	uint8_t kvn;
	enum card_import_algo kic_algo, kid_algo;
	uint8_t kic[32], kid[32], kik[32];
	uint8_t kic_len, kid_len, kik_len; /* kik_len 0: none */
};

/*! Check the header line (without its line end). \returns 0 (no KIK column), 1 (with a KIK column); -EINVAL */
int card_import_header(const char *line, size_t len);

/*! Parse one data line (without its line end) of a file whose header said \a with_kik. \returns 0; -EINVAL with
 *  \a reason saying which field is wrong and why (never a key's value) */
int card_import_line(const char *line, size_t len, bool with_kik, struct card_import_row *row, char *reason,
		     size_t reason_len);

/*! The next line of \a buf (length \a len) from *off: its start and length without CR/LF; *off moves past it.
 *  \returns false at the end */
bool card_import_next_line(const char *buf, size_t len, size_t *off, const char **line, size_t *line_len);
