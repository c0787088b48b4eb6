/* simpki-otad's operator API: provisioning campaigns (campaign.h).
 *   POST /v1/campaigns -> 201 the campaign; GET /v1/campaigns -> {"items": [...]}, newest first
 *   GET  /v1/campaigns/{id} -> {"id", "name", "state", "cards", "counts": {state: n, ...}, "done", "per_minute",
 *        "eta_seconds" (null: unknown), "concurrency", "personalise", "keys", "created", "ended"}; the counts name
 *        the card states, with the cards in enrol counted by their enrolment's step (read, csr, cmp, load, verify)
 *   POST /v1/campaigns/{id}/pause|resume|cancel -> 200 the campaign; 409 campaign_over once done or cancelled
 *   GET  /v1/campaigns/{id}/cards?state=&limit=&cursor= -> {"items": [{"iccid", "state", "step", "key_id", "tries",
 *        "error", "serials", "updated", "seq"}], "next": cursor or null}; key_id: the campaign key the card is at
 *        (or ended at) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "otad.h"
#include "otad_api_int.h"

static json_t *campaign_json(const struct otad_campaign *c)
{
	struct otad_campaign_progress p;
	json_t *counts = json_object(), *keys = json_array();

	if (otad_campaign_progress(c, &p))
		memset(&p, 0, sizeof(p));
	for (int s = 0; s < OTAD_CCARD_N_STATES; s++) {
		if (s == OTAD_CCARD_ENROL)
			continue;
		json_object_set_new(counts, otad_ccard_state_names[s], json_integer(p.n[s]));
	}
	for (int s = OTAD_ENROL_READ; s <= OTAD_ENROL_VERIFY; s++)
		json_object_set_new(counts, otad_enrol_state_names[s], json_integer(p.enrol[s]));
	for (unsigned i = 0; i < c->n_keys; i++)
		json_array_append_new(keys,
				      json_pack("{s:i,s:s,s:s}", "id", c->keys[i].id, "alg",
						c->keys[i].rsa ? "rsa2048" : "p256", "profile", c->keys[i].profile));
	return json_pack("{s:I,s:s,s:s,s:i,s:o,s:I,s:f,s:o,s:i,s:b,s:o,s:o,s:o}", "id", (json_int_t)c->id, "name",
			 c->name, "state", otad_campaign_state_names[c->state], "cards", (int)c->cards, "counts",
			 counts, "done", (json_int_t)p.done, "per_minute", p.per_minute, "eta_seconds",
			 p.eta_s >= 0 ? json_integer(p.eta_s) : json_null(), "concurrency", (int)c->concurrency,
			 "personalise", c->personalise, "keys", keys, "created", iso_ms(c->created_ms), "ended",
			 c->ended_ms ? iso_ms(c->ended_ms) : json_null());
}

enum MHD_Result api_campaign_create(struct MHD_Connection *c, struct api_req *r)
{
	struct api_campaign_req req;
	char err[200];
	int rc;

	rc = api_campaign_parse(r->body ? r->body : "", r->len, &req, err, sizeof(err));
	if (rc == -ENOMEM)
		return send_error(c, API_E_INTERNAL, "out of memory");
	if (rc)
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	if (!g_otad->ra) {
		api_campaign_req_free(&req);
		return send_error(c, API_E_CA_NOT_CONFIGURED,
				  "no CA is configured (the 'ca' node of the configuration)");
	}
	rc = otad_campaign_create(&req.c, &req.sel, err, sizeof(err));
	api_campaign_req_free(&req);
	switch (rc) {
	case 0:
		break;
	case -EINVAL:
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	case -ENODATA:
		return send_error(c, API_E_CAMPAIGN_EMPTY, "the selection has no card");
	case -ENOENT:
		return send_error(c,
				  req.sel.import ? API_E_IMPORT_NOT_FOUND :
				  req.sel.unit	 ? API_E_UNIT_NOT_FOUND :
						   API_E_CARD_NOT_FOUND,
				  "%s", err);
	default:
		return send_error(c, API_E_DATABASE, "database error");
	}
	LOGP(DAPI, LOGL_NOTICE, "campaign %lld '%s' started with %u cards (token '%s')\n", (long long)req.c.id,
	     req.c.name, req.c.cards, r->who.name);
	return send_json(c, MHD_HTTP_CREATED, campaign_json(&req.c));
}

static void add_campaign(const struct otad_campaign *c, void *priv)
{
	json_array_append_new(priv, campaign_json(c));
}

enum MHD_Result api_campaigns_list(struct MHD_Connection *c)
{
	json_t *a = json_array();

	if (otad_db_campaigns_list(g_otad->db, false, add_campaign, a) < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_json(c, MHD_HTTP_OK, json_pack("{s:o}", "items", a));
}

/* The campaign \a id names, or an answer was sent. */
static int get(struct MHD_Connection *c, const char *id, struct otad_campaign *camp, enum MHD_Result *sent)
{
	int rc = otad_db_campaign_get(g_otad->db, strtoll(id, NULL, 10), camp);

	if (rc == -ENOENT)
		*sent = send_error(c, API_E_CAMPAIGN_NOT_FOUND, "no campaign %s", id);
	else if (rc)
		*sent = send_error(c, API_E_DATABASE, "database error");
	return rc;
}

enum MHD_Result api_campaign_get(struct MHD_Connection *c, const char *id)
{
	struct otad_campaign camp;
	enum MHD_Result sent;

	if (get(c, id, &camp, &sent))
		return sent;
	return send_json(c, MHD_HTTP_OK, campaign_json(&camp));
}

enum MHD_Result api_campaign_act(struct MHD_Connection *c, struct api_req *r)
{
	struct otad_campaign camp;
	enum MHD_Result sent;
	int64_t id = strtoll(r->arg, NULL, 10);
	const char *what = r->route == API_CAMPAIGN_PAUSE  ? "pause" :
			   r->route == API_CAMPAIGN_RESUME ? "resume" :
							     "cancel";
	int rc;

	if (get(c, r->arg, &camp, &sent))
		return sent;
	rc = r->route == API_CAMPAIGN_PAUSE  ? otad_campaign_pause(id) :
	     r->route == API_CAMPAIGN_RESUME ? otad_campaign_resume(id) :
					       otad_campaign_cancel(id);
	if (rc == -EALREADY)
		return send_error(c, API_E_CAMPAIGN_OVER, "campaign %s is %s: it cannot %s", r->arg,
				  otad_campaign_state_names[camp.state], what);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	LOGP(DAPI, LOGL_NOTICE, "campaign %s: %s (token '%s')\n", r->arg, what, r->who.name);
	if (get(c, r->arg, &camp, &sent))
		return sent;
	return send_json(c, MHD_HTTP_OK, campaign_json(&camp));
}

struct cards_page {
	json_t *a;
	const struct otad_campaign *c;
};

static void add_card(const struct otad_ccard *cc, const char *step, void *priv)
{
	struct cards_page *pg = priv;
	unsigned k = cc->key_index < pg->c->n_keys ? cc->key_index : 0;

	json_array_append_new(pg->a,
			      json_pack("{s:s,s:s,s:s,s:i,s:i,s:s?,s:s?,s:o,s:I}", "iccid", cc->iccid, "state",
					step ? step : otad_ccard_state_names[cc->state], "step",
					cc->step[0] ? cc->step : otad_ccard_state_names[cc->state], "key_id",
					(int)pg->c->keys[k].id, "tries", (int)cc->tries, "error",
					cc->error[0] ? cc->error : NULL, "serials", cc->serials[0] ? cc->serials : NULL,
					"updated", iso_ms(cc->updated_ms), "seq", (json_int_t)cc->seq));
}

enum MHD_Result api_campaign_cards(struct MHD_Connection *c, const char *id)
{
	struct otad_campaign camp;
	enum MHD_Result sent;
	char state[16], err[160];
	int64_t after;
	unsigned limit;
	struct query q;
	json_t *a;
	int n;

	if (!get_query(c, &q))
		return send_error(c, API_E_INVALID_REQUEST, "at most %d query parameters", API_QUERY_MAX);
	if (api_campaign_cards_query(q.kv, q.n, state, &after, &limit, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	if (get(c, id, &camp, &sent))
		return sent;
	a = json_array();
	{
		struct cards_page pg = { .a = a, .c = &camp };

		n = otad_db_ccards_list(g_otad->db, camp.id, state[0] ? state : NULL, after, limit, add_card, &pg);
	}
	if (n < 0) {
		json_decref(a);
		return send_error(c, API_E_DATABASE, "database error");
	}
	return send_items_page(c, a, n, limit, "seq");
}
