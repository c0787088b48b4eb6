/* The layout of the NVM data area: the card OS block, the object table and the object heap.
 *
 *   0x0000  OS block, 1024 bytes
 *           0    "SPKICARD"                 8    u32 layout version (1)
 *           12   u32 object table entries    16   u32 heap start
 *           20   u8 ATR length, ATR (33)      54   u8 ICCID length, ICCID digits (20, ASCII)
 *           75   u8 IMSI length, digits (15)  91   u8 MSISDN length, digits (15)
 *           108  u16 UICC file system object (uicc_fs.h; 0: none)
 *           112  u32 key generations: every card_key_generate() that succeeded, counted in its transaction (an
 *                image made before the counter existed holds 0 here, as its unused bytes were zero)
 *           116  u16 the SCP81 admin agent's configuration object (0: none; an OS object of HEAP_ADMIN_SIZE bytes,
 *                written whole by one NVM write, so a change of it, PSKs included, is atomic):
 *                0 u8 present | 1 TAR (3) | 4 u8 MSL | 5 u8 has server | 6 IPv4 (4) | 10 u16 port | 12 u8 URI
 *                length, URI (128) | 144 PSK keys, 2 entries of 40 bytes: u8 KVN (0: unused) | u8 KID |
 *                u8 PSK length (16 or 32) | 5 zero | PSK (32)
 *           128  applet table, HEAP_APPLETS entries of 64 bytes:
 *                0 name (16, NUL padded) | 16 u8 AID length, AID (16) | 33 u8 has TAR, TAR (3) |
 *                37 u8 MSL of the TAR | 40 u32 RAM budget | 44 u32 NVM budget | 48 u16 root object handle |
 *                52 u8 has a toolkit TAR, TAR (3) | 56 u8 MSL of the toolkit TAR
 *           640  u8 number of RFM TARs (0..4)
 *           644  RFM TARs, 4 entries of 8 bytes: TAR (3) | u8 MSL | u8 format (0 compact, 1 expanded) | 3 zero
 *           704  OTA key sets, 4 entries of 80 bytes (ota_re.h):
 *                0 u8 KVN (0: unused) | 1 u8 algorithm (1 3DES, 2 AES) | 2 u8 KIc length | 3 u8 KID length |
 *                8 counter (5 bytes, big-endian) | 16 KIc (32) | 48 KID (32)
 *   0x0400  object table, HEAP_OBJECTS entries of 12 bytes:
 *           u32 offset in the data area | u32 size | u8 owner | u8 kind | u16 zero
 *           owner 0 = free entry, 1..HEAP_APPLETS = applet table index + 1, 0xFF = the OS
 *   0x3400  heap: objects, 4-byte aligned, never overlapping, wiped (zero) when freed
 *
 * Integers are little-endian. An object handle is its table index + 1, so handle 0 means none.
 * Every change goes through the NVM layer (nvm.h), so an allocation is atomic, and part of the caller's
 * transaction when one is open. A table entry that points outside the heap makes the image invalid.
 */
#pragma once
#include <stdint.h>

#include <simpki/card.h>

#include "nvm.h"

#define HEAP_LAYOUT_VERSION 1
#define HEAP_APPLETS 8
#define HEAP_OBJECTS 1024
#define HEAP_OS_BLOCK 0x0000
#define HEAP_APPLET_TABLE 128
#define HEAP_APPLET_ENTRY 64
#define HEAP_OS_FS 108
#define HEAP_OS_KEYGENS 112
#define HEAP_OS_ADMIN 116
#define HEAP_ADMIN_SIZE 224
#define HEAP_ADMIN_PSK 144
#define HEAP_ADMIN_PSK_ENTRY 40
#define HEAP_OS_RFM_COUNT 640
#define HEAP_OS_RFM 644
#define HEAP_OS_RFM_ENTRY 8
#define HEAP_OS_KEYSETS 704
#define HEAP_OS_KEYSET 80
#define HEAP_OS_KEYSET_COUNT 4
#define HEAP_TABLE 0x0400
#define HEAP_START (HEAP_TABLE + HEAP_OBJECTS * 12)

#define HEAP_OWNER_FREE 0
#define HEAP_OWNER_OS 0xff

enum heap_kind {
	HEAP_KIND_DATA = 1,
	HEAP_KIND_PIN = 2,
	HEAP_KIND_KEY = 3,
};

struct heap_obj {
	uint32_t off, size;
	uint8_t owner;
	uint8_t kind;
};

/*! Write an empty OS block and object table into a blank data area. */
int heap_format(struct nvm *n);
/*! Check the OS block and every table entry of an image being opened. \returns 0; -EBADMSG */
int heap_check(const struct nvm *n);
/*! Allocate a zeroed object. \a budget caps the total size of \a owner's objects (0: no cap).
 *  \returns 0 and sets *out; -ENOSPC (budget, heap or table full); -EIO */
int heap_alloc(struct nvm *n, uint8_t owner, enum heap_kind kind, uint32_t size, uint32_t budget, card_obj_t *out);
/*! Wipe and free an object. \returns 0; -ENOENT; -EIO */
int heap_free(struct nvm *n, card_obj_t h);
/*! Look up a handle. \returns 0 and fills *o; -ENOENT for a free or invalid handle */
int heap_get(const struct nvm *n, card_obj_t h, struct heap_obj *o);
/*! Total size of \a owner's objects. */
uint32_t heap_used(const struct nvm *n, uint8_t owner);
/*! Size of the largest allocation that would fit now (for `info`). */
uint32_t heap_free_bytes(const struct nvm *n);
