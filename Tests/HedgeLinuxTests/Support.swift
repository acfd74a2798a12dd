import Foundation
import XCTest
import CHedge
#if canImport(Glibc)
import Glibc
#endif

/// Tests that need root and a kernel feature skip loudly outside CI and must run in CI.
func requireRoot(_ what: String) throws {
    let inCI = ProcessInfo.processInfo.environment["CI"] == "true"
    if getuid() != 0 || !FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") && !FileManager.default.isExecutableFile(atPath: "/sbin/ip") {
        let msg = "SKIPPED (needs root and iproute2): \(what)"
        FileHandle.standardError.write(("\n*** " + msg + " ***\n").data(using: .utf8)!)
        if inCI { XCTFail("CI=true but " + msg); return }
        throw XCTSkip(msg)
    }
}

@discardableResult
func sh(_ command: String, check: Bool = true, file: StaticString = #filePath, line: UInt = #line) -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = ["-c", command]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try! p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let out = String(decoding: data, as: UTF8.self)
    if check && p.terminationStatus != 0 {
        XCTFail("command failed (\(p.terminationStatus)): \(command)\n\(out)", file: file, line: line)
    }
    return (p.terminationStatus, out)
}

/// The package root, for lab scripts and built binaries.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// A throw-away network namespace the current thread can enter (setns) so that sockets opened
/// afterwards live in it.
final class Netns {
    let name: String
    private var home: Int32 = -1

    init(_ tag: String) {
        name = "ht-\(tag)-\(getpid() % 100000)"
        sh("ip netns del \(name) 2>/dev/null; ip netns add \(name) && ip -n \(name) link set lo up")
    }

    func enter() {
        home = open("/proc/self/ns/net", O_RDONLY)
        let fd = open("/var/run/netns/\(name)", O_RDONLY)
        precondition(fd >= 0 && hedge_setns_net(fd) == 0, "setns \(name)")
        close(fd)
    }

    func leave() {
        if home >= 0 { _ = hedge_setns_net(home); close(home); home = -1 }
    }

    func ip(_ args: String, check: Bool = true) -> String { sh("ip -n \(name) \(args)", check: check).1 }

    deinit {
        leave()
        sh("ip netns del \(name)", check: false)
    }
}
