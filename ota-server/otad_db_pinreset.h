/* simpki-otad's database: remote PIN resets (table pin_resets, schema version 14: otad_db_v14_pinreset.h) and the
 * scrub of a job's script that carried a secret. Only otad_db_pinreset.c runs their SQL. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otad_db.h"

/* One reset as stored. Never the PIN. */
struct otad_pin_reset_row {
	int64_t id;
	char holder[OTAD_HOLDER_ID_MAX + 1];
	char iccid[21];
	char mode[16];	 /* otad_pin_reset_mode_names */
	char state[16];	 /* "job", "notify", "done", "failed" */
	int64_t job;	 /* 0: none yet */
	int64_t request; /* 0: none */
	char by[65];
	int64_t created_ms, updated_ms;
	char error[192]; /* "" : none */
};

/*! Store a new reset (its id and times are set). \returns 0; -EBUSY (a reset of that card is not over); -EIO */
int otad_db_pin_reset_insert(struct otad_db *db, struct otad_pin_reset_row *r);
/*! Store \a r's state, job and error (updated_ms is set). \returns 0; -ENOENT; -EIO */
int otad_db_pin_reset_update(struct otad_db *db, struct otad_pin_reset_row *r);
/*! \returns 0; -ENOENT; -EIO */
int otad_db_pin_reset_get(struct otad_db *db, int64_t id, struct otad_pin_reset_row *r);
/*! Call \a cb for the resets, newest first, at most \a max (0: all); \a open: only those not over (oldest first).
 *  \returns how many; -EIO */
int otad_db_pin_resets_list(struct otad_db *db, bool open, unsigned max,
			    void (*cb)(const struct otad_pin_reset_row *r, void *priv), void *priv);
/*! Overwrite job \a job's stored script with zeros of the same length, clear its PoR's data (por_response,
 *  por_last_data), and checkpoint the WAL so the old pages leave it (best effort). \returns 0; -ENOENT; -EIO */
int otad_db_job_scrub(struct otad_db *db, int64_t job);
