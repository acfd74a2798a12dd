/// strongSwan mode: when hedge connects to charon's VICI socket again, and when it asks charon to
/// initiate the tunnel's CHILD_SA (RFC 7296 §1.3) because the kernel has no ESP SA pair.
public struct ChildSAInitiation: Sendable {
    /// `initiate on|off` of the config: off leaves initiation to charon (or the far side).
    public let enabled: Bool
    /// The kernel's SA pair, as the SA signal last saw it.
    public var kernelSAs = false
    /// At most one `initiate` outstanding, and not more often than `every`.
    public private(set) var initiating = false
    public private(set) var lastInitiate: Millis?
    public private(set) var initiations = 0
    public private(set) var lastResult: String?
    /// When to try connecting to charon again (it may not be running yet, or restarted).
    public private(set) var nextConnect: Millis = 0
    public private(set) var backoff: Millis = ChildSAInitiation.minBackoff

    public static let minBackoff: Millis = 1000
    public static let maxBackoff: Millis = 30_000
    public static let every: Millis = 5000
    /// charon's own retransmissions go on after this; it only bounds how long `initiate` blocks
    /// the connection's command queue.
    public static let timeoutMs = 10_000

    public init(enabled: Bool) { self.enabled = enabled }

    // MARK: - The VICI connection

    /// Connecting failed: try again after the backoff, which doubles up to `maxBackoff`.
    public mutating func connectFailed(now: Millis) {
        nextConnect = now + backoff
        backoff = min(backoff * 2, ChildSAInitiation.maxBackoff)
    }

    /// Connected: the next failure starts the backoff over.
    public mutating func connected() { backoff = ChildSAInitiation.minBackoff }

    /// The connection was lost (or could not be watched): try again after the backoff, and no
    /// `initiate` is outstanding any more.
    public mutating func disconnected(now: Millis) {
        initiating = false
        nextConnect = now + backoff
    }

    public func connectDue(now: Millis) -> Bool { now >= nextConnect }

    // MARK: - Initiation

    /// Whether to ask charon now. charon reuses an IKE_SA that is up or connecting
    /// (checkout_by_config), so asking again every few seconds while the kernel has no SA pair
    /// cannot pile up IKE_SAs.
    public func initiateDue(connected: Bool, childInstalled: Bool, now: Millis) -> Bool {
        guard enabled, connected, !initiating, !kernelSAs, !childInstalled else { return false }
        if let last = lastInitiate, now - last < ChildSAInitiation.every { return false }
        return true
    }

    /// The `initiate` request went out.
    public mutating func initiated(now: Millis) {
        initiating = true
        lastInitiate = now
        initiations += 1
    }

    /// charon answered the `initiate` request.
    public mutating func answered(success: Bool, errmsg: String?) {
        initiating = false
        lastResult = success ? "initiated" : "initiate failed: " + (errmsg ?? "no reason given")
    }

    /// charon does not know the `initiate` command: nothing is outstanding.
    public mutating func refused() { initiating = false }

    /// When `tick` has something to do: reconnecting, or the next initiation.
    public func nextDeadline(connected: Bool) -> Millis? {
        if !connected { return nextConnect }
        if enabled && !kernelSAs && !initiating { return (lastInitiate ?? 0) + ChildSAInitiation.every }
        return nil
    }
}
