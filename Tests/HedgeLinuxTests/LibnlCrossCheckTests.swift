import XCTest
import CHedge
import CLibnl
import HedgeCore
@testable import HedgeLinux

/// hedge decodes netlink itself (libmnl); libnl-3's caches decode the same kernel independently.
/// The two must agree on the links and on hedge's routes.
final class LibnlCrossCheckTests: XCTestCase {
    var ns: Netns!

    override func setUpWithError() throws {
        try requireRoot("libnl cross-check of hedge's netlink decoding")
        ns = Netns("nl3")
        _ = ns.ip("link add a0 type veth peer name a1")
        _ = ns.ip("link set a0 up")
        _ = ns.ip("link set a1 up")
        _ = ns.ip("link add b0 type veth peer name b1")   // b0 stays down, b1 up: no carrier on b0... and b1
        _ = ns.ip("link set b1 up")
        _ = ns.ip("addr add 192.0.2.1/30 dev a0")
        ns.enter()
    }

    override func tearDown() { ns?.leave(); ns = nil }

    func testLinksAgreeWithLibnlLinkCache() throws {
        let ours = try RouteNetlink(protocolID: 88).links()
        let sock = nl_socket_alloc()!
        defer { nl_socket_free(sock) }
        XCTAssertEqual(nl_connect(sock, NETLINK_ROUTE), 0)
        var cache: OpaquePointer?
        XCTAssertEqual(rtnl_link_alloc_cache(sock, AF_UNSPEC, &cache), 0)
        defer { nl_cache_free(cache) }
        XCTAssertEqual(Int(nl_cache_nitems(cache)), ours.count)
        for l in ours {
            guard let theirs = rtnl_link_get(cache, l.index) else { XCTFail("libnl lacks \(l.name)"); continue }
            defer { rtnl_link_put(theirs) }
            XCTAssertEqual(String(validatingCString: rtnl_link_get_name(theirs)), l.name)
            let flags = rtnl_link_get_flags(theirs)
            XCTAssertEqual(flags & 0x1 != 0, l.adminUp, l.name)   // IFF_UP
            XCTAssertEqual(flags & 0x10000 != 0, l.lowerUp, l.name)   // IFF_LOWER_UP
            XCTAssertEqual(rtnl_link_get_operstate(theirs), l.operState, l.name)
        }
    }

    func testOwnedRoutesAgreeWithLibnlRouteCache() throws {
        let k = try RouteNetlink(protocolID: 88)
        var want = KernelState()
        let a0 = Int32(if_nametoindex("a0"))
        for i in 0..<20 {
            want.insert(RouteSpec(prefix: IPPrefix("10.\(i).0.0/16")!, table: 254, metric: 0,
                                  target: .via(gateway: IPAddress("192.0.2.2"), ifindex: a0), protocolID: 88))
        }
        XCTAssertEqual(try k.apply(reconcile(desired: want, actual: KernelState())).count, 0)
        let ours = try k.ownedState()
        let sock = nl_socket_alloc()!
        defer { nl_socket_free(sock) }
        XCTAssertEqual(nl_connect(sock, NETLINK_ROUTE), 0)
        var cache: OpaquePointer?
        XCTAssertEqual(rtnl_route_alloc_cache(sock, AF_INET, 0, &cache), 0)
        defer { nl_cache_free(cache) }
        var theirs: [String] = []
        var obj = nl_cache_get_first(cache)
        while let o = obj {
            let r = o
            if rtnl_route_get_protocol(r) == 88 {
                var buf = [CChar](repeating: 0, count: 64)
                nl_addr2str(rtnl_route_get_dst(r), &buf, 64)
                theirs.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            obj = nl_cache_get_next(o)
        }
        XCTAssertEqual(Set(theirs), Set(ours.routes.keys.map { $0.prefix.description }))
        XCTAssertEqual(theirs.count, 20)
    }
}
