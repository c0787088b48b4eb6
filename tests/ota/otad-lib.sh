# Shell functions for simpki-otad tests (sourced; the caller sets otad, dir and has fail, or has otad_test_init make
# dir and fail): talk to its VTY and CTRL, start it from a directory of its own and wait for its VTY, call its API
# (api, expect, body, token_of), start and stop it (start, stop: $pid). A test may define a function of the same name
# after sourcing: its own wins.

# otad_test_init NAME: a daemon test's frame (call it first, right after sourcing this file): $dir a new temporary
# directory simpki-otad-NAME.XXXXXX; at exit, cleanup: a SIGKILL to $pid (the simpki-otad the test runs, if any) and
# $dir removed; $failures 0 and fail MESSAGE (prints "FAIL: MESSAGE" to stderr, counts it in $failures); prints
# nothing
otad_test_init() {
	dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-otad-$1.XXXXXX")
	pid=""
	failures=0
	cleanup() {
		[ -z "$pid" ] || kill -KILL "$pid" 2> /dev/null
		rm -rf "$dir"
	}
	trap cleanup EXIT
	fail() {
		echo "FAIL: $*" >&2
		failures=$((failures + 1))
	}
}

# ctrl VARIABLE: GET over CTRL (IPA framing), print the reply
ctrl() {
	python3 - "$1" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", 4271), timeout=10)
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

# start_otad CFG [LOG]: start simpki-otad from $dir/elsewhere (relative paths resolve against CFG's directory),
# wait for its VTY; its PID in $otad_pid
start_otad() {
	mkdir -p "$dir/elsewhere"
	(cd "$dir/elsewhere" && exec "$otad" -c "$1") >> "${2:-$dir/otad.log}" 2>&1 &
	otad_pid=$!
	so_t=0
	until python3 -c 'import socket; socket.create_connection(("127.0.0.1", 4270), timeout=1)' 2> /dev/null; do
		kill -0 $otad_pid 2> /dev/null || { fail "simpki-otad exited at start: $(tail -n 5 "${2:-$dir/otad.log}")"; otad_pid=""; return 1; }
		[ $so_t -lt 100 ] || { fail "no VTY after 10 s"; return 1; }
		sleep 0.1
		so_t=$((so_t + 1))
	done
}

# vty_py MODE ARG...: simpki-otad's VTY from Python, one client for every mode (enable first, with
# OTAD_VTY_PASSWORD, by default the example configuration's):
#   cmds COMMAND...   run the commands, print what the VTY answered
#   import FILE [NAME]  import a vendor file and wait (up to 600 s) until the import is over; print 'show import N'
#                     as it ended (a file of one piece is over when the command returns: its answer)
#   watch FILE        import a vendor file and, until the import is over, ask 'show card' over and over (a lookup
#                     in the database), timing each answer; print "name: value" lines: import_id, state, import_s
#                     (from the command to the end state), max_answer_ms, answers, then the last 'show import N'
vty_py() {
	python3 - "$@" <<'PY'
import os, re, socket, sys, time
mode, args = sys.argv[1], sys.argv[2:]
s = socket.create_connection(("127.0.0.1", 4270), timeout=120)
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
    if not cmd(os.environ.get("OTAD_VTY_PASSWORD", "simpki-otad-example")).rstrip().endswith("#"):
        sys.exit("vty: the enable password was refused")
if mode == "cmds":
    for c in args:
        sys.stdout.write(cmd(c))
    sys.exit(0)
t0 = time.time()
out = cmd("import cards " + " ".join(args))
m = re.search(r"import (\d+) started", out)
if not m:
    if mode == "watch":
        print("state: not-started")
    sys.stdout.write(out)
    sys.exit(0 if mode == "import" and re.search(r"import \d+ \(", out) else 1)
worst, answers, last, state = 0.0, 0, 0.0, "receiving"
while True:
    if mode == "watch":
        a = time.time()
        cmd("show card 8984999999999999990")
        worst = max(worst, time.time() - a)
        answers += 1
    if time.time() - last > (0.2 if mode == "watch" else 0.05):
        last = time.time()
        out = cmd("show import " + m.group(1))
        st = re.search(r": (done|refused|aborted),", out)
        if st or last - t0 > 900:
            state = st.group(1) if st else "timeout"
            break
    time.sleep(0.005)
if mode == "watch":
    print("import_id: %s\nstate: %s\nimport_s: %.1f\nmax_answer_ms: %.0f\nanswers: %d"
          % (m.group(1), state, time.time() - t0, worst * 1000, answers))
sys.stdout.write(out)
PY
}

# vty COMMAND...: run the commands in the VTY, print what it answered
vty() {
	vty_py cmds "$@"
}

# vty_import FILE [NAME]: import through the VTY until the import is over (vty_py import)
vty_import() {
	vty_py import "$@"
}

# vty_import_watch FILE: import through the VTY, timing the VTY's answers meanwhile (vty_py watch)
vty_import_watch() {
	vty_py watch "$1"
}

# api_at BASE_URL TOKEN_VARIABLE METHOD PATH [BODY_FILE|-] [TOKEN|none]: one request to an HTTP/JSON API (the
# token: by default the environment variable named); prints "STATUS BODY"
api_at() {
	python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error, os
base, var, method, path = sys.argv[1:5]
body = None
if len(sys.argv) > 5 and sys.argv[5] != "-":
    body = open(sys.argv[5], "rb").read()
token = sys.argv[6] if len(sys.argv) > 6 else os.environ[var]
req = urllib.request.Request(base + path, data=body, method=method)
if token != "none":
    req.add_header("Authorization", "Bearer " + token)
try:
    r = urllib.request.urlopen(req, timeout=30)
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
}

# api METHOD PATH [BODY_FILE|-] [TOKEN|none]: one request to the operator API on 127.0.0.1:8480 (the token: by
# default $SIMPKI_API_TOKEN)
api() {
	api_at http://127.0.0.1:8480 SIMPKI_API_TOKEN "$@"
}

# expect WANT_STATUS TEXT METHOD PATH [BODY_FILE|-] [TOKEN|none]: one api request; fail (naming the request and its
# answer) unless the status is WANT_STATUS and the body contains TEXT; counts the calls in $checks; prints nothing
expect() {
	want=$1
	text=$2
	shift 2
	checks=$((${checks:-0} + 1))
	out=$(api "$@")
	case $out in
	"$want "*"$text"*) ;;
	*) fail "$* answered '$out', expected $want with '$text'" ;;
	esac
}

# body TEXT: write TEXT to the body file $dir/b.json; prints nothing
body() {
	printf '%s' "$1" > "$dir/b.json"
}

# token_of NAME ROLE [SCOPE]: a new API token of that role (and unit scope), made with $SIMPKI_API_TOKEN (its request
# in $dir/tk.json); prints the token, nothing if it was refused
token_of() {
	printf '{"name": "%s", "role": "%s"%s}' "$1" "$2" "${3:+, \"scope\": \"$3\"}" > "$dir/tk.json"
	api POST /v1/tokens "$dir/tk.json" | sed -n 's/^201 .*"token": *"\([0-9a-f]*\)".*/\1/p'
}

# start: start_otad from $dir/conf/simpki-otad.cfg, logging to $dir/otad.log (the test exits if it does not start);
# its PID in $pid; prints nothing
start() {
	start_otad "$dir/conf/simpki-otad.cfg" "$dir/otad.log" || exit 1
	pid=$otad_pid
}

# stop: SIGTERM to $pid and wait for it to end; clears $pid; prints nothing
stop() {
	kill -TERM $pid
	wait $pid
	pid=""
}

# holders_for_cards N NAME: N holders H-0000... named "NAME 0"... in the ward 10101003 (or in turn in each unit of
# $HOLDER_UNITS, words), imported through the API and linked one to each card of phones-lib's cards N (card i to
# H-i); $iccids: the cards' ICCIDs as a JSON list's items
holders_for_cards() {
	# shellcheck disable=SC2086 # HOLDER_UNITS: words
	set -- "$1" "$2" ${HOLDER_UNITS:-10101003}
	{
		echo "id,name,id_number,unit,email"
		hc_i=0
		while [ $hc_i -lt "$1" ]; do
			hc_u=$(($hc_i % ($# - 2) + 3))
			eval "hc_unit=\${$hc_u}"
			printf 'H-%04d,%s %d,0791234%05d,%s,\n' $hc_i "$2" $hc_i $hc_i "$hc_unit"
			hc_i=$((hc_i + 1))
		done
	} > "$dir/holders.csv"
	api POST /v1/holders/import "$dir/holders.csv" | grep -q "\"holders\": *$1" || fail "holders import"
	hc_i=0
	iccids=""
	while [ $hc_i -lt "$1" ]; do
		hc_iccid=$(luhn 898401000000000$(printf %03d $hc_i))
		printf '{"holder": "H-%04d"}' $hc_i > "$dir/link.json"
		api PUT "/v1/cards/$hc_iccid/holder" "$dir/link.json" | grep -q "^200 " || fail "card $hc_iccid's holder"
		iccids="$iccids${iccids:+, }\"$hc_iccid\""
		hc_i=$((hc_i + 1))
	done
}
