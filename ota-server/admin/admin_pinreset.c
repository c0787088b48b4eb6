/* simpki-admin's PIN reset commands over /v1/holders/{id}/pin-reset and /v1/pin-resets/{id}: start one (a counter
 * resets a holder's PIN over the air), show one. The identity number goes only into the request's body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

static enum admin_exit show(const json_t *p)
{
	const json_t *o = json_object_get(p, "outcome");

	printf("PIN reset %lld: %s (%s)\n", (long long)json_integer_value(json_object_get(p, "id")),
	       json_string_value(json_object_get(p, "state")), json_string_value(json_object_get(p, "mode")));
	printf("  holder %s, card %s, by %s\n", json_string_value(json_object_get(p, "holder")),
	       json_string_value(json_object_get(p, "card")), json_string_value(json_object_get(p, "by")));
	if (json_is_object(o))
		printf("  job %lld %s%s%s\n", (long long)json_integer_value(json_object_get(p, "job")),
		       json_string_value(json_object_get(o, "job_state")), json_object_get(o, "sw") ? ", SW " : "",
		       json_object_get(o, "sw") ? json_string_value(json_object_get(o, "sw")) : "");
	if (json_is_string(json_object_get(p, "error")))
		printf("  %s\n", json_string_value(json_object_get(p, "error")));
	return ADMIN_EXIT_OK;
}

enum admin_exit admin_pin_reset_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	char path[160], what[96], *body;
	enum admin_exit ex;
	json_t *b, *ans;

	if (cl->cmd == ADMIN_CMD_PIN_RESET_SHOW) {
		snprintf(path, sizeof(path), "/v1/pin-resets/%lld", cl->id);
		snprintf(what, sizeof(what), "PIN reset %lld", cl->id);
		ex = admin_call(a, "GET", path, NULL, what, &ans);
		if (ex)
			return ex;
		ex = cl->json ? admin_print_json(ans) : show(ans);
		json_decref(ans);
		return ex;
	}
	if (!cl->holder || strlen(cl->holder) > 64 || strchr(cl->holder, '/') || strchr(cl->holder, '?')) {
		fprintf(stderr, "simpki-admin: pin-reset: a holder id is 1 to 64 of A-Z a-z 0-9 . _ -\n");
		return ADMIN_EXIT_USAGE;
	}
	b = json_pack("{s:s}", "id_number", cl->id_number);
	if (b && cl->mode)
		json_object_set_new(b, "mode", json_string(cl->mode));
	body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	if (!body)
		return ADMIN_EXIT_FAILURE;
	snprintf(path, sizeof(path), "/v1/holders/%s/pin-reset", cl->holder);
	snprintf(what, sizeof(what), "holder %s", cl->holder);
	ex = admin_call(a, "POST", path, body, what, &ans);
	free(body);
	if (ex)
		return ex;
	if (cl->json)
		ex = admin_print_json(ans);
	else
		printf("PIN reset %lld started (%s): simpki-admin pin-reset show %lld\n",
		       (long long)json_integer_value(json_object_get(ans, "id")),
		       json_string_value(json_object_get(ans, "state")),
		       (long long)json_integer_value(json_object_get(ans, "id")));
	json_decref(ans);
	return ex;
}
