/// The locally configured timers of one session. Every interval is in µs (Int64), as on the wire.
public struct BFDTimers: Equatable, Sendable {
    /// bfd.DesiredMinTxInterval while the session is Up.
    public var desiredMinTx: Int64
    /// bfd.RequiredMinRxInterval. Never 0 here: 0 would tell the neighbour to send nothing.
    public var requiredMinRx: Int64
    /// bfd.DetectMult.
    public var detectMult: UInt8

    /// RFC 5880 §6.8.3: while not Up, Desired Min TX is at least one second, so that sessions that
    /// are not running cost little.
    public static let slowTx: Int64 = 1_000_000
    /// The largest interval the 32-bit fields carry.
    public static let maxInterval = Int64(UInt32.max)

    /// Out-of-range values are clamped (1 µs … 2³²−1 µs, multiplier ≥ 1); the configuration layer
    /// reports them.
    public init(desiredMinTx: Int64, requiredMinRx: Int64, detectMult: UInt8) {
        self.desiredMinTx = min(max(desiredMinTx, 1), BFDTimers.maxInterval)
        self.requiredMinRx = min(max(requiredMinRx, 1), BFDTimers.maxInterval)
        self.detectMult = max(detectMult, 1)
    }
}

/// Transmission jitter (RFC 5880 §6.8.7): each periodic interval is cut by a random 0–25 %, or by
/// 10–25 % when bfd.DetectMult is 1, so that one late packet cannot alone expire the neighbour's
/// detection time and sessions do not synchronise.
public enum BFDJitter {
    /// Fraction of the interval to wait, in 1/10,000, from a random value the caller supplies.
    public static func permyriad(detectMult: UInt8, random: UInt32) -> Int64 {
        // 75.00 % … 100.00 % (or … 90.00 %), both ends included.
        let span: UInt32 = detectMult == 1 ? 1_500 : 2_500
        return 7_500 + Int64(random % (span + 1))
    }

    /// The jittered wait before the next periodic packet, for a negotiated `interval` in µs.
    public static func interval(_ interval: Int64, detectMult: UInt8, random: UInt32) -> Int64 {
        interval * permyriad(detectMult: detectMult, random: random) / 10_000
    }
}
