// bench/arm-insn's harness: one BFD session, Up, at a 10 ms rate, driven the way BFDRunner drives it
// (receive the neighbour's packet, run the timer, encode what it sends into one reused buffer), for
// argv[1] rounds, with no sockets and no event loop. Compiled into one module with HedgeCore.

@_cdecl("hedge_bench_main")
func benchMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var rounds = 0
    if argc > 1, var p = argv[1] {
        while p.pointee >= 48 && p.pointee <= 57 { rounds = rounds * 10 + Int(p.pointee - 48); p += 1 }
    }
    let local: UInt32 = 0x1000_0001, remote: UInt32 = 0x2000_0002
    let ms: Int64 = 10_000
    var s = BFDSession(localDiscriminator: local,
                       timers: BFDTimers(desiredMinTx: ms, requiredMinRx: ms, detectMult: 3), now: 0)
    // The neighbour's packets, encoded once (the kernel hands them over as bytes).
    func peer(_ state: BFDState, final: Bool = false) -> [UInt8] {
        BFDControlPacket(state: state, final: final, detectMult: 3, myDiscriminator: remote,
                         yourDiscriminator: state == .down ? 0 : local,
                         desiredMinTxInterval: UInt32(ms), requiredMinRxInterval: UInt32(ms)).encode()
    }
    let down = peer(.down), up = peer(.up), upFinal = peer(.up, final: true)
    var out = [BFDAction](); out.reserveCapacity(4)
    var tx = [UInt8](repeating: 0, count: BFDControlPacket.mandatoryLength)
    var now: Int64 = 1_000, random: UInt32 = 0x9E37_79B9
    var polled = false
    func round(_ bytes: [UInt8]) {
        now += ms; random = random &* 1_103_515_245 &+ 12_345
        bytes.withUnsafeBytes { s.receive($0, ttl: 255, now: now, random: random, into: &out) }
        s.tick(now: now, random: random, into: &out)
        for a in out {
            if case .send(let p) = a {
                polled = p.poll
                tx.withUnsafeMutableBytes { p.encodeMandatory(into: $0.baseAddress!) }
            }
        }
        out.removeAll(keepingCapacity: true)
    }
    // Three-way handshake, then the Poll Sequence of the faster Up rate (answered with F).
    round(down); round(up)
    for _ in 0..<8 { round(polled ? upFinal : up) }
    let before = s.accepted, sentBefore = s.sent
    for _ in 0..<rounds { round(polled ? upFinal : up) }
    print(s.state == .up ? "up" : "NOT UP", terminator: " ")
    print(s.accepted - before, terminator: " ")
    print(s.sent - sentBefore, terminator: " ")
    print(Int(tx[0]) + Int(tx[1]))
    return s.state == .up && s.accepted - before == rounds ? 0 : 1
}
