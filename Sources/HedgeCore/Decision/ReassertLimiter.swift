/// Puts back what another daemon removed or rewrote, but not in a loop against one that keeps
/// doing it: at most once per window for each key (a tunnel, a nexthop object).
public struct ReassertLimiter<Key: Hashable> {
    public let windowMs: Millis
    /// The last re-assert allowed, per key. A refusal does not move it: a daemon that keeps
    /// fighting gets an answer once a window, not never.
    private var last = HashMap<Key, Millis>()

    public init(windowMs: Millis = 10_000) { self.windowMs = windowMs }

    /// True if `key` may be re-asserted now (and counts it as done).
    public mutating func allow(_ key: Key, now: Millis) -> Bool {
        if let l = last[key], now - l < windowMs { return false }
        last[key] = now
        return true
    }

    /// Forgets a key (its object is gone).
    public mutating func forget(_ key: Key) { last[key] = nil }
}
