import XCTest
@testable import HedgeCore

/// Deterministic stand-in for the Linux layer's random source (SplitMix64).
struct BFDTestRandom {
    var state: UInt64
    init(seed: UInt64 = 0x5eed) { state = seed }
    mutating func next() -> UInt32 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return UInt32(truncatingIfNeeded: z ^ (z >> 31))
    }
}

/// Hex literal → bytes ("20 40 03 18 ..."; spaces ignored).
func bfdHex(_ s: String) -> [UInt8] {
    let digits = Array(s.unicodeScalars.filter { $0 != " " && $0 != "\n" })
    precondition(digits.count % 2 == 0)
    var out = [UInt8]()
    var i = 0
    while i < digits.count {
        out.append(UInt8(String(digits[i]) + String(digits[i + 1]), radix: 16)!)
        i += 2
    }
    return out
}

func bfdDecode(_ bytes: [UInt8]) -> BFDControlPacket? { try? BFDControlPacket.decode(bytes) }

/// Two sessions on an in-memory link with a fixed one-way delay, run on a fake µs clock. Either
/// direction can be cut; every packet, state change and BFD Down is recorded with its time.
struct BFDPair {
    enum Side: Equatable { case a, b }
    struct Sent { var at: Int64; var packet: BFDControlPacket }
    struct Flight { var at: Int64; var toB: Bool; var bytes: [UInt8] }

    var a: BFDSession
    var b: BFDSession
    var now: Int64 = 0
    var delay: Int64 = 100
    var dropAToB = false
    var dropBToA = false
    var rng = BFDTestRandom()
    var inFlight: [Flight] = []
    var sentByA: [Sent] = []
    var sentByB: [Sent] = []
    var changes: [(side: Side, change: BFDStateChange)] = []
    var downs: [(side: Side, down: BFDDown)] = []
    var lastDeliveredToA: Int64?
    var lastDeliveredToB: Int64?

    init(a ta: BFDTimers, b tb: BFDTimers, discriminatorA: UInt32 = 0x1111, discriminatorB: UInt32 = 0x2222) {
        a = BFDSession(localDiscriminator: discriminatorA, timers: ta, now: 0)
        b = BFDSession(localDiscriminator: discriminatorB, timers: tb, now: 0)
    }
    init(_ t: BFDTimers) { self.init(a: t, b: t) }

    mutating func run(until end: Int64) {
        var guardCount = 0
        while true {
            guardCount += 1
            precondition(guardCount < 10_000_000, "BFDPair: no progress")
            var next = Int64.max
            if let d = a.nextDeadline(now: now) { next = min(next, d) }
            if let d = b.nextDeadline(now: now) { next = min(next, d) }
            for f in inFlight { next = min(next, f.at) }
            if next > end { now = end; return }
            now = max(now, next)
            while let i = inFlight.firstIndex(where: { $0.at <= now }) {
                let f = inFlight.remove(at: i)
                if f.toB {
                    lastDeliveredToB = now
                    let r = rng.next()
                    handle(.b, b.receive(f.bytes, ttl: 255, now: now, random: r))
                } else {
                    lastDeliveredToA = now
                    let r = rng.next()
                    handle(.a, a.receive(f.bytes, ttl: 255, now: now, random: r))
                }
            }
            if let d = a.nextDeadline(now: now), d <= now { let r = rng.next(); handle(.a, a.tick(now: now, random: r)) }
            if let d = b.nextDeadline(now: now), d <= now { let r = rng.next(); handle(.b, b.tick(now: now, random: r)) }
        }
    }

    mutating func handle(_ side: Side, _ actions: [BFDAction]) {
        for action in actions {
            switch action {
            case .send(let packet):
                let bytes = packet.encode()
                let p = bfdDecode(bytes)!
                if side == .a {
                    sentByA.append(Sent(at: now, packet: p))
                    if !dropAToB { inFlight.append(Flight(at: now + delay, toB: true, bytes: bytes)) }
                } else {
                    sentByB.append(Sent(at: now, packet: p))
                    if !dropBToA { inFlight.append(Flight(at: now + delay, toB: false, bytes: bytes)) }
                }
            case .stateChanged(let c): changes.append((side, c))
            case .down(let d): downs.append((side, d))
            }
        }
    }

    func changes(of side: Side) -> [BFDStateChange] { changes.filter { $0.side == side }.map { $0.change } }
    func downs(of side: Side) -> [BFDDown] { downs.filter { $0.side == side }.map { $0.down } }
}

extension BFDTimers {
    /// Desired Min TX = Required Min RX = `interval` ms, multiplier `mult`.
    static func ms(_ interval: Int64, _ mult: UInt8 = 3) -> BFDTimers {
        BFDTimers(desiredMinTx: interval * 1000, requiredMinRx: interval * 1000, detectMult: mult)
    }
}
