/// A path's `bfd` block.
extension Validator {
    /// Single-hop BFD (RFC 5881) toward the path's directly connected neighbour.
    mutating func validateBFD(_ b: DraftBFD, path p: DraftPath) -> BFDConfig? {
        guard let n = b.neighbor else { return nil }
        var ok = true
        if !n.value.isV4 {
            error(n.at, "BFD over IPv6 is not supported yet; give the IPv4 neighbor (Azure runs BFD on the IPv4 peering only)")
            ok = false
        } else if !isUnicast(n.value) {
            error(n.at, "BFD neighbor must be a unicast address, not \(n.value)"); ok = false
        }
        if let gw = p.gateway, gw.value.isV4, gw.value != n.value {
            warning(n.at, "BFD neighbor \(n.value) is not the path's gateway \(gw.value); single-hop BFD checks the next hop")
        }
        if !range(b.interval, 10, 60_000, "BFD interval must be 10ms–60s") { ok = false }
        if !range(b.minRx, 10, 60_000, "BFD min-rx must be 10ms–60s") { ok = false }
        if !range(b.multiplier, 1, 255, "BFD multiplier must be 1–255") { ok = false }
        guard ok else { return nil }
        let interval = b.interval?.value ?? 300
        return BFDConfig(neighbor: n.value, intervalMs: interval, minRxMs: b.minRx?.value ?? interval,
                         multiplier: Int(b.multiplier?.value ?? 3), location: b.at)
    }
}
