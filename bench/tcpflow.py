#!/usr/bin/env python3
"""bench/tcpflow.py — a TCP request/reply flow across a failover, for bench/failover --scenario twoway.

  tcpflow.py serve --bind ADDR:PORT [--ready-file F]
      answers every 64-octet request with the same 64 octets, one connection at a time, until killed.
  tcpflow.py client --to ADDR:PORT --from ADDR --rate N --stop-file F [--drain-s 10]
      sends N requests a second, pipelined (it never waits for a reply before the next request),
      until F exists; then waits up to --drain-s for the replies still due. Prints one JSON line:
      {"survived":..,"requests":..,"replies":..,"longest_stall_ms":..,"error":..}
      survived: the connection was never reset and every request was answered.
      longest_stall_ms: the longest time with replies due and none arriving (TCP's retransmission
      timeout shows here: the kernel's minimum RTO is 200 ms, so any loss stalls a flow that long).
"""
import json, os, select, socket, sys, time

SIZE = 64


def addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def serve(bind, ready):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(addr(bind))
    ls.listen(4)
    if ready:
        open(ready, "w").close()
    while True:
        c, _ = ls.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        c.close()


def client(to, source, rate, stop_file, drain_s):
    out = {"survived": False, "requests": 0, "replies": 0, "longest_stall_ms": None, "error": None}
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((source, 0))
    s.settimeout(5)
    try:
        s.connect(addr(to))
    except OSError as e:
        out["error"] = "connect: %s" % e
        print(json.dumps(out))
        return 1
    s.setblocking(False)
    period = 1.0 / rate
    nxt = time.monotonic()
    sent_bytes = got_bytes = 0
    last_progress = time.monotonic()
    stall = 0.0
    stopping_at = None
    pending = b""
    while True:
        now = time.monotonic()
        if stopping_at is None and os.path.exists(stop_file):
            stopping_at = now
        if stopping_at is None:
            while now >= nxt:
                pending += out["requests"].to_bytes(8, "big") * (SIZE // 8)
                out["requests"] += 1
                nxt += period
        if pending:
            try:
                n = s.send(pending)
                pending = pending[n:]
                sent_bytes += n
            except BlockingIOError:
                pass
            except OSError as e:
                out["error"] = "send: %s" % e
                break
        due = out["requests"] * SIZE > got_bytes
        if not due:
            last_progress = now
            if stopping_at is not None:
                break
        if stopping_at is not None and now - stopping_at > drain_s:
            out["error"] = "replies still due %.0f s after the flow stopped" % drain_s
            break
        wait = max(0.0, min(nxt - now, 0.05)) if stopping_at is None else 0.05
        r, _, _ = select.select([s], [], [], wait)
        if r:
            try:
                d = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError as e:
                out["error"] = "recv: %s" % e
                break
            if not d:
                out["error"] = "the server closed the connection"
                break
            got_bytes += len(d)
            t = time.monotonic()
            stall = max(stall, t - last_progress)
            last_progress = t
        elif due:
            stall = max(stall, time.monotonic() - last_progress)
    out["replies"] = got_bytes // SIZE
    out["longest_stall_ms"] = round(stall * 1000)
    out["survived"] = out["error"] is None and out["replies"] == out["requests"]
    s.close()
    print(json.dumps(out))
    return 0


def main(argv):
    opts = {}
    args = argv[2:]
    while args:
        k = args.pop(0)
        if not k.startswith("--") or not args:
            sys.exit("tcpflow.py: bad arguments")
        opts[k[2:]] = args.pop(0)
    if argv[1:2] == ["serve"]:
        serve(opts["bind"], opts.get("ready-file"))
    elif argv[1:2] == ["client"]:
        return client(opts["to"], opts["from"], int(opts.get("rate", "100")), opts["stop-file"],
                      float(opts.get("drain-s", "10")))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
