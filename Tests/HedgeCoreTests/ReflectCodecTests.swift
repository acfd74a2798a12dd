import XCTest
@testable import HedgeCore

final class ReflectCodecTests: XCTestCase {
    let key = ReflectKey(secret: Array("0123456789abcdef-shared".utf8))
    let otherKey = ReflectKey(secret: Array("0123456789abcdef-wrong!".utf8))
    let agent = IPAddress("192.0.2.1")!

    func request(seq: UInt32 = 7, session: UInt32 = 0xfeed_beef, path: UInt32 = 1) -> ReflectPacket {
        ReflectPacket(kind: .request, session: session, path: path, sequence: seq, senderTimeUs: 123_456_789)
    }

    func rejection(_ bytes: [UInt8], _ k: ReflectKey) -> ReflectCodec.Rejection? {
        do { _ = try ReflectCodec.decode(bytes, key: k); return nil } catch { return error }
    }

    // MARK: codec

    func testRoundTripAndLayout() throws {
        let reply = ReflectCodec.reply(to: request(), epoch: 0x0102_0304, count: 42, receiveUs: 1_000, sendUs: 1_007)
        let b = ReflectCodec.encode(reply, key: key)
        XCTAssertEqual(b.count, 72)
        XCTAssertEqual(Array(b[0..<4]), Array("hdgr".utf8))
        XCTAssertEqual(b[4], 1)
        XCTAssertEqual(b[5], 2)
        XCTAssertEqual(Array(b[12..<16]), [0xfe, 0xed, 0xbe, 0xef])
        XCTAssertEqual(Array(b[20..<24]), [0, 0, 0, 7])
        XCTAssertEqual(Array(b[32..<40]), [1, 2, 3, 4, 0, 0, 0, 42])
        XCTAssertEqual(Array(b[56..<72]), key.mac(b[0..<56]))
        XCTAssertEqual(try ReflectCodec.decode(b, key: key), reply)
        // A request has the reply's size: the reflector never amplifies.
        XCTAssertEqual(ReflectCodec.encode(request(), key: key).count, 72)
        XCTAssertEqual(try ReflectCodec.decode(ReflectCodec.encode(request(), key: key), key: key), request())
    }

    func testWrongKeyRejected() {
        let b = ReflectCodec.encode(request(), key: otherKey)
        XCTAssertNotEqual(key.id, otherKey.id)
        XCTAssertEqual(rejection(b, key), .unknownKey)
        // Forged key id, MAC made with another key: still refused.
        var forged = b
        forged.replaceSubrange(8..<12, with: ReflectCodec.encode(request(), key: key)[8..<12])
        XCTAssertEqual(rejection(forged, key), .badMAC)
    }

    func testEveryTamperedByteRejected() {
        let b = ReflectCodec.encode(ReflectCodec.reply(to: request(), epoch: 9, count: 3, receiveUs: 5, sendUs: 6), key: key)
        for i in 0..<b.count {
            for bit in [0x01, 0x80] as [UInt8] {
                var t = b
                t[i] ^= bit
                XCTAssertNotNil(rejection(t, key), "octet \(i) bit \(bit) flipped and accepted")
            }
        }
    }

    func testTruncatedAndPaddedRejected() {
        let b = ReflectCodec.encode(request(), key: key)
        for n in [0, 4, 8, 56, 71] { XCTAssertEqual(rejection(Array(b.prefix(n)), key), .malformed, "\(n) octets") }
        XCTAssertEqual(rejection(b + [0], key), .malformed)
        var v = b; v[4] = 2
        XCTAssertEqual(rejection(v, key), .malformed, "version 2")
    }

    // MARK: sender

    func testReplayedReplyForAnOldSequenceIsNotCounted() throws {
        var s = ReflectSender(key: key, session: 0xabcd, path: 0)
        var r = ReflectResponder(key: key)
        var replies: [[UInt8]] = []
        for seq: UInt16 in 0..<3 {
            let q = s.request(sequence: seq, nowUs: 1_000 + Int64(seq) * 5_000)
            guard case .answer(let a, _) = r.handle(q, from: agent, receiveUs: 0, sendUs: 0, random: 77) else {
                return XCTFail("not answered")
            }
            replies.append(a)
        }
        XCTAssertEqual(s.reply(replies[0], nowUs: 2_000), 0)
        XCTAssertEqual(s.reply(replies[1], nowUs: 7_000), 1)
        XCTAssertEqual(s.stats.lastRTTUs, 1_000)
        // The reply to 0 again, later: it answers nothing outstanding.
        XCTAssertNil(s.reply(replies[0], nowUs: 20_000))
        XCTAssertEqual(s.stats.unmatched, 1)
        XCTAssertEqual(s.reply(replies[2], nowUs: 12_000), 2)
        XCTAssertEqual(s.stats.received, 3)
        // Long after (16-bit sequences wrapped): the old reply for 1 still matches nothing, although
        // the tracker's 16-bit number 1 is outstanding again.
        var seq: UInt16 = 3
        for _ in 0..<65_535 { _ = s.request(sequence: seq, nowUs: 99_000); seq &+= 1 }
        XCTAssertEqual(seq, 2)
        XCTAssertNil(s.reply(replies[1], nowUs: 100_000))
        XCTAssertEqual(s.stats.unmatched, 2)
    }

    func testReplyMustEchoTimestampSessionAndPath() {
        var s = ReflectSender(key: key, session: 0xabcd, path: 2)
        let q = try! ReflectCodec.decode(s.request(sequence: 5, nowUs: 1_000), key: key)
        func reply(_ change: (inout ReflectPacket) -> Void) -> [UInt8] {
            var p = ReflectCodec.reply(to: q, epoch: 1, count: 1, receiveUs: 0, sendUs: 0)
            change(&p)
            return ReflectCodec.encode(p, key: key)
        }
        XCTAssertNil(s.reply(reply { $0.senderTimeUs += 1 }, nowUs: 2_000))
        XCTAssertNil(s.reply(reply { $0.session += 1 }, nowUs: 2_000))
        XCTAssertNil(s.reply(reply { $0.path = 3 }, nowUs: 2_000))
        XCTAssertNil(s.reply(reply { $0.kind = .request }, nowUs: 2_000), "a reflected request is no reply")
        XCTAssertEqual(s.stats.unmatched, 4)
        XCTAssertNil(s.reply(ReflectCodec.encode(ReflectCodec.reply(to: q, epoch: 1, count: 1, receiveUs: 0, sendUs: 0), key: otherKey),
                             nowUs: 2_000))
        XCTAssertEqual(s.stats.rejected, 1)
        XCTAssertEqual(s.lastRejection, .unknownKey)
        XCTAssertEqual(s.reply(reply { _ in }, nowUs: 2_000), 5)
    }

    func testSequenceExtendsPast16Bits() throws {
        var s = ReflectSender(key: key, session: 1, path: 0)
        var wires: [UInt32] = []
        var seq: UInt16 = 65_534
        for _ in 0..<4 {
            wires.append(try ReflectCodec.decode(s.request(sequence: seq, nowUs: 0), key: key).sequence)
            seq &+= 1
        }
        XCTAssertEqual(wires, [65_534, 65_535, 65_536, 65_537])
    }

    // MARK: responder

    func testResponderAnswersCountsAndDropsWithoutAnswering() throws {
        var r = ReflectResponder(key: key)
        let q1 = ReflectCodec.encode(request(seq: 1), key: key)
        guard case .answer(let a1, true) = r.handle(q1, from: agent, receiveUs: 10, sendUs: 11, random: 5) else { return XCTFail() }
        let p1 = try ReflectCodec.decode(a1, key: key)
        XCTAssertEqual(p1.kind, .reply)
        XCTAssertEqual(p1.count, 1)
        XCTAssertEqual(p1.epoch, 5)
        XCTAssertEqual(p1.reflectorReceiveUs, 10)
        XCTAssertEqual(p1.reflectorSendUs, 11)
        XCTAssertEqual(p1.sequence, 1)
        guard case .answer(let a3, false) = r.handle(ReflectCodec.encode(request(seq: 3), key: key), from: agent,
                                                     receiveUs: 20, sendUs: 20, random: 6) else { return XCTFail() }
        XCTAssertEqual(try ReflectCodec.decode(a3, key: key).count, 2)
        XCTAssertEqual(try ReflectCodec.decode(a3, key: key).epoch, 5, "same sender, same epoch")

        XCTAssertEqual(r.handle(q1, from: agent, receiveUs: 30, sendUs: 30, random: 0), .drop(.replayed))
        var bad = q1; bad[30] ^= 1
        XCTAssertEqual(r.handle(bad, from: agent, receiveUs: 30, sendUs: 30, random: 0), .drop(.badMAC))
        XCTAssertEqual(r.handle(ReflectCodec.encode(request(seq: 4), key: otherKey), from: agent, receiveUs: 30, sendUs: 30, random: 0),
                       .drop(.unknownKey))
        XCTAssertEqual(r.handle(Array(q1.prefix(40)), from: agent, receiveUs: 30, sendUs: 30, random: 0), .drop(.malformed))
        XCTAssertEqual(r.handle(a3, from: agent, receiveUs: 30, sendUs: 30, random: 0), .drop(.malformed), "a reply is not answered")
        // Out of order but inside the window: answered once.
        if case .answer = r.handle(ReflectCodec.encode(request(seq: 2), key: key), from: agent, receiveUs: 40, sendUs: 40, random: 0) {} else { XCTFail() }
        XCTAssertEqual(r.handle(ReflectCodec.encode(request(seq: 2), key: key), from: agent, receiveUs: 41, sendUs: 41, random: 0), .drop(.replayed))
        XCTAssertEqual([r.answered, r.badMAC, r.unknownKey, r.malformed, r.replayed], [3, 1, 1, 2, 2])
        // Another source address is another sender, with its own count.
        guard case .answer(let b, true) = r.handle(q1, from: IPAddress("192.0.2.9")!, receiveUs: 50, sendUs: 50, random: 8) else { return XCTFail() }
        XCTAssertEqual(try ReflectCodec.decode(b, key: key).count, 1)
        XCTAssertEqual(r.senders, 2)
    }

    func testResponderTableIsBoundedAndEvictsTheLeastRecent() throws {
        var r = ReflectResponder(key: key, capacity: 4)
        for s: UInt32 in 1...4 {
            _ = r.handle(ReflectCodec.encode(request(seq: 1, session: s), key: key), from: agent, receiveUs: Int64(s), sendUs: 0, random: s)
        }
        _ = r.handle(ReflectCodec.encode(request(seq: 2, session: 1), key: key), from: agent, receiveUs: 10, sendUs: 0, random: 0)
        _ = r.handle(ReflectCodec.encode(request(seq: 1, session: 5), key: key), from: agent, receiveUs: 11, sendUs: 0, random: 5)
        XCTAssertEqual(r.senders, 4)
        XCTAssertEqual(r.evictions, 1)
        XCTAssertNil(r.count(for: .init(address: agent, session: 2, path: 1)), "session 2 was the least recent")
        XCTAssertEqual(r.count(for: .init(address: agent, session: 1, path: 1)), 2)
        // The evicted sender comes back in a new epoch.
        guard case .answer(let a, true) = r.handle(ReflectCodec.encode(request(seq: 2, session: 2), key: key), from: agent,
                                                   receiveUs: 12, sendUs: 0, random: 99) else { return XCTFail() }
        XCTAssertEqual(try ReflectCodec.decode(a, key: key).epoch, 99)
    }

    // MARK: stats

    /// Runs `n` probes through a sender and responder, dropping requests or replies as told.
    func exchange(_ s: inout ReflectSender, _ r: inout ReflectResponder, from: UInt16, count n: Int,
                  dropRequest: (Int) -> Bool = { _ in false }, dropReply: (Int) -> Bool = { _ in false }) {
        for i in 0..<n {
            let q = s.request(sequence: from &+ UInt16(i), nowUs: Int64(i) * 5_000)
            if dropRequest(i) { continue }
            guard case .answer(let a, _) = r.handle(q, from: agent, receiveUs: 0, sendUs: 0, random: 1) else { return XCTFail() }
            if dropReply(i) { continue }
            _ = s.reply(a, nowUs: Int64(i) * 5_000 + 700)
        }
    }

    func testForwardAndReturnLossAreToldApart() {
        var s = ReflectSender(key: key, session: 1, path: 0)
        var r = ReflectResponder(key: key)
        exchange(&s, &r, from: 0, count: 10)
        XCTAssertEqual(s.stats.sent, 10)
        XCTAssertEqual(s.stats.received, 10)
        XCTAssertEqual(s.stats.forwardLoss, 0)
        XCTAssertEqual(s.stats.returnLoss, 0)
        XCTAssertEqual(s.stats.lastRTTUs, 700)
        XCTAssertEqual(s.stats.minRTTUs, 700)
        XCTAssertEqual(s.stats.avgRTTUs, 700)
        // Requests 2, 3, 4 lost on the way out.
        exchange(&s, &r, from: 10, count: 10, dropRequest: { (2...4).contains($0) })
        XCTAssertEqual(s.stats.forwardLoss, 3)
        XCTAssertEqual(s.stats.returnLoss, 0)
        // Replies 0, 5 lost on the way back.
        exchange(&s, &r, from: 20, count: 10, dropReply: { $0 == 0 || $0 == 5 })
        XCTAssertEqual(s.stats.forwardLoss, 3)
        XCTAssertEqual(s.stats.returnLoss, 2)
        XCTAssertEqual(s.stats.sent, 30)
        XCTAssertEqual(s.stats.received, 25)
    }

    func testLostFirstRequestsCountAsForwardLoss() {
        var s = ReflectSender(key: key, session: 1, path: 0)
        var r = ReflectResponder(key: key)
        exchange(&s, &r, from: 100, count: 8, dropRequest: { $0 < 3 })
        XCTAssertEqual(s.stats.forwardLoss, 3)
        XCTAssertEqual(s.stats.returnLoss, 0)
    }

    func testReflectorRestartKeepsCountedLossAndStartsAgain() {
        var s = ReflectSender(key: key, session: 1, path: 0)
        var r = ReflectResponder(key: key)
        exchange(&s, &r, from: 0, count: 10, dropRequest: { $0 == 4 })
        XCTAssertEqual(s.stats.forwardLoss, 1)
        r = ReflectResponder(key: key)   // restarted: its counts begin again, in a new epoch
        for i in 0..<10 {
            let q = s.request(sequence: 10 &+ UInt16(i), nowUs: 0)
            guard case .answer(let a, _) = r.handle(q, from: agent, receiveUs: 0, sendUs: 0, random: 2) else { return XCTFail() }
            if i != 6 { _ = s.reply(a, nowUs: 500) }
        }
        XCTAssertEqual(s.stats.epochChanges, 1)
        XCTAssertEqual(s.stats.forwardLoss, 1)
        XCTAssertEqual(s.stats.returnLoss, 1)
    }
}
