/* simpki-otad's database: requests (tables requests and request_holders, schema version 14; the format is
 * otad_db_v14_requests.h, the states request/request.h). Transitions are stored by the engine (request/request.c)
 * inside otad_db_request_begin() ... commit() with their audit record; nothing here decides whether one is allowed
 * but the conditional update (a request changes only from the state the caller saw). */
#pragma once
#include <stdint.h>

#include "otad_db.h"
#include "request/request.h"

/*! A transaction (a SAVEPOINT: the audit record written inside it is part of it). \returns 0; -EIO */
int otad_db_request_begin(struct otad_db *db);
int otad_db_request_commit(struct otad_db *db);
void otad_db_request_rollback(struct otad_db *db);

/*! Store new request \a rq (kind, state, unit, filed_*, params, documents; its id is set) with its \a n holders.
 *  \returns 0; -EIO */
int otad_db_request_insert(struct otad_db *db, struct otad_request *rq, const char (*holders)[OTAD_HOLDER_ID_MAX + 1],
			   size_t n);
/*! \returns 0; -ENOENT; -EIO */
int otad_db_request_get(struct otad_db *db, int64_t id, struct otad_request *rq);
/*! Move request \a id from \a from to \a to at \a now; \a decided_by, \a reason (NULL: unchanged) and \a op (0:
 *  unchanged) with it. \returns 0; -ESTALE (it is not in \a from); -EIO */
int otad_db_request_set_state(struct otad_db *db, int64_t id, enum otad_request_state from, enum otad_request_state to,
			      const char *decided_by, const char *reason, int64_t op, int64_t now);
/*! A page of requests, newest first. \returns how many; -EIO */
int otad_db_requests_list(struct otad_db *db, const struct otad_request_filter *f,
			  void (*cb)(const struct otad_request *rq, void *priv), void *priv);
/*! Every request in \a state, oldest first. \returns how many; -EIO */
int otad_db_requests_in_state(struct otad_db *db, enum otad_request_state state,
			      void (*cb)(const struct otad_request *rq, void *priv), void *priv);
/*! Request \a id's holders by id, at most \a max (0: all), each with its item (the enrolment or PIN reset started
 *  for it, 0: none) and result (NULL: none yet; "done"; "failed: ..."). \returns how many; -EIO */
int otad_db_request_holders(struct otad_db *db, int64_t id, unsigned max,
			    void (*cb)(const char *holder, int64_t item, const char *result, void *priv), void *priv);
/*! The holders of \a unit and every unit under it, by id, with their units; at most \a max. \returns how many;
 *  -E2BIG (more than \a max); -EIO */
int otad_db_request_unit_holders(struct otad_db *db, const char *unit, size_t max,
				 void (*cb)(const char *holder, const char *unit, void *priv), void *priv);
/*! Holder \a holder's newest active card. \returns 0; -ENOENT; -EIO */
int otad_db_request_holder_card(struct otad_db *db, const char *holder, char iccid[21]);
/*! Set the item started for \a holder of request \a id (\a item 0: none) and its result (NULL: running). \returns 0;
 *  -EIO */
int otad_db_request_item_set(struct otad_db *db, int64_t id, const char *holder, int64_t item, const char *result);
/*! Item \a item of an executing (or approved) request of \a kind ended with \a result; request \a id (0: whichever
 *  has it). \returns 0 with *request; -ENOENT (no request has it); -EIO */
int otad_db_request_item_end(struct otad_db *db, int64_t id, enum otad_request_kind kind, int64_t item,
			     const char *result, int64_t *request);
/*! Request \a id's items: how many have no result yet, how many failed, the first failure's result. \returns 0;
 *  -EIO */
int otad_db_request_items_count(struct otad_db *db, int64_t id, int64_t *open, int64_t *failed, char *first,
				size_t firstlen);

/* One row of the statistics: the requests of one unit (the unit asked about's child, or the unit itself). */
struct otad_request_stat {
	char unit[OTAD_UNIT_CODE_MAX + 1]; /* "": requests of the whole tree */
	char name[OTAD_HOLDER_NAME_MAX * 4 + 1];
	int64_t counts[OTAD_REQ_N_STATES];
	int64_t open_1d, open_7d, open_older; /* open requests filed under 1 day ago, 1 to 7 days, over 7 days */
	int64_t oldest_id, oldest_ms;	      /* the open request filed first; 0: none */
};
/*! The requests under \a unit (NULL: the whole tree), one row per unit directly under it (or \a unit itself for its
 *  own requests), by unit code, ages at \a now. \returns how many rows; -EIO */
int otad_db_request_stats(struct otad_db *db, const char *unit, int64_t now,
			  void (*cb)(const struct otad_request_stat *s, void *priv), void *priv);
