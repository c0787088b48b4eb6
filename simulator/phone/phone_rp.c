/* RP parsing and SMS-DELIVER-REPORT building for simulated phones; the format is in phone_rp.h. */
#include <errno.h>
#include <string.h>

#include "phone_rp.h"

#define RP_DATA_MT 0x01
#define RP_ACK_MT 0x03
#define RP_ERROR_MT 0x05
#define RP_IE_USER_DATA 0x41

/* An optional RP-User Data IE at b[*off]. */
static int opt_ud(const uint8_t *b, size_t len, size_t off, struct phone_rp *rp)
{
	if (off == len)
		return 0;
	if (off + 2 > len || b[off] != RP_IE_USER_DATA || off + 2 + b[off + 1] > len || b[off + 1] > PHONE_RP_UD_MAX)
		return -EBADMSG;
	rp->ud = b + off + 2;
	rp->ud_len = b[off + 1];
	return 0;
}

int phone_rp_parse(const uint8_t *b, size_t len, struct phone_rp *rp)
{
	size_t off = 2, l;

	memset(rp, 0, sizeof(*rp));
	if (len < 2)
		return -EBADMSG;
	rp->type = b[0] & 0x07;
	rp->ref = b[1];
	switch (rp->type) {
	case RP_DATA_MT:
		if (off >= len || (l = b[off]) < 1 || l > PHONE_RP_ADDR_MAX || off + 1 + l > len)
			return -EBADMSG;
		memcpy(rp->oa, b + off + 1, l);
		rp->oa_len = (uint8_t)l;
		off += 1 + l;
		if (off >= len || (l = b[off]) > PHONE_RP_ADDR_MAX || off + 1 + l > len)
			return -EBADMSG;
		off += 1 + l;
		if (off >= len || (l = b[off]) < 1 || l > PHONE_RP_UD_MAX || off + 1 + l != len)
			return -EBADMSG;
		rp->ud = b + off + 1;
		rp->ud_len = l;
		return 0;
	case RP_ACK_MT:
		return opt_ud(b, len, off, rp);
	case RP_ERROR_MT:
		if (off >= len || (l = b[off]) < 1 || l > 2 || off + 1 + l > len)
			return -EBADMSG;
		rp->cause = b[off + 1] & 0x7f;
		return opt_ud(b, len, off + 1 + l, rp);
	default:
		return -ENOTSUP;
	}
}

int phone_rp_deliver_pid(const uint8_t *tpdu, size_t len)
{
	size_t off;

	if (len < 2 || (tpdu[0] & 0x03) != 0x00 || tpdu[1] > 20)
		return -EBADMSG;
	off = 3 + (tpdu[1] + 1) / 2; /* first octet, TP-OA: digits count, TON/NPI, BCD */
	if (off >= len)
		return -EBADMSG;
	return tpdu[off];
}

int phone_rp_deliver_report(uint8_t fcs, bool udhi, const uint8_t *ud, size_t ud_len, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (ud_len > 158 || 6 + ud_len > max)
		return -E2BIG;
	out[n++] = udhi ? 0x40 : 0x00;
	if (fcs)
		out[n++] = fcs;
	out[n++] = ud_len ? 0x07 : 0x03; /* TP-PI: PID, DCS (and UDL when there is user data) */
	out[n++] = 0x7f;
	out[n++] = 0xf6;
	if (ud_len) {
		out[n++] = (uint8_t)ud_len;
		memcpy(out + n, ud, ud_len);
		n += ud_len;
	}
	return (int)n;
}
