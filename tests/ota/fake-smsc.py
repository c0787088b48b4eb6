#!/usr/bin/env python3
"""A fake SMSC for the faults a real one does not produce (tests/ota/otad-faults.sh, otad-smpp.sh): listens on
127.0.0.1:PORT (2775), answers bind_transceiver, enquire_link and every submit_sm (the first with ESME_RTHROTTLED
unless --no-throttle, the --silent Nth not at all, the others with 0), then sends the deliver_sm PDUs named on the
command line, one after the other, each after the ESME answered the previous one (or 2 s), and prints what came
back; with --serve SECONDS it then goes on answering for that long. Each submit_sm is logged as "submit_sm N
answered 0xSS, esm_class 0xEE" (or "submit_sm N not answered, esm_class 0xEE"). "SEQ" in a PDU is replaced by a
sequence number.
Usage: fake-smsc.py [--port PORT] [--no-throttle] [--silent N] [--serve SECONDS] OUTFILE PDU_HEX..."""
import argparse, socket, struct, time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=2775)
ap.add_argument("--no-throttle", action="store_true")
ap.add_argument("--silent", type=int, default=0)
ap.add_argument("--serve", type=float, default=0)
ap.add_argument("out")
ap.add_argument("pdus", nargs="*")
args = ap.parse_args()

out = open(args.out, "w")
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", args.port))
srv.listen(1)
srv.settimeout(30)
c, _ = srv.accept()
c.settimeout(2)
buf = b""
submits = 0


def log(*a):
    print(*a, file=out, flush=True)


def recv_pdu():
    global buf
    while True:
        if len(buf) >= 16:
            n = struct.unpack(">I", buf[:4])[0]
            if len(buf) >= n:
                p, buf = buf[:n], buf[n:]
                return p
        d = c.recv(65536)
        if not d:
            raise EOFError
        buf += d


def esm_class(p):
    """a submit_sm's esm_class: after service_type, source TON/NPI/address and destination TON/NPI/address"""
    i = p.index(b"\0", 16) + 1 + 2
    i = p.index(b"\0", i) + 1 + 2
    return p[p.index(b"\0", i) + 1]


def dest(p):
    """a submit_sm's destination address"""
    i = p.index(b"\0", 16) + 1 + 2
    i = p.index(b"\0", i) + 1 + 2
    return p[i:p.index(b"\0", i)].decode(errors="replace")


def answer(p):
    global submits
    cmd, status, seq = struct.unpack(">III", p[4:16])
    if cmd == 0x09:
        c.sendall(struct.pack(">IIII", 16 + 5, 0x80000009, 0, seq) + b"fake\0")
        log("bound")
    elif cmd == 0x15:
        c.sendall(struct.pack(">IIII", 16, 0x80000015, 0, seq))
    elif cmd == 0x04:
        submits += 1
        if submits == args.silent:
            log("submit_sm %d not answered, esm_class 0x%02x, to %s" % (submits, esm_class(p), dest(p)))
            return cmd, status, seq
        status = 0x58 if submits == 1 and not args.no_throttle else 0  # ESME_RTHROTTLED
        body = b"" if status else b"1\0"
        c.sendall(struct.pack(">IIII", 16 + len(body), 0x80000004, status, seq) + body)
        log("submit_sm %d answered 0x%02x, esm_class 0x%02x, to %s" % (submits, status, esm_class(p), dest(p)))
    return cmd, status, seq


try:
    answer(recv_pdu())
    for i, h in enumerate(args.pdus):
        p = bytes.fromhex(h)
        if len(p) >= 16:
            p = p[:12] + struct.pack(">I", 1000 + i) + p[16:]
        c.sendall(p)
        t0 = time.time()
        while time.time() - t0 < 2:
            try:
                cmd, status, seq = answer(recv_pdu())
            except socket.timeout:
                break
            if cmd == 0x80000005 and seq == 1000 + i:
                log("deliver_sm_resp %d status %d" % (i, status))
                break
        else:
            log("no answer to %d" % i)
    t0 = time.time()
    while time.time() - t0 < 6 and submits < 2 and not args.serve:  # a throttled submit comes again
        try:
            answer(recv_pdu())
        except socket.timeout:
            pass
    t0 = time.time()
    while time.time() - t0 < args.serve:
        try:
            answer(recv_pdu())
        except socket.timeout:
            pass
except EOFError:
    log("the ESME closed the connection")
log("done")
time.sleep(1)
