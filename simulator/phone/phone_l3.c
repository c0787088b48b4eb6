/* Reading PAGING, LOCATION UPDATING ACCEPT and TMSI REALLOCATION COMMAND (formats in phone_l3.h). */
#include <errno.h>
#include <string.h>

#include <osmocom/gsm/gsm0808.h>
#include <osmocom/gsm/gsm48.h>
#include <osmocom/gsm/protocol/gsm_04_08.h>

#include "phone_l3.h"

int phone_l3_paging_imsi(const uint8_t *ies, size_t len, char *imsi)
{
	struct osmo_mobile_identity mi;
	struct tlv_parsed tp;

	if (len > 255)
		return -EBADMSG;
	/* libosmocore's tlv_parse may stop at an IE it does not know; the IMSI comes first */
	osmo_bssap_tlv_parse(&tp, ies, (int)len);
	if (!TLVP_PRESENT(&tp, GSM0808_IE_IMSI) ||
	    osmo_mobile_identity_decode(&mi, TLVP_VAL(&tp, GSM0808_IE_IMSI), TLVP_LEN(&tp, GSM0808_IE_IMSI), false) ||
	    mi.type != GSM_MI_TYPE_IMSI)
		return -EBADMSG;
	memcpy(imsi, mi.imsi, 16);
	imsi[15] = 0;
	return 0;
}

static int mi_tmsi(const uint8_t *v, size_t len, uint32_t *tmsi)
{
	struct osmo_mobile_identity mi;

	if (len > 255 || osmo_mobile_identity_decode(&mi, v, (uint8_t)len, false) || mi.type != GSM_MI_TYPE_TMSI)
		return -EBADMSG;
	*tmsi = mi.tmsi;
	return 0;
}

int phone_l3_lu_accept_tmsi(const uint8_t *data, size_t len, uint32_t *tmsi)
{
	size_t off = 5; /* LAI */

	if (len < 5)
		return -EBADMSG;
	while (off < len) {
		uint8_t iei = data[off];

		if ((iei & 0x80)) { /* type 1 and 2: one byte (follow-on proceed, CTS permission) */
			off++;
			continue;
		}
		if (off + 2 > len || off + 2 + data[off + 1] > len)
			return -EBADMSG;
		if (iei == GSM48_IE_MOBILE_ID)
			return mi_tmsi(data + off + 2, data[off + 1], tmsi) ? 0 : 1; /* an IMSI: no TMSI (any more) */
		off += 2 + (size_t)data[off + 1];
	}
	return 0;
}

int phone_l3_tmsi_realloc(const uint8_t *data, size_t len, uint32_t *tmsi)
{
	if (len < 6 || 6 + (size_t)data[5] > len)
		return -EBADMSG;
	return mi_tmsi(data + 6, data[5], tmsi);
}
