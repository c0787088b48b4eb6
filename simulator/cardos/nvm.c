/* NVM image, redo journal and transactions; the format and the commit protocol are in nvm.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simpki/bytes.h>
#include <simpki/crc32.h>

#include "nvm.h"

#define IMAGE_MAGIC "SIMPKINV"
#define JOURNAL_MAGIC 0x4c4e524au /* "JRNL" */
#define REC_ZERO 0x80000000u
#define JOURNAL_MIN (4 * 1024)
#define JOURNAL_MAX (1024 * 1024)
#define DATA_MIN (4 * 1024)
#define DATA_MAX (64 * 1024 * 1024)

struct nvm_store {
	uint8_t *img; /* the medium's bytes: what survives power loss */
	size_t size;  /* NVM_HEADER_SIZE + jsize + dsize */
	uint32_t jsize, dsize;
	int fd;		   /* write-through file, or -1 for a memory-only card */
	bool sync;	   /* fsync at the commit protocol's sync steps */
	uint32_t seq;	   /* sequence number of the last journal written */
	uint64_t writes;   /* physical writes so far */
	uint64_t pages;	   /* NVM_PAGE_SIZE pages those writes touched */
	uint64_t fault_at; /* absolute index of the write that loses power; 0 = none */
	enum nvm_tear tear;
	bool dead; /* power lost: every write fails until revived */
};

/* A range the open transaction changed. Records are applied in order; a zero record zeroes its bytes at that
 * point, a data record takes the view's final bytes, so the last record covering a byte decides it. */
struct nvm_rec {
	uint32_t off, len;
	bool zero;
};

struct nvm_undo {
	uint32_t off, len;
	uint8_t *old; /* the bytes before the write */
};

struct nvm {
	struct nvm_store *s;
	uint32_t dsize;
	uint8_t *view;	   /* the data area as the card sees it: dsize bytes, written only by this file */
	const uint8_t *ro; /* the same pages mapped read-only: what nvm_data() hands out */
	bool tx;	   /* a transaction is open */
	struct nvm_rec *recs;
	size_t nrec, rec_cap;
	size_t body_len; /* journal body bytes the records will need */
	struct nvm_undo *undo;
	size_t nundo, undo_cap;
};

/* ---- the medium ---------------------------------------------------------------------------------------------- */

static uint32_t journal_capacity(const struct nvm_store *s)
{
	return s->jsize - NVM_JOURNAL_HEADER_SIZE;
}

static size_t journal_off(void)
{
	return NVM_HEADER_SIZE;
}

static size_t data_off(const struct nvm_store *s)
{
	return NVM_HEADER_SIZE + s->jsize;
}

static int medium_write(struct nvm_store *s, size_t off, const void *buf, size_t len)
{
	static const uint8_t zeros[4096];

	if (buf)
		memcpy(s->img + off, buf, len);
	else
		memset(s->img + off, 0, len);
	if (s->fd < 0)
		return 0;
	while (len) {
		size_t chunk = buf ? len : (len < sizeof(zeros) ? len : sizeof(zeros));
		ssize_t rc = pwrite(s->fd, buf ? buf : zeros, chunk, (off_t)off);

		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)rc;
		len -= (size_t)rc;
		if (buf)
			buf = (const uint8_t *)buf + rc;
	}
	return 0;
}

/* One physical NVM write (buf NULL: zeros). This is where power is lost when a fault is armed. */
static int phys_write(struct nvm_store *s, size_t off, const void *buf, size_t len)
{
	if (s->dead)
		return -EIO;
	s->writes++;
	if (len)
		s->pages += (off + len - 1) / NVM_PAGE_SIZE - off / NVM_PAGE_SIZE + 1;
	if (s->fault_at && s->writes == s->fault_at) {
		size_t part = s->tear == NVM_TEAR_FULL ? len : s->tear == NVM_TEAR_HALF ? len / 2 : 0;

		medium_write(s, off, buf, part);
		s->dead = true;
		s->fault_at = 0;
		return -EIO;
	}
	return medium_write(s, off, buf, len);
}

static int phys_sync(struct nvm_store *s)
{
	if (s->dead)
		return -EIO;
	if (s->fd >= 0 && s->sync && fdatasync(s->fd) < 0)
		return -errno;
	return 0;
}

static void header_encode(struct nvm_store *s)
{
	uint8_t *h = s->img;

	memset(h, 0, NVM_HEADER_SIZE);
	memcpy(h, IMAGE_MAGIC, 8);
	put_le32(h + 8, NVM_VERSION);
	put_le32(h + 12, NVM_HEADER_SIZE);
	put_le32(h + 16, s->jsize);
	put_le32(h + 20, s->dsize);
	put_le32(h + 24, crc32_update(0, h, 24));
}

static struct nvm_store *store_alloc(uint32_t jsize, uint32_t dsize)
{
	struct nvm_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->size = (size_t)NVM_HEADER_SIZE + jsize + dsize;
	s->img = calloc(1, s->size);
	if (!s->img) {
		free(s);
		return NULL;
	}
	s->jsize = jsize;
	s->dsize = dsize;
	s->fd = -1;
	s->sync = true;
	return s;
}

int nvm_store_new(uint32_t journal_size, uint32_t data_size, struct nvm_store **out)
{
	struct nvm_store *s;

	if (journal_size < JOURNAL_MIN || journal_size > JOURNAL_MAX || data_size < DATA_MIN || data_size > DATA_MAX)
		return -EINVAL;
	s = store_alloc(journal_size, data_size);
	if (!s)
		return -ENOMEM;
	header_encode(s);
	*out = s;
	return 0;
}

static int read_all(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t rc = read(fd, buf, len);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -EBADMSG;
		buf += rc;
		len -= (size_t)rc;
	}
	return 0;
}

/* Check an image header; sets the journal and data sizes. \returns 0 or -EBADMSG */
static int header_check(const uint8_t *h, uint64_t image_len, uint32_t *jsize, uint32_t *dsize)
{
	*jsize = get_le32(h + 16);
	*dsize = get_le32(h + 20);
	if (memcmp(h, IMAGE_MAGIC, 8) || get_le32(h + 8) != NVM_VERSION || get_le32(h + 12) != NVM_HEADER_SIZE ||
	    get_le32(h + 24) != crc32_update(0, h, 24) || *jsize < JOURNAL_MIN || *jsize > JOURNAL_MAX ||
	    *dsize < DATA_MIN || *dsize > DATA_MAX || image_len != (uint64_t)NVM_HEADER_SIZE + *jsize + *dsize)
		return -EBADMSG;
	return 0;
}

int nvm_store_from_image(const uint8_t *img, size_t len, struct nvm_store **out)
{
	struct nvm_store *s;
	uint32_t jsize, dsize;

	if (len < NVM_HEADER_SIZE || header_check(img, len, &jsize, &dsize))
		return -EBADMSG;
	s = store_alloc(jsize, dsize);
	if (!s)
		return -ENOMEM;
	memcpy(s->img, img, len);
	*out = s;
	return 0;
}

/* One process at a time may hold a card image: a second one gets -EBUSY. The lock goes with the descriptor. */
static int lock_image(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

int nvm_store_load(const char *path, struct nvm_store **out)
{
	uint8_t h[NVM_HEADER_SIZE];
	struct nvm_store *s;
	struct stat st;
	uint32_t jsize, dsize;
	int fd, rc;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = lock_image(fd);
	if (!rc)
		rc = fstat(fd, &st) < 0 ? -errno : read_all(fd, h, sizeof(h));
	if (!rc)
		rc = header_check(h, (uint64_t)st.st_size, &jsize, &dsize);
	if (rc)
		goto fail;
	s = store_alloc(jsize, dsize);
	if (!s) {
		rc = -ENOMEM;
		goto fail;
	}
	memcpy(s->img, h, sizeof(h));
	rc = read_all(fd, s->img + NVM_HEADER_SIZE, s->size - NVM_HEADER_SIZE);
	if (rc) {
		nvm_store_free(s);
		goto fail;
	}
	s->fd = fd;
	*out = s;
	return 0;
fail:
	close(fd);
	return rc;
}

int nvm_store_save(struct nvm_store *s, const char *path, bool force)
{
	char tmp[PATH_MAX];
	size_t done = 0;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (!force && access(path, F_OK) == 0)
		return -EEXIST;
	if (force) {
		/* Replacing a card that another process holds would pull it from under that process. */
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			rc = lock_image(fd);
			close(fd);
			if (rc)
				return rc;
		}
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (done < s->size && !rc) {
		ssize_t n = write(fd, s->img + done, s->size - done);

		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n > 0)
			done += (size_t)n;
	}
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (!rc && renameat2(AT_FDCWD, tmp, AT_FDCWD, path, force ? 0 : RENAME_NOREPLACE) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = lock_image(fd);
	if (rc) {
		close(fd);
		return rc;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	return 0;
}

void nvm_store_free(struct nvm_store *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	explicit_bzero(s->img, s->size); /* the card's secrets, in the host's memory */
	free(s->img);
	free(s);
}

void nvm_store_set_sync(struct nvm_store *s, bool sync)
{
	s->sync = sync;
}

void nvm_store_arm_fault(struct nvm_store *s, uint64_t nth, enum nvm_tear tear)
{
	s->fault_at = nth ? s->writes + nth : 0;
	s->tear = tear;
}

uint64_t nvm_store_writes(const struct nvm_store *s)
{
	return s->writes;
}

uint64_t nvm_store_pages_written(const struct nvm_store *s)
{
	return s->pages;
}

bool nvm_store_dead(const struct nvm_store *s)
{
	return s->dead;
}

void nvm_store_revive(struct nvm_store *s)
{
	s->dead = false;
	s->fault_at = 0;
}

const uint8_t *nvm_store_image(const struct nvm_store *s, size_t *size)
{
	*size = s->size;
	return s->img;
}

/* ---- journal ------------------------------------------------------------------------------------------------- */

/* Write the records' journal, commit it, apply it, clear it: steps 1-7 of nvm.h. */
static int journal_commit(struct nvm_store *s, const uint8_t *view, const struct nvm_rec *recs, size_t nrec,
			  size_t body_len)
{
	uint8_t hdr[NVM_JOURNAL_HEADER_SIZE] = { 0 };
	uint8_t *body, *p;
	int rc;

	body = malloc(body_len ? body_len : 1);
	if (!body)
		return -ENOMEM;
	p = body;
	for (size_t i = 0; i < nrec; i++) {
		put_le32(p, recs[i].off);
		put_le32(p + 4, recs[i].len | (recs[i].zero ? REC_ZERO : 0));
		p += 8;
		if (!recs[i].zero) {
			memcpy(p, view + recs[i].off, recs[i].len);
			p += recs[i].len;
		}
	}
	put_le32(hdr, JOURNAL_MAGIC);
	put_le32(hdr + 4, ++s->seq);
	put_le32(hdr + 8, (uint32_t)nrec);
	put_le32(hdr + 12, (uint32_t)body_len);
	put_le32(hdr + 16, crc32_update(0, body, body_len));
	put_le32(hdr + 28, crc32_update(0, hdr, 28));

	rc = phys_write(s, journal_off() + NVM_JOURNAL_HEADER_SIZE, body, body_len);
	explicit_bzero(body, body_len);
	free(body);
	if (!rc)
		rc = phys_sync(s);
	if (!rc)
		rc = phys_write(s, journal_off(), hdr, sizeof(hdr));
	if (!rc)
		rc = phys_sync(s);
	for (size_t i = 0; i < nrec && !rc; i++)
		rc = phys_write(s, data_off(s) + recs[i].off, recs[i].zero ? NULL : view + recs[i].off, recs[i].len);
	if (!rc)
		rc = phys_sync(s);
	/* Header and body in one write: the body may hold secrets (a PIN value, a private key) that must not outlive
	 * the commit; a cut inside this write leaves a header that no longer checks out, dropped at power-on. */
	if (!rc)
		rc = phys_write(s, journal_off(), NULL, NVM_JOURNAL_HEADER_SIZE + body_len);
	return rc;
}

/* Zero the journal area from its start up to its last non-zero byte, in one write (nothing if it is all zero). */
static int journal_wipe(struct nvm_store *s)
{
	const uint8_t *j = s->img + journal_off();
	size_t end = s->jsize;

	while (end && !j[end - 1])
		end--;
	return end ? phys_write(s, journal_off(), NULL, end) : 0;
}

/* At power-on: apply a complete journal, or drop a partial one. Records are checked before any is applied. */
static int journal_recover(struct nvm_store *s)
{
	const uint8_t *hdr = s->img + journal_off();
	const uint8_t *body = hdr + NVM_JOURNAL_HEADER_SIZE;
	uint32_t body_len, nrec;
	size_t pos = 0;
	bool valid;
	int rc;

	for (valid = false, pos = 0; pos < NVM_JOURNAL_HEADER_SIZE; pos++)
		valid |= hdr[pos] != 0;
	if (!valid)
		return journal_wipe(s); /* clean, but a body cut before its header was written may linger */
	body_len = get_le32(hdr + 12);
	nrec = get_le32(hdr + 8);
	valid = get_le32(hdr) == JOURNAL_MAGIC && get_le32(hdr + 28) == crc32_update(0, hdr, 28) &&
		body_len <= journal_capacity(s) && get_le32(hdr + 16) == crc32_update(0, body, body_len);
	s->seq = get_le32(hdr + 4);
	/* Every record must lie inside the body and the data area before anything is applied. */
	for (pos = 0; valid && nrec; nrec--) {
		uint32_t off, len;
		bool zero;

		if (body_len - pos < 8) {
			valid = false;
			break;
		}
		off = get_le32(body + pos);
		len = get_le32(body + pos + 4) & ~REC_ZERO;
		zero = get_le32(body + pos + 4) & REC_ZERO;
		pos += 8;
		if ((uint64_t)off + len > s->dsize || (!zero && len > body_len - pos))
			valid = false;
		else if (!zero)
			pos += len;
	}
	if (valid && pos != body_len)
		valid = false;
	for (pos = 0, nrec = get_le32(hdr + 8); valid && nrec; nrec--) {
		uint32_t off = get_le32(body + pos), len = get_le32(body + pos + 4) & ~REC_ZERO;
		bool zero = get_le32(body + pos + 4) & REC_ZERO;

		rc = phys_write(s, data_off(s) + off, zero ? NULL : body + pos + 8, len);
		if (rc)
			return rc;
		pos += 8 + (zero ? 0 : len);
	}
	rc = phys_sync(s);
	if (!rc)
		rc = journal_wipe(s);
	return rc;
}

/* ---- the powered-on view ------------------------------------------------------------------------------------- */

/* The view twice over the same memory: read-write for this file, read-only for everyone else, so a pointer from
 * nvm_data() cast to writable faults instead of changing the card behind the journal's back. */
static int view_map(struct nvm *n, uint32_t dsize)
{
	int fd = memfd_create("simpki-nvm", MFD_CLOEXEC);
	void *rw = MAP_FAILED, *ro = MAP_FAILED;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, dsize) < 0)
		rc = -errno;
	if (!rc && (rw = mmap(NULL, dsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
		rc = -errno;
	if (!rc && (ro = mmap(NULL, dsize, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		rc = -errno;
	close(fd);
	if (rc) {
		if (rw != MAP_FAILED)
			munmap(rw, dsize);
		return rc;
	}
	n->view = rw;
	n->ro = ro;
	n->dsize = dsize;
	return 0;
}

int nvm_open(struct nvm_store *s, struct nvm **out)
{
	struct nvm *n;
	int rc;

	rc = journal_recover(s);
	if (rc)
		return rc;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	rc = view_map(n, s->dsize);
	if (rc) {
		free(n);
		return rc;
	}
	memcpy(n->view, s->img + data_off(s), s->dsize);
	n->s = s;
	*out = n;
	return 0;
}

static void tx_reset(struct nvm *n)
{
	for (size_t i = 0; i < n->nundo; i++) {
		explicit_bzero(n->undo[i].old, n->undo[i].len);
		free(n->undo[i].old);
	}
	n->nundo = 0;
	n->nrec = 0;
	n->body_len = 0;
	n->tx = false;
}

void nvm_close(struct nvm *n)
{
	if (!n)
		return;
	tx_reset(n);
	free(n->recs);
	free(n->undo);
	explicit_bzero(n->view, n->dsize);
	munmap(n->view, n->dsize);
	munmap((void *)n->ro, n->dsize);
	free(n);
}

const uint8_t *nvm_data(const struct nvm *n)
{
	return n->ro;
}

uint32_t nvm_data_size(const struct nvm *n)
{
	return n->s->dsize;
}

bool nvm_tx_open(const struct nvm *n)
{
	return n->tx;
}

int nvm_tx_begin(struct nvm *n)
{
	if (n->tx)
		return -EBUSY;
	n->tx = true;
	return 0;
}

int nvm_tx_commit(struct nvm *n)
{
	int rc;

	if (!n->tx)
		return -EINVAL;
	rc = n->nrec ? journal_commit(n->s, n->view, n->recs, n->nrec, n->body_len) : 0;
	if (rc)
		nvm_tx_abort(n); /* the medium holds the old or the new state; the view goes back to the old one */
	else
		tx_reset(n);
	return rc;
}

void nvm_tx_abort(struct nvm *n)
{
	if (!n->tx)
		return;
	for (size_t i = n->nundo; i-- > 0;)
		memcpy(n->view + n->undo[i].off, n->undo[i].old, n->undo[i].len);
	tx_reset(n);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Add a write to the open transaction: journal space first, then undo data, then the view. */
static int tx_write(struct nvm *n, uint32_t off, const void *buf, uint32_t len)
{
	bool zero = !buf;
	struct nvm_rec *last = n->nrec ? &n->recs[n->nrec - 1] : NULL;
	bool same = last && last->off == off && last->len == len && last->zero == zero;
	size_t need = same ? 0 : 8 + (zero ? 0 : len);
	uint8_t *old;

	if (n->body_len + need > journal_capacity(n->s))
		return -ENOSPC;
	if (grow((void **)&n->recs, &n->rec_cap, n->nrec + 1, sizeof(*n->recs)) ||
	    grow((void **)&n->undo, &n->undo_cap, n->nundo + 1, sizeof(*n->undo)))
		return -ENOMEM;
	old = malloc(len);
	if (!old)
		return -ENOMEM;
	memcpy(old, n->view + off, len);
	n->undo[n->nundo++] = (struct nvm_undo){ .off = off, .len = len, .old = old };
	if (zero)
		memset(n->view + off, 0, len);
	else
		memmove(n->view + off, buf, len);
	if (!same) {
		n->recs[n->nrec++] = (struct nvm_rec){ .off = off, .len = len, .zero = zero };
		n->body_len += need;
	}
	return 0;
}

static int do_write(struct nvm *n, uint32_t off, const void *buf, uint32_t len)
{
	int rc;

	if ((uint64_t)off + len > n->s->dsize)
		return -ERANGE;
	if (!len)
		return 0;
	if (n->s->dead)
		return -EIO;
	if (n->tx)
		return tx_write(n, off, buf, len);
	n->tx = true;
	rc = tx_write(n, off, buf, len);
	if (rc) {
		nvm_tx_abort(n);
		return rc;
	}
	return nvm_tx_commit(n);
}

int nvm_write(struct nvm *n, uint32_t off, const void *buf, uint32_t len)
{
	if (!buf)
		return -EINVAL;
	return do_write(n, off, buf, len);
}

int nvm_zero(struct nvm *n, uint32_t off, uint32_t len)
{
	return do_write(n, off, NULL, len);
}

int nvm_write_now(struct nvm *n, uint32_t off, const void *buf, uint32_t len)
{
	struct nvm_rec rec = { .off = off, .len = len };
	int rc;

	if (!n->tx)
		return nvm_write(n, off, buf, len);
	if (!buf || (uint64_t)off + len > n->s->dsize)
		return -ERANGE;
	if (8 + (size_t)len > journal_capacity(n->s))
		return -ENOSPC;
	/* An abort would put the transaction's undo data, older than this write, back over it. */
	for (size_t i = 0; i < n->nrec; i++) {
		if (off < n->recs[i].off + n->recs[i].len && n->recs[i].off < off + len)
			return -EBUSY;
	}
	memmove(n->view + off, buf, len);
	rc = journal_commit(n->s, n->view, &rec, 1, 8 + (size_t)len);
	return rc;
}
