/* APDUs per second through PC/SC (libpcsclite -> pcscd -> vpcd) to two cards measured side by side: the simulated
 * SIM served by `simpki-card serve` in slot 0 and a bare vpcd card that answers 9000 to everything (vpcd-echo) in
 * slot 1. Both get the same command bytes; short rounds alternate until each card has had its share of time. The
 * ratio is what our card OS and applet cost on top of the PC/SC path itself. Two workloads, one after the other:
 *
 *   select   SELECT of the PKI applet: nothing is written, so this is the dispatch and the applet's SELECT.
 *   nvm mix  VERIFY of the PIN (the card writes its try counter down, compares, and writes it back) and UPDATE
 *            BINARY of 32 bytes of a transparent EF (the card writes the file), in turns, each UPDATE with other
 *            bytes. Before it and outside the timing, the card is personalised: a DF 5015 and in it an EF 4401
 *            (32 bytes, UPDATE and READ after VERIFY) are created, the PUK and the PIN are set, the EF is selected.
 *            This workload pays for the card's NVM commits (the journal and fdatasync of `serve`'s state file).
 *
 * Every answer of the simulated card must be exactly 9000 (the program stops otherwise), and after the mix its EF
 * must hold the last bytes written and the PIN all its tries: the short test run checks the commands, not speed.
 * The card in slot 0 must be a new one (as tests/pcsc/with-reader.sh makes it): the setup personalises it.
 *
 * Usage: pcsc-apdus [--seconds S]   (S of measuring per workload and card; needs both cards in their readers; run
 * by bench/pcsc-bench.sh)   Output: "name: value" lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <PCSC/winscard.h>

#include <simpki/hex.h>

#include "pki_apdus.h"

#define SIM 0  /* slot 0: simpki-card serve */
#define BARE 1 /* slot 1: vpcd-echo */

/* The file system of tests/card/filesystem.apdu: a DF 5015, and in it a transparent EF 4401 of 32 bytes whose
 * tag 86 asks for the PIN (90) to update and read it. */
#define HEX_CREATE_DF "00E00000176F1581021388820138830250158608FF00000000000090"
#define HEX_CREATE_EF "00E00000176F1581020020820101830244018608FF90909090909090"
#define HEX_SELECT_EF "00A4000C024401"
#define HEX_READ_EF "00B0000020"
#define HEX_PIN_TRIES "00200001"
#define EF_SIZE 32
#define PIN_TRIES 3

struct apdu {
	unsigned char b[300];
	DWORD len;
};

struct card {
	const char *reader;
	SCARDHANDLE h;
	unsigned long seq; /* the mix's position: both cards get the same sequence of commands */
	double spent;	   /* seconds measured in the current workload */
	unsigned long count;
};

static struct apdu select_pki, verify_pin, update_ef;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void apdu_set(struct apdu *a, const char *hex)
{
	int n = hex_decode(hex, a->b, sizeof(a->b));

	if (n < 0) {
		fprintf(stderr, "pcsc-apdus: bad hex %s\n", hex);
		exit(1);
	}
	a->len = (DWORD)n;
}

/* Send one APDU; the answer's status word, or exit if the transmission fails. The response (with SW) goes to
 * resp (258 bytes) with its length in *len. */
static unsigned transmit(struct card *c, const struct apdu *a, unsigned char *resp, DWORD *len)
{
	LONG rv;

	*len = 258;
	rv = SCardTransmit(c->h, SCARD_PCI_T1, a->b, a->len, NULL, resp, len);
	if (rv != SCARD_S_SUCCESS || *len < 2) {
		fprintf(stderr, "pcsc-apdus: transmit to %s failed: %s\n", c->reader, pcsc_stringify_error(rv));
		exit(1);
	}
	return (unsigned)resp[*len - 2] << 8 | resp[*len - 1];
}

/* Send one APDU; exit unless it is answered exactly 9000. */
static void expect_ok(struct card *c, const struct apdu *a, const char *what)
{
	unsigned char resp[258];
	DWORD len;
	unsigned sw = transmit(c, a, resp, &len);

	if (sw != 0x9000) {
		fprintf(stderr, "pcsc-apdus: %s in %s answered %04X, not 9000\n", what, c->reader, sw);
		exit(1);
	}
}

static void run_hex(struct card *c, const char *hex, const char *what)
{
	struct apdu a;

	apdu_set(&a, hex);
	expect_ok(c, &a, what);
}

/* The EF's contents written by the mix's UPDATE number k: 32 bytes that change with every UPDATE. */
static void ef_bytes(unsigned long k, unsigned char *out)
{
	for (int i = 0; i < EF_SIZE; i++)
		out[i] = (unsigned char)(k + (unsigned long)i);
}

/* The mix's next command: VERIFY at even positions, UPDATE BINARY (new bytes each time) at odd ones. */
static void mix_step(struct card *c)
{
	if (c->seq % 2 == 0) {
		expect_ok(c, &verify_pin, "VERIFY");
	} else {
		ef_bytes(c->seq / 2, update_ef.b + 5);
		expect_ok(c, &update_ef, "UPDATE BINARY");
	}
	c->seq++;
}

enum workload {
	SELECT,
	NVM_MIX
};

/* Commands of a workload, two at a time (a whole VERIFY + UPDATE pair in the mix), until at least `slice` seconds
 * have passed. */
static void round_of(struct card *c, enum workload w, double slice)
{
	double t0 = now(), t;
	unsigned long n = 0;

	do {
		for (int i = 0; i < 2; i++) {
			if (w == SELECT)
				expect_ok(c, &select_pki, "SELECT");
			else
				mix_step(c);
		}
		n += 2;
		t = now();
	} while (t - t0 < slice);
	c->spent += t - t0;
	c->count += n;
}

/* Alternate short rounds on the bare card and on ours until each has had `seconds`; print both rates (APDUs per
 * second) and the ratio, ours / bare, under the names given. */
static void measure(struct card *cards, enum workload w, double seconds, const char *bare_name, const char *sim_name,
		    const char *ratio_name)
{
	double slice = seconds / 10 < 0.05 ? seconds / 10 : 0.05, rate[2];

	for (int i = 0; i < 2; i++) {
		cards[i].spent = 0;
		cards[i].count = 0;
	}
	while (cards[SIM].spent < seconds || cards[BARE].spent < seconds) {
		round_of(&cards[BARE], w, slice);
		round_of(&cards[SIM], w, slice);
	}
	for (int i = 0; i < 2; i++)
		rate[i] = (double)cards[i].count / cards[i].spent;
	printf("%s: %.0f\n", bare_name, rate[BARE]);
	printf("%s: %.0f\n", sim_name, rate[SIM]);
	printf("%s: %.3f\n", ratio_name, rate[SIM] / rate[BARE]);
	fflush(stdout);
}

/* Personalise a new card for the mix (the same commands go to the bare card, which answers 9000 to them). */
static void setup_mix(struct card *c)
{
	run_hex(c, PKI_HEX_SELECT, "SELECT of the PKI applet");
	run_hex(c, HEX_CREATE_DF, "CREATE FILE of DF 5015 (is the card a new one?)");
	run_hex(c, HEX_CREATE_EF, "CREATE FILE of EF 4401");
	run_hex(c, PKI_HEX_PUK_SET, "setting the PUK");
	run_hex(c, PKI_HEX_PIN_SET, "setting the PIN");
	run_hex(c, HEX_SELECT_EF, "SELECT of EF 4401");
}

/* After the mix: the simulated card's EF holds the last bytes written, and the PIN has all its tries. */
static void check_mix(struct card *c)
{
	unsigned char resp[258], want[EF_SIZE];
	struct apdu a;
	DWORD len;
	unsigned sw;

	apdu_set(&a, HEX_PIN_TRIES);
	sw = transmit(c, &a, resp, &len);
	if (sw != (0x63C0 | PIN_TRIES)) {
		fprintf(stderr, "pcsc-apdus: the PIN's tries left answer %04X, not %04X\n", sw, 0x63C0 | PIN_TRIES);
		exit(1);
	}
	expect_ok(c, &verify_pin, "VERIFY");
	apdu_set(&a, HEX_READ_EF);
	sw = transmit(c, &a, resp, &len);
	ef_bytes(c->seq / 2 - 1, want);
	if (sw != 0x9000 || len != EF_SIZE + 2 || memcmp(resp, want, EF_SIZE)) {
		fprintf(stderr, "pcsc-apdus: EF 4401 does not hold the last UPDATE BINARY's bytes (SW %04X)\n", sw);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct card cards[2] = {
		[SIM] = { .reader = "Virtual PCD 00 00" }, [BARE] = { .reader = "Virtual PCD 00 01" }
	};
	double seconds = argc == 3 && !strcmp(argv[1], "--seconds") ? atof(argv[2]) : 3;
	static const unsigned char update_hdr[] = { 0x00, 0xd6, 0x00, 0x00, EF_SIZE };
	SCARDCONTEXT ctx;
	DWORD proto;

	if (seconds <= 0) {
		fprintf(stderr, "usage: pcsc-apdus [--seconds S]\n");
		return 2;
	}
	apdu_set(&select_pki, PKI_HEX_SELECT);
	apdu_set(&verify_pin, PKI_HEX_PIN_OK);
	memcpy(update_ef.b, update_hdr, sizeof(update_hdr)); /* UPDATE BINARY at offset 0; mix_step() adds the data */
	update_ef.len = sizeof(update_hdr) + EF_SIZE;

	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return 1;
	for (int i = 0; i < 2; i++) {
		LONG rv =
			SCardConnect(ctx, cards[i].reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &cards[i].h, &proto);

		if (rv != SCARD_S_SUCCESS) {
			fprintf(stderr, "pcsc-apdus: no card in %s: %s\n", cards[i].reader, pcsc_stringify_error(rv));
			return 1;
		}
		for (int k = 0; k < 50; k++) /* warm up */
			expect_ok(&cards[i], &select_pki, "SELECT");
	}
	measure(cards, SELECT, seconds, "pcsc_bare_card_apdu_per_s", "pcsc_simpki_card_apdu_per_s", "pcsc_apdu_ratio");

	for (int i = 0; i < 2; i++) {
		setup_mix(&cards[i]);
		for (int k = 0; k < 10; k++) /* warm up */
			mix_step(&cards[i]);
	}
	measure(cards, NVM_MIX, seconds, "pcsc_nvm_mix_bare_card_apdu_per_s", "pcsc_nvm_mix_simpki_card_apdu_per_s",
		"pcsc_nvm_mix_ratio");
	check_mix(&cards[SIM]);

	for (int i = 0; i < 2; i++)
		SCardDisconnect(cards[i].h, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return 0;
}
