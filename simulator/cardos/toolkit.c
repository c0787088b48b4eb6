/* Applets' toolkit sessions (card_toolkit.h): the SMS-PP download event that begins one, the applet's proactive
 * commands (DISPLAY TEXT, GET INPUT, MORE TIME: queued in proactive.c, one at a time), the TERMINAL RESPONSEs that
 * come back to it as events, and its reply, which the receiving entity sends as the packet's PoR (ota_re.c).
 *
 * Commands, with their device identities UICC (81) to the display (02) for DISPLAY TEXT, to the terminal (82) for
 * GET INPUT and MORE TIME (TS 102 223 §6.6.1, §6.6.3, §6.6.4):
 *   DISPLAY TEXT  D0 L { 81 03 nn 21 qq | 82 02 81 02 | 8D L DCS text }
 *   GET INPUT     D0 L { 81 03 nn 23 qq | 82 02 81 82 | 8D L DCS prompt | 91 02 min max }
 *   MORE TIME     D0 L { 81 03 nn 02 00 | 82 02 81 82 }
 * An event runs outside any selection; a transaction it leaves open is aborted, and the transient RAM it allocated
 * (card_transient_alloc()) is released when it returns.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include <simpki/tlv.h>

#include "os_internal.h"
#include "ota_re.h"

#define DEV_DISPLAY 0x02
#define DEV_TERMINAL 0x82
#define TAG_TEXT 0x8d
#define TAG_RESPONSE_LENGTH 0x91

static struct ota_tk *session_of(struct card_ctx *c)
{
	struct ota_tk *tk = &c->os->ota->tk;

	return tk->active && tk->applet == c->idx ? tk : NULL;
}

bool tk_active(const struct ota_re *re)
{
	return re->tk.active;
}

void tk_drop(struct ota_re *re)
{
	OPENSSL_cleanse(&re->tk, sizeof(re->tk));
	re->tk.active = false;
	re->tk.applet = -1;
}

/* The session is over: its RAM is wiped; reply_len stays for the PoR. */
static void end_session(struct ota_tk *tk)
{
	OPENSSL_cleanse(tk->ram, sizeof(tk->ram));
	tk->active = false;
	tk->replied = false;
}

void *card_tk_session(struct card_ctx *c)
{
	struct ota_tk *tk = session_of(c);

	return tk ? tk->ram : NULL;
}

static int can_issue(struct card_ctx *c)
{
	struct ota_tk *tk = session_of(c);

	if (!tk)
		return -ENOENT;
	if (tk->replied || proactive_queue_busy(c->os->ota))
		return -EBUSY;
	return 0;
}

static int text_check(uint8_t dcs, const uint8_t *text, uint32_t len, uint32_t max)
{
	if (dcs != CARD_TK_DCS_GSM && dcs != CARD_TK_DCS_UCS2 && dcs != CARD_TK_DCS_GSM7_PACKED)
		return -EINVAL;
	if (!text || !len || (dcs == CARD_TK_DCS_UCS2 && len % 2))
		return -EINVAL;
	return len > max ? -E2BIG : 0;
}

/* 8D L DCS text into \a b (room for max + 4). \returns its length */
static size_t put_text(uint8_t *b, uint8_t dcs, const uint8_t *text, uint32_t len)
{
	int h = tlv_put_header(b, 4, TAG_TEXT, len + 1);

	b[h] = dcs;
	memcpy(b + h + 1, text, len);
	return (size_t)h + 1 + len;
}

int card_tk_display_text(struct card_ctx *c, uint8_t dcs, const uint8_t *text, uint32_t len, uint8_t qualifier)
{
	uint8_t body[CARD_TK_TEXT_MAX + 4];
	int rc = can_issue(c);

	if (!rc)
		rc = text_check(dcs, text, len, CARD_TK_TEXT_MAX);
	if (rc)
		return rc;
	return proactive_queue_applet(c->os->ota, CARD_TK_DISPLAY_TEXT, qualifier, DEV_DISPLAY, body,
				      put_text(body, dcs, text, len));
}

int card_tk_get_input(struct card_ctx *c, uint8_t dcs, const uint8_t *prompt, uint32_t len, uint8_t min, uint8_t max,
		      uint8_t qualifier)
{
	uint8_t body[CARD_TK_TEXT_MAX + 4 + 4];
	size_t n;
	int rc = can_issue(c);

	if (!rc)
		rc = text_check(dcs, prompt, len, CARD_TK_TEXT_MAX - 4);
	if (!rc && (min > max || !max))
		rc = -EINVAL;
	if (rc)
		return rc;
	n = put_text(body, dcs, prompt, len);
	memcpy(body + n, (const uint8_t[]){ TAG_RESPONSE_LENGTH, 0x02, min, max }, 4);
	return proactive_queue_applet(c->os->ota, CARD_TK_GET_INPUT, qualifier, DEV_TERMINAL, body, n + 4);
}

int card_tk_more_time(struct card_ctx *c)
{
	int rc = can_issue(c);

	return rc ? rc : proactive_queue_applet(c->os->ota, CARD_TK_MORE_TIME, 0x00, DEV_TERMINAL, NULL, 0);
}

int card_tk_reply(struct card_ctx *c, const uint8_t *data, uint32_t len)
{
	struct ota_re *re = c->os->ota;
	int rc = can_issue(c);

	if (rc)
		return rc;
	if (len > CARD_TK_REPLY_MAX)
		return -E2BIG;
	if (len)
		memcpy(re->data, data, len);
	re->tk.reply_len = len;
	re->tk.replied = true;
	return 0;
}

/* The applet's event, outside any selection. */
static void run_event(struct card_os *os, int idx, struct card_event_data *ev)
{
	uint32_t mark = os->arena_used[idx];

	os->applets[idx]->event(&os->ctx[idx], ev);
	if (nvm_tx_open(os->nvm)) {
		nvm_tx_abort(os->nvm);
		card_key_cache_clear(os);
	}
	card_arena_release(os, idx, mark);
}

int tk_download(struct card_os *os, const struct ota_target *t, const struct ota_command *cmd, uint8_t chl,
		const struct sms_addr *oa)
{
	struct ota_re *re = os->ota;
	struct ota_tk *tk = &re->tk;
	struct card_event_data ev = { .event = CARD_EVENT_SMS_PP_DOWNLOAD,
				      .data = cmd->data,
				      .len = (uint32_t)cmd->data_len };

	tk_drop(re);
	if (!os->applets[t->applet]->event)
		return 1; /* an applet without events: a PoR without data */
	tk->active = true;
	tk->in_download = true;
	tk->applet = t->applet;
	tk->cmd = *cmd;
	tk->cmd.data = NULL;
	tk->cmd.data_len = 0;
	tk->chl = chl;
	tk->oa = *oa;
	run_event(os, t->applet, &ev);
	tk->in_download = false;
	if (nvm_store_dead(os->store)) {
		tk_drop(re);
		return -EIO;
	}
	if (tk->replied || !proactive_queue_busy(re)) {
		if (!tk->replied)
			tk->reply_len = 0;
		end_session(tk);
		return 1;
	}
	return 0;
}

int tk_terminal_response(struct card_os *os, const struct card_tk_result *res, const uint8_t *d, size_t len)
{
	struct ota_re *re = os->ota;
	struct ota_tk *tk = &re->tk;
	struct card_event_data ev = { .event = CARD_EVENT_PROACTIVE_DONE, .data = d, .len = (uint32_t)len, .tk = res };

	if (!tk->active)
		return 0;
	run_event(os, tk->applet, &ev);
	if (nvm_store_dead(os->store)) {
		tk_drop(re);
		return -EIO;
	}
	if (tk->replied || !proactive_queue_busy(re)) {
		if (!tk->replied)
			tk->reply_len = 0;
		ota_re_tk_por(os, NULL, NULL);
		end_session(tk);
	}
	return 0;
}
