/* simpki-otad's VTY for provisioning campaigns (campaign.h): the 'campaign' node of the configuration (inside
 * 'otad': concurrency, retries, back-off, per-step time-outs, the token label; the enrolments' retries and back-off)
 * and the operator's commands: show campaigns, show campaign ID [cards [STATE]], campaign ID pause|resume|cancel. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "enrol.h"
#include "otad.h"
#include "otad_perm.h"
#include "otad_vty.h"

static struct cmd_node campaign_node = { .node = CAMPAIGN_NODE, .prompt = "%s(config-otad-campaign)# ", .vtysh = 1 };

DEFUN(cfg_campaign, cfg_campaign_cmd, "campaign", "Provisioning campaigns: how cards are worked on\n")
{
	vty->node = CAMPAIGN_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_concurrency, cfg_concurrency_cmd, "concurrency <1-10000>",
      "Cards in a step at once, for a campaign that does not say\nCards\n")
{
	otad_campaign_cfg.concurrency = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_retries, cfg_retries_cmd, "retries <0-100>",
      "Temporary failures of a card (no PoR, the SMSC refused) before it fails\nTries after the first\n")
{
	otad_campaign_cfg.retries = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_backoff, cfg_backoff_cmd, "backoff min-seconds <1-86400> max-seconds <1-86400>",
      "The wait before a card is tried again: doubling from min to max\nThe first wait\nSeconds\nThe longest\n"
      "Seconds\n")
{
	otad_campaign_cfg.backoff_min_s = (unsigned)atoi(argv[0]);
	otad_campaign_cfg.backoff_max_s = (unsigned)atoi(argv[1]);
	if (otad_campaign_cfg.backoff_max_s < otad_campaign_cfg.backoff_min_s)
		otad_campaign_cfg.backoff_max_s = otad_campaign_cfg.backoff_min_s;
	return CMD_SUCCESS;
}

DEFUN(cfg_timeout, cfg_timeout_cmd, "timeout (check|personalise|keygen-p256|keygen-rsa2048) <1-3600>",
      "A step's time for its PoR (each try)\nThe check (reads)\nThe PKCS#15 structure\nA P-256 key generated on the "
      "SIM\n"
      "An RSA-2048 key (real SIMs: 5 to 20 s)\nSeconds\n")
{
	unsigned v = (unsigned)atoi(argv[1]);

	if (!strcmp(argv[0], "check"))
		otad_campaign_cfg.timeout_check_s = v;
	else if (!strcmp(argv[0], "personalise"))
		otad_campaign_cfg.timeout_personalise_s = v;
	else if (!strcmp(argv[0], "keygen-p256"))
		otad_campaign_cfg.timeout_keygen_p256_s = v;
	else
		otad_campaign_cfg.timeout_keygen_rsa_s = v;
	return CMD_SUCCESS;
}

DEFUN(cfg_label, cfg_label_cmd, "token-label LABEL",
      "The token label personalise writes (OpenSC shows it)\n1 to 32 characters\n")
{
	if (!*argv[0] || strlen(argv[0]) >= sizeof(otad_campaign_cfg.label)) {
		vty_out(vty, "%% a label of 1 to %zu characters%s", sizeof(otad_campaign_cfg.label) - 1, VTY_NEWLINE);
		return CMD_WARNING;
	}
	strcpy(otad_campaign_cfg.label, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_enrol_retry, cfg_enrol_retry_cmd,
      "enrolment retries <0-100> backoff min-seconds <1-86400> max-seconds <1-86400>",
      "Certificate enrolments (each step's temporary failures: no PoR, the CA unreachable)\n"
      "Tries again per step\nTries\nThe wait, doubling\nThe first\nSeconds\nThe longest\nSeconds\n")
{
	otad_enrol_cfg.retries = (unsigned)atoi(argv[0]);
	otad_enrol_cfg.backoff_min_s = (unsigned)atoi(argv[1]);
	otad_enrol_cfg.backoff_max_s = (unsigned)atoi(argv[2]);
	if (otad_enrol_cfg.backoff_max_s < otad_enrol_cfg.backoff_min_s)
		otad_enrol_cfg.backoff_max_s = otad_enrol_cfg.backoff_min_s;
	return CMD_SUCCESS;
}

static int config_write_campaign(struct vty *vty)
{
	return CMD_SUCCESS; /* written inside 'otad' */
}

void otad_vty_campaign_write(struct vty *vty)
{
	const struct otad_campaign_cfg *c = &otad_campaign_cfg;

	vty_out(vty, " campaign%s", VTY_NEWLINE);
	vty_out(vty, "  concurrency %u%s", c->concurrency, VTY_NEWLINE);
	vty_out(vty, "  retries %u%s", c->retries, VTY_NEWLINE);
	vty_out(vty, "  backoff min-seconds %u max-seconds %u%s", c->backoff_min_s, c->backoff_max_s, VTY_NEWLINE);
	vty_out(vty, "  timeout check %u%s", c->timeout_check_s, VTY_NEWLINE);
	vty_out(vty, "  timeout personalise %u%s", c->timeout_personalise_s, VTY_NEWLINE);
	vty_out(vty, "  timeout keygen-p256 %u%s", c->timeout_keygen_p256_s, VTY_NEWLINE);
	vty_out(vty, "  timeout keygen-rsa2048 %u%s", c->timeout_keygen_rsa_s, VTY_NEWLINE);
	vty_out(vty, "  token-label %s%s", c->label, VTY_NEWLINE);
	vty_out(vty, "  enrolment retries %u backoff min-seconds %u max-seconds %u%s", otad_enrol_cfg.retries,
		otad_enrol_cfg.backoff_min_s, otad_enrol_cfg.backoff_max_s, VTY_NEWLINE);
}

static void show_one(struct vty *vty, const struct otad_campaign *c)
{
	struct otad_campaign_progress p;

	if (otad_campaign_progress(c, &p)) {
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
		return;
	}
	vty_out(vty, "campaign %lld '%s' %s: %lld of %u cards done", (long long)c->id, c->name,
		otad_campaign_state_names[c->state], (long long)p.done, c->cards);
	for (int s = 0; s < OTAD_CCARD_N_STATES; s++)
		if (p.n[s] && s != OTAD_CCARD_ENROL)
			vty_out(vty, ", %s %lld", otad_ccard_state_names[s], (long long)p.n[s]);
	for (int s = OTAD_ENROL_READ; s <= OTAD_ENROL_VERIFY; s++)
		if (p.enrol[s])
			vty_out(vty, ", %s %lld", otad_enrol_state_names[s], (long long)p.enrol[s]);
	vty_out(vty, "; %.1f cards/min", p.per_minute);
	if (p.eta_s > 0)
		vty_out(vty, ", %lld s left", (long long)p.eta_s);
	vty_out(vty, "%s", VTY_NEWLINE);
}

static void show_cb(const struct otad_campaign *c, void *priv)
{
	show_one(priv, c);
}

DEFUN(show_campaigns, show_campaigns_cmd, "show campaigns", SHOW_STR "Every provisioning campaign, newest first\n")
{
	if (otad_db_campaigns_list(g_otad->db, false, show_cb, vty) < 0)
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_campaign, show_campaign_cmd, "show campaign <1-999999999>",
      SHOW_STR "A provisioning campaign: state, cards per state, rate\nIts id\n")
{
	struct otad_campaign c;

	if (otad_db_campaign_get(g_otad->db, atoll(argv[0]), &c)) {
		vty_out(vty, "%% no campaign %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	show_one(vty, &c);
	return CMD_SUCCESS;
}

static void card_cb(const struct otad_ccard *cc, const char *step, void *priv)
{
	struct vty *vty = priv;

	vty_out(vty, "card %s %s step %s tries %u%s%s%s%s%s", cc->iccid,
		step ? step : otad_ccard_state_names[cc->state], cc->step[0] ? cc->step : "-", cc->tries,
		cc->serials[0] ? " serials " : "", cc->serials, cc->error[0] ? ": " : "", cc->error, VTY_NEWLINE);
}

DEFUN(show_campaign_cards, show_campaign_cards_cmd, "show campaign <1-999999999> cards [STATE]",
      SHOW_STR
      "A provisioning campaign\nIts id\nIts cards, in order (at most 1000)\n"
      "Only those in this state (waiting, backoff, check, personalise, keygen, read, csr, cmp, load, verify, active, "
      "skipped, failed, cancelled)\n")
{
	if (otad_db_ccards_list(g_otad->db, atoll(argv[0]), argc > 1 ? argv[1] : NULL, 0, 1000, card_cb, vty) < 0)
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(campaign_act, campaign_act_cmd, "campaign <1-999999999> (pause|resume|cancel)",
      "A provisioning campaign\nIts id\nNo card starts a new step\nGo on\nStop it for good\n")
{
	int64_t id = atoll(argv[0]);
	int rc;

	if (!otad_vty_audit(vty, otad_action_names[OTAD_ACT_CAMPAIGN_WRITE], "campaign %s", argv[0]))
		return CMD_WARNING;
	rc = !strcmp(argv[1], "pause")	? otad_campaign_pause(id) :
	     !strcmp(argv[1], "resume") ? otad_campaign_resume(id) :
					  otad_campaign_cancel(id);
	if (rc == -ENOENT)
		vty_out(vty, "%% no campaign %s%s", argv[0], VTY_NEWLINE);
	else if (rc == -EALREADY)
		vty_out(vty, "%% campaign %s is over%s", argv[0], VTY_NEWLINE);
	else if (rc)
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
	return rc ? CMD_WARNING : CMD_SUCCESS;
}

void otad_vty_campaign_init(void)
{
	install_element(OTAD_NODE, &cfg_campaign_cmd);
	install_node(&campaign_node, config_write_campaign);
	install_element(CAMPAIGN_NODE, &cfg_concurrency_cmd);
	install_element(CAMPAIGN_NODE, &cfg_retries_cmd);
	install_element(CAMPAIGN_NODE, &cfg_backoff_cmd);
	install_element(CAMPAIGN_NODE, &cfg_timeout_cmd);
	install_element(CAMPAIGN_NODE, &cfg_label_cmd);
	install_element(CAMPAIGN_NODE, &cfg_enrol_retry_cmd);
	install_element_ve(&show_campaigns_cmd);
	install_element_ve(&show_campaign_cmd);
	install_element_ve(&show_campaign_cards_cmd);
	install_element(ENABLE_NODE, &campaign_act_cmd);
}
