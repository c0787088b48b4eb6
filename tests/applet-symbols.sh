#!/bin/sh
# The applet may touch nothing but the card API: every symbol its object code needs from outside must be a
# card_* function of the API, memcpy/memset/memmove/memcmp, or a hook the compiler itself inserts
# (stack protector, sanitizers, coverage). And it keeps no writable static storage: a SIM applet's persistent data
# is in NVM objects and its transient data in the RAM the card OS gives it (card.h), so no object of the library
# may live in .data or .bss (const tables in .rodata and .data.rel.ro are fine; what sanitizers and coverage add
# is not the applet's). Usage: applet-symbols.sh LIBRARY.a
set -eu
lib=$1
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
mktemp_list() { printf '%s\n' "$1" > "$tmp"; echo "$tmp"; }
# Symbols one object needs and no object of the library defines.
defined=$(nm --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u)
undefined=$(nm -u "$lib" | awk 'NF >= 2 && $1 == "U" { print $2 }' | sort -u | comm -23 - "$(mktemp_list "$defined")")
[ -n "$undefined" ] || { echo "no undefined symbols found in $lib: is it the applet library?" >&2; exit 1; }
bad=$(printf '%s\n' "$undefined" | grep -Ev '^(card_[a-z0-9_]+|memcpy|memset|memmove|memcmp|__stack_chk_fail|__(asan|ubsan|sanitizer|sancov)_[A-Za-z0-9_]+)$' || true)
# Every card_* symbol must be declared in the card API headers.
api=$(cat "$(dirname "$0")"/../include/simpki/card*.h)
for sym in $(printf '%s\n' "$undefined" | grep -E '^card_' || true); do
	printf '%s' "$api" | grep -Eq "[ *]$sym\(" || bad="$bad $sym(not in include/simpki/card*.h)"
done
# Objects in writable static storage (.data, .bss and their subsections, common symbols), but for the compiler's own.
writable=$(objdump -t "$lib" | awk '{ sec = ""; for (i = 2; i < NF; i++) if ($i == "O") { sec = $(i + 1); break }
	name = $NF
	if (sec ~ /^(\.(t?data|t?bss|sdata|sbss)(\.|$)|\*COM\*$)/ && sec !~ /^\.data\.rel\.ro/ &&
	    name !~ /^(__unnamed_|__sancov_|__asan|__ubsan|\.L)/)
		print name " (" sec ")" }' | sort -u)
if [ -n "$writable" ]; then
	echo "the applet keeps writable static storage (a SIM applet has none: use NVM objects or card_transient()):" >&2
	printf '%s\n' "$writable" | sed 's/^/  /' >&2
	exit 1
fi
if [ -n "$bad" ]; then
	echo "the applet uses symbols outside the card API:" >&2
	printf '  %s\n' $bad >&2
	exit 1
fi
echo "applet symbols: $(printf '%s\n' "$undefined" | wc -l) external, all card API or mem*"
