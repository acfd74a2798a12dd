/// What the paths announce toward Azure, held against how Azure routes: its prefix limit, the
/// longest prefix winning over path preference, and where a probe's replies come back.
extension Validator {
    mutating func validateAnnouncements(_ d: DraftConfig, limit: Int) {
        // Azure's private peering prefix limit.
        var all: HashSet<IPPrefix> = []
        for p in d.paths {
            for a in p.announce where all.insert(a.value).inserted && all.count == limit + 1 {
                warning(a.at, "more than \(limit) prefixes announced in total; Azure drops the private peering session over \(limit) prefixes")
            }
        }

        // Within each group the best-priority path is the primary (ExpressRoute); a backup (VPN)
        // must not announce anything longer than the primary does, or Azure, which prefers the
        // longer prefix whatever the path, sends traffic over the backup while the primary is up.
        var byName = HashMap<String, Int>()
        for (i, p) in d.paths.enumerated() where byName[p.name.value] == nil { byName[p.name.value] = i }
        var reported: HashSet<String> = []
        for g in d.groups {
            let members = g.paths.compactMap { byName[$0.value] }.filter { d.paths[$0].priority != nil }
            guard members.count > 1 else { continue }
            var primary = members[0]
            for m in members where d.paths[m].priority!.value < d.paths[primary].priority!.value { primary = m }
            let er = d.paths[primary]
            guard !er.announce.isEmpty else { continue }
            // Paths of the primary's own priority are used together with it (the circuit's two links):
            // what one announces more specifically than the other is steered between them, not away
            // from ExpressRoute.
            for m in members where m != primary && d.paths[m].priority!.value != er.priority!.value {
                let backup = d.paths[m]
                for v in backup.announce {
                    let key = "\(backup.name.value) \(v.value)"
                    if reported.contains(key) || er.announce.contains(where: { $0.value == v.value }) { continue }
                    if let cover = er.announce.first(where: { $0.value.contains(v.value) }) {
                        warning(v.at, "announce \(v.value) on path '\(backup.name.value)' is more specific than \(cover.value) on the primary path '\(er.name.value)'; Azure prefers the longer prefix, so traffic for it would come over '\(backup.name.value)' while '\(er.name.value)' is up")
                    } else if !er.announce.contains(where: { v.value.contains($0.value) }) {
                        // (A shorter summary over the backup is the recommended practice: fine.)
                        warning(v.at, "announce \(v.value) on path '\(backup.name.value)' is not announced on the primary path '\(er.name.value)'; Azure would send traffic for it over '\(backup.name.value)' while '\(er.name.value)' is up")
                    }
                    reported.insert(key)
                }
            }
            for m in members { checkProbeReturn(path: m, members: members, d) }
        }
    }

    /// A path's probe sees that path only if Azure sends the replies back over it. Azure routes them
    /// by the longest prefix covering the probe's source, and for equal prefixes prefers ExpressRoute
    /// to the VPN; a path whose BGP steers the return announces halves, one bit longer. A source whose
    /// replies would come over another member makes the path look down while it is up, or keeps it
    /// down after it recovered (while the group is failed over and the halves steer the return).
    mutating func checkProbeReturn(path m: Int, members: [Int], _ d: DraftConfig) {
        let p = d.paths[m]
        guard let pr = p.probe, let s = pr.source?.value else { return }
        func reach(_ q: DraftPath, steering: Bool) -> (len: Int, prefix: IPPrefix)? {
            var best: IPPrefix?
            for a in q.announce where a.value.contains(s) {
                if best == nil || a.value.length > best!.length { best = a.value }
            }
            guard let b = best else { return nil }
            let full = s.isV4 ? 32 : 128
            return (Int(b.length) + (steering && Int(b.length) < full ? 1 : 0), b)
        }
        let own = reach(p, steering: false)
        for o in members where o != m {
            let q = d.paths[o]
            let steers = q.bgp?.returnSteering == true && q.bgp?.remoteAS?.value == 65515
            guard let other = reach(q, steering: steers) else { continue }
            let ownLen = own?.len ?? -1
            let wins = other.len > ownLen || (other.len == ownLen && p.ipsec != nil && q.ipsec == nil)
            guard wins else { continue }
            let how = steers && other.len > Int(other.prefix.length)
                ? "its halves of \(other.prefix), announced while the group is failed over onto it"
                : "\(other.prefix), which it announces"
            warning(pr.source!.at, "probe source \(s) of path '\(p.name.value)': Azure would send the replies over path '\(q.name.value)' (\(how)), so this probe could not see '\(p.name.value)' recover; use a source that only '\(p.name.value)' announces, as a longer prefix (\(s)/\(s.isV4 ? 32 : 128))")
            return
        }
    }
}
