# Shell functions for daemon tests with simpki-ca as simpki-otad's CA (sourced after otad-lib.sh and phones-lib.sh;
# the caller sets dir, the CA's files in $dir/ca, its OCSP responder on 127.0.0.1:8491): the CA's VTY, a card's
# certificates, OCSP, a certificate's key; ca_start also needs ca (the binary) and SIMPKI_CA_PASSPHRASE.

# ca_start: a new CA in $dir/ca (simpki-ca init: "simpki Test CA", its RA's certificate and key), simpki-ca started
# from $dir/ca-run (its log $dir/ca.log), waited for until its CMP port (127.0.0.1:8490) listens; its PID in $ca_pid;
# prints nothing; returns 1 (after fail) if it does not listen within 10 s
ca_start() {
	"$ca" init --dir "$dir/ca" --subject "/CN=simpki Test CA/O=Ban Cơ yếu Chính phủ/C=VN" > "$dir/ca-init.out" 2>&1 ||
		fail "simpki-ca init: $(cat "$dir/ca-init.out")"
	mkdir -p "$dir/ca-run"
	(cd "$dir/ca-run" && exec "$ca" -c "$dir/ca/simpki-ca.cfg") >> "$dir/ca.log" 2>&1 &
	ca_pid=$!
	t=0
	until python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8490), timeout=1)' 2> /dev/null; do
		[ $t -lt 100 ] || { fail "simpki-ca does not listen: $(tail -n 5 "$dir/ca.log")"; return 1; }
		sleep 0.1
		t=$((t + 1))
	done
}

# ca_vty COMMAND...: simpki-ca's VTY (enable first, with the password of $dir/ca/simpki-ca.cfg); prints the answers
ca_vty() {
	CA_VTY_PASSWORD=$(sed -n 's/^enable password //p' "$dir/ca/simpki-ca.cfg") python3 - "$@" <<'PY'
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
    cmd(os.environ["CA_VTY_PASSWORD"])
for c in sys.argv[1:]:
    sys.stdout.write(cmd(c))
PY
}

# certs K: card K's (phones-lib's card numbering) certificates through the API into $dir/certs-K.json; the one loaded
# (in force, the newest) into $dir/cur-K.pem; prints its serial (nothing if none is loaded)
certs() {
	ce_iccid=$(luhn 898401000000000$1)
	api GET "/v1/cards/$ce_iccid/certificates" | sed 's/^200 //' > "$dir/certs-$1.json"
	python3 - "$dir/certs-$1.json" "$dir/cur-$1.pem" <<'PY'
import json, sys
it = [c for c in json.load(open(sys.argv[1]))["items"] if c["status"] == "loaded"]
open(sys.argv[2], "w").write(it[-1]["pem"] if it else "")
print(it[-1]["serial"] if it else "")
PY
}

# ocsp PEM: asks the CA's OCSP responder; prints its word on the certificate (good, revoked, ...) and the reason line
ocsp() {
	openssl ocsp -issuer "$dir/ca/ca.pem" -cert "$1" -url http://127.0.0.1:8491/ocsp -CAfile "$dir/ca/ca.pem" 2>&1
}

# spki_sha256 PEM: prints the SHA-256 of the certificate's SubjectPublicKeyInfo, hex
spki_sha256() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}

# new_cert_of I: card I's (a number, printed %03d as k) certificate in force after an operation, expected to be a new
# one: sets k, iccid, old (the serial in $dir/old-serial-K), new (its serial, also in $dir/new-serial-K, its PEM in
# $dir/new-K.pem); prints nothing; returns 1 (after fail) when the card has no certificate other than the old one
new_cert_of() {
	k=$(printf %03d $1)
	iccid=$(luhn 898401000000000$k)
	old=$(cat "$dir/old-serial-$k")
	new=$(certs $k)
	[ -n "$new" ] && [ "$new" != "$old" ] || { fail "card $k: no new certificate ($(cat "$dir/certs-$k.json"))"; return 1; }
	cp "$dir/cur-$k.pem" "$dir/new-$k.pem"
	echo "$new" > "$dir/new-serial-$k"
}
