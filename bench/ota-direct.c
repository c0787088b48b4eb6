/* ota-direct: the baseline of bench/phones-ota.sh. The same SMS-DELIVER TPDUs the network bench sends, handed
 * straight to the SIMs as a handset does (phone_sim.h: ENVELOPE SMS-PP download, FETCH of the SEND SHORT MESSAGE
 * carrying the PoR, TERMINAL RESPONSE), without any network. Input lines "CARD_DIR TPDU_HEX", in order; each card
 * is opened once. Prints "ota_direct_packets: N", "ota_direct_pors: N" and "ota_direct_s: SECONDS"; exits 1 if a
 * packet got no PoR. Usage: ota-direct FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "phone_sim.h"

#define MAX_CARDS 1000

struct card {
	char dir[512];
	struct phone_sim *sim;
	unsigned pors;
};

static void send_sms(void *priv, const uint8_t *tpdu, size_t len)
{
	struct card *c = priv;

	c->pors++;
	phone_sim_sms_sent(c->sim, PHONE_SIM_OK);
}

static const struct phone_sim_ops ops = { .send_sms = send_sms };

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct card cards[MAX_CARDS];
	static const uint8_t smsc[] = { 0x91, 0x21, 0x43, 0xf5 };
	unsigned n_cards = 0, packets = 0, pors = 0;
	char dir[512], hex[800];
	uint8_t tpdu[400];
	FILE *f;
	double t0;

	if (argc != 2 || !(f = fopen(argv[1], "r"))) {
		fprintf(stderr, "usage: ota-direct FILE (lines \"CARD_DIR TPDU_HEX\")\n");
		return 2;
	}
	t0 = now();
	while (fscanf(f, "%511s %799s", dir, hex) == 2) {
		struct phone_sim_rp rp;
		struct card *c = NULL;
		int len = osmo_hexparse(hex, tpdu, sizeof(tpdu));

		for (unsigned i = 0; i < n_cards && !c; i++)
			if (!strcmp(cards[i].dir, dir))
				c = &cards[i];
		if (!c) {
			if (n_cards == MAX_CARDS)
				return 2;
			c = &cards[n_cards++];
			snprintf(c->dir, sizeof(c->dir), "%s", dir);
			if (phone_sim_open(NULL, dir, &ops, c, &c->sim)) {
				fprintf(stderr, "ota-direct: cannot open the card in %s\n", dir);
				return 1;
			}
		}
		if (len < 0 || phone_sim_sms_pp(c->sim, smsc, sizeof(smsc), tpdu, (size_t)len, &rp) || !rp.ack) {
			fprintf(stderr, "ota-direct: the SIM in %s refused a packet\n", dir);
			return 1;
		}
		packets++;
	}
	printf("ota_direct_s: %.3f\n", now() - t0);
	fclose(f);
	for (unsigned i = 0; i < n_cards; i++) {
		pors += cards[i].pors;
		phone_sim_close(cards[i].sim);
	}
	printf("ota_direct_packets: %u\nota_direct_pors: %u\n", packets, pors);
	return pors == packets ? 0 : 1;
}
