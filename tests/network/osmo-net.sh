#!/bin/sh
# osmo-net as a person or a test meets it (run by in-netns.sh): help and usage errors; start writes its configs
# and brings up osmo-stp, osmo-hlr and osmo-msc (M3UA 2905, GSUP 4222, SMPP 2775 listen, the MSC's M3UA
# association up); a second start says the network runs; status; subscribers added and refused; an ESME binds
# to the SMSC as simpki/simpki and a wrong password is refused; stop kills exactly the recorded PIDs and nothing
# is left running; a port taken by another program is named.
# Usage: osmo-net.sh PATH_TO_OSMO_NET
set -u
net=$1
for prog in osmo-stp osmo-hlr osmo-msc python3; do
	command -v $prog > /dev/null || { echo "osmo-net.sh: $prog is not installed (tools/install-deps.sh): skipped" >&2; exit 77; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-net.XXXXXX")
failures=0
pids=""

cleanup() {
	"$net" stop "$dir/net" > /dev/null 2>&1
	for p in $pids; do kill -KILL "$p" 2> /dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

expect_rc() { # WANT COMMAND...
	want=$1
	shift
	"$@" > "$dir/out" 2> "$dir/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want; stdout: $(cat "$dir/out"); stderr: $(cat "$dir/err")"
}

expect_in() { # FILE TEXT
	grep -q -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(cat "$1")"
}

listening() {
	python3 -c 'import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))))' "$1"
}

# smpp_bind PASSWORD: bind_transceiver as system_id simpki; prints the command_status of the response
smpp_bind() {
	python3 - "$1" <<'PY'
import socket, struct, sys
body = b"simpki\0" + sys.argv[1].encode() + b"\0" + b"\0" + bytes([0x34, 0, 0]) + b"\0"
s = socket.create_connection(("127.0.0.1", 2775), timeout=5)
s.sendall(struct.pack(">IIII", 16 + len(body), 0x00000009, 0, 1) + body)
hdr = b""
while len(hdr) < 16:
    chunk = s.recv(16 - len(hdr))
    if not chunk:
        sys.exit("closed")
    hdr += chunk
length, cid, status, seq = struct.unpack(">IIII", hdr)
print("%08x %08x" % (cid, status))
PY
}

expect_rc 0 "$net" --help
expect_in "$dir/out" "add-subscriber DIR IMSI MSISDN"
expect_rc 2 "$net"
expect_rc 2 "$net" frobnicate "$dir/net"
expect_in "$dir/err" "unknown command: frobnicate"
expect_rc 2 "$net" start
expect_rc 1 "$net" add-subscriber "$dir/net" 001010000000001 4917000001
expect_in "$dir/err" "is not running"

expect_rc 0 "$net" start "$dir/net"
expect_in "$dir/out" "osmo-net: started in"
for f in osmo-stp.cfg osmo-hlr.cfg osmo-msc.cfg osmo-stp.pid osmo-hlr.pid osmo-msc.pid; do
	[ -s "$dir/net/$f" ] || fail "start did not write $f"
done
pids="$(cat "$dir/net/"*.pid)"
for p in 2905 4222 2775; do listening $p || fail "nothing listens on 127.0.0.1:$p"; done
grep -q "AS Active" "$dir/net/osmo-msc.log" || fail "the MSC's M3UA association is not up"
expect_rc 3 "$net" start "$dir/net"
expect_in "$dir/err" "runs already"
expect_rc 0 "$net" status "$dir/net"
expect_in "$dir/out" "osmo-msc: running, PID"

expect_rc 0 "$net" add-subscriber "$dir/net" 001010000000001 4917000001
expect_rc 0 "$net" add-subscriber "$dir/net" 001010000000002 4917000002 00112233445566778899AABBCCDDEEFF
expect_rc 1 "$net" add-subscriber "$dir/net" 001010000000001 4917000003
expect_in "$dir/err" "already exists"
expect_rc 2 "$net" add-subscriber "$dir/net" 00101 4917000004
expect_in "$dir/err" "IMSI must be 6 to 15 digits"
expect_rc 2 "$net" add-subscriber "$dir/net" 001010000000005 4917000005 0011
expect_in "$dir/err" "KI must be 16 bytes of hex"

[ "$(smpp_bind simpki)" = "80000009 00000000" ] || fail "the ESME simpki/simpki cannot bind: $(smpp_bind simpki)"
[ "$(smpp_bind wrong)" != "80000009 00000000" ] || fail "a wrong ESME password was accepted"

expect_rc 0 "$net" stop "$dir/net"
expect_in "$dir/out" "stopped osmo-msc"
for p in $pids; do [ -d "/proc/$p" ] && fail "PID $p still runs after stop"; done
expect_rc 1 "$net" status "$dir/net"
expect_rc 0 "$net" stop "$dir/net"

# another program on the SMPP port
python3 -c 'import socket, time; s = socket.socket(); s.bind(("127.0.0.1", 2775)); s.listen(); time.sleep(30)' &
blocker=$!
pids="$pids $blocker"
i=0
until listening 2775 || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
expect_rc 1 "$net" start "$dir/net2"
expect_in "$dir/err" "127.0.0.1:2775 is taken"
kill $blocker

[ "$failures" = 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "osmo-net: all checks passed"
