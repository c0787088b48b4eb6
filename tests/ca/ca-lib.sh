# Shell functions for simpki-ca tests (sourced; the caller sets ca (the binary), dir, and has fail): make a CA, start
# and stop the daemon by its PID, talk to its VTY and CTRL, run openssl cmp against it. Everything on 127.0.0.1.

export SIMPKI_CA_PASSPHRASE=test-passphrase-0123

# ca_test_init NAME: a CA test's frame (call it first, right after sourcing this file): $dir a new temporary
# directory simpki-NAME.XXXXXX, $cadir its ca/; at exit a SIGKILL to $ca_pid (the simpki-ca the test runs, if any)
# and $dir removed; $failures 0 and fail MESSAGE (prints "FAIL: MESSAGE" to stderr, counts it in $failures); prints
# nothing
ca_test_init() {
	dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-$1.XXXXXX")
	cadir=$dir/ca
	ca_pid=""
	failures=0
	trap '[ -z "$ca_pid" ] || kill -KILL $ca_pid 2> /dev/null; rm -rf "$dir"' EXIT
	fail() {
		echo "FAIL: $*" >&2
		failures=$((failures + 1))
	}
}

# expect_in FILE TEXT
expect_in() {
	grep -q -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(head -c 1500 "$1")"
}

# expect_not_in FILE TEXT
expect_not_in() {
	! grep -q -- "$2" "$1" || fail "$(basename "$1") has '$2'"
}

# start_ca CFG: simpki-ca from $dir/elsewhere; wait for its VTY; its PID in $ca_pid
start_ca() {
	mkdir -p "$dir/elsewhere"
	(cd "$dir/elsewhere" && exec "$ca" -c "$1") >> "$dir/ca.log" 2>&1 &
	ca_pid=$!
	sc_t=0
	until python3 -c 'import socket; socket.create_connection(("127.0.0.1", 4272), timeout=1)' 2> /dev/null; do
		kill -0 $ca_pid 2> /dev/null || { fail "simpki-ca exited at start: $(tail -n 5 "$dir/ca.log")"; ca_pid=""; return 1; }
		[ $sc_t -lt 100 ] || { fail "no VTY after 10 s"; return 1; }
		sleep 0.1
		sc_t=$((sc_t + 1))
	done
}

# stop_ca: SIGTERM, wait; fails unless it exits 0
stop_ca() {
	[ -n "$ca_pid" ] || return 0
	kill -TERM "$ca_pid"
	wait "$ca_pid"
	rc=$?
	[ $rc -eq 0 ] || fail "simpki-ca exited $rc on SIGTERM"
	ca_pid=""
}

# vty COMMAND...: run the commands in the VTY (after 'enable' with the password of $cadir/simpki-ca.cfg), print the
# answers
vty() {
	CA_VTY_PASSWORD=$(sed -n 's/^enable password //p' "$cadir/simpki-ca.cfg") python3 - "$@" <<'PY'
import os, socket, sys
s = socket.create_connection(("127.0.0.1", 4272), timeout=30)
buf = b""
def cmd(c):
    global buf
    if c is not None:
        s.sendall(c.encode() + b"\r\n")
    while not any(buf.rstrip().endswith(p) for p in (b">", b"#", b"Password:")):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    out, buf = buf, b""
    return out.decode(errors="replace")
cmd(None)
if cmd("enable").rstrip().endswith("Password:"):
    if not cmd(os.environ["CA_VTY_PASSWORD"]).rstrip().endswith("#"):
        sys.exit("vty: the enable password was refused")
for c in sys.argv[1:]:
    sys.stdout.write(cmd(c))
PY
}

# ctrl VARIABLE: GET over CTRL (IPA framing), print the reply
ctrl() {
	python3 - "$1" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", 4273), timeout=10)
msg = ("GET 1 " + sys.argv[1]).encode()
s.sendall(struct.pack(">HBB", len(msg) + 1, 0xee, 0) + msg)
hdr = s.recv(3)
n = struct.unpack(">H", hdr[:2])[0]
data = b""
while len(data) < n:
    data += s.recv(n - len(data))
print(data[1:].decode(errors="replace"))
PY
}

# cmpc OUT ARGS...: openssl cmp against simpki-ca trusting $cadir/ca.pem, output (stdout and stderr) into OUT;
# returns openssl's exit status
cmpc() {
	cmp_out=$1
	shift
	openssl cmp -server 127.0.0.1:8490 -path pkix/ -trusted "$cadir/ca.pem" "$@" > "$cmp_out" 2>&1
}

# http METHOD PATH [BODY_FILE|-] [CONTENT_TYPE] [PORT]: prints "STATUS CONTENT_TYPE BODY_BYTES [allow=ALLOW]", the
# body into $dir/http.body
http() {
	python3 - "$dir/http.body" "$@" <<'PY'
import http.client, sys
out, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
body = open(sys.argv[4], "rb").read() if len(sys.argv) > 4 and sys.argv[4] != "-" else None
ctype = sys.argv[5] if len(sys.argv) > 5 else None
port = int(sys.argv[6]) if len(sys.argv) > 6 else 8491
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
h = {"Content-Type": ctype} if ctype else {}
try:
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
except (ConnectionError, http.client.HTTPException) as e:
    print("closed", "-", 0)
    sys.exit(0)
open(out, "wb").write(data)
allow = r.getheader("Allow")
print(r.status, r.getheader("Content-Type"), len(data), *(["allow=" + allow] if allow else []))
PY
}
