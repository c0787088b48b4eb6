/* The handset's side of the toolkit in front of a simulated SIM; behaviour in phone_sim.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/gsm/gsm_utils.h>

#include <simpki/card_sw.h>
#include <simpki/sign_msg.h>
#include <simpki/tlv.h>

#include "phone_bip.h"
#include "phone_sim.h"

#define TYPE_MORE_TIME 0x02
#define TYPE_SEND_SHORT_MESSAGE 0x13
#define TYPE_DISPLAY_TEXT 0x21
#define TYPE_GET_INPUT 0x23
#define TYPE_OPEN_CHANNEL 0x40
#define PHONE_SIM_ENV_RETRY_MS 100
#define TAG_DETAILS 0x01
#define TAG_TEXT 0x0d
#define TAG_RESPONSE_LENGTH 0x11
#define TAG_TPDU 0x0b
#define FCS_SIM_DATA_DOWNLOAD_ERROR 0xd5
#define RP_CAUSE_MEMORY_EXCEEDED 22
#define RP_CAUSE_PROTOCOL_ERROR 111

struct phone_sim {
	struct card_os *os;
	const struct phone_sim_ops *ops;
	void *priv;
	uint8_t pending_type; /* proactive command waiting for the phone; 0 none */
	uint8_t details[3];   /* its command details, echoed in the TERMINAL RESPONSE */
	uint8_t resp[CARD_RESP_MAX + 2];
	size_t resp_len;
	size_t secret_off, secret_len; /* bytes of the next command that are secret (a hidden input): not traced */

	/* real timing */
	bool real_timing;
	struct timeval free_at;	      /* the end of the SIM's last exchange, on the osmo_timer clock */
	struct osmo_timer_list timer; /* runs what waits for free_at */
	int fetch_sw;		      /* 91xx: a proactive command to fetch once the SIM is free; 0 none */
	bool run_waits;		      /* the fetched proactive command (cmd) runs once the SIM is free */
	uint8_t cmd[CARD_RESP_MAX];
	size_t cmd_len;

	/* BIP and timers (phone_bip.h); their ENVELOPEs wait here while a TERMINAL RESPONSE is due */
	struct phone_bip *bip;
	uint8_t env[PHONE_SIM_ENV_QUEUE][PHONE_BIP_ENV_MAX];
	size_t env_len[PHONE_SIM_ENV_QUEUE];
	unsigned env_n;
	bool env_backoff;		  /* the SIM answered 9300: wait for the end of a command or env_timer */
	struct osmo_timer_list env_timer; /* retries an ENVELOPE refused with 9300; real timing: waits for the SIM */
};

/* Real timing: the SIM spends \a us more, after what it was doing. */
static void charge(struct phone_sim *sim, uint64_t us)
{
	struct timeval now, d = { .tv_sec = (time_t)(us / 1000000), .tv_usec = (suseconds_t)(us % 1000000) };

	osmo_gettimeofday(&now, NULL);
	if (timercmp(&sim->free_at, &now, <))
		sim->free_at = now;
	timeradd(&sim->free_at, &d, &sim->free_at);
}

/* One APDU; the answer's data and SW in sim->resp. \returns the SW; -EIO */
static int transmit(struct phone_sim *sim, const uint8_t *cmd, size_t len)
{
	uint64_t before = card_os_modelled_us(sim->os);
	uint16_t sw;

	if (card_os_transmit(sim->os, cmd, len, sim->resp, sizeof(sim->resp), &sim->resp_len))
		return -EIO;
	if (sim->real_timing)
		charge(sim, card_os_modelled_us(sim->os) - before);
	if (sim->ops->trace && !sim->secret_len) {
		sim->ops->trace(sim->priv, cmd, len, sim->resp, sim->resp_len);
	} else if (sim->ops->trace && sim->secret_off + sim->secret_len <= len && len <= sizeof(sim->cmd)) {
		/* a PIN typed at a hidden GET INPUT goes to the SIM, never into a trace: '*' for each character (a
		 * command that cannot be masked is not traced) */
		uint8_t masked[sizeof(sim->cmd)];

		memcpy(masked, cmd, len);
		memset(masked + sim->secret_off, '*', sim->secret_len);
		sim->ops->trace(sim->priv, masked, len, sim->resp, sim->resp_len);
		OPENSSL_cleanse(masked, sizeof(masked));
	}
	sim->secret_len = 0;
	sw = (uint16_t)(sim->resp[sim->resp_len - 2] << 8 | sim->resp[sim->resp_len - 1]);
	sim->resp_len -= 2;
	return sw;
}

static void timer_cb(void *data);
static void env_timer_cb(void *data);
static void bip_envelope(void *priv, const uint8_t *env, size_t len);
static void bip_terminal_response(void *priv, const uint8_t *tr, size_t len);

static void bip_changed(void *priv);

static const struct phone_bip_ops bip_ops = {
	.envelope = bip_envelope,
	.terminal_response = bip_terminal_response,
	.changed = bip_changed,
};

int phone_sim_open(void *ctx, const char *dir, const struct phone_sim_ops *ops, void *priv, struct phone_sim **out)
{
	return phone_sim_open_bip(ctx, dir, ops, priv, NULL, out);
}

int phone_sim_open_bip(void *ctx, const char *dir, const struct phone_sim_ops *ops, void *priv,
		       const struct phone_bip_cfg *bip, struct phone_sim **out)
{
	struct phone_sim *sim = talloc_zero(ctx, struct phone_sim);
	uint8_t atr[33], profile[5 + 32];
	size_t n;
	int rc;

	if (!sim)
		return -ENOMEM;
	sim->ops = ops;
	sim->priv = priv;
	osmo_timer_setup(&sim->timer, timer_cb, sim);
	osmo_timer_setup(&sim->env_timer, env_timer_cb, sim);
	sim->bip = phone_bip_alloc(sim, bip, &bip_ops, sim);
	if (!sim->bip) {
		talloc_free(sim);
		return -ENOMEM;
	}
	rc = card_os_open_dir(dir, &sim->os);
	if (rc) {
		talloc_free(sim);
		return rc;
	}
	card_os_power_on(sim->os, atr, sizeof(atr));
	memcpy(profile, "\x80\x10\x00\x00", 4);
	n = phone_bip_terminal_profile(!bip || !bip->off, profile + 5, sizeof(profile) - 5);
	profile[4] = (uint8_t)n;
	rc = transmit(sim, profile, 5 + n);
	if (rc < 0) {
		phone_sim_close(sim);
		return rc;
	}
	*out = sim;
	return 0;
}

void phone_sim_close(struct phone_sim *sim)
{
	if (!sim)
		return;
	osmo_timer_del(&sim->timer);
	osmo_timer_del(&sim->env_timer);
	phone_bip_free(sim->bip); /* its socket closed, its timers stopped */
	card_os_power_off(sim->os);
	card_os_close(sim->os);
	talloc_free(sim);
}

void phone_sim_identity(const struct phone_sim *sim, struct card_identity *id)
{
	card_os_identity(sim->os, id);
}

bool phone_sim_busy(const struct phone_sim *sim)
{
	return sim->pending_type != 0;
}

int phone_sim_set_timing(struct phone_sim *sim, bool real, unsigned baud)
{
	int rc = card_os_set_transport(sim->os, CARD_PROTO_T1, baud ? baud : CARD_BAUD_DEFAULT);

	if (rc)
		return rc;
	sim->real_timing = real;
	if (!real) {
		timerclear(&sim->free_at);
		if (osmo_timer_pending(&sim->timer))
			osmo_timer_schedule(&sim->timer, 0, 0); /* what waits goes on now */
	}
	return 0;
}

uint64_t phone_sim_wait_us(const struct phone_sim *sim)
{
	struct timeval now, d;

	if (!sim->real_timing)
		return 0;
	osmo_gettimeofday(&now, NULL);
	if (!timercmp(&sim->free_at, &now, >))
		return 0;
	timersub(&sim->free_at, &now, &d);
	return (uint64_t)d.tv_sec * 1000000 + (uint64_t)d.tv_usec;
}

/* Real timing: while the SIM is busy, arm the timer for when it is free. \returns whether the caller must wait */
static bool wait_for_sim(struct phone_sim *sim)
{
	uint64_t us = phone_sim_wait_us(sim);

	if (!us)
		return false;
	osmo_timer_schedule(&sim->timer, (int)(us / 1000000), (int)(us % 1000000));
	return true;
}

/* ---- text strings ---------------------------------------------------------------------------------------------- */

static size_t put_utf8(char *out, size_t max, size_t n, unsigned cp)
{
	if (cp < 0x80 && n + 1 < max) {
		out[n++] = (char)cp;
	} else if (cp < 0x800 && n + 2 < max) {
		out[n++] = (char)(0xc0 | cp >> 6);
		out[n++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp >= 0x800 && n + 3 < max) {
		out[n++] = (char)(0xe0 | cp >> 12);
		out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[n++] = (char)(0x80 | (cp & 0x3f));
	}
	return n;
}

/* A GSM 7-bit default alphabet character, as far as a prompt needs it (TS 23.038). */
static unsigned gsm_char(uint8_t c)
{
	switch (c) {
	case 0x00:
		return '@';
	case 0x02:
		return '$';
	case 0x11:
		return '_';
	default:
		return c < 0x80 ? c : '?';
	}
}

/* The GSM default alphabet (with its extension table) or UCS2 to UTF-8 as the server wrote it (sign_text_utf8()):
 * \returns 0 when it fitted; -EILSEQ; -E2BIG (the caller then cuts it character by character) */
static int text_utf8(uint8_t dcs, const uint8_t *in, size_t len, char *out, size_t max)
{
	int rc = sign_text_utf8(dcs, in, len, out, max);

	return rc < 0 ? rc : 0;
}

int phone_sim_text_decode(const uint8_t *v, size_t len, char *out, size_t max)
{
	uint8_t septets[PHONE_SIM_TEXT_MAX] = { 0 };
	size_t n = 0;
	int rc;

	if (!max)
		return -EINVAL;
	out[0] = '\0';
	if (!len)
		return 0; /* a null text string */
	switch (v[0] & 0x0c) {
	case 0x00: { /* 7-bit packed */
		size_t count = (len - 1) * 8 / 7;

		if (count > sizeof(septets))
			count = sizeof(septets);
		for (size_t i = 0; i < count; i++) {
			size_t bit = i * 7;
			unsigned w = v[1 + bit / 8] | (bit / 8 + 2 < len ? v[2 + bit / 8] << 8 : 0);

			septets[i] = (uint8_t)((w >> (bit % 8)) & 0x7f);
		}
		if (count && (len - 1) * 8 % 7 == 0 && septets[count - 1] == 0x0d)
			count--; /* a CR filling the last octet */
		rc = text_utf8(SIGN_DCS_GSM, septets, count, out, max);
		if (rc != -E2BIG)
			return rc ? -EINVAL : 0;
		for (size_t i = 0; i < count; i++)
			n = put_utf8(out, max, n, gsm_char(septets[i]));
		break;
	}
	case 0x04: /* 8-bit, default alphabet unpacked */
		rc = text_utf8(SIGN_DCS_GSM, v + 1, len - 1, out, max);
		if (rc != -E2BIG)
			return rc ? -EINVAL : 0;
		for (size_t i = 1; i < len; i++)
			n = put_utf8(out, max, n, gsm_char(v[i]));
		break;
	case 0x08: /* UCS2 */
		if ((len - 1) % 2)
			return -EINVAL;
		rc = text_utf8(SIGN_DCS_UCS2, v + 1, len - 1, out, max);
		if (rc != -E2BIG)
			return rc ? -EINVAL : 0;
		for (size_t i = 1; i + 1 < len; i += 2)
			n = put_utf8(out, max, n, (unsigned)(v[i] << 8 | v[i + 1]));
		break;
	default:
		return -EINVAL;
	}
	out[n] = '\0';
	return 0;
}

/* ---- the screen log ---- */

size_t phone_sim_screen_record(const char *imsi, const struct phone_sim_prompt *p, char *out, size_t max)
{
	size_t n = 0;
	int h;

	if (!max)
		return 0;
	h = snprintf(out, max, "%s\t%s\t", imsi, p->input ? "input" : "display");
	if (h < 0 || (size_t)h >= max) {
		out[0] = '\0';
		return 0;
	}
	n = (size_t)h;
	for (const char *c = p->text; *c && n + 3 < max; c++) {
		const char *esc = *c == '\\' ? "\\\\" :
				  *c == '\n' ? "\\n" :
				  *c == '\r' ? "\\r" :
				  *c == '\t' ? "\\t" :
					       NULL;

		if (esc) {
			memcpy(out + n, esc, 2);
			n += 2;
		} else {
			out[n++] = *c;
		}
	}
	out[n++] = '\n';
	out[n] = '\0';
	return n;
}

/* ---- proactive commands ----------------------------------------------------------------------------------------- */

static void run_proactive(struct phone_sim *sim, int sw);
static void flush_envelopes(struct phone_sim *sim);

/* TERMINAL RESPONSE for the pending command; then the next proactive command, if any. */
static void terminal_response(struct phone_sim *sim, uint8_t result, const uint8_t *extra, size_t extra_len,
			      size_t secret_off, size_t secret_len)
{
	uint8_t tr[5 + 12 + 3 + 2 + 2 * PHONE_SIM_TEXT_MAX];
	size_t n = 5;
	int sw;

	memcpy(tr, "\x80\x14\x00\x00", 4);
	tr[n++] = 0x81;
	tr[n++] = 3;
	memcpy(tr + n, sim->details, 3);
	n += 3;
	memcpy(tr + n, "\x82\x02\x82\x81\x83", 5);
	n += 5;
	if (result == PHONE_SIM_SMS_RP_ERROR || result == PHONE_SIM_NETWORK_UNABLE) {
		tr[n++] = 2;
		tr[n++] = result;
		tr[n++] = 0x00; /* no specific cause */
	} else {
		tr[n++] = 1;
		tr[n++] = result;
	}
	if (extra_len && n + extra_len <= sizeof(tr)) {
		memcpy(tr + n, extra, extra_len);
		if (secret_len) {
			sim->secret_off = n + secret_off;
			sim->secret_len = secret_len;
		}
		n += extra_len;
	}
	tr[4] = (uint8_t)(n - 5);
	sim->pending_type = 0;
	sw = transmit(sim, tr, n);
	OPENSSL_cleanse(tr, sizeof(tr)); /* it may hold a PIN */
	sim->env_backoff = false;
	run_proactive(sim, sw);
	flush_envelopes(sim);
}

/* The TERMINAL RESPONSE \a body (from its command details on) that phone_bip.c built; then the next proactive
 * command, if any, or the ENVELOPEs that waited. */
static void terminal_response_raw(struct phone_sim *sim, const uint8_t *body, size_t len)
{
	uint8_t tr[5 + PHONE_BIP_TR_MAX];
	int sw;

	if (len > PHONE_BIP_TR_MAX)
		return;
	memcpy(tr, "\x80\x14\x00\x00", 4);
	tr[4] = (uint8_t)len;
	memcpy(tr + 5, body, len);
	sim->pending_type = 0;
	sw = transmit(sim, tr, 5 + len);
	sim->env_backoff = false;
	run_proactive(sim, sw);
	flush_envelopes(sim);
}

/* ---- ENVELOPEs of BIP events and timer expirations ---------------------------------------------------------------- */

/* No TERMINAL RESPONSE is due and nothing waits to be fetched or run. */
static bool sim_idle(const struct phone_sim *sim)
{
	return !sim->pending_type && !sim->run_waits && !sim->fetch_sw;
}

/* Send the ENVELOPEs that wait, in order, while the SIM takes them. 9300 (busy): the ENVELOPE stays first and is
 * tried again when a proactive command has ended, or after PHONE_SIM_ENV_RETRY_MS; 91xx: the SIM's command runs
 * first. */
static void flush_envelopes(struct phone_sim *sim)
{
	while (sim->env_n && sim_idle(sim) && !sim->env_backoff) {
		uint8_t apdu[5 + PHONE_BIP_ENV_MAX];
		size_t len = sim->env_len[0];
		uint64_t us = phone_sim_wait_us(sim);
		int sw;

		if (us) {
			osmo_timer_schedule(&sim->env_timer, (int)(us / 1000000), (int)(us % 1000000));
			return;
		}
		memcpy(apdu, "\x80\xc2\x00\x00", 4);
		apdu[4] = (uint8_t)len;
		memcpy(apdu + 5, sim->env[0], len);
		sw = transmit(sim, apdu, 5 + len);
		if (sw == SW_TOOLKIT_BUSY) {
			sim->env_backoff = true;
			osmo_timer_schedule(&sim->env_timer, 0, PHONE_SIM_ENV_RETRY_MS * 1000);
			return;
		}
		/* taken (or refused for good): the next one */
		sim->env_n--;
		memmove(sim->env[0], sim->env[1], sim->env_n * sizeof(sim->env[0]));
		memmove(sim->env_len, sim->env_len + 1, sim->env_n * sizeof(sim->env_len[0]));
		run_proactive(sim, sw);
	}
}

static void env_timer_cb(void *data)
{
	struct phone_sim *sim = data;

	sim->env_backoff = false;
	flush_envelopes(sim);
}

int phone_sim_envelope(struct phone_sim *sim, const uint8_t *env, size_t len)
{
	if (!len || len > PHONE_BIP_ENV_MAX)
		return -EINVAL;
	if (sim->env_n == PHONE_SIM_ENV_QUEUE)
		return -ENOSPC;
	memcpy(sim->env[sim->env_n], env, len);
	sim->env_len[sim->env_n++] = len;
	flush_envelopes(sim);
	return 0;
}

static void bip_envelope(void *priv, const uint8_t *env, size_t len)
{
	phone_sim_envelope(priv, env, len); /* a SIM that leaves this many events unread loses the newest */
}

static void bip_terminal_response(void *priv, const uint8_t *tr, size_t len)
{
	struct phone_sim *sim = priv;

	if (sim->pending_type == TYPE_OPEN_CHANNEL)
		terminal_response_raw(sim, tr, len);
}

int phone_sim_envelope_queued(const struct phone_sim *sim)
{
	return (int)sim->env_n;
}

static void bip_changed(void *priv)
{
	struct phone_sim *sim = priv;
	struct phone_bip_status st;

	if (!sim->ops->bip_changed)
		return;
	phone_bip_status(sim->bip, &st);
	sim->ops->bip_changed(sim->priv, &st);
}

void phone_sim_bip_status(const struct phone_sim *sim, struct phone_bip_status *st)
{
	phone_bip_status(sim->bip, st);
}

static int find_tlv(const uint8_t *b, size_t len, uint8_t tag, struct tlv *t)
{
	while (len) {
		if (ber_tlv_parse(b, len, t))
			return -EINVAL;
		if ((t->tag & 0x7f) == tag)
			return 0;
		b += t->total;
		len -= t->total;
	}
	return -ENOENT;
}

/* Run the fetched proactive command in sim->cmd (its type and details are in sim->pending_type and sim->details). */
static void run_command(struct phone_sim *sim)
{
	struct phone_sim_prompt p = { 0 };
	struct tlv cmd, t;
	uint8_t type = sim->pending_type;

	if (ber_tlv_parse(sim->cmd, sim->cmd_len, &cmd)) /* parsed when fetched */
		return;
	switch (type) {
	case TYPE_SEND_SHORT_MESSAGE:
		if (find_tlv(cmd.value, cmd.len, TAG_TPDU, &t) || !sim->ops->send_sms) {
			terminal_response(sim, PHONE_SIM_BEYOND_CAPABILITIES, NULL, 0, 0, 0);
			return;
		}
		sim->ops->send_sms(sim->priv, t.value, t.len);
		return;
	case TYPE_DISPLAY_TEXT:
	case TYPE_GET_INPUT:
		if (!sim->ops->prompt || find_tlv(cmd.value, cmd.len, TAG_TEXT, &t) ||
		    phone_sim_text_decode(t.value, t.len, p.text, sizeof(p.text))) {
			terminal_response(sim, PHONE_SIM_BEYOND_CAPABILITIES, NULL, 0, 0, 0);
			return;
		}
		p.input = type == TYPE_GET_INPUT;
		p.wait_user = !p.input && (sim->details[2] & 0x80);
		p.hidden = p.input && (sim->details[2] & 0x04);
		p.digits_only = p.input && !(sim->details[2] & 0x01);
		p.min_len = 0;
		p.max_len = PHONE_SIM_TEXT_MAX - 1;
		if (p.input && !find_tlv(cmd.value, cmd.len, TAG_RESPONSE_LENGTH, &t) && t.len == 2) {
			p.min_len = t.value[0];
			p.max_len = t.value[1];
		}
		sim->ops->prompt(sim->priv, &p);
		return;
	case TYPE_MORE_TIME:
		terminal_response(sim, PHONE_SIM_OK, NULL, 0, 0, 0);
		return;
	default:
		if (phone_bip_handles(type)) {
			uint8_t tr[PHONE_BIP_TR_MAX];
			size_t tr_len;
			int rc = phone_bip_command(sim->bip, sim->cmd, sim->cmd_len, tr, sizeof(tr), &tr_len);

			if (rc == 0)
				terminal_response_raw(sim, tr, tr_len);
			else if (rc < 0)
				terminal_response(sim, PHONE_SIM_DATA_NOT_UNDERSTOOD, NULL, 0, 0, 0);
			return; /* rc 1: OPEN CHANNEL connecting, bip_terminal_response() comes */
		}
		terminal_response(sim, PHONE_SIM_BEYOND_CAPABILITIES, NULL, 0, 0, 0);
		return;
	}
}

/* Fetch and run the SIM's proactive command if it has one (91xx) and none waits for the phone. With real timing, the
 * FETCH waits until the SIM is free, and running the command until the FETCH is over (timer_cb() goes on). */
static void run_proactive(struct phone_sim *sim, int sw)
{
	uint8_t fetch[5] = { 0x80, 0x12, 0x00, 0x00, 0 };
	struct tlv cmd, details;

	if (sw < 0 || (sw >> 8) != 0x91 || sim->pending_type || sim->run_waits)
		return;
	if (wait_for_sim(sim)) {
		sim->fetch_sw = sw;
		return;
	}
	sim->fetch_sw = 0;
	fetch[4] = (uint8_t)sw;
	sw = transmit(sim, fetch, sizeof(fetch));
	if (sw != SW_OK || sim->resp_len > sizeof(sim->cmd) || ber_tlv_parse(sim->resp, sim->resp_len, &cmd) ||
	    cmd.tag != 0xd0 || find_tlv(cmd.value, cmd.len, TAG_DETAILS, &details) || details.len != 3)
		return; /* no usable proactive command: the SIM will tell again */
	memcpy(sim->details, details.value, 3);
	sim->pending_type = details.value[1];
	memcpy(sim->cmd, sim->resp, sim->resp_len);
	sim->cmd_len = sim->resp_len;
	if (wait_for_sim(sim)) {
		sim->run_waits = true;
		return;
	}
	run_command(sim);
}

/* Real timing: the SIM is free now. */
static void timer_cb(void *data)
{
	struct phone_sim *sim = data;

	if (sim->run_waits) {
		sim->run_waits = false;
		run_command(sim);
	} else if (sim->fetch_sw) {
		run_proactive(sim, sim->fetch_sw);
	}
	flush_envelopes(sim);
}

void phone_sim_sms_sent(struct phone_sim *sim, enum phone_sim_result result)
{
	if (sim->pending_type == TYPE_SEND_SHORT_MESSAGE)
		terminal_response(sim, (uint8_t)result, NULL, 0, 0, 0);
}

void phone_sim_user_answer(struct phone_sim *sim, enum phone_sim_result result, const char *text)
{
	uint8_t extra[2 + 2 + PHONE_SIM_TEXT_MAX];
	size_t n = 0, len = 0, text_at = 0;
	bool hidden = sim->pending_type == TYPE_GET_INPUT && (sim->details[2] & 0x04);

	if (sim->pending_type != TYPE_DISPLAY_TEXT && sim->pending_type != TYPE_GET_INPUT)
		return;
	if (sim->pending_type == TYPE_GET_INPUT && result == PHONE_SIM_OK) {
		len = text ? strlen(text) : 0;
		if (len > PHONE_SIM_TEXT_MAX - 1)
			len = PHONE_SIM_TEXT_MAX - 1;
		extra[n++] = 0x8d; /* text string, 8-bit default alphabet */
		if (len + 1 > 127)
			extra[n++] = 0x81;
		extra[n++] = (uint8_t)(len + 1);
		extra[n++] = 0x04;
		text_at = n;
		memcpy(extra + n, text, len);
		n += len;
	}
	terminal_response(sim, (uint8_t)result, extra, n, text_at, hidden ? len : 0);
	OPENSSL_cleanse(extra, sizeof(extra));
}

/* ---- SMS-PP download -------------------------------------------------------------------------------------------- */

int phone_sim_sms_pp(struct phone_sim *sim, const uint8_t *smsc_bcd, size_t smsc_len, const uint8_t *tpdu, size_t len,
		     struct phone_sim_rp *rp)
{
	uint8_t body[300], cmd[5 + 300];
	size_t n = 0, m;
	int sw;

	memset(rp, 0, sizeof(*rp));
	if (len > 200 || smsc_len > 12)
		return -EINVAL;
	memcpy(body, "\x82\x02\x83\x81", 4);
	n = 4;
	if (smsc_len) {
		body[n++] = 0x86;
		body[n++] = (uint8_t)smsc_len;
		memcpy(body + n, smsc_bcd, smsc_len);
		n += smsc_len;
	}
	n += (size_t)tlv_put_header(body + n, sizeof(body) - n, 0x8b, len); /* fits: len <= 200 */
	memcpy(body + n, tpdu, len);
	n += len;
	memcpy(cmd, "\x80\xc2\x00\x00", 4);
	m = 5 + (size_t)tlv_put_header(cmd + 5, sizeof(cmd) - 5, 0xd1, n);
	memcpy(cmd + m, body, n);
	m += n;
	cmd[4] = (uint8_t)(m - 5);
	sw = transmit(sim, cmd, m);
	while (sw >= 0 && (sw >> 8) == 0x61) { /* a card that answers like T=0: fetch the data */
		uint8_t get[5] = { 0x00, 0xc0, 0x00, 0x00, (uint8_t)sw };
		uint8_t keep[256];
		size_t kept = sim->resp_len < sizeof(keep) ? sim->resp_len : sizeof(keep);

		memcpy(keep, sim->resp, kept);
		sw = transmit(sim, get, sizeof(get));
		if (sw >= 0 && kept + sim->resp_len <= sizeof(sim->resp)) {
			memmove(sim->resp + kept, sim->resp, sim->resp_len);
			memcpy(sim->resp, keep, kept);
			sim->resp_len += kept;
		}
	}
	if (sw < 0)
		return sw;
	if (sw == SW_OK || (sw >> 8) == 0x91) {
		rp->ack = true;
		rp->ud_len = sim->resp_len < sizeof(rp->ud) ? sim->resp_len : sizeof(rp->ud);
		memcpy(rp->ud, sim->resp, rp->ud_len);
	} else if (sw == SW_TOOLKIT_BUSY) {
		rp->cause = RP_CAUSE_MEMORY_EXCEEDED;
	} else {
		rp->cause = RP_CAUSE_PROTOCOL_ERROR;
		rp->fcs = FCS_SIM_DATA_DOWNLOAD_ERROR;
	}
	run_proactive(sim, sw);
	flush_envelopes(sim);
	return 0;
}
