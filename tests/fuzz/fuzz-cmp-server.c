/* libFuzzer harness: simpki-ca's CMP server (ota-server/ca/ca_cmp.c) through ca_cmp_handle(), the function its HTTP
 * layer calls: a request body in, a response out. The CA is the fixed test PKI (tests/support/ca_fixture.h) with
 * records in a temporary directory made once per process and removed at exit. Checked: an input is refused as not a
 * PKIMessage (-EBADMSG), or answered with DER that OpenSSL decodes as a PKIMessage and that is no larger than a
 * bound; nothing else is returned. Seeds (corpus/cmp-server/): openssl cmp requests signed by the test RA (p10cr and
 * its certConf, ir, ir with raVerified, cr, kur, genm, rr), an unprotected one and a PBM-protected one; and from
 * unit-ca-cmp (CA_CMP_DUMP_DIR): generalInfo with certProfile and utf8Pairs, a rejecting certConf, rr with a reason. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/cmp.h>
#include <openssl/crypto.h>

#include "ca_cmp.h"
#include "ca_fixture.h"
#include "fuzz.h"

static struct ca_fixture fx;

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fuzz-cmp-server: %s\n", what);
	abort();
}

static void cleanup(void)
{
	ca_fixture_free(&fx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	const unsigned char *p;
	OSSL_CMP_MSG *rsp;
	uint8_t *out = NULL;
	size_t len = 0;
	int rc;

	if (!ready) {
		if (ca_fixture_init(&fx, NULL, getenv("FUZZ_VERBOSE") != NULL))
			die("no test CA");
		atexit(cleanup);
		ready = true;
	}
	rc = ca_cmp_handle(fx.ca, data, size, &out, &len);
	if (rc == -EBADMSG)
		return 0;
	if (rc)
		die("neither a response nor -EBADMSG");
	if (!out || !len || len > 64 * size + 16384)
		die("an empty or outsized response");
	p = out;
	rsp = d2i_OSSL_CMP_MSG(NULL, &p, (long)len);
	if (!rsp || p != out + len)
		die("a response that is not a PKIMessage");
	OSSL_CMP_MSG_free(rsp);
	OPENSSL_free(out);
	return 0;
}
