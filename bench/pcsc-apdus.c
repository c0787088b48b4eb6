/* APDUs per second through PC/SC (libpcsclite -> pcscd -> vpcd) to two cards measured side by side: the simulated
 * SIM served by `simpki-card serve` in slot 0 and a bare vpcd card that answers 9000 to everything (vpcd-echo) in
 * slot 1. Both get the same APDU (SELECT of the PKI applet); short rounds alternate until each card has had its
 * share of time. The ratio is what our card OS and applet cost on top of the PC/SC path itself.
 * Usage: pcsc-apdus [--seconds S]   (needs both cards in their readers; run by bench/pcsc-bench.sh)
 * Output: "name: value" lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <PCSC/winscard.h>

static const unsigned char select_pki[] = { 0x00, 0xa4, 0x04, 0x00, 0x0c, 0xf2, 0x76, 0xa2, 0x88,
					    0xbc, 0xfb, 0xa6, 0x9d, 0x34, 0xf3, 0x10, 0x01 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void round_of(SCARDHANDLE card, unsigned n)
{
	unsigned char resp[258];

	for (unsigned i = 0; i < n; i++) {
		DWORD len = sizeof(resp);
		LONG rv = SCardTransmit(card, SCARD_PCI_T1, select_pki, sizeof(select_pki), NULL, resp, &len);

		if (rv != SCARD_S_SUCCESS || len < 2 || resp[len - 2] != 0x90) {
			fprintf(stderr, "pcsc-apdus: transmit failed: %s\n", pcsc_stringify_error(rv));
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	const char *names[2] = { "Virtual PCD 00 00", "Virtual PCD 00 01" };
	double seconds = argc == 3 && !strcmp(argv[1], "--seconds") ? atof(argv[2]) : 3, spent[2] = { 0, 0 };
	unsigned long count[2] = { 0, 0 };
	SCARDCONTEXT ctx;
	SCARDHANDLE card[2];
	DWORD proto;

	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return 1;
	for (int i = 0; i < 2; i++) {
		LONG rv = SCardConnect(ctx, names[i], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &card[i], &proto);

		if (rv != SCARD_S_SUCCESS) {
			fprintf(stderr, "pcsc-apdus: no card in %s: %s\n", names[i], pcsc_stringify_error(rv));
			return 1;
		}
		round_of(card[i], 50); /* warm up */
	}
	while (spent[0] < seconds || spent[1] < seconds) {
		for (int i = 1; i >= 0; i--) {
			double t = now();

			round_of(card[i], 200);
			spent[i] += now() - t;
			count[i] += 200;
		}
	}
	printf("pcsc_bare_card_apdu_per_s: %.0f\n", count[1] / spent[1]);
	printf("pcsc_simpki_card_apdu_per_s: %.0f\n", count[0] / spent[0]);
	printf("pcsc_apdu_ratio: %.3f\n", (count[0] / spent[0]) / (count[1] / spent[1]));
	for (int i = 0; i < 2; i++)
		SCardDisconnect(card[i], SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return 0;
}
