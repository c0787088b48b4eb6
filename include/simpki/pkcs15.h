/* PKCS#15 (ISO/IEC 7816-15) objects on the PKI applet, laid out as OpenSC's isoApplet profile lays them out, so
 * a card enrolled by simpki-tool is read by OpenSC and the other way round:
 *
 *   3F00/2F00 EF.DIR     61 { 4F AID A000000063504B43532D3135, 50 label, 51 path 3F005015 }
 *   5015      DF.PKCS15  5031 ODF, 5032 TokenInfo, 4401 AODF (the user PIN, reference 01), 4402 PrKDF,
 *                        4403 PuKDF, 4404 CDF, 4946 OpenSC's info file, 33xx public keys, 34xx certificates
 *   ODF entries          A8 AODF, A0 PrKDF, A1 PuKDF, A4 CDF: each [n] { SEQUENCE { OCTET STRING path } }
 *   PrKDF entry          RSA: SEQUENCE, EC: [0] { common { label, flags, authId }, class { iD, usage,
 *                        accessFlags, keyReference }, [0] subject (optional), [1] { { Path { 3F005015 } },
 *                        INTEGER modulus or field length } }
 *   PuKDF entry          RSA: SEQUENCE, EC: [0] { common { label, flags }, class { iD, usage, native FALSE,
 *                        keyReference }, [1] { { Path { file } }, INTEGER modulus length (RSA only) } }
 *   CDF entry            SEQUENCE { common { label, flags }, class { iD }, [1] { { Path { file } } } }
 *   public key files     RSA: RSAPublicKey (PKCS#1, 270 bytes); EC: SubjectPublicKeyInfo (91 bytes)
 * A directory file is its entries one after the other, then zero bytes up to the file's size.
 * Parsers take the file's bytes as outside input: every length is checked, and a malformed entry ends the list
 * with -EBADMSG (the entries before it are kept).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define P15_MAX_OBJECTS 32 /* per directory file: 16 keys, and room for CA certificates others stored */
#define P15_LABEL_MAX 128  /* bytes: 32 characters of UTF-8 at up to 4 bytes each */

enum p15_keytype {
	P15_RSA = 1,
	P15_EC = 2,
};

struct p15_path {
	uint8_t b[16]; /* from the MF, as stored: 3F00 5015 ... */
	uint8_t len;
};

struct p15_object {
	enum p15_keytype type; /* keys only */
	uint8_t id[32];	       /* iD */
	uint8_t id_len;
	char label[P15_LABEL_MAX + 1]; /* UTF-8, NUL-terminated */
	int key_ref;		       /* private keys: the card's key reference; -1 if absent */
	int bits;		       /* keys: modulus or field length; 0 if absent */
	struct p15_path path;	       /* private keys: the DF; public keys and certificates: the file */
};

struct p15_odf {
	struct p15_path aodf, prkdf, pukdf, cdf; /* len 0 when absent */
};

/*! Parse the ODF. \returns 0; -EBADMSG */
int p15_parse_odf(const uint8_t *b, size_t len, struct p15_odf *odf);
/*! Parse a PrKDF, PuKDF or CDF: up to \a max objects into \a out, their count in *n.
 *  \returns 0; -EBADMSG (malformed entry: the ones before it are in \a out); -E2BIG (more than \a max) */
int p15_parse_df(const uint8_t *b, size_t len, struct p15_object *out, size_t max, size_t *n);
/*! Bytes in use at the start of a directory file (its entries, before the zero padding). */
size_t p15_used(const uint8_t *b, size_t len);

/* Encoders: each writes one object or file and \returns its length; -E2BIG if \a max is too small. */
int p15_encode_private_key(const struct p15_object *k, uint8_t *out, size_t max);
int p15_encode_public_key(const struct p15_object *k, uint8_t *out, size_t max);
int p15_encode_certificate(const struct p15_object *c, uint8_t *out, size_t max);
int p15_encode_odf(uint8_t *out, size_t max);
int p15_encode_tokeninfo(const uint8_t *serial, size_t serial_len, const char *label, const char *utc_time,
			 uint8_t *out, size_t max);
int p15_encode_dir(const char *label, uint8_t *out, size_t max);
/*! The AODF entry of the user PIN (reference 01, 4..16 characters, padded with 00 to 16, auth ID FF). */
int p15_encode_aodf(uint8_t *out, size_t max);
/*! OpenSC's info file 4946 ("pkcs15" emulation off). */
int p15_encode_opensc_info(uint8_t *out, size_t max);

/* The files of the layout. */
#define P15_FID_DIR 0x2f00
#define P15_FID_APP 0x5015
#define P15_FID_ODF 0x5031
#define P15_FID_TOKENINFO 0x5032
#define P15_FID_AODF 0x4401
#define P15_FID_PRKDF 0x4402
#define P15_FID_PUKDF 0x4403
#define P15_FID_CDF 0x4404
#define P15_FID_OPENSC_INFO 0x4946
#define P15_FID_PUBKEY_FIRST 0x3300
#define P15_FID_CERT_FIRST 0x3400
#define P15_AUTH_ID 0xff
