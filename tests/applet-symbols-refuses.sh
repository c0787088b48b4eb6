#!/bin/sh
# applet-symbols.sh must refuse an applet library that keeps writable static storage (tests/support/bad-applet.c),
# naming each such object. Usage: applet-symbols-refuses.sh APPLET_SYMBOLS_SH LIBRARY.a
set -u
out=$(sh "$1" "$2" 2>&1) && { echo "FAIL: the check accepted $2: $out" >&2; exit 1; }
for sym in calls bad_applet_last; do
	printf '%s\n' "$out" | grep -q "^  $sym (" || { echo "FAIL: $sym is not named: $out" >&2; exit 1; }
done
echo "refused as it should be: $out"
