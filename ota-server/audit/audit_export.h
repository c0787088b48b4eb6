/* The audit trail's export for an outside auditor: JSON lines (application/x-ndjson), one object a line:
 *   every record, in the order of seq:
 *     {"type":"record","seq":N,"at":MS,"actor":"..","role":"..","scope":"..","action":"..","object":"..",
 *      "result":"..","detail":"..","prev":"HEX64","hash":"HEX64"}
 *   then every checkpoint, in the order of seq:
 *     {"type":"checkpoint","id":N,"seq":N,"at":MS,"hash":"HEX64","signature":"HEX (DER)","key_id":"HEX64"}
 *   then the audit public key:
 *     {"type":"key","key_id":"HEX64","pem":"-----BEGIN PUBLIC KEY-----\n..."}
 * Hex is lower case on output, either case on input. The reader bounds every line (AUDIT_LINE_MAX) and field (the
 * sizes of audit_record.h): an export is outside input.
 */
#pragma once
#include <stddef.h>

#include "audit_record.h"

#define AUDIT_LINE_MAX 8192
#define AUDIT_PEM_MAX 1024

/*! One line (with its '\n') for a record, a checkpoint, the key; malloc'd, the caller frees. NULL: out of memory */
char *audit_export_record(const struct audit_record *r);
char *audit_export_checkpoint(const struct audit_checkpoint *cp);
char *audit_export_key(const char *key_id, const char *pem);

enum audit_line_type {
	AUDIT_LINE_RECORD,
	AUDIT_LINE_CHECKPOINT,
	AUDIT_LINE_KEY,
};

struct audit_line {
	enum audit_line_type type;
	struct audit_record rec;	   /* AUDIT_LINE_RECORD */
	struct audit_checkpoint cp;	   /* AUDIT_LINE_CHECKPOINT */
	char key_id[AUDIT_KEY_ID_LEN + 1]; /* AUDIT_LINE_KEY */
	char pem[AUDIT_PEM_MAX];
};

/*! Read one line of an export (\a len bytes, without its '\n') into \a out. \returns 0; -EINVAL with \a err */
int audit_export_parse(const char *line, size_t len, struct audit_line *out, char *err, size_t errlen);
