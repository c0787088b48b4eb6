/* The UICC file system a SIM carries besides its applets: the basic files that remote file management (TS 102 226
 * RFM) reads and updates. A fixed tree, its contents in one OS-owned NVM object (its handle in the OS block, heap.h):
 *
 *   MF 3F00
 *   ├── EF.ICCID  2FE2  transparent, 10 bytes: the ICCID in BCD, nibbles swapped, F-padded (TS 102 221 §13.2)
 *   ├── DF.TELECOM 7F10
 *   │   └── EF.MSISDN 6F40  linear fixed, 2 records of 28 bytes: alpha identifier (14, FF) | BCD length |
 *   │                       TON/NPI | 10 BCD bytes | capability id FF | extension id FF (TS 51.011 §10.5.5)
 *   └── DF.GSM 7F20
 *       ├── EF.IMSI 6F07   transparent, 9 bytes: length 08 | digit 1 with parity nibble (9 odd, 1 even) | BCD
 *       └── EF.AD   6FAD   transparent, 4 bytes: mode 00 | additional info 0000 | MNC length (2 or 3)
 *
 * Content object layout: ICCID at 0 (10), MSISDN records at 10 (2 x 28), IMSI at 66 (9), AD at 75 (4).
 *
 * Commands (CLA 00 or A0; a session starts with the MF selected and no EF):
 *   SELECT       A4 P1 00 by FID (children of the current DF, its parent, the MF, DFs under the MF), 08 by path
 *                from the MF; P2 04 returns the FCP, 0C nothing
 *   READ BINARY  B0 (offset P1P2, P1 b8 = 0), UPDATE BINARY D6
 *   READ RECORD  B2, UPDATE RECORD DC: P2 04 (absolute, record P1; P1 00 the current one)
 * Errors: 6A82 no such file, 6986 no EF selected, 6981 wrong file structure, 6B00 offset past the end,
 * 6Cxx wrong Le (xx the right one), 6700 wrong Lc, 6A83 no such record, 6A86 P1P2, 6D00 INS, 6E00 CLA.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <simpki/apdu.h>
#include <simpki/card.h>

#include "cardos.h"
#include "nvm.h"

#define UICC_FS_CONTENT_SIZE 79

/* Where a remote session stands in the tree: transient, one per script. */
struct uicc_fs_session {
	uint8_t df; /* index of the current DF */
	uint8_t ef; /* index of the current EF, or 0xff */
	uint8_t rec;
};

/*! Create the content object for \a id: ICCID, IMSI and MSISDN (F-filled when empty), AD normal mode with MNC
 *  length 2. \returns 0 and sets *out; -ENOSPC; -EIO */
int uicc_fs_format(struct nvm *n, const struct card_identity *id, card_obj_t *out);

void uicc_fs_session_start(struct uicc_fs_session *s);

/*! Run one command in session \a s on the file system in object \a obj. Response data (at most 256 bytes) goes
 *  to \a resp. \returns the status word */
uint16_t uicc_fs_command(struct nvm *n, card_obj_t obj, struct uicc_fs_session *s, const struct apdu_cmd *cmd,
			 uint8_t *resp, size_t *resp_len);

/*! The case of a command for compact scripts (rapdu.h): 2, 3, or 0 if unknown. */
int uicc_fs_case(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2);

/*! The identity as the files now hold it (an RFM update shows in `info`). Fields that do not decode are empty. */
void uicc_fs_identity(const struct nvm *n, card_obj_t obj, struct card_identity *id);
