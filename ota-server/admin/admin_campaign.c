/* simpki-admin's campaign commands over /v1/campaigns: start, list, show, pause, resume, cancel, the cards of a
 * campaign (every page, following "next"), and watch: the campaign polled until it is over, redrawn in place on a
 * terminal (ANSI: cursor up, erase line; the cursor hidden meanwhile), one line per change otherwise. Ctrl-C ends
 * the watching, not the campaign. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"

#define CARDS_PAGE 1000

static volatile sig_atomic_t stop_watching;

static void on_signal(int sig)
{
	stop_watching = 1;
}

static enum admin_exit print_text(char *s, bool newline)
{
	if (!s) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return ADMIN_EXIT_FAILURE;
	}
	fputs(s, stdout);
	if (newline)
		fputc('\n', stdout);
	free(s);
	return ADMIN_EXIT_OK;
}

/* ---- start ------------------------------------------------------------------------------------------------- */

/* The ICCIDs of --iccids FILE. \returns NULL with the message printed */
static json_t *read_iccids(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	json_t *a;
	char err[160];
	int n;

	if (!f) {
		fprintf(stderr, "simpki-admin: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	a = json_array();
	n = a ? admin_iccids_read(f, a, err, sizeof(err)) : -ENOMEM;
	if (f != stdin)
		fclose(f);
	if (n < 0) {
		fprintf(stderr, "simpki-admin: %s: %s\n", strcmp(path, "-") ? path : "standard input",
			n == -ENOMEM ? "out of memory" : err);
		json_decref(a);
		return NULL;
	}
	return a;
}

static enum admin_exit watch(struct admin_ctx *a, long long id, unsigned interval_ms, bool json);

static enum admin_exit start(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	json_t *iccids = NULL, *body, *c;
	enum admin_exit ex;
	long long id;
	char *s;

	if (cl->sel == ADMIN_SEL_ICCIDS) {
		iccids = read_iccids(cl->file);
		if (!iccids)
			return ADMIN_EXIT_USAGE;
	}
	body = admin_campaign_body(cl, iccids);
	s = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!s) {
		fprintf(stderr, "simpki-admin: out of memory\n");
		return ADMIN_EXIT_FAILURE;
	}
	ex = admin_call(a, "POST", "/v1/campaigns", s, NULL, &c);
	free(s);
	if (ex)
		return ex;
	id = json_integer_value(json_object_get(c, "id"));
	if (cl->json && !cl->watch)
		ex = admin_print_json(c);
	else if (!cl->json)
		printf("%lld\n", id);
	json_decref(c);
	if (ex || !cl->watch)
		return ex;
	fflush(stdout);
	return watch(a, id, cl->interval_ms, cl->json);
}

/* ---- watch ------------------------------------------------------------------------------------------------- */

static unsigned tty_width(void)
{
	struct winsize ws;

	return !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col ? ws.ws_col : 80;
}

/* Draw \a text over the \a *drawn lines drawn before (the cursor is at the end of the last one). */
static void redraw(const char *text, unsigned *drawn)
{
	unsigned lines = 1;

	if (*drawn > 1)
		printf("\r\033[%uA", *drawn - 1);
	else if (*drawn)
		fputc('\r', stdout);
	fputs("\033[2K", stdout);
	for (const char *p = text; *p; p++) {
		fputc(*p, stdout);
		if (*p == '\n') {
			fputs("\033[2K", stdout);
			lines++;
		}
	}
	/* a display shorter than the last one: erase what is left below */
	for (unsigned i = lines; i < *drawn; i++)
		fputs("\n\033[2K", stdout);
	if (*drawn > lines)
		printf("\033[%uA", *drawn - lines);
	*drawn = lines;
	fflush(stdout);
}

/* Sleep, or less when a signal came. */
static void nap(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Whether a look shows a change worth a line: the state or a count. */
static bool changed(const json_t *c, const json_t *prev)
{
	if (!prev)
		return true;
	return !json_equal(json_object_get(c, "state"), json_object_get(prev, "state")) ||
	       !json_equal(json_object_get(c, "counts"), json_object_get(prev, "counts"));
}

static enum admin_exit watch(struct admin_ctx *a, long long id, unsigned interval_ms, bool json)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	bool live = a->tty && !json;
	json_t *c = NULL, *prev = NULL;
	enum admin_exit ex, code = ADMIN_EXIT_FAILURE;
	unsigned drawn = 0;
	char path[64], what[40];

	snprintf(path, sizeof(path), "/v1/campaigns/%lld", id);
	snprintf(what, sizeof(what), "campaign %lld", id);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	stop_watching = 0;
	if (live)
		fputs("\033[?25l", stdout); /* the cursor hidden while the display is redrawn */
	for (;;) {
		bool over;

		ex = admin_call(a, "GET", path, NULL, what, &c);
		if (ex)
			break;
		over = admin_campaign_over(c, &code);
		if (live) {
			char *s = admin_render_campaign(c, ADMIN_VIEW_LIVE, tty_width());

			if (s)
				redraw(s, &drawn);
			free(s);
		} else if (!json && changed(c, prev)) {
			ex = print_text(admin_render_campaign(c, ADMIN_VIEW_LINE, 0), true);
			fflush(stdout);
		}
		json_decref(prev);
		prev = c;
		c = NULL;
		if (ex || over || stop_watching)
			break;
		nap(interval_ms);
		if (stop_watching)
			break;
	}
	if (live) {
		if (drawn)
			fputc('\n', stdout);
		fputs("\033[?25h", stdout);
	}
	if (!ex && stop_watching) {
		fflush(stdout);
		fprintf(stderr, "simpki-admin: stopped watching; campaign %lld goes on\n", id);
		ex = ADMIN_EXIT_FAILURE;
	} else if (!ex) {
		if (json)
			ex = admin_print_json(prev);
		else if (live)
			ex = print_text(admin_render_campaign(prev, ADMIN_VIEW_SUMMARY, 0), true);
		if (!ex)
			ex = code;
	}
	fflush(stdout);
	json_decref(prev);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return ex;
}

/* ---- the others -------------------------------------------------------------------------------------------- */

/* A campaign's details beyond the display: keys, concurrency, personalisation, times. */
static char *details(const json_t *c)
{
	const json_t *k;
	size_t i;
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		return NULL;
	fputs("  keys:", m);
	json_array_foreach(json_object_get(c, "keys"), i, k)
		fprintf(m, " %lld:%s:%s", (long long)json_integer_value(json_object_get(k, "id")),
			json_string_value(json_object_get(k, "alg")) ?: "?",
			json_string_value(json_object_get(k, "profile")) ?: "?");
	fprintf(m, "; concurrency %lld; personalise %s\n",
		(long long)json_integer_value(json_object_get(c, "concurrency")),
		json_is_true(json_object_get(c, "personalise")) ? "yes" : "no");
	fprintf(m, "  created %s, ended %s", json_string_value(json_object_get(c, "created")) ?: "-",
		json_string_value(json_object_get(c, "ended")) ?: "-");
	if (fclose(m)) {
		free(s);
		return NULL;
	}
	return s;
}

static enum admin_exit show(const json_t *c)
{
	enum admin_exit ex = print_text(admin_render_campaign(c, ADMIN_VIEW_LIVE, 0), true);
	char *d;

	if (ex)
		return ex;
	d = details(c);
	/* the keys' words come from the API: no control character may pass */
	for (char *p = d; p && *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			*p = '?';
	return print_text(d, true);
}

/* Percent-encode an opaque cursor for a query. */
static void escape(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s && n + 4 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~", ch)) {
			out[n++] = (char)ch;
		} else {
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
}

/* Every card of a campaign (in \a state), following the "next" cursors, into one array. */
static enum admin_exit cards(struct admin_ctx *a, long long id, const char *state, const char *what, json_t **out)
{
	char path[512], cur[320] = "";
	json_t *all = json_array(), *page;
	enum admin_exit ex;

	for (;;) {
		const char *next;

		snprintf(path, sizeof(path), "/v1/campaigns/%lld/cards?limit=%d%s%s%s%s", id, CARDS_PAGE,
			 state ? "&state=" : "", state ? state : "", cur[0] ? "&cursor=" : "", cur);
		ex = admin_call(a, "GET", path, NULL, what, &page);
		if (ex) {
			json_decref(all);
			return ex;
		}
		json_array_extend(all, json_object_get(page, "items"));
		next = json_string_value(json_object_get(page, "next"));
		if (!next || !*next || strlen(next) > 100) {
			json_decref(page);
			break;
		}
		escape(next, cur, sizeof(cur));
		json_decref(page);
	}
	*out = all;
	return ADMIN_EXIT_OK;
}

enum admin_exit admin_campaign_run(struct admin_ctx *a, const struct admin_cmdline *cl)
{
	static const char *const actions[] = {
		[ADMIN_CMD_CAMPAIGN_PAUSE] = "pause",
		[ADMIN_CMD_CAMPAIGN_RESUME] = "resume",
		[ADMIN_CMD_CAMPAIGN_CANCEL] = "cancel",
	};
	char path[96], what[40];
	enum admin_exit ex;
	json_t *c = NULL;

	snprintf(what, sizeof(what), "campaign %lld", cl->id);
	switch (cl->cmd) {
	case ADMIN_CMD_CAMPAIGN_START:
		return start(a, cl);
	case ADMIN_CMD_CAMPAIGN_WATCH:
		return watch(a, cl->id, cl->interval_ms, cl->json);
	case ADMIN_CMD_CAMPAIGN_LIST:
		ex = admin_call(a, "GET", "/v1/campaigns", NULL, NULL, &c);
		if (!ex)
			ex = cl->json ? admin_print_json(c) :
					print_text(admin_render_campaigns(json_object_get(c, "items")), false);
		break;
	case ADMIN_CMD_CAMPAIGN_SHOW:
		snprintf(path, sizeof(path), "/v1/campaigns/%lld", cl->id);
		ex = admin_call(a, "GET", path, NULL, what, &c);
		if (!ex)
			ex = cl->json ? admin_print_json(c) : show(c);
		break;
	case ADMIN_CMD_CAMPAIGN_PAUSE:
	case ADMIN_CMD_CAMPAIGN_RESUME:
	case ADMIN_CMD_CAMPAIGN_CANCEL:
		snprintf(path, sizeof(path), "/v1/campaigns/%lld/%s", cl->id, actions[cl->cmd]);
		ex = admin_call(a, "POST", path, NULL, what, &c);
		if (!ex)
			ex = cl->json ? admin_print_json(c) :
					print_text(admin_render_campaign(c, ADMIN_VIEW_LINE, 0), true);
		break;
	case ADMIN_CMD_CAMPAIGN_FAILED:
	case ADMIN_CMD_CAMPAIGN_CARDS: {
		bool failed = cl->cmd == ADMIN_CMD_CAMPAIGN_FAILED;

		ex = cards(a, cl->id, failed ? "failed" : cl->state, what, &c);
		if (ex)
			return ex;
		if (cl->json) {
			json_t *o = json_pack("{s:O,s:n}", "items", c, "next");

			ex = o ? admin_print_json(o) : ADMIN_EXIT_FAILURE;
			json_decref(o);
		} else {
			ex = print_text(admin_render_campaign_cards(c, failed), false);
		}
		break;
	}
	default:
		fprintf(stderr, "simpki-admin: internal error: command %d\n", cl->cmd);
		return ADMIN_EXIT_FAILURE;
	}
	json_decref(c);
	return ex;
}
