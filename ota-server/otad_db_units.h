/* The organisation tree in simpki-otad's database beyond otad_db.h's basics: reading the tree (a unit's path,
 * children, its subtree's holders, lists by kind), its changes (unit_change.h) filed, applied and listed, and the
 * units' history (otad_db_v14_units.h). Implemented in otad_db_units.c, the only file with their SQL.
 *
 * Applying a change is one transaction: each unit it alters first has its row as it was copied into unit_history
 * (valid_to: the change's effective time), then takes its new state with valid_from the effective time. A change
 * whose effective time is now or past when it is filed is applied in the filing transaction (a change that does not
 * fit the tree is then not filed at all); a future one is checked against the tree when filed and again when it
 * falls due; one that no longer fits then is marked failed (error) and never applied.
 */
#pragma once
#include <stdint.h>

#include "otad_db.h"
#include "unit_change.h"

enum otad_unit_change_state {
	OTAD_UNIT_CHANGE_PENDING, /* filed, its time not yet come */
	OTAD_UNIT_CHANGE_APPLIED,
	OTAD_UNIT_CHANGE_FAILED, /* it fell due and did not fit the tree any more */
};
extern const char *const otad_unit_change_state_names[3]; /* "pending", "applied", "failed" */

/* A change as stored (valid during the callback only). */
struct otad_unit_change_row {
	int64_t id;
	enum unit_change_kind kind;
	enum otad_unit_change_state state;
	int64_t effective_ms, created_ms, applied_ms; /* applied_ms 0: not yet (or failed: when it was tried) */
	const char *by;				      /* the actor */
	const char *detail;			      /* the change as filed (unit_change_json()) */
	const char *error;			      /* "": none */
	int64_t units_affected, holders_affected;     /* -1 until applied */
};
typedef void (*otad_unit_change_cb)(const struct otad_unit_change_row *r, void *priv);

/*! File change \a ch by \a by at \a now_ms (its effective time: ch->effective_ms, or \a now_ms when 0): checked
 *  against the tree, stored, and applied in the same transaction when it is due. \returns 0 with *id; -EINVAL (it
 *  does not fit the tree: \a err says why; nothing stored); -EIO */
int otad_db_unit_change_file(struct otad_db *db, const struct unit_change *ch, const char *by, int64_t now_ms,
			     int64_t *id, char *err, size_t errlen);
/*! Apply pending change \a id now (\a now_ms). \returns 0; -ENOENT; -EALREADY (applied or failed before); -EINVAL
 *  (it does not fit the tree: marked failed, \a err says why); -EIO */
int otad_db_unit_change_apply(struct otad_db *db, int64_t id, int64_t now_ms, char *err, size_t errlen);
/*! The pending change due first: *id and its effective time. \returns 1; 0 (none pending); -EIO */
int otad_db_unit_change_next(struct otad_db *db, int64_t *id, int64_t *effective_ms);
/*! \returns 0 after calling \a cb once; -ENOENT; -EIO */
int otad_db_unit_change_get(struct otad_db *db, int64_t id, otad_unit_change_cb cb, void *priv);
/*! The changes, newest first, those with an id below \a before_id (0: from the newest), at most \a limit.
 *  \returns how many; -EIO */
int otad_db_unit_changes_list(struct otad_db *db, int64_t before_id, unsigned limit, otad_unit_change_cb cb,
			      void *priv);

/*! The versions of unit \a code before each change that altered it, oldest first (u.valid_to_ms: when that
 *  version ended; \a change: the change that ended it). \returns how many; -EIO */
int otad_db_unit_history(struct otad_db *db, const char *code,
			 void (*cb)(const struct otad_unit *u, int64_t change, void *priv), void *priv);
/*! Unit \a code and its ancestors, from the root down to it. \returns how many; -ENOENT; -EIO */
int otad_db_unit_path(struct otad_db *db, const char *code, void (*cb)(const struct otad_unit *u, void *priv),
		      void *priv);

/* A page of current units (not ended), by code. */
struct otad_unit_filter {
	const char *parent;	/* NULL: any parent (with kind), or the roots (without) */
	int kind;		/* -1: any */
	const char *after_code; /* the cursor; NULL: from the first */
	unsigned limit;
};
/*! \returns how many; -EIO */
int otad_db_units_list(struct otad_db *db, const struct otad_unit_filter *f,
		       void (*cb)(const struct otad_unit *u, void *priv), void *priv);
/*! \returns how many current children \a code has; -EIO */
int64_t otad_db_unit_children_count(struct otad_db *db, const char *code);
/*! Holder \a id moves to unit \a unit (a holder moves): holders.unit and updated_at (\a now_ms). The unit must be
 *  current. \returns 0 (also when it is there already); -ENOENT (no such holder); -ENXIO (no such unit); -ESTALE
 *  (the unit ended through a change: *successor, OTAD_UNIT_CODE_MAX + 1 bytes, is what it went into, "" none); -EIO */
int otad_db_holder_move(struct otad_db *db, const char *id, const char *unit, int64_t now_ms, char *successor);
/*! \returns how many holders unit \a code and everything under it have; -EIO */
int64_t otad_db_unit_holders_count(struct otad_db *db, const char *code);
/*! A page of the holders of unit \a code and everything under it, by id, after \a after_id (NULL: from the first).
 *  \returns how many; -EIO */
int otad_db_unit_holders(struct otad_db *db, const char *code, const char *after_id, unsigned limit,
			 void (*cb)(const struct otad_holder *h, void *priv), void *priv);
