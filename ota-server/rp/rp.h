/* simpki-sign's internals (the static library rp-core): the command line read into one struct (rp_args.c), the
 * relying-party API's answers read into bounded structs and the request bodies written (rp_json.c), a result
 * turned into an exit code and a message (rp_args.c), the detached CMS SignedData whose signature is made on the
 * SIM (rp_cms.c), the HTTP exchanges over libcurl (rp_http.c) and the run (rp_main.c).
 *
 * Functions return 0 or a negative errno, except those typed enum rp_exit (and rp_main), which return an exit code
 * and have printed their message on stderr. The token never reaches an output or a message.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/x509.h>

/* Exit codes: the same list is in the usage text, ota-server/rp/README.md and docs/sign.md. */
enum rp_exit {
	RP_EXIT_OK = 0,
	RP_EXIT_USAGE = 1,	  /* bad command line, FILE unreadable, no token; the API refused the request (400) */
	RP_EXIT_NOT_A_CLIENT = 2, /* the number or holder has no signing certificate (404, NOT_A_CLIENT) */
	RP_EXIT_CANCELLED = 3,	  /* the user cancelled on the phone (USER_CANCELLED, CANCELLED) */
	RP_EXIT_TIMEOUT = 4,	  /* the user did not answer in time (TIMEOUT), or --timeout elapsed */
	RP_EXIT_PIN_BLOCKED = 5,  /* PIN_BLOCKED */
	RP_EXIT_PHONE = 6,	  /* the phone was not reached (PHONE_ABSENT, DELIVERY_ERROR) */
	RP_EXIT_INVALID = 7,	  /* REVOKED_CERTIFICATE, SIGNATURE_HASH_MISMATCH, a signature that does not verify,
				      * a verification code that differs from ours, another certificate */
	RP_EXIT_SERVER = 8, /* the API unreachable, a server error, an answer not as documented, a result unknown */
	RP_EXIT_SIM = 9,    /* SIM_ERROR */
	RP_EXIT_BUSY = 10,  /* a signature is already pending for this user (409), or rate limited (429) */
	RP_EXIT_AUTH = 11,  /* the token was refused (401, 403) */
	RP_EXIT_LOCAL = 12, /* a local failure: the output not written, out of memory */
	RP_EXIT_INTERRUPTED = 130, /* Ctrl-C (SIGINT) or SIGTERM while waiting: the session was cancelled */
};

#define RP_DEFAULT_URL "http://127.0.0.1:8481"
#define RP_DEFAULT_TIMEOUT 180 /* seconds */
#define RP_POLL_MS 10000       /* timeoutMs of each long poll */

/* Bounds of what is read from the API and the command line. */
#define RP_PHONE_MAX 15	      /* digits */
#define RP_HOLDER_MAX 64      /* characters of a holder id */
#define RP_TEXT_MAX 200	      /* bytes of --text (UTF-8) */
#define RP_TOKEN_MAX 1024     /* bytes of a token */
#define RP_ANSWER_MAX 65536   /* bytes of an API answer */
#define RP_CERT_PEM_MAX 16384 /* bytes of a certificate in PEM */
#define RP_SESSION_ID_MAX 128 /* characters of a session id (A-Z a-z 0-9 . _ -) */
#define RP_SIG_MAX 1024	      /* bytes of a signature (RSA-4096 is 512) */
#define RP_NAME_MAX 64	      /* bytes of an error code, a result, an algorithm's name */
#define RP_MESSAGE_MAX 256    /* bytes of an error message kept */

/* ---- rp_args.c ------------------------------------------------------------------------------------------------ */

/* The command line, read but not acted on. Strings point into argv. */
struct rp_cmdline {
	bool help, version;
	const char *phone;	/* --phone: 1 to 15 digits, an optional leading + */
	const char *holder;	/* --holder */
	const char *text;	/* --text: what the phone shows (valid UTF-8, at most RP_TEXT_MAX bytes); NULL: none */
	const char *language;	/* --language VIE or ENG (default VIE) */
	const char *url;	/* --url, else SIMPKI_RP_URL, else RP_DEFAULT_URL (rp_main) */
	const char *token_file; /* --token-file, else SIMPKI_RP_TOKEN */
	const char *cacert;	/* --cacert: the CA certificates of the API's https:// certificate */
	const char *ca_chain;	/* --ca-chain: verify the signer's certificate against these (PEM) */
	const char *out;	/* --out, else FILE.p7s */
	unsigned timeout;	/* --timeout seconds, 1 to 3600 (default RP_DEFAULT_TIMEOUT) */
	bool json;		/* --json */
	const char *file;	/* FILE, the document */
};

/*! Read the command line (argv[0] is the program) into \a cl. \returns 0; -EINVAL with the reason in \a err */
int rp_parse(int argc, char **argv, struct rp_cmdline *cl, char *err, size_t err_len);

/*! The --help text, with the exit codes. */
const char *rp_usage(void);

/* The result of a signing session (the API's "result"). */
enum rp_result {
	RP_RES_UNKNOWN, /* a word this program does not know */
	RP_RES_OK,
	RP_RES_USER_CANCELLED,
	RP_RES_CANCELLED,
	RP_RES_TIMEOUT,
	RP_RES_PIN_BLOCKED,
	RP_RES_NOT_A_CLIENT,
	RP_RES_PHONE_ABSENT,
	RP_RES_DELIVERY_ERROR,
	RP_RES_SIM_ERROR,
	RP_RES_SIGNATURE_HASH_MISMATCH,
	RP_RES_REVOKED_CERTIFICATE,
	RP_RES_INTERNAL_ERROR, /* the service could not complete the session (e.g. the certificate's status unknown) */
	RP_RES_N
};

/*! The result named \a s (RP_RES_UNKNOWN for NULL or an unknown word). */
enum rp_result rp_result_parse(const char *s);
/*! The API's word for \a r ("UNKNOWN" for RP_RES_UNKNOWN). */
const char *rp_result_name(enum rp_result r);
/*! What a user reads for \a r, one sentence. */
const char *rp_result_message(enum rp_result r);
/*! The exit code of \a r. */
enum rp_exit rp_result_exit(enum rp_result r);
/*! The exit code of an HTTP answer that is not 2xx, with the API's error code (may be NULL). */
enum rp_exit rp_http_exit(long status, const char *error);

/* ---- rp_json.c: the API's answers, parsed into bounded structs; a refusal names what is wrong ------------------ */

enum rp_key_alg {
	RP_KEY_NONE,
	RP_KEY_EC,
	RP_KEY_RSA,
};

/* 200 of POST /v1/certificate. */
struct rp_cert_answer {
	char cert_pem[RP_CERT_PEM_MAX];
	enum rp_key_alg alg;
};

/* 200 of POST /v1/signature. */
struct rp_start_answer {
	char session_id[RP_SESSION_ID_MAX + 1];
	unsigned vcode; /* 0 to 9999 */
};

/* GET /v1/signature/session/{id}. */
struct rp_session_answer {
	bool complete; /* state COMPLETE; else RUNNING (result and the rest unset) */
	enum rp_result result;
	char result_name[RP_NAME_MAX]; /* as the API wrote it (an unknown one too), printable ASCII */
	char sig_alg[RP_NAME_MAX];     /* signature.algorithm ("" when absent) */
	uint8_t sig[RP_SIG_MAX];
	size_t sig_len;			/* 0: no signature (always >0 when result is OK) */
	char cert_pem[RP_CERT_PEM_MAX]; /* "" when absent */
};

/* An error answer {"error", "message"}; each "" when absent. */
struct rp_error_answer {
	char error[RP_NAME_MAX];
	char message[RP_MESSAGE_MAX];
};

/*! Parse the answers (\a len bytes, not NUL-terminated). \returns 0; -EINVAL with the reason in \a err (not JSON,
 * a field missing, of the wrong type, too long, not as documented) */
int rp_json_cert(const char *buf, size_t len, struct rp_cert_answer *a, char *err, size_t err_len);
int rp_json_start(const char *buf, size_t len, struct rp_start_answer *a, char *err, size_t err_len);
int rp_json_session(const char *buf, size_t len, struct rp_session_answer *a, char *err, size_t err_len);
/*! An error answer; fields not there are left "". \returns 0; -EINVAL when not a JSON object */
int rp_json_error(const char *buf, size_t len, struct rp_error_answer *a);

/*! The request bodies (the caller frees; NULL when out of memory). */
char *rp_body_certificate(const struct rp_cmdline *cl);
char *rp_body_signature(const struct rp_cmdline *cl, const uint8_t hash[32]);

/*! The --json result object, one line (the caller frees; NULL when out of memory). \a session_id and \a out may be
 * NULL (not known, not written); \a vcode < 0: not known. */
char *rp_json_result(const char *session_id, int vcode, const char *result, const char *out);

/* ---- rp_cms.c: a detached CMS SignedData whose signature is made elsewhere (docs/sign.md) --------------------- */

struct rp_cms {
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si; /* inside cms */
	X509 *cert;
	EVP_PKEY *pub; /* the certificate's public key, no private part */
	enum rp_key_alg alg;
	uint8_t content_digest[32]; /* SHA-256 of the document (messageDigest) */
	uint8_t tbs_hash[32];	    /* SHA-256 of the signed attributes' DER as a SET: what the SIM signs */
};

/*! Read one certificate in PEM (\a pem, NUL-terminated). \returns 0; -EINVAL with the reason in \a err */
int rp_cert_read(const char *pem, X509 **cert, char *err, size_t err_len);

/*! The key algorithm of \a cert: EC P-256 or RSA (2048 bits or more); RP_KEY_NONE for another. */
enum rp_key_alg rp_cert_alg(X509 *cert);

/*! Start a SignedData for the document at \a path (read in a stream, any size) signed by \a cert (its reference
 * is taken by the struct), signing time \a when: the signed attributes contentType, signingTime, messageDigest,
 * and c->tbs_hash. \returns 0; -EINVAL (the reason in \a err); -ENOENT etc. when the file cannot be read */
int rp_cms_begin(struct rp_cms *c, X509 *cert, const char *path, time_t when, char *err, size_t err_len);

/*! The signed attributes as the signature covers them: DER, as a SET (tag 0x31), DER-sorted (the caller frees with
 * OPENSSL_free). \returns the length; -ENOMEM */
int rp_cms_tbs(const struct rp_cms *c, uint8_t **der);

/*! Put the signature in: for EC the DER ECDSA-Sig-Value (r || s of 64 bytes is taken too), for RSA the PKCS#1 v1.5
 * signature of the key's size. The signature is checked against the certificate's key here. \returns 0; -EINVAL
 * with the reason in \a err */
int rp_cms_set_signature(struct rp_cms *c, const uint8_t *sig, size_t len, char *err, size_t err_len);

/*! The SignedData as DER (ContentInfo; the caller frees with OPENSSL_free). \returns the length; -ENOMEM */
int rp_cms_der(const struct rp_cms *c, uint8_t **der);

void rp_cms_free(struct rp_cms *c);

/*! Verify a DER SignedData \a der against the document at \a path: the signature, the document's digest; the
 * signer's certificate against \a ca_chain (a PEM file) when not NULL, else not at all. \returns 0; -EINVAL with
 * the reason in \a err */
int rp_cms_verify(const uint8_t *der, size_t len, const char *path, const char *ca_chain, char *err, size_t err_len);

/*! Mobile-ID's verification code of a hash: ((h[0] >> 2) << 7) | (h[31] & 0x7f), 0 to 8191. */
unsigned rp_vcode(const uint8_t hash[32]);

/*! Write \a len bytes to \a path atomically (a temporary file in the same folder, synced, renamed; on failure no
 * file and no temporary left). \returns 0; a negative errno with the reason in \a err */
int rp_write_atomic(const char *path, const uint8_t *buf, size_t len, char *err, size_t err_len);

/* ---- rp_http.c and rp_main.c ---------------------------------------------------------------------------------- */

/*! simpki-sign's main(). */
int rp_main(int argc, char **argv);
