/* Card manifest parser; the format is in manifest.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <simpki/hex.h>

#include "manifest.h"

#define LINE_MAX_CHARS 512
#define MAX_FIELDS 16

const char manifest_default[] =
	"# The simpki SIM: the PKI applet under the IsoApplet v0 AID (OpenSC's isoApplet driver)\n"
	"atr 3B80800101\n"
	"nvm-size 262144\n"
	"applet pki aid F276A288BCFBA69D34F31001 ram 1024 nvm 131072 tar 504B49 msl 16\n"
	"# Mobile signatures: signing requests to the PKI applet's toolkit TAR (\"SIG\")\n"
	"toolkit pki tar 534947 msl 16\n"
	"# Remote file management of EF.ICCID, EF.IMSI, EF.AD, EF.MSISDN (TS 102 226, compact scripts)\n"
	"rfm tar B00010 msl 16\n"
	"# The SCP81 admin agent (push SMS to TAR 000000; TLS-PSK keys are per card: scp81-psk)\n"
	"admin tar 000000 msl 16 server 127.0.0.1:8443\n";

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (errlen) {
		if (line)
			n = snprintf(err, errlen, "manifest line %u: ", line);
		if (n >= 0 && (size_t)n < errlen) {
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

bool manifest_msl_ok(uint8_t msl)
{
	return !(msl & 0xe0) && (msl & 0x03) != 0x03;
}

static int parse_msl(const char *v, uint8_t *msl)
{
	return hex_decode(v, msl, 1) == 1 && manifest_msl_ok(*msl) ? 0 : -EINVAL;
}

static bool tar_used(const struct manifest *m, const uint8_t tar[3], const char **by)
{
	for (unsigned i = 0; i < m->napplets; i++) {
		if ((m->applets[i].has_tar && !memcmp(m->applets[i].tar, tar, 3)) ||
		    (m->applets[i].has_tk_tar && !memcmp(m->applets[i].tk_tar, tar, 3))) {
			*by = m->applets[i].name;
			return true;
		}
	}
	for (unsigned i = 0; i < m->nrfm; i++) {
		if (!memcmp(m->rfm[i].tar, tar, 3)) {
			*by = "rfm";
			return true;
		}
	}
	if (m->admin.present && !memcmp(m->admin.tar, tar, 3)) {
		*by = "admin";
		return true;
	}
	return false;
}

/* "A.B.C.D[:PORT]" into \a ip and \a port (default SCP81's 8443). \returns 0; -EINVAL */
static int parse_server(const char *v, uint8_t ip[4], uint16_t *port)
{
	unsigned b[4], p = 8443;
	int n = 0;

	if (sscanf(v, "%3u.%3u.%3u.%3u%n", &b[0], &b[1], &b[2], &b[3], &n) != 4 || !n)
		return -EINVAL;
	if (v[n] == ':') {
		uint32_t pp;

		if (parse_u32(v + n + 1, 1, 65535, &pp))
			return -EINVAL;
		p = pp;
	} else if (v[n]) {
		return -EINVAL;
	}
	for (int i = 0; i < 4; i++) {
		if (b[i] > 255)
			return -EINVAL;
		ip[i] = (uint8_t)b[i];
	}
	*port = (uint16_t)p;
	return 0;
}

static bool uri_ok(const char *u)
{
	size_t len = strlen(u);

	if (u[0] != '/' || len > 128)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (u[i] < 0x21 || u[i] > 0x7e)
			return false;
	}
	return true;
}

static int parse_admin(char **f, unsigned nf, struct manifest *m, unsigned line, char *err, size_t errlen)
{
	struct manifest_admin a = { .present = true, .msl = MANIFEST_MSL_DEFAULT, .port = 8443 };
	bool have_tar = false, have_msl = false, have_uri = false;
	const char *by;

	if (m->admin.present)
		return fail(err, errlen, line, "more than one admin line");
	if (nf % 2 == 0)
		return fail(err, errlen, line, "admin fields come as key value pairs");
	strcpy(a.uri, "/simpki/ras");
	for (unsigned i = 1; i + 1 < nf; i += 2) {
		const char *k = f[i], *v = f[i + 1];

		if (!strcmp(k, "tar") && !have_tar) {
			if (hex_decode(v, a.tar, sizeof(a.tar)) != 3)
				return fail(err, errlen, line, "tar must be 3 bytes of hex");
			have_tar = true;
		} else if (!strcmp(k, "msl") && !have_msl) {
			if (parse_msl(v, &a.msl))
				return fail(err, errlen, line, "msl must be one byte coded as SPI1, without DS");
			have_msl = true;
		} else if (!strcmp(k, "server") && !a.has_server) {
			if (parse_server(v, a.ip, &a.port))
				return fail(err, errlen, line,
					    "server is an IPv4 address with an optional :PORT (1..65535)");
			a.has_server = true;
		} else if (!strcmp(k, "uri") && !have_uri) {
			if (!uri_ok(v))
				return fail(err, errlen, line, "uri is '/' then printable characters, 128 at most");
			strcpy(a.uri, v);
			have_uri = true;
		} else {
			return fail(err, errlen, line, "unknown or repeated admin field '%s'", k);
		}
	}
	if (!have_tar)
		return fail(err, errlen, line, "admin needs a tar");
	if (tar_used(m, a.tar, &by))
		return fail(err, errlen, line, "tar already used by %s", by);
	m->admin = a;
	return 0;
}

static int parse_psk(char **f, unsigned nf, struct manifest *m, unsigned line, char *err, size_t errlen)
{
	struct manifest_psk *k;
	uint32_t kvn, kid;
	int n;

	if (m->npsks == MANIFEST_MAX_PSK)
		return fail(err, errlen, line, "more than %d scp81-psk keys", MANIFEST_MAX_PSK);
	if (nf != 4)
		return fail(err, errlen, line, "scp81-psk takes KVN KID PSK");
	if (parse_u32(f[1], 64, 79, &kvn) || parse_u32(f[2], 1, 127, &kid))
		return fail(err, errlen, line, "the key version must be 64..79 and the key id 1..127");
	for (unsigned i = 0; i < m->npsks; i++) {
		if (m->psks[i].kvn == kvn && m->psks[i].kid == kid)
			return fail(err, errlen, line, "key %u/%u given twice", kvn, kid);
	}
	k = &m->psks[m->npsks];
	memset(k, 0, sizeof(*k));
	n = hex_decode(f[3], k->psk, sizeof(k->psk));
	if (n != 16 && n != 32) {
		OPENSSL_cleanse(k, sizeof(*k));
		return fail(err, errlen, line, "a PSK is 16 or 32 bytes of hex");
	}
	k->kvn = (uint8_t)kvn;
	k->kid = (uint8_t)kid;
	k->len = (uint8_t)n;
	m->npsks++;
	return 0;
}

static int parse_rfm(char **f, unsigned nf, struct manifest *m, unsigned line, char *err, size_t errlen)
{
	struct manifest_rfm *r;
	bool have_tar = false, have_msl = false, have_format = false;
	const char *by;

	if (m->nrfm == MANIFEST_MAX_RFM)
		return fail(err, errlen, line, "more than %d rfm TARs", MANIFEST_MAX_RFM);
	if (nf % 2 == 0)
		return fail(err, errlen, line, "rfm fields come as key value pairs");
	r = &m->rfm[m->nrfm];
	memset(r, 0, sizeof(*r));
	r->msl = MANIFEST_MSL_DEFAULT;
	for (unsigned i = 1; i + 1 < nf; i += 2) {
		const char *k = f[i], *v = f[i + 1];

		if (!strcmp(k, "tar") && !have_tar) {
			if (hex_decode(v, r->tar, sizeof(r->tar)) != 3)
				return fail(err, errlen, line, "tar must be 3 bytes of hex");
			have_tar = true;
		} else if (!strcmp(k, "msl") && !have_msl) {
			if (parse_msl(v, &r->msl))
				return fail(err, errlen, line, "msl must be one byte coded as SPI1, without DS");
			have_msl = true;
		} else if (!strcmp(k, "format") && !have_format) {
			if (strcmp(v, "compact") && strcmp(v, "expanded"))
				return fail(err, errlen, line, "format is compact or expanded");
			r->expanded = !strcmp(v, "expanded");
			have_format = true;
		} else {
			return fail(err, errlen, line, "unknown or repeated rfm field '%s'", k);
		}
	}
	if (!have_tar)
		return fail(err, errlen, line, "rfm needs a tar");
	if (tar_used(m, r->tar, &by))
		return fail(err, errlen, line, "tar already used by %s", by);
	m->nrfm++;
	return 0;
}

static int parse_toolkit(char **f, unsigned nf, struct manifest *m, unsigned line, char *err, size_t errlen)
{
	struct manifest_applet *a = NULL;
	bool have_msl = false;
	uint8_t tar[3], msl = MANIFEST_MSL_DEFAULT;
	const char *by;

	if (nf < 2 || nf % 2)
		return fail(err, errlen, line, "toolkit takes NAME tar HEX [msl HEX]");
	for (unsigned i = 0; i < m->napplets && !a; i++) {
		if (!strcmp(m->applets[i].name, f[1]))
			a = &m->applets[i];
	}
	if (!a)
		return fail(err, errlen, line, "toolkit names applet '%s', which no earlier applet line installs",
			    f[1]);
	if (a->has_tk_tar)
		return fail(err, errlen, line, "applet %s already has a toolkit TAR", a->name);
	if (nf < 4 || strcmp(f[2], "tar") || hex_decode(f[3], tar, sizeof(tar)) != 3)
		return fail(err, errlen, line, "toolkit needs tar and 3 bytes of hex");
	for (unsigned i = 4; i + 1 < nf; i += 2) {
		if (!strcmp(f[i], "msl") && !have_msl) {
			if (parse_msl(f[i + 1], &msl))
				return fail(err, errlen, line, "msl must be one byte coded as SPI1, without DS");
			have_msl = true;
		} else {
			return fail(err, errlen, line, "unknown or repeated toolkit field '%s'", f[i]);
		}
	}
	if (tar_used(m, tar, &by))
		return fail(err, errlen, line, "tar already used by %s%s", strcmp(by, "rfm") ? "applet " : "", by);
	a->has_tk_tar = true;
	memcpy(a->tk_tar, tar, 3);
	a->tk_msl = msl;
	return 0;
}

static int parse_key_hex(const char *v, uint8_t alg, uint8_t *out, uint8_t *len)
{
	int n = hex_decode(v, out, 32);

	if (alg == MANIFEST_OTA_3DES && n != 16 && n != 24)
		return -EINVAL;
	if (alg == MANIFEST_OTA_AES && n != 16 && n != 24 && n != 32)
		return -EINVAL;
	*len = (uint8_t)n;
	return 0;
}

static int parse_ota_key(char **f, unsigned nf, struct manifest *m, unsigned line, char *err, size_t errlen)
{
	struct manifest_ota_key *k;
	uint32_t kvn;

	if (m->nkeys == MANIFEST_MAX_OTA_KEYS)
		return fail(err, errlen, line, "more than %d OTA key sets", MANIFEST_MAX_OTA_KEYS);
	if (nf != 5)
		return fail(err, errlen, line, "ota-key takes KVN ALGO KIC KID");
	k = &m->keys[m->nkeys];
	memset(k, 0, sizeof(*k));
	if (parse_u32(f[1], 1, 15, &kvn))
		return fail(err, errlen, line, "the key version must be 1..15");
	for (unsigned i = 0; i < m->nkeys; i++) {
		if (m->keys[i].kvn == kvn)
			return fail(err, errlen, line, "key version %u given twice", kvn);
	}
	k->kvn = (uint8_t)kvn;
	if (!strcmp(f[2], "3des"))
		k->alg = MANIFEST_OTA_3DES;
	else if (!strcmp(f[2], "aes"))
		k->alg = MANIFEST_OTA_AES;
	else
		return fail(err, errlen, line, "the algorithm is 3des or aes");
	/* the messages never repeat a key */
	if (parse_key_hex(f[3], k->alg, k->kic, &k->kic_len) || parse_key_hex(f[4], k->alg, k->kid, &k->kid_len))
		return fail(err, errlen, line, "%s keys are %s bytes of hex", f[2],
			    k->alg == MANIFEST_OTA_3DES ? "16 or 24" : "16, 24 or 32");
	m->nkeys++;
	return 0;
}

static int parse_applet(char **f, unsigned nf, struct manifest *m, unsigned line, char *err, size_t errlen)
{
	struct manifest_applet *a;
	bool have_aid = false, have_ram = false, have_nvm = false, have_msl = false;
	const char *by;
	int n;

	if (m->napplets == MANIFEST_MAX_APPLETS)
		return fail(err, errlen, line, "more than %d applets", MANIFEST_MAX_APPLETS);
	if (nf < 2 || strlen(f[1]) > MANIFEST_NAME_MAX || !f[1][0])
		return fail(err, errlen, line, "applet needs a name of 1..%d characters", MANIFEST_NAME_MAX);
	a = &m->applets[m->napplets];
	memset(a, 0, sizeof(*a));
	strcpy(a->name, f[1]);
	if (nf % 2)
		return fail(err, errlen, line, "applet fields come as key value pairs");
	for (unsigned i = 2; i + 1 < nf; i += 2) {
		const char *k = f[i], *v = f[i + 1];

		if (!strcmp(k, "aid") && !have_aid) {
			n = hex_decode(v, a->aid, sizeof(a->aid));
			if (n < 5)
				return fail(err, errlen, line, "aid must be 5..16 bytes of hex");
			a->aid_len = (uint8_t)n;
			have_aid = true;
		} else if (!strcmp(k, "tar") && !a->has_tar) {
			if (hex_decode(v, a->tar, sizeof(a->tar)) != 3)
				return fail(err, errlen, line, "tar must be 3 bytes of hex");
			a->has_tar = true;
		} else if (!strcmp(k, "msl") && !have_msl) {
			if (parse_msl(v, &a->msl))
				return fail(err, errlen, line, "msl must be one byte coded as SPI1, without DS");
			have_msl = true;
		} else if (!strcmp(k, "ram") && !have_ram) {
			if (parse_u32(v, 0, 65536, &a->ram))
				return fail(err, errlen, line, "ram must be 0..65536 bytes");
			have_ram = true;
		} else if (!strcmp(k, "nvm") && !have_nvm) {
			if (parse_u32(v, 1, 16 * 1024 * 1024, &a->nvm))
				return fail(err, errlen, line, "nvm must be 1..16777216 bytes");
			have_nvm = true;
		} else {
			return fail(err, errlen, line, "unknown or repeated applet field '%s'", k);
		}
	}
	if (!have_aid || !have_ram || !have_nvm)
		return fail(err, errlen, line, "applet %s needs aid, ram and nvm", a->name);
	if (have_msl && !a->has_tar)
		return fail(err, errlen, line, "msl without a tar");
	if (!have_msl)
		a->msl = MANIFEST_MSL_DEFAULT;
	for (unsigned i = 0; i < m->napplets; i++) {
		const struct manifest_applet *o = &m->applets[i];

		if (o->aid_len == a->aid_len && !memcmp(o->aid, a->aid, a->aid_len))
			return fail(err, errlen, line, "aid already used by applet %s", o->name);
	}
	if (a->has_tar && tar_used(m, a->tar, &by))
		return fail(err, errlen, line, "tar already used by %s%s", strcmp(by, "rfm") ? "applet " : "", by);
	m->napplets++;
	return 0;
}

static int parse_line(char *s, struct manifest *m, unsigned line, bool *seen_atr, bool *seen_size, char *err,
		      size_t errlen)
{
	char *f[MAX_FIELDS], *save = NULL;
	unsigned nf = 0;
	int n;

	if (s[strspn(s, " \t")] == '#')
		return 0; /* a comment, however many words it has */
	for (char *t = strtok_r(s, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (nf == MAX_FIELDS)
			return fail(err, errlen, line, "too many fields");
		f[nf++] = t;
	}
	if (!nf)
		return 0;
	if (!strcmp(f[0], "atr")) {
		if (*seen_atr || nf != 2)
			return fail(err, errlen, line, "atr takes one hex value, once");
		n = hex_decode(f[1], m->atr, sizeof(m->atr));
		if (n < 2)
			return fail(err, errlen, line, "atr must be 2..33 bytes of hex");
		m->atr_len = (uint8_t)n;
		*seen_atr = true;
		return 0;
	}
	if (!strcmp(f[0], "nvm-size")) {
		if (*seen_size || nf != 2 || parse_u32(f[1], 65536, 16 * 1024 * 1024, &m->nvm_size))
			return fail(err, errlen, line, "nvm-size takes one number 65536..16777216, once");
		*seen_size = true;
		return 0;
	}
	if (!strcmp(f[0], "applet"))
		return parse_applet(f, nf, m, line, err, errlen);
	if (!strcmp(f[0], "rfm"))
		return parse_rfm(f, nf, m, line, err, errlen);
	if (!strcmp(f[0], "toolkit"))
		return parse_toolkit(f, nf, m, line, err, errlen);
	if (!strcmp(f[0], "ota-key"))
		return parse_ota_key(f, nf, m, line, err, errlen);
	if (!strcmp(f[0], "admin"))
		return parse_admin(f, nf, m, line, err, errlen);
	if (!strcmp(f[0], "scp81-psk"))
		return parse_psk(f, nf, m, line, err, errlen);
	return fail(err, errlen, line, "unknown directive '%s'", f[0]);
}

int manifest_parse_ota_key(const char *text, struct manifest_ota_key *out, char *err, size_t errlen)
{
	char buf[LINE_MAX_CHARS + 1];
	bool seen_atr = false, seen_size = false;
	size_t len = strcspn(text, "\n");
	struct manifest m;
	int rc;

	if (len > LINE_MAX_CHARS)
		return fail(err, errlen, 1, "longer than %d characters", LINE_MAX_CHARS);
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(&m, 0, sizeof(m));
	/* the manifest's own line parser: an ota-key line fills m.keys[0], any other directive does not */
	rc = parse_line(buf, &m, 1, &seen_atr, &seen_size, err, errlen);
	if (!rc && (m.nkeys != 1 || m.napplets || m.nrfm || seen_atr || seen_size))
		rc = fail(err, errlen, 1, "not an ota-key line");
	if (!rc)
		*out = m.keys[0];
	OPENSSL_cleanse(buf, sizeof(buf)); /* it held the keys */
	OPENSSL_cleanse(&m, sizeof(m));
	return rc;
}

int manifest_parse_psk(const char *text, struct manifest *out, char *err, size_t errlen)
{
	char buf[LINE_MAX_CHARS + 1];
	bool seen_atr = false, seen_size = false;
	size_t len = strcspn(text, "\n");
	int rc;

	if (len > LINE_MAX_CHARS)
		return fail(err, errlen, 1, "longer than %d characters", LINE_MAX_CHARS);
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(out, 0, sizeof(*out));
	rc = parse_line(buf, out, 1, &seen_atr, &seen_size, err, errlen);
	if (!rc && out->npsks != 1)
		rc = fail(err, errlen, 1, "not an scp81-psk line");
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

int manifest_parse(const char *text, struct manifest *m, char *err, size_t errlen)
{
	static const uint8_t default_atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };
	bool seen_atr = false, seen_size = false;
	char buf[LINE_MAX_CHARS + 1];
	unsigned line = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	memcpy(m->atr, default_atr, sizeof(default_atr));
	m->atr_len = sizeof(default_atr);
	m->nvm_size = 262144;
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		size_t visible = len && text[len - 1] == '\r' ? len - 1 : len;

		line++;
		if (visible > LINE_MAX_CHARS)
			return fail(err, errlen, line, "longer than %d characters", LINE_MAX_CHARS);
		memcpy(buf, text, visible);
		buf[visible] = '\0';
		rc = parse_line(buf, m, line, &seen_atr, &seen_size, err, errlen);
		OPENSSL_cleanse(buf, sizeof(buf)); /* it may have held an OTA key */
		if (rc) {
			OPENSSL_cleanse(m->keys, sizeof(m->keys));
			OPENSSL_cleanse(m->psks, sizeof(m->psks));
			return rc;
		}
		text += len + (nl ? 1 : 0);
	}
	if (!m->napplets)
		return fail(err, errlen, 0, "manifest installs no applet");
	return 0;
}
