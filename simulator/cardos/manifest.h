/* The card manifest: what a card is built with, read once when the card is created (installation).
 *
 * Text, one directive per line; blank lines and lines starting with '#' are skipped; fields are separated by
 * spaces or tabs; numbers are decimal, byte strings hex:
 *
 *   atr HEX                 the card's ATR (2..33 bytes); default 3B80800101 (T=1)
 *   nvm-size BYTES          size of the NVM data area (65536..16777216); default 262144
 *   applet NAME aid HEX ram BYTES nvm BYTES [tar HEX] [msl HEX]
 *                           install the linked applet NAME: AID 5..16 bytes, TAR 3 bytes (unique per card),
 *                           RAM budget (transient bytes) and NVM budget (bytes of its objects), at most 8;
 *                           over the air its TAR takes expanded remote APDU scripts (TS 102 226). An applet
 *                           may be installed more than once: each instance has its own AID, budgets and
 *                           objects, and reaches none of the others'
 *   rfm tar HEX [msl HEX] [format compact|expanded]
 *                           remote file management of the UICC file system through this TAR, at most 4;
 *                           scripts in the compact format unless said otherwise
 *   toolkit NAME tar HEX [msl HEX]
 *                           a toolkit TAR of applet NAME (installed by an earlier applet line, at most one per
 *                           applet, unique per card): secured data to it is not a script but an SMS-PP download
 *                           event for the applet (card_toolkit.h), which answers later through the PoR; MSL as for
 *                           an applet TAR (default 16)
 *   ota-key KVN ALGO KIC KID
 *                           an OTA key set (TS 102 225): key version 1..15, ALGO 3des (keys of 16 or 24 bytes)
 *                           or aes (16, 24 or 32 bytes), at most 4, versions unique
 *   admin tar HEX [msl HEX] [server IP:PORT] [uri URI]
 *                           the SCP81 admin agent (GlobalPlatform Amendment B over BIP, admin_agent.h): its TAR
 *                           for push SMS (unique per card; MSL as for an applet TAR, default 16) and the defaults
 *                           of a push "81 00": the RAS's IPv4 address and TCP port (default 8443; no server: a
 *                           push must name one) and the URI of the first POST (default /simpki/ras, 1..128
 *                           printable characters starting with '/'); at most one
 *   scp81-psk KVN KID HEX   a TLS-PSK key of the admin agent: key version 64..79, key id 1..127, PSK of 16 or 32
 *                           bytes; at most 2, (KVN, KID) unique. Secret, like ota-key
 *
 * An MSL (minimum security level, TS 102 226 §8.2.1.3.2.4.2) is coded as the first SPI byte: b2b1 integrity
 * (1 RC, 2 CC), b3 ciphering, b5b4 counter (1 available, 2 higher, 3 exactly one higher). Default 16: CC,
 * ciphering and a counter that must be higher. Digital signatures (integrity 3) are not supported.
 *
 * Unknown directives, repeated keys, bad numbers and a line over 512 characters are errors naming the line.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_MAX_APPLETS 8
#define MANIFEST_NAME_MAX 15
#define MANIFEST_MAX_RFM 4
#define MANIFEST_MAX_OTA_KEYS 4
#define MANIFEST_MSL_DEFAULT 0x16

enum manifest_ota_alg {
	MANIFEST_OTA_3DES = 1,
	MANIFEST_OTA_AES = 2,
};

struct manifest_applet {
	char name[MANIFEST_NAME_MAX + 1];
	uint8_t aid[16];
	uint8_t aid_len; /* 5..16 */
	bool has_tar;
	uint8_t tar[3];
	uint8_t msl;	 /* minimum security level for its TAR */
	bool has_tk_tar; /* a toolkit TAR (SMS-PP download events, card_toolkit.h) */
	uint8_t tk_tar[3];
	uint8_t tk_msl;
	uint32_t ram; /* transient RAM budget, bytes */
	uint32_t nvm; /* NVM budget, bytes */
};

/* A TAR of remote file management. */
struct manifest_rfm {
	uint8_t tar[3];
	uint8_t msl;
	bool expanded; /* scripts in the expanded format */
};

/* An OTA key set. Secret: wipe the manifest when done with it. */
struct manifest_ota_key {
	uint8_t kvn;
	uint8_t alg; /* enum manifest_ota_alg */
	uint8_t kic[32], kic_len;
	uint8_t kid[32], kid_len;
};

/* The SCP81 admin agent's TAR and push defaults. */
struct manifest_admin {
	bool present;
	uint8_t tar[3];
	uint8_t msl;
	bool has_server;
	uint8_t ip[4];
	uint16_t port;
	char uri[129];
};

/* A TLS-PSK key of the admin agent. Secret: wipe the manifest when done with it. */
struct manifest_psk {
	uint8_t kvn, kid;
	uint8_t psk[32], len;
};

#define MANIFEST_MAX_PSK 2

struct manifest {
	uint8_t atr[33];
	uint8_t atr_len;
	uint32_t nvm_size;
	struct manifest_applet applets[MANIFEST_MAX_APPLETS];
	unsigned napplets;
	struct manifest_rfm rfm[MANIFEST_MAX_RFM];
	unsigned nrfm;
	struct manifest_ota_key keys[MANIFEST_MAX_OTA_KEYS];
	unsigned nkeys;
	struct manifest_admin admin;
	struct manifest_psk psks[MANIFEST_MAX_PSK];
	unsigned npsks;
};

/* The manifest of a simpki SIM when none is given. */
extern const char manifest_default[];

/*! Parse manifest \a text. On error, \a err (size \a errlen) says which line and why.
 *  \returns 0; -EINVAL */
int manifest_parse(const char *text, struct manifest *m, char *err, size_t errlen);
/*! Parse one "ota-key KVN ALGO KIC KID" line (the manifest's directive) into \a out, with the manifest's checks and
 *  messages. Secret: the caller wipes \a out. \returns 0; -EINVAL with \a err set */
int manifest_parse_ota_key(const char *line, struct manifest_ota_key *out, char *err, size_t errlen);
/*! Parse one "scp81-psk KVN KID HEX" line into \a out (npsks 1). Secret: the caller wipes \a out.
 *  \returns 0; -EINVAL with \a err set */
int manifest_parse_psk(const char *line, struct manifest *out, char *err, size_t errlen);
/*! Whether \a msl is a level this card can enforce (no DS, no reserved bits). */
bool manifest_msl_ok(uint8_t msl);
