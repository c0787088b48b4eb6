/* The audit trail's records and checkpoints as values (no database, no I/O): their fields, their bounds, the record
 * hash and the bytes a checkpoint signs, exactly as audit.h defines them:
 *
 *   record hash = SHA-256 over, each as a 4-byte big-endian length and its bytes: "simpki-audit-v1", seq (decimal),
 *                 at (decimal), actor, role, scope, action, object, result, detail, prev (32 bytes)
 *   checkpoint signs "simpki-audit-checkpoint-v1" | seq (8 bytes big-endian) | hash of record seq (32) |
 *                 at (8 bytes big-endian), ECDSA P-256 with SHA-256, the signature DER-encoded
 *
 * Text fields are UTF-8, bounded by the AUDIT_*_MAX sizes below; audit_text_clean() makes any text fit (cut at a
 * character's boundary, bytes that are not UTF-8 or are control characters replaced by '?') before a record is
 * hashed, so what is stored, hashed and exported is the same string.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_LEN 32
#define AUDIT_SIG_MAX 80    /* a DER ECDSA P-256 signature: at most 72 bytes */
#define AUDIT_KEY_ID_LEN 64 /* hex SHA-256 of the key's SubjectPublicKeyInfo */

/* Field sizes, with the NUL. */
#define AUDIT_ACTOR_MAX 65
#define AUDIT_ROLE_MAX 24
#define AUDIT_SCOPE_MAX 24
#define AUDIT_ACTION_MAX 64
#define AUDIT_OBJECT_MAX 256
#define AUDIT_RESULT_MAX 256
#define AUDIT_DETAIL_MAX 1024

struct audit_record {
	int64_t seq; /* 1, 2, 3, ... */
	int64_t at;  /* Unix ms */
	char actor[AUDIT_ACTOR_MAX];
	char role[AUDIT_ROLE_MAX];
	char scope[AUDIT_SCOPE_MAX]; /* "": the whole tree */
	char action[AUDIT_ACTION_MAX];
	char object[AUDIT_OBJECT_MAX];
	char result[AUDIT_RESULT_MAX];
	char detail[AUDIT_DETAIL_MAX];
	uint8_t prev[AUDIT_HASH_LEN]; /* the hash of record seq - 1; zeros for record 1 */
	uint8_t hash[AUDIT_HASH_LEN];
};

struct audit_checkpoint {
	int64_t id;		      /* its row (0 in an export that does not say) */
	int64_t seq;		      /* the last record it covers */
	int64_t at;		      /* Unix ms */
	uint8_t hash[AUDIT_HASH_LEN]; /* record seq's hash */
	uint8_t sig[AUDIT_SIG_MAX];
	size_t sig_len;
	char key_id[AUDIT_KEY_ID_LEN + 1];
};

/*! Copy \a in into \a out (size \a max): cut at a UTF-8 character's boundary to fit, every byte that does not
 *  begin or continue a well-formed UTF-8 character, and every control character, replaced by '?'. */
void audit_text_clean(char *out, size_t max, const char *in);

/*! The hash of \a r's fields and prev (audit.h) into \a out. \returns 0; -EIO (no SHA-256) */
int audit_record_hash(const struct audit_record *r, uint8_t out[AUDIT_HASH_LEN]);

#define AUDIT_TBS_LEN (26 + 8 + AUDIT_HASH_LEN + 8)
/*! The bytes a checkpoint at \a seq, \a at over \a hash signs, into \a out. */
void audit_checkpoint_tbs(int64_t seq, int64_t at, const uint8_t hash[AUDIT_HASH_LEN], uint8_t out[AUDIT_TBS_LEN]);

/*! \a len bytes as lower-case hex into \a out (2 * len + 1 bytes). */
void audit_hex(const uint8_t *in, size_t len, char *out);
/*! Exactly 2 * \a len hex digits (either case) from \a s into \a out. \returns 0; -EINVAL */
int audit_unhex(const char *s, uint8_t *out, size_t len);
