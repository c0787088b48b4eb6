/* Inside simpki-otad's operator API (otad_api.c): the request being answered and the answer helpers, for the files
 * that hold handlers of their own (otad_api_enrol.c). Everything here runs on the select loop. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api_error.h"
#include "api_parse.h"
#include "otad_db.h"
#include "otad_perm.h"

struct otad_import;
struct holder_import;

/* One request, from its headers to its answer. */
struct api_req {
	enum api_route route;
	char arg[API_ROUTE_ARG_MAX];
	struct otad_token who;	 /* the token */
	struct otad_actor actor; /* who acts: the token's name, role and scope (otad_perm.h) */
	bool judged;		 /* the permission decided (api_permit()) */
	char path[128];		 /* the URL's path, for the audit trail */
	const char *method;	 /* MHD's, valid for the request's life */
	size_t max;		 /* the body limit of this route */
	char *body;		 /* a JSON body */
	size_t len, cap;	 /* bytes of the body so far (an import's too) */
	struct otad_import *im;	 /* an import receiving its file; NULL once ended or aborted */
	int64_t import_id;
	struct holder_import *hi; /* a holder import receiving its file (a talloc child); NULL after a database error */
};

/*! Answer \a j (its reference is taken) with \a status as application/json. */
enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j);
/*! Answer the error \a e ({"error": {"code", "message"}}) with its HTTP status. */
enum MHD_Result send_error(struct MHD_Connection *c, enum api_error e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*! Answer 200 {"items": \a a, "next": cursor or null}: \a a holds the \a n items of a page of at most \a limit; when
 *  the page is full, the cursor is its last item's member \a key as a string (the next page starts after it).
 *  \a a's reference is taken. */
enum MHD_Result send_items_page(struct MHD_Connection *c, json_t *a, int n, unsigned limit, const char *key);
/* A request's query parameters. */
struct query {
	struct api_kv kv[API_QUERY_MAX];
	unsigned n;
	bool too_many;
};
/*! Read them. \returns false when there are more than API_QUERY_MAX */
bool get_query(struct MHD_Connection *c, struct query *q);

/*! Unix milliseconds as "YYYY-MM-DDTHH:MM:SSZ" (null when out of range). */
json_t *iso_ms(int64_t ms);

/* otad_api_perm.c: who may do what, where (otad_perm.h), and the audit record of every change */
/*! Build r->actor from r->who. */
void api_actor(struct api_req *r);
/*! Judge \a r: the route's action (api_route_action()), the object's unit(s) against the token's role and scope
 *  (otad_perm()), and, for a request that changes something (POST, PUT, PATCH, DELETE), the audit record
 *  (otad_audit()) before anything is done. Called with the headers (\a body false) and, for the routes whose object
 *  the body names, again once the body is in (\a body true); r->judged says when it is decided. \returns true to go
 *  on; false when an answer (403, 400, 500 or 503) is queued, its result in *res */
bool api_permit(struct MHD_Connection *c, struct api_req *r, bool body, enum MHD_Result *res);

/* otad_api_enrol.c: POST /v1/cards/{iccid}/certificates, GET /v1/enrolments/{id} */
enum MHD_Result api_enrol_start(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_enrol_get(struct MHD_Connection *c, const char *id);

/* otad_api_campaign.c: /v1/campaigns (campaign.h) */
enum MHD_Result api_campaign_create(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_campaigns_list(struct MHD_Connection *c);
enum MHD_Result api_campaign_get(struct MHD_Connection *c, const char *id);
enum MHD_Result api_campaign_act(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_campaign_cards(struct MHD_Connection *c, const char *id);

/* otad_api_units.c: /v1/units (the organisation tree) */
enum MHD_Result api_units_list(struct MHD_Connection *c);
enum MHD_Result api_unit_get(struct MHD_Connection *c, const char *code);
enum MHD_Result api_unit_children(struct MHD_Connection *c, const char *code);
enum MHD_Result api_unit_holders(struct MHD_Connection *c, const char *code);
enum MHD_Result api_unit_history(struct MHD_Connection *c, const char *code);
enum MHD_Result api_unit_changes_list(struct MHD_Connection *c);
enum MHD_Result api_unit_change_file(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_unit_change_get(struct MHD_Connection *c, const char *id);
/* otad_api_request.c: /v1/requests (request/request.h) */
enum MHD_Result api_request_file(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_requests_list(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_request_get(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_request_stats(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_request_act(struct MHD_Connection *c, struct api_req *r);
/* otad_api_lifecycle.c: /v1/lifecycle, /v1/certificates/{serial}/... (lifecycle.h) */
enum MHD_Result api_lc_create(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_lc_cert(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_lc_list(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_lc_get(struct MHD_Connection *c, const char *id);
enum MHD_Result api_lc_act(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_lc_items(struct MHD_Connection *c, const char *id);
/* otad_api_audit.c: /v1/audit (audit/audit_daemon.h) */
enum MHD_Result api_audit_list(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_audit_verify(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_audit_export(struct MHD_Connection *c, struct api_req *r);
/*! Record what \a r's token does (otad_audit() with its actor). \returns 0; -EIO: not recorded, so the route must not
 *  act (answer API_E_AUDIT_UNAVAILABLE) */
int api_audit(const struct api_req *r, const char *action, const char *object, const char *result, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* otad_api_pinreset.c: POST /v1/holders/{id}/pin-reset, GET /v1/pin-resets/{id} (pinreset/pinreset.h) */
enum MHD_Result api_pin_reset_start(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_pin_reset_get(struct MHD_Connection *c, struct api_req *r);
