#!/usr/bin/env python3
"""A stand-in for simpki-otad's relying-party API, for tests/cli/simpki-sign.sh only (the real one is being built
elsewhere; same paths and JSON). The SIM's signature is made by the openssl command line with the test keys: ECDSA
over the raw hash, RSA PKCS#1 v1.5 over its DigestInfo. The phone number picks the scenario (PHONES below).
Usage: rp-fake-api.py DIR   (DIR holds ec.key, ec.crt, rsa.key, rsa.crt; the port is written to DIR/port, each
request to DIR/requests.log)"""
import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import uuid

DIR = sys.argv[1]
TOKEN = "rp-token-for-the-sign-test-0123456789"
# phone -> (key, scenario)
PHONES = {
    "84900000001": ("ec", "ok"),
    "84900000002": ("rsa", "ok"),
    "84900000003": ("ec", "USER_CANCELLED"),
    "84900000004": ("ec", "busy"),
    "84900000005": ("ec", "bad-code"),
    "84900000006": ("ec", "forever"),
    "84900000007": ("ec", "garbage"),
    "84900000008": ("ec", "PIN_BLOCKED"),
    "84900000010": ("ec", "wrong-alg"),
}
sessions = {}
lock = threading.Lock()


def log(line):
    with lock, open(os.path.join(DIR, "requests.log"), "a") as f:
        f.write(line + "\n")


def sim_sign(key, digest):
    args = ["openssl", "pkeyutl", "-sign", "-inkey", os.path.join(DIR, key + ".key")]
    if key == "rsa":
        args += ["-pkeyopt", "digest:sha256"]  # PKCS#1 v1.5 over DigestInfo(SHA-256, digest)
    return subprocess.run(args, input=digest, capture_output=True, check=True).stdout


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorised(self):
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            self.answer(401, {"error": "UNAUTHORIZED", "message": "bad token"})
            return False
        return True

    def body(self):
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def do_POST(self):
        log("POST " + self.path)
        if not self.authorised():
            return
        req = self.body()
        who = PHONES.get(req.get("phoneNumber"))
        if who is None:
            self.answer(404, {"error": "NOT_FOUND", "message": "not a client"})
            return
        key, scenario = who
        if self.path == "/v1/certificate":
            alg = "EC" if key == "ec" else "RSA"
            if scenario == "wrong-alg":
                alg = "RSA"
            cert = open(os.path.join(DIR, key + ".crt")).read()
            self.answer(200, {"result": "OK", "cert": cert, "keyAlgorithm": alg})
        elif self.path == "/v1/signature":
            if scenario == "busy":
                self.answer(409, {"error": "PB_SIGNATURE_PROCESS", "message": "a signature is already pending"})
                return
            h = base64.b64decode(req["hash"])
            assert req["hashType"] == "SHA256" and len(h) == 32 and req["language"] in ("VIE", "ENG")
            code = ((h[0] >> 2) << 7) | (h[31] & 0x7F)
            if scenario == "bad-code":
                code = (code + 1) % 10000
            sid = str(uuid.uuid4())
            with lock:
                sessions[sid] = {"key": key, "scenario": scenario, "hash": h, "polls": 0}
            log("TEXT " + req.get("displayText", ""))
            self.answer(200, {"sessionID": sid, "verificationCode": "%04d" % code})
        else:
            self.answer(404, {"error": "NOT_FOUND", "message": "no such path"})

    def do_GET(self):
        log("GET " + self.path)
        if not self.authorised():
            return
        path, _, query = self.path.partition("?")
        s = sessions.get(path.rsplit("/", 1)[-1])
        if not path.startswith("/v1/signature/session/") or s is None:
            self.answer(404, {"error": "NOT_FOUND", "message": "no such session"})
            return
        assert query.startswith("timeoutMs=")
        s["polls"] += 1
        if s["scenario"] == "forever" or s["polls"] == 1:
            time.sleep(min(int(query[10:]) / 1000, 1.0))
            self.answer(200, {"state": "RUNNING"})
            return
        sc = s["scenario"]
        if sc in ("ok", "garbage", "wrong-alg"):
            sig = sim_sign(s["key"], s["hash"] if sc != "garbage" else bytes(32))
            cert = open(os.path.join(DIR, s["key"] + ".crt")).read()
            self.answer(200, {"state": "COMPLETE", "result": "OK", "cert": cert,
                              "signature": {"algorithm": "SHA256with" + ("ECDSA" if s["key"] == "ec" else "RSA"),
                                            "value": base64.b64encode(sig).decode()}})
        else:
            self.answer(200, {"state": "COMPLETE", "result": sc})

    def do_DELETE(self):
        log("DELETE " + self.path)
        if not self.authorised():
            return
        self.answer(200, {"result": "CANCELLED"})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
