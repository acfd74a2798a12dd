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
