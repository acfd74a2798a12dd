/// The meaning layer: `DraftConfig` → `HedgeConfig`. Ranges, required statements, references between
/// blocks, and what the Azure side imposes (reserved ASNs, GatewaySubnet size, the private-peering
/// prefix limit, ExpressRoute being preferred only for prefixes at least as long as the VPN's).
/// Every rule reports and carries on, so that one run shows every problem.

struct Validator {
    let file: String
    var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    // @inline(never), as Builder's: the optimiser copied the message building into every caller.
    @inline(never) mutating func error(_ at: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.error, file, at, message))
    }
    @inline(never) mutating func warning(_ at: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.warning, file, at, message))
    }

    /// An error unless `lo <= v.value <= hi`.
    @inline(never) mutating func range(_ v: Located<UInt64>?, _ lo: UInt64, _ hi: UInt64, _ message: String) -> Bool {
        guard let v else { return true }
        if v.value < lo || v.value > hi { error(v.at, message); return false }
        return true
    }

    @inline(never) mutating func range(_ v: Located<Millis>?, _ lo: Millis, _ hi: Millis, _ message: String) -> Bool {
        guard let v else { return true }
        if v.value < lo || v.value > hi { error(v.at, message); return false }
        return true
    }

    static let defaultNexthopBase: UInt64 = 4800
    static let maxNexthopID: UInt64 = UInt64(UInt32.max) - 1
    static let damperMax: UInt64 = 1_000_000

    // MARK: -

    mutating func validate(_ d: DraftConfig) -> HedgeConfig {
        var config = HedgeConfig()
        validateIdentity(d, into: &config)
        validateAzure(d, into: &config)
        let pathIndex = validatePaths(d, into: &config)
        validateGroups(d, pathIndex: pathIndex, into: &config)
        validateAnnouncements(d, limit: config.azure?.privatePeeringLimit ?? 4000)
        validateKernel(d, into: &config)
        validateControl(d, into: &config)
        validateReporting(d, into: &config)
        validateBMP(d, into: &config)
        let start = SourceLocation(line: 1, column: 1)
        if d.paths.isEmpty { error(start, "no 'path' defined: at least one path is required") }
        if d.groups.isEmpty { error(start, "no 'group' defined: at least one failover group is required") }
        return config
    }

    mutating func validateBMP(_ d: DraftConfig, into config: inout HedgeConfig) {
        let users = d.paths.filter { $0.bmpNeighbor != nil }
        guard let b = d.bmp else { return }
        if users.isEmpty { warning(b.at, "a 'bmp' station but no path has 'bmp-neighbor': nothing would use its feeds") }
        var s = BMPSettings()
        s.listen = b.listen?.value
        if range(b.port, 1, 65535, "port must be 1–65535"), let p = b.port { s.port = UInt16(p.value) }
        if range(b.grace, 100, 600_000, "grace must be 100ms–10m"), let g = b.grace { s.graceMs = g.value }
        s.allow = b.allow.map { $0.value }
        config.bmp = s
    }

    // MARK: - router-id, local-as

    mutating func validateIdentity(_ d: DraftConfig, into config: inout HedgeConfig) {
        if let r = d.routerID {
            if !r.value.isV4 {
                error(r.at, "router-id must be an IPv4 address (a 32-bit BGP identifier), not \(r.value)")
            } else if r.value.isUnspecified {
                error(r.at, "router-id must not be 0.0.0.0")
            } else {
                config.routerID = r.value
            }
        }
        if let a = d.localAS {
            let asn = a.value
            switch asn {
            case 0:
                error(a.at, "local-as 0 is reserved (RFC 7607) and cannot be used")
            case 23456:
                error(a.at, "local-as 23456 is AS_TRANS (RFC 6793), a placeholder for 4-byte ASNs, not a real ASN")
            case 12076:
                error(a.at, "local-as 12076 is Microsoft's ASN (the ExpressRoute edge peers from it); use your own ASN")
            case 65515...65520:
                error(a.at, "local-as \(asn) is reserved by Azure (65515–65520; 65515 is the VPN gateway's ASN)")
            case let x where x > UInt64(UInt32.max):
                error(a.at, "local-as must be 1–4294967295")
            default:
                config.localAS = UInt32(asn)
            }
        }
    }

    // MARK: - azure

    mutating func validateAzure(_ d: DraftConfig, into config: inout HedgeConfig) {
        guard let az = d.azure else { return }
        var settings = AzureSettings(location: az.at)
        settings.vnet = az.vnet.map { $0.value }
        if let gs = az.gatewaySubnet {
            if !gs.value.isV4 {
                error(gs.at, "gateway-subnet must be an IPv4 prefix")
            } else if gs.value.length > 27 {
                error(gs.at, "GatewaySubnet must be /27 or larger for ExpressRoute/VPN coexistence (got /\(gs.value.length))")
            } else if !az.vnet.isEmpty && !az.vnet.contains(where: { $0.value.contains(gs.value) }) {
                error(gs.at, "gateway-subnet \(gs.value) is not inside any vnet")
            }
            settings.gatewaySubnet = gs.value
        }
        var seen: HashSet<IPPrefix> = []
        for v in az.vnet where !seen.insert(v.value).inserted {
            warning(v.at, "duplicate vnet \(v.value)")
        }
        if let l = az.privatePeeringLimit {
            if range(l, 1, 10_000, "private-peering-limit must be 1–10000 (4000; 10000 with ExpressRoute Premium)") {
                settings.privatePeeringLimit = Int(l.value)
            }
        }
        config.azure = settings
    }

    // MARK: - paths

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

    func isUnicast(_ a: IPAddress) -> Bool {
        !a.isUnspecified && !a.isMulticast && a != .v4(0xFFFF_FFFF)
    }

    /// The address families a path can carry: both when it is device-only (a tunnel).
    func families(_ p: DraftPath) -> (v4: Bool, v6: Bool) {
        if p.gateway == nil && p.gateway6 == nil { return (true, true) }
        let v4 = p.gateway?.value.isV4 == true
        let v6 = p.gateway?.value.isV4 == false || p.gateway6 != nil
        return (v4, v6)
    }

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

    /// eBGP toward the path's neighbour: the MSEE at AS 12076 on ExpressRoute private peering.
    mutating func validateBGP(_ b: DraftBGP, path p: DraftPath, localAS: Located<UInt64>?, routerID: Located<IPAddress>?,
                              bfd: BFDConfig?) -> BGPConfig? {
        guard let n = b.neighbor else { return nil }
        var ok = true
        if !isUnicast(n.value) { error(n.at, "BGP neighbor must be a unicast address, not \(n.value)"); ok = false }
        if localAS == nil { error(b.at, "a 'bgp' session needs 'local-as NUMBER;' at top level"); ok = false }
        if routerID == nil { error(b.at, "a 'bgp' session needs 'router-id IPV4;' at top level (the BGP identifier)"); ok = false }
        guard let ras = b.remoteAS else {
            error(b.at, "'bgp \(n.value)' needs 'remote-as NUMBER;' (12076 for the ExpressRoute edge)")
            return nil
        }
        if ras.value == 0 || ras.value == 23456 || ras.value > UInt64(UInt32.max) {
            error(ras.at, "remote-as must be 1–4294967295 and not 23456 (AS_TRANS)"); ok = false
        } else if ras.value == 12076 && p.ipsec != nil {
            error(ras.at, "remote-as 12076 is the ExpressRoute edge (MSEE), reached over the circuit, not through this path's IPsec tunnel (Azure's VPN gateway is AS 65515)"); ok = false
        } else if ras.value == 65515 && p.ipsec == nil {
            warning(ras.at, "remote-as 65515 is Azure's VPN gateway: its BGP session runs through the IPsec tunnel, on a path with an 'ipsec' block")
        } else if ras.value != 12076 && ras.value != 65515 {
            warning(ras.at, "remote-as \(ras.value): the ExpressRoute edge peers from AS 12076 (private peering), Azure's VPN gateway from 65515")
        }
        if let h = b.holdTime, h.value != 0 && (h.value < 3 || h.value > 65535) {
            error(h.at, "hold-time must be 0 or 3–65535 seconds (RFC 4271 §4.2)"); ok = false
        }
        if !range(b.connectRetry, 100, 3_600_000, "connect-retry must be 100ms–1h") { ok = false }
        if !range(b.maxPrefix, 1, 10_000_000, "max-prefix must be 1–10000000") { ok = false }
        if !range(b.prepend, 0, 16, "prepend must be 0–16") { ok = false }
        if ras.value == 65515 && b.source == nil {
            warning(b.at, "Azure's VPN gateway peers only with the BGP address its local network gateway names: set 'source ADDRESS;' to it (an APIPA address on the tunnel)")
        }
        if let s = b.source, s.value.isV4 != n.value.isV4 {
            error(s.at, "BGP source \(s.value) and neighbor \(n.value) are of different address families"); ok = false
        }
        if let k = b.md5KeyFile, k.value.isEmpty { error(k.at, "md5-key-file needs a path"); ok = false }
        if let f = bfd, f.neighbor != n.value {
            warning(n.at, "BFD neighbor \(f.neighbor) differs from BGP neighbor \(n.value): BFD Down resets this BGP session anyway (RFC 5882)")
        }
        guard ok else { return nil }
        return BGPConfig(neighbor: n.value, remoteAS: UInt32(ras.value), holdTime: UInt16(b.holdTime?.value ?? 90),
                         connectRetryMs: b.connectRetry?.value ?? 5_000, passive: b.passive, gtsm: b.gtsm,
                         md5KeyFile: b.md5KeyFile?.value, maxPrefix: b.maxPrefix.map { Int($0.value) },
                         prepend: Int(b.prepend?.value ?? 0), source: b.source?.value,
                         returnSteering: b.returnSteering, location: b.at)
    }

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

    mutating func validateProbe(_ pr: DraftProbe, path p: DraftPath) -> ProbeConfig? {
        var ok = true
        let defaults = ProbeConfig(kind: pr.kind, target: pr.target.value, location: pr.at)
        if !isUnicast(pr.target.value) {
            error(pr.target.at, "probe target must be a unicast address, not \(pr.target.value)"); ok = false
        }
        let fam = families(p)
        if pr.target.value.isV4 ? !fam.v4 : !fam.v6 {
            let which = pr.target.value.isV4 ? "IPv4" : "IPv6"
            let fix = pr.target.value.isV4 ? "an IPv4 'gateway'" : "'gateway6'"
            error(pr.target.at, "probe target is \(which) but path '\(p.name.value)' has no \(which) gateway; add \(fix)")
            ok = false
        }
        if let s = pr.source, s.value.isV4 != pr.target.value.isV4 {
            error(s.at, "probe source \(s.value) and target \(pr.target.value) are of different address families"); ok = false
        }
        if let port = pr.port {
            if pr.kind == .icmp {
                error(port.at, "'port' applies to udp and reflect probes only"); ok = false
            } else if !range(port, 1, 65535, "port must be 1–65535") { ok = false }
        }
        if pr.kind == .reflect && pr.keyFile == nil {
            error(pr.at, "a reflect probe needs 'key-file \"PATH\";' (the key shared with 'hedge reflect')"); ok = false
        }
        if let k = pr.keyFile, pr.kind != .reflect {
            error(k.at, "'key-file' applies to reflect probes only"); ok = false
        }
        if !range(pr.interval, 1, 60_000, "probe interval must be 1ms–60s") { ok = false }
        if !range(pr.threshold, 1, 255, "threshold must be 1–255") { ok = false }
        if !range(pr.recover, 1, 255, "recover must be 1–255") { ok = false }
        guard ok else { return nil }
        let interval = pr.interval?.value ?? defaults.intervalMs
        let threshold = Int(pr.threshold?.value ?? UInt64(defaults.threshold))
        let detection = interval * Millis(threshold)
        if detection < 3 {
            error(pr.interval?.at ?? pr.threshold?.at ?? pr.at,
                  "probe detection time \(detection)ms (threshold \(threshold) × interval \(interval)ms) is under 3ms; too fast to be meaningful")
            return nil
        }
        let port = pr.port.map { UInt16($0.value) } ?? (pr.kind == .reflect ? ProbeConfig.reflectPort : 7)
        return ProbeConfig(kind: pr.kind, target: pr.target.value, port: port, keyFile: pr.keyFile?.value,
                           source: pr.source?.value, intervalMs: interval, threshold: threshold,
                           recover: Int(pr.recover?.value ?? UInt64(defaults.recover)), location: pr.at)
    }

    /// A group's `measure reflect`: a reflect probe with a LAN source; it reports, so the path
    /// probe's detection settings have no meaning here.
    mutating func validateMeasure(_ m: DraftProbe, group: String, members: [DraftPath]) -> ProbeConfig? {
        var ok = true
        if m.kind != .reflect {
            error(m.at, "'measure' takes reflect only (usage: measure reflect ADDRESS { source ADDRESS; key-file \"PATH\"; }): telling forward from return loss needs the reflector's count")
            ok = false
        }
        if !isUnicast(m.target.value) {
            error(m.target.at, "measure target must be a unicast address, not \(m.target.value)"); ok = false
        }
        if let t = m.threshold ?? m.recover {
            error(t.at, "'threshold' and 'recover' apply to a path's probe; a group's measure decides nothing"); ok = false
        }
        if m.keyFile == nil {
            error(m.at, "a measure needs 'key-file \"PATH\";' (the key shared with 'hedge reflect')"); ok = false
        }
        if let port = m.port, !range(port, 1, 65535, "port must be 1–65535") { ok = false }
        if !range(m.interval, 1, 60_000, "measure interval must be 1ms–60s") { ok = false }
        guard let source = m.source else {
            error(m.at, "a measure needs 'source ADDRESS;': an on-prem LAN address of this router, so that Azure routes its replies as it routes the LAN's traffic")
            return nil
        }
        if source.value.isV4 != m.target.value.isV4 {
            error(source.at, "measure source \(source.value) and target \(m.target.value) are of different address families"); ok = false
        }
        guard ok else { return nil }
        let announced = members.flatMap { $0.announce.map { $0.value } }
        if !announced.isEmpty && !announced.contains(where: { $0.contains(source.value) }) {
            warning(source.at, "measure source \(source.value) is in no prefix the paths of group '\(group)' announce; Azure may not route its replies back to it")
        }
        return ProbeConfig(kind: .reflect, target: m.target.value, port: m.port.map { UInt16($0.value) } ?? ProbeConfig.reflectPort,
                           keyFile: m.keyFile?.value, source: source.value, intervalMs: m.interval?.value ?? 10,
                           threshold: 1, recover: 1, location: m.at)
    }

    // MARK: - groups

    mutating func validateGroups(_ d: DraftConfig, pathIndex: HashMap<String, Int>, into config: inout HedgeConfig) {
        var names = HashMap<String, Int>()
        var nexthopOwner = HashMap<UInt64, String>()
        var prefixOwner = HashMap<IPPrefix, String>()
        var usedPaths: HashSet<String> = []
        var learnerGroup = HashMap<String, String>()
        let pathNames = d.paths.map { $0.name.value }

        for (gi, g) in d.groups.enumerated() {
            var ok = true
            let gname = g.name.value
            if let first = names[gname] {
                error(g.name.at, "duplicate group '\(gname)' (first defined at line \(d.groups[first].name.at.line))")
                continue
            }
            names[gname] = gi
            if g.paths.isEmpty {
                if !g.seen.contains("paths") {
                    error(g.name.at, "group '\(gname)' has no paths (add 'paths NAME...;')")
                }
                ok = false
            }

            // Prefixes: duplicates inside the group, and the same prefix in two groups.
            var prefixes: [IPPrefix] = []
            var hasV4 = false, hasV6 = false
            for p in g.prefixes {
                if let owner = prefixOwner[p.value] {
                    if owner == gname {
                        warning(p.at, "duplicate prefix \(p.value) in group '\(gname)'")
                    } else {
                        error(p.at, "prefix \(p.value) is already in group '\(owner)' (a prefix can follow only one group)")
                        ok = false
                    }
                    continue
                }
                prefixOwner[p.value] = gname
                prefixes.append(p.value)
                if p.value.isV4 { hasV4 = true } else { hasV6 = true }
            }

            // Member paths: known, listed once, distinct priorities, able to carry the prefixes.
            var members: [String] = []
            var byPriority = HashMap<UInt64, String>()
            for ref in g.paths {
                guard let pi = pathIndex[ref.value] else {
                    error(ref.at, "group '\(gname)' names unknown path '\(ref.value)'\(Suggest.hint(ref.value, in: pathNames))")
                    ok = false
                    continue
                }
                if members.contains(ref.value) {
                    error(ref.at, "path '\(ref.value)' is listed twice in group '\(gname)'"); ok = false
                    continue
                }
                members.append(ref.value)
                usedPaths.insert(ref.value)
                let p = d.paths[pi]
                if let prio = p.priority?.value {
                    if let other = byPriority[prio] {
                        error(ref.at, "paths '\(other)' and '\(ref.value)' in group '\(gname)' have the same priority \(prio); the failover order would be ambiguous")
                        ok = false
                    } else {
                        byPriority[prio] = ref.value
                    }
                }
                let fam = families(p)
                if hasV6 && !fam.v6 {
                    error(ref.at, "group '\(gname)' has IPv6 prefixes but path '\(ref.value)' has only an IPv4 gateway; add 'gateway6'")
                    ok = false
                }
                if hasV6 && p.ipsec != nil {
                    error(g.name.at, "group '\(gname)' has IPv6 prefixes, but its path '\(ref.value)' is an IPsec tunnel that carries IPv4 only (its policies select 0.0.0.0/0, as Azure's VPN gateway negotiates): its IPv6 traffic would be dropped at the failover; put the IPv6 prefixes in a group without the tunnel")
                    ok = false
                }
                if hasV4 && !fam.v4 {
                    error(ref.at, "group '\(gname)' has IPv4 prefixes but path '\(ref.value)' has only an IPv6 gateway; add an IPv4 'gateway'")
                    ok = false
                }
            }
            // A member with its own BGP session brings the prefixes it learns (the Azure VNet's).
            let learners = members.filter { name in d.paths.first { $0.name.value == name }?.bgp != nil }
            if g.prefixes.isEmpty && !g.seen.contains("prefix") && learners.isEmpty {
                error(g.name.at, "group '\(gname)' has no prefixes (add 'prefix PREFIX;', or a member path with a 'bgp' session to learn them)"); ok = false
            }
            // A tunnel whose remote end the group routes would route into itself unless hedge pins
            // the remote on the underlay, which takes the underlay's next hop.
            for q in d.paths {
                guard let x = q.ipsec, let r = x.remote?.value else { continue }
                let m = q.name.value
                let pinnable = x.underlay != nil && x.underlayGateway != nil
                if let cover = prefixes.first(where: { $0.contains(r) }), !pinnable {
                    error(g.name.at, "group '\(gname)' routes \(cover), which covers the tunnel's remote end \(r): path '\(m)' needs 'underlay INTERFACE via GATEWAY;' in its ipsec block, so that hedge keeps IKE and ESP to \(r) off the tunnel")
                    ok = false
                } else if !learners.isEmpty && !pinnable {
                    warning(g.name.at, "group '\(gname)' takes what BGP learns: should Azure announce a route covering \(r) (the default route), hedge would hold it back, since nothing pins path '\(m)''s tunnel on its underlay; add 'underlay INTERFACE via GATEWAY;' to its ipsec block")
                }
            }
            for l in learners {
                if let other = learnerGroup[l] {
                    warning(g.name.at, "path '\(l)' is also in group '\(other)': the prefixes its BGP session learns join only '\(other)'")
                } else {
                    learnerGroup[l] = gname
                }
            }
            if members.count == 1 && ok {
                warning(g.name.at, "group '\(gname)' has only one path; there is nothing to fail over to")
            }

            if !range(g.holdDown, 0, 3_600_000, "hold-down must be 0s–1h") { ok = false }

            // Nexthop ids: the group's id for IPv4 and id + 1 for IPv6.
            let explicit = g.nexthopID
            let id = explicit?.value ?? (Self.defaultNexthopBase + 2 * UInt64(gi))
            if !range(explicit, 1, Self.maxNexthopID, "nexthop-id must be 1–\(Self.maxNexthopID)") {
                ok = false
            } else {
                let at = explicit?.at ?? g.name.at
                let how = explicit == nil ? " (the default, 4800 + 2 × group index)" : ""
                if let other = nexthopOwner[id] ?? nexthopOwner[id + 1] {
                    error(at, "nexthop-id \(id) of group '\(gname)'\(how) collides with group '\(other)' (each group uses its id for IPv4 and id + 1 for IPv6)")
                    ok = false
                } else {
                    nexthopOwner[id] = gname
                    nexthopOwner[id + 1] = gname
                }
            }

            var damping: DampingConfig? = nil
            if let dd = g.damping {
                damping = validateDamping(dd)
                if damping == nil { ok = false }
            }
            var measure: ProbeConfig? = nil
            if let m = g.measure {
                measure = validateMeasure(m, group: gname, members: members.compactMap { pathIndex[$0].map { d.paths[$0] } })
                if measure == nil { ok = false }
            }
            guard ok else { continue }
            config.groups.append(GroupConfig(name: gname, prefixes: prefixes, paths: members,
                                             holdDownMs: g.holdDown?.value ?? 30_000, damping: damping,
                                             nexthopID: UInt32(id), measure: measure, location: g.at))
        }
        var seen: HashSet<String> = []
        for p in d.paths where !usedPaths.contains(p.name.value) && seen.insert(p.name.value).inserted {
            if !d.groups.isEmpty {
                warning(p.name.at, "path '\(p.name.value)' is not used by any group")
            }
        }
    }

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

    // MARK: - announcements toward Azure

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
            for m in members where m != primary {
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

    // MARK: - kernel, control

    static let knownProtocols: HashMap<UInt64, String> = [
        8: "gated", 9: "ra", 10: "mrt", 11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk",
        16: "dhcp", 17: "mrouted", 18: "keepalived", 42: "babel", 99: "openr", 186: "bgp", 187: "isis",
        188: "ospf", 189: "rip", 192: "eigrp",
    ]

    mutating func validateKernel(_ d: DraftConfig, into config: inout HedgeConfig) {
        let k = d.kernel
        var out = KernelConfig()
        if let p = k.routeProtocol {
            if p.value <= 4 {
                error(p.at, "protocol \(p.value) is reserved by the kernel (0 unspec, 1 redirect, 2 kernel, 3 boot, 4 static); pick a value of hedge's own")
            } else if p.value > 255 {
                error(p.at, "protocol must be 5–255 (rtm_protocol is one byte)")
            } else {
                if let owner = Self.knownProtocols[p.value] {
                    warning(p.at, "protocol \(p.value) is '\(owner)' in /etc/iproute2/rt_protos; hedge would take that daemon's routes for its own")
                }
                out.routeProtocol = UInt8(p.value)
            }
        }
        if let t = k.table {
            if t.value == 0 || t.value > UInt64(UInt32.max) {
                error(t.at, "table must be 1–4294967295")
            } else if t.value == 255 {
                error(t.at, "table 255 is the kernel's local table")
            } else {
                out.table = UInt32(t.value)
            }
        }
        if range(k.metric, 0, UInt64(UInt32.max), "metric must be 0–4294967295"), let m = k.metric {
            out.metric = UInt32(m.value)
        }
        if let w = k.withdrawOnExit { out.withdrawOnExit = w }
        if let n = k.nexthopObjects { out.nexthopObjects = n }
        if range(k.netlinkReceiveBuffer, 4096, UInt64(Int32.max), "netlink-receive-buffer must be 4096–2147483647 bytes"),
           let b = k.netlinkReceiveBuffer {
            out.netlinkReceiveBuffer = Int(b.value)
        }
        if let base = k.probeTableBase {
            let n = UInt64(max(d.paths.count, 1))
            let last = base.value + n - 1
            if base.value == 0 || last > UInt64(UInt32.max) {
                error(base.at, "probe-table-base must be 1–\(UInt64(UInt32.max) - n + 1)")
            } else if (base.value...last).contains(UInt64(out.table)) || (base.value <= 255 && last >= 253) {
                error(base.at, "probe tables \(base.value)–\(last) (one per path) overlap table \(out.table) or the kernel's tables 253–255")
            } else {
                out.probeTableBase = UInt32(base.value)
            }
        }
        config.kernel = out
    }

    mutating func validateControl(_ d: DraftConfig, into config: inout HedgeConfig) {
        guard let s = d.control.socket else { return }
        let bytes = s.value.utf8.count
        if s.value.utf8.first != 47 {    // '/'
            error(s.at, "control socket must be an absolute path")
        } else if bytes > 107 {
            error(s.at, "control socket path is \(bytes) bytes; a unix socket path holds at most 107")
        } else {
            config.control = ControlConfig(socketPath: s.value)
        }
    }
}
