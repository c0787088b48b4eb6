/* The audit trail's record hash and checkpoint bytes (format in audit_record.h and audit.h), on OpenSSL 3. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit_record.h"

/* The length of the well-formed UTF-8 character at \a s (at most \a n bytes there), 0 if there is none. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void audit_text_clean(char *out, size_t max, const char *in)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t n = strlen((const char *)s), o = 0;

	if (!max)
		return;
	while (*s) {
		size_t l = utf8_char(s, n);

		if (!l || (l == 1 && (*s < 0x20 || *s == 0x7f))) {
			if (o + 1 >= max)
				break;
			out[o++] = '?';
			s++, n--;
			continue;
		}
		if (o + l >= max)
			break;
		memcpy(out + o, s, l);
		o += l, s += l, n -= l;
	}
	out[o] = 0;
}

static void put_field(EVP_MD_CTX *c, const void *p, size_t n)
{
	uint8_t len[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };

	EVP_DigestUpdate(c, len, 4);
	EVP_DigestUpdate(c, p, n);
}

static void put_text(EVP_MD_CTX *c, const char *s)
{
	put_field(c, s, strlen(s));
}

int audit_record_hash(const struct audit_record *r, uint8_t out[AUDIT_HASH_LEN])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	char num[24];
	int ok;

	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return -EIO;
	}
	put_text(c, "simpki-audit-v1");
	snprintf(num, sizeof(num), "%" PRId64, r->seq);
	put_text(c, num);
	snprintf(num, sizeof(num), "%" PRId64, r->at);
	put_text(c, num);
	put_text(c, r->actor);
	put_text(c, r->role);
	put_text(c, r->scope);
	put_text(c, r->action);
	put_text(c, r->object);
	put_text(c, r->result);
	put_text(c, r->detail);
	put_field(c, r->prev, AUDIT_HASH_LEN);
	ok = EVP_DigestFinal_ex(c, out, NULL) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -EIO;
}

static void be64(uint8_t *p, int64_t v)
{
	for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
		p[i] = (uint8_t)v;
}

void audit_checkpoint_tbs(int64_t seq, int64_t at, const uint8_t hash[AUDIT_HASH_LEN], uint8_t out[AUDIT_TBS_LEN])
{
	memcpy(out, "simpki-audit-checkpoint-v1", 26);
	be64(out + 26, seq);
	memcpy(out + 34, hash, AUDIT_HASH_LEN);
	be64(out + 34 + AUDIT_HASH_LEN, at);
}

void audit_hex(const uint8_t *in, size_t len, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * len] = 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int audit_unhex(const char *s, uint8_t *out, size_t len)
{
	if (strlen(s) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int h = nibble(s[2 * i]), l = nibble(s[2 * i + 1]);

		if (h < 0 || l < 0)
			return -EINVAL;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}
