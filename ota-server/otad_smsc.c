/* simpki-otad's SMSC binds: one smpp_esme per 'smsc NAME' of the configuration, started with the daemon; their
 * deliver_sm go to the OTA jobs (PoRs). */
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "otad.h"
#include "otad_job.h"

static void submit_done(void *priv, uint32_t status, const char *message_id)
{
	otad_job_submit_done(priv, status, message_id);
}

static void deliver(void *data, const char *source, const char *dest, uint8_t esm_class, uint8_t pid, uint8_t dcs,
		    const uint8_t *sm, size_t len)
{
	struct otad_smsc *smsc = data;

	LOGP(DSMPP, LOGL_INFO, "%s: deliver_sm from %s to %s, esm_class 0x%02x PID 0x%02x DCS 0x%02x, %zu bytes\n",
	     smsc->cfg.name, source, dest, esm_class, pid, dcs, len);
	otad_job_rx_sms(source, esm_class, sm, len);
}

static void link_changed(void *data, bool bound)
{
	struct otad_smsc *smsc = data;

	LOGP(DSMPP, LOGL_NOTICE, "%s: %s\n", smsc->cfg.name, bound ? "bound" : "link down");
}

static const struct smpp_esme_ops ops = {
	.submit_done = submit_done,
	.deliver = deliver,
	.link = link_changed,
};

int otad_smsc_start_all(void)
{
	struct otad_smsc *smsc;

	llist_for_each_entry(smsc, &g_otad->smscs, list)
	{
		smsc->cfg.ctrs = g_otad->ctrs;
		smsc->esme = smpp_esme_alloc(g_otad->ctx, &smsc->cfg, &ops, smsc);
		if (!smsc->esme)
			return -ENOMEM;
		smpp_esme_start(smsc->esme);
	}
	return 0;
}

struct smpp_esme *otad_smsc_pick(void)
{
	static struct otad_smsc *last; /* the bind picked last time: among equals, the next one takes its turn */
	struct otad_smsc *smsc, *v[64], *best = NULL;
	unsigned n = 0, start = 0, best_free = 0;

	llist_for_each_entry(smsc, &g_otad->smscs, list)
	{
		if (!smsc->esme || n == ARRAY_SIZE(v))
			continue;
		if (smsc == last)
			start = n + 1;
		v[n++] = smsc;
	}
	if (!n)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		smsc = v[(start + i) % n];
		if (smpp_esme_bound(smsc->esme) && (!best || smpp_esme_free_window(smsc->esme) > best_free)) {
			best = smsc;
			best_free = smpp_esme_free_window(smsc->esme);
		}
	}
	if (!best)
		return v[0]->esme; /* none bound: the first configured, which queues until it is */
	last = best;
	return best->esme;
}
