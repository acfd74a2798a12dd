/// What the decision needs to know about a path.
public struct PathSpec: Sendable {
    public var name: String
    /// Lower is preferred.
    public var priority: Int
    /// The signals this path has; its health combines them.
    public var signals: HashSet<SignalKind>

    public init(name: String, priority: Int, signals: HashSet<SignalKind>) {
        self.name = name; self.priority = priority; self.signals = signals
    }
}

/// Health of one path, combined from its signals:
/// - down if any signal is down (reason: the first down signal's reason, in `SignalKind.allCases` order),
/// - up if every signal is up (a path without signals is a static path and always up),
/// - unknown otherwise.
public struct PathState: Sendable {
    public var name: String
    public var priority: Int
    public private(set) var health: Health
    public private(set) var reason: String
    /// Time of the last health change; nil while the health has never changed since start.
    public private(set) var since: Millis?
    /// Down transitions: the path went down after it had last been up (a path that starts down,
    /// or goes up → unknown → down, counts once at most).
    public private(set) var flaps: Int
    /// One entry per declared signal, in `SignalKind.allCases` order.
    public private(set) var signals: [SignalState]
    /// The last health other than unknown; a down transition is counted only after an up.
    private var lastKnown: Health

    public init(_ spec: PathSpec) {
        name = spec.name; priority = spec.priority
        signals = spec.signals.stableSorted { $0.order < $1.order }.map { SignalState(kind: $0) }
        health = .unknown; reason = ""; since = nil; flaps = 0; lastKnown = .unknown
        let (h, r) = combine()
        health = h; reason = r
        if h != .unknown { lastKnown = h }
    }

    /// The state of one signal; nil if the path does not have it.
    public func signal(_ kind: SignalKind) -> SignalState? {
        for s in signals where s.kind == kind { return s }
        return nil
    }

    /// The outcome of feeding one signal.
    struct Change {
        /// New path health if it changed.
        var health: Health?
        /// True when this was a down transition (counts as a flap, damping adds a penalty).
        var flap: Bool
        /// The signal's health or reason changed (what an observer of the path would see).
        var touched = false
    }

    /// Feeds one signal report. Signals the path does not declare are ignored.
    mutating func apply(_ kind: SignalKind, _ h: Health, reason: String, now: Millis) -> Change {
        var found = false
        var touched = false
        for i in signals.indices where signals[i].kind == kind {
            found = true
            if signals[i].health != h || signals[i].reason != reason { touched = true }
            if signals[i].health != h { signals[i].since = now }
            signals[i].health = h
            signals[i].reason = reason
        }
        guard found else { return Change(health: nil, flap: false) }
        let (newHealth, newReason) = combine()
        self.reason = newReason
        guard newHealth != health else { return Change(health: nil, flap: false, touched: touched) }
        health = newHealth
        since = now
        var flap = false
        if newHealth == .down && lastKnown == .up {
            flaps += 1
            flap = true
        }
        if newHealth != .unknown { lastKnown = newHealth }
        return Change(health: newHealth, flap: flap, touched: true)
    }

    /// How long the path has been continuously up at `now`; nil if it is not up.
    /// A path that has been up since start (static) counts as up for ever (`Millis.max`).
    public func upFor(now: Millis) -> Millis? {
        guard health == .up else { return nil }
        guard let s = since else { return Millis.max }
        return now >= s ? now - s : 0
    }

    private func combine() -> (Health, String) {
        for s in signals where s.health == .down {
            return (.down, s.reason.isEmpty ? "\(s.kind.rawValue) down" : s.reason)
        }
        for s in signals where s.health == .unknown {
            return (.unknown, s.reason.isEmpty ? "\(s.kind.rawValue): no report yet" : s.reason)
        }
        return (.up, "up")
    }
}
