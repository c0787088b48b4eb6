/* Loading the organisation tree's units from the repository's JSON files (otad_units.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "holder.h"
#include "otad_units.h"

/* Read \a path whole into a malloc'd buffer. \returns 0; -ENOENT; -EFBIG; -ENOMEM */
static int slurp(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return -ENOENT;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -ENOENT;
	}
	if ((unsigned long)n > OTAD_UNITS_FILE_MAX) {
		fclose(f);
		return -EFBIG;
	}
	buf = malloc((size_t)n + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	*out = buf;
	return 0;
}

static bool code_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= OTAD_UNIT_CODE_MAX && strspn(s, "0123456789") == n;
}

/* Append the units of one file's JSON to \a u (\a n so far, room for \a max). \returns 0; -EBADMSG with \a err */
static int read_units(const char *file, const char *text, size_t len, enum otad_unit_kind kind, struct otad_unit *u,
		      size_t *n, size_t max, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *e;
	size_t i;
	int rc = 0;

	if (!json_is_array(root)) {
		snprintf(err, errlen, "%s: not a JSON array (%s, line %d)", file, root ? "" : jerr.text, jerr.line);
		json_decref(root);
		return -EBADMSG;
	}
	json_array_foreach(root, i, e)
	{
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *parent =
			kind == OTAD_UNIT_WARD ? json_string_value(json_object_get(e, "province_code")) : "";
		enum otad_unit_kind k = kind;

		if (kind == OTAD_UNIT_N_KINDS) { /* central-units.json: its own kind and parent */
			const char *kn = json_string_value(json_object_get(e, "kind"));
			json_t *pj = json_object_get(e, "parent");

			k = OTAD_UNIT_N_KINDS;
			for (int j = OTAD_UNIT_MINISTRY; kn && j < OTAD_UNIT_N_KINDS; j++)
				if (!strcmp(kn, otad_unit_kind_names[j]))
					k = (enum otad_unit_kind)j;
			parent = json_is_null(pj) ? "" : json_string_value(pj);
			if (k == OTAD_UNIT_N_KINDS || !parent || (parent[0] && !code_ok(parent))) {
				snprintf(err, errlen,
					 "%s: entry %zu: a kind (ministry, party-office or department) and a parent (a "
					 "code or null) expected",
					 file, i + 1);
				rc = -EBADMSG;
				break;
			}
		}

		if (*n == max || !code || !name || !parent || !code_ok(code) ||
		    (kind == OTAD_UNIT_WARD && !code_ok(parent)) || strlen(name) < 1 ||
		    strlen(name) >= sizeof(u->name) || holder_utf8_chars(name, strlen(name)) < 0) {
			snprintf(err, errlen, "%s: entry %zu: a code (digits), a name (UTF-8)%s expected", file, i + 1,
				 kind == OTAD_UNIT_WARD ? " and a province_code" : "");
			rc = -EBADMSG;
			break;
		}
		memset(&u[*n], 0, sizeof(u[*n]));
		snprintf(u[*n].code, sizeof(u[*n].code), "%s", code);
		snprintf(u[*n].name, sizeof(u[*n].name), "%s", name);
		snprintf(u[*n].parent, sizeof(u[*n].parent), "%s", parent);
		u[*n].kind = k;
		(*n)++;
	}
	json_decref(root);
	return rc;
}

int otad_units_load(struct otad_db *db, const char *dir, char *err, size_t errlen)
{
	static const char *const files[3] = { "provinces.json", "wards.json", "central-units.json" };
	char path[4096], *text[3] = { NULL, NULL, NULL }, hex[65], old[80];
	size_t len[3] = { 0, 0, 0 }, n = 0, max;
	uint8_t md[32];
	unsigned mdlen = 0;
	struct otad_unit *u = NULL;
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	int64_t have;
	int rc = 0;

	if (!sha)
		return -ENOMEM;
	EVP_DigestInit_ex(sha, EVP_sha256(), NULL);
	for (int i = 0; i < 3 && !rc; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		rc = slurp(path, &text[i], &len[i]);
		if (rc == -ENOENT && i == 2) /* central-units.json is optional */
			rc = 0;
		else if (rc)
			snprintf(err, errlen, "%s: %s", path, rc == -EFBIG ? "too large" : "cannot read it");
		else
			EVP_DigestUpdate(sha, text[i], len[i]);
	}
	EVP_DigestFinal_ex(sha, md, &mdlen);
	EVP_MD_CTX_free(sha);
	if (rc)
		goto out;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	have = otad_db_units_count(db, -1);
	if (have < 0) {
		rc = -EIO;
		snprintf(err, errlen, "database error");
		goto out;
	}
	if (have > 0 && !otad_db_meta_get(db, "units_sha256", old, sizeof(old)) && !strcmp(old, hex))
		goto out;				   /* up to date */
	max = len[0] / 16 + len[1] / 16 + len[2] / 16 + 1; /* every entry takes more than 16 bytes of JSON */
	u = calloc(max, sizeof(*u));
	if (!u) {
		rc = -ENOMEM;
		goto out;
	}
	rc = read_units(files[0], text[0], len[0], OTAD_UNIT_PROVINCE, u, &n, max, err, errlen);
	if (!rc)
		rc = read_units(files[1], text[1], len[1], OTAD_UNIT_WARD, u, &n, max, err, errlen);
	if (!rc && text[2]) /* parents before children: a central unit's parent is a province or one before it */
		rc = read_units(files[2], text[2], len[2], OTAD_UNIT_N_KINDS, u, &n, max, err, errlen);
	if (!rc) {
		rc = otad_db_units_put(db, u, n, hex);
		if (rc == -EINVAL)
			snprintf(err, errlen,
				 "%s: a ward's province_code, or %s: a parent, is not among the units before it",
				 files[1], files[2]);
		else if (rc)
			snprintf(err, errlen, "database error");
		rc = rc ? (rc == -EINVAL ? -EBADMSG : rc) : (int)n;
	}
out:
	free(u);
	free(text[0]);
	free(text[1]);
	free(text[2]);
	return rc;
}
