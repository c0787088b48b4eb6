/* Signatures per second through the card's whole APDU path (MSE then PSO for each signature, after one VERIFY),
 * against OpenSSL alone signing the same input with the same private keys, measured side by side in the same
 * run: short rounds of each alternate until each has had its share of time, so machine noise hits both.
 *
 * Usage: card-sign [--seconds S]   (S of measuring per algorithm and side; default 3)
 * Output: "name: value" lines; *_ratio is card / OpenSSL (1.0 means the card adds nothing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <simpki/hex.h>

#include "cardos.h"
#include "cardos_debug.h"
#include "pki_apdus.h"

#define AID PKI_HEX_AID
#define P256 PKI_HEX_P256_PARAMS
#define DIGESTINFO PKI_HEX_DIGESTINFO
#define HASH PKI_HEX_HASH

struct cmd {
	uint8_t b[300];
	size_t len;
};

static struct card_os *os;
static uint8_t resp[CARD_RESP_MAX + 2];

static void cmd_set(struct cmd *c, const char *hex)
{
	int n = hex_decode(hex, c->b, sizeof(c->b));

	if (n < 0) {
		fprintf(stderr, "bad hex %s\n", hex);
		exit(1);
	}
	c->len = (size_t)n;
}

/* Send one APDU; exit unless the SW is 9000 or 61xx. */
static void xfer(const struct cmd *c)
{
	size_t len;

	if (card_os_transmit(os, c->b, c->len, resp, sizeof(resp), &len) ||
	    (resp[len - 2] != 0x90 && resp[len - 2] != 0x61)) {
		fprintf(stderr, "card-sign: the card refused a command\n");
		exit(1);
	}
}

static void run_hex(const char *hex)
{
	struct cmd c;

	cmd_set(&c, hex);
	xfer(&c);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct side {
	double seconds;
	unsigned long count;
};

static struct cmd mse, pso;
static EVP_PKEY *key;
static uint8_t input[64];
static size_t input_len;
static bool rsa;

static void card_round(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		xfer(&mse);
		xfer(&pso);
	}
}

static void openssl_round(unsigned n)
{
	uint8_t sig[256];

	for (unsigned i = 0; i < n; i++) {
		size_t len = sizeof(sig);
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);

		if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 ||
		    (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0) ||
		    EVP_PKEY_sign(ctx, sig, &len, input, input_len) <= 0) {
			fprintf(stderr, "card-sign: OpenSSL cannot sign\n");
			exit(1);
		}
		EVP_PKEY_CTX_free(ctx);
	}
}

static void measure(const char *name, double seconds, unsigned round)
{
	struct side card = { 0, 0 }, ossl = { 0, 0 };
	double t;

	card_round(round); /* warm both up */
	openssl_round(round);
	while (card.seconds < seconds || ossl.seconds < seconds) {
		t = now();
		openssl_round(round);
		ossl.seconds += now() - t;
		ossl.count += round;
		t = now();
		card_round(round);
		card.seconds += now() - t;
		card.count += round;
	}
	printf("%s_openssl_per_s: %.1f\n", name, (double)ossl.count / ossl.seconds);
	printf("%s_card_per_s: %.1f\n", name, (double)card.count / card.seconds);
	printf("%s_ratio: %.3f\n", name, ((double)card.count / card.seconds) / ((double)ossl.count / ossl.seconds));
}

int main(int argc, char **argv)
{
	struct card_identity id = { .iccid = "89445012345678901238" };
	struct nvm_store *store;
	double seconds = 3;
	char err[256];
	uint8_t atr[33];

	if (argc == 3 && !strcmp(argv[1], "--seconds"))
		seconds = atof(argv[2]);
	else if (argc != 1) {
		fprintf(stderr, "usage: card-sign [--seconds S]\n");
		return 2;
	}
	if (card_os_build(NULL, &id, &store, err, sizeof(err)) || card_os_open(store, &os)) {
		fprintf(stderr, "card-sign: cannot build a card: %s\n", err);
		return 1;
	}
	card_os_power_on(os, atr, sizeof(atr));
	run_hex("00A404000C" AID);
	run_hex("0024010106313233343536");
	run_hex("002000011031323334353600000000000000000000");
	run_hex("00224100068001F3840100");
	run_hex("0046420000");
	run_hex("00224100068001EC840101");
	run_hex("00460000CF" P256 "00");

	printf("seconds_per_side: %.1f\n", seconds);
	rsa = true;
	input_len = (size_t)hex_decode(DIGESTINFO, input, sizeof(input));
	cmd_set(&mse, "002241B60A80011181025015840100");
	cmd_set(&pso, "002A9E9A33" DIGESTINFO "00");
	if (card_os_debug_key(os, CARD_KEY_RSA2048, &key))
		return 1;
	measure("rsa2048_sign", seconds, 20);
	EVP_PKEY_free(key);

	rsa = false;
	input_len = (size_t)hex_decode(HASH, input, sizeof(input));
	cmd_set(&mse, "002241B60A80012281025015840101");
	cmd_set(&pso, "002A9E9A20" HASH "00");
	if (card_os_debug_key(os, CARD_KEY_EC_P256, &key))
		return 1;
	measure("p256_sign", seconds, 200);
	EVP_PKEY_free(key);

	card_os_close(os);
	nvm_store_free(store);
	return 0;
}
