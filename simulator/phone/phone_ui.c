/* The person holding a simulated phone. DISPLAY TEXT and GET INPUT from the SIM reach either the scenario's user
 * model (phone_scenario.h: approve, reject or never answer, after a delay, typing the scenario's PIN) or, for the
 * one phone run with --interactive, a person at the terminal: the screen is drawn on standard output, the answer
 * read from standard input (Enter confirms, "c" cancels; at GET INPUT the typed text, hidden when the SIM asks for
 * it, e.g. a PIN). A DISPLAY TEXT that does not wait for the user is confirmed at once, as handsets do. A prompt
 * nobody answers ends after the user's timeout (scenario `timeout`, default 60 s) with "no response from user".
 * The scenario user types its PINs in turn, counted from the last DISPLAY TEXT (phone_user_pin()). With
 * --screen-log every screen (DISPLAY TEXT, GET INPUT prompt) is appended to a file as one record
 * (phone_sim_screen_record()) followed by a tab and the time it was shown (Unix ms); what the user types is never
 * logged. The interactive phone also shows its SIM's BIP channel: a line "BIP: connected to IP:PORT (N bytes in / M
 * out)" when it connects, again each second bytes went through while no prompt is up, and when it drops or closes. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <osmocom/core/select.h>

#include "phone.h"

#define SCREEN_COLS 32

static struct phone_ms *ui_ms;		 /* the interactive phone */
static struct osmo_timer_list bip_timer; /* redraws its BIP status line when the byte counts moved */
static struct phone_bip_status bip_shown;
static FILE *screen_log;
static struct osmo_fd ui_fd;
static struct termios saved_tio;
static bool echo_off;

static void set_echo(bool on)
{
	struct termios t;

	if (!isatty(STDIN_FILENO))
		return;
	if (!on && !echo_off) {
		tcgetattr(STDIN_FILENO, &saved_tio);
		t = saved_tio;
		t.c_lflag &= ~(tcflag_t)ECHO;
		t.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
		echo_off = true;
	} else if (on && echo_off) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		echo_off = false;
	}
}

static void answer(struct phone_ms *ms, enum phone_sim_result result, const char *text)
{
	struct phone_stats *st = &ms->bsc->st;

	osmo_timer_del(&ms->user_timer);
	ms->prompting = false;
	if (result == PHONE_SIM_OK)
		st->approved++;
	else if (result == PHONE_SIM_TERMINATED_BY_USER)
		st->rejected++;
	else
		st->unanswered++;
	LOGMS(ms, DPHONE, LOGL_NOTICE, "the user %s\n",
	      result == PHONE_SIM_OK		     ? (ms->prompt.input ? "types the answer" : "confirms") :
	      result == PHONE_SIM_TERMINATED_BY_USER ? "cancels" :
						       "does not answer");
	if (ms->sim)
		phone_sim_user_answer(ms->sim, result, text); /* may bring the next prompt at once */
}

void phone_ui_timer_cb(void *data)
{
	struct phone_ms *ms = data;

	if (!ms->prompting)
		return;
	if (ms->interactive) {
		set_echo(true);
		printf("\n(no answer in %.3g s)\n", ms->user->timeout_ms / 1000.0);
		fflush(stdout);
		answer(ms, PHONE_SIM_NO_RESPONSE, NULL);
		return;
	}
	switch (ms->user->answer) {
	case PHONE_ANSWER_APPROVE:
		answer(ms, PHONE_SIM_OK, ms->prompt.input ? phone_user_pin(ms->user, ms->pin_at++) : NULL);
		break;
	case PHONE_ANSWER_REJECT:
		answer(ms, PHONE_SIM_TERMINATED_BY_USER, NULL);
		break;
	case PHONE_ANSWER_NONE:
		answer(ms, PHONE_SIM_NO_RESPONSE, NULL);
		break;
	}
}

/* The bytes of UTF-8 \a s (up to \a n bytes) that fill at most \a cols columns, cut at a character boundary, at the
 * last space when the line goes on (a word is cut only when it is longer than the line); *width its columns. A
 * combining mark (U+0300..U+036F, as in decomposed Vietnamese) takes no column. */
static size_t fit(const char *s, size_t n, unsigned cols, unsigned *width)
{
	size_t i = 0, at_space = 0;
	unsigned w = 0, w_space = 0;

	while (i < n) {
		const unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
		bool combining = k == 2 && ((c == 0xcc && (unsigned char)s[i + 1] >= 0x80) ||
					    (c == 0xcd && (unsigned char)s[i + 1] < 0xb0));

		if (i + k > n)
			k = n - i;
		if (!combining && w == cols)
			break;
		if (c == ' ') {
			at_space = i;
			w_space = w;
		}
		i += k;
		w += combining ? 0 : 1;
	}
	if (i < n && at_space) {
		*width = w_space;
		return at_space;
	}
	*width = w;
	return i;
}

/* The phone's screen: the SIM's text (UTF-8) in a frame SCREEN_COLS characters wide, lines broken at '\n' and at
 * the frame's width, then what the user may do. */
static void draw(const struct phone_ms *ms, const struct phone_sim_prompt *p)
{
	const char *s = p->text;
	size_t n = strlen(s);

	printf("\n+--------------------------------+  %s\n", ms->id.msisdn[0] ? ms->id.msisdn : ms->id.imsi);
	do {
		const char *nl = memchr(s, '\n', n);
		size_t line = nl ? (size_t)(nl - s) : n;
		unsigned width;
		size_t take = fit(s, line, SCREEN_COLS, &width);

		printf("|%.*s%*s|\n", (int)take, s, (int)(SCREEN_COLS - width), "");
		if (take < line && s[take] == ' ')
			take++; /* the space the line was broken at */
		else if (take == line && nl)
			take++; /* the newline */
		s += take;
		n -= take;
	} while (n);
	printf("+--------------------------------+\n");
	if (p->input)
		printf("%s (%u to %u%s, Enter when done, \"c\" cancels): ", p->hidden ? "Secret entry" : "Entry",
		       p->min_len, p->max_len, p->digits_only ? " digits" : " characters");
	else
		printf("[Enter] OK   [c Enter] cancel: ");
	fflush(stdout);
}

static void schedule_timeout(struct phone_ms *ms)
{
	uint32_t t = ms->user->timeout_ms;

	osmo_timer_schedule(&ms->user_timer, t / 1000, (t % 1000) * 1000);
}

int phone_ui_screen_log_open(const char *path)
{
	screen_log = fopen(path, "a");
	return screen_log ? 0 : -errno;
}

void phone_ui_screen_log_close(void)
{
	if (screen_log)
		fclose(screen_log);
	screen_log = NULL;
}

void phone_ui_prompt(struct phone_ms *ms, const struct phone_sim_prompt *p)
{
	ms->bsc->st.prompts++;
	ms->prompt = *p;
	ms->prompting = true;
	if (!p->input)
		ms->pin_at = 0; /* a new dialogue: the user's first PIN again */
	if (screen_log) {
		char rec[16 + 16 + 2 * PHONE_SIM_TEXT_MAX + 2];
		size_t n = phone_sim_screen_record(ms->id.imsi, p, rec, sizeof(rec));
		struct timespec ts;

		/* the record, and when it was shown (wall clock, ms: benchmarks time the prompt from the request) */
		clock_gettime(CLOCK_REALTIME, &ts);
		if (n) {
			fwrite(rec, 1, n - 1, screen_log);
			fprintf(screen_log, "\t%lld\n", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		}
		fflush(screen_log);
	}
	LOGMS(ms, DPHONE, LOGL_NOTICE, "the SIM %s: \"%s\"\n",
	      p->input ? (p->hidden ? "asks for a secret input" : "asks for input") : "shows", p->text);
	if (!p->input && !p->wait_user) {
		answer(ms, PHONE_SIM_OK, NULL);
		return;
	}
	if (ms->interactive) {
		draw(ms, p);
		if (p->input && p->hidden)
			set_echo(false);
		schedule_timeout(ms);
		return;
	}
	if (ms->user->answer == PHONE_ANSWER_NONE)
		schedule_timeout(ms);
	else
		osmo_timer_schedule(&ms->user_timer, ms->user->delay_ms / 1000, (ms->user->delay_ms % 1000) * 1000);
}

void phone_ui_cancel(struct phone_ms *ms)
{
	osmo_timer_del(&ms->user_timer);
	if (ms->prompting && ms->interactive) {
		set_echo(true);
		printf("\n(the phone was switched off)\n");
		fflush(stdout);
	}
	ms->prompting = false;
}

static int stdin_cb(struct osmo_fd *fd, unsigned int what)
{
	struct phone_ms *ms = ui_ms;
	char line[PHONE_SIM_TEXT_MAX + 2];
	ssize_t n = read(fd->fd, line, sizeof(line) - 1);
	size_t len;

	if (n <= 0) { /* end of input: the person left; prompts time out */
		osmo_fd_unregister(fd);
		return 0;
	}
	line[n] = 0;
	line[strcspn(line, "\r\n")] = 0;
	if (!ms->prompting)
		return 0;
	set_echo(true);
	len = strlen(line);
	if (!strcmp(line, "c")) {
		answer(ms, PHONE_SIM_TERMINATED_BY_USER, NULL);
	} else if (!ms->prompt.input) {
		answer(ms, PHONE_SIM_OK, NULL);
	} else if (len < ms->prompt.min_len || len > ms->prompt.max_len ||
		   (ms->prompt.digits_only && strspn(line, "0123456789*#+") != len)) {
		printf("Not accepted: %u to %u%s. Again: ", ms->prompt.min_len, ms->prompt.max_len,
		       ms->prompt.digits_only ? " digits" : " characters");
		fflush(stdout);
		if (ms->prompt.hidden)
			set_echo(false);
	} else {
		answer(ms, PHONE_SIM_OK, line);
	}
	memset(line, 0, sizeof(line)); /* a PIN does not stay in memory */
	return 0;
}

void phone_ui_bip_line(const struct phone_bip_status *st, char *out, size_t max)
{
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = htonl(st->ip) };

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	snprintf(out, max, "BIP: %s %s:%u (%llu bytes in / %llu out)",
		 st->connected ? "connected to" :
		 st->open      ? "link dropped, was" :
		 st->failed    ? "could not connect to" :
				 "closed, was",
		 ip, st->port, (unsigned long long)st->bytes_in, (unsigned long long)st->bytes_out);
}

void phone_ui_bip(struct phone_ms *ms, const struct phone_bip_status *st)
{
	char line[96];

	if (ms != ui_ms)
		return;
	bip_shown = *st;
	phone_ui_bip_line(st, line, sizeof(line));
	printf("\n%s\n", line);
	fflush(stdout);
	if (st->connected)
		osmo_timer_schedule(&bip_timer, 1, 0);
	else
		osmo_timer_del(&bip_timer);
}

/* Once a second while the channel is up: the line again when bytes went through and no prompt is on the screen. */
static void bip_timer_cb(void *data)
{
	struct phone_bip_status st;

	(void)data;
	if (!ui_ms || !ui_ms->sim)
		return;
	phone_sim_bip_status(ui_ms->sim, &st);
	if (!st.connected)
		return;
	if (!ui_ms->prompting && (st.bytes_in != bip_shown.bytes_in || st.bytes_out != bip_shown.bytes_out))
		phone_ui_bip(ui_ms, &st);
	else
		osmo_timer_schedule(&bip_timer, 1, 0);
}

int phone_ui_interactive_init(struct phone_ms *ms)
{
	if (ui_ms)
		return -EBUSY;
	ui_ms = ms;
	osmo_timer_setup(&bip_timer, bip_timer_cb, NULL);
	osmo_fd_setup(&ui_fd, STDIN_FILENO, OSMO_FD_READ, stdin_cb, NULL, 0);
	if (osmo_fd_register(&ui_fd))
		return -EIO;
	printf("simpki-phone: you hold the phone of SIM %s (IMSI %s); its screen appears here when the SIM shows "
	       "something.\n",
	       ms->id.iccid, ms->id.imsi);
	fflush(stdout);
	return 0;
}
