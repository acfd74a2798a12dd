/// A path's `watch-routes` block.
extension Validator {
    /// Route-watch: an on-box FRR/BIRD owns the session; its routes in the kernel are the signal.
    mutating func validateWatch(_ w: DraftWatch, path p: DraftPath) -> RouteWatchConfig? {
        guard let proto = w.protocolID else { return nil }
        var ok = true
        if w.prefixes.isEmpty { error(w.at, "watch-routes needs at least one 'prefix PREFIX;' to look for"); ok = false }
        if proto.value == 88 {
            warning(proto.at, "protocol 88 is hedge's own (kernel { protocol; } default): watch the routing daemon's routes (bgp = 186, bird = 12)")
        }
        if !range(w.table, 1, UInt64(UInt32.max), "table must be 1–4294967295") { ok = false }
        guard ok else { return nil }
        var seen = HashSet<IPPrefix>()
        let prefixes = w.prefixes.map { $0.value }.filter { seen.insert($0).inserted }
        return RouteWatchConfig(protocolID: UInt8(proto.value), prefixes: prefixes, table: UInt32(w.table?.value ?? 254),
                                all: w.all, location: w.at)
    }
}
