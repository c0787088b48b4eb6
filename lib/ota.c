/* Secured command packets and proofs of receipt (TS 102 225 / TS 31.115); the layout is in include/simpki/ota.h. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include <simpki/crc32.h>
#include <simpki/ota.h>

#include "ota_crypto.h"

#define HDR_LEN 10    /* CPL(2) CHL SPI(2) KIc KID TAR(3) */
#define SEC_HDR 6     /* CNTR(5) PCNTR */
#define POR_HDR 6     /* RPL(2) RHL TAR(3) */
#define POR_SEC_HDR 7 /* CNTR(5) PCNTR STS */

static const uint8_t udh_por[3] = { 0x02, 0x71, 0x00 };

void ota_spi_decode(const uint8_t spi[2], struct ota_spi *out)
{
	out->integrity = spi[0] & 0x03;
	out->ciphered = spi[0] & 0x04;
	out->counter = (spi[0] >> 3) & 0x03;
	out->por = spi[1] & 0x03;
	out->por_integrity = (spi[1] >> 2) & 0x03;
	out->por_ciphered = spi[1] & 0x10;
	out->por_in_submit = spi[1] & 0x20;
}

void ota_spi_encode(const struct ota_spi *spi, uint8_t out[2])
{
	out[0] = (uint8_t)(spi->integrity | (spi->ciphered ? 0x04 : 0) | spi->counter << 3);
	out[1] = (uint8_t)(spi->por | spi->por_integrity << 2 | (spi->por_ciphered ? 0x10 : 0) |
			   (spi->por_in_submit ? 0x20 : 0));
}

static void put_cntr(uint8_t *p, uint64_t c)
{
	for (int i = 4; i >= 0; i--) {
		p[i] = (uint8_t)c;
		c >>= 8;
	}
}

static uint64_t get_cntr(const uint8_t *p)
{
	uint64_t c = 0;

	for (int i = 0; i < 5; i++)
		c = c << 8 | p[i];
	return c;
}

/* Length of the RC/CC/DS field for an integrity choice and key set. \returns it; -ENOTSUP; -EINVAL */
static int sig_len(enum ota_integrity integrity, uint8_t kid, const struct ota_keyset *ks)
{
	switch (integrity) {
	case OTA_NONE:
		return 0;
	case OTA_RC:
		return (kid & 0x0f) == OTA_RC_CRC32 ? 4 : -ENOTSUP;
	case OTA_CC:
		if (!ota_ks_has_cc(ks, kid & 0x0f))
			return -EINVAL;
		if ((kid & 0x0f) != OTA_ALGO_AES)
			return 8;
		return (int)ota_ks_cc_len(ks);
	default:
		return -ENOTSUP; /* digital signatures (DS) are not used by SIM OTA platforms here */
	}
}

/* RC or CC over \a in into \a out (\a n bytes). */
static int compute_sig(enum ota_integrity integrity, struct ota_keyset *ks, const uint8_t *in, size_t len, uint8_t *out,
		       int n)
{
	if (integrity == OTA_RC) {
		uint32_t crc = crc32_update(0, in, len);

		out[0] = (uint8_t)(crc >> 24);
		out[1] = (uint8_t)(crc >> 16);
		out[2] = (uint8_t)(crc >> 8);
		out[3] = (uint8_t)crc;
		return 0;
	}
	return ota_ks_cc(ks, in, len, out, (size_t)n);
}

/* Block size for ciphering with this KIc, or -EINVAL. */
static int cipher_block(uint8_t kic, const struct ota_keyset *ks)
{
	size_t b = ota_ks_block(ks, kic & 0x0f);

	return b ? (int)b : -EINVAL;
}

int ota_command_encode(const struct ota_command *cmd, struct ota_keyset *ks, uint8_t *out, size_t max)
{
	uint8_t work[OTA_MAX_PACKET];
	int sl = sig_len(cmd->spi.integrity, cmd->kid, ks), block = 1, rc;
	size_t sec, pad = 0, cpl, total, n = 0;

	if (sl < 0)
		return sl;
	if (cmd->spi.ciphered && (block = cipher_block(cmd->kic, ks)) < 0)
		return block;
	if (cmd->data_len > OTA_MAX_PACKET)
		return -E2BIG;
	sec = SEC_HDR + (size_t)sl + cmd->data_len;
	if (cmd->spi.ciphered)
		pad = (size_t)(block - (int)(sec % (size_t)block)) % (size_t)block;
	cpl = HDR_LEN - 2 + sec + pad;
	total = 2 + cpl;
	if (cpl > 0xffff || total > OTA_MAX_PACKET)
		return -E2BIG;
	if (total > max)
		return -E2BIG;
	/* the packet without its RC/CC field: what the checksum covers */
	work[n++] = (uint8_t)(cpl >> 8);
	work[n++] = (uint8_t)cpl;
	work[n++] = (uint8_t)(13 + sl);
	ota_spi_encode(&cmd->spi, work + n);
	n += 2;
	work[n++] = cmd->kic;
	work[n++] = cmd->kid;
	memcpy(work + n, cmd->tar, 3);
	n += 3;
	put_cntr(work + n, cmd->cntr);
	work[n + 5] = (uint8_t)pad;
	n += SEC_HDR;
	if (cmd->data_len)
		memcpy(work + n, cmd->data, cmd->data_len);
	memset(work + n + cmd->data_len, 0, pad);
	n += cmd->data_len + pad;

	memcpy(out, work, HDR_LEN + SEC_HDR);
	rc = sl ? compute_sig(cmd->spi.integrity, ks, work, n, out + HDR_LEN + SEC_HDR, sl) : 0;
	if (!rc) {
		memcpy(out + HDR_LEN + SEC_HDR + sl, work + HDR_LEN + SEC_HDR, cmd->data_len + pad);
		if (cmd->spi.ciphered)
			rc = ota_ks_cbc(ks, true, out + HDR_LEN, total - HDR_LEN);
	}
	OPENSSL_cleanse(work, n);
	return rc ? rc : (int)total;
}

int ota_command_encode_keys(const struct ota_command *cmd, const struct ota_keys *keys, uint8_t *out, size_t max)
{
	struct ota_keys k = *keys;
	struct ota_keyset *ks;
	int rc;

	/* only the keys this packet uses, so that one it does not use may be anything */
	if (!cmd->spi.ciphered)
		k.kic_len = 0;
	if (cmd->spi.integrity != OTA_CC)
		k.kid_len = 0;
	rc = ota_keyset_new(cmd->kic, cmd->kid, &k, &ks);
	OPENSSL_cleanse(&k, sizeof(k));
	if (rc)
		return rc;
	rc = ota_command_encode(cmd, ks, out, max);
	ota_keyset_free(ks);
	return rc;
}

const char *ota_por_status_name(uint8_t status)
{
	static const char *const names[] = {
		"PoR OK",
		"RC/CC/DS failed",
		"counter low",
		"counter high",
		"counter blocked",
		"ciphering error",
		"unidentified security error",
		"insufficient memory",
		"more time",
		"TAR unknown",
		"insufficient security level",
		"response by SMS-SUBMIT",
		"response by USSD",
	};

	return status < sizeof(names) / sizeof(names[0]) ? names[status] : "reserved";
}

int ota_command_peek(const uint8_t *pkt, size_t len, struct ota_command *cmd)
{
	size_t cpl;

	memset(cmd, 0, sizeof(*cmd));
	if (len < HDR_LEN)
		return -EBADMSG;
	cpl = (size_t)(pkt[0] << 8 | pkt[1]);
	if (cpl != len - 2 || pkt[2] < 13 || (size_t)pkt[2] + 3 > len)
		return -EBADMSG;
	ota_spi_decode(pkt + 3, &cmd->spi);
	cmd->kic = pkt[5];
	cmd->kid = pkt[6];
	memcpy(cmd->tar, pkt + 7, 3);
	return 0;
}

int ota_command_decode(const uint8_t *pkt, size_t len, struct ota_keyset *ks, struct ota_command *cmd, uint8_t *work)
{
	uint8_t want[8], calc[8];
	int sl, block, rc;
	size_t sec, pcntr;

	if (ota_command_peek(pkt, len, cmd))
		return -EBADMSG;
	if (len > OTA_MAX_PACKET)
		return OTA_POR_INSUFFICIENT_MEMORY;
	sl = pkt[2] - 13;
	if ((sl != 0 && sl != 4 && sl != 8) || sig_len(cmd->spi.integrity, cmd->kid, ks) != sl)
		return OTA_POR_UNIDENTIFIED_SECURITY_ERROR; /* the header and the key set disagree on the checksum */
	sec = len - HDR_LEN;
	if (sec < SEC_HDR + (size_t)sl)
		return OTA_POR_UNIDENTIFIED_SECURITY_ERROR;
	memcpy(work, pkt, len);
	if (cmd->spi.ciphered) {
		block = cipher_block(cmd->kic, ks);
		if (block < 0 || sec % (size_t)block || ota_ks_cbc(ks, false, work + HDR_LEN, sec))
			return OTA_POR_CIPHERING_ERROR;
	}
	pcntr = work[HDR_LEN + 5];
	if (pcntr > sec - SEC_HDR - (size_t)sl)
		return OTA_POR_CIPHERING_ERROR;
	if (!cmd->spi.ciphered && pcntr)
		return OTA_POR_UNIDENTIFIED_SECURITY_ERROR; /* padding without ciphering */
	cmd->cntr = get_cntr(work + HDR_LEN);
	cmd->pcntr = (uint8_t)pcntr;
	cmd->data = work + HDR_LEN + SEC_HDR;
	cmd->data_len = sec - SEC_HDR - (size_t)sl - pcntr;
	if (sl) {
		/* the checksum covers the packet without its own field: move it out, compute, compare */
		memcpy(want, work + HDR_LEN + SEC_HDR, (size_t)sl);
		memmove(work + HDR_LEN + SEC_HDR, work + HDR_LEN + SEC_HDR + sl, sec - SEC_HDR - (size_t)sl);
		rc = compute_sig(cmd->spi.integrity, ks, work, len - (size_t)sl, calc, sl);
		if (rc || CRYPTO_memcmp(want, calc, (size_t)sl))
			return OTA_POR_RC_CC_DS_FAILED;
	}
	return OTA_POR_OK;
}

int ota_response_encode(const struct ota_command *cmd, const struct ota_response *rsp, struct ota_keyset *ks,
			uint8_t *out, size_t max)
{
	uint8_t work[OTA_MAX_PACKET];
	int sl = sig_len(cmd->spi.por_integrity, cmd->kid, ks), block = 1, rc;
	size_t sec, pad = 0, rpl, total, n = 0, body;

	if (sl < 0)
		return sl;
	if (cmd->spi.por_ciphered && (block = cipher_block(cmd->kic, ks)) < 0)
		return block;
	if (rsp->data_len > OTA_MAX_PACKET)
		return -E2BIG;
	sec = POR_SEC_HDR + (size_t)sl + rsp->data_len;
	if (cmd->spi.por_ciphered)
		pad = (size_t)(block - (int)(sec % (size_t)block)) % (size_t)block;
	rpl = 4 + sec + pad;
	total = sizeof(udh_por) + 2 + rpl;
	if (rpl > 0xffff || total > OTA_MAX_PACKET || total > max)
		return -E2BIG;
	memcpy(work, udh_por, sizeof(udh_por));
	n = sizeof(udh_por);
	work[n++] = (uint8_t)(rpl >> 8);
	work[n++] = (uint8_t)rpl;
	work[n++] = (uint8_t)(10 + sl);
	memcpy(work + n, rsp->tar, 3);
	n += 3;
	put_cntr(work + n, rsp->cntr);
	work[n + 5] = (uint8_t)pad;
	work[n + 6] = rsp->status;
	n += POR_SEC_HDR;
	if (rsp->data_len)
		memcpy(work + n, rsp->data, rsp->data_len);
	memset(work + n + rsp->data_len, 0, pad);
	n += rsp->data_len + pad;

	body = sizeof(udh_por) + POR_HDR; /* where the secured part starts */
	memcpy(out, work, body + POR_SEC_HDR);
	if (sl && (rc = compute_sig(cmd->spi.por_integrity, ks, work, n, out + body + POR_SEC_HDR, sl)))
		return rc;
	memcpy(out + body + POR_SEC_HDR + sl, work + body + POR_SEC_HDR, rsp->data_len + pad);
	if (cmd->spi.por_ciphered && (rc = ota_ks_cbc(ks, true, out + body, total - body)))
		return rc;
	return (int)total;
}

int ota_response_decode(const uint8_t *ud, size_t len, const struct ota_command *cmd, struct ota_keyset *ks,
			struct ota_response *rsp, bool *cc_ok, uint8_t *work)
{
	const size_t body = sizeof(udh_por) + POR_HDR;
	uint8_t got[8], calc[8];
	int sl, block, expected;
	size_t sec, rpl, pcntr;
	bool unsecured;

	memset(rsp, 0, sizeof(*rsp));
	*cc_ok = false;
	if (len < body + POR_SEC_HDR || len > OTA_MAX_PACKET || memcmp(ud, udh_por, sizeof(udh_por)))
		return -EBADMSG;
	rpl = (size_t)(ud[3] << 8 | ud[4]);
	if (rpl != len - sizeof(udh_por) - 2 || ud[5] < 10)
		return -EBADMSG;
	sl = ud[5] - 10;
	memcpy(rsp->tar, ud + 6, 3);
	sec = len - body;
	if ((sl != 0 && sl != 4 && sl != 8) || sec < POR_SEC_HDR + (size_t)sl)
		return -EBADMSG;
	memcpy(work, ud, len);
	expected = sig_len(cmd->spi.por_integrity, cmd->kid, ks);
	block = cipher_block(cmd->kic, ks);
	/* a card answers a security error with an unsecured PoR: no checksum where one was asked for, or (when none
	 * was) a body that cannot be ciphertext. Such a PoR is read in the clear, and never counts as verified. */
	unsecured = sl == 0 && (expected > 0 || (cmd->spi.por_ciphered && block > 0 && sec % (size_t)block));
	if (cmd->spi.por_ciphered && !unsecured) {
		if (block < 0 || sec % (size_t)block || ota_ks_cbc(ks, false, work + body, sec))
			return -EBADMSG;
	}
	pcntr = work[body + 5];
	if (pcntr > sec - POR_SEC_HDR - (size_t)sl)
		return -EBADMSG;
	rsp->cntr = get_cntr(work + body);
	rsp->status = work[body + 6];
	/* verified only with exactly the checksum the command's SPI asked for: a PoR without one when one was asked
	 * for is not "nothing to check" but a failed check */
	*cc_ok = sl == 0 && expected == 0 && !unsecured;
	if (sl && sl == expected) {
		memcpy(got, work + body + POR_SEC_HDR, (size_t)sl);
		memmove(work + body + POR_SEC_HDR, work + body + POR_SEC_HDR + sl, sec - POR_SEC_HDR - (size_t)sl);
		*cc_ok = !compute_sig(cmd->spi.por_integrity, ks, work, len - (size_t)sl, calc, sl) &&
			 !CRYPTO_memcmp(got, calc, (size_t)sl);
	}
	rsp->data = work + body + POR_SEC_HDR;
	rsp->data_len = sec - POR_SEC_HDR - (size_t)sl - pcntr;
	rsp->pcntr = (uint8_t)pcntr;
	return 0;
}
