import XCTest
@testable import HedgeCore

/// Reconcile of the static tunnel's SPD/SAD entries: adopt what matches, never touch other if_ids,
/// never re-add an SA that is already right.
final class XfrmReconcileTests: XCTestCase {
    func tunnel(key: UInt8 = 0x11) -> XfrmTunnel {
        XfrmTunnel(ifID: 42, local: IPAddress("198.51.100.1")!, remote: IPAddress("203.0.113.2")!, spiOut: 0x1001,
                   spiIn: 0x2001, outbound: .aead(key: [UInt8](repeating: key, count: 36)),
                   inbound: .aead(key: [UInt8](repeating: 0x22, count: 36)))
    }

    /// What a dump returns for what was installed: the kernel adds an index, counters and times.
    func dumped(_ t: XfrmTunnel) -> ([XfrmPolicy], [XfrmState]) {
        var ps = t.policies
        for i in ps.indices { ps[i].index = UInt32(8 * i + 1); ps[i].current.addTime = 1_800_000_000 }
        var ss = t.states
        for i in ss.indices { ss[i].current.packets = 1234; ss[i].seq = 7 }
        return (ps, ss)
    }

    func testEmptyKernelGetsThreePoliciesAndTwoSAs() {
        let ops = XfrmReconcile.plan(tunnel: tunnel(), policies: [], states: [])
        XCTAssertEqual(ops.map { $0.description }, [
            "update policy 0.0.0.0/0 dir out if_id 42", "update policy 0.0.0.0/0 dir in if_id 42",
            "update policy 0.0.0.0/0 dir fwd if_id 42",
            "add SA spi 0x00001001 198.51.100.1 -> 203.0.113.2 if_id 42 (rfc4106(gcm(aes)) 288-bit key icv 128)",
            "add SA spi 0x00002001 203.0.113.2 -> 198.51.100.1 if_id 42 (rfc4106(gcm(aes)) 288-bit key icv 128)",
        ])
    }

    func testWhatMatchesIsAdoptedUntouched() {
        let (ps, ss) = dumped(tunnel())
        XCTAssertTrue(XfrmReconcile.plan(tunnel: tunnel(), policies: ps, states: ss).isEmpty)
    }

    func testANewKeyReplacesOnlyThatSA() {
        let (ps, ss) = dumped(tunnel())
        let ops = XfrmReconcile.plan(tunnel: tunnel(key: 0x33), policies: ps, states: ss)
        XCTAssertEqual(ops.map { $0.description }, [
            "delete SA spi 0x00001001 dst 203.0.113.2",
            "add SA spi 0x00001001 198.51.100.1 -> 203.0.113.2 if_id 42 (rfc4106(gcm(aes)) 288-bit key icv 128)",
        ])
        for op in ops { XCTAssertFalse(op.description.contains("33"), "key material in \(op)") }
    }

    func testOtherIfIDsAreNeverTouched() {
        var other = tunnel()
        other.ifID = 7
        let (ps, ss) = dumped(other)
        let ops = XfrmReconcile.plan(tunnel: tunnel(), policies: ps, states: ss)
        XCTAssertEqual(ops.count, 5)
        for op in ops {
            switch op {
            case .deleteState, .deletePolicy: XCTFail("deleted another tunnel's object: \(op)")
            default: break
            }
        }
    }

    func testAChangedTemplateIsUpdatedInPlace() {
        var (ps, ss) = dumped(tunnel())
        ps[0].templates[0].destination = IPAddress("203.0.113.9")!
        let ops = XfrmReconcile.plan(tunnel: tunnel(), policies: ps, states: ss)
        XCTAssertEqual(ops.map { $0.description }, ["update policy 0.0.0.0/0 dir out if_id 42"])
    }
}
