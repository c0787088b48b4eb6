/* SMS-DELIVER / SMS-SUBMIT TPDUs and user data headers; formats in include/simpki/sms.h. Addresses are encoded
 * with libosmocore's gsm340_gen_oa() and decoded with osmo_bcd2str(). */
#include <errno.h>
#include <string.h>

#include <osmocom/core/utils.h>
#include <osmocom/gsm/gsm0411_utils.h>

#include <simpki/sms.h>

#define MTI_DELIVER 0x00
#define MTI_SUBMIT 0x01
#define UDHI 0x40
#define MMS 0x04 /* DELIVER: set when no more messages are waiting */

/* 8-bit data in the general data coding group (00xx, alphabet bits 01) or the data coding/message class group
 * (1111, bit 3 set). */
static bool dcs_8bit(uint8_t dcs)
{
	if ((dcs & 0xc0) == 0x00)
		return (dcs & 0x0c) == 0x04;
	if ((dcs & 0xf0) == 0xf0)
		return dcs & 0x04;
	return false;
}

static int put_addr(const struct sms_addr *a, uint8_t *out, size_t max)
{
	uint8_t buf[2 + SMS_ADDR_MAX / 2 + 1];
	size_t n = strlen(a->digits);
	int len;

	if ((a->ton_npi & 0x70) == 0x50) {
		size_t octets = (a->alpha_len + 1u) / 2;

		if (a->alpha_len > SMS_ADDR_MAX || 2 + octets > max)
			return a->alpha_len > SMS_ADDR_MAX ? -EINVAL : -E2BIG;
		out[0] = a->alpha_len;
		out[1] = a->ton_npi;
		memcpy(out + 2, a->alpha, octets);
		return (int)(2 + octets);
	}
	if (n > SMS_ADDR_MAX || strspn(a->digits, "0123456789") != n)
		return -EINVAL;
	/* TON and NPI from the type octet (b7..b5 TON, b4..b1 NPI) */
	len = gsm340_gen_oa(buf, sizeof(buf), (a->ton_npi >> 4) & 0x07, a->ton_npi & 0x0f, a->digits);
	if (len < 2 || (size_t)len > max)
		return len < 2 ? -EINVAL : -E2BIG;
	memcpy(out, buf, (size_t)len);
	return len;
}

/* \returns the octets the address field takes; -EBADMSG */
static int get_addr(const uint8_t *b, size_t len, struct sms_addr *a)
{
	size_t digits, octets;

	if (len < 2)
		return -EBADMSG;
	digits = b[0];
	octets = 2 + (digits + 1) / 2;
	if (digits > SMS_ADDR_MAX || octets > len || !(b[1] & 0x80))
		return -EBADMSG; /* the type-of-address octet always has bit 8 set (TS 23.040 9.1.2.5) */
	a->ton_npi = b[1];
	if ((b[1] & 0x70) == 0x50) {
		a->digits[0] = '\0'; /* alphanumeric originator: kept as sent */
		a->alpha_len = (uint8_t)digits;
		memcpy(a->alpha, b + 2, octets - 2);
		return (int)octets;
	}
	if (digits && osmo_bcd2str(a->digits, sizeof(a->digits), b + 2, 0, (int)digits, false) < 0)
		return -EBADMSG;
	if (!digits)
		a->digits[0] = '\0';
	return (int)octets;
}

int sms_tpdu_encode(const struct sms_tpdu *t, uint8_t *out, size_t max)
{
	size_t n = 0;
	int rc;

	if (t->udl > SMS_MAX_UD)
		return -E2BIG;
	if (max < 3)
		return -E2BIG;
	if (t->submit) {
		out[n++] = (uint8_t)(MTI_SUBMIT | (t->udhi ? UDHI : 0) | (t->vpf & 3) << 3);
		out[n++] = t->mr;
	} else {
		out[n++] = MTI_DELIVER | (t->udhi ? UDHI : 0) | (t->more_messages ? 0 : MMS);
	}
	rc = put_addr(&t->addr, out + n, max - n);
	if (rc < 0)
		return rc;
	n += (size_t)rc;
	if (n + 2 + 7 + 1 + t->udl > max)
		return -E2BIG;
	out[n++] = t->pid;
	out[n++] = t->dcs;
	if (!t->submit) {
		memcpy(out + n, t->scts, 7);
		n += 7;
	} else if (t->vpf) {
		size_t vl = t->vpf == 2 ? 1 : 7;

		memcpy(out + n, t->vp, vl);
		n += vl;
	}
	out[n++] = (uint8_t)t->udl;
	if (t->udl)
		memcpy(out + n, t->ud, t->udl);
	return (int)(n + t->udl);
}

int sms_tpdu_decode(const uint8_t *b, size_t len, struct sms_tpdu *t)
{
	size_t n = 0, vl;
	uint8_t mti;
	int rc;

	memset(t, 0, sizeof(*t));
	if (len < 1)
		return -EBADMSG;
	mti = b[0] & 0x03;
	if (mti != MTI_DELIVER && mti != MTI_SUBMIT)
		return -ENOTSUP;
	t->submit = mti == MTI_SUBMIT;
	t->udhi = b[0] & UDHI;
	n = 1;
	if (t->submit) {
		t->vpf = (b[0] >> 3) & 3;
		if (len < 2)
			return -EBADMSG;
		t->mr = b[n++];
	} else {
		t->more_messages = !(b[0] & MMS);
	}
	rc = get_addr(b + n, len - n, &t->addr);
	if (rc < 0)
		return rc;
	n += (size_t)rc;
	vl = !t->submit ? 7 : t->vpf == 2 ? 1 : t->vpf ? 7 : 0;
	if (len - n < 2 + vl + 1)
		return -EBADMSG;
	t->pid = b[n++];
	t->dcs = b[n++];
	memcpy(t->submit ? t->vp : t->scts, b + n, vl);
	n += vl;
	t->udl = b[n++];
	if (!dcs_8bit(t->dcs))
		return -ENOTSUP;
	if (t->udl > SMS_MAX_UD || t->udl != len - n)
		return -EBADMSG;
	t->ud = b + n;
	return 0;
}

int sms_udh_parse(const uint8_t *ud, size_t udl, struct sms_ie *ies, size_t max, size_t *n, size_t *hdr_len)
{
	size_t udhl, pos = 1;

	*n = 0;
	if (udl < 1)
		return -EBADMSG;
	udhl = ud[0];
	if (udhl + 1 > udl)
		return -EBADMSG;
	while (pos < udhl + 1) {
		if (udhl + 1 - pos < 2 || ud[pos + 1] > udhl + 1 - pos - 2)
			return -EBADMSG;
		if (*n == max)
			return -EBADMSG;
		ies[*n] = (struct sms_ie){ .iei = ud[pos], .len = ud[pos + 1], .data = ud + pos + 2 };
		(*n)++;
		pos += 2u + ud[pos + 1];
	}
	*hdr_len = udhl + 1;
	return 0;
}

bool sms_udh_concat(const struct sms_ie *ies, size_t n, struct sms_concat *c)
{
	for (size_t i = 0; i < n; i++) {
		if (ies[i].iei == 0x00 && ies[i].len == 3) {
			*c = (struct sms_concat){ .ref = ies[i].data[0],
						  .total = ies[i].data[1],
						  .seq = ies[i].data[2] };
		} else if (ies[i].iei == 0x08 && ies[i].len == 4) {
			*c = (struct sms_concat){ .ref = (uint16_t)(ies[i].data[0] << 8 | ies[i].data[1]),
						  .total = ies[i].data[2],
						  .seq = ies[i].data[3] };
		} else {
			continue;
		}
		return c->total >= 1 && c->seq >= 1 && c->seq <= c->total;
	}
	return false;
}
