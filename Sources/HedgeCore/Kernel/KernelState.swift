/// hedge's view of the kernel objects it owns, as plain values: what the Linux layer dumps and what
/// the desired state is computed as. Ownership is marked in the kernel itself (rtm_protocol,
/// nh_protocol, FRA_PROTOCOL), so a restarted hedge recognises its own objects.

public enum AddressFamily: UInt8, Hashable, Sendable {
    /// AF_UNSPEC: a nexthop group has no family of its own (its members have).
    case unspec = 0
    case v4 = 2     // AF_INET
    case v6 = 10    // AF_INET6

    /// An address family a route, rule, SA or selector can have: AF_INET or AF_INET6, never AF_UNSPEC
    /// (only a nexthop group is of no family).
    public init?(ip raw: UInt8) {
        guard let f = AddressFamily(rawValue: raw), f != .unspec else { return nil }
        self = f
    }
}

extension IPAddress {
    public var family: AddressFamily { isV4 ? .v4 : .v6 }
}

extension IPPrefix {
    public var family: AddressFamily { address.family }
}

/// A nexthop object (RTM_NEWNEXTHOP): one per failover group and address family; a group whose
/// paths share a priority has a nexthop group there instead, over one object per member in use.
public struct NexthopSpec: Hashable, Sendable, CustomStringConvertible {
    public var id: UInt32
    public var family: AddressFamily
    public var gateway: IPAddress?
    public var ifindex: Int32
    /// NHA_GROUP: the member objects' ids, ascending, of equal weight; empty for a plain nexthop.
    public var group: [UInt32] = []
    public init(id: UInt32, family: AddressFamily, gateway: IPAddress?, ifindex: Int32) {
        self.id = id; self.family = family; self.gateway = gateway; self.ifindex = ifindex
    }
    /// A nexthop group (AF_UNSPEC, no device or gateway of its own) over `members`.
    public init(id: UInt32, group members: [UInt32]) {
        self.id = id; self.family = .unspec; self.gateway = nil; self.ifindex = 0
        self.group = members.stableSorted(by: <)
    }
    public var isGroup: Bool { !group.isEmpty }
    public var description: String {
        if isGroup { return "nexthop id \(id) group " + group.map { "\($0)" }.joined(separator: "/") }
        return "nexthop id \(id)" + (gateway.map { " via \($0)" } ?? "") + " ifindex \(ifindex)"
    }
}

public enum RouteTarget: Hashable, Sendable {
    /// RTA_NH_ID: the route follows the nexthop object.
    case nexthop(UInt32)
    /// RTA_GATEWAY + RTA_OIF: the fallback on kernels without nexthop objects.
    case via(gateway: IPAddress?, ifindex: Int32)
}

/// The identity of a route in the kernel's FIB: two routes with the same key replace each other.
public struct RouteKey: Hashable, Sendable {
    public var prefix: IPPrefix
    public var table: UInt32
    public var metric: UInt32
    public init(prefix: IPPrefix, table: UInt32, metric: UInt32) {
        self.prefix = prefix; self.table = table; self.metric = metric
    }
}

public struct RouteSpec: Hashable, Sendable, CustomStringConvertible {
    public var key: RouteKey
    // Before `target`: it fills the key's padding, and a table of ten thousand routes is 8 bytes a
    // route smaller (56 instead of 64).
    public var protocolID: UInt8
    public var target: RouteTarget
    public init(prefix: IPPrefix, table: UInt32, metric: UInt32, target: RouteTarget, protocolID: UInt8) {
        self.key = RouteKey(prefix: prefix, table: table, metric: metric)
        self.target = target; self.protocolID = protocolID
    }
    public var prefix: IPPrefix { key.prefix }
    public var description: String {
        var s = "route \(key.prefix) table \(key.table)"
        if key.metric != 0 { s += " metric \(key.metric)" }
        switch target {
        case .nexthop(let id): s += " nhid \(id)"
        case .via(let gw, let ifindex): s += (gw.map { " via \($0)" } ?? "") + " ifindex \(ifindex)"
        }
        return s
    }
}

/// A policy rule (RTM_NEWRULE) `fwmark M lookup T`: it pins a path's probes to that path whatever the
/// main table says.
public struct RuleSpec: Hashable, Sendable, CustomStringConvertible {
    public var family: AddressFamily
    public var fwmark: UInt32
    public var table: UInt32
    public var priority: UInt32
    public init(family: AddressFamily, fwmark: UInt32, table: UInt32, priority: UInt32) {
        self.family = family; self.fwmark = fwmark; self.table = table; self.priority = priority
    }
    public var description: String {
        "rule \(family == .v4 ? "ipv4" : "ipv6") pref \(priority) fwmark \(hex(fwmark)) lookup \(table)"
    }
}

func hex(_ v: UInt32) -> String {
    let digits: [Character] = ["0","1","2","3","4","5","6","7","8","9","a","b","c","d","e","f"]
    var s = ""
    var x = v
    repeat { s.insert(digits[Int(x & 15)], at: s.startIndex); x >>= 4 } while x != 0
    return "0x" + s
}

/// The owned objects, keyed the way the kernel identifies them.
public struct KernelState: Sendable, Equatable {
    public var nexthops = HashMap<UInt32, NexthopSpec>()
    public var routes = RouteTable()
    public var rules: HashSet<RuleSpec> = []
    public init() {}

    @inline(never) public mutating func insert(_ n: NexthopSpec) { nexthops[n.id] = n }
    @inline(never) public mutating func insert(_ r: RouteSpec) { routes[r.key] = r }
    @inline(never) public mutating func insert(_ r: RuleSpec) { rules.insert(r) }

    /// Deleting a nexthop object deletes the routes that use it (the kernel sends no RTM_DELROUTE
    /// for them), so the mirror must drop them too.
    /// A member deleted leaves the groups that list it, and a group left empty goes too.
    public mutating func removeNexthop(_ id: UInt32) {
        guard nexthops[id] != nil else { return }
        nexthops[id] = nil
        for (k, r) in routes where r.target == .nexthop(id) { routes[k] = nil }
        var emptied: [UInt32] = []
        for (gid, n) in nexthops where n.group.contains(id) {
            var g = n
            g.group.removeAll { $0 == id }
            nexthops[gid] = g
            if g.group.isEmpty { emptied.append(gid) }
        }
        for gid in emptied { removeNexthop(gid) }
    }

    /// Carrier loss or admin down: the kernel silently drops the nexthop objects on the device (and
    /// the routes using them); admin down also drops the plain routes through it.
    public mutating func deviceFlushed(_ ifindex: Int32, adminDown: Bool) {
        for (id, n) in nexthops where n.ifindex == ifindex { removeNexthop(id) }
        guard adminDown else { return }
        for (k, r) in routes {
            if case .via(_, let i) = r.target, i == ifindex { routes[k] = nil }
        }
    }

    /// What the kernel holds once it has taken `op`: a reconcile applied over several loop turns keeps
    /// the mirror true after each part.
    public mutating func apply(_ op: KernelOp) {
        switch op {
        case .replaceNexthop(let n): insert(n)
        case .deleteNexthop(let n): removeNexthop(n.id)
        case .addRoute(let r), .replaceRoute(let r): insert(r)
        case .deleteRoute(let r): routes[r.key] = nil
        case .addRule(let r): insert(r)
        case .deleteRule(let r): rules.remove(r)
        }
    }

    /// A device going away takes its routes and nexthops with it.
    public mutating func removeDevice(_ ifindex: Int32) {
        for (id, n) in nexthops where n.ifindex == ifindex { removeNexthop(id) }
        for (k, r) in routes {
            if case .via(_, let i) = r.target, i == ifindex { routes[k] = nil }
        }
    }
}

public enum KernelOp: Hashable, Sendable, CustomStringConvertible {
    case replaceNexthop(NexthopSpec)
    case deleteNexthop(NexthopSpec)
    /// A route hedge does not hold yet: created only if no route has its key (NLM_F_EXCL), so a
    /// route someone else owns (the ISP's default at the same metric) is never replaced.
    case addRoute(RouteSpec)
    /// One of hedge's own routes, changed.
    case replaceRoute(RouteSpec)
    case deleteRoute(RouteSpec)
    case addRule(RuleSpec)
    case deleteRule(RuleSpec)

    public var description: String {
        switch self {
        case .replaceNexthop(let n): return "replace \(n)"
        case .deleteNexthop(let n): return "delete \(n)"
        case .addRoute(let r): return "add \(r)"
        case .replaceRoute(let r): return "replace \(r)"
        case .deleteRoute(let r): return "delete \(r)"
        case .addRule(let r): return "add \(r)"
        case .deleteRule(let r): return "delete \(r)"
        }
    }
}

/// The least set of operations that turns `actual` into `desired`, in an order the kernel accepts:
/// nexthops before the routes that use them, routes before the nexthops they leave.
/// Equal objects produce nothing: a restart with the same config changes nothing.
public func reconcile(desired: KernelState, actual: KernelState) -> [KernelOp] {
    // Only what differs is sorted (for a stable order): an unchanged table of thousands of routes
    // costs one lookup per route, not a sort.
    var ops: [KernelOp] = []
    // The kernel never replaces a nexthop group with a plain nexthop or back (a group's paths came
    // to share a priority, or stopped): such an object is deleted first, and with it the routes
    // that use it, which are then added again.
    var actual = actual
    var changedKind: [NexthopSpec] = []
    for (id, n) in desired.nexthops {
        if let have = actual.nexthops[id], have.isGroup != n.isGroup { changedKind.append(have) }
    }
    for n in changedKind.stableSorted(by: { $0.id < $1.id }) {
        ops.append(.deleteNexthop(n)); actual.removeNexthop(n.id)
    }
    // Plain nexthops before the groups that list them.
    var nexthops: [NexthopSpec] = []
    for (id, n) in desired.nexthops where actual.nexthops[id] != n { nexthops.append(n) }
    for n in nexthops.stableSorted(by: { $0.isGroup != $1.isGroup ? !$0.isGroup : $0.id < $1.id }) {
        ops.append(.replaceNexthop(n))
    }
    for r in desired.rules.stableSorted(by: ruleOrder) where !actual.rules.contains(r) { ops.append(.addRule(r)) }
    var replace: [RouteSpec] = []
    for (k, r) in desired.routes where actual.routes[k] != r { replace.append(r) }
    for r in replace.stableSorted(by: { keyOrder($0.key, $1.key) }) {
        ops.append(actual.routes[r.key] == nil ? .addRoute(r) : .replaceRoute(r))
    }
    var delete: [RouteSpec] = []
    for (k, r) in actual.routes where desired.routes[k] == nil { delete.append(r) }
    for r in delete.stableSorted(by: { keyOrder($0.key, $1.key) }) { ops.append(.deleteRoute(r)) }
    for r in actual.rules.stableSorted(by: ruleOrder) where !desired.rules.contains(r) { ops.append(.deleteRule(r)) }
    // Groups before their members (a member's deletion would change the group by itself).
    var gone: [NexthopSpec] = []
    for (id, n) in actual.nexthops where desired.nexthops[id] == nil { gone.append(n) }
    for n in gone.stableSorted(by: { $0.isGroup != $1.isGroup ? $0.isGroup : $0.id < $1.id }) { ops.append(.deleteNexthop(n)) }
    return ops
}

/// By table, prefix (numerically: a text order would format two strings per comparison, which a
/// table of thousands of routes cannot afford on every reconcile), then metric.
private func keyOrder(_ a: RouteKey, _ b: RouteKey) -> Bool {
    if a.table != b.table { return a.table < b.table }
    if a.prefix != b.prefix { return a.prefix < b.prefix }
    return a.metric < b.metric
}

private func ruleOrder(_ a: RuleSpec, _ b: RuleSpec) -> Bool {
    a.priority != b.priority ? a.priority < b.priority : a.fwmark < b.fwmark
}
