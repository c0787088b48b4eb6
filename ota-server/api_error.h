/* simpki-otad's operator API errors: every error answer is
 *
 *   {"error": {"code": "card_not_found", "message": "no card with ICCID 8984010000000000005"}}
 *
 * with the HTTP status that belongs to its code (api_error_status()); the code is stable for programs, the message
 * is for people and may change. The table in api_error.c is the list (docs/otad.md shows it).
 */
#pragma once

enum api_error {
	API_E_INVALID_REQUEST,	    /* 400: the body or a query parameter is wrong (the message says which) */
	API_E_INVALID_ICCID,	    /* 400: an ICCID in the path is not 18 to 20 digits */
	API_E_INVALID_ID,	    /* 400: an id in the path is not a number */
	API_E_INVALID_HOLDER_ID,    /* 400: a holder id in the path is not 1 to 64 of A-Z a-z 0-9 . _ - */
	API_E_UNAUTHORIZED,	    /* 401: no token, or not a valid one */
	API_E_FORBIDDEN,	    /* 403: the token's role does not allow it, or the object is outside its scope */
	API_E_NOT_FOUND,	    /* 404: no such path */
	API_E_CARD_NOT_FOUND,	    /* 404 */
	API_E_JOB_NOT_FOUND,	    /* 404 */
	API_E_IMPORT_NOT_FOUND,	    /* 404 */
	API_E_TOKEN_NOT_FOUND,	    /* 404 */
	API_E_HOLDER_NOT_FOUND,	    /* 404: no holder with that id (in the path, or named by the body) */
	API_E_ENROLMENT_NOT_FOUND,  /* 404 */
	API_E_CAMPAIGN_NOT_FOUND,   /* 404 */
	API_E_LC_NOT_FOUND,	    /* 404: no lifecycle operation with that id */
	API_E_CERT_NOT_FOUND,	    /* 404: no certificate with that serial */
	API_E_METHOD_NOT_ALLOWED,   /* 405, with Allow */
	API_E_CARD_NOT_ACTIVE,	    /* 409: jobs go only to active cards */
	API_E_CARD_RETIRED,	    /* 409: a retired card stays retired */
	API_E_KEYSET_NOT_FOUND,	    /* 409: the card has no such key set */
	API_E_SECURITY_TOO_LOW,	    /* 409: the SPI is below the TAR's minimum security level */
	API_E_TOKEN_EXISTS,	    /* 409: a valid token has that name */
	API_E_JOB_NOT_CANCELLABLE,  /* 409: the job was handed to the SMSC, or is over */
	API_E_IMPORT_RUNNING,	    /* 409: one import at a time */
	API_E_COUNTERS_UNCONFIRMED, /* 409: a restored database: counters must be raised first */
	API_E_NOTHING_TO_CONFIRM,   /* 409: the counters need no confirmation */
	API_E_COUNTER_NOT_RAISED,   /* 409: a floor must be above the counter (and within 40 bits) */
	API_E_HOLDER_EXISTS,	    /* 409: a holder has that id */
	API_E_CARD_HAS_NO_HOLDER,   /* 409: a certificate needs the card's holder (PUT /v1/cards/{iccid}/holder) */
	API_E_ENROLMENT_RUNNING,    /* 409: an enrolment of that key of that card is under way */
	API_E_CA_NOT_CONFIGURED,    /* 409: simpki-otad has no 'ca' node: it cannot ask for certificates */
	API_E_CAMPAIGN_OVER,	    /* 409: the campaign is done or cancelled */
	API_E_LC_OVER,		    /* 409: the lifecycle operation is done or cancelled (or already so) */
	API_E_CERT_BUSY,	    /* 409: a certificate selected is in another unfinished lifecycle operation */
	API_E_PIN_RESET_NOT_FOUND,  /* 404 */
	API_E_ID_MISMATCH,	    /* 403: the identity number does not match the holder's record */
	API_E_PIN_RESET_RUNNING,    /* 409: a PIN reset of that card is under way */
	API_E_BODY_TOO_LARGE,	    /* 413 */
	API_E_UNIT_NOT_FOUND,	    /* 422: the body names a unit the organisation tree does not have */
	API_E_CAMPAIGN_EMPTY,	    /* 422: the campaign's selection has no card */
	API_E_LC_EMPTY,		    /* 422: a lifecycle operation's selection has no certificate in force */
	API_E_RATE_LIMITED,	    /* 429, with Retry-After */
	API_E_INTERNAL,		    /* 500 */
	API_E_DATABASE,		    /* 500 */
	API_E_SMSC_UNAVAILABLE,	    /* 503: no SMSC bind is up */
	/* the organisation tree (otad_api_units.c) */
	API_E_INVALID_UNIT,	     /* 400: a unit code in the path is not 1 to 15 digits */
	API_E_NO_SUCH_UNIT,	     /* 404: no unit with the code in the path */
	API_E_UNIT_CHANGE_NOT_FOUND, /* 404 */
	API_E_UNIT_CHANGE_REFUSED,   /* 409: the change does not fit the tree (a unit gone, a code taken, a loop) */
	API_E_AUDIT_UNAVAILABLE,     /* 503: the audit record could not be written: nothing done */
	/* requests (request/request.h) */
	API_E_REQUEST_NOT_FOUND, /* 404 */
	API_E_OWN_REQUEST,	 /* 403: four eyes: the filer may not decide their own request */
	API_E_NOT_REQUEST_FILER, /* 403: only the filer withdraws a request */
	API_E_REQUEST_DECIDED,	 /* 409: the request is no longer filed (decided, withdrawn, executing or over) */
	API_E_REQUEST_EMPTY,	 /* 422: the unit named has no holder */
	API_E_REQUEST_TOO_LARGE, /* 422: more holders than a request may have (10,000) */
	/* end of requests */
	API_E_UNIT_ENDED,	       /* 409: the unit named ended through a unit change (merged, split away) */
	API_E_UNIT_CHANGE_NOT_APPLIED, /* 409: the unit change is pending or failed: nothing it affects yet */
	API_E_N,
};

/*! The stable machine code, e.g. "card_not_found". */
const char *api_error_code(enum api_error e);
/*! Its HTTP status. */
unsigned api_error_status(enum api_error e);
