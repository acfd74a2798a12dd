import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP's two phases: `prepare` opens and reads everything the new file needs and changes
/// nothing; any failure there refuses the reload. One test per kind of failure, each showing that
/// the running configuration stays whole: generation 1, `reloads_failed` 1, both paths up, the
/// group on its path, and the old listeners still serving.
final class LabReloadTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("reloads refused in the namespace lab (listeners, sockets, key files, VICI)")
    }

    /// Starts hedge on the lab's configuration plus `extra`, and waits until it is steady.
    func started(_ name: String, extra: String = "") -> Lab {
        let lab = Lab(name)
        lab.writeConfig()
        if !extra.isEmpty {
            try! ((try! String(contentsOfFile: lab.configPath, encoding: .utf8)) + "\n" + extra + "\n")
                .write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        }
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        return lab
    }

    /// Rewrites the file (`change` of the running text), sends SIGHUP and waits for the refusal.
    func refuse(_ lab: Lab, file: StaticString = #filePath, line: UInt = #line, _ change: (String) -> String) {
        let running = try! String(contentsOfFile: lab.configPath, encoding: .utf8)
        let next = change(running)
        XCTAssertNotEqual(next, running, file: file, line: line)
        try! next.write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(5) { lab.log.contains("keeping the running configuration (generation 1)") }, lab.log, file: file, line: line)
    }

    /// Generation 1 in force, the refusal counted, the paths and the group as they were; with
    /// `failover`, a far-end failure still moves the group.
    func assertWhole(_ lab: Lab, failover: Bool = true, file: StaticString = #filePath, line: UInt = #line) {
        let cfg = lab.status()["config"] as? [String: Any] ?? [:]
        XCTAssertEqual(cfg["generation"] as? Int, 1, "\(cfg)", file: file, line: line)
        XCTAssertEqual(cfg["reloads_failed"] as? Int, 1, "\(cfg)", file: file, line: line)
        XCTAssertEqual(cfg["reloads_succeeded"] as? Int, 0, "\(cfg)", file: file, line: line)
        XCTAssertFalse(lab.log.contains("reload: applied"), lab.log, file: file, line: line)
        let names = ((lab.status()["paths"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        XCTAssertEqual(names, ["expressroute", "vpn"], file: file, line: line)
        XCTAssertEqual(lab.path("expressroute")["state"] as? String, "up", file: file, line: line)
        XCTAssertEqual(lab.path("vpn")["state"] as? String, "up", file: file, line: line)
        XCTAssertEqual(lab.group()["active"] as? String, "expressroute", file: file, line: line)
        XCTAssertEqual(lab.kernelPath, "expressroute", file: file, line: line)
        guard failover else { return }
        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(5) { lab.kernelPath == "vpn" }, "failover after the refused reload:\n\(lab.log)", file: file, line: line)
        lab.bash("lab_restore_far")
    }

    func metrics(_ lab: Lab, port: Int) -> String {
        lab.onprem("curl -s --max-time 2 http://127.0.0.1:\(port)/metrics", check: false)
    }

    /// The reported case: `/metrics` moved to a port another program holds. Refused; the old
    /// endpoint still answers (monitoring must not go dark while the status says all is well).
    func testHTTPPortInUseRefusesAndTheOldEndpointStillServes() throws {
        let lab = started("st1", extra: "reporting { http 127.0.0.1 port 9180; }")
        XCTAssertTrue(metrics(lab, port: 9180).contains("hedge_config_generation"))
        sh("""
            ip netns exec st1-onprem python3 -c 'import socket, time
            s = socket.socket(); s.bind(("127.0.0.1", 9181)); s.listen(); time.sleep(60)' >/dev/null 2>&1 &
            echo $! >\(lab.dir)/holder.pid
            """)
        defer { sh("kill $(cat \(lab.dir)/holder.pid)", check: false) }
        XCTAssertTrue(waitFor(3) { lab.onprem("ss -ltn", check: false).contains("127.0.0.1:9181") })
        refuse(lab) { $0.replacingOccurrences(of: "port 9180", with: "port 9181") }
        XCTAssertTrue(lab.log.contains("9181"), "the refusal names the endpoint:\n\(lab.log)")
        let m = metrics(lab, port: 9180)
        XCTAssertTrue(m.contains("hedge_config_reloads_failed_total 1") || m.contains("hedge_config_last_reload_success 0"), m)
        XCTAssertFalse(lab.log.contains("retrying in 30 s"), lab.log)
        assertWhole(lab)
        XCTAssertTrue(metrics(lab, port: 9180).contains("hedge_config_generation"), "the old endpoint serves on")
    }

    /// The same move to a free port is applied: the new endpoint answers, the old one is closed.
    func testHTTPMovedToAFreePortIsApplied() throws {
        let lab = started("st2", extra: "reporting { http 127.0.0.1 port 9180; }")
        try (String(contentsOfFile: lab.configPath, encoding: .utf8).replacingOccurrences(of: "port 9180", with: "port 9182"))
            .write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(5) { lab.log.contains("as generation 2") }, lab.log)
        XCTAssertTrue(metrics(lab, port: 9182).contains("hedge_config_generation"), lab.log)
        XCTAssertEqual(metrics(lab, port: 9180), "", "the old endpoint is closed")
    }

    /// A control socket whose directory cannot be made (a regular file is in the way).
    func testControlSocketPathNotCreatableRefuses() throws {
        let lab = started("st3")
        sh("echo x >\(lab.dir)/notadir")
        refuse(lab) { $0.replacingOccurrences(of: lab.socketPath, with: lab.dir + "/notadir/hedge.sock") }
        XCTAssertTrue(lab.log.contains("notadir/hedge.sock"), lab.log)
        assertWhole(lab)
    }

    /// Key files: a BGP MD5 key file that is not there, and a reflect key file that is too open.
    func testMissingOrTooOpenKeyFileRefuses() throws {
        let lab = started("st4")
        refuse(lab) {
            $0.replacingOccurrences(of: "    gateway 192.168.10.2;\n",
                                    with: "    gateway 192.168.10.2;\n    bgp 192.168.10.2 { remote-as 12076; md5-key-file \"\(lab.dir)/no-such.key\"; }\n")
        }
        XCTAssertTrue(lab.log.contains("no-such.key"), lab.log)
        assertWhole(lab, failover: false)

        sh("printf 'k%.0s' $(seq 1 32) >\(lab.dir)/reflect.key && chmod 0644 \(lab.dir)/reflect.key")
        let running = try String(contentsOfFile: lab.configPath, encoding: .utf8)
        let original = running.replacingOccurrences(of: "    bgp 192.168.10.2 { remote-as 12076; md5-key-file \"\(lab.dir)/no-such.key\"; }\n", with: "")
        let bad = original.replacingOccurrences(of: "    gateway 192.168.20.2;\n    probe icmp 10.200.0.4",
                                                with: "    gateway 192.168.20.2;\n    probe reflect 10.200.0.4 { key-file \"\(lab.dir)/reflect.key\"; } # was: probe icmp 10.200.0.4")
        XCTAssertNotEqual(bad, original)
        try bad.write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(5) { lab.log.contains("reflect.key") }, lab.log)
        let cfg = lab.status()["config"] as? [String: Any] ?? [:]
        XCTAssertEqual(cfg["generation"] as? Int, 1, "\(cfg)")
        XCTAssertEqual(cfg["reloads_failed"] as? Int, 2, "\(cfg)")
        XCTAssertEqual((lab.path("vpn")["probe"] as? [String: Any])?["kind"] as? String, "icmp")
        XCTAssertEqual(lab.group()["active"] as? String, "expressroute")
    }

    /// A BFD session on a device that does not exist: SO_BINDTODEVICE refuses it.
    func testBFDSocketThatCannotBeOpenedRefuses() throws {
        let lab = started("st5")
        refuse(lab) {
            $0 + """

                path ghost { priority 30; device nosuchdev0; gateway 192.168.30.2; bfd 192.168.30.2 { interval 10ms; multiplier 3; } }
                group ghostly { prefix 10.251.0.0/16; paths ghost; }

                """
        }
        XCTAssertTrue(lab.log.contains("nosuchdev0"), lab.log)
        XCTAssertNil(((lab.status()["groups"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == "ghostly" })
        assertWhole(lab)
    }

    /// An event queue whose directory cannot be made: at start that only costs the queue; on
    /// reload it refuses (the running queue and its events carry on).
    func testEventSpoolNotCreatableRefuses() throws {
        let lab = started("st7")
        sh("echo x >\(lab.dir)/notadir")
        refuse(lab) { $0 + "\nreporting { push \"http://127.0.0.1:18097/hedge/events\" { spool \"\(lab.dir)/notadir/spool\"; } }\n" }
        XCTAssertTrue(lab.log.contains("notadir/spool"), lab.log)
        assertWhole(lab)
    }

    /// strongSwan keying with a VICI socket that is not there: charon is connected in `prepare`.
    func testVICINotReachableRefuses() throws {
        let lab = started("st6")
        refuse(lab) {
            // The tunnel is point-to-point: no gateway. Never applied: prepare refuses first.
            $0.replacingOccurrences(of: "    gateway 192.168.20.2;\n",
                                    with: """
                                            ipsec { if-id 77; local 192.168.20.1; remote 192.168.20.2; strongswan { connection azure; vici "\(lab.dir)/no-charon.vici"; } }

                                        """)
        }
        XCTAssertTrue(lab.log.contains("no-charon.vici"), lab.log)
        assertWhole(lab)
        XCTAssertNil(lab.path("vpn")["tunnel"], "no tunnel was set up")
    }
}
