/* STUB until remote PIN resets land. */
#include <errno.h>
#include <stdio.h>

#include "pinreset/pinreset.h"

const char *const otad_pin_reset_mode_names[OTAD_PIN_RESET_N_MODES] = { "one-time-pin", "unblock" };
void (*otad_pin_reset_on_end)(int64_t id, int64_t request, int ok);

int otad_pin_reset_start(const struct otad_actor *who, const char *holder, const char *id_number,
			 enum otad_pin_reset_mode mode, int64_t request, int64_t *id, char *err, size_t errlen)
{
	(void)who, (void)holder, (void)id_number, (void)mode, (void)request, (void)id;
	snprintf(err, errlen, "remote PIN resets are not built yet");
	return -ENOSYS;
}
