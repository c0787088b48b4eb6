/* simpki-admin's run: the command line read (admin_args.c), the help asked for, the configuration from the
 * environment (SIMPKI_API_URL, SIMPKI_API_TOKEN), libcurl set up once, and the command dispatched. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "admin.h"
#include "apiclient.h"

static enum admin_exit dispatch(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	switch (cl->cmd) {
	case ADMIN_CMD_CARDS_IMPORT:
		return admin_cards_import_run(a, cl);
	case ADMIN_CMD_HOLDERS_IMPORT:
		return admin_holders_import_run(a, cl);
	case ADMIN_CMD_HOLDERS_MOVE:
		return admin_holders_move_run(a, cl);
	case ADMIN_CMD_JOBS_LIST:
		return admin_jobs_list_run(a, cl);
	case ADMIN_CMD_CERT_SHOW:
		return admin_cert_show_run(a, cl);
	case ADMIN_CMD_TOKEN_CREATE:
	case ADMIN_CMD_TOKEN_LIST:
	case ADMIN_CMD_TOKEN_REVOKE:
		return admin_token_run(a, cl);
	case ADMIN_CMD_UNITS_SHOW:
	case ADMIN_CMD_UNITS_CHILDREN:
	case ADMIN_CMD_UNITS_CHANGE:
	case ADMIN_CMD_UNITS_CHANGES:
		return admin_units_run(a, cl);
	case ADMIN_CMD_REQUEST_FILE:
	case ADMIN_CMD_REQUEST_LIST:
	case ADMIN_CMD_REQUEST_SHOW:
	case ADMIN_CMD_REQUEST_APPROVE:
	case ADMIN_CMD_REQUEST_REJECT:
	case ADMIN_CMD_REQUEST_WITHDRAW:
	case ADMIN_CMD_REQUEST_STATS:
		return admin_request_run(a, cl);
	case ADMIN_CMD_LC_CREATE:
	case ADMIN_CMD_LC_SHOW:
	case ADMIN_CMD_LC_PAUSE:
	case ADMIN_CMD_LC_RESUME:
	case ADMIN_CMD_LC_CANCEL:
		return admin_lifecycle_run(a, cl);
	case ADMIN_CMD_AUDIT_VERIFY:
		return admin_audit_verify_run(a, cl);
	case ADMIN_CMD_AUDIT_EXPORT:
		return admin_audit_export_run(a, cl);
	case ADMIN_CMD_PIN_RESET:
	case ADMIN_CMD_PIN_RESET_SHOW:
		return admin_pin_reset_run(a, cl);
	default:
		return admin_campaign_run(a, cl);
	}
}

int admin_main(int argc, char **argv)
{
	struct admin_cmdline cl;
	struct admin_ctx a = { 0 };
	enum admin_exit ex;
	char err[256];

	if (admin_parse(argc, argv, &cl, err, sizeof(err))) {
		fprintf(stderr, "simpki-admin: %s\n", err);
		if (cl.cmd == ADMIN_CMD_CAMPAIGN_HELP || cl.cmd == ADMIN_CMD_REQUEST_HELP)
			fputs(admin_usage(cl.cmd), stderr);
		else if (cl.cmd != ADMIN_CMD_NONE) /* the command's usage line, up to its first blank line */
			fprintf(stderr, "%.*s", (int)(strstr(admin_usage(cl.cmd), "\n\n") - admin_usage(cl.cmd) + 1),
				admin_usage(cl.cmd));
		else
			fprintf(stderr, "Run 'simpki-admin --help' for the commands.\n");
		return ADMIN_EXIT_USAGE;
	}
	if (cl.help) {
		fputs(admin_usage(cl.cmd), stdout);
		return ADMIN_EXIT_OK;
	}
	if (cl.cmd == ADMIN_CMD_VERSION) {
		printf("simpki-admin %s\n", SIMPKI_VERSION);
		return ADMIN_EXIT_OK;
	}
	if (cl.cmd == ADMIN_CMD_AUDIT_VERIFY && cl.file) /* offline: no API */
		return admin_audit_verify_file(&cl);
	a.url = cl.url ? cl.url : getenv("SIMPKI_API_URL");
	if (!a.url || !*a.url)
		a.url = ADMIN_DEFAULT_URL;
	a.token = getenv("SIMPKI_API_TOKEN");
	if (!a.token || !*a.token) {
		fprintf(stderr, "simpki-admin: SIMPKI_API_TOKEN is not set: the API needs a bearer token\n");
		return ADMIN_EXIT_USAGE;
	}
	if (!apiclient_token_ok(a.token, 1024)) { /* simpki-otad's are 16 to 128 */
		fprintf(stderr, "simpki-admin: SIMPKI_API_TOKEN is not a token (printable characters, no space)\n");
		return ADMIN_EXIT_USAGE;
	}
	a.cacert = cl.cacert;
	a.json = cl.json;
	a.tty = isatty(STDOUT_FILENO);
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "simpki-admin: libcurl would not start\n");
		return ADMIN_EXIT_FAILURE;
	}
	if (admin_http_open(&a, err, sizeof(err))) {
		fprintf(stderr, "simpki-admin: %s\n", err[0] ? err : "out of memory");
		curl_global_cleanup();
		return err[0] ? ADMIN_EXIT_USAGE : ADMIN_EXIT_FAILURE;
	}
	ex = dispatch(&a, &cl);
	admin_http_close(&a);
	curl_global_cleanup();
	if (fflush(stdout) && !ex) {
		fprintf(stderr, "simpki-admin: cannot write the output\n");
		ex = ADMIN_EXIT_FAILURE;
	}
	return ex;
}
