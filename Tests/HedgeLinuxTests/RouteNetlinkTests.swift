import XCTest
import CHedge
import HedgeCore
@testable import HedgeLinux

/// The netlink layer against this machine's real kernel, inside a throw-away namespace.
final class RouteNetlinkTests: XCTestCase {
    var ns: Netns!

    override func setUpWithError() throws {
        try requireRoot("netlink route/nexthop tests in a network namespace")
        ns = Netns("nl")
        // Two "paths": veth pairs whose peers stay in the namespace, so carrier is up.
        _ = ns.ip("link add a0 type veth peer name a1")
        _ = ns.ip("link add b0 type veth peer name b1")
        for d in ["a0", "a1", "b0", "b1"] { _ = ns.ip("link set \(d) up") }
        _ = ns.ip("addr add 192.0.2.1/30 dev a0")
        _ = ns.ip("addr add 198.51.100.1/30 dev b0")
        _ = ns.ip("addr add 2001:db8:a::1/64 dev a0 nodad")
        ns.enter()
    }

    override func tearDown() {
        ns?.leave()
        ns = nil
    }

    func ifindex(_ name: String) -> Int32 { Int32(if_nametoindex(name)) }

    func desired(via dev: String, gateway: String, count: Int = 3) -> KernelState {
        var s = KernelState()
        s.insert(NexthopSpec(id: 4800, family: .v4, gateway: IPAddress(gateway), ifindex: ifindex(dev)))
        for i in 0..<count {
            s.insert(RouteSpec(prefix: IPPrefix("10.\(200 + i).0.0/16")!, table: 254, metric: 0,
                               target: .nexthop(4800), protocolID: 88))
        }
        return s
    }

    func testApplyDumpAndReconcileToNothing() throws {
        let k = try RouteNetlink(protocolID: 88)
        XCTAssertTrue(k.hasNexthopObjects, "this kernel has nexthop objects (Linux 5.3 and later)")
        let want = desired(via: "a0", gateway: "192.0.2.2")
        XCTAssertEqual(try k.apply(reconcile(desired: want, actual: try k.ownedState())).count, 0)
        let got = try k.ownedState()
        XCTAssertEqual(got, want)
        XCTAssertEqual(reconcile(desired: want, actual: got), [], "a second pass changes nothing")
        XCTAssertTrue(ns.ip("route show proto 88").contains("10.200.0.0/16 nhid 4800 via 192.0.2.2 dev a0"))
    }

    func testLinksAndAddressesDump() throws {
        let k = try RouteNetlink(protocolID: 88)
        let links = try k.links()
        let a0 = try XCTUnwrap(links.first { $0.name == "a0" })
        XCTAssertTrue(a0.adminUp && a0.lowerUp && a0.carrier)
        let addrs = try k.addresses()
        XCTAssertTrue(addrs.contains { $0.0 == a0.index && $0.1 == IPAddress("192.0.2.1") }, "\(addrs)")
        XCTAssertTrue(addrs.contains { $0.0 == a0.index && $0.1 == IPAddress("2001:db8:a::1") }, "\(addrs)")
    }

    func testOneNexthopReplaceMovesEveryRoute() throws {
        let k = try RouteNetlink(protocolID: 88)
        _ = try k.apply(reconcile(desired: desired(via: "a0", gateway: "192.0.2.2", count: 50), actual: KernelState()))
        let before = k.changesSent
        let ops = reconcile(desired: desired(via: "b0", gateway: "198.51.100.2", count: 50), actual: try k.ownedState())
        XCTAssertEqual(ops.count, 1, "failover is one RTM_NEWNEXTHOP whatever the prefix count")
        XCTAssertEqual(try k.apply(ops).count, 0)
        XCTAssertEqual(k.changesSent - before, 1)
        let routes = ns.ip("route show proto 88")
        XCTAssertEqual(routes.components(separatedBy: "dev b0").count - 1, 50)
        XCTAssertFalse(routes.contains("dev a0"))
    }

    func testPerRouteFallbackIsOneBatch() throws {
        let k = try RouteNetlink(protocolID: 88)
        func via(_ dev: String, _ gw: String) -> KernelState {
            var s = KernelState()
            for i in 0..<200 {
                s.insert(RouteSpec(prefix: IPPrefix("10.\(i / 250).\(i % 250).0/24")!, table: 254, metric: 0,
                                   target: .via(gateway: IPAddress(gw), ifindex: ifindex(dev)), protocolID: 88))
            }
            return s
        }
        XCTAssertEqual(try k.apply(reconcile(desired: via("a0", "192.0.2.2"), actual: KernelState())).count, 0)
        XCTAssertEqual(try k.ownedState(), via("a0", "192.0.2.2"))
        XCTAssertEqual(try k.apply(reconcile(desired: via("b0", "198.51.100.2"), actual: try k.ownedState())).count, 0)
        XCTAssertEqual(try k.ownedState(), via("b0", "198.51.100.2"))
    }

    func testIPv6RoutesAndRules() throws {
        let k = try RouteNetlink(protocolID: 88)
        var s = KernelState()
        s.insert(NexthopSpec(id: 4801, family: .v6, gateway: IPAddress("2001:db8:a::2"), ifindex: ifindex("a0")))
        s.insert(RouteSpec(prefix: IPPrefix("2001:db8:200::/48")!, table: 254, metric: kernelMetric(0, family: .v6),
                           target: .nexthop(4801), protocolID: 88))
        s.insert(RuleSpec(family: .v4, fwmark: 0x4865_0000, table: 0x4865_0000, priority: 1000))
        s.insert(RouteSpec(prefix: IPPrefix("203.0.113.4/32")!, table: 0x4865_0000, metric: 0,
                           target: .via(gateway: IPAddress("192.0.2.2"), ifindex: ifindex("a0")), protocolID: 88))
        XCTAssertEqual(try k.apply(reconcile(desired: s, actual: try k.ownedState())).count, 0)
        XCTAssertEqual(try k.ownedState(), s)
        XCTAssertTrue(ns.ip("rule").contains("fwmark 0x48650000 lookup 1214578688 proto 88"))
        // Withdraw everything: the namespace is back to no hedge objects.
        XCTAssertEqual(try k.apply(reconcile(desired: KernelState(), actual: try k.ownedState())).count, 0)
        XCTAssertEqual(try k.ownedState(), KernelState())
    }

    func testKernelRefusalNamesTheObjectAndErrno() throws {
        let k = try RouteNetlink(protocolID: 88)
        let bad = NexthopSpec(id: 4900, family: .v4, gateway: IPAddress("203.0.113.9"), ifindex: ifindex("a0"))
        let errors = try k.apply([.replaceNexthop(bad)])
        XCTAssertEqual(errors.count, 1)
        let text = errors.first?.description ?? ""
        XCTAssertTrue(text.hasPrefix("RTM_NEWNEXTHOP nexthop id 4900 via 203.0.113.9"), text)
        XCTAssertTrue(text.contains("errno"), text)
        XCTAssertTrue(text.contains("kernel says"), "the extended ack's text is kept: \(text)")
    }

    func testRoutesOfOtherProtocolsAreNotOurs() throws {
        _ = ns.ip("route add 10.99.0.0/16 via 192.0.2.2 proto static")
        let k = try RouteNetlink(protocolID: 88)
        XCTAssertEqual(try k.ownedState(), KernelState())
        // Deleting "our" copy of that prefix must not touch the static route (rtm_protocol on delete).
        let theirs = RouteSpec(prefix: IPPrefix("10.99.0.0/16")!, table: 254, metric: 0,
                               target: .via(gateway: IPAddress("192.0.2.2"), ifindex: ifindex("a0")), protocolID: 88)
        _ = try k.apply([.deleteRoute(theirs)])
        XCTAssertTrue(ns.ip("route").contains("10.99.0.0/16 via 192.0.2.2"))
    }

    func testEventSocketOverrunIsReported() throws {
        // A deliberately tiny receive buffer and a flood of route events: the kernel drops events
        // (ENOBUFS) and drain() must say so, so that the agent re-dumps.
        let ev = try KernelEvents(protocolID: 88, receiveBuffer: 4096)
        var batch = ""
        for i in 0..<3000 { batch += "route add 10.\(100 + i / 250).\(i % 250).0/24 via 192.0.2.2 proto 88\n" }
        try batch.write(toFile: "/tmp/hedge-flood-\(getpid()).batch", atomically: true, encoding: .utf8)
        sh("ip -n \(ns.name) -batch /tmp/hedge-flood-\(getpid()).batch; rm -f /tmp/hedge-flood-\(getpid()).batch")
        var seen = 0
        let ok = ev.drain { _ in seen += 1 }
        XCTAssertFalse(ok, "3000 route events into a 4 KiB buffer must overrun (saw \(seen))")
        XCTAssertEqual(ev.overruns, 1)
        // After the overrun, a dump sees all of them.
        let k = try RouteNetlink(protocolID: 88)
        XCTAssertEqual(try k.ownedState().routes.count, 3000)
    }
}
