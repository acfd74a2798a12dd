import Foundation
import XCTest
import CHedge
import HedgeCore
@testable import HedgeLinux
#if canImport(Glibc)
import Glibc
#endif

/// The route-watch signal against real route owners. `ce` is the customer edge router whose FRR
/// (zebra + bgpd) or BIRD 2 peers with GoBGP in `msee` (AS 12076, the Microsoft edge stand-in,
/// announcing 10.200.0.0/16); hedge only watches ce's kernel table. Plain `ip route` cases use one
/// namespace.
final class RouteWatchSocketTests: XCTestCase {
    let er = IPPrefix("10.200.0.0/16")!
    var dir = ""
    var namespaces: [Netns] = []

    override func setUpWithError() throws {
        try requireRoot("route-watch against the kernel, FRR, BIRD and GoBGP in network namespaces")
        dir = "/tmp/hr-rwatch-\(getpid())"
        sh("rm -rf \(dir) && mkdir -p \(dir) && chmod 755 \(dir)")
    }

    override func tearDown() {
        // Daemons first (by their pid files), then the namespaces (Netns deinit deletes them).
        sh("""
           for f in \(dir)/*.pid; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
           for i in $(seq 1 20); do
             alive=0
             for f in \(dir)/*.pid; do [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1; done
             [ $alive = 0 ] && break; sleep 0.1
           done
           for f in \(dir)/*.pid; do [ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
           true
           """, check: false)
        for ns in namespaces { sh("rm -rf /var/run/frr/\(ns.name)", check: false); ns.leave() }
        namespaces = []
        sh("rm -rf \(dir)", check: false)
    }

    func netns(_ tag: String) -> Netns {
        let ns = Netns(tag)
        namespaces.append(ns)
        return ns
    }

    /// Opens the watcher inside `ns`: the socket stays in that namespace after the thread leaves.
    func openWatcher(in ns: Netns, receiveBuffer: Int = 1 << 20) throws -> RouteWatchSocket {
        ns.enter()
        defer { ns.leave() }
        return try RouteWatchSocket(receiveBuffer: receiveBuffer)
    }

    /// Drains on readability (no polling of the kernel's state) until the watch shows `want`.
    /// Returns the seconds it took.
    @discardableResult
    func waitFor(_ want: Health, _ s: RouteWatchSocket, _ w: inout RouteWatch, within seconds: Double,
                 _ what: String, since start: Date = Date(),
                 file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        if s.needsDump { _ = try s.drain(into: &w) }
        while w.health != want {
            let left = seconds - Date().timeIntervalSince(start)
            if left <= 0 {
                XCTFail("\(what): still \(w.health) (\(w.reason)) after \(seconds) s", file: file, line: line)
                return seconds
            }
            var pfd = pollfd(fd: s.fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, Int32(min(left, 0.2) * 1000) + 1) > 0 { _ = try s.drain(into: &w) }
        }
        return Date().timeIntervalSince(start)
    }

    func ms(_ seconds: Double) -> Int { Int(seconds * 1000) }

    // MARK: - Real route owners

    /// ce <-> msee over a veth pair; GoBGP (AS 12076) in msee announcing 10.200.0.0/16 to ce (65010).
    func startEdge() -> (ce: Netns, msee: Netns) {
        let ce = netns("hr-ce"), msee = netns("hr-msee")
        sh("ip -n \(ce.name) link add ce0 type veth peer name msee0 netns \(msee.name)")
        _ = ce.ip("addr add 192.168.77.1/30 dev ce0")
        _ = ce.ip("link set ce0 up")
        _ = msee.ip("addr add 192.168.77.2/30 dev msee0")
        _ = msee.ip("link set msee0 up")
        let toml = """
        [global.config]
          as = 12076
          router-id = "192.168.77.2"
          local-address-list = ["192.168.77.2"]
        [[neighbors]]
          [neighbors.config]
            neighbor-address = "192.168.77.1"
            peer-as = 65010
          [neighbors.timers.config]
            connect-retry = 1
            hold-time = 9
            keepalive-interval = 3
          [[neighbors.afi-safis]]
            [neighbors.afi-safis.config]
              afi-safi-name = "ipv4-unicast"

        """
        try! toml.write(toFile: dir + "/gobgpd.toml", atomically: true, encoding: .utf8)
        sh("""
           nohup ip netns exec \(msee.name) gobgpd -f \(dir)/gobgpd.toml --api-hosts 127.0.0.1:50051 \
             --pprof-disable -p >\(dir)/gobgpd.log 2>&1 </dev/null &
           echo $! >\(dir)/gobgpd.pid
           for i in $(seq 1 50); do
             ip netns exec \(msee.name) gobgp -u 127.0.0.1 -p 50051 global >/dev/null 2>&1 && exit 0
             sleep 0.1
           done
           cat \(dir)/gobgpd.log; exit 1
           """)
        gobgp(msee, "global rib add 10.200.0.0/16 -a ipv4")
        return (ce, msee)
    }

    func gobgp(_ msee: Netns, _ args: String) {
        sh("ip netns exec \(msee.name) gobgp -u 127.0.0.1 -p 50051 \(args)")
    }

    /// zebra + bgpd in ce, started the way lab/anchors.sh starts them.
    func startFRR(in ce: Netns) {
        let zebra = "hostname ce\nlog file \(dir)/zebra.log informational\n!\n"
        let bgpd = """
        frr defaults traditional
        hostname ce
        log file \(dir)/bgpd.log informational
        !
        router bgp 65010
         bgp router-id 192.168.77.1
         no bgp ebgp-requires-policy
         bgp graceful-restart-disable
         neighbor 192.168.77.2 remote-as 12076
         neighbor 192.168.77.2 timers connect 1
         address-family ipv4 unicast
          neighbor 192.168.77.2 route-map NOTHING out
         exit-address-family
        exit
        !
        route-map NOTHING deny 10
        exit
        !

        """
        try! zebra.write(toFile: dir + "/zebra.conf", atomically: true, encoding: .utf8)
        try! bgpd.write(toFile: dir + "/bgpd.conf", atomically: true, encoding: .utf8)
        let vty = "/var/run/frr/\(ce.name)"
        sh("""
           set -e
           mkdir -p \(vty) && chown frr:frr \(vty) \(dir) \(dir)/*.conf && chmod 755 \(vty)
           ip netns exec \(ce.name) /usr/lib/frr/zebra -d -N \(ce.name) -f \(dir)/zebra.conf -i \(dir)/zebra.pid -P 0
           for i in $(seq 1 50); do [ -S \(vty)/zserv.api ] && break; sleep 0.1; done
           [ -S \(vty)/zserv.api ]
           ip netns exec \(ce.name) /usr/lib/frr/bgpd -d -N \(ce.name) -f \(dir)/bgpd.conf -i \(dir)/bgpd.pid -P 0
           """)
    }

    /// BIRD 2 in ce: BGP from the msee, exported to the kernel (rtm_protocol 12).
    func startBIRD(in ce: Netns) {
        let conf = """
        log "\(dir)/bird.log" all;
        router id 192.168.77.1;
        protocol device { scan time 10; }
        protocol bgp msee {
            local 192.168.77.1 as 65010;
            neighbor 192.168.77.2 as 12076;
            connect retry time 1;
            error wait time 1, 2;
            ipv4 { import all; export none; };
        }
        protocol kernel { ipv4 { import none; export all; }; }

        """
        try! conf.write(toFile: dir + "/bird.conf", atomically: true, encoding: .utf8)
        sh("ip netns exec \(ce.name) bird -c \(dir)/bird.conf -s \(dir)/bird.ctl -P \(dir)/bird.pid")
    }

    /// Route appears (up), is withdrawn at the MSEE (down, fast), comes back (up).
    func upDownUp(owner: String, protocolID: UInt8, start: (Netns) -> Void) throws {
        let (ce, msee) = startEdge()
        let s = try openWatcher(in: ce)
        var w = RouteWatch(prefixes: [er], protocolID: protocolID)
        XCTAssertEqual(try s.drain(into: &w)?.0, .down, "the first drain dumps: no route yet")
        XCTAssertEqual(w.reason, "route-watch: 10.200.0.0/16 proto \(owner) gone from table main")
        start(ce)
        let tUp = try waitFor(.up, s, &w, within: 30, "\(owner) installs the MSEE's route")
        XCTAssertTrue(ce.ip("route show 10.200.0.0/16").contains("proto \(owner)"), ce.ip("route"))
        XCTAssertEqual(w.present, [er])
        var t0 = Date()
        gobgp(msee, "global rib del 10.200.0.0/16 -a ipv4")
        let tDown = try waitFor(.down, s, &w, within: 5, "withdrawn at the MSEE", since: t0)
        XCTAssertEqual(w.reason, "route-watch: 10.200.0.0/16 proto \(owner) gone from table main")
        XCTAssertEqual(w.missing, [er])
        XCTAssertLessThan(tDown, 2, "a withdrawal is one BGP UPDATE and one RTM_DELROUTE away")
        t0 = Date()
        gobgp(msee, "global rib add 10.200.0.0/16 -a ipv4")
        let tBack = try waitFor(.up, s, &w, within: 10, "announced again", since: t0)
        XCTAssertEqual(s.overruns, 0)
        print("route-watch \(owner): up \(ms(tUp)) ms after the daemon started, down \(ms(tDown)) ms after `gobgp global rib del`, up \(ms(tBack)) ms after `rib add`; \(s.dumps) dumps")
    }

    func testFRRRouteFromGoBGPUpDownUp() throws {
        try upDownUp(owner: "bgp", protocolID: 186) { startFRR(in: $0) }
    }

    func testBIRDRouteFromGoBGPUpDownUp() throws {
        try upDownUp(owner: "bird", protocolID: 12) { startBIRD(in: $0) }
    }

    // MARK: - Plain routes

    /// One namespace with a veth pair k0/k1 (192.0.2.1/24 on k0), the watcher opened inside.
    func plainLab() throws -> (Netns, RouteWatchSocket) {
        let ns = netns("hr-k")
        _ = ns.ip("link add k0 type veth peer name k1")
        _ = ns.ip("link set k0 up")
        _ = ns.ip("link set k1 up")
        _ = ns.ip("addr add 192.0.2.1/24 dev k0")
        _ = ns.ip("addr add 2001:db8:77::1/64 dev k0 nodad")
        return (ns, try openWatcher(in: ns))
    }

    func testAnyProtocolNumberAndManyRouteShapes() throws {
        let (ns, s) = try plainLab()
        let p = IPPrefix("10.250.0.0/16")!
        var w = RouteWatch(prefixes: [p], protocolID: 200)
        _ = try s.drain(into: &w)
        XCTAssertEqual(w.health, .down)

        _ = ns.ip("route add 10.250.0.0/16 via 192.0.2.2 proto 200")
        try waitFor(.up, s, &w, within: 2, "proto 200 route added")
        _ = ns.ip("route del 10.250.0.0/16 proto 200")
        try waitFor(.down, s, &w, within: 2, "proto 200 route deleted")
        XCTAssertEqual(w.reason, "route-watch: 10.250.0.0/16 proto 200 gone from table main")

        // Not ours: other protocol, other table, a more specific, a blackhole of our protocol.
        _ = ns.ip("route add 10.250.0.0/16 via 192.0.2.2 proto 201")
        _ = ns.ip("route add 10.250.0.0/16 via 192.0.2.2 proto 200 table 100")
        _ = ns.ip("route add 10.250.1.0/24 via 192.0.2.2 proto 200")
        _ = ns.ip("route add blackhole 10.250.0.0/16 proto 200 metric 5")
        usleep(200_000)
        _ = try s.drain(into: &w)
        XCTAssertEqual(w.health, .down, "none of those count")
        // The other protocol's route shares the kernel's key (prefix, tos, metric): it must go first.
        _ = ns.ip("route del 10.250.0.0/16 proto 201")
        _ = ns.ip("route del blackhole 10.250.0.0/16 proto 200 metric 5")

        // Two metrics: present while one is left.
        _ = ns.ip("route add 10.250.0.0/16 via 192.0.2.2 proto 200 metric 10")
        _ = ns.ip("route add 10.250.0.0/16 via 192.0.2.3 proto 200 metric 20")
        try waitFor(.up, s, &w, within: 2, "two routes")
        XCTAssertTrue(HedgeLinuxTests.waitFor(2) { _ = try? s.drain(into: &w); return w.routeCount(p) == 2 }, "\(w.routeCount(p)) routes")
        _ = ns.ip("route del 10.250.0.0/16 proto 200 metric 10")
        XCTAssertTrue(HedgeLinuxTests.waitFor(2) { _ = try? s.drain(into: &w); return w.routeCount(p) == 1 }, "\(w.routeCount(p)) routes")
        XCTAssertEqual(w.health, .up, "metric 20 is still there")
        _ = ns.ip("route del 10.250.0.0/16 proto 200 metric 20")
        try waitFor(.down, s, &w, within: 2, "both gone")

        // Two routes with one key (`ip route append`): deleting one looks like a loss to the
        // (prefix, metric) bookkeeping; the confirming dump finds the other and health holds.
        _ = ns.ip("route add 10.250.0.0/16 via 192.0.2.2 proto 200 metric 10")
        _ = ns.ip("route append 10.250.0.0/16 via 192.0.2.3 proto 200 metric 10")
        try waitFor(.up, s, &w, within: 2, "appended routes")
        usleep(100_000)
        _ = try s.drain(into: &w)
        let dumpsBefore = s.dumps
        _ = ns.ip("route del 10.250.0.0/16 via 192.0.2.2 proto 200 metric 10")
        XCTAssertTrue(ns.ip("route show proto 200").contains("10.250.0.0/16 via 192.0.2.3"))
        var pfd = pollfd(fd: s.fd, events: Int16(POLLIN), revents: 0)
        XCTAssertEqual(poll(&pfd, 1, 2000), 1)
        XCTAssertNil(try s.drain(into: &w), "no change: the loss was not confirmed")
        XCTAssertEqual(w.health, .up)
        XCTAssertEqual(s.dumps, dumpsBefore + 1, "one confirming dump")
        _ = ns.ip("route del 10.250.0.0/16 proto 200 metric 10")
        try waitFor(.down, s, &w, within: 2, "the appended one gone too")

        // Multipath (RTA_MULTIPATH) and nexthop-object (RTA_NH_ID) routes count.
        _ = ns.ip("route add 10.250.0.0/16 proto 200 nexthop via 192.0.2.2 nexthop via 192.0.2.3")
        try waitFor(.up, s, &w, within: 2, "multipath route")
        _ = ns.ip("route del 10.250.0.0/16 proto 200")
        try waitFor(.down, s, &w, within: 2, "multipath route deleted")
        _ = ns.ip("nexthop add id 77 via 192.0.2.2 dev k0")
        _ = ns.ip("route add 10.250.0.0/16 nhid 77 proto 200")
        try waitFor(.up, s, &w, within: 2, "nexthop-object route")
        // Deleting the nexthop object takes the route along without an RTM_DELROUTE.
        _ = ns.ip("nexthop del id 77")
        XCTAssertFalse(ns.ip("route show proto 200").contains("10.250.0.0/16"))
        try waitFor(.down, s, &w, within: 2, "nexthop object deleted: the route went silently")

        // IPv6, and a table other than main, on a second watcher.
        let s6 = try openWatcher(in: ns)
        let v6 = IPPrefix("2001:db8:250::/48")!
        var w6 = RouteWatch(prefixes: [v6], protocolID: 200, table: 100)
        XCTAssertEqual(try s6.drain(into: &w6)?.0, .down)
        _ = ns.ip("-6 route add 2001:db8:250::/48 via 2001:db8:77::2 proto 200 table 100")
        try waitFor(.up, s6, &w6, within: 2, "IPv6 route in table 100")
        _ = ns.ip("-6 route del 2001:db8:250::/48 proto 200 table 100")
        try waitFor(.down, s6, &w6, within: 2, "IPv6 route deleted")
        XCTAssertEqual(w6.reason, "route-watch: 2001:db8:250::/48 proto 200 gone from table 100")

        // A device set down: IPv4 flushes the routes through it without RTM_DELROUTE.
        _ = ns.ip("route add 10.250.0.0/16 via 192.0.2.2 proto 200")
        try waitFor(.up, s, &w, within: 2, "back")
        _ = ns.ip("link set k0 down")
        XCTAssertFalse(ns.ip("route show proto 200").contains("10.250.0.0/16"))
        try waitFor(.down, s, &w, within: 2, "device down flushed the route")
        XCTAssertEqual(s.overruns, 0)
    }

    func testRoutesPresentBeforeTheWatcherAreFoundByTheDump() throws {
        let (ns, _) = try plainLab()
        _ = ns.ip("route add 10.250.0.0/16 via 192.0.2.2 proto 200")
        _ = ns.ip("-6 route add 2001:db8:250::/48 via 2001:db8:77::2 proto 200")
        let s = try openWatcher(in: ns)
        var w = RouteWatch(prefixes: [IPPrefix("10.250.0.0/16")!, IPPrefix("2001:db8:250::/48")!], protocolID: 200)
        XCTAssertEqual(try s.drain(into: &w)?.0, .up)
        XCTAssertEqual(s.dumps, 1)
        // A table that does not exist: the filtered dump says ENOENT, which is no routes.
        var t = RouteWatch(prefixes: [IPPrefix("10.250.0.0/16")!], protocolID: 200, table: 4242)
        try s.resync(&t)
        XCTAssertEqual(t.health, .down)
    }

    func testOverrunResetsAndRedumps() throws {
        let (ns, _) = try plainLab()
        let p = IPPrefix("10.250.0.0/16")!
        _ = ns.ip("route add 10.250.0.0/16 via 192.0.2.2 proto 200")
        // A deliberately tiny receive buffer (as RouteNetlinkTests does) and a flood of route events.
        let s = try openWatcher(in: ns, receiveBuffer: 4096)
        var w = RouteWatch(prefixes: [p], protocolID: 200)
        XCTAssertEqual(try s.drain(into: &w)?.0, .up)
        // The watched route goes in the middle of the flood: its RTM_DELROUTE is likely dropped.
        var batch = ""
        for i in 0..<3000 {
            if i == 1500 { batch += "route del 10.250.0.0/16 proto 200\n" }
            batch += "route add 10.\(100 + i / 250).\(i % 250).0/24 via 192.0.2.2 proto 201\n"
        }
        try batch.write(toFile: dir + "/flood.batch", atomically: true, encoding: .utf8)
        _ = ns.ip("-batch \(dir)/flood.batch")
        let r = try s.drain(into: &w)
        XCTAssertEqual(s.overruns, 1, "3000 route events into a 4 KiB buffer must overrun")
        XCTAssertEqual(s.dumps, 2, "the overrun re-dumped")
        XCTAssertEqual(r?.0, .down)
        XCTAssertEqual(w.health, .down)
        XCTAssertEqual(w.reason, "route-watch: 10.250.0.0/16 proto 200 gone from table main")
        // And the socket goes on delivering events after the overrun.
        _ = ns.ip("route add 10.250.0.0/16 via 192.0.2.2 proto 200")
        try waitFor(.up, s, &w, within: 2, "after the overrun")
    }
}
