/* The simpki PKI applet: its identity and the values of its APDU interface that tools need.
 *
 * The interface is IsoApplet v0, API 00.06 (../shared/reference/isoapplet-protocol.md), so that OpenSC's
 * isoApplet driver uses the card unchanged, plus three simpki extensions: algorithm reference 0x22, ECDSA over a
 * SHA-256 hash the host computed (MSE 00 22 41 B6 ... 80 01 22 ..., then PSO 00 2A 9E 9A 20 <hash> 00);
 * VERIFY 00 20 00 02 without data, which answers the PUK's tries left (63Cx; 6A88 without a PUK); and BUILD
 * CERTIFICATE REQUEST 00 4C 00 <key> Lc <DER Name> 00, a PKCS#10 request the card builds and signs itself.
 * docs/applet.md describes every command.
 */
#pragma once
#include <stdint.h>

struct card_applet;

#define PKI_AID_BYTES 0xf2, 0x76, 0xa2, 0x88, 0xbc, 0xfb, 0xa6, 0x9d, 0x34, 0xf3, 0x10, 0x01
#define PKI_AID_LEN 12

/* SELECT answer: API major, minor, feature bits (02 GET CHALLENGE, 04 ECC; no 01: short APDUs only). */
#define PKI_API_MAJOR 0x00
#define PKI_API_MINOR 0x06
#define PKI_FEATURES 0x06

/* Life cycle states, as IsoApplet numbers them. */
#define PKI_STATE_CREATION 0x00
#define PKI_STATE_INITIALISATION 0x01
#define PKI_STATE_OPERATIONAL 0x05

#define PKI_PIN_REF 0x01
#define PKI_PUK_REF 0x02
#define PKI_PIN_LEN 16 /* PINs and the PUK are padded with 00 to this length */
#define PKI_PIN_MIN 4
#define PKI_PIN_TRIES 3
#define PKI_PUK_TRIES 5
#define PKI_KEY_SLOTS 16

/* Instructions of the interface (CLA 00; 10 for a chained block). */
#define PKI_INS_VERIFY 0x20
#define PKI_INS_MSE 0x22
#define PKI_INS_CHANGE_REFERENCE_DATA 0x24
#define PKI_INS_PSO 0x2a
#define PKI_INS_RESET_RETRY_COUNTER 0x2c
#define PKI_INS_GENERATE 0x46
#define PKI_INS_BUILD_CSR 0x4c /* simpki: BUILD CERTIFICATE REQUEST (no ISO 7816 or IsoApplet command uses 4C) */
#define PKI_INS_GET_CHALLENGE 0x84
#define PKI_INS_SELECT 0xa4
#define PKI_INS_READ_BINARY 0xb0
#define PKI_INS_GET_RESPONSE 0xc0 /* handled by the card OS */
#define PKI_INS_UPDATE_BINARY 0xd6
#define PKI_INS_PUT_DATA 0xdb
#define PKI_INS_CREATE_FILE 0xe0
#define PKI_INS_DELETE_FILE 0xe4

/* Algorithm references (MSE tag 80). */
#define PKI_ALG_GEN_RSA_2048 0xf3
#define PKI_ALG_GEN_EC 0xec
#define PKI_ALG_RSA_PKCS1 0x11
#define PKI_ALG_ECDSA_SHA1 0x21
#define PKI_ALG_ECDSA_PRECOMPUTED 0x22 /* simpki: ECDSA over a 32-byte hash from the host */

/* Mobile signatures through the toolkit (applet/pki_sign.c): the TAR of the default manifest's `toolkit pki` line and
 * the request and response of include/simpki/sign_msg.h, whose result codes these are (the applet includes only the
 * card API, so it has its own copy; tests check they agree). */
#define PKI_SIGN_TAR_BYTES 0x53, 0x49, 0x47 /* "SIG" */
#define PKI_SIGN_OK 0
#define PKI_SIGN_USER_CANCELLED 1
#define PKI_SIGN_NO_RESPONSE 2
#define PKI_SIGN_PIN_BLOCKED 3
#define PKI_SIGN_KEY_UNUSABLE 4
#define PKI_SIGN_BAD_REQUEST 5
#define PKI_SIGN_TERMINAL_FAILED 6

/* The applet itself, for the card OS's registry (simulator/cardos/applets.c); hosts use only the constants above. */
extern const struct card_applet pki_applet;

/* What a host sends in GENERATE ASYMMETRIC KEY PAIR for a P-256 key: the curve's domain parameters (81 p 82 a 83 b
 * 84 G 85 n 87 h), as OpenSC's isoApplet driver does (lib/pki_params.c). */
#define PKI_P256_PARAMS_LEN 207
extern const uint8_t pki_p256_params[PKI_P256_PARAMS_LEN];
