/// What the LAN's own traffic lost around one failover or failback, in each direction, as a group's
/// `measure reflect` probe saw it. That probe leaves along the group's routes (whatever path they
/// use) from an on-prem LAN address, so its replies come back the way Azure routes the LAN: the
/// return direction is Azure's choice, not hedge's, and this is where it shows.
public struct TransitionLoss: Sendable, Equatable {
    public var kind: Switch.Kind
    /// The switch, monotonic ms.
    public var at: Millis
    /// Requests that never reached the reflector.
    public var forwardLost: Int
    /// Requests the reflector counted whose replies never came back.
    public var returnLost: Int
    public var intervalMs: Millis
    /// Replies have flowed without a new loss for `LossMeter.settleMs`: the figures are final.
    public var settled: Bool

    /// The loss windows, one probe interval per lost probe. A round trip cannot see the return
    /// while the forward is down: a return still lost after the forward came back is counted lost
    /// from the start of the gap, since a failure that cuts one direction of a path cuts the other.
    public var forwardMs: Millis { Millis(forwardLost) * intervalMs }
    public var returnMs: Millis { returnLost == 0 ? 0 : Millis(forwardLost + returnLost) * intervalMs }

    public init(kind: Switch.Kind, at: Millis, forwardLost: Int = 0, returnLost: Int = 0, intervalMs: Millis, settled: Bool = false) {
        self.kind = kind; self.at = at; self.forwardLost = forwardLost; self.returnLost = returnLost
        self.intervalMs = intervalMs; self.settled = settled
    }
}

/// Attributes a measure probe's one-way losses (`ReflectStats`) to the group's transitions.
///
/// A transition's figures are what the probe's counters gained from the switch until replies have
/// flowed `settleMs` without a new loss. While nothing comes back, `ReflectStats` holds its figures
/// (the direction is unknown until a reply carries the reflector's count), so the requests lost
/// since the last reply before the switch (the failure itself, before hedge could act) land in this
/// transition too, split by direction at the first reply afterwards.
public struct LossMeter: Sendable {
    public let intervalMs: Millis
    /// Long enough to span Azure's own convergence after hedge's switch (the MSEE's BFD and BGP
    /// withdrawal when the return is not steered), short enough that the report comes while it matters.
    public static let settleMs: Millis = 1_000
    /// The transition still being measured.
    public private(set) var open: TransitionLoss?
    public private(set) var lastFailover: TransitionLoss?
    public private(set) var lastFailback: TransitionLoss?
    private var baseForward = 0
    private var baseReturn = 0
    private var changedAt: Millis = 0

    public init(intervalMs: Millis) { self.intervalMs = intervalMs }

    /// A switch of the group at `at`. Returns the transition still open before it, closed as it
    /// stands (unsettled), if there was one. An initial choice is not measured.
    public mutating func transition(_ kind: Switch.Kind, at: Millis, stats: ReflectStats) -> TransitionLoss? {
        guard kind != .initial else { return nil }
        let closed = open
        if let c = closed { keep(c) }
        baseForward = stats.forwardLoss
        baseReturn = stats.returnLoss
        changedAt = at
        open = TransitionLoss(kind: kind, at: at, intervalMs: intervalMs)
        return closed
    }

    /// After the probe's replies were read, and on its timer. Returns the open transition once it
    /// settles (once only).
    public mutating func update(stats: ReflectStats, lastReplyAt: Millis?, now: Millis) -> TransitionLoss? {
        guard var o = open else { return nil }
        let f = stats.forwardLoss - baseForward, r = stats.returnLoss - baseReturn
        if f != o.forwardLost || r != o.returnLost {
            o.forwardLost = f
            o.returnLost = r
            changedAt = now
        }
        if let t = lastReplyAt, t - changedAt >= Self.settleMs {
            o.settled = true
            keep(o)
            open = nil
            return o
        }
        open = o
        return nil
    }

    /// The newest figures of each kind, the open one included.
    public var latestFailover: TransitionLoss? { open?.kind == .failover ? open : lastFailover }
    public var latestFailback: TransitionLoss? { open?.kind == .failback ? open : lastFailback }

    private mutating func keep(_ t: TransitionLoss) {
        if t.kind == .failover { lastFailover = t } else { lastFailback = t }
    }
}
