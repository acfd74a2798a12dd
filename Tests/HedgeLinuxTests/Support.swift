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

/// The peers a test runs (FRR's daemons, BIRD, GoBGP): missing ones skip loudly outside CI, and
/// fail the test under CI=true, where scripts/install-deps must have installed them.
func requireTools(_ paths: [String], install packages: String) throws {
    for tool in paths where !FileManager.default.fileExists(atPath: tool) {
        let msg = "SKIPPED (\(tool) missing: apt-get install \(packages))"
        FileHandle.standardError.write(("\n*** " + msg + " ***\n").data(using: .utf8)!)
        if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail("CI=true but " + msg); return }
        throw XCTSkip(msg)
    }
}

@discardableResult
func sh(_ command: String, check: Bool = true, file: StaticString = #filePath, line: UInt = #line) -> (Int32, String) {
    // The command runs from a script file through system(3), its output to a file: daemons it
    // starts may inherit descriptors and outlive it, and neither a pipe's end-of-file nor
    // Foundation's child monitoring may wait for them.
    let base = NSTemporaryDirectory() + "hedge-sh-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
    try! command.write(toFile: base + ".sh", atomically: true, encoding: .utf8)
    defer { unlink(base + ".sh"); unlink(base + ".out") }
    let raw = system("/bin/bash \(base).sh > \(base).out 2>&1 < /dev/null")
    let status: Int32 = raw == -1 ? -1 : (raw >> 8) & 0xff
    let out = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
    if check && status != 0 {
        XCTFail("command failed (\(status)): \(command)\n\(out)", file: file, line: line)
    }
    return (status, out)
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
    private var entered: EnteredNamespace?

    /// `prefix` keeps one suite's namespaces apart from another's ("ht-" by default).
    init(_ tag: String, prefix: String = "ht") {
        name = "\(prefix)-\(tag)-\(getpid() % 100000)"
        sh("ip netns del \(name) 2>/dev/null; ip netns add \(name) && ip -n \(name) link set lo up")
    }

    func enter() { entered = EnteredNamespace(name) }

    func leave() { entered?.leave(); entered = nil }

    func ip(_ args: String, check: Bool = true) -> String { sh("ip -n \(name) \(args)", check: check).1 }

    deinit {
        leave()
        sh("ip netns del \(name)", check: false)
    }
}

/// An existing namespace (one of the lab's) that the current thread enters with setns, so that
/// the sockets it opens afterwards live there.
final class EnteredNamespace {
    private var home: Int32 = -1

    init(_ name: String) {
        home = open("/proc/self/ns/net", O_RDONLY)
        let fd = open("/var/run/netns/\(name)", O_RDONLY)
        precondition(home >= 0 && fd >= 0 && hedge_setns_net(fd) == 0, "setns \(name)")
        close(fd)
    }

    func leave() {
        if home >= 0 { _ = hedge_setns_net(home); close(home); home = -1 }
    }

    deinit { leave() }
}

/// A port on 127.0.0.1 that nothing is bound to right now (the kernel's pick for port 0).
func freeLoopbackPort(_ type: __socket_type) throws -> UInt16 {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    defer { close(fd) }
    var sa = sockaddr_in()
    sa.sin_family = sa_family_t(AF_INET)
    sa.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    guard hedge_bind(fd, &sa, len) == 0, hedge_getsockname(fd, &sa, &len) == 0 else { throw XCTSkip("no free loopback port") }
    return UInt16(bigEndian: sa.sin_port)
}
