/* What an operator reads, made from the API's JSON and nothing else (no I/O, no clock): a campaign's progress as
 * one log line, as a live display for a terminal, and as a summary; tables of jobs, certificates, campaigns and a
 * campaign's cards; the results of imports. Fields the API leaves out or sets to null print as "-" or are left
 * out of a sentence; text from the API never carries a control character into the output (admin_text_put).
 *
 * A campaign's card states, in the order of their steps (docs/admin.md):
 *   in progress  waiting, backoff, check, personalise, keygen, read, csr, cmp, load, verify   (read to verify: the
 *                cards in enrol, by their enrolment's step; the API counts an enrolment not made yet as read)
 *   finished     active, skipped, failed, cancelled   (their sum is the campaign's "done")
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "admin_text.h"

#define BAR_CELLS 30

static const char *const working_states[] = { "waiting", "backoff", "check", "personalise", "keygen",
					      "read",	 "csr",	    "cmp",   "load",	    "verify" };
static const char *const finished_states[] = { "active", "skipped", "failed", "cancelled" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static long long int_of(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ", name n" for each non-zero count of \a names; \returns how many were appended */
static unsigned put_counts(struct admin_text *t, const json_t *counts, const char *const *names, size_t n,
			   const char *sep)
{
	unsigned shown = 0;

	for (size_t i = 0; i < n; i++) {
		long long v = int_of(counts, names[i]);

		if (!v)
			continue;
		admin_text_printf(t, "%s%s %lld", shown ? sep : "", names[i], v);
		shown++;
	}
	return shown;
}

static long long done_of(const json_t *c)
{
	const json_t *counts = json_object_get(c, "counts");
	long long done = 0;

	if (json_is_integer(json_object_get(c, "done")))
		return int_of(c, "done");
	for (size_t i = 0; i < N(finished_states); i++)
		done += int_of(counts, finished_states[i]);
	return done;
}

/* "34 s", "12 min", "3 h 20 min" */
static void put_duration(struct admin_text *t, long long s)
{
	if (s < 90)
		admin_text_printf(t, "%lld s", s < 0 ? 0 : s);
	else if (s < 90 * 60)
		admin_text_printf(t, "%lld min", (s + 30) / 60);
	else
		admin_text_printf(t, "%lld h %lld min", s / 3600, (s % 3600 + 30) / 60);
}

/* "14.2 cards/min, 34 s left": the rate and time left as the API knows them (\a over: no time left) */
static void put_rate(struct admin_text *t, const json_t *c, bool over)
{
	const json_t *pm = json_object_get(c, "per_minute"), *eta = json_object_get(c, "eta_seconds");

	if (json_is_number(pm))
		admin_text_printf(t, "%.1f cards/min", json_number_value(pm));
	else
		admin_text_printf(t, "rate unknown");
	if (over)
		return;
	admin_text_printf(t, ", ");
	if (json_is_number(eta)) {
		put_duration(t, (long long)json_number_value(eta));
		admin_text_printf(t, " left");
	} else {
		admin_text_printf(t, "time left unknown");
	}
}

char *admin_render_bar(long long done, long long total, unsigned cells)
{
	struct admin_text t = { 0 };
	long long pct = total > 0 ? done * 100 / total : 0;
	unsigned full;

	pct = pct < 0 ? 0 : pct > 100 ? 100 : pct;
	full = total > 0 ? (unsigned)((done < 0 ? 0 : done > total ? total : done) * cells / total) : 0;
	admin_text_printf(&t, "[");
	for (unsigned i = 0; i < cells; i++)
		admin_text_printf(&t, "%c", i < full ? '#' : '.');
	admin_text_printf(&t, "] %3lld%%", pct);
	return admin_text_take(&t);
}

bool admin_campaign_over(const json_t *c, enum admin_exit *code)
{
	const char *state = str_of(c, "state");

	if (!state)
		return false;
	if (!strcmp(state, "cancelled")) {
		*code = ADMIN_EXIT_CANCELLED;
		return true;
	}
	if (strcmp(state, "done"))
		return false;
	*code = int_of(json_object_get(c, "counts"), "failed") ? ADMIN_EXIT_CARDS_FAILED : ADMIN_EXIT_OK;
	return true;
}

static void render_line(struct admin_text *t, const json_t *c, bool over)
{
	const json_t *counts = json_object_get(c, "counts");

	admin_text_printf(t, "campaign %lld ", int_of(c, "id"));
	admin_text_put(t, str_of(c, "state") ? str_of(c, "state") : "?");
	admin_text_printf(t, ": %lld/%lld done", done_of(c), int_of(c, "cards"));
	admin_text_printf(t, " (");
	if (!put_counts(t, counts, finished_states, N(finished_states), ", "))
		admin_text_printf(t, "none yet");
	admin_text_printf(t, ")");
	if (!over) {
		struct admin_text w = { 0 };
		char *s;

		if (put_counts(&w, counts, working_states, N(working_states), ", ")) {
			s = admin_text_take(&w);
			admin_text_printf(t, ", in progress: %s", s ? s : "");
			free(s);
		} else {
			free(admin_text_take(&w));
		}
	}
	admin_text_printf(t, ", ");
	put_rate(t, c, over);
}

static void render_live(struct admin_text *t, const json_t *c, bool over)
{
	const json_t *counts = json_object_get(c, "counts");
	char *bar = admin_render_bar(done_of(c), int_of(c, "cards"), BAR_CELLS);

	admin_text_printf(t, "campaign %lld \"", int_of(c, "id"));
	admin_text_put(t, str_of(c, "name") ? str_of(c, "name") : "");
	admin_text_printf(t, "\" ");
	admin_text_put(t, str_of(c, "state") ? str_of(c, "state") : "?");
	admin_text_printf(t, "  %s  %lld/%lld cards\n", bar ? bar : "", done_of(c), int_of(c, "cards"));
	free(bar);
	admin_text_printf(t, "  finished:    ");
	if (!put_counts(t, counts, finished_states, N(finished_states), "  "))
		admin_text_printf(t, "none yet");
	admin_text_printf(t, "\n  in progress: ");
	if (!put_counts(t, counts, working_states, N(working_states), "  "))
		admin_text_printf(t, "none");
	admin_text_printf(t, "\n  ");
	put_rate(t, c, over);
}

static void render_summary(struct admin_text *t, const json_t *c)
{
	long long failed = int_of(json_object_get(c, "counts"), "failed");

	render_line(t, c, true);
	if (failed)
		admin_text_printf(t, "\n%lld card%s failed: simpki-admin campaign failed %lld", failed,
				  failed == 1 ? "" : "s", int_of(c, "id"));
}

char *admin_render_campaign(const json_t *c, enum admin_view view, unsigned width)
{
	struct admin_text t = { 0 };
	enum admin_exit code;
	bool over = admin_campaign_over(c, &code);
	char *s, *cut;

	switch (view) {
	case ADMIN_VIEW_LINE:
		render_line(&t, c, over);
		break;
	case ADMIN_VIEW_LIVE:
		render_live(&t, c, over);
		break;
	case ADMIN_VIEW_SUMMARY:
		render_summary(&t, c);
		break;
	}
	s = admin_text_take(&t);
	if (!s || !width)
		return s;
	cut = admin_text_cut(s, width);
	free(s);
	return cut;
}

/* ---- tables ------------------------------------------------------------------------------------------------ */

/* A JSON value as a cell: a string as it is, a number, "-" for null or missing. */
static char *cell(const json_t *v)
{
	char buf[40];

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, sizeof(buf), "%.1f", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, sizeof(buf), "-");
	return strdup(buf);
}

/* Unix milliseconds as "2026-12-06T10:00:00Z" */
static char *time_ms(const json_t *v)
{
	char buf[32];
	struct tm tm;
	time_t s;

	if (!json_is_integer(v))
		return cell(v);
	s = (time_t)(json_integer_value(v) / 1000);
	if (!gmtime_r(&s, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return strdup("-");
	return strdup(buf);
}

typedef char *(*cell_fn)(const json_t *item, const char *key);

static char *plain(const json_t *item, const char *key)
{
	return cell(json_object_get(item, key));
}

static char *as_time(const json_t *item, const char *key)
{
	return time_ms(json_object_get(item, key));
}

/* A job's note: the PoR's status name, else its error. */
static char *job_note(const json_t *item, const char *key)
{
	const char *s = str_of(json_object_get(item, "por"), "status_name");

	if (!s)
		s = str_of(item, "error");
	return strdup(s ? s : "");
}

static char *failed_count(const json_t *item, const char *key)
{
	return cell(json_object_get(json_object_get(item, "counts"), "failed"));
}

struct column {
	const char *heading, *key;
	cell_fn fn;
};

static char *render_table(const json_t *items, const struct column *cols, unsigned n_cols)
{
	const char *headings[16];
	char *cells[16];
	struct admin_table *t;
	char *out = NULL;
	size_t i;
	json_t *it;

	for (unsigned c = 0; c < n_cols; c++)
		headings[c] = cols[c].heading;
	t = admin_table_new(n_cols, headings);
	if (!t)
		return NULL;
	json_array_foreach(items, i, it)
	{
		int rc = 0;

		for (unsigned c = 0; c < n_cols; c++)
			cells[c] = (cols[c].fn ? cols[c].fn : plain)(it, cols[c].key);
		for (unsigned c = 0; c < n_cols; c++)
			rc |= !cells[c];
		if (!rc)
			rc = admin_table_add(t, (const char *const *)cells);
		for (unsigned c = 0; c < n_cols; c++)
			free(cells[c]);
		if (rc)
			goto out;
	}
	out = admin_table_render(t);
out:
	admin_table_free(t);
	return out;
}

char *admin_render_jobs(const json_t *items)
{
	static const struct column cols[] = {
		{ "ID", "id", NULL },
		{ "ICCID", "iccid", NULL },
		{ "STATE", "state", NULL },
		{ "TAR", "tar", NULL },
		{ "MODE", "mode", NULL },
		{ "TRIES", "tries", NULL },
		{ "UPDATED", "updated", as_time },
		{ "NOTE", NULL, job_note },
	};

	return render_table(items, cols, N(cols));
}

char *admin_render_certs(const json_t *items)
{
	static const struct column cols[] = {
		{ "SERIAL", "serial", NULL },	    { "PROFILE", "profile", NULL }, { "STATUS", "status", NULL },
		{ "NOT_AFTER", "not_after", NULL }, { "KEY_ID", "key_id", NULL },
	};

	return render_table(items, cols, N(cols));
}

char *admin_render_tokens(const json_t *items)
{
	static const struct column cols[] = {
		{ "NAME", "name", NULL },
		{ "ROLE", "role", NULL },
		{ "SCOPE", "scope", NULL },
		{ "CREATED", "created", as_time },
	};

	return render_table(items, cols, N(cols));
}

char *admin_render_campaigns(const json_t *items)
{
	static const struct column cols[] = {
		{ "ID", "id", NULL },		{ "NAME", "name", NULL }, { "STATE", "state", NULL },
		{ "CARDS", "cards", NULL },	{ "DONE", "done", NULL }, { "FAILED", NULL, failed_count },
		{ "CREATED", "created", NULL },
	};

	return render_table(items, cols, N(cols));
}

char *admin_render_campaign_cards(const json_t *items, bool failed)
{
	static const struct column all[] = {
		{ "ICCID", "iccid", NULL }, { "STATE", "state", NULL }, { "STEP", "step", NULL },
		{ "KEY", "key_id", NULL },  { "TRIES", "tries", NULL }, { "SERIAL", "serial", NULL },
		{ "ERROR", "error", NULL },
	};
	static const struct column bad[] = {
		{ "ICCID", "iccid", NULL },
		{ "STEP", "step", NULL },
		{ "TRIES", "tries", NULL },
		{ "REASON", "error", NULL },
	};

	return failed ? render_table(items, bad, N(bad)) : render_table(items, all, N(all));
}

/* ---- imports ----------------------------------------------------------------------------------------------- */

static void put_rejects(struct admin_text *t, const json_t *rep)
{
	const json_t *rejected = json_object_get(rep, "rejected");
	long long total = int_of(rep, "rejected_lines");
	size_t i;
	json_t *r;

	json_array_foreach(rejected, i, r)
	{
		admin_text_printf(t, "line %lld: ", int_of(r, "line"));
		admin_text_put(t, str_of(r, "reason") ? str_of(r, "reason") : "?");
		admin_text_printf(t, " (");
		admin_text_put(t, str_of(r, "kind") ? str_of(r, "kind") : "?");
		admin_text_printf(t, ")\n");
	}
	if (total > (long long)json_array_size(rejected))
		admin_text_printf(t, "(%lld more rejected lines not listed)\n",
				  total - (long long)json_array_size(rejected));
}

char *admin_render_import(const json_t *im)
{
	struct admin_text t = { 0 };
	const char *state = str_of(im, "state") ? str_of(im, "state") : "?";

	admin_text_printf(&t, "import %lld (", int_of(im, "id"));
	admin_text_put(&t, str_of(im, "name") ? str_of(im, "name") : "");
	admin_text_printf(&t, "): ");
	admin_text_put(&t, state);
	if (!strcmp(state, "done")) {
		admin_text_printf(&t, ": %lld cards, %lld key sets from %lld lines", int_of(im, "cards"),
				  int_of(im, "keysets"), int_of(im, "lines"));
		if (json_is_integer(json_object_get(im, "batch")))
			admin_text_printf(&t, " (batch %lld)", int_of(im, "batch"));
		admin_text_printf(&t, "\n");
	} else if (!strcmp(state, "refused")) {
		admin_text_printf(&t, ", nothing imported: %lld of %lld lines rejected\n", int_of(im, "rejected_lines"),
				  int_of(im, "lines"));
		put_rejects(&t, im);
	} else {
		if (str_of(im, "error")) {
			admin_text_printf(&t, ": ");
			admin_text_put(&t, str_of(im, "error"));
		}
		admin_text_printf(&t, "\n");
	}
	return admin_text_take(&t);
}

char *admin_render_holders_import(const json_t *rep)
{
	struct admin_text t = { 0 };

	admin_text_printf(&t, "%lld lines: %lld holders stored, %lld lines rejected\n", int_of(rep, "lines"),
			  int_of(rep, "holders"), int_of(rep, "rejected_lines"));
	put_rejects(&t, rep);
	return admin_text_take(&t);
}
