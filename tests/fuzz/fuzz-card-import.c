/* libFuzzer harness: a card vendor's CSV as simpki-otad reads it (ota-server/card_import.c, otad_import.c), cut
 * into pieces at points the input's first byte seeds. Checked: the records are the same however the file is cut
 * (one piece against the pieces); a parsed row has an ICCID of 18 to 20 digits, IMSI and MSISDN of digits, KVN
 * 1..15, key lengths its algorithm allows; a refused line has a reason; the streaming import of the pieces into an
 * in-memory database ends (done, or refused with every rejected line named, of a known kind) and leaves visible
 * exactly the cards it reports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/select.h>

#include "card_import.h"
#include "fuzz.h"
#include "otad_import.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-card-import: %s\n", what);
	abort();
}

static bool key_ok(enum card_import_algo a, uint8_t n)
{
	return a == CARD_IMPORT_AES ? n == 16 || n == 24 || n == 32 : n == 16 || n == 24;
}

/* Every record, checked, folded into a hash of (line, too_long, bytes). */
struct seen {
	uint64_t hash;
	unsigned n;
	int with_kik;
};

static int check_record(const char *rec, size_t len, unsigned line, bool too_long, void *priv)
{
	struct seen *s = priv;
	struct card_import_row r;
	char why[CARD_IMPORT_REASON_MAX];

	if (!len || len > CARD_IMPORT_LINE_MAX)
		die("a record of a bad length");
	s->hash = s->hash * 1099511628211ULL + line * 2 + too_long;
	for (size_t i = 0; i < len; i++)
		s->hash = (s->hash ^ (uint8_t)rec[i]) * 1099511628211ULL;
	s->n++;
	if (s->with_kik < 0) {
		s->with_kik = card_import_header(rec, len);
		if (s->with_kik < 0)
			s->with_kik = 0; /* go on parsing lines anyway */
		return 0;
	}
	why[0] = 0;
	if (card_import_line(rec, len, s->with_kik, &r, why, sizeof(why))) {
		if (!why[0])
			die("a refusal without a reason");
		return 0;
	}
	if (strlen(r.iccid) < 18 || strlen(r.iccid) > 20 || strlen(r.imsi) < 6 || !r.msisdn[0] || r.kvn < 1 ||
	    r.kvn > 15 || !key_ok(r.kic_algo, r.kic_len) || !key_ok(r.kid_algo, r.kid_len) || r.kik_len > 32)
		die("a bad row accepted");
	return 0;
}

static void split(const char *buf, size_t size, unsigned seed, struct seen *s)
{
	struct card_import_splitter sp;
	size_t off = 0;

	memset(s, 0, sizeof(*s));
	s->with_kik = -1;
	card_import_split_init(&sp);
	while (off < size) {
		size_t n = seed ? 1 + (size_t)rand_r(&seed) % 64 : size;

		if (n > size - off)
			n = size - off;
		card_import_split(&sp, buf + off, n, check_record, s);
		off += n;
	}
	card_import_split_end(&sp, check_record, s);
	card_import_split_wipe(&sp);
}

static void check_reject(const struct otad_import_reject *r, void *priv)
{
	if (!r->line || !r->reason[0] || r->kind >= OTAD_REJECT_N_KINDS)
		die("a rejected line without a line, reason or kind");
	(*(unsigned *)priv)++;
}

static void import_in_pieces(const char *buf, size_t size, unsigned seed)
{
	static const uint8_t mk[KEYSTORE_KEY_LEN] = { 1, 2, 3 };
	struct otad_import_status st;
	struct otad_import *im;
	struct otad_db *db;
	char err[256];
	size_t off = 0;
	unsigned kept = 0;
	int64_t id;

	if (otad_db_open(NULL, ":memory:", mk, &db, err, sizeof(err)) || otad_import_begin(db, "fuzz", "api", &im, &id))
		die("no database");
	while (off < size) {
		size_t n = 1 + (size_t)rand_r(&seed) % 300;

		if (n > size - off)
			n = size - off;
		if (otad_import_feed(im, buf + off, n))
			die("a database error");
		off += n;
	}
	if (otad_import_end(im))
		die("a database error at the end");
	for (int i = 0; i < 100000 && !otad_db_import_get(db, id, &st) && st.state == OTAD_IMPORT_FINISHING; i++)
		osmo_select_main(1);
	if (otad_db_import_get(db, id, &st) || (st.state != OTAD_IMPORT_DONE && st.state != OTAD_IMPORT_REFUSED))
		die("the import did not end");
	if (otad_db_import_rejects(db, id, check_reject, &kept) ||
	    kept != (st.rejected < OTAD_IMPORT_REJECTS_KEPT ? st.rejected : OTAD_IMPORT_REJECTS_KEPT))
		die("rejected lines not all named");
	if ((st.state == OTAD_IMPORT_DONE) != !st.rejected ||
	    otad_db_card_count(db) != (st.state == OTAD_IMPORT_DONE ? st.cards : 0))
		die("visible cards differ from the report");
	otad_db_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen whole, pieces;
	unsigned seed;

	if (!size)
		return 0;
	seed = data[0] | 0x100u;
	split((const char *)data + 1, size - 1, 0, &whole);
	split((const char *)data + 1, size - 1, seed, &pieces);
	if (whole.hash != pieces.hash || whole.n != pieces.n)
		die("the records depend on where the file is cut");
	if (size <= 1 << 16)
		import_in_pieces((const char *)data + 1, size - 1, seed);
	return 0;
}
