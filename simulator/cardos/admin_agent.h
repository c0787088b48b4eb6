/* The card's SCP81 admin agent (GlobalPlatform Card Specification Amendment B, remote application management over
 * HTTPS with TLS-PSK), on a BIP TCP channel (TS 102 223) that the terminal opens for it. One session at a time.
 *
 * Push: a secured packet to the admin TAR (manifest `admin`) passes every check of the receiving entity (ota_re.h);
 * its secured data is a push (scp81.h), values it lacks taken from the manifest's defaults: the RAS's address and
 * port, the URI; PSK identity the card's ICCID, key 64/1, 2 retries without a wait. X-Admin-From and Host default to the ICCID and
 * the RAS's dotted address. A push that does not decode, names no server, or names a PSK the card does not hold,
 * and a push while a session runs, get PoR status 07 (TS 102 225 has no data-error status; 06 would claim a
 * security failure that did not happen) and change nothing. A good push gets PoR 00 (as the SPI asks) and starts
 * the session, whose proactive commands leave after the PoR's SEND SHORT MESSAGE commands.
 *
 * Session, one proactive command at a time (bytes in bip.h):
 *   SET UP EVENT LIST (data available, channel status)
 *   try: OPEN CHANNEL; its TERMINAL RESPONSE must have result 00 or 07, a channel status with the link up and a
 *        channel id 1..7, and a buffer size; else the try failed (no channel to close)
 *        TLS 1.2 PSK-AES128-CBC-SHA256 client (no encrypt-then-MAC, no tickets, max fragment length 512): what TLS
 *        writes leaves by SEND DATA (at most 200 bytes each), what the terminal announces by the data-available
 *        event is read by RECEIVE DATA (min(200, available); the card reads on while the TR says more remain)
 *        HTTP: the first POST (no body); from a retry it says X-Admin-Resume: true, and carries the response of a
 *        script whose response POST got no answer (status ok). A 200 answer's body is an expanded remote APDU script
 *        (TS 102 226) for X-Admin-Targeted-Application (an installed applet's AID) or, without it, for the first RFM
 *        TAR; its response (AB...) is POSTed to X-Admin-Next-URI with X-Admin-Script-Status: ok; an unknown AID gets
 *        unknown-application and no body. 204: TLS close_notify, CLOSE CHANNEL, the session succeeded.
 *        Any other status, a malformed answer, a TLS alert, a failed SEND/RECEIVE DATA or a dropped link (channel
 *        status event with 05) fail the try: CLOSE CHANNEL.
 *   after a failed try, with retries left (push 86): TIMER MANAGEMENT (timer 1, the wait) and its expiration
 *        ENVELOPE when the wait is not 0, then the next try. No retry left: the session failed.
 * A script is run once: its response is kept until a POST carrying it got an HTTP answer; a retry resends it.
 * ENVELOPE D6 (events) and D7 (timer) are taken at any time: they only record facts (9000, or 91xx when a command
 * waits); a malformed one gets 6A80 and changes nothing. Secrets: the PSK goes from NVM straight into OpenSSL's
 * buffer and is wiped from the card's copies; the SSL objects are freed and the agent's buffers wiped at the end
 * of every try, on reset and at power-off.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <simpki/card_toolkit.h>

struct card_os;
struct admin_agent;

/* What tests and `info` see of the agent. */
struct admin_agent_stats {
	bool active;	    /* a session runs */
	unsigned sessions;  /* sessions started by a good push */
	unsigned succeeded; /* ended by 204 */
	unsigned failed;    /* ended with no retry left */
	unsigned tries;	    /* OPEN CHANNELs */
	unsigned scripts;   /* scripts run */
	bool response_kept; /* a script's response waits for an answer to its POST */
};

struct admin_agent *admin_agent_new(void);
void admin_agent_free(struct admin_agent *a);
/*! Reset or power-off: the session ends without a word to anyone; SSL freed, buffers wiped. */
void admin_agent_reset(struct admin_agent *a);
/*! A push's secured data (deciphered). \returns the PoR status: OTA_POR_OK (the session starts) or 07 */
int admin_agent_push(struct card_os *os, const uint8_t *d, size_t len);
/*! ENVELOPE D6 or D7. \returns the status word (before 91xx is added) */
uint16_t admin_agent_envelope(struct card_os *os, const uint8_t *d, size_t len);
void admin_agent_stats(const struct admin_agent *a, struct admin_agent_stats *s);

/* proactive.c: the agent's one command slot */
/*! Its command waiting for FETCH or its TERMINAL RESPONSE, or NULL. */
const uint8_t *admin_agent_command(const struct admin_agent *a, size_t *len, uint8_t *number, uint8_t *type,
				   uint8_t *qualifier);
bool admin_agent_fetched(const struct admin_agent *a);
void admin_agent_set_fetched(struct admin_agent *a);
/*! The TERMINAL RESPONSE to its command (checked by proactive.c: command details, result). \returns 0; -EIO */
int admin_agent_terminal_response(struct card_os *os, const struct card_tk_result *res, const uint8_t *d, size_t len);
