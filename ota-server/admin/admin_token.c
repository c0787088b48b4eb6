/* simpki-admin's token commands: token create NAME --role ROLE [--scope UNIT] (POST /v1/tokens: the new token
 * printed once, on a line of its own), token list (GET /v1/tokens: name, role, scope, created), token revoke NAME
 * (DELETE /v1/tokens/NAME). Each returns an exit code (admin.h). */
#include <stdlib.h>
#include <string.h>

#include "admin.h"

json_t *admin_token_body(const struct admin_cmdline *cl)
{
	json_t *b = json_pack("{s:s,s:s}", "name", cl->name, "role", cl->role);

	if (b && cl->scope && json_object_set_new(b, "scope", json_string(cl->scope))) {
		json_decref(b);
		return NULL;
	}
	return b;
}

static enum admin_exit create(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	enum admin_exit ex;
	json_t *body = admin_token_body(cl), *t;
	char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
	const char *scope;

	json_decref(body);
	if (!s) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return ADMIN_EXIT_FAILURE;
	}
	ex = admin_call(a, "POST", "/v1/tokens", s, NULL, &t);
	free(s);
	if (ex)
		return ex;
	if (cl->json) {
		ex = admin_print_json(t);
	} else {
		scope = json_string_value(json_object_get(t, "scope"));
		printf("token %s (%s, %s%s)\n%s\n", cl->name, cl->role, scope ? "scope " : "the whole tree",
		       scope ? scope : "", json_string_value(json_object_get(t, "token")));
	}
	json_decref(t);
	return ex;
}

enum admin_exit admin_token_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	enum admin_exit ex;
	char path[96], what[80], *s;
	json_t *j;

	switch (cl->cmd) {
	case ADMIN_CMD_TOKEN_CREATE:
		return create(a, cl);
	case ADMIN_CMD_TOKEN_REVOKE:
		snprintf(path, sizeof(path), "/v1/tokens/%s", cl->name);
		snprintf(what, sizeof(what), "token %s", cl->name);
		ex = admin_call(a, "DELETE", path, NULL, what, &j);
		if (!ex && cl->json)
			ex = admin_print_json(j);
		else if (!ex)
			printf("token %s revoked\n", cl->name);
		json_decref(j);
		return ex;
	default:
		ex = admin_call(a, "GET", "/v1/tokens", NULL, NULL, &j);
		if (ex)
			return ex;
		if (cl->json) {
			ex = admin_print_json(j);
		} else {
			s = admin_render_tokens(json_object_get(j, "tokens"));
			if (!s) {
				fprintf(stderr, "simpki-admin: out of memory\n");
				ex = ADMIN_EXIT_FAILURE;
			} else {
				fputs(s, stdout);
				free(s);
			}
		}
		json_decref(j);
		return ex;
	}
}
