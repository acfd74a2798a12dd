/// One single-hop BFD session in Asynchronous mode (RFC 5880, RFC 5881), active role, no echo,
/// no authentication, never Demand mode itself (it honours a neighbour's).
///
/// Pure bookkeeping: the caller owns the socket, the clock (µs) and the random source. It feeds
/// received payloads to `receive`, arms one timer for `nextDeadline(now:)` and calls `tick` when it
/// fires, and carries out the returned actions in order. One session per neighbour; the caller
/// allocates the local discriminator (non-zero, unique among its sessions) and picks the session
/// for a packet by Your Discriminator, or by addresses when that is zero.
///
/// Choices the RFC leaves open:
/// - A packet goes out at once on every state change (as BIRD and FRR do), so that the three-way
///   handshake and a Down take one trip instead of waiting up to a second for the next periodic
///   packet; it restarts the periodic cadence.
/// - A packet arriving after the detection time ran out does not rescue the session: detection is
///   run first (the event loop may serve the socket before the timer).
/// - When detection expires, the neighbour's Required Min RX goes back to its initial value, so a
///   neighbour that once asked for no packets (0) and then died cannot silence us for good.
public struct BFDSession: Sendable {
    public let localDiscriminator: UInt32
    public private(set) var timers: BFDTimers
    public private(set) var state: BFDState = .down
    /// bfd.LocalDiag: why the last state change happened (0 when it came up).
    public private(set) var localDiagnostic: BFDDiagnostic = .none
    /// Time of the last state change (µs), or of creation.
    public private(set) var since: Int64

    // bfd.Remote*: what the neighbour told us last.
    public private(set) var remoteDiscriminator: UInt32 = 0
    public private(set) var remoteState: BFDState = .down
    public private(set) var remoteDiagnostic: BFDDiagnostic = .none
    public private(set) var remoteDemand = false
    public private(set) var remoteControlPlaneIndependent = false
    /// bfd.RemoteMinRxInterval; 1 µs until we hear otherwise (§6.8.1).
    public private(set) var remoteMinRxInterval: Int64 = 1
    public private(set) var remoteDesiredMinTxInterval: Int64 = 0
    public private(set) var remoteDetectMult: UInt8 = 0

    public private(set) var intervals: BFDIntervals

    public private(set) var sent = 0
    /// Packets that passed every check and were acted on.
    public private(set) var accepted = 0
    public private(set) var discards = BFDDiscardCounters()
    /// Last accepted packet (µs): the detection timer runs from here. Nil while none counts.
    public private(set) var lastReceivedAt: Int64?
    /// Last accepted packet (µs), kept when detection expires: the neighbour's last sign of life,
    /// from which a failover's loss window is counted.
    public private(set) var lastHeardAt: Int64?
    /// When the next periodic packet is due (µs); nil while periodic packets are not allowed.
    public private(set) var nextTransmitAt: Int64?

    private let createdAt: Int64
    private var lastPeriodicAt: Int64?
    /// Jitter of the current periodic gap (1/10,000 of the interval), kept so that an interval that
    /// changes mid-gap moves the pending packet without a new random value.
    private var jitter: Int64 = 10_000

    public init(localDiscriminator: UInt32, timers: BFDTimers, now: Int64) {
        precondition(localDiscriminator != 0, "BFD: discriminator 0 is reserved")
        self.localDiscriminator = localDiscriminator
        self.timers = timers
        since = now
        createdAt = now
        intervals = BFDIntervals(tx: max(timers.desiredMinTx, BFDTimers.slowTx), rx: timers.requiredMinRx)
        nextTransmitAt = now
        deadline = now
    }

    // MARK: derived values

    /// The periodic interval before jitter (§6.8.7): the larger of what we want to send and what the
    /// neighbour wants to receive.
    public var transmitInterval: Int64 { max(intervals.effectiveTx, remoteMinRxInterval) }

    /// Detection Time (§6.8.4): the neighbour's Detect Mult × the larger of our Required Min RX and
    /// its Desired Min TX. Nil before the neighbour has spoken.
    public var detectionTime: Int64? {
        guard remoteDetectMult != 0 else { return nil }
        return Int64(remoteDetectMult) * max(intervals.effectiveRx, remoteDesiredMinTxInterval)
    }

    /// When the session expires without another packet. AdminDown runs no detection.
    public var detectionDeadline: Int64? {
        guard state != .adminDown, let last = lastReceivedAt, let d = detectionTime else { return nil }
        return last + d
    }

    /// When `tick` must run next (µs, never before `now`); nil when nothing is pending.
    public func nextDeadline(now: Int64) -> Int64? { deadline.map { max($0, now) } }

    /// The earlier of detection and the periodic packet, kept by every event: the caller reads
    /// a stored value after each packet instead of working it out again.
    public private(set) var deadline: Int64?
    /// `detectionDeadline`, kept the same way.
    public private(set) var detectionAt: Int64?

    private mutating func updateDeadline() {
        var d = nextTransmitAt
        detectionAt = detectionDeadline
        if let det = detectionAt { d = min(d ?? det, det) }
        deadline = d
    }

    /// §6.8.7: no periodic packets while the neighbour asks for none (Required Min RX 0), nor while
    /// it runs Demand mode with both sides Up, unless we are polling.
    private var periodicAllowed: Bool {
        if remoteMinRxInterval == 0 { return false }
        if remoteDemand && state == .up && remoteState == .up && !intervals.polling { return false }
        return true
    }

    /// The packet we would send now (§6.8.7). `final` answers a Poll and then P must be clear.
    public func packet(final: Bool = false) -> BFDControlPacket {
        BFDControlPacket(diagnostic: localDiagnostic, state: state,
                         poll: !final && intervals.polling, final: final,
                         detectMult: timers.detectMult,
                         myDiscriminator: localDiscriminator, yourDiscriminator: remoteDiscriminator,
                         desiredMinTxInterval: UInt32(truncatingIfNeeded: intervals.advertisedTx),
                         requiredMinRxInterval: UInt32(truncatingIfNeeded: intervals.advertisedRx),
                         requiredMinEchoRxInterval: 0)
    }

    // MARK: events

    /// A UDP payload from the neighbour, with the TTL / Hop Limit it arrived with.
    /// `random` jitters the packet sent at once if the state changes.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, ttl: UInt8, now: Int64,
                                 random: UInt32) -> [BFDAction] {
        var out = [BFDAction]()
        receive(bytes, ttl: ttl, now: now, random: random, into: &out)
        return out
    }

    /// `receive`, appending its actions to `out` (the caller reuses one array: nothing allocated
    /// per packet).
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, ttl: UInt8, now: Int64,
                                 random: UInt32, into out: inout [BFDAction]) {
        defer { updateDeadline() }
        if let d = detectionDeadline, now >= d { expire(now: now, random: random, &out) }
        let p: BFDControlPacket
        do throws(BFDDiscardReason) {
            p = try BFDReception.check(bytes, ttl: ttl, localDiscriminator: localDiscriminator)
        } catch {
            discards.count(error)
            return
        }
        remoteDiscriminator = p.myDiscriminator
        remoteState = p.state
        remoteDiagnostic = p.diagnostic
        remoteDemand = p.demand
        remoteControlPlaneIndependent = p.controlPlaneIndependent
        remoteMinRxInterval = Int64(p.requiredMinRxInterval)
        remoteDesiredMinTxInterval = Int64(p.desiredMinTxInterval)
        remoteDetectMult = p.detectMult
        if p.final { intervals.finalReceived() }
        if state == .adminDown {
            discards.count(.localAdminDown)
            reschedule()
            return
        }
        accepted += 1
        lastReceivedAt = now
        lastHeardAt = now

        var changed = false
        if let (to, diag, reason) = Self.transition(from: state, on: p.state) {
            // A Poll is answered below, by a packet that carries the new state too.
            change(to: to, diagnostic: diag, reason: reason, now: now, random: random,
                   sendNow: !p.poll, &out)
            changed = true
        }
        if p.poll {
            // §6.8.6: F goes back at once, whatever the transmit timer, Demand mode or Required Min RX.
            out.append(.send(packet(final: true)))
            sent += 1
        }
        if !changed || p.poll { reschedule() }
    }

    public mutating func receive(_ bytes: [UInt8], ttl: UInt8, now: Int64, random: UInt32) -> [BFDAction] {
        bytes.withUnsafeBytes { receive($0, ttl: ttl, now: now, random: random) }
    }

    /// The timer fired (or any time): runs detection, then sends the periodic packet if it is due.
    public mutating func tick(now: Int64, random: UInt32) -> [BFDAction] {
        var out = [BFDAction]()
        tick(now: now, random: random, into: &out)
        return out
    }

    /// `tick`, appending its actions to `out`.
    public mutating func tick(now: Int64, random: UInt32, into out: inout [BFDAction]) {
        defer { updateDeadline() }
        if let d = detectionDeadline, now >= d { expire(now: now, random: random, &out) }
        if let t = nextTransmitAt, now >= t { transmitPeriodic(now: now, random: random, &out) }
    }

    /// New local timers (configuration reload). A TX/RX change starts a Poll Sequence while Init or
    /// Up; the P bit rides on the next periodic packet.
    public mutating func setTimers(_ t: BFDTimers, now: Int64) {
        timers = t
        updateIntervals()
        reschedule()
        updateDeadline()
    }

    /// Takes the session AdminDown (§6.8.16): diag 7, packets keep going at the slow rate so that
    /// the neighbour goes Down, not into a detection timeout.
    public mutating func adminDown(now: Int64, random: UInt32) -> [BFDAction] {
        var out = [BFDAction]()
        guard state != .adminDown else { return out }
        change(to: .adminDown, diagnostic: .administrativelyDown, reason: "BFD: administratively down",
               now: now, random: random, sendNow: true, &out)
        // Packets are discarded from now on, so none may count for detection after AdminDown ends.
        lastReceivedAt = nil
        updateDeadline()
        return out
    }

    /// Leaves AdminDown for Down; the handshake starts again.
    public mutating func adminUp(now: Int64, random: UInt32) -> [BFDAction] {
        var out = [BFDAction]()
        guard state == .adminDown else { return out }
        change(to: .down, diagnostic: .none, reason: "BFD: administratively enabled",
               now: now, random: random, sendNow: true, &out)
        updateDeadline()
        return out
    }

    // MARK: internals

    /// §6.8.6's state table for a packet that passed every check, with our session not AdminDown.
    /// Static, on the state alone: a method would take the whole session by value (a copy of it
    /// for every packet received).
    private static func transition(from state: BFDState, on received: BFDState) -> (BFDState, BFDDiagnostic, String)? {
        switch (state, received) {
        case (.down, .adminDown), (.adminDown, _):
            return nil
        case (_, .adminDown):
            return (.down, .neighborSignaledSessionDown, "BFD: neighbor signaled AdminDown")
        case (.down, .down):
            return (.initial, .none, "BFD: neighbor is Down")
        case (.down, .initial), (.initial, .initial), (.initial, .up):
            return (.up, .none, "BFD: neighbor is \(received.name)")
        case (.up, .down):
            return (.down, .neighborSignaledSessionDown, "BFD: neighbor signaled session down")
        default:
            return nil
        }
    }

    /// No packet for a Detection Time.
    private mutating func expire(now: Int64, random: UInt32, _ out: inout [BFDAction]) {
        let d = detectionTime ?? 0
        lastReceivedAt = nil
        // §6.8.1: the neighbour is gone; forget what it told us.
        remoteDiscriminator = 0
        remoteState = .down
        remoteDemand = false
        remoteMinRxInterval = 1
        if state == .initial || state == .up {
            change(to: .down, diagnostic: .controlDetectionTimeExpired,
                   reason: "BFD: no control packet for \(d) µs (Control Detection Time Expired)",
                   now: now, random: random, sendNow: true, &out)
        } else {
            reschedule()
        }
    }

    @inline(never) private mutating func change(to new: BFDState, diagnostic: BFDDiagnostic, reason: String, now: Int64,
                                 random: UInt32, sendNow: Bool, _ out: inout [BFDAction]) {
        let old = state
        state = new
        localDiagnostic = diagnostic
        since = now
        out.append(.stateChanged(BFDStateChange(from: old, to: new, diagnostic: diagnostic,
                                                reason: reason, at: now)))
        if old == .up {
            out.append(.down(BFDDown(localDiscriminator: localDiscriminator, diagnostic: diagnostic, at: now,
                                     neighborAdminDown: remoteState == .adminDown,
                                     neighborControlPlaneIndependent: remoteControlPlaneIndependent)))
        }
        if new != .up && new != .initial { intervals.cancel() }
        updateIntervals()
        if sendNow { transmitPeriodic(now: now, random: random, &out) } else { reschedule() }
    }

    /// §6.8.3: Desired Min TX is at least 1 s while not Up.
    private mutating func updateIntervals() {
        let tx = state == .up ? timers.desiredMinTx : max(timers.desiredMinTx, BFDTimers.slowTx)
        intervals.set(tx: tx, rx: timers.requiredMinRx, guarded: state == .up || state == .initial)
    }

    private mutating func transmitPeriodic(now: Int64, random: UInt32, _ out: inout [BFDAction]) {
        guard periodicAllowed else { nextTransmitAt = nil; return }
        out.append(.send(packet()))
        sent += 1
        lastPeriodicAt = now
        jitter = BFDJitter.permyriad(detectMult: timers.detectMult, random: random)
        reschedule()
    }

    /// Places the next periodic packet one jittered interval after the last one, with the interval
    /// in force now: a change (poll ended, neighbour's Required Min RX) moves a pending packet.
    private mutating func reschedule() {
        guard periodicAllowed else { nextTransmitAt = nil; return }
        guard let last = lastPeriodicAt else { nextTransmitAt = createdAt; return }
        // At least 1 µs: a 1 µs interval jittered to 0 would make the caller spin.
        nextTransmitAt = last + max(transmitInterval * jitter / 10_000, 1)
    }
}
