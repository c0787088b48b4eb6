/* simpki-otad's signing sessions: a relying party asks a person to sign a hash with the key on their SIM (sign_api.c
 * serves the API, sign_parse.h reads it; docs/signing.md is the relying parties' guide). One osmo_fsm per session;
 * this table is the spec (tests/unit/test-sign.c checks it):
 *
 *   state      takes events              may go to            meaning
 *   created    START, OCSP, CANCEL        sending, complete    the card, its certificate and key found (else
 *                                                             NOT_A_CLIENT); the OCSP query started (a cached
 *                                                             answer comes at once)
 *   sending    JOB_CHANGE, JOB_DONE,     waiting, verifying,  an OTA job (forward mode, at most once, time-out the
 *              OCSP, CANCEL              complete             session's) carries the sign request to the card's
 *                                                             signing TAR
 *   waiting    JOB_DONE, OCSP, CANCEL    verifying, complete  the phone took the request: the person reads the
 *                                                             text and the code, and enters the PIN (or not)
 *   verifying  OCSP, CANCEL              complete             the SIM signed: the signature is checked over
 *                                                             exactly the hash sent with the certificate's public
 *                                                             key, then the certificate's OCSP status must be good
 *   complete   JOB_DONE (late), OCSP     -                    the result is final; kept in memory for the relying
 *                                                             party's polls (retain), always in the database
 *
 * Results (sign_parse.h): the job's end decides: por-ok with a sign response (sign_msg.h) whose id is ours: OK
 * (then verifying), USER_CANCELLED, TIMEOUT (NO_RESPONSE), PIN_BLOCKED, or SIM_ERROR (the rest); por-ok with
 * anything else, or por-error: SIM_ERROR; failed with an SMPP status (the forward submit refused): PHONE_ABSENT or
 * DELIVERY_ERROR (otad_sign_result_of_smpp()); failed otherwise: DELIVERY_ERROR; timed-out or unknown: TIMEOUT. In
 * verifying: a signature that does not verify: SIGNATURE_HASH_MISMATCH; OCSP revoked or unknown:
 * REVOKED_CERTIFICATE; OCSP unreachable, or no OCSP responder configured: INTERNAL_ERROR (no signature is returned
 * unconfirmed). CANCEL (the relying party's DELETE) ends any running session as CANCELLED, and cancels the job when
 * none of its SMS left yet. A session whose job gave no answer by its time-out plus SIGN_GRACE_S ends as TIMEOUT.
 * A PoR that comes after its session ended (a late answer) is recorded in the session's row (error) and ignored.
 *
 * The request carries the row id (8 bytes, big-endian) as its id; the SIM echoes it. Every state change is written
 * to the database (otad_db.h, signatures) when it happens; sessions still open at start end as INTERNAL_ERROR.
 * Every log line names the session: "sign(UUID){STATE}: ...".
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>

#include "otad_db.h"
#include "sign_parse.h"

#define SIGN_GRACE_S 30
#define SIGN_TAR_DEFAULT         \
	{                        \
		0x53, 0x49, 0x47 \
	} /* "SIG" */

/* One relying party ('relying-party NAME' in the 'signing' node). */
struct otad_sign_rp {
	struct llist_head list;
	char *name;
	char *display_name; /* UTF-8: the first line the phone shows */
	uint8_t token_hash[32];
	bool has_token;
	uint8_t cert_hash[32]; /* SHA-256 of its TLS client certificate's DER ('client-certificate-sha256') */
	bool has_cert;
	unsigned rate; /* requests per second (0: no limit) */
	/* since the start */
	unsigned long requests, ok, other; /* sessions made; ended OK; ended otherwise */
	unsigned running;
};

struct otad_sign_cfg {
	bool enabled;	       /* the configuration has a 'signing' node: the API listens */
	char *ip;	       /* default 127.0.0.1 */
	uint16_t port;	       /* default 8481 */
	char *tls_cert;	       /* 'tls certificate PATH' (NULL: plain HTTP, loopback only) */
	char *tls_key;	       /* 'tls key PATH' */
	char *tls_client_ca;   /* 'tls client-ca PATH': client certificates verified against it are accepted */
	uint8_t tar[3];	       /* the signing applet's TAR (default 534947) */
	unsigned timeout_s;    /* how long a session waits for the person (default 120, 10..600) */
	unsigned max_sessions; /* running at once (default 10000) */
	unsigned retain_s;     /* a complete session stays in memory for polls (default 300) */
	struct llist_head rps; /* struct otad_sign_rp */
};
extern struct otad_sign_cfg otad_sign_cfg;

enum otad_sign_state {
	OTAD_SIGN_ST_CREATED,
	OTAD_SIGN_ST_SENDING,
	OTAD_SIGN_ST_WAITING,
	OTAD_SIGN_ST_VERIFYING,
	OTAD_SIGN_ST_COMPLETE,
	OTAD_SIGN_N_STATES,
};
extern const char *const otad_sign_state_names[OTAD_SIGN_N_STATES];

enum otad_sign_event {
	OTAD_SIGN_EV_START,	 /* make the job */
	OTAD_SIGN_EV_JOB_CHANGE, /* the job moved (data: its row): delivered means the phone has the request */
	OTAD_SIGN_EV_JOB_DONE,	 /* the job ended (data: its row) */
	OTAD_SIGN_EV_OCSP,	 /* the OCSP answer came (data: struct otad_sign_ocsp) */
	OTAD_SIGN_EV_CANCEL,	 /* the relying party cancelled */
};

struct otad_sign_ocsp {
	int status; /* enum ra_ocsp_status */
	const char *text;
};

/* A session (sign.c owns it; read it through these fields). */
struct otad_sign_session {
	struct llist_head list;
	struct osmo_fsm_inst *fi;
	struct otad_sign_row row;
	enum otad_sign_result result;
	struct otad_sign_rp *rp; /* NULL once the relying party left the configuration */
	uint8_t *cert;		 /* DER (talloc) */
	size_t cert_len;
	int key_ref;
	struct sign_req req;
	int ocsp; /* enum ra_ocsp_status; -1: not answered yet */
	char ocsp_text[160];
	struct llist_head watchers; /* long polls waiting for complete */
};

struct ra_ocsp;

/*! Hook into the job engine (chaining the hooks there), and end sessions left open by a stop. \a ocsp: the OCSP
 *  client (NULL: none configured; then no signature can be returned). \returns 0; -EIO */
int otad_sign_init(struct ra_ocsp *ocsp);
/*! Start a session for relying party \a rp. \returns 0 with *out (maybe complete already: NOT_A_CLIENT...);
 *  -EINVAL/-EILSEQ/-E2BIG (the text: \a err says why); -EBUSY (the card has a session running); -ENOSPC
 *  (max-sessions running); -EIO; -ENOMEM */
int otad_sign_start(struct otad_sign_rp *rp, const struct sign_api_req *req, struct otad_sign_session **out, char *err,
		    size_t errlen);
/*! The session \a id in memory, or NULL. */
struct otad_sign_session *otad_sign_find(const char *id);
/*! Cancel a running session (nothing happens to a complete one). */
void otad_sign_cancel(struct otad_sign_session *s);
/*! Call \a cb once when \a s completes or is freed (long polls). \returns 0; -ENOMEM */
typedef void (*otad_sign_watch_cb)(void *priv);
int otad_sign_watch(struct otad_sign_session *s, otad_sign_watch_cb cb, void *priv);
void otad_sign_unwatch(struct otad_sign_session *s, void *priv);
/*! Sessions in memory not complete. */
unsigned otad_sign_running(void);
/*! Call \a cb for every session in memory. */
void otad_sign_foreach(void (*cb)(struct otad_sign_session *s, void *priv), void *priv);
/*! The signature algorithm's name for the API ("ECDSA-SHA256", "SHA256withRSA", ...), from \a cert's key and the
 *  hash; and the key's algorithm ("EC", "RSA"). \returns 0; -EINVAL */
int otad_sign_alg_names(const uint8_t *cert, size_t len, enum sign_hash h, const char **sig_alg, const char **key_alg);
/*! Verify \a sig over \a hash (the hash itself, not re-hashed) with \a cert's public key: ECDSA (DER), or RSA
 *  PKCS#1 v1.5 over the DigestInfo of \a h. \returns 0 valid; -EBADMSG not; -EINVAL (no key) */
int otad_sign_verify(const uint8_t *cert, size_t cert_len, enum sign_hash h, const uint8_t *hash, size_t hash_len,
		     const uint8_t *sig, size_t sig_len);
/*! At shutdown: free every session (their watchers are told). */
void otad_sign_stop_all(void);
/*! The relying party \a name, or NULL. */
struct otad_sign_rp *otad_sign_rp_find(const char *name);
