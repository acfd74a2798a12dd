import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The agent's life cycle against the lab's real kernel: restart, reload, event overruns, exit.
final class LabAgentTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("hedge agent life cycle in the namespace lab")
    }

    /// A restart with the same config adopts what is there and changes nothing: proven with a
    /// netlink monitor (`ip monitor`) that sees no route, nexthop or rule message at all.
    func testRestartMakesZeroNetlinkChanges() throws {
        let lab = Lab("tr")
        lab.writeConfig()
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        lab.stopHedge()
        XCTAssertEqual(lab.kernelPath, "expressroute", "SIGTERM leaves the routes in place")

        let mon = Process()
        mon.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        mon.arguments = ["-n", "tr-onprem", "monitor", "route", "nexthop", "rule"]
        let pipe = Pipe()
        mon.standardOutput = pipe
        try mon.run()
        usleep(300_000)
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        usleep(500_000)
        mon.terminate()
        mon.waitUntilExit()
        let all = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // The kernel's own IPv6 link-local churn is not hedge's; anything of hedge's would carry
        // its protocol, its nexthop id or its probe marks.
        let seen = all.split(separator: "\n").filter {
            $0.contains("proto 88") || $0.contains("id 4800") || $0.contains("0x4865") || $0.hasPrefix("Deleted")
                && !$0.contains("proto kernel")
        }
        XCTAssertEqual(seen, [], "a restart must not touch the kernel; the monitor saw:\n\(all)")
        XCTAssertEqual(lab.kernelChanges, 0)
        XCTAssertTrue(lab.log.contains("adopting expressroute from the kernel"), lab.log)
    }

    /// The same while traffic sits on the VPN: a restart keeps it there (no flap back and forth).
    func testRestartOnTheBackupPathKeepsIt() throws {
        let lab = Lab("tb")
        lab.writeConfig(holdDown: "30s")
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(5) { lab.kernelPath == "vpn" }, lab.log)
        lab.stopHedge()
        lab.bash("lab_restore_far")
        lab.startHedge()
        usleep(1_500_000)
        XCTAssertEqual(lab.kernelPath, "vpn", "ExpressRoute is back, but the 30 s hold-down has not passed")
        XCTAssertEqual(lab.kernelChanges, 0)
    }

    func testSIGHUPAppliesAGoodConfigAndKeepsTheOldOnErrors() throws {
        let lab = Lab("th")
        lab.writeConfig()
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)

        // A broken file: nothing applied, the agent keeps running with what it had.
        let good = try String(contentsOfFile: lab.configPath, encoding: .utf8)
        try (good + "\nbogus-statement 1;\n").write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(3) { lab.log.contains("keeping the running configuration") }, lab.log)
        XCTAssertTrue(lab.log.contains("hedge.conf:"), "the error names file:line:column:\n\(lab.log)")
        XCTAssertEqual(lab.kernelPath, "expressroute")

        // A good one with one more prefix: applied without touching the existing route.
        let more = good.replacingOccurrences(of: "prefix 10.200.0.0/16;", with: "prefix 10.200.0.0/16; prefix 10.201.0.0/16;")
        try more.write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(3) { lab.onprem("ip route show proto 88").contains("10.201.0.0/16 nhid 4800") }, lab.log)
        XCTAssertTrue(lab.waitSteady(), lab.log)
    }

    /// Someone deletes hedge's route or nexthop: the event brings it back at once.
    func testDeletedObjectsAreRestored() throws {
        let lab = Lab("td")
        lab.writeConfig()
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        _ = lab.onprem("ip route del 10.200.0.0/16 proto 88")
        XCTAssertTrue(waitFor(2) { lab.kernelPath == "expressroute" }, "route restored:\n\(lab.log)")
        _ = lab.onprem("ip nexthop del id 4800")
        XCTAssertTrue(waitFor(2) { lab.kernelPath == "expressroute" }, "nexthop and route restored:\n\(lab.log)")
    }

    /// The VPN fails while ExpressRoute carries the traffic: the no-redundancy alarm is raised (status,
    /// JSON, log) and cleared when the VPN is back.
    func testNoRedundancyAlarmRaisedAndCleared() throws {
        let lab = Lab("tn")
        lab.writeConfig()
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        XCTAssertEqual(lab.group()["redundant"] as? Bool, true)
        _ = sh("ip -n tn-vpn link set onprem0 down")
        XCTAssertTrue(waitFor(3) { lab.group()["redundant"] as? Bool == false }, lab.log)
        XCTAssertTrue((lab.group()["no_redundancy"] as? String ?? "").contains("vpn"), "\(lab.group())")
        XCTAssertEqual(lab.kernelPath, "expressroute")
        XCTAssertTrue(lab.onprem("\(Lab.hedgeBin) status -s \(lab.socketPath)").contains("ALARM no redundancy"))
        XCTAssertTrue(lab.log.contains("ALARM no redundancy"), lab.log)
        _ = sh("ip -n tn-vpn link set onprem0 up")
        XCTAssertTrue(waitFor(5) { lab.group()["redundant"] as? Bool == true }, lab.log)
        XCTAssertTrue(lab.log.contains("redundancy restored"), lab.log)
    }

    /// Another daemon rewrites hedge's nexthop object (FRR's zebra does: it adopts kernel nexthop
    /// objects and "sends them back down" as proto zebra): hedge says so, naming the protocol, and puts
    /// its object back once; a daemon that keeps fighting is reported, not fought in a loop.
    func testForeignRewriteOfTheNexthopIsReportedAndUndone() throws {
        let lab = Lab("tz")
        lab.writeConfig()
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        _ = lab.onprem("ip nexthop replace id 4800 via 192.168.20.2 dev vpn0 proto zebra")
        XCTAssertTrue(waitFor(2) { lab.kernelPath == "expressroute" }, "hedge's object put back:\n\(lab.log)")
        XCTAssertTrue(lab.onprem("ip nexthop show id 4800").contains("proto 88"))
        let err = (lab.status()["kernel"] as? [String: Any])?["last_error"] as? String ?? ""
        XCTAssertTrue(err.contains("nexthop id 4800") && err.contains("zebra"), err)
        // At once again: reported, left alone for 10 s.
        _ = lab.onprem("ip nexthop replace id 4800 via 192.168.20.2 dev vpn0 proto zebra")
        XCTAssertTrue(waitFor(3) { lab.log.contains("not re-asserting") }, lab.log)
        XCTAssertEqual(lab.kernelPath, "vpn")
    }

    /// A flood of route events into a small event socket: the kernel drops events (ENOBUFS), hedge
    /// notices, re-dumps, and still holds the right state.
    func testEventOverrunTriggersFullRedump() throws {
        let lab = Lab("te")
        lab.writeConfig(kernelExtra: "netlink-receive-buffer 4096;")
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        var add = "", del = ""
        for i in 0..<5000 {
            add += "route add 10.\(100 + i / 250).\(i % 250).0/24 via 192.168.20.2\n"
            del += "route del 10.\(100 + i / 250).\(i % 250).0/24 via 192.168.20.2\n"
        }
        try add.write(toFile: lab.dir + "/add.batch", atomically: true, encoding: .utf8)
        try del.write(toFile: lab.dir + "/del.batch", atomically: true, encoding: .utf8)
        // Between two floods someone removes hedge's route: its event may be among the dropped ones,
        // and only a re-dump can find out.
        // The agent is stopped meanwhile (as a busy agent would be): events pile up and overflow.
        lab.signalHedge(SIGSTOP)
        _ = lab.onprem("ip -batch \(lab.dir)/add.batch")
        _ = lab.onprem("ip route del 10.200.0.0/16 proto 88")
        _ = lab.onprem("ip -batch \(lab.dir)/del.batch")
        lab.signalHedge(SIGCONT)
        XCTAssertTrue(waitFor(5) { ((lab.status()["kernel"] as? [String: Any])?["resyncs"] as? Int ?? 0) >= 1 },
                      "ENOBUFS must be seen and answered by a re-dump:\n\(lab.log)")
        XCTAssertTrue(lab.log.contains("ENOBUFS"), lab.log)
        XCTAssertTrue(waitFor(3) { lab.kernelPath == "expressroute" }, lab.log)
    }

    func testWithdrawOnExitRemovesEverything() throws {
        let lab = Lab("tw")
        lab.writeConfig(kernelExtra: "withdraw-on-exit on;")
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        lab.stopHedge()
        XCTAssertEqual(lab.onprem("ip route show table all proto 88"), "")
        XCTAssertEqual(lab.onprem("ip nexthop list proto 88", check: false), "")
        XCTAssertFalse(lab.onprem("ip rule").contains("proto 88"))
    }

    /// A client that connects to the control socket and says nothing must not stall the event loop
    /// (probes run on it: a stall longer than the detection time would look like a dead path).
    func testIdleControlClientDoesNotStallTheAgent() throws {
        let lab = Lab("ti")
        lab.writeConfig()
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        let idle = Process()
        idle.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        idle.arguments = ["-c", "import socket,time\nss=[]\nfor i in range(20):\n s=socket.socket(socket.AF_UNIX); s.connect('\(lab.socketPath)'); ss.append(s)\ntime.sleep(2)"]
        try idle.run()
        usleep(1_000_000)
        XCTAssertEqual(lab.group()["switches"] as? Int, 1, "no failover while idle clients hang on:\n\(lab.log)")
        XCTAssertEqual(lab.path("expressroute")["flaps"] as? Int, 0, lab.log)
        idle.waitUntilExit()
    }

    /// The UDP echo probe (RFC 862) against a responder in the VNet, instead of ICMP.
    func testUDPEchoProbeDetectsAFarEndFailure() throws {
        let lab = Lab("tu")
        lab.writeConfig()
        let conf = try String(contentsOfFile: lab.configPath, encoding: .utf8)
            .replacingOccurrences(of: "probe icmp 10.200.0.4", with: "probe udp 10.200.0.4 port 7")
        try conf.write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        let echo = Process()
        echo.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        echo.arguments = ["netns", "exec", "tu-azure", "python3", "-c",
                          "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('10.200.0.4',7))\nwhile True:\n d,a=s.recvfrom(2048); s.sendto(d,a)"]
        try echo.run()
        defer { echo.terminate(); echo.waitUntilExit() }
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        XCTAssertEqual((lab.path("vpn")["probe"] as? [String: Any])?["kind"] as? String, "udp")
        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(3) { lab.kernelPath == "vpn" }, lab.log)
        let last = lab.group()["last_switch"] as? [String: Any] ?? [:]
        XCTAssertTrue((last["reason"] as? String ?? "").contains("probe"), "\(last)")
    }

    func testStatusTableReadsLikeBirdc() throws {
        let lab = Lab("ts")
        lab.writeConfig()
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        let table = lab.onprem("\(Lab.hedgeBin) status -s \(lab.socketPath)")
        XCTAssertTrue(table.contains("Path"), table)
        XCTAssertTrue(table.contains("expressroute  10"), table)
        XCTAssertTrue(table.contains("azure  expressroute  10.200.0.0/16  4800"), table)
    }
}
