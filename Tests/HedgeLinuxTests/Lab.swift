import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The namespace lab of lab/netns.sh (onprem, edge, vpn, azure) with hedge running in onprem;
/// `link2_up` (lab/link2.sh) adds the circuit's second link.
final class Lab {
    let prefix: String
    let dir: String
    var hedge: Process?
    /// More `hedge run` arguments (`--user NAME`) and environment (NOTIFY_SOCKET) for the next start.
    var extraArguments: [String] = []
    /// The hedge executable for `startHedge` and `status` (default: `Lab.hedgeBin`).
    var binary: String?
    var environment: [String: String] = [:]
    var configPath: String { dir + "/hedge.conf" }
    var socketPath: String { dir + "/hedge.sock" }
    var logPath: String { dir + "/hedge.log" }

    static var binDir: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    }
    static var hedgeBin: String {
        ProcessInfo.processInfo.environment["HEDGE_BIN"] ?? binDir + "/hedge"
    }
    /// The reflector, a program of its own (HEDGE_REFLECT_BIN: an Embedded build to test instead).
    static var reflectBin: String {
        ProcessInfo.processInfo.environment["HEDGE_REFLECT_BIN"] ?? binDir + "/hedge-reflect"
    }

    /// LAB_PREFIXES of lab/netns.sh: the VNet as that many /24s from 10.100.0.0, announced by the
    /// MSEE stand-in; the stream and `kernelPath` then aim at the last of them.
    let scalePrefixes: Int

    /// AZURE_VPN of lab/azure.sh: how Azure's VPN gateway knows on-prem ("static" or "bgp").
    let azureVPN: String

    init(_ prefix: String, prefixes: Int = 0, azureVPN: String = "static") {
        self.prefix = prefix
        scalePrefixes = prefixes
        self.azureVPN = azureVPN
        dir = "/tmp/hedge-test-\(prefix)"
        sh("rm -rf \(dir) && mkdir -p \(dir)")
        bash("lab_up")
    }

    deinit {
        stopHedge()
        bash("lab_down", check: false)
    }

    @discardableResult
    func bash(_ script: String, check: Bool = true, file: StaticString = #filePath, line: UInt = #line) -> (Int32, String) {
        sh("cd \(packageRoot) && export LAB=\(prefix) LAB_PREFIXES=\(scalePrefixes) AZURE_VPN=\(azureVPN) LABSTREAM_BIN=\(Lab.binDir)/labstream && source lab/netns.sh && source lab/edge-bfd.sh && source lab/anchors.sh && source lab/msee.sh && source lab/link2.sh && \(script)",
           check: check, file: file, line: line)
    }

    func onprem(_ cmd: String, check: Bool = true) -> String {
        sh("ip netns exec \(prefix)-onprem \(cmd)", check: check).1
    }

    /// The lab's config with this lab's control socket and the given extra statements.
    func writeConfig(holdDown: String = "2s", kernelExtra: String = "", groupExtra: String = "",
                     file: StaticString = #filePath, line: UInt = #line) {
        var text = try! String(contentsOfFile: packageRoot + "/lab/hedge-lab.conf", encoding: .utf8)
        text = text.replacingOccurrences(of: "/run/hedge-lab.sock", with: socketPath)
        text = text.replacingOccurrences(of: "hold-down 2s;", with: "hold-down \(holdDown); \(groupExtra)")
        if !kernelExtra.isEmpty { text += "\nkernel { \(kernelExtra) }\n" }
        try! text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// A config of the test's own, with this lab's control socket.
    func writeConfig(text: String) {
        try! (text + "\ncontrol { socket \"\(socketPath)\"; }\n").write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func startHedge(file: StaticString = #filePath, line: UInt = #line) {
        unlink(socketPath)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", "\(prefix)-onprem", binary ?? Lab.hedgeBin, "run", "-v", "-c", configPath] + extraArguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try! p.run()
        hedge = p
        XCTAssertTrue(waitFor(5) { FileManager.default.fileExists(atPath: self.socketPath) },
                      "hedge did not open its control socket:\n\(self.log)", file: file, line: line)
    }

    func stopHedge(signal: Int32 = SIGTERM) {
        guard let p = hedge else { return }
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        hedge = nil
    }

    func signalHedge(_ sig: Int32) { if let p = hedge { kill(p.processIdentifier, sig) } }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func status() -> [String: Any] {
        let out = onprem("\(binary ?? Lab.hedgeBin) status --json -s \(socketPath)")
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? [:]
    }

    func group(_ name: String = "azure") -> [String: Any] {
        ((status()["groups"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == name } ?? [:]
    }

    func path(_ name: String) -> [String: Any] {
        ((status()["paths"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == name } ?? [:]
    }

    var kernelChanges: Int { (status()["kernel"] as? [String: Any])?["changes"] as? Int ?? -1 }

    /// Which path the kernel uses for the VNet host (lab_target) from the on-prem LAN.
    var kernelPath: String { bash("lab_path_of").1.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Waits until both paths are up and the group sits on `active`.
    func waitSteady(active: String = "expressroute", seconds: Double = 10) -> Bool {
        waitFor(seconds) {
            self.path("expressroute")["state"] as? String == "up" && self.path("vpn")["state"] as? String == "up"
                && self.group()["active"] as? String == active && self.kernelPath == active
        }
    }
}

func waitFor(_ seconds: Double, _ cond: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if cond() { return true }
        usleep(50_000)
    }
    return cond()
}
