import XCTest
@testable import HedgeCore

final class RouteWatchTests: XCTestCase {
    let a = IPPrefix("10.200.0.0/16")!
    let b = IPPrefix("10.201.0.0/16")!
    let v6 = IPPrefix("2001:db8:200::/48")!

    /// A watch of proto bgp in main whose first (empty) dump is done.
    func started(_ ps: [IPPrefix], mode: RouteWatch.Mode = .all) -> RouteWatch {
        var w = RouteWatch(prefixes: ps, protocolID: 186, mode: mode)
        _ = w.dumpDone()
        return w
    }

    func testUnknownUntilTheFirstDumpThenDownWhenMissing() {
        var w = RouteWatch(prefixes: [a], protocolID: 186)
        XCTAssertEqual(w.health, .unknown)
        XCTAssertEqual(w.table, 254, "main by default")
        XCTAssertEqual(w.mode, .all, "all prefixes by default")
        XCTAssertNil(w.routeAdded(b, table: 254, protocolID: 186), "not watched")
        let r = w.dumpDone()
        XCTAssertEqual(r?.0, .down)
        XCTAssertEqual(r?.1, "route-watch: 10.200.0.0/16 proto bgp gone from table main")
    }

    func testDumpFindsTheRouteUp() {
        var w = RouteWatch(prefixes: [a], protocolID: 186)
        XCTAssertNil(w.routeAdded(a, table: 254, protocolID: 186), "no report mid-dump")
        XCTAssertEqual(w.dumpDone()?.0, .up)
        XCTAssertEqual(w.reason, "route-watch: 10.200.0.0/16 proto bgp in table main")
    }

    func testAddRemoveAdd() {
        var w = started([a])
        XCTAssertEqual(w.health, .down)
        XCTAssertEqual(w.routeAdded(a, table: 254, protocolID: 186)?.0, .up)
        XCTAssertNil(w.routeAdded(a, table: 254, protocolID: 186), "a replace: no change")
        let r = w.routeRemoved(a, table: 254, protocolID: 186)
        XCTAssertEqual(r?.0, .down)
        XCTAssertEqual(r?.1, "route-watch: 10.200.0.0/16 proto bgp gone from table main")
        XCTAssertNil(w.routeRemoved(a, table: 254, protocolID: 186), "removing an absent route changes nothing")
        XCTAssertEqual(w.routeAdded(a, table: 254, protocolID: 186)?.0, .up)
    }

    func testOtherProtocolsTablesAndPrefixesAreIgnored() {
        var w = started([a])
        XCTAssertNil(w.routeAdded(a, table: 254, protocolID: 12))
        XCTAssertNil(w.routeAdded(a, table: 100, protocolID: 186))
        XCTAssertNil(w.routeAdded(IPPrefix("10.200.1.0/24")!, table: 254, protocolID: 186), "exact match only")
        XCTAssertNil(w.routeAdded(IPPrefix("10.0.0.0/8")!, table: 254, protocolID: 186))
        XCTAssertEqual(w.health, .down)
        XCTAssertEqual(w.routeAdded(a, table: 254, protocolID: 186)?.0, .up)
        XCTAssertNil(w.routeRemoved(a, table: 254, protocolID: 12), "another daemon's route going is not ours")
        XCTAssertEqual(w.health, .up)
    }

    func testSeveralRoutesForOnePrefixAreCounted() {
        var w = started([a])
        XCTAssertEqual(w.routeAdded(a, table: 254, protocolID: 186, metric: 20)?.0, .up)
        XCTAssertNil(w.routeAdded(a, table: 254, protocolID: 186, metric: 30))
        XCTAssertEqual(w.routeCount(a), 2)
        XCTAssertNil(w.routeRemoved(a, table: 254, protocolID: 186, metric: 20), "one left")
        XCTAssertEqual(w.routeCount(a), 1)
        XCTAssertEqual(w.routeRemoved(a, table: 254, protocolID: 186, metric: 30)?.0, .down)
        XCTAssertEqual(w.routeCount(a), 0)
    }

    func testAllModeNeedsEveryPrefix() {
        var w = started([b, a, v6, a])
        XCTAssertEqual(w.prefixes, [a, b, v6], "sorted, no duplicates")
        XCTAssertEqual(w.families, [.v4, .v6])
        XCTAssertNil(w.routeAdded(a, table: 254, protocolID: 186))
        XCTAssertNil(w.routeAdded(v6, table: 254, protocolID: 186, metric: 1024))
        XCTAssertEqual(w.present, [a, v6])
        XCTAssertEqual(w.missing, [b])
        XCTAssertEqual(w.reason, "route-watch: 10.201.0.0/16 proto bgp gone from table main")
        XCTAssertEqual(w.routeAdded(b, table: 254, protocolID: 186)?.0, .up)
        XCTAssertEqual(w.reason, "route-watch: 10.200.0.0/16, 10.201.0.0/16, 2001:db8:200::/48 proto bgp in table main")
        let r = w.routeRemoved(v6, table: 254, protocolID: 186, metric: 1024)
        XCTAssertEqual(r?.0, .down)
        XCTAssertEqual(r?.1, "route-watch: 2001:db8:200::/48 proto bgp gone from table main")
        // A second loss changes the reason, not the health.
        XCTAssertNil(w.routeRemoved(a, table: 254, protocolID: 186))
        XCTAssertEqual(w.reason, "route-watch: 10.200.0.0/16, 2001:db8:200::/48 proto bgp gone from table main")
    }

    func testAnyModeNeedsOnePrefix() {
        var w = started([a, b], mode: .any)
        XCTAssertEqual(w.health, .down)
        XCTAssertEqual(w.reason, "route-watch: 10.200.0.0/16, 10.201.0.0/16 proto bgp gone from table main")
        XCTAssertEqual(w.routeAdded(b, table: 254, protocolID: 186)?.0, .up)
        XCTAssertNil(w.routeAdded(a, table: 254, protocolID: 186))
        XCTAssertNil(w.routeRemoved(b, table: 254, protocolID: 186))
        XCTAssertEqual(w.routeRemoved(a, table: 254, protocolID: 186)?.0, .down)
    }

    func testResetHoldsHealthUntilTheDumpIsDone() {
        var w = started([a])
        _ = w.routeAdded(a, table: 254, protocolID: 186)
        w.reset()
        XCTAssertTrue(w.dumping)
        XCTAssertEqual(w.health, .up, "health holds while the dump is read")
        XCTAssertEqual(w.missing, [a])
        XCTAssertEqual(w.dumpDone()?.0, .down, "the route is not in the dump")
        // Same again, this time the dump has it: no report at all.
        w.reset()
        XCTAssertNil(w.routeAdded(a, table: 254, protocolID: 186))
        XCTAssertEqual(w.dumpDone()?.0, .up)
        w.reset()
        XCTAssertNil(w.routeAdded(a, table: 254, protocolID: 186))
        XCTAssertNil(w.dumpDone(), "still up: nothing to report")
    }

    func testReplayedEventsAfterADumpAreHarmless() {
        // The dump already shows the route; the queued RTM_NEWROUTE for it comes after.
        var w = RouteWatch(prefixes: [a], protocolID: 186)
        _ = w.routeAdded(a, table: 254, protocolID: 186)
        XCTAssertEqual(w.dumpDone()?.0, .up)
        XCTAssertNil(w.routeAdded(a, table: 254, protocolID: 186))
        XCTAssertEqual(w.routeCount(a), 1)
        XCTAssertEqual(w.routeRemoved(a, table: 254, protocolID: 186)?.0, .down)
    }

    func testOtherTableAndProtocolNames() {
        var w = RouteWatch(prefixes: [a], protocolID: 200, table: 100)
        XCTAssertEqual(w.dumpDone()?.1, "route-watch: 10.200.0.0/16 proto 200 gone from table 100")
        XCTAssertEqual(w.routeAdded(a, table: 100, protocolID: 200)?.0, .up)
    }

    func testLongListsAreCut() {
        let ps = (0..<6).map { IPPrefix("10.\(210 + $0).0.0/16")! }
        var w = RouteWatch(prefixes: ps, protocolID: 12)
        XCTAssertEqual(w.dumpDone()?.1,
                       "route-watch: 10.210.0.0/16, 10.211.0.0/16, 10.212.0.0/16 and 3 more proto bird gone from table main")
    }

    func testNoPrefixesIsUp() {
        var w = RouteWatch(prefixes: [], protocolID: 186)
        XCTAssertEqual(w.dumpDone()?.0, .up)
        XCTAssertEqual(w.families, [])
    }

    func testProtocolNamesAndParsing() {
        XCTAssertEqual(RouteWatch.protocolName(186), "bgp")
        XCTAssertEqual(RouteWatch.protocolName(12), "bird")
        XCTAssertEqual(RouteWatch.protocolName(88), "hedge")
        XCTAssertEqual(RouteWatch.protocolName(4), "static")
        XCTAssertEqual(RouteWatch.protocolName(3), "boot")
        XCTAssertEqual(RouteWatch.protocolName(2), "kernel")
        XCTAssertEqual(RouteWatch.protocolName(200), "200")
        for p in [UInt8(0), 2, 3, 4, 12, 88, 186, 200, 255] {
            XCTAssertEqual(RouteWatch.parseProtocol(RouteWatch.protocolName(p)), p, "round trip \(p)")
        }
        XCTAssertEqual(RouteWatch.parseProtocol("bgp"), 186)
        XCTAssertEqual(RouteWatch.parseProtocol("bird"), 12)
        XCTAssertEqual(RouteWatch.parseProtocol("186"), 186)
        for bad in ["", "256", "-1", "012", "BGP", "bgp ", "ospf", "99999999999"] {
            XCTAssertNil(RouteWatch.parseProtocol(bad), bad)
        }
    }

    func testTableNamesAndParsing() {
        XCTAssertEqual(RouteWatch.tableName(254), "main")
        XCTAssertEqual(RouteWatch.tableName(255), "local")
        XCTAssertEqual(RouteWatch.tableName(253), "default")
        XCTAssertEqual(RouteWatch.tableName(1000), "1000")
        XCTAssertEqual(RouteWatch.parseTable("main"), 254)
        XCTAssertEqual(RouteWatch.parseTable("100"), 100)
        XCTAssertEqual(RouteWatch.parseTable("4294967295"), UInt32.max)
        for bad in ["", "0", "4294967296", "x", "01"] { XCTAssertNil(RouteWatch.parseTable(bad), bad) }
    }
}
