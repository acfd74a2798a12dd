import Foundation
import XCTest
import CHedge
import HedgeCore
@testable import HedgeLinux
#if canImport(Glibc)
import Glibc
#endif

/// Two namespaces over a veth: the built hedge-reflect program in hx-b, reflect probes
/// (`ProbeRunner`, as the agent runs them) in hx-a. The reflector has a second address on each
/// family, and the probes target those: the kernel would answer from the first (the primary IPv4
/// address; the IPv6 one with the longer prefix in common), so the replies must leave from the
/// address asked.
final class ReflectLab {
    let a: String
    let b: String
    let dir: String
    var reflectorPid: Int32?
    var home: Int32 = -1
    static let port: UInt16 = 18533
    static let target4 = IPAddress("10.77.0.3")!
    static let target6 = IPAddress("fd77:99::3")!

    init() {
        let id = getpid() % 100000
        a = "hx-a-\(id)"
        b = "hx-b-\(id)"
        dir = "/tmp/hedge-hx-reflect-\(id)"
        sh("""
            ip netns del \(a) 2>/dev/null; ip netns del \(b) 2>/dev/null; rm -rf \(dir); mkdir -p \(dir)
            set -e
            ip netns add \(a); ip netns add \(b)
            ip -n \(a) link set lo up; ip -n \(b) link set lo up
            ip link add hxa0 netns \(a) type veth peer name hxb0 netns \(b)
            ip -n \(a) addr add 10.77.0.1/24 dev hxa0
            ip -n \(a) addr add fd77::10/64 dev hxa0 nodad
            ip -n \(b) addr add 10.77.0.2/24 dev hxb0
            ip -n \(b) addr add 10.77.0.3/24 dev hxb0
            ip -n \(b) addr add fd77::11/64 dev hxb0 nodad
            ip -n \(b) addr add fd77:99::3/64 dev hxb0 nodad
            ip -n \(a) link set hxa0 up; ip -n \(b) link set hxb0 up
            ip -n \(a) route add fd77:99::/64 dev hxa0
            """)
    }

    deinit {
        leave()
        stopReflector()
        sh("ip netns del \(a); ip netns del \(b); rm -rf \(dir)", check: false)
    }

    /// A key file with `mode`, root-owned.
    func keyFile(_ name: String, _ key: String, mode: String = "0600") -> String {
        let path = dir + "/" + name
        try! (key + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        sh("chown root:root \(path) && chmod \(mode) \(path)")
        return path
    }

    var logPath: String { dir + "/reflect.log" }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// `as`: a command that execs the rest as another user (setpriv), as the Debian unit's User= does.
    func startReflector(keyFile: String, as user: String = "", file: StaticString = #filePath, line: UInt = #line) {
        // `ip netns exec` (and setpriv) exec the command: $! is the reflector's pid.
        sh("ip netns exec \(b) \(user) \(Lab.reflectBin) --key-file \(keyFile) -v > \(logPath) 2>&1 & echo $! > \(dir)/pid")
        reflectorPid = Int32((try? String(contentsOfFile: dir + "/pid", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
        XCTAssertNotNil(reflectorPid, file: file, line: line)
        XCTAssertTrue(waitFor(5) { self.log.contains("listening on") }, "reflector did not start:\n\(log)", file: file, line: line)
    }

    /// SIGTERM; the reflector's last line is its final counters.
    func stopReflector() {
        guard let pid = reflectorPid else { return }
        kill(pid, SIGTERM)
        _ = waitFor(5) { kill(pid, 0) != 0 || self.log.contains("stopped:") }
        reflectorPid = nil
    }

    func nft(_ rules: String) { sh("ip netns exec \(b) nft -f - <<'EOF'\n\(rules)\nEOF") }
    func dropRequests() { nft(drop("requests", hook: "input", match: "udp dport")) }
    func dropReplies() { nft(drop("replies", hook: "output", match: "udp sport")) }
    private func drop(_ chain: String, hook: String, match: String) -> String {
        "table inet hx {\n  chain \(chain) {\n    type filter hook \(hook) priority 0;\n    \(match) \(ReflectLab.port) drop\n  }\n}"
    }
    func flush() { sh("ip netns exec \(b) nft delete table inet hx 2>/dev/null; true") }

    func enter() {
        home = open("/proc/self/ns/net", O_RDONLY)
        let fd = open("/var/run/netns/\(a)", O_RDONLY)
        precondition(fd >= 0 && hedge_setns_net(fd) == 0, "setns \(a)")
        close(fd)
    }

    func leave() {
        if home >= 0 { _ = hedge_setns_net(home); close(home); home = -1 }
    }

    func config(_ target: IPAddress, key: String, intervalMs: Millis = 5) -> ProbeConfig {
        ProbeConfig(kind: .reflect, target: target, port: ReflectLab.port, keyFile: key, intervalMs: intervalMs,
                    threshold: 3, recover: 3, location: SourceLocation(line: 1, column: 1))
    }

    /// A runner made inside hx-a (its socket lives there), as the agent makes it.
    func runner(_ c: ProbeConfig, path: Int = 0) throws -> ProbeRunner {
        enter()
        defer { leave() }
        return try ProbeRunner(path: path, config: c, mark: 0, device: "hxa0")
    }
}

/// Drives runners the way the agent's loop does: replies first, then the send that is due, then
/// detection; waits in poll(2) for the next deadline.
final class ProbeDriver {
    let runners: [ProbeRunner]
    var changes: [(path: Int, health: Health, at: Millis)] = []
    init(_ runners: [ProbeRunner]) { self.runners = runners }

    func step() {
        let now = Clock.monotonicMs()
        for r in runners {
            if let h = r.receive(now: now) { changes.append((r.path, h, now)) }
            r.sendIfDue(now: now)
            if let h = r.tracker.tick(now: now) { changes.append((r.path, h, now)) }
        }
        var fds = runners.map { pollfd(fd: $0.socket.fd, events: Int16(POLLIN), revents: 0) }
        let next = runners.map { $0.tracker.nextDeadline() }.min() ?? now + 5
        _ = poll(&fds, nfds_t(fds.count), Int32(max(0, min(next - Clock.monotonicMs(), 50))))
    }

    /// Runs until `cond` holds or `ms` pass.
    @discardableResult
    func run(_ ms: Millis, until cond: () -> Bool = { false }) -> Bool {
        let end = Clock.monotonicMs() + ms
        while Clock.monotonicMs() < end {
            step()
            if cond() { return true }
        }
        return cond()
    }
}

final class ReflectorTests: XCTestCase {
    static let key = "hx-reflect-test-key-0123456789abcdef"

    func testProbeUpThenLossTellsForwardFromReturn() throws {
        try requireRoot("namespaces, nftables and the hedge binary")
        let lab = ReflectLab()
        let key = lab.keyFile("reflect.key", ReflectorTests.key)
        lab.startReflector(keyFile: key)
        let r = try lab.runner(lab.config(ReflectLab.target4, key: key))
        let d = ProbeDriver([r])

        XCTAssertTrue(d.run(5_000) { r.tracker.health == .up }, "never up; stats \(String(describing: r.reflectStats))\n\(lab.log)")
        d.run(200)
        guard let s0 = r.reflectStats else { return XCTFail("a reflect runner has stats") }
        XCTAssertGreaterThan(s0.received, 10)
        XCTAssertNotNil(s0.lastRTTUs)
        XCTAssertNotNil(r.lastRTTUs)
        XCTAssertLessThanOrEqual(s0.minRTTUs ?? .max, s0.avgRTTUs ?? 0)
        XCTAssertEqual(s0.rejected, 0)

        // Requests dropped at the reflector: down within threshold × interval (plus slack for a
        // loaded machine), and forward loss is what grows.
        lab.dropRequests()
        var t0 = Clock.monotonicMs()
        XCTAssertTrue(d.run(5_000) { r.tracker.health == .down }, "never down")
        print("reflect probe 5 ms x 3: down \(Clock.monotonicMs() - t0) ms after the drop")
        XCTAssertLessThan(Clock.monotonicMs() - t0, 15 + 1_500, "detection took too long")
        d.run(100)
        lab.flush()
        XCTAssertTrue(d.run(5_000) { r.tracker.health == .up }, "not up again")
        d.run(100)
        let s1 = r.reflectStats!
        XCTAssertGreaterThanOrEqual(s1.forwardLoss - s0.forwardLoss, 3, "\(s0) → \(s1)")
        XCTAssertEqual(s1.returnLoss, s0.returnLoss, "no reply was lost: \(s0) → \(s1)")

        // Replies dropped: the reflector still counts the requests; return loss grows.
        lab.dropReplies()
        t0 = Clock.monotonicMs()
        XCTAssertTrue(d.run(5_000) { r.tracker.health == .down }, "never down")
        print("reflect probe 5 ms x 3: down \(Clock.monotonicMs() - t0) ms after the drop")
        XCTAssertLessThan(Clock.monotonicMs() - t0, 15 + 1_500, "detection took too long")
        d.run(100)
        lab.flush()
        XCTAssertTrue(d.run(5_000) { r.tracker.health == .up }, "not up again")
        d.run(100)
        let s2 = r.reflectStats!
        XCTAssertGreaterThanOrEqual(s2.returnLoss - s1.returnLoss, 3, "\(s1) → \(s2)")
        XCTAssertEqual(s2.forwardLoss, s1.forwardLoss, "no request was lost: \(s1) → \(s2)")
        XCTAssertEqual(s2.rejected, 0)
        XCTAssertEqual(s2.unmatched, 0)
        XCTAssertGreaterThan(r.tracker.lost, 0)

        lab.stopReflector()
        XCTAssertTrue(lab.log.contains("reflect: stopped: answered"), lab.log)
        XCTAssertTrue(lab.log.contains("senders 1,"), lab.log)
        XCTAssertTrue(lab.log.contains("new sender 10.77.0.1"), lab.log)
    }

    /// Dual-stack on `::`, and each reply leaves from the address its request was sent to (both
    /// targets are the reflector's second address; the kernel would answer from the first).
    func testIPv6AndIPv4ToSecondaryAddressesOfOneReflector() throws {
        try requireRoot("namespaces and the hedge binary")
        let lab = ReflectLab()
        let key = lab.keyFile("reflect.key", ReflectorTests.key)
        lab.startReflector(keyFile: key)
        let r4 = try lab.runner(lab.config(ReflectLab.target4, key: key), path: 0)
        let r6 = try lab.runner(lab.config(ReflectLab.target6, key: key, intervalMs: 10), path: 1)
        let d = ProbeDriver([r4, r6])
        XCTAssertTrue(d.run(5_000) { r4.tracker.health == .up && r6.tracker.health == .up },
                      "v4 \(r4.tracker.health) \(String(describing: r4.reflectStats)), v6 \(r6.tracker.health) "
                      + "\(String(describing: r6.reflectStats))\n\(lab.log)")
        lab.stopReflector()
        XCTAssertTrue(lab.log.contains("senders 2,"), lab.log)
        XCTAssertTrue(lab.log.contains("new sender fd77::10"), lab.log)
    }

    func testWrongKeyNeverUpAndReflectorCountsIt() throws {
        try requireRoot("namespaces and the hedge binary")
        let lab = ReflectLab()
        let key = lab.keyFile("reflect.key", ReflectorTests.key)
        let wrong = lab.keyFile("wrong.key", "hx-reflect-test-key-not-the-same-one")
        lab.startReflector(keyFile: key)
        let r = try lab.runner(lab.config(ReflectLab.target4, key: wrong))
        let d = ProbeDriver([r])
        d.run(1_000)
        XCTAssertNotEqual(r.tracker.health, .up)
        XCTAssertEqual(r.tracker.received, 0)
        XCTAssertEqual(r.reflectStats?.received, 0)
        XCTAssertGreaterThan(r.tracker.sent, 20)

        // The right key id with a forged MAC: counted as a bad MAC, never answered.
        let good = ReflectKey(secret: Array(ReflectorTests.key.utf8))
        var forged = ReflectCodec.encode(ReflectPacket(session: 1, path: 0, sequence: 1, senderTimeUs: 1), key: good)
        forged[60] ^= 0x40
        for _ in 0..<5 { r.socket.send(bytes: forged) }
        d.run(300)
        XCTAssertEqual(r.reflectStats?.received, 0)

        lab.stopReflector()
        let last = lab.log.split(separator: "\n").last { $0.contains("stopped:") }.map(String.init) ?? ""
        XCTAssertTrue(last.contains("answered 0,"), lab.log)
        XCTAssertTrue(last.contains("bad MAC 5,"), lab.log)
        let other = Int(last.components(separatedBy: "other key ").last?.prefix { $0.isNumber } ?? "") ?? 0
        XCTAssertGreaterThan(other, 20, last)
        // Reported at most once a minute: the first drop at once, then only the final line.
        XCTAssertLessThanOrEqual(lab.log.components(separatedBy: "warning: reflect:").count - 1, 2, lab.log)
    }

    /// Key rotation: SIGHUP re-reads the key file; a file that is refused keeps the old key.
    func testSIGHUPReloadsTheKey() throws {
        try requireRoot("namespaces and the hedge binary")
        let lab = ReflectLab()
        let key = lab.keyFile("reflect.key", ReflectorTests.key)
        let next = lab.keyFile("next.key", "hx-reflect-test-key-the-next-one-42")
        lab.startReflector(keyFile: key)
        let r = try lab.runner(lab.config(ReflectLab.target4, key: next))
        let d = ProbeDriver([r])
        d.run(300)
        XCTAssertNotEqual(r.tracker.health, .up)

        sh("chmod 0644 \(key) && cp \(next) \(key).new && chmod 0644 \(key).new && mv \(key).new \(key)")
        kill(lab.reflectorPid!, SIGHUP)
        XCTAssertTrue(waitFor(5) { lab.log.contains("key not reloaded") }, lab.log)
        d.run(300)
        XCTAssertNotEqual(r.tracker.health, .up, "a refused file must not change the key")

        sh("chmod 0600 \(key)")
        kill(lab.reflectorPid!, SIGHUP)
        XCTAssertTrue(waitFor(5) { lab.log.contains("key reloaded") }, lab.log)
        XCTAssertTrue(d.run(5_000) { r.tracker.health == .up }, "not up with the rotated key\n\(lab.log)")
    }

    func testKeyFileMode0644Refused() throws {
        try requireRoot("key file ownership")
        let lab = ReflectLab()
        let open = lab.keyFile("open.key", ReflectorTests.key, mode: "0644")
        let (rc, out) = sh("ip netns exec \(lab.b) \(Lab.reflectBin) --key-file \(open) 2>&1", check: false)
        XCTAssertEqual(rc, 1, out)
        XCTAssertTrue(out.contains("reflect key file \(open)"), out)
        XCTAssertTrue(out.contains("mode 0644"), out)
        XCTAssertTrue(out.contains("must be a regular file with mode 0600 owned by root"), out)

        // The agent's probe refuses it too, naming the file.
        XCTAssertThrowsError(try lab.runner(lab.config(ReflectLab.target4, key: open))) {
            let e = $0 as! SystemError
            XCTAssertEqual(e.errno, EPERM)
            XCTAssertTrue(e.description.contains(open), e.description)
        }
        // Too short a key, a missing file, no key file at all.
        let short = lab.keyFile("short.key", "tooshort")
        XCTAssertThrowsError(try lab.runner(lab.config(ReflectLab.target4, key: short))) {
            XCTAssertTrue("\($0)".contains("key of 8 octets"), "\($0)")
        }
        let (rc2, out2) = sh("\(Lab.reflectBin) --key-file \(lab.dir)/missing.key 2>&1", check: false)
        XCTAssertEqual(rc2, 1, out2)
        XCTAssertTrue(out2.contains("No such file"), out2)
        let (rc3, out3) = sh("\(Lab.reflectBin) 2>&1", check: false)
        XCTAssertEqual(rc3, 2, out3)
        XCTAssertTrue(out3.contains("--key-file is required"), out3)
    }

    /// As the Debian unit runs it: a system user of its own and no privilege at all. The key file
    /// is then that user's (mode 0600), and SIGHUP still re-reads it; root's key stays out of reach.
    func testRunsAsItsOwnUserWithThatUsersKey() throws {
        try requireRoot("namespaces, setpriv and the hedge-reflect binary")
        _ = try requireTool("setpriv", install: "util-linux")
        let lab = ReflectLab()
        let nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
        let rootKey = lab.keyFile("root.key", ReflectorTests.key)
        let (rc, out) = sh("ip netns exec \(lab.b) \(nobody) \(Lab.reflectBin) --key-file \(rootKey) 2>&1", check: false)
        XCTAssertEqual(rc, 1, out)
        XCTAssertTrue(out.contains("reflect key file \(rootKey)") && out.contains("Permission denied"), out)

        let open = lab.keyFile("open.key", ReflectorTests.key, mode: "0644")
        sh("chown 65534:65534 \(open)")
        let (rc2, out2) = sh("ip netns exec \(lab.b) \(nobody) \(Lab.reflectBin) --key-file \(open) 2>&1", check: false)
        XCTAssertEqual(rc2, 1, out2)
        XCTAssertTrue(out2.contains("mode 0644, owner uid 65534: must be a regular file with mode 0600 owned by root or by uid 65534"), out2)

        let key = lab.keyFile("reflect.key", ReflectorTests.key)
        sh("chown 65534:65534 \(key)")
        lab.startReflector(keyFile: key, as: nobody)
        XCTAssertEqual(sh("awk '/^Uid:/ {print $2}' /proc/\(lab.reflectorPid!)/status").1.trimmingCharacters(in: .whitespacesAndNewlines), "65534")
        // The agent's copy stays root's, as on the router.
        let r = try lab.runner(lab.config(ReflectLab.target4, key: rootKey))
        let d = ProbeDriver([r])
        XCTAssertTrue(d.run(5_000) { r.tracker.health == .up }, "never up\n\(lab.log)")
        kill(lab.reflectorPid!, SIGHUP)
        XCTAssertTrue(waitFor(5) { lab.log.contains("key reloaded") }, lab.log)
        lab.stopReflector()
    }

    /// `hedge reflect` moved out of the router's binary: it says where to, in the words it was given.
    func testHedgeReflectPointsToTheNewProgram() {
        let (rc, out) = sh("\(Lab.hedgeBin) reflect --listen 10.200.0.4 --key-file /etc/hedge/reflect.key 2>&1", check: false)
        XCTAssertEqual(rc, 2, out)
        XCTAssertTrue(out.contains("'hedge reflect' moved to the hedge-reflect program"), out)
        XCTAssertTrue(out.contains("hedge-reflect --listen 10.200.0.4 --key-file /etc/hedge/reflect.key"), out)
    }
}
