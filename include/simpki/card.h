/* The card API: everything an applet may touch (with card_crypto.h, card_applet.h, card_toolkit.h, card_sw.h).
 *
 * Invariants the card OS keeps for every applet:
 *  - An applet sees one command at a time, whole: chained blocks (CLA bit 0x10) are joined by the OS before
 *    process() runs, and response data longer than the host asked for leaves through 61xx/GET RESPONSE,
 *    also done by the OS.
 *  - Persistent data lives in NVM objects the applet owns, found from its root object. Every write is atomic on
 *    its own; writes between card_tx_begin() and card_tx_commit() are atomic together, also across power loss.
 *    A transaction still open when process() returns is aborted.
 *  - Transient RAM (card_transient(), card_transient_alloc()) is zeroed when the applet is selected, deselected
 *    and at every reset, and never exceeds the manifest's RAM budget of the applet.
 *  - NVM is reached only through this API: object views are read-only, and an applet reaches its own objects
 *    only; a handle of another applet's object is -ENOENT (or NULL) as if it did not exist.
 *  - Secrets stay on the card: PIN values and private keys are NVM objects the applet cannot read back.
 *  - No OpenSSL type, FILE or file descriptor crosses this API. Errors are negative errno values:
 *    -ENOSPC means an NVM budget, the heap or the transaction buffer is full (answer SW_FILE_FULL),
 *    -ENOMEM means the applet's RAM budget cannot hold the operation (answer SW_FILE_FULL; nothing changed),
 *    -EIO means the card lost power (stop and return anything: the host never sees the answer).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <simpki/card_sw.h>

/* The applet's view of the card; opaque. One per installed applet instance. */
struct card_ctx;

/* Handle of an NVM object: 0 means "none", so a zeroed root object holds no handles. */
typedef uint16_t card_obj_t;

/* Where a command came from. Over the air it arrived through a TAR whose minimum security level it met. */
enum card_origin {
	CARD_ORIGIN_IFD = 0, /* a reader or handset (PC/SC, terminal) */
	CARD_ORIGIN_OTA = 1, /* remote APDU from a secured packet (TS 102 226) */
};

/* One command as the applet sees it, and the room for its answer. */
struct card_apdu {
	uint8_t cla; /* as sent, chaining bit cleared */
	uint8_t ins, p1, p2;
	bool has_le;   /* the command carried Le (case 2 or 4) */
	bool extended; /* Lc or Le were in extended form */
	bool chained;  /* data arrived in more than one block */
	enum card_origin origin;
	const uint8_t *data; /* lc bytes of command data (whole chain) */
	uint32_t lc;
	uint32_t ne;	   /* bytes the host expects: Le, or 256 without Le (65536 extended) */
	uint8_t *resp;	   /* response data goes here ... */
	uint32_t resp_max; /* ... at most this many bytes (CARD_RESP_MAX) */
	uint32_t resp_len; /* set by the applet */
};

#define CARD_RESP_MAX 4096 /* largest response data one command may produce */
#define CARD_CMD_MAX 4096  /* largest command data, chained or extended */

/* ---- Persistent objects ------------------------------------------------------------------------------------ */

/*! The applet's root object, allocated and zeroed at installation (its size is in the applet descriptor). */
card_obj_t card_root(struct card_ctx *c);

/*! Allocate a zeroed object of \a size bytes, charged to the applet's NVM budget.
 *  \returns 0 and sets *out; -ENOSPC over budget or NVM full; -EIO on power loss */
int card_obj_alloc(struct card_ctx *c, uint32_t size, card_obj_t *out);

/*! Free an object of the applet (data, PIN or key); its bytes are wiped. \returns 0; -ENOENT; -EIO */
int card_obj_free(struct card_ctx *c, card_obj_t h);

/*! Size of one of the applet's data objects. \returns the size; -ENOENT if not a data object of the applet */
int card_obj_size(struct card_ctx *c, card_obj_t h);

/*! Read-only view of a data object, valid until the current command returns. NULL if \a h is not one of the
 *  applet's data objects (PIN and key objects have no view). */
const uint8_t *card_obj_view(struct card_ctx *c, card_obj_t h, uint32_t *size);

/*! Write \a len bytes at \a off into a data object. \returns 0; -ENOENT; -ERANGE past its end; -ENOSPC when the
 *  transaction buffer is full; -EIO on power loss */
int card_obj_write(struct card_ctx *c, card_obj_t h, uint32_t off, const void *buf, uint32_t len);

/*! Start a transaction. \returns 0; -EBUSY if one is open */
int card_tx_begin(struct card_ctx *c);
/*! Make the open transaction's writes durable, all of them. \returns 0; -EINVAL if none is open; -EIO */
int card_tx_commit(struct card_ctx *c);
/*! Undo every write since card_tx_begin(). No effect without an open transaction. */
void card_tx_abort(struct card_ctx *c);

/*! The applet's transient RAM (ram_size bytes of its descriptor), zeroed on select, deselect and reset. */
void *card_transient(struct card_ctx *c);

/*! More transient RAM, zeroed, for the rest of this selection: released and wiped when the applet is deselected or
 *  the card is reset (an OTA session's allocations when the session ends). The manifest's RAM budget of the applet
 *  holds its ram_size, these allocations, and the working memory of the OS's cryptography while it runs
 *  (card_crypto.h): what one takes, the others cannot have.
 *  \returns 0 and sets *out (8-byte aligned); -EINVAL for size 0; -ENOMEM over the budget (nothing allocated:
 *  answer SW_FILE_FULL) */
int card_transient_alloc(struct card_ctx *c, uint32_t size, void **out);

/* ---- PIN objects ------------------------------------------------------------------------------------------- */

#define CARD_PIN_MAX_LEN 32

/*! Create a PIN object with a try limit (1..15) and a maximum value length (1..CARD_PIN_MAX_LEN). It starts
 *  with no value and is blocked until card_pin_set(). \returns 0 and sets *out; -EINVAL; -ENOSPC; -EIO */
int card_pin_create(struct card_ctx *c, uint8_t try_limit, uint8_t max_len, card_obj_t *out);

/*! Set the value and reset the try counter to the limit. \returns 0; -EINVAL bad length; -ENOENT; -EIO */
int card_pin_set(struct card_ctx *c, card_obj_t pin, const uint8_t *value, size_t len);

/*! Compare \a value with the PIN. The try counter is decremented and committed first, outside any open
 *  transaction (aborting it does not give the try back), then the values are compared in constant time; a match
 *  restores the counter.
 *  \returns 0 on a match; -EACCES on a mismatch; -EPERM when blocked (no comparison made); -EBUSY when the open
 *  transaction changed this PIN (card_pin_set(), card_pin_reset_tries()): commit or abort first (no comparison
 *  made, nothing changed); -ENOENT; -EIO */
int card_pin_check(struct card_ctx *c, card_obj_t pin, const uint8_t *value, size_t len);

/*! \returns the tries left (0 means blocked); -ENOENT */
int card_pin_tries_left(struct card_ctx *c, card_obj_t pin);

/*! Restore the try counter to the limit without changing the value (unblock). \returns 0; -ENOENT; -EIO */
int card_pin_reset_tries(struct card_ctx *c, card_obj_t pin);

/*! Whether the PIN has a value. */
bool card_pin_is_set(struct card_ctx *c, card_obj_t pin);

/* ---- BER-TLV helpers (ISO 7816-4): same rules as the OS's own parser --------------------------------------- */

struct card_tlv {
	uint32_t tag; /* big-endian tag bytes, e.g. 0x7F49 */
	uint32_t len;
	const uint8_t *value; /* inside the parsed buffer */
	uint32_t total;	      /* header + value, offset of the next sibling */
};

/*! Parse one TLV at the start of \a buf. \returns 0; -EINVAL if malformed or longer than \a len */
int card_tlv_parse(const uint8_t *buf, uint32_t len, struct card_tlv *t);
/*! Check that \a buf is a sequence of well-formed TLVs. \returns 0; -EINVAL */
int card_tlv_check(const uint8_t *buf, uint32_t len);
/*! Find the first sibling with \a tag. \returns 0; -ENOENT; -EINVAL if malformed before it */
int card_tlv_find(const uint8_t *buf, uint32_t len, uint32_t tag, struct card_tlv *t);
/*! Write a tag/length header. \returns its size; -E2BIG */
int card_tlv_put_header(uint8_t *out, uint32_t max, uint32_t tag, uint32_t len);

/*! Constant-time comparison of two equal-length buffers: 0 when equal. */
int card_memcmp_ct(const void *a, const void *b, size_t len);
/*! Zero a buffer that held a secret, in a way the compiler cannot drop. */
void card_wipe(void *p, size_t len);
