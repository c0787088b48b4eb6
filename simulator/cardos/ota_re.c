/* The OTA receiving entity: ENVELOPE (SMS-PP download) to PoR. The order of checks and what each failure answers
 * are in ota_re.h. Deciphered data is wiped from the work buffers before the envelope returns; keys stay in NVM and,
 * keyed into the codec's key sets, in the cache ota_config.c keeps (struct ota_re_keyset).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <simpki/card_sw.h>
#include <simpki/tlv.h>

#include "admin_agent.h"
#include "os_internal.h"
#include "ota_re.h"

#define HDR_LEN 10 /* CPL CHL SPI KIc KID TAR: what a PoR needs to be addressed */
#define TAG_SMS_PP_DOWNLOAD 0xd1
#define MAX_IES 16

struct ota_re *ota_re_new(void)
{
	struct ota_re *re = calloc(1, sizeof(struct ota_re));

	if (re) {
		re->agent = admin_agent_new();
		if (!re->agent) {
			free(re);
			return NULL;
		}
	}
	return re;
}

void ota_re_free(struct ota_re *re)
{
	if (!re)
		return;
	ota_config_keysets_drop(re);
	admin_agent_free(re->agent);
	OPENSSL_cleanse(re, sizeof(*re));
	free(re);
}

void ota_re_reset(struct ota_re *re)
{
	re->concat = false;
	re->have = 0;
	re->pro_n = re->pro_next = 0;
	re->pro_fetched = false;
	re->last_len = 0;
	re->pro_applet = false;
	tk_drop(re);
	admin_agent_reset(re->agent);
	ota_config_keysets_drop(re);
}

/* ---- keys and counters ------------------------------------------------------------------------------------- */

/* Whether a KIc/KID algorithm nibble belongs to the key set's algorithm family (1 3DES, 2 AES). */
static bool family_ok(uint8_t algo_nibble, uint8_t alg)
{
	if ((algo_nibble & 0x03) == 0x01)
		return alg == MANIFEST_OTA_3DES && (algo_nibble & 0x0c) != 0x00 && (algo_nibble & 0x0c) != 0x0c;
	if ((algo_nibble & 0x03) == 0x02)
		return alg == MANIFEST_OTA_AES && (algo_nibble & 0x0c) == 0x00;
	return false;
}

/* The key set of the version \a octet names, if its algorithm family is the one \a octet's nibble names.
 * \returns its index; -ENOENT */
static int find_set(const struct nvm *n, uint8_t octet)
{
	int set = ota_config_keyset(n, octet >> 4);

	return set >= 0 && family_ok(octet & 0x0f, ota_config_alg(n, set)) ? set : -ENOENT;
}

/* The key set for what the header names, for the packet and for its PoR: a PoR that must be ciphered or carry a CC
 * needs its key even when the packet itself had none (else its data would leave in the clear). *ks: NULL when no
 * key is needed; one kept in re (ota_config_keyset_get()), or, for a packet whose KIc and KID name two key sets,
 * *tmp, made for this packet (the caller frees it). *cset is the key set that keeps the counter (-1: none).
 * \returns 0 or a PoR status */
static int load_keys(struct ota_re *re, const struct nvm *n, const struct ota_command *h, uint8_t chl,
		     struct ota_keyset **ks, struct ota_keyset **tmp, int *cset)
{
	bool por = h->spi.por != OTA_POR_NONE;
	int kic_set = -1, kid_set = -1;
	uint8_t cc_len = 8;

	*cset = -1;
	*ks = *tmp = NULL;
	if (h->spi.integrity == OTA_DS || (por && h->spi.por_integrity == OTA_DS))
		return OTA_POR_UNIDENTIFIED_SECURITY_ERROR; /* digital signatures are not made or verified here */
	if (h->spi.ciphered || (por && h->spi.por_ciphered)) {
		kic_set = find_set(n, h->kic);
		if (kic_set < 0)
			return OTA_POR_UNIDENTIFIED_SECURITY_ERROR;
		if (h->spi.ciphered)
			*cset = kic_set;
	}
	if (h->spi.integrity == OTA_CC || (por && h->spi.por_integrity == OTA_CC)) {
		kid_set = find_set(n, h->kid);
		if (kid_set < 0)
			return OTA_POR_UNIDENTIFIED_SECURITY_ERROR;
		if (h->spi.integrity == OTA_CC)
			*cset = kid_set;
		cc_len = ota_config_alg(n, kid_set) == MANIFEST_OTA_AES && chl == 13 + 4 ? 4 : 8;
	}
	if ((h->spi.counter == OTA_CNTR_HIGHER || h->spi.counter == OTA_CNTR_PLUS_ONE) && *cset < 0)
		return OTA_POR_UNIDENTIFIED_SECURITY_ERROR; /* no key set to keep the counter */
	if (kic_set < 0 && kid_set < 0)
		return OTA_POR_OK; /* nothing ciphered, no CC */
	if (kic_set >= 0 && kid_set >= 0 && kic_set != kid_set)
		*ks = *tmp = ota_config_keyset_make(n, kic_set, kid_set, cc_len);
	else
		*ks = ota_config_keyset_get(re, n, kic_set >= 0 ? kic_set : kid_set, cc_len);
	return *ks ? OTA_POR_OK : OTA_POR_UNIDENTIFIED_SECURITY_ERROR;
}

static int check_counter(const struct nvm *n, const struct ota_command *cmd, int cset)
{
	uint64_t stored;

	if (cmd->spi.counter != OTA_CNTR_HIGHER && cmd->spi.counter != OTA_CNTR_PLUS_ONE)
		return OTA_POR_OK;
	stored = ota_config_counter(n, cset);
	if (stored == OTA_CNTR_MAX)
		return OTA_POR_CNTR_BLOCKED;
	if (cmd->cntr <= stored)
		return OTA_POR_CNTR_LOW;
	if (cmd->spi.counter == OTA_CNTR_PLUS_ONE && cmd->cntr != stored + 1)
		return OTA_POR_CNTR_HIGH;
	return OTA_POR_OK;
}

/* ---- PoR ----------------------------------------------------------------------------------------------------- */

/* Build the PoR and put it where the SPI says (as SEND SHORT MESSAGE, whatever it says, when \a by_sms).
 * \returns the envelope's SW */
static int send_por_to(struct card_os *os, const struct ota_command *cmd, struct ota_keyset *ks, bool secured,
		       int status, size_t data_len, const struct sms_addr *oa, uint8_t *out, size_t *out_len,
		       bool by_sms)
{
	struct ota_re *re = os->ota;
	struct ota_command pc = *cmd;
	struct ota_response rsp = { .cntr = secured ? cmd->cntr : 0, .status = (uint8_t)status };
	int len = -EINVAL;

	if (cmd->spi.por == OTA_POR_NONE || (cmd->spi.por == OTA_POR_ON_ERROR && status == OTA_POR_OK))
		return SW_OK;
	memcpy(rsp.tar, cmd->tar, 3);
	rsp.data = re->data;
	rsp.data_len = status == OTA_POR_OK ? data_len : 0;
	if (secured)
		len = ota_response_encode(&pc, &rsp, ks, re->por, sizeof(re->por));
	if (len < 0) {
		/* unsecured, because the packet's security did not hold: a status, never data */
		pc.spi.por_integrity = pc.spi.por_integrity == OTA_RC ? OTA_RC : OTA_NONE;
		pc.spi.por_ciphered = false;
		if (secured) {
			rsp.status = OTA_POR_INSUFFICIENT_MEMORY; /* the secured PoR did not fit */
			rsp.cntr = 0;
		}
		rsp.data_len = 0;
		len = ota_response_encode(&pc, &rsp, ks, re->por, sizeof(re->por));
	}
	if (len < 0)
		return SW_UNKNOWN;
	if (!by_sms && !cmd->spi.por_in_submit && len <= OTA_RE_ENVELOPE_RESP_MAX) {
		memcpy(out, re->por, (size_t)len);
		*out_len = (size_t)len;
		return SW_OK;
	}
	return proactive_queue_por(re, oa, re->por, (size_t)len) ? SW_UNKNOWN : SW_OK;
}

static int send_por(struct card_os *os, const struct ota_command *cmd, struct ota_keyset *ks, bool secured, int status,
		    size_t data_len, const struct sms_addr *oa, uint8_t *out, size_t *out_len)
{
	return send_por_to(os, cmd, ks, secured, status, data_len, oa, out, out_len, false);
}

/* ---- one secured packet --------------------------------------------------------------------------------------- */

static int secured_packet(struct card_os *os, const uint8_t *pkt, size_t len, bool too_long, const struct sms_addr *oa,
			  uint8_t *out, size_t *out_len)
{
	struct ota_re *re = os->ota;
	struct ota_command cmd, peeked;
	struct ota_target tgt;
	struct ota_keyset *ks = NULL, *tmp = NULL;
	bool secured = false;
	int status, cset = -1, rc;
	size_t data_len = 0;

	if (len < HDR_LEN)
		return SW_WRONG_DATA;
	memset(&cmd, 0, sizeof(cmd));
	ota_spi_decode(pkt + 3, &cmd.spi);
	cmd.kic = pkt[5];
	cmd.kid = pkt[6];
	memcpy(cmd.tar, pkt + 7, 3);

	if (too_long) {
		status = OTA_POR_INSUFFICIENT_MEMORY;
	} else if (ota_command_peek(pkt, len, &peeked)) {
		status = OTA_POR_UNIDENTIFIED_SECURITY_ERROR; /* CPL or CHL do not match the packet */
	} else if (ota_config_target(os->nvm, cmd.tar, &tgt)) {
		status = OTA_POR_TAR_UNKNOWN;
	} else if (!ota_msl_met(pkt[3], tgt.msl)) {
		status = OTA_POR_INSUFFICIENT_SECURITY_LEVEL;
	} else {
		status = load_keys(re, os->nvm, &cmd, pkt[2], &ks, &tmp, &cset);
		if (status == OTA_POR_OK) {
			status = ota_command_decode(pkt, len, ks, &cmd, re->work);
			if (status < 0)
				status = OTA_POR_UNIDENTIFIED_SECURITY_ERROR;
		}
		if (status == OTA_POR_OK) {
			secured = true;
			status = check_counter(os->nvm, &cmd, cset);
		}
	}
	if (status == OTA_POR_OK && (cmd.spi.counter == OTA_CNTR_HIGHER || cmd.spi.counter == OTA_CNTR_PLUS_ONE)) {
		/* committed before the script runs: a replay is refused even if the script fails or power is lost */
		if (ota_config_set_counter(os->nvm, cset, cmd.cntr)) {
			rc = -EIO;
			goto out;
		}
	}
	if (status == OTA_POR_OK && tgt.toolkit) {
		rc = tk_download(os, &tgt, &cmd, pkt[2], oa);
		if (rc == 0)
			rc = SW_OK; /* the applet answers later: the PoR waits for its reply */
		if (rc != 1)
			goto out;
		data_len = re->tk.reply_len;
	} else if (status == OTA_POR_OK && tgt.admin) {
		status = admin_agent_push(os, cmd.data, cmd.data_len);
	} else if (status == OTA_POR_OK) {
		rc = ota_exec_script(os, &tgt, cmd.data, cmd.data_len);
		if (rc < 0)
			goto out;
		data_len = (size_t)rc;
	}
	rc = send_por(os, &cmd, ks, secured, status, data_len, oa, out, out_len);
out:
	ota_keyset_free(tmp);
	OPENSSL_cleanse(re->work, sizeof(re->work));
	return rc;
}

int ota_re_tk_por(struct card_os *os, uint8_t *out, size_t *out_len)
{
	struct ota_re *re = os->ota;
	struct ota_keyset *ks = NULL, *tmp = NULL;
	int cset, status, rc;

	status = load_keys(re, os->nvm, &re->tk.cmd, re->tk.chl, &ks, &tmp, &cset);
	rc = send_por_to(os, &re->tk.cmd, ks, status == OTA_POR_OK, status, re->tk.reply_len, &re->tk.oa, out, out_len,
			 out == NULL);
	ota_keyset_free(tmp);
	OPENSSL_cleanse(re->data, re->tk.reply_len);
	return rc;
}

/* ---- concatenation -------------------------------------------------------------------------------------------- */

static bool same_sender(const struct sms_addr *a, const struct sms_addr *b)
{
	return a->ton_npi == b->ton_npi && !strcmp(a->digits, b->digits) && a->alpha_len == b->alpha_len &&
	       !memcmp(a->alpha, b->alpha, (a->alpha_len + 1u) / 2);
}

static int concat_part(struct card_os *os, const struct sms_concat *cc, bool cpi, const uint8_t *payload, size_t plen,
		       const struct sms_addr *oa, uint8_t *out, size_t *out_len)
{
	struct ota_re *re = os->ota;
	uint32_t bit, all;
	size_t len = 0;
	bool too_long = false;

	if (cc->total > OTA_RE_MAX_PARTS) {
		re->concat = false;
		/* the first part carries the header: tell the sender the packet is too long for this card */
		return cc->seq == 1 && cpi ? secured_packet(os, payload, plen, true, oa, out, out_len) : SW_OK;
	}
	if (!re->concat || re->ref != cc->ref || re->total != cc->total || !same_sender(&re->oa, oa)) {
		re->concat = true;
		re->ref = cc->ref;
		re->total = cc->total;
		re->have = 0;
		re->cpi = false;
	}
	bit = 1u << (cc->seq - 1);
	if (re->have & bit)
		return SW_OK; /* a duplicate */
	memcpy(re->part[cc->seq - 1], payload, plen);
	re->part_len[cc->seq - 1] = (uint8_t)plen;
	re->cpi |= cpi;
	re->oa = *oa; /* the same sender for every part (a part from another one starts a new message) */
	re->have |= bit;
	all = cc->total == 32 ? 0xffffffffu : (1u << cc->total) - 1;
	if (re->have != all)
		return SW_OK;
	re->concat = false;
	for (unsigned i = 0; i < cc->total; i++) {
		size_t n = re->part_len[i];

		if (len + n > OTA_MAX_PACKET) {
			n = OTA_MAX_PACKET - len;
			too_long = true;
		}
		memcpy(re->pkt + len, re->part[i], n);
		len += n;
	}
	if (!re->cpi)
		return SW_WRONG_DATA;
	return secured_packet(os, re->pkt, len, too_long, &re->oa, out, out_len);
}

/* ---- ENVELOPE ------------------------------------------------------------------------------------------------- */

int ota_re_envelope(struct card_os *os, const uint8_t *d, size_t len, uint8_t *out, size_t *out_len)
{
	struct tlv env, t;
	const uint8_t *tpdu = NULL, *p;
	size_t tpdu_len = 0, left, nie, hl;
	struct sms_tpdu sms;
	struct sms_ie ies[MAX_IES];
	struct sms_concat cc;
	bool cpi = false, concat = false;

	*out_len = 0;
	if (ber_tlv_parse(d, len, &env) || env.total != len)
		return SW_WRONG_DATA;
	if (env.tag != TAG_SMS_PP_DOWNLOAD)
		return SW_FUNC_NOT_SUPPORTED;
	for (p = env.value, left = env.len; left; p += t.total, left -= t.total) {
		if (ber_tlv_parse(p, left, &t))
			return SW_WRONG_DATA;
		if ((t.tag & 0x7f) == 0x02 && t.len != 2)
			return SW_WRONG_DATA; /* device identities */
		if ((t.tag & 0x7f) == 0x0b && !tpdu) {
			tpdu = t.value;
			tpdu_len = t.len;
		}
	}
	if (!tpdu || sms_tpdu_decode(tpdu, tpdu_len, &sms) || sms.submit || !sms.udhi)
		return SW_WRONG_DATA;
	if (sms_udh_parse(sms.ud, sms.udl, ies, MAX_IES, &nie, &hl))
		return SW_WRONG_DATA;
	for (size_t i = 0; i < nie; i++) {
		cpi |= ies[i].iei == 0x70;
		concat |= ies[i].iei == 0x00 || ies[i].iei == 0x08;
	}
	if (sms_udh_concat(ies, nie, &cc))
		return concat_part(os, &cc, cpi, sms.ud + hl, sms.udl - hl, &sms.addr, out, out_len);
	if (concat)
		return SW_WRONG_DATA; /* a concatenation IE with a part number of 0 or over the total */
	if (!cpi)
		return SW_WRONG_DATA;
	return secured_packet(os, sms.ud + hl, sms.udl - hl, false, &sms.addr, out, out_len);
}
