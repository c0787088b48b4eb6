#!/bin/sh
# Run a command in a network namespace of its own with its loopback up, so that tests that start servers on fixed
# ports (the Osmocom core network: M3UA 2905, GSUP 4222, SMPP 2775, ...) run in parallel without clashes; and in a
# mount namespace of its own whose /etc/hosts holds exactly an installed Debian's two localhost lines
# ("localhost" is 127.0.0.1 and ::1), so a daemon that resolves "localhost" and tries ::1 fails here as it would
# on a user's machine, whatever this machine's own /etc/hosts says.
# Usage: in-netns.sh COMMAND [ARGS...]   Exit status: the command's; 77 (skipped) without namespaces (not root).
set -u
if [ "${SIMPKI_IN_NETNS:-}" != 1 ]; then
	if ! unshare -n -m true 2> /dev/null; then
		echo "in-netns: cannot create network and mount namespaces (run as root): skipped" >&2
		exit 77
	fi
	exec unshare -n -m --propagation private env SIMPKI_IN_NETNS=1 sh "$0" "$@"
fi
hosts=$(mktemp "${TMPDIR:-/tmp}/simpki-hosts.XXXXXX") || exit 1
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$hosts"
mount --bind "$hosts" /etc/hosts || { echo "in-netns: cannot bind-mount $hosts on /etc/hosts" >&2; rm -f "$hosts"; exit 1; }
rm -f "$hosts" # the mount keeps the file; nothing is left behind when the namespace ends
ip link set lo up || exit 1
exec "$@"
