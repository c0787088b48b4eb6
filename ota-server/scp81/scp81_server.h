/* simpki-otad's SCP81 remote administration server (RAS; GP Amendment B): SIM cards' admin agents connect over BIP
 * through their handset, authenticate with TLS-PSK and POST for remote APDU scripts, then POST their results. The
 * listener and the sessions run in the osmo select loop; the scripts, PSKs and results belong to the caller, reached
 * through struct scp81_ops (the job engine in simpki-otad). docs/scp81.md is the operator's guide.
 *
 * TLS (OpenSSL 3, no certificate, no identity hint): TLS 1.2 with PSK-AES128-CBC-SHA256 (and PSK-NULL-SHA256 when
 * 'cipher null allowed', at @SECLEVEL=0), TLS 1.3 with TLS_AES_128_GCM_SHA256 (an external PSK); no
 * encrypt-then-MAC (cards abort when it is echoed), no session tickets; max fragment length down to 512 accepted.
 * The PSK comes from ops->psk() for the identity the card sends: an unknown identity or a PSK mismatch fails the
 * handshake. PSKs are wiped after use and never logged.
 *
 * One osmo_fsm per TCP connection; this table is the spec (tests/unit/test-scp81-server.c checks it):
 *
 *   state        takes events            may go to                  meaning, time-out
 *   handshake    HANDSHAKE_OK, CLOSE     wait_post, closing         TLS-PSK handshake; 'timeout handshake'
 *                                                                   (10 s): the connection is dropped
 *   wait_post    SCRIPT_SENT, OVER,      script_sent, closing       waiting for the first POST; 'timeout post'
 *                CLOSE                                              (30 s)
 *   script_sent  SCRIPT_SENT, OVER,      script_sent, closing       a script handed out: waiting for the POST of
 *                CLOSE                                              its response to X-Admin-Next-URI; 'timeout
 *                                                                   post': ops->ended(-ETIMEDOUT)
 *   closing      CLOSE                   -                          the last answer (204 or an error status) and
 *                                                                   close_notify being sent; 2 s at most
 *
 * HANDSHAKE_OK: SSL_accept() done; SCRIPT_SENT: a 200 with a script answered; OVER: a 204 or an error status
 * answered (scp81_exchange.h); CLOSE: the link is gone (read or write error, EOF, a TLS alert) or the last answer
 * is out. The instance then terminates: the socket is closed, a script still outstanding goes to ops->ended()
 * (-EPIPE, or -ETIMEDOUT at a time-out). Beyond 'max-sessions' a new connection is accepted and closed at once.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <simpki/scp81.h>

struct scp81_script {
	int64_t job; /* the job this script belongs to */
	uint8_t aid[SCP81_AID_MAX];
	size_t aid_len; /* 0: no X-Admin-Targeted-Application (the card's RFM) */
	uint8_t body[SCP81_HTTP_BODY_MAX];
	size_t len; /* an expanded command script (AA/AE) */
};

struct scp81_ops {
	/* The PSK for \a identity: \returns its length (16..SCP81_PSK_MAX), written to psk; -ENOENT (unknown) */
	int (*psk)(const char *identity, uint8_t *psk, size_t max);
	/* The next script for the card with \a identity: \returns 1 (out filled, the script is now handed out); 0 none */
	int (*next)(const char *identity, struct scp81_script *out);
	/* A response to job \a job's script (-1: a resumed session's response; the job handed out to this card before). */
	void (*result)(const char *identity, int64_t job, enum scp81_script_status st, const uint8_t *resp, size_t len);
	/* A session ended while job \a job's script was handed out with no answer (-EPIPE link gone, -ETIMEDOUT,
	 * -EPROTO bad request). */
	void (*ended)(const char *identity, int64_t job, int reason);
};

enum scp81_tls_versions {
	SCP81_TLS_ANY, /* 1.2 and 1.3 */
	SCP81_TLS_12,
	SCP81_TLS_13,
};

/* The 'scp81' node's configuration (scp81_vty.c); read by scp81_server_start(). */
struct scp81_cfg {
	bool enabled;		      /* the configuration has an 'scp81' node */
	bool listen;		      /* 'listen IP PORT' (default on; 'no listen': off) */
	char ip[64];		      /* default 127.0.0.1 */
	uint16_t port;		      /* default SCP81_DEFAULT_PORT; 0: any free port (tests) */
	enum scp81_tls_versions tls;  /* 'tls-version' (default any) */
	bool null_cipher;	      /* 'cipher null allowed' */
	bool chunked;		      /* 'http chunked' (default content-length) */
	unsigned max_sessions;	      /* default 1000 */
	unsigned handshake_s, post_s; /* 'timeout handshake' (10), 'timeout post' (30) */
};
extern struct scp81_cfg scp81_cfg;

enum scp81_ctr {
	SCP81_CTR_ACCEPTED,	    /* TCP connections accepted as sessions */
	SCP81_CTR_REFUSED_FULL,	    /* connections closed at once: max-sessions reached */
	SCP81_CTR_HS_OK,	    /* handshakes done */
	SCP81_CTR_HS_UNKNOWN,	    /* handshakes failed: unknown PSK identity */
	SCP81_CTR_HS_FAILED,	    /* handshakes failed otherwise (PSK mismatch, protocol, time-out) */
	SCP81_CTR_REQ_400,	    /* requests answered 400 */
	SCP81_CTR_REQ_405,	    /* 405 */
	SCP81_CTR_REQ_413,	    /* 413 */
	SCP81_CTR_REQ_5XX,	    /* 5xx (501, 505, 500) */
	SCP81_CTR_SCRIPTS,	    /* scripts handed out */
	SCP81_CTR_RESULTS,	    /* responses passed on */
	SCP81_CTR_NO_MORE,	    /* 204: nothing more for the card */
	SCP81_CTR_ENDED_ABNORMALLY, /* sessions that ended with a script outstanding or on a time-out */
};

/*! Open the listener with scp81_cfg, the sessions' callbacks \a ops (kept; must outlive the server).
 *  \returns 0; -EINVAL (TLS configuration); a negative errno of the socket. Logs nothing: the caller does. */
int scp81_server_start(void *ctx, const struct scp81_ops *ops);
/*! Close the listener and every session (scripts outstanding go to ops->ended(-EPIPE)). */
void scp81_server_stop(void);
/*! The TCP port listened on (the one bound when configured 0); -ENOTCONN when not listening. */
int scp81_server_port(void);
/*! Sessions open now. */
unsigned scp81_server_sessions(void);
/*! Whether the card with PSK identity \a identity has a session past its handshake that will still ask for scripts
 *  (not answered 204 or an error yet): a job for it needs no push. */
bool scp81_server_session_open(const char *identity);
/*! A counter (enum scp81_ctr) since the start; 0 before. */
uint64_t scp81_server_ctr(enum scp81_ctr c);
