/* libFuzzer harness for ca/status's OCSP side, the part that reads outside input. The first byte chooses:
 * even: the rest is a DER OCSP request for ca_ocsp_answer(), signed by a fixed CA (below, made once) whose records
 *       say, by the serial's first content octet mod 4: good, revoked (with a reason), never issued, -EIO; with a
 *       4-entry cache, so the cache's paths are fuzzed too;
 * odd:  the rest, up to a NUL, is a GET path for ca_ocsp_get_decode().
 * Invariants (a broken one aborts): ca_ocsp_answer always returns 0 with an OCSPResponse that parses back to the same
 * bytes, whose status is successful, malformedRequest or internalError, and a successful one answers each single
 * request; ca_ocsp_get_decode returns 0 or -EINVAL, a length of 1..CA_OCSP_REQ_MAX, and for a path without '%'
 * the decoded bytes encode back to the path (strict base64). The seeds (corpus/ocsp-request/) are requests made by
 * `openssl ocsp -issuer ca.pem -serial ... -reqout` with this CA's certificate, so the issuer check passes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "ca_status.h"
#include "fuzz.h"

/* The fixed CA: P-256, CN=simpki fuzz CA (openssl req -x509, valid until 2126). A throwaway key, here on purpose. */
static const char ca_key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
				 "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7//v0RV8W58VS7DT\n"
				 "Fqxxpi+EHXSwyueAYzDxoBxS9nWhRANCAAR52YruouGfGClK87OAw2O0+m4jUYjs\n"
				 "DsQR2ed+pNGP+LJfA7NzhWEgSWblzrg5Im7BSSaw7Qm2wJMkJXSPH3b4\n"
				 "-----END PRIVATE KEY-----\n";
static const char ca_cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
				  "MIIBmTCCAT+gAwIBAgIUCM5YqMRrQ42Ky8GN7F8OwH3ITtEwCgYIKoZIzj0EAwIw\n"
				  "GTEXMBUGA1UEAwwOc2ltcGtpIGZ1enogQ0EwIBcNMjYxMjA2MTMyMzEyWhgPMjEy\n"
				  "NjExMTIxMzIzMTJaMBkxFzAVBgNVBAMMDnNpbXBraSBmdXp6IENBMFkwEwYHKoZI\n"
				  "zj0CAQYIKoZIzj0DAQcDQgAEedmK7qLhnxgpSvOzgMNjtPpuI1GI7A7EEdnnfqTR\n"
				  "j/iyXwOzc4VhIElm5c64OSJuwUkmsO0JtsCTJCV0jx92+KNjMGEwHQYDVR0OBBYE\n"
				  "FDaJPUn/9wuicLDw2R56tEul72GqMB8GA1UdIwQYMBaAFDaJPUn/9wuicLDw2R56\n"
				  "tEul72GqMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49\n"
				  "BAMCA0gAMEUCIQCCRnqGBzsE2A7eQaWgpkeXKziol5fXmjyygXUnYlK4ywIgAc0Y\n"
				  "LUECc94ezYcxDhfR+L3Fzcvmh2raJD0NuOZYMdE=\n"
				  "-----END CERTIFICATE-----\n";

static struct ca_status_signer signer;
static struct ca_ocsp_cache *cache;

static void setup(void)
{
	BIO *k = BIO_new_mem_buf(ca_key_pem, -1), *c = BIO_new_mem_buf(ca_cert_pem, -1);

	signer.key = k ? PEM_read_bio_PrivateKey(k, NULL, NULL, NULL) : NULL;
	signer.ca = c ? PEM_read_bio_X509(c, NULL, NULL, NULL) : NULL;
	signer.cert = signer.ca;
	cache = ca_ocsp_cache_new(4);
	BIO_free(k);
	BIO_free(c);
	if (!signer.key || !signer.ca || !cache)
		abort();
}

static int lookup(const uint8_t *s, size_t len, struct ca_cert_state *st, void *priv)
{
	if (!len || len > CA_SERIAL_MAX)
		abort(); /* the library promised 1..CA_SERIAL_MAX */
	switch (s[0] % 4) {
	case 0:
		*st = (struct ca_cert_state){ CA_CERT_GOOD, 0, -1 };
		return 0;
	case 1:
		*st = (struct ca_cert_state){ CA_CERT_REVOKED, 1700000000, s[len - 1] % 12 - 1 }; /* -1..10, 7 too */
		return 0;
	case 2:
		*st = (struct ca_cert_state){ CA_CERT_UNKNOWN, 0, -1 };
		return 0;
	default:
		return -EIO;
	}
}

static void fuzz_answer(const uint8_t *data, size_t size)
{
	struct ca_ocsp_params p = { .now = 1750000000, .cache = cache };
	const uint8_t *q, *rq = data;
	uint8_t *der = NULL, *again = NULL;
	size_t len = 0;
	OCSP_RESPONSE *resp;
	OCSP_REQUEST *req;
	OCSP_BASICRESP *bs;
	int n, status;

	if (ca_ocsp_answer(&signer, &p, data, size, lookup, NULL, &der, &len))
		abort();
	q = der;
	resp = d2i_OCSP_RESPONSE(NULL, &q, (long)len);
	if (!resp || q != der + len || i2d_OCSP_RESPONSE(resp, &again) != (int)len || memcmp(again, der, len))
		abort();
	status = OCSP_response_status(resp);
	if (status == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		req = d2i_OCSP_REQUEST(NULL, &rq, (long)size);
		bs = OCSP_response_get1_basic(resp);
		n = req ? OCSP_request_onereq_count(req) : -1;
		if (!req || !bs || n < 1 || n > CA_OCSP_MAX_IDS || OCSP_resp_count(bs) != n)
			abort();
		OCSP_BASICRESP_free(bs);
		OCSP_REQUEST_free(req);
	} else if (status != OCSP_RESPONSE_STATUS_MALFORMEDREQUEST && status != OCSP_RESPONSE_STATUS_INTERNALERROR) {
		abort();
	}
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(der);
	OPENSSL_free(again);
}

static void fuzz_get(const uint8_t *data, size_t size)
{
	char *path = malloc(size + 1), *b64;
	uint8_t *der = NULL;
	size_t len = 0;
	int rc;

	if (!path)
		abort();
	memcpy(path, data, size);
	path[size] = '\0';
	rc = ca_ocsp_get_decode(path, &der, &len);
	if (rc && rc != -EINVAL)
		abort();
	if (!rc) {
		if (!len || len > CA_OCSP_REQ_MAX)
			abort();
		if (!strchr(path, '%')) {
			b64 = malloc(4 * (len / 3 + 1) + 1);
			if (!b64 || EVP_EncodeBlock((unsigned char *)b64, der, (int)len) < 0 || strcmp(b64, path))
				abort();
			free(b64);
		}
		OPENSSL_free(der);
	}
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!signer.key)
		setup();
	if (!size)
		return 0;
	if (data[0] % 2)
		fuzz_get(data + 1, size - 1);
	else
		fuzz_answer(data + 1, size - 1);
	ERR_clear_error();
	return 0;
}
