/* The card's OTA receiving entity (ETSI TS 102 225 / 3GPP TS 31.115 over SMS-PP, TS 102 226 remote APDUs) and the
 * proactive SEND SHORT MESSAGE that carries PoRs back. Persistent configuration (TARs with their minimum security
 * level, key sets with their counters) lives in the OS block (heap.h); what is here is transient.
 *
 * One secured packet, in the order the checks run (the first failure decides the PoR status, and nothing
 * persistent changes unless every check passed):
 *   ENVELOPE D1 { 82 device identities, [06 address,] 0B SMS-DELIVER }   malformed: 6A80; another envelope: 6A81
 *   TP-UDHI and a UDH with IE 70 (in a concatenated packet: in any part; TS 31.115 puts it in part 1)
 *                                                                        missing: 6A80 (TP-PID is not checked)
 *   concatenation (IE 00 or 08): one reassembly slot; a part of another message (reference, total or sender)
 *     replaces it; duplicates are ignored; intermediate parts answer 9000; a part number of 0 or over the
 *     total: 6A80; more than OTA_RE_MAX_PARTS parts or OTA_MAX_PACKET bytes: PoR 07
 *   header: fewer than 10 bytes: 6A80 (no PoR can be addressed); CPL or CHL wrong: PoR 06
 *   TAR (RFM or an applet's): unknown: PoR 09
 *   SPI against the TAR's MSL: integrity, ciphering and counter mode at least as strong: else PoR 0A
 *   key sets by the KVN of KIc (packet or PoR ciphered) and of KID (packet or PoR with a CC): missing, or of
 *     another algorithm, or DS asked for: PoR 06
 *   deciphering and CC: PoR 05 (ciphering), 01 (CC), 06 (inconsistent header)
 *   counter of the key set (KID's with a CC, else KIc's): mode 2 must be higher (else 02), mode 3 exactly one
 *     higher (02 below, 03 above), stored value FFFFFFFFFF is blocked (04); modes 0 and 1 neither check nor store
 *   the new counter is committed to NVM, then the script runs (a failing script does not give the counter back)
 *   PoR as the SPI asks (none, always, on error), secured as asked when the packet's checks held (statuses 00,
 *   02..04), otherwise unsecured and without data; in the ENVELOPE response (9000 with data) or, when SPI2 b6 asks for an
 *   SMS-SUBMIT or the PoR is over 256 bytes, as SEND SHORT MESSAGE (91xx, FETCH, TERMINAL RESPONSE)
 * While a proactive command waits, or an applet's toolkit session lasts, a new ENVELOPE D1 gets 9300 (toolkit busy)
 * and changes nothing.
 *
 * The admin agent's TAR (the manifest's `admin` directive) takes the same checks; its secured data is a push that
 * starts an SCP81 session (admin_agent.h); the PoR has no data.
 *
 * A toolkit TAR (the manifest's `toolkit` directive) takes the same checks, then, instead of a script, its secured
 * data goes to the applet's event() as an SMS-PP download and a toolkit session begins (toolkit.c,
 * card_toolkit.h): the packet's header, counter, key set references and sender are kept, and the PoR (status 00,
 * the applet's reply as its additional data) leaves when the applet replies: in the ENVELOPE's response if it
 * replied during the download event and the SPI allows it, else as SEND SHORT MESSAGE.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <simpki/card_toolkit.h>
#include <simpki/ota.h>
#include <simpki/sms.h>

#include "cardos.h"
#include "heap.h"
#include "manifest.h"
#include "uicc_fs.h"

#define OTA_RE_MAX_PARTS 32
#define OTA_RE_PROACTIVE_MAX 255 /* D0 TLV with one SMS-SUBMIT, or an applet's DISPLAY TEXT or GET INPUT */
#define OTA_RE_ENVELOPE_RESP_MAX 256
#define OTA_CNTR_MAX 0xffffffffffULL

struct card_os;

/* The codec's key sets (struct ota_keyset) made from one NVM key set, kept between packets so that its ciphers and
 * checksums are keyed once: made on first use, and dropped (and made again) when the NVM entry no longer holds
 * what they were made from (compared at every use, so no change of the keys, and no rollback of one, goes unseen),
 * at power-off and reset, and when the card closes. Owned by the receiving entity; see ota_config_keyset_get(). */
struct ota_re_keyset {
	struct ota_keyset *ks[2];	   /* for CCs of 8 [0] and of 4 bytes [1] (AES only) */
	uint8_t made_from[HEAP_OS_KEYSET]; /* the NVM entry they were made from (secret: wiped when dropped) */
};

/* An applet's toolkit session (toolkit.c): from the SMS-PP download to its reply. */
struct ota_tk {
	bool active;
	bool in_download; /* the SMS-PP download event runs: a reply may go in the ENVELOPE's response */
	bool replied;	  /* card_tk_reply() was called (reply_len bytes in ota_re.data) */
	int applet;
	struct ota_command cmd; /* the packet's header and counter (its data pointer is not kept) */
	uint8_t chl;
	struct sms_addr oa; /* who gets the PoR */
	size_t reply_len;
	_Alignas(8) uint8_t ram[CARD_TK_SESSION_SIZE]; /* card_tk_session() */
};

/* Transient state of the receiving entity, per powered card. */
struct ota_re {
	/* the concatenated command packet being reassembled */
	bool concat;
	uint16_t ref;
	uint8_t total;
	uint32_t have;	    /* bit i: part i + 1 arrived */
	bool cpi;	    /* IE 70 seen */
	struct sms_addr oa; /* the sender, who gets the PoR */
	uint8_t part_len[OTA_RE_MAX_PARTS];
	uint8_t part[OTA_RE_MAX_PARTS][SMS_MAX_UD];

	/* proactive SEND SHORT MESSAGE commands waiting for FETCH and TERMINAL RESPONSE, one per PoR part */
	uint8_t pro[OTA_RE_MAX_PARTS][OTA_RE_PROACTIVE_MAX];
	uint8_t pro_len[OTA_RE_MAX_PARTS];
	uint8_t pro_num[OTA_RE_MAX_PARTS];  /* command number in its command details */
	uint8_t pro_type[OTA_RE_MAX_PARTS]; /* its type */
	uint8_t pro_qual[OTA_RE_MAX_PARTS]; /* its qualifier */
	bool pro_applet;		    /* the queue holds one command of the toolkit session's applet */
	unsigned pro_n, pro_next;
	bool pro_fetched; /* pro[pro_next] was fetched; its TERMINAL RESPONSE is due */
	uint8_t cmd_number;
	uint8_t msg_ref;

	uint8_t pkt[OTA_MAX_PACKET];
	uint8_t work[OTA_MAX_PACKET];
	uint8_t data[OTA_MAX_PACKET]; /* the script's response */
	uint8_t por[OTA_MAX_PACKET + 8];
	uint8_t last[CARD_RESP_MAX]; /* response data a GET RESPONSE in the script may still ask for */
	size_t last_len;
	uint8_t rdata[OTA_MAX_PACKET]; /* R-APDU data of an expanded response */

	struct ota_re_keyset keysets[HEAP_OS_KEYSET_COUNT]; /* by NVM key set index */

	struct ota_tk tk;

	struct admin_agent *agent; /* the SCP81 admin agent (admin_agent.h) */
};

/* Where a TAR leads. */
struct ota_target {
	bool rfm;
	int applet; /* applet table index when !rfm */
	uint8_t msl;
	bool expanded;
	bool toolkit; /* the applet's toolkit TAR: SMS-PP download events, not scripts */
	bool admin;   /* the SCP81 admin agent's TAR: push SMS (admin_agent.h) */
};

/* ---- ota_config.c: the persistent configuration in the OS block ---- */

/*! Write the manifest's RFM TARs, applet MSLs and key sets, and create the UICC file system. \returns 0; -errno */
int ota_config_install(struct nvm *n, const struct manifest *m, const struct card_identity *id);
/*! Find the TAR. \returns 0; -ENOENT */
int ota_config_target(const struct nvm *n, const uint8_t tar[3], struct ota_target *t);
/*! The key set with version \a kvn. \returns its index; -ENOENT */
int ota_config_keyset(const struct nvm *n, uint8_t kvn);
/*! Key set \a idx's algorithm family (MANIFEST_OTA_3DES or MANIFEST_OTA_AES). */
uint8_t ota_config_alg(const struct nvm *n, int idx);
/*! The codec's key set for NVM key set \a idx (its KIc and KID, with the algorithm nibbles its family and key
 *  lengths call for: AES 2, 3DES 5 with 16 bytes, 9 with 24) and CCs of \a cc_len (4 or 8) bytes, from \a re's
 *  cache: made on first use, made again when the NVM entry has changed since. Owned by \a re: valid until the next
 *  call or ota_config_keysets_drop(). \returns it; NULL (the entry's keys do not fit their algorithm; no memory) */
struct ota_keyset *ota_config_keyset_get(struct ota_re *re, const struct nvm *n, int idx, uint8_t cc_len);
/*! A key set of the KIc of NVM key set \a kic_idx and the KID of \a kid_idx (a packet naming two key sets), not
 *  cached: the caller frees it. \returns it; NULL as ota_config_keyset_get() */
struct ota_keyset *ota_config_keyset_make(const struct nvm *n, int kic_idx, int kid_idx, uint8_t cc_len);
/*! Free \a re's key sets and wipe what they were made from. */
void ota_config_keysets_drop(struct ota_re *re);
/*! The admin agent's TAR and push defaults. \returns 0; -ENOENT (none configured) */
int ota_config_admin(const struct nvm *n, struct manifest_admin *a);
/*! The admin agent's PSK of key version \a kvn and id \a kid into \a psk (secret: the caller wipes it).
 *  \returns its length; -ENOENT */
int ota_config_psk(const struct nvm *n, uint8_t kvn, uint8_t kid, uint8_t *psk, size_t max);
uint64_t ota_config_counter(const struct nvm *n, int idx);
int ota_config_set_counter(struct nvm *n, int idx, uint64_t cntr);
/*! Whether a packet with SPI byte 1 \a spi1 meets \a msl (both SPI1-coded). */
bool ota_msl_met(uint8_t spi1, uint8_t msl);

/* ---- ota_exec.c: running the remote APDU script against the target ---- */

/*! Run \a script (compact or expanded per \a t) and write its response into re->data.
 *  \returns the response length; -EIO on power loss */
int ota_exec_script(struct card_os *os, const struct ota_target *t, const uint8_t *script, size_t len);

/* ---- ota_re.c: ENVELOPE (SMS-PP download) ---- */

struct ota_re *ota_re_new(void);
void ota_re_free(struct ota_re *re);
/*! Power-on, power-off or reset: drop reassembly, pending proactive commands and the key sets. */
void ota_re_reset(struct ota_re *re);
/*! ENVELOPE data \a d. Response data (a PoR) to \a out, at most OTA_RE_ENVELOPE_RESP_MAX bytes.
 *  \returns the status word; -EIO on power loss */
int ota_re_envelope(struct card_os *os, const uint8_t *d, size_t len, uint8_t *out, size_t *out_len);
/*! The toolkit session's PoR, its data the reply in re->data: secured with the packet's key sets, as SEND SHORT
 *  MESSAGE (or to \a out when \a out is not NULL and the SPI allows it). \returns the envelope's SW */
int ota_re_tk_por(struct card_os *os, uint8_t *out, size_t *out_len);

/* ---- toolkit.c: applets' toolkit sessions ---- */

/*! Whether a toolkit session lasts (a new SMS-PP download gets 9300). */
bool tk_active(const struct ota_re *re);
/*! Begin a session of applet t->applet for packet \a cmd (its secured data deciphered): the SMS-PP download event.
 *  \returns 1 when the applet replied during it (the reply in re->data, re->tk.reply_len bytes); 0 when the session
 *  goes on; -EIO on power loss */
int tk_download(struct card_os *os, const struct ota_target *t, const struct ota_command *cmd, uint8_t chl,
		const struct sms_addr *oa);
/*! A TERMINAL RESPONSE that answers the applet's pending command: its event, then what it leaves. \returns 0 */
int tk_terminal_response(struct card_os *os, const struct card_tk_result *res, const uint8_t *d, size_t len);
/*! End the session without a PoR and wipe its RAM (reset, power loss). */
void tk_drop(struct ota_re *re);

/* ---- proactive.c: SEND SHORT MESSAGE, FETCH, TERMINAL RESPONSE ---- */

/*! Queue PoR user data \a ud (UDH 02 71 00 first) as SMS-SUBMITs to \a da, split and concatenated when over one SMS.
 *  \returns 0; -E2BIG (more than OTA_RE_MAX_PARTS parts) */
int proactive_queue_por(struct ota_re *re, const struct sms_addr *da, const uint8_t *ud, size_t len);
/*! The status word that tells the terminal about a waiting proactive command (91xx), or \a sw when none waits. */
uint16_t proactive_status(const struct ota_re *re, uint16_t sw);
/*! Whether a proactive command waits: a PoR's, an applet's or the admin agent's. */
bool proactive_busy(const struct ota_re *re);
/*! Whether the queue of PoR or applet commands is not empty (the admin agent's command aside). */
bool proactive_queue_busy(const struct ota_re *re);
/*! The next command number (1..254). */
uint8_t proactive_next_number(struct ota_re *re);
uint16_t proactive_fetch(struct ota_re *re, uint32_t ne, uint8_t *out, size_t *out_len);
uint16_t proactive_terminal_response(struct card_os *os, const uint8_t *d, size_t len);
/*! Queue the applet's proactive command of \a type and \a qualifier with the simple TLVs \a body after its
 *  command details and device identities (\a dest the destination device). \returns 0; -E2BIG */
int proactive_queue_applet(struct ota_re *re, uint8_t type, uint8_t qualifier, uint8_t dest, const uint8_t *body,
			   size_t len);
