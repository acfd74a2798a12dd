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
