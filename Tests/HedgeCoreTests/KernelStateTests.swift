import XCTest
@testable import HedgeCore

final class KernelStateTests: XCTestCase {

    // MARK: helpers

    func ip(_ s: String) -> IPAddress { IPAddress(s)! }
    func pfx(_ s: String) -> IPPrefix { IPPrefix(s)! }

    func nexthop(_ id: UInt32, _ gw: String?, dev: Int32 = 3) -> NexthopSpec {
        NexthopSpec(id: id, family: gw.map { IPAddress($0)!.family } ?? .v4, gateway: gw.map { IPAddress($0)! }, ifindex: dev)
    }
    func route(_ p: String, _ target: RouteTarget, table: UInt32 = 254, metric: UInt32 = 0) -> RouteSpec {
        RouteSpec(prefix: IPPrefix(p)!, table: table, metric: metric, target: target, protocolID: 88)
    }
    func rule(_ mark: UInt32, prio: UInt32) -> RuleSpec {
        RuleSpec(family: .v4, fwmark: mark, table: mark, priority: prio)
    }
    func state(_ nexthops: [NexthopSpec] = [], _ routes: [RouteSpec] = [], _ rules: [RuleSpec] = []) -> KernelState {
        var s = KernelState()
        nexthops.forEach { s.insert($0) }
        routes.forEach { s.insert($0) }
        rules.forEach { s.insert($0) }
        return s
    }

    func config(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> HedgeConfig {
        let r = ConfigLoader.parse(text, file: "t.conf")
        XCTAssertFalse(r.hasErrors, r.diagnostics.map { $0.description }.joined(separator: "\n"), file: file, line: line)
        return r.config ?? HedgeConfig()
    }

    let devices: [String: Int32] = ["er0": 3, "vpn0": 4]
    func desired(_ c: HedgeConfig, active: [Int?], nexthopObjects: Bool = true,
                 devices: [String: Int32]? = nil, actual: KernelState = KernelState()) -> KernelState {
        let d = devices ?? self.devices
        return desiredKernelState(config: c, active: active, ifindex: { d[$0] }, nexthopObjects: nexthopObjects, actual: actual)
    }

    /// Dual-stack group: ER has an IPv4 gateway plus gateway6, the VPN is a point-to-point tunnel.
    static let dualStack = """
        path er { priority 10; device er0; gateway 192.168.10.2; gateway6 2001:db8:10::2; }
        path vpn { priority 20; device vpn0; }
        group g { prefix 10.200.0.0/16 2001:db8:200::/48; paths er vpn; nexthop-id 100; }
        """

    // MARK: reconcile

    func testReconcileOfEqualStatesIsEmpty() {
        let s = state([nexthop(1, "192.168.10.2")], [route("10.200.0.0/16", .nexthop(1))], [rule(7, prio: 1000)])
        XCTAssertEqual(reconcile(desired: s, actual: s), [])
        XCTAssertEqual(reconcile(desired: KernelState(), actual: KernelState()), [])
    }

    func testReconcileFromEmptyCreatesNexthopsBeforeTheRoutesUsingThem() {
        let nh = nexthop(1, "192.168.10.2")
        let r = route("10.200.0.0/16", .nexthop(1))
        XCTAssertEqual(reconcile(desired: state([nh], [r]), actual: KernelState()),
                       [.replaceNexthop(nh), .addRoute(r)])
    }

    func testReconcileToEmptyDeletesRoutesBeforeTheirNexthops() {
        let nh = nexthop(1, "192.168.10.2")
        let r = route("10.200.0.0/16", .nexthop(1))
        XCTAssertEqual(reconcile(desired: KernelState(), actual: state([nh], [r])),
                       [.deleteRoute(r), .deleteNexthop(nh)])
    }

    func testReconcileOrdersEveryKindOfOperation() {
        let oldNH = nexthop(1, "192.168.10.2"), newNH = nexthop(2, "192.168.20.2")
        let oldRoute = route("10.1.0.0/16", .nexthop(1)), newRoute = route("10.2.0.0/16", .nexthop(2))
        let oldRule = rule(10, prio: 1000), newRule = rule(11, prio: 1001)
        let ops = reconcile(desired: state([newNH], [newRoute], [newRule]),
                            actual: state([oldNH], [oldRoute], [oldRule]))
        XCTAssertEqual(ops, [.replaceNexthop(newNH), .addRule(newRule), .addRoute(newRoute),
                             .deleteRoute(oldRoute), .deleteRule(oldRule), .deleteNexthop(oldNH)])
    }

    func testReconcileTouchesOnlyWhatDiffers() {
        let a = route("10.1.0.0/16", .nexthop(1)), b = route("10.2.0.0/16", .nexthop(1))
        let actual = state([nexthop(1, "192.168.10.2")], [a, b], [rule(10, prio: 1000)])
        // Failover: only the nexthop object changes; the routes that follow it stay as they are.
        let moved = nexthop(1, "192.168.20.2", dev: 4)
        XCTAssertEqual(reconcile(desired: state([moved], [a, b], [rule(10, prio: 1000)]), actual: actual),
                       [.replaceNexthop(moved)])
        // A route whose target changed is replaced (same key), not deleted and re-added.
        let bVia = route("10.2.0.0/16", .via(gateway: ip("192.168.10.2"), ifindex: 3))
        XCTAssertEqual(reconcile(desired: state([nexthop(1, "192.168.10.2")], [a, bVia], [rule(10, prio: 1000)]),
                       actual: actual),
                       [.replaceRoute(bVia)])
    }

    func testReconcileTreatsADifferentMetricAsADifferentRoute() {
        let m0 = route("10.1.0.0/16", .nexthop(1), metric: 0), m5 = route("10.1.0.0/16", .nexthop(1), metric: 5)
        let nh = nexthop(1, "192.168.10.2")
        XCTAssertEqual(reconcile(desired: state([nh], [m5]), actual: state([nh], [m0])),
                       [.addRoute(m5), .deleteRoute(m0)])
    }

    func testReconcileAddsAndDeletesRulesInPriorityOrder() {
        let r1 = rule(10, prio: 1000), r2 = rule(11, prio: 1001), r3 = rule(12, prio: 1002)
        XCTAssertEqual(reconcile(desired: state([], [], [r3, r1]), actual: state([], [], [r2])),
                       [.addRule(r1), .addRule(r3), .deleteRule(r2)])
    }

    // MARK: mirroring the kernel's implicit deletions

    func testApplyingAReconcileInPartsReachesTheDesiredState() {
        let desired = state([nexthop(4800, "192.0.2.2")],
                            (0..<1200).map { route("10.\(100 + $0 / 256).\($0 % 256).0/24", .nexthop(4800)) }, [rule(9, prio: 1000)])
        let before = state([nexthop(4801, "192.0.2.6")], [route("10.9.0.0/16", .nexthop(4801))])
        let ops = reconcile(desired: desired, actual: before)
        XCTAssertEqual(ops.first, .replaceNexthop(nexthop(4800, "192.0.2.2")), "the nexthop never waits behind routes")
        var mirror = before
        var at = 0
        while at < ops.count {   // as the agent does: a part per loop turn, the mirror following each
            let end = min(ops.count, at + 500)
            for op in ops[at..<end] { mirror.apply(op) }
            at = end
        }
        XCTAssertEqual(mirror, desired)
        XCTAssertEqual(reconcile(desired: desired, actual: mirror), [])
    }

    func testRoutesAreOrderedByAddressNotByText() {
        let ops = reconcile(desired: state([], [route("10.100.10.0/24", .nexthop(1)), route("10.100.9.0/24", .nexthop(1))]),
                            actual: KernelState())
        XCTAssertEqual(ops, [.addRoute(route("10.100.9.0/24", .nexthop(1))), .addRoute(route("10.100.10.0/24", .nexthop(1)))])
    }

    func testRemoveNexthopDropsTheRoutesThatUseIt() {
        var s = state([nexthop(1, "192.168.10.2"), nexthop(2, "192.168.20.2")],
                      [route("10.1.0.0/16", .nexthop(1)), route("10.2.0.0/16", .nexthop(1)),
                       route("10.3.0.0/16", .nexthop(2)),
                       route("10.4.0.0/16", .via(gateway: ip("192.168.10.2"), ifindex: 3))])
        s.removeNexthop(1)
        XCTAssertEqual(s, state([nexthop(2, "192.168.20.2")],
                                [route("10.3.0.0/16", .nexthop(2)),
                                 route("10.4.0.0/16", .via(gateway: ip("192.168.10.2"), ifindex: 3))]))
    }

    /// Nexthops and routes on device 3 (the flushed one) and on device 4 (untouched).
    func twoDeviceState() -> KernelState {
        state([nexthop(1, "192.168.10.2", dev: 3), nexthop(2, "192.168.20.2", dev: 4)],
              [route("10.1.0.0/16", .nexthop(1)), route("10.2.0.0/16", .nexthop(2)),
               route("10.3.0.0/16", .via(gateway: nil, ifindex: 3)),
               route("10.4.0.0/16", .via(gateway: nil, ifindex: 4))],
              [rule(10, prio: 1000)])
    }

    func testCarrierLossDropsTheDevicesNexthopsButKeepsPlainRoutes() {
        var s = twoDeviceState()
        s.deviceFlushed(3, adminDown: false)
        XCTAssertEqual(s, state([nexthop(2, "192.168.20.2", dev: 4)],
                                [route("10.2.0.0/16", .nexthop(2)),
                                 route("10.3.0.0/16", .via(gateway: nil, ifindex: 3)),
                                 route("10.4.0.0/16", .via(gateway: nil, ifindex: 4))],
                                [rule(10, prio: 1000)]))
    }

    func testAdminDownAlsoDropsPlainRoutesThroughTheDevice() {
        var s = twoDeviceState()
        s.deviceFlushed(3, adminDown: true)
        XCTAssertEqual(s, state([nexthop(2, "192.168.20.2", dev: 4)],
                                [route("10.2.0.0/16", .nexthop(2)),
                                 route("10.4.0.0/16", .via(gateway: nil, ifindex: 4))],
                                [rule(10, prio: 1000)]))
    }

    func testRemoveDeviceTakesItsNexthopsAndRoutesButNotRules() {
        var s = twoDeviceState()
        s.removeDevice(3)
        XCTAssertEqual(s, state([nexthop(2, "192.168.20.2", dev: 4)],
                                [route("10.2.0.0/16", .nexthop(2)),
                                 route("10.4.0.0/16", .via(gateway: nil, ifindex: 4))],
                                [rule(10, prio: 1000)]))
    }

    // MARK: nexthopSwitches

    func testASwitchIsTheGroupsNexthopsRePointedAndNothingElse() {
        let c = config(Self.dualStack)
        let onER = desired(c, active: [0])
        let switches = nexthopSwitches(config: c, active: [1], ifindex: { self.devices[$0] }, actual: onER)
        XCTAssertEqual(switches, [.replaceNexthop(NexthopSpec(id: 100, family: .v4, gateway: nil, ifindex: 4)),
                                  .replaceNexthop(NexthopSpec(id: 101, family: .v6, gateway: nil, ifindex: 4))])
        var after = onER
        for op in switches { after.apply(op) }
        XCTAssertEqual(after, desired(c, active: [1]), "with nexthop objects the replace is the whole switch")
        XCTAssertEqual(nexthopSwitches(config: c, active: [0], ifindex: { self.devices[$0] }, actual: onER), [],
                       "already on the active path")
        XCTAssertEqual(nexthopSwitches(config: c, active: [1], ifindex: { self.devices[$0] }, actual: KernelState()), [],
                       "no object yet: the full reconcile makes it")
        XCTAssertEqual(nexthopSwitches(config: c, active: [nil], ifindex: { self.devices[$0] }, actual: onER), [])
    }

    func testANewRouteIsAddedOnlyWhereNoneIsAndHedgesOwnIsReplaced() {
        let mine = route("10.1.0.0/16", .nexthop(1))
        var have = KernelState()
        have.insert(mine)
        var want = KernelState()
        let moved = route("10.1.0.0/16", .via(gateway: nil, ifindex: 4))
        want.insert(moved)
        XCTAssertEqual(reconcile(desired: want, actual: have), [.replaceRoute(moved)], "hedge's own route is replaced")
        XCTAssertEqual(reconcile(desired: want, actual: KernelState()), [.addRoute(moved)],
                       "one hedge does not hold goes in with NLM_F_EXCL: a foreign one is refused, never replaced")
    }

    // MARK: desiredKernelState

    func testTheVPNGatewaysBGPNeighbourIsPinnedToTheTunnelWhicheverPathTheGroupUses() {
        let c = config("""
            router-id 192.168.10.1; local-as 65010;
            path er { priority 10; device er0; gateway 192.168.10.2; bgp 192.168.10.2 { remote-as 12076; } }
            path vpn { priority 20; device vpn0;
                ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } }
                bgp 10.200.255.254 { remote-as 65515; source 172.16.0.1; } }
            group g { prefix 10.200.0.0/16; paths er vpn; nexthop-id 100; }
            """)
        for active in [0, 1] {
            let s = desired(c, active: [active])
            XCTAssertEqual(s.routes[RouteKey(prefix: IPPrefix("10.200.255.254/32")!, table: 254, metric: 0)]?.target,
                           .via(gateway: nil, ifindex: 4), "the VPN gateway's session stays in the tunnel")
            XCTAssertNil(s.routes[RouteKey(prefix: IPPrefix("192.168.10.2/32")!, table: 254, metric: 0)],
                         "the MSEE is on the link: nothing to pin")
        }
        XCTAssertNil(s0(desired(c, active: [nil], devices: ["er0": 3])), "no device, no route")
    }
    private func s0(_ s: KernelState) -> RouteSpec? { s.routes[RouteKey(prefix: IPPrefix("10.200.255.254/32")!, table: 254, metric: 0)] }

    func testNexthopModeMakesOneNexthopPerFamilyWithIDAndIDPlusOne() {
        let s = desired(config(Self.dualStack), active: [0])
        XCTAssertEqual(s, state([nexthop(100, "192.168.10.2", dev: 3), nexthop(101, "2001:db8:10::2", dev: 3)],
                                [route("10.200.0.0/16", .nexthop(100)),
                                 route("2001:db8:200::/48", .nexthop(101), metric: 1024)]))
    }

    func testNexthopModeOnAPointToPointPathHasNoGateways() {
        let s = desired(config(Self.dualStack), active: [1])
        XCTAssertEqual(s.nexthops, [
            100: NexthopSpec(id: 100, family: .v4, gateway: nil, ifindex: 4),
            101: NexthopSpec(id: 101, family: .v6, gateway: nil, ifindex: 4),
        ])
        XCTAssertEqual(Set(s.routes.values.map(\.target)), [.nexthop(100), .nexthop(101)])
    }

    func testNexthopModeSkipsTheV6NexthopForAV4OnlyGroup() {
        let c = config("""
            path er { priority 10; device er0; gateway 192.168.10.2; }
            path vpn { priority 20; device vpn0; }
            group g { prefix 10.200.0.0/16 10.201.0.0/16; paths er vpn; nexthop-id 100; }
            """)
        let s = desired(c, active: [0])
        XCTAssertEqual(Array(s.nexthops.keys), [100])
        XCTAssertEqual(s.routes.count, 2)
        XCTAssertTrue(s.routes.values.allSatisfy { $0.target == .nexthop(100) && $0.protocolID == 88 && $0.key.table == 254 })
    }

    func testAnIPv6GatewayServesAnIPv6OnlyGroup() {
        let c = config("""
            path er { priority 10; device er0; gateway 2001:db8:10::2; }
            path vpn { priority 20; device vpn0; }
            group g { prefix 2001:db8:200::/48; paths er vpn; nexthop-id 100; }
            """)
        let s = desired(c, active: [0])
        XCTAssertEqual(s.nexthops, [101: NexthopSpec(id: 101, family: .v6, gateway: ip("2001:db8:10::2"), ifindex: 3)])
        XCTAssertEqual(Array(s.routes.values), [route("2001:db8:200::/48", .nexthop(101), metric: 1024)])
    }

    func testPerRouteModePointsRoutesAtGatewayAndDevice() {
        let s = desired(config(Self.dualStack), active: [0], nexthopObjects: false)
        XCTAssertEqual(s, state([], [
            route("10.200.0.0/16", .via(gateway: ip("192.168.10.2"), ifindex: 3)),
            route("2001:db8:200::/48", .via(gateway: ip("2001:db8:10::2"), ifindex: 3), metric: 1024),
        ]))
    }

    /// The actual state a previous run left: the group's objects plus someone else's.
    func leftovers() -> KernelState {
        state([nexthop(100, "192.168.10.2"), nexthop(101, "2001:db8:10::2"), nexthop(7, "192.168.99.1")],
              [route("10.200.0.0/16", .nexthop(100)),
               route("2001:db8:200::/48", .nexthop(101), metric: 1024),
               route("10.99.0.0/16", .nexthop(7)),
               route("10.200.0.0/16", .nexthop(100), table: 100)])
    }

    func testAGroupWithNoActivePathKeepsItsActualObjects() {
        let s = desired(config(Self.dualStack), active: [nil], actual: leftovers())
        XCTAssertEqual(s, state([nexthop(100, "192.168.10.2"), nexthop(101, "2001:db8:10::2")],
                                [route("10.200.0.0/16", .nexthop(100)),
                                 route("2001:db8:200::/48", .nexthop(101), metric: 1024)]))
    }

    func testAGroupWhoseActiveDeviceIsMissingKeepsItsActualObjects() {
        let kept = desired(config(Self.dualStack), active: [nil], actual: leftovers())
        let s = desired(config(Self.dualStack), active: [0], devices: ["vpn0": 4], actual: leftovers())
        XCTAssertEqual(s, kept)
        XCTAssertEqual(reconcile(desired: s, actual: leftovers()).filter {
            if case .deleteNexthop(let n) = $0 { return n.id == 100 || n.id == 101 } else { return false }
        }, [])
    }

    func testKernelMetricTurnsIPv6MetricZeroInto1024() {
        XCTAssertEqual(kernelMetric(0, family: .v6), 1024)
        XCTAssertEqual(kernelMetric(0, family: .v4), 0)
        XCTAssertEqual(kernelMetric(50, family: .v6), 50)
        XCTAssertEqual(kernelMetric(50, family: .v4), 50)
    }

    func testConfiguredMetricAndTableAreUsedForBothFamilies() {
        let s = desired(config(Self.dualStack + "kernel { table 100; metric 50; protocol 99; }\n"), active: [0])
        XCTAssertEqual(Set(s.routes.keys), [RouteKey(prefix: pfx("10.200.0.0/16"), table: 100, metric: 50),
                                            RouteKey(prefix: pfx("2001:db8:200::/48"), table: 100, metric: 50)])
        XCTAssertTrue(s.routes.values.allSatisfy { $0.protocolID == 99 })
    }

    // MARK: probe pinning

    static let probed = """
        path er {
            priority 10; device er0; gateway 192.168.10.2; gateway6 2001:db8:10::2;
            probe icmp 10.200.0.4 { interval 10ms; }
        }
        path vpn { priority 20; device vpn0; probe icmp 2001:db8:200::4 { interval 10ms; } }
        path spare { priority 30; device spare0; gateway 192.168.30.2; }
        group g { prefix 10.200.0.0/16; paths er vpn spare; nexthop-id 100; }
        kernel { probe-table-base 5000; }
        """

    func testProbePinningTableAndPriorityFollowThePathIndex() {
        XCTAssertEqual(ProbePinning.table(base: 5000, path: 0), 5000)
        XCTAssertEqual(ProbePinning.table(base: 5000, path: 2), 5002)
        XCTAssertEqual(ProbePinning.rulePriority(path: 0), 1000)
        XCTAssertEqual(ProbePinning.rulePriority(path: 2), 1002)
    }

    func testEveryProbedPathGetsAFwmarkRuleAndAHostRouteInItsTable() {
        let s = desired(config(Self.probed), active: [0], nexthopObjects: false)
        XCTAssertEqual(s.rules, [RuleSpec(family: .v4, fwmark: 5000, table: 5000, priority: 1000),
                                 RuleSpec(family: .v6, fwmark: 5001, table: 5001, priority: 1001)])
        XCTAssertEqual(s.routes[RouteKey(prefix: pfx("10.200.0.4/32"), table: 5000, metric: 0)]?.target,
                       .via(gateway: ip("192.168.10.2"), ifindex: 3))
        XCTAssertEqual(s.routes[RouteKey(prefix: pfx("2001:db8:200::4/128"), table: 5001, metric: 1024)]?.target,
                       .via(gateway: nil, ifindex: 4))
        // The group route plus two probe host routes; the unprobed path pins nothing.
        XCTAssertEqual(s.routes.count, 3)
    }

    func testProbePinningIsIndependentOfTheActivePath() {
        let withActive = desired(config(Self.probed), active: [1])
        let withNone = desired(config(Self.probed), active: [nil])
        XCTAssertEqual(withActive.rules, withNone.rules)
        XCTAssertEqual(withActive.routes.filter { $0.key.table >= 5000 }, withNone.routes.filter { $0.key.table >= 5000 })
    }

    func testAProbedPathWithoutItsDeviceKeepsTheRuleButHasNoHostRoute() {
        let s = desired(config(Self.probed), active: [0], devices: ["er0": 3])
        XCTAssertEqual(s.rules.count, 2)
        XCTAssertNil(s.routes.first { $0.key.table == 5001 })
        XCTAssertNotNil(s.routes[RouteKey(prefix: pfx("10.200.0.4/32"), table: 5000, metric: 0)])
    }
}

/// Which BGP source hedge puts on a tunnel it owns: an APIPA one, never a LAN address.
final class TunnelSourceAddressTests: XCTestCase {
    func path(_ source: String, ipsec: Bool = true) -> PathConfig {
        let r = ConfigLoader.parse("""
            router-id 192.168.10.1; local-as 65010;
            path er { priority 10; device er0; gateway 192.168.10.2; }
            path vpn { priority 20; device vpn0; \(ipsec ? "ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } }" : "")
                bgp 169.254.21.1 { remote-as 65515; source \(source); } }
            group g { prefix 10.200.0.0/16; paths er vpn; }
            """, file: "t.conf")
        return r.config!.paths[1]
    }

    func testAnAPIPASourceGoesOnTheTunnel() {
        XCTAssertEqual(tunnelSourceAddress(path("169.254.21.2")), IPAddress("169.254.21.2"))
    }

    func testALANSourceStaysWhereTheOperatorPutIt() {
        XCTAssertNil(tunnelSourceAddress(path("172.16.0.1")))
    }

    func testWithoutATunnelHedgeAddsNothing() {
        XCTAssertNil(tunnelSourceAddress(path("169.254.21.2", ipsec: false)))
    }
}
