/* libFuzzer harness: what a provisioning campaign reads from outside (ota-server/campaign/campaign_script.c and
 * ota-server/api_parse_campaign.c): the check, personalise and keygen script responses as they come back in a PoR
 * from a SIM, and POST /v1/campaigns's JSON body. The first byte picks the parser (and the key iD or the first
 * file); the rest is the input. Checked: a check view counts at most the structure's files and, with all of them,
 * names a slot 0..15 or none; an accepted body has a name, 1 to 4 keys with an iD and a profile, and exactly one
 * selection, each ICCID 18 to 20 digits; a refusal says why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "campaign_script.h"
#include "fuzz.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-campaign: %s\n", what);
	abort();
}

static void body(const uint8_t *data, size_t size)
{
	struct api_campaign_req req;
	char err[256] = "";
	char *s = malloc(size + 1);

	if (!s)
		die("out of memory");
	memcpy(s, data, size);
	s[size] = 0;
	if (api_campaign_parse(s, size, &req, err, sizeof(err))) {
		if (!err[0])
			die("a refused body without a message");
		free(s);
		return;
	}
	if (!req.c.name[0] || !req.c.n_keys || req.c.n_keys > OTAD_CAMPAIGN_KEYS_MAX ||
	    (!!req.sel.iccids + !!req.sel.import + !!req.sel.unit) != 1)
		die("a bad campaign accepted");
	for (unsigned i = 0; i < req.c.n_keys; i++)
		if (!req.c.keys[i].id || !req.c.keys[i].profile[0])
			die("a key without an iD or a profile");
	for (size_t i = 0; i < req.sel.n; i++)
		if (strlen(req.sel.iccids[i]) < 18 || strlen(req.sel.iccids[i]) > 20)
			die("an ICCID out of bounds");
	api_campaign_req_free(&req);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct campaign_view v;
	char why[160];
	uint8_t sel;

	if (!size)
		return 0;
	sel = data[0];
	data++;
	size--;
	switch (sel & 3) {
	case 0:
		if (!campaign_check_parse(data, size, (uint8_t)(sel >> 2), &v, why, sizeof(why)) &&
		    (v.files > CAMPAIGN_P15_FILES ||
		     (v.files == CAMPAIGN_P15_FILES && (v.ev.free_key_ref < -1 || v.ev.free_key_ref > 15))))
			die("a view out of bounds");
		break;
	case 1:
		campaign_personalise_parse(data, size, (unsigned)(sel >> 2) % CAMPAIGN_P15_FILES, why, sizeof(why));
		break;
	case 2:
		campaign_keygen_parse(data, size, why, sizeof(why));
		break;
	default:
		body(data, size);
		break;
	}
	return 0;
}
