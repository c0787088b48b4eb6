/* Notifications to holders by SMS (notify.h): the holder's card (the one it signs with: otad_db_sign_target()), its
 * MSISDN, the text cut into parts (simpki/sms_text.h), each part a text submit_sm on the SMSC bind jobs use
 * (otad_smsc_pick(), smpp_esme_submit_text()). Fire and forget: each part's outcome is logged under DOTAD, with the
 * holder, never the text when it is secret. Every buffer that held the text is wiped. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <osmocom/core/logging.h>

#include <simpki/sms_text.h>

#include "notify.h"
#include "otad.h"

#define NOTIFY_VALIDITY_S 86400 /* a notice still matters a day later */

/* The SMSC's answer is matched to nothing but logged: the priv is a static tag. */
static char notify_tag;

static void text_done(void *priv, uint32_t status, const char *message_id)
{
	(void)priv;
	if (status)
		LOGP(DOTAD, LOGL_NOTICE, "notify: the SMSC refused a holder's notice (status 0x%08x)\n", status);
	else
		LOGP(DOTAD, LOGL_INFO, "notify: a holder's notice is with the SMSC (message id %s)\n", message_id);
}

int otad_notify_holder(const char *holder, const char *text, bool secret)
{
	struct sms_text_part parts[SMS_TEXT_MAX_PARTS];
	struct otad_sign_target t;
	struct smpp_esme *e;
	uint8_t ref;
	int n, rc = 0;

	if (!holder || !holder[0] || !text || !text[0])
		return -EINVAL;
	rc = otad_db_sign_target(g_otad->db, NULL, holder, &t);
	if (rc == -ENOENT || (!rc && !t.msisdn[0])) {
		LOGP(DOTAD, LOGL_NOTICE, "notify: holder %s has no card with a phone number: no notice sent\n", holder);
		return -ENOENT;
	}
	if (rc)
		return -EIO;
	e = otad_smsc_pick();
	if (!e) {
		LOGP(DOTAD, LOGL_NOTICE, "notify: no SMSC configured: no notice to holder %s\n", holder);
		return -ENOTCONN;
	}
	if (RAND_bytes(&ref, 1) != 1)
		ref = 0;
	n = sms_text_split(text, strlen(text), ref, parts, SMS_TEXT_MAX_PARTS);
	if (n < 0) {
		LOGP(DOTAD, LOGL_ERROR, "notify: the notice to holder %s cannot go by SMS (%s)\n", holder,
		     n == -E2BIG ? "too long" : "not UTF-8, or a character outside the BMP");
		return -EINVAL;
	}
	for (int i = 0; i < n && !rc; i++)
		rc = smpp_esme_submit_text(e, t.msisdn, parts[i].dcs, parts[i].udhi, parts[i].ud, parts[i].len,
					   NOTIFY_VALIDITY_S, text_done, &notify_tag);
	sms_text_wipe(parts, SMS_TEXT_MAX_PARTS);
	if (rc) {
		LOGP(DOTAD, LOGL_ERROR, "notify: the notice to holder %s could not be queued\n", holder);
		return -EIO;
	}
	if (secret)
		LOGP(DOTAD, LOGL_NOTICE, "notify: a notice (secret, %d SMS) to holder %s at %s queued\n", n, holder,
		     t.msisdn);
	else
		LOGP(DOTAD, LOGL_NOTICE, "notify: a notice (%d SMS) to holder %s at %s queued: %s\n", n, holder,
		     t.msisdn, text);
	OPENSSL_cleanse(&t, sizeof(t));
	return 0;
}
