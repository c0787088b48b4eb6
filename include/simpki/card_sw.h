/* ISO/IEC 7816-4 status words used by the card OS and its applets.
 *
 * A status word is the 16-bit value SW1 << 8 | SW2. Functions of the card API that answer a command
 * return one of these (always >= 0x6000); negative values are errno codes and never reach a host.
 */
#pragma once

#define SW_OK 0x9000
#define SW_BYTES_REMAINING(n) (0x6100 | ((n)&0xff)) /* 61xx: xx more bytes for GET RESPONSE (00 = 256) */
#define SW_VERIFY_FAILED(n) (0x63c0 | ((n)&0x0f))   /* 63Cx: wrong PIN/PUK, x tries left */
#define SW_TOOLKIT_BUSY 0x9300 /* toolkit busy: a proactive command waits, try the ENVELOPE later */
#define SW_MEMORY_FAILURE 0x6581
#define SW_WRONG_LENGTH 0x6700
#define SW_LOGICAL_CHANNEL_NOT_SUPPORTED 0x6881
#define SW_SECURE_MESSAGING_NOT_SUPPORTED 0x6882
#define SW_LAST_COMMAND_OF_CHAIN_EXPECTED 0x6883
#define SW_CHAINING_NOT_SUPPORTED 0x6884
#define SW_COMMAND_NOT_ALLOWED 0x6900
#define SW_FILE_INCOMPATIBLE 0x6981
#define SW_SECURITY_NOT_SATISFIED 0x6982
#define SW_AUTH_METHOD_BLOCKED 0x6983
#define SW_DATA_INVALID 0x6984
#define SW_CONDITIONS_NOT_SATISFIED 0x6985
#define SW_COMMAND_NOT_ALLOWED_NO_EF 0x6986
#define SW_WRONG_DATA 0x6a80
#define SW_FUNC_NOT_SUPPORTED 0x6a81
#define SW_FILE_NOT_FOUND 0x6a82
#define SW_FILE_FULL 0x6a84
#define SW_INCORRECT_P1P2 0x6a86
#define SW_DATA_NOT_FOUND 0x6a88
#define SW_WRONG_P1P2 0x6b00
#define SW_CORRECT_LENGTH(n) (0x6c00 | ((n)&0xff)) /* 6Cxx: wrong Le, xx is the right one */
#define SW_INS_NOT_SUPPORTED 0x6d00
#define SW_CLA_NOT_SUPPORTED 0x6e00
#define SW_UNKNOWN 0x6f00
