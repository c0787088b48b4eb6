/* The audit trail's export lines, written and read (format in audit_export.h), with jansson. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit_export.h"

static char *dump(json_t *o)
{
	char *s, *line = NULL;
	size_t n;

	if (!o)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return NULL;
	n = strlen(s);
	line = malloc(n + 2);
	if (line) {
		memcpy(line, s, n);
		line[n] = '\n';
		line[n + 1] = 0;
	}
	free(s);
	return line;
}

char *audit_export_record(const struct audit_record *r)
{
	char prev[2 * AUDIT_HASH_LEN + 1], hash[2 * AUDIT_HASH_LEN + 1];

	audit_hex(r->prev, AUDIT_HASH_LEN, prev);
	audit_hex(r->hash, AUDIT_HASH_LEN, hash);
	return dump(json_pack("{s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "record", "seq",
			      (json_int_t)r->seq, "at", (json_int_t)r->at, "actor", r->actor, "role", r->role, "scope",
			      r->scope, "action", r->action, "object", r->object, "result", r->result, "detail",
			      r->detail, "prev", prev, "hash", hash));
}

char *audit_export_checkpoint(const struct audit_checkpoint *cp)
{
	char hash[2 * AUDIT_HASH_LEN + 1], sig[2 * AUDIT_SIG_MAX + 1];

	audit_hex(cp->hash, AUDIT_HASH_LEN, hash);
	audit_hex(cp->sig, cp->sig_len, sig);
	return dump(json_pack("{s:s,s:I,s:I,s:I,s:s,s:s,s:s}", "type", "checkpoint", "id", (json_int_t)cp->id, "seq",
			      (json_int_t)cp->seq, "at", (json_int_t)cp->at, "hash", hash, "signature", sig, "key_id",
			      cp->key_id));
}

char *audit_export_key(const char *key_id, const char *pem)
{
	return dump(json_pack("{s:s,s:s,s:s}", "type", "key", "key_id", key_id, "pem", pem));
}

/* Member \a name of \a o, a string of fewer than \a max bytes, into \a out. */
static int text(json_t *o, const char *name, char *out, size_t max, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_string(v) || json_string_length(v) >= max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(err, errlen, "%s: a string of at most %zu bytes", name, max - 1);
		return -EINVAL;
	}
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int number(json_t *o, const char *name, int64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(err, errlen, "%s: a number, 0 or more", name);
		return -EINVAL;
	}
	*out = json_integer_value(v);
	return 0;
}

static int hexfield(json_t *o, const char *name, uint8_t *out, size_t len, char *err, size_t errlen)
{
	char s[2 * AUDIT_SIG_MAX + 1];

	if (text(o, name, s, sizeof(s), err, errlen) || audit_unhex(s, out, len)) {
		snprintf(err, errlen, "%s: %zu hex digits", name, 2 * len);
		return -EINVAL;
	}
	return 0;
}

static int members(json_t *o, const char *const *names, size_t n, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v)
	{
		size_t i;

		for (i = 0; i < n && strcmp(key, names[i]); i++)
			;
		if (i == n) {
			snprintf(err, errlen, "unknown member '%.32s'", key);
			return -EINVAL;
		}
	}
	return 0;
}

static int record(json_t *o, struct audit_record *r, char *err, size_t errlen)
{
	static const char *const names[] = { "type",   "seq",	 "at",	   "actor",  "role", "scope",
					     "action", "object", "result", "detail", "prev", "hash" };

	memset(r, 0, sizeof(*r));
	if (members(o, names, 12, err, errlen) || number(o, "seq", &r->seq, err, errlen) ||
	    number(o, "at", &r->at, err, errlen) || text(o, "actor", r->actor, sizeof(r->actor), err, errlen) ||
	    text(o, "role", r->role, sizeof(r->role), err, errlen) ||
	    text(o, "scope", r->scope, sizeof(r->scope), err, errlen) ||
	    text(o, "action", r->action, sizeof(r->action), err, errlen) ||
	    text(o, "object", r->object, sizeof(r->object), err, errlen) ||
	    text(o, "result", r->result, sizeof(r->result), err, errlen) ||
	    text(o, "detail", r->detail, sizeof(r->detail), err, errlen) ||
	    hexfield(o, "prev", r->prev, AUDIT_HASH_LEN, err, errlen) ||
	    hexfield(o, "hash", r->hash, AUDIT_HASH_LEN, err, errlen))
		return -EINVAL;
	return 0;
}

static int checkpoint(json_t *o, struct audit_checkpoint *cp, char *err, size_t errlen)
{
	static const char *const names[] = { "type", "id", "seq", "at", "hash", "signature", "key_id" };
	char sig[2 * AUDIT_SIG_MAX + 1];
	size_t n;

	memset(cp, 0, sizeof(*cp));
	if (members(o, names, 7, err, errlen) || number(o, "id", &cp->id, err, errlen) ||
	    number(o, "seq", &cp->seq, err, errlen) || number(o, "at", &cp->at, err, errlen) ||
	    hexfield(o, "hash", cp->hash, AUDIT_HASH_LEN, err, errlen) ||
	    text(o, "key_id", cp->key_id, sizeof(cp->key_id), err, errlen) ||
	    text(o, "signature", sig, sizeof(sig), err, errlen))
		return -EINVAL;
	n = strlen(sig);
	if (!n || n % 2 || audit_unhex(sig, cp->sig, n / 2)) {
		snprintf(err, errlen, "signature: 2 to %d hex digits", 2 * AUDIT_SIG_MAX);
		return -EINVAL;
	}
	cp->sig_len = n / 2;
	return 0;
}

int audit_export_parse(const char *line, size_t len, struct audit_line *out, char *err, size_t errlen)
{
	static const char *const key_names[] = { "type", "key_id", "pem" };
	json_error_t je;
	const char *type;
	json_t *o;
	int rc = -EINVAL;

	if (len > AUDIT_LINE_MAX) {
		snprintf(err, errlen, "a line longer than %d bytes", AUDIT_LINE_MAX);
		return -EINVAL;
	}
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "not a JSON object%s%s", o ? "" : ": ", o ? "" : je.text);
		json_decref(o);
		return -EINVAL;
	}
	type = json_string_value(json_object_get(o, "type"));
	if (!type) {
		snprintf(err, errlen, "no \"type\"");
	} else if (!strcmp(type, "record")) {
		out->type = AUDIT_LINE_RECORD;
		rc = record(o, &out->rec, err, errlen);
	} else if (!strcmp(type, "checkpoint")) {
		out->type = AUDIT_LINE_CHECKPOINT;
		rc = checkpoint(o, &out->cp, err, errlen);
	} else if (!strcmp(type, "key")) {
		out->type = AUDIT_LINE_KEY;
		rc = members(o, key_names, 3, err, errlen) ||
				     text(o, "key_id", out->key_id, sizeof(out->key_id), err, errlen) ||
				     text(o, "pem", out->pem, sizeof(out->pem), err, errlen) ?
			     -EINVAL :
			     0;
	} else {
		snprintf(err, errlen, "type: record, checkpoint or key");
	}
	json_decref(o);
	return rc;
}
