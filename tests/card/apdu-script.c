/* Runs an APDU script against a fresh in-memory card and checks every answer. Usage: apdu-script FILE...
 *
 * Script format, one item per line ('#' starts a comment, blank lines are skipped):
 *   HEX                  a command APDU; spaces between bytes are allowed; {name} or {name:offset:length}
 *                        insert bytes of a variable (offset and length in bytes, decimal)
 *   = PATTERN            the expected answer (data then SW) of the APDU before; hex bytes, ".." any one byte,
 *                        "*" any number of bytes, {name} a variable. Without a "=" line the SW must be 9000.
 *   !save NAME           NAME = the response data (no SW) of the last APDU; !append NAME appends it
 *   !set NAME HEX        NAME = bytes
 *   !sha256 NAME HEX     NAME = SHA-256 of the bytes (variables allowed)
 *   !verify ALG PUB SIG DATA
 *                        check a signature with the public key in PUB (a 7F49 template as GENERATE answers):
 *                        ALG rsa-pkcs1 (DATA is the DigestInfo), ecdsa-sha1 (DATA is the message),
 *                        ecdsa-hash (DATA is the hash); SIG as the card returned it (DER for ECDSA)
 *   !encrypt NAME PUB DATA
 *                        NAME = RSA PKCS#1 v1.5 encryption of DATA under PUB
 *   !csr REQ PUB SUBJECT check that REQ is a DER PKCS#10 CertificationRequest (re-encoded byte for byte) of version
 *                        0, no attributes, signed with SHA-256 (ecdsa-with-SHA256 or sha256WithRSAEncryption) by
 *                        the key of PUB (a 7F49 template), whose public key is PUB's and whose subject is SUBJECT
 *                        (DER Name bytes; variables allowed); X509_REQ_verify() must accept it
 *   !reset               warm reset (transient state cleared)
 *   !restart             close the card and open it again from its NVM (a power cycle)
 *   !card [MANIFEST]     start again with a new card (MANIFEST: file next to the script; default manifest)
 *   !snapshot            remember the NVM image;  !unchanged  fail if it differs from the snapshot
 * Exit status: 0 when every check held; 1 with a message naming the file and line otherwise.
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <simpki/apdu.h>
#include <simpki/hex.h>
#include <simpki/tlv.h>

#include "cardos.h"

#define MAX_VARS 64
#define MAX_BYTES (APDU_MAX_ENCODED + 16)

struct var {
	char name[32];
	uint8_t *data;
	size_t len;
};

struct script {
	const char *file;
	unsigned line;
	char dir[4096];
	struct nvm_store *store;
	struct card_os *os;
	struct var vars[MAX_VARS];
	unsigned nvars;
	uint8_t last[CARD_RESP_MAX + 2];
	size_t last_len; /* including SW; 0 before the first APDU */
	bool last_checked;
	uint8_t *snapshot;
	size_t snapshot_len;
};

__attribute__((format(printf, 2, 3))) static int fail(struct script *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%u: ", s->file, s->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static struct var *var_get(struct script *s, const char *name, size_t len)
{
	for (unsigned i = 0; i < s->nvars; i++) {
		if (strlen(s->vars[i].name) == len && !strncmp(s->vars[i].name, name, len))
			return &s->vars[i];
	}
	return NULL;
}

static int var_set(struct script *s, const char *name, const uint8_t *data, size_t len, bool append)
{
	struct var *v = var_get(s, name, strlen(name));
	uint8_t *p;

	if (!v) {
		if (s->nvars == MAX_VARS || strlen(name) >= sizeof(v->name))
			return fail(s, "too many variables or name too long");
		v = &s->vars[s->nvars++];
		strcpy(v->name, name);
		v->data = NULL;
		v->len = 0;
		append = false;
	}
	p = malloc((append ? v->len : 0) + len + 1);
	if (!p)
		return fail(s, "out of memory");
	if (append)
		memcpy(p, v->data, v->len);
	memcpy(p + (append ? v->len : 0), data, len);
	v->len = (append ? v->len : 0) + len;
	free(v->data);
	v->data = p;
	return 0;
}

/* Expand hex with {var} and {var:off:len} into bytes; with \a pattern, ".." and "*" become marks in \a kind. */
enum {
	K_BYTE,
	K_ANY,
	K_STAR
};

static int expand(struct script *s, const char *text, uint8_t *out, uint8_t *kind, size_t *n, bool pattern)
{
	size_t len = 0;

	while (*text) {
		if (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n') {
			text++;
		} else if (*text == '{') {
			const char *end = strchr(text, '}'), *colon = memchr(text, ':', end ? (size_t)(end - text) : 0);
			unsigned long off = 0, cnt;
			struct var *v;

			if (!end)
				return fail(s, "unterminated {");
			v = var_get(s, text + 1, (size_t)((colon ? colon : end) - text - 1));
			if (!v)
				return fail(s, "unknown variable in %.*s", (int)(end - text + 1), text);
			cnt = v->len;
			if (colon && sscanf(colon, ":%lu:%lu", &off, &cnt) != 2)
				return fail(s, "bad slice in %.*s", (int)(end - text + 1), text);
			if (off > v->len || cnt > v->len - off || len + cnt > MAX_BYTES)
				return fail(s, "slice out of range in %.*s", (int)(end - text + 1), text);
			memcpy(out + len, v->data + off, cnt);
			if (kind)
				memset(kind + len, K_BYTE, cnt);
			len += cnt;
			text = end + 1;
		} else if (pattern && text[0] == '.' && text[1] == '.') {
			kind[len] = K_ANY;
			out[len++] = 0;
			text += 2;
		} else if (pattern && *text == '*') {
			kind[len] = K_STAR;
			out[len++] = 0;
			text++;
		} else {
			int rc = hex_decode_n(text, 2, out + len, 1);

			if (rc != 1 || len + 1 > MAX_BYTES)
				return fail(s, "bad hex near '%.8s'", text);
			if (kind)
				kind[len] = K_BYTE;
			len++;
			text += 2;
		}
	}
	*n = len;
	return 0;
}

static bool match(const uint8_t *pat, const uint8_t *kind, size_t np, const uint8_t *got, size_t ng)
{
	if (!np)
		return !ng;
	if (kind[0] == K_STAR) {
		for (size_t skip = 0; skip <= ng; skip++) {
			if (match(pat + 1, kind + 1, np - 1, got + skip, ng - skip))
				return true;
		}
		return false;
	}
	if (!ng || (kind[0] == K_BYTE && pat[0] != got[0]))
		return false;
	return match(pat + 1, kind + 1, np - 1, got + 1, ng - 1);
}

static void print_hex(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02X", b[i]);
}

static int check_last_default(struct script *s)
{
	if (!s->last_len || s->last_checked)
		return 0;
	s->last_checked = true;
	if (s->last[s->last_len - 2] == 0x90 && s->last[s->last_len - 1] == 0x00)
		return 0;
	s->line--;
	fail(s, "expected SW 9000 after the APDU above, got %02X%02X", s->last[s->last_len - 2],
	     s->last[s->last_len - 1]);
	s->line++;
	return -1;
}

static int open_card(struct script *s, const char *manifest_file)
{
	struct card_identity id = { .iccid = "89445012345678901238",
				    .imsi = "001010000000001",
				    .msisdn = "84900000001" };
	char path[8192], err[256], *text = NULL;
	uint8_t atr[33];
	int rc;

	card_os_close(s->os);
	nvm_store_free(s->store);
	s->os = NULL;
	s->store = NULL;
	s->last_len = 0;
	if (manifest_file) {
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "%s/%s", s->dir, manifest_file);
		f = fopen(path, "r");
		if (!f)
			return fail(s, "cannot read %s", path);
		text = calloc(1, 65537);
		n = text ? fread(text, 1, 65536, f) : 0;
		fclose(f);
		if (!text || !n)
			return fail(s, "empty manifest %s", path);
	}
	rc = card_os_build(text, &id, &s->store, err, sizeof(err));
	free(text);
	if (rc)
		return fail(s, "cannot build the card: %s", err);
	rc = card_os_open(s->store, &s->os);
	if (rc)
		return fail(s, "cannot open the card: %s", strerror(-rc));
	card_os_power_on(s->os, atr, sizeof(atr));
	return 0;
}

static int send_apdu(struct script *s, const char *text)
{
	static uint8_t cmd[MAX_BYTES];
	size_t n;
	int rc;

	if (check_last_default(s) || expand(s, text, cmd, NULL, &n, false))
		return -1;
	rc = card_os_transmit(s->os, cmd, n, s->last, sizeof(s->last), &s->last_len);
	if (rc)
		return fail(s, "the card did not answer: %s", strerror(-rc));
	s->last_checked = false;
	return 0;
}

static int expect(struct script *s, const char *text)
{
	static uint8_t pat[MAX_BYTES], kind[MAX_BYTES];
	size_t n;

	if (!s->last_len || s->last_checked)
		return fail(s, "'=' without an APDU before it");
	s->last_checked = true;
	if (expand(s, text, pat, kind, &n, true))
		return -1;
	if (match(pat, kind, n, s->last, s->last_len))
		return 0;
	fail(s, "unexpected answer");
	fprintf(stderr, "  expected: %s\n  got:      ", text);
	print_hex(stderr, s->last, s->last_len);
	fputc('\n', stderr);
	return -1;
}

/* A public key from a 7F49 template: RSA (81 n, 82 e) or P-256 (86 Q). */
static EVP_PKEY *pubkey(struct script *s, const struct var *v)
{
	struct tlv outer, n, e, q;
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	bool rsa;

	if (!b || ber_tlv_parse(v->data, v->len, &outer) || outer.tag != 0x7f49) {
		fail(s, "%s is not a 7F49 template", v->name);
		goto out;
	}
	rsa = !tlv_find(outer.value, outer.len, 0x81, &n) && !tlv_find(outer.value, outer.len, 0x82, &e) &&
	      tlv_find(outer.value, outer.len, 0x86, &q);
	if (rsa) {
		bn = BN_bin2bn(n.value, (int)n.len, NULL);
		be = BN_bin2bn(e.value, (int)e.len, NULL);
		OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn);
		OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be);
	} else if (!tlv_find(outer.value, outer.len, 0x86, &q)) {
		OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
		OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, q.value, q.len);
	} else {
		fail(s, "%s holds no public key", v->name);
		goto out;
	}
	params = OSSL_PARAM_BLD_to_param(b);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, rsa ? "RSA" : "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		fail(s, "OpenSSL does not take the public key in %s", v->name);
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(bn);
	BN_free(be);
	return pk;
}

/* Split "A B C ..." into at most \a max words. */
static unsigned words(char *text, char **w, unsigned max)
{
	unsigned n = 0;

	for (char *save = NULL, *t = strtok_r(text, " \t", &save); t && n < max; t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	return n;
}

static int verify(struct script *s, char *args)
{
	static uint8_t data[MAX_BYTES];
	char *w[4];
	struct var *pub, *sig;
	EVP_PKEY *pk;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *md = NULL;
	size_t n;
	int ok = 0;

	if (words(args, w, 4) != 4)
		return fail(s, "!verify ALG PUB SIG DATA");
	pub = var_get(s, w[1], strlen(w[1]));
	sig = var_get(s, w[2], strlen(w[2]));
	if (!pub || !sig)
		return fail(s, "unknown variable");
	if (expand(s, w[3], data, NULL, &n, false))
		return -1;
	pk = pubkey(s, pub);
	if (!pk)
		return -1;
	if (!strcmp(w[0], "ecdsa-sha1")) {
		md = EVP_MD_CTX_new();
		ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha1(), NULL, pk) == 1 &&
		     EVP_DigestVerify(md, sig->data, sig->len, data, n) == 1;
	} else if (!strcmp(w[0], "rsa-pkcs1") || !strcmp(w[0], "ecdsa-hash")) {
		ctx = EVP_PKEY_CTX_new(pk, NULL);
		ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
		     (w[0][0] != 'r' || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1) &&
		     EVP_PKEY_verify(ctx, sig->data, sig->len, data, n) == 1;
	} else {
		EVP_PKEY_free(pk);
		return fail(s, "unknown algorithm %s", w[0]);
	}
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ok ? 0 : fail(s, "OpenSSL rejects the signature in %s", w[2]);
}

static int encrypt(struct script *s, char *args)
{
	static uint8_t data[MAX_BYTES];
	uint8_t out[512];
	size_t n, outlen = sizeof(out);
	char *w[3];
	struct var *pub;
	EVP_PKEY *pk;
	EVP_PKEY_CTX *ctx;
	int ok;

	if (words(args, w, 3) != 3 || !(pub = var_get(s, w[1], strlen(w[1]))))
		return fail(s, "!encrypt NAME PUB DATA");
	if (expand(s, w[2], data, NULL, &n, false) || !(pk = pubkey(s, pub)))
		return -1;
	ctx = EVP_PKEY_CTX_new(pk, NULL);
	ok = ctx && EVP_PKEY_encrypt_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	     EVP_PKEY_encrypt(ctx, out, &outlen, data, n) == 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	if (!ok)
		return fail(s, "OpenSSL cannot encrypt");
	return var_set(s, w[0], out, outlen, false);
}

static int csr(struct script *s, char *args)
{
	static uint8_t subject[MAX_BYTES];
	char *w[3];
	struct var *req, *pub;
	const unsigned char *p;
	unsigned char *der = NULL, *name = NULL;
	X509_REQ *x = NULL;
	EVP_PKEY *pk = NULL;
	size_t n;
	int nid, der_len = 0, name_len = 0, rc = -1;

	if (words(args, w, 3) != 3 || !(req = var_get(s, w[0], strlen(w[0]))) ||
	    !(pub = var_get(s, w[1], strlen(w[1]))))
		return fail(s, "!csr REQ PUB SUBJECT");
	if (expand(s, w[2], subject, NULL, &n, false) || !(pk = pubkey(s, pub)))
		return -1;
	p = req->data;
	x = d2i_X509_REQ(NULL, &p, (long)req->len);
	if (!x || p != req->data + req->len) {
		fail(s, "%s is not one DER CertificationRequest", w[0]);
		goto out;
	}
	der_len = i2d_X509_REQ(x, &der);
	name_len = i2d_X509_NAME(X509_REQ_get_subject_name(x), &name);
	nid = X509_REQ_get_signature_nid(x);
	if (der_len != (int)req->len || memcmp(der, req->data, req->len))
		fail(s, "%s does not re-encode to the same bytes (not DER)", w[0]);
	else if (X509_REQ_get_version(x) != 0 || X509_REQ_get_attr_count(x) != 0)
		fail(s, "%s: version %ld, %d attributes", w[0], X509_REQ_get_version(x), X509_REQ_get_attr_count(x));
	else if (nid !=
		 (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256))
		fail(s, "%s is signed with %s", w[0], OBJ_nid2sn(nid));
	else if (EVP_PKEY_eq(X509_REQ_get0_pubkey(x), pk) != 1)
		fail(s, "the public key in %s is not %s", w[0], w[1]);
	else if (name_len != (int)n || memcmp(name, subject, n))
		fail(s, "the subject of %s is not %s", w[0], w[2]);
	else if (X509_REQ_verify(x, pk) != 1)
		fail(s, "OpenSSL rejects the signature of %s", w[0]);
	else
		rc = 0;
out:
	OPENSSL_free(der);
	OPENSSL_free(name);
	X509_REQ_free(x);
	EVP_PKEY_free(pk);
	return rc;
}

static int snapshot(struct script *s, bool compare)
{
	size_t len;
	const uint8_t *img = nvm_store_image(card_os_store(s->os), &len);

	if (!compare) {
		free(s->snapshot);
		s->snapshot = malloc(len);
		if (!s->snapshot)
			return fail(s, "out of memory");
		memcpy(s->snapshot, img, len);
		s->snapshot_len = len;
		return 0;
	}
	if (!s->snapshot || len != s->snapshot_len)
		return fail(s, "!unchanged without !snapshot");
	for (size_t i = 0; i < len; i++) {
		if (img[i] != s->snapshot[i])
			return fail(s, "NVM changed at image offset %zu", i);
	}
	return 0;
}

static int directive(struct script *s, char *line)
{
	static uint8_t data[MAX_BYTES];
	char *w[3], *rest;
	size_t n;
	uint8_t atr[33];
	unsigned nw;

	rest = line + strcspn(line, " \t");
	if (*rest)
		*rest++ = '\0';
	if (!strcmp(line, "!verify") || !strcmp(line, "!encrypt") || !strcmp(line, "!csr")) {
		if (check_last_default(s))
			return -1;
		return line[1] == 'v' ? verify(s, rest) : line[1] == 'e' ? encrypt(s, rest) : csr(s, rest);
	}
	if (check_last_default(s))
		return -1;
	nw = words(rest, w, 3);
	if ((!strcmp(line, "!save") || !strcmp(line, "!append")) && nw == 1) {
		if (!s->last_len)
			return fail(s, "no APDU to save the answer of");
		return var_set(s, w[0], s->last, s->last_len - 2, line[1] == 'a');
	}
	if ((!strcmp(line, "!set") || !strcmp(line, "!sha256")) && nw == 2) {
		if (expand(s, w[1], data, NULL, &n, false))
			return -1;
		if (line[2] == 'h') {
			uint8_t md[32];

			EVP_Digest(data, n, md, NULL, EVP_sha256(), NULL);
			return var_set(s, w[0], md, sizeof(md), false);
		}
		return var_set(s, w[0], data, n, false);
	}
	if (!strcmp(line, "!reset") && nw == 0) {
		card_os_power_on(s->os, atr, sizeof(atr));
		return 0;
	}
	if (!strcmp(line, "!restart") && nw == 0) {
		card_os_close(s->os);
		if (card_os_open(s->store, &s->os))
			return fail(s, "the card does not open again");
		card_os_power_on(s->os, atr, sizeof(atr));
		return 0;
	}
	if (!strcmp(line, "!card") && nw <= 1)
		return open_card(s, nw ? w[0] : NULL);
	if (!strcmp(line, "!snapshot") && nw == 0)
		return snapshot(s, false);
	if (!strcmp(line, "!unchanged") && nw == 0)
		return snapshot(s, true);
	return fail(s, "unknown directive %s", line);
}

static int run(const char *file)
{
	struct script s = { .file = file };
	char *line = NULL, *copy;
	size_t cap = 0;
	FILE *f = fopen(file, "r");
	int rc = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", file, strerror(errno));
		return -1;
	}
	copy = strdup(file);
	snprintf(s.dir, sizeof(s.dir), "%s", dirname(copy));
	free(copy);
	rc = open_card(&s, NULL);
	while (!rc && getline(&line, &cap, f) >= 0) {
		char *p = line, *hash = strchr(line, '#');

		s.line++;
		if (hash)
			*hash = '\0';
		p += strspn(p, " \t\r\n");
		p[strcspn(p, "\r\n")] = '\0';
		if (!*p)
			continue;
		if (*p == '=')
			rc = expect(&s, p + 1);
		else if (*p == '!')
			rc = directive(&s, p);
		else
			rc = send_apdu(&s, p);
	}
	s.line++;
	if (!rc)
		rc = check_last_default(&s);
	free(line);
	fclose(f);
	card_os_close(s.os);
	nvm_store_free(s.store);
	for (unsigned i = 0; i < s.nvars; i++)
		free(s.vars[i].data);
	free(s.snapshot);
	return rc;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: apdu-script FILE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (run(argv[i]))
			failed++;
		else
			printf("%s: ok\n", argv[i]);
	}
	return failed ? 1 : 0;
}
