/* The requests' names and state table (request.h is the spec), four eyes, and the common unit of holders. Pure: no
 * I/O but the parent callback of otad_request_common_unit(). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "request.h"

const char *const otad_request_kind_names[OTAD_REQ_N_KINDS] = {
	[OTAD_REQ_NEW_CERTIFICATE] = "new-certificate",
	[OTAD_REQ_MODIFY] = "modify",
	[OTAD_REQ_RENEW] = "renew",
	[OTAD_REQ_REKEY] = "rekey",
	[OTAD_REQ_REVOKE] = "revoke",
	[OTAD_REQ_SUSPEND] = "suspend",
	[OTAD_REQ_RELEASE] = "release",
	[OTAD_REQ_PIN_RESET] = "pin-reset",
};

const char *const otad_request_state_names[OTAD_REQ_N_STATES] = {
	[OTAD_REQ_FILED] = "filed",	    [OTAD_REQ_APPROVED] = "approved", [OTAD_REQ_EXECUTING] = "executing",
	[OTAD_REQ_DONE] = "done",	    [OTAD_REQ_FAILED] = "failed",     [OTAD_REQ_REJECTED] = "rejected",
	[OTAD_REQ_WITHDRAWN] = "withdrawn",
};

#define S(x) (1u << OTAD_REQ_##x)
/* The state table: from each state, the states it may go to. */
static const unsigned out_mask[OTAD_REQ_N_STATES] = {
	[OTAD_REQ_FILED] = S(APPROVED) | S(REJECTED) | S(WITHDRAWN),
	[OTAD_REQ_APPROVED] = S(EXECUTING) | S(FAILED),
	[OTAD_REQ_EXECUTING] = S(DONE) | S(FAILED),
	[OTAD_REQ_DONE] = 0,
	[OTAD_REQ_FAILED] = 0,
	[OTAD_REQ_REJECTED] = 0,
	[OTAD_REQ_WITHDRAWN] = 0,
};
#undef S

static int name_of(const char *name, const char *const *names, int n)
{
	for (int i = 0; name && i < n; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -EINVAL;
}

int otad_request_kind_of(const char *name)
{
	return name_of(name, otad_request_kind_names, OTAD_REQ_N_KINDS);
}

int otad_request_state_of(const char *name)
{
	return name_of(name, otad_request_state_names, OTAD_REQ_N_STATES);
}

bool otad_request_may_go(enum otad_request_state from, enum otad_request_state to)
{
	if ((unsigned)from >= OTAD_REQ_N_STATES || (unsigned)to >= OTAD_REQ_N_STATES)
		return false;
	return out_mask[from] & (1u << to);
}

bool otad_request_state_final(enum otad_request_state s)
{
	return (unsigned)s < OTAD_REQ_N_STATES && !out_mask[s];
}

bool otad_request_state_open(enum otad_request_state s)
{
	return s == OTAD_REQ_FILED || s == OTAD_REQ_APPROVED || s == OTAD_REQ_EXECUTING;
}

bool otad_request_kind_changes_cert(enum otad_request_kind kind)
{
	return kind != OTAD_REQ_PIN_RESET;
}

bool otad_request_four_eyes_ok(const char *filed_by, const char *decider)
{
	return filed_by && decider && strcmp(filed_by, decider) != 0;
}

#define DEPTH_MAX 16

/* \a unit's chain from the top down into \a chain; its length into *n. \returns 0; -ENOENT; -EIO; -EINVAL */
static int chain_of(const char *unit, int (*parent)(const char *, char *, void *), void *priv,
		    char chain[DEPTH_MAX][OTAD_UNIT_CODE_MAX + 1], unsigned *n)
{
	char up[DEPTH_MAX][OTAD_UNIT_CODE_MAX + 1];
	unsigned k = 0;
	int rc;

	snprintf(up[0], sizeof(up[0]), "%s", unit);
	while (up[k][0]) {
		if (k + 1 == DEPTH_MAX)
			return -EINVAL;
		rc = parent(up[k], up[k + 1], priv);
		if (rc)
			return rc;
		k++;
	}
	for (unsigned i = 0; i < k; i++)
		memcpy(chain[i], up[k - 1 - i], sizeof(chain[i]));
	*n = k;
	return 0;
}

int otad_request_common_unit(const char *const *units, size_t n,
			     int (*parent)(const char *unit, char out[OTAD_UNIT_CODE_MAX + 1], void *priv), void *priv,
			     char out[OTAD_UNIT_CODE_MAX + 1])
{
	char common[DEPTH_MAX][OTAD_UNIT_CODE_MAX + 1], chain[DEPTH_MAX][OTAD_UNIT_CODE_MAX + 1];
	unsigned nc = 0, nchain;
	const char *last = NULL;
	int rc;

	out[0] = 0;
	if (!n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!units[i] || !units[i][0])
			return -EINVAL;
		if (last && !strcmp(last, units[i]))
			continue; /* holders of one unit come together: its chain is known */
		rc = chain_of(units[i], parent, priv, chain, &nchain);
		if (rc)
			return rc;
		if (!last) {
			memcpy(common, chain, sizeof(chain));
			nc = nchain;
		} else {
			unsigned k = 0;

			while (k < nc && k < nchain && !strcmp(common[k], chain[k]))
				k++;
			nc = k;
		}
		last = units[i];
	}
	if (nc)
		snprintf(out, OTAD_UNIT_CODE_MAX + 1, "%s", common[nc - 1]);
	return 0;
}
