import XCTest
import CHedge
import HedgeCore
@testable import HedgeLinux

/// Large request batches against the real kernel: sent in windows the receive buffer can hold, and
/// never waited on beyond a deadline when the kernel drops replies all the same.
final class NetlinkWindowTests: XCTestCase {
    var ns: Netns!

    override func setUpWithError() throws {
        try requireRoot("netlink request windows in a network namespace")
        ns = Netns("nw")
        _ = ns.ip("link add a0 type veth peer name a1")
        for d in ["a0", "a1"] { _ = ns.ip("link set \(d) up") }
        _ = ns.ip("addr add 192.0.2.1/30 dev a0")
        ns.enter()
    }

    override func tearDown() {
        ns?.leave()
        ns = nil
    }

    /// `count` /24 routes from 10.100.0.0 on, through `ifindex`.
    func routes(_ count: Int, ifindex: Int32) -> [KernelOp] {
        (0..<count).map { i in
            .replaceRoute(RouteSpec(prefix: IPPrefix("10.\(100 + i / 256).\(i % 256).0/24")!, table: 254, metric: 0,
                                    target: .via(gateway: IPAddress("192.0.2.2"), ifindex: ifindex), protocolID: 88))
        }
    }

    func testFiveThousandRoutesAndFiveThousandRefusalsThroughATinyReceiveBuffer() throws {
        let k = try RouteNetlink(protocolID: 88, receiveBuffer: 4096)
        XCTAssertLessThan(k.sock.window, 16, "a 4 KiB buffer holds only a few replies: small windows")
        let a0 = Int32(if_nametoindex("a0"))
        let t0 = Clock.monotonicMs()
        XCTAssertEqual(try k.apply(routes(5000, ifindex: a0)).count, 0)
        XCTAssertEqual(try k.ownedState().routes.count, 5000)
        // Every one refused (no such device): each refusal comes back, named, and none is lost.
        let refused = try k.apply(routes(5000, ifindex: 999_999))
        XCTAssertEqual(refused.count, 5000)
        XCTAssertEqual(refused.first?.request, "RTM_NEWROUTE")
        XCTAssertTrue(refused.first?.object.hasPrefix("route 10.100.0.0/24") ?? false, "\(refused.first!)")
        XCTAssertEqual(k.sock.exchangesLost, 0)
        XCTAssertLessThan(Clock.monotonicMs() - t0, 10_000)
    }

    func testDroppedAcksEndTheExchangeAtItsDeadlineInsteadOfStallingIt() throws {
        let k = try RouteNetlink(protocolID: 88, receiveBuffer: 4096)
        // One window of 5,000 through a 4 KiB buffer: the kernel must drop most refusals, and the
        // window's synchronising ack with them.
        k.sock.window = 5000
        let t0 = Clock.monotonicMs()
        XCTAssertThrowsError(try k.apply(routes(5000, ifindex: 999_999))) { e in
            let err = e as! SystemError
            XCTAssertTrue(err.errno == ENOBUFS || err.errno == ETIMEDOUT, "\(err)")
        }
        XCTAssertLessThan(Clock.monotonicMs() - t0, 2 * k.sock.replyDeadlineMs + 1000, "gave up, did not wait")
        XCTAssertEqual(k.sock.exchangesLost, 1)
        // The outcome is learned by a dump on the socket that replaced the lost exchange's.
        XCTAssertEqual(try k.ownedState().routes.count, 0)
        k.sock.window = 1
        XCTAssertEqual(try k.apply(routes(10, ifindex: Int32(if_nametoindex("a0")))).count, 0)
    }
}
