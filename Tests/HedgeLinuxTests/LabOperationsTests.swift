import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Running hedge as a service: a crash and restart mid-stream, least privilege, the service
/// manager's notify protocol and watchdog, and reloads that keep what did not change.
final class LabOperationsTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("hedge operations in the namespace lab (kill -9, --user, notify, reload)")
    }

    /// `kill -9` in the middle of a 1 kHz stream, then a new hedge: the kernel sees not one route,
    /// nexthop, rule or XFRM message, and the stream loses not one packet.
    func testKill9AndRestartChangeNothingAndLoseNothing() throws {
        let lab = Lab("tk")
        lab.writeConfig()
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        let mon = lab.dir + "/monitor.txt", xmon = lab.dir + "/xfrm-monitor.txt"
        sh("""
            ip -n tk-onprem monitor route nexthop rule >\(mon) 2>&1 & echo $! >\(lab.dir)/mon.pid
            ip -n tk-onprem xfrm monitor >\(xmon) 2>&1 & echo $! >\(lab.dir)/xmon.pid
            """)
        lab.bash("lab_stream_recv_start kill9 --until-idle-ms 1500 >/dev/null && { lab_stream_send --rate 1000 --duration-ms 5000 >/dev/null 2>&1 & }")
        usleep(1_000_000)
        lab.stopHedge(signal: SIGKILL)
        usleep(300_000)
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        let (_, out) = lab.bash("lab_stream_recv_wait kill9 20")
        sh("kill $(cat \(lab.dir)/mon.pid) $(cat \(lab.dir)/xmon.pid)", check: false)
        let line = out.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        let r = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        XCTAssertEqual(r["received"] as? Int, 5000, "every packet of the stream arrived: \(r)")
        XCTAssertEqual(r["lost"] as? Int, 0, "\(r)")
        let seen = ((try? String(contentsOfFile: mon, encoding: .utf8)) ?? "").split(separator: "\n").filter {
            $0.contains("proto 88") || $0.contains("id 4800") || $0.contains("0x4865") || $0.hasPrefix("Deleted") && !$0.contains("proto kernel")
        }
        XCTAssertEqual(seen, [], "kill -9 and restart must not touch the kernel")
        let xfrm = (try? String(contentsOfFile: xmon, encoding: .utf8)) ?? "?"
        XCTAssertEqual(xfrm.trimmingCharacters(in: .whitespacesAndNewlines), "", "no XFRM message either")
        XCTAssertEqual(lab.kernelChanges, 0)
        XCTAssertTrue(lab.log.contains("adopting expressroute from the kernel"), lab.log)
    }

    /// `--user`: the agent gives up root and keeps CAP_NET_ADMIN and CAP_NET_RAW only, and still
    /// fails over (a route change) and reloads.
    func testRunsAsAnUnprivilegedUserWithTwoCapabilities() throws {
        sh("id hedge-test >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin hedge-test")
        let lab = Lab("tu")
        lab.writeConfig()
        // An event queue to write after the drop (no collector: it only fills).
        try (String(contentsOfFile: lab.configPath, encoding: .utf8)
             + "\nreporting { push \"http://127.0.0.1:18097/hedge/events\" { spool \"\(lab.dir)/spool\"; } }\n")
            .write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        lab.extraArguments = ["--user", "hedge-test"]
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        let pid = lab.hedge!.processIdentifier
        let st = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String {
            st.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) } ?? "?"
        }
        let uid = sh("id -u hedge-test").1.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(field("Uid").hasPrefix(uid + "\t"), "real uid is hedge-test's: \(field("Uid"))")
        XCTAssertEqual(field("CapEff"), "0000000000003000", "CAP_NET_ADMIN (12) and CAP_NET_RAW (13) only")
        XCTAssertEqual(field("CapPrm"), "0000000000003000")
        XCTAssertEqual(field("CapBnd"), "0000000000003000", "nothing can be regained")
        XCTAssertEqual(field("NoNewPrivs"), "1")
        XCTAssertTrue(lab.log.contains("running as hedge-test"), lab.log)
        // The control socket stays root's.
        let sock = sh("stat -c '%U %a' \(lab.socketPath)").1.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(sock, "root 600")
        let queued = (lab.status()["events"] as? [String: Any])?["queued"] as? Int ?? -1
        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(5) { lab.kernelPath == "vpn" }, "failover as hedge-test:\n\(lab.log)")
        XCTAssertTrue(waitFor(3) { ((lab.status()["events"] as? [String: Any])?["queued"] as? Int ?? -1) > queued },
                      "hedge-test still writes its event queue: \(lab.status()["events"] ?? "")")
        XCTAssertFalse(lab.log.contains("spool"), "no spool error:\n\(lab.log)")
        lab.bash("lab_restore_far")
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(3) { lab.log.contains("reload: applied") }, lab.log)
        XCTAssertTrue(waitFor(8) { lab.kernelPath == "expressroute" }, "failback:\n\(lab.log)")
    }

    /// systemd's notify protocol, spoken to a receiver of our own (no systemd as PID 1 here):
    /// READY=1 once running, WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1 then READY=1 on
    /// SIGHUP, STOPPING=1 on SIGTERM.
    func testNotifyProtocolAndWatchdog() throws {
        let lab = Lab("tw")
        lab.writeConfig()
        let sock = lab.dir + "/notify.sock", got = lab.dir + "/notify.txt"
        let py = """
            import socket, sys, os
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
            with open(sys.argv[2], 'a') as f:
                while True:
                    m = s.recv(4096).decode()
                    f.write(m.replace('\\n', '|') + '\\n'); f.flush()
            """
        try py.write(toFile: lab.dir + "/notify.py", atomically: true, encoding: .utf8)
        sh("python3 \(lab.dir)/notify.py \(sock) \(got) >/dev/null 2>&1 & echo $! >\(lab.dir)/notify.pid")
        XCTAssertTrue(waitFor(3) { FileManager.default.fileExists(atPath: sock) }, "the notify receiver is bound")
        defer { sh("kill $(cat \(lab.dir)/notify.pid)", check: false) }
        lab.environment = ["NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "200000"]
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        XCTAssertTrue(waitFor(3) { ((try? String(contentsOfFile: got, encoding: .utf8)) ?? "").components(separatedBy: "WATCHDOG=1").count > 8 })
        var lines = ((try? String(contentsOfFile: got, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("READY=1|STATUS=azure via") ?? false, "\(lines)")
        XCTAssertGreaterThanOrEqual(lines.filter { $0 == "WATCHDOG=1" }.count, 8, "a ping every 100 ms: \(lines)")
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(3) { ((try? String(contentsOfFile: got, encoding: .utf8)) ?? "").contains("RELOADING=1|MONOTONIC_USEC=") })
        XCTAssertTrue(waitFor(3) { ((try? String(contentsOfFile: got, encoding: .utf8)) ?? "").components(separatedBy: "RELOADING=1").last?.contains("READY=1") == true })
        lines = ((try? String(contentsOfFile: got, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        let reload = lines.firstIndex { $0.hasPrefix("RELOADING=1") } ?? lines.count
        XCTAssertTrue(lines[reload...].contains { $0.hasPrefix("READY=1") }, "READY=1 after the reload: \(lines)")
        // A stopped event loop stops the pings: the watchdog would restart the agent.
        kill(lab.hedge!.processIdentifier, SIGSTOP)
        usleep(200_000)
        let before = ((try? String(contentsOfFile: got, encoding: .utf8)) ?? "").count
        usleep(500_000)
        XCTAssertEqual(((try? String(contentsOfFile: got, encoding: .utf8)) ?? "").count, before, "no ping from a stalled loop")
        kill(lab.hedge!.processIdentifier, SIGCONT)
        lab.stopHedge()
        XCTAssertTrue(((try? String(contentsOfFile: got, encoding: .utf8)) ?? "").contains("STOPPING=1"))
    }

    /// A reload that changes only another group keeps the paths' sessions and counters; one that
    /// names an unreadable key file is refused whole, and says so.
    func testReloadKeepsUnchangedPathsAndRefusesABadKeyFile() throws {
        let lab = Lab("tr2")
        lab.writeConfig()
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        XCTAssertTrue(waitFor(3) { (lab.path("expressroute")["probe"] as? [String: Any])?["sent"] as? Int ?? -1 > 10 })
        let sentBefore = (lab.path("expressroute")["probe"] as? [String: Any])?["sent"] as? Int ?? -1
        XCTAssertGreaterThan(sentBefore, 10)
        let good = try String(contentsOfFile: lab.configPath, encoding: .utf8)
        try (good + "\ngroup extra { prefix 10.250.0.0/16; paths expressroute vpn; }\n")
            .write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(3) { lab.log.contains("as generation 2") }, lab.log)
        XCTAssertTrue(lab.log.contains("group extra: added"), lab.log)
        let sentAfter = (lab.path("expressroute")["probe"] as? [String: Any])?["sent"] as? Int ?? -1
        XCTAssertGreaterThan(sentAfter, sentBefore, "the probe carried on counting: it was not restarted")
        XCTAssertEqual(lab.path("expressroute")["state"] as? String, "up")
        XCTAssertTrue(waitFor(3) { lab.onprem("ip route show proto 88").contains("10.250.0.0/16") })

        // A reflect probe whose key file is world-readable: refused, nothing applied.
        sh("printf 'k%.0s' $(seq 1 32) >\(lab.dir)/reflect.key && chmod 0644 \(lab.dir)/reflect.key")
        let bad = good.replacingOccurrences(of: "probe icmp 10.200.0.4 { interval 10ms; threshold 3; recover 3; }\n}\n\ngroup",
                                            with: "probe icmp 10.200.0.4 { interval 10ms; threshold 3; recover 3; }\n}\n\ngroup")
            .replacingOccurrences(of: "path vpn {\n    priority 20;\n    device vpn0;\n    gateway 192.168.20.2;\n    probe icmp 10.200.0.4",
                                  with: "path vpn {\n    priority 20;\n    device vpn0;\n    gateway 192.168.20.2;\n    probe reflect 10.200.0.4 { key-file \"\(lab.dir)/reflect.key\"; } # was: probe icmp 10.200.0.4")
        XCTAssertNotEqual(bad, good)
        try bad.write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(3) { lab.log.contains("keeping the running configuration (generation 2)") }, lab.log)
        XCTAssertTrue(lab.log.contains("reflect.key"), "the refusal names the file:\n\(lab.log)")
        let cfg = lab.status()["config"] as? [String: Any] ?? [:]
        XCTAssertEqual(cfg["generation"] as? Int, 2, "\(cfg)")
        XCTAssertEqual(cfg["reloads_failed"] as? Int, 1, "\(cfg)")
        XCTAssertTrue(lab.onprem("ip route show proto 88").contains("10.250.0.0/16"), "generation 2 still in force")
        XCTAssertEqual((lab.path("vpn")["probe"] as? [String: Any])?["kind"] as? String, "icmp")
    }
}
