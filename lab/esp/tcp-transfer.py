#!/usr/bin/env python3
"""lab/esp/tcp-transfer.py — TCP transfers between lab namespaces, from one process.

usage: tcp-transfer.py [--parallel] BYTES SECONDS SEND_NS:ADDR RECV_NS:ADDR [SEND_NS:ADDR RECV_NS:ADDR ...]

Each pair is one connection: RECV_NS connects from ADDR to SEND_NS's ADDR (port 9300 upward) and
reads BYTES, which SEND_NS writes as fast as TCP takes them. All of them share one deadline,
SECONDS from the start; --parallel runs them at once (a stall then costs SECONDS once), otherwise
one after the other. One line per transfer on stdout:
    SEND_NS RECV_NS connected=0|1 bytes=N seconds=S
connected=1 with fewer than BYTES is a stall after the handshake: the path carries small packets
and not full-sized ones. NS is a name under /run/netns or a path.

One process, not a client and a server under `ip netns exec`: each socket belongs to the
namespace it was made in (setns(2) before socket(2)), and under emulation every interpreter start
costs more than a transfer's setup.
"""
import ctypes
import os
import socket
import sys
import threading
import time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    fd = os.open(ns if "/" in ns else "/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns %s: %s" % (ns, os.strerror(e)))
    finally:
        os.close(fd)


def main(argv):
    parallel = False
    if argv and argv[0] == "--parallel":
        parallel, argv = True, argv[1:]
    if len(argv) < 4 or len(argv) % 2:
        sys.exit(__doc__.split("\n\n")[1])
    total, seconds = int(argv[0]), float(argv[1])
    pairs = [(argv[i].split(":", 1), argv[i + 1].split(":", 1)) for i in range(2, len(argv), 2)]
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    jobs = []
    for n, ((sns, saddr), (rns, raddr)) in enumerate(pairs):
        enter(sns)
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((saddr, 9300 + n))
        srv.listen(1)
        enter(rns)
        cli = socket.socket()
        cli.bind((raddr, 0))
        libc.setns(home, CLONE_NEWNET)
        jobs.append({"send": sns, "recv": rns, "srv": srv, "cli": cli, "to": (saddr, 9300 + n),
                     "connected": 0, "got": 0, "took": 0.0})
    deadline = time.monotonic() + seconds

    def left():
        return max(deadline - time.monotonic(), 0.001)

    def serve(j):
        try:
            j["srv"].settimeout(left())
            c, _ = j["srv"].accept()
            j["conn"] = c
            chunk, n = b"x" * 65536, total
            while n > 0:
                c.settimeout(left())
                n -= c.send(chunk[:min(n, len(chunk))])
        except OSError:
            pass

    def fetch(j):
        c, t0 = j["cli"], time.monotonic()
        try:
            c.settimeout(left())
            c.connect(j["to"])
            j["connected"] = 1
            while j["got"] < total:
                c.settimeout(left())
                b = c.recv(1 << 20)
                if not b:
                    break
                j["got"] += len(b)
        except OSError:
            pass
        j["took"] = time.monotonic() - t0

    def run(j):
        ts = [threading.Thread(target=serve, args=(j,)), threading.Thread(target=fetch, args=(j,))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    if parallel:
        ts = [threading.Thread(target=run, args=(j,)) for j in jobs]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    else:
        for j in jobs:
            run(j)
    for j in jobs:
        # A stalled connection still holds unsent data: close it with a reset, not a FIN after it.
        for s in (j.get("conn"), j["cli"], j["srv"]):
            if s is not None:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.close()
        print("%s %s connected=%d bytes=%d seconds=%.2f" % (j["send"], j["recv"], j["connected"], j["got"], j["took"]))


if __name__ == "__main__":
    main(sys.argv[1:])
