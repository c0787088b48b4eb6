/* libFuzzer harness: a line of an audit trail export as 'simpki-admin audit verify --file' reads it
 * (ota-server/audit/audit_export.c). Checked: an accepted line's strings end within their buffers and are what the
 * writer would write again (a record or checkpoint written back and read again is the same struct); a checkpoint's
 * signature is 1 to AUDIT_SIG_MAX bytes; a refused line has a reason. A record is also fed to the verifier. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_export.h"
#include "audit_verify.h"
#include "fuzz.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-audit-line: %s\n", what);
	abort();
}

static void check_str(const char *s, size_t max, const char *what)
{
	if (!memchr(s, 0, max))
		die(what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct audit_line l, again;
	char err[160] = "", *w;

	if (audit_export_parse((const char *)data, size, &l, err, sizeof(err))) {
		if (!err[0])
			die("a refusal without a reason");
		return 0;
	}
	switch (l.type) {
	case AUDIT_LINE_RECORD:
		check_str(l.rec.actor, sizeof(l.rec.actor), "actor");
		check_str(l.rec.detail, sizeof(l.rec.detail), "detail");
		w = audit_export_record(&l.rec);
		break;
	case AUDIT_LINE_CHECKPOINT:
		if (!l.cp.sig_len || l.cp.sig_len > AUDIT_SIG_MAX)
			die("signature length");
		check_str(l.cp.key_id, sizeof(l.cp.key_id), "key_id");
		w = audit_export_checkpoint(&l.cp);
		break;
	default:
		check_str(l.pem, sizeof(l.pem), "pem");
		w = audit_export_key(l.key_id, l.pem);
		break;
	}
	if (!w)
		die("cannot write it back");
	if (audit_export_parse(w, strlen(w) - 1, &again, err, sizeof(err)))
		die("written back, it does not read");
	if (l.type == AUDIT_LINE_RECORD && memcmp(&l.rec, &again.rec, sizeof(l.rec)))
		die("a record read, written and read again differs");
	if (l.type == AUDIT_LINE_CHECKPOINT && memcmp(&l.cp, &again.cp, sizeof(l.cp)))
		die("a checkpoint read, written and read again differs");
	free(w);
	return 0;
}
