#!/bin/sh
# Run a command in a network namespace of its own with its loopback up, so that tests that start servers on fixed
# ports (the Osmocom core network: M3UA 2905, GSUP 4222, SMPP 2775, ...) run in parallel without clashes.
# Usage: in-netns.sh COMMAND [ARGS...]   Exit status: the command's; 77 (skipped) without namespaces (not root).
set -u
if [ "${SIMPKI_IN_NETNS:-}" != 1 ]; then
	if ! unshare -n true 2> /dev/null; then
		echo "in-netns: cannot create a network namespace (run as root): skipped" >&2
		exit 77
	fi
	exec unshare -n env SIMPKI_IN_NETNS=1 sh "$0" "$@"
fi
ip link set lo up || exit 1
exec "$@"
