import Foundation
import XCTest

/// `hedge check --kernel` through the real binary on this machine's kernel, whose facts are known
/// (the project's toolchain notes, "Kernels"): nexthop objects and XFRM policies work; there are no ESP
/// states, no XFRM interfaces and no GCM. The probe must agree with the kernel's own config.
final class KernelCheckTests: XCTestCase {
    func run(_ args: String) -> (Int32, String) { sh("\(Lab.hedgeBin) \(args) 2>&1", check: false) }

    /// The options /proc/config.gz turns on (y or m); nil where the kernel does not publish it.
    func kernelConfig() -> Set<String>? {
        let (rc, out) = sh("gzip -dc /proc/config.gz", check: false)
        guard rc == 0 else { return nil }
        var on = Set<String>()
        for l in out.split(separator: "\n") where l.hasSuffix("=y") || l.hasSuffix("=m") { on.insert(String(l.dropLast(2))) }
        return on
    }

    func line(_ out: String, _ title: String) -> String? {
        out.split(separator: "\n").map(String.init).first { $0.dropFirst(8).hasPrefix(title) }
    }

    func testProbesThisKernel() throws {
        try requireRoot("hedge check --kernel unshares a network namespace")
        let (rc, out) = run("check --kernel")
        XCTAssertTrue(out.hasPrefix("kernel \(try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)): probed in a private network namespace\n"), out)
        XCTAssertEqual(line(out, "nexthop objects"), "ok      nexthop objects (RTM_NEWNEXTHOP) [Linux 5.3+]", out)
        XCTAssertEqual(line(out, "XFRM policies"), "ok      XFRM policies (XFRM_MSG_UPDPOLICY) [CONFIG_XFRM_USER]", out)
        for t in ["routes", "policy routing rules", "ICMP probes", "BFD/GTSM sockets", "nftables TCP MSS clamp"] {
            XCTAssertTrue(line(out, t)?.hasPrefix("ok      ") == true, "\(t):\n\(out)")
        }
        let config = try XCTUnwrap(kernelConfig(), "this machine publishes /proc/config.gz")
        // Each probe says what the config says, and names the errno the kernel gave.
        let expect: [(String, String, String)] = [
            ("ESP states", "CONFIG_INET_ESP", "EPROTONOSUPPORT"),
            ("XFRM interfaces", "CONFIG_XFRM_INTERFACE", "EOPNOTSUPP"),
            ("AES-GCM for ESP", "CONFIG_CRYPTO_GCM", "ENOSYS"),
            ("TCP MD5 signatures", "CONFIG_TCP_MD5SIG", "ENOPROTOOPT"),
        ]
        for (title, option, errno) in expect {
            let l = try XCTUnwrap(line(out, title), out)
            if config.contains(option) {
                XCTAssertTrue(l.hasPrefix("ok      "), l)
            } else {
                XCTAssertTrue(l.hasPrefix(option == "CONFIG_TCP_MD5SIG" ? "WARN    " : "MISSING "), l)
                XCTAssertTrue(l.contains("[\(option)"), l)
                XCTAssertTrue(l.contains(errno), l)
            }
        }
        // This machine's known facts, spelt out.
        if !config.contains("CONFIG_INET_ESP") && !config.contains("CONFIG_XFRM_INTERFACE") && !config.contains("CONFIG_CRYPTO_GCM") {
            XCTAssertTrue(out.contains("MISSING ESP states (XFRM_MSG_NEWSA) [CONFIG_INET_ESP]: XFRM_MSG_NEWSA: EPROTONOSUPPORT"), out)
            XCTAssertTrue(out.contains("MISSING XFRM interfaces (RTM_NEWLINK kind xfrm) [CONFIG_XFRM_INTERFACE]: RTM_NEWLINK: EOPNOTSUPP"), out)
            XCTAssertTrue(out.contains("MISSING AES-GCM for ESP (rfc4106(gcm(aes))) [CONFIG_CRYPTO_GCM"), out)
            XCTAssertTrue(out.contains("3 of 9 required features missing"), out)
            XCTAssertEqual(rc, 1, out)
        }
    }

    /// The probe works in a namespace of its own: nothing of it is left in the caller's.
    func testLeavesNothingBehind() throws {
        try requireRoot("hedge check --kernel unshares a network namespace")
        _ = run("check --kernel")
        XCTAssertNotEqual(sh("ip link show hedgecheck0", check: false).0, 0)
        XCTAssertFalse(sh("ip rule show; ip -6 rule show").1.contains("0x6b63"))
        XCTAssertFalse(sh("ip xfrm policy show; ip xfrm state show").1.contains("if_id 0x2a"))
        XCTAssertFalse(sh("ip route show 192.0.2.0/24; ip nexthop show id 1", check: false).1.contains("proto 88"))
    }

    /// Not root: says so and reads the kernel's config instead (/proc/config.gz here).
    func testWithoutRootReadsTheConfig() throws {
        try requireRoot("runs the binary as nobody (setpriv)")
        let (rc, out) = sh("setpriv --reuid=65534 --regid=65534 --clear-groups \(Lab.hedgeBin) check --kernel 2>&1", check: false)
        let release = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let source = FileManager.default.fileExists(atPath: "/boot/config-\(release)") ? "/boot/config-\(release)" : "/proc/config.gz"
        XCTAssertTrue(out.contains("not root, so nothing can be probed (unshare(CLONE_NEWNET): EPERM); read \(source) instead"), out)
        let config = try XCTUnwrap(kernelConfig())
        XCTAssertEqual(line(out, "ESP states")?.hasPrefix("MISSING"), !config.contains("CONFIG_INET_ESP"), out)
        if !config.contains("CONFIG_INET_ESP") {
            XCTAssertTrue(out.contains("[CONFIG_INET_ESP]: CONFIG_INET_ESP not set"), out)
            XCTAssertEqual(rc, 1, out)
        }
    }

    /// `-c FILE --kernel` checks both; `--kernel` alone never reads /etc/hedge/hedge.conf.
    func testConfigAndKernelTogether() throws {
        try requireRoot("hedge check --kernel unshares a network namespace")
        let (_, out) = run("check -c \(packageRoot)/lab/hedge-lab.conf --kernel")
        XCTAssertTrue(out.contains("hedge-lab.conf: OK"), out)
        XCTAssertTrue(out.contains("probed in a private network namespace"), out)
        let (_, alone) = run("check --kernel")
        XCTAssertFalse(alone.contains("/etc/hedge/hedge.conf"), alone)
        let (rc, bad) = run("check -c /nonexistent/hedge.conf --kernel")
        XCTAssertEqual(rc, 1, bad)
        XCTAssertTrue(bad.contains("/nonexistent/hedge.conf") && bad.contains("kernel "), bad)
    }
}
