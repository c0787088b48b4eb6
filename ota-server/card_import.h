/* A card vendor's output file as simpki-otad imports it: CSV (RFC 4180), one key set per record, UTF-8 or ASCII,
 * LF or CRLF line ends, an optional UTF-8 byte-order mark, blank lines ignored.
 *
 *   iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid[,kik[,psk]]  the header, exactly (kik, and psk after it,
 *   8984010000000000005,001010000000001,2001,1,aes,8C4A...,aes,1E2D...[,KIK[,PSK]]   optional; names may be quoted)
 *
 *   iccid     18 to 20 digits, the last a Luhn check digit (simpki/ident.h)
 *   imsi      6 to 15 digits; msisdn 1 to 15 digits (international, no '+')
 *   kvn       key version number, 1 to 15
 *   kic_algo, kid_algo   3des (16 or 24 bytes: two or three keys) or aes (16, 24 or 32 bytes)
 *   kic, kid, kik        the keys in hex (upper or lower case); kik, when the column exists, may be empty
 *   psk       the card's SCP81 pre-shared key (GlobalPlatform Amendment B, TLS-PSK; key version 0x40, id 1) in hex,
 *             16 or 32 bytes; may be empty; given on at most one record of a card (it belongs to the card, not to
 *             the record's key set)
 *
 * Quoting (RFC 4180): a field that begins with '"' is quoted up to the next lone '"'; "" inside it is one '"'; a
 * quoted field may hold ',' and even CR or LF: the record then goes on over the next line (it is numbered by the
 * line it starts on). A quote elsewhere (inside an unquoted field) is an ordinary character, and refused. The
 * content of a field, quoted or not, is checked as above: no field may begin or end with a space or tab, inside
 * quotes or out; the reason says which field and at which column (1-based byte of the record), never a key.
 *
 * More key sets of one card are more records with the same ICCID, IMSI and MSISDN and another KVN. A record is at
 * most CARD_IMPORT_LINE_MAX bytes (without its line end); a longer one is refused as a whole. The rules across
 * records (duplicates, the database) are the importer's (otad_db.h, otad_import.h).
 *
 * The splitter reads a file in pieces cut anywhere (inside a quoted field, between CR and LF) and hands out whole
 * records; it holds at most one record, never the file.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CARD_IMPORT_LINE_MAX 512
#define CARD_IMPORT_REASON_MAX 160

/* What the header says is in the file: card_import_header()'s answer, card_import_line()'s \a layout. */
enum card_import_layout {
	CARD_IMPORT_BASIC = 0,	  /* 8 columns */
	CARD_IMPORT_WITH_KIK = 1, /* and kik */
	CARD_IMPORT_WITH_PSK = 2, /* and kik and psk */
};

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
	uint8_t psk[32], psk_len;	   /* the card's SCP81 PSK; psk_len 0: none on this record */
};

/*! Check the header record (without its line end; a byte-order mark is skipped). \returns its enum
 *  card_import_layout; -EINVAL */
int card_import_header(const char *line, size_t len);

/*! Parse one data record (without its line end) of a file whose header said \a layout. \returns 0; -EINVAL with
 *  \a reason saying which field is wrong and why (never a key's value) */
int card_import_line(const char *line, size_t len, int layout, struct card_import_row *row, char *reason,
		     size_t reason_len);

/* Records out of pieces of a file. Holds keys: card_import_split_wipe() when done. */
struct card_import_splitter {
	char rec[CARD_IMPORT_LINE_MAX + 2]; /* the record being read: its first LINE_MAX + 1 bytes (+1: a CR) */
	size_t len;			    /* bytes of the record so far (may exceed what rec holds) */
	uint8_t state;			    /* where the next byte falls: field start, unquoted, quoted, after '"' */
	unsigned line;			    /* the line the current record starts on (1-based) */
	unsigned next_line;		    /* the line the next byte is on */
};

/*! A whole record: \a rec (\a len bytes, no line end) starting on \a line; \a too_long: it had more than
 *  CARD_IMPORT_LINE_MAX bytes (\a rec holds its start). \returns 0 to go on; anything else stops the splitter and
 *  is returned by it */
typedef int (*card_import_record_cb)(const char *rec, size_t len, unsigned line, bool too_long, void *priv);

void card_import_split_init(struct card_import_splitter *s);
/*! Feed the next \a len bytes; \a cb gets every record they complete (blank ones skipped). Work is linear in
 *  \a len. \returns 0; the first non-zero result of \a cb */
int card_import_split(struct card_import_splitter *s, const char *data, size_t len, card_import_record_cb cb,
		      void *priv);
/*! The file ended: hand out the last record if it had no line end. \returns as card_import_split() */
int card_import_split_end(struct card_import_splitter *s, card_import_record_cb cb, void *priv);
void card_import_split_wipe(struct card_import_splitter *s);
