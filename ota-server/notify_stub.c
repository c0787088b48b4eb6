/* STUB until holder notifications land. */
#include <errno.h>

#include "notify.h"

int otad_notify_holder(const char *holder, const char *text, bool secret)
{
	(void)holder, (void)text, (void)secret;
	return -ENOTCONN;
}
