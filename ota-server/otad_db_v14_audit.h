/* Schema version 14, the audit trail's part (owned by audit/ and otad_db_audit.c; the format is audit/audit.h's):
 *   audit(seq INTEGER PRIMARY KEY (1, 2, 3, ... without gaps), at INTEGER NOT NULL (Unix ms), actor TEXT NOT NULL,
 *         role TEXT NOT NULL, scope TEXT NOT NULL ("" the whole tree), action TEXT NOT NULL, object TEXT NOT NULL,
 *         result TEXT NOT NULL, detail TEXT NOT NULL, prev BLOB NOT NULL (32 bytes: the hash of record seq - 1,
 *         zeros for the first), hash BLOB NOT NULL (32 bytes, audit.h))
 *   audit_checkpoints(id INTEGER PRIMARY KEY, seq INTEGER NOT NULL (the last record it covers), at INTEGER NOT NULL,
 *         hash BLOB NOT NULL (that record's hash), signature BLOB NOT NULL (by the audit key, audit.h), key_id TEXT
 *         NOT NULL (hex SHA-256 of the audit key's SubjectPublicKeyInfo))
 */
#pragma once

#define MIGRATION_V14_AUDIT                                                                                          \
	"CREATE TABLE audit (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL," \
	" scope TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL, result TEXT NOT NULL,"                    \
	" detail TEXT NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL);"                                            \
	"CREATE TABLE audit_checkpoints (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, at INTEGER NOT NULL,"         \
	" hash BLOB NOT NULL, signature BLOB NOT NULL, key_id TEXT NOT NULL);"
