/* Tearing: power is cut at every NVM write of one command in turn, and the card must come back consistent.
 *
 * For each scenario a base card is prepared once. Then for every write n of the command under test, and for each
 * way the cut write can land on the medium (not at all, half, whole), a copy of the base card runs the session
 * APDUs, the command is cut at its write n, the card restarts from what reached the medium, and the scenario's
 * check decides whether it holds the old state or the new one; anything else fails the test. Every scenario
 * must also see both outcomes over its cuts, so the cuts really land on both sides of the commit point.
 * Scenarios that run on a file-backed card restart it from the file.
 *
 * Secrets: a scenario may name the secret the command replaces (the old PIN, the private key being regenerated, the
 * old OTA keys) and the one it brings in. On the restarted card, before and after the scenario's check (which makes
 * more commits), the whole image (and the whole file, for a file-backed card) must hold neither the replaced secret
 * when the card is in the new state nor the new one when it is in the old state: no journal record, freed block or
 * torn write may keep it.
 *
 * Usage: tearing [SCENARIO...]   (all of them without arguments)
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <simpki/apdu.h>
#include <simpki/hex.h>
#include <simpki/pki_applet.h>

#include "cardos.h"
#include "cardos_debug.h"
#include "pki_apdus.h"

#define SELECT PKI_HEX_SELECT
#define PUK_SET PKI_HEX_PUK_SET
#define PIN_SET PKI_HEX_PIN_SET
#define PIN_OK PKI_HEX_PIN_OK
#define PIN_BAD "002000011039393939393900000000000000000000"
#define PIN_NEW_OK "002000011036353433323100000000000000000000"
#define PIN_CHANGE "00240001203132333435360000000000000000000036353433323100000000000000000000"
#define DF_5015 "00E00000176F1581021388820138830250158608FF00000000000090"
#define EF_3400 "00E00000176F158102012C820101830234008608FF90FFFFFF909000"
#define MSE_GEN_RSA0 "00224100068001F3840100"
#define MSE_GEN_EC1 "00224100068001EC840101"
#define MSE_SIGN_RSA0 "002241B60A80011181025015840100"
#define MSE_SIGN_EC1 "002241B60A80012181025015840101"
#define GEN_RSA PKI_HEX_GEN_RSA
#define GEN_EC PKI_HEX_GEN_EC
#define DIGESTINFO PKI_HEX_DIGESTINFO
#define PIN_BLOCKED_CHECK "00200001" /* VERIFY without data: 63Cx, x tries left */
/* RESET RETRY COUNTER with the PUK, new PIN 654321 */
#define PUK_UNBLOCK "002C00011630313233343536373839616263646566363534333231"
#define EF_3400_SELECT "00A4000C023400"
#define DELETE_3400 "00E40000023400"

enum outcome {
	OLD = 0,
	NEW = 1,
};

struct answer {
	uint8_t b[CARD_RESP_MAX + 2];
	size_t len;
};

/* Bytes that must not be found in the card's image. */
struct secret {
	uint8_t b[64];
	size_t len; /* 0: none */
};

static const char *current;

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tearing %s: ", current);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int send(struct card_os *os, const char *hex, struct answer *a)
{
	uint8_t cmd[APDU_MAX_ENCODED];
	int n = hex_decode(hex, cmd, sizeof(cmd));

	if (n < 0)
		die("bad hex in the test: %s", hex);
	return card_os_transmit(os, cmd, (size_t)n, a->b, sizeof(a->b), &a->len);
}

static unsigned sw(const struct answer *a)
{
	return (unsigned)(a->b[a->len - 2] << 8 | a->b[a->len - 1]);
}

/* Send and require status word \a want; GET RESPONSE is fetched for 61xx. */
static void must(struct card_os *os, const char *hex, unsigned want, struct answer *a)
{
	struct answer tmp;

	if (!a)
		a = &tmp;
	if (send(os, hex, a))
		die("no answer to %s", hex);
	while ((sw(a) >> 8) == 0x61) {
		struct answer more;
		char gr[16];

		snprintf(gr, sizeof(gr), "00C00000%02X", a->b[a->len - 1]);
		if (send(os, gr, &more))
			die("no answer to GET RESPONSE");
		memcpy(a->b + a->len - 2, more.b, more.len);
		a->len += more.len - 2;
	}
	if (sw(a) != want)
		die("%s answered %04X, expected %04X", hex, sw(a), want);
}

static unsigned pin_tries(struct card_os *os)
{
	struct answer a;

	if (send(os, "00200001", &a) || (sw(&a) & 0xfff0) != 0x63c0)
		die("VERIFY without data answered %04X", a.len ? sw(&a) : 0);
	return sw(&a) & 0x0f;
}

static uint32_t nvm_used(struct card_os *os)
{
	uint32_t size, used, largest;

	card_os_nvm_stats(os, &size, &used, &largest);
	return used;
}

static struct card_os *open_on(struct nvm_store *s)
{
	struct card_os *os;
	uint8_t atr[33];
	int rc = card_os_open(s, &os);

	if (rc)
		die("the card does not open: %s", strerror(-rc));
	card_os_power_on(os, atr, sizeof(atr));
	return os;
}

/* ---- scenarios ------------------------------------------------------------------------------------------------ */

struct scenario {
	const char *name;
	const char *const *setup;	  /* run once on the base card (each must answer 9000) */
	const char *const *session;	  /* run on every copy before the cut (9000 each) */
	const char *op;			  /* the command that is cut */
	int (*op_fn)(struct card_os *os); /* or a host API call that is cut instead (op NULL) */
	bool file_backed;
	/* Decide old or new on the restarted card; \a compared tells whether the cut card compared a PIN. */
	enum outcome (*check)(struct card_os *os, bool compared);
	uint32_t used_before; /* filled in: NVM in use on the base card */
	struct answer extra;  /* filled in by setup_extra if set */
	void (*setup_extra)(struct card_os *os, struct scenario *sc);
	const char *manifest;	/* NULL: the default */
	struct secret replaced; /* gone from the image in the new state (may be filled in by setup_extra) */
	struct secret added;	/* gone from the image in the old state */
};

static const char *const personalise[] = { SELECT, DF_5015, PUK_SET, PIN_SET, NULL };
static const char *const sess_select[] = { SELECT, NULL };

static enum outcome check_wrong_pin(struct card_os *os, bool compared)
{
	unsigned tries;

	must(os, SELECT, 0x9000, NULL);
	tries = pin_tries(os);
	if (tries != 3 && tries != 2)
		die("PIN tries %u after the cut (3 or 2 expected)", tries);
	if (compared && tries == 3)
		die("the PIN was compared but its try counter did not go down");
	return tries == 3 ? OLD : NEW;
}

static void one_wrong_pin(struct card_os *os, struct scenario *sc)
{
	struct answer a;

	if (send(os, PIN_BAD, &a) || sw(&a) != 0x63c2)
		die("setup: wrong PIN not counted");
}

static enum outcome check_right_pin(struct card_os *os, bool compared)
{
	unsigned tries;

	must(os, SELECT, 0x9000, NULL);
	tries = pin_tries(os);
	/* 2 before (one wrong try in setup); 1 while the decrement is committed and the reset not yet; 3 after. */
	if (tries != 2 && tries != 1 && tries != 3)
		die("PIN tries %u after the cut", tries);
	if (compared && tries == 2)
		die("the PIN was compared but its try counter did not go down");
	return tries == 3 ? NEW : OLD;
}

static enum outcome check_pin_change(struct card_os *os, bool compared)
{
	struct answer a;

	must(os, SELECT, 0x9000, NULL);
	if (send(os, PIN_NEW_OK, &a))
		die("no answer");
	if (sw(&a) == 0x9000) {
		if (send(os, PIN_OK, &a) || sw(&a) == 0x9000)
			die("both the old and the new PIN verify");
		return NEW;
	}
	must(os, PIN_OK, 0x9000, NULL);
	return OLD;
}

static const char *const setup_ec_slot1[] = { SELECT, DF_5015, PUK_SET, PIN_SET, PIN_OK, NULL };
static const char *const sess_ec_slot1[] = { SELECT, PIN_OK, MSE_GEN_EC1, NULL };
static struct scenario *running;

static enum outcome check_ec_keygen(struct card_os *os, bool compared)
{
	struct answer a;
	uint32_t used = nvm_used(os);

	must(os, SELECT, 0x9000, NULL);
	must(os, PIN_OK, 0x9000, NULL);
	if (send(os, MSE_SIGN_EC1, &a))
		die("no answer");
	if (sw(&a) == 0x6984) {
		if (used != running->used_before)
			die("no key, but NVM use went from %u to %u bytes", running->used_before, used);
		return OLD;
	}
	if (sw(&a) != 0x9000)
		die("MSE answered %04X", sw(&a));
	must(os, "002A9E9A0401020304", 0x9000, &a);
	if (a.b[0] != 0x30 || used <= running->used_before)
		die("the new key does not sign, or takes no NVM");
	return NEW;
}

static const char *const setup_rsa_slot0[] = { SELECT, DF_5015, PUK_SET, PIN_SET, PIN_OK, MSE_GEN_RSA0, NULL };
static const char *const sess_rsa_slot0[] = { SELECT, PIN_OK, MSE_GEN_RSA0, NULL };

static void first_rsa_key(struct card_os *os, struct scenario *sc)
{
	uint8_t p[256];
	EVP_PKEY *key;
	BIGNUM *bn = NULL;

	must(os, GEN_RSA, 0x9000, &sc->extra); /* the old key's 7F49 template */
	/* 32 bytes of its first prime, as the key object's DER holds them: gone once the key is replaced */
	if (card_os_debug_key(os, CARD_KEY_RSA2048, &key) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_FACTOR1, &bn) || BN_bn2bin(bn, p) < 64)
		die("setup: cannot read the RSA key's first prime");
	memcpy(sc->replaced.b, p + 16, 32);
	sc->replaced.len = 32;
	BN_clear_free(bn);
	EVP_PKEY_free(key);
}

static enum outcome check_rsa_regen(struct card_os *os, bool compared)
{
	struct answer sig;
	uint32_t used = nvm_used(os);
	const uint8_t *n = running->extra.b + 9; /* 7F49 82 0109 81 82 0100 <n> */
	int ok;

	if (used != running->used_before)
		die("NVM use went from %u to %u bytes", running->used_before, used);
	must(os, SELECT, 0x9000, NULL);
	must(os, PIN_OK, 0x9000, NULL);
	must(os, MSE_SIGN_RSA0, 0x9000, NULL);
	must(os, "002A9E9A33" DIGESTINFO "00", 0x9000, &sig);
	if (sig.len != 258)
		die("signature of %zu bytes", sig.len - 2);
	{
		uint8_t di[64], out[256];
		int dl = hex_decode(DIGESTINFO, di, sizeof(di));
		BIGNUM *bn = BN_bin2bn(n, 256, NULL), *be = BN_new(), *s = BN_bin2bn(sig.b, 256, NULL), *m = BN_new();
		BN_CTX *ctx = BN_CTX_new();

		/* Old key if sig^e mod n is the PKCS#1 v1.5 encoding of the DigestInfo under the old modulus. */
		BN_set_word(be, 65537);
		BN_mod_exp(m, s, be, bn, ctx);
		BN_bn2binpad(m, out, sizeof(out));
		ok = out[0] == 0 && out[1] == 1 && !memcmp(out + 256 - dl, di, (size_t)dl);
		BN_free(bn);
		BN_free(be);
		BN_free(s);
		BN_free(m);
		BN_CTX_free(ctx);
	}
	return ok ? OLD : NEW;
}

static const char *const setup_ef[] = { SELECT, DF_5015, PUK_SET, PIN_SET, PIN_OK, EF_3400, NULL };
static const char *const sess_ef[] = { SELECT, PIN_OK, "00A4000C023400", NULL };
static char update_apdu[10 + 2 * 255 + 1]; /* UPDATE BINARY of 255 bytes 22 at offset 10 */

static enum outcome check_update(struct card_os *os, bool compared)
{
	struct answer a;
	bool old = true, new = true;

	must(os, SELECT, 0x9000, NULL);
	must(os, PIN_OK, 0x9000, NULL);
	must(os, "00A4000C023400", 0x9000, NULL);
	must(os, "00B0000000012C", 0x9000, &a);
	for (unsigned i = 0; i < 300; i++) {
		uint8_t want_new = i >= 10 && i < 265 ? 0x22 : 0x00;

		old &= a.b[i] == 0x00;
		new &= a.b[i] == want_new;
	}
	if (old == new)
		die("the EF holds a mix of old and new bytes");
	return new ? NEW : OLD;
}

static void pin_secret(struct secret *sec, const char *pin)
{
	memset(sec->b, 0, PKI_PIN_LEN);
	memcpy(sec->b, pin, strlen(pin));
	sec->len = PKI_PIN_LEN; /* as the applet stores it: padded with 00 */
}

static void block_pin(struct card_os *os, struct scenario *sc)
{
	struct answer a;

	for (unsigned i = 0; i < PKI_PIN_TRIES; i++)
		send(os, PIN_BAD, &a);
	if (send(os, PIN_BLOCKED_CHECK, &a) || sw(&a) != 0x63c0)
		die("setup: the PIN is not blocked");
}

static enum outcome check_unblock(struct card_os *os, bool compared)
{
	struct answer a;

	must(os, SELECT, 0x9000, NULL);
	if (send(os, PIN_BLOCKED_CHECK, &a))
		die("no answer");
	if (sw(&a) == 0x63c0)
		return OLD; /* still blocked */
	if (sw(&a) != 0x63c0 + PKI_PIN_TRIES)
		die("PIN status %04X after the cut (blocked, or all tries back)", sw(&a));
	must(os, PIN_NEW_OK, 0x9000, NULL);
	return NEW;
}

static const char *const setup_admin[] = { SELECT, DF_5015, PUK_SET, PIN_SET, PIN_OK, NULL };
static const char *const sess_admin[] = { SELECT, PIN_OK, NULL };

static enum outcome check_create(struct card_os *os, bool compared)
{
	uint32_t used = nvm_used(os);
	struct answer a;

	must(os, SELECT, 0x9000, NULL);
	must(os, PIN_OK, 0x9000, NULL);
	if (send(os, EF_3400_SELECT, &a))
		die("no answer");
	if (sw(&a) == 0x6a82) {
		if (used != running->used_before)
			die("no EF, but NVM use went from %u to %u bytes", running->used_before, used);
		return OLD;
	}
	if (sw(&a) != 0x9000 || used <= running->used_before)
		die("SELECT of the new EF answered %04X, NVM use %u bytes (%u before)", sw(&a), used,
		    running->used_before);
	must(os, "00B0000000012C", 0x9000, &a);
	for (unsigned i = 0; i < 300; i++) {
		if (a.b[i])
			die("the new EF is not empty");
	}
	return NEW;
}

/* The EF's content, 32 bytes the card holds nowhere else: deleting the EF must wipe them. */
static void fill_ef(struct card_os *os, struct scenario *sc)
{
	char apdu[10 + 64 + 1] = "00D6000020";

	for (unsigned i = 0; i < 32; i++) {
		sc->replaced.b[i] = (uint8_t)(0xa0 ^ (i * 37));
		snprintf(apdu + 10 + 2 * i, 3, "%02X", sc->replaced.b[i]);
	}
	sc->replaced.len = 32;
	must(os, EF_3400_SELECT, 0x9000, NULL);
	must(os, apdu, 0x9000, NULL);
}

static enum outcome check_delete(struct card_os *os, bool compared)
{
	uint32_t used = nvm_used(os);
	struct answer a;

	must(os, SELECT, 0x9000, NULL);
	must(os, PIN_OK, 0x9000, NULL);
	if (send(os, EF_3400_SELECT, &a))
		die("no answer");
	if (sw(&a) == 0x6a82) {
		if (used >= running->used_before)
			die("the EF is gone, but NVM use went from %u to %u bytes", running->used_before, used);
		return NEW;
	}
	if (sw(&a) != 0x9000 || used != running->used_before)
		die("SELECT of the EF answered %04X, NVM use %u bytes (%u before)", sw(&a), used, running->used_before);
	must(os, "00B0000020", 0x9000, &a);
	if (memcmp(a.b, running->replaced.b, 32))
		die("the EF kept its place but not its content");
	return OLD;
}

#define OTA_KIC "000102030405060708090A0B0C0D0E0F"
#define OTA_KID "101112131415161718191A1B1C1D1E1F"
/* SMS-DELIVER from 1234 with a command packet (simpki-ota encode --spi 1639 --kic 12 --kid 12, the keys above,
 * --tar B00010 --cntr 5 --apdu 00A4000C022FE2 --apdu 00B000000A --tpdu --oa 1234): an RFM read of EF.ICCID. */
#define OTA_TPDU                                                                                                       \
	"40048121437ff6000000000000002d02700000281516391212b00010c3723522d9364612ca7acbfa2a0fc9b60bc02c738cd127aa315c" \
	"a"                                                                                                            \
	"5c2e5576eff"
static const char ota_manifest[] = "applet pki aid " PKI_HEX_AID " ram 1024 nvm 131072 tar 504B49 msl 16\n"
				   "rfm tar B00010 msl 16\n"
				   "ota-key 1 aes " OTA_KIC " " OTA_KID "\n";
static char ota_envelope[2 * 300]; /* 80C2 ENVELOPE D1 { 82 02 83 81 | 8B TPDU } */
static const char *const sess_none[] = { NULL };

static void make_ota_envelope(void)
{
	size_t tpdu = strlen(OTA_TPDU) / 2;

	snprintf(ota_envelope, sizeof(ota_envelope),
		 "80C20000%02zXD1%02zX82028381"
		 "8B%02zX%s",
		 tpdu + 8, tpdu + 6, tpdu, OTA_TPDU);
}

/* OTA key set 1 rotated through the host API (card_os_ota_key_set()): AES-128 keys replaced by AES-256 ones. */
#define ROT_KIC_OLD "8C4A1F0B3E2D5A697788A9BACBDCEDFE"
#define ROT_KID_OLD "1E2D3C4B5A69788796A5B4C3D2E1F00F"
static const char rotate_manifest[] = "applet pki aid " PKI_HEX_AID " ram 1024 nvm 131072 tar 504B49 msl 16\n"
				      "rfm tar B00010 msl 16\n"
				      "ota-key 1 aes " ROT_KIC_OLD " " ROT_KID_OLD "\n";
static const struct manifest_ota_key rotated = {
	.kvn = 1,
	.alg = MANIFEST_OTA_AES,
	.kic = { 0x5b, 0x81, 0x3c, 0x27, 0xe9, 0x04, 0x6d, 0xa2, 0x91, 0x1f, 0xc8, 0x73, 0x36, 0xbe, 0x0a, 0x59,
		 0xd4, 0x62, 0x18, 0xaf, 0x7c, 0x35, 0xe0, 0x9b, 0x46, 0x2d, 0xf1, 0x88, 0x13, 0x6a, 0xc5, 0x77 },
	.kic_len = 32,
	.kid = { 0x3e, 0x97, 0x21, 0xd8, 0x6b, 0x40, 0xfa, 0x15, 0x8c, 0x53, 0x2e, 0xb9, 0x07, 0x64, 0xcd, 0x1a,
		 0x95, 0x38, 0xe2, 0x4f, 0x71, 0x0c, 0xab, 0x56, 0xd9, 0x23, 0x8e, 0x61, 0xbc, 0x05, 0x4a, 0xf7 },
	.kid_len = 32,
};

static int rotate_keys(struct card_os *os)
{
	return card_os_ota_key_set(os, &rotated);
}

static void rotation_secrets(struct card_os *os, struct scenario *sc)
{
	if (hex_decode(ROT_KIC_OLD, sc->replaced.b, sizeof(sc->replaced.b)) != 16)
		die("setup: bad key");
	sc->replaced.len = 16;
	memcpy(sc->added.b, rotated.kic, 32);
	sc->added.len = 32;
}

static enum outcome check_rotation(struct card_os *os, bool compared)
{
	struct card_ota_key_info k;

	if (card_os_ota_keys(os, &k, 1) != 1 || k.kvn != 1 || k.alg != 2 || k.counter != 0)
		die("the key set is gone, or its counter moved");
	if (k.kic_len == 16 && k.kid_len == 16)
		return OLD;
	if (k.kic_len == 32 && k.kid_len == 32)
		return NEW;
	die("a key set of KIc %u and KID %u bytes: half old, half new", k.kic_len, k.kid_len);
}

static enum outcome check_ota_counter(struct card_os *os, bool compared)
{
	struct card_ota_key_info k;

	if (card_os_ota_keys(os, &k, 1) != 1 || k.kvn != 1 || k.alg != 2 || k.kic_len != 16 || k.kid_len != 16)
		die("the key set is not the one installed");
	if (k.counter != 0 && k.counter != 5)
		die("the counter is %llu (0 or 5 expected)", (unsigned long long)k.counter);
	return k.counter == 5 ? NEW : OLD;
}

/* ---- driver --------------------------------------------------------------------------------------------------- */

static void run_list(struct card_os *os, const char *const *list)
{
	for (; list && *list; list++)
		must(os, *list, 0x9000, NULL);
}

/* A copy of the base image, file-backed when the scenario says so (the file is \a path). */
static struct nvm_store *copy_base(const uint8_t *img, size_t len, bool file, const char *path)
{
	struct nvm_store *s;

	if (nvm_store_from_image(img, len, &s))
		die("cannot copy the base image");
	if (file) {
		int rc = nvm_store_save(s, path, true);

		if (rc)
			die("cannot write %s: %s", path, strerror(-rc));
		nvm_store_set_sync(s, false);
	}
	return s;
}

/* The image must not hold the secret the state \a o forbids: the replaced one in the new state, the added one in
 * the old. \a what names the copy searched. */
static void no_secret(const struct scenario *sc, enum outcome o, const uint8_t *img, size_t len, const char *what)
{
	const struct secret *sec = o == NEW ? &sc->replaced : &sc->added;

	if (sec->len && memmem(img, len, sec->b, sec->len))
		die("%s of the card in the %s state still holds the %s secret", what, o == NEW ? "new" : "old",
		    o == NEW ? "replaced" : "uncommitted new");
}

static void no_secret_in_file(const struct scenario *sc, enum outcome o, const char *path)
{
	uint8_t *buf;
	long len;
	FILE *f = fopen(path, "rb");

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		die("cannot read %s", path);
	buf = malloc((size_t)len);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		die("cannot read %s", path);
	fclose(f);
	no_secret(sc, o, buf, (size_t)len, "the image file");
	free(buf);
}

/* The operation under test: the command, or the host API call (its answer then 9000, or 6F00 for an error). */
static int do_op(struct card_os *os, const struct scenario *sc, struct answer *a)
{
	int rc;

	if (!sc->op_fn)
		return send(os, sc->op, a);
	rc = sc->op_fn(os);
	if (rc == -EIO)
		return rc;
	a->len = 2;
	a->b[0] = rc ? 0x6f : 0x90;
	a->b[1] = 0;
	return 0;
}

static void run(struct scenario *sc)
{
	static const enum nvm_tear tears[] = { NVM_TEAR_NONE, NVM_TEAR_HALF, NVM_TEAR_FULL };
	struct card_identity id = { .iccid = "89445012345678901238" };
	char err[256], path[] = "/tmp/simpki-tearing-XXXXXX";
	struct nvm_store *base, *s;
	struct card_os *os;
	const uint8_t *img;
	uint8_t *copy, *restarted = NULL;
	size_t len, base_len;
	uint64_t writes;
	unsigned seen[2] = { 0, 0 }, cuts = 0;

	current = sc->name;
	running = sc;
	if (sc->file_backed) {
		int fd = mkstemp(path);

		if (fd < 0)
			die("mkstemp: %s", strerror(errno));
		close(fd);
	}
	if (card_os_build(sc->manifest, &id, &base, err, sizeof(err)))
		die("%s", err);
	os = open_on(base);
	run_list(os, sc->setup);
	if (sc->setup_extra)
		sc->setup_extra(os, sc);
	sc->used_before = nvm_used(os);
	card_os_close(os);
	img = nvm_store_image(base, &base_len);
	copy = malloc(base_len);
	memcpy(copy, img, base_len);
	nvm_store_free(base);

	/* How many writes does the command make when nothing goes wrong? */
	s = copy_base(copy, base_len, false, NULL);
	os = open_on(s);
	run_list(os, sc->session);
	writes = nvm_store_writes(s);
	{
		struct answer a;

		if (do_op(os, sc, &a) ||
		    ((sw(&a) >> 8) != 0x90 && (sw(&a) >> 8) != 0x61 && (sw(&a) >> 8) != 0x63 && (sw(&a) >> 8) != 0x91))
			die("the command under test fails without a cut");
		img = nvm_store_image(s, &len);
		no_secret(sc, NEW, img, len, "the image");
	}
	writes = nvm_store_writes(s) - writes;
	card_os_close(os);
	nvm_store_free(s);
	if (!writes)
		die("the command makes no NVM write");

	for (uint64_t n = 1; n <= writes; n++) {
		for (unsigned t = 0; t < 3; t++) {
			struct answer a;
			bool compared;
			uint64_t before;
			enum outcome o;

			s = copy_base(copy, base_len, sc->file_backed, path);
			os = open_on(s);
			run_list(os, sc->session);
			before = card_os_pin_compares(os);
			nvm_store_arm_fault(s, n, tears[t]);
			if (do_op(os, sc, &a) != -EIO)
				die("write %llu of %llu: the cut did not happen", (unsigned long long)n,
				    (unsigned long long)writes);
			compared = card_os_pin_compares(os) > before;
			card_os_close(os);
			if (sc->file_backed) {
				int rc;

				nvm_store_free(s);
				rc = nvm_store_load(path, &s);
				if (rc)
					die("cannot load %s after the cut: %s", path, strerror(-rc));
			} else {
				nvm_store_revive(s);
			}
			os = open_on(s);
			img = nvm_store_image(s, &len);
			restarted = realloc(restarted, len);
			memcpy(restarted, img, len);
			o = sc->check(os, compared);
			seen[o]++;
			cuts++;
			no_secret(sc, o, restarted, len, "the image right after the restart");
			img = nvm_store_image(s, &len);
			no_secret(sc, o, img, len, "the image after more commits");
			card_os_close(os);
			nvm_store_free(s);
			if (sc->file_backed)
				no_secret_in_file(sc, o, path);
		}
	}
	if (sc->file_backed)
		unlink(path);
	free(copy);
	free(restarted);
	if (!seen[OLD] || !seen[NEW])
		die("all %u cuts gave the %s state: the commit point was never crossed", cuts,
		    seen[OLD] ? "old" : "new");
	printf("%-22s %2llu writes, %2u cuts: %2u old, %2u new\n", sc->name, (unsigned long long)writes, cuts,
	       seen[OLD], seen[NEW]);
}

int main(int argc, char **argv)
{
	struct scenario scenarios[] = {
		{ .name = "verify-wrong-pin",
		  .setup = personalise,
		  .session = sess_select,
		  .op = PIN_BAD,
		  .check = check_wrong_pin },
		{ .name = "verify-right-pin",
		  .setup = personalise,
		  .setup_extra = one_wrong_pin,
		  .session = sess_select,
		  .op = PIN_OK,
		  .check = check_right_pin },
		{ .name = "change-pin",
		  .setup = personalise,
		  .session = sess_select,
		  .op = PIN_CHANGE,
		  .file_backed = true,
		  .check = check_pin_change },
		{ .name = "generate-ec",
		  .setup = setup_ec_slot1,
		  .session = sess_ec_slot1,
		  .op = GEN_EC,
		  .check = check_ec_keygen },
		{ .name = "regenerate-rsa",
		  .setup = setup_rsa_slot0,
		  .setup_extra = first_rsa_key,
		  .session = sess_rsa_slot0,
		  .op = GEN_RSA,
		  .check = check_rsa_regen },
		{ .name = "update-binary",
		  .setup = setup_ef,
		  .session = sess_ef,
		  .op = update_apdu,
		  .check = check_update },
		{ .name = "update-binary-file",
		  .setup = setup_ef,
		  .session = sess_ef,
		  .op = update_apdu,
		  .file_backed = true,
		  .check = check_update },
		{ .name = "unblock-pin-puk",
		  .setup = personalise,
		  .setup_extra = block_pin,
		  .session = sess_select,
		  .op = PUK_UNBLOCK,
		  .file_backed = true,
		  .check = check_unblock },
		{ .name = "create-file",
		  .setup = setup_admin,
		  .session = sess_admin,
		  .op = EF_3400,
		  .check = check_create },
		{ .name = "delete-file",
		  .setup = setup_ef,
		  .setup_extra = fill_ef,
		  .session = sess_admin,
		  .op = DELETE_3400,
		  .file_backed = true,
		  .check = check_delete },
		{ .name = "ota-key-rotation",
		  .manifest = rotate_manifest,
		  .setup_extra = rotation_secrets,
		  .session = sess_none,
		  .op_fn = rotate_keys,
		  .file_backed = true,
		  .check = check_rotation },
		{ .name = "ota-counter",
		  .manifest = ota_manifest,
		  .session = sess_none,
		  .op = ota_envelope,
		  .check = check_ota_counter },
	};

	make_ota_envelope();
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		/* the PIN scenarios replace 123456 by 654321 */
		if (scenarios[i].op &&
		    (!strcmp(scenarios[i].op, PIN_CHANGE) || !strcmp(scenarios[i].op, PUK_UNBLOCK))) {
			pin_secret(&scenarios[i].replaced, "123456");
			pin_secret(&scenarios[i].added, "654321");
		}
	}
	memcpy(update_apdu, "00D6000AFF", 10);
	memset(update_apdu + 10, '2', 2 * 255);
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		bool wanted = argc < 2; /* tearing [SCENARIO...]: only those */

		for (int a = 1; a < argc; a++)
			wanted |= !strcmp(argv[a], scenarios[i].name);
		if (wanted)
			run(&scenarios[i]);
	}
	return 0;
}
