/* Secured packets for SMS-PP (ETSI TS 102 225 / 3GPP TS 31.115, "SCP80"): command packets and their proofs of
 * receipt (PoR), for the card's receiving entity and for the OTA server alike.
 *
 * Command packet (after the SMS user data header 02 70 00):
 *   CPL(2) | CHL(1) | SPI(2) | KIc(1) | KID(1) | TAR(3) | CNTR(5) | PCNTR(1) | RC/CC/DS(0, 4 or 8) | data | pad
 *   CHL = 13 + length of RC/CC/DS. CPL counts everything after itself. With ciphering, everything from CNTR to the
 *   end is enciphered with KIc (CBC, IV 0, zero padding to the block; PCNTR says how many pad bytes).
 *   The CC covers CPL..PCNTR, the data and the padding (the UDH is not included).
 * Response packet (PoR, after the UDH 02 71 00):
 *   RPL(2) | RHL(1) | TAR(3) | CNTR(5) | PCNTR(1) | status(1) | RC/CC/DS | data | pad
 *   RHL = 10 + length of RC/CC/DS. The PoR's CC covers the UDH 02 71 00 too, then RPL..status, data and padding.
 * SPI byte 1: b2b1 RC/CC/DS (0 none, 1 RC, 2 CC, 3 DS), b3 ciphering, b5b4 counter (0 none, 1 set, 2 higher,
 * 3 exactly one higher). SPI byte 2: b2b1 PoR (0 none, 1 always, 2 on error), b4b3 PoR RC/CC/DS, b5 PoR ciphered,
 * b6 PoR by SMS-SUBMIT (1) or in the SMS-DELIVER-REPORT (0).
 * KIc/KID: b8..b5 key version (KVN), b4..b1 algorithm: 1 DES, 5 3DES two keys, 9 3DES three keys, 2 AES (the key's
 * length picks 128, 192 or 256). For RC, KID b4..b1 is 1 (CRC16, refused here) or 5 (CRC32).
 * Every length is checked against the buffer and against what the header says; nothing is read past either.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTA_MAX_PACKET 4096 /* largest secured packet handled (a 1,200-byte certificate write fits easily) */
#define OTA_MAX_KEY 32

/* PoR status codes (TS 102 225 table 5.5). */
enum ota_status {
	OTA_POR_OK = 0x00,
	OTA_POR_RC_CC_DS_FAILED = 0x01,
	OTA_POR_CNTR_LOW = 0x02,
	OTA_POR_CNTR_HIGH = 0x03,
	OTA_POR_CNTR_BLOCKED = 0x04,
	OTA_POR_CIPHERING_ERROR = 0x05,
	OTA_POR_UNIDENTIFIED_SECURITY_ERROR = 0x06,
	OTA_POR_INSUFFICIENT_MEMORY = 0x07,
	OTA_POR_MORE_TIME = 0x08,
	OTA_POR_TAR_UNKNOWN = 0x09,
	OTA_POR_INSUFFICIENT_SECURITY_LEVEL = 0x0a,
	OTA_POR_SUBMIT_REQUIRED = 0x0b,
};

enum ota_integrity {
	OTA_NONE = 0,
	OTA_RC = 1,
	OTA_CC = 2,
	OTA_DS = 3,
};

enum ota_counter {
	OTA_CNTR_NONE = 0,
	OTA_CNTR_SET = 1,      /* "counter available": no replay or sequence check (simpki's card does not store it) */
	OTA_CNTR_HIGHER = 2,   /* must be higher than the card's */
	OTA_CNTR_PLUS_ONE = 3, /* must be the card's + 1 */
};

enum ota_por_mode {
	OTA_POR_NONE = 0,
	OTA_POR_ALWAYS = 1,
	OTA_POR_ON_ERROR = 2,
};

/* The SPI, decoded. */
struct ota_spi {
	enum ota_integrity integrity;
	bool ciphered;
	enum ota_counter counter;
	enum ota_por_mode por;
	enum ota_integrity por_integrity;
	bool por_ciphered;
	bool por_in_submit; /* PoR as an SMS-SUBMIT (proactive SEND SHORT MESSAGE) instead of the DELIVER-REPORT */
};

/* The key bytes of one key set as both ends hold them: what a struct ota_keyset is made from. */
struct ota_keys {
	uint8_t kic[OTA_MAX_KEY];
	uint8_t kic_len; /* DES 8, 3DES 16 or 24, AES 16, 24 or 32; 0: no ciphering key */
	uint8_t kid[OTA_MAX_KEY];
	uint8_t kid_len; /* the same; 0: no checksum key (none is needed for RC) */
	uint8_t cc_len;	 /* 8, or 4 for an AES-CMAC profile with short CCs; 0 means 8 */
};

/* A key set keyed for the codec: the KIc's cipher and the KID's checksum, each an OpenSSL context keyed once when
 * the key set is made and reused (re-initialised with the same key schedule) for every packet, so a sender or
 * receiver that keeps the key set pays for key setup once. The key bytes themselves are not kept: only OpenSSL's
 * keyed contexts, which wipe themselves when freed; nothing in a key set is ever printed or logged.
 * Ownership: ota_keyset_new() gives the caller the key set; ota_keyset_free() frees it (and everything keyed in it).
 * The codec functions below borrow it for the call. Not thread-safe: every call uses the key set's contexts, so one
 * key set serves one thread at a time (give each thread its own). Reusing a key set after any call, failed or not,
 * gives the same results as a fresh one. */
struct ota_keyset;

/* A command packet's header and content, decoded or to be encoded. */
struct ota_command {
	struct ota_spi spi;
	uint8_t kic, kid; /* the KIc and KID octets (key version and algorithm) */
	uint8_t tar[3];
	uint64_t cntr;	     /* 40 bits */
	uint8_t pcntr;	     /* decoded: the padding count the packet carried (encoding computes its own) */
	const uint8_t *data; /* the secured data: a remote APDU script (TS 102 226) */
	size_t data_len;
};

/* A proof of receipt. */
struct ota_response {
	uint8_t tar[3];
	uint64_t cntr;
	uint8_t pcntr;	     /* decoded: the padding count (encoding computes its own) */
	uint8_t status;	     /* enum ota_status */
	const uint8_t *data; /* additional response data (TS 102 226 response) */
	size_t data_len;
};

/*! The name TS 102 225 gives a PoR status ("PoR OK", "RC/CC/DS failed", "TAR unknown", ...; "reserved"). */
const char *ota_por_status_name(uint8_t status);

void ota_spi_decode(const uint8_t spi[2], struct ota_spi *out);
void ota_spi_encode(const struct ota_spi *spi, uint8_t out[2]);

/*! Make a key set for packets whose KIc octet is \a kic and KID octet is \a kid: their algorithm nibbles (b4..b1)
 *  pick the cipher and the checksum, which then take \a keys->kic and \a keys->kid (a length of 0 leaves that key
 *  out: packets asking for it are refused as with a key of the wrong length). The key bytes are not kept; the caller
 *  wipes \a keys. \returns 0 with *out set; -EINVAL (an unknown algorithm, a key length its algorithm does not
 *  take, a cc_len other than 0, 4 or 8), *out NULL; -ENOMEM */
int ota_keyset_new(uint8_t kic, uint8_t kid, const struct ota_keys *keys, struct ota_keyset **out);
/*! Free a key set and wipe what it keyed (NULL does nothing). */
void ota_keyset_free(struct ota_keyset *ks);

/* The codec. A key set passed as \a ks is borrowed (see above); NULL is a key set without keys (enough for packets
 * with no CC and no ciphering). A packet whose KIc or KID algorithm (for ciphering, or a CC) is not the one the key
 * set was made for, or needs a key the key set left out, is treated as one whose key has the wrong length. */

/*! Encode a command packet (without UDH) into \a out. \returns its length; -EINVAL for an impossible combination
 *  (unknown algorithm, key length not matching it, a key the key set does not have); -ENOTSUP for DS or CRC16;
 *  -E2BIG */
int ota_command_encode(const struct ota_command *cmd, struct ota_keyset *ks, uint8_t *out, size_t max);

/*! ota_command_encode() with a key set made for this one packet (and freed) from the keys of \a keys it uses
 *  (the KIc if ciphered, the KID with a CC; another may be anything): for one-off callers (tests, single packets).
 *  Anything that sends or receives packets keeps a key set instead. \returns as ota_command_encode(); -EINVAL
 *  also for a key the KIc or KID algorithm does not take; -ENOMEM */
int ota_command_encode_keys(const struct ota_command *cmd, const struct ota_keys *keys, uint8_t *out, size_t max);

/*! Read the clear header of a command packet (CPL, CHL, SPI, KIc, KID, TAR) without checking anything else, so the
 *  receiver can find the key set. \returns 0; -EBADMSG if the header does not fit or CPL/CHL disagree with \a len */
int ota_command_peek(const uint8_t *pkt, size_t len, struct ota_command *cmd);

/*! Decipher and check a command packet with \a ks. The deciphered packet goes to \a work (OTA_MAX_PACKET bytes),
 *  and cmd->data points into it (set also when only the checksum fails, for diagnostics: act on it only after
 *  OTA_POR_OK). \returns a PoR status (OTA_POR_OK when the packet is intact; the counter is
 *  the caller's to check); a negative errno when the packet is not even a packet (-EBADMSG) */
int ota_command_decode(const uint8_t *pkt, size_t len, struct ota_keyset *ks, struct ota_command *cmd, uint8_t *work);

/*! Encode a PoR for the command \a cmd (its SPI, KIc and KID say how it is secured), UDH 02 71 00 included.
 *  \returns its length; -EINVAL; -E2BIG */
int ota_response_encode(const struct ota_command *cmd, const struct ota_response *rsp, struct ota_keyset *ks,
			uint8_t *out, size_t max);

/*! Decode and check a PoR (UDH 02 71 00 included) for a command sent with \a cmd's SPI, KIc and KID.
 *  *cc_ok is true only when the PoR carries the checksum the SPI asked for (or none, if none was asked for) and it
 *  is right. A PoR without the checksum the SPI asked for (or, when it asked for none but for ciphering, whose body
 *  is not whole cipher blocks) is read in the clear: that is how cards answer security errors; *cc_ok is false.
 *  rsp->data points into \a work. \returns 0 and sets *cc_ok; -EBADMSG if it is not a PoR */
int ota_response_decode(const uint8_t *ud, size_t len, const struct ota_command *cmd, struct ota_keyset *ks,
			struct ota_response *rsp, bool *cc_ok, uint8_t *work);
