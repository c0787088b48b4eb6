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

struct otad_import;
struct holder_import;

/* One request, from its headers to its answer. */
struct api_req {
	enum api_route route;
	char arg[API_ROUTE_ARG_MAX];
	struct otad_token who;	/* who.role: what it may do */
	size_t max;		/* the body limit of this route */
	char *body;		/* a JSON body */
	size_t len, cap;	/* bytes of the body so far (an import's too) */
	struct otad_import *im; /* an import receiving its file; NULL once ended or aborted */
	int64_t import_id;
	struct holder_import *hi; /* a holder import receiving its file (a talloc child); NULL after a database error */
};

/*! Answer \a j (its reference is taken) with \a status as application/json. */
enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j);
/*! Answer the error \a e ({"error": {"code", "message"}}) with its HTTP status. */
enum MHD_Result send_error(struct MHD_Connection *c, enum api_error e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
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

/* otad_api_enrol.c: POST /v1/cards/{iccid}/certificates, GET /v1/enrolments/{id} */
enum MHD_Result api_enrol_start(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_enrol_get(struct MHD_Connection *c, const char *id);

/* otad_api_campaign.c: /v1/campaigns (campaign.h) */
enum MHD_Result api_campaign_create(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_campaigns_list(struct MHD_Connection *c);
enum MHD_Result api_campaign_get(struct MHD_Connection *c, const char *id);
enum MHD_Result api_campaign_act(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_campaign_cards(struct MHD_Connection *c, const char *id);

/* otad_api_pinreset.c: POST /v1/holders/{id}/pin-reset, GET /v1/pin-resets/{id} (pinreset/pinreset.h) */
enum MHD_Result api_pin_reset_start(struct MHD_Connection *c, struct api_req *r);
enum MHD_Result api_pin_reset_get(struct MHD_Connection *c, struct api_req *r);
