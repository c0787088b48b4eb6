/* Per-client request limits of the operator API: a fixed one-second window per key (the SHA-256 of a token, or of
 * a client address for requests without a valid token), so one client's flood uses up only its own allowance.
 * The table has a fixed number of slots (no allocation per client); a key finds its slot by hash with a short
 * probe; when every probed slot belongs to another key active in this second, the key shares the least used one
 * (only thousands of distinct clients within one second get there).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define API_RATELIMIT_SLOTS 4096

struct api_ratelimit;

struct api_ratelimit *api_ratelimit_alloc(void *ctx);
/*! Count a request of \a key in second \a now_s. \returns true while it is within \a limit per second (0: no
 *  limit) */
bool api_ratelimit_take(struct api_ratelimit *rl, const uint8_t key[32], unsigned limit, int64_t now_s);
