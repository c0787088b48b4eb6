/* simpki-otad's operator API: the organisation tree's query parameters (api_parse.h), every length bounded:
 *
 *   GET /v1/units?kind=KIND&parent=CODE&limit=N&cursor=CODE   KIND: otad_unit_kind_names; CODE: 1 to 15 digits
 *   GET /v1/units/{code}/children|holders, /v1/units/changes: limit=N&cursor=C (a code, a holder id, an id)
 *
 * limit 1 to API_LIMIT_MAX (default API_LIMIT_DEFAULT). Unknown parameters, or one given twice, are refused. The
 * change bodies are unit_change.h's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/ident.h>

#include "api_parse.h"
#include "holder.h"
#include "otad_db_units.h"

static bool twice(const struct api_kv *kv, unsigned i)
{
	for (unsigned k = 0; k < i; k++)
		if (!strcmp(kv[k].key, kv[i].key))
			return true;
	return false;
}

static int limit_of(const char *v, unsigned *limit, char *err, size_t errlen)
{
	if (!ident_digits(v, 1, 4) || atoi(v) < 1 || atoi(v) > API_LIMIT_MAX) {
		snprintf(err, errlen, "limit: 1 to %d", API_LIMIT_MAX);
		return -EINVAL;
	}
	*limit = (unsigned)atoi(v);
	return 0;
}

int api_page_query(const struct api_kv *kv, unsigned n, enum api_cursor_kind kind, char *cursor, size_t max,
		   unsigned *limit, char *err, size_t errlen)
{
	*limit = API_LIMIT_DEFAULT;
	cursor[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value ? kv[i].value : "";

		if (twice(kv, i)) {
			snprintf(err, errlen, "%.32s: given twice", k);
			return -EINVAL;
		}
		if (!strcmp(k, "limit")) {
			if (limit_of(v, limit, err, errlen))
				return -EINVAL;
		} else if (!strcmp(k, "cursor")) {
			bool ok = kind == API_CURSOR_UNIT   ? ident_digits(v, 1, OTAD_UNIT_CODE_MAX) :
				  kind == API_CURSOR_HOLDER ? holder_id_ok(v) :
							      ident_digits(v, 1, 18);

			if (!ok || strlen(v) >= max) {
				snprintf(err, errlen, "cursor: the next_cursor of the page before");
				return -EINVAL;
			}
			memcpy(cursor, v, strlen(v) + 1);
		} else {
			snprintf(err, errlen, "unknown parameter '%.32s' (limit, cursor)", k);
			return -EINVAL;
		}
	}
	return 0;
}

int api_units_query(const struct api_kv *kv, unsigned n, struct otad_unit_filter *f,
		    char parent[OTAD_UNIT_CODE_MAX + 1], char cursor[OTAD_UNIT_CODE_MAX + 1], char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->kind = -1;
	f->limit = API_LIMIT_DEFAULT;
	for (unsigned i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value ? kv[i].value : "";

		if (twice(kv, i)) {
			snprintf(err, errlen, "%.32s: given twice", k);
			return -EINVAL;
		}
		if (!strcmp(k, "limit")) {
			if (limit_of(v, &f->limit, err, errlen))
				return -EINVAL;
		} else if (!strcmp(k, "kind")) {
			for (int j = 0; j < OTAD_UNIT_N_KINDS; j++)
				if (!strcmp(v, otad_unit_kind_names[j]))
					f->kind = j;
			if (f->kind < 0) {
				snprintf(err, errlen, "kind: province, ward, ministry, party-office or department");
				return -EINVAL;
			}
		} else if (!strcmp(k, "parent") || !strcmp(k, "cursor")) {
			char *out = k[0] == 'p' ? parent : cursor;

			if (!ident_digits(v, 1, OTAD_UNIT_CODE_MAX)) {
				snprintf(err, errlen, "%s: a unit code (1 to %d digits)", k, OTAD_UNIT_CODE_MAX);
				return -EINVAL;
			}
			memcpy(out, v, strlen(v) + 1);
			if (out == parent)
				f->parent = parent;
			else
				f->after_code = cursor;
		} else {
			snprintf(err, errlen, "unknown parameter '%.32s' (kind, parent, limit, cursor)", k);
			return -EINVAL;
		}
	}
	return 0;
}
