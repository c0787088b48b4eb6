/* Per-client request limits (api_ratelimit.h). */
#include <string.h>

#include <osmocom/core/talloc.h>

#include "api_ratelimit.h"

#define PROBE 8

struct slot {
	uint8_t key[32];
	int64_t sec;
	unsigned n;
};

struct api_ratelimit {
	struct slot slots[API_RATELIMIT_SLOTS];
};

struct api_ratelimit *api_ratelimit_alloc(void *ctx)
{
	return talloc_zero(ctx, struct api_ratelimit);
}

bool api_ratelimit_take(struct api_ratelimit *rl, const uint8_t key[32], unsigned limit, int64_t now_s)
{
	unsigned h = ((unsigned)key[0] << 8 | key[1]) % API_RATELIMIT_SLOTS; /* keys are hashes already */
	struct slot *use = NULL, *least = NULL;

	if (!limit)
		return true;
	for (unsigned i = 0; i < PROBE; i++) {
		struct slot *s = &rl->slots[(h + i) % API_RATELIMIT_SLOTS];

		if (!memcmp(s->key, key, 32) && s->sec) {
			use = s;
			break;
		}
		if (s->sec != now_s) { /* free, or last used in an earlier second: take it */
			if (!use || use->sec == now_s)
				use = s;
			continue;
		}
		if (!least || s->n < least->n)
			least = s;
	}
	if (!use)
		use = least;
	if (memcmp(use->key, key, 32) || use->sec != now_s) {
		if (use->sec != now_s) {
			memcpy(use->key, key, 32);
			use->n = 0;
		}
		use->sec = now_s;
	}
	return ++use->n <= limit;
}
