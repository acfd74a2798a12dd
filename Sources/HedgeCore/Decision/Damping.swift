/// Route-flap damping of one member path inside one group, after RFC 2439's figure of merit.
///
/// Every down transition adds `config.penalty`; the penalty decays by half every `halfLifeMs`.
/// The path is suppressed once the penalty exceeds `suppress` and stays suppressed until it has
/// decayed below `reuse`. The penalty is capped at `ceiling` so that, from the cap, it decays
/// below `reuse` within `maxSuppressMs` (ceiling ≈ reuse × 2^(maxSuppress / halfLife)): suppression
/// never outlasts `maxSuppressMs` after the last down transition.
///
/// All arithmetic is integer (Embedded Swift, no libm); see `decay` for the error bound. The state
/// is a pure function of (penalty at the last down, time of that down, suppressed then) and `now`,
/// so nothing needs to be refreshed as time passes.
public struct Damping: Sendable {
    public let config: DampingConfig
    /// Penalty cap, computed from the config (see `ceiling(for:)`).
    public let ceiling: Int64
    /// Penalty right after the last down transition.
    public private(set) var penaltyAtUpdate: Int64 = 0
    /// Time of the last down transition.
    public private(set) var updatedAt: Millis = 0
    /// Whether the path was suppressed right after the last down transition.
    private var suppressedAtUpdate = false

    public init(config: DampingConfig) {
        self.config = config
        self.ceiling = Damping.ceiling(for: config)
    }

    var halfLife: Millis { config.halfLifeMs > 0 ? config.halfLifeMs : 1 }
    /// Usable again once the penalty is below this (at least 1, so that a penalty of 0 is usable).
    var reuseLevel: Int64 { config.reuse > 0 ? Int64(config.reuse) : 1 }

    /// The decayed penalty at `now`.
    public func penalty(now: Millis) -> Int64 {
        Damping.decay(penaltyAtUpdate, elapsed: now - updatedAt, halfLifeMs: halfLife)
    }

    /// Records one down transition of the path at `now`.
    public mutating func recordDown(now: Millis) {
        let stillSuppressed = isSuppressed(now: now)
        var p = penalty(now: now) + Int64(max(config.penalty, 0))
        if p > ceiling { p = ceiling }
        penaltyAtUpdate = p
        updatedAt = now
        suppressedAtUpdate = stillSuppressed || p > Int64(config.suppress)
    }

    /// Suppressed: the penalty went above `suppress` and has not yet decayed below `reuse`.
    public func isSuppressed(now: Millis) -> Bool {
        suppressedAtUpdate && penalty(now: now) >= reuseLevel
    }

    /// When a suppressed path becomes usable again (the first millisecond at which its penalty is
    /// below `reuse`, by the same integer decay as `isSuppressed`, found by bisection); nil if
    /// it is not suppressed at `now`.
    public func reuseAt(now: Millis) -> Millis? {
        guard isSuppressed(now: now) else { return nil }
        // decay(p, e) is non-increasing in e and 0 after 63 half-lives (p < 2^47).
        var lo = max(now - updatedAt, 0)          // still suppressed here
        var hi = Damping.saturatingMul(halfLife, 64)
        if hi <= lo { return updatedAt &+ lo &+ 1 }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if Damping.decay(penaltyAtUpdate, elapsed: mid, halfLifeMs: halfLife) < reuseLevel {
                hi = mid
            } else {
                lo = mid
            }
        }
        return updatedAt + hi
    }

    // MARK: - integer exponential decay

    /// 2^(-i/64) in Q24 (1 << 24 = 1.0), i = 0...64.
    static let table: [Int64] = [
        16777216, 16596492, 16417715, 16240863, 16065917, 15892855, 15721658, 15552304,
        15384775, 15219050, 15055111, 14892937, 14732511, 14573813, 14416824, 14261526,
        14107901, 13955931, 13805598, 13656884, 13509772, 13364245, 13220286, 13077877,
        12937002, 12797645, 12659789, 12523418, 12388516, 12255067, 12123055, 11992466,
        11863283, 11735492, 11609078, 11484025, 11360319, 11237946, 11116891, 10997140,
        10878679, 10761494, 10645571, 10530897, 10417458, 10305242, 10194234, 10084422, 9975792,
        9868333, 9762032, 9656875, 9552851, 9449948, 9348154, 9247455, 9147842, 9049301,
        8951823, 8855394, 8760003, 8665641, 8572295, 8479954, 8388608,
    ]

    /// Largest value accepted by `decay` (larger values are clamped): keeps value × 2^24 in Int64.
    public static let maxValue: Int64 = 1 << 38

    /// value × 2^(-elapsed / halfLife), in integers.
    ///
    /// Whole half-lives are right shifts; the fraction f = (elapsed mod halfLife) / halfLife uses
    /// a 65-entry Q24 table of 2^(-i/64) with linear interpolation between entries.
    /// Error bound: linear interpolation of 2^(-x) over steps of 1/64 overestimates by at most
    /// (1/64)² / 8 × (ln 2)² ≈ 1.47e-5 of the exact factor; table rounding and the truncated
    /// interpolation add under 2^-23 (≈ 1.2e-7) relative to a factor ≥ 0.5; the result is then
    /// truncated to an integer. Overall: |decay(v, t) − v·2^(−t/h)| ≤ 2e-5 × v + 1 (checked in
    /// DampingTests). The function is non-increasing in `elapsed` and non-decreasing in `value`.
    public static func decay(_ value: Int64, elapsed: Millis, halfLifeMs: Millis) -> Int64 {
        if value <= 0 { return 0 }
        let v = min(value, maxValue)
        if elapsed <= 0 { return v }
        let h = halfLifeMs > 0 ? halfLifeMs : 1
        let n = elapsed / h
        if n >= 62 { return 0 }
        // Position inside the table in 1/64 steps: x = r × 64 / h, split as index + frac / h.
        // Scale r and h down together (h ≤ 2^40) so that the products below stay in Int64.
        var r = elapsed % h, hh = h
        while hh > (Int64(1) << 40) { r >>= 1; hh >>= 1 }
        let x = r * 64
        let i = Int(x / hh)
        let frac = x % hh
        let t0 = table[i], t1 = table[min(i + 1, 64)]
        // (t0 - t1) < 2^18 and frac < 2^40.
        let factor = t0 - (t0 - t1) * frac / hh
        return ((v * factor) >> 24) >> n
    }

    /// The penalty cap: the largest penalty that decays below `reuse` within `maxSuppressMs`,
    /// i.e. ≈ reuse × 2^(maxSuppress / halfLife) (bounded by `maxValue`).
    public static func ceiling(for config: DampingConfig) -> Int64 {
        let reuse: Int64 = config.reuse > 0 ? Int64(config.reuse) : 1
        let h: Millis = config.halfLifeMs > 0 ? config.halfLifeMs : 1
        let m = max(config.maxSuppressMs, 0)
        // f(p) = decay(p, m) is non-decreasing in p; find the largest p with f(p) < reuse.
        var lo: Int64 = 0                      // f(0) = 0 < reuse
        var hi: Int64 = maxValue
        if decay(hi, elapsed: m, halfLifeMs: h) < reuse { return hi }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if decay(mid, elapsed: m, halfLifeMs: h) < reuse { lo = mid } else { hi = mid }
        }
        return max(lo, reuse - 1)
    }

    static func saturatingMul(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? Int64.max : r
    }
}
