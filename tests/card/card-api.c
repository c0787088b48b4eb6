/* The card API as an applet uses it (include/simpki/card*.h), called through a test door into an installed applet's
 * context (card_os_debug_ctx()): what no APDU of the PKI applet can reach, the contract must still hold.
 *
 * Covered:
 *  - a PIN try can never be given back: an applet that opens a transaction, sets a blocked PIN's value, checks a
 *    wrong value and aborts finds, after a restart, the PIN still blocked with its old value (the check is refused
 *    with -EBUSY, nothing written); a check inside a transaction that did not touch the PIN is durable whatever the
 *    transaction does afterwards (abort, a reset of the tries inside it); both with power cut at every write;
 *  - a freed key leaves no byte of its private key in the image, with more commits after and with power cut at
 *    every write of the free;
 *  - applets are kept apart: an object of one is not there for another (view, size, write, free, PIN and key
 *    operations); object views are read-only (a write through one faults);
 *  - the RAM budget: transient allocations come out of the manifest's budget, over it is -ENOMEM with nothing
 *    allocated, the OS's cryptography is refused (-ENOMEM, nothing changed) when its working memory is not free,
 *    and everything is released and wiped at reset.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <simpki/card_crypto.h>

#include "cardos.h"
#include "cardos_debug.h"
#include "pki_apdus.h"
#include "unit.h"

static const char two_applets[] = "applet pki aid " PKI_HEX_AID " ram 1024 nvm 65536\n"
				  "applet pki aid F276A288BCFBA69D34F31002 ram 1024 nvm 65536\n";

struct card {
	struct nvm_store *store;
	struct card_os *os;
	struct card_ctx *c;
};

static void card_open(struct card *k)
{
	uint8_t atr[33];

	assert_int_equal(card_os_open(k->store, &k->os), 0);
	card_os_power_on(k->os, atr, sizeof(atr));
	k->c = card_os_debug_ctx(k->os, 0);
	assert_non_null(k->c);
}

static void card_new(struct card *k, const char *manifest)
{
	struct card_identity id = { .iccid = "89445012345678901238" };
	char err[256];

	assert_int_equal(card_os_build(manifest, &id, &k->store, err, sizeof(err)), 0);
	card_open(k);
}

/* Power cycle: what reached the medium is all the card has. */
static void card_restart(struct card *k)
{
	card_os_close(k->os);
	nvm_store_revive(k->store);
	card_open(k);
}

static void card_free(struct card *k)
{
	card_os_close(k->os);
	nvm_store_free(k->store);
}

/* A copy of the card's image, to start each power-cut run from. */
static uint8_t *snapshot(struct card *k, size_t *len)
{
	const uint8_t *img = nvm_store_image(k->store, len);
	uint8_t *copy = malloc(*len);

	assert_non_null(copy);
	memcpy(copy, img, *len);
	return copy;
}

static void card_from(struct card *k, const uint8_t *img, size_t len)
{
	assert_int_equal(nvm_store_from_image(img, len, &k->store), 0);
	card_open(k);
}

static bool image_holds(struct card *k, const uint8_t *b, size_t len)
{
	size_t size;
	const uint8_t *img = nvm_store_image(k->store, &size);

	return memmem(img, size, b, len) != NULL;
}

/* ---- PIN try counters ---------------------------------------------------------------------------------------- */

#define OLD_PIN "73915628"
#define NEW_PIN "40267351"

/* A PIN of 3 tries set to OLD_PIN, kept in the root object's first two bytes; blocked if \a block. */
static card_obj_t make_pin(struct card *k, bool block)
{
	card_obj_t pin;
	uint8_t h[2];

	assert_int_equal(card_pin_create(k->c, 3, 8, &pin), 0);
	assert_int_equal(card_pin_set(k->c, pin, (const uint8_t *)OLD_PIN, 8), 0);
	h[0] = (uint8_t)pin;
	h[1] = (uint8_t)(pin >> 8);
	assert_int_equal(card_obj_write(k->c, card_root(k->c), 0, h, 2), 0);
	for (int i = 0; block && i < 3; i++)
		assert_int_equal(card_pin_check(k->c, pin, (const uint8_t *)"00000000", 8), -EACCES);
	return pin;
}

static card_obj_t the_pin(struct card *k)
{
	const uint8_t *root = card_obj_view(k->c, card_root(k->c), NULL);

	return (card_obj_t)(root[0] | root[1] << 8);
}

/* The sequence that gave a blocked PIN its tries back: set it inside a transaction, check a wrong value, abort. */
static void set_check_abort(struct card *k, card_obj_t pin)
{
	assert_int_equal(card_tx_begin(k->c), 0);
	assert_int_equal(card_pin_set(k->c, pin, (const uint8_t *)NEW_PIN, 8), 0);
	assert_int_equal(card_pin_check(k->c, pin, (const uint8_t *)"11111111", 8), -EBUSY);
	card_tx_abort(k->c);
}

static void reset_check_abort(struct card *k, card_obj_t pin)
{
	assert_int_equal(card_tx_begin(k->c), 0);
	assert_int_equal(card_pin_reset_tries(k->c, pin), 0);
	assert_int_equal(card_pin_check(k->c, pin, (const uint8_t *)OLD_PIN, 8), -EBUSY);
	card_tx_abort(k->c);
}

static void assert_still_blocked(struct card *k)
{
	card_obj_t pin = the_pin(k);

	assert_int_equal(card_pin_tries_left(k->c, pin), 0);
	assert_int_equal(card_pin_check(k->c, pin, (const uint8_t *)OLD_PIN, 8), -EPERM);
	assert_int_equal(card_pin_check(k->c, pin, (const uint8_t *)NEW_PIN, 8), -EPERM);
}

/* Run \a seq on copies of \a img with power cut at each of its writes (none, half or all of the cut write landing);
 * \a check judges the restarted card. \returns how many writes the sequence makes uncut. */
static unsigned cut_each_write(const uint8_t *img, size_t len, void (*seq)(struct card *, card_obj_t),
			       void (*check)(struct card *))
{
	static const enum nvm_tear tears[] = { NVM_TEAR_NONE, NVM_TEAR_HALF, NVM_TEAR_FULL };
	struct card k;
	uint64_t writes;

	card_from(&k, img, len);
	writes = nvm_store_writes(k.store);
	seq(&k, the_pin(&k));
	writes = nvm_store_writes(k.store) - writes;
	card_restart(&k);
	check(&k);
	card_free(&k);
	for (uint64_t n = 1; n <= writes; n++) {
		for (unsigned t = 0; t < 3; t++) {
			card_from(&k, img, len);
			nvm_store_arm_fault(k.store, n, tears[t]);
			seq(&k, the_pin(&k));
			assert_true(nvm_store_dead(k.store));
			card_restart(&k);
			check(&k);
			card_free(&k);
		}
	}
	return (unsigned)writes;
}

static void test_blocked_pin_stays_blocked(void **state)
{
	struct card k;
	uint8_t *img;
	size_t len;

	card_new(&k, NULL);
	make_pin(&k, true);
	img = snapshot(&k, &len);
	card_free(&k);
	/* refused before any write: nothing to cut, nothing changed */
	assert_int_equal(cut_each_write(img, len, set_check_abort, assert_still_blocked), 0);
	assert_int_equal(cut_each_write(img, len, reset_check_abort, assert_still_blocked), 0);
	free(img);
}

/* One wrong try inside a transaction that did not touch the PIN; then a reset of the tries and an abort. */
static void check_in_tx(struct card *k, card_obj_t pin)
{
	assert_int_equal(card_tx_begin(k->c), 0);
	assert_int_equal(card_obj_write(k->c, card_root(k->c), 8, "x", 1), 0);
	if (card_pin_check(k->c, pin, (const uint8_t *)"11111111", 8) != -EACCES)
		return; /* power was cut */
	assert_int_equal(card_pin_tries_left(k->c, pin), 1);
	card_pin_reset_tries(k->c, pin); /* joins the transaction... */
	card_tx_abort(k->c);		 /* ...and goes with it: the wrong try stays counted */
	assert_int_equal(card_pin_tries_left(k->c, pin), 1);
}

static void assert_try_counted(struct card *k)
{
	card_obj_t pin = the_pin(k);
	int tries = card_pin_tries_left(k->c, pin);

	/* 2 before (one wrong try already), 1 once the decrement is committed: never more */
	assert_true(tries == 2 || tries == 1);
	assert_int_equal(card_obj_view(k->c, card_root(k->c), NULL)[8], 0); /* the aborted write */
	assert_int_equal(card_pin_check(k->c, pin, (const uint8_t *)OLD_PIN, 8), 0);
}

static void test_check_in_transaction_is_durable(void **state)
{
	struct card k;
	uint8_t *img;
	size_t len;

	card_new(&k, NULL);
	assert_int_equal(card_pin_check(k.c, make_pin(&k, false), (const uint8_t *)"00000000", 8), -EACCES);
	img = snapshot(&k, &len);
	card_free(&k);
	assert_true(cut_each_write(img, len, check_in_tx, assert_try_counted) > 0);
	free(img);
}

/* ---- freed keys leave nothing ------------------------------------------------------------------------------- */

static uint8_t ec_scalar[32];

static void free_key(struct card *k, card_obj_t unused)
{
	const uint8_t *root = card_obj_view(k->c, card_root(k->c), NULL);

	card_obj_free(k->c, (card_obj_t)(root[4] | root[5] << 8));
}

static void assert_key_whole_or_gone(struct card *k)
{
	const uint8_t *root = card_obj_view(k->c, card_root(k->c), NULL);
	card_obj_t key = (card_obj_t)(root[4] | root[5] << 8);

	if (card_key_type(k->c, key) == CARD_KEY_EC_P256)
		return; /* the free did not happen: the key is whole, and still signs */
	assert_false(image_holds(k, ec_scalar, sizeof(ec_scalar)));
	/* more commits, then again */
	for (int i = 0; i < 4; i++)
		assert_int_equal(card_obj_write(k->c, card_root(k->c), 16, &i, 1), 0);
	assert_false(image_holds(k, ec_scalar, sizeof(ec_scalar)));
}

static void test_freed_key_leaves_nothing(void **state)
{
	struct card k;
	card_obj_t key;
	EVP_PKEY *pk;
	BIGNUM *d = NULL;
	uint8_t h[2], *img;
	size_t len;

	card_new(&k, NULL);
	make_pin(&k, false);
	assert_int_equal(card_key_generate(k.c, CARD_KEY_EC_P256, &key), 0);
	h[0] = (uint8_t)key;
	h[1] = (uint8_t)(key >> 8);
	assert_int_equal(card_obj_write(k.c, card_root(k.c), 4, h, 2), 0);
	assert_int_equal(card_os_debug_key(k.os, CARD_KEY_EC_P256, &pk), 0);
	assert_true(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d));
	assert_int_equal(BN_bn2binpad(d, ec_scalar, sizeof(ec_scalar)), 32);
	BN_clear_free(d);
	EVP_PKEY_free(pk);
	assert_true(image_holds(&k, ec_scalar, sizeof(ec_scalar))); /* the search finds a key that is there */
	img = snapshot(&k, &len);
	card_free(&k);
	assert_true(cut_each_write(img, len, free_key, assert_key_whole_or_gone) > 0);
	free(img);
}

/* ---- applets kept apart --------------------------------------------------------------------------------------- */

static void test_applets_kept_apart(void **state)
{
	struct card k;
	struct card_ctx *other;
	struct card_pubkey pub;
	card_obj_t obj, pin, key;
	uint8_t sig[CARD_SIG_MAX];
	size_t siglen = sizeof(sig);
	uint32_t size;

	card_new(&k, two_applets);
	other = card_os_debug_ctx(k.os, 1);
	assert_non_null(other);
	assert_int_equal(card_obj_alloc(k.c, 16, &obj), 0);
	assert_int_equal(card_pin_create(k.c, 3, 8, &pin), 0);
	assert_int_equal(card_key_generate(k.c, CARD_KEY_EC_P256, &key), 0);

	assert_null(card_obj_view(other, obj, &size));
	assert_null(card_obj_view(other, card_root(k.c), &size));
	assert_int_equal(card_obj_size(other, obj), -ENOENT);
	assert_int_equal(card_obj_write(other, obj, 0, "x", 1), -ENOENT);
	assert_int_equal(card_obj_free(other, obj), -ENOENT);
	assert_int_equal(card_obj_free(other, card_root(k.c)), -ENOENT);
	assert_int_equal(card_pin_set(other, pin, (const uint8_t *)"1234", 4), -ENOENT);
	assert_int_equal(card_pin_check(other, pin, (const uint8_t *)"1234", 4), -ENOENT);
	assert_int_equal(card_pin_reset_tries(other, pin), -ENOENT);
	assert_int_equal(card_key_type(other, key), CARD_KEY_NONE);
	assert_int_equal(card_key_public(other, key, &pub), -ENOENT);
	assert_int_equal(card_key_sign(other, key, CARD_SIG_ECDSA_SHA1, (const uint8_t *)"m", 1, sig, &siglen),
			 -ENOENT);
	assert_int_equal(card_obj_free(other, key), -ENOENT);
	/* and all of it is still the owner's */
	assert_non_null(card_obj_view(k.c, obj, &size));
	assert_int_equal(card_key_type(k.c, key), CARD_KEY_EC_P256);
	card_free(&k);
}

static void test_views_are_read_only(void **state)
{
	struct card k;
	card_obj_t obj;
	uint32_t size;
	uint8_t *p;
	pid_t child;
	int status;

	card_new(&k, NULL);
	assert_int_equal(card_obj_alloc(k.c, 16, &obj), 0);
	p = (uint8_t *)card_obj_view(k.c, obj, &size);
	assert_non_null(p);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		signal(SIGSEGV, SIG_DFL);
		p[0] = 1; /* past the journal: must fault */
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	assert_int_equal(p[0], 0);
	card_free(&k);
}

/* ---- RAM budget ------------------------------------------------------------------------------------------------ */

static void test_ram_budget(void **state)
{
	struct card k;
	card_obj_t key, before;
	uint8_t sig[CARD_SIG_MAX], *a, *b, *c, atr[33];
	size_t siglen = sizeof(sig), len;
	uint8_t *img;
	void *p;

	/* budget 1024, the PKI applet's own transient RAM is 8 bytes: 1016 to hand out */
	card_new(&k, NULL);
	assert_int_equal(card_transient_alloc(k.c, 0, &p), -EINVAL);
	assert_int_equal(card_transient_alloc(k.c, 500, &p), 0);
	a = p;
	assert_int_equal(card_transient_alloc(k.c, 300, &p), 0);
	b = p;
	assert_true(b >= a + 500 && ((uintptr_t)b & 7) == 0);
	for (int i = 0; i < 500; i++)
		assert_int_equal(a[i], 0);
	memset(a, 0x5a, 500);
	assert_int_equal(card_transient_alloc(k.c, 300, &p), -ENOMEM); /* 800 + 300 > 1016 */
	/* 208 bytes are left: P-256 key generation (192) fits, RSA-2048 generation (768) does not */
	assert_int_equal(card_key_generate(k.c, CARD_KEY_EC_P256, &key), 0);
	before = key;
	img = snapshot(&k, &len);
	assert_int_equal(card_key_generate(k.c, CARD_KEY_RSA2048, &key), -ENOMEM);
	{
		size_t now;
		const uint8_t *cur = nvm_store_image(k.store, &now);

		assert_memory_equal(cur, img, len); /* nothing changed */
	}
	free(img);
	assert_int_equal(card_transient_alloc(k.c, 100, &p), 0); /* 108 left: now ECDSA (192) does not fit */
	c = p;
	assert_int_equal(card_key_sign(k.c, before, CARD_SIG_ECDSA_SHA1, (const uint8_t *)"m", 1, sig, &siglen),
			 -ENOMEM);
	/* a reset releases and wipes it all */
	card_os_power_on(k.os, atr, sizeof(atr));
	for (int i = 0; i < 500; i++)
		assert_int_equal(a[i], 0);
	assert_int_equal(card_key_sign(k.c, before, CARD_SIG_ECDSA_SHA1, (const uint8_t *)"m", 1, sig, &siglen), 0);
	assert_int_equal(card_transient_alloc(k.c, 1016, &p), 0);
	assert_ptr_equal(p, a);
	(void)c;
	card_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked_pin_stays_blocked),
		cmocka_unit_test(test_check_in_transaction_is_durable),
		cmocka_unit_test(test_freed_key_leaves_nothing),
		cmocka_unit_test(test_applets_kept_apart),
		cmocka_unit_test(test_views_are_read_only),
		cmocka_unit_test(test_ram_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
