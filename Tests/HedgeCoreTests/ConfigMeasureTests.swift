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
