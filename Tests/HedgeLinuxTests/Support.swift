import Foundation
import XCTest
import CHedge
#if canImport(Glibc)
import Glibc
#endif

/// Under CI=true every test must run: a missing tool or privilege there is a failure, not a skip.
let inCI = ProcessInfo.processInfo.environment["CI"] == "true"

/// Why a test cannot run where it is; thrown under CI=true after the failure is recorded.
struct CannotRun: Error, CustomStringConvertible { let description: String }

/// The one way a test gives up for want of root or a tool: loudly on stderr, as a skip outside CI
/// and as a failure (XCTFail, then a throw that ends the test) under CI=true.
func cannotRun(_ why: String, file: StaticString = #filePath, line: UInt = #line) -> Error {
    let msg = "SKIPPED (\(why))"
    FileHandle.standardError.write(("\n*** " + msg + " ***\n").data(using: .utf8)!)
    guard inCI else { return XCTSkip(msg, file: file, line: line) }
    XCTFail("CI=true but " + msg, file: file, line: line)
    return CannotRun(description: "CI=true but " + msg)
}

/// Tests that need root (namespaces, netlink, raw sockets) and iproute2.
func requireRoot(_ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
    if getuid() != 0 { throw cannotRun("needs root: \(what)", file: file, line: line) }
    try requireTool("ip", install: "iproute2", file: file, line: line)
}

/// Where a tool is: an absolute path as given, a bare name in the usual bin directories (whatever
/// PATH the test runner was started with, which sudo may have cut short).
func toolPath(_ tool: String) -> String? {
    let candidates = tool.hasPrefix("/") ? [tool]
        : ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"].map { $0 + "/" + tool }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// The tools a test runs (FRR's daemons, BIRD, GoBGP, charon, promtool ...), each a path or a bare
/// name: a missing one skips loudly outside CI and fails under CI=true, where scripts/install-deps
/// must have installed `packages`. Returns the first tool's path.
@discardableResult
func requireTool(_ tools: String..., install packages: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    var found: [String] = []
    for tool in tools {
        guard let path = toolPath(tool) else {
            throw cannotRun("\(tool) missing: apt-get install \(packages)", file: file, line: line)
        }
        found.append(path)
    }
    return found.first ?? ""
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
    guard hedge_bind(fd, &sa, len) == 0, hedge_getsockname(fd, &sa, &len) == 0 else {
        throw CannotRun(description: "no free port on 127.0.0.1 (errno \(errno))")   // a failure everywhere
    }
    return UInt16(bigEndian: sa.sin_port)
}
