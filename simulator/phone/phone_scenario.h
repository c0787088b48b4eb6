/* The user model of simulated phones: how the person holding each phone answers what the SIM shows (DISPLAY TEXT,
 * GET INPUT), and when the phone is off. Read from a scenario file, one directive per line; '#' starts a comment:
 *
 *   default KEY VALUE ...        for every phone not named
 *   phone IMSI KEY VALUE ...     for the phone whose SIM has this IMSI (at most PHONE_SCENARIO_MAX phones)
 *
 *   answer approve|reject|none   confirm what is shown, cancel it, or never answer (default approve)
 *   pin DIGITS[,DIGITS...]       what to type at GET INPUT (default 1234; each 0 to 16 characters of 0-9 * # +,
 *                                at most PHONE_PINS_MAX): the first GET INPUT after a DISPLAY TEXT gets the first,
 *                                the next the second, and so on, the last repeating ("0000,1234": a wrong PIN,
 *                                then the right one; "0000": wrong until blocked)
 *   delay SECONDS                wait before answering, 0..3600, decimal with up to 3 places (default 1)
 *   timeout SECONDS              how long the phone waits for a user who does not answer (answer none, or the
 *                                --interactive person) before it answers 12, no response from user; 1..3600, up to
 *                                3 decimals (default 60)
 *   off AT FOR                   switched off AT seconds after start, for FOR seconds (IMSI detach, then attach)
 *   bip on|off                   the handset has BIP (the default) or not (phone_bip.h: OPEN CHANNEL gets 30 and
 *                                TERMINAL PROFILE does not announce it)
 *   bip drop-send N              BIP, but the N-th SEND DATA (1..65535) of the phone's first channel drops the link
 *                                instead (fault injection: TR 3A 02, then the link dropped event)
 *
 * A line over 256 characters, an unknown directive or key, a repeated key, a bad value or IMSI are errors naming
 * the line.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHONE_SCENARIO_MAX 1024
#define PHONE_PIN_MAX 16
#define PHONE_PINS_MAX 8

enum phone_answer {
	PHONE_ANSWER_APPROVE = 0,
	PHONE_ANSWER_REJECT = 1,
	PHONE_ANSWER_NONE = 2,
};

struct phone_user {
	enum phone_answer answer;
	char pin[PHONE_PINS_MAX][PHONE_PIN_MAX + 1]; /* pin[0] first, npins of them */
	unsigned npins;
	uint32_t delay_ms;
	uint32_t timeout_ms;
	bool has_off;
	uint32_t off_at_ms, off_for_ms;
	bool bip_off;		/* no BIP */
	unsigned bip_drop_send; /* N > 0: the N-th SEND DATA of the first channel drops the link */
};

struct phone_scenario {
	struct phone_user def;
	unsigned n;
	struct {
		char imsi[16];
		struct phone_user user;
	} phones[PHONE_SCENARIO_MAX];
};

/*! The default user: approves after 1 s, PIN 1234, times out after 60 s, never off. */
void phone_scenario_init(struct phone_scenario *s);
/*! Parse scenario \a text into \a s (initialised first). \returns 0; -EINVAL with \a err naming the line */
int phone_scenario_parse(const char *text, struct phone_scenario *s, char *err, size_t errlen);
/*! The user of the phone with \a imsi. */
const struct phone_user *phone_scenario_user(const struct phone_scenario *s, const char *imsi);
/*! The PIN \a u types at the \a n-th GET INPUT (0 first) of a dialogue: the last of its list repeats. */
const char *phone_user_pin(const struct phone_user *u, unsigned n);
