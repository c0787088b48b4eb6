/* simpki-otad's job security (otad_sec.h): SPI checks, the minimum security level per TAR. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "otad_sec.h"

struct otad_tar_msl otad_tar_msls[OTAD_TAR_MSL_MAX];
unsigned otad_n_tar_msls;

bool otad_msl_valid(uint8_t msl)
{
	return !(msl & 0xe0) && (msl & 0x03) != 0x03;
}

static int tar_index(const uint8_t tar[3])
{
	for (unsigned i = 0; i < otad_n_tar_msls; i++)
		if (!memcmp(otad_tar_msls[i].tar, tar, 3))
			return (int)i;
	return -ENOENT;
}

int otad_tar_msl_set(const uint8_t tar[3], uint8_t msl)
{
	int i = tar_index(tar);

	if (!otad_msl_valid(msl))
		return -EINVAL;
	if (i < 0) {
		if (otad_n_tar_msls == OTAD_TAR_MSL_MAX)
			return -ENOSPC;
		i = (int)otad_n_tar_msls++;
		memcpy(otad_tar_msls[i].tar, tar, 3);
	}
	otad_tar_msls[i].msl = msl;
	return 0;
}

int otad_tar_msl_del(const uint8_t tar[3])
{
	int i = tar_index(tar);

	if (i < 0)
		return i;
	memmove(&otad_tar_msls[i], &otad_tar_msls[i + 1],
		(otad_n_tar_msls - (unsigned)i - 1) * sizeof(otad_tar_msls[0]));
	otad_n_tar_msls--;
	return 0;
}

uint8_t otad_tar_msl(const uint8_t tar[3])
{
	int i = tar_index(tar);

	return i < 0 ? 0 : otad_tar_msls[i].msl;
}

bool otad_msl_met(uint8_t spi1, uint8_t msl)
{
	if ((spi1 & 0x03) < (msl & 0x03))
		return false;
	if ((msl & 0x04) && !(spi1 & 0x04))
		return false;
	return ((spi1 >> 3) & 0x03) >= ((msl >> 3) & 0x03);
}

void otad_msl_text(uint8_t msl, char *out, size_t max)
{
	static const char *const integrity[] = { "no checksum", "RC", "CC", "DS" };
	static const char *const counter[] = { "", ", counter", ", counter higher", ", counter +1" };

	snprintf(out, max, "%s%s%s", integrity[msl & 3], (msl & 4) ? ", ciphered" : "", counter[(msl >> 3) & 3]);
}

int otad_spi_check(const uint8_t spi[2], const uint8_t *tar, char *err, size_t errlen)
{
	char want[48], have[48];
	uint8_t msl;

	if (spi[0] & 0xe0 || spi[1] & 0xc0) {
		snprintf(err, errlen, "spi %02x%02x: reserved bits set (TS 102 225)", spi[0], spi[1]);
		return -EINVAL;
	}
	if ((spi[0] & 0x03) == 0x03 || ((spi[1] >> 2) & 0x03) == 0x03) {
		snprintf(err, errlen, "spi %02x%02x: digital signatures (DS) are not supported", spi[0], spi[1]);
		return -EINVAL;
	}
	if ((spi[1] & 0x03) != 0x01) {
		snprintf(err, errlen, "spi %02x%02x: a job needs a PoR always (SPI byte 2, b2b1 = 01)", spi[0], spi[1]);
		return -EINVAL;
	}
	if (!(spi[1] & 0x20)) {
		snprintf(err, errlen,
			 "spi %02x%02x: the PoR must come back by SMS-SUBMIT (SPI byte 2, b6): an SMSC passes on no "
			 "data "
			 "in the RP-ACK",
			 spi[0], spi[1]);
		return -EINVAL;
	}
	if (!tar)
		return 0;
	msl = otad_tar_msl(tar);
	if (otad_msl_met(spi[0], msl))
		return 0;
	otad_msl_text(msl, want, sizeof(want));
	otad_msl_text(spi[0], have, sizeof(have));
	snprintf(err, errlen, "spi %02x%02x (%s) is below TAR %02x%02x%02x's minimum security level %02x (%s)", spi[0],
		 spi[1], have, tar[0], tar[1], tar[2], msl, want);
	return -EACCES;
}
