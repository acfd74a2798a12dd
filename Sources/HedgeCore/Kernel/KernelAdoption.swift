/// Each group's active path as the kernel holds it, read back at start-up (and for the groups a
/// reload changed), so that a restart keeps traffic where it is instead of switching it to the
/// preferred path and back.
///
/// A member path matches when the group's object points out of its device: with nexthop objects,
/// the group's nexthop object (`nexthop-id`); without, the route of the group's first prefix
/// (hedge's table and metric). A gateway must be the path's (IPv4 or IPv6) or absent (a
/// point-to-point tunnel). When several members match, the last in the file's order is taken.
/// By group index; nil where the kernel has nothing of the group's, or nothing that fits a member.
public func activePathsInKernel(config: HedgeConfig, actual: KernelState, ifindex: (String) -> Int32?,
                                nexthopObjects: Bool) -> [Int?] {
    config.groups.map { g in
        var found: Int?
        for (pi, p) in config.paths.enumerated() where g.paths.contains(p.name) {
            guard let idx = ifindex(p.device) else { continue }
            let gateway: IPAddress?
            let out: Int32
            if nexthopObjects {
                guard let n = actual.nexthops[g.nexthopID] else { continue }
                gateway = n.gateway; out = n.ifindex
            } else {
                guard let pfx = g.prefixes.first,
                      let r = actual.routes[RouteKey(prefix: pfx, table: config.kernel.table,
                                                     metric: kernelMetric(config.kernel.metric, family: pfx.family))],
                      case .via(let gw, let i) = r.target else { continue }
                gateway = gw; out = i
            }
            if out == idx && (gateway == nil || gateway == p.gateway || gateway == p.gateway6) { found = pi }
        }
        return found
    }
}

/// Each group's in-use set as the kernel holds it: for a group with ties (nexthop objects on), the
/// members its nexthop group lists, each matched back to its path by its id (the slot) and checked
/// against the path's device and gateway; for the others, `activePathsInKernel`'s one path.
/// In preference order is the decision's business; here in the file's order. Empty where nothing fits.
public func inUseInKernel(config: HedgeConfig, actual: KernelState, ifindex: (String) -> Int32?,
                          nexthopObjects: Bool) -> [[Int]] {
    let single = activePathsInKernel(config: config, actual: actual, ifindex: ifindex, nexthopObjects: nexthopObjects)
    return config.groups.enumerated().map { gi, g in
        guard nexthopObjects && g.ecmp else { return single[gi].map { [$0] } ?? [] }
        // The IPv4 group if there is one, else the IPv6 one.
        guard let group = actual.nexthops[g.nexthopID] ?? actual.nexthops[g.nexthopID + 1], group.isGroup else { return [] }
        var found: [Int] = []
        for (slot, name) in g.paths.enumerated() {
            guard let pi = config.pathIndex(named: name), let idx = ifindex(config.paths[pi].device) else { continue }
            let p = config.paths[pi]
            for family in [AddressFamily.v4, .v6] {
                let id = g.memberNexthopID(slot: slot, family: family)
                guard group.group.contains(id), let n = actual.nexthops[id], !n.isGroup, n.ifindex == idx,
                      n.gateway == nil || n.gateway == p.gateway || n.gateway == p.gateway6 else { continue }
                found.append(pi)
                break
            }
        }
        return found
    }
}
