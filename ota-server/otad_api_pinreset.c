/* simpki-otad's operator API: remote PIN reset by a counter (pinreset/pinreset.h).
 *   POST /v1/holders/{id}/pin-reset {"id_number": "...", "mode": "one-time-pin"|"unblock"} -> 202 {"id", "state"}
 *        403 forbidden (not allowed for the holder's unit), 403 id_number_mismatch, 404 holder_not_found (or the
 *        holder has no card), 409 pin_reset_running, 409 card_not_active, 503 database (the audit record could not
 *        be written: nothing done)
 *   GET  /v1/pin-resets/{id} -> {"id", "holder", "card", "mode", "state", "by", "request", "job", "outcome",
 *        "error", "created", "updated"}; outcome: the PoR's status word and what it means, once the job ended.
 *        Never the PIN. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "otad.h"
#include "otad_api_int.h"
#include "otad_db_pinreset.h"
#include "otad_perm.h"
#include "pinreset/pinreset.h"

enum MHD_Result api_pin_reset_start(struct MHD_Connection *c, struct api_req *r)
{
	char id_number[65], err[200];
	struct otad_actor who;
	int64_t id = 0;
	int mode, rc;

	if (api_pin_reset_parse(r->body ? r->body : "", r->len, id_number, &mode, err, sizeof(err)))
		return send_error(c, API_E_INVALID_REQUEST, "%s", err);
	who = r->actor;
	rc = otad_pin_reset_start(&who, r->arg, id_number, (enum otad_pin_reset_mode)mode, 0, &id, err, sizeof(err));
	OPENSSL_cleanse(id_number, sizeof(id_number));
	switch (rc) {
	case 0:
		LOGP(DAPI, LOGL_NOTICE, "holder %s: PIN reset %lld (%s) (token '%s')\n", r->arg, (long long)id,
		     otad_pin_reset_mode_names[mode], r->who.name);
		snprintf(err, sizeof(err), "/v1/pin-resets/%lld", (long long)id);
		return send_json(c, MHD_HTTP_ACCEPTED,
				 json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "state", "job", "url", err));
	case -ENOENT:
		return send_error(c, API_E_HOLDER_NOT_FOUND, "holder %s: %s", r->arg, err);
	case -EACCES:
		return send_error(c, API_E_ID_MISMATCH, "holder %s: %s: nothing was sent", r->arg, err);
	case -EPERM: /* the actor may not, or the card is not active (otad_pin_reset_start() says which) */
		return send_error(c, strncmp(err, "card ", 5) ? API_E_FORBIDDEN : API_E_CARD_NOT_ACTIVE,
				  "holder %s: %s", r->arg, err);
	case -EBUSY:
		return send_error(c, API_E_PIN_RESET_RUNNING, "holder %s: %s", r->arg, err);
	default:
		return send_error(c, API_E_DATABASE, "holder %s: %s", r->arg, err);
	}
}

enum MHD_Result api_pin_reset_get(struct MHD_Connection *c, struct api_req *r)
{
	static struct otad_job_row job;
	struct otad_pin_reset_row p;
	struct otad_holder h;
	struct otad_actor who;
	json_t *outcome = json_null();
	char sw[8];
	int rc;

	rc = otad_db_pin_reset_get(g_otad->db, strtoll(r->arg, NULL, 10), &p);
	if (rc == -ENOENT)
		return send_error(c, API_E_PIN_RESET_NOT_FOUND, "no PIN reset %s", r->arg);
	if (rc)
		return send_error(c, API_E_DATABASE, "database error");
	who = r->actor;
	if (otad_db_holder_get(g_otad->db, p.holder, &h) || otad_perm(g_otad->db, &who, OTAD_ACT_HOLDER_READ, h.unit))
		return send_error(c, API_E_FORBIDDEN, "token '%s' may not read PIN reset %s", r->who.name, r->arg);
	if (p.job && !otad_db_job_get(g_otad->db, p.job, &job) && otad_job_state_final(job.state)) {
		snprintf(sw, sizeof(sw), "%04X", job.por_last_sw);
		outcome = json_pack("{s:s,s:o,s:s?}", "job_state", otad_job_state_names[job.state], "por_status",
				    job.por_status >= 0 ? json_integer(job.por_status) : json_null(), "sw",
				    job.por_commands > 0 ? sw : NULL);
	}
	OPENSSL_cleanse(&job, sizeof(job));
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s?,s:o,s:o}", "id", (json_int_t)p.id,
				   "holder", p.holder, "card", p.iccid, "mode", p.mode, "state", p.state, "by", p.by,
				   "request", p.request ? json_integer(p.request) : json_null(), "job",
				   p.job ? json_integer(p.job) : json_null(), "outcome", outcome, "error",
				   p.error[0] ? p.error : NULL, "created", iso_ms(p.created_ms), "updated",
				   iso_ms(p.updated_ms)));
}
