/* The organisation tree's reference data: the units (provinces, the communes, wards and special zones under them,
 * and the central and provincial bodies) read from the repository's data/provinces.json, data/wards.json and
 * data/central-units.json into the units table (otad_db.h, version 9; otad_db_v14_units.h), at simpki-otad's
 * start, when the table is empty or the files changed since they were last loaded (meta units_sha256: SHA-256 over
 * the three files, in that order; central-units.json may be absent). The files (data/README.md):
 *
 *   provinces.json      [{"code": "01", "name": "Hà Nội", "unit": "Province/City"}, ...]               34 of them
 *   wards.json          [{"code": "10101003", "name": "Phường Ba Đình", "province_code": "01", ...}, ...]  3,321
 *   central-units.json  [{"code": "9101", "name": "Bộ Công an", "kind": "ministry", "parent": null}, ...]   47
 *
 * Every code 1 to OTAD_UNIT_CODE_MAX digits, unique; every name well-formed UTF-8, 1 to 255 bytes; a ward's
 * province among the provinces; a central unit's kind one of ministry, party-office, department (checked here),
 * its parent null (a root) or a unit before it. A file is read whole (at most OTAD_UNITS_FILE_MAX bytes): it is
 * reference data shipped with the daemon, not input from a client.
 *
 * The loader never undoes a unit change (unit_change.h): a unit that a change touched (it has rows in
 * unit_history) or that ended (valid_to set) keeps what the changes made of it when the files change again; the
 * files only add units and update the untouched ones (otad_db_units_put()).
 *
 * Unit changes in the daemon (otad_unit_sched.c): otad_unit_change_submit() files a change (applied at once when
 * its effective time is now or past) and otad_unit_changes_start() applies the changes that fell due while the
 * daemon was down and arms a timer for the next one.
 */
#pragma once
#include <stddef.h>

#include "otad_db.h"

#define OTAD_UNITS_FILE_MAX (16u << 20)

/*! Load the units from \a dir when needed (see above). \returns how many units were written (0: the table was
 *  up to date); -ENOENT (a file missing); -EFBIG; -EBADMSG (not as above: \a err says where); -ENOMEM; -EIO */
int otad_units_load(struct otad_db *db, const char *dir, char *err, size_t errlen);

struct otad_actor;
struct unit_change;
/*! File change \a ch (checked against the tree as it is now) for \a who, audited; applied at once when its
 *  effective time has come, else when it comes. \a detail is the change as JSON (unit_change_json()). \returns 0
 *  with *id; -EINVAL (it does not fit the tree: \a err says why; nothing filed); -EPIPE (the audit record could not
 *  be written: nothing filed); -EIO */
int otad_unit_change_submit(const struct otad_actor *who, const struct unit_change *ch, int64_t *id, char *err,
			    size_t errlen);
/*! Apply the changes due (those whose time came while the daemon was down) and arm the timer for the next one.
 *  \returns how many were applied; -EIO */
int otad_unit_changes_start(void);
