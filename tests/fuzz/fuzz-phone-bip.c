/* libFuzzer harness: proactive commands as a simulated phone's BIP side runs them (simulator/phone/phone_bip.c),
 * without sockets (phone_bip_set_io(false)). Input: one byte of configuration (b1 BIP off, b2..b4 drop-send N),
 * then commands, each a length byte and that many bytes as fetched (D0 ...). Checked: a command is answered at once
 * (0) or, OPEN CHANNEL only, later (1; never without I/O), or refused (-EINVAL); a TERMINAL RESPONSE fits
 * PHONE_BIP_TR_MAX and starts with the command details it echoes, then the device identities and the result;
 * ENVELOPEs fit PHONE_BIP_ENV_MAX and are D6 or D7 with their length right. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "phone_bip.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-phone-bip: %s\n", what);
	abort();
}

static void on_envelope(void *priv, const uint8_t *env, size_t len)
{
	(void)priv;
	if (len < 2 || len > PHONE_BIP_ENV_MAX || (env[0] != 0xd6 && env[0] != 0xd7) || env[1] != len - 2)
		die("a bad ENVELOPE");
}

static void on_tr(void *priv, const uint8_t *tr, size_t len)
{
	(void)priv, (void)tr, (void)len;
	die("a later TERMINAL RESPONSE without I/O");
}

static const struct phone_bip_ops ops = { .envelope = on_envelope, .terminal_response = on_tr };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phone_bip_cfg cfg;
	struct phone_bip *b;
	uint8_t tr[PHONE_BIP_TR_MAX];
	size_t i = 1;

	if (!size)
		return 0;
	cfg = (struct phone_bip_cfg){ .off = data[0] & 1, .drop_send = (data[0] >> 1) & 7 };
	b = phone_bip_alloc(NULL, &cfg, &ops, NULL);
	if (!b)
		die("out of memory");
	phone_bip_set_io(b, false);
	while (i < size) {
		size_t len = data[i++], tr_len = 12345;
		int rc;

		if (len > size - i)
			len = size - i;
		rc = phone_bip_command(b, data + i, len, tr, sizeof(tr), &tr_len);
		if (rc != 0 && rc != -EINVAL)
			die("an unexpected result");
		if (rc == 0) {
			if (tr_len < 12 || tr_len > sizeof(tr))
				die("a TERMINAL RESPONSE of a bad size");
			if (tr[0] != 0x81 || tr[1] != 3 || memcmp(tr + 5, "\x82\x02\x82\x81\x83", 5))
				die("a TERMINAL RESPONSE without its heading TLVs");
		} else if (tr_len) {
			die("a TERMINAL RESPONSE for a refused command");
		}
		i += len;
	}
	phone_bip_free(b);
	return 0;
}
