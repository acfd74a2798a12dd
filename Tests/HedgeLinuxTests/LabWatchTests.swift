import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `hedge run` with the signals that come from other routers' views of the edge, in the namespace
/// lab: the MSEE stand-in is GoBGP (AS 12076, announcing 10.200.0.0/16) in PREFIX-edge on
/// 192.168.10.2, and the on-prem router that peers with it runs in PREFIX-onprem next to hedge:
/// - bmp-neighbor: FRR bgpd (no zebra, so it leaves the FIB alone) exports BMP to hedge on
///   127.0.0.1:11019; its session with the MSEE is the expressroute path's health.
/// - watch-routes: FRR (zebra + bgpd) or BIRD 2 installs the MSEE's route; its presence in the
///   kernel is the expressroute path's health.
/// The VPN path is always judged by an ICMP probe through vpn0.
final class LabWatchTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("hedge with BMP and route-watch signals against FRR, BIRD and GoBGP in the namespace lab")
        try requireTool("/usr/lib/frr/bgpd", "/usr/lib/frr/zebra", "/usr/sbin/bird", "/usr/bin/gobgpd", install: "frr bird2 gobgpd")
    }

    static let vpnPath = "path vpn { priority 20; device vpn0; gateway 192.168.20.2; probe icmp 10.200.0.4 { interval 10ms; } }"

    func signal(_ lab: Lab, _ kind: String) -> [String: Any] {
        ((lab.path("expressroute")["signals"] as? [[String: Any]]) ?? []).first { $0["kind"] as? String == kind } ?? [:]
    }

    func state(_ lab: Lab, _ kind: String) -> String? { signal(lab, kind)["state"] as? String }
    func reason(_ lab: Lab, _ kind: String) -> String { signal(lab, kind)["reason"] as? String ?? "" }
    func switches(_ lab: Lab) -> Int { lab.group()["switches"] as? Int ?? -1 }

    /// The MSEE (GoBGP) from lab/msee.sh, with 3 s / 1 s timers.
    func startMSEE(_ lab: Lab) {
        lab.bash("msee_start gobgp --hold 3 --keepalive 1")
    }

    func mseeCLI(_ lab: Lab, _ args: String) { lab.bash("_msee_gobgp \(args)") }

    /// TERMs a daemon this test started (by its pid file), KILLs it if it lingers.
    func stop(_ lab: Lab, _ daemon: String, signal: String = "TERM") {
        lab.bash("""
        p=$(cat \(lab.dir)/\(daemon).pid 2>/dev/null) || exit 0
        kill -\(signal) $p 2>/dev/null
        for i in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.02; done
        kill -KILL $p 2>/dev/null; rm -f \(lab.dir)/\(daemon).pid; exit 0
        """, check: false)
    }

    // MARK: - BMP

    /// The CE router: FRR bgpd alone (-Z: no zebra, nothing touches the FIB) in PREFIX-onprem,
    /// peering with the MSEE over er0 and exporting pre-policy Route Monitoring to hedge's station.
    /// Pre-policy needs `soft-reconfiguration inbound` in FRR 8.4 (else the route is reported withdrawn).
    func startBMPExporter(_ lab: Lab) {
        let conf = """
        frr defaults traditional
        hostname ce
        log file \(lab.dir)/bgpd.log informational
        router bgp 65010
         bgp router-id 192.168.10.1
         no bgp ebgp-requires-policy
         neighbor 192.168.10.2 remote-as 12076
         neighbor 192.168.10.2 timers 1 3
         neighbor 192.168.10.2 timers connect 1
         address-family ipv4 unicast
          neighbor 192.168.10.2 soft-reconfiguration inbound
         exit-address-family
         bmp targets hedge
          \(bmpConnect)
          bmp monitor ipv4 unicast pre-policy
         exit

        """
        try! conf.write(toFile: lab.dir + "/bgpd.conf", atomically: true, encoding: .utf8)
        _ = lab.onprem("/usr/lib/frr/bgpd -d -Z -S -n -M bmp -f \(lab.dir)/bgpd.conf -i \(lab.dir)/bgpd.pid --vty_socket \(lab.dir) -P 0")
    }

    let bmpConnect = "bmp connect 127.0.0.1 port 11019 min-retry 100 max-retry 1000"

    @discardableResult
    func vtyshBMP(_ lab: Lab, _ commands: [String]) -> String {
        sh("vtysh --vty_socket \(lab.dir) -d bgpd " + commands.map { "-c '\($0)'" }.joined(separator: " ")).1
    }

    func setBMPConnect(_ lab: Lab, _ on: Bool) {
        vtyshBMP(lab, ["conf t", "router bgp 65010", "bmp targets hedge", (on ? "" : "no ") + bmpConnect])
    }

    func bmpLogs(_ lab: Lab) -> String {
        lab.log + "\n" + sh("tail -n 20 \(lab.dir)/bgpd.log; vtysh --vty_socket \(lab.dir) -d bgpd -c 'show bmp' 2>&1",
                            check: false).1 + lab.bash("msee_status", check: false).1
    }

    /// The CE's session with the MSEE, as its BMP feed shows it, drives the failover: Peer Down
    /// (the MSEE's administrative shutdown) fails over; Peer Up with routes fails back after the
    /// hold-down. The feed itself going away (BMP connection dropped, bgpd killed) says nothing
    /// about the circuit: the signal is unknown and traffic stays where it is.
    func testBMPNeighborDrivesFailover() throws {
        let lab = Lab("twb")
        lab.writeConfig(text: """
        bmp { listen 127.0.0.1; port 11019; allow 127.0.0.1; grace 5s; }
        path expressroute { priority 10; device er0; gateway 192.168.10.2; bmp-neighbor 192.168.10.2 as 12076; }
        \(Self.vpnPath)
        group azure { prefix 10.200.0.0/16; paths expressroute vpn; hold-down 1s; }
        """)
        lab.startHedge()
        // Nothing from the CE yet: the signal waits.
        XCTAssertEqual(state(lab, "bmp"), "unknown")
        XCTAssertEqual(reason(lab, "bmp"), "BMP: waiting for a feed showing 192.168.10.2")

        startMSEE(lab)
        startBMPExporter(lab)
        XCTAssertTrue(waitFor(20) { self.state(lab, "bmp") == "up" }, "the CE's feed shows the MSEE up:\n\(bmpLogs(lab))")
        XCTAssertEqual(reason(lab, "bmp"), "BMP: 192.168.10.2 (AS12076) Established with routes")
        XCTAssertTrue(lab.waitSteady(seconds: 10), "failback to ExpressRoute after the hold-down:\n\(lab.log)")
        XCTAssertEqual(lab.group()["last_switch"].flatMap { ($0 as? [String: Any])?["kind"] as? String }, "failback")

        // The MSEE shuts the session down: Cease / Administrative Shutdown, BMP Peer Down reason 3.
        var t0 = Date()
        mseeCLI(lab, "neighbor 192.168.10.1 disable")
        XCTAssertTrue(waitFor(5) { lab.kernelPath == "vpn" }, "failover at the Peer Down:\n\(bmpLogs(lab))")
        print("bmp: failover \(Int(Date().timeIntervalSince(t0) * 1000)) ms after `gobgp neighbor disable`")
        XCTAssertEqual(state(lab, "bmp"), "down")
        let down = reason(lab, "bmp")
        XCTAssertTrue(down.contains("Peer Down of 192.168.10.2") && down.contains("Administrative Shutdown"), down)
        XCTAssertEqual(lab.path("expressroute")["state"] as? String, "down")
        let last = lab.group()["last_switch"] as? [String: Any] ?? [:]
        XCTAssertEqual(last["kind"] as? String, "failover")
        XCTAssertTrue((last["reason"] as? String ?? "").contains("Peer Down of 192.168.10.2"), "\(last)")

        // Back: Peer Up and the route again, then the hold-down.
        t0 = Date()
        mseeCLI(lab, "neighbor 192.168.10.1 enable")
        XCTAssertTrue(waitFor(20) { self.state(lab, "bmp") == "up" }, "Peer Up again:\n\(bmpLogs(lab))")
        XCTAssertTrue(lab.waitSteady(seconds: 10), "failback:\n\(lab.log)")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 1, "not before the 1 s hold-down")
        let settled = switches(lab)

        // The CE drops its BMP connection (a management change, not the circuit): unknown, no switch.
        setBMPConnect(lab, false)
        XCTAssertTrue(waitFor(5) { self.state(lab, "bmp") == "unknown" }, bmpLogs(lab))
        XCTAssertEqual(reason(lab, "bmp"), "BMP feed lost: connection closed by the router")
        XCTAssertEqual(lab.path("expressroute")["state"] as? String, "unknown")
        XCTAssertFalse(waitFor(3) { lab.kernelPath != "expressroute" || self.switches(lab) != settled },
                       "an unknown active path is kept:\n\(lab.log)")
        XCTAssertEqual(lab.group()["active"] as? String, "expressroute")

        // It reconnects: FRR replays Peer Up and the table; still no switch.
        setBMPConnect(lab, true)
        XCTAssertTrue(waitFor(10) { self.state(lab, "bmp") == "up" }, bmpLogs(lab))
        XCTAssertEqual(switches(lab), settled)

        // bgpd stops (FRR 8.4 closes the feed without a Peer Down first): unknown, no switch.
        stop(lab, "bgpd")
        XCTAssertTrue(waitFor(5) { self.state(lab, "bmp") == "unknown" }, bmpLogs(lab))
        XCTAssertEqual(reason(lab, "bmp"), "BMP feed lost: connection closed by the router")
        XCTAssertFalse(waitFor(3) { lab.kernelPath != "expressroute" || self.switches(lab) != settled },
                       "a lost feed is no failover:\n\(lab.log)")
        startBMPExporter(lab)
        XCTAssertTrue(waitFor(20) { self.state(lab, "bmp") == "up" }, bmpLogs(lab))
        XCTAssertTrue(lab.waitSteady(seconds: 10), bmpLogs(lab))
        let settled2 = switches(lab)

        // bgpd dies (the kernel closes both connections): the same.
        stop(lab, "bgpd", signal: "KILL")
        XCTAssertTrue(waitFor(5) { self.state(lab, "bmp") == "unknown" }, bmpLogs(lab))
        XCTAssertTrue(reason(lab, "bmp").hasPrefix("BMP feed lost: "), reason(lab, "bmp"))
        XCTAssertFalse(waitFor(3) { lab.kernelPath != "expressroute" || self.switches(lab) != settled2 },
                       "a lost feed is no failover:\n\(lab.log)")

        // A new bgpd: its feed tells the truth about a session that is still coming up (FRR sends
        // Peer Down on every backward transition of the session, even before it was ever up, so
        // this may fail over for a moment), then Peer Up with routes and the hold-down.
        startBMPExporter(lab)
        XCTAssertTrue(waitFor(20) { self.state(lab, "bmp") == "up" }, bmpLogs(lab))
        XCTAssertTrue(lab.waitSteady(seconds: 10), bmpLogs(lab))
        XCTAssertEqual((lab.status()["kernel"] as? [String: Any])?["errors"] as? Int, 0, lab.log)
        stop(lab, "bgpd")
        lab.bash("msee_stop", check: false)
    }

    /// No `bmp` block: the station listens on every address (:: with IPv4 mapped) at 11019 and
    /// FRR's IPv4 feed is accepted. A reload (SIGHUP) that changes nothing keeps the station and
    /// its feed, and the active path is kept throughout.
    func testBMPDefaultStationAndReload() throws {
        let lab = Lab("twd")
        lab.writeConfig(text: """
        path expressroute { priority 10; device er0; gateway 192.168.10.2; bmp-neighbor 192.168.10.2; }
        \(Self.vpnPath)
        group azure { prefix 10.200.0.0/16; paths expressroute vpn; hold-down 1s; }
        """)
        startMSEE(lab)
        startBMPExporter(lab)
        lab.startHedge()
        XCTAssertTrue(waitFor(20) { self.state(lab, "bmp") == "up" }, bmpLogs(lab))
        XCTAssertEqual(reason(lab, "bmp"), "BMP: 192.168.10.2 (AS12076) Established with routes", "the AS from its Peer Up")
        XCTAssertTrue(lab.waitSteady(seconds: 10), lab.log)
        let listener = lab.onprem("ss -Htln 'sport = :11019'")
        XCTAssertTrue(listener.contains("*:11019") || listener.contains("[::]:11019"), "every address: \(listener)")

        let switchesBefore = lab.group()["switches"] as? Int
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(5) { lab.log.contains("reload: applied") }, lab.log)
        XCTAssertTrue(waitFor(10) { self.state(lab, "bmp") == "up" }, "the feed is still up after the reload:\n\(bmpLogs(lab))")
        XCTAssertEqual(lab.group()["active"] as? String, "expressroute")
        XCTAssertEqual(lab.group()["switches"] as? Int, switchesBefore, "no switch since the reload: the unchanged group kept its path: \(lab.log)")
        XCTAssertEqual(lab.kernelPath, "expressroute")
        XCTAssertEqual((lab.status()["kernel"] as? [String: Any])?["errors"] as? Int, 0, lab.log)

        // And the station still acts on it: Peer Down after the reload fails over.
        mseeCLI(lab, "neighbor 192.168.10.1 disable")
        XCTAssertTrue(waitFor(5) { lab.kernelPath == "vpn" }, bmpLogs(lab))
        stop(lab, "bgpd")
        lab.bash("msee_stop", check: false)
    }

    // MARK: - route-watch

    /// FRR (zebra + bgpd) in PREFIX-onprem, the way lab/anchors.sh starts it: the MSEE's route goes
    /// into the kernel as proto bgp (186), metric 20.
    func startFRR(_ lab: Lab, zebraExtra: String) {
        let ns = "\(lab.prefix)-onprem"
        let zebra = "hostname ce\nlog file \(lab.dir)/zebra.log informational\n\(zebraExtra)!\n"
        let bgpd = """
        frr defaults traditional
        hostname ce
        log file \(lab.dir)/bgpd.log informational
        !
        router bgp 65010
         bgp router-id 192.168.10.1
         no bgp ebgp-requires-policy
         bgp graceful-restart-disable
         neighbor 192.168.10.2 remote-as 12076
         neighbor 192.168.10.2 timers 1 3
         neighbor 192.168.10.2 timers connect 1
         address-family ipv4 unicast
          neighbor 192.168.10.2 route-map NOTHING out
         exit-address-family
        exit
        !
        route-map NOTHING deny 10
        exit
        !

        """
        try! zebra.write(toFile: lab.dir + "/zebra.conf", atomically: true, encoding: .utf8)
        try! bgpd.write(toFile: lab.dir + "/bgpd.conf", atomically: true, encoding: .utf8)
        let vty = "/var/run/frr/\(ns)"
        sh("""
           set -e
           mkdir -p \(vty) && chown frr:frr \(vty) \(lab.dir) \(lab.dir)/*.conf && chmod 755 \(vty)
           ip netns exec \(ns) /usr/lib/frr/zebra -d -N \(ns) -f \(lab.dir)/zebra.conf -i \(lab.dir)/zebra.pid -P 0
           for i in $(seq 1 50); do [ -S \(vty)/zserv.api ] && break; sleep 0.1; done
           [ -S \(vty)/zserv.api ]
           ip netns exec \(ns) /usr/lib/frr/bgpd -d -N \(ns) -f \(lab.dir)/bgpd.conf -i \(lab.dir)/bgpd.pid -P 0
           """)
    }

    func stopFRR(_ lab: Lab) {
        stop(lab, "bgpd")
        stop(lab, "zebra")
        sh("rm -rf /var/run/frr/\(lab.prefix)-onprem", check: false)
    }

    /// BIRD 2 in PREFIX-onprem: BGP from the MSEE, exported to the kernel (proto bird = 12, metric 32).
    func startBIRD(_ lab: Lab) {
        let conf = """
        log "\(lab.dir)/bird.log" all;
        router id 192.168.10.1;
        protocol device { scan time 10; }
        protocol bgp msee {
            local 192.168.10.1 as 65010;
            neighbor 192.168.10.2 as 12076;
            hold time 3; keepalive time 1;
            connect retry time 1;
            error wait time 1, 2;
            ipv4 { import all; export none; };
        }
        protocol kernel { ipv4 { import none; export all; }; }

        """
        try! conf.write(toFile: lab.dir + "/bird.conf", atomically: true, encoding: .utf8)
        _ = lab.onprem("bird -c \(lab.dir)/bird.conf -s \(lab.dir)/bird.ctl -P \(lab.dir)/bird.pid")
    }

    func routesLogs(_ lab: Lab) -> String {
        lab.log + "\n" + lab.onprem("ip route show table all 10.200.0.0/16", check: false)
            + sh("tail -n 15 \(lab.dir)/bgpd.log \(lab.dir)/zebra.log \(lab.dir)/bird.log 2>/dev/null", check: false).1
    }

    /// The route owner's route is withdrawn at the MSEE: the routes signal goes down and hedge fails
    /// over at once; announced again, it fails back after the hold-down. `table` is where hedge's
    /// group route lives; `owner` is the daemon's `ip route` protocol name.
    func watchRoutesFailover(_ lab: Lab, owner: String, ownerMetric: Int, hedgeTable: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(waitFor(30) { self.state(lab, "routes") == "up" }, "\(owner) installs the MSEE's route:\n\(routesLogs(lab))",
                      file: file, line: line)
        XCTAssertEqual(reason(lab, "routes"), "route-watch: 10.200.0.0/16 proto \(owner) in table main", file: file, line: line)
        XCTAssertTrue(lab.waitSteady(seconds: 10), "ExpressRoute after the hold-down:\n\(routesLogs(lab))", file: file, line: line)
        let settled = switches(lab)

        // Both routes are in the kernel, side by side; the lookup takes hedge's.
        func owners() -> (String, String) {
            (lab.onprem("ip route show 10.200.0.0/16 proto \(owner)", check: false),
             lab.onprem("ip route show table \(hedgeTable) 10.200.0.0/16 proto 88", check: false))
        }
        var (theirs, ours) = owners()
        XCTAssertTrue(theirs.contains("via 192.168.10.2 dev er0") && theirs.contains("metric \(ownerMetric)"),
                      "\(owner)'s route: \(theirs)", file: file, line: line)
        XCTAssertTrue(ours.contains("dev er0"), "hedge's route over ExpressRoute: \(ours)", file: file, line: line)
        XCTAssertEqual(lab.kernelPath, "expressroute", file: file, line: line)

        var t0 = Date()
        mseeCLI(lab, "global rib del 10.200.0.0/16 -a ipv4")
        XCTAssertTrue(waitFor(5) { lab.kernelPath == "vpn" }, "failover at the withdrawal:\n\(routesLogs(lab))", file: file, line: line)
        print("route-watch \(owner): failover \(Int(Date().timeIntervalSince(t0) * 1000)) ms after `gobgp global rib del`")
        XCTAssertEqual(state(lab, "routes"), "down", file: file, line: line)
        XCTAssertEqual(reason(lab, "routes"), "route-watch: 10.200.0.0/16 proto \(owner) gone from table main", file: file, line: line)
        // Nobody puts it back (zebra would, within milliseconds, if it had adopted hedge's nexthop).
        usleep(500_000)
        XCTAssertEqual(lab.kernelPath, "vpn", routesLogs(lab), file: file, line: line)
        (theirs, ours) = owners()
        XCTAssertEqual(theirs, "", "\(owner) withdrew its route", file: file, line: line)
        XCTAssertTrue(ours.contains("dev vpn0"), "hedge's route now over the VPN: \(ours)", file: file, line: line)
        // The BGP session itself is fine: only the route went.
        XCTAssertEqual(lab.bash("msee_established", check: false).0, 0, file: file, line: line)

        t0 = Date()
        mseeCLI(lab, "global rib add 10.200.0.0/16 origin igp -a ipv4")
        XCTAssertTrue(waitFor(10) { self.state(lab, "routes") == "up" }, "announced again:\n\(routesLogs(lab))", file: file, line: line)
        XCTAssertTrue(lab.waitSteady(seconds: 10), "failback:\n\(routesLogs(lab))", file: file, line: line)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 1, "not before the 1 s hold-down", file: file, line: line)
        (theirs, ours) = owners()
        XCTAssertTrue(theirs.contains("dev er0") && ours.contains("dev er0"), "\(theirs)\n\(ours)", file: file, line: line)
        XCTAssertEqual(switches(lab), settled + 2, "one failover, one failback: \(lab.group())", file: file, line: line)
        XCTAssertEqual((lab.status()["kernel"] as? [String: Any])?["errors"] as? Int, 0, lab.log, file: file, line: line)
    }

    /// FRR's zebra as the route owner. Two things keep zebra and hedge apart:
    /// - zebra takes any other program's route for a prefix into its RIB as a "kernel" route at
    ///   distance 0 and, preferring it to BGP (20), removes its own from the FIB: with hedge's group
    ///   route in main, the watched route would vanish as soon as hedge installs its own. hedge
    ///   keeps its routes in table 100, looked up (ip rule 2000) after hedge's probe-pinning rules
    ///   (1000 + path) and before main.
    /// - zebra adopts the kernel nexthop objects its RIB's routes use, hedge's included: when hedge
    ///   replaces its nexthop to fail over, zebra logs "Kernel updated a nexthop group with ID (4800)
    ///   that we are still using for a route, sending it back down" and puts the old gateway back
    ///   (as proto zebra). `zebra nexthop proto only` stops that; so does hedge's per-route mode.
    func watchRoutesFRR(_ tag: String, zebraExtra: String, kernelExtra: String) {
        let lab = Lab(tag)
        defer { stopFRR(lab); lab.bash("msee_stop", check: false) }
        lab.writeConfig(text: """
        path expressroute { priority 10; device er0; gateway 192.168.10.2; watch-routes bgp { prefix 10.200.0.0/16; } }
        \(Self.vpnPath)
        group azure { prefix 10.200.0.0/16; paths expressroute vpn; hold-down 1s; }
        kernel { table 100; \(kernelExtra) }
        """)
        _ = lab.onprem("ip rule add pref 2000 lookup 100")
        startMSEE(lab)
        startFRR(lab, zebraExtra: zebraExtra)
        lab.startHedge()
        watchRoutesFailover(lab, owner: "bgp", ownerMetric: 20, hedgeTable: "100")
        // zebra still selects its own BGP route in main (hedge's table 100 is none of its business).
        let zebra = sh("vtysh -N \(lab.prefix)-onprem -c 'show ip route 10.200.0.0/16' 2>/dev/null", check: false).1
        XCTAssertTrue(zebra.contains("Known via \"bgp\"") && zebra.contains("best"), zebra)
        XCTAssertFalse(zebra.contains("Known via \"kernel\""), zebra)
        if kernelExtra.isEmpty {
            let nh = lab.onprem("ip nexthop show id 4800", check: false)
            XCTAssertTrue(nh.contains("dev er0") && nh.contains("proto 88"), "hedge's nexthop object is still hedge's: \(nh)")
        }
    }

    func testWatchRoutesFRRDrivesFailover() {
        watchRoutesFRR("twr", zebraExtra: "zebra nexthop proto only\n", kernelExtra: "")
    }

    func testWatchRoutesFRRPerRouteDrivesFailover() {
        watchRoutesFRR("twp", zebraExtra: "", kernelExtra: "nexthop-objects off;")
    }

    /// BIRD as the route owner: its kernel protocol leaves routes it did not make alone, so hedge's
    /// route (metric 10) and BIRD's (metric 32) share the main table; the lower metric wins.
    func testWatchRoutesBIRDDrivesFailover() throws {
        let lab = Lab("twi")
        defer { stop(lab, "bird"); lab.bash("msee_stop", check: false) }
        lab.writeConfig(text: """
        path expressroute { priority 10; device er0; gateway 192.168.10.2; watch-routes bird { prefix 10.200.0.0/16; } }
        \(Self.vpnPath)
        group azure { prefix 10.200.0.0/16; paths expressroute vpn; hold-down 1s; }
        kernel { metric 10; }
        """)
        startMSEE(lab)
        startBIRD(lab)
        lab.startHedge()
        watchRoutesFailover(lab, owner: "bird", ownerMetric: 32, hedgeTable: "main")
        let route = lab.onprem("ip route show 10.200.0.0/16")
        XCTAssertTrue(route.contains("proto 88 metric 10") && route.contains("proto bird metric 32"), route)
    }
}

/// `hedge check` on the two signals' statements (no root needed).
final class LabWatchConfigTests: XCTestCase {
    func check(_ text: String) -> (Int32, String, String) {
        let path = NSTemporaryDirectory() + "hedge-watch-\(getpid())-\(UInt32.random(in: 0..<UInt32.max)).conf"
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let (rc, out) = sh("\(Lab.hedgeBin) check -c \(path) 2>&1", check: false)
        return (rc, out, path)
    }

    func testWatchRoutesAndBMPNeighborCheckClean() {
        let (rc, out, _) = check("""
        bmp { listen 127.0.0.1; port 11019; allow 127.0.0.1 192.0.2.7; grace 5s; }
        path expressroute {
            priority 10; device er0; gateway 192.168.10.2;
            bmp-neighbor 192.168.10.2 as 12076;
            watch-routes bgp { prefix 10.200.0.0/16 10.201.0.0/16; table 254; mode any; }
        }
        path vpn { priority 20; device vpn0; gateway 192.168.20.2; watch-routes 200 { prefix 10.200.0.0/16; } }
        path other { priority 30; device eth9; gateway 192.0.2.1; bmp-neighbor 192.0.2.2; watch-routes bird { prefix 2001:db8::/32; mode all; } }
        group azure { prefix 10.200.0.0/16; paths expressroute vpn other; }
        """)
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(out.contains("OK"), out)
        XCTAssertFalse(out.contains("warning"), out)
    }

    func testBadStatementsNameFileLineColumn() {
        let (rc, out, path) = check("""
        path expressroute {
            priority 10; device er0; gateway 192.168.10.2;
            watch-routes bpg { prefix 10.200.0.0/16; }
            bmp-neighbor 192.168.10.2 asn 12076;
        }
        path vpn {
            priority 20; device vpn0; gateway 192.168.20.2;
            watch-routes bird { prefix 10.200.0.0/16; mode some; }
            bmp-neighbor 192.168.20.300;
        }
        bmp { port 0; grace 1h; }
        group azure { prefix 10.200.0.0/16; paths expressroute vpn; }
        """)
        XCTAssertNotEqual(rc, 0, out)
        XCTAssertTrue(out.contains("\(path):3:18: error: unknown route protocol"), "bad protocol name, with its column: \(out)")
        XCTAssertTrue(out.contains("\(path):4:31: error:") && out.contains("asn"), "bmp-neighbor's 'as': \(out)")
        XCTAssertTrue(out.contains("\(path):8:52: error: mode must be all or any"), out)
        XCTAssertTrue(out.contains("\(path):9:18: error:"), "a bad neighbour address: \(out)")
        XCTAssertTrue(out.contains("\(path):11:") && out.contains("port must be 1–65535"), out)
        XCTAssertTrue(out.contains("grace must be 100ms–10m"), out)
        XCTAssertTrue(out.contains("nothing applied"), out)
    }

    func testWatchRoutesNeedsAPrefixAndAProtocol() {
        var (rc, out, path) = check("""
        path er { priority 10; device er0; gateway 192.168.10.2; watch-routes bgp { table 100; } }
        group g { prefix 10.200.0.0/16; paths er; }
        """)
        XCTAssertNotEqual(rc, 0, out)
        XCTAssertTrue(out.contains("\(path):1:") && out.contains("watch-routes needs at least one 'prefix PREFIX;'"), out)
        (rc, out, path) = check("""
        path er { priority 10; device er0; gateway 192.168.10.2; watch-routes { prefix 10.200.0.0/16; } }
        group g { prefix 10.200.0.0/16; paths er; }
        """)
        XCTAssertNotEqual(rc, 0, out)
        XCTAssertTrue(out.contains("\(path):1:"), out)
    }

    /// A station with nobody to use it is a warning, not an error.
    func testBMPStationWithoutNeighborWarns() {
        let (rc, out, path) = check("""
        bmp { listen 127.0.0.1; }
        path er { priority 10; device er0; gateway 192.168.10.2; }
        group g { prefix 10.200.0.0/16; paths er; }
        """)
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(out.contains("\(path):1:1: warning:") && out.contains("no path has 'bmp-neighbor'"), out)
    }
}
