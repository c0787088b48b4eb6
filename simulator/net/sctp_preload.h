/* Run an M3UA program under the SCTP shim by itself: on a kernel without SCTP, a program that speaks M3UA through
 * libosmo-sigtran (simpki-phone) calls sctp_preload_reexec() first thing in main(); it finds
 * libsimpki-sctp-shim.so and executes the program again with the shim in LD_PRELOAD, so the program works with no
 * environment variable set, as its documentation shows it.
 *
 * Where the shim is looked for, first found wins: $SIMPKI_SCTP_SHIM (then it must be a file); next to the program;
 * ../net/ from the program (the build tree: build/simulator/phone/ and build/simulator/net/); the installed
 * directory (<libdir>/simpki). The re-executed program finds SIMPKI_SCTP_SHIM_ACTIVE=1 in its environment, so a shim
 * that fails to give it SCTP sockets is an error, never a loop.
 */
#pragma once

/*! Make sure SCTP sockets work: return at once when the kernel has SCTP or the shim is loaded; otherwise execute
 *  /proc/self/exe again with \a argv under the shim (does not return on success).
 *  \returns 0 when SCTP sockets work; -ENOENT (the shim was not found; \a err names where it was looked for);
 *  -ENOPROTOOPT (the shim is loaded and SCTP sockets still fail); -errno of execv */
int sctp_preload_reexec(char **argv, char *err, unsigned errlen);
