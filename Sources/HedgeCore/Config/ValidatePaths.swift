/// The `path` blocks: each path's own statements, and the blocks inside it by their own validators
/// (probe, bfd, bgp, watch-routes, ipsec).
extension Validator {
    /// Validates the paths; returns name → index in `d.paths` of the first path of each name.
    mutating func validatePaths(_ d: DraftConfig, into config: inout HedgeConfig) -> HashMap<String, Int> {
        var index = HashMap<String, Int>()
        var ipsecOwners = IPsecOwners()
        for (i, p) in d.paths.enumerated() {
            if let first = index[p.name.value] {
                error(p.name.at, "duplicate path '\(p.name.value)' (first defined at line \(d.paths[first].name.at.line))")
                continue
            }
            index[p.name.value] = i
            var ok = true
            if p.priority == nil && !p.seen.contains("priority") {
                error(p.name.at, "path '\(p.name.value)' has no 'priority' (lower is preferred)"); ok = false
            }
            if !range(p.priority, 0, 65535, "priority must be 0–65535") { ok = false }
            if let dev = p.device {
                if !Values.isInterfaceName(dev.value) {
                    error(dev.at, "invalid device name '\(dev.value)' (1–15 characters, no '/', ':' or spaces)"); ok = false
                }
            } else if !p.seen.contains("device") {
                error(p.name.at, "path '\(p.name.value)' has no 'device'"); ok = false
            }
            if let g = p.gateway, !isUnicast(g.value) {
                error(g.at, "gateway must be a unicast address, not \(g.value)"); ok = false
            }
            if let g6 = p.gateway6 {
                if g6.value.isV4 {
                    error(g6.at, "gateway6 must be an IPv6 address (use 'gateway' for IPv4)"); ok = false
                } else if let g = p.gateway, !g.value.isV4 {
                    error(g6.at, "'gateway6' given but 'gateway' is already IPv6; use 'gateway' for the IPv4 next hop"); ok = false
                } else if !isUnicast(g6.value) {
                    error(g6.at, "gateway6 must be a unicast address, not \(g6.value)"); ok = false
                }
            }
            var seenAnnounce: HashSet<IPPrefix> = []
            var announce: [IPPrefix] = []
            for a in p.announce {
                if seenAnnounce.insert(a.value).inserted {
                    announce.append(a.value)
                } else {
                    warning(a.at, "duplicate announce \(a.value) in path '\(p.name.value)'")
                }
            }
            var probe: ProbeConfig? = nil
            if let pr = p.probe {
                probe = validateProbe(pr, path: p)
                if probe == nil { ok = false }
            }
            var bfd: BFDConfig? = nil
            if let b = p.bfd {
                bfd = validateBFD(b, path: p)
                if bfd == nil { ok = false }
            }
            var bgp: BGPConfig? = nil
            if let b = p.bgp {
                bgp = validateBGP(b, path: p, localAS: d.localAS, routerID: d.routerID, bfd: bfd)
                if bgp == nil { ok = false }
            }
            var bmpNeighbor: BMPNeighborConfig? = nil
            if let n = p.bmpNeighbor {
                if !isUnicast(n.value) { error(n.at, "BMP neighbor must be a unicast address, not \(n.value)"); ok = false }
                if !range(p.bmpPeerAS, 1, UInt64(UInt32.max), "as must be 1–4294967295") { ok = false }
                bmpNeighbor = BMPNeighborConfig(neighbor: n.value, peerAS: p.bmpPeerAS.map { UInt32($0.value) }, location: n.at)
            }
            var watch: RouteWatchConfig? = nil
            if let w = p.watch {
                watch = validateWatch(w, path: p)
                if watch == nil { ok = false }
            }
            var ipsec: IPsecConfig? = nil
            if let x = p.ipsec {
                ipsec = validateIPsec(x, path: p, owners: &ipsecOwners)
                if ipsec == nil { ok = false }
            }
            // An XFRM interface has no carrier of its own: the kernel keeps it LOWER_UP (operstate
            // UNKNOWN) whether or not any SA exists and whether or not the peer is alive, so the
            // signal would only ever say "up". A tunnel path's carrier is off unless the file asks.
            let carrier = p.seen.contains("carrier") ? p.carrier : p.ipsec == nil
            guard ok, let prio = p.priority, let dev = p.device else { continue }
            config.paths.append(PathConfig(name: p.name.value, priority: Int(prio.value), device: dev.value,
                                           gateway: p.gateway?.value, gateway6: p.gateway6?.value,
                                           carrier: carrier, announce: announce, probe: probe, bfd: bfd, bgp: bgp,
                                           ipsec: ipsec, location: p.at))
            config.paths[config.paths.count - 1].bmpNeighbor = bmpNeighbor
            config.paths[config.paths.count - 1].watchRoutes = watch
        }
        return index
    }
}
