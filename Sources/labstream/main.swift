// labstream — lab tool (not part of the agent): an exactly paced UDP sequence stream and its receiver,
// used by the namespace labs to measure how many milliseconds of traffic a failover loses.
//
//   labstream send --to 10.200.0.4:9000 [--from 172.16.0.1] --rate 1000 --duration-ms 5000
//   labstream recv --bind 10.200.0.4:9000 [--until-idle-ms 2000] [--max-wait-ms 60000] [--expect N]
//                  [--json-out FILE] [--ready-file PATH] [--arrivals-out FILE]
//
// --arrivals-out: one text line per data datagram received, in arrival order:
//   "SEQ ARRIVAL_US SENT_US" — microseconds since the stream's first deadline (t0, CLOCK_MONOTONIC; the
//   receiver and sender share that clock inside one machine's namespaces), after a header line
//   "# labstream arrivals v1 start_unix_ns=N rate_pps=R". A timeline of packets per millisecond.
//
// Datagram (big endian, 48 bytes): magic "LBST" u32, version u16, kind u16 (0 data, 1 end),
// rate_pps u32, reserved u32, seq u64 (end: number of data packets sent), send_mono_ns u64,
// stream_start_mono_ns u64, stream_start_unix_ns u64.
// The sender paces on absolute deadlines (t0 + seq × period): clock_nanosleep(TIMER_ABSTIME) until
// ~300 µs before the deadline, then a busy tail, so 1,000 pps is one datagram per millisecond and a
// late wake-up never shifts later deadlines (a sender more than 20 ms or 4 periods behind moves its
// schedule rather than burst: "rebases" in its JSON). A datagram that cannot be sent (e.g. ENETUNREACH while no
// route exists) keeps its sequence number and counts as lost at the receiver.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

let magic: UInt32 = 0x4C42_5354  // "LBST"
let packetSize = 48

// Written by the signal handler while the loops read it: no exclusivity checks (they abort at run time).
@exclusivity(unchecked) nonisolated(unsafe) var gStop: sig_atomic_t = 0

func die(_ msg: String) -> Never {
    FileHandle.standardError.write(("labstream: " + msg + "\n").data(using: .utf8)!)
    exit(2)
}
func note(_ msg: String) {
    FileHandle.standardError.write(("labstream: " + msg + "\n").data(using: .utf8)!)
}

func monoNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
func realNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

// MARK: arguments

struct Args {
    var opts: [String: String] = [:]
    init(_ argv: ArraySlice<String>, flags: Set<String>) {
        var it = argv.makeIterator()
        while let a = it.next() {
            guard a.hasPrefix("--") else { die("unexpected argument \(a)") }
            let key = String(a.dropFirst(2))
            if let eq = key.firstIndex(of: "=") {
                opts[String(key[..<eq])] = String(key[key.index(after: eq)...])
            } else if flags.contains(key) {
                opts[key] = "1"
            } else {
                guard let v = it.next() else { die("\(a) needs a value") }
                opts[key] = v
            }
        }
    }
    func str(_ k: String) -> String? { opts[k] }
    func int(_ k: String, _ def: Int? = nil) -> Int? {
        guard let s = opts[k] else { return def }
        guard let v = Int(s), v >= 0 else { die("--\(k): not a non-negative integer: \(s)") }
        return v
    }
}

func parseEndpoint(_ s: String, defaultPort: UInt16 = 0) -> sockaddr_in {
    var host = s
    var port = defaultPort
    if let c = s.lastIndex(of: ":") {
        host = String(s[..<c])
        guard let p = UInt16(s[s.index(after: c)...]) else { die("bad port in \(s)") }
        port = p
    }
    var sa = sockaddr_in()
    sa.sin_family = sa_family_t(AF_INET)
    sa.sin_port = port.bigEndian
    if host.isEmpty || host == "*" {
        sa.sin_addr.s_addr = 0
    } else if inet_pton(AF_INET, host, &sa.sin_addr) != 1 {
        die("bad IPv4 address \(host)")
    }
    return sa
}

func withSockaddr<R>(_ sa: sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    var copy = sa
    return withUnsafePointer(to: &copy) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

// MARK: wire

func put32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) { for i in 0..<4 { b[o + i] = UInt8((v >> (24 - 8 * i)) & 0xff) } }
func put16(_ b: inout [UInt8], _ o: Int, _ v: UInt16) { b[o] = UInt8(v >> 8); b[o + 1] = UInt8(v & 0xff) }
func put64(_ b: inout [UInt8], _ o: Int, _ v: UInt64) { for i in 0..<8 { b[o + i] = UInt8((v >> (56 - 8 * i)) & 0xff) } }
func get32(_ b: UnsafeMutableRawBufferPointer, _ o: Int) -> UInt32 { (0..<4).reduce(0) { ($0 << 8) | UInt32(b[o + $1]) } }
func get16(_ b: UnsafeMutableRawBufferPointer, _ o: Int) -> UInt16 { (UInt16(b[o]) << 8) | UInt16(b[o + 1]) }
func get64(_ b: UnsafeMutableRawBufferPointer, _ o: Int) -> UInt64 { (0..<8).reduce(0) { ($0 << 8) | UInt64(b[o + $1]) } }

// MARK: send

func runSend(_ a: Args) -> Int32 {
    guard let to = a.str("to") else { die("send: --to ADDR:PORT is required") }
    let dst = parseEndpoint(to)
    let rate = a.int("rate", 1000)!
    guard rate > 0 && rate <= 1_000_000 else { die("--rate must be 1..1000000") }
    let durationMs = a.int("duration-ms", 5000)!
    let count = a.int("count") ?? (durationMs * rate / 1000)
    let periodNs = UInt64(1_000_000_000 / rate)

    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { die("socket: \(String(cString: strerror(errno)))") }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    if let from = a.str("from") {
        let src = parseEndpoint(from)
        let r = withSockaddr(src) { bind(fd, $0, $1) }
        guard r == 0 else { die("bind \(from): \(String(cString: strerror(errno)))") }
    }
    // Best effort: a real-time priority keeps the pacing exact on a busy 2-core box.
    var sp = sched_param(); sp.sched_priority = 10
    if sched_setscheduler(0, SCHED_FIFO, &sp) != 0 { note("SCHED_FIFO not available; pacing with normal priority") }

    var pkt = [UInt8](repeating: 0, count: packetSize)
    put32(&pkt, 0, magic); put16(&pkt, 4, 1); put32(&pkt, 8, UInt32(rate))
    let t0 = monoNs() + 20_000_000  // first deadline 20 ms out
    let t0unix = realNs() + 20_000_000
    put64(&pkt, 32, t0); put64(&pkt, 40, t0unix)

    var sendErrors = 0, firstErrno: Int32 = 0
    var lateMaxNs: UInt64 = 0
    // A sender that has fallen behind (a starved CPU; under emulation an ESP sendto can cost more
    // than a period) does not catch up back-to-back: at real-time priority that spins one CPU for as
    // long as it stays behind and starved the rest of the guest until nothing else ran. It moves its
    // schedule instead: the next datagram one period from now, with the sequence numbers unbroken
    // (the receiver counts loss by them), and reports how often and by how much.
    let behindLimitNs = max(20_000_000, 4 * periodNs)
    var next0 = t0, rebases = 0, rebasedNs: UInt64 = 0
    var seq = 0
    while seq < count && gStop == 0 {
        var deadline = next0 + UInt64(seq) * periodNs
        var now = monoNs()
        if now > deadline + behindLimitNs {
            let shift = now + periodNs - deadline
            next0 += shift; deadline += shift; rebases += 1; rebasedNs += shift
        }
        if deadline > now + 300_000 {
            let wake = deadline - 300_000
            var ts = timespec(tv_sec: Int(wake / 1_000_000_000), tv_nsec: Int(wake % 1_000_000_000))
            while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR && gStop == 0 {}
            now = monoNs()
        }
        while now < deadline { now = monoNs() }
        if now - deadline > lateMaxNs { lateMaxNs = now - deadline }
        put16(&pkt, 6, 0)
        put64(&pkt, 16, UInt64(seq))
        put64(&pkt, 24, now)
        let n = pkt.withUnsafeBytes { b in withSockaddr(dst) { sendto(fd, b.baseAddress, packetSize, 0, $0, $1) } }
        if n != packetSize {
            if sendErrors == 0 { firstErrno = errno }
            sendErrors += 1
        }
        seq += 1
    }
    let sent = seq
    // End marker: tells the receiver how many data datagrams exist (so trailing losses count). Sent a
    // few times, 1 ms apart; if all are lost the receiver falls back to --expect / its idle timeout.
    put16(&pkt, 6, 1)
    put64(&pkt, 16, UInt64(sent))
    for _ in 0..<5 {
        put64(&pkt, 24, monoNs())
        _ = pkt.withUnsafeBytes { b in withSockaddr(dst) { sendto(fd, b.baseAddress, packetSize, 0, $0, $1) } }
        usleep(1000)
    }
    close(fd)
    var errStr = "null"
    if firstErrno != 0 { errStr = "\"\(String(cString: strerror(firstErrno)))\"" }
    let line = "{\"sent\":\(sent),\"rate_pps\":\(rate),\"send_errors\":\(sendErrors),\"first_error\":\(errStr)," +
        "\"late_max_us\":\(lateMaxNs / 1000),\"rebases\":\(rebases),\"rebased_ms\":\(rebasedNs / 1_000_000)," +
        "\"start_unix_ms\":\(t0unix / 1_000_000)}"
    print(line)  // one JSON line on stdout
    return 0
}

// MARK: recv

func fmtMs(_ v: Double) -> String {
    let r = (v * 1000).rounded() / 1000
    if r == r.rounded() { return String(Int(r)) }
    return String(r)
}

func runRecv(_ a: Args) -> Int32 {
    guard let bindStr = a.str("bind") else { die("recv: --bind ADDR:PORT is required") }
    let local = parseEndpoint(bindStr)
    let idleMs = a.int("until-idle-ms", 2000)!
    let maxWaitMs = a.int("max-wait-ms", 120_000)!
    let expect = a.int("expect")
    let maxGaps = a.int("max-gaps", 100)!
    let arrivalsOut = a.str("arrivals-out")
    var arrivals: [(seq: UInt64, at: UInt64, sent: UInt64)] = []
    if arrivalsOut != nil { arrivals.reserveCapacity(1 << 16) }
    var streamStartMono: UInt64 = 0

    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { die("socket: \(String(cString: strerror(errno)))") }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var rcvbuf: Int32 = 8 << 20
    if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, socklen_t(MemoryLayout<Int32>.size)) != 0 {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, socklen_t(MemoryLayout<Int32>.size))
    }
    let r = withSockaddr(local) { bind(fd, $0, $1) }
    guard r == 0 else { die("bind \(bindStr): \(String(cString: strerror(errno)))") }
    if let ready = a.str("ready-file") {
        guard FileManager.default.createFile(atPath: ready, contents: Data()) else { die("cannot create \(ready)") }
    }

    var seen = [UInt64]()  // bitset of sequence numbers
    var received = 0, duplicates = 0, reordered = 0, foreign = 0
    var maxSeq: Int = -1
    var rate = 0
    var startUnixNs: UInt64 = 0
    var endCount: Int? = nil
    var latMaxNs: UInt64 = 0
    var firstAt: UInt64 = 0, lastAt: UInt64 = 0
    let began = monoNs()
    var buf = [UInt8](repeating: 0, count: 2048)
    var reason = "idle"

    while true {
        if gStop != 0 { reason = "signal"; break }
        let now = monoNs()
        if endCount != nil && now - lastAt > 100_000_000 { reason = "end-marker"; break }
        if received > 0 && now - lastAt > UInt64(idleMs) * 1_000_000 { reason = "idle"; break }
        if now - began > UInt64(maxWaitMs) * 1_000_000 { reason = "max-wait"; break }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let pr = poll(&pfd, 1, 20)
        if pr <= 0 { continue }
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n < 0 { break }
            let at = monoNs()
            let ok: Bool = buf.withUnsafeMutableBytes { b in
                guard n >= packetSize, get32(b, 0) == magic else { return false }
                let kind = get16(b, 6)
                rate = Int(get32(b, 8))
                startUnixNs = get64(b, 40)
                let seq = Int(get64(b, 16))
                if kind == 1 { endCount = seq; return true }
                let sendNs = get64(b, 24)
                streamStartMono = get64(b, 32)
                if arrivalsOut != nil { arrivals.append((UInt64(seq), at, sendNs)) }
                if at > sendNs && at - sendNs > latMaxNs { latMaxNs = at - sendNs }
                let w = seq >> 6
                if w >= seen.count { seen.append(contentsOf: repeatElement(0, count: w - seen.count + 1024)) }
                let bit = UInt64(1) << UInt64(seq & 63)
                if seen[w] & bit != 0 { duplicates += 1; return true }
                seen[w] |= bit
                received += 1
                if seq < maxSeq { reordered += 1 }
                if seq > maxSeq { maxSeq = seq }
                return true
            }
            if !ok { foreign += 1; continue }
            if firstAt == 0 { firstAt = at }
            lastAt = at
        }
    }
    close(fd)

    let total = endCount ?? expect ?? (maxSeq + 1)
    let periodMs = rate > 0 ? 1000.0 / Double(rate) : 0
    var lost = 0, longest = 0
    var gaps: [String] = []
    var nGaps = 0
    var i = 0
    func has(_ s: Int) -> Bool { let w = s >> 6; return w < seen.count && seen[w] & (UInt64(1) << UInt64(s & 63)) != 0 }
    while i < total {
        if has(i) { i += 1; continue }
        let from = i
        while i < total && !has(i) { i += 1 }
        let len = i - from
        lost += len
        longest = max(longest, len)
        nGaps += 1
        if gaps.count < maxGaps {
            gaps.append("{\"from_seq\":\(from),\"to_seq\":\(i - 1),\"start_ms\":\(fmtMs(Double(from) * periodMs)),\"ms\":\(fmtMs(Double(len) * periodMs))}")
        }
    }
    let hint = endCount ?? expect
    var line = "{\"sent_hint\":\(hint.map(String.init) ?? "null"),\"received\":\(received),\"lost\":\(lost),\"max_seq\":\(maxSeq)"
    line += ",\"loss_ms\":\(fmtMs(Double(lost) * periodMs)),\"longest_gap_ms\":\(fmtMs(Double(longest) * periodMs))"
    line += ",\"gaps\":[\(gaps.joined(separator: ","))],\"gap_count\":\(nGaps),\"reordered\":\(reordered)"
    line += ",\"duplicates\":\(duplicates),\"rate_pps\":\(rate),\"start_unix_ms\":\(startUnixNs / 1_000_000)"
    line += ",\"latency_max_ms\":\(fmtMs(Double(latMaxNs) / 1e6)),\"end\":\"\(reason)\"}"
    if let path = arrivalsOut {
        var text = "# labstream arrivals v1 start_unix_ns=\(startUnixNs) rate_pps=\(rate)\n"
        text.reserveCapacity(arrivals.count * 24 + 64)
        func rel(_ t: UInt64) -> String {  // µs since t0, signed
            t >= streamStartMono ? String((t - streamStartMono) / 1000) : "-" + String((streamStartMono - t) / 1000)
        }
        for e in arrivals { text += "\(e.seq) \(rel(e.at)) \(rel(e.sent))\n" }
        guard FileManager.default.createFile(atPath: path, contents: text.data(using: .utf8)) else { die("cannot write \(path)") }
    }
    if foreign > 0 { note("ignored \(foreign) datagrams that were not labstream's") }
    if let out = a.str("json-out") {
        let tmp = out + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: (line + "\n").data(using: .utf8)),
              rename(tmp, out) == 0 else { die("cannot write \(out)") }
    } else {
        print(line)
    }
    return received > 0 ? 0 : 1
}

// MARK: main

func installSignals() {
    var sa = sigaction()
    sa.__sigaction_handler.sa_handler = { _ in gStop = 1 }
    sigemptyset(&sa.sa_mask)
    sa.sa_flags = 0  // no SA_RESTART: poll / clock_nanosleep return EINTR
    sigaction(SIGTERM, &sa, nil)
    sigaction(SIGINT, &sa, nil)
}

let argv = CommandLine.arguments
let usage = """
usage: labstream send --to ADDR:PORT [--from ADDR] [--rate PPS] [--duration-ms MS | --count N]
       labstream recv --bind ADDR:PORT [--until-idle-ms MS] [--max-wait-ms MS] [--expect N]
                      [--json-out FILE] [--ready-file PATH] [--max-gaps N] [--arrivals-out FILE]
"""
guard argv.count >= 2 else { die(usage) }
installSignals()

switch argv[1] {
case "send": exit(runSend(Args(argv.dropFirst(2), flags: [])))
case "recv": exit(runRecv(Args(argv.dropFirst(2), flags: [])))
case "-h", "--help", "help": print(usage); exit(0)
default: die(usage)
}
