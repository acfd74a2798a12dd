/// The sending side of one path's reflect probe, without the socket. `ProbeTracker` counts in
/// 16-bit sequence numbers; the wire carries 32 bits (a 5 ms probe wraps 16 bits in 5.5 minutes,
/// and an old reply must never pass for a new one), so the sender extends the tracker's numbers,
/// remembers what it sent, and hands back the tracker's number only for an authentic reply that
/// echoes an outstanding request exactly — once.
public struct ReflectSender: Sendable {
    public let key: ReflectKey
    public let session: UInt32
    public let path: UInt32
    public private(set) var stats = ReflectStats()
    /// Why the last datagram was rejected (for logs).
    public private(set) var lastRejection: ReflectCodec.Rejection?
    /// Requests awaited: wire sequence → sender timestamp.
    private var outstanding = HashMap<UInt32, UInt64>()
    private var lastWire: UInt32?

    /// Requests older than this many sequences are no longer awaited (more than ProbeTracker's
    /// largest ring, so the tracker gives up on a probe first).
    public static let window: UInt32 = 8192

    public init(key: ReflectKey, session: UInt32, path: UInt32) {
        self.key = key; self.session = session; self.path = path
    }

    /// The request for the tracker's probe `sequence`, sent at `nowUs` (monotonic).
    public mutating func request(sequence: UInt16, nowUs: Int64) -> [UInt8] {
        let wire: UInt32
        if let last = lastWire {
            wire = last &+ UInt32(sequence &- UInt16(truncatingIfNeeded: last))
            if wire &- last > 1 || outstanding.count > Int(ReflectSender.window) { forgetOlderThan(wire) }
        } else {
            wire = UInt32(sequence)
        }
        lastWire = wire
        outstanding[wire &- ReflectSender.window] = nil
        let ts = UInt64(bitPattern: nowUs)
        outstanding[wire] = ts
        stats.requestSent(sequence: wire)
        return ReflectCodec.encode(ReflectPacket(kind: .request, session: session, path: path, sequence: wire, senderTimeUs: ts),
                                   key: key)
    }

    /// The tracker's sequence number that the datagram answers, or nil (counted in `stats`).
    public mutating func reply(_ b: UnsafeRawBufferPointer, nowUs: Int64) -> UInt16? {
        let p: ReflectPacket
        do throws(ReflectCodec.Rejection) {
            p = try ReflectCodec.decode(b, key: key)
        } catch {
            stats.rejected += 1
            lastRejection = error
            return nil
        }
        guard p.kind == .reply, p.session == session, p.path == path,
              let ts = outstanding[p.sequence], ts == p.senderTimeUs else {
            stats.unmatched += 1
            return nil
        }
        outstanding[p.sequence] = nil
        stats.replyReceived(sequence: p.sequence, epoch: p.epoch, count: p.count, rttUs: nowUs - Int64(bitPattern: ts))
        return UInt16(truncatingIfNeeded: p.sequence)
    }

    public mutating func reply(_ bytes: [UInt8], nowUs: Int64) -> UInt16? {
        bytes.withUnsafeBytes { reply($0, nowUs: nowUs) }
    }

    private mutating func forgetOlderThan(_ wire: UInt32) {
        for k in Array(outstanding.keys) where wire &- k >= ReflectSender.window { outstanding[k] = nil }
    }
}
