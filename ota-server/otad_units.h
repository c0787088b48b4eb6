/* The organisation tree's reference data: the units (provinces, and the communes, wards and special zones under
 * them) read from the repository's data/provinces.json and data/wards.json into the units table (otad_db.h,
 * version 9), at simpki-otad's start, when the table is empty or the files changed since they were last loaded
 * (meta units_sha256: SHA-256 over both files). The files (data/README.md):
 *
 *   provinces.json  [{"code": "01", "name": "Hà Nội", "unit": "Province/City"}, ...]               34 of them
 *   wards.json      [{"code": "10101003", "name": "Phường Ba Đình", "province_code": "01", ...}, ...]  3,321
 *
 * Every code 1 to OTAD_UNIT_CODE_MAX digits, unique; every name well-formed UTF-8, 1 to 255 bytes; a ward's
 * province among the provinces. A file is read whole (at most OTAD_UNITS_FILE_MAX bytes): it is reference data
 * shipped with the daemon, not input from a client.
 */
#pragma once
#include <stddef.h>

#include "otad_db.h"

#define OTAD_UNITS_FILE_MAX (16u << 20)

/*! Load the units from \a dir when needed (see above). \returns how many units were written (0: the table was
 *  up to date); -ENOENT (a file missing); -EFBIG; -EBADMSG (not as above: \a err says where); -ENOMEM; -EIO */
int otad_units_load(struct otad_db *db, const char *dir, char *err, size_t errlen);
