import XCTest
@testable import HedgeCore

/// A group's `measure reflect`: a reflect probe from a LAN address that reports, never decides.
final class ConfigMeasureTests: XCTestCase, ConfigChecking {
    func conf(_ measure: String) -> String {
        """
        path er { priority 10; device er0; gateway 192.168.10.2; announce 172.16.0.0/16; }
        path vpn { priority 20; device vpn0; announce 172.16.0.0/16; }
        group azure {
            prefix 10.200.0.0/16; paths er vpn;
            \(measure)
        }
        """
    }

    func testAMeasureIsAccepted() throws {
        let r = parse(conf(#"measure reflect 10.200.0.4 { source 172.16.0.1; key-file "/etc/hedge/reflect.key"; interval 5ms; }"#))
        XCTAssertEqual(lines(r), [])
        let m = try XCTUnwrap(r.config?.groups.first?.measure)
        XCTAssertEqual(m.kind, .reflect)
        XCTAssertEqual(m.source?.description, "172.16.0.1")
        XCTAssertEqual(m.intervalMs, 5)
        XCTAssertEqual(m.port, ProbeConfig.reflectPort)
    }

    func testTheIntervalDefaultsToTenMilliseconds() throws {
        let r = parse(conf(#"measure reflect 10.200.0.4 port 9000 { source 172.16.0.1; key-file "/k"; }"#))
        XCTAssertEqual(r.config?.groups.first?.measure?.intervalMs, 10)
        XCTAssertEqual(r.config?.groups.first?.measure?.port, 9000)
    }

    func testASourceIsRequired() {
        expectError(conf(#"measure reflect 10.200.0.4 { key-file "/k"; }"#), at: 5, 5, "needs 'source ADDRESS;'")
    }

    func testOnlyReflectMeasuresBothDirections() {
        expectError(conf("measure icmp 10.200.0.4 { source 172.16.0.1; }"), at: 5, 5, "'measure' takes reflect only")
    }

    func testAKeyFileIsRequired() {
        expectError(conf("measure reflect 10.200.0.4 { source 172.16.0.1; }"), at: 5, 5, "needs 'key-file")
    }

    func testDetectionSettingsDoNotApply() {
        expectError(conf(#"measure reflect 10.200.0.4 { source 172.16.0.1; key-file "/k"; threshold 3; }"#),
                    at: 5, 78, "a group's measure decides nothing")
    }

    func testASourceOutsideTheAnnouncedPrefixesIsWarned() {
        expectWarning(conf(#"measure reflect 10.200.0.4 { source 192.168.10.1; key-file "/k"; }"#),
                      at: 5, 41, "is in no prefix the paths of group 'azure' announce")
    }

    func testMixedFamiliesAreRefused() {
        expectError(conf(#"measure reflect 10.200.0.4 { source 2001:db8::1; key-file "/k"; }"#), at: 5, 41, "different address families")
    }
}

/// A path probe's source decides where Azure sends its replies: by the longest prefix, ExpressRoute
/// first at equal length, and the VPN's halves while it steers the return.
final class ConfigProbeReturnTests: XCTestCase, ConfigChecking {
    func conf(erAnnounce: String = "172.16.0.0/16", erSource: String = "172.16.0.1", steering: String = "",
              vpnSource: String? = nil) -> String {
        """
        router-id 192.168.10.1; local-as 65010;
        path er { priority 10; device er0; gateway 192.168.10.2; announce \(erAnnounce);
            probe icmp 10.200.0.4 { source \(erSource); } }
        path vpn { priority 20; device vpn0; announce 172.16.0.0/16;
            ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; underlay wan0 via 198.51.100.254; strongswan { connection a; } }
            bgp 169.254.21.1 { remote-as 65515; source 169.254.21.2; \(steering) }
            probe icmp 10.200.0.4 { \(vpnSource.map { "source \($0);" } ?? "") } }
        group azure { prefix 10.200.0.0/16; paths er vpn; }
        """
    }

    func testALANSourceOnExpressRouteIsAnsweredOverTheSteeringVPN() {
        expectWarning(conf(), at: 3, 36, "Azure would send the replies over path 'vpn' (its halves of 172.16.0.0/16")
    }

    func testASlash32OnlyExpressRouteAnnouncesIsFine() {
        XCTAssertEqual(lines(parse(conf(erAnnounce: "172.16.0.0/16 172.16.255.254/32", erSource: "172.16.255.254"))), [])
    }

    func testWithoutSteeringExpressRouteWinsAtEqualLength() {
        XCTAssertEqual(lines(parse(conf(steering: "return-steering off;"))), [])
    }

    func testAVPNProbeFromTheSharedPrefixIsAnsweredOverExpressRoute() {
        expectWarning(conf(erAnnounce: "172.16.0.0/16 172.16.255.254/32", erSource: "172.16.255.254", vpnSource: "172.16.0.9"),
                      at: 7, 36, "probe source 172.16.0.9 of path 'vpn': Azure would send the replies over path 'er' (172.16.0.0/16, which it announces)")
    }
}
