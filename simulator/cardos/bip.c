/* BIP command builders and parsers of the terminal's answers (formats in bip.h). */
#include <errno.h>
#include <string.h>

#include <simpki/tlv.h>

#include "bip.h"

int bip_tr_parse(const uint8_t *d, size_t len, struct bip_tr *tr)
{
	struct tlv t;
	unsigned seen = 0;

	memset(tr, 0, sizeof(*tr));
	while (len) {
		unsigned bit = 0;

		if (ber_tlv_parse(d, len, &t) || t.tag > 0xff)
			return -EBADMSG;
		switch (t.tag & 0x7f) {
		case 0x36:
			bit = 1;
			tr->has_data = true;
			tr->data = t.value;
			tr->data_len = t.len;
			break;
		case 0x37:
			bit = 2;
			if (t.len != 1)
				return -EBADMSG;
			tr->has_length = true;
			tr->length = t.value[0];
			break;
		case 0x38:
			bit = 4;
			if (t.len != 2)
				return -EBADMSG;
			tr->has_status = true;
			memcpy(tr->status, t.value, 2);
			break;
		case 0x39:
			bit = 8;
			if (t.len != 2)
				return -EBADMSG;
			tr->has_buffer = true;
			tr->buffer = (uint16_t)(t.value[0] << 8 | t.value[1]);
			break;
		default:
			break;
		}
		if (seen & bit)
			return -EBADMSG;
		seen |= bit;
		d += t.total;
		len -= t.total;
	}
	return 0;
}

int bip_event_parse(const uint8_t *d, size_t len, struct bip_event *ev)
{
	struct tlv env, t;
	const uint8_t *p;
	size_t left;
	unsigned seen = 0;

	memset(ev, 0, sizeof(*ev));
	if (ber_tlv_parse(d, len, &env) || env.total != len)
		return -EBADMSG;
	if (env.tag != 0xd6 && env.tag != 0xd7)
		return -ENOTSUP;
	ev->timer = env.tag == 0xd7;
	for (p = env.value, left = env.len; left; p += t.total, left -= t.total) {
		unsigned bit = 0;

		if (ber_tlv_parse(p, left, &t) || t.tag > 0xff)
			return -EBADMSG;
		switch (t.tag & 0x7f) {
		case 0x19: /* event list: one event */
			bit = 1;
			if (t.len != 1 ||
			    (t.value[0] != BIP_EVENT_DATA_AVAILABLE && t.value[0] != BIP_EVENT_CHANNEL_STATUS))
				return -EBADMSG;
			ev->event = t.value[0];
			break;
		case 0x02: /* device identities */
			bit = 2;
			if (t.len != 2)
				return -EBADMSG;
			break;
		case 0x38:
			bit = 4;
			if (t.len != 2)
				return -EBADMSG;
			memcpy(ev->status, t.value, 2);
			break;
		case 0x37:
			bit = 8;
			if (t.len != 1)
				return -EBADMSG;
			ev->has_length = true;
			ev->length = t.value[0];
			break;
		case 0x24: /* timer identifier */
			bit = 16;
			if (t.len != 1 || !t.value[0] || t.value[0] > 8)
				return -EBADMSG;
			ev->timer_id = t.value[0];
			break;
		case 0x25: /* timer value */
			bit = 32;
			if (t.len != 3)
				return -EBADMSG;
			break;
		default:
			break;
		}
		if (seen & bit)
			return -EBADMSG;
		seen |= bit;
	}
	if (!(seen & 2))
		return -EBADMSG;
	if (ev->timer)
		return (seen & 16) && !(seen & 1) ? 0 : -EBADMSG;
	if (!(seen & 1) || !(seen & 4) || (seen & 16))
		return -EBADMSG;
	if (ev->event == BIP_EVENT_DATA_AVAILABLE && !ev->has_length)
		return -EBADMSG;
	return 0;
}

size_t bip_set_up_event_list(uint8_t *b)
{
	static const uint8_t v[] = { 0x19, 0x02, BIP_EVENT_DATA_AVAILABLE, BIP_EVENT_CHANNEL_STATUS };

	memcpy(b, v, sizeof(v));
	return sizeof(v);
}

size_t bip_open_channel(uint8_t *b, uint8_t bearer, uint16_t buffer, uint16_t port, const uint8_t ip[4])
{
	const uint8_t v[] = { 0x35,
			      0x01,
			      bearer,
			      0x39,
			      0x02,
			      (uint8_t)(buffer >> 8),
			      (uint8_t)buffer,
			      0x3c,
			      0x03,
			      0x02,
			      (uint8_t)(port >> 8),
			      (uint8_t)port,
			      0x3e,
			      0x05,
			      0x21,
			      ip[0],
			      ip[1],
			      ip[2],
			      ip[3] };

	memcpy(b, v, sizeof(v));
	return sizeof(v);
}

size_t bip_receive_data(uint8_t *b, uint8_t n)
{
	b[0] = 0x37;
	b[1] = 0x01;
	b[2] = n;
	return 3;
}

size_t bip_send_data(uint8_t *b, const uint8_t *data, size_t len)
{
	int h = tlv_put_header(b, 4, 0x36, len);

	memcpy(b + h, data, len);
	return (size_t)h + len;
}

static uint8_t bcd(unsigned v)
{
	return (uint8_t)((v % 10) << 4 | (v / 10)); /* semi-octets: the tens digit in the low nibble */
}

size_t bip_timer_start(uint8_t *b, uint8_t id, uint32_t seconds)
{
	unsigned h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;

	if (h > 99)
		h = 99;
	b[0] = 0x24;
	b[1] = 0x01;
	b[2] = id;
	b[3] = 0x25;
	b[4] = 0x03;
	b[5] = bcd(h);
	b[6] = bcd(m);
	b[7] = bcd(s);
	return 8;
}
