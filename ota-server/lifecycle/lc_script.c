/* The replacement certificate's over-the-air script (lc_script.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <simpki/apdu.h>
#include <simpki/pki_applet.h>
#include <simpki/pkcs15.h>
#include <simpki/rapdu.h>

#include "enrol_script.h"
#include "lc_script.h"

/* as enrol_script.c's certificate files: read free, write and delete under the PIN or the issuer's authority */
static const uint8_t acl_object[8] = { 0xff, 0x90, 0xff, 0xff, 0xff, 0xff, 0x90, 0x00 };

static struct apdu_cmd cmd(uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc)
{
	return (struct apdu_cmd){ .ins = ins,
				  .p1 = p1,
				  .p2 = p2,
				  .data = lc ? data : NULL,
				  .lc = (uint32_t)lc,
				  .kase = lc ? APDU_CASE_3 : APDU_CASE_1 };
}

size_t lc_replace_commands(size_t len, bool delete_first)
{
	return (delete_first ? 4 : 3) + (len + ENROL_CHUNK - 1) / ENROL_CHUNK;
}

int lc_script_replace(uint16_t fid, const uint8_t *der, size_t len, bool delete_first, uint8_t *out, size_t max)
{
	static const uint8_t app[2] = { P15_FID_APP >> 8, P15_FID_APP & 0xff };
	uint8_t fidb[2] = { (uint8_t)(fid >> 8), (uint8_t)fid }, fci[23];
	struct apdu_cmd c[RAPDU_MAX_COMMANDS];
	size_t n = 0;
	int rc;

	if (!len || len > ENROL_CERT_MAX || fid < P15_FID_CERT_FIRST)
		return -EINVAL;
	if (lc_replace_commands(len, delete_first) > RAPDU_MAX_COMMANDS)
		return -E2BIG;
	memcpy(fci,
	       (const uint8_t[]){ 0x6f, 0x15, 0x81, 0x02, (uint8_t)(len >> 8), (uint8_t)len, 0x82, 0x01, 0x01, 0x83,
				  0x02, fidb[0], fidb[1], 0x86, 0x08 },
	       15);
	memcpy(fci + 15, acl_object, 8);
	if (delete_first)
		c[n++] = cmd(PKI_INS_DELETE_FILE, 0, 0, fidb, 2);
	c[n++] = cmd(PKI_INS_SELECT, 0x00, 0x0c, app, 2);
	c[n++] = cmd(PKI_INS_CREATE_FILE, 0, 0, fci, sizeof(fci));
	c[n++] = cmd(PKI_INS_SELECT, 0x00, 0x0c, fidb, 2);
	for (size_t off = 0; off < len; off += ENROL_CHUNK) {
		size_t k = len - off < ENROL_CHUNK ? len - off : ENROL_CHUNK;

		c[n++] = cmd(PKI_INS_UPDATE_BINARY, (uint8_t)(off >> 8), (uint8_t)off, der + off, k);
	}
	rc = rapdu_expanded_encode(c, n, out, max);
	return rc == -EINVAL ? -EINVAL : rc < 0 ? -E2BIG : rc;
}

int lc_replace_parse(const uint8_t *rsp, size_t len, size_t cert_len, bool delete_first, char *why, size_t whylen)
{
	struct rapdu_result r[RAPDU_MAX_COMMANDS];
	size_t n;

	if (rapdu_expanded_results(rsp, len, r, RAPDU_MAX_COMMANDS, &n) || !n) {
		snprintf(why, whylen, "the PoR's script response does not parse");
		return -EIO;
	}
	if (delete_first && r[0].sw == 0x6a82) {
		snprintf(why, whylen, "the certificate's file is not on the SIM");
		return -ENOENT;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].sw != 0x9000) {
			snprintf(why, whylen, "command %zu of the replace script answered %04X%s", i + 1, r[i].sw,
				 r[i].sw == 0x6a84 ? " (the card's memory is full)" : "");
			return -EIO;
		}
	}
	if (n != lc_replace_commands(cert_len, delete_first)) {
		snprintf(why, whylen, "%zu of the replace script's %zu commands ran", n,
			 lc_replace_commands(cert_len, delete_first));
		return -EIO;
	}
	return 0;
}
