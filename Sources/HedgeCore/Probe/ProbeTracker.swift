/// Bookkeeping of one path's active probe: when to send, which sequence number, what the
/// replies mean. The Linux layer owns the socket, sends what `nextSend` returns, feeds replies to
/// `received`, and arms one timer for `nextDeadline()`, calling `tick` (then `nextSend`) when it fires.
///
/// - Down once no reply has come for `threshold × intervalMs` since the last reply (or since the
///   first send if none came yet). The deadline is exact, not rounded to the next send.
/// - Up after `recover` consecutive in-order replies (a reply whose sequence number follows the
///   previous reply's; a gap restarts the count at 1).
/// - Replies are matched against a small ring of recent sends. A reply for a sequence number never
///   sent (or no longer in the ring) counts as `unexpected`; a second reply for one sequence as
///   `duplicates`; a reply older than the last accepted one, or for a probe already counted lost,
///   as `stale`. None of them changes health.
/// - A probe is `lost` once it stays unanswered for `threshold × intervalMs` (a probe whose only
///   reply was stale counts as lost too): sent = received + lost + in flight.
public struct ProbeTracker: Sendable {
    public let intervalMs: Millis
    public let threshold: Int
    public let recover: Int
    /// Detection time: threshold × interval.
    public let detectionMs: Millis

    public private(set) var health: Health = .unknown
    public private(set) var reason: String = "probe: not started"
    public private(set) var sent: Int = 0
    public private(set) var received: Int = 0
    public private(set) var lost: Int = 0
    public private(set) var duplicates: Int = 0
    public private(set) var stale: Int = 0
    public private(set) var unexpected: Int = 0
    /// Round-trip time of the last accepted reply, in ms.
    public private(set) var lastRTTMs: Millis?
    /// Consecutive in-order replies so far.
    public private(set) var streak: Int = 0
    public private(set) var lastReplyAt: Millis?
    public private(set) var firstSendAt: Millis?
    /// Probes sent since the last accepted reply. Silence counts only when probes went out: an event
    /// loop that stalled (and sent nothing) must not read as a dead path.
    public private(set) var sentSinceReply: Int = 0

    private struct Slot: Sendable {
        var seq: UInt16 = 0
        var sentAt: Millis = 0
        var valid = false
        var answered = false
        /// Counted lost (no reply within the detection time).
        var resolved = false
    }
    private var ring: [Slot]
    private let mask: Int
    private var nextSeq: UInt16
    /// Oldest sequence number not yet resolved (answered or counted lost).
    private var unresolved: UInt16
    private var nextSendAt: Millis? = nil
    private var lastReplySeq: UInt16? = nil

    /// - Parameter firstSequence: sequence number of the first probe (the socket layer may randomise it).
    public init(intervalMs: Millis, threshold: Int, recover: Int, firstSequence: UInt16 = 0) {
        self.intervalMs = max(intervalMs, 1)
        self.threshold = max(threshold, 1)
        self.recover = max(recover, 1)
        let (d, o) = self.intervalMs.multipliedReportingOverflow(by: Millis(self.threshold))
        self.detectionMs = o ? Millis.max / 4 : d
        // A power of two (so that slots stay consistent across the 65535 → 0 wrap) holding at least
        // the probes of two detection windows.
        var size = 16
        while size < 2 * self.threshold + 4 && size < 4096 { size <<= 1 }
        ring = [Slot](repeating: Slot(), count: size)
        mask = size - 1
        nextSeq = firstSequence
        unresolved = firstSequence
    }

    /// Number of probes sent and not yet answered or counted lost.
    public var inFlight: Int { Int(nextSeq &- unresolved) }

    /// The sequence number to send now if a probe is due, else nil. Sends keep a fixed cadence
    /// (next = previous + interval); after a stall of more than one interval the cadence restarts
    /// from `now` instead of bursting.
    public mutating func nextSend(now: Millis) -> UInt16? {
        if let due = nextSendAt, now < due { return nil }
        resolveLosses(now: now)
        let seq = nextSeq
        let i = Int(seq) & mask
        if ring[i].valid && !ring[i].answered && !ring[i].resolved {
            // Overwriting a probe still in flight (ring too small for a long stall): count it lost.
            lost += 1
        }
        ring[i] = Slot(seq: seq, sentAt: now, valid: true, answered: false, resolved: false)
        nextSeq = seq &+ 1
        // Keep `unresolved` within the ring.
        if Int(nextSeq &- unresolved) > ring.count { unresolved = nextSeq &- UInt16(ring.count) }
        sent += 1
        sentSinceReply += 1
        if firstSendAt == nil { firstSendAt = now }
        if let due = nextSendAt, now - due < intervalMs { nextSendAt = due + intervalMs }
        else { nextSendAt = now + intervalMs }
        return seq
    }

    /// Feeds a reply. Returns the new health if it changed.
    public mutating func received(sequence: UInt16, now: Millis) -> Health? {
        let i = Int(sequence) & mask
        let slot = ring[i]
        guard slot.valid && slot.seq == sequence && Int(nextSeq &- sequence) <= ring.count
                && Int(nextSeq &- sequence) > 0 else {
            unexpected += 1
            return nil
        }
        if slot.answered { duplicates += 1; return nil }
        if slot.resolved { stale += 1; return nil }
        if let last = lastReplySeq, Int16(bitPattern: sequence &- last) <= 0 {
            stale += 1; return nil
        }
        ring[i].answered = true
        received += 1
        lastRTTMs = max(now - slot.sentAt, 0)
        lastReplyAt = now
        sentSinceReply = 0
        if let last = lastReplySeq, sequence == last &+ 1 { streak += 1 } else { streak = 1 }
        lastReplySeq = sequence
        advanceUnresolved()
        if health != .up && streak >= recover {
            health = .up
            reason = "probe: \(streak) replies in a row, rtt \(lastRTTMs ?? 0) ms"
            return .up
        }
        return nil
    }

    /// Detection (and loss accounting) at `now`. Returns `.down` when the path just went down.
    public mutating func tick(now: Millis) -> Health? {
        resolveLosses(now: now)
        guard health != .down, let d = detectionDeadline, now >= d, sentSinceReply >= threshold else { return nil }
        health = .down
        streak = 0
        reason = lastReplyAt == nil
            ? "probe: no reply for \(detectionMs) ms (none since start)"
            : "probe: no reply for \(detectionMs) ms"
        return .down
    }

    /// When detection fires if no reply comes: last reply (or first send) + threshold × interval;
    /// nil before the first send and while down.
    public var detectionDeadline: Millis? {
        guard health != .down, let ref = lastReplyAt ?? firstSendAt else { return nil }
        let (d, o) = ref.addingReportingOverflow(detectionMs)
        return o ? Millis.max : d
    }

    /// min(next send time, detection deadline): when the event loop should call `tick` and
    /// `nextSend` again. 0 before the first send (due at once).
    public func nextDeadline() -> Millis {
        guard let send = nextSendAt else { return 0 }
        if let d = detectionDeadline { return min(send, d) }
        return send
    }

    private mutating func advanceUnresolved() {
        while unresolved != nextSeq {
            let s = ring[Int(unresolved) & mask]
            guard s.valid && s.seq == unresolved && (s.answered || s.resolved) else { break }
            unresolved = unresolved &+ 1
        }
    }

    private mutating func resolveLosses(now: Millis) {
        while unresolved != nextSeq {
            let i = Int(unresolved) & mask
            let s = ring[i]
            if s.valid && s.seq == unresolved && !s.answered && !s.resolved {
                guard now - s.sentAt >= detectionMs else { break }
                ring[i].resolved = true
                lost += 1
            }
            unresolved = unresolved &+ 1
        }
    }
}
