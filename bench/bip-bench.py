#!/usr/bin/env python3
"""Two provisioning campaigns at once through simpki-otad's API (bench/bip.sh): cards 0..HALF-1 (no PSK in the
server: SMS) and HALF..2*HALF-1 (PSK: BIP for the large jobs). Prints, per campaign, the certificate loads per minute,
the bytes per second of its jobs' scripts and responses, its jobs by bearer, and the ratios bip / sms.
Usage: bip-bench.py HALF API_TOKEN"""
import json
import sys
import time
import urllib.request

half, token = int(sys.argv[1]), sys.argv[2]
API = "http://127.0.0.1:8480"


def call(method, path, body=None):
    req = urllib.request.Request(API + path, data=None if body is None else json.dumps(body).encode(), method=method)
    req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def luhn(s):
    t = 0
    for i, c in enumerate(reversed(s)):
        x = int(c)
        if i % 2 == 0:
            x *= 2
            if x > 9:
                x -= 9
        t += x
    return s + str((10 - t % 10) % 10)


def iccid(k):
    return luhn("898401000000000%03d" % k)


sets = {"sms": [iccid(k) for k in range(half)], "bip": [iccid(k) for k in range(half, 2 * half)]}
ids, start, end = {}, {}, {}
for name, cards in sets.items():
    c = call("POST", "/v1/campaigns", {"name": "bench " + name, "select": {"iccids": cards},
                                       "keys": [{"id": 2, "alg": "p256", "profile": "signing"}],
                                       "personalise": True, "concurrency": 100})
    ids[name] = c["id"]
    start[name] = time.monotonic()
while len(end) < len(ids):
    for name, cid in ids.items():
        if name in end:
            continue
        c = call("GET", "/v1/campaigns/%d" % cid)
        if c["state"] in ("done", "cancelled"):
            end[name] = time.monotonic()
    time.sleep(0.2)
    if time.monotonic() - min(start.values()) > 1200:
        sys.exit("campaigns not done in 20 minutes")
res = {}
for name, cards in sets.items():
    jobs = []
    for ic in cards:
        jobs += call("GET", "/v1/jobs?iccid=%s&limit=100" % ic)["jobs"]
    c = call("GET", "/v1/campaigns/%d" % ids[name])
    secs = end[name] - start[name]
    by = {}
    for j in jobs:
        by[j["via"]] = by.get(j["via"], 0) + 1
    ok = [j for j in jobs if j["state"] == "por-ok"]
    nbytes = sum(j["script_bytes"] + j["response_bytes"] for j in jobs)
    res[name] = {"seconds": secs, "loads_per_min": half * 60 / secs, "bytes_per_s": nbytes / secs, "jobs": len(jobs),
                 "ok": len(ok), "by": by, "campaign": c}
    print("%s: %d cards in %.1f s: %.1f certificate loads per minute, %.0f bytes/s (%d bytes), %d jobs (%s), %d por-ok"
          % (name, half, secs, res[name]["loads_per_min"], res[name]["bytes_per_s"], nbytes, len(jobs),
             ", ".join("%s %d" % kv for kv in sorted(by.items())), len(ok)))
    if '"active": %d' % half not in json.dumps(c):
        print("  not every card active: %s" % json.dumps(c)[:400])
        res[name]["bad"] = True
print("bip_sms_loads_ratio %.2f" % (res["bip"]["loads_per_min"] / res["sms"]["loads_per_min"]))
print("bip_sms_bytes_ratio %.2f" % (res["bip"]["bytes_per_s"] / res["sms"]["bytes_per_s"]))
bad = res["bip"]["by"].get("bip", 0) == 0 or res["sms"]["by"].get("bip", 0) != 0 or any(r.get("bad") for r in res.values())
sys.exit(1 if bad else 0)
