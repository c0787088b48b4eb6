/* The audit record of the VTY's commands that change something (otad_vty.h): the VTY acts as otad_actor_vty (admin,
 * the whole tree); its record is written before the command acts, and a command whose record cannot be written does
 * nothing (fail closed, as the API's 503 audit-unavailable). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "otad.h"
#include "otad_vty.h"

bool otad_vty_audit(struct vty *vty, const char *action, const char *object_fmt, ...)
{
	const char *line = vty->buf ? vty->buf : "";
	char object[160];
	va_list ap;

	va_start(ap, object_fmt);
	vsnprintf(object, sizeof(object), object_fmt, ap);
	va_end(ap);
	if (!otad_audit(&otad_actor_vty, action, object, "accepted", "%.200s", line))
		return true;
	LOGP(DOTAD, LOGL_ERROR, "VTY: %s on %s: the audit record could not be written: nothing done\n", action, object);
	vty_out(vty, "%% the audit trail cannot be written: nothing was done%s", VTY_NEWLINE);
	return false;
}
