/* STUB until the lifecycle engine lands. */
#include <errno.h>
#include <stdio.h>

#include "lifecycle/lifecycle.h"

const char *const otad_lc_kind_names[OTAD_LC_N_KINDS] = { "modify", "renew", "rekey", "revoke", "suspend", "release" };
void (*otad_lc_on_end)(int64_t op, int64_t request, int64_t ok, int64_t failed);

int otad_lc_create(const struct otad_actor *who, const struct otad_lc_params *p, const struct otad_lc_select *sel,
		   int64_t *id, char *err, size_t errlen)
{
	(void)who, (void)p, (void)sel, (void)id;
	snprintf(err, errlen, "lifecycle operations are not built yet");
	return -ENOSYS;
}

int otad_lc_pause(int64_t id)
{
	(void)id;
	return -ENOENT;
}

int otad_lc_resume(int64_t id)
{
	(void)id;
	return -ENOENT;
}

int otad_lc_cancel(int64_t id)
{
	(void)id;
	return -ENOENT;
}
