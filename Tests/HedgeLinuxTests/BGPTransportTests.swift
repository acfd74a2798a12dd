import Foundation
import XCTest
import CHedge
import HedgeCore
@testable import HedgeLinux
#if canImport(Glibc)
import Glibc
#endif

/// Two namespaces joined by a veth pair: hedge's runner in `a` (10.77.0.1, fd77::1), a real BGP
/// speaker in `b` (10.77.0.2, fd77::2) standing in for the Microsoft edge (AS 12076).
final class BGPPeerLab {
    let a: Netns
    let b: Netns
    let dir: String
    var peer: Process?
    static let hedgeAddr = IPAddress("10.77.0.1")!
    static let peerAddr = IPAddress("10.77.0.2")!

    init(_ tag: String) {
        a = Netns("\(tag)a")
        b = Netns("\(tag)b")
        dir = "/tmp/hedge-bgpl-\(tag)-\(getpid())"
        sh("rm -rf \(dir) && mkdir -p \(dir)")
        sh("ip -n \(a.name) link add va type veth peer name vb netns \(b.name)")
        _ = a.ip("addr add 10.77.0.1/30 dev va")
        _ = a.ip("addr add fd77::1/64 dev va nodad")
        _ = a.ip("link set va up")
        _ = b.ip("addr add 10.77.0.2/30 dev vb")
        _ = b.ip("addr add fd77::2/64 dev vb nodad")
        _ = b.ip("link set vb up")
    }

    deinit {
        a.leave()
        stopPeer()
        sh("rm -rf \(dir)", check: false)
    }

    /// Runs `command` in the peer namespace in the background (a daemon kept in the foreground).
    func startPeer(_ command: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", b.name, "/bin/sh", "-c", "exec " + command]
        let log = FileHandle(forWritingAtPath: { _ = FileManager.default.createFile(atPath: dir + "/peer.log", contents: nil); return dir + "/peer.log" }())!
        p.standardOutput = log
        p.standardError = log
        try! p.run()
        peer = p
    }

    func stopPeer(signal: Int32 = SIGTERM) {
        guard let p = peer else { return }
        if p.isRunning { kill(p.processIdentifier, signal) }
        p.waitUntilExit()
        peer = nil
    }

    var peerLog: String { (try? String(contentsOfFile: dir + "/peer.log", encoding: .utf8)) ?? "" }

    func inPeer(_ cmd: String, check: Bool = true) -> String { sh("ip netns exec \(b.name) \(cmd)", check: check).1 }

    // MARK: GoBGP

    func goBGPConfig(password: String? = nil, ttlMin: Int? = nil, maxPrefixes: Int? = nil) -> String {
        var s = """
        [global.config]
          as = 12076
          router-id = "10.77.0.2"
          local-address-list = ["10.77.0.2"]
        [[neighbors]]
          [neighbors.config]
            neighbor-address = "10.77.0.1"
            peer-as = 65010

        """
        if let password { s += "    auth-password = \"\(password)\"\n" }
        s += """
          [neighbors.timers.config]
            connect-retry = 1
            hold-time = 30
            keepalive-interval = 10

        """
        if let ttlMin {
            s += "  [neighbors.ttl-security.config]\n    enabled = true\n    ttl-min = \(ttlMin)\n"
        }
        for f in ["ipv4-unicast", "ipv6-unicast"] {
            s += "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"\(f)\"\n"
            if let maxPrefixes {
                s += "    [neighbors.afi-safis.prefix-limit.config]\n      max-prefixes = \(maxPrefixes)\n"
            }
        }
        return s
    }

    func startGoBGP(_ config: String) {
        try! config.write(toFile: dir + "/gobgpd.toml", atomically: true, encoding: .utf8)
        startPeer("gobgpd -f \(dir)/gobgpd.toml --api-hosts 127.0.0.1:50051 --pprof-disable -p")
        // Until the API answers.
        for _ in 0..<50 {
            if sh("ip netns exec \(b.name) gobgp -u 127.0.0.1 -p 50051 global", check: false).0 == 0 { return }
            usleep(100_000)
        }
        XCTFail("gobgpd did not start:\n\(peerLog)")
    }

    // MARK: FRR

    /// FRR's bgpd alone (no zebra), its vty socket in the lab's directory.
    func startFRR(password: String?) {
        var c = """
        frr defaults traditional
        hostname msee
        router bgp 12076
         bgp router-id 10.77.0.2
         no bgp ebgp-requires-policy
         no bgp network import-check
         neighbor 10.77.0.1 remote-as 65010
         neighbor 10.77.0.1 timers 10 30
         neighbor 10.77.0.1 timers connect 1

        """
        if let password { c += " neighbor 10.77.0.1 password \(password)\n" }
        c += """
         address-family ipv4 unicast
          network 10.200.0.0/16
         exit-address-family
         address-family ipv6 unicast
          network 2001:db8:200::/48
          neighbor 10.77.0.1 activate
         exit-address-family

        """
        try! c.write(toFile: dir + "/bgpd.conf", atomically: true, encoding: .utf8)
        startPeer("/usr/lib/frr/bgpd -Z -S -n -f \(dir)/bgpd.conf -i \(dir)/bgpd.pid --vty_socket \(dir) -P 0 --log stdout")
        for _ in 0..<50 {
            if FileManager.default.fileExists(atPath: dir + "/bgpd.vty") { return }
            usleep(100_000)
        }
        XCTFail("bgpd did not start:\n\(peerLog)")
    }

    @discardableResult
    func vtysh(_ command: String) -> String {
        sh("vtysh --vty_socket \(dir) -d bgpd -c '\(command)'").1
    }

    @discardableResult
    func gobgp(_ args: String, check: Bool = true) -> String {
        inPeer("gobgp -u 127.0.0.1 -p 50051 " + args, check: check)
    }
}

/// A runner driven by the real `EventLoop` through `BGPLoopBinding`, a slice at a time.
final class BGPDriver {
    let runner: BGPRunner
    let loop: EventLoop
    var binding: BGPLoopBinding!
    var events: [BGPRunnerEvent] = []
    private var sliceEnd: Millis = 0

    init(_ runner: BGPRunner) throws {
        self.runner = runner
        loop = try EventLoop(signals: [])
        binding = BGPLoopBinding(runner: runner, loop: loop) { [unowned self] fd, ev in
            self.events += self.runner.ready(fd: fd, events: ev, now: Clock.monotonicMs())
            self.binding.sync()
        }
        loop.register(LoopTimer("runner", deadline: { [unowned self] _ in
            min(self.runner.nextDeadline ?? .max, self.sliceEnd) * 1000
        }, fire: { [unowned self] _ in
            let now = Clock.monotonicMs()
            if let d = self.runner.nextDeadline, d <= now { self.events += self.runner.tick(now: now) }
            self.binding.sync()
            if now >= self.sliceEnd { self.loop.stop() }
        }))
    }

    func start() {
        events += runner.start(now: Clock.monotonicMs())
        binding.sync()
    }

    func announce(_ p: [String]) {
        events += runner.announce(p.map { IPPrefix($0)! }, now: Clock.monotonicMs())
        binding.sync()
    }

    /// Runs the loop for `ms`.
    func pump(_ ms: Millis) {
        sliceEnd = Clock.monotonicMs() + ms
        loop.rescheduleAll()
        loop.run()
    }

    /// Runs the loop until `cond` holds (checked every 100 ms) or `timeoutMs` passes.
    @discardableResult
    func pump(until timeoutMs: Millis, _ cond: () -> Bool) -> Bool {
        let end = Clock.monotonicMs() + timeoutMs
        while Clock.monotonicMs() < end {
            pump(100)
            if cond() { return true }
        }
        return cond()
    }

    /// The routes the runner reported and has not withdrawn, with their next hops (Adj-RIB-In).
    var received: [IPPrefix: IPAddress] {
        var r: [IPPrefix: IPAddress] = [:]
        for e in events {
            switch e {
            case .routes(let rr): for p in rr.prefixes { r[p] = rr.nextHop ?? rr.linkLocalNextHop ?? .v4(0) }
            case .withdrawn(let ps): for p in ps { r[p] = nil }
            default: break
            }
        }
        return r
    }

    var states: [SessionState] {
        events.compactMap { if case .stateChanged(_, let to, _) = $0 { return to } else { return nil } }
    }
    var downs: [(BGPDownCause, SessionReason)] {
        events.compactMap { if case .down(let c, let r) = $0 { return (c, r) } else { return nil } }
    }
}

final class BGPTransportTests: XCTestCase {
    /// GoBGP 3.10.0's OPEN with the lab's config (AS 12076, router id 10.77.0.2, hold time 30,
    /// IPv4 and IPv6 unicast), as the runner received it: a real MSEE stand-in's bytes for the codec.
    static let goBGPOpen: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x41, 0x01,                   // length 65, OPEN
        0x04, 0x2F, 0x2C, 0x00, 0x1E,       // version 4, AS 12076, hold time 30
        0x0A, 0x4D, 0x00, 0x02,             // BGP identifier 10.77.0.2
        0x24, 0x02, 0x22,                   // 36 octets of parameters: capabilities, 34 octets
        0x02, 0x00,                         // route refresh
        0x49, 0x04, 0x02, 0x76, 0x6D, 0x00, // FQDN (RFC draft): host name "vm", no domain
        0x01, 0x04, 0x00, 0x01, 0x00, 0x01, // multiprotocol IPv4 unicast
        0x01, 0x04, 0x00, 0x02, 0x00, 0x01, // multiprotocol IPv6 unicast
        0x41, 0x04, 0x00, 0x00, 0x2F, 0x2C, // 4-octet AS 12076
        0x05, 0x06, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02, // extended next hop: IPv4 unicast over IPv6
    ]

    func config(md5KeyFile: String? = nil, gtsm: Bool = false, families: [AFISAFI] = [.ipv4Unicast, .ipv6Unicast],
                holdTime: UInt16 = 30) -> BGPPeerConfig {
        let s = SessionConfig(localAS: 65010, routerID: 0x0A4D_0001, peerAS: 12076, holdTime: holdTime,
                              connectRetryMs: 1_000, idleHoldInitialMs: 1_000, idleHoldMaxMs: 4_000, families: families)
        let t = BGPTransportConfig(neighbor: BGPPeerLab.peerAddr, localAddress: BGPPeerLab.hedgeAddr, device: "va", gtsm: gtsm)
        return BGPPeerConfig(name: "er", session: s, transport: t, md5KeyFile: md5KeyFile, nextHopV6: IPAddress("fd77::1"))
    }

    /// Makes the runner inside the lab's hedge namespace, and stays there: the runner opens its
    /// connecting sockets as it goes, in the thread's namespace (the lab leaves it at the end).
    func makeRunner(_ lab: BGPPeerLab, _ c: BGPPeerConfig) throws -> BGPRunner {
        lab.a.enter()
        let r = try BGPRunner(config: c)
        r.transport.captureLimit = 4096
        return r
    }

    func writeKey(_ lab: BGPPeerLab, _ key: String, mode: String = "0600") -> String {
        let path = lab.dir + "/er.key"
        try! (key + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        sh("chown root:root \(path) && chmod \(mode) \(path)")
        return path
    }

    /// The first message the peer sent on the last connection.
    func firstMessage(_ r: BGPRunner) -> [UInt8] {
        let c = r.transport.captured
        guard c.count >= 19 else { return [] }
        let len = Int(c[16]) << 8 | Int(c[17])
        return c.count >= len ? Array(c[0..<len]) : []
    }

    func requireGoBGP() throws {
        try requireRoot("BGP against GoBGP in namespaces")
        try requireTool("/usr/bin/gobgpd", install: "gobgpd")
    }

    // MARK: - Golden bytes

    func testGoBGPOpenGolden() throws {
        let o = BGPTransportTests.goBGPOpen
        guard !o.isEmpty else { return XCTFail("no golden bytes") }
        guard case .open(let m) = try BGPMessage.decode(o) else { return XCTFail("not an OPEN") }
        XCTAssertEqual(m.asNumber, 12076)
        XCTAssertEqual(m.holdTime, 30)
        XCTAssertEqual(IPAddress.v4(m.bgpIdentifier), BGPPeerLab.peerAddr)
        XCTAssertTrue(m.supportsFourOctetAS)
        XCTAssertTrue(m.supportsRouteRefresh)
        XCTAssertEqual(Set(m.families), [.ipv4Unicast, .ipv6Unicast])
        XCTAssertNil(m.check(expectedAS: 12076))
        XCTAssertTrue(m.capabilities.contains(.unknown(code: 73, value: [0x02, 0x76, 0x6D, 0x00])))
        XCTAssertTrue(m.capabilities.contains(.unknown(code: 5, value: [0x00, 0x01, 0x00, 0x01, 0x00, 0x02])))
        // And it re-encodes to the same octets.
        XCTAssertEqual(try BGPMessage.open(m).encode(), o)
    }

    // MARK: - Key file

    func testKeyFileModeRefused() throws {
        try requireRoot("key file ownership")
        let dir = "/tmp/hedge-bgpl-key-\(getpid())"
        sh("rm -rf \(dir) && mkdir -p \(dir)")
        defer { sh("rm -rf \(dir)") }
        let path = dir + "/er.key"
        try "s3cret\n".write(toFile: path, atomically: true, encoding: .utf8)
        sh("chown root:root \(path) && chmod 0644 \(path)")
        do {
            _ = try BGPKeyFile.read(path)
            XCTFail("a 0644 key file was accepted")
        } catch {
            XCTAssertEqual(error.errno, EPERM)
            XCTAssertTrue(error.description.contains(path), error.description)
            XCTAssertTrue(error.description.contains("mode 0644"), error.description)
        }
        // The runner refuses it too, before opening any socket.
        let c = config(md5KeyFile: path)
        XCTAssertThrowsError(try BGPRunner(config: BGPPeerConfig(
            name: "x", session: c.session, transport: BGPTransportConfig(neighbor: c.transport.neighbor, listenPort: nil),
            md5KeyFile: path)))
        // Not root-owned.
        sh("chmod 0600 \(path) && chown 65534 \(path)")
        XCTAssertThrowsError(try BGPKeyFile.read(path)) { XCTAssertTrue("\($0)".contains("owner uid 65534"), "\($0)") }
        sh("chown 0 \(path)")
        XCTAssertEqual(try BGPKeyFile.read(path), Array("s3cret".utf8))
        XCTAssertEqual(BGPKeyFile.octal(0o600), "0600")
    }

    // MARK: - GoBGP

    func testGoBGPEstablishesAndExchangesRoutes() throws {
        try requireGoBGP()
        let lab = BGPPeerLab("bgpg")
        lab.startGoBGP(lab.goBGPConfig())
        lab.gobgp("global rib add 10.200.0.0/16 -a ipv4")
        lab.gobgp("global rib add 2001:db8:200::/48 -a ipv6")
        let d = try BGPDriver(makeRunner(lab, config()))
        d.announce(["192.168.50.0/24", "fd00:50::/48"])
        d.start()
        XCTAssertTrue(d.pump(until: 10_000) { d.runner.state == .established }, "states \(d.states)\n\(lab.peerLog)")
        XCTAssertTrue(d.events.contains { if case .up(12076, 0x0A4D_0002, 30_000) = $0 { return true }; return false })

        // The MSEE's prefix arrives with the peer as next hop, IPv6 too (MP_REACH_NLRI).
        XCTAssertTrue(d.pump(until: 5_000) {
            d.received[IPPrefix("10.200.0.0/16")!] != nil && d.received[IPPrefix("2001:db8:200::/48")!] != nil
        }, "received \(d.received)")
        XCTAssertEqual(d.received[IPPrefix("10.200.0.0/16")!], BGPPeerLab.peerAddr)
        XCTAssertEqual(d.runner.session.prefixCount(.ipv4Unicast), 1)

        // Our on-premises prefixes reach the peer's Adj-RIB-In.
        var adjIn = ""
        XCTAssertTrue(d.pump(until: 5_000) {
            adjIn = lab.gobgp("neighbor 10.77.0.1 adj-in -a ipv4") + lab.gobgp("neighbor 10.77.0.1 adj-in -a ipv6")
            return adjIn.contains("192.168.50.0/24") && adjIn.contains("fd00:50::/48")
        }, adjIn)
        XCTAssertTrue(adjIn.contains("65010"), adjIn)

        // Changing what we announce sends the difference.
        d.announce(["192.168.60.0/24"])
        XCTAssertTrue(d.pump(until: 5_000) {
            adjIn = lab.gobgp("neighbor 10.77.0.1 adj-in -a ipv4") + lab.gobgp("neighbor 10.77.0.1 adj-in -a ipv6")
            return adjIn.contains("192.168.60.0/24") && !adjIn.contains("192.168.50.0/24") && !adjIn.contains("fd00:50::/48")
        }, adjIn)

        // A withdrawal by the peer.
        lab.gobgp("global rib del 10.200.0.0/16 -a ipv4")
        XCTAssertTrue(d.pump(until: 5_000) { d.received[IPPrefix("10.200.0.0/16")!] == nil })
        XCTAssertTrue(d.events.contains { if case .withdrawn(let p) = $0 { return p == [IPPrefix("10.200.0.0/16")!] }; return false })

        // The peer's OPEN, as received: the golden vector.
        let open = firstMessage(d.runner)
        print("GoBGP OPEN: " + open.map { String(format: "0x%02X", $0) }.joined(separator: ", "))
        guard case .open(let m) = try BGPMessage.decode(open) else { return XCTFail("first message is not an OPEN") }
        XCTAssertEqual(m.asNumber, 12076)
        // The same as the golden vector but for the FQDN capability (73), which carries the host name.
        guard case .open(var golden) = try BGPMessage.decode(BGPTransportTests.goBGPOpen) else { return XCTFail() }
        var live = m
        live.capabilities.removeAll { $0.code == 73 }
        golden.capabilities.removeAll { $0.code == 73 }
        XCTAssertEqual(live, golden)
        if ProcessInfo.processInfo.hostName == "vm" { XCTAssertEqual(open, BGPTransportTests.goBGPOpen) }

        // The peer dies (no NOTIFICATION, the kernel closes its end): a path failure, and every
        // received route is withdrawn.
        lab.stopPeer(signal: SIGKILL)
        XCTAssertTrue(d.pump(until: 5_000) { !d.downs.isEmpty }, "states \(d.states)")
        XCTAssertEqual(d.downs.first?.0, .pathFailure)
        XCTAssertEqual(d.downs.first?.1, .connectionFailed)
        XCTAssertEqual(d.events.last { $0.health != nil }?.health?.0, .down)
        XCTAssertTrue(d.received.isEmpty)
    }

    func testGoBGPPrefixLimitIsNotAPathFailure() throws {
        try requireGoBGP()
        let lab = BGPPeerLab("bgpx")
        lab.startGoBGP(lab.goBGPConfig(maxPrefixes: 2))
        let d = try BGPDriver(makeRunner(lab, config()))
        d.announce(["192.168.50.0/24"])
        d.start()
        XCTAssertTrue(d.pump(until: 10_000) { d.runner.state == .established }, "states \(d.states)\n\(lab.peerLog)")
        d.announce(["192.168.50.0/24", "192.168.51.0/24", "192.168.52.0/24"])
        XCTAssertTrue(d.pump(until: 5_000) { !d.downs.isEmpty }, "states \(d.states)\n\(lab.peerLog)")
        let (cause, reason) = d.downs[0]
        XCTAssertEqual(cause, .peerPrefixLimit, "\(reason)")
        XCTAssertFalse(reason.isPathFailure)
        XCTAssertTrue(reason.isPeerPrefixLimit)
        XCTAssertTrue(d.events.last { $0.health != nil }!.health!.1.contains("peer's prefix limit"))
    }

    func testGoBGPWithMD5() throws {
        try requireGoBGP()
        let lab = BGPPeerLab("bgpm")
        lab.startGoBGP(lab.goBGPConfig(password: "hedge-er-key"))
        lab.gobgp("global rib add 10.200.0.0/16 -a ipv4")
        let d = try BGPDriver(makeRunner(lab, config(md5KeyFile: writeKey(lab, "hedge-er-key"))))
        d.announce(["192.168.50.0/24"])
        d.start()
        XCTAssertTrue(d.pump(until: 10_000) { d.runner.state == .established }, "states \(d.states)\n\(lab.peerLog)")
        XCTAssertTrue(d.pump(until: 5_000) { d.received[IPPrefix("10.200.0.0/16")!] != nil })
        var adjIn = ""
        XCTAssertTrue(d.pump(until: 5_000) {
            adjIn = lab.gobgp("neighbor 10.77.0.1 adj-in -a ipv4")
            return adjIn.contains("192.168.50.0/24")
        }, adjIn)
        // Stopping here: Cease / Administrative Shutdown to the peer, health back to unknown.
        d.binding.detach()
        let stopped = d.runner.close(now: Clock.monotonicMs())
        XCTAssertEqual(stopped.last { $0.health != nil }?.health?.0, .unknown)
        XCTAssertEqual(d.runner.listenFD, -1)
        XCTAssertEqual(d.runner.connectionFD, -1)
        XCTAssertTrue(waitFor(5) { lab.peerLog.contains("code 6(cease) subcode 2(administrative shutdown)") }, lab.peerLog)
    }

    func testGoBGPWrongMD5NeverEstablishes() throws {
        try requireGoBGP()
        let lab = BGPPeerLab("bgpw")
        lab.startGoBGP(lab.goBGPConfig(password: "the-right-key"))
        let d = try BGPDriver(makeRunner(lab, config(md5KeyFile: writeKey(lab, "a-wrong-key"))))
        d.start()
        d.pump(6_000)
        XCTAssertFalse(d.states.contains(.openSent), "states \(d.states)")
        XCTAssertNotEqual(d.runner.state, .established)
        XCTAssertTrue(d.runner.transport.captured.isEmpty)
        // Both sides tried: the kernel dropped the segments with bad signatures.
        XCTAssertTrue(d.states.contains(.connect))
        XCTAssertFalse(lab.gobgp("neighbor 10.77.0.1").contains("BGP state = established"))
    }

    /// The peer stops answering (its link goes down, no FIN, no NOTIFICATION): the hold timer ends
    /// the session, a path failure.
    func testGoBGPHoldTimerExpiryIsAPathFailure() throws {
        try requireGoBGP()
        let lab = BGPPeerLab("bgph")
        lab.startGoBGP(lab.goBGPConfig())
        let d = try BGPDriver(makeRunner(lab, config(holdTime: 3)))
        d.start()
        XCTAssertTrue(d.pump(until: 10_000) { d.runner.state == .established }, "states \(d.states)\n\(lab.peerLog)")
        _ = lab.b.ip("link set vb down")
        let t0 = Clock.monotonicMs()
        XCTAssertTrue(d.pump(until: 6_000) { !d.downs.isEmpty }, "states \(d.states)")
        let waited = Clock.monotonicMs() - t0
        XCTAssertEqual(d.downs.first?.0, .pathFailure)
        XCTAssertEqual(d.downs.first?.1, .holdTimerExpired)
        XCTAssertLessThanOrEqual(waited, 3_300)
    }

    /// Passive: only the peer connects, so the listening socket's MD5 key is what lets it in.
    func testGoBGPConnectsToPassiveRunnerWithMD5() throws {
        try requireGoBGP()
        let lab = BGPPeerLab("bgpp")
        lab.startGoBGP(lab.goBGPConfig(password: "hedge-er-key"))
        lab.gobgp("global rib add 10.200.0.0/16 -a ipv4")
        var c = config(md5KeyFile: writeKey(lab, "hedge-er-key"))
        c.session.mode = .passive
        let d = try BGPDriver(makeRunner(lab, c))
        d.start()
        XCTAssertEqual(d.runner.state, .active)
        // GoBGP waits a few seconds before its first connection.
        XCTAssertTrue(d.pump(until: 20_000) { d.runner.state == .established }, "states \(d.states)\n\(lab.peerLog)")
        XCTAssertFalse(d.states.contains(.connect))
        XCTAssertTrue(d.pump(until: 5_000) { d.received[IPPrefix("10.200.0.0/16")!] != nil })
    }

    /// The output queue: a peer that does not read fills the socket; what does not fit waits in
    /// the queue, `wantsWrite` asks for EPOLLOUT, and everything arrives in order once it reads.
    func testOutputQueueDrainsOnWriteReadiness() throws {
        try requireRoot("loopback TCP in a namespace")
        let ns = Netns("bgpq")
        ns.enter()
        defer { ns.leave() }
        let port: UInt16 = 17_179
        let lfd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(lfd) }
        var sa = sockaddr_storage(); var len: socklen_t = 0
        fillSockaddr(&sa, &len, IPAddress("127.0.0.1")!, port: port)
        XCTAssertEqual(hedge_bind(lfd, &sa, len), 0)
        XCTAssertEqual(listen(lfd, 1), 0)
        let t = try BGPTransport(config: BGPTransportConfig(neighbor: IPAddress("127.0.0.1")!, port: port, listenPort: nil))
        XCTAssertEqual(t.listenFD, -1)
        XCTAssertTrue(t.connect().isEmpty)
        XCTAssertTrue(t.connecting && t.wantsWrite)
        let peer = accept(lfd, nil, nil)
        XCTAssertGreaterThanOrEqual(peer, 0)
        var pfd = pollfd(fd: t.connectionFD, events: Int16(POLLOUT), revents: 0)
        _ = poll(&pfd, 1, 1000)
        guard case .connected(let local)? = t.ready(fd: t.connectionFD, events: UInt32(EPOLLOUT.rawValue)).first else {
            return XCTFail("not connected")
        }
        XCTAssertEqual(local, IPAddress("127.0.0.1"))
        XCTAssertFalse(t.wantsWrite)
        var payload = [UInt8](repeating: 0, count: 16 << 20)
        for i in payload.indices { payload[i] = UInt8(truncatingIfNeeded: i &* 7 &+ i >> 13) }
        XCTAssertTrue(t.send(payload).isEmpty)
        XCTAssertGreaterThan(t.queued, 0, "16 MiB fit in the socket")
        XCTAssertTrue(t.wantsWrite)
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while got.count < payload.count {
            let n = buf.withUnsafeMutableBytes { recv(peer, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { got += buf[0..<n] }
            if t.wantsWrite {
                pfd = pollfd(fd: t.connectionFD, events: Int16(POLLOUT), revents: 0)
                if poll(&pfd, 1, 0) > 0 { XCTAssertTrue(t.ready(fd: t.connectionFD, events: UInt32(EPOLLOUT.rawValue)).isEmpty) }
            } else if n <= 0 {
                usleep(1000)
            }
        }
        XCTAssertEqual(got, payload)
        XCTAssertEqual(t.queued, 0)
        XCTAssertFalse(t.wantsWrite)
        // The peer closes: the transport reports it and closes its end.
        close(peer)
        pfd = pollfd(fd: t.connectionFD, events: Int16(POLLIN), revents: 0)
        XCTAssertEqual(poll(&pfd, 1, 2000), 1, "the peer's FIN")
        let ev = t.ready(fd: t.connectionFD, events: UInt32(EPOLLIN.rawValue))
        guard case .closed? = ev.last else { return XCTFail("\(ev)") }
        XCTAssertEqual(t.connectionFD, -1)
    }

    // MARK: - FRR

    func testFRRWithMD5() throws {
        try requireRoot("BGP against FRR in namespaces")
        try requireTool("/usr/lib/frr/bgpd", install: "frr")
        let lab = BGPPeerLab("bgpf")
        lab.startFRR(password: "frr-er-key")
        let d = try BGPDriver(makeRunner(lab, config(md5KeyFile: writeKey(lab, "frr-er-key"))))
        d.announce(["192.168.50.0/24", "fd00:50::/48"])
        d.start()
        XCTAssertTrue(d.pump(until: 10_000) { d.runner.state == .established }, "states \(d.states)\n\(lab.peerLog)")
        XCTAssertTrue(d.pump(until: 5_000) {
            d.received[IPPrefix("10.200.0.0/16")!] != nil && d.received[IPPrefix("2001:db8:200::/48")!] != nil
        }, "received \(d.received)")
        var table = ""
        XCTAssertTrue(d.pump(until: 5_000) {
            table = lab.vtysh("show bgp ipv4 unicast") + lab.vtysh("show bgp ipv6 unicast")
            return table.contains("192.168.50.0/24") && table.contains("fd00:50::/48")
        }, table)
        XCTAssertTrue(lab.vtysh("show bgp ipv4 unicast 192.168.50.0/24").contains("65010"))
        // FRR's administrative shutdown of the neighbour: the peer's Cease, not a path failure.
        lab.vtysh("configure terminal\nrouter bgp 12076\nneighbor 10.77.0.1 shutdown")
        XCTAssertTrue(d.pump(until: 5_000) { !d.downs.isEmpty }, "states \(d.states)")
        XCTAssertEqual(d.downs.first?.0, .peerNotification)
        XCTAssertTrue(d.received.isEmpty)
    }

    func testGoBGPWithGTSM() throws {
        try requireGoBGP()
        let lab = BGPPeerLab("bgpt")
        lab.startGoBGP(lab.goBGPConfig(ttlMin: 255))
        let d = try BGPDriver(makeRunner(lab, config(gtsm: true)))
        d.start()
        XCTAssertTrue(d.pump(until: 10_000) { d.runner.state == .established }, "states \(d.states)\n\(lab.peerLog)")
    }

    /// GTSM on our side only: the peer's eBGP segments arrive with TTL 1 and are dropped.
    func testGTSMDropsLowTTL() throws {
        try requireGoBGP()
        let lab = BGPPeerLab("bgpu")
        lab.startGoBGP(lab.goBGPConfig())
        let d = try BGPDriver(makeRunner(lab, config(gtsm: true)))
        d.start()
        d.pump(4_000)
        XCTAssertNotEqual(d.runner.state, .established, "states \(d.states)")
        XCTAssertFalse(d.states.contains(.openConfirm))
    }
}
