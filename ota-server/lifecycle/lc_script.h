/* The over-the-air script that puts a replacement certificate (same key: modify, renew) on the SIM, built without
 * I/O. The old certificate's file (its FID from the enrolment that loaded it) is deleted and created again with the
 * new certificate's exact size, then written; the CDF entry (iD, label, path) stays as it is, since it names the
 * same key and the same file. The applet keeps a file's size fixed at CREATE FILE (applet/pki_fs.c), so a
 * certificate of another length cannot be written over the old one: delete and create it is.
 *
 *   replace   DELETE FILE fid; SELECT DF 5015; CREATE FILE fid (size, access as enrol_script.h's load);
 *             SELECT fid; UPDATE BINARY in pieces of ENROL_CHUNK. Writes; running it twice leaves the same file.
 *   create    the same without DELETE FILE: when the file is gone (a replace that stopped after its delete).
 * The read-back is enrol_script_verify().
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! The replace (\a delete_first) or create script of certificate \a der into file \a fid. \returns its length;
 *  -EINVAL; -E2BIG */
int lc_script_replace(uint16_t fid, const uint8_t *der, size_t len, bool delete_first, uint8_t *out, size_t max);
/*! Commands of that script. */
size_t lc_replace_commands(size_t len, bool delete_first);
/*! What its response says. \returns 0 (every command answered 9000); -ENOENT (DELETE FILE found no file: send the
 *  create script); -EIO (\a why) */
int lc_replace_parse(const uint8_t *rsp, size_t len, size_t cert_len, bool delete_first, char *why, size_t whylen);
