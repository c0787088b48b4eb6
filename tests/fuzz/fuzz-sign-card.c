/* libFuzzer harness: the PKI applet's signing dialogue through the card OS's toolkit runtime, as a handset and the
 * network reach it.
 *
 * Input: a 1-byte length and that many bytes of signing request (the secured data; any bytes, a sign_msg request or
 * not), which the harness secures (AES, CC, ciphered, counter; PoR by SMS-SUBMIT) to the toolkit TAR 534947 and sends
 * as ENVELOPE SMS-PP download; then steps, each a 1-byte length and that many bytes, while a proactive command is
 * announced (91xx), the harness FETCHes it and answers with the step: a first byte with bit 7 set sends the rest as
 * the TERMINAL RESPONSE's data as is; otherwise a well-formed TERMINAL RESPONSE for the fetched command is built with
 * the general result the second byte gives (00 without one) and, for a GET INPUT, the rest as its text string with
 * DCS 04 (a PIN). When the steps run out, every command still announced is answered 00 with PIN 1234 (the right one).
 * The card (PIN 1234, a P-256 key 00) is built once per process; every input starts from a copy of its image.
 *
 * Checked: card_os_transmit() never fails; a refused TERMINAL RESPONSE (6A80, 6985) or a refused ENVELOPE (9300, 6xxx)
 * leaves the NVM byte for byte as it was; proactive commands are announced one at a time and FETCH returns what 91xx
 * announced; the dialogue ends (no more than 64 commands); after a reset nothing is pending; the card opens again from
 * its NVM. A broken invariant abort()s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simpki/card.h>
#include <simpki/hex.h>
#include <simpki/ota.h>
#include <simpki/pki_applet.h>
#include <simpki/sms.h>

#include "cardos.h"
#include "fuzz.h"

#define KIC "000102030405060708090A0B0C0D0E0F"
#define KID "101112131415161718191A1B1C1D1E1F"

static const char manifest[] = "applet pki aid F276A288BCFBA69D34F31001 ram 1024 nvm 131072 tar 504B49 msl 16\n"
			       "toolkit pki tar 534947 msl 16\n"
			       "ota-key 1 aes " KIC " " KID "\n";

static uint8_t *pristine;
static size_t pristine_len;
static uint64_t cntr = 1;

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-sign-card: %s\n", what);
	abort();
}

static uint16_t transmit(struct card_os *os, const uint8_t *cmd, size_t len, uint8_t *resp, size_t *resp_len)
{
	if (card_os_transmit(os, cmd, len, resp, CARD_RESP_MAX + 2, resp_len) || *resp_len < 2 ||
	    *resp_len > CARD_RESP_MAX + 2)
		die("card_os_transmit failed");
	return (uint16_t)(resp[*resp_len - 2] << 8 | resp[*resp_len - 1]);
}

static uint16_t apdu_hex(struct card_os *os, const char *hex)
{
	static uint8_t cmd[300], resp[CARD_RESP_MAX + 2];
	size_t n;
	int len = hex_decode(hex, cmd, sizeof(cmd));

	if (len < 4)
		die("bad APDU in the harness");
	return transmit(os, cmd, (size_t)len, resp, &n);
}

static void init(void)
{
	static const struct card_identity id = { .iccid = "8988211000000430010", .imsi = "001010000000001" };
	char err[256] = "", hex[2 * PKI_P256_PARAMS_LEN + 32];
	struct nvm_store *s;
	struct card_os *os;
	const uint8_t *img;
	uint8_t atr[33];

	if (card_os_build(manifest, &id, &s, err, sizeof(err)) || card_os_open(s, &os)) {
		fprintf(stderr, "fuzz-sign-card: %s\n", err);
		die("cannot build the card");
	}
	card_os_power_on(os, atr, sizeof(atr));
	if (apdu_hex(os, "00A404000CF276A288BCFBA69D34F31001") != 0x9000 ||
	    apdu_hex(os, "002401010431323334") != 0x9000 || apdu_hex(os, "002000010431323334") != 0x9000 ||
	    apdu_hex(os, "00224100068001EC840100") != 0x9000)
		die("cannot personalise the card");
	snprintf(hex, sizeof(hex), "0046000000%04X", PKI_P256_PARAMS_LEN);
	hex_encode(pki_p256_params, PKI_P256_PARAMS_LEN, hex + strlen(hex), sizeof(hex) - strlen(hex));
	strcat(hex, "0000");
	if (apdu_hex(os, hex) != 0x9000)
		die("cannot generate the key");
	card_os_close(os);
	img = nvm_store_image(s, &pristine_len);
	pristine = malloc(pristine_len);
	if (!pristine)
		die("out of memory");
	memcpy(pristine, img, pristine_len);
	nvm_store_free(s);
}

/* ENVELOPE SMS-PP download of a secured packet carrying \a data. \returns the SW; -1 if it does not fit one SMS */
static int download(struct card_os *os, const uint8_t *data, size_t len, uint8_t *resp)
{
	struct ota_keys k = { .kic_len = 16, .kid_len = 16 };
	uint8_t spi[2] = { 0x16, 0x39 }, ud[SMS_MAX_UD], tpdu[SMS_MAX_TPDU], cmd[5 + 255];
	struct ota_command c = {
		.kic = 0x12, .kid = 0x12, .tar = { PKI_SIGN_TAR_BYTES }, .data = data, .data_len = len
	};
	struct sms_tpdu t = { .udhi = true, .pid = 0x7f, .dcs = 0xf6, .ud = ud };
	size_t n;
	int m;

	hex_decode(KIC, k.kic, 16);
	hex_decode(KID, k.kid, 16);
	c.cntr = cntr++;
	ota_spi_decode(spi, &c.spi);
	memcpy(ud, "\x02\x70\x00", 3);
	m = ota_command_encode_keys(&c, &k, ud + 3, sizeof(ud) - 3);
	if (m < 0)
		return -1;
	t.udl = 3 + (size_t)m;
	strcpy(t.addr.digits, "1234");
	t.addr.ton_npi = 0x91;
	m = sms_tpdu_encode(&t, tpdu, sizeof(tpdu));
	if (m < 0 || m + 8 > 255)
		return -1;
	memcpy(cmd, "\x80\xc2\x00\x00", 4);
	cmd[4] = (uint8_t)(m + 8);
	cmd[5] = 0xd1;
	cmd[6] = (uint8_t)(m + 6);
	memcpy(cmd + 7, "\x82\x02\x83\x81\x8b", 5);
	cmd[12] = (uint8_t)m;
	memcpy(cmd + 13, tpdu, (size_t)m);
	return transmit(os, cmd, 13 + (size_t)m, resp, &n);
}

/* Copy the NVM image into \a out (pristine_len bytes). */
static void snapshot(struct nvm_store *s, uint8_t *out)
{
	size_t len;
	const uint8_t *img = nvm_store_image(s, &len);

	if (len != pristine_len)
		die("the NVM image changed size");
	memcpy(out, img, len);
}

static void check_unchanged(struct nvm_store *s, const uint8_t *before, uint16_t sw, const char *what)
{
	size_t len;
	const uint8_t *img = nvm_store_image(s, &len);

	if ((sw == 0x6a80 || sw == 0x6985 || sw == 0x9300) && memcmp(before, img, len))
		die(what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t resp[CARD_RESP_MAX + 2], cmd[5 + 255], cmdbuf[300];
	struct nvm_store *s;
	struct card_os *os;
	uint8_t atr[33], *before;
	size_t pos = 0, n;
	int sw, rounds = 0;

	if (!pristine)
		init();
	if (!size)
		return 0;
	before = malloc(pristine_len);
	if (!before || nvm_store_from_image(pristine, pristine_len, &s) || card_os_open(s, &os))
		die("cannot open the pristine card");
	card_os_power_on(os, atr, sizeof(atr));
	cntr = 1;
	n = data[pos++];
	if (n > size - pos)
		n = size - pos;
	sw = download(os, data + pos, n, resp);
	pos += n;
	while (sw >= 0 && (sw >> 8) == 0x91) {
		uint8_t fetch[5] = { 0x80, 0x12, 0x00, 0x00, (uint8_t)sw }, type, num, qual;
		size_t off, flen, step = 0;
		const uint8_t *st = NULL;

		if (transmit(os, fetch, sizeof(fetch), resp, &flen) != 0x9000 || flen != (size_t)(sw & 0xff) + 2 ||
		    resp[0] != 0xd0)
			die("FETCH did not return the announced proactive command");
		off = resp[1] == 0x81 ? 3 : 2;
		num = resp[off + 2];
		type = resp[off + 3];
		qual = resp[off + 4];
		if (pos < size) {
			step = data[pos++];
			if (step > size - pos)
				step = size - pos;
			st = data + pos;
			pos += step;
		}
		memcpy(cmd, "\x80\x14\x00\x00", 4);
		if (step && (st[0] & 0x80)) {
			n = step - 1;
			memcpy(cmd + 5, st + 1, n);
		} else {
			uint8_t general = step > 1 ? st[1] : 0x00;
			const uint8_t *text = step > 2 ? st + 2 : (const uint8_t *)"1234";
			size_t tl = step > 2 ? step - 2 : 4;

			memcpy(cmdbuf,
			       (const uint8_t[]){ 0x81, 0x03, num, type, qual, 0x82, 0x02, 0x82, 0x81, 0x83, 0x01 },
			       11);
			cmdbuf[11] = general;
			n = 12;
			if (type == 0x23 && general < 0x10 && tl + 1 < 128) {
				cmdbuf[n++] = 0x8d;
				cmdbuf[n++] = (uint8_t)(tl + 1);
				cmdbuf[n++] = 0x04;
				memcpy(cmdbuf + n, text, tl);
				n += tl;
			}
			memcpy(cmd + 5, cmdbuf, n);
		}
		cmd[4] = (uint8_t)n;
		snapshot(s, before);
		sw = transmit(os, cmd, 5 + n, resp, &flen);
		check_unchanged(s, before, (uint16_t)sw, "a refused TERMINAL RESPONSE changed the NVM");
		if (sw == 0x6a80 || sw == 0x6985) {
			sw = 0x9100 | fetch[4]; /* refused: the command is still announced; fetch it again */
			continue;
		}
		if (++rounds > 64)
			die("a dialogue that does not end");
		{
			/* a second download now must be refused without a change while anything waits */
			if ((sw >> 8) == 0x91 && pos < size && (data[pos] & 1)) {
				int s2;

				snapshot(s, before);
				s2 = download(os, (const uint8_t *)"\x70\x00", 2, resp);
				if (s2 != 0x9300)
					die("a download while a proactive command waits was not refused with 9300");
				check_unchanged(s, before, (uint16_t)s2, "a refused download changed the NVM");
			}
		}
	}
	card_os_power_on(os, atr, sizeof(atr)); /* reset: nothing pending */
	if (apdu_hex(os, "8012000000") != 0x6985)
		die("a proactive command survived a reset");
	card_os_close(os);
	if (card_os_open(s, &os))
		die("the card does not open again");
	card_os_close(os);
	nvm_store_free(s);
	free(before);
	return 0;
}
