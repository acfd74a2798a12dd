import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `hedge drill` against the running agent in the lab: the architecture's four steps, the refusal
/// without a backup, and the restore on SIGINT.
final class LabDrillTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("hedge drill in the namespace lab")
    }

    func drill(_ lab: Lab, _ extra: String = "") -> (Int32, String) {
        sh("ip netns exec \(lab.prefix)-onprem \(Lab.hedgeBin) drill -s \(lab.socketPath) \(extra)", check: false)
    }

    func testDrillPassesAndIsRecorded() throws {
        let lab = Lab("tdp")
        lab.writeConfig(holdDown: "1s")
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        let (rc, out) = drill(lab)
        XCTAssertEqual(rc, 0, out)
        for step in ["STEP 1", "STEP 2", "STEP 3", "STEP 4", "RESULT  drill passed"] { XCTAssertTrue(out.contains(step), out) }
        XCTAssertTrue(out.contains("traffic moved to vpn"), out)
        XCTAssertEqual(lab.kernelPath, "expressroute")
        XCTAssertTrue((lab.status()["last_drill"] as? String ?? "").contains("ok"), "\(lab.status())")
        // Where the quarterly test's evidence is read from afar: /metrics.
        let metrics = lab.onprem("curl -s --max-time 3 http://127.0.0.1:9180/metrics")
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("hedge_drill_last_success_timestamp_seconds ") }
        let at = line.flatMap { Double($0.split(separator: " ")[1]) } ?? 0
        XCTAssertEqual(at, Date().timeIntervalSince1970, accuracy: 60, "the last successful drill in /metrics: \(line.map(String.init) ?? "missing")")
    }

    func testDrillRefusesWithoutRedundancy() throws {
        let lab = Lab("tdr")
        lab.writeConfig(holdDown: "1s")
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        sh("ip -n tdr-vpn link set onprem0 down")   // the VPN loses carrier
        XCTAssertTrue(waitFor(3) { lab.path("vpn")["state"] as? String == "down" }, lab.log)
        let (rc, out) = drill(lab)
        XCTAssertNotEqual(rc, 0)
        XCTAssertTrue(out.contains("REFUSED"), out)
        XCTAssertEqual(lab.kernelPath, "expressroute", "a refused drill touches nothing")
    }

    func testInterruptedDrillReleasesExpressRoute() throws {
        let lab = Lab("tdi")
        lab.writeConfig(holdDown: "1s")
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", "tdi-onprem", Lab.hedgeBin, "drill", "-s", lab.socketPath]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        XCTAssertTrue(waitFor(3) { lab.kernelPath == "vpn" }, "the drill moved traffic:\n\(lab.log)")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertNotEqual(p.terminationStatus, 0)
        XCTAssertTrue(waitFor(5) { lab.kernelPath == "expressroute" }, "released on SIGINT, failback follows:\n\(lab.log)")
    }
}
