import XCTest
@testable import HedgeCore

/// The SA signal of a route-based tunnel: its ESP SAs (by if_id) kept from dumps and XFRM events,
/// up with both directions present.
final class SAHealthTests: XCTestCase {
    let local = IPAddress("198.51.100.1")!
    let remote = IPAddress("203.0.113.2")!

    func sa(from: IPAddress, to: IPAddress, spi: UInt32, ifID: UInt32 = 42) -> XfrmState {
        XfrmState(family: .v4, source: from, destination: to, spi: spi, ifID: ifID, algorithm: .aead(key: [UInt8](repeating: 1, count: 36)))
    }
    var out: XfrmState { sa(from: local, to: remote, spi: 0xc001) }
    var inb: XfrmState { sa(from: remote, to: local, spi: 0xc002) }
    func tunnel() -> SAHealth { SAHealth(ifID: 42, local: local, remote: remote) }

    func testNothingInTheSAD() {
        let (h, why) = tunnel().judge()
        XCTAssertEqual(h, .down)
        XCTAssertEqual(why, "no outbound or inbound ESP SA with if_id 42")
    }

    func testBothDirectionsFromADump() {
        var t = tunnel()
        var ah = inb
        ah.proto = .ah
        t.replace(with: [out, inb, sa(from: local, to: remote, spi: 0xdead, ifID: 7), ah])
        XCTAssertEqual(t.states.count, 2, "another tunnel's SA and a non-ESP one are not this tunnel's")
        XCTAssertEqual(t.outbound?.spi, 0xc001)
        XCTAssertEqual(t.inbound?.spi, 0xc002)
        let (h, why) = t.judge()
        XCTAssertEqual(h, .up)
        XCTAssertEqual(why, "ESP SAs in place: out spi 0x0000c001, in spi 0x0000c002 (if_id 42)")
        t.replace(with: [inb])
        XCTAssertEqual(t.judge().1, "no outbound ESP SA with if_id 42", "a dump replaces what was kept")
    }

    func testCharonsViewJoinsTheReason() {
        var t = tunnel()
        t.replace(with: [out])
        XCTAssertEqual(t.judge(charon: "VICI /run/charon.vici not connected").1,
                       "no inbound ESP SA with if_id 42; charon: VICI /run/charon.vici not connected")
    }

    func testEvents() {
        var t = tunnel()
        XCTAssertFalse(t.update(sa(from: local, to: remote, spi: 1, ifID: 7)), "not this tunnel's")
        XCTAssertTrue(t.update(out))
        XCTAssertTrue(t.update(inb))
        XCTAssertEqual(t.judge().0, .up)
        var rekeyed = out
        rekeyed.current.packets = 5
        XCTAssertTrue(t.update(rekeyed), "UPDSA replaces")
        XCTAssertEqual(t.outbound?.current.packets, 5)
        XCTAssertEqual(t.states.count, 2)

        // DELSA as iproute2 sends it: with a source address; the keys here have none.
        var id = out.id
        id.source = local
        XCTAssertTrue(t.deleted(id))
        XCTAssertFalse(t.deleted(id), "already gone")
        XCTAssertEqual(t.judge().0, .down)

        XCTAssertFalse(t.expired(out))
        XCTAssertTrue(t.expired(inb), "a hard expire: the kernel removed it")
        XCTAssertTrue(t.states.isEmpty)
    }

    func testFromTheConfig() throws {
        let r = ConfigLoader.parse("""
            path er { priority 10; device er0; gateway 192.168.10.2; }
            path vpn { priority 20; device vpn0;
              ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } } }
            group g { paths er vpn; prefix 10.200.0.0/16; }
            """, file: "t.conf")
        let c = try XCTUnwrap(r.config?.paths[1].ipsec, r.diagnostics.map { $0.description }.joined(separator: "\n"))
        var t = SAHealth(c)
        t.replace(with: [out, inb])
        XCTAssertEqual(t.judge().0, .up)
    }
}
