/* Certificate lifecycle operations over many holders (RFC 3647 §4.6-4.9): one operation is one kind of act applied
 * to a selection of holders' certificates, run like a campaign (pause, resume, cancel, progress, restart-safe).
 * lifecycle.c implements it; the state tables there are the spec (docs/lifecycle.md).
 *
 *   kind      per item (a certificate, its holder and SIM)
 *   modify    change of subject, same key: CMP kur (same key, purpose modification) with the holder's subject as it
 *             is now (the tree after its changes), the new certificate loaded on the SIM and read back, then the
 *             old one revoked (affiliationChanged, or the operation's reason)
 *   renew     same key, new validity (purpose renewal; the CA's profile limits it), loaded, then the old revoked
 *             (superseded)
 *   rekey     a new key generated on the SIM, its certificate (p10cr, the SIM's own request), then the old revoked
 *             (superseded)
 *   revoke    rr with the operation's reason (keyCompromise: the key is never certified again)
 *   suspend   rr certificateHold
 *   release   rr removeFromCRL (lifts a hold)
 * Never twice: an item's CMP transactionID is made and stored before its first request (the CA answers a repeat
 * with the same certificate), each state is stored before its step sends anything, and a certificate is in at most
 * one unfinished item (otad_db_v14_lifecycle.h). A key once revoked for keyCompromise is refused before any request.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otad_perm.h"

enum otad_lc_kind {
	OTAD_LC_MODIFY,
	OTAD_LC_RENEW,
	OTAD_LC_REKEY,
	OTAD_LC_REVOKE,
	OTAD_LC_SUSPEND,
	OTAD_LC_RELEASE,
	OTAD_LC_N_KINDS,
};
extern const char *const otad_lc_kind_names[OTAD_LC_N_KINDS]; /* "modify", "renew", ... */

/* Which certificates an operation acts on: the newest certificate in force (loaded or issued, not revoked) of each
 * holder selected; exactly one of these. */
struct otad_lc_select {
	const char *const *holders; /* holder ids */
	size_t n_holders;
	const char *unit;    /* every holder of this unit and its subtree */
	int64_t unit_change; /* every holder of the units a unit change touched (otad_db_unit_change_affected()) */
	const char *const *serials; /* certificates by serial (hex) */
	size_t n_serials;
};

struct otad_lc_params {
	enum otad_lc_kind kind;
	const char *name; /* UTF-8, for people; NULL: made from the kind and date */
	int reason;	  /* CRLReason of revoke (and of the old certificate's revocation in modify); -1: the kind's */
	unsigned concurrency; /* 0: the configuration's */
	int64_t request;      /* the request it executes (request.h); 0: none */
};

/*! Make operation \a p over \a sel on behalf of \a who (every item's holder must be inside who's scope for the
 *  kind's action: otherwise nothing is made, -EPERM) and start it. \returns 0 with *id; -EINVAL, -ENOENT,
 *  -EAGAIN (the unit change selected is not applied: pending or failed), -ENODATA (nothing selected), -EPERM,
 *  -EIO; \a err says why */
int otad_lc_create(const struct otad_actor *who, const struct otad_lc_params *p, const struct otad_lc_select *sel,
		   int64_t *id, char *err, size_t errlen);
/*! Pause, resume, cancel. \returns 0; -ENOENT; -EALREADY; -EIO */
int otad_lc_pause(int64_t id);
int otad_lc_resume(int64_t id);
int otad_lc_cancel(int64_t id);

/*! Called when an operation is over (done or cancelled) with how many items ended well and badly; one hook (the
 *  requests module sets it). */
extern void (*otad_lc_on_end)(int64_t op, int64_t request, int64_t ok, int64_t failed);
