/* The operator API's error codes and their HTTP statuses (api_error.h): one table. */
#include "api_error.h"

static const struct {
	const char *code;
	unsigned status;
} errors[API_E_N] = {
	[API_E_INVALID_REQUEST] = { "invalid_request", 400 },
	/* requests */
	[API_E_REQUEST_NOT_FOUND] = { "request_not_found", 404 },
	[API_E_OWN_REQUEST] = { "own_request", 403 },
	[API_E_NOT_REQUEST_FILER] = { "not_request_filer", 403 },
	[API_E_REQUEST_DECIDED] = { "request_decided", 409 },
	[API_E_REQUEST_EMPTY] = { "request_empty", 422 },
	[API_E_REQUEST_TOO_LARGE] = { "request_too_large", 422 },
	/* end of requests */
	[API_E_INVALID_ICCID] = { "invalid_iccid", 400 },
	[API_E_INVALID_ID] = { "invalid_id", 400 },
	[API_E_INVALID_HOLDER_ID] = { "invalid_holder_id", 400 },
	[API_E_ENROLMENT_NOT_FOUND] = { "enrolment_not_found", 404 },
	[API_E_CAMPAIGN_NOT_FOUND] = { "campaign_not_found", 404 },
	[API_E_LC_NOT_FOUND] = { "lifecycle_not_found", 404 },
	[API_E_CERT_NOT_FOUND] = { "certificate_not_found", 404 },
	[API_E_LC_OVER] = { "lifecycle_over", 409 },
	[API_E_CERT_BUSY] = { "certificate_busy", 409 },
	[API_E_LC_EMPTY] = { "selection_empty", 422 },
	[API_E_CAMPAIGN_OVER] = { "campaign_over", 409 },
	[API_E_CAMPAIGN_EMPTY] = { "campaign_empty", 422 },
	[API_E_CARD_HAS_NO_HOLDER] = { "card_has_no_holder", 409 },
	[API_E_ENROLMENT_RUNNING] = { "enrolment_running", 409 },
	[API_E_PIN_RESET_NOT_FOUND] = { "pin_reset_not_found", 404 },
	[API_E_ID_MISMATCH] = { "id_number_mismatch", 403 },
	[API_E_PIN_RESET_RUNNING] = { "pin_reset_running", 409 },
	[API_E_CA_NOT_CONFIGURED] = { "ca_not_configured", 409 },
	[API_E_UNAUTHORIZED] = { "unauthorized", 401 },
	[API_E_FORBIDDEN] = { "forbidden", 403 },
	[API_E_NOT_FOUND] = { "not_found", 404 },
	[API_E_CARD_NOT_FOUND] = { "card_not_found", 404 },
	[API_E_JOB_NOT_FOUND] = { "job_not_found", 404 },
	[API_E_IMPORT_NOT_FOUND] = { "import_not_found", 404 },
	[API_E_TOKEN_NOT_FOUND] = { "token_not_found", 404 },
	[API_E_HOLDER_NOT_FOUND] = { "holder_not_found", 404 },
	[API_E_METHOD_NOT_ALLOWED] = { "method_not_allowed", 405 },
	[API_E_CARD_NOT_ACTIVE] = { "card_not_active", 409 },
	[API_E_CARD_RETIRED] = { "card_retired", 409 },
	[API_E_KEYSET_NOT_FOUND] = { "keyset_not_found", 409 },
	[API_E_SECURITY_TOO_LOW] = { "security_too_low", 409 },
	[API_E_TOKEN_EXISTS] = { "token_exists", 409 },
	[API_E_JOB_NOT_CANCELLABLE] = { "job_not_cancellable", 409 },
	[API_E_IMPORT_RUNNING] = { "import_running", 409 },
	[API_E_COUNTERS_UNCONFIRMED] = { "counters_unconfirmed", 409 },
	[API_E_NOTHING_TO_CONFIRM] = { "nothing_to_confirm", 409 },
	[API_E_COUNTER_NOT_RAISED] = { "counter_not_raised", 409 },
	[API_E_HOLDER_EXISTS] = { "holder_exists", 409 },
	[API_E_BODY_TOO_LARGE] = { "body_too_large", 413 },
	[API_E_UNIT_NOT_FOUND] = { "unit_not_found", 422 },
	[API_E_RATE_LIMITED] = { "rate_limited", 429 },
	[API_E_INTERNAL] = { "internal_error", 500 },
	[API_E_DATABASE] = { "database_error", 500 },
	[API_E_SMSC_UNAVAILABLE] = { "smsc_unavailable", 503 },
	[API_E_INVALID_UNIT] = { "invalid_unit", 400 },
	[API_E_NO_SUCH_UNIT] = { "no_such_unit", 404 },
	[API_E_UNIT_CHANGE_NOT_FOUND] = { "unit_change_not_found", 404 },
	[API_E_UNIT_CHANGE_REFUSED] = { "unit_change_refused", 409 },
	[API_E_AUDIT_UNAVAILABLE] = { "audit_unavailable", 503 },
	[API_E_UNIT_ENDED] = { "unit_ended", 409 },
	[API_E_UNIT_CHANGE_NOT_APPLIED] = { "unit_change_not_applied", 409 },
};

const char *api_error_code(enum api_error e)
{
	return (unsigned)e < API_E_N ? errors[e].code : "internal_error";
}

unsigned api_error_status(enum api_error e)
{
	return (unsigned)e < API_E_N ? errors[e].status : 500;
}
