/* simpki-otad's job security: what a job's SPI (ETSI TS 102 225) must say, and the minimum security level (MSL,
 * ETSI TS 102 226) the operator configures per TAR ('tar B00010 msl 16'), checked when a job is made
 * (otad_job_create()), before anything is stored or sent.
 *
 * An MSL is coded as SPI byte 1, as the card holds it: b2b1 integrity (0 none, 1 RC, 2 CC, 3 DS), b3 ciphering,
 * b5b4 counter (0 none, 1 present, 2 higher, 3 exactly one higher). A job's SPI meets it when its integrity is at
 * least the MSL's (none < RC < CC < DS), it is ciphered if the MSL says so, and its counter mode is at least the
 * MSL's: the card's own rule (it answers a packet below its TAR's MSL with PoR status 0A). A TAR without an MSL
 * here is not checked by the server; the card still is.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTAD_TAR_MSL_MAX 64

struct otad_tar_msl {
	uint8_t tar[3];
	uint8_t msl; /* coded as SPI byte 1 */
};

/* The configured TARs ('tar TAR msl HEX'), in configuration order. */
extern struct otad_tar_msl otad_tar_msls[OTAD_TAR_MSL_MAX];
extern unsigned otad_n_tar_msls;

/*! Whether \a msl is a minimum security level a card can hold: no reserved bit (b8..b6), no DS. */
bool otad_msl_valid(uint8_t msl);
/*! Set or change TAR \a tar's minimum security level. \returns 0; -EINVAL (not otad_msl_valid()); -ENOSPC (already
 *  OTAD_TAR_MSL_MAX TARs) */
int otad_tar_msl_set(const uint8_t tar[3], uint8_t msl);
/*! Forget TAR \a tar's minimum security level. \returns 0; -ENOENT */
int otad_tar_msl_del(const uint8_t tar[3]);
/*! TAR \a tar's minimum security level. \returns it (0 for a TAR not configured: nothing demanded) */
uint8_t otad_tar_msl(const uint8_t tar[3]);
/*! Whether SPI byte 1 \a spi1 meets minimum security level \a msl. */
bool otad_msl_met(uint8_t spi1, uint8_t msl);
/*! \a msl (or an SPI byte 1) in words, e.g. "CC, ciphered, counter higher". */
void otad_msl_text(uint8_t msl, char *out, size_t max);

/*! Whether jobs may use SPI \a spi: no reserved bit, no DS, a PoR always (a job ends with its PoR), sent back by
 *  SMS-SUBMIT (an SMSC passes on no data in the RP-ACK); and, when \a tar is not NULL, it meets that TAR's MSL.
 *  Whether the card's keys fit it is checked when the packet is built. \returns 0; -EINVAL (jobs cannot use it);
 *  -EACCES (below the TAR's minimum security level); \a err says why */
int otad_spi_check(const uint8_t spi[2], const uint8_t *tar, char *err, size_t errlen);
