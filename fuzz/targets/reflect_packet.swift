// libFuzzer target: the authenticated reflect probe (ReflectCodec), the reflector's logic
// (ReflectResponder) and the agent's side (ReflectSender), fed datagrams from the network.
//
// Input: one control byte, then the datagram.
//   control bit 0      sign: pad/cut the datagram to 72 octets and write the fixed key's id and a
//                      valid MAC into it, so that the fuzzer reaches what follows authentication
//   control bit 1      tamper: then flip bits of octet (bits 2..7 + datagram[72]) % 72 with mask
//                      datagram[73] (0x01 when absent)
//   datagram[74...]    (signed requests only) sequence deltas, one signed octet each: further
//                      requests of the same sender, from one of three addresses, to a reflector
//                      with room for two senders, checked against a model of its replay window
// Invariants: a datagram is accepted (decoded, answered, or counted as a reply) only if it is
// exactly 72 octets with the right header, key id and MAC (checked here with ==, not the codec's
// constant-time compare); a tampered signed datagram is always refused; an accepted one re-encodes
// to its own bytes except for the reserved octets 6-7 (covered by the MAC, not checked on receipt,
// encoded as 0) and the MAC over them; the reflector answers each request at most once and never
// with more octets than it received; the sender matches each request at most once.
// Compiled into the HedgeCore module (fuzz/build), so internal API is visible; fuzz/dispatch.swift
// calls it when HEDGE_FUZZ_TARGET names this file.

private let key = ReflectKey(secret: Array("0123456789abcdef-shared".utf8))   // as ReflectCodecTests
private let addresses = [IPAddress("192.0.2.1")!, IPAddress("192.0.2.2")!, IPAddress("2001:db8::3")!]

public func fuzzReflectPacket(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let control = data[0]
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let sign = control & 1 != 0
    var packet = input
    if sign {
        packet = Array(input.prefix(ReflectCodec.length))
        while packet.count < ReflectCodec.length { packet.append(0) }
        packet.replaceSubrange(8..<12, with: bigEndian(key.id))
        packet.replaceSubrange(ReflectCodec.macOffset..<ReflectCodec.length, with: key.mac(packet[0..<ReflectCodec.macOffset]))
        precondition(authentic(packet) == headerValid(packet))
    }
    var tampered = false
    if control & 2 != 0, !packet.isEmpty {
        let at = (Int(control >> 2) + (input.count > 72 ? Int(input[72]) : 0)) % packet.count
        let mask: UInt8 = input.count > 73 ? input[73] : 0x01
        packet[at] ^= mask
        tampered = mask != 0
    }
    let valid = authentic(packet)
    if sign && tampered { precondition(!valid) }

    // 1. The codec, over a buffer of exactly the datagram's size (ASan sees a read past it).
    let decoded = withExactBuffer(packet) { b in
        Result(catching: { () throws(ReflectCodec.Rejection) -> ReflectPacket in try ReflectCodec.decode(b, key: key) })
    }
    switch decoded {
    case .success(let p):
        precondition(valid)
        precondition(p.kind.rawValue == packet[5])
        let again = ReflectCodec.encode(p, key: key)
        if packet[6] == 0 && packet[7] == 0 {
            precondition(again == packet)
        } else {
            precondition(again[0..<6] == packet[0..<6] && again[6..<8] == [0, 0] && again[8..<56] == packet[8..<56])
        }
        precondition((try? ReflectCodec.decode(again, key: key)) == p)
    case .failure(let r):
        precondition(!valid)
        precondition(r == expectedRejection(packet))
    }
    precondition((try? ReflectCodec.decode(packet, key: key)) == (try? decoded.get()))

    // 2. The reflector: authentic requests only, each once.
    responder(packet, decoded, input, sign: sign, control: control)

    // 3. The agent's sender awaiting a request that the datagram may answer.
    sender(packet, decoded)
    return 0
}

// MARK: - Reflector

private func responder(_ packet: [UInt8], _ decoded: Result<ReflectPacket, ReflectCodec.Rejection>, _ input: [UInt8],
                       sign: Bool, control: UInt8) {
    var r = ReflectResponder(key: key, capacity: 2)
    let random = UInt32(control) &* 0x9E37_79B9
    let out = withExactBuffer(packet) { r.handle($0, from: addresses[0], receiveUs: 10, sendUs: 12, random: random) }
    switch (decoded, out) {
    case (.failure(let e), .drop(let d)):
        precondition(d == drop(e) && r.answered == 0)
        return
    case (.success(let q), .drop(.malformed)):
        precondition(q.kind == .reply && r.malformed == 1)
        return
    case (.success(let q), .answer(let reply, let newSender)):
        precondition(q.kind == .request && newSender && r.senders == 1)
        checkReply(reply, to: q, epoch: random == 0 ? 1 : random, count: 1, receiveUs: 10, sendUs: 12)
        // The same datagram again is a replay; from elsewhere it is another sender.
        precondition(withExactBuffer(packet) { r.handle($0, from: addresses[0], receiveUs: 20, sendUs: 21, random: 5) }
                     == .drop(.replayed))
        guard case .answer(let other, true) = r.handle(packet, from: addresses[1], receiveUs: 30, sendUs: 31, random: 0) else {
            preconditionFailure("a request from a second address was not answered")
        }
        checkReply(other, to: q, epoch: 1, count: 1, receiveUs: 30, sendUs: 31)
        precondition(r.answered == 2 && r.replayed == 1 && r.senders == 2)
        if sign { window(&r, q, firstEpoch: random == 0 ? 1 : random, Array(input.dropFirst(74).prefix(16))) }
    default:
        preconditionFailure("decoded \(decoded), reflector \(out)")
    }
}

/// Further requests of `q`'s session and path at sequence offsets `deltas`, checked against a model:
/// a sequence is answered if it is newer than any answered, or within 64 behind the newest and not
/// answered yet; the table holds two senders and forgets the one heard from least recently; a
/// sender's epoch is the `random` of its first request and its count goes up by one per answer.
private func window(_ r: inout ReflectResponder, _ q: ReflectPacket, firstEpoch: UInt32, _ deltas: [UInt8]) {
    struct Model { var epoch: UInt32; var count: UInt32; var highest: UInt32; var seen: Set<UInt32>; var last: Int64 }
    typealias Sender = ReflectResponder.Sender
    // The two senders answered so far (a replay does not refresh an entry's time).
    var model: [Sender: Model] = [
        Sender(address: addresses[0], session: q.session, path: q.path):
            Model(epoch: firstEpoch, count: 1, highest: q.sequence, seen: [q.sequence], last: 10),
        Sender(address: addresses[1], session: q.session, path: q.path):
            Model(epoch: 1, count: 1, highest: q.sequence, seen: [q.sequence], last: 30),
    ]
    var now: Int64 = 100
    for (i, d) in deltas.enumerated() {
        now += 1
        let s = Sender(address: addresses[Int(d & 3) % 3], session: q.session, path: q.path)
        var p = q
        p.sequence = q.sequence &+ UInt32(bitPattern: Int32(Int8(bitPattern: d)))
        let random = UInt32(i) &* 0x0100_0193 &+ 7
        let bytes = ReflectCodec.encode(p, key: key)
        let out = r.handle(bytes, from: s.address, receiveUs: now, sendUs: now + 1, random: random)

        var expectNew = false
        var m: Model
        if let old = model[s] {
            m = old
        } else {
            if model.count >= 2, let oldest = model.min(by: { $0.value.last < $1.value.last }) {
                model[oldest.key] = nil
            }
            m = Model(epoch: random, count: 0, highest: p.sequence, seen: [], last: now)
            expectNew = true
        }
        let ahead = Int32(bitPattern: p.sequence &- m.highest)
        let accept = expectNew || ahead > 0 || (m.highest &- p.sequence < 64 && !m.seen.contains(p.sequence))
        switch out {
        case .answer(let reply, let newSender):
            precondition(accept && newSender == expectNew)
            m.count += 1; m.seen.insert(p.sequence); m.last = now
            if ahead > 0 { m.highest = p.sequence }
            checkReply(reply, to: p, epoch: m.epoch, count: m.count, receiveUs: now, sendUs: now + 1)
            model[s] = m
        case .drop(let why):
            precondition(!accept && why == .replayed)
            if !expectNew { model[s] = m }
        }
        precondition(r.senders == model.count)
        for (k, v) in model { precondition(r.count(for: k) == v.count) }
    }
    precondition(r.malformed == 0 && r.badMAC == 0 && r.unknownKey == 0)
}

/// A reply: authentic, no larger than a request, echoing it, with the reflector's figures.
private func checkReply(_ reply: [UInt8], to q: ReflectPacket, epoch: UInt32, count: UInt32, receiveUs: Int64, sendUs: Int64) {
    precondition(reply.count == ReflectCodec.length && authentic(reply) && reply[6] == 0 && reply[7] == 0)
    guard let p = try? ReflectCodec.decode(reply, key: key) else { preconditionFailure("reply does not decode") }
    precondition(p == ReflectCodec.reply(to: q, epoch: epoch, count: count,
                                         receiveUs: UInt64(bitPattern: receiveUs), sendUs: UInt64(bitPattern: sendUs)))
    precondition(p.kind == .reply && epoch != 0)
}

// MARK: - Sender

private func sender(_ packet: [UInt8], _ decoded: Result<ReflectPacket, ReflectCodec.Rejection>) {
    // Await the request the datagram would answer: its session, path, low 16 bits of sequence and
    // timestamp (a monotonic clock far from overflow: the low 62 bits).
    func field32(_ o: Int) -> UInt32 { packet.count >= o + 4 ? packet[o..<o + 4].reduce(0) { $0 << 8 | UInt32($1) } : 0 }
    let ts = Int64(bitPattern: (UInt64(field32(24)) << 32 | UInt64(field32(28))) & 0x3FFF_FFFF_FFFF_FFFF)
    var s = ReflectSender(key: key, session: field32(12), path: field32(16))
    let seq16 = UInt16(truncatingIfNeeded: field32(20))
    let request = s.request(sequence: seq16, nowUs: ts)
    guard let q = try? ReflectCodec.decode(request, key: key) else { preconditionFailure("request does not decode") }
    precondition(q == ReflectPacket(kind: .request, session: s.session, path: s.path, sequence: UInt32(seq16),
                                    senderTimeUs: UInt64(bitPattern: ts)))
    precondition(s.stats.sent == 1)

    let got = withExactBuffer(packet) { s.reply($0, nowUs: ts + 100) }
    var matched = false
    switch decoded {
    case .failure(let e):
        precondition(got == nil && s.stats.rejected == 1 && s.lastRejection == e)
    case .success(let p):
        precondition(s.stats.rejected == 0)
        if let got {
            precondition(p.kind == .reply && p.session == q.session && p.path == q.path && p.sequence == q.sequence
                         && p.senderTimeUs == q.senderTimeUs && got == seq16 && s.stats.received == 1)
            matched = true
        } else {
            precondition(s.stats.unmatched == 1)
        }
    }
    // The reflector's genuine answer: counted unless the datagram already answered the request.
    var r = ReflectResponder(key: key)
    guard case .answer(let answer, _) = r.handle(request, from: addresses[0], receiveUs: 1, sendUs: 2, random: 3) else {
        preconditionFailure("the reflector refused the sender's request")
    }
    precondition(s.reply(answer, nowUs: ts + 200) == (matched ? nil : seq16))
    precondition(s.reply(answer, nowUs: ts + 300) == nil)
    precondition(s.stats.received == 1 && s.stats.received + s.stats.unmatched + s.stats.rejected == 3)
    fuzzSink(s.stats.forwardLoss); fuzzSink(s.stats.returnLoss); fuzzSink(s.stats.avgRTTUs)
}

// MARK: - Oracles

/// Right length, header, key id and MAC: what alone may be accepted.
private func authentic(_ b: [UInt8]) -> Bool {
    headerValid(b) && Array(b[8..<12]) == bigEndian(key.id) && Array(b[56..<72]) == key.mac(b[0..<56])
}

private func headerValid(_ b: [UInt8]) -> Bool {
    b.count == 72 && Array(b[0..<4]) == Array("hdgr".utf8) && b[4] == 1 && (b[5] == 1 || b[5] == 2)
}

private func expectedRejection(_ b: [UInt8]) -> ReflectCodec.Rejection {
    if !headerValid(b) { return .malformed }
    if Array(b[8..<12]) != bigEndian(key.id) { return .unknownKey }
    return .badMAC
}

private func drop(_ e: ReflectCodec.Rejection) -> ReflectResponder.Drop {
    switch e {
    case .malformed: return .malformed
    case .unknownKey: return .unknownKey
    case .badMAC: return .badMAC
    }
}

private func bigEndian(_ v: UInt32) -> [UInt8] {
    [UInt8(truncatingIfNeeded: v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
}

/// `body` over a heap buffer of exactly `bytes.count` octets, as the Linux layer passes its
/// receive buffer's first n octets (an Array's storage may have spare capacity ASan cannot see).
private func withExactBuffer<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let m = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
    defer { m.deallocate() }
    let exact = UnsafeMutableRawBufferPointer(rebasing: m[0..<bytes.count])
    exact.copyBytes(from: bytes)
    return body(UnsafeRawBufferPointer(exact))
}
