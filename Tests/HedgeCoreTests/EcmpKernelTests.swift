import XCTest
@testable import HedgeCore

/// A group whose paths share a priority: its route follows a nexthop group over one object per
/// in-use member; one link failing is one replace of the group's member list.
final class EcmpKernelTests: XCTestCase {
    static let text = """
        path er-primary { priority 10; device er0; gateway 192.168.10.2; }
        path er-secondary { priority 10; device er1; gateway 192.168.11.2; }
        path vpn { priority 20; device vpn0; }
        group azure { prefix 10.200.0.0/16; paths er-primary er-secondary vpn; hold-down 1s; }

        """
    let devices: [String: Int32] = ["er0": 3, "er1": 5, "vpn0": 4]
    let p1 = 0, p2 = 1, vpn = 2

    func config() throws -> HedgeConfig {
        let r = ConfigLoader.parse(Self.text, file: "t.conf")
        XCTAssertFalse(r.hasErrors, r.diagnostics.map { $0.description }.joined(separator: "\n"))
        return try XCTUnwrap(r.config)
    }

    func desired(_ c: HedgeConfig, _ members: [Int], actual: KernelState = KernelState()) -> KernelState {
        desiredKernelState(config: c, active: [members.first], members: [members], ifindex: { self.devices[$0] },
                           nexthopObjects: true, actual: actual)
    }

    func testBothLinksMakeOneGroupOverTwoMembers() throws {
        let c = try config()
        let g = c.groups[0]
        XCTAssertTrue(g.ecmp)
        let s = desired(c, [p1, p2])
        XCTAssertEqual(s.nexthops[4800], NexthopSpec(id: 4800, group: [4802, 4804]))
        XCTAssertEqual(s.nexthops[4802], NexthopSpec(id: 4802, family: .v4, gateway: IPAddress("192.168.10.2"), ifindex: 3))
        XCTAssertEqual(s.nexthops[4804], NexthopSpec(id: 4804, family: .v4, gateway: IPAddress("192.168.11.2"), ifindex: 5))
        XCTAssertEqual(s.nexthops.count, 3)
        XCTAssertEqual(s.routes.values.first?.target, .nexthop(4800))

        // From nothing: members first, then the group, then the route.
        let ops = reconcile(desired: s, actual: KernelState())
        XCTAssertEqual(ops.map { $0.description }, [
            "replace nexthop id 4802 via 192.168.10.2 ifindex 3",
            "replace nexthop id 4804 via 192.168.11.2 ifindex 5",
            "replace nexthop id 4800 group 4802/4804",
            "add route 10.200.0.0/16 table 254 nhid 4800",
        ])
    }

    func testOneLinkFailingIsOneReplaceOfTheGroup() throws {
        let c = try config()
        let both = desired(c, [p1, p2])
        // The primary left: the switch replaces the group only; its object goes after, in the full reconcile.
        let sw = nexthopSwitches(config: c, active: [p2], members: [[p2]], ifindex: { self.devices[$0] }, actual: both)
        XCTAssertEqual(sw.map { $0.description }, ["replace nexthop id 4800 group 4804"])
        var after = both
        for op in sw { after.apply(op) }
        XCTAssertEqual(reconcile(desired: desired(c, [p2]), actual: after).map { $0.description },
                       ["delete nexthop id 4802 via 192.168.10.2 ifindex 3"])
        // It joins again: its object first, then the group.
        var one = desired(c, [p2])
        let back = nexthopSwitches(config: c, active: [p1], members: [[p1, p2]], ifindex: { self.devices[$0] }, actual: one)
        XCTAssertEqual(back.map { $0.description }, [
            "replace nexthop id 4802 via 192.168.10.2 ifindex 3", "replace nexthop id 4800 group 4802/4804"])
        for op in back { one.apply(op) }
        XCTAssertEqual(one, both)
        // Both down: the VPN alone, still as a group (the kernel keeps the object's kind).
        let v = desired(c, [vpn])
        XCTAssertEqual(v.nexthops[4800], NexthopSpec(id: 4800, group: [4806]))
        XCTAssertEqual(v.nexthops[4806], NexthopSpec(id: 4806, family: .v4, gateway: nil, ifindex: 4))
        XCTAssertEqual(nexthopSwitches(config: c, active: [vpn], members: [[vpn]], ifindex: { self.devices[$0] }, actual: both)
                        .map { $0.description },
                       ["replace nexthop id 4806 ifindex 4", "replace nexthop id 4800 group 4806"])
        XCTAssertEqual(reconcile(desired: v, actual: both).last?.description, "delete nexthop id 4804 via 192.168.11.2 ifindex 5")
    }

    func testAPlainObjectAtTheGroupsIDIsRecreatedWithItsRoutes() throws {
        let c = try config()
        var old = KernelState()
        old.insert(NexthopSpec(id: 4800, family: .v4, gateway: IPAddress("192.168.10.2"), ifindex: 3))
        old.insert(RouteSpec(prefix: IPPrefix("10.200.0.0/16")!, table: 254, metric: 0, target: .nexthop(4800), protocolID: c.kernel.routeProtocol))
        let ops = reconcile(desired: desired(c, [p1, p2]), actual: old)
        XCTAssertEqual(ops.map { $0.description }, [
            "delete nexthop id 4800 via 192.168.10.2 ifindex 3",
            "replace nexthop id 4802 via 192.168.10.2 ifindex 3",
            "replace nexthop id 4804 via 192.168.11.2 ifindex 5",
            "replace nexthop id 4800 group 4802/4804",
            "add route 10.200.0.0/16 table 254 nhid 4800",
        ])
    }

    func testMirrorFollowsTheKernelDroppingAMember() throws {
        let c = try config()
        var m = desired(c, [p1, p2])
        m.deviceFlushed(3, adminDown: false)   // carrier lost on er0: its object leaves the group
        XCTAssertEqual(m.nexthops[4800], NexthopSpec(id: 4800, group: [4804]))
        XCTAssertEqual(m.routes.count, 1)
        m.deviceFlushed(5, adminDown: false)   // and the last member: the group goes, with its route
        XCTAssertNil(m.nexthops[4800])
        XCTAssertEqual(m.routes.count, 0)
    }

    func testAdoptionMapsTheGroupBackToItsPaths() throws {
        let c = try config()
        let ix: (String) -> Int32? = { self.devices[$0] }
        XCTAssertEqual(inUseInKernel(config: c, actual: desired(c, [p1, p2]), ifindex: ix, nexthopObjects: true), [[p1, p2]])
        XCTAssertEqual(inUseInKernel(config: c, actual: desired(c, [p2]), ifindex: ix, nexthopObjects: true), [[p2]])
        XCTAssertEqual(inUseInKernel(config: c, actual: desired(c, [vpn]), ifindex: ix, nexthopObjects: true), [[vpn]])
        XCTAssertEqual(inUseInKernel(config: c, actual: KernelState(), ifindex: ix, nexthopObjects: true), [[]])
        // A member object that no longer fits its path (another device) is not adopted.
        var moved = desired(c, [p1, p2])
        moved.insert(NexthopSpec(id: 4802, family: .v4, gateway: IPAddress("192.168.10.2"), ifindex: 9))
        XCTAssertEqual(inUseInKernel(config: c, actual: moved, ifindex: ix, nexthopObjects: true), [[p2]])
    }

    func testGroupsWithoutTiesKeepTheirPlainObjects() throws {
        let r = ConfigLoader.parse(Self.text.replacingOccurrences(of: "er-secondary { priority 10", with: "er-secondary { priority 15"), file: "t.conf")
        let c = try XCTUnwrap(r.config)
        XCTAssertFalse(c.groups[0].ecmp)
        let s = desiredKernelState(config: c, active: [p1], members: [[p1]], ifindex: { self.devices[$0] }, nexthopObjects: true,
                                   actual: KernelState())
        XCTAssertEqual(s.nexthops.count, 1)
        XCTAssertEqual(s.nexthops[4800], NexthopSpec(id: 4800, family: .v4, gateway: IPAddress("192.168.10.2"), ifindex: 3))
    }
}
