/* The card's non-volatile memory: one image, a redo journal inside it, transactions, and power-loss injection.
 *
 * Image layout (all integers little-endian), the same bytes in memory and in the card's file:
 *
 *   0          image header, 64 bytes: "SIMPKINV" | u32 version (1) | u32 header size (64) | u32 journal size J |
 *              u32 data size D | u32 crc32 of the 24 bytes before it | zero padding
 *   64         journal area, J bytes: a 32-byte journal header, then the journal body
 *   64 + J     data area, D bytes: what the card OS and its applets see (see heap.h for its layout)
 *
 *   journal header: u32 magic "JRNL" (0x4C4E524A) | u32 sequence | u32 records | u32 body length |
 *                   u32 crc32 of the body | 8 reserved bytes | u32 crc32 of the 28 bytes before it
 *   journal record: u32 data-area offset | u32 length, bit 31 set for "zero these bytes" | the bytes, unless zero
 *
 * Commit protocol (each step is one physical write; "sync" is fdatasync when backed by a file):
 *   1. write the body   2. sync   3. write the header (the commit point)   4. sync
 *   5. write each record into the data area   6. sync   7. zero the header and the body (one write)
 * Opening an image replays a journal whose header and body checksums hold, then zeroes the journal area, so an
 * image cut at any write comes back with the transaction wholly applied (cut after step 3) or not at all (cut
 * before). A cut inside step 7 leaves a header that no longer checks out (or a body that does not): the records
 * are already in the data area, so dropping the journal is right.
 *
 * Secrets: records carry whatever the transaction wrote, PIN values and private keys included. The journal area
 * is all zero after every commit and after every power-on (step 7; a body cut before its header is zeroed at
 * power-on), and freed objects are zeroed in the data area (heap.h), so no old secret stays in the image. Copies
 * in the host's memory (undo data, the view, the image) are zeroed before they are freed.
 *
 * Power loss: a fault armed on the store cuts the Nth physical write from now (optionally torn: only its first
 * half reaches the medium); that write and every later one fail with -EIO until the store is revived, as a card
 * without power would. The powered-on view (struct nvm) must then be closed and the store opened again.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NVM_HEADER_SIZE 64
#define NVM_JOURNAL_HEADER_SIZE 32
#define NVM_VERSION 1
#define NVM_PAGE_SIZE 64 /* the unit a real SIM's NVM writes, for the timing model */

/* The persistent medium: the image bytes, and the file they are written through to (if any). */
struct nvm_store;
/* A powered-on card's view of the data area, with its open transaction. */
struct nvm;

enum nvm_tear {
	NVM_TEAR_NONE = 0, /* the cut write does not happen at all */
	NVM_TEAR_HALF = 1, /* its first half reaches the medium */
	NVM_TEAR_FULL = 2, /* it completes, and power is lost right after */
};

/*! A new, blank image in memory (journal area \a journal_size, data area \a data_size bytes, all zero).
 *  \returns 0; -EINVAL for sizes out of range; -ENOMEM */
int nvm_store_new(uint32_t journal_size, uint32_t data_size, struct nvm_store **out);
/*! A memory-only store holding a copy of \a len image bytes (as nvm_store_image() gives them).
 *  \returns 0; -EBADMSG if they are not a valid image; -ENOMEM */
int nvm_store_from_image(const uint8_t *img, size_t len, struct nvm_store **out);
/*! Load the image file at \a path; writes go through to it from now on. The file is locked (flock) for as long as
 *  the store lives. \returns 0; -EBUSY if another process holds it; -errno; -EBADMSG if it is not a valid image */
int nvm_store_load(const char *path, struct nvm_store **out);
/*! Write the whole image to a new file at \a path atomically (temporary file, fsync, rename) and write through
 *  to it from now on (locked, as nvm_store_load()). \returns 0; -EEXIST if \a path exists and !force; -EBUSY if
 *  another process holds the card being replaced; -errno */
int nvm_store_save(struct nvm_store *s, const char *path, bool force);
void nvm_store_free(struct nvm_store *s);
/*! fsync after the commit steps (default true; tests on throw-away images may turn it off). */
void nvm_store_set_sync(struct nvm_store *s, bool sync);

/*! Cut the \a nth physical write from now (1 = the next one); 0 disarms. */
void nvm_store_arm_fault(struct nvm_store *s, uint64_t nth, enum nvm_tear tear);
/*! Physical writes made since the store was created or loaded. */
uint64_t nvm_store_writes(const struct nvm_store *s);
/*! NVM pages (NVM_PAGE_SIZE bytes, aligned from the image's start) those writes touched, a page once per write. */
uint64_t nvm_store_pages_written(const struct nvm_store *s);
/*! Whether power was lost (a fault fired). */
bool nvm_store_dead(const struct nvm_store *s);
/*! Power comes back: writes work again (the medium keeps what reached it). */
void nvm_store_revive(struct nvm_store *s);
/*! The raw image bytes (header, journal and data area), for tests. */
const uint8_t *nvm_store_image(const struct nvm_store *s, size_t *size);

/*! Power on: replay or discard the journal, then map the data area. \returns 0; -EIO; -ENOMEM */
int nvm_open(struct nvm_store *s, struct nvm **out);
/*! Power off. An open transaction is dropped (as power loss would). */
void nvm_close(struct nvm *n);

/*! The data area as the card sees it, including uncommitted writes of the open transaction. The pages are mapped
 *  read-only: every change goes through nvm_write() and its journal (a write through this pointer faults). */
const uint8_t *nvm_data(const struct nvm *n);
uint32_t nvm_data_size(const struct nvm *n);

/*! Write into the data area. Inside a transaction the write joins it; otherwise it is committed on its own.
 *  \returns 0; -ERANGE outside the data area; -ENOSPC journal full; -EIO power lost */
int nvm_write(struct nvm *n, uint32_t off, const void *buf, uint32_t len);
/*! Same as nvm_write() with zero bytes, cheap in the journal. */
int nvm_zero(struct nvm *n, uint32_t off, uint32_t len);
/*! Commit this write on its own now, even inside a transaction: try counters must not roll back with the applet's
 *  transaction. An abort of the transaction leaves these bytes as written here. \returns 0; -EBUSY (nothing
 *  written) when the open transaction already changed any of these bytes, since its abort would restore them;
 *  -ERANGE; -ENOSPC; -EIO */
int nvm_write_now(struct nvm *n, uint32_t off, const void *buf, uint32_t len);

int nvm_tx_begin(struct nvm *n);  /* -EBUSY if open */
int nvm_tx_commit(struct nvm *n); /* -EINVAL if none open; -EIO */
void nvm_tx_abort(struct nvm *n);
bool nvm_tx_open(const struct nvm *n);
