/* simpki-tool internals shared by its command files: exit codes, messages, secrets, opening the card.
 * tool_cli.c: dispatch, help, readers, info, init, pin. tool_keys.c: keygen, csr, cert, sign.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "token.h"

enum tool_exit {
	TOOL_OK = 0,
	TOOL_FAILED = 1,       /* the card or reader failed, or refused for a reason not listed below */
	TOOL_USAGE = 2,	       /* bad command line or bad input (unreadable file, invalid subject, ...) */
	TOOL_NO_READER = 3,    /* no card reader, or pcscd not running */
	TOOL_NO_CARD = 4,      /* no card in the reader, or a card without the PKI applet */
	TOOL_WRONG_SECRET = 5, /* wrong PIN or PUK */
	TOOL_BLOCKED = 6,      /* PIN or PUK blocked */
	TOOL_ENROLMENT = 7,    /* the card is not enrolled yet (init), or init on an enrolled card */
	TOOL_NO_OBJECT = 8,    /* no key or certificate with that id, or one exists already */
};

struct tool_opts {
	const char *reader; /* --reader NAME, or NULL for the first reader with a card */
};

extern struct tool_opts tool_opts;

/*! Print "simpki-tool: " and a message on stderr. */
void tool_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*! Explain an error of the card, the reader or the token layer in a person's words, doing \a what.
 *  \returns the exit code for it */
int tool_explain(struct token *t, int rc, const char *what);
/*! A secret from the environment variable \a env, or asked on the terminal without echo (twice when
 *  \a confirm): the prompt is "WHAT (HINT): ". \returns TOOL_OK, or the exit code after saying why not */
int tool_secret(const char *env, const char *what, const char *hint, bool confirm, char *buf, size_t len);
/*! Characters (UTF-8 code points) in \a s. */
size_t tool_chars(const char *s);
/*! Open the card in the reader and load its PKCS#15 objects; \a enrolled: refuse a card not enrolled.
 *  \returns TOOL_OK or the exit code after saying why not */
int tool_open(struct token *t, bool enrolled);
/*! Ask for the PIN (SIMPKI_PIN) and verify it. \returns TOOL_OK or the exit code after explaining */
int tool_verify_pin(struct token *t);
/*! Parse --id N (1..255). \returns 0; -EINVAL */
int tool_parse_id(const char *s, unsigned *id);
/*! Wipe a secret. */
void tool_wipe(void *p, size_t len);

int tool_keygen(int argc, char **argv);
int tool_csr(int argc, char **argv);
int tool_cert(int argc, char **argv);
int tool_sign(int argc, char **argv);

/*! The whole program. \returns its exit code */
int tool_main(int argc, char **argv);
