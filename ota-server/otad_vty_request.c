/* simpki-otad's VTY: requests (request/request.h). The VTY acts as the whole tree (otad_actor_vty).
 *   show requests [unit UNIT] [state STATE]   the newest 100, one line each
 *   show request ID                           one, with its first 100 holders (never a holder's identity number) */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "otad.h"
#include "otad_db_request.h"
#include "otad_vty.h"
#include "request.h"

static void line_cb(const struct otad_request *rq, void *priv)
{
	struct vty *vty = priv;

	vty_out(vty, "request %lld %s %s unit %s: %lld holders, filed by %s%s%s%s%s%s", (long long)rq->id,
		otad_request_kind_names[rq->kind], otad_request_state_names[rq->state],
		rq->unit[0] ? rq->unit : "(all)", (long long)rq->holders, rq->filed_by,
		rq->decided_by[0] ? ", decided by " : "", rq->decided_by, rq->reason[0] ? ": " : "", rq->reason,
		VTY_NEWLINE);
}

static int show_list(struct vty *vty, const char *unit, const char *state)
{
	struct otad_request_filter f = { .unit = unit, .state = -1, .kind = -1, .limit = 100 };

	if (state && (f.state = otad_request_state_of(state)) < 0) {
		vty_out(vty, "%% no such state: %s%s", state, VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (otad_db_requests_list(g_otad->db, &f, line_cb, vty) < 0)
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

#define REQ_STR "Requests (filed, approved, executing, done, failed, rejected, withdrawn), newest first\n"
#define STATES "(filed|approved|executing|done|failed|rejected|withdrawn)"
#define STATES_STR "Filed\nApproved\nExecuting\nDone\nFailed\nRejected\nWithdrawn\n"

DEFUN(show_requests, show_requests_cmd, "show requests", SHOW_STR REQ_STR)
{
	return show_list(vty, NULL, NULL);
}

DEFUN(show_requests_unit, show_requests_unit_cmd, "show requests unit UNIT",
      SHOW_STR REQ_STR "Of a unit and its subtree\nThe unit's code\n")
{
	return show_list(vty, argv[0], NULL);
}

DEFUN(show_requests_state, show_requests_state_cmd, "show requests state " STATES,
      SHOW_STR REQ_STR "In a state\n" STATES_STR)
{
	return show_list(vty, NULL, argv[0]);
}

DEFUN(show_requests_unit_state, show_requests_unit_state_cmd, "show requests unit UNIT state " STATES,
      SHOW_STR REQ_STR "Of a unit and its subtree\nThe unit's code\nIn a state\n" STATES_STR)
{
	return show_list(vty, argv[0], argv[1]);
}

static void holder_cb(const char *holder, int64_t item, const char *result, void *priv)
{
	struct vty *vty = priv;

	vty_out(vty, "  holder %s", holder);
	if (item)
		vty_out(vty, " item %lld", (long long)item);
	if (result)
		vty_out(vty, " %s", result);
	vty_out(vty, "%s", VTY_NEWLINE);
}

DEFUN(show_request, show_request_cmd, "show request <1-999999999999>",
      SHOW_STR "A request: its state, holders, documents, decision, operation\nIts id\n")
{
	static struct otad_request rq;

	if (otad_db_request_get(g_otad->db, atoll(argv[0]), &rq)) {
		vty_out(vty, "%% no request %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	line_cb(&rq, vty);
	{
		json_t *p = json_loads(rq.params, 0, NULL);
		char *t;

		json_object_del(p, "id_number"); /* a person's identity number stays in the database */
		t = p ? json_dumps(p, JSON_COMPACT) : NULL;
		vty_out(vty, "  params %s%s", t ? t : "?", VTY_NEWLINE);
		free(t);
		json_decref(p);
	}
	vty_out(vty, "  documents %s%s", rq.documents, VTY_NEWLINE);
	if (rq.op)
		vty_out(vty, "  lifecycle operation %lld%s", (long long)rq.op, VTY_NEWLINE);
	if (otad_db_request_holders(g_otad->db, rq.id, 100, holder_cb, vty) < 0)
		vty_out(vty, "%% database error%s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

void otad_vty_request_init(void)
{
	install_element_ve(&show_requests_cmd);
	install_element_ve(&show_requests_unit_cmd);
	install_element_ve(&show_requests_state_cmd);
	install_element_ve(&show_requests_unit_state_cmd);
	install_element_ve(&show_request_cmd);
}
