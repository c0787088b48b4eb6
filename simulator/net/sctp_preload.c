/* Finding the SCTP shim and re-executing under it (sctp_preload.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sctp_preload.h"

#define SHIM_NAME "libsimpki-sctp-shim.so"
#define ACTIVE_ENV "SIMPKI_SCTP_SHIM_ACTIVE"

static int sctp_works(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int is_file(const char *path)
{
	return access(path, R_OK) == 0;
}

/* The shim's path into \a out: \returns 0; -ENOENT */
static int find_shim(char *out, size_t len, char *err, unsigned errlen)
{
	const char *env = getenv("SIMPKI_SCTP_SHIM");
	char exe[PATH_MAX], cand[3][PATH_MAX + sizeof(SHIM_NAME) + 8];
	const char *dir;
	ssize_t n;

	if (env && *env) {
		if (!is_file(env)) {
			snprintf(err, errlen, "SIMPKI_SCTP_SHIM=%s is not a readable file", env);
			return -ENOENT;
		}
		snprintf(out, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	dir = dirname(exe);
	snprintf(cand[0], sizeof(cand[0]), "%s/" SHIM_NAME, dir);
	snprintf(cand[1], sizeof(cand[1]), "%s/../net/" SHIM_NAME, dir);
	snprintf(cand[2], sizeof(cand[2]), SIMPKI_SCTP_SHIM_DIR "/" SHIM_NAME);
	for (unsigned i = 0; i < 3; i++) {
		if (is_file(cand[i]) && (size_t)snprintf(out, len, "%s", cand[i]) < len)
			return 0;
	}
	snprintf(err, errlen,
		 "this kernel has no SCTP and " SHIM_NAME
		 " is neither in %s, nor in %s/../net, nor in " SIMPKI_SCTP_SHIM_DIR
		 " (set SIMPKI_SCTP_SHIM to its path)",
		 dir, dir);
	return -ENOENT;
}

/* \a name=\a add, or \a add then the old value joined with \a sep */
static int env_prepend(const char *name, const char *add, const char *sep, int append)
{
	const char *old = getenv(name);
	char *v;
	int rc;

	if (!old || !*old)
		return setenv(name, add, 1);
	if (asprintf(&v, "%s%s%s", append ? old : add, sep, append ? add : old) < 0)
		return -1;
	rc = setenv(name, v, 1);
	free(v);
	return rc;
}

int sctp_preload_reexec(char **argv, char *err, unsigned errlen)
{
	char shim[PATH_MAX];
	int rc;

	if (sctp_works())
		return 0;
	if (getenv(ACTIVE_ENV)) {
		snprintf(err, errlen, "SCTP sockets fail even under the SCTP shim (%s)", getenv("LD_PRELOAD"));
		return -ENOPROTOOPT;
	}
	rc = find_shim(shim, sizeof(shim), err, errlen);
	if (rc)
		return rc;
	/* A sanitizer build must not insist on coming first in the library list (the shim is built without). */
	if (env_prepend("LD_PRELOAD", shim, ":", 0) || setenv(ACTIVE_ENV, "1", 1) ||
	    env_prepend("ASAN_OPTIONS", "verify_asan_link_order=0", ":", 1))
		return -errno;
	execv("/proc/self/exe", argv);
	rc = -errno;
	snprintf(err, errlen, "cannot run again under the SCTP shim: %s", strerror(errno));
	return rc;
}
