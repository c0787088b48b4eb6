/* The lifecycle benchmark's data (bench/lifecycle.sh): N holders with their cards and a certificate each on both
 * sides, as a provisioning campaign would have left them, made in bounded time without the network or CMP; and,
 * after the change of subject ran, the check that every certificate was replaced exactly once.
 *
 *   seed    simpki-otad's database (created and migrated; the units loaded from --units-dir): N cards (a vendor
 *           file of one AES key set each, imported by otad_db_import()), N holders spread over the wards of the
 *           provinces given (Vietnamese names, 12-digit identity numbers), each card linked to its holder; for
 *           each holder a P-256 key pair of its own and a certificate issued by ca_issue() itself with the CA's
 *           key, profile and URLs read from --ca-dir (simpki-ca.cfg, ca.pem, ca.key, ca.db; the requester the RA
 *           certificate ra.pem's subject, a CMP transactionID of 16 random bytes), the subject the enrolment's
 *           (enrol_subject_der(): C, ST the province, O, OU the ward, CN, serialNumber), so the certificate is what
 *           simpki-ca issues to simpki-otad; recorded in simpki-ca's records by ca_issue() and in simpki-otad's
 *           certificates as loaded (otad_db_cert_insert()), key --key-id. Both databases are written in batches of
 *           --batch holders (simpki-ca's group commit ca_db_set_batching() and ca_db_commit(), otad_db_batch_*():
 *           one commit each). The private keys are dropped.
 *   --baseline  then OpenSSL alone builds and signs as many certificates for the same keys and subjects with the
 *           same CA key (bench/ca-cmp.c's direct side: serial, validity, basicConstraints, keyUsage, SKI, AKI;
 *           X509_sign; nothing stored): the rate the change of subject is compared with.
 *   --check NAME  after the change of subject: for every seeded holder, simpki-ca's records hold exactly two
 *           certificates, the same public key: the seeded one revoked and one good whose subject's ST is NAME;
 *           simpki-otad's certificates of the card: the old one revoked, the new one (the CA's good serial)
 *           loaded. Fails (exit 1) on the first holder that is not so, after counting them all.
 * Holder i (0-based): id H-%06d, ICCID 898405 (--iccid-prefix: tests/network/phones-lib.sh's cards are 898401) + i
 * in 12 digits + Luhn, IMSI 001015 + 9 digits, MSISDN 849 + 8 digits.
 * Output: "name: value" lines (seconds and rates) on stdout; errors on stderr, exit 1.
 *
 * Usage: lifecycle-seed --ca-dir DIR --otad-db FILE --master-key FILE --units-dir DIR --holders N
 *        [--provinces A,B,...] [--organisation O] [--profile NAME] [--key-id N] [--batch N] [--baseline]
 *        [--iccid-prefix DDDDDD] [--check PROVINCE-NAME]      (the CA key's passphrase in SIMPKI_CA_PASSPHRASE)
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <osmocom/core/talloc.h>

#include "ca.h"
#include "ca_db.h"
#include "ca_issue.h"
#include "ca_key.h"
#include "enrol.h"
#include "otad_db.h"
#include "otad_units.h"
#include "simpki/ident.h"

#define PROVINCES_MAX 8

struct ward {
	char code[OTAD_UNIT_CODE_MAX + 1];
	char *name, *province_name;
};

static struct {
	const char *ca_dir, *otad_db, *master_key, *units_dir, *organisation, *profile, *check, *iccid_prefix;
	char *provinces[PROVINCES_MAX];
	unsigned n_provinces;
	unsigned long holders;
	unsigned key_id, batch;
	bool baseline;
} opt = { .iccid_prefix = "898405", .organisation = "simpki", .profile = "signing", .key_id = 2, .batch = 2000 };

static void *ctx;
static struct ward *wards;
static size_t n_wards;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lifecycle-seed: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void holder_ids(unsigned long i, char id[16], char iccid[21], char imsi[16], char msisdn[16])
{
	snprintf(id, 16, "H-%06lu", i);
	snprintf(iccid, 21, "%.6s%012lu", opt.iccid_prefix, i);
	iccid[18] = ident_luhn_digit(iccid, 18);
	iccid[19] = 0;
	snprintf(imsi, 16, "001015%09lu", i);
	snprintf(msisdn, 16, "849%08lu", i);
}

/* A Vietnamese name for holder i: family, middle and given names in turn (UTF-8). */
static void holder_name(unsigned long i, char *out, size_t size)
{
	static const char *const family[] = { "Nguyễn", "Trần", "Lê",  "Phạm", "Hoàng", "Huỳnh", "Phan",  "Vũ",
					      "Võ",	"Đặng", "Bùi", "Đỗ",   "Hồ",	"Ngô",	 "Dương", "Lý" };
	static const char *const middle[] = { "Văn", "Thị", "Đức", "Minh", "Ngọc", "Thu", "Hữu", "Quốc", "Thanh" };
	static const char *const given[] = { "An",    "Bình",  "Cường", "Dũng", "Giang", "Hà",	"Hải",	  "Hạnh",
					     "Hương", "Khánh", "Linh",	"Long", "Mai",	 "Nam", "Phương", "Quang",
					     "Sơn",   "Thảo",  "Trang", "Tuấn", "Việt",	 "Yến", "Đạt",	  "Ánh" };
	size_t nf = sizeof(family) / sizeof(family[0]), nm = sizeof(middle) / sizeof(middle[0]);

	snprintf(out, size, "%s %s %s", family[i % nf], middle[(i / nf) % nm],
		 given[(i / nf / nm + i) % (sizeof(given) / sizeof(given[0]))]);
}

/* The wards of the provinces asked, with their provinces' names, from the units files (reference data). */
static void wards_load(void)
{
	char path[1024];
	json_error_t jerr;
	json_t *prov, *wj, *v;
	const char *pname[PROVINCES_MAX] = { 0 };
	size_t i;

	snprintf(path, sizeof(path), "%s/provinces.json", opt.units_dir);
	prov = json_load_file(path, 0, &jerr);
	snprintf(path, sizeof(path), "%s/wards.json", opt.units_dir);
	wj = json_load_file(path, 0, &jerr);
	if (!prov || !wj)
		die("%s: %s", path, jerr.text);
	json_array_foreach(prov, i, v)
	{
		const char *code = json_string_value(json_object_get(v, "code"));

		for (unsigned p = 0; code && p < opt.n_provinces; p++) {
			if (!strcmp(code, opt.provinces[p]))
				pname[p] = talloc_strdup(ctx, json_string_value(json_object_get(v, "name")));
		}
	}
	for (unsigned p = 0; p < opt.n_provinces; p++) {
		if (!pname[p])
			die("province %s is not in %s/provinces.json", opt.provinces[p], opt.units_dir);
	}
	wards = talloc_array(ctx, struct ward, json_array_size(wj));
	json_array_foreach(wj, i, v)
	{
		const char *pc = json_string_value(json_object_get(v, "province_code"));

		for (unsigned p = 0; pc && p < opt.n_provinces; p++) {
			if (strcmp(pc, opt.provinces[p]))
				continue;
			snprintf(wards[n_wards].code, sizeof(wards[0].code), "%s",
				 json_string_value(json_object_get(v, "code")));
			wards[n_wards].name = talloc_strdup(ctx, json_string_value(json_object_get(v, "name")));
			wards[n_wards].province_name = (char *)pname[p];
			n_wards++;
		}
	}
	json_decref(prov);
	json_decref(wj);
	if (!n_wards)
		die("no wards in the provinces given");
}

/* The few settings of simpki-ca.cfg a certificate depends on: the profile (key-usage, validity-days, policy), the
 * status URL and the CRL's name. A bench's own file, written by 'simpki-ca init'. */
static void ca_cfg_read(struct ca *ca, const char *path)
{
	FILE *f = fopen(path, "r");
	struct ca_profile *prof = NULL;
	char line[512], *w;

	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] != ' ') {
			prof = !strncmp(line, "profile ", 8) ? ca_profile_get(ca, line + 8) : NULL;
			if (prof)
				prof->key_usage = 0;
			continue;
		}
		w = line + 1;
		if (!strncmp(w, "url ", 4))
			ca->cfg.base_url = talloc_strdup(ca, w + 4);
		else if (!strncmp(w, "crl-name ", 9))
			ca->cfg.crl_name = talloc_strdup(ca, w + 9);
		else if (prof && !strncmp(w, "validity-days ", 14))
			prof->validity_days = (uint32_t)atoi(w + 14);
		else if (prof && !strncmp(w, "policy ", 7) && prof->n_policies < CA_POLICIES_MAX)
			prof->policies[prof->n_policies++] = talloc_strdup(prof, w + 7);
		else if (prof && !strncmp(w, "key-usage ", 10)) {
			for (char *t = strtok(w + 10, " "); t; t = strtok(NULL, " ")) {
				for (const struct ca_ku_name *k = ca_ku_names; k->vty; k++) {
					if (!strcmp(k->vty, t))
						prof->key_usage |= k->bit;
				}
			}
		}
	}
	fclose(f);
}

static struct ca *ca_open(char *requested_by, size_t size)
{
	struct ca *ca = ca_alloc(ctx);
	char path[1024], err[256], pass[1024];
	X509 *ra = NULL;
	int n;

	g_ca = ca;
	snprintf(path, sizeof(path), "%s/simpki-ca.cfg", opt.ca_dir);
	ca_cfg_read(ca, path);
	if (!ca_profile_find(ca, opt.profile))
		die("%s: no profile %s", path, opt.profile);
	snprintf(path, sizeof(path), "%s/ca.pem", opt.ca_dir);
	if (ca_cert_load(path, &ca->cert, err, sizeof(err)))
		die("%s", err);
	n = ca_passphrase_get(NULL, pass, sizeof(pass), err, sizeof(err));
	if (n < 0)
		die("%s", err);
	snprintf(path, sizeof(path), "file:%s/ca.key", opt.ca_dir);
	if (ca_key_load(path, pass, &ca->key, err, sizeof(err)))
		die("%s", err);
	OPENSSL_cleanse(pass, sizeof(pass));
	snprintf(path, sizeof(path), "%s/ra.pem", opt.ca_dir);
	if (ca_cert_load(path, &ra, err, sizeof(err)))
		die("%s", err);
	X509_NAME_oneline(X509_get_subject_name(ra), requested_by, (int)size); /* as ca_cmp.c names the RA */
	X509_free(ra);
	snprintf(path, sizeof(path), "%s/ca.db", opt.ca_dir);
	if (ca_db_open(ca, path, &ca->db, err, sizeof(err)))
		die("%s", err);
	return ca;
}

/* The CA's certificate and key (OpenSSL's, not talloc's). */
static void ca_close(struct ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	ca->cert = NULL;
	ca->key = NULL;
}

static struct otad_db *otad_open(void)
{
	uint8_t mk[KEYSTORE_KEY_LEN];
	struct otad_db *db;
	char err[256];
	int rc;

	if (keystore_load(opt.master_key, true, mk, err, sizeof(err)))
		die("%s", err);
	if (otad_db_open(ctx, opt.otad_db, mk, &db, err, sizeof(err)))
		die("%s", err);
	OPENSSL_cleanse(mk, sizeof(mk));
	if (opt.check) /* the tree has changed since: only the seed loads it */
		return db;
	rc = otad_units_load(db, opt.units_dir, err, sizeof(err));
	if (rc < 0)
		die("units: %s", err);
	return db;
}

/* N cards, one AES key set each (random keys), through the vendor-file import. */
static void cards_import(struct otad_db *db)
{
	size_t size = 80 + opt.holders * 160, len;
	char *csv = talloc_size(ctx, size), id[16], iccid[21], imsi[16], msisdn[16], kic[33], kid[33];
	struct otad_import_report rep = { 0 };
	uint8_t k[32];

	len = (size_t)snprintf(csv, size, "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n");
	for (unsigned long i = 0; i < opt.holders; i++) {
		holder_ids(i, id, iccid, imsi, msisdn);
		RAND_bytes(k, sizeof(k));
		for (int b = 0; b < 16; b++) {
			snprintf(kic + 2 * b, 3, "%02X", k[b]);
			snprintf(kid + 2 * b, 3, "%02X", k[16 + b]);
		}
		len += (size_t)snprintf(csv + len, size - len, "%s,%s,%s,1,aes,%s,aes,%s\n", iccid, imsi, msisdn, kic,
					kid);
	}
	OPENSSL_cleanse(k, sizeof(k));
	if (otad_db_import(db, ctx, csv, len, "lifecycle-seed", &rep) || rep.rejected || rep.cards != opt.holders)
		die("card import: %u cards, %u lines rejected%s%s", rep.cards, rep.rejected, rep.n_rejects ? ": " : "",
		    rep.n_rejects ? rep.rejects[0].reason : "");
	OPENSSL_cleanse(csv, size);
	talloc_free(csv);
}

static void holders_add(struct otad_db *db)
{
	size_t chunk = 5000;
	struct otad_holder *h = talloc_zero_array(ctx, struct otad_holder, chunk);
	int *rc = talloc_array(ctx, int, chunk);
	char iccid[21], imsi[16], msisdn[16];

	for (unsigned long i = 0; i < opt.holders;) {
		size_t n = 0;

		for (; n < chunk && i < opt.holders; n++, i++) {
			holder_ids(i, h[n].id, iccid, imsi, msisdn);
			holder_name(i, h[n].name, sizeof(h[n].name));
			snprintf(h[n].id_number, sizeof(h[n].id_number), "0%02lu%09lu", 79 + i % 13, i);
			snprintf(h[n].unit, sizeof(h[n].unit), "%s", wards[i % n_wards].code);
		}
		if (otad_db_holders_add_many(db, h, n, rc) != (int)n)
			die("holders: %zu not all stored (%d)", n, rc[0]);
	}
	talloc_free(h);
	talloc_free(rc);
}

/* The enrolment's subject of holder i (enrol_subject_der(), as otad_enrol_holder_subject() fills it). */
static X509_NAME *holder_subject(unsigned long i, const char *name, const char *id_number)
{
	const struct ward *w = &wards[i % n_wards];
	struct enrol_subject s = {
		.c = "VN",
		.st = w->province_name,
		.o = opt.organisation,
		.ou = w->name,
		.cn = name,
		.serial_number = id_number,
	};
	uint8_t der[OTAD_ENROL_SUBJECT_MAX];
	const uint8_t *p = der;
	int len = enrol_subject_der(&s, der, sizeof(der));

	if (len <= 0)
		die("holder %lu: no subject (%d)", i, len);
	return d2i_X509_NAME(NULL, &p, len);
}

/* Seed: every holder's key, certificate (CA records) and the card's certificate row (otad). \returns the SPKI DER of
 * every key, 91 bytes each (P-256), for the baseline. */
static uint8_t *seed(struct ca *ca, struct otad_db *db, const char *requested_by, double *t_issue)
{
	const struct ca_profile *prof = ca_profile_find(ca, opt.profile);
	uint8_t *spki = talloc_size(ctx, opt.holders * 91), txid[16];
	char id[16], iccid[21], imsi[16], msisdn[16], name[200], idn[33], txhex[33], err[256];
	double t0 = now();

	ca_db_set_batching(ca->db, true);
	for (unsigned long i = 0; i < opt.holders; i++) {
		struct ca_cert_row row;
		struct otad_cert c = { .status = OTAD_CERT_LOADED };
		EVP_PKEY *key = EVP_EC_gen("P-256");
		X509_NAME *subj;
		X509 *x = NULL;
		uint8_t *der = NULL, *sp = spki + i * 91;
		int len;

		if (i % opt.batch == 0 && otad_db_batch_begin(db))
			die("cannot begin a batch");
		holder_ids(i, id, iccid, imsi, msisdn);
		holder_name(i, name, sizeof(name));
		snprintf(idn, sizeof(idn), "0%02lu%09lu", 79 + i % 13, i);
		subj = holder_subject(i, name, idn);
		RAND_bytes(txid, sizeof(txid));
		for (int b = 0; b < 16; b++)
			snprintf(txhex + 2 * b, 3, "%02x", txid[b]);
		if (!key || !subj || i2d_PUBKEY(key, &sp) != 91)
			die("holder %lu: a key or subject cannot be made", i);
		struct ca_issue_req q = { .subject = subj,
					  .pubkey = key,
					  .holder = id,
					  .iccid = iccid,
					  .profile = prof,
					  .requested_by = requested_by,
					  .txid = txhex };
		err[0] = 0;
		if (ca_issue(ca, &q, &x, &row, err, sizeof(err)))
			die("holder %lu: ca_issue: %s", i, err);
		len = i2d_X509(x, &der);
		snprintf(c.iccid, sizeof(c.iccid), "%s", iccid);
		snprintf(c.key_id, sizeof(c.key_id), "%u", opt.key_id);
		snprintf(c.serial, sizeof(c.serial), "%s", row.serial);
		snprintf(c.profile, sizeof(c.profile), "%s", opt.profile);
		c.der = der;
		c.der_len = (size_t)len;
		c.not_after = row.not_after;
		if (len <= 0 || otad_db_card_set_holder(db, iccid, id) || otad_db_cert_insert(db, &c))
			die("holder %lu: simpki-otad's database refused the card's holder or certificate", i);
		OPENSSL_free(der);
		X509_free(x);
		X509_NAME_free(subj);
		EVP_PKEY_free(key);
		if ((i + 1) % opt.batch == 0 || i + 1 == opt.holders) {
			if (ca_db_commit(ca->db) || otad_db_batch_commit(db))
				die("cannot commit a batch");
		}
	}
	*t_issue = now() - t0;
	return spki;
}

/* bench/ca-cmp.c's direct side: what the CA's signing profile makes, signed with X509_sign, nothing stored. */
static X509 *direct(X509 *ca, EVP_PKEY *ca_key, const X509_NAME *subject, EVP_PKEY *pub)
{
	static const char *const exts[][2] = {
		{ "basicConstraints", "critical,CA:FALSE" },
		{ "keyUsage", "critical,digitalSignature,nonRepudiation" },
		{ "subjectKeyIdentifier", "hash" },
		{ "authorityKeyIdentifier", "keyid" },
	};
	X509 *x = X509_new();
	unsigned char serial[16];
	X509V3_CTX v3;
	BIGNUM *bn;

	RAND_bytes(serial, sizeof(serial));
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!x || !bn || !X509_set_version(x, 2) || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)) || !X509_set_subject_name(x, subject) ||
	    !X509_set_pubkey(x, pub) || !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 1825L * 86400))
		die("cannot build a certificate");
	BN_free(bn);
	X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);

		if (!e || !X509_add_ext(x, e, -1))
			die("cannot add an extension");
		X509_EXTENSION_free(e);
	}
	if (!X509_sign(x, ca_key, EVP_sha256()))
		die("cannot sign");
	return x;
}

static double baseline(struct ca *ca, const uint8_t *spki)
{
	char id[16], iccid[21], imsi[16], msisdn[16], name[200], idn[33];
	double t0 = now();

	for (unsigned long i = 0; i < opt.holders; i++) {
		const uint8_t *p = spki + i * 91;
		EVP_PKEY *pub = d2i_PUBKEY(NULL, &p, 91);
		X509_NAME *subj;

		holder_ids(i, id, iccid, imsi, msisdn);
		holder_name(i, name, sizeof(name));
		snprintf(idn, sizeof(idn), "0%02lu%09lu", 79 + i % 13, i);
		subj = holder_subject(i, name, idn);
		if (!pub || !subj)
			die("baseline: holder %lu", i);
		X509_free(direct(ca->cert, ca->key, subj, pub));
		X509_NAME_free(subj);
		EVP_PKEY_free(pub);
	}
	return now() - t0;
}

/* --check */
struct ca_rows {
	struct ca_cert_row r[4];
	int n;
};

static void ca_row_cb(const struct ca_cert_row *r, void *priv)
{
	struct ca_rows *rows = priv;

	if (rows->n < 4)
		rows->r[rows->n] = *r;
	rows->n++;
}

struct otad_rows {
	struct otad_cert c[4];
	int n;
};

static void otad_row_cb(const struct otad_cert *c, void *priv)
{
	struct otad_rows *rows = priv;

	if (rows->n < 4) {
		rows->c[rows->n] = *c;
		rows->c[rows->n].der = NULL;
	}
	rows->n++;
}

/* \returns NULL when holder i's certificates are as they must be after the change of subject; else why not */
static const char *check_one(struct ca *ca, struct otad_db *db, unsigned long i, int *reason)
{
	char id[16], iccid[21], imsi[16], msisdn[16], st[300];
	struct ca_rows cr = { .n = 0 };
	struct otad_rows orows = { .n = 0 };
	const struct ca_cert_row *good, *old;

	holder_ids(i, id, iccid, imsi, msisdn);
	if (ca_db_certs_find(ca->db, CA_DB_BY_HOLDER, id, 10, ca_row_cb, &cr) < 0)
		return "the CA's records cannot be read";
	if (cr.n != 2)
		return cr.n < 2 ? "the CA issued no new certificate" : "the CA holds more than two certificates";
	if (cr.r[0].revoked == cr.r[1].revoked)
		return cr.r[0].revoked ? "both certificates are revoked" : "the old certificate is not revoked";
	good = cr.r[0].revoked ? &cr.r[1] : &cr.r[0];
	old = cr.r[0].revoked ? &cr.r[0] : &cr.r[1];
	if (strcmp(good->pubkey_sha256, old->pubkey_sha256))
		return "the new certificate has another public key";
	snprintf(st, sizeof(st), "ST=%s,", opt.check);
	if (!strstr(good->subject, st))
		return "the new certificate's subject does not name the new province";
	if (strcmp(good->iccid, iccid))
		return "the new certificate's ICCID is not the card's";
	*reason = old->reason;
	if (otad_db_certs_list(db, iccid, otad_row_cb, &orows) != 2)
		return "simpki-otad does not hold exactly two certificates for the card";
	if (strcmp(orows.c[0].serial, old->serial) || orows.c[0].status != OTAD_CERT_REVOKED)
		return "simpki-otad's old certificate is not the CA's revoked one, or not revoked";
	if (strcmp(orows.c[1].serial, good->serial) || orows.c[1].status != OTAD_CERT_LOADED)
		return "simpki-otad's new certificate is not the CA's good one, or not loaded";
	return NULL;
}

static int check(struct ca *ca, struct otad_db *db)
{
	unsigned long bad = 0, reasons[11] = { 0 };
	const char *first = NULL, *why;
	unsigned long first_i = 0;
	double t0 = now();

	for (unsigned long i = 0; i < opt.holders; i++) {
		int reason = -1;

		why = check_one(ca, db, i, &reason);
		if (why && !bad++) {
			first = why;
			first_i = i;
		}
		if (!why && reason >= 0 && reason <= 10)
			reasons[reason]++;
	}
	printf("check_holders: %lu\ncheck_bad: %lu\ncheck_s: %.1f\n", opt.holders, bad, now() - t0);
	for (int r = 0; r <= 10; r++) {
		if (reasons[r])
			printf("check_old_revoked_reason_%d: %lu\n", r, reasons[r]);
	}
	if (bad) {
		fprintf(stderr, "lifecycle-seed: %lu holders not replaced exactly once; the first, H-%06lu: %s\n", bad,
			first_i, first);
		return 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: lifecycle-seed --ca-dir DIR --otad-db FILE --master-key FILE --units-dir DIR "
			"--holders N [--provinces A,B] [--organisation O] [--profile NAME] [--key-id N] [--batch N] "
			"[--baseline] [--iccid-prefix DDDDDD] [--check PROVINCE-NAME]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ca-dir", 1, NULL, 'c' },	  { "otad-db", 1, NULL, 'd' }, { "master-key", 1, NULL, 'm' },
		{ "units-dir", 1, NULL, 'u' },	  { "holders", 1, NULL, 'n' }, { "provinces", 1, NULL, 'p' },
		{ "organisation", 1, NULL, 'o' }, { "profile", 1, NULL, 'P' }, { "key-id", 1, NULL, 'k' },
		{ "iccid-prefix", 1, NULL, 'I' }, { "batch", 1, NULL, 'b' },   { "baseline", 0, NULL, 'B' },
		{ "check", 1, NULL, 'C' },	  { NULL, 0, NULL, 0 },
	};
	char requested_by[CA_DB_SUBJECT_MAX], *provinces = "21,22";
	double t0, t_cards, t_holders, t_issue, t_base;
	struct otad_db *db;
	struct ca *ca;
	uint8_t *spki;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt.ca_dir = optarg;
			break;
		case 'd':
			opt.otad_db = optarg;
			break;
		case 'm':
			opt.master_key = optarg;
			break;
		case 'u':
			opt.units_dir = optarg;
			break;
		case 'n':
			opt.holders = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			provinces = optarg;
			break;
		case 'o':
			opt.organisation = optarg;
			break;
		case 'P':
			opt.profile = optarg;
			break;
		case 'k':
			opt.key_id = (unsigned)atoi(optarg);
			break;
		case 'I':
			opt.iccid_prefix = optarg;
			break;
		case 'b':
			opt.batch = (unsigned)atoi(optarg);
			break;
		case 'B':
			opt.baseline = true;
			break;
		case 'C':
			opt.check = optarg;
			break;
		default:
			usage();
		}
	}
	if (!opt.ca_dir || !opt.otad_db || !opt.master_key || !opt.units_dir || !opt.holders ||
	    opt.holders > 99999999 || strlen(opt.iccid_prefix) != 6 || strspn(opt.iccid_prefix, "0123456789") != 6 ||
	    !opt.batch || !opt.key_id || opt.key_id > 255)
		usage();
	ctx = talloc_named_const(NULL, 0, "lifecycle-seed");
	for (char *t = strtok(talloc_strdup(ctx, provinces), ","); t && opt.n_provinces < PROVINCES_MAX;
	     t = strtok(NULL, ","))
		opt.provinces[opt.n_provinces++] = t;
	wards_load();
	ca = ca_open(requested_by, sizeof(requested_by));
	db = otad_open();
	if (opt.check) {
		int rc = check(ca, db);

		ca_db_close(ca->db);
		ca_close(ca);
		otad_db_close(db);
		talloc_free(ctx);
		return rc;
	}

	t0 = now();
	cards_import(db);
	t_cards = now() - t0;
	t0 = now();
	holders_add(db);
	t_holders = now() - t0;
	spki = seed(ca, db, requested_by, &t_issue);
	printf("seed_holders: %lu\nseed_wards: %zu\n", opt.holders, n_wards);
	printf("seed_cards_s: %.1f\nseed_holders_s: %.1f\n", t_cards, t_holders);
	printf("seed_issue_s: %.1f\nseed_issue_per_s: %.1f\n", t_issue, opt.holders / t_issue);
	if (opt.baseline) {
		t_base = baseline(ca, spki);
		printf("direct_sign_s: %.1f\ndirect_sign_per_s: %.1f\ndirect_sign_per_min: %.0f\n", t_base,
		       opt.holders / t_base, opt.holders * 60 / t_base);
	}
	ca_db_close(ca->db);
	ca_close(ca);
	otad_db_close(db);
	talloc_free(ctx);
	return 0;
}
