/* STUB until the audit trail lands: records nothing. */
#include "audit/audit.h"

int otad_audit(const struct otad_actor *who, const char *action, const char *object, const char *result,
	       const char *fmt, ...)
{
	(void)who;
	(void)action;
	(void)object;
	(void)result;
	(void)fmt;
	return 0;
}
