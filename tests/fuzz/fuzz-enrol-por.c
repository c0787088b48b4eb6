/* libFuzzer harness: the script responses of a certificate enrolment as they come back in a PoR from a SIM
 * (ota-server/enrol/enrol_script.c): the read step's directory files, the SIM's request, the load's status words and
 * the certificate read back. The first byte picks the parser and the key iD; the rest is the response. Checked: no
 * read outside the input, a request found lies inside it, a view found names a free FID and a key of that iD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrol_script.h"
#include "fuzz.h"

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-enrol-por: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t cert[600] = { 0x30, 0x82, 0x02, 0x54 };
	struct enrol_view v;
	const uint8_t *csr;
	size_t csr_len;
	char why[160];
	uint8_t sel;

	if (!size)
		return 0;
	sel = data[0];
	data++;
	size--;
	switch (sel & 3) {
	case 0:
		if (!enrol_read_parse(data, size, (uint8_t)(sel >> 2), &v, why, sizeof(why)) &&
		    (v.cert_fid < P15_FID_CERT_FIRST || v.key.id_len != 1 || v.key.id[0] != sel >> 2 ||
		     v.key.key_ref < 0 || v.key.key_ref > 15))
			die("a view that does not name a free FID and the key asked for");
		break;
	case 1:
		if (!enrol_csr_parse(data, size, &csr, &csr_len, why, sizeof(why)) &&
		    (csr < data || csr + csr_len > data + size))
			die("a request outside the input");
		break;
	case 2:
		enrol_load_parse(data, size, sel >> 2 ? (size_t)(sel >> 2) * 8 : 1, why, sizeof(why));
		break;
	default:
		enrol_verify_parse(data, size, cert, sizeof(cert), why, sizeof(why));
		break;
	}
	return 0;
}
