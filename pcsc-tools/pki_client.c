/* The host side of the PKI applet's APDU interface; contract in pki_client.h. */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <simpki/apdu.h>
#include <simpki/card_sw.h>
#include <simpki/pki_applet.h>
#include <simpki/tlv.h>

#include "pki_client.h"

static const uint8_t pki_aid[] = { PKI_AID_BYTES };

static const uint8_t sha256_digestinfo[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
					     0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };

/* One short APDU exchange. \returns the SW; a negative errno */
static int xfer(struct pki_card *c, const struct apdu_cmd *cmd, uint8_t *out, size_t *out_len)
{
	uint8_t buf[5 + 255 + 1], resp[258];
	size_t rlen = sizeof(resp);
	int n = apdu_encode(cmd, buf, sizeof(buf)), rc;

	if (n < 0)
		return n;
	rc = c->ops->transmit(c->r, buf, (size_t)n, resp, &rlen);
	if (rc)
		return rc;
	if (out && out_len) {
		memcpy(out, resp, rlen - 2);
		*out_len = rlen - 2;
	}
	return resp[rlen - 2] << 8 | resp[rlen - 1];
}

int pki_cmd(struct pki_card *c, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t len, bool chain,
	    uint8_t *out, size_t *out_len)
{
	struct apdu_cmd cmd = { .cla = 0x00, .ins = ins, .p1 = p1, .p2 = p2 };
	uint8_t piece[258];
	size_t got = 0, n = 0;
	int sw;

	if (len > 255 && !chain)
		return -E2BIG;
	/* all blocks but the last go with the chaining bit */
	while (len > 255) {
		cmd.cla = 0x10;
		cmd.data = data;
		cmd.lc = 255;
		cmd.ne = 0;
		sw = xfer(c, &cmd, NULL, NULL);
		if (sw != SW_OK)
			return sw;
		data += 255;
		len -= 255;
	}
	cmd.cla = 0x00;
	cmd.data = len ? data : NULL;
	cmd.lc = (uint32_t)len;
	cmd.ne = out ? 256 : 0;
	sw = xfer(c, &cmd, piece, &n);
	for (;;) {
		if (sw < 0)
			return sw;
		if (out) {
			if (got + n > PKI_DATA_MAX)
				return -E2BIG;
			memcpy(out + got, piece, n);
		}
		got += n;
		if ((sw >> 8) != 0x61)
			break;
		cmd = (struct apdu_cmd){ .ins = PKI_INS_GET_RESPONSE, .ne = (sw & 0xff) ? (sw & 0xff) : 256 };
		sw = xfer(c, &cmd, piece, &n);
	}
	if (out_len)
		*out_len = out ? got : 0;
	return sw == SW_OK ? 0 : sw;
}

int pki_card_open(const struct reader_ops *ops, const char *reader, struct pki_card *c)
{
	uint8_t out[PKI_DATA_MAX];
	size_t n = 0;
	int rc;

	memset(c, 0, sizeof(*c));
	c->ops = ops;
	rc = ops->open(reader, &c->r);
	if (rc)
		return rc;
	rc = pki_cmd(c, PKI_INS_SELECT, 0x04, 0x00, pki_aid, sizeof(pki_aid), false, out, &n);
	if (rc || n < 3) {
		ops->close(c->r);
		c->r = NULL;
		return rc < 0 ? rc : -ENOENT;
	}
	memcpy(c->version, out, 3);
	return 0;
}

void pki_card_close(struct pki_card *c)
{
	if (c->r)
		c->ops->close(c->r);
	c->r = NULL;
}

static int tries_from(int sw, int *tries)
{
	if (sw == 0) {
		*tries = -1;
		return 0;
	}
	if ((sw & 0xfff0) == 0x63c0) {
		*tries = sw & 0x0f;
		return 0;
	}
	return sw;
}

int pki_pin_tries(struct pki_card *c, int *tries)
{
	return tries_from(pki_cmd(c, PKI_INS_VERIFY, 0x00, PKI_PIN_REF, NULL, 0, false, NULL, NULL), tries);
}

int pki_puk_tries(struct pki_card *c, int *tries)
{
	int sw = pki_cmd(c, PKI_INS_VERIFY, 0x00, PKI_PUK_REF, NULL, 0, false, NULL, NULL);

	if (sw == SW_DATA_NOT_FOUND) {
		*tries = -1;
		return 0;
	}
	return sw == 0 ? -EPROTO : tries_from(sw, tries);
}

/* A secret padded with 00 to 16 bytes, as OpenSC's isoApplet profile sends it. */
static int pad16(const char *s, uint8_t out[PKI_PIN_LEN])
{
	size_t n = strlen(s);

	if (n > PKI_PIN_LEN)
		return -EINVAL;
	memset(out, 0, PKI_PIN_LEN);
	memcpy(out, s, n);
	return (int)n;
}

int pki_verify(struct pki_card *c, const char *pin)
{
	uint8_t p[PKI_PIN_LEN];
	int rc = pad16(pin, p);

	if (rc >= 0)
		rc = pki_cmd(c, PKI_INS_VERIFY, 0x00, PKI_PIN_REF, p, sizeof(p), false, NULL, NULL);
	OPENSSL_cleanse(p, sizeof(p));
	return rc;
}

int pki_set_puk_and_pin(struct pki_card *c, const char *puk, const char *pin)
{
	uint8_t p[PKI_PIN_LEN];
	int rc = pad16(puk, p);

	if (rc >= 0)
		rc = pki_cmd(c, PKI_INS_CHANGE_REFERENCE_DATA, 0x01, PKI_PUK_REF, p, sizeof(p), false, NULL, NULL);
	OPENSSL_cleanse(p, sizeof(p));
	if (rc)
		return rc;
	return pki_cmd(c, PKI_INS_CHANGE_REFERENCE_DATA, 0x01, PKI_PIN_REF, (const uint8_t *)pin, strlen(pin), false,
		       NULL, NULL);
}

int pki_change_pin(struct pki_card *c, const char *old_pin, const char *new_pin)
{
	uint8_t p[2 * PKI_PIN_LEN];
	int rc = pad16(old_pin, p);

	if (rc >= 0)
		rc = pad16(new_pin, p + PKI_PIN_LEN);
	if (rc >= 0)
		rc = pki_cmd(c, PKI_INS_CHANGE_REFERENCE_DATA, 0x00, PKI_PIN_REF, p, sizeof(p), false, NULL, NULL);
	OPENSSL_cleanse(p, sizeof(p));
	return rc;
}

int pki_unblock_pin(struct pki_card *c, const char *puk, const char *new_pin)
{
	uint8_t p[2 * PKI_PIN_LEN];
	size_t n = strlen(new_pin);
	int rc = pad16(puk, p);

	if (rc >= 0 && n > PKI_PIN_LEN)
		rc = -EINVAL;
	if (rc >= 0) {
		memcpy(p + PKI_PIN_LEN, new_pin, n);
		rc = pki_cmd(c, PKI_INS_RESET_RETRY_COUNTER, 0x00, PKI_PIN_REF, p, PKI_PIN_LEN + n, false, NULL, NULL);
	}
	OPENSSL_cleanse(p, sizeof(p));
	return rc;
}

int pki_select_path(struct pki_card *c, const uint8_t *path, size_t len, uint32_t *size)
{
	uint8_t fci[PKI_DATA_MAX];
	size_t n = 0;
	struct tlv outer, t;
	int rc = pki_cmd(c, PKI_INS_SELECT, 0x08, 0x00, path, len, false, fci, &n);

	if (rc)
		return rc;
	*size = 0;
	if (!ber_tlv_parse(fci, n, &outer) && !tlv_find(outer.value, outer.len, 0x81, &t) && t.len >= 1 && t.len <= 2)
		*size = t.len == 1 ? t.value[0] : (uint32_t)(t.value[0] << 8 | t.value[1]);
	return 0;
}

int pki_read_current(struct pki_card *c, uint32_t size, uint8_t *buf, size_t max)
{
	uint32_t off = 0;

	if (size > max)
		return -E2BIG;
	while (off < size) {
		size_t n = 0;
		int rc = pki_cmd(c, PKI_INS_READ_BINARY, (uint8_t)(off >> 8), (uint8_t)off, NULL, 0, false, buf + off,
				 &n);

		if (rc)
			return rc;
		if (!n)
			return -EPROTO;
		off += (uint32_t)n;
	}
	return 0;
}

int pki_update_current(struct pki_card *c, uint32_t offset, const uint8_t *data, size_t len)
{
	while (len) {
		size_t n = len > 255 ? 255 : len;
		int rc = pki_cmd(c, PKI_INS_UPDATE_BINARY, (uint8_t)(offset >> 8), (uint8_t)offset, data, n, false,
				 NULL, NULL);

		if (rc)
			return rc;
		offset += (uint32_t)n;
		data += n;
		len -= n;
	}
	return 0;
}

int pki_create(struct pki_card *c, uint16_t fid, uint16_t size, bool df, const uint8_t acl[8])
{
	uint8_t fci[] = { 0x6f,
			  0x15,
			  0x81,
			  0x02,
			  (uint8_t)(size >> 8),
			  (uint8_t)size,
			  0x82,
			  0x01,
			  df ? 0x38 : 0x01,
			  0x83,
			  0x02,
			  (uint8_t)(fid >> 8),
			  (uint8_t)fid,
			  0x86,
			  0x08,
			  acl[0],
			  acl[1],
			  acl[2],
			  acl[3],
			  acl[4],
			  acl[5],
			  acl[6],
			  acl[7] };

	return pki_cmd(c, PKI_INS_CREATE_FILE, 0x00, 0x00, fci, sizeof(fci), false, NULL, NULL);
}

int pki_delete(struct pki_card *c, uint16_t fid)
{
	uint8_t f[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };

	return pki_cmd(c, PKI_INS_DELETE_FILE, 0x00, 0x00, f, sizeof(f), false, NULL, NULL);
}

static int mse(struct pki_card *c, uint8_t p2, uint8_t alg, uint8_t ref)
{
	uint8_t d[] = { 0x80, 0x01, alg, 0x84, 0x01, ref };

	return pki_cmd(c, PKI_INS_MSE, 0x41, p2, d, sizeof(d), false, NULL, NULL);
}

/* A public key from the applet's 7F49 template. */
static int parse_pubkey(const uint8_t *b, size_t len, enum pki_keytype type, EVP_PKEY **out)
{
	struct tlv outer, n, e, q;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	int rc = -EPROTO;

	if (!bld || ber_tlv_parse(b, len, &outer) || outer.tag != 0x7f49)
		goto out;
	if (type == PKI_KEY_RSA2048) {
		if (tlv_find(outer.value, outer.len, 0x81, &n) || tlv_find(outer.value, outer.len, 0x82, &e))
			goto out;
		bn = BN_bin2bn(n.value, (int)n.len, NULL);
		be = BN_bin2bn(e.value, (int)e.len, NULL);
		if (!bn || !be || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
			goto out;
	} else {
		if (tlv_find(outer.value, outer.len, 0x86, &q) ||
		    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q.value, q.len))
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type == PKI_KEY_RSA2048 ? "RSA" : "EC", NULL);
	*out = NULL;
	if (params && ctx && EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) > 0)
		rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return rc;
}

int pki_generate(struct pki_card *c, uint8_t ref, enum pki_keytype type, EVP_PKEY **pub)
{
	uint8_t out[PKI_DATA_MAX];
	size_t n = 0;
	int rc = mse(c, 0x00, type == PKI_KEY_RSA2048 ? PKI_ALG_GEN_RSA_2048 : PKI_ALG_GEN_EC, ref);

	if (rc)
		return rc;
	if (type == PKI_KEY_RSA2048)
		rc = pki_cmd(c, PKI_INS_GENERATE, 0x42, 0x00, NULL, 0, false, out, &n);
	else
		rc = pki_cmd(c, PKI_INS_GENERATE, 0x00, 0x00, pki_p256_params, sizeof(pki_p256_params), true, out, &n);
	if (rc)
		return rc;
	return parse_pubkey(out, n, type, pub);
}

int pki_sign_sha256(struct pki_card *c, uint8_t ref, enum pki_keytype type, const uint8_t hash[32], uint8_t *sig,
		    size_t *sig_len)
{
	uint8_t in[sizeof(sha256_digestinfo) + 32];
	size_t in_len = 32;
	int rc;

	if (type == PKI_KEY_RSA2048) {
		memcpy(in, sha256_digestinfo, sizeof(sha256_digestinfo));
		memcpy(in + sizeof(sha256_digestinfo), hash, 32);
		in_len = sizeof(in);
	} else {
		memcpy(in, hash, 32);
	}
	uint8_t out[PKI_DATA_MAX];
	size_t n = 0;

	rc = mse(c, 0xb6, type == PKI_KEY_RSA2048 ? PKI_ALG_RSA_PKCS1 : PKI_ALG_ECDSA_PRECOMPUTED, ref);
	if (!rc)
		rc = pki_cmd(c, PKI_INS_PSO, 0x9e, 0x9a, in, in_len, false, out, &n);
	if (!rc && (n > 256 || n > *sig_len))
		rc = -EPROTO;
	if (!rc) {
		memcpy(sig, out, n);
		*sig_len = n;
	}
	return rc;
}

int pki_build_csr(struct pki_card *c, uint8_t ref, const uint8_t *subject, size_t len, uint8_t *out, size_t *out_len)
{
	if (len < 2 || len > PKI_CSR_SUBJECT_MAX)
		return -EINVAL;
	return pki_cmd(c, PKI_INS_BUILD_CSR, 0x00, ref, subject, len, true, out, out_len);
}

int pki_random(struct pki_card *c, uint8_t *buf, size_t len)
{
	uint8_t out[PKI_DATA_MAX];
	struct apdu_cmd cmd = { .ins = PKI_INS_GET_CHALLENGE, .ne = (uint32_t)len };
	size_t n = 0;
	int sw;

	if (!len || len > 256)
		return -EINVAL;
	sw = xfer(c, &cmd, out, &n);
	if (sw != SW_OK)
		return sw;
	if (n != len)
		return -EPROTO;
	memcpy(buf, out, len);
	return 0;
}
