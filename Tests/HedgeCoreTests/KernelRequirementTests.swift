import XCTest
@testable import HedgeCore

/// The table behind `hedge check --kernel` and board/README.md, and its rendering.
final class KernelRequirementTests: XCTestCase {
    func testEveryFeatureSaysWhatToEnableAndWhy() {
        for f in KernelFeature.allCases {
            XCTAssertFalse(f.title.isEmpty, "\(f)")
            XCTAssertFalse(f.why.isEmpty, "\(f)")
            XCTAssertFalse(f.needs.isEmpty, "\(f): a board builder must be told an option or a version")
            for o in f.options.split(separator: " ") { XCTAssertTrue(o.hasPrefix("CONFIG_"), "\(f): \(o)") }
        }
        XCTAssertEqual(KernelFeature.nexthops.needs, "Linux 5.3+")
        XCTAssertEqual(Set(KernelFeature.allCases.filter { !$0.required }), [.nexthops, .ipv6, .esp6, .aesCBC, .tcpMD5])
        XCTAssertTrue(KernelFeature.esp.required && KernelFeature.xfrmInterfaces.required && KernelFeature.aesGCM.required)
    }

    func testAllPresentExitsZero() {
        let r = KernelReport(release: "6.1.0-50-amd64", method: "probed in a private network namespace",
                             findings: KernelFeature.allCases.map { KernelFinding($0, present: true) })
        XCTAssertEqual(r.exitCode, 0)
        let lines = r.text.split(separator: "\n")
        XCTAssertEqual(lines.first, "kernel 6.1.0-50-amd64: probed in a private network namespace")
        XCTAssertEqual(lines.filter { $0.hasPrefix("ok      ") }.count, KernelFeature.allCases.count)
        XCTAssertTrue(lines.contains("ok      nexthop objects (RTM_NEWNEXTHOP) [Linux 5.3+]"), r.text)
        XCTAssertEqual(lines.last, "all 9 required features present")
    }

    func testMissingRequiredIsAnErrorAndOptionalAWarning() {
        var f = KernelFeature.allCases.map { KernelFinding($0, present: true) }
        f[KernelFeature.allCases.firstIndex(of: .esp)!] = KernelFinding(.esp, present: false,
            detail: "XFRM_MSG_NEWSA: EPROTONOSUPPORT (Protocol not supported), kernel says \"Requested type not found\"")
        f[KernelFeature.allCases.firstIndex(of: .tcpMD5)!] = KernelFinding(.tcpMD5, present: false, detail: "setsockopt(TCP_MD5SIG): ENOPROTOOPT")
        let r = KernelReport(release: "x", method: "m", findings: f)
        XCTAssertEqual(r.exitCode, 1)
        XCTAssertEqual(r.missingRequired, [.esp])
        XCTAssertEqual(r.missingOptional, [.tcpMD5])
        let lines = r.text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("MISSING ESP states (XFRM_MSG_NEWSA) [CONFIG_INET_ESP]: XFRM_MSG_NEWSA: EPROTONOSUPPORT (Protocol not supported), kernel says \"Requested type not found\" (needed for the VPN path's encryption over IPv4)"), r.text)
        XCTAssertTrue(lines.contains { $0.hasPrefix("WARN    TCP MD5 signatures (TCP_MD5SIG) [CONFIG_TCP_MD5SIG]: setsockopt(TCP_MD5SIG): ENOPROTOOPT (optional: ") }, r.text)
        XCTAssertTrue(lines.contains("1 of 9 required features missing: ESP states (XFRM_MSG_NEWSA); optional missing: TCP MD5 signatures (TCP_MD5SIG)"), r.text)
        XCTAssertEqual(lines.last, "kernel options behind what is missing (y or m): CONFIG_INET_ESP CONFIG_TCP_MD5SIG")
    }

    func testOptionalOnlyMissingExitsZero() {
        let f = KernelFeature.allCases.map { KernelFinding($0, present: $0 != .ipv6) }
        XCTAssertEqual(KernelReport(release: "x", method: "m", findings: f).exitCode, 0)
    }

    func testNothingCheckedExitsTwo() {
        let r = KernelReport(release: "x", method: "not root", findings: [], failure: "no config")
        XCTAssertEqual(r.exitCode, 2)
        XCTAssertTrue(r.text.contains("cannot check the kernel: no config"), r.text)
    }

    /// A Debian-style config: modules count, "is not set" and absent options do not.
    func testFindingsFromConfig() {
        let config = """
            # Automatically generated file; DO NOT EDIT.
            CONFIG_INET=y
            CONFIG_IP_MULTIPLE_TABLES=y
            CONFIG_XFRM_USER=m
            CONFIG_XFRM_INTERFACE=m
            # CONFIG_INET_ESP is not set
            CONFIG_CRYPTO_GCM=m
            CONFIG_CRYPTO_SEQIV=y
            CONFIG_CRYPTO_AES=y
            CONFIG_IPV6=y
            CONFIG_TCP_MD5SIG=y
            CONFIG_CRYPTO_CBC=y
            CONFIG_CRYPTO_HMAC=y
            CONFIG_CRYPTO_SHA256=y
            CONFIG_CRYPTO_AUTHENC=m
            CONFIG_CRYPTO_ECHAINIV=m
            CONFIG_NF_TABLES=m
            CONFIG_NF_TABLES_INET=y
            """
        let f = KernelReport.findings(config: config, release: "5.2.0-1-arm64")
        func find(_ x: KernelFeature) -> KernelFinding { f.first { $0.feature == x }! }
        XCTAssertEqual(f.map(\.feature), KernelFeature.allCases)
        XCTAssertTrue(find(.xfrmPolicies).present)
        XCTAssertTrue(find(.aesGCM).present)
        XCTAssertFalse(find(.esp).present)
        XCTAssertEqual(find(.esp).detail, "CONFIG_INET_ESP not set")
        XCTAssertEqual(find(.ipv6).detail, "CONFIG_IPV6_MULTIPLE_TABLES not set")
        // 5.2 predates nexthop objects; XFRM interfaces came in 4.19.
        XCTAssertEqual(find(.nexthops).detail, "Linux 5.2 is older than 5.3")
        XCTAssertTrue(find(.xfrmInterfaces).present)
        let r = KernelReport(release: "5.2.0-1-arm64", method: "read", findings: f)
        XCTAssertEqual(r.exitCode, 1)
        XCTAssertTrue(r.text.hasSuffix("(y or m): CONFIG_INET_ESP CONFIG_IPV6_MULTIPLE_TABLES CONFIG_INET6_ESP\n"), r.text)
    }

    func testKernelVersion() {
        XCTAssertTrue(KernelReport.kernelVersion("6.18.44-fc-v782")! == (6, 18))
        XCTAssertTrue(KernelReport.kernelVersion("5.3-rc1")! == (5, 3))
        XCTAssertTrue(KernelReport.kernelVersion("4.19.0+")! == (4, 19))
        XCTAssertNil(KernelReport.kernelVersion("?"))
    }
}
