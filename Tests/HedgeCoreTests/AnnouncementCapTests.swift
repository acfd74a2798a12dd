import XCTest
@testable import HedgeCore

/// What a path's session announces: its `announce` cut at Azure's private-peering limit, and the
/// return-steering halves within the peer's limit, with the counters status shows.
final class AnnouncementCapTests: XCTestCase {
    func p(_ s: String) -> IPPrefix { IPPrefix(s)! }

    let text = """
        router-id 192.168.10.1;
        local-as 65010;
        path er { priority 10; device er0; gateway 192.168.10.2; announce 172.16.0.0/24;
          bgp 192.168.10.2 { remote-as 12076; } }
        path vpn { priority 20; device vpn0; announce 172.16.0.0/24 172.17.0.0/16;
          ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } }
          bgp 169.254.21.1 { remote-as 65515; source 169.254.21.2; } }
        group g { paths er vpn; }
        """

    func config() throws -> HedgeConfig {
        let r = ConfigLoader.parse(text, file: "t.conf")
        return try XCTUnwrap(r.config, r.diagnostics.map { $0.description }.joined(separator: "\n"))
    }

    /// Failed over onto vpn (path 1), or not.
    func groups(active: Int) -> [(preference: [Int], active: Int?)] { [(preference: [0, 1], active: active)] }

    func many(_ n: Int) -> [IPPrefix] {
        (0..<n).map { IPPrefix(address: .v4(0x0A00_0000 | UInt32($0) << 8), length: 24)! }
    }

    func testWithinTheLimit() throws {
        let c = try config()
        let a = AnnouncementCap(path: 0, config: c, groups: groups(active: 0))
        XCTAssertEqual(a.prefixes, [p("172.16.0.0/24")])
        XCTAssertEqual(a.wanted, 1); XCTAssertEqual(a.announcing, 1)
        XCTAssertFalse(a.steering)
        XCTAssertEqual(a.limit, 4000, "Azure's default")
        XCTAssertNil(a.cutMessage)
        XCTAssertNil(a.steeringMessage(since: AnnouncementCap()))
    }

    func testCutAtThePrivatePeeringLimit() throws {
        var c = try config()
        c.paths[0].announce = many(4001)
        var a = AnnouncementCap(path: 0, config: c, groups: groups(active: 0))
        XCTAssertEqual(a.prefixes, many(4000), "the first 4000, in order")
        XCTAssertEqual(a.wanted, 4001); XCTAssertEqual(a.announcing, 4000)
        XCTAssertEqual(a.cutMessage, "bgp er: 4001 prefixes to announce but Azure accepts 4000 over private peering; announcing the first 4000 only")
        c.azure = AzureSettings(privatePeeringLimit: 10_000, location: c.paths[0].location)
        a = AnnouncementCap(path: 0, config: c, groups: groups(active: 0))
        XCTAssertEqual(a.announcing, 4001, "Premium's limit")
        XCTAssertNil(a.cutMessage)
    }

    func testSteeringAddsTheHalvesWhileFailedOver() throws {
        let c = try config()
        let idle = AnnouncementCap(path: 1, config: c, groups: groups(active: 0))
        XCTAssertFalse(idle.steering)
        XCTAssertEqual(idle.prefixes, [p("172.16.0.0/24"), p("172.17.0.0/16")])
        let on = AnnouncementCap(path: 1, config: c, groups: groups(active: 1))
        XCTAssertTrue(on.steering)
        XCTAssertEqual(on.moreSpecifics, 4); XCTAssertEqual(on.unsteered, 0)
        XCTAssertEqual(on.wanted, 2); XCTAssertEqual(on.announcing, 6)
        XCTAssertEqual(on.peerLimit, ReturnSteering.vpnGatewayLimit, "AS 65515: the VPN gateway's limit")
        XCTAssertEqual(on.steeringMessage(since: idle), "bgp vpn: steering the return path: announcing 4 more-specific halves")
        XCTAssertNil(on.steeringMessage(since: on), "no change, no line")
        XCTAssertEqual(idle.steeringMessage(since: on), "bgp vpn: return path no longer steered: withdrawing 4 more-specific halves")
    }

    func testSteeringWithinThePeersLimit() throws {
        var c = try config()
        c.paths[1].announce = many(3999)
        let a = AnnouncementCap(path: 1, config: c, groups: groups(active: 1))
        XCTAssertEqual(a.announcing, 3999, "no prefix's two halves fit in one more")
        XCTAssertEqual(a.moreSpecifics, 0); XCTAssertEqual(a.unsteered, 3999)
        XCTAssertEqual(a.steeringMessage(since: AnnouncementCap()),
                       "bgp vpn: steering the return path: announcing 0 more-specific halves (3999 prefixes not steered: 4000 is the peer's limit)")
    }

    func testSteeringOffInTheConfig() throws {
        var c = try config()
        c.paths[1].bgp?.returnSteering = false
        let a = AnnouncementCap(path: 1, config: c, groups: groups(active: 1))
        XCTAssertFalse(a.steering)
        XCTAssertEqual(a.announcing, 2)
    }
}
