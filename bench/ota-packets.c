/* Secured command packets (TS 102 225 / SCP80) encoded and verified per second by libsimpki-proto's codec, against
 * OpenSSL alone doing the same cipher and MAC work over the same bytes, measured side by side in the same run: short
 * rounds of each alternate until each has had its share of time, so machine noise hits both.
 *
 * Two profiles, SPI 16 39 (CC, ciphering, counter must be higher; PoR always, with a CC, ciphered, by SMS-SUBMIT),
 * TAR B0 00 10, a 95-byte remote APDU script (UPDATE BINARY 00 D6 00 00 5A and 90 bytes of data):
 *   aes:  KIc = KID = 0x12 (key version 1, AES-128): AES-CMAC and AES-128-CBC
 *   3des: KIc = KID = 0x25 (key version 2, two-key 3DES): DES-EDE CBC-MAC and DES-EDE-CBC
 * With a CC of 8 and either block size that is a 122-byte packet: the CC covers 114 bytes (CPL..PCNTR, the data and
 * 3 bytes of padding) and ciphering covers 112 (CNTR to the end).
 *
 * One "ota" packet: ota_command_encode() with the next counter, then ota_command_decode() of the result,
 * checked to give OTA_POR_OK, the counter and the script back. The codec is used as simpki-otad and the card use it:
 * the sender and the receiver each hold a key set (struct ota_keyset) made once, outside the timed loop, whose
 * keyed contexts every packet reuses; what is measured is the codec's work per packet around OpenSSL's.
 * One "openssl" packet: the sender's MAC over the same MAC input, then encryption of the same ciphertext length; the
 * receiver's decryption of that, then the MAC again over the deciphered packet, compared. Its EVP contexts are keyed
 * once, outside the timed loop, as a dedicated implementation would; before timing, its packet is checked to equal
 * the codec's byte for byte.
 *
 * Usage: ota-packets [--seconds S]   (S of measuring per profile and side; default 3)
 * Output: "name: value" lines; *_ratio is ota / OpenSSL (1.0 means the codec adds nothing to the cipher and MAC
 * work; expect somewhat less: it builds, pads, copies and checks the packet around them).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <simpki/ota.h>

/* The layout in simpki/ota.h: CPL(2) CHL SPI(2) KIc KID TAR(3) in the clear, then CNTR(5) PCNTR CC(8) data pad. */
#define CLEAR_HDR 10
#define SEC_HDR 6
#define CC_LEN 8
#define SCRIPT_LEN 95

static const uint8_t spi_bytes[2] = { 0x16, 0x39 };
static const uint8_t tar[3] = { 0xb0, 0x00, 0x10 };
static const uint8_t zero_iv[16];
static const uint8_t zeros[16];

struct profile {
	const char *name;
	uint8_t kic_kid; /* the KIc and KID octets */
	size_t block;
	bool cmac; /* AES-CMAC; otherwise the DES family's CBC-MAC */
	const EVP_CIPHER *(*cipher)(void);
	const char *cmac_cipher;
	uint8_t kic[16], kid[16];
};

static struct profile profiles[] = {
	{ .name = "aes",
	  .kic_kid = 0x12,
	  .block = 16,
	  .cmac = true,
	  .cipher = EVP_aes_128_cbc,
	  .cmac_cipher = "AES-128-CBC",
	  .kic = { 0x4b, 0x49, 0x63, 0x2d, 0x41, 0x45, 0x53, 0x2d, 0x31, 0x32, 0x38, 0x2d, 0x6b, 0x65, 0x79, 0x31 },
	  .kid = { 0x4b, 0x49, 0x44, 0x2d, 0x41, 0x45, 0x53, 0x2d, 0x31, 0x32, 0x38, 0x2d, 0x6b, 0x65, 0x79, 0x32 } },
	{ .name = "3des",
	  .kic_kid = 0x25,
	  .block = 8,
	  .cmac = false,
	  .cipher = EVP_des_ede_cbc,
	  .kic = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 },
	  .kid = { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01 } },
};

static uint8_t script[SCRIPT_LEN];

/* The packet's lengths, as the codec works them out. */
static size_t total_len, mac_len, cipher_len;

/* The codec's side: the sender's and the receiver's key sets, made in setup(). */
static struct ota_command cmd;
static struct ota_keyset *send_ks, *recv_ks;
static uint8_t pkt[OTA_MAX_PACKET], work[OTA_MAX_PACKET];

/* OpenSSL's side: contexts keyed once; the clear packet (plain), the MAC input (image), the packet sent (sent), the
 * packet deciphered by the receiver (rcvd). */
static EVP_MAC *mac_alg;
static EVP_MAC_CTX *cmac_ctx;
static EVP_CIPHER_CTX *cbcmac_ctx, *enc_ctx, *dec_ctx;
static uint8_t plain[OTA_MAX_PACKET], image[OTA_MAX_PACKET], sent[OTA_MAX_PACKET], rcvd[OTA_MAX_PACKET];
static uint8_t mac_out[OTA_MAX_PACKET + 16];
static size_t mac_pos, mac_in;

static void fail(const char *what)
{
	fprintf(stderr, "ota-packets: %s\n", what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ota_round(unsigned n)
{
	struct ota_command got;

	for (unsigned i = 0; i < n; i++) {
		int len, rc;

		cmd.cntr++;
		len = ota_command_encode(&cmd, send_ks, pkt, sizeof(pkt));
		if (len != (int)total_len)
			fail("ota_command_encode() failed");
		rc = ota_command_decode(pkt, (size_t)len, recv_ks, &got, work);
		if (rc != OTA_POR_OK)
			fail("ota_command_decode() did not verify the packet");
		if (got.cntr != cmd.cntr || got.data_len != SCRIPT_LEN || memcmp(got.data, script, SCRIPT_LEN))
			fail("ota_command_decode() did not give back the packet sent");
	}
}

static void mac_begin(const struct profile *p)
{
	int ok = p->cmac ? EVP_MAC_init(cmac_ctx, NULL, 0, NULL) :
			   EVP_EncryptInit_ex(cbcmac_ctx, NULL, NULL, NULL, zero_iv);

	if (ok != 1)
		fail("OpenSSL cannot start a MAC");
	mac_pos = 0;
	mac_in = 0;
}

static void mac_add(const struct profile *p, const uint8_t *in, size_t len)
{
	int out = 0;

	if (p->cmac) {
		if (EVP_MAC_update(cmac_ctx, in, len) != 1)
			fail("OpenSSL cannot compute a CMAC");
		return;
	}
	if (EVP_EncryptUpdate(cbcmac_ctx, mac_out + mac_pos, &out, in, (int)len) != 1)
		fail("OpenSSL cannot compute a CBC-MAC");
	mac_pos += (size_t)out;
	mac_in += len;
}

/* The CC: the CMAC truncated to 8, or the last block of the CBC encryption of the input zero-padded to 8. */
static void mac_end(const struct profile *p, uint8_t cc[CC_LEN])
{
	uint8_t full[16];
	size_t n = 0;

	if (p->cmac) {
		if (EVP_MAC_final(cmac_ctx, full, &n, sizeof(full)) != 1 || n != 16)
			fail("OpenSSL cannot compute a CMAC");
		memcpy(cc, full, CC_LEN);
		return;
	}
	if (mac_in % 8)
		mac_add(p, zeros, 8 - mac_in % 8);
	if (mac_pos < 8)
		fail("OpenSSL gave no CBC-MAC");
	memcpy(cc, mac_out + mac_pos - 8, CC_LEN);
}

static void cbc(EVP_CIPHER_CTX *ctx, bool encrypt, uint8_t *out, const uint8_t *in, size_t len)
{
	int n = 0;

	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, zero_iv, encrypt) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1 || (size_t)n != len)
		fail("OpenSSL cannot encipher or decipher");
}

/* The sender: MAC over the MAC input, the CC into the clear packet, encryption from CNTR to the end. */
static void openssl_encode(const struct profile *p)
{
	mac_begin(p);
	mac_add(p, image, mac_len);
	mac_end(p, plain + CLEAR_HDR + SEC_HDR);
	memcpy(sent, plain, CLEAR_HDR);
	cbc(enc_ctx, true, sent + CLEAR_HDR, plain + CLEAR_HDR, cipher_len);
}

/* The receiver: decryption, then the MAC over the packet without its CC field, compared with that field. */
static void openssl_decode(const struct profile *p)
{
	uint8_t cc[CC_LEN];

	memcpy(rcvd, sent, CLEAR_HDR);
	cbc(dec_ctx, false, rcvd + CLEAR_HDR, sent + CLEAR_HDR, cipher_len);
	mac_begin(p);
	mac_add(p, rcvd, CLEAR_HDR + SEC_HDR);
	mac_add(p, rcvd + CLEAR_HDR + SEC_HDR + CC_LEN, total_len - CLEAR_HDR - SEC_HDR - CC_LEN);
	mac_end(p, cc);
	if (CRYPTO_memcmp(cc, rcvd + CLEAR_HDR + SEC_HDR, CC_LEN))
		fail("OpenSSL's packet does not verify");
}

static void openssl_round(const struct profile *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		openssl_encode(p);
		openssl_decode(p);
	}
}

static void setup(const struct profile *p)
{
	size_t sec = SEC_HDR + CC_LEN + SCRIPT_LEN, pad = (p->block - sec % p->block) % p->block;
	struct ota_keys keys = { .kic_len = 16, .kid_len = 16, .cc_len = CC_LEN };
	struct ota_command got;
	int len;

	total_len = CLEAR_HDR + sec + pad;
	mac_len = total_len - CC_LEN;
	cipher_len = total_len - CLEAR_HDR;

	memset(&cmd, 0, sizeof(cmd));
	ota_spi_decode(spi_bytes, &cmd.spi);
	cmd.kic = p->kic_kid;
	cmd.kid = p->kic_kid;
	memcpy(cmd.tar, tar, sizeof(tar));
	cmd.cntr = 1;
	cmd.data = script;
	cmd.data_len = SCRIPT_LEN;
	memcpy(keys.kic, p->kic, 16);
	memcpy(keys.kid, p->kid, 16);
	if (ota_keyset_new(p->kic_kid, p->kic_kid, &keys, &send_ks) ||
	    ota_keyset_new(p->kic_kid, p->kic_kid, &keys, &recv_ks))
		fail("the codec cannot make the key sets");

	len = ota_command_encode(&cmd, send_ks, pkt, sizeof(pkt));
	if (len != (int)total_len || pkt[2] != 13 + CC_LEN || memcmp(pkt + 3, spi_bytes, 2))
		fail("the codec's packet does not have the expected layout");
	if (ota_command_decode(pkt, (size_t)len, recv_ks, &got, work) != OTA_POR_OK || got.data_len != SCRIPT_LEN)
		fail("the codec does not verify its own packet");

	/* the same packet in the clear, and the MAC input: the packet without its CC field */
	memcpy(plain, pkt, CLEAR_HDR);
	memcpy(plain + CLEAR_HDR, work + CLEAR_HDR, SEC_HDR); /* CNTR and PCNTR, deciphered */
	memset(plain + CLEAR_HDR + SEC_HDR, 0, CC_LEN);
	memcpy(plain + CLEAR_HDR + SEC_HDR + CC_LEN, script, SCRIPT_LEN);
	memset(plain + CLEAR_HDR + SEC_HDR + CC_LEN + SCRIPT_LEN, 0, pad);
	memcpy(image, plain, CLEAR_HDR + SEC_HDR);
	memcpy(image + CLEAR_HDR + SEC_HDR, plain + CLEAR_HDR + SEC_HDR + CC_LEN, SCRIPT_LEN + pad);

	if (p->cmac) {
		OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)p->cmac_cipher,
									 0),
					OSSL_PARAM_construct_end() };

		mac_alg = EVP_MAC_fetch(NULL, "CMAC", NULL);
		cmac_ctx = mac_alg ? EVP_MAC_CTX_new(mac_alg) : NULL;
		if (!cmac_ctx || EVP_MAC_init(cmac_ctx, p->kid, 16, params) != 1)
			fail("OpenSSL cannot set up CMAC");
	} else {
		cbcmac_ctx = EVP_CIPHER_CTX_new();
		if (!cbcmac_ctx || EVP_EncryptInit_ex(cbcmac_ctx, p->cipher(), NULL, p->kid, zero_iv) != 1 ||
		    EVP_CIPHER_CTX_set_padding(cbcmac_ctx, 0) != 1)
			fail("OpenSSL cannot set up CBC-MAC");
	}
	enc_ctx = EVP_CIPHER_CTX_new();
	dec_ctx = EVP_CIPHER_CTX_new();
	if (!enc_ctx || !dec_ctx || EVP_EncryptInit_ex(enc_ctx, p->cipher(), NULL, p->kic, zero_iv) != 1 ||
	    EVP_CIPHER_CTX_set_padding(enc_ctx, 0) != 1 ||
	    EVP_DecryptInit_ex(dec_ctx, p->cipher(), NULL, p->kic, zero_iv) != 1 ||
	    EVP_CIPHER_CTX_set_padding(dec_ctx, 0) != 1)
		fail("OpenSSL cannot set up the cipher");

	/* the baseline does the same work on the same bytes: its packet is the codec's */
	openssl_encode(p);
	if (memcmp(sent, pkt, total_len))
		fail("OpenSSL's packet differs from the codec's");
	openssl_decode(p);
}

static void teardown(void)
{
	ota_keyset_free(send_ks);
	ota_keyset_free(recv_ks);
	send_ks = recv_ks = NULL;
	EVP_MAC_CTX_free(cmac_ctx);
	EVP_MAC_free(mac_alg);
	EVP_CIPHER_CTX_free(cbcmac_ctx);
	EVP_CIPHER_CTX_free(enc_ctx);
	EVP_CIPHER_CTX_free(dec_ctx);
	cmac_ctx = NULL;
	mac_alg = NULL;
	cbcmac_ctx = enc_ctx = dec_ctx = NULL;
}

static void measure(const struct profile *p, double seconds, unsigned round)
{
	double ota_s = 0, ossl_s = 0, t, ota_rate, ossl_rate;
	unsigned long ota_n = 0, ossl_n = 0;

	setup(p);
	ota_round(round); /* warm both up */
	openssl_round(p, round);
	while (ota_s < seconds || ossl_s < seconds) {
		t = now();
		openssl_round(p, round);
		ossl_s += now() - t;
		ossl_n += round;
		t = now();
		ota_round(round);
		ota_s += now() - t;
		ota_n += round;
	}
	ota_rate = (double)ota_n / ota_s;
	ossl_rate = (double)ossl_n / ossl_s;
	printf("%s_packet_bytes: %zu\n", p->name, total_len);
	printf("%s_mac_bytes: %zu\n", p->name, mac_len);
	printf("%s_cipher_bytes: %zu\n", p->name, cipher_len);
	printf("ota_%s_packets_per_s: %.1f\n", p->name, ota_rate);
	printf("openssl_%s_packets_per_s: %.1f\n", p->name, ossl_rate);
	printf("ota_%s_ratio: %.3f\n", p->name, ota_rate / ossl_rate);
	teardown();
}

int main(int argc, char **argv)
{
	double seconds = 3;

	if (argc == 3 && !strcmp(argv[1], "--seconds"))
		seconds = atof(argv[2]);
	else if (argc != 1) {
		fprintf(stderr, "usage: ota-packets [--seconds S]\n");
		return 2;
	}
	/* UPDATE BINARY of 90 bytes at offset 0 */
	script[0] = 0x00;
	script[1] = 0xd6;
	script[2] = 0x00;
	script[3] = 0x00;
	script[4] = SCRIPT_LEN - 5;
	for (size_t i = 5; i < SCRIPT_LEN; i++)
		script[i] = (uint8_t)(i * 37 + 11);

	printf("seconds_per_side: %.2f\n", seconds);
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		measure(&profiles[i], seconds, 100);
	return 0;
}
