import XCTest
@testable import HedgeCore

/// The `bgp NEIGHBOR { ... }` block of a path and the `probe reflect` kind.
final class ConfigBGPTests: XCTestCase {
    func parse(_ text: String) -> ConfigResult { ConfigLoader.parse(text, file: "t.conf") }

    func hasError(_ r: ConfigResult, line: Int, column: Int, _ fragment: String) -> Bool {
        r.config == nil && r.diagnostics.contains {
            $0.severity == .error && $0.location.line == line && $0.location.column == column && $0.message.contains(fragment)
        }
    }

    let head = "router-id 192.168.10.1;\nlocal-as 65010;\n"

    func testFullBlock() throws {
        let r = parse(head + """
            path er { priority 10; device er0; gateway 192.168.10.2; announce 172.16.0.0/24;
              bgp 192.168.10.2 { remote-as 12076; hold-time 30; connect-retry 2s; passive on; gtsm on;
                md5-key-file "/etc/hedge/er.key"; max-prefix 200; prepend 2; source 192.168.10.1; } }
            path vpn { priority 20; device vpn0; }
            group azure { paths er vpn; }
            """)
        XCTAssertEqual(r.diagnostics.map { $0.description }, [])
        let b = try XCTUnwrap(r.config?.paths[0].bgp)
        XCTAssertEqual(b.neighbor, IPAddress("192.168.10.2"))
        XCTAssertEqual(b.remoteAS, 12076)
        XCTAssertEqual(b.holdTime, 30)
        XCTAssertEqual(b.connectRetryMs, 2000)
        XCTAssertTrue(b.passive); XCTAssertTrue(b.gtsm)
        XCTAssertEqual(b.md5KeyFile, "/etc/hedge/er.key")
        XCTAssertEqual(b.maxPrefix, 200); XCTAssertEqual(b.prepend, 2)
        XCTAssertEqual(r.config?.groups[0].prefixes, [], "the group learns its prefixes from the session")
        XCTAssertEqual(r.config?.learningGroup(path: 0), 0)
    }

    func testDefaults() throws {
        let r = parse(head + "path er { priority 10; device er0; gateway 192.168.10.2; bgp 192.168.10.2 { remote-as 12076; } }\npath vpn { priority 20; device vpn0; }\ngroup g { paths er vpn; }\n")
        let b = try XCTUnwrap(r.config?.paths[0].bgp)
        XCTAssertEqual(b.holdTime, 90); XCTAssertEqual(b.connectRetryMs, 5000)
        XCTAssertFalse(b.passive); XCTAssertFalse(b.gtsm); XCTAssertNil(b.maxPrefix); XCTAssertEqual(b.prepend, 0)
    }

    func testReturnSteeringIsOnByDefaultAndCanBeSwitchedOff() throws {
        let text = head + """
            path er { priority 10; device er0; gateway 192.168.10.2; bgp 192.168.10.2 { remote-as 12076; } }
            path vpn { priority 20; device vpn0; announce 172.16.0.0/24;
              ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } }
              bgp 169.254.21.1 { remote-as 65515; source 169.254.21.2; STEER } }
            group g { paths er vpn; }
            """
        let on = parse(text.replacingOccurrences(of: "STEER", with: ""))
        XCTAssertEqual(on.diagnostics.filter { $0.severity == .error }.map { $0.description }, [])
        XCTAssertFalse(on.diagnostics.contains { $0.message.contains("remote-as") }, "65515 through the tunnel: no remark")
        XCTAssertEqual(try XCTUnwrap(on.config?.paths[1].bgp).returnSteering, true)
        let off = parse(text.replacingOccurrences(of: "STEER", with: "return-steering off;"))
        XCTAssertEqual(try XCTUnwrap(off.config?.paths[1].bgp).returnSteering, false)
    }

    func testAzureASNsBelongOnTheirOwnPaths() {
        // the MSEE through an IPsec tunnel: refused
        let mseeInTunnel = parse(head + """
            path vpn { priority 20; device vpn0;
              ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } }
              bgp 192.168.10.2 { remote-as 12076; } }
            group g { prefix 10.0.0.0/8; paths vpn; }
            """)
        XCTAssertTrue(hasError(mseeInTunnel, line: 5, column: 32, "not through this path's IPsec tunnel"), "\(mseeInTunnel.diagnostics)")
        // the VPN gateway on a path without a tunnel: a warning, the file still applies
        let gatewayNoTunnel = parse(head + """
            path vpn { priority 20; device vpn0; gateway 192.168.20.2; bgp 169.254.21.1 { remote-as 65515; } }
            group g { prefix 10.0.0.0/8; paths vpn; }
            """)
        XCTAssertNotNil(gatewayNoTunnel.config)
        XCTAssertTrue(gatewayNoTunnel.diagnostics.contains { $0.severity == .warning && $0.message.contains("Azure's VPN gateway") },
                      "\(gatewayNoTunnel.diagnostics)")
    }

    func testRemoteASRequired() {
        let r = parse(head + "path er { priority 10; device er0; bgp 192.168.10.2 { hold-time 30; } }\npath vpn { priority 20; device vpn0; }\ngroup g { prefix 10.0.0.0/8; paths er vpn; }\n")
        XCTAssertTrue(hasError(r, line: 3, column: 36, "needs 'remote-as NUMBER;'"), "\(r.diagnostics)")
    }

    func testNeedsLocalASAndRouterID() {
        let r = parse("path er { priority 10; device er0; bgp 192.168.10.2 { remote-as 12076; } }\npath vpn { priority 20; device vpn0; }\ngroup g { paths er vpn; }\n")
        XCTAssertTrue(hasError(r, line: 1, column: 36, "local-as"), "\(r.diagnostics)")
        XCTAssertTrue(hasError(r, line: 1, column: 36, "router-id"), "\(r.diagnostics)")
    }

    func testBadValues() {
        let r = parse(head + "path er { priority 10; device er0; bgp 192.168.10.2 { remote-as 23456; hold-time 2; prepend 40; } }\npath vpn { priority 20; device vpn0; }\ngroup g { paths er vpn; }\n")
        XCTAssertTrue(hasError(r, line: 3, column: 65, "AS_TRANS"), "\(r.diagnostics)")
        XCTAssertTrue(hasError(r, line: 3, column: 82, "hold-time"), "\(r.diagnostics)")
        XCTAssertTrue(hasError(r, line: 3, column: 93, "prepend"), "\(r.diagnostics)")
    }

    func testUnknownStatementSuggests() {
        let r = parse(head + "path er { priority 10; device er0; bgp 192.168.10.2 { remote-as 12076; hold-tme 30; } }\npath vpn { priority 20; device vpn0; }\ngroup g { paths er vpn; }\n")
        XCTAssertTrue(r.diagnostics.contains { $0.message.contains("did you mean 'hold-time'") }, "\(r.diagnostics)")
    }

    func testGroupWithoutPrefixesNeedsALearner() {
        let r = parse(head + "path er { priority 10; device er0; }\npath vpn { priority 20; device vpn0; }\ngroup g { paths er vpn; }\n")
        XCTAssertTrue(hasError(r, line: 5, column: 7, "has no prefixes"), "\(r.diagnostics)")
    }

    func testBFDNeighborDifferentFromBGPWarns() {
        let r = parse(head + "path er { priority 10; device er0; bfd 192.168.10.6 { } bgp 192.168.10.2 { remote-as 12076; } }\npath vpn { priority 20; device vpn0; }\ngroup g { paths er vpn; }\n")
        XCTAssertNotNil(r.config)
        XCTAssertTrue(r.diagnostics.contains { $0.severity == .warning && $0.message.contains("RFC 5882") }, "\(r.diagnostics)")
    }

    func testReflectProbe() throws {
        let ok = parse("path er { priority 10; device er0; gateway 192.168.10.2; probe reflect 10.200.0.4 { interval 5ms; key-file \"/etc/hedge/reflect.key\"; } }\npath vpn { priority 20; device vpn0; }\ngroup g { prefix 10.200.0.0/16; paths er vpn; }\n")
        let p = try XCTUnwrap(ok.config?.paths[0].probe)
        XCTAssertEqual(p.kind, .reflect); XCTAssertEqual(p.port, ProbeConfig.reflectPort)
        XCTAssertEqual(p.keyFile, "/etc/hedge/reflect.key"); XCTAssertEqual(p.intervalMs, 5)
        let noKey = parse("path er { priority 10; device er0; gateway 192.168.10.2; probe reflect 10.200.0.4 { } }\npath vpn { priority 20; device vpn0; }\ngroup g { prefix 10.200.0.0/16; paths er vpn; }\n")
        XCTAssertTrue(hasError(noKey, line: 1, column: 58, "key-file"), "\(noKey.diagnostics)")
        let keyOnUDP = parse("path er { priority 10; device er0; gateway 192.168.10.2; probe udp 10.200.0.4 { key-file \"k\"; } }\npath vpn { priority 20; device vpn0; }\ngroup g { prefix 10.200.0.0/16; paths er vpn; }\n")
        XCTAssertTrue(hasError(keyOnUDP, line: 1, column: 90, "reflect probes only"), "\(keyOnUDP.diagnostics)")
    }
}
