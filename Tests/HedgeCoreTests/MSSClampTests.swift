import XCTest
@testable import HedgeCore

/// hedge's nftables table: what the clamp wants from the configuration, and the one batch that
/// brings the kernel there (nothing at all when it already is).
final class MSSClampTests: XCTestCase {
    func config(_ ipsecExtra: String = "") -> HedgeConfig {
        let r = ConfigLoader.parse("""
            path er { priority 10; device er0; gateway 192.168.10.2; }
            path vpn { priority 20; device vpn0;
                ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } \(ipsecExtra) }
                probe icmp 10.200.0.4 { } }
            group g { prefix 10.200.0.0/16; paths er vpn; }
            """, file: "t.conf")
        XCTAssertFalse(r.hasErrors, r.diagnostics.map { $0.description }.joined(separator: "\n"))
        return r.config ?? HedgeConfig()
    }

    let inRule = ClampRule(device: "vpn0", direction: .inbound, mss: 1350)
    let outRule = ClampRule(device: "vpn0", direction: .outbound, mss: 1350)

    func testAzuresMSSIsTheDefaultBothWays() {
        XCTAssertEqual(NftClamp.desired(config()), [inRule, outRule])
        XCTAssertEqual(config().paths[1].ipsec?.mtu, 1400)
        XCTAssertEqual(NftClamp.desired(config("mss 1300;")).map(\.mss), [1300, 1300])
        XCTAssertEqual(NftClamp.desired(config("mss off;")), [])
        XCTAssertTrue(NftClamp.wanted(config("mss off;")), "a table left from before is still hedge's to remove")
    }

    func testTheCommentNamesWhatTheRuleDoes() {
        XCTAssertEqual(outRule.comment, "hedge: clamp TCP MSS to 1350 out to vpn0")
        XCTAssertEqual(inRule.comment, "hedge: clamp TCP MSS to 1350 in from vpn0")
        XCTAssertEqual(inRule.chain, "mss-in")
    }

    func testNoTableYetMakesItWhole() {
        XCTAssertEqual(nftClampPlan(desired: [inRule, outRule], actual: nil),
                       [.addTable, .addChain(NftClamp.chains[0]), .addChain(NftClamp.chains[1]), .addRule(inRule), .addRule(outRule)])
        XCTAssertEqual(nftClampPlan(desired: [], actual: nil), [])
    }

    func testTheTableAsHedgeMadeItNeedsNothing() {
        let have = NftTableState(chains: NftClamp.chains,
                                 rules: [.init(chain: "mss-in", handle: 2, comment: inRule.comment),
                                         .init(chain: "mss-out", handle: 3, comment: outRule.comment)])
        XCTAssertEqual(nftClampPlan(desired: [inRule, outRule], actual: have), [])
    }

    func testAFlushedChainGetsItsRuleBack() {
        let have = NftTableState(chains: NftClamp.chains, rules: [.init(chain: "mss-out", handle: 3, comment: outRule.comment)])
        XCTAssertEqual(nftClampPlan(desired: [inRule, outRule], actual: have), [.addRule(inRule)])
    }

    func testAChangedMSSReplacesTheRulesAndStrangersGo() {
        let have = NftTableState(chains: NftClamp.chains,
                                 rules: [.init(chain: "mss-in", handle: 2, comment: inRule.comment),
                                         .init(chain: "mss-in", handle: 5, comment: nil),
                                         .init(chain: "mss-in", handle: 6, comment: inRule.comment)])
        let want = ClampRule(device: "vpn0", direction: .inbound, mss: 1300)
        XCTAssertEqual(nftClampPlan(desired: [want], actual: have),
                       [.deleteRule(chain: "mss-in", handle: 2), .deleteRule(chain: "mss-in", handle: 5),
                        .deleteRule(chain: "mss-in", handle: 6), .addRule(want)])
    }

    func testAChainHedgeDidNotMakeRebuildsTheTableInOneBatch() {
        var odd = NftClamp.chains[0]
        odd.priority = 0
        let have = NftTableState(chains: [odd, NftClamp.chains[1]], rules: [])
        XCTAssertEqual(nftClampPlan(desired: [inRule], actual: have),
                       [.deleteTable, .addTable, .addChain(NftClamp.chains[0]), .addChain(NftClamp.chains[1]), .addRule(inRule)])
    }

    func testMSSOffRemovesTheTable() {
        XCTAssertEqual(nftClampPlan(desired: [], actual: NftTableState(chains: NftClamp.chains)), [.deleteTable])
    }
}

/// IPv6 honesty: a tunnel that carries IPv4 only cannot take an IPv6 group.
final class ConfigTunnelFamilyTests: XCTestCase, ConfigChecking {
    func testAnIPv6GroupOverTheIPv4TunnelIsRefusedAtTheGroup() {
        expectError("""
            path er { priority 10; device er0; gateway 192.168.10.2; gateway6 2001:db8:10::2; }
            path vpn { priority 20; device vpn0; probe icmp 10.200.0.4 { }
                ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } } }
            group v6 { prefix 2001:db8:200::/48; paths er vpn; }
            """, at: 4, 7, "is an IPsec tunnel that carries IPv4 only")
    }

    func testAnIPv6GroupWithoutTheTunnelIsFine() {
        XCTAssertEqual(lines(parse("""
            path er { priority 10; device er0; gateway 192.168.10.2; gateway6 2001:db8:10::2; }
            path vpn { priority 20; device vpn0; probe icmp 10.200.0.4 { }
                ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } } }
            path lte { priority 30; device wwan0; gateway6 2001:db8:30::1; }
            group v4 { prefix 10.200.0.0/16; paths er vpn; }
            group v6 { prefix 2001:db8:200::/48; paths er lte; }
            """)).filter { $0.contains("error") }, [])
    }
}

/// Default-route mode: the tunnel's remote end is pinned on the underlay whenever a group with the
/// tunnel routes it, and a configuration that could not pin it is refused.
final class UnderlayPinTests: XCTestCase, ConfigChecking {
    func conf(_ underlay: String, prefix: String = "0.0.0.0/0") -> String {
        """
        path er { priority 10; device er0; gateway 192.168.10.2; }
        path vpn { priority 20; device vpn0; probe icmp 10.200.0.4 { }
            ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; \(underlay) strongswan { connection a; } } }
        group all { prefix \(prefix); paths er vpn; }
        """
    }

    func testTheDefaultRoutePinsTheRemoteOnTheUnderlay() throws {
        let c = try XCTUnwrap(parse(conf("underlay wan0 via 198.51.100.2;")).config)
        let pin = try XCTUnwrap(underlayPin(c, path: 1))
        XCTAssertEqual(pin.0, IPPrefix("203.0.113.2/32"))
        XCTAssertEqual(pin.1, IPAddress("198.51.100.2"))
        XCTAssertEqual(pin.2, "wan0")
        let devices: [String: Int32] = ["er0": 3, "vpn0": 4, "wan0": 5]
        let pinKey = RouteKey(prefix: IPPrefix("203.0.113.2/32")!, table: 254, metric: 0)
        let defaultKey = RouteKey(prefix: IPPrefix("0.0.0.0/0")!, table: 254, metric: 0)
        let first = desiredKernelState(config: c, active: [1], ifindex: { devices[$0] }, nexthopObjects: true, actual: KernelState())
        XCTAssertEqual(first.routes[pinKey]?.target, .via(gateway: IPAddress("198.51.100.2"), ifindex: 5),
                       "IKE and ESP stay on wan0 whichever path 0.0.0.0/0 takes")
        XCTAssertNil(first.routes[defaultKey], "the default waits until the pin is in the kernel")
        XCTAssertTrue(underlayPinsPending(config: c, ifindex: { devices[$0] }, actual: KernelState()))
        var withPin = KernelState()
        withPin.insert(first.routes[pinKey]!)
        XCTAssertFalse(underlayPinsPending(config: c, ifindex: { devices[$0] }, actual: withPin))
        let then = desiredKernelState(config: c, active: [1], ifindex: { devices[$0] }, nexthopObjects: true, actual: withPin)
        XCTAssertEqual(then.routes[defaultKey]?.target, .nexthop(4800))
        XCTAssertNotNil(then.routes[pinKey])
        // The underlay gone: no pin can be made, and the default stays as the kernel has it.
        var both = withPin
        both.insert(then.routes[defaultKey]!)
        let gone = desiredKernelState(config: c, active: [1], ifindex: { ["er0": 3, "vpn0": 4][$0] }, nexthopObjects: true, actual: both)
        XCTAssertEqual(gone.routes[defaultKey], then.routes[defaultKey])
    }

    func testNoPinWhereNoGroupRoutesTheRemote() throws {
        let c = try XCTUnwrap(parse(conf("underlay wan0 via 198.51.100.2;", prefix: "10.200.0.0/16")).config)
        XCTAssertNil(underlayPin(c, path: 1))
    }

    func testADefaultOverATunnelThatCannotBePinnedIsRefused() {
        expectError(conf("underlay wan0;"), at: 4, 7, "needs 'underlay INTERFACE via GATEWAY;'")
        expectError(conf(""), at: 4, 7, "covers the tunnel's remote end 203.0.113.2")
    }

    func testUnderlayTakesViaOnly() {
        expectError(conf("underlay wan0 through 198.51.100.2;"), at: 3, 77, "unexpected 'through' after the underlay device")
    }
}

extension UnderlayPinTests {
    func testALearnedDefaultThatCouldNotBePinnedIsWarnedOf() {
        expectWarning("""
            router-id 192.168.10.1; local-as 65010;
            path er { priority 10; device er0; gateway 192.168.10.2; bgp 192.168.10.2 { remote-as 12076; } }
            path vpn { priority 20; device vpn0; probe icmp 10.200.0.4 { }
                ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } } }
            group azure { paths er vpn; }
            """, at: 5, 7, "hedge would hold it back, since nothing pins path 'vpn''s tunnel on its underlay")
    }
}
