// libFuzzer target: BFD Control packet decoding and the reception checks (RFC 5880 §4.1, §6.8.6;
// RFC 5881 §5).
//
// Input: one byte of TTL / Hop Limit, then the UDP payload.
// The payload is handed over as an UnsafeRawBufferPointer over exactly the fuzzer's bytes (the way
// the Linux layer hands over its receive buffer), so AddressSanitizer sees any read past the end.
// Compiled into the HedgeCore module (fuzz/build), so internal API is visible; fuzz/dispatch.swift
// calls it when HEDGE_FUZZ_TARGET names this file.

public func fuzzBFDPacket(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let ttl = data[0]
    let payload = UnsafeRawBufferPointer(start: UnsafeRawPointer(data + 1), count: size - 1)

    // The codec alone. A packet whose Length is exactly the mandatory section plus the auth
    // section re-encodes to its first Length bytes (every flag, diag and state bit round-trips);
    // with a larger Length (allowed by RFC 5880 §6.8.6) the slack is dropped. Either way the
    // re-encoding decodes to the same packet.
    do throws(BFDDiscardReason) {
        let p = try BFDControlPacket.decode(payload)
        let again = p.encode()
        precondition(again.count == p.length && p.length <= Int(payload[3]))
        if p.length == Int(payload[3]) { precondition(again.elementsEqual(payload.prefix(p.length))) }
        precondition((try? BFDControlPacket.decode(again)) == p)
        fuzzSink(p.diagnostic.name)
    } catch {
        fuzzSink(error.name)
    }

    // The Linux layer picks the session by Your Discriminator (0: by addresses).
    let your = BFDReception.yourDiscriminator(payload)
    let local: UInt32 = your.flatMap { $0 == 0 ? nil : $0 } ?? 7
    for authenticated in [false, true] {
        for l in [local, 7] {
            do throws(BFDDiscardReason) {
                let p = try BFDReception.check(payload, ttl: ttl, localDiscriminator: l, authenticated: authenticated)
                precondition(ttl == 255 && p.detectMult != 0 && p.myDiscriminator != 0 && !p.multipoint)
                precondition(p.authenticationPresent == authenticated)
            } catch {
                fuzzSink(error.name)
            }
        }
    }

    // A session receiving it, then running its timers a few rounds (bounded: never a hang).
    var counters = BFDDiscardCounters()
    var s = BFDSession(localDiscriminator: local,
                       timers: BFDTimers(desiredMinTx: 300_000, requiredMinRx: 300_000, detectMult: 3), now: 0)
    var now: Int64 = 1_000
    let random = UInt32(ttl) &* 0x9E37_79B9
    observe(s.receive(payload, ttl: ttl, now: now, random: random))
    for round in 0..<6 {
        guard let d = s.nextDeadline(now: now) else { break }
        precondition(d >= now)
        now = d
        observe(s.tick(now: now, random: random &+ UInt32(round)))
        if round == 2 { observe(s.receive(payload, ttl: ttl, now: now, random: random)) }
    }
    fuzzSink(s.transmitInterval); fuzzSink(s.detectionTime); fuzzSink(s.discards.total)
    counters.count(.ttlNot255)
    fuzzSink(counters.total)
    return 0
}

private func observe(_ actions: [BFDAction]) {
    for a in actions {
        switch a {
        case .send(let packet):
            // What we send must decode as what we are.
            precondition((try? BFDControlPacket.decode(packet.encode())) == packet)
        case .stateChanged(let c): fuzzSink(c.reason)
        case .down(let d): fuzzSink(d.pathFailed)
        }
    }
}
