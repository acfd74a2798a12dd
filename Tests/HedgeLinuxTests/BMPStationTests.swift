import Foundation
import XCTest
import CHedge
@testable import HedgeCore
@testable import HedgeLinux
#if canImport(Glibc)
import Glibc
#endif

/// FRR 8.4.4's BMP bytes from the lab below (decoded in HedgeCoreTests/BMPCodecTests.swift, BMPGolden).
enum BMPWire {
    static let initiation: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x1F, 0x04, 0x00, 0x01, 0x00, 0x0F, 0x46, 0x52, 0x52, 0x6F, 0x75, 0x74,
        0x69, 0x6E, 0x67, 0x20, 0x38, 0x2E, 0x34, 0x2E, 0x34, 0x00, 0x02, 0x00, 0x02, 0x63, 0x65,
    ]
    static let peerUp: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0xDD, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x6B, 0x08, 0x97, 0x65, 0x00, 0x07, 0xF1, 0x93,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x01,
        0x85, 0x8C, 0x00, 0xB3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x5E, 0x01, 0x04, 0xFD, 0xF2, 0x00, 0x03, 0x0A, 0x4E, 0x00, 0x01,
        0x41, 0x02, 0x06, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01, 0x02, 0x02, 0x80, 0x00, 0x02, 0x02, 0x02,
        0x00, 0x02, 0x02, 0x46, 0x00, 0x02, 0x06, 0x41, 0x04, 0x00, 0x00, 0xFD, 0xF2, 0x02, 0x02, 0x06,
        0x00, 0x02, 0x06, 0x45, 0x04, 0x00, 0x01, 0x01, 0x01, 0x02, 0x06, 0x49, 0x04, 0x02, 0x63, 0x65,
        0x00, 0x02, 0x04, 0x40, 0x02, 0xC0, 0x78, 0x02, 0x09, 0x47, 0x07, 0x00, 0x01, 0x01, 0x80, 0x00,
        0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0x00, 0x3B, 0x01, 0x04, 0x2F, 0x2C, 0x00, 0x03, 0x0A, 0x4E, 0x00, 0x02, 0x1E, 0x02,
        0x1C, 0x02, 0x00, 0x49, 0x04, 0x02, 0x76, 0x6D, 0x00, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01, 0x41,
        0x04, 0x00, 0x00, 0x2F, 0x2C, 0x05, 0x06, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02,
    ]
    static let routeAnnounce: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x63, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x6B, 0x08, 0x97, 0x65, 0x00, 0x07, 0xF1, 0x93,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x33, 0x02, 0x00, 0x00, 0x00, 0x19, 0x40, 0x01, 0x01, 0x02, 0x50, 0x02, 0x00, 0x0A, 0x02,
        0x02, 0x00, 0x00, 0xFD, 0xF2, 0x00, 0x00, 0x2F, 0x2C, 0x40, 0x03, 0x04, 0x0A, 0x4E, 0x00, 0x02,
        0x10, 0x0A, 0xC8,
    ]
    static let eorPost: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x47, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00,
    ]
    static let eorPre: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x47, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00,
    ]
    static let peerDownCease: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x46, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x6B, 0x08, 0x97, 0x73, 0x00, 0x07, 0xF1, 0x93,
        0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0x00, 0x15, 0x03, 0x06, 0x02,
    ]
    /// Termination (built): string "maintenance", reason 0 (administratively closed).
    static let termination: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x1B, 0x05, 0x00, 0x00, 0x00, 0x0B, 0x6D, 0x61, 0x69, 0x6E, 0x74, 0x65, 0x6E, 0x61, 0x6E, 0x63, 0x65, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00,
    ]
}

/// The CE router (FRR bgpd -M bmp, AS 65010) peering over ce0/msee0 with the MSEE stand-in (GoBGP,
/// AS 12076, announcing 10.200.0.0/16), and exporting BMP over its management link mgmt0/st0 to
/// hedge's station in a third namespace:
///
///     msee 10.78.0.2 ── 10.78.0.1 ce 10.78.1.2 ── 10.78.1.1 station (hedge, port 11019)
final class BMPLab {
    let ce = Netns("ce", prefix: "hb")
    let msee = Netns("msee", prefix: "hb")
    let st = Netns("st", prefix: "hb")
    let dir: String
    static let port: UInt16 = 11019

    init() {
        dir = "/tmp/hedge-bmp-\(getpid())"
        sh("""
        set -e
        rm -rf \(dir) && mkdir -p \(dir)
        ip -n \(ce.name) link add ce0 type veth peer name msee0 netns \(msee.name)
        ip -n \(ce.name) addr add 10.78.0.1/30 dev ce0 && ip -n \(ce.name) link set ce0 up
        ip -n \(msee.name) addr add 10.78.0.2/30 dev msee0 && ip -n \(msee.name) link set msee0 up
        ip -n \(ce.name) link add mgmt0 type veth peer name st0 netns \(st.name)
        ip -n \(ce.name) addr add 10.78.1.2/30 dev mgmt0 && ip -n \(ce.name) link set mgmt0 up
        ip -n \(st.name) addr add 10.78.1.1/30 dev st0 && ip -n \(st.name) link set st0 up
        """)
    }

    deinit {
        stop("bgpd")
        stop("gobgpd")
        sh("rm -rf \(dir)", check: false)
    }

    /// TERM the daemon this lab started (by the pid it wrote), then KILL if it lingers.
    func stop(_ daemon: String, signal: String = "TERM") {
        sh("""
        p=$(cat \(dir)/\(daemon).pid 2>/dev/null) || exit 0
        kill -\(signal) $p 2>/dev/null
        for i in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.02; done
        kill -KILL $p 2>/dev/null; rm -f \(dir)/\(daemon).pid; exit 0
        """, check: false)
    }

    func startMSEE() {
        let conf = """
        [global.config]
          as = 12076
          router-id = "10.78.0.2"
          local-address-list = ["10.78.0.2"]
        [[neighbors]]
          [neighbors.config]
            neighbor-address = "10.78.0.1"
            peer-as = 65010
          [neighbors.timers.config]
            connect-retry = 1
            hold-time = 3
            keepalive-interval = 1
          [[neighbors.afi-safis]]
            [neighbors.afi-safis.config]
              afi-safi-name = "ipv4-unicast"

        """
        try! conf.write(toFile: dir + "/gobgpd.toml", atomically: true, encoding: .utf8)
        sh("""
        ip netns exec \(msee.name) gobgpd -f \(dir)/gobgpd.toml --api-hosts 127.0.0.1:50051 --pprof-disable \
            >>\(dir)/gobgpd.log 2>&1 </dev/null &
        echo $! > \(dir)/gobgpd.pid
        for i in $(seq 50); do ip netns exec \(msee.name) gobgp -u 127.0.0.1 -p 50051 global >/dev/null 2>&1 && break; sleep 0.1; done
        ip netns exec \(msee.name) gobgp -u 127.0.0.1 -p 50051 global rib add 10.200.0.0/16 -a ipv4
        """)
    }

    func gobgp(_ args: String) { sh("ip netns exec \(msee.name) gobgp -u 127.0.0.1 -p 50051 " + args) }

    /// FRR's bgpd alone (no zebra: -Z), exporting pre-policy Route Monitoring. Pre-policy needs
    /// `soft-reconfiguration inbound` in FRR 8.4: without it the route is reported withdrawn.
    func startCE() {
        let conf = """
        frr defaults traditional
        hostname ce
        log file \(dir)/bgpd.log informational
        router bgp 65010
         bgp router-id 10.78.0.1
         no bgp ebgp-requires-policy
         neighbor 10.78.0.2 remote-as 12076
         neighbor 10.78.0.2 timers 1 3
         neighbor 10.78.0.2 timers connect 1
         address-family ipv4 unicast
          neighbor 10.78.0.2 soft-reconfiguration inbound
         exit-address-family
         bmp targets hedge
          bmp connect 10.78.1.1 port \(BMPLab.port) min-retry 100 max-retry 1000
          bmp monitor ipv4 unicast pre-policy
         exit

        """
        try! conf.write(toFile: dir + "/bgpd.conf", atomically: true, encoding: .utf8)
        sh("ip netns exec \(ce.name) /usr/lib/frr/bgpd -d -Z -S -n -M bmp -f \(dir)/bgpd.conf -i \(dir)/bgpd.pid --vty_socket \(dir) -P 0")
    }

    @discardableResult
    func vtysh(_ commands: [String]) -> String {
        sh("vtysh --vty_socket \(dir) -d bgpd " + commands.map { "-c '\($0)'" }.joined(separator: " ")).1
    }

    func bmpConnect(_ on: Bool) {
        vtysh(["conf t", "router bgp 65010", "bmp targets hedge",
               (on ? "" : "no ") + "bmp connect 10.78.1.1 port \(BMPLab.port) min-retry 100 max-retry 1000"])
    }

    /// Drops BGP between the two routers at the MSEE: both hold timers (3 s) expire.
    func cutBGP(_ on: Bool) {
        let ns = "ip netns exec \(msee.name) nft"
        if on {
            sh("\(ns) add table inet hbcut && \(ns) add chain inet hbcut in '{ type filter hook input priority 0; }' "
               + "&& \(ns) add rule inet hbcut in tcp dport 179 drop && \(ns) add rule inet hbcut in tcp sport 179 drop")
        } else {
            sh("\(ns) delete table inet hbcut")
        }
    }

    var logs: String {
        sh("tail -n 30 \(dir)/bgpd.log \(dir)/gobgpd.log", check: false).1
    }
}

/// A station driven by the real `EventLoop` through `BMPLoopBinding`, a slice at a time.
final class BMPDriver {
    let station: BMPStation
    let loop: EventLoop
    var binding: BMPLoopBinding!
    var events: [BMPStationEvent] = []
    private var sliceEnd: Millis = 0

    init(_ station: BMPStation) throws {
        self.station = station
        loop = try EventLoop(signals: [])
        binding = BMPLoopBinding(station: station, loop: loop) { [unowned self] fd, ev in
            self.events += self.station.ready(fd: fd, events: ev, now: Clock.monotonicMs())
            self.binding.sync()
        }
        loop.register(LoopTimer("station", deadline: { [unowned self] _ in
            min(self.station.nextDeadline ?? .max, self.sliceEnd) * 1000
        }, fire: { [unowned self] _ in
            let now = Clock.monotonicMs()
            if let d = self.station.nextDeadline, d <= now { self.events += self.station.tick(now: now) }
            self.binding.sync()
            if now >= self.sliceEnd { self.loop.stop() }
        }))
        binding.sync()
    }

    func pump(_ ms: Millis) {
        sliceEnd = Clock.monotonicMs() + ms
        loop.rescheduleAll()
        loop.run()
    }

    /// Runs the loop until `cond` holds (checked every 50 ms) or `timeoutMs` passes.
    @discardableResult
    func pump(until timeoutMs: Millis, _ cond: () -> Bool) -> Bool {
        let end = Clock.monotonicMs() + timeoutMs
        while Clock.monotonicMs() < end {
            pump(50)
            if cond() { return true }
        }
        return cond()
    }

    var health: (Health, String) { station.health() }
    var changes: [(Health, String)] { events.compactMap { $0.health() } }
    var log: String {
        events.map { e -> String in
            switch e {
            case .feedUp(let a, let p): return "feed up \(a) \(p)"
            case .feedDown(let a, let w): return "feed down \(a): \(w)"
            case .refused(let a, let w): return "refused \(a.map { "\($0)" } ?? "?"): \(w)"
            case .message(_, let m): return "message \(m.name)"
            case .healthChanged(let i, let h, let r): return "health[\(i)] \(h.rawValue): \(r)"
            }
        }.joined(separator: "\n")
    }
}

final class BMPStationTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("BMP station against FRR bgpd -M bmp and GoBGP in namespaces")
        try requireTool("/usr/lib/frr/bgpd", "/usr/bin/gobgpd", install: "frr gobgpd")
    }

    let msee = IPAddress("10.78.0.2")!

    func makeStation(_ ns: Netns, _ config: BMPStationConfig) throws -> BMPDriver {
        ns.enter()
        defer { ns.leave() }
        return try BMPDriver(BMPStation(config: config))
    }

    /// FRR's feed drives the MSEE's health: up with routes; down with the Peer Down's reason
    /// (NOTIFICATION, hold timer, closed connection); up again; and a lost feed is unknown, not down.
    func testFRRFeedDrivesHealth() throws {
        let lab = BMPLab()
        let d = try makeStation(lab.st, BMPStationConfig(address: IPAddress("10.78.1.1")!, allowedSources: [IPAddress("10.78.1.2")!],
                                                        watches: [BMPWatch(neighbor: msee, peerAS: 12076)], graceMs: 8_000,
                                                        reportMessages: true))
        XCTAssertEqual(d.health.0, .unknown)
        lab.startMSEE()
        lab.startCE()

        XCTAssertTrue(d.pump(until: 20_000) { d.health.0 == .up }, "up with the MSEE's routes:\n\(d.log)\n\(lab.logs)")
        XCTAssertEqual(d.health.1, "BMP: 10.78.0.2 (AS12076) Established with routes")
        guard let feed = d.station.feedStatus.first else { return XCTFail("no feed") }
        XCTAssertEqual(feed.from, IPAddress("10.78.1.2"))
        XCTAssertEqual(feed.sysName, "ce")
        XCTAssertEqual(feed.sysDescr?.hasPrefix("FRRouting"), true)
        XCTAssertEqual(feed.trackers[0].prefixCount, 1)
        XCTAssertEqual(feed.trackers[0].prePolicy, [IPPrefix("10.200.0.0/16")!])
        XCTAssertEqual(feed.trackers[0].lastPeerUp?.receivedOpen.asNumber, 12076)
        XCTAssertEqual(feed.trackers[0].lastPeerUp?.holdTime, 3)

        // The MSEE shuts the session down: Cease / Administrative Shutdown, BMP reason 3.
        lab.gobgp("neighbor 10.78.0.1 disable")
        XCTAssertTrue(d.pump(until: 10_000) { d.health.0 == .down }, d.log)
        XCTAssertTrue(d.health.1.contains("Peer Down of 10.78.0.2: remote system closed the session with NOTIFICATION "
                                          + "Cease / Administrative Shutdown (BMP reason 3)"), d.health.1)
        lab.gobgp("neighbor 10.78.0.1 enable")
        XCTAssertTrue(d.pump(until: 15_000) { d.health.0 == .up }, "back with its routes:\n\(d.log)")

        // The circuit goes dark: both hold timers (3 s) expire. FRR 8.4 reports that as reason 2.
        lab.cutBGP(true)
        let cut = Clock.monotonicMs()
        XCTAssertTrue(d.pump(until: 10_000) { d.health.0 == .down }, d.log)
        XCTAssertGreaterThanOrEqual(Clock.monotonicMs() - cut, 1_500, "the hold timer, not something faster")
        XCTAssertTrue(d.health.1.contains("Peer Down of 10.78.0.2: local system closed the session without NOTIFICATION (BMP reason 2)")
                      || d.health.1.contains("Hold Timer Expired"), d.health.1)
        lab.cutBGP(false)
        XCTAssertTrue(d.pump(until: 20_000) { d.health.0 == .up }, "back after the cut:\n\(d.log)\n\(lab.logs)")

        // The CE's BMP session closes (its management link is not the circuit): unknown, never down.
        let mark = d.changes.count
        lab.bmpConnect(false)
        XCTAssertTrue(d.pump(until: 5_000) { d.health.0 == .unknown }, d.log)
        XCTAssertEqual(d.health.1, "BMP feed lost: connection closed by the router")
        XCTAssertFalse(d.changes[mark...].contains { $0.0 == .down }, d.log)
        XCTAssertEqual(d.station.feedCount, 0)

        // It reconnects: FRR replays Peer Up, the table and End-of-RIB.
        lab.bmpConnect(true)
        XCTAssertTrue(d.pump(until: 10_000) { d.health.0 == .up }, d.log)
        XCTAssertTrue(d.pump(until: 3_000) { d.station.feedStatus.first?.trackers[0].endOfRIB.contains(.ipv4Unicast) == true },
                      "FRR's End-of-RIB after the replayed table")

        // The MSEE process dies: its TCP connection closes without a NOTIFICATION, BMP reason 4.
        lab.stop("gobgpd", signal: "KILL")
        XCTAssertTrue(d.pump(until: 10_000) { d.health.0 == .down }, d.log)
        XCTAssertTrue(d.health.1.contains("remote system closed the session without NOTIFICATION (BMP reason 4)"), d.health.1)

        // The CE's bgpd stops: the feed ends, the MSEE's health is unknown.
        lab.stop("bgpd")
        XCTAssertTrue(d.pump(until: 5_000) { d.health.0 == .unknown }, d.log)
        XCTAssertTrue(d.health.1.hasPrefix("BMP feed lost: "), d.health.1)
        XCTAssertEqual(d.station.feedErrors, 0)
        XCTAssertEqual(d.station.refused, 0)
        XCTAssertGreaterThanOrEqual(d.station.accepted, 2)
        _ = d.station.close(now: Clock.monotonicMs())
    }

    // MARK: Feeds over loopback, FRR's bytes

    /// A blocking TCP client from `source` to the station (in the thread's namespace).
    func connect(from source: String, port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var sa = sockaddr_storage(); var len: socklen_t = 0
        fillSockaddr(&sa, &len, IPAddress(source)!, port: 0)
        XCTAssertEqual(hedge_bind(fd, &sa, len), 0)
        fillSockaddr(&sa, &len, IPAddress("127.0.0.1")!, port: port)
        XCTAssertEqual(hedge_connect(fd, &sa, len), 0)
        return fd
    }

    func send(_ fd: Int32, _ bytes: [UInt8]) {
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        XCTAssertEqual(n, bytes.count)
    }

    func testFeedsOverLoopback() throws {
        let ns = Netns("lo", prefix: "hb")
        ns.enter()
        defer { ns.leave() }
        let allowed = [IPAddress("127.0.0.2")!, IPAddress("127.0.0.3")!]
        let d = try BMPDriver(BMPStation(config: BMPStationConfig(address: IPAddress("127.0.0.1")!, port: 11019,
                                                                  allowedSources: allowed, maxFeeds: 1,
                                                                  watches: [BMPWatch(neighbor: msee, peerAS: 12076),
                                                                            BMPWatch(neighbor: IPAddress("10.78.0.6")!)],
                                                                  graceMs: 1_000)))
        // A stranger is refused.
        let stranger = connect(from: "127.0.0.1", port: 11019)
        XCTAssertTrue(d.pump(until: 2_000) { d.station.refused == 1 }, d.log)
        XCTAssertTrue(d.log.contains("refused 127.0.0.1: not an allowed source"), d.log)
        close(stranger)

        // FRR's messages, byte for byte: up.
        let a = connect(from: "127.0.0.2", port: 11019)
        send(a, BMPWire.initiation + BMPWire.peerUp + BMPWire.routeAnnounce + BMPWire.eorPost + BMPWire.eorPre)
        XCTAssertTrue(d.pump(until: 2_000) { d.health.0 == .up }, d.log)
        XCTAssertEqual(d.station.feedStatus.first?.sysName, "ce")
        // The second watch has no session in this feed: down once the grace period ends.
        XCTAssertTrue(d.pump(until: 3_000) { d.station.health(watch: 1).0 == .down }, d.log)
        XCTAssertEqual(d.station.health(watch: 1).1, "BMP: no Peer Up for 10.78.0.6 within 1 s of the feed's start")
        XCTAssertEqual(d.station.health(watch: 0).0, .up, "the MSEE's stays up")

        // A second router while the one feed allowed is taken: refused.
        let b = connect(from: "127.0.0.3", port: 11019)
        XCTAssertTrue(d.pump(until: 2_000) { d.station.refused == 2 }, d.log)
        XCTAssertTrue(d.log.contains("refused 127.0.0.3: 1 feeds already"), d.log)
        close(b)

        // Peer Down.
        send(a, BMPWire.peerDownCease)
        XCTAssertTrue(d.pump(until: 2_000) { d.health.0 == .down }, d.log)

        // The same router reconnects: the new connection replaces the old.
        let a2 = connect(from: "127.0.0.2", port: 11019)
        XCTAssertTrue(d.pump(until: 2_000) { d.log.contains("feed down 127.0.0.2: replaced by a new connection") }, d.log)
        XCTAssertEqual(d.station.feedCount, 1)
        close(a)
        send(a2, BMPWire.initiation + BMPWire.peerUp + BMPWire.routeAnnounce)
        XCTAssertTrue(d.pump(until: 2_000) { d.health.0 == .up }, d.log)

        // Termination: unknown, and the station closes the feed.
        send(a2, BMPWire.termination)
        XCTAssertTrue(d.pump(until: 2_000) { d.station.feedCount == 0 }, d.log)
        XCTAssertEqual(d.health.0, .unknown)
        XCTAssertEqual(d.health.1, "BMP feed lost: Termination: session administratively closed: maintenance")
        close(a2)

        // Garbage ends the feed and is counted; unknown, not down.
        let g = connect(from: "127.0.0.2", port: 11019)
        send(g, BMPWire.initiation + BMPWire.peerUp + BMPWire.routeAnnounce)
        XCTAssertTrue(d.pump(until: 2_000) { d.health.0 == .up }, d.log)
        send(g, Array("GET / HTTP/1.1\r\n\r\n".utf8))
        XCTAssertTrue(d.pump(until: 2_000) { d.station.feedErrors == 1 }, d.log)
        XCTAssertEqual(d.health.0, .unknown)
        XCTAssertEqual(d.health.1, "BMP feed lost: BMP version 71 (only 3 is spoken)")
        var byte: UInt8 = 0
        XCTAssertEqual(recv(g, &byte, 1, 0), 0, "the station closed the connection")
        close(g)

        // A message over the length cap ends the feed before it is buffered.
        let h = connect(from: "127.0.0.2", port: 11019)
        send(h, [3, 0x7F, 0, 0, 0, 4])
        XCTAssertTrue(d.pump(until: 2_000) { d.station.feedErrors == 2 }, d.log)
        XCTAssertTrue(d.health.1.hasPrefix("BMP feed lost: bad message length"), d.health.1)
        close(h)
        XCTAssertEqual(d.station.accepted, 4)
        _ = d.station.close(now: Clock.monotonicMs())
        XCTAssertEqual(d.station.fds, [])
    }
}
