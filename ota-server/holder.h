/* Certificate holders as the operator API and CSV files give them (the database's rows: otad_db.h, version 9).
 *
 *   id          the holder's stable id: 1 to 64 of A-Z a-z 0-9 . _ - (the same id goes in the subject's
 *               serialNumber of the holder's certificate requests)
 *   name        UTF-8 (well-formed: no overlong forms, surrogates or code points past U+10FFFF), 1 to 128
 *               characters (code points, so "Nguyễn Thị Minh Khai" is 20), no control characters (C0, DEL, C1),
 *               not beginning or ending with a space
 *   id_number   1 to 32 ASCII letters and digits (the citizen id card's number, a passport number)
 *   unit        the code of a unit of the organisation tree (units table: 1 to 15 digits; that it exists is the
 *               database's to say)
 *   email       optional (""): at most 254 bytes, LOCAL@DOMAIN, LOCAL 1 to 64 of A-Z a-z 0-9 and !#$%&'*+/=?^_`{|}~.-
 *               (no dot first or last, no two dots), DOMAIN two or more labels of A-Z a-z 0-9 and '-' (not first or
 *               last), 1 to 63 each
 *
 * CSV (RFC 4180, as card_import.h: UTF-8, LF or CRLF, an optional byte-order mark, blank lines ignored, quoted
 * fields with "" for a quote, no field beginning or ending with a space or tab, a record at most
 * CARD_IMPORT_LINE_MAX bytes), the header exactly:
 *
 *   id,name,id_number,unit,email
 *   H-0001,"Nguyễn Thị Minh Khai",079123456789,26734,khai@example.vn
 *
 * Pure functions; every length bounded.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "otad_db.h"

#define HOLDER_CSV_HEADER "id,name,id_number,unit,email"

/*! Whether \a id is a holder id. */
bool holder_id_ok(const char *id);
/*! The number of characters (code points) of \a s (\a len bytes) if it is well-formed UTF-8 without control
 *  characters. \returns >= 0; -EINVAL */
int holder_utf8_chars(const char *s, size_t len);
/*! Whether \a email (not empty) is an address as above. */
bool holder_email_ok(const char *email);
/*! Check every field of \a h. \returns 0; -EINVAL with \a err naming the field and the rule */
int holder_check(const struct otad_holder *h, char *err, size_t errlen);

/*! Check a CSV header record (without its line end; a byte-order mark is skipped). \returns 0; -EINVAL */
int holder_csv_header(const char *rec, size_t len);
/*! Parse and check one data record (without its line end) into \a h. \returns 0; -EINVAL with \a reason */
int holder_csv_line(const char *rec, size_t len, struct otad_holder *h, char *reason, size_t reason_len);
