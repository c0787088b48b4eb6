/* simpki-phone: simulated mobile phones with simulated SIMs, attached to a real osmo-msc through osmo-stp as one
 * fake BSC (phone.h). Options in usage(); runs until SIGINT or SIGTERM, then detaches every phone and prints the
 * summary on standard output. Log lines (one per phone event) go to standard error. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/gsmtap.h>
#include <osmocom/core/gsmtap_util.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "phone.h"
#include "sctp_preload.h"

#define MAX_PHONES 10000

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: simpki-phone --card DIR [--card DIR ...] [--cards PARENT] [OPTIONS]\n"
		"\n"
		"Simulated mobile phones, each with a simulated SIM, attached to a real osmo-msc: one process acts as\n"
		"a BSC toward the MSC (BSSAP over SCCP over M3UA, through osmo-stp) and as all its phones. Each phone\n"
		"switches on, registers (location updating, IMSI attach), answers paging, and carries SMS both ways.\n"
		"An SMS for SIM data download (TP-PID 7F) goes to the SIM (ENVELOPE SMS-PP download); the SIM's\n"
		"proactive commands are run: SEND SHORT MESSAGE goes out as an SMS, DISPLAY TEXT and GET INPUT go to\n"
		"the phone's user, MORE TIME is answered, OPEN CHANNEL opens a TCP connection from this process (BIP:\n"
		"SEND/RECEIVE DATA, events, TIMER MANAGEMENT; scenario 'bip off', 'bip drop-send N'). Other SMS are\n"
		"logged. The network must know each SIM's IMSI (osmo-net add-subscriber). Runs until interrupted\n"
		"(Ctrl-C, SIGTERM); then every phone detaches and a summary is printed.\n"
		"\n"
		"  --card DIR          a phone with the SIM in DIR (simpki-card create); repeat for more phones\n"
		"  --cards PARENT      a phone for every card directory in PARENT (sorted by name)\n"
		"  --stp HOST:PORT     osmo-stp's M3UA address (default 127.0.0.1:2905)\n"
		"  --pc POINT_CODE     this BSC's point code (default 0.42.1); --msc-pc the MSC's (default 0.23.1)\n"
		"  --scenario FILE     how the phones' users behave (approve, reject, PIN, delay, switched off);\n"
		"                      the default user approves after 1 s with PIN 1234 (docs/network.md)\n"
		"  --interactive       you hold the first phone: its screen is drawn here, you answer with the keys\n"
		"  --screen-log FILE   append every screen a SIM shows (DISPLAY TEXT, GET INPUT's prompt) to FILE, "
		"one\n"
		"                      line each: IMSI<TAB>display|input<TAB>the text in UTF-8 (\\n \\r \\t \\\\ "
		"escaped)<TAB>Unix ms\n"
		"  --gsmtap HOST       copy every APDU between phone and SIM to HOST as GSMTAP (UDP 4729; Wireshark\n"
		"                      and tshark show it as GSM SIM traffic)\n"
		"  --periodic SECONDS  periodic location updating every SECONDS (T3212; default 0: none)\n"
		"  --smsc NUMBER       the SMSC address phones put in MO SMS (default +12345)\n"
		"  --ready-file PATH   write PATH when every phone that is on has attached\n"
		"  --real-timing       each SIM takes as long as a real SIM (the card's timing model: transport,\n"
		"                      NVM writes, RSA-2048 key generation ~9 s, P-256 ~0.9 s, signatures): the\n"
		"                      RP-ACK of an SMS-PP download and the SIM's next proactive command (its PoR by\n"
		"                      SMS, a prompt) wait that long, while the other phones go on\n"
		"  --baud N            the phone-SIM rate of the timing model, 1200..1000000 bit/s (default 9600)\n"
		"  -d, --debug CATS    log more: DPHONE,DMM,DSMS,DSIM,DBSC at debug (libosmocore -d syntax, e.g.\n"
		"                      DSMS,1:DMM,1)\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit codes: 0 done, 1 the network could not be reached or a card could not be used, 2 usage error.\n");
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every subdirectory of \a parent holding a card.img, sorted. \returns how many were added to \a dirs */
static int scan_cards(void *ctx, const char *parent, char **dirs, int n, int max)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	int first = n;
	struct stat stbuf;

	if (!d) {
		fprintf(stderr, "simpki-phone: --cards %s: %s\n", parent, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = talloc_asprintf(ctx, "%s/%s/card.img", parent, e->d_name);
		if (stat(path, &stbuf) == 0) {
			if (n == max) {
				fprintf(stderr, "simpki-phone: more than %d phones\n", max);
				closedir(d);
				return -1;
			}
			dirs[n++] = talloc_asprintf(ctx, "%s/%s", parent, e->d_name);
		}
		talloc_free(path);
	}
	closedir(d);
	qsort(dirs + first, (size_t)(n - first), sizeof(dirs[0]), cmp_str);
	if (n == first)
		fprintf(stderr, "simpki-phone: warning: no cards in %s\n", parent);
	return n;
}

static int read_scenario(const char *path, struct phone_scenario *s)
{
	char err[256], *text;
	FILE *f = fopen(path, "r");
	long size;
	int rc;

	if (!f) {
		fprintf(stderr, "simpki-phone: --scenario %s: %s\n", path, strerror(errno));
		return -1;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	if (size < 0 || size > 1 << 20) {
		fprintf(stderr, "simpki-phone: --scenario %s: too large\n", path);
		fclose(f);
		return -1;
	}
	text = calloc(1, (size_t)size + 1);
	if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "simpki-phone: --scenario %s: cannot read it\n", path);
		free(text);
		fclose(f);
		return -1;
	}
	fclose(f);
	rc = phone_scenario_parse(text, s, err, sizeof(err));
	free(text);
	if (rc) {
		fprintf(stderr, "simpki-phone: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

/* Detach every phone that is on, and wait (up to 3 s) until they are off. */
#define SHUTDOWN_WAIT_S 10

static void shutdown_deadline_cb(void *data)
{
	*(bool *)data = true;
}

/* Switches every phone off and waits until all are OFF. Every phone gets there by its own guard timers (a periodic
 * update ends, then the detach is answered or times out); the deadline only bounds a network that stopped answering
 * altogether. */
static void shutdown_phones(struct phone_bsc *bsc)
{
	struct osmo_timer_list deadline;
	bool expired = false, all_off;

	for (unsigned i = 0; i < bsc->n_ms; i++) {
		struct phone_ms *ms = bsc->ms[i];

		osmo_timer_del(&ms->off_timer);
		if (ms->want_on) {
			ms->want_on = false;
			osmo_fsm_inst_dispatch(ms->fi, MS_EV_POWER_OFF, NULL);
		}
	}
	osmo_timer_setup(&deadline, shutdown_deadline_cb, &expired);
	osmo_timer_schedule(&deadline, SHUTDOWN_WAIT_S, 0);
	while (!expired) {
		all_off = true;
		for (unsigned i = 0; i < bsc->n_ms; i++)
			all_off &= phone_ms_off(bsc->ms[i]);
		if (all_off)
			break;
		osmo_select_main(0);
	}
	osmo_timer_del(&deadline);
}

/* Everything of main() that allocates (on ctx, or bsc->gsmtap): main() frees it whatever the outcome. */
static int run(void *ctx, struct phone_bsc *bsc, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "card", required_argument, NULL, 'c' },
		{ "cards", required_argument, NULL, 'C' },
		{ "stp", required_argument, NULL, 's' },
		{ "pc", required_argument, NULL, 'p' },
		{ "msc-pc", required_argument, NULL, 'm' },
		{ "scenario", required_argument, NULL, 'S' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "screen-log", required_argument, NULL, 'L' },
		{ "gsmtap", required_argument, NULL, 'g' },
		{ "periodic", required_argument, NULL, 'P' },
		{ "smsc", required_argument, NULL, 'M' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "real-timing", no_argument, NULL, 't' },
		{ "baud", required_argument, NULL, 'b' },
		{ "debug", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct phone_scenario scenario;
	char **dirs = talloc_zero_array(ctx, char *, MAX_PHONES);
	const char *debug = NULL;
	char *stp = NULL, *colon, *end;
	bool interactive = false;
	int n = 0, c, rc;
	unsigned long v;

	phone_scenario_init(&scenario);
	bsc->ctx = ctx;
	bsc->scenario = &scenario;
	bsc->cfg = (struct phone_bsc_cfg){
		.stp_host = "127.0.0.1",
		.stp_port = 2905,
		.own_pc = "0.42.1",
		.msc_pc = "0.23.1",
		.smsc = "+12345",
	};
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (n == MAX_PHONES) {
				fprintf(stderr, "simpki-phone: more than %d phones\n", MAX_PHONES);
				return 2;
			}
			dirs[n++] = optarg;
			break;
		case 'C':
			n = scan_cards(ctx, optarg, dirs, n, MAX_PHONES);
			if (n < 0)
				return 2;
			break;
		case 's':
			stp = talloc_strdup(ctx, optarg);
			colon = strrchr(stp, ':');
			if (!colon || colon == stp || (v = strtoul(colon + 1, &end, 10)) == 0 || v > 65535 || *end) {
				fprintf(stderr, "simpki-phone: --stp wants HOST:PORT, e.g. 127.0.0.1:2905\n");
				return 2;
			}
			*colon = 0;
			bsc->cfg.stp_host = stp;
			bsc->cfg.stp_port = (uint16_t)v;
			break;
		case 'p':
			bsc->cfg.own_pc = optarg;
			break;
		case 'm':
			bsc->cfg.msc_pc = optarg;
			break;
		case 'S':
			if (read_scenario(optarg, &scenario))
				return 2;
			break;
		case 'i':
			interactive = true;
			break;
		case 'L':
			if (phone_ui_screen_log_open(optarg)) {
				fprintf(stderr, "simpki-phone: --screen-log %s: %s\n", optarg, strerror(errno));
				return 2;
			}
			break;
		case 'g':
			bsc->cfg.gsmtap_host = optarg;
			break;
		case 'P':
			v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v > 86400) {
				fprintf(stderr, "simpki-phone: --periodic wants seconds, 0 to 86400\n");
				return 2;
			}
			bsc->cfg.periodic_s = (uint32_t)v;
			break;
		case 'M':
			if (strspn(optarg + (optarg[0] == '+'), "0123456789") != strlen(optarg + (optarg[0] == '+')) ||
			    strlen(optarg) < 1 + (optarg[0] == '+') || strlen(optarg) > 21) {
				fprintf(stderr, "simpki-phone: --smsc wants up to 20 digits, with an optional +\n");
				return 2;
			}
			bsc->cfg.smsc = optarg;
			break;
		case 'r':
			bsc->cfg.ready_file = optarg;
			break;
		case 't':
			bsc->cfg.real_timing = true;
			break;
		case 'b':
			v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v < 1200 || v > 1000000) {
				fprintf(stderr, "simpki-phone: --baud wants 1200..1000000 bit/s\n");
				return 2;
			}
			bsc->cfg.baud = (unsigned)v;
			break;
		case 'd':
			debug = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "simpki-phone: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!n) {
		fprintf(stderr, "simpki-phone: no phones: give --card DIR or --cards PARENT\n");
		usage(stderr);
		return 2;
	}

	msgb_talloc_ctx_init(ctx, 0);
	osmo_init_logging2(ctx, &phone_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_print_timestamp(osmo_stderr_target, 1);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_category_filter(osmo_stderr_target, DLSS7, 1, LOGL_ERROR);
	log_set_category_filter(osmo_stderr_target, DLSCCP, 1, LOGL_FATAL); /* its SCMG logs N-PCSTATE as an error */
	log_set_category_filter(osmo_stderr_target, DLM3UA, 1, LOGL_ERROR);
	log_set_category_filter(osmo_stderr_target, DLSMS, 1, LOGL_ERROR);
	log_set_category_filter(osmo_stderr_target, DLGLOBAL, 1, LOGL_ERROR);
	if (debug)
		log_parse_category_mask(osmo_stderr_target, debug);
	OSMO_ASSERT(osmo_fsm_register(&phone_ms_fsm) == 0);

	if (bsc->cfg.gsmtap_host) {
		bsc->gsmtap = gsmtap_source_init(bsc->cfg.gsmtap_host, GSMTAP_UDP_PORT, 0);
		if (!bsc->gsmtap) {
			fprintf(stderr, "simpki-phone: --gsmtap %s: cannot send there\n", bsc->cfg.gsmtap_host);
			return 2;
		}
	}

	bsc->ms = talloc_zero_array(bsc, struct phone_ms *, n);
	for (int i = 0; i < n; i++) {
		char err[300];

		bsc->ms[i] = phone_ms_alloc(bsc, (unsigned)i, dirs[i], interactive && i == 0, err, sizeof(err));
		if (!bsc->ms[i]) {
			fprintf(stderr, "simpki-phone: %s\n", err);
			return 1;
		}
		bsc->n_ms++;
		for (int j = 0; j < i; j++) {
			if (!strcmp(bsc->ms[j]->id.imsi, bsc->ms[i]->id.imsi)) {
				fprintf(stderr, "simpki-phone: %s and %s hold SIMs with the same IMSI %s\n", dirs[j],
					dirs[i], bsc->ms[i]->id.imsi);
				return 1;
			}
		}
	}

	rc = phone_bsc_start(bsc);
	if (rc) {
		fprintf(stderr, "simpki-phone: cannot set up M3UA/SCCP toward %s:%u: %s\n", bsc->cfg.stp_host,
			bsc->cfg.stp_port, rc == -EINVAL ? "bad point code" : strerror(-rc));
		return 1;
	}
	LOGP(DPHONE, LOGL_NOTICE, "%u phone%s; BSC %s toward osmo-stp %s:%u\n", bsc->n_ms, bsc->n_ms == 1 ? "" : "s",
	     bsc->cfg.own_pc, bsc->cfg.stp_host, bsc->cfg.stp_port);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!stop_signal)
		osmo_select_main(0);

	LOGP(DPHONE, LOGL_NOTICE, "%s: switching every phone off\n", strsignal(stop_signal));
	shutdown_phones(bsc);
	phone_bsc_summary(bsc, stdout);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	void *ctx;
	struct phone_bsc *bsc;
	char err[512];
	int rc;

	/* On a kernel without SCTP this runs the program again under the SCTP shim (simulator/net/sctp_preload.h). */
	if (sctp_preload_reexec(argv, err, sizeof(err))) {
		fprintf(stderr, "simpki-phone: %s\n", err);
		return 1;
	}
	ctx = talloc_named_const(NULL, 0, "simpki-phone");
	bsc = talloc_zero(ctx, struct phone_bsc);
	rc = run(ctx, bsc, argc, argv);
	phone_ui_screen_log_close();

	if (bsc->gsmtap)
		gsmtap_source_free(bsc->gsmtap);
	talloc_free(ctx);
	return rc;
}
