/// A group's `damping` block (RFC 2439).
extension Validator {
    static let damperMax: UInt64 = 1_000_000

    mutating func validateDamping(_ d: DraftDamping) -> DampingConfig? {
        var ok = true
        let def = DampingConfig()
        let limit = "must be 1–\(Self.damperMax)"
        if !range(d.penalty, 1, Self.damperMax, "penalty \(limit)") { ok = false }
        if !range(d.suppress, 1, Self.damperMax, "suppress \(limit)") { ok = false }
        if !range(d.reuse, 1, Self.damperMax, "reuse \(limit)") { ok = false }
        if !range(d.halfLife, 1000, 3_600_000, "half-life must be 1s–1h") { ok = false }
        if !range(d.maxSuppress, 1000, 86_400_000, "max-suppress must be 1s–24h") { ok = false }
        guard ok else { return nil }
        let c = DampingConfig(penalty: Int(d.penalty?.value ?? UInt64(def.penalty)),
                              suppress: Int(d.suppress?.value ?? UInt64(def.suppress)),
                              reuse: Int(d.reuse?.value ?? UInt64(def.reuse)),
                              halfLifeMs: d.halfLife?.value ?? def.halfLifeMs,
                              maxSuppressMs: d.maxSuppress?.value ?? def.maxSuppressMs)
        if c.reuse >= c.suppress {
            error(d.reuse?.at ?? d.suppress?.at ?? d.at, "damping reuse (\(c.reuse)) must be below suppress (\(c.suppress))")
            return nil
        }
        if c.maxSuppressMs < c.halfLifeMs {
            error(d.maxSuppress?.at ?? d.halfLife?.at ?? d.at,
                  "damping max-suppress (\(Values.format(duration: c.maxSuppressMs))) must not be shorter than half-life (\(Values.format(duration: c.halfLifeMs)))")
            return nil
        }
        // RFC 2439: the figure of merit is capped at reuse × 2^(max-suppress / half-life).
        let k = c.maxSuppressMs / c.halfLifeMs
        if k < 40 {
            let ceiling = Int64(c.reuse) << k
            if ceiling <= Int64(c.suppress) {
                warning(d.at, "damping can never suppress: the penalty is capped at \(ceiling) (reuse × 2^(max-suppress / half-life)), not above suppress (\(c.suppress))")
            }
        }
        return c
    }
}
