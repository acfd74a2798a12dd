/// The session timers of RFC 4271 §10 and the idle hold backoff. Deadlines are absolute `Millis`
/// on the caller's monotonic clock; nothing here reads a clock.

public enum SessionTimer: Int, Sendable, CaseIterable {
    case connectRetry = 0
    case hold
    case keepalive
    /// Delay before an automatic restart after the session went down on an error (RFC 4271 §8.1.1,
    /// IdleHoldTimer of DampPeerOscillations).
    case idleHold

    public var name: String {
        switch self {
        case .connectRetry: return "ConnectRetryTimer"
        case .hold: return "HoldTimer"
        case .keepalive: return "KeepaliveTimer"
        case .idleHold: return "IdleHoldTimer"
        }
    }
}

public struct SessionTimers: Sendable {
    private var deadlines: [Millis?] = [nil, nil, nil, nil]

    public init() {}

    public func deadline(_ t: SessionTimer) -> Millis? { deadlines[t.rawValue] }

    mutating func arm(_ t: SessionTimer, at deadline: Millis) { deadlines[t.rawValue] = deadline }
    mutating func disarm(_ t: SessionTimer) { deadlines[t.rawValue] = nil }

    /// The earliest armed deadline.
    public var next: Millis? {
        var best: Millis? = nil
        for d in deadlines { if let d, best == nil || d < best! { best = d } }
        return best
    }

    /// The timers due at `now`, earliest first (ties in `SessionTimer` order: a hold expiry beats a
    /// keepalive due at the same instant, so a dead peer is not kept alive by our own keepalive).
    func expired(now: Millis) -> [SessionTimer] {
        var due: [(Millis, SessionTimer)] = []
        for t in SessionTimer.allCases { if let d = deadlines[t.rawValue], d <= now { due.append((d, t)) } }
        due.stableSort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1.rawValue < $1.1.rawValue) }
        return due.map { $0.1 }
    }
}

/// Hold time and keepalive interval agreed in the OPEN exchange (RFC 4271 §4.2, §10): the smaller
/// hold time of the two, 0 meaning no keepalives and no hold timer; keepalive one third of it.
/// A configured value of 1 or 2 s is raised to 3 (the peer would refuse it, §6.2).
public func negotiateHoldTime(ours: UInt16, theirs: UInt16) -> (holdMs: Millis, keepaliveMs: Millis) {
    let o = ours == 1 || ours == 2 ? 3 : ours
    let hold = Millis(min(o, theirs)) * 1000
    return (hold, hold / 3)
}

/// Exponential backoff of the idle hold time (as OpenBSD bgpd's IdleHoldTime): each error doubles
/// the wait before the next automatic start, up to `max`; a session that stayed up at least as long
/// as the current wait earns a reset to `initial`.
public struct Backoff: Sendable, Equatable {
    public let initial: Millis
    public let max: Millis
    public private(set) var current: Millis

    public init(initial: Millis, max: Millis) {
        self.initial = Swift.max(initial, 0)
        self.max = Swift.max(max, self.initial)
        current = self.initial
    }

    /// The wait to use now; the next one doubles.
    mutating func take() -> Millis {
        let d = current
        current = current > max / 2 ? max : Swift.max(current * 2, 1)
        return d
    }

    mutating func reset() { current = initial }
}
