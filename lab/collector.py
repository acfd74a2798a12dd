#!/usr/bin/env python3
# A strict HTTP event collector for the labs and tests: `collector.py PORT LOG FAIL`.
# It checks each POST the way a careful relay would (path /hedge/events, JSON array, the
# headers hedge sends, every event's members), answers 500 to the first FAIL requests, and appends
# one line per event to LOG: "ID <id> <seq> <type>", or "DUP <id>" for an id it accepted before
# (across its own restarts too: it reads LOG back at start), "BAD <problem>" for what it refused
# to like. It writes LOG.ready once listening on 127.0.0.1:PORT.
import http.server, json, os, sys
port, log, fail = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
seen = set()
if os.path.exists(log):
    for line in open(log):
        p = line.split()
        if p and p[0] == "ID": seen.add(p[1])
requests = 0
REQUIRED = ["id", "seq", "time", "type", "severity", "message", "host"]

def note(text):
    with open(log, "a") as f:
        f.write(text + "\n")

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def answer(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
    def do_POST(self):
        global requests
        requests += 1
        h = self.headers
        body = self.rfile.read(int(h.get("Content-Length", "0")))
        problems = []
        if self.path != "/hedge/events": problems.append("path " + self.path)
        if h.get("Content-Type") != "application/json": problems.append("content-type")
        if not (h.get("User-Agent") or "").startswith("hedge/"): problems.append("user-agent")
        if (h.get("Connection") or "").lower() != "close": problems.append("connection")
        if h.get("Host") != "127.0.0.1:%d" % port: problems.append("host " + str(h.get("Host")))
        if requests <= fail:
            note("FAIL %d" % requests)
            return self.answer(500)
        try:
            events = json.loads(body)
        except Exception as e:
            problems.append("json %r" % e); events = []
        if not isinstance(events, list): problems.append("not an array"); events = []
        for e in events:
            missing = [k for k in REQUIRED if k not in e]
            if missing: problems.append("missing %s" % missing)
            if e.get("id") in seen:
                note("DUP %s" % e.get("id"))
            else:
                seen.add(e.get("id"))
                note("ID %s %s %s" % (e.get("id"), e.get("seq"), e.get("type")))
        for p in problems: note("BAD " + p)
        self.answer(200)

srv = http.server.HTTPServer(("127.0.0.1", port), Handler)
open(log + ".ready", "w").close()
srv.serve_forever()
