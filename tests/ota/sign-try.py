#!/usr/bin/env python3
"""A relying party for tests: asks simpki-otad's relying-party API for signatures and waits for their end.

  sign-try.py URL TOKEN_FILE REQUESTS_JSON OUT_JSON

REQUESTS_JSON: a list of requests, each {"phoneNumber" | "holderId", "displayText", "language"?,
"displayTextFormat"?, "hash": hex (optional: random), "hashType"? (SHA256), "after": seconds (optional: wait before
asking), "poll": false (optional: only ask, do not wait)}. All are sent in parallel (one thread each); each is
followed with long polls (timeoutMs 10000) until COMPLETE or 300 s. OUT_JSON gets one object per request, in order:
{"status": HTTP status of the POST, "post": its body, "hash": hex, "final": the last session answer, "polls": n,
"seconds": from the POST to COMPLETE, "code_local": the verification code computed here}.
"""
import base64, json, os, sys, threading, time, urllib.request, urllib.error

url, token_file, req_file, out_file = sys.argv[1:5]
token = open(token_file).read().strip()
reqs = json.load(open(req_file))
out = [None] * len(reqs)


def call(method, path, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    r = urllib.request.Request(url + path, data=data, method=method,
                               headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(r, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


def vc(h):
    return "%04d" % (((h[0] >> 2) << 7) | (h[-1] & 0x7F))


def one(i, q):
    time.sleep(q.pop("after", 0))
    poll = q.pop("poll", True)
    h = bytes.fromhex(q.pop("hash")) if "hash" in q else os.urandom(32)
    q["hash"] = base64.b64encode(h).decode()
    q.setdefault("hashType", "SHA256")
    t0 = time.time()
    st, body = call("POST", "/v1/signature", q)
    res = {"status": st, "post": body, "hash": h.hex(), "code_local": vc(h), "polls": 0}
    if st == 200 and poll:
        sid = body["sessionID"]
        while time.time() - t0 < 300:
            pst, fin = call("GET", "/v1/signature/session/%s?timeoutMs=10000" % sid, timeout=40)
            res["polls"] += 1
            res["final"] = fin
            if pst != 200 or fin.get("state") == "COMPLETE":
                break
        res["seconds"] = round(time.time() - t0, 3)
    out[i] = res


threads = [threading.Thread(target=one, args=(i, dict(q))) for i, q in enumerate(reqs)]
for t in threads:
    t.start()
for t in threads:
    t.join()
json.dump(out, open(out_file, "w"), indent=1, ensure_ascii=False)
