#!/usr/bin/env python3
"""The mobile-signature benchmark's client (bench/sign.sh): PHONES users at once, ROUNDS each, no think time.

  sign-bench.py PHONES ROUNDS ADMIN_TOKEN RP_TOKEN_FILE SCREEN_LOG OTAD_DB

Baseline: every phone's user gets ROUNDS forward-mode OTA jobs (an RFM read of EF.ICCID: one SMS each way) one after
the other through the operator API (job polled every 10 ms until por-ok), all phones at once. Then the signatures:
ROUNDS per user one after the other through the relying-party API (POST, long poll), all users at once. Printed as
"name: value" lines: the rates, sign_network_ratio (signatures / round trips per second), the time from each POST to
the DISPLAY TEXT on the phone (the screen log's time) p50/p99, and simpki-otad's own time per signature from its
records (what it spent before the request left and after the answer came: sent - created + completed - answered) p50/p99.
"""
import base64, json, os, sqlite3, sys, threading, time, urllib.error, urllib.request

phones, rounds = int(sys.argv[1]), int(sys.argv[2])
admin = sys.argv[3]
rp = open(sys.argv[4]).read().strip()
screen_log, db = sys.argv[5], sys.argv[6]
errors = []


def call(base, token, method, path, body=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    r = urllib.request.Request(base + path, data=data, method=method,
                               headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(r, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def luhn(s):
    t = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        t += d
    return s + str((10 - t % 10) % 10)


def jobs(i):
    iccid = luhn("898401%012d" % i)
    for _ in range(rounds):
        st, j = call("http://127.0.0.1:8480", admin, "POST", "/v1/jobs",
                     {"iccid": iccid, "tar": "b00010", "apdus": ["00A4000C022FE2", "00B000000A"], "mode": "forward"})
        if st != 201:
            errors.append("job %s: %s %s" % (iccid, st, j))
            return
        while True:
            st, row = call("http://127.0.0.1:8480", admin, "GET", "/v1/jobs/%d" % j["id"])
            if st != 200 or row["state"] not in ("queued", "submitted", "delivered", "retrying"):
                break
            time.sleep(0.01)
        if st != 200 or row["state"] != "por-ok":
            errors.append("job %s: %s" % (iccid, row))


posts = {}  # msisdn -> [POST wall ms]


def signs(i):
    msisdn = "2%03d" % i
    posts[msisdn] = []
    for k in range(rounds):
        h = os.urandom(32)
        posts[msisdn].append(time.time() * 1000)
        st, s = call("http://127.0.0.1:8481", rp, "POST", "/v1/signature",
                     {"phoneNumber": msisdn, "hash": base64.b64encode(h).decode(), "hashType": "SHA256",
                      "displayText": "Văn bản %d/%d" % (i, k), "language": "VIE"})
        if st != 200:
            errors.append("signature %s: %s %s" % (msisdn, st, s))
            return
        while True:
            st, f = call("http://127.0.0.1:8481", rp, "GET", "/v1/signature/session/%s?timeoutMs=10000" % s["sessionID"])
            if st != 200 or f.get("state") == "COMPLETE":
                break
        if st != 200 or f.get("result") != "OK":
            errors.append("signature %s: %s" % (msisdn, f))


def run(fn):
    threads = [threading.Thread(target=fn, args=(i,)) for i in range(phones)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - t0


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


base_s = run(jobs)
sign_s = run(signs)
if errors:
    sys.exit("sign-bench: %d failures, e.g. %s" % (len(errors), errors[:3]))
n = phones * rounds
print("phones: %d\nrounds: %d" % (phones, rounds))
print("roundtrips_per_s: %.1f" % (n / base_s))
print("signatures_per_s: %.1f" % (n / sign_s))
print("sign_network_ratio: %.3f" % ((n / sign_s) / (n / base_s)))
# the prompt: the k-th DISPLAY TEXT on phone i answers its k-th POST
shown = {}
for line in open(screen_log, encoding="utf-8"):
    f = line.rstrip("\n").split("\t")
    if len(f) >= 4 and f[1] == "display":
        shown.setdefault(f[0], []).append(int(f[3]))
lat = []
for i in range(phones):
    imsi = "00101%010d" % i
    for k, at in enumerate(shown.get(imsi, [])[:rounds]):
        lat.append(at - posts["2%03d" % i][k])
print("prompt_ms_p50: %.0f\nprompt_ms_p99: %.0f" % (pct(lat, 50), pct(lat, 99)))
con = sqlite3.connect(db)
own = [r[0] for r in con.execute(
    "SELECT (sent_at - created_at) + (completed_at - answered_at) FROM signatures WHERE result = 'OK'")]
print("otad_ms_per_signature_p50: %.1f\notad_ms_per_signature_p99: %.1f" % (pct(own, 50), pct(own, 99)))
