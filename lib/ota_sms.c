/* Secured packets cut into SMS and joined again (format in include/simpki/ota_sms.h). */
#include <errno.h>
#include <string.h>

#include <simpki/ota_sms.h>

int ota_sms_split(const uint8_t *pkt, size_t len, uint8_t iei, uint8_t ref, struct ota_sms_part *parts, size_t max)
{
	size_t n, pos = 0;

	if (3 + len <= SMS_MAX_UD) {
		if (max < 1)
			return -E2BIG;
		parts[0].ud[0] = 0x02;
		parts[0].ud[1] = iei;
		parts[0].ud[2] = 0x00;
		memcpy(parts[0].ud + 3, pkt, len);
		parts[0].len = (uint8_t)(3 + len);
		return 1;
	}
	n = 1 + (len - (SMS_MAX_UD - 8) + (SMS_MAX_UD - 6) - 1) / (SMS_MAX_UD - 6);
	if (n > max || n > 255)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		size_t h = i ? 6 : 8, take = len - pos < SMS_MAX_UD - h ? len - pos : SMS_MAX_UD - h;
		const uint8_t hdr[8] = { (uint8_t)(h - 1), 0x00, 0x03, ref, (uint8_t)n, (uint8_t)(i + 1), iei, 0x00 };

		memcpy(parts[i].ud, hdr, h);
		memcpy(parts[i].ud + h, pkt + pos, take);
		parts[i].len = (uint8_t)(h + take);
		pos += take;
	}
	return (int)n;
}

/* The UDH of \a ud: its length, the concatenation IE and the packet IE (70 or 71) if any. */
static int udh(const uint8_t *ud, size_t len, size_t *hl, struct sms_concat *cc, bool *is_part, uint8_t *iei)
{
	struct sms_ie ies[16];
	size_t n;

	if (sms_udh_parse(ud, len, ies, 16, &n, hl))
		return -EBADMSG;
	*iei = 0;
	for (size_t k = 0; k < n; k++) {
		if (ies[k].iei == 0x70 || ies[k].iei == 0x71)
			*iei = ies[k].iei;
	}
	*is_part = sms_udh_concat(ies, n, cc);
	return 0;
}

int ota_sms_part(const uint8_t *ud, size_t len, struct sms_concat *cc)
{
	size_t hl;
	bool is_part;
	uint8_t iei;

	if (udh(ud, len, &hl, cc, &is_part, &iei))
		return -EBADMSG;
	return is_part ? 1 : 0;
}

int ota_sms_join(const uint8_t *const ud[], const size_t len[], size_t n, uint8_t *out, size_t max, size_t *out_len)
{
	struct sms_concat cc[OTA_SMS_MAX_PARTS], first;
	size_t hl[OTA_SMS_MAX_PARTS], total = 3;
	uint8_t iei = 0, e;
	bool is_part;

	if (n < 1 || n > OTA_SMS_MAX_PARTS)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (udh(ud[i], len[i], &hl[i], &cc[i], &is_part, &e) || (n > 1 && !is_part))
			return -EBADMSG;
		if (e)
			iei = e;
		if (!is_part) { /* one SMS: 02 7x 00, or the packet IE among other IEs */
			if (!iei || max < 3 + len[0] - hl[0])
				return iei ? -E2BIG : -EBADMSG;
			out[0] = 0x02;
			out[1] = iei;
			out[2] = 0x00;
			memcpy(out + 3, ud[0] + hl[0], len[0] - hl[0]);
			*out_len = 3 + len[0] - hl[0];
			return 0;
		}
	}
	first = cc[0];
	if (!iei || first.total != n)
		return -EBADMSG;
	out[0] = 0x02;
	out[1] = iei;
	out[2] = 0x00;
	for (unsigned seq = 1; seq <= n; seq++) {
		size_t found = n;

		for (size_t i = 0; i < n; i++) {
			if (cc[i].ref != first.ref || cc[i].total != first.total)
				return -EBADMSG;
			if (cc[i].seq == seq) {
				if (found != n)
					return -EBADMSG; /* the same part twice */
				found = i;
			}
		}
		if (found == n)
			return -EBADMSG;
		if (total + len[found] - hl[found] > max)
			return -E2BIG;
		memcpy(out + total, ud[found] + hl[found], len[found] - hl[found]);
		total += len[found] - hl[found];
	}
	*out_len = total;
	return 0;
}
