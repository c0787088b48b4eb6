#!/usr/bin/env python3
"""A fake SMSC for the faults a real one does not produce (tests/ota/otad-faults.sh): listens on 127.0.0.1:2775,
answers bind_transceiver, enquire_link and every submit_sm (the first with ESME_RTHROTTLED, the others with 0),
then sends the deliver_sm PDUs named on
the command line, one after the other, each after the ESME answered the previous one (or 2 s), and prints what
came back. Usage: fake-smsc.py OUTFILE PDU_HEX... (each a whole PDU, header included; "SEQ" in it is replaced by
a sequence number)."""
import socket, struct, sys, time

out = open(sys.argv[1], "w")
pdus = sys.argv[2:]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 2775))
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


def answer(p):
    cmd, status, seq = struct.unpack(">III", p[4:16])
    if cmd == 0x09:
        c.sendall(struct.pack(">IIII", 16 + 5, 0x80000009, 0, seq) + b"fake\0")
        log("bound")
    elif cmd == 0x15:
        c.sendall(struct.pack(">IIII", 16, 0x80000015, 0, seq))
    elif cmd == 0x04:
        global submits
        submits += 1
        status = 0x58 if submits == 1 else 0  # the first one: ESME_RTHROTTLED
        body = b"" if status else b"1\0"
        c.sendall(struct.pack(">IIII", 16 + len(body), 0x80000004, status, seq) + body)
        log("submit_sm %d answered 0x%02x" % (submits, status))
    return cmd, status, seq


try:
    answer(recv_pdu())
    for i, h in enumerate(pdus):
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
    while time.time() - t0 < 6 and submits < 2:  # the throttled submit comes again after its back-off
        try:
            answer(recv_pdu())
        except socket.timeout:
            pass
except EOFError:
    log("the ESME closed the connection")
log("done")
time.sleep(1)
