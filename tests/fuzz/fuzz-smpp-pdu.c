/* libFuzzer harness: what simpki-otad does with bytes from an SMSC (ota-server/smpp_frame.h, libsmpp34, then
 * lib/ota_sms.c for a deliver_sm's user data). The input is a TCP stream: PDUs are cut by smpp_frame_next(); each
 * deliver_sm and submit_sm_resp is read as simpki-otad reads it (smpp_frame.h; bind answers by status only), and a
 * deliver_sm's short message goes through the PoR reassembly checks. Checked: frames stay inside the input and
 * within SMPP_PDU_MIN..MAX; an unpacked short message is no longer than its buffer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smpp34.h>

#include <simpki/ota_sms.h>

#include "fuzz.h"
#include "smpp_frame.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-smpp-pdu: %s\n", what);
	abort();
}

static void one_pdu(const uint8_t *pdu, const struct smpp_hdr *h)
{
	static uint8_t joined[4096];
	size_t n;

	switch (h->id) {
	case DELIVER_SM: {
		struct smpp_deliver d;

		if (!smpp_deliver_parse(pdu, h->len, &d)) {
			const uint8_t *ud = d.sm;
			size_t len = d.sm_len;
			struct sms_concat cc;

			if (d.sm < pdu || d.sm + d.sm_len > pdu + h->len || strlen(d.source) > 20 ||
			    strlen(d.dest) > 20)
				die("a deliver_sm field outside the PDU");
			if (len <= SMS_MAX_UD && ota_sms_part(ud, len, &cc) == 0)
				ota_sms_join(&ud, &len, 1, joined, sizeof(joined), &n);
		}
		break;
	}
	case SUBMIT_SM_RESP: {
		char id[66];

		smpp_submit_resp_id(pdu, h->len, id, sizeof(id));
		if (strlen(id) > 65)
			die("a message id beyond its buffer");
		break;
	}
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smpp_hdr h;
	size_t off = 0;
	int len;

	while ((len = smpp_frame_next(data + off, size - off, &h)) > 0) {
		if ((size_t)len > size - off || len < SMPP_PDU_MIN || len > SMPP_PDU_MAX)
			die("a frame outside the input or its bounds");
		one_pdu(data + off, &h);
		off += (size_t)len;
	}
	return 0;
}
