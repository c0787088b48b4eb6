#!/usr/bin/env python3
"""One timed change of subject for bench/lifecycle.sh, through simpki-otad's operator API on 127.0.0.1:8480.

Files the merge of the provinces into a new one (POST /v1/units/changes), then starts a modify operation over that
change (POST /v1/lifecycle {"kind": "modify", "select": {"unit_change": ID}}) and polls GET /v1/lifecycle/{id}
until its state is done. Timed from the lifecycle POST to done; the CPU seconds (utime + stime) of the processes
named on the command line over that time, and the peak RSS (VmHWM, reset at the POST) of otad and ca. Every item
must end done (else exit 1). A timeline of the counts, one line a second, goes to TIMELINE.

On time-out (LIFECYCLE_TIMEOUT_S) the rate so far is printed (lifecycle_MODE_holders_per_min_so_far), then exit 1.

Usage: lifecycle-bench.py MODE HOLDERS CONCURRENCY PROVINCES INTO_CODE INTO_NAME TIMELINE otad=PID ca=PID [NAME=PID...]
       (the token in SIMPKI_API_TOKEN; LIFECYCLE_TIMEOUT_S: the longest wait, default 3600)
Output: "name: value" lines, prefixed lifecycle_MODE_.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

mode, n, conc, provinces, into_code, into_name, timeline = sys.argv[1:8]
n, conc = int(n), int(conc)
pids = dict(a.split("=") for a in sys.argv[8:])
tck = os.sysconf("SC_CLK_TCK")
limit = float(os.environ.get("LIFECYCLE_TIMEOUT_S", "3600"))


def cpu(pid):
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tck


def hwm(pid):
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def api(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:8480" + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + os.environ["SIMPKI_API_TOKEN"])
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        r = urllib.request.urlopen(req, timeout=60)
        return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def done_count(j):
    """The items done, from the operation's counts (by state)."""
    c = j.get("counts") or j.get("items_by_state") or {}
    return c.get("done", 0) if isinstance(c, dict) else 0


t0 = time.monotonic()
st, j = api("POST", "/v1/units/changes",
            {"kind": "merge", "units": provinces.split(","), "into": {"code": into_code, "name": into_name}})
if st not in (200, 201):
    sys.exit("POST /v1/units/changes: %s %s" % (st, j))
change = j["id"]
t_change = time.monotonic() - t0

for p in ("otad", "ca"):
    open("/proc/%s/clear_refs" % pids[p], "w").write("5")  # VmHWM from now on
cpu0 = {k: cpu(v) for k, v in pids.items()}
t0 = time.monotonic()
st, j = api("POST", "/v1/lifecycle", {"kind": "modify", "select": {"unit_change": change}, "concurrency": conc,
                                      "name": "bench %s: the merge of %s" % (mode, provinces)})
if st not in (200, 201, 202):
    sys.exit("POST /v1/lifecycle: %s %s" % (st, j))
op = j["id"]
t_post = time.monotonic() - t0
tl = open(timeline, "w")
last = -1
while True:
    st, j = api("GET", "/v1/lifecycle/%d" % op)
    t = time.monotonic() - t0
    if st == 200 and j.get("state") in ("done", "cancelled"):
        break
    if st == 200 and int(t) != last:
        last = int(t)
        tl.write("%.1f %s\n" % (t, json.dumps(j.get("counts"), sort_keys=True)))
        tl.flush()
    if t > limit:  # the rate so far, then a failure
        done = j.get("done", done_count(j)) if isinstance(j, dict) else 0
        print("lifecycle_%s_timed_out_s: %.0f" % (mode, t))
        print("lifecycle_%s_done_so_far: %d" % (mode, done))
        print("lifecycle_%s_holders_per_min_so_far: %.1f" % (mode, done * 60 / t))
        for k in pids:
            print("lifecycle_%s_%s_cpu_s_so_far: %.1f" % (mode, k, cpu(pids[k]) - cpu0[k]))
        for k in ("otad", "ca"):
            print("lifecycle_%s_%s_rss_kb: %d" % (mode, k, hwm(pids[k])))
        sys.exit("not done in %.0f s: %s" % (limit, j))
    time.sleep(0.5 if n > 1000 else 0.2)
t = time.monotonic() - t0
cpu1 = {k: cpu(v) for k, v in pids.items()}
tl.write("%.1f %s %s\n" % (t, json.dumps(j.get("counts"), sort_keys=True), j.get("state")))
tl.close()
pre = "lifecycle_%s_" % mode
print("%sholders: %d" % (pre, n))
print("%sconcurrency: %d" % (pre, conc))
print("%sunit_change_post_s: %.2f" % (pre, t_change))
print("%spost_s: %.2f" % (pre, t_post))
print("%ss: %.1f" % (pre, t))
print("%sholders_per_min: %.1f" % (pre, n * 60 / t))
for k in pids:
    print("%s%s_cpu_s: %.1f" % (pre, k, cpu1[k] - cpu0[k]))
for k in ("otad", "ca"):
    print("%s%s_rss_kb: %d" % (pre, k, hwm(pids[k])))
print("%scounts: %s" % (pre, json.dumps(j.get("counts"), sort_keys=True)))
if j.get("state") != "done" or done_count(j) != n:
    sys.exit("%s: the operation ended %s with %s of %d items done: %s" % (mode, j.get("state"), done_count(j), n, j))
