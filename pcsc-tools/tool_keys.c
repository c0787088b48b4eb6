/* simpki-tool commands that use keys: keygen, csr, cert load/export, sign (raw or CMS). The card computes every
 * signature; OpenSSL builds the structures around it (CMS SignedData; a certificate request for a card that cannot
 * build one itself) with the public key read from the card. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <simpki/card_sw.h>
#include <simpki/tlv.h>

#include "tool.h"

#define INPUT_MAX (64 * 1024 * 1024) /* a file to sign is hashed as it is read; this bounds a certificate file */

static const char usage_keygen[] =
	"Usage: simpki-tool [--reader NAME] keygen --alg p256|rsa2048 --id N [--label TEXT]\n"
	"\n"
	"Generate a key pair on the card (needs the PIN, SIMPKI_PIN). The private key never leaves the card; the\n"
	"public key is stored next to it, where OpenSC and 'csr' find it.\n"
	"\n"
	"  --alg p256|rsa2048   EC P-256 (fast, small signatures) or RSA-2048\n"
	"  --id N               the key's id, 1 to FF (hex, as OpenSC shows it: --id 2 is OpenSC's 02)\n"
	"  --label TEXT         a name for the key, up to 32 characters (default \"Private Key\")\n";

static const char usage_csr[] =
	"Usage: simpki-tool [--reader NAME] csr --id N --subject /CN=../O=.. [--on-card|--on-host] [-o FILE]\n"
	"\n"
	"Write a PKCS#10 certificate request (PEM) for key N, signed by the card (needs the PIN, SIMPKI_PIN).\n"
	"The subject is UTF-8 (Vietnamese diacritics are fine): /CN=Nguyễn Văn An/O=UBND tỉnh Hà Tĩnh/C=VN.\n"
	"Write '\\/' for a '/' inside a value.\n"
	"\n"
	"A simpki card builds the whole request itself and signs only what it built (BUILD CERTIFICATE REQUEST);\n"
	"with a card that cannot (an IsoApplet card), the request is built here and the card signs its hash.\n"
	"\n"
	"  --id N           the key (see 'info')\n"
	"  --subject NAME   the subject, as /KEY=VALUE/... with OpenSSL's short names (CN, O, OU, L, ST, C, ...);\n"
	"                   at most 1,024 bytes in DER for the card to build the request\n"
	"  --on-card        the card must build the request (fail with a card that cannot)\n"
	"  --on-host        build the request here, the card signs its hash\n"
	"  -o, --out FILE   where to write the request (default: standard output)\n";

static const char usage_cert[] =
	"Usage: simpki-tool [--reader NAME] cert load --id N [--label TEXT] FILE\n"
	"       simpki-tool [--reader NAME] cert export --id N [-o FILE] [--der]\n"
	"\n"
	"load     store FILE (PEM or DER) as the certificate of key N; it must carry key N's public key. A\n"
	"         certificate already there is replaced. Needs the PIN (SIMPKI_PIN). --label names it for PKCS#11\n"
	"         applications (up to 32 characters; default: the subject's common name).\n"
	"export   write the certificate of key N, PEM unless --der, to FILE or standard output.\n";

static const char usage_sign[] =
	"Usage: simpki-tool [--reader NAME] sign --id N [--cms] FILE -o SIG\n"
	"\n"
	"Sign FILE with key N (needs the PIN, SIMPKI_PIN). The card signs the SHA-256 hash of FILE.\n"
	"Without --cms, SIG is the raw signature: PKCS#1 v1.5 for RSA, DER ECDSA for P-256, which\n"
	"'openssl dgst -sha256 -verify PUBKEY -signature SIG FILE' checks. With --cms, SIG is a CMS SignedData\n"
	"(DER, detached, with the key's certificate and signing time), which\n"
	"'openssl cms -verify -binary -inform DER -in SIG -content FILE -CAfile CA' checks.\n"
	"\n"
	"  --id N           the key (see 'info')\n"
	"  --cms            CMS SignedData instead of a raw signature (the key needs a certificate)\n"
	"  -o, --out SIG    where to write the signature\n";

/* Options every key command takes: --id, --reader (also after the command), --help. */
static int common_opt(int opt, unsigned *id, const char *usage)
{
	switch (opt) {
	case 'i':
		if (tool_parse_id(optarg, id)) {
			tool_msg("--id takes a key id from 1 to FF, not '%s'", optarg);
			return TOOL_USAGE;
		}
		return -1;
	case 'r':
		tool_opts.reader = optarg;
		return -1;
	case 'h':
		fputs(usage, stdout);
		return TOOL_OK;
	default:
		fputs(usage, stderr);
		return TOOL_USAGE;
	}
}

static FILE *open_out(const char *path)
{
	FILE *f = path ? fopen(path, "wb") : stdout;

	if (!f)
		tool_msg("cannot write %s: %s", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *path)
{
	int bad = ferror(f);

	if (f != stdout)
		bad |= fclose(f);
	else
		bad |= fflush(f);
	if (bad) {
		tool_msg("writing %s failed", path ? path : "standard output");
		return TOOL_FAILED;
	}
	return TOOL_OK;
}

/* ---- keygen ------------------------------------------------------------------------------------------------ */

int tool_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "alg", required_argument, NULL, 'a' },   { "id", required_argument, NULL, 'i' },
		{ "label", required_argument, NULL, 'l' }, { "reader", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },	   { NULL, 0, NULL, 0 }
	};
	const char *alg = NULL, *label = "Private Key";
	enum p15_keytype type;
	unsigned id = 0;
	struct token t;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'a')
			alg = optarg;
		else if (opt == 'l')
			label = optarg;
		else if ((rc = common_opt(opt, &id, usage_keygen)) >= 0)
			return rc;
	}
	if (!alg || !id || optind < argc) {
		tool_msg("keygen needs --alg p256|rsa2048 and --id N");
		return TOOL_USAGE;
	}
	if (!strcmp(alg, "p256")) {
		type = P15_EC;
	} else if (!strcmp(alg, "rsa2048")) {
		type = P15_RSA;
	} else {
		tool_msg("--alg is p256 or rsa2048, not '%s'", alg);
		return TOOL_USAGE;
	}
	if (tool_chars(label) > 32 || !*label) {
		tool_msg("the label has 1 to 32 characters");
		return TOOL_USAGE;
	}
	rc = tool_open(&t, true);
	if (rc)
		return rc;
	if (token_private_key(&t, (uint8_t)id)) {
		tool_msg("the card already holds a key with id %02X", id);
		pki_card_close(&t.card);
		return TOOL_NO_OBJECT;
	}
	rc = tool_verify_pin(&t);
	if (!rc) {
		int err = token_keygen(&t, (uint8_t)id, type, label);

		rc = err ? tool_explain(&t, err, "generating the key") : TOOL_OK;
		if (!rc)
			printf("Key %02X (%s) generated on the card.\n", id, type == P15_RSA ? "RSA-2048" : "EC P-256");
	}
	pki_card_close(&t.card);
	return rc;
}

/* ---- csr ---------------------------------------------------------------------------------------------------- */

/* "/CN=Nguyễn Văn An/O=UBND" into an X509_NAME (UTF-8 values). \returns NULL after saying what is wrong */
static X509_NAME *parse_subject(const char *s)
{
	X509_NAME *name = X509_NAME_new();
	char field[1024], *value;
	size_t n;

	if (!name)
		return NULL;
	if (*s != '/')
		goto bad;
	while (*s == '/') {
		s++;
		for (n = 0; *s && *s != '/'; s++) {
			if (*s == '\\' && s[1] == '/')
				s++;
			if (n + 1 >= sizeof(field))
				goto bad;
			field[n++] = *s;
		}
		field[n] = '\0';
		value = strchr(field, '=');
		if (!value || value == field || !value[1])
			goto bad;
		*value++ = '\0';
		if (!X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, (const unsigned char *)value, -1, -1, 0)) {
			tool_msg("'%s' is not a name attribute OpenSSL knows (CN, O, OU, L, ST, C, ...)", field);
			X509_NAME_free(name);
			return NULL;
		}
	}
	if (!*s && X509_NAME_entry_count(name) > 0)
		return name;
bad:
	tool_msg("the subject must look like /CN=Nguyễn Văn An/O=UBND (KEY=VALUE pairs, each after a '/')");
	X509_NAME_free(name);
	return NULL;
}

/* Sign \a tbs (already DER) with key \a id: the card signs its SHA-256 hash. */
static int card_sign(struct token *t, unsigned id, const uint8_t *tbs, size_t len, uint8_t *sig, size_t *sig_len)
{
	uint8_t hash[32];
	int err;

	SHA256(tbs, len, hash);
	*sig_len = 256;
	err = token_sign_hash(t, (uint8_t)id, hash, sig, sig_len);
	return err ? tool_explain(t, err, "signing") : TOOL_OK;
}

/* The request built here around the card's signature of its SHA-256 hash (any IsoApplet card). */
static int csr_on_host(struct token *t, unsigned id, X509_NAME *name, EVP_PKEY *pub, X509_REQ **out)
{
	X509_REQ *req = X509_REQ_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
	bool rsa = EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA;
	uint8_t *tbs = NULL, sig[256];
	size_t sig_len;
	int rc, n;

	if (!req || !alg || !bits || !X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, pub) ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(rsa ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256),
			     rsa ? V_ASN1_NULL : V_ASN1_UNDEF, NULL) ||
	    !X509_REQ_set1_signature_algo(req, alg) || (n = i2d_re_X509_REQ_tbs(req, &tbs)) <= 0) {
		tool_msg("cannot build the certificate request");
		rc = TOOL_FAILED;
		goto out;
	}
	rc = card_sign(t, id, tbs, (size_t)n, sig, &sig_len);
	if (rc)
		goto out;
	/* a signature is whole bytes: say so, or OpenSSL counts the trailing zero bits of the last byte as unused */
	if (!ASN1_BIT_STRING_set(bits, sig, (int)sig_len)) {
		rc = TOOL_FAILED;
		goto out;
	}
	bits->flags = (bits->flags & ~0x07L) | ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, bits);
	bits = NULL;
	*out = req;
	req = NULL;
out:
	OPENSSL_free(tbs);
	ASN1_BIT_STRING_free(bits);
	X509_ALGOR_free(alg);
	X509_REQ_free(req);
	return rc;
}

/* The request built and signed by the card (BUILD CERTIFICATE REQUEST), checked here: one DER request for the key
 * the card's PuKDF names, with its signature. *unsupported is set (and nothing said) for a card without the
 * command. \returns TOOL_OK or the exit code after explaining */
static int csr_on_card(struct token *t, unsigned id, X509_NAME *name, EVP_PKEY *pub, X509_REQ **out, bool *unsupported)
{
	static uint8_t buf[PKI_DATA_MAX];
	const unsigned char *p = buf;
	unsigned char *der = NULL;
	int len = i2d_X509_NAME(name, &der), err;
	size_t n = 0;

	*unsupported = false;
	if (len <= 0) {
		tool_msg("cannot encode the subject");
		return TOOL_FAILED;
	}
	if (len > PKI_CSR_SUBJECT_MAX) {
		tool_msg("the subject is %d bytes in DER; the card builds requests for subjects of at most %d", len,
			 PKI_CSR_SUBJECT_MAX);
		OPENSSL_free(der);
		return TOOL_USAGE;
	}
	err = token_build_csr(t, (uint8_t)id, der, (size_t)len, buf, &n);
	OPENSSL_free(der);
	if (err == SW_INS_NOT_SUPPORTED) {
		*unsupported = true;
		return TOOL_FAILED;
	}
	if (err)
		return tool_explain(t, err, "building the request on the card");
	*out = d2i_X509_REQ(NULL, &p, (long)n);
	if (!*out || p != buf + n || EVP_PKEY_eq(X509_REQ_get0_pubkey(*out), pub) != 1 ||
	    X509_REQ_verify(*out, pub) != 1) {
		tool_msg("the card answered a certificate request that does not check out (wrong key or signature)");
		X509_REQ_free(*out);
		*out = NULL;
		return TOOL_FAILED;
	}
	return TOOL_OK;
}

int tool_csr(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },	 { "subject", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' }, { "reader", required_argument, NULL, 'r' },
		{ "on-card", no_argument, NULL, 'C' },	 { "on-host", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },	 { NULL, 0, NULL, 0 }
	};
	const char *subject = NULL, *out = NULL;
	bool on_card = false, on_host = false, unsupported = false;
	X509_NAME *name = NULL;
	X509_REQ *req = NULL;
	EVP_PKEY *pub = NULL;
	unsigned id = 0;
	struct token t;
	FILE *f;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (opt == 's')
			subject = optarg;
		else if (opt == 'o')
			out = optarg;
		else if (opt == 'C')
			on_card = true;
		else if (opt == 'H')
			on_host = true;
		else if ((rc = common_opt(opt, &id, usage_csr)) >= 0)
			return rc;
	}
	if (!id || !subject || optind < argc || (on_card && on_host)) {
		tool_msg(on_card && on_host ? "csr takes --on-card or --on-host, not both" :
					      "csr needs --id N and --subject /CN=...");
		return TOOL_USAGE;
	}
	name = parse_subject(subject);
	if (!name)
		return TOOL_USAGE;
	rc = tool_open(&t, true);
	if (rc) {
		X509_NAME_free(name);
		return rc;
	}
	if (!token_private_key(&t, (uint8_t)id) || token_read_public_key(&t, (uint8_t)id, &pub)) {
		rc = tool_explain(&t, -ENOENT, "csr");
		goto out;
	}
	rc = tool_verify_pin(&t);
	if (!rc && !on_host)
		rc = csr_on_card(&t, id, name, pub, &req, &unsupported);
	if (unsupported && on_card)
		tool_msg("this card cannot build certificate requests itself (leave out --on-card)");
	else if (unsupported || (!rc && on_host))
		rc = csr_on_host(&t, id, name, pub, &req); /* an IsoApplet card, or asked for */
	if (rc)
		goto out;
	f = open_out(out);
	if (!f) {
		rc = TOOL_FAILED;
		goto out;
	}
	PEM_write_X509_REQ(f, req);
	rc = close_out(f, out);
out:
	X509_REQ_free(req);
	X509_NAME_free(name);
	EVP_PKEY_free(pub);
	pki_card_close(&t.card);
	return rc;
}

/* ---- cert ---------------------------------------------------------------------------------------------------- */

static X509 *read_cert_file(const char *path)
{
	BIO *b = BIO_new_file(path, "rb");
	X509 *x = NULL;

	if (!b) {
		tool_msg("cannot read %s", path);
		return NULL;
	}
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (!x) {
		(void)BIO_reset(b);
		x = d2i_X509_bio(b, NULL);
	}
	BIO_free(b);
	if (!x)
		tool_msg("%s is not a certificate (PEM or DER)", path);
	return x;
}

int tool_cert(int argc, char **argv)
{
	static const struct option opts[] = { { "id", required_argument, NULL, 'i' },
					      { "out", required_argument, NULL, 'o' },
					      { "der", no_argument, NULL, 'd' },
					      { "reader", required_argument, NULL, 'r' },
					      { "label", required_argument, NULL, 'l' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *action = argc > 1 ? argv[1] : NULL, *out = NULL, *label = NULL;
	char cn[P15_LABEL_MAX + 1] = "Certificate";
	bool der = false, load;
	unsigned id = 0;
	X509 *x = NULL;
	struct token t;
	int opt, rc, err;

	if (!action || !strcmp(action, "--help") || !strcmp(action, "-h")) {
		fputs(usage_cert, action ? stdout : stderr);
		return action ? TOOL_OK : TOOL_USAGE;
	}
	load = !strcmp(action, "load");
	if (!load && strcmp(action, "export")) {
		tool_msg("cert: unknown action '%s' (load or export)", action);
		return TOOL_USAGE;
	}
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (opt == 'o')
			out = optarg;
		else if (opt == 'd')
			der = true;
		else if (opt == 'l')
			label = optarg;
		else if ((rc = common_opt(opt, &id, usage_cert)) >= 0)
			return rc;
	}
	if (!id || (load && optind + 1 != argc) || (!load && optind != argc)) {
		tool_msg(load ? "cert load needs --id N and one certificate FILE" : "cert export needs --id N");
		return TOOL_USAGE;
	}
	if (label && (tool_chars(label) > 32 || !*label)) {
		tool_msg("the label has 1 to 32 characters");
		return TOOL_USAGE;
	}
	if (load && !(x = read_cert_file(argv[optind])))
		return TOOL_USAGE;
	if (load && !label) {
		/* the subject's common name in UTF-8, cut at 32 characters (a whole UTF-8 sequence at a time) */
		const X509_NAME *name = X509_get_subject_name(x);
		int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
		unsigned char *utf8 = NULL;
		size_t chars = 0, i = 0;

		if (idx >= 0 &&
		    ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx))) > 0)
			snprintf(cn, sizeof(cn), "%s", (const char *)utf8);
		OPENSSL_free(utf8);
		for (; cn[i]; i++) {
			if (((unsigned char)cn[i] & 0xc0) != 0x80 && ++chars > 32)
				break;
		}
		cn[i] = '\0';
		label = cn;
	}
	rc = tool_open(&t, true);
	if (rc) {
		X509_free(x);
		return rc;
	}
	if (load) {
		EVP_PKEY *pub = NULL;

		err = token_private_key(&t, (uint8_t)id) ? token_read_public_key(&t, (uint8_t)id, &pub) : -ENOENT;
		if (err) {
			rc = tool_explain(&t, err, "cert load");
		} else if (EVP_PKEY_eq(pub, X509_get0_pubkey(x)) != 1) {
			tool_msg("this certificate is not for key %02X: its public key is another one", id);
			rc = TOOL_USAGE;
		} else if (!(rc = tool_verify_pin(&t))) {
			err = token_store_certificate(&t, (uint8_t)id, x, label);
			rc = err ? tool_explain(&t, err, "storing the certificate") : TOOL_OK;
			if (!rc)
				printf("The certificate of key %02X is stored on the card.\n", id);
		}
		EVP_PKEY_free(pub);
	} else {
		err = token_read_certificate(&t, (uint8_t)id, &x);
		if (err) {
			rc = tool_explain(&t, err, "cert export");
		} else {
			FILE *f = open_out(out);

			rc = TOOL_FAILED;
			if (f) {
				if (der)
					i2d_X509_fp(f, x);
				else
					PEM_write_X509(f, x);
				rc = close_out(f, out);
			}
		}
	}
	X509_free(x);
	pki_card_close(&t.card);
	return rc;
}

/* ---- sign ------------------------------------------------------------------------------------------------------ */

static int hash_file(const char *path, uint8_t out[32])
{
	FILE *f = fopen(path, "rb");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t buf[65536];
	size_t n;
	int ok;

	ok = f && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		ok = EVP_DigestUpdate(md, buf, n);
	ok = ok && !ferror(f) && EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	if (f)
		fclose(f);
	if (!ok)
		tool_msg("cannot read %s", path);
	return ok ? TOOL_OK : TOOL_USAGE;
}

struct der_item {
	const uint8_t *p;
	int len;
};

/* DER orders a SET OF by the encodings of its members, compared as octet strings (a prefix comes first). */
static int der_order(const void *a, const void *b)
{
	const struct der_item *x = a, *y = b;
	int c = memcmp(x->p, y->p, (size_t)(x->len < y->len ? x->len : y->len));

	return c ? c : x->len - y->len;
}

/* CMS SignedData over a file whose hash is \a hash: OpenSSL builds the structure with the certificate and a
 * public-key-only signer, the signed attributes (contentType, messageDigest, signingTime) are DER-encoded as a SET
 * in DER order, and the card signs that. CMS_final() is never called: it would try to sign. */
static CMS_ContentInfo *build_cms(struct token *t, unsigned id, X509 *cert, const uint8_t hash[32], int *rc)
{
	const unsigned flags = CMS_PARTIAL | CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	CMS_SignerInfo *si = NULL;
	ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
	uint8_t *attrs[16] = { NULL }, *set = NULL, sig[256];
	struct der_item items[16];
	int lens[16], n = 0, total = 0, pos;
	bool card_failed = false;
	size_t sig_len;

	*rc = TOOL_FAILED;
	if (cms)
		si = CMS_add1_signer(cms, cert, X509_get0_pubkey(cert), EVP_sha256(), flags);
	if (!si || !now || !CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, hash, 32) ||
	    !CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data), -1) ||
	    !CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, now->type, now, -1))
		goto fail;
	n = CMS_signed_get_attr_count(si);
	if (n < 0 || n > 16)
		goto fail;
	for (int i = 0; i < n; i++) {
		lens[i] = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &attrs[i]);
		if (lens[i] <= 0)
			goto fail;
		total += lens[i];
	}
	for (int i = 0; i < n; i++)
		items[i] = (struct der_item){ attrs[i], lens[i] };
	qsort(items, (size_t)n, sizeof(items[0]), der_order);
	set = OPENSSL_malloc((size_t)total + 8);
	if (!set || (pos = tlv_put_header(set, 8, 0x31, (size_t)total)) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		memcpy(set + pos, items[i].p, (size_t)items[i].len);
		pos += items[i].len;
	}
	*rc = card_sign(t, id, set, (size_t)pos, sig, &sig_len);
	card_failed = *rc != TOOL_OK; /* card_sign() said why */
	if (*rc)
		goto fail;
	if (!ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)sig_len)) {
		*rc = TOOL_FAILED;
		goto fail;
	}
	for (int i = 0; i < n; i++)
		OPENSSL_free(attrs[i]);
	OPENSSL_free(set);
	ASN1_TIME_free(now);
	return cms;
fail:
	if (*rc == TOOL_FAILED && !card_failed)
		tool_msg("cannot build the CMS signature");
	for (int i = 0; i < n && i < 16; i++)
		OPENSSL_free(attrs[i]);
	OPENSSL_free(set);
	ASN1_TIME_free(now);
	CMS_ContentInfo_free(cms);
	return NULL;
}

int tool_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },	 { "cms", no_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' }, { "reader", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },	 { NULL, 0, NULL, 0 }
	};
	const char *out = NULL, *in;
	bool cms = false;
	uint8_t hash[32], sig[256];
	size_t sig_len;
	unsigned id = 0;
	X509 *cert = NULL;
	struct token t;
	FILE *f;
	int opt, rc, err;

	while ((opt = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (opt == 'c')
			cms = true;
		else if (opt == 'o')
			out = optarg;
		else if ((rc = common_opt(opt, &id, usage_sign)) >= 0)
			return rc;
	}
	if (!id || !out || optind + 1 != argc) {
		tool_msg("sign needs --id N, one FILE and -o SIG");
		return TOOL_USAGE;
	}
	in = argv[optind];
	rc = hash_file(in, hash);
	if (rc)
		return rc;
	rc = tool_open(&t, true);
	if (rc)
		return rc;
	if (!token_private_key(&t, (uint8_t)id)) {
		rc = tool_explain(&t, -ENOENT, "sign");
		goto out;
	}
	if (cms && (err = token_read_certificate(&t, (uint8_t)id, &cert))) {
		if (err == -ENOENT)
			tool_msg("key %02X has no certificate on the card: load one first (simpki-tool cert load)", id);
		rc = err == -ENOENT ? TOOL_NO_OBJECT : tool_explain(&t, err, "reading the certificate");
		goto out;
	}
	rc = tool_verify_pin(&t);
	if (rc)
		goto out;
	if (cms) {
		CMS_ContentInfo *ci = build_cms(&t, id, cert, hash, &rc);

		uint8_t *der = NULL;
		int len = ci ? i2d_CMS_ContentInfo(ci, &der) : -1;

		if (len > 0 && (f = open_out(out))) {
			fwrite(der, 1, (size_t)len, f);
			rc = close_out(f, out);
		} else if (ci) {
			rc = TOOL_FAILED;
		}
		OPENSSL_free(der);
		CMS_ContentInfo_free(ci);
	} else {
		sig_len = sizeof(sig);
		err = token_sign_hash(&t, (uint8_t)id, hash, sig, &sig_len);
		if (err) {
			rc = tool_explain(&t, err, "signing");
		} else if ((f = open_out(out))) {
			fwrite(sig, 1, sig_len, f);
			rc = close_out(f, out);
		} else {
			rc = TOOL_FAILED;
		}
	}
	if (!rc)
		printf("%s signed with key %02X: %s\n", in, id, out);
out:
	X509_free(cert);
	pki_card_close(&t.card);
	return rc;
}
