import XCTest
@testable import HedgeCore

/// Start-up's reading back of each group's active path from the kernel (`activePathsInKernel`).
final class KernelAdoptionTests: XCTestCase {
    let devices: [String: Int32] = ["er0": 3, "vpn0": 4]

    func config(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> HedgeConfig {
        let r = ConfigLoader.parse(text, file: "t.conf")
        XCTAssertFalse(r.hasErrors, r.diagnostics.map { $0.description }.joined(separator: "\n"), file: file, line: line)
        return r.config ?? HedgeConfig()
    }

    /// ER has an IPv4 gateway plus gateway6, the VPN is a point-to-point tunnel; a second group
    /// has nothing in the kernel.
    let text = """
        path er { priority 10; device er0; gateway 192.168.10.2; gateway6 2001:db8:10::2; }
        path vpn { priority 20; device vpn0; }
        group g { prefix 10.200.0.0/16 2001:db8:200::/48; paths er vpn; nexthop-id 100; }
        group h { prefix 10.201.0.0/16; paths er vpn; nexthop-id 200; }
        """

    func adopted(_ k: KernelState, nexthopObjects: Bool, devices: [String: Int32]? = nil) -> [Int?] {
        let d = devices ?? self.devices
        return activePathsInKernel(config: config(text), actual: k, ifindex: { d[$0] }, nexthopObjects: nexthopObjects)
    }

    func withNexthop(gateway: String?, ifindex: Int32) -> KernelState {
        var k = KernelState()
        k.insert(NexthopSpec(id: 100, family: gateway.map { IPAddress($0)!.family } ?? .v4,
                             gateway: gateway.map { IPAddress($0)! }, ifindex: ifindex))
        return k
    }

    func withRoute(_ prefix: String, gateway: String?, ifindex: Int32, metric: UInt32 = 0) -> KernelState {
        var k = KernelState()
        k.insert(RouteSpec(prefix: IPPrefix(prefix)!, table: 254, metric: metric,
                           target: .via(gateway: gateway.map { IPAddress($0)! }, ifindex: ifindex), protocolID: 88))
        return k
    }

    func testNexthopObjectOnTheBackupIsAdopted() {
        XCTAssertEqual(adopted(withNexthop(gateway: nil, ifindex: 4), nexthopObjects: true), [1, nil])
    }

    func testNexthopObjectWithTheIPv4OrIPv6GatewayMatches() {
        XCTAssertEqual(adopted(withNexthop(gateway: "192.168.10.2", ifindex: 3), nexthopObjects: true), [0, nil])
        XCTAssertEqual(adopted(withNexthop(gateway: "2001:db8:10::2", ifindex: 3), nexthopObjects: true), [0, nil])
    }

    func testPerRouteModeReadsTheFirstPrefixRoute() {
        XCTAssertEqual(adopted(withRoute("10.200.0.0/16", gateway: "192.168.10.2", ifindex: 3), nexthopObjects: false), [0, nil])
        XCTAssertEqual(adopted(withRoute("10.200.0.0/16", gateway: nil, ifindex: 4), nexthopObjects: false), [1, nil])
        // The route is what the kernel has, not the nexthop object: per-route mode ignores one.
        XCTAssertEqual(adopted(withNexthop(gateway: nil, ifindex: 4), nexthopObjects: false), [nil, nil])
    }

    func testNoMatch() {
        // Another gateway on ER's device, a device no member uses, an unknown device, an empty kernel.
        XCTAssertEqual(adopted(withNexthop(gateway: "192.168.10.9", ifindex: 3), nexthopObjects: true), [nil, nil])
        XCTAssertEqual(adopted(withNexthop(gateway: nil, ifindex: 9), nexthopObjects: true), [nil, nil])
        XCTAssertEqual(adopted(withNexthop(gateway: nil, ifindex: 4), nexthopObjects: true, devices: ["er0": 3]), [nil, nil])
        XCTAssertEqual(adopted(KernelState(), nexthopObjects: true), [nil, nil])
        XCTAssertEqual(adopted(KernelState(), nexthopObjects: false), [nil, nil])
        // Per-route: a route at another metric is not hedge's.
        XCTAssertEqual(adopted(withRoute("10.200.0.0/16", gateway: nil, ifindex: 4, metric: 7), nexthopObjects: false), [nil, nil])
    }
}
