/* simpki-otad's operator API: a certificate for a key a SIM holds, over the air (enrol.h).
 *   POST /v1/cards/{iccid}/certificates {"key_id", "profile"} -> 202 {"id", "state", "url"}: the subject is the card
 *        holder's (CN name, serialNumber identity number, OU the ward, ST the province, O the configuration's, C VN)
 *   GET  /v1/enrolments/{id} -> the enrolment: state, the current job, the certificate once issued, the failure */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_info.h"
#include "enrol.h"
#include "otad.h"
#include "otad_api_int.h"

/* The subject of \a card's holder into \a der. \returns its length; or an answer was sent (*sent) */
static int holder_subject(struct MHD_Connection *c, const struct otad_card *card, uint8_t *der, size_t max,
			  enum MHD_Result *sent)
{
	char err[160];
	int rc = otad_enrol_holder_subject(card, der, max, err, sizeof(err));

	if (rc == -ENODATA)
		*sent = send_error(c, API_E_CARD_HAS_NO_HOLDER, "card %s has no holder: PUT /v1/cards/%s/holder first",
				   card->iccid, card->iccid);
	else if (rc == -EIO)
		*sent = send_error(c, API_E_DATABASE, "database error");
	else if (rc < 0)
		*sent = send_error(c, API_E_INVALID_REQUEST, "%s", err);
	return rc;
}

enum MHD_Result api_enrol_start(struct MHD_Connection *c, struct api_req *r)
{
	uint8_t subject[OTAD_ENROL_SUBJECT_MAX];
	char profile[65], err[200];
	struct otad_card card;
	enum MHD_Result sent;
	unsigned key_id;
	int64_t id;
	int n, rc;

	if (api_enrol_parse(r->body ? r->body : "", r->len, &key_id, profile, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	rc = otad_db_card_get(g_otad->db, r->arg, &card);
	if (rc == -ENOENT)
		return send_error(c, API_E_CARD_NOT_FOUND, "no card with ICCID %s", r->arg);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	if (strcmp(card.state, "active"))
		return send_error(c, API_E_CARD_NOT_ACTIVE, "card %s is %s", card.iccid, card.state);
	if (!g_otad->ra)
		return send_error(c, API_E_CA_NOT_CONFIGURED,
				  "no CA is configured (the 'ca' node of the configuration)");
	n = holder_subject(c, &card, subject, sizeof(subject), &sent);
	if (n < 0)
		return sent;
	rc = otad_enrol_start(card.iccid, (uint8_t)key_id, profile, card.holder, subject, (size_t)n, &id, err,
			      sizeof(err));
	if (rc == -EBUSY)
		return send_error(c, API_E_ENROLMENT_RUNNING, "%s", err);
	if (rc == -EINVAL)
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	if (rc)
		return send_error(c, API_E_DATABASE, "%s", err);
	LOGP(DAPI, LOGL_INFO, "card %s: enrolment %lld of key %u, profile %s (token '%s')\n", card.iccid, (long long)id,
	     key_id, profile, r->who.name);
	snprintf(err, sizeof(err), "/v1/enrolments/%lld", (long long)id);
	return send_json(c, MHD_HTTP_ACCEPTED,
			 json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "state", "read", "url", err));
}

static json_t *enrol_json(const struct otad_enrol_row *e)
{
	char *pem = e->cert_len ? cert_pem(e->cert, e->cert_len) : NULL;
	json_t *j = json_pack("{s:I,s:s,s:i,s:s,s:s?,s:s,s:o,s:s?,s:s?,s:o,s:o,s:s?}", "id", (json_int_t)e->id, "iccid",
			      e->iccid, "key_id", e->key_id, "profile", e->profile, "holder",
			      e->holder[0] ? e->holder : NULL, "state", otad_enrol_state_names[e->state], "job",
			      e->job ? json_integer(e->job) : json_null(), "serial", e->serial[0] ? e->serial : NULL,
			      "error", e->error[0] ? e->error : NULL, "created", iso_ms(e->created_ms), "updated",
			      iso_ms(e->updated_ms), "pem", pem);

	free(pem);
	return j;
}

enum MHD_Result api_enrol_get(struct MHD_Connection *c, const char *id)
{
	static struct otad_enrol_row e;
	int rc = otad_db_enrol_get(g_otad->db, strtoll(id, NULL, 10), &e);

	if (rc == -ENOENT)
		return send_error(c, API_E_ENROLMENT_NOT_FOUND, "no enrolment %s", id);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	return send_json(c, MHD_HTTP_OK, enrol_json(&e));
}
