/// What the kernel should hold, given the config, each group's active path and the devices present.

public struct ProbePinning: Sendable {
    /// Routing table and fwmark that pin path `index`'s probes to that path.
    public static func table(base: UInt32, path index: Int) -> UInt32 { base + UInt32(index) }
    public static func rulePriority(path index: Int) -> UInt32 { 1000 + UInt32(index) }
}

public func desiredKernelState(config: HedgeConfig, active: [Int?], ifindex: (String) -> Int32?,
                               nexthopObjects: Bool, actual: KernelState) -> KernelState {
    var s = KernelState()
    let k = config.kernel
    for (gi, g) in config.groups.enumerated() {
        let v6ID = g.nexthopID + 1
        guard let pi = active[gi], let dev = ifindex(config.paths[pi].device) else {
            // Nothing to point at (no path chosen yet, or its device is gone): leave what is there.
            for (id, n) in actual.nexthops where id == g.nexthopID || id == v6ID { s.insert(n) }
            let mine = HashSet(g.prefixes)
            for (key, r) in actual.routes where key.table == k.table && mine.contains(key.prefix) { s.insert(r) }
            continue
        }
        let p = config.paths[pi]
        let gw4 = p.gateway.flatMap { $0.isV4 ? $0 : nil }
        let gw6 = p.gateway6 ?? p.gateway.flatMap { $0.isV4 ? nil : $0 }
        for prefix in g.prefixes {
            let v4 = prefix.family == .v4
            let target: RouteTarget
            if nexthopObjects {
                let id = v4 ? g.nexthopID : v6ID
                s.insert(NexthopSpec(id: id, family: prefix.family, gateway: v4 ? gw4 : gw6, ifindex: dev))
                target = .nexthop(id)
            } else {
                target = .via(gateway: v4 ? gw4 : gw6, ifindex: dev)
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
        let gw = fam == .v4 ? p.gateway.flatMap { $0.isV4 ? $0 : nil } : (p.gateway6 ?? p.gateway.flatMap { $0.isV4 ? nil : $0 })
        s.insert(RouteSpec(prefix: host, table: table, metric: kernelMetric(0, family: fam), target: .via(gateway: gw, ifindex: dev),
                           protocolID: k.routeProtocol))
    }
    return s
}

/// The metric the kernel will report for a route: IPv6 turns 0 into 1024 (IP6_RT_PRIO_USER), and a
/// desired state that said 0 would never match what the kernel holds.
public func kernelMetric(_ metric: UInt32, family: AddressFamily) -> UInt32 {
    family == .v6 && metric == 0 ? 1024 : metric
}
