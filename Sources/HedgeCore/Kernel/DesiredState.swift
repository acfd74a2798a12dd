/// What the kernel should hold, given the config, each group's active path and the devices present.

public struct ProbePinning: Sendable {
    /// Routing table and fwmark that pin path `index`'s probes to that path.
    public static func table(base: UInt32, path index: Int) -> UInt32 { base + UInt32(index) }
    public static func rulePriority(path index: Int) -> UInt32 { 1000 + UInt32(index) }
}

/// `members`: each group's in-use set (lead first) where the group has ties (`GroupConfig.ecmp`);
/// missing or empty, the group's active path alone.
public func desiredKernelState(config: HedgeConfig, active: [Int?], members: [[Int]] = [], ifindex: (String) -> Int32?,
                               nexthopObjects: Bool, actual: KernelState) -> KernelState {
    var s = KernelState()
    let k = config.kernel
    // The tunnels' underlay pins go in first: a route that covers a tunnel's remote end waits
    // until its pin is in the kernel (kept as it is if it is there already), so the tunnel's own
    // IKE and ESP never follow it, not even for the length of a batch.
    let pins = underlayPins(config, ifindex: ifindex)
    for p in pins { if let r = p.route { s.insert(r) } }
    func held(_ prefix: IPPrefix) -> Bool {
        pins.contains { prefix.contains($0.remote) && ($0.route == nil || actual.routes[$0.route!.key] != $0.route) }
    }
    for (gi, g) in config.groups.enumerated() {
        let v6ID = g.nexthopID + 1
        let set = nexthopObjects && g.ecmp ? groupMembers(config, g, active: active[gi], members: gi < members.count ? members[gi] : [],
                                                          ifindex: ifindex) : []
        guard let pi = active[gi], let dev = ifindex(config.paths[pi].device), !(nexthopObjects && g.ecmp && set.isEmpty) else {
            // Nothing to point at (no path chosen yet, or its device is gone): leave what is there.
            for (id, n) in actual.nexthops where id == g.nexthopID || id == v6ID || g.ownsNexthop(id) { s.insert(n) }
            let mine = HashSet(g.prefixes)
            for (key, r) in actual.routes where key.table == k.table && mine.contains(key.prefix) { s.insert(r) }
            continue
        }
        let p = config.paths[pi]
        for prefix in g.prefixes {
            if held(prefix) {
                if let r = actual.routes[RouteKey(prefix: prefix, table: k.table, metric: kernelMetric(k.metric, family: prefix.family))] {
                    s.insert(r)
                }
                continue
            }
            let target: RouteTarget
            if nexthopObjects && g.ecmp {
                if s.nexthops[prefix.family == .v4 ? g.nexthopID : v6ID] == nil {
                    for n in ecmpNexthops(config, g, family: prefix.family, set) { s.insert(n) }
                }
                target = .nexthop(prefix.family == .v4 ? g.nexthopID : v6ID)
            } else if nexthopObjects {
                let n = groupNexthop(g, family: prefix.family, path: p, ifindex: dev)
                s.insert(n)
                target = .nexthop(n.id)
            } else {
                target = .via(gateway: gateway(p, family: prefix.family), ifindex: dev)
            }
            s.insert(RouteSpec(prefix: prefix, table: k.table, metric: kernelMetric(k.metric, family: prefix.family), target: target,
                               protocolID: k.routeProtocol))
        }
    }
    for (pi, p) in config.paths.enumerated() {
        guard let probe = p.probe else { continue }
        let table = ProbePinning.table(base: k.probeTableBase, path: pi)
        let fam = probe.target.family
        s.insert(RuleSpec(family: fam, fwmark: table, table: table, priority: ProbePinning.rulePriority(path: pi)))
        guard let dev = ifindex(p.device) else { continue }
        let host = IPPrefix(address: probe.target, length: fam == .v4 ? 32 : 128)!
        let gw = gateway(p, family: fam)
        s.insert(RouteSpec(prefix: host, table: table, metric: kernelMetric(0, family: fam), target: .via(gateway: gw, ifindex: dev),
                           protocolID: k.routeProtocol))
    }
    for p in config.paths {
        guard let host = tunnelledNeighbor(p), let dev = ifindex(p.device) else { continue }
        let fam = host.family
        let gw = gateway(p, family: fam)
        s.insert(RouteSpec(prefix: host, table: k.table, metric: kernelMetric(k.metric, family: fam),
                           target: .via(gateway: gw, ifindex: dev), protocolID: k.routeProtocol))
    }
    return s
}

/// A path's gateway for one family: `gateway` when it is of that family; for IPv6 `gateway6` first.
@inline(never) func gateway(_ p: PathConfig, family: AddressFamily) -> IPAddress? {
    if family == .v4 { return p.gateway.flatMap { $0.isV4 ? $0 : nil } }
    return p.gateway6 ?? p.gateway.flatMap { $0.isV4 ? nil : $0 }
}

/// The host route that keeps a tunnel's own packets (IKE, ESP) on its underlay: needed when a group
/// carries a prefix that covers the tunnel's remote end (the default route), or the tunnel's packets
/// would follow it (into the tunnel itself, or out of ExpressRoute). Host route, gateway, underlay
/// device; nil when no group covers the remote or the path has no underlay gateway (`hedge check`
/// refuses a configured covering prefix then, and one learned is held back).
public func underlayPin(_ config: HedgeConfig, path pi: Int) -> (IPPrefix, IPAddress, String)? {
    let p = config.paths[pi]
    guard let x = p.ipsec, let dev = x.underlay, let gw = x.underlayGateway, tunnelCovered(config, path: pi) else { return nil }
    return (IPPrefix(address: x.remote, length: x.remote.isV4 ? 32 : 128)!, gw, dev)
}

/// Whether any group routes ipsec path `pi`'s remote end (whichever paths it uses, it would pull the
/// tunnel's own packets off the underlay).
public func tunnelCovered(_ config: HedgeConfig, path pi: Int) -> Bool {
    guard let x = config.paths[pi].ipsec else { return false }
    return config.groups.contains { g in g.prefixes.contains { $0.contains(x.remote) } }
}

/// Each covered tunnel's remote end and the pin that protects it; nil where it cannot be made (no
/// underlay gateway, or the underlay device is not there): then what covers the remote waits.
public func underlayPins(_ config: HedgeConfig, ifindex: (String) -> Int32?) -> [(remote: IPAddress, route: RouteSpec?)] {
    var out: [(remote: IPAddress, route: RouteSpec?)] = []
    let k = config.kernel
    for (pi, p) in config.paths.enumerated() {
        guard let x = p.ipsec, tunnelCovered(config, path: pi) else { continue }
        var route: RouteSpec?
        if let (host, gw, device) = underlayPin(config, path: pi), let dev = ifindex(device) {
            route = RouteSpec(prefix: host, table: k.table, metric: kernelMetric(k.metric, family: host.family),
                              target: .via(gateway: gw, ifindex: dev), protocolID: k.routeProtocol)
        }
        out.append((x.remote, route))
    }
    return out
}

/// A route that covers a tunnel's remote end is waiting for its pin: the agent reconciles again once
/// the batch that put the pin in has been taken.
public func underlayPinsPending(config: HedgeConfig, ifindex: (String) -> Int32?, actual: KernelState) -> Bool {
    underlayPins(config, ifindex: ifindex).contains { $0.route != nil && actual.routes[$0.route!.key] != $0.route }
}

/// The address hedge puts on the tunnel device of an `ipsec` path when no device has it: the source
/// of the path's BGP session when it is link-local (Azure's APIPA scheme, 169.254.21.0–169.254.22.255).
/// Nothing else on the router would configure it on an interface hedge creates; a LAN address used
/// as the source stays where the operator put it.
public func tunnelSourceAddress(_ p: PathConfig) -> IPAddress? {
    guard p.ipsec != nil, let s = p.bgp?.source else { return nil }
    let b = s.bytes
    let linkLocal = s.isV4 ? b[0] == 169 && b[1] == 254 : b[0] == 0xfe && b[1] & 0xc0 == 0x80
    return linkLocal ? s : nil
}

/// The host route that keeps a path's BGP session on that path: the session with Azure's VPN gateway
/// (AS 65515), or any session on a path with `ipsec`, must run through the tunnel whatever the groups'
/// routes say. The gateway's address may lie inside the VNet prefixes that follow ExpressRoute (its
/// default BGP address is in the GatewaySubnet), and an APIPA address has no route at all otherwise.
func tunnelledNeighbor(_ p: PathConfig) -> IPPrefix? {
    guard let b = p.bgp, p.ipsec != nil || b.remoteAS == 65515 else { return nil }
    return IPPrefix(address: b.neighbor, length: b.neighbor.isV4 ? 32 : 128)
}

/// A group's nexthop object for one family, pointing at path `p` (through device `ifindex`).
func groupNexthop(_ g: GroupConfig, family: AddressFamily, path p: PathConfig, ifindex: Int32) -> NexthopSpec {
    let v4 = family == .v4
    let gw = gateway(p, family: family)
    return NexthopSpec(id: v4 ? g.nexthopID : g.nexthopID + 1, family: family, gateway: gw, ifindex: ifindex)
}

/// The in-use members of a group with ties whose devices are there, with the slot (index in the
/// group's `paths`) that numbers their own objects.
func groupMembers(_ config: HedgeConfig, _ g: GroupConfig, active: Int?, members: [Int],
                  ifindex: (String) -> Int32?) -> [(slot: Int, path: Int, ifindex: Int32)] {
    var out: [(slot: Int, path: Int, ifindex: Int32)] = []
    for pi in members.isEmpty ? (active.map { [$0] } ?? []) : members {
        let p = config.paths[pi]
        guard let slot = g.paths.firstIndex(of: p.name), let dev = ifindex(p.device) else { continue }
        out.append((slot, pi, dev))
    }
    return out
}

/// A group with ties, one family: each member's own object, then the nexthop group over them
/// (always a group, even of one: the kernel would not turn it into a plain nexthop in place).
func ecmpNexthops(_ config: HedgeConfig, _ g: GroupConfig, family: AddressFamily,
                  _ set: [(slot: Int, path: Int, ifindex: Int32)]) -> [NexthopSpec] {
    var out: [NexthopSpec] = []
    for m in set {
        let p = config.paths[m.path]
        let gw = gateway(p, family: family)
        out.append(NexthopSpec(id: g.memberNexthopID(slot: m.slot, family: family), family: family, gateway: gw, ifindex: m.ifindex))
    }
    out.append(NexthopSpec(id: family == .v4 ? g.nexthopID : g.nexthopID + 1, group: out.map { $0.id }))
    return out
}

/// A failover's kernel change on its own: the groups' nexthop objects that exist and now point at
/// the wrong path, re-pointed. With nexthop objects this is the whole of a switch (every route
/// follows its group's object), so it goes out before the full reconcile of a large table. A group
/// with ties: its new members' objects, then the one replace of the group's member list (the
/// objects of members that left go in the full reconcile).
public func nexthopSwitches(config: HedgeConfig, active: [Int?], members: [[Int]] = [], ifindex: (String) -> Int32?,
                            actual: KernelState) -> [KernelOp] {
    var ops: [KernelOp] = []
    for (gi, g) in config.groups.enumerated() where g.ecmp {
        let set = groupMembers(config, g, active: active[gi], members: gi < members.count ? members[gi] : [], ifindex: ifindex)
        guard !set.isEmpty else { continue }
        for family in [AddressFamily.v4, .v6] {
            let want = ecmpNexthops(config, g, family: family, set)
            guard let group = want.last, let have = actual.nexthops[group.id], have.isGroup, have != group else { continue }
            for n in want where actual.nexthops[n.id] != n { ops.append(.replaceNexthop(n)) }
        }
    }
    for (gi, g) in config.groups.enumerated() where !g.ecmp {
        guard let pi = active[gi], let dev = ifindex(config.paths[pi].device) else { continue }
        for family in [AddressFamily.v4, .v6] {
            let want = groupNexthop(g, family: family, path: config.paths[pi], ifindex: dev)
            if let have = actual.nexthops[want.id], have != want { ops.append(.replaceNexthop(want)) }
        }
    }
    return ops
}

/// The metric the kernel will report for a route: IPv6 turns 0 into 1024 (IP6_RT_PRIO_USER), and a
/// desired state that said 0 would never match what the kernel holds.
public func kernelMetric(_ metric: UInt32, family: AddressFamily) -> UInt32 {
    family == .v6 && metric == 0 ? 1024 : metric
}
