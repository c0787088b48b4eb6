/* simpki-ca's records: one SQLite file, WAL journal, synchronous FULL (a certificate handed out is on disk first),
 * foreign keys on. No SQL outside ca_db.c. The schema's version is PRAGMA user_version; ca_db_open() applies the
 * missing migrations in order, each in its own transaction, and refuses a file newer than it knows.
 *
 * Version 1:
 *   certs(serial TEXT PRIMARY KEY       lowercase hex of the serialNumber INTEGER's DER content octets (16 random
 *                                       bytes, the first below 0x80: positive, 32 hex digits)
 *         subject TEXT NOT NULL         the subject, RFC 2253, UTF-8
 *         holder TEXT NOT NULL          the holder id (the permanentIdentifier in subjectAltName)
 *         iccid TEXT                    the SIM's ICCID when the RA said it (CRMF regInfo utf8Pairs "iccid?...%")
 *         key_id TEXT NOT NULL          subjectKeyIdentifier, hex (SHA-1 of the public key's BIT STRING)
 *         profile TEXT NOT NULL         the certificate profile's name ('signing', 'authentication', ...)
 *         pubkey_sha256 TEXT NOT NULL   SHA-256 of the SubjectPublicKeyInfo DER, hex
 *         not_before, not_after INTEGER NOT NULL   Unix seconds
 *         der BLOB NOT NULL             the certificate as issued
 *         status TEXT NOT NULL          'good' or 'revoked' (never back to 'good')
 *         revoked_at INTEGER            Unix seconds; NULL unless revoked
 *         reason INTEGER                RFC 5280 CRLReason (0..10, not 7), -1 none; NULL unless revoked
 *         requested_by TEXT NOT NULL    the RA whose request it was (its certificate's subject), or 'vty'
 *         issued_at INTEGER NOT NULL)   Unix seconds
 *   indexes certs_holder (holder), certs_iccid (iccid), certs_pubkey (pubkey_sha256)
 *   meta(name TEXT PRIMARY KEY, value NOT NULL)
 *     crl_number   the cRLNumber of the last CRL built (ca_db_crl_number_next() commits the next one first, so a
 *                  number is never used twice)
 *
 * Version 2 (from 1: the column added, existing rows NULL):
 *   certs.transaction_id TEXT           the CMP transactionID of the request the certificate answered, lowercase
 *                                       hex (1 to CA_DB_TXID_MAX bytes); NULL: none (the CA's own certificates,
 *                                       rows from version 1)
 *   unique index certs_txid (transaction_id): one certificate per transaction (ca_cmp.h, repeated transactions)
 *
 * Version 3 (from 2: certs rebuilt with the wider CHECK, every row and column kept):
 *   certs.status                        'good', 'revoked', or 'hold' (suspended: revoked with reason 6
 *                                       certificateHold, revoked_at set; back to 'good' (revoked_at and reason
 *                                       NULL) by a release (removeFromCRL), or on to 'revoked' with another reason;
 *                                       'revoked' is final)
 *   index certs_pubkey (pubkey_sha256, not_before): a key's certificates, its first one at once
 *   index certs_unrevoked (serial) WHERE status <> 'good': what a CRL lists, without reading every row
 *   index certs_compromised (pubkey_sha256) WHERE status = 'revoked' AND reason = 1: the keys never certified
 *   again, looked up for every request whatever the number of certificates a key has
 *   A key (pubkey_sha256) with a row revoked for keyCompromise (reason 1) is never certified again (ca_cmp.h).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CA_DB_VERSION 3
#define CA_SERIAL_BYTES_MAX 20
#define CA_DB_SERIAL_HEX 41 /* 20 bytes in hex and the NUL */
#define CA_DB_SUBJECT_MAX 1024
#define CA_DB_HOLDER_MAX 129 /* 128 bytes and the NUL */
#define CA_DB_TXID_MAX 64    /* bytes of a transactionID that is recorded */
#define CA_DB_TXID_HEX (2 * CA_DB_TXID_MAX + 1)

struct ca_db;

/* One issued certificate (a row of certs). Strings are NUL-terminated, truncated to their buffers. */
struct ca_cert_row {
	char serial[CA_DB_SERIAL_HEX];
	char subject[CA_DB_SUBJECT_MAX];
	char holder[CA_DB_HOLDER_MAX];
	char iccid[24]; /* "" when unknown */
	char key_id[41];
	char profile[33];
	char pubkey_sha256[65];
	int64_t not_before, not_after, issued_at;
	bool revoked;	    /* revoked or on hold (status 'revoked' or 'hold') */
	bool hold;	    /* on hold (status 'hold', reason 6): revoked too, until released */
	int64_t revoked_at; /* revoked only */
	int reason;	    /* revoked only: CRLReason or -1 */
	char requested_by[CA_DB_SUBJECT_MAX];
	char txid[CA_DB_TXID_HEX]; /* the CMP transactionID, lowercase hex; "" none */
	uint8_t *der;		   /* ca_db_cert_get() with a talloc ctx: the certificate, a child of ctx; else NULL */
	size_t der_len;
};

enum ca_db_key {
	CA_DB_BY_ALL,
	CA_DB_BY_SERIAL,
	CA_DB_BY_HOLDER,
	CA_DB_BY_ICCID,
	CA_DB_BY_PUBKEY, /* pubkey_sha256 */
	CA_DB_BY_TXID,	 /* transaction_id (hex, any case) */
};

/*! Open (create) the database at \a path. \returns 0 with *out (a talloc child of ctx); -EIO, -EPROTO (a newer
 *  schema) with a message in err. */
int ca_db_open(void *ctx, const char *path, struct ca_db **out, char *err, size_t errlen);
void ca_db_close(struct ca_db *db);
int ca_db_version(struct ca_db *db);

/*! Group commit (the daemon turns it on; off by default): certificates stored by ca_db_cert_add() and revocations,
 *  holds and releases join one open transaction, begun by the first of them, and are on disk only after
 *  ca_db_commit(): one fsync for all the changes of one turn of the select loop instead of one each. Reads (on this
 *  connection) see them at once. The CRL number (ca_db_crl_number_next()) commits the open batch first, so a CRL
 *  lists only what is on disk. Turning it off commits. Whoever turns it on must hold every answer given while
 *  ca_db_uncommitted() until ca_db_commit() succeeded (ca_http.c suspends those HTTP answers; the VTY commits
 *  before it answers). */
void ca_db_set_batching(struct ca_db *db, bool on);
/*! Commit the open batch, if any. \returns 0; -EIO (rolled back: its certificates are not in the records) */
int ca_db_commit(struct ca_db *db);
/*! Whether certificates were stored in a batch not yet committed. */
bool ca_db_uncommitted(const struct ca_db *db);

/*! \returns 1 when a certificate with this serial (hex) exists, 0 when not, -EIO */
int ca_db_serial_exists(struct ca_db *db, const char *serial);
/*! Store an issued certificate (r->der, r->der_len; r->revoked ignored: it is good; r->txid "" stores NULL).
 *  \returns 0; -EEXIST (the serial, or the transactionID, exists); -EIO */
int ca_db_cert_add(struct ca_db *db, const struct ca_cert_row *r);
/*! Read one certificate by serial (hex, any case). The DER is loaded into r->der when \a ctx is not NULL.
 *  \returns 0; -ENOENT; -EIO; -ENOMEM */
int ca_db_cert_get(struct ca_db *db, const char *serial, void *ctx, struct ca_cert_row *r);
/*! Revoke: status 'revoked', at \a at, \a reason (-1: none), from 'good' or 'hold'; reason 6 (certificateHold):
 *  status 'hold', from 'good' only. \returns 0; -ENOENT; -EALREADY (revoked before, or on hold already); -EIO */
int ca_db_cert_revoke(struct ca_db *db, const char *serial, int64_t at, int reason);
/*! Release a certificate on hold (removeFromCRL): status 'good' again, revoked_at and reason NULL.
 *  \returns 0; -ENOENT; -EINVAL (not on hold: good, or revoked for good); -EIO */
int ca_db_cert_release(struct ca_db *db, const char *serial);
/*! Whether a certificate of the key \a pubkey_sha256 (hex) was revoked for keyCompromise (reason 1); its serial
 *  into \a serial when one was (may be NULL). \returns 1 yes; 0 no; -EIO */
int ca_db_key_compromised(struct ca_db *db, const char *pubkey_sha256, char serial[CA_DB_SERIAL_HEX]);
/*! The notBefore of the first certificate of the key \a pubkey_sha256 (hex), whatever its status, into *at.
 *  \returns 0; -ENOENT (none); -EIO */
int ca_db_key_first_not_before(struct ca_db *db, const char *pubkey_sha256, int64_t *at);
/*! Call \a cb for the certificates matching \a key = \a value (newest first, at most \a limit; r->der NULL).
 *  \returns how many; -EIO */
int ca_db_certs_find(struct ca_db *db, enum ca_db_key key, const char *value, unsigned limit,
		     void (*cb)(const struct ca_cert_row *r, void *priv), void *priv);
/*! Call \a cb for every revoked certificate, and every one on hold, with not_after >= \a now, by serial; only
 *  serial, not_after, revoked, hold, revoked_at and reason of the row are filled. A non-zero return of cb stops and
 *  is returned. \returns 0; cb's; -EIO */
int ca_db_revoked_each(struct ca_db *db, int64_t now, int (*cb)(const struct ca_cert_row *r, void *priv), void *priv);
/*! Commit and return the next cRLNumber (1 for the first CRL). \returns 0; -EIO */
int ca_db_crl_number_next(struct ca_db *db, uint64_t *n);
/*! \returns the number of certificates (in \a revoked those revoked); -EIO */
int64_t ca_db_cert_count(struct ca_db *db, int64_t *revoked);
